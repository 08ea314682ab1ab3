//! The page frame every report shares, and the HTML document around it.
//!
//! Key types: [`Frame`] (center, period, time zone: what the numbers
//! cover), [`Names`] (display names for queue and agent ids), [`SlBasis`]
//! (which service-level definitions a page shows, with T and the
//! short-abandon threshold) and [`Page`] (one rendered report; [`book`]
//! puts several in one document, each starting on a new printed sheet).
//!
//! The output is XHTML-compatible HTML (every element closed, every text
//! escaped) with inline CSS and no script, so it opens offline, prints on
//! A4 and can be checked by a plain tag matcher.

use std::collections::BTreeMap;
use std::fmt::Write;

use acd::config::Config;
use acd::model::{AgentId, QueueId, Span};
use jiff::ToSpan;
use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use kpi::SlDefinition;

use crate::format;

/// What a page covers: shown at the top of every page so a printout
/// stands on its own.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The contact center's name.
    pub center: String,
    /// The center's time zone; every time on the page is local to it.
    pub time_zone: TimeZone,
    /// First local instant covered.
    pub from: DateTime,
    /// End of the period, exclusive (midnight after the last day).
    pub to: DateTime,
    /// When the report was produced, if the caller wants it printed (the
    /// renderers never read a clock).
    pub generated: Option<Timestamp>,
}

impl Frame {
    /// The period, e.g. `Tue 2024-03-05` for one whole day,
    /// `Mon 2024-03-04 to Sun 2024-03-10 (7 days)` for whole days, or
    /// `2024-03-05 08:00 to 2024-03-05 18:00`.
    fn period_text(&self) -> String {
        let midnight = Time::midnight();
        if self.from.time() == midnight && self.to.time() == midnight && self.to > self.from {
            let first = self.from.date();
            let days = first.until(self.to.date()).map_or(0, |s| s.get_days());
            let last = self.to.date().checked_sub(1.day()).unwrap_or(first);
            if days <= 1 {
                return first.strftime("%a %Y-%m-%d").to_string();
            }
            return format!(
                "{} to {} ({days} days)",
                first.strftime("%a %Y-%m-%d"),
                last.strftime("%a %Y-%m-%d")
            );
        }
        format!(
            "{} to {}",
            self.from.strftime("%Y-%m-%d %H:%M"),
            self.to.strftime("%Y-%m-%d %H:%M")
        )
    }

    /// The zone's name with its UTC offset, both offsets when daylight
    /// saving changes within the period.
    fn zone_text(&self) -> String {
        let offset = |at: DateTime| {
            at.to_zoned(self.time_zone.clone())
                .map(|z| format!("UTC{}", z.offset()))
                .unwrap_or_default()
        };
        let (start, end) = (offset(self.from), offset(self.to));
        let offsets = if start == end || end.is_empty() {
            start
        } else {
            format!("{start}, then {end}")
        };
        match self.time_zone.iana_name() {
            Some("UTC") if offsets == "UTC+00" => "UTC".to_string(),
            Some(name) => format!("{name} ({offsets})"),
            None => offsets,
        }
    }

    /// The local start of an interval, converted to the frame's zone.
    pub(crate) fn local(&self, at: &Zoned) -> Zoned {
        at.with_time_zone(self.time_zone.clone())
    }
}

/// Display names for the ids in the reports (imported logs name queues
/// and agents; the reports carry only ids). Missing names show the id.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Queue names.
    pub queues: BTreeMap<QueueId, String>,
    /// Agent names.
    pub agents: BTreeMap<AgentId, String>,
}

impl Names {
    /// The names of a routing configuration's queues and agents.
    pub fn from_config(config: &Config) -> Self {
        Names {
            queues: config
                .queues
                .iter()
                .map(|q| (q.id, q.name.clone()))
                .collect(),
            agents: config
                .agents
                .iter()
                .map(|a| (a.id, a.name.clone()))
                .collect(),
        }
    }

