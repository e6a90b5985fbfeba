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

/// Which program reads the file: they differ in which keywords may go without a value and in
/// Apache's `<Section>` lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Sshd,
    Apache,
}

/// Apache directives netvet follows, with what httpd says when one has no value (its own words,
/// checked with `apache2 -t`). Other Apache directives are not judged.
const APACHE_NEEDS_VALUE: &[(&str, &str)] = &[
    ("listen", "Listen requires 1 or 2 arguments"),
    ("include", "Include takes one argument"),
    ("includeoptional", "IncludeOptional takes one argument"),
    (
        "loadmodule",
        "LoadModule takes two arguments, a module name and the name of a shared object file",
    ),
    ("define", "Define takes one or two arguments"),
    ("undefine", "UnDefine takes one argument"),
    (
        "<ifmodule",
        "<IfModule> directive requires additional arguments",
    ),
    (
        "<ifdefine",
        "<IfDefine> directive requires additional arguments",
    ),
];

/// sshd_config(5).
pub fn parse(text: &str) -> KeywordFile {
    parse_dialect(text, Dialect::Sshd)
}

/// Apache httpd's configuration: the same lines, plus `<Section ...>` ... `</Section>` nesting,
/// which httpd requires to be closed in the file that opens it.
pub fn parse_apache(text: &str) -> KeywordFile {
    let mut file = parse_dialect(text, Dialect::Apache);
    let mut errors = Vec::new();
    let mut open: Vec<(&str, &Entry)> = Vec::new();
    for e in &file.entries {
        let keyword = e.keyword.text.as_str();
        if let Some(name) = keyword.strip_prefix("</") {
            let name = name.trim_end_matches('>');
            match open.last() {
                Some((o, _)) if o.eq_ignore_ascii_case(name) => {
                    open.pop();
                }
                // httpd stops at the first mismatch; the outer section stays open here so that
                // the mismatch is reported once.
                Some((o, _)) => errors.push(
                    SyntaxError::new(e.span, format!("expected `</{o}>` but saw `</{name}>`"))
                        .with_help(format!(
                            "apache2 refuses to start (\"Expected </{o}> but saw </{name}>\"): write `</{o}>` here, or close the inner section first"
                        )),
                ),
                None => errors.push(
                    SyntaxError::new(
                        e.span,
                        format!("`</{name}>` without a matching `<{name}>` section"),
                    )
                    .with_help(format!(
                        "apache2 refuses to start (\"</{name}> without matching <{name}> section\"): delete the line, or open the section above it"
                    )),
                ),
            }
        } else if let Some(name) = keyword.strip_prefix('<') {
            let name = name.trim_end_matches('>');
            let closed = e
                .args
                .last()
                .map_or(keyword.ends_with('>'), |a| a.text.ends_with('>'));
            if !closed {
                errors.push(
                    SyntaxError::new(e.span, format!("`<{name}` line does not end with `>`"))
                        .with_help(format!(
                            "apache2 refuses to start (\"<{name}> directive missing closing '>'\"): end the line with `>`"
                        )),
                );
            }
            open.push((name, e));
        }
    }
    for (name, e) in open {
        errors.push(
            SyntaxError::new(e.span, format!("`<{name}` is never closed"))
                .with_help(format!(
                    "apache2 refuses to start (\"Expected </{name}> before end of configuration\"): add `</{name}>` where the section ends, in this file"
                )),
        );
    }
    file.errors.extend(errors);
    file.errors.sort_by_key(|e| e.span.start);
    file
}

/// The value of a `<Section value>` line without its closing `>`, and whether it is negated
/// with `!` (`<IfModule !mod_ssl.c>`).
pub fn section_test(entry: &Entry) -> Option<(bool, &str)> {
    let first = entry.args.first()?.text.as_str();
    let value = first.trim_end_matches('>');
    let (negated, name) = match value.strip_prefix('!') {
        Some(n) => (true, n),
        None => (false, value),
    };
    (!name.is_empty()).then_some((negated, name))
}

fn parse_dialect(text: &str, dialect: Dialect) -> KeywordFile {
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
        if dialect == Dialect::Sshd && keyword.text.eq_ignore_ascii_case("match") {
            in_match = true;
        }
        // A section line `<IfModule>` (no space before `>`) has its `>` in the keyword.
        let bare = keyword.text.trim_end_matches('>');
        if dialect == Dialect::Apache {
            let needs = APACHE_NEEDS_VALUE
                .iter()
                .find(|(k, _)| bare.eq_ignore_ascii_case(k));
            if let (true, Some((_, says))) = (args.is_empty(), needs) {
                file.errors.push(
                    SyntaxError::new(span, format!("`{bare}` has no value")).with_help(format!(
                        "apache2 refuses to start (\"{says}\"): give it a value or delete the line"
                    )),
                );
                // A section stays, so that its closing line still matches it.
                if !bare.starts_with('<') {
                    continue;
                }
            }
        } else if args.is_empty() && !keyword.text.eq_ignore_ascii_case("match") {
            file.errors.push(
                SyntaxError::new(span, format!("`{}` has no value", keyword.text))
                    .with_help("sshd refuses to start: give it a value or delete the line"),
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

    #[test]
    fn apache_sections_and_missing_values() {
        let errors = |t: &str| -> Vec<String> {
            parse_apache(t)
                .errors
                .into_iter()
                .map(|e| format!("{}: {}", &t[e.span.range()], e.message))
                .collect()
        };
        assert!(errors("Listen 80\n<IfModule ssl_module>\n  Listen 443\n</IfModule>\n").is_empty());
        assert!(errors("<IfModule>\n</IfModule>\n")[0].contains("has no value"));
        assert_eq!(errors("<IfModule>\n</IfModule>\n").len(), 1);
        assert_eq!(errors("Listen\n"), ["Listen: `Listen` has no value"]);
        assert_eq!(
            errors("<IfModule ssl_module>\nListen 443\n"),
            ["<IfModule ssl_module>: `<IfModule` is never closed"]
        );
        assert_eq!(
            errors("</IfModule>\n"),
            ["</IfModule>: `</IfModule>` without a matching `<IfModule>` section"]
        );
        assert_eq!(
            errors("<IfModule ssl_module\n</IfModule>\n"),
            ["<IfModule ssl_module: `<IfModule` line does not end with `>`"]
        );
        assert_eq!(
            errors("<IfModule a>\n</IfDefine>\n</IfModule>\n"),
            ["</IfDefine>: expected `</IfModule>` but saw `</IfDefine>`"]
        );
        // sshd has no sections and keeps its `Match` blocks.
        assert!(parse("Match User x\n").errors.is_empty());
        let f = parse_apache("<IfDefine !FOO>\n</IfDefine>\n");
        assert_eq!(section_test(&f.entries[0]), Some((true, "FOO")));
    }
}
