//! NV101-NV131: bonding. Link monitoring, 802.3ad parameters, options the mode ignores, slaves
//! claimed twice or in the wrong place, and module parameters that disagree with interfaces.

use super::Context;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::model::{Bond, BondMode, Interface, Kind, MembershipVia, Origin};

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Vec<Diagnostic>) {
    for iface in &ctx.model.interfaces {
        // A bond only named by others (`bond-master bond7` with no `iface bond7`) is NV123's
        // business: nothing creates it, so its options mean nothing.
        if let Some(bond) = iface.bond.as_ref().filter(|_| iface.has_stanza()) {
            let Some(mode) = bond.mode() else {
                // An invalid mode is NV004; the mode-dependent rules cannot say anything useful.
                continue;
            };
            link_monitoring(iface, bond, mode, out);
            delays(iface, bond, out);
            lacp(iface, bond, mode, out);
            min_links(iface, bond, out);
            ignored_options(iface, bond, mode, out);
            module_conflicts(ctx, iface, bond, out);
        }
        slave_checks(ctx, iface, out);
    }
    module_without_options(ctx, out);
}

fn at_origin(d: Diagnostic, origin: Option<Origin>, iface: &Interface<'_>) -> Diagnostic {
    let d = d.iface(&iface.name);
    match origin {
        Some(Origin::Interfaces(loc)) => d.at(loc),
        Some(Origin::Modprobe(loc)) => d
            .at_opt(iface.first_header())
            .label(Some(loc), "set for every bond by the module parameter here"),
        Some(Origin::KernelDefault) | None => d.at_opt(iface.first_header()),
    }
}

