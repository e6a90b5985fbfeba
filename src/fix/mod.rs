//! `netvet fix`: apply the rules' fixes to a host tree, verified before anything is written.
//!
//! The loop is ruff's: check, take every fix that is allowed and does not touch a span another
//! fix of the round already took, apply them in memory, check again, and go on until a round
//! changes nothing (at most [`MAX_FIX_ROUNDS`]). What makes it safe is [`verify`]: a round's new
//! text is loaded and checked like the files on disk (through an [`Overlay`]), and a fix is
//! kept only when the interfaces are the same, its finding is gone, and no finding at warning
//! or above appeared. Nothing here writes: [`write`] does, once, with what the plan verified.

mod overlay;
pub mod write;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::CheckRun;
use crate::diagnostic::{Applicability, Diagnostic, Edit, NewFile, Severity};
use crate::limits::MAX_FIX_ROUNDS;
use crate::live::LiveState;
use crate::load::{HostFs, Root, Target};
use crate::rules::Config;
use crate::source::{FileId, Location, Span};

pub use overlay::Overlay;

/// What to fix.
#[derive(Debug, Default)]
pub struct Options {
    /// The rules, severities and policy the checks run with (`netvet.toml` and the command
    /// line).
    pub config: Config,
    /// Also apply fixes that change what the host does at its next boot.
    pub unsafe_fixes: bool,
    /// The running kernel, for the rules that compare with it.
    pub live: Option<LiveState>,
}

/// A file the fixes change: its text before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The host path, links resolved inside the root (`/etc/network/interfaces`).
    pub host_path: PathBuf,
    /// The path a user can open (`fixtures/demo/etc/network/interfaces`).
    pub shown: String,
    /// Empty for a file the fixes add.
    pub before: String,
    pub after: String,
    /// A file the fixes add (a drop-in), not one they edit.
    pub created: bool,
}

/// One fix, applied or refused, and where its finding was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixReport {
    pub code: &'static str,
    pub interface: Option<String>,
    pub title: String,
    pub applicability: Applicability,
    /// `file:line` of the finding, as the user can open it.
    pub at: String,
    /// Why a fix was not applied; `None` for an applied one.
    pub refused: Option<String>,
}

/// What `fix` would do to a tree.
#[derive(Debug)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub applied: Vec<FixReport>,
    pub refused: Vec<FixReport>,
    /// Fixes there are but the options leave out (unsafe ones without `--unsafe`).
    pub skipped_unsafe: usize,
    /// The check of the fixed text: what remains.
    pub after: CheckRun,
    pub rounds: usize,
}

