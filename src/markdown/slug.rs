//! GitHub-compatible heading anchors.
//!
//! The rule, exactly as GitHub applies it: lowercase; drop every character that is not a
//! letter, a digit, a space, `-` or `_`; each space becomes `-` (runs are not collapsed);
//! a slug seen before gets `-1`, `-2`, … in document order.

use std::collections::HashMap;

/// The anchor slug of one heading text, before de-duplication.
pub fn slugify(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// Hands out unique slugs in document order (`intro`, `intro-1`, `intro-2`).
#[derive(Default, Debug)]
pub struct Slugger {
    seen: HashMap<String, usize>,
}

impl Slugger {
    pub fn slug(&mut self, text: &str) -> String {
        let base = slugify(text);
        let mut candidate = base.clone();
        loop {
            let count = self.seen.entry(base.clone()).or_insert(0);
            if *count > 0 {
                candidate = format!("{base}-{count}");
            }
            *count += 1;
            // A generated `intro-1` may collide with a real heading "Intro 1": skip it.
            if candidate == base || !self.seen.contains_key(&candidate) {
                self.seen.entry(candidate.clone()).or_insert(1);
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_github() {
        assert_eq!(slugify("Deploying to the Example PaaS"), "deploying-to-the-example-paas");
        assert_eq!(
            slugify("Refreshing the credentials, which allow for outside access"),
            "refreshing-the-credentials-which-allow-for-outside-access"
        );
        assert_eq!(slugify("What if Sentry has downtime?"), "what-if-sentry-has-downtime");
        assert_eq!(slugify("To get credentials:"), "to-get-credentials");
        assert_eq!(slugify("a  b"), "a--b", "spaces are not collapsed");
        assert_eq!(slugify("snake_case & kebab-case"), "snake_case--kebab-case");
        assert_eq!(slugify("Ünïcödé Straße"), "ünïcödé-straße");
        assert_eq!(slugify("C++ / Rust"), "c--rust");
    }

    #[test]
    fn repeats_are_numbered() {
        let mut s = Slugger::default();
        assert_eq!(s.slug("Notes"), "notes");
        assert_eq!(s.slug("Notes"), "notes-1");
        assert_eq!(s.slug("Notes"), "notes-2");
    }

    #[test]
    fn generated_suffix_does_not_collide_with_a_real_heading() {
        let mut s = Slugger::default();
        assert_eq!(s.slug("Notes 1"), "notes-1");
        assert_eq!(s.slug("Notes"), "notes");
        assert_eq!(s.slug("Notes"), "notes-2");
    }
}
