//! Effects of steps and commands: what running a step would do, from a closed vocabulary.
//!
//! Every planned step has one main [`Effect`] — `read`, `change`, `write-file`, `run-code`,
//! `manual`, `ref` or `none` — and [`Flags`]: `interactive` (it asks for input),
//! `prints-secrets` (its output holds credentials) and `expects-output` (the guide shows a
//! sample to compare against). Whether a step is skipped is decided by the planner, not here.
//!
//! # Steps
//!
//! By kind: `manual` → manual, `ref` → ref, `file` → write-file, `code` → run-code, `info` →
//! none, `command` → the strongest effect of its commands (inline commands count the same).
//! Flags and notes come from every command of the step; `expects-output` from an output block.
//!
//! # Command lines
//!
//! A line is split into simple commands with [`crate::shell::words`] (`&&`, `;`, pipes,
//! subshells); `$(…)` substitutions (and backticks that hold a known command) are looked into
//! too. The strongest effect wins (change > read > none) and flags are OR-ed. Leading
//! `NAME=value` assignments and `sudo`, `env`, `nohup`, `time`, `command`, `exec` are looked
//! through; a line of assignments only is `none`. Here-document bodies are data, not commands.
//! A redirection to a file (`> f`, `>> f`, `&> f`; not `/dev/null` or `2>&1`) writes it: change.
//!
//! Other programs: `cd`, `export`, `echo`, `printf`, `true` and other shell built-ins that only
//! touch the shell → none; `cat`, `ls`, `grep`, `head`, `tail`, `jq`… → read; `find` (read, but
//! change with `-delete`/`-exec`), `sed` (change with `-i`), `curl` (read unless it sends data,
//! uses a method other than GET/HEAD or writes an output file); `git` status/log/diff/show and
//! other queries → read, its other known subcommands (clone, commit, push…) → change; `pip
//! install` and `python3 -m pip install` → change, `pip list/show/freeze` → read; `python3
//! script.py` runs a program → change (noted); `mkdir`, `cp`, `mv`, `rm`, `chmod`, `tee`,
//! `touch`, `wget`… → change; anything else → change, noted as "not a known command".
//!
//! # cf
//!
//! [`cf_effect`] is the table for the embedded cf v8 grammar: a command whose verb (the part of
//! its canonical name before the first `-`) is one of [`CF_CHANGE_VERBS`] (create, delete,
//! bind, set, map, push, restart, …) changes things; every other command only shows things
//! (`apps`, `env`, `services`, `check-route`, `get-health-check`, `running-security-groups`,
//! …): read. [`CF_EXCEPTIONS`] overrides the rule: `ssh-code` and `ssh-enabled` are reads (not
//! `ssh`), `curl` and `v3-push` change, and `env`, `service-key`, `oauth-token` and `ssh-code`
//! print secrets. Commands whose effect depends on their arguments are refined by
//! [`command_effect`]: the table gives the bare form of `target` and `api` (read; with `-o`/`-s`,
//! or a URL/`--unset`, they change the CLI's target: change) and the safe assumption for `curl`
//! (change; read with no `-X` or `-X GET` and no `-d`, and it prints secrets when its path
//! mentions `env` or `credential`). `service-key --guid` prints no secret. Local writes count
//! as change (`download-droplet`, `create-app-manifest`, `config`), and so do session changes
//! (`login`, `logout`, `auth`, `api URL`). `cf logs` without `--recent` streams until
//! interrupted (noted). Unknown and cf-v6-only commands are change, and say so.
//!
//! Interactive cf commands: `login` without `-p`/`--sso-passcode` or with `--sso`; `passwd`;
//! `create-user --password-prompt`; `ssh` without `-c` (or `-N`); `create-`/`update-user-provided-service
//! -p a,b` (a list of names, each prompted for; not JSON or a file); and every command whose
//! grammar has a confirmation `-f`/`--force` flag (`delete*`, `purge-*`, `unshare-service`,
//! `rollback`, `install-plugin`…) used without it (`scale` only when it would restart: `-m`,
//! `-k`, `-l`). `auth` never prompts.

use serde::Serialize;

use crate::cf::{self, CommandSpec, Role};
use crate::shell::{self, Word};
use crate::steps::{BlockKind, Step, StepKind};

/// The main effect of a step or command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    Read,
    Change,
    WriteFile,
    RunCode,
    Manual,
    Ref,
    None,
}

impl Effect {
    pub const ALL: [Effect; 7] =
        [Effect::Read, Effect::Change, Effect::WriteFile, Effect::RunCode, Effect::Manual, Effect::Ref, Effect::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Read => "read",
            Effect::Change => "change",
            Effect::WriteFile => "write-file",
            Effect::RunCode => "run-code",
            Effect::Manual => "manual",
            Effect::Ref => "ref",
            Effect::None => "none",
        }
    }

    /// How strong a command's effect is: none < read < change.
    fn strength(self) -> u8 {
        match self {
            Effect::None => 0,
            Effect::Read => 1,
            Effect::Change => 2,
            Effect::WriteFile | Effect::RunCode | Effect::Manual | Effect::Ref => 3,
        }
    }
}

