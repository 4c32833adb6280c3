//! Rules of the `commands` group.

use crate::lint::Rule;

mod cf_argument_count;
mod shell_syntax_error;
mod substitution_around_data;
mod unbalanced_quotes;
mod unknown_cf_command;
mod unknown_cf_flag;
pub(crate) mod util;

/// The rules of this group.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &unknown_cf_command::RULE,
        &cf_argument_count::RULE,
        &unknown_cf_flag::RULE,
        &substitution_around_data::RULE,
        &unbalanced_quotes::RULE,
        &shell_syntax_error::RULE,
    ]
}
