//! Comparison of a step's real output with the output sample the runbook shows after the command.
//!
//! This module owns the *shape* of a sample ([`Shape`]: JSON, YAML or plain text), the matching
//! rules for each shape, and the readable [`Mismatch`] (a one-line summary and a short
//! unified-style diff) reported when the output does not fit its sample. Samples show example or
//! placeholder values, so every comparison is about structure and layout, never about values.
//!
//! It never runs processes, never prints, and never redacts: callers pass output that was already
//! captured and redacted, and decide how and where to show a mismatch.
//!
//! Rules, applied to both texts after `\r\n` becomes `\n` and ANSI escapes are removed:
//!
//! - **JSON** samples: after optional preamble lines, the rest is one JSON object or array. The
//!   output must contain a JSON document too: the first line starting with `{` or `[` from which
//!   a document parses and ends its line (at most [`MAX_JSON_ATTEMPTS`] such lines are tried; lines
//!   after the document are ignored). When the sample has a preamble, it is compared with the
//!   output's preamble by the text rules; when it has none, the output's preamble is not checked.
//!   Every key of every sample object must exist at the same path in the output (extra keys are
//!   fine); JSON types must agree, except that a placeholder-looking sample string (`<NAME>`,
//!   `${NAME}`, `{{ name }}`, `$NAME`, `SOME_NAME`, `xxxx`, `****`) matches any scalar, and a sample
//!   string `...` (or `…`) matches any value at all. Output array element `k` must fit sample element
//!   `k`, or the sample's first element when the sample shows fewer; an empty sample array or an
//!   empty output array always fits.
//! - **YAML** samples: not JSON, at least two lines, each one `key:`/`key: value` (plain identifier
//!   keys), a list item `- …`, a `# comment`, or the body of a `|`/`>` block scalar, with at least
//!   one key; and the whole parses as a mapping or a sequence of mappings. The output must parse
//!   as YAML (from its start, or else from its first unindented `key:` line) and is compared like
//!   JSON, except that YAML's implicit typing makes all scalars interchangeable and a sample `key:`
//!   without a value (null) matches anything.
//! - **Text** samples (everything else) are compared line by line, ignoring trailing whitespace
//!   and leading or trailing blank lines. A sample line `...` matches any number of output lines
//!   (none included); `[..]` inside a line matches any run of characters; a run of two or more
//!   spaces matches one or more spaces. Matching backtracks over `...` lines with O(1) extra
//!   memory and gives up (a mismatch) after [`MAX_LINE_COMPARISONS`] plus twice the output's line
//!   count line comparisons.
//!
//! Costs stay bounded: a 10 MB output compares in well under a second. YAML parsing is the slow
//! part, so an output over [`MAX_YAML_BYTES`] compared with a YAML sample is a mismatch.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Most lines in a [`Mismatch::diff`], the final `…` included.
const MAX_DIFF_LINES: usize = 40;
/// Longest line (in characters) shown in a diff before it is cut with `…`.
const MAX_DIFF_LINE_CHARS: usize = 160;
/// How many sample and output lines a text diff shows from the point of difference.
const DIFF_WINDOW: usize = 12;
/// How many matching output lines a text diff shows before the point of difference.
const DIFF_CONTEXT: usize = 3;
/// How many lines starting with `{` or `[` are tried as the start of a JSON document.
pub const MAX_JSON_ATTEMPTS: usize = 8;
/// Line comparisons a text match may make, on top of two per output line; beyond that the output
/// is reported as too long to compare. Lines are read in place (never collected), so memory stays independent of the output.
pub const MAX_LINE_COMPARISONS: usize = 2_000_000;
/// Largest output compared with a YAML sample (the YAML parser reads about 10 MB/s).
pub const MAX_YAML_BYTES: usize = 2 * 1024 * 1024;
/// Deeper YAML nesting is read as null (JSON nesting is capped at 128 by `serde_json`).
const MAX_YAML_DEPTH: usize = 128;

/// The result of comparing a step's real output with its sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// One line, lowercase, no trailing period, e.g. "output lacks the key `credentials.aws_region`
    /// shown in the sample" or "output differs from the sample at sample line 3".
    pub summary: String,
    /// A readable unified-style diff: lines prefixed "- " (expected, from the sample), "+ "
    /// (actual), "  " (context), at most 40 lines, with "…" where cut.
    pub diff: String,
}

/// How the sample was read (shown in transcripts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Json,
    Yaml,
    Text,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Yaml => "yaml",
            Self::Text => "text",
        }
    }
}

/// Which shape a sample has.
pub fn shape_of(sample: &str) -> Shape {
    let sample = normalize(sample);
    match Sample::read(&sample) {
        Sample::Json { .. } => Shape::Json,
        Sample::Yaml(_) => Shape::Yaml,
        Sample::Text => Shape::Text,
    }
}

