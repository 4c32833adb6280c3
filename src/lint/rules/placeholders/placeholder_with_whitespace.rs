//! RB204 `placeholder-with-whitespace`: whitespace inside a placeholder.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::FindingKind;

pub static RULE: Rule = Rule {
    code: "RB204",
    name: "placeholder-with-whitespace",
    group: Group::Placeholders,
    severity: Severity::Error,
    summary: "whitespace inside a placeholder",
    doc: "## What it checks\n\nA placeholder such as `<SPACE NAME>` that contains whitespace.\n\n## Why it matters\n\nA shell splits it into two words; a reader who substitutes only the brackets gets a broken command.\n\n## Example\n\n```markdown\n```bash\ncf target -s <SPACE NAME>\n```\n```\n\n## Use instead\n\n```markdown\n```bash\ncf target -s SPACE_NAME\n```\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    super::report_findings(ctx, report, FindingKind::PlaceholderWithWhitespace);
}
