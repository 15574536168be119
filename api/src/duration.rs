//! Go `time.Duration` strings, as Flux stores them in `interval` and `timeout`.
//!
//! Spec fields keep the user's text (`1m` stays `1m`, never `1m0s`) so objects
//! round-trip byte for byte; these helpers turn that text into a
//! [`std::time::Duration`] when a controller needs one, and format durations
//! back the way Go prints them for messages ("next run in 5m0s").

use std::time::Duration;

use thiserror::Error;

/// Pattern Flux puts on every `interval`-like field (hours allowed).
pub const INTERVAL_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$";

/// Pattern Flux puts on most `timeout` fields (no hours).
pub const TIMEOUT_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m))+$";

/// Why a duration string could not be read; carries the offending text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    /// The text is not a Go duration (`1m30s`, `500ms`, `1.5h`).
    #[error("invalid duration {0:?}")]
    Invalid(String),
    /// Negative durations cannot be waited for.
    #[error("negative duration {0:?}")]
    Negative(String),
    /// The value does not fit in 64-bit nanoseconds, as in Go.
    #[error("duration {0:?} out of range")]
    Overflow(String),
}

/// Parses a Go duration string (`time.ParseDuration` grammar: units `ns`,
/// `us`/`µs`, `ms`, `s`, `m`, `h`, decimal fractions, a bare `0`).
///
/// Negative values are refused since nothing in Flux's API may be negative.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if let Some(magnitude) = text.strip_prefix('-') {
        // Go accepts a sign; only a negative zero is usable here.
        return match parse_unsigned(text, magnitude)? {
            Duration::ZERO => Ok(Duration::ZERO),
            _ => Err(DurationError::Negative(text.to_string())),
        };
    }
    parse_unsigned(text, text.strip_prefix('+').unwrap_or(text))
}

/// Parses the unsigned part of `text` (`rest`); errors quote the whole text.
fn parse_unsigned(text: &str, rest: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(text.to_string());
    let mut rest = rest;
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after_dot[..frac_len];
            rest = &after_dot[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        let overflow = || DurationError::Overflow(text.to_string());
        let int_value: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| overflow())?
        };
        let mut nanos = int_value.checked_mul(unit).ok_or_else(overflow)?;
        // Fractions beyond nanosecond precision are truncated, as in Go.
        let mut scale: u128 = 1;
        let mut frac_value: u128 = 0;
        for digit in frac_part.bytes().take(30) {
            frac_value = frac_value * 10 + u128::from(digit - b'0');
            scale *= 10;
        }
        nanos = nanos
            .checked_add(frac_value * unit / scale)
            .ok_or_else(overflow)?;
        total = total.checked_add(nanos).ok_or_else(overflow)?;
        if total > i64::MAX as u128 {
            return Err(overflow());
        }
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| invalid())?;
    let sub = u32::try_from(total % 1_000_000_000).map_err(|_| invalid())?;
    Ok(Duration::new(secs, sub))
}

/// Formats a duration as Go's `Duration.String()` does: `1h2m3s`, `5m0s`,
/// `1.5s`, `500ms`, `0s`. Flux's messages use this form.
pub fn format_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    if nanos < 1_000_000_000 {
        let (unit, scale) = if nanos < 1_000 {
            ("ns", 1)
        } else if nanos < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", fraction(nanos, scale));
    }
    let total_secs = nanos / 1_000_000_000;
    let hours = total_secs / 3_600;
    let minutes = (total_secs % 3_600) / 60;
    let seconds = fraction(nanos % 60_000_000_000, 1_000_000_000);
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&format!("{seconds}s"));
    out
}

/// `value / scale` printed with the shortest exact decimal fraction.
fn fraction(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let mut rem = value % scale;
    if rem == 0 {
        return whole.to_string();
    }
    let mut digits = String::new();
    let mut s = scale;
    while rem > 0 && s > 1 {
        s /= 10;
        digits.push(char::from(b'0' + u8::try_from(rem / s).unwrap_or(0)));
        rem %= s;
    }
    format!("{whole}.{digits}")
}

/// Parses an optional duration field, using `default` when it is unset.
pub fn parse_or(text: Option<&str>, default: Duration) -> Result<Duration, DurationError> {
    text.map_or(Ok(default), parse_duration)
}

/// Whether `text` matches [`INTERVAL_PATTERN`] (what the apiserver enforces).
pub fn matches_interval_pattern(text: &str) -> bool {
    matches_pattern(text, true)
}

/// Whether `text` matches [`TIMEOUT_PATTERN`] (no `h` unit).
pub fn matches_timeout_pattern(text: &str) -> bool {
    matches_pattern(text, false)
}

/// Hand-written matcher for the two patterns, so no regex engine is needed.
fn matches_pattern(text: &str, allow_hours: bool) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if int_len == 0 {
            return false;
        }
        rest = &rest[int_len..];
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            if frac_len == 0 {
                return false;
            }
            rest = &after_dot[frac_len..];
        }
        rest = if let Some(r) = rest.strip_prefix("ms") {
            r
        } else if let Some(r) = rest.strip_prefix('s') {
            r
        } else if let Some(r) = rest.strip_prefix('m') {
            r
        } else if let Some(r) = rest.strip_prefix('h').filter(|_| allow_hours) {
            r
        } else {
            return false;
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_duration_forms() {
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h45m"), Ok(Duration::from_secs(9900)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3us"), Ok(Duration::from_micros(3)));
        assert_eq!(parse_duration("3µs"), Ok(Duration::from_micros(3)));
        assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
        assert_eq!(parse_duration("+5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("-0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_invalid_and_negative_durations() {
        for bad in ["", "1", "m", "1x", ".s", "1m 2s", "h1", "--1s"] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_duration("-1s"),
            Err(DurationError::Negative(_))
        ));
        assert!(matches!(
            parse_duration("9999999999h"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m0s");
        assert_eq!(format_duration(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_duration(Duration::from_micros(1500)), "1.5ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(Duration::from_nanos(12)), "12ns");
    }

    #[test]
    fn patterns_match_flux_validation() {
        for ok in ["1m", "1m30s", "1.5h", "500ms", "10s", "0.5m"] {
            assert!(matches_interval_pattern(ok), "{ok}");
        }
        for bad in ["", "1", "1d", "m", "1.m", "-1s", "1h "] {
            assert!(!matches_interval_pattern(bad), "{bad}");
        }
        assert!(!matches_timeout_pattern("1h"));
        assert!(matches_timeout_pattern("90s"));
    }

    #[test]
    fn optional_fields_fall_back_to_default() {
        assert_eq!(
            parse_or(None, Duration::from_secs(60)),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(
            parse_or(Some("2m"), Duration::from_secs(60)),
            Ok(Duration::from_secs(120))
        );
    }
}
