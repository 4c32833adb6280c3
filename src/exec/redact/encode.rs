//! Derived forms: the encodings in which a program is likely to print a secret, each registered
//! alongside the value itself — JSON-escaped (as inside a JSON string), percent-encoded, base64 (the
//! value alone, standard and URL-safe, padded or not) and the alignment-independent fragments of its
//! base64 encoding inside a longer base64 stream. Also the percent-decoding that discovery applies
//! to passwords found in URLs. Pure functions on bytes.

use std::collections::BTreeSet;

use super::MIN_SECRET_LEN;

/// Shortest alignment-independent base64 fragment worth registering.
const MIN_FRAGMENT_LEN: usize = 8;

pub(super) const BASE64_STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub(super) const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Every form of `value` worth matching (deduplicated, at least `MIN_SECRET_LEN` bytes each).
pub(super) fn derived_forms(value: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = BTreeSet::new();
    let trimmed = value.trim_ascii();
    let mut variants = vec![value];
    if trimmed.len() != value.len() && trimmed.len() >= MIN_SECRET_LEN {
        variants.push(trimmed);
    }
    for variant in variants {
        forms.insert(variant.to_vec());
        if let Ok(text) = std::str::from_utf8(variant)
            && let Ok(json) = serde_json::to_string(text)
            && let Some(inside) = json.as_bytes().get(1..json.len().saturating_sub(1))
        {
            forms.insert(inside.to_vec());
        }
        // As Python's repr and bash's `set -x` quote it inside single quotes.
        forms.insert(escape_single_quoted(variant, b"\\'"));
        forms.insert(escape_single_quoted(variant, b"'\\''"));
        // Each line of a multi-line value (a key file) is printed on its own by line tools.
        if variant.contains(&b'\n') {
            for line in variant.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.trim_ascii().len() >= MIN_SECRET_LEN {
                    forms.insert(line.to_vec());
                }
            }
        }
        forms.insert(percent_encode(variant, false, HEX_UPPER));
        forms.insert(percent_encode(variant, false, HEX_LOWER));
        forms.insert(percent_encode(variant, true, HEX_UPPER));
        for alphabet in [BASE64_STANDARD, BASE64_URL_SAFE] {
            let padded = base64_encode(variant, alphabet, true);
            forms.insert(base64_encode(variant, alphabet, false));
            forms.insert(padded);
            for offset in 0..3 {
                if let Some(fragment) = base64_fragment(variant, offset, alphabet) {
                    forms.insert(fragment);
                }
            }
        }
    }
    forms.retain(|form| form.len() >= MIN_SECRET_LEN);
    forms.into_iter().collect()
}

/// `value` with each `'` replaced by `quote` (and, for Python's `\'`, each `\` doubled), as it
/// appears between single quotes.
fn escape_single_quoted(value: &[u8], quote: &[u8]) -> Vec<u8> {
    let python = quote == b"\\'";
    let mut out = Vec::with_capacity(value.len() + 8);
    for &b in value {
        match b {
            b'\'' => out.extend_from_slice(quote),
            b'\\' if python => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
    out
}

/// Percent-encoding of every byte outside `A-Za-z0-9-._~` (and `+` for space if asked).
pub(super) fn percent_encode(bytes: &[u8], plus_for_space: bool, hex: &[u8; 16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else if b == b' ' && plus_for_space {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 0x0f)]]);
        }
    }
    out
}

pub(super) fn base64_encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| usize::from(chunk.get(i).copied().unwrap_or(0));
        let group = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        let significant = chunk.len() + 1;
        for i in 0..4 {
            if i < significant {
                out.push(alphabet[(group >> (18 - 6 * i)) & 0x3f]);
            } else if pad {
                out.push(b'=');
            }
        }
    }
    out
}

/// The characters of the base64 encoding of `value` that depend on `value` alone when it sits
/// `offset` bytes (mod 3) into a longer stream; `None` when fewer than `MIN_FRAGMENT_LEN`.
fn base64_fragment(value: &[u8], offset: usize, alphabet: &[u8; 64]) -> Option<Vec<u8>> {
    let bits_before = offset.checked_mul(8)?;
    let bits_through = offset.checked_add(value.len())?.checked_mul(8)?;
    // Character j covers bits 6j..6j+6: it is determined when they all lie in the value's bits.
    let first = bits_before.div_ceil(6);
    let end = bits_through / 6;
    if end < first.checked_add(MIN_FRAGMENT_LEN)? {
        return None;
    }
    let mut data = vec![0; offset];
    data.extend_from_slice(value);
    data.extend_from_slice(&[0, 0]);
    base64_encode(&data, alphabet, false).get(first..end).map(<[u8]>::to_vec)
}

