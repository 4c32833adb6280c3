//! One Python interpreter per level-2 section: its code blocks run in order, each as its own
//! step, in one shared namespace.
//!
//! The interpreter runs a small driver (below) that connects back over a Unix socket in the
//! run's private directory; standard input stays `/dev/null`. For each block the driver compiles
//! the code with the Markdown path as file name, padded with newlines so that line numbers in
//! tracebacks and syntax errors are Markdown lines (blocks are never re-indented: an indented
//! block fails as Python would), runs it in the shared namespace, prints a traceback without the
//! driver's own frames on failure, writes an end-of-block token on stdout and stderr (so that
//! each step gets exactly its own output) and answers on the socket. Never redacts or prints.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::process::{self, Ending, Spawn, Stream};

const DRIVER: &str = r#"
import builtins, json, os, socket, sys, traceback
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(sys.argv[1])
token = sys.argv[2].encode()
replies = sock.makefile("w", encoding="utf-8")
namespace = {"__name__": "__main__", "__builtins__": builtins}
sys.argv = ["runbook"]
def finish(answer):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os.write(1, token)
    os.write(2, token)
    replies.write(json.dumps(answer) + "\n")
    replies.flush()
for request in sock.makefile("r", encoding="utf-8"):
    job = json.loads(request)
    answer = {"ok": True}
    try:
        code = compile("\n" * (job["line"] - 1) + job["code"], job["filename"], "exec", dont_inherit=True)
        exec(code, namespace)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        answer = {"ok": status == 0, "error": "SystemExit", "message": "exit status %d" % status, "line": None}
    except BaseException as e:
        tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
        traceback.print_exception(type(e), e, tb)
        line = getattr(e, "lineno", None) if isinstance(e, SyntaxError) else None
        for frame in traceback.extract_tb(tb):
            if frame.filename == job["filename"]:
                line = frame.lineno
        answer = {"ok": False, "error": type(e).__name__, "message": str(e), "line": line}
    finish(answer)
"#;

/// The driver's answer for one block.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Answer {
    pub ok: bool,
    /// Exception type (`NameError`, `SystemExit`…).
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// Markdown line of the innermost frame in the runbook (or of the syntax error).
    #[serde(default)]
    pub line: Option<usize>,
}

/// How one block ended.
#[derive(Clone, Debug)]
pub enum BlockEnding {
    Answered(Answer),
    /// The interpreter ended before answering (its exit code, if any).
    Died(Option<i32>),
    TimedOut,
    Interrupted,
}

/// A running interpreter for one section.
pub struct Session {
    /// Names of the environment variables the interpreter started with.
    env_names: Vec<std::ffi::OsString>,
    child: Option<process::Child>,
    stream: UnixStream,
    replies: BufReader<UnixStream>,
    token: Vec<u8>,
    splitters: [Splitter; 2],
}