/// Properties of a step besides its main effect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    /// It asks for input (a password, a confirmation, an interactive shell).
    pub interactive: bool,
    /// Its output holds credentials.
    pub prints_secrets: bool,
    /// The guide shows a sample of its output.
    pub expects_output: bool,
}

impl Flags {
    /// Names of the flags that are set, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.interactive, "interactive"),
            (self.prints_secrets, "prints-secrets"),
            (self.expects_output, "expects-output"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }

    fn merge(&mut self, other: &Flags) {
        self.interactive |= other.interactive;
        self.prints_secrets |= other.prints_secrets;
        self.expects_output |= other.expects_output;
    }
}

/// The effect of one command line (a `Command.text`), with a note when it was assumed.
pub fn command_effect(command: &str) -> (Effect, Flags, Option<String>) {
    let acc = analyse(command);
    let note = (!acc.notes.is_empty()).then(|| acc.notes.join("; "));
    (acc.effect, acc.flags, note)
}

/// The main effect of a step and its flags (`skipped` is decided by the planner, not here).
pub fn step_effect(step: &Step) -> (Effect, Flags, Vec<String>) {
    let mut acc = Acc::new();
    for command in step.blocks.iter().filter(|b| b.kind == BlockKind::Command).flat_map(|b| &b.commands) {
        acc.absorb(analyse(&command.text));
    }
    let effect = match step.kind {
        StepKind::Command => acc.effect,
        StepKind::File => Effect::WriteFile,
        StepKind::Code => Effect::RunCode,
        StepKind::Manual => Effect::Manual,
        StepKind::Ref => Effect::Ref,
        StepKind::Info => Effect::None,
    };
    acc.flags.expects_output = step.blocks.iter().any(|b| b.kind == BlockKind::Output);
    (effect, acc.flags, acc.notes)
}

/// Verbs (the first part of a canonical cf command name) of the commands that change things.
pub const CF_CHANGE_VERBS: &[&str] = &[
    "add",
    "allow",
    "apply",
    "auth",
    "bind",
    "cancel",
    "cleanup",
    "config",
    "continue",
    "copy",
    "create",
    "delete",
    "disable",
    "disallow",
    "download",
    "enable",
    "install",
    "login",
    "logout",
    "map",
    "move",
    "passwd",
    "purge",
    "push",
    "remove",
    "rename",
    "reset",
    "restage",
    "restart",
    "rollback",
    "run",
    "scale",
    "set",
    "share",
    "ssh",
    "stage",
    "start",
    "stop",
    "terminate",
    "unbind",
    "uninstall",
    "unmap",
    "unset",
    "unshare",
    "update",
    "upgrade",
];

/// cf commands whose effect the verb rule does not give: (name, effect, prints secrets).
pub const CF_EXCEPTIONS: &[(&str, Effect, bool)] = &[
    ("curl", Effect::Change, false),
    ("env", Effect::Read, true),
    ("oauth-token", Effect::Read, true),
    ("service-key", Effect::Read, true),
    ("ssh-code", Effect::Read, true),
    ("ssh-enabled", Effect::Read, false),
    ("v3-push", Effect::Change, false),
];

/// The cf effect table: canonical cf command → (effect, prints secrets). Aliases are accepted;
/// a command the grammar does not know is `change` (the safe assumption).
pub fn cf_effect(canonical: &str) -> (Effect, bool) {
    let Some((name, _)) = cf::grammar().command(canonical) else { return (Effect::Change, false) };
    if let Some(&(_, effect, secrets)) = CF_EXCEPTIONS.iter().find(|(n, ..)| *n == name) {
        return (effect, secrets);
    }
    let verb = name.split('-').next().unwrap_or(name);
    if CF_CHANGE_VERBS.contains(&verb) { (Effect::Change, false) } else { (Effect::Read, false) }
}

/// Effect, flags and notes gathered over the simple commands of a line or a step.
struct Acc {
    effect: Effect,
    flags: Flags,
    notes: Vec<String>,
}

impl Acc {
    fn new() -> Acc {
        Acc { effect: Effect::None, flags: Flags::default(), notes: Vec::new() }
    }

