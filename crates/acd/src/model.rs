//! Domain vocabulary: identifiers, engine time and parsed value types.
//!
//! Key types: [`Time`] and [`Span`] (milliseconds on the driver's clock),
//! the id newtypes ([`AgentId`], [`QueueId`], [`SkillId`], [`ContactId`]),
//! and the parsed values [`Proficiency`], [`Priority`], [`PhoneNumber`] and
//! [`Code`] (reason, outcome and call-reason codes). Every constructor that
//! can fail returns a [`ValueError`], so a value that exists is valid.

use std::fmt;
use std::ops::{Add, Sub};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A value given to one of the parsing constructors was out of range or
/// malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Proficiency outside 1..=10.
    #[error("proficiency must be between 1 and 10, got {0}")]
    Proficiency(u8),
    /// A phone number that is not `+`? followed by 1 to 20 digits.
    #[error("phone number {0:?} must be an optional '+' followed by 1 to 20 digits")]
    PhoneNumber(String),
    /// A code that is empty, too long or holds characters other than
    /// letters, digits, `-`, `_`, `.` and `:`.
    #[error("code {0:?} must be 1 to 64 characters of letters, digits, '-', '_', '.' or ':'")]
    Code(String),
    /// A concurrency limit of zero.
    #[error("concurrency must be at least 1")]
    Concurrency,
}

/// A point on the driver's clock, in milliseconds since the driver's epoch
/// (the live server uses the Unix epoch; the simulator its own zero).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(u64);

impl Time {
    /// The driver's epoch.
    pub const ZERO: Time = Time(0);

    /// A time `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Time(ms)
    }

    /// A time `s` seconds after the epoch.
    pub const fn from_secs(s: u64) -> Self {
        Time(s * 1000)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// A length of time in milliseconds.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Span(u64);

impl Span {
    /// No time at all.
    pub const ZERO: Span = Span(0);

    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Span(ms)
    }

    /// A span of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Span(s * 1000)
    }

    /// The span in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The span in (fractional) seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{}s", self.0 / 1000)
        } else {
            write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
        }
    }
}

impl Add<Span> for Time {
    type Output = Time;
    fn add(self, rhs: Span) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}

impl Add for Span {
    type Output = Span;
    fn add(self, rhs: Span) -> Span {
        Span(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Span {
    type Output = Span;
    fn sub(self, rhs: Span) -> Span {
        Span(self.0.saturating_sub(rhs.0))
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// An agent, as numbered by the driver (the server's user table).
    AgentId(u32),
    "agent#"
);
id_type!(
    /// A queue.
    QueueId(u32),
    "queue#"
);
id_type!(
    /// A skill.
    SkillId(u32),
    "skill#"
);
id_type!(
    /// A contact (call, callback, later chat); unique for the engine's life.
    ContactId(u64),
    "contact#"
);

/// How well an agent masters a skill, from 1 (novice) to 10 (expert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Proficiency(u8);

impl Proficiency {
    /// The lowest level.
    pub const MIN: Proficiency = Proficiency(1);
    /// The highest level.
    pub const MAX: Proficiency = Proficiency(10);

    /// Parses a level, refusing anything outside 1..=10.
    pub fn new(level: u8) -> Result<Self, ValueError> {
        if (1..=10).contains(&level) {
            Ok(Proficiency(level))
        } else {
            Err(ValueError::Proficiency(level))
        }
    }

    /// The level as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Proficiency {
    type Error = ValueError;
    fn try_from(level: u8) -> Result<Self, ValueError> {
        Proficiency::new(level)
    }
}

impl From<Proficiency> for u8 {
    fn from(p: Proficiency) -> u8 {
        p.0
    }
}

/// A contact's base priority: higher is served first. Drivers map the
/// customer's value tier (客户价值分级) onto it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Priority(pub u8);

/// How many contacts an agent may hold at once (1 for voice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Concurrency(u8);

impl Concurrency {
    /// One contact at a time.
    pub const ONE: Concurrency = Concurrency(1);

    /// Parses a limit, refusing zero.
    pub fn new(limit: u8) -> Result<Self, ValueError> {
        if limit == 0 {
            Err(ValueError::Concurrency)
        } else {
            Ok(Concurrency(limit))
        }
    }

    /// The limit as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency::ONE
    }
}

impl TryFrom<u8> for Concurrency {
    type Error = ValueError;
    fn try_from(limit: u8) -> Result<Self, ValueError> {
        Concurrency::new(limit)
    }
}

impl From<Concurrency> for u8 {
    fn from(c: Concurrency) -> u8 {
        c.0
    }
}

/// A telephone number as signalled (ANI or DNIS): an optional `+` and 1 to
/// 20 digits. Punctuation is not accepted here: the telephony edge
/// normalises before it hands a number to the engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(Arc<str>);

impl PhoneNumber {
    /// Parses a number.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let digits = text.strip_prefix('+').unwrap_or(text);
        if (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PhoneNumber(Arc::from(text)))
        } else {
            Err(ValueError::PhoneNumber(text.to_owned()))
        }
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, ValueError> {
        PhoneNumber::parse(&text)
    }
}

impl From<PhoneNumber> for String {
    fn from(n: PhoneNumber) -> String {
        n.0.to_string()
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A configured code: a not-ready reason ("lunch"), an outcome ("sale"),
/// a call reason ("billing"), an attribute key or value. Which codes exist
/// is configuration; the engine only checks membership.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(Arc<str>);

impl Code {
    /// Parses a code.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let ok = (1..=64).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if ok {
            Ok(Code(Arc::from(text)))
        } else {
            Err(ValueError::Code(text.to_owned()))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Code {
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, ValueError> {
        Code::parse(&text)
    }
}

impl From<Code> for String {
    fn from(c: Code) -> String {
        c.0.to_string()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proficiency_accepts_one_to_ten_only() {
        assert_eq!(Proficiency::new(0), Err(ValueError::Proficiency(0)));
        assert_eq!(Proficiency::new(11), Err(ValueError::Proficiency(11)));
        assert_eq!(Proficiency::new(7).map(Proficiency::get), Ok(7));
        let parsed: Result<Proficiency, _> = serde_json::from_str("11");
        assert!(parsed.unwrap_err().to_string().contains("between 1 and 10"));
    }

    #[test]
    fn phone_numbers_are_digits_with_optional_plus() {
        assert!(PhoneNumber::parse("+84901234567").is_ok());
        assert!(PhoneNumber::parse("4001").is_ok());
        for bad in ["", "+", "12a4", "+1 555", "123456789012345678901"] {
            assert_eq!(
                PhoneNumber::parse(bad),
                Err(ValueError::PhoneNumber(bad.into()))
            );
        }
    }

    #[test]
    fn codes_are_short_words() {
        assert!(Code::parse("after-call_work.2").is_ok());
        assert!(Code::parse("午餐").is_ok());
        assert!(Code::parse("").is_err());
        assert!(Code::parse("has space").is_err());
        assert!(Code::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn time_arithmetic_saturates() {
        let t = Time::from_secs(10);
        assert_eq!(t.since(Time::from_secs(4)), Span::from_secs(6));
        assert_eq!(Time::from_secs(4).since(t), Span::ZERO);
        assert_eq!((t + Span::from_millis(1500)).to_string(), "t=11.500s");
    }
}
