//! Reading configuration files from a host tree.
//!
//! Architecture invariant: this module and `main.rs` are the only places that read the file
//! system for configuration, and inside it only `root.rs` does: the loaders read through
//! [`HostFs`], so a directory, a tar archive or a tree in memory ([`Bundle`]) give the same
//! findings, and a [`Recorder`] can take down what a check reads as a snapshot. Everything downstream (model, rules) works on what was loaded here.
//! A file that does not exist is not an error: it is recorded in [`Host::not_found`] so the user
//! is told what netvet looked for.

pub mod bundle;
pub mod fs;
pub mod ifupdown2;
pub mod interfaces;
pub mod listeners;
pub mod modprobe;
pub mod record;
mod root;
pub mod sysctl;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use bundle::{Bundle, NotHeld};
pub use fs::HostFs;
pub use record::Recorder;
pub use root::Root;

use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax;

/// A configuration file that could not be read for a reason other than its absence.
#[derive(Debug)]
pub struct ReadError {
    pub path: String,
    pub error: io::Error,
    /// The file that asked for this one (a `source` line), if any.
    pub requested_by: Option<crate::source::Location>,
}

/// Everything read from one host.
#[derive(Debug, Default)]
pub struct Host {
    pub sources: SourceMap,
    /// Interfaces files in the order ifupdown reads them, `source` lines expanded.
    pub interfaces: Vec<(FileId, syntax::interfaces::InterfacesFile)>,
    /// Problems found while following `source`/`source-directory`.
    pub include_problems: Vec<interfaces::IncludeProblem>,
    /// modprobe.d files in the order kmod applies them.
    pub modprobe: Vec<(FileId, syntax::modprobe::ModprobeFile)>,
    /// Files in a modprobe.d directory that kmod never reads (a hidden file, a name not ending
    /// in `.conf`/`.alias`, a file one directory down) and that configure bonding. They are not
    /// part of the module configuration: only NV132 reports them.
    pub modprobe_unread: Vec<(FileId, syntax::modprobe::ModprobeFile)>,
    /// Module lists loaded at boot before ifupdown: modules-load.d, `/etc/modules`, the
    /// initramfs's `/etc/initramfs-tools/modules`.
    pub early_modules: Vec<(FileId, syntax::modprobe::ModuleList)>,
    /// sysctl files in the order systemd-sysctl applies them.
    pub sysctl: Vec<(FileId, syntax::sysctl::SysctlFile)>,
    /// nginx configuration files, the main one first.
    pub nginx: Vec<(FileId, syntax::nginx::NginxFile)>,
    /// sshd_config and the files it includes.
    pub sshd: Vec<(FileId, syntax::keywords::KeywordFile)>,
    /// apache2.conf and the files it includes.
    pub apache: Vec<(FileId, syntax::keywords::KeywordFile)>,
    /// Debian's /etc/apache2/envvars, read when apache2.conf exists.
    pub apache_envvars: Option<FileId>,
    /// Enabled systemd socket units.
    pub sockets: Vec<listeners::SocketUnit>,
    /// nginx `include` and sshd `Include` directives with the files they read.
    pub includes: Vec<listeners::Include>,
    /// Paths netvet looked for and did not find (host paths).
    pub not_found: Vec<String>,
    /// Which program reads the interfaces files: Debian's ifupdown, or ifupdown2.
    pub dialect: Dialect,
    /// ifupdown2's policy files, when ifupdown2 is installed under the root.
    pub ifupdown2_policy: Option<ifupdown2::Policy>,
    /// What the user should know about how the files were read (an include resolved outside
    /// the checked tree).
    pub notes: Vec<String>,
    pub read_errors: Vec<ReadError>,
}

pub use crate::limits::{MAX_FILE_BYTES, MAX_FILES};

/// The program a host's interfaces files are written for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// Debian's ifupdown 0.8, the default on Debian 12.
    #[default]
    Ifupdown,
    /// ifupdown2 (Proxmox VE's default, Cumulus Linux): `why` says what showed it.
    Ifupdown2 { why: String },
}

/// Options only ifupdown2's addons read.
const IFUPDOWN2_ONLY: &[&str] = &[
    "vrf",
    "vrf-table",
    "link-type",
    "bridge-vlan-aware",
    "bridge-vids",
    "bridge-pvid",
    "address-purge",
];

/// Where ifupdown2 keeps its own files: present under a root where it is installed.
const IFUPDOWN2_PATHS: &[&str] = &["/etc/network/ifupdown2", "/usr/share/ifupdown2"];

