//! What a run says about each step: its status (the README's vocabulary), exit code, duration,
//! redacted output, captures and sample comparisons.

use serde::Serialize;

/// A step's status in a run (the vocabulary of the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Looked at, not run (a dry-run walk).
    Planned,
    Ok,
    Failed,
    Skipped,
    Acknowledged,
    Interrupted,
    TimedOut,
    NotReached,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Acknowledged => "acknowledged",
            Status::Interrupted => "interrupted",
            Status::TimedOut => "timed-out",
            Status::NotReached => "not-reached",
        }
    }

    /// The status a state file records (`ok`, `acknowledged`, `skipped`…); `ok` when unknown.
    pub fn from_state(name: &str) -> Status {
        match name {
            "acknowledged" => Status::Acknowledged,
            "skipped" => Status::Skipped,
            "planned" => Status::Planned,
            _ => Status::Ok,
        }
    }

    /// Finished in the sense of `--resume`: nothing left to do for this step.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Ok | Status::Skipped | Status::Acknowledged)
    }
}

/// The message of a step that an earlier run finished (on `--resume`).
pub const EARLIER: &str = "finished in an earlier run (resumed after it)";

/// The comparison of a step's output with the runbook's sample.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectRecord {
    pub line: usize,
    pub shape: &'static str,
    pub matched: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// What happened to one step. Holds only redacted text.
#[derive(Clone, Debug, Serialize)]
pub struct StepRecord {
    pub id: String,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    /// stdout and stderr as they arrived, redacted, cut at the output limit.
    pub output: String,
    /// Bytes left out of `output`.
    pub truncated: usize,
    /// Names of the values this step captured.
    pub captured: Vec<String>,
    /// Why it failed, was skipped or needed attention, with the Markdown `file:line`.
    pub message: Option<String>,
    /// Markdown line of the failure, when known.
    pub failed_line: Option<usize>,
    pub expected: Vec<ExpectRecord>,
    pub notes: Vec<String>,
    /// In a rehearsal: the stand-in commands the step called, and how each was answered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<StandInCall>,
}

/// How a rehearsal's stand-in answered a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// The profile's handler modelled it.
    Handler,
    /// The real command ran.
    Passthrough,
    /// Answered with the runbook's own output sample: not modelled.
    Sample,
    /// Answered with plain success: not modelled.
    NotModelled,
    /// Refused: the invocation does not fit the command's grammar.
    Refused,
}

impl Answer {
    pub fn describe(self) -> &'static str {
        match self {
            Answer::Handler => "modelled by",
            Answer::Passthrough => "passed to the real command",
            Answer::Sample => "not modelled: answered with the runbook's sample",
            Answer::NotModelled => "not modelled: answered with success",
            Answer::Refused => "refused",
        }
    }
}

/// One call of a stand-in command during a rehearsal (arguments redacted when recorded).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct StandInCall {
    pub command: String,
    pub args: Vec<String>,
    pub answer: Answer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl StepRecord {
    pub(super) fn new(id: &str, status: Status) -> StepRecord {
        StepRecord {
            id: id.to_string(),
            status,
            exit_code: None,
            duration_ms: 0,
            output: String::new(),
            truncated: 0,
            captured: Vec::new(),
            message: None,
            failed_line: None,
            expected: Vec::new(),
            notes: Vec::new(),
            calls: Vec::new(),
        }
    }
}
