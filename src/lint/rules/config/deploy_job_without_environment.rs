//! RB304 `deploy-job-without-environment`: a deployment job with no environment and no gate.
use std::collections::{BTreeMap, BTreeSet};

use super::workflow_needs_missing_job::needs;
use super::{jobs, sections, tokens, workflows};
use crate::diagnostic::Severity;
use crate::embedded::{Node, Value};
use crate::lint::{Group, LintContext, Report, Rule};
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "RB304",
    name: "deploy-job-without-environment",
    group: Group::Config,
    severity: Severity::Warning,
    summary: "a workflow deployment job has no environment and needs no job that has one",
    doc: DOC,
    check,
};

const DOC: &str = r"## What it checks

A GitHub Actions job whose id or `name:` speaks of deploying or production (`deploy`,
`production`, `prod`, `release`) should run in an `environment:`, so that the environment's
protection rules (required reviewers, wait timers, branch rules) and secrets apply. A job
without one is accepted when it `needs:` (directly or through other jobs) a job that has an
environment, such as an approval job. The workflow blocks of a section are read together, and
a job shown in several blocks counts as one.

## Why it matters

Without an environment, nothing stops a push from reaching production: required reviewers
only hold jobs that name their environment, and environment secrets are not available to the
job.

## Example

```markdown
    ```yaml
    jobs:
      deploy-production:
        runs-on: ubuntu-24.04
        steps:
          - run: ./deploy.sh
    ```
```

## Use instead

```markdown
    ```yaml
    jobs:
      deploy-production:
        runs-on: ubuntu-24.04
        environment: production
        steps:
          - run: ./deploy.sh
    ```
```
";

/// What the blocks of a section show of one job.
#[derive(Default)]
struct Job {
    span: Option<Span>,
    names: Vec<String>,
    environment: bool,
    reusable: bool,
    needs: BTreeSet<String>,
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let parsed = workflows(ctx);
    for section in sections(&parsed) {
        let mut all: BTreeMap<&str, Job> = BTreeMap::new();
        let mut order: Vec<&str> = Vec::new();
        for doc in parsed.iter().filter(|p| p.section == section).flat_map(|p| &p.docs) {
            for entry in jobs(doc) {
                let Some(id) = entry.key.as_str() else { continue };
                if !all.contains_key(id) {
                    order.push(id);
                }
                let job = all.entry(id).or_default();
                job.span.get_or_insert(entry.key.span);
                merge(job, &entry.value);
            }
        }
        for id in order {
            let job = &all[id];
            if job.environment || job.reusable || !deploys(id, &job.names) || gated(id, &all) {
                continue;
            }
            let Some(span) = job.span else { continue };
            report
                .add(span, format!("deployment job `{id}` runs without an `environment`"))
                .help("add `environment: production` (with required reviewers), or make the job `needs:` an approval job that has an environment");
        }
    }
}

fn merge(job: &mut Job, node: &Node) {
    if let Some(env) = node.get("environment")
        && !matches!(env.value, Value::Null)
    {
        job.environment = true;
    }
    job.reusable |= node.get("uses").is_some();
    if let Some(name) = node.get("name").and_then(Node::as_str) {
        job.names.push(name.to_string());
    }
    job.needs.extend(needs(node).into_iter().filter_map(Node::as_str).map(str::to_string));
}

/// Whether a job's id or name speaks of deploying, production or releasing.
fn deploys(id: &str, names: &[String]) -> bool {
    std::iter::once(id)
        .chain(names.iter().map(String::as_str))
        .flat_map(tokens)
        .any(|t| t.starts_with("deploy") || t == "production" || t == "prod" || t == "release" || t == "releases")
}

/// Whether a job needs, directly or not, a shown job that has an environment.
fn gated(id: &str, all: &BTreeMap<&str, Job>) -> bool {
    let mut seen: BTreeSet<&str> = BTreeSet::from([id]);
    let mut todo: Vec<&str> = vec![id];
    while let Some(j) = todo.pop() {
        let Some(job) = all.get(j) else { continue };
        for n in &job.needs {
            let Some((&key, dep)) = all.get_key_value(n.as_str()) else { continue };
            if dep.environment {
                return true;
            }
            if seen.insert(key) {
                todo.push(key);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::RULE;

    fn found(md: &str) -> Vec<String> {
        crate::lint::flagged(md, &RULE)
    }

    #[test]
    fn ungated_deploy_job() {
        let md = "# T\n\n```yaml\njobs:\n  build:\n    runs-on: x\n  ship:\n    name: Release to production\n    runs-on: x\n    needs: build\n```\n";
        assert_eq!(found(md), ["ship"]);
    }

    #[test]
    fn environment_or_approval_gate_passes() {
        let md = "# T\n\n1. Approvals:\n```yml\njobs:\n  tech_approval:\n    environment: 'prod-tech'\n    runs-on: x\n  product_approval:\n    environment: 'prod-product'\n    runs-on: x\n```\n2. Deploy:\n```yml\njobs:\n  deploy-production:\n    runs-on: x\n    needs: [product_approval, tech_approval]\n  deploy-production-2:\n    environment: production\n```\n";
        assert!(found(md).is_empty(), "{:?}", found(md));
    }

    #[test]
    fn product_is_not_prod() {
        let md = "# T\n\n```yaml\njobs:\n  product_tests:\n    runs-on: x\n```\n";
        assert!(found(md).is_empty());
    }
}
