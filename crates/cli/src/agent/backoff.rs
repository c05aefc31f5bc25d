//! Retry delays of the agent: exponential backoff with jitter, and the refresh points of tokens
//! and credentials.

use std::time::Duration;

/// Exponential backoff: the base delay doubles per failed attempt up to `max`, and each delay is drawn
/// from the upper half of the base ("equal jitter"), so retries of many agents spread out while no
/// delay drops below half the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// Returns the base delay of failed attempt `attempt` (0 for the first failure): `initial * 2^attempt`, at most `max`.
    pub fn base(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// Returns the delay before the next attempt: `base/2 + unit * base/2`, where `unit` in `[0, 1]` is the random draw.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let base = self.base(attempt);
        let half = base / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// Returns [`Backoff::delay`] with a random draw from the system CSPRNG.
    pub fn random_delay(&self, attempt: u32) -> Duration {
        let bytes = akless_core::random::random_bytes::<4>();
        let unit = f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX);
        self.delay(attempt, unit)
    }
}

/// Shortest time between two scheduled refreshes, so a very short lifetime cannot make the agent spin.
pub const MIN_REFRESH_DELAY: Duration = Duration::from_secs(5);

/// Returns when to refresh a token of `lifetime`: after two thirds of it, and after at least [`MIN_REFRESH_DELAY`].
pub fn token_refresh_delay(lifetime: Duration) -> Duration {
    (lifetime * 2 / 3).max(MIN_REFRESH_DELAY)
}

/// Time before expiry at which the official Python and Java providers fetch new credentials.
pub const SDK_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Margin on top of [`SDK_REFRESH_WINDOW`] so cached credentials are renewed before any client asks for new ones.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Returns how long after issue to refresh credentials of `lifetime`.
///
/// The agent renews when a third of the lifetime, and at least 20 minutes, remains, so the credentials it
/// serves always have more than the 15 minutes after which the official SDKs ask again. For lifetimes under
/// 30 minutes that is impossible, so the renewal comes after a third of the lifetime and clients ask the agent
/// on every use (the agent serves them from its cache).
pub fn credentials_refresh_delay(lifetime: Duration) -> Duration {
    let lead = (lifetime / 3).max(SDK_REFRESH_WINDOW + CREDENTIALS_MARGIN);
    let lead = lead.min(lifetime * 2 / 3);
    lifetime.saturating_sub(lead).max(MIN_REFRESH_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_doubles_until_max() {
        let backoff = Backoff::default();
        let bases: Vec<u64> = (0..9).map(|a| backoff.base(a).as_secs()).collect();
        assert_eq!(bases, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff.base(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn delay_within_bounds() {
        let backoff = Backoff::default();
        for attempt in 0..40 {
            let base = backoff.base(attempt);
            assert_eq!(backoff.delay(attempt, 0.0), base / 2, "attempt {attempt}");
            assert_eq!(backoff.delay(attempt, 1.0), base, "attempt {attempt}");
            assert_eq!(
                backoff.delay(attempt, 7.0),
                base,
                "draw clamped, attempt {attempt}"
            );
            for _ in 0..20 {
                let delay = backoff.random_delay(attempt);
                assert!(
                    delay >= base / 2 && delay <= base,
                    "attempt {attempt}: {delay:?}"
                );
                assert!(delay <= backoff.max);
            }
        }
    }

    #[test]
    fn random_delays_vary() {
        let backoff = Backoff::default();
        let delays: std::collections::HashSet<Duration> =
            (0..50).map(|_| backoff.random_delay(5)).collect();
        assert!(delays.len() > 1, "jitter produced one value only");
    }

    #[test]
    fn token_refresh_at_two_thirds() {
        assert_eq!(
            token_refresh_delay(Duration::from_secs(3600)),
            Duration::from_secs(2400)
        );
        assert_eq!(
            token_refresh_delay(Duration::from_secs(300)),
            Duration::from_secs(200)
        );
        assert_eq!(
            token_refresh_delay(Duration::from_secs(3)),
            MIN_REFRESH_DELAY
        );
    }

    #[test]
    fn credentials_keep_over_15_minutes() {
        for (lifetime, refresh) in [(3600, 2400), (7200, 4800), (43_200, 28_800), (1800, 600)] {
            let delay = credentials_refresh_delay(Duration::from_secs(lifetime));
            assert_eq!(delay, Duration::from_secs(refresh), "lifetime {lifetime}");
            let remaining = Duration::from_secs(lifetime) - delay;
            assert!(
                remaining > SDK_REFRESH_WINDOW,
                "lifetime {lifetime}: {remaining:?} left"
            );
        }
    }

    #[test]
    fn credentials_short_lifetime_refresh_at_third() {
        assert_eq!(
            credentials_refresh_delay(Duration::from_secs(900)),
            Duration::from_secs(300)
        );
        assert_eq!(
            credentials_refresh_delay(Duration::from_secs(1200)),
            Duration::from_secs(400)
        );
        assert_eq!(
            credentials_refresh_delay(Duration::from_secs(0)),
            MIN_REFRESH_DELAY
        );
    }
}
