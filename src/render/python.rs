//! Python: each slot is found inside a string literal (with its prefix: raw, bytes, f-string;
//! single, double or triple quotes), a comment, an f-string replacement field, or code.
//!
//! Secrets become `__import__("os").environ["RB_SECRET_n"]`: `__import__` keeps the reference
//! working whether or not the block imports `os`.

use std::fmt::Write as _;

use super::{Edit, Job, Res, after_backslash, in_comment, secret_marker};
use crate::render::RenderError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Code,
    Comment,
    /// Inside the content of literal `n`.
    Literal(usize),
    /// Inside a replacement field of an f-string quoted with `quote`: code.
    Field {
        quote: u8,
    },
    /// Inside a string nested in an f-string replacement field.
    Unsupported,
}

/// How a literal is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Style {
    quote: u8,
    triple: bool,
    bytes: bool,
    fstr: bool,
}

#[derive(Clone, Debug)]
struct Lit {
    start: usize,
    end: usize,
    /// The prefix letters (`rb`, `f`, …) as written.
    prefix_end: usize,
    content_start: usize,
    content_end: usize,
    raw: bool,
    style: Style,
}

fn is_prefix(p: &str) -> bool {
    matches!(p.to_ascii_lowercase().as_str(), "r" | "u" | "b" | "f" | "t" | "br" | "rb" | "fr" | "rf" | "tr" | "rt")
}

struct Scanner<'j, 'a> {
    job: &'j Job<'a>,
    ctx: Vec<Ctx>,
    lits: Vec<Lit>,
    k: usize,
}

impl Scanner<'_, '_> {
    fn slot_at(&self, i: usize) -> bool {
        self.k < self.job.slots.len() && self.job.slots[self.k].start == i
    }

    /// If a slot starts at or before `i`, record it as `ctx` and return where it ends.
    fn take_slot(&mut self, i: usize, ctx: Ctx) -> Option<usize> {
        let s = self.job.slots.get(self.k)?;
        if s.start > i {
            return None;
        }
        self.ctx[self.k] = if s.start == i { ctx } else { Ctx::Unsupported };
        self.k += 1;
        Some(i.max(s.end))
    }

    fn run(&mut self) {
        let text = self.job.text;
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if let Some(e) = self.take_slot(i, Ctx::Code) {
                i = e;
                continue;
            }
            let c = b[i];
            if c == b'#' {
                let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
                while self.k < self.job.slots.len() && self.job.slots[self.k].start < end {
                    let at = self.job.slots[self.k].start.max(i);
                    self.take_slot(at, Ctx::Comment);
                }
                i = end;
            } else if c == b'\'' || c == b'"' {
                i = self.string(i, i);
            } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) && !self.slot_at(j)
                {
                    j += 1;
                }
                if j < b.len() && matches!(b[j], b'\'' | b'"') && is_prefix(&text[i..j]) {
                    i = self.string(i, j);
                } else {
                    i = j.max(i + 1);
                }
            } else {
                i += 1;
            }
        }
    }

    /// A string literal whose prefix starts at `start` and whose quote is at `q`; returns its end.
    fn string(&mut self, start: usize, quote_at: usize) -> usize {
        let b = self.job.text.as_bytes();
        let prefix = self.job.text[start..quote_at].to_ascii_lowercase();
        let quote = b[quote_at];
        let triple = b.get(quote_at..quote_at + 3).is_some_and(|t| t.iter().all(|&c| c == quote));
        let content_start = quote_at + if triple { 3 } else { 1 };
        let style = Style { quote, triple, bytes: prefix.contains('b'), fstr: prefix.contains(['f', 't']) };
        let idx = self.lits.len();
        let mut j = content_start;
        let mut depth = 0usize;
        let (content_end, end) = loop {
            if j >= b.len() {
                break (b.len(), b.len());
            }
            let ctx = if depth > 0 { Ctx::Field { quote } } else { Ctx::Literal(idx) };
            if let Some(at) = self.take_slot(j, ctx) {
                j = at;
                continue;
            }
            let c = b[j];
            if c == b'\\' {
                j += if self.slot_at(j + 1) { 1 } else { 2 };
            } else if c == b'\n' && !triple {
                break (j, j);
            } else if c == quote {
                if !triple {
                    break (j, j + 1);
                }
                if b.get(j..j + 3).is_some_and(|t| t.iter().all(|&c| c == quote)) {
                    break (j, j + 3);
                }
                j += 1;
            } else if style.fstr && c == b'{' {
                if depth == 0 && b.get(j + 1) == Some(&b'{') {
                    j += 2;
                } else {
                    depth += 1;
                    j += 1;
                }
            } else if style.fstr && c == b'}' {
                if depth > 0 {
                    depth -= 1;
                    j += 1;
                } else {
                    j += if b.get(j + 1) == Some(&b'}') { 2 } else { 1 };
                }
            } else if depth > 0 && matches!(c, b'\'' | b'"') {
                // A string nested in a replacement field.
                let mut at = j + 1;
                while at < b.len() && b[at] != c && b[at] != b'\n' {
                    if let Some(end) = self.take_slot(at, Ctx::Unsupported) {
                        at = end;
                        continue;
                    }
                    at += if b[at] == b'\\' { 2 } else { 1 };
                }
                j = (at + 1).min(b.len());
            } else {
                j += 1;
            }
        };
        self.lits.push(Lit {
            start,
            end,
            prefix_end: quote_at,
            content_start,
            content_end,
            raw: prefix.contains('r'),
            style,
        });
        end
    }
}

