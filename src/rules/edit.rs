//! The edits fixes are made of, built on the parsed files' byte spans so that everything
//! around them (comments, blank lines, indentation, the `bond-`/`bond_` spelling a stanza
//! uses) stays as it is.

use crate::diagnostic::Edit;
use crate::model::{Interface, StanzaRef};
use crate::source::{Location, SourceMap, Span};

/// Where the line holding byte `offset` starts.
fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// The spaces and tabs a line starts with.
fn indentation(text: &str, line_start: usize) -> &str {
    let rest = &text[line_start..];
    &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()]
}

/// A new line `indent` + `line` after the line holding byte `offset` (at the end of a file
/// without a final line break, a line break first).
fn new_line_after(
    file: crate::source::FileId,
    text: &str,
    offset: usize,
    indent: &str,
    line: &str,
) -> Edit {
    let offset = offset.min(text.len());
    let (at, new) = match text[offset..].find('\n') {
        Some(i) => (offset + i + 1, format!("{indent}{line}\n")),
        None => (text.len(), format!("\n{indent}{line}")),
    };
    Edit::replace(
        Location {
            file,
            span: Span::new(at, at),
        },
        new,
    )
}

/// Remove the whole line that holds `at`, its indentation and line break included. A value
/// continued over several lines (`\` at the end of a line) is taken whole, and `netvet fix`
/// then refuses the edit: it never rewrites a continued line.
pub(crate) fn remove_line(sources: &SourceMap, at: Location) -> Edit {
    let text = &sources.get(at.file).text;
    // The logical line starts after the last line break that no `\` continues.
    let mut first = line_start(text, at.span.start as usize);
    while first > 0 && text[..first - 1].ends_with('\\') {
        first = line_start(text, first - 1);
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
            span: Span::new(first, end),
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
        Some(last) => (
            last.span.end as usize,
            indentation(text, line_start(text, last.span.start as usize)),
        ),
        None => (stanza.stanza.header.end as usize, "    "),
    };
    new_line_after(
        stanza.file,
        text,
        anchor,
        indent,
        &format!("{name} {value}"),
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
    let first = line_start(text, at.span.start as usize);
    let indent = indentation(text, first);
    if !before {
        return new_line_after(at.file, text, at.span.start as usize, indent, line);
    }
    Edit::replace(
        Location {
            file: at.file,
            span: Span::new(first, first),
        },
        format!("{indent}{line}\n"),
    )
}

/// Replace the whole logical line that holds `at` with `line`, keeping its indentation.
pub(crate) fn replace_line(sources: &SourceMap, at: Location, line: &str) -> Edit {
    let removed = remove_line(sources, at);
    let text = &sources.get(at.file).text;
    let indent = indentation(text, removed.location.span.start as usize);
    let ends_line = text[removed.location.span.range()].ends_with('\n');
    Edit::replace(
        removed.location,
        format!("{indent}{line}{}", if ends_line { "\n" } else { "" }),
    )
}
