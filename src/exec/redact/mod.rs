//! Redaction of secrets in everything a step prints.
//!
//! This module owns three things:
//!
//! - the run's **redaction set** ([`Redactor`]): every secret value known to the run (declared by the
//!   runbook or discovered in output), each with the forms a program is likely to print it in
//!   (JSON-escaped, percent-encoded, base64 alone and inside a longer base64 stream), matched with one
//!   leftmost-longest Aho-Corasick automaton that is rebuilt lazily when the set grows;
//! - the **discovery patterns**: secrets nobody declared but that output reveals by their shape
//!   (`"password": "…"`, `KEY=value` lines with a secret-named key, AWS access key ids, private key
//!   blocks, GitHub and Slack tokens, JWTs, passwords in URLs, `Authorization` header values). A
//!   discovered value joins the shared set, so it is redacted in every later output of the run;
//! - **streaming** ([`StreamRedactor`]): output arrives from pipes in arbitrary pieces, so a secret
//!   may be split across reads. The stream redactor emits complete lines only, and holds back any tail
//!   that could still turn into a secret, so the concatenation of what it emits equals what
//!   [`Redactor::redact_bytes`] gives for the whole stream.
//!
//! It never spawns processes, prints, or touches files: callers feed it bytes and write what it
//! returns wherever they like. It never panics on any input and works on bytes throughout, so
//! output that is not UTF-8 passes through untouched.
//!
//! The set, its replacement text and the automaton live here; the other concerns each have a file:
//! `discover` (the discovery patterns), `encode` (the derived forms a value is also matched in) and
//! `stream` ([`StreamRedactor`]).

mod discover;
mod encode;
mod stream;

use std::collections::btree_map::Entry as BTreeEntry;
use std::collections::hash_map::Entry as HashEntry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use aho_corasick::{AhoCorasick, MatchKind};

use discover::discover_values;
use encode::derived_forms;
pub use stream::StreamRedactor;

/// Values shorter than this are never secrets: redacting them would mangle ordinary text.
const MIN_SECRET_LEN: usize = 4;
/// Replacement for a discovered value, and for anything redacted under an empty name.
const GENERIC_REPLACEMENT: &[u8] = b"[redacted]";
/// What a chunk becomes if the automaton could not be built: fail closed, never leak.
const WITHHELD: &[u8] = b"[redacted: output withheld]";

/// Whose secret a registered form is; decides the replacement text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Label {
    /// Declared by the runbook under this name.
    Known(Arc<str>),
    /// Found in output by a discovery pattern (registered under the name "discovered"; replaced by
    /// a plain `[redacted]`).
    Discovered,
}

impl Label {
    /// A known name wins over "discovered"; between two known names the first registered stays.
    fn outranks(&self, other: &Label) -> bool {
        matches!((self, other), (Label::Known(_), Label::Discovered))
    }

