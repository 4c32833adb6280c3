//! Placeholders and values.
//!
//! Owns placeholder scanning in every spelling (`scan`), the glossary (`glossary`), value kinds
//! and validation (`kinds`), value sources (`values`), and their analysis into [`Params`]:
//! each placeholder's canonical name, variants, uses, definition, kind, secrecy and the findings
//! the linter turns into rules. It never substitutes text (that is `render`'s job).

pub mod glossary;
pub mod kinds;
pub mod scan;
pub mod values;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::source::Span;
use crate::steps::{BlockKind, Runbook};
use kinds::Kind;
use scan::{Context, Use};
use values::{Given, Origin};

/// The one spelling of a placeholder: upper case; spaces, `-` and `.` become `_`.
pub fn canonical(spelling: &str) -> String {
    spelling
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .chars()
        .map(|c| if matches!(c, ' ' | '-' | '.') { '_' } else { c.to_ascii_uppercase() })
        .collect()
}

/// Where a placeholder's value is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Given by the user (`--set`, `--vars`, environment, prompt), or a default.
    User,
    /// Read from the output of an earlier step (declared in `captures:`).
    Capture { step: String },
    /// Shown in an output sample before any other use: it comes from that step's output.
    OutputOf { step: String },
    /// A file placeholder: the file the runbook writes in that step.
    FileOf { step: String },
}

#[derive(Clone, Debug)]
pub struct Placeholder {
    pub name: String,
    /// Spellings as written, in order of first use.
    pub variants: Vec<String>,
    pub uses: Vec<Use>,
    pub glossary: Option<glossary::Entry>,
    /// Declared in the front matter (as a placeholder or a capture).
    pub declared: bool,
    pub description: Option<String>,
    pub kind: Kind,
    pub kind_inferred: bool,
    pub secret: bool,
    pub default: Option<String>,
    pub example: Option<String>,
    pub pattern: Option<String>,
    pub source: Source,
    /// Environment variables it is exported as (front matter `exports:`).
    pub exported_as: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Choice {
    pub name: String,
    pub description: Option<String>,
    pub values: Vec<String>,
    pub default: Option<String>,
    /// Steps whose `when=` names it.
    pub used_by: Vec<String>,
}

/// A finding about placeholders (the linter maps each kind to a rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub name: String,
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    UndefinedPlaceholder,
    UnusedDefinition,
    InconsistentSpelling,
    PlaceholderWithWhitespace,
    NearMissPlaceholder,
    TwoNamesOneThing,
    OneNameTwoThings,
    UndefinedChoice,
    UnknownKind,
    MissingValue,
    InvalidValue,
    UnknownValueName,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::UndefinedPlaceholder => "undefined-placeholder",
            FindingKind::UnusedDefinition => "unused-definition",
            FindingKind::InconsistentSpelling => "inconsistent-spelling",
            FindingKind::PlaceholderWithWhitespace => "placeholder-with-whitespace",
            FindingKind::NearMissPlaceholder => "near-miss-placeholder",
            FindingKind::TwoNamesOneThing => "two-names-one-thing",
            FindingKind::OneNameTwoThings => "one-name-two-things",
            FindingKind::UndefinedChoice => "undefined-choice",
            FindingKind::UnknownKind => "unknown-kind",
            FindingKind::MissingValue => "missing-value",
            FindingKind::InvalidValue => "invalid-value",
            FindingKind::UnknownValueName => "unknown-value-name",
        }
    }
}

#[derive(Debug, Default)]
pub struct Params {
    /// Sorted by name.
    pub placeholders: Vec<Placeholder>,
    pub choices: Vec<Choice>,
    pub findings: Vec<Finding>,
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&Placeholder> {
        self.placeholders.iter().find(|p| p.name == name)
    }
}

static SECRET_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"SECRET|PASSWORD|PASSWD|TOKEN|ACCESS_KEY|PRIVATE_KEY|API_KEY").unwrap());

/// Whether a name alone marks a value secret.
pub fn secret_by_name(name: &str) -> bool {
    SECRET_NAME.is_match(name)
}

