//! Recording a host's files for a snapshot: a [`HostFs`] that answers every question from a
//! [`Bundle`] it fills from a real [`Root`] just before answering.
//!
//! Nothing here decides which files matter. The loaders run through the recorder as they run
//! on any tree, and each question they ask (a file's bytes, a directory's listing, a link, what
//! kind of thing is at a path, including paths that turn out to be absent) first copies what
//! the real tree holds for it into the bundle, then is answered by the bundle. A later check of
//! the bundle therefore asks the same questions and gets the same answers: the recording *is*
//! the offline load.
//!
//! What is copied: every symbolic link met while resolving a path (so links resolve the same
//! way and loops stay loops), the kind of what a path names, a file's bytes only when a loader
//! reads it, and a directory's entries (names and kinds, not contents) only when a loader lists
//! it. A file that is listed or probed but never read is recorded as [`NotHeld::Unread`]: a
//! snapshot never carries a file netvet did not read (a private key beside `sshd_config`).
//!
//! [`NotHeld::Unread`]: super::bundle::NotHeld::Unread

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::MAX_FILE_BYTES;
use super::bundle::{Bundle, BundleError, Node};
use super::fs::{Entry, HostFs, Kind, Refusal, refusal, walk};
use super::root::Root;

/// What a question needs recorded at the path it resolves to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// The links on the way and what kind of thing is there.
    Kind,
    /// Also the file's bytes.
    Bytes,
    /// Also the directory's entries.
    Listing,
}

/// A [`HostFs`] that records what the loaders ask of a real tree into a [`Bundle`].
#[derive(Debug)]
pub struct Recorder {
    real: Root,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    bundle: Bundle,
    /// Directories whose entries are recorded.
    listed: HashSet<PathBuf>,
    /// Paths whose bytes were read from the real tree (or refused).
    read: HashSet<PathBuf>,
    /// The first entry the bundle refused (its bounds): the snapshot cannot be taken.
    failed: Option<BundleError>,
}

impl Recorder {
    /// Record from `real`; the bundle's files are shown under `given`.
    pub fn new(real: Root, given: impl Into<PathBuf>) -> Self {
        Recorder {
            real,
            state: Mutex::new(State {
                bundle: Bundle::new(given),
                listed: HashSet::new(),
                read: HashSet::new(),
                failed: None,
            }),
        }
    }

    /// The recorded tree, or the bound it ran into.
    pub fn into_bundle(self) -> Result<Bundle, BundleError> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        match state.failed {
            Some(error) => Err(error),
            None => Ok(state.bundle),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Copy what the real tree holds for `path` into the bundle, then answer from it.
    fn answer<T>(&self, path: &Path, want: Want, ask: impl FnOnce(&Bundle) -> T) -> T {
        let mut state = self.state();
        if path.is_absolute()
            && let Err(error) = self.record(&mut state, path, want)
            && state.failed.is_none()
        {
            state.failed = Some(error);
        }
        ask(&state.bundle)
    }

    fn record(&self, state: &mut State, path: &Path, want: Want) -> Result<(), BundleError> {
        let links: std::cell::RefCell<Vec<(PathBuf, PathBuf)>> =
            std::cell::RefCell::new(Vec::new());
        let resolved = walk(path, &|candidate| {
            if let Some(node) = state.bundle.stored(candidate) {
                return Ok(match node {
                    Node::Link(target) => Some(target.clone()),
                    _ => None,
                });
            }
            if let Some((_, target)) = links.borrow().iter().find(|(p, _)| p == candidate) {
                return Ok(Some(target.clone()));
            }
            Ok(match self.real.read_link(candidate) {
                Ok(target) => {
                    links
                        .borrow_mut()
                        .push((candidate.to_path_buf(), target.clone()));
                    Some(target)
                }
                Err(_) => None,
            })
        });
        for (at, target) in links.into_inner() {
            state.bundle.add_symlink(at, target)?;
        }
        // A loop: its links are recorded, and the bundle refuses it as the tree did.
        let Ok(resolved) = resolved else {
            return Ok(());
        };
        match self.real.kind(&resolved) {
            Some(Kind::File) => self.record_file(state, &resolved, want == Want::Bytes),
            Some(Kind::Dir) => {
                if state.bundle.stored(&resolved).is_none() {
                    state.bundle.add_dir(&resolved)?;
                }
                if want == Want::Listing {
                    self.record_listing(state, &resolved)?;
                }
                Ok(())
            }
            Some(Kind::Other) => {
                if state.bundle.stored(&resolved).is_none() {
                    state.bundle.add_special(&resolved)?;
                }
                Ok(())
            }
            // Absent, or under something that is not a directory: record the deepest thing
            // that is there, so the bundle answers ENOTDIR where the tree did.
            None => {
                for above in resolved.ancestors().skip(1) {
                    match self.real.kind(above) {
                        Some(Kind::Dir) => break,
                        Some(Kind::File) => return self.record_file(state, above, false),
                        Some(Kind::Other) => {
                            if state.bundle.stored(above).is_none() {
                                state.bundle.add_special(above)?;
                            }
                            break;
                        }
                        None => {}
                    }
                }
                Ok(())
            }
        }
    }

    /// A regular file at a resolved path: its bytes when they are wanted, otherwise a
    /// placeholder unless something is recorded there already.
    fn record_file(&self, state: &mut State, at: &Path, bytes: bool) -> Result<(), BundleError> {
        if !bytes {
            if state.bundle.stored(at).is_none() {
                state.bundle.add_unread(at)?;
            }
            return Ok(());
        }
        if !state.read.insert(at.to_path_buf()) {
            return Ok(());
        }
        match self.real.read(at, MAX_FILE_BYTES) {
            Ok(content) => state.bundle.add_file(at, content),
            Err(e) if matches!(refusal(&e), Some(Refusal::TooBig { .. })) => {
                state.bundle.add_large_file(at, MAX_FILE_BYTES + 1)
            }
            Err(e) => {
                state.bundle.add_unread(at)?;
                state.bundle.set_os_error(at, e.raw_os_error().unwrap_or(5))
            }
        }
    }

    fn record_listing(&self, state: &mut State, dir: &Path) -> Result<(), BundleError> {
        if !state.listed.insert(dir.to_path_buf()) {
            return Ok(());
        }
        let entries = match self.real.read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                return state
                    .bundle
                    .set_os_error(dir, e.raw_os_error().unwrap_or(5));
            }
        };
        for entry in entries {
            let at = dir.join(&entry.name);
            if state.bundle.stored(&at).is_some() {
                continue;
            }
            if entry.is_symlink {
                if let Ok(target) = self.real.read_link(&at) {
                    state.bundle.add_symlink(&at, target)?;
                }
                continue;
            }
            match self.real.kind(&at) {
                Some(Kind::File) => state.bundle.add_unread(&at)?,
                Some(Kind::Dir) => state.bundle.add_dir(&at)?,
                Some(Kind::Other) => state.bundle.add_special(&at)?,
                None => {}
            }
        }
        Ok(())
    }
}

