//! Finding placeholder uses in a runbook's code, in every spelling.
//!
//! The decision rules (the README's "How placeholders are found" explains them to authors):
//! 1. a `<...>` token is a placeholder (`<APP_NAME>`, `<SPACE NAME>`, `<json.file>`,
//!    `<secret_name>` inside `${{secrets.<secret_name>}}`);
//! 2. a bare ALL-CAPS token (`APP_NAME`, `SERVICE-NAME`) is a placeholder when the glossary, the
//!    front matter or a capture defines it; or when it stands where the cf grammar expects a
//!    value (a positional or a flag value); or when it is the whole of a quoted value in code,
//!    JSON or YAML (`'ACCESS_KEY_ID'`, `"PERMISSION"`) that no real name explains;
//! 3. real names are literals, whatever their position: well-known environment variables
//!    (`AWS_*`, `VCAP_*`, `CF_*`, `GITHUB_*`, `PATH`, `HOME`…), the names listed in an `env`
//!    block or exported by the front matter, names read from the environment in code
//!    (`os.environ["X"]`, `getenv("X")`), shell variables (`$X`, `${X}`), assignments
//!    (`STAGE=production`), JSON keys and `${{ secrets.X }}` expressions;
//! 4. an example value with a run of `X` (`demo-store-eu-XXXX`) is a placeholder
//!    named after its role: the JSON key it is the value of anywhere in the runbook
//!    (`"bucket_name": "…XXXX"` → `BUCKET_NAME`).
//!
//! Spellings normalise to one canonical name: upper case, spaces, `-` and `.` become `_`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::canonical;
use crate::cf::{self, Role};
use crate::markdown::BlockKind as MdBlock;
use crate::shell;
use crate::source::{OffsetMap, Span};
use crate::steps::{BlockKind, Runbook};

/// Where a use sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    Command,
    File,
    Code,
    Workflow,
    Output,
    /// Inline code in prose that is not a command.
    Inline,
    /// A defined name in the prose of a step (a manual instruction).
    Prose,
    Other,
}

/// One occurrence of a placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    pub name: String,
    /// As written (without quotes): `<SPACE NAME>`, `SERVICE-NAME`, `paas-…-XXXX`.
    pub spelling: String,
    pub span: Span,
    pub context: Context,
    /// Index of the step it belongs to.
    pub step: Option<usize>,
    /// The cf grammar role it fills (`cf delete-service-key` positional `SERVICE_INSTANCE`).
    pub cf_role: Option<CfRole>,
    /// Used through the environment variable it is exported as (`$AWS_REGION`): not a spelling.
    pub via_env: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfRole {
    /// Canonical cf subcommand.
    pub command: String,
    /// Grammar name of the positional, or `--flag`.
    pub role: String,
}

/// Names that are definitely placeholders (defined) and names that are definitely real.
pub struct Known<'a> {
    pub defined: &'a HashSet<String>,
    pub literals: HashSet<String>,
    /// Environment variable → the placeholder it exports (front matter `exports:`).
    pub exports: HashMap<String, String>,
}

static ANGLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([A-Za-z](?:[A-Za-z0-9_.\- ]*[A-Za-z0-9])?)>").unwrap());
static CAPS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)*").unwrap());
static RUN_OF_X: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z0-9][A-Za-z0-9._-]*").unwrap());
static WELL_KNOWN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:AWS_[A-Z0-9_]+|VCAP_[A-Z0-9_]+|CF_[A-Z0-9_]+|GITHUB_[A-Z0-9_]+|RUNNER_[A-Z0-9_]+|RUNBOOK_[A-Z0-9_]+|RB_SECRET_[0-9]+|PATH|HOME|USER|SHELL|PWD|LANG|TERM|TMPDIR|TZ|CI|PYTHONPATH|VIRTUAL_ENV|HTTPS?_PROXY|NO_PROXY|LC_[A-Z]+|PORT|STAGE|DATABASE_URL|SENTRY_DSN|FLASK_[A-Z_]+|DJANGO_[A-Z_]+)$",
    )
    .unwrap()
});
static ENV_READ: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:environ\s*\[|environ\.get\s*\(|getenv\s*\(|ENV\s*\[)\s*$").unwrap());
static HTML_TAGS: &[&str] = &[
    "br", "p", "a", "b", "i", "em", "strong", "div", "span", "img", "code", "pre", "details", "summary", "ul", "ol",
    "li", "sub", "sup", "hr", "kbd",
];

/// Whether a name is a real environment/tool name rather than a placeholder.
pub fn well_known(name: &str) -> bool {
    WELL_KNOWN.is_match(name)
}

/// A piece of text to scan: a block's content or an inline code span.
struct Unit<'a> {
    text: &'a str,
    map: OffsetMap,
    context: Context,
    step: Option<usize>,
}

/// Scan every block and inline code span (outside the glossary) for placeholder uses.
pub fn scan(rb: &Runbook, known: &Known<'_>) -> Vec<Use> {
    let units = units(rb);
    let roles = x_value_names(&units);
    let mut uses = Vec::new();
    for unit in &units {
        scan_unit(unit, known, &roles, &mut uses);
        scan_exports(unit, known, &mut uses);
    }
    scan_prose(rb, known, &mut uses);
    uses.sort_by_key(|u| (u.span.start, u.span.end));
    uses.dedup_by(|a, b| a.span == b.span);
    uses
}

fn units(rb: &Runbook) -> Vec<Unit<'_>> {
    let mut out = Vec::new();
    let mut inline_seen: HashSet<usize> = HashSet::new();
    for (i, step) in rb.steps.iter().enumerate() {
        for b in &step.blocks {
            let context = match b.kind {
                BlockKind::Env => continue,
                BlockKind::Command => Context::Command,
                BlockKind::File => Context::File,
                BlockKind::Code => Context::Code,
                BlockKind::Workflow => Context::Workflow,
                BlockKind::Output => Context::Output,
                BlockKind::Other => Context::Other,
            };
            if b.inline {
                inline_seen.insert(b.span.start);
            }
            out.push(Unit { text: &b.text, map: b.map.clone(), context, step: Some(i) });
        }
    }
    // Inline code in prose (mentions), outside the glossary and not already a command.
    for block in &rb.document.blocks {
        if block.section.is_some_and(|s| rb.sections[s].glossary) {
            continue;
        }
        let MdBlock::Paragraph(p) = &block.kind else { continue };
        let step = rb
            .steps
            .iter()
            .position(|s| s.prose.iter().any(|sp| sp.start <= block.span.start && block.span.end <= sp.end));
        for code in &p.code_spans {
            if inline_seen.contains(&code.span.start) {
                continue;
            }
            let raw = rb.source.slice(code.span);
            let offset = code.span.start + raw.find(code.text.as_str()).unwrap_or(0);
            let context = if crate::steps::looks_like_command(&code.text) { Context::Command } else { Context::Inline };
            out.push(Unit { text: &code.text, map: OffsetMap::contiguous(offset), context, step });
        }
    }
    out
}

/// Run-of-X example values named by the JSON key they are the value of, anywhere.
fn x_value_names(units: &[Unit<'_>]) -> HashMap<String, String> {
    static PAIR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*"([^"]*XXX[^"]*)""#).unwrap());
    let mut out = HashMap::new();
    for u in units {
        for cap in PAIR.captures_iter(u.text) {
            out.entry(cap[2].to_string()).or_insert_with(|| cap[1].to_ascii_uppercase());
        }
    }
    out
}

fn scan_unit(unit: &Unit<'_>, known: &Known<'_>, x_names: &HashMap<String, String>, out: &mut Vec<Use>) {
    let text = unit.text;
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let push = |out: &mut Vec<Use>, name: String, spelling: &str, start: usize, end: usize, role: Option<CfRole>| {
        out.push(Use {
            name,
            spelling: spelling.to_string(),
            span: unit.map.span(start, end),
            context: unit.context,
            step: unit.step,
            cf_role: role,
            via_env: false,
        });
    };
    let cf_values = if unit.context == Context::Command { cf_value_words(text) } else { Vec::new() };
    let role_at =
        |start: usize| cf_values.iter().find(|(s, e, _)| *s <= start && start < *e).map(|(_, _, r)| r.clone());
    let masks = masked_ranges(text);
    let masked = |at: usize| masks.iter().any(|&(s, e)| s <= at && at < e);

    // Rule 1: <...> tokens.
    for m in ANGLE.find_iter(text) {
        let inner = &text[m.start() + 1..m.end() - 1];
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            || after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        if HTML_TAGS.contains(&inner) {
            continue;
        }
        taken.push((m.start(), m.end()));
        push(out, canonical(inner), m.as_str(), m.start(), m.end(), role_at(m.start()));
    }

    // Rule 4: run-of-X example values.
    for m in RUN_OF_X.find_iter(text) {
        let word = m.as_str();
        if !word.contains("XXX")
            || !word.chars().any(|c| c.is_ascii_lowercase())
            || overlaps(&taken, m.start(), m.end())
        {
            continue;
        }
        let name = x_names.get(word).cloned().unwrap_or_else(|| "EXAMPLE_VALUE".to_string());
        taken.push((m.start(), m.end()));
        push(out, name, word, m.start(), m.end(), role_at(m.start()));
    }

    // Rules 2 and 3: bare capitals.
    for m in CAPS.find_iter(text) {
        let (start, end) = (m.start(), m.end());
        let word = m.as_str();
        if overlaps(&taken, start, end) || masked(start) || word.len() < 2 {
            continue;
        }
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '-' | '.'))
            || after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '(' | '=' | '.'))
            || (before == Some('{') && text[..start].ends_with("${"))
        {
            continue;
        }
        let name = canonical(word);
        let defined = known.defined.contains(&name);
        if !defined && (known.literals.contains(&name) || well_known(&name)) {
            continue;
        }
        let role = role_at(start);
        let quoted = quoted_value(text, start, end);
        let is_placeholder = defined
            || role.as_ref().is_some_and(|r| !r.role.is_empty())
            || (quoted && !matches!(unit.context, Context::Command | Context::Inline) && !reads_env(text, start));
        if is_placeholder {
            push(out, name, word, start, end, role);
        }
    }
}

