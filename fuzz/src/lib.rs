//! What every netvet fuzz target checks beyond "no panic".
//!
//! Each target turns the fuzzer's bytes into a [`SourceFile`] (lossy UTF-8, as the loader does),
//! parses its text, then calls [`check_spans`] on the parsed tree and [`render_errors`] on the
//! parser's syntax errors.

use std::path::PathBuf;

use netvet::diagnostic::{Diagnostic, RunView, render_human, render_json};
use netvet::source::{FileId, Location, SourceFile, SourceMap, Span};
use netvet::syntax::SyntaxError;

/// A host's files, in the order the targets that take a whole tree (`check`, `fix`) split
/// their input at NUL bytes.
pub const HOST_FILES: &[&str] = &[
    "etc/network/interfaces",
    "etc/network/interfaces.d/a",
    "etc/modprobe.d/bonding.conf",
    "etc/sysctl.d/99-net.conf",
    "etc/nginx/nginx.conf",
    "etc/ssh/sshd_config",
    "etc/modules",
];

/// A host tree in memory: each part at its path in [`HOST_FILES`].
pub fn host_tree(parts: &[&[u8]]) -> netvet::load::Bundle {
    let mut bundle = netvet::load::Bundle::new("fuzz.tar");
    for (path, part) in HOST_FILES.iter().zip(parts) {
        bundle.add_file(path, part.to_vec()).expect("a fixed path");
    }
    bundle
}

/// The fuzzer's bytes as the loader would hold them: lossy UTF-8, kept whole.
pub fn source(data: &[u8], display: &str) -> SourceFile {
    SourceFile::new(
        display.to_string(),
        PathBuf::from(format!("/fuzz{display}")),
        data.to_vec(),
    )
}

/// Every span in `tree` lies inside `text`, ends after it starts, and both ends fall on char
/// boundaries (a span that cuts a character panics the renderers' slicing and any fix).
///
/// The spans are found in the tree's `Debug` form rather than by walking each parser's types:
/// that covers every field, including ones added later, with no walker to keep in step. The
/// cost is a `format!` per execution, small next to the parse itself.
pub fn check_spans(text: &str, tree: &impl std::fmt::Debug) {
    // The dump quotes the input's words: an input that spells a span itself would be read as
    // one (a false finding), so such inputs skip this check.
    if memchr::memmem::find(text.as_bytes(), b"Span {").is_some() {
        return;
    }
    let dump = format!("{tree:?}");
    for span in spans_in(&dump) {
        assert_span(text, span);
    }
}

/// One span against its text, with a message that shows both.
pub fn assert_span(text: &str, span: Span) {
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(start <= end, "span {span:?} ends before it starts");
    assert!(
        end <= text.len(),
        "span {span:?} past the end of a {}-byte input",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "span {span:?} cuts a character in {:?}",
        &text[start.saturating_sub(4).min(text.len())..]
            .chars()
            .take(12)
            .collect::<String>()
    );
}

/// Every `Span { start: N, end: M }` in a `Debug` dump.
///
/// The dump is found through with `memchr`'s vectorised search: instrumented, a byte-at-a-time
/// search was a seventh of the `interfaces` fuzzer's time.
fn spans_in(dump: &str) -> Vec<Span> {
    const OPEN: &str = "Span { start: ";
    let number = |s: &str| -> (u32, usize) {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        (s[..digits].parse().expect("a span's number"), digits)
    };
    memchr::memmem::find_iter(dump.as_bytes(), OPEN)
        .map(|i| {
            let rest = &dump[i + OPEN.len()..];
            let (start, n) = number(rest);
            let rest = rest[n..]
                .strip_prefix(", end: ")
                .expect("a span's end follows its start");
            let (end, _) = number(rest);
            Span { start, end }
        })
        .collect()
}

/// Render the parser's errors as NV001 findings (as `rules::syntax` makes them) through the
/// human renderer, plain and styled, and the JSON renderer; the JSON must parse back. `data`
/// and `display` are what the file was made from with [`source`].
pub fn render_errors(data: &[u8], display: &str, errors: &[SyntaxError]) {
    if errors.is_empty() {
        return;
    }
    let mut sources = SourceMap::default();
    let id: FileId = sources.add(source(data, display));
    // Rendering is most of an execution's time (annotate-snippets, instrumented): render the
    // first errors and the last (an end-of-file error), not every one of a garbage file's
    // hundreds. Each renders on its own, so more of them would find nothing new.
    let shown = errors
        .iter()
        .take(3)
        .chain(errors.get(3..).and_then(<[_]>::last));
    let diagnostics: Vec<Diagnostic> = shown
        .map(|e| {
            let d = Diagnostic::new(netvet::diagnostic::registry::NV001, e.message.clone()).at(
                Location {
                    file: id,
                    span: e.span,
                },
            );
            match &e.help {
                Some(help) => d.help(help.clone()),
                None => d,
            }
        })
        .collect();
    render(&sources, &diagnostics, data.len() % 2 == 1);
}

/// Every finding's location and labels lie inside their files, on character boundaries.
pub fn assert_findings_inside(sources: &SourceMap, findings: &[Diagnostic]) {
    for d in findings {
        let locations = d
            .location
            .iter()
            .chain(d.labels.iter().map(|l| &l.location));
        for loc in locations {
            assert_span(&sources.get(loc.file).text, loc.span);
        }
    }
}

/// Both renderers over findings, the human one with or without colours; the JSON must be
/// valid JSON.
///
/// Rendering is most of a whole-host execution's time (annotate-snippets and the escaping,
/// instrumented), and a garbage host has hundreds of findings, each rendered on its own: the
/// first ones and the last (an end-of-file one) are rendered, in two runs, not every one.
pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic], styled: bool) {
    const FIRST: usize = 6;
    render_all(sources, &diagnostics[..diagnostics.len().min(FIRST)], styled);
    if diagnostics.len() > FIRST {
        render_all(sources, &diagnostics[diagnostics.len() - 1..], styled);
    }
}

fn render_all(sources: &SourceMap, diagnostics: &[Diagnostic], styled: bool) {
    let _ = render_human(sources, diagnostics, styled);
    let json = render_json(&[RunView {
        refused: None,
        target: "fuzz",
        sources,
        diagnostics,
        not_found: &[],
        notes: &[],
    }]);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        panic!("the JSON renderer wrote invalid JSON ({e}):\n{json}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_span_in_a_dump() {
        let dump = "A { span: Span { start: 1, end: 2 }, b: [Span { start: 30, end: 400 }] }";
        assert_eq!(
            spans_in(dump),
            [
                Span { start: 1, end: 2 },
                Span {
                    start: 30,
                    end: 400
                }
            ]
        );
    }
}
