//! The walk over a [`Document`] that builds [`Step`]s.
//!
//! Grouping rules (the README's "How steps are found" documents them for authors):
//! * an item of an ordered list is a step and keeps its printed number, unless the list is
//!   made only of links (a table of contents); a nested ordered item is sub-step `n.m`;
//! * everything after a numbered item (paragraphs, fences, notes) belongs to its step until
//!   the next item or heading, because guides rarely indent fences under their items and
//!   CommonMark then closes the list at each fence;
//! * elsewhere, each fenced block with the prose that introduces it is a step;
//! * an output sample joins the step whose command it illustrates: a command named in inline
//!   code by the prose just before it (which then becomes a command step), else the latest
//!   step with a command;
//! * the glossary section holds definitions, never steps;
//! * annotations override every heuristic.

use std::collections::{HashMap, HashSet};

use super::classify::{self, BlockKind, Command};
use super::prose;
use super::{Condition, Runbook, Section, Step, StepBlock, StepKind};
use crate::annotation::Annotation;
use crate::frontmatter::{self, FrontMatter};
use crate::markdown::{self, Block, Document, Paragraph, Problem};
use crate::source::{OffsetMap, SourceFile, Span};

/// Build the steps of a parsed document.
pub fn extract(source: SourceFile, document: Document) -> Runbook {
    let (front_matter, fm_problems) = document.front_matter.as_ref().map(frontmatter::parse).unwrap_or_default();
    let mut problems: Vec<Problem> = document.problems.clone();
    problems.extend(fm_problems);
    let sections = sections(&document, &front_matter);
    let mut x = Extractor {
        doc: &document,
        src: &source,
        sections: &sections,
        steps: Vec::new(),
        open: None,
        pending: Vec::new(),
        intro: None,
        item_steps: HashMap::new(),
        link_only_items: link_only_items(&document),
        deferred: Vec::new(),
        last_command: None,
        problems: Vec::new(),
    };
    for (i, block) in document.blocks.iter().enumerate() {
        x.block(i, block);
    }
    x.flush_pending();
    let Extractor { steps, deferred, problems: step_problems, .. } = x;
    problems.extend(step_problems);
    let steps = finish(steps, deferred, &source, &document, &mut problems);
    if steps.is_empty() {
        problems.push(Problem { message: "no steps found in this file".into(), span: Span::default() });
    }
    problems.sort_by_key(|p| p.span.start);
    Runbook { source, document, front_matter, sections, steps, problems }
}

const GLOSSARY_TITLES: &[&str] = &["key terms", "glossary", "definitions", "terms"];

fn sections(doc: &Document, fm: &FrontMatter) -> Vec<Section> {
    let mut stack: Vec<(u8, String)> = Vec::new();
    doc.headings
        .iter()
        .map(|h| {
            while stack.last().is_some_and(|(level, _)| *level >= h.level) {
                stack.pop();
            }
            let parent = stack.last().map(|(_, slug)| slug.clone());
            stack.push((h.level, h.slug.clone()));
            let lower = h.text.to_lowercase();
            let glossary = fm.glossary.as_ref().map_or_else(
                || GLOSSARY_TITLES.contains(&lower.trim_end_matches(':')),
                |g| g.eq_ignore_ascii_case(&h.text) || *g == h.slug,
            );
            Section { slug: h.slug.clone(), title: h.text.clone(), level: h.level, parent, glossary, span: h.span }
        })
        .collect()
}

/// Items of lists made only of links, and everything nested in them.
fn link_only_items(doc: &Document) -> HashSet<usize> {
    let mut first_para: HashMap<usize, bool> = HashMap::new();
    for b in &doc.blocks {
        if let (markdown::BlockKind::Paragraph(p), Some(item)) = (&b.kind, b.item) {
            first_para.entry(item).or_insert(p.only_links);
        }
    }
    let mut out = HashSet::new();
    for list in &doc.lists {
        let all_links =
            !list.items.is_empty() && list.items.iter().all(|i| first_para.get(i).copied().unwrap_or(false));
        if all_links {
            out.extend(list.items.iter().copied());
        }
    }
    // Nested items of a link-only item are part of the same table of contents.
    for (i, item) in doc.items.iter().enumerate() {
        let mut p = item.parent;
        while let Some(parent) = p {
            if out.contains(&parent) {
                out.insert(i);
                break;
            }
            p = doc.items[parent].parent;
        }
    }
    out
}

