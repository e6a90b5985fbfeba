//! The live state from the text of `ip` and `ss` (what the fleet audit collects from hosts
//! without netvet) against netvet's own netlink and sock_diag readers: the VM capture of bonds
//! in every mode (`fixtures/live/vm-bonds.*`, ip and netlink at one moment), the same capture
//! in iproute2 5.10's shape, a hand-made Debian 11 sample, hostile input, and real links and
//! sockets in a namespace on this machine's kernel.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use netvet::live::{
    LIVE_SCHEMA_VERSION, Link, LiveState, SPEED_DUPLEX_PATHS, SYSCTL_PATHS, decode_dump,
    links_from_ip_json, listeners_from_ss, speed_duplex_from_grep, sysctls_from_grep,
};
use serde_json::Value;

use crate::support::{Netns, repo};

const NETVET: &str = env!("CARGO_BIN_EXE_netvet");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join("fixtures/live").join(name))
        .unwrap_or_else(|e| panic!("fixtures/live/{name}: {e}"))
}

/// Every field of two link lists that differs, as `LINK FIELD: ip X, netlink Y` lines (the
/// fields of a bond, slave or VLAN one by one), and how many fields were compared. `skip`
/// names the fields of a link left out.
fn differences(
    ours: &[Link],
    theirs: &[Link],
    skip: impl Fn(&Link, &str) -> bool,
) -> (Vec<String>, usize) {
    let mut wrong = Vec::new();
    let mut checked = 0;
    let names = |links: &[Link]| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    if names(ours) != names(theirs) {
        wrong.push(format!(
            "links, in index order: ip {:?}, netlink {:?}",
            names(ours),
            names(theirs)
        ));
    }
    for n in theirs {
        let Some(o) = ours.iter().find(|o| o.name == n.name) else {
            continue;
        };
        let (o_fields, n_fields) = (fields(o), fields(n));
        let paths: std::collections::BTreeSet<&String> =
            o_fields.keys().chain(n_fields.keys()).collect();
        for path in paths {
            if skip(n, path) {
                continue;
            }
            checked += 1;
            let (o, t) = (o_fields.get(path), n_fields.get(path));
            if o != t {
                let show = |v: Option<&Value>| v.map_or("absent".to_string(), Value::to_string);
                wrong.push(format!(
                    "{} {path}: ip {}, netlink {}",
                    n.name,
                    show(o),
                    show(t)
                ));
            }
        }
    }
    (wrong, checked)
}

/// A link's fields by path (`bond.mode`, `bond.ad_info.num_ports`); a bond, slave, VLAN or
/// AD info that is absent is one `null` field.
fn fields(link: &Link) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, value: Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, value, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", serde_json::to_value(link).unwrap(), &mut out);
    out
}

/// `ip` shows a link's carrier only as IFF_LOWER_UP, which the kernel sets only on a link that
/// is administratively up; netlink gives IFLA_CARRIER for every link. The carrier of a link
/// that is down is the one field `ip` cannot give (`links_from_ip_json` leaves it `None`).
fn carrier_of_down_link(link: &Link, field: &str) -> bool {
    field == "carrier" && !link.admin_up
}

