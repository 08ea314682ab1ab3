//! The reports folded from the period's facts: outcome codes, first-contact
//! resolution, CSAT with the call-back lists, the call-reason Pareto, cost
//! and campaign ROI, the contract check and the value digest.
//!
//! Key function: [`report`], which computes one of them with the report
//! settings and returns its [`Output`]. Key type: `Sheet`, a table of
//! cells built once for both the terminal (and CSV) and the HTML page, so
//! the two never disagree.
//!
//! A report with several tables shows them all on its page: a main
//! [`report::TablePage`] table, then [`report::Section`]s (CSAT: by day,
//! then the callers to call back; value: by period, by topic, the
//! complaints and praise to read, the leads; cost: the breakdown, then the
//! campaigns; FCR: by period, then by reason). The page's notes only say
//! how the numbers are computed. The terminal and CSV show one
//! rectangular table per report (CSAT: the callers; value: the topics;
//! cost: the campaigns; FCR: periods and reasons in one table, "all" in
//! the other key), with the other tables or a summary in the note above
//! it.
//!
//! The kpi reports are computed in the run's time zone (`--time-zone`
//! overrides the settings file's), so their days match the page's frame.

use std::collections::BTreeSet;
use std::fmt::Display;

use acd::model::{Code, Time};
use anyhow::{Context, Result, bail};
use jiff::Zoned;
use kpi::{
    Caller, CampaignRow, Category, CostReport, CsatReport, Customer, FcrFigures, FcrReport,
    Interval, Ledger, Money, OutcomeOptions, Period, ReasonReport, ReasonRow, SlaReport, Strategy,
    TermResult, TermStatus, ValuePeriod, ValueReport,
};
use report::{Cell, Column, Section, TablePage, Tone, format};
use serde::Serialize;

use super::{Kind, Output, Scope};
use crate::output::Table;

/// Computes the report `kind` from `ledger`. `interval` is the period
/// length of FCR and CSAT (default day) and of the outcome and value
/// reports (week or month, default week); the others cover the whole
/// period and ignore it, so `report all --interval week` runs them all.
pub fn report(
    scope: &Scope,
    ledger: &Ledger,
    kind: Kind,
    interval: Option<Interval>,
) -> Result<Output> {
    // Scope::open put the run's zone in the settings, so days, weeks and
    // months match the page's frame.
    let settings = &scope.settings;
    let daily = interval.unwrap_or(Interval::Day);
    match kind {
        Kind::Outcomes => outcomes(scope, ledger, period(interval)?),
        Kind::Fcr => fcr(scope, &ledger.fcr_report(settings, daily)?),
        Kind::Csat => csat(scope, &ledger.csat_report(settings, daily)?),
        Kind::Reasons => reasons(scope, &ledger.reason_report(settings)?),
        Kind::Cost => cost(scope, &ledger.cost_report(settings)?),
        Kind::Contract => contract(
            scope,
            &ledger.contract_report(settings)?.context(
                "the report settings have no [contract] section: add one to the file given \
                 with --settings (examples/reports/settings.toml shows every term)",
            )?,
        ),
        Kind::Value => value(scope, &ledger.value_report(settings, period(interval)?)?),
        other => bail!("{other:?} is not a report of the period's facts"),
    }
}

/// Week unless a month is asked for.
fn period(interval: Option<Interval>) -> Result<Period> {
    match interval {
        None | Some(Interval::Week) => Ok(Period::Week),
        Some(Interval::Month) => Ok(Period::Month),
        Some(_) => bail!("this report is by week or month"),
    }
}

fn outcomes(scope: &Scope, ledger: &Ledger, period: Period) -> Result<Output> {
    let success: BTreeSet<_> = scope
        .settings
        .outcomes
        .iter()
        .filter(|(_, o)| o.success)
        .map(|(code, _)| code.clone())
        .collect();
    let options = OutcomeOptions {
        period,
        time_zone: scope.time_zone.clone(),
        success,
        target: scope.settings.outcome_target(period),
    };
    let report = ledger.outcome_report(&options)?;
    let mut table = Table::new([
        "period",
        "handled",
        "successes",
        "success rate",
        "target",
        "met",
    ]);
    for row in &report.rows {
        table.row([
            row.start.date().to_string(),
            row.handled.to_string(),
            row.successes.to_string(),
            format::percent(row.success_rate),
            format::percent(row.target.map(|t| t.get())),
            row.met
                .map_or_else(String::new, |met| if met { "yes" } else { "no" }.to_owned()),
        ]);
    }
    let codes: Vec<&str> = report.success.iter().map(|c| c.as_str()).collect();
    Ok(Output {
        note: if codes.is_empty() {
            "No outcome code counts as a success: mark them in the settings file \
             ([outcomes.<code>] success = true)."
                .to_owned()
        } else {
            format!("Success codes: {}.", codes.join(", "))
        },
        json: serde_json::to_value(&report)?,
        table,
        page: report::outcome_page(&scope.frame, &report),
    })
}

