//! RB601 `python-syntax-error`: a Python block that does not compile.
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, PythonError, Report, Rule};

use super::{coarse_error, python_code_blocks};

pub static RULE: Rule = Rule {
    code: "RB601",
    name: "python-syntax-error",
    group: Group::Python,
    severity: Severity::Error,
    summary: "python block that does not compile",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\nEvery Python code block is compiled (never run) with `compile(source, path, \"exec\")` by one \
`python3` process before anything runs, with line numbers that are lines of the Markdown file. A block that does not \
compile is reported at the line and column Python names, with Python's own message. Without `python3` \
(`--no-python`), a coarse check finds unexpected or missing indentation and unbalanced brackets or quotes.\n\n\
## Why it matters\n\nA reader who copies the block gets a `SyntaxError` before a single line runs, and a runbook \
step fails half-way through a procedure. Blocks are run as written: an indented first line is an \
`IndentationError`, because blocks are never re-indented.\n\n\
## Example\n\n```markdown\nDefine the helper:\n\n```python\n  def greet(name):\n    return f\"hello {name}\"\n```\n```\n\n\
## Use instead\n\n```markdown\nDefine the helper:\n\n```python\ndef greet(name):\n    return f\"hello {name}\"\n```\n```\n";

const COARSE: &str = "(coarse check: python3 not available)";

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    for (si, bi, block) in python_code_blocks(ctx.runbook) {
        let result = ctx.python.iter().find(|r| r.step == si && r.block == bi);
        // Without a pre-pass result for this block, use the coarse check (pure Rust).
        let (error, coarse) = match result {
            Some(r) => (r.error.clone(), r.coarse),
            None => (
                coarse_error(&block.text)
                    .map(|(message, start, end)| PythonError { message, span: block.map.span(start, end) }),
                true,
            ),
        };
        let Some(error) = error else { continue };
        let message = tidy(&error.message);
        let session =
            block.text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with(">>>"));
        let mut help = if session {
            "this is an interactive session: remove the `>>>` and `...` prompts and the output, or fence it as `pycon`"
                .to_string()
        } else if error.message.starts_with("unexpected indent") {
            "remove the leading indentation; blocks are never re-indented".to_string()
        } else if error.message.starts_with("expected an indented block") {
            "indent the body of the statement that ends with `:`".to_string()
        } else if error.message.contains("never closed") || error.message.starts_with("unterminated") {
            "close the bracket or string".to_string()
        } else {
            "fix the Python so that it compiles; the block is checked with `compile()`, never run".to_string()
        };
        if coarse {
            help.push(' ');
            help.push_str(COARSE);
        }
        report.add(error.span, format!("python syntax error: {message}")).help(help);
    }
}

/// Python's message, with a lowercase start (unless it is an acronym) and no trailing period.
fn tidy(message: &str) -> String {
    let m = message.trim().trim_end_matches('.');
    let mut chars = m.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            let mut s = a.to_lowercase().to_string();
            s.push_str(&m[a.len_utf8()..]);
            s
        }
        _ => m.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{PythonResult, check_text, check_text_with};
    use crate::source::{SourceFile, Span};
    use crate::steps::Runbook;

    const TEXT: &str = "# Guide\n\n## Python\n\nDefine the helper:\n\n```python\n  def f(a):\n    return a\n```\n\nThen:\n\n```python\nimport os\n```\n";

    fn line_of(text: &str, span: Span) -> (usize, usize) {
        let lc = SourceFile::new("t.md", text).line_col(span.start);
        (lc.line, lc.column)
    }

    #[test]
    fn reports_the_pre_pass_error_at_its_span() {
        let rb = Runbook::from_source(SourceFile::new("test.md", TEXT));
        let results = crate::exec::python_check::check(&rb, "python3").expect("python3 runs");
        let f = check_text_with(TEXT, &RULE, &results);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "python syntax error: unexpected indent");
        assert_eq!(line_of(TEXT, f[0].span), (8, 1));
        assert_eq!(f[0].help.as_deref(), Some("remove the leading indentation; blocks are never re-indented"));
    }

    #[test]
    fn coarse_results_say_so() {
        let rb = Runbook::from_source(SourceFile::new("test.md", TEXT));
        let results = crate::exec::python_check::check_coarse(&rb);
        let f = check_text_with(TEXT, &RULE, &results);
        assert_eq!(f.len(), 1);
        assert!(f[0].help.as_deref().unwrap_or("").ends_with("(coarse check: python3 not available)"));
    }

    #[test]
    fn falls_back_to_the_coarse_check_without_results() {
        let f = check_text(TEXT, &RULE);
        assert_eq!(f.len(), 1);
        assert_eq!(line_of(TEXT, f[0].span), (8, 1));
    }

    #[test]
    fn valid_blocks_pass() {
        let ok: Vec<PythonResult> = vec![PythonResult { step: 0, block: 0, error: None, coarse: false }];
        let text = "# G\n\n```python\nimport os\n```\n";
        assert!(check_text_with(text, &RULE, &ok).is_empty());
        assert!(check_text(text, &RULE).is_empty());
    }

    #[test]
    fn interactive_sessions_get_their_own_help() {
        let f = check_text("# G\n\n```python\n>>> 1 + 1\n2\n```\n", &RULE);
        assert!(f[0].help.as_deref().unwrap_or("").starts_with("this is an interactive session"));
        let text = "# G\n\n```python\n>>> 1 + 1\n2\n```\n";
        let rb = Runbook::from_source(SourceFile::new("test.md", text));
        let results = crate::exec::python_check::check(&rb, "python3").expect("python3 runs");
        let f = check_text_with(text, &RULE, &results);
        assert!(f[0].help.as_deref().unwrap_or("").starts_with("this is an interactive session"));
    }

    #[test]
    fn tidies_python_messages() {
        assert_eq!(
            tidy("Missing parentheses in call to 'print'. Did you mean print(...)?"),
            "missing parentheses in call to 'print'. Did you mean print(...)?"
        );
        assert_eq!(tidy("EOL while scanning."), "EOL while scanning");
    }
}
