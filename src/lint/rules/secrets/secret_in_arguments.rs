//! RB503 `secret-in-arguments`: a secret typed on a command line or passed explicitly in code.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::rules::commands::util as shell;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util::{self, Lang};

pub static RULE: Rule = Rule {
    code: "RB503",
    name: "secret-in-arguments",
    group: Group::Secrets,
    severity: Severity::Error,
    summary: "a secret typed on a command line or passed explicitly in code",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

Secrets that the runbook has the reader type or paste where they do not belong, whether the \
value is written out or a placeholder for it:

- `cf set-env APP NAME VALUE` where `NAME` is secret-named (`AWS_SECRET_ACCESS_KEY`, \
`…_TOKEN`, `…_PASSWORD`) or `VALUE` is a secret placeholder, and `VALUE` is not taken from an \
environment variable (`\"$NAME\"`);
- `cf login -p PASSWORD` and `cf auth USERNAME PASSWORD`;
- Python `aws_access_key_id=`, `aws_secret_access_key=` and `aws_session_token=` given a \
string (`boto3.resource(\"s3\", aws_access_key_id=\"ACCESS_KEY_ID\", …)`) instead of letting \
boto3 read the environment. Each keyword argument is reported at its line.

## Why it matters

A secret typed on a command line lands in the shell history and, while the command runs, in \
the process list that every user of the machine can read. A secret pasted into code ends up \
in files, commits and screenshots; the runbook should show the pattern that keeps it out: \
credentials in environment variables, read by the tool itself.

## Example

````markdown
```bash
cf set-env my-app AWS_SECRET_ACCESS_KEY SECRET_ACCESS_KEY
```

```python
s3 = boto3.resource(\"s3\", aws_access_key_id=\"ACCESS_KEY_ID\", aws_secret_access_key=\"SECRET_ACCESS_KEY\")
```
````

## Use instead

````markdown
```bash
cf set-env my-app AWS_SECRET_ACCESS_KEY \"$AWS_SECRET_ACCESS_KEY\"
```

```python
s3 = boto3.resource(\"s3\")  # reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
```
````
";

static BOTO_KWARG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b(aws_access_key_id|aws_secret_access_key|aws_session_token)\s*=\s*(?:[rRbBuU]?(?:"[^"\n]*"|'[^'\n]*')|([A-Z][A-Z0-9_]*)\b)"#,
    )
    .unwrap()
});

fn env_name(kwarg: &str) -> String {
    kwarg.to_ascii_uppercase()
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    for unit in util::units(ctx) {
        if unit.lang != Lang::Python {
            continue;
        }
        for c in BOTO_KWARG.captures_iter(unit.text) {
            let m = c.get(0).map_or(0..0, |m| m.range());
            let span = unit.span(m.start, m.end);
            // A bare name counts only when it is a placeholder (a constant is someone's code).
            if let Some(name) = c.get(2)
                && util::placeholder_at(ctx, unit.span(name.start(), name.end())).is_none()
            {
                continue;
            }
            let kwarg = &c[1];
            report.add(span, format!("`{kwarg}` is passed in the code instead of read from the environment")).help(
                format!(
                    "drop `{kwarg}=`: boto3 reads `{}` from the environment (export it, or set it with `cf set-env`)",
                    env_name(kwarg)
                ),
            );
        }
    }
    shell::simple_commands(ctx, |cmd| {
        let Some(args) = shell::cf_args(&cmd.words) else { return };
        match args.name {
            "set-env" => {
                let [app, name, value] = args.positionals[..] else { return };
                let secret_value = util::placeholder_at(ctx, cmd.span(value)).is_some_and(|p| p.secret);
                let secret_key = util::secret_name(&name.text);
                if !(secret_key || secret_value) || value.text.starts_with('$') {
                    return;
                }
                let var = &name.text;
                report
                    .add(cmd.span(value), format!("secret `{}` is typed on the `cf set-env` command line", name.text))
                    .help(format!(
                        "export it first (from a secret store or a runbook capture) and pass the variable: \
                         `cf set-env {} {} \"${var}\"`; `cf set-env` has no stdin form, so the value is still \
                         briefly visible in the process list, but not in the runbook or the shell history",
                        app.text, name.text
                    ));
            }
            "login" => {
                for (flag, _, value) in &args.flags {
                    if flag.text == "-p" {
                        let span = match value {
                            Some(v) => cmd.span(flag).to(cmd.span(v)),
                            None => cmd.span(flag),
                        };
                        report
                            .add(span, "`cf login -p` puts the password on the command line")
                            .help("drop `-p` and let `cf login` prompt for it; in scripts, run `cf auth` with `CF_USERNAME` and `CF_PASSWORD` set in the environment");
                    }
                }
            }
            "auth" => {
                if let Some(password) = args.positionals.get(1) {
                    report.add(cmd.span(password), "`cf auth` gets the password on the command line").help(
                        "set `CF_USERNAME` and `CF_PASSWORD` in the environment and run `cf auth` without arguments",
                    );
                }
            }
            _ => {}
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn spans(text: &str) -> Vec<String> {
        check_text(text, &RULE).iter().map(|f| text[f.span.start..f.span.end].to_string()).collect()
    }

    #[test]
    fn boto3_keyword_arguments() {
        let text = "```python\ns3 = boto3.resource(\n  's3',\n  aws_access_key_id='ACCESS_KEY_ID',\n  aws_secret_access_key=\"abc\",\n  region_name='eu-west-2'\n)\n```\n";
        assert_eq!(spans(text), ["aws_access_key_id='ACCESS_KEY_ID'", "aws_secret_access_key=\"abc\""]);
        let ok = "```python\ndef f(key_id, secret):\n    return boto3.resource('s3', aws_access_key_id=key_id, aws_secret_access_key=secret)\n```\n";
        assert!(spans(ok).is_empty());
    }

    #[test]
    fn cf_commands() {
        let text = "```bash\ncf set-env app AWS_SECRET_ACCESS_KEY SECRET_ACCESS_KEY\ncf login -a api.example.com -u me -p hunter2\ncf auth me hunter2\n```\n";
        assert_eq!(spans(text), ["SECRET_ACCESS_KEY", "-p hunter2", "hunter2"]);
    }

    #[test]
    fn values_from_the_environment_and_generic_names() {
        let text = "```bash\ncf set-env app AWS_SECRET_ACCESS_KEY \"$AWS_SECRET_ACCESS_KEY\"\n\
                    cf set-env APP_NAME ENVIRONMENT_VARIABLE VALUE\ncf set-env app REGION eu-west-2\n\
                    cf login -a api.example.com -u me\ncf auth\n```\n";
        assert!(spans(text).is_empty(), "{:?}", spans(text));
    }
}
