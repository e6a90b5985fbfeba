//! Listening sockets as the configuration declares them: nginx `listen` directives (with
//! `include`s spliced in place), Apache `Listen`, sshd `ListenAddress`/`Port`/`AddressFamily`,
//! and enabled systemd socket units' `ListenStream=`, each with how its IPv6 socket sets
//! IPV6_V6ONLY.
//!
//! Who sets IPV6_V6ONLY (nginx, Apache and sshd checked with the real programs in
//! `tests/it/listeners_real.rs`, systemd in `tests/vm/systemd.sh`; see the NV401 doc): nginx sets it on every IPv6 socket, on
//! unless `ipv6only=off`; Apache clears it; sshd always sets it; systemd follows `BindIPv6Only=`
//! and leaves it to `net.ipv6.bindv6only` for `default`.

use crate::load::Host;
use crate::source::{FileId, Location, Span};
use crate::syntax::keywords::{Entry, section_test};
use crate::syntax::nginx::{Directive, parse_listen};

/// How an IPv6 socket's IPV6_V6ONLY is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V6Only {
    /// The program sets it itself.
    Explicit(bool),
    /// Left to `net.ipv6.bindv6only`.
    FromSysctl,
}

#[derive(Clone, Debug)]
pub struct ConfiguredListener {
    /// `nginx`, `sshd`, or a socket unit's name.
    pub program: String,
    /// `0.0.0.0`, `::`, a literal address or a host name.
    pub address: String,
    pub port: u16,
    pub v6only: V6Only,
    /// Where it is written. For a `default` listener only `location.file` counts: no line
    /// declares it.
    pub location: Location,
    /// Set when nothing in the configuration declares this listener and it is the program's
    /// default: what the default is, for the user.
    pub default: Option<&'static str>,
}

impl ConfiguredListener {
    /// The line that declares it; `None` for a program's default.
    pub fn place(&self) -> Option<Location> {
        self.default.is_none().then_some(self.location)
    }

    pub fn is_ipv6(&self) -> bool {
        self.address.contains(':')
    }

    /// Whether the IPv6 socket refuses IPv4, given the effective `net.ipv6.bindv6only`.
    pub fn v6only_with(&self, bindv6only: bool) -> bool {
        match self.v6only {
            V6Only::Explicit(v) => v,
            V6Only::FromSysctl => bindv6only,
        }
    }

    /// Which clients can reach it: `ipv4`, `ipv6` or `ipv4+ipv6`.
    pub fn reaches(&self, bindv6only: bool) -> &'static str {
        match (
            self.is_ipv6(),
            self.address == "::" && !self.v6only_with(bindv6only),
        ) {
            (false, _) => "ipv4",
            (true, true) => "ipv4+ipv6",
            (true, false) => "ipv6",
        }
    }
}

/// Whether two listening sockets cannot both bind, as Linux decides for TCP (inet_csk_bind_conflict):
/// the same address, or a wildcard and any address of its family, or a dual-stack `[::]` and
/// any IPv4 address. SO_REUSEADDR, which nginx, Apache and sshd set, does not help while the
/// other socket listens; a v6-only `[::]` leaves IPv4 alone. Host names that are not the same
/// text are not judged. Proven with real sockets in `tests/it/bind_conflicts.rs`.
pub fn binds_conflict(a: &ConfiguredListener, b: &ConfiguredListener, bindv6only: bool) -> bool {
    use std::net::IpAddr;
    if a.port != b.port {
        return false;
    }
    if a.address == b.address {
        return true;
    }
    let (Ok(x), Ok(y)) = (a.address.parse::<IpAddr>(), b.address.parse::<IpAddr>()) else {
        return false;
    };
    let dual =
        |l: &ConfiguredListener, ip: IpAddr| ip.is_unspecified() && !l.v6only_with(bindv6only);
    match (x, y) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            x.is_unspecified() || y.is_unspecified()
        }
        (IpAddr::V4(_), IpAddr::V6(_)) => dual(b, y),
        (IpAddr::V6(_), IpAddr::V4(_)) => dual(a, x),
    }
}

