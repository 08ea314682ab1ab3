//! Interval history: what a center saw, interval by interval, before the
//! forecast starts.
//!
//! Key types: [`History`] (observations on one interval grid, plus the
//! special days to leave out of training) and [`InputError`] (a bad input
//! row, naming its line, field and value).
//!
//! The CSV format is described in the [`forecast`](super) module.

use std::collections::BTreeSet;
use std::io::Read;

use jiff::civil::{Date, DateTime};

use crate::series::{Demand, IntervalLength, IntervalLengthError};

/// Input that cannot become interval history. Every row-level variant
/// names the 1-based line of the input it comes from.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A field whose value does not parse or is out of range.
    #[error("line {line}: field `{field}` has value {value:?}: {problem}")]
    Field {
        /// 1-based line number in the input (the header is line 1).
        line: u64,
        /// The column's name.
        field: String,
        /// The text found.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A row that is not well-formed (too few or too many fields, bad
    /// quoting or encoding).
    #[error("line {line}: {problem}")]
    Row {
        /// 1-based line number in the input.
        line: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// The header lacks a required column.
    #[error("line 1: the header has no `{0}` column")]
    MissingColumn(&'static str),
    /// The header has a column this format does not know.
    #[error("line 1: unknown column `{name}` in the header (expected {expected})")]
    UnknownColumn {
        /// The column found.
        name: String,
        /// The columns this format accepts.
        expected: &'static str,
    },
    /// Two rows for the same interval.
    #[error("lines {first} and {second}: both are the interval starting {start}")]
    Duplicate {
        /// The interval's start.
        start: DateTime,
        /// The first row's line.
        first: u64,
        /// The second row's line.
        second: u64,
    },
    /// The interval length, inferred from the data, is not one planning
    /// supports.
    #[error("{source} (inferred from the gap between lines {first} and {second})")]
    InferredLength {
        /// The unsupported length.
        source: IntervalLengthError,
        /// The earlier row of the smallest gap.
        first: u64,
        /// The later row of the smallest gap.
        second: u64,
    },
    /// A single row cannot show the interval length.
    #[error("one row cannot show the interval length: give it explicitly")]
    UnknownLength,
    /// No data rows at all.
    #[error("the input has no data rows")]
    Empty,
    /// The input could not be read.
    #[error("reading the input: {0}")]
    Io(#[from] std::io::Error),
}

/// Observed intervals on one grid, in time order, with the days marked
/// special (holidays, outages) that forecasting leaves out of training and
/// flags in its output.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    interval: IntervalLength,
    observations: Vec<Demand>,
    special_days: BTreeSet<Date>,
}

/// An observation that [`History::new`] refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// A start that is not on the interval grid.
    #[error("interval start {start} is not on the {interval} grid")]
    OffGrid {
        /// The start given.
        start: DateTime,
        /// The grid's interval length.
        interval: IntervalLength,
    },
    /// Two observations of the same interval.
    #[error("interval {0} is observed twice")]
    Duplicate(DateTime),
    /// Contacts negative or not finite.
    #[error("interval {start}: contacts must be a finite number ≥ 0, got {contacts}")]
    Contacts {
        /// The interval's start.
        start: DateTime,
        /// The value given.
        contacts: f64,
    },
    /// Handle time zero, negative or not finite.
    #[error("interval {start}: aht must be a finite number of seconds > 0, got {aht}")]
    Aht {
        /// The interval's start.
        start: DateTime,
        /// The value given.
        aht: f64,
    },
}

impl History {
    /// History from observations in any order.
    pub fn new(
        interval: IntervalLength,
        mut observations: Vec<Demand>,
    ) -> Result<History, HistoryError> {
        for o in &observations {
            if !on_grid(o.start, interval) {
                return Err(HistoryError::OffGrid {
                    start: o.start,
                    interval,
                });
            }
            if !(o.contacts.is_finite() && o.contacts >= 0.0) {
                return Err(HistoryError::Contacts {
                    start: o.start,
                    contacts: o.contacts,
                });
            }
            if let Some(aht) = o.aht.filter(|a| !(a.is_finite() && *a > 0.0)) {
                return Err(HistoryError::Aht {
                    start: o.start,
                    aht,
                });
            }
        }
        observations.sort_by_key(|o| o.start);
        if let Some(pair) = observations.windows(2).find(|p| p[0].start == p[1].start) {
            return Err(HistoryError::Duplicate(pair[0].start));
        }
        Ok(History {
            interval,
            observations,
            special_days: BTreeSet::new(),
        })
    }

    /// Reads the CSV format of this module's documentation. With
    /// `interval` `None` the length is the smallest gap between starts.
    pub fn from_csv(
        input: impl Read,
        interval: Option<IntervalLength>,
    ) -> Result<History, InputError> {
        let (header, records) = read_records(input, b',')?;
        let mut start_col = None;
        let mut contacts_col = None;
        let mut aht_col = None;
        for (i, name) in header.iter().enumerate() {
            match name {
                "start" => start_col = Some(i),
                "contacts" => contacts_col = Some(i),
                "aht" => aht_col = Some(i),
                other => {
                    return Err(InputError::UnknownColumn {
                        name: other.to_owned(),
                        expected: "start, contacts, aht",
                    });
                }
            }
        }
        let start_col = start_col.ok_or(InputError::MissingColumn("start"))?;
        let contacts_col = contacts_col.ok_or(InputError::MissingColumn("contacts"))?;

        // (start, line) so errors found after sorting still name lines.
        let mut rows: Vec<(Demand, u64)> = Vec::new();
        for (line, record) in &records {
            let line = *line;
            let field = |col: usize| record.get(col).unwrap_or_default();
            let text = field(start_col);
            let start: DateTime = text.parse().map_err(|e: jiff::Error| InputError::Field {
                line,
                field: "start".into(),
                value: text.into(),
                problem: format!("not a date-time like 2024-03-04T07:30 ({e})"),
            })?;
            let text = field(contacts_col);
            let contacts = parse_number(text, line, "contacts")?;
            if contacts < 0.0 {
                return Err(field_error(line, "contacts", text, "must be ≥ 0"));
            }
            let aht = match aht_col.map(field) {
                None | Some("") => None,
                Some(text) => {
                    let aht = parse_number(text, line, "aht")?;
                    if aht <= 0.0 {
                        return Err(field_error(line, "aht", text, "must be > 0 seconds"));
                    }
                    Some(aht)
                }
            };
            rows.push((
                Demand {
                    start,
                    contacts,
                    aht,
                },
                line,
            ));
        }
        if rows.is_empty() {
            return Err(InputError::Empty);
        }
        rows.sort_by_key(|(d, _)| d.start);
        if let Some(pair) = rows.windows(2).find(|p| p[0].0.start == p[1].0.start) {
            let (first, second) = (pair[0].1.min(pair[1].1), pair[0].1.max(pair[1].1));
            return Err(InputError::Duplicate {
                start: pair[0].0.start,
                first,
                second,
            });
        }
        let interval = match interval {
            Some(length) => length,
            None => infer_length(&rows)?,
        };
        if let Some((d, line)) = rows.iter().find(|(d, _)| !on_grid(d.start, interval)) {
            return Err(InputError::Field {
                line: *line,
                field: "start".into(),
                value: d.start.to_string(),
                problem: format!("not on the {interval} grid"),
            });
        }
        Ok(History {
            interval,
            observations: rows.into_iter().map(|(d, _)| d).collect(),
            special_days: BTreeSet::new(),
        })
    }

    /// The same history with these days marked special.
    pub fn with_special_days(mut self, days: impl IntoIterator<Item = Date>) -> History {
        self.special_days.extend(days);
        self
    }

    /// The history before `date`: what was known when that day began.
    pub fn before(&self, date: Date) -> History {
        History {
            interval: self.interval,
            observations: self
                .observations
                .iter()
                .take_while(|o| o.start.date() < date)
                .copied()
                .collect(),
            special_days: self.special_days.clone(),
        }
    }

    /// The grid's interval length.
    pub fn interval(&self) -> IntervalLength {
        self.interval
    }

    /// The observations in time order.
    pub fn observations(&self) -> &[Demand] {
        &self.observations
    }

    /// The days marked special.
    pub fn special_days(&self) -> &BTreeSet<Date> {
        &self.special_days
    }

    /// The first and last observed dates, if any.
    pub fn date_range(&self) -> Option<(Date, Date)> {
        Some((
            self.observations.first()?.start.date(),
            self.observations.last()?.start.date(),
        ))
    }
}

/// Whether `start` begins an interval of the grid.
fn on_grid(start: DateTime, interval: IntervalLength) -> bool {
    let minute =
        u32::from(start.hour().unsigned_abs()) * 60 + u32::from(start.minute().unsigned_abs());
    start.second() == 0 && start.subsec_nanosecond() == 0 && minute % interval.minutes() == 0
}

/// The smallest gap between consecutive starts (sorted, distinct).
fn infer_length(rows: &[(Demand, u64)]) -> Result<IntervalLength, InputError> {
    let (gap, first, second) = rows
        .windows(2)
        .map(|p| {
            let minutes = (p[1].0.start - p[0].0.start)
                .total(jiff::Unit::Minute)
                .unwrap_or(f64::INFINITY);
            (minutes, p[0].1, p[1].1)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .ok_or(InputError::UnknownLength)?;
    // A gap of a fraction of a minute or of more than a day cannot be an
    // interval length; report it rounded so the message stays readable.
    let minutes = gap.round().clamp(0.0, f64::from(u32::MAX)) as u32;
    IntervalLength::from_minutes(minutes).map_err(|source| InputError::InferredLength {
        source,
        first,
        second,
    })
}

fn parse_number(text: &str, line: u64, field: &str) -> Result<f64, InputError> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(field_error(line, field, text, "must be a finite number")),
        Err(_) => Err(field_error(line, field, text, "not a number")),
    }
}

/// The header and the data rows of a delimited text, each row with its
/// 1-based line number and as many fields as the header.
///
/// The text is read whole and its CRLF line ends made LF first: `csv`
/// miscounts lines after CRLF (the Anonymous Bank log has them) and in
/// its own field-count errors, and every error here must name the right
/// line.
pub(crate) fn read_records(
    mut input: impl Read,
    delimiter: u8,
) -> Result<(csv::StringRecord, Vec<(u64, csv::StringRecord)>), InputError> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        InputError::Row {
            line: 1 + e.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64,
            problem: "not UTF-8 text".into(),
        }
    })?;
    let text = text.replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| csv_error(e, 1))?.clone();
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            csv_error(e, line)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(InputError::Row {
                line,
                problem: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
            });
        }
        records.push((line, record));
    }
    Ok((header, records))
}

