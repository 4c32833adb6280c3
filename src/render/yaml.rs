//! YAML: each slot is found in a plain, double-quoted, single-quoted or block scalar, a comment,
//! or a GitHub `${{ … }}` expression (left alone: only its placeholder is filled, with a name).
//!
//! Plain scalars keep plain-safe values as they are; a value that is not plain-safe (or a result
//! that would read as a boolean, null or number) turns the whole scalar into a double-quoted one.

use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;

use super::{Edit, Job, Mode, Res, after_backslash, in_comment, secret_marker};
use crate::render::RenderError;

static PLAIN_SAFE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9_./-]*$").expect("valid regex"));
static NUMBERISH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[-+.]?[0-9][0-9a-fA-FxXoO_.:eE+-]*$").expect("valid regex"));
static EXPR_SAFE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.-]*$").expect("valid regex"));

/// A value YAML would read as something other than a string when written plain.
fn special(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~" | ""
    ) || NUMBERISH.is_match(v)
}

/// Printable for YAML (`c-printable`).
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// Can stand in a single-quoted scalar on one line, unchanged by folding.
fn single_ok(c: char) -> bool {
    printable(c) && !matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// `v` escaped for the inside of a double-quoted scalar.
pub(super) fn escape_double(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 4);
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 && (c.is_control() || c == '\u{85}') => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if !printable(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Plain(usize),
    Double,
    Single(usize),
    Block {
        indent: usize,
        folded: bool,
        first_line_start: bool,
    },
    Comment,
    /// Inside `${{ … }}`.
    Expr,
    Unsupported,
}

#[derive(Clone, Debug, Default)]
struct Scalar {
    start: usize,
    end: usize,
    /// Slots inside it (expression slots included).
    members: Vec<usize>,
    /// A plain scalar that continues on the next, more indented line.
    continued: bool,
    multi_line: bool,
    /// Single-quoted (else plain).
    single: bool,
}

struct BlockScalar {
    header_indent: usize,
    folded: bool,
    content: Option<usize>,
}

struct Scanner<'j, 'a> {
    job: &'j Job<'a>,
    ctx: Vec<Ctx>,
    scalars: Vec<Scalar>,
    exprs: Vec<(usize, usize)>,
    k: usize,
}

fn line_end(text: &str, i: usize) -> usize {
    text[i.min(text.len())..].find('\n').map_or(text.len(), |e| i + e)
}

fn indent_of(text: &str, ls: usize) -> usize {
    text[ls..].bytes().take_while(|&c| c == b' ').count()
}

impl Scanner<'_, '_> {
    fn slot_at(&self, i: usize) -> bool {
        self.k < self.job.slots.len() && self.job.slots[self.k].start == i
    }

    /// Record every slot starting before `end` as `ctx` (or as an expression slot); their indices.
    fn take_until(&mut self, end: usize, ctx: Ctx) -> Vec<usize> {
        let mut taken = Vec::new();
        while self.k < self.job.slots.len() && self.job.slots[self.k].start < end {
            let s = &self.job.slots[self.k];
            let in_expr = self.exprs.iter().any(|&(a, b)| a <= s.start && s.end <= b);
            self.ctx[self.k] = if in_expr { Ctx::Expr } else { ctx };
            taken.push(self.k);
            self.k += 1;
        }
        taken
    }

    fn slot_end(&self, k: usize) -> usize {
        self.job.slots[k].end
    }

    fn run(&mut self) {
        let text = self.job.text;
        let b = text.as_bytes();
        let mut i = 0;
        let mut flow = 0usize;
        let mut block: Option<BlockScalar> = None;
        let mut pending: Option<BlockScalar> = None;
        while i < b.len() {
            let ls = i;
            let mut le = line_end(text, ls);
            let indent = indent_of(text, ls);
            if let Some(p) = pending.take() {
                block = Some(p);
            }
            if let Some(bl) = block.as_mut() {
                let blank = text[ls + indent..le].trim_end_matches('\r').is_empty();
                if blank || (indent > bl.header_indent && bl.content.is_none_or(|c| indent >= c)) {
                    let first = !blank && bl.content.is_none();
                    if first {
                        bl.content = Some(indent);
                    }
                    let ci = bl.content.unwrap_or(indent);
                    let folded = bl.folded;
                    for k in self.take_until(le + 1, Ctx::Unsupported) {
                        if self.ctx[k] == Ctx::Unsupported {
                            let first_line_start = first && self.job.slots[k].start == ls + indent;
                            self.ctx[k] = Ctx::Block { indent: ci, folded, first_line_start };
                        }
                    }
                    i = le + 1;
                    continue;
                }
                block = None;
            }
            let mut p = ls + indent;
            if flow == 0 && indent == 0 {
                let rest = &text[p..le];
                if (rest.starts_with("---") || rest.starts_with("..."))
                    && rest[3..].chars().next().is_none_or(|c| matches!(c, ' ' | '\t' | '\r'))
                {
                    p += 3;
                } else if rest.starts_with('%') {
                    p = le;
                }
            }
            while p < le {
                if self.k < self.job.slots.len() && self.job.slots[self.k].start <= p {
                    p = self.plain(p, le, flow, indent);
                    continue;
                }
                let c = b[p];
                let next = b.get(p + 1).copied();
                let ws_next = next.is_none_or(|n| matches!(n, b' ' | b'\t' | b'\r' | b'\n'));
                match c {
                    b' ' | b'\t' | b'\r' => p += 1,
                    b'#' if p == ls || matches!(b[p - 1], b' ' | b'\t') => {
                        self.take_until(le, Ctx::Comment);
                        p = le;
                    }
                    b'-' | b'?' | b':' if ws_next => p += 1,
                    b':' if flow > 0 && next.is_some_and(|n| b",[]{}".contains(&n)) => p += 1,
                    b'[' | b'{' => {
                        flow += 1;
                        p += 1;
                    }
                    b']' | b'}' => {
                        flow = flow.saturating_sub(1);
                        p += 1;
                    }
                    b',' if flow > 0 => p += 1,
                    b'"' => {
                        p = self.double(p);
                        le = line_end(text, p);
                    }
                    b'\'' => {
                        p = self.single(p);
                        le = line_end(text, p);
                    }
                    b'|' | b'>' if flow == 0 => {
                        pending = Some(BlockScalar { header_indent: indent, folded: c == b'>', content: None });
                        self.take_until(le, Ctx::Comment);
                        p = le;
                    }
                    b'&' | b'*' | b'!' => {
                        p += 1;
                        let ends = |c: u8| matches!(c, b' ' | b'\t' | b'\r') || (flow > 0 && b",[]{}".contains(&c));
                        while p < le && !ends(b[p]) && !self.slot_at(p) {
                            p += 1;
                        }
                    }
                    _ => p = self.plain(p, le, flow, indent),
                }
            }
            i = le + 1;
        }
        self.take_until(usize::MAX, Ctx::Unsupported);
    }

    /// A plain scalar starting at `p` on a line ending at `le`; returns its end.
    fn plain(&mut self, p: usize, le: usize, flow: usize, indent: usize) -> usize {
        let text = self.job.text;
        let b = text.as_bytes();
        let idx = self.scalars.len();
        let mut sc = Scalar { start: p, ..Scalar::default() };
        let mut j = p;
        let mut last = p;
        let mut at_eol = false;
        loop {
            if j >= le {
                at_eol = true;
                break;
            }
            if self.k < self.job.slots.len() && self.job.slots[self.k].start <= j {
                let k = self.k;
                sc.members.extend(self.take_until(j + 1, Ctx::Plain(idx)));
                j = j.max(self.slot_end(k));
                last = j;
                continue;
            }
            if text[j..].starts_with("${{") {
                let e = text[j + 3..le].find("}}").map_or(le, |x| j + 3 + x + 2);
                sc.members.extend(self.take_until(e, Ctx::Expr));
                j = e;
                last = j;
                continue;
            }
            let c = b[j];
            let next = b.get(j + 1).copied();
            if c == b':'
                && (next.is_none_or(|n| matches!(n, b' ' | b'\t' | b'\r' | b'\n'))
                    || (flow > 0 && next.is_some_and(|n| b",[]{}".contains(&n))))
            {
                break;
            }
            if matches!(c, b' ' | b'\t') && next == Some(b'#') {
                break;
            }
            if flow > 0 && b",[]{}".contains(&c) {
                break;
            }
            if !matches!(c, b' ' | b'\t' | b'\r') {
                last = j + 1;
            }
            j += 1;
        }
        if at_eol && flow == 0 {
            // A more indented next line (not a comment) continues the scalar.
            let mut ls = le + 1;
            while ls < text.len() {
                let e = line_end(text, ls);
                let rest = text[ls..e].trim();
                if rest.is_empty() {
                    ls = e + 1;
                    continue;
                }
                sc.continued = indent_of(text, ls) > indent && !rest.starts_with('#');
                break;
            }
        }
        sc.end = last;
        self.scalars.push(sc);
        j.max(p + 1)
    }

    /// A double-quoted scalar starting at `p`; returns its end.
    fn double(&mut self, p: usize) -> usize {
        let b = self.job.text.as_bytes();
        let mut j = p + 1;
        while j < b.len() {
            if self.k < self.job.slots.len() && self.job.slots[self.k].start <= j {
                let k = self.k;
                self.take_until(j + 1, Ctx::Double);
                j = j.max(self.slot_end(k));
                continue;
            }
            match b[j] {
                b'\\' => j += if self.slot_at(j + 1) { 1 } else { 2 },
                b'"' => return j + 1,
                _ => j += 1,
            }
        }
        b.len()
    }

    /// A single-quoted scalar starting at `p`; returns its end.
    fn single(&mut self, p: usize) -> usize {
        let b = self.job.text.as_bytes();
        let idx = self.scalars.len();
        let mut sc = Scalar { start: p, single: true, ..Scalar::default() };
        let mut j = p + 1;
        let end = loop {
            if j >= b.len() {
                break b.len();
            }
            if self.k < self.job.slots.len() && self.job.slots[self.k].start <= j {
                let k = self.k;
                sc.members.extend(self.take_until(j + 1, Ctx::Single(idx)));
                j = j.max(self.slot_end(k));
                continue;
            }
            if b[j] == b'\'' {
                if b.get(j + 1) == Some(&b'\'') {
                    j += 2;
                    continue;
                }
                break j + 1;
            }
            j += 1;
        };
        sc.end = end;
        sc.multi_line = self.job.text[p..end].contains('\n');
        self.scalars.push(sc);
        end
    }
}

/// `${{ … }}` spans.
fn expressions(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(s) = text[from..].find("${{").map(|x| from + x) {
        let Some(e) = text[s + 3..].find("}}").map(|x| s + 3 + x + 2) else { break };
        out.push((s, e));
        from = e;
    }
    out
}

pub(super) fn edits(job: &mut Job<'_>) -> Result<Vec<Edit>, RenderError> {
    let mut sc = Scanner {
        job,
        ctx: vec![Ctx::Unsupported; job.slots.len()],
        scalars: Vec::new(),
        exprs: expressions(job.text),
        k: 0,
    };
    sc.run();
    let Scanner { ctx, scalars, .. } = sc;
    let mut owner: Vec<Option<usize>> = vec![None; job.slots.len()];
    for (n, s) in scalars.iter().enumerate() {
        for &m in &s.members {
            owner[m] = Some(n);
        }
    }
    let mut edits = Vec::new();
    let mut done = vec![false; scalars.len()];
    for i in 0..job.slots.len() {
        if let Some(n) = owner[i] {
            if !done[n] {
                done[n] = true;
                if scalars[n].single {
                    single_edits(job, &scalars[n], &ctx, &mut edits)?;
                } else {
                    plain_edits(job, &scalars[n], &ctx, &mut edits)?;
                }
            }
            continue;
        }
        let slot = job.slots[i].clone();
        let s = match ctx[i] {
            Ctx::Double if after_backslash(job.text, slot.start) => {
                return Err(job.err(i, "a placeholder right after a backslash cannot be filled safely"));
            }
            Ctx::Double => escape_double(&job.data(i)?),
            Ctx::Comment => match &job.res[i] {
                Res::Val(v) => in_comment(v),
                Res::Secret { name, .. } => secret_marker(name),
            },
            Ctx::Expr => expr_value(job, i)?,
            Ctx::Block { indent, folded, first_line_start } => block_value(job, i, indent, folded, first_line_start)?,
            Ctx::Plain(_) | Ctx::Single(_) | Ctx::Unsupported => {
                return Err(job.err(i, "the placeholder's place in the YAML could not be determined"));
            }
        };
        edits.push(Edit::slot(&slot, s));
    }
    edits.sort_by_key(|e| e.start);
    Ok(edits)
}

/// A value inside `${{ … }}`: a name (a secret's or a variable's), written as is.
fn expr_value(job: &Job<'_>, i: usize) -> Result<String, RenderError> {
    let v = job.data(i)?;
    if job.mode == Mode::Execute && !EXPR_SAFE.is_match(&v) {
        return Err(job.err(i, "the value is not a name, which is all a `${{ … }}` expression may receive"));
    }
    Ok(v)
}

fn block_value(
    job: &Job<'_>,
    i: usize,
    indent: usize,
    folded: bool,
    first_line_start: bool,
) -> Result<String, RenderError> {
    let v = job.data(i)?;
    if !v.chars().all(|c| printable(c) && !matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')) {
        return Err(job.err(i, "the value holds a control character, which a YAML block scalar cannot hold"));
    }
    if folded && v.contains('\n') {
        return Err(job.err(i, "the value spans lines, which a folded (`>`) YAML block scalar would join"));
    }
    if first_line_start && v.starts_with([' ', '\t']) {
        return Err(job.err(i, "the value starts with white space, which would change the block scalar's indentation"));
    }
    Ok(v.replace('\n', &format!("\n{}", " ".repeat(indent))))
}

fn plain_edits(job: &Job<'_>, sc: &Scalar, ctx: &[Ctx], edits: &mut Vec<Edit>) -> Result<(), RenderError> {
    let text = job.text;
    let mut values = Vec::with_capacity(sc.members.len());
    let mut quote = false;
    for &m in &sc.members {
        if ctx[m] == Ctx::Expr {
            values.push(expr_value(job, m)?);
        } else {
            let v = job.data(m)?;
            quote |= !PLAIN_SAFE.is_match(&v);
            values.push(v);
        }
    }
    let mut result = String::new();
    let mut pos = sc.start;
    for (&m, v) in sc.members.iter().zip(&values) {
        result.push_str(&text[pos..job.slots[m].start]);
        result.push_str(v);
        pos = job.slots[m].end;
    }
    result.push_str(&text[pos..sc.end]);
    quote |= special(&result);
    if !quote {
        for (&m, v) in sc.members.iter().zip(values) {
            edits.push(Edit::slot(&job.slots[m], v));
        }
        return Ok(());
    }
    if sc.continued {
        return Err(
            job.err(sc.members[0], "the value needs quoting, but the plain scalar it is in continues on the next line")
        );
    }
    let mut pieces = vec![("\"".to_string(), sc.start)];
    let mut pos = sc.start;
    for (&m, v) in sc.members.iter().zip(&values) {
        let s = &job.slots[m];
        pieces.push((escape_double(&text[pos..s.start]), pos));
        pieces.push((escape_double(v), s.start));
        pos = s.end;
    }
    pieces.push((escape_double(&text[pos..sc.end]), pos));
    pieces.push(("\"".to_string(), sc.end));
    edits.push(Edit { start: sc.start, end: sc.end, pieces });
    Ok(())
}

fn single_edits(job: &Job<'_>, sc: &Scalar, ctx: &[Ctx], edits: &mut Vec<Edit>) -> Result<(), RenderError> {
    let text = job.text;
    let mut values = Vec::with_capacity(sc.members.len());
    for &m in &sc.members {
        values.push(if ctx[m] == Ctx::Expr { expr_value(job, m)? } else { job.data(m)? });
    }
    if values.iter().all(|v| v.chars().all(single_ok)) {
        for (&m, v) in sc.members.iter().zip(values) {
            edits.push(Edit::slot(&job.slots[m], v.replace('\'', "''")));
        }
        return Ok(());
    }
    if sc.multi_line {
        return Err(job.err(
            sc.members[0],
            "the value needs escapes, but the single-quoted scalar it is in spans lines; use double quotes",
        ));
    }
    // Rewrite the scalar double-quoted.
    let content_end = if sc.end > sc.start + 1 && text[..sc.end].ends_with('\'') { sc.end - 1 } else { sc.end };
    let unq = |s: &str| escape_double(&s.replace("''", "'"));
    let mut pieces = vec![("\"".to_string(), sc.start)];
    let mut pos = sc.start + 1;
    for (&m, v) in sc.members.iter().zip(&values) {
        let s = &job.slots[m];
        pieces.push((unq(&text[pos..s.start]), pos));
        pieces.push((escape_double(v), s.start));
        pos = s.end;
    }
    pieces.push((unq(&text[pos..content_end]), pos));
    pieces.push(("\"".to_string(), content_end));
    edits.push(Edit { start: sc.start, end: sc.end, pieces });
    Ok(())
}
