//! One child process: spawned through duct in its own process group, with an explicit
//! environment, a standard-input policy, a deadline and an interrupt flag.
//!
//! Owns: process groups (`process_group(0)` before spawn), killing a whole group (SIGTERM, then
//! SIGKILL after a grace period), the pipes that carry stdout and stderr back as raw chunks, and
//! the rule that a step's processes end with the step (what a step leaves running in its group
//! is killed when its main process exits, so a background grandchild holding a pipe open cannot
//! hang the run). Never redacts, formats or prints: raw bytes go to the caller's callback, which
//! must redact before anything reaches a sink.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Which output stream a chunk came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// How the child's standard input is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdin {
    /// `/dev/null`: the default for every non-interactive step.
    Null,
    /// The terminal `runbook` was started from (interactive steps).
    Terminal,
}

/// What to start. Its `Debug` shows environment names only: values may be secrets.
#[derive(Clone)]
pub struct Spawn {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// The complete environment of the child (nothing is inherited implicitly).
    pub env: Vec<(OsString, OsString)>,
    pub workdir: PathBuf,
    pub stdin: Stdin,
    /// Start a new process group (every step but an interactive one, which must stay in the
    /// terminal's foreground group to read from it).
    pub new_group: bool,
}

impl std::fmt::Debug for Spawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spawn")
            .field("program", &self.program)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("workdir", &self.workdir)
            .field("stdin", &self.stdin)
            .field("new_group", &self.new_group)
            .finish_non_exhaustive()
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    /// Killed by a signal it did not get from us.
    Signalled(i32),
    TimedOut,
    Interrupted,
}

/// How long a group gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_millis(1500);
/// How long output is still read after a step's group has ended.
const DRAIN: Duration = Duration::from_secs(2);
/// How often the deadline and the interrupt flag are looked at.
const TICK: Duration = Duration::from_millis(20);

