//! RB603 `undefined-python-name`: a name used in a Python block that neither the block nor an
//! earlier block of the same level-2 section defines, imports or gets from the builtins.
use std::collections::{HashMap, HashSet};

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

use super::tokens::{Kind, Token, is_keyword, tokenize};
use super::{coarse_error, namespace, python_code_blocks};

pub static RULE: Rule = Rule {
    code: "RB603",
    name: "undefined-python-name",
    group: Group::Python,
    severity: Severity::Warning,
    summary: "python name that no earlier block of the section defines or imports",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\nNames used in a Python code block that are not builtins and that neither \
the block itself (before their use) nor an earlier Python block of the same level-2 section defines: by \
assignment, `def`, `class`, `import`, a `for` or `with … as` target, a parameter, a comprehension or `lambda` \
variable or `except … as`. The blocks of a level-2 section share one namespace, across its sub-headings. Names \
used inside a function body may be defined anywhere in the section (the body runs later). A block with a syntax \
error is skipped.\n\n\
## Why it matters\n\nA step that uses a name nothing defined stops with `NameError`. It usually means the \
guide renamed a variable between two blocks (`s3_client` here, `s3` there) or left out an import.\n\n\
## Example\n\n```markdown\n## Read the data\n\n```python\nimport boto3\nstore = boto3.resource(\"s3\")\n```\n\n\
### Load it\n\n```python\nframe = pd.read_csv(s3.Object(\"example-bucket\", \"data.csv\").get()[\"Body\"])\n```\n```\n\n\
## Use instead\n\n```markdown\n## Read the data\n\n```python\nimport boto3\nimport pandas as pd\n\
store = boto3.resource(\"s3\")\n```\n\n### Load it\n\n```python\n\
frame = pd.read_csv(store.Object(\"example-bucket\", \"data.csv\").get()[\"Body\"])\n```\n```\n";

/// Python 3 builtins and module globals.
const BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "False",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "None",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "PythonFinalizationError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "True",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "WindowsError",
    "ZeroDivisionError",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "_",
];

/// Usual import lines for names a guide forgets to import.
const IMPORTS: &[(&str, &str)] = &[
    ("pd", "import pandas as pd"),
    ("np", "import numpy as np"),
    ("plt", "import matplotlib.pyplot as plt"),
    ("boto3", "import boto3"),
    ("os", "import os"),
    ("sys", "import sys"),
    ("json", "import json"),
    ("re", "import re"),
    ("time", "import time"),
    ("datetime", "import datetime"),
    ("logging", "import logging"),
    ("requests", "import requests"),
    ("subprocess", "import subprocess"),
    ("pathlib", "import pathlib"),
    ("Path", "from pathlib import Path"),
    ("io", "import io"),
    ("csv", "import csv"),
    ("math", "import math"),
    ("uuid", "import uuid"),
    ("shutil", "import shutil"),
    ("tempfile", "import tempfile"),
    ("botocore", "import botocore"),
];

const COMPOUND: &[&str] = &["if", "elif", "else", "while", "for", "with", "try", "except", "finally", "def", "class"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Unknown,
    Use,
    Bind,
    Skip,
}

/// A name used by a block.
#[derive(Debug)]
struct Use {
    name: String,
    start: usize,
    end: usize,
    /// Inside a function or `lambda` body: it runs later.
    deferred: bool,
}

/// Names bound and used by one logical line.
#[derive(Default, Debug)]
struct LineNames {
    binds: Vec<String>,
    uses: Vec<Use>,
}

#[derive(Default, Debug)]
struct Analysis {
    lines: Vec<LineNames>,
    /// `from x import *`, `exec(…)` or `globals()`: any name may be defined.
    wildcard: bool,
    /// The tokenizer found unbalanced strings or brackets, or the block catches `NameError`:
    /// the analysis is not trusted.
    broken: bool,
}

impl Analysis {
    fn binds(&self) -> impl Iterator<Item = &String> {
        self.lines.iter().flat_map(|l| l.binds.iter())
    }
}

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    struct Item<'b> {
        block: &'b crate::steps::StepBlock,
        ns: String,
        analysis: Analysis,
        skip: bool,
    }
    let items: Vec<Item<'_>> = python_code_blocks(ctx.runbook)
        .map(|(si, bi, block)| {
            let syntax_error = match ctx.python.iter().find(|r| r.step == si && r.block == bi) {
                Some(r) => r.error.is_some(),
                None => coarse_error(&block.text).is_some(),
            };
            let ns = namespace(ctx.runbook, &ctx.runbook.steps[si].section);
            let analysis = analyse(&block.text);
            let skip = syntax_error || analysis.broken;
            Item { block, ns, analysis, skip }
        })
        .collect();
    // Every name bound anywhere in a namespace (for uses that run later, in function bodies).
    let mut all: HashMap<&str, HashSet<&str>> = HashMap::new();
    for item in &items {
        all.entry(item.ns.as_str()).or_default().extend(item.analysis.binds().map(String::as_str));
    }
    let mut defined: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut wildcard: HashSet<&str> = HashSet::new();
    for item in &items {
        let ns = item.ns.as_str();
        let earlier = defined.entry(ns).or_default().clone();
        let mut local: HashSet<&str> = HashSet::new();
        let mut reported: HashSet<&str> = HashSet::new();
        let open = wildcard.contains(ns) || item.analysis.wildcard;
        if !item.skip && !open {
            for line in &item.analysis.lines {
                local.extend(line.binds.iter().map(String::as_str));
                for u in &line.uses {
                    let name = u.name.as_str();
                    let known = BUILTINS.contains(&name)
                        || (name.starts_with("__") && name.ends_with("__"))
                        || earlier.contains(name)
                        || local.contains(name)
                        || (u.deferred && all.get(ns).is_some_and(|a| a.contains(name)));
                    if known || !reported.insert(name) {
                        continue;
                    }
                    let title = ctx.runbook.sections.iter().find(|s| s.slug == ns).map_or(ns, |s| s.title.as_str());
                    let finding = report.add(
                        item.block.map.span(u.start, u.end),
                        format!(
                            "undefined name `{name}`: no earlier block of section \"{title}\" defines or imports it"
                        ),
                    );
                    let candidates = earlier.iter().chain(local.iter()).copied();
                    match (similar(name, candidates), IMPORTS.iter().find(|(n, _)| *n == name)) {
                        (Some(other), _) => finding.help(format!("did you mean `{other}`?")),
                        (None, Some((_, import))) => {
                            finding.help(format!("add `{import}` to this or an earlier block"))
                        }
                        (None, None) => finding.help(format!(
                            "define or import `{name}` in this block or an earlier block of the same section"
                        )),
                    };
                }
            }
        }
        if item.analysis.wildcard {
            wildcard.insert(ns);
        }
        defined.entry(ns).or_default().extend(item.analysis.binds().map(String::as_str));
    }
}

