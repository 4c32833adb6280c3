//! The cf CLI v8 command grammar, embedded from `commands.json` (extracted from the cf CLI's
//! own command definitions: 191 commands with their positionals and flags, plus the v6-only
//! commands and v6 → v8 breaking changes).
//!
//! Owns: looking a command up (aliases included) and giving each word of an invocation its
//! role (subcommand, positional NAME, flag, flag value). It knows nothing of placeholders: the
//! `params` stage asks it which words stand where the grammar expects a value.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::shell::Word;

#[derive(Debug, Deserialize)]
pub struct Grammar {
    pub commands: HashMap<String, CommandSpec>,
    #[serde(default)]
    pub v6_only_commands: HashMap<String, Option<String>>,
    #[serde(default)]
    pub v6_breaking_changes: HashMap<String, String>,
    /// Flags every invocation takes (`--version`, `--help`).
    #[serde(default)]
    pub global_flags: Vec<FlagSpec>,
    #[serde(skip)]
    aliases: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct CommandSpec {
    #[serde(default)]
    pub aliases: Vec<String>,
    pub usage: String,
    pub positionals: Vec<Positional>,
    pub flags: Vec<FlagSpec>,
}

#[derive(Debug, Deserialize)]
pub struct Positional {
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Deserialize)]
pub struct FlagSpec {
    pub long: Option<String>,
    pub short: Option<String>,
    pub takes_value: bool,
    #[serde(default)]
    pub hidden: bool,
}

static GRAMMAR: LazyLock<Grammar> = LazyLock::new(|| {
    let mut g: Grammar =
        serde_json::from_str(include_str!("commands.json")).expect("embedded cf grammar is valid JSON");
    g.aliases = g
        .commands
        .iter()
        .flat_map(|(name, spec)| spec.aliases.iter().map(move |a| (a.clone(), name.clone())))
        .collect();
    g
});

/// The embedded grammar.
pub fn grammar() -> &'static Grammar {
    &GRAMMAR
}

impl Grammar {
    /// A command by name or alias, with its canonical name.
    pub fn command(&self, name: &str) -> Option<(&str, &CommandSpec)> {
        let canonical = self.aliases.get(name).map_or(name, String::as_str);
        self.commands.get_key_value(canonical).map(|(k, v)| (k.as_str(), v))
    }
}

impl CommandSpec {
    /// The flag a word names (`--hostname`, `-n`), if the command has it.
    pub fn flag(&self, word: &str) -> Option<&FlagSpec> {
        if let Some(long) = word.strip_prefix("--") {
            let long = long.split('=').next().unwrap_or(long);
            return self.flags.iter().find(|f| f.long.as_deref() == Some(long));
        }
        let short = word.strip_prefix('-')?;
        self.flags.iter().find(|f| f.short.as_deref() == Some(short))
    }
}

/// What a word of a `cf` invocation is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The `cf` program itself.
    Program,
    Subcommand,
    /// A positional argument, with the grammar's name for it (`APP_NAME`).
    Positional(String),
    /// A positional beyond those the grammar has.
    ExtraPositional,
    Flag,
    /// The value of a flag (the flag's name, e.g. `hostname` or `c`).
    FlagValue(String),
    UnknownFlag,
}

/// Roles of the words of one simple command that starts with `cf`. `None` when the command is
/// not `cf` or its subcommand is unknown.
pub fn roles(words: &[Word]) -> Option<Vec<Role>> {
    if words.first().map(|w| w.text.as_str()) != Some("cf") {
        return None;
    }
    let (_, spec) = grammar().command(&words.get(1)?.text)?;
    let mut roles = vec![Role::Program, Role::Subcommand];
    let mut positional = 0;
    let mut expect_value: Option<String> = None;
    let mut flags_done = false;
    for w in &words[2..] {
        if let Some(flag) = expect_value.take() {
            roles.push(Role::FlagValue(flag));
            continue;
        }
        let t = w.text.as_str();
        if t == "--" && !w.quoted {
            flags_done = true;
            roles.push(Role::Flag);
            continue;
        }
        if !flags_done && !w.quoted && t.starts_with('-') && t.len() > 1 {
            match spec.flag(t) {
                Some(f) => {
                    let name = f.long.clone().or_else(|| f.short.clone()).unwrap_or_default();
                    if f.takes_value && !t.contains('=') {
                        expect_value = Some(name);
                    }
                    roles.push(Role::Flag);
                }
                None => roles.push(Role::UnknownFlag),
            }
            continue;
        }
        match spec.positionals.get(positional) {
            Some(p) => roles.push(Role::Positional(p.name.clone())),
            None => roles.push(Role::ExtraPositional),
        }
        positional += 1;
    }
    Some(roles)
}

