//! The effective configuration: every interface with its kind, MTU, bond, VLAN and bridge
//! settings, merged from all interfaces files, modprobe.d and the kernel's defaults, each value
//! with the place it came from.
//!
//! Architecture invariant: the model does no I/O and never fails. It borrows the parsed files
//! from [`Host`] and adds meaning; anything it cannot make sense of is left for the rules to
//! report.

pub mod bond;
pub mod bringup;
pub mod drift;
pub mod listeners;
pub mod mtu;

use std::collections::HashMap;

use crate::load::Host;
use crate::load::sysctl::{Setting, SysctlSettings};
use crate::source::{FileId, Location};
use crate::syntax::hooks::{self, HookAction};
use crate::syntax::interfaces::{Item, Opt, Stanza};

pub use bond::{Bond, BondMode, BondOption, ModuleParam, Origin};

pub const BINDV6ONLY: &str = "net.ipv6.bindv6only";

/// The effective `net.ipv6.bindv6only` and where it comes from.
#[derive(Clone, Debug)]
pub struct Bindv6only {
    pub on: bool,
    pub value: String,
    pub from: Bindv6onlyFrom,
}

#[derive(Clone, Copy, Debug)]
pub enum Bindv6onlyFrom {
    Configured(Location),
    Running,
    KernelDefault,
}

impl Bindv6only {
    /// `net.ipv6.bindv6only=1 (/etc/sysctl.d/60-ipv6.conf:1:1)`.
    pub fn describe(&self, sources: &crate::source::SourceMap) -> String {
        let from = match self.from {
            Bindv6onlyFrom::Configured(at) => sources.describe(at),
            Bindv6onlyFrom::Running => "running kernel".to_string(),
            Bindv6onlyFrom::KernelDefault => "kernel default".to_string(),
        };
        format!("{BINDV6ONLY}={} ({from})", self.value)
    }
}

/// An interface name. The kernel allows at most 15 bytes, which a `CompactString` stores
/// inline: the model's maps keyed by name cost no heap allocation per interface.
pub type Name = compact_str::CompactString;

/// A stanza and the file it is in.
#[derive(Clone, Copy, Debug)]
pub struct StanzaRef<'h> {
    pub file: FileId,
    pub stanza: &'h Stanza,
}

impl<'h> StanzaRef<'h> {
    pub fn header(&self) -> Location {
        Location {
            file: self.file,
            span: self.stanza.header,
        }
    }

    pub fn loc(&self, opt: &Opt) -> Location {
        Location {
            file: self.file,
            span: opt.span,
        }
    }
}

/// An option found in some stanza of an interface.
#[derive(Clone, Copy, Debug)]
pub struct OptRef<'h> {
    pub stanza: StanzaRef<'h>,
    pub opt: &'h Opt,
}

impl<'h> OptRef<'h> {
    pub fn value(&self) -> &'h str {
        &self.opt.value.text
    }

    /// The whole option line.
    pub fn location(&self) -> Location {
        self.stanza.loc(self.opt)
    }

    /// Just the value.
    pub fn value_location(&self) -> Location {
        Location {
            file: self.stanza.file,
            span: self.opt.value.span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Loopback,
    /// A NIC (or anything netvet cannot tell is virtual).
    Physical,
    Bond,
    Vlan,
    Bridge,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Loopback => "loopback",
            Kind::Physical => "physical",
            Kind::Bond => "bond",
            Kind::Vlan => "VLAN",
            Kind::Bridge => "bridge",
        }
    }
}

/// How a VLAN's parent and id were given.
#[derive(Clone, Debug)]
pub struct Vlan {
    pub parent: String,
    /// Where the parent was named: the `vlan-raw-device` option, or `None` for a dotted name.
    pub parent_origin: Option<Location>,
    /// The id as written (`0201` in `eth0.0201`), and where.
    pub id_text: String,
    pub id_origin: Location,
}

