//! Value kinds for placeholders. This module owns the closed set of kinds a placeholder such as
//! `APP_NAME` can have, the validation rule of each kind (with precise error messages that never
//! repeat the value, since values may be secrets), a valid example per kind, and the inference of
//! a kind from a placeholder name and its glossary text when no kind is declared. It never sees
//! where values come from (flags, environment, files or prompts): callers hand it plain strings.

use std::sync::LazyLock;

use regex::Regex;

/// What a placeholder's value must look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    CfAppName,
    CfSpaceName,
    CfOrgName,
    CfServiceName,
    Hostname,
    Domain,
    Url,
    HttpsUrl,
    S3BucketName,
    AwsAccessKeyId,
    AwsSecretAccessKey,
    AwsRegion,
    Enum(Vec<String>),
    FilePath,
    GithubUser,
    Text,
}

#[rustfmt::skip]
const AWS_REGIONS: &[&str] = &[
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "af-south-1", "me-south-1", "me-central-1", "il-central-1", "ap-east-1", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "us-gov-east-1", "us-gov-west-1", "cn-north-1",
    "cn-northwest-1",
];

/// One value of every kind, in [`Kind::NAMES`] order (the enum with no values).
#[rustfmt::skip]
const ALL: [Kind; 16] = [
    Kind::CfAppName, Kind::CfSpaceName, Kind::CfOrgName, Kind::CfServiceName, Kind::Hostname, Kind::Domain, Kind::Url,
    Kind::HttpsUrl, Kind::S3BucketName, Kind::AwsAccessKeyId, Kind::AwsSecretAccessKey, Kind::AwsRegion,
    Kind::Enum(Vec::new()), Kind::FilePath, Kind::GithubUser, Kind::Text,
];

