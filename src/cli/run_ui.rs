//! The terminal side of `run`: a line per step (a spinner on a terminal), the step's output
//! indented under it, questions (yes/no, secrets without echo), and transcripts rewritten after
//! every step. Everything printed passes through the run's redaction set.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::input::{self, Line};
use super::run_cmd::outcome_name;
use crate::exec::process::Stream;
use crate::exec::redact::Redactor;
use crate::exec::run::{self, Outcome, StepRecord, Ui};
use crate::plan::{Plan, PlannedStep};
use crate::steps::BlockKind;
use crate::transcript::{self, RunInfo};

/// Progress on the terminal, plain lines elsewhere; transcripts rewritten after every step.
pub struct TerminalUi {
    total: usize,
    quiet: bool,
    verbose: bool,
    transcript: Option<PathBuf>,
    json: Option<PathBuf>,
    resumed: bool,
    spinner: Option<indicatif::ProgressBar>,
    fancy: bool,
    /// Output of the running step, kept for `--quiet` (shown only when it fails).
    pending: Vec<u8>,
    line_start: bool,
    started: Option<Instant>,
    error: Option<crate::Error>,
    /// The run's redaction set: transcripts pass through it as a whole, so that a secret known
    /// only at run time (a capture) is masked in the runbook's own text too.
    redactor: Redactor,
    /// Set by Ctrl-C: a question being asked is abandoned.
    interrupt: Arc<AtomicBool>,
    /// Set in a rehearsal: transcripts say so.
    pub rehearsal: Option<transcript::RehearsalInfo>,
}

/// What the user asked to see and keep.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub quiet: bool,
    pub verbose: bool,
    pub transcript: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

impl TerminalUi {
    pub fn new(
        settings: &Settings,
        total: usize,
        resumed: bool,
        redactor: Redactor,
        interrupt: Arc<AtomicBool>,
    ) -> TerminalUi {
        TerminalUi {
            total,
            quiet: settings.quiet,
            verbose: settings.verbose,
            transcript: settings.transcript.clone(),
            json: settings.json.clone(),
            resumed,
            spinner: None,
            fancy: std::io::stderr().is_terminal() && std::io::stdout().is_terminal(),
            pending: Vec::new(),
            line_start: true,
            started: None,
            error: None,
            redactor,
            interrupt,
            rehearsal: None,
        }
    }

    /// Everything printed passes through the run's redaction set (step output already has).
    fn print(&self, text: &str) {
        let text = self.redactor.redact(text);
        let write = || {
            let mut out = anstream::stdout();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.spinner {
            Some(s) => s.suspend(write),
            None => write(),
        }
    }

    pub fn write_transcripts(
        &mut self,
        plan: &Plan,
        records: &[StepRecord],
        outcome: &'static str,
    ) -> Result<(), crate::Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let info = RunInfo { outcome, resumed: self.resumed, rehearsal: self.rehearsal.clone() };
        if let Some(path) = &self.transcript {
            let text = transcript::markdown(plan, &Vec::new(), records, &info);
            super::plan_cmd::write_atomically(path, &self.redactor.redact(&text))?;
        }
        if let Some(path) = &self.json {
            let text = transcript::json(plan, records, &info);
            super::plan_cmd::write_atomically(path, &self.redactor.redact(&text))?;
        }
        Ok(())
    }

    pub fn summary(&self, records: &[StepRecord], outcome: Outcome) {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for r in records {
            match counts.iter_mut().find(|(s, _)| *s == r.status.as_str()) {
                Some((_, n)) => *n += 1,
                None => counts.push((r.status.as_str(), 1)),
            }
        }
        let list: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let what = if self.rehearsal.is_some() { "Rehearsal" } else { "Run" };
        let mut line = format!("{what} {}: {}", outcome_name(outcome), list.join(", "));
        if let Some(r) = records
            .iter()
            .find(|r| matches!(r.status, run::Status::Failed | run::Status::TimedOut | run::Status::Interrupted))
        {
            let _ = write!(line, "\n{} `{}`: {}", r.status.as_str(), r.id, r.message.as_deref().unwrap_or(""));
        }
        if let Some(path) = &self.transcript {
            let _ = write!(line, "\nTranscript: {}", path.display());
        }
        self.print(&format!("{line}\n"));
    }
}

