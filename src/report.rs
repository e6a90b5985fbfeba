//! Putting findings together for output: one report over every checked target.

use crate::CheckRun;
use crate::diagnostic::{
    RunView, Severity, escape, render_github, render_human, render_json, render_json_lines,
    render_junit, render_sarif,
};
use crate::rules::registry::RULES;

fn view(run: &CheckRun) -> RunView<'_> {
    RunView {
        refused: run.host.refused_interfaces(),
        target: &run.target,
        sources: &run.host.sources,
        diagnostics: &run.diagnostics,
        not_found: &run.host.not_found,
        notes: &run.host.notes,
    }
}

pub fn json(runs: &[CheckRun]) -> String {
    let views: Vec<RunView<'_>> = runs.iter().map(view).collect();
    render_json(&views)
}

/// One run's findings as JSON values, each the object `json`'s `findings` array holds.
pub fn finding_values(run: &CheckRun) -> Vec<serde_json::Value> {
    crate::diagnostic::finding_values(&view(run))
}

/// SARIF 2.1.0 for code scanning.
pub fn sarif(runs: &[CheckRun]) -> String {
    let views: Vec<RunView<'_>> = runs.iter().map(view).collect();
    render_sarif(&views)
}

/// GitHub Actions workflow commands, one a finding.
pub fn github(runs: &[CheckRun]) -> String {
    let views: Vec<RunView<'_>> = runs.iter().map(view).collect();
    render_github(&views)
}

/// JUnit XML; `threshold` is `--fail-on`.
pub fn junit(runs: &[CheckRun], threshold: Option<Severity>) -> String {
    let views: Vec<RunView<'_>> = runs.iter().map(view).collect();
    render_junit(&views, threshold)
}

/// One JSON object a finding, one a line.
pub fn json_lines(runs: &[CheckRun]) -> String {
    let views: Vec<RunView<'_>> = runs.iter().map(view).collect();
    render_json_lines(&views)
}

/// For the formats whose standard output is only findings (github, junit, json-lines): the
/// notes on how files were read and a main file ifup refuses, for standard error.
pub fn stderr_notes(runs: &[CheckRun]) -> String {
    let mut out = String::new();
    for run in runs {
        for note in &run.host.notes {
            out.push_str(&format!("netvet: note: {}\n", escape(note)));
        }
        if let Some((file, reason)) = run.host.refused_interfaces() {
            out.push_str(&format!(
                "netvet: ifup refuses {} as a whole (\"{reason}\"): `ifup -a` brings up none of its interfaces\n",
                escape(&run.host.sources.get(file).shown)
            ));
        }
    }
    out
}

/// How much the human report says besides the findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// The findings only.
    Quiet,
    /// Findings, suppressed findings, notes on how files were read, and a summary line.
    Normal,
    /// Also every file read and every path looked for and not found.
    Verbose,
}

