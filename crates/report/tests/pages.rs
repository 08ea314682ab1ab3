//! Pages rendered from reports of a simulated morning (see `support`):
//! well-formed, the service-level definition named, the table's numbers
//! those of the kpi reports (totals equal to kpi's own figures over the
//! whole day), one bar per interval, names escaped, empty reports said
//! to be empty.
//!
//! Set `REPORT_SAMPLE=/tmp/report-sample.html` to write the sample book.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use acd::model::{AgentId, QueueId, Span};
use jiff::ToSpan;
use jiff::civil::DateTime;
use kpi::{
    Bucketing, Count, Interval, Ledger, OutcomeOptions, Period, QueueOptions, QueueReport, Rate,
    SlDefinition,
};
use report::{
    Cell, Column, Frame, Names, QueuePlan, QueueSettings, Section, SlBasis, TablePage, Tone,
    agent_page, book, format, outcome_page, pareto_chart, queue_page, table_page,
};
use support::{Run, check_markup, code, morning, opening, zone};

fn frame() -> Frame {
    Frame {
        center: "Harbor Bank — Lisbon".into(),
        time_zone: zone(),
        from: opening().date().at(0, 0, 0, 0),
        to: opening().date().tomorrow().unwrap().at(0, 0, 0, 0),
        generated: None,
    }
}

fn queue_options(run: &Run, interval: Interval) -> QueueOptions {
    let mut options = QueueOptions::new(Bucketing {
        interval,
        time_zone: zone(),
    });
    options.thresholds = run
        .config
        .queues
        .iter()
        .map(|q| (q.id, q.service_level_threshold))
        .collect();
    options
}

fn quarter_hours(run: &Run) -> QueueReport {
    run.ledger()
        .queue_report(&queue_options(run, Interval::Minutes15))
        .unwrap()
}

/// The cell texts of every table row, tags stripped and entities decoded.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for chunk in html.split("<tr").skip(1) {
        let row = &chunk[..chunk.find("</tr>").unwrap()];
        let cells = row
            .split("<td")
            .skip(1)
            .map(|cell| {
                let text = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
                text.replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&amp;", "&")
            })
            .collect::<Vec<_>>();
        if !cells.is_empty() {
            rows.push(cells);
        }
    }
    rows
}

/// The `<svg>` elements of `html`, in order.
fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg")
        .map(|(i, _)| &html[i..i + html[i..].find("</svg>").unwrap()])
        .collect()
}

/// The HTML of each queue's section, in order.
fn sections(html: &str) -> Vec<&str> {
    html.split("<section class=\"part\">").skip(1).collect()
}

#[test]
fn queue_page_is_well_formed_and_names_its_definition() {
    let run = morning(["Sales", "Support"]);
    let report = quarter_hours(&run);
    let settings = QueueSettings::new(Interval::Minutes15, SlDefinition::Offered);
    let html = queue_page(
        &frame(),
        &Names::from_config(&run.config),
        &report,
        &settings,
    )
    .html();
    check_markup(&html);
    assert!(html.contains("Charts and targets use <strong>SL offered</strong>"));
    assert!(html.contains("answered within T ÷ (offered − short abandons)"));
    assert!(html.contains("answered within T ÷ answered."));
    assert!(html.contains("(answered + abandoned)"));
    assert!(html.contains("Sales <strong>20 s</strong>, Support <strong>30 s</strong>"));
    assert!(html.contains("within <strong>5 s</strong> is short"));
    assert!(html.contains("<dd>15 minutes</dd>"));
    assert!(html.contains("<dd>Tue 2024-03-05</dd>"));
    assert!(html.contains("<dd>UTC+01</dd>"));
    assert!(html.contains("SL offered per interval (T = 20 s)"));
    assert!(html.contains("How these numbers are computed"));
}

