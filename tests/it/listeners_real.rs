//! Real nginx and real sockets in network namespaces created by the test (each with its own
//! `net.ipv6.bindv6only`): for bindv6only 0 and 1 and the classic `listen` layouts, netvet's
//! verdict must match what IPv4 and IPv6 connections actually do, and a layout that cannot bind
//! must be the one netvet calls a bind conflict.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::Netns;

const NETVET: &str = env!("CARGO_BIN_EXE_netvet");

/// A server started in the namespace (nginx, apache2, sshd), stopped with SIGTERM on drop.
struct Server(Child);

impl Drop for Server {
    /// SIGTERM, not SIGKILL: the master then stops its workers, which hold the sockets too.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Start `program args...` in the namespace and wait (up to 5 s) until `port` answers.
    fn start(ns: &Netns, program: &str, args: &[&std::ffi::OsStr], port: u16) -> Server {
        let child = Command::new("ip")
            .args(["netns", "exec", &ns.0, program])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until(ns, port, true);
        Server(child)
    }
}

/// Wait (up to 5 s) until `port` answers over IPv4 or IPv6, or until it no longer does.
fn wait_until(ns: &Netns, port: u16, answering: bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while (ns.connects("127.0.0.1", port) || ns.connects("::1", port)) != answering
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What `netvet listeners --root ROOT` says about a port: whether it reaches IPv4 and IPv6, and
/// the rows it printed.
fn says(root: &std::path::Path, port: u16) -> (bool, bool, Value) {
    let out = Command::new(NETVET)
        .args(["listeners", "--format", "json", "--root"])
        .arg(root)
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let any = |family: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["port"] == port && r[family] == true)
    };
    (any("v4"), any("v6"), rows)
}

/// A host tree with nginx.conf (one server with these listen lines) and a sysctl.d file.
fn tree(listen: &str, bindv6only: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("etc/nginx/sites-enabled")).unwrap();
    std::fs::create_dir_all(p.join("etc/sysctl.d")).unwrap();
    std::fs::create_dir_all(p.join("logs")).unwrap();
    std::fs::write(
        p.join("etc/nginx/nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\nevents {{ }}\nhttp {{\n    access_log off;\n    include sites-enabled/*;\n}}\n",
            d = p.display()
        ),
    )
    .unwrap();
    std::fs::write(
        p.join("etc/nginx/sites-enabled/default"),
        format!("server {{\n{listen}\n    return 204;\n}}\n"),
    )
    .unwrap();
    std::fs::write(
        p.join("etc/sysctl.d/60-bindv6only.conf"),
        format!("net.ipv6.bindv6only = {bindv6only}\n"),
    )
    .unwrap();
    dir
}

