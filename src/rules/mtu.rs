//! NV201-NV206: MTU. Slaves that the bond resets, VLANs and bridges larger than what carries
//! them, hooks that fight the `mtu` option, IPv6 below its minimum MTU, macvlan, VXLAN and GRE
//! links larger than their lower device carries.

use super::edit::{fix, own_option_at, remove_line};
use super::{Context, Findings};
use crate::diagnostic::registry as rule;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Severity};
use crate::model::mtu::{MtuEvent, MtuSource};
use crate::model::{Interface, Kind};
use crate::syntax::hooks::{HookAction, UpperKind};

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    for iface in &ctx.model.interfaces {
        match iface.kind {
            Kind::Bond => bond_slaves(ctx, iface, out),
            Kind::Vlan => vlan_parent(ctx, iface, out),
            Kind::Bridge => bridge_ports(ctx, iface, out),
            Kind::Physical | Kind::Loopback => {}
        }
        ipv6_minimum(ctx, iface, out);
        hook_mtu(ctx, iface, out);
    }
    upper_links(ctx, out);
}

/// NV206: links a hook creates over a lower device (macvlan, VXLAN, GRE, IPIP) with an MTU the
/// lower device cannot carry. The kernel refuses it for macvlan and VXLAN (the replay's
/// events); a GRE or IPIP tunnel takes it and fragments what it encapsulates (judged on the
/// MTUs every link ends with, as is a VXLAN whose lower device shrank after it was created).
fn upper_links(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    let links = &ctx.model.links;
    for event in &links.events {
        let MtuEvent::UpperRefused {
            link,
            kind,
            mtu,
            lower,
            lower_mtu,
            created,
            at,
        } = event
        else {
            continue;
        };
        let max = lower_mtu.saturating_sub(kind.headroom());
        let what = if *created {
            format!(
                "the kernel refuses to create it (\"Invalid argument\"), so {link} never exists"
            )
        } else {
            format!(
                "`ip link set dev {link} mtu {mtu}` fails (\"Invalid argument\") and ifup {link} fails"
            )
        };
        let room = if kind.headroom() > 0 {
            format!(
                ", less {} bytes of {} encapsulation",
                kind.headroom(),
                kind.name()
            )
        } else {
            String::new()
        };
        out.push(
            Diagnostic::new(
                rule::NV206,
                format!("{} {link} asks for MTU {mtu}, but {lower}'s MTU {lower_mtu} carries at most {max}: {what}", kind.name()),
            )
            .at(*at)
            .iface(link)
            .label(ctx.model.get(lower).and_then(mtu_or_header), format!("{lower} MTU {lower_mtu}"))
            .help(format!("raise {lower}'s MTU to at least {} before {link} is set up, or give {link} at most {max}", mtu + kind.headroom()))
            .note(format!("a {} link's MTU is at most its lower device's MTU{room}", kind.name())),
        );
    }
    let mut uppers: Vec<_> = links.uppers.iter().collect();
    uppers.sort_by(|a, b| a.0.cmp(b.0));
    for (link, upper) in uppers {
        let (Some(mine), Some(theirs)) = (links.mtu(link), links.mtu(&upper.lower)) else {
            continue;
        };
        let max = theirs.mtu.saturating_sub(upper.kind.headroom());
        if mine.mtu <= max || upper.kind == UpperKind::Macvlan {
            continue;
        }
        let at = match &mine.source {
            MtuSource::Own(at) | MtuSource::Hook(at) => *at,
            _ => upper.at,
        };
        out.push(
            Diagnostic::new(
                rule::NV206,
                format!("{} {link} has MTU {}, but {}'s MTU {} carries at most {max} of it: larger packets are fragmented", upper.kind.name(), mine.mtu, upper.lower, theirs.mtu),
            )
            .severity(Severity::Warning)
            .at(at)
            .iface(link.as_str())
            .label(ctx.model.get(&upper.lower).and_then(mtu_or_header), format!("{} MTU {}", upper.lower, theirs.mtu))
            .help(format!("give {link} at most {max}, or raise {}'s MTU to at least {}", upper.lower, mine.mtu + upper.kind.headroom()))
            .note(format!("{} encapsulation adds {} bytes to every packet; the kernel accepts a larger tunnel MTU and fragments the outer packets (or drops them where DF is set), which costs throughput and breaks on paths that drop fragments", upper.kind.name(), upper.kind.headroom())),
        );
    }
}

