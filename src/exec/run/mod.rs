//! Executing a plan: each selected step, in order, for real.
//!
//! Owns the run-time side of a plan: rendering each block with the values known at that moment
//! (given values, then captures as they arrive; secrets only as environment references), running
//! shell blocks as `bash` scripts in the run's private directory, Python blocks in one
//! interpreter per level-2 section, writing files (never clobbering a different file without
//! consent), manual steps, captures, expected output and expected exit statuses, timeouts and
//! Ctrl-C, the resume state, and one [`StepRecord`] per step. Every byte of output passes through
//! the [`Redactor`] before it reaches the [`Ui`] or a record. Never prints: the `Ui` does.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::process::Stream;
use super::python;
use super::redact::Redactor;
use super::state::{self, FinishedStep, State};
mod code;
mod files;
mod output;
mod record;
mod resume;
mod shell;

pub use record::{Answer, EARLIER, ExpectRecord, StandInCall, Status, StepRecord};

/// The most standard output kept in memory for captures and sample comparisons.
const MAX_RAW_STDOUT: usize = 16 * 1024 * 1024;

use output::Collected;

use crate::params::{Binding, Params, Source};
use crate::plan::effects::Effect;
use crate::plan::{Plan, PlannedStep};
use crate::render::{self, Fill, Lang, Mode};
use crate::steps::{BlockKind, Runbook, StepBlock};

/// The person (or script) on the other side.
pub trait Ui {
    /// A step is about to run (`n` counts from 1 over the plan's steps).
    fn started(&mut self, n: usize, step: &PlannedStep);
    /// Redacted output of the running step.
    fn output(&mut self, stream: Stream, bytes: &[u8]);
    /// A step has finished; `records` holds every record so far and `plan` the plan they belong
    /// to (for transcripts).
    fn finished(&mut self, n: usize, step: &PlannedStep, record: &StepRecord, records: &[StepRecord], plan: &Plan);
    /// Something to tell the user (already redacted).
    fn note(&mut self, text: &str);
    /// A yes/no question; only asked when [`Options::terminal`] is set.
    fn confirm(&mut self, question: &str) -> bool;
    /// A secret read without echo; only asked when [`Options::terminal`] is set.
    fn secret(&mut self, name: &str, help: &str) -> Option<String>;
}

/// No `Debug`: the base environment may hold the user's own credentials.
#[derive(Clone)]
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
    /// In a rehearsal, the shims' control directory: the runner names the current step there
    /// and reads back the stand-in calls each step made.
    pub rehearsal: Option<PathBuf>,
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
    plan: Plan,
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
    /// Bytes of the rehearsal's call record already read.
    calls_read: usize,
    /// Values the runbook's output samples imply are read from a step's output.
    inferred_captures: Vec<crate::frontmatter::Capture>,
}

