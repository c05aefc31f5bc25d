//! The agent's credentials keeper: exchanges the current OIDC token for temporary credentials with
//! STS AssumeRoleWithOIDC, caches them for the credentials endpoint and renews them before the
//! official SDKs would consider them stale.

use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;

use super::backoff::{credentials_refresh_delay, Backoff};
use super::credentials_server::CredentialsCache;
use super::token_file::CurrentToken;
use crate::client::Endpoint;
use crate::secure_file;
use crate::sts::{assume_role_with_oidc, AssumeRoleRequest, StsCredentials};
use crate::tools::exchange::MAX_TOKEN_BYTES;

/// Source of the OIDC token for the exchange.
pub enum TokenSource {
    /// The agent's own token keeper.
    Issuer(watch::Receiver<Option<CurrentToken>>),
    /// A file that something else keeps fresh (for example a projected service account token),
    /// read again before every exchange, as the official SDKs do.
    File(PathBuf),
}

/// Keeps the credentials cache filled.
pub struct CredentialsKeeper {
    pub http: reqwest::Client,
    pub endpoint: Endpoint,
    pub request: AssumeRoleRequest,
    pub source: TokenSource,
    pub cache: CredentialsCache,
    pub backoff: Backoff,
    pub timeout: Duration,
}

impl CredentialsKeeper {
    /// Runs until `shutdown` becomes true. Calls `on_first` once, after the first credentials are cached.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>, on_first: impl FnOnce()) {
        let mut on_first = Some(on_first);
        let mut failures: u32 = 0;
        loop {
            let token = tokio::select! {
                token = self.token() => token,
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            let result = match token {
                Ok(token) => self.exchange(&token).await,
                Err(error) => Err(error),
            };
            let delay = match result {
                Ok(credentials) => {
                    failures = 0;
                    let lifetime: Duration = (credentials.expiration - OffsetDateTime::now_utc())
                        .try_into()
                        .unwrap_or(Duration::ZERO);
                    let delay = credentials_refresh_delay(lifetime);
                    tracing::info!(
                        access_key_id = %credentials.access_key_id,
                        expiration = %credentials.expiration_text(),
                        next_refresh_secs = delay.as_secs(),
                        "temporary credentials refreshed"
                    );
                    *self.cache.write().unwrap_or_else(|p| p.into_inner()) = Some(credentials);
                    if let Some(callback) = on_first.take() {
                        callback();
                    }
                    delay
                }
                Err(error) => {
                    let delay = self.backoff.random_delay(failures);
                    failures = failures.saturating_add(1);
                    tracing::warn!(
                        attempt = failures,
                        retry_in_ms = delay.as_millis() as u64,
                        role_arn = %self.request.role_arn,
                        error = %format!("{error:#}"),
                        "getting temporary credentials failed; retrying"
                    );
                    delay
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Returns the token to exchange: the keeper's newest unexpired token (waiting for the first one),
    /// or the token file's content.
    async fn token(&mut self) -> anyhow::Result<String> {
        match &mut self.source {
            TokenSource::Issuer(receiver) => {
                let current = receiver
                    .wait_for(|token| token.is_some())
                    .await
                    .map_err(|_| anyhow::anyhow!("the token keeper stopped"))?
                    .clone();
                match current {
                    Some(token) if token.expires_at > OffsetDateTime::now_utc() => {
                        Ok(token.token.expose().to_owned())
                    }
                    _ => anyhow::bail!(
                        "the newest access token has expired and no new one arrived yet"
                    ),
                }
            }
            TokenSource::File(path) => Ok(secure_file::read_trimmed(
                path,
                "the OIDC token",
                MAX_TOKEN_BYTES,
            )?),
        }
    }

    async fn exchange(&self, token: &str) -> anyhow::Result<StsCredentials> {
        let response = assume_role_with_oidc(
            &self.http,
            &self.endpoint,
            &self.request,
            token,
            self.timeout,
        )
        .await?;
        Ok(response.credentials)
    }
}