/// Compare `actual` (a step's stdout, already redacted, UTF-8 lossy) with `sample`.
pub fn compare(sample: &str, actual: &str) -> Result<Shape, Mismatch> {
    let sample = normalize(sample);
    let actual = normalize(actual);
    match Sample::read(&sample) {
        Sample::Json { preamble, doc, node } => {
            let Some(found) = find_json(&actual) else {
                return Err(no_document(Flavor::Json, doc, &actual));
            };
            if !preamble.trim().is_empty() {
                compare_text(preamble, actual.get(..found.start).unwrap_or_default())?;
            }
            check_tree(&node, &found.node, Flavor::Json)?;
            Ok(Shape::Json)
        }
        Sample::Yaml(node) => {
            if actual.len() > MAX_YAML_BYTES {
                return Err(Mismatch {
                    summary: format!(
                        "output is too large to compare with a YAML sample (over {} MiB)",
                        MAX_YAML_BYTES / 1024 / 1024
                    ),
                    diff: head_diff(&sample, &actual),
                });
            }
            let Some(found) = find_yaml(&actual) else {
                return Err(no_document(Flavor::Yaml, &sample, &actual));
            };
            check_tree(&node, &found, Flavor::Yaml)?;
            Ok(Shape::Yaml)
        }
        Sample::Text => {
            compare_text(&sample, &actual)?;
            Ok(Shape::Text)
        }
    }
}

// ---------------------------------------------------------------- reading texts

static ANSI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)").expect("valid ANSI regex")
});

/// Removes ANSI escapes (colours, OSC hyperlinks) and turns `\r\n` into `\n`.
fn normalize(text: &str) -> Cow<'_, str> {
    let text = ANSI.replace_all(text, "");
    if text.contains("\r\n") { Cow::Owned(text.replace("\r\n", "\n")) } else { text }
}

/// A sample, read.
enum Sample<'a> {
    Json { preamble: &'a str, doc: &'a str, node: Node },
    Yaml(Node),
    Text,
}

impl<'a> Sample<'a> {
    fn read(sample: &'a str) -> Self {
        if let Some(found) = find_json(sample)
            && sample.get(found.end..).is_some_and(|rest| rest.trim().is_empty())
        {
            let preamble = sample.get(..found.start).unwrap_or_default();
            let doc = sample.get(found.start..found.end).unwrap_or_default();
            return Sample::Json { preamble, doc, node: found.node };
        }
        // `[..]` and a `...` line are text wildcards: a sample using them is text, not YAML.
        let wildcards = sample.contains("[..]") || sample.lines().any(|l| l.trim() == "...");
        if !wildcards
            && sample.len() <= MAX_YAML_BYTES
            && yaml_lines_ok(sample)
            && let Some(node) = parse_yaml(sample)
            && yaml_root_ok(&node)
        {
            return Sample::Yaml(node);
        }
        Sample::Text
    }
}

/// A JSON document found in a text.
struct Found {
    /// Byte offset of the line the document starts on (the end of the preamble).
    start: usize,
    /// Byte offset just past the document.
    end: usize,
    node: Node,
}

/// The first line starting with `{` or `[` from which a JSON document parses and ends its line
/// (`[1] Preparing` is not JSON; lines after the document are ignored). Tries at most
/// [`MAX_JSON_ATTEMPTS`] such lines.
fn find_json(text: &str) -> Option<Found> {
    let mut attempts = 0;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        let trimmed = line.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
            continue;
        }
        let mut stream = serde_json::Deserializer::from_str(text.get(line_start..)?).into_iter::<Node>();
        if let Some(Ok(node)) = stream.next() {
            let end = line_start + stream.byte_offset();
            let rest_of_line = text.get(end..).and_then(|rest| rest.split('\n').next()).unwrap_or_default();
            if rest_of_line.trim().is_empty() {
                return Some(Found { start: line_start, end, node });
            }
        }
        attempts += 1;
        if attempts >= MAX_JSON_ATTEMPTS {
            return None;
        }
    }
    None
}

static YAML_KEY_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-/]*:(?:[ \t]|$)").expect("valid key regex"));
static YAML_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$").expect("valid key regex"));

/// Whether every line of `sample` is a YAML key line, list item, comment or block-scalar body,
/// with at least two such lines and at least one key.
fn yaml_lines_ok(sample: &str) -> bool {
    let (mut lines, mut keys) = (0, 0);
    let mut block: Option<usize> = None;
    for raw in sample.split('\n') {
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if let Some(outer) = block {
            if indent > outer {
                lines += 1;
                continue;
            }
            block = None;
        }
        if body == "#" || body.starts_with("# ") {
            continue;
        }
        lines += 1;
        let mut rest = body;
        let mut item = false;
        while let Some(after) = rest.strip_prefix("- ") {
            item = true;
            rest = after.trim_start_matches(' ');
        }
        if rest == "-" {
            item = true;
            rest = "";
        }
        if rest.is_empty() && item {
            continue;
        }
        if let Some(key) = YAML_KEY_LINE.find(rest) {
            keys += 1;
            let value = rest[key.end()..].trim();
            if value.starts_with('|') || value.starts_with('>') {
                block = Some(indent);
            }
        } else if !item {
            return false;
        }
    }
    lines >= 2 && keys >= 1
}

/// A mapping with plain keys, or a non-empty sequence of such mappings.
fn yaml_root_ok(node: &Node) -> bool {
    let plain_map = |node: &Node| match node {
        Node::Map(entries) => !entries.is_empty() && entries.iter().all(|(key, _)| YAML_KEY.is_match(key)),
        _ => false,
    };
    match node {
        Node::List(items) => !items.is_empty() && items.iter().all(plain_map),
        _ => plain_map(node),
    }
}

