//! RB104 `toc-out-of-step`: a table of contents that does not match the headings it lists.
use std::collections::HashMap;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::markdown::{BlockKind, Document, Heading};
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "RB104",
    name: "toc-out-of-step",
    group: Group::Structure,
    severity: Severity::Warning,
    summary: "a table of contents misses a heading, nests an entry at the wrong depth or lists entries out of order",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\n\
A table of contents is a list (ordered or not, nested or not) made only of links to `#anchors` \
of this page. It is compared with the headings that follow it (below the title; for a list \
inside an ordinary section, the headings of that section):\n\n\
* every heading down to the deepest level the table itself lists must have an entry (a table \
that lists levels 2 and 3 need not list level-4 headings); a missing entry is reported at the \
start of the table, naming the heading;\n\
* an entry must be nested as deep as its heading sits below its parent headings: a level-3 \
heading listed as a top-level entry is mis-levelled;\n\
* entries must follow the order of their headings in the document.\n\n\
Links to anchors that match no heading are `broken-anchor`'s business and are skipped here.\n\n\
## Why it matters\n\n\
Readers navigate long guides through the table of contents. A missing entry hides a section; a \
mis-levelled entry makes a sub-section look like a procedure of its own (or the reverse); an \
entry out of order sends the reader back and forth.\n\n\
## Example\n\n\
```markdown\n\
# Guide\n\n\
1. [Deploy](#deploy)\n\
2. [Glossary](#glossary)\n\n\
## Deploy\n\n\
### Roll back\n\n\
### Glossary\n\
```\n\n\
## Use instead\n\n\
```markdown\n\
# Guide\n\n\
1. [Deploy](#deploy)\n\
\x20  1. [Roll back](#roll-back)\n\
\x20  2. [Glossary](#glossary)\n\n\
## Deploy\n\n\
### Roll back\n\n\
### Glossary\n\
```\n";

/// Titles of sections that hold a table of contents for the whole guide.
const CONTENTS_TITLES: &[&str] = &["contents", "table of contents", "toc", "index", "in this guide", "sections"];

struct Entry {
    /// Nesting depth in the table (0 = top level).
    depth: usize,
    /// Index of the heading it links to.
    heading: usize,
    /// The entry's link, as written.
    span: Span,
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let doc = &ctx.runbook.document;
    for (list, items) in tables_of_contents(doc) {
        check_table(ctx, doc, list, &items, report);
    }
}

