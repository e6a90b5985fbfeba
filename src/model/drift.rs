//! Expected state and drift: the state each link should have once `ifup -a` has run this
//! configuration ([`expected`]), and how a running kernel differs from it ([`diff`]), as typed
//! values.
//!
//! The NV5xx rules render drifts as findings; `repair` will turn the same drifts into netlink
//! actions, with `crate::bonding` saying when the kernel takes each change. Nothing here does
//! I/O: the live state comes in as data (read from the kernel, or from a snapshot).

use super::bringup::{Event, SetBy};
use super::mtu::{LinkMtu, MtuSource};
use super::{Interface, Kind, Model, Name, Origin};
use crate::live::LiveState;
use crate::source::Location;

/// One bond option as the configuration makes the kernel run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedOption {
    pub key: &'static str,
    /// As sysfs shows it.
    pub value: String,
    /// Who set it: the bond's or a slave's stanza, the module parameter; `None` for the
    /// kernel's default.
    pub origin: Option<Origin>,
    /// What the driver did to the configured value on the way (rounded, refused, chose it).
    pub why: Option<String>,
}

/// What one link should look like.
#[derive(Debug)]
pub struct ExpectedLink<'m, 'h> {
    pub iface: &'m Interface<'h>,
    pub kind: Kind,
    /// The MTU the replay of `ifup -a` gives it, where the configuration decides one.
    pub mtu: Option<&'m LinkMtu>,
    /// The bond it ends enslaved to, and the line that says so.
    pub master: Option<(&'m Name, Location)>,
    /// For a bond: the options the configuration decides, and its slaves.
    pub bond: Option<ExpectedBond<'m>>,
    /// For a VLAN: its id (as written) and parent, and where they are said.
    pub vlan: Option<ExpectedVlan<'m>>,
    /// For a bridge: its ports.
    pub bridge_ports: Vec<&'m Name>,
    /// The `auto` line that makes booting bring it up.
    pub auto: Option<Location>,
}

#[derive(Debug)]
pub struct ExpectedBond<'m> {
    pub options: Vec<ExpectedOption>,
    /// Every interface the configuration names as a slave (from either side).
    pub slaves: &'m [Name],
}

#[derive(Debug)]
pub struct ExpectedVlan<'m> {
    pub id: Option<u32>,
    pub id_text: &'m str,
    pub parent: &'m str,
    pub at: Location,
}

/// The expected state of every interface the configuration defines or names.
pub fn expected<'m, 'h>(model: &'m Model<'h>) -> Vec<ExpectedLink<'m, 'h>> {
    let mut auto: std::collections::HashMap<&str, Location> = Default::default();
    for entry in model.allows.iter().filter(|a| a.class == "auto") {
        auto.entry(entry.name).or_insert(entry.location);
    }
    model
        .interfaces
        .iter()
        .map(|iface| {
            let master = model
                .links
                .enslaved
                .get(iface.name.as_str())
                .and_then(|bond| iface.memberships.iter().find(|m| m.bond == *bond))
                .map(|m| (&m.bond, m.location));
            let bond = iface.bond.as_deref().map(|b| ExpectedBond {
                options: bond_options(b),
                slaves: &b.slaves,
            });
            let vlan = iface
                .vlan
                .as_deref()
                .filter(|_| iface.kind == Kind::Vlan)
                .map(|v| ExpectedVlan {
                    id: v.id(),
                    id_text: &v.id_text,
                    parent: &v.parent,
                    at: v.parent_origin.unwrap_or(v.id_origin),
                });
            ExpectedLink {
                iface,
                kind: iface.kind,
                mtu: model.links.mtu(&iface.name),
                master,
                bond,
                vlan,
                bridge_ports: iface.bridge_ports.iter().map(|(p, _)| p).collect(),
                auto: auto
                    .get(iface.name.as_str())
                    .copied()
                    .filter(|_| iface.has_stanza()),
            }
        })
        .collect()
}

/// The options a running bond is compared on: those the live state carries and the bond's mode
/// uses, `primary` only where a stanza's `bond-primary` was written.
fn bond_options(bond: &super::Bond) -> Vec<ExpectedOption> {
    let mode = bond.kernel.mode();
    crate::bonding::OPTIONS
        .iter()
        .filter(|o| o.live.is_some() && o.used_in(mode))
        .filter_map(|o| {
            let key = o.key;
            let value = bond.kernel.get(key)?;
            if key == "primary" && !matches!(value.set_by, SetBy::Interfaces(_)) {
                return None;
            }
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
            Some(ExpectedOption {
                key,
                value: value.value.to_string(),
                origin,
                why,
            })
        })
        .collect()
}

/// Where a slave the configuration puts in a bond is instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlaveState {
    /// The link does not exist.
    Missing,
    /// It exists and has no master.
    Free,
    /// It is enslaved to another bond or bridge.
    Elsewhere(String),
}

