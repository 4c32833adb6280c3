//! Plans: values and steps → a deterministic, reviewable dry run.

pub mod effects;
