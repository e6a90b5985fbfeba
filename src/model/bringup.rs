//! What a bond ends up with in the kernel after `ifup`, predicted from the configuration.
//!
//! Debian's ifupdown hands a stanza's `bond-*` options to ifenslave's `if-pre-up.d/ifenslave`,
//! which creates the bond (`ip link add dev BOND type bond`, so the bond starts from the bonding
//! module's defaults: its `options bonding` parameters after the driver's own checks) and then
//! writes a fixed subset of the options to `/sys/class/net/BOND/bonding/*`, one by one, in a
//! fixed order. Each write goes through the driver's option code, which may refuse it (the mode
//! does not support the option; a delay with MII monitoring off) or change other options (ARP
//! monitoring turns MII monitoring off and back; a mode without ARP support turns miimon 100 on).
//! A refused write is printed by ifenslave and ignored: `ifup` still succeeds.
//!
//! This module replays that sequence. It is the kernel's behaviour as read from Linux 6.1
//! (`bond_check_params` in bond_main.c, `bond_opts[]` and the `bond_option_*_set` functions in
//! bond_options.c) and ifenslave 2.13's write order; `tests/vm/fixtures.sh` checks the
//! predictions against the real ifup on every fixture.

use std::collections::BTreeMap;

use super::bond::{Bond, BondMode, ModuleParam, Origin};
pub use super::bond::{Event, Outcome, Refusal, SetBy, Value};
use crate::source::Location;

/// Whether the driver refuses a write of `key` in `mode` (`unsuppmodes` in bond_opts[]).
fn refused_in(key: &str, mode: BondMode) -> bool {
    crate::bonding::option(key).is_some_and(|o| o.refused_in(mode))
}

/// The driver's per-bond parameters while the sequence runs. Delays are kept as the driver
/// keeps them, in multiples of miimon.
struct Params {
    mode: BondMode,
    miimon: u64,
    arp_interval: u64,
    arp_targets: Vec<String>,
    updelay: u64,
    downdelay: u64,
    other: BTreeMap<&'static str, String>,
    set_by: BTreeMap<&'static str, SetBy>,
}

impl Params {
    fn set_by(&mut self, key: &'static str, by: SetBy) {
        self.set_by.insert(key, by);
    }

    /// The driver switched `key` off as a side effect of writing `by`.
    fn turned_off(&mut self, key: &'static str, by: &'static str, events: &mut Vec<Event>) {
        match key {
            "miimon" => self.miimon = 0,
            _ => self.arp_interval = 0,
        }
        self.set_by(key, SetBy::Driver);
        events.push(Event::TurnedOff { key, by });
    }

    /// MII monitoring off in a mode that needs link monitoring: the driver turns on 100 ms,
    /// at load (`bond_check_params`) or when the mode is written (`bond_option_mode_set`).
    fn force_miimon(&mut self, mode: BondMode, at_load: bool, events: &mut Vec<Event>) {
        if mode.uses_arp() || self.miimon > 0 {
            return;
        }
        self.miimon = 100;
        self.set_by("miimon", SetBy::Driver);
        events.push(Event::MiimonForced { mode, at_load });
    }

    /// updelay or downdelay, which the driver keeps as a multiple of miimon, rounded down.
    /// False, and nothing stored, when miimon is 0.
    fn set_delay(
        &mut self,
        key: &'static str,
        value: u64,
        at: Origin,
        events: &mut Vec<Event>,
    ) -> bool {
        let miimon = self.miimon;
        let Some(multiple) = value.checked_div(miimon) else {
            return false;
        };
        if multiple * miimon != value {
            events.push(Event::Rounded {
                key,
                from: value,
                to: multiple * miimon,
                miimon,
                at,
            });
        }
        if key == "updelay" {
            self.updelay = multiple;
        } else {
            self.downdelay = multiple;
        }
        true
    }

