//! `runbook run`: resolve values, build and check the plan, take the state lock, run the steps
//! through `exec::run`, show progress, write transcripts after every step.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::exec::redact::Redactor;
use crate::exec::run::{self, Options, Outcome, Ui};
use crate::exec::state::{self, State};
use crate::params::values::{Given, Origin};
use crate::plan::{self, Plan, Selection, output};
use crate::steps::{BlockKind, Runbook};

use super::Status;

pub struct Args {
    pub file: PathBuf,
    pub given: Vec<Given>,
    pub selection: Selection,
    pub yes: bool,
    pub keep_going: bool,
    pub resume: bool,
    pub plan: Option<PathBuf>,
    pub no_clobber: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub exec: ExecArgs,
}

/// How steps are executed and recorded: the options `run` and `walk` share.
#[derive(Debug, Clone, clap::Args)]
pub struct ExecArgs {
    /// Time limit per step (`90s`, `10m`, `1h`); the step's whole process group is killed after it.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Where commands run and files are written (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// The Python interpreter for Python steps [default: python3; in a rehearsal, the profile's
    /// `requires.python` first].
    #[arg(long, value_name = "PROGRAM")]
    pub python: Option<String>,
    /// Write the Markdown transcript here (rewritten after every step).
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Write the JSON transcript here (rewritten after every step).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Key for the secret HMACs in the digest (default: `.runbook/salt`).
    #[arg(long, value_name = "FILE")]
    pub salt_file: Option<PathBuf>,
    /// Rehearse against the local stand-ins of a profile (default: NAME.rehearsal.toml beside NAME.md).
    #[arg(long, value_name = "PROFILE", num_args = 0..=1, require_equals = true)]
    #[allow(clippy::option_option)] // clap's form of a flag with an optional value
    pub rehearse: Option<Option<PathBuf>>,
}

impl ExecArgs {
    /// `--python`, or `python3`.
    pub fn python_program(&self) -> String {
        self.python.clone().unwrap_or_else(|| "python3".into())
    }
}

/// The execution options `run` and `walk` share, for a run that asks nothing and stops at the
/// first failure (each command sets its own); in a rehearsal, its Python, environment and control
/// directory, with the runbook's samples written for its shims.
pub(super) fn exec_options(
    exec: &ExecArgs,
    rehearsal: Option<&crate::rehearse::Rehearsal>,
    workdir: &Path,
    private: &Path,
    plan: &Plan,
    terminal: bool,
) -> Result<Options, crate::Error> {
    if let Some(r) = rehearsal {
        r.write_samples(plan)
            .map_err(|e| crate::Error::CannotWrite { path: r.control.clone(), message: e.to_string() })?;
    }
    Ok(Options {
        workdir: workdir.to_path_buf(),
        private: private.to_path_buf(),
        timeout: exec.timeout,
        python: rehearsal.map_or_else(|| exec.python_program(), |r| r.python.clone()),
        keep_going: false,
        yes: false,
        no_clobber: false,
        terminal,
        confirm_changes: false,
        output_limit: 64 * 1024,
        base_env: rehearsal.map_or_else(base_env, |r| r.env.clone()),
        summary: output::summary_line(plan),
        rehearsal: rehearsal.map(|r| r.control.clone()),
    })
}

/// Start the rehearsal `--rehearse` asks for (none without it). Ctrl-C while its services
/// start ends with `Interrupted`.
pub(super) fn start_rehearsal(
    file: &Path,
    exec: &ExecArgs,
    params: &crate::params::Params,
    interrupt: &AtomicBool,
) -> Result<Option<crate::rehearse::Rehearsal>, Result<Status, crate::Error>> {
    let Some(profile) = &exec.rehearse else { return Ok(None) };
    let secret_vars =
        params.placeholders.iter().filter(|p| p.secret).flat_map(|p| p.exported_as.iter().cloned()).collect();
    let request = crate::rehearse::Request {
        runbook: file,
        profile: profile.as_deref(),
        python: exec.python.as_deref(),
        workdir: exec.workdir.as_deref(),
        base_env: base_env(),
        secret_vars,
    };
    match crate::rehearse::Rehearsal::start(&request, interrupt) {
        Ok(r) => Ok(Some(r)),
        Err(crate::rehearse::Error::Interrupted) => Err(Ok(Status::Interrupted)),
        Err(crate::rehearse::Error::Unusable(e)) => Err(Err(e)),
    }
}