/// A started child whose output is being read.
pub struct Child {
    handle: duct::Handle,
    pgid: Option<i32>,
    chunks: mpsc::Receiver<(Stream, Vec<u8>)>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// Start `spawn` in a new process group with stdout and stderr on pipes.
pub fn start(spawn: &Spawn) -> std::io::Result<Child> {
    let (out_reader, out_writer) = os_pipe::pipe()?;
    let (err_reader, err_writer) = os_pipe::pipe()?;
    let handle = {
        // The expression owns the write ends; dropping it at the end of this block leaves the
        // child as their only holder, so the readers see end-of-file when the child's group is gone.
        let mut expr = duct::cmd(&spawn.program, &spawn.args)
            .dir(&spawn.workdir)
            .full_env(spawn.env.iter().map(|(k, v)| (k.clone(), v.clone())))
            .stdout_file(out_writer)
            .stderr_file(err_writer)
            .unchecked();
        if spawn.new_group {
            expr = expr.before_spawn(|cmd| {
                cmd.process_group(0);
                Ok(())
            });
        }
        if spawn.stdin == Stdin::Null {
            expr = expr.stdin_null();
        }
        expr.start()?
    };
    let pgid = if spawn.new_group { handle.pids().first().and_then(|&p| i32::try_from(p).ok()) } else { None };
    let (tx, chunks) = mpsc::channel();
    let readers = [(Stream::Stdout, out_reader), (Stream::Stderr, err_reader)]
        .into_iter()
        .map(|(stream, mut reader)| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            if tx.send((stream, buf[..n].to_vec())).is_err() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    Ok(Child { handle, pgid, chunks, readers })
}

impl Child {
    /// The process group id (the child's pid).
    pub fn pgid(&self) -> Option<i32> {
        self.pgid
    }

    /// Output received so far, without waiting.
    pub fn drain(&self, on_output: &mut dyn FnMut(Stream, &[u8])) {
        while let Ok((stream, bytes)) = self.chunks.try_recv() {
            on_output(stream, &bytes);
        }
    }

    /// Wait for output for at most `wait`; `true` if a chunk arrived.
    pub fn poll(&self, wait: Duration, on_output: &mut dyn FnMut(Stream, &[u8])) -> bool {
        match self.chunks.recv_timeout(wait) {
            Ok((stream, bytes)) => {
                on_output(stream, &bytes);
                self.drain(on_output);
                true
            }
            Err(_) => false,
        }
    }

    /// The exit status when the main process has ended.
    pub fn try_status(&self) -> Option<Ending> {
        match self.handle.try_wait() {
            Ok(Some(output)) => Some(ending_of(output.status)),
            Ok(None) => None,
            Err(_) => Some(Ending::Exited(-1)),
        }
    }

    /// Kill the whole group (SIGTERM, then SIGKILL after a grace period) and reap the child; a
    /// child in our own group (an interactive step) is killed with its descendants.
    pub fn kill_group(&self) {
        match self.pgid {
            Some(pgid) => kill_group(pgid),
            None => {
                if let Some(pid) = self.handle.pids().first().and_then(|&p| i32::try_from(p).ok()) {
                    kill_tree(pid);
                }
            }
        }
        let _ = self.handle.kill();
    }

    /// Wait for the readers after the group has ended, forwarding what is left.
    pub fn finish(self, on_output: &mut dyn FnMut(Stream, &[u8])) {
        let Child { handle, pgid, chunks, readers } = self;
        // What the step left running in its group ends with the step.
        if let Some(pgid) = pgid {
            kill_group(pgid);
        }
        let _ = handle.wait();
        drop(handle);
        // A process that left the group (`setsid`) may still hold a pipe: what it writes after
        // DRAIN is not waited for, and its reader thread is left to end on its own.
        let deadline = Instant::now() + DRAIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match chunks.recv_timeout(left) {
                Ok((stream, bytes)) => on_output(stream, &bytes),
                Err(_) => break,
            }
        }
        for r in readers.into_iter().filter(std::thread::JoinHandle::is_finished) {
            let _ = r.join();
        }
    }
}

/// SIGTERM to the group; SIGKILL if anything in it is still there after [`GRACE`].
pub fn kill_group(pgid: i32) {
    let group = Pid::from_raw(pgid);
    if killpg(group, Signal::SIGTERM).is_err() {
        return; // already gone
    }
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        // Signal 0 probes whether any member is left.
        if killpg(group, None).is_err() {
            return;
        }
        std::thread::sleep(TICK);
    }
    let _ = killpg(group, Signal::SIGKILL);
}

/// SIGTERM to `pid` and every process descended from it (found through `/proc`), then SIGKILL
/// to those left after [`GRACE`].
pub fn kill_tree(pid: i32) {
    use nix::sys::signal::kill;
    let tree = descendants(pid);
    for &p in &tree {
        let _ = kill(Pid::from_raw(p), Signal::SIGTERM);
    }
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline && tree.iter().any(|&p| kill(Pid::from_raw(p), None).is_ok()) {
        std::thread::sleep(TICK);
    }
    for &p in &tree {
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
}

/// `pid` and its descendants, from the parent pids in `/proc/*/stat`.
fn descendants(pid: i32) -> Vec<i32> {
    let mut parents: Vec<(i32, i32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // The command name is in parentheses and may hold spaces: fields follow the last `)`.
        let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
        if let Some(parent) = parent {
            parents.push((p, parent));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parents.iter().filter(|&&(_, pp)| pp == parent).map(|&(p, _)| p));
        i += 1;
    }
    tree
}

fn ending_of(status: std::process::ExitStatus) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(sig)) => Ending::Signalled(sig),
        (None, None) => Ending::Exited(-1),
    }
}

