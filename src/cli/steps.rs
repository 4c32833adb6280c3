//! `runbook steps`: the human outline and the JSON document.
//!
//! JSON schema (`format_version` 1; fields are only ever added):
//!
//! ```text
//! { "format_version": 1,
//!   "runbook":  { "path": str, "sha256": str },
//!   "sections": [ { "slug", "title", "level", "line", "parent": str|null, "glossary": bool } ],
//!   "steps":    [ { "id", "number": str|null, "title", "section", "kind",
//!                   "line", "column", "end_line",
//!                   "condition": { "text", "when": str|null } | null,
//!                   "alternative_of": str|null, "ref": str|null, "explicit_id": bool,
//!                   "blocks": [ { "kind", "lang", "inline", "line", "column", "end_line",
//!                                 "content_line", "text", "file": str|null, "output_of": str|null,
//!                                 "commands": [ { "text", "line" } ] } ] } ],
//!   "problems": [ { "severity", "message", "line", "column" } ] }
//! ```

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use serde_json::{Value, json};

use crate::steps::{BlockKind, Runbook, Step, StepBlock, StepKind};

pub const FORMAT_VERSION: u32 = 1;

pub fn json(rb: &Runbook) -> String {
    let src = &rb.source;
    let line = |offset: usize| src.line_col(offset);
    let sections: Vec<Value> = rb
        .sections
        .iter()
        .map(|s| {
            json!({
                "slug": s.slug, "title": s.title, "level": s.level,
                "line": line(s.span.start).line, "parent": s.parent, "glossary": s.glossary,
            })
        })
        .collect();
    let steps: Vec<Value> = rb
        .steps
        .iter()
        .map(|s| {
            let at = line(s.span.start);
            let blocks: Vec<Value> = s
                .blocks
                .iter()
                .map(|b| {
                    let at = line(b.span.start);
                    json!({
                        "kind": b.kind, "lang": b.lang, "inline": b.inline,
                        "line": at.line, "column": at.column, "end_line": line(b.span.end).line,
                        "content_line": line(b.content_start).line,
                        "text": b.text, "file": b.file, "output_of": b.output_of,
                        "commands": b.commands.iter().map(|c| json!({"text": c.text, "line": c.line})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "id": s.id, "number": s.number, "title": s.title, "section": s.section, "kind": s.kind,
                "line": at.line, "column": at.column, "end_line": line(step_end(s)).line,
                "condition": s.condition, "alternative_of": s.alternative_of, "ref": s.ref_to,
                "explicit_id": s.explicit_id, "blocks": blocks,
            })
        })
        .collect();
    let problems: Vec<Value> = rb
        .problems
        .iter()
        .map(|p| {
            let at = line(p.span.start);
            json!({"severity": "warning", "message": p.message, "line": at.line, "column": at.column})
        })
        .collect();
    let doc = json!({
        "format_version": FORMAT_VERSION,
        "runbook": {"path": src.path.display().to_string(), "sha256": src.sha256()},
        "sections": sections,
        "steps": steps,
        "problems": problems,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn step_end(s: &Step) -> usize {
    s.blocks.iter().map(|b| b.span.end).chain(s.prose.iter().map(|p| p.end)).fold(s.span.end, usize::max)
}

/// A readable outline: sections as headers, one line per step, its blocks indented beneath.
pub fn human(rb: &Runbook) -> String {
    let src = &rb.source;
    let path = src.path.display();
    let mut out = String::new();
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let _ = writeln!(out, "{bold}{path}{bold:#}: {}", summary(rb));
    let mut section = None;
    for step in &rb.steps {
        if section != Some(&step.section) {
            section = Some(&step.section);
            let title = rb.sections.iter().find(|s| s.slug == step.section).map_or("(before any heading)", |s| &s.title);
            let _ = writeln!(out, "\n{bold}{title}{bold:#} {dim}#{}{dim:#}", step.section);
        }
        let at = src.line_col(step.span.start);
        let number = step.number.as_deref().map_or_else(|| "-".to_string(), |n| format!("{n}."));
        let kind = kind_style(step.kind);
        let _ = writeln!(
            out,
            "  {number:<5} {bold}{}{bold:#}  {kind}{}{kind:#}  {dim}{path}:{}{dim:#}  {}",
            step.id,
            step.kind.as_str(),
            at.line,
            step.title
        );
        if let Some(alt) = &step.alternative_of {
            let _ = writeln!(out, "        alternative to {alt}");
        }
        if let Some(c) = &step.condition {
            let when = c.when.as_deref().map(|w| format!(" [when {w}]")).unwrap_or_default();
            let _ = writeln!(out, "        if: {}{when}", c.text);
        }
        if let Some(target) = &step.ref_to {
            let _ = writeln!(out, "        runs section #{target}");
        }
        for block in &step.blocks {
            block_lines(&mut out, rb, step, block);
        }
    }
    out
}

fn block_lines(out: &mut String, rb: &Runbook, step: &Step, b: &StepBlock) {
    let src = &rb.source;
    let dim = Style::new().dimmed();
    let first = src.line_col(b.span.start).line;
    let last = src.line_col(b.span.end).line;
    let lines = if first == last { format!("{first}") } else { format!("{first}-{last}") };
    let lang = if b.lang.is_empty() { String::new() } else { format!(" ({})", b.lang) };
    match b.kind {
        BlockKind::Command => {
            for c in &b.commands {
                let shown = c.text.lines().next().unwrap_or("");
                let more = if c.text.contains('\n') { " …" } else { "" };
                let inline = if b.inline { "  (named in prose)" } else { "" };
                let _ = writeln!(out, "        $ {shown}{more}  {dim}:{}{dim:#}{inline}", c.line);
            }
        }
        BlockKind::File => {
            let name = b.file.as_deref().unwrap_or("(unnamed file)");
            let _ = writeln!(out, "        file {name}{lang}  {dim}:{lines}{dim:#}");
        }
        BlockKind::Output => {
            let of = b.output_of.as_deref().filter(|o| *o != step.id).map(|o| format!(" of {o}")).unwrap_or_default();
            let _ = writeln!(out, "        output{of}{lang}  {dim}:{lines}{dim:#}");
        }
        kind => {
            let _ = writeln!(out, "        {}{lang}  {dim}:{lines}{dim:#}", kind.as_str());
        }
    }
}

fn summary(rb: &Runbook) -> String {
    let kinds = [StepKind::Command, StepKind::File, StepKind::Code, StepKind::Manual, StepKind::Ref, StepKind::Info];
    let counts: Vec<String> = kinds
        .iter()
        .filter_map(|k| {
            let n = rb.steps.iter().filter(|s| s.kind == *k).count();
            (n > 0).then(|| format!("{n} {}", k.as_str()))
        })
        .collect();
    let n = rb.steps.len();
    let noun = if n == 1 { "step" } else { "steps" };
    if counts.is_empty() { format!("{n} {noun}") } else { format!("{n} {noun} ({})", counts.join(", ")) }
}

fn kind_style(kind: StepKind) -> Style {
    let color = match kind {
        StepKind::Command => AnsiColor::Green,
        StepKind::File => AnsiColor::Cyan,
        StepKind::Code => AnsiColor::Magenta,
        StepKind::Manual => AnsiColor::Yellow,
        StepKind::Ref => AnsiColor::Blue,
        StepKind::Info => AnsiColor::White,
    };
    Style::new().fg_color(Some(color.into()))
}
