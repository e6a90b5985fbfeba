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
        for file in files {
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
            let window = source.line_span(first).cover(source.line_span(last));
            let base = window.start as usize;
            let local = |span: Span| {
                let range = span.range();
                range.start.saturating_sub(base)..range.end.saturating_sub(base)
            };
            let mut snippet = Snippet::source(same_length_printable(source.slice(window)))
                .line_start(first)
                .path(printable(&source.shown))
                .fold(true);
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
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
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
}
