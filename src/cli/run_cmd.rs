//! `runbook run`: resolve values, build and check the plan, take the state lock, run the steps
//! through `exec::run`, show progress, write transcripts after every step.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::exec::process::Stream;
use crate::exec::redact::Redactor;
use crate::exec::run::{self, Options, Outcome, StepRecord, Ui};
use crate::exec::state::{self, State};
use crate::params::values::{Given, Origin};
use crate::plan::{self, Plan, PlannedStep, Selection, output};
use crate::steps::{BlockKind, Runbook};
use crate::transcript::{self, RunInfo};

use super::Status;

pub struct Args {
    pub file: PathBuf,
    pub given: Vec<Given>,
    pub selection: Selection,
    pub yes: bool,
    pub keep_going: bool,
    pub timeout: Duration,
    pub resume: bool,
    pub plan: Option<PathBuf>,
    pub workdir: Option<PathBuf>,
    pub no_clobber: bool,
    pub python: String,
    pub transcript: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub salt_file: Option<PathBuf>,
    pub quiet: bool,
    pub verbose: bool,
}

/// Parse `10m`, `30s`, `500ms`, `1h` or a number of seconds.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.find(|c: char| !c.is_ascii_digit() && c != '.').map_or((t, "s"), |i| (&t[..i], &t[i..]));
    let n: f64 = num.parse().map_err(|_| format!("`{text}` is not a duration (try 90s, 10m or 1h)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (use ms, s, m or h)")),
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("`{text}`: the timeout must be more than zero"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub fn run(args: &Args) -> Result<Status, crate::Error> {
    let usage = crate::Error::Usage;
    let rb = Runbook::from_source(crate::source::SourceFile::read(&args.file)?);
    super::report_problems(&rb);
    let terminal = std::io::stdin().is_terminal();
    let params = crate::params::analyse(&rb);
    let salt = super::plan_cmd::salt(args.salt_file.as_deref())?;

    // The state: locked for the whole run.
    let state_dir = state::dir_for(&args.file);
    let lock = state::lock(&state_dir).map_err(usage)?;
    let previous = if args.resume {
        Some(State::load(&state_dir).map_err(usage)?.ok_or_else(|| {
            usage(format!("nothing to resume: no earlier run of {} from this directory", args.file.display()))
        })?)
    } else {
        None
    };

    let mut given = args.given.clone();
    // Non-secret values of the earlier run, unless given again.
    if let Some(prev) = &previous {
        for (name, value) in &prev.values {
            if !given.iter().any(|g| crate::params::canonical(&g.name) == *name) {
                given.push(Given {
                    name: name.clone(),
                    value: value.clone(),
                    origin: Origin::Capture("earlier run".into()),
                });
            }
        }
    }
    let mut selection = args.selection.clone();
    let mut notes = Vec::new();
    if let Some(from) = &selection.from
        && let Some(restart) = python_restart(&rb, from)
    {
        notes.push(format!(
            "`{from}` is inside a Python section: starting at its first Python step `{restart}`, so that the names its \
             blocks share are defined"
        ));
        selection.from = Some(restart);
    }

    let build = |given: &[Given]| -> Result<Plan, crate::Error> {
        let (bindings, choices, _) = crate::params::bind(&params, given);
        plan::build(&rb, &params, &bindings, &choices, &selection, &salt).map_err(crate::Error::BadSelection)
    };
    let mut plan = build(&given)?;

    // Missing values: asked for on a terminal (secrets without echo), refused otherwise.
    if !plan.missing.is_empty() {
        if !terminal {
            let list: Vec<String> =
                plan.missing.iter().map(|m| format!("`{}` (used at {})", m.name, m.used_at.join(", "))).collect();
            return Err(usage(format!(
                "no value for {}: give them with --set NAME=VALUE, a --vars file or RUNBOOK_VAR_NAME",
                list.join(", ")
            )));
        }
        for m in plan.missing.clone() {
            let p = params.get(&m.name);
            let help = p.and_then(|p| p.description.clone()).unwrap_or_default();
            let secret = p.is_some_and(|p| p.secret);
            let value = loop {
                let v = if secret { read_secret(&m.name, &help) } else { read_line(&format!("{} ({help}): ", m.name)) };
                let Some(v) = v else { return Err(usage(format!("no value for `{}`", m.name))) };
                match p.map(|p| p.kind.validate(&v)) {
                    Some(Err(e)) => eprintln_styled(&format!("invalid value for `{}`: {e}", m.name)),
                    _ => break v,
                }
            };
            given.push(Given { name: m.name.clone(), value, origin: Origin::Prompt });
        }
        plan = build(&given)?;
    }
    let (bindings, _, _) = crate::params::bind(&params, &given);

    // Bound to a reviewed plan.
    if let Some(path) = &args.plan
        && let Some(why) = stale_plan(path, &plan)?
    {
        eprintln_styled(&format!("the plan {} is stale: {why}", path.display()));
        return Ok(Status::Findings);
    }

    // Resume: every step finished before must be unchanged.
    let mut state = State {
        format_version: state::FORMAT_VERSION,
        runbook: args.file.display().to_string(),
        sha256: rb.source.sha256(),
        ..State::default()
    };
    if let Some(prev) = previous {
        for done in &prev.finished {
            match plan.steps.iter().find(|s| s.id == done.id) {
                Some(s) if state::planned_hash(s) == done.planned => {}
                Some(s) => {
                    eprintln_styled(&format!(
                        "cannot resume: step `{}` ({}:{}) has changed since it ran; run again without --resume",
                        s.id,
                        args.file.display(),
                        s.line
                    ));
                    return Ok(Status::Findings);
                }
                None if rb.step(&done.id).is_none() => {
                    eprintln_styled(&format!(
                        "cannot resume: step `{}` finished in the earlier run is no longer in the runbook",
                        done.id
                    ));
                    return Ok(Status::Findings);
                }
                None => {}
            }
        }
        state.finished.clone_from(&prev.finished);
        state.secret_captures.clone_from(&prev.secret_captures);
        state.workdir.clone_from(&prev.workdir);
        // A resume inside a Python section restarts at its first Python step.
        if let Some(next) = plan.steps.iter().find(|s| !state.is_finished(&s.id))
            && let Some(restart) = python_restart(&rb, &next.id)
        {
            let from = plan.steps.iter().position(|s| s.id == restart).unwrap_or(0);
            let again: Vec<String> = plan.steps[from..].iter().map(|s| s.id.clone()).collect();
            state.finished.retain(|f| !again.contains(&f.id));
            notes.push(format!(
                "resuming inside a Python section: its steps run again from its first Python step `{restart}`"
            ));
        }
    }
    let workdir = match (&args.workdir, state.workdir.as_os_str().is_empty()) {
        (Some(dir), _) => dir.clone(),
        (None, false) => state.workdir.clone(),
        (None, true) => std::env::current_dir().map_err(|e| crate::Error::io(Path::new("."), &e))?,
    };
    if !workdir.is_dir() {
        return Err(usage(format!("the working directory {} does not exist", workdir.display())));
    }
    state.workdir = std::path::absolute(&workdir).unwrap_or(workdir.clone());

    let changes =
        plan.steps.iter().filter(|s| s.skipped.is_none() && s.effect == plan::effects::Effect::Change).count();
    let confirm_changes = !args.yes && args.plan.is_none();
    if confirm_changes && changes > 0 && !terminal {
        return Err(usage(format!(
            "this run changes things ({changes} change step{}) and there is no terminal to confirm: pass --yes, or \
             --plan with a reviewed plan",
            if changes == 1 { "" } else { "s" }
        )));
    }

    let private = tempfile::Builder::new()
        .prefix("runbook-run-")
        .tempdir()
        .map_err(|e| crate::Error::CannotWrite { path: std::env::temp_dir(), message: e.to_string() })?;
    let interrupt = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&interrupt));
    }
    let base_env: Vec<_> = std::env::vars_os()
        .filter(|(k, _)| {
            let k = k.to_string_lossy();
            !k.starts_with("RUNBOOK_") && !k.starts_with("RB_SECRET_") && k != "RB_FAILED_LINE_FILE"
        })
        .collect();
    let opts = Options {
        workdir: state.workdir.clone(),
        private: private.path().to_path_buf(),
        timeout: args.timeout,
        python: args.python.clone(),
        keep_going: args.keep_going,
        yes: args.yes,
        no_clobber: args.no_clobber,
        terminal,
        confirm_changes,
        output_limit: 64 * 1024,
        base_env,
        summary: output::summary_line(&plan),
    };
    let resumed = !state.finished.is_empty();
    let redactor = Redactor::new();
    let mut runner = run::Runner::new(
        &rb,
        &params,
        &bindings,
        &plan,
        &opts,
        &interrupt,
        redactor.clone(),
        state,
        Some(state_dir.clone()),
    );
    let missing = runner.missing_prerequisites();
    if !missing.is_empty() {
        return Err(usage(missing.join("\n")));
    }
    let mut ui = TerminalUi::new(args, &plan, resumed, redactor);
    for n in &notes {
        ui.note(n);
    }
    let outcome = runner.run(&mut ui);
    let records = runner.records().to_vec();
    ui.write_transcripts(&records, outcome_name(outcome))?;
    ui.summary(&records, outcome);
    drop(private);
    drop(lock);
    Ok(match outcome {
        Outcome::Ok => Status::Success,
        Outcome::Failed => Status::Findings,
        Outcome::Interrupted => Status::Interrupted,
    })
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::Failed => "failed",
        Outcome::Interrupted => "interrupted",
    }
}

