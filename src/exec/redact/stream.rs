//! Streaming: [`StreamRedactor`] redacts one output stream as it arrives from a pipe in arbitrary
//! pieces. It emits complete lines only, runs discovery on each line before emitting it, and holds
//! back any tail that could still turn into a secret (a prefix of a registered form, an unfinished
//! private key block, a value being typed), so what it emits over a whole stream equals what
//! [`Redactor::redact_bytes`] gives for the whole text.

use std::fmt;

use super::Redactor;
use super::discover::{PRIVATE_KEY_BEGIN, PRIVATE_KEY_END, value_in_progress};

/// A line longer than this without a newline is emitted anyway (all but a tail) to bound memory.
const MAX_LINE: usize = 64 * 1024;
/// When a long line is cut, this many trailing bytes stay buffered and are scanned again with the
/// next bytes, so a secret straddling the cut is still discovered before it is emitted.
const LINE_OVERLAP: usize = 4 * 1024;
/// How much of an already emitted partial line is kept as context for discovery.
const CONTEXT_LEN: usize = 4 * 1024;
/// How much of that context `flush_partial` looks at to decide whether a value is in progress.
const PROGRESS_CONTEXT_LEN: usize = 1024;

/// Redacts one output stream (stdout or stderr of a step) as it is read, sharing the run's set.
///
/// Bytes are buffered and emitted line by line (a line ends at `\n` or `\r`): discovery runs on each
/// complete line before it is redacted and emitted. A tail that could be the start of a registered
/// form (which may span lines) is held back until more bytes decide, and so is an unfinished private
/// key block. `push` followed by `finish` emits exactly what [`Redactor::redact_bytes`] gives for the
/// whole stream whatever the chunking, unless a discovered value also occurs before the line that
/// revealed it (that earlier occurrence was already emitted).
pub struct StreamRedactor {
    redactor: Redactor,
    /// Bytes read but not yet emitted.
    buf: Vec<u8>,
    /// `buf[..scanned]` has been searched for line ends.
    scanned: usize,
    /// End of the last complete line in `buf`.
    complete: usize,
    /// `buf[..discovered]` has been through discovery.
    discovered: usize,
    /// Bytes of the current line before `buf[discovered..]` (already through discovery, perhaps
    /// emitted), kept so discovery sees the whole line when it completes.
    context: Vec<u8>,
    /// The last emission stopped at a match that runs past the discovered part: nothing more can be
    /// emitted before the next line completes.
    straddled: bool,
}

impl fmt::Debug for StreamRedactor {
    /// Shows how much is buffered, never the bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRedactor").field("buffered", &self.buf.len()).finish_non_exhaustive()
    }
}

impl StreamRedactor {
    /// An empty stream sharing `redactor`'s set (see [`Redactor::stream`]).
    pub(super) fn new(redactor: Redactor) -> StreamRedactor {
        StreamRedactor {
            redactor,
            buf: Vec::new(),
            scanned: 0,
            complete: 0,
            discovered: 0,
            context: Vec::new(),
            straddled: false,
        }
    }

    /// Feed bytes as they are read from a pipe; returns the bytes that are now safe to emit (possibly
    /// empty): the complete lines, redacted, less any tail that could still become a secret.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.buf.extend_from_slice(bytes);
        let new_line = match self.buf[self.scanned..].iter().rposition(|&b| is_line_end(b)) {
            Some(p) => {
                self.complete = self.scanned + p + 1;
                true
            }
            None => false,
        };
        self.scanned = self.buf.len();

