//! RB302 `manifest-schema`: a Cloud Foundry app manifest with unknown keys or malformed values.
use std::sync::LazyLock;

use regex::Regex;

use super::{Parsed, applications, is_variable, manifests};
use crate::diagnostic::Severity;
use crate::embedded::{Node, Value};
use crate::lint::{Group, LintContext, Report, Rule};

pub static RULE: Rule = Rule {
    code: "RB302",
    name: "manifest-schema",
    group: Group::Config,
    severity: Severity::Warning,
    summary: "a cloud foundry manifest has an unknown application key or a malformed value",
    doc: DOC,
    check,
};

const DOC: &str = r"## What it checks

A YAML file block that is a Cloud Foundry manifest (named `manifest.yml` or `manifest.yaml`, or
with a top-level `applications:` list) is checked against the v3 app manifest schema:

- every application key must be a known one (`name`, `memory`, `disk_quota`, `buildpacks`,
  `command`, `instances`, `routes`, `services`, `env`, …); `buildpack` is deprecated and the v6
  route keys (`host`, `hosts`, `domain`, `domains`, `no-hostname`) and `inherit` are gone;
- `memory` and `disk_quota` must be a number with a unit (`512M`, `2GB`);
- `buildpacks` must be a list;
- `instances` must be an integer.

Placeholders and `((variables))` are accepted where a value goes.

## Why it matters

`cf push` rejects a manifest with a malformed size or a removed key, or silently ignores a
misspelt one (`memmory: 2G` deploys with the default memory). The reader finds out during the
deployment.

## Example

```markdown
    ```yaml
    applications:
      - name: APP_NAME
        memory: 2 gigabytes
        buildpack: python_buildpack
        host: my-app
    ```
```

## Use instead

```markdown
    ```yaml
    applications:
      - name: APP_NAME
        memory: 2G
        buildpacks:
          - python_buildpack
        routes:
          - route: my-app.example.org
    ```
```
";

/// Application-level keys of the v3 app manifest (`buildpack` is handled apart: deprecated).
const KNOWN: &[&str] = &[
    "name",
    "buildpacks",
    "command",
    "disk_quota",
    "disk-quota",
    "docker",
    "env",
    "health-check-type",
    "health-check-http-endpoint",
    "health-check-invocation-timeout",
    "health-check-interval",
    "instances",
    "memory",
    "log-rate-limit-per-second",
    "metadata",
    "no-route",
    "path",
    "processes",
    "random-route",
    "routes",
    "services",
    "sidecars",
    "stack",
    "timeout",
    "default-route",
    "readiness-health-check-type",
    "readiness-health-check-http-endpoint",
    "readiness-health-check-invocation-timeout",
    "readiness-health-check-interval",
    "lifecycle",
];

/// v6 route keys that v3 manifests no longer accept.
const ROUTE_KEYS: &[&str] = &["host", "hosts", "domain", "domains", "no-hostname"];

static SIZE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^\d+(M|MB|G|GB|T|TB)$").unwrap());

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let source = &ctx.runbook.source.text;
    for Parsed { docs, .. } in manifests(ctx) {
        for doc in &docs {
            if let Some(apps) = applications(doc) {
                for app in apps {
                    check_app(app, source, report);
                }
            } else if let Some(entry) = doc.entry("applications")
                && !matches!(entry.value.value, Value::Null)
            {
                report
                    .add(entry.value.span, "`applications` should be a list of apps")
                    .help("start each app with `- name: APP_NAME`");
            }
        }
    }
}