#[test]
fn interval_rows_show_the_kpi_figures() {
    let run = morning(["Sales", "Support"]);
    let report = quarter_hours(&run);
    let settings = QueueSettings::new(Interval::Minutes15, SlDefinition::Offered);
    let html = queue_page(
        &frame(),
        &Names::from_config(&run.config),
        &report,
        &settings,
    )
    .html();
    let rows = table_rows(sections(&html)[0]);
    let sales: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.queue == QueueId(1))
        .collect();
    assert_eq!(rows.len(), sales.len() + 1, "intervals and a totals row");
    for (cells, row) in rows.iter().zip(&sales) {
        let start = row.start.strftime("%H:%M").to_string();
        assert!(cells[0].starts_with(&start), "{cells:?}");
        assert_eq!(cells[1], format::count(row.count(Count::Offered)));
        assert_eq!(cells[2], format::count(row.count(Count::Answered)));
        assert_eq!(
            cells[3],
            format!(
                "{} ({})",
                row.count(Count::Abandoned),
                row.count(Count::ShortAbandoned)
            )
        );
        assert_eq!(
            cells[4],
            format::percent(row.service_level(SlDefinition::Answered))
        );
        assert_eq!(
            cells[5],
            format::percent(row.service_level(SlDefinition::Offered))
        );
        assert_eq!(cells[7], format::wait(row.asa));
        assert_eq!(cells[9], format::percent(row.abandon_rate));
        assert_eq!(cells[10], format::wait(Some(row.max_wait)));
        assert_eq!(cells[11], format::wait(row.aht));
    }
}

/// The totals rows of the quarter-hour page equal kpi's own day report:
/// re-aggregated from counts, not averaged.
#[test]
fn totals_equal_the_whole_day_computed_by_kpi() {
    let run = morning(["Sales", "Support"]);
    let report = quarter_hours(&run);
    let day = run
        .ledger()
        .queue_report(&queue_options(&run, Interval::Day))
        .unwrap();
    let settings = QueueSettings::new(Interval::Minutes15, SlDefinition::Offered);
    let names = Names::from_config(&run.config);
    let html = queue_page(&frame(), &names, &report, &settings).html();
    let day_html = queue_page(
        &frame(),
        &names,
        &day,
        &QueueSettings::new(Interval::Day, SlDefinition::Offered),
    )
    .html();
    for (quarter, whole) in sections(&html).iter().zip(sections(&day_html)) {
        let total = table_rows(quarter).pop().unwrap();
        let day_row = table_rows(whole).remove(0);
        assert_eq!(total[0], "Total");
        assert_eq!(total[1..], day_row[1..], "totals against the day's row");
    }
    // The averaged quarter-hour ASA differs from the true one here, so the
    // test would catch an average of averages.
    let sales: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.queue == QueueId(1) && r.asa.is_some())
        .collect();
    let averaged = sales.iter().filter_map(|r| r.asa).sum::<f64>() / sales.len() as f64;
    let whole = day.rows[0].asa.unwrap();
    assert_ne!(format::wait(Some(averaged)), format::wait(Some(whole)));
    // Summary rows are the same totals.
    let summary = table_rows(&html[..html.find("<section class=\"part\">").unwrap()]);
    assert_eq!(summary.len(), 3, "two queues and all queues");
    assert_eq!(summary[0][0], "Sales");
    assert_eq!(summary[2][0], "All queues");
    let all_offered: u64 = report.rows.iter().map(|r| r.count(Count::Offered)).sum();
    assert_eq!(summary[2][2], format::count(all_offered));
}

#[test]
fn the_volume_chart_has_one_bar_per_interval() {
    let run = morning(["Sales", "Support"]);
    let report = quarter_hours(&run);
    let settings = QueueSettings::new(Interval::Minutes15, SlDefinition::Offered);
    let html = queue_page(
        &frame(),
        &Names::from_config(&run.config),
        &report,
        &settings,
    )
    .html();
    for (section, queue) in sections(&html).iter().zip([1, 2]) {
        let intervals = report
            .rows
            .iter()
            .filter(|r| r.queue == QueueId(queue))
            .count();
        let charts = svgs(section);
        assert_eq!(
            charts.len(),
            2,
            "volume and service level; no staffing given"
        );
        assert_eq!(charts[0].matches("class=\"bar\"").count(), intervals);
        assert!(charts[0].contains("Contacts offered per interval"));
        assert!(section.contains("Not supplied: forecast, required agents, staffed agents."));
    }
}

