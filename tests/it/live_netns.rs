//! The live reader and live rules on this machine's kernel, inside network namespaces the tests
//! create (veth pairs, a bridge, per-namespace sysctls). Needs root and `ip netns`; skipped with a
//! notice otherwise, except under CI where it must run.

use std::process::{Command, Output};

use serde_json::Value;

/// A network namespace that is deleted when the test ends, however it ends.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Option<Netns> {
        let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
        let name = format!("netvet-test-{}-{tag}", std::process::id());
        let ok = root
            && Command::new("ip")
                .args(["netns", "add", &name])
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the namespace tests as root"
            );
            eprintln!("not root or no `ip netns`: skipping");
            return None;
        }
        Some(Netns(name))
    }

    fn ip(&self, args: &str) {
        let status = Command::new("ip")
            .args(["-n", &self.0])
            .args(args.split_whitespace())
            .status()
            .unwrap();
        assert!(status.success(), "ip -n {} {args}", self.0);
    }

    fn exec(&self, program: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.0, program])
            .args(args)
            .output()
            .unwrap()
    }

    fn json(&self, program: &str, args: &[&str]) -> Value {
        let out = self.exec(program, args);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{program} {args:?}: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

const NETVET: &str = env!("CARGO_BIN_EXE_netvet");

fn setup(ns: &Netns) {
    ns.ip("link set lo up");
    ns.ip("link add va0 mtu 9000 type veth peer name vb0");
    ns.ip("link add va1 type veth peer name vb1");
    ns.ip("link add br0 type bridge");
    ns.ip("link set va0 master br0");
    ns.ip("link set va1 master br0");
    ns.ip("link set br0 up");
    ns.ip("link set va0 up");
    ns.ip("addr add 198.18.0.1/24 dev br0");
    let out = ns.exec(
        "sysctl",
        &[
            "-q",
            "-w",
            "net.ipv6.bindv6only=1",
            "net.ipv6.conf.vb1.disable_ipv6=1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn live_model_matches_ip_in_a_namespace() {
    let Some(ns) = Netns::new("model") else {
        return;
    };
    setup(&ns);
    let live = ns.json(NETVET, &["live", "--format", "json"]);
    let ip = ns.json("ip", &["-details", "-json", "link", "show"]);
    let links = live["links"].as_array().unwrap();
    assert_eq!(links.len(), ip.as_array().unwrap().len());
    for k in ip.as_array().unwrap() {
        let name = k["ifname"].as_str().unwrap();
        let n = links
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(n["mtu"], k["mtu"], "{name} mtu");
        assert_eq!(
            n["master"],
            k.get("master").cloned().unwrap_or(Value::Null),
            "{name} master"
        );
        assert_eq!(n["oper_state"], k["operstate"], "{name} oper_state");
        assert_eq!(n["mac"], k["address"], "{name} mac");
        let up = k["flags"].as_array().unwrap().iter().any(|f| f == "UP");
        assert_eq!(n["admin_up"], up, "{name} admin_up");
        let kind = k["linkinfo"]["info_kind"]
            .as_str()
            .unwrap_or(if name == "lo" { "loopback" } else { "device" });
        assert_eq!(n["kind"], kind, "{name} kind");
    }
    let br0 = links.iter().find(|l| l["name"] == "br0").unwrap();
    assert_eq!(br0["bridge_ports"], serde_json::json!(["va0", "va1"]));
    // Each namespace has its own sysctls; per-interface ones come from the netlink dump.
    assert_eq!(live["sysctls"]["net.ipv6.bindv6only"], "1");
    assert_eq!(live["sysctls"]["net.ipv6.conf.vb1.disable_ipv6"], "1");
    assert_eq!(live["sysctls"]["net.ipv6.conf.va1.disable_ipv6"], "0");
}

#[test]
fn live_rules_in_a_namespace() {
    let Some(ns) = Netns::new("rules") else {
        return;
    };
    setup(&ns);
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc/network");
    std::fs::create_dir_all(&etc).unwrap();
    let config = |va0_mtu: u32| {
        format!(
            "auto lo\niface lo inet loopback\n\nauto br0\niface br0 inet static\n    address 198.18.0.1/24\n    bridge-ports va0 va1\n\nauto va0\niface va0 inet manual\n    mtu {va0_mtu}\n\nauto va1\niface va1 inet manual\n"
        )
    };
    let codes = |ns: &Netns| -> Vec<(String, String)> {
        let v = ns.json(
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
            ],
        );
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"].as_str().unwrap().starts_with("NV5"))
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["interface"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    std::fs::write(etc.join("interfaces"), config(9000)).unwrap();
    // va1 is `auto` but administratively down in the namespace.
    assert_eq!(codes(&ns), [("NV507".to_string(), "va1".to_string())]);
    ns.ip("link set va1 up");
    assert!(codes(&ns).is_empty());
    std::fs::write(etc.join("interfaces"), config(1500)).unwrap();
    assert_eq!(codes(&ns), [("NV504".to_string(), "va0".to_string())]);
}
