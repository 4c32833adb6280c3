//! A small builder over `assert_cmd`: a temp dir, files in it, and `runbook` run inside it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The project root (where `Cargo.toml` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The reference guide, read from `../shared/guide/` as an external fixture.
pub fn reference_guide() -> PathBuf {
    let path = root().join("../shared/guide/publication-guide.md");
    assert!(
        path.is_file(),
        "the reference guide is missing: expected it at {} (it is an external fixture, not part of this repository)",
        path.display()
    );
    path
}

/// Insta settings writing snapshots under `snapshots/<area>/`, with the temp paths filtered.
pub fn snapshot_settings(area: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("snapshots").join(area));
    s.set_prepend_module_to_snapshot(false);
    s
}

pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write fixture");
        path
    }

    /// `runbook ARGS…` with the sandbox as working directory and no colour.
    pub fn runbook(&self, args: &[&str]) -> Command {
        let mut cmd = runbook();
        cmd.current_dir(self.path()).args(args);
        cmd
    }
}

/// `runbook` with a clean, colourless environment, run from the project root.
pub fn runbook() -> Command {
    let mut cmd = Command::cargo_bin("runbook").expect("binary");
    cmd.current_dir(root()).env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    cmd
}

/// Run and parse stdout as JSON.
pub fn json_of(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("run");
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Whether a process is running (not gone, not a zombie).
pub fn pid_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z"))
}

/// Send SIGINT to `child` and wait (up to 30 s) for its exit code.
pub fn interrupt_and_wait(child: &mut std::process::Child) -> Option<i32> {
    signal_and_wait(child, "INT")
}

/// Send a signal (`INT`, `HUP`…) to `child` and wait (up to 30 s) for its exit code.
pub fn signal_and_wait(child: &mut std::process::Child, signal: &str) -> Option<i32> {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code();
        }
        assert!(std::time::Instant::now() < deadline, "runbook did not stop after SIG{signal}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
