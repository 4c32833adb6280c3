//! `--format sarif`: SARIF 2.1.0 for code scanning. Every rule of the registry is listed in
//! `tool.driver.rules`; each result points at its rule by id and index.

use serde_json::{Value, json};

use super::{FileReport, Severity, range};
use crate::lint::Rule;

pub fn render(files: &[FileReport<'_>], rules: &[&Rule]) -> String {
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rule_objs: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {"text": r.doc, "markdown": r.doc},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"tags": [r.group.as_str()]},
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in files {
        let uri = f.source.path.display().to_string().replace('\\', "/");
        for l in f.lints {
            let (start, end) = range(f.source, &l.diagnostic);
            let mut text = l.diagnostic.message.clone();
            if let Some(help) = &l.diagnostic.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": l.rule.code,
                "level": level(l.diagnostic.severity),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {
                            "startLine": start.line, "startColumn": start.column,
                            "endLine": end.line, "endColumn": end.column.max(start.column + usize::from(end.line == start.line)),
                        }
                    }
                }],
            });
            if let Some(i) = rules.iter().position(|r| r.code == l.rule.code) {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "runbook",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_objs,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
