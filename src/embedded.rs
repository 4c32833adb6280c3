//! Embedded configuration: YAML, JSON and TOML code blocks parsed into trees whose spans point
//! into the Markdown file.
//!
//! Owns: which blocks hold such data ([`Lang::of`]), parsing them ([`parse`]) and mapping every
//! position (node spans and syntax error positions) back through the block's [`OffsetMap`].
//! YAML is read with `saphyr` (its markers count characters), JSON is checked with `serde_json`
//! and, since JSON is YAML, read into a tree with `saphyr` for positions; TOML is read with the
//! `toml` crate's spanned parser. Pure: no I/O.

use std::sync::LazyLock;

use regex::Regex;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::source::{OffsetMap, Span};
use crate::steps::{BlockKind, StepBlock};

/// A data language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Yaml,
    Json,
    Toml,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Yaml => "YAML",
            Lang::Json => "JSON",
            Lang::Toml => "TOML",
        }
    }

    /// The language a fence label names (`yaml`, `yml`, `json`, `toml`, any case).
    pub fn from_label(label: &str) -> Option<Lang> {
        match label.trim().to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(Lang::Yaml),
            "json" => Some(Lang::Json),
            "toml" => Some(Lang::Toml),
            _ => None,
        }
    }

    /// The language a file name's extension names (`manifest.yml`, `<file.json>`).
    pub fn from_file_name(name: &str) -> Option<Lang> {
        let name = name.trim().trim_start_matches('<').trim_end_matches('>');
        let (_, ext) = name.rsplit_once('.')?;
        Lang::from_label(ext)
    }

    /// The language of a step block that holds data: a `file`, `workflow` or `output` block
    /// labelled as YAML, JSON or TOML, or a `file` block whose file name has such an extension.
    /// Inline code and other kinds never count.
    pub fn of(block: &StepBlock) -> Option<Lang> {
        if block.inline || !matches!(block.kind, BlockKind::File | BlockKind::Workflow | BlockKind::Output) {
            return None;
        }
        Lang::from_label(&block.lang).or_else(|| {
            if block.kind == BlockKind::File { block.file.as_deref().and_then(Lang::from_file_name) } else { None }
        })
    }
}

/// A node of a parsed tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the node is written in the Markdown file (quotes included for quoted scalars).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    Map(Vec<Entry>),
}

/// One key and value of a mapping, in document order.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Node {
    /// The value of a mapping's key given as a string.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry of a mapping's key given as a string.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key.as_str() == Some(key))
    }

    /// A mapping's entries (empty for anything else).
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    /// A sequence's items, if this is one.
    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.value {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// A scalar as text (`null` gives `None`, collections give `None`).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.clone()),
            Value::Null | Value::List(_) | Value::Map(_) => None,
        }
    }

    /// The span without surrounding quotes, given the Markdown text.
    pub fn unquoted(&self, source: &str) -> Span {
        let s = source.get(self.span.start..self.span.end).unwrap_or("");
        let b = s.as_bytes();
        if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
            Span::new(self.span.start + 1, self.span.end - 1)
        } else {
            self.span
        }
    }
}

/// A syntax error, positioned in the Markdown file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

/// Parse a block whose language [`Lang::of`] knows. `None` for other blocks.
pub fn parse_block(block: &StepBlock) -> Option<Result<Vec<Node>, ParseError>> {
    let lang = Lang::of(block)?;
    Some(parse(&block.text, lang, &block.map))
}

/// Parse `text` (a block's content; `map` takes its offsets to the Markdown file). YAML may hold
/// several documents; JSON and TOML give one.
pub fn parse(text: &str, lang: Lang, map: &OffsetMap) -> Result<Vec<Node>, ParseError> {
    match lang {
        Lang::Yaml => parse_yaml(text, map),
        Lang::Json => parse_json(text, map),
        Lang::Toml => parse_toml(text, map),
    }
}

/// Byte offsets of every character, to turn saphyr's character indices into byte offsets.
struct Chars {
    starts: Vec<usize>,
    len: usize,
}

