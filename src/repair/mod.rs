//! `netvet repair`: put the running kernel back in line with the configuration.
//!
//! [`plan`] turns the drifts between the configuration's expected state and the live state
//! (`model::drift`, the NV5xx findings) into actions, in the order the kernel needs them: bond
//! options first, then slaves into their bonds, then MTUs (parents before children when
//! raising, children before parents when lowering), then `auto` links up. Each action is one
//! netlink change with the change that undoes it. The bond-option table says when the kernel
//! takes a change (`bonding::Applies`): what needs the bond down, or without slaves, is planned
//! with its exact steps but waits for `--allow-link-down`; so does anything that would take
//! down a link management traffic goes through. Planning is pure; [`apply`] executes.

pub mod apply;

use crate::bonding::Applies;
use crate::live::{LinkChange, LiveState};
use crate::model::Model;
use crate::model::drift::{self, Drift, SlaveState};

/// One netlink change to one link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    BondOption {
        bond: String,
        key: &'static str,
        value: String,
    },
    Mtu {
        link: String,
        mtu: u32,
    },
    Master {
        link: String,
        master: Option<String>,
    },
    Admin {
        link: String,
        up: bool,
    },
}

impl Change {
    pub fn link(&self) -> &str {
        match self {
            Change::BondOption { bond, .. } => bond,
            Change::Mtu { link, .. } | Change::Master { link, .. } | Change::Admin { link, .. } => {
                link
            }
        }
    }

    /// The netlink request that makes it.
    pub fn request(&self) -> LinkChange<'_> {
        match self {
            Change::BondOption { key, value, .. } => LinkChange::BondOption {
                key,
                value: netlink_value(key, value),
            },
            Change::Mtu { mtu, .. } => LinkChange::Mtu(*mtu),
            Change::Master { master, .. } => LinkChange::Master(master.as_deref()),
            Change::Admin { up, .. } => LinkChange::Admin(*up),
        }
    }

    /// Whether the live state shows the change made.
    pub fn holds(&self, live: &LiveState) -> bool {
        let Some(link) = live.link(self.link()) else {
            return false;
        };
        match self {
            Change::BondOption { key, value, .. } => {
                let read = crate::bonding::option(key).and_then(|o| o.live);
                link.bond
                    .as_ref()
                    .and_then(|b| read.and_then(|read| read(b)))
                    .is_some_and(|have| have == *value)
            }
            Change::Mtu { mtu, .. } => link.mtu == Some(*mtu),
            Change::Master { master, .. } => link.master == *master,
            Change::Admin { up, .. } => link.admin_up == *up,
        }
    }
}

/// A bonding option's value as netlink carries it: a named value (`fast`, `802.3ad`) by its
/// index in the option's table, which is the kernel's number for it.
fn netlink_value(key: &str, value: &str) -> String {
    let word = value.split_whitespace().next().unwrap_or_default();
    match crate::bonding::option(key).map(|o| &o.values) {
        Some(crate::bonding::Values::Names(names)) => names
            .iter()
            .position(|n| *n == word)
            .map_or_else(|| value.to_string(), |i| i.to_string()),
        _ => value.to_string(),
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::BondOption { bond, key, value } => write!(f, "set {bond} {key} {value}"),
            Change::Mtu { link, mtu } => write!(f, "set {link} mtu {mtu}"),
            Change::Master {
                link,
                master: Some(bond),
            } => write!(f, "enslave {link} to {bond}"),
            Change::Master { link, master: None } => write!(f, "release {link} from its bond"),
            Change::Admin { link, up: true } => write!(f, "set {link} up"),
            Change::Admin { link, up: false } => write!(f, "set {link} down"),
        }
    }
}

/// A change, what undoes it, and the finding it repairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub change: Change,
    pub undo: Change,
    /// The rule and what the drift is (`NV501 bond0 runs with miimon 0, configured 100`).
    pub why: String,
}

/// Steps that need a link down, planned exactly, executed only with `--allow-link-down`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub steps: Vec<Action>,
    /// Why they wait: the bond must be down (or without slaves), and which management path
    /// it carries, if any.
    pub reason: String,
}

/// What repair does, in order, and what it leaves.
#[derive(Debug, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Steps that wait for `--allow-link-down`.
    pub waiting: Vec<Waiting>,
    /// Drifts repair does not touch, with why (a device that does not exist, a slave nothing
    /// configures).
    pub manual: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.waiting.is_empty()
    }
}

