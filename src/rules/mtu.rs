//! NV201-NV205: MTU. Slaves that the bond resets, VLANs and bridges larger than what carries
//! them, hooks that fight the `mtu` option, IPv6 below its minimum MTU.

use super::Context;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Interface, Kind};
use crate::syntax::hooks::HookAction;

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Vec<Diagnostic>) {
    for iface in &ctx.model.interfaces {
        match iface.kind {
            Kind::Bond => bond_slaves(ctx, iface, out),
            Kind::Vlan => vlan_parent(ctx, iface, out),
            Kind::Bridge => bridge_ports(ctx, iface, out),
            Kind::Physical | Kind::Loopback => {}
        }
        ipv6_minimum(iface, out);
        hook_mtu(ctx, iface, out);
    }
}

/// NV204: `ip link set ... mtu N` in an up hook, against the `mtu` option it contradicts or
/// repeats.
fn hook_mtu(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Vec<Diagnostic>) {
    for opt in iface.options() {
        let actions = crate::model::up_hook_actions(opt.stanza.file, opt.opt).unwrap_or_default();
        for (action, location) in actions {
            let HookAction::SetMtu { device, mtu, .. } = action else {
                continue;
            };
            let own = matches!(device.as_str(), "$IFACE" | "${IFACE}") || device == iface.name;
            let target = if own {
                Some(iface)
            } else {
                ctx.model.get(&device)
            };
            let Some(target) = target else { continue };
            let Some((configured, mtu_opt)) = target.mtu() else {
                continue;
            };
            let Ok(hook_mtu) = mtu.parse::<u32>() else {
                continue;
            };
            let d = if hook_mtu == configured {
                Diagnostic::new(
                    "NV204",
                    format!(
                        "the hook sets {}'s MTU to {hook_mtu}, which `mtu` already does",
                        target.name
                    ),
                )
                .severity(Severity::Info)
                .help("delete the hook command; the `mtu` option is enough")
            } else {
                Diagnostic::new(
                    "NV204",
                    format!(
                        "the hook sets {}'s MTU to {hook_mtu}, but its `mtu` option says {configured}",
                        target.name
                    ),
                )
                .help(format!("keep one: the `mtu` option (`mtu {hook_mtu}`), and delete the hook command"))
                .note("ifupdown applies `mtu` when it configures the link, and the hook runs after it: the hook's value is what the link ends up with, until something reapplies the configuration")
            };
            out.push(
                d.at(location)
                    .iface(&iface.name)
                    .label(Some(mtu_opt.location()), format!("`mtu {configured}` here")),
            );
        }
    }
}

fn mtu_label(iface: &Interface<'_>) -> String {
    match iface.mtu() {
        Some((mtu, _)) => format!("MTU {mtu}"),
        None => "MTU 1500 (no `mtu` option: the kernel default)".to_string(),
    }
}

/// NV201.
fn bond_slaves(ctx: &Context<'_, '_>, bond: &Interface<'_>, out: &mut Vec<Diagnostic>) {
    let Some(b) = &bond.bond else { return };
    let bond_mtu = bond.effective_mtu();
    for name in &b.slaves {
        let Some(slave) = ctx.model.get(name) else {
            continue;
        };
        let Some((mtu, opt)) = slave.mtu() else {
            continue;
        };
        if mtu == bond_mtu {
            continue;
        }
        let help = if bond.mtu().is_none() {
            format!(
                "set `mtu {mtu}` on {} (the bond's MTU is what its slaves get), and drop it from the slaves",
                bond.name
            )
        } else {
            format!(
                "set the MTU once, on {}, and remove `mtu {mtu}` from {}",
                bond.name, slave.name
            )
        };
        out.push(
            Diagnostic::new(
                "NV201",
                format!(
                    "{} is configured with MTU {mtu} but its bond {} has {}",
                    slave.name,
                    bond.name,
                    mtu_label(bond)
                ),
            )
            .at(opt.location())
            .iface(&slave.name)
            .label(bond.mtu().map(|(_, o)| o.location()).or(bond.first_header()), format!("{} MTU {bond_mtu}", bond.name))
            .help(help)
            .note(format!(
                "enslaving sets every slave to the bond's MTU: the kernel logs \"{}: changing MTU from {mtu} to {bond_mtu}\"",
                slave.name
            )),
        );
    }
}