/// NV101, NV102, NV103, NV105.
fn link_monitoring(iface: &Interface<'_>, bond: &Bond, mode: BondMode, out: &mut Vec<Diagnostic>) {
    let miimon = bond.number("miimon");
    let arp = bond.number("arp_interval");
    let arp_on = arp.is_some_and(|(v, _)| v > 0);
    let mii_on = miimon.is_some_and(|(v, _)| v > 0);

    if arp_on && bond.arp_targets().is_empty() {
        let (value, opt) = arp.expect("arp_on implies a value");
        out.push(
            at_origin(
                Diagnostic::new(
                    "NV102",
                    format!("{} has arp_interval {value} but no arp_ip_target", iface.name),
                ),
                Some(opt.origin),
                iface,
            )
            .help("add `bond-arp-ip-target ADDRESS` with an always-reachable IPv4 address (the gateway), or use `bond-miimon 100` instead")
            .note("with no target the ARP monitor has nothing to probe: every slave is declared down"),
        );
    }

    if arp_on
        && matches!(
            mode,
            BondMode::Ieee8023ad | BondMode::BalanceTlb | BondMode::BalanceAlb
        )
    {
        let (_, opt) = arp.expect("arp_on implies a value");
        out.push(
            at_origin(
                Diagnostic::new(
                    "NV105",
                    format!("{} uses ARP monitoring, which {} mode does not support", iface.name, mode.name()),
                ),
                Some(opt.origin),
                iface,
            )
            .help("use `bond-miimon 100` for link monitoring in this mode, and remove `bond-arp-interval`")
            .note(format!("over netlink the kernel refuses it (\"option arp_interval: mode dependency failed, not supported in mode {}\"); through ifenslave, which writes the mode last, switching to this mode turns ARP monitoring off and MII monitoring on at 100 ms", mode.name())),
        );
    }

    if mii_on && arp_on {
        let (mv, mopt) = miimon.expect("mii_on implies a value");
        let (av, aopt) = arp.expect("arp_on implies a value");
        out.push(
            at_origin(
                Diagnostic::new(
                    "NV103",
                    format!("{} sets both miimon {mv} and arp_interval {av}", iface.name),
                ),
                Some(aopt.origin),
                iface,
            )
            .label(mopt.origin.location(), "miimon set here")
            .help("choose one: MII monitoring (`bond-miimon`) or ARP monitoring (`bond-arp-interval` with `bond-arp-ip-target`)")
            .note("over netlink the kernel refuses the pair (\"ARP monitoring cannot be used with MII monitoring\"); through sysfs each write turns the other off, and ifenslave writes miimon after arp_interval: MII monitoring runs and arp_interval becomes 0"),
        );
    }

    if mii_on || arp_on {
        return;
    }
    let explicit_zero = miimon.is_some();
    if mode.forces_miimon() && explicit_zero {
        let (_, opt) = miimon.expect("explicit_zero implies a value");
        out.push(
            at_origin(
                Diagnostic::new(
                    "NV101",
                    format!("{} asks for miimon 0 (no link monitoring) in {} mode", iface.name, mode.name()),
                ),
                Some(opt.origin),
                iface,
            )
            .severity(Severity::Warning)
            .help("set `bond-miimon 100`: the value this bond really runs with under ifenslave")
            .note("what the host gets depends on the tool: created over netlink (ip link, systemd-networkd) the bond keeps miimon 0 and monitors nothing; ifenslave writes miimon before the mode, and switching to this mode turns miimon 100 on"),
        );
        return;
    }
    if mode.forces_miimon() {
        out.push(
            at_origin(
                Diagnostic::new(
                    "NV101",
                    format!(
                        "{} sets no miimon: the kernel falls back to miimon 100 in {} mode",
                        iface.name,
                        mode.name()
                    ),
                ),
                None,
                iface,
            )
            .severity(Severity::Info)
            .help("say what you mean: add `bond-miimon 100`")
            .note("the fallback is kernel behaviour (bond_check_params), not configuration: a later driver or a tool that creates the bond differently may not apply it"),
        );
        return;
    }
    let why = match miimon {
        Some((_, opt)) => format!(
            "miimon is 0 ({})",
            match opt.origin {
                Origin::Interfaces(_) => "set in interfaces",
                Origin::Modprobe(_) => "from the bonding module parameters",
                Origin::KernelDefault => "the kernel default",
            }
        ),
        None => "neither miimon nor arp_interval is set".to_string(),
    };
    let origin = miimon.map(|(_, o)| o.origin);
    out.push(
        at_origin(
            Diagnostic::new(
                "NV101",
                format!("{} has no link monitoring: {why}", iface.name),
            ),
            origin,
            iface,
        )
        .help("add `bond-miimon 100` to the bond's stanza (or `options bonding miimon=100` in /etc/modprobe.d/bonding.conf)")
        .note(format!(
            "in {} mode with no monitoring the bond never notices a dead link and keeps sending on it; the kernel warns: \"either miimon or arp_interval and arp_ip_target module parameters must be specified, otherwise bonding will not detect link failures!\"",
            mode.name()
        )),
    );
}

/// NV104.
fn delays(iface: &Interface<'_>, bond: &Bond, out: &mut Vec<Diagnostic>) {
    let (miimon, _) = bond.effective_miimon();
    if miimon == 0 {
        // With MII monitoring off the kernel refuses the delays outright (EPERM, observed in
        // the VM), and ifenslave's write fails.
        for key in ["updelay", "downdelay"] {
            let Some((value, opt)) = bond.number(key).filter(|(v, _)| *v > 0) else {
                continue;
            };
            out.push(
                at_origin(
                    Diagnostic::new(
                        "NV104",
                        format!(
                            "{} sets {key} {value} but miimon is 0: the kernel refuses it",
                            iface.name
                        ),
                    ),
                    Some(opt.origin),
                    iface,
                )
                .help(format!(
                    "{key} only applies to MII monitoring: set `bond-miimon 100`, or remove `{key}`"
                )),
            );
        }
        return;
    }
    for key in ["updelay", "downdelay"] {
        let Some((value, opt)) = bond.number(key) else {
            continue;
        };
        if value % miimon == 0 {
            continue;
        }
        let rounded = value / miimon * miimon;
        let mut d = at_origin(
            Diagnostic::new(
                "NV104",
                format!(
                    "{} {key} {value} is not a multiple of miimon {miimon}: the kernel uses {rounded}",
                    iface.name
                ),
            ),
            Some(opt.origin),
            iface,
        )
        .help(format!("write `{rounded}` (or {}) so that the configuration says what the kernel does", rounded + miimon))
        .note(format!("the kernel rounds it down and logs \"{key} ({value}) is not a multiple of miimon ({miimon}), value rounded to {rounded} ms\""));
        if let Origin::Interfaces(loc) = opt.origin {
            d = d.fix(Fix {
                title: format!("set {key} to {rounded}, the value the kernel applies"),
                applicability: Applicability::Safe,
                edits: vec![Edit::replace(loc, rounded.to_string())],
            });
        }
        out.push(d);
    }
}

