//! What the prose around a block says: titles, conditions, alternatives, references,
//! announcements of output, and file names.

use std::sync::LazyLock;

use regex::Regex;

static OUTPUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(the output|output will|output should|will look like|should look like|looks like this|you should see|will print|prints|will return|returns|response will|will be under|example output|sample output)\b",
    )
    .unwrap()
});
static CONDITION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^(?:note\s*:\s*)?if\s+([^,:]+?)\s*[,:]\s*(.*)$").unwrap());
static ALTERNATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:this|it)\s+can\s+(?:also\s+)?be\s+done|^alternatively\b|^you\s+can\s+also\b|^instead\b|^or\b")
        .unwrap()
});
static LEAD_ALTERNATIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:note\s*:\s*)?(?:alternatively|as an alternative)\b").unwrap());
static FOLLOW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:follow|repeat|see|go through|complete|run|redo|do)\b").unwrap());
static FILE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[\w.-]+/)*[\w-][\w.-]*\.(?:ya?ml|json|toml|txt|csv|py|env|cfg|ini|conf|sh|md|xml|properties)$|^<[^<>\s]*\b(?:file|json|yaml|yml)\b[^<>]*>$",
    )
    .unwrap()
});

/// Whether prose introduces a sample of output rather than something to run or write.
pub fn announces_output(text: &str) -> bool {
    OUTPUT.is_match(text)
}

/// What a step's introducing sentence says about when it applies.
#[derive(Debug, PartialEq, Eq)]
pub struct Applies {
    /// "If X, …" → Some("X").
    pub condition: Option<String>,
    /// "…, this can be done using …" / "Alternatively, …": an alternative form of the
    /// previous step.
    pub alternative: bool,
}

pub fn applies(text: &str) -> Applies {
    let text = text.trim();
    if let Some(cap) = CONDITION.captures(text) {
        let rest = cap[2].trim();
        return Applies { condition: Some(cap[1].trim().to_string()), alternative: ALTERNATIVE.is_match(rest) };
    }
    Applies { condition: None, alternative: LEAD_ALTERNATIVE.is_match(text) }
}

/// The title of a step: the first sentence of its prose, without a trailing colon, at most
/// 100 characters.
pub fn title(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.strip_prefix("Note: ").unwrap_or(&text);
    let mut end = text.find(" Note:").unwrap_or(text.len());
    for (i, _) in text.match_indices(". ") {
        // "e.g. x" and "i.e. x" do not end a sentence.
        let before = &text[..i];
        if !(before.ends_with("e.g") || before.ends_with("i.e") || before.ends_with("etc")) {
            end = end.min(i + 1);
            break;
        }
    }
    let sentence = text[..end].trim().trim_end_matches(':').trim_end();
    truncate(sentence, 100)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Whether a sentence only sends the reader to another section: "Follow [X](#x)" as its
/// first sentence. Returns the target slug.
pub fn ref_target<'a>(text: &str, internal_links: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let first = title(text);
    if !FOLLOW.is_match(&first) {
        return None;
    }
    internal_links
        .into_iter()
        .find(|(link_text, _)| first.contains(link_text.trim()))
        .map(|(_, dest)| dest.trim_start_matches('#').to_string())
}

/// Whether inline code names a file (`manifest.yml`, `<json.file>`).
pub fn is_file_name(code: &str) -> bool {
    FILE_NAME.is_match(code.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        let a = applies("If the space does not exist yet, create it with:");
        assert_eq!(a.condition.as_deref(), Some("the space does not exist yet"));
        assert!(!a.alternative);
        let a = applies("If you pushed with the --no-route flag, add a route");
        assert_eq!(a.condition.as_deref(), Some("you pushed with the --no-route flag"));
    }

    #[test]
    fn alternatives() {
        let a = applies("Note: If on Linux, this can be done with inline JSON:");
        assert_eq!(a.condition.as_deref(), Some("on Linux"));
        assert!(a.alternative);
        let a = applies("Alternatively, pass the JSON inline:");
        assert_eq!(a, Applies { condition: None, alternative: true });
        assert_eq!(applies("Once the space exists, target it:"), Applies { condition: None, alternative: false });
    }

    #[test]
    fn output_announcements() {
        assert!(announces_output("The output will look like:"));
        assert!(announces_output("The keys will be under the credentials entry"));
        assert!(!announces_output("Create a json file containing:"));
        assert!(!announces_output("Push the application using:"));
    }

    #[test]
    fn titles() {
        assert_eq!(title("Log in through Cloud Foundry:"), "Log in through Cloud Foundry");
        assert_eq!(title("Push it. Then wait."), "Push it.");
        assert_eq!(title("Use a tool e.g. curl. More."), "Use a tool e.g. curl.");
        assert_eq!(title("Note: If using X, do Y:"), "If using X, do Y");
        assert_eq!(title(&"a".repeat(150)).chars().count(), 100);
    }

    #[test]
    fn refs() {
        let links = [("Creating credentials", "#creating-credentials")];
        assert_eq!(ref_target("Follow Creating credentials Note: x", links).as_deref(), Some("creating-credentials"));
        assert_eq!(ref_target("Create separate environments. See Creating credentials", links), None);
    }

    #[test]
    fn file_names() {
        assert!(is_file_name("manifest.yml"));
        assert!(is_file_name("<json.file>"));
        assert!(is_file_name("<file.json>"));
        assert!(is_file_name("config/app.json"));
        assert!(!is_file_name("--no-route"));
        assert!(!is_file_name("cf push"));
        assert!(!is_file_name("read_csv(...)"));
    }
}
