//! The MTU every link ends with after `ifup -a`, predicted by replaying the order in which
//! Debian's ifupdown brings interfaces up and what each step does to MTUs.
//!
//! What the replay knows (ifupdown 0.8.41, ifenslave 2.13, vlan 2.0.5, bridge-utils 1.7 and
//! Linux 6.1, each step observed in the VM by `tests/vm/fixtures.sh`):
//! - `ifup -a` takes the `auto` interfaces in file order (then udev brings up `allow-hotplug`
//!   ones); bringing one up runs its pre-up phase
//!   (ifenslave, the vlan and bridge hooks, `pre-up` commands), then its method's commands
//!   (where `mtu` is applied: `ip link set dev IF mtu N`), then `up`/`post-up` commands. An
//!   `inet6` stanza's `mtu` raises the link MTU only when it is larger; otherwise it sets the
//!   IPv6 MTU (`net.ipv6.conf.IF.mtu`) and leaves the link alone.
//! - A slave's own stanza with `bond-master` first brings its bond up, then enslaves itself
//!   (the kernel sets a new slave to the bond's MTU), then applies its own `mtu`: it keeps it.
//!   A bond's `bond-slaves` enslaves the listed interfaces that exist; a listed slave whose own
//!   stanza comes up later applies its own `mtu` afterwards. A bond's `mtu` reaches every slave
//!   it has at that moment.
//! - A stanza missing a variable its method requires (`inet static` without `address`) is
//!   refused before its pre-up phase: none of its hooks run (a bond is never created), and
//!   ifup does not go on to the interface's later stanzas. ifupdown's link step comes first
//!   and still creates a dotted VLAN (down). Methods that do not read `mtu`
//!   (`inet dhcp`, `inet6 auto`) leave the link's MTU alone; the vlan and bridge hooks still
//!   read it.
//! - A VLAN is created at its parent's MTU; its own `mtu` above the parent's is refused
//!   (ERANGE) and ifup of the VLAN fails. The vlan package's hook first raises the parent to the
//!   VLAN's `mtu` when the stanza names `vlan-raw-device`.
//! - A hook's `ip link add ... type macvlan|vxlan|gre|gretap|ipip` (or `ip tunnel add`) over a
//!   lower device creates the link from that device's MTU at that moment: a macvlan at it (and
//!   never above it, following it down), a VXLAN 50 bytes below (70 over IPv6, whatever MTU was
//!   asked), GRE 24 below and IPIP 20 below (or the MTU asked). The kernel refuses a macvlan or
//!   VXLAN MTU above what the lower device carries; a tunnel takes any.
//! - bridge-utils sets every port to the bridge's `mtu` before adding it. A bridge follows its
//!   smallest port until its MTU is changed explicitly; ifupdown setting the MTU the bridge
//!   already has is no change, so such a bridge still follows a port lowered later.

use std::collections::{HashMap, HashSet};

use super::{Interface, Kind, Model, Name, StanzaRef, split_list, up_hook_actions};
use crate::source::Location;
use crate::syntax::hooks::{HookAction, UpperKind};

/// Why a link ends with its MTU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MtuSource {
    /// Its own `mtu` option.
    Own(Location),
    /// The bond it is enslaved to (enslaving, or the bond's own `mtu` reaching its slaves).
    Bond(Name),
    /// The bridge it is a port of (bridge-utils sets ports to the bridge's `mtu`).
    Bridge(Name),
    /// The vlan package's hook raised it for this VLAN.
    RaisedFor(Name),
    /// An `ip link set ... mtu` command in a hook.
    Hook(Location),
    /// Created with its parent's MTU.
    Parent(Name),
    /// Created by a hook over a lower device (macvlan, VXLAN, GRE, IPIP), at that device's MTU
    /// less what the encapsulation takes; a macvlan also follows it down.
    Lower(Name),
    /// Nothing set it: the kernel's 1500.
    Default,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkMtu {
    pub mtu: u32,
    pub source: MtuSource,
}

/// A link a hook created over a lower device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upper {
    pub kind: UpperKind,
    pub lower: Name,
    /// The hook command that created it.
    pub at: Location,
}