/// A step under construction.
struct Draft {
    step: Step,
    section: Option<usize>,
    ann: Annotation,
    numbered: bool,
    item: Option<usize>,
    /// The item's first paragraph has not been seen yet.
    awaiting_title: bool,
    /// Prose says "this can be done … instead": an alternative of an earlier step.
    alternative_hint: bool,
    /// Blocks whose `output_of` is this draft (indices into `blocks`).
    outputs_of: Vec<usize>,
}

struct Extractor<'a> {
    doc: &'a Document,
    src: &'a SourceFile,
    sections: &'a [Section],
    steps: Vec<Draft>,
    /// Index of the step that takes the blocks that follow.
    open: Option<usize>,
    /// Paragraphs not yet given to a step (block indices).
    pending: Vec<usize>,
    /// The paragraph directly before the current block, if nothing else came between.
    intro: Option<usize>,
    item_steps: HashMap<usize, usize>,
    link_only_items: HashSet<usize>,
    /// Output blocks with an explicit `of=ID`, placed once every id is known.
    deferred: Vec<(StepBlock, String, Option<usize>)>,
    /// The latest step with a command block (for output samples far from their command).
    last_command: Option<usize>,
    problems: Vec<Problem>,
}

impl Extractor<'_> {
    fn block(&mut self, index: usize, block: &Block) {
        let in_glossary = block.section.is_some_and(|s| self.sections[s].glossary);
        match &block.kind {
            markdown::BlockKind::Heading(_) => {
                self.flush_pending();
                self.open = None;
                self.intro = None;
            }
            _ if in_glossary => {}
            markdown::BlockKind::ItemStart(item) => self.item(*item, block),
            markdown::BlockKind::Paragraph(p) => self.paragraph(index, block, p),
            markdown::BlockKind::Code(code) => {
                self.code(block, code);
                self.intro = None;
            }
            markdown::BlockKind::Html(_) => {}
            markdown::BlockKind::Rule | markdown::BlockKind::Table => self.intro = None,
        }
    }

    fn item(&mut self, item: usize, block: &Block) {
        let list = &self.doc.lists[self.doc.items[item].list];
        if !list.ordered || self.link_only_items.contains(&item) {
            return;
        }
        self.flush_pending();
        let printed = self.doc.items[item].number.unwrap_or(0);
        let parent_step = self.doc.items[item].parent.and_then(|p| self.item_steps.get(&p).copied());
        let number = match parent_step.and_then(|s| self.steps[s].step.number.clone()) {
            Some(parent) => format!("{parent}.{printed}"),
            None => printed.to_string(),
        };
        let idx = self.new_step(block, Some(number), block.annotation.as_deref().cloned().unwrap_or_default());
        self.steps[idx].numbered = true;
        self.steps[idx].item = Some(item);
        self.steps[idx].awaiting_title = true;
        self.item_steps.insert(item, idx);
        self.open = Some(idx);
        self.intro = None;
    }

    fn paragraph(&mut self, index: usize, block: &Block, p: &Paragraph) {
        if let Some(open) = self.open {
            let d = &mut self.steps[open];
            if d.awaiting_title && block.item.is_some() && block.item == d.item {
                d.awaiting_title = false;
                if let Some(ann) = block.annotation.as_deref() {
                    d.ann.merge(ann.clone());
                }
                d.step.prose.push(block.span);
                self.apply_intro(open, p);
                if let Some(target) = self.ref_in(p) {
                    self.steps[open].step.ref_to.get_or_insert(target);
                }
                self.intro = Some(index);
                return;
            }
        }
        if let Some(ann) = block.annotation.as_deref().filter(|a| forms_step(a)) {
            self.flush_pending();
            let idx = self.new_step(block, None, ann.clone());
            self.steps[idx].step.prose.push(block.span);
            self.apply_intro(idx, p);
            if ann.kind.as_deref() == Some("command") {
                for cmd in self.inline_commands(p, block) {
                    self.steps[idx].step.blocks.push(cmd);
                }
            }
            if let Some(target) = self.ref_in(p) {
                self.steps[idx].step.ref_to.get_or_insert(target);
            }
            self.open = Some(idx);
            self.intro = Some(index);
            return;
        }
        match self.open.filter(|&o| self.steps[o].numbered) {
            Some(open) => self.steps[open].step.prose.push(block.span),
            None => self.pending.push(index),
        }
        self.intro = Some(index);
    }

    fn code(&mut self, block: &Block, code: &markdown::CodeBlock) {
        let ann = block.annotation.as_deref().cloned().unwrap_or_default();
        if ann.ignore {
            return;
        }
        let intro_para = self.intro.and_then(|i| paragraph(&self.doc.blocks[i]));
        let intro_text = intro_para.map_or("", |p| p.text.as_str());
        let kind = classify::classify(code, intro_text, Some(&ann));
        let mut sb = StepBlock {
            kind,
            lang: code.lang.clone(),
            inline: false,
            text: code.content.clone(),
            file: None,
            output_of: None,
            expect_exit: ann.expect_exit.as_deref().and_then(|v| v.parse().ok()),
            commands: Vec::new(),
            allow: ann.allow.clone(),
            span: block.span,
            content_start: code.content_start,
            map: code.map.clone(),
        };
        match kind {
            BlockKind::Command => sb.commands = classify::split_commands(&code.content, &code.map),
            BlockKind::File => {
                sb.file = ann.file.clone().or_else(|| {
                    intro_para.and_then(|p| {
                        p.code_spans.iter().find(|c| prose::is_file_name(&c.text)).map(|c| c.text.clone())
                    })
                });
            }
            _ => {}
        }
        if kind == BlockKind::Output {
            self.output(sb, &ann, block);
            return;
        }
        let joins_open = match ann.step.as_deref() {
            Some("new") => false,
            Some("same") => self.open.is_some(),
            _ => self.open.is_some_and(|o| self.steps[o].numbered),
        };
        let idx = if let Some(open) = self.open.filter(|_| joins_open) {
            self.steps[open].ann.merge(step_attrs(&ann));
            open
        } else {
            self.start_unnumbered(block, step_attrs(&ann))
        };
        if sb.kind == BlockKind::Command {
            self.last_command = Some(idx);
        }
        self.steps[idx].step.blocks.push(sb);
    }

    /// A fence that starts a step of its own, with the paragraphs that introduce it.
    fn start_unnumbered(&mut self, block: &Block, ann: Annotation) -> usize {
        // The paragraph right before the fence introduces it; earlier loose paragraphs
        // trail the previous step of the section, or open this one if it is the first.
        let mut rest = std::mem::take(&mut self.pending);
        let intro = self.intro.filter(|i| rest.last() == Some(i));
        if intro.is_some() {
            rest.pop();
        }
        let prev = self.last_step_in_section(block.section);
        let start_block = intro.map_or(block, |i| &self.doc.blocks[i]);
        let idx = self.new_step(start_block, None, ann);
        let rest: Vec<Span> = rest.iter().map(|&i| self.doc.blocks[i].span).collect();
        self.steps[prev.unwrap_or(idx)].step.prose.extend(rest);
        if let Some(i) = intro {
            self.steps[idx].step.prose.push(self.doc.blocks[i].span);
            if let Some(p) = paragraph(&self.doc.blocks[i]) {
                self.apply_intro(idx, p);
            }
        }
        self.open = Some(idx);
        idx
    }

    fn output(&mut self, mut sb: StepBlock, ann: &Annotation, block: &Block) {
        if let Some(of) = &ann.of {
            self.deferred.push((sb, of.clone(), self.open));
            return;
        }
        // A command named in the prose just before the sample ("… by running `cf env APP`").
        let named = self.pending.iter().rev().find_map(|&i| {
            let b = &self.doc.blocks[i];
            let p = paragraph(b)?;
            let cmds = self.inline_commands(p, b);
            (!cmds.is_empty()).then_some((i, cmds))
        });
        let target = if let Some((para, cmds)) = named {
            let pos = self.pending.iter().position(|&i| i == para).unwrap_or(0);
            let after: Vec<usize> = self.pending.split_off(pos + 1);
            self.pending.pop();
            self.flush_pending();
            let b = &self.doc.blocks[para];
            let idx = self.new_step(b, None, Annotation::default());
            self.steps[idx].step.prose.push(b.span);
            if let Some(p) = paragraph(b) {
                self.apply_intro(idx, p);
            }
            self.steps[idx].step.blocks.extend(cmds);
            self.last_command = Some(idx);
            self.steps[idx].step.prose.extend(after.iter().map(|&i| self.doc.blocks[i].span));
            self.open = Some(idx);
            Some(idx)
        } else {
            let in_section = (0..self.steps.len())
                .rev()
                .take_while(|&i| self.steps[i].section == block.section)
                .find(|&i| self.steps[i].step.blocks.iter().any(|b| b.kind == BlockKind::Command));
            let target = in_section.or(self.last_command).or(self.open);
            if let Some(t) = target {
                let spans: Vec<Span> = self.pending.drain(..).map(|i| self.doc.blocks[i].span).collect();
                self.steps[t].step.prose.extend(spans);
            }
            target
        };
        if let Some(t) = target {
            let pos = self.steps[t].step.blocks.len();
            self.steps[t].outputs_of.push(pos);
            self.steps[t].step.blocks.push(sb);
        } else {
            self.problems.push(Problem {
                message: "output sample does not follow any command it could illustrate".into(),
                span: Span::new(block.span.start, block.span.start),
            });
            sb.kind = BlockKind::Other;
            let idx = self.start_unnumbered(block, Annotation::default());
            self.steps[idx].step.blocks.push(sb);
        }
    }

    /// Inline code spans of a paragraph that are commands.
    fn inline_commands(&self, p: &Paragraph, block: &Block) -> Vec<StepBlock> {
        p.code_spans
            .iter()
            .filter(|c| classify::looks_like_command(&c.text))
            .map(|c| {
                let raw = self.src.slice(c.span);
                let offset = c.span.start + raw.find(c.text.as_str()).unwrap_or(0);
                StepBlock {
                    kind: BlockKind::Command,
                    lang: String::new(),
                    inline: true,
                    text: c.text.clone(),
                    file: None,
                    output_of: None,
                    expect_exit: None,
                    commands: vec![Command { text: c.text.clone(), offset, line: 0 }],
                    allow: block.annotation.as_ref().map(|a| a.allow.clone()).unwrap_or_default(),
                    span: c.span,
                    content_start: offset,
                    map: OffsetMap::contiguous(offset),
                }
            })
            .collect()
    }

    fn ref_in(&self, p: &Paragraph) -> Option<String> {
        let links = p.links.iter().map(|&l| &self.doc.links[l]).filter(|l| l.dest.starts_with('#') && !l.image);
        prose::ref_target(&p.text, links.map(|l| (l.text.as_str(), l.dest.as_str())))
    }

    /// Title, condition and alternative from a step's introducing paragraph.
    fn apply_intro(&mut self, idx: usize, p: &Paragraph) {
        let applies = prose::applies(&p.text);
        let d = &mut self.steps[idx];
        if d.step.title.is_empty() {
            d.step.title = prose::title(&p.text);
        }
        if let Some(text) = applies.condition {
            d.step.condition = Some(Condition { text, when: None });
        }
        d.alternative_hint |= applies.alternative;
    }

    fn new_step(&mut self, block: &Block, number: Option<String>, ann: Annotation) -> usize {
        let section = block.section;
        self.steps.push(Draft {
            step: Step {
                id: String::new(),
                number,
                title: String::new(),
                section: section.map(|s| self.sections[s].slug.clone()).unwrap_or_default(),
                kind: StepKind::Info,
                condition: None,
                alternative_of: None,
                ref_to: None,
                blocks: Vec::new(),
                prose: Vec::new(),
                allow: Vec::new(),
                explicit_id: false,
                span: block.span,
            },
            section,
            ann,
            numbered: false,
            item: None,
            awaiting_title: false,
            alternative_hint: false,
            outputs_of: Vec::new(),
        });
        self.steps.len() - 1
    }

    fn last_step_in_section(&self, section: Option<usize>) -> Option<usize> {
        self.steps.last().filter(|d| d.section == section).map(|_| self.steps.len() - 1)
    }

    /// Loose paragraphs trail the last step of their section.
    fn flush_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let section = self.doc.blocks[self.pending[0]].section;
        if let Some(last) = self.last_step_in_section(section) {
            let spans: Vec<Span> = self.pending.iter().map(|&i| self.doc.blocks[i].span).collect();
            self.steps[last].step.prose.extend(spans);
        }
        self.pending.clear();
    }
}

