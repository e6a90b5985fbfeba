//! Reading `/etc/network/interfaces` and following its `source` and `source-directory` lines the
//! way ifupdown does.
//!
//! - Relative paths are relative to the directory of the file that has the `source` line.
//! - The path is expanded like wordexp(3) without command substitution: quotes are removed, the
//!   line may hold several words, and each word is a glob. A glob that matches nothing and a
//!   missing file are skipped silently by ifupdown; netvet reports them (NV002).
//! - `source-directory DIR` reads only the files in DIR whose names are made of letters, digits,
//!   `_` and `-` (so `eth0.cfg` is ignored), in alphabetical order.
//! - ifupdown reads a file at most once; a second `source` of it is skipped, which is also how it
//!   survives an include cycle. netvet reports the cycle.
//! - Files are read in ifupdown's order: a `source` line is followed where it stands, before the
//!   rest of the including file. `iface A ... inherits B` needs an `iface B` (of A's family, or
//!   any family when A gives none) read before it, in this file or an earlier one; otherwise
//!   ifupdown stops there ("unknown iface to inherit from").
//! - A fatal error in the main file rejects the whole configuration; netvet keeps reading it all
//!   to show every problem. A fatal error in a file read through `source` only ends that file:
//!   ifupdown ignores the rest of it (including its `source` lines) and goes on with the
//!   including file, so netvet moves what follows the error out of the model
//!   ([`interfaces::InterfacesFile::cut_at_stop`]) and says so in the error's help.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Host, HostFs, ReadError, Root, read_file};
use crate::source::{FileId, Location, SourceFile, Span};
use crate::syntax::interfaces::{self, Item, SourceKind};
use crate::syntax::{SyntaxError, Word};

/// What went wrong while following `source` lines. Each becomes an NV002 finding.
#[derive(Debug)]
pub struct IncludeProblem {
    /// The `source`/`source-directory` line.
    pub location: Location,
    pub kind: IncludeProblemKind,
}

#[derive(Debug)]
pub enum IncludeProblemKind {
    /// Nothing matched the pattern (ifupdown skips it silently).
    NothingMatched { pattern: String },
    /// The file includes itself, directly or through others; `chain` lists the files in order.
    Cycle { chain: Vec<String> },
    /// `source-directory` skipped these files because of their names.
    IgnoredNames { dir: String, names: Vec<String> },
    /// Files sourcing files more than [`MAX_INCLUDE_DEPTH`] deep: netvet reads no deeper.
    TooDeep,
}

pub use crate::limits::MAX_INCLUDE_DEPTH;

/// The main interfaces file of a host tree.
pub fn load_root(root: &dyn HostFs, host: &mut Host) {
    let main = root.resolve(Path::new("/etc/network/interfaces"));
    if !root.exists(&main) {
        let error = match root.confine(Path::new("/etc/network/interfaces")) {
            Err(error) => Some(error),
            // A link to nothing is not an absent file: what it was meant to hold is missing.
            Ok(_) if root.is_symlink(Path::new("/etc/network/interfaces")) => Some(
                std::io::Error::other("a symbolic link to nothing (under the root)"),
            ),
            Ok(_) => None,
        };
        match error {
            Some(error) => host.read_error(ReadError {
                path: "/etc/network/interfaces".to_string(),
                error,
                requested_by: None,
            }),
            None => host.not_found.push("/etc/network/interfaces".to_string()),
        }
        return;
    }
    Loader {
        root,
        host,
        stack: Vec::new(),
        defined: HashMap::new(),
        tree: None,
    }
    .file(&main, None);
}

/// A single interfaces file given on the command line, its absolute `source` paths read from
/// the running system's `/`, as `ifquery -i FILE` does. Whatever it reads from outside the
/// file's own directory is named in [`Host::notes`], so a check of a lone file never mixes in
/// this host's `/etc` silently.
pub fn load_file(path: &Path, host: &mut Host) {
    let root = Root::system();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let tree = Some(root.identity(dir.unwrap_or(Path::new("."))));
    Loader {
        root: &root,
        host,
        stack: Vec::new(),
        defined: HashMap::new(),
        tree,
    }
    .file(path, None);
}

/// An interfaces file read from standard input (`netvet check -`). Its `source` lines are
/// read from this host, relative ones from the current directory, as `ifquery -i /dev/stdin`
/// would; each file read that way is named in [`Host::notes`].
pub fn load_stdin(bytes: Vec<u8>, host: &mut Host) {
    let root = Root::system();
    let id = host.sources.add(SourceFile::new(
        "<stdin>".to_string(),
        PathBuf::from("<stdin>"),
        bytes,
    ));
    let cwd = super::root::current_dir();
    Loader {
        root: &root,
        host,
        stack: Vec::new(),
        defined: HashMap::new(),
        // Nothing read from the host is part of what was given.
        tree: Some(PathBuf::from("<stdin>")),
    }
    .follow(id, PathBuf::from("<stdin>"), &cwd, None);
}