fn start(ns: &Netns, dir: &tempfile::TempDir) -> (Server, bool) {
    let conf = dir.path().join("etc/nginx/nginx.conf");
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.0, "/usr/sbin/nginx", "-c"])
        .arg(&conf)
        .args(["-p", dir.path().to_str().unwrap(), "-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut nginx = Server(child);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = nginx.0.try_wait() {
            return (nginx, false);
        }
        if ns.connects("::1", 80) || ns.connects("127.0.0.1", 80) {
            return (nginx, true);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (nginx, false)
}

fn findings(ns: &Netns, dir: &tempfile::TempDir) -> Vec<(String, Option<u64>)> {
    let out = ns.exec(
        NETVET,
        &[
            "check",
            "--live",
            "--root",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
            "--select",
            "NV401,NV402",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["port"].as_u64()))
        .collect()
}

#[test]
fn netvet_agrees_with_real_nginx_and_real_connections() {
    let Some(ns) = Netns::new("nginx", &["/usr/sbin/nginx", "python3"]) else {
        return;
    };
    let layouts = [
        (
            "listen 80;\nlisten [::]:80;",
            "separate IPv4 and IPv6 sockets",
        ),
        ("listen [::]:80 ipv6only=off;", "one dual-stack socket"),
        ("listen [::]:80;", "IPv6 only"),
    ];
    for bindv6only in ["0", "1"] {
        ns.exec(
            "sysctl",
            &["-q", "-w", &format!("net.ipv6.bindv6only={bindv6only}")],
        );
        for (listen, what) in layouts {
            let dir = tree(listen, bindv6only);
            let (nginx, up) = start(&ns, &dir);
            assert!(
                up,
                "nginx did not start with {what} (bindv6only={bindv6only})"
            );
            let v4 = ns.connects("127.0.0.1", 80);
            let v6 = ns.connects("::1", 80);
            let found = findings(&ns, &dir);
            let nv401 = found.iter().any(|(c, p)| c == "NV401" && *p == Some(80));
            assert!(v6, "{what}: IPv6 must connect");
            // nginx sets IPV6_V6ONLY itself: bindv6only changes none of these.
            assert_eq!(
                nv401, !v4,
                "{what} (bindv6only={bindv6only}): IPv4 connects: {v4}, netvet: {found:?}"
            );
            assert!(
                !found.iter().any(|(c, _)| c == "NV402"),
                "{what}: {found:?}"
            );
            drop(nginx);
            assert!(
                !ns.connects("::1", 80) && !ns.connects("127.0.0.1", 80),
                "port 80 is free again"
            );
        }
    }
    // `listen 80` beside a dual-stack [::]:80 cannot bind; netvet says so before nginx tries.
    // nginx retries the failed bind for a few seconds, then gives up.
    let dir = tree("listen 80;\nlisten [::]:80 ipv6only=off;", "0");
    let (mut nginx, _) = start(&ns, &dir);
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = nginx.0.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(dir.path().join("logs/error.log")).unwrap_or_default();
    assert!(
        status.is_some_and(|s| !s.success()) && log.contains("Address already in use"),
        "nginx should fail to bind: {status:?} {log}"
    );
    drop(nginx);
    let out = Command::new(NETVET)
        .args([
            "check",
            "--root",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nv402: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "NV402")
        .collect();
    assert_eq!(nv402.len(), 1, "{v}");
    assert_eq!(nv402[0]["port"], 80);
    assert_eq!(nv402[0]["program"], "nginx");
    assert_eq!(nv402[0]["address"], "::");
}

/// `netvet fix --unsafe` on the two nginx layouts netvet reports (IPv6 only, NV401; a bind
/// conflict, NV402): real nginx then starts, and IPv4 and IPv6 clients both connect.
#[test]
fn netvet_fix_makes_real_nginx_reach_both_families() {
    let Some(ns) = Netns::new("nginx-fix", &["/usr/sbin/nginx", "python3"]) else {
        return;
    };
    for (listen, bindv6only, code) in [
        ("listen [::]:80;", "1", "NV401"),
        ("listen 80;\nlisten [::]:80 ipv6only=off;", "0", "NV402"),
    ] {
        ns.exec(
            "sysctl",
            &["-q", "-w", &format!("net.ipv6.bindv6only={bindv6only}")],
        );
        let dir = tree(listen, bindv6only);
        let out = Command::new(NETVET)
            .args(["fix", "--unsafe", "--select", code])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{code}: {out:?}");
        let (nginx, up) = start(&ns, &dir);
        assert!(up, "{code}: nginx did not start after the fix");
        let site =
            std::fs::read_to_string(dir.path().join("etc/nginx/sites-enabled/default")).unwrap();
        assert!(
            ns.connects("127.0.0.1", 80) && ns.connects("::1", 80),
            "{code}: both families must connect after the fix:\n{site}"
        );
        drop(nginx);
        wait_until(&ns, 80, false);
    }
}

/// A host tree whose apache2.conf is a minimal, runnable httpd configuration with these Listen
/// lines.
fn apache_tree(listen: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("etc/apache2")).unwrap();
    std::fs::write(
        d.join("etc/apache2/apache2.conf"),
        format!(
            "ServerRoot {d}\nLoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\nLoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\nServerName localhost\n{listen}\n",
            d = d.display()
        ),
    )
    .unwrap();
    dir
}

#[test]
fn netvet_agrees_with_real_apache() {
    let Some(ns) = Netns::new("apache", &["/usr/sbin/apache2", "python3"]) else {
        return;
    };
    for bindv6only in ["0", "1"] {
        ns.exec(
            "sysctl",
            &["-q", "-w", &format!("net.ipv6.bindv6only={bindv6only}")],
        );
        for listen in [
            "Listen 80",
            "Listen [::]:80",
            "Listen 0.0.0.0:80\nListen [::]:80",
            "Listen 0.0.0.0:80",
        ] {
            let dir = apache_tree(listen);
            let conf = dir.path().join("etc/apache2/apache2.conf");
            let apache = Server::start(
                &ns,
                "/usr/sbin/apache2",
                &["-f".as_ref(), conf.as_os_str(), "-DFOREGROUND".as_ref()],
                80,
            );
            let (v4, v6) = (ns.connects("127.0.0.1", 80), ns.connects("::1", 80));
            let (says_v4, says_v6, rows) = says(dir.path(), 80);
            let what = listen.replace('\n', "; ");
            assert_eq!(
                (says_v4, says_v6),
                (v4, v6),
                "{what} (bindv6only={bindv6only}): {rows:?}"
            );
            // httpd drops 0.0.0.0:80 beside a dual-stack [::]:80 instead of failing: no NV402.
            let check = Command::new(NETVET)
                .args([
                    "check",
                    "--root",
                    dir.path().to_str().unwrap(),
                    "--format",
                    "json",
                    "--fail-on",
                    "never",
                    "--select",
                    "NV401,NV402",
                ])
                .output()
                .unwrap();
            let v: Value = serde_json::from_slice(&check.stdout).unwrap();
            assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{what}: {v}");
            drop(apache);
            wait_until(&ns, 80, false);
        }
    }
}

#[test]
fn netvet_agrees_with_real_sshd() {
    let Some(ns) = Netns::new(
        "sshd",
        &["/usr/sbin/sshd", "/usr/bin/ssh-keygen", "python3"],
    ) else {
        return;
    };
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("hostkey");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::create_dir_all("/run/sshd").unwrap(); // sshd's privilege separation directory
    for bindv6only in ["0", "1"] {
        ns.exec(
            "sysctl",
            &["-q", "-w", &format!("net.ipv6.bindv6only={bindv6only}")],
        );
        for extra in [
            "",
            "ListenAddress ::",
            "ListenAddress 0.0.0.0",
            "AddressFamily inet6",
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("etc/ssh")).unwrap();
            let conf = dir.path().join("etc/ssh/sshd_config");
            std::fs::write(
                &conf,
                format!(
                    "Port 2222\nHostKey {}\nPidFile {}/sshd.pid\nUsePAM no\n{extra}\n",
                    key.display(),
                    dir.path().display()
                ),
            )
            .unwrap();
            let sshd = Server::start(
                &ns,
                "/usr/sbin/sshd",
                &["-D".as_ref(), "-f".as_ref(), conf.as_os_str()],
                2222,
            );
            let (v4, v6) = (ns.connects("127.0.0.1", 2222), ns.connects("::1", 2222));
            let root = dir.path().to_str().unwrap();
            let (says_v4, says_v6, rows) = says(dir.path(), 2222);
            let what = format!("[{extra}] (bindv6only={bindv6only})");
            assert_eq!((says_v4, says_v6), (v4, v6), "{what}: {rows}");
            // IPv6 only is NV401: sshd sets IPV6_V6ONLY on its IPv6 sockets whatever the sysctl.
            let check = Command::new(NETVET)
                .args([
                    "check",
                    "--root",
                    root,
                    "--format",
                    "json",
                    "--fail-on",
                    "never",
                    "--select",
                    "NV401",
                ])
                .output()
                .unwrap();
            let v: Value = serde_json::from_slice(&check.stdout).unwrap();
            let nv401 = !v["findings"].as_array().unwrap().is_empty();
            assert_eq!(nv401, v6 && !v4, "{what}: {v}");
            drop(sshd);
            wait_until(&ns, 2222, false);
        }
    }
}