pub(super) fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
        {
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_shell_xtrace_and_lines_of_multi_line_values() {
        let forms = derived_forms(b"Ab'cd\"Ef\\x");
        assert!(forms.contains(&b"Ab\\'cd\"Ef\\\\x".to_vec()), "python repr");
        assert!(forms.contains(&b"Ab'\\''cd\"Ef\\x".to_vec()), "bash xtrace");
        let forms = derived_forms(b"first-line\nsecond-line\n");
        assert!(forms.contains(&b"first-line".to_vec()) && forms.contains(&b"second-line".to_vec()));
    }
    use crate::exec::redact::Redactor;
    use crate::exec::redact::tests::{SECRET_KEY, b64, contains};

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(b64(b"f"), "Zg==");
        assert_eq!(b64(b"fo"), "Zm8=");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(&[0xfb, 0xff], BASE64_URL_SAFE, false), b"-_8");
        assert_eq!(percent_encode(b"a b/~", false, HEX_UPPER), b"a%20b%2F~");
        assert_eq!(percent_decode(b"p%40ss%2fx%zz"), b"p@ss/x%zz");
    }

    #[test]
    fn json_escaped_form_with_quote_and_backslash() {
        let r = Redactor::new();
        let value = "fake\"pass\\word\nline2";
        r.add("DB_PASSWORD", value);
        let json = serde_json::to_string(&serde_json::json!({ "pw": value })).unwrap();
        assert!(json.contains(r#"fake\"pass\\word\nline2"#));
        assert_eq!(r.redact(&json), r#"{"pw":"[redacted: DB_PASSWORD]"}"#);
    }

    #[test]
    fn url_encoded_forms_with_space_and_slash() {
        let r = Redactor::new();
        r.add("PW", "fake pass/word");
        assert_eq!(r.redact("https://h/?p=fake%20pass%2Fword&x=1"), "https://h/?p=[redacted: PW]&x=1");
        assert_eq!(r.redact("p=fake+pass%2Fword"), "p=[redacted: PW]");
        assert_eq!(r.redact("p=fake%20pass%2fword"), "p=[redacted: PW]");
    }

    #[test]
    fn base64_forms_of_the_value_alone() {
        let r = Redactor::new();
        r.add("SECRET", SECRET_KEY);
        let standard = base64_encode(SECRET_KEY.as_bytes(), BASE64_STANDARD, true);
        let url_safe = base64_encode(SECRET_KEY.as_bytes(), BASE64_URL_SAFE, false);
        for form in [standard, url_safe] {
            let mut text = b"data: ".to_vec();
            text.extend_from_slice(&form);
            assert_eq!(r.redact_bytes(&text), b"data: [redacted: SECRET]");
        }
        // A 5-byte value needs padding: both padded and unpadded encodings are registered.
        let r = Redactor::new();
        r.add("FIVE", "fives");
        assert_eq!(b64(b"fives"), "Zml2ZXM=");
        assert_eq!(r.redact("a Zml2ZXM= b"), "a [redacted: FIVE] b");
        assert_eq!(r.redact("a Zml2ZXM b"), "a [redacted: FIVE] b");
    }

    #[test]
    fn base64_inside_a_longer_stream_at_each_offset() {
        let r = Redactor::new();
        r.add("SECRET", SECRET_KEY);
        for offset in 0..3 {
            let mut data = b"{\"user\":\"bob\",\"key\":\"".to_vec();
            data.truncate(12 + offset);
            data.extend_from_slice(SECRET_KEY.as_bytes());
            data.extend_from_slice(b"\",\"more\":true}");
            let encoded = b64(&data);
            let redacted = r.redact(&encoded);
            assert!(redacted.contains("[redacted: SECRET]"), "offset {offset}: {redacted}");
            let fragment = base64_fragment(SECRET_KEY.as_bytes(), offset, BASE64_STANDARD).unwrap();
            assert!(fragment.len() >= MIN_FRAGMENT_LEN);
            assert!(!contains(redacted.as_bytes(), &fragment), "offset {offset}");
        }
    }

    #[test]
    fn fragments_shorter_than_eight_are_not_registered() {
        let r = Redactor::new();
        r.add("TINY", "abcd");
        let encoded = b64(b"xabcdyz");
        assert_eq!(r.redact(&encoded), encoded);
        assert!(derived_forms(b"abcd").iter().all(|f| f.len() >= MIN_SECRET_LEN));
    }
}
