//! RB502 `secret-printed-or-logged`: a credential written to the terminal or a log.
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Severity;
use crate::lint::rules::commands::util as shell;
use crate::lint::{Group, LintContext, Report, Rule};

use super::util::{self, Lang, PyKind, PyTok};

pub static RULE: Rule = Rule {
    code: "RB502",
    name: "secret-printed-or-logged",
    group: Group::Secrets,
    severity: Severity::Error,
    summary: "a credential written to the terminal or a log",
    doc: DOC,
    check,
};

const DOC: &str = "## What it checks

- Python `print(…)`, `pprint(…)`, `logging.*(…)`, `logger.*(…)` and `sys.stdout.write(…)` \
whose arguments (f-string fields included) hold a credential: a variable or attribute named \
like one (`secret`, `password`, `token`, `api_key`, `secret_key`, `key_id`…), a whole \
credential object (`credentials`, `creds`, `vcap_services`), `os.environ` as a whole, or a \
secret environment variable (`os.environ[\"AWS_SECRET_ACCESS_KEY\"]`, `os.getenv(\"…TOKEN\")`);
- shell `echo` and `printf` of a secret variable (`$…SECRET…`, `$…TOKEN…`, `$…PASSWORD…`, \
`$AWS_SECRET_ACCESS_KEY`), unless the output is piped into a program or redirected;
- `set -x` in a command block that expands secret variables.

Wrapping the value in `len(…)`, `bool(…)` or `type(…)` is fine. Commands that display \
credentials by design (`cf env`, `cf service-key`) are not reported.

## Why it matters

Terminal scrollback, CI logs and log aggregators keep what a runbook prints, and they are \
read by far more people than the secret store. A logged credential is a leaked credential.

## Example

````markdown
```python
logger.info(\"connecting with %s\", aws_secret_access_key)
```
````

## Use instead

````markdown
```python
logger.info(\"connecting to bucket %s\", bucket_name)
```
````
";

const LOG_METHODS: &[&str] = &["debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"];
/// Calls whose result does not show their argument.
const SAFE_CALLS: &[&str] = &["len", "bool", "type", "isinstance", "hasattr", "id", "hash", "callable", "is_set"];

fn output_call(chain: &[&str]) -> bool {
    match chain {
        ["print" | "pprint" | "pp"] | ["pprint", "pprint" | "pp"] => true,
        ["sys", "stdout" | "stderr", "write"] => true,
        [.., obj, method] => {
            LOG_METHODS.contains(method)
                && (*obj == "logging"
                    || obj.to_ascii_lowercase().ends_with("logger")
                    || obj.eq_ignore_ascii_case("log"))
        }
        _ => false,
    }
}

/// The dotted name starting at token `k`: its parts and the index after it.
fn chain<'s>(tokens: &[PyTok], src: &'s str, k: usize) -> (Vec<&'s str>, usize) {
    let mut parts = vec![tokens[k].text(src)];
    let mut j = k + 1;
    while j + 1 < tokens.len() && tokens[j].is_op(src, ".") && tokens[j + 1].kind == PyKind::Name {
        parts.push(tokens[j + 1].text(src));
        j += 2;
    }
    (parts, j)
}

fn str_arg<'s>(tokens: &[PyTok], src: &'s str, k: usize) -> Option<&'s str> {
    tokens.get(k).and_then(|t| t.str_value(src))
}

