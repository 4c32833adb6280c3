//! Rules about the runbook's own syntax and its annotations.

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

/// RB100 `unused-suppression`: reported by the engine itself (see `lint::run`).
pub static UNUSED_SUPPRESSION: Rule = Rule {
    code: "RB100",
    name: "unused-suppression",
    group: Group::Structure,
    severity: Severity::Warning,
    summary: "an `allow` directive suppresses nothing",
    doc: "## What it checks\n\nAn `<!-- runbook: allow RULE -->` directive whose block raises no finding of that rule, or that names no rule.\n\n## Why it matters\n\nA stale suppression hides the next real finding of that rule in the block, and a misspelt one suppresses nothing while looking as if it did.\n\n## Example\n\n```markdown\n<!-- runbook: allow RB401 -->\n```bash\ncf push APP_NAME\n```\n```\n\n## Use instead\n\n```markdown\n```bash\ncf push APP_NAME\n```\n```\n",
    check: engine_only,
};

fn engine_only(_: &LintContext<'_>, _: &mut Report) {}

/// RB190 `invalid-runbook-syntax`.
pub static INVALID_RUNBOOK_SYNTAX: Rule = Rule {
    code: "RB190",
    name: "invalid-runbook-syntax",
    group: Group::Structure,
    severity: Severity::Warning,
    summary: "an unclosed fence, a malformed annotation or front matter, or a reference to a missing step",
    doc: "## What it checks\n\nProblems found while reading the runbook: a code fence that is never closed, a `runbook:` annotation or fence attribute that cannot be read, unknown or malformed front matter keys, a duplicate step id, `of=`/`alt=` naming no step, a `ref` to a missing heading.\n\n## Why it matters\n\nEach one changes what the runbook does: an unclosed fence swallows the rest of the section, and a misread annotation silently falls back to a guess.\n\n## Example\n\n```markdown\n```bash {id=push colour=red}\ncf push APP_NAME\n```\n```\n\n## Use instead\n\n```markdown\n```bash {id=push}\ncf push APP_NAME\n```\n```\n",
    check: syntax,
};

fn syntax(ctx: &LintContext<'_>, report: &mut Report) {
    for p in &ctx.runbook.problems {
        if p.message == "no steps found in this file" {
            continue;
        }
        report.add(p.span, p.message.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_reading_problems() {
        let f = crate::lint::check_text("# S\n\n```bash {id=x bogus=1}\ncf apps\n```\n", &INVALID_RUNBOOK_SYNTAX);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("unknown runbook attribute `bogus`"));
    }
}
