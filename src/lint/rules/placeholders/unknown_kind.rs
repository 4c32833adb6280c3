//! RB210 `unknown-kind`: a placeholder declares a kind that does not exist.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB210",
    name: "unknown-kind",
    group: Group::Placeholders,
    severity: Severity::Error,
    summary: "a placeholder declares a kind that does not exist",
    doc: "## What it checks\n\nA `kind:` in the front matter that is not one of the built-in value kinds.\n\n## Why it matters\n\nThe value cannot be validated; a typo here silently accepts anything.\n\n## Example\n\n```markdown\nplaceholders:\n  APP_NAME: {kind: cf-app}\n```\n\n## Use instead\n\n```markdown\nplaceholders:\n  APP_NAME: {kind: cf-app-name}\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::UnknownKind);
}
