//! Reading the input: bytes counted for progress, lines numbered, times
//! parsed.
//!
//! Key items: `Progress` (a reader that reports the bytes read so far),
//! `lines` (numbered lines, each either text or why it is not), and the
//! time parsers shared by the formats.

use std::io::{self, BufRead, BufReader, Read};

use acd::model::Time;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::error::Error;

/// Calls `progress` with the running total of bytes read.
pub(crate) struct Progress<R, P> {
    inner: R,
    read: u64,
    progress: P,
}

impl<R: Read, P: FnMut(u64)> Progress<R, P> {
    pub(crate) fn new(inner: R, progress: P) -> Self {
        Progress {
            inner,
            read: 0,
            progress,
        }
    }
}

impl<R: Read, P: FnMut(u64)> Read for Progress<R, P> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

/// Hands each line (without its `\n` or `\r\n`) to `each` with its number
/// from 1, or why it is not text; returns the number of lines.
pub(crate) fn lines<R: Read, P: FnMut(u64)>(
    input: R,
    progress: P,
    mut each: impl FnMut(u64, Result<&str, String>) -> Result<(), Error>,
) -> Result<u64, Error> {
    let mut reader = BufReader::new(Progress::new(input, progress));
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(number);
        }
        number += 1;
        let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        match std::str::from_utf8(text) {
            Ok(text) => each(number, Ok(text))?,
            Err(e) => each(number, Err(format!("the line is not UTF-8 text ({e})")))?,
        }
    }
}

/// An instant as engine time (milliseconds since the Unix epoch).
pub(crate) fn to_time(at: Timestamp) -> Result<Time, String> {
    u64::try_from(at.as_millisecond())
        .map(Time::from_millis)
        .map_err(|_| format!("{at} is before 1970"))
}

/// A civil date and time in `zone` as engine time.
pub(crate) fn civil_time(at: DateTime, zone: &TimeZone) -> Result<Time, String> {
    let zoned = at
        .to_zoned(zone.clone())
        .map_err(|e| format!("{at} cannot be placed in the time zone: {e}"))?;
    to_time(zoned.timestamp())
}

/// RFC 3339 with an offset (`2024-03-01T09:00:05+07:00`, `…Z`), or a date
/// and time without one (`2024-03-01 09:00:05`), read in `zone`.
pub(crate) fn timestamp(text: &str, zone: &TimeZone) -> Result<Time, String> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return to_time(at);
    }
    match text.parse::<DateTime>() {
        Ok(at) => civil_time(at, zone),
        Err(_) => Err(format!(
            "{text:?} is not a date and time (expected RFC 3339, e.g. 2024-03-01T09:00:05+07:00)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_and_without_offset() {
        let zone = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let utc = Time::from_secs(1_709_258_405);
        assert_eq!(timestamp("2024-03-01T02:00:05Z", &zone), Ok(utc));
        assert_eq!(timestamp("2024-03-01T09:00:05+07:00", &zone), Ok(utc));
        assert_eq!(timestamp("2024-03-01 09:00:05", &zone), Ok(utc));
        assert_eq!(
            timestamp("2024-03-01T09:00:05.250", &zone),
            Ok(Time::from_millis(1_709_258_405_250))
        );
        assert!(timestamp("1969-12-31T23:59:59Z", &zone).is_err());
        assert!(timestamp("yesterday", &zone).is_err());
    }

    #[test]
    fn lines_are_numbered_and_progress_counts_bytes() {
        let mut seen = Vec::new();
        let mut progress = 0;
        let n = lines(
            &b"a\r\nb\n\xff\nc"[..],
            |read| progress = read,
            |line, text| {
                seen.push((line, text.map(str::to_owned).map_err(|_| ())));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(n, 4);
        assert_eq!(progress, 8);
        assert_eq!(
            seen,
            vec![
                (1, Ok("a".into())),
                (2, Ok("b".into())),
                (3, Err(())),
                (4, Ok("c".into()))
            ]
        );
    }
}
