//! Values for placeholders, read from where the user gave them, each with its [`Origin`].
//!
//! Sources, highest precedence first:
//! 1. `--set NAME=VALUE`, `--set NAME=@file`, `--set NAME=-` (stdin) — [`parse_set`];
//! 2. `--vars FILE` values files, later files winning over earlier ones — [`read_vars_file`]
//!    (`.json` flat object, `.toml` flat table, anything else dotenv lines);
//! 3. environment variables `RUNBOOK_VAR_<NAME>` — [`from_env`];
//! 4. the placeholder's declared default;
//! 5. a value captured from an earlier step.
//!
//! This module reads the first three and combines sources with [`merge`]; [`Origin`] also names
//! the last two (and interactive prompts) for the callers that supply them. It never decides
//! which names are placeholders and never validates kinds: values are data, newlines and shell
//! metacharacters included. Values may be secrets, so no error message, `Debug` output or panic
//! here ever contains one: errors name the variable and the file:line instead.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Where a value came from. Serializes as its `Display` text, e.g. `vars.env:3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--set NAME=VALUE`.
    Set,
    /// `--set NAME=@path`.
    SetFile(PathBuf),
    /// `--set NAME=-`.
    Stdin,
    /// A `--vars` file; `line` is 1-based.
    VarsFile { path: PathBuf, line: usize },
    /// The full environment variable name, e.g. `RUNBOOK_VAR_APP_NAME`.
    Env(String),
    /// The placeholder's declared default.
    Default,
    /// Captured by a step (e.g. `s3/4`).
    Capture(String),
    /// The file the runbook writes in that step (a file placeholder).
    File(String),
    /// Typed in at a prompt.
    Prompt,
    /// Supplied by a rehearsal's stand-in service (`rehearsal service s3`).
    Rehearsal(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Set => f.write_str("--set"),
            Origin::SetFile(path) => write!(f, "--set @{}", path.display()),
            Origin::Stdin => f.write_str("stdin"),
            Origin::VarsFile { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env(var) => write!(f, "environment {var}"),
            Origin::Default => f.write_str("default"),
            Origin::Capture(step) => write!(f, "capture from step {step}"),
            Origin::File(step) => write!(f, "file written by step {step}"),
            Origin::Prompt => f.write_str("prompt"),
            Origin::Rehearsal(what) => f.write_str(what),
        }
    }
}

impl serde::Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A value and where it came from. Debug never prints the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Given {
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

impl fmt::Debug for Given {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Given")
            .field("name", &self.name)
            .field("value", &format_args!("…"))
            .field("origin", &self.origin)
            .finish()
    }
}

const NAME_RULE: &str = "names start with a letter or `_` and hold only letters, digits, `_`, `-` and `.`";
const NUL_MESSAGE: &str = "values cannot contain NUL bytes";
const ENV_PREFIX: &str = "RUNBOOK_VAR_";