/// Places in these argument tokens that show a credential: (start, end) in `src`.
fn leaks(tokens: &[PyTok], src: &str, out: &mut Vec<(usize, usize)>) {
    let mut safe: Vec<bool> = Vec::new();
    let mut k = 0;
    while k < tokens.len() {
        let t = &tokens[k];
        let in_safe = safe.iter().any(|s| *s);
        match &t.kind {
            PyKind::Str { f: true, value } if !in_safe => {
                for (a, b) in util::fstring_fields(src, *value) {
                    let inner: Vec<PyTok> = util::py_tokens(&src[a..b])
                        .into_iter()
                        .map(|mut t| {
                            t.start += a;
                            t.end += a;
                            if let PyKind::Str { value, .. } = &mut t.kind {
                                value.0 += a;
                                value.1 += a;
                            }
                            t
                        })
                        .collect();
                    leaks(&inner, src, out);
                }
            }
            PyKind::Op => match t.text(src) {
                "(" | "[" | "{" => safe.push(false),
                ")" | "]" | "}" => {
                    safe.pop();
                }
                _ => {}
            },
            PyKind::Name if k == 0 || !tokens[k - 1].is_op(src, ".") => {
                let (parts, j) = chain(tokens, src, k);
                let last = parts.last().copied().unwrap_or("");
                let next = tokens.get(j);
                let start = t.start;
                if next.is_some_and(|n| n.is_op(src, "=")) {
                    // A keyword argument's name.
                    k = j + 1;
                    continue;
                }
                if next.is_some_and(|n| n.is_op(src, "(")) {
                    let close = util::closing(tokens, src, j);
                    let end = tokens.get(close).map_or(src.len(), |c| c.end);
                    if !in_safe {
                        let env_read = last == "getenv"
                            || (last == "get" && parts.len() >= 2 && parts[parts.len() - 2] == "environ");
                        let arg = str_arg(tokens, src, j + 1);
                        if (env_read && arg.is_some_and(util::secret_env))
                            || (last == "get" && arg.is_some_and(util::secret_name))
                            || util::credential_name(last)
                        {
                            out.push((start, end));
                        }
                    }
                    let lower = last.to_ascii_lowercase();
                    safe.push(
                        SAFE_CALLS.contains(&last)
                            || lower.starts_with("mask")
                            || lower.starts_with("redact")
                            || lower.starts_with("hash"),
                    );
                    k = j + 1;
                    continue;
                }
                if next.is_some_and(|n| n.is_op(src, "[")) {
                    let close = util::closing(tokens, src, j);
                    let end = tokens.get(close).map_or(src.len(), |c| c.end);
                    let arg = str_arg(tokens, src, j + 1);
                    if !in_safe
                        && ((last == "environ" && arg.is_some_and(util::secret_env))
                            || (last != "environ" && arg.is_some_and(util::secret_name))
                            || util::credential_name(last))
                    {
                        out.push((start, end));
                    }
                    safe.push(false);
                    k = j + 1;
                    continue;
                }
                if !in_safe && (last == "environ" || util::credential_name(last)) {
                    out.push((start, tokens[j - 1].end));
                }
                k = j;
                continue;
            }
            _ => {}
        }
        k += 1;
    }
}

fn python(unit: &util::Unit<'_>, report: &mut Report) {
    let src = unit.text;
    let tokens = util::py_tokens(src);
    let mut k = 0;
    while k < tokens.len() {
        if tokens[k].kind != PyKind::Name || (k > 0 && tokens[k - 1].is_op(src, ".")) {
            k += 1;
            continue;
        }
        let (parts, j) = chain(&tokens, src, k);
        if !(tokens.get(j).is_some_and(|t| t.is_op(src, "(")) && output_call(&parts)) {
            k = j.max(k + 1);
            continue;
        }
        let close = util::closing(&tokens, src, j);
        let args = &tokens[(j + 1).min(close)..close];
        let mut found = Vec::new();
        leaks(args, src, &mut found);
        let callee = parts.join(".");
        for (a, b) in found {
            let expr = src[a..b].split_whitespace().collect::<Vec<_>>().join(" ");
            report
                .add(unit.span(a, b), format!("`{callee}` writes `{expr}` to the output"))
                .help("never print or log a credential: log that it is set, or a name that identifies it");
        }
        k = close.max(j + 1);
    }
}

static VAR_REF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)").unwrap());
static XTRACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^-[A-Za-z]*x[A-Za-z]*$").unwrap());