        if !new_line && self.buf.len() - self.discovered <= MAX_LINE {
            // No new line: only a held-back tail may have been released by the new bytes.
            if self.discovered == 0 || self.straddled {
                return Vec::new();
            }
            return self.emit(self.discovered);
        }
        let mut target = self.complete.max(self.discovered);
        if let Some(begin) = self.unfinished_private_key(target) {
            target = begin;
        }
        if self.buf.len() - target > MAX_LINE {
            // A very long line: emit all but a tail, which is scanned again with what follows.
            let upto = self.buf.len() - LINE_OVERLAP;
            self.discover_until(self.buf.len());
            self.commit(upto);
        } else if target > self.discovered {
            self.discover_until(target);
            self.commit(target);
        }
        self.emit(self.discovered)
    }

    /// Emit what can be emitted now without waiting for a newline (after a short idle, e.g. when a
    /// process prints a prompt). Still holds back a tail that could be the beginning of a registered
    /// form, an unfinished private key block, and the whole unfinished line when it may hold a secret
    /// in progress (a secret-named key whose value has begun, an AWS-key-shaped prefix, …). A prompt
    /// like `Password: ` is emitted; the line is remembered so its value is found when it arrives.
    pub fn flush_partial(&mut self) -> Vec<u8> {
        let block_held = self.complete > self.discovered;
        if !block_held && self.buf.len() > self.discovered {
            let context = &self.context[self.context.len().saturating_sub(PROGRESS_CONTEXT_LEN)..];
            let mut line = context.to_vec();
            line.extend_from_slice(&self.buf[self.discovered..]);
            // Every discovery pattern has a trigger that `value_in_progress` looks for, so a line
            // without one holds no secret yet: it is emitted, and kept as context for discovery.
            if !value_in_progress(&line) {
                self.commit(self.buf.len());
            }
        }
        self.emit(self.discovered)
    }

    /// End of stream: emit the rest, redacted. The redactor can be used again afterwards.
    pub fn finish(&mut self) -> Vec<u8> {
        if self.buf.len() > self.discovered {
            self.discover_until(self.buf.len());
        }
        let compiled = self.redactor.compiled();
        let mut out = Vec::with_capacity(self.buf.len());
        compiled.replace_until(&self.buf, self.buf.len(), &mut out);
        self.buf.clear();
        self.scanned = 0;
        self.complete = 0;
        self.discovered = 0;
        self.context.clear();
        self.straddled = false;
        out
    }

    /// The start of the line where an unfinished private key block begins in
    /// `buf[discovered..complete]`, unless the block has grown past the line bound.
    fn unfinished_private_key(&self, complete: usize) -> Option<usize> {
        let region = self.buf.get(self.discovered..complete)?;
        let begin = PRIVATE_KEY_BEGIN.find_iter(region).last()?;
        if PRIVATE_KEY_END.is_match(&region[begin.end()..]) {
            return None;
        }
        let line_start = region[..begin.start()].iter().rposition(|&b| is_line_end(b)).map_or(0, |p| p + 1);
        let start = self.discovered + line_start;
        (self.buf.len() - start <= MAX_LINE).then_some(start)
    }

    /// Run discovery on `buf[discovered..end]`, with the current line's earlier bytes as context.
    fn discover_until(&self, end: usize) {
        let fresh = &self.buf[self.discovered..end];
        if self.context.is_empty() {
            self.redactor.discover(fresh);
        } else {
            let mut text = self.context.clone();
            text.extend_from_slice(fresh);
            self.redactor.discover(&text);
        }
    }

    /// Mark `buf[..upto]` as discovered, keeping the unfinished line's bytes as context.
    fn commit(&mut self, upto: usize) {
        let fresh = &self.buf[self.discovered..upto];
        match fresh.iter().rposition(|&b| is_line_end(b)) {
            Some(p) => {
                self.context.clear();
                self.context.extend_from_slice(&fresh[p + 1..]);
            }
            None => self.context.extend_from_slice(fresh),
        }
        if self.context.len() > CONTEXT_LEN {
            let excess = self.context.len() - CONTEXT_LEN;
            self.context.drain(..excess);
        }
        self.discovered = upto;
    }

    /// Emit `buf[..limit]` redacted, less any tail that could still become a secret.
    fn emit(&mut self, limit: usize) -> Vec<u8> {
        let compiled = self.redactor.compiled();
        let limit = compiled.hold_start(&self.buf, limit);
        let mut out = Vec::with_capacity(limit);
        let cut = compiled.replace_until(&self.buf, limit, &mut out);
        self.straddled = cut < limit;
        self.buf.drain(..cut);
        self.scanned -= cut;
        self.complete = self.complete.saturating_sub(cut);
        self.discovered -= cut;
        out
    }
}

fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;
    use crate::exec::redact::encode::{BASE64_STANDARD, HEX_UPPER, base64_encode, percent_encode};
    use crate::exec::redact::tests::{SECRET_KEY, b64, contains, stream_all};

    #[test]
    fn stream_redacts_a_secret_split_across_reads() {
        let r = Redactor::new();
        let mut stream = r.stream();
        let mut out = stream.push(b"id=AKIAIOSF");
        out.extend(stream.push(b"ODNN7EXAMPLE and more\nnext"));
        assert_eq!(out, b"id=[redacted] and more\n");
        out.extend(stream.finish());
        assert_eq!(out, b"id=[redacted] and more\nnext");
    }

    #[test]
    fn stream_holds_back_a_multi_line_secret() {
        let r = Redactor::new();
        r.add("CERT", "line-one\nline-two");
        let mut stream = r.stream();
        assert_eq!(stream.push(b"start line-one\n"), b"start ");
        assert_eq!(stream.push(b"line-two end\n"), b"[redacted: CERT] end\n");
        assert_eq!(stream.push(b"x line-one\n"), b"x ");
        // A line of a multi-line secret is masked on its own too (line tools print it alone).
        assert_eq!(stream.push(b"other\n"), b"[redacted: CERT]\nother\n");
        assert!(stream.finish().is_empty());
    }

    #[test]
    fn flush_partial_holds_back_a_prefix_of_a_secret() {
        let r = Redactor::new();
        r.add("SECRET", SECRET_KEY);
        let mut stream = r.stream();
        assert!(stream.push(b"Enter value: wJalrXUtn").is_empty());
        assert_eq!(stream.flush_partial(), b"Enter value: ");
        assert!(stream.push(b"FEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_empty());
        assert_eq!(stream.flush_partial(), b"[redacted: SECRET]");
        assert_eq!(stream.push(b"\n"), b"\n");
        assert!(stream.finish().is_empty());
    }

    #[test]
    fn flush_partial_emits_a_prompt_but_holds_a_value_in_progress() {
        let r = Redactor::new();
        let mut stream = r.stream();
        stream.push(b"Password: ");
        assert_eq!(stream.flush_partial(), b"Password: ");
        stream.push(b"fake-typed-pw");
        assert!(stream.flush_partial().is_empty());
        assert_eq!(stream.push(b"\n"), b"[redacted]\n");

        stream.push(br#"{"password": "ab"#);
        assert!(stream.flush_partial().is_empty());
        assert_eq!(stream.push(b"cdefgh\"}\n"), b"{\"password\": \"[redacted]\"}\n");

        stream.push(b"key id AKI");
        assert!(stream.flush_partial().is_empty());
        stream.push(b"AIOSFODNN7EXAMPLE");
        assert!(stream.flush_partial().is_empty());
        assert_eq!(stream.finish(), b"key id [redacted]");

        stream.push(b"Continue? [y/N] ");
        assert_eq!(stream.flush_partial(), b"Continue? [y/N] ");
    }

    #[test]
    fn flush_partial_keeps_the_line_as_context() {
        let r = Redactor::new();
        let mut stream = r.stream();
        stream.push(b"export DB_PASS");
        assert_eq!(stream.flush_partial(), b"export DB_PASS");
        assert_eq!(stream.push(b"WORD=fake-context-pw\n"), b"WORD=[redacted]\n");
    }

    #[test]
    fn stream_holds_an_unfinished_private_key_block() {
        let block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAfakeEXAMPLE\nAAAAfake\n-----END OPENSSH PRIVATE KEY-----";
        let text = format!("before\n{block}\nafter\n");
        let r = Redactor::new();
        let mut stream = r.stream();
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(1) {
            out.extend(stream.push(chunk));
            out.extend(stream.flush_partial());
            assert!(!contains(&out, b"b3BlbnNzaC1rZXktdjEAAAAfakeEXAMPLE"));
        }
        out.extend(stream.finish());
        assert_eq!(out, b"before\n[redacted]\nafter\n");
    }

    #[test]
    fn long_lines_are_bounded() {
        let r = Redactor::new();
        r.add("SECRET", SECRET_KEY);
        let mut line = vec![b'a'; 100 * 1024];
        line.extend_from_slice(SECRET_KEY.as_bytes());
        line.extend(std::iter::repeat_n(b'b', 100 * 1024));
        let mut stream = r.stream();
        let mut out = Vec::new();
        for chunk in line.chunks(1000) {
            out.extend(stream.push(chunk));
            assert!(stream.buf.len() <= MAX_LINE + 1000, "buffered {}", stream.buf.len());
        }
        assert!(out.len() >= line.len() - MAX_LINE - 1000);
        out.extend(stream.finish());
        assert_eq!(out, r.redact_bytes(&line));
        assert!(!contains(&out, SECRET_KEY.as_bytes()));
    }

    #[test]
    fn discovery_in_one_stream_redacts_later_streams() {
        let r = Redactor::new();
        let mut step1 = r.stream();
        let out = step1.push(format!("{{\"SecretAccessKey\": \"{SECRET_KEY}\"}}\n").as_bytes());
        assert_eq!(out, b"{\"SecretAccessKey\": \"[redacted]\"}\n");
        step1.finish();
        let mut step2 = r.clone().stream();
        let encoded = b64(SECRET_KEY.as_bytes());
        let mut out = step2.push(format!("plain {SECRET_KEY}\nb64 {encoded}\n").as_bytes());
        out.extend(step2.finish());
        assert_eq!(out, b"plain [redacted]\nb64 [redacted]\n");
    }

    #[test]
    fn streams_on_two_threads_share_the_set() {
        let r = Redactor::new();
        r.add("SECRET", SECRET_KEY);
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let r = r.clone();
                std::thread::spawn(move || {
                    let mut stream = r.stream();
                    let mut out = Vec::new();
                    for n in 0..50 {
                        let line = format!("{i}:{n} {SECRET_KEY} token=fake-thread-{i}-{n}\n");
                        for chunk in line.as_bytes().chunks(7) {
                            out.extend(stream.push(chunk));
                        }
                    }
                    out.extend(stream.finish());
                    out
                })
            })
            .collect();
        for handle in handles {
            let out = handle.join().unwrap();
            assert!(!contains(&out, SECRET_KEY.as_bytes()));
            assert!(!contains(&out, b"fake-thread-"));
        }
        assert_eq!(r.len(), 101);
    }

    /// Secrets for the property tests: no brackets (so no secret can straddle a replacement), no
    /// `:`, `=` or space (so nothing triggers discovery), possibly with newlines, quotes, backslashes.
    fn secret_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z0-9!#$%&()*+,./;<>?@^_{|}~\"\\\\\n-]{4,40}".prop_filter("not blank, not part of a replacement", |s| {
            !s.trim().is_empty() && !"[redacted: S0] [redacted: S1] [redacted: S2] [redacted]".contains(s.as_str())
        })
    }

    #[derive(Clone, Debug)]
    enum Piece {
        Text(String),
        Raw(usize),
        Json(usize),
        Base64(usize),
        Url(usize),
    }

    fn piece_strategy() -> impl Strategy<Value = Piece> {
        prop_oneof![
            3 => "[a-z0-9 .,\n]{0,30}".prop_map(Piece::Text),
            2 => (0..3usize).prop_map(Piece::Raw),
            1 => (0..3usize).prop_map(Piece::Json),
            1 => (0..3usize).prop_map(Piece::Base64),
            1 => (0..3usize).prop_map(Piece::Url),
        ]
    }

    fn cuts_to_chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        points.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn streaming_equals_whole_text_for_any_split(
            secrets in proptest::collection::vec(secret_strategy(), 3),
            pieces in proptest::collection::vec(piece_strategy(), 0..12),
            cuts in proptest::collection::vec(any::<usize>(), 0..40),
            one_byte in any::<bool>(),
        ) {
            let r = Redactor::new();
            for (i, secret) in secrets.iter().enumerate() {
                r.add(&format!("S{i}"), secret);
            }
            let mut stream = Vec::new();
            for piece in &pieces {
                match piece {
                    Piece::Text(text) => stream.extend_from_slice(text.as_bytes()),
                    Piece::Raw(i) => stream.extend_from_slice(secrets[*i].as_bytes()),
                    Piece::Json(i) => {
                        let json = serde_json::to_string(&secrets[*i]).unwrap();
                        stream.extend_from_slice(&json.as_bytes()[1..json.len() - 1]);
                    }
                    Piece::Base64(i) => stream.extend(base64_encode(secrets[*i].as_bytes(), BASE64_STANDARD, true)),
                    Piece::Url(i) => stream.extend(percent_encode(secrets[*i].as_bytes(), false, HEX_UPPER)),
                }
            }
            let chunks = if one_byte { stream.chunks(1).map(<[u8]>::to_vec).collect() } else { cuts_to_chunks(&stream, &cuts) };
            let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            let streamed = stream_all(&r, &chunk_refs);
            let whole = r.redact_bytes(&stream);
            prop_assert_eq!(&streamed, &whole);
            prop_assert_eq!(r.len(), secrets.iter().collect::<HashSet<_>>().len());
            for secret in &secrets {
                let json = serde_json::to_string(secret).unwrap();
                for form in [
                    secret.as_bytes().to_vec(),
                    json.as_bytes()[1..json.len() - 1].to_vec(),
                    base64_encode(secret.as_bytes(), BASE64_STANDARD, true),
                ] {
                    prop_assert!(!contains(&streamed, &form), "{:?} leaked in {:?}", secret, String::from_utf8_lossy(&streamed));
                }
            }
        }

        #[test]
        fn discovered_value_never_shows_whatever_the_split(
            value in "[A-Za-z0-9/+]{40}",
            before in "[a-z \n]{0,20}",
            cuts in proptest::collection::vec(any::<usize>(), 0..30),
            flushes in proptest::collection::vec(any::<bool>(), 31),
        ) {
            let text = format!("{before}{{\n  \"aws_secret_access_key\": \"{value}\"\n}}\ndone");
            let r = Redactor::new();
            let mut stream = r.stream();
            let mut out = Vec::new();
            for (chunk, flush) in cuts_to_chunks(text.as_bytes(), &cuts).iter().zip(flushes.iter().chain(std::iter::repeat(&false))) {
                out.extend(stream.push(chunk));
                if *flush {
                    out.extend(stream.flush_partial());
                }
                prop_assert!(!contains(&out, value.as_bytes()));
            }
            out.extend(stream.finish());
            prop_assert!(!contains(&out, value.as_bytes()));
            let want = format!("{before}{{\n  \"aws_secret_access_key\": \"[redacted]\"\n}}\ndone");
            prop_assert_eq!(String::from_utf8_lossy(&out), want);
        }
    }
}
