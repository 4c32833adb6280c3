//! The rehearsal profile: a TOML file beside the runbook (`publication.rehearsal.toml` for
//! `publication.md`) that declares the local services to start, the stand-ins for external
//! commands, the fixtures, the Python modules the rehearsal needs and its own values file.
//! Paths in it are relative to the profile's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Values for the rehearsal (a dotenv file): fake values for everything not captured.
    #[serde(default)]
    pub values: Option<String>,
    #[serde(default)]
    pub requires: Requires,
    #[serde(default, rename = "service")]
    pub services: Vec<Service>,
    #[serde(default, rename = "standin")]
    pub standins: Vec<StandIn>,
    #[serde(default, rename = "fixture")]
    pub fixtures: Vec<Fixture>,
    /// The profile's directory (set after loading).
    #[serde(skip)]
    pub dir: PathBuf,
    #[serde(skip)]
    pub path: PathBuf,
}

/// What must be installed for the rehearsal to start.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// Modules the rehearsal's Python must import.
    #[serde(default)]
    pub python_modules: Vec<String>,
    /// Interpreters to use when `--python` is not given, relative to the profile (the first
    /// that exists; then `python3` on `PATH`).
    #[serde(default)]
    pub python: Vec<String>,
    /// How to install what is missing (shown in the error).
    #[serde(default)]
    pub install: Option<String>,
}

/// A local service started before the first step and stopped after the last.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    /// Program and arguments; `{python}`, `{port}` and `{dir}` (the profile's directory) are replaced.
    pub command: Vec<String>,
    pub ready: Ready,
    /// Seconds to wait for the probe to succeed.
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout: u64,
    /// Variables exported to every step (`{port}` replaced).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// An HTTP path answering a JSON report, read before the service stops.
    #[serde(default)]
    pub report: Option<String>,
    /// A dotenv file the service writes into the rehearsal's state directory: values for the run.
    #[serde(default)]
    pub values: Option<String>,
}

fn default_ready_timeout() -> u64 {
    60
}

/// The longest wait for a service (an hour).
pub const MAX_READY_TIMEOUT: u64 = 3600;

/// How to tell that a service is ready: its port accepts connections, or an HTTP path answers 200.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ready {
    #[serde(default)]
    pub tcp: bool,
    #[serde(default)]
    pub http: Option<String>,
}

/// A command replaced by a shim during the rehearsal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandIn {
    pub command: String,
    /// A grammar invocations are checked against (`cf`: the embedded cf v8 grammar).
    #[serde(default)]
    pub grammar: Option<String>,
    /// Handler scripts by leading arguments (`"create-service"`, `"-m pip install"`); for a
    /// command with a grammar the first word is the canonical subcommand (aliases resolved).
    #[serde(default)]
    pub handlers: BTreeMap<String, String>,
    /// Run the real command for invocations no handler takes.
    #[serde(default)]
    pub passthrough: bool,
}

/// A file put into the working directory, or an object seeded by a service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub source: String,
    /// Path in the working directory.
    #[serde(default)]
    pub path: Option<String>,
    /// The service that seeds it (with `bucket` and `key`).
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
}

