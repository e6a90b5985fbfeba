//! NV501-NV508: the running kernel against the configuration. These run only when a live state
//! is given (`netvet check --live`, or a snapshot with `--live-snapshot`).

use super::{Context, Findings};
use crate::diagnostic::registry as rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::live::{Link, LiveState};
use crate::model::drift::{self, Drift, SlaveState};
use crate::model::mtu::MtuSource;
use crate::model::{Interface, Origin};

pub(super) fn check(ctx: &Context<'_, '_>, live: &LiveState, out: &mut Findings<'_>) {
    for link in &live.links {
        if let Some(bond) = &link.bond {
            let mut found = Vec::new();
            no_monitoring(link, bond, &mut found);
            lacp_health(live, link, bond, &mut found);
            // Point at the bond's stanza when the configuration has one.
            let header = ctx.model.get(&link.name).and_then(Interface::first_header);
            for d in found {
                let location = d.location.or(header);
                out.push(d.at_opt(location));
            }
        }
    }
    let expected = drift::expected(ctx.model);
    for d in drift::diff(ctx.model, &expected, live) {
        out.push(render(ctx, d));
    }
}

/// The finding for one drift.
fn render(ctx: &Context<'_, '_>, drift: Drift<'_>) -> Diagnostic {
    let header = |name: &str| ctx.model.get(name).and_then(Interface::first_header);
    match drift {
        Drift::BondOption { bond, option, have } => {
            let (key, want) = (option.key, &option.value);
            let source = match option.origin {
                Some(Origin::Interfaces(_)) => "interfaces",
                Some(Origin::Modprobe(_)) => "modprobe.d",
                _ => "the kernel default",
            };
            let d = Diagnostic::new(
                rule::NV502,
                format!("{bond} {key} is {have} in the kernel, but the configuration says {want} (from {source})"),
            )
            .iface(bond)
            .at_opt(option.origin.and_then(Origin::location).or(header(bond)))
            .help(format!("apply the configuration (`ifdown {bond} && ifup {bond}`), or change it to match what runs"));
            match option.why {
                Some(why) => d.note(why),
                None => d,
            }
        }
        Drift::SlaveNotEnslaved {
            slave,
            bond,
            state,
            at,
        } => {
            let state = match state {
                SlaveState::Missing => "does not exist".to_string(),
                SlaveState::Free => "is not enslaved".to_string(),
                SlaveState::Elsewhere(other) => format!("is enslaved to {other}"),
            };
            Diagnostic::new(
                rule::NV503,
                format!("{slave} should be a slave of {bond} but {state}"),
            )
            .at(at)
            .iface(slave)
            .help(format!(
                "`ifup {slave}` (or `ip link set {slave} master {bond}` after setting it down)"
            ))
            .note(
                "the bond runs with fewer links than configured: less bandwidth and no redundancy",
            )
        }
        Drift::SlaveUnconfigured { slave, bond } => Diagnostic::new(
            rule::NV503,
            format!("{slave} is a live slave of {bond} but no configuration names it"),
        )
        .severity(Severity::Warning)
        .at_opt(header(bond))
        .iface(&slave)
        .help(format!(
            "add it to {bond}'s `bond-slaves` (or give it `bond-master {bond}`), or release it"
        ))
        .note("it was enslaved by hand or by another tool, and will not come back after a reboot"),
        Drift::Mtu { link, want, have } => {
            let why = match &want.source {
                MtuSource::Own(_) => "its `mtu` option".to_string(),
                MtuSource::Bond(bond) => format!("the MTU of its bond {bond}"),
                MtuSource::Bridge(bridge) => {
                    format!("bridge {bridge}'s `mtu`, which bridge-utils gives its ports")
                }
                MtuSource::RaisedFor(vlan) => format!("raised for VLAN {vlan} by the vlan hook"),
                MtuSource::Hook(_) => "an `ip link set ... mtu` hook".to_string(),
                MtuSource::Parent(parent) => format!("its parent {parent}'s MTU"),
                MtuSource::Lower(lower) => format!("created over {lower}, from its MTU"),
                MtuSource::Default => "the kernel default".to_string(),
            };
            let at = match &want.source {
                MtuSource::Own(at) | MtuSource::Hook(at) => Some(*at),
                _ => ctx
                    .model
                    .get(link)
                    .and_then(|i| i.mtu())
                    .map(|(_, o)| o.location()),
            };
            Diagnostic::new(
                rule::NV504,
                format!("{link} runs with MTU {have}, but the configuration gives it {} ({why})", want.mtu),
            )
            .at_opt(at.or(header(link)))
            .iface(link)
            .help(format!("`ip link set {link} mtu {mtu}` (after its bond or parent allows it), or `ifdown {link} && ifup {link}`; or fix the configuration", mtu = want.mtu))
            .note("something changed the MTU after boot, or the configuration was edited without being applied")
        }
        Drift::NotAVlan { link, kind, at } => Diagnostic::new(
            rule::NV508,
            format!("{link} is configured as a VLAN but the live link is a {kind}"),
        )
        .at(at)
        .iface(link)
        .help(format!(
            "delete the link and `ifup {link}` to create the VLAN"
        )),
        Drift::Vlan {
            link,
            want_id,
            want_parent,
            have_id,
            have_parent,
            at,
        } => Diagnostic::new(
            rule::NV508,
            format!(
                "{link} is VLAN {have_id} on {} in the kernel, but the configuration says VLAN {want_id} on {want_parent}",
                have_parent.as_deref().unwrap_or("?"),
            ),
        )
        .at(at)
        .iface(link)
        .help(format!("recreate it: `ifdown {link}; ip link del {link}; ifup {link}`")),
        Drift::AutoLink { link, exists, at } => {
            let state = if exists {
                "is administratively down"
            } else {
                "does not exist"
            };
            Diagnostic::new(rule::NV507, format!("`auto {link}`, but the interface {state}"))
                .at(at)
                .iface(link)
                .help(format!("`ifup {link}` and read its errors; `journalctl -u networking` shows what happened at boot"))
        }
    }
}

