//! The Python syntax pre-pass for `check`.
