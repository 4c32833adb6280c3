//! RB205 `near-miss-placeholder`: an undefined placeholder one or two edits away from a defined one.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB205",
    name: "near-miss-placeholder",
    group: Group::Placeholders,
    severity: Severity::Error,
    summary: "an undefined placeholder one or two edits away from a defined one",
    doc: "## What it checks\n\nAn undefined placeholder whose name is within two edits of a defined one (`APP_NAEM` for `APP_NAME`).\n\n## Why it matters\n\nIt is almost certainly a typo: the value given for the real name will never reach this command.\n\n## Example\n\n```markdown\n```bash\ncf push APP_NAEM\n```\n```\n\n## Use instead\n\n```markdown\n```bash\ncf push APP_NAME\n```\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::NearMissPlaceholder);
}