    fn add(&mut self, effect: Effect) {
        if effect.strength() > self.effect.strength() {
            self.effect = effect;
        }
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn absorb(&mut self, other: Acc) {
        self.add(other.effect);
        self.flags.merge(&other.flags);
        for note in other.notes {
            self.note(note);
        }
    }
}

/// How deep `$(…)` substitutions are followed.
const MAX_DEPTH: usize = 4;

fn analyse(command: &str) -> Acc {
    let mut acc = Acc::new();
    analyse_line(&without_heredoc_bodies(command), &mut acc, 0);
    acc
}

fn analyse_line(text: &str, acc: &mut Acc, depth: usize) {
    if redirects_to_file(text) {
        acc.add(Effect::Change);
    }
    for simple in shell::words(text) {
        simple_command(&simple, acc);
        if depth < MAX_DEPTH {
            for word in &simple {
                for inner in substitutions(&word.text) {
                    analyse_line(inner, acc, depth + 1);
                }
            }
        }
    }
}

const NONE_PROGRAMS: &[&str] = &[
    "cd", "export", "echo", "printf", "true", "false", ":", "set", "unset", "alias", "sleep", "clear", "pushd", "popd",
    "exit", "wait", "test", "[", "[[",
];
const READ_PROGRAMS: &[&str] = &[
    "cat", "ls", "grep", "egrep", "fgrep", "rg", "head", "tail", "less", "more", "pwd", "which", "whoami", "wc", "jq",
    "diff", "tree", "stat", "file", "sort", "uniq", "cut", "tr", "base64", "date", "printenv", "env", "type",
    "hostname", "uname", "id", "du", "df", "ps", "dig", "nslookup",
];
const CHANGE_PROGRAMS: &[&str] = &[
    "mkdir", "cp", "mv", "rm", "rmdir", "chmod", "chown", "tee", "touch", "ln", "wget", "unzip", "tar", "gzip",
    "gunzip", "zip",
];
/// Programs looked through to the command they run.
const WRAPPERS: &[&str] = &["sudo", "env", "nohup", "time", "command", "exec"];
/// Programs with their own rules below.
const RULED_PROGRAMS: &[&str] = &["cf", "git", "pip", "pip3", "python", "python3", "curl", "find", "sed"];

fn is_known(program: &str) -> bool {
    [NONE_PROGRAMS, READ_PROGRAMS, CHANGE_PROGRAMS, WRAPPERS, RULED_PROGRAMS].iter().any(|list| list.contains(&program))
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn simple_command(words: &[Word], acc: &mut Acc) {
    let mut words = words;
    // Leading assignments and wrappers (with their options) run what follows.
    loop {
        match words.first().map(|w| w.text.as_str()) {
            Some(w) if is_assignment(w) => words = &words[1..],
            Some(w) if WRAPPERS.contains(&w) && words.len() > 1 => {
                words = &words[1..];
                while words.first().is_some_and(|w| w.text.starts_with('-') && w.text.len() > 1) {
                    words = &words[1..];
                }
            }
            _ => break,
        }
    }
    let Some(first) = words.first() else {
        acc.add(Effect::None);
        return;
    };
    let program = first.text.rsplit('/').next().unwrap_or(&first.text);
    let args = &words[1..];
    match program {
        "cf" => cf_command(words, acc),
        "git" => git_command(args, acc),
        "pip" | "pip3" => pip_command(program, args, acc),
        "python" | "python3" => match args.first().map(|w| w.text.as_str()) {
            Some("-m") if args.get(1).is_some_and(|w| w.text == "pip") => pip_command(program, &args[2..], acc),
            Some("-m") if args.get(1).is_some_and(|w| w.text == "venv") => acc.add(Effect::Change),
            Some("--version" | "-V") => acc.add(Effect::Read),
            _ => {
                acc.add(Effect::Change);
                acc.note(format!("`{program}` runs a program: assumed to change things"));
            }
        },
        "curl" => acc.add(if curl_changes(args) { Effect::Change } else { Effect::Read }),
        "find" => {
            let acts = args.iter().any(|w| {
                matches!(w.text.as_str(), "-delete" | "-exec" | "-execdir" | "-ok" | "-okdir")
                    || w.text.starts_with("-fprint")
            });
            acc.add(if acts { Effect::Change } else { Effect::Read });
        }
        "sed" => {
            let in_place = args.iter().any(|w| w.text.starts_with("-i") || w.text.starts_with("--in-place"));
            acc.add(if in_place { Effect::Change } else { Effect::Read });
        }
        p if NONE_PROGRAMS.contains(&p) => acc.add(Effect::None),
        p if READ_PROGRAMS.contains(&p) => acc.add(Effect::Read),
        p if CHANGE_PROGRAMS.contains(&p) => acc.add(Effect::Change),
        p => {
            acc.add(Effect::Change);
            acc.note(format!("`{p}` is not a known command: assumed to change things"));
        }
    }
}

const GIT_READS: &[&str] = &[
    "status",
    "log",
    "diff",
    "show",
    "rev-parse",
    "ls-files",
    "ls-remote",
    "describe",
    "blame",
    "grep",
    "shortlog",
    "version",
    "help",
    "reflog",
    "cat-file",
];
const GIT_CHANGES: &[&str] = &[
    "clone",
    "add",
    "commit",
    "push",
    "pull",
    "fetch",
    "checkout",
    "switch",
    "merge",
    "rebase",
    "reset",
    "init",
    "rm",
    "mv",
    "restore",
    "cherry-pick",
    "revert",
    "submodule",
    "apply",
    "am",
    "clean",
    "gc",
    "remote",
    "branch",
    "tag",
    "stash",
    "config",
];

fn git_command(args: &[Word], acc: &mut Acc) {
    // Global options before the subcommand; `-C DIR` and `-c NAME=VALUE` take a value.
    let mut i = 0;
    while let Some(w) = args.get(i).filter(|w| w.text.starts_with('-')) {
        i += if matches!(w.text.as_str(), "-C" | "-c") { 2 } else { 1 };
    }
    let Some(sub) = args.get(i).map(|w| w.text.as_str()) else {
        acc.add(Effect::Read);
        return;
    };
    let rest: Vec<&str> = args[i + 1..].iter().map(|w| w.text.as_str()).collect();
    let listing = match sub {
        "remote" | "branch" | "tag" => rest.iter().all(|a| {
            matches!(*a, "-v" | "-vv" | "-a" | "-r" | "-l" | "--list" | "--show-current" | "--verbose" | "--all")
        }),
        "stash" => rest.first().is_some_and(|a| matches!(*a, "list" | "show")),
        "config" => rest.iter().any(|a| a.starts_with("--get") || matches!(*a, "--list" | "-l")),
        _ => false,
    };
    if GIT_READS.contains(&sub) || listing {
        acc.add(Effect::Read);
    } else {
        acc.add(Effect::Change);
        if !GIT_CHANGES.contains(&sub) {
            acc.note(format!("`git {sub}` is not a known git command: assumed to change things"));
        }
    }
}

fn pip_command(program: &str, args: &[Word], acc: &mut Acc) {
    match args.iter().map(|w| w.text.as_str()).find(|a| !a.starts_with('-') || matches!(*a, "--version" | "-V")) {
        Some("install" | "uninstall" | "download" | "wheel") => acc.add(Effect::Change),
        Some("list" | "show" | "freeze" | "check" | "--version" | "-V" | "help") | None => acc.add(Effect::Read),
        Some(other) => {
            acc.add(Effect::Change);
            acc.note(format!("`{program} {other}` is not a known pip command: assumed to change things"));
        }
    }
}

/// A `curl` that sends data, uses a method other than GET/HEAD or writes a file.
fn curl_changes(args: &[Word]) -> bool {
    let mut iter = args.iter().map(|w| w.text.as_str());
    while let Some(a) = iter.next() {
        let method = match a {
            "-X" | "--request" => iter.next(),
            _ => a.strip_prefix("--request=").or_else(|| a.strip_prefix("-X").filter(|m| !m.is_empty())),
        };
        if let Some(m) = method {
            if !m.eq_ignore_ascii_case("GET") && !m.eq_ignore_ascii_case("HEAD") {
                return true;
            }
            continue;
        }
        let sends = a.starts_with("--data")
            || a.starts_with("--form")
            || matches!(a, "--json" | "--upload-file" | "--output" | "--remote-name" | "--remote-name-all" | "-O")
            || (a.starts_with('-')
                && !a.starts_with("--")
                && a.len() > 1
                && a.chars().skip(1).any(|c| matches!(c, 'd' | 'F' | 'T' | 'o' | 'O')));
        if sends {
            return true;
        }
    }
    false
}

/// The words of a cf invocation with their grammar roles.
struct CfArgs<'a> {
    words: &'a [Word],
    roles: Vec<Role>,
    spec: &'a CommandSpec,
}

impl CfArgs<'_> {
    fn matches(&self, word: &str, name: &str) -> bool {
        self.spec.flag(word).is_some_and(|f| f.short.as_deref() == Some(name) || f.long.as_deref() == Some(name))
    }