/// `^[A-Za-z_][A-Za-z0-9_.-]*$`
fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `--set NAME=VALUE`, `--set NAME=@file` (value read from the file, one trailing newline
/// stripped), `--set NAME=@@text` (the literal value `@text`), `--set NAME=-` (value read from
/// `stdin`, one trailing newline stripped; allowing only one `-` per invocation is the caller's
/// concern).
pub fn parse_set(arg: &str, stdin: &mut dyn Read) -> Result<Given, Error> {
    // The argument is never echoed whole: without `=` it may be a bare secret.
    let bad = |name: &str, message: String| Error::BadSet { name: name.to_string(), message };
    let Some((name, raw)) = arg.split_once('=') else {
        return Err(bad("<arg>", "expected NAME=VALUE".into()));
    };
    if name.is_empty() {
        return Err(bad("<arg>", "the name before `=` is empty".into()));
    }
    if !valid_name(name) {
        return Err(bad(name, format!("invalid name: {NAME_RULE}")));
    }
    let (bytes, origin) = if let Some(literal) = raw.strip_prefix("@@") {
        (format!("@{literal}").into_bytes(), Origin::Set)
    } else if let Some(file) = raw.strip_prefix('@') {
        if file.is_empty() {
            return Err(bad(name, "expected a file path after `@`".into()));
        }
        let path = PathBuf::from(file);
        if path.is_dir() {
            return Err(bad(name, format!("{}: is a directory, expected a file", path.display())));
        }
        let bytes = std::fs::read(&path).map_err(|e| bad(name, Error::io(&path, &e).to_string()))?;
        (strip_newline(bytes), Origin::SetFile(path))
    } else if raw == "-" {
        let mut bytes = Vec::new();
        stdin.read_to_end(&mut bytes).map_err(|e| bad(name, format!("cannot read stdin: {}", e.kind())))?;
        (strip_newline(bytes), Origin::Stdin)
    } else {
        (raw.as_bytes().to_vec(), Origin::Set)
    };
    let value =
        String::from_utf8(bytes).map_err(|_| bad(name, format!("the value from {origin} is not valid UTF-8")))?;
    if value.contains('\0') {
        return Err(bad(name, NUL_MESSAGE.into()));
    }
    Ok(Given { name: name.to_string(), value, origin })
}

/// Removes one trailing `\n` or `\r\n`.
fn strip_newline(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    bytes
}

/// Read a values file; the format follows the extension: `.json` (a flat object of strings,
/// numbers or booleans), `.toml` (a flat table of strings, numbers, booleans or datetimes),
/// anything else as dotenv lines. Numbers and booleans keep their text (`42`, `true`). Values are
/// returned in file order, each with its line.
pub fn read_vars_file(path: &Path) -> Result<Vec<Given>, Error> {
    if path.is_dir() {
        return Err(Error::Unreadable {
            path: path.to_path_buf(),
            message: "is a directory, expected a values file".into(),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    let bad = |line, message: String| Error::BadVarsFile { path: path.to_path_buf(), line, message };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let offset = e.valid_up_to();
        bad(line_at(&bytes, offset), format!("invalid UTF-8 at byte offset {offset}"))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let entries = match ext.as_str() {
        "json" => json_entries(text),
        "toml" => toml_entries(text),
        _ => dotenv_entries(text),
    }
    .map_err(|(line, message)| bad(line, message))?;
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for (name, _, line) in &entries {
        if !valid_name(name) {
            return Err(bad(*line, format!("invalid name `{name}`: {NAME_RULE}")));
        }
        if let Some(first) = first_line.insert(name, *line) {
            return Err(bad(*line, format!("duplicate key `{name}` (first set on line {first})")));
        }
    }
    if let Some((name, _, line)) = entries.iter().find(|(_, value, _)| value.contains('\0')) {
        return Err(bad(*line, format!("the value of `{name}` contains a NUL byte; {NUL_MESSAGE}")));
    }
    let origin = |line| Origin::VarsFile { path: path.to_path_buf(), line };
    Ok(entries.into_iter().map(|(name, value, line)| Given { name, value, origin: origin(line) }).collect())
}

/// (name, value, line); an error is (line, message) and never holds a value.
type Entries = Result<Vec<(String, String, usize)>, (usize, String)>;

/// 1-based line of a byte offset.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

fn refused(name: &str, what: &str) -> String {
    format!("`{name}` is {what}; values must be strings, numbers or booleans")
}

/// `KEY=value` lines: optional `export `, `#` comments, blank lines, `'literal'`, `"escaped"`
/// (`\n \r \t \" \\ \$`; both quotes may span lines), unquoted values trimmed with ` #` comments
/// stripped.
fn dotenv_entries(text: &str) -> Entries {
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut out = Vec::new();
    let mut next = 0;
    while next < lines.len() {
        let line_no = next + 1;
        let line = lines[next].trim_start();
        next += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, rest)) = line.split_once('=') else {
            return Err((line_no, "expected NAME=VALUE".into()));
        };
        let name = name.trim_end();
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let Some((value, after)) = quoted(&rest[1..], quote, &lines, &mut next) else {
                    return Err((line_no, format!("the value of `{name}` has no closing {quote}")));
                };
                let after = after.trim_start();
                if !after.is_empty() && !after.starts_with('#') {
                    return Err((next, format!("unexpected text after the closing quote of `{name}`")));
                }
                value
            }
            _ => {
                let end = rest.find(" #").or_else(|| rest.find("\t#")).unwrap_or(rest.len());
                rest[..end].trim_end().to_string()
            }
        };
        out.push((name.to_string(), value, line_no));
    }
    Ok(out)
}

