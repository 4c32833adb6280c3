//! `run --plan`: whether a reviewed JSON plan still matches the plan made now, and if not, what
//! changed (the runbook, which values, which steps), like a stale Terraform plan.

use std::path::Path;

use crate::plan::Plan;

/// Why a reviewed plan no longer matches, or `None` when it does.
pub fn stale_plan(path: &Path, plan: &Plan) -> Result<Option<String>, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, &e))?;
    let old: serde_json::Value = serde_json::from_str(&text).map_err(|e| crate::Error::BadPlan {
        path: path.to_path_buf(),
        line: e.line(),
        message: format!("not a JSON plan: {e}"),
    })?;
    let digest = old.get("digest").and_then(|d| d.as_str()).ok_or_else(|| crate::Error::BadPlan {
        path: path.to_path_buf(),
        line: 1,
        message: "not a JSON plan: no `digest`".into(),
    })?;
    if digest == plan.digest {
        return Ok(None);
    }
    let mut why = Vec::new();
    if old.pointer("/runbook/sha256").and_then(|v| v.as_str()) != Some(plan.sha256.as_str()) {
        why.push("the runbook has been edited".to_string());
    }
    let values = |v: &serde_json::Value, key: &str| -> Vec<(String, String)> {
        v.get(key)
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| {
                        let name = x.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
                        let value =
                            x.get("value").or_else(|| x.get("hmac")).map(ToString::to_string).unwrap_or_default();
                        (name, value)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let now = serde_json::to_value(&plan.values).unwrap_or_default();
    let now = serde_json::json!({"values": now, "choices": plan.choices, "secrets": plan.secrets});
    let mut changed: Vec<String> = Vec::new();
    for key in ["values", "choices", "secrets"] {
        let a = values(&old, key);
        let b = values(&now, key);
        for (name, v) in &b {
            if a.iter().find(|(n, _)| n == name).map(|(_, x)| x) != Some(v) && !changed.contains(name) {
                changed.push(name.clone());
            }
        }
        for (name, _) in &a {
            if !b.iter().any(|(n, _)| n == name) && !changed.contains(name) {
                changed.push(name.clone());
            }
        }
    }
    if !changed.is_empty() {
        why.push(format!(
            "values changed: {}",
            changed.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let old_steps: Vec<(String, String)> = old
        .get("steps")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .map(|s| {
                    let id = s.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    let body = format!(
                        "{}{}",
                        s.get("rendered").map(ToString::to_string).unwrap_or_default(),
                        s.get("skipped").map(ToString::to_string).unwrap_or_default()
                    );
                    (id, body)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut steps: Vec<String> = Vec::new();
    for s in &plan.steps {
        let body = format!(
            "{}{}",
            serde_json::to_value(&s.rendered).map(|v| v.to_string()).unwrap_or_default(),
            serde_json::to_value(&s.skipped).map(|v| v.to_string()).unwrap_or_default()
        );
        if old_steps.iter().find(|(id, _)| *id == s.id).map(|(_, b)| b) != Some(&body) {
            steps.push(s.id.clone());
        }
    }
    for (id, _) in &old_steps {
        if !plan.steps.iter().any(|s| s.id == *id) && !steps.contains(id) {
            steps.push(id.clone());
        }
    }
    if !steps.is_empty() {
        let shown: Vec<String> = steps.iter().take(8).map(|s| format!("`{s}`")).collect();
        let more = if steps.len() > 8 { format!(" and {} more", steps.len() - 8) } else { String::new() };
        why.push(format!("steps differ: {}{more}", shown.join(", ")));
    }
    if why.is_empty() {
        why.push("its digest does not match this run's plan".into());
    }
    Ok(Some(format!("{}; make and review a new plan", why.join("; "))))
}