impl Ui for TerminalUi {
    fn started(&mut self, n: usize, step: &PlannedStep) {
        self.started = Some(Instant::now());
        self.pending.clear();
        self.line_start = true;
        let head = format!("[{n}/{}] {} — {}", self.total, step.id, step.title);
        if self.fancy && !self.quiet {
            let s = indicatif::ProgressBar::new_spinner();
            s.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            s.set_message(self.redactor.redact(&head));
            s.enable_steady_tick(Duration::from_millis(120));
            self.spinner = Some(s);
        }
        if !self.quiet {
            self.print(&format!("{head}\n"));
            if self.verbose {
                let mut text = String::new();
                for b in &step.rendered {
                    if b.kind == BlockKind::Command {
                        for l in b.text.lines() {
                            let _ = writeln!(text, "  $ {l}");
                        }
                    }
                }
                self.print(&text);
            }
        }
    }

    fn output(&mut self, _stream: Stream, bytes: &[u8]) {
        if self.quiet {
            if self.pending.len() < 64 * 1024 {
                self.pending.extend_from_slice(bytes);
            }
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        let mut shown = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            if self.line_start {
                shown.push_str("  │ ");
                self.line_start = false;
            }
            shown.push(c);
            if c == '\n' {
                self.line_start = true;
            }
        }
        self.print(&shown);
    }

    fn finished(&mut self, n: usize, step: &PlannedStep, record: &StepRecord, records: &[StepRecord], plan: &Plan) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
        if !self.line_start {
            self.print("\n");
            self.line_start = true;
        }
        let elapsed =
            self.started.take().map(|t| format!(" ({})", run::human_duration(t.elapsed()))).unwrap_or_default();
        let failed = matches!(record.status, run::Status::Failed | run::Status::TimedOut | run::Status::Interrupted);
        if self.quiet && failed && !self.pending.is_empty() {
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            self.print(&text);
        }
        if !self.quiet || failed {
            let mut line = format!("  {} [{n}/{}] {}{elapsed}", record.status.as_str(), self.total, step.id);
            if let Some(m) = &record.message {
                let _ = write!(line, ": {m}");
            }
            for e in record.expected.iter().filter(|e| !e.matched) {
                if let Some(d) = &e.diff {
                    line.push('\n');
                    line.push_str(d);
                }
            }
            self.print(&format!("{line}\n"));
        }
        if self.error.is_none()
            && let Err(e) = self.write_transcripts(plan, records, "running")
        {
            self.error = Some(e);
        }
    }

    fn note(&mut self, text: &str) {
        if !self.quiet {
            self.print(&format!("  note: {text}\n"));
        }
    }

    fn confirm(&mut self, question: &str) -> bool {
        let prompt = format!("{question} [y/N] ");
        let answer = match &self.spinner {
            Some(s) => s.suspend(|| input::ask(&prompt, &self.interrupt)),
            None => input::ask(&prompt, &self.interrupt),
        };
        matches!(answer, Line::Text(a) if matches!(a.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
    }

    fn secret(&mut self, name: &str, help: &str) -> Option<String> {
        let prompt = format!(
            "{name} (secret, not shown{}): ",
            if help.is_empty() { String::new() } else { format!("; {help}") }
        );
        let answer = match &self.spinner {
            Some(s) => s.suspend(|| input::ask_secret(&prompt, &self.interrupt)),
            None => input::ask_secret(&prompt, &self.interrupt),
        };
        match answer {
            Line::Text(t) => Some(t),
            Line::End | Line::Interrupted => None,
        }
    }
}
