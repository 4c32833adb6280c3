//! Helpers shared by the command (and secret) rules: the commands of a runbook with their
//! words, source positions of those words, and a small shell scanner (quotes, substitutions,
//! operators, keywords, here-documents) that is enough to find syntax slips without a parser.

use std::sync::LazyLock;

use regex::Regex;

use crate::cf::{self, CommandSpec, FlagSpec};
use crate::lint::LintContext;
use crate::shell::{self, Word};
use crate::source::Span;
use crate::steps::{BlockKind, Command, StepBlock};

/// Maps byte offsets in a command's `text` to the Markdown file.
///
/// A command's text is its source with `\`-continuations joined and, in list items, the
/// indentation of later lines removed: the map aligns the two, skipping the source's
/// continuation backslashes, newlines and indentation.
pub(crate) struct TextMap {
    map: Vec<usize>,
}

impl TextMap {
    pub(crate) fn new(source: &str, text: &str, offset: usize) -> TextMap {
        let src = source.as_bytes();
        let t = text.as_bytes();
        if source.get(offset..).is_some_and(|s| s.starts_with(text)) {
            return TextMap { map: (offset..=offset + t.len()).collect() };
        }
        let mut map = Vec::with_capacity(t.len() + 1);
        let mut j = offset.min(src.len());
        for &c in t {
            let mut k = j;
            while k < src.len() && src[k] != c && matches!(src[k], b'\\' | b'\n' | b'\r' | b' ' | b'\t') {
                k += 1;
            }
            if k < src.len() && src[k] == c {
                map.push(k);
                j = k + 1;
            } else {
                map.push(j);
            }
        }
        map.push(j);
        TextMap { map }
    }

    /// Source span of `start..end` in the command text.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        let last = self.map.len() - 1;
        let s = self.map[start.min(last)];
        let e = if end > start { self.map[(end - 1).min(last)] + 1 } else { s };
        Span::new(s, e.max(s))
    }
}

/// One simple command of a runbook command line, with its words.
pub(crate) struct SimpleCommand<'a> {
    pub step: usize,
    pub block: &'a StepBlock,
    pub command: &'a Command,
    /// The words, leading `NAME=value` assignments removed.
    pub words: Vec<Word>,
    pub map: &'a TextMap,
}

impl SimpleCommand<'_> {
    /// Source span of a word.
    pub(crate) fn span(&self, w: &Word) -> Span {
        self.map.span(w.start, w.end)
    }

    /// Source span from the first to the last of these words.
    pub(crate) fn span_of(&self, words: &[Word]) -> Span {
        match (words.first(), words.last()) {
            (Some(a), Some(b)) => self.map.span(a.start, b.end),
            _ => Span::default(),
        }
    }

    /// A word as written (quotes kept).
    pub(crate) fn raw<'t>(&'t self, w: &Word) -> &'t str {
        self.command.text.get(w.start..w.end).unwrap_or("")
    }

    /// The text after the last word, up to the end of the command line.
    pub(crate) fn rest(&self) -> &str {
        let end = self.words.last().map_or(0, |w| w.end);
        self.command.text.get(end..).unwrap_or("")
    }
}

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=").unwrap());

/// Every simple command of every `command` block (fenced and inline), in order.
pub(crate) fn simple_commands(ctx: &LintContext<'_>, mut f: impl FnMut(&SimpleCommand<'_>)) {
    let source = &ctx.runbook.source.text;
    for (step_index, step) in ctx.runbook.steps.iter().enumerate() {
        for block in step.blocks.iter().filter(|b| b.kind == BlockKind::Command) {
            for command in &block.commands {
                let map = TextMap::new(source, &command.text, command.offset);
                for words in shell::words(&command.text) {
                    let skip = words.iter().take_while(|w| !w.quoted && ASSIGNMENT.is_match(&w.text)).count();
                    let words: Vec<Word> = words.into_iter().skip(skip).collect();
                    if words.is_empty() {
                        continue;
                    }
                    f(&SimpleCommand { step: step_index, block, command, words, map: &map });
                }
            }
        }
    }
}

/// A word that stands for a value rather than being one: `<NAME>`, `APP_NAME`, `$X`.
pub(crate) fn is_placeholder_word(w: &Word) -> bool {
    let t = w.text.as_str();
    (t.starts_with('<') && t.ends_with('>'))
        || t.contains('$')
        || t.contains('`')
        || (t.len() > 1 && t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '-')))
}