/// NV204: `ip link set ... mtu N` in an up hook, against the `mtu` option it contradicts or
/// repeats.
fn hook_mtu<'h>(ctx: &Context<'_, 'h>, iface: &Interface<'h>, out: &mut Findings<'_>) {
    for opt in iface.options() {
        let actions = crate::model::up_hook_actions(opt.stanza.file, opt.opt).unwrap_or_default();
        for (action, location) in actions {
            let HookAction::SetMtu { device, mtu, .. } = action else {
                continue;
            };
            let device = crate::syntax::hooks::device(&device, &iface.name);
            let target = if device == iface.name {
                Some(iface)
            } else {
                ctx.model.get(device)
            };
            let Some(target) = target else { continue };
            let Some((configured, mtu_opt)) = target.mtu() else {
                continue;
            };
            let Ok(hook_mtu) = mtu.parse::<u32>() else {
                continue;
            };
            // The hook line can go only when it is this one command, and the `mtu` option
            // can change only in the target's own stanza.
            let whole_line = location.span == opt.opt.value.span
                || location.span.range().len() == opt.opt.value.text.len();
            let drop_hook = (whole_line && super::edit::in_own_stanza(iface, location))
                .then(|| remove_line(out.sources(), opt.location()));
            let own_mtu = super::edit::in_own_stanza(target, mtu_opt.location())
                .then(|| mtu_opt.value_location());
            let pre_up = opt.opt.canonical_name() == "pre-up";
            let fixed = if hook_mtu == configured || pre_up {
                fix(
                    format!(
                        "delete the hook command: {}'s `mtu {configured}` is what it ends with",
                        target.name
                    ),
                    Applicability::Safe,
                    drop_hook.map(|e| vec![e]),
                )
            } else {
                fix(
                    format!(
                        "write `mtu {hook_mtu}`, the MTU {} ends with, and delete the hook command",
                        target.name
                    ),
                    Applicability::Safe,
                    drop_hook.zip(own_mtu).map(|(hook, mtu_at)| {
                        vec![hook, Edit::replace(mtu_at, hook_mtu.to_string())]
                    }),
                )
            };
            let d = if hook_mtu == configured {
                Diagnostic::new(
                    rule::NV204,
                    format!(
                        "the hook sets {}'s MTU to {hook_mtu}, which `mtu` already does",
                        target.name
                    ),
                )
                .severity(Severity::Info)
                .help("delete the hook command; the `mtu` option is enough")
            } else {
                Diagnostic::new(
                    rule::NV204,
                    format!(
                        "the hook sets {}'s MTU to {hook_mtu}, but its `mtu` option says {configured}",
                        target.name
                    ),
                )
                .help(format!("keep one: the `mtu` option (`mtu {hook_mtu}`), and delete the hook command"))
                .note(if opt.opt.canonical_name() == "pre-up" {
                    format!("`pre-up` commands run before ifupdown applies `mtu`: the link ends at {configured} and the hook has no lasting effect")
                } else {
                    format!("ifupdown applies `mtu` first and `up`/`post-up` commands after it: the link ends at {hook_mtu}, not {configured}")
                })
            };
            out.push(
                d.at(location)
                    .iface(&iface.name)
                    .label(Some(mtu_opt.location()), format!("`mtu {configured}` here"))
                    .fix_opt(fixed),
            );
        }
    }
}