/// Run `spawn` to the end: output goes to `on_output` as it arrives (an empty chunk each tick
/// without output, so that the caller can show a prompt that has no newline yet); after
/// `timeout` or when `interrupt` is set, the whole group is killed.
pub fn run(
    spawn: &Spawn,
    timeout: Duration,
    interrupt: &AtomicBool,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> std::io::Result<Ending> {
    let child = start(spawn)?;
    let deadline = deadline_after(timeout);
    let ending = loop {
        if let Some(ending) = child.try_status() {
            break ending;
        }
        if interrupt.load(Ordering::SeqCst) {
            child.kill_group();
            break Ending::Interrupted;
        }
        if Instant::now() >= deadline {
            child.kill_group();
            break Ending::TimedOut;
        }
        if !child.poll(TICK, on_output) {
            // An empty chunk: nothing arrived for a tick (the caller may flush a prompt).
            on_output(Stream::Stdout, &[]);
        }
    };
    child.finish(on_output);
    Ok(ending)
}

/// `now + timeout`, saturating far in the future instead of overflowing.
pub fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout).unwrap_or_else(|| now + Duration::from_hours(100 * 365 * 24))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bash(script: &str, dir: &std::path::Path) -> Spawn {
        Spawn {
            program: "bash".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
            workdir: dir.to_path_buf(),
            stdin: Stdin::Null,
            new_group: true,
        }
    }

    fn collect(spawn: &Spawn, timeout: Duration) -> (Ending, Vec<u8>, Vec<u8>) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let flag = AtomicBool::new(false);
        let ending = run(spawn, timeout, &flag, &mut |s, b| match s {
            Stream::Stdout => out.extend_from_slice(b),
            Stream::Stderr => err.extend_from_slice(b),
        })
        .unwrap();
        (ending, out, err)
    }

    #[test]
    fn output_and_exit_code_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let (ending, out, err) = collect(&bash("echo out; echo err >&2; exit 3", dir.path()), Duration::from_secs(10));
        assert_eq!(ending, Ending::Exited(3));
        assert_eq!(out, b"out\n");
        assert_eq!(err, b"err\n");
    }

    #[test]
    fn stdin_is_dev_null_and_the_environment_is_only_what_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let (ending, out, _) = collect(&bash("cat; echo \"[${HOME:-unset}]\"", dir.path()), Duration::from_secs(10));
        assert_eq!(ending, Ending::Exited(0));
        assert_eq!(out, b"[unset]\n");
    }

    #[test]
    fn a_timeout_kills_the_child_and_its_grandchild() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("grandchild.pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
        let started = Instant::now();
        let (ending, _, _) = collect(&bash(&script, dir.path()), Duration::from_millis(500));
        assert_eq!(ending, Ending::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(30));
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // Reaped by init or a zombie of nobody: in either case it no longer runs.
        let gone = !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z");
        assert!(gone, "grandchild {pid} still running");
    }

    #[test]
    fn a_background_process_holding_the_pipe_does_not_hang_the_step() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let (ending, out, _) = collect(&bash("sleep 300 & echo started", dir.path()), Duration::from_mins(1));
        assert_eq!(ending, Ending::Exited(0));
        assert_eq!(out, b"started\n");
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn a_process_that_left_the_group_does_not_hold_the_step() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let (ending, out, _) = collect(&bash("setsid sleep 30 & echo left", dir.path()), Duration::from_mins(1));
        assert_eq!(ending, Ending::Exited(0));
        assert_eq!(out, b"left\n");
        assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    }

    #[test]
    fn descendants_are_found_through_proc() {
        let me = i32::try_from(std::process::id()).unwrap();
        assert_eq!(descendants(me)[0], me);
        assert!(!descendants(1).is_empty());
    }

    #[test]
    fn the_interrupt_flag_stops_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let flag = AtomicBool::new(true);
        let ending = run(&bash("sleep 300", dir.path()), Duration::from_mins(1), &flag, &mut |_, _| {}).unwrap();
        assert_eq!(ending, Ending::Interrupted);
    }
}
