//! RB406 `shell-syntax-error`: a command that the shell cannot parse.
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util::{self, Ctx, Tok, TokKind};

pub static RULE: Rule = Rule {
    code: "RB406",
    name: "shell-syntax-error",
    group: Group::Commands,
    severity: Severity::Error,
    summary: "a command that the shell cannot parse",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

Shell syntax slips in command blocks that can be found without running anything:

- an unclosed `$(`, `${`, `$((`, `` ` `` or `(`;
- a `|`, `&&` or `||` that ends the block, a `\\` continuation with nothing after it;
- an operator with no command before it (`| grep x` on a line of its own, `cf apps && && x`);
- `if`/`then`/`fi`, `for`/`while`/`do`/`done` and `case`/`esac` that do not pair up;
- a `)` that closes nothing.

Unclosed quotes are RB405 (`unbalanced-quotes`).

## Why it matters

The shell refuses the whole block (`syntax error near unexpected token`), or waits for more \
input, so not even the first command runs. In a runbook that someone follows under pressure, \
the error comes at the worst moment.

## Example

````markdown
```bash
cf apps |
```
````

## Use instead

````markdown
```bash
cf apps | grep my-app
```
````
";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kw {
    If,
    Loop,
    Case,
}

/// Length of the opening, message and help for an unclosed construct.
fn opener(ctx: Ctx) -> Option<(usize, &'static str, &'static str)> {
    Some(match ctx {
        Ctx::Subst => (2, "unclosed `$(`", "the command substitution needs its `)`"),
        Ctx::Param => (2, "unclosed `${`", "the parameter expansion needs its `}`"),
        Ctx::Arith => (3, "unclosed `$((`", "the arithmetic expansion needs its `))`"),
        Ctx::Backtick => (1, "unclosed backtick", "the command substitution needs its closing backtick"),
        Ctx::Paren => (1, "unclosed `(`", "the subshell needs its `)`"),
        Ctx::ProcSubst => (2, "unclosed process substitution", "the process substitution needs its `)`"),
        Ctx::Array => (1, "unclosed `(`", "the array needs its `)`"),
        Ctx::Single | Ctx::AnsiC | Ctx::Double => return None,
    })
}

fn is_op(t: Option<&Tok>, ops: &[&str]) -> bool {
    t.is_some_and(|t| t.kind == TokKind::Op && ops.contains(&t.text.as_str()))
}

const JOINERS: &[&str] = &["|", "||", "&&", "|&"];
const SEPARATORS: &[&str] = &["|", "||", "&&", "|&", ";", "&"];

/// The first keyword or operator error of a block's top-level tokens.
fn token_error(tokens: &[Tok]) -> Option<(usize, usize, String, String)> {
    let mut cmd_pos = true;
    let mut last: Option<&Tok> = None;
    let mut kws: Vec<(Kw, &Tok, bool)> = Vec::new();
    let mut depth = 0usize;
    // At the start of a line that does not continue the previous one.
    let mut fresh = true;
    for tok in tokens {
        match tok.kind {
            TokKind::Newline => {
                if !is_op(last, JOINERS) {
                    cmd_pos = true;
                    fresh = true;
                }
            }
            TokKind::Op => {
                let op = tok.text.as_str();
                match op {
                    "(" => depth += 1,
                    ")" => {
                        if depth > 0 {
                            depth -= 1;
                        } else if kws.last().is_none_or(|(k, _, _)| *k != Kw::Case) {
                            return Some((
                                tok.start,
                                tok.end,
                                "unexpected `)`: it closes nothing".into(),
                                "remove it, or open the subshell with `(`".into(),
                            ));
                        }
                    }
                    _ if SEPARATORS.contains(&op) => {
                        let lone = fresh || is_op(last, &["|", "||", "&&", "|&", ";", "&", "("]);
                        if lone {
                            return Some((
                                tok.start,
                                tok.end,
                                format!("unexpected `{op}`: no command comes before it"),
                                "put the command before the operator, or join the lines with `\\` on the line before"
                                    .into(),
                            ));
                        }
                    }
                    _ => {}
                }
                cmd_pos = true;
                fresh = false;
                last = Some(tok);
            }
            TokKind::Word => {
                fresh = false;
                let word = tok.text.as_str();
                let pattern = kws.last().is_some_and(|(k, _, _)| *k == Kw::Case) && tok.next == Some(b')');
                if cmd_pos && !tok.quoted && !pattern {
                    let top = kws.last().map(|(k, _, _)| *k);
                    let unmatched = |kw: &str, needs: &str| {
                        Some((
                            tok.start,
                            tok.end,
                            format!("`{kw}` without {needs}"),
                            format!(
                                "add the missing {needs} or remove `{kw}`: `if … then … fi`, `for … do … done` and \
                                 `case … in … esac` must pair up"
                            ),
                        ))
                    };
                    let body = kws.last().is_some_and(|(_, _, b)| *b);
                    cmd_pos = match word {
                        "if" => {
                            kws.push((Kw::If, tok, false));
                            true
                        }
                        "then" => {
                            if top != Some(Kw::If) {
                                return unmatched(word, "`if`");
                            }
                            if let Some(k) = kws.last_mut() {
                                k.2 = true;
                            }
                            true
                        }
                        "elif" | "else" | "fi" => {
                            if top != Some(Kw::If) {
                                return unmatched(word, "`if`");
                            }
                            if !body {
                                return unmatched(word, "`then`");
                            }
                            if word == "fi" {
                                kws.pop();
                                false
                            } else {
                                if let Some(k) = kws.last_mut() {
                                    k.2 = word == "else";
                                }
                                true
                            }
                        }
                        "for" | "select" => {
                            kws.push((Kw::Loop, tok, false));
                            false
                        }
                        "while" | "until" => {
                            kws.push((Kw::Loop, tok, false));
                            true
                        }
                        "do" => {
                            if top != Some(Kw::Loop) {
                                return unmatched(word, "`for`, `while` or `until`");
                            }
                            if let Some(k) = kws.last_mut() {
                                k.2 = true;
                            }
                            true
                        }
                        "done" => {
                            if top != Some(Kw::Loop) {
                                return unmatched(word, "`for`, `while` or `until`");
                            }
                            if !body {
                                return unmatched(word, "`do`");
                            }
                            kws.pop();
                            false
                        }
                        "case" => {
                            kws.push((Kw::Case, tok, true));
                            false
                        }
                        "esac" => {
                            if top != Some(Kw::Case) {
                                return unmatched(word, "`case`");
                            }
                            kws.pop();
                            false
                        }
                        "!" | "time" | "{" => true,
                        _ => is_assignment(word),
                    };
                } else {
                    cmd_pos = false;
                }
                last = Some(tok);
            }
        }
    }
    if let Some((kw, tok, _)) = kws.last() {
        let (open, close) = match kw {
            Kw::If => ("if", "fi"),
            Kw::Loop => (tok.text.as_str(), "done"),
            Kw::Case => ("case", "esac"),
        };
        return Some((
            tok.start,
            tok.end,
            format!("`{open}` without a matching `{close}`"),
            format!("end it with `{close}`"),
        ));
    }
    if let Some(t) = last.filter(|t| t.kind == TokKind::Op && JOINERS.contains(&t.text.as_str())) {
        return Some((
            t.start,
            t.end,
            format!("`{}` ends the block: the command after it is missing", t.text),
            "add the command that should follow it, or remove the operator".into(),
        ));
    }
    None
}

fn is_assignment(word: &str) -> bool {
    let name = word.split('=').next().unwrap_or("");
    word.contains('=')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    util::scanned_blocks(ctx, |block, _, scan| {
        if scan.unclosed.iter().any(|(c, _)| matches!(c, Ctx::Single | Ctx::AnsiC | Ctx::Double)) {
            // RB405 reports it; everything after an open quote is part of the string.
            return;
        }
        if let Some(&(c, at)) = scan.unclosed.first() {
            if let Some((len, message, help)) = opener(c) {
                report
                    .add(util::block_span(block, at, at + len), message)
                    .help(format!("{help} before the end of the block"));
            }
            return;
        }
        if let Some(at) = scan.trailing_backslash {
            report
                .add(util::block_span(block, at, at + 1), "the block ends with a `\\` continuation")
                .help("remove the `\\`, or add the rest of the command on the next line");
            return;
        }
        if let Some((start, end, message, help)) = token_error(&scan.tokens) {
            report.add(util::block_span(block, start, end), message).help(help);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn findings(cmds: &str) -> Vec<crate::lint::Finding> {
        check_text(&format!("```bash\n{cmds}\n```\n"), &RULE)
    }

    #[test]
    fn errors() {
        let cases = [
            ("echo $(date", "unclosed `$(`"),
            ("echo ${HOME", "unclosed `${`"),
            ("cf apps |", "`|` ends the block: the command after it is missing"),
            ("cf apps &&", "`&&` ends the block: the command after it is missing"),
            ("cf apps\n| grep x", "unexpected `|`: no command comes before it"),
            ("cf apps && && cf push", "unexpected `&&`: no command comes before it"),
            ("if true; then echo a", "`if` without a matching `fi`"),
            ("echo a; fi", "`fi` without `if`"),
            ("for x in a b; echo $x; done", "`done` without `do`"),
            ("done", "`done` without `for`, `while` or `until`"),
            ("if true; fi", "`fi` without `then`"),
            ("echo a)", "unexpected `)`: it closes nothing"),
            ("cf push app \\", "the block ends with a `\\` continuation"),
            ("echo `date", "unclosed backtick"),
        ];
        for (cmd, message) in cases {
            let f = findings(cmd);
            assert_eq!(f.len(), 1, "{cmd}: {f:?}");
            assert_eq!(f[0].message, message, "{cmd}");
        }
    }

    #[test]
    fn valid_shell() {
        let ok = [
            "cf apps |\n  grep my-app",
            "cf apps && cf services || echo failed",
            "if [ -f x ]; then\n  echo a\nelif true; then echo b\nelse\n  echo c\nfi",
            "for x in a b; do echo \"$x\"; done",
            "while read -r l; do echo \"$l\"; done < f",
            "case \"$1\" in\n  start) echo s;;\n  stop|halt) echo t;;\n  *) echo u;;\nesac",
            "(cd ../x && cf push app)",
            "a=(1 2 3); echo \"${a[@]}\"",
            "f() { echo hi; }",
            "echo fi done then",
            "echo \"if\" 'fi'",
            "cmd 2>&1 | tee log &",
            "cat > f <<EOF\nif\n|\nEOF\necho ok",
            "sleep 1 &\nwait",
            "cf bind-service A S -c <json.file>",
            "echo $((2 * (3 + 4)))",
            "diff <(sort a) <(sort b)",
            "[[ -n \"$X\" && -z \"$Y\" ]] && echo yes",
            "! grep -q x f",
        ];
        for c in ok {
            assert!(findings(c).is_empty(), "{c}: {:?}", findings(c));
        }
    }
}
