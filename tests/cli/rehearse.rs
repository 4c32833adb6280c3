//! `run --rehearse` and `walk --rehearse`: the stand-in mechanism with small services of the
//! tests' own (always run), and the publication stand-ins (moto, boto3, pandas) on our edition,
//! the binding and rotation fixtures and the reference guide. Those need the rehearsal's Python
//! packages: outside CI they are skipped with a message on the terminal when missing; with `CI`
//! set a missing piece fails the test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Sandbox, pid_alive, reference_guide, root, runbook, signal_and_wait};

/// The Python with the rehearsal's packages: `RUNBOOK_REHEARSAL_PYTHON`, else `.venv/bin/python3`
/// in the project, else `python3`. `None` (after saying so) when none has them, outside CI.
fn rehearsal_python(test: &str) -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("RUNBOOK_REHEARSAL_PYTHON") {
        candidates.push(p);
    }
    candidates.push(root().join(".venv/bin/python3").display().to_string());
    candidates.push("python3".into());
    for python in &candidates {
        let ok = std::process::Command::new(python)
            .args(["-c", "import boto3, pandas, moto"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(python.clone());
        }
    }
    let message = format!(
        "{test}: no Python with boto3, pandas and moto (tried {}): create .venv with \
         `python3 -m venv .venv && .venv/bin/pip install -r runbook/rehearsal/requirements.txt`",
        candidates.join(", ")
    );
    assert!(std::env::var_os("CI").is_none(), "CI must run the rehearsal tests: {message}");
    // Straight to the terminal: the test harness keeps `eprintln!` of passing tests to itself.
    let _ = writeln!(std::io::stderr(), "SKIPPED {message}");
    None
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn steps(doc: &Value) -> Vec<Value> {
    doc["steps"].as_array().unwrap().clone()
}

fn step<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("no step {id}"))
}

fn wait_gone(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while pid_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    !pid_alive(pid)
}

