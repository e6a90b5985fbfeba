//! The rules engine: the code table, one module per rule family, and the driver that runs them
//! and applies `--select`, `--ignore` and inline suppressions.
//!
//! Architecture invariant: rules never do I/O. They read the [`Model`] (and the parsed files it
//! borrows) and push [`Diagnostic`]s.

mod bond;
mod edit;
mod ipv6;
mod live;
mod methods;
mod modprobe;
mod mtu;
pub mod policy;
pub use crate::diagnostic::registry;
mod syntax;
mod vlan;

use std::collections::HashMap;

use crate::diagnostic::registry as rule;
use crate::diagnostic::{Diagnostic, Severity, Suppression};
use crate::limits::MAX_FINDINGS_PER_FILE;
use crate::live::LiveState;
use crate::load::Host;
use crate::model::Model;
use crate::source::{FileId, Location, Span};
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
            .filter(|p| !names_a_rule(p))
            .map(String::as_str)
            .collect()
    }
}

/// Whether a pattern (a code, a code prefix or a name, in any case) names at least one rule.
pub fn names_a_rule(pattern: &str) -> bool {
    let upper = pattern.to_ascii_uppercase();
    registry::RULES
        .iter()
        .any(|r| r.code.starts_with(&upper) || r.name.eq_ignore_ascii_case(pattern))
}

/// Rules to leave out for the files whose host path matches a glob (`netvet.toml`'s
/// `per-path-ignores`).
#[derive(Clone, Debug)]
pub struct PathIgnore {
    /// Matched against the host path without its leading `/` (`etc/network/interfaces.d/x`).
    pub glob: glob::Pattern,
    /// Codes, code prefixes or names, as `--ignore` takes them.
    pub rules: Vec<String>,
}

/// The options `*` and `?` match with in a per-path glob: never across a `/`, so that
/// `etc/network/*` means the files of that directory, as a shell would.
const PATH_MATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// Everything a check runs with besides the host: which rules, at which severity, and the
/// site's policy. Built by `settings` from `netvet.toml` and the command line; the default is
/// every rule at its own severity and no policy.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub selection: Selection,
    /// Severities set per rule, by code; each is one its rule lists in the registry.
    pub severity: Vec<(&'static str, Severity)>,
    pub path_ignores: Vec<PathIgnore>,
    pub policy: policy::Policy,
}

impl Config {
    /// Whether a per-path ignore leaves `code` out in the file at `host_path`.
    fn ignored_at(&self, host_path: &str, code: &str) -> bool {
        let path = host_path.trim_start_matches('/');
        self.path_ignores
            .iter()
            .any(|i| Selection::matches(&i.rules, code) && i.glob.matches_with(path, PATH_MATCH))
    }

    fn severity_of(&self, code: &str) -> Option<Severity> {
        self.severity
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, s)| *s)
    }
}

/// What the rules see.
pub struct Context<'a, 'h> {
    pub host: &'h Host,
    pub model: &'a Model<'h>,
    pub policy: &'a policy::Policy,
}

