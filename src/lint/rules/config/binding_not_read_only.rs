//! RB307 `binding-not-read-only`: an app under the read-only policy is bound to a service in a
//! way that is not provably read-only.
use std::sync::LazyLock;

use regex::Regex;

use super::{Parsed, applications, command_span, is_placeholder, manifests};
use crate::cf::{self, Role};
use crate::diagnostic::Severity;
use crate::embedded::{self, Lang, Node};
use crate::lint::{Group, LintContext, Report, Rule};
use crate::markdown::BlockKind as MdBlock;
use crate::params::canonical;
use crate::shell;
use crate::source::{OffsetMap, Span};
use crate::steps::{BlockKind, StepBlock};

pub static RULE: Rule = Rule {
    code: "RB307",
    name: "binding-not-read-only",
    group: Group::Config,
    severity: Severity::Error,
    summary: "an app under the read-only policy is bound to a service without provably read-only permissions",
    doc: DOC,
    check,
};

const DOC: &str = r#"## What it checks

Service bindings of apps that must only read (the front matter's
`policies: read-only-bindings`, `[policy] read-only-apps` in `runbook.toml`, or, when neither
names an app, a sentence of the section such as "the app should only have read-only
permissions", which puts every app bound in that section under the policy).

Each `cf bind-service APP SERVICE` (also `cf bs`, in a command block or inline) and each
manifest `services:` entry of such an app must set `"permissions": "read-only"`: through the
JSON file it reads with `-c FILE` (shown in the guide), inline JSON (`-c '{...}'`), the
manifest entry's `parameters:`, or a placeholder whose value is `read-only`. A binding that
sets `read-write`, sets no permissions, or leaves them to a placeholder without a value is
reported.

## Why it matters

A binding without parameters gets the broker's default, which for an S3 bucket is
read-write: the app can then overwrite or delete the data it should only read, and so can
anyone who compromises it.

## Example

```markdown
The report app should only have read-only permissions.

    ```json
    {"permissions": "PERMISSION"}
    ```

    ```bash
    cf bind-service REPORT_APP BUCKET_SERVICE -c params.json
    ```
```

## Use instead

```markdown
The report app should only have read-only permissions.

    ```json
    {"permissions": "read-only"}
    ```

    ```bash
    cf bind-service REPORT_APP BUCKET_SERVICE -c params.json
    ```
```
"#;

/// How a binding's permissions turned out.
enum Verdict {
    ReadOnly,
    ReadWrite,
    Other(String),
    /// Not provable: the help that says why and how to fix it.
    Unprovable(String),
}

static POLICY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bonly\s+(?:have\s+)?[*_`]*read[- ]?only\b|\bread[- ]?only[*_`]*\s+permissions?\b").unwrap()
});

const READ_ONLY_JSON: &str = r#"{"permissions": "read-only"}"#;

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let source = &ctx.runbook.source.text;
    let manifests = manifests(ctx);
    for step in &ctx.runbook.steps {
        for block in step.blocks.iter().filter(|b| b.kind == BlockKind::Command) {
            for cmd in &block.commands {
                for words in shell::words(&cmd.text) {
                    if words.len() < 4 || words[0].text != "cf" {
                        continue;
                    }
                    let Some(("bind-service", _)) = cf::grammar().command(&words[1].text) else { continue };
                    let Some(roles) = cf::roles(&words) else { continue };
                    let positionals: Vec<&str> = words
                        .iter()
                        .zip(&roles)
                        .filter(|(_, r)| matches!(r, Role::Positional(_)))
                        .map(|(w, _)| w.text.as_str())
                        .collect();
                    let [app, service, ..] = positionals[..] else { continue };
                    let Some(note) = policy(ctx, &step.section, app, service) else { continue };
                    let param = words
                        .iter()
                        .zip(&roles)
                        .find(|(_, r)| matches!(r, Role::FlagValue(f) if f == "c"))
                        .map(|(w, _)| w.text.as_str());
                    let last = words.last().map_or(words[0].end, |w| w.end);
                    let span = command_span(source, cmd, words[0].start, last);
                    let verdict = match param {
                        Some(p) => from_parameter(ctx, p, span.start),
                        None => from_manifest(ctx, &manifests, app, service).unwrap_or_else(|| {
                            Verdict::Unprovable(format!(
                                "it passes no parameters, so the broker's default (usually read-write) applies: add `-c '{READ_ONLY_JSON}'`"
                            ))
                        }),
                    };
                    emit(report, verdict, span, app, service, note);
                }
            }
        }
    }
    for Parsed { section, docs, .. } in &manifests {
        for app_node in docs.iter().filter_map(applications).flatten() {
            let Some(app) = app_node.get("name").and_then(Node::as_str) else { continue };
            for entry in app_node.get("services").and_then(Node::as_list).unwrap_or(&[]) {
                let Some(service) = entry.as_str().or_else(|| entry.get("name").and_then(Node::as_str)) else {
                    continue;
                };
                let Some(note) = policy(ctx, section, app, service) else { continue };
                let verdict = match entry.get("parameters") {
                    Some(params) => from_node(ctx, params, "the manifest entry's `parameters`"),
                    None => Verdict::Unprovable(
                        "the manifest binds it without `parameters`: write the entry as `{name: SERVICE, parameters: {permissions: read-only}}`".into(),
                    ),
                };
                emit(report, verdict, entry.span, app, service, note);
            }
        }
    }
}