/// The apache2 netvet knows is Debian's: its static modules are the ones `apache2 -l` lists.
#[test]
fn apache_static_modules_are_the_installed_ones() {
    let Ok(out) = Command::new("/usr/sbin/apache2").arg("-l").output() else {
        assert!(std::env::var_os("CI").is_none(), "CI installs apache2");
        return;
    };
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| l.trim().to_string())
        .collect();
    let ours: Vec<String> = netvet::model::listeners::APACHE_STATIC_MODULES
        .iter()
        .map(|(file, _)| (*file).to_string())
        .collect();
    assert_eq!(listed, ours);
}

/// A copy of this machine's stock /etc/apache2 (Debian's package), with `a2enmod ssl`'s links
/// when `ssl`, and the defines of `APACHE_ARGUMENTS` in envvars.
fn stock_apache_tree(ssl: bool, arguments: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    let conf = dir.path().join("etc/apache2");
    let status = Command::new("cp")
        .args(["-a", "/etc/apache2"])
        .arg(&conf)
        .status()
        .unwrap();
    assert!(status.success());
    if ssl {
        for name in ["ssl.load", "ssl.conf", "socache_shmcb.load"] {
            let link = conf.join("mods-enabled").join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(format!("../mods-available/{name}"), link).unwrap();
        }
    }
    let envvars = std::fs::read_to_string(conf.join("envvars")).unwrap();
    std::fs::write(
        conf.join("envvars"),
        format!("{envvars}\nexport APACHE_ARGUMENTS='{arguments}'\n"),
    )
    .unwrap();
    dir
}

