//! `netvet audit` against real OpenSSH servers in network namespaces the test creates.
//!
//! The controller is a namespace with a bridge; each good host is a namespace of its own on
//! that bridge, with its own links, sysctls and `/etc/network` (`ip netns exec` mounts
//! `/etc/netns/NAME/network` over `/etc/network` for everything started in it, sshd and the
//! sessions it forks included), running a real sshd. Around them: a host that is down (its
//! address refuses connections), one that accepts TCP and never speaks SSH, one whose host key
//! is not the one known_hosts holds, one reached as a user that does not exist, one whose
//! commands print garbage and one that never stops printing. Each must end with its status,
//! and each good host's findings must be the ones `netvet check` gives on that host itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::Netns;

const NETVET: &str = env!("CARGO_BIN_EXE_netvet");

/// A process started in a namespace, killed on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `/etc/netns/NAME`, removed on drop.
struct EtcNetns(PathBuf);

impl Drop for EtcNetns {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn keygen(path: &Path) -> String {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

fn wait_for_port(ns: &Netns, addr: &str, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ns.connects(addr, port) {
        assert!(Instant::now() < deadline, "{addr}:{port} never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// sshd on `addr:port` in `ns`, with `extra` lines of configuration.
fn sshd(
    ns: &Netns,
    dir: &Path,
    tag: &str,
    addr: &str,
    port: u16,
    hostkey: &Path,
    extra: &str,
) -> Daemon {
    let conf = dir.join(format!("sshd-{tag}.conf"));
    std::fs::write(
        &conf,
        format!(
            "ListenAddress {addr}:{port}\nHostKey {}\nPidFile {}/sshd-{tag}.pid\nUsePAM no\n\
             PermitRootLogin prohibit-password\nAuthorizedKeysFile {}/authorized_keys\n\
             StrictModes no\nLogLevel ERROR\n{extra}\n",
            hostkey.display(),
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.0, "/usr/sbin/sshd", "-D", "-e", "-f"])
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let daemon = Daemon(child);
    wait_for_port(ns, addr, port);
    daemon
}

/// The findings of a JSON report, as (code, path without the host prefix, line, interface).
fn findings(list: &Value, strip: &str) -> Vec<(String, String, Value, Value)> {
    let mut out: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap_or("").to_string();
            let path = path.strip_prefix(strip).unwrap_or(&path).to_string();
            (
                f["code"].as_str().unwrap().to_string(),
                path,
                f["line"].clone(),
                f["interface"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// A good host: its namespace on the controller's bridge, its own /etc/network, its sshd.
struct Host {
    ns: Netns,
    _etc: EtcNetns,
    _sshd: Daemon,
}

#[test]
fn audit_reports_each_host_with_its_status_and_the_findings_of_a_check_there() {
    let programs = [
        "/usr/sbin/sshd",
        "/usr/bin/ssh-keygen",
        "/usr/bin/ssh",
        "python3",
    ];
    let Some(controller) = Netns::new("audit-c", &programs) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let hostkey = d.join("hostkey");
    let hostkey_pub = keygen(&hostkey);
    let other_pub = keygen(&d.join("otherkey"));
    let client_pub = keygen(&d.join("client"));
    std::fs::write(d.join("authorized_keys"), format!("{client_pub}\n")).unwrap();

    controller.ip("link add br0 type bridge");
    controller.ip("link set br0 up");
    controller.ip("addr add 198.18.0.1/24 dev br0");

    // Two good hosts whose configuration and live state differ.
    let interfaces = [
        // a bond without link monitoring, and a VLAN above its parent's MTU
        "auto lo\niface lo inet loopback\n\nauto bond0\niface bond0 inet manual\n    bond-slaves none\n    bond-mode active-backup\n\nauto hv0\niface hv0 inet static\n    address 198.18.0.11/24\n    mtu 1500\n\nauto hv0.20\niface hv0.20 inet manual\n    mtu 9000\n",
        // the live MTU is not the configured one
        "auto lo\niface lo inet loopback\n\nauto hv0\niface hv0 inet static\n    address 198.18.0.12/24\n    mtu 1400\n",
    ];
    let mut hosts = Vec::new();
    for (i, text) in interfaces.iter().enumerate() {
        let n = i + 1;
        let Some(ns) = Netns::new(&format!("audit-h{n}"), &[]) else {
            return;
        };
        let etc = PathBuf::from("/etc/netns").join(&ns.0);
        std::fs::create_dir_all(etc.join("network")).unwrap();
        let etc = EtcNetns(etc);
        std::fs::write(etc.0.join("network/interfaces"), text).unwrap();
        let out = Command::new("ip")
            .args(["link", "add", &format!("hv{n}"), "netns", &controller.0])
            .args(["type", "veth", "peer", "name", "hv0", "netns", &ns.0])
            .status()
            .unwrap();
        assert!(out.success());
        controller.ip(&format!("link set hv{n} master br0"));
        controller.ip(&format!("link set hv{n} up"));
        ns.ip(&format!("addr add 198.18.0.1{n}/24 dev hv0"));
        ns.ip("link set hv0 up");
        if n == 2 {
            ns.exec("sysctl", &["-q", "-w", "net.ipv6.bindv6only=1"]);
        }
        let addr = format!("198.18.0.1{n}");
        let sshd = sshd(&ns, d, &format!("h{n}"), &addr, 22, &hostkey, "");
        hosts.push(Host {
            ns,
            _etc: etc,
            _sshd: sshd,
        });
    }

    // The misbehaving hosts, in the controller's namespace on their own addresses.
    for a in 20..=25 {
        controller.ip(&format!("addr add 198.18.0.{a}/32 dev lo"));
    }
    let _changed = sshd(&controller, d, "changed", "198.18.0.21", 22, &hostkey, "");
    let _garbage = sshd(
        &controller,
        d,
        "garbage",
        "198.18.0.23",
        22,
        &hostkey,
        "ForceCommand echo this is not what netvet asked for",
    );
    let _endless = sshd(
        &controller,
        d,
        "endless",
        "198.18.0.24",
        22,
        &hostkey,
        "ForceCommand yes",
    );
    let _nobody = sshd(&controller, d, "nobody", "198.18.0.25", 22, &hostkey, "");
    // accepts TCP, never says a word
    let silent = Daemon(
        Command::new("ip")
            .args(["netns", "exec", &controller.0, "python3", "-c"])
            .arg(
                "import socket,time\ns=socket.socket()\ns.bind(('198.18.0.22',22))\ns.listen(16)\n\
                 c=[]\nwhile True:\n    c.append(s.accept())\n",
            )
            .spawn()
            .unwrap(),
    );
    wait_for_port(&controller, "198.18.0.22", 22);

    let known = [
        format!("198.18.0.11 {hostkey_pub}"),
        format!("198.18.0.12 {hostkey_pub}"),
        format!("198.18.0.21 {other_pub}"),
        format!("198.18.0.23 {hostkey_pub}"),
        format!("198.18.0.24 {hostkey_pub}"),
        format!("198.18.0.25 {hostkey_pub}"),
    ];
    std::fs::write(d.join("known_hosts"), known.join("\n") + "\n").unwrap();
    let mut config = format!(
        "Host *\n    User root\n    IdentityFile {}/client\n    IdentitiesOnly yes\n    \
         UserKnownHostsFile {}/known_hosts\n    GlobalKnownHostsFile /dev/null\n",
        d.display(),
        d.display()
    );
    for (name, addr) in [
        ("web1", "198.18.0.11"),
        ("web2", "198.18.0.12"),
        ("down", "198.18.0.20"),
        ("changed", "198.18.0.21"),
        ("silent", "198.18.0.22"),
        ("garbage", "198.18.0.23"),
        ("endless", "198.18.0.24"),
        ("nobody", "198.18.0.25"),
    ] {
        config.push_str(&format!("Host {name}\n    HostName {addr}\n"));
        if name == "nobody" {
            config.push_str("    User no-such-user\n");
        }
    }
    // OpenSSH keeps the first value: the per-host blocks must come before `Host *`.
    let config = {
        let (star, rest) = config.split_at(config.find("Host web1").unwrap());
        format!("{rest}{star}")
    };
    std::fs::write(d.join("ssh_config"), &config).unwrap();

    let names = [
        "web1", "web2", "down", "changed", "silent", "garbage", "endless", "nobody",
    ];
    let expected = [
        "ok",
        "ok",
        "unreachable",
        "host-key-mismatch",
        "timeout",
        "bad-response",
        "too-large",
        "auth-failed",
    ];
    // What `netvet check` says on each good host itself, live state included.
    let local: Vec<Value> = hosts
        .iter()
        .map(|h| {
            let out =
                h.ns.exec(NETVET, &["check", "--format", "json", "--fail-on", "never"]);
            serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
        })
        .collect();
    for (i, report) in local.iter().enumerate() {
        assert!(
            !report["findings"].as_array().unwrap().is_empty(),
            "host {} has findings of its own: {report}",
            i + 1
        );
    }
    assert_ne!(
        findings(&local[0]["findings"], ""),
        findings(&local[1]["findings"], ""),
        "the two hosts' findings differ"
    );

    // Both transports, both remote commands: the same statuses; the findings are compared
    // once every status has been.
    let mut reports = Vec::new();
    for transport in [None, Some("ssh")] {
        for remote in [None, Some(NETVET)] {
            // A relative -F, as typed in the directory that holds it.
            let mut args = vec![
                "audit".to_string(),
                "-F".to_string(),
                "ssh_config".to_string(),
                "--connect-timeout".to_string(),
                "2".to_string(),
                "--timeout".to_string(),
                "30".to_string(),
                "--format".to_string(),
                "json".to_string(),
            ];
            if let Some(path) = remote {
                args.push("--remote-netvet".to_string());
                args.push(path.to_string());
            }
            if let Some(program) = transport {
                args.push("--ssh-command".to_string());
                args.push(program.to_string());
            }
            args.extend(names.iter().map(|n| n.to_string()));
            let started = Instant::now();
            let out = Command::new("ip")
                .args(["netns", "exec", &controller.0, NETVET])
                .args(&args)
                .current_dir(d)
                .output()
                .unwrap();
            let took = started.elapsed();
            let what = format!(
                "audit ({}, {})",
                transport.map_or("native", |_| "--ssh-command ssh"),
                remote.map_or("agentless", |_| "--remote-netvet")
            );
            let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!("{what}: {e}: {}", String::from_utf8_lossy(&out.stderr))
            });
            assert_eq!(
                out.status.code(),
                Some(3),
                "{what}: some hosts fail: {report}"
            );
            // The timeouts bound the run: 2 s to connect, 30 s a host, all hosts at once.
            assert!(took < Duration::from_secs(30), "{what} took {took:?}");
            let got: Vec<(&str, &str)> = report["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (h["host"].as_str().unwrap(), h["status"].as_str().unwrap()))
                .collect();
            let want: Vec<(&str, &str)> = names.iter().copied().zip(expected).collect();
            assert_eq!(got, want, "{what}: {report}");
            for host in report["hosts"].as_array().unwrap() {
                let reason = host["reason"].as_str().unwrap_or("");
                if host["status"] != "ok" {
                    assert!(!reason.is_empty(), "{what}: a failed host says why: {host}");
                }
            }
            assert_eq!(report["summary"]["hosts"], 8, "{what}");
            assert_eq!(report["summary"]["status"]["ok"], 2, "{what}");
            reports.push((what, report));
        }
    }
    // The other formats and the saved snapshots, on the good hosts and a failing one.
    let saved = d.join("snapshots");
    std::fs::create_dir(&saved).unwrap();
    let run = |extra: &[&str]| {
        let mut command = Command::new("ip");
        command
            .args([
                "netns",
                "exec",
                &controller.0,
                NETVET,
                "audit",
                "-F",
                "ssh_config",
            ])
            .args(["--connect-timeout", "2", "web1", "web2", "down"])
            .args(extra)
            .current_dir(d);
        command.output().unwrap()
    };
    let out = run(&["--format", "json-lines", "--save-snapshots", "snapshots"]);
    assert_eq!(out.status.code(), Some(3));
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut statuses: Vec<(&str, &str)> = lines
        .iter()
        .map(|h| (h["host"].as_str().unwrap(), h["status"].as_str().unwrap()))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [("down", "unreachable"), ("web1", "ok"), ("web2", "ok")],
        "json-lines: one line a host"
    );
    for (i, name) in ["web1", "web2"].iter().enumerate() {
        let file = saved.join(format!("{name}.snap.tar"));
        let out = Command::new(NETVET)
            .args([
                "check",
                "--format",
                "json",
                "--fail-on",
                "never",
                "--snapshot",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let prefix = file.display().to_string();
        assert_eq!(
            findings(&report["findings"], &prefix),
            findings(&local[i]["findings"], ""),
            "the snapshot saved for {name} checks as the host does"
        );
    }
    assert!(
        !saved.join("down.snap.tar").exists(),
        "no snapshot of a host not audited"
    );
    let out = run(&["--format", "human", "--color", "never"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "web1",
        "web2",
        "down",
        "unreachable:",
        "rules that fired:",
        "== web1",
        "3 hosts: 2 audited",
    ] {
        assert!(text.contains(want), "human output lacks {want:?}:\n{text}");
    }

    // --remote-netvet first: its findings do not depend on the agentless live readers.
    reports.sort_by_key(|(what, _)| what.contains("agentless"));
    for (what, report) in &reports {
        for (i, local) in local.iter().enumerate() {
            let host = &report["hosts"][i];
            let prefix = format!("{}:", host["host"].as_str().unwrap());
            assert_eq!(
                findings(&host["findings"], &prefix),
                findings(&local["findings"], ""),
                "{what}: {} gives the findings of a check on the host itself",
                host["host"]
            );
        }
    }
    drop(silent);
}

fn keygen_with_passphrase(path: &Path, passphrase: &str) -> String {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

/// A veth pair between two namespaces, addressed and up.
fn wire(a: &Netns, a_addr: &str, b: &Netns, b_addr: &str, tag: &str) {
    let status = Command::new("ip")
        .args(["link", "add", &format!("{tag}a"), "netns", &a.0])
        .args([
            "type",
            "veth",
            "peer",
            "name",
            &format!("{tag}b"),
            "netns",
            &b.0,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    a.ip(&format!("addr add {a_addr}/24 dev {tag}a"));
    a.ip(&format!("link set {tag}a up"));
    b.ip(&format!("addr add {b_addr}/24 dev {tag}b"));
    b.ip(&format!("link set {tag}b up"));
}

/// ProxyJump to a host only its jump host can route to (its known_hosts entry hashed), a jump
/// host whose key is not known, the agent's key as the only one that works, and an encrypted
/// key that must be skipped without a prompt: the same statuses with netvet's client and with
/// `--ssh-command ssh`.
#[test]
fn audit_jumps_uses_the_agent_and_never_prompts_for_a_passphrase() {
    let programs = [
        "/usr/sbin/sshd",
        "/usr/bin/ssh-keygen",
        "/usr/bin/ssh",
        "/usr/bin/ssh-agent",
        "/usr/bin/ssh-add",
    ];
    let Some(controller) = Netns::new("audit-jc", &programs) else {
        return;
    };
    let (Some(jump), Some(target)) = (Netns::new("audit-jj", &[]), Netns::new("audit-jt", &[]))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let hostkey = d.join("hostkey");
    let hostkey_pub = keygen(&hostkey);
    let client_pub = keygen(&d.join("client"));
    let agent_pub = keygen(&d.join("agentkey"));
    let locked_pub = keygen_with_passphrase(&d.join("locked"), "a passphrase nobody types");
    std::fs::write(
        d.join("authorized_keys"),
        format!("{client_pub}\n{agent_pub}\n{locked_pub}\n"),
    )
    .unwrap();

    // controller 198.18.1.1 -- 198.18.1.2 jump 198.18.2.1 -- 198.18.2.2 target; the
    // controller has no route to 198.18.2.0/24.
    wire(&controller, "198.18.1.1", &jump, "198.18.1.2", "j");
    wire(&jump, "198.18.2.1", &target, "198.18.2.2", "t");
    let _jump_sshd = sshd(&jump, d, "jump", "198.18.1.2", 22, &hostkey, "");
    let _target_sshd = sshd(&target, d, "target", "198.18.2.2", 22, &hostkey, "");
    assert!(
        !controller.connects("198.18.2.2", 22),
        "the target is behind the jump host"
    );

    // The agent holds a key whose file is then removed: only the agent can offer it.
    let sock = d.join("agent.sock");
    let _agent = Daemon(
        Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "ssh-agent never made its socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg(d.join("agentkey"))
        .env("SSH_AUTH_SOCK", &sock)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(added.success());
    std::fs::remove_file(d.join("agentkey")).unwrap();

    std::fs::write(d.join("known_hosts"), format!("198.18.1.2 {hostkey_pub}\n")).unwrap();
    std::fs::write(
        d.join("known_hosts_hashed"),
        format!("198.18.2.2 {hostkey_pub}\n"),
    )
    .unwrap();
    let hashed = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(d.join("known_hosts_hashed"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(hashed.success());
    let text = std::fs::read_to_string(d.join("known_hosts_hashed")).unwrap();
    assert!(
        text.starts_with("|1|") && !text.contains("198.18.2.2"),
        "{text}"
    );

    let d_ = d.display();
    let config = format!(
        "Host jump\n    HostName 198.18.1.2\n\
         Host behind\n    HostName 198.18.2.2\n    ProxyJump jump\n\
         Host badjump\n    HostName 198.18.2.2\n    ProxyJump strangejump\n\
         Host strangejump\n    HostName 198.18.1.2\n    HostKeyAlias not-in-known-hosts\n\
         Host agent\n    HostName 198.18.1.2\n    IdentitiesOnly no\n\
         Host locked\n    HostName 198.18.1.2\n    IdentityFile {d_}/locked\n    IdentitiesOnly yes\n\
         Host * !agent !locked\n    IdentityFile {d_}/client\n    IdentitiesOnly yes\n\
         Host *\n    User root\n    UserKnownHostsFile {d_}/known_hosts {d_}/known_hosts_hashed\n    \
         GlobalKnownHostsFile /dev/null\n"
    );
    std::fs::write(d.join("ssh_config"), &config).unwrap();
    let names = ["jump", "behind", "badjump", "agent", "locked"];
    let expected = ["ok", "ok", "host-key-mismatch", "ok", "auth-failed"];
    for transport in [None, Some("ssh")] {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &controller.0, NETVET, "audit", "-F"])
            .arg(d.join("ssh_config"))
            .args([
                "--connect-timeout",
                "5",
                "--timeout",
                "30",
                "--format",
                "json",
            ])
            .env("SSH_AUTH_SOCK", &sock)
            .stdin(Stdio::null());
        if let Some(program) = transport {
            command.args(["--ssh-command", program]);
        }
        let what = transport.map_or("native", |_| "--ssh-command ssh");
        let started = Instant::now();
        let out = command.args(names).output().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: no prompt waited on"
        );
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{what}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let got: Vec<(&str, &str)> = report["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["host"].as_str().unwrap(), h["status"].as_str().unwrap()))
            .collect();
        let want: Vec<(&str, &str)> = names.iter().copied().zip(expected).collect();
        assert_eq!(got, want, "{what}: {report}");
        if transport.is_none() {
            let reason = |i: usize| {
                report["hosts"][i]["reason"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            };
            assert!(reason(2).contains("not-in-known-hosts"), "{}", reason(2));
            assert!(reason(4).contains("locked is encrypted"), "{}", reason(4));
        }
    }
}
