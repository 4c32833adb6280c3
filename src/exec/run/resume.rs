//! What a run needs from earlier runs and selections: the steps a selection leaves out although
//! a selected step needs them, the state saved after every step, and the secret captures a
//! resumed run obtains again (never stored).

use std::collections::{BTreeMap, HashMap};

use super::{Quiet, Runner, Status, Ui};
use crate::params::Source;
use crate::plan::effects::Effect;

impl Runner<'_> {
    /// Steps of the plan that a selected step needs (a capture or a file) but the selection
    /// leaves out; the message names both steps.
    pub fn missing_prerequisites(&self) -> Vec<String> {
        let selected: HashMap<&str, usize> = self
            .plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.skipped.is_none())
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut problems = Vec::new();
        for (pos, ps) in self.plan.steps.iter().enumerate() {
            if ps.skipped.is_some() || self.state.is_finished(&ps.id) {
                continue;
            }
            let Some(index) = self.rb.steps.iter().position(|s| s.id == ps.id) else { continue };
            for p in &self.params.placeholders {
                if !p.uses.iter().any(|u| u.step == Some(index)) || self.values.contains_key(&p.name) {
                    continue;
                }
                let (from, what) = match &p.source {
                    Source::Capture { step } => (step, "captures"),
                    Source::FileOf { step } => {
                        if self.opts.workdir.join(crate::plan::file_name_of(p)).exists() {
                            continue;
                        }
                        (step, "writes the file")
                    }
                    _ => continue,
                };
                if from == &ps.id || selected.get(from.as_str()).is_some_and(|&i| i < pos) {
                    continue;
                }
                if self.state.secret_captures.contains(&p.name) && self.state.is_finished(from) {
                    continue;
                }
                let msg = format!(
                    "step `{}` needs `{}`, which step `{from}` {what}, but the selection leaves `{from}` out: \
                     include it (for example `--from {from}`)",
                    ps.id, p.name
                );
                if !problems.contains(&msg) {
                    problems.push(msg);
                }
            }
        }
        problems
    }

    pub(super) fn save_state(&mut self, ui: &mut dyn Ui) {
        let Some(dir) = &self.state_dir else { return };
        self.state.values = self
            .values
            .iter()
            .filter(|(_, v)| !v.secret)
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect::<BTreeMap<_, _>>();
        if let Err(e) = self.state.save(dir) {
            ui.note(&format!("warning: {e}"));
        }
    }

    /// On resume: secret captures of finished steps are not in the state. Re-run their step when
    /// it only reads (effect `read` or `none`), else ask for the value on a terminal.
    pub fn reobtain_secret_captures(&mut self, ui: &mut dyn Ui) {
        let needed: Vec<String> =
            self.state.secret_captures.iter().filter(|n| !self.values.contains_key(*n)).cloned().collect();
        let mut rerun: Vec<String> = Vec::new();
        for name in needed {
            let Some(cap) = self.rb.front_matter.captures.iter().find(|c| c.name == name) else { continue };
            let from = cap.from.clone();
            let read_only =
                self.plan.steps.iter().any(|s| s.id == from && matches!(s.effect, Effect::Read | Effect::None));
            if read_only {
                if !rerun.contains(&from) {
                    rerun.push(from);
                }
            } else if self.opts.terminal
                && let Some(v) = ui.secret(&name, &format!("captured by step `{from}` in the earlier run"))
            {
                self.capture_value(&name, v, true);
            }
        }
        for id in rerun {
            let Some(ps) = self.plan.steps.iter().find(|s| s.id == id).cloned() else { continue };
            let ps = &ps;
            ui.note(&format!("re-running step `{id}` (it only reads) to obtain its secret captures again"));
            let quiet = &mut Quiet;
            let record = self.step(ps, quiet);
            if record.status != Status::Ok {
                ui.note(&format!(
                    "step `{id}` did not succeed again: {}",
                    record.message.as_deref().unwrap_or("no reason given")
                ));
            }
        }
    }
}