/// NV110, NV111.
fn lacp(iface: &Interface<'_>, bond: &Bond, mode: BondMode, out: &mut Vec<Diagnostic>) {
    if mode != BondMode::Ieee8023ad {
        return;
    }
    let rate = bond.effective("lacp_rate");
    if rate
        .as_ref()
        .is_some_and(|r| r.origin == Origin::KernelDefault)
    {
        out.push(
            at_origin(
                Diagnostic::new(
                    "NV110",
                    format!("802.3ad bond {} does not set lacp_rate: slow LACP takes 90 s to notice a dead partner", iface.name),
                ),
                None,
                iface,
            )
            .help("add `bond-lacp-rate fast` (LACPDUs every second, 3 s timeout), or `bond-lacp-rate slow` to make the choice explicit")
            .note("the default is slow: the partner sends LACPDUs every 30 s and is declared gone after 3 missed ones"),
        );
    }
    if let Some(opt) = bond.get("xmit_hash_policy") {
        let policy = opt.value.trim();
        if policy == "layer3+4" || policy == "encap3+4" || policy == "1" || policy == "4" {
            out.push(
                at_origin(
                    Diagnostic::new(
                        "NV111",
                        format!("{} hashes 802.3ad traffic with {policy}, which is not fully 802.3ad compliant", iface.name),
                    ),
                    Some(opt.origin),
                    iface,
                )
                .help("use layer2+3 for strict compliance; keep layer3+4 if spreading flows matters more and fragments are rare")
                .note("bonding.rst: fragmented TCP or UDP packets carry no ports, so one flow's fragments may leave on different links and arrive out of order"),
            );
        }
    }
}

/// NV112.
fn min_links(iface: &Interface<'_>, bond: &Bond, out: &mut Vec<Diagnostic>) {
    let Some((min, opt)) = bond.number("min_links") else {
        return;
    };
    let n = bond.slaves.len() as u64;
    if min > n {
        out.push(
            at_origin(
                Diagnostic::new(
                    "NV112",
                    format!("{} needs min_links {min} active slaves but has only {n}", iface.name),
                ),
                Some(opt.origin),
                iface,
            )
            .help(format!("lower `bond-min-links` to at most {n}, or add slaves"))
            .note("the bond keeps its carrier off until min_links slaves are up, so it can never carry traffic"),
        );
    }
}

/// Which modes use an option; `None` means every mode.
fn modes_using(key: &str) -> Option<&'static [BondMode]> {
    use BondMode::*;
    match key {
        "lacp_rate" | "ad_select" | "ad_actor_sys_prio" | "ad_actor_system"
        | "ad_user_port_key" | "lacp_active" => Some(&[Ieee8023ad]),
        "primary" | "primary_reselect" => Some(&[ActiveBackup, BalanceTlb, BalanceAlb]),
        "xmit_hash_policy" => Some(&[BalanceXor, Ieee8023ad, BalanceTlb, BalanceAlb]),
        "arp_validate" | "arp_all_targets" => {
            Some(&[BalanceRr, ActiveBackup, BalanceXor, Broadcast])
        }
        "fail_over_mac" => Some(&[ActiveBackup]),
        "packets_per_slave" => Some(&[BalanceRr]),
        "tlb_dynamic_lb" => Some(&[BalanceTlb]),
        "lp_interval" => Some(&[BalanceTlb, BalanceAlb]),
        _ => None,
    }
}

