//! RB203 `inconsistent-spelling`: one placeholder spelt several ways.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB203",
    name: "inconsistent-spelling",
    group: Group::Placeholders,
    severity: Severity::Warning,
    summary: "one placeholder spelt several ways",
    doc: "## What it checks\n\nA placeholder written in more than one spelling (`<APP_NAME>` and `APP_NAME`, `SERVICE-NAME` and `SERVICE_NAME`), or spelt differently from its glossary entry.\n\n## Why it matters\n\nReaders substitute each spelling separately and miss some; tools that search for one spelling miss the others.\n\n## Example\n\n```markdown\n```bash\ncf service-key SERVICE-NAME SERVICE_KEY\ncf bind-service <APP_NAME> SERVICE_NAME\n```\n```\n\n## Use instead\n\n```markdown\n```bash\ncf service-key SERVICE_NAME SERVICE_KEY\ncf bind-service APP_NAME SERVICE_NAME\n```\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::InconsistentSpelling);
}
