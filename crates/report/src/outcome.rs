//! The outcome page: success rate per week or month against the target.
//!
//! Key function: [`outcome_page`]. The chart has one bar per period (blue
//! when the target is met or none is set, red when missed, grey when no
//! contact was handled) and the target as a dashed line; the table counts
//! handled legs by outcome code, and its total is Σ successes ÷ Σ handled.

use std::collections::{BTreeMap, BTreeSet};

use acd::model::Code;
use jiff::Timestamp;
use kpi::{Interval, OutcomeReport, OutcomeRow, Period};

use crate::chart::{self, BLUE, Bar, IntervalChart, Key, RED, Scale};
use crate::format;
use crate::page::{Frame, Page, PageBuilder};
use crate::table::{Cell, Column, Tone, table_html};

/// The outcome-code page.
pub fn outcome_page(frame: &Frame, report: &OutcomeReport) -> Page {
    let success: Vec<&str> = report.success.iter().map(Code::as_str).collect();
    let target = report.rows.iter().find_map(|r| r.target).map(|t| t.get());
    let mut page = PageBuilder::new(
        frame,
        "Outcome report",
        &[
            (
                "Period length",
                match report.period {
                    Period::Week => "week (from Monday)",
                    Period::Month => "calendar month",
                }
                .to_string(),
            ),
            (
                "Success codes",
                if success.is_empty() {
                    "none".to_string()
                } else {
                    success.join(", ")
                },
            ),
            (
                "Target",
                target.map_or("none set".to_string(), |t| format::percent(Some(t))),
            ),
        ],
    );
    if report.rows.is_empty() {
        page.empty("No handled contacts in this period: nothing to report.");
        return page.finish(&method());
    }
    let interval = match report.period {
        Period::Week => Interval::Week,
        Period::Month => Interval::Month,
    };
    let name = |row: &OutcomeRow| {
        let start = frame.local(&row.start);
        match report.period {
            Period::Week => format!("week of {}", start.strftime("%a %Y-%m-%d")),
            Period::Month => start.strftime("%Y-%m").to_string(),
        }
    };

    let starts = report.rows.iter().map(|r| frame.local(&r.start));
    // Periods are few; the bound only guards against absurd inputs.
    if let Some(slots) = chart::slots(starts, interval, 1_000) {
        let by_start: BTreeMap<Timestamp, &OutcomeRow> = report
            .rows
            .iter()
            .map(|r| (r.start.timestamp(), r))
            .collect();
        let at: Vec<Option<&OutcomeRow>> = slots
            .iter()
            .map(|s| by_start.get(&s.timestamp()).copied())
            .collect();
        let bars = at
            .iter()
            .map(|row| {
                let row = row.as_ref()?;
                let rate = row.success_rate?;
                let colour = if row.met == Some(false) { RED } else { BLUE };
                Some(Bar {
                    segments: vec![(0.0, rate, colour)],
                    tip: format!(
                        "{}: {} ({} of {})",
                        name(row),
                        format::percent(Some(rate)),
                        row.successes,
                        row.handled
                    ),
                })
            })
            .collect();
        let shade = at.iter().map(Option::is_none).collect();
        let legend = match target {
            Some(t) => vec![
                (Key::Fill(BLUE), "target met".to_string()),
                (Key::Fill(RED), "below target".to_string()),
                (
                    Key::Dashed("black"),
                    format!("target {}", format::percent(Some(t))),
                ),
            ],
            None => vec![(Key::Fill(BLUE), "success rate (no target set)".to_string())],
        };
        IntervalChart {
            title: format!(
                "Success rate per {}",
                match report.period {
                    Period::Week => "week",
                    Period::Month => "month",
                }
            ),
            slots: &slots,
            interval,
            scale: Scale::Share,
            y_label: "success rate",
            legend,
            bars,
            lines: Vec::new(),
            shade,
            shade_means: "no handled contact",
            reference: target,
        }
        .render()
        .embed(&mut page.out);
    }

    let codes: BTreeSet<&Code> = report.rows.iter().flat_map(|r| r.by_code.keys()).collect();
    let mut columns = vec![Column::text("Period"), Column::number("Handled")];
    columns.extend(codes.iter().map(|c| {
        let mark = if report.success.contains(*c) {
            " ✓"
        } else {
            ""
        };
        Column::number(&format!("{c}{mark}"))
    }));
    columns.extend(["No code", "Successes", "Success rate", "Target met"].map(Column::number));
    let cells = |label: String,
                 handled: u64,
                 by_code: &dyn Fn(&Code) -> u64,
                 uncoded: u64,
                 successes: u64| {
        let rate = (handled > 0).then(|| successes as f64 / handled as f64);
        let met = target.zip(rate).map(|(t, r)| r >= t);
        let mut cells = vec![Cell::from(label), Cell::from(format::count(handled))];
        cells.extend(codes.iter().map(|c| Cell::from(format::count(by_code(c)))));
        cells.extend([
            Cell::from(format::count(uncoded)),
            Cell::from(format::count(successes)),
            Cell::from(format::percent(rate)).with_hint(format!("{successes} of {handled}")),
            match met {
                Some(true) => Cell::toned("met", Tone::Good),
                Some(false) => Cell::toned("missed", Tone::Bad),
                None => Cell::toned(format::NONE, Tone::Muted),
            },
        ]);
        cells
    };
    let rows: Vec<Vec<Cell>> = report
        .rows
        .iter()
        .map(|row| {
            cells(
                name(row),
                row.handled,
                &|c| row.by_code.get(c).copied().unwrap_or(0),
                row.uncoded,
                row.successes,
            )
        })
        .collect();
    let sum = |f: &dyn Fn(&OutcomeRow) -> u64| report.rows.iter().map(f).sum::<u64>();
    let total = cells(
        "Total".to_string(),
        sum(&|r| r.handled),
        &|c| sum(&|r| r.by_code.get(c).copied().unwrap_or(0)),
        sum(&|r| r.uncoded),
        sum(&|r| r.successes),
    );
    table_html(&mut page.out, &columns, &rows, Some(&total));
    page.finish(&method())
}

fn method() -> Vec<(&'static str, String)> {
    vec![
        (
            "Success rate",
            "Handled legs wrapped up with a success code (✓) ÷ handled legs, counted in the \
             period in which the leg entered its queue. A handled leg wrapped up without a \
             code counts as handled, not as a success."
                .to_string(),
        ),
        (
            "Totals",
            "The totals row adds the periods' counts; its success rate is Σ successes ÷ \
             Σ handled, not an average of the periods' rates."
                .to_string(),
        ),
    ]
}
