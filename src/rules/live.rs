//! NV501-NV508: the running kernel against the configuration. These run only when a live state
//! is given (`netvet check --live`, or a snapshot with `--live-snapshot`).

use super::{Context, Findings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::live::{Link, LiveState};
use crate::model::bringup::{Event, SetBy};
use crate::model::mtu::MtuSource;
use crate::model::{Bond, BondMode, Interface, Kind, Origin};

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
    for iface in &ctx.model.interfaces {
        let link = live.link(&iface.name);
        if let (Some(bond), Some(link)) = (&iface.bond, link) {
            if let Some(live_bond) = &link.bond {
                option_drift(iface, bond, live_bond, out);
            }
        }
        slave_drift(ctx, live, iface, out);
        if let Some(link) = link {
            mtu_drift(ctx, iface, link, out);
            vlan_drift(iface, link, out);
        }
    }
    auto_links(ctx, live, out);
}

/// NV501.
fn no_monitoring(link: &Link, bond: &crate::live::Bond, out: &mut Vec<Diagnostic>) {
    if bond.miimon.unwrap_or(0) > 0 || bond.arp_interval.unwrap_or(0) > 0 {
        return;
    }
    out.push(
        Diagnostic::new(
            "NV501",
            format!("live bond {} has no link monitoring: miimon 0 and arp_interval 0", link.name),
        )
        .iface(&link.name)
        .help(format!("now: `echo 100 > /sys/class/net/{}/bonding/miimon`; for good: `bond-miimon 100` in its stanza", link.name))
        .note(format!("in {} mode the bond does not notice a dead link and keeps sending on it", bond.mode)),
    );
}

/// What the configuration makes the kernel run with (`model::bringup`), where the
/// configuration had a say; `None` for options nobody set.
fn expected(bond: &Bond, key: &str) -> Option<(String, Option<Origin>, Option<String>)> {
    let value = bond.kernel.get(key)?;
    // A value the driver chose still points at what the configuration said.
    let origin = match value.set_by {
        SetBy::Driver => bond.get(key).map(|o| o.origin),
        set_by => set_by.origin(),
    };
    let why = match value.set_by {
        SetBy::Driver => Some(format!("the driver sets {key} {} by itself here (see NV101, NV103, NV105)", value.value)),
        _ => None,
    }
    .or_else(|| {
        bond.kernel.events_for(key).find_map(|e| match e {
            Event::Rounded { from, to, miimon, .. } => Some(format!("configured {from}; the kernel rounds it down to {to}, a multiple of miimon {miimon}")),
            Event::Refused { value, .. } => Some(format!("the kernel refuses the configured {value} (see NV104, NV113)")),
            _ => None,
        })
    });
    Some((value.value.clone(), origin, why))
}

fn live_value(bond: &crate::live::Bond, key: &str) -> Option<String> {
    let num = |v: Option<u32>| v.map(|v| v.to_string());
    match key {
        "mode" => Some(bond.mode.clone()),
        "miimon" => num(bond.miimon),
        "updelay" => num(bond.updelay),
        "downdelay" => num(bond.downdelay),
        "arp_interval" => num(bond.arp_interval),
        "min_links" => num(bond.min_links),
        "lacp_rate" => bond.lacp_rate.clone(),
        "xmit_hash_policy" => bond.xmit_hash_policy.clone(),
        "ad_select" => bond.ad_select.clone(),
        "primary" => bond.primary.clone(),
        _ => None,
    }
}

/// NV502.
fn option_drift(
    iface: &Interface<'_>,
    bond: &Bond,
    live: &crate::live::Bond,
    out: &mut Findings<'_>,
) {
    let mode = bond.kernel.mode();
    for key in [
        "mode",
        "miimon",
        "updelay",
        "downdelay",
        "arp_interval",
        "min_links",
        "lacp_rate",
        "xmit_hash_policy",
        "ad_select",
        "primary",
    ] {
        // Options the mode does not use are reported by the kernel with its default; comparing
        // them would only repeat NV113.
        let mode_specific = matches!(key, "lacp_rate" | "ad_select");
        if mode_specific && mode != BondMode::Ieee8023ad {
            continue;
        }
        if key == "primary" && bond.get("primary").is_none() {
            continue;
        }
        let Some((want, origin, why)) = expected(bond, key) else {
            continue;
        };
        let Some(have) = live_value(live, key) else {
            continue;
        };
        if want == have {
            continue;
        }
        let source = match origin {
            Some(Origin::Interfaces(_)) => "interfaces",
            Some(Origin::Modprobe(_)) => "modprobe.d",
            _ => "the kernel default",
        };
        let mut d = Diagnostic::new(
            "NV502",
            format!("{} {key} is {have} in the kernel, but the configuration says {want} (from {source})", iface.name),
        )
        .iface(&iface.name)
        .at_opt(origin.and_then(Origin::location).or(iface.first_header()))
        .help(format!("apply the configuration (`ifdown {0} && ifup {0}`), or change it to match what runs", iface.name));
        if let Some(why) = why {
            d = d.note(why);
        }
        out.push(d);
    }
}