/// Defined names written in the prose of steps (outside inline code): manual steps use them.
fn scan_prose(rb: &Runbook, known: &Known<'_>, out: &mut Vec<Use>) {
    for (i, step) in rb.steps.iter().enumerate() {
        for &span in &step.prose {
            let text = rb.source.slice(span);
            let code: Vec<(usize, usize)> = code_span_ranges(text);
            for m in CAPS.find_iter(text) {
                let name = canonical(m.as_str());
                let before = text[..m.start()].chars().next_back();
                let after = text[m.end()..].chars().next();
                if !known.defined.contains(&name)
                    || overlaps(&code, m.start(), m.end())
                    || before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '<'))
                    || after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '>'))
                {
                    continue;
                }
                out.push(Use {
                    name,
                    spelling: m.as_str().to_string(),
                    span: Span::new(span.start + m.start(), span.start + m.end()),
                    context: Context::Prose,
                    step: Some(i),
                    cf_role: None,
                    via_env: false,
                });
            }
        }
    }
}

/// Byte ranges of backtick code spans in Markdown source.
fn code_span_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(open) = text[i..].find('`') {
        let start = i + open;
        let ticks = text[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(ticks);
        match text[start + ticks..].find(&fence) {
            Some(close) => {
                let end = start + ticks + close + ticks;
                out.push((start, end));
                i = end;
            }
            None => break,
        }
    }
    out
}