/// How a live link differs from what the configuration gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift<'m> {
    /// A bond runs an option with another value (NV502).
    BondOption {
        bond: &'m Name,
        option: ExpectedOption,
        have: String,
    },
    /// A slave the configuration puts in a running bond is not in it (NV503).
    SlaveNotEnslaved {
        slave: &'m Name,
        bond: &'m Name,
        state: SlaveState,
        at: Location,
    },
    /// A running bond has a slave no configuration names (NV503).
    SlaveUnconfigured { slave: String, bond: &'m Name },
    /// A link runs with another MTU (NV504).
    Mtu {
        link: &'m Name,
        want: &'m LinkMtu,
        have: u32,
    },
    /// A configured VLAN is some other kind of link (NV508). `at` says its parent (or id).
    NotAVlan {
        link: &'m Name,
        kind: String,
        at: Location,
    },
    /// A VLAN has another id or parent (NV508). `at` says its parent (or id).
    Vlan {
        link: &'m Name,
        want_id: &'m str,
        want_parent: &'m str,
        have_id: u16,
        have_parent: Option<String>,
        at: Location,
    },
    /// An `auto` interface does not exist, or is administratively down (NV507).
    AutoLink {
        link: &'m Name,
        exists: bool,
        at: Location,
    },
}

/// How `live` differs from `expected`, link by link in configuration order.
pub fn diff<'m>(
    model: &'m Model<'_>,
    expected: &[ExpectedLink<'m, '_>],
    live: &LiveState,
) -> Vec<Drift<'m>> {
    let mut drifts = Vec::new();
    for want in expected {
        let name = &want.iface.name;
        let link = live.link(name);
        if let (Some(bond), Some(live_bond)) = (&want.bond, link.and_then(|l| l.bond.as_ref())) {
            for option in &bond.options {
                let read = crate::bonding::option(option.key).and_then(|o| o.live);
                let Some(have) = read.and_then(|read| read(live_bond)) else {
                    continue;
                };
                if have != option.value {
                    drifts.push(Drift::BondOption {
                        bond: name,
                        option: option.clone(),
                        have,
                    });
                }
            }
        }
        // A slave booting enslaves (the first bond to claim it wins) that the kernel has not
        // enslaved to that bond, when that bond runs.
        if let Some((bond, at)) = want.master {
            let bond_live = live.link(bond).is_some_and(|l| l.bond.is_some());
            let actual = link.and_then(|l| l.master.clone());
            if bond_live && actual.as_deref() != Some(bond.as_str()) {
                let state = match (link, actual) {
                    (None, _) => SlaveState::Missing,
                    (Some(_), None) => SlaveState::Free,
                    (Some(_), Some(other)) => SlaveState::Elsewhere(other),
                };
                drifts.push(Drift::SlaveNotEnslaved {
                    slave: name,
                    bond,
                    state,
                    at,
                });
            }
        }
        if let Some(bond) = want.bond.as_ref().filter(|_| want.iface.has_stanza()) {
            for slave in live
                .links
                .iter()
                .filter(|l| l.master.as_deref() == Some(name.as_str()))
            {
                let named = bond.slaves.iter().any(|s| *s == slave.name)
                    || model
                        .get(&slave.name)
                        .is_some_and(|i| !i.memberships.is_empty());
                if !named {
                    drifts.push(Drift::SlaveUnconfigured {
                        slave: slave.name.clone(),
                        bond: name,
                    });
                }
            }
        }
        if let (Some(link), Some(mtu)) = (link, want.mtu) {
            // A link nothing sets keeps whatever MTU it has; a slave that is not in its bond
            // is a slave drift, and its MTU follows from that.
            let off_bond = matches!(&mtu.source, MtuSource::Bond(bond) if link.master.as_deref() != Some(bond.as_str()));
            if mtu.source != MtuSource::Default && !off_bond {
                if let Some(have) = link.mtu.filter(|have| *have != mtu.mtu) {
                    drifts.push(Drift::Mtu {
                        link: name,
                        want: mtu,
                        have,
                    });
                }
            }
        }
        if let (Some(vlan), Some(link)) = (&want.vlan, link) {
            match &link.vlan {
                None => drifts.push(Drift::NotAVlan {
                    link: name,
                    kind: link.kind.clone(),
                    at: vlan.at,
                }),
                Some(live_vlan) => {
                    let id_differs = vlan.id.is_some_and(|id| id != u32::from(live_vlan.id));
                    let parent_differs =
                        !vlan.parent.is_empty() && live_vlan.parent.as_deref() != Some(vlan.parent);
                    if id_differs || parent_differs {
                        drifts.push(Drift::Vlan {
                            link: name,
                            want_id: vlan.id_text,
                            want_parent: vlan.parent,
                            have_id: live_vlan.id,
                            have_parent: live_vlan.parent.clone(),
                            at: vlan.at,
                        });
                    }
                }
            }
        }
        if let Some(at) = want.auto {
            let up = link.map(|l| l.admin_up);
            if up != Some(true) {
                drifts.push(Drift::AutoLink {
                    link: name,
                    exists: up.is_some(),
                    at,
                });
            }
        }
    }
    drifts
}