/// How to plan.
#[derive(Debug, Default)]
pub struct Options {
    /// Execute steps that take a link down (a bond option the kernel takes only with the bond
    /// down, a slave moved from another bond).
    pub allow_link_down: bool,
    /// Links management traffic goes through, with why (`live::management_links`).
    pub management: Vec<(String, String)>,
}

/// The actions that bring `live` in line with `model`.
pub fn plan(model: &Model<'_>, live: &LiveState, options: &Options) -> Plan {
    let expected = drift::expected(model);
    let drifts = drift::diff(model, &expected, live);
    let guarded = guarded_links(live, &options.management);
    let mut plan = Plan::default();
    let mut enslave = Vec::new();
    let mut mtus: Vec<(u32, Action, bool)> = Vec::new();
    let mut admin = Vec::new();
    for d in &drifts {
        match d {
            Drift::BondOption { bond, option, have } => {
                let Some(table) = crate::bonding::option(option.key) else {
                    continue;
                };
                let set = Action {
                    change: Change::BondOption {
                        bond: bond.to_string(),
                        key: table.key,
                        value: option.value.clone(),
                    },
                    undo: Change::BondOption {
                        bond: bond.to_string(),
                        key: table.key,
                        value: have.clone(),
                    },
                    why: format!(
                        "{} {bond} runs with {} {have}, configured {}",
                        if option.key == "miimon" && have == "0" {
                            "NV501"
                        } else {
                            "NV502"
                        },
                        option.key,
                        option.value
                    ),
                };
                match table.applies {
                    Applies::Running => plan.actions.push(set),
                    Applies::BondDown => {
                        let steps = vec![
                            admin_action(bond, false, &set.why),
                            set,
                            admin_action(bond, true, "bring the bond back up"),
                        ];
                        wait_or_do(&mut plan, steps, bond, "the kernel takes it only with the bond down", &guarded, options);
                    }
                    Applies::NoSlaves | Applies::DownNoSlaves => {
                        let slaves: Vec<String> = live
                            .links
                            .iter()
                            .filter(|l| l.master.as_deref() == Some(bond.as_str()))
                            .map(|l| l.name.clone())
                            .collect();
                        let mut steps = vec![admin_action(bond, false, &set.why)];
                        for s in &slaves {
                            steps.push(master_action(s, None, Some(bond), "release it while the option changes"));
                        }
                        steps.push(set);
                        for s in &slaves {
                            steps.push(master_action(s, Some(bond), None, "enslave it again"));
                        }
                        steps.push(admin_action(bond, true, "bring the bond back up"));
                        wait_or_do(
                            &mut plan,
                            steps,
                            bond,
                            "the kernel takes it only with the bond down and without slaves",
                            &guarded,
                            options,
                        );
                    }
                }
            }
            Drift::SlaveNotEnslaved {
                slave, bond, state, ..
            } => {
                let why = format!("NV503 {slave} is not in {bond}");
                match state {
                    SlaveState::Missing => plan
                        .manual
                        .push(format!("{slave} does not exist: {bond} cannot get it (NV503)")),
                    SlaveState::Free => {
                        let was_up = live.link(slave).is_some_and(|l| l.admin_up);
                        let steps = vec![
                            admin_action(slave, false, &why),
                            master_action(slave, Some(bond), None, &why),
                            admin_action(slave, true, "a slave comes up with its bond"),
                        ];
                        let steps = if was_up { steps } else { steps[1..].to_vec() };
                        if guarded.iter().any(|(l, _)| l == slave.as_str()) {
                            wait_or_do(&mut plan, steps, slave, "enslaving takes it down and moves its addresses' traffic to the bond", &guarded, options);
                        } else {
                            enslave.extend(steps);
                        }
                    }
                    SlaveState::Elsewhere(other) => {
                        let steps = vec![
                            master_action(slave, None, Some(other), &why),
                            master_action(slave, Some(bond), Some(other), &why),
                        ];
                        wait_or_do(&mut plan, steps, other, &format!("{slave} must leave {other} first"), &guarded, options);
                    }
                }
            }
            Drift::SlaveUnconfigured { slave, bond } => plan.manual.push(format!(
                "{slave} is in {bond} but nothing configures it there: release it by hand if it does not belong (NV503)"
            )),
            Drift::Mtu { link, want, have } => {
                let action = Action {
                    change: Change::Mtu {
                        link: link.to_string(),
                        mtu: want.mtu,
                    },
                    undo: Change::Mtu {
                        link: link.to_string(),
                        mtu: *have,
                    },
                    why: format!("NV504 {link} runs with MTU {have}, configured {}", want.mtu),
                };
                mtus.push((depth(live, link), action, want.mtu > *have));
            }
            Drift::NotAVlan { link, kind, .. } => plan.manual.push(format!(
                "{link} is a {kind}, not a VLAN: delete it and bring the VLAN up with ifup (NV508)"
            )),
            Drift::Vlan { link, .. } => plan.manual.push(format!(
                "{link} has another VLAN id or parent: recreate it with `ifdown {link}; ip link del {link}; ifup {link}` (NV508)"
            )),
            Drift::AutoLink {
                link, exists: true, ..
            } => admin.push(admin_action(link, true, &format!("NV507 {link} is auto but down"))),
            Drift::AutoLink {
                link, exists: false, ..
            } => plan
                .manual
                .push(format!("{link} is auto but does not exist: `ifup {link}` creates it (NV507)")),
        }
    }
    plan.actions.extend(enslave);
    // Raising: parents first, each child then has room; lowering: children first.
    let (mut raise, mut lower): (Vec<_>, Vec<_>) = mtus.into_iter().partition(|(_, _, up)| *up);
    raise.sort_by_key(|(depth, _, _)| *depth);
    lower.sort_by_key(|(depth, _, _)| std::cmp::Reverse(*depth));
    plan.actions.extend(raise.into_iter().map(|(_, a, _)| a));
    plan.actions.extend(lower.into_iter().map(|(_, a, _)| a));
    plan.actions.extend(admin);
    plan
}

