//! Discovery: secrets nobody declared but that output reveals by their shape — `"password": "…"`,
//! `KEY=value` lines with a secret-named key, AWS access key ids, private key blocks, GitHub and Slack
//! tokens, JWTs, passwords in URLs and `Authorization` header values — plus the checks the stream
//! redactor uses to tell whether an unfinished line may still be writing one. Patterns only: the
//! values found are added to the set by [`Redactor::discover`](super::Redactor::discover).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::bytes::Regex;

use super::MIN_SECRET_LEN;
use super::encode::percent_decode;

/// Key names whose value is a secret (case-insensitive, `-`/`_`/`.` or nothing between words).
const SECRET_KEY_NAMES: &str = r"(?:aws[-_.]?secret[-_.]?access[-_.]?key|secret[-_.]?access[-_.]?key|aws[-_.]?session[-_.]?token|session[-_.]?token|access[-_.]?token|refresh[-_.]?token|client[-_.]?secret|private[-_.]?key|secret[-_.]?key|api[-_.]?key|passphrase|passwd|password|token|secret|credentials)";

/// The start of a secret-named key and its separator: the key may carry a prefix (`DB_PASSWORD`,
/// `github_token`) and quotes (JSON, Python); `:` or `=` follows.
fn key_head() -> String {
    format!(r#"(?:^|[^A-Za-z0-9_.\-])["']?[A-Za-z0-9_.\-]*?{SECRET_KEY_NAMES}["']?[ \t]*[:=][ \t]*"#)
}

/// `"key": "value"` (JSON escapes allowed), `key: 'value'`, `key: value`, `KEY=value`; the value is
/// group 1 (double-quoted), 2 (single-quoted) or 3 (bare; not a list or an object).
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"(?im-u){}(?:"((?:[^"\\\r\n]|\\[^\r\n])*)"|'([^'\r\n]*)'|([^\s"'\[{{][^\s]*))"#, key_head()))
        .expect("valid key-value pattern")
});

static AWS_ACCESS_KEY_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)\b(?:AKIA|ASIA|AROA|AIDA|ANPA|ANVA|AGPA|AIPA|APKA|ABIA|ACCA)[A-Z0-9]{16}\b")
        .expect("valid AWS key pattern")
});

static PRIVATE_KEY_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s-u)-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----.*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----")
        .expect("valid private key pattern")
});

pub(super) static PRIVATE_KEY_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----").expect("valid begin pattern"));

pub(super) static PRIVATE_KEY_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----").expect("valid end pattern"));

/// GitHub, Slack and JWT tokens: the whole match is the secret.
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u)\b(?:gh[pousr]_[A-Za-z0-9]{36,}\b",
        r"|github_pat_[A-Za-z0-9_]{22,}",
        r"|xox[abposr]-[A-Za-z0-9\-]{10,}",
        r"|eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,})",
    ))
    .expect("valid token pattern")
});

/// `scheme://user:PASSWORD@host`: the password is group 1.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@:]*:([^\s/@]+)@").expect("valid URL pattern")
});

/// `Authorization: Bearer|Basic|token VALUE`: the value is group 1.
static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u)\bauthorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|basic|token)[ \t]+([A-Za-z0-9._~+/=\-]{4,})"#,
    )
    .expect("valid authorization pattern")
});

/// `$NAME` or `${NAME}` (a reference printed literally), or `<none>`, `<unset>`, `<your token>`
/// (a placeholder): not values.
static NOT_A_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|<[A-Za-z _\-]{1,40}>)$").expect("valid placeholder pattern")
});

/// A partial line holding a secret whose value has begun (or a token whose prefix is the value's
/// own start): such a line is not emitted before it is complete.
/// Where the bare value of a key-value match starts.
fn bare_start(caps: &regex::bytes::Captures<'_>) -> usize {
    caps.get(3).map_or(0, |m| m.start())
}

/// A name in code: `access_key`, `config.secret`, `os.environ["X"]`, `get_token()`.
static CODE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\[[^\]]*\]?|\([^)]*\)?)?$")
        .expect("valid code name pattern")
});

static VALUE_IN_PROGRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        concat!(
            r#"(?im-u){}["']?[^\s"']"#,
            r"|://|\bauthorization\b|\bbearer\b",
            r"|(?-i:\b(?:AKIA|ASIA|AROA|AIDA|ANPA|ANVA|AGPA|AIPA|APKA|ABIA|ACCA|gh[pousr]_|github_pat_|xox[abposr]-|eyJ)|-----BEGIN)",
        ),
        key_head()
    ))
    .expect("valid in-progress pattern")
});

