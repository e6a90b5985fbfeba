//! The bonding driver's options: one table of what netvet knows about each, read from Linux 6.1
//! (`bond_opts[]` in drivers/net/bonding/bond_options.c, `bond_check_params` in bond_main.c)
//! and ifenslave 2.13's `if-pre-up.d/ifenslave`, with the facts it can observe proven in the VM
//! (`tests/vm/kernel-facts.sh`).
//!
//! Everything that judges, replays, reads or repairs a bond option iterates this table: the
//! parser's did-you-mean, the model's merge of interfaces and module parameters, the replay of
//! ifenslave (`model::bringup`), the rules (modes that use an option, options ifenslave never
//! writes), the live comparison (how to read the running value) and the coming repair (when
//! the kernel takes a change). It sits below every other layer and imports only the live
//! state's plain data.

use crate::live;

/// The bonding modes, in the driver's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BondMode {
    BalanceRr,
    ActiveBackup,
    BalanceXor,
    Broadcast,
    Ieee8023ad,
    BalanceTlb,
    BalanceAlb,
}

impl BondMode {
    pub const ALL: [BondMode; 7] = [
        BondMode::BalanceRr,
        BondMode::ActiveBackup,
        BondMode::BalanceXor,
        BondMode::Broadcast,
        BondMode::Ieee8023ad,
        BondMode::BalanceTlb,
        BondMode::BalanceAlb,
    ];

    /// A mode by name or number, as the driver accepts it (`4`, `802.3ad`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        BondMode::ALL
            .into_iter()
            .enumerate()
            // The number as the driver writes it: one digit, no sign or leading zero.
            .find(|&(i, m)| m.name() == text || text.as_bytes() == [b'0' + i as u8])
            .map(|(_, m)| m)
    }

    pub fn name(self) -> &'static str {
        match self {
            BondMode::BalanceRr => "balance-rr",
            BondMode::ActiveBackup => "active-backup",
            BondMode::BalanceXor => "balance-xor",
            BondMode::Broadcast => "broadcast",
            BondMode::Ieee8023ad => "802.3ad",
            BondMode::BalanceTlb => "balance-tlb",
            BondMode::BalanceAlb => "balance-alb",
        }
    }

    /// Whether ARP monitoring works in this mode (`bond_mode_uses_arp`). In the others
    /// (802.3ad, balance-tlb, balance-alb) the kernel turns MII monitoring on at 100 ms by
    /// itself when it is off: at module load (bond_check_params) and whenever the mode is
    /// written (bond_option_mode_set), as ifenslave does.
    pub fn uses_arp(self) -> bool {
        !matches!(
            self,
            BondMode::Ieee8023ad | BondMode::BalanceTlb | BondMode::BalanceAlb
        )
    }
}

/// What an option's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// A number (milliseconds for the monitors and delays).
    Number,
    /// 0 or 1.
    Flag,
    /// One of these names, or its index (`lacp_rate 1` is `fast`).
    Names(&'static [&'static str]),
    /// A list of addresses (`arp_ip_target`, `ns_ip6_target`).
    Addresses,
    /// A slave's name.
    Interface,
    /// A MAC address.
    Mac,
}

/// When the kernel takes a change of the option (observed in the VM on a bond that is up with
/// two slaves, then down, then without slaves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Any time.
    Running,
    /// Only while the bond is down (`BOND_OPTFLAG_IFDOWN`): "unable to set option because the
    /// bond is up".
    BondDown,
    /// Only while the bond has no slaves (`BOND_OPTFLAG_NOSLAVES`).
    NoSlaves,
    /// Only while the bond is down and has no slaves (both flags: `mode`).
    DownNoSlaves,
}

