//! RB402 `cf-argument-count`: a `cf` command with too many or too few positional arguments.
use crate::cf;
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util;

pub static RULE: Rule = Rule {
    code: "RB402",
    name: "cf-argument-count",
    group: Group::Commands,
    severity: Severity::Error,
    summary: "a `cf` command with too many or too few positional arguments",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

The number of positional arguments of every `cf` command, against the cf CLI v8 grammar: \
`cf bind-service` takes exactly `APP_NAME SERVICE_INSTANCE`, `cf push` takes at most \
`APP_NAME`, `cf api` takes an optional `URL`. Flag values do not count, and a placeholder \
(`<SPACE NAME>`, `APP_NAME`, `\"$APP\"`) counts as one argument. Commands that only print their \
help (`-h`, `--help`) are skipped.

## Why it matters

`cf` refuses a command with a missing argument (`Incorrect Usage: the required argument \
... was not provided`) and one with an extra argument (`Incorrect Usage: unexpected argument`). \
A value with a space that is not quoted is the usual cause of the second, and v6 forms (`cf \
create-route SPACE DOMAIN`, `cf run-task APP COMMAND`) the other.

## Example

````markdown
```bash
cf set-env my-app GREETING hello world
cf create-route my-space apps.example.com --hostname my-app
```
````

## Use instead

````markdown
```bash
cf set-env my-app GREETING 'hello world'
cf create-route apps.example.com --hostname my-app
```
````
";

fn plural(n: usize) -> &'static str {
    if n == 1 { "argument" } else { "arguments" }
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let grammar = cf::grammar();
    util::simple_commands(ctx, |cmd| {
        let Some(args) = util::cf_args(&cmd.words) else { return };
        if args.help {
            return;
        }
        // Usage syntax (`[-f FILE]`, `...`) and lists that expand to many words are not counted.
        let usage_like = cmd
            .words
            .iter()
            .any(|w| !w.quoted && (w.text.starts_with('[') || w.text.contains("...") || w.text.contains('|')));
        let expands =
            cmd.words.iter().any(|w| w.text.contains("$@") || w.text.contains("$*") || w.text.contains("[@]"));
        if usage_like {
            return;
        }
        let spec = args.spec;
        let required = spec.positionals.iter().filter(|p| p.required).count();
        let max = spec.positionals.len();
        let variadic = spec.positionals.last().is_some_and(|p| spec.usage.contains(&format!("{}...", p.name)));
        let usage = spec.usage.lines().next().unwrap_or("").trim();
        let name = args.name;
        let got = args.positionals.len();
        let v6 = grammar.v6_breaking_changes.get(name);
        if !variadic && !expands && got > max {
            let extra = &args.positionals[max..];
            let words: Vec<_> = extra.iter().map(|w| (*w).clone()).collect();
            let expected = match (max, required == max) {
                (0, _) => "takes no arguments".to_string(),
                (m, true) => format!("takes {m} {}", plural(m)),
                (m, false) => format!("takes at most {m} {}", plural(m)),
            };
            let finding = report
                .add(cmd.span_of(&words), format!("`cf {name}` {expected}, got {got}: unexpected `{}`", extra[0].text));
            match v6 {
                Some(note) => finding.help(format!("usage: `{usage}` (changed since cf CLI v6: {note})")),
                None if extra.len() == 1 && got == max + 1 && max > 0 => finding.help(format!(
                    "usage: `{usage}`; quote a value that contains spaces so that it stays one argument"
                )),
                None => finding.help(format!("usage: `{usage}`")),
            };
            return;
        }
        if got + args.ambiguous.len() < required {
            let missing: Vec<&str> =
                spec.positionals.iter().filter(|p| p.required).skip(got).map(|p| p.name.as_str()).collect();
            let finding = report.add(
                cmd.span_of(&cmd.words[..2]),
                format!(
                    "`cf {name}` needs {required} {}, got {got}: `{}` missing",
                    plural(required),
                    missing.join(" ")
                ),
            );
            match v6 {
                Some(note) => finding.help(format!("usage: `{usage}` (changed since cf CLI v6: {note})")),
                None => finding.help(format!("usage: `{usage}`")),
            };
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
    fn too_many_and_too_few() {
        let f = findings("cf set-env app NAME a b");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "`cf set-env` takes 3 arguments, got 4: unexpected `b`");
        let f = findings("cf bind-service app");
        assert_eq!(f[0].message, "`cf bind-service` needs 2 arguments, got 1: `SERVICE_INSTANCE` missing");
        let f = findings("cf create-route space apps.example.com --hostname h");
        assert!(f[0].help.as_deref().unwrap().contains("v6"), "{f:?}");
        let f = findings("cf apps extra");
        assert_eq!(f[0].message, "`cf apps` takes no arguments, got 1: unexpected `extra`");
    }

    #[test]
    fn valid_forms() {
        let ok = [
            "cf bind-route-service DOMAIN SERVICE_INSTANCE --hostname HOSTNAME",
            "cf create-space <SPACE NAME> -o <ORGANISATION>",
            "cf push",
            "cf push app -f manifest.yml --strategy rolling",
            "cf api",
            "cf api https://api.example.com",
            "cf bind-service app svc -c '{\"a\": 1}'",
            "cf set-label app my-app a=b c=d",
            "cf set-env app NAME \"$VALUE\"",
            "cf push --help",
            "cf ssh app -c 'ls -l'",
            "cf delete-service-key svc key -f",
            "cf auth",
            "cf curl /v3/apps -X POST -d '{}'",
            "cf create-service-broker b user pass https://b.example.com",
        ];
        for c in ok {
            assert!(findings(c).is_empty(), "{c}: {:?}", findings(c));
        }
    }

    #[test]
    fn unknown_flag_values_are_not_counted_as_extra() {
        assert!(findings("cf push app -d apps.example.com").is_empty());
    }
}