/// The values of a rehearsal: its services' values win (they hold the stand-ins' real
/// credentials), the profile's fake values fill in what the user did not give. Values this
/// runbook has no use for are left out (a profile serves several runbooks).
pub(super) fn add_rehearsal_values(
    given: &mut Vec<Given>,
    rehearsal: &crate::rehearse::Rehearsal,
    params: &crate::params::Params,
) {
    let canonical = |n: &str| crate::params::canonical(n);
    let known = |n: &str| {
        let n = canonical(n);
        params.get(&n).is_some() || params.choices.iter().any(|c| canonical(&c.name) == n)
    };
    for v in rehearsal.values.iter().filter(|v| known(&v.name)) {
        let from_service = matches!(v.origin, Origin::Rehearsal(_));
        match given.iter().position(|g| canonical(&g.name) == canonical(&v.name)) {
            Some(i) if from_service => given[i] = v.clone(),
            Some(_) => {}
            None => given.push(v.clone()),
        }
    }
}

/// The transcript's account of a rehearsal (reports once the services stopped).
pub(super) fn rehearsal_info(
    rehearsal: &crate::rehearse::Rehearsal,
    reports: Vec<crate::rehearse::ServiceReport>,
) -> crate::transcript::RehearsalInfo {
    crate::transcript::RehearsalInfo {
        profile: rehearsal.profile.path.display().to_string(),
        services: reports
            .into_iter()
            .map(|r| crate::transcript::ServiceInfo { name: r.name, report: r.report })
            .collect(),
    }
}

/// The longest `--timeout` (a week).
const MAX_TIMEOUT_SECS: f64 = 7.0 * 24.0 * 3600.0;

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
    if secs > MAX_TIMEOUT_SECS {
        return Err(format!("`{text}`: the timeout can be at most a week (168h)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub fn run(args: &Args) -> Result<Status, crate::Error> {
    let usage = crate::Error::Usage;
    // First of all, so that Ctrl-C at any question ends the run cleanly.
    let interrupt = interrupt_flag();
    let rb = Runbook::from_source(crate::source::SourceFile::read(&args.file)?);
    super::report_problems(&rb);
    let terminal = std::io::stdin().is_terminal();
    let params = crate::params::analyse(&rb);
    let salt = super::plan_cmd::salt(args.exec.salt_file.as_deref())?;
    if args.exec.rehearse.is_some() && args.resume {
        return Err(usage(
            "a rehearsal cannot resume: its stand-ins start empty every time, so it runs from the first step".into(),
        ));
    }
    let mut rehearsal = match start_rehearsal(&args.file, &args.exec, &params, &interrupt) {
        Ok(r) => r,
        Err(done) => return done,
    };

    // The state: locked for the whole run (a rehearsal keeps its own in its sandbox).
    let state_dir = rehearsal.as_ref().map_or_else(|| state::dir_for(&args.file), |r| r.sandbox().join("run-state"));
    let lock = state::lock(&state_dir).map_err(usage)?;
    let previous = if args.resume {
        Some(State::load(&state_dir).map_err(usage)?.ok_or_else(|| {
            usage(format!("nothing to resume: no earlier run of {} from this directory", args.file.display()))
        })?)
    } else {
        None
    };

    let mut given = args.given.clone();
    if let Some(prev) = &previous {
        add_earlier_values(&mut given, prev, &params);
    }
    if let Some(r) = &rehearsal {
        add_rehearsal_values(&mut given, r, &params);
    }
    let mut selection = args.selection.clone();
    // A rehearsal exercises every documented form, also the alternatives no choice decides.
    selection.every_alternative = rehearsal.is_some();
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
                let answer = if secret {
                    let hint = if help.is_empty() { String::new() } else { format!("; {help}") };
                    super::input::ask_secret(&format!("{} (secret, not shown{hint}): ", m.name), &interrupt)
                } else {
                    super::input::ask(&format!("{} ({help}): ", m.name), &interrupt)
                };
                let v = match answer {
                    super::input::Line::Text(v) => v,
                    super::input::Line::Interrupted => return Ok(Status::Interrupted),
                    super::input::Line::End => return Err(usage(format!("no value for `{}`", m.name))),
                };
                match p.map(|p| p.kind.validate(&v)) {
                    Some(Err(e)) => eprintln_styled(&format!("invalid value for `{}`: {e}", m.name)),
                    _ => break v,
                }
            };
            given.push(Given { name: m.name.clone(), value, origin: Origin::Prompt });
        }
        plan = build(&given)?;
    }
    let (bindings, _, findings) = crate::params::bind(&params, &given);
    check_values(&params, &bindings, &findings, args.exec.transcript.as_ref(), args.exec.json.as_ref())?;

    // Bound to a reviewed plan.
    if let Some(path) = &args.plan
        && let Some(why) = super::stale::stale_plan(path, &plan)?
    {
        eprintln_styled(&format!("the plan {} is stale: {why}", path.display()));
        return Ok(Status::Findings);
    }

    // Resume: every step finished before must be unchanged.
    let state = match previous {
        Some(prev) => match resumed_state(&rb, &plan, prev, &args.file) {
            Ok((state, note)) => {
                notes.extend(note);
                state
            }
            Err(message) => {
                eprintln_styled(&format!("{message}; run again without --resume"));
                return Ok(Status::Findings);
            }
        },
        None => fresh_state(&rb, &args.file),
    };
    let mut state = state;
    state.workdir =
        workdir_for(rehearsal.as_ref().map(|r| r.workdir.as_path()).or(args.exec.workdir.as_deref()), &state)?;

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

    let private = private_dir()?;
    let opts = Options {
        keep_going: args.keep_going,
        yes: args.yes,
        no_clobber: args.no_clobber,
        confirm_changes,
        ..exec_options(&args.exec, rehearsal.as_ref(), &state.workdir, private.path(), &plan, terminal)?
    };
    let resumed = !state.finished.is_empty();
    let redactor = Redactor::new();
    let mut runner = run::Runner::new(
        &rb,
        &params,
        &bindings,
        plan.clone(),
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
    let settings = super::run_ui::Settings {
        quiet: args.quiet,
        verbose: args.verbose,
        transcript: args.exec.transcript.clone(),
        json: args.exec.json.clone(),
    };
    let mut ui = super::run_ui::TerminalUi::new(&settings, plan.steps.len(), resumed, redactor, Arc::clone(&interrupt));
    if let Some(r) = &rehearsal {
        ui.rehearsal = Some(rehearsal_info(r, Vec::new()));
        notes.insert(0, format!("rehearsal against the local stand-ins of {}", r.profile.path.display()));
    }
    for n in &notes {
        ui.note(n);
    }
    let outcome = runner.run(&mut ui);
    let records = runner.records().to_vec();
    if let Some(r) = rehearsal.as_mut() {
        let reports = r.finish();
        ui.rehearsal = Some(rehearsal_info(r, reports));
    }
    ui.write_transcripts(runner.plan(), &records, outcome_name(outcome))?;
    ui.summary(&records, outcome);
    drop(private);
    drop(lock);
    Ok(match outcome {
        Outcome::Ok => Status::Success,
        Outcome::Failed => Status::Findings,
        Outcome::Interrupted => Status::Interrupted,
    })
}

