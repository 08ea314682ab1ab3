//! Charts as hand-written inline SVG, in the look of wfm's coverage chart
//! (same blue, green, red, black step lines, grey gridlines). Hand-written
//! because a plotting library would need fonts to measure text and adds
//! build time for a few rectangles and paths.
//!
//! Key types: [`Figure`] (a rendered chart, embeddable in any page),
//! `IntervalChart` (bars per interval with step lines and a reference
//! line: volume, service level, staffing, outcome), `stacked_rows`
//! (horizontal stacked bars: agent time) and [`pareto_chart`].
//!
//! Every chart is 760 units wide, which prints at A4 width with 12-unit
//! text; text widths are estimated (6.6 units a character at 12 px) and
//! long labels are cut with an ellipsis, their full text in a tooltip.

use std::fmt::Write;

use jiff::{ToSpan, Zoned};
use kpi::Interval;

use crate::format;
use crate::page::{escape, truncate};

/// Scheduled or measured, up to the target (wfm's blue).
pub(crate) const BLUE: &str = "#4a78b5";
/// Above the target (wfm's green).
pub(crate) const GREEN: &str = "#8cc084";
/// Short of the target (wfm's red).
pub(crate) const RED: &str = "#d7301f";
/// Neither good nor bad: other dispositions.
pub(crate) const GREY: &str = "#b5b5b5";
/// No data (wfm's "closed" shade).
const SHADE: &str = "#eeeeee";

const WIDTH: f64 = 760.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const PLOT_HEIGHT: f64 = 180.0;
const CHAR_WIDTH: f64 = 6.6;
const LEGEND_TOP: f64 = 38.0;
const LEGEND_ROW: f64 = 18.0;
/// Widest slot: a single interval should not become one huge bar.
const MAX_SLOT: f64 = 48.0;

/// A rendered chart: an `<svg>` element, valid on its own or inside HTML.
#[derive(Debug, Clone)]
pub struct Figure {
    svg: String,
}

impl Figure {
    /// The SVG markup.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    pub(crate) fn embed(&self, out: &mut String) {
        out.push_str("<figure>\n");
        out.push_str(&self.svg);
        out.push_str("</figure>\n");
    }
}

/// A legend key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key {
    /// A filled box (bars).
    Fill(&'static str),
    /// A solid line (series).
    Line(&'static str),
    /// A dashed line (targets).
    Dashed(&'static str),
}

/// An SVG being written: header, title and legend done by [`Svg::open`].
struct Svg {
    out: String,
    /// Where the plot may start below the legend.
    top: f64,
}

impl Svg {
    /// Opens a chart `plot_width` wide (widened to fit its title and
    /// legend, at most [`WIDTH`]): a chart of few intervals stays narrow
    /// rather than stretching one bar across the page.
    fn open(
        plot_width: f64,
        height_below_legend: f64,
        title: &str,
        legend: &[(Key, String)],
    ) -> Svg {
        let rows = legend_rows(legend);
        let top = LEGEND_TOP + LEGEND_ROW * rows.len() as f64 + 6.0;
        let height = top + height_below_legend;
        let legend_end = rows
            .iter()
            .filter_map(|row| row.last())
            .map(|(x, _, label)| x + legend_width(label))
            .fold(0.0, f64::max);
        let title_end = LEFT + 8.2 * title.chars().count() as f64;
        let width = plot_width.max(legend_end).max(title_end).min(WIDTH).ceil();
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12" role="img" aria-label="{}">"#,
            escape(title)
        );
        let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            out,
            r#"<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{}</text>"#,
            escape(&truncate(title, 100))
        );
        for (r, row) in rows.iter().enumerate() {
            let y = LEGEND_TOP + LEGEND_ROW * r as f64;
            for &(x, key, ref label) in row {
                match key {
                    Key::Fill(colour) => {
                        let _ = writeln!(
                            out,
                            r##"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{colour}" stroke="#999" stroke-width="0.5"/>"##,
                            y - 10.0
                        );
                    }
                    Key::Line(colour) | Key::Dashed(colour) => {
                        let dash = if matches!(key, Key::Dashed(_)) {
                            r#" stroke-dasharray="5 3""#
                        } else {
                            ""
                        };
                        let _ = writeln!(
                            out,
                            r#"<line x1="{x:.1}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="{colour}" stroke-width="2"{dash}/>"#,
                            y - 4.0,
                            x + 14.0
                        );
                    }
                }
                let _ = writeln!(
                    out,
                    r#"<text x="{:.1}" y="{y:.1}">{}</text>"#,
                    x + 18.0,
                    escape(label)
                );
            }
        }
        Svg { out, top }
    }

    fn finish(mut self) -> Figure {
        self.out.push_str("</svg>\n");
        Figure { svg: self.out }
    }
}