/// `v` escaped for the content of a (non-raw) literal written in `style`.
fn escape(v: &str, style: Style) -> String {
    let mut out = String::with_capacity(v.len() + 4);
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c as u32 == u32::from(style.quote) => {
                out.push('\\');
                out.push(c);
            }
            '\n' if style.triple => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '{' | '}' if style.fstr => {
                out.push(c);
                out.push(c);
            }
            c if style.bytes && !c.is_ascii() => {
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `v` as a whole Python string literal in double quotes (like `repr`, non-ASCII kept).
fn literal(v: &str, quote: u8) -> String {
    let q = char::from(quote);
    format!("{q}{}{q}", escape(v, Style { quote, triple: false, bytes: false, fstr: false }))
}

fn environ(env: &str, quote: u8) -> String {
    let q = char::from(quote);
    format!("__import__({q}os{q}).environ[{q}{env}{q}]")
}

/// Whether a raw literal in `style` can hold `v` as is.
fn raw_can_hold(v: &str, style: Style) -> bool {
    v.chars().all(|c| {
        !(c == '\\'
            || c as u32 == u32::from(style.quote)
            || c == '\r'
            || (c == '\n' && !style.triple)
            || (c.is_control() && !matches!(c, '\t' | '\n'))
            || (style.bytes && !c.is_ascii()))
    })
}

/// Original literal content `text` escaped for a non-raw literal of `style`.
fn content(text: &str, raw: bool, style: Style) -> String {
    if raw {
        // Raw text is data: escape it (f-string braces are already written doubled).
        escape(text, Style { fstr: false, ..style })
    } else if after_backslash(text, text.len()) {
        // A lone backslash before the placeholder was literal; keep it so.
        format!("{text}\\")
    } else {
        text.to_string()
    }
}

fn only_space_between(text: &str, a: usize, b: usize) -> bool {
    a <= b && text[a..b].chars().all(|c| c.is_whitespace() || c == '\\')
}

pub(super) fn edits(job: &mut Job<'_>) -> Result<Vec<Edit>, RenderError> {
    let mut sc = Scanner { job, ctx: vec![Ctx::Code; job.slots.len()], lits: Vec::new(), k: 0 };
    sc.run();
    let Scanner { ctx, lits, .. } = sc;
    let text = job.text;
    let mut edits = Vec::new();
    let mut done_lit = vec![false; lits.len()];
    for i in 0..job.slots.len() {
        let slot = job.slots[i].clone();
        match ctx[i] {
            Ctx::Code => {
                let s = match job.res[i].clone() {
                    Res::Val(v) => literal(&v, b'"'),
                    Res::Secret { .. } => environ(&job.env(i), b'"'),
                };
                edits.push(Edit::slot(&slot, s));
            }
            Ctx::Comment => {
                let s = match &job.res[i] {
                    Res::Val(v) => in_comment(v),
                    Res::Secret { name, .. } => secret_marker(name),
                };
                edits.push(Edit::slot(&slot, s));
            }
            Ctx::Field { quote } => {
                let other = if quote == b'"' { b'\'' } else { b'"' };
                let s = match job.res[i].clone() {
                    Res::Val(v) => literal(&v, other),
                    Res::Secret { .. } => environ(&job.env(i), other),
                };
                if s.contains('\\') || s.contains(char::from(quote)) {
                    return Err(job.err(
                        i,
                        "the value needs escapes or holds the f-string's quote, which a replacement field cannot \
                         hold (before Python 3.12)",
                    ));
                }
                edits.push(Edit::slot(&slot, s));
            }
            Ctx::Unsupported => {
                return Err(
                    job.err(i, "a placeholder inside a string nested in an f-string field cannot be substituted")
                );
            }
            Ctx::Literal(l) => {
                if done_lit[l] {
                    continue;
                }
                done_lit[l] = true;
                literal_edits(job, &lits, l, &ctx, text, &mut edits)?;
            }
        }
    }
    edits.sort_by_key(|e| e.start);
    Ok(edits)
}

/// The edits for the slots inside literal `l`.
fn literal_edits(
    job: &mut Job<'_>,
    lits: &[Lit],
    l: usize,
    ctx: &[Ctx],
    text: &str,
    edits: &mut Vec<Edit>,
) -> Result<(), RenderError> {
    let lit = &lits[l];
    let style = lit.style;
    let members: Vec<usize> = (0..job.slots.len()).filter(|&i| ctx[i] == Ctx::Literal(l)).collect();
    let secret = members.iter().copied().find(|&i| matches!(job.res[i], Res::Secret { .. }));
    if let Some(first) = secret {
        if style.fstr {
            return Err(job.err(first, "a secret cannot be substituted into an f-string; use a plain string literal"));
        }
        if style.bytes {
            return Err(job.err(first, "a secret cannot be substituted into a bytes literal"));
        }
        edits.push(concatenation(job, lits, l, &members, text));
        return Ok(());
    }
    let needs_rewrite = lit.raw
        && members.iter().any(|&i| match &job.res[i] {
            // After a backslash an empty value would let it escape what follows.
            Res::Val(v) => !raw_can_hold(v, style) || (v.is_empty() && after_backslash(text, job.slots[i].start)),
            Res::Secret { .. } => false,
        });
    if needs_rewrite {
        // The whole literal, as a normal (escaped) literal.
        let prefix: String = text[lit.start..lit.prefix_end].chars().filter(|c| !matches!(c, 'r' | 'R')).collect();
        let q = quotes(style);
        let mut pieces = vec![(format!("{prefix}{q}"), lit.start)];
        let mut pos = lit.content_start;
        for &i in &members {
            let s = &job.slots[i];
            pieces.push((content(&text[pos..s.start], true, style), pos));
            if let Res::Val(v) = &job.res[i] {
                pieces.push((escape(v, style), s.start));
            }
            pos = s.end;
        }
        pieces.push((content(&text[pos..lit.content_end], true, style), pos));
        pieces.push((if lit.end > lit.content_end { q } else { String::new() }, lit.content_end));
        edits.push(Edit { start: lit.start, end: lit.end, pieces });
        return Ok(());
    }
    for &i in &members {
        let Res::Val(v) = &job.res[i] else { continue };
        let s = if lit.raw {
            // The raw literal holds the value as is (f-string braces still doubled).
            if style.fstr { v.replace('{', "{{").replace('}', "}}") } else { v.clone() }
        } else if after_backslash(text, job.slots[i].start) {
            // `\<` was a backslash and `<`: keep the backslash literal.
            format!("\\{}", escape(v, style))
        } else {
            escape(v, style)
        };
        edits.push(Edit::slot(&job.slots[i], s));
    }
    Ok(())
}

fn quotes(style: Style) -> String {
    char::from(style.quote).to_string().repeat(if style.triple { 3 } else { 1 })
}

/// A literal holding secrets, as `"prefix" + __import__("os").environ["RB_SECRET_1"] + "suffix"`.
fn concatenation(job: &mut Job<'_>, lits: &[Lit], l: usize, members: &[usize], text: &str) -> Edit {
    enum Part {
        Str(Vec<(String, usize)>),
        Env(String, usize),
    }
    let lit = &lits[l];
    let style = lit.style;
    let mut parts: Vec<Part> = Vec::new();
    let mut cur: Vec<(String, usize)> = Vec::new();
    let mut pos = lit.content_start;
    for &i in members {
        let s = job.slots[i].clone();
        let seg = content(&text[pos..s.start], lit.raw, style);
        if !seg.is_empty() {
            cur.push((seg, pos));
        }
        match job.res[i].clone() {
            Res::Val(v) => cur.push((escape(&v, style), s.start)),
            Res::Secret { .. } => {
                if !cur.is_empty() {
                    parts.push(Part::Str(std::mem::take(&mut cur)));
                }
                parts.push(Part::Env(environ(&job.env(i), b'"'), s.start));
            }
        }
        pos = s.end;
    }
    let seg = content(&text[pos..lit.content_end], lit.raw, style);
    if !seg.is_empty() {
        cur.push((seg, pos));
    }
    if !cur.is_empty() {
        parts.push(Part::Str(cur));
    }
    // Next to another literal (implicit concatenation) the expression must begin and end with a
    // literal and take no parentheses; elsewhere parentheses keep it one operand.
    let adjacent = lits.iter().any(|o| {
        o.start != lit.start
            && (only_space_between(text, o.end, lit.start) || only_space_between(text, lit.end, o.start))
    });
    if adjacent {
        if !matches!(parts.first(), Some(Part::Str(_))) {
            parts.insert(0, Part::Str(Vec::new()));
        }
        if !matches!(parts.last(), Some(Part::Str(_))) {
            parts.push(Part::Str(Vec::new()));
        }
    }
    let prefix: String =
        text[lit.start..lit.prefix_end].chars().filter(|c| !matches!(c, 'r' | 'R' | 'u' | 'U')).collect();
    let q = quotes(style);
    let wrap = parts.len() > 1 && !adjacent;
    let mut pieces = Vec::new();
    if wrap {
        pieces.push(("(".to_string(), lit.start));
    }
    for (n, part) in parts.into_iter().enumerate() {
        let join = if n > 0 { " + " } else { "" };
        match part {
            Part::Str(segs) => {
                let at = segs.first().map_or(lit.start, |s| s.1);
                pieces.push((format!("{join}{prefix}{q}"), at));
                pieces.extend(segs);
                let last = pieces.last().map_or(at, |p| p.1);
                pieces.push((q.clone(), last));
            }
            Part::Env(e, at) => pieces.push((format!("{join}{e}"), at)),
        }
    }
    if wrap {
        pieces.push((")".to_string(), lit.end.saturating_sub(1)));
    }
    Edit { start: lit.start, end: lit.end, pieces }
}