/// Refuse invalid values before anything runs (exit 2), warn about names nothing uses and
/// secrets too short to be masked, and make sure the transcripts can be written.
pub(super) fn check_values(
    params: &crate::params::Params,
    bindings: &[crate::params::Binding],
    findings: &[crate::params::Finding],
    transcript: Option<&PathBuf>,
    json: Option<&PathBuf>,
) -> Result<(), crate::Error> {
    use crate::params::FindingKind;
    let invalid: Vec<&str> =
        findings.iter().filter(|f| f.kind == FindingKind::InvalidValue).map(|f| f.message.as_str()).collect();
    if !invalid.is_empty() {
        return Err(crate::Error::Usage(invalid.join("; ")));
    }
    for f in findings.iter().filter(|f| f.kind == FindingKind::UnknownValueName) {
        super::warn(&f.message);
    }
    for (p, b) in params.placeholders.iter().zip(bindings) {
        if p.secret && b.value.as_ref().is_some_and(|v| v.trim().len() < 4) {
            super::warn(&format!(
                "the secret `{}` is shorter than 4 characters: it cannot be masked in output",
                p.name
            ));
        }
    }
    for path in [transcript, json].into_iter().flatten() {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(crate::Error::CannotWrite {
                path: path.clone(),
                message: format!("the directory {} does not exist", dir.display()),
            });
        }
    }
    Ok(())
}

/// Non-secret values given in an earlier run, unless given again. Captured values go to the
/// runner only (it reads them from the state): the plan shows them as captures, as it did when
/// the steps first ran, so a resumed plan matches the finished steps.
pub(super) fn add_earlier_values(given: &mut Vec<Given>, prev: &State, params: &crate::params::Params) {
    for (name, value) in &prev.values {
        let captured = params.get(name).is_some_and(|p| p.source != crate::params::Source::User);
        if !captured && !given.iter().any(|g| crate::params::canonical(&g.name) == *name) {
            given.push(Given {
                name: name.clone(),
                value: value.clone(),
                origin: Origin::Capture("earlier run".into()),
            });
        }
    }
}

