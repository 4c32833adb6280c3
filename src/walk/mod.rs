//! The guided walk-through (`runbook walk`): an overview, then each step in turn with what it
//! will do, values and choices asked for when a step first needs them, and the user's choice of
//! run, skip, edit a value, show the source, back or quit.
//!
//! Owns the conversation, not the terminal: every question and message goes through a
//! [`Prompter`] (the CLI gives a terminal one and a line-by-line one for scripts), and every
//! step runs through the same [`Runner`] as `runbook run`, so output is redacted and the state
//! is the one `run --resume` reads. Never prints and never spawns processes itself.
//!
//! Answers, in order (what a script feeds on standard input, one per line; an empty line takes
//! the default shown in brackets):
//!
//! 1. when a saved walk exists: resume it? (`y`/`n`, default `y`);
//! 2. for each step, in order: each choice its condition needs that was not given (one of its
//!    values), then each value it needs that was not given (validated; asked again when invalid);
//! 3. the step's action: `r` run (default), `s` skip, `e` edit a value, `v` list values, `o` show
//!    the Markdown source, `b` back, `q` quit; a manual step takes `d` done (default) instead of
//!    `r`, and a dry run `n` next (default) instead of both;
//!    after `e`: the value's name (default: the step's first), then the new value;
//! 4. after a failed step: `r` retry, `s` skip, `e` edit a value and retry, `q` quit (default).
//!
//! End of input stops the walk as `q` does: the state is saved and `walk` offers to resume.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::exec::run::{Runner, Status, Ui};
use crate::params::values::{Given, Origin};
use crate::params::{Params, Source};
use crate::plan::{self, Plan, Selection};
use crate::steps::Runbook;

/// The width the guide's words are wrapped to (an 80-column terminal).
const WIDTH: usize = 80;

/// The guide's words (`   > …` lines) wrapped to `width` columns, word by word.
fn wrap_quotes(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let Some(words) = line.strip_prefix("   > ").filter(|_| line.chars().count() > width) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let mut current = String::from("   >");
        for word in words.split_whitespace() {
            if current.chars().count() + 1 + word.chars().count() > width && current != "   >" {
                out.push_str(&current);
                out.push('\n');
                current = String::from("   >");
            }
            current.push(' ');
            current.push_str(word);
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}

/// What a question got back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Text(String),
    /// Standard input ended.
    End,
    /// Ctrl-C.
    Interrupted,
}

/// The other side of the conversation.
pub trait Prompter {
    /// Show a message.
    fn say(&mut self, text: &str);
    /// Ask for a line (`default` is shown; an empty answer is returned as is).
    fn ask(&mut self, prompt: &str, default: Option<&str>) -> Answer;
    /// Ask for a secret, without echo on a terminal.
    fn secret(&mut self, prompt: &str) -> Answer;
}

/// How a walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Finished,
    /// The user quit, or input ended: the state is saved.
    Stopped,
    Interrupted,
}

/// A walk over one runbook.
pub struct Walk<'a> {
    pub rb: &'a Runbook,
    pub params: &'a Params,
    pub given: Vec<Given>,
    pub selection: Selection,
    pub salt: &'a [u8],
    pub dry_run: bool,
    pub interrupt: &'a AtomicBool,
    /// Choices asked for already (or given).
    asked: HashSet<String>,
}

enum Step {
    Next,
    Back,
    Stop(Ending),
}