/// Findings, then what was suppressed and why, then notes (and, verbose, the files read and
/// the paths not found), then a summary line. With several targets each one's findings come
/// under its name.
pub fn human(runs: &[CheckRun], styled: bool, verbosity: Verbosity) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings, mut infos, mut suppressed, mut files, mut missing) =
        (0, 0, 0, 0, 0, 0);
    for run in runs {
        let (active, quiet): (Vec<_>, Vec<_>) = run
            .diagnostics
            .iter()
            .cloned()
            .partition(|d| d.suppressed.is_none());
        if runs.len() > 1 && verbosity != Verbosity::Quiet {
            out.push_str(&format!("== {}\n", escape(&run.target)));
        }
        out.push_str(&render_human(&run.host.sources, &active, styled));
        if verbosity != Verbosity::Quiet {
            for d in &quiet {
                let s = d.suppressed.as_ref().expect("partitioned on suppressed");
                out.push_str(&escape(&format!(
                    "suppressed[{}]: {} ({}{})",
                    d.code,
                    d.message,
                    run.host.sources.describe(s.location),
                    s.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                )));
                out.push('\n');
            }
            for note in &run.host.notes {
                out.push_str(&format!("note: {}\n", escape(note)));
            }
        }
        if let Some((file, reason)) = run.host.refused_interfaces()
            && verbosity != Verbosity::Quiet
        {
            out.push_str(&format!(
                "netvet: ifup refuses {} as a whole (\"{reason}\"): `ifup -a` brings up none of its interfaces\n",
                escape(&run.host.sources.get(file).shown)
            ));
        }
        if verbosity == Verbosity::Verbose {
            for (_, file) in run.host.sources.iter() {
                out.push_str(&format!("read: {}\n", escape(&file.shown)));
            }
            for path in &run.host.not_found {
                out.push_str(&format!("note: {} not found, not checked\n", escape(path)));
            }
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
        missing += run.host.not_found.len();
    }
    if verbosity == Verbosity::Quiet {
        return out;
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut extra = Vec::new();
    if suppressed > 0 {
        extra.push(format!("{suppressed} suppressed"));
    }
    if missing > 0 && verbosity == Verbosity::Normal {
        extra.push(format!(
            "{} not found, --verbose lists them",
            plural(missing, "path")
        ));
    }
    out.push_str(&format!(
        "netvet: {}, {}, {} in {}{}\n",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(infos, "info"),
        plural(files, "file"),
        if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join("; "))
        }
    ));
    out
}

/// `netvet fix --diff`: a unified diff per changed file, as `diff -u` and `git apply` read it.
pub fn fix_diff(plan: &crate::fix::Plan) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        let diff = similar::TextDiff::from_lines(&change.before, &change.after);
        let shown = escape(&change.shown);
        let old = if change.created {
            "/dev/null".into()
        } else {
            shown.clone()
        };
        out.push_str(&escape(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old, &shown)
                .to_string(),
        ));
    }
    out
}

/// `netvet fix`: each fix applied (or that `--diff` would apply) and each refused, with where
/// its finding was; the findings that remain (`remaining`); a summary line.
pub fn fix_summary(
    plan: &crate::fix::Plan,
    written: &[crate::fix::write::Written],
    created: &[String],
    dry_run: bool,
    remaining: bool,
) -> String {
    let mut out = String::new();
    let verb = if dry_run { "would fix" } else { "fixed" };
    let line = |f: &crate::fix::FixReport| {
        format!(
            "{} {}{}: {}",
            f.at,
            f.code,
            f.interface
                .as_deref()
                .map(|i| format!(" {i}"))
                .unwrap_or_default(),
            f.title
        )
    };
    for f in &plan.applied {
        out.push_str(&escape(&format!("{verb}: {}\n", line(f))));
    }
    for f in &plan.refused {
        out.push_str(&escape(&format!(
            "not fixed: {} ({})\n",
            line(f),
            f.refused.as_deref().unwrap_or("refused")
        )));
    }
    for shown in created {
        out.push_str(&escape(&format!("added {shown}\n")));
    }
    for w in written {
        out.push_str(&escape(&format!(
            "wrote {} (the old file is {})\n",
            w.shown,
            w.backup.display()
        )));
    }
    let remain: Vec<_> = plan
        .after
        .diagnostics
        .iter()
        .filter(|d| d.suppressed.is_none())
        .cloned()
        .collect();
    if remaining {
        out.push_str(&render_human(&plan.after.host.sources, &remain, true));
    }
    let plural = |n: usize, word: &str| {
        let many = if word.ends_with('x') { "es" } else { "s" };
        format!("{n} {word}{}", if n == 1 { "" } else { many })
    };
    let mut extra = Vec::new();
    if !plan.refused.is_empty() {
        extra.push(format!("{} refused", plan.refused.len()));
    }
    if plan.skipped_unsafe > 0 {
        extra.push(format!(
            "{} with --unsafe",
            plural(plan.skipped_unsafe, "more fix")
        ));
    }
    out.push_str(&format!(
        "netvet: {} {} in {}{}, {} {}\n",
        plural(plan.applied.len(), "fix"),
        if dry_run { "to apply" } else { "applied" },
        plural(plan.changes.len(), "file"),
        if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join("; "))
        },
        plural(remain.len(), "finding"),
        if remain.len() == 1 {
            "remains"
        } else {
            "remain"
        },
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
                    "severities": r.severities().collect::<Vec<_>>(),
                    "fix": r.fix,
                    "summary": r.summary,
                })
            })
            .collect();
        return crate::diagnostic::to_json(&rules);
    }
    let mut out = String::new();
    for r in RULES {
        out.push_str(&format!(
            "{}  {:<8} {:<7} {:<32} {}\n",
            r.code,
            r.severity.as_str(),
            r.fix.as_str(),
            r.name,
            r.summary.replace('`', "")
        ));
    }
    out
}

