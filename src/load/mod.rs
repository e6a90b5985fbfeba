//! Reading configuration files from a host tree.
//!
//! Architecture invariant: this module and `main.rs` are the only places that read the file
//! system for configuration. Everything downstream (model, rules) works on what was loaded here.
//! A file that does not exist is not an error: it is recorded in [`Host::not_found`] so the user
//! is told what netvet looked for.

pub mod interfaces;
pub mod listeners;
pub mod modprobe;
pub mod sysctl;

use std::io;
use std::path::{Path, PathBuf};

use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax;

/// The file system tree netvet reads, `/` on a live host or a mounted image / checkout.
#[derive(Clone, Debug)]
pub struct Root {
    dir: PathBuf,
    /// The directory as the user named it, for paths they can open.
    given: PathBuf,
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let given = dir.into();
        // Canonical, so that paths found by globbing (`./x/` comes back as `x/`) still strip
        // back to host paths in `display`.
        Root {
            dir: given.canonicalize().unwrap_or_else(|_| given.clone()),
            given,
        }
    }

    pub fn system() -> Self {
        Root::new("/")
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

    /// The real path of an absolute in-host path such as `/etc/network/interfaces`.
    pub fn resolve(&self, host_path: &Path) -> PathBuf {
        match host_path.strip_prefix("/") {
            Ok(rel) => self.dir.join(rel),
            Err(_) => self.dir.join(host_path),
        }
    }

    /// How to show a real path to the user: as the host path (`/etc/...`) under a root, as
    /// given otherwise.
    pub fn display(&self, real: &Path) -> String {
        if self.is_system() {
            return real.display().to_string();
        }
        match real.strip_prefix(&self.dir) {
            Ok(rel) => Path::new("/").join(rel).display().to_string(),
            Err(_) => real.display().to_string(),
        }
    }

    /// A path the user can open from where they ran netvet: under the root as they named it
    /// (`fixtures/demo/etc/network/interfaces`), the real path for anything outside it.
    pub fn shown(&self, real: &Path) -> String {
        if self.is_system() {
            return real.display().to_string();
        }
        match real.strip_prefix(&self.dir) {
            Ok(rel) => self.given.join(rel).display().to_string(),
            Err(_) => real.display().to_string(),
        }
    }

    /// Whether a real path lies inside this root.
    pub fn contains(&self, real: &Path) -> bool {
        self.is_system() || real.starts_with(&self.dir)
    }
}

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
    /// What the user should know about how the files were read (an include resolved outside
    /// the checked tree, a root inferred from a path).
    pub notes: Vec<String>,
    pub read_errors: Vec<ReadError>,
}

/// The most netvet reads of one file. Real configuration files are kilobytes (a generated host
/// of 28,000 interfaces is 2.8 MB); anything larger is refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Read a file into the source map. `display` is the name shown to the user. A file larger
/// than [`MAX_FILE_BYTES`] (or a device that never ends) is an error, not a hang.
pub fn read_file(sources: &mut SourceMap, real: &Path, display: String) -> io::Result<FileId> {
    use std::io::Read;
    if let Some(id) = sources.find(real) {
        return Ok(id);
    }
    let mut bytes = Vec::new();
    std::fs::File::open(real)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "larger than {} MiB, not read: a configuration file is far smaller",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(sources.add(SourceFile::new(display, real.to_path_buf(), bytes)))
}

/// The files of a list of configuration directories whose names `reads` accepts, as kmod and
/// systemd read them: a file name found in an earlier directory hides the same name in later
/// ones, and the files are taken in the order of their names, whatever their directory.
/// Directories are skipped. `(host path, real path)`.
pub(crate) fn conf_dir_files(
    root: &Root,
    dirs: &[&str],
    reads: fn(&str) -> bool,
) -> Vec<(String, PathBuf)> {
    let mut by_name: std::collections::BTreeMap<String, (String, PathBuf)> = Default::default();
    for dir in dirs {
        let real_dir = root.resolve(Path::new(dir));
        let Ok(entries) = std::fs::read_dir(&real_dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let real = real_dir.join(&name);
            if reads(&name) && !real.is_dir() && !by_name.contains_key(&name) {
                by_name.insert(name.clone(), (format!("{dir}/{name}"), real));
            }
        }
    }
    by_name.into_values().collect()
}

/// Read and parse each file, in order; an unreadable one is recorded and skipped.
pub(crate) fn read_all<T>(
    host: &mut Host,
    files: Vec<(String, PathBuf)>,
    parse: fn(&str) -> T,
) -> Vec<(FileId, T)> {
    let mut out = Vec::new();
    for (display, real) in files {
        match read_file(&mut host.sources, &real, display.clone()) {
            Ok(id) => out.push((id, parse(&host.sources.get(id).text))),
            Err(error) => host.read_errors.push(ReadError {
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
    /// A whole host tree: `/etc/network/interfaces`, `/etc/modprobe.d`, sysctl.d ...
    Root(Root),
    /// A single interfaces file (and what it sources), absolute `source` paths under `root`.
    InterfacesFile { path: PathBuf, root: Root },
    /// An interfaces file read from standard input, its `source` paths resolved on this host.
    Stdin(Vec<u8>),
}

impl Target {
    /// A single interfaces file. At `ROOT/etc/network/interfaces` the file's absolute
    /// `source` lines are read under ROOT, as they will be on the host it belongs to.
    pub fn interfaces_file(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let root = inferred_root(&path).map_or_else(Root::system, Root::new);
        Target::InterfacesFile { path, root }
    }

    /// What the user named: the directory, the file, or `-`.
    pub fn label(&self) -> String {
        match self {
            Target::Root(root) => root.given().display().to_string(),
            Target::InterfacesFile { path, .. } => path.display().to_string(),
            Target::Stdin(_) => "-".to_string(),
        }
    }
}

/// `ROOT` for a path `ROOT/etc/network/interfaces`, as the user spelt it, unless ROOT is `/`.
fn inferred_root(path: &Path) -> Option<PathBuf> {
    if !path.ends_with("etc/network/interfaces") {
        return None;
    }
    let root = path.parent()?.parent()?.parent()?;
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let canonical = root.canonicalize().ok()?;
    (canonical != Path::new("/")).then(|| root.to_path_buf())
}

/// Load every configuration netvet understands from a target.
pub fn load(target: &Target) -> Host {
    let mut host = Host::default();
    let root = match target {
        Target::Root(root) => {
            interfaces::load_root(root, &mut host);
            modprobe::load(root, &mut host);
            modprobe::load_early(root, &mut host);
            sysctl::load(root, &mut host);
            listeners::load(root, &mut host);
            root.clone()
        }
        Target::InterfacesFile { path, root } => {
            if !root.is_system() {
                host.notes.push(format!(
                    "{}: reading its `source` paths under {}, the host tree it belongs to",
                    path.display(),
                    root.given().display()
                ));
            }
            interfaces::load_file(path, root, &mut host);
            root.clone()
        }
        Target::Stdin(bytes) => {
            interfaces::load_stdin(bytes.clone(), &mut host);
            Root::system()
        }
    };
    for (_, file) in host.sources.iter_mut() {
        file.shown = root.shown(&file.path);
    }
    host
}
