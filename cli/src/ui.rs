//! What a command shows: lines, tables and progress for a person (colours
//! and bars only on a terminal, never with `NO_COLOR`), one JSON document
//! for scripts.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::exit::Failure;

/// Set once standard output is closed (`roster … | head`).
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Writes a line to standard output. Once the reader has gone, nothing more
/// is written and nothing panics: the command ends with its own exit code.
pub(crate) fn emit(line: impl std::fmt::Display) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        STDOUT_GONE.store(true, Ordering::Relaxed);
    }
}

/// One CSV record (without its line ending), quoted as the csv crate
/// quotes.
fn csv_record<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = writer.write_record(fields);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_owned()
}

/// Whether standard output's reader has gone (a listing can stop).
pub(crate) fn stdout_gone() -> bool {
    STDOUT_GONE.load(Ordering::Relaxed)
}

/// Writes a line to standard error, never panicking.
pub(crate) fn emit_err(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// What every command shares: output choices and configuration sources.
#[derive(Debug)]
pub(crate) struct Context {
    /// How results are written.
    pub format: Format,
    /// Results for a program, not a person (any `--format` but `table`).
    pub json: bool,
    /// Only errors, on standard error.
    pub quiet: bool,
    /// Where the configuration comes from.
    pub sources: crate::config::Sources,
    /// Whether standard input and output are a terminal (a person is there
    /// to answer a question).
    pub terminal: bool,
    /// Whether to colour the output: standard output is a terminal and
    /// `NO_COLOR` is not set.
    pub color: bool,
    /// Whether to draw progress bars: standard error is a terminal.
    pub bars: bool,
    /// Whether tables are boxed: standard output is a terminal.
    pub boxes: bool,
}

/// How results are written on standard output (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Format {
    /// Tables and lines for a person.
    #[default]
    Table,
    /// One JSON document; a listing is one JSON array.
    Json,
    /// One JSON document on one line; a listing is one JSON line an item
    /// (what `--json` means).
    Jsonl,
    /// Tables as CSV (a listing, a plan): a header, then one record a row,
    /// with the table's columns.
    Csv,
}

impl Context {
    /// Reads the terminal's and `NO_COLOR`'s answers.
    pub fn new(format: Format, quiet: bool, sources: crate::config::Sources) -> Self {
        let stdout = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let json = format != Format::Table;
        Self {
            format,
            json,
            quiet,
            sources,
            terminal: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            color: stdout && !no_color,
            bars: std::io::stderr().is_terminal() && !json && !quiet,
            boxes: stdout,
        }
    }

    /// Whether text for a person is shown (not with `--json` or `--quiet`).
    pub fn chatty(&self) -> bool {
        !self.json && !self.quiet
    }

    /// A line for a person.
    pub fn say(&self, line: impl AsRef<str>) {
        if self.chatty() {
            emit(line.as_ref());
        }
    }

    /// The one JSON document of a command (only with `--json`).
    pub fn document(&self, value: &Value) {
        match self.format {
            Format::Table => {}
            Format::Json => emit(serde_json::to_string_pretty(value).unwrap_or_default()),
            Format::Jsonl => emit(value),
            // Its tables are the command's output.
            Format::Csv => {}
        }
    }

    /// Refuses at once, before anything is sent, a step that will need
    /// [`confirm`](Self::confirm) and cannot get it: no `--yes` and no
    /// terminal to ask on.
    pub fn may_ask(&self, what: &str, yes: bool) -> Result<(), Failure> {
        if yes || self.terminal {
            return Ok(());
        }
        Err(Failure::usage(format!(
            "{what}: this cannot be undone; add --yes to confirm (no terminal to ask on)"
        )))
    }