    /// The queue's name, or its id when unnamed.
    pub fn queue(&self, id: QueueId) -> String {
        self.queues
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The agent's name, or its id when unnamed.
    pub fn agent(&self, id: AgentId) -> String {
        self.agents
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// Which service level a page shows, printed in its frame so no one
/// mistakes one definition for another.
#[derive(Debug, Clone)]
pub struct SlBasis {
    /// The definitions shown.
    pub definitions: Vec<SlDefinition>,
    /// The threshold T.
    pub threshold: Span,
    /// Abandons within this are short (zero: none are).
    pub short_abandon: Span,
}

/// The three definitions in the order tables show them.
pub(crate) const DEFINITIONS: [SlDefinition; 3] = [
    SlDefinition::Answered,
    SlDefinition::Offered,
    SlDefinition::AbandonNeutral,
];

/// Short column name of a definition.
pub(crate) fn sl_name(definition: SlDefinition) -> &'static str {
    match definition {
        SlDefinition::Answered => "SL answered",
        SlDefinition::Offered => "SL offered",
        SlDefinition::AbandonNeutral => "SL abandon-neutral",
    }
}

/// The definition in words.
fn sl_formula(definition: SlDefinition) -> &'static str {
    match definition {
        SlDefinition::Answered => {
            "answered within T ÷ answered. Abandoned calls do not count at all."
        }
        SlDefinition::Offered => {
            "answered within T ÷ (offered − short abandons). Every other abandon, \
             overflow or time-out counts as not within T."
        }
        SlDefinition::AbandonNeutral => {
            "(answered within T + abandoned within T) ÷ (answered + abandoned). \
             A caller who gave up within T counts as served in time."
        }
    }
}

/// The service-level box: the definitions, which one the charts use, T
/// (one value, or one per scope) and the short-abandon threshold.
pub(crate) fn basis_html(
    out: &mut String,
    definitions: &[SlDefinition],
    charted: Option<SlDefinition>,
    thresholds: &[(String, Span)],
    short_abandon: Span,
) {
    out.push_str("<section class=\"basis\">\n<h2>Service level: which definition</h2>\n");
    if let Some(charted) = charted {
        let _ = writeln!(
            out,
            "<p>Charts and targets use <strong>{}</strong>; tables show every definition below.</p>",
            sl_name(charted)
        );
    }
    out.push_str("<ul>\n");
    for &d in definitions {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> = {}</li>",
            sl_name(d),
            escape(sl_formula(d))
        );
    }
    out.push_str("</ul>\n<p>");
    match thresholds {
        [] => {}
        [(_, t)] => {
            let _ = write!(out, "T = <strong>{}</strong>. ", format::seconds(*t));
        }
        many => {
            out.push_str("T by queue: ");
            for (i, (scope, t)) in many.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}{} <strong>{}</strong>",
                    if i > 0 { ", " } else { "" },
                    escape(scope),
                    format::seconds(*t)
                );
            }
            out.push_str(". ");
        }
    }
    let short = if short_abandon == Span::ZERO {
        "no abandon is short (threshold 0 s)".to_string()
    } else {
        format!(
            "an abandon within <strong>{}</strong> is short",
            format::seconds(short_abandon)
        )
    };
    let _ = writeln!(
        out,
        "A wait of exactly T is within T; {short}.</p>\n</section>"
    );
}

/// One rendered report: its title and the HTML of its body (frame
/// included). [`Page::html`] makes it a document.
#[derive(Debug, Clone)]
pub struct Page {
    title: String,
    body: String,
}

impl Page {
    /// The page title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The page as a self-contained HTML document.
    pub fn html(&self) -> String {
        book(&self.title, std::slice::from_ref(self))
    }
}