/// Legend entries placed left to right, wrapping at the chart's width.
fn legend_rows(legend: &[(Key, String)]) -> Vec<Vec<(f64, Key, String)>> {
    let mut rows: Vec<Vec<(f64, Key, String)>> = Vec::new();
    let mut x = LEFT;
    for (key, label) in legend {
        let label = truncate(label, 60);
        let width = legend_width(&label);
        if rows.is_empty() || (x + width > WIDTH - RIGHT && x > LEFT) {
            rows.push(Vec::new());
            x = LEFT;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, *key, label));
        }
        x += width;
    }
    rows
}

/// The width of a legend entry: key, gap, text, gap.
fn legend_width(label: &str) -> f64 {
    18.0 + CHAR_WIDTH * label.chars().count() as f64 + 18.0
}

/// A step of 1, 2 or 5 times a power of ten giving about six gridlines
/// (as in wfm's chart).
fn nice_step(max: f64) -> f64 {
    let raw = (max / 6.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * power)
}

/// What the y axis measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scale {
    /// Counts or agents, from zero to a round number above the data.
    Count,
    /// A share, always 0–100 % so charts compare at a glance.
    Share,
}

/// A y axis: its top, gridline step and how labels read.
struct YAxis {
    max: f64,
    step: f64,
    share: bool,
}

impl YAxis {
    fn new(scale: Scale, data_max: f64) -> YAxis {
        match scale {
            Scale::Share => YAxis {
                max: 1.0,
                step: 0.2,
                share: true,
            },
            Scale::Count => {
                let top = if data_max.is_finite() {
                    data_max.max(1.0)
                } else {
                    1.0
                };
                let step = nice_step(top);
                YAxis {
                    max: (top / step).ceil() * step,
                    step,
                    share: false,
                }
            }
        }
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let n = (self.max / self.step).round() as usize;
        (0..=n).map(|i| i as f64 * self.step)
    }

    fn label(&self, v: f64) -> String {
        if self.share {
            format!("{:.0}%", v * 100.0)
        } else {
            let places = (-self.step.log10().floor()).max(0.0) as usize;
            format!("{v:.places$}")
        }
    }

    /// The y coordinate of `v` in a plot from `top` down `height`.
    fn y(&self, v: f64, top: f64, height: f64) -> f64 {
        top + height * (1.0 - (v / self.max).clamp(0.0, 1.0))
    }
}

