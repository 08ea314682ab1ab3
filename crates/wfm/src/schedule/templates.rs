//! Shift templates and opening hours, read from TOML.
//!
//! Key types: [`Templates`] (the file), [`ShiftTemplate`], [`BreakRule`]
//! and [`DayWindows`] (a time window per weekday, used for opening hours
//! and for agents' availability). The format:
//!
//! ```toml
//! # Agents may only work inside opening hours; a day without an entry
//! # (and no `all`) is closed. Without [opening] the center never closes.
//! [opening]
//! all = "07:00-21:00"   # every day…
//! sun = "closed"        # …but this one; "22:00-06:00" runs past midnight
//!
//! [[shift]]
//! name = "day8"                      # unique
//! length = "8:30"                    # start to end, unpaid breaks included
//! starts = ["07:00-10:00", "12:00"]  # ranges are inclusive
//! start_step = "0:30"                # default: the requirement's interval
//! days = ["mon", "tue", "wed", "thu", "fri"]   # default: every day
//! cost = 80.0            # per agent and shift; default: its paid hours
//! min_agents = 0         # per shift (one start on one day); default 0
//! max_agents = 20        # per shift; default: no limit
//!
//! [[shift.break]]
//! name = "lunch"         # matches the `not_ready:lunch` state in adherence
//! length = "0:30"
//! paid = false           # default false
//! window = "3:00-5:30"   # offsets from the shift start; the break lies inside
//! ```
//!
//! The breaks of one shift must have windows that do not overlap, so they
//! can never collide, whatever start each agent gets (Aykin's condition).

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{DAY, Hm, InputError, parse_clock, parse_length};

/// Weekday keys in Monday-first order.
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A time window per weekday: minutes after that day's midnight,
/// `start..end`, where `end` may pass 24:00 for a window that runs into
/// the next day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayWindows([Option<(u32, u32)>; 7]);

impl DayWindows {
    /// Every day, all day.
    pub fn always() -> Self {
        DayWindows([Some((0, DAY)); 7])
    }

    /// The window of a weekday, if that day has one.
    pub fn on(&self, weekday: Weekday) -> Option<(u32, u32)> {
        self.0[day_index(weekday)]
    }

    /// Whether minutes `from..to` after the midnight of a day that is
    /// `weekday` lie inside one window: that day's, or the previous day's
    /// where it runs past midnight.
    pub fn contains(&self, weekday: Weekday, from: u32, to: u32) -> bool {
        let inside = |window: Option<(u32, u32)>, shift: u32| {
            window.is_some_and(|(start, end)| start <= from + shift && to + shift <= end)
        };
        inside(self.on(weekday), 0) || inside(self.on(weekday.previous()), DAY)
    }

    /// Reads a `[table]` of `all`, `mon` … `sun` keys, each `"HH:MM-HH:MM"`
    /// or `closed_word`. Days with no entry and no `all` get no window.
    pub(crate) fn parse(
        table: &BTreeMap<String, Spanned<String>>,
        table_name: &str,
        closed_word: &str,
        lines: &Lines<'_>,
    ) -> Result<Self, InputError> {
        let mut days = [None; 7];
        let parse_value = |key: &str, value: &Spanned<String>| {
            let text = value.get_ref().trim();
            let line = lines.line(value.span());
            let field = format!("{table_name}.{key}");
            if text == closed_word {
                return Ok(None);
            }
            let window = parse_clock_range(text).ok_or_else(|| {
                InputError::field(
                    line,
                    &field,
                    text,
                    format!("expected \"HH:MM-HH:MM\" or \"{closed_word}\""),
                )
            })?;
            if window.0 == window.1 {
                return Err(InputError::field(line, &field, text, "the window is empty"));
            }
            Ok(Some(window))
        };
        if let Some(value) = table.get("all") {
            days = [parse_value("all", value)?; 7];
        }
        for (key, value) in table {
            if key == "all" {
                continue;
            }
            let index = WEEKDAYS.iter().position(|d| d == key).ok_or_else(|| {
                InputError::field(
                    lines.line(value.span()),
                    format!("{table_name}.{key}"),
                    value.get_ref(),
                    "unknown key: expected all, mon, tue, wed, thu, fri, sat or sun",
                )
            })?;
            days[index] = parse_value(key, value)?;
        }
        Ok(DayWindows(days))
    }
}

/// Monday-first index of a weekday.
pub(crate) fn day_index(weekday: Weekday) -> usize {
    weekday.to_monday_zero_offset() as usize
}

/// `"HH:MM-HH:MM"`: an end at or before the start runs past midnight.
fn parse_clock_range(text: &str) -> Option<(u32, u32)> {
    let (from, to) = text.split_once('-')?;
    let (from, to) = (parse_clock(from)?, parse_clock(to)?);
    if from >= DAY {
        return None;
    }
    Some(if to <= from && !(to == 0 && from == 0) {
        (from, to + DAY)
    } else {
        (from, to)
    })
}