impl<'a> Runner<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rb: &'a Runbook,
        params: &'a Params,
        bindings: &[Binding],
        plan: Plan,
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
        // A value the user gave is never replaced by one read from output.
        let inferred_captures =
            super::capture::inferred(rb, params).into_iter().filter(|c| !values.contains_key(&c.name)).collect();
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
            calls_read: 0,
            inferred_captures,
        }
    }

    pub fn records(&self) -> &[StepRecord] {
        &self.records
    }

    /// Run every step. Steps finished in the state (on `--resume`) are reported as such and not
    /// run again.
    pub fn run(&mut self, ui: &mut dyn Ui) -> Outcome {
        let mut stop: Option<Outcome> = None;
        self.reobtain_secret_captures(ui);
        for index in 0..self.plan.steps.len() {
            let ps = self.plan.steps[index].clone();
            let ps = &ps;
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
                let mut r = StepRecord::new(&ps.id, Status::from_state(&done.status));
                r.message = Some(EARLIER.into());
                self.records.push(r);
                continue;
            }
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
            let record = self.execute(index, ui);
            match record.status {
                Status::Failed | Status::TimedOut if !self.opts.keep_going => stop = Some(Outcome::Failed),
                Status::Interrupted => stop = Some(Outcome::Interrupted),
                _ => {}
            }
        }
        self.finish();
        match stop {
            Some(o) => o,
            None if self.records.iter().any(|r| matches!(r.status, Status::Failed | Status::TimedOut)) => {
                Outcome::Failed
            }
            None => Outcome::Ok,
        }
    }

    /// Run the plan's step at `index` now (skipped steps are recorded as such): its record is
    /// kept (a later record of the same step replaces it in transcripts), the state is saved,
    /// and the `Ui` hears of it.
    pub fn execute(&mut self, index: usize, ui: &mut dyn Ui) -> StepRecord {
        let Some(ps) = self.plan.steps.get(index).cloned() else {
            return StepRecord::new("", Status::NotReached);
        };
        self.leave_python_section(&ps, ui);
        ui.started(index + 1, &ps);
        let started = Instant::now();
        if let Some(control) = &self.opts.rehearsal {
            let _ = std::fs::write(control.join(crate::rehearse::STEP), &ps.id);
        }
        let mut record = self.step(&ps, ui);
        let late = self.stand_in_calls();
        record.calls.extend(late);
        // A question or a step abandoned because of Ctrl-C is interrupted, not failed.
        if self.interrupt.load(Ordering::SeqCst) && record.status == Status::Failed {
            record.status = Status::Interrupted;
        }
        record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.state.finished.retain(|f| f.id != ps.id);
        if record.status.is_done() {
            self.state.finished.push(FinishedStep {
                id: ps.id.clone(),
                status: record.status.as_str().to_string(),
                planned: state::planned_hash(&ps),
            });
        }
        self.save_state(ui);
        self.note_record(index, record.clone(), ui);
        record
    }

    /// Record a step as done without running it (a manual step the user did, a step they
    /// skipped, or one a dry run passed): kept in the records, and in the state when done.
    pub fn mark(&mut self, index: usize, status: Status, message: Option<String>, ui: &mut dyn Ui) {
        let Some(ps) = self.plan.steps.get(index).cloned() else { return };
        let mut record = StepRecord::new(&ps.id, status);
        record.message = message;
        self.state.finished.retain(|f| f.id != ps.id);
        if status.is_done() {
            self.state.finished.push(FinishedStep {
                id: ps.id.clone(),
                status: status.as_str().to_string(),
                planned: state::planned_hash(&ps),
            });
            self.save_state(ui);
        }
        self.note_record(index, record, ui);
    }

    /// A record for a step an earlier run or walk finished, without telling the `Ui`.
    pub fn remember(&mut self, index: usize, status: Status, message: &str) {
        let Some(ps) = self.plan.steps.get(index) else { return };
        let mut record = StepRecord::new(&ps.id, status);
        record.message = Some(message.to_string());
        self.records.retain(|r| r.id != record.id);
        self.records.push(record);
    }

    /// Keep a record made outside [`Runner::execute`] (a step the user skipped or only looked
    /// at), and tell the `Ui`.
    pub fn note_record(&mut self, index: usize, record: StepRecord, ui: &mut dyn Ui) {
        self.records.retain(|r| r.id != record.id);
        self.records.push(record);
        if let (Some(ps), Some(last)) = (self.plan.steps.get(index), self.records.last()) {
            ui.finished(index + 1, ps, last, &self.records, &self.plan);
        }
    }

    /// The plan the runner works from.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Work from a new plan (values were given or edited); records and state are kept.
    pub fn replace_plan(&mut self, plan: Plan) {
        self.plan = plan;
    }

    /// Give or change a value (`walk` asks for values when they are first needed).
    pub fn set_value(&mut self, name: &str, value: String, secret: bool) {
        // An interpreter started with the old value in its environment must not keep using it:
        // the section's next Python step starts a new one.
        let env = self.secret_env.get(name).cloned();
        let exported = self.params.get(name).map(|p| p.exported_as.clone()).unwrap_or_default();
        if let Some((_, session)) = &self.python
            && (env.as_deref().is_some_and(|e| session.has_env(e)) || exported.iter().any(|e| session.has_env(e)))
            && let Some((_, session)) = self.python.take()
        {
            session.close(&mut |_, _| {});
        }
        if secret {
            self.redactor.add(name, &value);
            if !self.secret_env.contains_key(name) {
                let n = self.secret_env.len() + 1;
                self.secret_env.insert(name.to_string(), format!("RB_SECRET_{n}"));
            }
        }
        self.values.insert(name.to_string(), Value { value, secret });
    }

    /// Whether a value is known (given, asked for or captured).
    pub fn has_value(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The state as it stands (finished steps).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Forget the finished steps (start again from the beginning).
    pub fn reset_state(&mut self) {
        self.state.finished.clear();
    }

    /// End the run: the section's Python interpreter is stopped.
    pub fn finish(&mut self) {
        if let Some((_, session)) = self.python.take() {
            session.close(&mut |_, _| {});
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

    /// A `ref` step whose section came earlier runs that section's steps again, in order (a
    /// procedure such as a key rotation repeats them, and their captures are taken again); a
    /// section still to come runs at its own place. Steps skipped in the plan stay skipped, and
    /// `ref` steps inside are not followed again.
    fn follow_ref(&mut self, ps: &PlannedStep, mut record: StepRecord, ui: &mut dyn Ui) -> StepRecord {
        let Some(target) = ps.ref_to.clone() else { return record };
        let here = self.plan.steps.iter().position(|s| s.id == ps.id).unwrap_or(0);
        let again: Vec<usize> = (0..here)
            .filter(|&i| {
                let s = &self.plan.steps[i];
                crate::plan::section_within(self.rb, &s.section, &target)
                    && s.skipped.is_none()
                    && s.effect != Effect::Ref
            })
            .collect();
        if again.is_empty() {
            record.message = Some(format!("its steps are those of section #{target}, which run at their own place"));
            return record;
        }
        let mut ran = Vec::new();
        for i in again {
            let r = self.execute(i, ui);
            ran.push(r.id.clone());
            if !matches!(r.status, Status::Ok | Status::Acknowledged | Status::Skipped) {
                record.status = if r.status == Status::Interrupted { Status::Interrupted } else { Status::Failed };
                record.message = Some(format!("step `{}` of section #{target} {}", r.id, r.status.as_str()));
                return record;
            }
        }
        record.message = Some(format!("ran the steps of section #{target} again: {}", ran.join(", ")));
        record
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
            Effect::Ref => return self.follow_ref(ps, record, ui),
            _ => {}
        }
        // In a rehearsal, the commands that would ask are stand-ins, which never do.
        if ps.flags.contains(&"interactive") && !self.opts.terminal && self.opts.rehearsal.is_none() {
            record.status = Status::Failed;
            record.message = Some(format!(
                "step at {at} is interactive (it asks for input) and standard input is not a terminal: \
                 run it on a terminal, or use its non-interactive form"
            ));
            return record;
        }
        let mut out = Collected::new(self.opts.output_limit);
        let captures: Vec<_> = self
            .rb
            .front_matter
            .captures
            .iter()
            .chain(&self.inferred_captures)
            .filter(|c| c.from == ps.id)
            .cloned()
            .collect();
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
        // Captures: secret values join the redaction set whatever the step's status, so that
        // held output never shows them; values are kept only from a step that succeeded.
        let text = String::from_utf8_lossy(&raw_stdout).into_owned();
        let mut unknown_secret = false;
        // In a rehearsal, output a stand-in answered with the runbook's own sample says nothing
        // about the real one: no values are read from it and it is not compared with itself.
        record.calls = self.stand_in_calls();
        let from_sample = record.calls.iter().any(|c| c.answer == Answer::Sample);
        if from_sample && !captures.is_empty() {
            let names: Vec<&str> = captures.iter().map(|c| c.name.as_str()).collect();
            record.notes.push(format!(
                "not captured ({}): the output is the runbook's own sample, answered by a stand-in without a model",
                names.join(", ")
            ));
        }
        for cap in captures.iter().filter(|_| !from_sample) {
            let declared_secret = cap.secret.unwrap_or(false) || self.params.get(&cap.name).is_some_and(|p| p.secret);
            match super::capture::extract(cap, &text) {
                Ok(v) => {
                    if declared_secret {
                        self.redactor.add(&cap.name, &v);
                    }
                    if record.status == Status::Ok {
                        // A value that holds a secret found in the output is a secret too.
                        let secret = declared_secret || self.redactor.redact(&v) != v;
                        self.capture_value(&cap.name, v, secret);
                        record.captured.push(cap.name.clone());
                    }
                }
                Err(e) => {
                    unknown_secret |= declared_secret;
                    if record.status == Status::Ok {
                        record.status = Status::Failed;
                        record.message = Some(format!("cannot capture `{}` ({at}): {e}", cap.name));
                    }
                }
            }
        }
        // Held output is shown now that every secret in it is known; when a secret could not be
        // captured, its value is unknown and the output cannot be shown safely.
        if unknown_secret && out.holds_output() {
            out.withhold(ui);
        } else {
            out.release(&self.redactor, ui);
        }
        if record.status == Status::Ok && !from_sample {
            let stdout = String::from_utf8_lossy(&self.redactor.redact_bytes(&raw_stdout)).into_owned();
            self.compare_samples(step, &stdout, &mut record);
        } else if from_sample {
            record.notes.push("output not compared with the sample: it is the sample (not modelled)".into());
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

    /// The stand-in calls recorded since the last look, arguments and messages redacted.
    fn stand_in_calls(&mut self) -> Vec<StandInCall> {
        let Some(control) = &self.opts.rehearsal else { return Vec::new() };
        let bytes = std::fs::read(control.join(crate::rehearse::CALLS)).unwrap_or_default();
        let Some(new) = bytes.get(self.calls_read..) else { return Vec::new() };
        // Only whole lines: a shim still writing finishes its line later.
        let end = new.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        self.calls_read += end;
        String::from_utf8_lossy(&new[..end])
            .lines()
            .filter_map(|line| serde_json::from_str::<StandInCall>(line).ok())
            .map(|mut c| {
                c.args = c.args.iter().map(|a| self.redactor.redact(a)).collect();
                c.message = c.message.map(|m| self.redactor.redact(&m));
                c
            })
            .collect()
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
                if texts.iter().any(|t| crate::shell::mentions_var(t, var)) {
                    env.push((var.into(), v.value.clone().into()));
                }
            }
        }
        env
    }
}

/// A `Ui` that shows nothing (re-running a read step on resume).
struct Quiet;

impl Ui for Quiet {
    fn started(&mut self, _: usize, _: &PlannedStep) {}
    fn output(&mut self, _: Stream, _: &[u8]) {}
    fn finished(&mut self, _: usize, _: &PlannedStep, _: &StepRecord, _: &[StepRecord], _: &Plan) {}
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

fn step_is_interactive(plan: &Plan, id: &str) -> bool {
    plan.steps.iter().any(|s| s.id == id && s.flags.contains(&"interactive"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_matched_as_words() {
        assert!(crate::shell::mentions_var("os.environ['BUCKET_NAME']", "BUCKET_NAME"));
        assert!(!crate::shell::mentions_var("MY_BUCKET_NAME_2", "BUCKET_NAME"));
        assert!(crate::shell::mentions_var("$AWS_REGION", "AWS_REGION"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_mins(10)), "10m 0s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human_duration(Duration::from_millis(20)), "20ms");
    }
}