    fn outcome(self, events: Vec<Event>) -> Outcome {
        let mut values = super::bond::ByKey::default();
        let by = |k: &str| self.set_by.get(k).copied().unwrap_or(SetBy::KernelDefault);
        let mut put = |key: &'static str, value: String| {
            values.insert(
                key,
                Value {
                    value: value.into(),
                    set_by: by(key),
                },
            );
        };
        put("mode", self.mode.name().to_string());
        put("miimon", self.miimon.to_string());
        put("arp_interval", self.arp_interval.to_string());
        put("arp_ip_target", self.arp_targets.join(" "));
        put("updelay", (self.updelay * self.miimon).to_string());
        put("downdelay", (self.downdelay * self.miimon).to_string());
        for (key, value) in &self.other {
            put(key, value.clone());
        }
        values.shrink_to_fit();
        Outcome { values, events }
    }
}

/// The value a sysfs write of `key` stores, as sysfs shows it; `None` if the driver refuses it
/// as invalid.
fn canonical(key: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if key == "primary" {
        return Some(value.to_string());
    }
    let Some(table) = crate::bonding::option(key).and_then(|o| o.names()) else {
        // Numeric options.
        return value.parse::<u64>().ok().map(|n| n.to_string());
    };
    if let Some(name) = table.iter().find(|n| **n == value) {
        return Some((*name).to_string());
    }
    let n: usize = value.parse().ok()?;
    table.get(n).map(|s| (*s).to_string())
}

/// The kernel defaults, then the module parameters through `bond_check_params`.
fn module_defaults(module: &[ModuleParam], events: &mut Vec<Event>) -> Params {
    let mut p = Params {
        mode: BondMode::BalanceRr,
        miimon: 0,
        arp_interval: 0,
        arp_targets: Vec::new(),
        updelay: 0,
        downdelay: 0,
        other: BTreeMap::new(),
        set_by: BTreeMap::new(),
    };
    for option in crate::bonding::OPTIONS.iter().filter(|o| o.replayed) {
        if let Some(default) = option.default {
            if !matches!(
                option.key,
                "mode" | "miimon" | "arp_interval" | "updelay" | "downdelay"
            ) {
                p.other.insert(option.key, default.to_string());
            }
        }
    }
    // The last value of a parameter given twice wins.
    let last = |name: &str| module.iter().rev().find(|m| m.name == name);
    let num = |name: &str| {
        last(name).and_then(|m| m.value.trim().parse::<u64>().ok().map(|v| (v, m.location)))
    };
    if let Some(m) = last("mode") {
        if let Some(mode) = BondMode::parse(&m.value) {
            p.mode = mode;
            p.set_by("mode", SetBy::Module(m.location));
        }
    }
    for (key, slot) in [
        ("miimon", &mut p.miimon),
        ("arp_interval", &mut p.arp_interval),
    ] {
        if let Some((v, at)) = num(key) {
            *slot = v;
            p.set_by.insert(key, SetBy::Module(at));
        }
    }
    p.force_miimon(p.mode, true, events);
    if p.miimon > 0 && p.arp_interval > 0 {
        p.turned_off("arp_interval", "miimon", events);
    }
    // With miimon 0 the delays are ignored ("updelay and downdelay have no effect unless
    // miimon is set").
    for key in ["updelay", "downdelay"] {
        if let Some((v, at)) = num(key) {
            p.set_delay(key, v, Origin::Modprobe(at), events);
            p.set_by(key, SetBy::Module(at));
        }
    }
    if let Some(m) = last("arp_ip_target") {
        p.arp_targets = m
            .value
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        p.set_by("arp_ip_target", SetBy::Module(m.location));
    }
    if p.arp_interval > 0 && p.arp_targets.is_empty() {
        p.arp_interval = 0;
        p.set_by("arp_interval", SetBy::Driver);
        if let Some(m) = last("arp_interval") {
            events.push(Event::ArpWithoutTargets { at: m.location });
        }
    }
    // Every option with a default is in `other`; `primary` has none. Some parameters count only
    // in some modes of the module's own `mode` (bond_check_params): elsewhere the driver says
    // "lacp_rate param is irrelevant in mode ..." and keeps its default, even if ifenslave later
    // switches the bond to a mode that uses it.
    let keys: Vec<&'static str> = p.other.keys().copied().collect();
    let primary_given = last("primary").is_some();
    for key in keys.into_iter().chain(["primary"]) {
        let Some(m) = last(key) else { continue };
        use BondMode::*;
        let taken = match key {
            "lacp_rate" => p.mode == Ieee8023ad,
            "xmit_hash_policy" => matches!(p.mode, BalanceXor | Ieee8023ad | BalanceTlb),
            "primary" => !refused_in(key, p.mode),
            "primary_reselect" => primary_given && !refused_in("primary", p.mode),
            // Always 1 at load in 6.1.
            "tlb_dynamic_lb" => false,
            _ => true,
        };
        if !taken {
            events.push(Event::ModuleParamIgnored {
                key,
                at: m.location,
                mode: p.mode,
            });
            continue;
        }
        if let Some(v) = canonical(key, &m.value) {
            p.other.insert(key, v);
            p.set_by(key, SetBy::Module(m.location));
        }
    }
    p
}

