//! JSON: inside a string literal a value is JSON-escaped; elsewhere it becomes a whole string.

use super::{Edit, Job, after_backslash};
use crate::render::RenderError;

/// `v` as a JSON string literal, quotes included.
pub(super) fn literal(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| String::from("\"\""))
}

/// `v` escaped for the inside of a JSON string literal.
pub(super) fn escape(v: &str) -> String {
    let lit = literal(v);
    lit[1..lit.len() - 1].to_string()
}

pub(super) fn edits(job: &mut Job<'_>) -> Result<Vec<Edit>, RenderError> {
    let bytes = job.text.as_bytes();
    let count = job.slots.len();
    let mut in_string = vec![false; count];
    let mut k = 0;
    let mut inside = false;
    let mut i = 0;
    while i < bytes.len() {
        if k < count && job.slots[k].start <= i {
            in_string[k] = inside;
            i = i.max(job.slots[k].end);
            k += 1;
            continue;
        }
        match bytes[i] {
            b'"' => {
                inside = !inside;
                i += 1;
            }
            b'\\' if inside => i += if k < count && job.slots[k].start == i + 1 { 1 } else { 2 },
            _ => i += 1,
        }
    }
    // Slots at the very end of the text.
    while k < count {
        in_string[k] = inside;
        k += 1;
    }
    (0..count)
        .map(|i| {
            let v = job.data(i)?;
            if in_string[i] && after_backslash(job.text, job.slots[i].start) {
                return Err(job.err(i, "a placeholder right after a backslash cannot be filled safely"));
            }
            let s = if in_string[i] { escape(&v) } else { literal(&v) };
            Ok(Edit::slot(&job.slots[i], s))
        })
        .collect()
}
