//! Finding and parsing the JSON and YAML documents of samples and outputs: where a JSON document
//! starts (skipping preamble lines, at most [`MAX_JSON_ATTEMPTS`] tries), whether a sample looks
//! like YAML (key lines, list items, comments, block scalars) and has a plain-keyed root, where an
//! output's YAML starts, and the conversion of both formats into the [`Node`] tree.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::MAX_JSON_ATTEMPTS;
use super::tree::Node;

/// Deeper YAML nesting is read as null (JSON nesting is capped at 128 by `serde_json`).
const MAX_YAML_DEPTH: usize = 128;

/// A JSON document found in a text.
pub(super) struct Found {
    /// Byte offset where the document starts (the end of the preamble).
    pub(super) start: usize,
    /// Byte offset just past the document.
    pub(super) end: usize,
    pub(super) node: Node,
}

/// The first line starting with `{` or `[` from which a JSON document parses and ends its line
/// (`[1] Preparing` is not JSON; lines after the document are ignored). Tries at most
/// [`MAX_JSON_ATTEMPTS`] such lines.
pub(super) fn find_json(text: &str) -> Option<Found> {
    let mut attempts = 0;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        let trimmed = line.trim_start();
        // A document may also follow a `NAME: ` label on its first line (`VCAP_SERVICES: {`).
        let doc_start = if trimmed.starts_with('{') || trimmed.starts_with('[') {
            line_start
        } else if let Some(m) = LABELLED_JSON.find(line) {
            line_start + m.end() - 1
        } else {
            continue;
        };
        let mut stream = serde_json::Deserializer::from_str(text.get(doc_start..)?).into_iter::<Node>();
        if let Some(Ok(node)) = stream.next() {
            let end = doc_start + stream.byte_offset();
            let rest_of_line = text.get(end..).and_then(|rest| rest.split('\n').next()).unwrap_or_default();
            if rest_of_line.trim().is_empty() {
                return Some(Found { start: doc_start, end, node });
            }
        }
        attempts += 1;
        if attempts >= MAX_JSON_ATTEMPTS {
            return None;
        }
    }
    None
}

static LABELLED_JSON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*:[ \t]*[{\[]").expect("valid label regex"));
static YAML_KEY_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-/]*:(?:[ \t]|$)").expect("valid key regex"));
static YAML_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$").expect("valid key regex"));

/// Whether every line of `sample` is a YAML key line, list item, comment or block-scalar body,
/// with at least two such lines and at least one key.
pub(super) fn yaml_lines_ok(sample: &str) -> bool {
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
pub(super) fn yaml_root_ok(node: &Node) -> bool {
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
pub(super) fn parse_yaml(text: &str) -> Option<Node> {
    let docs = Yaml::load_from_str(text).ok()?;
    docs.first().map(|doc| Node::from_yaml(doc, 0))
}

/// The output's YAML mapping or sequence: the whole text, or else from the first unindented
/// `key:` line (after a preamble).
pub(super) fn find_yaml(text: &str) -> Option<Node> {
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

impl Node {
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

#[cfg(test)]
mod tests {
    use super::super::tests::MANIFEST_SAMPLE;
    use super::super::{Shape, compare, shape_of};
    use super::find_json;

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

    #[test]
    fn json_output_may_have_trailing_text_and_bracketed_preamble_lines() {
        let output = "[info] fetching\n[1] done\n{\"a\": {\"b\": [1]}}\nTIP: use --json\n";
        assert_eq!(compare("{\"a\": {\"b\": [0]}}", output), Ok(Shape::Json));
    }

    #[test]
    fn json_may_follow_a_label_on_its_first_line() {
        let output = "Getting env variables for app a...\nSystem-Provided:\nVCAP_SERVICES: {\n  \"s3\": []\n}\n\nVCAP_APPLICATION: {}\n";
        let found = find_json(output).unwrap();
        assert_eq!(&output[found.start..found.end], "{\n  \"s3\": []\n}");
        assert!(find_json("name: value\n").is_none());
    }

    #[test]
    fn yaml_output_may_have_a_preamble() {
        let output = "Getting manifest for gallery...\n\napplications:\n- name: gallery\n  memory: 1G\n  instances: 1\n  env:\n    LOG_LEVEL: debug\n";
        assert_eq!(compare(MANIFEST_SAMPLE, output), Ok(Shape::Yaml));
    }
}
