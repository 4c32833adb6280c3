//! `runbook run`: real processes in temp dirs.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{Sandbox, interrupt_and_wait, pid_alive, root, snapshot_settings};

/// An obviously fake secret with a quote and a backslash, so its JSON-escaped form differs.
const TOKEN: &str = "tok_FAKE\"quote\\slash0123";

fn pipeline() -> Sandbox {
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(root().join("tests/fixtures/run/pipeline.md")).unwrap();
    sb.write("pipeline.md", text);
    sb
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn statuses(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s["status"].as_str().unwrap().to_string()))
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every form a secret could leak in.
fn assert_no_secret(text: &str, secret: &str, what: &str) {
    let json_escaped = serde_json::to_string(secret).unwrap();
    let json_escaped = &json_escaped[1..json_escaped.len() - 1];
    for form in [secret, json_escaped, &base64(secret.as_bytes())] {
        assert!(!text.contains(form), "{what} holds the secret in the form {form:?}");
    }
}

fn run_pipeline(sb: &Sandbox, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "pipeline.md",
        "--set",
        "GREETING=hello",
        "--set",
        "REPORT_TITLE=Weekly numbers; $(touch pwned) 'x' `touch pwned2`",
        "--yes",
    ];
    args.extend_from_slice(extra);
    sb.runbook(&args).env("RUNBOOK_VAR_API_TOKEN", TOKEN).output().unwrap()
}