#[test]
fn plans_draw_forecast_target_and_staffing() {
    let run = morning(["Sales", "Support"]);
    let report = quarter_hours(&run);
    let mut settings = QueueSettings::new(Interval::Minutes15, SlDefinition::Offered);
    settings.plans.insert(QueueId(1), sample_plan());
    let html = queue_page(
        &frame(),
        &Names::from_config(&run.config),
        &report,
        &settings,
    )
    .html();
    check_markup(&html);
    let charts = svgs(sections(&html)[0]);
    assert_eq!(charts.len(), 3);
    assert!(charts[0].contains("against the forecast"));
    assert!(charts[0].contains("<path d=\"M"), "the forecast line");
    assert!(charts[1].contains("target 80.0%"));
    assert!(charts[2].contains("Agents staffed per interval against the requirement"));
    // The plan's point at 08:05 starts no quarter hour: reported, not drawn.
    assert!(sections(&html)[0].contains("Not shown: 1 forecast value(s)"));
}

#[test]
fn a_single_interval_is_one_narrow_bar() {
    let run = morning(["Sales", "Support"]);
    let day = run
        .ledger()
        .queue_report(&queue_options(&run, Interval::Day))
        .unwrap();
    let settings = QueueSettings::new(Interval::Day, SlDefinition::Answered);
    let html = queue_page(&frame(), &Names::from_config(&run.config), &day, &settings).html();
    check_markup(&html);
    let chart = svgs(sections(&html)[0])[0];
    assert_eq!(chart.matches("class=\"bar\"").count(), 1);
    assert!(
        chart.contains("width=\"39.36\""),
        "capped at 48 less the gap"
    );
    assert!(chart.contains(">03-05<"));
}

#[test]
fn names_from_the_logs_are_escaped() {
    let run = morning(["Sales", "<script>&"]);
    let mut names = Names::from_config(&run.config);
    names
        .agents
        .insert(AgentId(2), "\"Grace\" <b>&amp;</b> 'Hopper'".into());
    let report = quarter_hours(&run);
    let settings = QueueSettings::new(Interval::Minutes15, SlDefinition::AbandonNeutral);
    let queues = queue_page(&frame(), &names, &report, &settings).html();
    check_markup(&queues);
    assert!(queues.contains("&lt;script&gt;&amp;"));
    assert!(!queues.contains("<script"));
    let agents = agent_page(&frame(), &names, &run.ledger().agent_report(None).unwrap()).html();
    check_markup(&agents);
    assert!(agents.contains("&quot;Grace&quot; &lt;b&gt;&amp;amp;&lt;/b&gt; &#39;Hopper&#39;"));
}

#[test]
fn empty_reports_say_so() {
    let ledger = Ledger::from_records(&[]).unwrap();
    let names = Names::default();
    let run = morning(["Sales", "Support"]);
    let queues = queue_page(
        &frame(),
        &names,
        &ledger
            .queue_report(&queue_options(&run, Interval::Minutes15))
            .unwrap(),
        &QueueSettings::new(Interval::Minutes15, SlDefinition::Offered),
    )
    .html();
    let agents = agent_page(&frame(), &names, &ledger.agent_report(None).unwrap()).html();
    let outcomes = outcome_page(&frame(), &ledger.outcome_report(&outcomes()).unwrap()).html();
    let table = table_page(
        &frame(),
        &TablePage {
            title: "First-contact resolution".into(),
            columns: vec![Column::text("Queue")],
            ..TablePage::default()
        },
    )
    .html();
    for (html, says) in [
        (&queues, "No contacts in this period"),
        (&agents, "No agent activity in this period"),
        (&outcomes, "No handled contacts in this period"),
        (&table, "No data in this period."),
    ] {
        check_markup(html);
        assert!(html.contains(says), "{says}");
        assert!(!html.contains("<svg"), "no chart without data");
        assert!(!html.contains("<table"), "no table without data");
    }
    assert!(queues.contains("Service level: which definition"));
}

