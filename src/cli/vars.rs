//! `runbook vars`: every placeholder and choice with its definition, kind, value and origin.
//!
//! JSON schema (`format_version` 1; fields are only ever added):
//!
//! ```text
//! { "format_version": 1,
//!   "runbook": { "path", "sha256" },
//!   "placeholders": [ { "name", "variants": [str], "uses": [ { "line", "column", "spelling", "context", "step": str|null } ],
//!                       "glossary": str|null, "description": str|null, "kind", "kind_inferred": bool,
//!                       "secret": bool, "exported_as": [str], "source": { "type": "user"|"capture"|"output"|"file", "step": str|null },
//!                       "value": str (absent when secret or missing), "origin": str|null,
//!                       "valid": bool, "problems": [str] } ],
//!   "choices": [ { "name", "description", "values": [str], "default", "used_by": [str],
//!                  "value", "origin", "valid", "problems" } ],
//!   "findings": [ { "kind", "name", "message", "help", "line": int|null, "column": int|null } ] }
//! ```

use std::fmt::Write;

use anstyle::Style;
use serde_json::{Map, Value, json};

use crate::params::{Binding, Finding, Params, Placeholder, Source};
use crate::steps::Runbook;

pub struct Report<'a> {
    pub runbook: &'a Runbook,
    pub params: &'a Params,
    pub bindings: &'a [Binding],
    pub choices: &'a [Binding],
    pub findings: &'a [Finding],
}

const HIDDEN: &str = "(secret, hidden)";

pub fn human(r: &Report<'_>) -> String {
    let src = &r.runbook.source;
    let mut out = String::new();
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let _ = writeln!(out, "{bold}{}{bold:#}: {}", src.path.display(), summary(r));
    for (p, b) in r.params.placeholders.iter().zip(r.bindings) {
        let secret = if p.secret { "  secret" } else { "" };
        let inferred = if p.kind_inferred { " (inferred)" } else { "" };
        let _ = writeln!(out, "\n{bold}{}{bold:#}  {}{inferred}{secret}", p.name, p.kind.as_str());
        let _ = writeln!(out, "    value   {}", value_line(p, b));
        if let Some(d) = &p.description {
            let from = if p.glossary.as_ref().is_some_and(|g| &g.text == d) { "glossary" } else { "front matter" };
            let _ = writeln!(out, "    about   {d}  {dim}({from}){dim:#}");
        }
        if p.uses.is_empty() {
            let _ = writeln!(out, "    uses    none");
        } else {
            let at: Vec<String> = p.uses.iter().map(|u| src.line_col(u.span.start).to_string()).collect();
            let _ = writeln!(out, "    uses    {}: {}", p.uses.len(), at.join(", "));
        }
        if !p.variants.is_empty() {
            let _ = writeln!(out, "    spelt   {}", p.variants.join(", "));
        }
        if !p.exported_as.is_empty() {
            let _ = writeln!(out, "    env     {}", p.exported_as.join(", "));
        }
        for problem in &b.problems {
            let _ = writeln!(out, "    invalid {problem}");
        }
    }
    if !r.params.choices.is_empty() {
        let _ = writeln!(out, "\n{bold}Choices{bold:#}");
        for (c, b) in r.params.choices.iter().zip(r.choices) {
            let value = match (&b.value, &b.origin) {
                (Some(v), Some(o)) => format!("{v}  {dim}from {o}{dim:#}"),
                _ => "(missing)".to_string(),
            };
            let _ = writeln!(out, "\n{bold}{}{bold:#}  one of {}", c.name, c.values.join(" | "));
            let _ = writeln!(out, "    value   {value}");
            if let Some(d) = &c.description {
                let _ = writeln!(out, "    about   {d}");
            }
            if !c.used_by.is_empty() {
                let _ = writeln!(out, "    decides {}", c.used_by.join(", "));
            }
            for problem in &b.problems {
                let _ = writeln!(out, "    invalid {problem}");
            }
        }
    }
    out
}