/// Plugin commands that are common on Cloud Foundry platforms (not part of the cf CLI).
pub(crate) const PLUGIN_COMMANDS: &[&str] = &[
    "conduit",
    "autoscaling-api",
    "asa",
    "autoscaling-policy",
    "asp",
    "attach-autoscaling-policy",
    "aasp",
    "detach-autoscaling-policy",
    "dasp",
    "create-autoscaling-credential",
    "casc",
    "delete-autoscaling-credential",
    "dasc",
    "autoscaling-metrics",
    "asm",
    "autoscaling-history",
    "ash",
    "blue-green-deploy",
    "bgd",
    "mysql",
    "mysqldump",
];

/// A `cf` invocation's words sorted by role.
pub(crate) struct CfArgs<'w> {
    /// Canonical subcommand.
    pub name: &'static str,
    pub spec: &'static CommandSpec,
    /// Words that are surely positionals.
    pub positionals: Vec<&'w Word>,
    /// Words right after an unknown flag: its value or a positional.
    pub ambiguous: Vec<&'w Word>,
    pub unknown_flags: Vec<&'w Word>,
    /// Known flags, with their value when they take one.
    pub flags: Vec<(&'w Word, &'static FlagSpec, Option<&'w Word>)>,
    /// Value-taking flags with no value (at the end, or followed by another flag).
    pub missing_value: Vec<&'w Word>,
    /// `-h`/`--help`: the command only prints its help.
    pub help: bool,
}

fn looks_like_flag(w: &Word) -> bool {
    let t = w.text.as_str();
    !w.quoted && t.len() > 1 && t.starts_with('-') && !t[1..].starts_with(|c: char| c.is_ascii_digit())
}

/// Sort the words of a `cf` command (words\[0\] is `cf`) by role; `None` when the subcommand
/// is unknown.
pub(crate) fn cf_args(words: &[Word]) -> Option<CfArgs<'_>> {
    if words.first().is_none_or(|w| w.text != "cf") {
        return None;
    }
    let subcommand = words.get(1)?;
    let (name, spec) = cf::grammar().command(&subcommand.text)?;
    let mut args = CfArgs {
        name,
        spec,
        positionals: Vec::new(),
        ambiguous: Vec::new(),
        unknown_flags: Vec::new(),
        flags: Vec::new(),
        missing_value: Vec::new(),
        help: false,
    };
    let mut pending: Option<(&Word, &'static FlagSpec)> = None;
    let mut after_unknown = false;
    let mut flags_done = false;
    for w in &words[2..] {
        if let Some((flag, f)) = pending.take() {
            if looks_like_flag(w) && !flags_done {
                args.missing_value.push(flag);
                args.flags.push((flag, f, None));
            } else {
                args.flags.push((flag, f, Some(w)));
                continue;
            }
        }
        let t = w.text.as_str();
        if t == "--" && !w.quoted && !flags_done {
            flags_done = true;
            continue;
        }
        if !flags_done && looks_like_flag(w) {
            after_unknown = false;
            if matches!(t, "-h" | "--help") {
                args.help = true;
                continue;
            }
            if t == "-v" {
                continue;
            }
            if let Some(f) = spec.flag(t) {
                if f.takes_value && !t.contains('=') {
                    pending = Some((w, f));
                } else {
                    args.flags.push((w, f, None));
                }
                continue;
            }
            if combined_short_flags(spec, t) {
                continue;
            }
            args.unknown_flags.push(w);
            after_unknown = !t.contains('=');
            continue;
        }
        if std::mem::take(&mut after_unknown) {
            args.ambiguous.push(w);
        } else {
            args.positionals.push(w);
        }
    }
    if let Some((flag, f)) = pending {
        args.missing_value.push(flag);
        args.flags.push((flag, f, None));
    }
    Some(args)
}

/// `-iv` (boolean short flags together) or `-ovalue` (a short flag with its value attached).
fn combined_short_flags(spec: &CommandSpec, t: &str) -> bool {
    let Some(rest) = t.strip_prefix('-') else { return false };
    if rest.starts_with('-') || rest.len() < 2 || !rest.is_ascii() {
        return false;
    }
    let short =
        |c: char| spec.flags.iter().find(|f| f.short.as_deref().is_some_and(|s| s.len() == 1 && s.starts_with(c)));
    let first = rest.chars().next().unwrap_or(' ');
    if short(first).is_some_and(|f| f.takes_value) {
        return true;
    }
    rest.chars().all(|c| short(c).is_some_and(|f| !f.takes_value) || matches!(c, 'v' | 'h'))
}

