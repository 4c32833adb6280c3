//! RB501 `hard-coded-credential`: a credential written into the runbook.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::rules::commands::util as shell;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::source::Span;

use super::util::{self, Lang, Unit};

pub static RULE: Rule = Rule {
    code: "RB501",
    name: "hard-coded-credential",
    group: Group::Secrets,
    severity: Severity::Error,
    summary: "a credential written into the runbook: a key, token, password or private key",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

Every block and inline code span, for credentials written out in full:

- AWS access key ids (`AKIA…`, `ASIA…`), and 40-character secret keys;
- private key blocks (`-----BEGIN … PRIVATE KEY-----` with a key body);
- GitHub tokens (`ghp_…`, `gho_…`, `ghs_…`, `github_pat_…`), Slack tokens (`xoxb-…`), JWTs;
- passwords in URLs (`https://user:pass@host`) and `Authorization: Bearer …` headers;
- literal values given to secret-named variables and keys (`password`, `secret`, `token`, \
`api_key`, `aws_secret_access_key`…) in Python, JSON, YAML, `.env` files and shell `export`.

A value that stands for the secret is fine: a placeholder (`SECRET_ACCESS_KEY`, `<TOKEN>`), a \
reference (`$TOKEN`, `${{ secrets.TOKEN }}`, `os.environ[\"TOKEN\"]`), a redaction \
(`[redacted]`, `***`) or nothing. Documented example values, such as AWS's \
`AKIAIOSFODNN7EXAMPLE`, are reported as `info`.

## Why it matters

A runbook is copied, pasted, committed and shared: a real credential in it is a leaked \
credential, valid until someone rotates it. A runbook that shows values in place of \
placeholders also teaches readers to paste their own secrets into documents and terminals.

## Example

````markdown
```python
s3 = boto3.resource(\"s3\", aws_secret_access_key=\"n0tAReAlKeyButL00ksLikeOne/abcdefghijklm\")
```
````

## Use instead

````markdown
```python
s3 = boto3.resource(\"s3\")  # boto3 reads AWS_SECRET_ACCESS_KEY from the environment
```
````
";

/// (regex, capture group of the secret, what it is)
static TOKENS: LazyLock<Vec<(Regex, usize, &'static str)>> = LazyLock::new(|| {
    vec![
        (Regex::new(r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b").unwrap(), 0, "an AWS access key id"),
        (Regex::new(r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}\b").unwrap(), 0, "a GitHub token"),
        (Regex::new(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b").unwrap(), 0, "a GitHub token"),
        (Regex::new(r"\bxox[baprs]-[A-Za-z0-9-]{10,}").unwrap(), 0, "a Slack token"),
        (
            Regex::new(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}").unwrap(),
            0,
            "a JSON Web Token",
        ),
        (
            Regex::new(r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'"<>]+:([^\s@/'"]+)@[A-Za-z0-9]"#).unwrap(),
            1,
            "a password in a URL",
        ),
        (
            Regex::new(r#"(?i)\bauthorization\s*:\s*(?:bearer|basic|token)\s+([^\s'"\\]+)"#).unwrap(),
            1,
            "a literal `Authorization` credential",
        ),
    ]
});

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----([\s\S]*?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)")
        .unwrap()
});
static KEY_BODY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/=]{24,}").unwrap());

/// `"key": "value"` and `'key': 'value'` (JSON, Python dicts).
static QUOTED_KV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["']([A-Za-z_][A-Za-z0-9_.\-]*)["']\s*:\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')"#).unwrap()
});
/// `key: value` (YAML).
static YAML_KV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*(?:-[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*:[ \t]+([^\n]*?)[ \t]*$").unwrap()
});
/// `name = "value"` (Python assignments and keyword arguments, TOML).
static QUOTED_ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_][A-Za-z0-9_\[\]]*\s*)?=\s*[rRbBuU]?(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')"#)
        .unwrap()
});
/// `["name"] = "value"` (Python subscript assignment, `os.environ["X"] = …`).
static SUBSCRIPT_ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]\s*=\s*[rRbBuU]?(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')"#,
    )
    .unwrap()
});
/// `NAME=value`, `export NAME=value` (shell, `.env` files).
static SHELL_ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s;&|)'"]+)"#,
    )
    .unwrap()
});
static AWS_SECRET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z0-9/+]{40}$").unwrap());

