//! Helpers shared by the secret rules: what names and values are secret, the pieces of a
//! runbook to scan (blocks and inline code), and a small Python tokenizer.

use std::sync::LazyLock;

use regex::Regex;

use crate::lint::LintContext;
use crate::markdown::BlockKind as MdBlock;
use crate::params::Placeholder;
use crate::source::{OffsetMap, Span};
use crate::steps::{BlockKind, StepBlock, looks_like_command};

/// Lower-case words of an identifier: `awsSecretAccessKey`, `AWS_SECRET_ACCESS_KEY` and
/// `aws-secret-access-key` all give `aws secret access key`.
pub(crate) fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

const SECRET_WORDS: &[&str] =
    &["password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "secretkey", "accesskey"];
const SECRET_PAIRS: &[(&str, &str)] =
    &[("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"), ("client", "secret")];
/// A last word that makes the name describe a secret rather than hold one.
const NOT_SECRET_LAST: &[&str] = &[
    "url",
    "uri",
    "file",
    "path",
    "name",
    "type",
    "length",
    "len",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "endpoint",
    "header",
    "field",
    "count",
    "limit",
    "prefix",
    "suffix",
    "env",
    "var",
    "variable",
    "ref",
    "source",
    "location",
    "dir",
    "directory",
    "mode",
    "required",
    "enabled",
    "hint",
    "prompt",
    "label",
    "policy",
    "format",
    "version",
    "arn",
    "rotation",
    "id",
    "ids",
    "names",
    "store",
    "manager",
    "provider",
    "scope",
    "scopes",
    "description",
    "help",
];

/// Whether a variable, key or environment name holds a secret: `password`, `api_key`,
/// `AWS_SECRET_ACCESS_KEY`, `aws_access_key_id`, `GITHUB_TOKEN` (not `token_url`, `secret_name`).
pub(crate) fn secret_name(name: &str) -> bool {
    let words = name_words(name);
    let Some(last) = words.last() else { return false };
    let pair = |a: &str, b: &str| words.windows(2).any(|w| w[0] == a && w[1] == b);
    // `aws_access_key_id` is named as a secret by every AWS tool.
    if pair("access", "key") && last == "id" && words.iter().any(|w| w == "aws") {
        return true;
    }
    if NOT_SECRET_LAST.contains(&last.as_str()) {
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str())) || SECRET_PAIRS.iter().any(|(a, b)| pair(a, b))
}

/// Whether printing a variable of this name shows a credential: secret names, key ids and
/// whole credential objects (`credentials`, `creds`, `vcap_services`).
pub(crate) fn credential_name(name: &str) -> bool {
    let words = name_words(name);
    secret_name(name)
        || words.iter().any(|w| matches!(w.as_str(), "credentials" | "credential" | "creds" | "vcap"))
        || words.windows(2).any(|w| w[0] == "key" && w[1] == "id")
}

/// Whether an environment variable holds a secret or credentials (`VCAP_SERVICES`).
pub(crate) fn secret_env(name: &str) -> bool {
    crate::params::secret_by_name(&name.to_ascii_uppercase()) || name == "VCAP_SERVICES"
}

static CAPS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9]*(?:[_.\-][A-Z0-9]+)*$").unwrap());
pub(crate) static AWS_KEY_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b").unwrap());
static MASK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[*xX•.…#-]{3,}$").unwrap());
static REDACTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^[\[<(]?\s*(?:redacted|hidden|masked|secret|sensitive)\s*[\]>)]?$").unwrap());
static PROSE_PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:your|my|the)[-_ ]|[-_ ]here$|^(?:xxx|changeme|placeholder)").unwrap());

/// Whether a value stands for a secret instead of being one: a placeholder (`ACCESS_KEY_ID`,
/// `<TOKEN>`, `{{ token }}`), a reference (`$TOKEN`, `${{ secrets.TOKEN }}`, `((token))`),
/// a redaction (`[redacted]`, `***`) or nothing.
pub(crate) fn stands_for_secret(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if v.is_empty() {
        return true;
    }
    if v.starts_with('$')
        || v.starts_with('%')
        || v.contains("{{")
        || v.contains("((")
        || v.contains("${")
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('{') && v.ends_with('}'))
    {
        return true;
    }
    if MASK.is_match(v) || REDACTED.is_match(v) || PROSE_PLACEHOLDER.is_match(v) {
        return true;
    }
    if CAPS.is_match(v) && !AWS_KEY_ID.is_match(v) && (v.contains(['_', '-', '.']) || !v.contains(char::is_numeric)) {
        return true;
    }
    if v.starts_with("secrets.") || v.starts_with("env.") || v.starts_with("vars.") || v.contains("os.environ") {
        return true;
    }
    matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "null" | "none" | "~" | "yes" | "no")
}