struct Loader<'a> {
    root: &'a dyn HostFs,
    host: &'a mut Host,
    /// Files being read, outermost first, to detect cycles.
    stack: Vec<PathBuf>,
    /// The families of the stanzas ifupdown has read so far, by name and in reading order, for
    /// `inherits`.
    defined: HashMap<String, Vec<String>>,
    /// For a single file checked against the running system: its directory. Included files
    /// outside it come from this host, and the user is told.
    tree: Option<PathBuf>,
}

/// What the loader does with one item, in file order.
enum Step {
    Define(String, String),
    Inherit {
        name: String,
        family: Option<String>,
        parent: Word,
        at: usize,
    },
    Source(SourceKind, String, Span),
    Nothing,
}

impl Loader<'_> {
    fn file(&mut self, real: &Path, requested_by: Option<Location>) {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            if let Some(location) = requested_by {
                self.host.include_problems.push(IncludeProblem {
                    location,
                    kind: IncludeProblemKind::TooDeep,
                });
            }
            return;
        }
        let canonical = self.root.identity(real);
        if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
            if let Some(location) = requested_by {
                let mut chain: Vec<String> = self.stack[pos..]
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                chain.push(canonical.display().to_string());
                self.host.include_problems.push(IncludeProblem {
                    location,
                    kind: IncludeProblemKind::Cycle { chain },
                });
            }
            return;
        }
        if self.host.sources.find(real).is_some() {
            // Read already through another `source` line: ifupdown skips it too.
            return;
        }
        let display = real.display().to_string();
        let id = match read_file(&mut self.host.sources, self.root, real, display.clone()) {
            Ok(id) => id,
            Err(error) => {
                self.host.read_error(ReadError {
                    path: display,
                    error,
                    requested_by,
                });
                return;
            }
        };
        let dir = real.parent().map(Path::to_path_buf).unwrap_or_default();
        self.follow(id, canonical, &dir, requested_by);
    }

    /// Parse a file that is in the source map and follow its `source` lines, relative ones
    /// from `dir`.
    fn follow(
        &mut self,
        id: FileId,
        canonical: PathBuf,
        dir: &Path,
        requested_by: Option<Location>,
    ) {
        let parsed = interfaces::parse(&self.host.sources.get(id).text);
        let index = self.host.interfaces.len();
        self.host.interfaces.push((id, parsed));
        let included = requested_by.is_some();

        self.stack.push(canonical);
        let mut i = 0;
        loop {
            let parsed = &self.host.interfaces[index].1;
            let Some(item) = parsed.items.get(i) else {
                break;
            };
            i += 1;
            let stopped = parsed
                .stop
                .as_ref()
                .is_some_and(|s| item.start() as usize >= s.at);
            if stopped && included {
                break;
            }
            match step(item) {
                Step::Define(name, family) => self.defined.entry(name).or_default().push(family),
                Step::Inherit {
                    name,
                    family,
                    parent,
                    at,
                } => {
                    let found = self.defined.get(parent.text.as_str()).and_then(|families| {
                        families
                            .iter()
                            .find(|f| family.as_ref().is_none_or(|x| x == *f))
                            .cloned()
                    });
                    match found {
                        Some(parent_family) => {
                            let family = family.unwrap_or(parent_family);
                            self.defined.entry(name).or_default().push(family);
                        }
                        None => {
                            let err = unknown_parent(&name, family.as_deref(), &parent);
                            self.host.interfaces[index].1.fatal(
                                at,
                                "unknown iface to inherit from",
                                err,
                            );
                            if included {
                                break;
                            }
                        }
                    }
                }
                Step::Source(kind, pattern, span) => {
                    self.source(id, dir, kind, &pattern, span);
                }
                Step::Nothing => {}
            }
        }
        self.stack.pop();

        let parsed = &mut self.host.interfaces[index].1;
        if included {
            if let Some(stop) = parsed.stop.clone() {
                parsed.cut_at_stop();
                if let Some(err) = parsed.errors.get_mut(stop.error) {
                    err.help = Some(format!(
                        "ifupdown stops reading this file here (\"{}\"); as the file is read \
                         through `source`, it ignores the rest of the file and goes on with the \
                         file that includes it: fix the line, or nothing after it takes effect",
                        stop.reason
                    ));
                }
            }
        }
    }

    fn source(&mut self, from: FileId, dir: &Path, kind: SourceKind, pattern: &str, span: Span) {
        let location = Location { file: from, span };
        let mut matched_any = false;
        for word in shell_words(pattern) {
            let full = if word.starts_with('/') {
                self.root.resolve(Path::new(&word))
            } else {
                dir.join(&word)
            };
            self.note_outside_tree(&full, location);
            // A glob in a directory that exists is fine even when it matches nothing: Debian's
            // stock `source /etc/network/interfaces.d/*` over an empty directory.
            if is_glob(&full) && self.root.is_dir(&glob_dir(&full)) {
                matched_any = true;
            }
            for path in expand_glob(self.root, &full) {
                match kind {
                    SourceKind::File => {
                        if self.root.exists(&path) {
                            matched_any = true;
                            self.file(&path, Some(location));
                        }
                    }
                    SourceKind::Directory => {
                        if self.root.is_dir(&path) {
                            matched_any = true;
                            self.directory(&path, location);
                        }
                    }
                }
            }
        }
        if !matched_any {
            self.host.include_problems.push(IncludeProblem {
                location,
                kind: IncludeProblemKind::NothingMatched {
                    pattern: pattern.to_string(),
                },
            });
        }
    }

    /// Tell the user when a single file's `source` line reads this host's files rather than
    /// anything next to the file checked.
    fn note_outside_tree(&mut self, full: &Path, location: Location) {
        let Some(tree) = &self.tree else { return };
        let dir = if is_glob(full) {
            glob_dir(full)
        } else {
            full.to_path_buf()
        };
        let canonical = self.root.identity(&dir);
        if canonical.starts_with(tree) || !self.root.exists(&canonical) {
            return;
        }
        let checked = if tree == Path::new("<stdin>") {
            "standard input".to_string()
        } else {
            format!("the checked tree {}", tree.display())
        };
        let note = format!(
            "{}: reads {} from this host, outside {checked}; to check a copied host tree, \
             give its root (`netvet check --root DIR`)",
            self.host.sources.describe(location),
            full.display()
        );
        self.host.notes.push(note);
    }

    fn directory(&mut self, dir: &Path, location: Location) {
        let entries = match self.root.read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                // An unreadable directory hides configuration: never call that tree clean.
                self.host.read_error(ReadError {
                    path: dir.display().to_string(),
                    error,
                    requested_by: Some(location),
                });
                return;
            }
        };
        let mut names: Vec<String> = entries
            .iter()
            .map(|e| e.name.to_string_lossy().into_owned())
            .collect();
        names.sort();
        let (valid, ignored): (Vec<String>, Vec<String>) = names.into_iter().partition(|n| {
            n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        let ignored: Vec<String> = ignored
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect();
        if !ignored.is_empty() {
            self.host.include_problems.push(IncludeProblem {
                location,
                kind: IncludeProblemKind::IgnoredNames {
                    dir: dir.display().to_string(),
                    names: ignored,
                },
            });
        }
        for name in valid {
            let path = dir.join(name);
            if self.root.is_file(&path) {
                self.file(&path, Some(location));
            }
        }
    }
}

