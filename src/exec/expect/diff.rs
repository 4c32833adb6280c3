//! The diff text of a [`Mismatch`](super::Mismatch): a list of prefixed lines (`- ` sample, `+ `
//! output, `  ` context) capped at [`MAX_DIFF_LINES`], with overlong lines and cut runs shown as `…`.
//! Text and tree comparisons decide which lines to show; this file only collects and trims them.

use std::borrow::Cow;

/// Most lines in a [`Mismatch::diff`](super::Mismatch::diff), the final `…` included.
pub(super) const MAX_DIFF_LINES: usize = 40;
/// Longest line (in characters) shown in a diff before it is cut with `…`.
const MAX_DIFF_LINE_CHARS: usize = 160;

/// Collects diff lines up to [`MAX_DIFF_LINES`], marking cuts with `…`.
#[derive(Default)]
pub(super) struct Diff {
    lines: Vec<String>,
    cut: bool,
}

impl Diff {
    pub(super) fn line(&mut self, prefix: &str, text: &str) {
        if self.lines.len() + 1 >= MAX_DIFF_LINES {
            self.cut = true;
            return;
        }
        let mut line = format!("{prefix}{}", clip(text));
        line.truncate(line.trim_end().len());
        self.lines.push(line);
    }

    pub(super) fn gap(&mut self) {
        if self.lines.last().is_some_and(|l| l == "…") {
            return;
        }
        if self.lines.len() + 1 >= MAX_DIFF_LINES {
            self.cut = true;
            return;
        }
        self.lines.push("…".to_owned());
    }

    pub(super) fn finish(mut self) -> String {
        if self.cut && self.lines.last().is_none_or(|l| l != "…") {
            self.lines.push("…".to_owned());
        }
        self.lines.join("\n")
    }
}

/// A line cut to [`MAX_DIFF_LINE_CHARS`] characters, with `…` where cut.
fn clip(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_DIFF_LINE_CHARS) {
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{diff_lines, mismatch};
    use super::*;

    #[test]
    fn diffs_are_capped_and_long_lines_cut() {
        let keys: Vec<String> = (0..60).map(|k| format!("\"key_{k}\": 1")).collect();
        let m = mismatch(&format!("{{{}}}", keys.join(", ")), "{}");
        assert_eq!(m.summary, "output lacks the key `key_0` shown in the sample");
        let lines = diff_lines(&m);
        assert_eq!(lines.len(), MAX_DIFF_LINES);
        assert_eq!(lines[0], "  {");
        assert_eq!(lines[1], "-   \"key_0\": number");
        assert_eq!(lines.last(), Some(&"…"));

        let long = "x".repeat(1000);
        let m = mismatch("short", &long);
        let lines = diff_lines(&m);
        assert_eq!(lines[1].chars().count(), 2 + MAX_DIFF_LINE_CHARS + 1);
        assert!(lines[1].ends_with('…'));
    }
}
