//! Rules of the `structure` group.

mod broken_anchor;
mod missing_local_file;
mod output_fenced_as_shell;
mod step_number_skipped;
mod toc_out_of_step;
mod unlabelled_fence;

use crate::lint::Rule;
use crate::markdown::Link;
use crate::source::{SourceFile, Span};

/// The rules of this group.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &output_fenced_as_shell::RULE,
        &unlabelled_fence::RULE,
        &broken_anchor::RULE,
        &toc_out_of_step::RULE,
        &missing_local_file::RULE,
        &step_number_skipped::RULE,
    ]
}

/// The first line of a block (its opening fence, for a code block), without the line break.
fn first_line(src: &SourceFile, span: Span) -> Span {
    let text = src.slice(span);
    let len = text.find('\n').unwrap_or(text.len());
    Span::new(span.start, span.start + text[..len].trim_end_matches('\r').len())
}

/// Where a link's destination is written (`#slug` inside `[text](#slug)`); the whole link when
/// it cannot be found (a reference-style link whose definition is elsewhere).
fn dest_span(src: &SourceFile, link: &Link) -> Span {
    let text = src.slice(link.span);
    if !link.dest.is_empty()
        && let Some(at) = text.rfind(link.dest.as_str())
    {
        return Span::new(link.span.start + at, link.span.start + at + link.dest.len());
    }
    link.span
}

/// `%XX` escapes decoded (invalid escapes and invalid UTF-8 are kept as written).
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%C3%BC"), "ü");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%2"), "%2");
    }

    /// The Markdown of the first fenced block of a doc section.
    fn example(doc: &str, heading: &str) -> String {
        let section = doc.split(heading).nth(1).unwrap_or("");
        let section = section.split("\n## Use instead").next().unwrap_or("");
        let parsed = crate::markdown::parse(section);
        parsed
            .blocks
            .iter()
            .find_map(|b| match &b.kind {
                crate::markdown::BlockKind::Code(c) if c.lang == "markdown" => Some(c.content.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    #[test]
    fn doc_examples_are_flagged_and_their_fixes_are_not() {
        for rule in rules() {
            let bad = example(rule.doc, "## Example");
            let good = example(rule.doc, "## Use instead");
            assert!(!bad.is_empty() && !good.is_empty(), "{rule:?}");
            assert!(!crate::lint::check_text(&bad, rule).is_empty(), "{rule:?} does not flag its example");
            // A local file's existence depends on the directory the test runs in.
            if rule.code != "RB105" {
                let found = crate::lint::check_text(&good, rule);
                assert!(found.is_empty(), "{rule:?} flags its fix: {found:?}");
            }
        }
    }

    #[test]
    fn every_rule_is_in_the_group_and_documented() {
        for rule in rules() {
            assert!(rule.code.starts_with("RB1"), "{rule:?}");
            assert_eq!(rule.group, crate::lint::Group::Structure);
            for heading in ["## What it checks", "## Why it matters", "## Example", "## Use instead"] {
                assert!(rule.doc.contains(heading), "{rule:?} lacks {heading}");
            }
        }
    }
}