/// One break of a shift template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakRule {
    /// Its name, also the not-ready reason adherence expects during it.
    pub name: String,
    /// Minutes.
    pub length: u32,
    /// Whether it is paid (counts in the shift's paid hours).
    pub paid: bool,
    /// Earliest start, minutes after the shift starts.
    pub earliest: u32,
    /// Latest end, minutes after the shift starts.
    pub latest_end: u32,
}

impl BreakRule {
    /// The allowed starts, minutes after the shift starts, `step` apart.
    pub fn starts(&self, step: u32) -> impl Iterator<Item = u32> + '_ {
        (self.earliest..=self.latest_end - self.length).step_by(step.max(1) as usize)
    }
}

/// One shift template: the shifts it allows are every start on every day
/// it names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShiftTemplate {
    /// Its unique name.
    pub name: String,
    /// Minutes from start to end, breaks included.
    pub length: u32,
    /// Allowed start ranges, minutes after midnight, both ends inclusive.
    pub starts: Vec<(u32, u32)>,
    /// Minutes between starts in a range; `None`: the requirement's
    /// interval length.
    pub start_step: Option<u32>,
    /// The weekdays it may start on, Monday first.
    pub days: [bool; 7],
    /// Cost of one agent working one such shift.
    pub cost: f64,
    /// Fewest agents on each shift (one start on one day).
    pub min_agents: u32,
    /// Most agents on each shift.
    pub max_agents: Option<u32>,
    /// Its breaks, in window order.
    pub breaks: Vec<BreakRule>,
}

impl ShiftTemplate {
    /// Paid minutes: the length less the unpaid breaks.
    pub fn paid_minutes(&self) -> u32 {
        self.length
            - self
                .breaks
                .iter()
                .filter(|b| !b.paid)
                .map(|b| b.length)
                .sum::<u32>()
    }

    /// Start times, minutes after midnight, for an interval length in
    /// minutes; sorted, without repeats.
    pub fn start_times(&self, interval: u32) -> Vec<u32> {
        let step = self.start_step.unwrap_or(interval).max(1) as usize;
        let mut times: Vec<u32> = self
            .starts
            .iter()
            .flat_map(|&(from, to)| (from..=to).step_by(step))
            .collect();
        times.sort_unstable();
        times.dedup();
        times
    }

    /// Whether it may start on a weekday.
    pub fn runs_on(&self, weekday: Weekday) -> bool {
        self.days[day_index(weekday)]
    }
}

/// The template file: opening hours and shift templates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Templates {
    /// When agents may work.
    pub opening: DayWindows,
    /// The shift templates.
    pub shifts: Vec<ShiftTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    opening: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(default)]
    shift: Vec<Spanned<RawShift>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShift {
    name: Spanned<String>,
    length: Spanned<String>,
    starts: Vec<Spanned<String>>,
    start_step: Option<Spanned<String>>,
    days: Option<Vec<Spanned<String>>>,
    cost: Option<Spanned<f64>>,
    min_agents: Option<u32>,
    max_agents: Option<Spanned<u32>>,
    #[serde(default, rename = "break")]
    breaks: Vec<Spanned<RawBreak>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreak {
    name: Spanned<String>,
    length: Spanned<String>,
    #[serde(default)]
    paid: bool,
    window: Spanned<String>,
}

/// Byte offsets to 1-based line numbers.
pub(crate) struct Lines<'a>(pub &'a str);

impl Lines<'_> {
    pub(crate) fn line(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.0.len());
        self.0.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// A TOML syntax or type error, at its line.
    pub(crate) fn toml_error(&self, error: &toml::de::Error) -> InputError {
        InputError::Syntax {
            line: error.span().map_or(1, |span| self.line(span)),
            problem: error.message().trim().to_owned(),
        }
    }
}

fn length_field(
    value: &Spanned<String>,
    field: &str,
    lines: &Lines<'_>,
) -> Result<u32, InputError> {
    match parse_length(value.get_ref()) {
        Some(minutes) if minutes > 0 => Ok(minutes),
        _ => Err(InputError::field(
            lines.line(value.span()),
            field,
            value.get_ref(),
            "expected a positive duration H:MM",
        )),
    }
}