/// A table of formatted cells, built once for the HTML page (its main
/// table or one of its sections) and for the terminal and CSV
/// ([`Sheet::table`]), so the two never disagree.
struct Sheet {
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
    total: Option<Vec<Cell>>,
}

impl Sheet {
    fn new(columns: Vec<Column>) -> Self {
        Sheet {
            columns,
            rows: Vec::new(),
            total: None,
        }
    }

    fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "one cell per column");
        self.rows.push(cells);
    }

    /// The totals row: the terminal's last row, the page's `total`.
    fn total(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "one cell per column");
        self.total = Some(cells);
    }

    /// The sheet as the terminal and CSV show it: the rows, then the
    /// totals row.
    fn table(&self) -> Table {
        let mut table = Table::new(self.columns.iter().map(|c| c.header.clone()));
        for row in self.rows.iter().chain(&self.total) {
            table.row(row.iter().map(plain));
        }
        table
    }

    /// `page` with the sheet as its main table under `heading`.
    fn main(self, heading: Option<&str>, page: TablePage) -> TablePage {
        TablePage {
            heading: heading.map(str::to_owned),
            columns: self.columns,
            rows: self.rows,
            total: self.total,
            ..page
        }
    }

    /// The sheet as a section of a page, drawn after its main table.
    fn section(self, heading: &str, intro: Option<&str>, empty: &str) -> Section {
        Section {
            heading: heading.to_owned(),
            intro: intro.map(str::to_owned),
            columns: self.columns,
            rows: self.rows,
            total: self.total,
            empty: Some(empty.to_owned()),
        }
    }

    /// The report's output when the sheet is both the terminal (and CSV)
    /// table and the page's only table; `page` gives the title, facts,
    /// figures and notes.
    fn finish<T: Serialize>(
        self,
        scope: &Scope,
        page: TablePage,
        note: String,
        report: &T,
    ) -> Result<Output> {
        let table = self.table();
        output(scope, &self.main(None, page), table, note, report)
    }
}

/// The report's output: the page, and the one table the terminal and CSV
/// show (from the same cells as one of the page's tables).
fn output<T: Serialize>(
    scope: &Scope,
    page: &TablePage,
    table: Table,
    note: String,
    report: &T,
) -> Result<Output> {
    Ok(Output {
        note,
        json: serde_json::to_value(report)?,
        table,
        page: report::table_page(&scope.frame, page),
    })
}

/// A row of `lead` cells (what the row covers) followed by `figures`:
/// one set of figures shown under different keys in different tables.
fn keyed<const N: usize>(lead: [Cell; N], figures: &[Cell]) -> Vec<Cell> {
    lead.into_iter().chain(figures.iter().cloned()).collect()
}

/// A cell as the terminal and CSV show it: digits without the page's
/// thousands separator and an undefined value empty, so that numeric
/// columns stay right-aligned and machine-readable.
fn plain(cell: &Cell) -> String {
    if cell.text == format::NONE {
        String::new()
    } else {
        cell.text.replace('\u{202f}', "")
    }
}

/// A secondary table above the main one in the terminal: its heading,
/// then the table.
fn terminal_section(heading: &str, sheet: &Sheet) -> String {
    format!("{heading}\n{}", sheet.table().render())
}

fn text(value: impl Display) -> Cell {
    Cell::from(value.to_string())
}

fn maybe(value: Option<impl Display>) -> Cell {
    value.map_or_else(Cell::default, text)
}

fn count(n: u64) -> Cell {
    Cell::from(format::count(n))
}

fn share(value: Option<f64>) -> Cell {
    Cell::from(format::percent(value))
}

/// A share with its parts as the tooltip.
fn share_of(value: Option<f64>, part: u64, whole: u64) -> Cell {
    share(value).with_hint(format!("{part} of {whole}"))
}

/// A column of money, its header naming the currency.
fn money_column(scope: &Scope, name: &str) -> Column {
    match scope.settings.currency.as_str() {
        "" => Column::number(name),
        currency => Column::number(&format!("{name} {currency}")),
    }
}

/// An amount with the currency, for facts and notes.
fn amount(scope: &Scope, money: Money) -> String {
    format!("{money} {}", scope.settings.currency)
        .trim_end()
        .to_owned()
}

fn period_column(interval: Interval) -> Column {
    Column::text(match interval {
        Interval::Minutes15 | Interval::Minutes30 | Interval::Minutes60 => "interval",
        Interval::Day => "day",
        Interval::Week => "week",
        Interval::Month => "month",
    })
}

/// The heading of a table by period: "By day", "By week", ….
fn period_heading(interval: Interval) -> String {
    format!("By {}", period_column(interval).header)
}

