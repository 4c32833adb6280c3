//! The pulldown-cmark event walk that builds a [`Document`].

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::slug::Slugger;
use super::{
    Block, BlockKind, CodeBlock, CodeSpan, Document, FrontMatterBlock, Heading, HtmlBlock, Item, Link, List, Paragraph,
    Problem,
};
use crate::annotation::{self, Annotation};
use crate::source::{OffsetMap, Span};

/// Parse Markdown text into a [`Document`]. Never fails: problems are collected in
/// [`Document::problems`].
pub fn parse(text: &str) -> Document {
    let mut b = Builder { text, doc: Document::default(), ..Builder::default() };
    // Front matter is only recognised at the very top (pulldown-cmark's own option also takes
    // a `---` rule later in the file for a metadata block). It is blanked out, byte for byte,
    // so every span pulldown-cmark reports still points into the original text.
    let blanked;
    let body = match front_matter(text) {
        Some(fm) => {
            let mut bytes = text.as_bytes().to_vec();
            for byte in &mut bytes[..fm.span.end] {
                if *byte != b'\n' {
                    *byte = b' ';
                }
            }
            blanked = String::from_utf8(bytes).unwrap_or_default();
            b.doc.front_matter = Some(fm);
            blanked.as_str()
        }
        None => text,
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        b.event(event, Span::from(range));
    }
    b.flush_inline();
    if let Some(ann) = b.pending.take() {
        b.doc
            .problems
            .push(Problem { message: "runbook annotation is not followed by a block".into(), span: ann.span });
    }
    b.doc
}

#[derive(Default)]
struct Builder<'a> {
    text: &'a str,
    doc: Document,
    slugger: Slugger,
    section: Option<usize>,
    list_stack: Vec<usize>,
    item_stack: Vec<usize>,
    /// Annotation from a comment, waiting for the block it applies to.
    pending: Option<Annotation>,
    inline: Option<InlineCollector>,
    heading: Option<(u8, Span)>,
    code: Option<CodeCollector>,
    html: Option<(String, Span)>,
    link_stack: Vec<(String, bool, usize, usize)>,
    in_table: bool,
}

#[derive(Default)]
struct InlineCollector {
    para: Paragraph,
    start: usize,
    end: usize,
    explicit: bool,
    /// Alphanumeric characters outside links (for `only_links`).
    loose_chars: usize,
}

struct CodeCollector {
    fenced: bool,
    info: String,
    content: String,
    content_start: Option<usize>,
    span: Span,
}

