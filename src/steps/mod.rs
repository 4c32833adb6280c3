//! Steps from a [`Document`]: the ordered, addressable units of a runbook.
//!
//! Owns numbering (printed numbers, sub-steps `n.m`), step ids (`section-slug/position` or an
//! explicit `id`), titles, conditions ("If a space has not been created…"), alternatives ("If
//! using a Mac, this can be done…"), `ref` steps ("Follow [Section](#slug)"), the
//! classification of every code block (command, file, code, output, env, workflow, other) and
//! of every step (command, file, code, manual, ref, info), and the attachment of output samples
//! to the command they illustrate. It never re-parses Markdown: it walks [`Document::blocks`].

mod classify;
mod extract;
mod prose;

pub use classify::{BlockKind, Command, looks_like_command, split_commands};
pub use extract::extract;
pub use prose::is_file_name;

use serde::Serialize;

use crate::frontmatter::FrontMatter;
use crate::markdown::{Document, Problem};
use crate::source::{OffsetMap, SourceFile, Span};

/// A parsed runbook: its document, declarations and steps.
#[derive(Debug)]
pub struct Runbook {
    pub source: SourceFile,
    pub document: Document,
    pub front_matter: FrontMatter,
    pub sections: Vec<Section>,
    pub steps: Vec<Step>,
    /// Problems found by any stage so far (Markdown syntax, annotations, front matter, steps).
    pub problems: Vec<Problem>,
}

impl Runbook {
    /// Read a source file through every stage up to steps.
    pub fn from_source(source: SourceFile) -> Runbook {
        let document = crate::markdown::parse(&source.text);
        extract(source, document)
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The section whose Python blocks share one namespace (and, in `run`, one interpreter):
    /// the level-2 ancestor of `section`, or the outermost one when no level-2 heading is above it.
    pub fn namespace(&self, section: &str) -> String {
        let mut current = self.sections.iter().find(|s| s.slug == section);
        let mut guard = 0;
        while let Some(s) = current {
            if s.level <= 2 || guard > 16 {
                return s.slug.clone();
            }
            match s.parent.as_deref() {
                Some(parent) => match self.sections.iter().find(|p| p.slug == parent) {
                    Some(p) => current = Some(p),
                    None => return s.slug.clone(),
                },
                None => return s.slug.clone(),
            }
            guard += 1;
        }
        section.to_string()
    }
}

/// A heading, as a section that steps belong to.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub slug: String,
    pub title: String,
    pub level: u8,
    /// Slug of the enclosing section.
    pub parent: Option<String>,
    /// The glossary section holds definitions, not steps.
    pub glossary: bool,
    #[serde(skip)]
    pub span: Span,
}

/// What a step mainly does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    Command,
    File,
    Code,
    Manual,
    Ref,
    Info,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Command => "command",
            StepKind::File => "file",
            StepKind::Code => "code",
            StepKind::Manual => "manual",
            StepKind::Ref => "ref",
            StepKind::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        Some(match s {
            "command" => StepKind::Command,
            "file" => StepKind::File,
            "code" => StepKind::Code,
            "manual" => StepKind::Manual,
            "ref" => StepKind::Ref,
            "info" => StepKind::Info,
            _ => return None,
        })
    }
}

/// When a step applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The guide's own words ("a space has not already been created").
    pub text: String,
    /// The choice expression that decides it (`CREATE_SPACE`, `!NO_ROUTE`, `MODE=inline`),
    /// when the runbook declares one.
    pub when: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub id: String,
    /// The number printed in the guide (`9`, `5.1`); `None` for unnumbered steps.
    pub number: Option<String>,
    pub title: String,
    /// Slug of the innermost heading.
    pub section: String,
    pub kind: StepKind,
    pub condition: Option<Condition>,
    /// Id of the step this one is an alternative form of.
    pub alternative_of: Option<String>,
    /// Section slug a `ref` step runs.
    #[serde(rename = "ref")]
    pub ref_to: Option<String>,
    /// Serialised by the JSON writer, with positions.
    #[serde(skip)]
    pub blocks: Vec<StepBlock>,
    /// The guide's prose for this step, paragraph by paragraph.
    #[serde(skip)]
    pub prose: Vec<Span>,
    /// Rules suppressed for this step by `allow` directives.
    #[serde(skip)]
    pub allow: Vec<String>,
    pub explicit_id: bool,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepBlock {
    pub kind: BlockKind,
    /// The fence language as written (`""` for none or inline code).
    pub lang: String,
    /// Inline code in prose (a command named in a sentence).
    pub inline: bool,
    pub text: String,
    /// File name a `file` block is written to, when the guide names it.
    pub file: Option<String>,
    /// Id of the step an `output` block illustrates.
    pub output_of: Option<String>,
    /// Exit status the block's commands are expected to end with (`expect-exit=1`); 0 when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_exit: Option<i32>,
    /// Commands of a `command` block, one per logical line.
    pub commands: Vec<Command>,
    #[serde(skip)]
    pub allow: Vec<String>,
    /// The whole block (fences included).
    #[serde(skip)]
    pub span: Span,
    /// Byte offset of the block's first content line.
    #[serde(skip)]
    pub content_start: usize,
    /// `text` offsets → source offsets.
    #[serde(skip)]
    pub map: OffsetMap,
}
