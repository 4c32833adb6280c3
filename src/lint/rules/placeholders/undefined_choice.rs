//! RB209 `undefined-choice`: a step depends on a choice variable that is not declared.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB209",
    name: "undefined-choice",
    group: Group::Placeholders,
    severity: Severity::Error,
    summary: "a step depends on a choice variable that is not declared",
    doc: "## What it checks\n\nA `when=NAME` condition whose choice variable is not declared under `choices:` in the front matter.\n\n## Why it matters\n\nNobody can set the choice, so the step's condition can never be decided.\n\n## Example\n\n```markdown\n<!-- runbook: when=NO_ROUTE -->\n```\n\n## Use instead\n\n```markdown\n---\nchoices:\n  NO_ROUTE: {description: Push without a route, default: false}\n---\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::UndefinedChoice);
}
