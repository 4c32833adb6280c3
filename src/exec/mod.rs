//! The only module that spawns processes.

pub mod python_check;
