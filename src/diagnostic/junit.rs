//! JUnit XML, the test report format CI systems (GitLab, Jenkins, Azure) show: one testsuite per
//! checked target, one testcase per rule and file, failing when a finding in it is at or above
//! `--fail-on`.
//!
//! A suite is a target rather than a file because a target is what the user named, one host,
//! as a test module is; the file is the testcase's `classname`, which those reports use to
//! group cases under a suite, so a host's findings read file by file.

use std::collections::BTreeMap;

use super::{Diagnostic, RunView, Severity, escape};

/// Text for an XML attribute or element: the five markup characters as entities, and every
/// character XML 1.0 cannot carry (controls other than tab and line feed, U+FFFE, U+FFFF) nor a
/// terminal should receive (C1 controls, bidirectional overrides) shown as its `\u{..}`
/// escape, as the human report shows it.
pub(crate) fn xml(text: &str) -> String {
    let shown = escape(text);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{fffe}' | '\u{ffff}' => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// One finding as a line of a failure's text: `LINE:COL severity: message`.
fn finding_line(run: &RunView<'_>, d: &Diagnostic) -> String {
    let place = d.location.map_or_else(String::new, |l| {
        format!("{}: ", run.sources.get(l.file).line_col(l.span.start))
    });
    let mut text = format!("{place}{}: {}", d.severity.as_str(), d.message);
    for help in &d.help {
        text.push_str("\n  help: ");
        text.push_str(help);
    }
    if let Some(s) = &d.suppressed {
        text.push_str(&format!(
            " (suppressed at {}{})",
            run.sources.describe(s.location),
            s.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    text
}

struct Case<'a> {
    code: &'static str,
    classname: String,
    /// The file's path, for reports that link a case to it.
    file: Option<String>,
    findings: Vec<&'a Diagnostic>,
}

/// The whole report: `threshold` is `--fail-on` (none: no finding fails a case). Findings
/// below it and suppressed ones are listed in the case's `system-out`; a case of suppressed
/// findings only is skipped.
pub fn render_junit(runs: &[RunView<'_>], threshold: Option<Severity>) -> String {
    let fails =
        |d: &Diagnostic| d.suppressed.is_none() && threshold.is_some_and(|t| d.severity >= t);
    let mut suites = String::new();
    let (mut all_tests, mut all_failures) = (0, 0);
    for run in runs {
        let mut cases: BTreeMap<(String, &'static str), Case<'_>> = BTreeMap::new();
        for d in run.diagnostics {
            let file = d.location.map(|l| l.file).or(d.file);
            let classname = file.map_or_else(
                || run.target.to_string(),
                |f| run.sources.get(f).shown.clone(),
            );
            cases
                .entry((classname.clone(), d.code))
                .or_insert_with(|| Case {
                    code: d.code,
                    classname,
                    file: file.map(|f| run.sources.get(f).shown.clone()),
                    findings: Vec::new(),
                })
                .findings
                .push(d);
        }
        let failures = cases
            .values()
            .filter(|c| c.findings.iter().any(|d| fails(d)))
            .count();
        let skipped = cases
            .values()
            .filter(|c| c.findings.iter().all(|d| d.suppressed.is_some()))
            .count();
        all_tests += cases.len();
        all_failures += failures;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
            xml(run.target),
            cases.len()
        ));
        for case in cases.values() {
            let name = super::registry::lookup(case.code).map_or("", |r| r.name);
            suites.push_str(&format!(
                "    <testcase name=\"{} {name}\" classname=\"{}\"{}>\n",
                case.code,
                xml(&case.classname),
                case.file
                    .as_deref()
                    .map(|f| format!(" file=\"{}\"", xml(f)))
                    .unwrap_or_default()
            ));
            let failing: Vec<_> = case.findings.iter().filter(|d| fails(d)).collect();
            if let Some(worst) = failing.iter().map(|d| d.severity).max() {
                let lines: Vec<String> = failing.iter().map(|d| finding_line(run, d)).collect();
                let message = if failing.len() == 1 {
                    failing[0].message.clone()
                } else {
                    format!("{} findings", failing.len())
                };
                suites.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    xml(&message),
                    worst.as_str(),
                    xml(&lines.join("\n"))
                ));
            } else if case.findings.iter().all(|d| d.suppressed.is_some()) {
                suites.push_str(
                    "      <skipped message=\"suppressed by a netvet: ignore comment\"/>\n",
                );
            }
            let others: Vec<String> = case
                .findings
                .iter()
                .filter(|d| !fails(d))
                .map(|d| finding_line(run, d))
                .collect();
            if !others.is_empty() {
                suites.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    xml(&others.join("\n"))
                ));
            }
            suites.push_str("    </testcase>\n");
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"netvet\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_and_controls_are_escaped() {
        assert_eq!(
            super::xml("<a href=\"x\">&'\u{1b}[2J\u{0}\u{fffe}\r\t\n"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\\u{1b}[2J\\u{0}\\u{fffe}\\u{d}\t\n"
        );
    }
}
