//! Placeholders and values.

pub mod kinds;
pub mod values;