struct Candidate {
    span: Span,
    message: String,
    example: bool,
    /// Specific token patterns win over `key = value` findings on the same text.
    specific: bool,
}

/// A value given to a secret-named key.
fn assigned(unit: &Unit<'_>, ctx: &LintContext<'_>, key: &str, value: (usize, usize), out: &mut Vec<Candidate>) {
    if !util::secret_name(key) {
        return;
    }
    let text = &unit.text[value.0..value.1];
    let span = unit.span(value.0, value.1);
    if util::stands_for_secret(text) || util::placeholder_at(ctx, span).is_some() {
        return;
    }
    let lower = key.to_ascii_lowercase();
    let what = if AWS_SECRET.is_match(text) && lower.contains("secret") {
        format!("`{key}` holds what looks like an AWS secret access key")
    } else {
        format!("`{key}` is set to a literal secret")
    };
    out.push(Candidate { span, message: what, example: util::documented_example(text), specific: false });
}

fn group_range(c: &regex::Captures<'_>, groups: &[usize]) -> Option<(usize, usize)> {
    groups.iter().find_map(|&g| c.get(g)).map(|m| (m.start(), m.end()))
}

fn scan_unit(unit: &Unit<'_>, ctx: &LintContext<'_>, out: &mut Vec<Candidate>) {
    let text = unit.text;
    for (re, group, what) in TOKENS.iter() {
        for c in re.captures_iter(text) {
            let Some(m) = c.get(*group) else { continue };
            let value = m.as_str();
            if util::stands_for_secret(value) || value.contains("XXXX") || value.contains("xxxx") {
                continue;
            }
            out.push(Candidate {
                span: unit.span(m.start(), m.end()),
                message: format!("{what} is written into the runbook"),
                example: util::documented_example(value),
                specific: true,
            });
        }
    }
    for c in PRIVATE_KEY.captures_iter(text) {
        let body = c.get(1).map_or("", |m| m.as_str());
        if KEY_BODY.is_match(body) {
            let m = c.get(0).map_or(0..0, |m| m.range());
            let end = text[m.start..].find('\n').map_or(m.end, |e| m.start + e);
            out.push(Candidate {
                span: unit.span(m.start, end),
                message: "a private key is written into the runbook".into(),
                example: util::documented_example(body),
                specific: true,
            });
        }
    }
    for c in QUOTED_KV.captures_iter(text) {
        if let Some(v) = group_range(&c, &[2, 3]) {
            assigned(unit, ctx, &c[1], v, out);
        }
    }
    match unit.lang {
        Lang::Python => {
            for re in [&*QUOTED_ASSIGN, &*SUBSCRIPT_ASSIGN] {
                for c in re.captures_iter(text) {
                    if let Some(v) = group_range(&c, &[2, 3]) {
                        assigned(unit, ctx, &c[1], v, out);
                    }
                }
            }
        }
        Lang::Shell => shell_assignments(unit, ctx, out),
        Lang::Data => {
            for c in YAML_KV.captures_iter(text) {
                let Some(m) = c.get(2) else { continue };
                let raw = m.as_str();
                if raw.starts_with(['{', '[', '|', '>', '&', '*', '!', '#']) {
                    continue;
                }
                let (start, end) = if raw.len() >= 2
                    && ((raw.starts_with('"') && raw.ends_with('"')) || (raw.starts_with('\'') && raw.ends_with('\'')))
                {
                    (m.start() + 1, m.end() - 1)
                } else {
                    let cut = raw.find(" #").unwrap_or(raw.len());
                    (m.start(), m.start() + raw[..cut].trim_end().len())
                };
                if start < end {
                    assigned(unit, ctx, &c[1], (start, end), out);
                }
            }
            for c in QUOTED_ASSIGN.captures_iter(text) {
                if let Some(v) = group_range(&c, &[2, 3]) {
                    assigned(unit, ctx, &c[1], v, out);
                }
            }
            shell_assignments(unit, ctx, out);
        }
    }
}

