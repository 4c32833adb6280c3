//! `runbook steps` on our own runbooks and fixtures: full-text snapshots (our text only).

use crate::support::{Sandbox, root, runbook, snapshot_settings};

fn fixture(name: &str) -> String {
    format!("tests/fixtures/steps/{name}")
}

fn snapshot_both(file: &str, name: &str) {
    let human = runbook().args(["steps", file]).output().unwrap();
    assert!(human.status.success(), "{}", String::from_utf8_lossy(&human.stderr));
    let json = runbook().args(["steps", file, "--format", "json"]).output().unwrap();
    assert!(json.status.success());
    let settings = snapshot_settings("steps");
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}.human"), String::from_utf8(human.stdout).unwrap());
        insta::assert_snapshot!(format!("{name}.json"), String::from_utf8(json.stdout).unwrap());
        insta::assert_snapshot!(format!("{name}.stderr"), String::from_utf8(human.stderr).unwrap());
    });
}

#[test]
fn publication_runbook() {
    assert!(root().join("runbook/publication.md").is_file());
    snapshot_both("runbook/publication.md", "publication");
}

#[test]
fn annotated_fixture() {
    snapshot_both(&fixture("annotated.md"), "annotated");
}

#[test]
fn heuristics_fixture() {
    snapshot_both(&fixture("heuristics.md"), "heuristics");
}

#[test]
fn colour_only_on_request() {
    let sb = Sandbox::new();
    sb.write("a.md", "# A\n\n```bash\ncf apps\n```\n");
    let plain = sb.runbook(&["steps", "a.md"]).output().unwrap();
    assert!(!plain.stdout.contains(&0x1b), "NO_COLOR and a pipe: no escape codes");
    let forced = sb.runbook(&["steps", "a.md"]).env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(forced.stdout.contains(&0x1b), "CLICOLOR_FORCE turns colour on");
    let both = sb.runbook(&["steps", "a.md"]).env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(!both.stdout.contains(&0x1b), "NO_COLOR wins");
}
