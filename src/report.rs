//! Putting findings together for output: one report over every checked target.

use crate::CheckRun;
use crate::diagnostic::{RunView, Severity, render_human, render_json};
use crate::rules::registry::RULES;

fn view(run: &CheckRun) -> RunView<'_> {
    RunView {
        sources: &run.host.sources,
        diagnostics: &run.diagnostics,
        not_found: &run.host.not_found,
    }
}

pub fn json(runs: &[CheckRun]) -> String {
    let views: Vec<RunView<'_>> = runs.iter().map(view).collect();
    render_json(&views)
}

/// Findings, then what was suppressed and why, then what was not found, then a summary line.
pub fn human(runs: &[CheckRun], styled: bool) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings, mut infos, mut suppressed, mut files) = (0, 0, 0, 0, 0);
    for run in runs {
        let (active, quiet): (Vec<_>, Vec<_>) = run
            .diagnostics
            .iter()
            .cloned()
            .partition(|d| d.suppressed.is_none());
        out.push_str(&render_human(&run.host.sources, &active, styled));
        for d in &quiet {
            let s = d.suppressed.as_ref().expect("partitioned on suppressed");
            out.push_str(&format!(
                "suppressed[{}]: {} ({}{})\n",
                d.code,
                d.message,
                run.host.sources.describe(s.location),
                s.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ));
        }
        for path in &run.host.not_found {
            out.push_str(&format!("note: {path} not found, not checked\n"));
        }
        for d in &active {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Info => infos += 1,
            }
        }
        suppressed += quiet.len();
        files += run.host.sources.iter().count();
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "netvet: {}, {}, {} in {}{}\n",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(infos, "info"),
        plural(files, "file"),
        if suppressed > 0 {
            format!(" ({suppressed} suppressed)")
        } else {
            String::new()
        }
    ));
    out
}

/// `netvet rules`.
pub fn rules_table(json: bool) -> String {
    if json {
        let rules: Vec<serde_json::Value> = RULES
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code,
                    "name": r.name,
                    "severity": r.severity,
                    "summary": r.summary,
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rules).expect("plain data") + "\n";
    }
    let mut out = String::new();
    for r in RULES {
        out.push_str(&format!(
            "{}  {:<8} {:<32} {}\n",
            r.code,
            r.severity.as_str(),
            r.name,
            r.summary.replace('`', "")
        ));
    }
    out
}