/// Where steps run: `--workdir`, else where the earlier run worked, else the current directory.
pub(super) fn workdir_for(arg: Option<&Path>, state: &State) -> Result<PathBuf, crate::Error> {
    let workdir = match (arg, state.workdir.as_os_str().is_empty()) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, false) => state.workdir.clone(),
        (None, true) => std::env::current_dir().map_err(|e| crate::Error::io(Path::new("."), &e))?,
    };
    if !workdir.is_dir() {
        return Err(crate::Error::Usage(format!("the working directory {} does not exist", workdir.display())));
    }
    Ok(std::path::absolute(&workdir).unwrap_or(workdir))
}

/// A state for a run from the first step.
pub(super) fn fresh_state(rb: &Runbook, file: &Path) -> State {
    State {
        format_version: state::FORMAT_VERSION,
        runbook: file.display().to_string(),
        sha256: rb.source.sha256(),
        ..State::default()
    }
}

/// The state to continue from: refused, naming the step, when a step finished earlier has
/// changed or is gone; a resume inside a Python section goes back to its first Python step.
pub(super) fn resumed_state(
    rb: &Runbook,
    plan: &Plan,
    prev: State,
    file: &Path,
) -> Result<(State, Option<String>), String> {
    for done in &prev.finished {
        match plan.steps.iter().find(|s| s.id == done.id) {
            Some(s) if state::planned_hash(s) == done.planned => {}
            Some(s) => {
                return Err(format!(
                    "cannot resume: step `{}` ({}:{}) has changed since it ran",
                    s.id,
                    file.display(),
                    s.line
                ));
            }
            None if rb.step(&done.id).is_none() => {
                return Err(format!(
                    "cannot resume: step `{}` finished in the earlier run is no longer in the runbook",
                    done.id
                ));
            }
            None => {}
        }
    }
    let mut state = fresh_state(rb, file);
    state.finished = prev.finished;
    state.secret_captures = prev.secret_captures;
    state.workdir = prev.workdir;
    let mut note = None;
    if let Some(next) = plan.steps.iter().find(|s| !state.is_finished(&s.id))
        && let Some(restart) = python_restart(rb, &next.id)
    {
        let from = plan.steps.iter().position(|s| s.id == restart).unwrap_or(0);
        // The section's steps from there on run again; later sections keep their state.
        let namespace = rb.step(&restart).map(|s| rb.namespace(&s.section)).unwrap_or_default();
        let again: Vec<String> = plan.steps[from..]
            .iter()
            .take_while(|s| rb.step(&s.id).is_some_and(|st| rb.namespace(&st.section) == namespace))
            .map(|s| s.id.clone())
            .collect();
        state.finished.retain(|f| !again.contains(&f.id));
        note = Some(format!(
            "resuming inside a Python section: its steps run again from its first Python step `{restart}`"
        ));
    }
    Ok((state, note))
}

/// The environment children start from: ours, without `RUNBOOK_*` and our own variables.
pub(super) fn base_env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    std::env::vars_os()
        .filter(|(k, _)| {
            let k = k.to_string_lossy();
            !k.starts_with("RUNBOOK_") && !k.starts_with("RB_SECRET_") && k != "RB_FAILED_LINE_FILE"
        })
        .collect()
}

/// The run's private directory (0700, removed when dropped).
pub(super) fn private_dir() -> Result<tempfile::TempDir, crate::Error> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix("runbook-run-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| crate::Error::CannotWrite { path: std::env::temp_dir(), message: e.to_string() })
}

/// Ctrl-C, SIGTERM, a closed terminal (SIGHUP) and SIGQUIT set the flag: the running step is
/// stopped, the transcript written, a rehearsal's services stopped and its sandbox removed.
pub(super) fn interrupt_flag() -> Arc<AtomicBool> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let interrupt = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&interrupt));
    }
    interrupt
}

pub(super) fn outcome_name(o: Outcome) -> &'static str {
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

pub(super) fn eprintln_styled(message: &str) {
    let mut err = anstream::stderr();
    let style = crate::diagnostic::Styles::colored().error;
    let _ = writeln!(err, "{style}error{style:#}: {message}");
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
        assert!(parse_timeout("99999999999999999999999h").is_err());
        assert!(parse_timeout("10000000000000000000").is_err());
        assert_eq!(parse_timeout("168h").unwrap(), Duration::from_hours(168));
    }
}
