//! The structural comparison of JSON and YAML documents: the reduced value tree ([`Node`]), the
//! rules for fitting an output tree to a sample tree (every sample key present, types agreeing,
//! placeholders and `...` standing for values), and the mismatch summary and diff naming the path
//! where the output does not fit. Finding and parsing the documents is `document`'s job.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;

use super::Mismatch;
use super::diff::Diff;

/// A JSON or YAML value, reduced to what shape matching needs. Maps keep document order and the
/// first of duplicate keys.
#[derive(Debug)]
pub(super) enum Node {
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
    pub(super) fn map(entries: impl IntoIterator<Item = (String, Node)>) -> Node {
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
}

/// JSON and YAML share the tree rules but name types differently and type YAML scalars loosely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flavor {
    Json,
    Yaml,
}

impl Flavor {
    pub(super) fn name(self) -> &'static str {
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

pub(super) fn check_tree(sample: &Node, actual: &Node, flavor: Flavor) -> Result<(), Mismatch> {
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

#[cfg(test)]
mod tests {
    use super::super::tests::{KEY_SAMPLE, MANIFEST_SAMPLE, diff_lines, mismatch};
    use super::super::{Shape, compare};

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
}
