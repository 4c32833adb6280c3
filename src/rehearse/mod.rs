//! Rehearsals: a runbook run for real against local stand-ins (`run --rehearse`,
//! `walk --rehearse`). Nothing here knows Cloud Foundry or S3: the profile
//! ([`profile::Profile`]) declares services, stand-in commands and fixtures.
//!
//! Owns the sandbox (a 0700 temporary directory: `home/` for `HOME` and `CF_HOME`, empty AWS
//! config files, `work/` as the working directory, `bin/` with the shims, `state/` for the
//! stand-ins' private state, `control/` for the shims' instructions and their record of calls),
//! the environment of the steps (the parent's `AWS_*` and `CF_*` removed, `AWS_EC2_METADATA_DISABLED`,
//! the shims first on `PATH`, each service's `env`), starting and stopping the services, and
//! the values the rehearsal supplies. Everything is stopped and removed on every exit path:
//! [`Rehearsal`] stops its services when dropped. The shims themselves are `cli::shim`.

pub mod profile;
pub mod service;

use std::ffi::OsString;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::params::values::{Given, Origin};
use crate::plan::Plan;
use crate::steps::BlockKind;
pub use profile::Profile;
pub use service::StartError;

/// The variable that tells a shim where its control directory is.
pub(crate) const CONTROL_ENV: &str = "RB_REHEARSAL_CONTROL";
/// The variable that gives handlers and services the private state directory.
pub(crate) const STATE_ENV: &str = "RB_REHEARSAL_STATE";
pub(crate) const CONTROL: &str = "standins.json";
pub(crate) const SAMPLES: &str = "samples.json";
/// The shims' record of calls, one JSON object per line.
pub const CALLS: &str = "calls.jsonl";
/// The control file naming the step that runs now.
pub const STEP: &str = "step";

/// What the shims read: the stand-ins, the handlers' interpreter and state directory.
#[derive(Serialize, Deserialize)]
pub(crate) struct Control {
    pub state: PathBuf,
    /// Environment variables that hold secrets (besides `RB_SECRET_n`): masked in the record.
    #[serde(default)]
    pub secret_vars: Vec<String>,
    pub python: String,
    pub profile_dir: PathBuf,
    pub standins: Vec<StandInControl>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StandInControl {
    pub command: String,
    pub grammar: Option<String>,
    /// Leading words → handler path relative to the profile's directory.
    pub handlers: Vec<(Vec<String>, String)>,
    pub passthrough: bool,
    /// The command found on `PATH` without the shims.
    pub real: Option<PathBuf>,
}

/// A service's report at the end of the rehearsal.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceReport {
    pub name: String,
    pub report: Option<serde_json::Value>,
}

/// A rehearsal in progress: the sandbox and the running services.
pub struct Rehearsal {
    pub profile: Profile,
    /// The absolute path of the Python steps, services and handlers use.
    pub python: String,
    /// Where steps run (the sandbox's `work/`, or `--workdir`).
    pub workdir: PathBuf,
    /// The environment of every step.
    pub env: Vec<(OsString, OsString)>,
    /// Values from the profile's values file and from the services (given by the user win).
    pub values: Vec<Given>,
    /// The shims' control directory (the runner writes the current step, reads the calls).
    pub control: PathBuf,
    services: Vec<service::Running>,
    /// Held until the end: removed when dropped (after the services stop, see `Drop`).
    sandbox: Option<tempfile::TempDir>,
}

/// How a rehearsal is asked for.
pub struct Request<'a> {
    pub runbook: &'a Path,
    /// `--rehearse=PROFILE`; the profile beside the runbook when `None`.
    pub profile: Option<&'a Path>,
    /// `--python`; without it, the profile's `requires.python` candidates, then `python3`.
    pub python: Option<&'a str>,
    pub workdir: Option<&'a Path>,
    /// The parent's environment (already without `RUNBOOK_*`).
    pub base_env: Vec<(OsString, OsString)>,
    /// The variables the runbook exports secrets as (`AWS_SECRET_ACCESS_KEY`…).
    pub secret_vars: Vec<String>,
}