/// Something ifup does with an MTU that the configuration does not say outright.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MtuEvent {
    /// A macvlan or VXLAN MTU above what its lower device carries: the kernel refuses it
    /// (EINVAL), when the hook creates the link (`created`: the link never exists) or when its
    /// MTU is set.
    UpperRefused {
        link: String,
        kind: UpperKind,
        mtu: u32,
        lower: String,
        lower_mtu: u32,
        created: bool,
        at: Location,
    },
    /// `ip link set dev VLAN mtu N` refused: larger than the parent's MTU (ERANGE).
    VlanRefused {
        vlan: String,
        mtu: u32,
        parent: String,
        parent_mtu: u32,
        at: Location,
    },
    /// The vlan hook raised `parent` from `from` to the VLAN's MTU.
    ParentRaised {
        parent: String,
        from: u32,
        to: u32,
        vlan: String,
    },
    /// bridge-utils set a port to the bridge's MTU.
    PortSet {
        port: String,
        bridge: String,
        from: u32,
        to: u32,
    },
    /// An inet6 stanza's `mtu` at or below the link MTU: only the IPv6 MTU sysctl is written,
    /// which the kernel refuses below 1280 (ifupdown ignores the failure).
    Ipv6MtuOnly {
        iface: String,
        mtu: u32,
        at: Location,
    },
}

/// The predicted links after `ifup -a`.
#[derive(Debug, Default)]
pub struct Links {
    /// Links the configuration creates or touches, by name.
    pub mtus: HashMap<Name, LinkMtu>,
    pub events: Vec<MtuEvent>,
    /// Interfaces booting brings up (`ifup -a`, then hotplug).
    pub brought_up: HashSet<Name>,
    /// Slave to bond, for every interface that ends enslaved.
    pub enslaved: HashMap<Name, Name>,
    /// Bond to its slaves, in the order they were enslaved (the reverse of `enslaved`).
    pub slaves_of: HashMap<Name, Vec<Name>>,
    /// Bond to the places where ifenslave's `setup_primary` ran for it, in order: the stanza
    /// whose `bond-primary` it wrote (the bond's own, after enslaving `bond-slaves`, or a
    /// slave's, after enslaving that slave) and how many slaves the bond had then (a prefix
    /// of `slaves_of`).
    pub primary_writes: HashMap<Name, Vec<(Name, usize)>>,
    /// Links hooks create over a lower device, by name.
    pub uppers: HashMap<Name, Upper>,
}

impl Links {
    pub fn mtu(&self, name: &str) -> Option<&LinkMtu> {
        self.mtus.get(name)
    }
}

struct Replay<'m, 'h> {
    model: &'m Model<'h>,
    links: Links,
    /// Up or being brought up.
    started: HashSet<Name>,
    /// Bridges and the ports they hold.
    ports: HashMap<Name, Vec<Name>>,
    /// Ports and the bridges that hold them, the reverse of `ports`.
    bridges_of: HashMap<Name, Vec<Name>>,
    /// Bridges whose MTU was changed explicitly: the kernel then stops following the ports.
    user_mtu: HashSet<Name>,
    /// Lower devices and the macvlans over them, which follow them down.
    macvlans_of: HashMap<Name, Vec<Name>>,
}

/// Replay `ifup -a` over the model.
pub fn replay(model: &Model<'_>) -> Links {
    let mut r = Replay {
        model,
        links: Links::default(),
        started: HashSet::new(),
        ports: HashMap::new(),
        bridges_of: HashMap::new(),
        user_mtu: HashSet::new(),
        macvlans_of: HashMap::new(),
    };
    // At boot networking.service runs `ifup -a` (the `auto` interfaces, in file order) and
    // udev's ifup@.service brings up each `allow-hotplug` interface whose device exists.
    for class in ["auto", "hotplug"] {
        let names: Vec<String> = model
            .allows
            .iter()
            .filter(|a| a.class == class && !a.name.contains(['=', '/']))
            .map(|a| a.name.to_string())
            .collect();
        for name in names {
            r.up(&name);
        }
    }
    r.links
}

/// Stanza `i`'s `mtu` (inherited first, as ifupdown uses it), when it is one the kernel can
/// take (NV004 reports the others; ifup fails on them and the link keeps its MTU).
fn own_mtu(iface: &Interface<'_>, i: usize) -> Option<(u32, Location)> {
    let opt = iface.stanza_options(i).find(|o| o.opt.name.text == "mtu")?;
    let mtu = opt
        .value()
        .trim()
        .parse()
        .ok()
        .filter(|m| (68..=65535).contains(m))?;
    Some((mtu, opt.location()))
}

