//! Plans: values and steps → a deterministic, reviewable dry run.
//!
//! Owns: which steps a selection keeps (`--only`, `--from`, `--to`), which are skipped and why
//! (a choice's condition is false, an alternative not chosen), each step's effect and flags
//! (`effects`), the rendering of every block with the values a run would use (through
//! `render`, secrets as environment references), the values table with origins, missing values,
//! and the plan digest. Never spawns processes and never holds a secret value: secrets enter the
//! plan only as HMACs under a per-working-copy salt.

pub mod effects;
pub mod output;

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::params::{Binding, Params, Source, canonical};
use crate::render::{self, Fill, Lang, Mode, Slot};
use crate::source::hex;
use crate::steps::{BlockKind, Runbook, Step, StepKind};
use effects::Effect;

/// Which steps to plan.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Step ids (or unique suffixes) or section slugs.
    pub only: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Also plan the alternatives no choice variable decides (a rehearsal runs every form).
    pub every_alternative: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct PlanValue {
    pub name: String,
    pub secret: bool,
    /// Absent for secrets and missing values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub origin: Option<String>,
    pub kind: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct SecretDigest {
    pub name: String,
    /// HMAC-SHA256 of the value under the working copy's salt: tamper evidence, never the value.
    pub hmac: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Missing {
    pub name: String,
    /// `step-id:line` of each use.
    pub used_at: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RenderedBlock {
    pub kind: BlockKind,
    pub lang: String,
    pub file: Option<String>,
    pub line: usize,
    pub text: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct PlannedStep {
    pub id: String,
    pub number: Option<String>,
    pub title: String,
    pub section: String,
    /// The heading of the section, as the runbook writes it.
    pub section_title: String,
    pub line: usize,
    pub effect: Effect,
    pub flags: Vec<&'static str>,
    /// Why the step will not run, when it will not.
    pub skipped: Option<String>,
    pub status: &'static str,
    pub condition: Option<String>,
    pub alternative_of: Option<String>,
    #[serde(rename = "ref")]
    pub ref_to: Option<String>,
    /// The guide's words for a manual step.
    pub instructions: Option<String>,
    pub notes: Vec<String>,
    /// Secret environment variables this step's processes receive (names only).
    pub secret_env: Vec<String>,
    pub rendered: Vec<RenderedBlock>,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub steps: usize,
    pub effects: BTreeMap<&'static str, usize>,
    pub interactive: usize,
    pub prints_secrets: usize,
    pub skipped: usize,
    pub missing: usize,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Plan {
    pub path: String,
    pub sha256: String,
    pub values: Vec<PlanValue>,
    pub choices: Vec<PlanValue>,
    pub secrets: Vec<SecretDigest>,
    pub missing: Vec<Missing>,
    pub steps: Vec<PlannedStep>,
    pub summary: Summary,
    pub digest: String,
}

/// Build the plan. `salt` keys the secret HMACs (see the CLI: `.runbook/salt` or `--salt-file`).
pub fn build(
    rb: &Runbook,
    params: &Params,
    bindings: &[Binding],
    choices: &[Binding],
    selection: &Selection,
    salt: &[u8],
) -> Result<Plan, String> {
    let selected = select(rb, selection)?;
    let secret_env = secret_envs(params, bindings);
    let choice_values: HashMap<&str, &str> =
        choices.iter().filter_map(|b| b.value.as_deref().map(|v| (b.name.as_str(), v))).collect();
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut steps = Vec::new();
    for (i, step) in rb.steps.iter().enumerate() {
        if !selected[i] {
            continue;
        }
        let mut planned = plan_step(rb, params, bindings, &secret_env, &choice_values, i, step, &mut missing);
        if selection.every_alternative && undecided_alternative(step) {
            planned.skipped = None;
            planned.status = "planned";
        }
        steps.push(planned);
    }
    let values = params
        .placeholders
        .iter()
        .zip(bindings)
        .map(|(p, b)| PlanValue {
            name: p.name.clone(),
            secret: p.secret,
            value: if p.secret { None } else { b.value.clone() },
            origin: b.origin.as_ref().map(ToString::to_string).or_else(|| match &p.source {
                Source::User => None,
                Source::Capture { step } | Source::OutputOf { step } => Some(format!("capture from step {step}")),
                Source::FileOf { step } => Some(format!("file written by step {step}")),
            }),
            kind: p.kind.as_str().to_string(),
        })
        .collect();
    let choices_out = params
        .choices
        .iter()
        .zip(choices)
        .map(|(c, b)| PlanValue {
            name: c.name.clone(),
            secret: false,
            value: b.value.clone(),
            origin: b.origin.as_ref().map(ToString::to_string),
            kind: "choice".into(),
        })
        .collect();
    let secrets: Vec<SecretDigest> = params
        .placeholders
        .iter()
        .zip(bindings)
        .filter(|(p, b)| p.secret && b.value.is_some())
        .map(|(p, b)| SecretDigest {
            name: p.name.clone(),
            hmac: hex(&hmac_sha256(salt, b.value.as_deref().unwrap_or("").as_bytes())),
        })
        .collect();
    let missing: Vec<Missing> = missing.into_iter().map(|(name, used_at)| Missing { name, used_at }).collect();
    let summary = summarise(&steps, missing.len());
    let mut plan = Plan {
        path: rb.source.path.display().to_string(),
        sha256: rb.source.sha256(),
        values,
        choices: choices_out,
        secrets,
        missing,
        steps,
        summary,
        digest: String::new(),
    };
    plan.digest = digest(&plan);
    Ok(plan)
}

#[allow(clippy::too_many_arguments)]
fn plan_step(
    rb: &Runbook,
    params: &Params,
    bindings: &[Binding],
    secret_env: &HashMap<String, String>,
    choices: &HashMap<&str, &str>,
    index: usize,
    step: &Step,
    missing: &mut BTreeMap<String, Vec<String>>,
) -> PlannedStep {
    let (effect, flags, mut notes) = effects::step_effect(step);
    let skipped = skip_reason(rb, step, choices);
    if let Some(c) = step.condition.as_ref().filter(|c| c.when.is_none()) {
        notes.push(format!("conditional: \"{}\" (no choice variable decides it: decide before running)", c.text));
    }
    let fill = |name: &str| -> Fill {
        let Some(i) = params.placeholders.iter().position(|p| p.name == name) else {
            return Fill::Missing { name: name.to_string() };
        };
        let p = &params.placeholders[i];
        match (&bindings[i].value, &p.source) {
            (Some(_), _) if p.secret => Fill::Secret { name: name.to_string(), env: secret_env[name].clone() },
            (Some(v), _) => Fill::Value(v.clone()),
            (None, Source::Capture { step } | Source::OutputOf { step }) => {
                Fill::Captured { name: name.to_string(), step: step.clone() }
            }
            (None, Source::FileOf { .. }) => Fill::Value(file_name_of(p)),
            (None, Source::User) => Fill::Missing { name: name.to_string() },
        }
    };
    let mut rendered = Vec::new();
    let mut used_secrets: Vec<String> = Vec::new();
    for block in &step.blocks {
        let slots = block_slots(params, index, block);
        for s in &slots {
            match fill(&s.name) {
                Fill::Missing { name } if skipped.is_none() => {
                    let line = rb.source.line_col(block.map.to_source(s.start)).line;
                    let at = format!("{}:{line}", step.id);
                    let uses = missing.entry(name).or_default();
                    if !uses.contains(&at) {
                        uses.push(at);
                    }
                }
                Fill::Secret { env, .. } if !used_secrets.contains(&env) => used_secrets.push(env),
                _ => {}
            }
        }
        // A value the block reads through the variable it is exported as is used here too.
        if skipped.is_none() && matches!(block.kind, BlockKind::Command | BlockKind::Code) {
            for p in params.placeholders.iter().filter(|p| !p.exported_as.is_empty()) {
                if p.exported_as.iter().any(|var| crate::shell::mentions_var(&block.text, var))
                    && let Fill::Missing { name } = fill(&p.name)
                {
                    let at = format!("{}:{}", step.id, rb.source.line_col(block.content_start).line);
                    let uses = missing.entry(name).or_default();
                    if !uses.contains(&at) {
                        uses.push(at);
                    }
                }
            }
        }
        let lang = Lang::of(&block.lang, block.file.as_deref());
        let text = match render::render(&block.text, lang, &slots, &fill, Mode::Display) {
            Ok(r) => r.text,
            Err(e) => {
                notes.push(format!(
                    "block at line {} cannot be rendered safely: {}",
                    rb.source.line_col(block.span.start).line,
                    e.message
                ));
                block.text.clone()
            }
        };
        rendered.push(RenderedBlock {
            kind: block.kind,
            lang: block.lang.clone(),
            file: block.file.as_deref().map(written_name),
            line: rb.source.line_col(block.span.start).line,
            text,
        });
    }
    let instructions = (step.kind == StepKind::Manual || step.kind == StepKind::Ref).then(|| {
        step.prose
            .iter()
            .map(|span| {
                let text = rb.source.slice(*span);
                // Values go into the guide's words too (secrets as markers, never values).
                let mut slots: Vec<Slot> = params
                    .placeholders
                    .iter()
                    .flat_map(|p| p.uses.iter().map(move |u| (p, u)))
                    .filter(|(_, u)| !u.via_env && span.start <= u.span.start && u.span.end <= span.end)
                    .map(|(p, u)| Slot {
                        start: u.span.start - span.start,
                        end: u.span.end - span.start,
                        name: p.name.clone(),
                    })
                    .collect();
                slots.sort_by_key(|s| s.start);
                slots.dedup_by_key(|s| s.start);
                let shown = render::render(text, Lang::Text, &slots, &fill, Mode::Display)
                    .map_or_else(|_| text.to_string(), |r| r.text);
                shown.split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    PlannedStep {
        id: step.id.clone(),
        number: step.number.clone(),
        title: step.title.clone(),
        section: step.section.clone(),
        section_title: rb
            .sections
            .iter()
            .find(|x| x.slug == step.section)
            .map_or_else(String::new, |x| x.title.clone()),
        line: rb.source.line_col(step.span.start).line,
        effect,
        flags: flags.names(),
        status: if skipped.is_some() { "skipped" } else { "planned" },
        skipped,
        condition: step.condition.as_ref().map(|c| c.when.clone().unwrap_or_else(|| c.text.clone())),
        alternative_of: step.alternative_of.clone(),
        ref_to: step.ref_to.clone(),
        instructions,
        notes,
        secret_env: used_secrets,
        rendered,
    }
}

/// The placeholder occurrences inside one block of step `index`, as render slots.
pub fn block_slots(params: &Params, index: usize, block: &crate::steps::StepBlock) -> Vec<Slot> {
    let uses = params
        .placeholders
        .iter()
        .flat_map(|p| p.uses.iter().map(move |u| (p.name.as_str(), u)))
        .filter(|(_, u)| {
            u.step == Some(index) && !u.via_env && block.span.start <= u.span.start && u.span.end <= block.span.end
        })
        .map(|(name, u)| (name, u.span));
    render::slots_from_spans(&block.text, &block.map, uses)
}

/// The file name a file placeholder (`<json.file>`) stands for: its spelling without brackets.
/// The path a file block writes: its name, or a placeholder spelling such as `<json.file>`
/// without the brackets, so that it matches what [`file_name_of`] puts in the commands.
pub fn written_name(file: &str) -> String {
    file.trim_matches(['<', '>']).to_string()
}

pub fn file_name_of(p: &crate::params::Placeholder) -> String {
    p.variants.first().map_or_else(|| p.name.to_lowercase(), |v| v.trim_matches(['<', '>']).to_string())
}

/// An alternative that no choice variable decides (no `when`).
fn undecided_alternative(step: &Step) -> bool {
    step.alternative_of.is_some() && step.condition.as_ref().is_none_or(|c| c.when.is_none())
}

/// Why a step will not run: its `when` is false, or it is an alternative nobody chose.
fn skip_reason(rb: &Runbook, step: &Step, choices: &HashMap<&str, &str>) -> Option<String> {
    if let Some(when) = step.condition.as_ref().and_then(|c| c.when.as_deref()) {
        let (negated, expr) = when.strip_prefix('!').map_or((false, when), |e| (true, e));
        let (name, want) = expr.split_once('=').map_or((expr, "true"), |(n, v)| (n, v));
        let name = canonical(name);
        let actual = choices.get(name.as_str()).copied().unwrap_or("false");
        let holds = (actual == want) != negated;
        return (!holds).then(|| format!("condition `{when}` is false ({name}={actual})"));
    }
    if let Some(of) = &step.alternative_of
        && rb.step(of).is_some()
    {
        return Some(format!("alternative to `{of}`, not chosen"));
    }
    None
}

/// `RB_SECRET_n` for each secret with a value, numbered by name order (deterministic).
pub fn secret_envs(params: &Params, bindings: &[Binding]) -> HashMap<String, String> {
    params
        .placeholders
        .iter()
        .zip(bindings)
        .filter(|(p, b)| p.secret && b.value.is_some())
        .enumerate()
        .map(|(n, (p, _))| (p.name.clone(), format!("RB_SECRET_{}", n + 1)))
        .collect()
}

/// Steps kept by the selection, by index.
fn select(rb: &Runbook, sel: &Selection) -> Result<Vec<bool>, String> {
    let find = |id: &str| -> Result<usize, String> {
        if let Some(i) = rb.steps.iter().position(|s| s.id == id) {
            return Ok(i);
        }
        let hits: Vec<usize> = rb
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.id.ends_with(id) && s.id.len() > id.len())
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!("no step `{id}`")),
            _ => Err(format!(
                "`{id}` matches several steps: {}",
                hits.iter().map(|&i| rb.steps[i].id.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    };
    let n = rb.steps.len();
    let mut keep = vec![true; n];
    if !sel.only.is_empty() {
        keep = vec![false; n];
        for item in &sel.only {
            let in_section: Vec<usize> = (0..n).filter(|&i| section_within(rb, &rb.steps[i].section, item)).collect();
            if in_section.is_empty() {
                keep[find(item)?] = true;
            } else {
                for i in in_section {
                    keep[i] = true;
                }
            }
        }
    }
    let from = sel.from.as_deref().map(find).transpose()?.unwrap_or(0);
    let to = sel.to.as_deref().map(find).transpose()?.unwrap_or(n.saturating_sub(1));
    for (i, k) in keep.iter_mut().enumerate() {
        *k &= i >= from && i <= to;
    }
    Ok(keep)
}

/// Whether section `slug` is `target` or nested in it.
/// Whether section `slug` is `target` or one of its subsections.
pub fn section_within(rb: &Runbook, slug: &str, target: &str) -> bool {
    let mut cur = Some(slug.to_string());
    while let Some(s) = cur {
        if s == target {
            return true;
        }
        cur = rb.sections.iter().find(|x| x.slug == s).and_then(|x| x.parent.clone());
    }
    false
}

fn summarise(steps: &[PlannedStep], missing: usize) -> Summary {
    let mut s = Summary { steps: steps.len(), missing, ..Summary::default() };
    for step in steps {
        if step.skipped.is_some() {
            s.skipped += 1;
            continue;
        }
        *s.effects.entry(step.effect.as_str()).or_default() += 1;
        s.interactive += usize::from(step.flags.contains(&"interactive"));
        s.prints_secrets += usize::from(step.flags.contains(&"prints-secrets"));
    }
    s
}

/// SHA-256 over the runbook bytes, the non-secret values, the secret HMACs and the rendered
/// steps, in order. Captured values are not part of it (they are known only at run time).
fn digest(plan: &Plan) -> String {
    let mut h = Sha256::new();
    h.update(plan.sha256.as_bytes());
    for v in plan.values.iter().chain(&plan.choices) {
        if let Some(value) = &v.value {
            h.update(format!("\0value\0{}\0{}", v.name, value).as_bytes());
        }
    }
    for s in &plan.secrets {
        h.update(format!("\0secret\0{}\0{}", s.name, s.hmac).as_bytes());
    }
    for step in &plan.steps {
        h.update(format!("\0step\0{}\0{}\0{:?}", step.id, step.status, step.skipped).as_bytes());
        for b in &step.rendered {
            h.update(b.text.as_bytes());
            h.update(b"\0");
        }
    }
    hex(&h.finalize())
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
