//! The linter: a registry of pure rules over a [`LintContext`], rule selection, inline
//! suppression, and the run that turns rule output into ordered [`Diagnostic`]s.
//!
//! Owns: the [`Rule`] type and the registry (`rules::ALL`), selection (`--select`, `--ignore`,
//! `runbook.toml`), `<!-- runbook: allow … -->` suppression (and the finding for a suppression
//! that suppresses nothing). Never does I/O, prints or spawns: the Python pre-pass results arrive
//! in the context, computed by `exec`.

pub mod config;
pub mod rules;

use crate::diagnostic::{Diagnostic, Severity};
use crate::params::{Binding, Params};
use crate::source::Span;
use crate::steps::Runbook;

/// Rule groups, by the hundreds digit of the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// RB1xx: document structure and links.
    Structure,
    /// RB2xx: placeholders and values.
    Placeholders,
    /// RB3xx: embedded config (YAML/JSON/TOML, cf manifest, workflows) and binding policy.
    Config,
    /// RB4xx: commands (cf grammar, shell safety).
    Commands,
    /// RB5xx: secrets.
    Secrets,
    /// RB6xx: Python snippets.
    Python,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Structure => "structure",
            Group::Placeholders => "placeholders",
            Group::Config => "config",
            Group::Commands => "commands",
            Group::Secrets => "secrets",
            Group::Python => "python",
        }
    }
}

/// One lint rule. Its `check` is pure: it reads the context and reports findings.
pub struct Rule {
    /// `RB401`.
    pub code: &'static str,
    /// Kebab-case name of the flagged pattern (`unknown-cf-command`).
    pub name: &'static str,
    pub group: Group,
    pub severity: Severity,
    /// One line: what the rule flags.
    pub summary: &'static str,
    /// Markdown with the headings `## What it checks`, `## Why it matters`, `## Example`,
    /// `## Use instead`.
    pub doc: &'static str,
    pub check: fn(&LintContext<'_>, &mut Report),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

/// Everything a rule may look at.
pub struct LintContext<'a> {
    pub runbook: &'a Runbook,
    pub params: &'a Params,
    /// Values a run would use (from `--vars`, `--set`, environment, defaults), per placeholder,
    /// in the order of `params.placeholders`.
    pub bindings: &'a [Binding],
    /// Results of the Python syntax pre-pass, one per Python block.
    pub python: &'a [PythonResult],
    /// Apps whose service bindings must be read-only (front matter and `runbook.toml`).
    pub read_only_apps: &'a [String],
}

impl LintContext<'_> {
    /// The value a run would use for a placeholder, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        let i = self.params.placeholders.iter().position(|p| p.name == name)?;
        self.bindings.get(i)?.value.as_deref()
    }
}

/// Outcome of compiling one Python block (filled by the pre-pass in `exec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonResult {
    /// Step index and block index within the step.
    pub step: usize,
    pub block: usize,
    /// `None` when the block compiles.
    pub error: Option<PythonError>,
    /// The check was the coarse tree-sitter fallback, not `compile()`.
    pub coarse: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonError {
    pub message: String,
    /// Byte span in the Markdown file.
    pub span: Span,
}

/// What one rule found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// A related place (e.g. the sentence that states a policy) with a note.
    pub note: Option<(String, Span)>,
    /// Overrides the rule's severity for this finding (e.g. `info` for a documented example key).
    pub severity: Option<Severity>,
}

/// Collects a rule's findings.
#[derive(Default, Debug)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// Report a finding; returns it so that help, note or severity can be added.
    pub fn add(&mut self, span: Span, message: impl Into<String>) -> &mut Finding {
        self.findings.push(Finding { span, message: message.into(), help: None, note: None, severity: None });
        self.findings.last_mut().expect("just pushed")
    }
}

impl Finding {
    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(&mut self, note: impl Into<String>, span: Span) -> &mut Self {
        self.note = Some((note.into(), span));
        self
    }

    pub fn severity(&mut self, severity: Severity) -> &mut Self {
        self.severity = Some(severity);
        self
    }
}

