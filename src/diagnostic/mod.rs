//! Findings about a runbook and their human rendering.
//!
//! A [`Diagnostic`] is data (a severity, an optional rule code, a message, a span, help); it is
//! never printed by the stage that finds it. [`render_human`] draws it rustc-style:
//!
//! ```text
//! warning: code fence is never closed; it runs to the end of its container
//!  --> guide.md:12:1
//!   |
//! 12 | ```bash
//!   | ^^^^^^^
//! ```

use std::fmt::Write;

use crate::markdown::Problem;
use crate::source::{SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Rule code (`RB201`), when a lint rule produced it.
    pub code: Option<&'static str>,
    pub message: String,
    /// `None` for findings about the invocation rather than a place in the file.
    pub span: Option<Span>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn warning(message: impl Into<String>, span: Span) -> Self {
        Diagnostic { severity: Severity::Warning, code: None, message: message.into(), span: Some(span), help: None }
    }
}

impl From<&Problem> for Diagnostic {
    fn from(p: &Problem) -> Self {
        Diagnostic::warning(p.message.clone(), p.span)
    }
}

/// Styles for the human renderer; `plain()` for files, snapshots and non-terminals.
#[derive(Clone, Copy, Debug, Default)]
pub struct Styles {
    pub error: anstyle::Style,
    pub warning: anstyle::Style,
    pub emphasis: anstyle::Style,
    pub gutter: anstyle::Style,
}

impl Styles {
    pub fn plain() -> Self {
        Styles::default()
    }

    pub fn colored() -> Self {
        use anstyle::{AnsiColor, Style};
        Styles {
            error: Style::new().fg_color(Some(AnsiColor::BrightRed.into())).bold(),
            warning: Style::new().fg_color(Some(AnsiColor::BrightYellow.into())).bold(),
            emphasis: Style::new().bold(),
            gutter: Style::new().fg_color(Some(AnsiColor::BrightBlue.into())).bold(),
        }
    }
}

/// rustc-style rendering: header, `-->` location, the source line with carets, help.
pub fn render_human(src: &SourceFile, d: &Diagnostic, styles: Styles) -> String {
    let mut out = String::new();
    let level = match d.severity {
        Severity::Error => styles.error,
        Severity::Warning => styles.warning,
        Severity::Info => styles.emphasis,
    };
    let code = d.code.map(|c| format!("[{c}]")).unwrap_or_default();
    let e = styles.emphasis;
    let _ = writeln!(out, "{level}{}{code}{level:#}{e}: {}{e:#}", d.severity.as_str(), d.message);
    let g = styles.gutter;
    let Some(span) = d.span else {
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  {g}={g:#} {e}help{e:#}: {help}");
        }
        return out;
    };
    let at = src.line_col(span.start);
    let width = at.line.to_string().len();
    let pad = " ".repeat(width);
    let _ = writeln!(out, "{pad}{g}-->{g:#} {}:{at}", src.path.display());
    let line = src.line_text(at.line);
    if !(src.text.is_empty() && span.is_empty()) {
        let end = if span.is_empty() { span.start } else { span.end };
        let end_at = src.line_col(end);
        let caret_end = if end_at.line == at.line { end_at.column } else { line.chars().count() + 1 };
        let carets = caret_end.saturating_sub(at.column).max(1);
        let _ = writeln!(out, "{pad} {g}|{g:#}");
        let _ = writeln!(out, "{g}{:>width$} |{g:#} {line}", at.line);
        let _ = writeln!(out, "{pad} {g}|{g:#} {}{level}{}{level:#}", " ".repeat(at.column - 1), "^".repeat(carets));
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} {g}={g:#} {e}help{e:#}: {help}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let src = SourceFile::new("g.md", "# T\n\n```bash\necho\n");
        let mut d = Diagnostic::warning("code fence is never closed", Span::new(5, 12));
        d.help = Some("close it with ```".into());
        assert_eq!(
            render_human(&src, &d, Styles::plain()),
            "warning: code fence is never closed\n --> g.md:3:1\n  |\n3 | ```bash\n  | ^^^^^^^\n  = help: close it with ```\n"
        );
    }

    #[test]
    fn empty_file_has_no_source_line() {
        let src = SourceFile::new("e.md", "");
        let d = Diagnostic::warning("no steps found in this file", Span::default());
        assert_eq!(render_human(&src, &d, Styles::plain()), "warning: no steps found in this file\n --> e.md:1:1\n");
    }
}

pub mod concise;
pub mod github;
pub mod json;
pub mod junit;
pub mod sarif;

/// One checked file and its findings, as the renderers consume them.
pub struct FileReport<'a> {
    pub source: &'a SourceFile,
    pub lints: &'a [crate::lint::Lint],
}

/// 1-based start and end (line, column) of a lint, in characters.
pub fn range(src: &SourceFile, d: &Diagnostic) -> (crate::source::LineCol, crate::source::LineCol) {
    let span = d.span.unwrap_or_default();
    (src.line_col(span.start), src.line_col(span.end))
}

/// A lint rendered rustc-style, with its note (the place a policy is stated) when it has one.
pub fn render_lint_human(src: &SourceFile, lint: &crate::lint::Lint, styles: Styles) -> String {
    let mut out = render_human(src, &lint.diagnostic, styles);
    if let Some((note, span)) = &lint.note {
        let at = src.line_col(span.start);
        let pad = " ".repeat(src.line_col(lint.diagnostic.span.unwrap_or_default().start).line.to_string().len());
        let g = styles.gutter;
        let e = styles.emphasis;
        let _ = writeln!(out, "{pad} {g}={g:#} {e}note{e:#}: {note} ({}:{at})", src.path.display());
    }
    out
}
