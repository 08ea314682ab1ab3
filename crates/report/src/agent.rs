//! The agent page: where each agent's logged-in time went, and the agent
//! table.
//!
//! Key function: [`agent_page`]. The chart stacks, per agent, ready,
//! ringing, talking, hold, wrap-up and not ready by reason, so each bar is
//! the logged-in time. The totals row is re-aggregated from the rows'
//! times and counts (occupancy = Σ busy ÷ Σ(busy + ready)), never averaged.

use std::collections::{BTreeMap, BTreeSet};

use acd::model::{AgentId, Code, Span};
use jiff::{Timestamp, Zoned};
use kpi::{AgentReport, AgentRow};

use crate::chart::{BLUE, GREEN, Key, StackRow, stacked_rows};
use crate::format;
use crate::page::{Frame, Names, Page, PageBuilder};
use crate::table::{Cell, Column, table_html};

/// Ringing (reserved): the agent is not yet talking.
const RINGING: &str = "#f2d680";
/// Hold and wrap-up: busy, shades of the talking blue.
const HOLD: &str = "#8fb0da";
const WRAP: &str = "#2f5288";
/// Not-ready reasons: warm colours, in reason-code order, repeating.
const REASONS: [&str; 6] = [
    "#e6550d", "#fdae6b", "#a63603", "#fd8d3c", "#fdd0a2", "#7f2704",
];

/// The agent page. A report by period (rows with a `start`) is summed per
/// agent for the chart and the main table, and listed by period below.
pub fn agent_page(frame: &Frame, names: &Names, report: &AgentReport) -> Page {
    let mut page = PageBuilder::new(frame, "Agent report", &[]);
    if report.rows.is_empty() {
        page.empty("No agent activity in this period: nothing to report.");
        return page.finish(&method());
    }
    let mut agents: BTreeMap<AgentId, Time> = BTreeMap::new();
    for row in &report.rows {
        agents.entry(row.agent).or_default().add(&Time::of(row));
    }
    let mut total = Time::default();
    for time in agents.values() {
        total.add(time);
    }
    let reasons: Vec<&Code> = total.reasons.keys().collect();
    let colour = |code: &Code| {
        let i = reasons.iter().position(|c| *c == code).unwrap_or(0);
        REASONS[i % REASONS.len()]
    };

    let mut legend = vec![
        (Key::Fill(GREEN), "ready".to_string()),
        (Key::Fill(RINGING), "ringing".to_string()),
        (Key::Fill(BLUE), "talking".to_string()),
        (Key::Fill(HOLD), "hold".to_string()),
        (Key::Fill(WRAP), "wrap-up".to_string()),
    ];
    legend.extend(
        reasons
            .iter()
            .map(|c| (Key::Fill(colour(c)), format!("not ready: {c}"))),
    );
    let bars: Vec<StackRow> = agents
        .iter()
        .map(|(&agent, time)| {
            let name = names.agent(agent);
            let part = |label: &str, s: Span, colour: &'static str| {
                let tip = format!(
                    "{name}: {label} {} ({})",
                    format::duration(s),
                    format::percent(ratio(s, time.logged_in))
                );
                (s.as_secs_f64(), colour, tip)
            };
            let mut segments = vec![
                part("ready", time.ready, GREEN),
                part("ringing", time.reserved, RINGING),
                part("talking", time.talking, BLUE),
                part("hold", time.on_hold, HOLD),
                part("wrap-up", time.wrap_up, WRAP),
            ];
            for (code, &span) in &time.reasons {
                segments.push(part(&format!("not ready: {code}"), span, colour(code)));
            }
            StackRow {
                tip: format!(
                    "{name} ({agent}): logged in {}",
                    format::duration(time.logged_in)
                ),
                label: name,
                segments,
            }
        })
        .collect();
    stacked_rows("Time accounting: logged-in time by state", &legend, &bars).embed(&mut page.out);

    let columns = |first: &[&str]| -> Vec<Column> {
        first
            .iter()
            .map(|h| Column::text(h))
            .chain(MEASURES.map(Column::number))
            .collect()
    };
    let rows: Vec<Vec<Cell>> = agents
        .iter()
        .map(|(&agent, time)| {
            let mut cells = vec![Cell::from(names.agent(agent)).with_hint(agent.to_string())];
            cells.extend(time.cells());
            cells
        })
        .collect();
    let mut total_cells = vec![Cell::from(format!("Total ({} agents)", agents.len()))];
    total_cells.extend(total.cells());
    page.out.push_str("<h2>Agents</h2>\n");
    table_html(
        &mut page.out,
        &columns(&["Agent"]),
        &rows,
        Some(&total_cells),
    );

    if !reasons.is_empty() {
        page.out.push_str("<h2>Not ready by reason</h2>\n");
        let mut columns = vec![Column::text("Agent")];
        columns.extend(reasons.iter().map(|c| Column::number(c.as_str())));
        let cells = |time: &Time| -> Vec<Cell> {
            reasons
                .iter()
                .map(|&c| {
                    let span = time.reasons.get(c).copied().unwrap_or_default();
                    Cell::from(format!(
                        "{} ({})",
                        format::duration(span),
                        format::percent(ratio(span, time.logged_in))
                    ))
                })
                .collect()
        };
        let rows: Vec<Vec<Cell>> = agents
            .iter()
            .map(|(&agent, time)| {
                let mut row = vec![Cell::from(names.agent(agent))];
                row.extend(cells(time));
                row
            })
            .collect();
        let mut total_cells = vec![Cell::from("Total")];
        total_cells.extend(cells(&total));
        table_html(&mut page.out, &columns, &rows, Some(&total_cells));
    }

    let periods: BTreeSet<Timestamp> = report
        .rows
        .iter()
        .filter_map(|r| r.start.as_ref().map(Zoned::timestamp))
        .collect();
    if periods.len() > 1 {
        page.out.push_str("<h2>By period</h2>\n");
        let mut by_period: Vec<&AgentRow> = report.rows.iter().collect();
        by_period.sort_by_key(|r| (r.start.as_ref().map(Zoned::timestamp), r.agent));
        let rows: Vec<Vec<Cell>> = by_period
            .iter()
            .map(|row| {
                let start = row.start.as_ref().map(|z| frame.local(z));
                let mut cells = vec![
                    Cell::from(start.as_ref().map_or(String::new(), period_label)),
                    Cell::from(names.agent(row.agent)).with_hint(row.agent.to_string()),
                ];
                cells.extend(Time::of(row).cells());
                cells
            })
            .collect();
        table_html(&mut page.out, &columns(&["Period", "Agent"]), &rows, None);
    }
    page.finish(&method())
}

