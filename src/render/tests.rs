use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use regex::Regex;
use saphyr::{LoadableYamlNode, Yaml};

use super::*;

const HOSTILE: &[&str] = &[
    "x'; rm -rf ~; echo '",
    "$(touch x)",
    "`touch x`",
    "a\nb\n",
    "say \"hi\"",
    "back\\slash\\",
    "ünïcødé ✓ 日本",
    "$HOME ${PATH} !x *?[a] ~ {a,b} #c ; & | > x < y",
    "",
    " leading and trailing ",
    "'",
    "\"",
    "\\",
    "EOF",
    "tab\there\r\nand cr",
];

/// Slots for every `<NAME>` in `text`.
fn slots(text: &str) -> Vec<Slot> {
    Regex::new(r"<([A-Z_]+)>")
        .unwrap()
        .captures_iter(text)
        .map(|c| {
            let m = c.get(0).unwrap();
            Slot { start: m.start(), end: m.end(), name: c[1].to_string() }
        })
        .collect()
}

fn fill_all(f: Fill) -> impl Fn(&str) -> Fill {
    move |_| f.clone()
}

fn value(v: &str) -> Fill {
    Fill::Value(v.to_string())
}

fn secret(name: &str, n: u32) -> Fill {
    Fill::Secret { name: name.to_string(), env: format!("RB_SECRET_{n}") }
}

fn go(text: &str, lang: Lang, fill: Fill) -> Result<Rendered, RenderError> {
    render(text, lang, &slots(text), &fill_all(fill), Mode::Execute)
}

fn ok(text: &str, lang: Lang, v: &str) -> String {
    go(text, lang, value(v)).unwrap_or_else(|e| panic!("{text:?} with {v:?}: {e}")).text
}

fn display(text: &str, lang: Lang, fill: Fill) -> String {
    render(text, lang, &slots(text), &fill_all(fill), Mode::Display).unwrap().text
}

/// Run a bash script in an empty directory; (stdout, files left in the directory).
fn bash(script: &str, env: &[(&str, &str)]) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), files(dir.path()))
}

fn files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