/// The first YAML document of `text`, if it parses.
fn parse_yaml(text: &str) -> Option<Node> {
    let docs = Yaml::load_from_str(text).ok()?;
    docs.first().map(|doc| Node::from_yaml(doc, 0))
}

/// The output's YAML mapping or sequence: the whole text, or else from the first unindented
/// `key:` line (after a preamble).
fn find_yaml(text: &str) -> Option<Node> {
    let container = |node: &Node| matches!(node, Node::Map(_) | Node::List(_));
    if let Some(node) = parse_yaml(text).filter(container) {
        return Some(node);
    }
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if start > 0 && YAML_KEY_LINE.is_match(line.trim_end()) {
            return parse_yaml(text.get(start..)?).filter(container);
        }
        start += line.len();
    }
    None
}

// ---------------------------------------------------------------- structured documents

/// A JSON or YAML value, reduced to what shape matching needs. Maps keep document order and the
/// first of duplicate keys.
#[derive(Debug)]
enum Node {
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
    Str(String),
    Num,
    Bool,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

impl Kind {
    fn is_scalar(self) -> bool {
        !matches!(self, Kind::Object | Kind::Array)
    }
}

impl Node {
    fn map(entries: impl IntoIterator<Item = (String, Node)>) -> Node {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (key, value) in entries {
            if seen.insert(key.clone()) {
                out.push((key, value));
            }
        }
        Node::Map(out)
    }

    fn kind(&self) -> Kind {
        match self {
            Node::Map(_) => Kind::Object,
            Node::List(_) => Kind::Array,
            Node::Str(_) => Kind::String,
            Node::Num => Kind::Number,
            Node::Bool => Kind::Boolean,
            Node::Null => Kind::Null,
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn from_yaml(yaml: &Yaml<'_>, depth: usize) -> Node {
        if depth > MAX_YAML_DEPTH {
            return Node::Null;
        }
        match yaml {
            Yaml::Value(scalar) => match scalar {
                Scalar::Null => Node::Null,
                Scalar::Boolean(_) => Node::Bool,
                Scalar::Integer(_) | Scalar::FloatingPoint(_) => Node::Num,
                Scalar::String(s) => Node::Str(s.to_string()),
            },
            Yaml::Representation(s, _, _) => Node::Str(s.to_string()),
            Yaml::Sequence(items) => Node::List(items.iter().map(|item| Node::from_yaml(item, depth + 1)).collect()),
            Yaml::Mapping(entries) => {
                Node::map(entries.iter().map(|(k, v)| (yaml_key(k), Node::from_yaml(v, depth + 1))))
            }
            Yaml::Tagged(_, inner) => Node::from_yaml(inner, depth + 1),
            Yaml::Alias(_) | Yaml::BadValue => Node::Null,
        }
    }
}

fn yaml_key(key: &Yaml<'_>) -> String {
    match key {
        Yaml::Value(Scalar::String(s)) | Yaml::Representation(s, _, _) => s.to_string(),
        Yaml::Value(Scalar::Integer(i)) => i.to_string(),
        Yaml::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        Yaml::Value(Scalar::Boolean(b)) => b.to_string(),
        Yaml::Value(Scalar::Null) => "null".to_owned(),
        Yaml::Tagged(_, inner) => yaml_key(inner),
        _ => "<complex key>".to_owned(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Bool)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Num)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Num)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Num)
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Str(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::Str(value))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Node>()? {
            entries.push(entry);
        }
        Ok(Node::map(entries))
    }
}

/// JSON and YAML share the tree rules but name types differently and type YAML scalars loosely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Json,
    Yaml,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Json => "JSON",
            Flavor::Yaml => "YAML",
        }
    }

    fn kind_name(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Flavor::Json, Kind::Object) => "object",
            (Flavor::Json, Kind::Array) => "array",
            (Flavor::Json, Kind::String) => "string",
            (Flavor::Json, Kind::Number) => "number",
            (Flavor::Json, Kind::Boolean) => "boolean",
            (_, Kind::Null) => "null",
            (Flavor::Yaml, Kind::Object) => "mapping",
            (Flavor::Yaml, Kind::Array) => "sequence",
            (Flavor::Yaml, _) => "scalar",
        }
    }

    fn key_label(self, key: &str) -> String {
        match self {
            Flavor::Json => serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}")),
            Flavor::Yaml => key.to_owned(),
        }
    }
}

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:\.\.\.|…|\[\.\.\]|<[^<>]+>|\$\{[^{}]+\}|\{\{[^{}]+\}\}|\$[A-Za-z_][A-Za-z0-9_]*",
        r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[xX*]{3,})$",
    ))
    .expect("valid placeholder regex")
});

/// A sample string standing for any value: `...` or `…`.
fn is_elision(value: &str) -> bool {
    matches!(value.trim(), "..." | "…")
}

/// A sample string standing for any scalar: `<NAME>`, `${NAME}`, `SOME_NAME`, `xxxx`, ….
fn is_placeholder(value: &str) -> bool {
    PLACEHOLDER.is_match(value.trim())
}

