//! How commands show results: a readable table by default, `--json` or
//! `--csv` on request.
//!
//! Key types: [`FormatArgs`] (the two flags, flattened into a command's
//! arguments), [`Format`] and [`Table`] (rows of cells, right-aligned when
//! numeric). A command builds its result as a serializable value for JSON
//! and as a [`Table`] for the other two, and hands both to [`emit`].

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

/// Output format flags.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct FormatArgs {
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV instead of a table.
    #[arg(long)]
    pub csv: bool,
}

/// The chosen output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// CSV with a header row.
    Csv,
}

impl FormatArgs {
    /// The format the flags ask for.
    pub fn format(self) -> Format {
        match (self.json, self.csv) {
            (true, _) => Format::Json,
            (_, true) => Format::Csv,
            _ => Format::Table,
        }
    }
}

/// Rows of text cells under a header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column names.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; it must have one cell per column.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let row: Vec<String> = cells.into_iter().map(Into::into).collect();
        debug_assert_eq!(row.len(), self.header.len(), "one cell per column");
        self.rows.push(row);
    }

    /// The column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Whether every cell of column `c` is empty or a number (a trailing
    /// `%` allowed).
    pub fn is_numeric(&self, c: usize) -> bool {
        self.rows
            .iter()
            .all(|r| r[c].is_empty() || r[c].trim_end_matches('%').parse::<f64>().is_ok())
    }

    /// The table as aligned text: numbers right-aligned, text left-aligned.
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let width: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain(std::iter::once(self.header[c].chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = (0..columns).map(|c| self.is_numeric(c)).collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    if numeric[c] {
                        format!("{cell:>w$}", w = width[c])
                    } else {
                        format!("{cell:<w$}", w = width[c])
                    }
                })
                .collect();
            padded.join("  ").trim_end().to_owned()
        };
        let mut out = line(&self.header);
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }

    /// The table as CSV.
    pub fn to_csv(&self) -> Result<String> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&self.header)?;
        for row in &self.rows {
            writer.write_record(row)?;
        }
        Ok(String::from_utf8(writer.into_inner()?)?)
    }
}

/// Prints `value` as JSON, or `table()` as text or CSV, to standard output.
pub fn emit<T: Serialize>(format: Format, value: &T, table: impl FnOnce() -> Table) -> Result<()> {
    let text = match format {
        Format::Json => serde_json::to_string_pretty(value)? + "\n",
        Format::Csv => table().to_csv()?,
        Format::Table => table().render(),
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        done => Ok(done?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_numbers_right_and_text_left() {
        let mut t = Table::new(["queue", "agents", "SL"]);
        t.row(["billing", "12", "80.5%"]);
        t.row(["sales", "7", "91.0%"]);
        assert_eq!(
            t.render(),
            "queue    agents     SL\nbilling      12  80.5%\nsales         7  91.0%\n"
        );
        assert_eq!(
            t.to_csv().unwrap(),
            "queue,agents,SL\nbilling,12,80.5%\nsales,7,91.0%\n"
        );
    }
}
