//! The command line: clap arguments → stages → output. The only module that writes to
//! stdout or stderr.
//!
//! Exit codes (one table for every command, see the README): 0 success (warnings allowed),
//! 1 findings or failures at the requested level, 2 unusable input or usage, 130 interrupted.

mod check;
mod input;
mod plan_cmd;
mod run_cmd;
mod run_ui;
mod shim;
mod stale;
mod steps;
mod vars;
mod walk_cmd;

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
    /// Lint runbooks: structure, placeholders, embedded config, commands, secrets, Python.
    Check {
        /// Markdown runbooks (processed in parallel, reported in the order given).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = check::CheckFormat::Human)]
        format: check::CheckFormat,
        /// Run only these rules: codes (`RB401`), prefixes (`RB4`) or names; comma-separated or repeated.
        #[arg(long, value_delimiter = ',', value_name = "RULES")]
        select: Vec<String>,
        /// Skip these rules: codes, prefixes or names.
        #[arg(long, value_delimiter = ',', value_name = "RULES")]
        ignore: Vec<String>,
        /// Fail (exit 1) on warnings too: `--deny warnings`.
        #[arg(long, value_name = "LEVEL", value_parser = ["warnings"])]
        deny: Option<String>,
        /// Configuration file (default: `runbook.toml` beside each runbook).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Skip the `python3` syntax pre-pass and use the coarse built-in check.
        #[arg(long)]
        no_python: bool,
        /// The Python interpreter for the syntax pre-pass.
        #[arg(long, value_name = "PROGRAM", default_value = "python3")]
        python: String,
        #[command(flatten)]
        values: ValueArgs,
    },
    /// Dry run: every step with its effect, flags and rendered commands, values with origins, secrets masked.
    Plan {
        /// The Markdown runbook.
        file: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
        /// Plan only these steps (ids or unique suffixes) or sections (slugs, with their subsections).
        #[arg(long, value_name = "ID|SECTION")]
        only: Vec<String>,
        /// Start at this step.
        #[arg(long, value_name = "ID")]
        from: Option<String>,
        /// Stop after this step.
        #[arg(long, value_name = "ID")]
        to: Option<String>,
        /// Write the Markdown transcript here.
        #[arg(long, value_name = "FILE")]
        transcript: Option<PathBuf>,
        /// Write the JSON plan here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Key for the secret HMACs in the digest (default: `.runbook/salt`, created once per working copy).
        #[arg(long, value_name = "FILE")]
        salt_file: Option<PathBuf>,
    },
    /// Execute the steps for real: output redacted, transcripts written as it goes, resumable.
    Run {
        /// The Markdown runbook.
        file: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
        /// Run only these steps (ids or unique suffixes) or sections (slugs, with their subsections).
        #[arg(long, value_name = "ID|SECTION")]
        only: Vec<String>,
        /// Start at this step.
        #[arg(long, value_name = "ID")]
        from: Option<String>,
        /// Stop after this step.
        #[arg(long, value_name = "ID")]
        to: Option<String>,
        /// Do not ask: go ahead with changes, acknowledge manual steps, overwrite files that differ.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Go on after a failed step (the run still exits 1).
        #[arg(long)]
        keep_going: bool,
        /// Continue after the last finished step of the previous run from this directory.
        #[arg(long)]
        resume: bool,
        /// Run only if this reviewed JSON plan (`runbook plan --json`) still matches.
        #[arg(long, value_name = "PLAN.json")]
        plan: Option<PathBuf>,
        /// Never overwrite a file that exists with other content: fail the step instead.
        #[arg(long, conflicts_with = "yes")]
        no_clobber: bool,
        /// Show only failures and the final summary.
        #[arg(long, short = 'q', conflicts_with = "verbose")]
        quiet: bool,
        /// Also show each step's rendered commands before it runs.
        #[arg(long, short = 'v')]
        verbose: bool,
        #[command(flatten)]
        exec: run_cmd::ExecArgs,
    },
    /// A guided walk-through: asks for values when needed, shows each step, runs, skips or stops, resumes later.
    Walk {
        /// The Markdown runbook.
        file: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
        /// Walk through without executing anything.
        #[arg(long)]
        dry_run: bool,
        /// Start at this step.
        #[arg(long, value_name = "ID")]
        from: Option<String>,
        #[command(flatten)]
        exec: run_cmd::ExecArgs,
    },
    /// List the lint rules, or show one rule's documentation.
    Rules {
        /// A rule code or name.
        rule: Option<String>,
    },
    /// List placeholders and choices: uses, glossary, kind, secrecy, value and its origin.
    Vars {
        /// The Markdown runbook.
        file: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// Where values come from (later sources win): `RUNBOOK_VAR_<NAME>` in the environment, then
/// each `--vars` file in order, then each `--set`.
#[derive(Debug, Clone, clap::Args)]
struct ValueArgs {
    /// A values file: `.env` lines, `.json` or `.toml` (by extension). Repeatable.
    #[arg(long = "vars", value_name = "FILE")]
    vars: Vec<PathBuf>,
    /// A value: `NAME=VALUE`, `NAME=@FILE` (read from a file) or `NAME=-` (read from stdin). Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
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
    Interrupted = 130,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        ExitCode::from(s as u8)
    }
}