fn paragraph(block: &Block) -> Option<&Paragraph> {
    match &block.kind {
        markdown::BlockKind::Paragraph(p) => Some(p),
        _ => None,
    }
}

/// An annotation on a paragraph that makes it a step of its own.
fn forms_step(ann: &Annotation) -> bool {
    ann.id.is_some() || ann.kind.as_deref().is_some_and(|k| StepKind::parse(k).is_some()) || ann.ref_to.is_some()
}

/// The attributes of a block annotation that describe its step.
fn step_attrs(ann: &Annotation) -> Annotation {
    Annotation {
        id: ann.id.clone(),
        when: ann.when.clone(),
        alt: ann.alt.clone(),
        title: ann.title.clone(),
        ref_to: ann.ref_to.clone(),
        allow: ann.allow.clone(),
        span: ann.span,
        ..Annotation::default()
    }
}

/// Ids, kinds, alternatives, output links and line numbers, once every step exists.
fn finish(
    drafts: Vec<Draft>,
    deferred: Vec<(StepBlock, String, Option<usize>)>,
    src: &SourceFile,
    doc: &Document,
    problems: &mut Vec<Problem>,
) -> Vec<Step> {
    // Ids: explicit, else `section/position`.
    let mut positions: HashMap<String, usize> = HashMap::new();
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut ids = Vec::with_capacity(drafts.len());
    let mut positional = Vec::with_capacity(drafts.len());
    for d in &drafts {
        let prefix = if d.step.section.is_empty() { "top".to_string() } else { d.step.section.clone() };
        let pos = positions.entry(prefix.clone()).or_insert(0);
        *pos += 1;
        positional.push(format!("{prefix}/{pos}"));
    }
    for (d, pos_id) in drafts.iter().zip(&positional) {
        let mut id = pos_id.clone();
        if let Some(explicit) = &d.ann.id {
            if !valid_id(explicit) {
                problems.push(Problem {
                    message: format!("step id `{explicit}` is not valid (use letters, digits, `-`, `_`, `.`)"),
                    span: d.ann.span,
                });
            } else if let Some(first) = seen.get(explicit) {
                problems.push(Problem {
                    message: format!(
                        "step id `{explicit}` is already used at line {}; this step keeps `{pos_id}`",
                        src.line_col(first.start).line
                    ),
                    span: d.ann.span,
                });
            } else {
                id.clone_from(explicit);
            }
        }
        seen.entry(id.clone()).or_insert(d.ann.span);
        ids.push(id);
    }
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    // Heuristic alternatives point at the latest earlier step of the section that acts.
    let hinted_alternatives: Vec<Option<usize>> = (0..drafts.len())
        .map(|i| {
            let d = &drafts[i];
            if !d.alternative_hint || d.ann.alt.is_some() {
                return None;
            }
            (0..i)
                .rev()
                .take_while(|&p| drafts[p].section == d.section)
                .find(|&p| drafts[p].step.blocks.iter().any(|b| b.kind.is_action()))
        })
        .collect();

    let mut steps: Vec<Step> = Vec::with_capacity(drafts.len());
    let mut kinds: Vec<(Option<StepKind>, bool)> = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.into_iter().enumerate() {
        kinds.push((d.ann.kind.as_deref().and_then(StepKind::parse), d.numbered));
        let mut step = d.step;
        step.explicit_id = d.ann.id.as_ref() == Some(&ids[i]);
        step.id.clone_from(&ids[i]);
        step.allow = d.ann.allow;
        if let Some(title) = d.ann.title {
            step.title = title;
        }
        if step.title.is_empty() {
            step.title = fallback_title(&step, doc, d.section);
        }
        if let Some(when) = d.ann.when {
            let text = step.condition.take().map_or_else(|| when.clone(), |c| c.text);
            step.condition = Some(Condition { text, when: Some(when) });
        }
        if let Some(target) = d.ann.ref_to {
            step.ref_to = Some(target.trim_start_matches('#').to_string());
        }
        step.alternative_of = match d.ann.alt {
            Some(alt) => {
                if !index.contains_key(alt.as_str()) {
                    problems.push(Problem {
                        message: format!("`alt={alt}` names no step of this runbook"),
                        span: d.ann.span,
                    });
                }
                Some(alt)
            }
            None => hinted_alternatives[i].map(|p| ids[p].clone()),
        };
        for &o in &d.outputs_of {
            step.blocks[o].output_of = Some(ids[i].clone());
        }
        steps.push(step);
    }

    for (mut block, of, fallback) in deferred {
        let target = index.get(of.as_str()).copied().or_else(|| {
            problems.push(Problem { message: format!("`of={of}` names no step of this runbook"), span: block.span });
            fallback
        });
        block.output_of = Some(of);
        match target {
            Some(t) => {
                let pos = steps[t].blocks.partition_point(|b| b.span.start < block.span.start);
                steps[t].blocks.insert(pos, block);
            }
            None => {
                problems.push(Problem { message: "output sample has no step to attach to".into(), span: block.span });
            }
        }
    }

    name_files_from_later_commands(&mut steps);
    for (k, step) in steps.iter_mut().enumerate() {
        for block in &mut step.blocks {
            for cmd in &mut block.commands {
                cmd.line = src.line_col(cmd.offset).line;
            }
        }
        step.kind = step_kind(step, kinds[k]);
        if let Some(target) = &step.ref_to
            && doc.heading_by_slug(target).is_none()
        {
            problems.push(Problem {
                message: format!("step refers to `#{target}`, which is not a heading of this guide"),
                span: step.span,
            });
        }
    }
    steps
}

