//! CLI tests: one binary, one module per area. Every test runs the real `runbook` binary.

mod errors;
mod readme;
mod reference_guide;
mod steps;
mod support;
mod vars;
