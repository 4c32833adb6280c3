//! A stable, line-oriented dump of a [`Document`] (for tests and `--debug` output).

use std::fmt::Write;

use super::{BlockKind, Document};
use crate::source::SourceFile;

/// One line per block: `line:col kind details`, indented by list depth.
pub fn debug_dump(doc: &Document, src: &SourceFile) -> String {
    let mut out = String::new();
    for block in &doc.blocks {
        let depth = block.item.map_or(0, |mut i| {
            let mut d = 1;
            while let Some(p) = doc.items[i].parent {
                d += 1;
                i = p;
            }
            d
        });
        let at = src.line_col(block.span.start);
        let _ = write!(out, "{at:>7} {}", "  ".repeat(depth));
        let _ = match &block.kind {
            BlockKind::Heading(h) => {
                let h = &doc.headings[*h];
                write!(out, "heading h{} #{}", h.level, h.slug)
            }
            BlockKind::ItemStart(i) => match doc.items[*i].number {
                Some(n) => write!(out, "item {n}."),
                None => write!(out, "item -"),
            },
            BlockKind::Paragraph(p) => write!(
                out,
                "paragraph chars={} code_spans={} links={}{}",
                p.text.chars().count(),
                p.code_spans.len(),
                p.links.len(),
                if p.only_links { " only-links" } else { "" }
            ),
            BlockKind::Code(c) => write!(
                out,
                "code {} lang={:?} lines={}{}",
                if c.fenced { "fenced" } else { "indented" },
                c.lang,
                c.content.lines().count(),
                if c.unterminated { " unterminated" } else { "" }
            ),
            BlockKind::Html(h) => write!(out, "html{}", if h.comment { " comment" } else { "" }),
            BlockKind::Rule => write!(out, "rule"),
            BlockKind::Table => write!(out, "table"),
        };
        if block.annotation.is_some() {
            out.push_str(" +annotation");
        }
        out.push('\n');
    }
    out
}
