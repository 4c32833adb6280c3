//! Run transcripts: the plan's Markdown and JSON, plus what happened to each step.
//!
//! Owns the run views: per step its status, exit code, duration, output (already redacted by
//! `exec`, cut at a limit with a note), captured value names and the comparison with the
//! runbook's sample. Never reads the Markdown and never sees a secret value: records hold only
//! redacted text. Durations are the only thing that varies between identical runs.
//!
//! JSON (`format_version` 1, fields only ever added): the plan document with `"kind": "run"`,
//! `"run": { "outcome": "ok"|"failed"|"interrupted"|"stopped"|"running", "resumed": bool }`, and in each
//! step `"status"` (`ok`, `failed`, `skipped`, `acknowledged`, `interrupted`, `timed-out`,
//! `not-reached`, or `planned` while the run has not reached it or a dry-run walk passed it) and `"run"`: `{ "status",
//! "exit_code", "duration_ms", "output", "truncated", "captured": [name], "message",
//! "failed_line", "expected": [ { "line", "shape", "matched", "summary", "diff" } ], "notes" }`.

use std::collections::HashMap;
use std::fmt::Write;

use crate::exec::run::{Answer, EARLIER, Status, StepRecord, human_duration};
use crate::plan::output::{self, Extra, StepFindings};
use crate::plan::{Plan, PlannedStep};

/// About the run as a whole.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// `ok`, `failed`, `interrupted`, `stopped` (a walk the user left), or `running` while
    /// steps are still to come.
    pub outcome: &'static str,
    pub resumed: bool,
    /// Set when the run was a rehearsal against local stand-ins.
    pub rehearsal: Option<RehearsalInfo>,
}

/// A rehearsal: the profile and, once the services stopped, what each of them reported.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RehearsalInfo {
    pub profile: String,
    pub services: Vec<ServiceInfo>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ServiceInfo {
    pub name: String,
    pub report: Option<serde_json::Value>,
}

pub fn markdown(plan: &Plan, findings: &StepFindings, records: &[StepRecord], info: &RunInfo) -> String {
    let by_id: HashMap<&str, &StepRecord> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    let per_step = |step: &PlannedStep| -> String {
        let Some(r) = by_id.get(step.id.as_str()) else {
            return "**Status:** not reached yet.\n\n".to_string();
        };
        step_md(r)
    };
    let counts = counts(records);
    let mut rows = vec![("outcome".to_string(), info.outcome.to_string()), ("steps".to_string(), counts)];
    if info.resumed {
        rows.push(("resumed".to_string(), "yes: steps finished in an earlier run were not run again".to_string()));
    }
    if let Some(r) = &info.rehearsal {
        rows.push((
            "rehearsal".to_string(),
            format!("yes: against local stand-ins declared in `{}`, not the real platform", r.profile),
        ));
        for s in &r.services {
            let report = s.report.as_ref().map_or("no report".to_string(), |v| format!("`{v}`"));
            rows.push((format!("service `{}`", s.name), report));
        }
        let (modelled, not) = records.iter().flat_map(|r| &r.calls).fold((0, 0), |(m, n), c| match c.answer {
            Answer::Sample | Answer::NotModelled => (m, n + 1),
            _ => (m + 1, n),
        });
        rows.push(("stand-in calls".to_string(), format!("{modelled} modelled or checked, {not} not modelled")));
    }
    output::markdown_with(
        plan,
        findings,
        &Extra {
            title: format!("{} of `{}`", if info.rehearsal.is_some() { "Rehearsal" } else { "Run" }, plan.path),
            rows,
            per_step: Some(&per_step),
        },
    )
}

fn counts(records: &[StepRecord]) -> String {
    let mut order: Vec<&'static str> = Vec::new();
    let mut n: HashMap<&'static str, usize> = HashMap::new();
    for r in records {
        let s = r.status.as_str();
        if !order.contains(&s) {
            order.push(s);
        }
        *n.entry(s).or_default() += 1;
    }
    order.iter().map(|s| format!("{} {s}", n[s])).collect::<Vec<_>>().join(", ")
}