/// `netvet live`: one line per link, then the bonds' settings and slaves.
pub fn live_table(state: &crate::live::LiveState) -> String {
    let opt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
    let mut out = format!(
        "{:<16} {:<9} {:<5} {:<15} {:>6} {:<12} {:<10}\n",
        "LINK", "KIND", "ADMIN", "OPER", "MTU", "MASTER", "SPEED"
    );
    for l in &state.links {
        let speed = match (l.speed_mbps, &l.duplex) {
            (Some(s), Some(d)) => format!("{s}Mb/s {d}"),
            (Some(s), None) => format!("{s}Mb/s"),
            _ => "-".to_string(),
        };
        out.push_str(&format!(
            "{:<16} {:<9} {:<5} {:<15} {:>6} {:<12} {:<10}\n",
            l.name,
            l.kind,
            if l.admin_up { "up" } else { "down" },
            l.oper_state,
            opt(l.mtu),
            l.master.as_deref().unwrap_or("-"),
            speed
        ));
    }
    for what in &state.unavailable {
        out.push_str(&format!("note: not available: {what}\n"));
    }
    if !state.listeners.is_empty() {
        out.push('\n');
        out.push_str(&listeners_table(
            &crate::source::SourceMap::default(),
            &[],
            false,
            &state.listeners,
        ));
    }
    for l in &state.links {
        if let Some(b) = &l.bond {
            out.push_str(&format!(
                "\nbond {}: mode {}, miimon {}, updelay {}, downdelay {}, arp_interval {}, lacp_rate {}, xmit_hash_policy {}, min_links {}\n",
                l.name,
                b.mode,
                opt(b.miimon),
                opt(b.updelay),
                opt(b.downdelay),
                opt(b.arp_interval),
                b.lacp_rate.as_deref().unwrap_or("-"),
                b.xmit_hash_policy.as_deref().unwrap_or("-"),
                opt(b.min_links),
            ));
            for s in state
                .links
                .iter()
                .filter(|s| s.master.as_deref() == Some(&l.name))
            {
                let slave = s.bond_slave.clone().unwrap_or_default();
                out.push_str(&format!(
                    "  slave {}: {} mii {} failures {} aggregator {}\n",
                    s.name,
                    slave.state.as_deref().unwrap_or("-"),
                    slave.mii_status.as_deref().unwrap_or("-"),
                    opt(slave.link_failure_count),
                    slave
                        .ad_aggregator_id
                        .map_or("-".to_string(), |a| a.to_string()),
                ));
            }
        }
        if let Some(v) = &l.vlan {
            out.push_str(&format!(
                "\nvlan {}: id {} {} on {}\n",
                l.name,
                v.id,
                v.protocol,
                v.parent.as_deref().unwrap_or("?")
            ));
        }
    }
    if !state.sysctls.is_empty() {
        out.push_str("\nsysctls:\n");
        let width = state.sysctls.keys().map(String::len).max().unwrap_or(0);
        for (name, value) in &state.sysctls {
            out.push_str(&format!("  {name:<width$} = {value}\n"));
        }
    }
    // Link names come from the kernel, which accepts escape sequences in them.
    escape(&out).into_owned()
}

fn program(l: &crate::live::Listener) -> String {
    l.process.as_ref().map_or_else(
        || format!("uid {} (not visible)", l.uid),
        |p| format!("{}[{}]", p.name, p.pid),
    )
}