/// Where Debian's ifupdown keeps its helpers: under a root where it is installed, ifupdown2's
/// syntax is an error whatever the file looks like.
const IFUPDOWN_PATHS: &[&str] = &["/usr/lib/ifupdown", "/lib/ifupdown"];

/// Decide the dialect once, from the files (a typeless `iface NAME`, an option only ifupdown2
/// reads) and from what is installed under the root, and say so in the notes.
fn detect_dialect(host: &mut Host, root: Option<&dyn HostFs>) {
    let installed = |paths: &[&'static str]| {
        root.and_then(|root| {
            paths
                .iter()
                .find(|p| root.is_dir(&root.resolve(Path::new(p))))
                .copied()
        })
    };
    if installed(IFUPDOWN_PATHS).is_some() && installed(IFUPDOWN2_PATHS).is_none() {
        return;
    }
    if let (Some(_), Some(root)) = (installed(IFUPDOWN2_PATHS), root) {
        host.ifupdown2_policy = Some(ifupdown2::load(host, root));
    }
    let why = match installed(IFUPDOWN2_PATHS) {
        Some(path) => Some(format!("ifupdown2 is installed: {path} exists")),
        None => host.interfaces.iter().find_map(|(file, parsed)| {
            let source = host.sources.get(*file);
            parsed.items.iter().find_map(|item| {
                let syntax::interfaces::Item::Iface(s) = item else {
                    return None;
                };
                let at = |span: crate::source::Span| {
                    format!("{}:{}", source.shown, source.line_col(span.start).line)
                };
                if s.family.is_none() && s.inherits.is_none() && !s.name.text.is_empty() {
                    return Some(format!(
                        "`iface {}` without family or method at {}",
                        s.name.text,
                        at(s.header)
                    ));
                }
                s.options
                    .iter()
                    .find(|o| {
                        let name = o.name.text.as_str();
                        IFUPDOWN2_ONLY.contains(&name)
                            || name.starts_with("vxlan-")
                            || name.starts_with("mstpctl-")
                    })
                    .map(|o| format!("`{}` at {}", o.name.text, at(o.span)))
            })
        }),
    };
    if let Some(why) = why {
        host.notes.push(format!(
            "the interfaces files are read as ifupdown2's ({why}): its syntax is not reported \
             as errors, and the checks that hold for both ifupdown and ifupdown2 run"
        ));
        host.dialect = Dialect::Ifupdown2 { why };
    }
}

impl Host {
    /// Record a file that could not be read. Past [`MAX_FILES`] only the first is kept: the
    /// report names the bound once, not once per file left unread.
    pub fn read_error(&mut self, error: ReadError) {
        let over_bound = |e: &ReadError| e.error.to_string().starts_with(TOO_MANY_FILES);
        if over_bound(&error) && self.read_errors.iter().any(over_bound) {
            return;
        }
        self.read_errors.push(error);
    }

    /// The main interfaces file when Debian's ifupdown refuses it as a whole (its first fatal
    /// error, "couldn't read interfaces file"): `ifup -a` then brings up nothing. With ifupdown's
    /// own message.
    pub fn refused_interfaces(&self) -> Option<(FileId, &'static str)> {
        if self.dialect != Dialect::Ifupdown {
            return None;
        }
        let (file, parsed) = self.interfaces.first()?;
        parsed.stop.as_ref().map(|stop| (*file, stop.reason))
    }
}

const TOO_MANY_FILES: &str = "not read";

/// Read a file into the source map, once: `path` is a host path (its `SourceFile::path`, the
/// key a second read of it finds). `display` is the name shown to the user. A file larger
/// than [`MAX_FILE_BYTES`] (or a device that never ends) is an error, not a hang, and so is a
/// file beyond the first [`MAX_FILES`].
pub fn read_file(
    sources: &mut SourceMap,
    fs: &dyn HostFs,
    path: &Path,
    display: String,
) -> io::Result<FileId> {
    if let Some(id) = sources.find(path) {
        return Ok(id);
    }
    if sources.len() >= MAX_FILES {
        return Err(io::Error::other(format!(
            "{TOO_MANY_FILES}: netvet reads at most {MAX_FILES} files from one host; this and \
             any further file are not read"
        )));
    }
    let bytes = fs.read(path, MAX_FILE_BYTES)?;
    Ok(sources.add(SourceFile::new(display, path.to_path_buf(), bytes)))
}

