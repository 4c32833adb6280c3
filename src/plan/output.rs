//! The three views of a plan: terminal, Markdown transcript, JSON. All deterministic: no
//! timestamps, no absolute temporary paths; the same inputs give the same bytes.
//!
//! JSON schema (`format_version` 1; fields are only ever added):
//!
//! ```text
//! { "format_version": 1, "kind": "plan", "tool": "runbook VERSION",
//!   "runbook": { "path", "sha256" },
//!   "values": [ { "name", "secret", "value" (absent when secret or missing), "origin", "kind" } ],
//!   "choices": [ … same … ],
//!   "secrets": [ { "name", "hmac" } ],
//!   "missing": [ { "name", "used_at": ["step-id:line"] } ],
//!   "steps": [ { "id", "number", "title", "section", "section_title", "line", "effect", "flags": [str], "status": "planned"|"skipped",
//!                "skipped": str|null, "condition", "alternative_of", "ref", "instructions", "notes": [str],
//!                "secret_env": [str], "rendered": [ { "kind", "lang", "file", "line", "text" } ] } ],
//!   "summary": { "steps", "effects": { effect: n }, "interactive", "prints_secrets", "skipped", "missing" },
//!   "digest": str }
//! ```

use std::fmt::Write;

use anstyle::Style;

use super::{Plan, PlannedStep};
use crate::steps::BlockKind;

/// Findings from `check` to show at their step: (step id, rule code, line, message).
pub type StepFindings = Vec<(String, &'static str, usize, String)>;

pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let effects: Vec<String> = s.effects.iter().map(|(e, n)| format!("{n} {e}")).collect();
    let mut extra = Vec::new();
    if s.interactive > 0 {
        extra.push(format!("{} interactive", s.interactive));
    }
    if s.prints_secrets > 0 {
        extra.push(format!("{} prints-secrets", s.prints_secrets));
    }
    if s.skipped > 0 {
        extra.push(format!("{} skipped", s.skipped));
    }
    if s.missing > 0 {
        extra.push(format!("{} missing value{}", s.missing, if s.missing == 1 { "" } else { "s" }));
    }
    let noun = if s.steps == 1 { "step" } else { "steps" };
    let mut line = format!("Plan: {} {noun} — {}", s.steps, effects.join(", "));
    if !extra.is_empty() {
        let _ = write!(line, "; {}", extra.join(", "));
    }
    line
}

pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    for (n, step) in plan.steps.iter().enumerate() {
        out.push_str(&step_human(n + 1, step, &plan.path));
        out.push('\n');
    }
    if !plan.missing.is_empty() {
        let _ = writeln!(out, "Missing values:");
        for m in &plan.missing {
            let _ = writeln!(out, "  {}  used at {}", m.name, m.used_at.join(", "));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", summary_line(plan));
    let _ = writeln!(out, "Digest: {}", plan.digest);
    out
}

/// One step of the terminal plan (`n` counts from 1): header, title, condition, instructions,
/// rendered blocks and notes. `walk` shows steps the same way.
pub fn step_human(n: usize, step: &PlannedStep, path: &str) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let number = step.number.as_deref().map_or_else(String::new, |x| format!(" ({x})"));
    let flags = if step.flags.is_empty() { String::new() } else { format!(" [{}]", step.flags.join(", ")) };
    let _ = writeln!(
        out,
        "{bold}{}. {}{number}{bold:#}  {}{flags}  {dim}{}:{}{dim:#}",
        n,
        step.id,
        step.effect.as_str(),
        path,
        step.line
    );
    let _ = writeln!(out, "   {}", step.title);
    if let Some(reason) = &step.skipped {
        let _ = writeln!(out, "   skipped: {reason}");
    } else if let Some(c) = &step.condition {
        let _ = writeln!(out, "   when: {c}");
    }
    if let Some(r) = &step.ref_to {
        let _ = writeln!(out, "   runs section #{r}");
    }
    if let Some(text) = step.instructions.as_ref().filter(|_| step.ref_to.is_none()) {
        for line in text.lines() {
            let _ = writeln!(out, "   > {line}");
        }
    }
    for b in &step.rendered {
        block(&mut out, b, "   ");
    }
    for note in &step.notes {
        let _ = writeln!(out, "   note: {note}");
    }
    out
}

fn block(out: &mut String, b: &super::RenderedBlock, indent: &str) {
    match b.kind {
        BlockKind::Command => {
            for line in b.text.lines() {
                let _ = writeln!(out, "{indent}$ {line}");
            }
        }
        BlockKind::File => {
            let _ = writeln!(out, "{indent}write {}:", b.file.as_deref().unwrap_or("(unnamed file)"));
            for line in b.text.lines() {
                let _ = writeln!(out, "{indent}  | {line}");
            }
        }
        BlockKind::Code => {
            let _ = writeln!(out, "{indent}run {}:", if b.lang.is_empty() { "code" } else { &b.lang });
            for line in b.text.lines() {
                let _ = writeln!(out, "{indent}  | {line}");
            }
        }
        BlockKind::Output => {
            let _ = writeln!(out, "{indent}expect output like ({} lines)", b.text.lines().count());
        }
        _ => {
            let _ = writeln!(out, "{indent}({} block, line {}, not run)", b.kind.as_str(), b.line);
        }
    }
}

/// The reviewer's Markdown transcript.
pub fn markdown(plan: &Plan, findings: &StepFindings) -> String {
    markdown_with(plan, findings, &Extra { title: format!("Plan for `{}`", plan.path), ..Extra::default() })
}

