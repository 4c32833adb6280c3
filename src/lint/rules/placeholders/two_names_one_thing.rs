//! RB206 `two-names-one-thing`: two placeholders for the same object in one procedure.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB206",
    name: "two-names-one-thing",
    group: Group::Placeholders,
    severity: Severity::Warning,
    summary: "two placeholders for the same object in one procedure",
    doc: "## What it checks\n\nWithin one section, two different placeholders fill the same cf argument of commands acting on the same kind of object (`cf service-keys SERVICE_NAME` then `cf delete-service-key SERVICE_INSTANCE KEY`).\n\n## Why it matters\n\nThe reader must guess that both names mean the same service, and may give two different values.\n\n## Example\n\n```markdown\n```bash\ncf service-keys SERVICE_NAME\ncf delete-service-key SERVICE_INSTANCE SERVICE_KEY\n```\n```\n\n## Use instead\n\n```markdown\n```bash\ncf service-keys SERVICE_NAME\ncf delete-service-key SERVICE_NAME SERVICE_KEY\n```\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::TwoNamesOneThing);
}