macro_rules! regex {
    ($name:ident, $re:literal) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($re).expect("valid regex"));
    };
}
regex!(APP_RE, r"^[A-Za-z0-9][A-Za-z0-9_-]*$");
regex!(IPV4_RE, r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$");
regex!(ACCESS_KEY_RE, r"^(?:AKIA|ASIA)[A-Z0-9]{16}$");
regex!(GH_USER_RE, r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$");
regex!(GH_SLUG_RE, r"^[A-Za-z0-9_][A-Za-z0-9_-]*$");
regex!(URL_WORD_RE, r"(?i)\burls?\b");

/// Why a DNS label is invalid.
enum LabelProblem {
    Length(usize),
    Chars,
    Hyphen,
}

fn label_problem(label: &str) -> Option<LabelProblem> {
    let n = label.chars().count();
    if n == 0 || n > 63 {
        Some(LabelProblem::Length(n))
    } else if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Some(LabelProblem::Chars)
    } else if label.starts_with('-') || label.ends_with('-') {
        Some(LabelProblem::Hyphen)
    } else {
        None
    }
}

impl Kind {
    /// Every kind name accepted by [`Kind::parse`] (aliases aside), for error messages.
    #[rustfmt::skip]
    pub const NAMES: &[&str] = &[
        "cf-app-name", "cf-space-name", "cf-org-name", "cf-service-name", "hostname", "domain", "url", "https-url",
        "s3-bucket-name", "aws-access-key-id", "aws-secret-access-key", "aws-region", "enum", "file-path",
        "github-user", "text",
    ];

    /// Parses a kebab-case kind name (or the alias `github-team`); `values` are the allowed values of an `enum`.
    pub fn parse(name: &str, values: &[String]) -> Option<Kind> {
        let name = if name == "github-team" { "github-user" } else { name };
        let mut kind = ALL.into_iter().find(|k| k.as_str() == name)?;
        if let Kind::Enum(allowed) = &mut kind {
            *allowed = values.to_vec();
        }
        Some(kind)
    }

    /// The kebab-case name of this kind.
    pub fn as_str(&self) -> &'static str {
        self.name_and_example().0
    }

    /// A valid, obviously fake example value (the first allowed value of an `enum`).
    pub fn example(&self) -> String {
        match self {
            Kind::Enum(values) => values.first().cloned().unwrap_or_default(),
            _ => self.name_and_example().1.to_string(),
        }
    }

    fn name_and_example(&self) -> (&'static str, &'static str) {
        match self {
            Kind::CfAppName => ("cf-app-name", "my-app"),
            Kind::CfSpaceName => ("cf-space-name", "staging"),
            Kind::CfOrgName => ("cf-org-name", "my-org"),
            Kind::CfServiceName => ("cf-service-name", "my-database"),
            Kind::Hostname => ("hostname", "my-app"),
            Kind::Domain => ("domain", "example.com"),
            Kind::Url => ("url", "https://example.com"),
            Kind::HttpsUrl => ("https-url", "https://ip-filter.example.com"),
            Kind::S3BucketName => ("s3-bucket-name", "dashboard-data-example"),
            Kind::AwsAccessKeyId => ("aws-access-key-id", "AKIAEXAMPLE234567890"),
            Kind::AwsSecretAccessKey => ("aws-secret-access-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            Kind::AwsRegion => ("aws-region", "eu-west-2"),
            Kind::Enum(_) => ("enum", ""),
            Kind::FilePath => ("file-path", "config/settings.json"),
            Kind::GithubUser => ("github-user", "octocat"),
            Kind::Text => ("text", "example"),
        }
    }

    /// Whether values of this kind must be masked in output.
    pub fn is_secret(&self) -> bool {
        matches!(self, Kind::AwsAccessKeyId | Kind::AwsSecretAccessKey)
    }

    /// Checks `value`; the error says which rule failed and never contains the value.
    pub fn validate(&self, value: &str) -> Result<(), String> {
        if value.contains('\0') {
            return Err("values cannot contain NUL bytes".into());
        }
        let n = value.chars().count();
        let problem = match self {
            Kind::CfAppName => {
                if n == 0 || n > 63 {
                    Some(format!("an app name has 1 to 63 characters (this one has {n})"))
                } else if !APP_RE.is_match(value) {
                    Some("an app name starts with a letter or digit and has only letters, digits, `-` and `_`".into())
                } else {
                    None
                }
            }
            Kind::CfSpaceName => cf_name_problem("a space name", value, n),
            Kind::CfOrgName => cf_name_problem("an org name", value, n),
            Kind::CfServiceName => cf_name_problem("a service instance name", value, n),
            Kind::Hostname => hostname_problem(value),
            Kind::Domain => domain_problem(value, n),
            Kind::Url => url_problem("a URL", value, false),
            Kind::HttpsUrl => url_problem("a route service URL", value, true),
            Kind::S3BucketName => bucket_problem(value, n),
            Kind::AwsAccessKeyId => {
                if n == 20 {
                    (!ACCESS_KEY_RE.is_match(value)).then(|| {
                        "an AWS access key id is `AKIA` or `ASIA` followed by 16 capital letters or digits".to_string()
                    })
                } else {
                    Some(format!("an AWS access key id has exactly 20 characters (this one has {n})"))
                }
            }
            Kind::AwsSecretAccessKey => {
                if n != 40 {
                    Some(format!("an AWS secret access key has exactly 40 characters (this one has {n})"))
                } else if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+') {
                    Some("an AWS secret access key has only letters, digits, `/` and `+`".into())
                } else {
                    None
                }
            }
            Kind::AwsRegion => return region_check(value),
            Kind::Enum(values) => {
                if values.iter().any(|v| v == value) {
                    return Ok(());
                } else if values.is_empty() {
                    return Err("this enum declares no allowed values".into());
                }
                let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                return Err(format!("expected one of {}", list.join(", ")));
            }
            Kind::FilePath => {
                if value.is_empty() {
                    Some("a file path cannot be empty".into())
                } else if value.contains(['\n', '\r']) {
                    Some("a file path cannot contain line breaks".into())
                } else {
                    None
                }
            }
            Kind::GithubUser => github_problem(value),
            Kind::Text => None,
        };
        match problem {
            None => Ok(()),
            Some(msg) => Err(format!("{msg}; for example `{}`", self.example())),
        }
    }

    /// Infers a kind from a canonical ALL_CAPS placeholder name and its glossary text.
    pub fn infer(name: &str, glossary: Option<&str>) -> Kind {
        let name = name.trim().to_ascii_uppercase().replace(['-', ' '], "_");
        let n = name.as_str();
        let ends = |s: &str| n.ends_with(s);
        if n == "PERMISSION" || n == "PERMISSIONS" {
            Kind::Enum(vec!["read-only".into(), "read-write".into()])
        } else if n.contains('.') || (ends("FILE") && !ends("PROFILE")) || ends("_PATH") {
            Kind::FilePath
        } else if ends("SECRET_ACCESS_KEY") || ends("SECRET_KEY") {
            Kind::AwsSecretAccessKey
        } else if ends("ACCESS_KEY_ID") || ends("KEY_ID") {
            Kind::AwsAccessKeyId
        } else if ends("ROUTE_SERVICE_URL") {
            Kind::HttpsUrl
        } else if n == "URL" || ends("_URL") {
            Kind::Url
        } else if ends("REGION") {
            Kind::AwsRegion
        } else if n.contains("BUCKET") {
            Kind::S3BucketName
        } else if matches!(n, "HOSTNAME" | "HOST") || ends("_HOSTNAME") {
            Kind::Hostname
        } else if n == "DOMAIN" {
            Kind::Domain
        } else if matches!(n, "APP_NAME" | "APP") || ends("_APP_NAME") {
            Kind::CfAppName
        } else if matches!(n, "SPACE" | "SPACE_NAME") {
            Kind::CfSpaceName
        } else if matches!(n, "ORG" | "ORGANISATION" | "ORGANIZATION" | "ORG_NAME") {
            Kind::CfOrgName
        } else if matches!(n, "SERVICE_NAME" | "SERVICE_INSTANCE") || ends("_SERVICE_NAME") {
            Kind::CfServiceName
        } else if matches!(n, "REVIEWERS" | "REVIEWER") || n.contains("GITHUB_USER") || n.contains("TEAM") {
            Kind::GithubUser
        } else if glossary.is_some_and(|g| URL_WORD_RE.is_match(g)) {
            let route = glossary.is_some_and(|g| g.to_ascii_lowercase().contains("route service"));
            if route { Kind::HttpsUrl } else { Kind::Url }
        } else {
            Kind::Text
        }
    }
}

