//! Local services of a rehearsal: started in their own process group on a free loopback port,
//! probed until ready, asked for a report, and stopped (SIGTERM to the group, then SIGKILL).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::profile::Service;

/// Why a service did not start.
#[derive(Debug)]
pub enum StartError {
    Failed(String),
    Interrupted,
}

/// A service that is running.
pub struct Running {
    pub name: String,
    pub port: u16,
    child: Child,
    log: PathBuf,
    report: Option<String>,
    stopped: bool,
}

/// Where and how a service starts.
pub struct Launch<'a> {
    pub python: &'a str,
    /// The profile's directory: the service's working directory and `{dir}`.
    pub dir: &'a Path,
    pub env: &'a [(OsString, OsString)],
    pub log_dir: &'a Path,
}

/// `setpriv` from util-linux, when it is installed.
fn setpriv() -> Option<&'static Path> {
    ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().map(Path::new).find(|p| p.is_file())
}

/// A free port on 127.0.0.1 (the kernel's choice; released just before the service binds it).
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// `{python}`, `{port}` and `{dir}` replaced.
pub fn expand(text: &str, python: &str, port: u16, dir: &Path) -> String {
    text.replace("{python}", python).replace("{port}", &port.to_string()).replace("{dir}", &dir.to_string_lossy())
}