    fn replacement(&self) -> Vec<u8> {
        match self {
            Label::Known(name) if !name.is_empty() => format!("[redacted: {name}]").into_bytes(),
            _ => GENERIC_REPLACEMENT.to_vec(),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Original values (what `len` counts) and their labels.
    values: HashMap<Vec<u8>, Label>,
    /// Every form of every value, in byte order so pattern ids and replacements are deterministic.
    forms: BTreeMap<Vec<u8>, Label>,
    /// Bumped whenever `forms` changes.
    generation: u64,
    /// The automaton for some generation; rebuilt on demand when stale.
    compiled: Option<Arc<Compiled>>,
}

/// A shared, growing set of secrets.
///
/// Cheap to clone (an `Arc` inside) and thread-safe: the stdout and stderr readers of a step run on
/// two threads and share one set, and so do all the steps of a run.
#[derive(Clone, Default)]
pub struct Redactor {
    inner: Arc<RwLock<Inner>>,
}

impl fmt::Debug for Redactor {
    /// Shows how many values are registered, never the values themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").field("values", &self.len()).finish_non_exhaustive()
    }
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Add a known secret value under a name (e.g. `ACCESS_KEY_ID`); occurrences become
    /// `[redacted: NAME]`.
    ///
    /// Also registers its derived forms: JSON-escaped (as serde_json writes it inside a string,
    /// without the quotes), percent-encoded (every byte outside `A-Za-z0-9-._~`, upper- and
    /// lower-case hex, and with `+` for space), base64 (standard and URL-safe alphabets, with and
    /// without padding), and the alignment-independent middle of its base64 encoding inside a longer
    /// base64 stream at each byte offset mod 3 (when at least 8 characters long). A value with
    /// surrounding whitespace also registers its trimmed form.
    ///
    /// Values shorter than 4 bytes, or made only of whitespace, are ignored (they would redact
    /// ordinary text): returns false for them, true otherwise. Adding a value twice is harmless; a
    /// value first discovered and then added under a name takes that name.
    pub fn add(&self, name: &str, value: &str) -> bool {
        self.insert(value.as_bytes(), &Label::Known(Arc::from(name)))
    }

    /// Number of distinct registered values, known and discovered (all forms of one value count once).
    pub fn len(&self) -> usize {
        self.read().values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redact a complete text: discovery first (discovered values join the set), then every
    /// occurrence of every registered form is replaced.
    pub fn redact(&self, text: &str) -> String {
        match String::from_utf8(self.redact_bytes(text.as_bytes())) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// Same as [`Redactor::redact`] for bytes that need not be UTF-8.
    pub fn redact_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        self.discover(bytes);
        let compiled = self.compiled();
        let mut out = Vec::with_capacity(bytes.len());
        compiled.replace_until(bytes, bytes.len(), &mut out);
        out
    }

    /// Redact a text of the tool's own (a transcript, a progress line) with the values already
    /// known, without discovery: the runbook's own words (`aws_secret_access_key=…` in a code
    /// sample) are not secrets, and must not mask later output.
    pub fn redact_known(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let compiled = self.compiled();
        let mut out = Vec::with_capacity(bytes.len());
        compiled.replace_until(bytes, bytes.len(), &mut out);
        match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// Discover secrets in a text without redacting it: returns the values found (in the order of
    /// the patterns, without repeats) and adds them to the set under the name "discovered".
    pub fn discover(&self, text: &[u8]) -> Vec<String> {
        let mut found = Vec::new();
        for value in discover_values(text) {
            self.insert(&value, &Label::Discovered);
            let value = String::from_utf8_lossy(&value).into_owned();
            if !found.contains(&value) {
                found.push(value);
            }
        }
        found
    }

    /// A streaming redactor for one output stream (stdout or stderr of a step) sharing this set.
    pub fn stream(&self) -> StreamRedactor {
        StreamRedactor::new(self.clone())
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(&self, value: &[u8], label: &Label) -> bool {
        if value.len() < MIN_SECRET_LEN || value.iter().all(u8::is_ascii_whitespace) {
            return false;
        }
        if let Some(existing) = self.read().values.get(value)
            && !label.outranks(existing)
        {
            return true;
        }
        let forms = derived_forms(value);
        let mut inner = self.write();
        let mut changed = match inner.values.entry(value.to_vec()) {
            HashEntry::Vacant(slot) => {
                slot.insert(label.clone());
                true
            }
            HashEntry::Occupied(mut slot) => upgrade(slot.get_mut(), label),
        };
        for form in forms {
            changed |= match inner.forms.entry(form) {
                BTreeEntry::Vacant(slot) => {
                    slot.insert(label.clone());
                    true
                }
                BTreeEntry::Occupied(mut slot) => upgrade(slot.get_mut(), label),
            };
        }
        if changed {
            inner.generation = inner.generation.wrapping_add(1);
        }
        true
    }

    /// The automaton for the current set, rebuilt only when the set changed since the last build.
    fn compiled(&self) -> Arc<Compiled> {
        {
            let inner = self.read();
            if let Some(compiled) = &inner.compiled
                && compiled.generation == inner.generation
            {
                return Arc::clone(compiled);
            }
        }
        let mut inner = self.write();
        if let Some(compiled) = &inner.compiled
            && compiled.generation == inner.generation
        {
            return Arc::clone(compiled);
        }
        let compiled = Arc::new(Compiled::build(&inner));
        inner.compiled = Some(Arc::clone(&compiled));
        compiled
    }
}

fn upgrade(slot: &mut Label, label: &Label) -> bool {
    if label.outranks(slot) {
        *slot = label.clone();
        true
    } else {
        false
    }
}

enum Matcher {
    /// Nothing registered.
    Empty,
    Automaton(AhoCorasick),
    /// The automaton could not be built (absurdly large set): withhold output rather than leak it.
    Failed,
}

/// One generation of the set, ready to match.
struct Compiled {
    generation: u64,
    matcher: Matcher,
    /// The forms in byte order; index = pattern id.
    forms: Vec<Box<[u8]>>,
    /// Replacement text per pattern id.
    replacements: Vec<Vec<u8>>,
    /// Which bytes start some form (a quick filter for hold-back checks).
    starts: [bool; 256],
    max_len: usize,
}

impl Compiled {
    fn build(inner: &Inner) -> Compiled {
        let forms: Vec<Box<[u8]>> = inner.forms.keys().map(|form| form.clone().into_boxed_slice()).collect();
        let replacements = inner.forms.values().map(Label::replacement).collect();
        let mut starts = [false; 256];
        for form in &forms {
            if let Some(&first) = form.first() {
                starts[usize::from(first)] = true;
            }
        }
        let max_len = forms.iter().map(|form| form.len()).max().unwrap_or(0);
        let matcher = if forms.is_empty() {
            Matcher::Empty
        } else {
            match AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&forms) {
                Ok(automaton) => Matcher::Automaton(automaton),
                Err(_) => Matcher::Failed,
            }
        };
        Compiled { generation: inner.generation, matcher, forms, replacements, starts, max_len }
    }

    /// Writes `hay[..cut]` to `out` with every match replaced, and returns `cut`: `limit`, or the
    /// start of a match that begins before `limit` but ends after it (that match is left for later).
    ///
    /// Only matches that start before `limit` matter, and each of them lies within
    /// `limit + max_len`, so the search never looks further (no rescans of a long buffer).
    fn replace_until(&self, hay: &[u8], limit: usize, out: &mut Vec<u8>) -> usize {
        let limit = limit.min(hay.len());
        match &self.matcher {
            Matcher::Empty => {
                out.extend_from_slice(&hay[..limit]);
                limit
            }
            Matcher::Failed => {
                if limit > 0 {
                    out.extend_from_slice(WITHHELD);
                }
                limit
            }
            Matcher::Automaton(automaton) => {
                let end = hay.len().min(limit.saturating_add(self.max_len));
                let mut last = 0;
                let mut cut = limit;
                for m in automaton.find_iter(&hay[..end]) {
                    if m.start() >= limit {
                        break;
                    }
                    if m.end() > limit {
                        cut = m.start();
                        break;
                    }
                    out.extend_from_slice(&hay[last..m.start()]);
                    if let Some(replacement) = self.replacements.get(m.pattern().as_usize()) {
                        out.extend_from_slice(replacement);
                    }
                    last = m.end();
                }
                out.extend_from_slice(&hay[last..cut]);
                cut
            }
        }
    }

    /// The first position before `limit` from which the rest of `hay` is a proper prefix of some
    /// form (more bytes could complete a secret there), or `limit` if there is none.
    fn hold_start(&self, hay: &[u8], limit: usize) -> usize {
        if self.max_len < 2 {
            return limit;
        }
        let from = hay.len().saturating_sub(self.max_len - 1);
        (from..limit.min(hay.len()))
            .find(|&i| self.starts[usize::from(hay[i])] && self.is_proper_prefix(&hay[i..]))
            .unwrap_or(limit)
    }

    /// Whether some registered form is longer than `s` and starts with it. The forms are sorted, so
    /// the smallest form greater than `s` is the only candidate.
    fn is_proper_prefix(&self, s: &[u8]) -> bool {
        let idx = self.forms.partition_point(|form| form.as_ref() <= s);
        self.forms.get(idx).is_some_and(|form| form.starts_with(s))
    }
}

#[cfg(test)]
mod tests {
    //! Tests of the set itself, and helpers shared with the other files' tests.

    use super::encode::{BASE64_STANDARD, base64_encode};
    use super::*;

    /// A secret-shaped value used throughout the tests.
    pub(super) const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    pub(super) fn b64(bytes: &[u8]) -> String {
        String::from_utf8(base64_encode(bytes, BASE64_STANDARD, true)).unwrap()
    }

    pub(super) fn stream_all(redactor: &Redactor, chunks: &[&[u8]]) -> Vec<u8> {
        let mut stream = redactor.stream();
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend(stream.push(chunk));
        }
        out.extend(stream.finish());
        out
    }

    pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
        needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn plain_value_is_replaced_by_its_name() {
        let r = Redactor::new();
        assert!(r.add("AWS_SECRET_ACCESS_KEY", SECRET_KEY));
        assert_eq!(r.redact(&format!("key={SECRET_KEY} done")), "key=[redacted: AWS_SECRET_ACCESS_KEY] done");
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn short_and_blank_values_are_ignored() {
        let r = Redactor::new();
        assert!(!r.add("PIN", "abc"));
        assert!(!r.add("BLANK", "      "));
        assert!(r.is_empty());
        assert_eq!(r.redact("abc abc"), "abc abc");
        assert!(r.add("FOUR", "abcd"));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn adding_twice_is_harmless_and_first_name_wins() {
        let r = Redactor::new();
        assert!(r.add("FIRST", "example-secret-1"));
        assert!(r.add("FIRST", "example-secret-1"));
        assert!(r.add("SECOND", "example-secret-1"));
        assert_eq!(r.len(), 1);
        assert_eq!(r.redact("x example-secret-1 y"), "x [redacted: FIRST] y");
    }

    #[test]
    fn empty_name_gives_generic_replacement() {
        let r = Redactor::new();
        r.add("", "example-secret-2");
        assert_eq!(r.redact("example-secret-2"), "[redacted]");
    }

    #[test]
    fn overlapping_matches_prefer_leftmost_then_longest() {
        let r = Redactor::new();
        r.add("SHORT", "abcdef");
        r.add("LONG", "abcdefgh");
        assert_eq!(r.redact("xx abcdefgh xx abcdefg"), "xx [redacted: LONG] xx [redacted: SHORT]g");
        let r = Redactor::new();
        r.add("LEFT", "1234abcd");
        r.add("RIGHT", "abcd5678");
        assert_eq!(r.redact("1234abcd5678"), "[redacted: LEFT]5678");
    }

    #[test]
    fn known_name_wins_over_discovered() {
        let r = Redactor::new();
        assert_eq!(r.redact("password: hunter2hunter2"), "password: [redacted]");
        r.add("DB_PASSWORD", "hunter2hunter2");
        assert_eq!(r.len(), 1);
        assert_eq!(r.redact("again hunter2hunter2"), "again [redacted: DB_PASSWORD]");
        let r = Redactor::new();
        r.add("DB_PASSWORD", "hunter2hunter2");
        assert_eq!(r.redact("password=hunter2hunter2"), "password=[redacted: DB_PASSWORD]");
    }

    #[test]
    fn non_utf8_bytes_pass_through_untouched() {
        let r = Redactor::new();
        r.add("SECRET", SECRET_KEY);
        let mut input = vec![0xff, 0xfe, b'a', 0x80, b'\n', 0xc3];
        input.extend_from_slice(SECRET_KEY.as_bytes());
        input.extend_from_slice(&[0xe2, 0x82, b'\n', 0x00]);
        let mut want = vec![0xff, 0xfe, b'a', 0x80, b'\n', 0xc3];
        want.extend_from_slice(b"[redacted: SECRET]");
        want.extend_from_slice(&[0xe2, 0x82, b'\n', 0x00]);
        assert_eq!(r.redact_bytes(&input), want);
        let one_byte: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(stream_all(&r, &one_byte), want);
        let plain = [0xff, 0x00, 0x80, b'\n', 0xfe];
        assert_eq!(stream_all(&Redactor::new(), &[&plain]), plain);
    }

    #[test]
    fn debug_never_shows_values() {
        let r = Redactor::new();
        r.add("SECRET", SECRET_KEY);
        let shown = format!("{r:?} {:?}", r.stream());
        assert!(!shown.contains("wJalr"));
        assert!(shown.contains("values: 1"));
    }

    #[test]
    fn automaton_is_rebuilt_only_when_the_set_changes() {
        let r = Redactor::new();
        r.add("A", "first-secret");
        let one = r.compiled();
        assert!(Arc::ptr_eq(&one, &r.compiled()));
        r.add("A", "first-secret");
        assert!(Arc::ptr_eq(&one, &r.compiled()));
        r.add("B", "second-secret");
        assert!(!Arc::ptr_eq(&one, &r.compiled()));
    }
}