impl Builder<'_> {
    fn event(&mut self, event: Event<'_>, span: Span) {
        match event {
            Event::Start(tag) => self.start(tag, span),
            Event::End(tag) => self.end(tag, span),
            Event::Text(t) => {
                if let Some(code) = &mut self.code {
                    code.content.push_str(&t);
                    code.content_start.get_or_insert(span.start);
                } else {
                    self.inline_text(&t, span, false);
                }
            }
            Event::Code(t) => {
                self.inline_text(&t, span, false);
                if let Some(c) = &mut self.inline {
                    c.para.code_spans.push(CodeSpan { text: t.to_string(), span });
                }
            }
            Event::InlineHtml(t) | Event::InlineMath(t) | Event::DisplayMath(t) => self.inline_text(&t, span, false),
            Event::SoftBreak => self.inline_text(" ", span, true),
            Event::HardBreak => self.inline_text("\n", span, true),
            Event::Html(t) => {
                if let Some(html) = &mut self.html {
                    html.0.push_str(&t);
                }
            }
            Event::Rule => {
                self.flush_inline();
                self.push(BlockKind::Rule, span);
            }
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, span: Span) {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush_inline();
                self.heading = Some((level as u8, span));
                self.inline = Some(InlineCollector { start: span.start, explicit: true, ..Default::default() });
            }
            Tag::Paragraph => {
                self.flush_inline();
                self.inline =
                    Some(InlineCollector { start: span.start, end: span.end, explicit: true, ..Default::default() });
            }
            Tag::List(start) => {
                self.flush_inline();
                let parent = self.item_stack.last().copied();
                self.doc.lists.push(List { ordered: start.is_some(), start, items: Vec::new(), parent, span });
                self.list_stack.push(self.doc.lists.len() - 1);
            }
            Tag::Item => {
                self.flush_inline();
                let list = self.list_stack.last().copied().unwrap_or(0);
                let number = if self.doc.lists.get(list).is_some_and(|l| l.ordered) {
                    printed_number(self.text.get(span.start..span.end).unwrap_or(""))
                } else {
                    None
                };
                let parent = self.item_stack.last().copied();
                let idx = self.doc.items.len();
                self.doc.items.push(Item { list, number, parent, span });
                if let Some(l) = self.doc.lists.get_mut(list) {
                    l.items.push(idx);
                }
                self.push(BlockKind::ItemStart(idx), span);
                self.item_stack.push(idx);
            }
            Tag::CodeBlock(kind) => {
                self.flush_inline();
                let (fenced, info) = match kind {
                    CodeBlockKind::Fenced(info) => (true, info.to_string()),
                    CodeBlockKind::Indented => (false, String::new()),
                };
                self.code = Some(CodeCollector { fenced, info, content: String::new(), content_start: None, span });
            }
            Tag::HtmlBlock => {
                self.flush_inline();
                self.html = Some((String::new(), span));
            }
            Tag::Table(_) => {
                self.flush_inline();
                self.in_table = true;
            }
            Tag::Link { dest_url, .. } => self.open_link(&dest_url, false, span),
            Tag::Image { dest_url, .. } => self.open_link(&dest_url, true, span),
            Tag::BlockQuote(_) | Tag::FootnoteDefinition(_) | Tag::DefinitionList => self.flush_inline(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd, span: Span) {
        match tag {
            TagEnd::Heading(_) => {
                let c = self.inline.take().unwrap_or_default();
                let (level, hspan) = self.heading.take().unwrap_or((1, span));
                let text = c.para.text.trim().to_string();
                let slug = self.slugger.slug(&text);
                self.doc.headings.push(Heading { level, text, slug, span: hspan });
                let idx = self.doc.headings.len() - 1;
                self.section = Some(idx);
                if let Some(ann) = self.pending.take() {
                    self.doc.problems.push(Problem {
                        message: "runbook annotation is followed by a heading, not by a block".into(),
                        span: ann.span,
                    });
                }
                self.push(BlockKind::Heading(idx), hspan);
            }
            TagEnd::Paragraph => self.flush_inline(),
            TagEnd::List(_) => {
                self.flush_inline();
                self.list_stack.pop();
            }
            TagEnd::Item => {
                self.flush_inline();
                self.item_stack.pop();
            }
            TagEnd::CodeBlock => self.finish_code(),
            TagEnd::HtmlBlock => self.finish_html(),
            TagEnd::Table => {
                self.in_table = false;
                self.push(BlockKind::Table, span);
            }
            TagEnd::Link | TagEnd::Image => self.close_link(),
            TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition | TagEnd::DefinitionList => self.flush_inline(),
            _ => {}
        }
    }

    fn inline_text(&mut self, t: &str, span: Span, is_break: bool) {
        if self.in_table || self.code.is_some() || self.html.is_some() {
            return;
        }
        let in_link = !self.link_stack.is_empty();
        for link in &mut self.link_stack {
            link.3 = span.end;
        }
        let c = self.inline.get_or_insert_with(|| InlineCollector { start: span.start, ..Default::default() });
        c.para.text.push_str(t);
        if !is_break && !in_link {
            c.loose_chars += t.chars().filter(|ch| ch.is_alphanumeric()).count();
        }
        if !c.explicit {
            c.end = c.end.max(span.end);
        }
        if in_link && let Some(top) = self.link_stack.last_mut() {
            top.0.push_str(t);
        }
    }

    fn open_link(&mut self, dest: &str, image: bool, span: Span) {
        // Make sure an implicit paragraph (tight list item) is open for the link.
        self.inline_text("", Span::new(span.start, span.start), true);
        self.link_stack.push((String::new(), image, span.start, span.end));
        self.doc.links.push(Link { dest: dest.to_string(), text: String::new(), image, span });
    }

    fn close_link(&mut self) {
        let Some((text, image, start, _)) = self.link_stack.pop() else { return };
        // The link was pushed when opened; find it again (last one with this start) and fill in.
        if let Some((idx, link)) =
            self.doc.links.iter_mut().enumerate().rev().find(|(_, l)| l.span.start == start && l.image == image)
        {
            link.text = text;
            if let Some(c) = &mut self.inline {
                c.para.links.push(idx);
            }
        }
    }

    fn flush_inline(&mut self) {
        if self.heading.is_some() {
            return;
        }
        let Some(mut c) = self.inline.take() else { return };
        if c.para.text.trim().is_empty() && c.para.links.is_empty() {
            return;
        }
        c.para.only_links = !c.para.links.is_empty() && c.loose_chars == 0;
        let end = if c.explicit { c.end } else { c.end.max(c.start) };
        let span = Span::new(c.start, trim_end(self.text, end));
        self.push(BlockKind::Paragraph(c.para), span);
    }

    fn finish_code(&mut self) {
        let Some(c) = self.code.take() else { return };
        let (lang, attrs) = annotation::split_info(&c.info);
        let mut ann = self.pending.take();
        if let Some((attr_text, at)) = attrs {
            let info_offset =
                self.text[c.span.start..c.span.end].find(&c.info).map_or(c.span.start, |i| c.span.start + i);
            let (a, problems) = annotation::parse_attributes(attr_text, info_offset + at);
            self.doc.problems.extend(problems.into_iter().map(Problem::from));
            match &mut ann {
                Some(existing) => existing.merge(a),
                None => ann = Some(a),
            }
        }
        let lang = ann.as_ref().and_then(|a| a.lang.clone()).unwrap_or_else(|| lang.to_string());
        let raw = &self.text[c.span.start..c.span.end];
        let unterminated = c.fenced && !fence_is_closed(raw);
        let content_start = c
            .content_start
            .unwrap_or_else(|| raw.find('\n').map_or(c.span.end, |nl| c.span.start + nl + 1).min(self.text.len()));
        let span = Span::new(c.span.start, trim_end(self.text, c.span.end));
        if unterminated {
            self.doc.problems.push(Problem {
                message: "code fence is never closed; it runs to the end of its container".into(),
                span: Span::new(c.span.start, c.span.start + raw.find('\n').unwrap_or(raw.len())),
            });
        }
        let map = OffsetMap::for_lines(self.text, &c.content, content_start);
        let block =
            CodeBlock { fenced: c.fenced, info: c.info, lang, content: c.content, content_start, map, unterminated };
        self.push_annotated(BlockKind::Code(block), span, ann);
    }

    fn finish_html(&mut self) {
        let Some((text, span)) = self.html.take() else { return };
        let comment = text.trim_start().starts_with("<!--");
        if comment && let Some((ann, problems)) = annotation::parse_comment(&text, span.start) {
            self.doc.problems.extend(problems.into_iter().map(Problem::from));
            match &mut self.pending {
                Some(existing) => existing.merge(ann),
                None => self.pending = Some(ann),
            }
        }
        let span = Span::new(span.start, trim_end(self.text, span.end));
        self.push_annotated(BlockKind::Html(HtmlBlock { text, comment }), span, None);
    }

    fn push(&mut self, kind: BlockKind, span: Span) {
        let ann = match kind {
            BlockKind::Paragraph(_) | BlockKind::ItemStart(_) | BlockKind::Table => self.pending.take(),
            _ => None,
        };
        self.push_annotated(kind, span, ann);
    }

    fn push_annotated(&mut self, kind: BlockKind, span: Span, annotation: Option<Annotation>) {
        let item = match kind {
            BlockKind::ItemStart(i) => Some(i),
            _ => self.item_stack.last().copied(),
        };
        let annotation = annotation.map(Box::new);
        self.doc.blocks.push(Block { kind, span, section: self.section, item, annotation });
    }
}

