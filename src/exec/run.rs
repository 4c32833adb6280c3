//! Executing a plan: each selected step, in order, for real.
//!
//! Owns the run-time side of a plan: rendering each block with the values known at that moment
//! (given values, then captures as they arrive; secrets only as environment references), running
//! shell blocks as `bash` scripts in the run's private directory, Python blocks in one
//! interpreter per level-2 section, writing files (never clobbering a different file without
//! consent), manual steps, captures, expected output and expected exit statuses, timeouts and
//! Ctrl-C, the resume state, and one [`StepRecord`] per step. Every byte of output passes through
//! the [`Redactor`] before it reaches the [`Ui`] or a record. Never prints: the `Ui` does.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::expect;
use super::process::{self, Ending, Spawn, Stream};
use super::python::{self, BlockEnding};
use super::redact::Redactor;
use super::state::{self, FinishedStep, State};
use crate::params::{Binding, Params, Source};
use crate::plan::effects::Effect;
use crate::plan::{Plan, PlannedStep};
use crate::render::{self, Fill, Lang, Mode};
use crate::steps::{BlockKind, Runbook, Step, StepBlock};

/// A step's status in a run (the vocabulary of the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Failed,
    Skipped,
    Acknowledged,
    Interrupted,
    TimedOut,
    NotReached,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Acknowledged => "acknowledged",
            Status::Interrupted => "interrupted",
            Status::TimedOut => "timed-out",
            Status::NotReached => "not-reached",
        }
    }

    /// Finished in the sense of `--resume`: nothing left to do for this step.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Ok | Status::Skipped | Status::Acknowledged)
    }
}

/// The longest script passed to `bash -c` (Linux allows 128 KiB per argument).
const MAX_INLINE_SCRIPT: usize = 96 * 1024;

/// How long output may end without a newline before what is safe of it is shown.
const IDLE_FLUSH: Duration = Duration::from_millis(150);

/// The message of a step that an earlier run finished (on `--resume`).
pub const EARLIER: &str = "finished in an earlier run (resumed after it)";

/// The comparison of a step's output with the runbook's sample.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectRecord {
    pub line: usize,
    pub shape: &'static str,
    pub matched: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// What happened to one step. Holds only redacted text.
#[derive(Clone, Debug, Serialize)]
pub struct StepRecord {
    pub id: String,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    /// stdout and stderr as they arrived, redacted, cut at the output limit.
    pub output: String,
    /// Bytes left out of `output`.
    pub truncated: usize,
    /// Names of the values this step captured.
    pub captured: Vec<String>,
    /// Why it failed, was skipped or needed attention, with the Markdown `file:line`.
    pub message: Option<String>,
    /// Markdown line of the failure, when known.
    pub failed_line: Option<usize>,
    pub expected: Vec<ExpectRecord>,
    pub notes: Vec<String>,
}

