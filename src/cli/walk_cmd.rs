//! `runbook walk`: the terminal (dialoguer) or line-by-line (scripts, tests) prompter, the
//! resume offer, and the wiring of a `walk::Walk` to the same runner, state and transcripts as
//! `runbook run`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::exec::redact::Redactor;
use crate::exec::run::{self, EARLIER, Options, Status as StepStatus};
use crate::exec::state::{self, State};
use crate::params::values::Given;
use crate::plan::Selection;
use crate::steps::Runbook;
use crate::walk::{Answer, Ending, Prompter, Walk};

use super::Status;
use super::run_cmd::{add_earlier_values, fresh_state, interrupt_flag, private_dir, resumed_state, workdir_for};
use super::run_ui::{Settings, TerminalUi};

pub struct Args {
    pub file: PathBuf,
    pub given: Vec<Given>,
    pub from: Option<String>,
    pub dry_run: bool,
    pub exec: super::run_cmd::ExecArgs,
}

pub fn run(args: &Args) -> Result<Status, crate::Error> {
    let usage = crate::Error::Usage;
    let rb = Runbook::from_source(crate::source::SourceFile::read(&args.file)?);
    super::report_problems(&rb);
    let params = crate::params::analyse(&rb);
    let salt = super::plan_cmd::salt(args.exec.salt_file.as_deref())?;
    let terminal = std::io::stdin().is_terminal();
    let interrupt = interrupt_flag();
    let mut prompter: Box<dyn Prompter> = if terminal {
        Box::new(TermPrompter { interrupt: Arc::clone(&interrupt) })
    } else {
        Box::new(LinePrompter::new(Arc::clone(&interrupt)))
    };
    if args.exec.rehearse.is_some() && args.dry_run {
        return Err(usage("--dry-run executes nothing, so there is nothing to rehearse: drop one of the two".into()));
    }
    let mut rehearsal = match super::run_cmd::start_rehearsal(&args.file, &args.exec, &params, &interrupt) {
        Ok(r) => r,
        Err(done) => return done,
    };
    // A rehearsal keeps its state in its sandbox: it always starts from the first step.
    let state_dir = rehearsal.as_ref().map_or_else(|| state::dir_for(&args.file), |r| r.sandbox().join("run-state"));
    let lock = state::lock(&state_dir).map_err(usage)?;
    let dry_file = state_dir.join("walk-dry-run.json");

    // An earlier walk (or run) that stopped: offer to resume it.
    let previous = if args.dry_run {
        std::fs::read_to_string(&dry_file).ok().and_then(|t| serde_json::from_str::<DryRun>(&t).ok()).map(|d| State {
            finished: d.done.into_iter().map(|id| state::FinishedStep { id, ..Default::default() }).collect(),
            ..State::default()
        })
    } else {
        State::load(&state_dir).map_err(usage)?
    };
    let mut resume = None;
    if let Some(prev) = previous.filter(|s| !s.finished.is_empty() && args.from.is_none()) {
        let last = prev.finished.last().map(|f| f.id.clone()).unwrap_or_default();
        prompter.say(&format!(
            "An earlier {} of this runbook stopped after step `{last}` ({} step{} done).",
            if args.dry_run { "dry-run walk" } else { "walk or run" },
            prev.finished.len(),
            if prev.finished.len() == 1 { "" } else { "s" }
        ));
        match prompter.ask("Resume it? [y]es, [n]o: start again", Some("y")) {
            Answer::Text(t) if matches!(t.trim(), "" | "y" | "yes") => resume = Some(prev),
            Answer::Text(_) => {}
            Answer::End => return Ok(Status::Findings),
            Answer::Interrupted => return Ok(Status::Interrupted),
        }
    }
    let mut given = args.given.clone();
    if let Some(prev) = &resume {
        add_earlier_values(&mut given, prev, &params);
    }
    if let Some(r) = &rehearsal {
        super::run_cmd::add_rehearsal_values(&mut given, r, &params);
    }
    let selection =
        Selection { only: Vec::new(), from: args.from.clone(), to: None, every_alternative: rehearsal.is_some() };
    let mut walk = Walk::new(&rb, &params, given, selection, &salt, args.dry_run, &interrupt);
    let plan = walk.plan().map_err(crate::Error::BadSelection)?;
    let state = match resume {
        Some(prev) if args.dry_run => {
            let mut s = fresh_state(&rb, &args.file);
            s.finished = prev.finished;
            s
        }
        Some(prev) => match resumed_state(&rb, &plan, prev, &args.file) {
            Ok((s, note)) => {
                if let Some(n) = note {
                    prompter.say(&n);
                }
                s
            }
            Err(message) => {
                prompter.say(&format!("{message}: starting again from the first step"));
                fresh_state(&rb, &args.file)
            }
        },
        None => fresh_state(&rb, &args.file),
    };
    let mut state = state;
    state.workdir =
        workdir_for(rehearsal.as_ref().map(|r| r.workdir.as_path()).or(args.exec.workdir.as_deref()), &state)?;
    let start = plan.steps.iter().position(|s| !state.is_finished(&s.id)).unwrap_or(plan.steps.len());
    let finished_before: Vec<(usize, StepStatus)> = (0..start)
        .filter_map(|i| {
            let done = state.finished.iter().find(|f| f.id == plan.steps[i].id)?;
            Some((i, if args.dry_run { StepStatus::Planned } else { StepStatus::from_state(&done.status) }))
        })
        .collect();

    let (bindings, _, findings) = crate::params::bind(&params, &walk.given);
    super::run_cmd::check_values(
        &params,
        &bindings,
        &findings,
        args.exec.transcript.as_ref(),
        args.exec.json.as_ref(),
    )?;
    let private = private_dir()?;
    // The walk asks about each step itself and goes on after a failure the user skips.
    let opts = Options {
        keep_going: true,
        ..super::run_cmd::exec_options(&args.exec, rehearsal.as_ref(), &state.workdir, private.path(), &plan, terminal)?
    };
    let redactor = Redactor::new();
    let total = plan.steps.len();
    // A dry run keeps its place in its own file: its steps were never run.
    let state_for_runner = if args.dry_run { fresh_state(&rb, &args.file) } else { state.clone() };
    let mut runner = run::Runner::new(
        &rb,
        &params,
        &bindings,
        plan,
        &opts,
        &interrupt,
        redactor.clone(),
        state_for_runner,
        (!args.dry_run).then(|| state_dir.clone()),
    );
    let settings = Settings {
        quiet: false,
        verbose: false,
        transcript: args.exec.transcript.clone(),
        json: args.exec.json.clone(),
    };
    let mut ui = TerminalUi::new(&settings, total, start > 0, redactor, Arc::clone(&interrupt));
    if let Some(r) = &rehearsal {
        ui.rehearsal = Some(super::run_cmd::rehearsal_info(r, Vec::new()));
        prompter.say(&format!(
            "This is a rehearsal: every step runs against the local stand-ins of {}, not the real platform.",
            r.profile.path.display()
        ));
    }
    for (i, status) in finished_before {
        runner.remember(i, status, EARLIER);
    }
    prompter.say(&walk.overview(runner.plan(), &runner));
    if start > 0 {
        prompter.say(&format!("Resuming at step {}/{total}.", start + 1));
    }
    if !args.dry_run {
        runner.reobtain_secret_captures(&mut ui);
    }
    let ending = walk.run(start, &mut runner, prompter.as_mut(), &mut ui);
    runner.finish();
    let records = runner.records().to_vec();
    if let Some(r) = rehearsal.as_mut() {
        let reports = r.finish();
        ui.rehearsal = Some(super::run_cmd::rehearsal_info(r, reports));
    }
    let outcome = match ending {
        Ending::Finished => "ok",
        Ending::Stopped => "stopped",
        Ending::Interrupted => "interrupted",
    };
    ui.write_transcripts(runner.plan(), &records, outcome)?;
    // Where to pick up next time.
    let done: Vec<String> = records
        .iter()
        .filter(|r| r.status.is_done() || r.status == StepStatus::Planned)
        .map(|r| r.id.clone())
        .collect();
    if args.dry_run {
        if ending == Ending::Finished {
            let _ = std::fs::remove_file(&dry_file);
        } else {
            let text = serde_json::to_string_pretty(&DryRun { done }).unwrap_or_default();
            super::plan_cmd::write_atomically(&dry_file, &text)?;
        }
    } else if ending == Ending::Finished {
        let _ = std::fs::remove_file(State::path(&state_dir));
    }
    let mut summary = String::new();
    let counts = {
        let mut c: Vec<(&str, usize)> = Vec::new();
        for r in &records {
            match c.iter_mut().find(|(s, _)| *s == r.status.as_str()) {
                Some((_, n)) => *n += 1,
                None => c.push((r.status.as_str(), 1)),
            }
        }
        c.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", ")
    };
    let _ = match ending {
        Ending::Finished => writeln!(summary, "Walk finished: {counts}"),
        _ if rehearsal.is_some() => writeln!(
            summary,
            "Walk stopped: {counts}\nA rehearsal keeps no state: `runbook walk {} --rehearse` starts it again from the first step.",
            args.file.display()
        ),
        _ => writeln!(
            summary,
            "Walk stopped: {counts}\nThe state is saved: run `runbook walk {}{}` again to resume.",
            args.file.display(),
            if args.dry_run { " --dry-run" } else { "" }
        ),
    };
    if let Some(path) = &args.exec.transcript {
        let _ = writeln!(summary, "Transcript: {}", path.display());
    }
    prompter.say(summary.trim_end());
    drop(private);
    drop(lock);
    Ok(match ending {
        Ending::Finished => Status::Success,
        Ending::Stopped => Status::Findings,
        Ending::Interrupted => Status::Interrupted,
    })
}

