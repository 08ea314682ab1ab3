//! The coverage chart: agents on the phones per interval against the
//! requirement, as hand-written SVG (a few hundred rectangles need no
//! plotting library).
//!
//! Key function: [`coverage_svg`]. Each day is a block of bars over the
//! same hours; a bar is blue up to the requirement, green above it (over
//! coverage) and red where it falls short; the requirement is a black step
//! line; closed hours are shaded grey.

use std::collections::BTreeMap;
use std::fmt::Write;

use jiff::civil::Date;

use super::DAY;
use super::solve::{CoverageRow, Plan, weekday_name};

const PLOT_HEIGHT: f64 = 320.0;
const LEFT: f64 = 56.0;
const TOP: f64 = 78.0;
const RIGHT: f64 = 16.0;
const BOTTOM: f64 = 52.0;
const DAY_GAP: f64 = 10.0;
const BLUE: &str = "#4a78b5";
const GREEN: &str = "#8cc084";
const RED: &str = "#d7301f";

/// A step of 1, 2 or 5 times a power of ten giving about six gridlines.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 6.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * power)
}

/// The plan's coverage as an SVG document.
pub fn coverage_svg(plan: &Plan) -> String {
    let interval = plan.interval_minutes;
    let minute_of_day =
        |row: &CoverageRow| row.start.hour() as u32 * 60 + row.start.minute() as u32;
    let first = plan.coverage.iter().map(minute_of_day).min().unwrap_or(0);
    let last = plan
        .coverage
        .iter()
        .map(|r| minute_of_day(r) + interval)
        .max()
        .unwrap_or(DAY);
    let slots = ((last - first) / interval).max(1) as usize;
    let mut days: BTreeMap<Date, Vec<Option<&CoverageRow>>> = BTreeMap::new();
    for row in &plan.coverage {
        let slot = ((minute_of_day(row) - first) / interval) as usize;
        days.entry(row.start.date())
            .or_insert_with(|| vec![None; slots])[slot] = Some(row);
    }
    let total = (days.len() * slots).max(1);
    let bar = (1400.0 / total as f64).clamp(2.0, 24.0);
    let block = bar * slots as f64;
    let width = LEFT + RIGHT + days.len().max(1) as f64 * (block + DAY_GAP) - DAY_GAP;
    let height = TOP + PLOT_HEIGHT + BOTTOM;
    let top = plan
        .coverage
        .iter()
        .map(|r| r.required.max(r.scheduled))
        .fold(1.0, f64::max);
    let step = nice_step(top);
    let y_max = (top / step).ceil() * step;
    let y = |v: f64| TOP + PLOT_HEIGHT * (1.0 - v / y_max);

    let mut svg = String::new();
    let w = &mut svg;
    let _ = writeln!(
        w,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(w, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        w,
        r#"<text x="{LEFT}" y="22" font-size="16" font-weight="bold">Coverage: agents on the phones against the requirement</text>"#
    );
    let _ = writeln!(
        w,
        r##"<text x="{LEFT}" y="42" fill="#444">cost {:.2} · {} agent-shifts · short {:.1} agent-hours · over {:.1} agent-hours · {}-minute intervals</text>"##,
        plan.cost, plan.agent_shifts, plan.short_hours, plan.over_hours, interval
    );
    let legend = [
        ("rect", BLUE, "scheduled, up to the requirement"),
        ("rect", GREEN, "over the requirement"),
        ("rect", RED, "short of the requirement"),
        ("line", "black", "requirement"),
        ("rect", "#eeeeee", "closed"),
    ];
    let mut lx = LEFT;
    for (shape, colour, label) in legend {
        if shape == "rect" {
            let _ = writeln!(
                w,
                r##"<rect x="{lx}" y="52" width="12" height="12" fill="{colour}" stroke="#999" stroke-width="0.5"/>"##
            );
        } else {
            let _ = writeln!(
                w,
                r#"<line x1="{lx}" y1="58" x2="{:.0}" y2="58" stroke="{colour}" stroke-width="2"/>"#,
                lx + 12.0
            );
        }
        let _ = writeln!(w, r#"<text x="{:.0}" y="63">{label}</text>"#, lx + 16.0);
        lx += 16.0 + 6.6 * label.len() as f64 + 18.0;
    }

    let mut v = 0.0;
    while v <= y_max + 1e-9 {
        let _ = writeln!(
            w,
            r##"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#dddddd"/><text x="{2:.1}" y="{3:.1}" text-anchor="end">{4}</text>"##,
            y(v),
            width - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            v
        );
        v += step;
    }
    let _ = writeln!(
        w,
        r#"<text transform="translate(16 {:.0}) rotate(-90)" text-anchor="middle">agents</text>"#,
        TOP + PLOT_HEIGHT / 2.0
    );

    let slots_per_hour = (60 / interval).max(1) as usize;
    let label_every = [1, 2, 3, 4, 6, 12]
        .into_iter()
        .find(|&h| bar * (slots_per_hour * h) as f64 >= 30.0)
        .unwrap_or(24);
    for (d, (date, rows)) in days.iter().enumerate() {
        let x0 = LEFT + d as f64 * (block + DAY_GAP);
        let mut line = String::new();
        for (i, row) in rows.iter().enumerate() {
            let x = x0 + i as f64 * bar;
            let Some(row) = row else {
                let _ = writeln!(
                    w,
                    r##"<rect x="{x:.2}" y="{TOP}" width="{bar:.2}" height="{PLOT_HEIGHT}" fill="#eeeeee"/>"##
                );
                continue;
            };
            if !row.open {
                let _ = writeln!(
                    w,
                    r##"<rect x="{x:.2}" y="{TOP}" width="{bar:.2}" height="{PLOT_HEIGHT}" fill="#eeeeee"/>"##
                );
            }
            let met = row.scheduled.min(row.required);
            let mut segment = |from: f64, to: f64, colour: &str| {
                if to > from {
                    let _ = writeln!(
                        w,
                        r#"<rect x="{x:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{colour}"><title>{} {}: need {:.2}, scheduled {:.2}</title></rect>"#,
                        y(to),
                        (bar - 0.6).max(1.0),
                        y(from) - y(to),
                        weekday_name(row.start.date()),
                        row.start.strftime("%H:%M"),
                        row.required,
                        row.scheduled
                    );
                }
            };
            segment(0.0, met, BLUE);
            segment(row.required, row.scheduled, GREEN);
            segment(row.scheduled.max(0.0), row.required, RED);
            let _ = write!(
                line,
                "{}{x:.2},{:.2} H{:.2}",
                if line.is_empty() { "M" } else { " L" },
                y(row.required),
                x + bar
            );
        }
        if !line.is_empty() {
            let _ = writeln!(
                w,
                r#"<path d="{line}" fill="none" stroke="black" stroke-width="1.6"/>"#
            );
        }
        for (i, _) in rows.iter().enumerate() {
            let minute = first as usize + i * interval as usize;
            if minute.is_multiple_of(60) && (minute / 60).is_multiple_of(label_every) {
                let x = x0 + i as f64 * bar;
                let _ = writeln!(
                    w,
                    r##"<line x1="{x:.2}" y1="{0:.1}" x2="{x:.2}" y2="{1:.1}" stroke="#666"/><text x="{x:.2}" y="{2:.1}" text-anchor="middle" font-size="10">{3}</text>"##,
                    TOP + PLOT_HEIGHT,
                    TOP + PLOT_HEIGHT + 4.0,
                    TOP + PLOT_HEIGHT + 15.0,
                    minute / 60 % 24
                );
            }
        }
        let _ = writeln!(
            w,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{} {}</text>"#,
            x0 + block / 2.0,
            TOP + PLOT_HEIGHT + 34.0,
            weekday_name(*date),
            date.strftime("%m-%d")
        );
    }
    let _ = writeln!(
        w,
        r#"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="black"/>"#,
        TOP + PLOT_HEIGHT,
        width - RIGHT
    );
    svg.push_str("</svg>\n");
    svg
}
