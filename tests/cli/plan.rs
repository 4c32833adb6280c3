//! `runbook plan`: our edition's plan (terminal, Markdown, JSON) with example values, byte-for-
//! byte determinism, secrets absent from every output, missing values, selection, rendered
//! blocks that parse, and the reference guide's structure.

use std::process::Command;

use predicates::prelude::*;
use serde_json::Value;

use crate::support::{Sandbox, reference_guide, root, runbook, snapshot_settings};

const SALT: &str = "tests/fixtures/plan/salt";

/// (terminal, markdown, json) of a plan run from the project root into a temp dir.
fn plan_outputs(extra: &[&str]) -> (String, String, String, Option<i32>) {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("plan.md");
    let json = dir.path().join("plan.json");
    let out = runbook()
        .args(["plan", "runbook/publication.md", "--vars", "runbook/example.env", "--salt-file", SALT])
        .args(extra)
        .arg("--transcript")
        .arg(&md)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap(),
        std::fs::read_to_string(&md).unwrap(),
        std::fs::read_to_string(&json).unwrap(),
        out.status.code(),
    )
}

#[test]
fn publication_plan_snapshots() {
    let (terminal, md, json, code) = plan_outputs(&[]);
    assert_eq!(code, Some(0), "{terminal}");
    let settings = snapshot_settings("plan");
    settings.bind(|| {
        insta::assert_snapshot!("publication.terminal", terminal);
        insta::assert_snapshot!("publication.md", md);
        insta::assert_snapshot!("publication.json", json);
    });
}

#[test]
fn identical_bytes_across_runs() {
    let first = plan_outputs(&[]);
    let second = plan_outputs(&[]);
    assert_eq!(first, second);
}

#[test]
fn summary_effects_and_flags() {
    let (terminal, _, json, _) = plan_outputs(&[]);
    assert!(terminal.contains("Plan: 57 steps — 15 change, 19 manual, 1 none, 4 read, 1 ref, 7 run-code, 3 write-file; 2 prints-secrets, 7 skipped"), "{terminal}");
    let json: Value = serde_json::from_str(&json).unwrap();
    let step = |id: &str| json["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(step("login")["flags"], serde_json::json!(["interactive"]));
    assert_eq!(step("show-env")["flags"], serde_json::json!(["prints-secrets", "expects-output"]));
    assert_eq!(step("check-bucket")["effect"], "read");
    assert_eq!(step("write-manifest")["effect"], "write-file");
    assert_eq!(step("connect-s3")["effect"], "run-code");
    assert_eq!(step("recreate-key")["effect"], "ref");
    assert_eq!(step("prerequisites")["effect"], "manual");
    assert_eq!(step("app-env")["effect"], "none");
    assert_eq!(step("push-no-route")["status"], "skipped");
    assert_eq!(step("push-no-route")["skipped"], "condition `NO_ROUTE` is false (NO_ROUTE=false)");
    assert_eq!(step("push")["status"], "planned");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["digest"].as_str().unwrap().len(), 64);
}