impl Session {
    /// Start `python` with the given environment in `workdir`; the socket lives in `private`.
    pub fn start(
        python: &str,
        env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
        workdir: &Path,
        private: &Path,
        n: usize,
        interrupt: &AtomicBool,
    ) -> std::io::Result<Session> {
        let socket = private.join(format!("python-{n}.sock"));
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        listener.set_nonblocking(true)?;
        let env_names = env.iter().map(|(k, _)| k.clone()).collect();
        let token = format!("\u{1e}runbook-end-of-block-{}\u{1e}", random_hex()).into_bytes();
        let spawn = Spawn {
            program: python.into(),
            args: vec![
                "-u".into(),
                "-c".into(),
                DRIVER.into(),
                socket.as_os_str().to_owned(),
                String::from_utf8_lossy(&token).into_owned().into(),
            ],
            env,
            workdir: workdir.to_path_buf(),
            stdin: process::Stdin::Null,
            new_group: true,
        };
        let child = process::start(&spawn)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Some(ending) = child.try_status() {
                        let mut err = Vec::new();
                        child.finish(&mut |_, b| err.extend_from_slice(b));
                        let code = match ending {
                            Ending::Exited(c) => c,
                            _ => -1,
                        };
                        return Err(std::io::Error::other(format!(
                            "`{python}` ended before it started the runbook's code (exit status {code}): {}",
                            String::from_utf8_lossy(&err).trim()
                        )));
                    }
                    if Instant::now() > deadline || interrupt.load(Ordering::SeqCst) {
                        child.kill_group();
                        return Err(std::io::Error::other(format!("`{python}` did not start within 30 s")));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e),
            }
        };
        drop(listener);
        let _ = std::fs::remove_file(&socket);
        stream.set_nonblocking(false)?;
        let replies = BufReader::new(stream.try_clone()?);
        replies.get_ref().set_read_timeout(Some(Duration::from_millis(20)))?;
        let splitters = [Splitter::new(token.clone()), Splitter::new(token.clone())];
        Ok(Session { env_names, child: Some(child), stream, replies, token, splitters })
    }

    /// Whether the interpreter's environment has `name` (it is fixed when the interpreter starts).
    pub fn has_env(&self, name: &str) -> bool {
        self.env_names.iter().any(|k| k == name)
    }

    /// Whether the interpreter is still there to run blocks.
    pub fn alive(&self) -> bool {
        self.child.as_ref().is_some_and(|c| c.try_status().is_none())
    }

    /// Run one block: `code` as written in the runbook, `filename` the Markdown path, `line`
    /// the Markdown line of the block's first content line.
    pub fn run_block(
        &mut self,
        code: &str,
        filename: &str,
        line: usize,
        timeout: Duration,
        interrupt: &AtomicBool,
        on_output: &mut dyn FnMut(Stream, &[u8]),
    ) -> BlockEnding {
        let request = serde_json::json!({"code": code, "filename": filename, "line": line.max(1)});
        if writeln!(self.stream, "{request}").and_then(|()| self.stream.flush()).is_err() {
            return self.died(on_output);
        }
        let deadline = process::deadline_after(timeout);
        let mut answer: Option<Answer> = None;
        let mut reply: Vec<u8> = Vec::new();
        loop {
            let Some(child) = self.child.as_ref() else { return BlockEnding::Died(None) };
            let splitters = &mut self.splitters;
            child.poll(Duration::from_millis(10), &mut |s, b| {
                let i = usize::from(s == Stream::Stderr);
                splitters[i].push(b, &mut |bytes| on_output(s, bytes));
            });
            if answer.is_none() {
                // `read_until` keeps what it read before a timeout, so a reply is never lost.
                match self.replies.read_until(b'\n', &mut reply) {
                    Ok(0) => return self.died(on_output),
                    Ok(_) if reply.ends_with(b"\n") => {
                        answer = Some(serde_json::from_slice(&reply).unwrap_or_default());
                    }
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                    Err(_) => return self.died(on_output),
                }
            }
            if let Some(a) = &answer
                && self.splitters.iter().all(|s| s.seen > 0)
            {
                for s in &mut self.splitters {
                    s.seen -= 1;
                }
                return BlockEnding::Answered(a.clone());
            }
            if self.child.as_ref().is_some_and(|c| c.try_status().is_some()) {
                return self.died(on_output);
            }
            if interrupt.load(Ordering::SeqCst) {
                self.stop(on_output);
                return BlockEnding::Interrupted;
            }
            if Instant::now() >= deadline {
                self.stop(on_output);
                return BlockEnding::TimedOut;
            }
        }
    }

    fn died(&mut self, on_output: &mut dyn FnMut(Stream, &[u8])) -> BlockEnding {
        let code = self.child.as_ref().and_then(process::Child::try_status).and_then(|e| match e {
            Ending::Exited(c) => Some(c),
            _ => None,
        });
        self.stop(on_output);
        BlockEnding::Died(code)
    }

    /// Kill the interpreter's group and forward what it wrote.
    pub fn stop(&mut self, on_output: &mut dyn FnMut(Stream, &[u8])) {
        if let Some(child) = self.child.take() {
            child.kill_group();
            let splitters = &mut self.splitters;
            child.finish(&mut |s, b| {
                let i = usize::from(s == Stream::Stderr);
                splitters[i].push(b, &mut |bytes| on_output(s, bytes));
            });
            for (i, s) in self.splitters.iter_mut().enumerate() {
                let stream = if i == 0 { Stream::Stdout } else { Stream::Stderr };
                let rest = std::mem::take(&mut s.held);
                if !rest.is_empty() {
                    on_output(stream, &rest);
                }
            }
        }
    }

    /// End the session: close the socket so the driver leaves its loop, then make sure it is gone.
    pub fn close(mut self, on_output: &mut dyn FnMut(Stream, &[u8])) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        if let Some(child) = self.child.as_ref() {
            let deadline = Instant::now() + Duration::from_secs(2);
            while child.try_status().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = &self.token;
        self.stop(on_output);
    }
}

