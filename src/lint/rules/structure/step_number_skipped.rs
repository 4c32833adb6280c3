//! RB106 `step-number-skipped`: printed step numbers that skip or repeat within a procedure.
use std::cmp::Ordering;
use std::collections::HashMap;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::markdown::{BlockKind, Document};
use crate::source::{SourceFile, Span};

pub static RULE: Rule = Rule {
    code: "RB106",
    name: "step-number-skipped",
    group: Group::Structure,
    severity: Severity::Warning,
    summary: "the printed numbers of a procedure's steps skip or repeat",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\n\
The numbers printed before the steps of a section (`1.`, `2.`, …) must count up by one. A \
number that skips (`1, 2, 4`), repeats (`1, 1`) or goes back is flagged. Sub-steps (`5.1`, \
`5.2`) are checked among themselves, under their parent step.\n\n\
A list interrupted by code blocks or notes may go on with the next number (`8`, a note, `9`): \
that is one procedure. Numbering starts again at `1` under a new heading, and also within a \
section when an introductory sentence opens a new procedure. A list written with the same \
number on every item (`1.`, `1.`, `1.`), which Markdown renders as `1, 2, 3`, is fine.\n\n\
## Why it matters\n\n\
Readers and the runbook both address steps by their printed numbers (\"repeat steps 1 and 2\"). \
A gap makes readers look for a step that is not there; a repeat makes two steps share a number. \
Both usually mean a step was deleted, moved or split without renumbering, or that a code block \
broke the list so Markdown restarted its count.\n\n\
## Example\n\n\
```markdown\n\
1. Log in.\n\
2. Target the space.\n\
4. Push the app.\n\
```\n\n\
## Use instead\n\n\
```markdown\n\
1. Log in.\n\
2. Target the space.\n\
3. Push the app.\n\
```\n";

/// The previous numbered step of a sequence.
#[derive(Clone, Copy)]
struct Prev {
    number: u64,
    item: Option<usize>,
    end: usize,
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let rb = ctx.runbook;
    let doc = &rb.document;
    let item_at: HashMap<Span, usize> = doc
        .blocks
        .iter()
        .filter_map(|b| match b.kind {
            BlockKind::ItemStart(i) => Some((b.span, i)),
            _ => None,
        })
        .collect();
    // (section, parent number) → the last step numbered in that sequence.
    let mut last: HashMap<(String, String), Prev> = HashMap::new();
    for step in &rb.steps {
        let Some(number) = step.number.as_deref() else { continue };
        let (prefix, own) = number.rsplit_once('.').unwrap_or(("", number));
        let Ok(n) = own.parse::<u64>() else { continue };
        // A step opens a fresh sequence for its own sub-steps.
        let sub = format!("{number}.");
        last.retain(|(section, p), _| !(*section == step.section && (p == number || p.starts_with(&sub))));
        let item = item_at.get(&step.span).copied();
        let key = (step.section.clone(), prefix.to_string());
        if let Some(prev) = last.get(&key).copied()
            && !in_sequence(doc, prev, n, item, step.span.start)
        {
            let full = |k: u64| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
            let (this, before, expected) = (full(n), full(prev.number), full(prev.number + 1));
            let message = match n.cmp(&prev.number) {
                Ordering::Equal => format!("step number `{this}` repeats the number of the step before it"),
                Ordering::Greater => {
                    let missing = if n == prev.number + 2 {
                        format!("step `{expected}` is missing")
                    } else {
                        format!("steps `{expected}` to `{}` are missing", full(n - 1))
                    };
                    format!("step `{this}` follows step `{before}`: {missing}")
                }
                Ordering::Less => format!("step numbers go back from `{before}` to `{this}` within one procedure"),
            };
            let span = item.map_or_else(|| super::first_line(&rb.source, step.span), |i| marker(&rb.source, doc, i));
            report.add(span, message).help(format!(
                "number this step `{expected}` and renumber the ones after it, or start a new procedure with a heading or an introductory sentence"
            ));
        }
        last.insert(key, Prev { number: n, item, end: step.span.end });
    }
}

/// Whether step number `n` may follow `prev`.
fn in_sequence(doc: &Document, prev: Prev, n: u64, item: Option<usize>, start: usize) -> bool {
    if n == prev.number + 1 {
        return true;
    }
    let same_list = match (prev.item, item) {
        (Some(a), Some(b)) => doc.items[a].list == doc.items[b].list,
        _ => false,
    };
    if same_list {
        // `1.` on every item: Markdown numbers them itself.
        let list = &doc.lists[doc.items[item.unwrap_or_default()].list];
        let numbers: Vec<Option<u64>> = list.items.iter().map(|&i| doc.items[i].number).collect();
        return numbers.windows(2).all(|w| w[0] == w[1]);
    }
    // A new procedure: back to 1 after a sentence (or rule, or table) outside the list.
    n == 1
        && prev.number > 1
        && doc.blocks.iter().any(|b| {
            b.span.start >= prev.end
                && b.span.start < start
                && b.item.is_none()
                && matches!(b.kind, BlockKind::Paragraph(_) | BlockKind::Rule | BlockKind::Table)
        })
}

/// The printed marker of an item (`4.`, `2)`).
fn marker(src: &SourceFile, doc: &Document, item: usize) -> Span {
    let span = doc.items[item].span;
    let text = src.slice(super::first_line(src, span));
    let lead = text.len() - text.trim_start().len();
    let digits = text[lead..].bytes().take_while(u8::is_ascii_digit).count();
    let delim = usize::from(text[lead + digits..].starts_with(['.', ')']));
    if digits == 0 {
        return super::first_line(src, span);
    }
    Span::new(span.start + lead, span.start + lead + digits + delim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn found(text: &str) -> Vec<(usize, String, String)> {
        let src = SourceFile::new("t.md", text);
        check_text(text, &RULE)
            .iter()
            .map(|f| (src.line_col(f.span.start).line, src.slice(f.span).to_string(), f.message.clone()))
            .collect()
    }

    #[test]
    fn skipped_number() {
        let f = found("# S\n\n1. a\n2. b\n4. c\n");
        assert_eq!(f, [(5, "4.".into(), "step `4` follows step `2`: step `3` is missing".into())]);
    }

    #[test]
    fn repeated_number_across_a_fence() {
        let f = found("# S\n\n1. Run:\n```bash\ncf apps\n```\n1. Then:\n```bash\ncf push x\n```\n");
        assert_eq!(f, [(7, "1.".into(), "step number `1` repeats the number of the step before it".into())]);
    }

    #[test]
    fn several_missing_and_going_back() {
        let f = found("# S\n\n1) a\n2) b\n\n```\nx\n```\n\n6) c\n\n```\nx\n```\n\n3) d\n");
        let msgs: Vec<_> = f.iter().map(|(l, s, m)| (*l, s.as_str(), m.as_str())).collect();
        assert_eq!(
            msgs,
            [
                (10, "6)", "step `6` follows step `2`: steps `3` to `5` are missing"),
                (16, "3)", "step numbers go back from `6` to `3` within one procedure"),
            ]
        );
    }

    #[test]
    fn sub_steps_among_themselves() {
        let f = found("# S\n\n5. a\n   1. x\n   3. y\n6. b\n   1. z\n");
        assert_eq!(f, [(5, "3.".into(), "step `5.3` follows step `5.1`: step `5.2` is missing".into())]);
    }

    #[test]
    fn valid_sequences() {
        let text = "# S\n\n1. a\n```bash\ncf a\n```\n2. b\n\n**Note:** x\n\n3. c\n\n## T\n\n1. d\n2. e\n   1. f\n   2. g\n\n\
                    To do the other thing:\n\n1. h\n2. i\n\n## U\n\n1. j\n1. k\n1. l\n\n## V\n\n- [A](#a)\n- [B](#b)\n\n3. starts late\n4. fine\n";
        assert!(found(text).is_empty(), "{:?}", found(text));
    }

    #[test]
    fn restart_straight_after_a_fence_is_flagged() {
        let f = found("# S\n\n1. a\n2. b\n```bash\ncf a\n```\n1. c\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].2, "step numbers go back from `2` to `1` within one procedure");
    }
}
