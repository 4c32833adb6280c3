//! `runbook vars`: the reference guide's placeholders (structure only), our edition's full
//! listing, value sources and their precedence, bad input, and secrets that never leak.

use predicates::prelude::*;
use serde_json::Value;

use crate::support::{Sandbox, json_of, reference_guide, root, runbook, snapshot_settings};

/// (canonical name, variants, use lines, source) for every placeholder of the reference guide,
/// written by hand from reading it.
const REFERENCE: &[(&str, &[&str], &[u64], &str)] = &[
    ("ACCESS_KEY_ID", &["ACCESS_KEY_ID"], &[156, 238, 257], "output"),
    ("APP_NAME", &["<APP_NAME>", "APP_NAME"], &[35, 57, 70, 135, 142, 145, 286], "user"),
    ("BUCKET_NAME", &["paas-s3-broker-prod-lon-XXXX"], &[159, 241, 294, 315], "output"),
    ("DOMAIN", &["<DOMAIN>", "DOMAIN"], &[66, 70, 101], "user"),
    ("ENVIRONMENT_NAME", &["<environment_name>"], &[374], "user"),
    ("ENVIRONMENT_VARIABLE", &["ENVIRONMENT_VARIABLE"], &[286], "user"),
    ("FILE_JSON", &["<file.json>"], &[193], "file"),
    ("GUID", &["GUID"], &[153, 162], "output"),
    ("HOSTNAME", &["<HOSTNAME>", "HOSTNAME"], &[66, 70, 101, 104], "user"),
    ("JSON_FILE", &["<json.file>"], &[135], "file"),
    ("ORGANISATION", &["<ORGANISATION>"], &[49], "user"),
    ("PERMISSION", &["PERMISSION"], &[131, 142], "user"),
    ("ROUTE_SERVICE_URL", &["ROUTE_SERVICE_URL"], &[100], "user"),
    ("SECRET_ACCESS_KEY", &["SECRET_ACCESS_KEY"], &[158, 240, 258], "output"),
    ("SECRET_NAME", &["<secret_name>"], &[379], "user"),
    ("SERVICE_INSTANCE", &["SERVICE_INSTANCE"], &[100, 101, 219], "user"),
    ("SERVICE_KEY", &["SERVICE_KEY", "SERVICE-KEY"], &[193, 198, 204, 219, 233], "user"),
    ("SERVICE_NAME", &["SERVICE_NAME", "SERVICE-NAME"], &[119, 135, 142, 163, 165, 193, 198, 204, 215, 233], "user"),
    ("SPACE_NAME", &["<SPACE NAME>"], &[49, 53], "user"),
    ("USERNAME", &["<USERNAME>"], &[44], "user"),
    ("VALUE", &["VALUE"], &[286], "user"),
];

/// (finding, placeholder, line) for every inconsistency of the reference guide.
const REFERENCE_FINDINGS: &[(&str, &str, u64)] = &[
    ("inconsistent-spelling", "APP_NAME", 35),
    ("undefined-placeholder", "USERNAME", 44),
    ("inconsistent-spelling", "SPACE_NAME", 49),
    ("placeholder-with-whitespace", "SPACE_NAME", 49),
    ("inconsistent-spelling", "DOMAIN", 66),
    ("inconsistent-spelling", "HOSTNAME", 66),
    ("one-name-two-things", "SERVICE_INSTANCE", 100),
    ("undefined-placeholder", "PERMISSION", 131),
    ("two-names-one-thing", "SERVICE_INSTANCE", 219),
    ("inconsistent-spelling", "SERVICE_NAME", 233),
    ("inconsistent-spelling", "SERVICE_KEY", 233),
    ("undefined-placeholder", "ENVIRONMENT_VARIABLE", 286),
    ("undefined-placeholder", "VALUE", 286),
    ("undefined-placeholder", "ENVIRONMENT_NAME", 374),
    ("undefined-placeholder", "SECRET_NAME", 379),
];