fn shell_assignments(unit: &Unit<'_>, ctx: &LintContext<'_>, out: &mut Vec<Candidate>) {
    for c in SHELL_ASSIGN.captures_iter(unit.text) {
        let Some(m) = c.get(2) else { continue };
        let raw = m.as_str();
        let (start, end) = if raw.len() >= 2 && (raw.starts_with('"') || raw.starts_with('\'')) {
            (m.start() + 1, m.end() - 1)
        } else {
            (m.start(), m.end())
        };
        if start < end {
            assigned(unit, ctx, &c[1], (start, end), out);
        }
    }
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let mut found: Vec<Candidate> = Vec::new();
    for unit in util::units(ctx) {
        scan_unit(&unit, ctx, &mut found);
    }
    // `cf set-env APP SECRET_NAME value` assigns too.
    shell::simple_commands(ctx, |cmd| {
        let Some(args) = shell::cf_args(&cmd.words) else { return };
        let (true, [_, name, value]) = (args.name == "set-env", &args.positionals[..]) else { return };
        let span = cmd.span(value);
        if !util::secret_name(&name.text)
            || util::stands_for_secret(&value.text)
            || value.text.contains('`')
            || util::placeholder_at(ctx, span).is_some()
        {
            return;
        }
        let message = if AWS_SECRET.is_match(&value.text) && name.text.to_ascii_lowercase().contains("secret") {
            format!("`{}` holds what looks like an AWS secret access key", name.text)
        } else {
            format!("`{}` is set to a literal secret", name.text)
        };
        found.push(Candidate { span, message, example: util::documented_example(&value.text), specific: false });
    });
    // One finding per place: a specific pattern beats a `key = value` finding on the same text.
    found.sort_by_key(|c| (c.span.start, !c.specific, c.span.end));
    let mut kept: Vec<Candidate> = Vec::new();
    for c in found {
        if kept.iter().any(|k| k.span.start < c.span.end && c.span.start < k.span.end) {
            continue;
        }
        kept.push(c);
    }
    for c in kept {
        let finding = report.add(c.span, c.message);
        if c.example {
            finding
                .severity(Severity::Info)
                .help("this is a documented example value; a placeholder declared `secret: true` still reads better");
        } else {
            finding.help(
                "replace it with a placeholder declared `secret: true` (or read it from the environment), \
                 and rotate the credential if it was ever real",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    #[test]
    fn tokens_and_keys() {
        let text = "```bash\nexport GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n\
                    curl https://admin:pa55word@db.example.com/x -H 'Authorization: Bearer abc.def.ghi'\n```\n";
        let f = check_text(text, &RULE);
        let got: Vec<&str> = f.iter().map(|f| &text[f.span.start..f.span.end]).collect();
        assert_eq!(got, ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "pa55word", "abc.def.ghi"], "{f:?}");
    }

    #[test]
    fn documented_examples_are_info() {
        let f = check_text("```ini\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n```\n", &RULE);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Some(Severity::Info));
    }

    #[test]
    fn assignments_in_python_json_and_yaml() {
        let text = "```python\nclient = make(password='hunter2-but-longer')\n```\n\n\
                    ```json\n{\"api_key\": \"k-1234567890\"}\n```\n\n\
                    ```yaml\ndb:\n  password: s3cr3t # old\n```\n";
        let f = check_text(text, &RULE);
        let got: Vec<&str> = f.iter().map(|f| &text[f.span.start..f.span.end]).collect();
        assert_eq!(got, ["hunter2-but-longer", "k-1234567890", "s3cr3t"], "{f:?}");
    }

    #[test]
    fn cf_set_env_with_a_literal_secret() {
        let text = "```bash\ncf set-env app API_TOKEN tok-1234567890\ncf set-env app API_TOKEN API_TOKEN_VALUE\n```\n";
        let f = check_text(text, &RULE);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(&text[f[0].span.start..f[0].span.end], "tok-1234567890");
    }

    #[test]
    fn placeholders_and_references_are_fine() {
        let text = "```python\ns3 = boto3.resource('s3', aws_access_key_id='ACCESS_KEY_ID', aws_secret_access_key=key)\n\
                    token = os.environ[\"TOKEN\"]\n```\n\n\
                    ```json\n{\"aws_secret_access_key\": \"[redacted]\", \"token_url\": \"https://x\"}\n```\n\n\
                    ```bash\nexport AWS_SECRET_ACCESS_KEY=\"$SECRET\"\ncf set-env app PASSWORD \"$PASSWORD\"\n```\n\n\
                    ```yaml\nenv:\n  API_TOKEN: ${{ secrets.API_TOKEN }}\n  password: <PASSWORD>\n```\n";
        let f = check_text(text, &RULE);
        assert!(f.is_empty(), "{f:?}");
    }
}
