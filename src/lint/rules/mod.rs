//! The rule registry: every rule, one file each, grouped by code (`RB1xx` structure, `RB2xx`
//! placeholders, `RB3xx` config, `RB4xx` commands, `RB5xx` secrets, `RB6xx` Python).

pub mod commands;
pub mod config;
pub mod meta;
pub mod placeholders;
pub mod python;
pub mod secrets;
pub mod structure;

use super::Rule;

/// Every rule, ordered by code.
pub fn all() -> Vec<&'static Rule> {
    let mut v: Vec<&'static Rule> = vec![&meta::UNUSED_SUPPRESSION, &meta::INVALID_RUNBOOK_SYNTAX];
    v.extend(structure::rules());
    v.extend(placeholders::rules());
    v.extend(config::rules());
    v.extend(commands::rules());
    v.extend(secrets::rules());
    v.extend(python::rules());
    v.sort_by_key(|r| r.code);
    v
}

/// A rule by code or name.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}
