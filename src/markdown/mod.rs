//! Markdown → [`Document`]: a flat, ordered sequence of blocks with byte spans.
//!
//! Owns the one place where pulldown-cmark runs (`into_offset_iter`). The document keeps
//! headings (with GitHub slugs), list items (with the number printed in the source), paragraphs
//! (plain text, inline code spans, links), fenced and indented code blocks, HTML blocks (and the
//! `runbook:` annotations in them), thematic breaks, tables and front matter. It knows nothing
//! about steps, placeholders, rules or processes.
//!
//! The model is flat on purpose: later stages walk `blocks` in order, and each block says which
//! section (heading) and which list item it sits in. Nesting is kept through `Item::parent`.

mod build;
mod dump;
pub mod slug;

pub use build::parse;
pub use dump::debug_dump;

use crate::annotation::{Annotation, AnnotationProblem};
use crate::source::{OffsetMap, Span};

#[derive(Debug, Default)]
pub struct Document {
    pub front_matter: Option<FrontMatterBlock>,
    pub headings: Vec<Heading>,
    pub lists: Vec<List>,
    pub items: Vec<Item>,
    pub links: Vec<Link>,
    pub blocks: Vec<Block>,
    /// Syntax problems found while reading (unterminated fences, bad annotations).
    pub problems: Vec<Problem>,
}

/// YAML front matter between `---` lines at the very top of the file.
#[derive(Debug, Clone)]
pub struct FrontMatterBlock {
    pub text: String,
    /// Span of the YAML text (without the `---` lines).
    pub content: Span,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Heading {
    pub level: u8,
    /// Plain text (inline code content kept, markup dropped).
    pub text: String,
    pub slug: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct List {
    pub ordered: bool,
    /// Start number of an ordered list.
    pub start: Option<u64>,
    pub items: Vec<usize>,
    /// The item this list is nested in.
    pub parent: Option<usize>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub list: usize,
    /// The number printed in the source (`7.` → 7), for ordered lists.
    pub number: Option<u64>,
    /// Enclosing item, for nested lists.
    pub parent: Option<usize>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub dest: String,
    pub text: String,
    pub image: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub kind: BlockKind,
    pub span: Span,
    /// Index of the heading whose section holds this block.
    pub section: Option<usize>,
    /// Innermost list item holding this block.
    pub item: Option<usize>,
    /// Annotation from a preceding `<!-- runbook: ... -->` comment (or, for code, its fence).
    pub annotation: Option<Box<Annotation>>,
}

#[derive(Debug, Clone)]
pub enum BlockKind {
    Heading(usize),
    /// Start of a list item (its content follows as further blocks).
    ItemStart(usize),
    Paragraph(Paragraph),
    Code(CodeBlock),
    Html(HtmlBlock),
    Rule,
    Table,
}

#[derive(Debug, Clone, Default)]
pub struct Paragraph {
    /// Plain text: inline code content kept without backticks, inline HTML kept raw,
    /// soft breaks as spaces.
    pub text: String,
    pub code_spans: Vec<CodeSpan>,
    /// Indices into [`Document::links`].
    pub links: Vec<usize>,
    /// Nothing but links (and whitespace/punctuation): a table-of-contents entry.
    pub only_links: bool,
}

#[derive(Debug, Clone)]
pub struct CodeSpan {
    pub text: String,
    /// Span including the backticks.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CodeBlock {
    pub fenced: bool,
    /// The whole info string.
    pub info: String,
    /// The language (first word of the info string, or the `lang` attribute).
    pub lang: String,
    pub content: String,
    /// Byte offset of the first content line (its line is `content_line`).
    pub content_start: usize,
    /// Content offsets → source offsets (list indentation is stripped from the content).
    pub map: OffsetMap,
    /// Fence ran to the end of the document without a closing fence.
    pub unterminated: bool,
}

#[derive(Debug, Clone)]
pub struct HtmlBlock {
    pub text: String,
    pub comment: bool,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub message: String,
    pub span: Span,
}

impl From<AnnotationProblem> for Problem {
    fn from(p: AnnotationProblem) -> Self {
        Problem { message: p.message, span: p.span }
    }
}

impl Document {
    pub fn heading(&self, block: &Block) -> Option<&Heading> {
        block.section.map(|h| &self.headings[h])
    }

    /// The heading with this slug.
    pub fn heading_by_slug(&self, slug: &str) -> Option<(usize, &Heading)> {
        self.headings.iter().enumerate().find(|(_, h)| h.slug == slug)
    }
}
