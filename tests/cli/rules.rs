//! Meta-tests over the rule registry: every rule is documented, named and coded consistently,
//! has fixtures that it catches (and spares), and a snapshot of what it reports; the README's
//! rule table is the binary's.

use std::collections::HashSet;

use serde_json::Value;

use crate::support::{root, runbook, snapshot_settings};

/// (code, name, severity, group, summary) from `runbook rules`.
fn registry() -> Vec<(String, String, String, String, String)> {
    let out = runbook().arg("rules").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut parts = l.split_whitespace();
            let code = parts.next().unwrap().to_string();
            let name = parts.next().unwrap().to_string();
            let severity = parts.next().unwrap().to_string();
            let group = parts.next().unwrap().to_string();
            let summary = parts.collect::<Vec<_>>().join(" ");
            (code, name, severity, group, summary)
        })
        .collect()
}

#[test]
fn codes_names_groups_and_summaries_are_consistent() {
    let rules = registry();
    assert!(rules.len() >= 30, "{} rules", rules.len());
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for (code, name, severity, group, summary) in &rules {
        assert!(codes.insert(code.clone()), "duplicate code {code}");
        assert!(names.insert(name.clone()), "duplicate name {name}");
        assert!(code.len() == 5 && code.starts_with("RB") && code[2..].chars().all(|c| c.is_ascii_digit()), "{code}");
        let expected_group = match &code[2..3] {
            "1" => "structure",
            "2" => "placeholders",
            "3" => "config",
            "4" => "commands",
            "5" => "secrets",
            "6" => "python",
            other => panic!("{code}: no group {other}"),
        };
        assert_eq!(group, expected_group, "{code}");
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()), "{name} is kebab-case");
        assert!(!name.starts_with("no-") && !name.starts_with("disallow-"), "{name} names the pattern");
        assert!(["error", "warning", "info"].contains(&severity.as_str()));
        assert!(summary.chars().next().is_some_and(|c| !c.is_uppercase()), "{code} summary starts lowercase");
        assert!(!summary.ends_with('.'), "{code} summary has no trailing period");
    }
}

#[test]
fn every_rule_has_its_documentation() {
    for (code, name, ..) in registry() {
        let out = runbook().args(["rules", &code]).output().unwrap();
        assert!(out.status.success());
        let doc = String::from_utf8(out.stdout).unwrap();
        assert!(doc.starts_with(&format!("# {code} `{name}`")), "{doc}");
        for heading in ["## What it checks", "## Why it matters", "## Example", "## Use instead"] {
            assert!(doc.contains(heading), "{code} lacks {heading}");
        }
        let by_name = runbook().args(["rules", &name]).output().unwrap();
        assert_eq!(by_name.stdout, doc.as_bytes(), "a rule is found by name too");
    }
    runbook().args(["rules", "RB999"]).assert().code(2).stderr("error: unknown rule `RB999`: see `runbook rules`\n");
}

fn check_fixture(code: &str, file: &str) -> Value {
    let path = format!("tests/lint/{code}/{file}");
    assert!(root().join(&path).is_file(), "{path} is missing");
    let out = runbook().args(["check", "--format", "json", "--select", code, &path]).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{path}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_rule_catches_its_errors_and_spares_its_ok_fixture() {
    for (code, ..) in registry() {
        let errors = check_fixture(&code, "errors.md");
        let found = errors["findings"].as_array().unwrap();
        assert!(!found.is_empty(), "{code}: errors.md raises nothing");
        for f in found {
            assert_eq!(f["rule"], code.as_str(), "{code}: only the selected rule reports");
            let message = f["message"].as_str().unwrap();
            assert!(
                message.chars().next().is_some_and(|c| !c.is_uppercase()),
                "{code}: message starts lowercase: {message}"
            );
            assert!(!message.ends_with('.'), "{code}: message has no trailing period: {message}");
        }
        let ok = check_fixture(&code, "ok.md");
        assert_eq!(ok["findings"], serde_json::json!([]), "{code}: ok.md raises findings");
    }
}

#[test]
fn every_rule_has_a_snapshot_of_its_findings() {
    let settings = snapshot_settings("lint");
    for (code, ..) in registry() {
        let path = format!("tests/lint/{code}/errors.md");
        let out = runbook().args(["check", "--select", &code, &path]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        settings.bind(|| insta::assert_snapshot!(code.clone(), text));
    }
}

#[test]
fn readme_rule_table_matches_the_binary() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("$ runbook rules\n")
        .nth(1)
        .and_then(|r| r.split("```").next())
        .expect("a `$ runbook rules` block");
    let out = runbook().arg("rules").output().unwrap();
    assert_eq!(block, String::from_utf8(out.stdout).unwrap(), "update the README's rule table");
}