impl HostFs for Recorder {
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.answer(path, Want::Kind, |b| b.read_link(path))
    }

    fn kind(&self, path: &Path) -> Option<Kind> {
        self.answer(path, Want::Kind, |b| b.kind(path))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<Entry>> {
        self.answer(path, Want::Listing, |b| b.read_dir(path))
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        self.answer(path, Want::Bytes, |b| b.read(path, limit))
    }

    fn confine(&self, path: &Path) -> io::Result<PathBuf> {
        self.answer(path, Want::Kind, |b| b.confine(path))
    }

    fn identity(&self, path: &Path) -> PathBuf {
        self.answer(path, Want::Kind, |b| b.identity(path))
    }

    fn shown(&self, path: &Path) -> String {
        self.state().bundle.shown(path)
    }

    fn label(&self) -> String {
        self.state().bundle.label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Target, load, test_tree};
    use std::sync::Arc;

    /// Load a tree through a recorder; the recorded bundle.
    fn recorded(dir: &Path) -> Bundle {
        let recorder = Arc::new(Recorder::new(Root::new(dir), "snap.tar"));
        load(&Target::Tree(recorder.clone()));
        Arc::into_inner(recorder).unwrap().into_bundle().unwrap()
    }

    #[test]
    fn files_listed_but_not_read_are_named_not_held() {
        let dir = test_tree(&[
            (
                "etc/ssh/sshd_config",
                "Include /etc/ssh/sshd_config.d/*.conf\n",
            ),
            ("etc/ssh/sshd_config.d/a.conf", "ListenAddress [::]:22\n"),
            ("etc/ssh/sshd_config.d/secret.key", "PRIVATE\n"),
            ("etc/sysctl.d/README", "not read\n"),
            ("etc/sysctl.d/10-x.conf", "net.ipv6.bindv6only = 1\n"),
        ]);
        let b = recorded(dir.path());
        assert!(matches!(
            b.stored(Path::new("/etc/sysctl.d/10-x.conf")),
            Some(Node::File(_))
        ));
        for unread in ["/etc/sysctl.d/README", "/etc/ssh/sshd_config.d/secret.key"] {
            if let Some(node) = b.stored(Path::new(unread)) {
                assert!(matches!(node, Node::Unread), "{unread}: {node:?}");
            }
        }
        let mut tar = tar::Builder::new(Vec::new());
        b.append_to_tar(&mut tar).unwrap();
        let bytes = tar.into_inner().unwrap();
        assert!(!bytes.windows(7).any(|w| w == b"PRIVATE"));
    }

    #[test]
    fn links_and_loops_are_recorded_as_links() {
        use std::os::unix::fs::symlink;
        let dir = test_tree(&[("etc/modules", "bonding\n")]);
        std::fs::create_dir_all(dir.path().join("etc/modules-load.d")).unwrap();
        symlink(
            "../modules",
            dir.path().join("etc/modules-load.d/modules.conf"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("etc/network")).unwrap();
        symlink("interfaces", dir.path().join("etc/network/interfaces")).unwrap();
        let b = recorded(dir.path());
        assert!(matches!(
            b.stored(Path::new("/etc/modules-load.d/modules.conf")),
            Some(Node::Link(_))
        ));
        assert!(matches!(
            b.stored(Path::new("/etc/network/interfaces")),
            Some(Node::Link(_))
        ));
        let host = load(&Target::bundle(b));
        assert_eq!(host.early_modules.len(), 1);
    }
}
