//! A host's files held in memory: what `audit` collects from a remote host (a `tar` stream over
//! SSH), or a tree built in code. Checked exactly as a directory root is: the loaders read it
//! through [`HostFs`], and its links resolve through the same [`walk`].
//!
//! An archive is hostile input. Its entry paths must be relative and free of `..`; links are
//! kept as they are written and only ever resolved inside the bundle; a file larger than
//! [`MAX_FILE_BYTES`] is recorded by its size and never held; the whole is bounded by
//! [`MAX_BUNDLE_BYTES`], [`MAX_BUNDLE_ENTRIES`] and [`MAX_ARCHIVE_BYTES`].

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::MAX_FILE_BYTES;
use super::fs::{
    Entry, HostFs, Kind, Refusal, bounded, not_a_directory, not_a_link, not_found, walk,
};

pub use crate::limits::{MAX_ARCHIVE_BYTES, MAX_BUNDLE_BYTES, MAX_BUNDLE_ENTRIES};

#[derive(Clone, Debug)]
pub(super) enum Node {
    File(Vec<u8>),
    /// A file larger than [`MAX_FILE_BYTES`]: only its size is kept, and reading it is
    /// refused as reading it from a directory is.
    Large(u64),
    Dir,
    Link(PathBuf),
    /// A FIFO or a device.
    Special,
    /// A regular file whose contents were never taken (a snapshot records a file netvet listed
    /// or probed but did not read as this): reading it is an error, never empty bytes.
    Unread,
}

/// A file (or directory) a snapshot names without holding what it is: the archive has an
/// empty entry there, and the manifest says why (`docs/snapshot-format.md`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum NotHeld {
    /// Listed or probed when the snapshot was taken, never read: its contents were not taken.
    Unread,
    /// Larger than [`MAX_FILE_BYTES`]: refused, as reading it from a directory is.
    TooLarge,
    /// Reading the file (or listing the directory) failed with this Linux error number.
    OsError { errno: i32 },
}

/// Files, directories and symbolic links in memory, by host path.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub(super) nodes: BTreeMap<PathBuf, Node>,
    /// Paths whose read (a file) or listing (a directory) fails with this errno.
    errors: BTreeMap<PathBuf, i32>,
    /// What the user named (an archive, a host); file paths are shown under it.
    given: PathBuf,
    bytes: u64,
    /// How many nodes are symbolic links. With none (a tree built in code, many collected
    /// hosts), resolving a path looks nothing up: each lookup in `nodes` compares paths a
    /// component at a time, and a check resolves hundreds of paths, most of them absent.
    links: usize,
}

/// Why a bundle could not take an entry.
#[derive(Debug)]
pub enum BundleError {
    /// An absolute path or one with `..` (in an archive), or no name at all.
    BadPath(PathBuf),
    /// A parent of the path is a file or a link, or a directory would become a file.
    Conflict(PathBuf),
    /// A hard link in an archive to no earlier regular file of it.
    BadHardLink(PathBuf),
    /// More than [`MAX_BUNDLE_ENTRIES`] entries or [`MAX_BUNDLE_BYTES`] of contents.
    TooLarge,
    /// The archive could not be read.
    Archive(io::Error),
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::BadPath(p) => write!(
                f,
                "{}: an entry must be a relative path without `..`",
                p.display()
            ),
            BundleError::Conflict(p) => write!(
                f,
                "{}: a parent is not a directory, or a directory would be replaced",
                p.display()
            ),
            BundleError::BadHardLink(p) => write!(
                f,
                "{}: a hard link to no earlier file of the archive",
                p.display()
            ),
            BundleError::TooLarge => write!(
                f,
                "more than {MAX_BUNDLE_ENTRIES} entries or {} MiB of files: not a host's \
                 configuration",
                MAX_BUNDLE_BYTES >> 20
            ),
            BundleError::Archive(e) => write!(f, "reading the archive: {e}"),
        }
    }
}

impl std::error::Error for BundleError {}

