//! rustc-style text: `error[NV101]: message`, `--> file:line:col`, the source lines with carets,
//! then `= help:` and `= note:` lines.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap, Span};

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
        let mut group = Group::with_title(level(d.severity).primary_title(title_text).id(d.code));

        // A finding about a file with no line to show: `--> FILE`.
        if let (None, Some(file)) = (d.location, d.file) {
            group = group.element(Origin::path(sources.get(file).shown.as_str()));
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
            let mut snippet = Snippet::source(source.slice(window))
                .line_start(first)
                .path(source.shown.as_str())
                .fold(true);
            if let Some(span) = primary {
                snippet = snippet.annotation(AnnotationKind::Primary.span(local(span)));
            }
            for label in labels {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(local(label.location.span))
                        .label(label.message.as_str()),
                );
            }
            group = group.element(snippet);
        }
        for help in &d.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        if let Some(fix) = &d.fix {
            group = group.element(Level::HELP.message(format!("fix: {}", fix.title)));
        }
        for note in &d.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}
