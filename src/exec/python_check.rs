//! The Python syntax pre-pass for `check`: every Python code block of an invocation is compiled
//! by one `python3` process (`compile(source, path, "exec", dont_inherit=True)`, never run), and
//! each error is mapped back to a byte span in the Markdown file. Without Python, a coarse
//! check in pure Rust finds unexpected indentation and unbalanced brackets or quotes.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::lint::rules::python::{coarse_error, python_code_blocks};
use crate::lint::{PythonError, PythonResult};
use crate::source::Span;
use crate::steps::{Runbook, StepBlock};

/// How long one `python3` process may take before it is killed.
const TIMEOUT: Duration = Duration::from_mins(1);

/// Reads a JSON list of `{source, filename}` on stdin and answers a JSON list of
/// `{ok, line, col, end_line, end_col, msg}`; never runs the code.
const SCRIPT: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
out = []
for job in json.loads(sys.stdin.buffer.read().decode("utf-8")):
    r = {"ok": True, "line": None, "col": None, "end_line": None, "end_col": None, "msg": None}
    try:
        compile(job["source"], job["filename"], "exec", dont_inherit=True)
    except SyntaxError as e:
        r = {"ok": False, "line": e.lineno, "col": e.offset, "end_line": getattr(e, "end_lineno", None),
             "end_col": getattr(e, "end_offset", None), "msg": str(e.msg)}
    except (ValueError, TypeError, OverflowError, MemoryError, RecursionError) as e:
        r = {"ok": False, "line": None, "col": None, "end_line": None, "end_col": None, "msg": str(e)}
    out.append(r)
sys.stdout.write(json.dumps(out))
"#;

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    line: Option<i64>,
    col: Option<i64>,
    end_line: Option<i64>,
    end_col: Option<i64>,
    msg: Option<String>,
}

/// Compile every Python code block of one runbook with `python` (normally `python3`).
pub fn check(runbook: &Runbook, python: &str) -> Result<Vec<PythonResult>, String> {
    Ok(check_many(&[runbook], python)?.pop().unwrap_or_default())
}

/// Compile the Python code blocks of several runbooks with one process; one result list per
/// runbook, in order.
pub fn check_many(runbooks: &[&Runbook], python: &str) -> Result<Vec<Vec<PythonResult>>, String> {
    let mut jobs = Vec::new();
    let mut input = Vec::new();
    for (ri, rb) in runbooks.iter().enumerate() {
        let filename = rb.source.path.display().to_string();
        for (si, bi, block) in python_code_blocks(rb) {
            let first_line = rb.source.line_col(block.map.to_source(0)).line;
            let source = format!("{}{}", "\n".repeat(first_line.saturating_sub(1)), block.text);
            input.push(serde_json::json!({ "source": source, "filename": filename }));
            jobs.push((ri, si, bi, block, first_line));
        }
    }
    let mut out: Vec<Vec<PythonResult>> = vec![Vec::new(); runbooks.len()];
    if jobs.is_empty() {
        return Ok(out);
    }
    let stdin = serde_json::to_vec(&input).map_err(|e| format!("cannot encode the Python blocks: {e}"))?;
    let stdout = run(python, &stdin)?;
    let answers: Vec<Answer> = serde_json::from_slice(&stdout)
        .map_err(|e| format!("`{python}` gave an answer that is not the expected JSON: {e}"))?;
    if answers.len() != jobs.len() {
        return Err(format!("`{python}` answered {} results for {} blocks", answers.len(), jobs.len()));
    }
    for ((ri, si, bi, block, first_line), answer) in jobs.into_iter().zip(answers) {
        let error = if answer.ok {
            None
        } else {
            let message = answer.msg.clone().unwrap_or_else(|| "invalid syntax".to_string());
            let span = error_span(block, first_line, &message, &answer);
            Some(PythonError { message, span })
        };
        out[ri].push(PythonResult { step: si, block: bi, error, coarse: false });
    }
    Ok(out)
}

