//! Finding modprobe.d files in kmod's order, and the parameters a module gets from them.
//!
//! kmod 30 (Debian 12) reads `/etc/modprobe.d`, `/run/modprobe.d`, `/usr/local/lib/modprobe.d`
//! and `/lib/modprobe.d`: the files whose names end in `.conf` or `.alias` and do not start with
//! `.` (`conf_files_filter_out` in libkmod-config.c; a directory is skipped). A file name found in
//! an earlier directory hides the same name in later ones (so `/etc/modprobe.d/x.conf` overrides
//! a packaged `/lib/modprobe.d/x.conf`, but not `/lib/modprobe.d/x.alias`); the remaining files
//! are read in the order of their names, whatever their directory.

use std::path::{Path, PathBuf};

use super::{Host, Root};
use crate::model::ModuleParam;
use crate::source::{FileId, Location};
use crate::syntax::modprobe::{self, Command, ModprobeFile, normalize_module};

pub const DIRS: &[&str] = &[
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// The files kmod reads, in order: `(host path, real path)`.
pub fn files(root: &Root) -> Vec<(String, PathBuf)> {
    super::conf_dir_files(root, DIRS, kmod_reads)
}

/// Whether kmod reads a file of this name in a modprobe.d directory.
fn kmod_reads(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".conf") || name.ends_with(".alias"))
}

pub fn load(root: &Root, host: &mut Host) {
    if !DIRS.iter().any(|d| root.resolve(Path::new(d)).is_dir()) {
        host.not_found.push("/etc/modprobe.d".to_string());
        return;
    }
    host.modprobe = super::read_all(host, root, files(root), modprobe::parse);
}

/// Where systemd-modules-load finds the modules to load at boot (the `.conf` files, names
/// masking across directories as for sysctl.d). Debian's `/etc/modules` is read through the
/// `/etc/modules-load.d/modules.conf` symlink to it.
pub const EARLY_DIRS: &[&str] = &[
    "/etc/modules-load.d",
    "/run/modules-load.d",
    "/usr/local/lib/modules-load.d",
    "/usr/lib/modules-load.d",
    "/lib/modules-load.d",
];

/// Module lists read outside those directories: `/etc/modules` itself (when no symlink
/// points at it) and the modules the initramfs loads before the root file system is mounted.
pub const EARLY_FILES: &[&str] = &["/etc/modules", "/etc/initramfs-tools/modules"];

/// The lists of modules loaded at boot, before ifupdown runs.
pub fn load_early(root: &Root, host: &mut Host) {
    let mut files = super::conf_dir_files(root, EARLY_DIRS, |name| {
        !name.starts_with('.') && name.ends_with(".conf")
    });
    for path in EARLY_FILES {
        let real = root.resolve(Path::new(path));
        if real.is_file() {
            files.push((path.to_string(), real));
        }
    }
    // One file under two names (Debian's modules.conf -> ../modules) is read once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(_, real)| {
        let key = real
            .canonicalize()
            .ok()
            .filter(|c| root.contains(c))
            .unwrap_or_else(|| real.clone());
        seen.insert(key)
    });
    host.early_modules = super::read_all(host, root, files, modprobe::parse_module_list);
}

/// Where the boot loads `module` from a module list, if anywhere.
pub fn loaded_early(lists: &[(FileId, modprobe::ModuleList)], module: &str) -> Option<Location> {
    let module = normalize_module(module);
    lists.iter().find_map(|(file, list)| {
        list.modules
            .iter()
            .find(|w| normalize_module(&w.text) == module)
            .map(|w| Location {
                file: *file,
                span: w.span,
            })
    })
}

/// The parameters a module is loaded with (`modprobe MODULE`), in the order the kernel receives
/// them: every `options MODULE ...` line in file order. The kernel applies them left to right,
/// so of a parameter given twice the last one wins. Options for an alias of the module
/// (`alias bond0 bonding` + `options bond0 ...`) apply only when it is loaded by that alias,
/// and are not included.
pub fn module_options(files: &[(FileId, ModprobeFile)], module: &str) -> Vec<ModuleParam> {
    let module = normalize_module(module);
    let mut out = Vec::new();
    for (file, parsed) in files {
        for command in &parsed.commands {
            let Command::Options { module: m, params } = command else {
                continue;
            };
            if normalize_module(&m.text) != module {
                continue;
            }
            for p in params {
                out.push(ModuleParam {
                    name: p.name.text.to_string(),
                    value: p
                        .value
                        .as_ref()
                        .map(|v| v.text.to_string())
                        .unwrap_or_default(),
                    location: Location {
                        file: *file,
                        span: p.span,
                    },
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn earlier_directory_masks_and_names_sort_across_directories() {
        let dir = tempfile::tempdir().unwrap();
        let put = |path: &str, text: &str| {
            let p = dir.path().join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        };
        put("etc/modprobe.d/b.conf", "options bonding miimon=100\n");
        put("lib/modprobe.d/b.conf", "options bonding miimon=999\n");
        put("lib/modprobe.d/a.conf", "options bonding mode=4\n");
        put("run/modprobe.d/c.conf", "options bonding miimon=200\n");
        put("lib/modprobe.d/b.alias", "options bonding lacp_rate=1\n");
        put("etc/modprobe.d/ignored.txt", "options bonding miimon=1\n");
        put("etc/modprobe.d/.hidden.conf", "options bonding miimon=2\n");
        put(
            "etc/modprobe.d/dir.conf/x.conf",
            "options bonding miimon=3\n",
        );
        let root = Root::new(dir.path());
        let names: Vec<String> = files(&root).into_iter().map(|(d, _)| d).collect();
        assert_eq!(
            names,
            [
                "/lib/modprobe.d/a.conf",
                "/lib/modprobe.d/b.alias",
                "/etc/modprobe.d/b.conf",
                "/run/modprobe.d/c.conf"
            ]
        );
        let mut host = Host::default();
        load(&root, &mut host);
        let params = module_options(&host.modprobe, "bonding");
        let got: Vec<String> = params
            .iter()
            .map(|p| format!("{}={}", p.name, p.value))
            .collect();
        assert_eq!(got, ["mode=4", "lacp_rate=1", "miimon=100", "miimon=200"]);
    }

    #[test]
    fn missing_directories_are_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut host = Host::default();
        load(&Root::new(dir.path()), &mut host);
        assert_eq!(host.not_found, ["/etc/modprobe.d"]);
    }
}
