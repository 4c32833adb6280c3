//! Rules of the `python` group, and what they share: which blocks are Python, the namespace
//! (level-2 section) a block runs in, and a small tokenizer.

mod boto3_wrong_keyword;
mod capture_after_python_start;
mod coarse;
mod environ_called;
mod python_syntax_error;
pub mod tokens;
mod unbalanced_quotes_in_inline_python;
mod undefined_python_name;

pub use coarse::coarse_error;

use crate::lint::Rule;
use crate::steps::{BlockKind, Runbook, StepBlock};
use tokens::Token;

/// The rules of this group.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &python_syntax_error::RULE,
        &environ_called::RULE,
        &undefined_python_name::RULE,
        &boto3_wrong_keyword::RULE,
        &unbalanced_quotes_in_inline_python::RULE,
        &capture_after_python_start::RULE,
    ]
}

/// Fence languages that mean Python.
pub fn is_python_lang(lang: &str) -> bool {
    ["python", "py", "python3"].iter().any(|l| l.eq_ignore_ascii_case(lang))
}

/// A Python `code` block (what the syntax pre-pass compiles).
pub fn is_python_code(block: &StepBlock) -> bool {
    block.kind == BlockKind::Code && !block.inline && is_python_lang(&block.lang)
}

/// Any Python block, code or a file written to disk.
pub fn is_python_source(block: &StepBlock) -> bool {
    matches!(block.kind, BlockKind::Code | BlockKind::File) && !block.inline && is_python_lang(&block.lang)
}

/// `(step index, block index, block)` of every Python code block, in document order.
pub fn python_code_blocks(runbook: &Runbook) -> impl Iterator<Item = (usize, usize, &StepBlock)> {
    runbook.steps.iter().enumerate().flat_map(|(si, step)| {
        step.blocks.iter().enumerate().filter(|(_, b)| is_python_code(b)).map(move |(bi, b)| (si, bi, b))
    })
}

/// The section whose blocks share one Python namespace (see [`Runbook::namespace`]).
pub fn namespace(runbook: &Runbook, section: &str) -> String {
    runbook.namespace(section)
}

/// Index of the bracket that closes the opening bracket at `open`.
pub fn matching_close(tokens: &[Token], open: usize) -> Option<usize> {
    let depth = tokens.get(open)?.depth;
    tokens
        .iter()
        .enumerate()
        .skip(open + 1)
        .find(|(_, t)| t.depth == depth && t.kind == tokens::Kind::Op && t.end == t.start + 1)
        .map(|(i, _)| i)
}
