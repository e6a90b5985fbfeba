//! NV301-NV305: VLANs. Ids out of range, parents that do not exist or are bond slaves, names
//! that contradict `vlan-raw-device`, the same VLAN twice.

use crate::diagnostic::registry as rule;
use std::collections::HashMap;

use super::{Context, Findings};
use crate::diagnostic::{Applicability, Diagnostic, Edit};
use crate::model::{Interface, Kind, Vlan};

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    let mut seen: HashMap<(String, u32), &Interface<'_>> = HashMap::new();
    for iface in &ctx.model.interfaces {
        let Some(vlan) = &iface.vlan else { continue };
        if iface.kind != Kind::Vlan {
            continue;
        }
        id_out_of_range(iface, vlan, out);
        // The parent's stanza, if it has one: NV302 and NV305 both judge it.
        let parent = ctx.model.get(&vlan.parent);
        parent_missing(parent, iface, vlan, out);
        name_contradicts(ctx, iface, out);
        duplicate(&mut seen, iface, vlan, out);
        on_bond_slave(parent, iface, vlan, out);
    }
}

/// NV301: an id outside 1..4094.
fn id_out_of_range(iface: &Interface<'_>, vlan: &Vlan, out: &mut Findings<'_>) {
    if !vlan.id_text.is_empty() {
        match vlan.id() {
            Some(id) if (1..=4094).contains(&id) => {}
            id => {
                let extra = if id == Some(0) {
                    "VLAN 0 is priority tagging, not a VLAN: the kernel accepts it but it does not separate traffic"
                } else {
                    "802.1Q ids are 12 bits; 0 and 4095 are reserved, and the kernel refuses 4095 and above"
                };
                out.push(
                    Diagnostic::new(
                        rule::NV301,
                        format!(
                            "{} has VLAN id {}, outside 1..4094",
                            iface.name, vlan.id_text
                        ),
                    )
                    .at(vlan.id_origin)
                    .iface(&iface.name)
                    .help("use a VLAN id from 1 to 4094")
                    .note(extra),
                );
            }
        }
    }
}

/// NV302: no parent, or a virtual parent nothing creates.
fn parent_missing(
    parent: Option<&Interface<'_>>,
    iface: &Interface<'_>,
    vlan: &Vlan,
    out: &mut Findings<'_>,
) {
    if vlan.parent.is_empty() {
        out.push(
            Diagnostic::new(rule::NV302, format!("VLAN {} has no parent interface", iface.name))
                .at(vlan.id_origin)
                .iface(&iface.name)
                .help(format!(
                    "add `vlan-raw-device NIC` to {}'s stanza, or name it NIC.ID (like eth0.{})",
                    iface.name, vlan.id_text
                ))
                .note("the vlan package's ifupdown hook needs a raw device for `vlanNN` names; without one no VLAN is created"),
        );
    } else if !parent.is_some_and(Interface::has_stanza) && looks_virtual(&vlan.parent) {
        out.push(
            Diagnostic::new(
                rule::NV302,
                format!("VLAN {}'s parent {} is not defined", iface.name, vlan.parent),
            )
            .at(vlan.parent_origin.unwrap_or(vlan.id_origin))
            .iface(&iface.name)
            .help(format!("add an `iface {} ...` stanza (and `auto {}`), or fix the parent's name", vlan.parent, vlan.parent))
            .note("a bond, bridge or VLAN exists only when something creates it; ifup of the VLAN fails with \"Cannot find device\""),
        );
    }
}