fn python(program: &str, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(program)
        .current_dir(dir.path())
        .env("PYTHONIOENCODING", "utf-8")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(out.status.success(), "{program}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(files(dir.path()).is_empty());
    String::from_utf8(out.stdout).unwrap()
}

fn yaml_get(text: &str, key: &str) -> Option<String> {
    let docs = Yaml::load_from_str(text).ok()?;
    docs.first()?.as_mapping_get(key)?.as_str().map(str::to_string)
}

// ---------------------------------------------------------------- shell

#[test]
fn shell_bare_words() {
    assert_eq!(ok("cf push <APP>", Lang::Shell, "my-app"), "cf push my-app");
    assert_eq!(ok("cf push <APP>", Lang::Shell, "x'; rm -rf ~; echo '"), r"cf push 'x'\''; rm -rf ~; echo '\'''");
    assert_eq!(ok("cf push <APP>", Lang::Shell, ""), "cf push ''");
    assert_eq!(ok("cf push <APP>", Lang::Shell, "a=b"), "cf push 'a=b'");
    assert_eq!(ok("run --hostname=<HOST>", Lang::Shell, "a b"), "run --hostname='a b'");
    assert_eq!(ok("curl <HOST>.example.com", Lang::Shell, "x y"), "curl 'x y'.example.com");
    assert_eq!(ok("curl <HOST>.example.com", Lang::Shell, "api"), "curl api.example.com");
}

#[test]
fn shell_contexts_keep_hostile_values_as_data() {
    let scripts = [
        "printf %s <V>",
        "printf %s \"<V>\"",
        "printf %s '<V>'",
        "printf %s \"pre <V> post\"",
        "printf %s 'pre <V> post'",
        "printf %s --flag=<V>",
        "printf %s $'pre <V> post'",
        "printf %s \"$(printf %s <V>)\"",
        "printf %s \"$(printf %s \"<V>\")\"",
        "printf %s \"`printf %s <V>`\"",
        "printf %s `printf %s '<V>'`x",
        "printf %s \"${UNSET_VAR:-<V>}\"",
        "printf %s ${UNSET_VAR:-<V>}",
        "printf %s \"${UNSET_VAR:-pre <V> post}\"",
        "cat <<EOF\n${UNSET_VAR:-pre <V> post}\nEOF\n",
        "cat <<EOF\npre <V> post\nEOF\n",
        "cat <<'EOF'\npre <V> post\nEOF\n",
        "cat <<-\"EOF\"\n\tpre <V> post\n\tEOF\n",
    ];
    for script in scripts {
        for v in HOSTILE {
            let expected = if script.starts_with("cat") {
                format!("pre {v} post\n")
            } else if script.contains("pre") {
                format!("pre {v} post")
            } else if script.contains("--flag") {
                format!("--flag={v}")
            } else if script.ends_with('x') {
                format!("{}x", v.trim_end_matches('\n'))
            } else if script.contains("$(") || script.contains('`') {
                // Command substitution drops trailing newlines.
                v.trim_end_matches('\n').to_string()
            } else {
                (*v).to_string()
            };
            let r = match go(script, Lang::Shell, value(v)) {
                Ok(r) => r,
                Err(e) => {
                    assert!(
                        *v == "EOF"
                            || (script.contains("'EOF'") && v.contains("EOF"))
                            || (script.contains("${UNSET_VAR") && script.contains(['"', '\n']) && v.contains('\'')),
                        "{script:?} {v:?}: {e}"
                    );
                    continue;
                }
            };
            if !script.contains('"') && (script.contains("${UNSET_VAR:-<V>}") || script.contains('`')) {
                // Unquoted expansion: word splitting applies to the default, quoting still holds.
                let (_, created) = bash(&r.text, &[]);
                assert!(created.is_empty(), "{}", r.text);
                continue;
            }
            if script.contains('`') && v.contains(['\\', '`', '$']) && *v != "EOF" {
                // Covered below: backquotes nest escaping, checked by running.
            }
            let (out, created) = bash(&r.text, &[]);
            assert!(created.is_empty(), "{script:?} with {v:?} created {created:?}: {}", r.text);
            assert_eq!(out, expected, "{script:?} with {v:?} rendered as {}", r.text);
        }
    }
}

#[test]
fn shell_double_and_single_quote_escaping() {
    assert_eq!(ok("echo \"a <V> b\"", Lang::Shell, "$x `y` \"z\" \\ 'q'"), r#"echo "a \$x \`y\` \"z\" \\ 'q' b""#);
    assert_eq!(ok("echo 'a <V> b'", Lang::Shell, "it's"), r"echo 'a it'\''s b'");
    assert_eq!(ok("echo $'a <V> b'", Lang::Shell, "it's \\n"), r"echo $'a it\'s \\n b'");
}

#[test]
fn shell_secrets_are_environment_references() {
    let text = "curl -u <USER>:<TOKEN> -H \"Authorization: <TOKEN>\" -d 'x=<TOKEN>' # <TOKEN>";
    let fill = |name: &str| if name == "TOKEN" { secret("api-token", 1) } else { value("me") };
    let r = render(text, Lang::Shell, &slots(text), &fill, Mode::Execute).unwrap();
    assert_eq!(
        r.text,
        "curl -u me:\"$RB_SECRET_1\" -H \"Authorization: ${RB_SECRET_1}\" -d 'x='\"$RB_SECRET_1\"'' # [secret: api-token]"
    );
    assert_eq!(r.secret_refs, vec![("api-token".to_string(), "RB_SECRET_1".to_string())]);
    let script = "printf '%s|' <S> \"<S>\" 'a<S>b' $'c<S>d'";
    let r = go(script, Lang::Shell, secret("s", 2)).unwrap();
    assert!(!r.text.contains("hunter"));
    let (out, created) = bash(&r.text, &[("RB_SECRET_2", "hunter2 $(touch x) '")]);
    assert!(created.is_empty());
    assert_eq!(out, "hunter2 $(touch x) '|hunter2 $(touch x) '|ahunter2 $(touch x) 'b|chunter2 $(touch x) 'd|");
}

#[test]
fn shell_display_markers_and_execute_errors() {
    let cap = Fill::Captured { name: "KEY_ID".into(), step: "create-key".into() };
    assert_eq!(display("echo <KEY_ID>", Lang::Shell, cap.clone()), "echo '«captured: KEY_ID ← create-key»'");
    assert_eq!(display("echo \"<KEY_ID>\"", Lang::Shell, cap.clone()), "echo \"«captured: KEY_ID ← create-key»\"");
    let missing = Fill::Missing { name: "APP".into() };
    assert_eq!(display("cf push <APP>", Lang::Shell, missing.clone()), "cf push '«missing: APP»'");
    let e = go("echo <KEY_ID>", Lang::Shell, cap).unwrap_err();
    assert_eq!(e.slot.name, "KEY_ID");
    assert!(e.message.contains("create-key"), "{}", e.message);
    assert!(go("cf push <APP>", Lang::Shell, missing).is_err());
}

#[test]
fn shell_refuses_nul_without_showing_the_value() {
    let e = go("echo <V>", Lang::Shell, value("sec\0ret")).unwrap_err();
    assert!(e.message.contains("NUL"));
    assert!(!e.message.contains("sec") && !e.to_string().contains("ret"));
}

#[test]
fn shell_heredocs() {
    // Quoted delimiter: literal body.
    assert_eq!(
        ok("cat <<'EOF' > f\n<V>\nEOF\n", Lang::Shell, "$(touch x) 'q'"),
        "cat <<'EOF' > f\n$(touch x) 'q'\nEOF\n"
    );
    // Unquoted: like double quotes, but `"` stays as is.
    assert_eq!(ok("cat <<EOF\n<V>\nEOF\n", Lang::Shell, "$x \"q\" \\"), "cat <<EOF\n\\$x \"q\" \\\\\nEOF\n");
    // A value that would end the document early is refused.
    for text in ["cat <<'EOF'\n<V>\nEOF\necho after\n", "cat <<EOF\n<V>\nEOF\n", "cat <<-EOF\n\t<V>\nEOF\n"] {
        let e = go(text, Lang::Shell, value("x\nEOF\nrm -rf ~")).unwrap_err();
        assert!(e.message.contains("here-document"), "{}", e.message);
    }
    // Two slots that together spell the delimiter.
    let text = "cat <<'EOF'\n<A><B>\nEOF\n";
    let fill = |n: &str| value(if n == "A" { "EO" } else { "F" });
    assert!(render(text, Lang::Shell, &slots(text), &fill, Mode::Execute).is_err());
    // After the body, bare context again.
    assert_eq!(ok("cat <<'EOF'\n$x\nEOF\necho <V>\n", Lang::Shell, "a b"), "cat <<'EOF'\n$x\nEOF\necho 'a b'\n");
    // Secrets: referenced in an expanding body, refused (execution) in a literal one.
    assert_eq!(
        go("cat <<EOF\n<S>\nEOF\n", Lang::Shell, secret("s", 1)).unwrap().text,
        "cat <<EOF\n${RB_SECRET_1}\nEOF\n"
    );
    assert!(go("cat <<'EOF'\n<S>\nEOF\n", Lang::Shell, secret("s", 1)).is_err());
    assert_eq!(display("cat <<'EOF'\n<S>\nEOF\n", Lang::Shell, secret("s", 1)), "cat <<'EOF'\n[secret: s]\nEOF\n");
}

#[test]
fn shell_comments_cannot_be_left() {
    assert_eq!(ok("echo hi # for <V>\necho ok", Lang::Shell, "a\nrm -rf ~"), "echo hi # for a\\nrm -rf ~\necho ok");
    // `#` inside a word is not a comment.
    assert_eq!(ok("echo a#<V>", Lang::Shell, "b c"), "echo a#'b c'");
}

#[test]
fn shell_backquotes_nest_escaping() {
    for v in HOSTILE {
        let r = go("printf %s `printf %s <V>`", Lang::Shell, value(v)).unwrap();
        let (_, created) = bash(&r.text, &[]);
        assert!(created.is_empty(), "{}", r.text);
        let r = go("printf %s \"`printf %s <V>`\"", Lang::Shell, value(v)).unwrap();
        let (out, created) = bash(&r.text, &[]);
        assert!(created.is_empty(), "{}", r.text);
        assert_eq!(out, v.trim_end_matches('\n'), "{}", r.text);
    }
}

#[test]
fn shell_quote_helper() {
    assert_eq!(shell_quote("abc"), "abc");
    assert_eq!(shell_quote("a b"), "'a b'");
    assert_eq!(shell_quote("A=1"), "A=1");
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_strings_and_bare_values() {
    assert_eq!(ok(r#"{"k": "<V>"}"#, Lang::Json, "a\"b\\c\nd"), r#"{"k": "a\"b\\c\nd"}"#);
    assert_eq!(ok(r#"{"k": <V>}"#, Lang::Json, "a\"b"), r#"{"k": "a\"b"}"#);
    assert_eq!(ok(r#"{"a": "x\"<V>", "b": <V>}"#, Lang::Json, "ü"), r#"{"a": "x\"ü", "b": "ü"}"#);
    for v in HOSTILE {
        for text in [r#"{"k": "<V>"}"#, r#"{"k": <V>}"#, r#"{"<V>": "pre <V> post"}"#] {
            let out = ok(text, Lang::Json, v);
            let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
            let want = if text.contains("pre") {
                serde_json::json!({ *v: format!("pre {v} post") })
            } else {
                serde_json::json!({ "k": v })
            };
            assert_eq!(parsed, want);
        }
    }
}

#[test]
fn json_secrets_are_markers_or_errors() {
    assert_eq!(display(r#"{"k": "<S>"}"#, Lang::Json, secret("tok", 1)), r#"{"k": "[secret: tok]"}"#);
    let e = go(r#"{"k": "<S>"}"#, Lang::Json, secret("tok", 1)).unwrap_err();
    assert!(e.message.contains("0600"), "{}", e.message);
    let cap = Fill::Captured { name: "K".into(), step: "s".into() };
    assert_eq!(display(r#"{"k": <K>}"#, Lang::Json, cap), r#"{"k": "«captured: K ← s»"}"#);
}

// ---------------------------------------------------------------- Python

#[test]
fn python_literals() {
    assert_eq!(ok("x = '<V>'", Lang::Python, "it's"), r"x = 'it\'s'");
    assert_eq!(ok("x = \"<V>\"", Lang::Python, "it's \"q\"\n"), r#"x = "it's \"q\"\n""#);
    assert_eq!(ok("x = <V>", Lang::Python, "a\"b\\\t\x01é"), r#"x = "a\"b\\\t\x01é""#);
    assert_eq!(ok("x = f'{y} <V>'", Lang::Python, "{z}"), "x = f'{y} {{z}}'");
    assert_eq!(ok("x = r'C:\\dir\\<V>'", Lang::Python, "file"), "x = r'C:\\dir\\file'");
    assert_eq!(ok("x = r'C:\\dir\\<V>'", Lang::Python, "a\\b"), r"x = 'C:\\dir\\a\\b'");
    assert_eq!(ok("x = b'<V>'", Lang::Python, "é"), r"x = b'\xc3\xa9'");
    assert_eq!(ok("x = 1  # <V>", Lang::Python, "a\nimport os"), "x = 1  # a\\nimport os");
    let cases = [
        ("print('<V>', end=\"\")", "{v}"),
        ("print(\"pre <V> post\", end=\"\")", "pre {v} post"),
        ("x = <V>\nprint(x, end='')", "{v}"),
        ("print('''<V>''', end='')", "{v}"),
        ("print(\"\"\"a\n<V>\"\"\", end='')", "a\n{v}"),
        ("print(r'a\\<V>', end='')", "a\\{v}"),
        ("print(R\"\"\"<V>\\\"\"\"\", end='')", "{v}\\\""),
        ("n = 1\nprint(f'{n} <V> {{n}}', end='')", "1 {v} {n}"),
        ("n = 1\nprint(rf'{n}\\<V>', end='')", "1\\{v}"),
        ("import sys\nsys.stdout.write(b'<V>'.decode())", "{v}"),
        ("print('a' '<V>' 'b', end='')", "a{v}b"),
        ("print(f'{<V>}', end='')", "{v}"),
    ];
    for (program, want) in cases {
        for v in HOSTILE {
            let out = match go(program, Lang::Python, value(v)) {
                Ok(r) => r.text,
                Err(e) => {
                    assert!(
                        program.contains("f'{<V>}") && v.contains(['\\', '\n', '\t', '\'', '"']),
                        "{program}: {v:?}: {e}"
                    );
                    continue;
                }
            };
            let want = want.replace("{v}", v);
            assert_eq!(python(&out, &[]), want, "{program:?} with {v:?}: {out}");
        }
    }
}

#[test]
fn python_secrets_reference_the_environment() {
    assert_eq!(
        go("token = \"<T>\"", Lang::Python, secret("t", 1)).unwrap().text,
        r#"token = __import__("os").environ["RB_SECRET_1"]"#
    );
    assert_eq!(
        go("h = {'Authorization': 'Bearer <T>'}", Lang::Python, secret("t", 1)).unwrap().text,
        r#"h = {'Authorization': ('Bearer ' + __import__("os").environ["RB_SECRET_1"])}"#
    );
    assert_eq!(
        go("t = <T>", Lang::Python, secret("t", 3)).unwrap().text,
        r#"t = __import__("os").environ["RB_SECRET_3"]"#
    );
    let cases = [
        ("print('Bearer <T>!'.upper(), end='')", "BEARER S3CR3T ' \"!"),
        ("print('a' '<T>' \"b\", end='')", "as3cr3t ' \"b"),
        ("print(r'\\x<T>\\y', end='')", "\\xs3cr3t ' \"\\y"),
        ("print('''<T>\nz''', end='')", "s3cr3t ' \"\nz"),
        ("print(<T>, end='')", "s3cr3t ' \""),
    ];
    for (program, want) in cases {
        let r = go(program, Lang::Python, secret("t", 1)).unwrap();
        assert_eq!(r.secret_refs, vec![("t".to_string(), "RB_SECRET_1".to_string())]);
        assert_eq!(python(&r.text, &[("RB_SECRET_1", "s3cr3t ' \"")]), want, "{}", r.text);
    }
    assert!(go("x = f'Bearer <T>'", Lang::Python, secret("t", 1)).is_err());
    assert!(go("x = b'<T>'", Lang::Python, secret("t", 1)).is_err());
    assert_eq!(go("x = 1  # <T>", Lang::Python, secret("t", 1)).unwrap().text, "x = 1  # [secret: t]");
}

// ---------------------------------------------------------------- YAML

#[test]
fn yaml_plain_scalars() {
    assert_eq!(ok("k: <V>", Lang::Yaml, "my-app"), "k: my-app");
    assert_eq!(ok("k: <V>", Lang::Yaml, "yes"), "k: \"yes\"");
    assert_eq!(ok("k: <V>", Lang::Yaml, "8080"), "k: \"8080\"");
    assert_eq!(ok("k: <V>  # note", Lang::Yaml, "a: b # c"), "k: \"a: b # c\"  # note");
    assert_eq!(ok("k: pre-<V>", Lang::Yaml, "x"), "k: pre-x");
    assert_eq!(ok("k: pre-<V>", Lang::Yaml, "x \"y\""), "k: \"pre-x \\\"y\\\"\"");
    assert_eq!(ok("k: tr<V>", Lang::Yaml, "ue"), "k: \"true\"");
    assert_eq!(ok("- [a, <V>]", Lang::Yaml, "b, c"), "- [a, \"b, c\"]");
    assert_eq!(ok("<V>: 1", Lang::Yaml, "a key"), "\"a key\": 1");
    assert!(go("k: <V>\n  continued", Lang::Yaml, value("a b")).is_err());
    assert_eq!(ok("k: <V>\n  continued", Lang::Yaml, "ab"), "k: ab\n  continued");
}

#[test]
fn yaml_quoted_and_block_scalars() {
    assert_eq!(ok("k: \"a <V>\"", Lang::Yaml, "\"q\"\n\\"), "k: \"a \\\"q\\\"\\n\\\\\"");
    assert_eq!(ok("k: 'a <V>'", Lang::Yaml, "it's"), "k: 'a it''s'");
    assert_eq!(ok("k: 'it''s <V>'", Lang::Yaml, "a\nb"), "k: \"it's a\\nb\"");
    let text = "steps:\n  - run: |\n      echo start\n      echo <V>\n  - name: x\n";
    let out = ok(text, Lang::Yaml, "a\nb");
    assert_eq!(out, "steps:\n  - run: |\n      echo start\n      echo a\n      b\n  - name: x\n");
    assert!(go("k: >\n  <V>\n", Lang::Yaml, value("a\nb")).is_err());
    assert!(go("k: |\n  <V>\n", Lang::Yaml, value("  a")).is_err());
    assert!(go("k: |\n  <V>\n", Lang::Yaml, value("a\u{7}")).is_err());
    assert_eq!(ok("k: 1  # <V>", Lang::Yaml, "a\nb: c"), "k: 1  # a\\nb: c");
}

#[test]
fn yaml_github_expressions_stay() {
    let text = "env:\n  TOKEN: ${{ secrets.<SECRET_NAME> }}\n  B: \"${{ secrets.<SECRET_NAME> }}\"\n";
    assert_eq!(ok(text, Lang::Yaml, "CF_PASSWORD"), text.replace("<SECRET_NAME>", "CF_PASSWORD"));
    assert!(go(text, Lang::Yaml, value("x }} ${{ evil")).is_err());
    let text = "if: ${{ github.ref == 'refs/heads/main' }}\nk: <V>\n";
    assert_eq!(ok(text, Lang::Yaml, "a b"), text.replace("<V>", "\"a b\""));
}

#[test]
fn yaml_secrets_are_markers_or_errors() {
    assert_eq!(display("k: <S>", Lang::Yaml, secret("pw", 1)), "k: \"[secret: pw]\"");
    assert!(go("k: <S>", Lang::Yaml, secret("pw", 1)).is_err());
    // A file written with the secret's value (mode 0600 by the caller) gets it quoted as data.
    assert_eq!(ok("k: <S>", Lang::Yaml, "p@ss: w0rd"), "k: \"p@ss: w0rd\"");
}

#[test]
fn yaml_hostile_values_parse_back() {
    for v in HOSTILE {
        for (text, want) in [
            ("k: <V>\n", (*v).to_string()),
            ("k: \"<V>\"\n", (*v).to_string()),
            ("k: '<V>'\n", (*v).to_string()),
            ("k: pre-<V>\n", format!("pre-{v}")),
            ("k: [<V>, x]\n", String::new()),
        ] {
            let out = ok(text, Lang::Yaml, v);
            if text.contains('[') {
                let docs = Yaml::load_from_str(&out).unwrap();
                let seq = docs[0].as_mapping_get("k").unwrap().as_vec().unwrap();
                assert_eq!(seq[0].as_str(), Some(*v), "{out}");
                continue;
            }
            assert_eq!(yaml_get(&out, "k").as_deref(), Some(want.as_str()), "{text:?} with {v:?}: {out}");
        }
    }
}

// ---------------------------------------------------------------- text, map, helpers

#[test]
fn text_is_inserted_as_is() {
    assert_eq!(ok("Hello <V>!", Lang::Text, "$(x) 'y'"), "Hello $(x) 'y'!");
    assert_eq!(display("key=<S>", Lang::Text, secret("s", 1)), "key=[secret: s]");
    assert!(go("key=<S>", Lang::Text, secret("s", 1)).is_err());
    let cap = Fill::Captured { name: "ID".into(), step: "make-key".into() };
    assert_eq!(display("id=<ID>", Lang::Text, cap), "id=«captured: ID ← make-key»");
}

#[test]
fn offsets_map_back_to_the_block() {
    let text = "cf push <APP> --path .";
    let r = go(text, Lang::Shell, value("a b")).unwrap();
    assert_eq!(r.text, "cf push 'a b' --path .");
    let slot = text.find("<APP>").unwrap();
    assert_eq!(r.to_block(0), 0);
    assert_eq!(r.to_block(3), 3);
    for off in 8..13 {
        let b = r.to_block(off);
        assert!((slot..slot + 5).contains(&b), "{off} → {b}");
    }
    assert_eq!(r.to_block(8), slot);
    let path = r.text.find("--path").unwrap();
    assert_eq!(r.to_block(path), text.find("--path").unwrap());
    assert_eq!(r.to_block(r.text.len()), text.len());
    // A long value maps inside the placeholder it replaced, and text after it maps exactly.
    let r = go("x=<V>\ny", Lang::Shell, value(&"z".repeat(50))).unwrap();
    assert!((2..5).contains(&r.to_block(30)));
    assert_eq!(r.to_block(r.text.len() - 1), 6);
    // A rewritten scalar: its pieces map into the scalar, in order.
    let text = "a: 1\nk: pre-<V>\nb: 2";
    let r = go(text, Lang::Yaml, value("x y")).unwrap();
    assert_eq!(r.text, "a: 1\nk: \"pre-x y\"\nb: 2");
    let v = r.text.find("x y").unwrap();
    assert_eq!(r.to_block(v), text.find("<V>").unwrap());
    assert_eq!(r.to_block(r.text.find("b: 2").unwrap()), text.find("b: 2").unwrap());
    assert!(r.map.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "{:?}", r.map);
    // Through the block's offset map to the Markdown file.
    let md = "1. Push\n   ```sh\n   cf push <APP>\n   ```\n";
    let block = "cf push <APP>\n";
    let map = OffsetMap::for_lines(md, block, md.find("cf push").unwrap());
    let r = go(block, Lang::Shell, value("a b")).unwrap();
    let span = r.to_source(&map, 8, 13);
    assert_eq!(&md[span.start..span.start + 5], "<APP>");
}

#[test]
fn slots_from_markdown_spans() {
    let md = "1. Push\n   ```sh\n   cf push <APP>\n   cf start <APP>\n   ```\n";
    let block = "cf push <APP>\ncf start <APP>\n";
    let map = OffsetMap::for_lines(md, block, md.find("cf push").unwrap());
    let spans: Vec<Span> = md.match_indices("<APP>").map(|(i, _)| Span::new(i, i + 5)).collect();
    let got = slots_from_spans(block, &map, spans.iter().map(|&s| ("APP", s)).chain([("X", Span::new(0, 2))]));
    assert_eq!(
        got,
        vec![Slot { start: 8, end: 13, name: "APP".into() }, Slot { start: 23, end: 28, name: "APP".into() }]
    );
}

#[test]
fn bad_slots_are_errors() {
    let s = |a, b| Slot { start: a, end: b, name: "V".into() };
    let f = fill_all(value("x"));
    assert!(render("abc", Lang::Text, &[s(1, 9)], &f, Mode::Execute).is_err());
    assert!(render("abcdef", Lang::Text, &[s(0, 3), s(2, 4)], &f, Mode::Execute).is_err());
    // Given out of order, still rendered in order.
    let r = render("ab", Lang::Text, &[s(1, 2), s(0, 1)], &f, Mode::Execute).unwrap();
    assert_eq!(r.text, "xx");
}

#[test]
fn file_names() {
    assert!(validate_file_name("manifest.yml").is_ok());
    assert!(validate_file_name("config/app.json").is_ok());
    assert!(validate_file_name(".env").is_ok());
    for bad in ["", "a\0b", "../x", "a/../../x", "/etc/passwd", "a\nb", "C:\\x", "a\\..\\b", "x\u{1b}y"] {
        let e = validate_file_name(bad).unwrap_err();
        assert!(bad.is_empty() || !e.contains(bad), "{e}");
    }
}

#[test]
fn languages() {
    assert_eq!(Lang::of("bash", None), Lang::Shell);
    assert_eq!(Lang::of("console", None), Lang::Shell);
    assert_eq!(Lang::of("JSON", None), Lang::Json);
    assert_eq!(Lang::of("python3", None), Lang::Python);
    assert_eq!(Lang::of("yml", None), Lang::Yaml);
    assert_eq!(Lang::of("", Some("manifest.yml")), Lang::Yaml);
    assert_eq!(Lang::of("", Some("<file.json>")), Lang::Json);
    assert_eq!(Lang::of("text", Some("deploy.sh")), Lang::Shell);
    assert_eq!(Lang::of("", Some("Procfile")), Lang::Text);
    assert_eq!(Lang::of("toml", None), Lang::Text);
}

// ---------------------------------------------------------------- properties

fn values() -> impl Strategy<Value = String> {
    prop_oneof!["[^\\x00]{0,16}", "[a-z0-9 '\"\\\\$`!*?~#;&|<>(){}\\[\\]=%:,\\n\\t\\r-]{0,24}",]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn shell_values_reach_the_program_as_data(v in values()) {
        for (script, want) in [
            ("printf %s <V>", v.clone()),
            ("printf %s \"pre <V> post\"", format!("pre {v} post")),
            ("printf %s 'pre <V> post'", format!("pre {v} post")),
        ] {
            let r = go(script, Lang::Shell, value(&v)).unwrap();
            let (out, created) = bash(&r.text, &[]);
            prop_assert!(created.is_empty(), "{} created {:?}", r.text, created);
            prop_assert_eq!(out, want, "{}", r.text);
        }
    }

    #[test]
    fn json_values_parse_back(v in values()) {
        let out = ok(r#"{"k": "<V>"}"#, Lang::Json, &v);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(parsed["k"].as_str(), Some(v.as_str()));
        let out = ok(r#"{"k": <V>}"#, Lang::Json, &v);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(parsed["k"].as_str(), Some(v.as_str()));
    }

    #[test]
    fn python_values_print_back(v in values()) {
        let out = ok("print('<V>', end=\"\")", Lang::Python, &v);
        prop_assert_eq!(python(&out, &[]), v.clone(), "{}", out);
        let out = ok("x = <V>\nprint(x, end='')", Lang::Python, &v);
        prop_assert_eq!(python(&out, &[]), v.clone(), "{}", out);
    }

    #[test]
    fn yaml_values_parse_back(v in values()) {
        for (text, want) in [
            ("k: <V>", v.clone()),
            ("k: \"<V>\"", v.clone()),
            ("k: '<V>'", v.clone()),
            ("k: pre-<V>", format!("pre-{v}")),
        ] {
            let out = ok(text, Lang::Yaml, &v);
            prop_assert_eq!(yaml_get(&out, "k"), Some(want), "{}", out);
        }
    }
}

#[test]
fn a_backslash_before_a_placeholder_cannot_change_the_value() {
    for (script, want) in [
        ("printf %s a\\<V>", "a{v}"),
        ("printf %s \"a\\<V>\"", "a\\{v}"),
        ("printf %s $'a\\<V>'", "a\\{v}"),
        ("cat <<EOF\na\\<V>\nEOF\n", "a\\{v}\n"),
    ] {
        for v in ["x;touch y", "$(touch y)", "'", "n", "new.txt"] {
            let r = go(script, Lang::Shell, value(v)).unwrap();
            let (out, created) = bash(&r.text, &[]);
            assert!(created.is_empty(), "{}", r.text);
            assert_eq!(out, want.replace("{v}", v), "{}", r.text);
        }
    }
    assert!(go("printf %s a\\<V>", Lang::Shell, value("")).is_err());
    assert!(go("printf %s a\\<V>", Lang::Shell, secret("s", 1)).is_err());
    assert!(go(r#"{"k": "a\<V>"}"#, Lang::Json, value("\", \"admin\": true")).is_err());
    assert!(go(r#"k: "a\<V>""#, Lang::Yaml, value("x")).is_err());
    for (program, want) in [("print('C:\\dir\\<V>', end='')", "C:\\dir\\{v}"), ("print(r'a\\<V>', end='')", "a\\{v}")] {
        for v in ["new.txt", "", "'", "x\\"] {
            let out = ok(program, Lang::Python, v);
            assert_eq!(python(&out, &[]), want.replace("{v}", v), "{out}");
        }
    }
}
