//! Substitution of values into code blocks, quoted for the language they land in.