/// Find, define and check every placeholder of a runbook.
pub fn analyse(rb: &Runbook) -> Params {
    let fm = &rb.front_matter;
    let entries = glossary::read(&rb.document, &rb.sections);
    let mut defined: HashSet<String> = entries.iter().map(|e| e.name.clone()).collect();
    defined.extend(fm.placeholders.iter().map(|d| canonical(&d.name)));
    defined.extend(fm.captures.iter().map(|c| canonical(&c.name)));
    let mut literals: HashSet<String> = fm.exports.iter().map(|e| canonical(&e.env)).collect();
    literals.extend(fm.choices.iter().map(|c| canonical(&c.name)));
    for step in &rb.steps {
        for b in step.blocks.iter().filter(|b| b.kind == BlockKind::Env) {
            literals.extend(b.text.split_whitespace().map(canonical));
        }
    }
    literals.retain(|l| !defined.contains(l));
    let exports = fm.exports.iter().map(|e| (e.env.clone(), canonical(&e.placeholder))).collect();
    let uses = scan::scan(rb, &scan::Known { defined: &defined, literals, exports });

    let mut by_name: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    for u in uses {
        by_name.entry(u.name.clone()).or_default().push(u);
    }
    for name in &defined {
        by_name.entry(name.clone()).or_default();
    }
    let mut findings = Vec::new();
    let placeholders: Vec<Placeholder> =
        by_name.into_iter().map(|(name, uses)| placeholder(rb, &entries, name, uses, &mut findings)).collect();
    let choices = choices(rb, &mut findings);
    let mut params = Params { placeholders, choices, findings };
    let exported: HashSet<String> = fm.exports.iter().map(|e| canonical(&e.placeholder)).collect();
    check_definitions(&mut params, &defined, &exported);
    check_roles(rb, &mut params);
    params.findings.sort_by_key(|f| (f.span.start, f.kind));
    params
}

fn placeholder(
    rb: &Runbook,
    entries: &[glossary::Entry],
    name: String,
    uses: Vec<Use>,
    findings: &mut Vec<Finding>,
) -> Placeholder {
    let fm = &rb.front_matter;
    let decl = fm.placeholders.iter().find(|d| canonical(&d.name) == name);
    let capture = fm.captures.iter().find(|c| canonical(&c.name) == name);
    let entry = entries.iter().find(|e| e.name == name).cloned();
    let mut variants: Vec<String> = Vec::new();
    for u in uses.iter().filter(|u| !u.via_env) {
        if !variants.contains(&u.spelling) {
            variants.push(u.spelling.clone());
        }
    }
    let declared_kind = decl.and_then(|d| d.kind.as_ref()).or_else(|| capture.and_then(|c| c.kind.as_ref()));
    let values = decl.map(|d| d.values.clone()).unwrap_or_default();
    let (kind, kind_inferred) = match declared_kind {
        Some(k) => match Kind::parse(k, &values) {
            Some(kind) => (kind, false),
            None => {
                findings.push(Finding {
                    kind: FindingKind::UnknownKind,
                    name: name.clone(),
                    message: format!("unknown kind `{k}` for `{name}`"),
                    span: decl.map_or(Span::default(), |d| d.span),
                    help: Some(format!("use one of: {}", Kind::NAMES.join(", "))),
                });
                (Kind::Text, false)
            }
        },
        None if !values.is_empty() => (Kind::Enum(values), false),
        None => (Kind::infer(&name, entry.as_ref().map(|e| e.text.as_str())), true),
    };
    let source = source(rb, &name, &uses, capture);
    let (kind, kind_inferred) = match (&source, kind_inferred) {
        (Source::FileOf { .. }, true) => (Kind::FilePath, true),
        _ => (kind, kind_inferred),
    };
    let secret = decl.and_then(|d| d.secret).or_else(|| capture.and_then(|c| c.secret)).unwrap_or(false)
        || kind.is_secret()
        || secret_by_name(&name);
    Placeholder {
        description: decl
            .and_then(|d| d.description.clone())
            .or_else(|| capture.and_then(|c| c.description.clone()))
            .or_else(|| entry.as_ref().map(|e| e.text.clone())),
        declared: decl.is_some() || capture.is_some(),
        default: decl.and_then(|d| d.default.clone()),
        example: decl.and_then(|d| d.example.clone()),
        pattern: decl.and_then(|d| d.pattern.clone()),
        glossary: entry,
        variants,
        uses,
        kind,
        kind_inferred,
        secret,
        source,
        exported_as: fm.exports.iter().filter(|e| canonical(&e.placeholder) == name).map(|e| e.env.clone()).collect(),
        name,
    }
}

