//! `runbook walk`: driven through standard input (answers one per line) and in a real
//! pseudo-terminal. Steps run real, harmless commands in temp dirs.

use std::path::Path;
use std::time::Duration;

use crate::support::{Sandbox, root};

/// An obviously fake token.
const TOKEN: &str = "fake-token-123456";

fn deploy() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("deploy.md", std::fs::read_to_string(root().join("tests/fixtures/walk/deploy.md")).unwrap());
    sb
}

fn walk(sb: &Sandbox, args: &[&str], input: &str) -> (Option<i32>, String) {
    let mut all = vec!["walk", "deploy.md"];
    all.extend_from_slice(args);
    let out = sb.runbook(&all).write_stdin(input).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn statuses(path: &Path) -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s["status"].as_str().unwrap().to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect()
}

#[test]
fn answers_come_from_standard_input_and_a_stopped_walk_resumes() {
    let sb = deploy();
    // Manual step: done (empty line = default); choice; an invalid name, then a valid one; run;
    // skip the file step; the secret; quit.
    let input = format!("\ntrue\nBad_Name!\ndemo-app\nr\ns\n{TOKEN}\nq\n");
    let (code, out) = walk(&sb, &["--json", "walk.json"], &input);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Walk-through of deploy.md: 4 steps"), "{out}");
    assert!(out.contains("Values to ask for: API_TOKEN (secret), APP_NAME"), "{out}");
    assert!(out.contains("invalid value for `APP_NAME`: an app name starts with a letter or digit"), "{out}");
    assert!(out.contains("$ mkdir -p demo-app"), "the step is shown with its value: {out}");
    assert!(out.contains("API_TOKEN (secret): [secret]"), "{out}");
    assert!(!out.contains(TOKEN), "the secret was shown: {out}");
    assert!(out.contains("The state is saved: run `runbook walk deploy.md` again to resume."), "{out}");
    assert!(sb.path().join("demo-app").is_dir());
    assert!(!sb.path().join("settings.txt").exists());
    assert_eq!(
        statuses(&sb.path().join("walk.json")),
        pairs(&[("ask-access", "acknowledged"), ("make-dir", "ok"), ("settings", "skipped"), ("deploy", "planned")])
    );

    // Again: resume, give the secret again (secrets are never stored), run the last step.
    let (code, out) = walk(&sb, &["--transcript", "walk.md"], &format!("y\n{TOKEN}\nr\n"));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("stopped after step `settings` (3 steps done)"), "{out}");
    assert!(out.contains("Resuming at step 4/4."), "{out}");
    assert!(out.contains("deployed demo-app"), "{out}");
    assert!(out.contains("Walk finished: 1 acknowledged, 2 ok, 1 skipped"), "{out}");
    assert!(out.contains("Transcript: walk.md"), "{out}");
    assert!(!out.contains(TOKEN), "{out}");
    let md = std::fs::read_to_string(sb.path().join("walk.md")).unwrap();
    assert!(md.contains("**Status:** acknowledged") && md.contains("deployed demo-app"), "{md}");
    assert!(!md.contains(TOKEN));
    // A finished walk leaves nothing to resume.
    let (code, out) = walk(&sb, &["--dry-run", "--set", "APP_NAME=demo-app"], "q\n");
    assert_eq!(code, Some(1));
    assert!(!out.contains("Resume it?"), "{out}");
}

#[test]
fn a_dry_run_walks_to_the_end_on_empty_lines_and_executes_nothing() {
    let sb = deploy();
    let args = ["--dry-run", "--set", "APP_NAME=demo-app", "--set", "CREATE_DIR=true", "--json", "walk.json"];
    let (code, out) = walk(&sb, &args, &"\n".repeat(10));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("(dry run: nothing is executed)"), "{out}");
    assert!(out.contains("[n]ext"), "{out}");
    assert!(out.contains("Walk finished: 4 planned"), "{out}");
    assert!(!sb.path().join("demo-app").exists() && !sb.path().join("settings.txt").exists());
    assert_eq!(
        statuses(&sb.path().join("walk.json")),
        pairs(&[("ask-access", "planned"), ("make-dir", "planned"), ("settings", "planned"), ("deploy", "planned")])
    );
}

#[test]
fn end_of_input_stops_the_walk_and_the_dry_run_resumes_where_it_stopped() {
    let sb = deploy();
    let args = ["--dry-run", "--set", "APP_NAME=demo-app"];
    // Choice CREATE_DIR is asked at step 2: end of input there.
    let (code, out) = walk(&sb, &args, "\n");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("(end of input)"), "{out}");
    let (code, out) = walk(&sb, &args, "y\nfalse\n\n\n");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Resuming at step 2/4."), "{out}");
    assert!(out.contains("Step 2/4 `make-dir` is skipped: condition `CREATE_DIR` is false"), "{out}");
}