impl Vlan {
    pub fn id(&self) -> Option<u32> {
        self.id_text.parse().ok()
    }
}

/// A bond this interface is enslaved to, and how that was said.
#[derive(Clone, Debug)]
pub struct Membership {
    pub bond: Name,
    pub location: Location,
    pub via: MembershipVia,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipVia {
    /// The bond's `bond-slaves`/`slaves` list.
    BondSlaves,
    /// The slave's own `bond-master`.
    BondMaster,
}

#[derive(Debug)]
pub struct Interface<'h> {
    pub name: Name,
    /// Every `iface` stanza with this name, in reading order. Empty for an interface only named
    /// by others (a NIC in a `bond-slaves` list).
    /// Inline when there is one, as there nearly always is: no allocation per interface.
    pub stanzas: smallvec::SmallVec<[StanzaRef<'h>; 1]>,
    /// For each stanza, the options it inherits (`inherits PARENT`): ifupdown copies the
    /// parent's options into the stanza before reading its own. Empty when no stanza inherits.
    pub inherited: Vec<Vec<OptRef<'h>>>,
    pub kind: Kind,
    pub bond: Option<Box<Bond>>,
    pub vlan: Option<Box<Vlan>>,
    /// Bonds that claim this interface as a slave.
    pub memberships: Vec<Membership>,
    /// Bridges that list this interface in `bridge-ports`.
    pub bridges: Vec<(Name, Location)>,
    pub bridge_ports: Vec<(Name, Location)>,
}

/// Option names as ifupdown hands them to scripts: `bond_miimon` and `bond-miimon` both become
/// `IF_BOND_MIIMON`, so netvet treats `_` and `-` alike.
pub fn normalize_option(name: &str) -> compact_str::CompactString {
    // Inline up to 24 bytes: no allocation for any real option's name.
    name.chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Whether an option as written is `normalized` (lower case, `-`), as [`normalize_option`]
/// would make it, without allocating: option lookups run for every stanza of large hosts.
fn same_option(written: &str, normalized: &str) -> bool {
    written.len() == normalized.len()
        && written.bytes().zip(normalized.bytes()).all(|(w, n)| {
            let w = if w == b'_' {
                b'-'
            } else {
                w.to_ascii_lowercase()
            };
            w == n
        })
}

impl<'h> Interface<'h> {
    fn new(name: &str) -> Self {
        Interface {
            name: Name::from(name),
            stanzas: smallvec::SmallVec::new(),
            inherited: Vec::new(),
            kind: Kind::Physical,
            bond: None,
            vlan: None,
            memberships: Vec::new(),
            bridges: Vec::new(),
            bridge_ports: Vec::new(),
        }
    }

    /// Every option (normalised name) across all stanzas, in order.
    /// Every option across all stanzas, in order: a stanza's inherited options before its own.
    pub fn options(&self) -> impl Iterator<Item = OptRef<'h>> + '_ {
        (0..self.stanzas.len()).flat_map(|i| self.stanza_options(i))
    }

    /// The options of stanza `i`: what it inherits, then its own.
    pub fn stanza_options(&self, i: usize) -> impl Iterator<Item = OptRef<'h>> + '_ {
        let inherited = self.inherited.get(i).map_or(&[][..], Vec::as_slice);
        let own = self.stanzas.get(i).into_iter().flat_map(|s| {
            s.stanza
                .options
                .iter()
                .map(move |opt| OptRef { stanza: *s, opt })
        });
        inherited.iter().copied().chain(own)
    }

    /// The first option with any of these names (normalised: give them with `-`).
    pub fn option(&self, names: &[&str]) -> Option<OptRef<'h>> {
        self.options()
            .find(|o| names.iter().any(|n| same_option(&o.opt.name.text, n)))
    }

    /// The configured MTU: the `mtu` option, as a number when it is one.
    pub fn mtu(&self) -> Option<(u32, OptRef<'h>)> {
        let opt = self.option(&["mtu"])?;
        Some((opt.value().trim().parse().ok()?, opt))
    }

    /// The MTU the interface will have: configured, or the kernel default of 1500 for Ethernet
    /// devices, bonds, VLANs and bridges.
    pub fn effective_mtu(&self) -> u32 {
        self.mtu().map_or(1500, |(mtu, _)| mtu)
    }

    pub fn has_stanza(&self) -> bool {
        !self.stanzas.is_empty()
    }

    pub fn first_header(&self) -> Option<Location> {
        self.stanzas.first().map(StanzaRef::header)
    }

    /// True when some stanza is IPv6 (`inet6`).
    pub fn has_inet6(&self) -> bool {
        self.stanzas
            .iter()
            .any(|s| s.stanza.family_str() == Some("inet6"))
    }

    /// The bond this interface is a slave of, preferring the bond's own list.
    pub fn master(&self) -> Option<&Membership> {
        self.memberships.first()
    }

    /// Whether ifenslave sets this stanza up as a bond: only with `bond-slaves` (or the older
    /// `slaves`) or `bond-mode` (NV115).
    pub fn ifenslave_creates_bond(&self) -> bool {
        self.option(&["bond-slaves", "slaves", "bond-mode"])
            .is_some()
    }

    /// The variables stanza `i`'s method requires and the stanza (with what it inherits) does
    /// not set: ifup refuses such a stanza before it runs anything (NV006). Empty when the
    /// stanza has no known method.
    pub fn missing_required(&self, i: usize) -> Vec<&'static str> {
        let Some(stanza) = self.stanzas.get(i) else {
            return Vec::new();
        };
        let (Some(family), Some(method)) = (stanza.stanza.family_str(), stanza.stanza.method_str())
        else {
            return Vec::new();
        };
        let Some(method) = crate::syntax::methods::method(family, method) else {
            return Vec::new();
        };
        method
            .required
            .iter()
            .copied()
            .filter(|var| {
                !self
                    .stanza_options(i)
                    .any(|o| o.opt.name.text == *var && !o.value().trim().is_empty())
            })
            .collect()
    }

