//! RB201 `undefined-placeholder`: a placeholder used but defined nowhere.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB201",
    name: "undefined-placeholder",
    group: Group::Placeholders,
    severity: Severity::Warning,
    summary: "a placeholder used but defined nowhere",
    doc: "## What it checks\n\nA placeholder used in a command, file or code block that neither the glossary nor the front matter (`placeholders:`, `captures:`) defines, and that no step produces (a file the runbook writes, an output sample).\n\n## Why it matters\n\nA reader cannot tell what value to give, and `runbook` cannot validate or prompt for it with any help.\n\n## Example\n\n```markdown\n```bash\ncf login -a API_URL -u <USERNAME>\n```\n```\n\n## Use instead\n\n```markdown\n---\nplaceholders:\n  USERNAME: {description: Your platform login, kind: text}\n---\n```bash\ncf login -a API_URL -u USERNAME\n```\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::UndefinedPlaceholder);
}