#[test]
fn a_failed_step_offers_retry_and_the_retry_can_succeed() {
    let sb = Sandbox::new();
    sb.write("deploy.md", "# Flaky\n\n```bash {id=needs-flag}\ntest -f flag && echo found\n```\n");
    let out = sb.runbook(&["walk", "deploy.md"]).write_stdin("r\nr\nq\n").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.matches("The step failed: [r]etry, [s]kip, [e]dit a value and retry, [q]uit").count(), 2);
    sb.write("flag", "");
    let out = sb.runbook(&["walk", "deploy.md"]).write_stdin("r\n").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("found"));
}

/// A real pseudo-terminal: dialoguer prompts, a validation error, a skipped step, quit, resume.
#[test]
fn in_a_terminal_the_walk_asks_validates_skips_quits_and_resumes() {
    let sb = deploy();
    let bin = assert_cmd::cargo::cargo_bin("runbook");
    let spawn = || {
        let mut cmd = std::process::Command::new(&bin);
        cmd.current_dir(sb.path()).args(["walk", "deploy.md"]).env("NO_COLOR", "1").env("TERM", "dumb");
        rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty")
    };
    let mut p = spawn();
    p.exp_string("Walk-through of deploy.md").unwrap();
    p.exp_string("[d]one").unwrap();
    p.send_line("d").unwrap();
    p.exp_string("CREATE_DIR [false]").unwrap();
    p.send_line("true").unwrap();
    p.exp_string("APP_NAME").unwrap();
    p.exp_string("example: demo-app").unwrap();
    p.send_line("Bad_Name!").unwrap();
    p.exp_string("invalid value for `APP_NAME`").unwrap();
    p.send_line("demo-app").unwrap();
    p.exp_string("$ mkdir -p demo-app").unwrap();
    p.exp_string("[r]un").unwrap();
    p.send_line("s").unwrap();
    p.exp_string("skipped [2/4] make-dir").unwrap();
    p.exp_string("write settings.txt").unwrap();
    p.exp_string("[r]un").unwrap();
    p.send_line("q").unwrap();
    p.exp_string("The state is saved").unwrap();
    p.exp_eof().unwrap();
    assert!(!sb.path().join("demo-app").exists(), "the skipped step ran");

    let mut p = spawn();
    p.exp_string("Resume it?").unwrap();
    p.send_line("y").unwrap();
    p.exp_string("Resuming at step 3/4.").unwrap();
    p.exp_string("[r]un").unwrap();
    p.send_line("r").unwrap();
    p.exp_string("wrote settings.txt").unwrap();
    p.exp_string("API_TOKEN").unwrap();
    p.exp_string("(not shown)").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    p.send_line(TOKEN).unwrap();
    p.exp_string("[r]un").unwrap();
    p.send_line("r").unwrap();
    p.exp_string("deployed demo-app").unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("Walk finished"), "{rest}");
    assert!(!rest.contains(TOKEN), "the secret was shown: {rest}");
    assert_eq!(std::fs::read_to_string(sb.path().join("settings.txt")).unwrap(), "name: demo-app\n");
}

#[test]
fn a_new_starter_can_walk_our_publication_runbook_as_a_dry_run() {
    let sb = Sandbox::new();
    sb.write("publication.md", std::fs::read_to_string(root().join("runbook/publication.md")).unwrap());
    sb.write("example.env", std::fs::read_to_string(root().join("runbook/example.env")).unwrap());
    let out = sb
        .runbook(&["walk", "publication.md", "--dry-run", "--vars", "example.env", "--transcript", "walk.md"])
        .write_stdin("\n".repeat(200))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Walk finished: 50 planned, 7 skipped"), "{stdout}");
    assert_eq!(stdout.matches("── Step ").count(), 50, "every step that applies is shown");
    let md = std::fs::read_to_string(sb.path().join("walk.md")).unwrap();
    assert_eq!(md.matches("**Status:** planned").count(), 50);
    assert_eq!(md.matches("**Status:** skipped").count(), 7);
}

#[test]
fn ctrl_c_at_a_prompt_stops_the_walk_with_the_state_saved() {
    use std::io::{Read, Write};
    let sb = deploy();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
        .current_dir(sb.path())
        .args(["walk", "deploy.md", "--set", "APP_NAME=demo-app", "--set", "CREATE_DIR=true"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Done with the manual step, then stay at step 2's question with standard input open.
    stdin.write_all(b"d\n").unwrap();
    stdin.flush().unwrap();
    let state = sb.path().join(".runbook");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_dir(&state).into_iter().flatten().flatten().any(|e| e.path().join("state.json").is_file()) {
        assert!(std::time::Instant::now() < deadline, "the first step was never recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    drop(stdin);
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("The state is saved"), "{out}");
    let (code, out) = walk(&sb, &["--set", "APP_NAME=demo-app", "--set", "CREATE_DIR=true"], "y\nq\n");
    assert_eq!(code, Some(1));
    assert!(out.contains("Resuming at step 2/4."), "{out}");
}