/// NV303: a dotted name that `vlan-raw-device` or `vlan-id` contradicts.
fn name_contradicts(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Findings<'_>) {
    if let (Some((dot_parent, dot_id)), Some(raw)) =
        (dotted(&iface.name), iface.option(&["vlan-raw-device"]))
    {
        let raw_parent = raw.value().trim();
        if dot_parent != raw_parent {
            out.push(
                Diagnostic::new(
                    rule::NV303,
                    format!(
                        "{} is named after {dot_parent} but `vlan-raw-device` says {raw_parent}",
                        iface.name
                    ),
                )
                .at(raw.value_location())
                .iface(&iface.name)
                .help(format!("make them agree: rename the stanza to {raw_parent}.{dot_id}, or set `vlan-raw-device {dot_parent}`"))
                .fix_opt(super::edit::fix(
                    format!("set `vlan-raw-device {dot_parent}`, the parent ifupdown creates the VLAN on"),
                    // Where the named parent is configured, that is where the VLAN is;
                    // a parent netvet cannot see may be missing, and then the hook's
                    // raw device was what ran.
                    if ctx.model.get(dot_parent).is_some_and(|p| p.has_stanza()) {
                        Applicability::Safe
                    } else {
                        Applicability::Unsafe
                    },
                    super::edit::in_own_stanza(iface, raw.value_location())
                        .then(|| vec![Edit::replace(raw.value_location(), dot_parent)]),
                ))
                .note(format!("ifupdown creates a dotted VLAN itself, on the parent its name says ({dot_parent}), and `vlan-raw-device` is not used; if {dot_parent} does not exist, the vlan hook creates {raw_parent}.{dot_id} instead and {} never appears", iface.name)),
            );
        }
    }
    if let (Some((_, dot_id)), Some(id_opt)) = (dotted(&iface.name), iface.option(&["vlan-id"])) {
        if dot_id.parse::<u32>().ok() != id_opt.value().trim().parse::<u32>().ok() {
            out.push(
                Diagnostic::new(
                    rule::NV303,
                    format!(
                        "{} is named for VLAN {dot_id} but `vlan-id` says {}",
                        iface.name,
                        id_opt.value().trim()
                    ),
                )
                .at(id_opt.value_location())
                .iface(&iface.name)
                .help("make the name and `vlan-id` agree"),
            );
        }
    }
}

/// NV304: the same VLAN id twice on one parent. `seen` holds the first of each.
fn duplicate<'a, 'h>(
    seen: &mut HashMap<(String, u32), &'a Interface<'h>>,
    iface: &'a Interface<'h>,
    vlan: &Vlan,
    out: &mut Findings<'_>,
) {
    if let (Some(id), false) = (vlan.id(), vlan.parent.is_empty()) {
        match seen.get(&(vlan.parent.clone(), id)) {
            Some(first) => out.push(
                Diagnostic::new(
                    rule::NV304,
                    format!(
                        "{} and {} are both VLAN {id} on {}",
                        first.name, iface.name, vlan.parent
                    ),
                )
                .at_opt(iface.first_header())
                .iface(&iface.name)
                .label(first.first_header(), format!("{} defined here", first.name))
                .help("a parent can carry each VLAN id once: remove one, or give it another id")
                .note("the second one fails to come up (\"File exists\")"),
            ),
            None => {
                seen.insert((vlan.parent.clone(), id), iface);
            }
        }
    }
}

/// NV305: a VLAN on a bond's slave.
fn on_bond_slave(
    parent: Option<&Interface<'_>>,
    iface: &Interface<'_>,
    vlan: &Vlan,
    out: &mut Findings<'_>,
) {
    if let Some(master) = parent.and_then(Interface::master) {
        out.push(
            Diagnostic::new(
                rule::NV305,
                format!("VLAN {} sits on {}, which is a slave of {}", iface.name, vlan.parent, master.bond),
            )
            .at(vlan.parent_origin.unwrap_or(vlan.id_origin))
            .iface(&iface.name)
            .label(Some(master.location), format!("{} enslaved here", vlan.parent))
            .help(format!("put the VLAN on the bond: {}.{}", master.bond, vlan.id_text))
            .note("traffic on a slave's VLAN bypasses the bond: it has no failover, and receive may be dropped by the bond"),
        );
    }
}

fn dotted(name: &str) -> Option<(&str, &str)> {
    name.rsplit_once('.')
        .filter(|(p, id)| !p.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// Names that are bonds, bridges or VLANs by convention, which must be created by a stanza.
fn looks_virtual(name: &str) -> bool {
    name.contains('.')
        || name.starts_with("bond")
        || name.starts_with("br")
        || name.starts_with("vmbr")
        || name.starts_with("team")
}
