//! The queue interval page.
//!
//! Key types: [`QueueSettings`] (interval length, the definition charts
//! use, a [`QueuePlan`] per queue) and [`queue_page`]. A [`Series`] is a
//! plain list of (local interval start, value): a wfm forecast is
//! `demand.iter().map(|d| (d.start, d.contacts))`, a requirement
//! `requirements.iter().map(|r| (r.start, r.agents))`.
//!
//! The page: a summary with one totals row per queue (and all queues),
//! then per queue three charts (volume against forecast, service level
//! against target, staff against requirement) and the interval table with
//! its totals. Totals are re-aggregated from the rows' counts and sums —
//! a total ASA is Σ(ASA × answered) ÷ Σ answered — never averages of
//! averages.

use std::collections::BTreeMap;
use std::fmt::Write;

use acd::model::{QueueId, Span};
use jiff::civil::DateTime;
use jiff::{Timestamp, Zoned};
use kpi::{Count, Interval, QueueReport, QueueRow, Rate, SlDefinition};

use crate::chart::{self, BLUE, Bar, GREEN, GREY, IntervalChart, Key, RED, Scale, StepLine};
use crate::format;
use crate::page::{DEFINITIONS, Frame, Names, Page, PageBuilder, basis_html, escape, sl_name};
use crate::table::{Cell, Column, Tone, table_html};

/// Values per interval: (center-local interval start, value).
pub type Series = Vec<(DateTime, f64)>;

/// What the page draws against a queue's actuals; every part optional.
#[derive(Debug, Clone, Default)]
pub struct QueuePlan {
    /// Contacts expected per interval (a forecast).
    pub forecast: Series,
    /// Agents required per interval (a staffing requirement).
    pub required: Series,
    /// Agents on the phones per interval (scheduled or measured).
    pub staffed: Series,
    /// The service-level target, by the charted definition.
    pub sl_target: Option<Rate>,
}

/// Settings of the queue page.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// The report's interval length (`QueueOptions::bucketing.interval`).
    pub interval: Interval,
    /// The definition charts and targets use.
    pub charted: SlDefinition,
    /// Plans by queue.
    pub plans: BTreeMap<QueueId, QueuePlan>,
}

impl QueueSettings {
    /// No plans.
    pub fn new(interval: Interval, charted: SlDefinition) -> Self {
        QueueSettings {
            interval,
            charted,
            plans: BTreeMap::new(),
        }
    }
}

/// More intervals than this are not charted (a month of quarter hours
/// fits).
const MAX_SLOTS: usize = 3_000;

/// The queue interval page.
pub fn queue_page(
    frame: &Frame,
    names: &Names,
    report: &QueueReport,
    settings: &QueueSettings,
) -> Page {
    let mut page = PageBuilder::new(
        frame,
        "Queue interval report",
        &[("Interval", interval_name(settings.interval).to_string())],
    );
    let mut queues: BTreeMap<QueueId, Vec<&QueueRow>> = BTreeMap::new();
    for row in &report.rows {
        queues.entry(row.queue).or_default().push(row);
    }
    let thresholds: Vec<(String, Span)> = queues
        .iter()
        .map(|(&q, rows)| (names.queue(q), rows[0].threshold))
        .collect();
    let same_t = thresholds.windows(2).all(|w| w[0].1 == w[1].1);
    let shown: &[(String, Span)] = if same_t && !thresholds.is_empty() {
        &thresholds[..1]
    } else {
        &thresholds
    };
    basis_html(
        &mut page.out,
        &DEFINITIONS,
        Some(settings.charted),
        shown,
        report.short_abandon,
    );
    if queues.is_empty() {
        page.empty("No contacts in this period: nothing to report.");
        return page.finish(&method(report.short_abandon));
    }

    page.out.push_str("<h2>Summary by queue</h2>\n");
    let mut columns = vec![Column::text("Queue"), Column::number("T")];
    columns.extend(measure_columns());
    let mut summary: Vec<Vec<Cell>> = Vec::new();
    let mut all = Measures::default();
    for (&queue, rows) in &queues {
        let total = Measures::total(rows.iter().copied());
        all.add(&total);
        let mut cells = vec![
            Cell::from(names.queue(queue)).with_hint(queue.to_string()),
            Cell::from(format::seconds(rows[0].threshold)),
        ];
        cells.extend(total.cells(target(settings, queue), settings.charted));
        summary.push(cells);
    }
    let all_row = (queues.len() > 1).then(|| {
        let t = if same_t {
            format::seconds(thresholds[0].1)
        } else {
            "mixed".to_string()
        };
        let mut cells = vec![Cell::from("All queues"), Cell::from(t)];
        cells.extend(all.cells(None, settings.charted));
        cells
    });
    table_html(&mut page.out, &columns, &summary, all_row.as_deref());

    let no_plan = QueuePlan::default();
    for (&queue, rows) in &queues {
        let plan = settings.plans.get(&queue).unwrap_or(&no_plan);
        section(&mut page.out, frame, names, settings, queue, rows, plan);
    }
    page.finish(&method(report.short_abandon))
}

