//! Effects of steps and commands.
