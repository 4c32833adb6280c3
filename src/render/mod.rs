//! Substitution of values into code blocks, quoted for the language they land in.
//!
//! A value never reaches a block by pasting text. Each placeholder occurrence ([`Slot`]) is
//! classified by a small lexer for the block's [`Lang`] (a bare shell word, the inside of `"…"`
//! or `'…'`, a here-document body, a JSON string, a Python literal with its prefixes, a YAML plain,
//! quoted or block scalar…) and the value is written as data for exactly that context:
//!
//! * shell: safe words as they are, anything else single-quoted; escaped inside `"…"`; closed and
//!   re-opened inside `'…'`; literal in a quoted here-document (refused if it would end it early);
//! * JSON: escaped inside a string, a whole string literal elsewhere;
//! * Python: escaped for the literal it sits in (raw literals rewritten when they cannot hold it),
//!   a whole string literal elsewhere;
//! * YAML: plain when plain-safe, otherwise the scalar is double-quoted; `''` in single quotes;
//!   indented in block scalars; `${{ … }}` expressions are left alone;
//! * text: as is.
//!
//! Secrets are never inserted: a secret renders as a reference to the environment variable the
//! runner sets for that child only (`"$RB_SECRET_1"` in shell, `__import__("os").environ["RB_SECRET_1"]`
//! in Python: `__import__` rather than `os.` so the reference does not depend on the block importing
//! `os`). Languages that cannot reference the environment (JSON, YAML, text) show a `[secret: NAME]`
//! marker in [`Mode::Display`] and refuse in [`Mode::Execute`]: a file that must hold a secret is
//! rendered by the caller with the secret passed as [`Fill::Value`] and written 0600 into the run's
//! private directory.
//!
//! Every rendered byte maps back to the block text ([`Rendered::to_block`]) and from there, with the
//! block's [`OffsetMap`], to the Markdown file.

mod json;
mod python;
mod shell;
mod yaml;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::source::{OffsetMap, Span};

/// The language a block's text is rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Shell,
    Json,
    Python,
    Yaml,
    Text,
}

impl Lang {
    /// The language of a block from its fence language, else the extension of the file it is
    /// written to (`<file.json>` counts as `.json`), else text.
    pub fn of(block_lang: &str, file_name: Option<&str>) -> Lang {
        let word = block_lang
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}'))
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_ascii_lowercase();
        match word.as_str() {
            "bash" | "sh" | "shell" | "zsh" | "console" | "shell-session" | "shellsession" => return Lang::Shell,
            "json" => return Lang::Json,
            "python" | "py" | "python3" => return Lang::Python,
            "yaml" | "yml" => return Lang::Yaml,
            _ => {}
        }
        let Some(name) = file_name else { return Lang::Text };
        let name = name.trim().trim_end_matches(['>', '`', '"', '\'']);
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let Some((_, ext)) = base.rsplit_once('.') else { return Lang::Text };
        match ext.to_ascii_lowercase().as_str() {
            "sh" | "bash" | "zsh" => Lang::Shell,
            "json" => Lang::Json,
            "py" => Lang::Python,
            "yaml" | "yml" => Lang::Yaml,
            _ => Lang::Text,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Shell => "shell",
            Lang::Json => "JSON",
            Lang::Python => "Python",
            Lang::Yaml => "YAML",
            Lang::Text => "text",
        }
    }
}

/// What to put where a placeholder stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fill {
    /// A plain value: quoted for the context it lands in.
    Value(String),
    /// A secret: referenced through the environment variable `env` (`RB_SECRET_1`), never inserted.
    Secret { name: String, env: String },
    /// A value an earlier step's output will provide.
    Captured { name: String, step: String },
    /// No value.
    Missing { name: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// For plans and transcripts: captured/missing/secret shown as markers where the language
    /// cannot reference them.
    Display,
    /// For execution: text that will be run or written. Captured values must have been resolved
    /// to [`Fill::Value`] by then; a missing fill is an error. A file that must contain a secret
    /// is rendered with the secret passed as [`Fill::Value`] (the caller writes it 0600 into the
    /// run's private directory).
    Execute,
}

/// One placeholder occurrence inside the block text: byte range in `text` (the spelling,
/// brackets included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: usize,
    pub end: usize,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// (offset in `text`, offset in the block text) at the start of each copied run and each
    /// substitution, sorted, ending with (`text.len()`, block length). Use [`Rendered::to_block`].
    pub map: Vec<(usize, usize)>,
    /// Secret environment variables referenced (name → env var), in order of first use.
    pub secret_refs: Vec<(String, String)>,
}

