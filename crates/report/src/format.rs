//! How numbers are written on every page, so that a share, a wait or a
//! count looks the same in every report (the lead's table pages use these
//! too).
//!
//! Key functions: [`percent`] (one decimal), [`wait`] (m:ss, h:mm:ss from
//! an hour), [`duration`] (h:mm:ss, for agent time), [`count`] (digits
//! grouped by thousands), [`decimal`] and [`seconds`]. A value that is not
//! defined (nothing to divide by) is written [`NONE`].

use acd::model::Span;

/// Written for a value that is not defined, e.g. a service level when
/// nothing was answered.
pub const NONE: &str = "–";

/// A share as a percentage with one decimal: `0.8333` → `83.3%`.
pub fn percent(share: Option<f64>) -> String {
    match share {
        Some(s) if s.is_finite() => format!("{:.1}%", s * 100.0),
        _ => NONE.to_string(),
    }
}

/// A wait in seconds as m:ss (h:mm:ss from an hour on), to the nearest
/// second: `14.4` → `0:14`, `75` → `1:15`.
pub fn wait(secs: Option<f64>) -> String {
    match secs {
        Some(s) if s.is_finite() && s >= 0.0 => clock(s.round() as u64, false),
        _ => NONE.to_string(),
    }
}

/// A length of agent time as h:mm:ss, to the nearest second: 400 s →
/// `0:06:40`.
pub fn duration(span: Span) -> String {
    clock((span.as_millis() + 500) / 1000, true)
}

fn clock(secs: u64, always_hours: bool) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 || always_hours {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A count with thousands grouped by a narrow no-break space, the
/// separator that reads the same in every locale: `12345` → `12 345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A number with `places` decimals.
pub fn decimal(value: Option<f64>, places: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.places$}"),
        _ => NONE.to_string(),
    }
}

/// A threshold such as T: whole seconds as `20 s`, otherwise with
/// milliseconds.
pub fn seconds(span: Span) -> String {
    let ms = span.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.3} s", span.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_same_everywhere() {
        assert_eq!(percent(Some(2.0 / 3.0)), "66.7%");
        assert_eq!(percent(Some(1.0)), "100.0%");
        assert_eq!(percent(None), NONE);
        assert_eq!(wait(Some(14.4)), "0:14");
        assert_eq!(wait(Some(75.0)), "1:15");
        assert_eq!(wait(Some(3725.0)), "1:02:05");
        assert_eq!(wait(None), NONE);
        assert_eq!(duration(Span::from_secs(400)), "0:06:40");
        assert_eq!(duration(Span::from_millis(1_499)), "0:00:01");
        assert_eq!(count(7), "7");
        assert_eq!(count(1234), "1\u{202f}234");
        assert_eq!(count(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(decimal(Some(27.0), 1), "27.0");
        assert_eq!(seconds(Span::from_secs(20)), "20 s");
        assert_eq!(seconds(Span::from_millis(2500)), "2.500 s");
    }
}
