//! The only module that spawns processes.

pub mod expect;
pub mod python_check;
pub mod redact;
pub mod process;
pub mod python;
pub mod capture;
pub mod state;
pub mod run;