/// One row of `netvet listeners`.
struct Row {
    port: u16,
    address: String,
    reaches: &'static str,
    v6only: Option<bool>,
    source: String,
    program: String,
}

fn rows(
    sources: &crate::source::SourceMap,
    configured: &[crate::model::listeners::ConfiguredListener],
    bindv6only: bool,
    live: &[crate::live::Listener],
) -> Vec<Row> {
    let mut out: Vec<Row> = configured
        .iter()
        .map(|l| Row {
            port: l.port,
            address: l.address.clone(),
            reaches: l.reaches(bindv6only),
            v6only: l.is_ipv6().then(|| l.v6only_with(bindv6only)),
            source: match l.place() {
                Some(location) => sources.describe(location),
                None => format!("{} (default)", sources.get(l.location.file).shown),
            },
            program: l.program.clone(),
        })
        .chain(live.iter().map(|l| Row {
            port: l.port,
            address: l.address.clone(),
            reaches: l.reaches(),
            v6only: l.v6only,
            source: "kernel".to_string(),
            program: program(l),
        }))
        .collect();
    out.sort_by(|a, b| {
        (a.port, &a.source == "kernel", &a.address).cmp(&(
            b.port,
            &b.source == "kernel",
            &b.address,
        ))
    });
    out
}

/// `netvet listeners`: one row a socket, configured then live for each port, saying at a glance
/// which ports IPv4 and IPv6 clients reach.
pub fn listeners_table(
    sources: &crate::source::SourceMap,
    configured: &[crate::model::listeners::ConfiguredListener],
    bindv6only: bool,
    live: &[crate::live::Listener],
) -> String {
    let yes = |b: bool| if b { "yes" } else { "no" };
    let header = ["PORT", "ADDRESS", "V4", "V6", "V6ONLY", "PROGRAM", "SOURCE"];
    let cells: Vec<[String; 7]> = rows(sources, configured, bindv6only, live)
        .into_iter()
        .map(|r| {
            [
                r.port.to_string(),
                escape(&r.address).into_owned(),
                yes(r.reaches.contains("ipv4")).to_string(),
                yes(r.reaches.contains("ipv6")).to_string(),
                r.v6only.map_or("-", yes).to_string(),
                escape(&r.program).into_owned(),
                escape(&r.source).into_owned(),
            ]
        })
        .collect();
    // Widths from the content, so that a long address or program keeps the columns aligned;
    // SOURCE, the longest and least regular, comes last and is not padded.
    let mut width = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: [&str; 7]| {
        let mut text = format!("{:>w$}", row[0], w = width[0]);
        for (i, cell) in row.iter().enumerate().skip(1) {
            let last = i == row.len() - 1;
            text.push_str("  ");
            if last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}", w = width[i]));
            }
        }
        text.push('\n');
        text
    };
    let mut out = line(header);
    for row in &cells {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    out
}

/// `netvet listeners --format json`.
pub fn listeners_json(
    sources: &crate::source::SourceMap,
    configured: &[crate::model::listeners::ConfiguredListener],
    bindv6only: bool,
    live: &[crate::live::Listener],
) -> String {
    let rows: Vec<serde_json::Value> = rows(sources, configured, bindv6only, live)
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "port": r.port,
                "address": r.address,
                "v4": r.reaches.contains("ipv4"),
                "v6": r.reaches.contains("ipv6"),
                "v6only": r.v6only,
                "source": r.source,
                "program": r.program,
            })
        })
        .collect();
    crate::diagnostic::to_json(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_text_shows_the_sysctls() {
        let state = crate::live::LiveState::from_json(
            r#"{"version": 1, "links": [], "sysctls": {"net.ipv6.bindv6only": "1", "net.ipv6.conf.all.disable_ipv6": "0"}}"#,
        )
        .expect("a minimal snapshot");
        let text = live_table(&state);
        assert!(text.contains("\nsysctls:\n"), "{text}");
        assert!(
            text.contains("  net.ipv6.bindv6only            = 1\n"),
            "{text}"
        );
        assert!(
            text.contains("  net.ipv6.conf.all.disable_ipv6 = 0\n"),
            "{text}"
        );
    }
}