pub fn collect(host: &Host) -> Vec<ConfiguredListener> {
    let mut out = Vec::new();
    if let Some((main, parsed)) = host.nginx.first() {
        let mut stack = vec![*main];
        nginx_walk(host, *main, &parsed.directives, false, &mut stack, &mut out);
    }
    sshd(host, &mut out);
    apache(host, &mut out);
    sockets(host, &mut out);
    out
}

/// The modules compiled into Debian's apache2 (`apache2 -l`), by source file name and by
/// module identifier: `<IfModule>` accepts either. `tests/it/listeners_real.rs` compares the
/// list with the installed apache2.
pub const APACHE_STATIC_MODULES: &[(&str, &str)] = &[
    ("core.c", "core_module"),
    ("mod_so.c", "so_module"),
    ("mod_watchdog.c", "watchdog_module"),
    ("http_core.c", "http_module"),
    ("mod_log_config.c", "log_config_module"),
    ("mod_logio.c", "logio_module"),
    ("mod_version.c", "version_module"),
    ("mod_unixd.c", "unixd_module"),
];

/// What httpd knows while it reads its configuration: loaded modules (identifiers and source
/// file names) and defined names. Both change as `LoadModule`, `Define` and `UnDefine` are read,
/// so sections are decided in reading order.
#[derive(Debug)]
pub struct ApacheState {
    modules: Vec<String>,
    defines: Vec<String>,
}

impl ApacheState {
    /// Debian's start: the static modules, and the `-D` names of `APACHE_ARGUMENTS` in
    /// /etc/apache2/envvars (a shell file; its last assignment wins).
    pub fn debian(envvars: Option<&str>) -> ApacheState {
        let mut modules = Vec::new();
        for (file, id) in APACHE_STATIC_MODULES {
            modules.push((*file).to_string());
            modules.push((*id).to_string());
        }
        ApacheState {
            modules,
            defines: envvars.map(apache_arguments_defines).unwrap_or_default(),
        }
    }

    fn load(&mut self, id: &str, path: &str) {
        self.modules.push(id.to_string());
        // `<IfModule mod_ssl.c>` names the module's source file: mod_ssl.so was built from
        // mod_ssl.c. The MPMs are the exception (event.c, worker.c, prefork.c).
        let stem = path.rsplit('/').next().unwrap_or(path);
        let stem = stem.strip_suffix(".so").unwrap_or(stem);
        let source = match stem.strip_prefix("mod_mpm_") {
            Some(mpm) => format!("{mpm}.c"),
            None => format!("{stem}.c"),
        };
        self.modules.push(source);
    }

    /// Whether `<IfModule name>` or `<IfDefine name>` is true, before `!`.
    fn holds(&self, module: bool, name: &str) -> bool {
        if module {
            self.modules.iter().any(|m| m == name)
        } else {
            self.defines.iter().any(|d| d == name)
        }
    }
}

/// The `-D NAME` and `-DNAME` arguments of the last `APACHE_ARGUMENTS=` assignment.
fn apache_arguments_defines(envvars: &str) -> Vec<String> {
    let Some(value) = envvars
        .lines()
        .map(str::trim)
        .filter_map(|l| {
            l.strip_prefix("export ")
                .unwrap_or(l)
                .trim_start()
                .strip_prefix("APACHE_ARGUMENTS=")
        })
        .next_back()
    else {
        return Vec::new();
    };
    let value = value.trim_matches(|c| c == '\'' || c == '"');
    let mut defines = Vec::new();
    let mut words = value.split_whitespace();
    while let Some(w) = words.next() {
        match w.strip_prefix("-D") {
            Some("") => defines.extend(words.next().map(str::to_string)),
            Some(name) => defines.push(name.to_string()),
            None => {}
        }
    }
    defines
}