impl<'a> Walk<'a> {
    pub fn new(
        rb: &'a Runbook,
        params: &'a Params,
        given: Vec<Given>,
        selection: Selection,
        salt: &'a [u8],
        dry_run: bool,
        interrupt: &'a AtomicBool,
    ) -> Walk<'a> {
        let asked = given.iter().map(|g| crate::params::canonical(&g.name)).collect();
        Walk { rb, params, given, selection, salt, dry_run, interrupt, asked }
    }

    /// The plan for the values known now.
    pub fn plan(&self) -> Result<Plan, String> {
        let (bindings, choices, _) = crate::params::bind(self.params, &self.given);
        plan::build(self.rb, self.params, &bindings, &choices, &self.selection, self.salt)
    }

    /// The overview shown first: sections, counts, what is manual or changes things, values.
    pub fn overview(&self, plan: &Plan, runner: &Runner<'_>) -> String {
        let mut out = format!(
            "Walk-through of {}: {} steps{}\n\n",
            plan.path,
            plan.steps.len(),
            if self.dry_run { " (dry run: nothing is executed)" } else { "" }
        );
        let mut section: Option<&str> = None;
        for step in &plan.steps {
            if section != Some(step.section_title.as_str()) {
                section = Some(step.section_title.as_str());
                let in_section: Vec<_> = plan.steps.iter().filter(|s| s.section_title == step.section_title).collect();
                let count = |e: &str| in_section.iter().filter(|s| s.effect.as_str() == e).count();
                let _ = writeln!(
                    out,
                    "  {} — {} step{} ({} manual, {} change)",
                    if step.section_title.is_empty() { "(before any heading)" } else { &step.section_title },
                    in_section.len(),
                    if in_section.len() == 1 { "" } else { "s" },
                    count("manual"),
                    count("change"),
                );
            }
        }
        out.push('\n');
        let _ = writeln!(out, "{}", plan::output::summary_line(plan));
        let mut given = Vec::new();
        let mut needed = Vec::new();
        let mut captured = Vec::new();
        let mut later = Vec::new();
        for p in &self.params.placeholders {
            if p.uses.is_empty() {
                continue;
            }
            let name = if p.secret { format!("{} (secret)", p.name) } else { p.name.clone() };
            match &p.source {
                Source::Capture { .. } | Source::OutputOf { .. } => captured.push(name),
                Source::FileOf { .. } => {}
                Source::User if runner.has_value(&p.name) => given.push(name),
                Source::User if self.dry_run && p.secret => later.push(name),
                Source::User => needed.push(name),
            }
        }
        for (label, names) in [
            ("Values given", &given),
            ("Values to ask for", &needed),
            ("Secrets a real walk asks for (not in a dry run)", &later),
            ("Values captured while running", &captured),
        ] {
            if !names.is_empty() {
                let _ = writeln!(out, "{label}: {}", names.join(", "));
            }
        }
        out
    }

    /// Walk from step `start` (an index into the plan) to the end.
    pub fn run(&mut self, start: usize, runner: &mut Runner<'_>, p: &mut dyn Prompter, ui: &mut dyn Ui) -> Ending {
        let mut i = start;
        let mut history: Vec<usize> = Vec::new();
        while i < runner.plan().steps.len() {
            if self.interrupt.load(Ordering::SeqCst) {
                return Ending::Interrupted;
            }
            match self.visit(i, runner, p, ui) {
                Step::Next => {
                    history.push(i);
                    i += 1;
                }
                Step::Back => match history.pop() {
                    Some(prev) => i = prev,
                    None => p.say("This is the first step of the walk."),
                },
                Step::Stop(ending) => return ending,
            }
        }
        Ending::Finished
    }

    fn visit(&mut self, i: usize, runner: &mut Runner<'_>, p: &mut dyn Prompter, ui: &mut dyn Ui) -> Step {
        if let Err(e) = self.ask_choices(i, runner, p) {
            return Step::Stop(e);
        }
        let ps = runner.plan().steps[i].clone();
        let total = runner.plan().steps.len();
        if let Some(reason) = &ps.skipped {
            p.say(&format!("Step {}/{total} `{}` is skipped: {reason}.", i + 1, ps.id));
            runner.mark(i, Status::Skipped, Some(reason.clone()), ui);
            return Step::Next;
        }
        if let Err(e) = self.ask_values(i, runner, p) {
            return Step::Stop(e);
        }
        loop {
            let ps = runner.plan().steps[i].clone();
            let section = if ps.section_title.is_empty() { String::new() } else { format!(" · {}", ps.section_title) };
            let shown = wrap_quotes(&plan::output::step_human(i + 1, &ps, &runner.plan().path), WIDTH);
            p.say(&format!("\n── Step {}/{total}{section}\n{shown}", i + 1));
            let manual = ps.effect == plan::effects::Effect::Manual;
            let (go, menu) = match (self.dry_run, manual) {
                (true, _) => ("n", "[n]ext, [s]kip, [e]dit a value, [v]alues, s[o]urce, [b]ack, [q]uit"),
                (false, true) => ("d", "[d]one, [s]kip, [e]dit a value, [v]alues, s[o]urce, [b]ack, [q]uit"),
                (false, false) => ("r", "[r]un, [s]kip, [e]dit a value, [v]alues, s[o]urce, [b]ack, [q]uit"),
            };
            let answer = match p.ask(menu, Some(go)) {
                Answer::Text(t) => t.trim().to_ascii_lowercase(),
                Answer::End => return Step::Stop(Ending::Stopped),
                Answer::Interrupted => return Step::Stop(Ending::Interrupted),
            };
            let answer = if answer.is_empty() { go.to_string() } else { answer };
            match answer.as_str() {
                "n" | "next" if self.dry_run => {
                    runner.mark(i, Status::Planned, None, ui);
                    return Step::Next;
                }
                "d" | "done" if manual && !self.dry_run => {
                    runner.mark(i, Status::Acknowledged, None, ui);
                    return Step::Next;
                }
                "r" | "run" if !manual && !self.dry_run => {
                    if let Some(step) = self.execute(i, runner, p, ui) {
                        return step;
                    }
                }
                "s" | "skip" => {
                    runner.mark(i, Status::Skipped, Some("skipped during the walk".into()), ui);
                    return Step::Next;
                }
                "e" | "edit" => {
                    if let Err(e) = self.edit(i, runner, p) {
                        return Step::Stop(e);
                    }
                }
                "v" | "values" => p.say(&Self::values_text(runner)),
                "o" | "source" => p.say(&self.source_text(&ps.id)),
                "b" | "back" => return Step::Back,
                "q" | "quit" => return Step::Stop(Ending::Stopped),
                other => p.say(&format!("`{other}` is not one of: {menu}")),
            }
        }
    }

    /// Run the step; on failure offer retry, skip, edit and retry, or quit. `None` shows the
    /// step again (after an edit).
    fn execute(&mut self, i: usize, runner: &mut Runner<'_>, p: &mut dyn Prompter, ui: &mut dyn Ui) -> Option<Step> {
        loop {
            let record = runner.execute(i, ui);
            match record.status {
                s if s.is_done() => return Some(Step::Next),
                Status::Interrupted => return Some(Step::Stop(Ending::Interrupted)),
                _ => {}
            }
            let answer = match p.ask("The step failed: [r]etry, [s]kip, [e]dit a value and retry, [q]uit", Some("q")) {
                Answer::Text(t) => t.trim().to_ascii_lowercase(),
                Answer::End => return Some(Step::Stop(Ending::Stopped)),
                Answer::Interrupted => return Some(Step::Stop(Ending::Interrupted)),
            };
            match if answer.is_empty() { "q" } else { answer.as_str() } {
                "r" | "retry" => {}
                "s" | "skip" => {
                    runner.mark(i, Status::Skipped, Some("skipped after it failed".into()), ui);
                    return Some(Step::Next);
                }
                "e" | "edit" => {
                    if let Err(e) = self.edit(i, runner, p) {
                        return Some(Step::Stop(e));
                    }
                }
                "q" | "quit" => return Some(Step::Stop(Ending::Stopped)),
                other => p.say(&format!("`{other}` is not one of r, s, e, q")),
            }
        }
    }

    /// Choices the step's condition depends on that nobody gave yet.
    fn ask_choices(&mut self, i: usize, runner: &mut Runner<'_>, p: &mut dyn Prompter) -> Result<(), Ending> {
        let id = runner.plan().steps[i].id.clone();
        let Some(step) = self.rb.step(&id) else { return Ok(()) };
        let Some(when) = step.condition.as_ref().and_then(|c| c.when.clone()) else { return Ok(()) };
        let name = crate::params::canonical(when.trim_start_matches('!').split('=').next().unwrap_or(""));
        if self.asked.contains(&name) {
            return Ok(());
        }
        let Some(choice) = self.params.choices.iter().find(|c| c.name == name).cloned() else { return Ok(()) };
        self.asked.insert(name.clone());
        let help = choice.description.clone().unwrap_or_default();
        p.say(&format!("\n{name}: {help}\n  one of: {}", choice.values.join(", ")));
        loop {
            let answer = match p.ask(&name, choice.default.as_deref()) {
                Answer::Text(t) => t.trim().to_string(),
                Answer::End => return Err(Ending::Stopped),
                Answer::Interrupted => return Err(Ending::Interrupted),
            };
            let value = if answer.is_empty() { choice.default.clone().unwrap_or_default() } else { answer };
            if choice.values.contains(&value) {
                // Kept with the values, so that a resumed walk makes the same plan.
                runner.set_value(&name, value.clone(), false);
                self.give(&name, value);
                return self.replan(runner);
            }
            p.say(&format!("invalid value for `{name}`: expected one of {}", choice.values.join(", ")));
        }
    }

    /// Values the step uses that nobody gave yet.
    fn ask_values(&mut self, i: usize, runner: &mut Runner<'_>, p: &mut dyn Prompter) -> Result<(), Ending> {
        let id = runner.plan().steps[i].id.clone();
        let Some(index) = self.rb.steps.iter().position(|s| s.id == id) else { return Ok(()) };
        // A Python step's interpreter serves its whole section and gets its environment when it
        // starts: the values every Python step of the section reads are asked for now.
        let is_python = |s: &crate::steps::Step| {
            s.blocks.iter().any(|b| {
                b.kind == crate::steps::BlockKind::Code
                    && crate::render::Lang::of(&b.lang, b.file.as_deref()) == crate::render::Lang::Python
            })
        };
        let mut steps = vec![index];
        if is_python(&self.rb.steps[index]) {
            let space = self.rb.namespace(&self.rb.steps[index].section);
            steps
                .extend((index + 1..self.rb.steps.len()).filter(|&j| {
                    self.rb.namespace(&self.rb.steps[j].section) == space && is_python(&self.rb.steps[j])
                }));
        }
        let names: Vec<String> = self
            .params
            .placeholders
            .iter()
            .filter(|ph| {
                // Used in the step's text, or read through the variable it is exported as.
                let reads_export = || {
                    steps.iter().any(|&j| {
                        self.rb.steps[j]
                            .blocks
                            .iter()
                            .any(|b| ph.exported_as.iter().any(|var| crate::shell::mentions_var(&b.text, var)))
                    })
                };
                ph.source == Source::User
                    && (ph.uses.iter().any(|u| u.step.is_some_and(|s| steps.contains(&s))) || reads_export())
            })
            .filter(|ph| !runner.has_value(&ph.name))
            // A dry run shows a secret as the environment reference a run would use: never ask.
            .filter(|ph| !(self.dry_run && ph.secret))
            .map(|ph| ph.name.clone())
            .collect();
        for name in names {
            self.ask_value(&name, runner, p)?;
        }
        Ok(())
    }

    /// Ask for one value until it is valid; give it to the runner and re-plan.
    fn ask_value(&mut self, name: &str, runner: &mut Runner<'_>, p: &mut dyn Prompter) -> Result<(), Ending> {
        let Some(ph) = self.params.get(name).cloned() else { return Ok(()) };
        let mut about = format!("\n{name}");
        if let Some(d) = ph.description.as_ref().or(ph.glossary.as_ref().map(|g| &g.text)) {
            let _ = write!(about, ": {d}");
        }
        let _ = write!(about, "\n  kind: {}", ph.kind.as_str());
        if let Some(e) = &ph.example {
            let _ = write!(about, " · example: {e}");
        }
        if ph.secret {
            about.push_str(" · secret (not shown)");
        }
        p.say(&about);
        loop {
            let answer = if ph.secret { p.secret(name) } else { p.ask(name, ph.default.as_deref()) };
            let answer = match answer {
                Answer::Text(t) => t.trim_end_matches(['\r', '\n']).to_string(),
                Answer::End => return Err(Ending::Stopped),
                Answer::Interrupted => return Err(Ending::Interrupted),
            };
            let value = match (answer.is_empty(), &ph.default) {
                (true, Some(d)) => d.clone(),
                (true, None) => {
                    p.say(&format!("`{name}` needs a value"));
                    continue;
                }
                (false, _) => answer,
            };
            if let Err(e) = ph.kind.validate(&value) {
                p.say(&format!("invalid value for `{name}`: {e}"));
                continue;
            }
            if let Some(pattern) = &ph.pattern
                && let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$"))
                && !re.is_match(&value)
            {
                p.say(&format!("invalid value for `{name}`: does not match `{pattern}`"));
                continue;
            }
            runner.set_value(name, value.clone(), ph.secret);
            self.give(name, value);
            return self.replan(runner);
        }
    }

    /// Change a value the step uses (or any value, by name).
    fn edit(&mut self, i: usize, runner: &mut Runner<'_>, p: &mut dyn Prompter) -> Result<(), Ending> {
        let id = runner.plan().steps[i].id.clone();
        let index = self.rb.steps.iter().position(|s| s.id == id);
        let first = self
            .params
            .placeholders
            .iter()
            .find(|ph| ph.source == Source::User && ph.uses.iter().any(|u| u.step == index && index.is_some()))
            .map(|ph| ph.name.clone());
        let name = match p.ask("Which value?", first.as_deref()) {
            Answer::Text(t) if t.trim().is_empty() => first.unwrap_or_default(),
            Answer::Text(t) => crate::params::canonical(&t),
            Answer::End => return Err(Ending::Stopped),
            Answer::Interrupted => return Err(Ending::Interrupted),
        };
        if self.params.get(&name).is_none_or(|ph| ph.source != Source::User) {
            p.say(&format!("`{name}` is not a value this runbook asks for"));
            return Ok(());
        }
        self.ask_value(&name, runner, p)
    }

    fn give(&mut self, name: &str, value: String) {
        self.given.retain(|g| crate::params::canonical(&g.name) != name);
        self.given.push(Given { name: name.to_string(), value, origin: Origin::Prompt });
    }

    fn replan(&mut self, runner: &mut Runner<'_>) -> Result<(), Ending> {
        match self.plan() {
            Ok(plan) => {
                runner.replace_plan(plan);
                Ok(())
            }
            Err(_) => Err(Ending::Stopped),
        }
    }

    /// Every value with its origin; secrets masked.
    fn values_text(runner: &Runner<'_>) -> String {
        let plan = runner.plan();
        let mut out = String::from("Values:\n");
        for v in plan.values.iter().chain(&plan.choices) {
            let shown = match (&v.value, v.secret) {
                (_, true) if runner.has_value(&v.name) => "[secret]".to_string(),
                (Some(x), _) => x.clone(),
                (None, _) if runner.has_value(&v.name) => "(captured)".to_string(),
                (None, _) => "(not given yet)".to_string(),
            };
            let origin = v.origin.as_deref().unwrap_or("—");
            let _ = writeln!(out, "  {} = {shown}  ({origin})", v.name);
        }
        out
    }

    /// The step's Markdown, with line numbers.
    fn source_text(&self, id: &str) -> String {
        let Some(step) = self.rb.step(id) else { return String::new() };
        let first = self.rb.source.line_col(step.span.start).line;
        let last = self.rb.source.line_col(step.span.end.saturating_sub(1).max(step.span.start)).line;
        let mut out = format!("{}:{first}-{last}\n", self.rb.source.path.display());
        for line in first..=last {
            let _ = writeln!(out, "{line:>5} | {}", self.rb.source.line_text(line));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_words_wrap_at_eighty_columns() {
        let long = format!("   > {}\n   $ keep this line as it is\n", "word ".repeat(30).trim_end());
        let wrapped = wrap_quotes(&long, 80);
        assert!(wrapped.lines().all(|l| l.chars().count() <= 80), "{wrapped}");
        assert!(wrapped.lines().filter(|l| l.starts_with("   > ")).count() >= 2);
        assert!(wrapped.ends_with("   $ keep this line as it is\n"));
        assert_eq!(wrapped.matches("word").count(), 30);
    }
}
