//! `# netvet: ignore CODES -- reason` comments, in every file type netvet reads.
//!
//! The directive is the same everywhere: `netvet: ignore` covers the next line that is not blank
//! or a comment, `netvet: ignore-file` the whole file. Codes are rule codes or names, separated
//! by spaces or commas; the reason after `--` is kept with every finding it silences. In an
//! interfaces file a comment above an `iface` or `mapping` line covers the whole stanza (the
//! interfaces parser resolves that); elsewhere it covers the one line.

use crate::source::Span;

/// `# netvet: ignore NV110 NV111 -- reason` or `# netvet: ignore-file NV110 -- reason`.
#[derive(Debug, Clone)]
pub struct SuppressionComment {
    /// As written (upper-cased codes, or rule names).
    pub codes: Vec<String>,
    pub reason: Option<String>,
    /// The comment itself.
    pub span: Span,
    /// What it silences: the next line (the whole stanza in an interfaces file when that line
    /// opens one), or the file.
    pub covers: Span,
}

/// What a comment says, if it is a netvet directive.
#[derive(Debug)]
pub struct Directive {
    pub codes: Vec<String>,
    pub reason: Option<String>,
    pub whole_file: bool,
}

/// Recognise `netvet: ignore CODES [-- reason]` or `netvet: ignore-file ...` in a comment (the
/// comment's text from its `#` or `;`).
pub fn parse_directive(comment: &str) -> Option<Directive> {
    let body = comment.trim_start_matches(['#', ';']).trim();
    let directive = body.strip_prefix("netvet:")?.trim_start();
    let (whole_file, rest) = if let Some(rest) = directive.strip_prefix("ignore-file") {
        (true, rest)
    } else {
        (false, directive.strip_prefix("ignore")?)
    };
    let (codes, reason) = match rest.split_once("--") {
        Some((codes, reason)) => (codes, Some(reason.trim().to_string())),
        None => (rest, None),
    };
    let codes = codes
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(|c| {
            // Bytes, not `c[..2]`: a code may start with a multi-byte character.
            if c.len() > 2 && c.as_bytes()[..2].eq_ignore_ascii_case(b"nv") {
                c.to_ascii_uppercase()
            } else {
                c.to_string()
            }
        })
        .collect();
    Some(Directive {
        codes,
        reason: reason.filter(|r| !r.is_empty()),
        whole_file,
    })
}

/// The directives of a line-oriented file (modprobe.d, sysctl.d, sshd_config, Apache, nginx):
/// comment lines start with `#` (or `;` in sysctl.d); each `ignore` covers the next line that
/// is not blank or a comment.
pub fn scan(text: &str) -> Vec<SuppressionComment> {
    let mut out: Vec<SuppressionComment> = Vec::new();
    // Directives still waiting for the line they cover, as indexes into `out`.
    let mut waiting: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let lead = content.len() - trimmed.len();
        let span = Span::new(start + lead, start + content.len());
        if trimmed.starts_with(['#', ';']) {
            if let Some(d) = parse_directive(trimmed) {
                if !d.whole_file {
                    waiting.push(out.len());
                }
                out.push(SuppressionComment {
                    codes: d.codes,
                    reason: d.reason,
                    span,
                    covers: if d.whole_file {
                        Span::new(0, text.len())
                    } else {
                        Span::new(span.end as usize, span.end as usize)
                    },
                });
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        for i in waiting.drain(..) {
            out[i].covers = span;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_next_line_that_is_not_a_comment_or_blank() {
        let text = "# netvet: ignore NV130 -- set by the vendor\n\n# a comment\noptions bonding mode=4\noptions bonding miimon=0\n";
        let s = scan(text);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].codes, ["NV130"]);
        assert_eq!(s[0].reason.as_deref(), Some("set by the vendor"));
        assert_eq!(&text[s[0].covers.range()], "options bonding mode=4");
    }

    #[test]
    fn whole_file_names_and_sysctl_comments() {
        let text = "; netvet: ignore-file nv404, bindv6only-conflict\nnet.ipv6.bindv6only = 1\n";
        let s = scan(text);
        assert_eq!(s[0].codes, ["NV404", "bindv6only-conflict"]);
        assert_eq!(s[0].reason, None);
        assert_eq!(s[0].covers, Span::new(0, text.len()));
    }

    #[test]
    fn a_directive_at_the_end_covers_nothing() {
        let s = scan("listen 80;\n# netvet: ignore NV401 -- x\n");
        assert_eq!(s[0].covers.start, s[0].covers.end);
    }

    #[test]
    fn other_comments_are_not_directives() {
        assert!(scan("# netvet is a tool\n# netvet: something else\nx\n").is_empty());
    }
}
