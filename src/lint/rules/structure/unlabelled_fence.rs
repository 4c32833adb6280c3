//! RB102 `unlabelled-fence`: a fenced block without a language whose content is YAML, JSON or shell.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::markdown::BlockKind;

pub static RULE: Rule = Rule {
    code: "RB102",
    name: "unlabelled-fence",
    group: Group::Structure,
    severity: Severity::Warning,
    summary: "a fenced block has no language although its content is yaml, json or shell",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\n\
A fenced code block whose opening fence names no language while its content is recognisably \
YAML (`key:` lines such as `jobs:`), JSON (it parses, or opens with `{` or `[`) or shell (its \
first line starts with a known command-line tool such as `cf`, `git` or `curl`). A list of bare \
environment-variable names is none of these and is not flagged; nor are blocks marked `ignore`.\n\n\
## Why it matters\n\n\
Without a language, readers get no highlighting, editors cannot check the block and the runbook \
has to guess what the block is from its content: a YAML workflow may be taken for plain text, \
shell for output. Naming the language states the intent once and for all.\n\n\
## Example\n\n\
````markdown\n\
Add the job to the workflow:\n\n\
```\n\
jobs:\n\
\x20 deploy:\n\
\x20   runs-on: ubuntu-latest\n\
```\n\
````\n\n\
## Use instead\n\n\
````markdown\n\
Add the job to the workflow:\n\n\
```yaml\n\
jobs:\n\
\x20 deploy:\n\
\x20   runs-on: ubuntu-latest\n\
```\n\
````\n";

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let src = &ctx.runbook.source;
    for block in &ctx.runbook.document.blocks {
        let BlockKind::Code(code) = &block.kind else { continue };
        if !code.fenced || !code.lang.is_empty() || block.annotation.as_deref().is_some_and(|a| a.ignore) {
            continue;
        }
        let Some((what, lang)) = content_language(&code.content) else { continue };
        let span = fence_marker(src, block.span);
        report
            .add(span, format!("fenced block has no language, but its content is {what}"))
            .help(format!("name the language after the opening fence: ```{lang}"));
    }
}

/// The opening fence characters (```` ``` ````), else the block's first line.
fn fence_marker(src: &crate::source::SourceFile, span: crate::source::Span) -> crate::source::Span {
    let line = super::first_line(src, span);
    let text = src.slice(line);
    let lead = text.len() - text.trim_start().len();
    let rest = &text[lead..];
    let marker = rest.len() - rest.trim_start_matches(['`', '~']).len();
    if marker >= 3 { crate::source::Span::new(line.start + lead, line.start + lead + marker) } else { line }
}

static ENV_NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9_]*$").unwrap());
/// `key:` or `key: value` (a YAML mapping entry).
static YAML_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*(?:- +)?(?:[A-Za-z_][\w.-]*|"[^"]+"|'[^']+')\s*:(?:\s+(.*))?$"#).unwrap());
static YAML_ITEM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*-(?:\s|$)").unwrap());

/// What the content of an unlabelled block is, and the fence language to name: `None` when it
/// is none of YAML, JSON or shell (plain text, output, a list of environment-variable names).
fn content_language(content: &str) -> Option<(&'static str, &'static str)> {
    let lines: Vec<&str> = content.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() || lines.iter().all(|l| ENV_NAME.is_match(l.trim())) {
        return None;
    }
    if looks_like_json(content) {
        return Some(("JSON", "json"));
    }
    let first = lines[0].trim();
    if crate::steps::looks_like_command(first.strip_prefix("$ ").unwrap_or(first)) {
        return Some(if first.starts_with("$ ") { ("a shell session", "console") } else { ("shell", "bash") });
    }
    if looks_like_yaml(&lines) {
        return Some(("YAML", "yaml"));
    }
    None
}