/// The Apache directives httpd acts on, in reading order: includes spliced in place, and
/// `<IfModule>`/`<IfDefine>` sections (with `!` and nesting) decided as httpd decides them
/// while it reads, after the `LoadModule`, `Define` and `UnDefine` lines above them. Other
/// sections (`<VirtualHost>`, `<IfVersion>`, ...) are entered.
pub fn apache_active(host: &Host) -> Vec<(FileId, &Entry)> {
    let mut out = Vec::new();
    let Some((main, parsed)) = host.apache.first() else {
        return out;
    };
    let envvars = host
        .apache_envvars
        .map(|f| host.sources.get(f).text.as_str());
    let mut state = ApacheState::debian(envvars);
    let mut stack = vec![*main];
    apache_walk(
        host,
        *main,
        &parsed.entries,
        &mut state,
        &mut stack,
        &mut out,
    );
    out
}

fn apache_walk<'h>(
    host: &'h Host,
    file: FileId,
    entries: &'h [Entry],
    state: &mut ApacheState,
    stack: &mut Vec<FileId>,
    out: &mut Vec<(FileId, &'h Entry)>,
) {
    // Whether each open section's contents are read; a file starts inside its includer's.
    let mut open: Vec<bool> = Vec::new();
    for e in entries {
        let keyword = e.keyword.text.as_str();
        let active = open.last().copied().unwrap_or(true);
        if keyword.starts_with("</") {
            open.pop();
            continue;
        }
        if let Some(section) = keyword.strip_prefix('<') {
            let section = section.trim_end_matches('>');
            let conditional = ["ifmodule", "ifdefine"]
                .iter()
                .any(|s| section.eq_ignore_ascii_case(s));
            let inner = if conditional {
                // httpd refuses a section without a test; netvet reads nothing inside it.
                section_test(e).is_some_and(|(negated, name)| {
                    state.holds(section.eq_ignore_ascii_case("ifmodule"), name) != negated
                })
            } else {
                true
            };
            open.push(active && inner);
            continue;
        }
        if !active {
            continue;
        }
        out.push((file, e));
        let arg = |i: usize| e.args.get(i).map(|a| a.text.as_str());
        if keyword.eq_ignore_ascii_case("loadmodule") {
            if let (Some(id), Some(path)) = (arg(0), arg(1)) {
                state.load(id, path);
            }
        } else if keyword.eq_ignore_ascii_case("define") {
            if let Some(name) = arg(0) {
                state.defines.push(name.to_string());
            }
        } else if keyword.eq_ignore_ascii_case("undefine") {
            if let Some(name) = arg(0) {
                state.defines.retain(|d| d != name);
            }
        } else if keyword.eq_ignore_ascii_case("include")
            || keyword.eq_ignore_ascii_case("includeoptional")
        {
            for inc in included(host, file, e.span) {
                if stack.contains(inc) {
                    continue;
                }
                let Some((_, parsed)) = host.apache.iter().find(|(f, _)| f == inc) else {
                    continue;
                };
                stack.push(*inc);
                apache_walk(host, *inc, &parsed.entries, state, stack, out);
                stack.pop();
            }
        }
    }
}

/// Apache httpd `Listen [ADDRESS:]PORT [PROTOCOL]`. Debian's httpd (APR with v4-mapped
/// addresses) listens on one dual-stack `[::]` socket for `Listen 80` and `Listen [::]:80`, with
/// IPV6_V6ONLY cleared whatever bindv6only says, and drops a `Listen 0.0.0.0:80` beside it rather
/// than failing to bind (checked with the real Apache 2.4 in a namespace).
fn apache(host: &Host, out: &mut Vec<ConfiguredListener>) {
    for (file, e) in apache_active(host)
        .into_iter()
        .filter(|(_, e)| e.keyword.text.eq_ignore_ascii_case("listen"))
    {
        let value = e.args[0].text.as_str();
        let parsed = if let Ok(port) = value.parse::<u16>() {
            Some(("::".to_string(), port))
        } else if let Some(rest) = value.strip_prefix('[') {
            rest.split_once("]:")
                .and_then(|(a, p)| Some((a.to_string(), p.parse().ok()?)))
        } else {
            value.rsplit_once(':').and_then(|(a, p)| {
                let a = if a == "*" { "::" } else { a };
                Some((a.to_string(), p.parse().ok()?))
            })
        };
        if let Some((address, port)) = parsed {
            out.push(ConfiguredListener {
                program: "apache2".to_string(),
                address,
                port,
                v6only: V6Only::Explicit(false),
                location: Location { file, span: e.span },
                default: None,
            });
        }
    }
}