/// NV202.
fn vlan_parent(ctx: &Context<'_, '_>, vlan_iface: &Interface<'_>, out: &mut Vec<Diagnostic>) {
    let Some(vlan) = &vlan_iface.vlan else { return };
    let Some((mtu, opt)) = vlan_iface.mtu() else {
        return;
    };
    if vlan.parent.is_empty() {
        return;
    }
    let parent = ctx.model.get(&vlan.parent);
    let parent_mtu = parent.map_or(1500, Interface::effective_mtu);
    if mtu <= parent_mtu {
        return;
    }
    let described = parent.map_or_else(
        || "MTU 1500 (it has no stanza: assuming the default)".to_string(),
        mtu_label,
    );
    out.push(
        Diagnostic::new(
            "NV202",
            format!(
                "VLAN {} has MTU {mtu}, larger than its parent {}'s {described}",
                vlan_iface.name, vlan.parent
            ),
        )
        .at(opt.location())
        .iface(&vlan_iface.name)
        .label(
            parent.and_then(|p| p.mtu().map(|(_, o)| o.location()).or(p.first_header())),
            format!("{} MTU {parent_mtu}", vlan.parent),
        )
        .help(format!(
            "raise {}'s MTU to at least {mtu}, or lower the VLAN's to {parent_mtu}",
            vlan.parent
        ))
        .note("the kernel refuses a VLAN MTU above its parent's (EINVAL when the VLAN is created with it, ERANGE when it is raised later), so ifup fails"),
    );
}

/// NV203.
fn bridge_ports(ctx: &Context<'_, '_>, bridge: &Interface<'_>, out: &mut Vec<Diagnostic>) {
    let Some((mtu, opt)) = bridge.mtu() else {
        return;
    };
    for (port_name, port_loc) in &bridge.bridge_ports {
        let port = ctx.model.get(port_name);
        let port_mtu = port.map_or(1500, Interface::effective_mtu);
        if port_mtu >= mtu {
            continue;
        }
        out.push(
            Diagnostic::new(
                "NV203",
                format!(
                    "bridge {} has MTU {mtu}, larger than port {port_name}'s MTU {port_mtu}",
                    bridge.name
                ),
            )
            .at(opt.location())
            .iface(&bridge.name)
            .label(Some(*port_loc), format!("{port_name} has MTU {port_mtu}"))
            .help(format!("set `mtu {mtu}` on {port_name} too (its own stanza), or lower the bridge's MTU"))
            .note("frames the bridge accepts at its MTU cannot leave through the smaller port and are dropped"),
        );
    }
}

/// NV205.
fn ipv6_minimum(iface: &Interface<'_>, out: &mut Vec<Diagnostic>) {
    if !iface.has_inet6() {
        return;
    }
    for opt in iface.options() {
        if opt.opt.name.text != "mtu" {
            continue;
        }
        let Ok(mtu) = opt.value().trim().parse::<u32>() else {
            continue;
        };
        if !(68..1280).contains(&mtu) {
            continue;
        }
        out.push(
            Diagnostic::new(
                "NV205",
                format!("{} has IPv6 configured but MTU {mtu}, below IPv6's minimum of 1280", iface.name),
            )
            .at(opt.location())
            .iface(&iface.name)
            .help("raise the MTU to at least 1280, or do not configure IPv6 on this interface")
            .note("the kernel disables IPv6 on a device whose MTU is below 1280 (addrconf): its IPv6 addresses are removed"),
        );
    }
}
