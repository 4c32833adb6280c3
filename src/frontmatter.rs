//! Runbook declarations in YAML front matter.
//!
//! ```yaml
//! ---
//! runbook: 1
//! title: Publish the dashboard
//! glossary: Glossary                # heading of the glossary section (default: "Key terms" or "Glossary")
//! placeholders:
//!   APP_NAME: {description: The app on Cloud Foundry, kind: cf-name, example: dash-app}
//!   AWS_SECRET_ACCESS_KEY: {kind: aws-secret-access-key, secret: true}
//! choices:
//!   NO_ROUTE: {description: Push without a route, values: [true, false], default: false}
//! captures:
//!   ACCESS_KEY_ID: {from: service-key, json: /aws_access_key_id, secret: true}
//! exports:
//!   AWS_ACCESS_KEY_ID: ACCESS_KEY_ID
//! policies:
//!   read-only-bindings:
//!     - {app: APP_NAME, service: SERVICE_NAME}
//! ---
//! ```
//!
//! This module reads that block into [`FrontMatter`] with a span on every declaration, and
//! reports unknown keys and wrong shapes as [`Problem`]s. It gives the declarations no meaning:
//! `params`, `plan` and `lint` do.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::markdown::{FrontMatterBlock, Problem};
use crate::source::Span;

#[derive(Debug, Default, Clone)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub glossary: Option<String>,
    pub placeholders: Vec<Declaration>,
    pub choices: Vec<Choice>,
    pub captures: Vec<Capture>,
    pub exports: Vec<Export>,
    pub read_only_bindings: Vec<BindingPolicy>,
}

/// A declared placeholder.
#[derive(Debug, Default, Clone)]
pub struct Declaration {
    pub name: String,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub pattern: Option<String>,
    pub values: Vec<String>,
    pub default: Option<String>,
    pub secret: Option<bool>,
    pub example: Option<String>,
    pub span: Span,
}

/// A choice variable that decides conditions (`when=NO_ROUTE`) and alternatives.
#[derive(Debug, Default, Clone)]
pub struct Choice {
    pub name: String,
    pub description: Option<String>,
    pub values: Vec<String>,
    pub default: Option<String>,
    pub span: Span,
}

/// A value taken from an earlier step's output.
#[derive(Debug, Default, Clone)]
pub struct Capture {
    pub name: String,
    /// Step id whose output is read.
    pub from: String,
    /// JSON pointer into the output (`/credentials/bucket_name`).
    pub json: Option<String>,
    /// Regular expression whose first group is the value.
    pub regex: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub secret: Option<bool>,
    pub span: Span,
}

/// An environment variable a step's child processes receive, from a placeholder.
#[derive(Debug, Clone)]
pub struct Export {
    pub env: String,
    pub placeholder: String,
    pub span: Span,
}

/// "This app binds this service read-only."
#[derive(Debug, Clone)]
pub struct BindingPolicy {
    pub app: String,
    pub service: String,
    pub span: Span,
}

const TOP_KEYS: &[&str] =
    &["runbook", "title", "glossary", "placeholders", "choices", "captures", "exports", "policies"];
const DECL_KEYS: &[&str] = &["description", "kind", "pattern", "enum", "values", "default", "secret", "example"];
const CHOICE_KEYS: &[&str] = &["description", "values", "default"];
const CAPTURE_KEYS: &[&str] = &["from", "json", "regex", "description", "kind", "secret"];

/// Read a front matter block. Problems carry absolute byte spans into the Markdown file.
pub fn parse(block: &FrontMatterBlock) -> (FrontMatter, Vec<Problem>) {
    let mut r = Reader { block, problems: Vec::new() };
    let fm = r.read();
    (fm, r.problems)
}