fn emit(report: &mut Report, verdict: Verdict, span: Span, app: &str, service: &str, note: Option<(String, Span)>) {
    let f = match verdict {
        Verdict::ReadOnly => return,
        Verdict::ReadWrite => report
            .add(span, format!("binds `{app}` to `{service}` read-write"))
            .help(format!("the policy requires read-only bindings: set `{READ_ONLY_JSON}`")),
        Verdict::Other(p) => report
            .add(span, format!("binds `{app}` to `{service}` with permissions `{p}`, not read-only"))
            .help(format!("set `{READ_ONLY_JSON}`")),
        Verdict::Unprovable(why) => {
            report.add(span, format!("binding of `{app}` to `{service}` is not provably read-only")).help(why)
        }
    };
    if let Some((message, at)) = note {
        f.note(message, at);
    }
}

/// Whether an app's binding to a service falls under the read-only policy; `Some(note)` with
/// where the policy is stated, when known.
#[allow(clippy::option_option)]
fn policy(ctx: &LintContext<'_>, section: &str, app: &str, service: &str) -> Option<Option<(String, Span)>> {
    if !ctx.read_only_apps.is_empty() {
        let names = |declared: &str| same(ctx, declared, app);
        if !ctx.read_only_apps.iter().any(|a| names(a)) {
            return None;
        }
        let declared: Vec<_> = ctx.runbook.front_matter.read_only_bindings.iter().filter(|b| names(&b.app)).collect();
        if declared.is_empty() {
            return Some(None);
        }
        let entry = declared.iter().find(|b| same(ctx, &b.service, service))?;
        return Some(Some(("the policy is declared here".into(), entry.span)));
    }
    let span = stated_policy(ctx, section)?;
    Some(Some(("the policy is stated here".into(), span)))
}

/// Whether a declared name (`APP_NAME`) and a word of the guide (`APP_NAME`, `<APP_NAME>`,
/// or the placeholder's value) name the same thing.
fn same(ctx: &LintContext<'_>, declared: &str, word: &str) -> bool {
    let (d, w) = (canonical(declared), canonical(word));
    d == w || ctx.value(&d).is_some_and(|v| v == word.trim())
}

/// The sentence of a section that puts its bindings under the read-only policy.
fn stated_policy(ctx: &LintContext<'_>, section: &str) -> Option<Span> {
    let doc = &ctx.runbook.document;
    let (heading, _) = doc.heading_by_slug(section)?;
    doc.blocks.iter().filter(|b| b.section == Some(heading) && matches!(b.kind, MdBlock::Paragraph(_))).find_map(|b| {
        let text = ctx.runbook.source.slice(b.span);
        let m = POLICY.find(text)?;
        let (start, end) = sentence(text, m.start(), m.end());
        Some(Span::new(b.span.start + start, b.span.start + end))
    })
}