/// A finding's identity across rounds, where its line may have moved: the rule and the
/// interface (or the file, for a finding about no interface).
type Key = (&'static str, Option<String>);

fn key(d: &Diagnostic) -> Key {
    (d.code, d.interface.clone())
}

/// Work out the fixes for the tree at `root`, verified, without writing.
pub fn plan(root: &Root, options: &Options) -> Plan {
    plan_tree(&(Arc::new(root.clone()) as Tree), options)
}

/// A host tree fixes are planned for: a directory, or any other [`HostFs`] (a bundle in
/// memory, as the fuzzer plans them).
pub type Tree = Arc<dyn HostFs + Send + Sync>;

/// [`plan`] for any tree.
pub fn plan_tree(root: &Tree, options: &Options) -> Plan {
    let mut texts: HashMap<PathBuf, String> = HashMap::new();
    // Each changed file's text before the first fix touched it (`None`: a file a fix adds).
    let mut originals: BTreeMap<PathBuf, (String, Option<String>)> = BTreeMap::new();
    let mut applied = Vec::new();
    let mut refused: Vec<FixReport> = Vec::new();
    let mut given_up: HashSet<(Key, String)> = HashSet::new();
    let mut skipped_unsafe = 0;
    let mut run = check(root, &texts, options);
    let mut rounds = 0;
    while rounds < MAX_FIX_ROUNDS {
        rounds += 1;
        let mut candidates = Vec::new();
        skipped_unsafe = 0;
        for d in run.diagnostics.iter().filter(|d| d.suppressed.is_none()) {
            let Some(fix) = &d.fix else { continue };
            if given_up.contains(&(key(d), fix.title.clone())) {
                continue;
            }
            match fix.applicability {
                Applicability::DisplayOnly => continue,
                Applicability::Unsafe if !options.unsafe_fixes => {
                    skipped_unsafe += 1;
                    continue;
                }
                _ => {}
            }
            if let Err(reason) = editable(root, &texts, &run, fix) {
                given_up.insert((key(d), fix.title.clone()));
                refused.push(report(&run, d, Some(reason)));
                continue;
            }
            candidates.push(d);
        }
        let mut groups = Vec::new();
        let templates = Templates::new(&run);
        for group in group_by_edits(&candidates) {
            match templates.shared_enough(&group) {
                Ok(()) => groups.push(group),
                Err(reason) => {
                    for d in &group.members {
                        given_up.insert((key(d), fix_title(d)));
                        refused.push(report(&run, d, Some(reason.clone())));
                    }
                }
            }
        }
        let accepted = non_overlapping(groups);
        if accepted.is_empty() {
            break;
        }
        // All of the round at once; when that fails, each alone, and then those that passed.
        let mut passing: Vec<&Group> = accepted.iter().collect();
        let mut outcome = attempt(root, &texts, &run, &passing, options);
        if outcome.is_err() && accepted.len() > 1 {
            passing.clear();
            for group in &accepted {
                match attempt(root, &texts, &run, &[group], options) {
                    Ok(_) => passing.push(group),
                    Err(reason) => give_up(&run, group, reason, &mut given_up, &mut refused),
                }
            }
            outcome = match attempt(root, &texts, &run, &passing, options) {
                // Fixes that pass alone and fail together: one at a time, the first now.
                Err(_) if !passing.is_empty() => {
                    passing.truncate(1);
                    attempt(root, &texts, &run, &passing, options)
                }
                other => other,
            };
        }
        match outcome {
            Ok((next_texts, next_run)) => {
                applied.extend(
                    passing
                        .iter()
                        .flat_map(|g| &g.members)
                        .map(|d| report(&run, d, None)),
                );
                remember_originals(root, &run, &next_texts, &mut originals);
                for created in passing.iter().flat_map(|g| g.creates) {
                    let path = std::path::Path::new(&created.path);
                    originals
                        .entry(root.identity(path))
                        .or_insert_with(|| (root.shown(path), None));
                }
                texts = next_texts;
                run = next_run;
            }
            Err(reason) if accepted.len() == 1 => {
                give_up(&run, &accepted[0], reason, &mut given_up, &mut refused);
            }
            Err(_) => break,
        }
    }
    let changes = originals
        .into_iter()
        .filter_map(|(host_path, (shown, before))| {
            let after = texts.get(&host_path)?.clone();
            let created = before.is_none();
            let before = before.unwrap_or_default();
            (created || after != before).then_some(Change {
                host_path,
                shown,
                before,
                after,
                created,
            })
        })
        .collect();
    Plan {
        changes,
        applied,
        refused,
        skipped_unsafe,
        after: run,
        rounds,
    }
}

fn fix_title(d: &Diagnostic) -> String {
    d.fix.as_ref().map(|f| f.title.clone()).unwrap_or_default()
}

/// Check the tree with the files in `texts` replaced.
fn check(root: &Tree, texts: &HashMap<PathBuf, String>, options: &Options) -> CheckRun {
    let target = if texts.is_empty() {
        Target::Tree(root.clone())
    } else {
        Target::Tree(Arc::new(Overlay {
            base: root.clone(),
            files: texts.clone(),
        }))
    };
    CheckRun::new(&target, options.live.as_ref(), &options.config)
}

/// Why the fix cannot be made exactly, if it cannot.
fn editable(
    root: &Tree,
    texts: &HashMap<PathBuf, String>,
    run: &CheckRun,
    fix: &crate::diagnostic::Fix,
) -> Result<(), String> {
    if fix.edits.is_empty() && fix.creates.is_empty() {
        return Err("the fix has no edit".to_string());
    }
    for new in &fix.creates {
        let path = std::path::Path::new(&new.path);
        if !path.is_absolute() {
            return Err(format!("{} is not a host path", new.path));
        }
        if root.exists(path) || texts.contains_key(&root.identity(path)) {
            return Err(format!(
                "{} exists: add the line to it by hand",
                root.shown(path)
            ));
        }
        // Its directory may be missing (a checkout without /etc/modprobe.d), not be a file.
        if path.ancestors().skip(1).any(|dir| root.is_file(dir)) {
            return Err(format!(
                "{} has a file where its directory goes",
                root.shown(path)
            ));
        }
    }
    for edit in &fix.edits {
        let file = run.host.sources.get(edit.location.file);
        if !file.utf8 {
            return Err(format!(
                "{} is not valid UTF-8: netvet edits only files it can write back byte for byte",
                file.shown
            ));
        }
        let range = edit.location.span.range();
        let Some(old) = file.text.get(range.clone()) else {
            return Err(format!("the edit's span is not inside {}", file.shown));
        };
        if old.contains("\\\n") || old.contains("\\\r\n") {
            return Err(format!(
                "the value at {} is continued over several lines with `\\`: edit it by hand",
                describe(run, edit.location.file, edit.location.span.start)
            ));
        }
    }
    Ok(())
}

/// One change to make: its edits, and every finding that asks for exactly these edits (a
/// template's value, asked for by each stanza inheriting it).
#[derive(Debug)]
struct Group<'d> {
    edits: &'d [Edit],
    creates: &'d [NewFile],
    members: Vec<&'d Diagnostic>,
}

