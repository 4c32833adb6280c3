//! Run state for `run --resume` (and `walk`): `.runbook/<hash of the runbook's path>/state.json`
//! under the current directory, with a lock so that two runs never share one state.
//!
//! The state holds the finished steps (id, status, and a hash of the step as planned so that a
//! changed step is noticed), the working directory and the non-secret values (given and
//! captured). Secrets and secret captures are never stored. Writes are atomic (temporary file
//! and rename) and the files are private (0600 in a 0700 directory).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::PlannedStep;
use crate::source::hex;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FinishedStep {
    pub id: String,
    pub status: String,
    /// Hash of the step as planned (rendered text, effect, skip reason).
    pub planned: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub format_version: u32,
    pub runbook: String,
    pub sha256: String,
    pub workdir: PathBuf,
    /// Finished steps in the order they finished.
    pub finished: Vec<FinishedStep>,
    /// Non-secret values, given and captured.
    pub values: BTreeMap<String, String>,
    /// Names of secret captures (their values are re-obtained on resume).
    pub secret_captures: Vec<String>,
}

/// The state directory of a runbook: `.runbook/<16 hex digits of the SHA-256 of its absolute path>`.
pub fn dir_for(runbook: &Path) -> PathBuf {
    let absolute = std::path::absolute(runbook).unwrap_or_else(|_| runbook.to_path_buf());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    Path::new(".runbook").join(&hex(&digest)[..16])
}

/// Hash of a planned step, as stored in the state.
pub fn planned_hash(step: &PlannedStep) -> String {
    let mut h = Sha256::new();
    h.update(step.id.as_bytes());
    h.update([0]);
    h.update(step.effect.as_str().as_bytes());
    h.update([0]);
    h.update(step.skipped.as_deref().unwrap_or("").as_bytes());
    for b in &step.rendered {
        h.update([0]);
        h.update(b.file.as_deref().unwrap_or("").as_bytes());
        h.update([0]);
        h.update(b.text.as_bytes());
    }
    hex(&h.finalize())[..16].to_string()
}

/// An exclusive lock on a state directory, held for the life of the value.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    pub dir: PathBuf,
}

fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Take the lock of `dir`, creating it; `Err` names why (another run holds it).
pub fn lock(dir: &Path) -> Result<Lock, String> {
    private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _file: file, dir: dir.to_path_buf() }),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another run of this runbook holds {} (two runs cannot share one state): wait for it to finish",
            path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

impl State {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("state.json")
    }

    /// Read the state of `dir`; `Ok(None)` when there is none.
    pub fn load(dir: &Path) -> Result<Option<State>, String> {
        let path = State::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let state: State = serde_json::from_str(&text).map_err(|e| format!("{}:{}: {e}", path.display(), e.line()))?;
        if state.format_version != FORMAT_VERSION {
            return Err(format!("{}: unknown format_version {}", path.display(), state.format_version));
        }
        Ok(Some(state))
    }

    /// Write atomically with mode 0600.
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        let path = State::path(dir);
        let tmp = dir.join(format!(".state.json.tmp-{}", std::process::id()));
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        let result = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("cannot write {}: {e}", path.display()));
        }
        Ok(())
    }

    pub fn is_finished(&self, id: &str) -> bool {
        self.finished.iter().any(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let first = lock(&dir).unwrap();
        let err = lock(&dir).unwrap_err();
        assert!(err.contains("another run"), "{err}");
        drop(first);
        assert!(lock(&dir).is_ok());
    }

    #[test]
    fn state_round_trips_privately() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let mut s = State { format_version: FORMAT_VERSION, runbook: "r.md".into(), ..State::default() };
        s.finished.push(FinishedStep { id: "a/1".into(), status: "ok".into(), planned: "abc".into() });
        s.values.insert("APP".into(), "demo".into());
        s.save(tmp.path()).unwrap();
        let back = State::load(tmp.path()).unwrap().unwrap();
        assert_eq!(back.finished, s.finished);
        assert_eq!(back.values, s.values);
        let mode = std::fs::metadata(State::path(tmp.path())).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(State::load(&tmp.path().join("none")).unwrap().is_none());
        std::fs::write(State::path(tmp.path()), "{not json").unwrap();
        assert!(State::load(tmp.path()).unwrap_err().contains("state.json:1"));
    }
}
