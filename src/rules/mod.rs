//! The rules engine: the code table, one module per rule family, and the driver that runs them
//! and applies `--select`, `--ignore` and inline suppressions.
//!
//! Architecture invariant: rules never do I/O. They read the [`Model`] (and the parsed files it
//! borrows) and push [`Diagnostic`]s.

mod bond;
mod ipv6;
mod live;
mod methods;
mod modprobe;
mod mtu;
pub use crate::diagnostic::registry;
mod syntax;
mod vlan;

use crate::diagnostic::registry as rule;
use crate::diagnostic::{Diagnostic, Suppression};
use crate::live::LiveState;
use crate::load::Host;
use crate::model::Model;
use crate::source::{FileId, Location};
use crate::syntax::suppression::{self, SuppressionComment};

/// Which rules run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Codes or prefixes (`NV1`, `NV10`, `NV101`) to run; empty means all.
    pub select: Vec<String>,
    /// Codes or prefixes to skip.
    pub ignore: Vec<String>,
}

impl Selection {
    /// A pattern is a code prefix (`NV1`, `nv101`) or a rule name, in any case.
    fn matches(patterns: &[String], code: &str) -> bool {
        patterns.iter().any(|p| {
            code.starts_with(&p.to_ascii_uppercase())
                || registry::lookup(p).is_some_and(|r| r.code == code)
        })
    }

    pub fn enabled(&self, code: &str) -> bool {
        (self.select.is_empty() || Self::matches(&self.select, code))
            && !Self::matches(&self.ignore, code)
    }

    /// Patterns that name no rule: a typo in `--select NV1O1` must not silently select nothing.
    pub fn unknown_patterns(&self) -> Vec<&str> {
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|p| {
                let upper = p.to_ascii_uppercase();
                !registry::RULES
                    .iter()
                    .any(|r| r.code.starts_with(&upper) || r.name.eq_ignore_ascii_case(p))
            })
            .map(String::as_str)
            .collect()
    }
}

/// What the rules see.
pub struct Context<'a, 'h> {
    pub host: &'h Host,
    pub model: &'a Model<'h>,
}

/// Run every enabled rule over a loaded host, and the live rules when the running state is
/// given. Findings come back sorted by file and position, suppressed ones marked.
pub fn check(host: &Host, live: Option<&LiveState>, selection: &Selection) -> Vec<Diagnostic> {
    let model = Model::build(host);
    let ctx = Context {
        host,
        model: &model,
    };
    let mut out = Vec::new();
    syntax::check(&ctx, &mut out);
    methods::check(&ctx, &mut out);
    bond::check(&ctx, &mut out);
    modprobe::check(&ctx, &mut out);
    mtu::check(&ctx, &mut out);
    vlan::check(&ctx, &mut out);
    ipv6::check(&ctx, &mut out);
    ipv6::check_listeners(&ctx, live, &mut out);
    if let Some(live) = live {
        live::check(&ctx, live, &mut out);
        ipv6::check_live(&ctx, live, &mut out);
    }

    out.retain(|d| selection.enabled(d.code));
    let problems = apply_suppressions(host, &mut out, |code| {
        selection.enabled(code) && (live.is_some() || !needs_live(code))
    });
    if selection.enabled("NV008") {
        out.extend(problems);
    }
    // Syntax errors first: what a file fails to say explains the findings that follow from it.
    out.sort_by(|a, b| {
        (a.code != "NV001", a.location, a.code, &a.message).cmp(&(
            b.code != "NV001",
            b.location,
            b.code,
            &b.message,
        ))
    });
    out.dedup();
    out
}

/// Rules that judge the running state: they run only with `--live` or `--live-snapshot`.
fn needs_live(code: &str) -> bool {
    code.starts_with("NV5") || code == "NV403" || code == "NV405"
}

