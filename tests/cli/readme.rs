//! The README documents the binary: its `--help` block must be the binary's, and it must open
//! with the two set-up commands.

use crate::support::{root, runbook};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

#[test]
fn help_block_matches_the_binary() {
    let out = runbook().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let readme = readme();
    let block = readme
        .split("$ runbook --help\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a `$ runbook --help` block");
    assert_eq!(block, help, "update the README's --help block");
}

#[test]
fn opens_with_the_two_setup_commands() {
    let readme = readme();
    let first_block = readme.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).unwrap();
    assert_eq!(
        first_block,
        "cargo run --release -- plan runbook/publication.md --vars runbook/example.env\ncargo test\n"
    );
}

#[test]
fn ci_runs_the_readme_test_command() {
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(ci.lines().any(|l| l.trim() == "cargo test"));
    assert!(ci.contains("cargo fmt --check") && ci.contains("-D warnings"));
}
