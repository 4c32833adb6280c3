//! What a code block is: the block kinds and the rules that decide them.
//!
//! Rules, in order (the first that applies wins):
//! 1. an annotation (`kind=…`, `file=…`, `of=…`) decides;
//! 2. Python (`python`, `py`, `python3`) is `code`;
//! 3. a block whose introducing prose announces output ("The output will look like:", "… will be
//!    under …") or whose content is data, not commands (`{`, `[`, `NAME: {`), is `output`,
//!    whatever its fence says;
//! 4. YAML with a top-level `jobs:` or `on:` key is a GitHub Actions `workflow` (also unfenced);
//! 5. shell (`bash`, `sh`, `shell`, `zsh`, `console`) is `command`;
//! 6. a block of bare environment-variable names (one `UPPER_CASE` name per line) is `env`;
//! 7. JSON, YAML, TOML and friends are `file` (content to write);
//! 8. an unlabelled block whose first word is a known command-line tool is `command`;
//! 9. anything else is `other`.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::prose;
use crate::annotation::Annotation;
use crate::markdown::CodeBlock;
use crate::source::OffsetMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    Command,
    File,
    Code,
    Output,
    Env,
    Workflow,
    Other,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Command => "command",
            BlockKind::File => "file",
            BlockKind::Code => "code",
            BlockKind::Output => "output",
            BlockKind::Env => "env",
            BlockKind::Workflow => "workflow",
            BlockKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<BlockKind> {
        Some(match s {
            "command" => BlockKind::Command,
            "file" => BlockKind::File,
            "code" => BlockKind::Code,
            "output" => BlockKind::Output,
            "env" => BlockKind::Env,
            "workflow" => BlockKind::Workflow,
            "other" => BlockKind::Other,
            _ => return None,
        })
    }

    /// Blocks that do something when run (they decide a step's kind).
    pub fn is_action(self) -> bool {
        matches!(self, BlockKind::Command | BlockKind::File | BlockKind::Code)
    }
}

/// One logical command of a `command` block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Command {
    /// The command with `\`-continuations joined by a space.
    pub text: String,
    /// Byte offset (in the Markdown file) where the command starts.
    #[serde(skip)]
    pub offset: usize,
    /// 1-based line in the Markdown file (filled in by the extractor).
    pub line: usize,
}

const SHELL_LANGS: &[&str] = &["bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession", "terminal"];
const PYTHON_LANGS: &[&str] = &["python", "py", "python3"];
const FILE_LANGS: &[&str] = &[
    "json",
    "yaml",
    "yml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "env",
    "dotenv",
    "properties",
    "xml",
    "csv",
    "txt",
    "dockerfile",
    "procfile",
    "nginx",
];
/// First words that make an unlabelled line a command.
const KNOWN_TOOLS: &[&str] = &[
    "cf",
    "git",
    "gh",
    "python",
    "python3",
    "pip",
    "pip3",
    "aws",
    "curl",
    "wget",
    "bash",
    "sh",
    "make",
    "npm",
    "npx",
    "docker",
    "kubectl",
    "export",
    "cd",
    "mkdir",
    "echo",
    "cat",
    "ls",
    "cp",
    "mv",
    "rm",
    "chmod",
    "pytest",
    "gunicorn",
    "terraform",
    "brew",
    "apt-get",
    "sudo",
];

