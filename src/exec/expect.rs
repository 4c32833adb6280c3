//! Comparison of a step's real output with the runbook's sample (being written).
