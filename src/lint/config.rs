//! Rule selection: `--select`/`--ignore` by code (`RB401`), prefix (`RB4`) or name
//! (`unknown-cf-command`), and `runbook.toml`:
//!
//! ```toml
//! select = ["RB"]            # default: every rule
//! ignore = ["RB105"]
//!
//! [rules]                    # per-rule severity: "error", "warning", "info" or "off"
//! RB203 = "error"
//! unused-definition = "off"
//!
//! [policy]
//! read-only-apps = ["APP_NAME"]
//! ```
//!
//! The file may also be a `pyproject.toml`-style file with the same keys under `[tool.runbook]`.

use std::collections::HashMap;

use serde::Deserialize;

use super::Rule;
use crate::diagnostic::Severity;

/// Which rules run, and at which severity.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Code or name → severity; `None` turns the rule off.
    pub severities: HashMap<String, Option<Severity>>,
}

impl Selection {
    /// Whether a selector (code, code prefix or name) names this rule.
    fn matches(selector: &str, rule: &Rule) -> bool {
        let s = selector.trim();
        s.eq_ignore_ascii_case(rule.name)
            || (s.len() >= 2 && rule.code.to_ascii_uppercase().starts_with(&s.to_ascii_uppercase()))
    }

    /// The rule's severity under this selection, or `None` when it does not run.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        let selected = self.select.is_empty() || self.select.iter().any(|s| Self::matches(s, rule));
        let ignored = self.ignore.iter().any(|s| Self::matches(s, rule));
        if !selected || ignored {
            return None;
        }
        match self.severities.get(rule.code).or_else(|| self.severities.get(rule.name)) {
            Some(level) => *level,
            None => Some(rule.severity),
        }
    }

    /// Selectors that name no rule at all (reported as usage errors).
    pub fn unknown_selectors<'a>(&'a self, rules: &[&Rule]) -> Vec<&'a str> {
        self.select
            .iter()
            .chain(&self.ignore)
            .chain(self.severities.keys())
            .map(String::as_str)
            .filter(|s| !rules.iter().any(|r| Self::matches(s, r)))
            .collect()
    }

    /// Command-line selectors are added to (and win over) the file's.
    pub fn merge_cli(&mut self, select: &[String], ignore: &[String]) {
        if !select.is_empty() {
            self.select = select.to_vec();
        }
        self.ignore.extend(ignore.iter().cloned());
    }
}

/// `runbook.toml`, read.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub selection: Selection,
    pub read_only_apps: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    rules: HashMap<String, String>,
    #[serde(default)]
    policy: RawPolicy,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default, rename = "read-only-apps")]
    read_only_apps: Vec<String>,
}

#[derive(Deserialize)]
struct Wrapper {
    tool: Option<ToolSection>,
}

#[derive(Deserialize)]
struct ToolSection {
    runbook: Option<toml::Value>,
}

/// Parse a config file's text. Errors carry the 1-based line when known.
pub fn parse(text: &str) -> Result<Config, (usize, String)> {
    let line_of =
        |e: &toml::de::Error| e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let raw: RawConfig = match toml::from_str::<Wrapper>(text) {
        Ok(Wrapper { tool: Some(ToolSection { runbook: Some(v) }) }) => {
            v.try_into().map_err(|e: toml::de::Error| (0, e.message().to_string()))?
        }
        _ => toml::from_str(text).map_err(|e| (line_of(&e), e.message().to_string()))?,
    };
    let mut severities = HashMap::new();
    for (rule, level) in raw.rules {
        let level = match level.as_str() {
            "off" => None,
            other => Some(Severity::parse(other).ok_or_else(|| {
                (0, format!("rule `{rule}`: severity must be `error`, `warning`, `info` or `off`, not `{other}`"))
            })?),
        };
        severities.insert(rule, level);
    }
    Ok(Config {
        selection: Selection { select: raw.select, ignore: raw.ignore, severities },
        read_only_apps: raw.policy.read_only_apps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Group, LintContext, Report};

    fn noop(_: &LintContext<'_>, _: &mut Report) {}
    static R401: Rule = Rule {
        code: "RB401",
        name: "unknown-cf-command",
        group: Group::Commands,
        severity: Severity::Error,
        summary: "",
        doc: "",
        check: noop,
    };

    #[test]
    fn select_by_code_prefix_or_name() {
        let sel = |select: &[&str], ignore: &[&str]| Selection {
            select: select.iter().map(|s| (*s).to_string()).collect(),
            ignore: ignore.iter().map(|s| (*s).to_string()).collect(),
            severities: HashMap::new(),
        };
        assert_eq!(sel(&[], &[]).severity(&R401), Some(Severity::Error));
        assert_eq!(sel(&["RB4"], &[]).severity(&R401), Some(Severity::Error));
        assert_eq!(sel(&["rb401"], &[]).severity(&R401), Some(Severity::Error));
        assert_eq!(sel(&["unknown-cf-command"], &[]).severity(&R401), Some(Severity::Error));
        assert_eq!(sel(&["RB2"], &[]).severity(&R401), None);
        assert_eq!(sel(&[], &["RB40"]).severity(&R401), None);
        assert_eq!(sel(&["R"], &[]).unknown_selectors(&[&R401]), ["R"]);
    }

    #[test]
    fn config_file_with_severities_and_policy() {
        let c = parse("ignore = [\"RB1\"]\n[rules]\nRB401 = \"warning\"\nunused-definition = \"off\"\n[policy]\nread-only-apps = [\"APP_NAME\"]\n").unwrap();
        assert_eq!(c.selection.severity(&R401), Some(Severity::Warning));
        assert_eq!(c.selection.severities.get("unused-definition"), Some(&None));
        assert_eq!(c.read_only_apps, ["APP_NAME"]);
    }

    #[test]
    fn tool_section_and_errors() {
        let c = parse("[tool.runbook]\nignore = [\"RB105\"]\n").unwrap();
        assert_eq!(c.selection.ignore, ["RB105"]);
        let e = parse("select = [\"RB1\"]\nbogus = 1\n").unwrap_err();
        assert!(e.1.contains("bogus"), "{e:?}");
        let e = parse("[rules]\nRB401 = \"loud\"\n").unwrap_err();
        assert!(e.1.contains("severity must be"));
    }
}
