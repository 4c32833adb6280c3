//! Rules of the `python` group.

use crate::lint::Rule;

/// The rules of this group.
pub fn rules() -> Vec<&'static Rule> {
    vec![]
}