fn target(settings: &QueueSettings, queue: QueueId) -> Option<f64> {
    settings
        .plans
        .get(&queue)
        .and_then(|p| p.sl_target)
        .map(Rate::get)
}

/// One queue: heading, charts, interval table.
fn section(
    out: &mut String,
    frame: &Frame,
    names: &Names,
    settings: &QueueSettings,
    queue: QueueId,
    rows: &[&QueueRow],
    plan: &QueuePlan,
) {
    let threshold = rows[0].threshold;
    let _ = writeln!(
        out,
        "<section class=\"part\">\n<h2>{} <span class=\"id\">{queue}</span></h2>",
        escape(&names.queue(queue))
    );
    let target_text = plan
        .sl_target
        .map_or("no service-level target set".to_string(), |t| {
            format!(
                "target: {} ≥ {}",
                sl_name(settings.charted),
                format::percent(Some(t.get()))
            )
        });
    let _ = writeln!(
        out,
        "<p class=\"sub\">T = {} · {} · {} intervals with contacts</p>",
        format::seconds(threshold),
        target_text,
        rows.len()
    );

    let series = |s: &Series| Aligned::new(s, frame, settings.interval);
    let (forecast, required, staffed) = (
        series(&plan.forecast),
        series(&plan.required),
        series(&plan.staffed),
    );
    let starts = rows
        .iter()
        .map(|r| frame.local(&r.start))
        .chain(forecast.starts())
        .chain(required.starts())
        .chain(staffed.starts());
    match chart::slots(starts, settings.interval, MAX_SLOTS) {
        None => {
            let _ = writeln!(
                out,
                "<p class=\"empty\">Too many intervals to chart (more than {MAX_SLOTS}); \
                 choose a shorter period or a longer interval.</p>"
            );
        }
        Some(slots) => {
            let by_start: BTreeMap<Timestamp, &QueueRow> =
                rows.iter().map(|r| (r.start.timestamp(), *r)).collect();
            let at: Vec<Option<&QueueRow>> = slots
                .iter()
                .map(|s| by_start.get(&s.timestamp()).copied())
                .collect();
            volume_chart(&slots, &at, &forecast, settings.interval).embed(out);
            sl_chart(&slots, &at, settings, threshold, plan.sl_target).embed(out);
            if required.is_given() || staffed.is_given() {
                staff_chart(&slots, &required, &staffed, settings.interval).embed(out);
            }
        }
    }
    let mut missing = Vec::new();
    for (name, s) in [
        ("forecast", &forecast),
        ("required agents", &required),
        ("staffed agents", &staffed),
    ] {
        if !s.is_given() {
            missing.push(name);
        }
        if s.skipped > 0 {
            let _ = writeln!(
                out,
                "<p class=\"notes\">Not shown: {} {name} value(s) outside the period \
                 or off the interval starts.</p>",
                s.skipped
            );
        }
    }
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"notes\">Not supplied: {}.</p>",
            missing.join(", ")
        );
    }

    let mut columns = vec![Column::text("Interval")];
    columns.extend(measure_columns());
    let multi_day = rows
        .first()
        .zip(rows.last())
        .is_some_and(|(a, b)| frame.local(&a.start).date() != frame.local(&b.start).date());
    let goal = plan.sl_target.map(Rate::get);
    let table: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![Cell::from(interval_label(
                &frame.local(&row.start),
                settings.interval,
                multi_day,
            ))];
            cells.extend(Measures::of(row).cells(goal, settings.charted));
            cells
        })
        .collect();
    let mut total = vec![Cell::from("Total")];
    total.extend(Measures::total(rows.iter().copied()).cells(goal, settings.charted));
    table_html(out, &columns, &table, Some(&total));
    out.push_str("</section>\n");
}

