//! RB504 `secret-in-manifest-env`: a cf manifest whose `env:` sets a secret.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::steps::BlockKind;

use super::util::{self, Lang};

pub static RULE: Rule = Rule {
    code: "RB504",
    name: "secret-in-manifest-env",
    group: Group::Secrets,
    severity: Severity::Error,
    summary: "a cf manifest whose `env:` sets a secret",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

YAML with a top-level `applications:` key (a cf manifest) whose `env:` section gives a \
secret-named variable (`AWS_SECRET_ACCESS_KEY`, `API_TOKEN`, `DB_PASSWORD`…) a value: a \
literal or a placeholder the reader is to fill in. A `((variable))` filled at push time from \
`--var` or `--vars-file` is fine.

## Why it matters

`manifest.yml` lives next to the code and is committed with it, so a secret in its `env:` is \
a secret in version control, readable by everyone who can read the repository and kept in \
its history after it is removed.

## Example

````markdown
```yaml
applications:
  - name: my-app
    env:
      API_TOKEN: API_TOKEN_VALUE
```
````

## Use instead

````markdown
```yaml
applications:
  - name: my-app
```

```bash
cf set-env my-app API_TOKEN \"$API_TOKEN\"
```
````
";

static APPLICATIONS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^applications[ \t]*:").unwrap());
static KEY_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?[ \t]*:(?:[ \t]+(.*))?$"#).unwrap());

/// The column where a line's key starts (after indentation and a `- ` list marker).
fn key_column(line: &str) -> usize {
    let mut col = line.len() - line.trim_start().len();
    let mut rest = line.trim_start();
    while let Some(r) = rest.strip_prefix("- ") {
        let r2 = r.trim_start();
        col += rest.len() - r2.len();
        rest = r2;
    }
    col
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    for unit in util::units(ctx) {
        if unit.lang != Lang::Data || unit.block.is_none_or(|b| b.kind == BlockKind::Output) {
            continue;
        }
        let text = unit.text;
        if !APPLICATIONS.is_match(text) {
            continue;
        }
        let mut env: Option<usize> = None;
        let mut child: Option<usize> = None;
        let mut offset = 0;
        for raw in text.split_inclusive('\n') {
            let line_start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let col = key_column(line);
            let key_text = &line[col..];
            if let Some(env_col) = env {
                if col > env_col {
                    let child_col = *child.get_or_insert(col);
                    if col != child_col {
                        continue;
                    }
                    let Some(c) = KEY_VALUE.captures(key_text) else { continue };
                    let (key, Some(value)) = (&c[1], c.get(2)) else { continue };
                    if !util::secret_name(key) {
                        continue;
                    }
                    let raw_value = value.as_str();
                    let cut = match raw_value.chars().next() {
                        Some(q @ ('"' | '\'')) => raw_value[1..].find(q).map_or(raw_value.len(), |e| e + 2),
                        _ => raw_value.find(" #").unwrap_or(raw_value.len()),
                    };
                    let v = raw_value[..cut].trim_end();
                    let inner = v.trim_matches(|c| c == '"' || c == '\'');
                    if inner.is_empty() || inner.starts_with("((") || inner.starts_with('$') {
                        continue;
                    }
                    let start = line_start + col + value.start();
                    report
                        .add(
                            unit.span(start, start + v.len()),
                            format!("the manifest's `env:` sets the secret `{key}`"),
                        )
                        .help(format!(
                            "remove it from the manifest and set it with `cf set-env APP_NAME {key} \"${key}\"`, \
                             or use `(({}))` filled from a vars file kept out of version control",
                            key.to_ascii_lowercase()
                        ));
                    continue;
                }
                env = None;
                child = None;
            }
            if KEY_VALUE.captures(key_text).is_some_and(|c| {
                &c[1] == "env"
                    && c.get(2).is_none_or(|v| v.as_str().trim().is_empty() || v.as_str().trim_start().starts_with('#'))
            }) {
                env = Some(col);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn spans(text: &str) -> Vec<String> {
        check_text(text, &RULE).iter().map(|f| text[f.span.start..f.span.end].to_string()).collect()
    }

    #[test]
    fn secrets_in_env() {
        let text = "```yaml\napplications:\n  - name: app\n    env:\n      STAGE: production\n      API_TOKEN: API_TOKEN_VALUE\n      DB_PASSWORD: \"s3cr3t\" # old\n    memory: 1G\n```\n";
        assert_eq!(spans(text), ["API_TOKEN_VALUE", "\"s3cr3t\""]);
    }

    #[test]
    fn fine_manifests() {
        let text = "```yaml\napplications:\n- name: app\n  env:\n    API_TOKEN: ((api_token))\n    STAGE: prod\n  password: x\n```\n\n\
                    ```yaml\nenv:\n  API_TOKEN: literal\n```\n";
        assert!(spans(text).is_empty(), "{:?}", spans(text));
    }
}