#[test]
fn agent_page_accounts_for_logged_in_time() {
    let run = morning(["Sales", "Support"]);
    let report = run.ledger().agent_report(None).unwrap();
    let html = agent_page(&frame(), &Names::from_config(&run.config), &report).html();
    check_markup(&html);
    let chart = svgs(&html)[0];
    assert_eq!(
        chart.matches("class=\"bar\"").count(),
        5,
        "one bar per agent"
    );
    assert!(
        chart.contains(">Maximilian Alexander vo…<"),
        "long name cut"
    );
    assert!(chart.contains("not ready: lunch"));
    let rows = table_rows(&html);
    let ada = report.row(AgentId(1)).unwrap();
    let first = &rows[0];
    assert_eq!(first[0], "Ada Lovelace");
    assert_eq!(first[1], format::duration(ada.logged_in));
    assert_eq!(first[8], format::count(ada.handled));
    assert_eq!(first[11], format::percent(ada.occupancy));
    assert!(
        rows.iter()
            .any(|r| r[0] == "Maximilian Alexander von Humboldt-Winterfeld")
    );
    let total = &rows[5];
    assert_eq!(total[0], "Total (5 agents)");
    let handled: u64 = report.rows.iter().map(|r| r.handled).sum();
    assert_eq!(total[8], format::count(handled));
    let logged: Span = report.rows.iter().fold(Span::ZERO, |a, r| a + r.logged_in);
    assert_eq!(total[1], format::duration(logged));
}

fn outcomes() -> OutcomeOptions {
    OutcomeOptions {
        period: Period::Week,
        time_zone: zone(),
        success: BTreeSet::from([code("sale")]),
        target: Some(Rate::new(0.2).unwrap()),
    }
}

#[test]
fn outcome_page_shows_the_rate_against_the_target() {
    let run = morning(["Sales", "Support"]);
    let report = run.ledger().outcome_report(&outcomes()).unwrap();
    let html = outcome_page(&frame(), &report).html();
    check_markup(&html);
    let row = &report.rows[0];
    let rows = table_rows(&html);
    assert_eq!(rows[0][0], "week of Mon 2024-03-04");
    assert!(rows[0].contains(&format::percent(row.success_rate)));
    let met = if row.met == Some(true) {
        "met"
    } else {
        "missed"
    };
    assert_eq!(rows[0].last().unwrap(), met);
    assert!(html.contains("<dd>20.0%</dd>"));
    assert_eq!(svgs(&html)[0].matches("class=\"bar\"").count(), 1);
}

#[test]
fn table_pages_render_what_the_caller_formats() {
    let items: Vec<(String, f64)> = [("billing", 40.0), ("card <lost>", 25.0), ("other", 5.0)]
        .map(|(l, v)| (l.to_string(), v))
        .to_vec();
    let page = TablePage {
        title: "Call reasons".into(),
        facts: vec![("Window".into(), "7 days".into())],
        service_level: Some(SlBasis {
            definitions: vec![SlDefinition::Offered],
            threshold: Span::from_secs(20),
            short_abandon: Span::from_secs(5),
        }),
        figures: vec![pareto_chart("Contacts by reason", "contacts", &items)],
        heading: None,
        columns: vec![Column::text("Reason"), Column::number("Contacts")],
        rows: items
            .iter()
            .map(|(l, v)| vec![Cell::from(l.as_str()), Cell::from(format!("{v:.0}"))])
            .collect(),
        total: Some(vec![Cell::from("Total"), Cell::toned("70", Tone::Good)]),
        notes: vec!["One contact counts once, by its first reason.".into()],
        empty: None,
        sections: Vec::new(),
    };
    let html = table_page(&frame(), &page).html();
    check_markup(&html);
    assert!(html.contains("card &lt;lost&gt;"));
    assert!(html.contains("T = <strong>20 s</strong>"));
    assert!(html.contains("<dd>7 days</dd>"));
    assert!(html.contains("<td class=\"n good\">70</td>"));
    assert!(html.contains("One contact counts once"));
    assert_eq!(svgs(&html)[0].matches("class=\"bar\"").count(), 3);
}