fn included(host: &Host, file: FileId, span: Span) -> &[FileId] {
    host.includes
        .iter()
        .find(|i| i.from.file == file && i.from.span == span)
        .map_or(&[], |i| i.files.as_slice())
}

fn nginx_walk(
    host: &Host,
    file: FileId,
    directives: &[Directive],
    in_server: bool,
    stack: &mut Vec<FileId>,
    out: &mut Vec<ConfiguredListener>,
) {
    for d in directives {
        match (d.name.text.as_str(), &d.block) {
            ("include", None) => {
                for inc in included(host, file, d.span) {
                    if stack.contains(inc) {
                        continue;
                    }
                    let Some((_, parsed)) = host.nginx.iter().find(|(f, _)| f == inc) else {
                        continue;
                    };
                    stack.push(*inc);
                    nginx_walk(host, *inc, &parsed.directives, in_server, stack, out);
                    stack.pop();
                }
            }
            ("listen", None) if in_server => {
                if let Some(l) = parse_listen(&d.args) {
                    out.push(ConfiguredListener {
                        program: "nginx".to_string(),
                        v6only: V6Only::Explicit(l.ipv6only.unwrap_or(true)),
                        address: l.address,
                        port: l.port,
                        location: Location { file, span: d.span },
                        default: None,
                    });
                }
            }
            ("server", Some(block)) => {
                let before = out.len();
                nginx_walk(host, file, block, true, stack, out);
                // A server block without `listen` listens on *:80 (nginx running as root).
                if out.len() == before && !has_listen(host, file, block, stack) {
                    out.push(ConfiguredListener {
                        program: "nginx".to_string(),
                        address: "0.0.0.0".to_string(),
                        port: 80,
                        v6only: V6Only::Explicit(true),
                        location: Location {
                            file,
                            span: d.name.span,
                        },
                        default: None,
                    });
                }
            }
            (_, Some(block)) => nginx_walk(host, file, block, in_server, stack, out),
            _ => {}
        }
    }
}

/// Whether a server block has a `listen` of any kind (a unix socket counts), includes spliced.
fn has_listen(host: &Host, file: FileId, block: &[Directive], stack: &[FileId]) -> bool {
    block.iter().any(|d| match d.name.text.as_str() {
        "listen" => true,
        "include" => included(host, file, d.span).iter().any(|inc| {
            !stack.contains(inc)
                && host
                    .nginx
                    .iter()
                    .find(|(f, _)| f == inc)
                    .is_some_and(|(_, p)| has_listen(host, *inc, &p.directives, stack))
        }),
        _ => false,
    })
}

/// What sshd does when its configuration names no `Port` and no `ListenAddress`.
const SSHD_DEFAULT: &str = "sshd's default: without `Port` and `ListenAddress` it listens on port 22 of every address of its AddressFamily (0.0.0.0 and [::] for `any`, the default)";

