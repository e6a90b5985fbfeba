//! The programs whose listening sockets netvet checks: nginx (`/etc/nginx/nginx.conf` and its
//! `include`s), OpenSSH (`/etc/ssh/sshd_config` and its `Include`s) and enabled systemd socket
//! units, Apache httpd (`/etc/apache2/apache2.conf` and its `Include`s). Includes are read here and recorded by the directive that asked for them, so that the
//! model can splice them in place without I/O.

use std::path::{Path, PathBuf};

use super::{Host, HostFs, ReadError, read_file};
use crate::source::{FileId, Location, Span};
use crate::syntax::nginx::{self, Directive};
use crate::syntax::{keywords, systemd};

/// The files an include directive expanded to, in order.
#[derive(Debug)]
pub struct Include {
    pub from: Location,
    pub files: Vec<FileId>,
}

/// An enabled systemd socket unit.
#[derive(Debug)]
pub struct SocketUnit {
    pub name: String,
    pub file: FileId,
    pub unit: systemd::UnitFile,
}

/// Read one file, or record why not. `None` when it does not exist.
fn read(host: &mut Host, root: &dyn HostFs, real: &Path) -> Option<FileId> {
    if !root.is_file(real) {
        return None;
    }
    let display = real.display().to_string();
    match read_file(&mut host.sources, root, real, display.clone()) {
        Ok(id) => Some(id),
        Err(error) => {
            host.read_error(ReadError {
                path: display,
                error,
                requested_by: None,
            });
            None
        }
    }
}

/// Expand an include pattern (absolute, or relative to `base`) inside the root, sorted as glob(3).
fn expand(root: &dyn HostFs, base: &str, pattern: &str) -> Vec<PathBuf> {
    let host_path = if pattern.starts_with('/') {
        PathBuf::from(pattern)
    } else {
        Path::new(base).join(pattern)
    };
    let real = root.resolve(&host_path);
    // nginx, sshd and Apache expand includes with glob(3), as ifupdown's wordexp does.
    super::interfaces::expand_glob(root, &real)
}

pub fn load(root: &dyn HostFs, host: &mut Host) {
    load_nginx(root, host);
    host.sshd = load_keywords(
        root,
        host,
        "/etc/ssh/sshd_config",
        "/etc/ssh",
        &["include"],
        keywords::parse,
    );
    host.apache = load_keywords(
        root,
        host,
        "/etc/apache2/apache2.conf",
        "/etc/apache2",
        &["include", "includeoptional"],
        keywords::parse_apache,
    );
    if !host.apache.is_empty() {
        // Debian's apache2ctl passes APACHE_ARGUMENTS from here to httpd (`-D NAME` defines).
        host.apache_envvars = read(host, root, &root.resolve(Path::new("/etc/apache2/envvars")));
    }
    load_sockets(root, host);
}

fn load_nginx(root: &dyn HostFs, host: &mut Host) {
    let main = root.resolve(Path::new("/etc/nginx/nginx.conf"));
    let Some(id) = read(host, root, &main) else {
        host.not_found.push("/etc/nginx/nginx.conf".to_string());
        return;
    };
    let mut queue = vec![id];
    while let Some(file) = queue.pop() {
        if host.nginx.iter().any(|(f, _)| *f == file) {
            continue;
        }
        let parsed = nginx::parse(&host.sources.get(file).text);
        let mut includes = Vec::new();
        collect_includes(&parsed.directives, &mut includes);
        host.nginx.push((file, parsed));
        for (pattern, span) in includes {
            // nginx resolves relative include paths against its prefix's conf directory.
            let files: Vec<FileId> = expand(root, "/etc/nginx", &pattern)
                .iter()
                .filter_map(|p| read(host, root, p))
                .collect();
            queue.extend(&files);
            host.includes.push(Include {
                from: Location { file, span },
                files,
            });
        }
    }
}

fn collect_includes(directives: &[Directive], out: &mut Vec<(String, Span)>) {
    for d in directives {
        if d.name.text == "include" {
            if let Some(arg) = d.args.first() {
                out.push((arg.text.to_string(), d.span));
            }
        }
        if let Some(block) = &d.block {
            collect_includes(block, out);
        }
    }
}

/// A keyword-argument file (sshd_config, apache2.conf) and every file its include directives
/// read, in reading order. Relative include paths are relative to `base` (sshd's /etc/ssh,
/// Apache's ServerRoot).
fn load_keywords(
    root: &dyn HostFs,
    host: &mut Host,
    main: &str,
    base: &str,
    include_keywords: &[&str],
    parse: fn(&str) -> keywords::KeywordFile,
) -> Vec<(FileId, keywords::KeywordFile)> {
    let Some(id) = read(host, root, &root.resolve(Path::new(main))) else {
        host.not_found.push(main.to_string());
        return Vec::new();
    };
    let mut done: Vec<(FileId, keywords::KeywordFile)> = Vec::new();
    let mut queue = vec![id];
    while let Some(file) = queue.pop() {
        if done.iter().any(|(f, _)| *f == file) {
            continue;
        }
        let parsed = parse(&host.sources.get(file).text);
        let includes: Vec<(Vec<String>, Span)> = parsed
            .entries
            .iter()
            .filter(|e| {
                include_keywords
                    .iter()
                    .any(|k| e.keyword.text.eq_ignore_ascii_case(k))
            })
            .map(|e| (e.args.iter().map(|a| a.text.to_string()).collect(), e.span))
            .collect();
        done.push((file, parsed));
        for (patterns, span) in includes {
            let files: Vec<FileId> = patterns
                .iter()
                .flat_map(|p| expand(root, base, p))
                .filter_map(|p| read(host, root, &p))
                .collect();
            queue.extend(&files);
            host.includes.push(Include {
                from: Location { file, span },
                files,
            });
        }
    }
    done
}

/// Unit directories in systemd's order: the first one that has a name wins.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
];

fn load_sockets(root: &dyn HostFs, host: &mut Host) {
    let wants = root.resolve(Path::new("/etc/systemd/system"));
    let Ok(dirs) = root.read_dir(&wants) else {
        return;
    };
    // Enabled socket units are linked from a `*.wants` directory of /etc/systemd/system.
    let mut enabled: Vec<String> = dirs
        .iter()
        .filter(|d| d.name.to_string_lossy().ends_with(".wants"))
        .filter_map(|d| root.read_dir(&wants.join(&d.name)).ok())
        .flatten()
        .map(|e| e.name.to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".socket"))
        .collect();
    enabled.sort();
    enabled.dedup();
    for name in enabled {
        let Some(real) = UNIT_DIRS
            .iter()
            .map(|d| root.resolve(&Path::new(d).join(&name)))
            .find(|p| root.is_file(p))
        else {
            continue;
        };
        if let Some(file) = read(host, root, &real) {
            let unit = systemd::parse(&host.sources.get(file).text);
            host.sockets.push(SocketUnit { name, file, unit });
        }
    }
}