    /// The command has flag `name` (short or long).
    fn has(&self, name: &str) -> bool {
        self.words.iter().zip(&self.roles).any(|(w, r)| *r == Role::Flag && self.matches(&w.text, name))
    }

    /// The value given to flag `name`.
    fn value(&self, name: &str) -> Option<&str> {
        self.words.iter().zip(&self.roles).enumerate().find_map(|(i, (w, r))| {
            if *r != Role::Flag || !self.matches(&w.text, name) {
                return None;
            }
            match w.text.split_once('=') {
                Some((_, v)) if w.text.starts_with("--") => Some(v),
                _ => self
                    .words
                    .get(i + 1)
                    .filter(|_| matches!(self.roles.get(i + 1), Some(Role::FlagValue(_))))
                    .map(|v| v.text.as_str()),
            }
        })
    }

    fn positionals(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .zip(&self.roles)
            .filter(|(_, r)| matches!(r, Role::Positional(_) | Role::ExtraPositional))
            .map(|(w, _)| w.text.as_str())
    }
}

/// A grammar with a confirmation flag: `-f`/`--force` taking no value.
fn confirms(spec: &CommandSpec) -> bool {
    spec.flags
        .iter()
        .any(|f| f.short.as_deref() == Some("f") && !f.takes_value && matches!(f.long.as_deref(), None | Some("force")))
}

/// `-p user,password`: names whose values cf prompts for (not JSON, a file or a placeholder).
fn is_name_list(value: &str) -> bool {
    value.split(',').map(str::trim).all(|name| {
        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    })
}