/// YAML front matter: a first line `---`, then YAML, then a line `---` or `...`.
fn front_matter(text: &str) -> Option<FrontMatterBlock> {
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let content_start = first_end + 1;
    let mut offset = content_start;
    for line in text[content_start..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let end = offset + line.len();
            return Some(FrontMatterBlock {
                text: text[content_start..offset].to_string(),
                content: Span::new(content_start, offset),
                span: Span::new(0, end),
            });
        }
        offset += line.len();
    }
    None
}

/// The number printed before `.` or `)` at the start of an ordered list item.
fn printed_number(src: &str) -> Option<u64> {
    let s = src.trim_start_matches([' ', '\t']);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let rest = &s[digits.len()..];
    if digits.is_empty() || !(rest.starts_with('.') || rest.starts_with(')')) {
        return None;
    }
    digits.parse().ok()
}

/// Whether a fenced block's source ends with a closing fence at least as long as its opening.
fn fence_is_closed(raw: &str) -> bool {
    let first = raw.trim_start();
    let ch = first.chars().next().unwrap_or('`');
    let open = first.chars().take_while(|&c| c == ch).count();
    let mut lines = raw.trim_end_matches(['\n', '\r']).lines();
    lines.next();
    lines.last().is_some_and(|last| {
        let t = last.trim();
        t.chars().take_while(|&c| c == ch).count() >= open && t.chars().all(|c| c == ch)
    })
}