// ---------------------------------------------------------------------------------------------
// Shell scanner
// ---------------------------------------------------------------------------------------------

/// A construct opened and not (yet) closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// `'…'`
    Single,
    /// `$'…'`
    AnsiC,
    /// `"…"`
    Double,
    /// `` `…` ``
    Backtick,
    /// `$(…)`
    Subst,
    /// `<(…)`, `>(…)`
    ProcSubst,
    /// `$((…))`
    Arith,
    /// `${…}`
    Param,
    /// `(…)`: a subshell, or a group inside arithmetic or a substitution.
    Paren,
    /// `name=(…)`: an array.
    Array,
}

impl Ctx {
    fn is_code(self) -> bool {
        matches!(self, Ctx::Subst | Ctx::ProcSubst | Ctx::Arith | Ctx::Paren | Ctx::Array)
    }
}

/// A command substitution: its whole range and its content, as offsets into the scanned text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Substitution {
    pub backtick: bool,
    pub start: usize,
    pub end: usize,
    pub content: (usize, usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word,
    /// `|`, `||`, `&&`, `;`, `;;`, `;&`, `&`, `|&`, `(`, `)`.
    Op,
    Newline,
}

/// A token at the top level (outside quotes and substitutions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: TokKind,
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// Part of the word is quoted or substituted (a quoted `if` is no keyword).
    pub quoted: bool,
    /// The byte right after the token (`)` after a `case` pattern).
    pub next: Option<u8>,
}

/// What the scanner found in a piece of shell.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Constructs still open at the end, outermost first, with the offset of their opening.
    pub unclosed: Vec<(Ctx, usize)>,
    pub substitutions: Vec<Substitution>,
    pub tokens: Vec<Tok>,
    /// A `\` with nothing after it.
    pub trailing_backslash: Option<usize>,
}

static HEREDOC_DELIM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^<<(-?)[ \t]*(?:'([^'\n]*)'|"([^"\n]*)"|\\?([A-Za-z0-9_.\-]+))"#).unwrap());

/// Whether the scanner is at the top level (only subshell parentheses open).
fn at_top_level(stack: &[(Ctx, usize)]) -> bool {
    stack.iter().all(|(c, _)| *c == Ctx::Paren)
}