/// NV113. Only options written in interfaces: a module parameter applies to every bond and
/// is not this bond's mistake.
fn ignored_options(iface: &Interface<'_>, bond: &Bond, mode: BondMode, out: &mut Vec<Diagnostic>) {
    for (key, opt) in &bond.options {
        let Origin::Interfaces(loc) = opt.origin else {
            continue;
        };
        let Some(modes) = modes_using(key) else {
            continue;
        };
        if modes.contains(&mode) {
            continue;
        }
        let names: Vec<&str> = modes.iter().map(|m| m.name()).collect();
        out.push(
            Diagnostic::new(
                "NV113",
                format!("{key} has no effect on {} in {} mode", iface.name, mode.name()),
            )
            .at(loc)
            .iface(&iface.name)
            .help(format!("{key} applies to {} only: remove it, or fix the mode", names.join(", ")))
            .note("where the kernel refuses the option in this mode, ifenslave's write fails with \"mode dependency failed\" and the rest of the bond is set up anyway"),
        );
    }
}

/// NV130: a module parameter and a bond's own option disagree.
fn module_conflicts(
    ctx: &Context<'_, '_>,
    iface: &Interface<'_>,
    bond: &Bond,
    out: &mut Vec<Diagnostic>,
) {
    for (key, opt) in &bond.options {
        let Origin::Interfaces(loc) = opt.origin else {
            continue;
        };
        let Some(param) = ctx.model.module_param(key) else {
            continue;
        };
        if same_value(key, &opt.value, &param.value) {
            continue;
        }
        out.push(
            Diagnostic::new(
                "NV130",
                format!(
                    "{} sets {key} {} but the bonding module is loaded with {key}={}",
                    iface.name, opt.value, param.value
                ),
            )
            .at(loc)
            .iface(&iface.name)
            .label(Some(param.location), "module parameter set here")
            .help(format!("make the two agree, or drop `{key}` from `options bonding` so that each bond's stanza decides"))
            .note("ifenslave applies the stanza's value after the module loads, but any bond created before that (bond0 at module load, or in the initramfs) runs with the module's value"),
        );
    }
}

fn same_value(key: &str, a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return true;
    }
    match key {
        "mode" => BondMode::parse(a) == BondMode::parse(b) && BondMode::parse(a).is_some(),
        "lacp_rate" => {
            let norm = |v: &str| {
                match v {
                    "0" => "slow",
                    "1" => "fast",
                    other => other,
                }
                .to_string()
            };
            norm(a) == norm(b)
        }
        _ => false,
    }
}

/// NV131.
fn module_without_options(ctx: &Context<'_, '_>, out: &mut Vec<Diagnostic>) {
    let monitored = ctx
        .model
        .bonding_module
        .iter()
        .any(|p| (p.name == "miimon" || p.name == "arp_interval") && p.value.trim() != "0");
    if monitored {
        return;
    }
    let bonds: Vec<&Interface<'_>> = ctx
        .model
        .interfaces
        .iter()
        .filter(|i| i.kind == Kind::Bond && i.has_stanza())
        .filter(|i| {
            i.bond.as_ref().is_some_and(|b| {
                b.options
                    .values()
                    .any(|o| matches!(o.origin, Origin::Interfaces(_)))
            })
        })
        .collect();
    let Some(first) = bonds.first() else {
        return;
    };
    let names: Vec<&str> = bonds.iter().map(|b| b.name.as_str()).collect();
    out.push(
        Diagnostic::new(
            "NV131",
            format!(
                "bond options are set only in interfaces ({}); the bonding module itself loads without miimon",
                names.join(", ")
            ),
        )
        .at_opt(first.first_header())
        .iface(&first.name)
        .help("if the module can load before ifenslave runs (initramfs, another tool), add `options bonding max_bonds=0 miimon=100` to /etc/modprobe.d/bonding.conf")
        .note("on a stock Debian host ifenslave writes the bond-* options through sysfs right after the module loads, so this is only informational"),
    );
}

