//! RB606 `capture-after-python-start`: a Python block reads a captured value through the
//! environment, but the value is captured after its section's interpreter has started.
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};
use crate::params::Source;

use super::{is_python_code, namespace};

pub static RULE: Rule = Rule {
    code: "RB606",
    name: "capture-after-python-start",
    group: Group::Python,
    severity: Severity::Warning,
    summary: "python reads a captured value that is captured after its section's interpreter starts",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\nA Python block that reads a captured value through the environment \
(an exported variable such as `os.environ[\"BUCKET_NAME\"]`, or a secret, which always arrives through the \
environment) when the step that captures it comes after the first Python step of the same level-2 section.\n\n\
## Why it matters\n\n`runbook run` starts one Python interpreter per level-2 section, at the section's first \
Python step, so that its blocks share names. The interpreter's environment is fixed when it starts: a value \
captured later is not in it, and the block fails at run time.\n\n\
## Example\n\n```markdown\n## Read the bucket\n\n```python\nimport os\n```\n\n```bash {id=show-key}\n\
cf service-key SERVICE KEY\n```\n\n```python\nbucket = os.environ[\"BUCKET_NAME\"]\n```\n```\n\n\
## Use instead\n\nCapture the value before the section's first Python step (move the capturing step up, or \
into an earlier section):\n\n```markdown\n## Get the key\n\n```bash {id=show-key}\ncf service-key SERVICE KEY\n\
```\n\n## Read the bucket\n\n```python\nimport os\nbucket = os.environ[\"BUCKET_NAME\"]\n```\n```\n";

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let rb = ctx.runbook;
    let position = |id: &str| rb.steps.iter().position(|s| s.id == id);
    for (si, step) in rb.steps.iter().enumerate() {
        let space = namespace(rb, &step.section);
        // The first Python step of the section: where its interpreter starts.
        let Some(first) =
            rb.steps.iter().position(|s| namespace(rb, &s.section) == space && s.blocks.iter().any(is_python_code))
        else {
            continue;
        };
        for block in step.blocks.iter().filter(|b| is_python_code(b)) {
            for p in &ctx.params.placeholders {
                let Source::Capture { step: from } = &p.source else { continue };
                let Some(at) = position(from) else { continue };
                if at < first {
                    continue;
                }
                let uses = p.uses.iter().filter(|u| {
                    u.step == Some(si)
                        && (u.via_env || p.secret)
                        && block.span.start <= u.span.start
                        && u.span.end <= block.span.end
                });
                for u in uses {
                    report
                        .add(
                            u.span,
                            format!(
                                "`{}` is captured by step `{from}`, after this section's python interpreter starts at step `{}`",
                                p.name, rb.steps[first].id
                            ),
                        )
                        .help(format!(
                            "capture it before the section's first python step: move step `{from}` above step `{}`, \
                             or into an earlier section",
                            rb.steps[first].id
                        ))
                        .note("the capture is here", rb.steps[at].span);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    const FRONT: &str = "---\nrunbook: 1\ncaptures:\n  STORE: {from: get-store, regex: 'store: (\\S+)'}\n\
exports:\n  STORE_NAME: STORE\n---\n\n";

    #[test]
    fn flags_a_capture_after_the_first_python_step() {
        let text = format!(
            "{FRONT}# G\n\n## Read\n\n```python {{id=setup}}\nimport os\n```\n\n```bash {{id=get-store}}\n\
echo 'store: demo'\n```\n\n```python {{id=use}}\nname = os.environ[\"STORE_NAME\"]\n```\n"
        );
        let f = check_text(&text, &RULE);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(&text[f[0].span.start..f[0].span.end], "STORE_NAME");
        assert_eq!(
            f[0].message,
            "`STORE` is captured by step `get-store`, after this section's python interpreter starts at step `setup`"
        );
    }

    #[test]
    fn accepts_a_capture_before_the_section() {
        let text = format!(
            "{FRONT}# G\n\n## Get\n\n```bash {{id=get-store}}\necho 'store: demo'\n```\n\n## Read\n\n\
```python {{id=setup}}\nimport os\n```\n\n```python {{id=use}}\nname = os.environ[\"STORE_NAME\"]\n```\n"
        );
        assert!(check_text(&text, &RULE).is_empty());
    }

    #[test]
    fn accepts_a_non_secret_capture_written_into_the_code() {
        let text = "---\nrunbook: 1\ncaptures:\n  STORE: {from: get-store, regex: 'store: (\\S+)'}\n---\n\n# G\n\n\
## Read\n\n```python {id=setup}\nimport os\n```\n\n```bash {id=get-store}\necho 'store: demo'\n```\n\n\
```python {id=use}\nname = \"STORE\"\n```\n";
        assert!(check_text(text, &RULE).is_empty());
    }
}