/// Where an interface's MTU is decided: its `mtu` option, or its stanza.
/// `mtu N` on a parent (or a bond): its own value replaced, or an `mtu` line added to its first stanza
/// whose method reads `mtu`.
fn parent_mtu_edit(out: &Findings<'_>, parent: &Interface<'_>, mtu: u32) -> Option<Edit> {
    if let Some((_, opt)) = parent.mtu() {
        return super::edit::in_own_stanza(parent, opt.location())
            .then(|| Edit::replace(opt.value_location(), mtu.to_string()));
    }
    let i = (0..parent.stanzas.len()).find(|&i| parent.method_reads(i, "mtu") == Some(true))?;
    Some(super::edit::add_option(
        out.sources(),
        parent.stanzas[i],
        "mtu",
        &mtu.to_string(),
    ))
}

fn mtu_or_header(iface: &Interface<'_>) -> Option<crate::source::Location> {
    iface
        .mtu()
        .map(|(_, o)| o.location())
        .or(iface.first_header())
}

fn mtu_label(iface: &Interface<'_>) -> String {
    match iface.mtu() {
        Some((mtu, _)) => format!("MTU {mtu}"),
        None => "MTU 1500 (no `mtu` option: the kernel default)".to_string(),
    }
}

/// NV201: a slave whose own `mtu` differs from what its bond runs with.
fn bond_slaves(ctx: &Context<'_, '_>, bond: &Interface<'_>, out: &mut Findings<'_>) {
    let Some(b) = &bond.bond else { return };
    // A bond ifup refuses never exists (NV006): its slaves' MTUs have nothing to differ from.
    if bond.never_configured() {
        return;
    }
    let links = &ctx.model.links;
    let bond_mtu = links
        .mtu(&bond.name)
        .map_or(bond.effective_mtu(), |l| l.mtu);
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
        let ends = links.mtu(name).map(|l| l.mtu);
        let (message, note) = match ends {
            Some(end) if end == mtu => (
                format!("{} keeps its MTU {mtu} but its bond {} runs at {bond_mtu}", slave.name, bond.name),
                format!("{} applies its own `mtu` after it is enslaved, so it keeps it; but the bond's MTU decides what the bond sends and accepts: traffic through {} uses {bond_mtu}", slave.name, bond.name),
            ),
            Some(end) => (
                format!("{}'s `mtu {mtu}` is reset to {end} by its bond {}", slave.name, bond.name),
                format!("{} comes up before {} enslaves it, and enslaving sets a slave to the bond's MTU: the kernel logs \"{}: changing MTU from {mtu} to {end}\"", slave.name, bond.name, slave.name),
            ),
            None => (
                format!("{} is configured with MTU {mtu} but its bond {} has {}", slave.name, bond.name, mtu_label(bond)),
                "a bond's MTU is what it sends and receives; enslaving sets a slave to the bond's MTU".to_string(),
            ),
        };
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
        // The help's one change: the MTU once, on the bond, and none on the slave.
        let drop_slave = super::edit::in_own_stanza(slave, opt.location())
            .then(|| remove_line(out.sources(), opt.location()));
        let fixed = if bond.mtu().is_none() {
            fix(
                format!(
                    "set `mtu {mtu}` on {} and remove it from {}",
                    bond.name, slave.name
                ),
                Applicability::Unsafe,
                drop_slave
                    .zip(parent_mtu_edit(out, bond, mtu))
                    .map(|(slave, bond)| vec![bond, slave]),
            )
        } else {
            let reset = ends == Some(bond_mtu);
            fix(
                format!(
                    "remove `mtu {mtu}` from {}: {} sets it to {bond_mtu}{}",
                    slave.name,
                    bond.name,
                    if reset { ", as it already does" } else { "" }
                ),
                if reset {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                },
                drop_slave.map(|e| vec![e]),
            )
        };
        out.push(
            Diagnostic::new(rule::NV201, message)
                .at(opt.location())
                .iface(&slave.name)
                .label(mtu_or_header(bond), format!("{} MTU {bond_mtu}", bond.name))
                .help(help)
                .note(note)
                .fix_opt(fixed),
        );
    }
}

