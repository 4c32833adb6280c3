//! Comparison of a step's real output with the output sample the runbook shows after the command.
//!
//! This module owns the *shape* of a sample ([`Shape`]: JSON, YAML or plain text), the matching
//! rules for each shape, and the readable [`Mismatch`] (a one-line summary and a short
//! unified-style diff) reported when the output does not fit its sample. Samples show example or
//! placeholder values, so every comparison is about structure and layout, never about values.
//!
//! The pieces live in submodules: `text` (line matching and the text diff), `document` (finding
//! and parsing JSON and YAML documents), `tree` (the structural comparison of documents) and
//! `diff` (the capped diff text every mismatch carries). This file reads a sample and dispatches.
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

mod diff;
mod document;
mod text;
mod tree;

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use self::document::{find_json, find_yaml, parse_yaml, yaml_lines_ok, yaml_root_ok};
use self::text::{compare_text, head_diff};
use self::tree::{Flavor, Node, check_tree};

/// How many lines starting with `{` or `[` are tried as the start of a JSON document.
pub const MAX_JSON_ATTEMPTS: usize = 8;
/// Line comparisons a text match may make, on top of two per output line; beyond that the output
/// is reported as too long to compare. Lines are read in place (never collected), so memory stays independent of the output.
pub const MAX_LINE_COMPARISONS: usize = 2_000_000;
/// Largest output compared with a YAML sample (the YAML parser reads about 10 MB/s).
pub const MAX_YAML_BYTES: usize = 2 * 1024 * 1024;

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

/// The end of the output's preamble with as many lines as the sample's: a sample may show only
/// the last lines before the document (`VCAP_SERVICES: ` of `cf env`), as an excerpt.
fn preamble_tail<'a>(actual: &'a str, sample: &str) -> &'a str {
    let lines = sample.split('\n').count();
    let mut start = actual.len();
    for _ in 0..lines {
        match actual[..start].rfind('\n') {
            Some(i) if start > 0 => start = i,
            _ => return actual,
        }
    }
    &actual[start + 1..]
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
                compare_text(preamble, preamble_tail(actual.get(..found.start).unwrap_or_default(), preamble))?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_sample_may_start_at_the_label_of_the_document() {
        let sample = "VCAP_SERVICES: {\n  \"s3\": [{\"name\": \"x\"}]\n}\n";
        let actual = "Getting env variables for app a...\nSystem-Provided:\nVCAP_SERVICES: {\n  \"s3\": [{\"name\": \"y\", \"plan\": \"p\"}]\n}\n\nVCAP_APPLICATION: {}\n";
        assert!(compare(sample, actual).is_ok());
        let other = actual.replace("VCAP_SERVICES", "OTHER_THING");
        assert!(compare(sample, &other).is_err());
        assert_eq!(preamble_tail("a\nb\nc: ", "c: "), "c: ");
        assert_eq!(preamble_tail("G\n\n", "G\n\n"), "G\n\n");
        assert_eq!(preamble_tail("X\nG\n\n", "G\n\n"), "G\n\n");
    }

    use std::fmt::Write as _;
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::diff::MAX_DIFF_LINES;
    use super::*;

    pub(super) fn mismatch(sample: &str, actual: &str) -> Mismatch {
        match compare(sample, actual) {
            Ok(shape) => panic!("expected a mismatch, got a {} match", shape.as_str()),
            Err(m) => m,
        }
    }

    pub(super) fn diff_lines(m: &Mismatch) -> Vec<&str> {
        m.diff.lines().collect()
    }

    pub(super) const KEY_SAMPLE: &str = r#"Getting key upload-key for service instance photo-store as robot@example.org...

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

    pub(super) const MANIFEST_SAMPLE: &str = "\
applications:
- name: <APP_NAME>
  memory: 256M
  instances: 2
  env:
    LOG_LEVEL: info
";

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
    fn ansi_escapes_are_stripped() {
        let output = "\x1b[1mname\x1b[0m      \x1b[32mstate\x1b[0m\nweb       \x1b[1;32mrunning\x1b[0m\n";
        assert!(compare("name   state\nweb    running", output).is_ok());
        assert!(compare("{\"a\": 1}", "\x1b[36m{\"a\": \x1b[0m2}").is_ok());
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
    fn yaml_sample_against_output_that_is_not_yaml() {
        let m = mismatch(MANIFEST_SAMPLE, "error: manifest not found\n  at line 3: [unclosed\n");
        assert_eq!(m.summary, "output has no YAML document where the sample shows one");
        assert_eq!(diff_lines(&m)[0], "- applications:");
    }

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