fn check_app(app: &Node, source: &str, report: &mut Report) {
    for entry in app.entries() {
        let Some(key) = entry.key.as_str() else { continue };
        let value = &entry.value;
        match key {
            "buildpack" => {
                report
                    .add(entry.key.span, "`buildpack` is deprecated in app manifests")
                    .help("use `buildpacks:` with a list, e.g. `buildpacks: [python_buildpack]`");
            }
            "inherit" => {
                report
                    .add(entry.key.span, "`inherit` is not supported by v3 app manifests")
                    .help("copy the shared settings into this manifest");
            }
            k if ROUTE_KEYS.contains(&k) => {
                report
                    .add(entry.key.span, format!("`{k}` is not an application key of v3 app manifests"))
                    .help("declare routes with `routes:`, e.g. `routes: [{route: HOSTNAME.DOMAIN}]`");
            }
            "memory" | "disk_quota" | "disk-quota" => check_size(key, value, source, report),
            "buildpacks" => {
                if !matches!(value.value, Value::List(_) | Value::Null) {
                    report
                        .add(value.span, "`buildpacks` should be a list")
                        .help("write one buildpack per item, e.g. `buildpacks: [python_buildpack]`");
                }
            }
            "instances" => {
                let ok = match &value.value {
                    Value::Int(i) => *i >= 0,
                    Value::Str(s) => is_variable(s),
                    Value::Null => true,
                    _ => false,
                };
                if !ok {
                    report
                        .add(value.unquoted(source), "`instances` should be a whole number")
                        .help("give the number of app instances, e.g. `instances: 2`");
                }
            }
            k if KNOWN.contains(&k) => {}
            k => {
                let near = KNOWN
                    .iter()
                    .copied()
                    .chain(["buildpack"])
                    .filter(|known| strsim::levenshtein(known, k) <= 2)
                    .min_by_key(|known| strsim::levenshtein(known, k));
                let f = report.add(entry.key.span, format!("unknown application key `{k}`"));
                match near {
                    Some(n) => f.help(format!("did you mean `{n}`?")),
                    None => {
                        f.help("see the Cloud Foundry app manifest attribute reference for the keys `cf push` accepts")
                    }
                };
            }
        }
    }
}

fn check_size(key: &str, value: &Node, source: &str, report: &mut Report) {
    let text = match &value.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => return,
        _ => String::new(),
    };
    if SIZE.is_match(text.trim()) || is_variable(&text) {
        return;
    }
    report
        .add(value.unquoted(source), format!("`{key}` `{text}` is not a size with a unit"))
        .help("write a whole number followed by M, MB, G, GB, T or TB, e.g. `512M` or `2G`");
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::check_text;

    fn found(md: &str) -> Vec<String> {
        crate::lint::flagged(md, &RULE)
    }

    #[test]
    fn valid_manifest_passes() {
        let md = "# T\n\nWrite `manifest.yml`:\n```yml\n---\napplications:\n  - name: <APP_NAME>\n    memory: 2GB\n    disk_quota: 3GB\n    command: gunicorn run:server\n    buildpacks:\n      - python_buildpack\n```\n";
        assert!(found(md).is_empty(), "{:?}", found(md));
    }

    #[test]
    fn bad_keys_and_values() {
        let md = "# T\n\n```yaml\napplications:\n- name: a\n  memmory: 2G\n  memory: 2 gigabytes\n  disk_quota: 1024\n  buildpack: python_buildpack\n  buildpacks: python_buildpack\n  instances: two\n  host: a\n```\n";
        assert_eq!(found(md), ["memmory", "2 gigabytes", "1024", "buildpack", "python_buildpack", "two", "host"]);
        let f = check_text(md, &RULE);
        assert_eq!(f[0].help.as_deref(), Some("did you mean `memory`?"));
    }

    #[test]
    fn variables_are_accepted() {
        let md = "# T\n\n```yaml\napplications:\n- name: a\n  memory: ((memory))\n  instances: INSTANCES\n  disk_quota: <DISK>\n```\n";
        assert!(found(md).is_empty());
    }

    #[test]
    fn other_yaml_is_ignored() {
        assert!(found("# T\n\n```yaml\nfoo:\n  memory: lots\n```\n").is_empty());
    }
}