/// Stock Debian apache2 listens on 80 only; with mod_ssl enabled on 443 too; a `-D` define in
/// envvars switches an `<IfDefine>` section. netvet reads the same ports from the same tree.
#[test]
fn netvet_agrees_with_stock_apache() {
    let Some(ns) = Netns::new("stock-apache", &["/usr/sbin/apache2", "python3"]) else {
        return;
    };
    if !std::path::Path::new("/etc/apache2/apache2.conf").exists() {
        return;
    }
    // Each case: mod_ssl enabled, APACHE_ARGUMENTS, an extra ports.conf tail, expected ports.
    let cases: [(bool, &str, &str, &[u16]); 5] = [
        (false, "", "", &[80]),
        (true, "", "", &[80, 443]),
        (
            false,
            "-D EXTRA",
            "<IfDefine EXTRA>\n<IfModule !ssl_module>\nListen 8080\n</IfModule>\n</IfDefine>\n",
            &[80, 8080],
        ),
        (
            false,
            "",
            "<IfDefine !EXTRA>\nListen 8081\n</IfDefine>\n",
            &[80, 8081],
        ),
        (
            false,
            "-DEXTRA",
            "UnDefine EXTRA\nDefine OTHER\n<IfDefine EXTRA>\nListen 8080\n</IfDefine>\n<IfDefine OTHER>\nListen 8082\n</IfDefine>\n",
            &[80, 8082],
        ),
    ];
    for (ssl, arguments, tail, expected) in cases {
        let dir = stock_apache_tree(ssl, arguments);
        let conf = dir.path().join("etc/apache2");
        if !tail.is_empty() {
            let ports = conf.join("ports.conf");
            let text = std::fs::read_to_string(&ports).unwrap();
            std::fs::write(&ports, format!("{text}\n{tail}")).unwrap();
        }
        let run = dir.path().join("run");
        std::fs::create_dir_all(run.join("log")).unwrap();
        let mut args: Vec<std::ffi::OsString> = vec![
            "APACHE_RUN_USER=www-data".into(),
            "APACHE_RUN_GROUP=www-data".into(),
            format!("APACHE_PID_FILE={}/apache2.pid", run.display()).into(),
            format!("APACHE_RUN_DIR={}", run.display()).into(),
            format!("APACHE_LOCK_DIR={}", run.display()).into(),
            format!("APACHE_LOG_DIR={}/log", run.display()).into(),
            "/usr/sbin/apache2".into(),
            "-d".into(),
            conf.clone().into(),
            "-DFOREGROUND".into(),
        ];
        args.extend(arguments.split_whitespace().map(Into::into));
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let what = format!("ssl={ssl} APACHE_ARGUMENTS='{arguments}' {tail:?}");
        let apache = Server::start(&ns, "env", &args, 80);
        let answering: Vec<u16> = [80, 443, 8080, 8081, 8082]
            .into_iter()
            .filter(|p| ns.connects("127.0.0.1", *p))
            .collect();
        assert_eq!(answering, expected, "the real apache2 ({what})");
        let (_, _, rows) = says(dir.path(), 80);
        let mut ports: Vec<u16> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["program"] == "apache2")
            .map(|r| r["port"].as_u64().unwrap() as u16)
            .collect();
        ports.sort_unstable();
        assert_eq!(ports, expected, "netvet ({what}): {rows}");
        drop(apache);
        wait_until(&ns, 80, false);
    }
}

