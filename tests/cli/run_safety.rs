//! `runbook run`: regression tests for secrets, resume and refusals found in review.

use crate::support::Sandbox;

fn state_text(sb: &Sandbox) -> String {
    let dir = std::fs::read_dir(sb.path().join(".runbook")).unwrap().flatten().find(|e| e.path().is_dir()).unwrap();
    std::fs::read_to_string(dir.path().join("state.json")).unwrap()
}

#[test]
fn held_output_of_a_failed_step_never_shows_an_uncaptured_secret() {
    let sb = Sandbox::new();
    sb.write("creds.json", "{\"data\": \"zzFakeSecretValue99\"}\n");
    let front =
        "---\nrunbook: 1\ncaptures:\n  KEY: {from: mk, json: POINTER, secret: true, description: A key}\n---\n\n";
    let body = "# K\n\n```bash {id=mk}\ncat creds.json\nfalse\n```\n";
    for (pointer, withheld) in [("/data", false), ("/other", true)] {
        sb.write("k.md", format!("{}{body}", front.replace("POINTER", pointer)));
        let out =
            sb.runbook(&["run", "k.md", "--yes", "--transcript", "run.md", "--json", "run.json"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        for text in [stdout.to_string(), std::fs::read_to_string(sb.path().join("run.md")).unwrap()] {
            assert!(!text.contains("zzFakeSecretValue99"), "{pointer}: {text}");
        }
        assert!(!std::fs::read_to_string(sb.path().join("run.json")).unwrap().contains("zzFakeSecretValue99"));
        assert_eq!(stdout.contains("[output withheld"), withheld, "{stdout}");
    }
}

#[test]
fn a_captured_value_that_holds_a_secret_is_kept_as_a_secret() {
    let sb = Sandbox::new();
    sb.write(
        "e.md",
        "---\nrunbook: 1\ncaptures:\n  ENDPOINT: {from: show, regex: 'endpoint: (\\S+)', description: The endpoint}\n\
         exports:\n  THE_ENDPOINT: ENDPOINT\n---\n\n# E\n\n```bash {id=show}\n\
         echo 'endpoint: https://deploy:hunter2FakeValue@example.com/x'\n```\n\n\
         ```bash {id=use}\ntest -n \"$THE_ENDPOINT\" && echo used\n```\n",
    );
    let out = sb.runbook(&["run", "e.md", "--yes", "--json", "run.json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("used"));
    for text in [stdout.to_string(), state_text(&sb), std::fs::read_to_string(sb.path().join("run.json")).unwrap()] {
        assert!(!text.contains("hunter2FakeValue"), "{text}");
    }
}

#[test]
fn a_secret_in_a_python_traceback_is_masked_in_every_quoting() {
    let sb = Sandbox::new();
    sb.write(
        "p.md",
        "---\nrunbook: 1\nplaceholders:\n  PIN_CODE: {description: A code, kind: text, secret: true}\n---\n\n# P\n\n\
         ```python {id=parse}\nvalue = \"PIN_CODE\"\nint(value)\n```\n\n```bash {id=trace}\nset -x\ntrue \"PIN_CODE\"\n```\n",
    );
    let secret = "Ab'cd\"Ef12";
    let out = sb
        .runbook(&["run", "p.md", "--yes", "--keep-going", "--transcript", "run.md"])
        .env("RUNBOOK_VAR_PIN_CODE", secret)
        .output()
        .unwrap();
    let all = format!(
        "{}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(sb.path().join("run.md")).unwrap()
    );
    assert!(all.contains("ValueError"), "{all}");
    for form in [secret, "Ab\\'cd\"Ef12", "Ab'\\''cd\"Ef12"] {
        assert!(!all.contains(form), "{form:?} in {all}");
    }
}

#[test]
fn resume_after_a_step_that_used_a_non_secret_capture_is_allowed() {
    let sb = Sandbox::new();
    sb.write(
        "c.md",
        "---\nrunbook: 1\ncaptures:\n  BUCKET: {from: mk, regex: 'bucket: (\\S+)', description: The bucket}\n---\n\n# C\n\n\
         ```bash {id=mk}\necho 'bucket: demo-bucket'\n```\n\n```bash {id=use}\necho \"using BUCKET\"\n```\n\n\
         ```bash {id=last}\ntest -f flag\n```\n",
    );
    assert_eq!(sb.runbook(&["run", "c.md", "--yes"]).output().unwrap().status.code(), Some(1));
    sb.write("flag", "");
    let out = sb.runbook(&["run", "c.md", "--yes", "--resume"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn resuming_inside_a_python_section_does_not_repeat_later_sections() {
    let sb = Sandbox::new();
    sb.write(
        "p.md",
        "# P\n\n## Code\n\n```python {id=define}\nvalue = 1\n```\n\n```python {id=check}\nimport os\n\
         assert os.path.exists('go')\n```\n\n## Count\n\n```bash {id=count}\necho ran >> count.log\n```\n",
    );
    assert_eq!(sb.runbook(&["run", "p.md", "--yes", "--keep-going"]).output().unwrap().status.code(), Some(1));
    sb.write("go", "");
    let out = sb.runbook(&["run", "p.md", "--yes", "--resume"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(std::fs::read_to_string(sb.path().join("count.log")).unwrap(), "ran\n");
}

#[test]
fn invalid_values_and_unwritable_transcripts_are_refused_before_anything_runs() {
    let sb = Sandbox::new();
    sb.write(
        "v.md",
        "---\nrunbook: 1\nplaceholders:\n  APP: {description: The app, kind: cf-app-name}\n---\n\n# V\n\n\
         ```bash {id=make}\ntouch APP\n```\n",
    );
    let out = sb.runbook(&["run", "v.md", "--yes", "--set", "APP=bad name!!"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value for `APP`"));
    let out = sb.runbook(&["run", "v.md", "--yes", "--set", "APP=demo", "--set", "NOPE=1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: "), "unknown names are warned about");
    std::fs::remove_file(sb.path().join("demo")).unwrap();
    let out = sb
        .runbook(&["run", "v.md", "--yes", "--set", "APP=demo", "--transcript", "missing-dir/run.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!sb.path().join("demo").exists(), "the step ran before the transcript was refused");
}

#[test]
fn no_clobber_protects_a_file_that_is_not_utf8_and_fifos_are_refused() {
    let sb = Sandbox::new();
    sb.write("f.md", "# F\n\nWrite `notes.txt`:\n\n```text {id=notes file=notes.txt}\nhello\n```\n");
    sb.write("notes.txt", b"\xff\xfe binary\n");
    let out = sb.runbook(&["run", "f.md", "--no-clobber"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(std::fs::read(sb.path().join("notes.txt")).unwrap(), b"\xff\xfe binary\n");
    std::fs::remove_file(sb.path().join("notes.txt")).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(sb.path().join("notes.txt")).status().unwrap().success());
    let out = sb.runbook(&["run", "f.md", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is not a regular file"));
}

#[test]
fn a_value_read_only_through_its_exported_variable_is_still_required() {
    let sb = Sandbox::new();
    sb.write(
        "x.md",
        "---\nrunbook: 1\nplaceholders:\n  API_TOKEN: {description: A token, kind: text, secret: true}\n\
         exports:\n  DEPLOY_TOKEN: API_TOKEN\n---\n\n# X\n\n```bash {id=use}\nexport DEPLOY_TOKEN\ntest -n \"$DEPLOY_TOKEN\"\n```\n",
    );
    let out = sb.runbook(&["run", "x.md", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no value for `API_TOKEN` (used at use:12)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Walk asks for it before the step that reads it.
    let out = sb.runbook(&["walk", "x.md"]).write_stdin("zzTokenValue77\n\n").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("API_TOKEN"), "{stdout}");
    assert!(!stdout.contains("zzTokenValue77"), "{stdout}");
}
