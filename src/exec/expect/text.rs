//! Text samples: line-by-line matching with `...` lines (any number of output lines), `[..]`
//! (any run of characters) and runs of spaces (one or more spaces), backtracking over `...` within a
//! bounded number of line comparisons; and the text diff shown when a text does not match (context,
//! then a small longest-common-subsequence diff), plus the head-of-both diff used when the output
//! holds no document at all.

use std::cell::OnceCell;

use regex::{Regex, RegexBuilder};

use super::diff::Diff;
use super::{MAX_LINE_COMPARISONS, Mismatch};

/// How many sample and output lines a text diff shows from the point of difference.
const DIFF_WINDOW: usize = 12;
/// How many matching output lines a text diff shows before the point of difference.
const DIFF_CONTEXT: usize = 3;

/// The lines of a text between its first and last non-blank line, read in place.
struct Lines<'a> {
    text: &'a str,
    /// Byte offset of the first non-blank line.
    start: usize,
    /// Byte offset just past the last non-whitespace character.
    end: usize,
    empty: bool,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let end = text.trim_end().len();
        let first = text.len() - text.trim_start().len();
        let start = text[..first.min(end)].rfind('\n').map_or(0, |k| k + 1);
        Lines { text, start, end, empty: end == 0 }
    }

    /// How many lines there are.
    fn count(&self) -> usize {
        if self.empty { 0 } else { self.text[self.start..self.end].bytes().filter(|&b| b == b'\n').count() + 1 }
    }

    /// Whether `pos` is past the last line.
    fn at_end(&self, pos: usize) -> bool {
        self.empty || pos > self.end
    }

    /// The line at `pos` (trailing whitespace removed) and the position of the next line.
    fn line_at(&self, pos: usize) -> (&'a str, usize) {
        let rest = self.text.get(pos..self.end).unwrap_or_default();
        match rest.find('\n') {
            Some(k) => (rest[..k].trim_end(), pos + k + 1),
            None => (rest.trim_end(), self.end + 1),
        }
    }

    /// Up to `count` lines before `pos`, nearest last, and whether there are more.
    fn before(&self, pos: usize, count: usize) -> (Vec<&'a str>, bool) {
        let mut starts = Vec::new();
        let mut pos = pos.min(self.end + 1);
        while !self.empty && starts.len() < count && pos > self.start {
            let prev = self.text[..pos - 1].rfind('\n').map_or(0, |k| k + 1).max(self.start);
            starts.push(prev);
            pos = prev;
        }
        let more = !self.empty && pos > self.start;
        (starts.iter().rev().map(|&s| self.line_at(s).0).collect(), more)
    }
}

/// One line of a text sample.
struct SampleLine<'a> {
    /// 1-based line number in the sample.
    no: usize,
    text: &'a str,
    /// `...`: any number of output lines.
    ellipsis: bool,
    /// Holds `[..]` or a run of spaces, so matches through a regex.
    glob: bool,
    regex: OnceCell<Option<Regex>>,
}

impl<'a> SampleLine<'a> {
    fn new(no: usize, text: &'a str) -> Self {
        let ellipsis = text.trim() == "...";
        let glob = !ellipsis && (text.contains("[..]") || text.contains("  "));
        SampleLine { no, text, ellipsis, glob, regex: OnceCell::new() }
    }

    fn matches(&self, line: &str) -> bool {
        if !self.glob {
            return self.text == line;
        }
        match self.regex.get_or_init(|| glob_regex(self.text)) {
            Some(regex) => regex.is_match(line),
            None => self.text == line,
        }
    }
}

/// `[..]` becomes `.*`, a run of two or more spaces ` +`, the rest is literal. Spaces just before a
/// final `[..]` are optional together with it, since output lines lose trailing whitespace (`id: [..]`
/// matches `id:`). `None` when the regex would be too big (the line then matches only itself).
fn glob_regex(text: &str) -> Option<Regex> {
    let mut head = text;
    let mut open_end = false;
    while let Some(rest) = head.strip_suffix("[..]") {
        head = rest;
        open_end = true;
    }
    let body = head.trim_end_matches(' ');
    let mut pattern = String::from("^");
    push_glob(&mut pattern, if open_end { body } else { head });
    if open_end {
        pattern.push_str(match head.len() - body.len() {
            0 => ".*",
            1 => "(?: .*)?",
            _ => "(?: +.*)?",
        });
    }
    pattern.push('$');
    RegexBuilder::new(&pattern).dot_matches_new_line(true).size_limit(1 << 24).build().ok()
}

