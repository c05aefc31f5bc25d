//! The one date format of the Alibaba Cloud OpenAPI wire: `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! The official clients parse `Expiration` strictly (Python `%Y-%m-%dT%H:%M:%SZ`,
//! Go `2006-01-02T15:04:05Z`), so fractional seconds or `+00:00` break them.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const WIRE_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Formats `t` in UTC as `YYYY-MM-DDTHH:MM:SSZ`, dropping sub-second digits.
pub fn iso8601(t: OffsetDateTime) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    // Formatting a fixed description into a String cannot fail for years 0..=9999.
    utc.format(WIRE_FORMAT).unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` as UTC; returns `None` for any other shape.
pub fn parse_iso8601(s: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(s, WIRE_FORMAT).ok().map(PrimitiveDateTime::assume_utc)
}

/// Returns `t` as Unix milliseconds.
pub fn unix_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Converts Unix milliseconds back to a UTC time; out-of-range values clamp to the epoch.
pub fn from_unix_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn iso8601_drops_fraction_and_offset() {
        let t = datetime!(2021-10-20 04:27:09.123 +08:00);
        assert_eq!(iso8601(t), "2021-10-19T20:27:09Z");
    }

    #[test]
    fn parse_iso8601_round_trip() {
        let parsed = parse_iso8601("2021-10-20T04:27:09Z");
        assert_eq!(parsed, Some(datetime!(2021-10-20 04:27:09 UTC)));
        assert_eq!(parse_iso8601("2021-10-20T04:27:09+00:00"), None);
        assert_eq!(parse_iso8601("2021-10-20T04:27:09.5Z"), None);
    }

    #[test]
    fn unix_millis_round_trip() {
        let t = datetime!(2021-11-11 06:56:03 UTC);
        assert_eq!(unix_millis(t), 1_636_613_763_000);
        assert_eq!(from_unix_millis(1_636_613_763_000), t);
    }
}