/// The sentence around `start..end` of a paragraph's text.
fn sentence(text: &str, start: usize, end: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let mut s = start;
    while s > 0 {
        let boundary = b[s - 1].is_ascii_whitespace() && s >= 2 && matches!(b[s - 2], b'.' | b'!' | b'?' | b'\n');
        if boundary {
            break;
        }
        s -= 1;
    }
    let mut e = end;
    while e < b.len() {
        if matches!(b[e], b'.' | b'!' | b'?') && b.get(e + 1).is_none_or(u8::is_ascii_whitespace) {
            e += 1;
            break;
        }
        e += 1;
    }
    while s < e && b[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// The permissions set by a `-c` argument: inline JSON, a placeholder whose value is JSON, or a
/// file the guide shows.
fn from_parameter(ctx: &LintContext<'_>, param: &str, at: usize) -> Verdict {
    let raw = param.trim().trim_matches('`').trim();
    if raw.starts_with('{') {
        return from_json(ctx, raw, "the inline JSON");
    }
    if is_placeholder(raw)
        && let Some(value) = ctx.value(&canonical(raw))
        && value.trim().starts_with('{')
    {
        return from_json(ctx, value, &format!("the value of `{}`", canonical(raw)));
    }
    let file = find_file(ctx, raw, at).or_else(|| {
        let value = ctx.value(&canonical(raw)).filter(|_| is_placeholder(raw))?;
        find_file(ctx, value, at)
    });
    match file {
        Some(block) => from_json(ctx, &block.text, &format!("`{raw}`")),
        None => Verdict::Unprovable(format!(
            "the guide does not show the parameters file `{raw}`: show it with `{READ_ONLY_JSON}`, or pass the JSON inline"
        )),
    }
}

fn from_json(ctx: &LintContext<'_>, text: &str, origin: &str) -> Verdict {
    match embedded::parse(text, Lang::Json, &OffsetMap::contiguous(0)) {
        Ok(docs) => match docs.first() {
            Some(root) => from_node(ctx, root, origin),
            None => Verdict::Unprovable(format!("{origin} is empty: write `{READ_ONLY_JSON}`")),
        },
        Err(_) => Verdict::Unprovable(format!("{origin} is not valid JSON: write `{READ_ONLY_JSON}`")),
    }
}

fn from_node(ctx: &LintContext<'_>, root: &Node, origin: &str) -> Verdict {
    match root.get("permissions") {
        None => Verdict::Unprovable(format!("{origin} sets no `permissions`: add `\"permissions\": \"read-only\"`")),
        Some(p) => match p.as_str() {
            Some(s) => resolve(ctx, s, origin),
            None => Verdict::Unprovable(format!("`permissions` in {origin} is not a string: write `\"read-only\"`")),
        },
    }
}

fn resolve(ctx: &LintContext<'_>, permission: &str, origin: &str) -> Verdict {
    let exact = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "read-only" => Some(Verdict::ReadOnly),
        "read-write" => Some(Verdict::ReadWrite),
        _ => None,
    };
    if let Some(v) = exact(permission) {
        return v;
    }
    if is_placeholder(permission) {
        let name = canonical(permission);
        return match ctx.value(&name) {
            Some(value) => exact(value).unwrap_or_else(|| Verdict::Other(value.to_string())),
            None => Verdict::Unprovable(format!(
                "{origin} sets `permissions` to the placeholder `{name}`, which has no value: give `{name}` the value `read-only` (a front matter `default:`), or write `read-only` in its place"
            )),
        };
    }
    Verdict::Other(permission.to_string())
}

/// The file block the guide writes under `name`: the last one before `at`, else the first.
fn find_file<'a>(ctx: &LintContext<'a>, name: &str, at: usize) -> Option<&'a StepBlock> {
    let base = |s: &str| s.trim().trim_start_matches("./").to_string();
    let matches = |f: &str| {
        base(f) == base(name) || (is_placeholder(f) && is_placeholder(name) && canonical(f) == canonical(name))
    };
    let files: Vec<&StepBlock> = ctx
        .runbook
        .steps
        .iter()
        .flat_map(|s| &s.blocks)
        .filter(|b| b.kind == BlockKind::File && b.file.as_deref().is_some_and(matches))
        .collect();
    files.iter().rev().find(|b| b.span.start < at).or(files.first()).copied()
}