fn cf_name_problem(what: &str, value: &str, n: usize) -> Option<String> {
    if n == 0 {
        Some(format!("{what} cannot be empty"))
    } else if n > 255 {
        Some(format!("{what} has at most 255 characters (this one has {n})"))
    } else if value.trim() != value {
        Some(format!("{what} cannot start or end with whitespace"))
    } else if value.chars().any(char::is_control) {
        Some(format!("{what} cannot contain control characters"))
    } else {
        None
    }
}

fn hostname_problem(value: &str) -> Option<String> {
    if value.contains('.') {
        return Some("a hostname is a single DNS label without dots (the domain is given separately)".into());
    }
    label_problem(value).map(|p| match p {
        LabelProblem::Length(n) => format!("a hostname has 1 to 63 characters (this one has {n})"),
        LabelProblem::Chars => "a hostname has only letters, digits and `-`".into(),
        LabelProblem::Hyphen => "a hostname cannot start or end with `-`".into(),
    })
}

fn domain_problem(value: &str, n: usize) -> Option<String> {
    if n > 253 {
        return Some(format!("a domain name has at most 253 characters (this one has {n})"));
    }
    let labels: Vec<&str> = value.split('.').collect();
    if labels.len() < 2 {
        return Some("a domain name has at least two dot-separated parts".into());
    }
    for label in &labels {
        if let Some(p) = label_problem(label) {
            return Some(match p {
                LabelProblem::Length(0) => {
                    "a domain name cannot have empty parts (check for `..` or an outer dot)".into()
                }
                LabelProblem::Length(len) => {
                    format!("each part of a domain name has at most 63 characters (one has {len})")
                }
                LabelProblem::Chars => "a domain name has only letters, digits, `-` and `.`".into(),
                LabelProblem::Hyphen => "no part of a domain name can start or end with `-`".into(),
            });
        }
    }
    let tld = labels[labels.len() - 1];
    tld.chars().all(|c| c.is_ascii_digit()).then(|| "the last part of a domain name cannot be all digits".into())
}