    /// Asks before an irreversible step on a terminal (on standard error,
    /// so standard output stays the command's result); without one,
    /// `--yes` is required. `what` says what will be created or replaced.
    pub fn confirm(&self, what: &str, yes: bool) -> Result<(), Failure> {
        if yes {
            return Ok(());
        }
        if !self.terminal {
            return Err(Failure::usage(format!(
                "{what}: this cannot be undone; add --yes to confirm (no terminal to ask on)"
            )));
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{what}.\nThis cannot be undone. Go on? [y/N] ");
        let _ = err.flush();
        drop(err);
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if matches!(answer.trim(), "y" | "Y" | "yes") {
            Ok(())
        } else {
            Err(Failure::refused("not confirmed: nothing was changed"))
        }
    }

    /// Shows a listing: as it arrives, one JSON line an item (`jsonl`,
    /// `--json`) or one CSV record an item with the table's columns (`csv`);
    /// once it ends, one JSON array (`json`) or a table of `row(item)`. It
    /// stops early when standard output's reader goes away.
    pub async fn listing<T: serde::Serialize>(
        &self,
        header: &[&str],
        items: impl futures_util::Stream<Item = Result<T, Failure>>,
        row: impl Fn(&T) -> Vec<String>,
    ) -> Result<(), Failure> {
        use futures_util::TryStreamExt;
        let mut items = std::pin::pin!(items);
        let mut rows = Vec::new();
        let mut array = Vec::new();
        if self.format == Format::Csv {
            emit(csv_record(header.iter().copied()));
        }
        while let Some(item) = items.try_next().await? {
            if stdout_gone() {
                break;
            }
            match self.format {
                Format::Jsonl => {
                    if let Ok(text) = serde_json::to_string(&item) {
                        emit(text);
                    }
                }
                Format::Csv => emit(csv_record(row(&item).iter().map(String::as_str))),
                Format::Json => array.push(serde_json::to_value(&item).unwrap_or(Value::Null)),
                Format::Table => rows.push((Tone::Plain, row(&item))),
            }
        }
        match self.format {
            Format::Json => emit(Value::Array(array)),
            Format::Table => self.table(header, rows),
            Format::Jsonl | Format::Csv => {}
        }
        Ok(())
    }

    /// A table for a person: boxed on a terminal, plain aligned columns
    /// otherwise. `tone` may colour a row (on a terminal without
    /// `NO_COLOR`).
    pub fn table(&self, header: &[&str], rows: impl IntoIterator<Item = (Tone, Vec<String>)>) {
        if self.format == Format::Csv && !self.quiet {
            emit(csv_record(header.iter().copied()));
            for (_, row) in rows {
                emit(csv_record(row.iter().map(String::as_str)));
            }
            return;
        }
        if !self.chatty() {
            return;
        }
        let mut table = Table::new();
        if self.boxes {
            table.load_style(presets::UTF8_FULL_CONDENSED);
            // Wrapped to the terminal's width, unless it reports none worth
            // wrapping to (a pseudo-terminal without a size).
            if table.width().is_some_and(|width| width >= 40) {
                table.set_content_arrangement(ContentArrangement::Dynamic);
            }
        } else {
            table.load_style(presets::NOTHING);
        }
        if self.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table.set_header(header.iter().copied());
        for (tone, row) in rows {
            let color = match tone {
                Tone::Plain => None,
                Tone::Good => Some(Color::Green),
                Tone::Bad => Some(Color::Red),
                Tone::Warn => Some(Color::Yellow),
            };
            table.add_row(row.into_iter().map(|text| match color {
                Some(color) if self.color => Cell::new(text).fg(color),
                _ => Cell::new(text),
            }));
        }
        let text = table.to_string();
        // Without a terminal: no trailing spaces from the padding.
        for line in text.lines() {
            emit(line.trim_end());
        }
    }

    /// A progress indicator for a step: a bar on a terminal, plain lines on
    /// standard error otherwise (none with `--quiet` or `--json`).
    pub fn progress(&self, step: &str) -> Progress {
        let bar = self.bars.then(|| {
            let bar = ProgressBar::new(100);
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {msg:<28} [{bar:30}] {pos:>3}% {elapsed}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(step.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if bar.is_none() && self.chatty() {
            emit_err(format_args!("{step}…"));
        }
        Progress {
            bar,
            step: step.to_owned(),
            plain: self.chatty(),
            shown: None,
        }
    }
}

/// How a table row reads: plain, done, refused, a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Plain,
    Good,
    Bad,
    Warn,
}

/// A step's progress: see [`Context::progress`].
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    step: String,
    plain: bool,
    shown: Option<u8>,
}

impl Progress {
    /// Moves to `percent` (0 to 100); a plain line only when it changed.
    pub fn set(&mut self, percent: u8) {
        let percent = percent.min(100);
        if self.shown == Some(percent) {
            return;
        }
        self.shown = Some(percent);
        match &self.bar {
            Some(bar) => bar.set_position(u64::from(percent)),
            None if self.plain => emit_err(format_args!("{}: {percent}%", self.step)),
            None => {}
        }
    }
}

impl Drop for Progress {
    /// Ends the step: the bar is cleared, however the step ended.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
