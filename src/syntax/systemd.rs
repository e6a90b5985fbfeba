//! systemd unit files (systemd.syntax(7)), as far as socket units go: `[Section]` headers and
//! `Key=Value` lines, `#` and `;` comments, `\` line continuation.

use super::{SyntaxError, Word};
use crate::source::Span;

#[derive(Debug, Default)]
pub struct UnitFile {
    pub entries: Vec<Entry>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug)]
pub struct Entry {
    pub section: String,
    pub key: Word,
    pub value: Word,
}

pub fn parse(text: &str) -> UnitFile {
    let mut file = UnitFile::default();
    let mut section = String::new();
    let mut pos = 0;
    let mut pending: Option<(usize, String)> = None;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let body = raw.trim_end_matches(['\n', '\r']);
        let (line_start, mut line) = match pending.take() {
            Some((s, mut acc)) => {
                acc.push(' ');
                acc.push_str(body.trim());
                (s, acc)
            }
            None => {
                let t = body.trim();
                if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
                    continue;
                }
                (
                    start + (body.len() - body.trim_start().len()),
                    t.to_string(),
                )
            }
        };
        if line.ends_with('\\') {
            line.pop();
            pending = Some((line_start, line));
            continue;
        }
        let span = Span::new(line_start, start + body.len());
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            file.errors.push(
                SyntaxError::new(span, "not a `Key=Value` line").with_help("systemd ignores it"),
            );
            continue;
        };
        let key = key.trim();
        // A key joined across a `\` continuation is not the file's bytes at `line_start`:
        // like every joined word, it gets the whole logical line's span.
        let key_span = match text.get(line_start..line_start + key.len()) {
            Some(written) if written == key => Span::new(line_start, line_start + key.len()),
            _ => span,
        };
        file.entries.push(Entry {
            section: section.clone(),
            key: Word::new(key, key_span),
            value: Word::new(value.trim(), span),
        });
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_continuation() {
        let f = parse(
            "[Unit]\nDescription=x\n# c\n[Socket]\nListenStream=[::]:80\nBindIPv6Only=\\\n  both\n",
        );
        let socket: Vec<(&str, &str)> = f
            .entries
            .iter()
            .filter(|e| e.section == "Socket")
            .map(|e| (e.key.text.as_str(), e.value.text.as_str()))
            .collect();
        assert_eq!(
            socket,
            [("ListenStream", "[::]:80"), ("BindIPv6Only", "both")]
        );
        for t in ["[", "=", "\\", "[Socket]\nListenStream"] {
            let _ = parse(t);
        }
    }
}
