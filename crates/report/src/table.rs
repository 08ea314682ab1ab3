//! Tables, and the generic table page for reports this crate does not
//! know (first-contact resolution, CSAT lists, Pareto, cost, SLA checks,
//! digests): the caller formats the cells (with [`crate::format`] for
//! consistency), the page escapes and lays them out.
//!
//! A page has a main table and, after it, any number of [`Section`]s:
//! further tables, each under its own heading (a digest's summary, the
//! list of callers to call back). The page's notes are for how the
//! numbers are computed only; they are printed in the footer.
//!
//! Key types: [`Column`], [`Cell`] with its [`Tone`], [`TablePage`] with
//! its [`Section`]s, and the renderer [`table_page`].

use std::fmt::Write;

use crate::chart::Figure;
use crate::page::{Frame, Page, PageBuilder, SlBasis, basis_html, escape};

/// A table column.
#[derive(Debug, Clone)]
pub struct Column {
    /// Header text.
    pub header: String,
    /// Right-aligned, for numbers.
    pub numeric: bool,
}

impl Column {
    /// A left-aligned text column.
    pub fn text(header: &str) -> Self {
        Column {
            header: header.to_string(),
            numeric: false,
        }
    }

    /// A right-aligned number column.
    pub fn number(header: &str) -> Self {
        Column {
            header: header.to_string(),
            numeric: true,
        }
    }
}

/// How a cell reads against a target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tone {
    /// Neutral.
    #[default]
    Plain,
    /// Target met.
    Good,
    /// Target missed.
    Bad,
    /// Secondary (ids, "not defined").
    Muted,
}

/// One table cell: text as the reader should see it (escaped on output).
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// Its tone.
    pub tone: Tone,
    /// A tooltip, e.g. the parts of a ratio ("8 of 10").
    pub hint: Option<String>,
}

impl Cell {
    /// A cell with a tone.
    pub fn toned(text: impl Into<String>, tone: Tone) -> Self {
        Cell {
            text: text.into(),
            tone,
            hint: None,
        }
    }

    /// The same cell with a tooltip.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::toned(text, Tone::Plain)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::toned(text, Tone::Plain)
    }
}

/// A further table of a [`TablePage`], drawn after the main table under
/// its own heading.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// The heading (an `h2`).
    pub heading: String,
    /// A sentence under the heading saying what the table lists.
    pub intro: Option<String>,
    /// The columns.
    pub columns: Vec<Column>,
    /// Rows of cells, one per column.
    pub rows: Vec<Vec<Cell>>,
    /// A totals row, when the caller computed one from the underlying
    /// counts.
    pub total: Option<Vec<Cell>>,
    /// Shown instead of the table when there are no rows (default:
    /// "No data in this period.").
    pub empty: Option<String>,
}

/// A report the crate does not know, as a titled table with optional
/// figures, further tables ([`Section`]s) and notes.
///
/// The page reads: the frame header with `facts`, the service-level box
/// when `service_level` is set, the figures, the main table (or `empty`
/// when it has no rows), each section in order, and the notes as the
/// footnote. A page made of sections only leaves `columns` empty: the
/// main table and its `empty` text are then left out.
#[derive(Debug, Clone, Default)]
pub struct TablePage {
    /// Page title.
    pub title: String,
    /// Extra header lines such as ("Window", "7 days").
    pub facts: Vec<(String, String)>,
    /// Set when the page shows a service level: its definition is then
    /// printed in the frame.
    pub service_level: Option<SlBasis>,
    /// Charts above the table, e.g. from [`crate::pareto_chart`].
    pub figures: Vec<Figure>,
    /// A heading over the main table (an `h2`), useful when sections
    /// follow it; none by default, the page title saying what it shows.
    /// An empty main table alone on the page is shown without it.
    pub heading: Option<String>,
    /// The columns.
    pub columns: Vec<Column>,
    /// Rows of cells, one per column.
    pub rows: Vec<Vec<Cell>>,
    /// A totals row, when the caller computed one from the underlying
    /// counts.
    pub total: Option<Vec<Cell>>,
    /// How the numbers are computed, one sentence each; printed as the
    /// page's footnote. Tables belong in `sections`, not here.
    pub notes: Vec<String>,
    /// Shown instead of the table when there are no rows (default:
    /// "No data in this period.").
    pub empty: Option<String>,
    /// Further tables, drawn after the main one in this order.
    pub sections: Vec<Section>,
}

