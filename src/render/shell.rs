//! Shell: the quoting context of each slot, found by a small lexer (quotes, `$'…'`, `$(…)`,
//! `${…}`, backquotes, comments and here-documents), and the value written as data for it.

use std::sync::LazyLock;

use regex::Regex;

use super::{Edit, Job, Mode, Res, after_backslash, in_comment, rendered_range, secret_marker};
use crate::render::RenderError;

/// Characters a bare word may hold without quoting.
static SAFE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_@%+=:,./-]+$").expect("valid regex"));

/// Where a slot sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    /// Unquoted; `word_start`: the slot begins a word (a value with `=` there could read as an
    /// assignment, so it is quoted).
    Bare {
        word_start: bool,
    },
    Double,
    /// The word of `${NAME:-word}` inside `"…"` or a here-document: `\ " $ ` }` escaped; a `'`
    /// cannot be written there (bash matches it as a quote yet keeps it, so a lone one is an error).
    ParamWord,
    Single,
    /// `$'…'`.
    AnsiC,
    Comment,
    /// Body of a here-document with a quoted delimiter: literal text.
    HereLiteral,
    /// Body of a here-document with an unquoted delimiter: like `"…"`, but `"` is literal.
    HereExpand,
    /// Somewhere a value cannot go (a here-document delimiter).
    Unsupported,
}

/// How the surrounding text treats quotes, for `${…}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    Bare,
    Double,
    Here,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Bare,
    /// `$(…)`.
    Subst,
    /// `(…)` (subshell, arithmetic).
    Paren,
    Backtick,
    Param(Quoting),
    Double,
    Single,
    AnsiC,
    Comment,
    Here(usize),
}

#[derive(Clone, Debug)]
struct Heredoc {
    delim: String,
    strip_tabs: bool,
    quoted: bool,
    body_start: usize,
    body_end: Option<usize>,
}

struct Scan {
    /// Per slot: its context and how many backquote levels enclose it.
    ctx: Vec<(Ctx, usize)>,
    heredocs: Vec<Heredoc>,
}

fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'`' | b'{' | b'}')
}