/// One bonding option.
#[derive(Debug)]
pub struct BondOption {
    /// The name sysfs, module parameters and `bond-*` options (with `-`) use.
    pub key: &'static str,
    pub values: Values,
    /// The kernel's default, as sysfs shows it.
    pub default: Option<&'static str>,
    /// Its place in the order ifenslave writes options to sysfs (`setup_master`, then
    /// `setup_primary`); `None` when ifenslave never writes it (NV114).
    pub ifenslave: Option<u8>,
    /// The modes that use it; empty when every mode does.
    pub modes: &'static [BondMode],
    /// Whether the driver refuses a write in any other mode ("option X: mode dependency failed,
    /// not supported in mode M", `unsuppmodes`), rather than keeping a value it ignores.
    pub refused_elsewhere: bool,
    pub applies: Applies,
    /// Whether the replay of ifenslave (`model::bringup`) follows its value.
    pub replayed: bool,
    /// The running value in a live state, as sysfs shows it; `None` when the live state does
    /// not carry it.
    pub live: Option<fn(&live::Bond) -> Option<String>>,
}

use BondMode::*;

const ARP_MODES: &[BondMode] = &[BalanceRr, ActiveBackup, BalanceXor, Broadcast];
const LACP: &[BondMode] = &[Ieee8023ad];
const PRIMARY_MODES: &[BondMode] = &[ActiveBackup, BalanceTlb, BalanceAlb];
const TLB_MODES: &[BondMode] = &[BalanceTlb, BalanceAlb];

const fn opt(key: &'static str, values: Values, default: Option<&'static str>) -> BondOption {
    BondOption {
        key,
        values,
        default,
        ifenslave: None,
        modes: &[],
        refused_elsewhere: false,
        applies: Applies::Running,
        replayed: false,
        live: None,
    }
}

fn number(v: Option<u32>) -> Option<String> {
    v.map(|v| v.to_string())
}

