//! `--format concise`: one line per finding, `path:line:column: severity[CODE] message`.

use std::fmt::Write;

use super::{FileReport, range};

pub fn render(files: &[FileReport<'_>]) -> String {
    let mut out = String::new();
    for f in files {
        for l in f.lints {
            let (start, _) = range(f.source, &l.diagnostic);
            let _ = writeln!(
                out,
                "{}:{}:{}: {}[{}] {}",
                f.source.path.display(),
                start.line,
                start.column,
                l.diagnostic.severity.as_str(),
                l.rule.code,
                l.diagnostic.message
            );
        }
    }
    out
}
