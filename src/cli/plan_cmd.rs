//! `runbook plan`: glue between values, the linter and the planner; salt and file output.

use std::io::{Read, Write};
use std::path::Path;

use crate::params::values::Given;
use crate::plan::{self, Selection, output};
use crate::steps::Runbook;

pub struct Outcome {
    pub terminal: String,
    pub markdown: String,
    pub json: String,
    pub failed: bool,
}

pub fn run(rb: &Runbook, given: &[Given], selection: &Selection, salt: &[u8]) -> Result<Outcome, crate::Error> {
    let params = crate::params::analyse(rb);
    let (bindings, choices, _) = crate::params::bind(&params, given);
    let plan = plan::build(rb, &params, &bindings, &choices, selection, salt).map_err(crate::Error::BadSelection)?;
    // Findings from `check`, shown at their step in the transcript.
    let python =
        crate::exec::python_check::check(rb, "python3").unwrap_or_else(|_| crate::exec::python_check::check_coarse(rb));
    // The same configuration as `check` (`runbook.toml` beside the runbook), so both agree.
    let config = super::check::load_config(None, &rb.source.path)?;
    let lints = super::check::lint_one(rb, &config, &python, &[], &[], given);
    let errors = lints.iter().any(|l| l.diagnostic.severity == crate::diagnostic::Severity::Error);
    let findings: output::StepFindings = lints
        .iter()
        .filter_map(|l| {
            let span = l.diagnostic.span?;
            let step = rb.steps.iter().rev().find(|s| s.span.start <= span.start)?;
            Some((step.id.clone(), l.rule.code, rb.source.line_col(span.start).line, l.diagnostic.message.clone()))
        })
        .collect();
    let mut terminal = output::human(&plan);
    if errors {
        terminal.push_str("Findings: `runbook check` reports errors in this runbook (see the transcript).\n");
    }
    Ok(Outcome {
        markdown: output::markdown(&plan, &findings),
        json: output::json(&plan),
        failed: !plan.missing.is_empty() || errors,
        terminal,
    })
}

/// The HMAC key: `--salt-file`, else `.runbook/salt` in the working directory, created once
/// (32 random bytes, mode 0600) so that plans made in the same working copy are identical.
pub fn salt(explicit: Option<&Path>) -> Result<Vec<u8>, crate::Error> {
    if let Some(path) = explicit {
        return std::fs::read(path).map_err(|e| crate::Error::io(path, &e));
    }
    let dir = Path::new(".runbook");
    let path = dir.join("salt");
    if let Ok(bytes) = std::fs::read(&path) {
        return Ok(bytes);
    }
    let fail = |e: std::io::Error| crate::Error::CannotWrite { path: path.clone(), message: e.to_string() };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(fail)?;
    let mut bytes = vec![0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(fail)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(&path) {
        Ok(mut f) => f.write_all(&bytes).map_err(fail)?,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return std::fs::read(&path).map_err(fail),
        Err(e) => return Err(fail(e)),
    }
    Ok(bytes)
}

/// Write through a temporary file in the same directory and rename it into place, so that an
/// error never leaves a partial file behind.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), crate::Error> {
    let fail = |e: std::io::Error| crate::Error::CannotWrite { path: path.to_path_buf(), message: e.to_string() };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| fail(std::io::Error::other("not a file name")))?;
    let tmp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}