/// NV120-NV123: slaves.
fn slave_checks(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Vec<Diagnostic>) {
    if iface.memberships.is_empty() {
        return;
    }
    let bonds: Vec<&str> = {
        let mut b: Vec<&str> = iface.memberships.iter().map(|m| m.bond.as_str()).collect();
        b.dedup();
        b
    };
    if bonds.len() > 1 {
        let m = &iface.memberships;
        out.push(
            Diagnostic::new(
                "NV120",
                format!(
                    "{} is enslaved to both {} and {}",
                    iface.name, m[0].bond, m[1].bond
                ),
            )
            .at(m[1].location)
            .iface(&iface.name)
            .label(
                Some(m[0].location),
                format!("enslaved to {} here", m[0].bond),
            )
            .help("an interface can belong to one bond only: remove it from one of them")
            .note(
                "whichever bond comes up second fails to enslave it (\"Device or resource busy\")",
            ),
        );
        // NV123: the slave's own bond-master disagrees with a bond's list.
        if let (Some(list), Some(own)) = (
            m.iter().find(|x| x.via == MembershipVia::BondSlaves),
            m.iter().find(|x| x.via == MembershipVia::BondMaster),
        ) {
            out.push(
                Diagnostic::new(
                    "NV123",
                    format!(
                        "{} says `bond-master {}` but {} lists it in bond-slaves",
                        iface.name, own.bond, list.bond
                    ),
                )
                .at(own.location)
                .iface(&iface.name)
                .label(Some(list.location), format!("listed by {} here", list.bond))
                .help(format!(
                    "make `bond-master` name {} or remove the interface from {}'s list",
                    list.bond, list.bond
                )),
            );
        }
    }
    for m in &iface.memberships {
        let bond = ctx.model.get(&m.bond);
        if m.via == MembershipVia::BondMaster && !bond.is_some_and(Interface::has_stanza) {
            out.push(
                Diagnostic::new(
                    "NV123",
                    format!(
                        "{} names `bond-master {}`, which has no stanza",
                        iface.name, m.bond
                    ),
                )
                .at(m.location)
                .iface(&iface.name)
                .help(format!(
                    "add `iface {} inet manual` with its bond-* options, or fix the name",
                    m.bond
                )),
            );
        }
    }

    let master = &iface.memberships[0];
    // NV121: addresses on a slave.
    for s in &iface.stanzas {
        let method = s.stanza.method_str().unwrap_or("");
        let has_address = s.stanza.options.iter().any(|o| o.name.text == "address");
        if matches!(method, "static" | "dhcp" | "auto" | "bootp" | "ipv4ll")
            && (method != "static" || has_address)
        {
            out.push(
                Diagnostic::new(
                    "NV121",
                    format!(
                        "bond slave {} has its own `{}` configuration",
                        iface.name, method
                    ),
                )
                .at(s.header())
                .iface(&iface.name)
                .label(
                    Some(master.location),
                    format!("enslaved to {} here", master.bond),
                )
                .help(format!(
                    "use `iface {} {} manual` and put the address on {}",
                    iface.name,
                    s.stanza.family_str().unwrap_or("inet"),
                    master.bond
                ))
                .note("an enslaved interface's addresses are not used for traffic; the bond's are"),
            );
        }
    }
    // NV122: virtual slaves.
    let other_role = match iface.kind {
        Kind::Bond => Some("a bond".to_string()),
        Kind::Vlan => Some("a VLAN".to_string()),
        Kind::Bridge => Some("a bridge".to_string()),
        Kind::Loopback => Some("the loopback".to_string()),
        Kind::Physical => iface
            .bridges
            .first()
            .map(|(bridge, _)| format!("a port of bridge {bridge}")),
    };
    if let Some(role) = other_role {
        out.push(
            Diagnostic::new(
                "NV122",
                format!("{} enslaves {}, which is {role}", master.bond, iface.name),
            )
            .at(master.location)
            .iface(&iface.name)
            .label(iface.first_header(), "defined here")
            .help("bond slaves must be physical NICs (or veth/dummy devices): enslave the underlying NIC instead"),
        );
    }
}