#[test]
fn ip_json_agrees_with_netlink_link_by_link() {
    let ours = links_from_ip_json(fixture("vm-bonds.ip.json").as_bytes()).unwrap();
    let theirs = decode_dump(&fixture("vm-bonds.netlink")).unwrap();
    assert!(!theirs.is_empty());
    assert!(theirs.iter().any(|l| l.bond.is_some()), "bonds");
    assert!(theirs.iter().any(|l| l.bond_slave.is_some()), "slaves");
    assert!(theirs.iter().any(|l| l.vlan.is_some()), "VLANs");
    assert!(
        theirs.iter().any(|l| !l.bridge_ports.is_empty()),
        "a bridge"
    );
    assert!(theirs.iter().any(|l| !l.admin_up), "a link that is down");
    let (wrong, checked) = differences(&ours, &theirs, carrier_of_down_link);
    assert!(
        wrong.is_empty(),
        "{} of {checked} fields disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked > 700, "only {checked} fields compared");
    for link in ours.iter().filter(|l| !l.admin_up) {
        assert_eq!(link.carrier, None, "{}", link.name);
    }
}

/// What iproute2 5.10 (Debian 11) prints for the same links, from its source (tag v5.10.0):
/// `ip/ipaddress.c` print_linkinfo has no `allmulti` (6.1's line 1105), `tso_max_size`,
/// `tso_max_segs`, `gro_max_size`, `parentbus`, `parentdev`; `ip/iplink_bond.c` bond_print_opt
/// no `arp_missed_max`, `ns_ip6_target`, `ad_lacp_active`; `ip/iplink_bond_slave.c` no `prio`.
/// Everything netvet reads is printed by the same calls in both (`git diff v5.10.0 v6.1.0`).
fn as_iproute2_5_10(links: &mut [Value]) {
    for link in links {
        let link = link.as_object_mut().unwrap();
        for key in [
            "allmulti",
            "tso_max_size",
            "tso_max_segs",
            "gro_max_size",
            "parentbus",
            "parentdev",
        ] {
            link.remove(key);
        }
        let Some(info) = link.get_mut("linkinfo").and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(data) = info.get_mut("info_data").and_then(Value::as_object_mut) {
            for key in ["arp_missed_max", "ns_ip6_target", "ad_lacp_active"] {
                data.remove(key);
            }
        }
        if let Some(data) = info
            .get_mut("info_slave_data")
            .and_then(Value::as_object_mut)
        {
            data.remove("prio");
        }
    }
}

#[test]
fn iproute2_5_10_json_reads_like_6_1() {
    let text = fixture("vm-bonds.ip.json");
    let mut links: Vec<Value> = serde_json::from_str(&text).unwrap();
    as_iproute2_5_10(&mut links);
    let old = serde_json::to_string(&links).unwrap();
    assert!(!old.contains("\"prio\"") && !old.contains("allmulti"));
    let ours = links_from_ip_json(old.as_bytes()).unwrap();
    assert!(!ours.is_empty());
    assert_eq!(ours, links_from_ip_json(text.as_bytes()).unwrap());
}

/// `fixtures/live/debian11.ip.json` is hand-made: no Debian 11 host or VM was at hand, so it
/// follows iproute2 v5.10.0's source, key for key: print_linkinfo (`ip/ipaddress.c:916`; its
/// key order, no `allmulti`), print_name_and_link (`lib/utils.c:1287`, `link` by name),
/// bond_print_opt (`ip/iplink_bond.c`; `arp_validate` from arp_validate_tbl at line 39, which
/// lacks `filter`, so get_name at line 89 gives `UNKNOWN` for the `filter` kernel 5.10 has),
/// bond_slave_print_opt (`ip/iplink_bond_slave.c:43-119`, no `prio`), vlan_print_opt
/// (`ip/iplink_vlan.c:243-252`), the bridge's keys (`ip/iplink_bridge.c`,
/// `ip/iplink_bridge_slave.c`), a GRE tunnel's address (`lib/ll_addr.c`, an IPv4 address for
/// ARPHRD_IPGRE) and jsonw_puts (`lib/json_writer.c:83`), which writes the apostrophe of the
/// alias as `\'`, invalid JSON.
#[test]
fn a_debian_11_sample_reads() {
    let text = fixture("debian11.ip.json");
    assert!(text.contains("Bob\\'s uplink"), "the 5.10 escape is there");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let links = links_from_ip_json(text.as_bytes()).unwrap();
    let got = serde_json::to_value(&links).unwrap();
    let want = serde_json::json!([
        {"name": "lo", "index": 1, "kind": "loopback", "admin_up": true, "oper_state": "UNKNOWN",
         "carrier": true, "mtu": 65536, "min_mtu": 0, "max_mtu": 0, "master": null,
         "mac": "00:00:00:00:00:00", "speed_mbps": null, "duplex": null, "bond": null,
         "bond_slave": null, "vlan": null, "bridge_ports": []},
        {"name": "eno1", "index": 2, "kind": "device", "admin_up": true, "oper_state": "UP",
         "carrier": true, "mtu": 9000, "min_mtu": 68, "max_mtu": 9216, "master": "bond0",
         "mac": "52:54:00:12:34:56", "speed_mbps": null, "duplex": null, "bond": null,
         "bond_slave": {"state": "active", "mii_status": "up", "link_failure_count": 0,
            "perm_hwaddr": "52:54:00:12:34:56", "queue_id": 0, "ad_aggregator_id": null,
            "ad_actor_oper_port_state": null, "ad_partner_oper_port_state": null},
         "vlan": null, "bridge_ports": []},
        {"name": "eno2", "index": 3, "kind": "device", "admin_up": true, "oper_state": "DOWN",
         "carrier": false, "mtu": 9000, "min_mtu": 68, "max_mtu": 9216, "master": "bond0",
         "mac": "52:54:00:12:34:56", "speed_mbps": null, "duplex": null, "bond": null,
         "bond_slave": {"state": "backup", "mii_status": "down", "link_failure_count": 3,
            "perm_hwaddr": "52:54:00:12:34:57", "queue_id": 0, "ad_aggregator_id": null,
            "ad_actor_oper_port_state": null, "ad_partner_oper_port_state": null},
         "vlan": null, "bridge_ports": []},
        {"name": "eno3", "index": 4, "kind": "device", "admin_up": false, "oper_state": "DOWN",
         "carrier": null, "mtu": 1500, "min_mtu": 68, "max_mtu": 9216, "master": "br0",
         "mac": "52:54:00:12:34:58", "speed_mbps": null, "duplex": null, "bond": null,
         "bond_slave": null, "vlan": null, "bridge_ports": []},
        {"name": "bond0", "index": 5, "kind": "bond", "admin_up": true, "oper_state": "UP",
         "carrier": true, "mtu": 9000, "min_mtu": 68, "max_mtu": 65535, "master": null,
         "mac": "52:54:00:12:34:56", "speed_mbps": null, "duplex": null,
         "bond": {"mode": "active-backup", "miimon": 0, "updelay": 0, "downdelay": 0,
            "use_carrier": true, "arp_interval": 1000,
            "arp_ip_target": ["198.18.0.1", "198.18.0.2"], "arp_validate": null,
            "primary": "eno1", "xmit_hash_policy": "layer2", "lacp_rate": "slow",
            "ad_select": "stable", "min_links": 0, "all_slaves_active": false, "ad_info": null},
         "bond_slave": null, "vlan": null, "bridge_ports": []},
        {"name": "bond0.10", "index": 6, "kind": "vlan", "admin_up": true, "oper_state": "UP",
         "carrier": true, "mtu": 9000, "min_mtu": 0, "max_mtu": 65535, "master": null,
         "mac": "52:54:00:12:34:56", "speed_mbps": null, "duplex": null, "bond": null,
         "bond_slave": null, "vlan": {"id": 10, "protocol": "802.1Q", "parent": "bond0"},
         "bridge_ports": []},
        {"name": "br0", "index": 7, "kind": "bridge", "admin_up": true, "oper_state": "DOWN",
         "carrier": false, "mtu": 1500, "min_mtu": 68, "max_mtu": 65535, "master": null,
         "mac": "52:54:00:12:34:58", "speed_mbps": null, "duplex": null, "bond": null,
         "bond_slave": null, "vlan": null, "bridge_ports": ["eno3"]},
        {"name": "gre1", "index": 8, "kind": "gre", "admin_up": true, "oper_state": "UNKNOWN",
         "carrier": true, "mtu": 1476, "min_mtu": 0, "max_mtu": 0, "master": null,
         "mac": "c6:12:00:01", "speed_mbps": null, "duplex": null, "bond": null,
         "bond_slave": null, "vlan": null, "bridge_ports": []},
    ]);
    assert_eq!(got, want);

    let mut links = links;
    speed_duplex_from_grep(
        &mut links,
        "/sys/class/net/eno1/speed:10000\n/sys/class/net/eno1/duplex:full\n\
         /sys/class/net/eno2/speed:-1\n/sys/class/net/eno2/duplex:unknown\n\
         /sys/class/net/bond0/speed:10000\n/sys/class/net/bond0/duplex:full\n\
         /sys/class/net/eno3/speed:1000\n/sys/class/net/eno3/duplex:half\n\
         /sys/class/net/gre1/speed:5\n/sys/class/net/eno1/mtu:9000\n",
    );
    let speeds: Vec<(&str, Option<u32>, Option<&str>)> = links
        .iter()
        .map(|l| (l.name.as_str(), l.speed_mbps, l.duplex.as_deref()))
        .filter(|(_, s, d)| s.is_some() || d.is_some())
        .collect();
    // NICs and bond slaves only, as `netvet live` fills them.
    assert_eq!(
        speeds,
        [
            ("eno1", Some(10000), Some("full")),
            ("eno3", Some(1000), Some("half"))
        ]
    );
}

#[test]
fn hostile_ip_json_is_an_error_or_a_value() {
    for (text, says) in [
        ("", "EOF"),
        ("{}", "an array of links"),
        ("[1]", "invalid type"),
        ("[{\"ifname\":\"a\"}]", "ifindex"),
        (
            "[{\"ifindex\":1,\"ifname\":\"a\",\"mtu\":\"big\"}]",
            "invalid type",
        ),
        ("[{\"ifindex\":-1,\"ifname\":\"a\"}]", "invalid value"),
        (
            "[{\"ifindex\":1,\"ifname\":\"a\",\"flags\":null}]",
            "flag names",
        ),
        (
            "[{\"ifindex\":1,\"ifname\":\"b\",\"linkinfo\":{\"info_kind\":\"bond\",\"info_data\":{\"miimon\":\"x\"}}}]",
            "link b: bond options",
        ),
        (
            "[{\"ifindex\":1,\"ifname\":\"b\",\"linkinfo\":{\"info_kind\":\"bond\",\"info_data\":{\"arp_ip_target\":[\"::1\"]}}}]",
            "an IPv4 address",
        ),
        (
            "[{\"ifindex\":1,\"ifname\":\"v\",\"linkinfo\":{\"info_kind\":\"vlan\",\"info_data\":{\"id\":70000}}}]",
            "link v: VLAN options",
        ),
        (
            "[{\"ifindex\":1,\"ifname\":\"a\",\"ifindex\":2}]",
            "duplicate field",
        ),
        (
            "[{\"ifindex\":1,\"ifname\":\"a\u{1b}[31m\",\"mtu\":true}]",
            "invalid type",
        ),
        (&format!("[{{\"x\":{}", "[".repeat(10_000)), "EOF"),
    ] {
        let e = links_from_ip_json(text.as_bytes()).unwrap_err();
        let message = e.to_string();
        assert!(message.contains(says), "{text:.80}: {message}");
        assert!(!message.contains('\u{1b}'), "{message}");
    }
    let targets: Vec<String> = (0..17).map(|i| format!("\"198.18.0.{i}\"")).collect();
    let seventeen = format!(
        "[{{\"ifindex\":1,\"ifname\":\"b\",\"linkinfo\":{{\"info_kind\":\"bond\",\"info_data\":{{\"arp_ip_target\":[{}]}}}}}}]",
        targets.join(",")
    );
    assert!(links_from_ip_json(seventeen.as_bytes()).is_err());
    let many = format!(
        "[{}]",
        vec!["{\"ifindex\":1,\"ifname\":\"a\"}"; netvet::limits::MAX_LIVE_LINKS + 1].join(",")
    );
    let e = links_from_ip_json(many.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("more than 16,384 links"), "{e}");

    // Newer iproute2: unknown kinds and keys pass; a name with a raw control character (ip
    // does not escape it) and invalid UTF-8 read as netvet's reader would hold them.
    let links = links_from_ip_json(
        b"[{\"ifindex\":2,\"ifname\":\"x\x01\xff\",\"future\":{\"a\":[1]},\"flags\":[\"UP\",\"1000\"],\
          \"linkinfo\":{\"info_kind\":\"quantum\",\"info_data\":{\"id\":\"q\"},\"info_slave_kind\":\"team\"}}]",
    )
    .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].name, "x\u{1}\u{fffd}");
    assert_eq!(links[0].kind, "quantum");
    assert!(links[0].admin_up && links[0].carrier == Some(false));
    assert_eq!(links_from_ip_json(b"[]\n").unwrap(), []);
    // Deep nesting in keys netvet passes over is skipped without recursion.
    let deep = format!(
        "[{{\"ifindex\":1,\"ifname\":\"b\",\"x\":{0}{1},\"linkinfo\":{{\"info_kind\":\"bond\",\
         \"info_data\":{{\"y\":{0}{1}}}}}}}]",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(links_from_ip_json(deep.as_bytes()).unwrap()[0].kind, "bond");

    // Every truncation, and a byte flipped at every other offset, of links of the real capture
    // (an 802.3ad bond and a slave of it, in all their state): a value or an error, never a
    // panic.
    let all: Vec<Value> = serde_json::from_str(&fixture("vm-bonds.ip.json")).unwrap();
    let some: Vec<&Value> = all
        .iter()
        .filter(|l| ["bad", "bada"].contains(&l["ifname"].as_str().unwrap()))
        .collect();
    assert_eq!(some.len(), 2);
    let text = serde_json::to_string(&some).unwrap();
    let bytes = text.as_bytes();
    let mut runs = 0;
    for len in 0..bytes.len() {
        let _ = links_from_ip_json(&bytes[..len]);
        runs += 1;
    }
    for at in (0..bytes.len()).step_by(2) {
        let mut b = bytes.to_vec();
        b[at] ^= 0x5a;
        let _ = links_from_ip_json(&b);
        runs += 1;
    }
    assert!(runs > 3_000, "{runs}");
}