/// A page with a main table and sections: each section after the main
/// table under its heading, its cells escaped; an empty section says so;
/// the notes stay in the footer, after every table.
#[test]
fn table_pages_draw_their_sections_after_the_main_table() {
    let page = TablePage {
        title: "Customer satisfaction".into(),
        heading: Some("By day".into()),
        columns: vec![Column::text("day"), Column::number("CSAT")],
        rows: vec![vec![Cell::from("2024-03-05"), Cell::from("50.0%")]],
        notes: vec!["CSAT = satisfied answers ÷ answers.".into()],
        sections: vec![
            Section {
                heading: "Callers to call <back>".into(),
                intro: Some("Every dissatisfied answer & every unrated call.".into()),
                columns: vec![Column::text("caller"), Column::number("score")],
                rows: vec![
                    vec![Cell::from("\"Ada\" <b>"), Cell::from("2")],
                    vec![Cell::from("Grace & co"), Cell::toned("1", Tone::Bad)],
                ],
                total: Some(vec![Cell::from("total"), Cell::from("2 callers")]),
                empty: None,
            },
            Section {
                heading: "Complaints to read".into(),
                columns: vec![Column::text("topic")],
                empty: Some("No complaints this week.".into()),
                ..Section::default()
            },
            Section {
                heading: "Leads".into(),
                columns: vec![Column::text("week"), Column::number("won")],
                rows: vec![vec![Cell::from("2024-03-04"), Cell::from("3")]],
                ..Section::default()
            },
        ],
        ..TablePage::default()
    };
    let html = table_page(&frame(), &page).html();
    check_markup(&html);
    let position = |text: &str| {
        html.find(text)
            .unwrap_or_else(|| panic!("{text:?} in the page"))
    };
    assert!(position("<h2>By day</h2>") < position("<table"));
    let callers = position("<h2>Callers to call &lt;back&gt;</h2>");
    let complaints = position("<h2>Complaints to read</h2>");
    let leads = position("<h2>Leads</h2>");
    assert!(position("2024-03-05") < callers);
    assert!(callers < complaints && complaints < leads);
    assert!(leads < position("How these numbers are computed"));
    assert!(
        html.contains("<p class=\"sub\">Every dissatisfied answer &amp; every unrated call.</p>")
    );
    assert!(html.contains("<td>&quot;Ada&quot; &lt;b&gt;</td>"));
    assert!(!html.contains("<b>"));
    assert!(html.contains("<td class=\"n bad\">1</td>"));
    assert_eq!(html.matches("<section class=\"part\">").count(), 3);
    assert_eq!(
        html.matches("<table>").count(),
        3,
        "main table and two sections"
    );
    // Each section's rows, in order: the main table's, the callers with
    // their total, the leads.
    let rows = table_rows(&html);
    assert_eq!(
        rows,
        [
            vec!["2024-03-05", "50.0%"],
            vec!["\"Ada\" <b>", "2"],
            vec!["Grace & co", "1"],
            vec!["total", "2 callers"],
            vec!["2024-03-04", "3"],
        ]
    );
    let empty = &html[complaints..leads];
    assert!(empty.contains("<p class=\"empty\">No complaints this week.</p>"));
    assert!(!empty.contains("<table"));
    // The notes hold no table.
    let footer = &html[position("<footer")..];
    assert!(footer.contains("CSAT = satisfied answers ÷ answers."));
    assert!(!footer.contains("<table"));
}

