//! RB105 `missing-local-file`: a link or image to a local path that does not exist.
//!
//! The one rule that touches the file system: it reads file metadata (and, for a suggestion,
//! the listing of the target's directory). It never opens, writes or creates anything.
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::{Group, LintContext, Report, Rule};

pub static RULE: Rule = Rule {
    code: "RB105",
    name: "missing-local-file",
    group: Group::Structure,
    severity: Severity::Warning,
    summary: "a link or image points to a local file that does not exist",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks\n\n\
Links and images whose destination is a local path (not `http:`, `https:`, `mailto:` or any \
other scheme, not `#anchor`, not `/`-rooted) must name a file or directory that exists, relative \
to the directory of the Markdown file. A `?query` or `#fragment` is ignored, `%20` escapes are \
decoded, and a file that a step of the runbook writes (`{file=…}`) counts as existing. When a \
file with a similar name exists in the same directory, the help names it.\n\n\
This rule is the only one that looks at the file system: it reads file metadata and directory \
listings beside the guide, nothing else. Paths are resolved against the directory of the file \
as it was given on the command line.\n\n\
## Why it matters\n\n\
A missing image shows as a broken icon (or nothing at all for `![](…)`), and a missing linked \
file leaves the reader without the script, screenshot or template the step depends on. Typos \
in file names (`envrionments.png`) are easy to make and invisible in the Markdown source.\n\n\
## Example\n\n\
```markdown\n\
![New environment form](images/new-enviroment.png)\n\
```\n\n\
## Use instead\n\n\
```markdown\n\
![New environment form](images/new-environment.png)\n\
```\n";

/// `scheme:` at the start of a destination (`https:`, `mailto:`, `data:`, `tel:`).
static SCHEME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:").unwrap());

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    let rb = ctx.runbook;
    let base = rb.source.path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let written: Vec<String> =
        rb.steps.iter().flat_map(|s| &s.blocks).filter_map(|b| b.file.as_deref()).map(normalise).collect();
    for link in &rb.document.links {
        let Some(path) = local_path(&link.dest) else { continue };
        if written.contains(&normalise(&path)) {
            continue;
        }
        let target = base.join(&path);
        if target.exists() {
            continue;
        }
        let what = if link.image { "image" } else { "linked file" };
        let finding =
            report.add(super::dest_span(&rb.source, link), format!("{what} `{path}` does not exist beside this guide"));
        match similar_file(&target) {
            Some(name) => {
                let suggestion = Path::new(&path).with_file_name(name);
                finding.help(format!("did you mean `{}`?", suggestion.display()))
            }
            None => finding.help("fix the path (it is relative to the guide's directory) or add the file"),
        };
    }
}

/// The local path a destination names, without query or fragment; `None` for web addresses,
/// other schemes, anchors, rooted paths and placeholders.
fn local_path(dest: &str) -> Option<String> {
    let dest = dest.trim();
    if dest.is_empty()
        || dest.starts_with(['#', '/', '\\', '?'])
        || SCHEME.is_match(dest)
        || dest.contains(['<', '>', '{', '}', '$'])
    {
        return None;
    }
    let path = dest.split(['?', '#']).next().unwrap_or("");
    let path = super::percent_decode(path);
    (!path.is_empty()).then_some(path)
}

/// `./a/../b.png` → `b.png`, for comparing with the files the runbook writes.
fn normalise(path: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(path.trim()).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            c => parts.push(c.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

/// A file of the target's directory whose name is a near miss of the target's name.
fn similar_file(target: &Path) -> Option<String> {
    let name = target.file_name()?.to_str()?.to_lowercase();
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let entries = std::fs::read_dir(dir).ok()?;
    let limit = (name.chars().count() / 5).clamp(1, 3);
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .map(|n| (strsim::damerau_levenshtein(&name, &n.to_lowercase()), n))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{LintContext, Report};
    use crate::source::SourceFile;
    use crate::steps::Runbook;

    /// Run the rule on a guide that sits in `dir`.
    fn run(dir: &Path, text: &str) -> Vec<(String, String, Option<String>)> {
        let rb = Runbook::from_source(SourceFile::new(dir.join("guide.md"), text));
        let params = crate::params::analyse(&rb);
        let (bindings, _, _) = crate::params::bind(&params, &[]);
        let ctx = LintContext { runbook: &rb, params: &params, bindings: &bindings, python: &[], read_only_apps: &[] };
        let mut report = Report::default();
        (RULE.check)(&ctx, &mut report);
        report.findings.into_iter().map(|f| (rb.source.slice(f.span).to_string(), f.message, f.help)).collect()
    }

    fn dir_with_files() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("images")).unwrap();
        std::fs::write(dir.path().join("images/github-environments.png"), b"").unwrap();
        std::fs::write(dir.path().join("setup script.sh"), b"").unwrap();
        dir
    }

    #[test]
    fn missing_image_with_a_suggestion() {
        let dir = dir_with_files();
        let f = run(dir.path(), "# G\n\n![](images/github-envrionments.png)\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, "images/github-envrionments.png");
        assert_eq!(f[0].1, "image `images/github-envrionments.png` does not exist beside this guide");
        assert_eq!(f[0].2.as_deref(), Some("did you mean `images/github-environments.png`?"));
    }

    #[test]
    fn missing_link_without_a_near_name() {
        let dir = dir_with_files();
        let f = run(dir.path(), "# G\n\nSee [the notes](docs/notes.md#setup).\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].1, "linked file `docs/notes.md` does not exist beside this guide");
        assert!(f[0].2.as_deref().unwrap().starts_with("fix the path"));
    }

    #[test]
    fn existing_remote_and_written_targets_are_fine() {
        let dir = dir_with_files();
        let text = "# G\n\n![](images/github-environments.png) [s](setup%20script.sh?raw=1) [d](./images/) \
                    [w](https://example.com/x.png) [m](mailto:a@example.com) [a](#g) [r](/docs/x.md) \
                    [c](config.yml)\n\nWrite `config.yml`:\n\n```yaml\na: 1\n```\n";
        let f = run(dir.path(), text);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn local_paths() {
        assert_eq!(local_path("a/b.png?x=1#y").as_deref(), Some("a/b.png"));
        assert_eq!(local_path("HTTPS://x"), None);
        assert_eq!(local_path("tel:123"), None);
        assert_eq!(local_path("my%20file.md").as_deref(), Some("my file.md"));
        assert_eq!(normalise("./a/../b.png"), "b.png");
    }
}
