//! The OpenSSH client configuration, resolved for one host the way `ssh` resolves it, for the
//! native client (`native.rs`).
//!
//! OpenSSH reads `-F FILE`, or `~/.ssh/config` then `/etc/ssh/ssh_config`, top to bottom, and
//! keeps the first value it obtains for each keyword (`IdentityFile` accumulates). `Host` lines
//! hold patterns (`*`, `?`, `!` negation, several per line) matched against the name given on
//! the command line; `Include` reads more files (globs, relative to `~/.ssh` for the user's file
//! and `/etc/ssh` for the system's) where it stands, inside the current block. `Match` is
//! supported for `all`, `host`, `originalhost`, `user` and `localuser`; any other criterion
//! (`exec`, `canonical`, `final`, `localnetwork`, `tagged`...) cannot be decided without
//! running or guessing, so reaching one is an error for that host that names the line and
//! points at `--ssh-command ssh`, rather than a guess. Keywords the native client does not use
//! are skipped; those whose meaning it cannot honour (`ProxyCommand`) are an error when they
//! apply to a host. The resolution is compared with `ssh -G` over fixtures in the tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A configuration file larger than this is refused (OpenSSH's own are a few KiB).
const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// OpenSSH's limit on nested `Include`s (READCONF_MAX_DEPTH).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Who runs netvet: the home directory and name `~`, `%d` and `%u` stand for, and the default
/// user. OpenSSH takes them from the password database, not from `$HOME`.
#[derive(Clone, Debug)]
pub struct Local {
    pub user: String,
    pub home: PathBuf,
}

impl Local {
    /// The effective user from `/proc/self` and `/etc/passwd`, else `$USER` and `$HOME`.
    pub fn current() -> Local {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
        let from_passwd = uid.and_then(|uid| {
            let text = std::fs::read_to_string("/etc/passwd").ok()?;
            text.lines().find_map(|line| {
                let f: Vec<&str> = line.split(':').collect();
                (f.len() >= 7 && f[2].parse() == Ok(uid))
                    .then(|| (f[0].to_string(), PathBuf::from(f[5])))
            })
        });
        let (user, home) = from_passwd.unwrap_or_else(|| {
            (
                std::env::var("USER").unwrap_or_else(|_| "root".to_string()),
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from),
            )
        });
        Local { user, home }
    }
}

/// Which files to read: `-F FILE`, or the user's and the system's.
#[derive(Clone, Debug)]
pub enum Source {
    File(PathBuf),
    Default,
}

/// One `ProxyJump` hop as written: `[user@]host[:port]` or `ssh://[user@]host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jump {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// What the native client needs to reach one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostConfig {
    /// The name `Host` patterns were matched against (lowercased, as OpenSSH does).
    pub original: String,
    pub hostname: String,
    pub port: u16,
    pub user: String,
    /// Expanded (`~`, `%d`, `%u`, `%h`, `%r`, ...), in the order they are tried.
    pub identity_files: Vec<PathBuf>,
    pub identities_only: bool,
    /// The agent's socket: `IdentityAgent`, else `$SSH_AUTH_SOCK`; `None` when there is none
    /// or it is `none`.
    pub identity_agent: Option<PathBuf>,
    pub user_known_hosts: Vec<PathBuf>,
    pub global_known_hosts: Vec<PathBuf>,
    pub host_key_alias: Option<String>,
    pub connect_timeout: Option<Duration>,
    /// The jump hosts, first hop first; empty without `ProxyJump` (or with `none`).
    pub proxy_jump: Vec<Jump>,
}

/// What the command line (or the inventory) sets for a host: it wins over every file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub port: Option<u16>,
    pub user: Option<String>,
    /// `ssh -J`: also replaces the configuration's `ProxyJump` (`Some(vec![])` is `none`).
    pub proxy_jump: Option<Vec<Jump>>,
}