/// A page of sections only draws no main table and says nothing of it;
/// an empty section without its own text says there is no data.
#[test]
fn a_page_of_sections_only_has_no_main_table() {
    let section = |heading: &str, rows: Vec<Vec<Cell>>| Section {
        heading: heading.into(),
        columns: vec![Column::text("reason"), Column::number("FCR")],
        rows,
        ..Section::default()
    };
    let page = TablePage {
        title: "First-contact resolution".into(),
        empty: Some("No handled contacts in this period.".into()),
        sections: vec![
            section(
                "By day",
                vec![vec![Cell::from("2024-03-05"), Cell::from("75.0%")]],
            ),
            section("By call reason", Vec::new()),
        ],
        ..TablePage::default()
    };
    let html = table_page(&frame(), &page).html();
    check_markup(&html);
    assert!(!html.contains("No handled contacts"));
    assert_eq!(html.matches("<table>").count(), 1);
    assert_eq!(table_rows(&html), [vec!["2024-03-05", "75.0%"]]);
    let by_reason = &html[html.find("<h2>By call reason</h2>").unwrap()..];
    assert!(by_reason.contains("<p class=\"empty\">No data in this period.</p>"));

    // An empty main table keeps its heading when sections follow it, and
    // shows no heading when it is alone on the page.
    let mut page = TablePage {
        title: "Customer satisfaction".into(),
        heading: Some("By day".into()),
        columns: vec![Column::text("day")],
        empty: Some("No survey answers in this period.".into()),
        sections: vec![section("Callers", Vec::new())],
        ..TablePage::default()
    };
    let html = table_page(&frame(), &page).html();
    check_markup(&html);
    assert!(html.contains("<h2>By day</h2>\n<p class=\"empty\">No survey answers"));
    page.sections.clear();
    let html = table_page(&frame(), &page).html();
    check_markup(&html);
    assert!(!html.contains("By day"));
    assert!(html.contains("<p class=\"empty\">No survey answers in this period.</p>"));
}

/// A plan for Sales: a forecast a little under the morning peak, a
/// requirement from it, and agents staffed around breaks; plus one point
/// at 08:05 that starts no interval.
fn sample_plan() -> QueuePlan {
    let quarter =
        |i: usize| -> DateTime { opening().checked_add((15 * i as i64).minutes()).unwrap() };
    let series = |values: [f64; 16]| -> Vec<(DateTime, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (quarter(i), v))
            .collect()
    };
    let mut forecast = series([
        4.2, 5.1, 6.5, 8.0, 9.6, 11.0, 12.2, 13.0, 13.1, 12.4, 11.2, 9.8, 8.1, 6.6, 5.2, 4.3,
    ]);
    forecast.push((opening().checked_add(5.minutes()).unwrap(), 1.0));
    QueuePlan {
        forecast,
        required: series([
            2.0, 2.0, 2.0, 3.0, 3.0, 3.5, 4.0, 4.0, 4.0, 4.0, 3.5, 3.0, 3.0, 2.5, 2.0, 2.0,
        ]),
        staffed: series([
            3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 3.0, 3.0, 3.0, 2.5, 2.5, 3.0, 3.0, 3.0, 3.0,
        ]),
        sl_target: Some(Rate::new(0.8).unwrap()),
    }
}

/// Renders every page into one book; writes it when `REPORT_SAMPLE` names
/// a file (to look at it in a browser).
#[test]
fn the_sample_book() {
    let run = morning(["Sales", "Support"]);
    let names = Names::from_config(&run.config);
    let mut settings = QueueSettings::new(Interval::Minutes15, SlDefinition::Offered);
    settings.plans = BTreeMap::from([
        (QueueId(1), sample_plan()),
        (
            QueueId(2),
            QueuePlan {
                sl_target: Some(Rate::new(0.7).unwrap()),
                ..QueuePlan::default()
            },
        ),
    ]);
    let mut frame = frame();
    frame.generated = Some("2024-03-05T12:30:00Z".parse().unwrap());
    let ledger = run.ledger();
    let pages = [
        queue_page(&frame, &names, &quarter_hours(&run), &settings),
        agent_page(&frame, &names, &ledger.agent_report(None).unwrap()),
        outcome_page(&frame, &ledger.outcome_report(&outcomes()).unwrap()),
    ];
    let html = book("Harbor Bank — Tue 2024-03-05", &pages);
    check_markup(&html);
    assert_eq!(html.matches("<article class=\"page\">").count(), 3);
    if let Some(path) = std::env::var_os("REPORT_SAMPLE") {
        std::fs::write(path, &html).unwrap();
    }
}

#[test]
#[should_panic(expected = "closes <b>")]
fn the_markup_check_catches_a_misnested_tag() {
    check_markup("<p><b>bold</p></b>");
}

#[test]
#[should_panic(expected = "bare &")]
fn the_markup_check_catches_an_unescaped_ampersand() {
    check_markup("<p>R&D</p>");
}