    /// The first stanza ifup refuses (a required variable missing): ifup configures the stanzas
    /// before it and stops there.
    pub fn refused_at(&self) -> Option<usize> {
        (0..self.stanzas.len()).find(|&i| !self.missing_required(i).is_empty())
    }

    /// Whether ifup refuses the interface's first stanza, so that nothing of it is configured:
    /// rules that judge what it runs with have nothing to judge (NV006 says why).
    pub fn never_configured(&self) -> bool {
        self.refused_at() == Some(0)
    }

    /// Whether stanza `i`'s method reads `option`; `None` when the stanza has no known method
    /// (it takes one through `inherits`, or the header is broken).
    pub fn method_reads(&self, i: usize, option: &str) -> Option<bool> {
        let s = self.stanzas.get(i)?;
        let method =
            crate::syntax::methods::method(s.stanza.family_str()?, s.stanza.method_str()?)?;
        Some(method.options.contains(&option))
    }

    /// Open vSwitch ports are configured by ovs scripts, not as kernel VLANs or bonds.
    pub fn is_ovs(&self) -> bool {
        self.option(&["ovs-type"]).is_some()
    }
}

/// One `auto` / `allow-CLASS` entry.
#[derive(Debug)]
pub struct AllowEntry<'h> {
    pub class: &'h str,
    pub name: &'h str,
    pub location: Location,
}

#[derive(Debug)]
pub struct Model<'h> {
    pub host: &'h Host,
    pub interfaces: Vec<Interface<'h>>,
    index: HashMap<Name, usize>,
    pub allows: Vec<AllowEntry<'h>>,
    /// Indexes into `allows`, sorted by interface name, then reading order.
    allows_by_name: Vec<u32>,
    /// `options bonding ...` from modprobe.d, in the order the kernel applies them.
    pub bonding_module: Vec<ModuleParam>,
    /// sysctl.d and sysctl.conf, with their precedence.
    pub sysctl: SysctlSettings,
    /// `sysctl -w` (and `echo V > /proc/sys/...`) in interfaces up hooks, in file order. They run
    /// when the interface comes up, after the boot-time sysctl files.
    pub hook_sysctls: Vec<Setting>,
    /// What `ifup -a` does to links: their MTUs, who ends enslaved to whom.
    pub links: mtu::Links,
}