fn say(text: &str) {
    let mut out = anstream::stdout();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// `prompt [default]`, as both prompters show a default.
fn with_default(prompt: &str, default: Option<&str>) -> String {
    match default {
        Some(d) if !d.is_empty() => format!("{prompt} [{d}]"),
        _ => prompt.to_string(),
    }
}

impl From<super::input::Line> for Answer {
    fn from(line: super::input::Line) -> Answer {
        match line {
            super::input::Line::Text(t) => Answer::Text(t),
            super::input::Line::End => Answer::End,
            super::input::Line::Interrupted => Answer::Interrupted,
        }
    }
}

/// Where a dry-run walk stopped.
#[derive(serde::Serialize, serde::Deserialize)]
struct DryRun {
    done: Vec<String>,
}

/// Questions on a terminal, through dialoguer; Ctrl-C at a prompt stops the walk and the cursor
/// is shown again.
struct TermPrompter {
    interrupt: Arc<AtomicBool>,
}

impl TermPrompter {
    fn answer(&self, result: Result<String, dialoguer::Error>) -> Answer {
        let term = dialoguer::console::Term::stderr();
        match result {
            Ok(_) if self.interrupt.load(Ordering::SeqCst) => {
                let _ = term.show_cursor();
                Answer::Interrupted
            }
            Ok(text) => Answer::Text(text),
            Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
                let _ = term.show_cursor();
                Answer::Interrupted
            }
            Err(_) => {
                let _ = term.show_cursor();
                Answer::End
            }
        }
    }
}