fn url_problem(what: &str, value: &str, https_only: bool) -> Option<String> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("{what} cannot contain spaces or control characters"));
    }
    let lower = value.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &value[8..]
    } else if lower.starts_with("http://") {
        if https_only {
            return Some(format!("{what} must use https"));
        }
        &value[7..]
    } else if https_only {
        return Some(format!("{what} starts with `https://`"));
    } else {
        return Some(format!("{what} starts with `http://` or `https://`"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if let Some(inner) = host_port.strip_prefix('[') {
        let Some((ip6, after)) = inner.split_once(']') else {
            return Some(format!("the IPv6 host in {what} is missing its closing `]`"));
        };
        if ip6.is_empty() || !ip6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return Some(format!("the IPv6 host in {what} is malformed"));
        }
        ("[ipv6]", after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Some(format!("{what} needs a host name after `://`"));
    }
    if host != "[ipv6]" && !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
        return Some(format!("the host in {what} has only letters, digits, `-` and `.`"));
    }
    if host.starts_with('.') || host.contains("..") {
        return Some(format!("the host in {what} cannot have empty parts"));
    }
    match port {
        Some(p) if !p.parse::<u16>().is_ok_and(|p| p > 0) || p.starts_with('+') => {
            Some(format!("the port in {what} is a number from 1 to 65535"))
        }
        _ => None,
    }
}

fn bucket_problem(value: &str, n: usize) -> Option<String> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let msg = if !(3..=63).contains(&n) {
        return Some(format!("an S3 bucket name has 3 to 63 characters (this one has {n})"));
    } else if value.chars().any(|c| c.is_ascii_uppercase()) {
        "an S3 bucket name cannot contain capital letters"
    } else if !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-') {
        "an S3 bucket name has only lowercase letters, digits, `.` and `-`"
    } else if !edge_ok(value.chars().next()) || !edge_ok(value.chars().last()) {
        "an S3 bucket name starts and ends with a letter or digit"
    } else if value.contains("..") {
        "an S3 bucket name cannot contain `..`"
    } else if IPV4_RE.is_match(value) {
        "an S3 bucket name cannot look like an IP address"
    } else if value.starts_with("xn--") || value.starts_with("sthree-") {
        "an S3 bucket name cannot start with `xn--` or `sthree-`"
    } else if value.ends_with("-s3alias") || value.ends_with("--ol-s3") {
        "an S3 bucket name cannot end with `-s3alias` or `--ol-s3`"
    } else {
        return None;
    };
    Some(msg.into())
}

fn region_check(value: &str) -> Result<(), String> {
    if AWS_REGIONS.contains(&value) {
        return Ok(());
    }
    if AWS_REGIONS.contains(&value.to_ascii_lowercase().as_str()) {
        return Err("an AWS region is written in lowercase; for example `eu-west-2`".into());
    }
    let lower = value.to_ascii_lowercase();
    let closest = AWS_REGIONS.iter().min_by_key(|r| strsim::levenshtein(r, &lower)).copied().unwrap_or("eu-west-2");
    if strsim::levenshtein(closest, &lower) <= 2 {
        Err(format!("unknown AWS region; did you mean `{closest}`?"))
    } else {
        Err("unknown AWS region; for example `eu-west-2` or `us-east-1`".into())
    }
}