/// Said when a table has no rows and its caller gave no text.
const NO_DATA: &str = "No data in this period.";

/// Renders a [`TablePage`].
pub fn table_page(frame: &Frame, page: &TablePage) -> Page {
    let facts: Vec<(&str, String)> = page
        .facts
        .iter()
        .map(|(term, value)| (term.as_str(), value.clone()))
        .collect();
    let mut builder = PageBuilder::new(frame, &page.title, &facts);
    if let Some(basis) = &page.service_level {
        basis_html(
            &mut builder.out,
            &basis.definitions,
            None,
            &[(String::new(), basis.threshold)],
            basis.short_abandon,
        );
    }
    // Figures illustrate the data: none over an empty page.
    let sections_only = page.columns.is_empty() && !page.sections.is_empty();
    let has_data = if sections_only {
        page.sections.iter().any(|s| !s.rows.is_empty())
    } else {
        !page.rows.is_empty()
    };
    if has_data {
        for figure in &page.figures {
            figure.embed(&mut builder.out);
        }
    }
    if !sections_only {
        // Alone on the page, an empty table needs no heading: the title
        // says what is missing.
        if !page.rows.is_empty() || !page.sections.is_empty() {
            heading_html(&mut builder.out, page.heading.as_deref());
        }
        if page.rows.is_empty() {
            builder.empty(page.empty.as_deref().unwrap_or(NO_DATA));
        } else {
            table_html(
                &mut builder.out,
                &page.columns,
                &page.rows,
                page.total.as_deref(),
            );
        }
    }
    for section in &page.sections {
        section_html(&mut builder.out, section);
    }
    let notes: Vec<(&str, String)> = page.notes.iter().map(|n| ("", n.clone())).collect();
    builder.finish(&notes)
}

/// Writes a heading over a table, if there is one.
fn heading_html(out: &mut String, heading: Option<&str>) {
    if let Some(heading) = heading {
        let _ = writeln!(out, "<h2>{}</h2>", escape(heading));
    }
}

/// Writes a section: its heading, intro, and table or empty text.
fn section_html(out: &mut String, section: &Section) {
    out.push_str("<section class=\"part\">\n");
    heading_html(out, Some(&section.heading));
    if let Some(intro) = &section.intro {
        let _ = writeln!(out, "<p class=\"sub\">{}</p>", escape(intro));
    }
    if section.rows.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"empty\">{}</p>",
            escape(section.empty.as_deref().unwrap_or(NO_DATA))
        );
    } else {
        table_html(
            out,
            &section.columns,
            &section.rows,
            section.total.as_deref(),
        );
    }
    out.push_str("</section>\n");
}

/// Writes a table; short rows are padded so every row has a cell per
/// column.
pub(crate) fn table_html(
    out: &mut String,
    columns: &[Column],
    rows: &[Vec<Cell>],
    total: Option<&[Cell]>,
) {
    // The wrapper scrolls a wide table on a narrow screen instead of
    // pushing the page sideways; print shows it whole.
    out.push_str("<div class=\"wide\">\n<table>\n<thead><tr>");
    for column in columns {
        let _ = write!(
            out,
            "<th{}>{}</th>",
            if column.numeric { " class=\"n\"" } else { "" },
            escape(&column.header)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        row_html(out, columns, row, "");
    }
    if let Some(total) = total {
        row_html(out, columns, total, " class=\"total\"");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

fn row_html(out: &mut String, columns: &[Column], cells: &[Cell], class: &str) {
    let _ = write!(out, "<tr{class}>");
    let padding = columns.len().saturating_sub(cells.len());
    let blank = Cell::default();
    for (i, cell) in cells
        .iter()
        .chain(std::iter::repeat_n(&blank, padding))
        .enumerate()
    {
        let mut classes = Vec::new();
        if columns.get(i).is_some_and(|c| c.numeric) {
            classes.push("n");
        }
        match cell.tone {
            Tone::Plain => {}
            Tone::Good => classes.push("good"),
            Tone::Bad => classes.push("bad"),
            Tone::Muted => classes.push("muted"),
        }
        out.push_str("<td");
        if !classes.is_empty() {
            let _ = write!(out, " class=\"{}\"", classes.join(" "));
        }
        if let Some(hint) = &cell.hint {
            let _ = write!(out, " title=\"{}\"", escape(hint));
        }
        let _ = write!(out, ">{}</td>", escape(&cell.text));
    }
    out.push_str("</tr>\n");
}