/// A quoted value from just after its opening quote, continuing on the following lines until the
/// closing quote; returns the value and the text after the closing quote.
fn quoted<'a>(first: &'a str, quote: char, lines: &[&'a str], next: &mut usize) -> Option<(String, &'a str)> {
    let mut value = String::new();
    let mut current = first;
    loop {
        let mut chars = current.char_indices();
        while let Some((at, c)) = chars.next() {
            if c == quote {
                return Some((value, &current[at + 1..]));
            }
            if c != '\\' || quote == '\'' {
                value.push(c);
                continue;
            }
            match chars.next().map(|(_, e)| e) {
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('t') => value.push('\t'),
                Some(e @ ('"' | '\\' | '$')) => value.push(e),
                Some(other) => value.extend(['\\', other]),
                None => value.push('\\'),
            }
        }
        current = lines.get(*next)?;
        *next += 1;
        value.push('\n');
    }
}

/// A flat JSON object. serde_json checks the syntax (its messages never quote the input); a small
/// scan of the now-valid text then finds each key in order with its line and raw value, which
/// also catches duplicate keys (serde_json keeps the last silently).
fn json_entries(text: &str) -> Entries {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let message = e.to_string();
        let message = message.rfind(" at line ").map_or(message.as_str(), |at| &message[..at]);
        return Err((e.line().max(1), format!("invalid JSON: {message}")));
    }
    let b = text.as_bytes();
    let skip_ws = |mut at: usize| {
        while at < b.len() && b[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    // Index just past the value (or quoted key) starting at `start`.
    let skip_value = |start: usize| {
        let (mut depth, mut in_string, mut at) = (0usize, false, start);
        while let Some(&c) = b.get(at) {
            match (in_string, c) {
                (true, b'\\') => at += 1,
                (true, b'"') => in_string = false,
                (true, _) => {}
                (false, b'"') => in_string = true,
                (false, b'{' | b'[') => depth += 1,
                (false, b'}' | b']') if depth > 0 => depth -= 1,
                (false, b'}' | b']' | b',' | b':') if depth == 0 => return at,
                (false, c) if depth == 0 && c.is_ascii_whitespace() => return at,
                _ => {}
            }
            at += 1;
            if depth == 0 && !in_string && matches!(b[at - 1], b'"' | b'}' | b']') {
                return at;
            }
        }
        at
    };
    let mut at = skip_ws(0);
    if b.get(at) != Some(&b'{') {
        return Err((line_at(b, at), "expected a JSON object of NAME: value pairs".into()));
    }
    let decode = |raw: &str| serde_json::from_str::<String>(raw).unwrap_or_default();
    let mut out = Vec::new();
    at = skip_ws(at + 1);
    while b.get(at) == Some(&b'"') {
        let key_end = skip_value(at);
        let (name, line) = (decode(&text[at..key_end]), line_at(b, at));
        let start = skip_ws(skip_ws(key_end) + 1);
        let end = skip_value(start);
        let value = match b[start] {
            b'"' => decode(&text[start..end]),
            b'{' => return Err((line, refused(&name, "an object"))),
            b'[' => return Err((line, refused(&name, "an array"))),
            b'n' => return Err((line, refused(&name, "null"))),
            _ => text[start..end].to_string(),
        };
        out.push((name, value, line));
        at = skip_ws(end);
        if b.get(at) == Some(&b',') {
            at = skip_ws(at + 1);
        }
    }
    Ok(out)
}

/// A flat TOML table, parsed with spans for lines. Messages come from `message()`, never from the
/// `Display` of the error, which quotes the offending source line.
fn toml_entries(text: &str) -> Entries {
    use toml::de::{DeTable, DeValue};
    let (table, errors) = DeTable::parse_recoverable(text);
    let table = table.into_inner();
    let mut keys: Vec<_> = table.iter().collect();
    keys.sort_by_key(|(key, _)| key.span().start);
    if let Some(err) = errors.first() {
        let span = err.span().unwrap_or(0..0);
        let line = line_at(text.as_bytes(), span.start);
        if err.message().starts_with("duplicate key") {
            let raw = text.get(span).unwrap_or("");
            let name = if raw.starts_with(['"', '\'']) {
                DeValue::parse(raw).ok().and_then(|v| v.get_ref().as_str().map(str::to_string)).unwrap_or_default()
            } else {
                raw.to_string()
            };
            let first = keys.iter().find(|(key, _)| key.get_ref() == &name);
            return Err(match first {
                Some((key, _)) => {
                    let first = line_at(text.as_bytes(), key.span().start);
                    (line, format!("duplicate key `{name}` (first set on line {first})"))
                }
                None => (line, format!("duplicate key `{name}`")),
            });
        }
        return Err((line, format!("invalid TOML: {}", err.message())));
    }
    keys.into_iter()
        .map(|(key, value)| {
            let (name, line) = (key.get_ref().to_string(), line_at(text.as_bytes(), key.span().start));
            let value = match value.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => {
                    i64::from_str_radix(i.as_str(), i.radix()).map_or_else(|_| i.to_string(), |n| n.to_string())
                }
                DeValue::Float(f) => f.as_str().to_string(),
                DeValue::Boolean(v) => v.to_string(),
                DeValue::Datetime(d) => d.to_string(),
                DeValue::Array(_) => return Err((line, refused(&name, "an array"))),
                DeValue::Table(_) => {
                    return Err((line, refused(&name, "a table") + " (quote names holding dots: \"a.b\" = …)"));
                }
            };
            Ok((name, value, line))
        })
        .collect()
}