pub fn main() -> ExitCode {
    // A rehearsal's shim (see `rehearse::shim`): not a command of its own.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "__rehearsal-shim") {
        return shim::main(&args[2..]);
    }
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
        Command::Check { files, format, select, ignore, deny, config, no_python, python, values } => {
            let given = values.resolve()?;
            let opts = check::Options {
                files,
                format,
                select,
                ignore,
                deny_warnings: deny.is_some(),
                config,
                no_python,
                python,
            };
            let outcome = check::run(&opts, &given)?;
            let mut err = anstream::stderr();
            let _ = err.write_all(outcome.stderr.as_bytes());
            write_stdout(&outcome.stdout);
            Ok(if outcome.failed { Status::Findings } else { Status::Success })
        }
        Command::Plan { file, values, only, from, to, transcript, json, salt_file } => {
            let given = values.resolve()?;
            let runbook = Runbook::from_source(SourceFile::read(&file)?);
            let salt = plan_cmd::salt(salt_file.as_deref())?;
            let outcome = plan_cmd::run(
                &runbook,
                &given,
                &crate::plan::Selection { only, from, to, every_alternative: false },
                &salt,
            )?;
            if let Some(path) = &transcript {
                plan_cmd::write_atomically(path, &outcome.markdown)?;
            }
            if let Some(path) = &json {
                plan_cmd::write_atomically(path, &outcome.json)?;
            }
            write_stdout(&outcome.terminal);
            Ok(if outcome.failed { Status::Findings } else { Status::Success })
        }
        Command::Run {
            file,
            values,
            only,
            from,
            to,
            yes,
            keep_going,
            resume,
            plan,
            no_clobber,
            quiet,
            verbose,
            exec,
        } => run_cmd::run(&run_cmd::Args {
            file,
            given: values.resolve()?,
            selection: crate::plan::Selection { only, from, to, every_alternative: false },
            yes,
            keep_going,
            resume,
            plan,
            no_clobber,
            quiet,
            verbose,
            exec,
        }),
        Command::Walk { file, values, dry_run, from, exec } => {
            walk_cmd::run(&walk_cmd::Args { file, given: values.resolve()?, from, dry_run, exec })
        }
        Command::Rules { rule } => {
            write_stdout(&check::rules_text(rule.as_deref())?);
            Ok(Status::Success)
        }
        Command::Vars { file, values, format } => {
            let runbook = Runbook::from_source(SourceFile::read(&file)?);
            let given = values.resolve()?;
            let params = crate::params::analyse(&runbook);
            let (bindings, choices, value_findings) = crate::params::bind(&params, &given);
            let mut findings = params.findings.clone();
            findings.extend(value_findings);
            report_problems(&runbook);
            // Missing values are listed, not warned about: `plan` fails on them.
            let warnings: Vec<_> =
                findings.iter().filter(|f| f.kind != crate::params::FindingKind::MissingValue).cloned().collect();
            report_findings(&runbook, &warnings);
            let report = vars::Report {
                runbook: &runbook,
                params: &params,
                bindings: &bindings,
                choices: &choices,
                findings: &findings,
            };
            let text = match format {
                Format::Human => vars::human(&report),
                Format::Json => vars::json(&report),
            };
            write_stdout(&text);
            let invalid = bindings.iter().chain(&choices).any(|b| !b.valid());
            Ok(if invalid { Status::Findings } else { Status::Success })
        }
    }
}

impl ValueArgs {
    /// Merge every source by precedence.
    fn resolve(&self) -> Result<Vec<crate::params::values::Given>, crate::Error> {
        use crate::params::values;
        let mut sources = vec![values::from_env(std::env::vars_os())?];
        for path in &self.vars {
            sources.push(values::read_vars_file(path)?);
        }
        let mut stdin = std::io::stdin();
        let mut sets = Vec::new();
        for arg in &self.set {
            sets.push(values::parse_set(arg, &mut stdin)?);
        }
        sources.push(sets);
        Ok(values::merge(&sources).0)
    }
}

/// Placeholder findings go to stderr as warnings, named by their kind.
fn report_findings(runbook: &Runbook, findings: &[crate::params::Finding]) {
    let mut err = anstream::stderr();
    for f in findings {
        let severity = if f.kind == crate::params::FindingKind::InvalidValue {
            diagnostic::Severity::Error
        } else {
            diagnostic::Severity::Warning
        };
        let d = Diagnostic {
            severity,
            code: Some(f.kind.as_str()),
            message: f.message.clone(),
            span: (f.span != crate::Span::default()).then_some(f.span),
            help: f.help.clone(),
        };
        let _ = write!(err, "{}", diagnostic::render_human(&runbook.source, &d, Styles::colored()));
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

/// A warning on stderr, rustc-style.
fn warn(message: &str) {
    let mut err = anstream::stderr();
    let style = Styles::colored().warning;
    let _ = writeln!(err, "{style}warning{style:#}: {message}");
}

/// Write to stdout; a closed pipe (`runbook steps x | head`) ends quietly.
fn write_stdout(text: &str) {
    let mut out = anstream::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