/// A rule's finding, stamped with the rule: what renderers consume.
#[derive(Clone, Debug)]
pub struct Lint {
    pub rule: &'static Rule,
    pub diagnostic: Diagnostic,
    pub note: Option<(String, Span)>,
}

/// Run one rule over a Markdown text, with no values and no Python pre-pass: for unit tests
/// of rules.
pub fn check_text(text: &str, rule: &Rule) -> Vec<Finding> {
    check_text_with(text, rule, &[])
}

/// The source text of each finding of one rule over a Markdown text (for unit tests).
pub fn flagged(text: &str, rule: &Rule) -> Vec<String> {
    check_text(text, rule).iter().map(|f| text.get(f.span.start..f.span.end).unwrap_or("").to_string()).collect()
}

/// Apps whose bindings must be read-only: the front matter's policy plus configured ones
/// (`runbook.toml`), as canonical placeholder names.
pub fn read_only_apps(runbook: &Runbook, configured: &[String]) -> Vec<String> {
    let mut apps: Vec<String> =
        runbook.front_matter.read_only_bindings.iter().map(|b| crate::params::canonical(&b.app)).collect();
    apps.extend(configured.iter().map(|a| crate::params::canonical(a)));
    apps
}

/// Like [`check_text`], with Python pre-pass results.
pub fn check_text_with(text: &str, rule: &Rule, python: &[PythonResult]) -> Vec<Finding> {
    let runbook = Runbook::from_source(crate::source::SourceFile::new("test.md", text));
    let params = crate::params::analyse(&runbook);
    let (bindings, _, _) = crate::params::bind(&params, &[]);
    let read_only_apps = read_only_apps(&runbook, &[]);
    let ctx = LintContext {
        runbook: &runbook,
        params: &params,
        bindings: &bindings,
        python,
        read_only_apps: &read_only_apps,
    };
    let mut report = Report::default();
    (rule.check)(&ctx, &mut report);
    report.findings
}

/// Run every selected rule, apply `allow` suppressions, report suppressions that suppress
/// nothing, and order the result by position, then code.
pub fn run(ctx: &LintContext<'_>, selection: &config::Selection) -> Vec<Lint> {
    let mut allows = suppressions(ctx.runbook);
    let mut out = Vec::new();
    let mut ran: Vec<&'static Rule> = Vec::new();
    for rule in rules::all() {
        if rule.code == rules::meta::UNUSED_SUPPRESSION.code {
            continue;
        }
        let Some(severity) = selection.severity(rule) else { continue };
        ran.push(rule);
        let mut report = Report::default();
        (rule.check)(ctx, &mut report);
        for f in report.findings {
            if let Some(a) = allows.iter_mut().find(|a| a.covers(f.span) && a.names(rule)) {
                a.used = true;
                continue;
            }
            out.push(lint(rule, severity, f));
        }
    }
    if let Some(severity) = selection.severity(&rules::meta::UNUSED_SUPPRESSION) {
        let all = rules::all();
        for a in allows.iter().filter(|a| !a.used) {
            let known = all.iter().any(|r| a.names(r));
            // A suppression for a rule that did not run (not selected) is not judged.
            if known && !ran.iter().any(|r| a.names(r)) {
                continue;
            }
            let message = if known {
                format!("`allow {}` suppresses nothing here", a.rule)
            } else {
                format!("`allow {}` names no rule", a.rule)
            };
            let finding = Finding {
                span: a.annotation,
                message,
                help: Some("remove it, or move it to the line before the block it is meant for".into()),
                note: None,
                severity: None,
            };
            out.push(lint(&rules::meta::UNUSED_SUPPRESSION, severity, finding));
        }
    }
    out.sort_by(|a, b| {
        let (sa, sb) = (a.diagnostic.span.unwrap_or_default(), b.diagnostic.span.unwrap_or_default());
        (sa.start, a.rule.code, sa.end).cmp(&(sb.start, b.rule.code, sb.end))
    });
    out.dedup_by(|a, b| {
        a.rule.code == b.rule.code
            && a.diagnostic.span == b.diagnostic.span
            && a.diagnostic.message == b.diagnostic.message
    });
    out
}

