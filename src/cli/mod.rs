//! The command line: clap arguments → stages → output. The only module that writes to
//! stdout or stderr.
//!
//! Exit codes (one table for every command, see the README): 0 success (warnings allowed),
//! 1 findings or failures at the requested level, 2 unusable input or usage, 130 interrupted.

mod steps;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::{self, Diagnostic, Styles};
use crate::source::SourceFile;
use crate::steps::Runbook;

/// Turn a Markdown operations guide into an executable, checkable runbook.
#[derive(Debug, Parser)]
#[command(name = "runbook", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the ordered steps of a runbook: ids, numbers, kinds, conditions, blocks and lines.
    Steps {
        /// The Markdown runbook.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Exit statuses shared by every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success = 0,
    Findings = 1,
    Usage = 2,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        ExitCode::from(s as u8)
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            let mut err = anstream::stderr();
            let style = Styles::colored().error;
            let _ = writeln!(err, "{style}error{style:#}: {e}");
            Status::Usage.into()
        }
    }
}

fn run(cli: Cli) -> Result<Status, crate::Error> {
    match cli.command {
        Command::Steps { file, format } => {
            let runbook = Runbook::from_source(SourceFile::read(&file)?);
            report_problems(&runbook);
            let text = match format {
                Format::Human => steps::human(&runbook),
                Format::Json => steps::json(&runbook),
            };
            write_stdout(&text);
            Ok(Status::Success)
        }
    }
}

/// Warnings about the runbook's syntax go to stderr, rustc-style.
fn report_problems(runbook: &Runbook) {
    let mut err = anstream::stderr();
    for p in &runbook.problems {
        let d = Diagnostic::from(p);
        let _ = write!(err, "{}", diagnostic::render_human(&runbook.source, &d, Styles::colored()));
    }
}

/// Write to stdout; a closed pipe (`runbook steps x | head`) ends quietly.
fn write_stdout(text: &str) {
    let mut out = anstream::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
