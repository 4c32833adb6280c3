//! RB604 `boto3-wrong-keyword`: a boto3 S3 call with a keyword argument boto3 does not accept.
use std::collections::HashSet;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::tokens::{Kind, Token, tokenize};
use super::{is_python_source, matching_close, namespace};

pub static RULE: Rule = Rule {
    code: "RB604",
    name: "boto3-wrong-keyword",
    group: Group::Python,
    severity: Severity::Error,
    summary: "boto3 s3 call with a keyword argument it does not accept",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\nKeyword arguments of the boto3 S3 calls a guide usually shows: \
`upload_file(Filename, Key)` and `upload_fileobj(Fileobj, Key)` (a client also takes `Bucket`), \
`download_file(Key, Filename)`, `download_fileobj(Key, Fileobj)`, `Object(bucket_name, key)` and `Bucket(name)`, \
each with `ExtraArgs`, `Callback` and `Config` where boto3 takes them. Keyword names are case-sensitive. The rule \
only looks at sections whose Python uses `boto3`.\n\n\
## Why it matters\n\nA wrong keyword name raises `TypeError: … got an unexpected keyword argument` when the \
step runs, often after earlier steps have already changed something.\n\n\
## Example\n\n```markdown\n```python\nbucket.upload_file(key=\"report.csv\", filename=\"report.csv\")\n```\n```\n\n\
## Use instead\n\n```markdown\n```python\nbucket.upload_file(Filename=\"report.csv\", Key=\"report.csv\")\n```\n```\n";

const TRANSFER: &[&str] = &["ExtraArgs", "Callback", "Config"];

/// Keyword names each method accepts (a `Bucket`, `Object` or client receiver, merged).
fn accepted(method: &str) -> Option<Vec<&'static str>> {
    let own: &[&str] = match method {
        "upload_file" => &["Filename", "Bucket", "Key"],
        "upload_fileobj" => &["Fileobj", "Bucket", "Key"],
        "download_file" => &["Bucket", "Key", "Filename"],
        "download_fileobj" => &["Bucket", "Key", "Fileobj"],
        "Object" => return Some(vec!["bucket_name", "key"]),
        "Bucket" => return Some(vec!["name"]),
        _ => return None,
    };
    Some(own.iter().chain(TRANSFER).copied().collect())
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    // Namespaces (level-2 sections) whose Python mentions boto3.
    let mut with_boto3: HashSet<String> = HashSet::new();
    for step in &ctx.runbook.steps {
        if step.blocks.iter().any(|b| is_python_source(b) && mentions_boto3(&b.text)) {
            with_boto3.insert(namespace(ctx.runbook, &step.section));
        }
    }
    for step in &ctx.runbook.steps {
        if !with_boto3.contains(&namespace(ctx.runbook, &step.section)) {
            continue;
        }
        for block in step.blocks.iter().filter(|b| is_python_source(b)) {
            let src = block.text.as_str();
            let t = tokenize(src).tokens;
            for i in 1..t.len() {
                let name = t[i].text(src);
                if t[i].kind != Kind::Name || !t[i - 1].is(src, ".") {
                    continue;
                }
                let Some(valid) = accepted(name) else { continue };
                if !t.get(i + 1).is_some_and(|n| n.is(src, "(")) {
                    continue;
                }
                let Some(close) = matching_close(&t, i + 1) else { continue };
                let depth = t[i + 1].depth + 1;
                // Keyword arguments: a name followed by `=` that starts an argument.
                let keywords: Vec<usize> = (i + 2..close)
                    .filter(|&k| {
                        t[k].kind == Kind::Name
                            && t[k].depth == depth
                            && t.get(k + 1).is_some_and(|n| n.is(src, "="))
                            && (t[k - 1].is(src, "(") || t[k - 1].is(src, ","))
                    })
                    .collect();
                if s3_transfer_call(src, &t, i, &keywords) {
                    continue;
                }
                for k in keywords {
                    let kw = t[k];
                    let word = kw.text(src);
                    if valid.contains(&word) {
                        continue;
                    }
                    let finding = report
                        .add(block.map.span(kw.start, kw.end), format!("`{name}()` has no keyword argument `{word}`"));
                    match suggestion(word, &valid) {
                        Some(right) if right.eq_ignore_ascii_case(word) => {
                            finding.help(format!("use `{right}=`: boto3 keyword names are case-sensitive"))
                        }
                        Some(right) => finding.help(format!("use `{right}=`")),
                        None => finding.help(format!(
                            "`{name}()` takes {}",
                            valid.iter().map(|v| format!("`{v}=`")).collect::<Vec<_>>().join(", ")
                        )),
                    };
                }
            }
        }
    }
}