fn lint(rule: &'static Rule, severity: Severity, f: Finding) -> Lint {
    let severity = f.severity.map_or(severity, |s| s.min(severity));
    Lint {
        rule,
        diagnostic: Diagnostic {
            severity,
            code: Some(rule.code),
            message: f.message,
            span: Some(f.span),
            help: f.help,
        },
        note: f.note,
    }
}

/// One `allow RULE` directive and the source it covers.
struct Allow {
    rule: String,
    annotation: Span,
    scope: Span,
    used: bool,
}

impl Allow {
    fn covers(&self, span: Span) -> bool {
        self.scope.start <= span.start && span.start <= self.scope.end
    }

    fn names(&self, rule: &Rule) -> bool {
        self.rule.eq_ignore_ascii_case(rule.name)
            || (self.rule.len() >= 3 && rule.code.to_ascii_uppercase().starts_with(&self.rule.to_ascii_uppercase()))
    }
}

/// `allow` directives: a fence's covers the fence; a paragraph's or item's covers its step.
fn suppressions(rb: &Runbook) -> Vec<Allow> {
    let mut out = Vec::new();
    for block in &rb.document.blocks {
        let Some(ann) = block.annotation.as_deref() else { continue };
        if ann.allow.is_empty() {
            continue;
        }
        let step = rb.steps.iter().find(|s| s.span.start == block.span.start);
        let scope = match (&block.kind, step) {
            (crate::markdown::BlockKind::Code(_), _) | (_, None) => block.span,
            (_, Some(s)) => {
                let end = s
                    .blocks
                    .iter()
                    .map(|b| b.span.end)
                    .chain(s.prose.iter().map(|p| p.end))
                    .fold(s.span.end, usize::max);
                Span::new(s.span.start, end)
            }
        };
        for rule in &ann.allow {
            out.push(Allow { rule: rule.clone(), annotation: ann.span, scope, used: false });
        }
    }
    out
}

#[cfg(test)]
mod no_panic {
    use proptest::prelude::*;

    /// Pieces of Markdown, YAML, JSON, shell and Python that stress every stage.
    const PIECES: &[&str] = &[
        "# H\n",
        "## Key terms\n",
        "### Sub\n",
        "1. ",
        "2. ",
        "   1. ",
        "- ",
        "\n",
        "\n\n",
        "```bash\n",
        "```json\n",
        "```python\n",
        "```yaml\n",
        "```\n",
        "    ",
        "cf push APP_NAME",
        " -c <json.file>",
        " `{\"a\": 1}`",
        "'",
        "\"",
        "$(",
        "${{ secrets.X }}",
        "<SPACE NAME>",
        "SERVICE-NAME",
        "paas-XXXX",
        "{\"permissions\": \"PERMISSION\"}",
        "jobs:\n  a:\n    needs: [b]\n",
        "runs-on: ubuntu-20.04\n",
        "import os\n",
        "os.environ(\"x\")",
        "def f(:\n",
        "  x = 1\n",
        "[link](#nowhere)",
        "![img](missing.png)",
        "<!-- runbook: allow RB201 -->\n",
        "<!-- runbook: kind=output of=x -->\n",
        "---\nplaceholders: {A: {kind: text}}\n---\n",
        "é…",
        "\t",
        "\\\n",
        "APP_NAME = The app.\n",
        "If using X, this can be done:\n",
        "The output will look like:\n",
        "AKIAIOSFODNN7EXAMPLE",
        "print(secret_key)",
        "cf set-env A AWS_SECRET_ACCESS_KEY v",
        "|",
        "&&",
        "{id=a}",
        "Follow [K](#key-terms)",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn every_stage_and_rule_survives_any_input(parts in proptest::collection::vec(0..PIECES.len(), 0..60)) {
            let text: String = parts.iter().map(|&i| PIECES[i]).collect();
            for rule in super::rules::all() {
                let findings = super::check_text(&text, rule);
                for f in findings {
                    prop_assert!(f.span.start <= f.span.end && f.span.end <= text.len(), "{} span out of range", rule.code);
                }
            }
        }
    }
}
