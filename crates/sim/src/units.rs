//! Durations and clock times as scenario files write them.
//!
//! Key types: [`Period`] (a length of time: a number of seconds, or text
//! with units such as `"90s"`, `"4m"`, `"1h30m"`, `"2d"`, `"250ms"`) and
//! [`Clock`] (a time of day `"08:30"`, repeated every simulated day, or a
//! civil date-time `"2025-03-03T08:30"` in the scenario's time zone).
//! Both are quoted strings in TOML; a bare number is a [`Period`] in
//! seconds.

use std::fmt;

use jiff::civil::{DateTime, Time as CivilTime};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A length of time, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period(pub u64);

impl Period {
    /// Whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Period(secs * 1000)
    }

    /// Milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds, fractional.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Parses `"90s"`, `"1.5m"`, `"1h30m"`, `"2d"`, `"250ms"` or a plain
    /// number of seconds. A day is 24 hours.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(secs) = text.parse::<f64>() {
            return Period::from_secs_f64(secs);
        }
        let mut total = 0.0;
        let mut rest = text;
        if rest.is_empty() {
            return Err("an empty duration".into());
        }
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("{text:?} lacks a unit after its last number"))?;
            let (number, tail) = rest.split_at(digits);
            let value: f64 = number
                .parse()
                .map_err(|_| format!("{text:?} is not a duration like 90s, 4m, 1h30m or 2d"))?;
            let unit_len = tail
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(tail.len());
            let (unit, tail) = tail.split_at(unit_len);
            let ms_per = match unit.trim() {
                "ms" => 1.0,
                "s" => 1e3,
                "m" | "min" => 60e3,
                "h" => 3600e3,
                "d" => 86_400e3,
                other => {
                    return Err(format!(
                        "{text:?}: unknown unit {other:?} (use ms, s, m, h or d)"
                    ));
                }
            };
            total += value * ms_per;
            rest = tail;
        }
        Period::from_secs_f64(total / 1000.0)
    }

    fn from_secs_f64(secs: f64) -> Result<Self, String> {
        if !secs.is_finite() {
            return Err(format!("{secs} is not a finite duration"));
        }
        if secs < 0.0 {
            return Err(format!("a duration cannot be negative, got {secs} s"));
        }
        Ok(Period((secs * 1000.0).round() as u64))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{}s", self.0 / 1000)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PeriodVisitor;
        impl Visitor<'_> for PeriodVisitor {
            type Value = Period;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration: seconds, or text such as \"90s\", \"4m\", \"1h30m\", \"2d\"",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Period, E> {
                Period::from_secs_f64(v as f64).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Period, E> {
                Period::from_secs_f64(v as f64).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Period, E> {
                Period::from_secs_f64(v).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Period, E> {
                Period::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(PeriodVisitor)
    }
}

/// A point of the center's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Clock {
    /// A time of day, on every simulated day.
    Daily(CivilTime),
    /// One date and time.
    Dated(DateTime),
}

impl Clock {
    /// Parses `"HH:MM[:SS]"` or `"YYYY-MM-DDTHH:MM[:SS]"` (a space may
    /// replace the `T`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        // Date-times first: jiff reads the time of a date-time as a time.
        if let Ok(at) = text.parse::<DateTime>() {
            return Ok(Clock::Dated(at));
        }
        text.parse::<CivilTime>().map(Clock::Daily).map_err(|_| {
            format!(
                "{text:?} is neither a time of day like 08:30 nor a date-time like 2025-03-03T08:30"
            )
        })
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::Daily(time) => write!(f, "{}", time.strftime("%H:%M:%S")),
            Clock::Dated(at) => write!(f, "{}", at.strftime("%Y-%m-%dT%H:%M:%S")),
        }
    }
}

impl Serialize for Clock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Clock::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_with_units() {
        assert_eq!(Period::parse("90s"), Ok(Period(90_000)));
        assert_eq!(Period::parse("1h30m"), Ok(Period(5_400_000)));
        assert_eq!(Period::parse("1.5m"), Ok(Period(90_000)));
        assert_eq!(Period::parse("2d"), Ok(Period(172_800_000)));
        assert_eq!(Period::parse("250ms"), Ok(Period(250)));
        assert_eq!(Period::parse("42"), Ok(Period(42_000)));
        assert!(Period::parse("-3s").is_err());
        assert!(Period::parse("3 parsecs").is_err());
        assert!(Period::parse("").is_err());
    }

    #[test]
    fn clocks_are_daily_or_dated() {
        assert!(matches!(Clock::parse("08:30"), Ok(Clock::Daily(_))));
        assert!(matches!(
            Clock::parse("2025-03-03T08:30"),
            Ok(Clock::Dated(_))
        ));
        assert!(Clock::parse("8h30").is_err());
    }
}