/// Real `ss -H -l -t -n -e -p` output of iproute2 6.1 on this machine's kernel (the sockets of
/// `SOCKETS` below), with a process name holding spaces and a cgroup path holding words.
const SS_SAMPLE: &str = r#"LISTEN 0      128               0.0.0.0:8001 0.0.0.0:* users:(("python3",pid=2715,fd=3)) ino:1917228 sk:3d8 cgroup:unreachable:1 <->
LISTEN 0      128         198.18.0.1%va:8005 0.0.0.0:* users:(("tmux: server",pid=2716,fd=7),("nginx",pid=22,fd=6)) uid:33 ino:1917233 sk:3d9 cgroup:/a v6only:1 <->
LISTEN 0      128          [fe80::1]%va:8004    [::]:* users:(("a",pid=1,fd=2",pid=2715,fd=6)) ino:1917232 sk:3da cgroup:/x v6only:0 v6only:1 <->
LISTEN 0      128                 [::1]:8006    [::]:* ino:1917234 sk:3db cgroup:unreachable:1 v6only:1 <->
LISTEN 0      128                     *:8002       *:* users:(("python3",pid=2715,fd=4)) uid:1000 ino:1917229 sk:3dc v6only:0 <->
LISTEN 0      128    [::ffff:127.0.0.1]:8007       *:* users:(("python3",pid=2715,fd=9)) ino:1917235 sk:3de
"#;

#[test]
fn ss_lines_read_as_sock_diag_gives_them() {
    let listeners = listeners_from_ss(SS_SAMPLE).unwrap();
    let got: Vec<String> = listeners
        .iter()
        .map(|l| {
            format!(
                "{} {} {} v6only={:?} uid={} ino={} {:?}",
                l.family,
                l.address,
                l.port,
                l.v6only,
                l.uid,
                l.inode,
                l.process.as_ref().map(|p| (p.pid, p.name.as_str()))
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "ipv4 0.0.0.0 8001 v6only=None uid=0 ino=1917228 Some((2715, \"python3\"))",
            "ipv6 :: 8002 v6only=Some(false) uid=1000 ino=1917229 Some((2715, \"python3\"))",
            "ipv6 fe80::1 8004 v6only=Some(true) uid=0 ino=1917232 Some((2715, \"a\\\",pid=1,fd=2\"))",
            "ipv4 198.18.0.1 8005 v6only=None uid=33 ino=1917233 Some((22, \"nginx\"))",
            "ipv6 ::1 8006 v6only=Some(true) uid=0 ino=1917234 None",
            "ipv6 ::ffff:127.0.0.1 8007 v6only=None uid=0 ino=1917235 Some((2715, \"python3\"))",
        ]
    );
    assert!(listeners.iter().all(|l| l.protocol == "tcp"));
    assert_eq!(listeners_from_ss("").unwrap(), []);
    assert_eq!(listeners_from_ss("\n  \n").unwrap(), []);

    for (text, line, says) in [
        ("State Recv-Q Send-Q Local Address:Port", 1, "\"State\""),
        ("\nESTAB 0 0 1.2.3.4:5 6.7.8.9:10 ino:1", 2, "\"ESTAB\""),
        ("LISTEN x 0 0.0.0.0:1 0.0.0.0:* ino:1", 1, "receive queue"),
        (
            "LISTEN 0 0 0.0.0.0:99999 0.0.0.0:* ino:1",
            1,
            "ADDRESS:PORT",
        ),
        ("LISTEN 0 0 0.0.0.0:1 0.0.0.0:2 ino:1", 1, "peer"),
        ("LISTEN 0 0 0.0.0.0:1 0.0.0.0:*", 1, "inode"),
        ("LISTEN 0 0 0.0.0.0:1 0.0.0.0:* ino:x", 1, "ino:N"),
        ("LISTEN 0 0 0.0.0.0:1 0.0.0.0:* uid:-1 ino:1", 1, "uid:N"),
        ("LISTEN 0 0 [::]:1 [::]:* ino:1 v6only:2x", 1, "v6only:N"),
        // a process name with a newline breaks the line: refused, not misread
        (
            "LISTEN 0 0 0.0.0.0:1 0.0.0.0:* users:((\"x\nLISTEN 0 0 *:2 *:* \",pid=1,fd=3)) ino:1",
            1,
            "users:",
        ),
        (
            "LISTEN 0 0 0.0.0.0:1 0.0.0.0:* users:((\"x\",pid=1,fd=3) ino:1",
            1,
            "users:",
        ),
        (
            "LISTEN 0 0 0.0.0.0:1 0.0.0.0:* users:((\"x\",pid=y,fd=3)) ino:1",
            1,
            "users:",
        ),
        ("LISTEN 0 0 \u{1b}[31m:1 0.0.0.0:* ino:1", 1, "\\u{1b}"),
    ] {
        let e = listeners_from_ss(text).unwrap_err();
        assert_eq!(e.line, line, "{text:?}");
        let message = e.to_string();
        assert!(message.contains(says), "{text:?}: {message}");
        assert!(!message.contains('\u{1b}'), "{message}");
    }
    let line = "LISTEN 0 128 0.0.0.0:1 0.0.0.0:* ino:1\n";
    let e = listeners_from_ss(&line.repeat(netvet::limits::MAX_LIVE_LISTENERS + 1)).unwrap_err();
    assert!(e.to_string().contains("more than 16,384"), "{e}");
    assert_eq!(
        listeners_from_ss(&line.repeat(netvet::limits::MAX_LIVE_LISTENERS))
            .unwrap()
            .len(),
        netvet::limits::MAX_LIVE_LISTENERS
    );
}

/// Sockets for the namespace test: `ADDRESS PORT V6ONLY DEVICE`, V6ONLY `on`/`off`/`-`
/// (IPv4), DEVICE a link to bind to (SO_BINDTODEVICE, or the scope of a link-local address)
/// or `-`.
const SOCKETS: &str = r#"
import socket, sys, time
socks = []
for spec in sys.argv[1:]:
    addr, port, v6only, dev = spec.split(",")
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    if v6only != "-":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only == "on" else 0)
    if family == socket.AF_INET6:
        scope = socket.if_nametoindex(dev) if dev != "-" and addr.startswith("fe80") else 0
        s.bind((addr, int(port), 0, scope))
    else:
        if dev != "-":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
        s.bind((addr, int(port)))
    s.listen()
    socks.append(s)
print("ready", flush=True)
time.sleep(60)
"#;

/// A command's standard output inside the namespace, through `sh -c` (the globs of the
/// collector's `grep`), its errors dropped as the collector drops them.
fn sh(ns: &Netns, script: &str) -> String {
    let out = ns.exec("sh", &["-c", script]);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn ip_and_ss_text_agree_with_netvet_live_in_a_namespace() {
    let Some(ns) = Netns::new("iproute", &["python3", "ss", "grep"]) else {
        return;
    };
    ns.ip("link add va0 mtu 9000 type veth peer name vb0");
    ns.ip("link add va1 type veth peer name vb1 mtu 1400");
    ns.ip("link add br0 type bridge");
    ns.ip("link set va0 master br0");
    ns.ip("link set va1 master br0");
    ns.ip("link add vc.7 mtu 1200 type veth peer name vd.7");
    for link in ["br0", "va0", "vb0", "va1", "vc.7"] {
        ns.ip(&format!("link set {link} up"));
    }
    ns.ip("addr add 198.18.0.1/24 dev br0");
    ns.ip("addr add fe80::1/64 dev vb0 nodad");
    ns.ip("addr add fd00::1/64 dev vb0 nodad");
    let out = ns.exec(
        "sysctl",
        &[
            "-q",
            "-w",
            "net.ipv6.bindv6only=1",
            "net.ipv4.ip_forward=1",
            "net.ipv6.conf.vb1.disable_ipv6=1",
            "net.ipv6.conf.va0.accept_ra=2",
            "net.ipv6.conf.vd/7.forwarding=1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut server = Command::new("ip")
        .args(["netns", "exec", &ns.0, "python3", "-c", SOCKETS])
        .args([
            "0.0.0.0,8001,-,-",
            "::,8002,off,-",
            "::,8003,on,-",
            "fe80::1,8004,on,vb0",
            "198.18.0.1,8005,-,br0",
            "::1,8006,on,-",
            "::ffff:127.0.0.1,8007,off,-",
            // IPV6_V6ONLY off, but a bind to one IPv6 address sets it (inet6_bind).
            "fd00::1,8008,off,-",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");

    let live = ns.exec(NETVET, &["live", "--format", "json"]);
    let ip = ns.exec("ip", &["-details", "-json", "link", "show"]);
    let ss = ns.exec("ss", &["-H", "-l", "-t", "-n", "-e", "-p"]);
    let sysctls = sh(
        &ns,
        &format!("grep -H '' {} 2>/dev/null", SYSCTL_PATHS.join(" ")),
    );
    let speeds = sh(
        &ns,
        &format!("grep -H '' {} 2>/dev/null", SPEED_DUPLEX_PATHS.join(" ")),
    );
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        ss.status.success(),
        "{}",
        String::from_utf8_lossy(&ss.stderr)
    );
    let theirs = LiveState::from_json(&String::from_utf8_lossy(&live.stdout)).unwrap();

    let mut links = links_from_ip_json(&ip.stdout).unwrap();
    speed_duplex_from_grep(&mut links, &speeds);
    let ours = LiveState {
        version: LIVE_SCHEMA_VERSION,
        links,
        sysctls: sysctls_from_grep(&sysctls),
        listeners: listeners_from_ss(&String::from_utf8_lossy(&ss.stdout)).unwrap(),
        unavailable: Vec::new(),
    };

    let (mut wrong, checked) = differences(&ours.links, &theirs.links, carrier_of_down_link);
    assert!(checked > 100, "only {checked} link fields compared");
    let keys: BTreeMap<&String, (Option<&String>, Option<&String>)> = ours
        .sysctls
        .keys()
        .chain(theirs.sysctls.keys())
        .map(|k| (k, (ours.sysctls.get(k), theirs.sysctls.get(k))))
        .collect();
    for (key, (o, t)) in &keys {
        if o != t {
            wrong.push(format!("{key}: grep {o:?}, netvet live {t:?}"));
        }
    }
    if ours.listeners.len() != theirs.listeners.len() {
        wrong.push(format!(
            "listeners: ss {:?}, sock_diag {:?}",
            ours.listeners, theirs.listeners
        ));
    }
    for (o, t) in ours.listeners.iter().zip(&theirs.listeners) {
        if o != t {
            wrong.push(format!("listener: ss {o:?}, sock_diag {t:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(theirs.unavailable.is_empty(), "{:?}", theirs.unavailable);

    // What was built is there, spelled out.
    let link = |name: &str| ours.links.iter().find(|l| l.name == name).unwrap();
    assert_eq!(link("br0").bridge_ports, ["va0", "va1"]);
    assert_eq!(link("va0").mtu, Some(9000));
    assert_eq!(link("vb1").mtu, Some(1400));
    assert_eq!(link("vb1").carrier, None, "down: ip cannot say");
    let sysctl = |key: &str| ours.sysctls.get(key).map(String::as_str);
    assert_eq!(sysctl("net.ipv6.bindv6only"), Some("1"));
    assert_eq!(sysctl("net.ipv6.conf.vb1.disable_ipv6"), Some("1"));
    assert_eq!(sysctl("net.ipv6.conf.va0.accept_ra"), Some("2"));
    assert_eq!(sysctl("net.ipv6.conf.vd.7.forwarding"), Some("1"));
    assert_eq!(
        sysctl("net.ipv6.conf.vc.7.forwarding"),
        None,
        "MTU below 1280"
    );
    assert!(sysctl("net.ipv6.conf.default.autoconf").is_some());
    let reach: Vec<(u16, &str, &str, Option<bool>)> = ours
        .listeners
        .iter()
        .map(|l| (l.port, l.address.as_str(), l.reaches(), l.v6only))
        .collect();
    assert_eq!(
        reach,
        [
            (8001, "0.0.0.0", "ipv4", None),
            (8002, "::", "ipv4+ipv6", Some(false)),
            (8003, "::", "ipv6", Some(true)),
            (8004, "fe80::1", "ipv6", Some(true)),
            (8005, "198.18.0.1", "ipv4", None),
            (8006, "::1", "ipv6", Some(true)),
            (8007, "::ffff:127.0.0.1", "ipv6", Some(false)),
            (8008, "fd00::1", "ipv6", Some(true)),
        ]
    );
    assert!(
        ours.listeners
            .iter()
            .all(|l| l.process.as_ref().is_some_and(|p| p.name == "python3"))
    );
}