/// Why a rehearsal cannot start.
#[derive(Debug)]
pub enum Error {
    Unusable(crate::Error),
    Interrupted,
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error::Unusable(e)
    }
}

fn usage(message: String) -> Error {
    Error::Unusable(crate::Error::Usage(message))
}

impl Rehearsal {
    /// Load the profile, check what it needs is installed, make the sandbox, put the fixtures
    /// and shims in place, start the services and read the values they supply.
    pub fn start(req: &Request<'_>, interrupt: &AtomicBool) -> Result<Rehearsal, Error> {
        let profile_path = req.profile.map_or_else(|| profile::default_path(req.runbook), Path::to_path_buf);
        if !profile_path.is_file() {
            return Err(usage(format!(
                "{}: no rehearsal profile (expected beside the runbook, or give one with --rehearse=PROFILE)",
                profile_path.display()
            )));
        }
        let profile = Profile::load(&profile_path)?;
        let candidates: Vec<String> = match req.python {
            Some(p) => vec![p.to_string()],
            None => {
                let mut c: Vec<String> = profile
                    .requires
                    .python
                    .iter()
                    .map(|p| profile.dir.join(p))
                    .filter(|p| p.is_file())
                    .map(|p| p.display().to_string())
                    .collect();
                c.push("python3".into());
                c
            }
        };
        let python = candidates.iter().find_map(|c| which(c, &req.base_env)).ok_or_else(|| {
            usage(format!(
                "the rehearsal needs Python: `{}` was not found (install python3, or pass --python){}",
                candidates.join("`, `"),
                install_hint(&profile)
            ))
        })?;
        let python = python.to_string_lossy().into_owned();
        let missing = missing_modules(&python, &profile.requires.python_modules);
        if !missing.is_empty() {
            return Err(usage(format!(
                "the rehearsal needs the Python module{} {} in {python}{}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                install_hint(&profile)
            )));
        }

        let sandbox = tempfile::Builder::new()
            .prefix("runbook-rehearsal-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| crate::Error::CannotWrite { path: std::env::temp_dir(), message: e.to_string() })?;
        let root = sandbox.path().to_path_buf();
        let io = |e: std::io::Error| {
            Error::Unusable(crate::Error::CannotWrite { path: root.clone(), message: e.to_string() })
        };
        let home = root.join("home");
        let aws = root.join("aws");
        let bin = root.join("bin");
        let state = root.join("state");
        let control = root.join("control");
        let logs = root.join("logs");
        for d in [&home, &aws, &bin, &state, &control, &logs] {
            std::fs::create_dir_all(d).map_err(io)?;
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        for f in ["config", "credentials"] {
            std::fs::write(aws.join(f), "").map_err(io)?;
        }
        let workdir = match req.workdir {
            Some(w) => w.to_path_buf(),
            None => {
                let w = root.join("work");
                std::fs::create_dir_all(&w).map_err(io)?;
                w
            }
        };

        // The environment: the parent's, without credentials and with the sandbox's home.
        let parent_path = req.base_env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone()).unwrap_or_default();
        let mut env: Vec<(OsString, OsString)> = req
            .base_env
            .iter()
            .filter(|(k, _)| {
                let k = k.to_string_lossy();
                !(k.starts_with("AWS_")
                    || k.starts_with("CF_")
                    || k == "HOME"
                    || k == "PATH"
                    || k == "BOTO_CONFIG"
                    || k.starts_with("VIRTUAL_ENV"))
            })
            .cloned()
            .collect();
        let mut path = bin.clone().into_os_string();
        if !parent_path.is_empty() {
            path.push(":");
            path.push(&parent_path);
        }
        env.extend([
            ("HOME".into(), home.clone().into()),
            ("CF_HOME".into(), home.clone().into()),
            ("AWS_CONFIG_FILE".into(), aws.join("config").into()),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), aws.join("credentials").into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("PATH".into(), path),
            (CONTROL_ENV.into(), control.clone().into()),
        ]);

        // Fixtures: files into the working directory, objects for the services.
        let mut seeds = Vec::new();
        for f in &profile.fixtures {
            let source = profile.dir.join(&f.source);
            match &f.path {
                Some(p) => put_fixture(&source, &workdir.join(p))?,
                None => seeds.push(serde_json::json!({
                    "service": f.service, "bucket": f.bucket, "key": f.key, "source": source,
                })),
            }
        }
        let fixtures = state.join("fixtures.json");
        write_private(&fixtures, serde_json::to_string_pretty(&seeds).unwrap_or_default().as_bytes()).map_err(io)?;

        // The shims and what they read.
        let exe = std::env::current_exe().map_err(io)?;
        let mut standins = Vec::new();
        for s in &profile.standins {
            let real = which(&s.command, &[("PATH".into(), parent_path.clone())]);
            let shim = format!(
                "#!/bin/sh\nexec {} __rehearsal-shim {} \"$@\"\n",
                crate::render::shell_quote(&exe.to_string_lossy()),
                crate::render::shell_quote(&s.command)
            );
            let path = bin.join(&s.command);
            std::fs::write(&path, shim).map_err(io)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
            standins.push(StandInControl {
                command: s.command.clone(),
                grammar: s.grammar.clone(),
                handlers: s
                    .handlers
                    .iter()
                    .map(|(k, v)| (k.split_whitespace().map(String::from).collect(), v.clone()))
                    .collect(),
                passthrough: s.passthrough,
                real,
            });
        }
        let control_doc = Control {
            state: state.clone(),
            secret_vars: req.secret_vars.clone(),
            python: python.clone(),
            profile_dir: profile.dir.clone(),
            standins,
        };
        write_private(&control.join(CONTROL), serde_json::to_string(&control_doc).unwrap_or_default().as_bytes())
            .map_err(io)?;
        write_private(&control.join(CALLS), b"").map_err(io)?;

        let mut rehearsal = Rehearsal {
            python,
            workdir,
            env,
            values: Vec::new(),
            control,
            services: Vec::new(),
            sandbox: Some(sandbox),
            profile,
        };

        // The services, in order; each one's `env` goes to the steps.
        let mut service_env = rehearsal.env.clone();
        service_env.retain(|(k, _)| k != CONTROL_ENV && k != "PATH");
        service_env.push(("PATH".into(), parent_path.clone()));
        service_env.push((STATE_ENV.into(), state.clone().into()));
        service_env.push(("RB_REHEARSAL_FIXTURES".into(), fixtures.into()));
        // Services run in the profile's directory: no `__pycache__` left there.
        service_env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
        for spec in &rehearsal.profile.services {
            let launch = service::Launch {
                python: &rehearsal.python,
                dir: &rehearsal.profile.dir,
                env: &service_env,
                log_dir: &logs,
            };
            let running = match service::start(spec, &launch, interrupt) {
                Ok(r) => r,
                Err(StartError::Interrupted) => return Err(Error::Interrupted),
                Err(StartError::Failed(m)) => return Err(usage(m)),
            };
            for (k, v) in &spec.env {
                let v = service::expand(v, &rehearsal.python, running.port, &rehearsal.profile.dir);
                rehearsal.env.push((k.into(), v.into()));
            }
            if let Some(file) = &spec.values {
                // Named by the service, not by the (temporary) path; the message never quotes
                // the file, which holds secrets.
                let values = crate::params::values::read_vars_file(&state.join(file)).map_err(|e| {
                    let line = match e {
                        crate::Error::BadVarsFile { line, .. } => format!(" (line {line})"),
                        _ => String::new(),
                    };
                    usage(format!("service `{}` wrote a values file {file} that cannot be read{line}", spec.name))
                })?;
                let origin = Origin::Rehearsal(format!("rehearsal service {}", spec.name));
                rehearsal.values.extend(values.into_iter().map(|g| Given { origin: origin.clone(), ..g }));
            }
            rehearsal.services.push(running);
        }
        if let Some(file) = &rehearsal.profile.values {
            // Named as the profile was given, so transcripts hold no absolute path.
            let path = profile_path.parent().unwrap_or(Path::new("")).join(file);
            let values = crate::params::values::read_vars_file(&path)?;
            // The services' values win over the profile's fake ones.
            for v in values {
                if !rehearsal.values.iter().any(|g| g.name == v.name) {
                    rehearsal.values.push(v);
                }
            }
        }
        Ok(rehearsal)
    }