/// A defined name close to `name` (`s3` → `s3_client`).
fn similar<'n>(name: &str, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name || c.len() < 2 {
            continue;
        }
        let extends = c.starts_with(&format!("{name}_")) || c.ends_with(&format!("_{name}"));
        let score = if extends { 1.0 } else { strsim::jaro_winkler(name, c) };
        if score >= 0.88 && best.is_none_or(|(s, b)| score.total_cmp(&s).then_with(|| b.cmp(c)).is_gt()) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Bindings and uses of every logical line of a block.
fn analyse(src: &str) -> Analysis {
    let toks = tokenize(src);
    let catches_name_error = toks.tokens.iter().any(|t| t.kind == Kind::Name && t.text(src) == "NameError");
    let mut out = Analysis { broken: !toks.problems.is_empty() || catches_name_error, ..Analysis::default() };
    let mut def_stack: Vec<usize> = Vec::new();
    for line in &toks.lines {
        while def_stack.last().is_some_and(|&d| line.indent <= d) {
            def_stack.pop();
        }
        let t = toks.line(line);
        let mut roles = vec![Role::Unknown; t.len()];
        let mut deferred = vec![!def_stack.is_empty(); t.len()];
        let mut opens_def = false;
        statements(src, t, 0, t.len(), &mut roles, &mut deferred, &mut opens_def, &mut out.wildcard);
        expressions(src, t, &mut roles, &mut deferred);
        if opens_def {
            def_stack.push(line.indent);
        }
        let mut names = LineNames::default();
        for (i, tok) in t.iter().enumerate() {
            let text = tok.text(src);
            match roles[i] {
                Role::Bind => names.binds.push(text.to_string()),
                Role::Use => names.uses.push(Use {
                    name: text.to_string(),
                    start: tok.start,
                    end: tok.end,
                    deferred: deferred[i],
                }),
                _ => {}
            }
            if tok.kind == Kind::Name
                && matches!(text, "exec" | "globals")
                && t.get(i + 1).is_some_and(|n| n.is(src, "("))
                && !(i > 0 && t[i - 1].is(src, "."))
            {
                out.wildcard = true;
            }
        }
        out.lines.push(names);
    }
    out
}