impl StepRecord {
    fn new(id: &str, status: Status) -> StepRecord {
        StepRecord {
            id: id.to_string(),
            status,
            exit_code: None,
            duration_ms: 0,
            output: String::new(),
            truncated: 0,
            captured: Vec::new(),
            message: None,
            failed_line: None,
            expected: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// The person (or script) on the other side.
pub trait Ui {
    /// A step is about to run (`n` counts from 1 over the plan's steps).
    fn started(&mut self, n: usize, step: &PlannedStep);
    /// Redacted output of the running step.
    fn output(&mut self, stream: Stream, bytes: &[u8]);
    /// A step has finished; `records` holds every record so far (for transcripts).
    fn finished(&mut self, n: usize, step: &PlannedStep, record: &StepRecord, records: &[StepRecord]);
    /// Something to tell the user (already redacted).
    fn note(&mut self, text: &str);
    /// A yes/no question; only asked when [`Options::terminal`] is set.
    fn confirm(&mut self, question: &str) -> bool;
    /// A secret read without echo; only asked when [`Options::terminal`] is set.
    fn secret(&mut self, name: &str, help: &str) -> Option<String>;
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Where commands run and files are written.
    pub workdir: PathBuf,
    /// The run's private directory (0700): scripts, sockets; removed by the caller at the end.
    pub private: PathBuf,
    pub timeout: Duration,
    pub python: String,
    pub keep_going: bool,
    /// Acknowledge manual steps, overwrite files, skip the confirmation before changes.
    pub yes: bool,
    pub no_clobber: bool,
    /// Standard input is a terminal: questions can be asked.
    pub terminal: bool,
    /// Ask before the first `change` step (not with `--yes` or `--plan`).
    pub confirm_changes: bool,
    /// Bytes of output kept per step in records.
    pub output_limit: usize,
    /// Environment of every child before the step's own variables (already without `RUNBOOK_*`).
    pub base_env: Vec<(OsString, OsString)>,
    /// The summary shown with the confirmation before changes.
    pub summary: String,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    Interrupted,
}

#[derive(Clone)]
struct Value {
    value: String,
    secret: bool,
}

/// Run the plan's steps. `state` is the resume state to update (and, with `resume`, the steps
/// it says are finished are not run again).
pub struct Runner<'a> {
    rb: &'a Runbook,
    params: &'a Params,
    plan: &'a Plan,
    opts: &'a Options,
    interrupt: &'a AtomicBool,
    redactor: Redactor,
    values: HashMap<String, Value>,
    secret_env: HashMap<String, String>,
    python: Option<(String, python::Session)>,
    sessions: usize,
    records: Vec<StepRecord>,
    state: State,
    state_dir: Option<PathBuf>,
    changes_confirmed: bool,
}

impl<'a> Runner<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rb: &'a Runbook,
        params: &'a Params,
        bindings: &[Binding],
        plan: &'a Plan,
        opts: &'a Options,
        interrupt: &'a AtomicBool,
        redactor: Redactor,
        state: State,
        state_dir: Option<PathBuf>,
    ) -> Runner<'a> {
        let secret_env = crate::plan::secret_envs(params, bindings);
        let mut values = HashMap::new();
        for (p, b) in params.placeholders.iter().zip(bindings) {
            if let Some(v) = &b.value {
                if p.secret {
                    redactor.add(&p.name, v);
                }
                values.insert(p.name.clone(), Value { value: v.clone(), secret: p.secret });
            }
        }
        // Non-secret values captured by an earlier run of the same state.
        for (name, v) in &state.values {
            values.entry(name.clone()).or_insert(Value { value: v.clone(), secret: false });
        }
        Runner {
            rb,
            params,
            plan,
            opts,
            interrupt,
            redactor,
            values,
            secret_env,
            python: None,
            sessions: 0,
            records: Vec::new(),
            state,
            state_dir,
            changes_confirmed: !opts.confirm_changes,
        }
    }

    pub fn records(&self) -> &[StepRecord] {
        &self.records
    }

    /// Steps of the plan that a selected step needs (a capture or a file) but the selection
    /// leaves out; the message names both steps.
    pub fn missing_prerequisites(&self) -> Vec<String> {
        let selected: HashMap<&str, usize> = self
            .plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.skipped.is_none())
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut problems = Vec::new();
        for (pos, ps) in self.plan.steps.iter().enumerate() {
            if ps.skipped.is_some() || self.state.is_finished(&ps.id) {
                continue;
            }
            let Some(index) = self.rb.steps.iter().position(|s| s.id == ps.id) else { continue };
            for p in &self.params.placeholders {
                if !p.uses.iter().any(|u| u.step == Some(index)) || self.values.contains_key(&p.name) {
                    continue;
                }
                let (from, what) = match &p.source {
                    Source::Capture { step } => (step, "captures"),
                    Source::FileOf { step } => {
                        if self.opts.workdir.join(crate::plan::file_name_of(p)).exists() {
                            continue;
                        }
                        (step, "writes the file")
                    }
                    _ => continue,
                };
                if from == &ps.id || selected.get(from.as_str()).is_some_and(|&i| i < pos) {
                    continue;
                }
                if self.state.secret_captures.contains(&p.name) && self.state.is_finished(from) {
                    continue;
                }
                let msg = format!(
                    "step `{}` needs `{}`, which step `{from}` {what}, but the selection leaves `{from}` out: \
                     include it (for example `--from {from}`)",
                    ps.id, p.name
                );
                if !problems.contains(&msg) {
                    problems.push(msg);
                }
            }
        }
        problems
    }

    /// Run every step. Steps finished in the state (on `--resume`) are reported as such and not
    /// run again.
    pub fn run(&mut self, ui: &mut dyn Ui) -> Outcome {
        let mut stop: Option<Outcome> = None;
        self.reobtain_secret_captures(ui);
        let plan = self.plan;
        for (n, ps) in plan.steps.iter().enumerate() {
            let n = n + 1;
            if let Some(outcome) = stop {
                let mut r = StepRecord::new(&ps.id, Status::NotReached);
                if outcome == Outcome::Interrupted {
                    r.message = Some("the run was interrupted before this step".into());
                }
                self.records.push(r);
                continue;
            }
            if self.interrupt.load(Ordering::SeqCst) {
                stop = Some(Outcome::Interrupted);
                self.records.push(StepRecord::new(&ps.id, Status::NotReached));
                continue;
            }
            if let Some(done) = self.state.finished.iter().find(|f| f.id == ps.id) {
                let status = match done.status.as_str() {
                    "acknowledged" => Status::Acknowledged,
                    "skipped" => Status::Skipped,
                    _ => Status::Ok,
                };
                let mut r = StepRecord::new(&ps.id, status);
                r.message = Some(EARLIER.into());
                self.records.push(r);
                continue;
            }
            self.leave_python_section(ps, ui);
            if ps.skipped.is_none() && ps.effect == Effect::Change && !self.changes_confirmed {
                if !self.opts.terminal {
                    stop = Some(Outcome::Failed);
                    let mut r = StepRecord::new(&ps.id, Status::NotReached);
                    r.message = Some("changes need confirmation: run on a terminal, or pass --yes".into());
                    self.records.push(r);
                    continue;
                }
                ui.note(&self.opts.summary);
                if !ui.confirm("This run changes things from the next step on. Go ahead?") {
                    stop = Some(Outcome::Failed);
                    let mut r = StepRecord::new(&ps.id, Status::NotReached);
                    r.message = Some("not confirmed".into());
                    self.records.push(r);
                    continue;
                }
                self.changes_confirmed = true;
            }
            ui.started(n, ps);
            let started = Instant::now();
            let mut record = self.step(ps, ui);
            record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match record.status {
                Status::Failed | Status::TimedOut if !self.opts.keep_going => stop = Some(Outcome::Failed),
                Status::Interrupted => stop = Some(Outcome::Interrupted),
                _ => {}
            }
            if record.status.is_done() {
                self.state.finished.push(FinishedStep {
                    id: ps.id.clone(),
                    status: record.status.as_str().to_string(),
                    planned: state::planned_hash(ps),
                });
            }
            self.save_state(ui);
            self.records.push(record);
            let record = self.records.last().cloned().unwrap_or_else(|| StepRecord::new(&ps.id, Status::Ok));
            ui.finished(n, ps, &record, &self.records);
        }
        if let Some((_, session)) = self.python.take() {
            session.close(&mut |_, _| {});
        }
        match stop {
            Some(o) => o,
            None if self.records.iter().any(|r| matches!(r.status, Status::Failed | Status::TimedOut)) => {
                Outcome::Failed
            }
            None => Outcome::Ok,
        }
    }

    fn save_state(&mut self, ui: &mut dyn Ui) {
        let Some(dir) = &self.state_dir else { return };
        self.state.values = self
            .values
            .iter()
            .filter(|(_, v)| !v.secret)
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect::<BTreeMap<_, _>>();
        if let Err(e) = self.state.save(dir) {
            ui.note(&format!("warning: {e}"));
        }
    }

    /// On resume: secret captures of finished steps are not in the state. Re-run their step when
    /// it only reads (effect `read` or `none`), else ask for the value on a terminal.
    fn reobtain_secret_captures(&mut self, ui: &mut dyn Ui) {
        let needed: Vec<String> =
            self.state.secret_captures.iter().filter(|n| !self.values.contains_key(*n)).cloned().collect();
        let mut rerun: Vec<String> = Vec::new();
        for name in needed {
            let Some(cap) = self.rb.front_matter.captures.iter().find(|c| c.name == name) else { continue };
            let from = cap.from.clone();
            let read_only =
                self.plan.steps.iter().any(|s| s.id == from && matches!(s.effect, Effect::Read | Effect::None));
            if read_only {
                if !rerun.contains(&from) {
                    rerun.push(from);
                }
            } else if self.opts.terminal
                && let Some(v) = ui.secret(&name, &format!("captured by step `{from}` in the earlier run"))
            {
                self.capture_value(&name, v, true);
            }
        }
        for id in rerun {
            let plan = self.plan;
            let Some(ps) = plan.steps.iter().find(|s| s.id == id) else { continue };
            ui.note(&format!("re-running step `{id}` (it only reads) to obtain its secret captures again"));
            let quiet = &mut Quiet;
            let record = self.step(ps, quiet);
            if record.status != Status::Ok {
                ui.note(&format!(
                    "step `{id}` did not succeed again: {}",
                    record.message.as_deref().unwrap_or("no reason given")
                ));
            }
        }
    }

    fn leave_python_section(&mut self, ps: &PlannedStep, ui: &mut dyn Ui) {
        let section = self.rb.namespace(&ps.section);
        if self.python.as_ref().is_some_and(|(s, _)| *s != section)
            && let Some((_, session)) = self.python.take()
        {
            let redactor = self.redactor.clone();
            session.close(&mut |s, b| ui.output(s, &redactor.redact_bytes(b)));
        }
    }

    fn step(&mut self, ps: &PlannedStep, ui: &mut dyn Ui) -> StepRecord {
        let mut record = StepRecord::new(&ps.id, Status::Ok);
        if let Some(reason) = &ps.skipped {
            record.status = Status::Skipped;
            record.message = Some(reason.clone());
            return record;
        }
        let Some(index) = self.rb.steps.iter().position(|s| s.id == ps.id) else {
            record.status = Status::Failed;
            record.message = Some("the step is not in the runbook".into());
            return record;
        };
        let rb = self.rb;
        let step = &rb.steps[index];
        let at = format!("{}:{}", self.rb.source.path.display(), ps.line);
        match ps.effect {
            Effect::Manual => {
                let acknowledged = if self.opts.terminal { ui.confirm("Done?") } else { self.opts.yes };
                if acknowledged {
                    record.status = Status::Acknowledged;
                } else {
                    record.status = Status::Failed;
                    record.message = Some(if self.opts.terminal {
                        format!("manual step not done ({at})")
                    } else {
                        format!(
                            "manual step at {at} needs a person: run on a terminal, or pass --yes to record it as acknowledged"
                        )
                    });
                }
                return record;
            }
            Effect::Ref => {
                record.message = ps.ref_to.as_ref().map(|r| format!("its steps are those of section #{r}"));
                return record;
            }
            _ => {}
        }
        if ps.flags.contains(&"interactive") && !self.opts.terminal {
            record.status = Status::Failed;
            record.message = Some(format!(
                "step at {at} is interactive (it asks for input) and standard input is not a terminal: \
                 run it on a terminal, or use its non-interactive form"
            ));
            return record;
        }
        let mut out = Collected::new(self.opts.output_limit);
        let captures: Vec<_> = self.rb.front_matter.captures.iter().filter(|c| c.from == ps.id).cloned().collect();
        let secret_captures =
            captures.iter().any(|c| c.secret.unwrap_or(false) || self.params.get(&c.name).is_some_and(|p| p.secret));
        // Output that holds secrets still to be captured is shown only once they are known.
        let hold = secret_captures || ps.flags.contains(&"prints-secrets");
        let mut raw_stdout: Vec<u8> = Vec::new();
        for block in &step.blocks {
            let result = match block.kind {
                BlockKind::Command => self.shell_block(index, step, block, ui, hold, &mut out, &mut raw_stdout),
                BlockKind::Code => match Lang::of(&block.lang, block.file.as_deref()) {
                    Lang::Python => self.python_block(index, step, block, ui, hold, &mut out, &mut raw_stdout),
                    Lang::Shell => self.shell_block(index, step, block, ui, hold, &mut out, &mut raw_stdout),
                    _ => Err(Failure::new(
                        Status::Failed,
                        format!("no runner for `{}` code ({at}): mark the block `kind=file` or `ignore`", block.lang),
                    )),
                },
                BlockKind::File => self.file_block(index, block, ui),
                _ => Ok(None),
            };
            match result {
                Ok(code) => record.exit_code = code.or(record.exit_code),
                Err(f) => {
                    record.status = f.status;
                    record.message = Some(f.message);
                    record.failed_line = f.line;
                    record.exit_code = f.exit_code;
                    break;
                }
            }
        }
        if record.status == Status::Ok {
            let text = String::from_utf8_lossy(&raw_stdout).into_owned();
            for cap in &captures {
                match super::capture::extract(cap, &text) {
                    Ok(v) => {
                        let secret =
                            cap.secret.unwrap_or(false) || self.params.get(&cap.name).is_some_and(|p| p.secret);
                        self.capture_value(&cap.name, v, secret);
                        record.captured.push(cap.name.clone());
                    }
                    Err(e) => {
                        record.status = Status::Failed;
                        record.message = Some(format!("cannot capture `{}` ({at}): {e}", cap.name));
                    }
                }
            }
        }
        // Held output is shown now that every secret in it is known.
        out.release(&self.redactor, ui);
        if record.status == Status::Ok {
            let stdout = String::from_utf8_lossy(&self.redactor.redact_bytes(&raw_stdout)).into_owned();
            self.compare_samples(step, &stdout, &mut record);
        }
        drop(raw_stdout);
        record.output = out.text;
        record.truncated = out.truncated;
        record
    }

    fn capture_value(&mut self, name: &str, value: String, secret: bool) {
        if secret {
            self.redactor.add(name, &value);
            if !self.secret_env.contains_key(name) {
                let n = self.secret_env.len() + 1;
                self.secret_env.insert(name.to_string(), format!("RB_SECRET_{n}"));
            }
            if !self.state.secret_captures.iter().any(|n| n == name) {
                self.state.secret_captures.push(name.to_string());
            }
        }
        self.values.insert(name.to_string(), Value { value, secret });
    }

    fn fill(&self, name: &str) -> Fill {
        let Some(p) = self.params.get(name) else { return Fill::Missing { name: name.to_string() } };
        match self.values.get(name) {
            Some(v) if v.secret => Fill::Secret {
                name: name.to_string(),
                env: self.secret_env.get(name).cloned().unwrap_or_else(|| "RB_SECRET_0".into()),
            },
            Some(v) => Fill::Value(v.value.clone()),
            None => match &p.source {
                Source::FileOf { .. } => Fill::Value(crate::plan::file_name_of(p)),
                Source::Capture { step } | Source::OutputOf { step } => {
                    Fill::Captured { name: name.to_string(), step: step.clone() }
                }
                Source::User => Fill::Missing { name: name.to_string() },
            },
        }
    }

    fn render(&self, index: usize, block: &StepBlock, mode: Mode) -> Result<render::Rendered, Failure> {
        let slots = crate::plan::block_slots(self.params, index, block);
        let lang = match block.kind {
            BlockKind::Command => Lang::Shell,
            _ => Lang::of(&block.lang, block.file.as_deref()),
        };
        render::render(&block.text, lang, &slots, &|n| self.fill(n), mode).map_err(|e| {
            Failure::new(
                Status::Failed,
                format!("{}:{}: {}", self.rb.source.path.display(), self.line_of(block.content_start), e.message),
            )
        })
    }

    fn line_of(&self, offset: usize) -> usize {
        self.rb.source.line_col(offset).line
    }

    /// The environment of one child: the base, the secrets its text references, exported values
    /// its text reads.
    fn child_env(&self, secret_refs: &[(String, String)], texts: &[&str]) -> Vec<(OsString, OsString)> {
        let mut env = self.opts.base_env.clone();
        for (name, var) in secret_refs {
            if let Some(v) = self.values.get(name) {
                env.push((var.into(), v.value.clone().into()));
            }
        }
        for p in &self.params.placeholders {
            let Some(v) = self.values.get(&p.name) else { continue };
            for var in &p.exported_as {
                if texts.iter().any(|t| mentions(t, var)) {
                    env.push((var.into(), v.value.clone().into()));
                }
            }
        }
        env
    }

    #[allow(clippy::too_many_arguments)]
    fn shell_block(
        &mut self,
        index: usize,
        step: &Step,
        block: &StepBlock,
        ui: &mut dyn Ui,
        hold: bool,
        out: &mut Collected,
        raw_stdout: &mut Vec<u8>,
    ) -> Result<Option<i32>, Failure> {
        let rendered = self.render(index, block, Mode::Execute)?;
        let script = strip_prompts(&rendered.text);
        let n = self.records.len() + 1;
        let path = self.opts.private.join(format!("step-{n}-{}.sh", block.content_start));
        let failed_line_file = self.opts.private.join(format!("step-{n}-{}.line", block.content_start));
        let _ = std::fs::remove_file(&failed_line_file);
        // Line 1 sets the shell up; blank lines then put the block's first line on its Markdown
        // line, so that bash's own messages (`guide.md: line 15: …`) name Markdown lines.
        let first_line = self.line_of(block.content_start);
        let pad = first_line.saturating_sub(2);
        let text = format!(
            "set -euo pipefail; trap 'printf \"%s\\n\" \"$LINENO\" > \"$RB_FAILED_LINE_FILE\"' ERR\n{}{script}{}",
            "\n".repeat(pad),
            if script.ends_with('\n') { "" } else { "\n" }
        );
        let mut env = self.child_env(&rendered.secret_refs, &[&rendered.text]);
        env.push(("RB_FAILED_LINE_FILE".into(), failed_line_file.clone().into()));
        let interactive = step_is_interactive(self.plan, &step.id);
        // The script holds no secret (only environment references), so it may be an argument:
        // `bash -c SCRIPT NAME` makes `$0`, and so bash's messages, the runbook's path. A script
        // too long for an argument goes into the private directory instead.
        let args: Vec<OsString> = if text.len() <= MAX_INLINE_SCRIPT {
            vec!["-c".into(), text.into(), self.rb.source.path.clone().into()]
        } else {
            write_private(&path, &text).map_err(|e| Failure::new(Status::Failed, e))?;
            vec![path.clone().into()]
        };
        let spawn = Spawn {
            program: "bash".into(),
            args,
            env,
            workdir: self.opts.workdir.clone(),
            stdin: if interactive { process::Stdin::Terminal } else { process::Stdin::Null },
            new_group: !interactive,
        };
        // One redactor over both streams in arrival order: a secret split between a write to
        // stdout and one to stderr is still seen whole.
        let mut combined = self.redactor.stream();
        let mut last = Instant::now();
        let mut partial = false;
        let ending = process::run(&spawn, self.opts.timeout, self.interrupt, &mut |s, b| {
            if b.is_empty() {
                // A prompt without a newline (`Password>`) is shown after a short pause; the
                // redactor still holds back anything that could be the start of a secret.
                if partial && !hold && last.elapsed() > IDLE_FLUSH {
                    let safe = combined.flush_partial();
                    out.show(s, &safe, ui);
                    partial = false;
                }
                return;
            }
            last = Instant::now();
            partial = !b.ends_with(b"\n");
            if s == Stream::Stdout {
                raw_stdout.extend_from_slice(b);
            }
            if hold {
                out.hold(s, b);
            } else {
                let safe = combined.push(b);
                out.show(s, &safe, ui);
            }
        });
        out.show(Stream::Stdout, &combined.finish(), ui);
        let _ = std::fs::remove_file(&path);
        let ending = ending.map_err(|e| Failure::new(Status::Failed, format!("cannot start bash: {e}")))?;
        let script_line = std::fs::read_to_string(&failed_line_file).ok().and_then(|t| t.trim().parse::<usize>().ok());
        let _ = std::fs::remove_file(&failed_line_file);
        let md_line = script_line.filter(|&l| l >= 2 + pad).map_or_else(
            || self.line_of(block.content_start),
            |l| {
                let offset = line_offset(&rendered.text, l - 2 - pad);
                self.line_of(block.map.to_source(rendered.to_block(offset)))
            },
        );
        let path_md = self.rb.source.path.display();
        let expected = block.expect_exit.unwrap_or(0);
        match ending {
            Ending::Exited(code) if code == expected => Ok(Some(code)),
            Ending::Exited(code) => {
                let mut f = Failure::new(
                    Status::Failed,
                    if expected == 0 {
                        format!("failed at {path_md}:{md_line} (exit status {code})")
                    } else {
                        format!("exit status {code} at {path_md}:{md_line}, expected {expected}")
                    },
                );
                f.line = Some(md_line);
                f.exit_code = Some(code);
                Err(f)
            }
            Ending::Signalled(sig) => {
                let mut f = Failure::new(Status::Failed, format!("killed by signal {sig} at {path_md}:{md_line}"));
                f.line = Some(md_line);
                Err(f)
            }
            Ending::TimedOut => Err(Failure::new(
                Status::TimedOut,
                format!(
                    "timed out after {} at {path_md}:{}; its processes were killed",
                    human_duration(self.opts.timeout),
                    self.line_of(block.content_start)
                ),
            )),
            Ending::Interrupted => Err(Failure::new(
                Status::Interrupted,
                format!("interrupted at {path_md}:{}", self.line_of(block.content_start)),
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn python_block(
        &mut self,
        index: usize,
        step: &Step,
        block: &StepBlock,
        ui: &mut dyn Ui,
        hold: bool,
        out: &mut Collected,
        raw_stdout: &mut Vec<u8>,
    ) -> Result<Option<i32>, Failure> {
        let rendered = self.render(index, block, Mode::Execute)?;
        let section = self.rb.namespace(&step.section);
        let path_md = self.rb.source.path.display().to_string();
        let first_line = self.line_of(block.content_start);
        if self.python.as_ref().is_none_or(|(s, session)| *s != section || !session.alive()) {
            if let Some((_, old)) = self.python.take() {
                old.close(&mut |_, _| {});
            }
            let env = self.python_env(&section);
            self.sessions += 1;
            let session =
                python::Session::start(&self.opts.python, env, &self.opts.workdir, &self.opts.private, self.sessions)
                    .map_err(|e| {
                    Failure::new(Status::Failed, format!("cannot start Python for {path_md}:{first_line}: {e}"))
                })?;
            self.python = Some((section, session));
        }
        for (_, var) in &rendered.secret_refs {
            if !self.python_has(var) {
                return Err(Failure::new(
                    Status::Failed,
                    format!(
                        "{path_md}:{first_line}: the value in `{var}` was captured after this section's Python \
                         interpreter started: capture it before the section's first Python step"
                    ),
                ));
            }
        }
        let Some((_, session)) = self.python.as_mut() else {
            return Err(Failure::new(Status::Failed, "no Python interpreter".into()));
        };
        let mut combined = self.redactor.stream();
        let ending =
            session.run_block(&rendered.text, &path_md, first_line, self.opts.timeout, self.interrupt, &mut |s, b| {
                if s == Stream::Stdout {
                    raw_stdout.extend_from_slice(b);
                }
                if hold {
                    out.hold(s, b);
                } else {
                    let safe = combined.push(b);
                    out.show(s, &safe, ui);
                }
            });
        out.show(Stream::Stdout, &combined.finish(), ui);
        match ending {
            BlockEnding::Answered(a) if a.ok => Ok(None),
            BlockEnding::Answered(a) => {
                let line = a.line.unwrap_or(first_line);
                let what = match (a.error.as_deref(), a.message.as_deref()) {
                    (Some(e), Some(m)) if !m.is_empty() => format!("{e}: {}", self.redactor.redact(m)),
                    (Some(e), _) => e.to_string(),
                    _ => "an exception".to_string(),
                };
                let mut f = Failure::new(Status::Failed, format!("failed at {path_md}:{line}: {what}"));
                f.line = Some(line);
                Err(f)
            }
            BlockEnding::Died(code) => {
                self.python = None;
                let mut f = Failure::new(
                    Status::Failed,
                    format!(
                        "the Python interpreter ended during {path_md}:{first_line}{}",
                        code.map_or_else(String::new, |c| format!(" (exit status {c})"))
                    ),
                );
                f.exit_code = code;
                Err(f)
            }
            BlockEnding::TimedOut => {
                self.python = None;
                Err(Failure::new(
                    Status::TimedOut,
                    format!(
                        "timed out after {} at {path_md}:{first_line}; the section's Python interpreter was killed",
                        human_duration(self.opts.timeout)
                    ),
                ))
            }
            BlockEnding::Interrupted => {
                self.python = None;
                Err(Failure::new(Status::Interrupted, format!("interrupted at {path_md}:{first_line}")))
            }
        }
    }

    /// Environment of a section's interpreter: secrets and exports that any of its Python
    /// blocks references, with the values known now.
    fn python_env(&self, section: &str) -> Vec<(OsString, OsString)> {
        let mut refs: Vec<(String, String)> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        for (i, s) in self.rb.steps.iter().enumerate() {
            if self.rb.namespace(&s.section) != section {
                continue;
            }
            for b in &s.blocks {
                if b.kind != BlockKind::Code || Lang::of(&b.lang, b.file.as_deref()) != Lang::Python {
                    continue;
                }
                if let Ok(r) = self.render(i, b, Mode::Display) {
                    for pair in r.secret_refs {
                        if !refs.contains(&pair) {
                            refs.push(pair);
                        }
                    }
                }
                texts.push(b.text.clone());
            }
        }
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.child_env(&refs, &texts)
    }

    fn python_has(&self, var: &str) -> bool {
        // Secrets known when the interpreter started are in its environment; a secret numbered
        // later was captured after it started.
        let Some(name) = self.secret_env.iter().find(|(_, v)| v.as_str() == var).map(|(k, _)| k) else {
            return false;
        };
        self.values.contains_key(name)
    }

    /// Write a file block into the working directory.
    fn file_block(&mut self, index: usize, block: &StepBlock, ui: &mut dyn Ui) -> Result<Option<i32>, Failure> {
        let at = format!("{}:{}", self.rb.source.path.display(), self.line_of(block.span.start));
        let Some(name) = block.file.clone() else {
            return Err(Failure::new(
                Status::Failed,
                format!("the file block at {at} has no file name: add `file=NAME`"),
            ));
        };
        let rendered = self.render(index, block, Mode::Execute)?;
        if let Some((n, _)) = rendered.secret_refs.first() {
            return Err(Failure::new(
                Status::Failed,
                format!("the file `{name}` ({at}) would hold the secret `{n}`: read it from the environment instead"),
            ));
        }
        render::validate_file_name(&name).map_err(|e| Failure::new(Status::Failed, format!("{at}: {e}")))?;
        let path = self.opts.workdir.join(&name);
        if let Ok(existing) = std::fs::read_to_string(&path) {
            if existing == rendered.text {
                ui.note(&format!("{name} is already as the runbook writes it"));
                return Ok(None);
            }
            let diff = self.redactor.redact(&line_diff(&existing, &rendered.text));
            if self.opts.no_clobber {
                return Err(Failure::new(
                    Status::Failed,
                    format!("`{name}` exists with other content; --no-clobber refuses to overwrite it ({at})\n{diff}"),
                ));
            }
            if !self.opts.yes {
                if !self.opts.terminal {
                    return Err(Failure::new(
                        Status::Failed,
                        format!(
                            "`{name}` exists with other content ({at}): pass --yes to overwrite it or --no-clobber to keep it\n{diff}"
                        ),
                    ));
                }
                ui.note(&format!("{name} differs from what the runbook writes:\n{diff}"));
                if !ui.confirm(&format!("Overwrite {name}?")) {
                    return Err(Failure::new(Status::Failed, format!("kept the existing `{name}` ({at})")));
                }
            }
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::new(Status::Failed, format!("cannot create {}: {e}", parent.display())))?;
        }
        let tmp = path.with_file_name(format!(
            ".{}.runbook-tmp-{}",
            path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            std::process::id()
        ));
        std::fs::write(&tmp, &rendered.text).and_then(|()| std::fs::rename(&tmp, &path)).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Failure::new(Status::Failed, format!("cannot write {name}: {e}"))
        })?;
        ui.note(&format!("wrote {name}"));
        Ok(None)
    }

    /// Compare the step's stdout with every sample of it.
    fn compare_samples(&self, step: &Step, stdout: &str, record: &mut StepRecord) {
        let samples = self.rb.steps.iter().enumerate().flat_map(|(i, s)| {
            s.blocks
                .iter()
                .filter(move |b| {
                    b.kind == BlockKind::Output
                        && (b.output_of.as_deref() == Some(step.id.as_str())
                            || (s.id == step.id && b.output_of.is_none()))
                })
                .map(move |b| (i, b))
        });
        for (i, b) in samples {
            let sample = self.render(i, b, Mode::Display).map_or_else(|_| b.text.clone(), |r| r.text);
            let line = self.line_of(b.content_start);
            match expect::compare(&sample, stdout) {
                Ok(shape) => {
                    record.expected.push(ExpectRecord {
                        line,
                        shape: shape.as_str(),
                        matched: true,
                        summary: None,
                        diff: None,
                    });
                }
                Err(m) => {
                    record.status = Status::Failed;
                    record.failed_line = Some(line);
                    record.message =
                        Some(format!("{} (sample at {}:{line})", m.summary, self.rb.source.path.display()));
                    record.expected.push(ExpectRecord {
                        line,
                        shape: expect::shape_of(&sample).as_str(),
                        matched: false,
                        summary: Some(m.summary),
                        diff: Some(self.redactor.redact(&m.diff)),
                    });
                }
            }
        }
    }
}

