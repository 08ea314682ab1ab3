//! `switchboard import`: existing call logs into the event store.
//!
//! Key type: [`ImportArgs`]. The file is read whole by the `import` crate
//! (with a progress bar on standard error), every rejected row is listed
//! with its line number, and the facts land in the store in one
//! transaction: an import that fails leaves the store as it was.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use acd::model::Time;
use anyhow::{Context, Result, bail};
use clap::Args;
use import::{Format, Import, Names, Options};
use indicatif::{ProgressBar, ProgressStyle};
use kpi::{Entity, Fact, ImportMark};
use sha2::{Digest, Sha256};

use crate::database::DatabaseArgs;

/// Options of `switchboard import`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  switchboard import bank data/anonymous_bank_february.tsv
  switchboard import queue-log /var/log/asterisk/queue_log --time-zone Europe/Paris
  switchboard import csv calls.csv --rejects rejected.csv

Formats: queue-log (Asterisk's queue_log), bank (the Anonymous Bank call log
of data/), csv (Switchboard's CSV, see crates/import/CSV.md).")]
pub struct ImportArgs {
    /// The file's format: queue-log, bank or csv.
    #[arg(value_parser = parse_format)]
    format: Format,
    /// The file to import.
    file: PathBuf,
    /// The zone of times written without an offset [default: the format's
    /// usual zone: Asia/Jerusalem for bank, UTC otherwise].
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// Also write every rejected row (line, reason) to this CSV file.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Rejected rows to print; the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 20)]
    show_rejects: usize,
    /// Import the file even if the store already holds it (its calls are
    /// then counted twice).
    #[arg(long)]
    again: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse().map_err(|e: import::Error| e.to_string())
}

/// Runs `switchboard import`.
pub fn run(args: &ImportArgs) -> Result<()> {
    let zone_name = args
        .time_zone
        .as_deref()
        .unwrap_or(args.format.default_time_zone());
    let mut options = Options::in_zone(zone_name)?;
    let mut store = args.database.open(Some(&options.time_zone))?;
    options.names = known_names(store.as_ref())?;
    if let Some(last) = store.last_contact_id()? {
        options.first_contact = acd::model::ContactId(last.0 + 1);
    }

    let file =
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(size, "reading");
    let mut hashing = Hashing::new(BufReader::new(file));
    let mut imported = import::import(args.format, &mut hashing, &options, |bytes| {
        bar.set_position(bytes)
    })
    .with_context(|| format!("importing {}", args.file.display()))?;
    bar.finish_and_clear();
    let digest = hashing.hex_digest();
    if let Some(earlier) = store.imports()?.into_iter().find(|m| m.digest == digest)
        && !args.again
    {
        bail!(
            "{} is already in the store: imported from {} with {} contacts; \
             nothing was stored (--again imports it anyway, counting its calls twice)",
            args.file.display(),
            earlier.source,
            earlier.contacts
        );
    }
    imported.facts.push(Fact::Imported(ImportMark {
        at: now(),
        format: args.format.name().to_owned(),
        source: args.file.display().to_string(),
        digest,
        contacts: imported.report.contacts,
    }));

    print_summary(&imported, args)?;
    if let Some(path) = &args.rejects {
        write_rejects(path, &imported)?;
    }
    if imported.report.contacts == 0 && imported.report.agent_state_changes == 0 {
        bail!("{} holds nothing to import", args.file.display());
    }
    let bar = progress_bar(0, "storing");
    bar.set_message(format!("{} facts", imported.facts.len()));
    let positions = store
        .append(&imported.facts)
        .context("storing the import (nothing of it was kept)")?;
    bar.finish_and_clear();
    println!(
        "stored {} facts at log positions {}..{} in {}",
        positions.end - positions.start,
        positions.start,
        positions.end,
        args.database.describe()
    );
    Ok(())
}

/// The store's names as an import name table, so a queue or agent keeps
/// its id across imports.
fn known_names(store: &dyn store::Store) -> Result<Names> {
    let mut names = Names::new();
    for naming in store.names()? {
        match naming.entity {
            Entity::Queue(id) => names.insert_queue(id, &naming.name)?,
            Entity::Agent(id) => names.insert_agent(id, &naming.name)?,
        }
    }
    Ok(names)
}

fn progress_bar(len: u64, verb: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = if len > 0 {
        ProgressBar::new(len).with_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        )
    } else {
        ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{prefix} {spinner} {msg} ({elapsed})")
                .expect("valid template"),
        )
    };
    bar.set_prefix(verb.to_owned());
    if len == 0 {
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    bar
}

fn print_summary(imported: &Import, args: &ImportArgs) -> Result<()> {
    let report = &imported.report;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} lines read, {} contacts, {} rows rejected, {} calls still open at the end",
        args.file.display(),
        report.lines,
        report.contacts,
        imported.rejected.len(),
        report.unfinished.len()
    )?;
    for (rule, count) in &report.counts {
        writeln!(out, "  {rule}: {count}")?;
    }
    for rejected in imported.rejected.iter().take(args.show_rejects) {
        writeln!(out, "  rejected {rejected}")?;
    }
    let hidden = imported.rejected.len().saturating_sub(args.show_rejects);
    if hidden > 0 {
        writeln!(
            out,
            "  … and {hidden} more rejected rows (--rejects FILE lists them all)"
        )?;
    }
    Ok(())
}

fn write_rejects(path: &Path, imported: &Import) -> Result<()> {
    let mut writer =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    writer.write_record(["line", "reason"])?;
    for rejected in &imported.rejected {
        writer.write_record([rejected.line.to_string(), rejected.reason.clone()])?;
    }
    writer.flush()?;
    Ok(())
}

/// A reader that hashes what passes through it, so the file is read once.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The SHA-256 of everything read, in hex.
    fn hex_digest(self) -> String {
        self.hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The wall clock as store time: when the import ran.
fn now() -> Time {
    let ms = jiff::Timestamp::now().as_millisecond();
    Time::from_millis(u64::try_from(ms).unwrap_or(0))
}