fn cf_command(words: &[Word], acc: &mut Acc) {
    let Some(sub) = words.get(1).map(|w| w.text.as_str()) else {
        acc.add(Effect::Read);
        return;
    };
    if matches!(sub, "-v" | "--version" | "-h" | "--help") {
        acc.add(Effect::Read);
        return;
    }
    let grammar = cf::grammar();
    let Some((canonical, spec)) = grammar.command(sub) else {
        acc.add(Effect::Change);
        acc.note(match grammar.v6_only_commands.get(sub) {
            Some(_) => format!("`cf {sub}` is a cf v6 command, not in cf v8: assumed to change things"),
            None => format!("`cf {sub}` is not a known cf command: assumed to change things"),
        });
        return;
    };
    let (mut effect, mut secrets) = cf_effect(canonical);
    let args = CfArgs { words, roles: cf::roles(words).unwrap_or_default(), spec };
    let mut interactive = false;
    match canonical {
        "target" if args.has("o") || args.has("s") => effect = Effect::Change,
        "api" if args.positionals().next().is_some() || args.has("unset") => effect = Effect::Change,
        "curl" => {
            let sends = args.has("d") || args.has("output");
            effect = match args.value("X") {
                Some(m) if m.eq_ignore_ascii_case("GET") && !sends => Effect::Read,
                None if !sends => Effect::Read,
                _ => Effect::Change,
            };
            secrets = args.positionals().next().is_some_and(|path| {
                let path = path.to_ascii_lowercase();
                path.contains("env") || path.contains("credential")
            });
        }
        "service-key" if args.has("guid") => secrets = false,
        "logs" if !args.has("recent") => {
            acc.note("`cf logs` without `--recent` streams logs until interrupted".to_string());
        }
        "login" => interactive = !(args.has("p") || args.has("sso-passcode")) || args.has("sso"),
        "passwd" => interactive = true,
        "create-user" => interactive = args.has("password-prompt"),
        "ssh" => {
            interactive = !args.has("c") && !args.has("N");
            if args.has("N") {
                acc.note("`cf ssh -N` keeps a tunnel open until interrupted".to_string());
            }
        }
        "create-user-provided-service" | "update-user-provided-service" => {
            interactive = args.value("p").is_some_and(is_name_list);
        }
        "scale" => interactive = !args.has("f") && (args.has("m") || args.has("k") || args.has("l")),
        _ => interactive = confirms(spec) && !args.has("f"),
    }
    acc.add(effect);
    acc.flags.interactive |= interactive;
    acc.flags.prints_secrets |= secrets;
}