impl Bundle {
    /// An empty host (only `/`), its files shown under `given`.
    pub fn new(given: impl Into<PathBuf>) -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(PathBuf::from("/"), Node::Dir);
        Bundle {
            nodes,
            errors: BTreeMap::new(),
            given: given.into(),
            bytes: 0,
            links: 0,
        }
    }

    /// A regular file; its parents become directories.
    pub fn add_file(
        &mut self,
        path: impl AsRef<Path>,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<(), BundleError> {
        let bytes = bytes.into();
        let node = if bytes.len() as u64 > MAX_FILE_BYTES {
            Node::Large(bytes.len() as u64)
        } else {
            Node::File(bytes)
        };
        self.insert(path.as_ref(), node)
    }

    /// A file of `size` bytes too large to be configuration, kept by its size only.
    pub fn add_large_file(&mut self, path: impl AsRef<Path>, size: u64) -> Result<(), BundleError> {
        self.insert(path.as_ref(), Node::Large(size))
    }

    pub fn add_dir(&mut self, path: impl AsRef<Path>) -> Result<(), BundleError> {
        self.insert(path.as_ref(), Node::Dir)
    }

    /// A symbolic link, its target kept as written (resolved only inside the bundle).
    pub fn add_symlink(
        &mut self,
        path: impl AsRef<Path>,
        target: impl Into<PathBuf>,
    ) -> Result<(), BundleError> {
        self.insert(path.as_ref(), Node::Link(target.into()))
    }

    /// A FIFO, device or socket: listed, never read.
    pub fn add_special(&mut self, path: impl AsRef<Path>) -> Result<(), BundleError> {
        self.insert(path.as_ref(), Node::Special)
    }

    /// A regular file whose contents are not held: reading it is an error.
    pub fn add_unread(&mut self, path: impl AsRef<Path>) -> Result<(), BundleError> {
        self.insert(path.as_ref(), Node::Unread)
    }

    /// Make reading the file (or listing the directory) at `path` fail with `errno`, as it did
    /// on the host.
    pub fn set_os_error(&mut self, path: impl AsRef<Path>, errno: i32) -> Result<(), BundleError> {
        let host = Self::host_path(path.as_ref())?;
        self.errors.insert(host, errno);
        Ok(())
    }

    /// What is at a host path as it is stored (links not followed): for a recorder deciding
    /// whether it has recorded a path yet.
    pub(super) fn stored(&self, path: &Path) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Remove a path and everything under it (a snapshot's manifest, once read).
    pub fn remove(&mut self, path: impl AsRef<Path>) {
        let Ok(host) = Self::host_path(path.as_ref()) else {
            return;
        };
        if host == Path::new("/") {
            return;
        }
        let gone: Vec<PathBuf> = self
            .nodes
            .range(host.clone()..)
            .take_while(|(p, _)| p.starts_with(&host))
            .map(|(p, _)| p.clone())
            .collect();
        for p in gone {
            match self.nodes.remove(&p) {
                Some(Node::File(bytes)) => self.bytes -= bytes.len() as u64,
                Some(Node::Link(_)) => self.links -= 1,
                _ => {}
            }
            self.errors.remove(&p);
        }
    }

    /// The paths held without their contents, and why, in path order.
    pub fn not_held(&self) -> Vec<(PathBuf, NotHeld)> {
        let mut out: BTreeMap<PathBuf, NotHeld> = BTreeMap::new();
        for (path, node) in &self.nodes {
            match node {
                Node::Unread => {
                    out.insert(path.clone(), NotHeld::Unread);
                }
                Node::Large(_) => {
                    out.insert(path.clone(), NotHeld::TooLarge);
                }
                _ => {}
            }
        }
        for (path, errno) in &self.errors {
            out.insert(path.clone(), NotHeld::OsError { errno: *errno });
        }
        out.into_iter().collect()
    }

    /// Apply a snapshot manifest's account of a path: the archive holds an empty file there
    /// (for an os-error, a file or a directory). Anything else is an inconsistent snapshot.
    pub fn set_not_held(&mut self, path: &Path, why: &NotHeld) -> Result<(), BundleError> {
        let host = Self::host_path(path)?;
        let bad = || BundleError::Conflict(path.to_path_buf());
        let node = self.nodes.get_mut(&host).ok_or_else(bad)?;
        match (why, &*node) {
            (NotHeld::Unread, Node::File(b)) if b.is_empty() => *node = Node::Unread,
            (NotHeld::TooLarge, Node::File(b)) if b.is_empty() => {
                *node = Node::Large(MAX_FILE_BYTES + 1);
            }
            (NotHeld::OsError { errno }, Node::File(b)) if b.is_empty() && *errno > 0 => {
                *node = Node::Unread;
                self.errors.insert(host, *errno);
            }
            (NotHeld::OsError { errno }, Node::Dir) if *errno > 0 => {
                self.errors.insert(host, *errno);
            }
            _ => return Err(bad()),
        }
        Ok(())
    }

    /// Append every entry to a tar archive, parents first, at relative paths (`etc/...`),
    /// with fixed owners, modes and times so the same tree always gives the same bytes. A file
    /// not held is an empty regular file (its manifest says why).
    pub fn append_to_tar<W: io::Write>(&self, builder: &mut tar::Builder<W>) -> io::Result<()> {
        use tar::EntryType as T;
        for (path, node) in self.nodes.iter().skip(1) {
            let rel = path.strip_prefix("/").unwrap_or(path);
            let mut h = tar::Header::new_gnu();
            h.set_mtime(0);
            h.set_uid(0);
            h.set_gid(0);
            match node {
                Node::File(bytes) => {
                    h.set_entry_type(T::Regular);
                    h.set_mode(0o644);
                    h.set_size(bytes.len() as u64);
                    builder.append_data(&mut h, rel, bytes.as_slice())?;
                }
                Node::Large(_) | Node::Unread => {
                    h.set_entry_type(T::Regular);
                    h.set_mode(0o644);
                    h.set_size(0);
                    builder.append_data(&mut h, rel, io::empty())?;
                }
                Node::Dir => {
                    h.set_entry_type(T::Directory);
                    h.set_mode(0o755);
                    h.set_size(0);
                    builder.append_data(&mut h, rel, io::empty())?;
                }
                Node::Link(target) => {
                    h.set_entry_type(T::Symlink);
                    h.set_mode(0o777);
                    h.set_size(0);
                    builder.append_link(&mut h, rel, target)?;
                }
                Node::Special => {
                    h.set_entry_type(T::Fifo);
                    h.set_mode(0o644);
                    h.set_size(0);
                    builder.append_data(&mut h, rel, io::empty())?;
                }
            }
        }
        Ok(())
    }

    /// The host path of an entry path: `etc/x`, `./etc/x` and `/etc/x` are `/etc/x`;
    /// `..` is refused.
    fn host_path(path: &Path) -> Result<PathBuf, BundleError> {
        let mut out = PathBuf::from("/");
        for c in path.components() {
            match c {
                Component::Normal(n) => out.push(n),
                Component::RootDir | Component::CurDir => {}
                Component::ParentDir | Component::Prefix(_) => {
                    return Err(BundleError::BadPath(path.to_path_buf()));
                }
            }
        }
        Ok(out)
    }

    fn insert(&mut self, path: &Path, node: Node) -> Result<(), BundleError> {
        let host = Self::host_path(path)?;
        if host == Path::new("/") {
            return match node {
                Node::Dir => Ok(()),
                _ => Err(BundleError::BadPath(path.to_path_buf())),
            };
        }
        let size = match &node {
            Node::File(bytes) => bytes.len() as u64,
            _ => 0,
        };
        if self.nodes.len() >= MAX_BUNDLE_ENTRIES || self.bytes + size > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge);
        }
        let mut parents: Vec<&Path> = host.ancestors().skip(1).collect();
        parents.reverse();
        for parent in parents {
            match self.nodes.get(parent) {
                Some(Node::Dir) => {}
                None => {
                    self.nodes.insert(parent.to_path_buf(), Node::Dir);
                }
                Some(_) => return Err(BundleError::Conflict(path.to_path_buf())),
            }
        }
        match (self.nodes.get(&host), &node) {
            (Some(Node::Dir), Node::Dir) => return Ok(()),
            (Some(Node::Dir), _) => return Err(BundleError::Conflict(path.to_path_buf())),
            (Some(Node::File(old)), _) => self.bytes -= old.len() as u64,
            _ => {}
        }
        self.bytes += size;
        self.links += usize::from(matches!(node, Node::Link(_)));
        if let Some(Node::Link(_)) = self.nodes.insert(host, node) {
            self.links -= 1;
        }
        Ok(())
    }

    /// A bundle from a tar archive (what `tar -C / -cf - etc ...` writes), its files shown
    /// under `given`. Regular files, directories, symbolic links, hard links to an earlier
    /// file, FIFOs and devices are kept; other entries (PAX headers, sparse files) are
    /// skipped. An absolute or `..` entry path is an error, not skipped: such an archive was
    /// not made by `tar` of a host's tree.
    pub fn from_tar(reader: impl io::Read, given: impl Into<PathBuf>) -> Result<Self, BundleError> {
        let mut bundle = Bundle::new(given);
        let mut archive = tar::Archive::new(BoundedReader {
            inner: reader,
            left: MAX_ARCHIVE_BYTES,
        });
        let entries = archive.entries().map_err(BundleError::Archive)?;
        for entry in entries {
            let mut entry = entry.map_err(BundleError::Archive)?;
            let path = entry.path().map_err(BundleError::Archive)?.into_owned();
            if path.is_absolute() || path.components().any(|c| c == Component::ParentDir) {
                return Err(BundleError::BadPath(path));
            }
            use tar::EntryType as T;
            match entry.header().entry_type() {
                T::Regular | T::Continuous => {
                    let size = entry.size();
                    if size > MAX_FILE_BYTES {
                        bundle.add_large_file(&path, size)?;
                    } else {
                        let bytes = super::fs::read_bounded(&mut entry, MAX_FILE_BYTES, size)
                            .map_err(BundleError::Archive)?;
                        bundle.add_file(&path, bytes)?;
                    }
                }
                T::Directory => bundle.add_dir(&path)?,
                T::Symlink => {
                    let target = entry
                        .link_name()
                        .map_err(BundleError::Archive)?
                        .ok_or_else(|| BundleError::BadPath(path.clone()))?
                        .into_owned();
                    bundle.add_symlink(&path, target)?;
                }
                T::Link => {
                    // A hard link names an earlier entry of the archive: a copy of it.
                    let target = entry
                        .link_name()
                        .map_err(BundleError::Archive)?
                        .ok_or_else(|| BundleError::BadPath(path.clone()))?;
                    let node = bundle.nodes.get(&Self::host_path(&target)?).cloned();
                    match node {
                        Some(Node::File(bytes)) => bundle.add_file(&path, bytes)?,
                        Some(Node::Large(size)) => bundle.add_large_file(&path, size)?,
                        _ => return Err(BundleError::BadHardLink(path)),
                    }
                }
                T::Fifo | T::Char | T::Block => bundle.add_special(&path)?,
                _ => {}
            }
        }
        Ok(bundle)
    }

    /// The node at a resolved host path, with the errors Linux gives when it is absent or a
    /// parent is not a directory.
    fn node(&self, resolved: &Path) -> io::Result<&Node> {
        if let Some(node) = self.nodes.get(resolved) {
            return Ok(node);
        }
        let through_file = resolved
            .ancestors()
            .skip(1)
            .any(|p| matches!(self.nodes.get(p), Some(n) if !matches!(n, Node::Dir)));
        Err(if through_file {
            not_a_directory()
        } else {
            not_found()
        })
    }

    /// The node a host path reaches, links followed.
    fn lookup(&self, path: &Path) -> io::Result<&Node> {
        self.node(&self.confine(path)?)
    }
}

