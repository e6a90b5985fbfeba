//! rustc-style text: `error[NV101]: message`, `--> file:line:col`, the source lines with carets,
//! then `= help:` and `= note:` lines.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::{Diagnostic, Severity, escape as printable, replace_unsafe};
use crate::source::{FileId, SourceMap, Span};

/// Source lines with every unsafe character replaced by `?`s of the same byte length, so
/// that the spans still point at the same bytes. A CRLF file's `\r` stays: the renderer
/// handles line endings itself.
fn same_length_printable(text: &str) -> std::borrow::Cow<'_, str> {
    replace_unsafe(text, |c| {
        if c == '\r' {
            c.to_string()
        } else {
            "?".repeat(c.len_utf8())
        }
    })
}

/// Lines longer than this many bytes are cut around their annotations.
const LONG_LINE: usize = 1_024;

/// Bytes of context kept on each side of the annotations on a cut line: more than a terminal
/// shows.
const CONTEXT: usize = 256;

/// The part of `line` (one long line of `text`) that a finding covering `cover` shows: the
/// annotations with [`CONTEXT`] bytes on each side, at most `2 * CONTEXT` bytes of the
/// annotations themselves, on character boundaries. Its length never depends on the line's.
fn long_line_cut(text: &str, line: Span, cover: Span) -> Span {
    let line = line.range();
    let mut start = (cover.start as usize)
        .saturating_sub(CONTEXT)
        .max(line.start);
    let mut end = (cover.end as usize)
        .min(cover.start as usize + 2 * CONTEXT)
        .saturating_add(CONTEXT)
        .min(line.end);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// Render findings for a terminal. `styled` turns on ANSI colours.
pub fn render_human(sources: &SourceMap, diagnostics: &[Diagnostic], styled: bool) -> String {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diagnostics {
        let title_text = match &d.interface {
            Some(iface) if !d.message.contains(iface.as_str()) => {
                format!("{}: {}", iface, d.message)
            }
            _ => d.message.clone(),
        };
        let title_text = printable(&title_text).into_owned();
        let mut group = Group::with_title(level(d.severity).primary_title(title_text).id(d.code));

        // A finding about a file with no line to show: `--> FILE`.
        if let (None, Some(file)) = (d.location, d.file) {
            group = group.element(Origin::path(
                printable(&sources.get(file).shown).into_owned(),
            ));
        }
        // One snippet per file: the primary location's file first, then the labels' files.
        let mut files: Vec<FileId> = Vec::new();
        if let Some(loc) = d.location {
            files.push(loc.file);
        }
        for label in &d.labels {
            if !files.contains(&label.location.file) {
                files.push(label.location.file);
            }
        }
        let mut unnamed_snippet = false;
        for (nth, file) in files.into_iter().enumerate() {
            let source = sources.get(file);
            let primary = d.location.filter(|l| l.file == file).map(|l| l.span);
            let labels: Vec<_> = d
                .labels
                .iter()
                .filter(|l| l.location.file == file)
                .collect();
            // Hand the renderer only the lines from the first annotation to the last: it walks
            // its source from the start, and a host's interfaces file can be large.
            let spans = primary
                .into_iter()
                .chain(labels.iter().map(|l| l.location.span));
            let Some(cover) = spans.reduce(Span::cover) else {
                continue;
            };
            let first = source.line_col(cover.start).line;
            let last = source.line_col(cover.end).line;
            let mut window = source.line_span(first).cover(source.line_span(last));
            // A long single line (a generated `auto` line of thousands of names) is cut to the
            // annotations and some context, with `...` where it was cut: the renderer walks
            // its whole source, and thousands of findings on one line must not each walk it.
            let (mut before, mut after) = ("", "");
            if nth == 0 && first == last && window.range().len() > LONG_LINE {
                let cut = long_line_cut(&source.text, window, cover);
                if cut.start > window.start {
                    before = "...";
                }
                if cut.end < window.end {
                    after = "...";
                }
                window = cut;
            }
            let base = window.range();
            let cut = !before.is_empty() || !after.is_empty();
            let local = |span: Span| {
                let range = span.range();
                if cut {
                    let clamp = |at: usize| at.clamp(base.start, base.end) - base.start;
                    clamp(range.start) + before.len()..clamp(range.end) + before.len()
                } else {
                    range.start.saturating_sub(base.start)..range.end.saturating_sub(base.start)
                }
            };
            let text = format!(
                "{before}{}{after}",
                same_length_printable(source.slice(window))
            );
            let mut snippet = Snippet::source(text).line_start(first).fold(true);
            if before.is_empty() {
                snippet = snippet.path(printable(&source.shown));
            } else {
                unnamed_snippet = true;
                // The renderer would count the column from the cut: name the place outright.
                let at = primary.map_or(cover.start, |p| p.start);
                group = group.element(
                    Origin::path(printable(&source.shown).into_owned())
                        .line(first)
                        .char_column(source.line_col(at).column),
                );
            }
            if let Some(span) = primary {
                snippet = snippet.annotation(AnnotationKind::Primary.span(local(span)));
            }
            for label in labels {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(local(label.location.span))
                        .label(printable(&label.message)),
                );
            }
            group = group.element(snippet);
        }
        for help in &d.help {
            group = group.element(Level::HELP.message(printable(help)));
        }
        if let Some(fix) = &d.fix {
            group = group.element(Level::HELP.message(format!("fix: {}", printable(&fix.title))));
        }
        for note in &d.notes {
            group = group.element(Level::NOTE.message(printable(note)));
        }
        let rendered = renderer.render(&[group]);
        if unnamed_snippet {
            // The renderer marks a snippet without a path after the origin as another file's
            // (`:::` and no name): it is the same file, named with its real column above.
            for line in rendered.lines() {
                if anstream::adapter::strip_str(line).to_string().trim() != ":::" {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            out.pop();
        } else {
            out.push_str(&rendered);
        }
        out.push_str("\n\n");
    }
    out
}

/// Where in a file an error that is not a finding points (a `netvet.toml` the run reads).
#[derive(Clone, Copy, Debug)]
pub enum ErrorPlace<'a> {
    /// The file as a whole.
    File,
    /// A byte range of the file's text.
    Span(&'a str, Span),
    /// A line and character column, for a file whose text cannot be shown (not UTF-8).
    LineColumn(usize, usize),
}

/// An error about a file that is not one of the host's (the settings file): rendered as a
/// finding is, `error: message`, `--> file:line:col`, the line with a caret and `= help:`,
/// without a rule code. Only the lines of the span are handed to the renderer, cut like a
/// finding's when one line is long.
pub fn render_error(
    path: &str,
    place: ErrorPlace<'_>,
    message: &str,
    help: Option<&str>,
    styled: bool,
) -> String {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let path = printable(path).into_owned();
    let mut group = Group::with_title(Level::ERROR.primary_title(printable(message).into_owned()));
    let mut unnamed_snippet = false;
    match place {
        ErrorPlace::File => group = group.element(Origin::path(path)),
        ErrorPlace::LineColumn(line, column) => {
            group = group.element(Origin::path(path).line(line).char_column(column));
        }
        ErrorPlace::Span(text, span) => {
            let start = (span.start as usize).min(text.len());
            let end = (span.end as usize).clamp(start, text.len());
            let first = text[..start].matches('\n').count() + 1;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
            let mut window = Span::new(line_start, line_end);
            let (mut before, mut after) = ("", "");
            if !text[start..end].contains('\n') && window.range().len() > LONG_LINE {
                let cut = long_line_cut(text, window, Span::new(start, end));
                before = if cut.start > window.start { "..." } else { "" };
                after = if cut.end < window.end { "..." } else { "" };
                window = cut;
            }
            let base = window.start as usize;
            let local =
                start - base + before.len()..end.min(window.end as usize) - base + before.len();
            let shown = format!(
                "{before}{}{after}",
                same_length_printable(&text[window.range()])
            );
            let mut snippet = Snippet::source(shown).line_start(first).fold(true);
            if before.is_empty() {
                snippet = snippet.path(path);
            } else {
                unnamed_snippet = true;
                let column = text[line_start..start].chars().count() + 1;
                group = group.element(Origin::path(path).line(first).char_column(column));
            }
            group = group.element(snippet.annotation(AnnotationKind::Primary.span(local)));
        }
    }
    if let Some(help) = help {
        group = group.element(Level::HELP.message(printable(help).into_owned()));
    }
    let rendered = renderer.render(&[group]);
    let mut out = String::new();
    for line in rendered.lines() {
        // As for a finding: a snippet after its origin would be marked as another file's.
        if !(unnamed_snippet && anstream::adapter::strip_str(line).to_string().trim() == ":::") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::registry as rule;
    use crate::source::{Location, SourceFile};

    #[test]
    fn control_characters_from_the_files_never_reach_the_terminal() {
        let text = "iface \u{1b}[2Jevil inet manual\n    mtu \u{202e}0009\n";
        let mut sources = SourceMap::default();
        let file = sources.add(SourceFile::new(
            "/etc/network/interfaces\u{1b}]0;x\u{7}".to_string(),
            "/x/interfaces\u{1b}]0;x\u{7}".into(),
            text.as_bytes().to_vec(),
        ));
        let d = Diagnostic::new(
            rule::NV004,
            "invalid `mtu` value `\u{202e}0009` on \u{1b}[2Jevil",
        )
        .at(Location {
            file,
            span: Span::new(35, 42),
        })
        .help("name \u{9b}31m")
        .note("n\u{1b}")
        .label(
            Some(Location {
                file,
                span: Span::new(0, 5),
            }),
            "x\u{1b}",
        );
        let out = render_human(&sources, &[d], false);
        assert!(!out.chars().any(super::super::is_unsafe), "{out:?}");
        assert!(out.contains("\\u{1b}[2Jevil"), "{out}");
        assert!(
            out.contains("mtu ???0009"),
            "spans keep pointing at the same bytes: {out}"
        );
    }

    /// The quadratic case on the renderer's side: the renderer walks the whole source
    /// it is handed, so each finding on a long line hands it only a cut of bounded length,
    /// and the header still gives the real column.
    #[test]
    fn a_finding_on_a_long_line_renders_a_bounded_cut_with_the_real_column() {
        let line: String = (0..100_000).map(|i| format!("é{i} ")).collect();
        let text = format!("auto {line}\n");
        let mut sources = SourceMap::default();
        let file = sources.add(SourceFile::new(
            "/etc/network/interfaces".into(),
            "/x/interfaces".into(),
            text.as_bytes().to_vec(),
        ));
        let source = sources.get(file);
        let window = source.line_span(1);
        for at in [5, text.len() / 2, text.len() - 10] {
            let start = (at..).find(|&i| text.is_char_boundary(i)).unwrap();
            let cover = Span::new(start, start + 2);
            let cut = long_line_cut(&text, window, cover);
            assert!(cut.range().len() <= 4 * CONTEXT + 8, "{cut:?}");
            assert!(cut.start <= cover.start && cover.end <= cut.end);
        }
        let far = text.find("é77777 ").unwrap();
        let d = Diagnostic::new(rule::NV005, "x").at(Location {
            file,
            span: Span::new(far, far + "é77777".len()),
        });
        let out = render_human(&sources, &[d], false);
        let column = text[..far].chars().count() + 1;
        assert!(out.contains(&format!("interfaces:1:{column}\n")), "{out}");
        assert!(out.contains("...") && out.contains("é77777"), "{out}");
        assert!(!out.contains(":::"), "{out}");
        assert!(out.len() < 2_000, "{out}");
    }

    /// A settings file's error on a long line shows a bounded cut with the real column, and
    /// the file's control characters never reach the terminal.
    #[test]
    fn a_settings_error_on_a_long_line_is_cut_and_escaped() {
        let text = format!("x = \"{}\"\nselct = \"\u{1b}[2J\"\n", "a".repeat(100_000));
        let at = text.len() - 8;
        let long = format!("{}bad = 1\n", " ".repeat(50_000));
        let out = render_error(
            "netvet.toml",
            ErrorPlace::Span(&long, Span::new(50_000, 50_003)),
            "unknown key `bad`",
            Some("remove it"),
            false,
        );
        assert!(out.contains("--> netvet.toml:1:50001"), "{out}");
        assert!(out.len() < 2_000, "{} bytes", out.len());
        assert!(!out.lines().any(|l| l.trim() == ":::"), "{out}");
        let out = render_error(
            "netvet.toml",
            ErrorPlace::Span(&text, Span::new(at, at + 5)),
            "unknown key",
            None,
            false,
        );
        assert!(out.contains("--> netvet.toml:2:"), "{out}");
        assert!(!out.chars().any(super::super::is_unsafe), "{out:?}");
    }
}