/// Top-level lists whose every item (nested ones included) starts with a paragraph made only of
/// links to `#anchors`, with their items in document order.
fn tables_of_contents(doc: &Document) -> Vec<(usize, Vec<usize>)> {
    let mut first_para: HashMap<usize, usize> = HashMap::new();
    for (i, b) in doc.blocks.iter().enumerate() {
        if let (BlockKind::Paragraph(_), Some(item)) = (&b.kind, b.item) {
            first_para.entry(item).or_insert(i);
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..doc.items.len() {
        let mut root = i;
        while let Some(p) = doc.items[root].parent {
            root = p;
        }
        by_root.entry(doc.items[root].list).or_default().push(i);
    }
    let mut out: Vec<(usize, Vec<usize>)> = by_root
        .into_iter()
        .filter(|(list, items)| {
            doc.lists[*list].parent.is_none()
                && items.len() >= 2
                && items.iter().all(|i| {
                    first_para.get(i).is_some_and(|&b| match &doc.blocks[b].kind {
                        BlockKind::Paragraph(p) => {
                            p.only_links && p.links.iter().all(|&l| doc.links[l].dest.starts_with('#'))
                        }
                        _ => false,
                    })
                })
        })
        .map(|(list, mut items)| {
            items.sort_by_key(|&i| doc.items[i].span.start);
            // The entry's link: the first link of its first paragraph.
            items.retain(|i| first_para.contains_key(i));
            (list, items)
        })
        .collect();
    out.sort_by_key(|(list, _)| doc.lists[*list].span.start);
    out
}

fn check_table(ctx: &LintContext<'_>, doc: &Document, list: usize, items: &[usize], report: &mut Report) {
    let src = &ctx.runbook.source;
    let toc_span = doc.lists[list].span;
    // Which headings the table answers for.
    let section = doc.blocks.iter().find(|b| b.span.start >= toc_span.start).and_then(|b| b.section);
    let global = section.is_none_or(|s| {
        let h = &doc.headings[s];
        h.level == 1 || CONTENTS_TITLES.contains(&h.text.trim().trim_end_matches(':').to_lowercase().as_str())
    });
    let floor = section.filter(|_| !global).map_or(1, |s| doc.headings[s].level);
    let scope: Vec<usize> = doc
        .headings
        .iter()
        .enumerate()
        .filter(|(_, h)| h.span.start >= toc_span.end)
        .take_while(|(_, h)| global || h.level > floor)
        .filter(|(_, h)| h.level >= 2 && h.level > floor)
        .map(|(i, _)| i)
        .collect();
    if scope.is_empty() {
        return;
    }
    let (depths, parents) = tree(&doc.headings, &scope);

    let mut entries = Vec::new();
    for &item in items {
        let Some(link) = first_link(doc, item) else { continue };
        let target = super::percent_decode(link.dest.trim_start_matches('#'));
        let Some(heading) = scope.iter().copied().find(|&h| doc.headings[h].slug == target) else { continue };
        let mut depth = 0;
        let mut p = doc.items[item].parent;
        while let Some(parent) = p {
            depth += 1;
            p = doc.items[parent].parent;
        }
        entries.push(Entry { depth, heading, span: link.span });
    }
    let Some(deepest) = entries.iter().map(|e| doc.headings[e.heading].level).max() else { return };

    // Headings without an entry.
    let Some(&first) = items.first() else { return };
    let first_entry = super::first_line(src, doc.items[first].span);
    for &h in &scope {
        let heading = &doc.headings[h];
        if heading.level > deepest || entries.iter().any(|e| e.heading == h) {
            continue;
        }
        let place = match parents[&h] {
            Some(p) => format!("nested under the entry for `{}`", doc.headings[p].text),
            None => "at the top level".to_string(),
        };
        report
            .add(first_entry, format!("table of contents has no entry for the heading `{}`", heading.text))
            .help(format!("add `[{}](#{})` {place}", heading.text, heading.slug))
            .note("the heading is here", heading.span);
    }

    // Entries nested at the wrong depth.
    for e in &entries {
        let want = depths[&e.heading];
        if e.depth == want {
            continue;
        }
        let heading = &doc.headings[e.heading];
        let listed =
            if e.depth == 0 { "a top-level entry".to_string() } else { format!("an entry at depth {}", e.depth + 1) };
        let (sits, fix) = match parents[&e.heading] {
            Some(p) => (
                format!("a level-{} heading under `{}`", heading.level, doc.headings[p].text),
                format!("nest the entry under the entry for `{}`", doc.headings[p].text),
            ),
            None => (
                format!("a level-{} heading at the top of the outline", heading.level),
                "move the entry to the top level".to_string(),
            ),
        };
        report
            .add(e.span, format!("`#{}` is listed as {listed}, but `{}` is {sits}", heading.slug, heading.text))
            .help(format!("{fix}, or change the heading's level to match the table"))
            .note("the heading is here", heading.span);
    }

    // Entries out of document order.
    for pair in entries.windows(2) {
        let (prev, e) = (&pair[0], &pair[1]);
        if e.heading < prev.heading {
            let (h, p) = (&doc.headings[e.heading], &doc.headings[prev.heading]);
            report
                .add(e.span, format!("`#{}` is listed after `#{}`, but its heading comes before it", h.slug, p.slug))
                .help("list the entries in the order of their headings")
                .note("the heading is here", h.span);
        }
    }
}

fn first_link(doc: &Document, item: usize) -> Option<&crate::markdown::Link> {
    doc.blocks.iter().find_map(|b| match &b.kind {
        BlockKind::Paragraph(p) if b.item == Some(item) => p.links.first().map(|&l| &doc.links[l]),
        _ => None,
    })
}

/// Depth of each heading of `scope` in the outline its levels form, and its parent heading.
#[allow(clippy::type_complexity)]
fn tree(headings: &[Heading], scope: &[usize]) -> (HashMap<usize, usize>, HashMap<usize, Option<usize>>) {
    let mut stack: Vec<usize> = Vec::new();
    let mut depths = HashMap::new();
    let mut parents = HashMap::new();
    for &h in scope {
        while stack.last().is_some_and(|&top| headings[top].level >= headings[h].level) {
            stack.pop();
        }
        depths.insert(h, stack.len());
        parents.insert(h, stack.last().copied());
        stack.push(h);
    }
    (depths, parents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;
    use crate::source::SourceFile;

    fn found(text: &str) -> Vec<(usize, String)> {
        let src = SourceFile::new("t.md", text);
        check_text(text, &RULE).iter().map(|f| (src.line_col(f.span.start).line, f.message.clone())).collect()
    }

    const HEADINGS: &str = "\n## Deploy\n\n### Roll back\n\n#### Details\n\n## Monitor\n\n### Glossary\n";

    #[test]
    fn matching_table_is_fine() {
        let text = format!(
            "# Guide\n\n## Contents\n\n1. [Deploy](#deploy)\n   1. [Roll back](#roll-back)\n2. [Monitor](#monitor)\n   - [Glossary](#glossary)\n{HEADINGS}"
        );
        assert!(found(&text).is_empty(), "{:?}", found(&text));
    }

    #[test]
    fn top_level_only_table_needs_top_level_headings_only() {
        let text = format!("# Guide\n\n- [Deploy](#deploy)\n- [Monitor](#monitor)\n{HEADINGS}");
        assert!(found(&text).is_empty(), "{:?}", found(&text));
    }

    #[test]
    fn mis_levelled_entry() {
        let text = format!(
            "# Guide\n\n1. [Deploy](#deploy)\n   1. [Roll back](#roll-back)\n2. [Monitor](#monitor)\n3. [Glossary](#glossary)\n{HEADINGS}"
        );
        assert_eq!(
            found(&text),
            [(
                6,
                "`#glossary` is listed as a top-level entry, but `Glossary` is a level-3 heading under `Monitor`"
                    .into()
            )]
        );
    }

    #[test]
    fn missing_entry_is_reported_at_the_start() {
        let text = format!(
            "# Guide\n\n1. [Deploy](#deploy)\n   1. [Roll back](#roll-back)\n2. [Monitor](#monitor)\n{HEADINGS}"
        );
        assert_eq!(found(&text), [(3, "table of contents has no entry for the heading `Glossary`".into())]);
    }

    #[test]
    fn out_of_order_entry() {
        let text = format!("# Guide\n\n- [Monitor](#monitor)\n- [Deploy](#deploy)\n{HEADINGS}");
        assert_eq!(found(&text), [(4, "`#deploy` is listed after `#monitor`, but its heading comes before it".into())]);
    }

    #[test]
    fn local_table_covers_its_section_only() {
        let text = "# Guide\n\n## Deploy\n\n- [Build](#build)\n- [Push](#push)\n\n### Build\n\n### Push\n\n## Other\n\n### Unlisted\n";
        assert!(found(text).is_empty(), "{:?}", found(text));
    }

    #[test]
    fn lists_with_prose_or_web_links_are_not_tables() {
        let text = format!(
            "# Guide\n\n- Read [Deploy](#deploy) first\n- [Monitor](#monitor)\n\nAnd:\n\n- [Web](https://example.com)\n- [Monitor](#monitor)\n{HEADINGS}"
        );
        assert!(found(&text).is_empty(), "{:?}", found(&text));
    }
}
