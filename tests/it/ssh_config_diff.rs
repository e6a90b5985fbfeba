//! netvet's resolution of the OpenSSH client configuration (`audit::sshconfig`, what the native
//! audit client connects with) against OpenSSH's own: `ssh -G -F FILE HOST` over fixtures, for
//! every field the native client uses.

use std::path::{Path, PathBuf};
use std::process::Command;

use netvet::audit::sshconfig::{self, Local, Overrides, Source};

/// The fields compared: hostname, port, user, identity files, IdentitiesOnly, the user's
/// known_hosts files, ConnectTimeout in seconds, ProxyJump hops.
type Fields = (
    String,
    u16,
    String,
    Vec<PathBuf>,
    bool,
    Vec<PathBuf>,
    Option<u64>,
    Vec<sshconfig::Jump>,
);

/// What `ssh -G` prints, read into the same fields. It prints identity files as written
/// (`~` unexpanded) and known_hosts files expanded.
fn openssh(file: &Path, host: &str, port: Option<u16>, user: Option<&str>, home: &Path) -> Fields {
    let mut command = Command::new("ssh");
    command.arg("-G").arg("-F").arg(file);
    if let Some(p) = port {
        command.args(["-p", &p.to_string()]);
    }
    if let Some(u) = user {
        command.args(["-l", u]);
    }
    let out = command.arg(host).output().unwrap();
    assert!(
        out.status.success(),
        "ssh -G {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |key: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
            .collect()
    };
    let one = |key: &str| value(key).into_iter().next().unwrap_or_default();
    let tilde = |p: &str| match p.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None => PathBuf::from(p),
    };
    (
        one("hostname"),
        one("port").parse().unwrap(),
        one("user"),
        value("identityfile").iter().map(|p| tilde(p)).collect(),
        one("identitiesonly") == "yes",
        one("userknownhostsfile")
            .split(' ')
            .map(PathBuf::from)
            .collect(),
        one("connecttimeout").parse().ok(),
        value("proxyjump")
            .first()
            .map(|j| sshconfig::parse_jumps(j).unwrap())
            .unwrap_or_default(),
    )
}

fn netvet(file: &Path, host: &str, port: Option<u16>, user: Option<&str>, local: &Local) -> Fields {
    let overrides = Overrides {
        port,
        user: user.map(str::to_string),
        proxy_jump: None,
    };
    let c = sshconfig::resolve(&Source::File(file.to_path_buf()), local, host, &overrides)
        .unwrap_or_else(|e| panic!("{host}: {e}"));
    (
        c.hostname,
        c.port,
        c.user,
        c.identity_files,
        c.identities_only,
        c.user_known_hosts,
        c.connect_timeout.map(|t| t.as_secs()),
        c.proxy_jump,
    )
}

#[test]
fn resolution_matches_ssh_dash_g() {
    if Command::new("ssh").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs the OpenSSH client"
        );
        eprintln!("no ssh: skipping");
        return;
    }
    let local = Local::current();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
    std::fs::write(
        dir.path().join("conf.d/10-db.conf"),
        "Host db*\n    Port 5022\n    User dba\n    IdentityFile ~/.ssh/db_key\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("conf.d/20-late.conf"),
        "Port 6022\nConnectTimeout 7\n",
    )
    .unwrap();
    let fixtures = [
        // first value wins, several patterns, negation, wildcards, %h in HostName
        format!(
            "Host web? !web9 app-*\n    HostName %h.example.net\n    Port 2200\n\
             Host web1\n    HostName ignored\n    User first\n\
             Host *\n    User fallback\n    IdentityFile ~/.ssh/one\n    IdentityFile {d}/two\n\
             \x20   IdentitiesOnly yes\n    ConnectTimeout 1m5s\n"
        ),
        // Include globs, inside a Host block and at the top; a relative one that matches
        // nothing; known_hosts files with tokens
        format!(
            "Include {d}/conf.d/*.conf\nInclude netvet-test-no-such-*.conf\n\
             Host bastion\n    HostName 198.18.7.1\n    UserKnownHostsFile {d}/kh_%h_%r_%p %d/kh2_%n ~/kh3\n\
             Host *\n    UserKnownHostsFile /dev/null\n"
        ),
        // Match: host (after HostName), originalhost, user, all, negation
        "Host short\n    HostName long.example.org\n\
         Match host long.example.org\n    Port 2022\n\
         Match originalhost short user alice\n    IdentityFile ~/.ssh/alice\n\
         Match !originalhost short\n    ConnectTimeout 3\n\
         Match all\n    User bob\n"
            .to_string(),
        // ProxyJump forms and none, key=value syntax and quoting
        "Host inner\n    ProxyJump=u@jump1:2222,ssh://jump2\n\
         Host direct\n    ProxyJump none\n\
         Host \"quoted\"\n    User \"the user\"\n\
         Host *\n    ProxyJump fallback\n    IdentitiesOnly no\n"
            .to_string(),
    ];
    let hosts: [(&str, Option<u16>, Option<&str>); 14] = [
        ("web1", None, None),
        ("WEB2", None, None),
        ("web9", None, None),
        ("app-x", Some(2300), Some("cli")),
        ("db1", None, None),
        ("bastion", None, None),
        ("other", None, Some("alice")),
        ("short", None, None),
        ("short", None, Some("alice")),
        ("inner", None, None),
        ("direct", None, None),
        ("quoted", None, None),
        ("198.18.0.11", Some(2222), None),
        ("fd00::2", None, None),
    ];
    let mut compared = 0;
    for (i, text) in fixtures.iter().enumerate() {
        let file = dir.path().join(format!("config{i}"));
        std::fs::write(&file, text).unwrap();
        for (host, port, user) in hosts {
            let want = openssh(&file, host, port, user, &local.home);
            let got = netvet(&file, host, port, user, &local);
            assert_eq!(
                got, want,
                "fixture {i}, host {host} (-p {port:?} -l {user:?}):\n{text}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, fixtures.len() * hosts.len());
}