/// Splits a stream on the end-of-block token, holding back a tail that could be its beginning.
struct Splitter {
    token: Vec<u8>,
    held: Vec<u8>,
    /// Tokens seen and not yet consumed by a finished block.
    seen: usize,
}

impl Splitter {
    fn new(token: Vec<u8>) -> Splitter {
        Splitter { token, held: Vec::new(), seen: 0 }
    }

    fn push(&mut self, bytes: &[u8], emit: &mut dyn FnMut(&[u8])) {
        self.held.extend_from_slice(bytes);
        loop {
            if let Some(at) = find(&self.held, &self.token) {
                if at > 0 {
                    emit(&self.held[..at]);
                }
                self.held.drain(..at + self.token.len());
                self.seen += 1;
                continue;
            }
            // Keep the longest suffix that is a prefix of the token.
            let keep = (1..self.token.len().min(self.held.len() + 1))
                .rev()
                .find(|&k| self.held.ends_with(&self.token[..k]))
                .unwrap_or(0);
            let cut = self.held.len() - keep;
            if cut > 0 {
                emit(&self.held[..cut]);
                self.held.drain(..cut);
            }
            return;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// 16 random bytes from the system, hex-encoded.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    crate::source::hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
        vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())]
    }

    fn block(s: &mut Session, code: &str, line: usize) -> (BlockEnding, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let flag = AtomicBool::new(false);
        let ending = s.run_block(code, "guide.md", line, Duration::from_secs(30), &flag, &mut |st, b| match st {
            Stream::Stdout => out.extend_from_slice(b),
            Stream::Stderr => err.extend_from_slice(b),
        });
        (ending, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
    }

    #[test]
    fn blocks_share_a_namespace_and_get_their_own_output() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Session::start("python3", env(), dir.path(), dir.path(), 1, &AtomicBool::new(false)).unwrap();
        let (e, out, _) = block(&mut s, "greeting = 'hello'\nprint('first')\n", 10);
        assert!(matches!(e, BlockEnding::Answered(Answer { ok: true, .. })), "{e:?}");
        assert_eq!(out, "first\n");
        let (e, out, _) = block(&mut s, "print(greeting, 'again')\n", 20);
        assert!(matches!(e, BlockEnding::Answered(Answer { ok: true, .. })), "{e:?}");
        assert_eq!(out, "hello again\n");
        s.close(&mut |_, _| {});
    }

    #[test]
    fn tracebacks_point_at_markdown_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Session::start("python3", env(), dir.path(), dir.path(), 1, &AtomicBool::new(false)).unwrap();
        let (e, _, err) = block(&mut s, "x = 1\nprint(undefined_name)\n", 40);
        let BlockEnding::Answered(a) = e else { panic!("{e:?}") };
        assert!(!a.ok);
        assert_eq!(a.error.as_deref(), Some("NameError"));
        assert_eq!(a.line, Some(41));
        assert!(err.contains("File \"guide.md\", line 41"), "{err}");
        assert!(!err.contains("<string>") && !err.contains("runbook-end"), "{err}");
        // An indented block is not re-indented: it fails as Python would.
        let (e, _, _) = block(&mut s, "    y = 2\n", 50);
        let BlockEnding::Answered(a) = e else { panic!("{e:?}") };
        assert_eq!(a.error.as_deref(), Some("IndentationError"));
        assert_eq!(a.line, Some(50));
        s.close(&mut |_, _| {});
    }

    #[test]
    fn the_token_is_split_out_across_chunks() {
        let token = b"<TOKEN>".to_vec();
        let mut sp = Splitter::new(token);
        let mut out = Vec::new();
        for chunk in [&b"ab<TO"[..], b"KEN>cd<", b"X"] {
            sp.push(chunk, &mut |b| out.extend_from_slice(b));
        }
        assert_eq!(out, b"abcd<X");
        assert_eq!(sp.seen, 1);
    }
}