/// NV202.
fn vlan_parent(ctx: &Context<'_, '_>, vlan_iface: &Interface<'_>, out: &mut Findings<'_>) {
    for event in &ctx.model.links.events {
        match event {
            MtuEvent::VlanRefused {
                vlan,
                mtu,
                parent,
                parent_mtu,
                at,
            } if *vlan == vlan_iface.name => {
                let parent_iface = ctx.model.get(parent);
                out.push(
                    Diagnostic::new(
                        rule::NV202,
                        format!("VLAN {vlan} has MTU {mtu}, larger than its parent {parent}'s MTU {parent_mtu}: ifup {vlan} fails"),
                    )
                    .at(*at)
                    .iface(vlan)
                    .label(
                        parent_iface.and_then(mtu_or_header),
                        format!("{parent} MTU {parent_mtu}"),
                    )
                    .help(format!("raise {parent}'s MTU to at least {mtu} (`mtu {mtu}` in its stanza), or lower the VLAN's to {parent_mtu}"))
                    .note(format!("the kernel refuses a VLAN MTU above its parent's: `ip link set dev {vlan} mtu {mtu}` fails with \"Numerical result out of range\" and the VLAN stays down"))
                    .fix_opt(fix(
                        format!("lower {vlan}'s MTU to {parent_mtu}, its parent's, so that ifup {vlan} succeeds"),
                        Applicability::Unsafe,
                        own_option_at(vlan_iface, *at)
                            .map(|o| vec![Edit::replace(o.value_location(), parent_mtu.to_string())]),
                    )),
                );
            }
            MtuEvent::ParentRaised {
                parent,
                from,
                to,
                vlan,
            } if *vlan == vlan_iface.name => {
                let parent_iface = ctx.model.get(parent);
                let Some(opt) = vlan_iface.mtu().map(|(_, o)| o) else {
                    continue;
                };
                out.push(
                    Diagnostic::new(
                        rule::NV202,
                        format!("VLAN {vlan} has MTU {to}, larger than its parent {parent}'s {from}: the vlan hook raises {parent} to {to}"),
                    )
                    .severity(Severity::Warning)
                    .at(opt.location())
                    .iface(vlan)
                    .label(
                        parent_iface.and_then(mtu_or_header),
                        format!("{parent} MTU {from}"),
                    )
                    .help(format!("set `mtu {to}` on {parent} so that its stanza says what it runs with"))
                    .fix_opt(fix(
                        format!("write `mtu {to}` on {parent}, the MTU the vlan hook gives it"),
                        Applicability::Safe,
                        parent_iface.and_then(|p| parent_mtu_edit(out, p, *to)).map(|e| vec![e]),
                    ))
                    .note("the vlan package's if-pre-up.d hook raises the raw device's MTU when the VLAN's is larger (only for stanzas with `vlan-raw-device`); everything else on the parent then runs at that MTU too"),
                );
            }
            _ => {}
        }
    }
}

