//! RB405 `unbalanced-quotes`: a command with a `'` or `"` that is never closed.
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util::{self, Ctx};

pub static RULE: Rule = Rule {
    code: "RB405",
    name: "unbalanced-quotes",
    group: Group::Commands,
    severity: Severity::Error,
    summary: "a command with a quote that is never closed",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

Quotes in command blocks (and in commands named inline in prose): every `'` and `\"` that \
opens a string must close it, with shell rules: nothing is special inside `'…'`, `\\\"` does \
not close `\"…\"`, the other quote kind is an ordinary character, and comments and \
here-document bodies are skipped. A string may span lines; the block must close it.

## Why it matters

With an unclosed quote the shell does not run the command: it waits for the rest of the \
string (`>` prompt) in a terminal, or fails with `unexpected EOF while looking for matching` \
in a script, and the lines after it become part of the string. An apostrophe in an unquoted \
argument (`echo don't`) is the usual cause.

## Example

````markdown
```bash
cf set-env my-app GREETING 'it's live'
```
````

## Use instead

````markdown
```bash
cf set-env my-app GREETING \"it's live\"
```
````
";

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    util::scanned_blocks(ctx, |block, text, scan| {
        let Some(&(ctx, at)) = scan.unclosed.iter().find(|(c, _)| matches!(c, Ctx::Single | Ctx::AnsiC | Ctx::Double))
        else {
            return;
        };
        let (quote, help) = if ctx == Ctx::Double {
            ("\"", "close the string with `\"`; write a literal `\"` inside it as `\\\"`")
        } else {
            (
                "'",
                "close the string with `'`; to keep an apostrophe, use double quotes (`\"it's\"`) or write it as `'\\''`",
            )
        };
        let start = if ctx == Ctx::AnsiC { at + 1 } else { at };
        let end = util::to_line_end(text, start);
        report
            .add(
                util::block_span(block, start, end),
                format!("unclosed `{quote}`: the shell reads on to the end of the block"),
            )
            .help(help);
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
    fn unclosed_quotes() {
        let text = "```bash\ncf set-env app G 'it's live'\ncf apps\n```\n";
        let f = check_text(text, &RULE);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(&text[f[0].span.start..f[0].span.end], "'");
        assert_eq!(findings("echo \"a \\\" b").len(), 1);
        assert_eq!(findings("echo don't").len(), 1);
    }

    #[test]
    fn balanced_forms() {
        let ok = [
            "cf set-env app G \"it's live\"",
            "echo 'say \"hi\"'",
            "echo \"$(cat \"a b\")\"",
            "echo it\\'s",
            "# don't worry\ncf apps",
            "cf create-service s p i -c '{\n  \"a\": 1\n}'",
            "cat > f.txt <<EOF\ndon't\nEOF",
            "echo $'it\\'s'",
            "cf apps # it's fine",
        ];
        for c in ok {
            assert!(findings(c).is_empty(), "{c}: {:?}", findings(c));
        }
    }

    #[test]
    fn console_output_is_not_a_command() {
        let f = check_text("```console\n$ cf apps\nname  state\nit's  running\n```\n", &RULE);
        assert!(f.is_empty(), "{f:?}");
    }
}