/// Replay ifupdown and ifenslave bringing a bond up: the bond's own writes, then each run of
/// `setup_primary` in `primaries` (each writes the first name of its `bond-primary` that is a
/// slave at that moment, nothing when none is, then its `primary_reselect`; the last write
/// wins), then the options `up` hooks write to sysfs (`hooks`), with the bond's `slaves`.
pub fn bond(
    bond: &Bond,
    module: &[ModuleParam],
    primaries: &[PrimaryWrite<'_>],
    hooks: &[HookWrite<'_>],
    slaves: &[super::Name],
) -> Outcome {
    let mut events = Vec::new();
    let mut p = module_defaults(module, &mut events);
    let from_interfaces: Vec<(&'static str, compact_str::CompactString, Location)> = bond
        .options
        .iter()
        .filter_map(|(key, opt)| match opt.origin {
            Origin::Interfaces(at) => Some((*key, opt.value.clone(), at)),
            _ => None,
        })
        .collect();
    for (key, _, at) in &from_interfaces {
        if crate::bonding::option(key).is_none_or(|o| o.ifenslave.is_none()) {
            events.push(Event::NotApplied { key, at: *at });
        }
    }
    // `primary` and `primary_reselect` come last, from `setup_primary`, which runs wherever
    // a bond gets slaves: `primaries` replays it.
    for key in crate::bonding::ifenslave_writes()
        .map(|o| o.key)
        .filter(|k| !matches!(*k, "primary" | "primary_reselect"))
    {
        let Some((_, value, at)) = from_interfaces.iter().find(|(k, _, _)| *k == key) else {
            continue;
        };
        let (value, at) = (value.trim(), *at);
        if value.is_empty() {
            continue;
        }
        write(&mut p, key, value, at, &[], &mut events);
    }
    for w in primaries {
        if let Some((value, at)) = w.primary {
            write(&mut p, "primary", value, at, w.enslaved, &mut events);
        }
        if let Some((value, at)) = w.reselect.filter(|(v, _)| !v.trim().is_empty()) {
            write(
                &mut p,
                "primary_reselect",
                value.trim(),
                at,
                w.enslaved,
                &mut events,
            );
        }
    }
    // The stanzas' `up` commands that write bonding options to sysfs, once the bond is up
    // with its slaves.
    for w in hooks {
        write(&mut p, w.key, w.value.trim(), w.at, slaves, &mut events);
    }
    p.outcome(events)
}

/// A bonding option an `up` hook writes to sysfs (`echo 2 > /sys/class/net/$IFACE/bonding/
/// min_links`), at the hook command.
pub struct HookWrite<'a> {
    pub key: &'static str,
    pub value: &'a str,
    pub at: Location,
}

/// One run of ifenslave's `setup_primary` for a bond: the `bond-primary` and
/// `bond-primary-reselect` of the stanza it runs from (the bond's own, after it enslaved its
/// `bond-slaves`; or a slave's, after that slave joined), and the slaves the bond has then.
pub struct PrimaryWrite<'a> {
    pub primary: Option<(&'a str, Location)>,
    pub reselect: Option<(&'a str, Location)>,
    pub enslaved: &'a [super::Name],
}

/// One sysfs write, with the driver's checks and side effects.
fn write(
    p: &mut Params,
    key: &'static str,
    value: &str,
    at: Location,
    slaves: &[super::Name],
    events: &mut Vec<Event>,
) {
    let origin = Origin::Interfaces(at);
    let refuse = |why, events: &mut Vec<Event>| {
        events.push(Event::Refused {
            key,
            value: value.to_string(),
            at: origin,
            why,
        });
    };
    // ifenslave writes the first listed name that is a slave, or nothing.
    let value = if key == "primary" {
        match value
            .split_whitespace()
            .find(|n| slaves.iter().any(|s| s == n))
        {
            Some(name) => name,
            None => return,
        }
    } else {
        value
    };
    if refused_in(key, p.mode) {
        return refuse(Refusal::Mode(p.mode), events);
    }
    let number = value.parse::<u64>().ok();
    match key {
        "arp_ip_target" => {
            // ifenslave writes `+WORD` for each space-separated word; of `a,b` the kernel
            // keeps `a`.
            for word in value.split_whitespace() {
                let (target, rest) = word.split_once(',').unwrap_or((word, ""));
                if !rest.is_empty() {
                    events.push(Event::TargetsDropped {
                        at,
                        kept: target.to_string(),
                        dropped: rest.replace(',', " "),
                    });
                }
                if !target.is_empty() && !p.arp_targets.iter().any(|t| t == target) {
                    p.arp_targets.push(target.to_string());
                }
            }
            p.set_by(key, SetBy::Interfaces(at));
        }
        "arp_interval" => {
            let Some(v) = number else {
                return refuse(Refusal::Invalid, events);
            };
            p.arp_interval = v;
            p.set_by(key, SetBy::Interfaces(at));
            if v > 0 && p.miimon > 0 {
                p.turned_off("miimon", key, events);
            }
        }
        "miimon" => {
            let Some(v) = number else {
                return refuse(Refusal::Invalid, events);
            };
            p.miimon = v;
            p.set_by(key, SetBy::Interfaces(at));
            if v > 0 && p.arp_interval > 0 {
                p.turned_off("arp_interval", key, events);
            }
        }
        "updelay" | "downdelay" => {
            let Some(v) = number else {
                return refuse(Refusal::Invalid, events);
            };
            if !p.set_delay(key, v, origin, events) {
                return refuse(Refusal::MiimonOff, events);
            }
            p.set_by(key, SetBy::Interfaces(at));
        }
        "mode" => {
            let Some(mode) = BondMode::parse(value) else {
                return refuse(Refusal::Invalid, events);
            };
            if !mode.uses_arp() && p.arp_interval > 0 {
                p.turned_off("arp_interval", key, events);
            }
            p.force_miimon(mode, false, events);
            if mode == BondMode::BalanceAlb {
                p.other.insert("tlb_dynamic_lb", "1".to_string());
            }
            p.other.insert("arp_validate", "none".to_string());
            p.mode = mode;
            p.set_by(key, SetBy::Interfaces(at));
        }
        "primary" => {
            p.other.insert(key, value.to_string());
            p.set_by(key, SetBy::Interfaces(at));
        }
        _ => {
            let Some(v) = canonical(key, value) else {
                return refuse(Refusal::Invalid, events);
            };
            p.other.insert(key, v);
            p.set_by(key, SetBy::Interfaces(at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Root, Target, load, test_tree};
    use crate::model::Model;

    /// The kernel outcome for bond0 of an interfaces file (and an optional modprobe.d file).
    fn outcome(interfaces: &str, modprobe: &str) -> (Outcome, Vec<Event>) {
        let dir = test_tree(&[
            ("etc/network/interfaces", interfaces),
            ("etc/modprobe.d/bonding.conf", modprobe),
        ]);
        let host = load(&Target::Root(Root::new(dir.path())));
        let model = Model::build(&host);
        let bond = model
            .get("bond0")
            .and_then(|i| i.bond.as_ref())
            .expect("bond0");
        (bond.kernel.clone(), bond.kernel.events.clone())
    }

    fn bond0(options: &str) -> String {
        format!("auto bond0\niface bond0 inet manual\n    bond-slaves eno1 eno2\n{options}")
    }

    #[test]
    fn the_mode_write_turns_miimon_on_after_an_explicit_zero() {
        let (k, events) = outcome(&bond0("    bond-mode 802.3ad\n    bond-miimon 0\n"), "");
        assert_eq!(k.number("miimon"), 100);
        assert!(events.contains(&Event::MiimonForced {
            mode: BondMode::Ieee8023ad,
            at_load: false
        }));
    }

    #[test]
    fn a_mode_from_the_module_is_not_written_so_miimon_0_stays() {
        let (k, _) = outcome(&bond0("    bond-miimon 0\n"), "options bonding mode=4\n");
        assert_eq!(k.mode(), BondMode::Ieee8023ad);
        assert_eq!(k.number("miimon"), 0);
    }

    #[test]
    fn arp_monitoring_written_before_an_8023ad_mode_is_replaced() {
        let (k, events) = outcome(
            &bond0(
                "    bond-mode 802.3ad\n    bond-arp-interval 1000\n    bond-arp-ip-target 198.18.0.1\n",
            ),
            "",
        );
        assert_eq!((k.number("arp_interval"), k.number("miimon")), (0, 100));
        assert!(events.contains(&Event::TurnedOff {
            key: "arp_interval",
            by: "mode"
        }));
    }

    #[test]
    fn arp_interval_is_refused_when_the_module_already_chose_8023ad() {
        let (k, events) = outcome(
            &bond0("    bond-arp-interval 1000\n"),
            "options bonding mode=802.3ad\n",
        );
        assert_eq!(k.number("arp_interval"), 0);
        assert!(events.iter().any(|e| matches!(
            e,
            Event::Refused {
                key: "arp_interval",
                why: Refusal::Mode(BondMode::Ieee8023ad),
                ..
            }
        )));
    }

    #[test]
    fn miimon_written_after_arp_interval_wins() {
        let (k, _) = outcome(
            &bond0(
                "    bond-mode active-backup\n    bond-miimon 100\n    bond-arp-interval 1000\n    bond-arp-ip-target 198.18.0.1\n",
            ),
            "",
        );
        assert_eq!((k.number("miimon"), k.number("arp_interval")), (100, 0));
    }

    #[test]
    fn delays_round_down_and_are_refused_without_miimon() {
        let (k, _) = outcome(
            &bond0("    bond-mode active-backup\n    bond-miimon 100\n    bond-updelay 250\n"),
            "",
        );
        assert_eq!(k.number("updelay"), 200);
        // The mode turns miimon on only after the delay was written.
        let (k, events) = outcome(&bond0("    bond-mode 802.3ad\n    bond-updelay 200\n"), "");
        assert_eq!((k.number("updelay"), k.number("miimon")), (0, 100));
        assert!(events.iter().any(|e| matches!(
            e,
            Event::Refused {
                key: "updelay",
                why: Refusal::MiimonOff,
                ..
            }
        )));
    }

    #[test]
    fn module_checks_reset_arp_without_targets_and_force_miimon() {
        let (k, events) = outcome(&bond0(""), "options bonding arp_interval=1000\n");
        assert_eq!(k.number("arp_interval"), 0);
        assert!(matches!(events[0], Event::ArpWithoutTargets { .. }));
        let (k, _) = outcome(&bond0(""), "options bonding mode=balance-alb\n");
        assert_eq!(k.number("miimon"), 100);
    }

    #[test]
    fn options_ifenslave_does_not_write_have_no_effect() {
        let (k, events) = outcome(&bond0("    bond-mode 802.3ad\n    bond-min-links 2\n"), "");
        assert_eq!(k.number("min_links"), 0);
        assert!(events.iter().any(|e| matches!(
            e,
            Event::NotApplied {
                key: "min_links",
                ..
            }
        )));
        let (k, _) = outcome(
            &bond0("    bond-mode 802.3ad\n"),
            "options bonding min_links=2\n",
        );
        assert_eq!(k.number("min_links"), 2);
    }

    #[test]
    fn primary_is_written_only_for_an_enslaved_name() {
        let (k, _) = outcome(
            &bond0("    bond-mode active-backup\n    bond-primary eno9 eno2\n"),
            "",
        );
        assert_eq!(k.get("primary").map(|v| v.value.as_str()), Some("eno2"));
    }
}
