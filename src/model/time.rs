//! Timestamps as Kubernetes writes them: RFC 3339 with `Z` or an offset, optional fraction.
//!
//! Parsed by hand into seconds since the epoch so the model needs no date crate. A timestamp
//! that does not parse is kept as `None` by the lenient deserializers, never an error.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z, plus the nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    secs: i64,
    nanos: u32,
}

impl Time {
    /// Seconds since the Unix epoch.
    #[must_use]
    pub fn unix(self) -> i64 {
        self.secs
    }

    /// A time from seconds since the Unix epoch.
    #[must_use]
    pub fn from_unix(secs: i64) -> Self {
        Self { secs, nanos: 0 }
    }

    /// Seconds from `earlier` to `self`, as a float (negative when `earlier` is later).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn seconds_since(self, earlier: Time) -> f64 {
        (self.secs - earlier.secs) as f64 + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }

    /// Parses `2026-11-28T05:00:00Z`, `2026-11-28T05:00:00.123456Z`, `…+02:00`, and the
    /// zone-less `2026-11-28T05:00:00` / `2026-11-28 05:00:00` (taken as UTC).
    #[must_use]
    pub fn parse(text: &str) -> Option<Time> {
        let s = text.trim().as_bytes();
        if s.len() < 19 {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(range)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        if s[4] != b'-'
            || s[7] != b'-'
            || !matches!(s[10], b'T' | b't' | b' ')
            || s[13] != b':'
            || s[16] != b':'
        {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut rest = &s[19..];
        let mut nanos: u32 = 0;
        if let Some((b'.', frac)) = rest.split_first() {
            let digits = frac.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            for (i, d) in frac[..digits].iter().enumerate().take(9) {
                nanos += u32::from(d - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
            }
            rest = &frac[digits..];
        }
        let offset = match rest {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let digits = [*h1, *h2, *m1, *m2];
                if !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let value = i64::from(h1 - b'0') * 36_000
                    + i64::from(h2 - b'0') * 3_600
                    + i64::from(m1 - b'0') * 600
                    + i64::from(m2 - b'0') * 60;
                if *sign == b'+' { value } else { -value }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset;
        Some(Time { secs, nanos })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Time {
    /// RFC 3339 in UTC, whole seconds: `2026-11-28T05:00:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Time {
    /// Accepts any RFC 3339 string; anything else is an error (wrap in `lenient_time`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Time::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {text:?}")))
    }
}

/// Formats a duration in seconds the way kubectl does: `45s`, `3m12s`, `2h5m`, `3d4h`.
#[must_use]
pub fn human_duration(secs: f64) -> String {
    crate::text::duration(secs)
}

/// Parses a Go duration as kubelet prints it in back-off messages: `5m0s`, `1m20s`, `40s`, `1h`.
#[must_use]
pub fn parse_go_duration(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut number = String::new();
    let mut seen = false;
    for ch in text.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            number.push(ch);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        total += value
            * match ch {
                'h' => 3600.0,
                'm' => 60.0,
                's' => 1.0,
                _ => return None,
            };
        seen = true;
    }
    (seen && number.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubernetes_forms() {
        let t = Time::parse("2026-11-28T05:00:00Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-28T05:00:00Z");
        let micro = Time::parse("2026-11-28T05:00:00.123456Z").unwrap();
        assert!((micro.seconds_since(t) - 0.123_456).abs() < 1e-9);
        let offset = Time::parse("2026-11-28T07:00:00+02:00").unwrap();
        assert_eq!(offset, t);
        assert_eq!(Time::parse("2026-11-28 05:00:00").unwrap(), t);
        assert_eq!(Time::parse("1970-01-01T00:00:00Z").unwrap().unix(), 0);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "null",
            "2026-13-01T00:00:00Z",
            "2026-11-28T05:00:00Q",
            "yesterday at noon",
        ] {
            assert_eq!(Time::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("5m0s"), Some(300.0));
        assert_eq!(parse_go_duration("1m20s"), Some(80.0));
        assert_eq!(parse_go_duration("40s"), Some(40.0));
        assert_eq!(parse_go_duration("1h"), Some(3600.0));
        assert_eq!(parse_go_duration("soon"), None);
        assert_eq!(human_duration(192.0), "3m12s");
    }
}
