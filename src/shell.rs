//! Shell words: just enough of POSIX shell syntax to find the words of each simple command
//! with their byte ranges (quotes removed from the text, kept in the range). Operators (`|`,
//! `;`, `&&`, `||`, `&`, redirections, `(`, `)`) end a simple command. Not a full parser: the
//! linter checks syntax separately.

/// One word of a simple command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The word with quotes and escapes removed.
    pub text: String,
    /// Byte range of the word as written.
    pub start: usize,
    pub end: usize,
    /// Some part of it was quoted.
    pub quoted: bool,
}

/// The simple commands of a command line, each a list of words. Offsets are into `text`.
pub fn words(text: &str) -> Vec<Vec<Word>> {
    let mut commands = vec![Vec::new()];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\n' {
            i += 1;
            if commands.last().is_some_and(|c| !c.is_empty()) {
                commands.push(Vec::new());
            }
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
            continue;
        }
        if c == b'\\' && bytes.get(i + 1) == Some(&b'\n') {
            i += 2;
            continue;
        }
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if matches!(c, b'|' | b';' | b'&' | b'(' | b')') {
            i += 1;
            if commands.last().is_some_and(|c| !c.is_empty()) {
                commands.push(Vec::new());
            }
            continue;
        }
        if matches!(c, b'<' | b'>') && !looks_like_angle_placeholder(&text[i..]) {
            // A redirection: skip the operator and its target word.
            while i < bytes.len() && matches!(bytes[i], b'<' | b'>' | b'&') {
                i += 1;
            }
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            let (_, next) = word_at(text, i);
            i = next;
            continue;
        }
        let (word, next) = word_at(text, i);
        if let Some(cmd) = commands.last_mut() {
            cmd.push(word);
        }
        i = next;
    }
    commands.retain(|c| !c.is_empty());
    commands
}

/// `<NAME>` or `<SPACE NAME>` at the start of `s` (a placeholder, not a redirection).
fn looks_like_angle_placeholder(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('<') else { return false };
    let Some(close) = rest.find('>') else { return false };
    let inner = &rest[..close];
    !inner.is_empty()
        && !inner.starts_with(' ')
        && !inner.ends_with(' ')
        && inner.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
}

fn word_at(text: &str, start: usize) -> (Word, usize) {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut quoted = false;
    let mut i = start;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'|' | b';' | b'&' | b')' => break,
            b'(' if i > start && bytes[i - 1] == b'$' => {
                // `$(…)`: keep it in the word, balanced.
                let end = balanced(bytes, i, b'(', b')');
                out.push_str(&text[i..end]);
                i = end;
            }
            b'(' => break,
            b'<' if looks_like_angle_placeholder(&text[i..]) => {
                let close = i + text[i..].find('>').unwrap_or(0) + 1;
                out.push_str(&text[i..close]);
                i = close;
            }
            b'<' | b'>' => break,
            b'\'' => {
                quoted = true;
                let end = text[i + 1..].find('\'').map_or(bytes.len(), |e| i + 1 + e);
                out.push_str(&text[i + 1..end]);
                i = (end + 1).min(bytes.len());
            }
            b'"' => {
                quoted = true;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' && i + 1 < bytes.len() {
                        i += 1;
                    }
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    out.push(ch);
                    i += ch.len_utf8();
                }
                i = (i + 1).min(bytes.len());
            }
            b'`' => {
                quoted = true;
                let end = text[i + 1..].find('`').map_or(bytes.len(), |e| i + 1 + e);
                out.push_str(&text[i..(end + 1).min(bytes.len())]);
                i = (end + 1).min(bytes.len());
            }
            b'\\' if i + 1 < bytes.len() => {
                let ch = text[i + 1..].chars().next().unwrap_or(' ');
                if ch != '\n' {
                    out.push(ch);
                }
                i += 1 + ch.len_utf8();
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    (Word { text: out, start, end: i, quoted }, i)
}

fn balanced(bytes: &[u8], open_at: usize, open: u8, close: u8) -> usize {
    let mut depth = 0;
    for (j, &b) in bytes.iter().enumerate().skip(open_at) {
        if b == open {
            depth += 1;
        } else if b == close {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
    }
    bytes.len()
}

/// Whether `text` mentions the environment variable `var` as a whole word (`$VAR`, `"$VAR"`,
/// `os.environ["VAR"]`, `export VAR`).
pub fn mentions_var(text: &str, var: &str) -> bool {
    text.match_indices(var).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + var.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<Vec<String>> {
        words(s).into_iter().map(|c| c.into_iter().map(|w| w.text).collect()).collect()
    }

    #[test]
    fn quotes_and_operators() {
        assert_eq!(texts("cf a 'x y' \"z\\\"w\" | grep q"), [vec!["cf", "a", "x y", "z\"w"], vec!["grep", "q"]]);
        assert_eq!(texts("cd d && cf push"), [vec!["cd", "d"], vec!["cf", "push"]]);
        assert_eq!(texts("(cd d && cf push X)"), [vec!["cd", "d"], vec!["cf", "push", "X"]]);
        assert_eq!(texts("cf a\ncf b \\\n  c"), [vec!["cf", "a"], vec!["cf", "b", "c"]]);
    }

    #[test]
    fn angle_placeholders_are_words_not_redirections() {
        assert_eq!(
            texts("cf create-space <SPACE NAME> -o <ORG>"),
            [vec!["cf", "create-space", "<SPACE NAME>", "-o", "<ORG>"]]
        );
        assert_eq!(texts("cat < in.txt > out.txt"), [vec!["cat"]]);
    }

    #[test]
    fn spans_cover_the_quotes() {
        let w = &words("cf x -c '{\"a\": 1}'")[0][3];
        assert_eq!((w.start, w.end, w.quoted), (8, 18, true));
        assert_eq!(w.text, "{\"a\": 1}");
    }

    #[test]
    fn backticks_and_substitutions_stay_whole() {
        assert_eq!(texts("cf bs A S -c `{\"p\": \"X\"}`")[0][5], "`{\"p\": \"X\"}`");
        assert_eq!(texts("echo $(cf env A)")[0][1], "$(cf env A)");
    }
}
