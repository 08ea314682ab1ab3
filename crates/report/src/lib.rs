//! Switchboard's KPI reports as self-contained HTML pages: inline CSS,
//! charts drawn here as inline SVG, no script and no external asset, so a
//! page opens offline and prints on A4. Every renderer is a pure function
//! of its inputs returning a [`Page`]; nothing reads a clock or a file, so
//! the command line and the server render alike.
//!
//! Key types: [`Frame`] (center, period, time zone), [`Names`] (ids to
//! display names), [`Page`] and [`book`] (one or several pages as a
//! document), [`QueueSettings`] with a [`QueuePlan`] per queue (forecast,
//! staffing, target as plain [`Series`]), [`TablePage`] with [`Column`]s
//! and [`Cell`]s for reports this crate does not know (a main table, then
//! further tables as [`Section`]s, each under its heading), and
//! [`Figure`] (a chart, e.g. from [`pareto_chart`]).
//!
//! Pages: [`queue_page`], [`agent_page`], [`outcome_page`],
//! [`table_page`]. Modules: [`format`](mod@format) (how numbers are written), `page`
//! (frame, document, escaping), `table`, `chart` (hand-written SVG in
//! wfm's look), `queue`, `agent`, `outcome`.
//!
//! Every text from outside (names, codes, cells) is escaped; every page
//! that shows a service level names its definition, T and the
//! short-abandon threshold; totals are re-aggregated from counts and sums.

mod agent;
mod chart;
pub mod format;
mod outcome;
mod page;
mod queue;
mod table;

pub use agent::agent_page;
pub use chart::{Figure, pareto_chart};
pub use outcome::outcome_page;
pub use page::{Frame, Names, Page, SlBasis, book};
pub use queue::{QueuePlan, QueueSettings, Series, queue_page};
pub use table::{Cell, Column, Section, TablePage, Tone, table_page};
