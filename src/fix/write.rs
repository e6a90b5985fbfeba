//! Writing a fixed file so that no moment leaves it torn: the new text goes to a hidden
//! temporary file beside it (a dot-file, which no `source` glob, `source-directory`,
//! modprobe.d or sysctl.d name filter reads), is synced, takes the old file's owner, group,
//! mode and extended attributes (the SELinux label), and replaces it by `rename(2)`; then the
//! directory is synced. A SIGKILL at any moment leaves the old file or the whole new one.
//!
//! The old file is first copied to the backup directory (`/var/backups/netvet` under the root),
//! at its host path with a timestamp, never beside the original.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::load::{HostFs, Root};

/// Where a fixed file went and where its old text is kept.
#[derive(Debug)]
pub struct Written {
    pub shown: String,
    pub backup: PathBuf,
}

/// Why a file was not written. Nothing of it was changed.
#[derive(Debug)]
pub struct WriteError {
    pub shown: String,
    pub error: io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (the file was left as it was)",
            self.shown, self.error
        )
    }
}

/// The default backup directory, a host path.
pub const BACKUP_DIR: &str = "/var/backups/netvet";

/// Write `after` over the file at `host_path` under `root`, if it still holds `before`.
/// `backup_dir` is a directory on this machine.
pub fn replace(
    root: &Root,
    host_path: &Path,
    shown: &str,
    before: &str,
    after: &str,
    backup_dir: &Path,
    stamp: &str,
) -> Result<Written, WriteError> {
    let fail = |error: io::Error| WriteError {
        shown: shown.to_string(),
        error,
    };
    let real = real_path(root, host_path).map_err(fail)?;
    let meta = fs::symlink_metadata(&real).map_err(fail)?;
    if !meta.is_file() {
        return Err(fail(io::Error::other(
            "not a regular file after resolving its links",
        )));
    }
    // Another program may have changed it since it was checked: the fixes were verified
    // against the text read, not this one.
    let current = fs::read(&real).map_err(fail)?;
    if current != before.as_bytes() {
        return Err(fail(io::Error::other(
            "changed on disk since netvet read it; run netvet fix again",
        )));
    }
    let backup =
        save_backup(&backup_path(backup_dir, host_path, stamp), &current, &meta).map_err(fail)?;
    replace_atomically(&real, after.as_bytes(), &meta).map_err(fail)?;
    Ok(Written {
        shown: shown.to_string(),
        backup,
    })
}

/// Add the file at `host_path` under `root` with `text`, as a whole: written to a hidden
/// temporary file beside it, synced, then linked into place (which fails rather than replace a
/// file that appeared meanwhile), and the directory synced. Mode 0644, as Debian ships
/// configuration files.
pub fn create(root: &Root, host_path: &Path, shown: &str, text: &str) -> Result<(), WriteError> {
    let fail = |error: io::Error| WriteError {
        shown: shown.to_string(),
        error,
    };
    let (Some(parent), Some(name)) = (host_path.parent(), host_path.file_name()) else {
        return Err(fail(io::Error::other("not a file path")));
    };
    // Its directory, created where the tree lacks it (a checkout without /etc/modprobe.d),
    // resolved inside the root like every path.
    let dir = if root.is_system() {
        parent.to_path_buf()
    } else {
        root.real(parent).map_err(fail)?
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&dir)
        .map_err(fail)?;
    let dir = fs::canonicalize(&dir).map_err(fail)?;
    if !root.is_system() && !dir.starts_with(root.dir()) {
        return Err(fail(io::Error::other(
            "its directory resolves outside the root",
        )));
    }
    let real = dir.join(name);
    let temp = dir.join(format!(
        ".{}.netvet-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::hard_link(&temp, &real)?;
        fs::remove_file(&temp)?;
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(fail)
}

/// The file on this machine for a host path: its links resolved inside the root (on `/`, as
/// the kernel resolves them), so that a symlinked file is edited at its target.
fn real_path(root: &Root, host_path: &Path) -> io::Result<PathBuf> {
    if root.is_system() {
        return fs::canonicalize(host_path);
    }
    root.real(&root.confine(host_path)?)
}

/// `DIR/etc/network/interfaces.20261205T003000Z`: the host path kept, a UTC timestamp added.
pub fn backup_path(backup_dir: &Path, host_path: &Path, stamp: &str) -> PathBuf {
    let relative = host_path.strip_prefix("/").unwrap_or(host_path);
    let mut name = relative.as_os_str().to_os_string();
    name.push(".");
    name.push(stamp);
    backup_dir.join(name)
}

/// Now as `20261205T003000Z`.
pub fn timestamp() -> String {
    stamp_of(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// Seconds since the epoch as `20261205T003000Z`: RFC 3339 without the separators a file
/// name is better without.
fn stamp_of(secs: u64) -> String {
    crate::snapshot::rfc3339(secs).replace(['-', ':'], "")
}

/// Copy the old text to `backup`, or to `backup.1`, `backup.2` ... when runs in the same second
/// already kept one there; never over an existing file. Returns where it went.
fn save_backup(backup: &Path, bytes: &[u8], meta: &fs::Metadata) -> io::Result<PathBuf> {
    let dir = backup.parent().expect("a backup path has a directory");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut path = backup.to_path_buf();
    let mut n = 0;
    let mut file = loop {
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(meta.mode() & 0o600)
            .open(&path)
        {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => {
                n += 1;
                let mut name = backup.as_os_str().to_os_string();
                name.push(format!(".{n}"));
                path = PathBuf::from(name);
            }
            other => break other?,
        }
    };
    file.write_all(bytes)?;
    file.sync_all()?;
    File::open(dir)?.sync_all()?;
    Ok(path)
}

/// Replace `real` by a file holding `bytes` with `meta`'s owner, mode and extended attributes.
fn replace_atomically(real: &Path, bytes: &[u8], meta: &fs::Metadata) -> io::Result<()> {
    let dir = real.parent().unwrap_or(Path::new("/"));
    let name = real.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.netvet-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(bytes)?;
        std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()))?;
        file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        copy_xattrs(real, &temp)?;
        file.sync_all()?;
        fs::rename(&temp, real)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Every extended attribute of `from` onto `to` (`security.selinux` among them). A file system
/// without extended attributes has none to copy.
fn copy_xattrs(from: &Path, to: &Path) -> io::Result<()> {
    let names = match xattr::list(from) {
        Ok(names) => names,
        Err(e) if e.raw_os_error() == Some(95) => return Ok(()), // EOPNOTSUPP
        Err(e) => return Err(e),
    };
    for name in names {
        if let Some(value) = xattr::get(from, &name)? {
            xattr::set(to, &name, &value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_keep_the_host_path_under_the_backup_directory() {
        assert_eq!(
            backup_path(
                Path::new("/r/var/backups/netvet"),
                Path::new("/etc/network/interfaces"),
                "20261205T003000Z"
            ),
            Path::new("/r/var/backups/netvet/etc/network/interfaces.20261205T003000Z")
        );
    }

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(stamp_of(0), "19700101T000000Z");
        // As `date -u -d @SECONDS` prints them: a year's last second, a leap day, today.
        assert_eq!(stamp_of(1_798_761_599), "20261231T235959Z");
        assert_eq!(stamp_of(951_782_400), "20000229T000000Z");
        assert_eq!(stamp_of(1_796_430_645), "20261205T003045Z");
    }
}