/// Horizontal gridlines with their labels, and the rotated axis title.
fn y_grid(out: &mut String, axis: &YAxis, left: f64, top: f64, x_end: f64, label: &str) {
    for v in axis.ticks() {
        let y = axis.y(v, top, PLOT_HEIGHT);
        let _ = writeln!(
            out,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{x_end:.1}" y2="{y:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 6.0,
            y + 4.0,
            axis.label(v)
        );
    }
    let _ = writeln!(
        out,
        r#"<text transform="translate({:.0} {:.0}) rotate(-90)" text-anchor="middle">{}</text>"#,
        left - 42.0,
        top + PLOT_HEIGHT / 2.0,
        escape(label)
    );
}

/// One stacked bar: (from, to, colour) segments and a tooltip.
pub(crate) struct Bar {
    pub(crate) segments: Vec<(f64, f64, &'static str)>,
    pub(crate) tip: String,
}

/// A series drawn as a step line across each interval.
pub(crate) struct StepLine {
    pub(crate) values: Vec<Option<f64>>,
    pub(crate) colour: &'static str,
}

/// Bars per interval, optional step lines and a dashed reference line.
pub(crate) struct IntervalChart<'a> {
    pub(crate) title: String,
    /// Interval starts, local, in order, gaps filled.
    pub(crate) slots: &'a [Zoned],
    pub(crate) interval: Interval,
    pub(crate) scale: Scale,
    pub(crate) y_label: &'static str,
    pub(crate) legend: Vec<(Key, String)>,
    /// One per slot.
    pub(crate) bars: Vec<Option<Bar>>,
    pub(crate) lines: Vec<StepLine>,
    /// Slots to shade as having no value (empty: none).
    pub(crate) shade: Vec<bool>,
    /// What a shaded slot means, for the legend and tooltip.
    pub(crate) shade_means: &'static str,
    /// A target, drawn dashed; the legend names it.
    pub(crate) reference: Option<f64>,
}

impl IntervalChart<'_> {
    pub(crate) fn render(mut self) -> Figure {
        if self.shade.contains(&true) {
            self.legend
                .push((Key::Fill(SHADE), self.shade_means.to_string()));
        }
        let n = self.slots.len().max(1);
        let slot = ((WIDTH - LEFT - RIGHT) / n as f64).min(MAX_SLOT);
        let x_end = LEFT + slot * n as f64;
        let gap = if slot > 4.0 { slot * 0.18 } else { 0.0 };
        let data_max = self
            .bars
            .iter()
            .flatten()
            .flat_map(|b| b.segments.iter().map(|s| s.1))
            .chain(
                self.lines
                    .iter()
                    .flat_map(|l| l.values.iter().flatten().copied()),
            )
            .chain(self.reference)
            .fold(0.0, f64::max);
        let axis = YAxis::new(self.scale, data_max);
        let mut svg = Svg::open(x_end + RIGHT, PLOT_HEIGHT + 48.0, &self.title, &self.legend);
        let top = svg.top;
        let bottom = top + PLOT_HEIGHT;
        let w = &mut svg.out;
        let y = |v: f64| axis.y(v, top, PLOT_HEIGHT);
        let x = |i: usize| LEFT + i as f64 * slot;

        // One rectangle per run of shaded slots: adjacent thin rectangles
        // would show seams.
        let mut i = 0;
        while i < self.shade.len() {
            if !self.shade[i] {
                i += 1;
                continue;
            }
            let run = self.shade[i..].iter().take_while(|&&s| s).count();
            let _ = writeln!(
                w,
                r#"<rect x="{:.2}" y="{top:.1}" width="{:.2}" height="{PLOT_HEIGHT}" fill="{SHADE}"><title>{}</title></rect>"#,
                x(i),
                slot * run as f64,
                escape(self.shade_means)
            );
            i += run;
        }
        y_grid(w, &axis, LEFT, top, x_end, self.y_label);
        for (i, bar) in self.bars.iter().enumerate() {
            let Some(bar) = bar else { continue };
            let _ = write!(w, r#"<g class="bar"><title>{}</title>"#, escape(&bar.tip));
            // A zero (a service level of 0 %) is a sliver, not a gap that
            // would read as "no data".
            if let Some(&(_, _, colour)) = bar.segments.first()
                && bar.segments.iter().all(|&(from, to, _)| to <= from)
            {
                let _ = write!(
                    w,
                    r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="2" fill="{colour}"/>"#,
                    x(i) + gap / 2.0,
                    bottom - 2.0,
                    (slot - gap).max(0.5)
                );
            }
            for &(from, to, colour) in &bar.segments {
                if to > from {
                    let _ = write!(
                        w,
                        r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{colour}"/>"#,
                        x(i) + gap / 2.0,
                        y(to),
                        (slot - gap).max(0.5),
                        y(from) - y(to)
                    );
                }
            }
            w.push_str("</g>\n");
        }
        for line in &self.lines {
            let mut path = String::new();
            let mut drawing = false;
            for (i, v) in line.values.iter().enumerate() {
                match v {
                    Some(v) => {
                        let _ = write!(
                            path,
                            "{}{:.2},{:.2} H{:.2} ",
                            if drawing { "L" } else { "M" },
                            x(i),
                            y(*v),
                            x(i + 1)
                        );
                        drawing = true;
                    }
                    None => drawing = false,
                }
            }
            if !path.is_empty() {
                let _ = writeln!(
                    w,
                    r#"<path d="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                    path.trim_end(),
                    line.colour
                );
            }
        }
        if let Some(value) = self.reference {
            let ry = y(value);
            let _ = writeln!(
                w,
                r#"<line x1="{LEFT}" y1="{ry:.1}" x2="{x_end:.1}" y2="{ry:.1}" stroke="black" stroke-width="1.5" stroke-dasharray="5 3"/>"#
            );
        }
        let _ = writeln!(
            w,
            r#"<line x1="{LEFT}" y1="{bottom:.1}" x2="{x_end:.1}" y2="{bottom:.1}" stroke="black"/>"#
        );
        x_labels(w, self.slots, self.interval, slot, bottom);
        svg.finish()
    }
}

/// Tick labels under the bars: round times of day for intervals within a
/// day (with the date under the first interval of each day and a divider
/// where a day starts), dates for days and weeks, months for months; as
/// many as fit.
fn x_labels(out: &mut String, slots: &[Zoned], interval: Interval, slot: f64, bottom: f64) {
    let x = |i: usize| LEFT + i as f64 * slot;
    let tick = |out: &mut String, i: usize, text: &str| {
        let _ = writeln!(
            out,
            r##"<line x1="{0:.2}" y1="{bottom:.1}" x2="{0:.2}" y2="{1:.1}" stroke="#666"/><text x="{0:.2}" y="{2:.1}" text-anchor="middle" font-size="11">{3}</text>"##,
            x(i),
            bottom + 4.0,
            bottom + 16.0,
            text
        );
    };
    let minutes = match interval {
        Interval::Minutes15 => Some(15),
        Interval::Minutes30 => Some(30),
        Interval::Minutes60 => Some(60),
        Interval::Day | Interval::Week | Interval::Month => None,
    };
    let Some(minutes) = minutes else {
        let (format, room) = match interval {
            Interval::Month => ("%Y-%m", 52.0),
            Interval::Day if slot >= 70.0 => ("%a %m-%d", 70.0),
            _ => ("%m-%d", 44.0),
        };
        let every = ((room / slot).ceil() as usize).max(1);
        for (i, start) in slots.iter().enumerate().step_by(every) {
            tick(out, i, &start.strftime(format).to_string());
        }
        return;
    };
    let step = [15, 30, 60, 120, 180, 240, 360, 720]
        .into_iter()
        .find(|&s| s % minutes == 0 && f64::from(s / minutes) * slot >= 40.0);
    let mut last_day: Option<f64> = None;
    for (i, start) in slots.iter().enumerate() {
        let minute_of_day = i32::from(start.hour()) * 60 + i32::from(start.minute());
        if step.is_some_and(|s| minute_of_day % s == 0) {
            tick(out, i, &start.strftime("%H:%M").to_string());
        }
        let new_day = i == 0 || slots[i - 1].date() != start.date();
        if new_day {
            if i > 0 {
                let _ = writeln!(
                    out,
                    r##"<line x1="{0:.2}" y1="{1:.1}" x2="{0:.2}" y2="{bottom:.1}" stroke="#999" stroke-dasharray="2 2"/>"##,
                    x(i),
                    bottom - PLOT_HEIGHT
                );
            }
            // Dates need about 100 units; skip one that would overlap.
            if last_day.is_none_or(|l| x(i) - l >= 100.0) {
                let _ = writeln!(
                    out,
                    r#"<text x="{:.2}" y="{:.1}" font-weight="bold" font-size="11">{}</text>"#,
                    x(i),
                    bottom + 32.0,
                    start.strftime("%a %Y-%m-%d")
                );
                last_day = Some(x(i));
            }
        }
    }
}

/// Interval starts from the first to the last of `starts`, every interval
/// in between included so the time axis is linear, plus any start off that
/// grid. `None` when that would be more than `max` intervals.
pub(crate) fn slots(
    starts: impl IntoIterator<Item = Zoned>,
    interval: Interval,
    max: usize,
) -> Option<Vec<Zoned>> {
    let mut starts: Vec<Zoned> = starts.into_iter().collect();
    starts.sort_by_key(Zoned::timestamp);
    starts.dedup_by_key(|z| z.timestamp());
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else {
        return Some(Vec::new());
    };
    let step = match interval {
        Interval::Minutes15 => 15.minutes(),
        Interval::Minutes30 => 30.minutes(),
        Interval::Minutes60 => 1.hour(),
        Interval::Day => 1.day(),
        Interval::Week => 1.week(),
        Interval::Month => 1.month(),
    };
    let mut grid = Vec::new();
    let mut at = first.clone();
    while at.timestamp() <= last.timestamp() {
        if grid.len() + starts.len() > max {
            return None;
        }
        let next = at.checked_add(step).ok()?;
        grid.push(at);
        at = next;
    }
    grid.extend(starts);
    grid.sort_by_key(Zoned::timestamp);
    grid.dedup_by_key(|z| z.timestamp());
    Some(grid)
}

/// One horizontal stacked bar: a label, a tooltip and segments of
/// (seconds, colour, tooltip).
pub(crate) struct StackRow {
    pub(crate) label: String,
    pub(crate) tip: String,
    pub(crate) segments: Vec<(f64, &'static str, String)>,
}

const LABEL_WIDTH: f64 = 170.0;
const ROW_PITCH: f64 = 22.0;

/// Horizontal stacked bars, one row each, on a time axis (h:mm).
pub(crate) fn stacked_rows(title: &str, legend: &[(Key, String)], rows: &[StackRow]) -> Figure {
    let height = rows.len() as f64 * ROW_PITCH + 40.0;
    let mut svg = Svg::open(WIDTH, height, title, legend);
    let top = svg.top;
    let w = &mut svg.out;
    let max = rows
        .iter()
        .map(|r| r.segments.iter().map(|s| s.0).sum::<f64>())
        .fold(60.0, f64::max);
    let step_minutes = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440]
        .into_iter()
        .find(|&m| max / (f64::from(m) * 60.0) <= 8.0)
        .unwrap_or(1440);
    let step = f64::from(step_minutes) * 60.0;
    let axis_max = (max / step).ceil() * step;
    let plot = WIDTH - RIGHT - LABEL_WIDTH;
    let x = |secs: f64| LABEL_WIDTH + plot * secs / axis_max;
    let bottom = top + rows.len() as f64 * ROW_PITCH;
    let ticks = (axis_max / step).round() as u64;
    for t in 0..=ticks {
        let secs = t as f64 * step;
        let _ = writeln!(
            w,
            r##"<line x1="{0:.1}" y1="{top:.1}" x2="{0:.1}" y2="{bottom:.1}" stroke="#dddddd"/><text x="{0:.1}" y="{1:.1}" text-anchor="middle" font-size="11">{2}</text>"##,
            x(secs),
            bottom + 16.0,
            hours_minutes(secs)
        );
    }
    let _ = writeln!(
        w,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">hours logged in (h:mm)</text>"#,
        LABEL_WIDTH + plot / 2.0,
        bottom + 34.0
    );
    for (r, row) in rows.iter().enumerate() {
        let y = top + r as f64 * ROW_PITCH + 3.0;
        let _ = write!(
            w,
            r#"<g class="bar"><title>{}</title><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            escape(&row.tip),
            LABEL_WIDTH - 8.0,
            y + 12.0,
            escape(&truncate(&row.label, 24))
        );
        let mut at = 0.0;
        for (secs, colour, tip) in &row.segments {
            if *secs > 0.0 {
                let _ = write!(
                    w,
                    r#"<rect x="{:.2}" y="{y:.1}" width="{:.2}" height="15" fill="{colour}"><title>{}</title></rect>"#,
                    x(at),
                    x(at + secs) - x(at),
                    escape(tip)
                );
                at += secs;
            }
        }
        w.push_str("</g>\n");
    }
    let _ = writeln!(
        w,
        r#"<line x1="{LABEL_WIDTH}" y1="{top:.1}" x2="{LABEL_WIDTH}" y2="{bottom:.1}" stroke="black"/>"#
    );
    svg.finish()
}

/// Seconds as h:mm for an axis.
fn hours_minutes(secs: f64) -> String {
    let minutes = (secs / 60.0).round() as u64;
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// Bars beyond this many are summed into one "others" bar.
const PARETO_BARS: usize = 20;
/// Characters of a Pareto category label.
const PARETO_LABEL: usize = 22;

/// A Pareto chart: one bar per category by value, largest first, with the
/// cumulative share as a line on a 0–100 % right axis and a dashed 80 %
/// guide. `value_label` names the left axis (e.g. "contacts"). Entries
/// that are not finite and positive are left out (a zero adds nothing; a
/// negative has no place in a share); past 20 categories the rest are
/// summed into a last "others" bar.
pub fn pareto_chart(title: &str, value_label: &str, items: &[(String, f64)]) -> Figure {
    let mut items: Vec<(String, f64)> = items
        .iter()
        .filter(|(_, v)| v.is_finite() && *v > 0.0)
        .cloned()
        .collect();
    items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if items.len() > PARETO_BARS {
        let rest: Vec<_> = items.split_off(PARETO_BARS - 1);
        let sum = rest.iter().map(|r| r.1).sum();
        items.push((format!("{} others", rest.len()), sum));
    }
    let total: f64 = items.iter().map(|i| i.1).sum();
    let legend = [
        (Key::Fill(BLUE), value_label.to_string()),
        (
            Key::Line("black"),
            "cumulative share (right axis)".to_string(),
        ),
        (Key::Dashed("#888888"), "80%".to_string()),
    ];
    let mut svg = Svg::open(WIDTH, PLOT_HEIGHT + 110.0, title, &legend);
    let top = svg.top;
    let bottom = top + PLOT_HEIGHT;
    let right = WIDTH - 48.0;
    let w = &mut svg.out;
    if items.is_empty() {
        let _ = writeln!(
            w,
            r##"<text x="{LEFT}" y="{:.1}" fill="#444">No data to chart.</text>"##,
            top + 20.0
        );
        return svg.finish();
    }
    let n = items.len();
    // Labels slant down to the left from their bar: the first one needs
    // room left of the axis (11 px text: about 6 units a character, 0.77
    // of it horizontal at 40°).
    let longest = items
        .iter()
        .map(|i| truncate(&i.0, PARETO_LABEL).chars().count())
        .max()
        .unwrap_or(0) as f64;
    let slot = ((right - LEFT) / n as f64).min(64.0);
    let left = LEFT.max(longest * 6.0 * 0.77 - slot / 2.0 + 4.0);
    let slot = ((right - left) / n as f64).min(64.0);
    let x_end = left + slot * n as f64;
    let axis = YAxis::new(Scale::Count, items[0].1);
    let share = YAxis::new(Scale::Share, 1.0);
    let y = |v: f64| axis.y(v, top, PLOT_HEIGHT);
    let ys = |v: f64| share.y(v, top, PLOT_HEIGHT);
    y_grid(w, &axis, left, top, x_end, value_label);
    for v in share.ticks() {
        let _ = writeln!(
            w,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            x_end + 6.0,
            ys(v) + 4.0,
            share.label(v)
        );
    }
    let _ = writeln!(
        w,
        r##"<line x1="{left:.1}" y1="{0:.1}" x2="{x_end:.1}" y2="{0:.1}" stroke="#888888" stroke-dasharray="5 3"/>"##,
        ys(0.8)
    );
    let mut cumulative = 0.0;
    let mut points = String::new();
    for (i, (label, value)) in items.iter().enumerate() {
        cumulative += value;
        let cx = left + (i as f64 + 0.5) * slot;
        let tip = format!(
            "{label}: {} ({} of all, {} cumulative)",
            number(*value),
            format::percent(Some(value / total)),
            format::percent(Some(cumulative / total))
        );
        let _ = writeln!(
            w,
            r#"<g class="bar"><title>{}</title><rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{BLUE}"/></g>"#,
            escape(&tip),
            cx - slot * 0.4,
            y(*value),
            slot * 0.8,
            bottom - y(*value)
        );
        let _ = write!(points, "{cx:.2},{:.2} ", ys(cumulative / total));
        let _ = writeln!(
            w,
            r#"<text transform="translate({:.2} {:.1}) rotate(-40)" text-anchor="end" font-size="11">{}</text>"#,
            cx + 3.0,
            bottom + 14.0,
            escape(&truncate(label, PARETO_LABEL))
        );
    }
    let _ = writeln!(
        w,
        r#"<polyline points="{}" fill="none" stroke="black" stroke-width="2"/>"#,
        points.trim_end()
    );
    for point in points.split_whitespace() {
        if let Some((px, py)) = point.split_once(',') {
            let _ = writeln!(w, r#"<circle cx="{px}" cy="{py}" r="3" fill="black"/>"#);
        }
    }
    let _ = writeln!(
        w,
        r#"<line x1="{left:.1}" y1="{bottom:.1}" x2="{x_end:.1}" y2="{bottom:.1}" stroke="black"/>"#
    );
    svg.finish()
}

/// A value as a count when whole, else with two decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v >= 0.0 && v < u64::MAX as f64 {
        format::count(v as u64)
    } else {
        format::decimal(Some(v), 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        let axis = YAxis::new(Scale::Count, 37.0);
        assert_eq!((axis.step, axis.max), (10.0, 40.0));
        assert_eq!(axis.label(20.0), "20");
        let small = YAxis::new(Scale::Count, 2.4);
        assert_eq!((small.step, small.max), (0.5, 2.5));
        assert_eq!(small.label(1.5), "1.5");
        let share = YAxis::new(Scale::Share, 0.3);
        assert_eq!(share.ticks().count(), 6);
        assert_eq!(share.label(0.6), "60%");
    }

    #[test]
    fn pareto_sorts_and_lumps_the_tail() {
        let items: Vec<(String, f64)> = (0..25).map(|i| (format!("r{i}"), f64::from(i))).collect();
        let svg = pareto_chart("Reasons", "contacts", &items).svg;
        // r0 (zero) is left out; 24 remain: 19 bars and "5 others".
        assert_eq!(svg.matches(r#"class="bar""#).count(), 20);
        assert!(svg.contains("5 others"));
        let first = svg.find(">r24<").unwrap();
        let second = svg.find(">r23<").unwrap();
        assert!(first < second, "largest first");
        let empty = pareto_chart("Reasons", "contacts", &[]).svg;
        assert!(empty.contains("No data to chart."));
    }
}