/// Several pages in one self-contained HTML document; each page starts on
/// a new sheet when printed.
pub fn book(title: &str, pages: &[Page]) -> String {
    let mut out = String::with_capacity(pages.iter().map(|p| p.body.len()).sum::<usize>() + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(title)
    );
    for page in pages {
        out.push_str("<article class=\"page\">\n");
        out.push_str(&page.body);
        out.push_str("</article>\n");
    }
    if pages.is_empty() {
        out.push_str("<p class=\"empty\">No reports.</p>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Builds a page: the frame header, then the caller's body, then the
/// method footnote.
pub(crate) struct PageBuilder {
    title: String,
    pub(crate) out: String,
}

impl PageBuilder {
    /// Opens a page with the frame header; `facts` are page-specific
    /// lines of the header such as the interval length.
    pub(crate) fn new(frame: &Frame, title: &str, facts: &[(&str, String)]) -> Self {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<header class=\"frame\">\n<p class=\"center\">{}</p>\n<h1>{}</h1>\n<dl class=\"meta\">",
            escape(&frame.center),
            escape(title)
        );
        let mut fact = |term: &str, value: &str| {
            let _ = writeln!(
                out,
                "<div><dt>{}</dt><dd>{}</dd></div>",
                escape(term),
                escape(value)
            );
        };
        fact("Period", &frame.period_text());
        fact("Time zone", &frame.zone_text());
        for (term, value) in facts {
            fact(term, value);
        }
        if let Some(at) = frame.generated {
            let local = at.to_zoned(frame.time_zone.clone());
            fact("Generated", &local.strftime("%Y-%m-%d %H:%M").to_string());
        }
        out.push_str("</dl>\n</header>\n");
        PageBuilder {
            title: title.to_string(),
            out,
        }
    }

    /// A paragraph saying there is nothing to show.
    pub(crate) fn empty(&mut self, text: &str) {
        let _ = writeln!(self.out, "<p class=\"empty\">{}</p>", escape(text));
    }

    /// Closes the page with the "how these numbers are computed" notes:
    /// (term, explanation) pairs.
    pub(crate) fn finish(mut self, method: &[(&str, String)]) -> Page {
        if !method.is_empty() {
            self.out.push_str(
                "<footer class=\"method\">\n<h2>How these numbers are computed</h2>\n<dl>\n",
            );
            for (term, text) in method {
                if !term.is_empty() {
                    let _ = write!(self.out, "<dt>{}</dt>", escape(term));
                }
                let _ = writeln!(self.out, "<dd>{}</dd>", escape(text));
            }
            self.out.push_str("</dl>\n</footer>\n");
        }
        Page {
            title: self.title,
            body: self.out,
        }
    }
}

/// Escapes text for HTML and SVG (both XML-safe): markup characters
/// become entities, and control characters, which XML forbids and
/// imported logs may hold, become U+FFFD.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, with an ellipsis when cut: chart
/// labels have a fixed width (the full text goes in a tooltip).
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Print-first styling: A4 margins, table headers repeated on each sheet,
/// figures kept whole; colours match wfm's coverage chart.
const CSS: &str = "
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
  color: #222; font-size: 14px; line-height: 1.4; max-width: 1060px; margin: 24px auto; padding: 0 20px; }
.page + .page { break-before: page; margin-top: 48px; border-top: 1px solid #ccc; padding-top: 24px; }
header.frame { border-bottom: 2px solid #4a78b5; margin-bottom: 16px; padding-bottom: 8px; }
.center { margin: 0; color: #444; font-size: 15px; letter-spacing: 0.02em; }
h1 { margin: 2px 0 8px; font-size: 24px; }
h2 { font-size: 18px; margin: 24px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
dl.meta { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 0; }
dl.meta div { display: flex; gap: 6px; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; font-weight: 600; }
.basis { background: #f3f6fa; border-left: 4px solid #4a78b5; padding: 4px 14px; margin: 12px 0 20px; font-size: 13px; }
.basis h2 { font-size: 14px; margin: 6px 0; }
.basis ul { margin: 4px 0; padding-left: 18px; }
.basis p { margin: 4px 0; }
section.part { margin-top: 28px; }
.id { color: #888; font-weight: normal; font-size: 0.8em; }
.sub { color: #444; margin: 0 0 8px; }
figure { margin: 10px 0 14px; break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12px; font-variant-numeric: tabular-nums; margin: 6px 0 12px; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { text-align: left; vertical-align: bottom; font-weight: 600; border-bottom: 2px solid #444; padding: 4px 5px; }
td { border-bottom: 1px solid #e2e2e2; padding: 3px 5px; overflow-wrap: anywhere; }
td:first-child { min-width: 7.5em; }
th.n { text-align: right; }
td.n { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafafa; }
tr.total td { font-weight: 700; border-top: 2px solid #444; border-bottom: 2px solid #444; background: #f3f6fa; }
.good { color: #2f6b2a; }
.bad { color: #c0281b; font-weight: 600; }
.muted { color: #888; }
.empty { padding: 14px 16px; background: #f6f6f6; border: 1px dashed #bbb; color: #444; }
.notes { color: #444; font-size: 12px; }
footer.method { margin-top: 28px; border-top: 1px solid #ccc; font-size: 12px; color: #333; }
footer.method h2 { font-size: 14px; }
footer.method dt { font-weight: 600; margin-top: 4px; }
footer.method dd { margin: 0 0 0 16px; }
@media print {
  body { margin: 0; padding: 0; max-width: none; font-size: 10pt; }
  .page + .page { margin-top: 0; border-top: none; padding-top: 0; }
  .wide { overflow: visible; }
  table { font-size: 7.5pt; }
  th, td { padding: 2px 3px; }
  td:first-child { min-width: 6.8em; }
}
";

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn frame(from: DateTime, to: DateTime, time_zone: TimeZone) -> Frame {
        Frame {
            center: "C".into(),
            time_zone,
            from,
            to,
            generated: None,
        }
    }

    #[test]
    fn periods_read_as_days_when_whole() {
        let day = date(2024, 3, 5).at(0, 0, 0, 0);
        let f = frame(day, date(2024, 3, 6).at(0, 0, 0, 0), TimeZone::UTC);
        assert_eq!(f.period_text(), "Tue 2024-03-05");
        let f = frame(day, date(2024, 3, 12).at(0, 0, 0, 0), TimeZone::UTC);
        assert_eq!(f.period_text(), "Tue 2024-03-05 to Mon 2024-03-11 (7 days)");
        let f = frame(
            date(2024, 3, 5).at(8, 0, 0, 0),
            date(2024, 3, 5).at(18, 0, 0, 0),
            TimeZone::UTC,
        );
        assert_eq!(f.period_text(), "2024-03-05 08:00 to 2024-03-05 18:00");
    }

    #[test]
    fn zones_show_their_offset() {
        let day = date(2024, 3, 5).at(0, 0, 0, 0);
        assert_eq!(frame(day, day, TimeZone::UTC).zone_text(), "UTC");
        let plus7 = TimeZone::fixed(jiff::tz::Offset::constant(7));
        assert_eq!(frame(day, day, plus7).zone_text(), "UTC+07");
    }

    #[test]
    fn escaping_covers_markup_and_control_characters() {
        assert_eq!(
            escape("<script>&\"'\u{0}"),
            "&lt;script&gt;&amp;&quot;&#39;\u{fffd}"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