#[test]
fn a_multi_section_runbook_runs_end_to_end() {
    let sb = pipeline();
    // A fixed salt keeps the digest (which covers the secret's HMAC) the same from run to run.
    let salt = root().join("tests/fixtures/plan/salt");
    let out =
        run_pipeline(&sb, &["--transcript", "run.md", "--json", "run.json", "--salt-file", salt.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // A value full of shell metacharacters arrives as one literal argument.
    assert!(stdout.contains("[Weekly numbers; $(touch pwned) 'x' `touch pwned2`]"), "{stdout}");
    assert!(!sb.path().join("pwned").exists() && !sb.path().join("pwned2").exists());
    // The file step wrote the file, the next step read it back and matched the sample.
    let settings = std::fs::read_to_string(sb.path().join("settings.json")).unwrap();
    assert!(settings.contains("\"greeting\": \"hello\""), "{settings}");
    // A capture fed a later shell step and a Python section.
    assert!(stdout.contains("bucket is demo-bucket-1"), "{stdout}");
    assert!(stdout.contains("python sees demo-bucket-1 True"), "{stdout}");
    // The secret printed plainly, split across two writes, JSON-escaped and in base64.
    for (text, what) in [(&*stdout, "stdout"), (&*stderr, "stderr")] {
        assert_no_secret(text, TOKEN, what);
        assert_no_secret(text, "fakeKey0123456789abcdefEXAMPLE", what);
    }
    assert!(stdout.contains("split: [redacted: API_TOKEN]"), "{stdout}");
    let md = std::fs::read_to_string(sb.path().join("run.md")).unwrap();
    let js = std::fs::read_to_string(sb.path().join("run.json")).unwrap();
    let state_dir =
        std::fs::read_dir(sb.path().join(".runbook")).unwrap().flatten().find(|e| e.path().is_dir()).unwrap();
    let state = std::fs::read_to_string(state_dir.path().join("state.json")).unwrap();
    for (text, what) in [(&md, "run.md"), (&js, "run.json"), (&state, "state.json")] {
        assert_no_secret(text, TOKEN, what);
        assert_no_secret(text, "fakeKey0123456789abcdefEXAMPLE", what);
    }
    assert!(!state.contains("BUCKET_KEY\":"), "secret captures are never stored: {state}");
    let doc = json(&sb.path().join("run.json"));
    assert_eq!(doc["kind"], "run");
    assert_eq!(doc["run"]["outcome"], "ok");
    assert!(statuses(&doc).iter().all(|(_, s)| s == "ok"), "{:?}", statuses(&doc));
    let make = doc["steps"].as_array().unwrap().iter().find(|s| s["id"] == "make-bucket").unwrap();
    assert_eq!(make["run"]["captured"], serde_json::json!(["BUCKET", "BUCKET_KEY"]));
    let read_back = doc["steps"].as_array().unwrap().iter().find(|s| s["id"] == "read-back").unwrap();
    assert_eq!(read_back["run"]["expected"][0]["matched"], true);
    let mut settings = snapshot_settings("run");
    settings.add_filter(r"· \d+(\.\d+)?(ms|s|m \d+s)", "· [duration]");
    settings.add_filter(r#""duration_ms": \d+"#, r#""duration_ms": "[duration]""#);
    settings.bind(|| insta::assert_snapshot!("pipeline_transcript", md));
}

#[test]
fn a_failure_names_its_markdown_line_and_resume_continues_after_it() {
    let sb = Sandbox::new();
    let text = "# Deploy\n\n## Steps\n\n1. Count:\n\n   ```bash {id=count}\n   echo run >> count.log\n   ```\n\n\
                2. Check the flag:\n\n   ```bash {id=check}\n   echo checking\n   test -f flag\n   echo never\n   ```\n\n\
                3. Finish:\n\n   ```bash {id=finish}\n   echo finished\n   ```\n";
    sb.write("deploy.md", text);
    let out = sb.runbook(&["run", "deploy.md", "--yes", "--json", "run.json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // `test -f flag` is on line 15 of the Markdown file.
    assert!(stdout.contains("failed at deploy.md:15 (exit status 1)"), "{stdout}");
    assert!(!stdout.contains("never"));
    let doc = json(&sb.path().join("run.json"));
    assert_eq!(
        statuses(&doc),
        [("count".into(), "ok".into()), ("check".into(), "failed".into()), ("finish".into(), "not-reached".into())]
    );
    assert_eq!(doc["steps"][1]["run"]["failed_line"], 15);

    // Fixed: resume runs the failed step and the rest, not the first one again.
    sb.write("flag", "");
    let out = sb.runbook(&["run", "deploy.md", "--yes", "--resume", "--json", "run.json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("finished"));
    assert_eq!(std::fs::read_to_string(sb.path().join("count.log")).unwrap(), "run\n");
    let doc = json(&sb.path().join("run.json"));
    assert_eq!(doc["run"]["resumed"], true);
    assert!(doc["steps"][0]["run"]["message"].as_str().unwrap().contains("earlier run"));

    // A step finished earlier has changed: resume refuses and names it.
    sb.write("deploy.md", text.replace("echo run >> count.log", "echo again >> count.log"));
    let out = sb.runbook(&["run", "deploy.md", "--yes", "--resume"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("step `count` (deploy.md:5) has changed since it ran"), "{stderr}");
}

#[test]
fn resume_without_an_earlier_run_is_a_usage_error() {
    let sb = Sandbox::new();
    sb.write("a.md", "# A\n\n```bash\necho hi\n```\n");
    let out = sb.runbook(&["run", "a.md", "--resume"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to resume"));
}

#[test]
fn a_timeout_kills_the_step_and_its_grandchild() {
    let sb = Sandbox::new();
    sb.write("slow.md", "# Slow\n\n```bash {id=slow}\nsleep 300 &\necho $! > grandchild.pid\nsleep 300\n```\n");
    let started = Instant::now();
    let out = sb.runbook(&["run", "slow.md", "--yes", "--timeout", "1s", "--json", "run.json"]).output().unwrap();
    assert!(started.elapsed() < Duration::from_mins(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("timed out after 1.0s at slow.md:4"), "{stdout}");
    assert_eq!(json(&sb.path().join("run.json"))["steps"][0]["status"], "timed-out");
    let pid: i32 = std::fs::read_to_string(sb.path().join("grandchild.pid")).unwrap().trim().parse().unwrap();
    assert!(!pid_alive(pid), "the grandchild {pid} is still running");
}

#[test]
fn ctrl_c_interrupts_the_step_and_writes_the_transcript() {
    let sb = Sandbox::new();
    sb.write(
        "long.md",
        "# Long\n\n```bash {id=wait}\necho $$ > step.pid\nsleep 300\n```\n\n```bash {id=after}\necho after\n```\n",
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
        .current_dir(sb.path())
        .args(["run", "long.md", "--yes", "--json", "run.json", "--transcript", "run.md"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sb.path().join("step.pid").exists() {
        assert!(Instant::now() < deadline, "the step never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let step_pid: i32 = loop {
        if let Ok(p) = std::fs::read_to_string(sb.path().join("step.pid")).unwrap_or_default().trim().parse() {
            break p;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(interrupt_and_wait(&mut child), Some(130));
    let doc = json(&sb.path().join("run.json"));
    assert_eq!(statuses(&doc), [("wait".into(), "interrupted".into()), ("after".into(), "not-reached".into())]);
    assert_eq!(doc["run"]["outcome"], "interrupted");
    assert!(!pid_alive(step_pid), "the step's shell {step_pid} is still running");
}

#[test]
fn python_blocks_share_a_namespace_and_tracebacks_point_at_markdown_lines() {
    let sb = Sandbox::new();
    let text = "# Py\n\n## Code\n\n### Define\n\n```python {id=define}\nnumbers = [1, 2, 3]\n```\n\n\
                ### Use\n\n```python {id=use}\nprint('total', sum(numbers))\n```\n\n\
                ### Break\n\n```python {id=break}\nx = 1\nprint(not_defined)\n```\n";
    sb.write("py.md", text);
    let out = sb.runbook(&["run", "py.md", "--yes", "--transcript", "run.md"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("total 6"), "{stdout}");
    // `print(not_defined)` is line 21 of py.md.
    assert!(stdout.contains("File \"py.md\", line 21"), "{stdout}");
    assert!(stdout.contains("failed at py.md:21: NameError: name 'not_defined' is not defined"), "{stdout}");
    let md = std::fs::read_to_string(sb.path().join("run.md")).unwrap();
    assert!(md.contains("File \"py.md\", line 21"), "{md}");
}

#[test]
fn resuming_inside_a_python_section_restarts_at_its_first_python_step() {
    let sb = Sandbox::new();
    let text = "# Py\n\n## Code\n\n```python {id=define}\nvalue = 41\n```\n\n```python {id=use}\nimport os\n\
                assert os.path.exists('go'), 'no go file'\nprint('answer', value + 1)\n```\n";
    sb.write("py.md", text);
    let out = sb.runbook(&["run", "py.md", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    sb.write("go", "");
    let out = sb.runbook(&["run", "py.md", "--yes", "--resume"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("first Python step `define`"), "{stdout}");
    assert!(stdout.contains("answer 42"), "{stdout}");
    let out = sb.runbook(&["run", "py.md", "--yes", "--from", "use"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("starting at its first Python step `define`"), "{stdout}");
}

#[test]
fn output_is_compared_with_the_sample() {
    let sb = Sandbox::new();
    let text = "# Out\n\n```bash {id=good}\nprintf 'name: demo\\nstate: started\\n'\n```\n\n\
                ```text {kind=output of=good}\nname: [..]\nstate: started\n```\n\n\
                ```bash {id=bad}\nprintf '{\"name\": \"demo\"}\\n'\n```\n\n\
                ```json {kind=output of=bad}\n{\"name\": \"other\", \"size\": 3}\n```\n";
    sb.write("out.md", text);
    let out = sb.runbook(&["run", "out.md", "--yes", "--json", "run.json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let doc = json(&sb.path().join("run.json"));
    assert_eq!(statuses(&doc), [("good".into(), "ok".into()), ("bad".into(), "failed".into())]);
    let bad = &doc["steps"][1]["run"];
    assert_eq!(bad["expected"][0]["matched"], false);
    assert!(bad["message"].as_str().unwrap().contains("size"), "{bad}");
    assert!(bad["message"].as_str().unwrap().contains("out.md:17"), "{bad}");
    assert!(bad["expected"][0]["diff"].as_str().is_some_and(|d| d.contains("size")), "{bad}");
}

#[test]
fn a_declared_exit_status_is_expected() {
    let sb = Sandbox::new();
    sb.write(
        "exit.md",
        "# Exit\n\n```bash {id=refused expect-exit=3}\nexit 3\n```\n\n```bash {id=wrong expect-exit=3}\ntrue\n```\n",
    );
    let out = sb.runbook(&["run", "exit.md", "--yes", "--keep-going", "--json", "run.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&sb.path().join("run.json"));
    assert_eq!(statuses(&doc), [("refused".into(), "ok".into()), ("wrong".into(), "failed".into())]);
    assert!(doc["steps"][1]["run"]["message"].as_str().unwrap().contains("exit status 0 at exit.md:8, expected 3"));
}

#[test]
fn a_selection_that_leaves_out_a_prerequisite_names_it() {
    let sb = pipeline();
    let out = run_pipeline(&sb, &["--only", "use-bucket"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("step `use-bucket` needs `BUCKET`, which step `make-bucket` captures, but the selection leaves `make-bucket` out"),
        "{stderr}"
    );
}

#[test]
fn a_file_step_does_not_clobber_a_different_file() {
    let sb = pipeline();
    sb.write("settings.json", "{\"mine\": true}\n");
    let out = sb
        .runbook(&[
            "run",
            "pipeline.md",
            "--only",
            "settings",
            "--no-clobber",
            "--set",
            "GREETING=hi",
            "--set",
            "REPORT_TITLE=t",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("--no-clobber refuses to overwrite it"), "{stdout}");
    assert!(stdout.contains("- {\"mine\": true}"), "the diff is shown: {stdout}");
    assert_eq!(std::fs::read_to_string(sb.path().join("settings.json")).unwrap(), "{\"mine\": true}\n");
    // No terminal and no --yes: refused with the way out.
    let out = sb
        .runbook(&["run", "pipeline.md", "--only", "settings", "--set", "GREETING=hi", "--set", "REPORT_TITLE=t"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pass --yes to overwrite it or --no-clobber to keep it"));
    let out = sb
        .runbook(&[
            "run",
            "pipeline.md",
            "--only",
            "settings",
            "--yes",
            "--set",
            "GREETING=hi",
            "--set",
            "REPORT_TITLE=t",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(sb.path().join("settings.json")).unwrap().contains("\"hi\""));
}

#[test]
fn changes_and_manual_steps_need_consent_without_a_terminal() {
    let sb = Sandbox::new();
    sb.write("m.md", "# M\n\n1. Ask a colleague for access.\n\n2. Create it:\n\n   ```bash\n   mkdir made\n   ```\n");
    let out = sb.runbook(&["run", "m.md"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --yes"));
    assert!(!sb.path().join("made").exists());
    let out = sb.runbook(&["run", "m.md", "--yes", "--json", "r.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let doc = json(&sb.path().join("r.json"));
    assert_eq!(doc["steps"][0]["status"], "acknowledged");
    assert!(sb.path().join("made").is_dir());
}

#[test]
fn a_stale_plan_is_refused_with_what_changed() {
    let sb = pipeline();
    let set = ["--set", "GREETING=hello", "--set", "REPORT_TITLE=t", "--only", "settings"];
    let mut args = vec!["plan", "pipeline.md", "--json", "plan.json"];
    args.extend_from_slice(&set);
    assert_eq!(sb.runbook(&args).env("RUNBOOK_VAR_API_TOKEN", TOKEN).output().unwrap().status.code(), Some(0));
    let mut args = vec!["run", "pipeline.md", "--plan", "plan.json"];
    args.extend_from_slice(&set);
    let out = sb.runbook(&args).env("RUNBOOK_VAR_API_TOKEN", TOKEN).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sb
        .runbook(&[
            "run",
            "pipeline.md",
            "--plan",
            "plan.json",
            "--set",
            "GREETING=bonjour",
            "--set",
            "REPORT_TITLE=t",
            "--only",
            "settings",
        ])
        .env("RUNBOOK_VAR_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is stale: values changed: `GREETING`"), "{stderr}");
    assert!(stderr.contains("steps differ: `settings`"), "{stderr}");
}

#[test]
fn two_runs_cannot_share_one_state() {
    let sb = Sandbox::new();
    sb.write("w.md", "# W\n\n```bash {id=wait}\ntouch started\nsleep 300\n```\n");
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
        .current_dir(sb.path())
        .args(["run", "w.md", "--yes"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sb.path().join("started").exists() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = sb.runbook(&["run", "w.md", "--yes"]).output().unwrap();
    let _ = std::process::Command::new("kill").args(["-INT", &first.id().to_string()]).status();
    let _ = first.wait();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another run of this runbook"));
}

#[test]
fn resume_obtains_a_secret_capture_again_by_rerunning_its_read_step() {
    let sb = Sandbox::new();
    let secret = "fakeSecretValue0123456789";
    sb.write("key.json", format!("{{\"key\": \"{secret}\"}}\n"));
    sb.write(
        "k.md",
        "---\nrunbook: 1\ncaptures:\n  KEY: {from: show-key, json: /key, secret: true, description: The key}\n\
         exports:\n  THE_KEY: KEY\n---\n\n# K\n\n```bash {id=show-key}\ncat key.json\n```\n\n\
         ```bash {id=use-key}\ntest -f go\ntest \"$THE_KEY\" = \"fakeSecretValue0123456789\"\necho key ok\n```\n",
    );
    let out = sb.runbook(&["run", "k.md", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_no_secret(&String::from_utf8_lossy(&out.stdout), secret, "stdout");
    sb.write("go", "");
    let out = sb.runbook(&["run", "k.md", "--yes", "--resume"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("re-running step `show-key`"), "{stdout}");
    assert!(stdout.contains("key ok"), "{stdout}");
    assert_no_secret(&stdout, secret, "stdout");
    let state_dir =
        std::fs::read_dir(sb.path().join(".runbook")).unwrap().flatten().find(|e| e.path().is_dir()).unwrap();
    let state = std::fs::read_to_string(state_dir.path().join("state.json")).unwrap();
    assert_no_secret(&state, secret, "state.json");
    assert!(state.contains("\"secret_captures\": [\n    \"KEY\"\n  ]"), "{state}");
}

#[test]
fn an_interactive_step_without_a_terminal_fails_clearly() {
    let sb = Sandbox::new();
    sb.write("i.md", "# I\n\n```bash {id=login}\ncf login -a https://api.example.com\n```\n");
    let out = sb.runbook(&["run", "i.md", "--yes"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("step at i.md:3 is interactive (it asks for input) and standard input is not a terminal"),
        "{stdout}"
    );
}

/// `script` (util-linux) gives `runbook` a pseudo-terminal; answers are typed once the prompt shows.
/// The step's own text also holds the secret (in a comment, so in its title): the spinner, the
/// step lines and the output must all mask it.
#[test]
fn on_a_terminal_a_missing_secret_is_read_without_echo_and_changes_are_confirmed() {
    use std::io::{Read, Write};
    let sb = Sandbox::new();
    sb.write(
        "t.md",
        "---\nrunbook: 1\nplaceholders:\n  PASS: {description: A password, kind: text, secret: true}\n---\n# T\n\n\
         ```bash {id=make}\nmkdir made && printf 'length %s\\n' \"$(printf '%s' \"PASS\" | wc -c)\" # not typed-fake-secret-42\n```\n",
    );
    let bin = assert_cmd::cargo::cargo_bin("runbook");
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &format!("{} run t.md", bin.display()), "/dev/null"])
        .current_dir(sb.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let wait_for = |needle: &str, seen: &mut String| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !seen.contains(needle) {
            assert!(Instant::now() < deadline, "never saw {needle:?} in {seen:?}");
            if let Ok(b) = rx.recv_timeout(Duration::from_millis(50)) {
                seen.push_str(&String::from_utf8_lossy(&b));
            }
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    wait_for("not shown", &mut seen);
    std::thread::sleep(Duration::from_millis(200));
    stdin.write_all(b"typed-fake-secret-42\n").unwrap();
    wait_for("Go ahead? [y/N]", &mut seen);
    stdin.write_all(b"y\n").unwrap();
    wait_for("Run ok", &mut seen);
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}");
    assert!(seen.contains("length 20"), "{seen}");
    assert!(!seen.contains("typed-fake-secret-42"), "the secret was echoed: {seen}");
    assert!(sb.path().join("made").is_dir());
}

#[test]
fn children_get_their_environment_and_workdir_and_long_output_is_cut() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path().join("app")).unwrap();
    sb.write(
        "e.md",
        "# E\n\n```bash {id=where}\necho \"in ${PWD##*/}; extra=${RUNBOOK_EXTRA-unset}; salt=${RB_SECRET_1-unset}\"\n```\n\n\
         ```bash {id=loud}\nhead -c 200000 /dev/zero | tr '\\0' 'x'; echo\n```\n",
    );
    let out = sb
        .runbook(&[
            "run",
            "e.md",
            "--yes",
            "--workdir",
            "app",
            "--json",
            "run.json",
            "--transcript",
            "run.md",
            "--quiet",
        ])
        .env("RUNBOOK_EXTRA", "not for children")
        .env("RB_SECRET_1", "inherited")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json(&sb.path().join("run.json"));
    assert_eq!(doc["steps"][0]["run"]["output"], "in app; extra=unset; salt=unset\n");
    let loud = &doc["steps"][1]["run"];
    assert_eq!(loud["output"].as_str().unwrap().len(), 64 * 1024);
    assert_eq!(loud["truncated"], 200_001 - 64 * 1024);
    let md = std::fs::read_to_string(sb.path().join("run.md")).unwrap();
    assert!(md.contains(&format!("(output cut: {} more bytes not kept)", 200_001 - 64 * 1024)));
    // --quiet: nothing but the summary for a run that went well.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim_end(), "Run ok: 2 ok\nTranscript: run.md", "{stdout}");
}
