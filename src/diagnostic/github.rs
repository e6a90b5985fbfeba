//! GitHub Actions workflow commands: one `::error file=..,line=..::message` line per finding,
//! which the runner turns into an annotation on the file and line in the pull request.

use super::{Diagnostic, RunView, Severity, escape};

/// A command's data (the message): `%`, CR and LF are encoded, as the runner's own toolkit
/// does, so a message cannot end the command or start another.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: the data's encoding, plus `:` and `,`, which end a property.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn line(run: &RunView<'_>, d: &Diagnostic) -> String {
    let mut props = Vec::new();
    let file = d.location.map(|l| l.file).or(d.file);
    if let Some(file) = file {
        // The path a user can open from where netvet ran: the checkout, in a workflow.
        let shown = &run.sources.get(file).shown;
        props.push(format!(
            "file={}",
            escape_property(&escape(shown.strip_prefix("./").unwrap_or(shown)))
        ));
    }
    if let Some(loc) = d.location {
        let f = run.sources.get(loc.file);
        let start = f.line_col(loc.span.start);
        let end = f.line_col(loc.span.end);
        props.push(format!("line={}", start.line));
        props.push(format!("col={}", start.column));
        props.push(format!("endLine={}", end.line));
        props.push(format!("endColumn={}", end.column));
    }
    let name = super::registry::lookup(d.code).map_or("", |r| r.name);
    props.push(format!(
        "title={}",
        escape_property(&format!("{} {name}", d.code))
    ));
    let mut message = d.message.clone();
    for help in &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    // Control characters from the files are shown as escapes first, as in every report: the
    // log is read on a terminal too.
    format!(
        "::{} {}::{}\n",
        command(d.severity),
        props.join(","),
        escape_data(&escape(&message))
    )
}

/// Every finding that is not suppressed, one workflow command a line, and nothing else.
pub fn render_github(runs: &[RunView<'_>]) -> String {
    let mut out = String::new();
    for run in runs {
        for d in run.diagnostics.iter().filter(|d| d.suppressed.is_none()) {
            out.push_str(&line(run, d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped_as_the_runner_reads_them() {
        assert_eq!(escape_data("50% a\r\nb:c,d"), "50%25 a%0D%0Ab:c,d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // An encoded sequence in the text stays text: its `%` is encoded first.
        assert_eq!(escape_data("%0A"), "%250A");
    }
}