/// The first value obtained for each keyword, as strings until the end.
#[derive(Default)]
struct Raw {
    hostname: Option<String>,
    port: Option<String>,
    user: Option<String>,
    identity_files: Vec<String>,
    identities_only: Option<String>,
    identity_agent: Option<String>,
    user_known_hosts: Option<Vec<String>>,
    global_known_hosts: Option<Vec<String>>,
    host_key_alias: Option<String>,
    connect_timeout: Option<String>,
    /// `ProxyJump` or `ProxyCommand`, whichever came first (they exclude each other).
    proxy: Option<(bool, String, String)>,
}

struct Reader<'a> {
    local: &'a Local,
    /// The name as given: what `Host` lines see.
    given: String,
    /// The name lowercased: what `Match originalhost`, `%h` and `%n` see.
    original: String,
    /// A `-l`/inventory user, for `Match user`.
    cli_user: Option<&'a str>,
    raw: Raw,
}

/// Resolve `host` (as given on the command line or in the inventory).
pub fn resolve(
    source: &Source,
    local: &Local,
    host: &str,
    overrides: &Overrides,
) -> Result<HostConfig, String> {
    let mut reader = Reader {
        local,
        given: host.to_string(),
        original: host.to_lowercase(),
        cli_user: overrides.user.as_deref(),
        raw: Raw::default(),
    };
    match source {
        Source::File(file) => reader.read_file(file, &local.home.join(".ssh"), 0, true)?,
        Source::Default => {
            let user = local.home.join(".ssh/config");
            if user.exists() {
                reader.read_file(&user, &local.home.join(".ssh"), 0, true)?;
            }
            let system = Path::new("/etc/ssh/ssh_config");
            if system.exists() {
                reader.read_file(system, Path::new("/etc/ssh"), 0, true)?;
            }
        }
    }
    reader.finish(overrides)
}

/// A line's words: split at whitespace (and one `=` after the keyword), `"..."` quoting.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    let mut first = true;
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if !first && out.len() == 1 && chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        }
        let Some(&c) = chars.peek() else { break };
        if c == '#' && !first {
            break;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => word.push(c),
                    None => return Err("a quote is not closed".to_string()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || (first && c == '=') {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        first = false;
        out.push(word);
    }
    Ok(out)
}

/// OpenSSH's pattern match: `*` any run, `?` one character.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A pattern list (`a,b,!c` or separate words): no negated pattern matches and one plain one
/// does. With `fold`, both sides are lowercased, as OpenSSH compares host names in `Match` and
/// known_hosts; `Host` lines compare the name exactly as given.
pub fn pattern_list_matches<'a>(
    patterns: impl IntoIterator<Item = &'a str>,
    name: &str,
    fold: bool,
) -> bool {
    let name = if fold {
        name.to_lowercase()
    } else {
        name.to_string()
    };
    let mut matched = false;
    for pattern in patterns.into_iter().flat_map(|p| p.split(',')) {
        let pattern = if fold {
            pattern.to_lowercase()
        } else {
            pattern.to_string()
        };
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard(negated.as_bytes(), name.as_bytes()) {
                return false;
            }
        } else if wildcard(pattern.as_bytes(), name.as_bytes()) {
            matched = true;
        }
    }
    matched
}