/// `RUNBOOK_VAR_<NAME>` variables from an environment (the CLI passes `std::env::vars_os()`).
/// NAME is kept as written; an empty NAME is ignored. Sorted by name.
pub fn from_env(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Result<Vec<Given>, Error> {
    let mut out = Vec::new();
    for (key, value) in vars {
        let Some(name) = key.to_str().and_then(|k| k.strip_prefix(ENV_PREFIX)).filter(|n| !n.is_empty()) else {
            continue;
        };
        let var = format!("{ENV_PREFIX}{name}");
        let Ok(value) = value.into_string() else {
            let message = format!("environment variable {var} is not valid UTF-8");
            return Err(Error::BadSet { name: name.to_string(), message });
        };
        out.push(Given { name: name.to_string(), value, origin: Origin::Env(var) });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Merges sources given lowest precedence first: later slices (and later entries) win. Returns one
/// `Given` per name in first-seen order, and for each override `(name, overridden, winner)`.
pub fn merge(sources: &[Vec<Given>]) -> (Vec<Given>, Vec<(String, Origin, Origin)>) {
    let mut merged: Vec<Given> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut twice = Vec::new();
    for given in sources.iter().flatten() {
        match index.get(&given.name) {
            Some(&at) => {
                let old = std::mem::replace(&mut merged[at], given.clone());
                twice.push((given.name.clone(), old.origin, given.origin.clone()));
            }
            None => {
                index.insert(given.name.clone(), merged.len());
                merged.push(given.clone());
            }
        }
    }
    (merged, twice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const SECRET: &str = "hunter2-s3cr3t";

    fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
    fn read(name: &str, content: &str) -> Result<Vec<(String, String, usize)>, String> {
        let dir = tempfile::tempdir().unwrap();
        let given = read_vars_file(&write(&dir, name, content.as_bytes())).map_err(|e| e.to_string())?;
        Ok(given
            .into_iter()
            .map(|g| match g.origin {
                Origin::VarsFile { line, .. } => (g.name, g.value, line),
                other => panic!("unexpected origin {other}"),
            })
            .collect())
    }
    /// Entries as `NAME="value"@line`, space-separated.
    fn ok(name: &str, content: &str) -> String {
        let entries = read(name, content).unwrap();
        entries.iter().map(|(n, v, line)| format!("{n}={v:?}@{line}")).collect::<Vec<_>>().join(" ")
    }
    fn err(name: &str, content: &str) -> String {
        let e = read(name, content).unwrap_err();
        e.split_once(": ").map(|(at, msg)| format!("{}: {msg}", at.rsplit(':').next().unwrap())).unwrap()
    }
    fn set(arg: &str) -> Result<Given, Error> {
        parse_set(arg, &mut Cursor::new(Vec::new()))
    }

    #[test]
    fn dotenv_syntax() {
        let text = "# comment\n\nA=plain\nexport B = spaced value  # note\nC='lit \\n $X # no'\r\n\
            D=\"esc \\n \\\" \\\\ \\t \\q\" # c\nE=\nF=a#b=c\nG=\"multi\nline\"\n  H='x' \nI=$(rm -rf /); `x` | y\n";
        let want = r#"A="plain"@3 B="spaced value"@4 C="lit \\n $X # no"@5 D="esc \n \" \\ \t \\q"@6 E=""@7 "#;
        assert_eq!(
            ok("v.env", text),
            [want, r#"F="a#b=c"@8 G="multi\nline"@9 H="x"@11 I="$(rm -rf /); `x` | y"@12"#].concat()
        );
        assert_eq!(ok("no-extension", "json.file=x"), r#"json.file="x"@1"#);
    }

    #[test]
    fn dotenv_errors() {
        assert_eq!(err("v.env", "A=1\nnot a pair\n"), "2: expected NAME=VALUE");
        assert_eq!(err("v.env", "A=1\n\nA=2\n"), "3: duplicate key `A` (first set on line 1)");
        assert_eq!(err("v.env", "A=1\nB=\"open\nmore\n"), "2: the value of `B` has no closing \"");
        assert_eq!(err("v.env", "B='x' y\n"), "1: unexpected text after the closing quote of `B`");
        assert!(err("v.env", "1A=x\n").starts_with("1: invalid name `1A`"));
        assert!(err("v.env", "A=1\nB=x\0y\n").starts_with("2: the value of `B` contains a NUL byte"));
    }

    #[test]
    fn json_files() {
        let text =
            "{\n  \"APP\": \"web\",\n  \"PORT\": 8080, \"ON\": true,\n  \"F\": 1.50,\n  \"K\\u0031\": \"a\\nb\"\n}";
        assert_eq!(ok("v.json", text), r#"APP="web"@2 PORT="8080"@3 ON="true"@3 F="1.50"@4 K1="a\nb"@5"#);
        assert_eq!(ok("v.JSON", "{}"), "");
        assert!(err("v.json", "{\"A\": 1,\n\"N\": {\"x\": 1}}").starts_with("2: `N` is an object"));
        assert!(err("v.json", "{\"L\": [1]}").starts_with("1: `L` is an array"));
        assert!(err("v.json", "{\"Z\": null}").starts_with("1: `Z` is null"));
        assert_eq!(err("v.json", "{\"A\": \"x\",\n\"B\": 2,\n\"A\": 3}"), "3: duplicate key `A` (first set on line 1)");
        assert_eq!(err("v.json", "{\"A\": 1,\n\"B\" 2}"), "2: invalid JSON: expected `:`");
        assert_eq!(err("v.json", "\n[1]"), "2: expected a JSON object of NAME: value pairs");
        assert!(err("v.json", "{\"A\": \"x\\u0000\"}").contains(NUL_MESSAGE));
    }

    #[test]
    fn toml_files() {
        let text =
            "APP = \"web\"\nPORT = 0xff\nBIG = 1_000\nF = 1.50\nON = false\n\"json.file\" = 'x'\nD = 1979-05-27\n";
        assert_eq!(
            ok("v.toml", text),
            r#"APP="web"@1 PORT="255"@2 BIG="1000"@3 F="1.50"@4 ON="false"@5 json.file="x"@6 D="1979-05-27"@7"#
        );
        assert_eq!(err("v.toml", "A = 1\nB = 2\n\"A\" = 3\n"), "3: duplicate key `A` (first set on line 1)");
        assert!(err("v.toml", "A = 1\n[sec]\nx = 1\n").starts_with("2: `sec` is a table"));
        assert!(err("v.toml", "a.b = 1\n").starts_with("1: `a` is a table"));
        assert!(err("v.toml", "L = [1, 2]\n").starts_with("1: `L` is an array"));
        assert!(err("v.toml", "A = 1\nB = \n").starts_with("2: invalid TOML"));
        assert!(err("v.toml", "A = \"\\u0000\"\n").contains(NUL_MESSAGE));
    }

    #[test]
    fn file_problems() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(&dir, "bad.env", b"A=1\nB=\xff\n");
        assert_eq!(
            read_vars_file(&bad).unwrap_err().to_string(),
            format!("{}:2: invalid UTF-8 at byte offset 6", bad.display())
        );
        assert!(matches!(read_vars_file(&dir.path().join("none.env")), Err(Error::NotFound { .. })));
        assert!(
            read_vars_file(dir.path()).unwrap_err().to_string().ends_with("is a directory, expected a values file")
        );
        assert_eq!(ok("bom.env", "\u{feff}A=1"), r#"A="1"@1"#);
    }

    #[test]
    fn set_arguments() {
        let g = set("APP_NAME=a=b; echo $X").unwrap();
        assert_eq!((g.name.as_str(), g.value.as_str(), g.origin), ("APP_NAME", "a=b; echo $X", Origin::Set));
        assert_eq!(set("A=").unwrap().value, "");
        assert_eq!(set("A=@@x").unwrap().value, "@x");
        assert_eq!(set("json.file-2=v").unwrap().name, "json.file-2");
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "val", b"line1\nline2\r\n\n");
        let g = set(&format!("A=@{}", path.display())).unwrap();
        assert_eq!((g.value.as_str(), g.origin), ("line1\nline2\r\n", Origin::SetFile(path)));
        let g = parse_set("A=-", &mut Cursor::new(b"from stdin\n".to_vec())).unwrap();
        assert_eq!((g.value.as_str(), g.origin), ("from stdin", Origin::Stdin));
        let msg = |arg: &str| set(arg).unwrap_err().to_string();
        assert_eq!(msg("NOEQUALS"), "--set <arg>: expected NAME=VALUE");
        assert_eq!(msg("=v"), "--set <arg>: the name before `=` is empty");
        assert!(msg("1A=v").starts_with("--set 1A: invalid name"));
        assert!(msg("A B=v").starts_with("--set A B: invalid name"));
        assert!(msg("A=@").contains("expected a file path"));
        let missing = dir.path().join("missing");
        assert_eq!(msg(&format!("A=@{}", missing.display())), format!("--set A: {}: no such file", missing.display()));
        assert!(msg(&format!("A=@{}", write(&dir, "bin", b"\xfe").display())).ends_with("is not valid UTF-8"));
        assert!(msg(&format!("A=@{}", write(&dir, "nul", b"a\0b").display())).ends_with(NUL_MESSAGE));
        assert!(msg(&format!("A=@{}", dir.path().display())).ends_with("is a directory, expected a file"));
    }

    #[test]
    fn environment() {
        let os = |k: &str, v: &str| (OsString::from(k), OsString::from(v));
        let vars = vec![
            os("RUNBOOK_VAR_ZED", "z"),
            os("PATH", "/bin"),
            os("RUNBOOK_VAR_", "x"),
            os("RUNBOOK_VAR_app.name", "a"),
        ];
        let got = from_env(vars).unwrap();
        assert_eq!(
            got.iter().map(|g| (g.name.as_str(), g.value.as_str())).collect::<Vec<_>>(),
            [("ZED", "z"), ("app.name", "a")]
        );
        assert_eq!(got[0].origin.to_string(), "environment RUNBOOK_VAR_ZED");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let bad = from_env([(OsString::from("RUNBOOK_VAR_K"), OsString::from_vec(b"\xff".to_vec()))]).unwrap_err();
            assert_eq!(bad.to_string(), "--set K: environment variable RUNBOOK_VAR_K is not valid UTF-8");
        }
    }

    #[test]
    fn merge_precedence() {
        let g = |name: &str, value: &str, origin: Origin| Given { name: name.into(), value: value.into(), origin };
        let env = vec![
            g("A", "env", Origin::Env("RUNBOOK_VAR_A".into())),
            g("B", "env", Origin::Env("RUNBOOK_VAR_B".into())),
        ];
        let file =
            vec![g("C", "file", Origin::VarsFile { path: "v.env".into(), line: 3 }), g("A", "file", Origin::Default)];
        let sets = vec![g("A", "set", Origin::Set)];
        let (merged, twice) = merge(&[env, file, sets]);
        let view: Vec<_> = merged.iter().map(|g| (g.name.as_str(), g.value.as_str())).collect();
        assert_eq!(view, [("A", "set"), ("B", "env"), ("C", "file")]);
        assert_eq!(
            twice,
            [
                ("A".into(), Origin::Env("RUNBOOK_VAR_A".into()), Origin::Default),
                ("A".into(), Origin::Default, Origin::Set)
            ]
        );
    }

    #[test]
    fn origins_display_and_serialize() {
        let all = [
            (Origin::Set, "--set"),
            (Origin::SetFile("k.pem".into()), "--set @k.pem"),
            (Origin::Stdin, "stdin"),
            (Origin::VarsFile { path: "vars.env".into(), line: 3 }, "vars.env:3"),
            (Origin::Default, "default"),
            (Origin::Capture("s3/4".into()), "capture from step s3/4"),
            (Origin::Prompt, "prompt"),
        ];
        for (origin, text) in all {
            assert_eq!(origin.to_string(), text);
            assert_eq!(serde_json::to_string(&origin).unwrap(), format!("\"{text}\""));
        }
    }

    #[test]
    fn secrets_never_leak() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = write(&dir, "secret", SECRET.as_bytes());
        let mut givens = vec![
            set(&format!("PASSWORD={SECRET}")).unwrap(),
            set(&format!("PASSWORD=@{}", secret_file.display())).unwrap(),
            parse_set("PASSWORD=-", &mut Cursor::new(SECRET.as_bytes().to_vec())).unwrap(),
        ];
        givens.extend(from_env([(OsString::from("RUNBOOK_VAR_PASSWORD"), OsString::from(SECRET))]).unwrap());
        for (name, text) in [("s.env", "P=x\n"), ("s.json", "{\"P\": \"x\"}"), ("s.toml", "P = 'x'")] {
            givens.extend(read_vars_file(&write(&dir, name, text.replace('x', SECRET).as_bytes())).unwrap());
        }
        assert_eq!(givens.len(), 7);
        for given in &givens {
            assert_eq!(given.value, SECRET);
            assert!(!format!("{given:?} {given:#?} {}", given.origin).contains(SECRET), "{given:?}");
        }
        let files = [
            ("d.env", "P=x\nP=x\n"),
            ("q.env", "P='x' x\n"),
            ("u.env", "P=\"x\n"),
            ("n.env", "P=x\0\n"),
            ("d.json", "{\"P\": \"x\", \"P\": \"x\"}"),
            ("s.json", "{\"P\": \"x\" \"Q\": 1}"),
            ("t.json", "\"x\""),
            ("o.json", "{\"P\": {\"x\": \"x\"}}"),
            ("d.toml", "P = \"x\"\nP = \"x\"\n"),
            ("s.toml", "P = \"x\" x\n"),
            ("u.toml", "P = \"x\n"),
            ("b.toml", "P = x\n"),
        ];
        let mut errors: Vec<Error> = files
            .iter()
            .map(|(name, text)| read_vars_file(&write(&dir, name, text.replace('x', SECRET).as_bytes())).unwrap_err())
            .collect();
        errors.push(set(SECRET).unwrap_err());
        errors.push(parse_set("P=-", &mut Cursor::new([SECRET.as_bytes(), b"\xff"].concat())).unwrap_err());
        errors.push(set(&format!("P={SECRET}\0")).unwrap_err());
        for error in &errors {
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains(SECRET) && !shown.contains("hunter"), "{shown}");
        }
    }
}
