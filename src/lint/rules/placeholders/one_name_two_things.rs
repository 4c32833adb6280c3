//! RB207 `one-name-two-things`: one placeholder for two different objects.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB207",
    name: "one-name-two-things",
    group: Group::Placeholders,
    severity: Severity::Warning,
    summary: "one placeholder for two different objects",
    doc: "## What it checks\n\nA placeholder that stands for one object in one procedure (where another name is also used for it) and creates a different object in another.\n\n## Why it matters\n\nOne value cannot be right for both: the route service and the bucket service would get the same name.\n\n## Example\n\n```markdown\n```bash\ncf create-user-provided-service SERVICE_INSTANCE -r URL\n# … later, for the bucket:\ncf delete-service-key SERVICE_INSTANCE SERVICE_KEY\n```\n```\n\n## Use instead\n\n```markdown\n```bash\ncf create-user-provided-service ROUTE_SERVICE_NAME -r URL\ncf delete-service-key SERVICE_NAME SERVICE_KEY\n```\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::OneNameTwoThings);
}
