//! CLI tests: one binary, one module per area. Every test runs the real `runbook` binary.

mod check;
mod errors;
mod plan;
mod readme;
mod recall;
mod reference_check;
mod reference_guide;
mod rehearse;
mod rules;
mod run;
mod run_safety;
mod steps;
mod support;
mod vars;
mod walk;