/// Stock Debian nginx and stock apache2 on one host (this machine's /etc trees, logs and pid
/// moved into the test's directory): the one started second cannot bind port 80, and netvet
/// reports exactly that as one NV406.
#[test]
fn stock_nginx_and_apache_conflict_on_port_80() {
    let Some(ns) = Netns::new(
        "nginx-apache",
        &["/usr/sbin/nginx", "/usr/sbin/apache2", "python3"],
    ) else {
        return;
    };
    if !std::path::Path::new("/etc/nginx/nginx.conf").exists() {
        return;
    }
    let dir = stock_apache_tree(false, "");
    let d = dir.path();
    let status = Command::new("cp")
        .args(["-a", "/etc/nginx"])
        .arg(d.join("etc/nginx"))
        .status()
        .unwrap();
    assert!(status.success());
    let conf = d.join("etc/nginx/nginx.conf");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("/run/nginx.pid", &format!("{}/nginx.pid", d.display()))
        .replace("/var/log/nginx/", &format!("{}/", d.display()));
    std::fs::write(&conf, text).unwrap();

    let run = d.join("run");
    std::fs::create_dir_all(run.join("log")).unwrap();
    let apache_conf = d.join("etc/apache2");
    let env: Vec<std::ffi::OsString> = vec![
        "APACHE_RUN_USER=www-data".into(),
        "APACHE_RUN_GROUP=www-data".into(),
        format!("APACHE_PID_FILE={}/apache2.pid", run.display()).into(),
        format!("APACHE_RUN_DIR={}", run.display()).into(),
        format!("APACHE_LOCK_DIR={}", run.display()).into(),
        format!("APACHE_LOG_DIR={}/log", run.display()).into(),
        "/usr/sbin/apache2".into(),
        "-d".into(),
        apache_conf.into(),
        "-DFOREGROUND".into(),
    ];
    let env: Vec<&std::ffi::OsStr> = env.iter().map(|a| a.as_os_str()).collect();
    let apache = Server::start(&ns, "env", &env, 80);
    assert!(ns.connects("127.0.0.1", 80), "apache2 serves port 80");
    // nginx retries a failed bind for a few seconds, then exits.
    let mut nginx = Command::new("ip")
        .args(["netns", "exec", &ns.0, "/usr/sbin/nginx", "-c"])
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = nginx.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = nginx.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(d.join("error.log")).unwrap_or_default();
    assert!(
        status.is_some_and(|s| !s.success()) && log.contains("Address already in use"),
        "nginx must fail to bind beside apache2: {status:?} {log}"
    );
    drop(apache);

    let out = Command::new(NETVET)
        .args(["check", "--root", d.to_str().unwrap(), "--format", "json"])
        .args(["--fail-on", "never", "--select", "NV402,NV406"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<&Value> = v["findings"].as_array().unwrap().iter().collect();
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["code"], "NV406");
    assert_eq!(found[0]["port"], 80);
}
