//! The authoring syntax inside a guide: fence attributes and comment directives.
//!
//! Two spellings carry the same attributes (the README documents them):
//!
//! * a fence info string: ```` ```bash {id=push kind=command when=NO_ROUTE} ````
//! * an HTML comment just before a block, holding `;`-separated directives:
//!   `<!-- runbook: kind=output of=service-key; allow RB201 -->`
//!
//! This module only reads the syntax into an [`Annotation`] and reports malformed pieces as
//! [`AnnotationProblem`]s; the `steps` stage gives the attributes their meaning.

use crate::source::Span;

/// Every attribute a runbook author can set on a block or step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotation {
    /// Explicit step id (replaces `section-slug/n`).
    pub id: Option<String>,
    /// Block kind (`command`, `file`, …) or step kind (`manual`, `info`, `ref`).
    pub kind: Option<String>,
    /// File name a `file` block is written to.
    pub file: Option<String>,
    /// Step id an `output` block illustrates.
    pub of: Option<String>,
    /// Choice condition: `NAME`, `!NAME` or `NAME=value`.
    pub when: Option<String>,
    /// Step id this step is an alternative form of.
    pub alt: Option<String>,
    /// Section slug a `ref` step runs.
    pub ref_to: Option<String>,
    /// `new` starts a new step at this block, `same` keeps it in the current one.
    pub step: Option<String>,
    /// Step title (replaces the one taken from prose).
    pub title: Option<String>,
    /// Code block language override.
    pub lang: Option<String>,
    /// Exit status a command block is expected to end with (`expect-exit=1`).
    pub expect_exit: Option<String>,
    /// The block is an illustration, not part of the runbook.
    pub ignore: bool,
    /// Rules suppressed for the next block (`allow RB201 undefined-placeholder`).
    pub allow: Vec<String>,
    /// Where the annotation was written.
    pub span: Span,
}

/// A piece of annotation syntax that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotationProblem {
    pub message: String,
    pub span: Span,
}

/// Attribute keys understood in both spellings.
pub const KEYS: &[&str] = &["id", "kind", "file", "of", "when", "alt", "ref", "step", "title", "lang", "expect-exit"];

impl Annotation {
    pub fn is_empty(&self) -> bool {
        *self == Annotation { span: self.span, ..Annotation::default() }
    }

    /// Later settings win; `allow` lists accumulate.
    pub fn merge(&mut self, other: Annotation) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(id, kind, file, of, when, alt, ref_to, step, title, lang, expect_exit);
        self.ignore |= other.ignore;
        self.allow.extend(other.allow);
        self.span = if self.span.is_empty() { other.span } else { self.span.to(other.span) };
    }

    fn set(&mut self, key: &str, value: String) -> Result<(), String> {
        let slot = match key {
            "id" => &mut self.id,
            "kind" => &mut self.kind,
            "file" => &mut self.file,
            "of" => &mut self.of,
            "when" => &mut self.when,
            "alt" => &mut self.alt,
            "ref" => &mut self.ref_to,
            "step" => &mut self.step,
            "title" => &mut self.title,
            "lang" => &mut self.lang,
            "expect-exit" => {
                if value.parse::<i32>().is_err() {
                    return Err(format!("`expect-exit` takes an exit status (a number), not `{value}`"));
                }
                &mut self.expect_exit
            }
            _ => return Err(unknown_key(key)),
        };
        if value.is_empty() {
            return Err(format!("attribute `{key}` needs a value"));
        }
        *slot = Some(value);
        Ok(())
    }
}

fn unknown_key(key: &str) -> String {
    format!("unknown runbook attribute `{key}` (known: {})", KEYS.join(", "))
}

/// Split a fence info string into its language and the `{...}` attribute list, if any.
/// `bash {id=push}` → (`bash`, Some(`id=push`, offset of `id`)).
pub fn split_info(info: &str) -> (&str, Option<(&str, usize)>) {
    let Some(open) = info.find('{') else {
        return (info.split_whitespace().next().unwrap_or(""), None);
    };
    let lang = info[..open].split_whitespace().next().unwrap_or("");
    let rest = &info[open + 1..];
    let inner = rest.rfind('}').map_or(rest, |close| &rest[..close]);
    (lang, Some((inner, open + 1)))
}

/// Parse `key=value key2="quoted value" ignore` (fence attributes). `base` is the byte offset
/// of `text` in the source, so problems point at the right column.
pub fn parse_attributes(text: &str, base: usize) -> (Annotation, Vec<AnnotationProblem>) {
    let mut ann = Annotation { span: Span::new(base, base + text.len()), ..Annotation::default() };
    let mut problems = Vec::new();
    for (word, at) in words(text) {
        let span = Span::new(base + at, base + at + word.raw_len);
        if let Some((key, value)) = word.text.split_once('=') {
            if let Err(message) = ann.set(key, value.to_string()) {
                problems.push(AnnotationProblem { message, span });
            }
        } else if word.text == "ignore" {
            ann.ignore = true;
        } else if let Some(id) = word.text.strip_prefix('#') {
            ann.id = Some(id.to_string());
        } else {
            problems.push(AnnotationProblem {
                message: format!("expected `key=value` in runbook attributes, found `{}`", word.text),
                span,
            });
        }
    }
    (ann, problems)
}

