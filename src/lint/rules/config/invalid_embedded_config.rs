//! RB301 `invalid-embedded-config`: a YAML, JSON or TOML block that does not parse.
use crate::diagnostic::Severity;
use crate::embedded::{self, Lang};
use crate::lint::{Group, LintContext, Report, Rule};

pub static RULE: Rule = Rule {
    code: "RB301",
    name: "invalid-embedded-config",
    group: Group::Config,
    severity: Severity::Error,
    summary: "a YAML, JSON or TOML block does not parse",
    doc: DOC,
    check,
};

const DOC: &str = r#"## What it checks

Every file, workflow or output block labelled `yaml`, `yml`, `json` or `toml`, and every file
block whose file name ends in one of those extensions, is parsed. A block that does not parse
is reported at the position of the syntax error.

Placeholders are fine wherever a string goes (`name: <APP_NAME>`, `"name": "APP_NAME"`). A bare
placeholder standing in for a whole JSON value without quotes is a real error: JSON has no
such token. Blocks fenced as another language (for example an output sample fenced `bash`)
are not parsed.

## Why it matters

A reader copies these blocks into files (`manifest.yml`, a parameters file for `cf
bind-service -c`, a workflow). A syntax error there fails the deployment, often with a message
far from its cause, and an output sample that does not parse misleads whoever compares it
with real output.

## Example

```markdown
Write the parameters file:

    ```json
    {"retention_days": 30,}
    ```
```

## Use instead

```markdown
Write the parameters file:

    ```json
    {"retention_days": 30}
    ```
```
"#;

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    for step in &ctx.runbook.steps {
        for block in &step.blocks {
            let Some(lang) = Lang::of(block) else { continue };
            let Err(e) = embedded::parse(&block.text, lang, &block.map) else { continue };
            let what =
                block.file.as_deref().map_or_else(|| format!("this {} block", lang.as_str()), |f| format!("`{f}`"));
            let help = match lang {
                Lang::Json => {
                    "fix the syntax at this point; quote placeholders that stand for strings (`\"APP_NAME\"`) and drop trailing commas"
                }
                Lang::Yaml => {
                    "fix the indentation or quoting at this point; quote values that start with a special character"
                }
                Lang::Toml => {
                    "fix the syntax at this point; strings need quotes and each key may appear once per table"
                }
            };
            report.add(e.span, format!("{what} is not valid {}: {}", lang.as_str(), e.message)).help(help);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::check_text;

    fn lines(md: &str) -> Vec<usize> {
        let src = crate::source::SourceFile::new("t.md", md);
        check_text(md, &RULE).iter().map(|f| src.line_col(f.span.start).line).collect()
    }

    #[test]
    fn json_errors_point_at_the_markdown_line() {
        let md = "# T\n\n1. Write it:\n   ```json\n   {\n     \"a\": 1,\n     \"b\": VALUE\n   }\n   ```\n";
        assert_eq!(lines(md), [7]);
        let f = &check_text(md, &RULE)[0];
        assert_eq!(&md[f.span.start..=f.span.start], "V");
    }

    #[test]
    fn yaml_and_toml_errors() {
        assert_eq!(lines("# T\n\n```yaml\na: 1\n b: [\n```\n").len(), 1);
        assert_eq!(lines("# T\n\nWrite `app.toml`:\n\n```toml\nname = \n```\n"), [6]);
    }

    #[test]
    fn placeholders_and_nulls_are_valid() {
        assert!(lines("# T\n\n```yaml\napplications:\n  - name: <APP_NAME>\n```\n").is_empty());
        assert!(lines("# T\n\n```json\n{\"name\": \"APP_NAME\", \"b\": null}\n```\n").is_empty());
    }

    #[test]
    fn blocks_fenced_as_shell_are_not_parsed() {
        assert!(lines("# T\n\nThe output:\n\n```bash\nVCAP_SERVICES: {\n  \"a\": [\n}\n```\n").is_empty());
    }
}
