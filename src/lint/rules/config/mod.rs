//! Rules of the `config` group: embedded YAML/JSON/TOML, Cloud Foundry manifests, GitHub
//! Actions workflows and the read-only binding policy.
//!
//! Shared here: the workflow and manifest blocks of a runbook parsed once per rule, name
//! tokenising, placeholder tokens, and mapping a word of a logical command back to the
//! Markdown file.

mod binding_not_read_only;
mod deploy_job_without_environment;
mod invalid_embedded_config;
mod manifest_schema;
mod plain_text_secret_in_workflow;
mod retired_runner_image;
mod workflow_needs_missing_job;

use std::sync::LazyLock;

use regex::Regex;

use crate::embedded::{self, Entry, Lang, Node};
use crate::lint::{LintContext, Rule};
use crate::source::Span;
use crate::steps::{BlockKind, Command};

/// The rules of this group.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &invalid_embedded_config::RULE,
        &manifest_schema::RULE,
        &workflow_needs_missing_job::RULE,
        &deploy_job_without_environment::RULE,
        &retired_runner_image::RULE,
        &plain_text_secret_in_workflow::RULE,
        &binding_not_read_only::RULE,
    ]
}

/// A parsed YAML block of a step.
struct Parsed<'a> {
    /// Slug of the step's section.
    section: &'a str,
    docs: Vec<Node>,
}

/// Every GitHub Actions workflow block that parses as YAML (unlabelled ones included: the
/// classifier recognised them by their `jobs:`/`on:` keys). Blocks that do not parse are
/// left to `invalid-embedded-config`.
fn workflows<'a>(ctx: &LintContext<'a>) -> Vec<Parsed<'a>> {
    let mut out = Vec::new();
    for step in &ctx.runbook.steps {
        for block in step.blocks.iter().filter(|b| b.kind == BlockKind::Workflow && !b.inline) {
            let lang = block.lang.trim();
            if !lang.is_empty() && Lang::from_label(lang) != Some(Lang::Yaml) {
                continue;
            }
            if let Ok(docs) = embedded::parse(&block.text, Lang::Yaml, &block.map) {
                out.push(Parsed { section: &step.section, docs });
            }
        }
    }
    out
}

/// The sections of parsed blocks, each once, in order.
fn sections<'a>(parsed: &[Parsed<'a>]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for p in parsed {
        if !out.contains(&p.section) {
            out.push(p.section);
        }
    }
    out
}

/// The `jobs:` entries of a workflow document.
fn jobs(doc: &Node) -> &[Entry] {
    doc.get("jobs").map_or(&[], Node::entries)
}

/// Every YAML `file` block that is a Cloud Foundry manifest: named `manifest.yml` or
/// `manifest.yaml`, or with a top-level `applications:` list.
fn manifests<'a>(ctx: &LintContext<'a>) -> Vec<Parsed<'a>> {
    let mut out = Vec::new();
    for step in &ctx.runbook.steps {
        for block in step.blocks.iter().filter(|b| b.kind == BlockKind::File) {
            if Lang::of(block) != Some(Lang::Yaml) {
                continue;
            }
            let Ok(docs) = embedded::parse(&block.text, Lang::Yaml, &block.map) else { continue };
            let named = block.file.as_deref().is_some_and(is_manifest_name);
            if named || docs.iter().any(|d| applications(d).is_some()) {
                out.push(Parsed { section: &step.section, docs });
            }
        }
    }
    out
}

/// The `applications:` list of a manifest document.
fn applications(doc: &Node) -> Option<&[Node]> {
    doc.get("applications").and_then(Node::as_list)
}

/// Whether a file name is a manifest's.
fn is_manifest_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.eq_ignore_ascii_case("manifest.yml") || base.eq_ignore_ascii_case("manifest.yaml")
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:<[A-Za-z][A-Za-z0-9_.\- ]*>|[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)*)$").unwrap());

/// A value that is a placeholder as a whole: `<APP_NAME>`, `<json.file>`, `PERMISSION`.
fn is_placeholder(text: &str) -> bool {
    PLACEHOLDER.is_match(text.trim())
}

/// A value that is filled in at deploy time: a placeholder, a manifest `((variable))` or a
/// workflow `${{ expression }}`.
fn is_variable(text: &str) -> bool {
    is_placeholder(text) || text.contains("((") || text.contains("${{")
}

/// Lower-case words of an identifier: `deploy-production` → `deploy`, `production`;
/// `apiToken` → `api`, `token`.
fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Source offset of byte `i` of a logical command's text. A command joined from `\`
/// continuations has one space where the source has `\`, a line break and indentation.
fn command_offset(source: &str, cmd: &Command, i: usize) -> usize {
    let text = cmd.text.as_bytes();
    let src = source.as_bytes();
    let (mut t, mut s) = (0, cmd.offset);
    while t < i && t < text.len() && s < src.len() {
        if text[t] == src[s] {
            t += 1;
            s += 1;
        } else if src[s] == b'\\' && src.get(s + 1).is_some_and(|&b| b == b'\n' || b == b'\r') {
            s += 1;
            while s < src.len() && src[s].is_ascii_whitespace() {
                s += 1;
            }
            while t < text.len() && text[t] == b' ' && t < i {
                t += 1;
            }
        } else if src[s].is_ascii_whitespace() {
            s += 1;
        } else {
            // Out of step (should not happen): fall back to the command's own offset.
            return cmd.offset + i.min(text.len());
        }
    }
    // At a word that follows a continuation, step over the `\`, the line break and indentation.
    while t < text.len() && s < src.len() && src[s] != text[t] && (src[s] == b'\\' || src[s].is_ascii_whitespace()) {
        s += 1;
    }
    s
}

/// Source span of `start..end` in a logical command's text.
fn command_span(source: &str, cmd: &Command, start: usize, end: usize) -> Span {
    let s = command_offset(source, cmd, start);
    Span::new(s, command_offset(source, cmd, end).max(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_separators_and_camel_case() {
        assert_eq!(tokens("deploy-production"), ["deploy", "production"]);
        assert_eq!(tokens("apiToken"), ["api", "token"]);
        assert_eq!(tokens("AWS_SECRET_ACCESS_KEY"), ["aws", "secret", "access", "key"]);
        assert_eq!(tokens("Deploy to production"), ["deploy", "to", "production"]);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder("<APP_NAME>"));
        assert!(is_placeholder("<json.file>"));
        assert!(is_placeholder("PERMISSION"));
        assert!(!is_placeholder("read-only"));
        assert!(!is_placeholder("2GB"));
        assert!(is_variable("((memory))"));
    }

    #[test]
    fn command_offsets_follow_continuations() {
        let src = "```sh\ncf bind-service A \\\n    S -c x.json\n```\n";
        let offset = src.find("cf").unwrap();
        let cmd = Command { text: "cf bind-service A S -c x.json".into(), offset, line: 2 };
        let s = cmd.text.find('S').unwrap();
        let span = command_span(src, &cmd, s, cmd.text.len());
        assert_eq!(&src[span.start..span.end], "S -c x.json");
    }
}