/// Run `python -I -c SCRIPT` with `stdin` on its standard input; its standard output.
fn run(python: &str, stdin: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = Command::new(python)
        .args(["-I", "-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{python}`: {e}"))?;
    let mut child_in = child.stdin.take().ok_or("no standard input for python")?;
    let mut child_out = child.stdout.take().ok_or("no standard output for python")?;
    let mut child_err = child.stderr.take().ok_or("no standard error for python")?;
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // A closed pipe means Python exited early; its status says why.
        let _ = child_in.write_all(&input);
    });
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = child_out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = child_err.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{python}` did not finish within {} seconds", TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("cannot wait for `{python}`: {e}")),
        }
    };
    let _ = writer.join();
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        return Err(format!(
            "`{python}` failed ({status}){}",
            if last.is_empty() { String::new() } else { format!(": {last}") }
        ));
    }
    Ok(stdout)
}

/// Byte offsets of the lines of a block's text: `(start, end without terminator)`.
fn text_lines(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        out.push((start, start + content.len()));
        start += line.len();
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

/// Byte offset (in `line`) of the 1-based character column `col`, clamped to the line.
fn col_to_byte(line: &str, col: i64) -> usize {
    let n = usize::try_from(col.max(1) - 1).unwrap_or(0);
    line.char_indices().nth(n).map_or(line.len(), |(i, _)| i)
}

/// The Markdown span of a `compile()` error reported at a Markdown line and column.
fn error_span(block: &StepBlock, first_line: usize, message: &str, a: &Answer) -> Span {
    let text = &block.text;
    let lines = text_lines(text);
    let Some(line_no) = a.line.and_then(|l| usize::try_from(l).ok()) else {
        return trimmed_line(block, lines[0]);
    };
    let k = line_no.saturating_sub(first_line).min(lines.len() - 1);
    let (ls, le) = lines[k];
    let line = &text[ls..le];
    let indent = line.len() - line.trim_start().len();
    if message.starts_with("unexpected indent") && indent > 0 && line_no >= first_line {
        return block.map.span(ls, ls + indent);
    }
    let Some(col) = a.col.filter(|&c| c >= 1) else {
        return trimmed_line(block, (ls, le));
    };
    let start = col_to_byte(line, col);
    let trimmed_end = line.trim_end().len();
    if start >= trimmed_end || line_no < first_line || line_no - first_line >= lines.len() {
        return trimmed_line(block, (ls, le));
    }
    let same_line = a.end_line.and_then(|l| usize::try_from(l).ok()) == Some(line_no);
    let end = match a.end_col {
        Some(ec) if same_line && ec > col => col_to_byte(line, ec).min(trimmed_end),
        _ => token_end(line, start),
    };
    block.map.span(ls + start, ls + end.max(start))
}

/// End of the name, or of the one character, at `start`.
fn token_end(line: &str, start: usize) -> usize {
    let rest = &line[start..];
    let name: usize = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum();
    if name > 0 { start + name } else { start + rest.chars().next().map_or(0, char::len_utf8) }
}

/// The line's text without its leading and trailing whitespace (an empty span at its start
/// when it is blank).
fn trimmed_line(block: &StepBlock, (ls, le): (usize, usize)) -> Span {
    let line = &block.text[ls..le];
    let lead = line.len() - line.trim_start().len();
    let end = line.trim_end().len().max(lead);
    block.map.span(ls + lead, ls + end)
}

/// The coarse check used when Python cannot be run: unexpected or missing indentation and
/// unbalanced brackets or quotes, in CPython's words. Results are marked `coarse`.
pub fn check_coarse(runbook: &Runbook) -> Vec<PythonResult> {
    python_code_blocks(runbook)
        .map(|(si, bi, block)| {
            let error = coarse_error(&block.text)
                .map(|(message, start, end)| PythonError { message, span: block.map.span(start, end) });
            PythonResult { step: si, block: bi, error, coarse: true }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn runbook(text: &str) -> Runbook {
        Runbook::from_source(SourceFile::new("guide.md", text))
    }

    fn at(rb: &Runbook, span: Span) -> (usize, usize, &str) {
        let lc = rb.source.line_col(span.start);
        (lc.line, lc.column, rb.source.slice(span))
    }

    const INDENTED: &str = "# Guide\n\n## Python\n\nConnect:\n\n```python\n  def f(a):\n    return a\n```\n\nThen:\n\n```python\nx = (1,\n```\n\nAnd:\n\n```python\nimport os\n```\n";

    #[test]
    fn compiles_every_block_in_one_process() {
        let rb = runbook(INDENTED);
        let results = check(&rb, "python3").expect("python3 runs");
        assert_eq!(results.len(), 3);
        let e = results[0].error.as_ref().expect("unexpected indent");
        assert_eq!(e.message, "unexpected indent");
        assert_eq!(at(&rb, e.span), (8, 1, "  "));
        let e = results[1].error.as_ref().expect("never closed");
        assert_eq!(e.message, "'(' was never closed");
        assert_eq!(at(&rb, e.span), (15, 5, "("));
        assert!(results[2].error.is_none());
        assert!(results.iter().all(|r| !r.coarse));
    }

    #[test]
    fn lines_map_through_list_indentation() {
        let text =
            "# Guide\n\n## Steps\n\n1. Run this:\n\n   ```python\n   import os\n   x = os.environ[\"A\"]]\n   ```\n";
        let rb = runbook(text);
        let results = check(&rb, "python3").expect("python3 runs");
        let e = results[0].error.as_ref().expect("unmatched");
        assert_eq!(e.message, "unmatched ']'");
        assert_eq!(at(&rb, e.span), (9, 23, "]"));
    }

    #[test]
    fn columns_count_characters() {
        let text = "# G\n\n```python\ns = 'éé' + )\n```\n";
        let rb = runbook(text);
        let results = check(&rb, "python3").expect("python3 runs");
        let e = results[0].error.as_ref().expect("unmatched");
        assert_eq!(at(&rb, e.span), (4, 12, ")"));
    }

    #[test]
    fn crlf_line_endings() {
        let text = "# G\r\n\r\n```python\r\nimport os\r\nx = (1,\r\n```\r\n";
        let rb = runbook(text);
        let results = check(&rb, "python3").expect("python3 runs");
        let e = results[0].error.as_ref().expect("never closed");
        assert_eq!(at(&rb, e.span), (5, 5, "("));
    }

    #[test]
    fn batches_several_files() {
        let a = runbook(INDENTED);
        let b = runbook("# B\n\n```python\nprint('ok')\n```\n\n```py\nif x:\npass\n```\n");
        let all = check_many(&[&a, &b], "python3").expect("python3 runs");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].len(), 3);
        assert_eq!(all[1].len(), 2);
        assert!(all[1][0].error.is_none());
        let e = all[1][1].error.as_ref().expect("expected indented block");
        assert!(e.message.starts_with("expected an indented block"), "{}", e.message);
        assert_eq!(at(&b, e.span).0, 9);
    }

    #[test]
    fn no_python_blocks_no_process() {
        let rb = runbook("# G\n\n```bash\ncf apps\n```\n");
        assert_eq!(check(&rb, "/nonexistent/python3").expect("nothing to run"), Vec::new());
    }

    #[test]
    fn missing_interpreter_is_an_error() {
        let rb = runbook(INDENTED);
        let err = check(&rb, "/nonexistent/python3").expect_err("cannot spawn");
        assert!(err.contains("cannot run"), "{err}");
    }

    #[test]
    fn coarse_check_finds_indentation_and_brackets() {
        let rb = runbook(INDENTED);
        let results = check_coarse(&rb);
        assert_eq!(results.len(), 3);
        assert!(results.iter().all(|r| r.coarse));
        let e = results[0].error.as_ref().expect("unexpected indent");
        assert_eq!(e.message, "unexpected indent");
        assert_eq!(at(&rb, e.span), (8, 1, "  "));
        let e = results[1].error.as_ref().expect("never closed");
        assert_eq!(e.message, "'(' was never closed");
        assert_eq!(at(&rb, e.span), (15, 5, "("));
        assert!(results[2].error.is_none());
    }
}