fn looks_like_json(content: &str) -> bool {
    let t = content.trim();
    if serde_json::from_str::<serde_json::Value>(t).is_ok_and(|v| v.is_object() || v.is_array()) {
        return true;
    }
    // Not strictly JSON (placeholders, comments, a trailing comma), but shaped like it. `[name]`
    // opens an INI or TOML section, not an array.
    let mut chars = t.chars();
    match chars.next() {
        Some('{') => t.ends_with('}'),
        Some('[') => {
            t.ends_with(']') && chars.next().is_some_and(|c| c.is_whitespace() || matches!(c, '{' | '[' | '"' | ']'))
        }
        _ => false,
    }
}

/// Every line is part of a YAML mapping or list, with either two entries or one entry that
/// opens a nested block (`jobs:` followed by indented lines). A single `Error: failed` line is
/// prose, not YAML.
fn looks_like_yaml(lines: &[&str]) -> bool {
    let mut keys = 0;
    let mut opens_block = false;
    let mut seen_key = false;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed == "---" || trimmed == "..." {
            continue;
        }
        if let Some(cap) = YAML_KEY.captures(line) {
            keys += 1;
            seen_key = true;
            let value = cap.get(1).map_or("", |m| m.as_str().trim());
            let next_indented = lines.get(i + 1).is_some_and(|n| indent(n) > indent(line));
            if (value.is_empty() || value == "|" || value == ">") && next_indented {
                opens_block = true;
            }
        } else if YAML_ITEM.is_match(line) || (seen_key && indent(line) > 0) {
            // A list item, or a continuation of a block scalar under a key.
        } else {
            return false;
        }
    }
    keys >= 2 || opens_block
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;
    use crate::source::SourceFile;

    fn found(text: &str) -> Vec<(usize, String, String)> {
        let src = SourceFile::new("t.md", text);
        check_text(text, &RULE)
            .iter()
            .map(|f| (src.line_col(f.span.start).line, src.slice(f.span).to_string(), f.message.clone()))
            .collect()
    }

    #[test]
    fn unlabelled_workflow_in_a_list_item() {
        let text = "# S\n\n1. Add:\n```\njobs:\n  deploy:\n    runs-on: x\n```\n";
        let f = found(text);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].0, f[0].1.as_str()), (4, "```"));
        assert!(f[0].2.ends_with("YAML"));
    }

    #[test]
    fn json_and_shell() {
        let text = "# S\n\n~~~\n{\"a\": [1, 2]}\n~~~\n\n```\ncf push my-app\n```\n\n```\n$ git status\n```\n";
        let f = found(text);
        let what: Vec<_> = f.iter().map(|(l, _, m)| (*l, m.rsplit(" is ").next().unwrap().to_string())).collect();
        assert_eq!(what, [(3, "JSON".into()), (7, "shell".into()), (11, "a shell session".into())]);
    }

    #[test]
    fn env_lists_text_and_labelled_blocks_are_fine() {
        let text = "# S\n\n```\nAPP_TOKEN\nAPP_REGION\n```\n\n```\nGetting apps...\nOK\n```\n\n```\nError: not found\n```\n\n\
                    ```\n[section]\nkey = 1\n```\n\n```yaml\na: 1\nb: 2\n```\n\n```text {ignore}\njobs:\n  x: 1\n```\n\n\
                    ``` {ignore}\njobs:\n  x: 1\n```\n\n    jobs:\n      x: 1\n";
        assert!(found(text).is_empty(), "{:?}", found(text));
    }

    #[test]
    fn content_languages() {
        assert_eq!(content_language("a: 1\nb: 2\n"), Some(("YAML", "yaml")));
        assert_eq!(content_language("name: x\n"), None);
        assert_eq!(content_language("run: |\n  echo hi\n  echo there\n"), Some(("YAML", "yaml")));
        assert_eq!(content_language("- a\n- b\n"), None);
        assert_eq!(content_language("{\n  \"key\": <VALUE>\n}\n"), Some(("JSON", "json")));
        assert_eq!(content_language("[\n  1,\n]\n"), Some(("JSON", "json")));
        assert_eq!(content_language("Note: this is prose\nand more prose\n"), None);
        assert_eq!(content_language("AWS_REGION=eu-west-2\n"), None);
    }
}