fn group_by_edits<'d>(candidates: &[&'d Diagnostic]) -> Vec<Group<'d>> {
    let mut groups: Vec<Group<'d>> = Vec::new();
    let mut index: HashMap<(&[Edit], &[NewFile]), usize> = HashMap::new();
    for d in candidates {
        let fix = d.fix.as_ref().expect("candidates have fixes");
        let change = (fix.edits.as_slice(), fix.creates.as_slice());
        match index.get(&change) {
            Some(&i) => groups[i].members.push(d),
            None => {
                index.insert(change, groups.len());
                groups.push(Group {
                    edits: change.0,
                    creates: change.1,
                    members: vec![d],
                });
            }
        }
    }
    groups
}

/// The interfaces files' stanzas and who inherits from whom, built once per round, so that
/// judging each change's edits is a lookup rather than a walk over every stanza.
struct Templates<'r> {
    /// Each stanza's file, span and name, sorted by file and start.
    stanzas: Vec<(FileId, Span, &'r str)>,
    /// Each stanza name to the names of the stanzas that name it in `inherits`.
    heirs: HashMap<&'r str, Vec<&'r str>>,
}

impl<'r> Templates<'r> {
    fn new(run: &'r CheckRun) -> Self {
        use crate::syntax::interfaces::Item;
        let mut stanzas = Vec::new();
        let mut heirs: HashMap<&str, Vec<&str>> = HashMap::new();
        for (id, file) in &run.host.interfaces {
            for item in &file.items {
                let Item::Iface(s) = item else { continue };
                stanzas.push((*id, s.span, s.name.text.as_str()));
                if let Some(parent) = &s.inherits {
                    heirs
                        .entry(parent.text.as_str())
                        .or_default()
                        .push(s.name.text.as_str());
                }
            }
        }
        stanzas.sort_by_key(|(id, span, _)| (*id, span.start));
        Templates { stanzas, heirs }
    }

