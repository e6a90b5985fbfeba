//! What the fleet audit collects from a host without netvet: `ip -details -json link show`
//! through `live::links_from_ip_json`, and the same bytes as `ss` and `grep -H` text through
//! `listeners_from_ss`, `sysctls_from_grep` and `speed_duplex_from_grep`. Besides "no panic",
//! the links read must hold together as netlink's reader makes them, and a state built from
//! them must survive `netvet live`'s JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::live::{
    LIVE_SCHEMA_VERSION, LiveState, links_from_ip_json, listeners_from_ss, speed_duplex_from_grep,
    sysctls_from_grep,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let listeners = listeners_from_ss(&text).unwrap_or_default();
    let sysctls = sysctls_from_grep(&text);
    let Ok(mut links) = links_from_ip_json(data) else {
        return;
    };
    speed_duplex_from_grep(&mut links, &text);
    assert!(links.len() <= netvet::limits::MAX_LIVE_LINKS);
    assert!(
        links.windows(2).all(|w| w[0].index <= w[1].index),
        "index order"
    );
    let named = |name: &Option<String>| {
        name.as_ref()
            .is_none_or(|n| links.iter().any(|l| &l.name == n))
    };
    for link in &links {
        assert!(named(&link.master), "{}: master names a link", link.name);
        assert!(link.vlan.as_ref().is_none_or(|v| named(&v.parent)));
        assert!(link.bond.as_ref().is_none_or(|b| named(&b.primary)));
        assert!(
            link.bond
                .as_ref()
                .is_none_or(|b| b.arp_ip_target.len() <= 16)
        );
        assert!(
            link.carrier.is_some() == link.admin_up,
            "{}: carrier",
            link.name
        );
        assert!(link.kind == "bridge" || link.bridge_ports.is_empty());
        for port in &link.bridge_ports {
            assert!(
                links
                    .iter()
                    .any(|p| &p.name == port && p.master.as_ref() == Some(&link.name)),
                "{}: port {port}",
                link.name
            );
        }
    }
    let state = LiveState {
        version: LIVE_SCHEMA_VERSION,
        links,
        sysctls,
        listeners,
        unavailable: Vec::new(),
    };
    let back = LiveState::from_json(&state.to_json())
        .unwrap_or_else(|e| panic!("the state's own JSON does not read back: {e}"));
    assert_eq!(back, state);
});
