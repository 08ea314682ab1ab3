//! Interval series shared by forecasting, staffing and scheduling.
//!
//! Key types: [`IntervalLength`] (5, 15, 30 or 60 minutes), [`Demand`]
//! (contacts and handle time expected in one interval), [`Requirement`]
//! (agents needed in one interval), and [`read_demand_csv`] with its
//! [`SeriesError`] naming the line and field at fault. Interval starts are civil date-times
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

/// A demand file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// The file is not CSV, or a row has the wrong number of fields.
    #[error("line {line}: {source}")]
    Csv {
        /// 1-based line number.
        line: u64,
        /// The parser's complaint.
        source: csv::Error,
    },
    /// A field does not parse.
    #[error("line {line}, field {field}: {value:?} {reason}")]
    Field {
        /// 1-based line number.
        line: u64,
        /// The column.
        field: &'static str,
        /// The text found.
        value: String,
        /// What was expected.
        reason: &'static str,
    },
    /// Interval starts must increase.
    #[error("line {line}: interval {start} does not come after the previous one")]
    OutOfOrder {
        /// 1-based line number.
        line: u64,
        /// The start found.
        start: DateTime,
    },
}

/// Reads interval demand from CSV with a header row and the columns
/// `start,contacts` or `start,contacts,aht`: `start` a local date-time
/// (`2024-03-04T08:00` or `2024-03-04 08:00`), `contacts` a count (may be
/// fractional for a forecast), `aht` seconds (may be empty). Any bad row
/// fails the whole read, naming its line.
pub fn read_demand_csv(input: impl std::io::Read) -> Result<Vec<Demand>, SeriesError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut demand: Vec<Demand> = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|source| SeriesError::Csv {
            line: source.position().map_or(0, |p| p.line()),
            source,
        })?;
        let line = row.position().map_or(0, |p| p.line());
        let field = |field: &'static str, value: &str, reason: &'static str| SeriesError::Field {
            line,
            field,
            value: value.to_owned(),
            reason,
        };
        let start_text = &row[0];
        let start: DateTime = start_text.replacen(' ', "T", 1).parse().map_err(|_| {
            field(
                "start",
                start_text,
                "is not a date-time like 2024-03-04T08:00",
            )
        })?;
        let contacts_text = row.get(1).unwrap_or("");
        let contacts: f64 = contacts_text
            .parse()
            .ok()
            .filter(|c: &f64| c.is_finite() && *c >= 0.0)
            .ok_or_else(|| field("contacts", contacts_text, "is not a count of 0 or more"))?;
        let aht = match row.get(2).unwrap_or("") {
            "" => None,
            text => Some(
                text.parse()
                    .ok()
                    .filter(|a: &f64| a.is_finite() && *a > 0.0)
                    .ok_or_else(|| field("aht", text, "is not a number of seconds above 0"))?,
            ),
        };
        if demand.last().is_some_and(|d| d.start >= start) {
            return Err(SeriesError::OutOfOrder { line, start });
        }
        demand.push(Demand {
            start,
            contacts,
            aht,
        });
    }
    Ok(demand)
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

    #[test]
    fn demand_csv_reads_and_names_bad_lines() {
        let good = "start,contacts,aht\n2024-03-04 08:00,12,180\n2024-03-04T08:30,15.5,\n";
        let demand = read_demand_csv(good.as_bytes()).unwrap();
        assert_eq!(demand.len(), 2);
        assert_eq!(demand[1].contacts, 15.5);
        assert_eq!(demand[1].aht, None);
        let bad = "start,contacts\n2024-03-04 08:00,12\n2024-03-04 08:30,-3\n";
        let err = read_demand_csv(bad.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "line 3, field contacts: \"-3\" is not a count of 0 or more"
        );
        let late = "start,contacts\n2024-03-04 08:30,1\n2024-03-04 08:00,2\n";
        let err = read_demand_csv(late.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("line 3:"), "{err}");
        let ragged = "start,contacts\n2024-03-04 08:30,1,2,3\n";
        assert!(read_demand_csv(ragged.as_bytes()).is_err());
    }
}
