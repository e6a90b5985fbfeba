//! netvet's netlink parsing without root: the raw RTM_NEWLINK dump captured in the VM
//! (`tests/vm/live.sh --capture`: bonds in every mode, slaves, 802.1Q and 802.1ad VLANs, a
//! bridge) decodes into a model that agrees with `ip -details -json link show` captured at the
//! same moment.

use std::collections::BTreeMap;

use netvet::live::{Link, decode_dump};
use serde_json::Value;

use crate::support::repo;

fn load() -> (BTreeMap<String, Link>, BTreeMap<String, Value>) {
    let dir = repo().join("fixtures/live");
    let dump = std::fs::read_to_string(dir.join("vm-bonds.netlink")).unwrap();
    let links = decode_dump(&dump).expect("the captured dump decodes");
    let ip: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("vm-bonds.ip.json")).unwrap())
            .unwrap();
    (
        links.into_iter().map(|l| (l.name.clone(), l)).collect(),
        ip.into_iter()
            .map(|l| (l["ifname"].as_str().unwrap().to_string(), l))
            .collect(),
    )
}

#[test]
fn decoded_dump_agrees_with_ip_details_json() {
    let (ours, theirs) = load();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    let mut checked = 0;
    for (name, k) in &theirs {
        let n = &ours[name];
        let info = &k["linkinfo"];
        assert_eq!(
            u64::from(n.index),
            k["ifindex"].as_u64().unwrap(),
            "{name} index"
        );
        assert_eq!(n.mtu, k["mtu"].as_u64().map(|v| v as u32), "{name} mtu");
        assert_eq!(n.master.as_deref(), k["master"].as_str(), "{name} master");
        assert_eq!(n.mac.as_deref(), k["address"].as_str(), "{name} mac");
        assert_eq!(
            n.oper_state,
            k["operstate"].as_str().unwrap(),
            "{name} operstate"
        );
        let kind =
            info["info_kind"]
                .as_str()
                .unwrap_or(if name == "lo" { "loopback" } else { "device" });
        assert_eq!(n.kind, kind, "{name} kind");
        match kind {
            "vlan" => {
                let v = n.vlan.as_ref().expect("a VLAN");
                assert_eq!(
                    u64::from(v.id),
                    info["info_data"]["id"].as_u64().unwrap(),
                    "{name} id"
                );
                assert_eq!(
                    v.protocol,
                    info["info_data"]["protocol"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(v.parent.as_deref(), k["link"].as_str(), "{name} parent");
            }
            "bond" => {
                let b = n.bond.as_ref().expect("a bond");
                let kb = &info["info_data"];
                assert_eq!(b.mode, kb["mode"].as_str().unwrap(), "{name} mode");
                for (ours, key) in [
                    (b.miimon, "miimon"),
                    (b.updelay, "updelay"),
                    (b.downdelay, "downdelay"),
                    (b.arp_interval, "arp_interval"),
                    (b.min_links, "min_links"),
                ] {
                    assert_eq!(ours.map(u64::from), kb[key].as_u64(), "{name} {key}");
                }
                assert_eq!(
                    b.lacp_rate.as_deref(),
                    kb["ad_lacp_rate"].as_str(),
                    "{name} lacp_rate"
                );
                assert_eq!(
                    b.xmit_hash_policy.as_deref(),
                    kb["xmit_hash_policy"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    b.ad_select.as_deref(),
                    kb["ad_select"].as_str(),
                    "{name} ad_select"
                );
                let targets: Vec<&str> = kb["arp_ip_target"]
                    .as_array()
                    .map(|a| a.iter().map(|t| t.as_str().unwrap()).collect())
                    .unwrap_or_default();
                assert_eq!(b.arp_ip_target, targets, "{name} arp_ip_target");
                assert_eq!(
                    b.primary.as_deref(),
                    kb["primary"].as_str(),
                    "{name} primary"
                );
                if let Some(ad) = kb.get("ad_info") {
                    let a = b.ad_info.as_ref().expect("802.3ad info");
                    assert_eq!(
                        a.partner_mac.as_deref(),
                        ad["partner_mac"].as_str(),
                        "{name}"
                    );
                    assert_eq!(
                        a.aggregator_id.map(u64::from),
                        ad["aggregator"].as_u64(),
                        "{name}"
                    );
                }
            }
            "bridge" => {
                let mut ports: Vec<&String> = theirs
                    .iter()
                    .filter(|(_, l)| l["master"] == name.as_str())
                    .map(|(p, _)| p)
                    .collect();
                ports.sort();
                let mut mine: Vec<&String> = n.bridge_ports.iter().collect();
                mine.sort();
                assert_eq!(mine, ports, "{name} ports");
            }
            _ => {}
        }
        if info["info_slave_kind"] == "bond" && n.master.as_deref() != Some("barp") {
            // barp's ARP targets do not exist: its slaves' state flaps between two reads.
            let s = n.bond_slave.as_ref().expect("slave info");
            let ks = &info["info_slave_data"];
            assert_eq!(
                s.state.as_deref(),
                ks["state"].as_str().map(str::to_lowercase).as_deref(),
                "{name}"
            );
            assert_eq!(
                s.mii_status.as_deref(),
                ks["mii_status"].as_str().map(str::to_lowercase).as_deref(),
                "{name}"
            );
            assert_eq!(
                s.perm_hwaddr.as_deref(),
                ks["perm_hwaddr"].as_str(),
                "{name}"
            );
        }
        checked += 1;
    }
    // Every bond mode, both VLAN protocols and a bridge are in the capture.
    let kinds: Vec<&str> = ours.values().map(|l| l.kind.as_str()).collect();
    for kind in ["bond", "vlan", "bridge", "dummy"] {
        assert!(kinds.contains(&kind), "no {kind} in the capture");
    }
    let modes: Vec<&str> = ours
        .values()
        .filter_map(|l| Some(l.bond.as_ref()?.mode.as_str()))
        .collect();
    assert_eq!(modes.len(), 8, "{modes:?}");
    assert!(checked > 20);
}

#[test]
fn garbage_dumps_are_errors_not_panics() {
    for text in [
        "zz",
        "0",
        "00",
        "ffffffffffffffffffffffffffffffff0900ff",
        "10000000",
    ] {
        assert!(decode_dump(text).is_err(), "{text}");
    }
}