/// Check an invocation as `cf` itself would (the arguments after `cf`): the subcommand exists,
/// every flag is one it has and has its value, the required positionals are there and there
/// are no more than it takes. `Ok` holds the canonical subcommand; `Err` a cf-like message.
pub fn check_args(args: &[String]) -> Result<String, String> {
    let g = grammar();
    let global = |word: &str| {
        g.global_flags.iter().any(|f| {
            word.strip_prefix("--").is_some_and(|l| f.long.as_deref() == Some(l))
                || word.strip_prefix('-').is_some_and(|s| f.short.as_deref() == Some(s))
        })
    };
    // `cf`, `cf --version`, `cf -h`: help and version, as cf prints them.
    let Some(first) = args.first().filter(|a| !global(a)) else {
        return Ok(String::new());
    };
    let Some((name, spec)) = g.command(first) else {
        let hint = match g.v6_only_commands.get(first.as_str()) {
            Some(Some(v8)) => format!(" (a cf v6 command: use `cf {v8}` in v8)"),
            Some(None) => " (a cf v6 command with no v8 equivalent)".into(),
            None => String::new(),
        };
        return Err(format!("'{first}' is not a registered command{hint}. See 'cf help -a'"));
    };
    if args[1..].iter().any(|a| global(a)) {
        return Ok(name.to_string());
    }
    let mut positionals: Vec<&str> = Vec::new();
    let mut words = args[1..].iter();
    let mut flags_done = false;
    while let Some(word) = words.next() {
        let t = word.as_str();
        if t == "--" && !flags_done {
            flags_done = true;
            continue;
        }
        if !flags_done && t.starts_with('-') && t.len() > 1 {
            // A short flag may carry its value: `-o=org` or `-fmanifest.yml` (as go-flags reads them).
            let attached = !t.starts_with("--") && t.len() > 2;
            let name = if attached { &t[..2] } else { t };
            let Some(flag) = spec.flag(name).filter(|f| !attached || f.takes_value) else {
                return Err(format!("Incorrect Usage: unknown flag `{}'", t.trim_start_matches('-')));
            };
            if flag.takes_value && !t.contains('=') && !attached && words.next().is_none() {
                return Err(format!("Incorrect Usage: expected argument for flag `{t}'"));
            }
            continue;
        }
        positionals.push(t);
    }
    let required = spec.positionals.iter().filter(|p| p.required).count();
    if positionals.len() < required {
        let missing: Vec<&str> =
            spec.positionals[positionals.len()..required].iter().map(|p| p.name.as_str()).collect();
        return Err(format!(
            "Incorrect Usage: the required argument{} `{}` {} not provided",
            if missing.len() == 1 { "" } else { "s" },
            missing.join("`, `"),
            if missing.len() == 1 { "was" } else { "were" }
        ));
    }
    if let Some(extra) = positionals.get(spec.positionals.len()) {
        return Err(format!("Incorrect Usage: unexpected argument \"{extra}\""));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::words;

    fn roles_of(cmd: &str) -> Vec<Role> {
        roles(&words(cmd).into_iter().next().unwrap()).unwrap()
    }

    #[test]
    fn grammar_has_every_command_and_aliases() {
        let g = grammar();
        assert_eq!(g.commands.len(), 191);
        assert_eq!(g.command("bs").unwrap().0, "bind-service");
        assert!(g.command("v3-apps").is_none());
        assert_eq!(g.v6_only_commands.get("v3-apps").cloned().flatten().as_deref(), Some("apps"));
    }

    #[test]
    fn positionals_and_flag_values() {
        assert_eq!(
            roles_of("cf bind-service APP SVC -c <json.file>"),
            [
                Role::Program,
                Role::Subcommand,
                Role::Positional("APP_NAME".into()),
                Role::Positional("SERVICE_INSTANCE".into()),
                Role::Flag,
                Role::FlagValue("c".into()),
            ]
        );
        assert_eq!(
            roles_of("cf create-route DOMAIN --hostname HOST"),
            [
                Role::Program,
                Role::Subcommand,
                Role::Positional("DOMAIN".into()),
                Role::Flag,
                Role::FlagValue("hostname".into())
            ]
        );
    }

    #[test]
    fn extra_and_unknown() {
        let r = roles_of("cf env APP MORE --nope");
        assert_eq!(r[3], Role::ExtraPositional);
        assert_eq!(r[4], Role::UnknownFlag);
        assert!(roles(&words("git clone x").into_iter().next().unwrap()).is_none());
        assert!(roles(&words("cf no-such-command").into_iter().next().unwrap()).is_none());
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_string()).collect()
    }

    #[test]
    fn invocations_are_checked_as_cf_would() {
        assert_eq!(check_args(&strings(&["bs", "app", "svc", "-c", "{}"])).unwrap(), "bind-service");
        assert!(check_args(&strings(&["bind-service", "app", "svc", "-c"])).unwrap_err().contains("expected argument"));
        assert!(check_args(&strings(&["env"])).unwrap_err().contains("`APP_NAME` was not provided"));
        assert!(check_args(&strings(&["env", "a", "b"])).unwrap_err().contains("unexpected argument \"b\""));
        assert!(check_args(&strings(&["push", "a", "--nope"])).unwrap_err().contains("unknown flag `nope'"));
        assert!(check_args(&strings(&["no-such"])).unwrap_err().contains("not a registered command"));
        assert!(check_args(&strings(&["v3-apps"])).unwrap_err().contains("use `cf apps`"));
        assert!(check_args(&strings(&["auth"])).is_ok(), "cf auth reads CF_USERNAME and CF_PASSWORD");
        assert_eq!(check_args(&[]).unwrap(), "", "bare cf prints its help");
        assert_eq!(check_args(&strings(&["--version"])).unwrap(), "");
        assert_eq!(check_args(&strings(&["push", "app", "--help"])).unwrap(), "push");
        assert!(check_args(&strings(&["target", "-o=org"])).is_ok());
        assert!(check_args(&strings(&["push", "app", "-fmanifest.yml"])).is_ok());
        assert!(check_args(&strings(&["delete-service-key", "s", "k", "-fx"])).is_err(), "-f takes no value");
    }
}
