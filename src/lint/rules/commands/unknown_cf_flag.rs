//! RB403 `unknown-cf-flag`: a flag that the `cf` command does not have, or one missing its value.
use std::sync::LazyLock;

use regex::Regex;

use crate::cf;
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util;

pub static RULE: Rule = Rule {
    code: "RB403",
    name: "unknown-cf-flag",
    group: Group::Commands,
    severity: Severity::Error,
    summary: "a flag that the `cf` command does not have, or a flag missing its value",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

Every flag of every `cf` command, against the cf CLI v8 grammar of that command:

- a flag the command does not have (`cf push --hostnme`), with the closest real flag;
- a flag that cf CLI v6 had and v8 removed (`cf push -d DOMAIN`, `cf push --hostname`, \
`cf update-service --upgrade`), with what v8 uses instead;
- a flag that takes a value but has none: it ends the command, or another flag follows it \
(`cf bind-service app svc -c --wait`).

`-h`, `--help` and `-v` are accepted on every command.

## Why it matters

`cf` refuses the whole command (`Incorrect Usage: unknown flag`), so the step fails; a flag \
without its value is either refused or, worse, takes the next flag as its value.

## Example

````markdown
```bash
cf push my-app -d apps.example.com --hostname my-app
cf bind-service my-app my-db -c
```
````

## Use instead

````markdown
```bash
cf push my-app --no-route
cf map-route my-app apps.example.com --hostname my-app
cf bind-service my-app my-db -c params.json
```
````
";

static FLAG_IN_NOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s/(,])(--?[A-Za-z][A-Za-z0-9-]*)").unwrap());

/// Whether a v6 → v8 note names this flag.
fn note_names(note: &str, flag: &str) -> bool {
    FLAG_IN_NOTE.captures_iter(note).any(|c| &c[1] == flag)
}

fn flag_names(spec: &cf::CommandSpec) -> Vec<String> {
    spec.flags
        .iter()
        .filter(|f| !f.hidden)
        .flat_map(|f| {
            f.long.iter().map(|l| format!("--{l}")).chain(f.short.iter().map(|s| format!("-{s}"))).collect::<Vec<_>>()
        })
        .collect()
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let grammar = cf::grammar();
    util::simple_commands(ctx, |cmd| {
        let Some(args) = util::cf_args(&cmd.words) else { return };
        let name = args.name;
        let note = grammar.v6_breaking_changes.get(name);
        for w in &args.unknown_flags {
            let flag = w.text.split('=').next().unwrap_or(&w.text);
            if let Some(note) = note.filter(|n| note_names(n, flag)) {
                report
                    .add(cmd.span(w), format!("`{flag}` was removed from `cf {name}` in cf CLI v8"))
                    .help(format!("cf CLI v8: {note}"));
                continue;
            }
            let names = flag_names(args.spec);
            let best = names
                .iter()
                .map(|n| (strsim::damerau_levenshtein(flag, n), n))
                .filter(|(d, n)| *d <= (flag.len() / 3).clamp(1, 3) && n.len() > 2)
                .min_by_key(|(d, _)| *d);
            let finding = report.add(cmd.span(w), format!("`cf {name}` has no flag `{flag}`"));
            match best {
                Some((_, n)) => finding.help(format!("did you mean `{n}`?")),
                None => finding.help(format!("see `cf {name} --help` for its flags")),
            };
        }
        for (w, f, _) in &args.flags {
            let flag = w.text.split('=').next().unwrap_or(&w.text);
            if f.hidden
                && let Some(note) = note.filter(|n| note_names(n, flag))
            {
                report
                    .add(cmd.span(w), format!("`{flag}` was removed from `cf {name}` in cf CLI v8"))
                    .help(format!("cf CLI v8: {note}"));
            }
        }
        for w in &args.missing_value {
            let usage = args.spec.usage.lines().next().unwrap_or("").trim();
            report
                .add(cmd.span(w), format!("`{}` needs a value", w.text))
                .help(format!("give `{}` its value right after it; usage: `{usage}`", w.text));
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
    fn unknown_flags_with_suggestions() {
        let f = findings("cf create-route d --hostnme h");
        assert_eq!(f[0].message, "`cf create-route` has no flag `--hostnme`");
        assert_eq!(f[0].help.as_deref(), Some("did you mean `--hostname`?"));
    }

    #[test]
    fn v6_flags() {
        let f = findings("cf push app -d apps.example.com --hostname h");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].message, "`-d` was removed from `cf push` in cf CLI v8");
        assert_eq!(f[1].message, "`--hostname` was removed from `cf push` in cf CLI v8");
        let f = findings("cf update-service svc --upgrade");
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn missing_values() {
        let f = findings("cf bind-service app svc -c\ncf bind-service app svc -c --wait");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].message, "`-c` needs a value");
    }

    #[test]
    fn valid_flags() {
        let ok = [
            "cf bind-route-service DOMAIN SERVICE_INSTANCE --hostname HOSTNAME",
            "cf login -a api.example.com -u <USERNAME>",
            "cf create-space <SPACE NAME> -o <ORGANISATION>",
            "cf push app --strategy rolling --no-route",
            "cf push app --help",
            "cf curl /v2/info -iv",
            "cf delete-service-key s k -fw",
            "cf create-route d --hostname=h",
            "cf ssh app -c '-x'",
            "cf apps -v",
        ];
        for c in ok {
            assert!(findings(c).is_empty(), "{c}: {:?}", findings(c));
        }
    }
}
