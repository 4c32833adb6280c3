//! The reference guide (`../shared/guide/publication-guide.md`), unmodified, as an external
//! fixture. Its text is not ours: these tests assert structure only (ids, numbers, kinds,
//! lines, attachments), written out by hand from reading the guide.

use serde_json::Value;

use crate::support::{json_of, reference_guide, runbook};

/// (id, printed number, step kind, line, [(block kind, block line, output_of, file)], condition?,
/// alternative_of, ref)
struct Expected {
    id: &'static str,
    number: Option<&'static str>,
    kind: &'static str,
    line: u64,
    blocks: &'static [(&'static str, u64, Option<&'static str>, Option<&'static str>)],
    conditional: bool,
    alternative_of: Option<&'static str>,
    ref_to: Option<&'static str>,
}

const fn step(id: &'static str, number: Option<&'static str>, kind: &'static str, line: u64) -> Expected {
    Expected { id, number, kind, line, blocks: &[], conditional: false, alternative_of: None, ref_to: None }
}

const D: &str = "deploying-to-gov-uk-paas";
const BIND: &str = "creating-credentials-for-the-application-to-the-bucket";
const KEY: &str = "creating-credentials-to-allow-for-outside-access-to-the-bucket";
const ROT: &str = "refreshing-the-credentials-which-allow-for-outside-access-to-the-bucket";
const GET: &str = "to-get-credentials-for-a-service-key-use";

