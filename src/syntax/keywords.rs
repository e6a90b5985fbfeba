//! Keyword-argument configuration files: sshd_config(5) and Apache httpd's. A line is `Keyword
//! arguments`, the keyword case-insensitive, separated from its arguments by white space or `=`
//! (sshd allows `Keyword = value`); `#` starts a comment line. sshd's `Match` blocks last until
//! the next `Match`; Apache's `<Section>` lines come through as keywords starting with `<`.

use super::{SyntaxError, Word};
use crate::source::Span;

#[derive(Debug, Default)]
pub struct KeywordFile {
    pub entries: Vec<Entry>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug)]
pub struct Entry {
    /// As written; compare with `eq_ignore_ascii_case`.
    pub keyword: Word,
    pub args: Vec<Word>,
    /// Inside a `Match` block (ListenAddress and Port are not allowed there).
    pub in_match: bool,
    pub span: Span,
}

pub fn parse(text: &str) -> KeywordFile {
    let mut file = KeywordFile::default();
    let mut in_match = false;
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let body = raw.trim_end_matches(['\n', '\r']);
        let lead = body.len() - body.trim_start().len();
        let line = body.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let s = start + lead;
        let span = Span::new(s, s + line.len());
        // The keyword ends at white space or `=`; `Keyword = value` is allowed.
        let kend = line
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(line.len());
        let keyword = Word::new(&line[..kend], Span::new(s, s + kend));
        let mut rest = &line[kend..];
        let mut offset = s + kend;
        let trimmed = rest.trim_start();
        offset += rest.len() - trimmed.len();
        rest = trimmed;
        if let Some(r) = rest.strip_prefix('=') {
            let t = r.trim_start();
            offset += 1 + (r.len() - t.len());
            rest = t;
        }
        let mut args = Vec::new();
        let mut i = 0;
        let bytes = rest.as_bytes();
        while i < bytes.len() {
            if bytes[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let a = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            args.push(Word::new(&rest[a..i], Span::new(offset + a, offset + i)));
        }
        if keyword.text.eq_ignore_ascii_case("match") {
            in_match = true;
        }
        if args.is_empty() && !keyword.text.eq_ignore_ascii_case("match") {
            file.errors.push(
                SyntaxError::new(span, format!("`{}` has no value", keyword.text)).with_help(
                    "sshd and httpd refuse to start: give it a value or delete the line",
                ),
            );
            continue;
        }
        file.entries.push(Entry {
            keyword,
            args,
            in_match,
            span,
        });
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_and_match() {
        let text = "#ListenAddress ::\nListenAddress = 198.18.0.1\nport 2222\nMatch User x\n  X11Forwarding no\n";
        let f = parse(text);
        assert_eq!(f.entries.len(), 4);
        assert_eq!(f.entries[0].args[0].text, "198.18.0.1");
        assert_eq!(&text[f.entries[0].args[0].span.range()], "198.18.0.1");
        assert!(f.entries[1].keyword.text.eq_ignore_ascii_case("Port"));
        assert!(f.entries[3].in_match);
        for t in ["=", "Port", " = =", "\u{0}"] {
            let _ = parse(t);
        }
    }
}