/// Uses through an exported environment variable: `$VAR`, `${VAR}`, `os.environ["VAR"]`.
fn scan_exports(unit: &Unit<'_>, known: &Known<'_>, out: &mut Vec<Use>) {
    static VAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").unwrap());
    let text = unit.text;
    let mut found: Vec<(usize, usize, &str)> =
        VAR.captures_iter(text).filter_map(|c| c.get(1)).map(|m| (m.start(), m.end(), m.as_str())).collect();
    for m in CAPS.find_iter(text) {
        if quoted_value(text, m.start(), m.end()) && reads_env(text, m.start()) {
            found.push((m.start(), m.end(), m.as_str()));
        }
    }
    for (start, end, var) in found {
        if let Some(placeholder) = known.exports.get(var) {
            out.push(Use {
                name: placeholder.clone(),
                spelling: var.to_string(),
                span: unit.map.span(start, end),
                context: unit.context,
                step: unit.step,
                cf_role: None,
                via_env: true,
            });
        }
    }
}

fn overlaps(taken: &[(usize, usize)], start: usize, end: usize) -> bool {
    taken.iter().any(|&(s, e)| start < e && s < end)
}

/// `${{ … }}` expressions (GitHub Actions) whose names are real: masked, except `<...>` inside.
fn masked_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("${{") {
        let start = from + open;
        let end = text[start..].find("}}").map_or(text.len(), |e| start + e + 2);
        out.push((start, end));
        from = end;
    }
    out
}

/// The token is the whole content of a quoted string that is not a JSON/YAML key.
fn quoted_value(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let Some(q) = before.filter(|c| matches!(c, '"' | '\'')) else { return false };
    if after != Some(q) {
        return false;
    }
    let rest = text[end + 1..].trim_start_matches([' ', '\t']);
    !rest.starts_with(':')
}

/// The string sits in `os.environ["X"]`, `getenv("X")` and the like: an environment name.
fn reads_env(text: &str, start: usize) -> bool {
    let head = &text[..start.saturating_sub(1)];
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    ENV_READ.is_match(&head[line_start..])
}