/// Every bonding option of Linux 6.1, in the order of `bond_opts[]`'s documentation.
pub const OPTIONS: &[BondOption] = &[
    BondOption {
        ifenslave: Some(10),
        applies: Applies::DownNoSlaves,
        replayed: true,
        live: Some(|b| Some(b.mode.clone())),
        ..opt(
            "mode",
            Values::Names(&[
                "balance-rr",
                "active-backup",
                "balance-xor",
                "broadcast",
                "802.3ad",
                "balance-tlb",
                "balance-alb",
            ]),
            Some("balance-rr"),
        )
    },
    BondOption {
        ifenslave: Some(6),
        replayed: true,
        live: Some(|b| number(b.miimon)),
        ..opt("miimon", Values::Number, Some("0"))
    },
    BondOption {
        ifenslave: Some(8),
        replayed: true,
        live: Some(|b| number(b.updelay)),
        ..opt("updelay", Values::Number, Some("0"))
    },
    BondOption {
        ifenslave: Some(7),
        replayed: true,
        live: Some(|b| number(b.downdelay)),
        ..opt("downdelay", Values::Number, Some("0"))
    },
    opt("peer_notif_delay", Values::Number, Some("0")),
    BondOption {
        ifenslave: Some(1),
        replayed: true,
        ..opt("use_carrier", Values::Flag, Some("1"))
    },
    BondOption {
        ifenslave: Some(5),
        modes: ARP_MODES,
        refused_elsewhere: true,
        replayed: true,
        live: Some(|b| number(b.arp_interval)),
        ..opt("arp_interval", Values::Number, Some("0"))
    },
    BondOption {
        ifenslave: Some(4),
        replayed: true,
        // As sysfs shows them: space-separated, in the order they were added.
        live: Some(|b| Some(b.arp_ip_target.join(" "))),
        ..opt("arp_ip_target", Values::Addresses, None)
    },
    opt("ns_ip6_target", Values::Addresses, None),
    BondOption {
        ifenslave: Some(14),
        modes: ARP_MODES,
        refused_elsewhere: true,
        replayed: true,
        ..opt(
            "arp_validate",
            Values::Names(&[
                "none",
                "active",
                "backup",
                "all",
                "filter",
                "filter_active",
                "filter_backup",
            ]),
            Some("none"),
        )
    },
    BondOption {
        modes: ARP_MODES,
        ..opt(
            "arp_all_targets",
            Values::Names(&["any", "all"]),
            Some("any"),
        )
    },
    BondOption {
        modes: ARP_MODES,
        refused_elsewhere: true,
        ..opt("arp_missed_max", Values::Number, Some("2"))
    },
    BondOption {
        ifenslave: Some(16),
        modes: PRIMARY_MODES,
        refused_elsewhere: true,
        replayed: true,
        live: Some(|b| b.primary.clone()),
        ..opt("primary", Values::Interface, None)
    },
    BondOption {
        ifenslave: Some(17),
        modes: PRIMARY_MODES,
        replayed: true,
        ..opt(
            "primary_reselect",
            Values::Names(&["always", "better", "failure"]),
            Some("always"),
        )
    },
    BondOption {
        ifenslave: Some(0),
        modes: &[ActiveBackup],
        applies: Applies::NoSlaves,
        replayed: true,
        ..opt(
            "fail_over_mac",
            Values::Names(&["none", "active", "follow"]),
            Some("none"),
        )
    },
    BondOption {
        ifenslave: Some(11),
        modes: &[BalanceXor, Ieee8023ad, BalanceTlb, BalanceAlb],
        replayed: true,
        live: Some(|b| b.xmit_hash_policy.clone()),
        ..opt(
            "xmit_hash_policy",
            Values::Names(&[
                "layer2",
                "layer3+4",
                "layer2+3",
                "encap2+3",
                "encap3+4",
                "vlan+srcmac",
            ]),
            Some("layer2"),
        )
    },
    opt("resend_igmp", Values::Number, Some("1")),
    BondOption {
        ifenslave: Some(2),
        replayed: true,
        ..opt("num_grat_arp", Values::Number, Some("1"))
    },
    BondOption {
        ifenslave: Some(3),
        ..opt("num_unsol_na", Values::Number, Some("1"))
    },
    BondOption {
        ifenslave: Some(15),
        modes: LACP,
        refused_elsewhere: true,
        applies: Applies::BondDown,
        replayed: true,
        live: Some(|b| b.lacp_rate.clone()),
        ..opt("lacp_rate", Values::Names(&["slow", "fast"]), Some("slow"))
    },
    BondOption {
        modes: LACP,
        refused_elsewhere: true,
        applies: Applies::BondDown,
        ..opt("lacp_active", Values::Names(&["off", "on"]), Some("on"))
    },
    BondOption {
        ifenslave: Some(9),
        modes: LACP,
        applies: Applies::BondDown,
        replayed: true,
        live: Some(|b| b.ad_select.clone()),
        ..opt(
            "ad_select",
            Values::Names(&["stable", "bandwidth", "count"]),
            Some("stable"),
        )
    },
    BondOption {
        modes: LACP,
        refused_elsewhere: true,
        ..opt("ad_actor_sys_prio", Values::Number, Some("65535"))
    },
    BondOption {
        modes: LACP,
        refused_elsewhere: true,
        ..opt("ad_actor_system", Values::Mac, None)
    },
    BondOption {
        modes: LACP,
        refused_elsewhere: true,
        applies: Applies::BondDown,
        ..opt("ad_user_port_key", Values::Number, Some("0"))
    },
    BondOption {
        modes: LACP,
        replayed: true,
        live: Some(|b| number(b.min_links)),
        ..opt("min_links", Values::Number, Some("0"))
    },
    opt("all_slaves_active", Values::Flag, Some("0")),
    BondOption {
        ifenslave: Some(13),
        modes: &[BalanceRr],
        refused_elsewhere: true,
        replayed: true,
        ..opt("packets_per_slave", Values::Number, Some("1"))
    },
    BondOption {
        ifenslave: Some(12),
        modes: TLB_MODES,
        refused_elsewhere: true,
        applies: Applies::BondDown,
        replayed: true,
        ..opt("tlb_dynamic_lb", Values::Flag, Some("1"))
    },
    BondOption {
        modes: TLB_MODES,
        ..opt("lp_interval", Values::Number, Some("1"))
    },
];

