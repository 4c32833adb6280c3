//! RB404 `substitution-around-data`: backticks or `$(…)` around data, which the shell would run.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util;

pub static RULE: Rule = Rule {
    code: "RB404",
    name: "substitution-around-data",
    group: Group::Commands,
    severity: Severity::Error,
    summary: "command substitution around data that the shell would try to run",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

Command substitutions, `` `…` `` and `$(…)`, in command blocks whose content is data rather \
than a command: JSON (`{\"key\": \"value\"}`, `[1, 2]`), a placeholder (`` `API_TOKEN` ``, \
`$(<VALUE>)`), a URL or a number. Quoted text is not a substitution in single quotes, and \
substitutions of real commands (`$(cf app my-app --guid)`) are fine.

## Why it matters

The shell runs the content of a substitution as a command and pastes its output in its \
place. `` cf bind-service app svc -c `{\"permissions\": \"read-only\"}` `` makes the shell try to \
run a program called `{permissions:`: it fails with `command not found`, the substitution \
yields nothing, and `cf` gets `-c` without its JSON. Backticks look like Markdown code quotes, \
which is how they end up in commands.

## Example

````markdown
```bash
cf bind-service my-app my-bucket -c `{\"permissions\": \"read-only\"}`
```
````

## Use instead

````markdown
```bash
cf bind-service my-app my-bucket -c '{\"permissions\": \"read-only\"}'
```
````
";

/// Programs and shell builtins that commonly start a substitution.
const PROGRAMS: &[&str] = &[
    "cf",
    "git",
    "gh",
    "aws",
    "jq",
    "yq",
    "curl",
    "wget",
    "cat",
    "echo",
    "printf",
    "date",
    "pwd",
    "basename",
    "dirname",
    "whoami",
    "id",
    "hostname",
    "uname",
    "uuidgen",
    "openssl",
    "head",
    "tail",
    "grep",
    "sed",
    "awk",
    "cut",
    "tr",
    "sort",
    "uniq",
    "wc",
    "xargs",
    "find",
    "ls",
    "python",
    "python3",
    "node",
    "ruby",
    "perl",
    "base64",
    "sha256sum",
    "shasum",
    "md5sum",
    "mktemp",
    "realpath",
    "readlink",
    "command",
    "which",
    "type",
    "test",
    "expr",
    "seq",
    "tee",
    "docker",
    "kubectl",
    "terraform",
    "make",
    "npm",
    "npx",
    "pip",
    "pip3",
    "env",
    "printenv",
    "read",
    "eval",
    "source",
    "true",
    "false",
    "op",
    "vault",
    "pass",
    "security",
    "gpg",
];

static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^-?[0-9]+(?:\.[0-9]+)?$").unwrap());
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:<[A-Za-z][A-Za-z0-9_.\- ]*>|[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)*)$").unwrap());
static URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9+.-]*://\S+$").unwrap());

/// What kind of data a substitution holds, if it is data.
fn data_kind(content: &str) -> Option<&'static str> {
    let t = content.trim();
    if t.is_empty() {
        return None;
    }
    let first = t.split_whitespace().next().unwrap_or("");
    if PROGRAMS.contains(&first) || first.starts_with(['.', '/', '~', '$']) || first.contains('=') {
        return None;
    }
    if let Some(rest) = t.strip_prefix('{') {
        // `{ cmd; }` is a brace group; JSON keys are quoted strings.
        let rest = rest.trim_start();
        if rest.starts_with(['"', '\'', '}']) && !t.ends_with(";}") && !t.ends_with("; }") {
            return Some("JSON");
        }
        return None;
    }
    if let Some(rest) = t.strip_prefix('[') {
        // `[ -f x ]` is `test`; JSON arrays hold values.
        let rest = rest.trim_start();
        if rest.starts_with(['"', '{', '[', ']']) || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Some("JSON");
        }
        return None;
    }
    let angle = t.starts_with('<') && PLACEHOLDER.is_match(t);
    let caps = first == t && t.len() > 1 && !t.contains('-') && PLACEHOLDER.is_match(t);
    if angle || caps {
        return Some("a placeholder");
    }
    if URL.is_match(t) {
        return Some("a URL");
    }
    if NUMBER.is_match(t) {
        return Some("a number");
    }
    None
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    util::scanned_blocks(ctx, |block, text, scan| {
        for sub in &scan.substitutions {
            let content = &text[sub.content.0..sub.content.1];
            let Some(kind) = data_kind(content) else { continue };
            let data = content.trim();
            let shown = if data.chars().count() > 60 {
                format!("{}…", data.chars().take(59).collect::<String>())
            } else {
                data.to_string()
            };
            let how = if sub.backtick { "backticks" } else { "`$(…)`" };
            let finding = report.add(
                util::block_span(block, sub.start, sub.end),
                format!("{how} around {kind}: the shell would try to run `{shown}` as a command"),
            );
            if content.contains('\'') {
                finding.help("write the data as a plain argument, quoted so that the shell passes it unchanged");
            } else {
                finding.help(format!("quote it with single quotes instead: `'{}'`", content.trim()));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn findings(cmds: &str) -> Vec<crate::lint::Finding> {
        check_text(&format!("```bash\n{cmds}\n```\n"), &RULE)
    }

    #[test]
    fn json_in_backticks() {
        let text = "```bash\ncf bind-service A S -c `{\"permissions\": \"P\"}`\n```\n";
        let f = check_text(text, &RULE);
        assert_eq!(f.len(), 1);
        assert_eq!(&text[f[0].span.start..f[0].span.end], "`{\"permissions\": \"P\"}`");
        assert_eq!(f[0].help.as_deref(), Some("quote it with single quotes instead: `'{\"permissions\": \"P\"}'`"));
    }

    #[test]
    fn other_data() {
        assert_eq!(findings("cf set-env app TOKEN `API_TOKEN`").len(), 1);
        assert_eq!(findings("cf curl $([\"a\"])").len(), 1);
        assert_eq!(findings("cf api `https://api.example.com`").len(), 1);
        assert_eq!(findings("cf create-service-key s k -c \"$({\"a\": true})\"").len(), 1);
    }

    #[test]
    fn real_commands_and_quotes_are_fine() {
        let ok = [
            "cf curl /v3/apps/$(cf app my-app --guid)",
            "echo \"today is `date`\"",
            "cf bind-service A S -c '{\"a\": `x`}'",
            "x=$([ -f a ] && echo yes)",
            "y=$({ echo a; echo b; })",
            "cf set-env app K \"$(mytool --print)\"",
            "echo $((1 + 2))",
        ];
        for c in ok {
            assert!(findings(c).is_empty(), "{c}: {:?}", findings(c));
        }
    }
}
