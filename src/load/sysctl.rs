//! Finding sysctl files in the order they are applied at boot, and the value each key ends up
//! with.
//!
//! Debian 12 applies sysctls at boot with systemd-sysctl (systemd 252), which reads `*.conf` in
//! `/etc/sysctl.d`, `/run/sysctl.d`, `/usr/local/lib/sysctl.d`, `/usr/lib/sysctl.d` and (on a
//! tree without merged /usr) `/lib/sysctl.d`. A file name in an earlier directory hides the same
//! name in later ones; a file that is a link to /dev/null hides it and applies nothing. The
//! remaining files are applied in the order of their names, whatever their directory, and a
//! later assignment of a key replaces an earlier one. `/etc/sysctl.conf` is read through
//! Debian's `/etc/sysctl.d/99-sysctl.conf` link to it; where that link is missing it is read
//! last, as `sysctl --system` does.

use std::path::{Path, PathBuf};

use super::{Host, HostFs};
use crate::source::{FileId, Location};
use crate::syntax::sysctl::{self, SysctlFile};

pub const DIRS: &[&str] = &[
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];

/// Where a link inside the root points, resolved inside the root (an absolute target such as
/// `/etc/sysctl.conf` must not escape to the real host).
fn resolve_in_root(root: &dyn HostFs, real: &Path) -> PathBuf {
    let mut path = real.to_path_buf();
    for _ in 0..8 {
        let Ok(target) = root.read_link(&path) else {
            return path;
        };
        path = if target.is_absolute() {
            root.resolve(&target)
        } else {
            path.parent().map_or(target.clone(), |p| p.join(&target))
        };
    }
    path
}

/// The files applied, in order: `(host path as named, host path to read)`.
pub fn files(root: &dyn HostFs) -> Vec<(String, PathBuf)> {
    let dev_null = root.resolve(Path::new("/dev/null"));
    let mut files: Vec<(String, PathBuf)> =
        super::conf_dir_files(root, DIRS, |name| name.ends_with(".conf"))
            .into_iter()
            .map(|(display, real)| (display, resolve_in_root(root, &real)))
            .filter(|(_, target)| target != Path::new("/dev/null") && *target != dev_null)
            .collect();
    let conf = root.resolve(Path::new("/etc/sysctl.conf"));
    let same = |a: &Path| root.identity(a) == root.identity(&conf);
    if root.is_file(&conf) && !files.iter().any(|(_, real)| same(real)) {
        files.push(("/etc/sysctl.conf".to_string(), conf));
    }
    files
}

pub fn load(root: &dyn HostFs, host: &mut Host) {
    let files = files(root);
    if files.is_empty()
        && !DIRS
            .iter()
            .any(|d| root.is_dir(&root.resolve(Path::new(d))))
    {
        host.not_found.push("/etc/sysctl.d".to_string());
        return;
    }
    super::check_dirs_readable(root, host, DIRS);
    host.sysctl = super::read_all(host, root, files, sysctl::parse);
}

/// One assignment of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub location: Location,
    /// Set through a glob entry (`net.ipv6.conf.*.accept_ra`).
    pub from_glob: bool,
}

/// The configured sysctls, with every assignment kept in application order.
#[derive(Debug, Default)]
pub struct SysctlSettings {
    explicit: Vec<Setting>,
    globs: Vec<(glob::Pattern, Setting)>,
}

impl SysctlSettings {
    pub fn new(files: &[(FileId, SysctlFile)]) -> Self {
        let mut settings = SysctlSettings::default();
        for (file, parsed) in files {
            for entry in &parsed.entries {
                let Some(value) = &entry.value else { continue };
                let setting = Setting {
                    name: entry.name.clone(),
                    value: value.text.to_string(),
                    location: Location {
                        file: *file,
                        span: entry.span,
                    },
                    from_glob: entry.glob,
                };
                if entry.glob {
                    if let Ok(pattern) = glob::Pattern::new(&entry.name) {
                        settings.globs.push((pattern, setting));
                    }
                } else {
                    settings.explicit.push(setting);
                }
            }
        }
        settings
    }

