//! A step's output on its way to the user and the record: cut at a limit, held back while the
//! step's secrets are unknown, and compared with the runbook's samples.

use super::{ExpectRecord, Runner, Status, StepRecord, Ui};
use crate::exec::expect;
use crate::exec::process::Stream;
use std::time::{Duration, Instant};

use crate::exec::redact::{Redactor, StreamRedactor};
use crate::render::Mode;
use crate::steps::{BlockKind, Step};

/// How long output may end without a newline before what is safe of it is shown.
const IDLE_FLUSH: Duration = Duration::from_millis(150);

/// Chunks of a running block on their way out: raw stdout kept (bounded) for captures and
/// samples, then either held (the step's secrets are not known yet) or redacted by one redactor
/// over both streams in arrival order and shown. An empty chunk means a quiet tick: a prompt
/// without a newline (`Password>`) is shown after a short pause, except what could start a secret.
pub(super) struct Forward {
    combined: StreamRedactor,
    hold: bool,
    last: Instant,
    partial: bool,
}

impl Forward {
    pub(super) fn new(redactor: &Redactor, hold: bool) -> Forward {
        Forward { combined: redactor.stream(), hold, last: Instant::now(), partial: false }
    }

    pub(super) fn chunk(&mut self, s: Stream, b: &[u8], out: &mut Collected, raw: &mut Vec<u8>, ui: &mut dyn Ui) {
        if b.is_empty() {
            if self.partial && !self.hold && self.last.elapsed() > IDLE_FLUSH {
                let safe = self.combined.flush_partial();
                out.show(s, &safe, ui);
                self.partial = false;
            }
            return;
        }
        self.last = Instant::now();
        self.partial = !b.ends_with(b"\n");
        if s == Stream::Stdout && raw.len() < super::MAX_RAW_STDOUT {
            raw.extend_from_slice(b);
        }
        if self.hold {
            out.hold(s, b);
        } else {
            let safe = self.combined.push(b);
            out.show(s, &safe, ui);
        }
    }

    pub(super) fn finish(mut self, out: &mut Collected, ui: &mut dyn Ui) {
        out.show(Stream::Stdout, &self.combined.finish(), ui);
    }
}

/// The most output held back while a step's secrets are unknown.
const MAX_HELD: usize = 16 * 1024 * 1024;

impl Runner<'_> {
    /// Compare the step's stdout with every sample of it.
    pub(super) fn compare_samples(&self, step: &Step, stdout: &str, record: &mut StepRecord) {
        let samples = self.rb.steps.iter().enumerate().flat_map(|(i, s)| {
            s.blocks
                .iter()
                .filter(move |b| {
                    b.kind == BlockKind::Output
                        && (b.output_of.as_deref() == Some(step.id.as_str())
                            || (s.id == step.id && b.output_of.is_none()))
                })
                .map(move |b| (i, b))
        });
        for (i, b) in samples {
            let sample = self.render(i, b, Mode::Display).map_or_else(|_| b.text.clone(), |r| r.text);
            let line = self.line_of(b.content_start);
            match expect::compare(&sample, stdout) {
                Ok(shape) => {
                    record.expected.push(ExpectRecord {
                        line,
                        shape: shape.as_str(),
                        matched: true,
                        summary: None,
                        diff: None,
                    });
                }
                Err(m) => {
                    record.status = Status::Failed;
                    record.failed_line = Some(line);
                    record.message =
                        Some(format!("{} (sample at {}:{line})", m.summary, self.rb.source.path.display()));
                    record.expected.push(ExpectRecord {
                        line,
                        shape: expect::shape_of(&sample).as_str(),
                        matched: false,
                        summary: Some(m.summary),
                        diff: Some(self.redactor.redact_known(&m.diff)),
                    });
                }
            }
        }
    }
}

/// Output of one step: what the records keep (cut at a limit) and raw chunks held back until
/// the step's secrets are known.
pub(super) struct Collected {
    pub(super) text: String,
    pub(super) truncated: usize,
    limit: usize,
    held: Vec<(Stream, Vec<u8>)>,
}

impl Collected {
    pub(super) fn new(limit: usize) -> Collected {
        Collected { text: String::new(), truncated: 0, limit, held: Vec::new() }
    }

    pub(super) fn show(&mut self, stream: Stream, safe: &[u8], ui: &mut dyn Ui) {
        // `stream` is where the bytes that completed this piece came from (the redactor joins
        // both streams).
        if safe.is_empty() {
            return;
        }
        ui.output(stream, safe);
        let text = String::from_utf8_lossy(safe);
        let room = self.limit.saturating_sub(self.text.len());
        if text.len() <= room {
            self.text.push_str(&text);
        } else {
            let mut cut = room;
            while cut > 0 && !text.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push_str(&text[..cut]);
            self.truncated += text.len() - cut;
        }
    }

    pub(super) fn hold(&mut self, stream: Stream, raw: &[u8]) {
        // Bounded: beyond the limit, held output is counted but not kept.
        let held: usize = self.held.iter().map(|(_, b)| b.len()).sum();
        if held >= MAX_HELD {
            self.truncated += raw.len();
            return;
        }
        match self.held.last_mut() {
            Some((s, bytes)) if *s == stream => bytes.extend_from_slice(raw),
            _ => self.held.push((stream, raw.to_vec())),
        }
    }

    /// Whether output is being held back.
    pub(super) fn holds_output(&self) -> bool {
        !self.held.is_empty()
    }

    /// Drop held output that cannot be shown safely, saying so.
    pub(super) fn withhold(&mut self, ui: &mut dyn Ui) {
        let bytes: usize = self.held.iter().map(|(_, b)| b.len()).sum();
        self.held.clear();
        let note =
            format!("[output withheld: {bytes} bytes that hold a secret capture whose value could not be read]\n");
        self.show(Stream::Stdout, note.as_bytes(), ui);
    }

    pub(super) fn release(&mut self, redactor: &Redactor, ui: &mut dyn Ui) {
        let held = std::mem::take(&mut self.held);
        let mut stream = redactor.stream();
        for (s, raw) in held {
            let safe = stream.push(&raw);
            self.show(s, &safe, ui);
        }
        self.show(Stream::Stdout, &stream.finish(), ui);
    }
}