#[test]
fn choices_change_the_plan_and_its_digest() {
    let (_, _, json_default, _) = plan_outputs(&[]);
    let (_, _, json_no_route, _) = plan_outputs(&["--set", "NO_ROUTE=true"]);
    let a: Value = serde_json::from_str(&json_default).unwrap();
    let b: Value = serde_json::from_str(&json_no_route).unwrap();
    assert_ne!(a["digest"], b["digest"]);
    let status =
        |j: &Value, id: &str| j["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["status"].clone();
    assert_eq!(status(&b, "push"), "skipped");
    assert_eq!(status(&b, "push-no-route"), "planned");
    assert_eq!(status(&b, "map-route"), "planned");
}

/// Rendered blocks of the plan are valid: shell passes `bash -n`, JSON and YAML parse,
/// Python compiles.
#[test]
fn rendered_blocks_parse() {
    let (_, _, json, _) = plan_outputs(&["--set", "NO_ROUTE=true", "--set", "INLINE_JSON=true"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    let mut checked = 0;
    for step in json["steps"].as_array().unwrap() {
        for b in step["rendered"].as_array().unwrap() {
            let text = b["text"].as_str().unwrap();
            let (kind, lang) = (b["kind"].as_str().unwrap(), b["lang"].as_str().unwrap());
            let ok = match (kind, lang) {
                ("command", _) => Command::new("bash").args(["-n", "-c", text]).status().unwrap().success(),
                ("file" | "output", "json") => serde_json::from_str::<Value>(text).is_ok(),
                ("file" | "workflow", "yaml" | "yml") => {
                    use saphyr::LoadableYamlNode;
                    saphyr::Yaml::load_from_str(text).is_ok()
                }
                ("code", "python") => Command::new("python3")
                    .args(["-c", "import sys; compile(sys.argv[1], 'block', 'exec')", text])
                    .status()
                    .unwrap()
                    .success(),
                _ => continue,
            };
            assert!(ok, "step {} block at line {} does not parse:\n{text}", step["id"], b["line"]);
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} blocks checked");
}

const SECRETIVE: &str = "---\nplaceholders:\n  APP_NAME: {kind: cf-app-name, description: The app}\n  DEPLOY_TOKEN: {kind: text, secret: true, description: A token}\n---\n# Deploy\n\n```bash\ncf push APP_NAME\ncf set-env APP_NAME TOKEN_NAME DEPLOY_TOKEN\ncurl -H \"Authorization: Bearer DEPLOY_TOKEN\" https://example.invalid\n```\n\n```python\ntoken = 'DEPLOY_TOKEN'\n```\n\n## Glossary\n\nTOKEN_NAME = The variable name.\n";

#[test]
fn a_secret_appears_in_no_output_in_any_form() {
    let secret = "s3cr3t/with+\"quotes\" & spaces";
    let sb = Sandbox::new();
    sb.write("rb.md", SECRETIVE);
    let out = sb
        .runbook(&[
            "plan",
            "rb.md",
            "--set",
            "APP_NAME=demo",
            "--set",
            "TOKEN_NAME=DEPLOY",
            "--set",
            "DEPLOY_TOKEN=-",
            "--transcript",
            "p.md",
            "--json",
            "p.json",
        ])
        .write_stdin(secret)
        .output()
        .unwrap();
    let mut all = String::from_utf8_lossy(&out.stdout).to_string();
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    all.push_str(&std::fs::read_to_string(sb.path().join("p.md")).unwrap());
    all.push_str(&std::fs::read_to_string(sb.path().join("p.json")).unwrap());
    let json_escaped = serde_json::to_string(secret).unwrap();
    let url_encoded: String = secret
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    for form in [secret, json_escaped.trim_matches('"'), url_encoded.as_str(), "s3cr3t"] {
        assert!(!all.contains(form), "the secret leaked as `{form}`");
    }
    assert!(all.contains("\"$RB_SECRET_1\""), "shell references the secret by environment:\n{all}");
    assert!(all.contains("__import__(\"os\").environ[\"RB_SECRET_1\"]"), "Python references it by environment");
    assert!(all.contains("[secret: DEPLOY_TOKEN]"), "the values table masks it");
}

#[test]
fn hostile_values_reach_commands_as_data() {
    let sb = Sandbox::new();
    sb.write("rb.md", "# Deploy\n\n```bash\necho MESSAGE\n```\n\n## Glossary\n\nMESSAGE = Free text.\n");
    let out = sb
        .runbook(&["plan", "rb.md", "--set", "MESSAGE=x'; touch pwned; echo '$(touch pwned2)", "--json", "p.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(sb.path().join("p.json")).unwrap()).unwrap();
    let rendered = json["steps"][0]["rendered"][0]["text"].as_str().unwrap();
    let run = Command::new("bash").args(["-c", rendered]).current_dir(sb.path()).output().unwrap();
    assert_eq!(String::from_utf8(run.stdout).unwrap(), "x'; touch pwned; echo '$(touch pwned2)\n");
    assert!(!sb.path().join("pwned").exists() && !sb.path().join("pwned2").exists());
}

#[test]
fn missing_values_are_listed_at_once_and_exit_1() {
    let sb = Sandbox::new();
    sb.write("rb.md", "# Deploy\n\n```bash\ncf push APP_NAME\ncf target -s SPACE_NAME\n```\n\n## Glossary\n\nAPP_NAME = The app.\n\nSPACE_NAME = The space.\n");
    sb.runbook(&["plan", "rb.md"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Missing values:\n  APP_NAME  used at deploy/1:4\n  SPACE_NAME  used at deploy/1:5\n",
        ))
        .stdout(predicate::str::contains("$ cf push '«missing: APP_NAME»'"));
    let salt = sb.path().join(".runbook/salt");
    assert!(salt.is_file(), "a salt is made once per working copy");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&salt).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn selection_only_from_to() {
    let ids = |args: &[&str]| -> Vec<String> {
        let (_, _, json, _) = plan_outputs(args);
        let json: Value = serde_json::from_str(&json).unwrap();
        json["steps"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        ids(&["--only", "rotate-the-outside-access-key"]),
        ["list-keys", "delete-key", "recreate-key", "update-github-secrets"]
    );
    assert_eq!(ids(&["--from", "push", "--to", "map-route"]), ["push", "push-no-route", "create-route", "map-route"]);
    assert_eq!(ids(&["--only", "login"]), ["login"]);
    runbook()
        .args(["plan", "runbook/publication.md", "--salt-file", SALT, "--only", "nope"])
        .assert()
        .code(2)
        .stderr("error: no step `nope`\n");
}

#[test]
fn no_partial_file_on_a_bad_path() {
    let sb = Sandbox::new();
    sb.write("rb.md", "# D\n\n```bash\ncf apps\n```\n");
    sb.runbook(&["plan", "rb.md", "--transcript", "no/such/dir/p.md"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: no/such/dir/p.md: cannot write"));
    assert!(!sb.path().join("no").exists());
}

#[test]
fn reference_guide_structure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let out =
        runbook().args(["plan", "--salt-file", SALT, "--json"]).arg(&path).arg(reference_guide()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "values are missing");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 51);
    let get = |id: &str| steps.iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(get("deploying-to-gov-uk-paas/4")["flags"], serde_json::json!(["interactive"]));
    assert_eq!(
        get("refreshing-the-credentials-which-allow-for-outside-access-to-the-bucket/2")["flags"],
        serde_json::json!(["interactive"])
    );
    assert_eq!(
        get("creating-credentials-for-the-application-to-the-bucket/4")["flags"],
        serde_json::json!(["prints-secrets", "expects-output"])
    );
    assert_eq!(get("creating-credentials-for-the-application-to-the-bucket/3")["status"], "skipped");
    assert_eq!(get("deploying-to-gov-uk-paas/3")["effect"], "write-file");
    let missing: Vec<&str> = json["missing"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(
        missing,
        [
            "APP_NAME",
            "DOMAIN",
            "ENVIRONMENT_NAME",
            "ENVIRONMENT_VARIABLE",
            "HOSTNAME",
            "ORGANISATION",
            "PERMISSION",
            "ROUTE_SERVICE_URL",
            "SERVICE_INSTANCE",
            "SERVICE_KEY",
            "SERVICE_NAME",
            "SPACE_NAME",
            "USERNAME",
            "VALUE"
        ]
    );
    assert!(root().join("tests/fixtures/plan/salt").is_file());
}

#[test]
fn plan_and_check_share_the_configuration() {
    let sb = Sandbox::new();
    sb.write("rb.md", "# Deploy\n\n```bash\ncf pussh demo-app\n```\n");
    sb.runbook(&["plan", "rb.md"]).assert().code(1).stdout(predicate::str::contains("`runbook check` reports errors"));
    sb.write("runbook.toml", "[rules]\nunknown-cf-command = \"off\"\n");
    sb.runbook(&["plan", "rb.md"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("`runbook check` reports errors").not());
    sb.runbook(&["check", "rb.md"]).assert().code(0);
}