static ENV_LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9_]*$").unwrap());
static WORKFLOW_KEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^(jobs|on)\s*:").unwrap());
static DATA_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(?:[\{\["]|[A-Za-z_][A-Za-z0-9_]*:\s*[\{\[])"#).unwrap());

/// Classify a code block. `intro` is the plain text of the prose that introduces it.
pub fn classify(code: &CodeBlock, intro: &str, ann: Option<&Annotation>) -> BlockKind {
    if let Some(ann) = ann {
        if let Some(kind) = ann.kind.as_deref().and_then(BlockKind::parse) {
            return kind;
        }
        if ann.file.is_some() {
            return BlockKind::File;
        }
        if ann.of.is_some() {
            return BlockKind::Output;
        }
    }
    let lang = code.lang.to_ascii_lowercase();
    let first = code.content.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if PYTHON_LANGS.contains(&lang.as_str()) {
        return BlockKind::Code;
    }
    if prose::announces_output(intro)
        || (lang != "json" && lang != "yaml" && lang != "yml" && DATA_START.is_match(first))
    {
        return BlockKind::Output;
    }
    if matches!(lang.as_str(), "yaml" | "yml" | "") && WORKFLOW_KEY.is_match(&code.content) {
        return BlockKind::Workflow;
    }
    if SHELL_LANGS.contains(&lang.as_str()) {
        return BlockKind::Command;
    }
    let lines: Vec<&str> = code.content.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if !lines.is_empty() && lines.iter().all(|l| ENV_LINE.is_match(l)) {
        return BlockKind::Env;
    }
    if FILE_LANGS.contains(&lang.as_str()) {
        return BlockKind::File;
    }
    if lang.is_empty() && looks_like_command(first.trim_start_matches("$ ")) {
        return BlockKind::Command;
    }
    BlockKind::Other
}

/// Whether a line starts with a known command-line tool followed by an argument.
pub fn looks_like_command(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or("");
    KNOWN_TOOLS.contains(&first) && words.next().is_some()
}

static HEREDOC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?"#).unwrap());

/// Split a shell block into logical commands: one per line, `\` continuations joined, blank
/// lines and `#` comments skipped, here-documents kept with their command, a leading `$ `
/// prompt removed. `map` takes offsets in `content` to the Markdown file.
pub fn split_commands(content: &str, map: &OffsetMap) -> Vec<Command> {
    let mut out = Vec::new();
    let mut current: Option<Command> = None;
    let mut heredoc: Option<String> = None;
    let mut offset = 0;
    for raw in content.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if let Some(delim) = &heredoc {
            if let Some(cmd) = &mut current {
                cmd.text.push('\n');
                cmd.text.push_str(line);
            }
            if line.trim() == delim {
                heredoc = None;
                out.extend(current.take());
            }
            continue;
        }
        let trimmed = line.trim();
        if current.is_none() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        let (body, continued) = match trimmed.strip_suffix('\\') {
            Some(b) => (b.trim_end(), true),
            None => (trimmed, false),
        };
        match &mut current {
            Some(cmd) => {
                cmd.text.push(' ');
                cmd.text.push_str(body);
            }
            None => {
                let lead = line.len() - line.trim_start().len();
                let (body, skip) = match body.strip_prefix("$ ") {
                    Some(b) => (b, 2),
                    None => (body, 0),
                };
                current =
                    Some(Command { text: body.to_string(), offset: map.to_source(line_start + lead + skip), line: 0 });
            }
        }
        if let Some(cap) = HEREDOC.captures(body) {
            heredoc = Some(cap[1].to_string());
            continue;
        }
        if !continued {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(lang: &str, content: &str) -> CodeBlock {
        CodeBlock {
            fenced: true,
            info: lang.into(),
            lang: lang.into(),
            content: content.into(),
            content_start: 0,
            map: OffsetMap::default(),
            unterminated: false,
        }
    }

    #[test]
    fn python_is_code() {
        assert_eq!(classify(&code("python", "import os\n"), "", None), BlockKind::Code);
    }

    #[test]
    fn shell_is_command_unless_it_is_data() {
        assert_eq!(classify(&code("bash", "cf push app\n"), "Push it:", None), BlockKind::Command);
        assert_eq!(classify(&code("bash", "VCAP_SERVICES: {\n}\n"), "", None), BlockKind::Output);
        assert_eq!(classify(&code("bash", "{\n  \"a\": 1\n}\n"), "", None), BlockKind::Output);
    }

    #[test]
    fn prose_announcing_output_wins_over_the_fence() {
        assert_eq!(
            classify(&code("bash", "Getting apps\nOK\n"), "The output will look like:", None),
            BlockKind::Output
        );
        assert_eq!(classify(&code("json", "{}\n"), "The output will look like:", None), BlockKind::Output);
    }

    #[test]
    fn json_and_yaml_are_files() {
        assert_eq!(classify(&code("json", "{\"a\": 1}\n"), "Create a json file containing:", None), BlockKind::File);
        assert_eq!(classify(&code("yml", "---\napplications:\n  - name: x\n"), "", None), BlockKind::File);
    }

    #[test]
    fn workflows_with_or_without_a_language() {
        assert_eq!(classify(&code("", "jobs:\n  deploy:\n    runs-on: x\n"), "", None), BlockKind::Workflow);
        assert_eq!(classify(&code("yml", "on: push\njobs: {}\n"), "", None), BlockKind::Workflow);
    }

    #[test]
    fn env_lists() {
        assert_eq!(classify(&code("", "AWS_ACCESS_KEY_ID\nAWS_REGION\n"), "", None), BlockKind::Env);
        assert_eq!(classify(&code("", "AWS_REGION=x\n"), "", None), BlockKind::Other);
    }

    #[test]
    fn unlabelled_commands_and_other() {
        assert_eq!(classify(&code("", "cf apps\n"), "", None), BlockKind::Command);
        assert_eq!(classify(&code("", "$ cf apps\n"), "", None), BlockKind::Command);
        assert_eq!(classify(&code("", "hello world\n"), "", None), BlockKind::Other);
        assert_eq!(classify(&code("rust", "fn main() {}\n"), "", None), BlockKind::Other);
    }

    #[test]
    fn annotations_decide() {
        let ann = Annotation { kind: Some("output".into()), ..Annotation::default() };
        assert_eq!(classify(&code("bash", "cf push\n"), "", Some(&ann)), BlockKind::Output);
        let ann = Annotation { file: Some("a.json".into()), ..Annotation::default() };
        assert_eq!(classify(&code("bash", "x\n"), "", Some(&ann)), BlockKind::File);
    }

    #[test]
    fn commands_split_per_line_with_continuations() {
        let cmds = split_commands("# comment\ncf a \\\n  --x y\n\ncf b\n", &OffsetMap::contiguous(100));
        let texts: Vec<_> = cmds.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["cf a --x y", "cf b"]);
        assert_eq!(cmds[0].offset, 110);
        assert_eq!(cmds[1].offset, 100 + "# comment\ncf a \\\n  --x y\n\n".len());
    }

    #[test]
    fn heredoc_stays_with_its_command() {
        let cmds = split_commands("cat > f <<'EOF'\na\n# not a comment\nEOF\necho done\n", &OffsetMap::contiguous(0));
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].text, "cat > f <<'EOF'\na\n# not a comment\nEOF");
        assert_eq!(cmds[1].text, "echo done");
    }

    #[test]
    fn prompts_are_removed() {
        let cmds = split_commands("$ cf apps\n", &OffsetMap::contiguous(0));
        assert_eq!(cmds[0].text, "cf apps");
        assert_eq!(cmds[0].offset, 2);
    }
}
