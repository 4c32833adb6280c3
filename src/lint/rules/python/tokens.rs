//! A small Python tokenizer for the `python` rules and the coarse syntax check.
//!
//! It knows names, numbers, strings (with prefixes, triple quotes and f-string replacement
//! fields), comments, operators and brackets, and splits the token stream into logical lines
//! (brackets and `\` continuations join physical lines). It never fails: unterminated strings
//! and unbalanced brackets are recorded as [`Problem`]s. Offsets are byte offsets into the text.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Name,
    Number,
    Str,
    Op,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// Bracket depth before the token (an opening bracket has the outer depth).
    pub depth: usize,
}

impl Token {
    pub fn text(self, src: &str) -> &str {
        src.get(self.start..self.end).unwrap_or("")
    }

    pub fn is(self, src: &str, op: &str) -> bool {
        self.kind == Kind::Op && self.text(src) == op
    }
}

/// One logical line: tokens `first..last` of [`Tokens::tokens`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub first: usize,
    pub last: usize,
    /// Width of the leading whitespace of its first physical line (tabs to multiples of 8).
    pub indent: usize,
    /// Byte offset where its first physical line starts.
    pub line_start: usize,
}

/// What the tokenizer found wrong, in CPython's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Tokens {
    pub tokens: Vec<Token>,
    pub lines: Vec<Line>,
    pub problems: Vec<Problem>,
}

impl Tokens {
    /// The tokens of a logical line.
    pub fn line(&self, line: &Line) -> &[Token] {
        &self.tokens[line.first..line.last]
    }
}

const OPS3: &[&str] = &["**=", "//=", ">>=", "<<=", "..."];
const OPS2: &[&str] =
    &["**", "//", ">>", "<<", "->", ":=", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@="];

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || !c.is_ascii()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric() || !c.is_ascii()
}

fn closing_name(c: u8) -> &'static str {
    match c {
        b'(' | b')' => "parenthesis",
        b'[' | b']' => "bracket",
        _ => "brace",
    }
}

/// Length of a string prefix (`r`, `b`, `f`, `rb`, …) at `i` followed by a quote, if any.
fn string_prefix(b: &[u8], i: usize) -> Option<usize> {
    for len in (0..=2).rev() {
        let Some(prefix) = b.get(i..i + len) else { continue };
        let ok = prefix.iter().all(|c| matches!(c.to_ascii_lowercase(), b'r' | b'b' | b'f' | b'u' | b't'));
        if ok && matches!(b.get(i + len), Some(b'\'' | b'"')) {
            return Some(len);
        }
    }
    None
}

/// Scan a string literal starting at its quote `q` (offset `i`); returns the end offset and
/// whether it was terminated.
fn scan_string(bytes: &[u8], i: usize, fstring: bool) -> (usize, bool) {
    let quote = bytes[i];
    let triple = bytes.get(i..i + 3) == Some(&[quote, quote, quote][..]);
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < bytes.len() {
        let c = bytes[j];
        if c == b'\\' {
            j += 2;
            continue;
        }
        if triple {
            if bytes.get(j..j + 3) == Some(&[quote, quote, quote][..]) {
                return (j + 3, true);
            }
        } else if c == quote {
            return (j + 1, true);
        } else if c == b'\n' {
            return (j, false);
        }
        if fstring && c == b'{' {
            if bytes.get(j + 1) == Some(&b'{') {
                j += 2;
                continue;
            }
            j = scan_replacement_field(bytes, j + 1, triple);
            continue;
        }
        j += 1;
    }
    (bytes.len(), false)
}

/// Skip an f-string replacement field from just after its `{` to just after its `}`.
fn scan_replacement_field(b: &[u8], mut j: usize, multiline: bool) -> usize {
    let mut depth = 0usize;
    while j < b.len() {
        match b[j] {
            b'\n' if !multiline => return j,
            b'\'' | b'"' => {
                let (end, _) = scan_string(b, j, false);
                j = end;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                if depth == 0 {
                    return j + 1;
                }
                depth -= 1;
            }
            _ => {}
        }
        j += 1;
    }
    j
}

fn indent_width(s: &str) -> usize {
    let mut w = 0;
    for c in s.chars() {
        match c {
            ' ' => w += 1,
            '\t' => w = (w / 8 + 1) * 8,
            '\x0c' => w = 0,
            _ => break,
        }
    }
    w
}