struct Reader<'a> {
    block: &'a FrontMatterBlock,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn read(&mut self) -> FrontMatter {
        let mut fm = FrontMatter::default();
        let docs = match MarkedYaml::load_from_str(&self.block.text) {
            Ok(d) => d,
            Err(e) => {
                let at = self.byte(e.marker().index());
                self.problem(format!("front matter is not valid YAML: {}", e.info()), Span::new(at, at));
                return fm;
            }
        };
        let Some(root) = docs.first() else { return fm };
        if matches!(root.data, YamlData::Value(Scalar::Null)) {
            return fm;
        }
        let Some(map) = self.mapping(root, "front matter") else { return fm };
        for (key, value) in map {
            let Some(k) = self.key(key) else { continue };
            match k.as_str() {
                "runbook" => {
                    if Self::scalar(value).as_deref() != Some("1") {
                        self.problem("unsupported `runbook` syntax version (expected 1)".into(), self.span(value));
                    }
                }
                "title" => fm.title = Self::scalar(value),
                "glossary" => fm.glossary = Self::scalar(value),
                "placeholders" => fm.placeholders = self.entries(value, DECL_KEYS, Self::declaration),
                "choices" => fm.choices = self.entries(value, CHOICE_KEYS, Self::choice),
                "captures" => fm.captures = self.entries(value, CAPTURE_KEYS, Self::capture),
                "exports" => fm.exports = self.exports(value),
                "policies" => fm.read_only_bindings = self.policies(value),
                _ => self.unknown(&k, key, TOP_KEYS),
            }
        }
        fm
    }

    /// A mapping of NAME → fields, each read by `f`.
    fn entries<T>(
        &mut self,
        node: &MarkedYaml<'_>,
        allowed: &[&str],
        f: fn(&mut Self, String, &MarkedYaml<'_>, Span) -> T,
    ) -> Vec<T> {
        let mut out = Vec::new();
        let Some(map) = self.mapping(node, "this section") else { return out };
        for (key, value) in map {
            let Some(name) = self.key(key) else { continue };
            let span = self.span(key).to(self.span(value));
            if let YamlData::Mapping(fields) = &value.data {
                for k in fields.keys() {
                    if let Some(field) = self.key(k)
                        && !allowed.contains(&field.as_str())
                    {
                        self.unknown(&field, k, allowed);
                    }
                }
            } else if !matches!(value.data, YamlData::Value(Scalar::Null)) {
                self.problem(
                    format!("`{name}` should be a mapping of fields ({})", allowed.join(", ")),
                    self.span(value),
                );
                continue;
            }
            out.push(f(self, name, value, span));
        }
        out
    }

    fn declaration(&mut self, name: String, v: &MarkedYaml<'_>, span: Span) -> Declaration {
        let mut values = self.list(v.data.as_mapping_get("enum"));
        values.extend(self.list(v.data.as_mapping_get("values")));
        Declaration {
            description: self.field(v, "description"),
            kind: self.field(v, "kind"),
            pattern: self.field(v, "pattern"),
            values,
            default: self.field(v, "default"),
            secret: self.bool_field(v, "secret"),
            example: self.field(v, "example"),
            name,
            span,
        }
    }

    fn choice(&mut self, name: String, v: &MarkedYaml<'_>, span: Span) -> Choice {
        let mut values = self.list(v.data.as_mapping_get("values"));
        if values.is_empty() {
            values = vec!["true".into(), "false".into()];
        }
        Choice { description: self.field(v, "description"), default: self.field(v, "default"), values, name, span }
    }

    fn capture(&mut self, name: String, v: &MarkedYaml<'_>, span: Span) -> Capture {
        let from = self.field(v, "from").unwrap_or_default();
        if from.is_empty() {
            self.problem(format!("capture `{name}` needs `from: STEP-ID`"), span);
        }
        let json = self.field(v, "json");
        let regex = self.field(v, "regex");
        if json.is_none() && regex.is_none() {
            self.problem(format!("capture `{name}` needs `json: /pointer` or `regex: PATTERN`"), span);
        }
        Capture {
            from,
            json,
            regex,
            description: self.field(v, "description"),
            kind: self.field(v, "kind"),
            secret: self.bool_field(v, "secret"),
            name,
            span,
        }
    }

    fn exports(&mut self, node: &MarkedYaml<'_>) -> Vec<Export> {
        let mut out = Vec::new();
        let Some(map) = self.mapping(node, "`exports`") else { return out };
        for (k, v) in map {
            if let (Some(env), Some(placeholder)) = (self.key(k), Self::scalar(v)) {
                out.push(Export { env, placeholder, span: self.span(k).to(self.span(v)) });
            }
        }
        out
    }

    fn policies(&mut self, node: &MarkedYaml<'_>) -> Vec<BindingPolicy> {
        let mut out = Vec::new();
        let Some(map) = self.mapping(node, "`policies`") else { return out };
        for (k, v) in map {
            let Some(name) = self.key(k) else { continue };
            if name != "read-only-bindings" {
                self.unknown(&name, k, &["read-only-bindings"]);
                continue;
            }
            let YamlData::Sequence(seq) = &v.data else {
                self.problem("`read-only-bindings` should be a list of `{app, service}`".into(), self.span(v));
                continue;
            };
            for entry in seq {
                let (app, service) = (self.field(entry, "app"), self.field(entry, "service"));
                match (app, service) {
                    (Some(app), Some(service)) => out.push(BindingPolicy { app, service, span: self.span(entry) }),
                    _ => self.problem("a read-only binding needs `app` and `service`".into(), self.span(entry)),
                }
            }
        }
        out
    }

    fn mapping<'n, 'i>(
        &mut self,
        node: &'n MarkedYaml<'i>,
        what: &str,
    ) -> Option<&'n saphyr::AnnotatedMapping<'i, MarkedYaml<'i>>> {
        match &node.data {
            YamlData::Mapping(m) => Some(m),
            YamlData::Value(Scalar::Null) => None,
            _ => {
                self.problem(format!("{what} should be a mapping"), self.span(node));
                None
            }
        }
    }

    fn key(&mut self, node: &MarkedYaml<'_>) -> Option<String> {
        let s = Self::scalar(node);
        if s.is_none() {
            self.problem("keys must be plain strings".into(), self.span(node));
        }
        s
    }

    fn field(&mut self, node: &MarkedYaml<'_>, name: &str) -> Option<String> {
        let v = node.data.as_mapping_get(name)?;
        let s = Self::scalar(v);
        if s.is_none() {
            self.problem(format!("`{name}` should be a single value"), self.span(v));
        }
        s
    }

    fn bool_field(&mut self, node: &MarkedYaml<'_>, name: &str) -> Option<bool> {
        let v = node.data.as_mapping_get(name)?;
        match &v.data {
            YamlData::Value(Scalar::Boolean(b)) => Some(b.to_owned()),
            _ => {
                self.problem(format!("`{name}` should be `true` or `false`"), self.span(v));
                None
            }
        }
    }

    fn list(&mut self, node: Option<&MarkedYaml<'_>>) -> Vec<String> {
        match node.map(|n| &n.data) {
            None => Vec::new(),
            Some(YamlData::Sequence(seq)) => seq.iter().filter_map(|n| Self::scalar(n)).collect(),
            Some(_) => {
                let span = node.map_or(Span::default(), |n| self.span(n));
                self.problem("expected a list of values".into(), span);
                Vec::new()
            }
        }
    }

    fn scalar(node: &MarkedYaml<'_>) -> Option<String> {
        match &node.data {
            YamlData::Value(s) => match s {
                Scalar::Null => None,
                Scalar::Boolean(b) => Some(b.to_string()),
                Scalar::Integer(i) => Some(i.to_string()),
                Scalar::FloatingPoint(f) => Some(f.to_string()),
                Scalar::String(s) => Some(s.to_string()),
            },
            YamlData::Representation(s, _, _) => Some(s.to_string()),
            _ => None,
        }
    }

    fn unknown(&mut self, key: &str, node: &MarkedYaml<'_>, allowed: &[&str]) {
        self.problem(
            format!("unknown front matter key `{key}` (expected one of: {})", allowed.join(", ")),
            self.span(node),
        );
    }

    fn span(&self, node: &MarkedYaml<'_>) -> Span {
        Span::new(self.byte(node.span.start.index()), self.byte(node.span.end.index()))
    }

    /// saphyr counts characters; our spans are bytes into the Markdown file.
    fn byte(&self, char_index: usize) -> usize {
        let text = &self.block.text;
        let local = text.char_indices().nth(char_index).map_or(text.len(), |(i, _)| i);
        self.block.content.start + local
    }

    fn problem(&mut self, message: String, span: Span) {
        self.problems.push(Problem { message, span });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown;

    fn fm(text: &str) -> (FrontMatter, Vec<Problem>, String) {
        let doc = markdown::parse(text);
        let block = doc.front_matter.expect("front matter");
        let (fm, p) = parse(&block);
        (fm, p, text.to_string())
    }

    #[test]
    fn reads_every_section() {
        let (fm, problems, _) = fm("---
runbook: 1
title: T
glossary: Glossary
placeholders:
  APP_NAME: {description: The app, kind: cf-name, example: my-app}
  PERMISSION: {enum: [read-only, read-write], default: read-only}
  SECRET_KEY: {secret: true}
choices:
  NO_ROUTE: {description: no route, default: false}
captures:
  KEY_ID: {from: service-key, json: /aws_access_key_id, secret: true}
exports:
  AWS_ACCESS_KEY_ID: KEY_ID
policies:
  read-only-bindings:
    - {app: APP_NAME, service: SERVICE_NAME}
---
# Body
");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(fm.title.as_deref(), Some("T"));
        assert_eq!(fm.glossary.as_deref(), Some("Glossary"));
        assert_eq!(fm.placeholders.len(), 3);
        assert_eq!(fm.placeholders[0].kind.as_deref(), Some("cf-name"));
        assert_eq!(fm.placeholders[1].values, ["read-only", "read-write"]);
        assert_eq!(fm.placeholders[2].secret, Some(true));
        assert_eq!(fm.choices[0].values, ["true", "false"]);
        assert_eq!(fm.choices[0].default.as_deref(), Some("false"));
        assert_eq!(fm.captures[0].from, "service-key");
        assert_eq!(fm.exports[0].env, "AWS_ACCESS_KEY_ID");
        assert_eq!(fm.read_only_bindings[0].app, "APP_NAME");
    }

    #[test]
    fn unknown_keys_point_at_the_key() {
        let (_, problems, text) = fm("---\nplaceholders:\n  A: {descripton: x}\n---\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("unknown front matter key `descripton`"));
        assert_eq!(&text[problems[0].span.start..problems[0].span.end], "descripton");
    }

    #[test]
    fn invalid_yaml_is_a_problem_not_a_panic() {
        let (_, problems, _) = fm("---\nplaceholders: [\n---\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.starts_with("front matter is not valid YAML"));
    }

    #[test]
    fn capture_needs_a_source() {
        let (_, problems, _) = fm("---\ncaptures:\n  X: {json: /a}\n---\n");
        assert!(problems[0].message.contains("needs `from: STEP-ID`"));
    }
}