fn check(ctx: &LintContext<'_>, report: &mut Report) {
    for unit in util::units(ctx) {
        if unit.lang == Lang::Python {
            python(&unit, report);
        }
    }
    shell::simple_commands(ctx, |cmd| {
        let program = cmd.words[0].text.as_str();
        if matches!(program, "echo" | "printf") {
            let rest = cmd.rest().trim_start();
            let piped = rest.starts_with('|') && !rest.starts_with("||");
            let redirected = rest.split([';', '&', '|', '\n']).next().unwrap_or("").contains('>');
            if piped || redirected {
                return;
            }
            for w in &cmd.words[1..] {
                let raw = cmd.raw(w);
                if raw.starts_with('\'') {
                    continue;
                }
                if let Some(c) = VAR_REF.captures_iter(raw).find(|c| util::secret_env(&c[1])) {
                    report
                        .add(cmd.span(w), format!("`{program}` prints the secret variable `${}`", &c[1]))
                        .help("do not print it; to hand it to a program, pipe it: `printf '%s' \"$VAR\" | program --password-stdin`");
                }
            }
        }
        if program == "set" {
            let block_uses_secret = VAR_REF.captures_iter(&cmd.block.text).any(|c| util::secret_env(&c[1]));
            let trace = cmd.words.iter().enumerate().skip(1).find(|(i, w)| {
                XTRACE.is_match(&w.text) || (w.text == "-o" && cmd.words.get(i + 1).is_some_and(|n| n.text == "xtrace"))
            });
            if let (true, Some((_, w))) = (block_uses_secret, trace) {
                report
                    .add(cmd.span(w), "`set -x` traces commands that expand secret variables, printing their values")
                    .help("remove `set -x`, or turn tracing off with `set +x` before the commands that use secrets");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::check_text;

    fn py(code: &str) -> Vec<String> {
        let text = format!("```python\n{code}\n```\n");
        check_text(&text, &RULE).iter().map(|f| text[f.span.start..f.span.end].to_string()).collect()
    }

    #[test]
    fn python_prints_and_logs() {
        assert_eq!(py("print(aws_secret_access_key)"), ["aws_secret_access_key"]);
        assert_eq!(py("logger.info(\"creds %s\", creds)"), ["creds"]);
        assert_eq!(py("logging.debug(f\"key={cfg.api_key!r}\")"), ["cfg.api_key"]);
        assert_eq!(py("print(os.environ)"), ["os.environ"]);
        assert_eq!(py("print(os.environ[\"AWS_SECRET_ACCESS_KEY\"])"), ["os.environ[\"AWS_SECRET_ACCESS_KEY\"]"]);
        assert_eq!(py("print(os.getenv('GITHUB_TOKEN'))"), ["os.getenv('GITHUB_TOKEN')"]);
        assert_eq!(py("print(data['password'])"), ["data['password']"]);
        assert_eq!(py("print(key_id)"), ["key_id"]);
    }

    #[test]
    fn python_near_misses() {
        let ok = [
            "print(f\"Read {len(df)} rows from {object_key}\")",
            "print(len(token))",
            "logger.info(\"rotated the token for %s\", bucket_name)",
            "print(os.environ[\"AWS_REGION\"])",
            "print(token.expires_at)",
            "client = boto3.client('s3', aws_secret_access_key=secret)",
            "logging.basicConfig(level=logging.INFO)",
            "print(\"password\")",
            "print(x, sep=\"\\t\")",
        ];
        for c in ok {
            assert!(py(c).is_empty(), "{c}: {:?}", py(c));
        }
    }

    #[test]
    fn shell_echo_and_xtrace() {
        let text = "```bash\nset -x\necho \"$AWS_SECRET_ACCESS_KEY\"\nprintf '%s' \"$GITHUB_TOKEN\" | gh auth login --with-token\n\
                    echo \"$GITHUB_TOKEN\" > token.txt\necho '$PASSWORD'\necho \"$AWS_REGION\"\n```\n";
        let f = check_text(text, &RULE);
        let got: Vec<&str> = f.iter().map(|f| &text[f.span.start..f.span.end]).collect();
        assert_eq!(got, ["-x", "\"$AWS_SECRET_ACCESS_KEY\""], "{f:?}");
    }
}