/// Where a placeholder gets its value: a declared capture, the file a step writes, the output
/// sample it first appears in, or the user.
fn source(rb: &Runbook, name: &str, uses: &[Use], capture: Option<&crate::frontmatter::Capture>) -> Source {
    if let Some(c) = capture {
        return Source::Capture { step: c.from.clone() };
    }
    let Some(first) = uses.first() else { return Source::User };
    if uses.iter().any(|u| u.spelling.starts_with('<')) && crate::steps::is_file_name(&uses[0].spelling) {
        // The nearest earlier file step of the same section (or this step) writes it.
        if let Some(si) = first.step {
            let section = &rb.steps[si].section;
            let writer = (0..=si)
                .rev()
                .take_while(|&i| &rb.steps[i].section == section)
                .find(|&i| rb.steps[i].blocks.iter().any(|b| b.kind == BlockKind::File));
            if let Some(w) = writer {
                return Source::FileOf { step: rb.steps[w].id.clone() };
            }
        }
    }
    if first.context == Context::Output
        && !rb.front_matter.placeholders.iter().any(|d| canonical(&d.name) == name)
        && let Some(si) = first.step
    {
        return Source::OutputOf { step: rb.steps[si].id.clone() };
    }
    Source::User
}

fn choices(rb: &Runbook, findings: &mut Vec<Finding>) -> Vec<Choice> {
    let mut out: Vec<Choice> = rb
        .front_matter
        .choices
        .iter()
        .map(|c| Choice {
            name: canonical(&c.name),
            description: c.description.clone(),
            values: c.values.clone(),
            default: c.default.clone(),
            used_by: Vec::new(),
        })
        .collect();
    for step in &rb.steps {
        let Some(when) = step.condition.as_ref().and_then(|c| c.when.as_deref()) else { continue };
        let name = canonical(when.trim_start_matches('!').split('=').next().unwrap_or(""));
        match out.iter_mut().find(|c| c.name == name) {
            Some(c) => c.used_by.push(step.id.clone()),
            None => findings.push(Finding {
                kind: FindingKind::UndefinedChoice,
                name: name.clone(),
                message: format!("step `{}` depends on `{name}`, which is not a declared choice", step.id),
                span: step.span,
                help: Some(format!("declare it under `choices:` in the front matter: `{name}: {{default: false}}`")),
            }),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Undefined, unused, near-miss, inconsistent spellings and whitespace.
fn check_definitions(params: &mut Params, defined: &HashSet<String>, exported: &HashSet<String>) {
    let mut findings = Vec::new();
    for p in &params.placeholders {
        let Some(first) = p.uses.first() else {
            if exported.contains(&p.name) {
                continue;
            }
            let span = p.glossary.as_ref().map(|e| e.span).unwrap_or_default();
            findings.push(Finding {
                kind: FindingKind::UnusedDefinition,
                name: p.name.clone(),
                message: format!("`{}` is defined but never used", p.name),
                span,
                help: Some("remove the definition, or use the placeholder where it belongs".into()),
            });
            continue;
        };
        let self_defined = !matches!(p.source, Source::User);
        if !defined.contains(&p.name) && !self_defined {
            let near = defined
                .iter()
                .filter(|d| p.name.len() >= 4 && strsim::damerau_levenshtein(d, &p.name) <= 2)
                .min_by_key(|d| (strsim::damerau_levenshtein(d, &p.name), (*d).clone()));
            findings.push(match near {
                Some(d) => Finding {
                    kind: FindingKind::NearMissPlaceholder,
                    name: p.name.clone(),
                    message: format!("`{}` is not defined; did you mean `{d}`?", first.spelling),
                    span: first.span,
                    help: Some(format!("use `{d}`")),
                },
                None => Finding {
                    kind: FindingKind::UndefinedPlaceholder,
                    name: p.name.clone(),
                    message: format!(
                        "placeholder `{}` is not defined in the glossary or the front matter",
                        first.spelling
                    ),
                    span: first.span,
                    help: Some(format!("declare `{}` under `placeholders:` or define it in the glossary", p.name)),
                },
            });
        }
        let preferred = p.glossary.as_ref().map_or_else(|| most_common(&p.uses), |e| e.spelling.clone());
        for v in &p.variants {
            let at = p.uses.iter().find(|u| &u.spelling == v).map_or(first.span, |u| u.span);
            if v.trim_matches(['<', '>']).contains(char::is_whitespace) {
                findings.push(Finding {
                    kind: FindingKind::PlaceholderWithWhitespace,
                    name: p.name.clone(),
                    message: format!("placeholder `{v}` contains whitespace, so a shell splits it into two words"),
                    span: at,
                    help: Some(format!("spell it `{}`", p.name)),
                });
            }
            let bare = v.trim_start_matches('<').trim_end_matches('>');
            let differs = if p.variants.len() > 1 { *v != preferred } else { bare != preferred };
            if differs && (p.glossary.is_some() || p.variants.len() > 1) && !v.contains("XXX") {
                let all = p.variants.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
                findings.push(Finding {
                    kind: FindingKind::InconsistentSpelling,
                    name: p.name.clone(),
                    message: format!("`{v}` is another spelling of `{preferred}` (spelt {all} in this guide)"),
                    span: at,
                    help: Some(format!("spell it `{preferred}` everywhere")),
                });
            }
        }
    }
    params.findings.extend(findings);
}

fn most_common(uses: &[Use]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for u in uses {
        *counts.entry(u.spelling.as_str()).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.first().map(|(s, _)| (*s).to_string()).unwrap_or_default()
}

/// Two names for one thing (one procedure fills the same cf role of the same kind of object
/// with two placeholders) and one name for two things (such an alias also creates another
/// object elsewhere).
fn check_roles(rb: &Runbook, params: &mut Params) {
    // (section, role, object family) → first (placeholder, use span)
    let mut seen: HashMap<(String, String, String), (String, Span)> = HashMap::new();
    let mut aliases: Vec<(String, String, Span)> = Vec::new();
    let mut all: Vec<&Use> = params.placeholders.iter().flat_map(|p| &p.uses).collect();
    all.sort_by_key(|u| u.span.start);
    for u in &all {
        let (Some(role), Some(si)) = (&u.cf_role, u.step) else { continue };
        if role.role.starts_with("--") || role.role == "EXTRA" {
            continue;
        }
        let key = (rb.steps[si].section.clone(), role.role.clone(), family(&role.command).to_string());
        match seen.get(&key) {
            // A near-miss spelling is reported as such, not as a second name.
            Some((other, first))
                if *other != u.name
                    && !role.command.starts_with("create-")
                    && strsim::damerau_levenshtein(other, &u.name) > 2 =>
            {
                params.findings.push(Finding {
                    kind: FindingKind::TwoNamesOneThing,
                    name: u.name.clone(),
                    message: format!(
                        "`{}` names the same {} as `{other}` (line {}) in this procedure",
                        u.spelling,
                        role.role.to_lowercase().replace('_', " "),
                        rb.source.line_col(first.start).line
                    ),
                    span: u.span,
                    help: Some(format!("use `{other}` for it throughout")),
                });
                aliases.push((u.name.clone(), other.clone(), u.span));
            }
            Some(_) => {}
            None => {
                seen.insert(key, (u.name.clone(), u.span));
            }
        }
    }
    for (alias, of, alias_span) in aliases {
        let Some(p) = params.get(&alias) else { continue };
        let of_sections: HashSet<&str> = params
            .get(&of)
            .map(|o| o.uses.iter().filter_map(|u| u.step.map(|s| rb.steps[s].section.as_str())).collect())
            .unwrap_or_default();
        let other = p.uses.iter().find(|u| {
            u.cf_role.as_ref().is_some_and(|r| r.command.starts_with("create-"))
                && u.step.is_some_and(|s| !of_sections.contains(rb.steps[s].section.as_str()))
        });
        if let Some(u) = other {
            let finding = Finding {
                kind: FindingKind::OneNameTwoThings,
                name: alias.clone(),
                message: format!(
                    "`{alias}` names two things: the object also called `{of}` (line {}) and the one created here",
                    rb.source.line_col(alias_span.start).line
                ),
                span: u.span,
                help: Some(format!("give each its own placeholder, e.g. keep `{of}` and rename this one")),
            };
            params.findings.push(finding);
        }
    }
}

/// `delete-service-key` and `service-keys` act on service keys: `service-key`.
fn family(command: &str) -> &str {
    let noun = ["create-", "delete-", "update-", "rename-", "bind-", "unbind-", "share-", "unshare-"]
        .iter()
        .find_map(|p| command.strip_prefix(p))
        .unwrap_or(command);
    noun.strip_suffix('s').unwrap_or(noun)
}

/// A placeholder's value and where it came from.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    /// `None` when missing or only known at run time (capture, output, file).
    pub value: Option<String>,
    pub origin: Option<Origin>,
    pub problems: Vec<String>,
}

impl Binding {
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Attach given values (already merged by precedence) to placeholders and choices, fill in
/// defaults, and validate. Returns one binding per placeholder and per choice (same order as
/// in `params`), plus findings for missing and invalid values and for names nothing uses.
pub fn bind(params: &Params, given: &[Given]) -> (Vec<Binding>, Vec<Binding>, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut by_name: HashMap<String, &Given> = HashMap::new();
    for g in given {
        by_name.insert(canonical(&g.name), g);
    }
    let bindings = params
        .placeholders
        .iter()
        .map(|p| {
            let (value, origin) = match (by_name.get(&p.name), &p.source) {
                (Some(g), _) => (Some(g.value.clone()), Some(g.origin.clone())),
                (None, Source::Capture { step } | Source::OutputOf { step }) => {
                    (None, Some(Origin::Capture(step.clone())))
                }
                (None, Source::FileOf { step }) => (None, Some(Origin::File(step.clone()))),
                (None, Source::User) => match &p.default {
                    Some(d) => (Some(d.clone()), Some(Origin::Default)),
                    None => (None, None),
                },
            };
            let mut problems = Vec::new();
            if let Some(v) = &value {
                if let Err(e) = p.kind.validate(v) {
                    problems.push(e);
                }
                if let Some(re) = p.pattern.as_deref().and_then(|pat| Regex::new(&format!("^(?:{pat})$")).ok())
                    && !re.is_match(v)
                {
                    problems
                        .push(format!("does not match the declared pattern `{}`", p.pattern.as_deref().unwrap_or("")));
                }
                for e in &problems {
                    findings.push(Finding {
                        kind: FindingKind::InvalidValue,
                        name: p.name.clone(),
                        message: format!("invalid value for `{}`: {e}", p.name),
                        span: p.uses.first().map(|u| u.span).unwrap_or_default(),
                        help: origin.as_ref().map(|o| format!("the value comes from {o}")),
                    });
                }
            } else if origin.is_none() && !p.uses.is_empty() {
                findings.push(Finding {
                    kind: FindingKind::MissingValue,
                    name: p.name.clone(),
                    message: format!("no value for `{}`", p.name),
                    span: p.uses[0].span,
                    help: Some(format!(
                        "give one with `--set {}=…`, a `--vars` file or `RUNBOOK_VAR_{}`",
                        p.name, p.name
                    )),
                });
            }
            Binding { name: p.name.clone(), value, origin, problems }
        })
        .collect();
    let choices = params
        .choices
        .iter()
        .map(|c| {
            let (value, origin) = match by_name.get(&c.name) {
                Some(g) => (Some(g.value.clone()), Some(g.origin.clone())),
                None => (c.default.clone(), c.default.as_ref().map(|_| Origin::Default)),
            };
            let mut problems = Vec::new();
            if let Some(v) = &value
                && !c.values.iter().any(|allowed| allowed == v)
            {
                let allowed = c.values.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
                problems.push(format!("expected one of {allowed}"));
                findings.push(Finding {
                    kind: FindingKind::InvalidValue,
                    name: c.name.clone(),
                    message: format!("invalid value for choice `{}`: expected one of {allowed}", c.name),
                    span: Span::default(),
                    help: None,
                });
            }
            Binding { name: c.name.clone(), value, origin, problems }
        })
        .collect();
    for g in given {
        let name = canonical(&g.name);
        if params.get(&name).is_none() && !params.choices.iter().any(|c| c.name == name) {
            let names = params
                .placeholders
                .iter()
                .map(|p| p.name.as_str())
                .chain(params.choices.iter().map(|c| c.name.as_str()));
            let near = names
                .min_by_key(|n| strsim::damerau_levenshtein(n, &name))
                .filter(|n| strsim::damerau_levenshtein(n, &name) <= 3);
            findings.push(Finding {
                kind: FindingKind::UnknownValueName,
                name: name.clone(),
                message: format!("`{}` (from {}) is not a placeholder or choice of this runbook", g.name, g.origin),
                span: Span::default(),
                help: near.map(|n| format!("did you mean `{n}`?")),
            });
        }
    }
    (bindings, choices, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn params(text: &str) -> Params {
        analyse(&Runbook::from_source(SourceFile::new("t.md", text)))
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonical("<SPACE NAME>"), "SPACE_NAME");
        assert_eq!(canonical("SERVICE-NAME"), "SERVICE_NAME");
        assert_eq!(canonical("<json.file>"), "JSON_FILE");
        assert_eq!(canonical("<environment_name>"), "ENVIRONMENT_NAME");
    }

    #[test]
    fn variants_glossary_and_findings() {
        let p = params(
            "# Deploy\n\n```bash\ncf target -s <SPACE NAME>\ncf push APP_NAEM\ncf push APP_NAME\n```\n\n# Key terms\n\nSPACE_NAME = the space.\n\nAPP_NAME = the app.\n\nUNUSED = nothing.\n",
        );
        let space = p.get("SPACE_NAME").unwrap();
        assert_eq!(space.variants, ["<SPACE NAME>"]);
        assert_eq!(space.glossary.as_ref().unwrap().text, "the space.");
        let kinds: Vec<(FindingKind, &str)> = p.findings.iter().map(|f| (f.kind, f.name.as_str())).collect();
        assert!(kinds.contains(&(FindingKind::PlaceholderWithWhitespace, "SPACE_NAME")), "{kinds:?}");
        assert!(kinds.contains(&(FindingKind::InconsistentSpelling, "SPACE_NAME")));
        assert!(kinds.contains(&(FindingKind::NearMissPlaceholder, "APP_NAEM")));
        assert!(kinds.contains(&(FindingKind::UnusedDefinition, "UNUSED")));
    }

    #[test]
    fn two_names_for_one_thing_and_one_name_for_two() {
        let p = params(
            "# Route\n\n```bash\ncf create-user-provided-service SERVICE_INSTANCE -r URL\n```\n\n# Rotate\n\n```bash\ncf service-keys SERVICE_NAME\ncf delete-service-key SERVICE_INSTANCE KEY\n```\n",
        );
        let kinds: Vec<(FindingKind, &str)> = p.findings.iter().map(|f| (f.kind, f.name.as_str())).collect();
        assert!(kinds.contains(&(FindingKind::TwoNamesOneThing, "SERVICE_INSTANCE")), "{kinds:?}");
        assert!(kinds.contains(&(FindingKind::OneNameTwoThings, "SERVICE_INSTANCE")), "{kinds:?}");
    }

    #[test]
    fn sources_of_values() {
        let p = params(
            "# S\n\nCreate a json file:\n\n```json\n{}\n```\n\n```bash\ncf bind-service APP SVC -c <json.file>\n```\n\n```bash\ncf env APP\n```\n\n```bash\n{\"key\": \"KEY_ID\"}\n```\n",
        );
        assert_eq!(p.get("JSON_FILE").unwrap().source, Source::FileOf { step: "s/1".into() });
        assert_eq!(p.get("KEY_ID").unwrap().source, Source::OutputOf { step: "s/3".into() });
        assert_eq!(p.get("APP").unwrap().source, Source::User);
        assert!(p.get("KEY_ID").unwrap().secret, "an access key id is secret by kind");
    }

    #[test]
    fn secrets_by_declaration_kind_or_name() {
        let p = params(
            "---\nplaceholders:\n  PLAIN: {secret: true}\n  KEY: {kind: aws-access-key-id}\n---\n# S\n\n```bash\ncf set-env PLAIN KEY DB_PASSWORD\n```\n",
        );
        assert!(p.get("PLAIN").unwrap().secret);
        assert!(p.get("KEY").unwrap().secret);
        assert!(p.get("DB_PASSWORD").unwrap().secret);
    }

    #[test]
    fn bind_reports_missing_invalid_and_unknown() {
        let p = params(
            "---\nplaceholders:\n  BUCKET: {kind: s3-bucket-name}\n  REGION: {kind: aws-region, default: eu-west-2}\n---\n# S\n\n```bash\ncf create-service BUCKET REGION APP\n```\n",
        );
        let given = vec![
            Given { name: "BUCKET".into(), value: "No".into(), origin: Origin::Set },
            Given { name: "BUKET".into(), value: "x".into(), origin: Origin::Set },
        ];
        let (b, _, f) = bind(&p, &given);
        let bucket = b.iter().find(|b| b.name == "BUCKET").unwrap();
        assert!(!bucket.valid());
        let region = b.iter().find(|b| b.name == "REGION").unwrap();
        assert_eq!(region.origin, Some(Origin::Default));
        let kinds: Vec<FindingKind> = f.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&FindingKind::InvalidValue));
        assert!(kinds.contains(&FindingKind::MissingValue), "APP has no value");
        let unknown = f.iter().find(|f| f.kind == FindingKind::UnknownValueName).unwrap();
        assert_eq!(unknown.help.as_deref(), Some("did you mean `BUCKET`?"));
    }
}
