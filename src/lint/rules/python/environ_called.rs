//! RB602 `environ-called`: `os.environ(...)` called as if it were a function.
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::tokens::{Kind, Token, Tokens, tokenize};
use super::{is_python_source, matching_close};

pub static RULE: Rule = Rule {
    code: "RB602",
    name: "environ-called",
    group: Group::Python,
    severity: Severity::Error,
    summary: "`os.environ` called like a function",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\nA call of `os.environ` (`os.environ(\"NAME\")`) in a Python block.\n\n\
## Why it matters\n\n`os.environ` is a mapping, not a function: calling it raises `TypeError: '_Environ' object is \
not callable` at the first line that reads the environment.\n\n\
## Example\n\n```markdown\n```python\nimport os\nregion = os.environ(\"REGION\")\n```\n```\n\n\
## Use instead\n\n```markdown\n```python\nimport os\nregion = os.environ[\"REGION\"]          # fails when unset\n\
region = os.environ.get(\"REGION\")      # None when unset\n```\n```\n";

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    for step in &ctx.runbook.steps {
        for block in step.blocks.iter().filter(|b| is_python_source(b)) {
            let src = block.text.as_str();
            let toks = tokenize(src);
            let t = &toks.tokens;
            let bare_environ = imports_environ(src, &toks);
            for (i, tok) in t.iter().enumerate() {
                if tok.kind != Kind::Name || tok.text(src) != "environ" {
                    continue;
                }
                let after_dot = i > 0 && t[i - 1].is(src, ".");
                let start = if after_dot {
                    // `os.environ(`: the receiver must be `os` itself.
                    if i < 2 || t[i - 2].text(src) != "os" || (i > 2 && t[i - 3].is(src, ".")) {
                        continue;
                    }
                    t[i - 2].start
                } else if bare_environ {
                    tok.start
                } else {
                    continue;
                };
                let Some(open) = t.get(i + 1).filter(|n| n.is(src, "(")) else { continue };
                let close = matching_close(t, i + 1);
                let end = close.map_or(open.end, |c| t[c].end);
                let written = &src[start..tok.end];
                let arg = close.and_then(|c| single_string_arg(src, &t[i + 2..c]));
                let key = arg.unwrap_or("\"NAME\"");
                report
                    .add(block.map.span(start, end), format!("`{written}` is a mapping, not a function"))
                    .help(format!("use `{written}[{key}]`, or `{written}.get({key})` when the variable may be unset"));
            }
        }
    }
}

/// `from os import environ` (not renamed with `as`) in the block.
fn imports_environ(src: &str, toks: &Tokens) -> bool {
    toks.lines.iter().any(|line| {
        let t = toks.line(line);
        let words: Vec<&str> = t.iter().map(|x| x.text(src)).collect();
        words.starts_with(&["from", "os", "import"])
            && words.iter().enumerate().any(|(i, w)| *w == "environ" && words.get(i + 1) != Some(&"as"))
    })
}

/// The text of the only argument when it is one string literal.
fn single_string_arg<'a>(src: &'a str, args: &[Token]) -> Option<&'a str> {
    match args {
        [one] if one.kind == Kind::Str => {
            let s = one.text(src);
            (s.starts_with('"') || s.starts_with('\'')).then_some(s)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn slices(text: &str) -> Vec<String> {
        check_text(text, &RULE).iter().map(|f| text[f.span.start..f.span.end].to_string()).collect()
    }

    #[test]
    fn flags_a_call() {
        let text = "# G\n\n```python\nimport os\nname = os.environ(\"bucket_name\").get()\n```\n";
        let f = check_text(text, &RULE);
        assert_eq!(f.len(), 1);
        assert_eq!(&text[f[0].span.start..f[0].span.end], "os.environ(\"bucket_name\")");
        assert_eq!(f[0].message, "`os.environ` is a mapping, not a function");
        assert_eq!(
            f[0].help.as_deref(),
            Some(
                "use `os.environ[\"bucket_name\"]`, or `os.environ.get(\"bucket_name\")` when the variable may be unset"
            )
        );
    }

    #[test]
    fn flags_bare_environ_imported_from_os() {
        assert_eq!(slices("# G\n\n```python\nfrom os import environ\nx = environ('A')\n```\n"), ["environ('A')"]);
    }

    #[test]
    fn accepts_the_mapping_forms() {
        let text = "# G\n\n```python\nimport os\na = os.environ[\"A\"]\nb = os.environ.get(\"B\", \"x\")\nc = dict(os.environ)\n\
d = other.os.environ(\"x\")\ne = environ(\"y\")\n# os.environ(\"in a comment\")\nf = \"os.environ('in a string')\"\n```\n";
        assert!(slices(text).is_empty());
    }

    #[test]
    fn inside_a_list_item() {
        let text = "# G\n\n1. Read it:\n\n   ```python\n   import os\n   v = os.environ(\"A\")\n   ```\n";
        assert_eq!(slices(text), ["os.environ(\"A\")"]);
    }
}
