//! RB401 `unknown-cf-command`: a `cf` subcommand that cf CLI v8 does not have.
use crate::cf;
use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util::{self, PLUGIN_COMMANDS};

pub static RULE: Rule = Rule {
    code: "RB401",
    name: "unknown-cf-command",
    group: Group::Commands,
    severity: Severity::Error,
    summary: "a `cf` subcommand that cf CLI v8 does not have",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

Every `cf` command in a command block (and every `cf` command named in prose that the runbook \
runs) must name a subcommand or an alias of the cf CLI v8. Subcommands that only cf CLI v6 had \
(`v3-apps`, `v3-zdt-push`, `files`…) are reported with their v8 replacement; other unknown names \
with the closest real subcommand. Common plugin commands (`conduit`, the App Autoscaler \
plugin's commands) are accepted.

## Why it matters

`cf` stops with `'X' is not a registered command` and the runbook halts at that step. A typo \
or a command from an old guide is cheaper to fix when the runbook is written than during a \
deployment.

## Example

````markdown
1. Show the app's environment:
   ```bash
   cf envs my-app
   ```
````

## Use instead

````markdown
1. Show the app's environment:
   ```bash
   cf env my-app
   ```
````
";

/// The v8 commands and aliases, for suggestions.
fn known_names() -> Vec<&'static str> {
    let g = cf::grammar();
    let mut names: Vec<&str> = g.commands.keys().map(String::as_str).collect();
    names.extend(g.commands.values().flat_map(|s| s.aliases.iter().map(String::as_str)));
    names.sort_unstable();
    names
}

/// The closest v8 command name, if close enough to be a likely typo.
pub(crate) fn suggest(name: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= limit && c.len() > 2)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let grammar = cf::grammar();
    let names = known_names();
    util::simple_commands(ctx, |cmd| {
        if cmd.words[0].text != "cf" || cmd.words[0].quoted {
            return;
        }
        let Some(sub) = cmd.words.get(1) else { return };
        let name = sub.text.as_str();
        if name.is_empty()
            || name.starts_with('-')
            || util::is_placeholder_word(sub)
            || grammar.command(name).is_some()
            || PLUGIN_COMMANDS.contains(&name)
        {
            return;
        }
        let span = cmd.span(sub);
        if let Some(replacement) = grammar.v6_only_commands.get(name) {
            let finding = report.add(span, format!("`cf {name}` exists only in cf CLI v6"));
            match replacement {
                Some(r) => finding.help(format!("cf CLI v8 replaces it with `cf {r}`")),
                None => finding.help("cf CLI v8 has no replacement for it: remove the step or do it another way"),
            };
            return;
        }
        let finding = report.add(span, format!("`{name}` is not a cf CLI v8 command"));
        match suggest(name, &names) {
            Some(s) => finding.help(format!("did you mean `cf {s}`?")),
            None => finding.help("see `cf help -a` for every command; a plugin command needs its plugin installed"),
        };
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    #[test]
    fn typos_v6_commands_and_aliases() {
        let f = check_text("```bash\ncf envs app\ncf v3-apps\ncf files app\ncf bs a s\ncf push app\n```\n", &RULE);
        assert_eq!(f.len(), 3, "{f:?}");
        assert_eq!(f[0].message, "`envs` is not a cf CLI v8 command");
        assert_eq!(f[0].help.as_deref(), Some("did you mean `cf env`?"));
        assert!(f[1].help.as_deref().unwrap().contains("`cf apps`"), "{:?}", f[1]);
        assert!(f[2].help.as_deref().unwrap().contains("no replacement"));
    }

    #[test]
    fn spans_point_at_the_subcommand() {
        let text = "1. Run:\n   ```bash\n   cd x && cf pushh app\n   ```\n";
        let f = check_text(text, &RULE);
        assert_eq!(&text[f[0].span.start..f[0].span.end], "pushh");
    }

    #[test]
    fn placeholders_flags_and_plugins_are_fine() {
        let f = check_text("```bash\ncf COMMAND --help\ncf --version\ncf conduit db\ncf\ncf <CMD>\n```\n", &RULE);
        assert!(f.is_empty(), "{f:?}");
    }
}