/// The first Python step of `id`'s level-2 section, when `id` comes after it in that section.
fn python_restart(rb: &Runbook, id: &str) -> Option<String> {
    let at = rb.steps.iter().position(|s| s.id == id)?;
    let section = rb.namespace(&rb.steps[at].section);
    let is_python = |s: &crate::steps::Step| {
        s.blocks.iter().any(|b| {
            b.kind == BlockKind::Code
                && crate::render::Lang::of(&b.lang, b.file.as_deref()) == crate::render::Lang::Python
        })
    };
    let first = rb.steps[..at].iter().find(|s| rb.namespace(&s.section) == section && is_python(s))?;
    Some(first.id.clone())
}

/// Why a reviewed plan no longer matches, or `None` when it does.
fn stale_plan(path: &Path, plan: &Plan) -> Result<Option<String>, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, &e))?;
    let old: serde_json::Value = serde_json::from_str(&text).map_err(|e| crate::Error::BadPlan {
        path: path.to_path_buf(),
        line: e.line(),
        message: format!("not a JSON plan: {e}"),
    })?;
    let digest = old.get("digest").and_then(|d| d.as_str()).ok_or_else(|| crate::Error::BadPlan {
        path: path.to_path_buf(),
        line: 1,
        message: "not a JSON plan: no `digest`".into(),
    })?;
    if digest == plan.digest {
        return Ok(None);
    }
    let mut why = Vec::new();
    if old.pointer("/runbook/sha256").and_then(|v| v.as_str()) != Some(plan.sha256.as_str()) {
        why.push("the runbook has been edited".to_string());
    }
    let values = |v: &serde_json::Value, key: &str| -> Vec<(String, String)> {
        v.get(key)
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| {
                        let name = x.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
                        let value =
                            x.get("value").or_else(|| x.get("hmac")).map(ToString::to_string).unwrap_or_default();
                        (name, value)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let now = serde_json::to_value(&plan.values).unwrap_or_default();
    let now = serde_json::json!({"values": now, "choices": plan.choices, "secrets": plan.secrets});
    let mut changed: Vec<String> = Vec::new();
    for key in ["values", "choices", "secrets"] {
        let a = values(&old, key);
        let b = values(&now, key);
        for (name, v) in &b {
            if a.iter().find(|(n, _)| n == name).map(|(_, x)| x) != Some(v) && !changed.contains(name) {
                changed.push(name.clone());
            }
        }
        for (name, _) in &a {
            if !b.iter().any(|(n, _)| n == name) && !changed.contains(name) {
                changed.push(name.clone());
            }
        }
    }
    if !changed.is_empty() {
        why.push(format!(
            "values changed: {}",
            changed.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let old_steps: Vec<(String, String)> = old
        .get("steps")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .map(|s| {
                    let id = s.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    let body = format!(
                        "{}{}",
                        s.get("rendered").map(ToString::to_string).unwrap_or_default(),
                        s.get("skipped").map(ToString::to_string).unwrap_or_default()
                    );
                    (id, body)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut steps: Vec<String> = Vec::new();
    for s in &plan.steps {
        let body = format!(
            "{}{}",
            serde_json::to_value(&s.rendered).map(|v| v.to_string()).unwrap_or_default(),
            serde_json::to_value(&s.skipped).map(|v| v.to_string()).unwrap_or_default()
        );
        if old_steps.iter().find(|(id, _)| *id == s.id).map(|(_, b)| b) != Some(&body) {
            steps.push(s.id.clone());
        }
    }
    for (id, _) in &old_steps {
        if !plan.steps.iter().any(|s| s.id == *id) && !steps.contains(id) {
            steps.push(id.clone());
        }
    }
    if !steps.is_empty() {
        let shown: Vec<String> = steps.iter().take(8).map(|s| format!("`{s}`")).collect();
        let more = if steps.len() > 8 { format!(" and {} more", steps.len() - 8) } else { String::new() };
        why.push(format!("steps differ: {}{more}", shown.join(", ")));
    }
    if why.is_empty() {
        why.push("its digest does not match this run's plan".into());
    }
    Ok(Some(format!("{}; make and review a new plan", why.join("; "))))
}

fn eprintln_styled(message: &str) {
    let mut err = anstream::stderr();
    let style = crate::diagnostic::Styles::colored().error;
    let _ = writeln!(err, "{style}error{style:#}: {message}");
}

fn read_line(prompt: &str) -> Option<String> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

/// Read a line from the terminal with echo off; the terminal is restored on every path.
fn read_secret(name: &str, help: &str) -> Option<String> {
    use nix::sys::termios::{self, LocalFlags, SetArg};
    let stdin = std::io::stdin();
    let saved = termios::tcgetattr(&stdin).ok();
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
    }
    let value = read_line(&format!(
        "{name} (secret, not shown{}): ",
        if help.is_empty() { String::new() } else { format!("; {help}") }
    ));
    if let Some(saved) = &saved {
        let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, saved);
    }
    let _ = writeln!(std::io::stderr());
    value
}

/// Progress on the terminal, plain lines elsewhere; transcripts rewritten after every step.
struct TerminalUi<'a> {
    plan: &'a Plan,
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
}

impl<'a> TerminalUi<'a> {
    fn new(args: &Args, plan: &'a Plan, resumed: bool, redactor: Redactor) -> TerminalUi<'a> {
        TerminalUi {
            plan,
            total: plan.steps.len(),
            quiet: args.quiet,
            verbose: args.verbose,
            transcript: args.transcript.clone(),
            json: args.json.clone(),
            resumed,
            spinner: None,
            fancy: std::io::stderr().is_terminal() && std::io::stdout().is_terminal(),
            pending: Vec::new(),
            line_start: true,
            started: None,
            error: None,
            redactor,
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

    fn write_transcripts(&mut self, records: &[StepRecord], outcome: &'static str) -> Result<(), crate::Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let info = RunInfo { outcome, resumed: self.resumed };
        if let Some(path) = &self.transcript {
            let text = transcript::markdown(self.plan, &Vec::new(), records, &info);
            super::plan_cmd::write_atomically(path, &self.redactor.redact(&text))?;
        }
        if let Some(path) = &self.json {
            let text = transcript::json(self.plan, records, &info);
            super::plan_cmd::write_atomically(path, &self.redactor.redact(&text))?;
        }
        Ok(())
    }

    fn summary(&self, records: &[StepRecord], outcome: Outcome) {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for r in records {
            match counts.iter_mut().find(|(s, _)| *s == r.status.as_str()) {
                Some((_, n)) => *n += 1,
                None => counts.push((r.status.as_str(), 1)),
            }
        }
        let list: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let mut line = format!("Run {}: {}", outcome_name(outcome), list.join(", "));
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

impl Ui for TerminalUi<'_> {
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

    fn finished(&mut self, n: usize, step: &PlannedStep, record: &StepRecord, records: &[StepRecord]) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
        if !self.line_start {
            self.print("\n");
            self.line_start = true;
        }
        let elapsed = self.started.map(|t| run::human_duration(t.elapsed())).unwrap_or_default();
        let failed = matches!(record.status, run::Status::Failed | run::Status::TimedOut | run::Status::Interrupted);
        if self.quiet && failed && !self.pending.is_empty() {
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            self.print(&text);
        }
        if !self.quiet || failed {
            let mut line = format!("  {} [{n}/{}] {} ({elapsed})", record.status.as_str(), self.total, step.id);
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
            && let Err(e) = self.write_transcripts(records, "running")
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
        let answer = match &self.spinner {
            Some(s) => s.suspend(|| read_line(&format!("{question} [y/N] "))),
            None => read_line(&format!("{question} [y/N] ")),
        };
        answer.is_some_and(|a| matches!(a.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
    }

    fn secret(&mut self, name: &str, help: &str) -> Option<String> {
        match &self.spinner {
            Some(s) => s.suspend(|| read_secret(name, help)),
            None => read_secret(name, help),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse() {
        assert_eq!(parse_timeout("10m").unwrap(), Duration::from_mins(10));
        assert_eq!(parse_timeout("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_timeout("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("ten").is_err());
        assert!(parse_timeout("5y").is_err());
    }
}
