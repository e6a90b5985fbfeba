//! The edits fixes are made of, built on the parsed files' byte spans so that everything
//! around them (comments, blank lines, indentation, the `bond-`/`bond_` spelling a stanza
//! uses) stays as it is.

use crate::diagnostic::Edit;
use crate::model::{Interface, StanzaRef};
use crate::source::{Location, SourceMap, Span};

/// Remove the whole line that holds `at`, its indentation and line break included. A value
/// continued over several lines (`\` at the end of a line) is taken whole, and `netvet fix`
/// then refuses the edit: it never rewrites a continued line.
pub(crate) fn remove_line(sources: &SourceMap, at: Location) -> Edit {
    let text = &sources.get(at.file).text;
    let start = at.span.start as usize;
    // The logical line starts after the last line break that no `\` continues.
    let mut line_start = text[..start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    while line_start > 0 && text[..line_start - 1].ends_with('\\') {
        line_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    let mut end = at.span.end as usize;
    loop {
        match text[end.min(text.len())..].find('\n') {
            Some(i) => {
                let newline = end + i;
                end = newline + 1;
                if !text[..newline].ends_with('\\') {
                    break;
                }
            }
            None => {
                end = text.len();
                break;
            }
        }
    }
    Edit::replace(
        Location {
            file: at.file,
            span: Span::new(line_start, end),
        },
        "",
    )
}

/// Add `name value` as the stanza's last option, with the indentation of its other options and
/// the stanza's spelling of `bond-` options (`bond_miimon` where it writes `bond_mode`). `name`
/// is given with dashes.
pub(crate) fn add_option(
    sources: &SourceMap,
    stanza: StanzaRef<'_>,
    name: &str,
    value: &str,
) -> Edit {
    let text = &sources.get(stanza.file).text;
    let options = &stanza.stanza.options;
    let underscores = name.starts_with("bond-")
        && options.iter().any(|o| o.name.text.starts_with("bond_"))
        && !options.iter().any(|o| o.name.text.starts_with("bond-"));
    let name = if underscores {
        name.replace('-', "_")
    } else {
        name.to_string()
    };
    let (anchor, indent) = match options.iter().max_by_key(|o| o.span.end) {
        Some(last) => {
            let start = last.span.start as usize;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let indent: String = text[line_start..start]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            (last.span.end as usize, indent)
        }
        None => (stanza.stanza.header.end as usize, "    ".to_string()),
    };
    let (at, line) = match text[anchor.min(text.len())..].find('\n') {
        Some(i) => (anchor + i + 1, format!("{indent}{name} {value}\n")),
        None => (text.len(), format!("\n{indent}{name} {value}")),
    };
    Edit::replace(
        Location {
            file: stanza.file,
            span: Span::new(at, at),
        },
        line,
    )
}

/// Whether `at` lies in one of the interface's own stanzas: an option it inherits
/// (`inherits TEMPLATE`) lies in the template, which other stanzas read too.
pub(crate) fn in_own_stanza(iface: &Interface<'_>, at: Location) -> bool {
    iface.stanzas.iter().any(|s| {
        s.file == at.file
            && s.stanza.span.start <= at.span.start
            && at.span.end <= s.stanza.span.end
    })
}

/// The stanza ifenslave sets the bond up from: the one with `bond-slaves` or `bond-mode`, else
/// the first.
pub(crate) fn bond_stanza<'h>(iface: &Interface<'h>) -> Option<StanzaRef<'h>> {
    iface
        .stanzas
        .iter()
        .find(|s| {
            s.stanza.options.iter().any(|o| {
                matches!(
                    crate::model::normalize_option(&o.name.text).as_str(),
                    "bond-slaves" | "slaves" | "bond-mode"
                )
            })
        })
        .or_else(|| iface.stanzas.first())
        .copied()
}

/// The interface's own option whose line is `at` (an `mtu` line the MTU replay points at).
pub(crate) fn own_option_at<'h>(
    iface: &Interface<'h>,
    at: Location,
) -> Option<crate::model::OptRef<'h>> {
    iface.stanzas.iter().find_map(|s| {
        (s.file == at.file)
            .then(|| s.stanza.options.iter().find(|o| o.span == at.span))
            .flatten()
            .map(|opt| crate::model::OptRef { stanza: *s, opt })
    })
}

/// A fix of one or more edits; `None` when there is none to make.
pub(crate) fn fix(
    title: String,
    applicability: crate::diagnostic::Applicability,
    edits: Option<Vec<Edit>>,
) -> Option<crate::diagnostic::Fix> {
    edits
        .filter(|e| !e.is_empty())
        .map(|edits| crate::diagnostic::Fix {
            title,
            applicability,
            edits,
            creates: Vec::new(),
        })
}

/// A new line beside the line holding `at` (before or after it), with that line's indentation.
pub(crate) fn insert_line(sources: &SourceMap, at: Location, before: bool, line: &str) -> Edit {
    let text = &sources.get(at.file).text;
    let start = (at.span.start as usize).min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let (offset, new) = if before {
        (line_start, format!("{indent}{line}\n"))
    } else {
        match text[start..].find('\n') {
            Some(i) => (start + i + 1, format!("{indent}{line}\n")),
            None => (text.len(), format!("\n{indent}{line}")),
        }
    };
    Edit::replace(
        Location {
            file: at.file,
            span: Span::new(offset, offset),
        },
        new,
    )
}

/// Replace the whole logical line that holds `at` with `line`, keeping its indentation.
pub(crate) fn replace_line(sources: &SourceMap, at: Location, line: &str) -> Edit {
    let removed = remove_line(sources, at);
    let text = &sources.get(at.file).text;
    let indent: String = text[removed.location.span.range()]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let ends_line = text[removed.location.span.range()].ends_with('\n');
    Edit::replace(
        removed.location,
        format!("{indent}{line}{}", if ends_line { "\n" } else { "" }),
    )
}