fn github_problem(value: &str) -> Option<String> {
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    let single = items.len() == 1;
    for (i, item) in items.iter().enumerate() {
        let entry = if single { String::new() } else { format!(" (entry {})", i + 1) };
        if item.is_empty() {
            return Some(if single {
                "a GitHub user or team cannot be empty".into()
            } else {
                format!("a list of GitHub users and teams cannot have empty entries{entry}")
            });
        }
        if item.starts_with('@') {
            return Some(format!("write GitHub users and teams without `@`{entry}"));
        }
        let user_ok = |u: &str| u.len() <= 39 && GH_USER_RE.is_match(u);
        if let Some((org, slug)) = item.split_once('/') {
            if !user_ok(org) || !GH_SLUG_RE.is_match(slug) {
                return Some(format!("a GitHub team is written `org/team-slug`{entry}"));
            }
        } else if item.chars().count() > 39 {
            return Some(format!("a GitHub user name has at most 39 characters{entry}"));
        } else if !user_ok(item) {
            return Some(format!(
                "a GitHub user name has letters, digits and single hyphens, not at the start or end{entry}"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> Vec<Kind> {
        Kind::NAMES.iter().map(|n| Kind::parse(n, &["read-only".into(), "read-write".into()]).unwrap()).collect()
    }

    fn ok(kind: &Kind, values: &[&str]) {
        for v in values {
            assert_eq!(kind.validate(v), Ok(()), "{kind:?} should accept {v:?}");
        }
    }

    fn bad(kind: &Kind, values: &[&str]) {
        for v in values {
            assert!(kind.validate(v).is_err(), "{kind:?} should refuse {v:?}");
        }
    }

    fn err(kind: &Kind, value: &str) -> String {
        kind.validate(value).unwrap_err()
    }

    #[test]
    fn names_round_trip_and_examples_validate() {
        for kind in all_kinds() {
            assert_eq!(Kind::parse(kind.as_str(), &["read-only".into()]).map(|k| k.as_str()), Some(kind.as_str()));
            assert_eq!(kind.validate(&kind.example()), Ok(()), "{kind:?}");
            assert!(kind.validate("a\0b").unwrap_err().contains("NUL"), "{kind:?}");
        }
        assert_eq!(ALL.map(|k| k.as_str()).as_slice(), Kind::NAMES);
        assert_eq!(Kind::parse("github-team", &[]), Some(Kind::GithubUser));
        assert_eq!(Kind::parse("nope", &[]), None);
        assert!(Kind::AwsAccessKeyId.is_secret() && Kind::AwsSecretAccessKey.is_secret());
        assert!(!Kind::Text.is_secret() && !Kind::S3BucketName.is_secret());
    }

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let cases = [(Kind::S3BucketName, "ab"), (Kind::HttpsUrl, "http://x.com"), (Kind::Domain, "com")];
        for (kind, value) in cases {
            let m = err(&kind, value);
            assert!(m.starts_with(|c: char| c.is_lowercase()) && !m.ends_with('.'), "{m}");
        }
    }

    #[test]
    fn cf_names() {
        let app = Kind::CfAppName;
        ok(&app, &["my-app", "App_2", "9lives", &"a".repeat(63)]);
        bad(&app, &["", "-app", "_app", "my app", "my.app", "café", &"a".repeat(64)]);
        for kind in [Kind::CfSpaceName, Kind::CfOrgName, Kind::CfServiceName] {
            ok(&kind, &["staging", "My Space (eu)", "db.prod", &"s".repeat(255)]);
            bad(&kind, &["", " lead", "trail ", "tab\there", "line\nbreak", &"s".repeat(256)]);
        }
    }

    #[test]
    fn hostnames_and_domains() {
        let host = Kind::Hostname;
        ok(&host, &["a", "my-app", "App1", &"h".repeat(63)]);
        bad(&host, &["", "-a", "a-", "my_app", "a.b", &"h".repeat(64)]);
        assert!(err(&host, &"h".repeat(64)).contains("this one has 64"));
        let domain = Kind::Domain;
        ok(&domain, &["example.com", "apps.internal.example.co.uk", "10.0.0.example.com"]);
        let long = format!("{}.com", vec!["a".repeat(63); 4].join("."));
        bad(&domain, &["com", "", "a..com", ".example.com", "example.com.", "-a.com", "a_b.com", "1.2.3.4", &long]);
        bad(&domain, &[&format!("{}.com", "a".repeat(64))]);
    }

    #[test]
    fn urls() {
        let url = Kind::Url;
        ok(&url, &["https://example.com", "http://localhost:8080/path?q=1#f", "HTTPS://u:p@a.b/", "http://[::1]:80"]);
        bad(&url, &["example.com", "ftp://x.com", "https://", "https:///path", "https://a b.com", "https://a.com:0"]);
        bad(&url, &["https://a.com:99999", "https://a..com", "https://a_b.com", "http://[::1"]);
        let route = Kind::HttpsUrl;
        ok(&route, &["https://ip-filter.example.com", "https://r.example.com:8443/x"]);
        assert_eq!(
            err(&route, "http://ip-filter.example.com"),
            "a route service URL must use https; for example `https://ip-filter.example.com`"
        );
        bad(&route, &["ip-filter.example.com", "https://"]);
    }

    #[test]
    fn s3_bucket_names() {
        let b = Kind::S3BucketName;
        ok(&b, &["abc", &"b".repeat(63), "my.bucket-1", "1abc", "dashboard-data-example"]);
        assert_eq!(
            err(&b, "ab"),
            "an S3 bucket name has 3 to 63 characters (this one has 2); for example `dashboard-data-example`"
        );
        bad(&b, &[&"b".repeat(64), "192.168.1.10", "my..bucket", "MyBucket", "-abc", "abc-", ".abc", "my_bucket"]);
        bad(&b, &["xn--abc", "abc-s3alias", "sthree-abc", "abc--ol-s3", "ab c"]);
        assert!(err(&b, "192.168.1.10").contains("IP address"));
        assert!(err(&b, "my..bucket").contains("`..`"));
        assert!(err(&b, "MyBucket").contains("capital"));
    }

    #[test]
    fn aws_credentials() {
        let id = Kind::AwsAccessKeyId;
        ok(&id, &["AKIAEXAMPLE234567890", "ASIA0123456789ABCDEF", "AKIAIOSFODNN7EXAMPLE"]);
        bad(&id, &["AKIAEXAMPLE23456789", "AKIAEXAMPLE2345678901", "AKIBEXAMPLE234567890", "AKIAexample234567890"]);
        assert!(err(&id, "AKIBEXAMPLE234567890").contains("`AKIA` or `ASIA` followed by 16 capital letters or digits"));
        let secret = Kind::AwsSecretAccessKey;
        let good = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        ok(&secret, &[good, &"+".repeat(40)]);
        bad(&secret, &[&good[..39], &format!("{good}A"), &format!("{}-", &good[..39]), ""]);
        let leaks = "AKIAZZZZQQQQZZZZQQQ AKIAZZZZQQQQZZZZQQQQQ AKIAzzzzqqqqzzzzqqqq XXXXZZZZQQQQZZZZQQQQ \
            qQzZ9/qQzZ9+qQzZ9/qQzZ9+qQzZ9/qQzZ9+qQz qQzZ9/qQzZ9+qQzZ9/qQzZ9+qQzZ9/qQzZ9+qQzZ9 \
            qQzZ9/qQzZ9+qQzZ9/qQzZ9+qQzZ9/qQzZ9+qQz-";
        let secrets = leaks.split_whitespace().map(|v| (if v.contains("qQ") { &secret } else { &id }, v));
        for (kind, value) in secrets {
            let m = err(kind, value);
            assert!(!m.contains(value) && !m.contains("qQzZ") && !m.contains("ZZZZ"), "{m}");
        }
    }

    #[test]
    fn aws_regions() {
        let r = Kind::AwsRegion;
        let required = "us-east-1 us-east-2 us-west-1 us-west-2 ca-central-1 eu-west-1 eu-west-2 eu-west-3 \
            eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 ap-south-1 ap-southeast-1 ap-southeast-2 \
            ap-northeast-1 ap-northeast-2 ap-northeast-3 sa-east-1 af-south-1 me-south-1 me-central-1 il-central-1 \
            ap-east-1";
        ok(&r, &required.split_whitespace().collect::<Vec<_>>());
        bad(&r, &["eu-west-9", "EU-WEST-2", "", "mars-north-1"]);
        assert_eq!(err(&r, "eu-wset-2"), "unknown AWS region; did you mean `eu-west-2`?");
        assert!(err(&r, "EU-WEST-2").contains("lowercase"));
    }

    #[test]
    fn enums_paths_github_text() {
        let e = Kind::parse("enum", &["read-only".into(), "read-write".into()]).unwrap();
        ok(&e, &["read-only", "read-write"]);
        assert_eq!(err(&e, "admin"), "expected one of `read-only`, `read-write`");
        bad(&e, &["Read-Only", ""]);
        assert!(Kind::Enum(vec![]).validate("x").is_err());
        assert_eq!(e.example(), "read-only");
        ok(&Kind::FilePath, &["a", "dir/file name.json", "C:\\x"]);
        bad(&Kind::FilePath, &["", "a\nb", "a\rb"]);
        let gh = Kind::GithubUser;
        ok(&gh, &["octocat", "a", "my-org/platform-team", "alice, bob-2,my-org/ops_team", &"u".repeat(39)]);
        bad(&gh, &["", "-alice", "alice-", "al--ice", "@alice", "alice,,bob", "org/", "/team", &"u".repeat(40)]);
        bad(&gh, &["a_b", "org/te am", "alice,"]);
        ok(&Kind::Text, &["", "anything at all\nreally"]);
    }

    #[test]
    fn inference() {
        let table = "hostname: HOSTNAME APP_HOSTNAME HOST | domain: DOMAIN | url: URL DASHBOARD_URL \
            | https-url: ROUTE_SERVICE_URL IP_FILTER_ROUTE_SERVICE_URL | cf-app-name: APP_NAME WORKER_APP_NAME APP \
            | cf-space-name: SPACE SPACE_NAME | cf-org-name: ORG ORGANISATION ORGANIZATION ORG_NAME \
            | cf-service-name: SERVICE_NAME SERVICE_INSTANCE DB_SERVICE_NAME | s3-bucket-name: BUCKET_NAME S3_BUCKET \
            | aws-access-key-id: AWS_ACCESS_KEY_ID KEY_ID | aws-secret-access-key: AWS_SECRET_ACCESS_KEY SECRET_KEY \
            | aws-region: AWS_REGION BUCKET_REGION | file-path: CREDENTIALS_FILE CONFIG_PATH JSON.FILE \
            | github-user: REVIEWERS GITHUB_USERNAME TEAM GITHUB_TEAM | enum: PERMISSION PERMISSIONS \
            | text: AWS_PROFILE COLOUR";
        for group in table.split('|') {
            let (kind, names) = group.split_once(':').unwrap();
            let kind = Kind::parse(kind.trim(), &["read-only".into(), "read-write".into()]).unwrap();
            for name in names.split_whitespace() {
                assert_eq!(Kind::infer(name, None), kind, "{name}");
            }
        }
        assert_eq!(Kind::infer("DASHBOARD", Some("The URL of the dashboard")), Kind::Url);
        assert_eq!(Kind::infer("FILTER", Some("the route service URL")), Kind::HttpsUrl);
        assert_eq!(Kind::infer("STORE", Some("the bucket holding data")), Kind::Text);
        assert_eq!(Kind::infer("CURLY", Some("curly braces")), Kind::Text);
        assert_eq!(Kind::infer("app-name", None), Kind::CfAppName);
    }
}