/// One step of a path into a document.
#[derive(Clone, Copy, Debug)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Why an output tree does not fit a sample tree.
enum Fault<'a> {
    Missing(Vec<Seg<'a>>),
    Type { path: Vec<Seg<'a>>, expected: Kind, found: Kind },
}

fn check_tree(sample: &Node, actual: &Node, flavor: Flavor) -> Result<(), Mismatch> {
    let mut path = Vec::new();
    match check(sample, actual, flavor, &mut path) {
        Ok(()) => Ok(()),
        Err(Fault::Missing(path)) => Err(Mismatch {
            summary: format!("output lacks the key `{}` shown in the sample", path_label(&path)),
            diff: missing_diff(sample, actual, &path, flavor),
        }),
        Err(Fault::Type { path, expected, found }) => {
            let at = if path.is_empty() { "the top level".to_owned() } else { format!("`{}`", path_label(&path)) };
            Err(Mismatch {
                summary: format!(
                    "output has {} at {at} where the sample shows {}",
                    with_article(flavor.kind_name(found)),
                    with_article(flavor.kind_name(expected)),
                ),
                diff: type_diff(&path, flavor.kind_name(expected), flavor.kind_name(found), flavor),
            })
        }
    }
}

fn check<'s>(sample: &'s Node, actual: &Node, flavor: Flavor, path: &mut Vec<Seg<'s>>) -> Result<(), Fault<'s>> {
    match (sample, actual) {
        (Node::Str(value), _) if is_elision(value) => Ok(()),
        (Node::Null, _) if flavor == Flavor::Yaml => Ok(()),
        (Node::Map(entries), Node::Map(_)) => {
            for (key, expected) in entries {
                path.push(Seg::Key(key));
                let Some(found) = actual.get(key) else {
                    return Err(Fault::Missing(path.clone()));
                };
                check(expected, found, flavor, path)?;
                path.pop();
            }
            Ok(())
        }
        (Node::List(expected), Node::List(found)) => {
            let Some(first) = expected.first() else { return Ok(()) };
            for (index, item) in found.iter().enumerate() {
                path.push(Seg::Index(index));
                check(expected.get(index).unwrap_or(first), item, flavor, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => {
            let (expected, found) = (sample.kind(), actual.kind());
            let loose = expected.is_scalar()
                && found.is_scalar()
                && (flavor == Flavor::Yaml || matches!(sample, Node::Str(value) if is_placeholder(value)));
            if expected == found || loose { Ok(()) } else { Err(Fault::Type { path: path.clone(), expected, found }) }
        }
    }
}

/// `credentials.aws_region`, `apps[0].name`, `["odd.key"]`.
fn path_label(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) if !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Key(key) => {
                let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"));
                let _ = write!(out, "[{quoted}]");
            }
            Seg::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

fn with_article(name: &str) -> String {
    match name.chars().next() {
        _ if name == "null" => name.to_owned(),
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

/// The sample node a path leads to; array indices past the sample's elements use its first.
fn sample_at<'a>(mut node: &'a Node, path: &[Seg<'_>]) -> Option<&'a Node> {
    for seg in path {
        node = match (seg, node) {
            (Seg::Key(key), _) => node.get(key)?,
            (Seg::Index(index), Node::List(items)) => items.get(*index).or_else(|| items.first())?,
            _ => return None,
        };
    }
    Some(node)
}

/// Opens the parent of a failing path in a tree diff; returns the indent for its members and the
/// closing line, if any.
fn open_parent(
    diff: &mut Diff,
    parent: &[Seg<'_>],
    array: bool,
    flavor: Flavor,
) -> (&'static str, Option<&'static str>) {
    let label = path_label(parent);
    match flavor {
        Flavor::Json => {
            let (open, close) = if array { ("[", "]") } else { ("{", "}") };
            if label.is_empty() {
                diff.line("  ", open);
            } else {
                diff.line("  ", &format!("{label}: {open}"));
            }
            ("  ", Some(close))
        }
        Flavor::Yaml if label.is_empty() => ("", None),
        Flavor::Yaml => {
            diff.line("  ", &format!("{label}:"));
            ("  ", None)
        }
    }
}

fn missing_diff(sample: &Node, actual: &Node, path: &[Seg<'_>], flavor: Flavor) -> String {
    let mut diff = Diff::default();
    let parent = &path[..path.len().saturating_sub(1)];
    let expected = sample_at(sample, parent);
    let found = actual_at(actual, parent);
    let (Some(Node::Map(entries)), Some(found)) = (expected, found) else {
        diff.line("- ", &path_label(path));
        return diff.finish();
    };
    let (indent, close) = open_parent(&mut diff, parent, false, flavor);
    for (key, value) in entries {
        let prefix = if found.get(key).is_some() { "  " } else { "- " };
        let shown = match value {
            Node::Str(s) if is_elision(s) => "…",
            _ => flavor.kind_name(value.kind()),
        };
        diff.line(prefix, &format!("{indent}{}: {shown}", flavor.key_label(key)));
    }
    if let Some(close) = close {
        diff.line("  ", close);
    }
    diff.finish()
}

/// The output node a path leads to.
fn actual_at<'a>(mut node: &'a Node, path: &[Seg<'_>]) -> Option<&'a Node> {
    for seg in path {
        node = match (seg, node) {
            (Seg::Key(key), _) => node.get(key)?,
            (Seg::Index(index), Node::List(items)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

fn type_diff(path: &[Seg<'_>], expected: &str, found: &str, flavor: Flavor) -> String {
    let mut diff = Diff::default();
    let Some((last, parent)) = path.split_last() else {
        diff.line("- ", &format!("(top level): {expected}"));
        diff.line("+ ", &format!("(top level): {found}"));
        return diff.finish();
    };
    let (indent, close) = open_parent(&mut diff, parent, matches!(last, Seg::Index(_)), flavor);
    let member = match last {
        Seg::Key(key) => flavor.key_label(key),
        Seg::Index(index) => format!("[{index}]"),
    };
    diff.line("- ", &format!("{indent}{member}: {expected}"));
    diff.line("+ ", &format!("{indent}{member}: {found}"));
    if let Some(close) = close {
        diff.line("  ", close);
    }
    diff.finish()
}

/// The output holds no document of the sample's kind.
fn no_document(flavor: Flavor, doc: &str, actual: &str) -> Mismatch {
    let what = flavor.name();
    let summary = if actual.trim().is_empty() {
        format!("output is empty where the sample shows a {what} document")
    } else {
        format!("output has no {what} document where the sample shows one")
    };
    Mismatch { summary, diff: head_diff(doc, actual) }
}

/// The first lines of the sample's document and of the output.
fn head_diff(doc: &str, actual: &str) -> String {
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

// ---------------------------------------------------------------- text

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

fn compare_text(sample: &str, actual: &str) -> Result<(), Mismatch> {
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

// ---------------------------------------------------------------- diff text

/// Collects diff lines up to [`MAX_DIFF_LINES`], marking cuts with `…`.
#[derive(Default)]
struct Diff {
    lines: Vec<String>,
    cut: bool,
}

impl Diff {
    fn line(&mut self, prefix: &str, text: &str) {
        if self.lines.len() + 1 >= MAX_DIFF_LINES {
            self.cut = true;
            return;
        }
        let mut line = format!("{prefix}{}", clip(text));
        line.truncate(line.trim_end().len());
        self.lines.push(line);
    }

    fn gap(&mut self) {
        if self.lines.last().is_some_and(|l| l == "…") {
            return;
        }
        if self.lines.len() + 1 >= MAX_DIFF_LINES {
            self.cut = true;
            return;
        }
        self.lines.push("…".to_owned());
    }

    fn finish(mut self) -> String {
        if self.cut && self.lines.last().is_none_or(|l| l != "…") {
            self.lines.push("…".to_owned());
        }
        self.lines.join("\n")
    }
}

/// A line cut to [`MAX_DIFF_LINE_CHARS`] characters, with `…` where cut.
fn clip(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_DIFF_LINE_CHARS) {
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::*;

    fn mismatch(sample: &str, actual: &str) -> Mismatch {
        match compare(sample, actual) {
            Ok(shape) => panic!("expected a mismatch, got a {} match", shape.as_str()),
            Err(m) => m,
        }
    }

    fn diff_lines(m: &Mismatch) -> Vec<&str> {
        m.diff.lines().collect()
    }

    const KEY_SAMPLE: &str = r#"Getting key upload-key for service instance photo-store as robot@example.org...

{
  "credentials": {
    "access_key_id": "<ACCESS_KEY_ID>",
    "aws_region": "eu-west-3",
    "bucket": "photo-store-bucket",
    "port": 443,
    "tls": true,
    "endpoints": [{"host": "s3.example.net", "primary": true}]
  }
}
"#;

    const KEY_OUTPUT: &str = r#"Getting key upload-key for service instance photo-store as robot@example.org...

{
  "credentials": {
    "access_key_id": 1234567,
    "additional_buckets": [],
    "aws_region": "mars-north-1",
    "bucket": "cg-0f9e8d7c",
    "endpoints": [
      {"host": "a.example.net", "primary": true, "weight": 3},
      {"host": "b.example.net", "primary": false}
    ],
    "port": 9443,
    "tls": false,
    "uri": "s3://key:secret@a.example.net/cg-0f9e8d7c"
  }
}
"#;

    // ------------------------------------------------------------ shapes

    #[test]
    fn shapes_are_detected_and_named() {
        assert_eq!(shape_of(KEY_SAMPLE), Shape::Json);
        assert_eq!(shape_of("[1, 2]"), Shape::Json);
        assert_eq!(shape_of("name: web-app\ninstances: 2\n"), Shape::Yaml);
        assert_eq!(shape_of("- name: web\n  port: 80\n- name: api\n  port: 81\n"), Shape::Yaml);
        assert_eq!(shape_of("applications:\n- name: web\n  env:\n    MODE: fast\n"), Shape::Yaml);
        assert_eq!(shape_of("script: |\n  echo one\n  echo two\nnext: 1\n"), Shape::Yaml);
        assert_eq!(shape_of("OK\n"), Shape::Text);
        assert_eq!(shape_of("single: line"), Shape::Text);
        assert_eq!(shape_of("[..] uploading\n[..] done"), Shape::Text);
        assert_eq!(shape_of("{\"a\": 1}\ntrailing words"), Shape::Text);
        assert_eq!(shape_of("[1] step one\n{\"a\": 1}"), Shape::Json);
        assert_eq!(Shape::Json.as_str(), "json");
        assert_eq!(Shape::Yaml.as_str(), "yaml");
        assert_eq!(Shape::Text.as_str(), "text");
    }

    #[test]
    fn samples_with_text_wildcards_are_text() {
        assert_eq!(shape_of("name: [..]\nstate: started\n"), Shape::Text);
        assert_eq!(compare("name: [..]\nstate: started\n", "name: demo\nstate: started\n"), Ok(Shape::Text));
        assert_eq!(shape_of("name: demo\n...\n"), Shape::Text);
    }

    #[test]
    fn cli_output_with_some_colons_is_text() {
        let sample = "\
name:              web-app
requested state:   started
routes:            web-app.apps.example.net

type:           web
     state     since                  cpu
#0   running   2031-02-03T04:05:06Z   0.4%
";
        assert_eq!(shape_of(sample), Shape::Text);
        let headers = "name:     web-app\nroutes:   web-app.apps.example.net\n     state     since\n";
        assert_eq!(shape_of(headers), Shape::Text);
        assert_eq!(shape_of("- one\n- two\n"), Shape::Text);
        assert_eq!(shape_of("Error: app not found\nFAILED\n"), Shape::Text);
    }

    // ------------------------------------------------------------ JSON

    #[test]
    fn json_matches_with_extra_keys_and_different_values() {
        assert_eq!(compare(KEY_SAMPLE, KEY_OUTPUT), Ok(Shape::Json));
    }

    #[test]
    fn json_missing_key_reports_dotted_path() {
        let output = KEY_OUTPUT.replace("\"aws_region\"", "\"region\"");
        let m = mismatch(KEY_SAMPLE, &output);
        assert_eq!(m.summary, "output lacks the key `credentials.aws_region` shown in the sample");
        assert_eq!(
            diff_lines(&m),
            [
                "  credentials: {",
                "    \"access_key_id\": string",
                "-   \"aws_region\": string",
                "    \"bucket\": string",
                "    \"port\": number",
                "    \"tls\": boolean",
                "    \"endpoints\": array",
                "  }",
            ]
        );
    }

    #[test]
    fn json_missing_key_inside_array_uses_index() {
        let output = KEY_OUTPUT.replace("{\"host\": \"b.example.net\", ", "{");
        let m = mismatch(KEY_SAMPLE, &output);
        assert_eq!(m.summary, "output lacks the key `credentials.endpoints[1].host` shown in the sample");
        assert_eq!(diff_lines(&m)[0], "  credentials.endpoints[1]: {");
        assert!(diff_lines(&m).contains(&"-   \"host\": string"));
    }

    #[test]
    fn json_type_mismatch_names_both_types() {
        let output = KEY_OUTPUT.replace("\"port\": 9443", "\"port\": \"9443\"");
        let m = mismatch(KEY_SAMPLE, &output);
        assert_eq!(m.summary, "output has a string at `credentials.port` where the sample shows a number");
        assert_eq!(diff_lines(&m), ["  credentials: {", "-   \"port\": number", "+   \"port\": string", "  }"]);

        let m = mismatch("{\"apps\": []}", "{\"apps\": {}}");
        assert_eq!(m.summary, "output has an object at `apps` where the sample shows an array");

        let m = mismatch("[{\"name\": \"web\"}]", "{\"name\": \"web\"}");
        assert_eq!(m.summary, "output has an object at the top level where the sample shows an array");
        assert_eq!(diff_lines(&m), ["- (top level): array", "+ (top level): object"]);

        let m = mismatch("{\"a\": {\"b\": true}}", "{\"a\": {\"b\": null}}");
        assert_eq!(m.summary, "output has null at `a.b` where the sample shows a boolean");
    }

    #[test]
    fn json_placeholders_match_any_scalar_and_elision_anything() {
        assert!(
            compare(
                r#"{"port": "<PORT>", "n": "${COUNT}", "k": "API_KEY", "z": "****"}"#,
                r#"{"port": 1, "n": true, "k": null, "z": 0}"#
            )
            .is_ok()
        );
        assert!(compare(r#"{"port": "<PORT>"}"#, r#"{"port": {"a": 1}}"#).is_err());
        assert!(compare(r#"{"extra": "..."}"#, r#"{"extra": {"a": [1, 2]}}"#).is_ok());
        assert!(compare(r#"{"name": "web-app"}"#, r#"{"name": 3}"#).is_err());
    }

    #[test]
    fn json_with_a_preamble_in_both() {
        let sample = "Getting key k1 for service instance s1 as [..]...\n\n{\"credentials\": {\"uri\": \"x\"}}";
        let output = "Getting key k1 for service instance s1 as ops@example.org...\n\n{\"credentials\": {\"uri\": \"y\", \"z\": 1}}\n";
        assert_eq!(compare(sample, output), Ok(Shape::Json));

        let changed = output.replace("service instance s1", "service instance s2");
        let m = mismatch(sample, &changed);
        assert_eq!(m.summary, "output differs from the sample at sample line 1");
        assert_eq!(
            diff_lines(&m),
            [
                "- Getting key k1 for service instance s1 as [..]...",
                "+ Getting key k1 for service instance s2 as ops@example.org..."
            ]
        );
    }

    #[test]
    fn json_sample_without_preamble_ignores_the_output_preamble() {
        assert!(compare("{\"a\": 1}", "Fetching...\nOK\n{\"a\": 2}").is_ok());
    }

    #[test]
    fn json_output_may_have_trailing_text_and_bracketed_preamble_lines() {
        let output = "[info] fetching\n[1] done\n{\"a\": {\"b\": [1]}}\nTIP: use --json\n";
        assert_eq!(compare("{\"a\": {\"b\": [0]}}", output), Ok(Shape::Json));
    }

    #[test]
    fn json_sample_against_output_without_json() {
        let m = mismatch(KEY_SAMPLE, "FAILED\nService key upload-key not found\n");
        assert_eq!(m.summary, "output has no JSON document where the sample shows one");
        let lines = diff_lines(&m);
        assert_eq!(lines[0], "- {");
        assert!(lines.contains(&"+ FAILED"));
        assert!(lines.contains(&"+ Service key upload-key not found"));

        let m = mismatch("{\"a\": 1}", "  \n");
        assert_eq!(m.summary, "output is empty where the sample shows a JSON document");
    }

    #[test]
    fn json_arrays() {
        let sample = r#"{"apps": [{"name": "web", "instances": 1}]}"#;
        assert!(compare(sample, r#"{"apps": []}"#).is_ok());
        assert!(
            compare(sample, r#"{"apps": [{"name": "a", "instances": 2}, {"name": "b", "instances": 0, "x": 1}]}"#)
                .is_ok()
        );
        let m = mismatch(sample, r#"{"apps": [{"name": "a", "instances": 2}, {"name": "b"}]}"#);
        assert_eq!(m.summary, "output lacks the key `apps[1].instances` shown in the sample");
        let m = mismatch(sample, r#"{"apps": [{"name": "a", "instances": 2}, "b"]}"#);
        assert_eq!(m.summary, "output has a string at `apps[1]` where the sample shows an object");
        assert_eq!(diff_lines(&m), ["  apps: [", "-   [1]: object", "+   [1]: string", "  ]"]);
        // An empty sample array accepts any array; elements beyond the sample's use its first.
        assert!(compare(r#"{"tags": []}"#, r#"{"tags": [1, "a", {}]}"#).is_ok());
        assert!(compare(r#"[1, "two"]"#, r#"[5, "six", 7]"#).is_ok());
        assert!(compare(r#"[1, "two"]"#, r#"[5, "six", "seven"]"#).is_err());
    }

    #[test]
    fn json_odd_keys_are_quoted_in_paths() {
        let m = mismatch(r#"{"labels": {"app.kubernetes.io/name": "x"}}"#, r#"{"labels": {}}"#);
        assert_eq!(m.summary, "output lacks the key `labels[\"app.kubernetes.io/name\"]` shown in the sample");
    }

    // ------------------------------------------------------------ YAML

    const MANIFEST_SAMPLE: &str = "\
applications:
- name: <APP_NAME>
  memory: 256M
  instances: 2
  env:
    LOG_LEVEL: info
";

    #[test]
    fn yaml_matches_with_extra_keys_and_loose_scalars() {
        let output = "\
---
applications:
- name: gallery
  memory: 1G
  instances: \"3\"
  buildpacks: [python_buildpack]
  env:
    LOG_LEVEL: 4
    EXTRA: yes
- name: gallery-worker
  memory: 512M
  instances: 1
  env: {LOG_LEVEL: warn}
";
        assert_eq!(compare(MANIFEST_SAMPLE, output), Ok(Shape::Yaml));
    }

    #[test]
    fn yaml_missing_key_and_type_mismatch() {
        let output = "applications:\n- name: gallery\n  memory: 1G\n  instances: 3\n";
        let m = mismatch(MANIFEST_SAMPLE, output);
        assert_eq!(m.summary, "output lacks the key `applications[0].env` shown in the sample");
        assert_eq!(
            diff_lines(&m),
            [
                "  applications[0]:",
                "    name: scalar",
                "    memory: scalar",
                "    instances: scalar",
                "-   env: mapping",
            ]
        );

        let output = "applications:\n- name: gallery\n  memory: 1G\n  instances: 3\n  env: [a, b]\n";
        let m = mismatch(MANIFEST_SAMPLE, output);
        assert_eq!(m.summary, "output has a sequence at `applications[0].env` where the sample shows a mapping");
    }

    #[test]
    fn yaml_sample_against_output_that_is_not_yaml() {
        let m = mismatch(MANIFEST_SAMPLE, "error: manifest not found\n  at line 3: [unclosed\n");
        assert_eq!(m.summary, "output has no YAML document where the sample shows one");
        assert_eq!(diff_lines(&m)[0], "- applications:");
    }

    #[test]
    fn yaml_output_may_have_a_preamble() {
        let output = "Getting manifest for gallery...\n\napplications:\n- name: gallery\n  memory: 1G\n  instances: 1\n  env:\n    LOG_LEVEL: debug\n";
        assert_eq!(compare(MANIFEST_SAMPLE, output), Ok(Shape::Yaml));
    }

    // ------------------------------------------------------------ text

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
    fn ansi_escapes_are_stripped() {
        let output = "\x1b[1mname\x1b[0m      \x1b[32mstate\x1b[0m\nweb       \x1b[1;32mrunning\x1b[0m\n";
        assert!(compare("name   state\nweb    running", output).is_ok());
        assert!(compare("{\"a\": 1}", "\x1b[36m{\"a\": \x1b[0m2}").is_ok());
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

    // ------------------------------------------------------------ diff format

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

    #[test]
    fn diffs_are_capped_and_long_lines_cut() {
        let keys: Vec<String> = (0..60).map(|k| format!("\"key_{k}\": 1")).collect();
        let m = mismatch(&format!("{{{}}}", keys.join(", ")), "{}");
        assert_eq!(m.summary, "output lacks the key `key_0` shown in the sample");
        let lines = diff_lines(&m);
        assert_eq!(lines.len(), MAX_DIFF_LINES);
        assert_eq!(lines[0], "  {");
        assert_eq!(lines[1], "-   \"key_0\": number");
        assert_eq!(lines.last(), Some(&"…"));

        let long = "x".repeat(1000);
        let m = mismatch("short", &long);
        let lines = diff_lines(&m);
        assert_eq!(lines[1].chars().count(), 2 + MAX_DIFF_LINE_CHARS + 1);
        assert!(lines[1].ends_with('…'));
    }

    // ------------------------------------------------------------ limits

    #[test]
    fn ten_megabytes_compare_quickly() {
        let mut big = String::new();
        let mut k = 0;
        while big.len() < 10_000_000 {
            let _ = writeln!(big, "instance #{k}   running   2031-01-01T00:00:00Z   0.{k}%   12M of 256M");
            k += 1;
        }
        let budget = Duration::from_secs(5);

        let started = Instant::now();
        let sample = format!("instance #0   running   [..]\n...\ninstance #{}   running   [..]\n", k - 1);
        assert!(compare(&sample, &big).is_ok());
        assert!(compare("...\nnever printed\n...", &big).is_err());
        assert!(compare("...\ninstance #[..]\nnever printed", &big).is_err());
        assert!(started.elapsed() < budget, "text took {:?}", started.elapsed());

        let started = Instant::now();
        let items: Vec<String> = (0..150_000).map(|k| format!("{{\"guid\": \"{k:032}\", \"n\": {k}}}")).collect();
        let json = format!("{{\"resources\": [{}]}}", items.join(",\n"));
        assert!(json.len() > 8_000_000);
        assert!(compare("{\"resources\": [{\"guid\": \"<GUID>\", \"n\": 0}]}", &json).is_ok());
        assert!(started.elapsed() < budget, "json took {:?}", started.elapsed());
    }

    #[test]
    fn pathological_inputs_do_not_blow_up() {
        let many = "x\n".repeat(100_000);
        let m = mismatch("...\nx\n...\nx\n...\nx\ny", &many);
        assert_eq!(m.summary, "output differs from the sample at sample line 7");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(compare("[[1]]", &deep).is_err());
        assert!(compare(&deep, "[]").is_err());
        let deep_yaml = format!("a: {}", "[".repeat(10_000));
        assert!(compare("a: 1\nb: 2", &deep_yaml).is_err());
    }

    // ------------------------------------------------------------ properties

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i32>().prop_map(serde_json::Value::from),
            "[a-z <>_]{0,8}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z_.]{1,6}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn yamlish() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[a-z_]{1,6}: [a-z0-9 ]{0,10}",
                "  [a-z_]{1,6}: [a-z0-9 ]{0,6}",
                "- [a-z_]{1,6}: [a-z0-9]{0,6}",
                "[a-z_]{1,6}:",
                "# [a-z ]{0,10}",
            ],
            1..8,
        )
        .prop_map(|lines| lines.join("\n"))
    }

    fn texty() -> impl Strategy<Value = String> {
        "[a-z0-9 :\\-\\[\\]{}\",.<>_#|\n\r\t\u{1b}é]{0,160}"
    }

    fn anything() -> impl Strategy<Value = String> {
        prop_oneof![
            texty(),
            yamlish(),
            json_value().prop_map(|v| serde_json::to_string_pretty(&v).unwrap_or_default()),
            any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn compare_is_reflexive_on_text(s in texty()) {
            prop_assume!(!s.contains("...") && !s.contains("[..]"));
            prop_assert!(compare(&s, &s).is_ok(), "{:?}", compare(&s, &s));
        }

        #[test]
        fn compare_is_reflexive_on_json(v in json_value(), preamble in "[a-z ]{0,12}\n", pretty in any::<bool>()) {
            let doc = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) };
            let s = format!("{preamble}{}", doc.unwrap_or_default());
            prop_assert!(compare(&s, &s).is_ok(), "{:?}", compare(&s, &s));
        }

        #[test]
        fn compare_is_reflexive_on_yamlish(s in yamlish()) {
            prop_assume!(!s.contains("..."));
            prop_assert!(compare(&s, &s).is_ok(), "{:?}", compare(&s, &s));
        }

        #[test]
        fn compare_never_panics(sample in anything(), actual in anything()) {
            let shape = shape_of(&sample);
            if let Ok(found) = compare(&sample, &actual) {
                prop_assert_eq!(found, shape);
            } else if let Err(m) = compare(&sample, &actual) {
                prop_assert!(!m.summary.is_empty() && !m.summary.contains('\n'));
                prop_assert!(m.diff.lines().count() <= MAX_DIFF_LINES);
            }
        }
    }
}
