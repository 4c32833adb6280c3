//! Bad input: a clear one-line error with the path, exit code 2, never a panic.

use predicates::prelude::*;

use crate::support::Sandbox;

#[test]
fn missing_file() {
    let sb = Sandbox::new();
    sb.runbook(&["steps", "nope.md"]).assert().code(2).stdout("").stderr("error: nope.md: no such file\n");
}

#[test]
fn directory() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path().join("docs")).unwrap();
    sb.runbook(&["steps", "docs"]).assert().code(2).stderr("error: docs: is a directory, expected a Markdown file\n");
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let sb = Sandbox::new();
    sb.write("bad.md", b"# Title\n\nab\xffcd\n");
    sb.runbook(&["steps", "bad.md"]).assert().code(2).stderr("error: bad.md:3:3: invalid UTF-8 at byte offset 11\n");
}

#[test]
fn empty_file_is_a_warning() {
    let sb = Sandbox::new();
    sb.write("empty.md", "");
    sb.runbook(&["steps", "empty.md"])
        .assert()
        .success()
        .stdout("empty.md: 0 steps\n")
        .stderr("warning: no steps found in this file\n --> empty.md:1:1\n");
}

#[test]
fn unterminated_fence_is_a_warning_with_its_line() {
    let sb = Sandbox::new();
    sb.write("open.md", "# Deploy\n\nPush it:\n\n```bash\ncf push app\n");
    sb.runbook(&["steps", "open.md"]).assert().success().stdout(predicate::str::contains("$ cf push app")).stderr(
        predicate::str::contains("warning: code fence is never closed")
            .and(predicate::str::contains("--> open.md:5:1")),
    );
}

#[test]
fn unknown_format_is_a_usage_error() {
    let sb = Sandbox::new();
    sb.write("a.md", "# A\n");
    sb.runbook(&["steps", "a.md", "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'xml'"));
}

#[test]
fn no_arguments_is_a_usage_error() {
    Sandbox::new().runbook(&["steps"]).assert().code(2).stderr(predicate::str::contains("Usage:"));
}

#[test]
fn bad_annotations_and_front_matter_are_warnings_with_positions() {
    let sb = Sandbox::new();
    sb.write(
        "ann.md",
        "---\nplaceholders:\n  A: {descripton: x}\n---\n# S\n\n```bash {id=x colour=red}\ncf apps\n```\n",
    );
    sb.runbook(&["steps", "ann.md"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("unknown front matter key `descripton`")
                .and(predicate::str::contains("--> ann.md:3:7")),
        )
        .stderr(
            predicate::str::contains("unknown runbook attribute `colour`")
                .and(predicate::str::contains("--> ann.md:7:15")),
        );
}

/// A 50 MB guide finishes (no quadratic behaviour: tens of thousands of steps and sections);
/// no timing is asserted here, the benchmark measures speed.
#[test]
fn fifty_megabyte_file() {
    let sb = Sandbox::new();
    let prose = "Some words about the service and why it matters to the team. ".repeat(30);
    let section = format!(
        "## Section\n\n{prose}\n\n1. Log in:\n```bash\ncf login -a API_URL\n```\n2. Push:\n```bash\ncf push APP_NAME\n```\nThe output will look like:\n```json\n{{\"ok\": true}}\n```\n\n"
    );
    let n = 50 * 1024 * 1024 / section.len() + 1;
    sb.write("big.md", section.repeat(n));
    let out = sb.runbook(&["steps", "big.md"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("big.md: {} steps ({} command)\n", 2 * n, 2 * n)), "{}", &text[..200]);
    assert!(text.contains(&format!("section-{}/2", n - 1)));
}