/// The option the driver calls `key`.
pub fn option(key: &str) -> Option<&'static BondOption> {
    OPTIONS.iter().find(|o| o.key == key)
}

/// `bond-miimon`, `bond_miimon`, `bond-lacp_rate` ... to the driver's option (`miimon`).
/// `bond-slaves` and `bond-master` are not driver options.
///
/// Case-insensitive, `-` and `_` alike, and without allocating: it runs for every option of
/// every stanza of large hosts.
pub fn option_named(option_name: &str) -> Option<&'static BondOption> {
    let name = option_name.as_bytes();
    if name.len() < 5 || !name[..4].eq_ignore_ascii_case(b"bond") || !matches!(name[4], b'-' | b'_')
    {
        return None;
    }
    let key = &name[5..];
    OPTIONS.iter().find(|o| {
        o.key.len() == key.len()
            && o.key.bytes().zip(key).all(|(k, &w)| {
                k == if w == b'-' {
                    b'_'
                } else {
                    w.to_ascii_lowercase()
                }
            })
    })
}

/// The options ifenslave writes, in the order it writes them.
pub fn ifenslave_writes() -> impl Iterator<Item = &'static BondOption> {
    static ORDER: std::sync::OnceLock<Vec<&'static BondOption>> = std::sync::OnceLock::new();
    ORDER
        .get_or_init(|| {
            let mut written: Vec<&BondOption> =
                OPTIONS.iter().filter(|o| o.ifenslave.is_some()).collect();
            written.sort_by_key(|o| o.ifenslave);
            written
        })
        .iter()
        .copied()
}

impl BondOption {
    /// The names the option takes, in the driver's order; `None` when it is not a choice of
    /// names.
    pub fn names(&self) -> Option<&'static [&'static str]> {
        match self.values {
            Values::Names(names) => Some(names),
            _ => None,
        }
    }

    /// Whether `mode` uses the option.
    pub fn used_in(&self, mode: BondMode) -> bool {
        self.modes.is_empty() || self.modes.contains(&mode)
    }

    /// Whether the driver refuses a write of the option in `mode`.
    pub fn refused_in(&self, mode: BondMode) -> bool {
        self.refused_elsewhere && !self.used_in(mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifenslave_writes_in_its_own_order() {
        let order: Vec<&str> = ifenslave_writes().map(|o| o.key).collect();
        assert_eq!(
            order,
            [
                "fail_over_mac",
                "use_carrier",
                "num_grat_arp",
                "num_unsol_na",
                "arp_ip_target",
                "arp_interval",
                "miimon",
                "downdelay",
                "updelay",
                "ad_select",
                "mode",
                "xmit_hash_policy",
                "tlb_dynamic_lb",
                "packets_per_slave",
                "arp_validate",
                "lacp_rate",
                "primary",
                "primary_reselect",
            ]
        );
    }

    #[test]
    fn names_and_modes() {
        assert_eq!(
            option_named("bond-lacp_rate").map(|o| o.key),
            Some("lacp_rate")
        );
        assert_eq!(option_named("bond-master").map(|o| o.key), None);
        assert!(option("lacp_rate").unwrap().refused_in(BalanceRr));
        assert!(!option("xmit_hash_policy").unwrap().refused_in(BalanceRr));
        assert!(!option("xmit_hash_policy").unwrap().used_in(BalanceRr));
        assert!(option("miimon").unwrap().used_in(Broadcast));
        assert_eq!(BondMode::parse("4"), Some(Ieee8023ad));
        // Every key once.
        let mut keys: Vec<&str> = OPTIONS.iter().map(|o| o.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), OPTIONS.len());
    }
}
