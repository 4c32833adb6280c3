//! `runbook check` on the reference guide: every defect, once, at the right line (a hand-written
//! list of (rule, line); no text of the guide is copied here), and our edition is clean.

use serde_json::Value;

use crate::support::{reference_guide, runbook};

const EXPECTED: &[(&str, u64)] = &[
    ("RB104", 4),   // the table of contents has no entry for a level-3 heading
    ("RB104", 24),  // a level-3 heading listed as a top-level entry
    ("RB203", 35),  // `<APP_NAME>` vs `APP_NAME`
    ("RB201", 44),  // `<USERNAME>` is defined nowhere
    ("RB203", 49),  // `<SPACE NAME>` vs the glossary's `SPACE_NAME`
    ("RB204", 49),  // whitespace inside `<SPACE NAME>`
    ("RB203", 66),  // `<DOMAIN>` vs `DOMAIN`
    ("RB203", 66),  // `<HOSTNAME>` vs `HOSTNAME`
    ("RB207", 100), // `SERVICE_INSTANCE`: the route service here, the bucket in the rotation
    ("RB201", 131), // `PERMISSION` is defined nowhere
    ("RB307", 135), // the dashboard's binding is not provably read-only (file form)
    ("RB307", 142), // … nor the inline form
    ("RB404", 142), // backticks around JSON: the shell would run it
    ("RB101", 149), // output sample fenced as bash
    ("RB206", 219), // `SERVICE_INSTANCE` where the procedure says `SERVICE_NAME`
    ("RB203", 233), // `SERVICE-NAME`
    ("RB203", 233), // `SERVICE-KEY`
    ("RB101", 236), // output sample fenced as bash
    ("RB503", 257), // access key id passed in code
    ("RB503", 258), // secret access key passed in code
    ("RB201", 286), // `ENVIRONMENT_VARIABLE` is defined nowhere
    ("RB201", 286), // `VALUE` is defined nowhere
    ("RB604", 304), // `key=` is `Key=`
    ("RB604", 304), // `filename=` is `Filename=`
    ("RB605", 312), // unbalanced quote in inline Python
    ("RB603", 315), // `s3` is undefined (`s3_client` was)
    ("RB603", 317), // `pd` without `import pandas`
    ("RB602", 327), // `os.environ(...)` called
    ("RB603", 328), // `s3` again, in another block
    ("RB601", 337), // indented block: unexpected indent
    ("RB603", 352), // `staging_bucket` never created
    ("RB603", 354), // `production_bucket` never created
    ("RB105", 366), // image that does not exist
    ("RB102", 369), // unlabelled workflow YAML
    ("RB305", 373), // retired runner image
    ("RB201", 374), // `<environment_name>` is defined nowhere
    ("RB201", 379), // `<secret_name>` is defined nowhere
    ("RB305", 395),
    ("RB305", 403),
    ("RB305", 413),
];

#[test]
fn every_defect_once_at_the_right_line() {
    let out = runbook().args(["check", "--format", "json"]).arg(reference_guide()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect();
    let want: Vec<(String, u64)> = EXPECTED.iter().map(|(r, l)| ((*r).to_string(), *l)).collect();
    assert_eq!(got, want);
    for f in json["findings"].as_array().unwrap() {
        assert!(f["help"].as_str().is_some_and(|h| !h.is_empty()), "{} at {} has a help", f["rule"], f["line"]);
    }
}

#[test]
fn the_policy_sentence_is_shown_as_a_note() {
    let out =
        runbook().args(["check", "--format", "json", "--select", "RB307"]).arg(reference_guide()).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in json["findings"].as_array().unwrap() {
        assert_eq!(f["note"]["line"], 138);
    }
}

#[test]
fn the_coarse_python_check_still_finds_the_indented_block() {
    let out = runbook()
        .args(["check", "--format", "json", "--no-python", "--select", "RB601"])
        .arg(reference_guide())
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &json["findings"][0];
    assert_eq!(f["line"], 337);
    assert!(f["help"].as_str().unwrap().contains("coarse"), "{f}");
}
