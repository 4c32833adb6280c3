//! Shell blocks: each runs as one `bash` (`set -euo pipefail`), given with `-c` and the runbook's
//! path as `$0` (or as a 0600 file in the run's private directory when too long for an
//! argument), padded so that bash's line numbers are Markdown lines; an `ERR` trap records the
//! failing line, which is mapped back through the rendering to the Markdown file.

use std::ffi::OsString;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::output::{Collected, Forward};
use super::{Failure, Runner, Status, Ui, human_duration, step_is_interactive};
use crate::exec::process::{self, Ending, Spawn};
use crate::render::Mode;
use crate::steps::{Step, StepBlock};

/// The longest script passed to `bash -c` (Linux allows 128 KiB per argument).
const MAX_INLINE_SCRIPT: usize = 96 * 1024;

impl Runner<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn shell_block(
        &mut self,
        index: usize,
        step: &Step,
        block: &StepBlock,
        ui: &mut dyn Ui,
        hold: bool,
        out: &mut Collected,
        raw_stdout: &mut Vec<u8>,
    ) -> Result<Option<i32>, Failure> {
        let rendered = self.render(index, block, Mode::Execute)?;
        let script = strip_prompts(&rendered.text);
        let n = self.records.len() + 1;
        let path = self.opts.private.join(format!("step-{n}-{}.sh", block.content_start));
        let failed_line_file = self.opts.private.join(format!("step-{n}-{}.line", block.content_start));
        let _ = std::fs::remove_file(&failed_line_file);
        // Line 1 sets the shell up; blank lines then put the block's first line on its Markdown
        // line, so that bash's own messages (`guide.md: line 15: …`) name Markdown lines.
        let first_line = self.line_of(block.content_start);
        let pad = first_line.saturating_sub(2);
        let text = format!(
            "set -euo pipefail; trap 'printf \"%s\\n\" \"$LINENO\" > \"$RB_FAILED_LINE_FILE\"' ERR\n{}{script}{}",
            "\n".repeat(pad),
            if script.ends_with('\n') { "" } else { "\n" }
        );
        let mut env = self.child_env(&rendered.secret_refs, &[&rendered.text]);
        env.push(("RB_FAILED_LINE_FILE".into(), failed_line_file.clone().into()));
        let interactive = step_is_interactive(&self.plan, &step.id) && self.opts.rehearsal.is_none();
        // The script holds no secret (only environment references), so it may be an argument:
        // `bash -c SCRIPT NAME` makes `$0`, and so bash's messages, the runbook's path. A script
        // too long for an argument goes into the private directory instead.
        let args: Vec<OsString> = if text.len() <= MAX_INLINE_SCRIPT {
            vec!["-c".into(), text.into(), self.rb.source.path.clone().into()]
        } else {
            write_private(&path, &text).map_err(|e| Failure::new(Status::Failed, e))?;
            vec![path.clone().into()]
        };
        let spawn = Spawn {
            program: "bash".into(),
            args,
            env,
            workdir: self.opts.workdir.clone(),
            stdin: if interactive { process::Stdin::Terminal } else { process::Stdin::Null },
            new_group: !interactive,
        };
        let mut forward = Forward::new(&self.redactor, hold);
        let ending = process::run(&spawn, self.opts.timeout, self.interrupt, &mut |s, b| {
            forward.chunk(s, b, out, raw_stdout, ui);
        });
        forward.finish(out, ui);
        let _ = std::fs::remove_file(&path);
        let ending = ending.map_err(|e| Failure::new(Status::Failed, format!("cannot start bash: {e}")))?;
        let script_line = std::fs::read_to_string(&failed_line_file).ok().and_then(|t| t.trim().parse::<usize>().ok());
        let _ = std::fs::remove_file(&failed_line_file);
        let md_line = script_line.filter(|&l| l >= 2 + pad).map_or_else(
            || self.line_of(block.content_start),
            |l| {
                let offset = line_offset(&rendered.text, l - 2 - pad);
                self.line_of(block.map.to_source(rendered.to_block(offset)))
            },
        );
        let path_md = self.rb.source.path.display();
        let expected = block.expect_exit.unwrap_or(0);
        match ending {
            Ending::Exited(code) if code == expected => Ok(Some(code)),
            Ending::Exited(code) => {
                let mut f = Failure::new(
                    Status::Failed,
                    if expected == 0 {
                        format!("failed at {path_md}:{md_line} (exit status {code})")
                    } else {
                        format!("exit status {code} at {path_md}:{md_line}, expected {expected}")
                    },
                );
                f.line = Some(md_line);
                f.exit_code = Some(code);
                Err(f)
            }
            Ending::Signalled(sig) => {
                let mut f = Failure::new(Status::Failed, format!("killed by signal {sig} at {path_md}:{md_line}"));
                f.line = Some(md_line);
                Err(f)
            }
            Ending::TimedOut => Err(Failure::new(
                Status::TimedOut,
                format!(
                    "timed out after {} at {path_md}:{}; its processes were killed",
                    human_duration(self.opts.timeout),
                    self.line_of(block.content_start)
                ),
            )),
            Ending::Interrupted => Err(Failure::new(
                Status::Interrupted,
                format!("interrupted at {path_md}:{}", self.line_of(block.content_start)),
            )),
        }
    }
}

/// A console block's `$ ` prompts removed; lines that are not commands (output shown after a
/// prompt) become blank so that line numbers still match.
fn strip_prompts(text: &str) -> String {
    let has_prompts = text.lines().any(|l| l.trim_start().starts_with("$ "));
    if !has_prompts {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut continued = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if let Some(cmd) = trimmed.strip_prefix("$ ") {
            out.push_str(cmd);
            continued = cmd.trim_end().ends_with('\\');
        } else if continued {
            out.push_str(body);
            continued = body.trim_end().ends_with('\\');
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Byte offset of the start of 0-based line `line` in `text`.
fn line_offset(text: &str, line: usize) -> usize {
    if line == 0 {
        return 0;
    }
    text.match_indices('\n').nth(line - 1).map_or(text.len(), |(i, _)| i + 1)
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_removed_and_output_lines_blanked() {
        let text = "$ echo one \\\n  two\none two\n$ ls\nfile\n";
        assert_eq!(strip_prompts(text), "echo one \\\n  two\n\nls\n\n");
        assert_eq!(strip_prompts("echo hi\n"), "echo hi\n");
    }

    #[test]
    fn line_offsets() {
        assert_eq!(line_offset("a\nbb\nc", 0), 0);
        assert_eq!(line_offset("a\nbb\nc", 1), 2);
        assert_eq!(line_offset("a\nbb\nc", 2), 5);
        assert_eq!(line_offset("a\n", 5), 2);
    }
}