fn step(item: &Item) -> Step {
    match item {
        Item::Iface(s) => {
            let family = s.family.as_ref().map(|w| w.text.to_string());
            match (&s.inherits, family) {
                (Some(parent), family) => Step::Inherit {
                    name: s.name.text.to_string(),
                    family,
                    parent: parent.clone(),
                    at: s.header.start as usize,
                },
                // A header ifupdown rejects defines nothing.
                (None, Some(family)) if s.method.is_some() => {
                    Step::Define(s.name.text.to_string(), family)
                }
                _ => Step::Nothing,
            }
        }
        Item::Source { kind, pattern, .. } => {
            Step::Source(*kind, pattern.text.to_string(), pattern.span)
        }
        _ => Step::Nothing,
    }
}

fn unknown_parent(name: &str, family: Option<&str>, parent: &Word) -> SyntaxError {
    let wanted = match family {
        Some(f) => format!("`iface {} {f} ...`", parent.text),
        None => format!("`iface {} ...`", parent.text),
    };
    SyntaxError::new(
        parent.span,
        format!(
            "`iface {name}` inherits from `{}`, but no {wanted} stanza is read before it",
            parent.text
        ),
    )
    .with_help(
        "ifupdown stops here (\"unknown iface to inherit from\"): it looks only at stanzas it has \
         already read, of the same family; define the parent above this stanza (or in a file \
         sourced before it)",
    )
}

/// Split a `source` argument into words as wordexp(3) does for the cases seen in practice:
/// white space separates words, single and double quotes group and are removed, a backslash
/// escapes the next character. Variables are left as they are.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

fn is_glob(path: &Path) -> bool {
    path.to_string_lossy().contains(['*', '?', '['])
}