fn value_line(p: &Placeholder, b: &Binding) -> String {
    let dim = Style::new().dimmed();
    match (&b.value, &b.origin) {
        (Some(_), Some(o)) if p.secret => format!("{HIDDEN}  {dim}from {o}{dim:#}"),
        (Some(v), Some(o)) => format!("{v}  {dim}from {o}{dim:#}"),
        (None, Some(o)) => format!("(at run time)  {dim}{o}{dim:#}"),
        _ => "(missing)".to_string(),
    }
}

fn summary(r: &Report<'_>) -> String {
    let n = r.params.placeholders.len();
    let given = r.bindings.iter().filter(|b| b.value.is_some()).count();
    let later = r.bindings.iter().filter(|b| b.value.is_none() && b.origin.is_some()).count();
    let missing =
        r.bindings.iter().zip(&r.params.placeholders).filter(|(b, p)| b.origin.is_none() && !p.uses.is_empty()).count();
    let invalid = r.bindings.iter().chain(r.choices).filter(|b| !b.valid()).count();
    format!(
        "{n} placeholder{}, {} choice{}: {given} valued, {later} from steps, {missing} missing, {invalid} invalid",
        if n == 1 { "" } else { "s" },
        r.params.choices.len(),
        if r.params.choices.len() == 1 { "" } else { "s" }
    )
}

pub fn json(r: &Report<'_>) -> String {
    let src = &r.runbook.source;
    let placeholders: Vec<Value> = r
        .params
        .placeholders
        .iter()
        .zip(r.bindings)
        .map(|(p, b)| {
            let uses: Vec<Value> = p
                .uses
                .iter()
                .map(|u| {
                    let at = src.line_col(u.span.start);
                    json!({
                        "line": at.line, "column": at.column, "spelling": u.spelling, "context": u.context,
                        "step": u.step.map(|s| r.runbook.steps[s].id.clone()),
                    })
                })
                .collect();
            let (source_type, step) = match &p.source {
                Source::User => ("user", None),
                Source::Capture { step } => ("capture", Some(step)),
                Source::OutputOf { step } => ("output", Some(step)),
                Source::FileOf { step } => ("file", Some(step)),
            };
            let mut m = Map::new();
            m.insert("name".into(), json!(p.name));
            m.insert("variants".into(), json!(p.variants));
            m.insert("uses".into(), json!(uses));
            m.insert("glossary".into(), json!(p.glossary.as_ref().map(|g| &g.text)));
            m.insert("description".into(), json!(p.description));
            m.insert("kind".into(), json!(p.kind.as_str()));
            m.insert("kind_inferred".into(), json!(p.kind_inferred));
            m.insert("secret".into(), json!(p.secret));
            m.insert("exported_as".into(), json!(p.exported_as));
            m.insert("source".into(), json!({"type": source_type, "step": step}));
            if let (Some(v), false) = (&b.value, p.secret) {
                m.insert("value".into(), json!(v));
            }
            m.insert("origin".into(), json!(b.origin));
            m.insert("valid".into(), json!(b.valid()));
            m.insert("problems".into(), json!(b.problems));
            Value::Object(m)
        })
        .collect();
    let choices: Vec<Value> = r
        .params
        .choices
        .iter()
        .zip(r.choices)
        .map(|(c, b)| {
            json!({
                "name": c.name, "description": c.description, "values": c.values, "default": c.default,
                "used_by": c.used_by, "value": b.value, "origin": b.origin, "valid": b.valid(), "problems": b.problems,
            })
        })
        .collect();
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let at = (f.span != crate::source::Span::default()).then(|| src.line_col(f.span.start));
            json!({
                "kind": f.kind, "name": f.name, "message": f.message, "help": f.help,
                "line": at.map(|a| a.line), "column": at.map(|a| a.column),
            })
        })
        .collect();
    let doc = json!({
        "format_version": 1,
        "runbook": {"path": src.path.display().to_string(), "sha256": src.sha256()},
        "placeholders": placeholders,
        "choices": choices,
        "findings": findings,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