impl Chars {
    fn new(text: &str) -> Self {
        Chars { starts: text.char_indices().map(|(i, _)| i).collect(), len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.starts.get(char_index).copied().unwrap_or(self.len)
    }
}

/// A one-character span at a byte offset of `text` (empty at the end).
fn point(text: &str, at: usize, map: &OffsetMap) -> Span {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let end = text[at..].chars().next().filter(|c| *c != '\n').map_or(at, |c| at + c.len_utf8());
    map.span(at, end)
}

fn parse_yaml(text: &str, map: &OffsetMap) -> Result<Vec<Node>, ParseError> {
    let chars = Chars::new(text);
    match MarkedYaml::load_from_str(text) {
        Ok(docs) => Ok(docs.iter().map(|d| yaml_node(d, &chars, text, map)).collect()),
        Err(e) => {
            let at = chars.byte(e.marker().index());
            Err(ParseError { message: e.info().to_string(), span: point(text, at, map) })
        }
    }
}

fn yaml_node(node: &MarkedYaml<'_>, chars: &Chars, text: &str, map: &OffsetMap) -> Node {
    let (start, mut end) = (chars.byte(node.span.start.index()), chars.byte(node.span.end.index()));
    if end < start {
        end = start;
    }
    // Block collections end where the next node starts: keep trailing line breaks out.
    while end > start && matches!(text.as_bytes().get(end - 1), Some(b'\n' | b'\r' | b' ' | b'\t')) {
        end -= 1;
    }
    let span = map.span(start, end);
    let value = match &node.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(s, _, _) => Value::Str(s.to_string()),
        YamlData::Sequence(seq) => Value::List(seq.iter().map(|n| yaml_node(n, chars, text, map)).collect()),
        YamlData::Mapping(m) => Value::Map(
            m.iter()
                .map(|(k, v)| Entry { key: yaml_node(k, chars, text, map), value: yaml_node(v, chars, text, map) })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => return Node { span, ..yaml_node(inner, chars, text, map) },
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    };
    Node { value, span }
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

static JSON_POSITION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r" at line \d+ column \d+$").unwrap());

fn parse_json(text: &str, map: &OffsetMap) -> Result<Vec<Node>, ParseError> {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let at = line_column_offset(text, e.line(), e.column());
            let message = JSON_POSITION.replace(&e.to_string(), "").into_owned();
            return Err(ParseError { message, span: point(text, at, map) });
        }
    };
    // JSON is YAML: saphyr gives positions. Should it refuse (duplicate keys), keep the values
    // with the whole text as their span.
    if let Ok(docs) = parse_yaml(text, map)
        && docs.len() == 1
    {
        return Ok(docs);
    }
    let start = text.len() - text.trim_start().len();
    let whole = map.span(start, text.trim_end().len().max(start));
    Ok(vec![json_node(&value, whole)])
}

/// Byte offset of serde_json's 1-based line and column (column 0: the end of the previous line).
fn line_column_offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if column == 0 {
        return start.saturating_sub(1);
    }
    (start + column - 1).min(line_end)
}

fn json_node(v: &serde_json::Value, span: Span) -> Node {
    let value = match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(|x| json_node(x, span)).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, x)| Entry { key: Node { value: Value::Str(k.clone()), span }, value: json_node(x, span) })
                .collect(),
        ),
    };
    Node { value, span }
}

fn parse_toml(text: &str, map: &OffsetMap) -> Result<Vec<Node>, ParseError> {
    match toml::de::DeTable::parse(text) {
        Ok(table) => {
            let span = table.span();
            Ok(vec![toml_table(table.get_ref(), map.span(span.start, span.end), map)])
        }
        Err(e) => {
            let at = e.span().map_or(0, |r| r.start);
            Err(ParseError { message: e.message().trim().to_string(), span: point(text, at, map) })
        }
    }
}

fn toml_table(t: &toml::de::DeTable<'_>, span: Span, map: &OffsetMap) -> Node {
    let entries = t
        .iter()
        .map(|(k, v)| {
            let ks = k.span();
            Entry {
                key: Node { value: Value::Str(k.get_ref().to_string()), span: map.span(ks.start, ks.end) },
                value: toml_value(v, map),
            }
        })
        .collect();
    Node { value: Value::Map(entries), span }
}