/// `S3Transfer.upload_file(filename, bucket, key, …)` and `download_file(bucket, key, filename, …)`
/// take lowercase keywords: a receiver named like a transfer, or lowercase keywords that name the
/// bucket, is that API.
fn s3_transfer_call(src: &str, t: &[Token], method: usize, keywords: &[usize]) -> bool {
    const LOWER: &[&str] = &["filename", "bucket", "key", "callback", "extra_args"];
    if !matches!(t[method].text(src), "upload_file" | "download_file") {
        return false;
    }
    let receiver = method.checked_sub(2).map(|r| t[r]).filter(|r| r.kind == Kind::Name);
    if receiver.is_some_and(|r| r.text(src).to_ascii_lowercase().contains("transfer")) {
        return true;
    }
    let words: Vec<&str> = keywords.iter().map(|&k| t[k].text(src)).collect();
    words.contains(&"bucket") && words.iter().all(|w| LOWER.contains(w))
}

fn mentions_boto3(text: &str) -> bool {
    let toks = tokenize(text);
    toks.tokens.iter().any(|t| t.kind == Kind::Name && t.text(text) == "boto3")
}

/// The accepted keyword the written one most likely meant.
fn suggestion(word: &str, valid: &[&'static str]) -> Option<&'static str> {
    if let Some(v) = valid.iter().find(|v| v.eq_ignore_ascii_case(word)) {
        return Some(v);
    }
    let lower = word.to_ascii_lowercase().replace('_', "");
    let alias = match lower.as_str() {
        "file" | "filepath" | "path" | "localfile" | "filename" => "Filename",
        "fileobject" | "fileobj" | "obj" | "stream" | "data" | "body" => "Fileobj",
        "bucket" | "bucketname" => "Bucket",
        "key" | "objectkey" | "objectname" | "keyname" => "Key",
        _ => "",
    };
    if let Some(v) = valid.iter().find(|v| **v == alias) {
        return Some(v);
    }
    valid
        .iter()
        .map(|v| (strsim::jaro_winkler(&v.to_ascii_lowercase(), &word.to_ascii_lowercase()), *v))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn found(text: &str) -> Vec<(String, String)> {
        check_text(text, &RULE)
            .iter()
            .map(|f| (text[f.span.start..f.span.end].to_string(), f.help.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn flags_lowercase_keywords_each_at_its_place() {
        let text = "# G\n\n## S3\n\n```python\nimport boto3\ns3 = boto3.resource('s3')\n```\n\n### Upload\n\n```python\nbucket = s3.Bucket(name='b')\nbucket.upload_file(key='k.txt', filename='k.txt')\n```\n";
        let f = found(text);
        assert_eq!(
            f,
            [
                ("key".to_string(), "use `Key=`: boto3 keyword names are case-sensitive".to_string()),
                ("filename".to_string(), "use `Filename=`: boto3 keyword names are case-sensitive".to_string()),
            ]
        );
    }

    #[test]
    fn accepts_the_right_keywords() {
        let text = "# G\n\n```python\nimport boto3\nc = boto3.client('s3')\nr = boto3.resource('s3')\n\
c.upload_file(Filename='f', Bucket='b', Key='k', ExtraArgs={'ACL': 'private'})\n\
r.Bucket(name='b').upload_fileobj(Fileobj=fh, Key='k', Callback=cb)\n\
r.Object(bucket_name='b', key='k').download_file(Filename='f')\n\
c.download_fileobj(Bucket='b', Key='k', Fileobj=fh, Config=None)\n\
r.Bucket('b').upload_file('f', 'k', ExtraArgs=dict(acl='x'))\n\
other.upload_file(**kwargs)\n\
transfer.upload_file(filename='f', bucket='b', key='k')\n\
S3Transfer(c).download_file(bucket='b', key='k', filename='f', extra_args=None)\n```\n";
        assert!(found(text).is_empty());
    }

    #[test]
    fn suggests_by_meaning() {
        let text = "# G\n\n```python\nimport boto3\nc = boto3.client('s3')\nc.download_file(bucket_name='b', Key='k', file='f')\n```\n";
        let f = found(text);
        assert_eq!(f[0], ("bucket_name".to_string(), "use `Bucket=`".to_string()));
        assert_eq!(f[1], ("file".to_string(), "use `Filename=`".to_string()));
    }

    #[test]
    fn ignores_sections_without_boto3() {
        let text = "# G\n\n## Other library\n\n```python\nstore.upload_file(key='k', filename='f')\n```\n\n## S3\n\n```python\nimport boto3\n```\n";
        assert!(found(text).is_empty());
    }
}