fn push_glob(pattern: &mut String, text: &str) {
    for (k, piece) in text.split("[..]").enumerate() {
        if k > 0 {
            pattern.push_str(".*");
        }
        let mut rest = piece;
        while let Some(at) = rest.find("  ") {
            pattern.push_str(&regex::escape(&rest[..at]));
            pattern.push_str(" +");
            rest = rest[at..].trim_start_matches(' ');
        }
        pattern.push_str(&regex::escape(rest));
    }
}

/// The sample's lines between its first and last non-blank line.
fn sample_lines(sample: &str) -> Vec<SampleLine<'_>> {
    let mut lines: Vec<_> =
        sample.split('\n').enumerate().map(|(k, raw)| SampleLine::new(k + 1, raw.trim_end())).collect();
    let end = lines.iter().rposition(|l| !l.text.is_empty()).map_or(0, |k| k + 1);
    lines.truncate(end);
    let start = lines.iter().position(|l| !l.text.is_empty()).unwrap_or(lines.len());
    lines.drain(..start);
    lines
}

/// Where a text match gave up: sample line `i` (or the sample's end) could not be matched at output
/// position `j`.
struct Stop {
    i: usize,
    j: usize,
    exhausted: bool,
}

/// Greedy matching with one backtracking point (the last `...` seen), which is exact for patterns
/// whose only multi-line wildcard is `...`. Records the furthest sample line reached, and the first
/// output position where it was reached.
fn match_lines(pats: &[SampleLine<'_>], actual: &Lines<'_>) -> Result<(), Stop> {
    let (mut i, mut j) = (0, actual.start);
    let mut star: Option<(usize, usize)> = None;
    let mut best = (0, j);
    let mut budget = MAX_LINE_COMPARISONS.saturating_add(actual.count().saturating_mul(2));
    loop {
        if let Some(pat) = pats.get(i) {
            if pat.ellipsis {
                i += 1;
                if i == pats.len() {
                    return Ok(());
                }
                star = Some((i, j));
                if i > best.0 {
                    best = (i, j);
                }
                continue;
            }
            if !actual.at_end(j) {
                if budget == 0 {
                    return Err(Stop { i: best.0, j: best.1, exhausted: true });
                }
                budget -= 1;
                let (line, next) = actual.line_at(j);
                if pat.matches(line) {
                    i += 1;
                    j = next;
                    if i > best.0 {
                        best = (i, j);
                    }
                    continue;
                }
            }
        } else if actual.at_end(j) {
            return Ok(());
        }
        match star {
            Some((si, sj)) if !actual.at_end(sj) => {
                let next = actual.line_at(sj).1;
                star = Some((si, next));
                (i, j) = (si, next);
            }
            _ => return Err(Stop { i: best.0, j: best.1, exhausted: false }),
        }
    }
}

pub(super) fn compare_text(sample: &str, actual: &str) -> Result<(), Mismatch> {
    let pats = sample_lines(sample);
    let lines = Lines::new(actual);
    match_lines(&pats, &lines).map_err(|stop| text_mismatch(&pats, &lines, &stop))
}

fn text_mismatch(pats: &[SampleLine<'_>], actual: &Lines<'_>, stop: &Stop) -> Mismatch {
    let summary = if stop.exhausted {
        "output is too long to compare with the sample (too many line comparisons)".to_owned()
    } else if let Some(pat) = pats.get(stop.i) {
        if actual.empty {
            "output is empty where the sample shows lines".to_owned()
        } else if actual.at_end(stop.j) {
            format!("output ends before sample line {}", pat.no)
        } else {
            format!("output differs from the sample at sample line {}", pat.no)
        }
    } else if let Some(last) = pats.last() {
        format!("output has more lines than the sample after sample line {}", last.no)
    } else {
        "output has lines where the sample shows none".to_owned()
    };
    Mismatch { summary, diff: text_diff(pats, actual, stop.i, stop.j) }
}

/// Context before output position `at`, then a small line diff (longest common subsequence) of
/// the sample from line `from` (up to its next `...`) against the output from `at`.
fn text_diff(pats: &[SampleLine<'_>], actual: &Lines<'_>, from: usize, at: usize) -> String {
    let mut diff = Diff::default();
    let (before, more) = actual.before(at, DIFF_CONTEXT);
    if more {
        diff.gap();
    }
    for line in before {
        diff.line("  ", line);
    }
    let from = from.min(pats.len());
    let sample_end =
        pats[from..].iter().position(|p| p.ellipsis).map_or(pats.len(), |k| from + k).min(from + DIFF_WINDOW);
    let expected = &pats[from..sample_end];
    let mut found = Vec::new();
    let mut pos = at;
    while found.len() < DIFF_WINDOW && !actual.at_end(pos) {
        let (line, next) = actual.line_at(pos);
        found.push(line);
        pos = next;
    }
    let same: Vec<Vec<bool>> = expected.iter().map(|p| found.iter().map(|line| p.matches(line)).collect()).collect();
    let (rows, cols) = (expected.len(), found.len());
    let mut lcs = vec![vec![0usize; cols + 1]; rows + 1];
    for r in (0..rows).rev() {
        for c in (0..cols).rev() {
            lcs[r][c] = if same[r][c] { lcs[r + 1][c + 1] + 1 } else { lcs[r + 1][c].max(lcs[r][c + 1]) };
        }
    }
    let (mut r, mut c) = (0, 0);
    while r < rows || c < cols {
        if r < rows && c < cols && same[r][c] && lcs[r][c] == lcs[r + 1][c + 1] + 1 {
            diff.line("  ", found[c]);
            (r, c) = (r + 1, c + 1);
        } else if r < rows && (c == cols || lcs[r + 1][c] >= lcs[r][c + 1]) {
            diff.line("- ", expected[r].text);
            r += 1;
        } else {
            diff.line("+ ", found[c]);
            c += 1;
        }
    }
    if sample_end < pats.len() || !actual.at_end(pos) {
        diff.gap();
    }
    diff.finish()
}

/// The first lines of the sample's document and of the output.
pub(super) fn head_diff(doc: &str, actual: &str) -> String {
    let mut diff = Diff::default();
    for (prefix, text) in [("- ", doc), ("+ ", actual)] {
        let lines = Lines::new(text);
        let mut pos = lines.start;
        for _ in 0..DIFF_WINDOW {
            if lines.at_end(pos) {
                break;
            }
            let (line, next) = lines.line_at(pos);
            diff.line(prefix, line);
            pos = next;
        }
        if !lines.at_end(pos) {
            diff.gap();
        }
    }
    diff.finish()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{diff_lines, mismatch};
    use super::super::{Shape, compare};

    #[test]
    fn text_exact_match_and_first_difference() {
        let sample = "Creating app web-app...\nOK\n";
        assert_eq!(compare(sample, "Creating app web-app...\nOK"), Ok(Shape::Text));
        let m = mismatch(sample, "Creating app web-app...\nFAILED\n");
        assert_eq!(m.summary, "output differs from the sample at sample line 2");
    }

    #[test]
    fn text_ellipsis_at_start_middle_and_end() {
        let output =
            "Pushing app gallery...\nUploading files\n 12 MiB / 12 MiB\nWaiting for app to start...\nname: gallery\n";
        assert!(compare("...\nname: gallery", output).is_ok());
        assert!(compare("Pushing app gallery...\n...\nWaiting for app to start...\nname: gallery", output).is_ok());
        assert!(compare("Pushing app gallery...\nUploading files\n...", output).is_ok());
        assert!(compare("...\nUploading files\n...\nname: gallery\n...", output).is_ok());
        // `...` also matches no lines at all.
        assert!(compare("Pushing app gallery...\n...\nUploading files\n...", output).is_ok());
        assert!(compare("...", "").is_ok());

        let m = mismatch("Pushing app gallery...\n...\nApp started\n", output);
        assert_eq!(m.summary, "output differs from the sample at sample line 3");
        let lines = diff_lines(&m);
        assert_eq!(lines[0], "  Pushing app gallery...");
        assert_eq!(lines[1], "- App started");
        assert!(lines.contains(&"+ name: gallery"));
    }

    #[test]
    fn text_ellipsis_backtracks() {
        let sample = "...\nstep\ndone\n...\nend";
        let output = "step\nstep\nstep\ndone\nmore\nend";
        assert!(compare(sample, output).is_ok());
        assert!(compare("...\nend\nend", "end\nx\nend\nend").is_ok());
        assert!(compare("...\nend\nend", "end\nx\nend").is_err());
    }

    #[test]
    fn text_inline_wildcard() {
        assert!(compare("Uploaded [..] in [..]s", "Uploaded 12 MiB in 3.4s").is_ok());
        assert!(compare("id: [..]", "id: ").is_ok());
        assert!(compare("id:  [..]", "id:").is_ok());
        assert!(compare("id: [..]", "id:x").is_err());
        assert!(compare("[..]", "anything at all").is_ok());
        assert!(compare("Uploaded [..] in [..]s", "Uploaded 12 MiB in 3.4 min").is_err());
        assert!(compare("a[..]", "a\nb").is_err());
        assert!(compare("x.y (z)+ [..]", "x.y (z)+ ok").is_ok());
        assert!(compare("x.y (z)+", "xay (z)+").is_err());
    }

    #[test]
    fn text_column_aligned_tables_with_different_widths() {
        let sample = "\
Getting apps in org demo / space dev as robot@example.org...

name      requested state   processes   routes
gallery   started           web:1/1     [..]
";
        let output = "\
Getting apps in org demo / space dev as robot@example.org...

name             requested state   processes             routes
gallery          started           web:1/1               gallery.apps.example.net
";
        assert_eq!(compare(sample, output), Ok(Shape::Text));
        // A single space stays a single space, and a gap needs at least one space.
        assert!(compare("name  state", "namestate").is_err());
        assert!(compare("requested state", "requested   state").is_err());
    }

    #[test]
    fn text_ignores_trailing_whitespace_crlf_and_surrounding_blank_lines() {
        let sample = "\n\nline one   \r\nline two\n\n";
        assert!(compare(sample, "line one\r\nline two  \r\n\r\n").is_ok());
        assert!(compare(sample, "\n   \nline one\nline two").is_ok());
        // Blank lines inside the text still count.
        assert!(compare(sample, "line one\n\nline two").is_err());
        // Leading whitespace counts.
        assert!(compare(sample, " line one\nline two").is_err());
    }

    #[test]
    fn text_output_longer_or_shorter_than_the_sample() {
        let m = mismatch("one\ntwo", "one\ntwo\nthree\nfour");
        assert_eq!(m.summary, "output has more lines than the sample after sample line 2");
        assert_eq!(diff_lines(&m), ["  one", "  two", "+ three", "+ four"]);

        let m = mismatch("\none\ntwo\nthree", "one\ntwo");
        assert_eq!(m.summary, "output ends before sample line 4");
        assert_eq!(diff_lines(&m), ["  one", "  two", "- three"]);

        let m = mismatch("one", "");
        assert_eq!(m.summary, "output is empty where the sample shows lines");
        let m = mismatch("", "stray");
        assert_eq!(m.summary, "output has lines where the sample shows none");
        assert_eq!(diff_lines(&m), ["+ stray"]);
    }

    #[test]
    fn text_diff_shows_context_removed_and_added_lines() {
        let sample = "a1\na2\na3\na4\nalpha\nbeta\ngamma\ndelta\n...\nomega";
        let output = "a1\na2\na3\na4\nalpha\nbeta\nGAMMA\ndelta\nepsilon\nomega";
        let m = mismatch(sample, output);
        assert_eq!(m.summary, "output differs from the sample at sample line 7");
        assert_eq!(
            diff_lines(&m),
            ["…", "  a4", "  alpha", "  beta", "- gamma", "+ GAMMA", "  delta", "+ epsilon", "+ omega", "…"]
        );
    }
}