/// NV503.
fn slave_drift(
    ctx: &Context<'_, '_>,
    live: &LiveState,
    iface: &Interface<'_>,
    out: &mut Findings<'_>,
) {
    // A slave that booting this configuration enslaves (`model::mtu`'s replay of ifup: the
    // first bond to claim it wins), which the kernel has not enslaved to that bond.
    let predicted = ctx.model.links.enslaved.get(iface.name.as_str());
    let membership = predicted.and_then(|bond| iface.memberships.iter().find(|m| m.bond == *bond));
    if let Some(m) = membership {
        let bond_live = live.link(&m.bond).is_some_and(|l| l.bond.is_some());
        if bond_live {
            let actual = live.link(&iface.name).and_then(|l| l.master.clone());
            if actual.as_deref() != Some(m.bond.as_str()) {
                let state = match (live.link(&iface.name), actual) {
                    (None, _) => "does not exist".to_string(),
                    (Some(_), None) => "is not enslaved".to_string(),
                    (Some(_), Some(other)) => format!("is enslaved to {other}"),
                };
                out.push(
                    Diagnostic::new("NV503", format!("{} should be a slave of {} but {state}", iface.name, m.bond))
                        .at(m.location)
                        .iface(&iface.name)
                        .help(format!("`ifup {}` (or `ip link set {} master {}` after setting it down)", iface.name, iface.name, m.bond))
                        .note("the bond runs with fewer links than configured: less bandwidth and no redundancy"),
                );
            }
        }
    }
    // A live slave of a configured bond that no configuration names.
    if iface.kind == Kind::Bond && iface.has_stanza() {
        let configured = iface
            .bond
            .as_ref()
            .map(|b| b.slaves.as_slice())
            .unwrap_or_default();
        for link in live
            .links
            .iter()
            .filter(|l| l.master.as_deref() == Some(iface.name.as_str()))
        {
            if !configured.iter().any(|s| *s == link.name)
                && ctx
                    .model
                    .get(&link.name)
                    .is_none_or(|i| i.memberships.is_empty())
            {
                out.push(
                    Diagnostic::new("NV503", format!("{} is a live slave of {} but no configuration names it", link.name, iface.name))
                        .severity(Severity::Warning)
                        .at_opt(iface.first_header())
                        .iface(&link.name)
                        .help(format!("add it to {}'s `bond-slaves` (or give it `bond-master {}`), or release it", iface.name, iface.name))
                        .note("it was enslaved by hand or by another tool, and will not come back after a reboot"),
                );
            }
        }
    }
}

/// NV504: the live MTU against what `ifup -a` of this configuration gives (`model::mtu`).
fn mtu_drift(ctx: &Context<'_, '_>, iface: &Interface<'_>, link: &Link, out: &mut Findings<'_>) {
    let Some(want) = ctx.model.links.mtu(&iface.name) else {
        return;
    };
    let configured = iface.mtu();
    // A link nothing sets (or whose `mtu` is invalid, NV004) keeps whatever MTU it has.
    if want.source == MtuSource::Default {
        return;
    }
    // A slave that is not in its bond is NV503's finding; its MTU follows from that.
    if let MtuSource::Bond(bond) = &want.source {
        if link.master.as_deref() != Some(bond.as_str()) {
            return;
        }
    }
    let Some(have) = link.mtu else { return };
    if want.mtu == have {
        return;
    }
    let why = match &want.source {
        MtuSource::Own(_) => "its `mtu` option".to_string(),
        MtuSource::Bond(bond) => format!("the MTU of its bond {bond}"),
        MtuSource::Bridge(bridge) => {
            format!("bridge {bridge}'s `mtu`, which bridge-utils gives its ports")
        }
        MtuSource::RaisedFor(vlan) => format!("raised for VLAN {vlan} by the vlan hook"),
        MtuSource::Hook(_) => "an `ip link set ... mtu` hook".to_string(),
        MtuSource::Parent(parent) => format!("its parent {parent}'s MTU"),
        MtuSource::Default => "the kernel default".to_string(),
    };
    let at = match &want.source {
        MtuSource::Own(at) | MtuSource::Hook(at) => Some(*at),
        _ => configured.map(|(_, o)| o.location()),
    };
    out.push(
        Diagnostic::new(
            "NV504",
            format!("{} runs with MTU {have}, but the configuration gives it {} ({why})", iface.name, want.mtu),
        )
        .at_opt(at.or(iface.first_header()))
        .iface(&iface.name)
        .help(format!("`ip link set {name} mtu {mtu}` (after its bond or parent allows it), or `ifdown {name} && ifup {name}`; or fix the configuration", name = iface.name, mtu = want.mtu))
        .note("something changed the MTU after boot, or the configuration was edited without being applied"),
    );
}

