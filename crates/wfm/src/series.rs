//! Interval series shared by forecasting, staffing and scheduling.
//!
//! Key types: [`IntervalLength`] (5, 15, 30 or 60 minutes), [`Demand`]
//! (contacts and handle time expected in one interval) and [`Requirement`]
//! (agents needed in one interval). Demand files are read by
//! [`History::from_csv`](crate::forecast::History::from_csv). Interval starts are civil date-times
//! in the center's own time zone: planning happens on the wall clock the
//! agents work by.

use std::fmt;

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

/// An interval length that planning supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct IntervalLength(u32);

/// An interval length other than 5, 15, 30 or 60 minutes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("interval length must be 5, 15, 30 or 60 minutes, got {0}")]
pub struct IntervalLengthError(pub u32);

impl IntervalLength {
    /// Parses a length in minutes.
    pub fn from_minutes(minutes: u32) -> Result<Self, IntervalLengthError> {
        match minutes {
            5 | 15 | 30 | 60 => Ok(IntervalLength(minutes)),
            other => Err(IntervalLengthError(other)),
        }
    }

    /// The length in minutes.
    pub fn minutes(self) -> u32 {
        self.0
    }

    /// The length in seconds.
    pub fn seconds(self) -> f64 {
        f64::from(self.0) * 60.0
    }

    /// Intervals in a day.
    pub fn per_day(self) -> u32 {
        24 * 60 / self.0
    }
}

impl TryFrom<u32> for IntervalLength {
    type Error = IntervalLengthError;
    fn try_from(minutes: u32) -> Result<Self, IntervalLengthError> {
        IntervalLength::from_minutes(minutes)
    }
}

impl From<IntervalLength> for u32 {
    fn from(length: IntervalLength) -> u32 {
        length.0
    }
}

impl fmt::Display for IntervalLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} min", self.0)
    }
}

/// Expected (or observed) work in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    /// Start of the interval, center-local.
    pub start: DateTime,
    /// Contacts offered in the interval.
    pub contacts: f64,
    /// Average handle time in seconds, when known.
    pub aht: Option<f64>,
}

/// Agents needed in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// Start of the interval, center-local.
    pub start: DateTime,
    /// Agents needed on the phones (after shrinkage when the producer says
    /// so); fractional when fractional staffing was asked for.
    pub agents: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_planning_lengths_parse() {
        for ok in [5, 15, 30, 60] {
            assert_eq!(IntervalLength::from_minutes(ok).unwrap().minutes(), ok);
        }
        assert_eq!(
            IntervalLength::from_minutes(20),
            Err(IntervalLengthError(20))
        );
        assert_eq!(IntervalLength::from_minutes(15).unwrap().per_day(), 96);
    }
}
