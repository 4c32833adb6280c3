//! RB208 `invalid-value`: a value given for a placeholder is invalid for its kind.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

pub static RULE: Rule = Rule {
    code: "RB208",
    name: "invalid-value",
    group: Group::Placeholders,
    severity: Severity::Error,
    summary: "a value given for a placeholder is invalid for its kind",
    doc: "## What it checks\n\nValues given with `--vars`, `--set`, `RUNBOOK_VAR_<NAME>` or a declared default that break the rules of the placeholder's kind (an S3 bucket name with capitals, an http route service URL, an access key id of the wrong length) or its declared `pattern`.\n\n## Why it matters\n\nThe platform would refuse the value half-way through a run, after earlier steps have already changed things.\n\n## Example\n\n```markdown\nrunbook check runbook/publication.md --set SERVICE_NAME=Dashboard_Data\n```\n\n## Use instead\n\n```markdown\nrunbook check runbook/publication.md --set SERVICE_NAME=dashboard-data\n```\n",
    check,
};

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    for (p, b) in ctx.params.placeholders.iter().zip(ctx.bindings) {
        let Some(first) = p.uses.first() else { continue };
        for problem in &b.problems {
            let f = report.add(first.span, format!("invalid value for `{}`: {problem}", p.name));
            if let Some(origin) = &b.origin {
                f.help(format!("fix the value given by {origin}"));
            }
        }
    }
}