/// A plan series keyed by interval start, with how many of its points
/// could not be placed.
struct Aligned {
    values: BTreeMap<Timestamp, (Zoned, f64)>,
    skipped: usize,
    given: bool,
}

impl Aligned {
    /// Keeps the points inside the frame's period that start an interval.
    fn new(series: &Series, frame: &Frame, interval: Interval) -> Self {
        let mut values = BTreeMap::new();
        let mut skipped = 0;
        for &(start, value) in series {
            let inside = start >= frame.from && start < frame.to;
            match start.to_zoned(frame.time_zone.clone()) {
                Ok(z) if inside && starts_interval(start, interval) && value.is_finite() => {
                    values.insert(z.timestamp(), (z, value));
                }
                _ => skipped += 1,
            }
        }
        Aligned {
            values,
            skipped,
            given: !series.is_empty(),
        }
    }

    fn is_given(&self) -> bool {
        self.given
    }

    fn starts(&self) -> impl Iterator<Item = Zoned> + '_ {
        self.values.values().map(|(z, _)| z.clone())
    }

    fn at(&self, slot: &Zoned) -> Option<f64> {
        self.values.get(&slot.timestamp()).map(|v| v.1)
    }
}

/// Whether a local date-time is the start of an interval of this length.
fn starts_interval(at: DateTime, interval: Interval) -> bool {
    let on_minute = at.second() == 0 && at.subsec_nanosecond() == 0;
    let minute_of_day = i32::from(at.hour()) * 60 + i32::from(at.minute());
    let midnight = on_minute && minute_of_day == 0;
    match interval {
        Interval::Minutes15 => on_minute && minute_of_day % 15 == 0,
        Interval::Minutes30 => on_minute && minute_of_day % 30 == 0,
        Interval::Minutes60 => on_minute && minute_of_day % 60 == 0,
        Interval::Day => midnight,
        Interval::Week => midnight && at.weekday() == jiff::civil::Weekday::Monday,
        Interval::Month => midnight && at.day() == 1,
    }
}

/// Bars of offered contacts by disposition, the forecast as a step line.
fn volume_chart(
    slots: &[Zoned],
    rows: &[Option<&QueueRow>],
    forecast: &Aligned,
    interval: Interval,
) -> chart::Figure {
    let bars = slots
        .iter()
        .zip(rows)
        .map(|(slot, row)| {
            let row = row.as_ref()?;
            let offered = row.count(Count::Offered) as f64;
            let answered = row.count(Count::Answered) as f64;
            let abandoned = row.count(Count::Abandoned) as f64;
            let mut tip = format!(
                "{}: offered {}, answered {}, abandoned {}",
                slot_name(slot, interval),
                offered,
                answered,
                abandoned
            );
            if let Some(f) = forecast.at(slot) {
                let _ = write!(tip, "; forecast {f:.1}");
            }
            Some(Bar {
                segments: vec![
                    (0.0, answered, BLUE),
                    (answered, answered + abandoned, RED),
                    (answered + abandoned, offered, GREY),
                ],
                tip,
            })
        })
        .collect();
    let mut legend = vec![
        (Key::Fill(BLUE), "answered".to_string()),
        (Key::Fill(RED), "abandoned".to_string()),
    ];
    let others = |r: &&QueueRow| {
        r.count(Count::Offered) > r.count(Count::Answered) + r.count(Count::Abandoned)
    };
    if rows.iter().flatten().any(others) {
        legend.push((
            Key::Fill(GREY),
            "overflowed, timed out or callback".to_string(),
        ));
    }
    let mut lines = Vec::new();
    let title = if forecast.is_given() {
        legend.push((Key::Line("black"), "forecast".to_string()));
        lines.push(StepLine {
            values: slots.iter().map(|s| forecast.at(s)).collect(),
            colour: "black",
        });
        "Contacts offered per interval against the forecast"
    } else {
        "Contacts offered per interval"
    };
    IntervalChart {
        title: title.to_string(),
        slots,
        interval,
        scale: Scale::Count,
        y_label: "contacts",
        legend,
        bars,
        lines,
        shade: Vec::new(),
        shade_means: "",
        reference: None,
    }
    .render()
}

