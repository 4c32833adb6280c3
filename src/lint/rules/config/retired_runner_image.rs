//! RB305 `retired-runner-image`: a workflow runs on a GitHub-hosted runner image that was retired.
use super::workflows;
use crate::diagnostic::Severity;
use crate::embedded::{Node, Value};
use crate::lint::{Group, LintContext, Report, Rule};

pub static RULE: Rule = Rule {
    code: "RB305",
    name: "retired-runner-image",
    group: Group::Config,
    severity: Severity::Warning,
    summary: "a workflow job runs on a retired github-hosted runner image",
    doc: DOC,
    check,
};

const DOC: &str = r"## What it checks

`runs-on:` values (a label, a list of labels or `labels:` of a group) and `strategy.matrix`
values of GitHub Actions workflow blocks that name a GitHub-hosted runner image GitHub has
retired: `ubuntu-18.04`, `ubuntu-20.04`, `windows-2016`, `windows-2019`, `macos-10.15`,
`macos-11`, `macos-12` and `macos-13`.

## Why it matters

GitHub no longer provides these images: a job that asks for one waits for a runner that never
comes, or fails at once. A reader who copies the workflow gets a deployment that never runs.

## Example

```markdown
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-20.04
    ```
```

## Use instead

```markdown
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-24.04
    ```
```
";

/// Retired images and what to use instead.
const RETIRED: &[(&str, &str)] = &[
    ("ubuntu-18.04", "use `ubuntu-24.04` or `ubuntu-latest`"),
    ("ubuntu-20.04", "use `ubuntu-24.04` or `ubuntu-latest`"),
    ("windows-2016", "use `windows-2025` or `windows-latest`"),
    ("windows-2019", "use `windows-2025` or `windows-latest`"),
    ("macos-10.15", "use `macos-15` (`macos-15-intel` for x64) or `macos-latest`"),
    ("macos-11", "use `macos-15` (`macos-15-intel` for x64) or `macos-latest`"),
    ("macos-12", "use `macos-15` (`macos-15-intel` for x64) or `macos-latest`"),
    ("macos-13", "use `macos-15` (`macos-15-intel` for x64) or `macos-latest`"),
];

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let source = &ctx.runbook.source.text;
    for parsed in workflows(ctx) {
        for doc in &parsed.docs {
            let mut labels = Vec::new();
            collect(doc, &mut labels);
            for label in labels {
                let Some(text) = label.as_str() else { continue };
                let Some((image, help)) = RETIRED.iter().find(|(r, _)| r.eq_ignore_ascii_case(text.trim())) else {
                    continue;
                };
                report.add(label.unquoted(source), format!("runner image `{image}` has been retired")).help(*help);
            }
        }
    }
}

/// The runner labels of a workflow tree: values of `runs-on` (string, list, or `labels:` of a
/// group) and values under `strategy.matrix`.
fn collect<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    for entry in node.entries() {
        match entry.key.as_str() {
            Some("runs-on") => match &entry.value.value {
                Value::Str(_) => out.push(&entry.value),
                Value::List(l) => out.extend(l),
                Value::Map(_) => {
                    if let Some(labels) = entry.value.get("labels") {
                        match labels.as_list() {
                            Some(l) => out.extend(l),
                            None => out.push(labels),
                        }
                    }
                }
                _ => {}
            },
            Some("matrix") => scalars(&entry.value, out),
            _ => collect(&entry.value, out),
        }
    }
    if let Some(items) = node.as_list() {
        for item in items {
            collect(item, out);
        }
    }
}

fn scalars<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    match &node.value {
        Value::Str(_) => out.push(node),
        Value::List(l) => l.iter().for_each(|n| scalars(n, out)),
        Value::Map(m) => m.iter().for_each(|e| scalars(&e.value, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::check_text;

    fn found(md: &str) -> Vec<String> {
        crate::lint::flagged(md, &RULE)
    }

    #[test]
    fn retired_labels_in_every_form() {
        let md = "# T\n\n```yaml\njobs:\n  a:\n    runs-on: 'ubuntu-20.04'\n  b:\n    runs-on: [self-hosted, macos-12]\n  c:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [ubuntu-18.04, ubuntu-24.04]\n```\n";
        assert_eq!(found(md), ["ubuntu-20.04", "macos-12", "ubuntu-18.04"]);
        assert_eq!(check_text(md, &RULE)[0].help.as_deref(), Some("use `ubuntu-24.04` or `ubuntu-latest`"));
    }

    #[test]
    fn current_images_pass() {
        let md = "```\njobs:\n  a:\n    runs-on: ubuntu-24.04\n  b:\n    runs-on: ubuntu-latest\n```\n";
        assert!(found(md).is_empty());
    }
}
