//! `runbook`: turn a Markdown operations guide into an executable, checkable runbook.
//!
//! The stages, each in its own module, talk only through their types:
//! `source` → `markdown` → `steps` → (params → lint → plan → exec → transcript).

pub mod annotation;
pub mod cf;
pub mod cli;
pub mod diagnostic;
pub mod embedded;
pub mod error;
pub mod exec;
pub mod frontmatter;
pub mod lint;
pub mod markdown;
pub mod params;
pub mod plan;
pub mod rehearse;
pub mod render;
pub mod shell;
pub mod source;

pub use error::Error;
pub use source::{SourceFile, Span};
pub mod steps;
pub mod transcript;
pub mod walk;