impl Prompter for TermPrompter {
    fn say(&mut self, text: &str) {
        say(text);
    }

    fn ask(&mut self, prompt: &str, default: Option<&str>) -> Answer {
        let prompt = with_default(prompt, default);
        let result = dialoguer::Input::<String>::new()
            .with_prompt(prompt)
            .allow_empty(true)
            .interact_text_on(&dialoguer::console::Term::stderr());
        self.answer(result)
    }

    fn secret(&mut self, prompt: &str) -> Answer {
        // Not dialoguer's password prompt: its read waits for Enter after Ctrl-C.
        super::input::ask_secret(&format!("{prompt} (not shown): "), &self.interrupt).into()
    }
}

/// Answers read line by line from a standard input that is not a terminal (scripts, tests):
/// the question is printed with the answer after it (secrets as `[secret]`), end of input
/// ends the walk, and Ctrl-C is noticed while waiting.
struct LinePrompter {
    interrupt: Arc<AtomicBool>,
}

impl LinePrompter {
    fn new(interrupt: Arc<AtomicBool>) -> LinePrompter {
        LinePrompter { interrupt }
    }

    fn read(&mut self, prompt: &str, secret: bool) -> Answer {
        let mut out = anstream::stdout();
        let _ = write!(out, "{prompt}: ");
        let _ = out.flush();
        match super::input::next_line(&self.interrupt) {
            super::input::Line::Text(line) => {
                let _ = writeln!(out, "{}", if secret { "[secret]" } else { line.as_str() });
                Answer::Text(line)
            }
            super::input::Line::End => {
                let _ = writeln!(out, "(end of input)");
                Answer::End
            }
            super::input::Line::Interrupted => {
                let _ = writeln!(out);
                Answer::Interrupted
            }
        }
    }
}

impl Prompter for LinePrompter {
    fn say(&mut self, text: &str) {
        say(text);
    }

    fn ask(&mut self, prompt: &str, default: Option<&str>) -> Answer {
        let prompt = with_default(prompt, default);
        self.read(&prompt, false)
    }

    fn secret(&mut self, prompt: &str) -> Answer {
        self.read(&format!("{prompt} (secret)"), true)
    }
}