/// A `Ui` that shows nothing (re-running a read step on resume).
struct Quiet;

impl Ui for Quiet {
    fn started(&mut self, _: usize, _: &PlannedStep) {}
    fn output(&mut self, _: Stream, _: &[u8]) {}
    fn finished(&mut self, _: usize, _: &PlannedStep, _: &StepRecord, _: &[StepRecord]) {}
    fn note(&mut self, _: &str) {}
    fn confirm(&mut self, _: &str) -> bool {
        false
    }
    fn secret(&mut self, _: &str, _: &str) -> Option<String> {
        None
    }
}

struct Failure {
    status: Status,
    message: String,
    line: Option<usize>,
    exit_code: Option<i32>,
}

impl Failure {
    fn new(status: Status, message: String) -> Failure {
        Failure { status, message, line: None, exit_code: None }
    }
}

/// Output of one step: what the records keep (cut at a limit) and raw chunks held back until
/// the step's secrets are known.
struct Collected {
    text: String,
    truncated: usize,
    limit: usize,
    held: Vec<(Stream, Vec<u8>)>,
}

impl Collected {
    fn new(limit: usize) -> Collected {
        Collected { text: String::new(), truncated: 0, limit, held: Vec::new() }
    }

    fn show(&mut self, stream: Stream, safe: &[u8], ui: &mut dyn Ui) {
        // `stream` is where the bytes that completed this piece came from (the redactor joins
        // both streams).
        if safe.is_empty() {
            return;
        }
        ui.output(stream, safe);
        let text = String::from_utf8_lossy(safe);
        let room = self.limit.saturating_sub(self.text.len());
        if text.len() <= room {
            self.text.push_str(&text);
        } else {
            let mut cut = room;
            while cut > 0 && !text.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push_str(&text[..cut]);
            self.truncated += text.len() - cut;
        }
    }