    /// The stanza an edit at `at` falls in: its span may take the stanza's last line break, or
    /// insert right after it (the earlier stanza wins where both could hold it).
    fn enclosing(&self, at: Location) -> Option<&'r str> {
        let after = self
            .stanzas
            .partition_point(|(id, span, _)| (*id, span.start) <= (at.file, at.span.start));
        self.stanzas[after.saturating_sub(2)..after]
            .iter()
            .find(|(id, span, _)| *id == at.file && at.span.start <= span.end + 1)
            .map(|(_, _, name)| *name)
    }

    /// Every stanza whose `inherits` chain reaches `template`.
    fn readers(&self, template: &'r str) -> BTreeSet<&'r str> {
        let mut readers = BTreeSet::new();
        let mut pending = vec![template];
        while let Some(name) = pending.pop() {
            for heir in self.heirs.get(name).into_iter().flatten() {
                if readers.insert(*heir) {
                    pending.push(heir);
                }
            }
        }
        readers
    }

    /// An edit inside a template (a stanza others name in `inherits`) changes every stanza that
    /// inherits it: it is made only when each of them asks for it, else the stanzas differ and
    /// the change is the operator's.
    fn shared_enough(&self, group: &Group<'_>) -> Result<(), String> {
        for edit in group.edits {
            let Some(template) = self.enclosing(edit.location) else {
                continue;
            };
            let asking: HashSet<&str> = group
                .members
                .iter()
                .filter_map(|d| d.interface.as_deref())
                .collect();
            let left: Vec<&str> = self
                .readers(template)
                .into_iter()
                .filter(|r| !asking.contains(r))
                .collect();
            if !left.is_empty() {
                return Err(format!(
                    "the value is in {template}, which {} inherit too and which do not need \
                     this change: change it by hand",
                    left.join(", ")
                ));
            }
        }
        Ok(())
    }
}

fn give_up(
    run: &CheckRun,
    group: &Group<'_>,
    reason: String,
    given_up: &mut HashSet<(Key, String)>,
    refused: &mut Vec<FixReport>,
) {
    for d in &group.members {
        given_up.insert((key(d), fix_title(d)));
        refused.push(report(run, d, Some(reason.clone())));
    }
}

