//! RB101 `output-fenced-as-shell`: an output sample fenced with a shell language.
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::markdown::BlockKind as MdBlock;
use crate::source::{SourceFile, Span};
use crate::steps::BlockKind;

pub static RULE: Rule = Rule {
    code: "RB101",
    name: "output-fenced-as-shell",
    group: Group::Structure,
    severity: Severity::Warning,
    summary: "an output sample is fenced with a shell language, so it reads as commands to run",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\n\
A fenced block that shows what a command prints (an output sample: JSON after \"The output will \
look like:\", a `VCAP_SERVICES` listing) whose fence names a shell language: `bash`, `sh`, \
`shell`, `zsh` or `console`. A block marked as output explicitly (`{kind=output}`, `{of=ID}` or \
`<!-- runbook: kind=output -->`) is left alone.\n\n\
## Why it matters\n\n\
A shell fence tells readers, editors and tools that the block holds commands. Readers copy it \
into a terminal, syntax highlighting marks JSON keys as commands, and the runbook only knows the \
block is output through prose heuristics that a small rewording breaks.\n\n\
## Example\n\n\
````markdown\n\
Show the key:\n\n\
```bash\n\
cf service-key my-bucket my-key\n\
```\n\n\
The output will look like:\n\n\
```bash\n\
{\"region\": \"eu-west-2\"}\n\
```\n\
````\n\n\
## Use instead\n\n\
````markdown\n\
The output will look like:\n\n\
```json\n\
{\"region\": \"eu-west-2\"}\n\
```\n\
````\n";

const SHELL_LANGS: &[&str] = &["bash", "sh", "shell", "zsh", "console"];

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let rb = ctx.runbook;
    for step in &rb.steps {
        for block in &step.blocks {
            if block.kind != BlockKind::Output || block.inline {
                continue;
            }
            let lang = block.lang.to_ascii_lowercase();
            if !SHELL_LANGS.contains(&lang.as_str()) || declared_output(ctx, block.span) {
                continue;
            }
            let content = block.text.trim_start();
            let suggest = if content.starts_with(['{', '[']) { "json" } else { "text" };
            report
                .add(info_span(&rb.source, block.span, &block.lang), format!("output sample is fenced as `{}`", block.lang))
                .help(format!(
                    "fence it with the language of its content (`{suggest}`), or mark it as output with `{{kind=output}}`"
                ));
        }
    }
}

/// The author said this block is output (`kind=output` or `of=ID`), whatever its fence.
fn declared_output(ctx: &LintContext<'_>, span: Span) -> bool {
    ctx.runbook.document.blocks.iter().any(|b| {
        b.span == span
            && matches!(b.kind, MdBlock::Code(_))
            && b.annotation.as_deref().is_some_and(|a| a.kind.as_deref() == Some("output") || a.of.is_some())
    })
}

/// The language word of the opening fence, else the whole opening fence line.
fn info_span(src: &SourceFile, block: Span, lang: &str) -> Span {
    let line = super::first_line(src, block);
    let text = src.slice(line);
    let lead = text.len() - text.trim_start().len();
    let after_fence = text[lead..].trim_start_matches(['`', '~']);
    let fence_end = text.len() - after_fence.len();
    let gap = after_fence.len() - after_fence.trim_start().len();
    let word = after_fence.trim_start();
    if !lang.is_empty() && word.get(..lang.len()).is_some_and(|w| w.eq_ignore_ascii_case(lang)) {
        let start = line.start + fence_end + gap;
        return Span::new(start, start + lang.len());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn lines(text: &str) -> Vec<(usize, String)> {
        let src = SourceFile::new("t.md", text);
        check_text(text, &RULE)
            .iter()
            .map(|f| (src.line_col(f.span.start).line, src.slice(f.span).to_string()))
            .collect()
    }

    #[test]
    fn announced_output_in_a_bash_fence() {
        let text =
            "# S\n\n```bash\ncf service-key a b\n```\n\nThe output will look like:\n\n```bash\n{\n  \"a\": 1\n}\n```\n";
        assert_eq!(lines(text), [(9, "bash".to_string())]);
    }

    #[test]
    fn data_in_a_shell_fence_inside_a_list_item() {
        let text = "# S\n\n1. Run:\n   ```sh\n   cf env app\n   ```\n\n   It prints:\n   ```console\n   VCAP_SERVICES: {\n   }\n   ```\n";
        assert_eq!(lines(text), [(9, "console".to_string())]);
    }

    #[test]
    fn json_fences_commands_and_declared_output_are_fine() {
        let text = "# S\n\n```bash\ncf service-key a b\n```\n\nThe output will look like:\n\n```json\n{}\n```\n\n\
                    ```bash {kind=output}\nGetting key b\n```\n\n<!-- runbook: kind=output -->\n```shell\nOK\n```\n";
        assert!(lines(text).is_empty(), "{:?}", lines(text));
    }

    #[test]
    fn ignored_blocks_are_skipped() {
        let text = "# S\n\n```bash\ncf apps\n```\n\nThe output will look like:\n\n```bash {ignore}\n{}\n```\n";
        assert!(lines(text).is_empty());
    }

    #[test]
    fn help_suggests_the_content_language() {
        let text = "# S\n\n```bash\ncf env a\n```\n\nThe output will look like:\n\n```zsh\nGetting env\n```\n";
        let f = check_text(text, &RULE);
        assert!(f[0].help.as_deref().unwrap().contains("(`text`)"));
        assert_eq!(f[0].message, "output sample is fenced as `zsh`");
    }
}
