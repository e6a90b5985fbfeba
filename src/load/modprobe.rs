//! Finding modprobe.d files in kmod's order, and the parameters a module gets from them.
//!
//! kmod 30 (Debian 12) reads `/etc/modprobe.d`, `/run/modprobe.d`, `/usr/local/lib/modprobe.d`
//! and `/lib/modprobe.d`: the files whose names end in `.conf` or `.alias` and do not start with
//! `.` (`conf_files_filter_out` in libkmod-config.c; a directory is skipped). A file name found in
//! an earlier directory hides the same name in later ones (so `/etc/modprobe.d/x.conf` overrides
//! a packaged `/lib/modprobe.d/x.conf`, but not `/lib/modprobe.d/x.alias`); the remaining files
//! are read in the order of their names, whatever their directory.

use std::path::{Path, PathBuf};

use super::{Host, HostFs};
use crate::source::{FileId, Location};
use crate::syntax::modprobe::{self, Command, ModprobeFile, normalize_module};

pub const DIRS: &[&str] = &[
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// The files kmod reads, in order: `(host path as named, host path to read)`.
pub fn files(root: &dyn HostFs) -> Vec<(String, PathBuf)> {
    super::conf_dir_files(root, DIRS, kmod_reads)
}

/// Whether kmod reads a file of this name in a modprobe.d directory.
fn kmod_reads(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".conf") || name.ends_with(".alias"))
}

pub fn load(root: &dyn HostFs, host: &mut Host) {
    if !DIRS
        .iter()
        .any(|d| root.is_dir(&root.resolve(Path::new(d))))
    {
        host.not_found.push("/etc/modprobe.d".to_string());
        return;
    }
    super::check_dirs_readable(root, host, DIRS);
    host.modprobe = super::read_all(host, root, files(root), modprobe::parse);
    load_unread(root, host);
}

use crate::limits::{
    MODPROBE_UNREAD_MAX_BYTES as UNREAD_MAX_BYTES,
    MODPROBE_UNREAD_MAX_ENTRIES as UNREAD_MAX_ENTRIES,
};

/// The files kmod skips in the modprobe.d directories (hidden files, other endings, and the
/// files of their subdirectories, one level down) that configure bonding: someone meant them
/// to be read. Each is size-limited (a larger one, or a directory with more entries than
/// netvet looks at, is said in a note); unreadable or irrelevant ones are passed over.
fn load_unread(root: &dyn HostFs, host: &mut Host) {
    let mut candidates = Vec::new();
    for dir in DIRS {
        let real_dir = root.resolve(Path::new(dir));
        for (name, real) in entries(root, host, &real_dir, dir) {
            if root.is_dir(&real) {
                let shown = format!("{dir}/{name}");
                for (sub, sub_real) in entries(root, host, &real, &shown) {
                    if root.is_file(&sub_real) {
                        candidates.push((format!("{dir}/{name}/{sub}"), sub_real));
                    }
                }
            } else if !kmod_reads(&name) && root.is_file(&real) {
                candidates.push((format!("{dir}/{name}"), real));
            }
        }
    }
    for (display, real) in candidates {
        let bytes = match root.read(&real, UNREAD_MAX_BYTES) {
            Ok(bytes) => bytes,
            Err(error) => {
                if let Some(super::fs::Refusal::TooBig { .. }) = super::fs::refusal(&error) {
                    host.notes.push(format!(
                        "{display} is larger than {} KiB: kmod never reads it, and netvet did not \
                         look in it for bonding options meant for kmod (NV132)",
                        UNREAD_MAX_BYTES >> 10
                    ));
                }
                continue;
            }
        };
        if !mentions_bonding(&modprobe::parse(&String::from_utf8_lossy(&bytes))) {
            continue;
        }
        let id = host
            .sources
            .add(crate::source::SourceFile::new(display, real, bytes));
        let parsed = modprobe::parse(&host.sources.get(id).text);
        host.modprobe_unread.push((id, parsed));
    }
}

/// A directory's entries in name order, the first [`UNREAD_MAX_ENTRIES`] of them; more is
/// said in a note.
fn entries(root: &dyn HostFs, host: &mut Host, dir: &Path, shown: &str) -> Vec<(String, PathBuf)> {
    let Ok(read) = root.read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = read
        .into_iter()
        .map(|e| (e.name.to_string_lossy().into_owned(), dir.join(e.name)))
        .collect();
    out.sort();
    if out.len() > UNREAD_MAX_ENTRIES {
        host.notes.push(format!(
            "{shown} has {} entries: netvet looked at the first {UNREAD_MAX_ENTRIES} by name for \
             files kmod skips that configure bonding (NV132), not at the rest",
            out.len()
        ));
        out.truncate(UNREAD_MAX_ENTRIES);
    }
    out
}

/// Whether a file has `options` for bonding (or a name meant for it, `options bond0`) or an
/// `alias ... bonding`.
pub fn mentions_bonding(file: &ModprobeFile) -> bool {
    file.commands.iter().any(|c| match c {
        Command::Options { module, .. } => {
            let name = module.text.split('=').next().unwrap_or_default();
            normalize_module(name) == "bonding" || meant_for_bonding(name)
        }
        Command::Alias { module, .. } => normalize_module(&module.text) == "bonding",
        _ => false,
    })
}