/// For each word of each `cf` invocation in a command text: (start, end, role) of the words
/// the grammar treats as values.
fn cf_value_words(text: &str) -> Vec<(usize, usize, CfRole)> {
    let mut out = Vec::new();
    for line_cmd in shell::words(text) {
        let Some(roles) = cf::roles(&line_cmd) else { continue };
        let command = cf::grammar().command(&line_cmd[1].text).map(|(n, _)| n.to_string()).unwrap_or_default();
        let mut last_flag = String::new();
        for (w, r) in line_cmd.iter().zip(roles) {
            let role = match r {
                Role::Positional(name) => name,
                Role::ExtraPositional => "EXTRA".to_string(),
                Role::FlagValue(_) => format!("--{last_flag}"),
                Role::Flag => {
                    last_flag = w.text.trim_start_matches('-').to_string();
                    continue;
                }
                _ => continue,
            };
            out.push((w.start, w.end, CfRole { command: command.clone(), role }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn uses(text: &str, defined: &[&str], literals: &[&str]) -> Vec<(String, String)> {
        let rb = Runbook::from_source(SourceFile::new("t.md", text));
        let defined: HashSet<String> = defined.iter().map(|s| (*s).to_string()).collect();
        let known = Known {
            defined: &defined,
            literals: literals.iter().map(|s| (*s).to_string()).collect(),
            exports: HashMap::new(),
        };
        scan(&rb, &known).into_iter().map(|u| (u.name, u.spelling)).collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect()
    }

    #[test]
    fn angle_tokens_in_every_spelling() {
        let got = uses(
            "# S\n\n```bash\ncf create-space <SPACE NAME> -o <ORGANISATION>\ncf bs AP SV -c <json.file>\n```\n",
            &[],
            &[],
        );
        assert_eq!(
            got,
            pairs(&[
                ("SPACE_NAME", "<SPACE NAME>"),
                ("ORGANISATION", "<ORGANISATION>"),
                ("AP", "AP"),
                ("SV", "SV"),
                ("JSON_FILE", "<json.file>")
            ])
        );
    }

    #[test]
    fn cf_grammar_positions_make_placeholders() {
        let got = uses(
            "# S\n\n```bash\ncf set-env APP_NAME ENVIRONMENT_VARIABLE VALUE\ncf service-key SERVICE-NAME SERVICE-KEY\n```\n",
            &[],
            &[],
        );
        assert_eq!(
            got,
            pairs(&[
                ("APP_NAME", "APP_NAME"),
                ("ENVIRONMENT_VARIABLE", "ENVIRONMENT_VARIABLE"),
                ("VALUE", "VALUE"),
                ("SERVICE_NAME", "SERVICE-NAME"),
                ("SERVICE_KEY", "SERVICE-KEY")
            ])
        );
    }

    #[test]
    fn real_names_are_literals() {
        let got = uses(
            "# S\n\n```bash\ncf set-env APP AWS_ACCESS_KEY_ID \"$SECRET\"\necho ${HOME} $VCAP_SERVICES\n```\n\n```yml\ncommand: run --env STAGE=production\n```\n\n```yml\nsteps:\n  - run: echo ${{ secrets.DEPLOY_KEY }} ${{secrets.<secret_name>}}\n```\n",
            &[],
            &[],
        );
        assert_eq!(got, pairs(&[("APP", "APP"), ("SECRET_NAME", "<secret_name>")]));
    }

    #[test]
    fn quoted_values_in_code_and_json_but_not_keys() {
        let got = uses(
            "# S\n\n```python\nimport os\nc = f(key_id='ACCESS_KEY_ID', region='eu-west-2')\nb = os.environ[\"BUCKET\"]\n```\n\n```json\n{\"permissions\": \"PERMISSION\", \"KEY\": 1}\n```\n",
            &[],
            &[],
        );
        assert_eq!(got, pairs(&[("ACCESS_KEY_ID", "ACCESS_KEY_ID"), ("PERMISSION", "PERMISSION")]));
    }

    #[test]
    fn defined_names_anywhere_and_env_lists_excluded() {
        let got = uses(
            "# S\n\nRun `cf push APP_NAME` and check `MY_THING`.\n\n```\nAWS_REGION\nMY_THING\n```\n",
            &["MY_THING"],
            &[],
        );
        assert_eq!(got, pairs(&[("APP_NAME", "APP_NAME"), ("MY_THING", "MY_THING")]));
    }

    #[test]
    fn run_of_x_values_are_named_by_their_json_key() {
        let got = uses(
            "# S\n\n```bash\ncf env AP\n```\n\n```bash\n{\"bucket_name\": \"demo-store-eu-XXXX\"}\n```\n\n```python\nb = s3.Bucket(name='demo-store-eu-XXXX')\n```\n",
            &[],
            &[],
        );
        assert_eq!(
            got,
            pairs(&[("AP", "AP"), ("BUCKET_NAME", "demo-store-eu-XXXX"), ("BUCKET_NAME", "demo-store-eu-XXXX")])
        );
    }

    #[test]
    fn spans_point_into_indented_fences() {
        let text = "# S\n\n1. Do:\n   ```bash\n   cf env AP\n   cf push BP\n   ```\n";
        let rb = Runbook::from_source(SourceFile::new("t.md", text));
        let defined = HashSet::new();
        let found = scan(&rb, &Known { defined: &defined, literals: HashSet::new(), exports: HashMap::new() });
        let b = found.iter().find(|u| u.name == "BP").unwrap();
        assert_eq!(&text[b.span.start..b.span.end], "BP");
        assert_eq!(rb.source.line_col(b.span.start).line, 6);
    }
}