fn step_md(r: &StepRecord) -> String {
    let mut out = String::new();
    let mut head = format!("**Status:** {}", r.status.as_str());
    if let Some(code) = r.exit_code {
        let _ = write!(head, " · exit {code}");
    }
    if !matches!(r.status, Status::Skipped | Status::NotReached) && r.message.as_deref() != Some(EARLIER) {
        let _ = write!(head, " · {}", human_duration(std::time::Duration::from_millis(r.duration_ms)));
    }
    let _ = writeln!(out, "{head}\n");
    if let Some(m) = &r.message {
        let _ = writeln!(out, "{}\n", quote_lines(m));
    }
    if !r.captured.is_empty() {
        let names: Vec<String> = r.captured.iter().map(|n| format!("`{n}`")).collect();
        let _ = writeln!(out, "Captured: {}\n", names.join(", "));
    }
    if !r.output.is_empty() {
        let fence = fence_for(&r.output);
        let _ = writeln!(
            out,
            "Output:\n\n{fence}text\n{}{}{fence}\n",
            r.output,
            if r.output.ends_with('\n') { "" } else { "\n" }
        );
    }
    if !r.calls.is_empty() {
        let _ = writeln!(out, "Stand-in calls:\n");
        for c in &r.calls {
            let mut line = format!("- `{}` ", shell_line(&c.command, &c.args));
            match (&c.answer, &c.handler) {
                (Answer::Handler, Some(h)) => {
                    let _ = write!(line, "modelled by `{h}`");
                }
                (a, _) => line.push_str(a.describe()),
            }
            if let Some(code) = c.exit_code {
                let _ = write!(line, " (exit {code})");
            }
            if let Some(m) = &c.message {
                let _ = write!(line, ": {m}");
            }
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    if r.truncated > 0 {
        let _ = writeln!(out, "(output cut: {} more bytes not kept)\n", r.truncated);
    }
    for e in &r.expected {
        if e.matched {
            let _ = writeln!(out, "Output matches the sample at line {} ({}).\n", e.line, e.shape);
        } else {
            let _ = writeln!(
                out,
                "Output does not match the sample at line {} ({}): {}\n",
                e.line,
                e.shape,
                e.summary.as_deref().unwrap_or("")
            );
            if let Some(diff) = &e.diff {
                let fence = fence_for(diff);
                let _ = writeln!(out, "{fence}diff\n{diff}\n{fence}\n");
            }
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "- note: {n}");
    }
    if !r.notes.is_empty() {
        out.push('\n');
    }
    out
}

/// A command line for display, each word quoted as the shell would need it (backticks, which
/// would end the Markdown code span, shown as quotes).
fn shell_line(command: &str, args: &[String]) -> String {
    let words: Vec<String> =
        std::iter::once(command).chain(args.iter().map(String::as_str)).map(crate::render::shell_quote).collect();
    words.join(" ").replace('`', "'")
}

fn quote_lines(text: &str) -> String {
    text.lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n")
}

/// A fence longer than any backtick run in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

pub fn json(plan: &Plan, records: &[StepRecord], info: &RunInfo) -> String {
    let mut doc = output::json_value(plan);
    let by_id: HashMap<&str, &StepRecord> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("kind".into(), "run".into());
        let mut run = serde_json::json!({"outcome": info.outcome, "resumed": info.resumed});
        if let Some(r) = &info.rehearsal {
            run["rehearsal"] = serde_json::to_value(r).unwrap_or_default();
        }
        obj.insert("run".into(), run);
        if let Some(steps) = obj.get_mut("steps").and_then(|s| s.as_array_mut()) {
            for step in steps {
                let Some(o) = step.as_object_mut() else { continue };
                let id = o.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                if let Some(r) = by_id.get(id.as_str()) {
                    o.insert("status".into(), r.status.as_str().into());
                    o.insert("run".into(), serde_json::to_value(r).unwrap_or_default());
                }
            }
        }
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_output() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