fn period_label(start: &Zoned, interval: Interval) -> String {
    match interval {
        Interval::Minutes15 | Interval::Minutes30 | Interval::Minutes60 => {
            start.strftime("%Y-%m-%d %H:%M").to_string()
        }
        _ => start.date().to_string(),
    }
}

fn local_time(scope: &Scope, at: Time) -> String {
    i64::try_from(at.as_millis())
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|ts| {
            ts.to_zoned(scope.time_zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn reason_name(reason: Option<&Code>) -> String {
    reason.map_or_else(|| "(none)".to_owned(), Code::to_string)
}

fn customer_name(customer: &Customer) -> String {
    match customer {
        Customer::Id(id) => id.to_string(),
        Customer::Ani(number) => number.to_string(),
    }
}

/// A row label and the total's: "all" rather than blank, so a CSV row
/// always says what it covers.
const ALL: &str = "all";

fn fcr(scope: &Scope, report: &FcrReport) -> Result<Output> {
    let figures = || {
        vec![
            Column::number("handled"),
            Column::number("resolved"),
            Column::number("repeated"),
            Column::number("pending"),
            Column::number("unidentified"),
            Column::number("FCR"),
        ]
    };
    let (period, reason) = (period_column(report.interval), Column::text("reason"));
    // The page shows the periods and the reasons as two tables; the
    // terminal and CSV as one, with "all" where a row covers every period
    // or every reason.
    let mut by_period = Sheet::new([vec![period.clone()], figures()].concat());
    let mut by_reason = Sheet::new([vec![reason.clone()], figures()].concat());
    let mut both = Sheet::new([vec![period, reason], figures()].concat());
    for row in &report.rows {
        let period = period_label(&row.start, report.interval);
        let cells = fcr_cells(&row.figures);
        by_period.row(keyed([text(&period)], &cells));
        both.row(keyed([text(&period), text(ALL)], &cells));
    }
    for row in &report.by_reason {
        let reason = reason_name(row.reason.as_ref());
        let cells = fcr_cells(&row.figures);
        by_reason.row(keyed([text(&reason)], &cells));
        both.row(keyed([text(ALL), text(&reason)], &cells));
    }
    let cells = fcr_cells(&report.total);
    by_period.total(keyed([text("total")], &cells));
    by_reason.total(keyed([text("total")], &cells));
    both.total(keyed([text("total"), text(ALL)], &cells));
    let total = &report.total;
    let judged = local_time(scope, report.judged_at);
    let definition = format!(
        "FCR = resolved ÷ (resolved + repeated). A handled contact is repeated when the same \
         customer contacted the center again on the same reason within {} days.",
        report.window_days
    );
    let pending = format!(
        "Pending: the window had not closed at the log's last fact ({judged}); unidentified: \
         neither a customer id nor a caller number. Both are left out of FCR."
    );
    let note = format!(
        "{definition}\n{pending}\nRepeated contacts: {}; --json lists each with the contact \
         that repeated it.",
        total.repeats.len()
    );
    // With no handled contact the page says so once, not once per table.
    let sections = if by_period.rows.is_empty() {
        Vec::new()
    } else {
        vec![by_reason.section(
            "By call reason",
            None,
            "No handled contacts in this period.",
        )]
    };
    let page = TablePage {
        title: "First-contact resolution".to_owned(),
        facts: vec![
            ("Window".to_owned(), format!("{} days", report.window_days)),
            (
                "FCR".to_owned(),
                format!(
                    "{} ({} of {} judged)",
                    format::percent(total.fcr),
                    total.resolved.count,
                    total.resolved.count + total.repeated.count
                ),
            ),
        ],
        notes: vec![definition, pending],
        empty: Some("No handled contacts in this period.".to_owned()),
        sections,
        ..TablePage::default()
    };
    let table = both.table();
    let page = by_period.main(Some(&period_heading(report.interval)), page);
    output(scope, &page, table, note, report)
}

/// The figures of one FCR row, after what it covers.
fn fcr_cells(f: &FcrFigures) -> Vec<Cell> {
    let judged = f.resolved.count + f.repeated.count;
    vec![
        count(f.handled),
        count(f.resolved.count),
        count(f.repeated.count),
        count(f.pending.count),
        count(f.unidentified.count),
        share_of(f.fcr, f.resolved.count, judged),
    ]
}

fn csat(scope: &Scope, report: &CsatReport) -> Result<Output> {
    let mut days = Sheet::new(vec![
        period_column(report.interval),
        Column::number("answers"),
        Column::number("satisfied"),
        Column::number("dissatisfied"),
        Column::number("CSAT"),
        Column::number("unrated"),
    ]);
    let mut callers = Sheet::new(vec![
        period_column(report.interval),
        Column::text("list"),
        Column::text("contact"),
        Column::text("arrived"),
        Column::text("caller"),
        Column::text("customer"),
        Column::text("agent"),
        Column::text("reason"),
        Column::number("score"),
        Column::text("recording"),
    ]);
    for row in &report.rows {
        let period = period_label(&row.start, report.interval);
        let f = &row.figures;
        days.row(vec![
            text(&period),
            count(f.answers.count),
            count(f.satisfied.count),
            count(f.dissatisfied.count),
            share_of(f.csat, f.satisfied.count, f.answers.count),
            count(row.unrated_callers.len() as u64),
        ]);
        let lists = [
            ("dissatisfied", &row.dissatisfied_callers),
            ("unrated", &row.unrated_callers),
        ];
        for (list, people) in lists {
            for caller in people {
                callers.row(caller_cells(scope, &period, list, caller));
            }
        }
    }
    let t = &report.total;
    days.total(vec![
        text("total"),
        count(t.answers.count),
        count(t.satisfied.count),
        count(t.dissatisfied.count),
        share_of(t.csat, t.satisfied.count, t.answers.count),
        count(report.unrated.count),
    ]);
    let definition = format!(
        "CSAT = answers scoring {} or more ÷ survey answers; an answer counts in the period its \
         call arrived.",
        report.satisfied_min
    );
    let lists = "Every dissatisfied answer, and every handled contact without a survey answer \
                 in the log (unrated).";
    // The terminal shows the periods above the list of callers, its table
    // (and the CSV); the page shows them in the same order, the periods
    // first.
    let note = format!(
        "{definition}\n{}Callers to call back (below): {lists}",
        terminal_section(&format!("{}:", period_heading(report.interval)), &days),
    );
    let table = callers.table();
    let sections = if days.rows.is_empty() {
        Vec::new()
    } else {
        vec![callers.section(
            "Callers to call back",
            Some(lists),
            "No dissatisfied or unrated callers in this period.",
        )]
    };
    let page = TablePage {
        title: "Customer satisfaction and call-back lists".to_owned(),
        facts: vec![
            (
                "CSAT".to_owned(),
                format!(
                    "{} ({} of {} answers)",
                    format::percent(t.csat),
                    t.satisfied.count,
                    t.answers.count
                ),
            ),
            (
                "Dissatisfied".to_owned(),
                format::count(t.dissatisfied.count),
            ),
            ("Unrated".to_owned(), format::count(report.unrated.count)),
        ],
        notes: vec![definition],
        empty: Some("No survey answers and no handled contacts in this period.".to_owned()),
        sections,
        ..TablePage::default()
    };
    let page = days.main(Some(&period_heading(report.interval)), page);
    output(scope, &page, table, note, report)
}

fn caller_cells(scope: &Scope, period: &str, list: &str, caller: &Caller) -> Vec<Cell> {
    vec![
        text(period),
        text(list),
        text(caller.contact),
        text(
            caller
                .arrived
                .map(|at| local_time(scope, at))
                .unwrap_or_default(),
        ),
        maybe(caller.ani.as_ref()),
        text(
            caller
                .customer
                .as_ref()
                .map(customer_name)
                .unwrap_or_default(),
        ),
        text(
            caller
                .agent
                .map(|a| scope.names.agent(a))
                .unwrap_or_default(),
        ),
        maybe(caller.reason.as_ref()),
        maybe(caller.score),
        maybe(caller.recording.as_ref()),
    ]
}

fn reasons(scope: &Scope, report: &ReasonReport) -> Result<Output> {
    let mut sheet = Sheet::new(vec![
        Column::text("reason"),
        Column::text("topic"),
        Column::number("contacts"),
        Column::number("share"),
        Column::number("cumulative"),
        Column::number("handled"),
        Column::number("AHT"),
        money_column(scope, "cost"),
        Column::number("customer share"),
        Column::number("repeat rate"),
        Column::text("strategy"),
        money_column(scope, "avoidable"),
        Column::text("rule"),
    ]);
    for row in &report.rows {
        sheet.row(reason_cells(row));
    }
    let handled: u64 = report.rows.iter().map(|r| r.handled).sum();
    let hours: f64 = report.rows.iter().map(|r| r.handle_hours).sum();
    let avoidable: Option<Money> = report
        .rows
        .iter()
        .filter_map(|r| r.assessment.as_ref()?.avoidable_cost)
        .reduce(|a, b| a + b);
    if !report.rows.is_empty() {
        sheet.total(vec![
            text("total"),
            Cell::default(),
            count(report.contacts),
            share(Some(1.0)),
            Cell::default(),
            count(handled),
            text(format::wait(
                (handled > 0).then(|| hours * 3600.0 / handled as f64),
            )),
            text(report.cost),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            maybe(avoidable),
            Cell::default(),
        ]);
    }
    let r = &report.rules;
    let rules = format!(
        "Strategy rules, first match wins: 1. eliminate by proactive contact when its reach is \
         at least {} and the reason is significant ({} of customers or {} of contacts); \
         2. eliminate by fixing the cause when a significant reason's repeat rate is at least \
         {}; 3. self-service when its channel succeeds at least {} and importance is at most \
         {}; 4. agent otherwise.",
        format::percent(Some(r.min_reach)),
        format::percent(Some(r.min_customer_share)),
        format::percent(Some(r.min_volume_share)),
        format::percent(Some(r.max_repeat_rate)),
        format::percent(Some(r.min_channel_success)),
        r.max_self_service_importance
    );
    let method = format!(
        "Share = the reason's contacts ÷ all {} contacts, cumulated down the table; AHT = \
         handle time ÷ handled; cost = handle hours × {} per agent hour; repeat rate = 1 − FCR; \
         avoidable = the cost the strategy would remove, estimated.",
        report.contacts,
        amount(scope, Money::from_units(scope.settings.cost.agent_hour))
    );
    let items: Vec<(String, f64)> = report
        .rows
        .iter()
        .map(|row| {
            let label = row
                .topic
                .clone()
                .unwrap_or_else(|| reason_name(row.reason.as_ref()));
            (label, row.contacts.count as f64)
        })
        .collect();
    let page = TablePage {
        title: "Call reasons".to_owned(),
        facts: vec![
            ("Contacts".to_owned(), format::count(report.contacts)),
            ("Customers".to_owned(), format::count(report.customers)),
            ("Handling cost".to_owned(), amount(scope, report.cost)),
        ],
        figures: vec![report::pareto_chart(
            "Contacts by call reason",
            "contacts",
            &items,
        )],
        notes: vec![method.clone(), rules.clone()],
        empty: Some("No finished contacts in this period.".to_owned()),
        ..TablePage::default()
    };
    sheet.finish(scope, page, format!("{method}\n{rules}"), report)
}

fn reason_cells(row: &ReasonRow) -> Vec<Cell> {
    let assessment = row.assessment.as_ref();
    vec![
        text(reason_name(row.reason.as_ref())),
        maybe(row.topic.as_ref()),
        count(row.contacts.count),
        share(Some(row.share)),
        share(Some(row.cumulative_share)),
        count(row.handled),
        text(format::wait(row.aht)),
        text(row.cost),
        share(row.customer_share),
        share(row.repeat_rate),
        maybe(assessment.map(|a| strategy_name(a.strategy))),
        maybe(assessment.and_then(|a| a.avoidable_cost)),
        maybe(assessment.map(|a| &a.rule)),
    ]
}

fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Agent => "agent",
        Strategy::SelfService => "self-service",
        Strategy::Eliminate => "eliminate",
    }
}

fn cost(scope: &Scope, report: &CostReport) -> Result<Output> {
    let mut campaigns = Sheet::new(vec![
        Column::text("campaign"),
        Column::text("numbers"),
        Column::number("contacts"),
        Column::number("handled"),
        Column::number("responders"),
        Column::number("contacted"),
        Column::number("response rate"),
        Column::number("won"),
        money_column(scope, "revenue"),
        money_column(scope, "media cost"),
        money_column(scope, "handling cost"),
        money_column(scope, "cost"),
        Column::number("ROI"),
    ]);
    for row in &report.campaigns {
        campaigns.row(campaign_cells(row));
    }
    if !report.campaigns.is_empty() {
        campaigns.total(campaign_total(&report.campaigns));
    }
    let model = &report.model;
    // Each part of the cost: what was counted, how much, at what rate.
    let parts = [
        (
            "Agents",
            format!("{:.1}", report.agent_paid_hours),
            "paid (logged-in) hours",
            model.agent_hour,
            report.agent_cost,
        ),
        (
            "Telecom",
            format!("{:.1}", report.telecom_minutes),
            "minutes callers were on the line",
            model.telecom_minute,
            report.telecom_cost,
        ),
        (
            "Overhead",
            report.days.to_string(),
            "days",
            model.overhead_per_day,
            report.overhead_cost,
        ),
    ];
    let mut breakdown = Sheet::new(vec![
        Column::text("part"),
        Column::number("quantity"),
        Column::text("unit"),
        money_column(scope, "rate"),
        money_column(scope, "cost"),
    ]);
    let mut sentences = Vec::new();
    for (part, quantity, unit, rate, cost) in &parts {
        let rate = Money::from_units(*rate);
        breakdown.row(vec![
            text(part),
            text(quantity),
            text(unit),
            text(rate),
            text(cost),
        ]);
        sentences.push(format!(
            "{part}: {quantity} {unit} × {} = {}.",
            amount(scope, rate),
            amount(scope, *cost)
        ));
    }
    breakdown.total(vec![
        text("total"),
        Cell::default(),
        Cell::default(),
        Cell::default(),
        text(report.total_cost),
    ]);
    let per_call = report
        .cost_per_call
        .map_or_else(|| format::NONE.to_owned(), |m| amount(scope, m));
    let mut notes = vec![format!(
        "Cost per call {per_call} = total cost {} ÷ {} handled contacts.",
        amount(scope, report.total_cost),
        report.handled.count
    )];
    if report.agent_paid_hours == 0.0 && report.handled.count > 0 {
        notes.push(
            "No agent was logged in according to the log (imported logs often carry no agent \
             states), so agent time costs nothing here."
                .to_owned(),
        );
    }
    let method = "Campaign revenue: won sales, else the outcome code's revenue; cost: media \
                  cost + handled contacts × cost per call; ROI = revenue ÷ cost; response \
                  rate = responders (distinct customers) ÷ people contacted.";
    let no_campaigns = "No campaigns in the settings file: add [campaigns.<key>] with their \
                        advertised numbers (dnis) to see their ROI.";
    // The terminal: the headline and the parts as sentences above the
    // campaigns, its table (and the CSV). The page: the parts as its main
    // table, the campaigns after it.
    let note = [
        notes.as_slice(),
        &sentences,
        &[if report.campaigns.is_empty() {
            no_campaigns
        } else {
            method
        }
        .to_owned()],
    ]
    .concat()
    .join("\n");
    if !report.campaigns.is_empty() {
        notes.push(method.to_owned());
    }
    let table = campaigns.table();
    let page = TablePage {
        title: "Cost per call and campaign ROI".to_owned(),
        facts: vec![
            ("Cost per call".to_owned(), per_call),
            ("Total cost".to_owned(), amount(scope, report.total_cost)),
            ("Handled".to_owned(), format::count(report.handled.count)),
            ("Days".to_owned(), report.days.to_string()),
        ],
        notes,
        sections: vec![campaigns.section("Campaign ROI", None, no_campaigns)],
        ..TablePage::default()
    };
    let page = breakdown.main(Some("Cost breakdown"), page);
    output(scope, &page, table, note, report)
}

/// A campaign's ROI: below 1 it lost money, the one target every campaign
/// has.
fn roi(value: Option<f64>) -> Cell {
    let tone = match value {
        Some(roi) if roi < 1.0 => Tone::Bad,
        _ => Tone::Plain,
    };
    Cell::toned(format::decimal(value, 2), tone)
}

/// A response rate: a campaign reaches far more people than call back,
/// so a percent with one decimal would read 0.0%.
fn response_rate(value: Option<f64>) -> Cell {
    Cell::from(value.map_or_else(
        || format::NONE.to_owned(),
        |v| format!("{}%", format::decimal(Some(v * 100.0), 3)),
    ))
}

fn campaign_cells(row: &CampaignRow) -> Vec<Cell> {
    let numbers: Vec<&str> = row.dnis.iter().map(|n| n.as_str()).collect();
    vec![
        text(&row.name),
        text(numbers.join(" ")),
        count(row.contacts.count),
        count(row.handled.count),
        count(row.responders),
        maybe(row.contacted.map(format::count)),
        response_rate(row.response_rate),
        count(row.won.count),
        text(row.revenue),
        text(row.media_cost),
        text(row.handling_cost),
        text(row.cost),
        roi(row.roi),
    ]
}

/// The campaigns together; a number belongs to one campaign only, so
/// contacts add up; responders and audiences may overlap, so they do not.
fn campaign_total(rows: &[CampaignRow]) -> Vec<Cell> {
    let sum = |f: fn(&CampaignRow) -> u64| rows.iter().map(f).sum::<u64>();
    let money = |f: fn(&CampaignRow) -> Money| rows.iter().map(f).sum::<Money>();
    let (revenue, cost) = (money(|r| r.revenue), money(|r| r.cost));
    vec![
        text("total"),
        Cell::default(),
        count(sum(|r| r.contacts.count)),
        count(sum(|r| r.handled.count)),
        Cell::default(),
        Cell::default(),
        Cell::default(),
        count(sum(|r| r.won.count)),
        text(revenue),
        text(money(|r| r.media_cost)),
        text(money(|r| r.handling_cost)),
        text(cost),
        roi((cost.0 > 0).then(|| revenue.units() / cost.units())),
    ]
}

fn contract(scope: &Scope, report: &SlaReport) -> Result<Output> {
    let mut sheet = Sheet::new(vec![
        Column::text("term"),
        Column::text("definition"),
        Column::text("target"),
        Column::number("measured"),
        Column::text("status"),
        Column::number("against"),
        Column::text("note"),
    ]);
    for term in &report.terms {
        sheet.row(term_cells(scope, term));
    }
    let queues = if report.queues.is_empty() {
        "all queues".to_owned()
    } else {
        let names: Vec<String> = report
            .queues
            .iter()
            .map(|&q| scope.names.queue(q))
            .collect();
        names.join(", ")
    };
    let result = format!(
        "{} passed, {} failed, {} with no data, {} not measurable",
        report.passed, report.failed, report.no_data, report.not_measurable
    );
    let method = "Every term is measured over the whole period with the definitions of the \
                  other reports; a term the event log cannot show is not measurable, one with \
                  nothing to measure has no data. Against: contacts that count against the \
                  target (--json lists them).";
    let note = format!(
        "Contract {:?} ({queues}): {result}.\n{method}",
        report.contract
    );
    let page = TablePage {
        title: format!("Contract check: {}", report.contract),
        facts: vec![("Queues".to_owned(), queues), ("Result".to_owned(), result)],
        notes: vec![method.to_owned()],
        empty: Some("The [contract] section sets no term.".to_owned()),
        ..TablePage::default()
    };
    sheet.finish(scope, page, note, report)
}

/// How a term's values read.
#[derive(Clone, Copy)]
enum Unit {
    Share,
    Seconds,
    Money,
    Hours,
    Number,
}

fn unit(term: &str) -> Unit {
    match term {
        "service_level" | "abandon_rate_max" | "fcr_min" | "csat_min" | "outcome_coded_min"
        | "success_rate_min" | "quality_min" | "attrition_max" => Unit::Share,
        "asa_max_secs" | "aht_max_secs" => Unit::Seconds,
        "cost_per_call_max" => Unit::Money,
        "staffed_hours_min" => Unit::Hours,
        _ => Unit::Number,
    }
}

fn show(scope: &Scope, unit: Unit, value: f64) -> String {
    match unit {
        Unit::Share => format::percent(Some(value)),
        Unit::Seconds => format!("{} s", format::decimal(Some(value), 1)),
        Unit::Money => amount(scope, Money::from_units(value)),
        Unit::Hours => format!("{} h", format::decimal(Some(value), 1)),
        Unit::Number => format::decimal(Some(value), 1),
    }
}

fn term_cells(scope: &Scope, term: &TermResult) -> Vec<Cell> {
    let unit = unit(&term.term);
    // The kpi report writes a target as the settings file does ("≥ 0.8");
    // it reads best in the measured value's unit. A term in words is its
    // own target: it is shown once, as the definition.
    let target = match term.target.split_once(' ') {
        _ if term.target == term.definition => String::new(),
        Some((sign @ ("≥" | "≤"), number)) => number.parse().map_or_else(
            |_| term.target.clone(),
            |v| format!("{sign} {}", show(scope, unit, v)),
        ),
        _ => term.target.clone(),
    };
    let (status, tone) = match term.status {
        TermStatus::Pass => ("pass", Tone::Good),
        TermStatus::Fail => ("fail", Tone::Bad),
        TermStatus::NoData => ("no data", Tone::Muted),
        TermStatus::NotMeasurable => ("not measurable", Tone::Muted),
    };
    let measured = term
        .measured
        .map_or_else(|| format::NONE.to_owned(), |v| show(scope, unit, v));
    vec![
        text(&term.term),
        text(&term.definition),
        text(target),
        Cell::toned(measured, tone),
        Cell::toned(status, tone),
        count(term.against.len() as u64),
        text(&term.note),
    ]
}

fn value(scope: &Scope, report: &ValueReport) -> Result<Output> {
    let interval = match report.period {
        Period::Week => Interval::Week,
        Period::Month => Interval::Month,
    };
    let mut topics = Sheet::new(vec![
        period_column(interval),
        Column::text("category"),
        Column::text("topic"),
        Column::text("department"),
        Column::number("contacts"),
        Column::number("mention rate"),
        Column::number("before"),
        Column::number("change"),
    ]);
    let volume_columns = vec![
        Column::number("contacts"),
        Column::number("complaints"),
        Column::number("praise"),
    ];
    let lead_columns = vec![
        Column::number("leads"),
        Column::number("won"),
        Column::number("lost"),
        Column::number("open"),
        Column::number("win rate"),
        money_column(scope, "won revenue"),
    ];
    let resolution_columns = vec![
        Column::number("remote"),
        Column::number("site visits"),
        Column::number("visits change"),
        Column::number("served remotely"),
        money_column(scope, "visits avoided"),
    ];
    let value_column = money_column(scope, "value created");
    let period = period_column(interval);
    // The terminal shows each period on one line; the page splits it in
    // two tables: contacts and value, then the leads.
    let mut summary = Sheet::new(
        [
            vec![period.clone()],
            volume_columns.clone(),
            lead_columns.clone(),
            resolution_columns.clone(),
            vec![value_column.clone()],
        ]
        .concat(),
    );
    let mut per_period = Sheet::new(
        [
            vec![period.clone()],
            volume_columns,
            resolution_columns,
            vec![value_column],
        ]
        .concat(),
    );
    let mut leads = Sheet::new([vec![period], lead_columns].concat());
    let mut entries = Sheet::new(vec![
        Column::text("category"),
        Column::text("topic"),
        Column::text("contact"),
        Column::text("arrived"),
        Column::text("caller"),
        Column::text("agent"),
        Column::text("outcome"),
        Column::text("recording"),
        Column::text("notes"),
    ]);
    for row in &report.rows {
        let period = period_label(&row.start, interval);
        let (volume, lead, resolution, value) = summary_cells(row);
        summary.row(
            [
                vec![text(&period)],
                volume.clone(),
                lead.clone(),
                resolution.clone(),
                vec![value.clone()],
            ]
            .concat(),
        );
        per_period.row([vec![text(&period)], volume, resolution, vec![value]].concat());
        leads.row(keyed([text(&period)], &lead));
        for topic in &row.topics {
            topics.row(vec![
                text(&period),
                text(category_name(topic.category)),
                text(&topic.topic),
                maybe(topic.department.as_ref()),
                count(topic.contacts.count),
                share(Some(topic.mention_rate)),
                maybe(topic.previous),
                maybe(
                    topic
                        .previous
                        .map(|p| signed(topic.contacts.count as i64 - p as i64)),
                ),
            ]);
            for entry in &topic.entries {
                entries.row(vec![
                    text(category_name(topic.category)),
                    text(&topic.topic),
                    text(entry.contact),
                    text(local_time(scope, entry.arrived)),
                    maybe(entry.ani.as_ref()),
                    text(
                        entry
                            .agent
                            .map(|a| scope.names.agent(a))
                            .unwrap_or_default(),
                    ),
                    maybe(entry.outcome.as_ref()),
                    maybe(entry.recording.as_ref()),
                    text(&entry.notes),
                ]);
            }
        }
    }
    let method = "Value created = revenue of leads won + site visits avoided × visit cost; a \
                  contact resolved remotely is a visit avoided. Mention rate = the topic's \
                  contacts ÷ the period's contacts; before = its count in the period before.";
    let to_read = "Complaints and praise to read";
    let mut note = vec![
        method.to_owned(),
        terminal_section(&format!("{}:", period_heading(interval)), &summary),
    ];
    if !entries.rows.is_empty() {
        note.push(terminal_section(&format!("{to_read}:"), &entries));
    }
    note.push("By topic:".to_owned());
    let table = topics.table();
    // With no contact the page says so once, not once per table.
    let sections = if per_period.rows.is_empty() {
        Vec::new()
    } else {
        vec![
            topics.section(
                "By topic",
                None,
                "No contacts with a call reason in this period.",
            ),
            entries.section(
                to_read,
                Some(
                    "Every complaint and every praise, to forward to the department \
                     concerned.",
                ),
                "No complaints and no praise in this period.",
            ),
            leads.section(
                "Leads handed to sales",
                Some(
                    "Contacts whose outcome is a lead: won, lost (sale facts, none won) or \
                     still open; win rate = won ÷ (won + lost).",
                ),
                "No leads in this period.",
            ),
        ]
    };
    let page = TablePage {
        title: "Value report".to_owned(),
        facts: vec![
            (
                "Period length".to_owned(),
                match report.period {
                    Period::Week => "week (from Monday)",
                    Period::Month => "calendar month",
                }
                .to_owned(),
            ),
            (
                "Value created".to_owned(),
                amount(scope, report.rows.iter().map(|r| r.value_created).sum()),
            ),
        ],
        notes: vec![method.to_owned()],
        empty: Some("No finished contacts in this period.".to_owned()),
        sections,
        ..TablePage::default()
    };
    let page = per_period.main(Some(&period_heading(interval)), page);
    output(scope, &page, table, note.join("\n"), report)
}

/// The cells of one period of the value report: contacts, leads,
/// resolutions, and the value created.
fn summary_cells(row: &ValuePeriod) -> (Vec<Cell>, Vec<Cell>, Vec<Cell>, Cell) {
    let (leads, res) = (&row.leads, &row.resolution);
    (
        vec![
            count(row.contacts),
            count(row.complaints.count),
            count(row.praise.count),
        ],
        vec![
            count(leads.handed.count),
            count(leads.won.count),
            count(leads.lost.count),
            count(leads.open.count),
            share(leads.win_rate),
            text(leads.won_revenue),
        ],
        vec![
            count(res.remote.count),
            count(res.site_visit.count),
            maybe(res.site_visits_change.map(signed)),
            count(res.customers_served_remotely),
            maybe(res.visits_avoided_value),
        ],
        text(row.value_created),
    )
}

/// A change with its sign, "+2" or "-1", so a rise reads as one.
fn signed(change: i64) -> String {
    format!("{change:+}")
}

fn category_name(category: Category) -> &'static str {
    match category {
        Category::Complaint => "complaint",
        Category::Praise => "praise",
        Category::Lead => "lead",
        Category::Inquiry => "inquiry",
        Category::Request => "request",
        Category::Other => "other",
    }
}
