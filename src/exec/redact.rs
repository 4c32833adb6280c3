//! Redaction of secrets in output streams (being written).