impl Rendered {
    /// Block-text offset of an offset in the rendered text. Copied text maps byte for byte; a byte
    /// of a substituted value maps into the span of the placeholder it replaced.
    pub fn to_block(&self, offset: usize) -> usize {
        let i = self.map.partition_point(|&(r, _)| r <= offset);
        if i == 0 {
            return self.map.first().map_or(offset, |&(_, b)| b);
        }
        let (r, b) = self.map[i - 1];
        let at = b + (offset - r);
        match self.map.get(i) {
            Some(&(_, next)) if at >= next => next.saturating_sub(1).max(b),
            _ => at,
        }
    }

    /// Source span (in the Markdown file) of a rendered range, through the block's offset map.
    pub fn to_source(&self, block_map: &OffsetMap, start: usize, end: usize) -> Span {
        block_map.span(self.to_block(start), self.to_block(end))
    }
}

/// Why a block could not be rendered. The message names the placeholder, never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    pub slot: Slot,
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.slot.name, self.message)
    }
}

impl std::error::Error for RenderError {}

/// Render `text` (a block in `lang`) with every slot replaced by its fill.
pub fn render(
    text: &str,
    lang: Lang,
    slots: &[Slot],
    fill: &dyn Fn(&str) -> Fill,
    mode: Mode,
) -> Result<Rendered, RenderError> {
    let mut sorted = slots.to_vec();
    sorted.sort_by_key(|s| (s.start, s.end));
    let mut prev_end = 0;
    for s in &sorted {
        let bad = if s.start > s.end || s.end > text.len() {
            Some("the placeholder lies outside the block text")
        } else if !text.is_char_boundary(s.start) || !text.is_char_boundary(s.end) {
            Some("the placeholder does not start or end on a character boundary")
        } else if s.start < prev_end {
            Some("the placeholder overlaps another one")
        } else {
            None
        };
        if let Some(message) = bad {
            return Err(RenderError { slot: s.clone(), message: message.to_string() });
        }
        prev_end = s.end;
    }
    let mut res = Vec::with_capacity(sorted.len());
    for s in &sorted {
        res.push(resolve(s, fill(&s.name), mode)?);
    }
    let mut job = Job { text, slots: sorted, res, mode, lang, refs: Vec::new() };
    let edits = match lang {
        Lang::Shell => shell::edits(&mut job)?,
        Lang::Json => json::edits(&mut job)?,
        Lang::Python => python::edits(&mut job)?,
        Lang::Yaml => yaml::edits(&mut job)?,
        Lang::Text => text_edits(&job)?,
    };
    let (out, map) = assemble(text, &edits);
    Ok(Rendered { text: out, map, secret_refs: job.refs })
}

/// A file name given as a value: refuse empty, NUL, `..` components, absolute paths, line breaks
/// and other control characters. The message never repeats the name.
pub fn validate_file_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the file name is empty".into());
    }
    if name.contains('\0') {
        return Err("the file name contains a NUL byte".into());
    }
    if name.contains(['\n', '\r']) {
        return Err("the file name contains a line break".into());
    }
    if name.chars().any(char::is_control) {
        return Err("the file name contains a control character".into());
    }
    let b = name.as_bytes();
    if name.starts_with(['/', '\\']) || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':') {
        return Err("the file name is an absolute path; give a path relative to the working directory".into());
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Err("the file name has a `..` component".into());
    }
    Ok(())
}

/// Quote a value as one shell word (as is when it is made of safe characters only).
pub fn shell_quote(value: &str) -> String {
    shell::bare(value, false)
}

/// Slots of a block from placeholder uses given as (name, span in the Markdown file); uses
/// outside the block (or not matching its text through `map`) are skipped, overlaps dropped.
pub fn slots_from_spans<'a>(text: &str, map: &OffsetMap, uses: impl IntoIterator<Item = (&'a str, Span)>) -> Vec<Slot> {
    let mut out: Vec<Slot> = Vec::new();
    for (name, span) in uses {
        let (mut start, mut hi) = (0, text.len() + 1);
        while start < hi {
            let mid = usize::midpoint(start, hi);
            if map.to_source(mid) < span.start {
                start = mid + 1;
            } else {
                hi = mid;
            }
        }
        if start > text.len() || map.to_source(start) != span.start {
            continue;
        }
        let end = start + span.len();
        if end > text.len() || map.to_source(end) != span.end {
            continue;
        }
        out.push(Slot { start, end, name: name.to_string() });
    }
    out.sort_by_key(|s| (s.start, s.end));
    let mut kept: Vec<Slot> = Vec::with_capacity(out.len());
    for s in out {
        if kept.last().is_none_or(|k| k.end <= s.start) {
            kept.push(s);
        }
    }
    kept
}

/// A fill resolved for the mode: a value to write as data, or a secret to reference.
#[derive(Clone, Debug)]
enum Res {
    Val(String),
    Secret { name: String, env: String },
}

