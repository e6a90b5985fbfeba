//! An audit's report: the fleet first (each host's status and worst finding, each rule and how
//! many hosts it fired on), then each host's findings as `check` reports them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{HostResult, Status};
use crate::diagnostic::{JSON_SCHEMA_VERSION, Severity, escape};
use crate::report;

/// The findings that count: not suppressed.
fn findings(result: &HostResult) -> impl Iterator<Item = &crate::diagnostic::Diagnostic> {
    result
        .run
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.suppressed.is_none())
}

/// The most severe finding on a host, if any.
pub fn worst(result: &HostResult) -> Option<Severity> {
    findings(result).map(|d| d.severity).max()
}

#[derive(Serialize)]
struct HostOut<'a> {
    host: &'a str,
    address: Option<&'a str>,
    status: Status,
    reason: Option<&'a str>,
    worst: Option<Severity>,
    findings: Vec<serde_json::Value>,
}

fn host_out(result: &HostResult) -> HostOut<'_> {
    HostOut {
        host: &result.endpoint.name,
        address: result.endpoint.address.as_deref(),
        status: result.status,
        reason: result.reason.as_deref(),
        worst: worst(result),
        findings: result
            .run
            .as_ref()
            .map(report::finding_values)
            .unwrap_or_default(),
    }
}

#[derive(Serialize, Default)]
struct Summary {
    hosts: usize,
    /// Hosts per status, every status named.
    status: BTreeMap<&'static str, usize>,
    /// Audited hosts per worst severity (`clean`: none).
    worst: BTreeMap<&'static str, usize>,
    /// Per rule code, the number of hosts it fired on.
    rules: BTreeMap<&'static str, usize>,
}

fn summary(results: &[HostResult]) -> Summary {
    let mut s = Summary {
        hosts: results.len(),
        ..Summary::default()
    };
    for status in [
        Status::Ok,
        Status::Unreachable,
        Status::Timeout,
        Status::AuthFailed,
        Status::HostKeyMismatch,
        Status::BadResponse,
        Status::TooLarge,
        Status::InventoryError,
    ] {
        s.status.insert(
            status.as_str(),
            results.iter().filter(|r| r.status == status).count(),
        );
    }
    for result in results.iter().filter(|r| r.status == Status::Ok) {
        let worst = match worst(result) {
            Some(Severity::Error) => "error",
            Some(Severity::Warning) => "warning",
            Some(Severity::Info) => "info",
            None => "clean",
        };
        *s.worst.entry(worst).or_default() += 1;
        let mut codes: Vec<&'static str> = findings(result).map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        for code in codes {
            *s.rules.entry(code).or_default() += 1;
        }
    }
    s
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    hosts: Vec<HostOut<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// `--format json`: one document.
pub fn json(results: &[HostResult]) -> String {
    crate::diagnostic::to_json(&Document {
        version: JSON_SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        hosts: results.iter().map(host_out).collect(),
        summary: summary(results),
    })
}

/// `--format json-lines`: one host, one line, as it finishes.
pub fn json_line(result: &HostResult) -> String {
    let line = serde_json::to_string(&host_out(result)).expect("plain data");
    crate::diagnostic::replace_unsafe(&line, |c| format!("\\u{:04x}", c as u32)).into_owned() + "\n"
}

/// `--format human`.
pub fn human(results: &[HostResult], styled: bool) -> String {
    let mut out = String::new();
    let width = results
        .iter()
        .map(|r| r.endpoint.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for result in results {
        let name = escape(&result.endpoint.name);
        let what = match result.status {
            Status::Ok => {
                let count = |sev: Severity| findings(result).filter(|d| d.severity == sev).count();
                let parts: Vec<String> = [
                    (Severity::Error, "error"),
                    (Severity::Warning, "warning"),
                    (Severity::Info, "info"),
                ]
                .into_iter()
                .filter_map(|(sev, word)| {
                    let n = count(sev);
                    (n > 0).then(|| format!("{n} {word}{}", if n == 1 { "" } else { "s" }))
                })
                .collect();
                let found = if parts.is_empty() {
                    "clean".to_string()
                } else {
                    parts.join(", ")
                };
                match &result.reason {
                    Some(note) => format!("ok, {found} ({})", escape(note)),
                    None => format!("ok, {found}"),
                }
            }
            status => format!(
                "{}: {}",
                status.as_str(),
                escape(result.reason.as_deref().unwrap_or(""))
            ),
        };
        out.push_str(&format!("{name:<width$}  {what}\n"));
    }
    let sum = summary(results);
    if !sum.rules.is_empty() {
        out.push_str("\nrules that fired:\n");
        let mut rules: Vec<(&&str, &usize)> = sum.rules.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (code, hosts) in rules {
            let name = crate::rules::registry::lookup(code).map_or("", |r| r.name);
            out.push_str(&format!(
                "  {code} {name:<40} {hosts} host{}\n",
                if *hosts == 1 { "" } else { "s" }
            ));
        }
    }
    for result in results {
        if let Some(run) = &result.run
            && findings(result).next().is_some()
        {
            out.push_str(&format!("\n== {}\n", escape(&result.endpoint.name)));
            out.push_str(&report::human(
                std::slice::from_ref(run),
                styled,
                report::Verbosity::Quiet,
            ));
        }
    }
    let failed: usize = sum
        .status
        .iter()
        .filter(|(s, _)| **s != "ok")
        .map(|(_, n)| n)
        .sum();
    out.push_str(&format!(
        "\n{} host{}: {} audited ({} with errors, {} with warnings, {} clean), {failed} not audited\n",
        sum.hosts,
        if sum.hosts == 1 { "" } else { "s" },
        sum.status["ok"],
        sum.worst.get("error").copied().unwrap_or(0),
        sum.worst.get("warning").copied().unwrap_or(0),
        sum.worst.get("clean").copied().unwrap_or(0),
    ));
    out
}