/// NV508.
fn vlan_drift(iface: &Interface<'_>, link: &Link, out: &mut Findings<'_>) {
    let Some(vlan) = &iface.vlan else { return };
    if iface.kind != Kind::Vlan {
        return;
    }
    let location = vlan.parent_origin.unwrap_or(vlan.id_origin);
    let Some(live) = &link.vlan else {
        out.push(
            Diagnostic::new(
                "NV508",
                format!(
                    "{} is configured as a VLAN but the live link is a {}",
                    iface.name, link.kind
                ),
            )
            .at(location)
            .iface(&iface.name)
            .help(format!(
                "delete the link and `ifup {}` to create the VLAN",
                iface.name
            )),
        );
        return;
    };
    let id_differs = vlan.id().is_some_and(|id| id != u32::from(live.id));
    let parent_differs =
        !vlan.parent.is_empty() && live.parent.as_deref() != Some(vlan.parent.as_str());
    if id_differs || parent_differs {
        out.push(
            Diagnostic::new(
                "NV508",
                format!(
                    "{} is VLAN {} on {} in the kernel, but the configuration says VLAN {} on {}",
                    iface.name,
                    live.id,
                    live.parent.as_deref().unwrap_or("?"),
                    vlan.id_text,
                    vlan.parent
                ),
            )
            .at(location)
            .iface(&iface.name)
            .help(format!(
                "recreate it: `ifdown {0}; ip link del {0}; ifup {0}`",
                iface.name
            )),
        );
    }
}

/// NV505.
fn lacp_health(live: &LiveState, link: &Link, bond: &crate::live::Bond, out: &mut Vec<Diagnostic>) {
    if bond.mode != "802.3ad" {
        return;
    }
    let slaves: Vec<&Link> = live
        .links
        .iter()
        .filter(|l| l.master.as_deref() == Some(link.name.as_str()))
        .collect();
    let mut aggregators: Vec<u16> = slaves
        .iter()
        .filter_map(|s| s.bond_slave.as_ref()?.ad_aggregator_id)
        .collect();
    aggregators.sort_unstable();
    aggregators.dedup();
    if aggregators.len() > 1 {
        out.push(
            Diagnostic::new("NV505", format!("802.3ad bond {}'s slaves are in {} different aggregators", link.name, aggregators.len()))
                .iface(&link.name)
                .help("check that all switch ports are in the same LACP port-channel and run LACP; only one aggregator carries traffic")
                .note("ports join one aggregator only when they share speed, duplex and the partner's system id and key"),
        );
    }
    if let Some(info) = &bond.ad_info {
        if info.partner_mac.as_deref() == Some("00:00:00:00:00:00") && !slaves.is_empty() {
            out.push(
                Diagnostic::new("NV505", format!("802.3ad bond {} has no LACP partner (partner MAC 00:00:00:00:00:00)", link.name))
                    .iface(&link.name)
                    .help("configure the switch ports as an LACP (802.3ad) port-channel in active mode")
                    .note("the switch is not answering LACPDUs: the bond falls back to a single link, or none"),
            );
        }
        if let (Some(ports), Some(min)) = (info.num_ports, bond.min_links) {
            if u32::from(ports) < min {
                out.push(
                    Diagnostic::new(
                        "NV505",
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
    for s in &slaves {
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
                "NV505",
                format!("802.3ad slave {} of {} does not aggregate: {why}", s.name, link.name),
            )
            .iface(&s.name)
            .help(format!("check the switch port behind {}: it must be in the same LACP port-channel, with LACP running", s.name))
            .note(format!("actor port state {actor:#04x}, partner port state {partner:#04x} (IEEE 802.1AX bits: 0x08 sync, 0x40 defaulted, 0x80 expired)")),
        );
    }
    // NV506: speed, duplex and link state of the slaves.
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
            Diagnostic::new("NV506", format!("802.3ad bond {}'s slaves differ in speed or duplex: {}", link.name, list.join(", ")))
                .iface(&link.name)
                .help("use links of one speed in a bond; check the cabling and autonegotiation of the odd one")
                .note("802.3ad aggregates only ports of the same speed and duplex; the others end up in other aggregators"),
        );
    }
    for s in &slaves {
        if s.bond_slave.as_ref().and_then(|b| b.mii_status.as_deref()) == Some("down") {
            out.push(
                Diagnostic::new(
                    "NV506",
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

/// NV507.
fn auto_links(ctx: &Context<'_, '_>, live: &LiveState, out: &mut Findings<'_>) {
    for entry in ctx.model.allows.iter().filter(|a| a.class == "auto") {
        if entry.name.contains(['/', '='])
            || !ctx.model.get(entry.name).is_some_and(Interface::has_stanza)
        {
            continue;
        }
        let state = match live.link(entry.name) {
            None => "does not exist",
            Some(l) if !l.admin_up => "is administratively down",
            Some(_) => continue,
        };
        out.push(
            Diagnostic::new("NV507", format!("`auto {}`, but the interface {state}", entry.name))
                .at(entry.location)
                .iface(entry.name)
                .help(format!("`ifup {}` and read its errors; `journalctl -u networking` shows what happened at boot", entry.name)),
        );
    }
}