/// Pull `end` back over trailing line breaks, so a block's span ends on its last line.
fn trim_end(text: &str, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = end.min(text.len());
    while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(doc: &Document) -> Vec<String> {
        doc.blocks
            .iter()
            .map(|b| match &b.kind {
                BlockKind::Heading(h) => format!("h:{}", doc.headings[*h].slug),
                BlockKind::ItemStart(i) => format!("item:{:?}", doc.items[*i].number),
                BlockKind::Paragraph(p) => format!("p:{}", p.text),
                BlockKind::Code(c) => format!("code:{}", c.lang),
                BlockKind::Html(_) => "html".into(),
                BlockKind::Rule => "rule".into(),
                BlockKind::Table => "table".into(),
            })
            .collect()
    }

    #[test]
    fn printed_numbers_survive_interrupted_lists() {
        let doc = parse("1. one\n```sh\nx\n```\n2. two\n\n9. nine\n");
        assert_eq!(
            kinds(&doc),
            ["item:Some(1)", "p:one", "code:sh", "item:Some(2)", "p:two", "item:Some(9)", "p:nine"]
        );
        assert_eq!(doc.lists.len(), 2, "the fence closes the first list");
        assert_eq!(doc.lists[1].start, Some(2));
    }

    #[test]
    fn repeated_printed_numbers_are_kept() {
        let doc = parse("1. a\n1. b\n1. c\n");
        let numbers: Vec<_> = doc.items.iter().map(|i| i.number).collect();
        assert_eq!(numbers, [Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn multi_byte_text_near_an_item_marker() {
        let doc = parse("1. ……………………………………\n2. é\n");
        let numbers: Vec<_> = doc.items.iter().map(|i| i.number).collect();
        assert_eq!(numbers, [Some(1), Some(2)]);
    }

    #[test]
    fn nested_items_know_their_parent() {
        let doc = parse("5. parent\n   1. child\n");
        assert_eq!(doc.items[1].parent, Some(0));
        assert_eq!(doc.lists[1].parent, Some(0));
    }

    #[test]
    fn paragraph_keeps_code_spans_and_split_text() {
        let doc = parse("Run `cf env <APP>` for <CLUSTER_ID> and <service-name>.\n");
        let BlockKind::Paragraph(p) = &doc.blocks[0].kind else { panic!() };
        assert_eq!(p.text, "Run cf env <APP> for <CLUSTER_ID> and <service-name>.");
        assert_eq!(p.code_spans[0].text, "cf env <APP>");
        assert_eq!(p.code_spans[0].span, Span::new(4, 18));
    }

    #[test]
    fn link_only_paragraph() {
        let doc = parse("1. [Intro](#intro)\n   1. [Sub](#sub)\n2. [Deploy](#deploy)\n");
        let all: Vec<bool> = doc
            .blocks
            .iter()
            .filter_map(|b| match &b.kind {
                BlockKind::Paragraph(p) => Some(p.only_links),
                _ => None,
            })
            .collect();
        assert_eq!(all, [true, true, true]);
        assert_eq!(doc.links[1].dest, "#sub");
        assert_eq!(doc.links[1].text, "Sub");
    }

    #[test]
    fn unterminated_fence_is_a_problem() {
        let doc = parse("text\n\n```bash\necho hi\n");
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(doc.problems[0].span.start, 6);
        let BlockKind::Code(c) = &doc.blocks[1].kind else { panic!() };
        assert!(c.unterminated);
    }

    #[test]
    fn closed_fence_with_longer_closer() {
        let doc = parse("```bash\necho\n`````\n");
        assert!(doc.problems.is_empty());
    }

    #[test]
    fn comment_annotation_applies_to_next_block() {
        let doc = parse("<!-- runbook: kind=output of=x -->\n```bash\n{}\n```\n");
        let code = doc.blocks.iter().find(|b| matches!(b.kind, BlockKind::Code(_))).unwrap();
        let ann = code.annotation.as_ref().unwrap();
        assert_eq!(ann.kind.as_deref(), Some("output"));
        assert_eq!(ann.of.as_deref(), Some("x"));
    }

    #[test]
    fn fence_attributes_and_comment_merge() {
        let doc = parse("<!-- runbook: allow RB201 -->\n```bash {id=push}\ncf push\n```\n");
        let code = doc.blocks.iter().find(|b| matches!(b.kind, BlockKind::Code(_))).unwrap();
        let ann = code.annotation.as_ref().unwrap();
        assert_eq!(ann.id.as_deref(), Some("push"));
        assert_eq!(ann.allow, ["RB201"]);
        let BlockKind::Code(c) = &code.kind else { panic!() };
        assert_eq!(c.lang, "bash");
        assert_eq!(c.content, "cf push\n");
        assert_eq!(c.content_start, "<!-- runbook: allow RB201 -->\n```bash {id=push}\n".len());
    }

    #[test]
    fn dangling_annotation_is_reported() {
        let doc = parse("<!-- runbook: id=x -->\n# Heading\n");
        assert_eq!(doc.problems.len(), 1);
        assert!(doc.problems[0].message.contains("followed by a heading"));
    }

    #[test]
    fn front_matter_is_read() {
        let doc = parse("---\nplaceholders: {}\n---\n# Title\n");
        let fm = doc.front_matter.unwrap();
        assert_eq!(fm.text, "placeholders: {}\n");
        assert_eq!(fm.content.start, 4);
    }

    #[test]
    fn a_rule_later_in_the_file_is_not_front_matter() {
        let doc = parse("# T\n\n---\nkey: value\n---\n");
        assert!(doc.front_matter.is_none());
        let doc = parse("text\n---\n");
        assert!(doc.front_matter.is_none());
    }

    #[test]
    fn front_matter_keeps_spans_of_the_body() {
        let text = "---\ntitle: é\n---\n# Heading\n";
        let doc = parse(text);
        let h = &doc.headings[0];
        assert_eq!(&text[h.span.start..h.span.end].trim_end(), &"# Heading");
    }

    #[test]
    fn indented_code_block() {
        let doc = parse("para\n\n    cf apps\n    cf push\n");
        let BlockKind::Code(c) = &doc.blocks[1].kind else { panic!() };
        assert!(!c.fenced);
        assert_eq!(c.content, "cf apps\ncf push\n");
        assert_eq!(c.content_start, 10);
    }
}