/// NV501.
fn no_monitoring(link: &Link, bond: &crate::live::Bond, out: &mut Vec<Diagnostic>) {
    if bond.miimon.unwrap_or(0) > 0 || bond.arp_interval.unwrap_or(0) > 0 {
        return;
    }
    out.push(
        Diagnostic::new(
            rule::NV501,
            format!("live bond {} has no link monitoring: miimon 0 and arp_interval 0", link.name),
        )
        .iface(&link.name)
        .help(format!("now: `echo 100 > /sys/class/net/{}/bonding/miimon`; for good: `bond-miimon 100` in its stanza", link.name))
        .note(format!("in {} mode the bond does not notice a dead link and keeps sending on it", bond.mode)),
    );
}

/// NV505 and NV506: an 802.3ad bond's LACP state, and its slaves' links.
fn lacp_health(live: &LiveState, link: &Link, bond: &crate::live::Bond, out: &mut Vec<Diagnostic>) {
    if bond.mode != "802.3ad" {
        return;
    }
    let slaves: Vec<&Link> = live
        .links
        .iter()
        .filter(|l| l.master.as_deref() == Some(link.name.as_str()))
        .collect();
    lacp_not_aggregating(link, bond, &slaves, out);
    slave_links_differ(link, &slaves, out);
}

