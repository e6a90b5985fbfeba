//! The one interface the loaders read a host's files through, in the host's own path space
//! (`/etc/network/interfaces`), whatever holds them: a directory (`Root`: `/`, a mounted image,
//! a checkout) or an in-memory `Bundle` (built in code or from a tar archive, what `audit` will
//! collect over SSH).
//!
//! What makes two implementations agree is that the part with semantics is written once here:
//! symbolic links are resolved by [`walk`] as a chroot would, and the refusals of
//! [`read_bounded`] are the same values for both. An implementation answers only the primitive
//! questions: is this path a link and to what, what kind of thing is there, what are its bytes.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// What a path names, after following symbolic links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A FIFO, a device or a socket: listed, never read.
    Other,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The name as the file system has it, not necessarily UTF-8.
    pub name: OsString,
    /// Whether the entry itself is a symbolic link (its target's kind comes from
    /// [`HostFs::kind`], which follows it inside the tree).
    pub is_symlink: bool,
}

/// Why a file was refused rather than read: carried inside the `io::Error` a read returns
/// (`io::Error::other`), so the message shown is the same for every implementation and
/// callers can still tell the cases apart with [`refusal`]. Absence and permissions stay
/// ordinary `io::ErrorKind::NotFound` and `PermissionDenied` errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A FIFO, device or directory: reading would block, never end, or mean nothing.
    NotRegular,
    /// Larger than the bound given to the read.
    TooBig { limit: u64 },
    /// More than [`MAX_LINKS`] symbolic links in one lookup (a loop).
    TooManyLinks { path: PathBuf },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotRegular => {
                f.write_str("not a regular file (a FIFO, device or directory), not read")
            }
            Refusal::TooBig { limit } => {
                let size = if *limit >= 1 << 20 {
                    format!("{} MiB", limit >> 20)
                } else {
                    format!("{} KiB", limit >> 10)
                };
                write!(
                    f,
                    "larger than {size}, not read: a configuration file is far smaller"
                )
            }
            Refusal::TooManyLinks { path } => write!(
                f,
                "more than {MAX_LINKS} symbolic links resolving {} under the root",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for io::Error {
    fn from(refusal: Refusal) -> Self {
        io::Error::other(refusal)
    }
}

/// The refusal inside an error from [`HostFs::read`] or [`HostFs::confine`], if it is one.
pub fn refusal(error: &io::Error) -> Option<&Refusal> {
    error.get_ref()?.downcast_ref::<Refusal>()
}

/// Linux's own limit on symbolic links in one lookup.
pub const MAX_LINKS: usize = crate::limits::MAX_SYMLINKS;

/// A host's files, addressed by host paths. Absolute paths are inside the host; what a
/// relative path means is the implementation's (for a directory root: a file outside the tree
/// named on the command line, read as it is; for a bundle: nothing).
pub trait HostFs: std::fmt::Debug {
    /// The symbolic link's target when `path` itself (its last component, its parents
    /// resolved inside the tree) is a link.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;

    /// What `path` names, following links inside the tree; `None` when nothing is there or
    /// the path cannot be resolved.
    fn kind(&self, path: &Path) -> Option<Kind>;

    /// The entries of a directory, in no particular order.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<Entry>>;

    /// The bytes of a regular file of at most `limit` bytes (see [`Refusal`]).
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>>;

    /// The host path with every symbolic link resolved as a chroot would: `..` stops at the
    /// root, absolute link targets are taken under the root, at most [`MAX_LINKS`] links.
    fn confine(&self, path: &Path) -> io::Result<PathBuf>;

    /// A stable name for the file `path` reaches, whichever link or `..` led there: two paths
    /// naming one file have the same identity (read-once semantics, include cycles).
    fn identity(&self, path: &Path) -> PathBuf {
        self.confine(path).unwrap_or_else(|_| path.to_path_buf())
    }

    /// The path a user can open (or recognise) for a host path: under the root as they named
    /// it.
    fn shown(&self, path: &Path) -> String;

    /// What the user named: the directory, the archive.
    fn label(&self) -> String;

    /// Whether this is the running system's own `/`.
    fn is_system(&self) -> bool {
        false
    }

    /// [`HostFs::confine`], or a path that exists nowhere when the path cannot be resolved (a
    /// link loop).
    fn resolve(&self, path: &Path) -> PathBuf {
        self.confine(path)
            .unwrap_or_else(|_| PathBuf::from("/.netvet-unresolvable"))
    }

    fn exists(&self, path: &Path) -> bool {
        self.kind(path).is_some()
    }

    fn is_file(&self, path: &Path) -> bool {
        self.kind(path) == Some(Kind::File)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.kind(path) == Some(Kind::Dir)
    }

    fn is_symlink(&self, path: &Path) -> bool {
        self.read_link(path).is_ok()
    }
}

/// Resolve a host path as a chroot would, asking `link_of` whether a path whose parents are
/// already resolved is a symbolic link (and to what). The one place these semantics live: every
/// [`HostFs`] resolves through it.
pub fn walk(
    host_path: &Path,
    link_of: &dyn Fn(&Path) -> io::Result<Option<PathBuf>>,
) -> io::Result<PathBuf> {
    let mut inside: Vec<OsString> = Vec::new();
    let mut pending: VecDeque<OsString> = VecDeque::new();
    let push_components = |pending: &mut VecDeque<_>, path: &Path, front: bool| {
        let parts: Vec<OsString> = path
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some("..".into()),
                _ => None,
            })
            .collect();
        if front {
            for part in parts.into_iter().rev() {
                pending.push_front(part);
            }
        } else {
            pending.extend(parts);
        }
    };
    push_components(&mut pending, host_path, false);
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            inside.pop();
            continue;
        }
        let mut candidate = PathBuf::from("/");
        candidate.extend(&inside);
        candidate.push(&part);
        match link_of(&candidate)? {
            Some(target) => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Refusal::TooManyLinks {
                        path: host_path.to_path_buf(),
                    }
                    .into());
                }
                if target.is_absolute() {
                    inside.clear();
                }
                push_components(&mut pending, &target, true);
            }
            None => inside.push(part),
        }
    }
    let mut out = PathBuf::from("/");
    out.extend(&inside);
    Ok(out)
}

/// `bytes` if they are at most `limit`, the [`Refusal::TooBig`] otherwise.
pub fn bounded(bytes: Vec<u8>, limit: u64) -> io::Result<Vec<u8>> {
    if bytes.len() as u64 > limit {
        return Err(Refusal::TooBig { limit }.into());
    }
    Ok(bytes)
}

/// Read at most `limit` bytes (and one more, to tell a file of exactly `limit` from a larger
/// one) from a reader. `expected` is the size the file says it has: the buffer starts that
/// large (within the limit), so reading a large file does not leave it up to twice its size.
pub fn read_bounded(reader: impl io::Read, limit: u64, expected: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    // One byte more: read_to_end then ends without growing the buffer to probe for the end.
    let start = usize::try_from(expected.min(limit) + 1).unwrap_or(0);
    let mut bytes = Vec::with_capacity(start);
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    bounded(bytes, limit)
}

/// The error a missing path gives on Linux, with the same text for every implementation.
pub(crate) fn not_found() -> io::Error {
    io::Error::from_raw_os_error(2)
}

/// The error a path through a file gives on Linux (ENOTDIR).
pub(crate) fn not_a_directory() -> io::Error {
    io::Error::from_raw_os_error(20)
}

/// The error a symbolic link lookup on something else gives on Linux (EINVAL).
pub(crate) fn not_a_link() -> io::Error {
    io::Error::from_raw_os_error(22)
}
