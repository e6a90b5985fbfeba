//! Bond options: where each effective value comes from and what the kernel does by default.
//!
//! A bond's option is, in order of precedence: its `bond-*` option in interfaces (ifenslave
//! writes it to sysfs after the module is loaded), the `options bonding` module parameter from
//! modprobe.d (the default for every bond the driver creates), or the kernel's own default.

use super::Interface;
use crate::source::Location;

pub use crate::bonding::BondMode;

/// `bond-miimon`, `bond_miimon`, `bond-lacp_rate` ... to the driver's name (`miimon`).
/// `bond-slaves` and `bond-master` are not driver options.
pub fn option_key(option_name: &str) -> Option<&'static str> {
    crate::bonding::option_named(option_name).map(|o| o.key)
}

/// The kernel's default for an option, as sysfs shows it.
pub fn kernel_default(key: &str) -> Option<&'static str> {
    crate::bonding::option(key).and_then(|o| o.default)
}

pub use crate::load::modprobe::ModuleParam;

/// Where an effective bond option comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A `bond-*` option in an interfaces file (the value's location).
    Interfaces(Location),
    /// `options bonding ...` in modprobe.d (the parameter's location).
    Modprobe(Location),
    /// Nobody set it: the kernel's default.
    KernelDefault,
}

impl Origin {
    /// Where the value was written, if it was.
    pub fn location(self) -> Option<Location> {
        match self {
            Origin::Interfaces(l) | Origin::Modprobe(l) => Some(l),
            Origin::KernelDefault => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BondOption {
    /// Inline up to 24 bytes, as nearly every value is: a host of thousands of bonds holds one
    /// per option per bond.
    pub value: compact_str::CompactString,
    pub origin: Origin,
}

#[derive(Debug, Default)]
pub struct Bond {
    /// Slave names, from the bond's list and from slaves' `bond-master`, in interface order.
    pub slaves: Vec<super::Name>,
    /// Options given somewhere (interfaces or modprobe.d), by driver name.
    pub options: Options,
    /// What the kernel will run with once ifupdown has brought the bond up.
    pub kernel: Outcome,
}

impl Bond {
    /// The configured value, if any.
    pub fn get(&self, key: &str) -> Option<&BondOption> {
        self.options.get(key)
    }

    /// A numeric option (`miimon`, `updelay`, ...) when it is set and is a number.
    pub fn number(&self, key: &str) -> Option<(u64, &BondOption)> {
        let opt = self.get(key)?;
        Some((opt.value.trim().parse().ok()?, opt))
    }

    /// The configured mode, or the kernel default balance-rr; `None` if the value is invalid.
    pub fn mode(&self) -> Option<BondMode> {
        match self.get("mode") {
            Some(opt) => BondMode::parse(&opt.value),
            None => Some(BondMode::BalanceRr),
        }
    }

    /// `arp_ip_target` values: a comma-separated list in interfaces or modprobe.d, or several
    /// words.
    pub fn arp_targets(&self) -> Vec<&str> {
        self.get("arp_ip_target")
            .map(|o| {
                o.value
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Values by driver option name, in name order: a sorted vector rather than a tree, as a host
/// of thousands of bonds keeps two per bond (its options, and what it runs with) and a tree's
/// node holds room for eleven.
#[derive(Clone, Debug)]
pub struct ByKey<V>(Vec<(&'static str, V)>);

/// A bond's options, as interfaces and modprobe.d give them.
pub type Options = ByKey<BondOption>;

impl<V> Default for ByKey<V> {
    fn default() -> Self {
        ByKey(Vec::new())
    }
}

impl<V> ByKey<V> {
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (*k).cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        let i = self.position(key).ok()?;
        Some(&self.0[i].1)
    }

    /// Set `key`, replacing what it had.
    pub fn insert(&mut self, key: &'static str, value: V) {
        match self.position(key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// Take `key` out, if it is set.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = self.position(key).ok()?;
        Some(self.0.remove(i).1)
    }

    /// Every value with its name, in name order, as a map's `iter` gives them.
    pub fn iter(&self) -> impl Iterator<Item = (&&'static str, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// Give back what growing the vector over-allocated: the values live as long as the check.
    pub(super) fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

impl<V> IntoIterator for ByKey<V> {
    type Item = (&'static str, V);
    type IntoIter = std::vec::IntoIter<(&'static str, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a ByKey<V> {
    type Item = (&'a &'static str, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (&'static str, V)>,
        fn(&'a (&'static str, V)) -> (&'a &'static str, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// Merge a bond's options from its stanzas and the module parameters.
pub fn collect_options(iface: &Interface<'_>, module: &[ModuleParam]) -> Options {
    let mut options = Options::default();
    for param in module {
        if let Some(key) = crate::bonding::option(&param.name).map(|o| o.key) {
            options.insert(
                key,
                BondOption {
                    value: param.value.as_str().into(),
                    origin: Origin::Modprobe(param.location),
                },
            );
        }
    }
    // Interfaces options override module defaults; the first stanza that sets one wins.
    let mut seen = Vec::new();
    for opt in iface.options() {
        if let Some(key) = option_key(&opt.opt.name.text) {
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            options.insert(
                key,
                BondOption {
                    value: opt.value().trim().into(),
                    origin: Origin::Interfaces(opt.value_location()),
                },
            );
        }
    }
    options.shrink_to_fit();
    options
}

// What the replay of ifenslave (`bringup`) predicts a bond runs with.

/// Who decided an option's final value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetBy {
    /// The kernel's default, untouched.
    KernelDefault,
    /// An `options bonding` module parameter (the bond was created with it).
    Module(Location),
    /// ifenslave wrote the `bond-*` option from interfaces.
    Interfaces(Location),
    /// The driver changed it as a side effect of another write (see the events).
    Driver,
}

impl SetBy {
    /// Where the value was written: the module parameter or the interfaces option.
    pub fn origin(self) -> Option<Origin> {
        match self {
            SetBy::Module(at) => Some(Origin::Modprobe(at)),
            SetBy::Interfaces(at) => Some(Origin::Interfaces(at)),
            SetBy::KernelDefault | SetBy::Driver => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// As sysfs shows it: names for modes and policies (`802.3ad`, `fast`, `layer2+3`),
    /// numbers in milliseconds, `arp_ip_target` as a space-separated list.
    /// Inline up to 24 bytes, as nearly every value is.
    pub value: compact_str::CompactString,
    pub set_by: SetBy,
}

/// Why a write did not take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// "option X: mode dependency failed, not supported in mode M".
    Mode(BondMode),
    /// "Unable to set up delay as MII monitoring is disabled" (EPERM).
    MiimonOff,
    /// The value is not one the driver accepts (EINVAL).
    Invalid,
}

/// Something the driver or ifenslave did that the configuration does not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The write of `key = value` failed; the option keeps its previous value.
    Refused {
        key: &'static str,
        value: String,
        at: Origin,
        why: Refusal,
    },
    /// A delay not a multiple of miimon: the driver rounds it down.
    Rounded {
        key: &'static str,
        from: u64,
        to: u64,
        miimon: u64,
        at: Origin,
    },
    /// Writing `by` turned `key` off (ARP and MII monitoring exclude each other; a mode without
    /// ARP support turns ARP monitoring off).
    TurnedOff { key: &'static str, by: &'static str },
    /// The driver turned miimon 100 on by itself, because the mode needs link monitoring:
    /// `at_load` when the module's checks did it, otherwise the write of `mode` did.
    MiimonForced { mode: BondMode, at_load: bool },
    /// The module's checks reset arp_interval to 0: no arp_ip_target was given with it.
    ArpWithoutTargets { at: Location },
    /// A `bond-*` option that ifenslave never writes: it has no effect.
    NotApplied { key: &'static str, at: Location },
    /// `bond-arp-ip-target a,b`: ifenslave writes each space-separated word as one target, and
    /// the kernel keeps the first address of a comma-joined word (observed in the VM): the
    /// targets after the comma are never probed.
    TargetsDropped {
        at: Location,
        kept: String,
        dropped: String,
    },
    /// A module parameter the driver ignores at load in the module's `mode`.
    ModuleParamIgnored {
        key: &'static str,
        at: Location,
        mode: BondMode,
    },
}

/// The predicted kernel state of one bond after `ifup`.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Every option the bond runs with.
    pub(super) values: ByKey<Value>,
    pub events: Vec<Event>,
}

impl Outcome {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    pub fn number(&self, key: &str) -> u64 {
        self.get(key)
            .and_then(|v| v.value.parse().ok())
            .unwrap_or(0)
    }

    pub fn mode(&self) -> BondMode {
        self.get("mode")
            .and_then(|v| BondMode::parse(&v.value))
            .unwrap_or(BondMode::BalanceRr)
    }

    /// The events about one option.
    pub fn events_for<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| match e {
            Event::Refused { key: k, .. }
            | Event::Rounded { key: k, .. }
            | Event::TurnedOff { key: k, .. }
            | Event::NotApplied { key: k, .. }
            | Event::ModuleParamIgnored { key: k, .. } => *k == key,
            Event::MiimonForced { .. } => key == "miimon",
            Event::ArpWithoutTargets { .. } => key == "arp_interval",
            Event::TargetsDropped { .. } => key == "arp_ip_target",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_accept_both_spellings() {
        assert_eq!(option_key("bond-miimon"), Some("miimon"));
        assert_eq!(
            option_key("bond_xmit_hash_policy"),
            Some("xmit_hash_policy")
        );
        assert_eq!(
            option_key("bond-xmit-hash-policy"),
            Some("xmit_hash_policy")
        );
        assert_eq!(option_key("bond-lacp_rate"), Some("lacp_rate"));
        assert_eq!(option_key("bond-slaves"), None);
        assert_eq!(option_key("bond-master"), None);
        assert_eq!(option_key("miimon"), None);
    }

    #[test]
    fn modes_by_name_and_number() {
        assert_eq!(BondMode::parse("4"), Some(BondMode::Ieee8023ad));
        assert_eq!(BondMode::parse("802.3ad"), Some(BondMode::Ieee8023ad));
        assert_eq!(
            BondMode::parse("active-backup"),
            Some(BondMode::ActiveBackup)
        );
        assert_eq!(BondMode::parse("7"), None);
        assert_eq!(BondMode::parse("lacp"), None);
    }
}
