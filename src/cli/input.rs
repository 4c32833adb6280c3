//! Answers from standard input, read on a helper thread so that a question can be abandoned when
//! Ctrl-C arrives: a blocking read is restarted after the signal, and the person would have to
//! press Enter before anything happened.
//!
//! Two readers: [`next_line`] keeps one thread reading every line (answers piped in by a script,
//! where nothing else reads standard input); [`ask`] and [`ask_secret`] read one line on a thread
//! that ends with it, so that a terminal prompt library can read the next answer itself.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// What a read got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Standard input ended.
    End,
    /// Ctrl-C (or SIGTERM) while waiting.
    Interrupted,
}

fn lines() -> &'static Mutex<Receiver<Option<String>>> {
    static LINES: OnceLock<Mutex<Receiver<Option<String>>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(Some(line.trim_end_matches('\r').to_string())).is_err() {
                    return;
                }
            }
            let _ = tx.send(None);
        });
        Mutex::new(rx)
    })
}

/// The next line of standard input, or why there is none.
pub fn next_line(interrupt: &AtomicBool) -> Line {
    let Ok(rx) = lines().lock() else { return Line::End };
    wait_for(&rx, interrupt)
}

/// The next line from `rx`, checking for Ctrl-C while it waits.
fn wait_for(rx: &Receiver<Option<String>>, interrupt: &AtomicBool) -> Line {
    loop {
        if interrupt.load(Ordering::SeqCst) {
            return Line::Interrupted;
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Some(line)) => return Line::Text(line),
            Ok(None) | Err(RecvTimeoutError::Disconnected) => return Line::End,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Print `prompt` on standard error and read one line (on a thread that ends with it).
pub fn ask(prompt: &str, interrupt: &AtomicBool) -> Line {
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let answer = match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        };
        let _ = tx.send(answer);
    });
    wait_for(&rx, interrupt)
}

/// Like [`ask`] with the terminal's echo off; the terminal is restored on every path.
pub fn ask_secret(prompt: &str, interrupt: &AtomicBool) -> Line {
    use nix::sys::termios::{self, LocalFlags, SetArg};
    let stdin = std::io::stdin();
    let saved = termios::tcgetattr(&stdin).ok();
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
    }
    let answer = ask(prompt, interrupt);
    if let Some(saved) = &saved {
        let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, saved);
    }
    let _ = writeln!(std::io::stderr());
    answer
}