/// Service level by the charted definition per interval: blue when the
/// target is met (or none is set), red when missed, grey where it is not
/// defined.
fn sl_chart(
    slots: &[Zoned],
    rows: &[Option<&QueueRow>],
    settings: &QueueSettings,
    threshold: Span,
    target: Option<Rate>,
) -> chart::Figure {
    let definition = settings.charted;
    let goal = target.map(Rate::get);
    let values: Vec<Option<(f64, String)>> = slots
        .iter()
        .zip(rows)
        .map(|(slot, row)| {
            let row = row.as_ref()?;
            let sl = row
                .service_level
                .iter()
                .find(|s| s.definition == definition)?;
            let value = sl.value?;
            let tip = format!(
                "{}: {} ({} of {})",
                slot_name(slot, settings.interval),
                format::percent(Some(value)),
                sl.within,
                sl.of
            );
            Some((value, tip))
        })
        .collect();
    let bars = values
        .iter()
        .map(|v| {
            let (value, tip) = v.as_ref()?;
            let colour = if goal.is_some_and(|g| *value < g) {
                RED
            } else {
                BLUE
            };
            Some(Bar {
                segments: vec![(0.0, *value, colour)],
                tip: tip.clone(),
            })
        })
        .collect();
    let shade = values.iter().map(Option::is_none).collect();
    let legend = match goal {
        Some(g) => vec![
            (Key::Fill(BLUE), "target met".to_string()),
            (Key::Fill(RED), "below target".to_string()),
            (
                Key::Dashed("black"),
                format!("target {}", format::percent(Some(g))),
            ),
        ],
        None => vec![(Key::Fill(BLUE), "service level (no target set)".to_string())],
    };
    IntervalChart {
        title: format!(
            "{} per interval (T = {})",
            sl_name(definition),
            format::seconds(threshold)
        ),
        slots,
        interval: settings.interval,
        scale: Scale::Share,
        y_label: "service level",
        legend,
        bars,
        lines: Vec::new(),
        shade,
        shade_means: "not defined: nothing to measure",
        reference: goal,
    }
    .render()
}

/// Staffed agents against the requirement, coloured as wfm's coverage
/// chart: blue up to the requirement, green above, red short.
fn staff_chart(
    slots: &[Zoned],
    required: &Aligned,
    staffed: &Aligned,
    interval: Interval,
) -> chart::Figure {
    let bars = slots
        .iter()
        .map(|slot| {
            let have = staffed.at(slot);
            let need = required.at(slot);
            if have.is_none() && need.is_none() {
                return None;
            }
            let name = slot_name(slot, interval);
            let show = |v: Option<f64>| format::decimal(v, 1);
            let tip = format!("{name}: staffed {}, required {}", show(have), show(need));
            let segments = match (have, need) {
                (Some(h), Some(n)) => vec![(0.0, h.min(n), BLUE), (n, h, GREEN), (h, n, RED)],
                (Some(h), None) => vec![(0.0, h, BLUE)],
                (None, _) => Vec::new(),
            };
            Some(Bar { segments, tip })
        })
        .collect();
    let mut legend = Vec::new();
    if staffed.is_given() {
        legend.push((
            Key::Fill(BLUE),
            "staffed, up to the requirement".to_string(),
        ));
        if required.is_given() {
            legend.push((Key::Fill(GREEN), "over the requirement".to_string()));
            legend.push((Key::Fill(RED), "short of the requirement".to_string()));
        }
    }
    let mut lines = Vec::new();
    if required.is_given() {
        legend.push((Key::Line("black"), "required".to_string()));
        lines.push(StepLine {
            values: slots.iter().map(|s| required.at(s)).collect(),
            colour: "black",
        });
    }
    IntervalChart {
        title: "Agents staffed per interval against the requirement".to_string(),
        slots,
        interval,
        scale: Scale::Count,
        y_label: "agents",
        legend,
        bars,
        lines,
        shade: Vec::new(),
        shade_means: "",
        reference: None,
    }
    .render()
}