/// NV505: slaves in several aggregators, no partner, fewer ports than min_links, or a port
/// that does not aggregate.
fn lacp_not_aggregating(
    link: &Link,
    bond: &crate::live::Bond,
    slaves: &[&Link],
    out: &mut Vec<Diagnostic>,
) {
    let mut aggregators: Vec<u16> = slaves
        .iter()
        .filter_map(|s| s.bond_slave.as_ref()?.ad_aggregator_id)
        .collect();
    aggregators.sort_unstable();
    aggregators.dedup();
    if aggregators.len() > 1 {
        out.push(
            Diagnostic::new(rule::NV505, format!("802.3ad bond {}'s slaves are in {} different aggregators", link.name, aggregators.len()))
                .iface(&link.name)
                .help("check that all switch ports are in the same LACP port-channel and run LACP; only one aggregator carries traffic")
                .note("ports join one aggregator only when they share speed, duplex and the partner's system id and key"),
        );
    }
    if let Some(info) = &bond.ad_info {
        if info.partner_mac.as_deref() == Some("00:00:00:00:00:00") && !slaves.is_empty() {
            out.push(
                Diagnostic::new(rule::NV505, format!("802.3ad bond {} has no LACP partner (partner MAC 00:00:00:00:00:00)", link.name))
                    .iface(&link.name)
                    .help("configure the switch ports as an LACP (802.3ad) port-channel in active mode")
                    .note("the switch is not answering LACPDUs: the bond falls back to a single link, or none"),
            );
        }
        if let (Some(ports), Some(min)) = (info.num_ports, bond.min_links) {
            if u32::from(ports) < min {
                out.push(
                    Diagnostic::new(
                        rule::NV505,
                        format!(
                            "802.3ad bond {} has {ports} active port{}, fewer than min_links {min}",
                            link.name,
                            if ports == 1 { "" } else { "s" }
                        ),
                    )
                    .iface(&link.name)
                    .help("bring the missing links up, or lower min_links")
                    .note("below min_links the bond keeps its carrier off"),
                );
            }
        }
    }
    // LACP state bits (IEEE 802.1AX): a port whose partner information expired or fell back to
    // defaults gets no LACPDUs; a partner not in sync does not aggregate the port.
    const SYNC: u8 = 0x08;
    const DEFAULTED: u8 = 0x40;
    const EXPIRED: u8 = 0x80;
    for s in slaves {
        let Some(slave) = &s.bond_slave else { continue };
        if slave.mii_status.as_deref() != Some("up") {
            continue;
        }
        let actor = slave.ad_actor_oper_port_state.unwrap_or(0);
        let partner = slave.ad_partner_oper_port_state.unwrap_or(SYNC);
        let why = if actor & EXPIRED != 0 {
            "its partner's LACPDUs stopped (port expired)"
        } else if actor & DEFAULTED != 0 {
            "it never heard an LACPDU (port defaulted)"
        } else if partner & SYNC == 0 {
            "the partner does not put it in sync"
        } else {
            continue;
        };
        out.push(
            Diagnostic::new(
                rule::NV505,
                format!("802.3ad slave {} of {} does not aggregate: {why}", s.name, link.name),
            )
            .iface(&s.name)
            .help(format!("check the switch port behind {}: it must be in the same LACP port-channel, with LACP running", s.name))
            .note(format!("actor port state {actor:#04x}, partner port state {partner:#04x} (IEEE 802.1AX bits: 0x08 sync, 0x40 defaulted, 0x80 expired)")),
        );
    }
}

/// NV506: an 802.3ad bond's slaves of different speed or duplex, or with their link down.
fn slave_links_differ(link: &Link, slaves: &[&Link], out: &mut Vec<Diagnostic>) {
    let speeds: Vec<(u32, &str)> = slaves
        .iter()
        .filter_map(|s| Some((s.speed_mbps?, s.duplex.as_deref()?)))
        .collect();
    if speeds.windows(2).any(|w| w[0] != w[1]) {
        let list: Vec<String> = slaves
            .iter()
            .filter_map(|s| {
                Some(format!(
                    "{} {}Mb/s {}",
                    s.name,
                    s.speed_mbps?,
                    s.duplex.as_deref()?
                ))
            })
            .collect();
        out.push(
            Diagnostic::new(rule::NV506, format!("802.3ad bond {}'s slaves differ in speed or duplex: {}", link.name, list.join(", ")))
                .iface(&link.name)
                .help("use links of one speed in a bond; check the cabling and autonegotiation of the odd one")
                .note("802.3ad aggregates only ports of the same speed and duplex; the others end up in other aggregators"),
        );
    }
    for s in slaves {
        if s.bond_slave.as_ref().and_then(|b| b.mii_status.as_deref()) == Some("down") {
            out.push(
                Diagnostic::new(
                    rule::NV506,
                    format!(
                        "slave {} of 802.3ad bond {} has its link down",
                        s.name, link.name
                    ),
                )
                .iface(&s.name)
                .help("check the cable, the switch port and `ethtool` on it"),
            );
        }
    }
}
