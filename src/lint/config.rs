//! Rule selection: `--select`/`--ignore` by code, prefix or name, and `runbook.toml`.