/// The measures of one interval or a re-aggregated total: counts, the
/// service levels' parts, and time sums (seconds) from which the averages
/// follow.
#[derive(Default)]
struct Measures {
    offered: u64,
    answered: u64,
    abandoned: u64,
    short: u64,
    handled: u64,
    transferred_in: u64,
    overflowed_in: u64,
    /// (within, of) by definition, in [`DEFINITIONS`] order.
    sl: [(u64, u64); 3],
    answered_wait: f64,
    abandon_wait: f64,
    handle: f64,
    max_wait: f64,
}

impl Measures {
    fn of(row: &QueueRow) -> Self {
        let answered = row.count(Count::Answered);
        let short = row.count(Count::ShortAbandoned);
        let counted_abandons = row.count(Count::Abandoned) - short;
        let handled = row.count(Count::Handled);
        let parts = |d: SlDefinition| {
            row.service_level
                .iter()
                .find(|s| s.definition == d)
                .map_or((0, 0), |s| (s.within, s.of))
        };
        Measures {
            offered: row.count(Count::Offered),
            answered,
            abandoned: row.count(Count::Abandoned),
            short,
            handled,
            transferred_in: row.count(Count::TransferredIn),
            overflowed_in: row.count(Count::OverflowedIn),
            sl: DEFINITIONS.map(parts),
            // The row's means times their counts give back its sums.
            answered_wait: row.asa.unwrap_or(0.0) * answered as f64,
            abandon_wait: row.average_abandon_time.unwrap_or(0.0) * counted_abandons as f64,
            handle: row.aht.unwrap_or(0.0) * handled as f64,
            max_wait: row.max_wait,
        }
    }

    fn total<'a>(rows: impl IntoIterator<Item = &'a QueueRow>) -> Self {
        let mut total = Measures::default();
        for row in rows {
            total.add(&Measures::of(row));
        }
        total
    }

    fn add(&mut self, other: &Measures) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.abandoned += other.abandoned;
        self.short += other.short;
        self.handled += other.handled;
        self.transferred_in += other.transferred_in;
        self.overflowed_in += other.overflowed_in;
        for (mine, theirs) in self.sl.iter_mut().zip(other.sl) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
        self.answered_wait += other.answered_wait;
        self.abandon_wait += other.abandon_wait;
        self.handle += other.handle;
        self.max_wait = self.max_wait.max(other.max_wait);
    }

    /// The cells under [`measure_columns`]; the charted definition's
    /// service level is toned against `target`.
    fn cells(&self, target: Option<f64>, charted: SlDefinition) -> Vec<Cell> {
        let mean = |sum: f64, n: u64| (n > 0).then(|| sum / n as f64);
        let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        let counted_abandons = self.abandoned - self.short;
        let mut cells = vec![
            Cell::from(format::count(self.offered)),
            Cell::from(format::count(self.answered)),
            Cell::from(format!(
                "{} ({})",
                format::count(self.abandoned),
                format::count(self.short)
            )),
        ];
        for (d, (within, of)) in DEFINITIONS.into_iter().zip(self.sl) {
            let value = share(within, of);
            let tone = match (d == charted, target, value) {
                (true, Some(t), Some(v)) if v >= t => Tone::Good,
                (true, Some(_), Some(_)) => Tone::Bad,
                (_, _, None) => Tone::Muted,
                _ => Tone::Plain,
            };
            cells.push(
                Cell::toned(format::percent(value), tone).with_hint(format!("{within} of {of}")),
            );
        }
        cells.extend([
            Cell::from(format::wait(mean(self.answered_wait, self.answered))),
            Cell::from(format::wait(mean(self.abandon_wait, counted_abandons))),
            Cell::from(format::percent(share(
                counted_abandons,
                self.offered - self.short,
            ))),
            Cell::from(format::wait(Some(self.max_wait))),
            Cell::from(format::wait(mean(self.handle, self.handled))),
            Cell::from(format::count(self.handled)),
            Cell::from(format!(
                "{} / {}",
                format::count(self.transferred_in),
                format::count(self.overflowed_in)
            )),
        ]);
        cells
    }
}