/// A file block the prose does not name takes its name from the next command of its section
/// that reads a file with `-c`/`--config`/`-f` (`cf bind-service … -c <json.file>`).
fn name_files_from_later_commands(steps: &mut [Step]) {
    let mut unnamed: Vec<(usize, usize)> = Vec::new();
    let mut section = None;
    for s in 0..steps.len() {
        if section.as_ref() != Some(&steps[s].section) {
            unnamed.clear();
            section = Some(steps[s].section.clone());
        }
        for b in 0..steps[s].blocks.len() {
            let block = &steps[s].blocks[b];
            match block.kind {
                BlockKind::File if block.file.is_none() => unnamed.push((s, b)),
                BlockKind::Command => {
                    let file = block.commands.iter().find_map(|c| file_argument(&c.text));
                    if let (Some(file), Some((fs, fb))) = (file, unnamed.pop()) {
                        steps[fs].blocks[fb].file = Some(file);
                        unnamed.clear();
                    }
                }
                _ => {}
            }
        }
    }
}

/// The file a command reads through `-c FILE`, `--config FILE`, `-f FILE` or `--file FILE`.
fn file_argument(command: &str) -> Option<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        (matches!(w[0], "-c" | "--config" | "-f" | "--file" | "--vars-file") && prose::is_file_name(w[1]))
            .then(|| w[1].to_string())
    })
}