impl HostFs for Bundle {
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        let at = match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => self.confine(parent)?.join(name),
            _ => self.confine(path)?,
        };
        match self.node(&at)? {
            Node::Link(target) => Ok(target.clone()),
            _ => Err(not_a_link()),
        }
    }

    fn kind(&self, path: &Path) -> Option<Kind> {
        Some(match self.lookup(path).ok()? {
            Node::File(_) | Node::Large(_) | Node::Unread => Kind::File,
            Node::Dir => Kind::Dir,
            // A link left after resolution cannot be: `walk` follows every one.
            Node::Special | Node::Link(_) => Kind::Other,
        })
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<Entry>> {
        let dir = self.confine(path)?;
        if !matches!(self.node(&dir)?, Node::Dir) {
            return Err(not_a_directory());
        }
        if let Some(errno) = self.errors.get(&dir) {
            return Err(io::Error::from_raw_os_error(*errno));
        }
        Ok(self
            .nodes
            .range(dir.clone()..)
            .skip(1)
            .take_while(|(p, _)| p.starts_with(&dir))
            .filter(|(p, _)| p.parent() == Some(dir.as_path()))
            .filter_map(|(p, node)| {
                Some(Entry {
                    name: p.file_name()?.to_os_string(),
                    is_symlink: matches!(node, Node::Link(_)),
                })
            })
            .collect())
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let resolved = self.confine(path)?;
        let node = self.node(&resolved)?;
        if let Some(errno) = self.errors.get(&resolved)
            && !matches!(node, Node::Dir)
        {
            return Err(io::Error::from_raw_os_error(*errno));
        }
        match node {
            Node::Unread => Err(io::Error::other(
                "not in the snapshot: netvet listed this file but did not read it when the \
                 snapshot was taken",
            )),
            Node::File(bytes) => bounded(bytes.clone(), limit),
            Node::Large(_) => Err(Refusal::TooBig { limit }.into()),
            _ => Err(Refusal::NotRegular.into()),
        }
    }

    fn confine(&self, path: &Path) -> io::Result<PathBuf> {
        walk(path, &|candidate| {
            if self.links == 0 {
                return Ok(None);
            }
            Ok(match self.nodes.get(candidate) {
                Some(Node::Link(target)) => Some(target.clone()),
                _ => None,
            })
        })
    }

    fn shown(&self, path: &Path) -> String {
        self.given
            .join(path.strip_prefix("/").unwrap_or(path))
            .display()
            .to_string()
    }

    fn label(&self) -> String {
        self.given.display().to_string()
    }
}