impl Reader<'_> {
    fn read_file(
        &mut self,
        file: &Path,
        relative_to: &Path,
        depth: usize,
        active_at_start: bool,
    ) -> Result<(), String> {
        let at = |line: usize| format!("{}:{line}", file.display());
        let text = read_bounded(file)?;
        let mut active = active_at_start;
        for (n, line) in text.lines().enumerate() {
            let n = n + 1;
            let words = words(line).map_err(|e| format!("{}: {e}", at(n)))?;
            let Some((keyword, args)) = words.split_first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            let keyword = keyword.to_lowercase();
            match keyword.as_str() {
                "host" => {
                    active =
                        pattern_list_matches(args.iter().map(String::as_str), &self.given, false)
                }
                "match" => {
                    active = self
                        .match_line(args)
                        .map_err(|e| format!("{}: {e}", at(n)))?
                }
                "include" if active => {
                    if depth + 1 > MAX_INCLUDE_DEPTH {
                        return Err(format!(
                            "{}: Include nested more than {MAX_INCLUDE_DEPTH} deep",
                            at(n)
                        ));
                    }
                    for arg in args {
                        let pattern = expand_tilde(arg, &self.local.home);
                        let pattern = if Path::new(&pattern).is_absolute() {
                            PathBuf::from(pattern)
                        } else {
                            relative_to.join(pattern)
                        };
                        let mut paths: Vec<PathBuf> = glob::glob(&pattern.to_string_lossy())
                            .map_err(|e| format!("{}: Include {arg}: {e}", at(n)))?
                            .filter_map(Result::ok)
                            .collect();
                        paths.sort();
                        for path in paths {
                            self.read_file(&path, relative_to, depth + 1, true)?;
                        }
                    }
                }
                _ if active => self
                    .option(&keyword, args)
                    .map_err(|e| format!("{}: {e}", at(n)))?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether a `Match` line applies, or why it cannot be decided.
    fn match_line(&self, args: &[String]) -> Result<bool, String> {
        let mut result = true;
        let mut i = 0;
        while i < args.len() {
            let raw = args[i].to_lowercase();
            let (negate, criterion) = match raw.strip_prefix('!') {
                Some(c) => (true, c.to_string()),
                None => (false, raw.clone()),
            };
            i += 1;
            if criterion == "all" {
                result &= !negate;
                continue;
            }
            let Some(value) = args.get(i) else {
                return Err(format!("Match {criterion} needs an argument"));
            };
            i += 1;
            let subject = match criterion.as_str() {
                "host" => self
                    .raw
                    .hostname
                    .as_deref()
                    .map_or(self.original.clone(), |h| {
                        expand_host(h, &self.original).to_lowercase()
                    }),
                "originalhost" => self.original.clone(),
                "user" => self
                    .cli_user
                    .or(self.raw.user.as_deref())
                    .unwrap_or(&self.local.user)
                    .to_string(),
                "localuser" => self.local.user.clone(),
                other => {
                    // As OpenSSH does, a criterion after one that failed is not evaluated.
                    if !result {
                        continue;
                    }
                    return Err(format!(
                        "Match {other} cannot be decided by netvet's SSH client; \
                         use --ssh-command ssh for this configuration"
                    ));
                }
            };
            let fold = matches!(criterion.as_str(), "host" | "originalhost");
            let matched = pattern_list_matches(value.split(','), &subject, fold);
            result &= matched != negate;
        }
        Ok(result)
    }

    fn option(&mut self, keyword: &str, args: &[String]) -> Result<(), String> {
        let first = || {
            args.first()
                .cloned()
                .ok_or_else(|| format!("{keyword} needs a value"))
        };
        let raw = &mut self.raw;
        match keyword {
            "hostname" if raw.hostname.is_none() => raw.hostname = Some(first()?),
            "port" if raw.port.is_none() => raw.port = Some(first()?),
            "user" if raw.user.is_none() => raw.user = Some(first()?),
            "identityfile" => raw.identity_files.push(first()?),
            "identitiesonly" if raw.identities_only.is_none() => {
                raw.identities_only = Some(first()?)
            }
            "identityagent" if raw.identity_agent.is_none() => raw.identity_agent = Some(first()?),
            "userknownhostsfile" if raw.user_known_hosts.is_none() => {
                first()?;
                raw.user_known_hosts = Some(args.to_vec());
            }
            "globalknownhostsfile" if raw.global_known_hosts.is_none() => {
                first()?;
                raw.global_known_hosts = Some(args.to_vec());
            }
            "hostkeyalias" if raw.host_key_alias.is_none() => raw.host_key_alias = Some(first()?),
            "connecttimeout" if raw.connect_timeout.is_none() => {
                raw.connect_timeout = Some(first()?)
            }
            "proxyjump" if raw.proxy.is_none() => raw.proxy = Some((true, first()?, String::new())),
            "proxycommand" if raw.proxy.is_none() => {
                raw.proxy = Some((false, first()?, args.join(" ")))
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self, overrides: &Overrides) -> Result<HostConfig, String> {
        let raw = self.raw;
        let local = self.local;
        let hostname = raw
            .hostname
            .as_deref()
            .map_or(self.original.clone(), |h| expand_host(h, &self.original))
            .to_lowercase();
        let port = match (overrides.port, &raw.port) {
            (Some(p), _) => p,
            (None, Some(p)) => p
                .parse()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("Port {p} is not a port number"))?,
            (None, None) => 22,
        };
        let user = overrides
            .user
            .clone()
            .or(raw.user)
            .unwrap_or_else(|| local.user.clone());
        let tokens = Tokens {
            local,
            hostname: &hostname,
            original: &self.original,
            user: &user,
            port,
        };
        let identity_files = if raw.identity_files.is_empty() {
            [
                "id_rsa",
                "id_ecdsa",
                "id_ecdsa_sk",
                "id_ed25519",
                "id_ed25519_sk",
                "id_xmss",
                "id_dsa",
            ]
            .iter()
            .map(|f| local.home.join(".ssh").join(f))
            .collect()
        } else {
            let mut files = Vec::new();
            for f in &raw.identity_files {
                if !f.eq_ignore_ascii_case("none") {
                    files.push(PathBuf::from(tokens.expand(f)?));
                }
            }
            files
        };
        let yes_no = |what: &str, v: &Option<String>| match v.as_deref().map(str::to_lowercase) {
            None => Ok(false),
            Some(v) if v == "yes" || v == "true" => Ok(true),
            Some(v) if v == "no" || v == "false" => Ok(false),
            Some(v) => Err(format!("{what} {v}: neither yes nor no")),
        };
        let identities_only = yes_no("IdentitiesOnly", &raw.identities_only)?;
        let identity_agent = match raw.identity_agent.as_deref() {
            Some(a) if a.eq_ignore_ascii_case("none") => None,
            Some("SSH_AUTH_SOCK") | None => std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            Some(a) => match a.strip_prefix('$') {
                Some(var) => std::env::var_os(var)
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from),
                None => Some(PathBuf::from(tokens.expand(a)?)),
            },
        };
        let files = |given: Option<Vec<String>>,
                     default: &[&str]|
         -> Result<Vec<PathBuf>, String> {
            let given = given.unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect());
            let mut out = Vec::new();
            for f in given {
                if !f.eq_ignore_ascii_case("none") {
                    out.push(PathBuf::from(tokens.expand(&f)?));
                }
            }
            Ok(out)
        };
        let user_known_hosts = files(
            raw.user_known_hosts,
            &["~/.ssh/known_hosts", "~/.ssh/known_hosts2"],
        )?;
        let global_known_hosts = files(
            raw.global_known_hosts,
            &["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"],
        )?;
        let connect_timeout = match raw.connect_timeout.as_deref() {
            None => None,
            Some(t) if t.eq_ignore_ascii_case("none") => None,
            Some(t) => Some(
                parse_time(t)
                    .ok_or_else(|| format!("ConnectTimeout {t}: not a time (seconds, or 1m30s)"))?,
            ),
        };
        let proxy_jump = match (overrides.proxy_jump.clone(), raw.proxy) {
            (Some(jumps), _) => jumps,
            (None, None) => Vec::new(),
            (None, Some((_, value, _))) if value.eq_ignore_ascii_case("none") => Vec::new(),
            (None, Some((true, value, _))) => parse_jumps(&value)?,
            (None, Some((false, _, command))) => {
                return Err(format!(
                    "ProxyCommand {command} is not run by netvet's SSH client; \
                     use ProxyJump, or --ssh-command ssh"
                ));
            }
        };
        Ok(HostConfig {
            original: self.original,
            hostname,
            port,
            user,
            identity_files,
            identities_only,
            identity_agent,
            user_known_hosts,
            global_known_hosts,
            host_key_alias: raw.host_key_alias,
            connect_timeout,
            proxy_jump,
        })
    }
}

fn read_bounded(file: &Path) -> Result<String, String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| format!("reading {}: {e}", file.display()))?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!(
            "{}: larger than {} KiB, not an SSH configuration",
            file.display(),
            MAX_CONFIG_BYTES >> 10
        ));
    }
    Ok(text)
}