/// The profile beside a runbook: `NAME.rehearsal.toml` for `NAME.md`.
pub fn default_path(runbook: &Path) -> PathBuf {
    let stem = runbook.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    runbook.with_file_name(format!("{stem}.rehearsal.toml"))
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, Error> {
        let text = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
        let text = String::from_utf8(text).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
            Error::BadProfile { path: path.to_path_buf(), line, message: "invalid UTF-8".into() }
        })?;
        let mut profile: Profile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            Error::BadProfile { path: path.to_path_buf(), line, message: e.message().trim().to_string() }
        })?;
        profile.path = path.to_path_buf();
        profile.dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        profile.dir = std::path::absolute(&profile.dir).unwrap_or(profile.dir.clone());
        profile.validate(&text)?;
        Ok(profile)
    }

    fn validate(&self, text: &str) -> Result<(), Error> {
        let bad = |needle: &str, message: String| Error::BadProfile {
            path: self.path.clone(),
            line: text.lines().position(|l| l.contains(needle)).map_or(0, |i| i + 1),
            message,
        };
        let mut names = Vec::new();
        for s in &self.services {
            if s.command.is_empty() {
                return Err(bad(&s.name, format!("service `{}` has an empty command", s.name)));
            }
            if s.ready_timeout == 0 || s.ready_timeout > MAX_READY_TIMEOUT {
                return Err(bad(
                    "ready_timeout",
                    format!("service `{}`: `ready_timeout` must be 1 to {MAX_READY_TIMEOUT} seconds", s.name),
                ));
            }
            if !s.ready.tcp && s.ready.http.is_none() {
                return Err(bad(
                    &s.name,
                    format!("service `{}`: `ready` needs `tcp = true` or `http = \"/path\"`", s.name),
                ));
            }
            if names.contains(&s.name.as_str()) {
                return Err(bad(&s.name, format!("two services are named `{}`", s.name)));
            }
            names.push(&s.name);
        }
        for c in &self.standins {
            let plain = c.command.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.+".contains(ch));
            if !plain || c.command.is_empty() || c.command == "." || c.command == ".." {
                return Err(bad(
                    &format!("\"{}\"", c.command),
                    format!("stand-in `{}`: give a command name (letters, digits, `-_.+`), not a path", c.command),
                ));
            }
            if let Some(g) = &c.grammar
                && g != "cf"
            {
                return Err(bad(
                    &format!("\"{g}\""),
                    format!("stand-in `{}`: unknown grammar `{g}` (known: cf)", c.command),
                ));
            }
            for (key, handler) in &c.handlers {
                let Some(first) = key.split_whitespace().next() else {
                    return Err(bad(handler, format!("stand-in `{}`: a handler needs leading arguments", c.command)));
                };
                // The shim matches cf calls by canonical subcommand: an alias or a typo would never match.
                if c.grammar.as_deref() == Some("cf")
                    && crate::cf::grammar().command(first).map(|(n, _)| n) != Some(first)
                {
                    let hint = crate::cf::grammar()
                        .command(first)
                        .map_or_else(|| " (not a cf v8 command)".to_string(), |(n, _)| format!(" (write `{n}`)"));
                    return Err(bad(
                        key,
                        format!("stand-in `{}`: handler key `{key}` is not a cf command name{hint}", c.command),
                    ));
                }
                if !self.dir.join(handler).is_file() {
                    return Err(bad(handler, format!("stand-in `{}`: handler {handler} does not exist", c.command)));
                }
            }
        }
        for f in &self.fixtures {
            if !self.dir.join(&f.source).is_file() {
                return Err(bad(&f.source, format!("fixture {} does not exist", f.source)));
            }
            match (&f.path, &f.service) {
                (Some(p), None) if is_relative_inside(p) => {}
                (Some(p), None) => {
                    return Err(bad(p, format!("fixture path {p} must be relative and stay in the working directory")));
                }
                (None, Some(s)) if names.contains(&s.as_str()) && f.bucket.is_some() && f.key.is_some() => {}
                (None, Some(s)) => {
                    return Err(bad(
                        s,
                        format!("fixture for service `{s}` needs a declared service, `bucket` and `key`"),
                    ));
                }
                _ => return Err(bad(&f.source, "a fixture has either `path` or `service`".into())),
            }
        }
        Ok(())
    }
}

/// A relative file path without `..` (fixtures stay in the working directory).
fn is_relative_inside(p: &str) -> bool {
    let path = Path::new(p);
    !p.is_empty()
        && !p.ends_with('/')
        && path.is_relative()
        && path.components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Profile, Error> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("h.sh"), "").unwrap();
        let path = dir.path().join("x.rehearsal.toml");
        std::fs::write(&path, text).unwrap();
        Profile::load(&path)
    }

    #[test]
    fn a_profile_loads() {
        let p = load(
            "values = \"v.env\"\n[[service]]\nname = \"s3\"\ncommand = [\"{python}\", \"s.py\"]\nready = { http = \"/r\" }\n\
             [[standin]]\ncommand = \"cf\"\ngrammar = \"cf\"\nhandlers = { create-service = \"h.sh\" }\n",
        )
        .unwrap();
        assert_eq!(p.services[0].ready_timeout, 60);
        assert_eq!(p.standins[0].handlers["create-service"], "h.sh");
    }

    #[test]
    fn errors_name_the_line() {
        let e = load("values = 1\n").unwrap_err().to_string();
        assert!(e.ends_with(":1: invalid type: integer `1`, expected a string"), "{e}");
        let e = load("\n[[standin]]\ncommand = \"cf\"\nhandlers = { push = \"nope.sh\" }\n").unwrap_err().to_string();
        assert!(e.contains(":4: stand-in `cf`: handler nope.sh does not exist"), "{e}");
        let e = load("[[fixture]]\nsource = \"h.sh\"\npath = \"../x\"\n").unwrap_err().to_string();
        assert!(e.contains(":3: fixture path ../x must be relative"), "{e}");
        let e = load("[[service]]\nname = \"a\"\ncommand = [\"x\"]\nready = {}\n").unwrap_err().to_string();
        assert!(e.contains("needs `tcp = true`"), "{e}");
        let e = load("[[standin]]\ncommand = \"cf\"\ngrammar = \"cf\"\nhandlers = { cs = \"h.sh\" }\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":4: stand-in `cf`: handler key `cs` is not a cf command name (write `create-service`)"),
            "{e}"
        );
        let e = load("[[standin]]\ncommand = \"..\"\n").unwrap_err().to_string();
        assert!(e.contains(":2: stand-in `..`: give a command name"), "{e}");
        let e = load("[[service]]\nname = \"a\"\ncommand = [\"x\"]\nready = { tcp = true }\nready_timeout = 18446744073709551615\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":5: service `a`: `ready_timeout` must be 1 to 3600 seconds"), "{e}");
        let e = load("[[fixture]]\nsource = \"h.sh\"\npath = \"\"\n").unwrap_err().to_string();
        assert!(e.contains("must be relative"), "{e}");
        let e = load("surprise = 1\n").unwrap_err().to_string();
        assert!(e.contains(":1: unknown field `surprise`"), "{e}");
    }

    #[test]
    fn the_default_profile_sits_beside_the_runbook() {
        assert_eq!(default_path(Path::new("runbook/publication.md")), Path::new("runbook/publication.rehearsal.toml"));
    }
}