/// Literal starts of values (and whether they must begin at a word boundary): a partial line that
/// ends with a proper prefix of one of these may be the start of a secret.
const VALUE_PREFIXES: &[(&[u8], bool)] = &[
    (b"AKIA", true),
    (b"ASIA", true),
    (b"AROA", true),
    (b"AIDA", true),
    (b"ANPA", true),
    (b"ANVA", true),
    (b"AGPA", true),
    (b"AIPA", true),
    (b"APKA", true),
    (b"ABIA", true),
    (b"ACCA", true),
    (b"ghp_", true),
    (b"gho_", true),
    (b"ghu_", true),
    (b"ghs_", true),
    (b"ghr_", true),
    (b"github_pat_", true),
    (b"xoxa-", true),
    (b"xoxb-", true),
    (b"xoxp-", true),
    (b"xoxo-", true),
    (b"xoxr-", true),
    (b"xoxs-", true),
    (b"eyJ", true),
    (b"-----BEGIN", false),
];

/// The secret values in `text`, deduplicated, in the order of the patterns.
pub(super) fn discover_values(text: &[u8]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    let mut keep = |value: Vec<u8>| {
        if is_plausible_secret(&value) && seen.insert(value.clone()) {
            found.push(value);
        }
    };
    for caps in KEY_VALUE.captures_iter(text) {
        // `[secret: NAME]` and `[redacted: NAME]` are this tool's own markers, and `${token:0:6}`
        // is a shell expansion: neither is an assignment.
        let start = caps.get(0).map_or(0, |m| m.start());
        let before = |i: usize| i.checked_sub(1).and_then(|j| text.get(j)).copied();
        let marker = text.get(start) == Some(&b'[') || before(start) == Some(b'[');
        let expansion = (text.get(start) == Some(&b'{') && before(start) == Some(b'$'))
            || (before(start) == Some(b'{') && before(start.saturating_sub(1)) == Some(b'$'));
        if marker || expansion {
            continue;
        }
        if let Some(quoted) = caps.get(1) {
            for value in json_string_values(quoted.as_bytes()) {
                keep(value);
            }
        } else if let Some(quoted) = caps.get(2) {
            keep(quoted.as_bytes().to_vec());
        } else if let Some(bare) = caps.get(3) {
            let bare = bare.as_bytes();
            let end = bare.iter().rposition(|b| !matches!(b, b',' | b';' | b')' | b']' | b'}')).map_or(0, |p| p + 1);
            // `aws_secret_access_key=access_key,` is a keyword argument naming a variable in
            // code, not a value (`Password=hunter2;` in a connection string still is one).
            // bash's `NAME_PASSWORD: unbound variable` is a message, not a value.
            if bare == b"unbound" && text[bare_start(&caps) + bare.len()..].starts_with(b" variable") {
                continue;
            }
            let assigned = caps.get(0).is_some_and(|m| text[m.start()..bare_start(&caps)].contains(&b'='));
            if assigned && bare[end..].iter().any(|b| matches!(b, b',' | b')')) && CODE_NAME.is_match(&bare[..end]) {
                continue;
            }
            keep(bare[..end].to_vec());
        }
    }
    for pattern in [&*AWS_ACCESS_KEY_ID, &*PRIVATE_KEY_BLOCK, &*TOKENS] {
        for m in pattern.find_iter(text) {
            keep(m.as_bytes().to_vec());
        }
    }
    for caps in URL_PASSWORD.captures_iter(text) {
        if let Some(password) = caps.get(1) {
            let password = password.as_bytes();
            keep(password.to_vec());
            if password.contains(&b'%') {
                keep(percent_decode(password));
            }
        }
    }
    for caps in AUTHORIZATION.captures_iter(text) {
        if let Some(value) = caps.get(1) {
            keep(value.as_bytes().to_vec());
        }
    }
    found
}