fn measure_columns() -> Vec<Column> {
    let mut columns = vec![
        Column::number("Offered"),
        Column::number("Answered"),
        Column::number("Abandoned (short)"),
    ];
    columns.extend(DEFINITIONS.map(|d| Column::number(sl_name(d))));
    columns.extend(
        [
            "ASA",
            "Avg abandon",
            "Abandon rate",
            "Max wait",
            "AHT",
            "Handled",
            "Transfers / overflows in",
        ]
        .map(Column::number),
    );
    columns
}

fn interval_name(interval: Interval) -> &'static str {
    match interval {
        Interval::Minutes15 => "15 minutes",
        Interval::Minutes30 => "30 minutes",
        Interval::Minutes60 => "1 hour",
        Interval::Day => "1 day",
        Interval::Week => "1 week (from Monday)",
        Interval::Month => "1 calendar month",
    }
}

/// An interval in the table: "08:00–08:15" (with the date when the table
/// spans days), a date, "week of" a Monday, or a month.
fn interval_label(start: &Zoned, interval: Interval, with_date: bool) -> String {
    let minutes = match interval {
        Interval::Minutes15 => 15,
        Interval::Minutes30 => 30,
        Interval::Minutes60 => 60,
        Interval::Day => return start.strftime("%a %Y-%m-%d").to_string(),
        Interval::Week => return format!("week of {}", start.strftime("%a %Y-%m-%d")),
        Interval::Month => return start.strftime("%Y-%m").to_string(),
    };
    let end = start
        .datetime()
        .checked_add(jiff::Span::new().minutes(minutes))
        .map_or(String::new(), |e| e.strftime("%H:%M").to_string());
    let time = format!("{}–{end}", start.strftime("%H:%M"));
    if with_date {
        format!("{} {time}", start.strftime("%a %m-%d"))
    } else {
        time
    }
}

/// An interval in a tooltip.
fn slot_name(start: &Zoned, interval: Interval) -> String {
    interval_label(start, interval, true)
}

fn method(short_abandon: Span) -> Vec<(&'static str, String)> {
    let short = format::seconds(short_abandon);
    vec![
        (
            "Offered",
            "Every pass of a contact through a queue (a leg), counted in the interval in \
             which it entered that queue. A transfer or an overflow makes a new leg in the \
             receiving queue (transfers in, overflows in). Only finished contacts count."
                .to_string(),
        ),
        (
            "Answered, abandoned",
            format!(
                "Answered: connected to an agent while waiting. Abandoned: the caller hung up \
                 while queued or ringing; in brackets the short abandons (under {short}), \
                 which are left out of the abandon rate, the average abandon time and SL \
                 offered. The rest of the offered legs overflowed, timed out to voicemail or \
                 callback, or asked for a callback."
            ),
        ),
        (
            "Waits and handling",
            "ASA: mean wait of answered legs. Avg abandon: mean wait of abandoned legs, \
             short abandons excluded. Abandon rate: (abandoned − short) ÷ (offered − short). \
             Max wait: longest wait of any leg. AHT: (talk + hold + wrap-up) ÷ handled; \
             handled means an agent connected and wrapped up, callbacks included. Times are \
             m:ss (h:mm:ss from an hour)."
                .to_string(),
        ),
        (
            "Totals",
            "Totals rows are computed again from the intervals' counts and time sums \
             (e.g. total ASA = Σ(ASA × answered) ÷ Σ answered), never by averaging \
             percentages or averages. The All queues row adds each queue's counts at \
             its own T (\"mixed\")."
                .to_string(),
        ),
        (
            "Not defined",
            format!(
                "{} means there was nothing to divide by (e.g. no answered call for ASA). \
                 Hover a service level to see its parts (within T of counted).",
                format::NONE
            ),
        ),
    ]
}
