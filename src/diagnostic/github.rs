//! `--format github`: GitHub Actions workflow commands, one per finding:
//! `::error file=PATH,line=L,col=C,endLine=L,endColumn=C,title=RB401 unknown-cf-command::MESSAGE`.

use std::fmt::Write;

use super::{FileReport, Severity, range};

pub fn render(files: &[FileReport<'_>]) -> String {
    let mut out = String::new();
    for f in files {
        for l in f.lints {
            let (start, end) = range(f.source, &l.diagnostic);
            let level = match l.diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut message = l.diagnostic.message.clone();
            if let Some(help) = &l.diagnostic.help {
                let _ = write!(message, "\nhelp: {help}");
            }
            let _ = writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                property(&f.source.path.display().to_string()),
                start.line,
                start.column,
                end.line,
                end.column,
                property(&format!("{} {}", l.rule.code, l.rule.name)),
                data(&message)
            );
        }
    }
    out
}

/// Escaping for the message part.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping for a property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::data("50%\nnext"), "50%25%0Anext");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