/// The value of a JSON string body: decoded, plus the raw text if serde_json would escape the
/// decoded value differently (so the printed form is matched either way).
fn json_string_values(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    match serde_json::from_slice::<String>(&quoted) {
        Ok(decoded) => {
            let reencoded = serde_json::to_string(&decoded).unwrap_or_default();
            let mut values = vec![decoded.into_bytes()];
            if reencoded.as_bytes() != quoted.as_slice() {
                values.push(raw.to_vec());
            }
            values
        }
        Err(_) => vec![raw.to_vec()],
    }
}

/// Whether a discovered value is worth redacting: not empty or short, not a literal like `null`,
/// not already a redaction or a mask, not a `$VARIABLE` reference or a `<none>` placeholder.
fn is_plausible_secret(value: &[u8]) -> bool {
    let trimmed = value.trim_ascii();
    if trimmed.len() < MIN_SECRET_LEN {
        return false;
    }
    let lower = trimmed.to_ascii_lowercase();
    let literal =
        matches!(lower.as_slice(), b"null" | b"none" | b"nil" | b"true" | b"false" | b"undefined" | b"redacted");
    let redaction = lower.starts_with(b"[redacted") || lower.starts_with(b"(redacted");
    let mask = trimmed.iter().all(|&b| b == b'*');
    !(literal || redaction || mask || NOT_A_VALUE.is_match(trimmed))
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether an unfinished line may hold a secret still being written: a secret-named key whose value
/// has begun, a URL with credentials, an `Authorization` header, a token or key block that has begun,
/// or a tail that could be the beginning of one.
pub(super) fn value_in_progress(line: &[u8]) -> bool {
    if VALUE_IN_PROGRESS.is_match(line) {
        return true;
    }
    VALUE_PREFIXES.iter().any(|&(prefix, boundary)| {
        (1..prefix.len()).any(|k| {
            line.ends_with(&prefix[..k]) && (!boundary || line.len() == k || !is_word_byte(line[line.len() - k - 1]))
        })
    })
}

#[cfg(test)]
mod tests {
    use crate::exec::redact::Redactor;
    use crate::exec::redact::tests::SECRET_KEY;

    const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";

    #[test]
    fn discovers_key_value_forms() {
        let cases: &[(&str, &str)] = &[
            (r#"{"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}"#, SECRET_KEY),
            (r#"{"password": "fake\"quoted\\pw"}"#, "fake\"quoted\\pw"),
            ("password: fakepassword1", "fakepassword1"),
            ("  client_secret: \"fake client secret\"", "fake client secret"),
            ("api-key='fake-api-key'", "fake-api-key"),
            ("export GITHUB_TOKEN=fake_token_value", "fake_token_value"),
            ("AWS_SESSION_TOKEN=FakeSessionToken//EXAMPLE", "FakeSessionToken//EXAMPLE"),
            ("secretAccessKey: FakeCamelCase", "FakeCamelCase"),
            ("{'refresh_token': 'fake-refresh'}", "fake-refresh"),
            ("credentials: fake-cred-string,", "fake-cred-string"),
            ("Passwd = fakepasswd", "fakepasswd"),
        ];
        for (text, want) in cases {
            let r = Redactor::new();
            assert_eq!(r.discover(text.as_bytes()), vec![(*want).to_string()], "{text}");
            let redacted = r.redact(text);
            assert!(!redacted.contains(want), "{text} -> {redacted}");
            assert!(redacted.contains("[redacted]"), "{text} -> {redacted}");
        }
    }

    #[test]
    fn code_names_are_not_values_but_connection_strings_are() {
        let r = Redactor::new();
        assert!(r.discover(b"Server=db;Password=hunter2xyz;Database=x")[0].starts_with("hunter2xyz"));
        assert_eq!(r.discover(b"password: hunter3xyz, user: bob"), ["hunter3xyz"]);
    }

    #[test]
    fn key_value_negatives() {
        for text in [
            "password: ",
            "password:\n",
            "token: null",
            r#"{"token": null, "secret": true, "password": ""}"#,
            "secret: false",
            "password: [redacted]",
            r#""api_key": "[redacted: API_KEY]""#,
            "password: abc",
            "password: ********",
            "TOKEN=$GITHUB_TOKEN",
            "password=${DB_PASSWORD}",
            "token: <none>",
            "password: <redacted>",
            r#""credentials": {"user": "bob"}"#,
            "token_url: https://example.com/token",
            "max_tokens: 4096",
            "the password is not shown",
            "    aws_secret_access_key=access_key,",
            "deploy.md: line 3: CF_PASSWORD: unbound variable",
            "connect(password=settings.db_password)",
            "f(token=os.environ[\"TOKEN\"], x=1)",
        ] {
            let r = Redactor::new();
            assert_eq!(r.discover(text.as_bytes()), Vec::<String>::new(), "{text}");
            assert!(r.is_empty());
        }
    }

    #[test]
    fn own_markers_are_not_assignments() {
        let r = Redactor::new();
        let line = "| `API_TOKEN` | [secret: API_TOKEN] | [redacted: PASSWORD] | \"${token:0:6}\" |\n";
        assert!(r.discover(line.as_bytes()).is_empty());
        assert_eq!(r.redact(line), line);
    }

    #[test]
    fn discovers_aws_access_key_ids() {
        let r = Redactor::new();
        assert_eq!(r.discover(format!("id {KEY_ID}.").as_bytes()), vec![KEY_ID.to_string()]);
        assert_eq!(r.redact(&format!("AccessKeyId={KEY_ID}")), "AccessKeyId=[redacted]");
        assert_eq!(r.discover(b"ASIAY34FZKBOKMUTVV7A"), vec!["ASIAY34FZKBOKMUTVV7A".to_string()]);
        let r = Redactor::new();
        for text in ["AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPLEX", "xAKIAIOSFODNN7EXAMPLE", "AKIAiosfodnn7example"] {
            assert!(r.discover(text.as_bytes()).is_empty(), "{text}");
        }
    }

    #[test]
    fn discovers_private_key_blocks() {
        let block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEfakefakefakeEXAMPLE\nAAAAfakeEXAMPLE==\n-----END RSA PRIVATE KEY-----";
        let r = Redactor::new();
        let text = format!("key:\n{block}\ndone\n");
        assert_eq!(r.discover(text.as_bytes()), vec![block.to_string()]);
        assert_eq!(r.redact(&text), "key:\n[redacted]\ndone\n");
        let r = Redactor::new();
        assert!(r.discover(b"-----BEGIN PUBLIC KEY-----\nMIIBfake\n-----END PUBLIC KEY-----").is_empty());
        assert!(r.discover(b"-----BEGIN PRIVATE KEY-----\nMIIBfake, never ended").is_empty());
    }

    #[test]
    fn discovers_tokens() {
        let ghp = "ghp_EXAMPLEexample0123456789abcdefABCDEF";
        let pat = "github_pat_11EXAMPLE0000000000_example";
        let slack = "xoxb-0000000000-EXAMPLEtoken";
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJleGFtcGxlIn0.ZXhhbXBsZXNpZ25hdHVyZQ";
        for token in [ghp, pat, slack, jwt] {
            let r = Redactor::new();
            assert_eq!(r.discover(format!("got {token} ok").as_bytes()), vec![token.to_string()], "{token}");
        }
        let r = Redactor::new();
        for text in
            ["ghp_EXAMPLEexample0123456789abcdefABCDE", "github_pat_short", "xoxb-short", "eyJhbGciOiJIUzI1NiJ9.short"]
        {
            assert!(r.discover(text.as_bytes()).is_empty(), "{text}");
        }
    }

    #[test]
    fn discovers_url_passwords_and_authorization_headers() {
        let r = Redactor::new();
        assert_eq!(r.discover(b"postgres://app:FakeUrlPassw0rd@db:5432/x"), vec!["FakeUrlPassw0rd".to_string()]);
        assert_eq!(r.redact("redis://:FakeUrlPassw0rd@cache"), "redis://:[redacted]@cache");
        let r = Redactor::new();
        assert_eq!(r.discover(b"https://u:fake%40pw@h/"), vec!["fake%40pw".to_string(), "fake@pw".to_string()]);
        assert!(r.discover(b"https://example.com:8443/path?a=b@c").is_empty());
        assert!(r.discover(b"postgres://app:$DB_PASSWORD@db").is_empty());

        let r = Redactor::new();
        assert_eq!(r.discover(b"Authorization: Bearer fake.bearer.token"), vec!["fake.bearer.token".to_string()]);
        assert_eq!(r.redact("-H 'authorization: basic ZmFrZTpmYWtl'"), "-H 'authorization: basic [redacted]'");
        let r = Redactor::new();
        assert!(r.discover(b"Authorization: Bearer $TOKEN").is_empty());
        assert!(r.discover(b"Authorization: Bearer").is_empty());
    }
}