/// The files of a list of configuration directories whose names `reads` accepts, as kmod and
/// systemd read them: a file name found in an earlier directory hides the same name in later
/// ones, and the files are taken in the order of their names, whatever their directory.
/// Directories are skipped. `(host path as named, host path to read)`.
pub(crate) fn conf_dir_files(
    root: &dyn HostFs,
    dirs: &[&str],
    reads: fn(&str) -> bool,
) -> Vec<(String, PathBuf)> {
    let mut by_name: std::collections::BTreeMap<String, (String, PathBuf)> = Default::default();
    for dir in dirs {
        let real_dir = root.resolve(Path::new(dir));
        let Ok(entries) = root.read_dir(&real_dir) else {
            continue;
        };
        for entry in entries {
            // Shown by its lossy name, opened by its real one.
            let name = entry.name.to_string_lossy().into_owned();
            let real = real_dir.join(&entry.name);
            if reads(&name) && !root.is_dir(&real) && !by_name.contains_key(&name) {
                by_name.insert(name.clone(), (format!("{dir}/{name}"), real));
            }
        }
    }
    by_name.into_values().collect()
}

/// Record the configuration directories that exist but cannot be listed (permissions): the
/// files they hide are not checked, and the report must say so rather than look clean.
pub(crate) fn check_dirs_readable(root: &dyn HostFs, host: &mut Host, dirs: &[&str]) {
    for dir in dirs {
        let real = root.resolve(Path::new(dir));
        if root.is_dir(&real)
            && let Err(error) = root.read_dir(&real)
        {
            host.read_error(ReadError {
                path: dir.to_string(),
                error,
                requested_by: None,
            });
        }
    }
}

/// Read and parse each file, in order; an unreadable one is recorded and skipped, a dangling
/// link noted and skipped.
pub(crate) fn read_all<T>(
    host: &mut Host,
    root: &dyn HostFs,
    files: Vec<(String, PathBuf)>,
    parse: fn(&str) -> T,
) -> Vec<(FileId, T)> {
    let mut out = Vec::new();
    for (display, real) in files {
        match read_file(&mut host.sources, root, &real, display.clone()) {
            Ok(id) => out.push((id, parse(&host.sources.get(id).text))),
            // A link to nothing in a configuration directory (Debian's
            // /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf without procps): kmod,
            // systemd-sysctl and systemd-modules-load skip it, and so does netvet.
            Err(error) if error.kind() == io::ErrorKind::NotFound => host.notes.push(format!(
                "{display} is a link to nothing; the programs that read the directory skip it"
            )),
            Err(error) => host.read_error(ReadError {
                path: display,
                error,
                requested_by: None,
            }),
        }
    }
    out
}

/// A host tree for tests: `(path under the root, contents)`.
#[cfg(test)]
pub(crate) fn test_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a file in a directory")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// What to read.
#[derive(Clone, Debug)]
pub enum Target {
    /// A whole host tree in a directory: `/etc/network/interfaces`, `/etc/modprobe.d`,
    /// sysctl.d ...
    Root(Root),
    /// A whole host tree anywhere else: a [`Bundle`] in memory (from a tar archive, or what
    /// `audit` collects), or any other [`HostFs`]. Read exactly as a [`Target::Root`].
    Tree(Arc<dyn HostFs + Send + Sync>),
    /// A single interfaces file (and what it sources), absolute `source` paths read on this
    /// host. A file inside a host tree is checked with its tree instead ([`Root::of_file`]).
    InterfacesFile { path: PathBuf },
    /// An interfaces file read from standard input, its `source` paths resolved on this host.
    Stdin(Vec<u8>),
}

impl Target {
    /// A single interfaces file.
    pub fn interfaces_file(path: impl Into<PathBuf>) -> Self {
        Target::InterfacesFile { path: path.into() }
    }

    /// A host tree held in memory.
    pub fn bundle(bundle: Bundle) -> Self {
        Target::Tree(Arc::new(bundle))
    }

    /// What the user named: the directory, the file, or `-`.
    pub fn label(&self) -> String {
        match self {
            Target::Root(root) => root.given().display().to_string(),
            Target::Tree(fs) => fs.label(),
            Target::InterfacesFile { path, .. } => path.display().to_string(),
            Target::Stdin(_) => "-".to_string(),
        }
    }
}