    /// The runbook's output samples by step, for stand-ins without a handler.
    pub fn write_samples(&self, plan: &Plan) -> std::io::Result<()> {
        let samples: std::collections::BTreeMap<&str, Vec<&str>> = plan
            .steps
            .iter()
            .map(|s| {
                let texts =
                    s.rendered.iter().filter(|b| b.kind == BlockKind::Output).map(|b| b.text.as_str()).collect();
                (s.id.as_str(), texts)
            })
            .filter(|(_, t): &(&str, Vec<&str>)| !t.is_empty())
            .collect();
        write_private(&self.control.join(SAMPLES), serde_json::to_string(&samples).unwrap_or_default().as_bytes())
    }

    /// Read every service's report, then stop them all.
    pub fn finish(&mut self) -> Vec<ServiceReport> {
        let reports =
            self.services.iter().map(|s| ServiceReport { name: s.name.clone(), report: s.report() }).collect();
        self.stop();
        reports
    }

    fn stop(&mut self) {
        for s in self.services.iter_mut().rev() {
            s.stop();
        }
    }

    /// The sandbox directory (removed at the end).
    pub fn sandbox(&self) -> &Path {
        self.sandbox.as_ref().map_or(Path::new(""), |d| d.path())
    }
}

impl Drop for Rehearsal {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.sandbox.take() {
            let _ = dir.close();
        }
    }
}

