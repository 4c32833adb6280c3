//! Source files and positions.
//!
//! Owns [`SourceFile`] (a path and its UTF-8 text), byte [`Span`]s into that text and the
//! [`LineIndex`] that turns a byte offset into a 1-based line and a 1-based column counted in
//! characters. It knows nothing about Markdown. Every later stage keeps byte spans and converts
//! them to line:column only when it renders something for a person or a machine.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// A half-open byte range `start..end` into a [`SourceFile`]'s text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// This span shifted right by `offset` bytes (for spans relative to a sub-string).
    #[must_use]
    pub fn shift(self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// Maps byte offsets in extracted text (a code block's content, with list indentation removed
/// by the Markdown parser) back to byte offsets in the source file, line by line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// (offset in the extracted text, offset in the source) at the start of each line.
    starts: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// Text that sits in the source unchanged from `source_offset` on.
    pub fn contiguous(source_offset: usize) -> Self {
        OffsetMap { starts: vec![(0, source_offset)] }
    }

    /// Line-by-line map of `content` whose first line starts at `first` in `source`; each later
    /// content line is the tail of the next source line (its indentation stripped).
    pub fn for_lines(source: &str, content: &str, first: usize) -> Self {
        let mut starts = Vec::new();
        let mut content_off = 0;
        let mut src_line_start = first;
        let mut first_line = true;
        for line in content.split_inclusive('\n') {
            let src_off = if first_line {
                first
            } else {
                let src_line_end = source[src_line_start..].find('\n').map_or(source.len(), |i| src_line_start + i);
                let src_len = source[src_line_start..src_line_end].trim_end_matches('\r').len();
                let content_len = line.trim_end_matches(['\n', '\r']).len();
                src_line_start + src_len.saturating_sub(content_len)
            };
            starts.push((content_off, src_off));
            content_off += line.len();
            first_line = false;
            // The next source line starts after this one's newline.
            src_line_start = source[src_off.min(source.len())..].find('\n').map_or(source.len(), |i| src_off + i + 1);
        }
        if starts.is_empty() {
            starts.push((0, first));
        }
        OffsetMap { starts }
    }

    /// Source offset of an offset in the extracted text.
    pub fn to_source(&self, offset: usize) -> usize {
        let i = match self.starts.binary_search_by_key(&offset, |&(c, _)| c) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (c, s) = self.starts.get(i).copied().unwrap_or((0, 0));
        s + (offset - c.min(offset))
    }

    /// Source span of a span in the extracted text.
    pub fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.to_source(start), self.to_source(end))
    }
}

/// A 1-based line and 1-based column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Byte offsets of line starts, for `O(log n)` offset → line:column conversion.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text).map(|i| i + 1));
        LineIndex { starts }
    }

    /// Number of lines (a trailing newline does not open a new line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line number containing byte `offset`.
    fn line0(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line and character column of a byte offset. Offsets past the end clamp to it;
    /// an offset inside a multi-byte character counts that character.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line0(offset);
        let start = self.starts[line];
        let column = text[start..offset].chars().count();
        LineCol { line: line + 1, column: column + 1 }
    }

    /// Byte range of 1-based `line`, without its line terminator.
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let i = line.saturating_sub(1).min(self.starts.len() - 1);
        let start = self.starts[i];
        let mut end = self.starts.get(i + 1).copied().unwrap_or(text.len());
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Span::new(start, end)
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line.saturating_sub(1).min(self.starts.len() - 1)]
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i)
}

/// A Markdown file read into memory, with its line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user gave it (shown in every message).
    pub path: PathBuf,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    /// A source from text already in memory (tests, standard input).
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        let text = text.into();
        let lines = LineIndex::new(&text);
        SourceFile { path: path.into(), text, lines }
    }

    /// Read a file; refuse directories and invalid UTF-8 with a precise [`Error`].
    pub fn read(path: &Path) -> Result<Self, Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, &e))?;
        if meta.is_dir() {
            return Err(Error::IsDirectory { path: path.to_path_buf() });
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let prefix = &e.as_bytes()[..offset];
            let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
            let column =
                std::str::from_utf8(prefix).map_or(1, |p| p.rsplit('\n').next().unwrap_or("").chars().count() + 1);
            Error::InvalidUtf8 { path: path.to_path_buf(), offset, line, column }
        })?;
        Ok(SourceFile::new(path, text))
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }

    /// The text of a span (empty if the span is out of range or splits a character).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// The 1-based line's text without its terminator.
    pub fn line_text(&self, line: usize) -> &str {
        self.slice(self.lines.line_span(&self.text, line))
    }

    /// `path:line:column` for a byte offset, as every message prints it.
    pub fn location(&self, offset: usize) -> String {
        format!("{}:{}", self.path.display(), self.line_col(offset))
    }

    /// SHA-256 of the text, lowercase hex.
    pub fn sha256(&self) -> String {
        use sha2::Digest;
        hex(&sha2::Sha256::digest(self.text.as_bytes()))
    }
}

/// Lowercase hexadecimal of bytes (digests, HMACs).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_in_characters() {
        let text = "ab\nçé x\n\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(text, 3), LineCol { line: 2, column: 1 });
        // "çé " is 5 bytes; 'x' is the 4th character.
        assert_eq!(idx.line_col(text, 3 + 5), LineCol { line: 2, column: 4 });
        assert_eq!(idx.line_col(text, text.len()), LineCol { line: 4, column: 5 });
        assert_eq!(idx.line_count(), 4);
    }

    #[test]
    fn offset_inside_a_character_counts_it() {
        let text = "é";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 1).column, 1);
    }

    #[test]
    fn line_span_drops_crlf() {
        let text = "one\r\ntwo\n";
        let idx = LineIndex::new(text);
        assert_eq!(&text[idx.line_span(text, 1).start..idx.line_span(text, 1).end], "one");
        assert_eq!(&text[idx.line_span(text, 2).start..idx.line_span(text, 2).end], "two");
    }

    #[test]
    fn offset_map_follows_stripped_indentation() {
        let source = "1. item\n   ```sh\n   cf a\n   cf b\n   ```\n";
        let first = source.find("cf a").unwrap();
        let map = OffsetMap::for_lines(source, "cf a\ncf b\n", first);
        assert_eq!(map.to_source(0), first);
        assert_eq!(&source[map.to_source(5)..map.to_source(9)], "cf b");
    }

    #[test]
    fn sha256_of_empty_text() {
        let f = SourceFile::new("x.md", "");
        assert_eq!(f.sha256(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