impl<'m, 'h> Replay<'m, 'h> {
    fn iface(&self, name: &str) -> Option<&'m Interface<'h>> {
        let model: &'m Model<'h> = self.model;
        model.get(name).filter(|i| i.has_stanza())
    }

    /// Whether a link exists: NICs always do (netvet cannot tell otherwise); virtual ones once
    /// something created them.
    fn exists(&self, name: &str) -> bool {
        if self.links.mtus.contains_key(name) {
            return true;
        }
        match self.model.get(name) {
            Some(i) => i.kind == Kind::Physical && !name.contains('.'),
            None => !name.contains('.'),
        }
    }

    fn current(&self, name: &str) -> u32 {
        self.links.mtus.get(name).map_or(1500, |l| l.mtu)
    }

    /// A virtual link comes into being at the kernel's 1500, unless it already exists.
    fn create(&mut self, name: &str) {
        if !self.links.mtus.contains_key(name) {
            self.set(name, 1500, MtuSource::Default);
        }
    }

    fn set(&mut self, name: &str, mtu: u32, source: MtuSource) {
        self.links
            .mtus
            .insert(Name::from(name), LinkMtu { mtu, source });
    }

    /// `ip link set dev NAME mtu N`, with what the kernel does to slaves and VLANs.
    fn set_mtu(&mut self, name: &str, mtu: u32, source: MtuSource, at: Location) -> bool {
        if let Some(upper) = self
            .links
            .uppers
            .get(name)
            .filter(|u| u.kind.refuses_larger())
        {
            let lower_mtu = self.current(&upper.lower);
            if mtu > lower_mtu.saturating_sub(upper.kind.headroom()) {
                self.links.events.push(MtuEvent::UpperRefused {
                    link: name.to_string(),
                    kind: upper.kind,
                    mtu,
                    lower: upper.lower.to_string(),
                    lower_mtu,
                    created: false,
                    at,
                });
                return false;
            }
        }
        let vlan = self
            .iface(name)
            .filter(|i| i.kind == Kind::Vlan)
            .and_then(|i| i.vlan.as_ref());
        if let Some(vlan) = vlan {
            if !vlan.parent.is_empty() {
                let parent_mtu = self.current(&vlan.parent);
                if mtu > parent_mtu {
                    self.links.events.push(MtuEvent::VlanRefused {
                        vlan: name.to_string(),
                        mtu,
                        parent: vlan.parent.clone(),
                        parent_mtu,
                        at,
                    });
                    return false;
                }
            }
        }
        if self.ports.contains_key(name) && self.current(name) != mtu {
            // br_change_mtu marks an MTU the user chose; setting the value it already has is
            // not a change and leaves the bridge following its ports.
            self.user_mtu.insert(Name::from(name));
        }
        self.set(name, mtu, source);
        self.follow_ports(name);
        // A macvlan never stays above its lower device (macvlan_device_event).
        let macvlans = self.macvlans_of.get(name).cloned().unwrap_or_default();
        for macvlan in macvlans {
            if self.current(&macvlan) > mtu {
                self.set(&macvlan, mtu, MtuSource::Lower(Name::from(name)));
            }
        }
        let slaves = self.links.slaves_of.get(name).cloned().unwrap_or_default();
        for slave in slaves {
            self.set(&slave, mtu, MtuSource::Bond(Name::from(name)));
        }
        true
    }

    /// A bridge whose MTU nobody changed follows its smallest port (br_mtu_auto_adjust).
    fn follow_ports(&mut self, port: &str) {
        let bridges: Vec<Name> = self
            .bridges_of
            .get(port)
            .into_iter()
            .flatten()
            .filter(|bridge| !self.user_mtu.contains(*bridge))
            .cloned()
            .collect();
        for bridge in bridges {
            let min = self.ports[&bridge].iter().map(|p| self.current(p)).min();
            if let Some(min) = min {
                let source = self
                    .links
                    .mtus
                    .get(&bridge)
                    .map_or(MtuSource::Default, |l| l.source.clone());
                self.set(&bridge, min, source);
            }
        }
    }

    fn enslave(&mut self, slave: &str, bond: &str) {
        if !self.exists(slave) || self.links.enslaved.contains_key(slave) {
            return;
        }
        let mtu = self.current(bond);
        self.links
            .enslaved
            .insert(Name::from(slave), Name::from(bond));
        self.links
            .slaves_of
            .entry(Name::from(bond))
            .or_default()
            .push(Name::from(slave));
        self.set(slave, mtu, MtuSource::Bond(Name::from(bond)));
    }

