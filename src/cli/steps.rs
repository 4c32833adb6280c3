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
//!                   "flags": [ "interactive" | "prints-secrets" | "expects-output" ],
//!                   "blocks": [ { "kind", "lang", "inline", "line", "column", "end_line",
//!                                 "content_line", "text", "file": str|null, "output_of": str|null,
//!                                 "commands": [ { "text", "line" } ] } ] } ],
//!   "problems": [ { "severity", "message", "line", "column" } ] }
//! ```

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::steps::{BlockKind, Runbook, Step, StepBlock, StepKind};

pub const FORMAT_VERSION: u32 = 1;

pub fn json(rb: &Runbook) -> String {
    let src = &rb.source;
    let at = |offset: usize| src.line_col(offset);
    let doc = JsonDoc {
        format_version: FORMAT_VERSION,
        runbook: JsonRunbook { path: src.path.display().to_string(), sha256: src.sha256() },
        sections: rb
            .sections
            .iter()
            .map(|s| JsonSection {
                slug: &s.slug,
                title: &s.title,
                level: s.level,
                line: at(s.span.start).line,
                parent: s.parent.as_deref(),
                glossary: s.glossary,
            })
            .collect(),
        steps: rb
            .steps
            .iter()
            .map(|s| {
                let start = at(s.span.start);
                JsonStep {
                    step: s,
                    flags: crate::plan::effects::step_effect(s).1.names(),
                    line: start.line,
                    column: start.column,
                    end_line: at(step_end(s)).line,
                    blocks: s
                        .blocks
                        .iter()
                        .map(|b| {
                            let start = at(b.span.start);
                            JsonBlock {
                                block: b,
                                line: start.line,
                                column: start.column,
                                end_line: at(b.span.end).line,
                                content_line: at(b.content_start).line,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
        problems: rb
            .problems
            .iter()
            .map(|p| {
                let start = at(p.span.start);
                JsonProblem { severity: "warning", message: &p.message, line: start.line, column: start.column }
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    format_version: u32,
    runbook: JsonRunbook,
    sections: Vec<JsonSection<'a>>,
    steps: Vec<JsonStep<'a>>,
    problems: Vec<JsonProblem<'a>>,
}

#[derive(Serialize)]
struct JsonRunbook {
    path: String,
    sha256: String,
}

#[derive(Serialize)]
struct JsonSection<'a> {
    slug: &'a str,
    title: &'a str,
    level: u8,
    line: usize,
    parent: Option<&'a str>,
    glossary: bool,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    #[serde(flatten)]
    step: &'a Step,
    /// `interactive`, `prints-secrets`, `expects-output` (see `plan::effects`).
    flags: Vec<&'static str>,
    line: usize,
    column: usize,
    end_line: usize,
    blocks: Vec<JsonBlock<'a>>,
}

#[derive(Serialize)]
struct JsonBlock<'a> {
    #[serde(flatten)]
    block: &'a StepBlock,
    line: usize,
    column: usize,
    end_line: usize,
    content_line: usize,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    severity: &'static str,
    message: &'a str,
    line: usize,
    column: usize,
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
    let titles: std::collections::HashMap<&str, &str> =
        rb.sections.iter().map(|s| (s.slug.as_str(), s.title.as_str())).collect();
    let mut section = None;
    for step in &rb.steps {
        if section != Some(&step.section) {
            section = Some(&step.section);
            let title = titles.get(step.section.as_str()).copied().unwrap_or("(before any heading)");
            let anchor =
                if step.section.is_empty() { String::new() } else { format!(" {dim}#{}{dim:#}", step.section) };
            let _ = writeln!(out, "\n{bold}{title}{bold:#}{anchor}");
        }
        let at = src.line_col(step.span.start);
        let number = step.number.as_deref().map_or_else(|| "-".to_string(), |n| format!("{n}."));
        let kind = kind_style(step.kind);
        let flags = crate::plan::effects::step_effect(step).1.names();
        let flags = if flags.is_empty() { String::new() } else { format!(" [{}]", flags.join(", ")) };
        let _ = writeln!(
            out,
            "  {number:<5} {bold}{}{bold:#}  {kind}{}{kind:#}{flags}  {dim}{path}:{}{dim:#}  {}",
            step.id,
            step.kind.as_str(),
            at.line,
            step.title
        );
        if let Some(alt) = &step.alternative_of {
            let _ = writeln!(out, "        alternative to {alt}");
        }
        match &step.condition {
            Some(c) if c.when.as_deref() == Some(c.text.as_str()) => {
                let _ = writeln!(out, "        when: {}", c.text);
            }
            Some(c) => {
                let when = c.when.as_deref().map(|w| format!(" [when {w}]")).unwrap_or_default();
                let _ = writeln!(out, "        if: {}{when}", c.text);
            }
            None => {}
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