fn reference_json() -> Value {
    json_of(runbook().args(["vars", "--format", "json"]).arg(reference_guide()))
}

#[test]
fn reference_placeholders_with_variants_uses_and_sources() {
    let json = reference_json();
    let got: Vec<(String, Vec<String>, Vec<u64>, String)> = json["placeholders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["variants"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect(),
                p["uses"].as_array().unwrap().iter().map(|u| u["line"].as_u64().unwrap()).collect(),
                p["source"]["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, Vec<String>, Vec<u64>, String)> = REFERENCE
        .iter()
        .map(|(n, v, l, s)| {
            ((*n).to_string(), v.iter().map(|x| (*x).to_string()).collect(), l.to_vec(), (*s).to_string())
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn reference_inconsistencies_are_all_found() {
    let json = reference_json();
    let got: Vec<(String, String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] != "missing-value")
        .map(|f| (f["kind"].as_str().unwrap().into(), f["name"].as_str().unwrap().into(), f["line"].as_u64().unwrap()))
        .collect();
    let want: Vec<(String, String, u64)> =
        REFERENCE_FINDINGS.iter().map(|(k, n, l)| ((*k).into(), (*n).into(), *l)).collect();
    assert_eq!(got, want);
}

#[test]
fn reference_glossary_kinds_and_secrets() {
    let json = reference_json();
    let p = |name: &str| json["placeholders"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap().clone();
    assert!(p("SERVICE_NAME")["glossary"].as_str().is_some_and(|g| !g.is_empty()));
    assert!(p("USERNAME")["glossary"].is_null());
    assert_eq!(p("HOSTNAME")["kind"], "hostname");
    assert_eq!(p("HOSTNAME")["kind_inferred"], true);
    assert_eq!(p("ROUTE_SERVICE_URL")["kind"], "https-url");
    assert_eq!(p("BUCKET_NAME")["kind"], "s3-bucket-name");
    assert_eq!(p("JSON_FILE")["kind"], "file-path");
    assert_eq!(p("JSON_FILE")["source"]["step"], "creating-credentials-for-the-application-to-the-bucket/1");
    assert_eq!(p("FILE_JSON")["source"]["step"], "creating-credentials-to-allow-for-outside-access-to-the-bucket/1");
    assert_eq!(p("SECRET_ACCESS_KEY")["secret"], true);
    assert_eq!(p("ACCESS_KEY_ID")["secret"], true);
    assert_eq!(p("APP_NAME")["secret"], false);
    for literal in ["AWS_ACCESS_KEY_ID", "VCAP_SERVICES", "STAGE", "AWS_REGION"] {
        assert!(
            json["placeholders"].as_array().unwrap().iter().all(|p| p["name"] != literal),
            "{literal} is a literal"
        );
    }
}

#[test]
fn publication_with_example_values() {
    let out = runbook().args(["vars", "runbook/publication.md", "--vars", "runbook/example.env"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "our edition has no placeholder finding");
    let json = json_of(runbook().args([
        "vars",
        "runbook/publication.md",
        "--vars",
        "runbook/example.env",
        "--format",
        "json",
    ]));
    for p in json["placeholders"].as_array().unwrap() {
        assert!(!p["origin"].is_null(), "{} has a value or a step that provides it", p["name"]);
        assert_eq!(p["valid"], true, "{}", p["name"]);
        assert_eq!(p["kind_inferred"], false, "{} declares its kind", p["name"]);
        assert!(p["description"].is_string(), "{} is described", p["name"]);
        if p["secret"] == true {
            assert!(p.get("value").is_none(), "{} hides its value", p["name"]);
        }
    }
    let settings = snapshot_settings("vars");
    settings.bind(|| {
        insta::assert_snapshot!("publication.human", String::from_utf8(out.stdout).unwrap());
        insta::assert_snapshot!("publication.json", serde_json::to_string_pretty(&json).unwrap());
    });
}

#[test]
fn example_env_secrets_are_absent_from_every_output() {
    let env = std::fs::read_to_string(root().join("runbook/example.env")).unwrap();
    let secrets: Vec<&str> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.contains("KEY_ID") || k.contains("SECRET"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(secrets.len(), 4);
    for format in ["human", "json"] {
        let out = runbook()
            .args(["vars", "runbook/publication.md", "--vars", "runbook/example.env", "--format", format])
            .output()
            .unwrap();
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        for s in &secrets {
            assert!(!text.contains(s), "a secret leaked in {format} output");
        }
    }
}

const RUNBOOK: &str = "---\nplaceholders:\n  APP_NAME: {kind: cf-app-name, description: The app}\n  DEPLOY_TOKEN: {kind: text, secret: true, description: A token}\n  BUCKET: {kind: s3-bucket-name, description: The bucket}\n---\n# Deploy\n\n```bash\ncf push APP_NAME\ncf set-env APP_NAME TOKEN \"$RB\"\necho DEPLOY_TOKEN BUCKET\n```\n";
const SECRET: &str = "tok-3f9c2a71e0b84d5f";

fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("rb.md", RUNBOOK);
    sb
}

/// (arguments, environment variable, standard input, origin shown)
type Case<'a> = (Vec<&'a str>, Option<(&'a str, &'a str)>, Option<&'a str>, &'a str);

#[test]
fn a_secret_never_appears_whatever_its_source() {
    let sb = sandbox();
    sb.write("token.txt", format!("{SECRET}\n"));
    sb.write("vars.env", format!("DEPLOY_TOKEN={SECRET}\n"));
    sb.write("vars.json", format!("{{\"DEPLOY_TOKEN\": \"{SECRET}\"}}"));
    sb.write("vars.toml", format!("DEPLOY_TOKEN = \"{SECRET}\"\n"));
    let set = format!("DEPLOY_TOKEN={SECRET}");
    let cases: Vec<Case<'_>> = vec![
        (vec!["--set", set.as_str()], None, None, "--set"),
        (vec!["--set", "DEPLOY_TOKEN=@token.txt"], None, None, "--set @token.txt"),
        (vec!["--set", "DEPLOY_TOKEN=-"], None, Some(SECRET), "stdin"),
        (vec!["--vars", "vars.env"], None, None, "vars.env:1"),
        (vec!["--vars", "vars.json"], None, None, "vars.json:1"),
        (vec!["--vars", "vars.toml"], None, None, "vars.toml:1"),
        (vec![], Some(("RUNBOOK_VAR_DEPLOY_TOKEN", SECRET)), None, "environment RUNBOOK_VAR_DEPLOY_TOKEN"),
    ];
    for (args, env, stdin, origin) in cases {
        for format in ["human", "json"] {
            let mut cmd = sb.runbook(&["vars", "rb.md", "--format", format]);
            cmd.args(&args);
            if let Some((k, v)) = env {
                cmd.env(k, v);
            }
            if let Some(input) = stdin {
                cmd.write_stdin(input);
            }
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "{origin}: {}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).to_string();
            assert!(!text.contains(SECRET), "{origin} leaked the secret in {format}");
            assert!(text.contains(origin), "{origin} is shown as the origin in {format}");
        }
    }
}

#[test]
fn a_secret_stays_hidden_in_errors_too() {
    let sb = sandbox();
    // Invalid value of a secret kind: exit 1, the message describes the rule, not the value.
    let bad_key = "AKIA-NOT-A-REAL-KEY";
    sb.write("rb2.md", RUNBOOK.replace("{kind: text, secret: true", "{kind: aws-access-key-id, secret: true"));
    let out = sb.runbook(&["vars", "rb2.md", "--set", &format!("DEPLOY_TOKEN={bad_key}")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).to_string();
    assert!(text.contains("invalid value for `DEPLOY_TOKEN`"));
    assert!(!text.contains(bad_key));
    // A duplicate key in a values file: exit 2, file and lines named, value not shown.
    sb.write("dup.env", format!("DEPLOY_TOKEN={SECRET}\nAPP_NAME=app\nDEPLOY_TOKEN={SECRET}x\n"));
    let out = sb.runbook(&["vars", "rb.md", "--vars", "dup.env"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err, "error: dup.env:3: duplicate key `DEPLOY_TOKEN` (first set on line 1)\n");
}

#[test]
fn values_and_their_origins_by_precedence() {
    let sb = sandbox();
    sb.write("a.env", "APP_NAME=from-file\nBUCKET=bucket-from-file\n");
    let mut cmd = sb.runbook(&["vars", "rb.md", "--vars", "a.env", "--set", "APP_NAME=from-set", "--format", "json"]);
    cmd.env("RUNBOOK_VAR_BUCKET", "bucket-from-env").env("RUNBOOK_VAR_APP_NAME", "from-env");
    let json = json_of(&mut cmd);
    let p = |name: &str| json["placeholders"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap().clone();
    assert_eq!(p("APP_NAME")["value"], "from-set");
    assert_eq!(p("APP_NAME")["origin"], "--set");
    assert_eq!(p("BUCKET")["value"], "bucket-from-file");
    assert_eq!(p("BUCKET")["origin"], "a.env:2");
}

#[test]
fn invalid_values_are_all_listed_and_exit_1() {
    let sb = sandbox();
    sb.runbook(&["vars", "rb.md", "--set", "APP_NAME=-bad name", "--set", "BUCKET=Ab"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\n    invalid ").count(2))
        .stdout(predicate::str::contains("2 invalid"))
        .stderr(predicate::str::contains("error[invalid-value]: invalid value for `APP_NAME`"))
        .stderr(predicate::str::contains("error[invalid-value]: invalid value for `BUCKET`"));
}

#[test]
fn unknown_name_in_set_is_a_warning_with_a_suggestion() {
    let sb = sandbox();
    sb.runbook(&["vars", "rb.md", "--set", "APP_NAEM=x"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning[unknown-value-name]: `APP_NAEM` (from --set) is not a placeholder or choice of this runbook",
        ))
        .stderr(predicate::str::contains("help: did you mean `APP_NAME`?"));
}

#[test]
fn bad_values_files_exit_2_with_path_and_line() {
    let sb = sandbox();
    sb.write("broken.json", "{\n  \"APP_NAME\": \"x\",\n  oops\n}\n");
    let out = sb.runbook(&["vars", "rb.md", "--vars", "broken.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: broken.json:3:"), "{err}");
    assert_eq!(err.lines().count(), 1);
    sb.write("latin1.env", b"APP_NAME=caf\xe9\n");
    let out = sb.runbook(&["vars", "rb.md", "--vars", "latin1.env"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: latin1.env:1: "));
    sb.runbook(&["vars", "rb.md", "--vars", "missing.env"])
        .assert()
        .code(2)
        .stderr("error: missing.env: no such file\n");
    sb.runbook(&["vars", "rb.md", "--set", "NOEQUALS"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --set"));
    sb.write("nul.txt", b"a\0b");
    sb.runbook(&["vars", "rb.md", "--set", "APP_NAME=@nul.txt"])
        .assert()
        .code(2)
        .stderr("error: --set APP_NAME: values cannot contain NUL bytes\n");
}

#[test]
fn newlines_and_shell_metacharacters_are_data() {
    let sb = sandbox();
    let out =
        sb.runbook(&["vars", "rb.md", "--set", "APP_NAME=$(touch x); rm -rf ~", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let app = json["placeholders"].as_array().unwrap().iter().find(|p| p["name"] == "APP_NAME").unwrap();
    assert_eq!(app["value"], "$(touch x); rm -rf ~");
    assert_eq!(app["valid"], false, "not a valid app name, but accepted as data");
    assert!(!sb.path().join("x").exists());
}