/// Run every enabled rule over a loaded host, and the live rules when the running state is
/// given. Findings come back sorted by file and position, suppressed ones marked, at most
/// [`MAX_FINDINGS_PER_FILE`] for one file (and as many suppressed ones) with one NV009 for
/// the rest.
pub fn check(host: &Host, live: Option<&LiveState>, config: &Config) -> Vec<Diagnostic> {
    let model = Model::build(host);
    let ctx = Context {
        host,
        model: &model,
        policy: &config.policy,
    };
    let mut out = Findings::new(host, config);
    syntax::check(&ctx, &mut out);
    methods::check(&ctx, &mut out);
    bond::check(&ctx, &mut out);
    modprobe::check(&ctx, &mut out);
    mtu::check(&ctx, &mut out);
    vlan::check(&ctx, &mut out);
    ipv6::check(&ctx, &mut out);
    ipv6::check_listeners(&ctx, live, &mut out);
    policy::check(&ctx, &mut out);
    if let Some(live) = live {
        live::check(&ctx, live, &mut out);
        ipv6::check_live(&ctx, live, &mut out);
    }

    let mut out =
        out.finish(|code| config.selection.enabled(code) && (live.is_some() || !needs_live(code)));
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

/// The rules another rule stands back for when they fire ([`Findings::fired`]): only theirs
/// are remembered, not a million others'.
const STOOD_BACK_FOR: &[&str] = &["NV116"];

/// What one file's findings past [`MAX_FINDINGS_PER_FILE`] were.
#[derive(Default)]
struct Dropped {
    /// Not suppressed, by code.
    by_code: std::collections::BTreeMap<&'static str, usize>,
    /// The worst severity among them.
    worst: Option<Severity>,
    /// Suppressed ones.
    suppressed: usize,
}

/// Where the rules put their findings. It keeps the findings of enabled rules (less those a
/// per-path ignore leaves out), gives them the severity the settings set for their rule, marks
/// those a `netvet: ignore` comment silences, and keeps at most [`MAX_FINDINGS_PER_FILE`] of one file
/// (and as many suppressed ones), counting the rest, so that a hostile file of millions of
/// findings takes neither the memory nor the time to hold and sort them all.
pub(crate) struct Findings<'s> {
    config: &'s Config,
    /// The files the findings point into, for rules that build a fix's edits.
    sources: &'s crate::source::SourceMap,
    suppressions: Suppressions,
    kept: Vec<Diagnostic>,
    /// Findings kept per file, suppressed or not.
    counts: HashMap<(FileId, bool), usize>,
    dropped: std::collections::BTreeMap<FileId, Dropped>,
    /// Each rule and interface a finding was pushed for, enabled or not, kept or not.
    fired: std::collections::HashSet<(&'static str, String)>,
}

impl<'s> Findings<'s> {
    fn new(host: &'s Host, config: &'s Config) -> Self {
        Findings {
            config,
            sources: &host.sources,
            suppressions: Suppressions::new(host),
            kept: Vec::new(),
            counts: HashMap::new(),
            dropped: Default::default(),
            fired: Default::default(),
        }
    }

    /// Whether a rule found something about an interface, whether or not it is reported: a
    /// rule may stand back for another that covers the case.
    pub(crate) fn fired(&self, code: &'static str, interface: &str) -> bool {
        debug_assert!(STOOD_BACK_FOR.contains(&code), "{code} is not remembered");
        self.fired.contains(&(code, interface.to_string()))
    }

    /// The files read, for building a fix's edits.
    pub(crate) fn sources(&self) -> &'s crate::source::SourceMap {
        self.sources
    }

    pub(crate) fn push(&mut self, mut d: Diagnostic) {
        if let Some(interface) = &d.interface
            && STOOD_BACK_FOR.contains(&d.code)
        {
            self.fired.insert((d.code, interface.clone()));
        }
        if !self.config.selection.enabled(d.code) {
            return;
        }
        // Marked before a per-path ignore drops it (in `keep`), so that a comment silencing
        // the same finding is not reported as silencing nothing (NV008).
        self.suppressions.mark(&mut d);
        self.keep(d);
    }

    fn keep(&mut self, mut d: Diagnostic) {
        let file = d.location.map(|l| l.file).or(d.file);
        if let Some(file) = file
            && !self.config.path_ignores.is_empty()
            && self
                .config
                .ignored_at(&self.sources.get(file).display, d.code)
        {
            return;
        }
        if let Some(severity) = self.config.severity_of(d.code) {
            d.severity = severity;
        }
        let Some(file) = file else {
            self.kept.push(d);
            return;
        };
        let kept = self
            .counts
            .entry((file, d.suppressed.is_some()))
            .or_default();
        if *kept < MAX_FINDINGS_PER_FILE {
            *kept += 1;
            self.kept.push(d);
            return;
        }
        let dropped = self.dropped.entry(file).or_default();
        if d.suppressed.is_some() {
            dropped.suppressed += 1;
        } else {
            *dropped.by_code.entry(d.code).or_default() += 1;
            dropped.worst = dropped.worst.max(Some(d.severity));
        }
    }

    /// The findings kept, the comments that cannot do what they say (NV008), and one NV009 for
    /// each file whose findings were cut. `judged` tells whether a rule ran.
    fn finish(mut self, judged: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
        for problem in self.suppressions.problems(judged) {
            if self.config.selection.enabled(problem.code) {
                self.keep(problem);
            }
        }
        let mut out = self.kept;
        out.extend(
            self.dropped
                .into_iter()
                .map(|(file, d)| truncated(file, &d)),
        );
        out
    }
}

impl Extend<Diagnostic> for Findings<'_> {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        for d in iter {
            self.push(d);
        }
    }
}

