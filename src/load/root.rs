//! A host tree in a directory: `/` on a live host, a mounted image or a checkout. The only
//! [`HostFs`] that touches the real file system, and the only place in `load/` that calls
//! `std::fs`.

use std::io;
use std::path::{Path, PathBuf};

use super::fs::{Entry, HostFs, Kind, Refusal, read_bounded, walk};

/// The file system tree netvet reads, `/` on a live host or a mounted image / checkout.
///
/// Host paths (`/etc/network/interfaces`) are read under the directory as a chroot would. A
/// relative path names a file outside the tree, read as it is from where netvet runs: a lone
/// interfaces file given on the command line and what it sources relative to itself (read
/// through the system root: a file inside a tree is checked with its tree, [`Root::of_file`]).
#[derive(Clone, Debug)]
pub struct Root {
    dir: PathBuf,
    /// The directory as the user named it, for paths they can open.
    given: PathBuf,
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let given = dir.into();
        // Canonical, so that a path given under it strips back to a host path.
        Root {
            dir: given.canonicalize().unwrap_or_else(|_| given.clone()),
            given,
        }
    }

    pub fn system() -> Self {
        Root::new("/")
    }

    /// The host tree a file named on the command line belongs to: the directory holding the
    /// nearest directory called `etc` on its path, as the user spelt it
    /// (`hosts/web1/etc/modprobe.d/bonding.conf` is in `hosts/web1`, `/etc/sysctl.conf` in
    /// `/`). `None` for a path through no `etc` directory: a bare file. Decided from the path
    /// alone, so a repository of host trees maps every changed file to its host without
    /// reading anything.
    pub fn of_file(path: &Path) -> Option<Root> {
        let parent = path.parent()?;
        let etc = parent
            .ancestors()
            .find(|dir| dir.file_name().is_some_and(|name| name == "etc"))?;
        let root = etc.parent()?;
        Some(Root::new(if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory as the user named it.
    pub fn given(&self) -> &Path {
        &self.given
    }

    pub fn is_system(&self) -> bool {
        self.dir == Path::new("/")
    }

    /// Where a host path is on this machine, its links resolved inside the tree.
    pub fn real(&self, path: &Path) -> io::Result<PathBuf> {
        if self.is_system() || path.is_relative() {
            return Ok(path.to_path_buf());
        }
        let host = HostFs::confine(self, path)?;
        Ok(self.under(&host))
    }

    /// The real path of a host path whose links are already resolved.
    fn under(&self, host: &Path) -> PathBuf {
        self.dir.join(host.strip_prefix("/").unwrap_or(host))
    }
}

impl HostFs for Root {
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        if self.is_system() || path.is_relative() {
            return std::fs::read_link(path);
        }
        let real = match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => self.real(parent)?.join(name),
            _ => self.real(path)?,
        };
        std::fs::read_link(real)
    }

    fn kind(&self, path: &Path) -> Option<Kind> {
        let meta = std::fs::metadata(self.real(path).ok()?).ok()?;
        Some(if meta.is_file() {
            Kind::File
        } else if meta.is_dir() {
            Kind::Dir
        } else {
            Kind::Other
        })
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<Entry>> {
        Ok(std::fs::read_dir(self.real(path)?)?
            .filter_map(Result::ok)
            .map(|e| Entry {
                name: e.file_name(),
                is_symlink: e.file_type().is_ok_and(|t| t.is_symlink()),
            })
            .collect())
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let real = self.real(path)?;
        // A FIFO or a device would block or never end: refused before it is opened.
        let meta = std::fs::metadata(&real)?;
        if !meta.is_file() {
            return Err(Refusal::NotRegular.into());
        }
        read_bounded(std::fs::File::open(&real)?, limit, meta.len())
    }

    fn confine(&self, path: &Path) -> io::Result<PathBuf> {
        if self.is_system() {
            return Ok(Path::new("/").join(path));
        }
        if path.is_relative() {
            return Ok(path.to_path_buf());
        }
        walk(path, &|candidate| {
            let real = self.under(candidate);
            match std::fs::symlink_metadata(&real) {
                Ok(meta) if meta.file_type().is_symlink() => std::fs::read_link(&real).map(Some),
                _ => Ok(None),
            }
        })
    }

    fn identity(&self, path: &Path) -> PathBuf {
        if self.is_system() || path.is_relative() {
            return path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        }
        HostFs::confine(self, path).unwrap_or_else(|_| path.to_path_buf())
    }

    fn shown(&self, path: &Path) -> String {
        if self.is_system() || path.is_relative() {
            return path.display().to_string();
        }
        self.given
            .join(path.strip_prefix("/").unwrap_or(path))
            .display()
            .to_string()
    }

    fn label(&self) -> String {
        self.given.display().to_string()
    }

    fn is_system(&self) -> bool {
        Root::is_system(self)
    }
}

/// The current directory, for `source` lines of standard input.
pub(super) fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_of(path: &str) -> Option<PathBuf> {
        Root::of_file(Path::new(path)).map(|root| root.given().to_path_buf())
    }

    #[test]
    fn a_file_belongs_to_the_tree_above_its_nearest_etc() {
        let cases = [
            ("hosts/web1/etc/modprobe.d/bonding.conf", Some("hosts/web1")),
            ("hosts/web1/etc/network/interfaces", Some("hosts/web1")),
            (
                "hosts/web1/etc/network/interfaces.d/bond0",
                Some("hosts/web1"),
            ),
            ("web1/etc/sysctl.conf", Some("web1")),
            ("etc/network/interfaces", Some(".")),
            ("/etc/sysctl.d/99-ipv6.conf", Some("/")),
            // The nearest `etc` decides: a repository that itself lives under an etc.
            ("/srv/etc/hosts/db1/etc/modules", Some("/srv/etc/hosts/db1")),
            ("../fleet/db1/etc/modprobe.d/b.conf", Some("../fleet/db1")),
        ];
        for (path, root) in cases {
            assert_eq!(root_of(path), root.map(PathBuf::from), "{path}");
        }
    }

    #[test]
    fn a_file_through_no_etc_directory_is_bare() {
        for path in [
            "interfaces",
            "hosts/web1/interfaces",
            "hosts/etc-backup/interfaces",
            "hosts/web1/etc",
            "/",
        ] {
            assert_eq!(root_of(path), None, "{path}");
        }
    }
}
