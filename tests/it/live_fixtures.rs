//! netvet's netlink decoding without root or a VM: the raw RTM_NEWLINK dump captured in the VM
//! (`tests/vm/live-model.sh --capture`: a bond in every mode with dummy slaves, one of them
//! ARP-monitored, slaves held in `going back` and `going down`, 802.1Q and 802.1ad VLANs over a
//! bond, a bridge with a port and a VLAN, MTU 9000 on some) decodes into a model that agrees,
//! field by field, with `ip -details -json link show` and the bonding sysfs files captured at the
//! same moment (`fixtures/live/vm-bonds.*`).

use std::collections::BTreeMap;
use std::fmt::Display;

use netvet::live::{Link, decode_dump};
use serde_json::Value;

use crate::support::repo;

struct Fixture {
    dump: String,
    links: Vec<Link>,
    ip: Vec<Value>,
    /// `NAME KEY VALUE` lines of vm-bonds.sysfs.txt: bonding/KEY of bonds, bonding_slave/KEY
    /// (as `slave_KEY`) of their slaves.
    sysfs: BTreeMap<(String, String), String>,
}

fn load() -> Fixture {
    let dir = repo().join("fixtures/live");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| {
            panic!("fixtures/live/{name}: {e} (tests/vm/live-model.sh --capture)")
        })
    };
    let dump = read("vm-bonds.netlink");
    let links = decode_dump(&dump).expect("the captured dump decodes");
    let ip: Vec<Value> = serde_json::from_str(&read("vm-bonds.ip.json")).unwrap();
    let sysfs = read("vm-bonds.sysfs.txt")
        .lines()
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let name = parts.next().unwrap().to_string();
            let key = parts.next().expect("NAME KEY VALUE").to_string();
            ((name, key), parts.next().unwrap_or("").to_string())
        })
        .collect();
    Fixture {
        dump,
        links,
        ip,
        sysfs,
    }
}

/// Collects every comparison, so that one run reports all the fields that disagree.
#[derive(Default)]
struct Compare {
    checked: usize,
    wrong: Vec<String>,
}

impl Compare {
    fn eq(&mut self, what: impl Display, ours: impl Into<String>, theirs: impl Into<String>) {
        let (ours, theirs) = (ours.into(), theirs.into());
        self.checked += 1;
        if ours != theirs {
            self.wrong
                .push(format!("{what}: netvet {ours:?}, kernel {theirs:?}"));
        }
    }
}

/// A JSON value as the text netvet's model would hold: strings bare, `null` for none, arrays
/// joined with spaces.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

/// `balance-rr 0` -> `balance-rr`; sysfs spells `going_back` as `going back`.
fn word(v: &str) -> String {
    v.split(' ').next().unwrap_or("").to_string()
}

fn bool01(v: Option<bool>) -> String {
    opt(v.map(u8::from))
}