/// The changes of a round whose edits touch no span an earlier one took, in file order.
fn non_overlapping(mut groups: Vec<Group<'_>>) -> Vec<Group<'_>> {
    groups.sort_by_key(|g| {
        g.edits
            .first()
            .map(|e| (e.location.file, e.location.span.start))
    });
    let mut taken: HashMap<FileId, Vec<(u32, u32)>> = HashMap::new();
    let mut added: HashSet<&str> = HashSet::new();
    let overlap = |(s1, e1): (u32, u32), (s2, e2): (u32, u32)| {
        (s1 < e2 && s2 < e1)
            || s1 == s2
            || (s1 == e1 && s2 < s1 && s1 < e2)
            || (s2 == e2 && s1 < s2 && s2 < e1)
    };
    let mut out = Vec::new();
    for group in groups {
        let spans: Vec<(FileId, (u32, u32))> = group
            .edits
            .iter()
            .map(|e| {
                (
                    e.location.file,
                    (e.location.span.start, e.location.span.end),
                )
            })
            .collect();
        let clashes = spans.iter().enumerate().any(|(i, (file, span))| {
            taken
                .get(file)
                .is_some_and(|t| t.iter().any(|other| overlap(*span, *other)))
                || spans[i + 1..]
                    .iter()
                    .any(|(f, other)| f == file && overlap(*span, *other))
        });
        if clashes
            || group
                .creates
                .iter()
                .any(|c| added.contains(c.path.as_str()))
        {
            continue;
        }
        for (file, span) in spans {
            taken.entry(file).or_default().push(span);
        }
        added.extend(group.creates.iter().map(|c| c.path.as_str()));
        out.push(group);
    }
    out
}

type Attempt = Result<(HashMap<PathBuf, String>, CheckRun), String>;

/// Apply `groups` to the texts of `run` and check the result; `Err` says why it is refused.
fn attempt(
    root: &Tree,
    texts: &HashMap<PathBuf, String>,
    run: &CheckRun,
    groups: &[&Group<'_>],
    options: &Options,
) -> Attempt {
    if groups.is_empty() {
        return Err("no fix left to apply".to_string());
    }
    let mut by_file: BTreeMap<FileId, Vec<&Edit>> = BTreeMap::new();
    for group in groups {
        for e in group.edits {
            by_file.entry(e.location.file).or_default().push(e);
        }
    }
    let mut next = texts.clone();
    for new in groups.iter().flat_map(|g| g.creates) {
        next.insert(
            root.identity(std::path::Path::new(&new.path)),
            new.text.clone(),
        );
    }
    for (file, mut edits) in by_file {
        let source = run.host.sources.get(file);
        let mut text = source.text.clone();
        edits.sort_by_key(|e| std::cmp::Reverse((e.location.span.start, e.location.span.end)));
        for e in edits {
            text.replace_range(e.location.span.range(), &e.replacement);
        }
        next.insert(root.identity(&source.path), text);
    }
    let after = check(root, &next, options);
    let fixed: Vec<&Diagnostic> = groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .collect();
    verify(run, &after, &fixed)?;
    Ok((next, after))
}

/// Whether `after` is an acceptable result of applying `fixes` to `before`.
fn verify(before: &CheckRun, after: &CheckRun, fixes: &[&Diagnostic]) -> Result<(), String> {
    let (was, now) = (stanza_names(before), stanza_names(after));
    if was != now {
        let lost: Vec<_> = was.difference(&now).cloned().collect();
        let new: Vec<_> = now.difference(&was).cloned().collect();
        return Err(format!(
            "the fixed text would define other interfaces (lost: {}; new: {})",
            list(&lost),
            list(&new)
        ));
    }
    let tally = |run: &CheckRun, min: Severity| {
        let mut counts: HashMap<Key, usize> = HashMap::new();
        for d in run
            .diagnostics
            .iter()
            .filter(|d| d.suppressed.is_none() && d.severity >= min)
        {
            *counts.entry(key(d)).or_default() += 1;
        }
        counts
    };
    let (all_before, all_after) = (tally(before, Severity::Info), tally(after, Severity::Info));
    let mut fixed: HashMap<Key, usize> = HashMap::new();
    for d in fixes {
        *fixed.entry(key(d)).or_default() += 1;
    }
    for (k, n) in &fixed {
        let had = all_before.get(k).copied().unwrap_or(0);
        if all_after.get(k).copied().unwrap_or(0) > had.saturating_sub(*n) {
            return Err(format!(
                "{} would still be reported{} after the fix",
                k.0,
                k.1.as_deref()
                    .map(|i| format!(" for {i}"))
                    .unwrap_or_default()
            ));
        }
    }
    let (serious_before, serious_after) = (
        tally(before, Severity::Warning),
        tally(after, Severity::Warning),
    );
    for (k, n) in &serious_after {
        let allowed = serious_before
            .get(k)
            .copied()
            .unwrap_or(0)
            .saturating_sub(fixed.get(k).copied().unwrap_or(0));
        if *n > allowed {
            let d = after
                .diagnostics
                .iter()
                .find(|d| key(d) == *k)
                .expect("a counted finding");
            return Err(format!(
                "the fix would bring a new finding: {} {}",
                d.code, d.message
            ));
        }
    }
    Ok(())
}

/// The names of the interfaces with an `iface` stanza, as `ifquery --list` would see them.
fn stanza_names(run: &CheckRun) -> std::collections::BTreeSet<String> {
    run.host
        .interfaces
        .iter()
        .flat_map(|(_, file)| &file.items)
        .filter_map(|item| match item {
            crate::syntax::interfaces::Item::Iface(s) => Some(s.name.text.to_string()),
            _ => None,
        })
        .collect()
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Record each file's text as it was before the first fix that touched it: as `run` read it,
/// which for a file no fix touched yet is the file on disk.
fn remember_originals(
    root: &Tree,
    run: &CheckRun,
    next: &HashMap<PathBuf, String>,
    originals: &mut BTreeMap<PathBuf, (String, Option<String>)>,
) {
    for (_, file) in run.host.sources.iter() {
        let identity = root.identity(&file.path);
        if next.contains_key(&identity) && !originals.contains_key(&identity) {
            originals.insert(identity, (file.shown.clone(), Some(file.text.clone())));
        }
    }
}

fn describe(run: &CheckRun, file: FileId, offset: u32) -> String {
    let source = run.host.sources.get(file);
    format!("{}:{}", source.shown, source.line_col(offset).line)
}

fn report(run: &CheckRun, d: &Diagnostic, refused: Option<String>) -> FixReport {
    let fix = d.fix.as_ref().expect("a finding with a fix");
    FixReport {
        code: d.code,
        interface: d.interface.clone(),
        title: fix.title.clone(),
        applicability: fix.applicability,
        at: d
            .location
            .map(|l| describe(run, l.file, l.span.start))
            .unwrap_or_default(),
        refused,
    }
}