/// A value that documentation uses as an example (`AKIAIOSFODNN7EXAMPLE`).
pub(crate) fn documented_example(value: &str) -> bool {
    value.to_ascii_lowercase().contains("example")
}

/// The placeholder that this span is (quotes around it allowed), if any.
pub(crate) fn placeholder_at<'p>(ctx: &'p LintContext<'_>, span: Span) -> Option<&'p Placeholder> {
    ctx.params.placeholders.iter().find(|p| {
        p.uses.iter().any(|u| {
            !u.via_env && u.span.start <= span.start + 1 && u.span.end + 1 >= span.end && u.span.end > span.start
        })
    })
}

/// What a piece of text is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Python,
    Shell,
    /// JSON, YAML, TOML, `.env`, output samples, prose code.
    Data,
}

/// A piece of the runbook to scan: a block of a step or an inline code span.
pub(crate) struct Unit<'a> {
    pub text: &'a str,
    pub map: OffsetMap,
    pub lang: Lang,
    pub block: Option<&'a StepBlock>,
}

impl Unit<'_> {
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        self.map.span(start, end)
    }
}

/// Whether a block holds Python.
pub(crate) fn is_python(block: &StepBlock) -> bool {
    matches!(block.lang.to_ascii_lowercase().as_str(), "python" | "py" | "python3")
        || (block.kind == BlockKind::Code && block.lang.is_empty())
        || block
            .file
            .as_deref()
            .is_some_and(|f| std::path::Path::new(f).extension().is_some_and(|e| e.eq_ignore_ascii_case("py")))
}

/// Every block of every step (inline commands excepted) and every inline code span of prose
/// outside ignored blocks.
pub(crate) fn units<'a>(ctx: &'a LintContext<'_>) -> Vec<Unit<'a>> {
    let mut out = Vec::new();
    for step in &ctx.runbook.steps {
        for block in step.blocks.iter().filter(|b| !b.inline) {
            let lang = if is_python(block) {
                Lang::Python
            } else if block.kind == BlockKind::Command {
                Lang::Shell
            } else {
                Lang::Data
            };
            out.push(Unit { text: &block.text, map: block.map.clone(), lang, block: Some(block) });
        }
    }
    let source = &ctx.runbook.source.text;
    for block in &ctx.runbook.document.blocks {
        let MdBlock::Paragraph(p) = &block.kind else { continue };
        if block.annotation.as_ref().is_some_and(|a| a.ignore) {
            continue;
        }
        for code in &p.code_spans {
            let raw = source.get(code.span.start..code.span.end).unwrap_or("");
            let offset = code.span.start + raw.find(code.text.as_str()).unwrap_or(0);
            let lang = if looks_like_command(&code.text) { Lang::Shell } else { Lang::Data };
            out.push(Unit { text: &code.text, map: OffsetMap::contiguous(offset), lang, block: None });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Python tokens
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PyKind {
    Name,
    /// A string literal; `f` for f-strings; `value` is the text between the quotes.
    Str {
        f: bool,
        value: (usize, usize),
    },
    Op,
    Number,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PyTok {
    pub kind: PyKind,
    pub start: usize,
    pub end: usize,
}

impl PyTok {
    pub(crate) fn text<'t>(&self, src: &'t str) -> &'t str {
        src.get(self.start..self.end).unwrap_or("")
    }

    pub(crate) fn is_op(&self, src: &str, op: &str) -> bool {
        self.kind == PyKind::Op && self.text(src) == op
    }

    /// The string's content, for a string literal.
    pub(crate) fn str_value<'t>(&self, src: &'t str) -> Option<&'t str> {
        match self.kind {
            PyKind::Str { value, .. } => src.get(value.0..value.1),
            _ => None,
        }
    }
}