/// NV203: a port whose own `mtu` is smaller than the bridge's.
fn bridge_ports(ctx: &Context<'_, '_>, bridge: &Interface<'_>, out: &mut Findings<'_>) {
    let Some((mtu, opt)) = bridge.mtu() else {
        return;
    };
    for (port_name, port_loc) in &bridge.bridge_ports {
        let Some((port_mtu, port_opt)) = ctx.model.get(port_name).and_then(Interface::mtu) else {
            // bridge-utils gives a port without its own `mtu` the bridge's.
            continue;
        };
        if port_mtu >= mtu {
            continue;
        }
        let ends = ctx.model.links.mtu(port_name).map_or(port_mtu, |l| l.mtu);
        let bridge_ends = ctx.model.links.mtu(&bridge.name).map_or(mtu, |l| l.mtu);
        let note = if ends == mtu {
            format!(
                "bridge-utils sets every port to the bridge's `mtu` when it adds it: {port_name} comes up first with its own {port_mtu} and ends at {mtu}, so its own `mtu` has no effect"
            )
        } else if bridge_ends < mtu {
            format!(
                "{port_name} applies its own `mtu {port_mtu}` after bridge-utils set it to {mtu}, and a bridge whose MTU was not changed by hand follows its smallest port: {} ends at {bridge_ends}, not {mtu}",
                bridge.name
            )
        } else {
            format!(
                "{port_name} applies its own `mtu {port_mtu}` after the bridge set it to {mtu}: frames the bridge accepts at {mtu} cannot leave through it and are dropped"
            )
        };
        out.push(
            Diagnostic::new(
                rule::NV203,
                format!(
                    "bridge {} has MTU {mtu}, but its port {port_name} sets MTU {port_mtu}",
                    bridge.name
                ),
            )
            .at(port_opt.location())
            .iface(port_name)
            .label(Some(opt.location()), format!("{} MTU {mtu}", bridge.name))
            .label(
                Some(*port_loc),
                format!("{port_name} is a port of {}", bridge.name),
            )
            .help(format!(
                "give {port_name} `mtu {mtu}` (or remove its `mtu`), or lower the bridge's MTU"
            ))
            .note(note),
        );
    }
}

/// NV205.
fn ipv6_minimum(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Findings<'_>) {
    if !iface.has_inet6() {
        return;
    }
    let link = ctx.model.links.mtu(&iface.name);
    if let Some(link) = link.filter(|l| (68..1280).contains(&l.mtu)) {
        let at = match &link.source {
            MtuSource::Own(at) | MtuSource::Hook(at) => Some(*at),
            _ => None,
        };
        let Some(at) = at.or(iface.mtu().map(|(_, o)| o.location())) else {
            return;
        };
        out.push(
            Diagnostic::new(
                rule::NV205,
                format!("{} has IPv6 configured but its link MTU is {}, below IPv6's minimum of 1280", iface.name, link.mtu),
            )
            .at(at)
            .iface(&iface.name)
            .help("raise the MTU to at least 1280, or do not configure IPv6 on this interface")
            .fix_opt(fix(
                format!("raise {}'s MTU to 1280, IPv6's minimum", iface.name),
                Applicability::Unsafe,
                own_option_at(iface, at).map(|o| vec![Edit::replace(o.value_location(), "1280")]),
            ))
            .note("the kernel disables IPv6 on a device whose MTU is below 1280: adding the inet6 address fails (\"Invalid argument\") and ifup of the interface fails"),
        );
        return;
    }
    for event in &ctx.model.links.events {
        let MtuEvent::Ipv6MtuOnly {
            iface: name,
            mtu,
            at,
        } = event
        else {
            continue;
        };
        if *name != iface.name {
            continue;
        }
        out.push(
            Diagnostic::new(
                rule::NV205,
                format!("{}'s inet6 `mtu {mtu}` is below IPv6's minimum of 1280: it has no effect", iface.name),
            )
            .severity(Severity::Warning)
            .at(*at)
            .iface(&iface.name)
            .help("remove it, or use a value from 1280 up to the link MTU")
            .fix_opt(fix(
                format!("remove the inet6 `mtu {mtu}`, which has no effect"),
                Applicability::Safe,
                own_option_at(iface, *at).map(|o| vec![remove_line(out.sources(), o.location())]),
            ))
            .note("in an inet6 stanza ifupdown writes `mtu` to net.ipv6.conf.IFACE.mtu when it is not above the link MTU; the kernel refuses values below 1280 and ifupdown ignores the failure"),
        );
    }
}