    fn hold(&mut self, stream: Stream, raw: &[u8]) {
        match self.held.last_mut() {
            Some((s, bytes)) if *s == stream => bytes.extend_from_slice(raw),
            _ => self.held.push((stream, raw.to_vec())),
        }
    }

    fn release(&mut self, redactor: &Redactor, ui: &mut dyn Ui) {
        let held = std::mem::take(&mut self.held);
        let mut stream = redactor.stream();
        for (s, raw) in held {
            let safe = stream.push(&raw);
            self.show(s, &safe, ui);
        }
        self.show(Stream::Stdout, &stream.finish(), ui);
    }
}

fn step_is_interactive(plan: &Plan, id: &str) -> bool {
    plan.steps.iter().any(|s| s.id == id && s.flags.contains(&"interactive"))
}

/// Whether `text` mentions the environment variable `var` as a whole word.
fn mentions(text: &str, var: &str) -> bool {
    text.match_indices(var).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + var.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// A console block's `$ ` prompts removed; lines that are not commands (output shown after a
/// prompt) become blank so that line numbers still match.
fn strip_prompts(text: &str) -> String {
    let has_prompts = text.lines().any(|l| l.trim_start().starts_with("$ "));
    if !has_prompts {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut continued = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if let Some(cmd) = trimmed.strip_prefix("$ ") {
            out.push_str(cmd);
            continued = cmd.trim_end().ends_with('\\');
        } else if continued {
            out.push_str(body);
            continued = body.trim_end().ends_with('\\');
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Byte offset of the start of 0-based line `line` in `text`.
fn line_offset(text: &str, line: usize) -> usize {
    if line == 0 {
        return 0;
    }
    text.match_indices('\n').nth(line - 1).map_or(text.len(), |(i, _)| i + 1)
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m {}s", secs / 60, secs % 60)
    } else if secs >= 1 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// A small line diff (`- old`, `+ new`), at most 40 lines.
pub fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() * b.len() > 4_000_000 {
        return format!("  ({} lines now, {} lines in the runbook)", a.len(), b.len());
    }
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+ {}", b[j]));
            j += 1;
        } else {
            out.push(format!("- {}", a[i]));
            i += 1;
        }
    }
    if out.len() > 40 {
        let more = out.len() - 40;
        out.truncate(40);
        out.push(format!("  … {more} more changed lines"));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_removed_and_output_lines_blanked() {
        let text = "$ echo one \\\n  two\none two\n$ ls\nfile\n";
        assert_eq!(strip_prompts(text), "echo one \\\n  two\n\nls\n\n");
        assert_eq!(strip_prompts("echo hi\n"), "echo hi\n");
    }

    #[test]
    fn environment_names_are_matched_as_words() {
        assert!(mentions("os.environ['BUCKET_NAME']", "BUCKET_NAME"));
        assert!(!mentions("MY_BUCKET_NAME_2", "BUCKET_NAME"));
        assert!(mentions("$AWS_REGION", "AWS_REGION"));
    }

    #[test]
    fn line_offsets() {
        assert_eq!(line_offset("a\nbb\nc", 0), 0);
        assert_eq!(line_offset("a\nbb\nc", 1), 2);
        assert_eq!(line_offset("a\nbb\nc", 2), 5);
        assert_eq!(line_offset("a\n", 5), 2);
    }

    #[test]
    fn diffs_show_changed_lines() {
        assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\n"), "+ x\n- b");
        assert_eq!(line_diff("same\n", "same\n"), "");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_mins(10)), "10m 0s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human_duration(Duration::from_millis(20)), "20ms");
    }
}