impl<'h> Model<'h> {
    pub fn get(&self, name: &str) -> Option<&Interface<'h>> {
        self.index.get(name).map(|&i| &self.interfaces[i])
    }

    /// The `auto` and `allow-CLASS` entries that name this interface, in reading order.
    pub fn allows_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a AllowEntry<'h>> + 'a {
        let first = self
            .allows_by_name
            .partition_point(|&i| self.allows[i as usize].name < name);
        self.allows_by_name[first..]
            .iter()
            .map(|&i| &self.allows[i as usize])
            .take_while(move |a| a.name == name)
    }

    /// Every configured assignment of a sysctl, in the order they take effect: the sysctl files,
    /// then interface hooks. The last one is the effective value.
    pub fn configured_sysctl(&self, name: &str) -> Vec<&Setting> {
        let mut all = self.sysctl.all(name);
        all.extend(self.hook_sysctls.iter().filter(|s| s.name == name));
        all
    }

    /// `net.ipv6.bindv6only` as sockets will see it: the configured value (the last one set),
    /// else the running kernel's when it is known (`running`), else the kernel default 0. The
    /// one place that decides it, for the listener rules and `netvet listeners`.
    pub fn bindv6only(&self, running: Option<&str>) -> Bindv6only {
        if let Some(s) = self.configured_sysctl(BINDV6ONLY).last() {
            return Bindv6only {
                on: s.value == "1",
                value: s.value.clone(),
                from: Bindv6onlyFrom::Configured(s.location),
            };
        }
        match running {
            Some(v) => Bindv6only {
                on: v == "1",
                value: v.to_string(),
                from: Bindv6onlyFrom::Running,
            },
            None => Bindv6only {
                on: false,
                value: "0".to_string(),
                from: Bindv6onlyFrom::KernelDefault,
            },
        }
    }

    /// The effective value of a bonding module parameter (the last one given).
    pub fn module_param(&self, name: &str) -> Option<&ModuleParam> {
        self.bonding_module.iter().rev().find(|p| p.name == name)
    }

    pub fn build(host: &'h Host) -> Self {
        let mut model = Model {
            host,
            interfaces: Vec::new(),
            index: HashMap::new(),
            allows: Vec::new(),
            allows_by_name: Vec::new(),
            bonding_module: bonding_params(host),
            sysctl: SysctlSettings::new(&host.sysctl),
            hook_sysctls: Vec::new(),
            links: mtu::Links::default(),
        };
        for (file, parsed) in &host.interfaces {
            for item in &parsed.items {
                match item {
                    Item::Iface(stanza) if !stanza.name.text.is_empty() => {
                        let i = model.intern(&stanza.name.text);
                        model.interfaces[i].stanzas.push(StanzaRef {
                            file: *file,
                            stanza,
                        });
                    }
                    Item::Allow { class, names, .. } => {
                        for name in names {
                            model.allows.push(AllowEntry {
                                class,
                                name: &name.text,
                                location: Location {
                                    file: *file,
                                    span: name.span,
                                },
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        model.allows_by_name = (0..model.allows.len())
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        // A stable sort keeps reading order among the entries of one name.
        let allows = &model.allows;
        model
            .allows_by_name
            .sort_by_key(|&i| allows[i as usize].name);
        model.inherit();
        model.hook_sysctls = hook_sysctls(host);
        model.link_bonds();
        model.link_bridges();
        model.classify();
        model.links = mtu::replay(&model);
        model.bond_outcomes();
        model
    }

    /// Resolve `inherits`: the parent is the first stanza of that name in the same address
    /// family (any family when the child names none). An unknown parent is NV001's (ifupdown
    /// stops reading there); a chain is followed a few levels, and a cycle stops.
    fn inherit(&mut self) {
        fn resolve<'h>(model: &Model<'h>, stanza: &Stanza, depth: usize) -> Vec<OptRef<'h>> {
            let Some(parent_name) = stanza.inherits.as_ref().map(|w| w.text.as_str()) else {
                return Vec::new();
            };
            if depth > 8 {
                return Vec::new();
            }
            let Some(parent) = model.get(parent_name) else {
                return Vec::new();
            };
            let family = stanza.family_str();
            let Some(p) = parent.stanzas.iter().find(|p| {
                !std::ptr::eq(p.stanza, stanza)
                    && (family.is_none() || p.stanza.family_str() == family)
            }) else {
                return Vec::new();
            };
            let mut out = resolve(model, p.stanza, depth + 1);
            out.extend(
                p.stanza
                    .options
                    .iter()
                    .map(|opt| OptRef { stanza: *p, opt }),
            );
            out
        }
        let inherited: Vec<Vec<Vec<OptRef<'h>>>> = self
            .interfaces
            .iter()
            .map(|i| {
                i.stanzas
                    .iter()
                    .map(|s| resolve(self, s.stanza, 0))
                    .collect()
            })
            .collect();
        for (iface, inherited) in self.interfaces.iter_mut().zip(inherited) {
            // Most interfaces inherit nothing: keep no per-stanza list for them.
            if inherited.iter().any(|i| !i.is_empty()) {
                iface.inherited = inherited;
            }
        }
    }

    fn intern(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.interfaces.push(Interface::new(name));
        self.index
            .insert(Name::from(name), self.interfaces.len() - 1);
        self.interfaces.len() - 1
    }

    /// Record who is enslaved to whom, from both directions.
    fn link_bonds(&mut self) {
        let mut claims: Vec<(Name, Membership)> = Vec::new();
        // ifupdown2 expands `glob swp1-4` and `regex PATTERN` in a slave list: the pattern
        // names no interface itself, so members come only from the plain names.
        let ifupdown2 = self.host.dialect != crate::load::Dialect::Ifupdown;
        for iface in &self.interfaces {
            if let Some(list) = iface.option(&["bond-slaves", "slaves"]) {
                let mut pattern_next = false;
                for (name, span) in split_list(list) {
                    if ifupdown2 && (pattern_next || name == "glob" || name == "regex") {
                        pattern_next = !pattern_next && (name == "glob" || name == "regex");
                        continue;
                    }
                    if name == "none" {
                        continue;
                    }
                    claims.push((
                        Name::from(name),
                        Membership {
                            bond: iface.name.clone(),
                            location: Location {
                                file: list.stanza.file,
                                span,
                            },
                            via: MembershipVia::BondSlaves,
                        },
                    ));
                }
            }
            if let Some(master) = iface.option(&["bond-master"]) {
                let bond = master.value().trim();
                if !bond.is_empty() && bond != "none" {
                    claims.push((
                        iface.name.clone(),
                        Membership {
                            bond: Name::from(bond),
                            location: master.value_location(),
                            via: MembershipVia::BondMaster,
                        },
                    ));
                }
            }
        }
        for (slave, membership) in claims {
            let bond = self.intern(&membership.bond);
            if self.interfaces[bond].bond.is_none() {
                self.interfaces[bond].bond = Some(Box::default());
            }
            let i = self.intern(&slave);
            let memberships = &mut self.interfaces[i].memberships;
            // The same bond named from both sides is one membership; keep the bond's own list
            // first so that messages point at it.
            match memberships.iter().position(|m| m.bond == membership.bond) {
                Some(_) if membership.via == MembershipVia::BondMaster => {}
                Some(pos) => memberships[pos] = membership,
                None => memberships.push(membership),
            }
        }
    }

    fn link_bridges(&mut self) {
        let mut ports: Vec<(Name, Name, Location)> = Vec::new();
        for iface in &self.interfaces {
            if let Some(list) = iface.option(&["bridge-ports"]) {
                for (name, span) in split_list(list) {
                    if name == "none" || name == "all" || name.starts_with("regex") {
                        continue;
                    }
                    let location = Location {
                        file: list.stanza.file,
                        span,
                    };
                    ports.push((iface.name.clone(), Name::from(name), location));
                }
            }
        }
        for (bridge, port, location) in ports {
            let b = self.intern(&bridge);
            self.interfaces[b]
                .bridge_ports
                .push((port.clone(), location));
            let p = self.intern(&port);
            self.interfaces[p].bridges.push((bridge, location));
        }
    }

    fn classify(&mut self) {
        for iface in &mut self.interfaces {
            iface.vlan = vlan_of(iface).map(Box::new);
            let is_bond_by_options = iface.memberships.is_empty()
                && iface
                    .options()
                    .any(|o| bond::option_key(&o.opt.name.text).is_some());
            if is_bond_by_options && iface.bond.is_none() {
                iface.bond = Some(Box::default());
            }
            iface.kind = if iface.name == "lo"
                || iface
                    .stanzas
                    .iter()
                    .any(|s| s.stanza.method_str() == Some("loopback"))
            {
                Kind::Loopback
            } else if iface.bond.is_some() {
                Kind::Bond
            } else if iface.vlan.is_some() {
                Kind::Vlan
            } else if !iface.bridge_ports.is_empty() || iface.option(&["bridge-ports"]).is_some() {
                Kind::Bridge
            } else {
                Kind::Physical
            };
        }
        // Bond options need the whole picture: slaves from both directions, module defaults.
        let mut slaves_of: HashMap<Name, Vec<Name>> = HashMap::new();
        for iface in &self.interfaces {
            for m in &iface.memberships {
                slaves_of
                    .entry(m.bond.clone())
                    .or_default()
                    .push(iface.name.clone());
            }
        }
        for i in 0..self.interfaces.len() {
            if self.interfaces[i].kind != Kind::Bond {
                continue;
            }
            let slaves = slaves_of
                .remove(&self.interfaces[i].name)
                .unwrap_or_default();
            let options = bond::collect_options(&self.interfaces[i], &self.bonding_module);
            if let Some(b) = self.interfaces[i].bond.as_mut() {
                b.slaves = slaves;
                b.options = options;
            }
        }
    }

    /// What each bond runs with (`bringup`), once the replay of `ifup -a` has said where
    /// ifenslave's `setup_primary` runs and which slaves the bond has at each of those moments.
    /// A bond the boot never brings up gets the outcome of `ifup BOND` with every slave in.
    fn bond_outcomes(&mut self) {
        // Bonding options `up` hooks write to sysfs, per bond, in reading order: one pass over
        // every option, not one per bond. They run after ifenslave has set the bond up.
        let mut hook_writes: HashMap<&str, Vec<(&'static str, String, Location)>> = HashMap::new();
        for iface in &self.interfaces {
            for opt in iface.options().filter(|o| o.opt.canonical_name() == "up") {
                for (action, at) in up_hook_actions(opt.stanza.file, opt.opt).unwrap_or_default() {
                    let HookAction::BondOption {
                        bond, key, value, ..
                    } = action
                    else {
                        continue;
                    };
                    let Some(option) = crate::bonding::option(&key).filter(|o| o.replayed) else {
                        continue;
                    };
                    let name = crate::syntax::hooks::device(&bond, &iface.name);
                    if let Some(target) = self.get(name).filter(|t| t.bond.is_some()) {
                        hook_writes
                            .entry(target.name.as_str())
                            .or_default()
                            .push((option.key, value, at));
                    }
                }
            }
        }
        let mut outcomes = Vec::new();
        for (i, iface) in self.interfaces.iter().enumerate() {
            let Some(b) = iface.bond.as_deref() else {
                continue;
            };
            let slaves = self
                .links
                .slaves_of
                .get(&iface.name)
                .map_or(b.slaves.as_slice(), Vec::as_slice);
            let primary_of = |stanza: &Interface<'_>, enslaved: usize| {
                let mut options = bond::collect_options(stanza, &[]);
                let mut interfaces = |key| {
                    options.remove(key).and_then(|o| match o.origin {
                        bond::Origin::Interfaces(at) => Some((o.value, at)),
                        _ => None,
                    })
                };
                (
                    interfaces("primary"),
                    interfaces("primary_reselect"),
                    enslaved,
                )
            };
            let owned: Vec<_> = match self.links.primary_writes.get(&iface.name) {
                Some(runs) => runs
                    .iter()
                    .filter_map(|(stanza, n)| Some(primary_of(self.get(stanza)?, *n)))
                    .collect(),
                None => vec![primary_of(iface, b.slaves.len())],
            };
            let writes: Vec<bringup::PrimaryWrite<'_>> = owned
                .iter()
                .map(|(primary, reselect, n)| bringup::PrimaryWrite {
                    primary: primary.as_ref().map(|(v, at)| (v.as_str(), *at)),
                    reselect: reselect.as_ref().map(|(v, at)| (v.as_str(), *at)),
                    enslaved: &slaves[..(*n).min(slaves.len())],
                })
                .collect();
            let hooks: Vec<bringup::HookWrite<'_>> = hook_writes
                .get(iface.name.as_str())
                .into_iter()
                .flatten()
                .map(|(key, value, at)| bringup::HookWrite {
                    key,
                    value,
                    at: *at,
                })
                .collect();
            outcomes.push((
                i,
                bringup::bond(b, &self.bonding_module, &writes, &hooks, slaves),
            ));
        }
        for (i, outcome) in outcomes {
            if let Some(b) = self.interfaces[i].bond.as_mut() {
                b.kernel = outcome;
            }
        }
    }
}

/// What an up hook (`pre-up`, `up`, `post-up`) does that netvet understands, each action with
/// its place in the file; `None` for other options.
pub fn up_hook_actions(file: FileId, opt: &Opt) -> Option<Vec<(HookAction, Location)>> {
    if !matches!(opt.canonical_name(), "pre-up" | "up") {
        return None;
    }
    let value = &opt.value;
    // Exact spans only when the value was not joined from continuation lines.
    let exact = (value.span.end - value.span.start) as usize == value.text.len();
    let actions = hooks::parse(&value.text, value.span.start as usize)
        .into_iter()
        .map(|action| {
            let span = match &action {
                HookAction::Sysctl { span, .. }
                | HookAction::SetMtu { span, .. }
                | HookAction::Enslave { span, .. }
                | HookAction::AddLink { span, .. }
                | HookAction::BondOption { span, .. }
                    if exact =>
                {
                    *span
                }
                _ => value.span,
            };
            (action, Location { file, span })
        })
        .collect();
    Some(actions)
}

/// `sysctl -w` in the up hooks of every stanza, in file order.
fn hook_sysctls(host: &Host) -> Vec<Setting> {
    let mut out = Vec::new();
    for (file, parsed) in &host.interfaces {
        for item in &parsed.items {
            let Item::Iface(stanza) = item else { continue };
            for opt in &stanza.options {
                for (action, location) in up_hook_actions(*file, opt).unwrap_or_default() {
                    if let HookAction::Sysctl { name, value, .. } = action {
                        out.push(Setting {
                            name,
                            value,
                            location,
                            from_glob: false,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The bonding driver's module parameters from modprobe.d, in the order the kernel applies them.
fn bonding_params(host: &Host) -> Vec<ModuleParam> {
    crate::load::modprobe::module_options(&host.modprobe, "bonding")
}

/// Split a list option (`bond-slaves eno1 eno2`) into names with their spans.
pub fn split_list(opt: OptRef<'_>) -> Vec<(String, crate::source::Span)> {
    let value = &opt.opt.value;
    let text = value.text.as_str();
    let base = value.span.start as usize;
    let mut out = Vec::new();
    let mut offset = 0;
    for word in text.split(|c: char| c.is_whitespace()) {
        if !word.is_empty() {
            let start = text[offset..].find(word).map_or(offset, |i| offset + i);
            // Spans are exact unless the value was joined from continuation lines.
            let span = if value.span.end as usize - base == text.len() {
                crate::source::Span::new(base + start, base + start + word.len())
            } else {
                value.span
            };
            out.push((word.to_string(), span));
            offset = start + word.len();
        }
    }
    out
}

fn vlan_of(iface: &Interface<'_>) -> Option<Vlan> {
    if iface.is_ovs() || !iface.has_stanza() && iface.name.contains(':') {
        return None;
    }
    let header = iface.first_header()?;
    let raw = iface.option(&["vlan-raw-device"]);
    let id_opt = iface.option(&["vlan-id"]);
    let dotted = iface.name.rsplit_once('.').filter(|(parent, id)| {
        !parent.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
    });
    let vlan_n = iface
        .name
        .strip_prefix("vlan")
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));

    // A dotted name's id is the one ifupdown uses; `vlan-id` matters only for other names.
    let (id_text, id_origin) = match (id_opt, dotted, vlan_n) {
        (_, Some((_, id)), _) => (id.to_string(), header),
        (Some(opt), None, _) => (opt.value().trim().to_string(), opt.value_location()),
        (None, None, Some(id)) => (id.to_string(), header),
        (None, None, None) => {
            // `vlan-raw-device` on an arbitrary name gives no id: still a VLAN.
            let raw = raw?;
            (String::new(), raw.value_location())
        }
    };
    // ifupdown creates a dotted VLAN itself, on the parent its name says; the vlan package's
    // hook, which reads `vlan-raw-device`, then finds it exists (NV303 reports a disagreement).
    let (parent, parent_origin) = match (raw, dotted) {
        (_, Some((parent, _))) => (
            parent.to_string(),
            raw.filter(|r| r.value().trim() == parent)
                .map(|r| r.value_location()),
        ),
        (Some(opt), None) => (opt.value().trim().to_string(), Some(opt.value_location())),
        // `vlan10` without vlan-raw-device has no parent: the VLAN script cannot create it.
        (None, None) => (String::new(), None),
    };
    Some(Vlan {
        parent,
        parent_origin,
        id_text,
        id_origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Root, Target, load, test_tree};

    #[test]
    fn a_stanza_gets_the_options_it_inherits_parents_first() {
        let dir = test_tree(&[(
            "etc/network/interfaces",
            "iface tmpl inet manual\n    bond-mode 802.3ad\n    bond-miimon 100\n    mtu 9000\n\n\
             auto bond0\niface bond0 inet manual inherits tmpl\n    bond-slaves eno1 eno2\n    mtu 1500\n\n\
             iface loop inet manual inherits loop\n",
        )]);
        let host = load(&Target::Root(Root::new(dir.path())));
        let model = Model::build(&host);
        let bond0 = model.get("bond0").expect("bond0");
        assert_eq!(bond0.kind, Kind::Bond);
        let b = bond0.bond.as_ref().expect("a bond");
        assert_eq!(b.kernel.mode(), BondMode::Ieee8023ad);
        assert_eq!(b.kernel.number("miimon"), 100);
        // ifupdown joins the two into one value and uses the parent's first line.
        assert_eq!(bond0.mtu().map(|(m, _)| m), Some(9000));
        let links = &model.links;
        assert_eq!(links.mtu("bond0").map(|l| l.mtu), Some(9000));
        // A stanza naming itself inherits nothing.
        assert_eq!(model.get("loop").expect("loop").options().count(), 0);
    }
}
