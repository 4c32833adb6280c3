//! Failures of the tool itself (as opposed to findings about a runbook, which are
//! [`crate::diagnostic::Diagnostic`]s). Every variant names the path it concerns and renders as
//! one line; the CLI prints it after `error: ` and exits with code 2.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file does not exist.
    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },
    /// The file exists but cannot be read (permissions, I/O).
    #[error("{}: cannot read: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    /// A directory was given where a file was expected.
    #[error("{}: is a directory, expected a Markdown file", path.display())]
    IsDirectory { path: PathBuf },
    /// The file is not UTF-8; `offset` is the first bad byte.
    #[error("{}:{line}:{column}: invalid UTF-8 at byte offset {offset}", path.display())]
    InvalidUtf8 { path: PathBuf, offset: usize, line: usize, column: usize },
    /// A values file (`--vars`) that cannot be used. `line` is 1-based; 0 when unknown.
    #[error("{}:{line}: {message}", path.display())]
    BadVarsFile { path: PathBuf, line: usize, message: String },
    /// A `--set` argument that cannot be used. The message never holds the value.
    #[error("--set {name}: {message}")]
    BadSet { name: String, message: String },
    /// A rule selector (`--select`, `--ignore`, `runbook.toml`, `runbook rules X`) naming no rule.
    #[error("unknown rule `{name}`: {message}")]
    UnknownRule { name: String, message: String },
    /// A selection (`--only`, `--from`, `--to`) naming no step, or several.
    #[error("{0}")]
    BadSelection(String),
    /// An output file that cannot be written (nothing partial is left behind).
    #[error("{}: cannot write: {message}", path.display())]
    CannotWrite { path: PathBuf, message: String },
    /// A `--plan` file that is not a JSON plan.
    #[error("{}:{line}: {message}", path.display())]
    BadPlan { path: PathBuf, line: usize, message: String },
    /// A run that cannot start as asked (missing values without a terminal, a held lock, a
    /// selection that leaves out a prerequisite…).
    #[error("{0}")]
    Usage(String),
    /// A rehearsal profile (`*.rehearsal.toml`) that cannot be used.
    #[error("{}:{line}: {message}", path.display())]
    BadProfile { path: PathBuf, line: usize, message: String },
    /// A `runbook.toml` that cannot be used.
    #[error("{}:{line}: {message}", path.display())]
    BadConfig { path: PathBuf, line: usize, message: String },
}

impl Error {
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound { path: path.to_path_buf() },
            _ => Error::Unreadable { path: path.to_path_buf(), message: strip_os_error(err) },
        }
    }
}

/// `Permission denied (os error 13)` → `permission denied`.
fn strip_os_error(err: &std::io::Error) -> String {
    let text = err.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| c.to_lowercase().collect::<String>() + chars.as_str())
}