fn admin_action(link: &str, up: bool, why: &str) -> Action {
    Action {
        change: Change::Admin {
            link: link.to_string(),
            up,
        },
        undo: Change::Admin {
            link: link.to_string(),
            up: !up,
        },
        why: why.to_string(),
    }
}

fn master_action(link: &str, master: Option<&str>, before: Option<&str>, why: &str) -> Action {
    Action {
        change: Change::Master {
            link: link.to_string(),
            master: master.map(str::to_string),
        },
        undo: Change::Master {
            link: link.to_string(),
            master: before.map(str::to_string),
        },
        why: why.to_string(),
    }
}

/// Steps that take `link` down: done with `--allow-link-down`, else waiting with why.
fn wait_or_do(
    plan: &mut Plan,
    steps: Vec<Action>,
    link: &str,
    why: &str,
    guarded: &[(String, String)],
    options: &Options,
) {
    if options.allow_link_down {
        plan.actions.extend(steps);
        return;
    }
    let path = guarded
        .iter()
        .find(|(l, _)| l == link)
        .map(|(_, w)| format!("; and {link} carries management traffic: {w}"))
        .unwrap_or_default();
    plan.waiting.push(Waiting {
        steps,
        reason: format!("{why}{path}: run with --allow-link-down"),
    });
}

/// How many links lie below `link` (a VLAN's parent, a slave's bond), so that MTUs are raised
/// from the bottom up and lowered from the top down.
fn depth(live: &LiveState, link: &str) -> u32 {
    let mut depth = 0;
    let mut name = link.to_string();
    while depth < 16 {
        let Some(l) = live.link(&name) else { break };
        let below = l
            .vlan
            .as_ref()
            .and_then(|v| v.parent.clone())
            .or_else(|| l.master.clone());
        match below {
            Some(next) => {
                depth += 1;
                name = next;
            }
            None => break,
        }
    }
    depth
}

/// The management links, and every link below them (a VLAN's parent, a bond under it),
/// with why: taking any of them down cuts the path.
fn guarded_links(live: &LiveState, management: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (link, why) in management {
        let mut name = link.clone();
        let mut hops = 0;
        loop {
            if !out.iter().any(|(l, _)| *l == name) {
                let why = if name == *link {
                    why.clone()
                } else {
                    format!("{link} runs over it ({why})")
                };
                out.push((name.clone(), why));
            }
            let Some(parent) = live
                .link(&name)
                .and_then(|l| l.vlan.as_ref())
                .and_then(|v| v.parent.clone())
            else {
                break;
            };
            hops += 1;
            if hops > 16 {
                break;
            }
            name = parent;
        }
    }
    out
}
