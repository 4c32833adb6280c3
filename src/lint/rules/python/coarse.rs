//! The coarse Python syntax check (no interpreter): indentation and balanced brackets/quotes.

use super::tokens;

/// The first error the coarse check finds in Python source: message and byte range.
pub fn coarse_error(src: &str) -> Option<(String, usize, usize)> {
    let toks = tokens::tokenize(src);
    let mut found: Vec<(String, usize, usize)> =
        toks.problems.iter().map(|p| (p.message.clone(), p.start, p.end)).take(1).collect();
    let mut stack = vec![0usize];
    let mut expect_indent = false;
    for line in &toks.lines {
        let tokens = toks.line(line);
        let Some(first) = tokens.first() else { continue };
        // A `>>>` prompt: an interactive session, not a script.
        if first.is(src, ">>") && tokens.get(1).is_some_and(|t| t.is(src, ">") && t.start == first.end) {
            found.push(("invalid syntax".to_string(), first.start, first.end + 1));
            break;
        }
        let top = *stack.last().unwrap_or(&0);
        let indent_end = first.start;
        if line.indent > top {
            if !expect_indent {
                found.push(("unexpected indent".to_string(), line.line_start, indent_end));
                break;
            }
            stack.push(line.indent);
        } else {
            if expect_indent {
                found.push(("expected an indented block".to_string(), first.start, first.end));
                break;
            }
            while stack.len() > 1 && line.indent < *stack.last().unwrap_or(&0) {
                stack.pop();
            }
            if line.indent != *stack.last().unwrap_or(&0) {
                found.push((
                    "unindent does not match any outer indentation level".to_string(),
                    line.line_start,
                    indent_end,
                ));
                break;
            }
        }
        expect_indent = tokens.last().is_some_and(|t| t.depth == 0 && t.is(src, ":"));
    }
    if expect_indent && found.is_empty() {
        let end = src.trim_end().len();
        found.push(("expected an indented block".to_string(), end, end));
    }
    found.into_iter().min_by_key(|f| f.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_check_accepts_valid_code() {
        let src = "import os\n\n\ndef f(a,\n      b):\n    '''doc\n    string'''\n    if a:\n        return {'k': [b]}\n    return None  # done\n\nx = f(1, 2) \\\n    or 3\nclass C:\n    pass\n";
        assert_eq!(coarse_error(src), None);
        assert_eq!(
            coarse_error("if x:\n    y = 1\n  z = 2\n").map(|e| e.0).as_deref(),
            Some("unindent does not match any outer indentation level")
        );
        assert_eq!(coarse_error("if x:\ny = 1\n").map(|e| e.0).as_deref(), Some("expected an indented block"));
        assert_eq!(coarse_error("x = 'abc\n").map(|e| e.0).as_deref(), Some("unterminated string literal"));
        assert_eq!(coarse_error(">>> x = 1\n").map(|e| (e.1, e.2)), Some((0, 3)));
    }
}
