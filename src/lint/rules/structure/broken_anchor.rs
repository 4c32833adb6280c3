//! RB103 `broken-anchor`: a link to `#slug` that matches no heading of the guide.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::markdown::BlockKind;
use crate::markdown::slug::slugify;

pub static RULE: Rule = Rule {
    code: "RB103",
    name: "broken-anchor",
    group: Group::Structure,
    severity: Severity::Error,
    summary: "a link to `#anchor` matches no heading of the guide",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\n\
Every link whose destination is a fragment of this page (`[text](#slug)`, in a table of \
contents or in prose) must match the anchor of a heading, computed as GitHub does: lowercase, \
punctuation dropped, spaces turned into `-`, repeated headings numbered `-1`, `-2`. Anchors \
declared in HTML (`<a id=\"x\">`, `<a name=\"x\">`) count too. The comparison is exact: GitHub's \
anchors are lowercase, so `#Deploy` does not reach the heading `Deploy`. The help names the \
closest existing anchor.\n\n\
## Why it matters\n\n\
A broken anchor leaves the reader at the top of the page, and a `ref` step (\"Follow [that \
section](#…)\") refers to nothing, so the runbook cannot run the section it names.\n\n\
## Example\n\n\
```markdown\n\
See [Rotating the key](#rotate-the-keys).\n\n\
## Rotate the key\n\
```\n\n\
## Use instead\n\n\
```markdown\n\
See [Rotating the key](#rotate-the-key).\n\n\
## Rotate the key\n\
```\n";

/// `id="x"` or `name="x"` in an HTML tag.
static HTML_ANCHOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<[A-Za-z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap());

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let doc = &ctx.runbook.document;
    let src = &ctx.runbook.source;
    let mut anchors: Vec<String> = doc.headings.iter().map(|h| h.slug.clone()).collect();
    for block in &doc.blocks {
        let html = match &block.kind {
            BlockKind::Html(h) => h.text.as_str(),
            BlockKind::Paragraph(p) => p.text.as_str(),
            _ => continue,
        };
        for cap in HTML_ANCHOR.captures_iter(html) {
            if let Some(m) = cap.get(1).or_else(|| cap.get(2)) {
                anchors.push(m.as_str().to_string());
            }
        }
    }
    for link in &doc.links {
        let Some(fragment) = link.dest.strip_prefix('#') else { continue };
        let fragment = super::percent_decode(fragment);
        if fragment.is_empty() || anchors.contains(&fragment) {
            continue;
        }
        let finding =
            report.add(super::dest_span(src, link), format!("`#{fragment}` matches no heading of this guide"));
        match closest(&fragment, &anchors) {
            Some(best) => finding.help(format!("did you mean `#{best}`?")),
            None => {
                finding.help("link to a heading's anchor: its text in lowercase, punctuation dropped, spaces as `-`")
            }
        };
    }
}

/// The anchor the author most likely meant: the slug of the fragment itself (`#Deploy-App` →
/// `deploy-app`), else the nearest anchor by edit distance, if it is near enough.
fn closest<'a>(fragment: &str, anchors: &'a [String]) -> Option<&'a str> {
    let slug = slugify(&fragment.replace('-', " "));
    if let Some(a) = anchors.iter().find(|a| **a == slug || **a == fragment.to_lowercase()) {
        return Some(a);
    }
    let lower = fragment.to_lowercase();
    let (dist, best) = anchors
        .iter()
        .map(|a| (strsim::damerau_levenshtein(&lower, a), a))
        .min_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.cmp(y.1)))?;
    let limit = (lower.chars().count() / 4).max(2);
    let similar = strsim::jaro_winkler(&lower, best) >= 0.9;
    (dist <= limit || similar).then_some(best.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;
    use crate::source::SourceFile;

    fn found(text: &str) -> Vec<(String, Option<String>)> {
        let src = SourceFile::new("t.md", text);
        check_text(text, &RULE).iter().map(|f| (src.slice(f.span).to_string(), f.help.clone())).collect()
    }

    #[test]
    fn typo_gets_a_suggestion() {
        let f = found("# Guide\n\n1. [Deploy](#deploy-the-ap)\n\n## Deploy the app\n");
        assert_eq!(f, [("#deploy-the-ap".into(), Some("did you mean `#deploy-the-app`?".into()))]);
    }

    #[test]
    fn case_matters() {
        let f = found("# Guide\n\nSee [it](#Deploy-The-App).\n\n## Deploy the app\n");
        assert_eq!(f, [("#Deploy-The-App".into(), Some("did you mean `#deploy-the-app`?".into()))]);
    }

    #[test]
    fn nothing_close_gets_general_help() {
        let f = found("# Guide\n\nSee [it](#zzz-qqq-www-kkk).\n\n## Deploy the app\n");
        assert_eq!(f.len(), 1);
        assert!(f[0].1.as_deref().unwrap().starts_with("link to a heading"));
    }

    #[test]
    fn resolving_anchors_are_fine() {
        let text = "# Guide\n\n- [A](#whats-new)\n- [B](#notes-1)\n- [C](#custom)\n- [D](#)\n- [E](#caf%C3%A9)\n\n\
                    ## What's new?\n\n## Notes\n\n## Notes\n\n<a id=\"custom\"></a>\n\n## Café\n\n[web](https://example.com/#x)\n";
        assert!(found(text).is_empty(), "{:?}", found(text));
    }

    #[test]
    fn reference_style_link_points_at_the_link() {
        let f = found("# Guide\n\nSee [it][r].\n\n[r]: #nowhere-at-all-here\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, "[it][r]");
    }
}