fn is_name(src: &str, t: &Token) -> bool {
    t.kind == Kind::Name && !is_keyword(t.text(src))
}

/// Index of the header colon of a compound statement in `a..b` (skipping `lambda` colons).
fn header_colon(src: &str, t: &[Token], a: usize, b: usize) -> Option<usize> {
    let base = t[a].depth;
    let mut lambdas = 0;
    for (i, tok) in t.iter().enumerate().take(b).skip(a) {
        if tok.depth != base {
            continue;
        }
        if tok.kind == Kind::Name && tok.text(src) == "lambda" {
            lambdas += 1;
        } else if tok.is(src, ":") {
            if lambdas == 0 {
                return Some(i);
            }
            lambdas -= 1;
        }
    }
    None
}

/// Statement-level roles in tokens `a..b` of a logical line: imports, `global`, `def`, `class`,
/// `case` patterns and assignment targets; compound statements recurse into their bodies.
#[allow(clippy::too_many_arguments)]
fn statements(
    src: &str,
    t: &[Token],
    a: usize,
    b: usize,
    roles: &mut [Role],
    deferred: &mut [bool],
    opens_def: &mut bool,
    wildcard: &mut bool,
) {
    if a >= b {
        return;
    }
    let base = t[a].depth;
    // Split at top-level `;`.
    let mut start = a;
    for i in a..=b {
        if i == b || (t[i].depth == base && t[i].is(src, ";")) {
            if i < b {
                roles[i] = Role::Skip;
            }
            statement(src, t, start, i, roles, deferred, opens_def, wildcard);
            start = i + 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn statement(
    src: &str,
    t: &[Token],
    a: usize,
    b: usize,
    roles: &mut [Role],
    deferred: &mut [bool],
    opens_def: &mut bool,
    wildcard: &mut bool,
) {
    if a >= b {
        return;
    }
    let mut s = a;
    if t[s].text(src) == "async" && s + 1 < b {
        s += 1;
    }
    let first = t[s].text(src);
    let second = t.get(s + 1).filter(|_| s + 1 < b);
    let soft_header = matches!(first, "match" | "case")
        && second.is_some_and(|n| {
            matches!(n.kind, Kind::Name | Kind::Str | Kind::Number)
                || ["(", "[", "{", "-", "*"].iter().any(|o| n.is(src, o))
        });
    if t[s].kind == Kind::Name && (COMPOUND.contains(&first) || soft_header) {
        let Some(colon) = header_colon(src, t, s, b) else {
            return; // Not a header after all (a syntax error): leave it to the expression pass.
        };
        roles[colon] = Role::Skip;
        match first {
            "def" => {
                *opens_def = true;
                def_header(src, t, s, colon, roles);
                for d in deferred.iter_mut().take(b).skip(colon + 1) {
                    *d = true;
                }
            }
            "class" => {
                if t.get(s + 1).is_some_and(|n| is_name(src, n)) {
                    roles[s + 1] = Role::Bind;
                }
                bind_type_params(src, t, s + 2, colon, roles);
            }
            "case" => {
                roles[s] = Role::Skip;
                for i in s + 1..colon {
                    if is_name(src, &t[i]) && roles[i] == Role::Unknown {
                        let next = t.get(i + 1);
                        let prev_dot = t[i - 1].is(src, ".");
                        let value_like = next.is_some_and(|n| n.is(src, ".") || n.is(src, "(") || n.is(src, "="));
                        roles[i] = if prev_dot || value_like { Role::Skip } else { Role::Bind };
                    }
                }
            }
            "match" => roles[s] = Role::Skip,
            _ => {}
        }
        statements(src, t, colon + 1, b, roles, deferred, opens_def, wildcard);
        return;
    }
    match first {
        "import" => {
            import_names(src, t, s + 1, b, roles);
            return;
        }
        "from" => {
            let Some(imp) = (s..b).find(|&i| t[i].kind == Kind::Name && t[i].text(src) == "import") else { return };
            for r in roles.iter_mut().take(imp + 1).skip(s) {
                *r = Role::Skip;
            }
            if (imp + 1..b).any(|i| t[i].is(src, "*")) {
                *wildcard = true;
            }
            import_names(src, t, imp + 1, b, roles);
            return;
        }
        "global" | "nonlocal" => {
            for i in s..b {
                roles[i] = if is_name(src, &t[i]) { Role::Bind } else { Role::Skip };
            }
            return;
        }
        _ => {}
    }
    // Assignment targets: everything before the last top-level `=` (or augmented assignment)
    // that comes before any `lambda`.
    let base = t[s].depth;
    let mut last_eq = None;
    for (i, tok) in t.iter().enumerate().take(b).skip(s) {
        if tok.depth != base {
            continue;
        }
        if tok.kind == Kind::Name && tok.text(src) == "lambda" {
            break;
        }
        let op = tok.text(src);
        // `=` or an augmented assignment (`+=`, `//=`), not a comparison or `:=`.
        if tok.kind == Kind::Op && op.ends_with('=') && !matches!(op, "==" | "!=" | "<=" | ">=" | ":=") {
            last_eq = Some(i);
        }
    }
    if let Some(eq) = last_eq {
        targets(src, t, s, eq, roles);
    } else if (s..b).any(|i| t[i].depth == base && t[i].is(src, ":"))
        && !(s..b).any(|i| t[i].kind == Kind::Name && t[i].text(src) == "lambda")
    {
        // An annotation without a value (`count: int`) declares the name.
        targets(src, t, s, b, roles);
    }
}

/// Roles in the target part `a..b` of an assignment (all the `x = y =` segments).
fn targets(src: &str, t: &[Token], a: usize, b: usize, roles: &mut [Role]) {
    let base = t[a].depth;
    // For each open bracket in the target: is it a subscript or call (a trailer)?
    let mut trailer: Vec<bool> = Vec::new();
    let mut annotation = false;
    for i in a..b {
        let tok = t[i];
        let text = tok.text(src);
        if tok.kind == Kind::Op {
            match text {
                "(" | "[" | "{" => {
                    let prev_value = i > a
                        && (t[i - 1].kind == Kind::Name && !is_keyword(t[i - 1].text(src))
                            || t[i - 1].is(src, ")")
                            || t[i - 1].is(src, "]")
                            || t[i - 1].kind == Kind::Str);
                    trailer.push(prev_value);
                }
                ")" | "]" | "}" => {
                    trailer.pop();
                }
                ":" if tok.depth == base => annotation = true,
                "=" if tok.depth == base => {
                    annotation = false;
                    roles[i] = Role::Skip;
                }
                _ => {}
            }
            continue;
        }
        if !is_name(src, &tok) || roles[i] != Role::Unknown {
            continue;
        }
        if i > a && t[i - 1].is(src, ".") {
            continue;
        }
        if annotation {
            roles[i] = Role::Skip;
            continue;
        }
        let receiver = t.get(i + 1).is_some_and(|n| n.is(src, ".") || n.is(src, "[") || n.is(src, "("));
        if receiver || trailer.iter().any(|&x| x) {
            continue; // A use: the expression pass decides.
        }
        roles[i] = Role::Bind;
    }
}

/// Where a name inside a `def`'s parentheses stands.
#[derive(PartialEq)]
enum State {
    Param,
    Annotation,
    Default,
}

/// `def name[T](params) -> ann:` — the name and parameters are bound, annotations skipped,
/// defaults used.
fn def_header(src: &str, t: &[Token], s: usize, colon: usize, roles: &mut [Role]) {
    roles[s] = Role::Skip;
    if !t.get(s + 1).is_some_and(|n| is_name(src, n)) {
        return;
    }
    roles[s + 1] = Role::Bind;
    let Some(open) = (s + 2..colon).find(|&i| t[i].is(src, "(")) else { return };
    bind_type_params(src, t, s + 2, open, roles);
    let pd = t[open].depth + 1;
    let mut state = State::Param;
    let mut after_params = false;
    for i in open + 1..colon {
        let tok = t[i];
        if after_params {
            // Return annotation.
            if tok.kind == Kind::Name {
                roles[i] = Role::Skip;
            }
            continue;
        }
        if tok.depth == pd && tok.kind == Kind::Op {
            match tok.text(src) {
                "," => state = State::Param,
                ":" => state = State::Annotation,
                "=" => state = State::Default,
                _ => {}
            }
            continue;
        }
        if tok.depth < pd {
            after_params = true; // the closing parenthesis
            continue;
        }
        if tok.kind != Kind::Name {
            continue;
        }
        match state {
            State::Param if tok.depth == pd => roles[i] = Role::Bind,
            State::Param | State::Annotation => roles[i] = Role::Skip,
            State::Default => {}
        }
    }
}

/// Type parameters `[T, *Ts, **P]` between `a` and `b` are bound.
fn bind_type_params(src: &str, t: &[Token], a: usize, b: usize, roles: &mut [Role]) {
    if a < b && t[a].is(src, "[") {
        let depth = t[a].depth + 1;
        for i in a + 1..b {
            if t[i].depth == depth && is_name(src, &t[i]) && !t[i - 1].is(src, ":") {
                roles[i] = Role::Bind;
            } else if t[i].kind == Kind::Name {
                roles[i] = Role::Skip;
            }
        }
    }
}

/// `a.b as c, d` after `import`: binds `c` and `d`; every other token is skipped.
fn import_names(src: &str, t: &[Token], a: usize, b: usize, roles: &mut [Role]) {
    let mut item_start = true;
    let mut after_as = false;
    let mut pending: Option<usize> = None;
    for i in a..b {
        let tok = t[i];
        let text = tok.text(src);
        roles[i] = Role::Skip;
        match (tok.kind, text) {
            (Kind::Op, ",") => {
                if let Some(p) = pending.take() {
                    roles[p] = Role::Bind;
                }
                item_start = true;
                after_as = false;
            }
            (Kind::Op, _) => {}
            (Kind::Name, "as") => {
                pending = None;
                after_as = true;
            }
            (Kind::Name, _) => {
                if after_as {
                    roles[i] = Role::Bind;
                    after_as = false;
                } else if item_start {
                    pending = Some(i);
                }
                item_start = false;
            }
            _ => {}
        }
    }
    if let Some(p) = pending {
        roles[p] = Role::Bind;
    }
}

/// Expression-level roles of the tokens still unknown: comprehension and `for` targets,
/// `lambda` parameters (and deferred bodies), `:=`, `as` targets, keyword arguments; every
/// other name (not an attribute) is a use.
fn expressions(src: &str, t: &[Token], roles: &mut [Role], deferred: &mut [bool]) {
    for i in 0..t.len() {
        let tok = t[i];
        if tok.kind != Kind::Name {
            continue;
        }
        match tok.text(src) {
            "for" => {
                let depth = tok.depth;
                let mut j = i + 1;
                while j < t.len() && !(t[j].depth == depth && t[j].kind == Kind::Name && t[j].text(src) == "in") {
                    if is_name(src, &t[j]) && !t[j - 1].is(src, ".") && roles[j] == Role::Unknown {
                        roles[j] = Role::Bind;
                    }
                    j += 1;
                }
            }
            "lambda" => {
                let depth = tok.depth;
                let Some(colon) = (i + 1..t.len()).find(|&j| t[j].depth == depth && t[j].is(src, ":")) else {
                    continue;
                };
                for j in i + 1..colon {
                    let prev = t[j - 1].text(src);
                    if is_name(src, &t[j]) && t[j].depth == depth && matches!(prev, "lambda" | "," | "*" | "**") {
                        roles[j] = Role::Bind;
                    }
                }
                for j in colon + 1..t.len() {
                    if t[j].depth < depth || (t[j].depth == depth && t[j].is(src, ",")) {
                        break;
                    }
                    deferred[j] = true;
                }
            }
            "as" => {
                if let Some(n) = t.get(i + 1) {
                    if is_name(src, n) {
                        roles[i + 1] = Role::Bind;
                    } else if n.is(src, "(") || n.is(src, "[") {
                        let depth = n.depth;
                        for j in i + 2..t.len() {
                            if t[j].depth <= depth {
                                break;
                            }
                            if is_name(src, &t[j]) {
                                roles[j] = Role::Bind;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for i in 0..t.len() {
        let tok = t[i];
        if roles[i] != Role::Unknown || !is_name(src, &tok) {
            continue;
        }
        let prev = if i > 0 { Some(t[i - 1]) } else { None };
        let next = t.get(i + 1).copied();
        if prev.is_some_and(|p| p.is(src, ".")) {
            roles[i] = Role::Skip;
        } else if next.is_some_and(|n| n.is(src, ":=")) {
            roles[i] = Role::Bind;
        } else if tok.depth > 0
            && next.is_some_and(|n| n.is(src, "="))
            && prev.is_some_and(|p| p.is(src, "(") || p.is(src, ","))
        {
            roles[i] = Role::Skip; // keyword argument
        } else {
            roles[i] = Role::Use;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn undefined(text: &str) -> Vec<String> {
        check_text(text, &RULE).iter().map(|f| text[f.span.start..f.span.end].to_string()).collect()
    }

    fn block(code: &str) -> String {
        format!("# G\n\n## S\n\n```python\n{code}```\n")
    }

    #[test]
    fn flags_names_never_defined() {
        let text = "# G\n\n## S3\n\n```python\nimport boto3\nstore = boto3.resource('s3')\n```\n\n### Read\n\n\
```python\nbody = s3.Object('b', 'k').get()['Body']\nframe = pd.read_csv(body)\nagain = s3\n```\n";
        assert_eq!(undefined(text), ["s3", "pd"]);
        let f = check_text(text, &RULE);
        assert_eq!(f[1].help.as_deref(), Some("add `import pandas as pd` to this or an earlier block"));
    }

    #[test]
    fn suggests_a_similar_name() {
        let text = block("s3_client = object()\nx = s3.Bucket('b')\n");
        let f = check_text(&text, &RULE);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].help.as_deref(), Some("did you mean `s3_client`?"));
    }

    #[test]
    fn namespace_is_the_level_two_section() {
        let text = "# G\n\n## A\n\n```python\nbucket = 1\n```\n\n### Sub\n\n```python\nprint(bucket)\n```\n\n\
## B\n\n```python\nprint(bucket)\n```\n";
        assert_eq!(undefined(text), ["bucket"]);
        assert_eq!(check_text(text, &RULE)[0].span.start, text.rfind("bucket").unwrap());
    }

    #[test]
    fn later_definitions_do_not_count() {
        assert_eq!(undefined(&block("print(x)\nx = 1\n")), ["x"]);
        let text = "# G\n\n## S\n\n```python\nprint(y)\n```\n\n```python\ny = 2\n```\n";
        assert_eq!(undefined(text), ["y"]);
    }

    #[test]
    fn accepts_every_binding_form() {
        let code = r"import os, os.path as osp
from collections import (OrderedDict,
    defaultdict as dd)
import a.b.c
print(a, osp, OrderedDict, dd)
x, (y, *z) = 1, (2, 3)
w: int = 4
v = u = 5
n += 1
print(x, y, z, w, v, u, n)
def f(p, q=x, *args, r: int = 1, **kw) -> str:
    '''doc'''
    local = p + q + r + len(args) + len(kw)
    return helper(local)

def helper(value):
    return later + value

class C(object):
    attr = 1
    def m(self):
        return self.attr

for i, (j, k) in enumerate([(1, 2)]):
    print(i, j, k)
with open('f') as fh, open('g') as (gh):
    print(fh, gh)
try:
    pass
except ValueError as err:
    print(err)
squares = [s * s for s in range(3) if s]
pairs = {a2: b2 for a2, b2 in {}.items()}
g = lambda m1, m2=2, *ms: m1 + m2 + len(ms) + later
if (found := squares):
    print(found)
print(dict(key=1), C().m(), f(1), g(1), __name__, __file__)
later = 3
if x: t1 = 1; t2 = t1
print(t2)
global gg
print(gg)
";
        assert_eq!(undefined(&block(code)), Vec::<String>::new());
    }

    #[test]
    fn attributes_strings_comments_and_keywords_are_not_uses() {
        let code = "import os\nprint(os.path.join, 'undefined_a', f'{1}')  # undefined_b\nx = None or True\n";
        assert!(undefined(&block(code)).is_empty());
    }

    #[test]
    fn reports_once_per_block() {
        assert_eq!(undefined(&block("a = s3.x\nb = s3.y\n")), ["s3"]);
    }

    #[test]
    fn skips_blocks_with_syntax_errors_and_star_imports() {
        assert!(undefined(&block("  def f():\n    return nowhere\n")).is_empty());
        assert!(undefined(&block("from os.path import *\nprint(join)\n")).is_empty());
        assert!(undefined(&block("try:\n    cache\nexcept NameError:\n    cache = {}\n")).is_empty());
    }

    #[test]
    fn annotations_declare_names() {
        assert!(undefined(&block("class Row:\n    name: str\n    size: int = 0\n    print(name)\n")).is_empty());
    }

    #[test]
    fn function_bodies_may_use_later_names() {
        let text = "# G\n\n## S\n\n```python\ndef run():\n    return helper()\n```\n\n```python\ndef helper():\n    return 1\n```\n";
        assert!(undefined(text).is_empty());
        assert_eq!(undefined(&block("def run():\n    return nowhere()\n")), ["nowhere"]);
    }

    #[test]
    fn match_statements() {
        let code = "command = 'go'\nmatch command:\n    case 'go' | 'run' as verb:\n        print(verb)\n    case [first, *rest]:\n        print(first, rest)\n    case _:\n        pass\n";
        assert!(undefined(&block(code)).is_empty());
    }
}