#[test]
fn decoded_dump_agrees_with_ip_details_json_and_sysfs() {
    let f = load();
    let ours: BTreeMap<&str, &Link> = f.links.iter().map(|l| (l.name.as_str(), l)).collect();
    let mut c = Compare::default();
    let names = |links: &mut dyn Iterator<Item = String>| links.collect::<Vec<_>>().join(" ");
    c.eq(
        "links, in index order",
        names(&mut f.links.iter().map(|l| l.name.clone())),
        names(&mut f.ip.iter().map(|k| text(&k["ifname"]))),
    );
    let mut sysfs_used = 0;
    let mut sys = |name: &str, key: &str| -> String {
        sysfs_used += 1;
        f.sysfs
            .get(&(name.to_string(), key.to_string()))
            .cloned()
            .unwrap_or_else(|| panic!("no `{name} {key}` in vm-bonds.sysfs.txt"))
    };
    for k in &f.ip {
        let name = text(&k["ifname"]);
        let Some(n) = ours.get(name.as_str()) else {
            c.eq(format!("{name} in the decoded dump"), "absent", "present");
            continue;
        };
        let info = &k["linkinfo"];
        let flags = text(&k["flags"]);
        let flag = |f: &str| flags.split(' ').any(|x| x == f);
        c.eq(
            format!("{name} index"),
            n.index.to_string(),
            text(&k["ifindex"]),
        );
        let kind = match info.get("info_kind") {
            Some(kind) => text(kind),
            None if k["link_type"] == "loopback" => "loopback".to_string(),
            None => "device".to_string(),
        };
        c.eq(format!("{name} kind"), &n.kind, kind.as_str());
        c.eq(format!("{name} mtu"), opt(n.mtu), text(&k["mtu"]));
        c.eq(
            format!("{name} min_mtu"),
            opt(n.min_mtu),
            text(&k["min_mtu"]),
        );
        c.eq(
            format!("{name} max_mtu"),
            opt(n.max_mtu),
            text(&k["max_mtu"]),
        );
        c.eq(
            format!("{name} master"),
            opt(n.master.as_ref()),
            text(&k["master"]),
        );
        c.eq(
            format!("{name} mac"),
            opt(n.mac.as_ref()),
            text(&k["address"]),
        );
        c.eq(
            format!("{name} oper state"),
            &n.oper_state,
            text(&k["operstate"]),
        );
        c.eq(
            format!("{name} admin up"),
            n.admin_up.to_string(),
            flag("UP").to_string(),
        );
        if n.admin_up {
            // IFF_LOWER_UP is the carrier of a running link.
            c.eq(
                format!("{name} carrier"),
                opt(n.carrier),
                flag("LOWER_UP").to_string(),
            );
        }
        match kind.as_str() {
            "vlan" => {
                let v = n.vlan.as_ref();
                let d = &info["info_data"];
                c.eq(
                    format!("{name} vlan id"),
                    opt(v.map(|v| v.id)),
                    text(&d["id"]),
                );
                c.eq(
                    format!("{name} vlan protocol"),
                    opt(v.map(|v| &v.protocol)),
                    text(&d["protocol"]),
                );
                c.eq(
                    format!("{name} vlan parent"),
                    opt(v.and_then(|v| v.parent.as_ref())),
                    text(&k["link"]),
                );
            }
            _ => c.eq(
                format!("{name} vlan"),
                opt(n.vlan.as_ref().map(|_| "some")),
                "null",
            ),
        }
        let ports: Vec<String> =
            f.ip.iter()
                .filter(|p| p["master"] == name.as_str() && kind == "bridge")
                .map(|p| text(&p["ifname"]))
                .collect();
        c.eq(
            format!("{name} bridge ports"),
            n.bridge_ports.join(" "),
            ports.join(" "),
        );

        if kind == "bond" {
            let d = &info["info_data"];
            let Some(b) = n.bond.as_ref() else {
                c.eq(format!("{name} bond"), "null", "a bond");
                continue;
            };
            c.eq(format!("{name} mode (ip)"), &b.mode, text(&d["mode"]));
            c.eq(
                format!("{name} mode (sysfs)"),
                &b.mode,
                word(&sys(&name, "mode")),
            );
            for (ours, key) in [
                (b.miimon, "miimon"),
                (b.updelay, "updelay"),
                (b.downdelay, "downdelay"),
                (b.arp_interval, "arp_interval"),
                (b.min_links, "min_links"),
            ] {
                c.eq(format!("{name} {key} (ip)"), opt(ours), text(&d[key]));
                c.eq(format!("{name} {key} (sysfs)"), opt(ours), sys(&name, key));
            }
            for (ours, key) in [
                (b.use_carrier, "use_carrier"),
                (b.all_slaves_active, "all_slaves_active"),
            ] {
                c.eq(format!("{name} {key} (ip)"), bool01(ours), text(&d[key]));
                c.eq(
                    format!("{name} {key} (sysfs)"),
                    bool01(ours),
                    sys(&name, key),
                );
            }
            for (ours, key, ip_key) in [
                (&b.xmit_hash_policy, "xmit_hash_policy", "xmit_hash_policy"),
                (&b.lacp_rate, "lacp_rate", "ad_lacp_rate"),
                (&b.ad_select, "ad_select", "ad_select"),
                (&b.arp_validate, "arp_validate", "arp_validate"),
            ] {
                // iproute2 6.1 prints arp_validate `none` as null.
                let theirs = match (key, &d[ip_key]) {
                    ("arp_validate", Value::Null) => "none".to_string(),
                    (_, v) => text(v),
                };
                c.eq(format!("{name} {key} (ip)"), opt(ours.as_ref()), theirs);
                c.eq(
                    format!("{name} {key} (sysfs)"),
                    opt(ours.as_ref()),
                    word(&sys(&name, key)),
                );
            }
            let targets = b.arp_ip_target.join(" ");
            c.eq(
                format!("{name} arp_ip_target (ip)"),
                targets.as_str(),
                d.get("arp_ip_target").map(text).unwrap_or_default(),
            );
            c.eq(
                format!("{name} arp_ip_target (sysfs)"),
                targets.as_str(),
                sys(&name, "arp_ip_target"),
            );
            c.eq(
                format!("{name} primary (ip)"),
                opt(b.primary.as_ref()),
                text(&d["primary"]),
            );
            c.eq(
                format!("{name} primary (sysfs)"),
                b.primary.clone().unwrap_or_default(),
                sys(&name, "primary"),
            );
            if let Some(ad) = d.get("ad_info") {
                let a = b.ad_info.clone().unwrap_or_default();
                for (ours, key, sys_key) in [
                    (opt(a.aggregator_id), "aggregator", "ad_aggregator"),
                    (opt(a.num_ports), "num_ports", "ad_num_ports"),
                    (opt(a.actor_key), "actor_key", "ad_actor_key"),
                    (opt(a.partner_key), "partner_key", "ad_partner_key"),
                    (opt(a.partner_mac), "partner_mac", "ad_partner_mac"),
                ] {
                    c.eq(
                        format!("{name} ad_info {key} (ip)"),
                        ours.as_str(),
                        text(&ad[key]),
                    );
                    c.eq(
                        format!("{name} ad_info {key} (sysfs)"),
                        ours,
                        sys(&name, sys_key),
                    );
                }
            } else {
                c.eq(
                    format!("{name} ad_info"),
                    opt(b.ad_info.as_ref().map(|_| "some")),
                    "null",
                );
            }
        } else {
            c.eq(
                format!("{name} bond"),
                opt(n.bond.as_ref().map(|_| "some")),
                "null",
            );
        }

        if info["info_slave_kind"] == "bond" {
            let d = &info["info_slave_data"];
            let s = n.bond_slave.clone().unwrap_or_default();
            let lower = |v: &Value| text(v).to_lowercase();
            c.eq(
                format!("{name} slave state (ip)"),
                opt(s.state.as_ref()),
                lower(&d["state"]),
            );
            c.eq(
                format!("{name} slave state (sysfs)"),
                opt(s.state.as_ref()),
                sys(&name, "slave_state"),
            );
            c.eq(
                format!("{name} slave mii_status (ip)"),
                opt(s.mii_status.as_ref()),
                lower(&d["mii_status"]),
            );
            c.eq(
                format!("{name} slave mii_status (sysfs)"),
                opt(s.mii_status.as_ref()),
                sys(&name, "slave_mii_status").replace(' ', "_"),
            );
            let mut numbers = vec![
                (opt(s.link_failure_count), "link_failure_count"),
                (opt(s.perm_hwaddr.as_ref()), "perm_hwaddr"),
                (opt(s.queue_id), "queue_id"),
            ];
            if d.get("ad_aggregator_id").is_some() {
                numbers.extend([
                    (opt(s.ad_aggregator_id), "ad_aggregator_id"),
                    (opt(s.ad_actor_oper_port_state), "ad_actor_oper_port_state"),
                    (
                        opt(s.ad_partner_oper_port_state),
                        "ad_partner_oper_port_state",
                    ),
                ]);
            }
            for (ours, key) in numbers {
                c.eq(
                    format!("{name} slave {key} (ip)"),
                    ours.as_str(),
                    text(&d[key]),
                );
                c.eq(
                    format!("{name} slave {key} (sysfs)"),
                    ours,
                    sys(&name, &format!("slave_{key}")),
                );
            }
        } else {
            c.eq(
                format!("{name} bond slave"),
                opt(n.bond_slave.as_ref().map(|_| "some")),
                "null",
            );
        }
    }
    assert!(
        c.wrong.is_empty(),
        "{} of {} fields disagree:\n{}",
        c.wrong.len(),
        c.checked,
        c.wrong.join("\n")
    );
    assert!(c.checked > 800, "only {} fields compared", c.checked);
    assert_eq!(
        sysfs_used,
        f.sysfs.len(),
        "every sysfs value in the fixture is compared"
    );
    assert!(!f.dump.is_empty());
}