/// Whether a module name that is not `bonding` looks meant for it: a bond's name (`bond0`,
/// `bond_lan`), `bonding.ko`, `bonding.miimon`, or a typo of `bonding` (`bondig`, `bnoding`).
pub fn meant_for_bonding(name: &str) -> bool {
    // kmod compares names byte for byte: `Bonding` is not `bonding`.
    if normalize_module(name) == "bonding" {
        return false;
    }
    let name = normalize_module(&name.to_ascii_lowercase());
    // Within two edits of `bonding`, so 5 to 9 characters long (the length check first: a
    // hostile name of megabytes is not compared).
    name.starts_with("bond")
        || ((5..=9).contains(&name.chars().count())
            && crate::syntax::methods::edit_distance(&name, "bonding") <= 2)
}

/// One `options bonding NAME=VALUE` module parameter from modprobe.d.
#[derive(Clone, Debug)]
pub struct ModuleParam {
    pub name: String,
    pub value: String,
    pub location: Location,
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
pub fn load_early(root: &dyn HostFs, host: &mut Host) {
    let mut files = super::conf_dir_files(root, EARLY_DIRS, |name| {
        !name.starts_with('.') && name.ends_with(".conf")
    });
    for path in EARLY_FILES {
        let real = root.resolve(Path::new(path));
        if root.is_file(&real) {
            files.push((path.to_string(), real));
        }
    }
    // One file under two names (Debian's modules.conf -> ../modules) is read once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(_, real)| seen.insert(root.identity(real)));
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
    use crate::load::Root;
    use std::fs;

    /// What netvet does not look at among the files kmod skips is said, never dropped.
    #[test]
    fn files_kmod_skips_past_the_bounds_are_noted() {
        let mut bundle = crate::load::Bundle::new("tree");
        let big = format!("options bonding miimon=100\n{}", "#\n".repeat(40_000));
        bundle
            .add_file("etc/modprobe.d/bonding.txt", big.into_bytes())
            .unwrap();
        for i in 0..UNREAD_MAX_ENTRIES + 3 {
            bundle
                .add_file(format!("run/modprobe.d/x{i:04}.conf"), Vec::new())
                .unwrap();
        }
        let host = crate::load::load(&crate::load::Target::bundle(bundle));
        let notes = host.notes.join("\n");
        assert!(
            notes.contains("/etc/modprobe.d/bonding.txt is larger than 64 KiB"),
            "{notes}"
        );
        assert!(
            notes.contains(&format!(
                "/run/modprobe.d has {} entries",
                UNREAD_MAX_ENTRIES + 3
            )),
            "{notes}"
        );
        assert!(host.modprobe_unread.is_empty());
    }

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
    fn files_kmod_skips_are_kept_apart_when_they_configure_bonding() {
        let dir = crate::load::test_tree(&[
            (
                "etc/modprobe.d/bonding.conf",
                "options bonding miimon=100\n",
            ),
            ("etc/modprobe.d/bonding.cfg", "options bonding miimon=1\n"),
            ("etc/modprobe.d/.bonding.conf", "alias bond0 bonding\n"),
            ("etc/modprobe.d/sub/bond.conf", "options bond0 miimon=3\n"),
            (
                "etc/modprobe.d/sub/deeper/bond.conf",
                "options bonding miimon=4\n",
            ),
            (
                "etc/modprobe.d/sound.txt",
                "options snd-hda-intel model=auto\n",
            ),
            (
                "etc/modprobe.d/huge",
                &"options bonding miimon=5\n".repeat(4000),
            ),
        ]);
        let mut host = Host::default();
        load(&Root::new(dir.path()), &mut host);
        let unread: Vec<&str> = host
            .modprobe_unread
            .iter()
            .map(|(id, _)| host.sources.get(*id).display.as_str())
            .collect();
        assert_eq!(
            unread,
            [
                "/etc/modprobe.d/.bonding.conf",
                "/etc/modprobe.d/bonding.cfg",
                "/etc/modprobe.d/sub/bond.conf"
            ]
        );
        assert_eq!(host.modprobe.len(), 1);
        let params = module_options(&host.modprobe, "bonding");
        assert_eq!(params.len(), 1);
    }

    #[test]
    fn names_meant_for_bonding() {
        for name in [
            "bond0",
            "bond_lan",
            "bond-lan",
            "bonding.ko",
            "bondig",
            "bnoding",
            "Bonding0",
        ] {
            assert!(meant_for_bonding(name), "{name}");
        }
        for name in [
            "bonding",
            "bridge",
            "snd-hda-intel",
            "dummy",
            "bnx2",
            "e1000e",
        ] {
            assert!(!meant_for_bonding(name), "{name}");
        }
    }

    #[test]
    fn missing_directories_are_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut host = Host::default();
        load(&Root::new(dir.path()), &mut host);
        assert_eq!(host.not_found, ["/etc/modprobe.d"]);
    }
}