fn toml_value(v: &toml::Spanned<toml::de::DeValue<'_>>, map: &OffsetMap) -> Node {
    use toml::de::DeValue;
    let r = v.span();
    let span = map.span(r.start, r.end);
    let value = match v.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .map_or_else(|_| Value::Str(i.to_string()), Value::Int),
        DeValue::Float(f) => {
            f.as_str().replace('_', "").parse().map_or_else(|_| Value::Str(f.to_string()), Value::Float)
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Str(d.to_string()),
        DeValue::Array(a) => Value::List(a.iter().map(|x| toml_value(x, map)).collect()),
        DeValue::Table(t) => return toml_table(t, span, map),
    };
    Node { value, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, span: Span) -> &str {
        &src[span.start..span.end]
    }

    #[test]
    fn yaml_spans_map_through_indentation() {
        let src = "1. x\n   ```yaml\n   a: <APP_NAME>\n   b:\n     - 'q'\n   ```\n";
        let text = "a: <APP_NAME>\nb:\n  - 'q'\n";
        let first = src.find("a:").unwrap();
        let map = OffsetMap::for_lines(src, text, first);
        let docs = parse(text, Lang::Yaml, &map).unwrap();
        let root = &docs[0];
        assert_eq!(root.get("a").unwrap().as_str(), Some("<APP_NAME>"));
        assert_eq!(at(src, root.get("a").unwrap().span), "<APP_NAME>");
        let q = &root.get("b").unwrap().as_list().unwrap()[0];
        assert_eq!(at(src, q.span), "'q'");
        assert_eq!(at(src, q.unquoted(src)), "q");
        assert_eq!(at(src, root.entry("b").unwrap().key.span), "b");
    }

    #[test]
    fn yaml_error_points_at_the_line() {
        let text = "a: 1\nb: [\n";
        let err = parse(text, Lang::Yaml, &OffsetMap::contiguous(100)).unwrap_err();
        assert!(err.span.start >= 100, "{err:?}");
    }

    #[test]
    fn json_values_with_positions_and_errors() {
        let text = "{\"permissions\": \"read-only\", \"n\": null}";
        let docs = parse(text, Lang::Json, &OffsetMap::contiguous(0)).unwrap();
        assert_eq!(docs[0].get("permissions").unwrap().as_str(), Some("read-only"));
        assert_eq!(at(text, docs[0].get("permissions").unwrap().span), "\"read-only\"");
        let bad = "{\n  \"a\": 1,\n  \"b\": PERMISSION\n}\n";
        let err = parse(bad, Lang::Json, &OffsetMap::contiguous(0)).unwrap_err();
        assert_eq!(&bad[err.span.start..=err.span.start], "P");
        assert!(!err.message.contains("at line"), "{}", err.message);
    }

    #[test]
    fn json_with_duplicate_keys_still_gives_a_tree() {
        let text = "{\"a\": 1, \"a\": 2}";
        let docs = parse(text, Lang::Json, &OffsetMap::contiguous(0)).unwrap();
        assert_eq!(docs[0].get("a").unwrap().value, Value::Int(2));
    }

    #[test]
    fn toml_values_and_errors() {
        let text = "[app]\nname = \"x\"\nmemory = 512\n";
        let docs = parse(text, Lang::Toml, &OffsetMap::contiguous(0)).unwrap();
        let app = docs[0].get("app").unwrap();
        assert_eq!(app.get("memory").unwrap().value, Value::Int(512));
        assert_eq!(at(text, app.get("name").unwrap().span), "\"x\"");
        let err = parse("a = \n", Lang::Toml, &OffsetMap::contiguous(0)).unwrap_err();
        assert!(!err.message.is_empty());
    }

    #[test]
    fn languages_from_labels_and_names() {
        assert_eq!(Lang::from_label("YML"), Some(Lang::Yaml));
        assert_eq!(Lang::from_file_name("<file.json>"), Some(Lang::Json));
        assert_eq!(Lang::from_file_name("<json.file>"), None);
        assert_eq!(Lang::from_file_name("manifest.yaml"), Some(Lang::Yaml));
    }
}