fn csv_error(e: csv::Error, line: u64) -> InputError {
    InputError::Row {
        line,
        problem: e.to_string(),
    }
}

pub(crate) fn field_error(line: u64, field: &str, value: &str, problem: &str) -> InputError {
    InputError::Field {
        line,
        field: field.into(),
        value: value.into(),
        problem: problem.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(m: u32) -> IntervalLength {
        IntervalLength::from_minutes(m).unwrap()
    }

    #[test]
    fn reads_rows_in_any_order_with_optional_aht() {
        let csv = "start,contacts,aht\n2024-03-04 07:30,5,\n2024-03-04T07:00,3,200\n";
        let h = History::from_csv(csv.as_bytes(), None).unwrap();
        assert_eq!(h.interval(), minutes(30));
        let obs = h.observations();
        assert_eq!(obs[0].start.to_string(), "2024-03-04T07:00:00");
        assert_eq!((obs[0].contacts, obs[0].aht), (3.0, Some(200.0)));
        assert_eq!((obs[1].contacts, obs[1].aht), (5.0, None));
    }

    #[test]
    fn errors_name_line_field_and_value() {
        let csv = "start,contacts\n2024-03-04T07:00,3\n2024-03-04T07:30,-2\n";
        let err = History::from_csv(csv.as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "line 3: field `contacts` has value \"-2\": must be ≥ 0"
        );
        let csv = "start,contacts\n2024-03-04T07:00,3\n2024-03-04T07:15,3\n";
        let err = History::from_csv(csv.as_bytes(), Some(minutes(30)))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 3: field `start`"), "{err}");
        let csv = "start,contacts\n2024-03-04T07:00,3\n2024-03-04T07:00,4\n";
        let err = History::from_csv(csv.as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "lines 2 and 3: both are the interval starting 2024-03-04T07:00:00"
        );
    }

    #[test]
    fn new_checks_what_the_csv_reader_checks() {
        let start: DateTime = "2024-03-04T07:10".parse().unwrap();
        let bad = Demand {
            start,
            contacts: 1.0,
            aht: None,
        };
        assert_eq!(
            History::new(minutes(15), vec![bad]),
            Err(HistoryError::OffGrid {
                start,
                interval: minutes(15)
            })
        );
    }
}
