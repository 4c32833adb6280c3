//! RB306 `plain-text-secret-in-workflow`: a workflow gives a secret-named key a literal value.
use super::{tokens, workflows};
use crate::diagnostic::Severity;
use crate::embedded::{Node, Value};
use crate::lint::{Group, LintContext, Report, Rule};

pub static RULE: Rule = Rule {
    code: "RB306",
    name: "plain-text-secret-in-workflow",
    group: Group::Config,
    severity: Severity::Error,
    summary: "a workflow gives a token, password, secret or key a literal value",
    doc: DOC,
    check,
};

const DOC: &str = r"## What it checks

Keys of GitHub Actions workflow blocks (under `env:`, `with:`, `secrets:` or anywhere else)
whose name says they hold a credential (`token`, `password`, `secret`, `..._KEY`, `api-key`)
and whose value is written out literally instead of read from an expression
(`${{ secrets.NAME }}`, `${{ vars.NAME }}`) or an environment variable (`$NAME`). Names that
only describe a credential (`key` of a cache, `..._name`, `..._path`, `..._id`, `public-key`)
are not checked.

## Why it matters

A workflow file is committed to the repository: a literal credential in it is readable by
everyone with read access, stays in the history after it is removed, and cannot be rotated
without editing the workflow.

## Example

```markdown
    ```yaml
    jobs:
      upload:
        runs-on: ubuntu-24.04
        env:
          AWS_SECRET_ACCESS_KEY: wJalrEXAMPLEKEYnotreal
    ```
```

## Use instead

```markdown
    ```yaml
    jobs:
      upload:
        runs-on: ubuntu-24.04
        env:
          AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
    ```
```
";

/// Last words that make a name describe a credential rather than hold one.
const DESCRIPTIVE: &[&str] = &[
    "name",
    "names",
    "path",
    "file",
    "url",
    "id",
    "type",
    "format",
    "length",
    "prefix",
    "header",
    "version",
    "region",
    "count",
    "size",
    "env",
    "var",
    "hint",
    "description",
    "required",
    "expiry",
    "expires",
    "ttl",
];
const COMPOUNDS: &[&str] = &["apikey", "accesskey", "secretkey", "privatekey", "signingkey", "authkey"];

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let source = &ctx.runbook.source.text;
    for parsed in workflows(ctx) {
        for doc in &parsed.docs {
            let mut hits = Vec::new();
            walk(doc, &mut hits);
            for (key, value) in hits {
                report.add(value.unquoted(source), format!("`{key}` is given a literal value in the workflow")).help(
                    format!(
                        "store it as a repository or environment secret and use `${{{{ secrets.{} }}}}`",
                        secret_name(key)
                    ),
                );
            }
        }
    }
}

fn walk<'a>(node: &'a Node, out: &mut Vec<(&'a str, &'a Node)>) {
    for entry in node.entries() {
        let Some(key) = entry.key.as_str() else { continue };
        if key == "run" {
            continue;
        }
        if let Value::Str(s) = &entry.value.value {
            if holds_secret(key) && is_literal(s) {
                out.push((key, &entry.value));
            }
        } else {
            walk(&entry.value, out);
        }
    }
    for item in node.as_list().unwrap_or(&[]) {
        walk(item, out);
    }
}

/// Whether a key's name says it holds a credential.
fn holds_secret(key: &str) -> bool {
    let words = tokens(key);
    if words.len() == 1 && words[0] == "key" {
        return false;
    }
    if words.iter().any(|w| w == "public") || words.last().is_some_and(|w| DESCRIPTIVE.contains(&w.as_str())) {
        return false;
    }
    words.iter().any(|w| {
        matches!(w.as_str(), "token" | "password" | "passwd" | "secret" | "key")
            || w.ends_with("token")
            || w.ends_with("password")
            || COMPOUNDS.contains(&w.as_str())
    })
}

/// A value written out, not read from an expression or the environment.
fn is_literal(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty() || v.contains("${{") || v.starts_with('$'))
}

/// An upper-case secret name for the help (`api-token` → `API_TOKEN`).
fn secret_name(key: &str) -> String {
    tokens(key).join("_").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::check_text;

    fn found(md: &str) -> Vec<String> {
        crate::lint::flagged(md, &RULE)
    }

    #[test]
    fn literal_credentials() {
        let md = "# T\n\n```yaml\njobs:\n  a:\n    runs-on: x\n    env:\n      API_TOKEN: abc123\n      DB_PASSWORD: 'hunter2'\n    steps:\n      - uses: some/action@v1\n        with:\n          apiKey: k-123\n```\n";
        assert_eq!(found(md), ["abc123", "hunter2", "k-123"]);
        assert_eq!(
            check_text(md, &RULE)[0].help.as_deref(),
            Some("store it as a repository or environment secret and use `${{ secrets.API_TOKEN }}`")
        );
    }

    #[test]
    fn references_and_descriptive_names_pass() {
        let md = "# T\n\n```yaml\njobs:\n  a:\n    runs-on: x\n    env:\n      AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n      TOKEN: $GITHUB_TOKEN\n      SECRET_NAME: prod\n      AWS_ACCESS_KEY_ID: ${{ vars.KEY_ID }}\n    steps:\n      - uses: actions/cache@v4\n        with:\n          key: pip-cache\n          public-key: abc\n      - run: echo token=abc\n```\n";
        assert!(found(md).is_empty(), "{:?}", found(md));
    }
}