/// Tokenize Python source.
pub fn tokenize(src: &str) -> Tokens {
    let bytes = src.as_bytes();
    let mut out = Tokens::default();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    // Start of the current logical line: (first token index, indent, line start).
    let mut line_open: Option<(usize, usize, usize)> = None;
    let mut phys_start = 0;
    let push = |out: &mut Tokens, line_open: &mut Option<(usize, usize, usize)>, phys_start: usize, tok: Token| {
        if line_open.is_none() {
            let indent = indent_width(&src[phys_start..]);
            *line_open = Some((out.tokens.len(), indent, phys_start));
        }
        out.tokens.push(tok);
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\x0c' | b'\r' => i += 1,
            b'\n' => {
                i += 1;
                phys_start = i;
                if stack.is_empty()
                    && let Some((first, indent, line_start)) = line_open.take()
                {
                    out.lines.push(Line { first, last: out.tokens.len(), indent, line_start });
                }
            }
            b'\\' if matches!(bytes.get(i + 1), Some(b'\n')) || bytes.get(i + 1..i + 3) == Some(b"\r\n") => {
                i += if bytes[i + 1] == b'\r' { 3 } else { 2 };
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                let depth = stack.len();
                let ch = src[i..].chars().next().unwrap_or(' ');
                if let Some(plen) = string_prefix(bytes, i) {
                    let fstring = bytes[i..i + plen].iter().any(|c| matches!(c.to_ascii_lowercase(), b'f' | b't'));
                    let (end, closed) = scan_string(bytes, i + plen, fstring);
                    if !closed {
                        let q = bytes[i + plen];
                        let triple = bytes.get(i + plen..i + plen + 3) == Some(&[q, q, q][..]);
                        let what = if triple {
                            "unterminated triple-quoted string literal"
                        } else {
                            "unterminated string literal"
                        };
                        out.problems.push(Problem { message: what.to_string(), start: i, end });
                    }
                    push(&mut out, &mut line_open, phys_start, Token { kind: Kind::Str, start: i, end, depth });
                    // A string may span lines: the next physical line starts after its last newline.
                    if let Some(nl) = src[i..end].rfind('\n') {
                        phys_start = i + nl + 1;
                    }
                    i = end;
                } else if is_name_start(ch) {
                    let mut j = i;
                    for ch in src[i..].chars() {
                        if !is_name_char(ch) {
                            break;
                        }
                        j += ch.len_utf8();
                    }
                    push(&mut out, &mut line_open, phys_start, Token { kind: Kind::Name, start: i, end: j, depth });
                    i = j;
                } else if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                    let mut j = i + 1;
                    while j < bytes.len() {
                        let next = bytes[j];
                        let exponent_sign = matches!(next, b'+' | b'-')
                            && matches!(bytes[j - 1], b'e' | b'E')
                            && !bytes[i..j].starts_with(b"0x");
                        if next.is_ascii_alphanumeric() || next == b'_' || next == b'.' || exponent_sign {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    push(&mut out, &mut line_open, phys_start, Token { kind: Kind::Number, start: i, end: j, depth });
                    i = j;
                } else if matches!(c, b'(' | b'[' | b'{') {
                    push(&mut out, &mut line_open, phys_start, Token { kind: Kind::Op, start: i, end: i + 1, depth });
                    stack.push((c, i));
                    i += 1;
                } else if matches!(c, b')' | b']' | b'}') {
                    let open = match c {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    match stack.last() {
                        Some(&(o, _)) if o == open => {
                            stack.pop();
                        }
                        Some(&(o, _)) => {
                            out.problems.push(Problem {
                                message: format!(
                                    "closing {} '{}' does not match opening {} '{}'",
                                    closing_name(c),
                                    c as char,
                                    closing_name(o),
                                    o as char
                                ),
                                start: i,
                                end: i + 1,
                            });
                            stack.pop();
                        }
                        None => out.problems.push(Problem {
                            message: format!("unmatched '{}'", c as char),
                            start: i,
                            end: i + 1,
                        }),
                    }
                    let depth = stack.len();
                    push(&mut out, &mut line_open, phys_start, Token { kind: Kind::Op, start: i, end: i + 1, depth });
                    i += 1;
                } else {
                    let rest = &src[i..];
                    let len =
                        OPS3.iter().chain(OPS2).find(|op| rest.starts_with(*op)).map_or(ch.len_utf8(), |op| op.len());
                    push(&mut out, &mut line_open, phys_start, Token { kind: Kind::Op, start: i, end: i + len, depth });
                    i += len;
                }
            }
        }
    }
    for &(o, at) in &stack {
        out.problems.push(Problem { message: format!("'{}' was never closed", o as char), start: at, end: at + 1 });
    }
    if let Some((first, indent, line_start)) = line_open {
        out.lines.push(Line { first, last: out.tokens.len(), indent, line_start });
    }
    out.problems.sort_by_key(|p| p.start);
    out
}

/// Python's keywords (and the soft keywords that never name a value in a snippet).
pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<&str> {
        tokenize(src).tokens.iter().map(|t| t.text(src)).collect()
    }

    #[test]
    fn names_strings_ops() {
        assert_eq!(texts("a = f(b, 'x')  # c\n"), ["a", "=", "f", "(", "b", ",", "'x'", ")"]);
        assert_eq!(texts("x **= 2.5e-3"), ["x", "**=", "2.5e-3"]);
        assert_eq!(texts("rb'\\x' f\"{a['k']}\""), ["rb'\\x'", "f\"{a['k']}\""]);
    }

    #[test]
    fn logical_lines_join_brackets_and_continuations() {
        let src = "a = (1,\n  2)\nb = 1 + \\\n  2\n  # comment\n\nif a:\n    c = 3\n";
        let t = tokenize(src);
        assert_eq!(t.lines.len(), 4);
        assert_eq!(t.lines[3].indent, 4);
        assert!(t.problems.is_empty());
    }

    #[test]
    fn triple_quoted_strings_span_lines() {
        let src = "x = \"\"\"a\n'b\n\"\"\"\ny = 1\n";
        let t = tokenize(src);
        assert_eq!(t.lines.len(), 2);
        assert!(t.problems.is_empty());
    }

    #[test]
    fn problems() {
        let t = tokenize("x['Body]");
        let m: Vec<&str> = t.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(m, ["'[' was never closed", "unterminated string literal"]);
        assert_eq!(tokenize("f(])").problems[0].message, "closing bracket ']' does not match opening parenthesis '('");
        assert_eq!(tokenize("x)").problems[0].message, "unmatched ')'");
        assert_eq!(tokenize("'''abc").problems[0].message, "unterminated triple-quoted string literal");
    }
}