fn resolve(slot: &Slot, fill: Fill, mode: Mode) -> Result<Res, RenderError> {
    let err = |m: String| Err(RenderError { slot: slot.clone(), message: m });
    match fill {
        Fill::Value(v) => Ok(Res::Val(v)),
        Fill::Secret { name, env } => {
            let ok = env.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                Ok(Res::Secret { name, env })
            } else {
                err(format!("`{env}` is not a valid environment variable name"))
            }
        }
        Fill::Captured { name, step } => match mode {
            Mode::Display => Ok(Res::Val(format!("«captured: {name} ← {step}»"))),
            Mode::Execute => err(format!("the value of `{name}` captured from step `{step}` has not been resolved")),
        },
        Fill::Missing { name } => match mode {
            Mode::Display => Ok(Res::Val(format!("«missing: {name}»"))),
            Mode::Execute => err(format!("no value for `{name}`")),
        },
    }
}

/// The state of one `render` call shared with the language modules.
struct Job<'a> {
    text: &'a str,
    /// Sorted, non-overlapping.
    slots: Vec<Slot>,
    res: Vec<Res>,
    mode: Mode,
    lang: Lang,
    refs: Vec<(String, String)>,
}

impl Job<'_> {
    fn err(&self, i: usize, message: impl Into<String>) -> RenderError {
        RenderError { slot: self.slots[i].clone(), message: message.into() }
    }

    /// Record that slot `i` (a secret) is referenced through its environment variable; returns it.
    fn env(&mut self, i: usize) -> String {
        let Res::Secret { name, env } = &self.res[i] else { return String::new() };
        if !self.refs.iter().any(|(n, e)| n == name && e == env) {
            self.refs.push((name.clone(), env.clone()));
        }
        env.clone()
    }

    /// The text to write for slot `i` where the environment cannot be referenced: its value, or
    /// for a secret a `[secret: NAME]` marker (display) or an error (execution).
    fn data(&self, i: usize) -> Result<String, RenderError> {
        match &self.res[i] {
            Res::Val(v) => Ok(v.clone()),
            Res::Secret { name, .. } => match self.mode {
                Mode::Display => Ok(secret_marker(name)),
                Mode::Execute => Err(self.err(
                    i,
                    format!(
                        "secret `{name}` cannot be referenced from {} here; pass its value to write a private \
                         file (mode 0600) instead",
                        self.lang.as_str()
                    ),
                )),
            },
        }
    }

    /// Slot indices whose start lies in `start..end`.
    fn slots_in(&self, start: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.slots.len()).filter(move |&k| self.slots[k].start >= start && self.slots[k].start < end)
    }
}

fn secret_marker(name: &str) -> String {
    format!("[secret: {name}]")
}

/// A replacement of `start..end` in the block text by pieces, each (text, block offset it maps to).
#[derive(Clone, Debug)]
struct Edit {
    start: usize,
    end: usize,
    pieces: Vec<(String, usize)>,
}

impl Edit {
    fn slot(slot: &Slot, text: String) -> Edit {
        Edit { start: slot.start, end: slot.end, pieces: vec![(text, slot.start)] }
    }
}

fn assemble(text: &str, edits: &[Edit]) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(text.len() + 16);
    let mut map = Vec::new();
    let mut pos = 0;
    let mut put = |out: &mut String, s: &str, at: usize| {
        if !s.is_empty() {
            map.push((out.len(), at));
            out.push_str(s);
        }
    };
    for e in edits {
        put(&mut out, &text[pos..e.start], pos);
        for (s, at) in &e.pieces {
            put(&mut out, s, *at);
        }
        pos = e.end;
    }
    put(&mut out, &text[pos..], pos);
    let len = out.len();
    map.push((len, text.len()));
    (out, map)
}

/// The rendered text of `start..end` of the block (edits inside it applied).
fn rendered_range(text: &str, edits: &[Edit], start: usize, end: usize) -> String {
    let mut out = String::new();
    let mut pos = start;
    for e in edits.iter().filter(|e| e.start >= start && e.end <= end) {
        out.push_str(&text[pos..e.start]);
        for (s, _) in &e.pieces {
            out.push_str(s);
        }
        pos = e.end;
    }
    out.push_str(&text[pos..end]);
    out
}

fn text_edits(job: &Job<'_>) -> Result<Vec<Edit>, RenderError> {
    (0..job.slots.len()).map(|i| Ok(Edit::slot(&job.slots[i], job.data(i)?))).collect()
}

/// Whether an odd number of backslashes stands right before `at` (the first byte of a slot would be
/// escaped by it).
fn after_backslash(text: &str, at: usize) -> bool {
    (at - text[..at].trim_end_matches('\\').len()) % 2 == 1
}

/// A value written into a comment: line breaks shown as `\n` so it cannot leave the comment.
fn in_comment(v: &str) -> String {
    v.replace('\r', "\\r").replace('\n', "\\n")
}