/// The capture must keep covering what the comparisons above are for.
#[test]
fn the_capture_covers_every_bond_mode_and_state() {
    let f = load();
    let bonds: Vec<_> = f.links.iter().filter_map(|l| l.bond.as_ref()).collect();
    let mut modes: Vec<&str> = bonds.iter().map(|b| b.mode.as_str()).collect();
    modes.sort_unstable();
    modes.dedup();
    assert_eq!(
        modes,
        [
            "802.3ad",
            "active-backup",
            "balance-alb",
            "balance-rr",
            "balance-tlb",
            "balance-xor",
            "broadcast"
        ]
    );
    let lacp = bonds.iter().find(|b| b.mode == "802.3ad").unwrap();
    assert_eq!(lacp.lacp_rate.as_deref(), Some("fast"));
    assert_eq!(lacp.xmit_hash_policy.as_deref(), Some("layer3+4"));
    assert_eq!(lacp.min_links, Some(2));
    assert!(bonds.iter().any(|b| b.arp_ip_target.len() == 2
        && b.arp_interval.is_some_and(|i| i > 0)
        && b.mode == "active-backup"));
    assert!(bonds.iter().any(|b| b.primary.is_some()));
    let mut mii: Vec<&str> = f
        .links
        .iter()
        .filter_map(|l| l.bond_slave.as_ref()?.mii_status.as_deref())
        .collect();
    mii.sort_unstable();
    mii.dedup();
    assert_eq!(mii, ["down", "going_back", "going_down", "up"]);
    let vlans: Vec<_> = f.links.iter().filter_map(|l| l.vlan.as_ref()).collect();
    for protocol in ["802.1Q", "802.1ad"] {
        assert!(vlans.iter().any(|v| v.protocol == protocol), "{protocol}");
    }
    let bridge = f.links.iter().find(|l| l.kind == "bridge").unwrap();
    assert!(!bridge.bridge_ports.is_empty());
    assert!(
        vlans
            .iter()
            .any(|v| v.parent.as_deref() == Some(bridge.name.as_str()))
    );
    assert!(f.links.iter().any(|l| l.mtu == Some(9000)));
}

