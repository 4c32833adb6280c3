//! Placeholder rules (RB2xx): the findings of the `params` stage, one rule each, plus values
//! that are invalid for their kind.

mod inconsistent_spelling;
mod invalid_value;
mod near_miss_placeholder;
mod one_name_two_things;
mod placeholder_with_whitespace;
mod two_names_one_thing;
mod undefined_choice;
mod undefined_placeholder;
mod unknown_kind;
mod unused_definition;

use crate::lint::{LintContext, Report, Rule};
use crate::params::FindingKind;

/// The rules of this group.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &undefined_placeholder::RULE,
        &unused_definition::RULE,
        &inconsistent_spelling::RULE,
        &placeholder_with_whitespace::RULE,
        &near_miss_placeholder::RULE,
        &two_names_one_thing::RULE,
        &one_name_two_things::RULE,
        &undefined_choice::RULE,
        &unknown_kind::RULE,
        &invalid_value::RULE,
    ]
}

/// Report the `params` findings of one kind.
fn report_findings(ctx: &LintContext<'_>, report: &mut Report, kind: FindingKind) {
    for f in ctx.params.findings.iter().filter(|f| f.kind == kind) {
        let finding = report.add(f.span, f.message.clone());
        if let Some(help) = &f.help {
            finding.help(help.clone());
        }
    }
}