/// `HostName`'s only token: `%h` (the name given), `%%`.
fn expand_host(value: &str, original: &str) -> String {
    value
        .replace("%%", "\u{0}")
        .replace("%h", original)
        .replace('\u{0}', "%")
}

fn expand_tilde(value: &str, home: &Path) -> String {
    match value.strip_prefix("~/") {
        Some(rest) => home.join(rest).display().to_string(),
        None if value == "~" => home.display().to_string(),
        None => value.to_string(),
    }
}

/// The tokens of file-name keywords (`IdentityFile`, `UserKnownHostsFile`, `IdentityAgent`).
struct Tokens<'a> {
    local: &'a Local,
    hostname: &'a str,
    original: &'a str,
    user: &'a str,
    port: u16,
}

impl Tokens<'_> {
    fn expand(&self, value: &str) -> Result<String, String> {
        let value = expand_tilde(value, &self.local.home);
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('d') => out.push_str(&self.local.home.display().to_string()),
                Some('u') => out.push_str(&self.local.user),
                Some('h') => out.push_str(self.hostname),
                Some('n') => out.push_str(self.original),
                Some('r') => out.push_str(self.user),
                Some('p') => out.push_str(&self.port.to_string()),
                Some(t) => {
                    return Err(format!(
                        "{value}: the token %{t} is not expanded by netvet's SSH client \
                         (it knows %%, %d, %u, %h, %n, %r, %p)"
                    ));
                }
                None => return Err(format!("{value}: a lone % at the end")),
            }
        }
        Ok(out)
    }
}