impl Templates {
    /// Reads a template file.
    pub fn from_toml(text: &str) -> Result<Self, InputError> {
        let lines = Lines(text);
        let raw: RawFile = toml::from_str(text).map_err(|e| lines.toml_error(&e))?;
        let opening = match &raw.opening {
            Some(table) => DayWindows::parse(table, "opening", "closed", &lines)?,
            None => DayWindows::always(),
        };
        if raw.shift.is_empty() {
            return Err(InputError::Syntax {
                line: 1,
                problem: "no [[shift]] template".to_owned(),
            });
        }
        let mut names = HashSet::new();
        let shifts = raw
            .shift
            .iter()
            .map(|shift| {
                let template = parse_shift(shift.get_ref(), &lines)?;
                if !names.insert(template.name.clone()) {
                    return Err(InputError::field(
                        lines.line(shift.get_ref().name.span()),
                        "shift.name",
                        &template.name,
                        "another template has this name",
                    ));
                }
                Ok(template)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Templates { opening, shifts })
    }
}

fn parse_shift(raw: &RawShift, lines: &Lines<'_>) -> Result<ShiftTemplate, InputError> {
    let name = raw.name.get_ref().trim().to_owned();
    if name.is_empty() {
        return Err(InputError::field(
            lines.line(raw.name.span()),
            "shift.name",
            "",
            "a template needs a name",
        ));
    }
    let length = length_field(&raw.length, "shift.length", lines)?;
    if length > DAY {
        return Err(InputError::field(
            lines.line(raw.length.span()),
            "shift.length",
            raw.length.get_ref(),
            "a shift lasts at most 24:00",
        ));
    }
    if raw.starts.is_empty() {
        return Err(InputError::field(
            lines.line(raw.name.span()),
            "shift.starts",
            "[]",
            "a template needs at least one start",
        ));
    }
    let starts = raw
        .starts
        .iter()
        .map(|start| {
            let text = start.get_ref().trim();
            let (from, to) = match text.split_once('-') {
                Some((from, to)) => (parse_clock(from), parse_clock(to)),
                None => (parse_clock(text), parse_clock(text)),
            };
            match (from, to) {
                (Some(from), Some(to)) if from <= to && to < DAY => Ok((from, to)),
                _ => Err(InputError::field(
                    lines.line(start.span()),
                    "shift.starts",
                    text,
                    "expected \"HH:MM\" or an increasing range \"HH:MM-HH:MM\" before 24:00",
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let start_step = raw
        .start_step
        .as_ref()
        .map(|step| length_field(step, "shift.start_step", lines))
        .transpose()?;
    let days = match &raw.days {
        None => [true; 7],
        Some(list) => {
            let mut days = [false; 7];
            for day in list {
                let index = WEEKDAYS
                    .iter()
                    .position(|d| *d == day.get_ref().trim())
                    .ok_or_else(|| {
                        InputError::field(
                            lines.line(day.span()),
                            "shift.days",
                            day.get_ref(),
                            "expected mon, tue, wed, thu, fri, sat or sun",
                        )
                    })?;
                days[index] = true;
            }
            days
        }
    };
    let (min_agents, max_agents) = (raw.min_agents.unwrap_or(0), raw.max_agents.as_ref());
    if let Some(max) = max_agents
        && *max.get_ref() < min_agents
    {
        return Err(InputError::field(
            lines.line(max.span()),
            "shift.max_agents",
            max.get_ref().to_string(),
            format!("below min_agents = {min_agents}"),
        ));
    }
    let mut breaks = Vec::new();
    let mut break_lines = Vec::new();
    for spanned in &raw.breaks {
        let raw_break = spanned.get_ref();
        let line = lines.line(raw_break.window.span());
        let break_name = raw_break.name.get_ref().trim().to_owned();
        if break_name.is_empty() || break_name.contains(char::is_whitespace) {
            return Err(InputError::field(
                lines.line(raw_break.name.span()),
                "shift.break.name",
                raw_break.name.get_ref(),
                "a break needs a name without spaces",
            ));
        }
        let break_length = length_field(&raw_break.length, "shift.break.length", lines)?;
        let window_text = raw_break.window.get_ref().trim();
        let bad_window =
            |problem: String| InputError::field(line, "shift.break.window", window_text, problem);
        let (earliest, latest_end) = window_text
            .split_once('-')
            .and_then(|(a, b)| Some((parse_length(a)?, parse_length(b)?)))
            .ok_or_else(|| {
                bad_window("expected offsets from the shift start \"H:MM-H:MM\"".to_owned())
            })?;
        if latest_end > length {
            return Err(bad_window(format!(
                "the window ends after the shift, which lasts {}",
                Hm(length)
            )));
        }
        if latest_end < earliest + break_length {
            return Err(bad_window(format!(
                "the window is shorter than the break ({})",
                Hm(break_length)
            )));
        }
        breaks.push(BreakRule {
            name: break_name,
            length: break_length,
            paid: raw_break.paid,
            earliest,
            latest_end,
        });
        break_lines.push(line);
    }
    let mut order: Vec<usize> = (0..breaks.len()).collect();
    order.sort_by_key(|&i| breaks[i].earliest);
    for pair in order.windows(2) {
        let (first, second) = (&breaks[pair[0]], &breaks[pair[1]]);
        if second.earliest < first.latest_end {
            return Err(InputError::field(
                break_lines[pair[1]],
                "shift.break.window",
                format!("{}-{}", Hm(second.earliest), Hm(second.latest_end)),
                format!(
                    "overlaps the window of break `{}` ({}-{}); the windows of one shift must not overlap",
                    first.name,
                    Hm(first.earliest),
                    Hm(first.latest_end)
                ),
            ));
        }
        if second.name == first.name {
            return Err(InputError::field(
                break_lines[pair[1]],
                "shift.break.name",
                &second.name,
                "another break of this shift has this name",
            ));
        }
    }
    let breaks: Vec<BreakRule> = order.into_iter().map(|i| breaks[i].clone()).collect();
    let mut template = ShiftTemplate {
        name,
        length,
        starts,
        start_step,
        days,
        cost: 0.0,
        min_agents,
        max_agents: max_agents.map(|m| *m.get_ref()),
        breaks,
    };
    template.cost = match &raw.cost {
        Some(cost) if cost.get_ref().is_finite() && *cost.get_ref() >= 0.0 => *cost.get_ref(),
        Some(cost) => {
            return Err(InputError::field(
                lines.line(cost.span()),
                "shift.cost",
                cost.get_ref().to_string(),
                "expected a cost of zero or more",
            ));
        }
        None => f64::from(template.paid_minutes()) / 60.0,
    };
    Ok(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[opening]
all = "07:00-21:00"
sun = "closed"
sat = "22:00-06:00"

[[shift]]
name = "day8"
length = "8:30"
starts = ["07:00-08:00", "12:00"]
days = ["mon", "fri"]
max_agents = 9

[[shift.break]]
name = "lunch"
length = "0:30"
window = "3:00-5:30"

[[shift.break]]
name = "break"
length = "0:15"
paid = true
window = "1:00-2:30"
"#;

    #[test]
    fn a_full_template_file_parses() {
        let t = Templates::from_toml(GOOD).unwrap();
        assert_eq!(t.opening.on(Weekday::Monday), Some((420, 1260)));
        assert_eq!(t.opening.on(Weekday::Sunday), None);
        assert_eq!(t.opening.on(Weekday::Saturday), Some((1320, 1800)));
        assert!(t.opening.contains(Weekday::Sunday, 0, 360));
        assert!(!t.opening.contains(Weekday::Sunday, 0, 390));
        let s = &t.shifts[0];
        assert_eq!(s.length, 510);
        assert_eq!(s.start_times(30), vec![420, 450, 480, 720]);
        assert!(s.runs_on(Weekday::Friday) && !s.runs_on(Weekday::Tuesday));
        assert_eq!(s.paid_minutes(), 480);
        assert_eq!(s.cost, 8.0);
        assert_eq!(s.max_agents, Some(9));
        assert_eq!(s.breaks[0].name, "break", "breaks sorted by window");
        assert_eq!(
            s.breaks[1].starts(30).collect::<Vec<_>>(),
            vec![180, 210, 240, 270, 300]
        );
    }

    #[test]
    fn a_break_window_outside_the_shift_names_its_line() {
        let text = GOOD.replace("3:00-5:30", "7:00-9:00");
        let err = Templates::from_toml(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 17: field `shift.break.window` has value \"7:00-9:00\": \
             the window ends after the shift, which lasts 8:30"
        );
    }

    #[test]
    fn overlapping_break_windows_are_refused() {
        let text = GOOD.replace("1:00-2:30", "2:00-3:30");
        let err = Templates::from_toml(&text).unwrap_err().to_string();
        assert!(
            err.starts_with("line 17: field `shift.break.window` has value \"3:00-5:30\""),
            "{err}"
        );
        assert!(
            err.contains("overlaps the window of break `break`"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_and_syntax_name_their_line() {
        let err = Templates::from_toml(&GOOD.replace("\"mon\", \"fri\"", "\"mon\", \"fry\""))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 11: field `shift.days` has value \"fry\": expected mon, tue, wed, thu, fri, sat or sun"
        );
        let err =
            Templates::from_toml(&GOOD.replace("max_agents = 9", "max_agents = -9")).unwrap_err();
        assert!(err.to_string().starts_with("line 12: "), "{err}");
        let err = Templates::from_toml(&GOOD.replace("length = \"8:30\"", "lenght = \"8:30\""))
            .unwrap_err();
        assert!(err.to_string().contains("lenght"), "{err}");
        let err = Templates::from_toml(&GOOD.replace("sun = \"closed\"", "sunday = \"closed\""))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 4: field `opening.sunday`"),
            "{err}"
        );
    }
}
