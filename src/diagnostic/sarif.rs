//! SARIF 2.1.0 (OASIS), the format GitHub code scanning and other result viewers read: one run,
//! every rule's metadata from the registry and its page, one result per finding.
//!
//! The SARIF is written with `serde_json::json!` rather than a SARIF types crate: netvet fills
//! a small, fixed part of the format, and the official schema checks the output in the tests
//! (`tests/it/formats.rs`), which is what a types crate would have promised.

use serde_json::{Value, json};

use super::registry::{RULES, RuleMeta};
use super::{Diagnostic, RunView, Severity};
use crate::source::{FileId, Location, SourceMap};

/// The base that relative artifact URIs resolve against: the directory netvet ran in, which
/// in a CI job is the checkout, as GitHub code scanning expects.
pub const SRCROOT: &str = "%SRCROOT%";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a URI reference: every byte but the unreserved characters and `/`
/// percent-encoded (RFC 3986), so a space, `%`, `#` or a control character in a file name
/// cannot change what the URI names.
pub(crate) fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The artifact a file is: the path a user can open, relative to where netvet ran (under
/// `%SRCROOT%`), or a `file://` URI when it was named by an absolute path.
fn artifact(sources: &SourceMap, file: FileId) -> Value {
    artifact_of(&sources.get(file).shown)
}

fn artifact_of(shown: &str) -> Value {
    let shown = shown.strip_prefix("./").unwrap_or(shown);
    if shown.starts_with('/') {
        json!({ "uri": format!("file://{}", percent_encode(shown)) })
    } else {
        json!({ "uri": percent_encode(shown), "uriBaseId": SRCROOT })
    }
}

/// SARIF regions count lines and columns from 1, and a column here is a Unicode code point
/// (`columnKind` says so), as netvet counts them; the end column is the one after the last
/// character, as in netvet's spans.
fn region(sources: &SourceMap, loc: Location) -> Value {
    let file = sources.get(loc.file);
    let start = file.line_col(loc.span.start);
    let end = file.line_col(loc.span.end);
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

fn physical(sources: &SourceMap, loc: Location) -> Value {
    json!({
        "artifactLocation": artifact(sources, loc.file),
        "region": region(sources, loc),
    })
}

/// Where a finding is: its span, else the file it is about, else the target the user named
/// (a finding about the host as a whole still needs a place for code scanning to show it).
fn location(run: &RunView<'_>, d: &Diagnostic) -> Value {
    let physical = match (d.location, d.file) {
        (Some(loc), _) => physical(run.sources, loc),
        (None, Some(file)) => json!({ "artifactLocation": artifact(run.sources, file) }),
        (None, None) => json!({ "artifactLocation": artifact_of(run.target) }),
    };
    let mut location = json!({ "physicalLocation": physical });
    if let Some(interface) = &d.interface {
        location["logicalLocations"] = json!([{ "name": interface, "kind": "interface" }]);
    }
    location
}

/// A rule page's first paragraph under "What it checks", as plain text.
fn full_description(doc: &str) -> String {
    let body = doc
        .split_once("## What it checks")
        .map_or(doc, |(_, rest)| rest)
        .trim_start();
    let paragraph = body.split("\n\n").next().unwrap_or("");
    paragraph
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('`', "")
}

/// The rule family a code's hundreds name, as `rules/README.md` groups them: a tag viewers
/// filter by.
fn family(code: &str) -> &'static str {
    match code.as_bytes().get(2) {
        Some(b'0') => "syntax",
        Some(b'1') => "bonding",
        Some(b'2') => "mtu",
        Some(b'3') => "vlan",
        Some(b'4') => "listeners",
        _ => "live",
    }
}

fn rule(meta: &RuleMeta) -> Value {
    let text = crate::explain::render(meta.doc, 100);
    json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": { "text": meta.summary.replace('`', "") },
        "fullDescription": { "text": full_description(meta.doc) },
        "help": {
            "text": anstream::adapter::strip_str(&text).to_string(),
            "markdown": meta.doc,
        },
        "defaultConfiguration": { "level": level(meta.severity) },
        "properties": { "tags": [family(meta.code)] },
    })
}

fn result(run: &RunView<'_>, d: &Diagnostic) -> Value {
    let index = RULES
        .iter()
        .position(|r| r.code == d.code)
        .expect("a diagnostic's code is in the registry");
    let mut result = json!({
        "ruleId": d.code,
        "ruleIndex": index,
        "level": level(d.severity),
        "message": { "text": message(d) },
        "locations": [location(run, d)],
        "properties": { "target": run.target },
    });
    if let Some(interface) = &d.interface {
        result["properties"]["interface"] = json!(interface);
    }
    if !d.labels.is_empty() {
        result["relatedLocations"] = d
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                json!({
                    "id": i,
                    "physicalLocation": physical(run.sources, l.location),
                    "message": { "text": l.message },
                })
            })
            .collect();
    }
    if let Some(s) = &d.suppressed {
        let mut suppression = json!({
            "kind": "inSource",
            "location": { "physicalLocation": physical(run.sources, s.location) },
        });
        if let Some(reason) = &s.reason {
            suppression["justification"] = json!(reason);
        }
        result["suppressions"] = json!([suppression]);
    }
    result
}

/// The finding's message, then its help and notes as the human report's `= help:` lines.
fn message(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    for help in &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    for note in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    text
}

/// The whole report as one SARIF log: suppressed findings are results with a `suppressions`
/// entry (code scanning shows them as dismissed), notes on how files were read are the
/// invocation's notifications.
pub fn render_sarif(runs: &[RunView<'_>]) -> String {
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for run in runs {
        results.extend(run.diagnostics.iter().map(|d| result(run, d)));
        notifications.extend(
            run.notes
                .iter()
                .map(|n| json!({ "level": "note", "message": { "text": n } })),
        );
        if let Some((file, reason)) = run.refused {
            notifications.push(json!({
                "level": "error",
                "message": { "text": format!(
                    "ifup refuses {} as a whole (\"{reason}\"): `ifup -a` brings up none of its interfaces",
                    run.sources.get(file).shown
                ) },
            }));
        }
    }
    let mut log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": env!("CARGO_PKG_NAME"),
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": RULES.iter().map(rule).collect::<Vec<_>>(),
            } },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": { SRCROOT: {
                "description": { "text": "The directory netvet ran in: the checkout, in CI" },
            } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    // The package's repository, once Cargo.toml names one: netvet has no public address yet,
    // and a made-up one would send users somewhere else.
    let uri = env!("CARGO_PKG_REPOSITORY");
    if !uri.is_empty() {
        log["runs"][0]["tool"]["driver"]["informationUri"] = json!(uri);
    }
    super::to_json(&log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            artifact_of("./fixtures/a b%#/x"),
            json!({ "uri": "fixtures/a%20b%25%23/x", "uriBaseId": SRCROOT })
        );
        assert_eq!(
            artifact_of("/etc/network/interfaces"),
            json!({ "uri": "file:///etc/network/interfaces" })
        );
        assert_eq!(percent_encode("é\u{1b}"), "%C3%A9%1B");
    }

    #[test]
    fn every_rule_page_has_a_description() {
        for r in RULES {
            let text = full_description(r.doc);
            assert!(text.len() > 20, "{}: {text:?}", r.code);
        }
    }
}