fn scan(job: &Job<'_>) -> Scan {
    let text = job.text;
    let bytes = text.as_bytes();
    let slots = &job.slots;
    let count = slots.len();
    let mut ctx = vec![(Ctx::Unsupported, 0); count];
    let mut heredocs: Vec<Heredoc> = Vec::new();
    let mut pending: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut stack = vec![St::Bare];
    let mut k = 0;
    let mut i = 0;
    let slot_at = |k: usize, at: usize| k < count && slots[k].start == at;
    while i < bytes.len() {
        let top = *stack.last().unwrap_or(&St::Bare);
        // The end of a here-document body.
        if let St::Here(h) = top
            && (i == 0 || bytes[i - 1] == b'\n')
        {
            let le = text[i..].find('\n').map_or(bytes.len(), |e| i + e);
            let line = &text[i..le];
            let line = if heredocs[h].strip_tabs { line.trim_start_matches('\t') } else { line };
            if line == heredocs[h].delim {
                heredocs[h].body_end = Some(i);
                stack.pop();
                i = (le + 1).min(bytes.len());
                if let Some(next) = pending.pop_front() {
                    heredocs[next].body_start = i;
                    stack.push(St::Here(next));
                }
                continue;
            }
        }
        if k < count && slots[k].start <= i {
            if slots[k].start == i {
                let c = match top {
                    St::Bare | St::Subst | St::Paren | St::Backtick | St::Param(Quoting::Bare) => {
                        Ctx::Bare { word_start: word_start(bytes, i) }
                    }
                    St::Double => Ctx::Double,
                    St::Param(Quoting::Double | Quoting::Here) => Ctx::ParamWord,
                    St::Single => Ctx::Single,
                    St::AnsiC => Ctx::AnsiC,
                    St::Comment => Ctx::Comment,
                    St::Here(h) => {
                        if heredocs[h].quoted {
                            Ctx::HereLiteral
                        } else {
                            Ctx::HereExpand
                        }
                    }
                };
                let ticks = stack.iter().filter(|s| **s == St::Backtick).count();
                ctx[k] = (c, ticks);
            }
            i = i.max(slots[k].end);
            k += 1;
            continue;
        }
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        // A backslash escapes the next byte (unless a placeholder starts there).
        let skip_escape = |i: usize| if slot_at(k, i + 1) { i + 1 } else { i + 2 };
        match top {
            St::Single => {
                if c == b'\'' {
                    stack.pop();
                }
                i += 1;
            }
            St::AnsiC => match c {
                b'\\' => i = skip_escape(i),
                b'\'' => {
                    stack.pop();
                    i += 1;
                }
                _ => i += 1,
            },
            St::Comment => {
                if c == b'\n' {
                    stack.pop();
                } else {
                    i += 1;
                }
            }
            St::Here(h) if heredocs[h].quoted => i += 1,
            St::Double | St::Param(Quoting::Double | Quoting::Here) | St::Here(_) => match (c, next) {
                (b'\\', _) => i = skip_escape(i),
                (b'"', _) if top == St::Double => {
                    stack.pop();
                    i += 1;
                }
                (b'"', _) if matches!(top, St::Param(Quoting::Double | Quoting::Here)) => {
                    stack.push(St::Double);
                    i += 1;
                }
                (b'}', _) if matches!(top, St::Param(_)) => {
                    stack.pop();
                    i += 1;
                }
                (b'`', _) => {
                    stack.push(St::Backtick);
                    i += 1;
                }
                (b'$', Some(b'(')) => {
                    stack.push(St::Subst);
                    i += 2;
                }
                (b'$', Some(b'{')) => {
                    let q = if matches!(top, St::Here(_) | St::Param(Quoting::Here)) {
                        Quoting::Here
                    } else {
                        Quoting::Double
                    };
                    stack.push(St::Param(q));
                    i += 2;
                }
                _ => i += 1,
            },
            St::Bare | St::Subst | St::Paren | St::Backtick | St::Param(Quoting::Bare) => match (c, next) {
                (b'\\', _) => i = skip_escape(i),
                (b'\'', _) => {
                    stack.push(St::Single);
                    i += 1;
                }
                (b'"', _) => {
                    stack.push(St::Double);
                    i += 1;
                }
                (b'$', Some(b'\'')) => {
                    stack.push(St::AnsiC);
                    i += 2;
                }
                (b'$', Some(b'"')) => {
                    stack.push(St::Double);
                    i += 2;
                }
                (b'$', Some(b'(')) => {
                    stack.push(St::Subst);
                    i += 2;
                }
                (b'$', Some(b'{')) => {
                    stack.push(St::Param(Quoting::Bare));
                    i += 2;
                }
                (b'`', _) => {
                    if top == St::Backtick {
                        stack.pop();
                    } else {
                        stack.push(St::Backtick);
                    }
                    i += 1;
                }
                (b'(', _) => {
                    stack.push(St::Paren);
                    i += 1;
                }
                (b')', _) => {
                    if matches!(top, St::Paren | St::Subst) {
                        stack.pop();
                    }
                    i += 1;
                }
                (b'}', _) => {
                    if matches!(top, St::Param(_)) {
                        stack.pop();
                    }
                    i += 1;
                }
                (b'#', _) if word_start(bytes, i) && !matches!(top, St::Param(_)) => {
                    stack.push(St::Comment);
                    i += 1;
                }
                (b'<', Some(b'<')) => {
                    if bytes.get(i + 2) == Some(&b'<') {
                        // A here-string.
                        i += if slot_at(k, i + 2) { 2 } else { 3 };
                        continue;
                    }
                    let mut j = i + 2;
                    let strip_tabs = bytes.get(j) == Some(&b'-');
                    if strip_tabs {
                        j += 1;
                    }
                    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
                        j += 1;
                    }
                    let (delim, quoted, end) = heredoc_word(text, j);
                    if !delim.is_empty() {
                        heredocs.push(Heredoc { delim, strip_tabs, quoted, body_start: bytes.len(), body_end: None });
                        pending.push_back(heredocs.len() - 1);
                    }
                    i = end.max(i + 2);
                }
                (b'\n', _) => {
                    i += 1;
                    if let Some(h) = pending.pop_front() {
                        heredocs[h].body_start = i;
                        stack.push(St::Here(h));
                    }
                }
                _ => i += 1,
            },
        }
    }
    for h in &mut heredocs {
        if h.body_end.is_none() {
            h.body_end = Some(bytes.len());
        }
    }
    Scan { ctx, heredocs }
}

/// The delimiter word of a here-document starting at `start`: (delimiter with quotes removed,
/// whether any part was quoted, end offset).
fn heredoc_word(text: &str, start: usize) -> (String, bool, usize) {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = text[start..].char_indices().peekable();
    let mut end = text.len();
    while let Some((off, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' | ';' | '|' | '&' | '<' | '>' | '(' | ')' => {
                end = start + off;
                break;
            }
            '\'' => {
                quoted = true;
                for (_, c) in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '"' => {
                quoted = true;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                out.push(e);
                            }
                        }
                        _ => out.push(c),
                    }
                }
            }
            '\\' => {
                quoted = true;
                if let Some((_, e)) = chars.next() {
                    out.push(e);
                }
            }
            _ => out.push(c),
        }
    }
    (out, quoted, end)
}

/// A value as (part of) a bare word: as is when safe, else single-quoted.
pub(super) fn bare(v: &str, word_start: bool) -> String {
    if SAFE.is_match(v) && !(word_start && v.contains('=')) {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', r"'\''"))
    }
}