fn read_pid(path: &Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(p) = std::fs::read_to_string(path).unwrap_or_default().trim().parse() {
            return p;
        }
        assert!(Instant::now() < deadline, "{} was never written", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A small HTTP service of the tests' own: writes its PID, answers `/ready`, counts `/hit`
/// and reports the count on `/report`.
const FAKE_SERVICE: &str = r#"import http.server, json, os, sys
open("service.pid", "w").write(str(os.getpid()))
hits = 0
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global hits
        if self.path == "/hit":
            hits += 1
        body = json.dumps({"hits": hits}).encode() if self.path == "/report" else b"ok"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"#;

/// A profile with the fake service, a `cf` stand-in (with a handler for `create-service`) and
/// a fixture file.
fn fake_profile(sb: &Sandbox, service_command: &str, ready: &str, timeout: u64) {
    sb.write("service.py", FAKE_SERVICE);
    sb.write("handler.sh", "echo \"handled: $*\"\necho \"state: ${RB_REHEARSAL_STATE:+set}\"\n");
    sb.write("fixture.csv", "a,b\n1,2\n");
    sb.write(
        "demo.rehearsal.toml",
        format!(
            "[[service]]\nname = \"fake\"\ncommand = {service_command}\nready = {ready}\nready_timeout = {timeout}\n\
             report = \"/report\"\nenv = {{ FAKE_URL = \"http://127.0.0.1:{{port}}\" }}\n\n\
             [[standin]]\ncommand = \"cf\"\ngrammar = \"cf\"\n[standin.handlers]\ncreate-service = \"handler.sh\"\n\n\
             [[fixture]]\npath = \"data/input.csv\"\nsource = \"fixture.csv\"\n"
        ),
    );
}

const DEMO: &str = "---\nrunbook: 1\nplaceholders:\n  API_PASSWORD: {description: A password, kind: text, secret: true}\n\
    exports:\n  CF_PASSWORD: API_PASSWORD\n---\n\n# Demo\n\n## Steps\n\n\
    ```bash {id=isolation}\necho \"home=$HOME\"\necho \"mode=$(stat -c %a \"$HOME/..\")\"\necho \"aws=${AWS_ACCESS_KEY_ID-unset} metadata=$AWS_EC2_METADATA_DISABLED\"\n\
    test \"$CF_HOME\" = \"$HOME\"\ncat data/input.csv\npython3 -c \"import os, urllib.request; urllib.request.urlopen(os.environ['FAKE_URL'] + '/hit').read()\"\n```\n\n\
    ```bash {id=create}\ncf create-service aws-s3-bucket default demo-data\n```\n\n\
    ```bash {id=push}\ncf push demo-app\n```\n\n\
    ```bash {id=auth}\ncf auth demo-user \"$CF_PASSWORD\"\n```\n\n\
    ```text {kind=output of=push}\nWaiting for app demo-app to start...\n```\n\n\
    ```bash {id=apps}\ncf apps\n```\n\n\
    ```bash {id=bad-bind}\ncf bind-service demo-app demo-data -c\n```\n\n\
    ```bash {id=after}\necho $$ > \"$MARKERS/after.pid\"\n```\n";

fn standard_service() -> String {
    "[\"python3\", \"service.py\", \"{port}\"]".into()
}

#[test]
fn stand_ins_are_checked_recorded_and_answered_in_a_sandbox() {
    let sb = Sandbox::new();
    fake_profile(&sb, &standard_service(), "{ http = \"/ready\" }", 30);
    sb.write("demo.md", DEMO);
    let out = sb
        .runbook(&[
            "run",
            "demo.md",
            "--rehearse",
            "--yes",
            "--keep-going",
            "--set",
            "API_PASSWORD=zzRehearsalSecret42",
            "--json",
            "run.json",
            "--transcript",
            "run.md",
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIAPARENTSHOULDNOT1")
        .env("AWS_PROFILE", "parent-profile")
        .env("MARKERS", sb.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the refused bind fails the run: {stdout}");
    let doc = json(&sb.path().join("run.json"));

    // Isolation: a sandbox home, no parent credentials, the fixture in place, the service reached.
    let isolation = step(&doc, "isolation")["run"]["output"].as_str().unwrap().to_string();
    assert!(isolation.contains("aws=unset metadata=true"), "{isolation}");
    assert!(isolation.contains("mode=700"), "the sandbox is private: {isolation}");
    assert!(isolation.contains("a,b\n1,2"), "{isolation}");
    let home = isolation.lines().find_map(|l| l.strip_prefix("home=")).unwrap().to_string();
    assert!(home.contains("runbook-rehearsal-"), "{home}");
    assert!(!Path::new(&home).exists(), "the sandbox {home} was not removed");
    assert_eq!(step(&doc, "isolation")["status"], "ok");

    // Each call: how it was answered.
    let calls = |id: &str| step(&doc, id)["run"]["calls"].as_array().cloned().unwrap_or_default();
    let create = &calls("create")[0];
    assert_eq!((create["answer"].as_str(), create["handler"].as_str()), (Some("handler"), Some("handler.sh")));
    let create_out = step(&doc, "create")["run"]["output"].as_str().unwrap();
    assert!(create_out.contains("handled: create-service aws-s3-bucket default demo-data"), "{create_out}");
    assert!(create_out.contains("state: set"), "handlers get the private state directory: {create_out}");
    assert_eq!(calls("push")[0]["answer"], "sample");
    assert_eq!(step(&doc, "push")["run"]["output"], "Waiting for app demo-app to start...\n");
    assert_eq!(
        step(&doc, "push")["run"]["notes"],
        serde_json::json!(["output not compared with the sample: it is the sample (not modelled)"])
    );
    // The record of calls on disk never held the secret: the shim masked it.
    assert_eq!(
        calls("auth").first().map(|c| c["args"].clone()),
        Some(serde_json::json!(["auth", "demo-user", "[secret: $CF_PASSWORD]"])),
        "{}",
        step(&doc, "auth")
    );
    assert_eq!(calls("apps")[0]["answer"], "not-modelled");
    let bad = &calls("bad-bind")[0];
    assert_eq!(bad["answer"], "refused");
    assert_eq!(bad["message"], "Incorrect Usage: expected argument for flag `-c'");
    assert_eq!(step(&doc, "bad-bind")["status"], "failed");
    assert_eq!(step(&doc, "after")["status"], "ok", "--keep-going goes on");
    assert!(sb.path().join("after.pid").exists());

    // The run says it was a rehearsal, and what the service reported.
    assert_eq!(doc["run"]["rehearsal"]["profile"], "demo.rehearsal.toml");
    assert_eq!(doc["run"]["rehearsal"]["services"][0]["report"]["hits"], 1);
    let md = std::fs::read_to_string(sb.path().join("run.md")).unwrap();
    assert!(md.starts_with("# Rehearsal of `demo.md`"), "{md}");
    assert!(md.contains("| stand-in calls | 2 modelled or checked, 3 not modelled |"), "{md}");
    assert!(md.contains("- `cf apps` not modelled: answered with success (exit 0)"), "{md}");
    assert!(md.contains("- `cf push demo-app` not modelled: answered with the runbook's sample (exit 0)"), "{md}");
    for text in [md.as_str(), &doc.to_string(), &stdout] {
        assert!(!text.contains("AKIAPARENTSHOULDNOT1") && !text.contains("zzRehearsalSecret42"));
    }

    // The service is stopped.
    let service = read_pid(&sb.path().join("service.pid"));
    assert!(wait_gone(service), "the service {service} is still running");
}

#[test]
fn a_service_that_fails_to_start_is_a_clear_error_and_nothing_runs() {
    let sb = Sandbox::new();
    fake_profile(&sb, "[\"sh\", \"-c\", \"echo 'address already in use' >&2; exit 3\"]", "{ tcp = true }", 30);
    sb.write("demo.md", DEMO);
    let out = sb.runbook(&["run", "demo.md", "--rehearse", "--yes"]).env("MARKERS", sb.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: service `fake` exited (exit status: 3) before it was ready: address already in use"
    );
    assert!(!sb.path().join("after.pid").exists(), "no step runs");
}

#[test]
fn a_service_that_never_becomes_ready_is_stopped() {
    let sb = Sandbox::new();
    fake_profile(&sb, "[\"sh\", \"-c\", \"echo $$ > service.pid; exec sleep 300\"]", "{ http = \"/ready\" }", 1);
    sb.write("demo.md", DEMO);
    let out = sb.runbook(&["run", "demo.md", "--rehearse", "--yes"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error: service `fake` was not ready after 1 s (log: empty)"), "{stderr}");
    let pid = read_pid(&sb.path().join("service.pid"));
    assert!(wait_gone(pid), "the service {pid} is still running");
}

#[test]
fn ctrl_c_or_a_closed_terminal_during_a_rehearsal_leaves_no_process_behind() {
    for signal in ["INT", "HUP"] {
        interrupted_rehearsal(signal);
    }
}

fn interrupted_rehearsal(signal: &str) {
    let sb = Sandbox::new();
    fake_profile(&sb, &standard_service(), "{ http = \"/ready\" }", 30);
    sb.write("long.md", "# Long\n\n```bash {id=wait}\necho $$ > \"$MARKERS/step.pid\"\nsleep 300\n```\n");
    sb.write("long.rehearsal.toml", std::fs::read_to_string(sb.path().join("demo.rehearsal.toml")).unwrap());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
        .current_dir(sb.path())
        .args(["run", "long.md", "--rehearse", "--yes", "--json", "run.json"])
        .env("NO_COLOR", "1")
        .env("MARKERS", sb.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let step_pid = read_pid(&sb.path().join("step.pid"));
    let service_pid = read_pid(&sb.path().join("service.pid"));
    assert!(pid_alive(service_pid));
    assert_eq!(signal_and_wait(&mut child, signal), Some(130), "SIG{signal}");
    assert!(wait_gone(step_pid), "SIG{signal}: the step {step_pid} is still running");
    assert!(wait_gone(service_pid), "SIG{signal}: the service {service_pid} is still running");
    assert_eq!(json(&sb.path().join("run.json"))["run"]["outcome"], "interrupted");
}

#[test]
fn missing_pieces_and_bad_profiles_are_clear_errors() {
    let sb = Sandbox::new();
    sb.write("demo.md", DEMO);
    let out = sb.runbook(&["run", "demo.md", "--rehearse", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: demo.rehearsal.toml: no rehearsal profile (expected beside the runbook, or give one with --rehearse=PROFILE)"
    );

    sb.write(
        "needs.rehearsal.toml",
        "[requires]\npython_modules = [\"json\", \"surely_not_a_module_x\"]\ninstall = \"pip install -r requirements.txt\"\n",
    );
    let out = sb.runbook(&["run", "demo.md", "--rehearse=needs.rehearsal.toml", "--yes"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: the rehearsal needs the Python module surely_not_a_module_x in /")
            && stderr.trim_end().ends_with(": pip install -r requirements.txt"),
        "{stderr}"
    );
    let out = sb
        .runbook(&["run", "demo.md", "--rehearse=needs.rehearsal.toml", "--yes", "--python", "no-such-python-x"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the rehearsal needs Python: `no-such-python-x` was not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    sb.write("bad.rehearsal.toml", "[[standin]]\ncommand = \"cf\"\ngrammar = \"bash\"\n");
    let out = sb.runbook(&["run", "demo.md", "--rehearse=bad.rehearsal.toml", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: bad.rehearsal.toml:3: stand-in `cf`: unknown grammar `bash` (known: cf)"
    );

    let out = sb.runbook(&["run", "demo.md", "--rehearse", "--resume"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a rehearsal cannot resume"));
}

/// `runbook run FILE --rehearse…` from the project root, transcripts in `out`.
fn rehearse(python: &str, file: &str, extra: &[&str], out: &Path) -> (std::process::Output, Value, String) {
    let json_path = out.join("run.json");
    let md_path = out.join("run.md");
    let mut args = vec!["run", file, "--yes"];
    // The project's `.venv` is the profiles' own choice: then the command is exactly the README's.
    if Path::new(python) != root().join(".venv/bin/python3") {
        args.extend(["--python", python]);
    }
    let (j, m) = (json_path.display().to_string(), md_path.display().to_string());
    args.extend(["--json", &j, "--transcript", &m]);
    args.extend(extra);
    let output = runbook().args(&args).output().unwrap();
    let doc = json(&json_path);
    let md = std::fs::read_to_string(&md_path).unwrap();
    (output, doc, md)
}

/// No moto access key (they start `AKIA` or `ASIA` followed by 16 characters) in `text`.
fn assert_no_access_key(text: &str, what: &str) {
    let re = regex::Regex::new(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b").unwrap();
    assert!(!re.is_match(text), "{what} shows an access key: {}", re.find(text).unwrap().as_str());
}

#[test]
fn our_edition_passes_the_whole_rehearsal_with_every_s3_and_key_step_modelled() {
    let Some(python) = rehearsal_python("our_edition_passes_the_whole_rehearsal") else { return };
    let out = tempfile::tempdir().unwrap();
    let (output, doc, md) = rehearse(&python, "runbook/publication.md", &["--rehearse"], out.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(doc["run"]["outcome"], "ok");
    assert!(stdout.contains("Rehearsal ok: 19 acknowledged, 31 ok, 7 skipped"), "{stdout}");
    for s in steps(&doc) {
        let status = s["status"].as_str().unwrap();
        assert!(["ok", "acknowledged", "skipped"].contains(&status), "{} is {status}", s["id"]);
    }
    // Every S3 and key step was answered by the broker model, none from a sample.
    for id in [
        "create-bucket",
        "check-bucket",
        "bind-service",
        "show-env",
        "create-service-key",
        "service-key",
        "list-keys",
        "delete-key",
        "set-app-env",
    ] {
        let calls = step(&doc, id)["run"]["calls"].as_array().unwrap().clone();
        assert!(!calls.is_empty(), "{id} called no stand-in");
        for c in calls {
            assert_eq!(c["answer"], "handler", "{id}: {c}");
            assert_eq!(c["exit_code"], 0, "{id}: {c}");
        }
    }
    // The rotation made a new key, read again; the Python steps reached the S3 server.
    assert!(step(&doc, "recreate-key")["run"]["message"].as_str().unwrap().contains("create-service-key, service-key"));
    let report = &doc["run"]["rehearsal"]["services"][0]["report"];
    assert!(report["requests"]["s3"].as_u64().unwrap() > 0, "{report}");
    assert!(report["requests"]["iam"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["requests"]["unsigned"], Value::Null, "every request was signed: {report}");
    assert!(step(&doc, "read-csv")["run"]["output"].as_str().unwrap().contains("Read 6 rows from dashboard.csv"));
    assert!(step(&doc, "show-env")["run"]["expected"][0]["matched"].as_bool().unwrap());
    assert!(step(&doc, "service-key")["run"]["expected"][0]["matched"].as_bool().unwrap());
    // Secrets: captured, masked everywhere.
    assert_eq!(
        step(&doc, "service-key")["run"]["captured"],
        serde_json::json!(["ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "S3_REGION", "S3_BUCKET"])
    );
    assert_no_access_key(&stdout, "stdout");
    assert_no_access_key(&md, "run.md");
    assert_no_access_key(&doc.to_string(), "run.json");
    assert!(md.starts_with("# Rehearsal of `runbook/publication.md`"));
    assert!(md.contains("| rehearsal | yes: against local stand-ins declared in `runbook/publication.rehearsal.toml`, not the real platform |"));
}

#[test]
fn a_read_only_binding_cannot_write_and_the_lint_flags_read_write_first() {
    let fixtures = "tests/fixtures/rehearsal";
    // The lint: the read-write binding breaks the runbook's read-only policy.
    let out = runbook().args(["check", &format!("{fixtures}/binding-read-write.md")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("error[RB307]: binds `APP_NAME` to `SERVICE_NAME` read-write")
    );
    let out = runbook().args(["check", &format!("{fixtures}/binding-read-only.md")]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    let Some(python) = rehearsal_python("a_read_only_binding_cannot_write") else { return };
    let profile = format!("--rehearse={fixtures}/stand-ins.rehearsal.toml");
    let vars = format!("{fixtures}/binding.env");
    for (file, expected) in
        [("binding-read-only.md", "write: AccessDenied"), ("binding-read-write.md", "write: allowed")]
    {
        let out = tempfile::tempdir().unwrap();
        let (output, doc, _) =
            rehearse(&python, &format!("{fixtures}/{file}"), &[&profile, "--vars", &vars], out.path());
        assert_eq!(output.status.code(), Some(0), "{file}: {}", String::from_utf8_lossy(&output.stdout));
        let written = step(&doc, "try-write")["run"]["output"].as_str().unwrap().trim().to_string();
        assert_eq!(written, expected, "{file}");
        assert_eq!(step(&doc, "bind")["run"]["calls"][0]["answer"], "handler");
    }
}

#[test]
fn after_a_rotation_the_old_key_is_refused() {
    let Some(python) = rehearsal_python("after_a_rotation_the_old_key_is_refused") else { return };
    let fixtures = "tests/fixtures/rehearsal";
    let out = tempfile::tempdir().unwrap();
    let (output, doc, _) = rehearse(
        &python,
        &format!("{fixtures}/rotation.md"),
        &[&format!("--rehearse={fixtures}/stand-ins.rehearsal.toml"), "--vars", &format!("{fixtures}/rotation.env")],
        out.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(step(&doc, "use-old-key")["run"]["output"], "old key before the rotation: written\n");
    assert_eq!(
        step(&doc, "use-both-keys")["run"]["output"],
        "old key after the rotation: InvalidAccessKeyId\nnew key after the rotation: written\n"
    );
}

#[test]
fn the_reference_guide_fails_at_its_real_defects() {
    let Some(python) = rehearsal_python("the_reference_guide_fails_at_its_real_defects") else { return };
    let guide = reference_guide();
    let fixtures = root().join("tests/fixtures/rehearsal");
    let out = tempfile::tempdir().unwrap();
    let (output, doc, md) = rehearse(
        &python,
        &guide.display().to_string(),
        &[
            &format!("--rehearse={}", fixtures.join("stand-ins.rehearsal.toml").display()),
            "--vars",
            &fixtures.join("reference.env").display().to_string(),
            "--keep-going",
        ],
        out.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("is not a placeholder"), "values the guide has no use for are left out: {stderr}");
    // (step id, Markdown line, what went wrong): found by running, not by reading.
    let failed: Vec<(String, u64, String)> = steps(&doc)
        .iter()
        .filter(|s| s["status"] == "failed")
        .map(|s| {
            let run = &s["run"];
            let message = run["message"].as_str().unwrap_or_default();
            let line = run["failed_line"].as_u64().or_else(|| run["expected"][0]["line"].as_u64()).unwrap_or(0);
            let what =
                if let Some(call) = run["calls"].as_array().and_then(|c| c.iter().find(|c| c["answer"] == "refused")) {
                    format!("refused: {}", call["message"].as_str().unwrap())
                } else if let Some(error) = regex::Regex::new(r": ([A-Za-z]+Error): ").unwrap().captures(message) {
                    error[1].to_string()
                } else if message.starts_with("output lacks the key") {
                    "sample mismatch".to_string()
                } else {
                    message.to_string()
                };
            (s["id"].as_str().unwrap().to_string(), line, what)
        })
        .collect();
    let expected: Vec<(String, u64, String)> = [
        // The inline JSON in backticks: a command substitution, so `-c` loses its value.
        (
            "creating-credentials-for-the-application-to-the-bucket/3",
            142,
            "refused: Incorrect Usage: expected argument for flag `-c'",
        ),
        // cf v8 prints the key under `credentials`; the sample is the older, bare form.
        ("to-get-credentials-for-a-service-key-use/1", 237, "sample mismatch"),
        // `upload_file(key=…, filename=…)`: boto3's keywords are `Key` and `Filename`.
        ("uploading-a-file-to-a-bucket/1", 304, "TypeError"),
        // `s3` is never defined (the resource was called `s3_client`).
        ("accessing-a-file-within-the-bucket/1", 315, "NameError"),
        // `os.environ(…)` is not callable.
        ("accessing-the-environment-variable-within-python/1", 327, "TypeError"),
        // The block is indented.
        ("copying-a-file-from-one-bucket-to-another-bucket/1", 337, "IndentationError"),
        // `staging_bucket` is never created (the block that would has the indentation error).
        ("copying-a-file-from-one-bucket-to-another-bucket/2", 352, "NameError"),
    ]
    .into_iter()
    .map(|(id, line, what)| (id.to_string(), line, what.to_string()))
    .collect();
    assert_eq!(failed, expected);
    // Everything else that ran did so for real; nothing of the S3 flow was answered without a model.
    for s in steps(&doc) {
        for c in s["run"]["calls"].as_array().cloned().unwrap_or_default() {
            let sub = c["args"][0].as_str().unwrap_or_default();
            if [
                "create-service",
                "bind-service",
                "env",
                "create-service-key",
                "service-key",
                "service-keys",
                "delete-service-key",
            ]
            .contains(&sub)
            {
                assert!(["handler", "refused"].contains(&c["answer"].as_str().unwrap()), "{}: {c}", s["id"]);
            }
        }
    }
    assert_no_access_key(&md, "run.md");
}

#[test]
fn walk_rehearses_our_edition_step_by_step() {
    let Some(python) = rehearsal_python("walk_rehearses_our_edition_step_by_step") else { return };
    let out = tempfile::tempdir().unwrap();
    let md_path: PathBuf = out.path().join("walk.md");
    let output = runbook()
        .args(["walk", "runbook/publication.md", "--rehearse", "--python", &python, "--transcript"])
        .arg(&md_path)
        .write_stdin("\n".repeat(400))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "This is a rehearsal: every step runs against the local stand-ins of runbook/publication.rehearsal.toml"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Read 6 rows from dashboard.csv"), "{stdout}");
    assert!(stdout.contains("Walk finished"), "{stdout}");
    assert_no_access_key(&stdout, "the walk");
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.starts_with("# Rehearsal of `runbook/publication.md`"));
    assert_eq!(md.matches("**Status:** failed").count(), 0, "{md}");
}
