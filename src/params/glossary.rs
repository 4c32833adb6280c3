//! The glossary: `NAME = description` definitions in the glossary section ("Key terms",
//! "Glossary", or the heading named by `glossary:` in the front matter).
//!
//! Accepted forms, one definition per paragraph or list item: `NAME = text`, `NAME: text`,
//! `NAME – text` (en or em dash), with the name optionally in backticks or bold.

use std::sync::LazyLock;

use regex::Regex;

use super::canonical;
use crate::markdown::{BlockKind, Document};
use crate::source::Span;
use crate::steps::Section;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Canonical name.
    pub name: String,
    /// The name as the glossary spells it.
    pub spelling: String,
    pub text: String,
    pub span: Span,
}

static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\*\*|`)?<?([A-Za-z][A-Za-z0-9_. -]*?)>?(?:\*\*|`)?\s*(?:=|:|–|—|\s-\s)\s*(.+?)\s*$").unwrap()
});

/// Definitions found in glossary sections, in document order.
pub fn read(doc: &Document, sections: &[Section]) -> Vec<Entry> {
    let mut out = Vec::new();
    for block in &doc.blocks {
        let Some(section) = block.section else { continue };
        if !sections[section].glossary {
            continue;
        }
        let BlockKind::Paragraph(p) = &block.kind else { continue };
        let text = p.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let Some(cap) = DEFINITION.captures(&text) else { continue };
        let spelling = cap[1].trim().to_string();
        // A definition names a placeholder: capitals, digits and separators only.
        if !spelling.chars().any(|c| c.is_ascii_uppercase()) || spelling.chars().any(char::is_lowercase) {
            continue;
        }
        out.push(Entry { name: canonical(&spelling), spelling, text: cap[2].to_string(), span: block.span });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;
    use crate::steps::Runbook;

    #[test]
    fn reads_definitions_in_every_form() {
        let rb = Runbook::from_source(SourceFile::new(
            "g.md",
            "# Key terms\n\nSERVICE_NAME = The bucket service instance.\n\n`APP_NAME`: the app.\n\n**SPACE NAME** – the space.\n\nDOMAIN = A domain. List them with:\n`cf domains`\n\nJust prose here.\n",
        ));
        let entries = super::read(&rb.document, &rb.sections);
        let names: Vec<(&str, &str)> = entries.iter().map(|e| (e.name.as_str(), e.spelling.as_str())).collect();
        assert_eq!(
            names,
            [
                ("SERVICE_NAME", "SERVICE_NAME"),
                ("APP_NAME", "APP_NAME"),
                ("SPACE_NAME", "SPACE NAME"),
                ("DOMAIN", "DOMAIN")
            ]
        );
        assert_eq!(entries[0].text, "The bucket service instance.");
        assert!(entries[3].text.ends_with("cf domains"));
    }

    #[test]
    fn only_in_the_glossary_section() {
        let rb = Runbook::from_source(SourceFile::new("g.md", "# Deploy\n\nAPP = x\n"));
        assert!(super::read(&rb.document, &rb.sections).is_empty());
    }
}