/// NV009: one file's findings were cut at [`MAX_FINDINGS_PER_FILE`]. It takes the severity of
/// the worst finding dropped, so that cutting never changes the exit status, and it is reported
/// whatever `--select` and `--ignore` say: they chose which findings were counted.
fn truncated(file: FileId, dropped: &Dropped) -> Diagnostic {
    use crate::limits::thousands;
    let count: usize = dropped.by_code.values().sum();
    let limit = thousands(MAX_FINDINGS_PER_FILE as u64);
    let plural = |n: usize, one: &str, many: &str| {
        format!(
            "{} {}",
            thousands(n as u64),
            if n == 1 { one } else { many }
        )
    };
    let mut parts: Vec<String> = Vec::new();
    if count > 0 {
        parts.push(plural(count, "more finding", "more findings"));
    }
    if dropped.suppressed > 0 {
        parts.push(plural(
            dropped.suppressed,
            "more suppressed finding",
            "more suppressed findings",
        ));
    }
    let mut by_code: Vec<(&&str, &usize)> = dropped.by_code.iter().collect();
    by_code.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut d = Diagnostic::new(
        rule::NV009,
        format!(
            "{} of this file not reported: netvet reports at most {limit} findings of one file",
            parts.join(" and ")
        ),
    )
    .in_file(file)
    .severity(dropped.worst.unwrap_or(Severity::Info));
    if let Some((code, _)) = by_code.first() {
        d = d
            .note(format!(
                "not reported: {}",
                by_code
                    .iter()
                    .map(|(code, n)| format!("{code} ({})", thousands(**n as u64)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .help(format!(
                "fix the findings shown and check again, or see one rule's findings at a time \
                 with `--select {code}` (past {limit} of this file they are cut again)"
            ));
    } else {
        d = d.help(
            "the suppressed findings not reported are silenced by the same comments as those shown",
        );
    }
    d
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

/// The `netvet: ignore` comments of a host, which findings they silence, and which comments
/// silenced something.
struct Suppressions {
    files: Vec<(FileId, Vec<SuppressionComment>)>,
    /// Where each file is in `files`.
    index: HashMap<FileId, usize>,
    /// Each comment's codes as rule codes (a name resolves to its code).
    resolved: Vec<Vec<Vec<Option<&'static str>>>>,
    /// For each file, each rule's coverage by the comments that name it.
    coverage: Vec<HashMap<&'static str, Coverage>>,
    used: Vec<Vec<bool>>,
}

/// Which comment silences a rule's finding at each position of one file: the first comment,
/// in file order, whose cover holds it. The answer only changes where a cover starts or ends,
/// so it is kept per stretch between those boundaries and found by binary search: a file of
/// 100,000 comments and 100,000 findings took 18 s when each finding tried every comment.
struct Coverage {
    /// Where the answer changes, ascending.
    bounds: Vec<u64>,
    /// The comment from `bounds[i]` up to `bounds[i + 1]`.
    comment: Vec<Option<usize>>,
}

impl Coverage {
    /// From `(comment index, what it covers)`; a cover's end is inclusive.
    fn new(covers: &[(usize, Span)]) -> Self {
        // (position, comment, starts): the comment covers from its start until its end + 1.
        let mut events: Vec<(u64, usize, bool)> = covers
            .iter()
            .flat_map(|&(i, span)| {
                [
                    (u64::from(span.start), i, true),
                    (u64::from(span.end) + 1, i, false),
                ]
            })
            .collect();
        events.sort_unstable();
        let mut active = std::collections::BTreeSet::new();
        let mut bounds = Vec::new();
        let mut comment = Vec::new();
        let mut at = 0;
        while at < events.len() {
            let position = events[at].0;
            while at < events.len() && events[at].0 == position {
                let (_, i, starts) = events[at];
                if starts {
                    active.insert(i);
                } else {
                    active.remove(&i);
                }
                at += 1;
            }
            bounds.push(position);
            comment.push(active.first().copied());
        }
        Coverage { bounds, comment }
    }

    fn at(&self, position: u32) -> Option<usize> {
        let after = self.bounds.partition_point(|&b| b <= u64::from(position));
        after.checked_sub(1).and_then(|i| self.comment[i])
    }
}

impl Suppressions {
    fn new(host: &Host) -> Self {
        let files = suppression_comments(host);
        let resolved = files
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
        let used = files.iter().map(|(_, c)| vec![false; c.len()]).collect();
        let index = files
            .iter()
            .enumerate()
            .map(|(f, (id, _))| (*id, f))
            .collect();
        let coverage = files
            .iter()
            .zip(&resolved)
            .map(
                |((_, comments), codes): (_, &Vec<Vec<Option<&'static str>>>)| {
                    let mut by_code: HashMap<&'static str, Vec<(usize, Span)>> = HashMap::new();
                    for (i, (comment, codes)) in comments.iter().zip(codes).enumerate() {
                        for code in codes.iter().flatten() {
                            by_code.entry(code).or_default().push((i, comment.covers));
                        }
                    }
                    by_code
                        .into_iter()
                        .map(|(code, covers)| (code, Coverage::new(&covers)))
                        .collect()
                },
            )
            .collect();
        Suppressions {
            files,
            index,
            resolved,
            coverage,
            used,
        }
    }

    /// Mark a finding that a suppression comment covers.
    fn mark(&mut self, d: &mut Diagnostic) {
        let Some(loc) = d.location else { return };
        let Some(&f) = self.index.get(&loc.file) else {
            return;
        };
        let hit = self.coverage[f]
            .get(d.code)
            .and_then(|coverage| coverage.at(loc.span.start));
        if let Some(i) = hit {
            let s = &self.files[f].1[i];
            self.used[f][i] = true;
            d.suppressed = Some(Suppression {
                location: Location {
                    file: loc.file,
                    span: s.span,
                },
                reason: s.reason.clone(),
            });
        }
    }

    /// The comments that cannot do what they say (NV008): a code no rule has, no reason, or
    /// nothing to silence. `judged` tells whether a rule ran, so that a comment for a rule that
    /// did not run (deselected, or live-only without a live state) is never called unused.
    fn problems(&self, judged: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
        let files = &self.files;
        let resolved = &self.resolved;
        let used = &self.used;
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
                        .help(
                            "`netvet rules` lists every code and name; fix the typo or delete it",
                        ),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Root, Target, load, test_tree};

    fn auto_lines(n: usize) -> String {
        (0..n).map(|i| format!("auto dummy{i}\n")).collect()
    }

    /// Past the bound a file's findings are counted, not kept, and one NV009 stands for them
    /// with the worst severity it dropped, so the exit status does not change.
    #[test]
    fn findings_past_the_bound_are_counted_in_one_nv009() {
        let n = MAX_FINDINGS_PER_FILE + 500;
        let dir = test_tree(&[("etc/network/interfaces", &auto_lines(n))]);
        let host = load(&Target::Root(Root::new(dir.path())));
        let config = Config {
            selection: Selection {
                select: vec!["NV005".into()],
                ignore: Vec::new(),
            },
            ..Config::default()
        };
        let found = check(&host, None, &config);
        let nv005 = found.iter().filter(|d| d.code == "NV005").count();
        assert_eq!(nv005, MAX_FINDINGS_PER_FILE);
        let cut: Vec<_> = found.iter().filter(|d| d.code == "NV009").collect();
        assert_eq!(cut.len(), 1, "reported although --select names NV005 only");
        assert_eq!(cut[0].severity, Severity::Error);
        assert!(
            cut[0].message.starts_with("500 more findings"),
            "{}",
            cut[0].message
        );
        assert!(cut[0].file.is_some());
        assert_eq!(cut[0].notes, ["not reported: NV005 (500)"]);
    }

    /// Suppressed findings are bounded on their own; cutting them neither fails the run nor
    /// makes their comment look unused (NV008).
    #[test]
    fn suppressed_findings_past_the_bound_are_counted_and_do_not_fail() {
        let n = MAX_FINDINGS_PER_FILE + 7;
        let text = format!(
            "# netvet: ignore-file NV005 -- generated\n{}",
            auto_lines(n)
        );
        let dir = test_tree(&[("etc/network/interfaces", &text)]);
        let host = load(&Target::Root(Root::new(dir.path())));
        let found = check(&host, None, &Config::default());
        let suppressed = found.iter().filter(|d| d.suppressed.is_some()).count();
        assert_eq!(suppressed, MAX_FINDINGS_PER_FILE);
        assert!(!found.iter().any(|d| d.code == "NV008"), "{found:?}");
        let cut: Vec<_> = found.iter().filter(|d| d.code == "NV009").collect();
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].severity, Severity::Info);
        assert!(cut[0].message.starts_with("7 more suppressed findings"));
    }

    /// The coverage index answers as trying every comment in order did: the first comment
    /// whose cover holds the position.
    #[test]
    fn coverage_finds_the_first_comment_covering_a_position() {
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..50 {
            let covers: Vec<(usize, Span)> = (0..20)
                .map(|i| {
                    let start = next(200) as usize;
                    (i, Span::new(start, start + next(60) as usize))
                })
                .collect();
            let coverage = Coverage::new(&covers);
            for p in 0..300u32 {
                let naive = covers
                    .iter()
                    .find(|(_, c)| c.start <= p && p <= c.end)
                    .map(|(i, _)| *i);
                assert_eq!(coverage.at(p), naive, "at {p} of {covers:?}");
            }
        }
    }
}