/// Tokens of Python source (comments dropped). Lenient: never fails.
pub(crate) fn py_tokens(src: &str) -> Vec<PyTok> {
    let bytes = src.as_bytes();
    let n = bytes.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = bytes[i];
        if c.is_ascii_whitespace() || c == b'\\' {
            i += 1;
            continue;
        }
        if c == b'#' {
            while i < n && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < n && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80) {
                i += 1;
            }
            let word = &src[start..i];
            if i < n
                && matches!(bytes[i], b'\'' | b'"')
                && word.len() <= 2
                && word.chars().all(|c| "rRbBuUfF".contains(c))
            {
                let f = word.contains(['f', 'F']);
                let (end, value) = string_end(bytes, i);
                out.push(PyTok { kind: PyKind::Str { f, value }, start, end });
                i = end;
                continue;
            }
            out.push(PyTok { kind: PyKind::Name, start, end: i });
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < n && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_') {
                i += 1;
            }
            out.push(PyTok { kind: PyKind::Number, start, end: i });
            continue;
        }
        if matches!(c, b'\'' | b'"') {
            let (end, value) = string_end(bytes, i);
            out.push(PyTok { kind: PyKind::Str { f: false, value }, start: i, end });
            i = end;
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let len = if ["==", "!=", "<=", ">=", "**", "//", "->", ":=", "+=", "-="].contains(&two) { 2 } else { 1 };
        let end = i + len;
        out.push(PyTok { kind: PyKind::Op, start: i, end });
        i = end;
    }
    out
}

/// End of the string literal whose opening quote is at `q`, and its content range.
fn string_end(b: &[u8], q: usize) -> (usize, (usize, usize)) {
    let quote = b[q];
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    let open = if triple { 3 } else { 1 };
    let mut i = q + open;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if !triple && b[i] == b'\n' {
            return (i, (q + 1, i));
        }
        if b[i] == quote && (!triple || (b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote))) {
            return (i + open, (q + open, i));
        }
        i += 1;
    }
    (b.len(), (q + open, b.len()))
}

/// The expressions inside the `{…}` of an f-string's content (`{{` escapes skipped), as
/// ranges of `src`.
pub(crate) fn fstring_fields(src: &str, value: (usize, usize)) -> Vec<(usize, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = value.0;
    while i < value.1 {
        if b[i] == b'{' {
            if b.get(i + 1) == Some(&b'{') {
                i += 2;
                continue;
            }
            let start = i + 1;
            let mut depth = 1;
            let mut j = start;
            while j < value.1 && depth > 0 {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            let end = if depth == 0 { j - 1 } else { j };
            // `{value!r:>10}`: the expression ends at a top-level `!` or `:`.
            let expr_end = src[start..end].find(['!', ':']).map_or(end, |e| start + e);
            out.push((start, expr_end));
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// The index of the `)` closing the `(` at `open`.
pub(crate) fn closing(tokens: &[PyTok], src: &str, open: usize) -> usize {
    let mut depth = 0i32;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        if t.kind != PyKind::Op {
            continue;
        }
        match t.text(src) {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "password",
            "DB_PASSWORD",
            "api_key",
            "apiKey",
            "AWS_SECRET_ACCESS_KEY",
            "aws_access_key_id",
            "GITHUB_TOKEN",
            "client_secret",
            "secret",
        ] {
            assert!(secret_name(n), "{n}");
        }
        for n in [
            "token_url",
            "secret_name",
            "password_file",
            "max_tokens",
            "secrets",
            "bucket_name",
            "object_key",
            "key",
            "AWS_REGION",
            "key_id",
        ] {
            assert!(!secret_name(n), "{n}");
        }
        assert!(credential_name("key_id") && credential_name("credentials") && !credential_name("object_key"));
    }

    #[test]
    fn values_that_stand_for_secrets() {
        for v in [
            "",
            "ACCESS_KEY_ID",
            "<TOKEN>",
            "$TOKEN",
            "${TOKEN}",
            "${{ secrets.T }}",
            "((token))",
            "[redacted]",
            "***",
            "xxxx",
            "your-token-here",
            "{token}",
            "true",
        ] {
            assert!(stands_for_secret(v), "{v}");
        }
        for v in ["hunter2", "AKIAIOSFODNN7EXAMPLE", "s3cr3t-Value", "PASSWORD1"] {
            assert!(!stands_for_secret(v), "{v}");
        }
    }

    #[test]
    fn python_tokens_and_fstrings() {
        let src = "print(f\"key {creds['a']!r} {{x}}\", b'x', \"\"\"a\nb\"\"\") # c";
        let t = py_tokens(src);
        assert_eq!(t[0].text(src), "print");
        let PyKind::Str { f: true, value } = t[2].kind else { panic!("{t:?}") };
        let fields = fstring_fields(src, value);
        assert_eq!(fields.iter().map(|&(a, b)| &src[a..b]).collect::<Vec<_>>(), ["creds['a']"]);
        assert_eq!(closing(&t, src, 1), t.len() - 1);
    }
}