fn install_hint(profile: &Profile) -> String {
    profile.requires.install.as_ref().map_or(String::new(), |i| format!(": {i}"))
}

/// Modules `python` cannot import (all of them when it cannot run).
fn missing_modules(python: &str, modules: &[String]) -> Vec<String> {
    if modules.is_empty() {
        return Vec::new();
    }
    let script =
        "import importlib.util, sys\nprint(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))";
    match std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(modules)
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => {
            String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect()
        }
        _ => modules.to_vec(),
    }
}

/// `name` on the `PATH` of `env` (or as given when it holds a `/`).
fn which(name: &str, env: &[(OsString, OsString)]) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let executable = |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0);
    if name.contains('/') {
        let p = std::path::absolute(name).ok()?;
        return executable(&p).then_some(p);
    }
    let path = env.iter().find(|(k, _)| k == "PATH")?.1.clone();
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| executable(p))
}

/// A file only its owner can read, written whole.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(path)?;
    f.write_all(bytes)
}

/// A fixture file into the working directory; an existing file with other content is refused.
fn put_fixture(source: &Path, target: &Path) -> Result<(), Error> {
    let bytes = std::fs::read(source).map_err(|e| crate::Error::io(source, &e))?;
    if let Ok(existing) = std::fs::read(target) {
        if existing == bytes {
            return Ok(());
        }
        return Err(usage(format!(
            "{}: exists with other content; the rehearsal's fixture would replace it",
            target.display()
        )));
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| crate::Error::CannotWrite { path: parent.to_path_buf(), message: e.to_string() })?;
    }
    std::fs::write(target, bytes)
        .map_err(|e| crate::Error::CannotWrite { path: target.to_path_buf(), message: e.to_string() })?;
    Ok(())
}
