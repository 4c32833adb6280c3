//! Python blocks: one interpreter per level-2 section (`exec::python`), started at the
//! section's first Python step with the secrets and exported values its blocks read.

use std::ffi::OsString;

use super::output::{Collected, Forward};
use super::{Failure, Runner, Status, Ui, human_duration};
use crate::exec::python::{self, BlockEnding};
use crate::render::{Lang, Mode};
use crate::steps::{BlockKind, Step, StepBlock};

impl Runner<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn python_block(
        &mut self,
        index: usize,
        step: &Step,
        block: &StepBlock,
        ui: &mut dyn Ui,
        hold: bool,
        out: &mut Collected,
        raw_stdout: &mut Vec<u8>,
    ) -> Result<Option<i32>, Failure> {
        let rendered = self.render(index, block, Mode::Execute)?;
        let section = self.rb.namespace(&step.section);
        let path_md = self.rb.source.path.display().to_string();
        let first_line = self.line_of(block.content_start);
        if self.python.as_ref().is_none_or(|(s, session)| *s != section || !session.alive()) {
            if let Some((_, old)) = self.python.take() {
                old.close(&mut |_, _| {});
            }
            let env = self.python_env(&section);
            self.sessions += 1;
            let session = python::Session::start(
                &self.opts.python,
                env,
                &self.opts.workdir,
                &self.opts.private,
                self.sessions,
                self.interrupt,
            )
            .map_err(|e| {
                Failure::new(Status::Failed, format!("cannot start Python for {path_md}:{first_line}: {e}"))
            })?;
            self.python = Some((section, session));
        }
        for (_, var) in &rendered.secret_refs {
            if !self.python_has(var) {
                return Err(Failure::new(
                    Status::Failed,
                    format!(
                        "{path_md}:{first_line}: the value in `{var}` was captured after this section's Python \
                         interpreter started: capture it before the section's first Python step"
                    ),
                ));
            }
        }
        let Some((_, session)) = self.python.as_mut() else {
            return Err(Failure::new(Status::Failed, "no Python interpreter".into()));
        };
        let mut forward = Forward::new(&self.redactor, hold);
        let ending =
            session.run_block(&rendered.text, &path_md, first_line, self.opts.timeout, self.interrupt, &mut |s, b| {
                forward.chunk(s, b, out, raw_stdout, ui);
            });
        forward.finish(out, ui);
        match ending {
            BlockEnding::Answered(a) if a.ok => Ok(None),
            BlockEnding::Answered(a) => {
                let line = a.line.unwrap_or(first_line);
                let what = match (a.error.as_deref(), a.message.as_deref()) {
                    (Some(e), Some(m)) if !m.is_empty() => format!("{e}: {}", self.redactor.redact(m)),
                    (Some(e), _) => e.to_string(),
                    _ => "an exception".to_string(),
                };
                let mut f = Failure::new(Status::Failed, format!("failed at {path_md}:{line}: {what}"));
                f.line = Some(line);
                Err(f)
            }
            BlockEnding::Died(code) => {
                self.python = None;
                let mut f = Failure::new(
                    Status::Failed,
                    format!(
                        "the Python interpreter ended during {path_md}:{first_line}{}",
                        code.map_or_else(String::new, |c| format!(" (exit status {c})"))
                    ),
                );
                f.exit_code = code;
                Err(f)
            }
            BlockEnding::TimedOut => {
                self.python = None;
                Err(Failure::new(
                    Status::TimedOut,
                    format!(
                        "timed out after {} at {path_md}:{first_line}; the section's Python interpreter was killed",
                        human_duration(self.opts.timeout)
                    ),
                ))
            }
            BlockEnding::Interrupted => {
                self.python = None;
                Err(Failure::new(Status::Interrupted, format!("interrupted at {path_md}:{first_line}")))
            }
        }
    }

    /// Environment of a section's interpreter: secrets and exports that any of its Python
    /// blocks references, with the values known now.
    pub(super) fn python_env(&self, section: &str) -> Vec<(OsString, OsString)> {
        let mut refs: Vec<(String, String)> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        for (i, s) in self.rb.steps.iter().enumerate() {
            if self.rb.namespace(&s.section) != section {
                continue;
            }
            for b in &s.blocks {
                if b.kind != BlockKind::Code || Lang::of(&b.lang, b.file.as_deref()) != Lang::Python {
                    continue;
                }
                if let Ok(r) = self.render(i, b, Mode::Display) {
                    for pair in r.secret_refs {
                        if !refs.contains(&pair) {
                            refs.push(pair);
                        }
                    }
                }
                texts.push(b.text.clone());
            }
        }
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.child_env(&refs, &texts)
    }

    pub(super) fn python_has(&self, var: &str) -> bool {
        // The interpreter's environment was fixed when it started.
        self.python.as_ref().is_some_and(|(_, session)| session.has_env(var))
    }
}