/// Commands inside `$(…)`, and inside backticks when they start with a known command.
fn substitutions(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = word.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'(') {
            let mut depth = 0;
            let mut end = bytes.len();
            for (j, &b) in bytes.iter().enumerate().skip(i + 1) {
                match b {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.push(&word[i + 2..end]);
            i = end + 1;
        } else if bytes[i] == b'`' {
            let end = word[i + 1..].find('`').map_or(bytes.len(), |e| i + 1 + e);
            let inner = &word[i + 1..end];
            if inner.split_whitespace().next().is_some_and(is_known) {
                out.push(inner);
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// `<NAME>` or `<SPACE NAME>` at the start of `s`: its length, when it is a placeholder.
fn angle_placeholder(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('<')?;
    let close = rest.find('>')?;
    let inner = &rest[..close];
    (!inner.is_empty()
        && !inner.starts_with(' ')
        && !inner.ends_with(' ')
        && inner.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
    .then_some(close + 2)
}

/// An unquoted output redirection to a file (not `/dev/null`, a `/dev/std*` or `>&2`).
fn redirects_to_file(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == b'\\' && q == b'"' {
                i += 1;
            }
            i += 1;
            continue;
        }
        match c {
            b'\'' | b'"' => quote = Some(c),
            b'\\' => i += 1,
            b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'<' => {
                if let Some(len) = angle_placeholder(&text[i..]) {
                    i += len;
                    continue;
                }
            }
            b'>' => {
                let mut j = i + 1;
                while j < bytes.len() && matches!(bytes[j], b'>' | b'|') {
                    j += 1;
                }
                if bytes.get(j) == Some(&b'&') {
                    i = j + 1;
                    continue;
                }
                while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
                    j += 1;
                }
                let start = j;
                while j < bytes.len()
                    && !bytes[j].is_ascii_whitespace()
                    && !matches!(bytes[j], b';' | b'&' | b'|' | b')')
                {
                    j += 1;
                }
                let target = text[start..j].trim_matches(|c| c == '"' || c == '\'');
                if !target.is_empty() && target != "/dev/null" && !target.starts_with("/dev/std") {
                    return true;
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Here-document delimiters a line opens (`<<EOF`, `<<-'EOF'`; not `<<<` here-strings).
fn heredoc_delimiters(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = line[i..].find("<<").map(|p| i + p) {
        i = at + 2;
        if bytes.get(i) == Some(&b'<') || (at > 0 && bytes[at - 1] == b'<') {
            while bytes.get(i) == Some(&b'<') {
                i += 1;
            }
            continue;
        }
        let rest = line[i..].trim_start_matches('-').trim_start();
        let rest = rest.trim_start_matches(['\'', '"']);
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
            out.push(name);
        }
    }
    out
}

/// The command line without the bodies of its here-documents.
fn without_heredoc_bodies(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(delimiter) = pending.first() {
            if line.trim() == delimiter {
                pending.remove(0);
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
        pending.extend(heredoc_delimiters(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::{Command, StepBlock};

    fn effect(cmd: &str) -> Effect {
        command_effect(cmd).0
    }

    fn flags(cmd: &str) -> Vec<&'static str> {
        command_effect(cmd).1.names()
    }

    #[test]
    fn names_and_serialisation() {
        for e in Effect::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), serde_json::Value::String(e.as_str().to_string()));
        }
        let all = Flags { interactive: true, prints_secrets: true, expects_output: true };
        assert_eq!(all.names(), ["interactive", "prints-secrets", "expects-output"]);
        assert_eq!(Flags { prints_secrets: true, ..Flags::default() }.names(), ["prints-secrets"]);
        assert!(Flags::default().names().is_empty());
    }

    #[test]
    fn command_effects() {
        let table: &[(&str, Effect)] = &[
            // read
            ("cf env my-app", Effect::Read),
            ("cf service-key my-db my-key", Effect::Read),
            ("cf domains", Effect::Read),
            ("cf apps", Effect::Read),
            ("cf a", Effect::Read),
            ("cf marketplace -e postgres", Effect::Read),
            ("cf target", Effect::Read),
            ("cf api", Effect::Read),
            ("cf curl /v3/apps", Effect::Read),
            ("cf curl -X GET /v3/apps", Effect::Read),
            ("cf logs my-app --recent", Effect::Read),
            ("cf --version", Effect::Read),
            ("cf", Effect::Read),
            ("cf check-route example.com -n www", Effect::Read),
            ("git status", Effect::Read),
            ("git -C repo log --oneline", Effect::Read),
            ("git remote -v", Effect::Read),
            ("cat manifest.yml", Effect::Read),
            ("ls -la", Effect::Read),
            ("grep -r TODO .", Effect::Read),
            ("curl https://example.com/health", Effect::Read),
            ("pip list", Effect::Read),
            ("python3 --version", Effect::Read),
            ("find . -name '*.pyc'", Effect::Read),
            // change
            ("cf push my-app", Effect::Change),
            ("cf create-service postgres small db", Effect::Change),
            ("cf bs my-app db", Effect::Change),
            ("cf delete my-app -f", Effect::Change),
            ("cf set-env my-app KEY value", Effect::Change),
            ("cf map-route my-app example.com -n www", Effect::Change),
            ("cf target -o org -s space", Effect::Change),
            ("cf api https://api.example.com", Effect::Change),
            ("cf curl -X POST /v3/apps -d '{}'", Effect::Change),
            ("cf curl /v3/apps -d '{}'", Effect::Change),
            ("cf login -a api -u me -p secret", Effect::Change),
            ("cf ssh my-app -c 'ls'", Effect::Change),
            ("cf config --color false", Effect::Change),
            ("git clone https://example.com/repo.git", Effect::Change),
            ("git remote add origin x", Effect::Change),
            ("python3 -m pip install -r requirements.txt", Effect::Change),
            ("pip install flask", Effect::Change),
            ("pip3 install --user flask", Effect::Change),
            ("mkdir -p build", Effect::Change),
            ("rm -rf build", Effect::Change),
            ("curl -X POST https://example.com", Effect::Change),
            ("curl -d a=b https://example.com", Effect::Change),
            ("curl -o out.zip https://example.com/x.zip", Effect::Change),
            ("echo hello > out.txt", Effect::Change),
            ("sed -i s/a/b/ f", Effect::Change),
            ("find . -name x -delete", Effect::Change),
            // none
            ("cd app", Effect::None),
            ("export CF_HOME=/tmp/cf", Effect::None),
            ("echo done", Effect::None),
            ("printf '%s\\n' x", Effect::None),
            ("true", Effect::None),
            ("FOO=bar", Effect::None),
            ("echo x 2>&1 >/dev/null", Effect::None),
        ];
        for (cmd, want) in table {
            assert_eq!(effect(cmd), *want, "{cmd}");
        }
    }

    #[test]
    fn command_flags() {
        let table: &[(&str, &[&str])] = &[
            // interactive
            ("cf login -a https://api.example.com", &["interactive"]),
            ("cf login -a api -u me -p secret --sso", &["interactive"]),
            ("cf login --sso", &["interactive"]),
            ("cf login -a api -u me -p secret", &[]),
            ("cf login --sso-passcode 1234", &[]),
            ("cf auth me secret", &[]),
            ("cf auth", &[]),
            ("cf delete my-app", &["interactive"]),
            ("cf delete my-app -f", &[]),
            ("cf delete-service db --force", &[]),
            ("cf delete-space dev -o org", &["interactive"]),
            ("cf purge-service-instance db", &["interactive"]),
            ("cf purge-service-instance db -f", &[]),
            ("cf ssh my-app", &["interactive"]),
            ("cf ssh my-app -c 'env'", &[]),
            ("cf ssh my-app --command env", &[]),
            ("cf cups my-creds -p 'username, password'", &["interactive"]),
            ("cf create-user-provided-service my-creds -p user", &["interactive"]),
            ("cf cups my-creds -p '{\"user\": \"u\"}'", &[]),
            ("cf cups my-creds -p creds.json", &[]),
            ("cf cups my-creds -p ./creds.json", &[]),
            ("cf cups my-creds -p <CREDENTIALS>", &[]),
            ("cf passwd", &["interactive"]),
            ("cf scale my-app -m 1G", &["interactive"]),
            ("cf scale my-app -i 3", &[]),
            ("cf push my-app", &[]),
            // prints-secrets
            ("cf env my-app", &["prints-secrets"]),
            ("cf e my-app", &["prints-secrets"]),
            ("cf service-key db key", &["prints-secrets"]),
            ("cf service-key db key --guid", &[]),
            ("cf oauth-token", &["prints-secrets"]),
            ("cf ssh-code", &["prints-secrets"]),
            ("cf curl /v2/apps/123/env", &["prints-secrets"]),
            ("cf curl /v3/service_credential_bindings/123/details", &["prints-secrets"]),
            ("cf curl /v3/apps", &[]),
            ("cf service-keys db", &[]),
            // both
            ("cf login && cf env my-app", &["interactive", "prints-secrets"]),
        ];
        for (cmd, want) in table {
            assert_eq!(flags(cmd), *want, "{cmd}");
        }
    }

    #[test]
    fn cf_table_covers_the_whole_grammar() {
        // Every command of the grammar that only shows things; all others change things.
        const READS: &[&str] = &[
            "api",
            "app",
            "apps",
            "buildpacks",
            "check-route",
            "domains",
            "droplets",
            "env",
            "events",
            "feature-flag",
            "feature-flags",
            "get-health-check",
            "get-readiness-health-check",
            "help",
            "isolation-segments",
            "labels",
            "list-plugin-repos",
            "logs",
            "marketplace",
            "network-policies",
            "oauth-token",
            "org",
            "org-quota",
            "org-quotas",
            "org-users",
            "orgs",
            "packages",
            "plugins",
            "repo-plugins",
            "revision",
            "revisions",
            "route",
            "router-groups",
            "routes",
            "running-environment-variable-group",
            "running-security-groups",
            "security-group",
            "security-groups",
            "service",
            "service-access",
            "service-brokers",
            "service-key",
            "service-keys",
            "services",
            "space",
            "space-quota",
            "space-quotas",
            "space-ssh-allowed",
            "space-users",
            "spaces",
            "ssh-code",
            "ssh-enabled",
            "stack",
            "stacks",
            "staging-environment-variable-group",
            "staging-security-groups",
            "target",
            "task",
            "tasks",
            "version",
        ];
        const SECRETS: &[&str] = &["env", "oauth-token", "service-key", "ssh-code"];
        let grammar = cf::grammar();
        assert_eq!(grammar.commands.len(), 191);
        for name in READS.iter().chain(SECRETS) {
            assert!(grammar.commands.contains_key(*name), "{name} is not in the grammar");
        }
        for (name, ..) in CF_EXCEPTIONS {
            assert!(grammar.commands.contains_key(*name), "{name} is not in the grammar");
        }
        let mut names: Vec<&String> = grammar.commands.keys().collect();
        names.sort();
        for name in names {
            let want = if READS.contains(&name.as_str()) { Effect::Read } else { Effect::Change };
            assert_eq!(cf_effect(name), (want, SECRETS.contains(&name.as_str())), "cf {name}");
        }
        assert_eq!(cf_effect("bs"), (Effect::Change, false));
        assert_eq!(cf_effect("no-such-command"), (Effect::Change, false));
    }

    #[test]
    fn compound_commands_take_the_strongest_effect() {
        let table: &[(&str, Effect, &[&str])] = &[
            ("cd app && cf push my-app", Effect::Change, &[]),
            ("(cd app && cf push my-app)", Effect::Change, &[]),
            ("cd app; ls", Effect::Read, &[]),
            ("cf env my-app | grep DATABASE", Effect::Read, &["prints-secrets"]),
            ("cf env my-app > env.txt", Effect::Change, &["prints-secrets"]),
            ("export CREDS=$(cf service-key db key)", Effect::Read, &["prints-secrets"]),
            ("echo `cf oauth-token`", Effect::Read, &["prints-secrets"]),
            ("cf target -o o && cf delete-space dev", Effect::Change, &["interactive"]),
            ("FOO=1 sudo -E mkdir /opt/x", Effect::Change, &[]),
            ("cd a && cd b", Effect::None, &[]),
        ];
        for (cmd, want, want_flags) in table {
            let (e, f, _) = command_effect(cmd);
            assert_eq!((e, f.names().as_slice()), (*want, *want_flags), "{cmd}");
        }
        // A JSON argument in backticks is not a command.
        assert_eq!(command_effect("cf bs A S -c `{\"p\": \"X\"}`"), (Effect::Change, Flags::default(), None));
    }

    #[test]
    fn here_document_bodies_are_not_commands() {
        let (e, _, note) = command_effect("cat > manifest.yml <<EOF\napplications:\n- name: x\nEOF");
        assert_eq!((e, note), (Effect::Change, None));
        let (e, _, note) = command_effect("cat <<'EOF'\nhello world\nEOF");
        assert_eq!((e, note), (Effect::Read, None));
    }

    #[test]
    fn unknown_commands_are_changes_and_say_so() {
        let table: &[(&str, &str)] = &[
            ("terraform apply", "`terraform` is not a known command: assumed to change things"),
            ("cd x && make deploy", "`make` is not a known command: assumed to change things"),
            ("cf v3-apps", "`cf v3-apps` is a cf v6 command, not in cf v8: assumed to change things"),
            ("cf frobnicate", "`cf frobnicate` is not a known cf command: assumed to change things"),
            ("git frob", "`git frob` is not a known git command: assumed to change things"),
            ("python3 app.py", "`python3` runs a program: assumed to change things"),
            ("cf logs my-app", "`cf logs` without `--recent` streams logs until interrupted"),
        ];
        for (cmd, note) in table {
            let (e, _, got) = command_effect(cmd);
            let want = if cmd.starts_with("cf logs") { Effect::Read } else { Effect::Change };
            assert_eq!((e, got.as_deref()), (want, Some(*note)), "{cmd}");
        }
        assert_eq!(
            command_effect("foo && bar").2.as_deref(),
            Some(
                "`foo` is not a known command: assumed to change things; \
                 `bar` is not a known command: assumed to change things"
            )
        );
        assert_eq!(command_effect("cf push x").2, None);
    }

    fn block(kind: BlockKind, text: &str, inline: bool) -> StepBlock {
        let commands = if kind == BlockKind::Command {
            text.lines().map(|l| Command { text: l.to_string(), offset: 0, line: 0 }).collect()
        } else {
            Vec::new()
        };
        StepBlock {
            kind,
            lang: String::new(),
            inline,
            text: text.to_string(),
            file: None,
            output_of: None,
            expect_exit: None,
            commands,
            allow: Vec::new(),
            span: crate::source::Span::default(),
            content_start: 0,
            map: crate::source::OffsetMap::default(),
        }
    }

    fn step(kind: StepKind, blocks: Vec<StepBlock>) -> Step {
        Step {
            id: "s/1".into(),
            number: Some("1".into()),
            title: "t".into(),
            section: "s".into(),
            kind,
            condition: None,
            alternative_of: None,
            ref_to: (kind == StepKind::Ref).then(|| "other".to_string()),
            blocks,
            prose: Vec::new(),
            allow: Vec::new(),
            explicit_id: false,
            span: crate::source::Span::default(),
        }
    }

    #[test]
    fn step_effects() {
        let table: Vec<(Step, Effect, &[&str])> = vec![
            (step(StepKind::Manual, vec![]), Effect::Manual, &[]),
            (step(StepKind::Ref, vec![]), Effect::Ref, &[]),
            (step(StepKind::File, vec![block(BlockKind::File, "applications: []", false)]), Effect::WriteFile, &[]),
            (step(StepKind::Code, vec![block(BlockKind::Code, "print(1)", false)]), Effect::RunCode, &[]),
            (step(StepKind::Info, vec![block(BlockKind::Env, "DATABASE_URL", false)]), Effect::None, &[]),
            (step(StepKind::Info, vec![block(BlockKind::Other, "a note", false)]), Effect::None, &[]),
            (
                step(StepKind::Command, vec![block(BlockKind::Command, "cf domains\ncf push app", false)]),
                Effect::Change,
                &[],
            ),
            (
                step(
                    StepKind::Command,
                    vec![block(BlockKind::Command, "cf env my-app", true), block(BlockKind::Output, "{}", false)],
                ),
                Effect::Read,
                &["prints-secrets", "expects-output"],
            ),
            (
                step(StepKind::Command, vec![block(BlockKind::Command, "cf login -a api", false)]),
                Effect::Change,
                &["interactive"],
            ),
            (step(StepKind::Command, vec![block(BlockKind::Command, "cd app", false)]), Effect::None, &[]),
        ];
        for (s, want, want_flags) in &table {
            let (e, f, notes) = step_effect(s);
            assert_eq!((e, f.names().as_slice()), (*want, *want_flags), "{:?}", s.kind);
            assert!(notes.is_empty());
        }
        let s = step(StepKind::Command, vec![block(BlockKind::Command, "make\ncf push x\nmake", false)]);
        assert_eq!(
            step_effect(&s),
            (Effect::Change, Flags::default(), vec!["`make` is not a known command: assumed to change things".into()])
        );
    }
}