/// Scan shell text: quotes, substitutions, top-level tokens and here-documents (skipped).
pub(crate) fn scan(text: &str) -> Scan {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Scan::default();
    let mut stack: Vec<(Ctx, usize)> = Vec::new();
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    // Top-level word in progress: start and whether some of it was quoted.
    let mut word: Option<(usize, bool)> = None;
    let mut i = 0;

    while i < n {
        let c = b[i];
        let here = stack.last().map(|&(c, _)| c);
        match here {
            Some(Ctx::Single) => {
                if c == b'\'' {
                    stack.pop();
                }
                i += 1;
                continue;
            }
            Some(Ctx::AnsiC) => {
                match c {
                    b'\\' => i += 1,
                    b'\'' => {
                        stack.pop();
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            Some(ctx @ (Ctx::Double | Ctx::Backtick | Ctx::Param)) => {
                match c {
                    b'\\' => {
                        if i + 1 >= n {
                            out.trailing_backslash = Some(i);
                        }
                        i += 1 + text[i + 1..].chars().next().map_or(0, char::len_utf8);
                        continue;
                    }
                    b'"' if ctx == Ctx::Double => {
                        stack.pop();
                    }
                    b'"' => stack.push((Ctx::Double, i)),
                    b'\'' if ctx != Ctx::Double => stack.push((Ctx::Single, i)),
                    b'}' if ctx == Ctx::Param => {
                        stack.pop();
                    }
                    b'`' if ctx == Ctx::Backtick => {
                        let (_, start) = stack.pop().unwrap_or((Ctx::Backtick, i));
                        out.substitutions.push(Substitution {
                            backtick: true,
                            start,
                            end: i + 1,
                            content: (start + 1, i),
                        });
                    }
                    b'`' => stack.push((Ctx::Backtick, i)),
                    b'$' => {
                        i += dollar(b, i, &mut stack);
                        continue;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // Code: the top level, or inside `$(…)`, `(…)`, `$((…))`.
        let at_top = at_top_level(&stack);
        let word_start = i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')');
        match c {
            b'\\' => {
                if text[i + 1..].trim().is_empty() {
                    out.trailing_backslash = Some(i);
                }
                if at_top && b.get(i + 1) != Some(&b'\n') {
                    word.get_or_insert((i, false)).1 = true;
                }
                i += 1 + text[i + 1..].chars().next().map_or(0, char::len_utf8);
            }
            b'#' if word_start && (!at_top || word.is_none()) => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' | b'"' | b'`' => {
                if at_top {
                    word.get_or_insert((i, true)).1 = true;
                }
                let ctx = match c {
                    b'\'' => Ctx::Single,
                    b'"' => Ctx::Double,
                    _ => Ctx::Backtick,
                };
                stack.push((ctx, i));
                i += 1;
            }
            b'$' => {
                if at_top {
                    word.get_or_insert((i, true)).1 = true;
                }
                i += dollar(b, i, &mut stack);
            }
            b'<' if b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                if at_top {
                    flush_word(text, &mut word, i, &mut out.tokens);
                }
                if let Some(cap) = HEREDOC_DELIM.captures(&text[i..]) {
                    let delim = cap.get(2).or(cap.get(3)).or(cap.get(4)).map_or("", |m| m.as_str());
                    heredocs.push((delim.to_string(), !cap[1].is_empty()));
                    i += cap[0].len();
                } else {
                    i += 2;
                }
            }
            b'<' | b'>' if b.get(i + 1) == Some(&b'(') => {
                if at_top {
                    flush_word(text, &mut word, i, &mut out.tokens);
                }
                stack.push((Ctx::ProcSubst, i));
                i += 2;
            }
            b'<' | b'>' => {
                // A redirection operator (`>`, `>>`, `2>&1`, `<&-`, `>|`); its target is a word.
                if at_top {
                    flush_word(text, &mut word, i, &mut out.tokens);
                }
                i += 1;
                while i < n && matches!(b[i], b'>' | b'<' | b'&' | b'|' | b'-') {
                    if b[i] == b'-' && b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        break;
                    }
                    i += 1;
                }
            }
            b'&' if b.get(i + 1) == Some(&b'>') => {
                if at_top {
                    flush_word(text, &mut word, i, &mut out.tokens);
                }
                i += 2;
                while i < n && b[i] == b'>' {
                    i += 1;
                }
            }
            b'(' => {
                if at_top && word.is_some() {
                    // An array `a=(…)`: part of the word.
                    stack.push((Ctx::Array, i));
                } else if at_top {
                    push_tok(&mut out.tokens, text, TokKind::Op, i, i + 1, false);
                    stack.push((Ctx::Paren, i));
                } else {
                    stack.push((Ctx::Paren, i));
                }
                i += 1;
            }
            b')' => {
                match here {
                    Some(Ctx::Arith) => {
                        if b.get(i + 1) == Some(&b')') {
                            stack.pop();
                            i += 1;
                        }
                    }
                    Some(Ctx::Subst) => {
                        let (_, start) = stack.pop().unwrap_or((Ctx::Subst, i));
                        out.substitutions.push(Substitution {
                            backtick: false,
                            start,
                            end: i + 1,
                            content: (start + 2, i),
                        });
                    }
                    Some(Ctx::ProcSubst | Ctx::Array) => {
                        stack.pop();
                    }
                    Some(Ctx::Paren) => {
                        stack.pop();
                        if at_top {
                            flush_word(text, &mut word, i, &mut out.tokens);
                            push_tok(&mut out.tokens, text, TokKind::Op, i, i + 1, false);
                        }
                    }
                    _ => {
                        // A `case` pattern's `)` or a stray one: the caller decides.
                        flush_word(text, &mut word, i, &mut out.tokens);
                        push_tok(&mut out.tokens, text, TokKind::Op, i, i + 1, false);
                    }
                }
                i += 1;
            }
            b'\n' => {
                if at_top {
                    flush_word(text, &mut word, i, &mut out.tokens);
                    push_tok(&mut out.tokens, text, TokKind::Newline, i, i + 1, false);
                }
                i += 1;
                if !heredocs.is_empty() {
                    i = skip_heredocs(text, i, &mut heredocs);
                }
            }
            b' ' | b'\t' | b'\r' => {
                if at_top {
                    flush_word(text, &mut word, i, &mut out.tokens);
                }
                i += 1;
            }
            b'|' | b'&' | b';' => {
                let len = match (c, b.get(i + 1)) {
                    (b'|', Some(b'|' | b'&')) | (b'&', Some(b'&')) | (b';', Some(b';' | b'&')) => 2,
                    _ => 1,
                };
                if at_top {
                    flush_word(text, &mut word, i, &mut out.tokens);
                    push_tok(&mut out.tokens, text, TokKind::Op, i, i + len, false);
                }
                i += len;
            }
            _ => {
                if at_top {
                    word.get_or_insert((i, false));
                }
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    flush_word(text, &mut word, n, &mut out.tokens);
    out.unclosed = stack;
    out
}

/// Handle a `$` at `i`: push what it opens; return how many bytes it takes.
fn dollar(b: &[u8], i: usize, stack: &mut Vec<(Ctx, usize)>) -> usize {
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(b'('), Some(b'(')) => {
            stack.push((Ctx::Arith, i));
            3
        }
        (Some(b'('), _) => {
            stack.push((Ctx::Subst, i));
            2
        }
        (Some(b'{'), _) => {
            stack.push((Ctx::Param, i));
            2
        }
        (Some(b'\''), _) if stack.last().is_none_or(|(c, _)| c.is_code()) => {
            stack.push((Ctx::AnsiC, i));
            2
        }
        _ => 1,
    }
}

fn flush_word(text: &str, word: &mut Option<(usize, bool)>, end: usize, tokens: &mut Vec<Tok>) {
    if let Some((start, quoted)) = word.take() {
        push_tok(tokens, text, TokKind::Word, start, end, quoted);
    }
}

fn push_tok(tokens: &mut Vec<Tok>, text: &str, kind: TokKind, start: usize, end: usize, quoted: bool) {
    tokens.push(Tok {
        kind,
        text: text.get(start..end).unwrap_or("").to_string(),
        start,
        end,
        quoted,
        next: text.as_bytes().get(end).copied(),
    });
}

/// Skip the bodies of pending here-documents that start at `i`; return the offset after them.
fn skip_heredocs(text: &str, mut i: usize, heredocs: &mut Vec<(String, bool)>) -> usize {
    for (delim, _dash) in heredocs.drain(..) {
        loop {
            if i >= text.len() {
                return text.len();
            }
            let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
            // Indentation is lenient: list items and `<<-` both indent the delimiter.
            let done = text[i..end].trim() == delim;
            i = (end + 1).min(text.len());
            if done {
                break;
            }
        }
    }
    i
}

/// The shell text of a command block, ready to scan: console output lines and `$ ` prompts
/// blanked (offsets are kept, so offsets into the result are offsets into `block.text`).
pub(crate) fn shell_text(block: &StepBlock) -> String {
    let text = &block.text;
    let prompts = matches!(block.lang.as_str(), "console" | "shell-session" | "shellsession" | "terminal")
        || text.lines().any(|l| l.trim_start().starts_with("$ "));
    if !prompts {
        return text.clone();
    }
    let mut out = String::with_capacity(text.len());
    let mut continued = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix("$ ") {
            out.push_str(&line[..lead]);
            out.push_str("  ");
            out.push_str(rest);
            continued = rest.trim_end().ends_with('\\');
        } else if continued {
            out.push_str(line);
            continued = line.trim_end().ends_with('\\');
        } else {
            out.extend(line.bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }));
        }
    }
    out
}

/// Every command block of the runbook with its scannable text and its scan.
pub(crate) fn scanned_blocks(ctx: &LintContext<'_>, mut f: impl FnMut(&StepBlock, &str, &Scan)) {
    for step in &ctx.runbook.steps {
        for block in step.blocks.iter().filter(|b| b.kind == BlockKind::Command) {
            let text = shell_text(block);
            let scan = scan(&text);
            f(block, &text, &scan);
        }
    }
}

/// Source span of a range of a block's text that stays on one line.
pub(crate) fn block_span(block: &StepBlock, start: usize, end: usize) -> Span {
    block.map.span(start, end.max(start))
}

/// From `start` to the end of its line, in a block's text.
pub(crate) fn to_line_end(text: &str, start: usize) -> usize {
    let start = start.min(text.len());
    text[start..].find('\n').map_or(text.len(), |e| start + e).max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_map_follows_continuations_and_indentation() {
        let source = "x\n   cf push app \\\n     -f m.yml\n";
        let offset = source.find("cf").unwrap();
        let text = "cf push app -f m.yml";
        let map = TextMap::new(source, text, offset);
        let s = map.span(12, 14);
        assert_eq!(&source[s.start..s.end], "-f");
        let s = map.span(0, 2);
        assert_eq!(&source[s.start..s.end], "cf");
        let source = "cf a\\\n--b c";
        let map = TextMap::new(source, "cf a --b c", 0);
        let s = map.span(5, 8);
        assert_eq!(&source[s.start..s.end], "--b");
    }

    #[test]
    fn scanner_quotes_and_substitutions() {
        let s = scan(r#"cf bs A S -c `{"p": "X"}`"#);
        assert!(s.unclosed.is_empty());
        assert_eq!(s.substitutions.len(), 1);
        assert!(s.substitutions[0].backtick);
        let s = scan(r#"echo "$(cat "a b")" 'it''s' "x\"y""#);
        assert!(s.unclosed.is_empty(), "{:?}", s.unclosed);
        assert_eq!(s.substitutions.len(), 1);
        let s = scan("echo 'open");
        assert_eq!(s.unclosed, vec![(Ctx::Single, 5)]);
        let s = scan("echo $(date");
        assert_eq!(s.unclosed, vec![(Ctx::Subst, 5)]);
        let s = scan("echo ${HOME");
        assert_eq!(s.unclosed, vec![(Ctx::Param, 5)]);
        let s = scan("echo $((1 + (2 * 3))) $'it\\'s' # don't\n");
        assert!(s.unclosed.is_empty(), "{:?}", s.unclosed);
    }

    #[test]
    fn scanner_skips_heredocs_and_redirections() {
        let s = scan("cat > f <<'EOF'\ndon't\nEOF\necho done 2>&1 | tee x &>/dev/null\n");
        assert!(s.unclosed.is_empty());
        let ops: Vec<&str> = s.tokens.iter().filter(|t| t.kind == TokKind::Op).map(|t| t.text.as_str()).collect();
        assert_eq!(ops, ["|"]);
        let s = scan("cf bind-service A S -c <json.file>");
        assert!(s.unclosed.is_empty());
    }

    #[test]
    fn scanner_tokens() {
        let s = scan("if [ -f x ]; then (cd d && ls); fi\na=(1 2) x=$(a b)");
        let t: Vec<&str> = s.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            t,
            [
                "if", "[", "-f", "x", "]", ";", "then", "(", "cd", "d", "&&", "ls", ")", ";", "fi", "\n", "a=(1 2)",
                "x=$(a b)"
            ]
        );
    }

    #[test]
    fn rules_never_panic_on_odd_input() {
        let inputs = [
            "```bash\necho \\é \"\\é\" '\\' $'\\é' `\\é` $(\\é) ${é\\}\n```\n",
            "```bash\ncat <<< \"$x\"\necho ok é\n```\n",
            "```bash\ncf\ncf -\ncf push -\ncf push --=x -=\ncf set-env a b c d e f é\n```\n",
            "```bash\n$(\n`\n${\n(\n)\n|\n&&\n;;\nfi\ndone\nesac\n\\\n```\n",
            "1. x\n   ```bash\n   cf push é \\\n     -f é.yml \\\n   ```\n",
            "`cf env é` and `echo 'é`\n\n```python\nprint(f\"{é!r:>{w}}\", 'é\\\n```\n",
            "```yaml\napplications:\n- env:\n    TOKEN: 'é\n    é: \"\n```\n",
            "```bash\ncf create-service-key a b -c\ncf login -p\ncf auth\n```\n",
        ];
        let rules = super::super::rules().into_iter().chain(crate::lint::rules::secrets::rules());
        for rule in rules {
            for text in inputs {
                let _ = crate::lint::check_text(text, rule);
            }
        }
    }

    #[test]
    fn here_strings_are_not_heredocs() {
        let s = scan("cat <<< \"$x\"\necho 'open");
        assert_eq!(s.unclosed, vec![(Ctx::Single, 18)]);
    }

    #[test]
    fn prompts_and_output_are_blanked() {
        let block = StepBlock {
            kind: BlockKind::Command,
            lang: "console".into(),
            inline: false,
            text: "$ cf apps\nName  it's\n".into(),
            file: None,
            output_of: None,
            expect_exit: None,
            commands: vec![],
            allow: vec![],
            span: Span::default(),
            content_start: 0,
            map: crate::source::OffsetMap::contiguous(0),
        };
        let t = shell_text(&block);
        assert_eq!(t.len(), block.text.len());
        assert!(scan(&t).unclosed.is_empty());
        assert!(t.starts_with("  cf apps\n"));
    }
}