/// A reader that fails once more than its bound has been read: an archive that never ends
/// is an error, not a hang.
struct BoundedReader<R> {
    inner: R,
    left: u64,
}

impl<R: io::Read> io::Read for BoundedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other(format!(
                "larger than {} MiB",
                MAX_ARCHIVE_BYTES >> 20
            )));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::fs::refusal as refused;
    use crate::load::{Target, load};

    fn host(files: &[(&str, &str)]) -> Bundle {
        let mut b = Bundle::new("host");
        for (path, text) in files {
            b.add_file(path, *text).unwrap();
        }
        b
    }

    /// The link count that lets a link-free bundle skip lookups follows every change: a link
    /// added, replaced by a file, removed with its directory, or copied from an archive.
    #[test]
    fn the_link_count_follows_every_change() {
        fn counted(b: &Bundle) -> usize {
            let held = b
                .nodes
                .values()
                .filter(|n| matches!(n, Node::Link(_)))
                .count();
            assert_eq!(b.links, held);
            held
        }
        let mut b = host(&[("etc/real/hostname", "inside\n")]);
        assert_eq!(counted(&b), 0);
        b.add_symlink("etc/up", "real").unwrap();
        b.add_symlink("etc/up", "real").unwrap();
        b.add_symlink("var/run", "/run").unwrap();
        assert_eq!(counted(&b), 2);
        assert_eq!(
            b.read(Path::new("/etc/up/hostname"), 100).unwrap(),
            b"inside\n"
        );
        // A file where the link was: no longer followed.
        b.add_file("etc/up", "a file\n").unwrap();
        assert_eq!(counted(&b), 1);
        assert!(b.read(Path::new("/etc/up/hostname"), 100).is_err());
        b.remove("var");
        assert_eq!(counted(&b), 0);
        b.add_symlink("etc/network", "real").unwrap();
        assert_eq!(counted(&b), 1);
        assert_eq!(
            b.read(Path::new("/etc/network/hostname"), 100).unwrap(),
            b"inside\n"
        );
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, "etc/up", "real").unwrap();
        let archive = tar.into_inner().unwrap();
        let from_tar = Bundle::from_tar(archive.as_slice(), "host.tar").unwrap();
        assert_eq!(counted(&from_tar), 1);
    }

    #[test]
    fn dot_dot_stops_at_the_root_of_the_bundle() {
        let mut b = host(&[
            ("etc/hostname", "inside\n"),
            (
                "etc/network/interfaces",
                "source ../../../../../../etc/hostname\nsource ../../../../x/*\n",
            ),
        ]);
        b.add_symlink("etc/up", "../../../../..").unwrap();
        assert_eq!(
            b.resolve(Path::new("/etc/up/etc/hostname")),
            Path::new("/etc/hostname")
        );
        assert_eq!(
            b.read(Path::new("/../../etc/hostname"), 100).unwrap(),
            b"inside\n"
        );
        let host = load(&Target::bundle(b));
        let texts: Vec<&str> = host.sources.iter().map(|(_, f)| f.text.as_str()).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert_eq!(texts[1], "inside\n");
    }

    #[test]
    fn absolute_symlinks_stay_in_the_bundle() {
        let mut b = host(&[("etc/sysctl.conf", "a = 1\n")]);
        b.add_symlink("etc/network/interfaces", "/proc/version")
            .unwrap();
        b.add_symlink("etc/sysctl.d/99-sysctl.conf", "/etc/sysctl.conf")
            .unwrap();
        assert_eq!(
            b.resolve(Path::new("/etc/network/interfaces")),
            Path::new("/proc/version")
        );
        assert!(!b.exists(Path::new("/etc/network/interfaces")));
        let host = load(&Target::bundle(b));
        assert!(host.interfaces.is_empty());
        for (_, file) in host.sources.iter() {
            assert!(!file.text.contains("Linux version"), "{}", file.display);
        }
        assert_eq!(host.sysctl.len(), 1);
        assert_eq!(
            host.read_errors[0].error.to_string(),
            "a symbolic link to nothing (under the root)"
        );
    }

    #[test]
    fn link_loops_are_an_error_not_a_hang() {
        let mut b = Bundle::new("host");
        b.add_symlink("etc/a", "b").unwrap();
        b.add_symlink("etc/b", "/etc/a").unwrap();
        b.add_symlink("etc/self", ".").unwrap();
        b.add_symlink("etc/network/interfaces", "/etc/a").unwrap();
        let err = b.confine(Path::new("/etc/a")).unwrap_err();
        assert!(matches!(refused(&err), Some(Refusal::TooManyLinks { .. })));
        assert!(b.kind(Path::new("/etc/a")).is_none());
        assert!(b.read(Path::new("/etc/a"), 10).is_err());
        // A link to its own directory is no loop: 40 of them are, one more is refused.
        let deep = format!("/etc{}", "/self".repeat(40));
        assert!(b.is_dir(Path::new(&deep)));
        assert!(!b.is_dir(Path::new(&format!("{deep}/self"))));
        let host = load(&Target::bundle(b));
        assert!(
            host.read_errors[0]
                .error
                .to_string()
                .contains("more than 40")
        );
    }

    #[test]
    fn oversized_and_special_files_are_refused_not_held() {
        let mut b = Bundle::new("host");
        b.add_large_file("etc/network/interfaces", 1 << 40).unwrap();
        b.add_file(
            "etc/modprobe.d/big.conf",
            vec![b'#'; (MAX_FILE_BYTES + 1) as usize],
        )
        .unwrap();
        b.add_special("etc/sysctl.d/fifo.conf").unwrap();
        assert!(b.bytes == 0, "the large file's bytes are not kept");
        let err = b
            .read(Path::new("/etc/network/interfaces"), MAX_FILE_BYTES)
            .unwrap_err();
        assert!(matches!(refused(&err), Some(Refusal::TooBig { .. })));
        assert!(err.to_string().starts_with("larger than 16 MiB"), "{err}");
        let err = b
            .read(Path::new("/etc/sysctl.d/fifo.conf"), 10)
            .unwrap_err();
        assert_eq!(refused(&err), Some(&Refusal::NotRegular));
        let err = b.read(Path::new("/etc/nothing"), 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = b
            .read(Path::new("/etc/modprobe.d/big.conf/x"), 10)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(20));
        let host = load(&Target::bundle(b));
        assert_eq!(host.read_errors.len(), 3, "{:?}", host.read_errors);
        assert!(host.sources.is_empty());
    }

    #[test]
    fn entries_with_dot_dot_or_through_a_file_are_refused() {
        let mut b = host(&[("etc/hosts", "x")]);
        assert!(matches!(
            b.add_file("../etc/x", "y"),
            Err(BundleError::BadPath(_))
        ));
        assert!(matches!(
            b.add_file("etc/../x", "y"),
            Err(BundleError::BadPath(_))
        ));
        assert!(matches!(
            b.add_file("etc/hosts/x", "y"),
            Err(BundleError::Conflict(_))
        ));
        assert!(matches!(
            b.add_file("etc", "y"),
            Err(BundleError::Conflict(_))
        ));
        b.add_symlink("lib", "/usr/lib").unwrap();
        assert!(matches!(
            b.add_file("lib/x", "y"),
            Err(BundleError::Conflict(_))
        ));
    }

    /// A tar archive with one entry whose name is written as it is, unchecked.
    fn raw_tar(name: &[u8], kind: tar::EntryType, link: Option<&[u8]>, data: &[u8]) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        {
            let gnu = header.as_gnu_mut().unwrap();
            gnu.name[..name.len()].copy_from_slice(name);
            if let Some(link) = link {
                gnu.linkname[..link.len()].copy_from_slice(link);
            }
        }
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder.append(&header, data).unwrap();
        builder.into_inner().unwrap()
    }

    #[test]
    fn a_tar_with_dot_dot_or_absolute_entries_is_refused() {
        for name in [&b"../etc/passwd"[..], b"etc/../../x", b"/etc/passwd"] {
            let archive = raw_tar(name, tar::EntryType::Regular, None, b"root:x:0:0\n");
            let err = Bundle::from_tar(archive.as_slice(), "a.tar").unwrap_err();
            assert!(matches!(err, BundleError::BadPath(_)), "{err}");
        }
        // A hard link to a file outside the archive is refused too.
        let archive = raw_tar(b"etc/x", tar::EntryType::Link, Some(b"/etc/shadow"), b"");
        assert!(matches!(
            Bundle::from_tar(archive.as_slice(), "a.tar"),
            Err(BundleError::BadHardLink(_))
        ));
    }

    #[test]
    fn a_tar_symlink_out_of_the_tree_reads_nothing_of_this_host() {
        let mut archive = raw_tar(
            b"etc/network/interfaces",
            tar::EntryType::Symlink,
            Some(b"../../../../../proc/version"),
            b"",
        );
        // Only the symlink is kept; the target never leaves the bundle.
        let b = Bundle::from_tar(archive.as_slice(), "a.tar").unwrap();
        assert_eq!(
            b.resolve(Path::new("/etc/network/interfaces")),
            Path::new("/proc/version")
        );
        assert!(b.read(Path::new("/etc/network/interfaces"), 100).is_err());
        // A truncated archive is an error, not a partial host.
        archive.truncate(600);
        assert!(Bundle::from_tar(archive.as_slice(), "a.tar").is_err());
    }

    #[test]
    fn a_tar_of_files_is_read_with_its_links_and_large_files_by_size() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut add = |path: &str, kind: tar::EntryType, link: Option<&str>, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if let Some(link) = link {
                h.set_link_name(link).unwrap();
            }
            builder.append_data(&mut h, path, data).unwrap();
        };
        add("./etc/", tar::EntryType::Directory, None, b"");
        add("./etc/modules", tar::EntryType::Regular, None, b"bonding\n");
        add(
            "./etc/modules-load.d/modules.conf",
            tar::EntryType::Symlink,
            Some("../modules"),
            b"",
        );
        add(
            "./etc/copy",
            tar::EntryType::Link,
            Some("./etc/modules"),
            b"",
        );
        add(
            "./etc/big",
            tar::EntryType::Regular,
            None,
            &vec![0; (MAX_FILE_BYTES + 1) as usize],
        );
        let archive = builder.into_inner().unwrap();
        let b = Bundle::from_tar(archive.as_slice(), "a.tar").unwrap();
        assert_eq!(b.read(Path::new("/etc/copy"), 100).unwrap(), b"bonding\n");
        assert!(matches!(
            b.nodes.get(Path::new("/etc/big")),
            Some(Node::Large(_))
        ));
        let host = load(&Target::bundle(b));
        assert_eq!(
            host.early_modules.len(),
            1,
            "read once, through either name"
        );
        assert_eq!(
            host.sources.iter().next().unwrap().1.shown,
            "a.tar/etc/modules-load.d/modules.conf"
        );
    }
}