fn step_kind(step: &Step, (declared, numbered): (Option<StepKind>, bool)) -> StepKind {
    if let Some(kind) = declared {
        return kind;
    }
    if let Some(action) = step.blocks.iter().find(|b| b.kind.is_action()) {
        return match action.kind {
            BlockKind::Command => StepKind::Command,
            BlockKind::File => StepKind::File,
            _ => StepKind::Code,
        };
    }
    if step.ref_to.is_some() {
        StepKind::Ref
    } else if step.blocks.is_empty() && numbered {
        StepKind::Manual
    } else {
        StepKind::Info
    }
}

/// A step without prose is titled by its first command, else by its heading.
fn fallback_title(step: &Step, doc: &Document, section: Option<usize>) -> String {
    if let Some(cmd) = step.blocks.iter().flat_map(|b| &b.commands).next() {
        return prose::title(cmd.text.lines().next().unwrap_or(""));
    }
    section.map_or_else(
        || prose::title(step.blocks.first().and_then(|b| b.text.lines().next()).unwrap_or("")),
        |s| doc.headings[s].text.trim_end_matches(':').to_string(),
    )
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().next().is_some_and(char::is_alphanumeric)
        && id.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use super::super::{BlockKind, Runbook, StepKind};
    use crate::source::SourceFile;

    fn rb(text: &str) -> Runbook {
        Runbook::from_source(SourceFile::new("t.md", text))
    }

    fn ids(rb: &Runbook) -> Vec<(&str, Option<&str>, StepKind)> {
        rb.steps.iter().map(|s| (s.id.as_str(), s.number.as_deref(), s.kind)).collect()
    }

    #[test]
    fn interrupted_list_keeps_printed_numbers_and_blocks() {
        let r = rb(
            "# S\n\n1. Run:\n```bash\ncf a\n```\nA note.\n```bash\ncf b\n```\n\n**Note:** x\n\n9. Then:\n```bash\ncf c\n```\n",
        );
        assert_eq!(ids(&r), [("s/1", Some("1"), StepKind::Command), ("s/2", Some("9"), StepKind::Command)]);
        assert_eq!(r.steps[0].blocks.len(), 2, "a block after an item belongs to it until the next item");
        assert_eq!(r.steps[0].prose.len(), 3, "item text, the note between fences and the note after");
    }

    #[test]
    fn nested_numbered_item_is_a_sub_step() {
        let r = rb("# S\n\n5. Parent.\n   1. Child.\n");
        assert_eq!(ids(&r), [("s/1", Some("5"), StepKind::Manual), ("s/2", Some("5.1"), StepKind::Manual)]);
    }

    #[test]
    fn link_only_list_is_not_a_procedure() {
        let r = rb("# S\n\n1. [A](#a)\n   1. [B](#b)\n2. [C](#c)\n");
        assert!(r.steps.is_empty());
    }

    #[test]
    fn repeated_numbers_still_get_unique_ids() {
        let r = rb("# S\n\n1. a\n\n1. b\n");
        assert_eq!(ids(&r), [("s/1", Some("1"), StepKind::Manual), ("s/2", Some("1"), StepKind::Manual)]);
    }

    #[test]
    fn unnumbered_fence_with_its_introducing_paragraph() {
        let r = rb(
            "# S\n\nIntro to the section.\n\nCreate it:\n\n```bash\ncf create x\n```\n\nAfterwards.\n\n```bash\ncf y\n```\n",
        );
        assert_eq!(r.steps.len(), 2);
        assert_eq!(r.steps[0].title, "Create it");
        assert_eq!(r.source.line_col(r.steps[0].span.start).line, 5, "the step starts at its introducing paragraph");
        assert_eq!(r.steps[1].title, "Afterwards.");
    }

    #[test]
    fn output_sample_joins_the_inline_command_that_it_illustrates() {
        let r =
            rb("# S\n\n```bash\ncf bind a b\n```\n\nSee them by running `cf env a` now.\n\n```bash\nVCAP: {\n}\n```\n");
        assert_eq!(r.steps.len(), 2);
        let env = &r.steps[1];
        assert_eq!(env.kind, StepKind::Command);
        assert!(env.blocks[0].inline);
        assert_eq!(env.blocks[0].commands[0].text, "cf env a");
        assert_eq!(env.blocks[1].kind, BlockKind::Output);
        assert_eq!(env.blocks[1].output_of.as_deref(), Some("s/2"));
    }

    #[test]
    fn output_sample_without_a_named_command_joins_the_latest_command() {
        let r = rb("# S\n\n```bash\ncf service-key s k\n```\n\nThe output will look like:\n\n```bash\n{}\n```\n");
        assert_eq!(r.steps.len(), 1);
        assert_eq!(r.steps[0].blocks[1].kind, BlockKind::Output);
        assert_eq!(r.steps[0].blocks[1].output_of.as_deref(), Some("s/1"));
    }

    #[test]
    fn explicit_output_of_moves_the_sample() {
        let r = rb("# S\n\n```bash {id=one}\ncf a\n```\n\n```bash {id=two}\ncf b\n```\n\n```json {of=one}\n{}\n```\n");
        assert_eq!(r.step("one").unwrap().blocks.len(), 2);
        assert_eq!(r.step("two").unwrap().blocks.len(), 1);
    }

    #[test]
    fn ref_manual_and_info_steps() {
        let r = rb("# S\n\n```\njobs:\n  a: {}\n```\n\n## T\n\n1. Follow [S](#s).\n2. Click the button.\n");
        assert_eq!(
            ids(&r),
            [("s/1", None, StepKind::Info), ("t/1", Some("1"), StepKind::Ref), ("t/2", Some("2"), StepKind::Manual)]
        );
        assert_eq!(r.steps[1].ref_to.as_deref(), Some("s"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn conditions_and_alternatives_from_prose() {
        let r = rb(
            "# S\n\n1. If the space is missing, create it:\n```bash\ncf create-space x\n```\n2. Push:\n```bash\ncf push\n```\n3. If on a Mac, this can be done inline:\n```bash\ncf push --inline\n```\n",
        );
        assert_eq!(r.steps[0].condition.as_ref().unwrap().text, "the space is missing");
        assert!(r.steps[1].condition.is_none());
        assert_eq!(r.steps[2].alternative_of.as_deref(), Some("s/2"));
        assert_eq!(r.steps[2].condition.as_ref().unwrap().text, "on a Mac");
    }

    #[test]
    fn annotations_override_heuristics() {
        let r = rb(
            "# S\n\n<!-- runbook: id=go when=FAST alt=other title=\"Go fast\" -->\n```bash\ncf go\n```\n\n<!-- runbook: kind=manual id=other -->\nDo it by hand.\n",
        );
        let go = r.step("go").unwrap();
        assert!(go.explicit_id);
        assert_eq!(go.title, "Go fast");
        assert_eq!(go.condition.as_ref().unwrap().when.as_deref(), Some("FAST"));
        assert_eq!(go.alternative_of.as_deref(), Some("other"));
        assert_eq!(r.step("other").unwrap().kind, StepKind::Manual);
    }

    #[test]
    fn duplicate_explicit_id_keeps_the_positional_one() {
        let r = rb("# S\n\n```bash {id=x}\ncf a\n```\n\n```bash {id=x}\ncf b\n```\n");
        assert_eq!(r.steps[0].id, "x");
        assert_eq!(r.steps[1].id, "s/2");
        assert!(r.problems[0].message.contains("step id `x` is already used at line 3"));
    }

    #[test]
    fn file_named_by_prose_or_by_the_next_command() {
        let r = rb(
            "# S\n\nWrite `app.yml`:\n\n```yaml\na: 1\n```\n\nCreate a json file:\n\n```json\n{}\n```\n\n```bash\ncf bind-service a b -c <params.json>\n```\n",
        );
        assert_eq!(r.steps[0].blocks[0].file.as_deref(), Some("app.yml"));
        assert_eq!(r.steps[1].blocks[0].file.as_deref(), Some("<params.json>"));
    }

    #[test]
    fn glossary_section_has_no_steps() {
        let r = rb("# Key terms\n\nAPP = the app.\n\n```bash\ncf x y\n```\n\n1. Not a step.\n");
        assert!(r.steps.is_empty());
        assert!(r.sections[0].glossary);
    }

    #[test]
    fn steps_before_any_heading() {
        let r = rb("```bash\ncf a\n```\n");
        assert_eq!(r.steps[0].id, "top/1");
    }
}
