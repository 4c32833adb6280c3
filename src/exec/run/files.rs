//! File blocks: written into the working directory atomically; a different existing file is
//! shown as a diff and overwritten only with consent (`--yes` or a terminal answer).

use super::{Failure, Runner, Status, Ui};
use crate::render::{self, Mode};
use crate::steps::StepBlock;

impl Runner<'_> {
    /// Write a file block into the working directory.
    pub(super) fn file_block(
        &mut self,
        index: usize,
        block: &StepBlock,
        ui: &mut dyn Ui,
    ) -> Result<Option<i32>, Failure> {
        let at = format!("{}:{}", self.rb.source.path.display(), self.line_of(block.span.start));
        let Some(name) = block.file.as_deref().map(crate::plan::written_name) else {
            return Err(Failure::new(
                Status::Failed,
                format!("the file block at {at} has no file name: add `file=NAME`"),
            ));
        };
        let rendered = self.render(index, block, Mode::Execute)?;
        if let Some((n, _)) = rendered.secret_refs.first() {
            return Err(Failure::new(
                Status::Failed,
                format!("the file `{name}` ({at}) would hold the secret `{n}`: read it from the environment instead"),
            ));
        }
        render::validate_file_name(&name).map_err(|e| Failure::new(Status::Failed, format!("{at}: {e}")))?;
        let path = self.opts.workdir.join(&name);
        // Only a regular file is read or replaced: a FIFO would block, a directory or device is
        // not what the runbook means.
        let existing = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Ok(meta) if meta.file_type().is_symlink() || meta.is_file() => match std::fs::metadata(&path) {
                Ok(target) if target.is_file() => Some(std::fs::read(&path).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                _ => return Err(Failure::new(Status::Failed, format!("`{name}` ({at}) is not a regular file"))),
            },
            Ok(_) => return Err(Failure::new(Status::Failed, format!("`{name}` ({at}) is not a regular file"))),
            Err(e) => return Err(Failure::new(Status::Failed, format!("cannot read `{name}` ({at}): {e}"))),
        };
        if let Some(existing) = existing {
            if existing == rendered.text.as_bytes() {
                ui.note(&format!("{name} is already as the runbook writes it"));
                return Ok(None);
            }
            let diff = self.redactor.redact(&line_diff(&String::from_utf8_lossy(&existing), &rendered.text));
            if self.opts.no_clobber {
                return Err(Failure::new(
                    Status::Failed,
                    format!("`{name}` exists with other content; --no-clobber refuses to overwrite it ({at})\n{diff}"),
                ));
            }
            if !self.opts.yes {
                if !self.opts.terminal {
                    return Err(Failure::new(
                        Status::Failed,
                        format!(
                            "`{name}` exists with other content ({at}): pass --yes to overwrite it or --no-clobber to keep it\n{diff}"
                        ),
                    ));
                }
                ui.note(&format!("{name} differs from what the runbook writes:\n{diff}"));
                if !ui.confirm(&format!("Overwrite {name}?")) {
                    return Err(Failure::new(Status::Failed, format!("kept the existing `{name}` ({at})")));
                }
            }
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::new(Status::Failed, format!("cannot create {}: {e}", parent.display())))?;
        }
        let tmp = path.with_file_name(format!(
            ".{}.runbook-tmp-{}",
            path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            std::process::id()
        ));
        std::fs::write(&tmp, &rendered.text).and_then(|()| std::fs::rename(&tmp, &path)).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Failure::new(Status::Failed, format!("cannot write {name}: {e}"))
        })?;
        ui.note(&format!("wrote {name}"));
        Ok(None)
    }
}

/// A small line diff (`- old`, `+ new`), at most 40 lines.
pub fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() * b.len() > 4_000_000 {
        return format!("  ({} lines now, {} lines in the runbook)", a.len(), b.len());
    }
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+ {}", b[j]));
            j += 1;
        } else {
            out.push(format!("- {}", a[i]));
            i += 1;
        }
    }
    if out.len() > 40 {
        let more = out.len() - 40;
        out.truncate(40);
        out.push(format!("  … {more} more changed lines"));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_show_changed_lines() {
        assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\n"), "+ x\n- b");
        assert_eq!(line_diff("same\n", "same\n"), "");
    }
}