/// A period start: the date when it starts at midnight, else date and
/// time.
fn period_label(start: &Zoned) -> String {
    let format = if start.hour() == 0 && start.minute() == 0 {
        "%a %Y-%m-%d"
    } else {
        "%a %m-%d %H:%M"
    };
    start.strftime(format).to_string()
}

/// The number columns of the agent tables, as [`Time::cells`] fills them.
const MEASURES: [&str; 14] = [
    "Logged in",
    "Ready",
    "Ringing",
    "Talking",
    "Hold",
    "Wrap-up",
    "Not ready",
    "Handled",
    "AHT",
    "Calls per hour",
    "Occupancy",
    "Utilization",
    "Not-ready rate",
    "Logouts",
];

fn ratio(part: Span, whole: Span) -> Option<f64> {
    (whole > Span::ZERO).then(|| part.as_millis() as f64 / whole.as_millis() as f64)
}

/// One row's times and counts, or their sum.
#[derive(Default)]
struct Time {
    logged_in: Span,
    ready: Span,
    reserved: Span,
    talking: Span,
    on_hold: Span,
    wrap_up: Span,
    not_ready: Span,
    reasons: BTreeMap<Code, Span>,
    handled: u64,
    /// Handle time of the handled legs, seconds (AHT × handled).
    handle: f64,
    logouts: u64,
}

impl Time {
    fn of(row: &AgentRow) -> Self {
        Time {
            logged_in: row.logged_in,
            ready: row.ready,
            reserved: row.reserved,
            talking: row.talking,
            on_hold: row.on_hold,
            wrap_up: row.wrap_up,
            not_ready: row.not_ready,
            reasons: row.not_ready_by_reason.clone(),
            handled: row.handled,
            handle: row.aht.unwrap_or(0.0) * row.handled as f64,
            logouts: u64::from(row.logouts),
        }
    }

    fn add(&mut self, other: &Time) {
        self.logged_in = self.logged_in + other.logged_in;
        self.ready = self.ready + other.ready;
        self.reserved = self.reserved + other.reserved;
        self.talking = self.talking + other.talking;
        self.on_hold = self.on_hold + other.on_hold;
        self.wrap_up = self.wrap_up + other.wrap_up;
        self.not_ready = self.not_ready + other.not_ready;
        for (code, &span) in &other.reasons {
            let sum = self.reasons.entry(code.clone()).or_default();
            *sum = *sum + span;
        }
        self.handled += other.handled;
        self.handle += other.handle;
        self.logouts += other.logouts;
    }

    /// The cells under the agent table's number columns, with kpi's
    /// definitions of the ratios.
    fn cells(&self) -> Vec<Cell> {
        let busy = self.talking + self.on_hold + self.wrap_up;
        let hours = self.logged_in.as_secs_f64() / 3600.0;
        [
            format::duration(self.logged_in),
            format::duration(self.ready),
            format::duration(self.reserved),
            format::duration(self.talking),
            format::duration(self.on_hold),
            format::duration(self.wrap_up),
            format::duration(self.not_ready),
            format::count(self.handled),
            format::wait((self.handled > 0).then(|| self.handle / self.handled as f64)),
            format::decimal((hours > 0.0).then(|| self.handled as f64 / hours), 1),
            format::percent(ratio(busy, busy + self.ready)),
            format::percent(ratio(busy, self.logged_in)),
            format::percent(ratio(self.not_ready, self.logged_in)),
            format::count(self.logouts),
        ]
        .map(Cell::from)
        .into()
    }
}

fn method() -> Vec<(&'static str, String)> {
    vec![
        (
            "Time by state",
            "Every logged-in millisecond is in exactly one state: ready (idle, waiting for \
             a contact), ringing (a contact offered, not yet answered), talking, hold, \
             wrap-up (after-call work) or not ready with a reason code. States still open \
             at the end of the records are counted up to the last record."
                .to_string(),
        ),
        (
            "Ratios",
            "Occupancy: (talking + hold + wrap-up) ÷ (talking + hold + wrap-up + ready). \
             Utilization: (talking + hold + wrap-up) ÷ logged in. Not-ready rate: not ready \
             ÷ logged in. Calls per hour: handled ÷ logged-in hours. AHT: (talk + hold + \
             wrap-up) of the handled legs ÷ handled, m:ss."
                .to_string(),
        ),
        (
            "Totals",
            "The totals row adds the agents' times and counts and computes each ratio again \
             from the sums, never by averaging the agents' ratios."
                .to_string(),
        ),
    ]
}