/// sshd: every ListenAddress with its port or with every Port (default 22); without any
/// ListenAddress, the wildcards of AddressFamily (default any). sshd sets IPV6_V6ONLY itself.
fn sshd(host: &Host, out: &mut Vec<ConfiguredListener>) {
    let entries: Vec<(FileId, &crate::syntax::keywords::Entry)> = host
        .sshd
        .iter()
        .flat_map(|(f, p)| p.entries.iter().map(move |e| (*f, e)))
        .filter(|(_, e)| !e.in_match)
        .collect();
    if entries.is_empty() && host.sshd.is_empty() {
        return;
    }
    let named = |k: &'static str| {
        entries
            .iter()
            .filter(move |(_, e)| e.keyword.text.eq_ignore_ascii_case(k))
    };
    let ports: Vec<u16> = named("port")
        .filter_map(|(_, e)| e.args[0].text.parse().ok())
        .collect();
    let ports = if ports.is_empty() { vec![22] } else { ports };
    // The first value of AddressFamily wins, as for most sshd keywords.
    let family = named("addressfamily")
        .next()
        .map_or("any", |(_, e)| e.args[0].text.as_str());
    let main = host.sshd[0].0;
    let mut push = |address: String, port: u16, location: Location, default| {
        out.push(ConfiguredListener {
            program: "sshd".to_string(),
            address,
            port,
            v6only: V6Only::Explicit(true),
            location,
            default,
        });
    };
    let listen: Vec<_> = named("listenaddress").collect();
    if listen.is_empty() {
        // Without Port either, no line declares these sockets: they are sshd's default.
        let (location, default) = named("port").next().map_or(
            (
                Location {
                    file: main,
                    span: Span::new(0, 0),
                },
                Some(SSHD_DEFAULT),
            ),
            |(f, e)| {
                let location = Location {
                    file: *f,
                    span: e.span,
                };
                (location, None)
            },
        );
        for port in &ports {
            if family != "inet6" {
                push("0.0.0.0".to_string(), *port, location, default);
            }
            if family != "inet" {
                push("::".to_string(), *port, location, default);
            }
        }
        return;
    }
    for (file, e) in listen {
        let location = Location {
            file: *file,
            span: e.span,
        };
        let value = e.args[0].text.as_str();
        let (address, port) = if let Some(rest) = value.strip_prefix('[') {
            match rest.split_once(']') {
                Some((a, p)) => (
                    a.to_string(),
                    p.strip_prefix(':').and_then(|p| p.parse().ok()),
                ),
                None => continue,
            }
        } else if value.matches(':').count() == 1 {
            let (a, p) = value.split_once(':').expect("one colon");
            (a.to_string(), p.parse().ok())
        } else {
            (value.to_string(), None)
        };
        match port {
            Some(p) => push(address, p, location, None),
            None => ports
                .iter()
                .for_each(|p| push(address.clone(), *p, location, None)),
        }
    }
}

/// Enabled socket units: `ListenStream=` with `BindIPv6Only=`. A bare port is an IPv6 wildcard
/// socket (systemd.socket(5)) that also serves IPv4 unless IPV6_V6ONLY ends up set.
fn sockets(host: &Host, out: &mut Vec<ConfiguredListener>) {
    for unit in &host.sockets {
        let socket = unit.unit.entries.iter().filter(|e| e.section == "Socket");
        let bind = socket
            .clone()
            .rfind(|e| e.key.text == "BindIPv6Only")
            .map_or("default", |e| e.value.text.as_str());
        let v6only = match bind {
            "both" => V6Only::Explicit(false),
            "ipv6-only" => V6Only::Explicit(true),
            _ => V6Only::FromSysctl,
        };
        for e in socket.filter(|e| e.key.text == "ListenStream") {
            let value = e.value.text.as_str();
            let parsed = if let Ok(port) = value.parse::<u16>() {
                Some(("::".to_string(), port))
            } else if let Some(rest) = value.strip_prefix('[') {
                rest.split_once("]:")
                    .and_then(|(a, p)| Some((a.to_string(), p.parse().ok()?)))
            } else if !value.starts_with(['/', '@']) && value.matches(':').count() == 1 {
                value
                    .split_once(':')
                    .and_then(|(a, p)| Some((a.to_string(), p.parse().ok()?)))
            } else {
                None
            };
            if let Some((address, port)) = parsed {
                out.push(ConfiguredListener {
                    program: unit.name.clone(),
                    address,
                    port,
                    v6only,
                    location: Location {
                        file: unit.file,
                        span: e.value.span,
                    },
                    default: None,
                });
            }
        }
    }
}
