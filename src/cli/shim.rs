//! The shim that stands in for an external command during a rehearsal. Each shim on `PATH` is a
//! two-line script that runs `runbook __rehearsal-shim COMMAND ARGS…`; this checks the
//! invocation against the command's grammar, records it, and answers: with the profile's
//! handler for it, else with the real command (`passthrough`), else with the runbook's output
//! sample for the step, else with plain success, recorded as not modelled.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use crate::exec::run::{Answer, StandInCall};
use crate::rehearse::{CALLS, CONTROL, CONTROL_ENV, Control, SAMPLES, STATE_ENV, STEP};

/// A line on standard error (the shim's own messages, as the real command would print them).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub fn main(args: &[OsString]) -> ExitCode {
    let Some(dir) = std::env::var_os(CONTROL_ENV) else {
        say!("runbook: the rehearsal shim runs only inside `runbook run --rehearse` or `walk --rehearse`");
        return ExitCode::from(127);
    };
    let dir = Path::new(&dir);
    let control: Control = match std::fs::read(dir.join(CONTROL)).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
        Some(c) => c,
        None => {
            say!("runbook: the rehearsal's control files are missing from {}", dir.display());
            return ExitCode::from(127);
        }
    };
    let command = args.first().map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
    // The arguments as given go to handlers and the real command; text only for checks and the record.
    let raw_args = args.get(1..).unwrap_or_default();
    let args: Vec<String> = raw_args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let Some(standin) = control.standins.iter().find(|s| s.command == command) else {
        say!("runbook: `{command}` is not a stand-in of this rehearsal");
        return ExitCode::from(127);
    };
    let step = std::fs::read_to_string(dir.join(STEP)).unwrap_or_default().trim().to_string();
    let mut call = StandInCall {
        command: command.clone(),
        args: masked(&args, &control.secret_vars),
        answer: Answer::NotModelled,
        handler: None,
        exit_code: None,
        message: None,
    };

    // Checked as the real command would check it.
    let mut key = args.clone();
    if standin.grammar.as_deref() == Some("cf") {
        match crate::cf::check_args(&args) {
            Ok(canonical) => {
                if let Some(first) = key.first_mut() {
                    *first = canonical;
                }
            }
            Err(message) => {
                say!("{message}\nFAILED");
                call.answer = Answer::Refused;
                call.exit_code = Some(1);
                call.message = masked(&[message], &control.secret_vars).pop();
                record(dir, &call);
                return ExitCode::from(1);
            }
        }
    }

    let handler = standin
        .handlers
        .iter()
        .filter(|(lead, _)| key.len() >= lead.len() && key[..lead.len()] == lead[..])
        .max_by_key(|(lead, _)| lead.len());
    if let Some((_, handler)) = handler {
        let path = control.profile_dir.join(handler);
        let mut cmd = match path.extension().and_then(|e| e.to_str()) {
            Some("py") => {
                let mut c = Command::new(&control.python);
                c.arg(&path);
                c
            }
            Some("sh") => {
                let mut c = Command::new("bash");
                c.arg(&path);
                c
            }
            _ => Command::new(&path),
        };
        cmd.args(raw_args)
            .stdin(Stdio::null())
            .env(STATE_ENV, &control.state)
            .env("RB_REHEARSAL_PYTHON", &control.python)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        if let Some(real) = &standin.real {
            cmd.env("RB_REHEARSAL_REAL", real);
        }
        call.answer = Answer::Handler;
        call.handler = Some(handler.clone());
        let code = match cmd.status() {
            Ok(status) => status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
            Err(e) => {
                say!("runbook: cannot run the handler {}: {e}", path.display());
                call.message = Some(format!("cannot run the handler: {e}"));
                127
            }
        };
        call.exit_code = Some(code);
        record(dir, &call);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }

    if standin.passthrough
        && let Some(real) = &standin.real
    {
        call.answer = Answer::Passthrough;
        record(dir, &call);
        let e = Command::new(real).args(raw_args).exec();
        say!("runbook: cannot run {}: {e}", real.display());
        return ExitCode::from(127);
    }

    let samples: std::collections::HashMap<String, Vec<String>> =
        std::fs::read(dir.join(SAMPLES)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    match samples.get(&step).filter(|s| !s.is_empty()) {
        Some(texts) => {
            let mut out = std::io::stdout().lock();
            for t in texts {
                let _ = out.write_all(t.as_bytes());
                if !t.ends_with('\n') {
                    let _ = out.write_all(b"\n");
                }
            }
            call.answer = Answer::Sample;
        }
        None => {
            say!(
                "[rehearsal] `{command} {}` is not modelled: answered with success",
                key.first().map_or("", |s| s.as_str())
            );
        }
    }
    call.exit_code = Some(0);
    record(dir, &call);
    ExitCode::SUCCESS
}

/// The arguments with the values of the secret variables of the step's environment masked, so
/// that the record on disk holds no secret even if the run is killed before it is removed.
fn masked(args: &[String], secret_vars: &[String]) -> Vec<String> {
    // `vars_os`: a variable that is not UTF-8 must not stop the shim.
    let secrets: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, v)| (k.starts_with("RB_SECRET_") || secret_vars.contains(k)) && v.len() >= 4)
        .collect();
    args.iter()
        .map(|a| secrets.iter().fold(a.clone(), |a, (k, v)| a.replace(v.as_str(), &format!("[secret: ${k}]"))))
        .collect()
}

/// Append one call to the rehearsal's record (0600; read back by the runner after each step).
fn record(dir: &Path, call: &StandInCall) {
    let Ok(mut line) = serde_json::to_string(call) else { return };
    line.push('\n');
    let file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(dir.join(CALLS));
    if let Ok(mut f) = file {
        let _ = f.write_all(line.as_bytes());
    }
}
