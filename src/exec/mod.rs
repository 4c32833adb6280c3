//! The only module that spawns processes.

pub mod capture;
pub mod expect;
pub mod process;
pub mod python;
pub mod python_check;
pub mod redact;
pub mod run;
pub mod state;