    /// ifenslave's `setup_primary` for `bond`, run from `stanza`'s pre-up.
    fn primary_written(&mut self, bond: &str, stanza: &str) {
        let enslaved = self.links.slaves_of.get(bond).map_or(0, Vec::len);
        self.links
            .primary_writes
            .entry(Name::from(bond))
            .or_default()
            .push((Name::from(stanza), enslaved));
    }

    fn up(&mut self, name: &str) {
        if !self.started.insert(Name::from(name)) {
            return;
        }
        let Some(iface) = self.iface(name) else {
            return;
        };
        // ifup checks each stanza's required variables before its pre-up phase and stops at
        // the first it refuses (NV006): nothing of that stanza or the later ones runs.
        let configured = iface.refused_at().unwrap_or(iface.stanzas.len());
        if configured == 0 {
            // ifupdown's own link step runs before the check: it creates a dotted VLAN on an
            // existing parent (at the parent's MTU) and leaves it down.
            if let (Kind::Vlan, Some((parent, _))) = (iface.kind, name.rsplit_once('.')) {
                if self.exists(parent) {
                    let mtu = self.current(parent);
                    self.set(name, mtu, MtuSource::Parent(Name::from(parent)));
                }
            }
            return;
        }
        self.links.brought_up.insert(Name::from(name));
        let stanzas = &iface.stanzas[..configured];
        let kind = iface.kind;
        let vlan = iface.vlan.as_ref();
        let master = iface
            .option(&["bond-master"])
            .map(|o| o.value().trim().to_string())
            .filter(|m| !m.is_empty() && m != "none");
        let bond_slaves: Vec<String> = iface
            .option(&["bond-slaves", "slaves"])
            .map(split_list)
            .unwrap_or_default()
            .into_iter()
            .map(|(slave, _)| slave)
            .filter(|slave| slave != "none")
            .collect();
        let bridge_ports: Vec<Name> = iface.bridge_ports.iter().map(|(p, _)| p.clone()).collect();
        let mtu_opt = (0..stanzas.len()).find_map(|i| own_mtu(iface, i));

        // pre-up: ifenslave, vlan, bridge-utils, then `pre-up` commands.
        if let Some(bond) = &master {
            if kind != Kind::Bond && self.iface(bond).is_some() {
                self.up(bond);
                if self.links.mtus.contains_key(bond.as_str()) {
                    self.enslave(name, bond);
                    // The slave path's `setup_primary`, with the slave's own bond-primary.
                    self.primary_written(bond, name);
                }
            }
        }
        if kind == Kind::Bond && iface.ifenslave_creates_bond() {
            self.create(name);
            for slave in &bond_slaves {
                let being_configured = self.started.contains(slave.as_str());
                if !being_configured {
                    self.enslave(slave, name);
                    let allowed = self.model.allows_of(slave).any(|a| a.class == name);
                    if allowed {
                        self.up(slave);
                    }
                } else if self
                    .iface(slave)
                    .is_none_or(|s| s.option(&["bond-master"]).is_none())
                {
                    self.enslave(slave, name);
                }
            }
            self.primary_written(name, name);
        }
        if let (Kind::Vlan, Some(vlan)) = (kind, vlan) {
            let parent = vlan.parent.as_str();
            if !parent.is_empty() && self.exists(parent) {
                // The vlan hook raises the raw device it is given (`vlan-raw-device`).
                if let (Some((mtu, at)), Some(_)) = (mtu_opt, vlan.parent_origin) {
                    let from = self.current(parent);
                    if from < mtu {
                        self.links.events.push(MtuEvent::ParentRaised {
                            parent: parent.to_string(),
                            from,
                            to: mtu,
                            vlan: name.to_string(),
                        });
                        self.set_mtu(parent, mtu, MtuSource::RaisedFor(Name::from(name)), at);
                    }
                }
                let parent_mtu = self.current(parent);
                self.set(name, parent_mtu, MtuSource::Parent(Name::from(parent)));
            }
        }
        if kind == Kind::Bridge {
            self.create(name);
            for port in &bridge_ports {
                if !self.exists(port) {
                    continue;
                }
                if let Some((mtu, _)) = mtu_opt {
                    let from = self.current(port);
                    if from != mtu {
                        self.links.events.push(MtuEvent::PortSet {
                            port: port.to_string(),
                            bridge: name.to_string(),
                            from,
                            to: mtu,
                        });
                    }
                    self.set(port, mtu, MtuSource::Bridge(Name::from(name)));
                }
                self.ports
                    .entry(Name::from(name))
                    .or_default()
                    .push(Name::from(port.as_str()));
                let bridges = self
                    .bridges_of
                    .entry(Name::from(port.as_str()))
                    .or_default();
                if !bridges.iter().any(|b| b == name) {
                    bridges.push(Name::from(name));
                }
                self.follow_ports(port);
            }
        }
        self.hooks(name, stanzas, true);

        // The method: `mtu` per stanza, in order.
        if self.exists(name) {
            self.create(name);
        }
        for (i, stanza) in stanzas.iter().enumerate() {
            // Only methods that read `mtu` apply it (`inet dhcp` does not: NV007).
            if iface.method_reads(i, "mtu") == Some(false) {
                continue;
            }
            let Some((mtu, at)) = own_mtu(iface, i) else {
                continue;
            };
            if stanza.stanza.family_str() == Some("inet6") && mtu <= self.current(name) {
                if mtu < 1280 {
                    self.links.events.push(MtuEvent::Ipv6MtuOnly {
                        iface: name.to_string(),
                        mtu,
                        at,
                    });
                }
                continue;
            }
            if self.links.mtus.contains_key(name) {
                self.set_mtu(name, mtu, MtuSource::Own(at), at);
            }
        }
        // `up` and `post-up` commands.
        self.hooks(name, stanzas, false);
    }

