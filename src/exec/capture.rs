//! Values read from a step's output (front matter `captures:`): a JSON pointer into the JSON
//! document the step printed (after any preamble lines such as `Getting key …`), or the first
//! group of a regular expression. Works on the raw output in memory; the caller registers
//! secret captures with the redactor before any of that output is shown.

use std::sync::LazyLock;

use regex::Regex;

use crate::frontmatter::Capture;
use crate::params::{Params, Source};
use crate::steps::{BlockKind, Runbook};

/// A JSON document after a `NAME: ` label on its first line (`VCAP_SERVICES: {`).
static LABELLED_JSON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*:[ \t]*[{\[]").expect("valid label regex"));

/// The captures a runbook implies without declaring them: a placeholder that first appears in
/// a step's output sample (`"aws_access_key_id": "ACCESS_KEY_ID"`) is read from the same place
/// in the step's real output: the same JSON pointer when the sample is JSON and the placeholder
/// is a whole value, else the same line with the placeholder as the part that varies.
pub fn inferred(rb: &Runbook, params: &Params) -> Vec<Capture> {
    let mut out = Vec::new();
    for p in &params.placeholders {
        let Source::OutputOf { step } = &p.source else { continue };
        if rb.front_matter.captures.iter().any(|c| c.name == p.name) {
            continue;
        }
        let mut spellings: Vec<&str> = p.variants.iter().map(String::as_str).collect();
        spellings.push(&p.name);
        let samples = rb
            .steps
            .iter()
            .flat_map(|s| s.blocks.iter().map(move |b| (s, b)))
            .filter(|(s, b)| b.kind == BlockKind::Output && (b.output_of.as_deref() == Some(step) || s.id == *step))
            .map(|(_, b)| b.text.as_str());
        let found = samples.into_iter().find_map(|sample| {
            let pointer = first_json(sample).and_then(|doc| pointer_to(&doc, &spellings, ""));
            match pointer {
                Some(pointer) => Some((Some(pointer), None)),
                None => line_pattern(sample, &spellings).map(|re| (None, Some(re))),
            }
        });
        if let Some((json, regex)) = found {
            out.push(Capture {
                name: p.name.clone(),
                from: step.clone(),
                json,
                regex,
                description: None,
                kind: None,
                secret: Some(p.secret),
                span: crate::source::Span::default(),
            });
        }
    }
    out
}

/// The JSON pointer of the first string value that is one of `spellings`.
fn pointer_to(value: &serde_json::Value, spellings: &[&str], at: &str) -> Option<String> {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match value {
        serde_json::Value::String(s) if spellings.contains(&s.as_str()) => Some(at.to_string()),
        serde_json::Value::Object(map) => {
            map.iter().find_map(|(k, v)| pointer_to(v, spellings, &format!("{at}/{}", escape(k))))
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| pointer_to(v, spellings, &format!("{at}/{i}")))
        }
        _ => None,
    }
}

/// A pattern for the first sample line holding one of `spellings`: the rest of the line as
/// written, the placeholder as a run of non-blank characters.
fn line_pattern(sample: &str, spellings: &[&str]) -> Option<String> {
    sample.lines().find_map(|line| {
        let spelling = spellings.iter().filter(|s| !s.is_empty()).find(|s| line.contains(**s))?;
        let (before, after) = line.trim().split_once(spelling)?;
        Some(format!(r"(?m)^[ \t]*{}(\S+?){}[ \t]*$", regex::escape(before), regex::escape(after)))
    })
}

/// The value of `capture` in `output`, or why there is none (never quoting the output).
pub fn extract(capture: &Capture, output: &str) -> Result<String, String> {
    if let Some(pointer) = &capture.json {
        let doc = first_json(output).ok_or_else(|| "the step printed no JSON document".to_string())?;
        let pointer = if pointer.starts_with('/') || pointer.is_empty() {
            pointer.clone()
        } else {
            format!("/{}", pointer.replace('.', "/"))
        };
        return match doc.pointer(&pointer) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => Ok(v.to_string()),
            Some(_) => Err(format!("`{pointer}` is not a plain value in the step's JSON")),
            None => Err(format!("the step's JSON has no `{pointer}`")),
        };
    }
    if let Some(pattern) = &capture.regex {
        let re = regex::Regex::new(pattern).map_err(|e| format!("invalid capture pattern: {e}"))?;
        let caps =
            re.captures(output).ok_or_else(|| "the capture pattern matched nothing in the output".to_string())?;
        return caps
            .get(1)
            .or_else(|| caps.get(0))
            .map(|m| m.as_str().to_string())
            .ok_or_else(|| "the capture pattern matched nothing".to_string());
    }
    Ok(output.trim().to_string())
}

/// The first JSON object or array in `text`, starting at a line that opens one.
pub fn first_json(text: &str) -> Option<serde_json::Value> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let labelled = LABELLED_JSON.find(line).map(|m| m.end() - 1);
        if trimmed.starts_with('{') || trimmed.starts_with('[') || labelled.is_some() {
            let start = offset + labelled.unwrap_or(line.len() - trimmed.len());
            let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
            if let Some(Ok(v)) = stream.next() {
                return Some(v);
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(json: Option<&str>, regex: Option<&str>) -> Capture {
        Capture {
            name: "X".into(),
            from: "s".into(),
            json: json.map(String::from),
            regex: regex.map(String::from),
            description: None,
            kind: None,
            secret: None,
            span: crate::Span::default(),
        }
    }

    #[test]
    fn json_after_a_preamble() {
        let out = "Fetching the key for demo as someone...\n\n{\n  \"credentials\": {\"bucket\": \"demo-bucket\", \"port\": 9}\n}\nOK\n";
        assert_eq!(extract(&cap(Some("/credentials/bucket"), None), out).unwrap(), "demo-bucket");
        assert_eq!(extract(&cap(Some("credentials.port"), None), out).unwrap(), "9");
        assert!(extract(&cap(Some("/credentials/missing"), None), out).unwrap_err().contains("/credentials/missing"));
        assert!(extract(&cap(Some("/credentials"), None), out).is_err());
        assert!(extract(&cap(Some("/a"), None), "no json here").unwrap_err().contains("no JSON"));
    }

    #[test]
    fn regex_takes_the_first_group() {
        let c = cap(None, Some(r"id: (\w+)"));
        assert_eq!(extract(&c, "name: a\nid: abc123\n").unwrap(), "abc123");
        assert!(extract(&c, "nothing").is_err());
    }
}
