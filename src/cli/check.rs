//! `runbook check FILE...` and `runbook rules [RULE]`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostic::{self, FileReport, Severity, Styles};
use crate::lint::config::{self, Config};
use crate::lint::{self, Lint, LintContext, PythonResult, rules};
use crate::params::values::Given;
use crate::source::SourceFile;
use crate::steps::Runbook;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
    Junit,
}

pub struct Options {
    pub files: Vec<PathBuf>,
    pub format: CheckFormat,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub deny_warnings: bool,
    pub config: Option<PathBuf>,
    pub no_python: bool,
    pub python: String,
}

/// The outcome: rendered text for stdout, notes for stderr, and whether it fails.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub failed: bool,
}

pub fn run(opts: &Options, given: &[Given]) -> Result<Outcome, crate::Error> {
    let all = rules::all();
    let mut sources = Vec::with_capacity(opts.files.len());
    for path in &opts.files {
        sources.push(SourceFile::read(path)?);
    }
    let configs: Vec<Config> =
        sources.iter().map(|s| load_config(opts.config.as_deref(), &s.path)).collect::<Result<_, _>>()?;
    for cfg in &configs {
        let mut sel = cfg.selection.clone();
        sel.merge_cli(&opts.select, &opts.ignore);
        if let Some(bad) = sel.unknown_selectors(&all).first() {
            return Err(crate::Error::UnknownRule { name: (*bad).to_string(), message: "see `runbook rules`".into() });
        }
    }
    let runbooks: Vec<Runbook> = sources.into_iter().map(Runbook::from_source).collect();
    let mut stderr = String::new();
    let python = python_results(&runbooks, opts, &mut stderr);

    // Lint files in parallel; results keep the order the files were given in.
    let lints: Vec<Vec<Lint>> = std::thread::scope(|scope| {
        let handles: Vec<_> = runbooks
            .iter()
            .zip(&configs)
            .zip(&python)
            .map(|((rb, cfg), py)| scope.spawn(move || lint_one(rb, cfg, py, &opts.select, &opts.ignore, given)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let files: Vec<FileReport<'_>> =
        runbooks.iter().zip(&lints).map(|(rb, l)| FileReport { source: &rb.source, lints: l }).collect();
    let worst = lints.iter().flatten().map(|l| l.diagnostic.severity).max();
    let failed = match worst {
        Some(Severity::Error) => true,
        Some(Severity::Warning) => opts.deny_warnings,
        _ => false,
    };
    let stdout = match opts.format {
        CheckFormat::Human => human(&files),
        CheckFormat::Concise => diagnostic::concise::render(&files),
        CheckFormat::Json => diagnostic::json::render(&files),
        CheckFormat::Sarif => diagnostic::sarif::render(&files, &all),
        CheckFormat::Github => diagnostic::github::render(&files),
        CheckFormat::Junit => diagnostic::junit::render(&files),
    };
    Ok(Outcome { stdout, stderr, failed })
}

/// Lint one runbook under its configuration, with command-line selectors on top.
pub(super) fn lint_one(
    rb: &Runbook,
    cfg: &Config,
    python: &[PythonResult],
    select: &[String],
    ignore: &[String],
    given: &[Given],
) -> Vec<Lint> {
    let params = crate::params::analyse(rb);
    let (bindings, _, _) = crate::params::bind(&params, given);
    let read_only_apps = lint::read_only_apps(rb, &cfg.read_only_apps);
    let ctx =
        LintContext { runbook: rb, params: &params, bindings: &bindings, python, read_only_apps: &read_only_apps };
    let mut selection = cfg.selection.clone();
    selection.merge_cli(select, ignore);
    lint::run(&ctx, &selection)
}

/// `--config FILE`, else `runbook.toml` beside the runbook, else defaults.
pub(super) fn load_config(explicit: Option<&Path>, runbook: &Path) -> Result<Config, crate::Error> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let beside = runbook.parent().unwrap_or(Path::new(".")).join("runbook.toml");
            if !beside.is_file() {
                return Ok(Config::default());
            }
            beside
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| crate::Error::io(&path, &e))?;
    config::parse(&text).map_err(|(line, message)| crate::Error::BadConfig { path, line, message })
}

fn python_results(runbooks: &[Runbook], opts: &Options, stderr: &mut String) -> Vec<Vec<PythonResult>> {
    let refs: Vec<&Runbook> = runbooks.iter().collect();
    if !opts.no_python {
        match crate::exec::python_check::check_many(&refs, &opts.python) {
            Ok(results) => return results,
            Err(e) => {
                let _ = writeln!(stderr, "note: {e}; using the coarse built-in Python syntax check");
            }
        }
    }
    runbooks.iter().map(crate::exec::python_check::check_coarse).collect()
}

fn human(files: &[FileReport<'_>]) -> String {
    let styles = Styles::colored();
    let mut out = String::new();
    for f in files {
        for l in f.lints {
            out.push_str(&diagnostic::render_lint_human(f.source, l, styles));
            out.push('\n');
        }
    }
    let s = diagnostic::json::summary(files);
    let plural = |n: usize, w: &str| if n == 1 { format!("{n} {w}") } else { format!("{n} {w}s") };
    let files_word = plural(s.files, "file");
    if s.errors + s.warnings + s.infos == 0 {
        let _ = writeln!(out, "{files_word} checked: no findings");
    } else {
        let _ = writeln!(
            out,
            "{files_word} checked: {}, {}, {}",
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info")
        );
    }
    out
}

/// `runbook rules`: the table; `runbook rules RB401`: one rule's documentation.
pub fn rules_text(rule: Option<&str>) -> Result<String, crate::Error> {
    let mut out = String::new();
    match rule {
        None => {
            for r in rules::all() {
                let _ = writeln!(
                    out,
                    "{:<6} {:<34} {:<8} {:<13} {}",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.group.as_str(),
                    r.summary
                );
            }
        }
        Some(name) => {
            let r = rules::find(name).ok_or_else(|| crate::Error::UnknownRule {
                name: name.to_string(),
                message: "see `runbook rules`".into(),
            })?;
            let _ = writeln!(out, "# {} `{}`\n", r.code, r.name);
            let _ = writeln!(out, "Group: {}. Default severity: {}.\n", r.group.as_str(), r.severity.as_str());
            let _ = writeln!(out, "{}\n", r.summary);
            out.push_str(r.doc);
        }
    }
    Ok(out)
}