fn expected() -> Vec<Expected> {
    vec![
        step("deploying-to-gov-uk-paas/1", Some("1"), "manual", 29),
        step("deploying-to-gov-uk-paas/2", Some("2"), "manual", 30),
        Expected {
            blocks: &[("file", 32, None, Some("manifest.yml"))],
            ..step("deploying-to-gov-uk-paas/3", Some("3"), "file", 31)
        },
        Expected {
            blocks: &[("command", 43, None, None)],
            ..step("deploying-to-gov-uk-paas/4", Some("4"), "command", 42)
        },
        step("deploying-to-gov-uk-paas/5", Some("5"), "manual", 46),
        Expected {
            blocks: &[("command", 48, None, None)],
            conditional: true,
            ..step("deploying-to-gov-uk-paas/6", Some("6"), "command", 47)
        },
        Expected {
            blocks: &[("command", 52, None, None)],
            ..step("deploying-to-gov-uk-paas/7", Some("7"), "command", 51)
        },
        Expected {
            blocks: &[("command", 56, None, None)],
            ..step("deploying-to-gov-uk-paas/8", Some("8"), "command", 55)
        },
        // The list resumes at 9 after two notes that CommonMark puts outside it.
        Expected {
            blocks: &[("command", 65, None, None)],
            conditional: true,
            ..step("deploying-to-gov-uk-paas/9", Some("9"), "command", 64)
        },
        Expected {
            blocks: &[("command", 69, None, None)],
            ..step("deploying-to-gov-uk-paas/10", Some("10"), "command", 68)
        },
        Expected {
            blocks: &[("command", 87, None, None)],
            ..step("creating-the-ip-filtering-application/1", None, "command", 85)
        },
        Expected {
            blocks: &[("command", 99, None, None)],
            ..step("creating-and-binding-the-route-service/1", None, "command", 97)
        },
        Expected {
            blocks: &[("command", 118, None, None)],
            ..step("creating-an-aws-s3-backing-service/1", None, "command", 117)
        },
        // The JSON parameters file is named by the `-c <json.file>` of the next command.
        Expected {
            blocks: &[("file", 130, None, Some("<json.file>"))],
            ..step("creating-credentials-for-the-application-to-the-bucket/1", None, "file", 129)
        },
        Expected {
            blocks: &[("command", 134, None, None)],
            ..step("creating-credentials-for-the-application-to-the-bucket/2", None, "command", 134)
        },
        Expected {
            blocks: &[("command", 141, None, None)],
            conditional: true,
            alternative_of: Some("creating-credentials-for-the-application-to-the-bucket/2"),
            ..step("creating-credentials-for-the-application-to-the-bucket/3", None, "command", 140)
        },
        // Inline code in prose becomes a command because the output sample illustrates it.
        Expected {
            blocks: &[
                ("command", 145, None, None),
                ("output", 149, Some("creating-credentials-for-the-application-to-the-bucket/4"), None),
            ],
            ..step("creating-credentials-for-the-application-to-the-bucket/4", None, "command", 145)
        },
        Expected {
            blocks: &[("file", 188, None, Some("<file.json>"))],
            ..step("creating-credentials-to-allow-for-outside-access-to-the-bucket/1", None, "file", 187)
        },
        Expected {
            blocks: &[("command", 192, None, None)],
            ..step("creating-credentials-to-allow-for-outside-access-to-the-bucket/2", None, "command", 192)
        },
        Expected {
            blocks: &[("command", 197, None, None)],
            conditional: true,
            alternative_of: Some("creating-credentials-to-allow-for-outside-access-to-the-bucket/2"),
            ..step("creating-credentials-to-allow-for-outside-access-to-the-bucket/3", None, "command", 196)
        },
        Expected {
            blocks: &[("command", 203, None, None)],
            ..step("creating-credentials-to-allow-for-outside-access-to-the-bucket/4", None, "command", 201)
        },
        Expected {
            blocks: &[("command", 214, None, None)],
            ..step(
                "refreshing-the-credentials-which-allow-for-outside-access-to-the-bucket/1",
                Some("1"),
                "command",
                213,
            )
        },
        Expected {
            blocks: &[("command", 218, None, None)],
            ..step(
                "refreshing-the-credentials-which-allow-for-outside-access-to-the-bucket/2",
                Some("2"),
                "command",
                217,
            )
        },
        Expected {
            ref_to: Some(KEY),
            ..step("refreshing-the-credentials-which-allow-for-outside-access-to-the-bucket/3", Some("3"), "ref", 221)
        },
        Expected {
            blocks: &[
                ("command", 232, None, None),
                ("output", 236, Some("to-get-credentials-for-a-service-key-use/1"), None),
            ],
            ..step("to-get-credentials-for-a-service-key-use/1", None, "command", 232)
        },
        Expected {
            blocks: &[("code", 252, None, None)],
            ..step("to-get-credentials-for-a-service-key-use/2", None, "code", 250)
        },
        Expected {
            blocks: &[("code", 266, None, None)],
            ..step("to-get-credentials-for-a-service-key-use/3", None, "code", 263)
        },
        Expected {
            blocks: &[("env", 275, None, None)],
            ..step("to-get-credentials-for-a-service-key-use/4", None, "info", 272)
        },
        Expected {
            blocks: &[("command", 285, None, None)],
            ..step("setting-environment-variables-using-cloudfoundry/1", None, "command", 285)
        },
        Expected { blocks: &[("code", 293, None, None)], ..step("connecting-to-a-bucket/1", None, "code", 291) },
        Expected { blocks: &[("code", 303, None, None)], ..step("uploading-a-file-to-a-bucket/1", None, "code", 301) },
        Expected {
            blocks: &[("code", 314, None, None)],
            ..step("accessing-a-file-within-the-bucket/1", None, "code", 311)
        },
        Expected {
            blocks: &[("code", 325, None, None)],
            ..step("accessing-the-environment-variable-within-python/1", None, "code", 325)
        },
        Expected {
            blocks: &[("code", 336, None, None)],
            ..step("copying-a-file-from-one-bucket-to-another-bucket/1", None, "code", 334)
        },
        Expected {
            blocks: &[("code", 349, None, None)],
            ..step("copying-a-file-from-one-bucket-to-another-bucket/2", None, "code", 347)
        },
        step("setting-up-github-manual-reviewers-for-deployment/1", Some("1"), "manual", 365),
        step("setting-up-github-manual-reviewers-for-deployment/2", Some("2"), "manual", 367),
        Expected {
            blocks: &[("workflow", 369, None, None)],
            ..step("setting-up-github-manual-reviewers-for-deployment/3", Some("3"), "info", 368)
        },
        step("setting-up-github-manual-reviewers-for-deployment/4", Some("4"), "manual", 378),
        step("setting-up-github-manual-reviewers-for-deployment/5", Some("5"), "manual", 379),
        // The nested item is sub-step 5.1; its id is its position in the section.
        step("setting-up-github-manual-reviewers-for-deployment/6", Some("5.1"), "manual", 380),
        step("setting-up-manual-reviewers-from-different-groups/1", Some("1"), "manual", 387),
        step("setting-up-manual-reviewers-from-different-groups/2", Some("2"), "manual", 388),
        Expected {
            blocks: &[("workflow", 390, None, None)],
            ..step("setting-up-manual-reviewers-from-different-groups/3", Some("3"), "info", 389)
        },
        Expected {
            blocks: &[("workflow", 409, None, None)],
            ..step("setting-up-manual-reviewers-from-different-groups/4", Some("4"), "info", 408)
        },
        step("setting-up-logging/1", Some("1"), "manual", 420),
        step("setting-up-logging/2", Some("2"), "manual", 421),
        // A block after a numbered item belongs to it until the next item: two code blocks.
        Expected {
            blocks: &[("code", 423, None, None), ("code", 428, None, None)],
            ..step("setting-up-logging/3", Some("3"), "code", 422)
        },
        step("setting-up-application-alerts/1", Some("1"), "manual", 443),
        step("setting-up-application-alerts/2", Some("2"), "manual", 444),
        step("setting-up-autoscaling/1", Some("1"), "manual", 455),
    ]
}

fn steps_json() -> Value {
    json_of(runbook().args(["steps", "--format", "json"]).arg(reference_guide()))
}