/// Load every configuration netvet understands from a target.
pub fn load(target: &Target) -> Host {
    let mut host = Host::default();
    let system = Root::system();
    let root: &dyn HostFs = match target {
        Target::Root(root) => {
            load_tree(root, &mut host);
            root
        }
        Target::Tree(fs) => {
            load_tree(&**fs, &mut host);
            &**fs
        }
        Target::InterfacesFile { path } => {
            interfaces::load_file(path, &mut host);
            &system
        }
        Target::Stdin(bytes) => {
            interfaces::load_stdin(bytes.clone(), &mut host);
            &system
        }
    };
    for (_, file) in host.sources.iter_mut() {
        file.shown = root.shown(&file.path);
    }
    let tree = matches!(target, Target::Root(_) | Target::Tree(_)).then_some(root);
    detect_dialect(&mut host, tree);
    host
}

/// Every configuration of a whole host tree.
fn load_tree(root: &dyn HostFs, host: &mut Host) {
    interfaces::load_root(root, host);
    modprobe::load(root, host);
    modprobe::load_early(root, host);
    sysctl::load(root, host);
    listeners::load(root, host);
}

#[cfg(test)]
mod confinement_tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A host file every Linux machine has, to show it is never what netvet reads.
    const HOST_FILE: &str = "/proc/version";

    #[test]
    fn absolute_symlinks_resolve_under_the_root() {
        let dir = test_tree(&[("etc/hostname", "inside\n")]);
        std::fs::create_dir_all(dir.path().join("etc/network")).unwrap();
        symlink("/etc/hostname", dir.path().join("etc/network/interfaces")).unwrap();
        let root = Root::new(dir.path());
        assert_eq!(
            root.resolve(Path::new("/etc/network/interfaces")),
            Path::new("/etc/hostname")
        );
        assert_eq!(
            root.real(Path::new("/etc/network/interfaces")).unwrap(),
            root.dir().join("etc/hostname")
        );
    }

    #[test]
    fn a_link_to_a_host_file_reads_nothing_of_the_host() {
        let dir = test_tree(&[]);
        std::fs::create_dir_all(dir.path().join("etc/network")).unwrap();
        symlink(HOST_FILE, dir.path().join("etc/network/interfaces")).unwrap();
        let host = load(&Target::Root(Root::new(dir.path())));
        for (_, file) in host.sources.iter() {
            assert!(!file.text.contains("Linux version"), "{}", file.display);
        }
        assert!(host.interfaces.is_empty());
    }

    /// Debian's /etc/sysctl.d/99-sysctl.conf links to ../sysctl.conf, which only procps
    /// installs: systemd-sysctl skips the dangling link, and netvet must stay silent.
    #[test]
    fn a_link_to_nothing_in_a_configuration_directory_is_skipped() {
        let dir = test_tree(&[(
            "etc/network/interfaces",
            "auto lo\niface lo inet loopback\n",
        )]);
        std::fs::create_dir_all(dir.path().join("etc/sysctl.d")).unwrap();
        symlink(
            "../sysctl.conf",
            dir.path().join("etc/sysctl.d/99-sysctl.conf"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("etc/modprobe.d")).unwrap();
        symlink("gone.conf", dir.path().join("etc/modprobe.d/bonding.conf")).unwrap();
        let host = load(&Target::Root(Root::new(dir.path())));
        assert!(host.read_errors.is_empty(), "{:?}", host.read_errors);
        assert_eq!(
            host.notes
                .iter()
                .filter(|n| n.contains("is a link to nothing"))
                .count(),
            2,
            "{:?}",
            host.notes
        );
    }

    #[test]
    fn dot_dot_stops_at_the_root() {
        let dir = test_tree(&[(
            "etc/network/interfaces",
            "source ../../../../../../../../proc/version\nauto lo\niface lo inet loopback\n",
        )]);
        let host = load(&Target::Root(Root::new(dir.path())));
        for (_, file) in host.sources.iter() {
            assert!(!file.text.contains("Linux version"), "{}", file.display);
        }
        let root = Root::new(dir.path());
        assert_eq!(
            root.real(Path::new("/../../etc/x")).unwrap(),
            root.dir().join("etc/x")
        );
    }

    #[test]
    fn a_symlinked_directory_to_the_host_and_loops_resolve_to_nothing() {
        let dir = test_tree(&[]);
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        // Under the root, /etc/modprobe.d -> /etc/modprobe.d is itself: a loop.
        symlink("/etc/modprobe.d", dir.path().join("etc/modprobe.d")).unwrap();
        symlink("b", dir.path().join("etc/a")).unwrap();
        symlink("a", dir.path().join("etc/b")).unwrap();
        let root = Root::new(dir.path());
        assert!(root.confine(Path::new("/etc/modprobe.d/x.conf")).is_err());
        assert!(root.confine(Path::new("/etc/a")).is_err());
        assert!(!root.exists(&root.resolve(Path::new("/etc/modprobe.d"))));
    }

    #[test]
    fn relative_links_inside_the_root_still_work() {
        let dir = test_tree(&[("etc/modules", "bonding\n")]);
        std::fs::create_dir_all(dir.path().join("etc/modules-load.d")).unwrap();
        symlink(
            "../modules",
            dir.path().join("etc/modules-load.d/modules.conf"),
        )
        .unwrap();
        let host = load(&Target::Root(Root::new(dir.path())));
        assert_eq!(
            host.early_modules.len(),
            1,
            "read once, through either name"
        );
        assert_eq!(host.early_modules[0].1.modules[0].text, "bonding");
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn a_directory_of_too_many_files_is_read_up_to_the_bound() {
        let dir = test_tree(&[(
            "etc/network/interfaces",
            "source-directory /etc/network/interfaces.d\n",
        )]);
        let d = dir.path().join("etc/network/interfaces.d");
        std::fs::create_dir_all(&d).unwrap();
        for i in 0..MAX_FILES + 5 {
            std::fs::write(d.join(format!("f{i:05}")), "").unwrap();
        }
        let host = load(&Target::Root(Root::new(dir.path())));
        assert_eq!(host.sources.len(), MAX_FILES);
        assert_eq!(host.read_errors.len(), 1, "the bound is said once");
        assert!(host.read_errors[0].error.to_string().contains("at most"));
    }

    #[test]
    fn a_source_chain_thousands_deep_is_cut_and_said() {
        let dir = test_tree(&[]);
        let net = dir.path().join("etc/network");
        std::fs::create_dir_all(&net).unwrap();
        std::fs::write(net.join("interfaces"), "source /etc/network/f0\n").unwrap();
        for i in 0..3_000 {
            std::fs::write(
                net.join(format!("f{i}")),
                format!("source /etc/network/f{}\n", i + 1),
            )
            .unwrap();
        }
        let host = load(&Target::Root(Root::new(dir.path())));
        assert_eq!(host.interfaces.len(), interfaces::MAX_INCLUDE_DEPTH);
        assert!(matches!(
            host.include_problems.last().map(|p| &p.kind),
            Some(interfaces::IncludeProblemKind::TooDeep)
        ));
    }

    #[test]
    fn non_utf8_file_names_are_read_by_their_real_name() {
        use std::os::unix::ffi::OsStrExt;
        let dir = test_tree(&[(
            "etc/network/interfaces",
            "source /etc/network/interfaces.d/*\n",
        )]);
        let name = std::ffi::OsStr::from_bytes(b"a\xff\xfe");
        let d = dir.path().join("etc/network/interfaces.d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), "auto lo\niface lo inet loopback\n").unwrap();
        let m = dir.path().join("etc/modprobe.d");
        std::fs::create_dir_all(&m).unwrap();
        let conf = std::ffi::OsStr::from_bytes(b"b\xff.conf");
        std::fs::write(m.join(conf), "options bonding miimon=100\n").unwrap();
        let host = load(&Target::Root(Root::new(dir.path())));
        assert!(host.read_errors.is_empty(), "{:?}", host.read_errors);
        assert_eq!(
            host.interfaces.len(),
            2,
            "the glob matched the non-UTF-8 name"
        );
        assert_eq!(
            host.modprobe.len(),
            1,
            "kmod reads b\\xff.conf, and so does netvet"
        );
    }

    #[test]
    fn a_fifo_is_refused_not_waited_on() {
        let dir = test_tree(&[]);
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let mut sources = SourceMap::default();
        let err = read_file(&mut sources, &Root::system(), &fifo, "fifo".into()).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_fifo_among_the_files_kmod_skips_is_not_waited_on() {
        // A link to /etc/passwd: a regular file on this host, a FIFO under the root.
        let dir = test_tree(&[("etc/modprobe.d/ok.conf", "options bonding miimon=100\n")]);
        mkfifo(&dir.path().join("etc/passwd"));
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("etc/modprobe.d/bonding"))
            .unwrap();
        let host = load(&Target::Root(Root::new(dir.path())));
        assert_eq!(host.modprobe.len(), 1);
        assert!(host.modprobe_unread.is_empty());
    }

    #[test]
    fn a_file_larger_than_the_bound_is_refused() {
        let dir = test_tree(&[]);
        let big = dir.path().join("big");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let mut sources = SourceMap::default();
        let err = read_file(&mut sources, &Root::system(), &big, "big".into()).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        assert!(sources.is_empty());
    }
}
