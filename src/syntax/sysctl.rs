//! sysctl.d(5) files as systemd-sysctl (systemd 252, Debian 12) reads them.
//!
//! - Blank lines and lines starting with `#` or `;` are ignored.
//! - `key = value`, white space around both trimmed.
//! - A `-` before the key: a failure to set it is not an error.
//! - Keys are separated by `.` or `/`; when the first separator is `/`, `/` and `.` swap roles
//!   (`net/ipv6/conf/eth0.10/mtu` is `net.ipv6.conf.eth0/10.mtu`): [`Entry::name`] holds the
//!   dotted form.
//! - A key with `*`, `?` or `[` is a glob over existing keys (`net.ipv6.conf.*.accept_ra`).
//! - `-key` with no `=` excludes matching keys from the globs.

use super::{SyntaxError, Word};
use crate::source::Span;

#[derive(Debug, Default)]
pub struct SysctlFile {
    pub entries: Vec<Entry>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug)]
pub struct Entry {
    /// The key as written, without the `-` prefix.
    pub key: Word,
    /// The key in dotted form.
    pub name: String,
    /// The value, trimmed; `None` for a `-key` exclusion line.
    pub value: Option<Word>,
    pub ignore_failure: bool,
    pub glob: bool,
    /// The whole line.
    pub span: Span,
}

/// The dotted form of a sysctl key (systemd's `sysctl_normalize`).
pub fn normalize_key(key: &str) -> String {
    match key.find(['.', '/']) {
        Some(i) if key.as_bytes()[i] == b'/' => key
            .chars()
            .map(|c| match c {
                '/' => '.',
                '.' => '/',
                c => c,
            })
            .collect(),
        _ => key.to_string(),
    }
}

fn trimmed(text: &str, start: usize, end: usize) -> (usize, usize) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    (start + lead, (end - trail).max(start + lead))
}

pub fn parse(text: &str) -> SysctlFile {
    let mut file = SysctlFile::default();
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let line_end = start + raw.trim_end_matches(['\n', '\r']).len();
        let (s, e) = trimmed(text, start, line_end);
        let line = &text[s..e];
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let span = Span::new(s, e);
        let (key_part, value_part) = match line.find('=') {
            Some(eq) => ((s, s + eq), Some((s + eq + 1, e))),
            None => ((s, e), None),
        };
        let (mut ks, ke) = trimmed(text, key_part.0, key_part.1);
        let ignore_failure = text[ks..ke].starts_with('-');
        if ignore_failure {
            ks += 1;
        }
        let key_text = &text[ks..ke];
        if key_text.is_empty() {
            file.errors.push(
                SyntaxError::new(span, "sysctl line has no key")
                    .with_help("write `key = value`, like `net.ipv6.bindv6only = 0`"),
            );
            continue;
        }
        let value = match value_part {
            Some((vs, ve)) => {
                let (vs, ve) = trimmed(text, vs, ve);
                Some(Word::new(&text[vs..ve], Span::new(vs, ve)))
            }
            None if ignore_failure => None,
            None => {
                file.errors.push(
                    SyntaxError::new(span, format!("`{key_text}` is not an assignment"))
                        .with_help("systemd-sysctl ignores the line: write `key = value`"),
                );
                continue;
            }
        };
        file.entries.push(Entry {
            key: Word::new(key_text, Span::new(ks, ke)),
            name: normalize_key(key_text),
            value,
            ignore_failure,
            glob: key_text.contains(['*', '?', '[']),
            span,
        });
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_comments_prefixes_and_slashes() {
        let text = "# c\n; c\n net.ipv6.bindv6only = 1 \n-net/ipv6/conf/all/forwarding=1\r\nnet.ipv6.conf.*.accept_ra = 0\n-net.ipv6.conf.eth0.accept_ra\nbogus\n";
        let f = parse(text);
        assert_eq!(f.entries.len(), 4);
        assert_eq!(f.errors.len(), 1);
        let e = &f.entries[0];
        assert_eq!(
            (e.name.as_str(), e.value.as_ref().unwrap().text.as_str()),
            ("net.ipv6.bindv6only", "1")
        );
        assert_eq!(&text[e.value.as_ref().unwrap().span.range()], "1");
        let e = &f.entries[1];
        assert!(e.ignore_failure);
        assert_eq!(e.name, "net.ipv6.conf.all.forwarding");
        assert_eq!(e.value.as_ref().unwrap().text, "1");
        assert!(f.entries[2].glob);
        assert!(f.entries[3].value.is_none());
    }

    #[test]
    fn slash_keys_swap_dots() {
        assert_eq!(
            normalize_key("net/ipv4/conf/eth0.10/rp_filter"),
            "net.ipv4.conf.eth0/10.rp_filter"
        );
        assert_eq!(
            normalize_key("net.ipv4.conf.eth0/10.rp_filter"),
            "net.ipv4.conf.eth0/10.rp_filter"
        );
    }

    #[test]
    fn never_panics() {
        for t in ["=", "-", " = ", "-=", "a=\r", "\u{0}=\u{0}"] {
            let _ = parse(t);
        }
    }
}
