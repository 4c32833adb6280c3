//! Values read from a step's output (front matter `captures:`): a JSON pointer into the JSON
//! document the step printed (after any preamble lines such as `Getting key …`), or the first
//! group of a regular expression. Works on the raw output in memory; the caller registers
//! secret captures with the redactor before any of that output is shown.

use crate::frontmatter::Capture;

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
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let start = offset + (line.len() - trimmed.len());
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