    /// Every assignment that applies to `name`, in application order. systemd applies glob
    /// entries only to keys that no explicit entry sets, so those come first and an explicit
    /// assignment always wins over a glob.
    pub fn all(&self, name: &str) -> Vec<&Setting> {
        let explicit: Vec<&Setting> = self.explicit.iter().filter(|s| s.name == name).collect();
        if !explicit.is_empty() {
            return explicit;
        }
        self.globs
            .iter()
            .filter(|(p, _)| p.matches(name))
            .map(|(_, s)| s)
            .collect()
    }

    /// The value `name` ends up with, and where it was set.
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.all(name).into_iter().last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Root;
    use std::fs;

    use crate::load::test_tree as tree;

    #[test]
    fn precedence_masking_and_last_assignment() {
        let dir = tree(&[
            (
                "usr/lib/sysctl.d/50-default.conf",
                "net.ipv6.bindv6only = 0\n",
            ),
            ("etc/sysctl.d/50-default.conf", "net.ipv6.bindv6only = 1\n"),
            (
                "usr/lib/sysctl.d/10-a.conf",
                "net.ipv6.conf.*.accept_ra = 0\n",
            ),
            (
                "run/sysctl.d/90-b.conf",
                "net.ipv6.bindv6only = 0\nnet.ipv6.conf.eth0.accept_ra = 2\n",
            ),
            (
                "usr/lib/sysctl.d/95-masked.conf",
                "net.ipv6.bindv6only = 1\n",
            ),
            ("etc/sysctl.conf", "net.ipv4.ip_forward = 1\n"),
        ]);
        std::os::unix::fs::symlink("/dev/null", dir.path().join("etc/sysctl.d/95-masked.conf"))
            .unwrap();
        std::os::unix::fs::symlink(
            "../sysctl.conf",
            dir.path().join("etc/sysctl.d/99-sysctl.conf"),
        )
        .unwrap();
        let root = Root::new(dir.path());
        let names: Vec<String> = files(&root).into_iter().map(|(d, _)| d).collect();
        assert_eq!(
            names,
            [
                "/usr/lib/sysctl.d/10-a.conf",
                "/etc/sysctl.d/50-default.conf",
                "/run/sysctl.d/90-b.conf",
                "/etc/sysctl.d/99-sysctl.conf",
            ]
        );
        let mut host = Host::default();
        load(&root, &mut host);
        let settings = SysctlSettings::new(&host.sysctl);
        let all = settings.all("net.ipv6.bindv6only");
        assert_eq!(all.len(), 2);
        assert_eq!(settings.get("net.ipv6.bindv6only").unwrap().value, "0");
        assert_eq!(settings.get("net.ipv4.ip_forward").unwrap().value, "1");
        // An explicit key beats a glob, whatever the order; other keys get the glob.
        assert_eq!(
            settings.get("net.ipv6.conf.eth0.accept_ra").unwrap().value,
            "2"
        );
        assert!(
            settings
                .get("net.ipv6.conf.eth1.accept_ra")
                .unwrap()
                .from_glob
        );
    }

    #[test]
    fn absolute_links_stay_inside_the_root() {
        let dir = tree(&[("etc/sysctl.conf", "a = 1\n")]);
        fs::create_dir_all(dir.path().join("etc/sysctl.d")).unwrap();
        std::os::unix::fs::symlink(
            "/etc/sysctl.conf",
            dir.path().join("etc/sysctl.d/99-sysctl.conf"),
        )
        .unwrap();
        let root = Root::new(dir.path());
        let files = files(&root);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].1, Path::new("/etc/sysctl.conf"));
    }

    #[test]
    fn nothing_there_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut host = Host::default();
        load(&Root::new(dir.path()), &mut host);
        assert_eq!(host.not_found, ["/etc/sysctl.d"]);
    }
}
