//! rustc-style text: `error[NV101]: message`, `--> file:line:col`, the source lines with carets,
//! then `= help:` and `= note:` lines.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap};

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
            let mut snippet = Snippet::source(source.text.as_str())
                .path(source.display.as_str())
                .fold(true);
            if let Some(loc) = d.location.filter(|l| l.file == file) {
                snippet = snippet.annotation(AnnotationKind::Primary.span(loc.span.range()));
            }
            for label in d.labels.iter().filter(|l| l.location.file == file) {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(label.location.span.range())
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