/// Every `netvet: ignore` comment of a host, by file: interfaces files as their parser
/// resolved them (a comment above a stanza covers the stanza), every other file line by line.
fn suppression_comments(host: &Host) -> Vec<(FileId, Vec<SuppressionComment>)> {
    host.sources
        .iter()
        .map(|(id, file)| {
            let comments = match host.interfaces.iter().find(|(f, _)| *f == id) {
                Some((_, parsed)) => parsed.suppressions.clone(),
                None => suppression::scan(&file.text),
            };
            (id, comments)
        })
        .filter(|(_, comments)| !comments.is_empty())
        .collect()
}

/// Mark the findings that a suppression comment covers, and report the comments themselves
/// when they cannot do what they say (NV008): a code no rule has, no reason, or nothing to
/// silence. `judged` tells whether a rule ran, so that a comment for a rule that did not run
/// (deselected, or live-only without a live state) is never called unused.
fn apply_suppressions(
    host: &Host,
    diagnostics: &mut [Diagnostic],
    judged: impl Fn(&str) -> bool,
) -> Vec<Diagnostic> {
    let files = suppression_comments(host);
    if files.is_empty() {
        return Vec::new();
    }
    // Codes as rule codes (a name resolves to its code).
    let resolved: Vec<Vec<Vec<Option<&'static str>>>> = files
        .iter()
        .map(|(_, comments)| {
            comments
                .iter()
                .map(|c| {
                    c.codes
                        .iter()
                        .map(|code| registry::lookup(code).map(|r| r.code))
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut used: Vec<Vec<bool>> = files.iter().map(|(_, c)| vec![false; c.len()]).collect();
    for d in diagnostics.iter_mut() {
        let Some(loc) = d.location else { continue };
        let Some(f) = files.iter().position(|(id, _)| *id == loc.file) else {
            continue;
        };
        let hit = files[f].1.iter().enumerate().find(|(i, s)| {
            s.covers.start <= loc.span.start
                && loc.span.start <= s.covers.end
                && resolved[f][*i].contains(&Some(d.code))
        });
        if let Some((i, s)) = hit {
            used[f][i] = true;
            d.suppressed = Some(Suppression {
                location: Location {
                    file: loc.file,
                    span: s.span,
                },
                reason: s.reason.clone(),
            });
        }
    }

    let mut problems = Vec::new();
    for (f, (file, comments)) in files.iter().enumerate() {
        for (i, comment) in comments.iter().enumerate() {
            let at = Location {
                file: *file,
                span: comment.span,
            };
            let codes = &resolved[f][i];
            let unknown: Vec<&str> = comment
                .codes
                .iter()
                .zip(codes)
                .filter(|(_, r)| r.is_none())
                .map(|(c, _)| c.as_str())
                .collect();
            if comment.codes.is_empty() {
                problems.push(
                    Diagnostic::new(rule::NV008, "this `netvet: ignore` comment names no rule")
                        .at(at)
                        .help("name the rules it silences: `# netvet: ignore NV110 -- why`"),
                );
                continue;
            }
            if !unknown.is_empty() {
                problems.push(
                    Diagnostic::new(
                        rule::NV008,
                        format!(
                            "`netvet: ignore` names {} no rule has",
                            unknown
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .at(at)
                    .help("`netvet rules` lists every code and name; fix the typo or delete it"),
                );
            }
            if comment.reason.is_none() {
                problems.push(
                    Diagnostic::new(rule::NV008, "this `netvet: ignore` comment gives no reason")
                        .at(at)
                        .help(format!(
                            "say why after `--`: `# netvet: ignore {} -- the switch only speaks slow LACP`; the reason is shown with every finding it silences",
                            comment.codes.join(" ")
                        )),
                );
            }
            let all_judged = codes.iter().all(|c| c.is_some_and(&judged));
            if !used[f][i] && all_judged {
                let what = if comment.covers.start == comment.covers.end {
                    "it covers no line (nothing follows it)"
                } else {
                    "no finding of those rules is there"
                };
                problems.push(
                    Diagnostic::new(
                        rule::NV008,
                        format!(
                            "`netvet: ignore {}` silences nothing: {what}",
                            comment.codes.join(" ")
                        ),
                    )
                    .at(at)
                    .help("delete the comment, or move it above the line it was meant for"),
                );
            }
        }
    }
    problems
}