/// What a run transcript adds to the plan's Markdown (see `transcript`).
#[derive(Default)]
pub struct Extra<'a> {
    pub title: String,
    /// Rows after the plan's header rows.
    pub rows: Vec<(String, String)>,
    /// Markdown added at the end of a step (its status, output…).
    pub per_step: Option<&'a dyn Fn(&PlannedStep) -> String>,
}

/// The Markdown transcript with a run's additions.
pub fn markdown_with(plan: &Plan, findings: &StepFindings, extra: &Extra<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", extra.title);
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| runbook | `{}` |", plan.path);
    let _ = writeln!(out, "| sha256 | `{}` |", plan.sha256);
    let _ = writeln!(out, "| tool | runbook {} |", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "| digest | `{}` |", plan.digest);
    let _ = writeln!(out, "| summary | {} |", summary_line(plan));
    for (k, v) in &extra.rows {
        let _ = writeln!(out, "| {k} | {} |", v.replace('|', "\\|"));
    }
    out.push('\n');
    let _ = writeln!(out, "## Values\n\n| name | value | origin |\n|---|---|---|");
    for v in plan.values.iter().chain(&plan.choices) {
        let captured =
            v.origin.as_deref().is_some_and(|o| o.starts_with("capture from") || o.starts_with("file written"));
        let value = match (&v.value, v.secret) {
            (_, true) if v.origin.is_some() => format!("[secret: {}]", v.name),
            (Some(x), _) => format!("`{}`", x.replace('`', "\\`").replace('|', "\\|").replace('\n', "\\n")),
            (None, _) if captured => "«at run time»".to_string(),
            (None, _) => "«missing»".to_string(),
        };
        let origin = v.origin.clone().unwrap_or_else(|| "—".into());
        let _ = writeln!(out, "| `{}` | {value} | {} |", v.name, origin.replace('|', "\\|"));
    }
    out.push('\n');
    if !plan.missing.is_empty() {
        let _ = writeln!(out, "## Missing values\n");
        for m in &plan.missing {
            let _ = writeln!(out, "- `{}`, used at {}", m.name, m.used_at.join(", "));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Steps\n");
    let mut section = None;
    for (n, step) in plan.steps.iter().enumerate() {
        if section != Some(&step.section) {
            section = Some(&step.section);
            let title = if step.section_title.is_empty() { "(before any heading)" } else { &step.section_title };
            let _ = writeln!(out, "### {title}\n");
        }
        step_md(&mut out, n + 1, step, findings);
        if let Some(f) = extra.per_step {
            out.push_str(&f(step));
        }
    }
    out
}

fn step_md(out: &mut String, n: usize, step: &PlannedStep, findings: &StepFindings) {
    let flags = if step.flags.is_empty() { String::new() } else { format!(", {}", step.flags.join(", ")) };
    let _ = writeln!(out, "#### {n}. `{}` — {}{flags} (line {})\n", step.id, step.effect.as_str(), step.line);
    let _ = writeln!(out, "{}\n", step.title);
    if let Some(reason) = &step.skipped {
        let _ = writeln!(out, "**Skipped:** {reason}.\n");
    }
    if let Some(r) = &step.ref_to {
        let _ = writeln!(out, "Runs section `#{r}`.\n");
    } else if let Some(text) = &step.instructions {
        for line in text.lines() {
            let _ = writeln!(out, "> {line}");
        }
        if !step.rendered.is_empty() {
            out.push('\n');
        }
    }
    for b in &step.rendered {
        let fence = if b.text.contains("```") { "~~~~" } else { "```" };
        match b.kind {
            BlockKind::Command => {
                let _ = writeln!(out, "{fence}console");
                for line in b.text.lines() {
                    let _ = writeln!(out, "$ {line}");
                }
                let _ = writeln!(out, "{fence}\n");
            }
            kind => {
                let label = match kind {
                    BlockKind::File => format!("Write `{}`:", b.file.as_deref().unwrap_or("(unnamed file)")),
                    BlockKind::Code => "Run:".to_string(),
                    BlockKind::Output => "Expected output:".to_string(),
                    other => format!("{} (not run):", other.as_str()),
                };
                let _ = writeln!(out, "{label}\n\n{fence}{}\n{}{fence}\n", b.lang, ensure_newline(&b.text));
            }
        }
    }
    for note in &step.notes {
        let _ = writeln!(out, "- note: {note}");
    }
    for (_, code, line, message) in findings.iter().filter(|f| f.0 == step.id) {
        let _ = writeln!(out, "- finding {code} (line {line}): {message}");
    }
    out.push('\n');
}

fn ensure_newline(s: &str) -> String {
    if s.ends_with('\n') || s.is_empty() { s.to_string() } else { format!("{s}\n") }
}

pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(&json_value(plan)).unwrap_or_default();
    s.push('\n');
    s
}

/// The JSON plan as a value (a run transcript extends it).
pub fn json_value(plan: &Plan) -> serde_json::Value {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        format_version: u32,
        kind: &'static str,
        tool: String,
        runbook: serde_json::Value,
        values: &'a [super::PlanValue],
        choices: &'a [super::PlanValue],
        secrets: &'a [super::SecretDigest],
        missing: &'a [super::Missing],
        steps: &'a [PlannedStep],
        summary: &'a super::Summary,
        digest: &'a str,
    }
    let doc = Doc {
        format_version: 1,
        kind: "plan",
        tool: format!("runbook {}", env!("CARGO_PKG_VERSION")),
        runbook: serde_json::json!({"path": plan.path, "sha256": plan.sha256}),
        values: &plan.values,
        choices: &plan.choices,
        secrets: &plan.secrets,
        missing: &plan.missing,
        steps: &plan.steps,
        summary: &plan.summary,
        digest: &plan.digest,
    };
    serde_json::to_value(&doc).unwrap_or_default()
}
