//! Rules of the `secrets` group.

use crate::lint::Rule;

mod external_key_without_rotation;
mod hard_coded_credential;
mod secret_in_arguments;
mod secret_in_manifest_env;
mod secret_printed_or_logged;
pub(crate) mod util;

/// The rules of this group.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &hard_coded_credential::RULE,
        &secret_printed_or_logged::RULE,
        &secret_in_arguments::RULE,
        &secret_in_manifest_env::RULE,
        &external_key_without_rotation::RULE,
    ]
}