/// OpenSSH's time format: seconds, or a sum of `N[smhdw]`.
fn parse_time(text: &str) -> Option<Duration> {
    if let Ok(s) = text.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604800,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    if !number.is_empty() {
        total = total.checked_add(number.parse().ok()?)?;
    }
    Some(Duration::from_secs(total))
}

/// `ProxyJump`'s value: hops separated by commas.
pub fn parse_jumps(value: &str) -> Result<Vec<Jump>, String> {
    value
        .split(',')
        .map(|hop| {
            let bad = || format!("ProxyJump {value}: `{hop}` is not [user@]host[:port]");
            let hop_text = hop.strip_prefix("ssh://").unwrap_or(hop);
            let (user, rest) = match hop_text.rsplit_once('@') {
                Some((u, r)) => (Some(u.to_string()), r),
                None => (None, hop_text),
            };
            let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
                let (h, after) = inner.split_once(']').ok_or_else(bad)?;
                match after.strip_prefix(':') {
                    Some(p) => (h, Some(p)),
                    None if after.is_empty() => (h, None),
                    None => return Err(bad()),
                }
            } else {
                match rest.rsplit_once(':') {
                    Some((h, p)) if !h.contains(':') => (h, Some(p)),
                    _ => (rest, None),
                }
            };
            let port = match port {
                Some(p) => Some(p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(bad)?),
                None => None,
            };
            if host.is_empty() || user.as_deref() == Some("") {
                return Err(bad());
            }
            Ok(Jump {
                user,
                host: host.to_string(),
                port,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Local {
        Local {
            user: "op".to_string(),
            home: PathBuf::from("/home/op"),
        }
    }

    fn resolve_text(text: &str, host: &str) -> Result<HostConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, text).unwrap();
        resolve(&Source::File(file), &local(), host, &Overrides::default())
    }

    #[test]
    fn patterns_match_as_openssh_matches_them() {
        assert!(pattern_list_matches(["web*"], "web1", false));
        assert!(pattern_list_matches(["db?", "web*"], "web1", false));
        assert!(!pattern_list_matches(["web?"], "web12", false));
        assert!(pattern_list_matches(["*", "!bastion"], "web1", false));
        assert!(!pattern_list_matches(["*", "!bastion"], "bastion", false));
        assert!(
            !pattern_list_matches(["!web1"], "web2", false),
            "a negation alone matches nothing"
        );
        assert!(pattern_list_matches(["a,WEB*"], "web1", true));
        assert!(pattern_list_matches(
            ["*.example.com"],
            "a.b.example.com",
            false
        ));
        assert!(!pattern_list_matches(
            ["*.example.com"],
            "example.com",
            false
        ));
        assert!(
            !pattern_list_matches(["web?"], "WEB1", false),
            "Host compares exactly"
        );
    }

    #[test]
    fn the_first_value_wins_and_identity_files_accumulate() {
        let c = resolve_text(
            "Host web1\n  HostName 198.18.0.11\n  IdentityFile ~/.ssh/web\n\
             Host *\n  HostName other\n  User deploy\n  Port=2222\n  IdentityFile %d/.ssh/%r@%h\n",
            "web1",
        )
        .unwrap();
        assert_eq!(c.hostname, "198.18.0.11");
        assert_eq!(c.port, 2222);
        assert_eq!(c.user, "deploy");
        assert_eq!(
            c.identity_files,
            [
                PathBuf::from("/home/op/.ssh/web"),
                PathBuf::from("/home/op/.ssh/deploy@198.18.0.11")
            ]
        );
        assert_eq!(
            c.user_known_hosts[0],
            PathBuf::from("/home/op/.ssh/known_hosts")
        );
    }

    #[test]
    fn unsupported_match_and_proxycommand_are_refused_with_the_line() {
        let e = resolve_text("Match exec \"true\"\n  Port 2\n", "a").unwrap_err();
        assert!(
            e.contains(":1: Match exec") && e.contains("--ssh-command ssh"),
            "{e}"
        );
        // not reached: an earlier criterion failed
        assert_eq!(
            resolve_text("Match host b exec x\n  Port 2\n", "a")
                .unwrap()
                .port,
            22
        );
        let e = resolve_text("Host a\n  ProxyCommand nc %h %p\n", "a").unwrap_err();
        assert!(e.contains("ProxyCommand nc %h %p"), "{e}");
        assert!(resolve_text("Host b\n  ProxyCommand nc %h %p\n", "a").is_ok());
    }

    #[test]
    fn jumps_parse_every_form() {
        assert_eq!(
            parse_jumps("a,u@b:2200,ssh://v@[fd00::1]:22").unwrap(),
            [
                Jump {
                    user: None,
                    host: "a".into(),
                    port: None
                },
                Jump {
                    user: Some("u".into()),
                    host: "b".into(),
                    port: Some(2200)
                },
                Jump {
                    user: Some("v".into()),
                    host: "fd00::1".into(),
                    port: Some(22)
                },
            ]
        );
        for bad in ["a:0", "a:x", "@b", "", "[a"] {
            assert!(parse_jumps(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_and_tokens() {
        assert_eq!(parse_time("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_time("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_time("1x"), None);
        let e = resolve_text("IdentityFile ~/%C\n", "a").unwrap_err();
        assert!(e.contains("%C"), "{e}");
    }

    #[test]
    fn oversized_and_deeply_included_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("loop");
        std::fs::write(&file, format!("Include {}\n", file.display())).unwrap();
        let e = resolve(&Source::File(file), &local(), "a", &Overrides::default()).unwrap_err();
        assert!(e.contains("nested more than 16"), "{e}");
        let big = dir.path().join("big");
        std::fs::write(&big, "#".repeat(2 << 20)).unwrap();
        let e = resolve(&Source::File(big), &local(), "a", &Overrides::default()).unwrap_err();
        assert!(e.contains("not an SSH configuration"), "{e}");
    }
}
