//! RB605 `unbalanced-quotes-in-inline-python`: inline Python in prose with an unterminated
//! string or an unbalanced bracket.
use std::collections::HashSet;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::markdown::{BlockKind, CodeSpan};
use crate::source::Span;

use super::tokens::tokenize;
use super::{namespace, python_code_blocks};

pub static RULE: Rule = Rule {
    code: "RB605",
    name: "unbalanced-quotes-in-inline-python",
    group: Group::Python,
    severity: Severity::Warning,
    summary: "inline python code with an unterminated string or an unbalanced bracket",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\nInline code in prose that shows a Python expression (a call or a subscript, \
such as `obj.get()['Body']`) and has an unterminated string or a bracket that is never closed or never opened.\n\n\
## Why it matters\n\nReaders copy inline code as written; an expression with a missing quote fails with a \
`SyntaxError`, and it hides which part is the key and which is code.\n\n\
## Example\n\n```markdown\nRead the stream with `s3.Object(bucket, key).get()['Body]`.\n```\n\n\
## Use instead\n\n```markdown\nRead the stream with `s3.Object(bucket, key).get()['Body']`.\n```\n";

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let rb = ctx.runbook;
    // Level-2 sections with Python code: their inline code is Python too.
    let python_sections: HashSet<String> =
        python_code_blocks(rb).map(|(si, _, _)| namespace(rb, &rb.steps[si].section)).collect();
    for block in &rb.document.blocks {
        if block.annotation.as_ref().is_some_and(|a| a.ignore) {
            continue;
        }
        let BlockKind::Paragraph(p) = &block.kind else { continue };
        let in_python_section = block
            .section
            .and_then(|h| rb.document.headings.get(h))
            .is_some_and(|h| python_sections.contains(&namespace(rb, &h.slug)));
        if !in_python_section && !p.text.to_ascii_lowercase().contains("python") {
            continue;
        }
        for code in &p.code_spans {
            if !looks_like_python(&code.text) {
                continue;
            }
            let text = code.text.as_str();
            let toks = tokenize(text);
            // A missing quote also unbalances the brackets after it: report the string first.
            let problem =
                toks.problems.iter().find(|p| p.message.starts_with("unterminated")).or_else(|| toks.problems.first());
            let Some(problem) = problem else { continue };
            let base = inner_offset(&ctx.runbook.source.text, code);
            let span = base.map_or(code.span, |b| Span::new(b + problem.start, b + problem.end.max(problem.start + 1)));
            let piece = &text[problem.start..problem.end.min(text.len())];
            if problem.message.starts_with("unterminated") {
                let finding = report.add(span, format!("unterminated string `{piece}` in inline python code"));
                match fixed(text, problem.start, problem.end) {
                    Some(fix) => finding.help(format!("close the string: `{fix}`")),
                    None => finding.help("add the closing quote"),
                };
            } else {
                report
                    .add(span, format!("{} in inline python code", problem.message.replace('\'', "`")))
                    .help("balance the brackets so that the code can be copied as written");
            }
        }
    }
}

/// A call or a subscript (a name, `)` or `]` directly followed by `(` or `[`), with nothing
/// that belongs to another language (`::`, `=>`, `&'a`, `$`, `;`, `{{`).
fn looks_like_python(text: &str) -> bool {
    if ["::", "=>", "&'", "$", ";", "{{", "&&", "||"].iter().any(|s| text.contains(s)) {
        return false;
    }
    let b = text.as_bytes();
    b.windows(2)
        .any(|w| (w[0].is_ascii_alphanumeric() || matches!(w[0], b'_' | b')' | b']')) && matches!(w[1], b'(' | b'['))
}

/// Source offset of the code span's text (inside its backticks), when it appears verbatim.
fn inner_offset(source: &str, code: &CodeSpan) -> Option<usize> {
    let raw = source.get(code.span.start..code.span.end)?;
    let inner = raw.trim_matches('`');
    let lead = raw.len() - raw.trim_start_matches('`').len();
    let at = inner.find(code.text.as_str())?;
    Some(code.span.start + lead + at)
}

/// The code with the string closed before the bracket it swallowed (`['Body]` → `['Body']`).
fn fixed(text: &str, start: usize, end: usize) -> Option<String> {
    let string = &text[start..end.min(text.len())];
    let quote = string.chars().find(|c| matches!(c, '\'' | '"'))?;
    let before = &text[..start];
    let closer = string.chars().last().filter(|c| matches!(c, ']' | ')'))?;
    let opener = if closer == ']' { '[' } else { '(' };
    if !before.ends_with(opener) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 1);
    out.push_str(before);
    out.push_str(&string[..string.len() - 1]);
    out.push(quote);
    out.push(closer);
    out.push_str(&text[end.min(text.len())..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn found(text: &str) -> Vec<(String, String, String)> {
        check_text(text, &RULE)
            .iter()
            .map(|f| {
                (text[f.span.start..f.span.end].to_string(), f.message.clone(), f.help.clone().unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn flags_the_unterminated_key() {
        let text = "# G\n\nIn Python, read it with ```obj.get()['Body]``` from the response.\n";
        assert_eq!(
            found(text),
            [(
                "'Body]".to_string(),
                "unterminated string `'Body]` in inline python code".to_string(),
                "close the string: `obj.get()['Body']`".to_string()
            )]
        );
    }

    #[test]
    fn flags_unbalanced_brackets() {
        let f =
            found("# G\n\n## S\n\n```python\nimport os\n```\n\nCall `client.get(key` first and `items[0]]` next.\n");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].0, "(");
        assert_eq!(f[0].1, "`(` was never closed in inline python code");
        assert_eq!(f[1].0, "]");
    }

    #[test]
    fn other_languages_are_left_alone() {
        assert!(found("# G\n\nPython aside, `into_key(self) -> &'a mut K` is Rust.\n").is_empty());
        assert!(found("# G\n\n## JS\n\nThe option `{ Pool: Interceptor[] } }` is JavaScript.\n").is_empty());
    }

    #[test]
    fn accepts_balanced_code_and_prose() {
        let text = "# G\n\nIn Python use `get()[\"Body\"]`, `read_csv(...)`, `os.environ`, `it's`, `${{secrets.NAME}}`, \
`needs: [a, b]`, `f\"{x['k']}\"` and `cf set-env APP KEY 'v'`.\n";
        assert!(found(text).is_empty());
    }
}