/// The directory part of a glob before its first wildcard component.
fn glob_dir(pattern: &Path) -> PathBuf {
    pattern
        .ancestors()
        .find(|p| !is_glob(p))
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Expand a glob as glob(3) does for wordexp: sorted matches, or the pattern itself when it has
/// no wildcard or matches nothing.
pub(super) fn expand_glob(fs: &dyn HostFs, pattern: &Path) -> Vec<PathBuf> {
    if !is_glob(pattern) {
        return vec![pattern.to_path_buf()];
    }
    // glob(3), which wordexp uses, never lets `*` match a leading dot.
    let options = glob::MatchOptions {
        require_literal_leading_dot: true,
        ..glob::MatchOptions::new()
    };
    // Component by component, over the directory entries' real names: a file name that is not
    // UTF-8 is matched by its lossy form and opened by its real one.
    let mut found: Vec<PathBuf> = vec![PathBuf::new()];
    for component in pattern.components() {
        let part = component.as_os_str();
        let text = part.to_string_lossy();
        if !is_glob(Path::new(part)) {
            for path in &mut found {
                path.push(part);
            }
            continue;
        }
        let Ok(matcher) = glob::Pattern::new(&text) else {
            return vec![pattern.to_path_buf()];
        };
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = fs.read_dir(dir) else {
                continue;
            };
            for entry in entries {
                if matcher.matches_with(&entry.name.to_string_lossy(), options) {
                    next.push(dir.join(&entry.name));
                }
            }
        }
        found = next;
        if found.is_empty() {
            break;
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    use crate::load::test_tree as tree;

    fn displays(host: &Host) -> Vec<String> {
        host.interfaces
            .iter()
            .map(|(id, _)| host.sources.get(*id).display.clone())
            .collect()
    }

    #[test]
    fn follows_source_and_source_directory() {
        let dir = tree(&[
            (
                "etc/network/interfaces",
                "source /etc/network/interfaces.d/*\nsource-directory interfaces.e\n",
            ),
            ("etc/network/interfaces.d/b", "iface b inet manual\n"),
            ("etc/network/interfaces.d/a.cfg", "iface a inet manual\n"),
            ("etc/network/interfaces.e/c", "iface c inet manual\n"),
            ("etc/network/interfaces.e/d.cfg", "iface d inet manual\n"),
        ]);
        let mut host = Host::default();
        load_root(&Root::new(dir.path()), &mut host);
        assert_eq!(
            displays(&host),
            [
                "/etc/network/interfaces",
                "/etc/network/interfaces.d/a.cfg",
                "/etc/network/interfaces.d/b",
                "/etc/network/interfaces.e/c",
            ]
        );
        assert!(matches!(
            &host.include_problems[0].kind,
            IncludeProblemKind::IgnoredNames { names, .. } if names == &["d.cfg"]
        ));
    }

    #[test]
    fn reports_missing_and_cycles() {
        let dir = tree(&[
            ("etc/network/interfaces", "source a\nsource missing\n"),
            ("etc/network/a", "source interfaces\n"),
        ]);
        let mut host = Host::default();
        load_root(&Root::new(dir.path()), &mut host);
        assert_eq!(host.interfaces.len(), 2);
        let kinds: Vec<_> = host.include_problems.iter().map(|p| &p.kind).collect();
        assert!(matches!(kinds[0], IncludeProblemKind::Cycle { chain } if chain.len() == 3));
        assert!(
            matches!(kinds[1], IncludeProblemKind::NothingMatched { pattern } if pattern == "missing")
        );
    }

    #[test]
    fn empty_glob_in_existing_directory_is_fine() {
        let dir = tree(&[(
            "etc/network/interfaces",
            "source /etc/network/interfaces.d/*\nsource /etc/network/nowhere/*\n",
        )]);
        fs::create_dir_all(dir.path().join("etc/network/interfaces.d")).unwrap();
        let mut host = Host::default();
        load_root(&Root::new(dir.path()), &mut host);
        assert_eq!(host.include_problems.len(), 1);
        assert!(matches!(
            &host.include_problems[0].kind,
            IncludeProblemKind::NothingMatched { pattern } if pattern == "/etc/network/nowhere/*"
        ));
    }

    #[test]
    fn missing_main_file_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut host = Host::default();
        load_root(&Root::new(dir.path()), &mut host);
        assert_eq!(host.not_found, ["/etc/network/interfaces"]);
        assert!(host.read_errors.is_empty());
    }

    #[test]
    fn shell_words_handles_quotes() {
        assert_eq!(shell_words("\"/a b/*\" c 'd e'"), ["/a b/*", "c", "d e"]);
        assert_eq!(shell_words("a\\ b"), ["a b"]);
    }
}