#[test]
fn garbage_dumps_are_errors_not_panics() {
    for text in [
        "zz",
        "0",
        "00",
        "0g",
        "é0",
        "ffffffffffffffffffffffffffffffff0900ff",
        "10000000",
    ] {
        assert!(decode_dump(text).is_err(), "{text:?}");
    }
    // Every truncation and a byte flipped at every offset of a real message: any result but a
    // panic. (Truncated to whole attributes, a message is still a valid, shorter one.)
    let f = load();
    let line = f
        .dump
        .lines()
        .find(|l| l.len() > 400)
        .expect("a long message");
    let bytes: Vec<u8> = (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
        .collect();
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut variants = Vec::new();
    for len in 0..bytes.len() {
        variants.push(hex(&bytes[..len]));
    }
    for at in 0..bytes.len() {
        let mut b = bytes.clone();
        b[at] ^= 0xff;
        variants.push(hex(&b));
    }
    let mut panicked = Vec::new();
    for (i, text) in variants.iter().enumerate() {
        if std::panic::catch_unwind(|| decode_dump(text)).is_err() {
            panicked.push(i);
        }
    }
    assert!(
        panicked.is_empty(),
        "decode_dump panicked on {} of {} variants (indices {:?})",
        panicked.len(),
        variants.len(),
        &panicked[..panicked.len().min(20)]
    );
}