/// Start `spec` and wait until its probe succeeds, it exits, the time runs out or Ctrl-C.
/// Whatever happens, a service that is not returned is stopped.
pub fn start(spec: &Service, launch: &Launch<'_>, interrupt: &AtomicBool) -> Result<Running, StartError> {
    let fail = |m: String| StartError::Failed(format!("service `{}` {m}", spec.name));
    let port = free_port().map_err(|e| fail(format!("could not get a free loopback port: {e}")))?;
    let words: Vec<String> = spec.command.iter().map(|w| expand(w, launch.python, port, launch.dir)).collect();
    let log = launch.log_dir.join(format!("{}.log", spec.name));
    let out = std::fs::File::create(&log).map_err(|e| fail(format!("could not create its log: {e}")))?;
    let err = out.try_clone().map_err(|e| fail(format!("could not create its log: {e}")))?;
    // With util-linux's `setpriv`, the service gets SIGTERM if runbook itself dies (SIGKILL
    // included), so not even an abrupt end leaves it running.
    let mut command = match setpriv() {
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            c.args(["--pdeathsig", "TERM", "--"]).arg(&words[0]);
            c
        }
        None => Command::new(&words[0]),
    };
    command
        .args(&words[1..])
        .current_dir(launch.dir)
        .env_clear()
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    let child = command.spawn().map_err(|e| fail(format!("could not start `{}`: {e}", words[0])))?;
    let mut running =
        Running { name: spec.name.clone(), port, child, log, report: spec.report.clone(), stopped: false };
    let deadline = Instant::now() + Duration::from_secs(spec.ready_timeout.min(super::profile::MAX_READY_TIMEOUT));
    loop {
        if interrupt.load(Ordering::SeqCst) {
            running.stop();
            return Err(StartError::Interrupted);
        }
        if let Ok(Some(status)) = running.child.try_wait() {
            running.stopped = true;
            let tail = running.log_tail();
            return Err(fail(format!(
                "exited ({status}) before it was ready{}",
                if tail.is_empty() { String::new() } else { format!(": {tail}") }
            )));
        }
        let ready = match &spec.ready.http {
            Some(path) => http_get(port, path, Duration::from_millis(500)).is_some_and(|(code, _)| code == 200),
            None => TcpStream::connect_timeout(&addr(port), Duration::from_millis(200)).is_ok(),
        };
        if ready {
            return Ok(running);
        }
        if Instant::now() >= deadline {
            running.stop();
            return Err(fail(format!(
                "was not ready after {} s (log: {})",
                spec.ready_timeout,
                running.log_tail_or("empty")
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// A plain HTTP/1.0 GET on loopback: the status code and body.
pub fn http_get(port: u16, path: &str, timeout: Duration) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr(port), timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.take(1 << 20).read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    Some((code, body))
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The service's JSON report (its `report` path), if it has one and answers.
    pub fn report(&self) -> Option<serde_json::Value> {
        let path = self.report.as_deref()?;
        let (code, body) = http_get(self.port, path, Duration::from_secs(2))?;
        if code != 200 {
            return None;
        }
        serde_json::from_str(&body).ok()
    }

    /// SIGTERM to the service's process group, SIGKILL after 5 s; waits for it.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let Ok(pid) = i32::try_from(self.child.id()) else { return };
        let group = Pid::from_raw(pid);
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                // Whatever it started in its group goes too.
                let _ = killpg(group, Signal::SIGKILL);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }

    /// The line of the service's log that says why: its last line naming an error, else its
    /// last non-empty line.
    fn log_tail(&self) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let error = lines.iter().rev().find(|l| l.to_ascii_lowercase().contains("error"));
        error.or(lines.last()).map_or_else(String::new, |l| l.chars().take(300).collect())
    }

    fn log_tail_or(&self, empty: &str) -> String {
        let tail = self.log_tail();
        if tail.is_empty() { empty.to_string() } else { format!("last line `{tail}`") }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rehearse::profile::Ready;

    fn spec(command: &[&str], ready: Ready, timeout: u64) -> Service {
        Service {
            name: "svc".into(),
            command: command.iter().map(|s| (*s).to_string()).collect(),
            ready,
            ready_timeout: timeout,
            env: std::collections::BTreeMap::default(),
            report: None,
            values: None,
        }
    }

    fn launch(dir: &Path) -> Launch<'_> {
        Launch { python: "python3", dir, env: &[], log_dir: dir }
    }

    fn alive(pid: u32) -> bool {
        nix::sys::signal::kill(Pid::from_raw(pid.cast_signed()), None).is_ok()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
    }

    #[test]
    fn the_line_that_says_why_is_shown() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(
            &["/bin/sh", "-c", "echo 'error: unknown label NOPE' >&2; echo stopped >&2; exit 1"],
            Ready { tcp: true, http: None },
            5,
        );
        let Err(StartError::Failed(m)) = start(&s, &launch(dir.path()), &AtomicBool::new(false)) else { panic!() };
        assert!(m.ends_with("before it was ready: error: unknown label NOPE"), "{m}");
    }

    #[test]
    fn a_service_that_exits_early_is_reported_with_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let s =
            spec(&["/bin/sh", "-c", "echo 'address already in use' >&2; exit 3"], Ready { tcp: true, http: None }, 5);
        let Err(StartError::Failed(m)) = start(&s, &launch(dir.path()), &AtomicBool::new(false)) else { panic!() };
        assert!(
            m.starts_with("service `svc` exited (exit status: 3) before it was ready: address already in use"),
            "{m}"
        );
    }

    #[test]
    fn a_service_never_ready_is_stopped_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let script = format!("sleep 600 & echo $$ $! > {}; wait", pids.display());
        let s = spec(&["/bin/sh", "-c", &script], Ready { tcp: false, http: Some("/ready".into()) }, 1);
        let Err(StartError::Failed(m)) = start(&s, &launch(dir.path()), &AtomicBool::new(false)) else { panic!() };
        assert!(m.contains("was not ready after 1 s"), "{m}");
        let text = std::fs::read_to_string(&pids).unwrap();
        for pid in text.split_whitespace() {
            let pid: u32 = pid.parse().unwrap();
            let deadline = Instant::now() + Duration::from_secs(2);
            while alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(!alive(pid), "{pid} is still running");
        }
    }

    #[test]
    fn a_ready_service_answers_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(
            &[
                "python3",
                "-c",
                "import http.server,sys; http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()",
                "{port}",
            ],
            Ready { tcp: true, http: None },
            10,
        );
        let mut running = start(&s, &launch(dir.path()), &AtomicBool::new(false)).unwrap();
        assert_eq!(http_get(running.port, "/", Duration::from_secs(2)).unwrap().0, 200);
        let pid = running.pid();
        running.stop();
        assert!(!alive(pid));
    }

    #[test]
    fn placeholders_in_commands_are_expanded() {
        assert_eq!(
            expand("{python} s.py --port {port} {dir}/x", "/v/python3", 8080, Path::new("/p")),
            "/v/python3 s.py --port 8080 /p/x"
        );
    }
}
