//! NV6xx: the site's policy from `netvet.toml` (`[policy]`): required MTUs on named links,
//! the bond modes allowed, the LACP rate required. Each rule is silent unless its policy is
//! set, and each judges what the replay says the host runs with after `ifup -a`, not what the
//! files spell: a slave's MTU is the bond's, a bond without `bond-mode` runs balance-rr, a
//! module `lacp_rate` the driver ignores is not the rate.

use super::{Context, Findings};
use crate::bonding::BondMode;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::registry as rule;
use crate::model::Interface;
use crate::model::bond::{Bond, Event, Origin};
use crate::model::mtu::MtuSource;
use crate::source::Location;

/// What the site requires. Empty (the default) means no policy: the NV6xx rules stay silent.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Required MTUs by link name or glob (`bond0`, `bond0.*`), in the file's order. A link
    /// named outright takes that entry; otherwise the first glob that matches it.
    pub mtu: Vec<(glob::Pattern, u32)>,
    /// The bond modes allowed; empty allows every mode.
    pub bond_modes: Vec<BondMode>,
    /// The `lacp_rate` every 802.3ad bond must run with (`slow` or `fast`).
    pub lacp_rate: Option<&'static str>,
}

impl Policy {
    /// The MTU required of `link` and the key that requires it.
    pub fn mtu_for(&self, link: &str) -> Option<(&str, u32)> {
        self.mtu
            .iter()
            .find(|(p, _)| p.as_str() == link)
            .or_else(|| self.mtu.iter().find(|(p, _)| p.matches(link)))
            .map(|(p, mtu)| (p.as_str(), *mtu))
    }
}

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    if !ctx.policy.mtu.is_empty() {
        mtu(ctx, out);
    }
    if ctx.policy.bond_modes.is_empty() && ctx.policy.lacp_rate.is_none() {
        return;
    }
    for iface in &ctx.model.interfaces {
        let Some(bond) = &iface.bond else { continue };
        bond_mode(ctx, iface, bond, out);
        lacp_rate(ctx, iface, bond, out);
    }
}

/// Where the bond's `key` was set (the module parameter or the stanza's option), or its
/// first stanza.
fn set_at(iface: &Interface<'_>, bond: &Bond, key: &str) -> Option<Location> {
    bond.kernel
        .get(key)
        .and_then(|v| v.set_by.origin())
        .and_then(Origin::location)
        .or_else(|| iface.first_header())
}

/// NV602: a bond in a mode the site does not allow.
fn bond_mode(ctx: &Context<'_, '_>, iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let mode = bond.kernel.mode();
    let at = |key: &str| set_at(iface, bond, key);
    if !ctx.policy.bond_modes.is_empty() && !ctx.policy.bond_modes.contains(&mode) {
        let allowed: Vec<&str> = ctx.policy.bond_modes.iter().map(|m| m.name()).collect();
        let d = Diagnostic::new(
            rule::NV602,
            format!(
                "bond {} runs in mode {}, which the site policy does not allow",
                iface.name,
                mode.name()
            ),
        )
        .iface(&iface.name)
        .at_opt(at("mode"))
        .help(format!(
            "use one of the allowed modes ({}), or add {} to `bond-modes` in netvet.toml's [policy]",
            allowed.join(", "),
            mode.name()
        ));
        out.push(if bond.get("mode").is_none() {
            d.note("nothing sets the mode: the kernel's default is balance-rr")
        } else {
            d
        });
    }
}

/// NV603: an 802.3ad bond at another LACP rate than the site requires.
fn lacp_rate(ctx: &Context<'_, '_>, iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let mode = bond.kernel.mode();
    let at = |key: &str| set_at(iface, bond, key);
    if let Some(required) = ctx.policy.lacp_rate
        && mode == BondMode::Ieee8023ad
    {
        let rate = bond
            .kernel
            .get("lacp_rate")
            .map_or("slow", |v| v.value.as_str());
        if rate != required {
            let d = Diagnostic::new(
                rule::NV603,
                format!(
                    "802.3ad bond {} runs with lacp_rate {rate}; the site policy requires {required}",
                    iface.name
                ),
            )
            .iface(&iface.name)
            .at_opt(at("lacp_rate"))
            .help(format!(
                "set `bond-lacp-rate {required}` in {}'s stanza, and the switch side to match",
                iface.name
            ));
            let ignored = bond.kernel.events_for("lacp_rate").find_map(|e| match e {
                Event::ModuleParamIgnored { at, .. } => Some(*at),
                _ => None,
            });
            out.push(if ignored.is_some() {
                d.label(
                    ignored,
                    "ignored by the driver: the module does not load in 802.3ad mode",
                )
            } else if bond.get("lacp_rate").is_none() {
                d.note("nothing sets lacp_rate: the kernel's default is slow")
            } else {
                d
            });
        }
    }
}

/// NV601: each link `ifup -a` configures, at the MTU the replay ends it with.
fn mtu(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    let mut links: Vec<_> = ctx.model.links.mtus.iter().collect();
    links.sort_by(|a, b| a.0.cmp(b.0));
    for (name, link) in links {
        let Some((key, required)) = ctx.policy.mtu_for(name) else {
            continue;
        };
        if link.mtu == required {
            continue;
        }
        let header = ctx.model.get(name).and_then(|i| i.first_header());
        let (at, why) = match &link.source {
            MtuSource::Own(at) => (Some(*at), "its own `mtu` sets it".to_string()),
            MtuSource::Hook(at) => (
                Some(*at),
                "an `ip link set ... mtu` hook sets it".to_string(),
            ),
            MtuSource::Bond(bond) => (header, format!("it takes the MTU of its bond {bond}")),
            MtuSource::Bridge(bridge) => (
                header,
                format!("the bridge {bridge} sets its ports to its MTU"),
            ),
            MtuSource::RaisedFor(vlan) => (header, format!("the vlan hook raises it for {vlan}")),
            MtuSource::Parent(parent) => (
                header,
                format!("it is created with the MTU of its parent {parent}"),
            ),
            MtuSource::Lower(lower) => (
                header,
                format!("it is created over {lower}, at what that device carries"),
            ),
            MtuSource::Default => (
                header,
                "nothing sets it, so it keeps the kernel's default".to_string(),
            ),
        };
        out.push(
            Diagnostic::new(
                rule::NV601,
                format!(
                    "{name} runs with MTU {}; the site policy requires {required} (policy.mtu `{key}`)",
                    link.mtu
                ),
            )
            .iface(name)
            .at_opt(at)
            .note(format!("after `ifup -a` {name} has MTU {}: {why}", link.mtu))
            .help(format!(
                "set `mtu {required}` where {name}'s MTU comes from, or change the policy in netvet.toml"
            )),
        );
    }
}