/// Parse an HTML comment. Returns `None` when it is not a `<!-- runbook: ... -->` comment.
/// `base` is the byte offset of `html` in the source.
pub fn parse_comment(html: &str, base: usize) -> Option<(Annotation, Vec<AnnotationProblem>)> {
    let trimmed_start = html.len() - html.trim_start().len();
    let body = html.trim().strip_prefix("<!--")?.strip_suffix("-->")?;
    let lead = body.len() - body.trim_start().len();
    let rest = body.trim_start().strip_prefix("runbook:")?;
    let mut offset = base + trimmed_start + 4 + lead + "runbook:".len();
    let mut ann = Annotation { span: Span::new(base, base + html.trim_end().len()), ..Annotation::default() };
    let mut problems = Vec::new();
    for directive in rest.split(';') {
        let here = offset + (directive.len() - directive.trim_start().len());
        offset += directive.len() + 1;
        let d = directive.trim();
        if d.is_empty() {
            continue;
        }
        let (head, tail) = d.split_once(char::is_whitespace).unwrap_or((d, ""));
        if head == "allow" {
            let rules: Vec<String> = tail.split([' ', ',']).filter(|s| !s.is_empty()).map(String::from).collect();
            if rules.is_empty() {
                problems.push(AnnotationProblem {
                    message: "`allow` needs at least one rule code or name".into(),
                    span: Span::new(here, here + d.len()),
                });
            }
            ann.allow.extend(rules);
        } else {
            let (a, p) = parse_attributes(d, here);
            ann.merge(Annotation { span: ann.span, ..a });
            problems.extend(p);
        }
    }
    Some((ann, problems))
}

struct Word {
    text: String,
    raw_len: usize,
}

/// Whitespace-separated words; `"..."` quotes a value (with `\"` and `\\` escapes).
fn words(text: &str) -> Vec<(Word, usize)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut end = start;
        let mut quoted = false;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_whitespace() && !quoted {
                break;
            }
            chars.next();
            end = i + c.len_utf8();
            match c {
                '"' => quoted = !quoted,
                '\\' if quoted => {
                    if let Some((j, n)) = chars.next() {
                        word.push(n);
                        end = j + n.len_utf8();
                    }
                }
                _ => word.push(c),
            }
        }
        out.push((Word { text: word, raw_len: end - start }, start));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_string_with_attributes() {
        let (lang, attrs) = split_info("bash {id=push kind=command}");
        assert_eq!(lang, "bash");
        let (text, at) = attrs.unwrap();
        assert_eq!((text, at), ("id=push kind=command", 6));
        let (a, p) = parse_attributes(text, at);
        assert!(p.is_empty());
        assert_eq!(a.id.as_deref(), Some("push"));
        assert_eq!(a.kind.as_deref(), Some("command"));
    }

    #[test]
    fn info_string_without_attributes() {
        assert_eq!(split_info("json "), ("json", None));
        assert_eq!(split_info(""), ("", None));
        assert_eq!(split_info("{kind=env}"), ("", Some(("kind=env", 1))));
    }

    #[test]
    fn quoted_values_and_flags() {
        let (a, p) = parse_attributes(r#"title="Push the \"app\"" ignore #push"#, 0);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(a.title.as_deref(), Some("Push the \"app\""));
        assert!(a.ignore);
        assert_eq!(a.id.as_deref(), Some("push"));
    }

    #[test]
    fn unknown_key_is_reported_with_its_span() {
        let (_, p) = parse_attributes("id=x colour=red", 10);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("unknown runbook attribute `colour`"));
        assert_eq!(p[0].span, Span::new(15, 25));
    }

    #[test]
    fn comment_with_several_directives() {
        let html = "<!-- runbook: kind=output of=service-key; allow RB201, RB202 -->\n";
        let (a, p) = parse_comment(html, 100).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(a.kind.as_deref(), Some("output"));
        assert_eq!(a.of.as_deref(), Some("service-key"));
        assert_eq!(a.allow, vec!["RB201", "RB202"]);
        assert_eq!(a.span.start, 100);
    }

    #[test]
    fn other_comments_are_not_annotations() {
        assert!(parse_comment("<!-- just a note -->", 0).is_none());
        assert!(parse_comment("<div>", 0).is_none());
    }

    #[test]
    fn bad_directive_points_into_the_comment() {
        let html = "<!-- runbook: id=a; bogus -->";
        let (_, p) = parse_comment(html, 0).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(&html[p[0].span.start..p[0].span.end], "bogus");
    }
}
