//! The JSON report. Its schema is documented in `docs/json-schema.md` and versioned by
//! [`JSON_SCHEMA_VERSION`]: fields are only ever added within a version.

use serde::Serialize;

use super::{Applicability, Diagnostic, Severity};
use crate::source::{Location, SourceMap};

pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<Finding<'a>>,
    suppressed: Vec<Finding<'a>>,
    files: Vec<&'a str>,
    not_found: Vec<&'a str>,
    notes: Vec<&'a str>,
    /// Main interfaces files Debian's ifupdown refuses as a whole.
    refused: Vec<Refused<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Refused<'a> {
    target: &'a str,
    file: &'a str,
    path: &'a str,
    reason: &'static str,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, Default)]
struct Summary {
    error: usize,
    warning: usize,
    info: usize,
    suppressed: usize,
}

#[derive(Serialize)]
struct Position<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn position<'a>(sources: &'a SourceMap, loc: Location) -> Position<'a> {
    let file = sources.get(loc.file);
    let start = file.line_col(loc.span.start);
    let end = file.line_col(loc.span.end);
    Position {
        file: &file.display,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

#[derive(Serialize)]
struct Finding<'a> {
    /// What the user named: the directory, file or `-` this finding was checked in.
    target: &'a str,
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    /// The file as the user can open it (`fixtures/demo/etc/network/interfaces`).
    path: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    interface: Option<&'a str>,
    help: &'a [String],
    notes: &'a [String],
    labels: Vec<LabelOut<'a>>,
    fix: Option<FixOut<'a>>,
    suppressed: Option<SuppressedOut<'a>>,
    /// Listener findings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    program: Option<&'a str>,
}

#[derive(Serialize)]
struct LabelOut<'a> {
    #[serde(flatten)]
    position: Position<'a>,
    message: &'a str,
}

#[derive(Serialize)]
struct FixOut<'a> {
    title: &'a str,
    applicability: Applicability,
    edits: Vec<EditOut<'a>>,
    /// Files the fix adds, by host path.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    creates: &'a [super::NewFile],
}

#[derive(Serialize)]
struct EditOut<'a> {
    #[serde(flatten)]
    position: Position<'a>,
    replacement: &'a str,
}

#[derive(Serialize)]
struct SuppressedOut<'a> {
    #[serde(flatten)]
    position: Position<'a>,
    reason: Option<&'a str>,
}

fn finding<'a>(target: &'a str, sources: &'a SourceMap, d: &'a Diagnostic) -> Finding<'a> {
    let pos = d.location.map(|l| position(sources, l));
    Finding {
        target,
        code: d.code,
        name: super::registry::lookup(d.code).map_or("", |r| r.name),
        severity: d.severity,
        message: &d.message,
        file: pos
            .as_ref()
            .map(|p| p.file)
            .or_else(|| d.file.map(|f| sources.get(f).display.as_str())),
        path: d
            .location
            .map(|l| l.file)
            .or(d.file)
            .map(|f| sources.get(f).shown.as_str()),
        line: pos.as_ref().map(|p| p.line),
        column: pos.as_ref().map(|p| p.column),
        end_line: pos.as_ref().map(|p| p.end_line),
        end_column: pos.as_ref().map(|p| p.end_column),
        interface: d.interface.as_deref(),
        help: &d.help,
        notes: &d.notes,
        labels: d
            .labels
            .iter()
            .map(|l| LabelOut {
                position: position(sources, l.location),
                message: &l.message,
            })
            .collect(),
        fix: d.fix.as_ref().map(|f| FixOut {
            title: &f.title,
            applicability: f.applicability,
            edits: f
                .edits
                .iter()
                .map(|e| EditOut {
                    position: position(sources, e.location),
                    replacement: &e.replacement,
                })
                .collect(),
            creates: &f.creates,
        }),
        suppressed: d.suppressed.as_ref().map(|s| SuppressedOut {
            position: position(sources, s.location),
            reason: s.reason.as_deref(),
        }),
        port: d.listener.as_ref().map(|l| l.port),
        address: d.listener.as_ref().map(|l| l.address.as_str()),
        program: d.listener.as_ref().map(|l| l.program.as_str()),
    }
}

/// What one check produced: the files it read, its findings, what it looked for in vain.
pub struct RunView<'a> {
    /// The main interfaces file, when ifupdown refuses it as a whole, and why.
    pub refused: Option<(crate::source::FileId, &'static str)>,
    /// What the user named: a directory, a file or `-`.
    pub target: &'a str,
    pub sources: &'a SourceMap,
    pub diagnostics: &'a [Diagnostic],
    pub not_found: &'a [String],
    pub notes: &'a [String],
}

/// The whole report as pretty-printed JSON: one document for all runs.
pub fn render_json(runs: &[RunView<'_>]) -> String {
    let mut summary = Summary::default();
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    let mut files = Vec::new();
    let mut not_found = Vec::new();
    let mut notes = Vec::new();
    let mut refused = Vec::new();
    for run in runs {
        if let Some((file, reason)) = run.refused {
            let f = run.sources.get(file);
            refused.push(Refused {
                target: run.target,
                file: &f.display,
                path: &f.shown,
                reason,
            });
        }
        for d in run.diagnostics {
            if d.suppressed.is_some() {
                summary.suppressed += 1;
                suppressed.push(finding(run.target, run.sources, d));
                continue;
            }
            match d.severity {
                Severity::Error => summary.error += 1,
                Severity::Warning => summary.warning += 1,
                Severity::Info => summary.info += 1,
            }
            findings.push(finding(run.target, run.sources, d));
        }
        files.extend(run.sources.iter().map(|(_, f)| f.display.as_str()));
        not_found.extend(run.not_found.iter().map(String::as_str));
        notes.extend(run.notes.iter().map(String::as_str));
    }
    let report = Report {
        version: JSON_SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        findings,
        suppressed,
        files,
        not_found,
        notes,
        refused,
        summary,
    };
    crate::diagnostic::to_json(&report)
}

/// One run's findings (not the suppressed ones) as the JSON report's `findings` array holds
/// them, for documents that embed `check`'s findings (`netvet audit`).
pub fn finding_values(run: &RunView<'_>) -> Vec<serde_json::Value> {
    run.diagnostics
        .iter()
        .filter(|d| d.suppressed.is_none())
        .map(|d| serde_json::to_value(finding(run.target, run.sources, d)).expect("plain data"))
        .collect()
}

/// JSON Lines: one finding a line, each the object the JSON report's `findings` array holds
/// (suppressed findings are not findings), and nothing else.
pub fn render_json_lines(runs: &[RunView<'_>]) -> String {
    let mut out = String::new();
    for run in runs {
        for d in run.diagnostics.iter().filter(|d| d.suppressed.is_none()) {
            let line =
                serde_json::to_string(&finding(run.target, run.sources, d)).expect("plain data");
            // As in the JSON report, C1 controls and bidirectional overrides are escaped too.
            out.push_str(&super::replace_unsafe(&line, |c| {
                format!("\\u{:04x}", c as u32)
            }));
            out.push('\n');
        }
    }
    out
}