    /// A hook's `ip link add ... type macvlan|vxlan|gre|ipip` over `lower`.
    fn add_upper(
        &mut self,
        link: &str,
        kind: UpperKind,
        lower: &str,
        asked: Option<&str>,
        at: Location,
    ) {
        if !self.exists(lower) || self.links.uppers.contains_key(link) {
            return;
        }
        let lower_mtu = self.current(lower);
        let max = lower_mtu.saturating_sub(kind.headroom());
        let asked = asked.and_then(|m| m.parse::<u32>().ok());
        let mtu = match kind {
            UpperKind::Macvlan => match asked {
                Some(mtu) if mtu > lower_mtu => {
                    self.links.events.push(MtuEvent::UpperRefused {
                        link: link.to_string(),
                        kind,
                        mtu,
                        lower: lower.to_string(),
                        lower_mtu,
                        created: true,
                        at,
                    });
                    return;
                }
                Some(mtu) => mtu,
                None => lower_mtu,
            },
            // The driver sets the largest MTU the lower device carries, whatever was asked.
            UpperKind::Vxlan { .. } => max,
            UpperKind::Gre { .. } | UpperKind::Ipip => asked.unwrap_or(max),
        };
        self.set(link, mtu, MtuSource::Lower(Name::from(lower)));
        if kind == UpperKind::Macvlan {
            self.macvlans_of
                .entry(Name::from(lower))
                .or_default()
                .push(Name::from(link));
        }
        self.links.uppers.insert(
            Name::from(link),
            Upper {
                kind,
                lower: Name::from(lower),
                at,
            },
        );
    }

    /// `ip link set ... mtu N` in `pre-up` (`pre`) or `up`/`post-up` commands.
    fn hooks(&mut self, name: &str, stanzas: &[StanzaRef<'_>], pre: bool) {
        for stanza in stanzas {
            for opt in &stanza.stanza.options {
                if (opt.canonical_name() == "pre-up") != pre {
                    continue;
                }
                for (action, at) in up_hook_actions(stanza.file, opt).unwrap_or_default() {
                    if let HookAction::AddLink {
                        name: link,
                        kind,
                        lower: Some(lower),
                        mtu,
                        ..
                    } = &action
                    {
                        let link = crate::syntax::hooks::device(link, name).to_string();
                        let lower = crate::syntax::hooks::device(lower, name).to_string();
                        self.add_upper(&link, *kind, &lower, mtu.as_deref(), at);
                        continue;
                    }
                    let HookAction::SetMtu { device, mtu, .. } = action else {
                        continue;
                    };
                    let Ok(mtu) = mtu.parse::<u32>() else {
                        continue;
                    };
                    let device = crate::syntax::hooks::device(&device, name);
                    if self.exists(device) {
                        self.set_mtu(device, mtu, MtuSource::Hook(at), at);
                    }
                }
            }
        }
    }
}
