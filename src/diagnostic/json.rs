//! `--format json`: a versioned document.
//!
//! ```text
//! { "format_version": 1,
//!   "summary": { "files", "errors", "warnings", "infos" },
//!   "findings": [ { "rule", "name", "group", "severity", "path", "line", "column",
//!                   "end_line", "end_column", "message", "help": str|null,
//!                   "note": { "message", "line", "column" } | null } ] }
//! ```
//! Findings are ordered by file (as given), line, column, rule.

use serde::Serialize;

use super::{FileReport, Severity, range};

#[derive(Serialize)]
struct Doc<'a> {
    format_version: u32,
    summary: Summary,
    findings: Vec<Item<'a>>,
}

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

#[derive(Serialize)]
struct Item<'a> {
    rule: &'static str,
    name: &'static str,
    group: &'static str,
    severity: &'static str,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    help: Option<&'a str>,
    note: Option<Note<'a>>,
}

#[derive(Serialize)]
struct Note<'a> {
    message: &'a str,
    line: usize,
    column: usize,
}

pub fn summary(files: &[FileReport<'_>]) -> Summary {
    let count = |s: Severity| files.iter().flat_map(|f| f.lints).filter(|l| l.diagnostic.severity == s).count();
    Summary {
        files: files.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
    }
}

pub fn render(files: &[FileReport<'_>]) -> String {
    let mut findings = Vec::new();
    for f in files {
        for l in f.lints {
            let (start, end) = range(f.source, &l.diagnostic);
            findings.push(Item {
                rule: l.rule.code,
                name: l.rule.name,
                group: l.rule.group.as_str(),
                severity: l.diagnostic.severity.as_str(),
                path: f.source.path.display().to_string(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                message: &l.diagnostic.message,
                help: l.diagnostic.help.as_deref(),
                note: l.note.as_ref().map(|(m, s)| {
                    let at = f.source.line_col(s.start);
                    Note { message: m, line: at.line, column: at.column }
                }),
            });
        }
    }
    let doc = Doc { format_version: 1, summary: summary(files), findings };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