/// Escape for inside `"…"` (`quote`) or an unquoted here-document body (no `quote`).
fn escape_double(v: &str, quote: bool) -> String {
    let mut out = String::with_capacity(v.len() + 4);
    for c in v.chars() {
        if matches!(c, '\\' | '$' | '`') || (quote && c == '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape_ansi_c(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 4);
    for c in v.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One level of backquote substitution removes a backslash before `\`, `` ` `` and `$`.
fn escape_backquotes(v: &str, levels: usize) -> String {
    let mut out = v.to_string();
    for _ in 0..levels {
        out = escape_double(&out, false);
    }
    out
}

fn render_slot(job: &mut Job<'_>, i: usize, ctx: Ctx) -> Result<String, RenderError> {
    if ctx == Ctx::Unsupported {
        return Err(job.err(i, "a placeholder cannot stand in a here-document delimiter"));
    }
    match job.res[i].clone() {
        Res::Val(v) => {
            if v.contains('\0') {
                return Err(job.err(i, "the value contains a NUL byte, which a shell word cannot hold"));
            }
            Ok(match ctx {
                Ctx::Bare { word_start } => bare(&v, word_start),
                Ctx::Double => escape_double(&v, true),
                Ctx::ParamWord => {
                    if v.contains('\'') {
                        return Err(job.err(i, "a `'` cannot be written inside a double-quoted `${…}` word"));
                    }
                    escape_double(&v, true).replace('}', "\\}")
                }
                Ctx::HereExpand => escape_double(&v, false),
                Ctx::Single => v.replace('\'', r"'\''"),
                Ctx::AnsiC => escape_ansi_c(&v),
                Ctx::Comment => in_comment(&v),
                Ctx::HereLiteral | Ctx::Unsupported => v,
            })
        }
        Res::Secret { name, .. } => match ctx {
            Ctx::Comment => Ok(secret_marker(&name)),
            Ctx::HereLiteral => match job.mode {
                Mode::Display => Ok(secret_marker(&name)),
                Mode::Execute => Err(job.err(
                    i,
                    format!(
                        "secret `{name}` cannot be referenced inside a here-document with a quoted delimiter \
                         (its body is literal); unquote the delimiter or write the file with the secret"
                    ),
                )),
            },
            _ => {
                let env = job.env(i);
                Ok(match ctx {
                    Ctx::Bare { .. } => format!("\"${env}\""),
                    Ctx::Double | Ctx::HereExpand => format!("${{{env}}}"),
                    Ctx::ParamWord => format!("${{{env}}}"),
                    Ctx::Single => format!("'\"${env}\"'"),
                    Ctx::AnsiC => format!("'\"${env}\"$'"),
                    Ctx::Comment | Ctx::HereLiteral | Ctx::Unsupported => String::new(),
                })
            }
        },
    }
}

/// A slot right after a backslash: the backslash must not change the value's meaning.
fn after_escape(job: &Job<'_>, i: usize, ctx: Ctx, ticks: usize, s: String) -> Result<String, RenderError> {
    let refuse = || Err(job.err(i, "a placeholder right after a backslash cannot be filled safely here"));
    if ticks > 0 {
        return refuse();
    }
    match ctx {
        // `\<` meant a backslash and `<`: keep the backslash literal.
        Ctx::Double | Ctx::HereExpand | Ctx::AnsiC | Ctx::ParamWord => Ok(format!("\\{s}")),
        // `\<` meant `<`: the backslash takes the value's first character, as data.
        Ctx::Bare { .. } => match &job.res[i] {
            Res::Val(v) => {
                let mut chars = v.chars();
                match chars.next() {
                    Some(c) if c != '\n' => {
                        let rest = chars.as_str();
                        Ok(if rest.is_empty() { c.to_string() } else { format!("{c}{}", bare(rest, false)) })
                    }
                    _ => refuse(),
                }
            }
            Res::Secret { .. } => refuse(),
        },
        Ctx::Single | Ctx::Comment | Ctx::HereLiteral | Ctx::Unsupported => Ok(s),
    }
}

pub(super) fn edits(job: &mut Job<'_>) -> Result<Vec<Edit>, RenderError> {
    let scan = scan(job);
    let mut edits = Vec::with_capacity(job.slots.len());
    for i in 0..job.slots.len() {
        let (ctx, ticks) = scan.ctx[i];
        let mut s = render_slot(job, i, ctx)?;
        if after_backslash(job.text, job.slots[i].start) {
            s = after_escape(job, i, ctx, ticks, s)?;
        }
        edits.push(Edit::slot(&job.slots[i], escape_backquotes(&s, ticks)));
    }
    // No value may end a here-document early: check each body as rendered.
    for h in &scan.heredocs {
        let end = h.body_end.unwrap_or(job.text.len());
        let Some(first) = job.slots_in(h.body_start, end).next() else { continue };
        let body = rendered_range(job.text, &edits, h.body_start, end);
        let ends_early = body.split('\n').any(|line| {
            let line = if h.strip_tabs { line.trim_start_matches('\t') } else { line };
            line == h.delim
        });
        if ends_early {
            return Err(job.err(
                first,
                format!("the value would end the here-document early (a line equal to its delimiter `{}`)", h.delim),
            ));
        }
    }
    Ok(edits)
}
