//! RB505 `external-key-without-rotation`: a service key with outside access and no way to rotate it.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::rules::commands::util as shell;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::source::Span;
use crate::steps::BlockKind;

pub static RULE: Rule = Rule {
    code: "RB505",
    name: "external-key-without-rotation",
    group: Group::Secrets,
    severity: Severity::Warning,
    summary: "a service key with outside access in a runbook that never deletes service keys",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

A `cf create-service-key … -c` whose parameters set `\"allow_external_access\": true` (inline, \
or in the JSON file the runbook writes for it) in a runbook that has no `cf \
delete-service-key` step.

## Why it matters

A service key with outside access hands out long-lived credentials that work from anywhere. \
They get copied into CI secrets and laptops; when one leaks, or someone leaves, the only fix \
is to delete the key and create a new one. A runbook that creates such a key should also \
say how to rotate it, before it is needed.

## Example

````markdown
1. Create the key:
   ```bash
   cf create-service-key my-bucket ci-key -c '{\"allow_external_access\": true}'
   ```
````

## Use instead

````markdown
1. Create the key:
   ```bash
   cf create-service-key my-bucket ci-key -c '{\"allow_external_access\": true}'
   ```

## Rotate the key

1. Delete the old key:
   ```bash
   cf delete-service-key my-bucket ci-key -f
   ```
2. Create it again as above and update every secret that holds its credentials.
````
";

static EXTERNAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["']?allow_external_access["']?\s*:\s*["']?true\b"#).unwrap());

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let rb = ctx.runbook;
    let mut deletes = false;
    let mut creates: Vec<(Span, String, usize, String)> = Vec::new();
    shell::simple_commands(ctx, |cmd| {
        let Some(args) = shell::cf_args(&cmd.words) else { return };
        match args.name {
            "delete-service-key" => deletes = true,
            "create-service-key" => {
                let Some(value) = args.flags.iter().find(|(w, _, _)| w.text == "-c").and_then(|(_, _, v)| *v) else {
                    return;
                };
                let key = args.positionals.get(1).map_or_else(String::new, |w| w.text.clone());
                let span = cmd.span_of(&cmd.words[..cmd.words.len().min(4)]);
                creates.push((span, value.text.clone(), cmd.step, key));
            }
            _ => {}
        }
    });
    if deletes {
        return;
    }
    for (span, value, step, key) in creates {
        let external = if EXTERNAL.is_match(&value) {
            true
        } else {
            let name = value.trim_start_matches('@').trim_start_matches("./");
            let files = || rb.steps.iter().flat_map(|s| s.blocks.iter()).filter(|b| b.kind == BlockKind::File);
            match files().find(|b| b.file.as_deref().is_some_and(|f| f.trim_start_matches("./") == name)) {
                Some(b) => EXTERNAL.is_match(&b.text),
                // A placeholder file name: the file written just before, in the same section.
                None => {
                    let section = &rb.steps[step].section;
                    (0..=step)
                        .rev()
                        .take_while(|&i| &rb.steps[i].section == section)
                        .flat_map(|i| rb.steps[i].blocks.iter().rev())
                        .find(|b| b.kind == BlockKind::File)
                        .is_some_and(|b| EXTERNAL.is_match(&b.text))
                }
            }
        };
        if external {
            let key = if key.is_empty() { "the service key".to_string() } else { format!("service key `{key}`") };
            report
                .add(span, format!("{key} allows outside access, and the runbook never deletes a service key"))
                .help("add a rotation procedure: `cf delete-service-key SERVICE KEY`, create the key again, and update every place that holds its credentials");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    #[test]
    fn inline_and_file_parameters() {
        let f = check_text("```bash\ncf create-service-key b k -c '{\"allow_external_access\": true}'\n```\n", &RULE);
        assert_eq!(f.len(), 1);
        let text = "# Key\n\nWrite `ext.json`:\n\n```json\n{\"allow_external_access\": true}\n```\n\n```bash\ncf create-service-key b k -c ext.json\n```\n";
        assert_eq!(check_text(text, &RULE).len(), 1);
        let text = "# Key\n\nCreate a json file:\n\n```json\n{\"allow_external_access\": true}\n```\n\n```bash\ncf create-service-key b k -c <file.json>\n```\n";
        assert_eq!(check_text(text, &RULE).len(), 1);
    }

    #[test]
    fn rotation_or_internal_keys() {
        let text = "```bash\ncf create-service-key b k -c '{\"allow_external_access\": true}'\n```\n\n## Rotate\n\n```bash\ncf delete-service-key b k -f\n```\n";
        assert!(check_text(text, &RULE).is_empty());
        let text = "```bash\ncf create-service-key b k\ncf create-service-key b k2 -c '{\"allow_external_access\": false}'\n```\n";
        assert!(check_text(text, &RULE).is_empty());
    }
}
