//! RB202 `unused-definition`: a glossary entry or declaration that no step uses.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB202",
    name: "unused-definition",
    group: Group::Placeholders,
    severity: Severity::Warning,
    summary: "a glossary entry or declaration that no step uses",
    doc: "## What it checks\n\nA placeholder defined in the glossary or the front matter that no block, inline code or step prose uses (names exported as environment variables count as used).\n\n## Why it matters\n\nStale definitions mislead readers about what the runbook needs, and `walk` would ask for a value nothing reads.\n\n## Example\n\n```markdown\nSERVICE_PLAN = The plan of the bucket service.\n```\n\n## Use instead\n\n```markdown\nRemove the entry, or use `SERVICE_PLAN` where the plan is chosen.\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::UnusedDefinition);
}