#[test]
fn every_step_in_order_with_number_kind_line_and_blocks() {
    let json = steps_json();
    let steps = json["steps"].as_array().expect("steps");
    let expected = expected();
    let got_ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let want_ids: Vec<&str> = expected.iter().map(|e| e.id).collect();
    assert_eq!(got_ids, want_ids, "step ids and order");
    for (s, e) in steps.iter().zip(&expected) {
        assert_eq!(s["number"].as_str(), e.number, "{}: number", e.id);
        assert_eq!(s["kind"], e.kind, "{}: kind", e.id);
        assert_eq!(s["line"], e.line, "{}: line", e.id);
        let column = if e.number == Some("5.1") { 4 } else { 1 };
        assert_eq!(s["column"], column, "{}: column (a nested item is indented)", e.id);
        assert_eq!(!s["condition"].is_null(), e.conditional, "{}: condition", e.id);
        assert_eq!(s["alternative_of"].as_str(), e.alternative_of, "{}: alternative_of", e.id);
        assert_eq!(s["ref"].as_str(), e.ref_to, "{}: ref", e.id);
        let blocks: Vec<(&str, u64, Option<&str>, Option<&str>)> = s["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (b["kind"].as_str().unwrap(), b["line"].as_u64().unwrap(), b["output_of"].as_str(), b["file"].as_str())
            })
            .collect();
        assert_eq!(blocks, e.blocks, "{}: blocks", e.id);
    }
    assert_eq!(json["problems"], serde_json::json!([]), "the reference guide parses without warnings");
}

#[test]
fn conditions_keep_the_guides_words_without_a_choice_variable() {
    let json = steps_json();
    let cond =
        |id: &str| json["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["condition"].clone();
    for id in [format!("{D}/6"), format!("{D}/9"), format!("{BIND}/3"), format!("{KEY}/3")] {
        let c = cond(&id);
        assert!(c["text"].as_str().is_some_and(|t| !t.is_empty()), "{id}: {c}");
        assert!(c["when"].is_null(), "{id}: an unannotated guide declares no choice");
    }
}

#[test]
fn inline_command_and_multi_command_blocks() {
    let json = steps_json();
    let find = |id: &str| json["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
    let env = find(&format!("{BIND}/4"));
    assert_eq!(env["blocks"][0]["inline"], true);
    assert_eq!(env["blocks"][0]["column"], 43, "the inline code span's column (at its backticks)");
    assert_eq!(env["blocks"][0]["commands"].as_array().unwrap().len(), 1);
    let route = find("creating-and-binding-the-route-service/1");
    let lines: Vec<u64> =
        route["blocks"][0]["commands"].as_array().unwrap().iter().map(|c| c["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [100, 101], "one addressable command per line");
    let rot = find(&format!("{ROT}/1"));
    assert_eq!(rot["blocks"][0]["commands"][0]["line"], 215);
    let get = find(&format!("{GET}/1"));
    assert_eq!(get["blocks"][1]["lang"], "bash", "an output sample fenced as shell is still output");
}

#[test]
fn sections_and_the_glossary() {
    let json = steps_json();
    let sections = json["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 28);
    let glossary: Vec<&str> =
        sections.iter().filter(|s| s["glossary"] == true).map(|s| s["slug"].as_str().unwrap()).collect();
    assert_eq!(glossary, ["key-terms"]);
    let connecting = sections.iter().find(|s| s["slug"] == "connecting-to-s3").unwrap();
    assert_eq!(connecting["parent"], "accessing-a-private-s3-bucket-in-python");
    assert_eq!(connecting["line"], 228);
    assert!(
        json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["section"] != "key-terms" && s["section"] != "table-of-contents")
    );
}

#[test]
fn runbook_identity_is_reported() {
    let json = steps_json();
    assert_eq!(json["format_version"], 1);
    let sha = json["runbook"]["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(sha.chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn human_outline_has_every_step_with_its_location() {
    let out = runbook().arg("steps").arg(reference_guide()).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("51 steps (19 command, 3 file, 9 code, 15 manual, 1 ref, 4 info)"), "{text}");
    for e in expected() {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(e.id))
            .unwrap_or_else(|| panic!("{} missing", e.id));
        assert!(line.contains(&format!("publication-guide.md:{}", e.line)), "{line}");
        assert!(line.contains(e.kind), "{line}");
    }
    assert!(text.contains(&format!("runs section #{KEY}")));
    assert!(text.contains(&format!("alternative to {BIND}/2")));
}

#[test]
fn prompting_and_secret_printing_commands_are_step_flags() {
    let json = steps_json();
    let flags = |id: &str| json["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["flags"].clone();
    assert_eq!(flags(&format!("{D}/4")), serde_json::json!(["interactive"]), "login without a password prompts");
    assert_eq!(flags(&format!("{ROT}/2")), serde_json::json!(["interactive"]), "a delete without -f asks");
    assert_eq!(flags(&format!("{BIND}/4")), serde_json::json!(["prints-secrets", "expects-output"]));
    assert_eq!(flags(&format!("{KEY}/4")), serde_json::json!(["prints-secrets"]));
    assert_eq!(flags(&format!("{GET}/1")), serde_json::json!(["prints-secrets", "expects-output"]));
    assert_eq!(flags(&format!("{D}/8")), serde_json::json!([]));
}
