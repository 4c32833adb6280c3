//! RB303 `workflow-needs-missing-job`: a workflow job `needs:` a misspelt job name.
use std::collections::BTreeSet;

use super::{jobs, sections, workflows};
use crate::diagnostic::Severity;
use crate::embedded::{Node, Value};
use crate::lint::{Group, LintContext, Report, Rule};

pub static RULE: Rule = Rule {
    code: "RB303",
    name: "workflow-needs-missing-job",
    group: Group::Config,
    severity: Severity::Warning,
    summary: "a workflow job needs a job that no block shows, but one with a near name is shown",
    doc: DOC,
    check,
};

const DOC: &str = r"## What it checks

The GitHub Actions workflow blocks of a section are read together, since a fragment often
refers to jobs shown in another block of the same section. A `needs:` entry that names a job
no block shows is accepted (the guide shows only part of the workflow), unless its name is
within two edits of a job that is shown: then it is almost certainly a typo.

## Why it matters

GitHub refuses a workflow whose `needs:` names a job that does not exist, and a reader who
copies the fragment only finds out when the workflow fails to start. A misspelt approval job
in `needs:` also loses the approval gate the section is about.

## Example

```markdown
    ```yaml
    jobs:
      tech_approval:
        environment: prod-tech
        runs-on: ubuntu-24.04
        steps:
          - run: echo approved
      deploy-production:
        runs-on: ubuntu-24.04
        needs: [tech_aproval]
    ```
```

## Use instead

```markdown
    ```yaml
    jobs:
      tech_approval:
        environment: prod-tech
        runs-on: ubuntu-24.04
        steps:
          - run: echo approved
      deploy-production:
        runs-on: ubuntu-24.04
        needs: [tech_approval]
    ```
```
";

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let parsed = workflows(ctx);
    for section in sections(&parsed) {
        let docs: Vec<&Node> = parsed.iter().filter(|p| p.section == section).flat_map(|p| &p.docs).collect();
        let shown: BTreeSet<&str> = docs.iter().flat_map(|d| jobs(d)).filter_map(|e| e.key.as_str()).collect();
        for entry in docs.iter().flat_map(|d| jobs(d)) {
            let Some(job) = entry.key.as_str() else { continue };
            for need in needs(&entry.value) {
                let Some(name) = need.as_str() else { continue };
                if shown.contains(name) || name.contains("${{") {
                    continue;
                }
                if let Some(near) = near_miss(name, &shown) {
                    report
                        .add(
                            need.unquoted(&ctx.runbook.source.text),
                            format!("job `{job}` needs `{name}`, which no job of this section is called"),
                        )
                        .help(format!("did you mean `{near}`?"));
                }
            }
        }
    }
}

/// The entries of a job's `needs:` (a name or a list of names).
pub(super) fn needs(job: &Node) -> Vec<&Node> {
    match job.get("needs") {
        Some(n) if matches!(n.value, Value::Str(_)) => vec![n],
        Some(n) => n.as_list().map(|l| l.iter().collect()).unwrap_or_default(),
        None => Vec::new(),
    }
}

/// The shown job within two edits of `name`, unless they differ only in digits (`build-1`,
/// `build-2` are siblings, not typos).
fn near_miss<'a>(name: &str, shown: &BTreeSet<&'a str>) -> Option<&'a str> {
    let strip = |s: &str| s.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
    shown
        .iter()
        .copied()
        .filter(|s| name.len() >= 3 && strsim::levenshtein(s, name) <= 2 && strip(s) != strip(name))
        .min_by_key(|s| strsim::levenshtein(s, name))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::check_text;

    fn found(md: &str) -> Vec<String> {
        crate::lint::flagged(md, &RULE)
    }

    #[test]
    fn typo_of_a_job_in_another_block_of_the_section() {
        let md = "# T\n\n1. Approve:\n```yaml\njobs:\n  tech_approval:\n    runs-on: ubuntu-24.04\n```\n2. Deploy:\n```yaml\njobs:\n  deploy:\n    runs-on: ubuntu-24.04\n    needs: [tech_aproval]\n```\n";
        assert_eq!(found(md), ["tech_aproval"]);
        assert_eq!(check_text(md, &RULE)[0].help.as_deref(), Some("did you mean `tech_approval`?"));
    }

    #[test]
    fn unshown_jobs_are_fragments() {
        let md =
            "# T\n\n```yaml\njobs:\n  deploy-production:\n    runs-on: ubuntu-24.04\n    needs: deploy-staging\n```\n";
        assert!(found(md).is_empty());
    }

    #[test]
    fn other_sections_do_not_count() {
        let md = "# A\n\n```yaml\njobs:\n  tech_approval:\n    runs-on: x\n```\n\n# B\n\n```yaml\njobs:\n  deploy:\n    needs: [tech_aproval]\n```\n";
        assert!(found(md).is_empty());
    }
}