/// Permissions set for the binding by a manifest `services:` entry with `parameters`.
fn from_manifest(ctx: &LintContext<'_>, manifests: &[Parsed<'_>], app: &str, service: &str) -> Option<Verdict> {
    let apps = manifests.iter().flat_map(|m| &m.docs).filter_map(applications).flatten();
    for a in apps.filter(|a| a.get("name").and_then(Node::as_str).is_some_and(|n| canonical(n) == canonical(app))) {
        for entry in a.get("services").and_then(Node::as_list).unwrap_or(&[]) {
            let named = entry.get("name").and_then(Node::as_str).is_some_and(|n| canonical(n) == canonical(service));
            if let (true, Some(params)) = (named, entry.get("parameters")) {
                return Some(from_node(ctx, params, "the manifest entry's `parameters`"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::{Finding, check_text};

    fn found(md: &str) -> Vec<(usize, String)> {
        let src = crate::source::SourceFile::new("t.md", md);
        check_text(md, &RULE).iter().map(|f| (src.line_col(f.span.start).line, f.message.clone())).collect()
    }

    fn findings(md: &str) -> Vec<Finding> {
        check_text(md, &RULE)
    }

    const PROSE: &str = "# T\n\n## Bind\n\nWrite a json file:\n```json\n{\"permissions\": \"ACCESS_MODE\"}\n```\n\n```bash\ncf bind-service APP_NAME SERVICE_NAME -c <json.file>\n```\n\nChoose `read-write` or `read-only` access. This app may only have read-only access.\n\nInline form:\n```bash\ncf bs APP_NAME SERVICE_NAME -c `{\"permissions\": \"ACCESS_MODE\"}`\n```\n";

    #[test]
    fn prose_policy_and_placeholder_without_value() {
        let f = findings(PROSE);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(&PROSE[f[0].span.start..f[0].span.end], "cf bind-service APP_NAME SERVICE_NAME -c <json.file>");
        let (note, at) = f[0].note.clone().unwrap();
        assert_eq!(note, "the policy is stated here");
        assert_eq!(&PROSE[at.start..at.end], "This app may only have read-only access.");
        assert!(f[1].message.contains("not provably read-only"));
    }

    #[test]
    fn read_write_and_missing_parameters() {
        let md = "---\npolicies:\n  read-only-bindings:\n    - {app: APP_NAME, service: SERVICE_NAME}\n---\n# T\n\n```bash\ncf bind-service APP_NAME SERVICE_NAME -c '{\"permissions\": \"read-write\"}'\n```\n\n```bash\ncf bind-service APP_NAME SERVICE_NAME\n```\n\n```bash\ncf bind-service APP_NAME OTHER_SERVICE\ncf bind-service OTHER_APP SERVICE_NAME\n```\n";
        let got = found(md);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], (9, "binds `APP_NAME` to `SERVICE_NAME` read-write".into()));
        assert_eq!(got[1].0, 13);
        assert_eq!(findings(md)[0].note.as_ref().unwrap().0, "the policy is declared here");
    }

    #[test]
    fn read_only_file_and_inline_pass() {
        let md = "---\npolicies:\n  read-only-bindings:\n    - {app: APP_NAME, service: SERVICE_NAME}\n---\n# T\n\n1. Write the parameters:\n   ```json {kind=file file=read-only.json}\n   {\"permissions\": \"read-only\"}\n   ```\n2. Bind:\n   ```bash\n   cf bind-service APP_NAME SERVICE_NAME -c read-only.json\n   ```\n3. Or inline:\n   ```bash\n   cf bind-service APP_NAME SERVICE_NAME -c '{\"permissions\": \"read-only\"}'\n   ```\n";
        assert!(found(md).is_empty(), "{:?}", found(md));
    }

    #[test]
    fn placeholder_with_a_read_only_value_passes() {
        let md = "---\nplaceholders:\n  ACCESS_MODE: {default: read-only}\n---\n# T\n\nThe app should only have read-only permissions.\n\n```bash\ncf bind-service APP_NAME SERVICE_NAME -c '{\"permissions\": \"ACCESS_MODE\"}'\n```\n";
        assert!(found(md).is_empty(), "{:?}", found(md));
        let rw = md.replace("default: read-only", "default: read-write");
        assert_eq!(found(&rw), [(10, "binds `APP_NAME` to `SERVICE_NAME` read-write".to_string())]);
    }

    #[test]
    fn no_policy_no_finding() {
        let md = "# T\n\n```bash\ncf bind-service APP_NAME SERVICE_NAME\n```\n";
        assert!(found(md).is_empty());
    }

    #[test]
    fn manifest_services_need_parameters() {
        let md = "---\npolicies:\n  read-only-bindings:\n    - {app: APP_NAME, service: SERVICE_NAME}\n---\n# T\n\nWrite `manifest.yml`:\n```yaml\napplications:\n  - name: APP_NAME\n    services:\n      - SERVICE_NAME\n      - name: SERVICE_NAME\n        parameters:\n          permissions: read-only\n```\n";
        let got = found(md);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 13);
    }
}
