//! `--format junit`: JUnit XML. One test suite per file; one failing test case per finding,
//! or one passing test case for a clean file.

use std::fmt::Write;

use super::{FileReport, range};

pub fn render(files: &[FileReport<'_>]) -> String {
    let total: usize = files.iter().map(|f| f.lints.len().max(1)).sum();
    let failures: usize = files.iter().map(|f| f.lints.len()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"runbook check\" tests=\"{total}\" failures=\"{failures}\">");
    for f in files {
        let path = escape(&f.source.path.display().to_string());
        let n = f.lints.len();
        let _ = writeln!(out, "  <testsuite name=\"{path}\" tests=\"{}\" failures=\"{n}\">", n.max(1));
        if n == 0 {
            let _ = writeln!(out, "    <testcase name=\"{path}\" classname=\"runbook.check\"/>");
        }
        for l in f.lints {
            let (start, _) = range(f.source, &l.diagnostic);
            let _ = writeln!(
                out,
                "    <testcase name=\"{}:{}:{} {}\" classname=\"runbook.{}\">",
                path, start.line, start.column, l.rule.code, l.rule.name
            );
            let mut body =
                format!("{}:{}:{}: {}", f.source.path.display(), start.line, start.column, l.diagnostic.message);
            if let Some(help) = &l.diagnostic.help {
                let _ = write!(body, "\nhelp: {help}");
            }
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                l.rule.code,
                escape(&l.diagnostic.message),
                escape(&body)
            );
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
