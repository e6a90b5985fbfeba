//! NV101-NV131: bonding. Link monitoring, 802.3ad parameters, options the mode ignores, bonds
//! that never get a slave, slaves claimed twice or in the wrong place, and module parameters
//! that disagree with interfaces.

use super::{Context, Findings};
use crate::diagnostic::registry as rule;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::load::Dialect;
use crate::model::bringup::{Event, Refusal, SetBy};
use crate::model::{
    Bond, BondMode, Interface, Kind, Membership, MembershipVia, Origin, up_hook_actions,
};
use crate::source::Location;
use crate::syntax::hooks::{self, EnslaveCommand, HookAction};

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    if ctx.host.dialect != Dialect::Ifupdown {
        ifupdown2(ctx, out);
        return;
    }
    let enslaving = enslaving_hooks(ctx);
    for iface in &ctx.model.interfaces {
        // A bond only named by others (`bond-master bond7` with no `iface bond7`) is NV123's
        // business: nothing creates it, so its options mean nothing.
        // A bond whose stanza ifup refuses is never created: NV006 reports that, and what it
        // would run with does not matter until it is fixed.
        let refused = iface.never_configured();
        if let Some(bond) = iface
            .bond
            .as_ref()
            .filter(|_| iface.has_stanza() && !refused)
        {
            let Some(mode) = bond.mode() else {
                // An invalid mode is NV004; the mode-dependent rules cannot say anything useful.
                continue;
            };
            never_created(iface, out);
            without_slaves(ctx, iface, bond, &enslaving, out);
            link_monitoring(iface, bond, out);
            dropped_targets(iface, bond, out);
            delays(iface, bond, out);
            lacp(iface, bond, mode, out);
            min_links(iface, bond, out);
            ignored_options(iface, bond, out);
            not_applied(iface, bond, out);
            primary_not_applied(iface, bond, out);
            slave_primary_out_of_mode(ctx, iface, bond, out);
            slave_option_ignored(ctx, iface, bond, out);
            module_conflicts(ctx, iface, bond, out);
        }
        slave_checks(ctx, iface, out);
    }
    missing_ifenslave(ctx, &enslaving, out);
    module_without_options(ctx, out);
}

/// A host whose interfaces ifupdown2 reads. What a bond runs with then depends on ifupdown2's
/// policy files (Cumulus Linux sets 802.3ad, miimon 100 and fast LACP there) rather than on
/// ifenslave's replay. Judged: the hash policy of an explicit 802.3ad bond, who is enslaved to
/// whom, and, where ifupdown2 is installed under the root so that its policy files are there
/// to read, link monitoring.
fn ifupdown2(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    for iface in &ctx.model.interfaces {
        if let Some(bond) = iface.bond.as_ref().filter(|_| iface.has_stanza()) {
            if let Some(policy) = &ctx.host.ifupdown2_policy {
                ifupdown2_monitoring(ctx, policy, iface, bond, out);
            }
            let explicit_lacp = bond.get("mode").is_some_and(|m| {
                matches!(m.origin, Origin::Interfaces(_))
                    && matches!(m.value.trim(), "802.3ad" | "4")
            });
            if explicit_lacp {
                hash_policy(iface, bond, out);
            }
        }
        slave_checks(ctx, iface, out);
    }
}

/// NV101 for ifupdown2, which sends the kernel a bond attribute only when the stanza or a
/// policy file sets it (`get_ifla_bond_attr_from_user_config` in its bond addon) and has no
/// ARP monitoring attributes at all: a bond whose mode does not make the driver turn miimon on
/// runs with the module's miimon, 0 unless `options bonding` says otherwise.
fn ifupdown2_monitoring(
    ctx: &Context<'_, '_>,
    policy: &crate::load::ifupdown2::Policy,
    iface: &Interface<'_>,
    bond: &Bond,
    out: &mut Findings<'_>,
) {
    enum From {
        Stanza(Location),
        Policy(String),
        Module,
    }
    let attr = |key: &str| {
        if let Some(opt) = bond.get(key)
            && let Origin::Interfaces(at) = opt.origin
        {
            return Some((opt.value.to_string(), From::Stanza(at)));
        }
        let name = format!("bond-{}", key.replace('_', "-"));
        if let Some(v) = policy.iface_default("bond", &iface.name, &name) {
            let shown = ctx.host.sources.get(v.file).shown.clone();
            return Some((v.value, From::Policy(shown)));
        }
        ctx.model
            .module_param(key)
            .map(|p| (p.value.clone(), From::Module))
    };
    let mode = attr("mode")
        .and_then(|(v, _)| BondMode::parse(v.trim()))
        .unwrap_or(BondMode::BalanceRr);
    // 802.3ad, balance-tlb and balance-alb: the driver turns miimon 100 on by itself.
    if !mode.uses_arp() {
        return;
    }
    let miimon = attr("miimon");
    if miimon
        .as_ref()
        .is_some_and(|(v, _)| v.trim().parse::<u64>().is_ok_and(|n| n > 0))
    {
        return;
    }
    let module_arp = ctx
        .model
        .module_param("arp_interval")
        .is_some_and(|p| p.value.trim().parse::<u64>().is_ok_and(|n| n > 0))
        && ctx.model.module_param("arp_ip_target").is_some();
    if module_arp {
        return;
    }
    let (said, at) = match &miimon {
        Some((v, From::Stanza(at))) => (format!("its stanza sets bond-miimon {}", v.trim()), Some(*at)),
        Some((v, From::Policy(file))) => (format!("the policy file {file} sets bond-miimon {}", v.trim()), None),
        Some((v, From::Module)) => (format!("the bonding module is loaded with miimon={}", v.trim()), None),
        None => ("neither its stanza nor a policy file sets bond-miimon, and ifupdown2 sends only what they set".to_string(), None),
    };
    out.push(
        Diagnostic::new(
            rule::NV101,
            format!("{} has no link monitoring: {said}, so {} runs with miimon 0", iface.name, mode.name()),
        )
        .at_opt(at.or(iface.first_header()))
        .iface(&iface.name)
        .help(format!("add `bond-miimon 100` to {}'s stanza, or set it for every bond in /etc/network/ifupdown2/policy.d/bond.json: {{\"bond\": {{\"defaults\": {{\"bond-miimon\": \"100\"}}}}}}", iface.name))
        .note(format!("ifupdown2 sends the kernel only the bond attributes a stanza or a policy file ({} or {}) sets, and none for ARP monitoring; in {} mode the driver keeps miimon 0 and the bond never notices a dead link", crate::load::ifupdown2::POLICY_DIRS[1], crate::load::ifupdown2::POLICY_DIRS[0], mode.name())),
    );
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

/// NV115: ifenslave creates a bond only for a stanza with `bond-slaves` (or `slaves`) or
/// `bond-mode`; other `bond-*` options alone make nothing.
fn never_created(iface: &Interface<'_>, out: &mut Findings<'_>) {
    if iface.ifenslave_creates_bond() {
        return;
    }
    out.push(
        Diagnostic::new(
            rule::NV115,
            format!("{} has bond options but neither `bond-slaves` nor `bond-mode`: nothing creates the bond", iface.name),
        )
        .at_opt(iface.first_header())
        .iface(&iface.name)
        .help(format!("add `bond-slaves none` (when the slaves name it with `bond-master`) or `bond-mode MODE` to {}'s stanza", iface.name))
        .note("ifenslave's pre-up hook sets a stanza up as a bond only when it has bond-slaves or bond-mode; otherwise no bond is created, ifup of it fails (\"Cannot find device\") and its slaves fail to enslave"),
    );
}

/// A hook command that enslaves, from the stanza of `iface`, with `$IFACE` resolved.
struct EnslavingHook {
    /// The interface whose stanza runs the command.
    owner: String,
    master: String,
    slaves: Vec<String>,
    command: EnslaveCommand,
    location: Location,
    /// Whether booting brings up the stanza that runs the hook.
    runs: bool,
    /// A `pre-up` command: ifupdown runs these before the if-pre-up.d scripts (ifenslave's
    /// among them), so a failing one stops the stanza before its bond is even created.
    pre: bool,
}

impl EnslavingHook {
    /// Whether this failing command keeps its own stanza's bond from being created.
    fn stops_bond(&self) -> bool {
        self.pre && self.owner == self.master
    }
}

/// Every `pre-up`/`up`/`post-up` command that enslaves, in file order.
fn enslaving_hooks(ctx: &Context<'_, '_>) -> Vec<EnslavingHook> {
    let mut out = Vec::new();
    for iface in &ctx.model.interfaces {
        let runs = ctx.model.links.brought_up.contains(iface.name.as_str());
        for s in &iface.stanzas {
            for opt in &s.stanza.options {
                for (action, location) in up_hook_actions(s.file, opt).unwrap_or_default() {
                    let HookAction::Enslave {
                        master,
                        slaves,
                        command,
                        ..
                    } = action
                    else {
                        continue;
                    };
                    out.push(EnslavingHook {
                        owner: iface.name.to_string(),
                        master: hooks::device(&master, &iface.name).to_string(),
                        slaves: slaves
                            .iter()
                            .map(|d| hooks::device(d, &iface.name).to_string())
                            .collect(),
                        command,
                        location,
                        runs,
                        pre: opt.canonical_name() == "pre-up",
                    });
                }
            }
        }
    }
    out
}

/// NV116: a bond that ifenslave creates and booting brings up, but that nothing gives a slave:
/// no `bond-slaves` list, no stanza with `bond-master` (one never brought up is NV124's), no
/// hook that enslaves with a command Debian has. `ifenslave BOND SLAVE` in a hook counts as
/// nothing: Debian 12 has no such program.
fn without_slaves(
    ctx: &Context<'_, '_>,
    iface: &Interface<'_>,
    bond: &Bond,
    enslaving: &[EnslavingHook],
    out: &mut Findings<'_>,
) {
    // A stanza ifenslave does not create is NV115's; one booting never brings up is no bond.
    if !iface.ifenslave_creates_bond()
        || iface.is_ovs()
        || !bond.slaves.is_empty()
        || !ctx.model.links.brought_up.contains(iface.name.as_str())
    {
        return;
    }
    let mine: Vec<&EnslavingHook> = enslaving
        .iter()
        .filter(|h| h.master == iface.name.as_str())
        .collect();
    // iproute2 and sysfs really enslave: a slave source netvet cannot judge further.
    if mine
        .iter()
        .any(|h| h.runs && h.command != EnslaveCommand::Ifenslave)
    {
        return;
    }
    let missing: Vec<&&EnslavingHook> = mine
        .iter()
        .filter(|h| h.command == EnslaveCommand::Ifenslave)
        .collect();
    let list = iface.option(&["bond-slaves", "slaves"]);
    let mut wanted: Vec<&str> = missing
        .iter()
        .flat_map(|h| h.slaves.iter().map(String::as_str))
        .collect();
    wanted.dedup();
    let slaves = if wanted.is_empty() {
        "SLAVE...".to_string()
    } else {
        wanted.join(" ")
    };
    let help = format!(
        "list the slaves on the bond, `bond-slaves {slaves}`, or add `bond-master {}` to each slave's stanza (with `auto SLAVE`)",
        iface.name
    );
    let d = if let Some(first) = missing.first() {
        let mut d = Diagnostic::new(
            rule::NV116,
            format!(
                "{}'s slaves come only from `ifenslave` in a hook, and Debian 12 has no ifenslave command: {} never gets a slave",
                iface.name, iface.name
            ),
        )
        .at(first.location)
        .iface(&iface.name);
        for h in &missing[1..] {
            d = d.label(Some(h.location), "fails too: `ifenslave: not found`");
        }
        d.label(iface.first_header(), "the bond, with no other slave source")
            .help(format!("{help}; then remove the `ifenslave` commands"))
            .note(format!("ifenslave 2.10 removed the /sbin/ifenslave program (Debian 12 ships ifenslave 2.13: only ifupdown's hook scripts); the shell prints \"ifenslave: not found\" and ifup reports the stanza as failed; {}", outcome(first, &iface.name)))
    } else {
        let what = if list.is_some() {
            "`bond-slaves none`"
        } else {
            "no `bond-slaves`"
        };
        Diagnostic::new(
            rule::NV116,
            format!(
                "{} never gets a slave: {what}, and no stanza names it in `bond-master`",
                iface.name
            ),
        )
        .at_opt(list.map(|l| l.location()).or_else(|| iface.first_header()))
        .iface(&iface.name)
        .help(help)
        .note(format!(
            "ifenslave creates {} and brings it up, but slaves join a bond only through its `bond-slaves` or their own `bond-master`: the bond stays without a slave and without carrier, and ifup reports no error",
            iface.name
        ))
    };
    out.push(d);
}

/// What a failing `ifenslave` command leaves of `bond`.
fn outcome(hook: &EnslavingHook, bond: &str) -> String {
    if hook.stops_bond() {
        format!(
            "as a `pre-up` command it runs before ifenslave's own pre-up script, so {bond} is not even created"
        )
    } else {
        format!(
            "{bond} comes up without the slaves it names, and without carrier if it has no other"
        )
    }
}

/// NV117: an `ifenslave` command in a hook that booting runs, where the bond gets its slaves
/// some other way (otherwise NV116 reports the bond, pointing at these hooks).
fn missing_ifenslave(ctx: &Context<'_, '_>, enslaving: &[EnslavingHook], out: &mut Findings<'_>) {
    for hook in enslaving {
        if hook.command != EnslaveCommand::Ifenslave || !hook.runs {
            continue;
        }
        if out.fired("NV116", &hook.master) {
            continue;
        }
        let already = |slave: &str| {
            ctx.model
                .get(slave)
                .is_some_and(|i| i.memberships.iter().any(|m| m.bond == hook.master.as_str()))
        };
        let missing: Vec<&str> = hook
            .slaves
            .iter()
            .map(String::as_str)
            .filter(|s| !already(s))
            .collect();
        let help = if missing.is_empty() {
            format!(
                "remove the command: {} already gets {} from `bond-slaves`/`bond-master`",
                hook.master,
                hook.slaves.join(" ")
            )
        } else {
            format!(
                "add {} to {}'s `bond-slaves` (or `bond-master {}` to each one's stanza), and remove the command",
                missing.join(" "),
                hook.master,
                hook.master
            )
        };
        out.push(
            Diagnostic::new(
                rule::NV117,
                format!(
                    "`ifenslave` is not a command on Debian 12: this hook fails and ifup reports {} as failed",
                    hook.owner
                ),
            )
            .at(hook.location)
            .iface(&hook.owner)
            .help(help)
            .note(format!("ifenslave 2.10 removed the /sbin/ifenslave program (Debian 12 ships ifenslave 2.13: only ifupdown's hook scripts); the shell prints \"ifenslave: not found\", ifupdown skips the stanza's later commands and `ifup -a` exits with an error, so networking.service is reported failed at boot; {}", outcome(hook, &hook.master))),
        );
    }
}

/// Where a configured option was written, for pointing at it.
fn origin_of(bond: &Bond, key: &str) -> Option<Origin> {
    bond.get(key).map(|o| o.origin)
}

/// Where an interfaces file writes the value of `key`: the bond's own stanza, or a template it
/// inherits (`netvet fix` edits a template only when every stanza inheriting it asks for the
/// same change).
fn written_value(bond: &Bond, key: &str) -> Option<Location> {
    match origin_of(bond, key) {
        Some(Origin::Interfaces(at)) => Some(at),
        _ => None,
    }
}

/// Set `key` to `value` in the bond's own stanza: the value replaced where the stanza writes
/// one, an option added where nothing in interfaces does. `None` where the value comes from a
/// template.
fn set_option(
    out: &Findings<'_>,
    iface: &Interface<'_>,
    bond: &Bond,
    key: &str,
    value: &str,
) -> Option<Edit> {
    match origin_of(bond, key) {
        Some(Origin::Interfaces(at)) => Some(Edit::replace(at, value)),
        _ => super::edit::bond_stanza(iface).map(|stanza| {
            super::edit::add_option(
                out.sources(),
                stanza,
                &format!("bond-{}", key.replace('_', "-")),
                value,
            )
        }),
    }
}

/// Remove the line of `key` from the bond's own stanza.
fn remove_option(out: &Findings<'_>, bond: &Bond, key: &str) -> Option<Edit> {
    written_value(bond, key).map(|at| super::edit::remove_line(out.sources(), at))
}

fn fix(title: String, applicability: Applicability, edit: Option<Edit>) -> Option<Fix> {
    super::edit::fix(title, applicability, edit.map(|e| vec![e]))
}

fn configured_number(bond: &Bond, key: &str) -> Option<u64> {
    bond.number(key).map(|(v, _)| v)
}

/// NV101, NV102, NV103, NV105: link monitoring, judged by what the kernel runs with once
/// ifenslave has applied the options (`model::bringup`), not by the options alone; one
/// function per rule.
fn link_monitoring(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    arp_without_target(iface, bond, out);
    arp_unsupported(iface, bond, out);
    both_monitors(iface, bond, out);
    no_link_monitoring(iface, bond, out);
}

/// NV102: ARP monitoring asked for with nothing to probe.
fn arp_without_target(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let k = &bond.kernel;
    let arp_on = bond.number("arp_interval").filter(|(v, _)| *v > 0);
    if let Some((value, opt)) = arp_on.filter(|_| bond.arp_targets().is_empty()) {
        let module_reset = k
            .events
            .iter()
            .any(|e| matches!(e, Event::ArpWithoutTargets { .. }));
        let note = if module_reset {
            "as a module parameter, the driver resets arp_interval to 0 at load (\"arp_interval module parameter specified without providing an arp_ip_target parameter, arp_interval was reset to 0\"): no ARP monitoring at all"
        } else {
            "with no target the ARP monitor has nothing to probe: no slave ever counts as up, and the bond carries no traffic"
        };
        out.push(
            at_origin(
                Diagnostic::new(
                    rule::NV102,
                    format!("{} has arp_interval {value} but no arp_ip_target", iface.name),
                ),
                Some(opt.origin),
                iface,
            )
            .help("add `bond-arp-ip-target ADDRESS` with an always-reachable IPv4 address (the gateway; several separated by spaces), or use `bond-miimon 100` instead")
            .note(note),
        );
    }
}

/// NV105: ARP monitoring in a mode that cannot use it.
fn arp_unsupported(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let k = &bond.kernel;
    let mode = k.mode();
    let arp_cfg = configured_number(bond, "arp_interval");
    if arp_cfg.is_some_and(|v| v > 0) && !mode.uses_arp() {
        let refused = k
            .events_for("arp_interval")
            .any(|e| matches!(e, Event::Refused { .. }));
        let what = if refused {
            format!(
                "the kernel refuses the write (\"option arp_interval: mode dependency failed, not supported in mode {}\"), and the bond runs with miimon {}",
                mode.name(),
                k.number("miimon")
            )
        } else {
            format!(
                "the kernel turns ARP monitoring off when the bond switches to {} mode and runs MII monitoring at {} ms instead; over netlink it refuses the option outright",
                mode.name(),
                k.number("miimon")
            )
        };
        out.push(
            at_origin(
                Diagnostic::new(
                    rule::NV105,
                    format!("{} uses ARP monitoring, which {} mode does not support", iface.name, mode.name()),
                ),
                origin_of(bond, "arp_interval"),
                iface,
            )
            .help("use `bond-miimon 100` for link monitoring in this mode, and remove `bond-arp-interval`")
            .note(what)
            .fix_opt(fix(
                format!("remove arp_interval, which {} mode turns off", mode.name()),
                Applicability::Safe,
                remove_option(out, bond, "arp_interval"),
            )),
        );
    }
}

/// NV103: both monitors asked for; one of them is silently turned off.
fn both_monitors(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let k = &bond.kernel;
    let mode = k.mode();
    let miimon_cfg = configured_number(bond, "miimon");
    let arp_cfg = configured_number(bond, "arp_interval");
    if let (Some(mv), Some(av)) = (miimon_cfg.filter(|v| *v > 0), arp_cfg.filter(|v| *v > 0)) {
        if mode.uses_arp() {
            let arp_runs = k.number("arp_interval") > 0;
            let winner = if arp_runs {
                "ARP monitoring runs and miimon becomes 0"
            } else {
                "MII monitoring runs and arp_interval becomes 0"
            };
            let loser = if arp_runs { "miimon" } else { "arp_interval" };
            let dropped = fix(
                format!("remove {loser}, which the kernel turns off"),
                Applicability::Safe,
                remove_option(out, bond, loser),
            );
            let how = match (origin_of(bond, "miimon"), origin_of(bond, "arp_interval")) {
                (Some(Origin::Interfaces(_)), Some(Origin::Interfaces(_))) => {
                    "ifenslave writes arp_interval, then miimon, and each write turns the other off"
                }
                (Some(Origin::Modprobe(_)), Some(Origin::Modprobe(_))) => {
                    "at module load the driver disables ARP monitoring (\"miimon and arp_interval can't be used simultaneously\")"
                }
                _ => {
                    "the bond starts with the module's value and ifenslave's write of the other turns it off"
                }
            };
            out.push(
                at_origin(
                    Diagnostic::new(
                        rule::NV103,
                        format!("{} sets both miimon {mv} and arp_interval {av}: {winner}", iface.name),
                    ),
                    origin_of(bond, "arp_interval"),
                    iface,
                )
                .label(origin_of(bond, "miimon").and_then(Origin::location), "miimon set here")
                .help("choose one: MII monitoring (`bond-miimon`) or ARP monitoring (`bond-arp-interval` with `bond-arp-ip-target`)")
                .note(format!("{how}; over netlink the kernel refuses the pair (\"ARP monitoring cannot be used with MII monitoring\")"))
                .fix_opt(dropped),
            );
        }
    }
}

/// NV101: the bond runs without link monitoring, or runs with the miimon 100 the driver forces
/// while the configuration says otherwise or nothing.
fn no_link_monitoring(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let k = &bond.kernel;
    let mode = k.mode();
    let miimon_cfg = configured_number(bond, "miimon");
    let arp_cfg = configured_number(bond, "arp_interval");
    if k.number("miimon") == 0 && k.number("arp_interval") == 0 {
        let why = match bond.get("miimon") {
            Some(opt) => format!(
                "miimon is 0 ({})",
                match opt.origin {
                    Origin::Interfaces(_) => "set in interfaces",
                    Origin::Modprobe(_) => "from the bonding module parameters",
                    Origin::KernelDefault => "the kernel default",
                }
            ),
            None if arp_cfg.is_some_and(|v| v > 0) => {
                "arp_interval was set but does not survive".to_string()
            }
            None => "neither miimon nor arp_interval is set".to_string(),
        };
        out.push(
            at_origin(
                Diagnostic::new(
                    rule::NV101,
                    format!("{} has no link monitoring: {why}", iface.name),
                ),
                origin_of(bond, "miimon"),
                iface,
            )
            .help("add `bond-miimon 100` to the bond's stanza (or `options bonding miimon=100` in /etc/modprobe.d/bonding.conf)")
            .fix_opt(fix(
                "set miimon to 100: MII link monitoring every 100 ms".to_string(),
                Applicability::Unsafe,
                set_option(out, iface, bond, "miimon", "100"),
            ))
            .note(format!(
                "in {} mode with no monitoring the bond never notices a dead link and keeps sending on it; the bonding documentation: \"either miimon or arp_interval and arp_ip_target module parameters must be specified, otherwise bonding will not detect link failures!\"",
                mode.name()
            )),
        );
        return;
    }
    let forced = k.events.iter().find_map(|e| match e {
        Event::MiimonForced { mode, at_load } => Some((*mode, *at_load)),
        _ => None,
    });
    let Some((forced_mode, at_load)) = forced else {
        return;
    };
    if k.get("miimon").is_some_and(|v| v.set_by != SetBy::Driver) {
        // A later write set miimon itself.
        return;
    }
    let by = if at_load {
        "the bonding module turns it on at load (bond_check_params: \"Forcing miimon to 100msec\")"
    } else {
        "ifenslave writes the mode after miimon, and switching to this mode turns miimon 100 on (bond_option_mode_set)"
    };
    match miimon_cfg {
        Some(0) => out.push(
            at_origin(
                Diagnostic::new(
                    rule::NV101,
                    format!(
                        "{} asks for miimon 0 (no link monitoring) in {} mode, but runs with miimon 100",
                        iface.name,
                        forced_mode.name()
                    ),
                ),
                origin_of(bond, "miimon"),
                iface,
            )
            .severity(Severity::Warning)
            .help("write `bond-miimon 100`: the value this bond really runs with")
            .fix_opt(fix(
                "write miimon 100, the value the bond runs with".to_string(),
                Applicability::Safe,
                set_option(out, iface, bond, "miimon", "100"),
            ))
            .note(format!("{by}; a bond created over netlink (ip link, systemd-networkd) keeps miimon 0 and monitors nothing")),
        ),
        _ => out.push(
            at_origin(
                Diagnostic::new(
                    rule::NV101,
                    format!(
                        "{} sets no miimon: the kernel falls back to miimon 100 in {} mode",
                        iface.name,
                        forced_mode.name()
                    ),
                ),
                None,
                iface,
            )
            .severity(Severity::Info)
            .help("say what you mean: add `bond-miimon 100`")
            .fix_opt(fix(
                "write miimon 100, the value the bond runs with".to_string(),
                Applicability::Safe,
                set_option(out, iface, bond, "miimon", "100"),
            ))
            .note(format!("{by}: kernel behaviour, not configuration")),
        ),
    }
}

/// NV004 for `bond-arp-ip-target a,b`: ifenslave writes the comma-joined word as one target
/// and the kernel keeps its first address, so the others are never probed (observed in the VM).
fn dropped_targets(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    for event in bond.kernel.events_for("arp_ip_target") {
        let Event::TargetsDropped { at, kept, dropped } = event else {
            continue;
        };
        let written = out.sources().get(at.file).slice(at.span);
        out.push(
            Diagnostic::new(
                rule::NV004,
                format!(
                    "{} probes only {kept} of `bond-arp-ip-target {written}`: {dropped} never",
                    iface.name
                ),
            )
            .at(*at)
            .iface(&iface.name)
            .help("separate the targets with spaces: ifenslave writes each space-separated word as one target")
            .note("the kernel takes the first address of a comma-joined value and ignores the rest; commas separate targets only in the module parameter (`options bonding arp_ip_target=a,b`)")
            .fix_opt(fix(
                format!("separate the targets with spaces, so that {} probes all of them", iface.name),
                Applicability::Unsafe,
                Some(Edit::replace(*at, written.replace(',', " "))),
            )),
        );
    }
}

/// NV104.
fn delays(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    for event in &bond.kernel.events {
        match event {
            Event::Refused {
                key: key @ ("updelay" | "downdelay"),
                value,
                at,
                why: Refusal::MiimonOff,
            } => {
                let later = bond.kernel.number("miimon");
                let note = if later > 0 {
                    format!(
                        "ifenslave writes {key} right after miimon and before the mode; miimon is 0 at that moment (the mode turns miimon {later} on only afterwards), so the write fails with EPERM and {key} stays 0"
                    )
                } else {
                    format!(
                        "{key} counts in multiples of miimon, and the write fails with EPERM (\"Unable to set {} as MII monitoring is disabled\")",
                        if *key == "updelay" {
                            "up delay"
                        } else {
                            "down delay"
                        }
                    )
                };
                out.push(
                    at_origin(
                        Diagnostic::new(
                            rule::NV104,
                            format!("{} sets {key} {value} but miimon is 0 when it is applied: the kernel refuses it", iface.name),
                        ),
                        Some(*at),
                        iface,
                    )
                    .help(format!("set `bond-miimon 100` explicitly, or remove `{key}`"))
                    .note(note),
                );
            }
            Event::Rounded {
                key,
                from,
                to,
                miimon,
                at,
            } => {
                let d = at_origin(
                    Diagnostic::new(
                        rule::NV104,
                        format!(
                            "{} {key} {from} is not a multiple of miimon {miimon}: the kernel uses {to}",
                            iface.name
                        ),
                    ),
                    Some(*at),
                    iface,
                );
                // Where netvet can edit the value, the fix (rendered as `help: fix: ...`) is the
                // advice to write the applied value: the help line only offers the other multiple.
                let d = match at {
                    Origin::Interfaces(loc) => d
                        .help(format!(
                            "for a longer delay, write `{}` (the next multiple of miimon)",
                            to + miimon
                        ))
                        .fix(Fix {
                            title: format!("set {key} to {to}, the value the kernel applies"),
                            applicability: Applicability::Safe,
                            edits: vec![Edit::replace(*loc, to.to_string())],
                            creates: Vec::new(),
                        }),
                    _ => d.help(format!(
                        "write `{to}` (or {}) so that the configuration says what the kernel does",
                        to + miimon
                    )),
                };
                out.push(d.note(format!("the kernel rounds it down and logs \"{} ({from}) is not a multiple of miimon ({miimon}), value rounded to {to} ms\"", if *key == "updelay" { "up delay" } else { "down delay" })));
            }
            _ => {}
        }
    }
}

/// NV110, NV111.
fn lacp(iface: &Interface<'_>, bond: &Bond, mode: BondMode, out: &mut Findings<'_>) {
    if mode != BondMode::Ieee8023ad {
        return;
    }
    // On what runs: a module `lacp_rate` counts only when the module itself loads in 802.3ad.
    let rate = bond.kernel.get("lacp_rate");
    let implicit = rate.is_none_or(|r| {
        matches!(r.set_by, SetBy::KernelDefault | SetBy::Driver) && r.value == "slow"
    });
    if implicit {
        let ignored = bond.kernel.events_for("lacp_rate").find_map(|e| match e {
            Event::ModuleParamIgnored { at, mode, .. } => Some((*at, *mode)),
            _ => None,
        });
        let mut d = at_origin(
            Diagnostic::new(
                rule::NV110,
                format!("802.3ad bond {} runs slow LACP: it takes 90 s to notice a dead partner", iface.name),
            ),
            None,
            iface,
        )
        .help("add `bond-lacp-rate fast` (LACPDUs every second, 3 s timeout), or `bond-lacp-rate slow` to make the choice explicit")
        .fix_opt(fix(
            "write lacp_rate slow, the rate the bond runs with (fast is the switch side's choice too)".to_string(),
            Applicability::Safe,
            (!matches!(origin_of(bond, "lacp_rate"), Some(Origin::Interfaces(_))))
                .then(|| set_option(out, iface, bond, "lacp_rate", "slow"))
                .flatten(),
        ));
        d = match ignored {
            Some((at, module_mode)) => d
                .severity(Severity::Warning)
                .label(Some(at), "ignored by the driver")
                .note(format!("the module parameter lacp_rate is taken only when the module itself loads in 802.3ad mode; it loads in {} (\"lacp_rate param is irrelevant in mode {}\"), and switching the bond to 802.3ad later keeps slow", module_mode.name(), module_mode.name())),
            None => d.note("nothing sets lacp_rate, and the default is slow: the partner sends LACPDUs every 30 s and is declared gone after 3 missed ones"),
        };
        out.push(d);
    }
    hash_policy(iface, bond, out);
}

/// NV111.
fn hash_policy(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    if let Some(opt) = bond.get("xmit_hash_policy") {
        let policy = opt.value.trim();
        if policy == "layer3+4" || policy == "encap3+4" || policy == "1" || policy == "4" {
            out.push(
                at_origin(
                    Diagnostic::new(
                        rule::NV111,
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

/// NV112: on what the kernel runs with; ifenslave never applies `bond-min-links` (NV114), so
/// the value that counts is the module's.
fn min_links(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let k = &bond.kernel;
    let min = k.number("min_links");
    let n = bond.slaves.len() as u64;
    if k.mode() != BondMode::Ieee8023ad || min <= n {
        return;
    }
    let origin = k.get("min_links").and_then(|v| v.set_by.origin());
    out.push(
        at_origin(
            Diagnostic::new(
                rule::NV112,
                format!("{} needs min_links {min} active slaves but has only {n}", iface.name),
            ),
            origin,
            iface,
        )
        .help(format!("lower min_links to at most {n}, or add slaves"))
        .note("an 802.3ad bond keeps its carrier off until min_links ports are in the active aggregator, so it can never carry traffic"),
    );
}

/// Which modes use an option, when not every mode does (ARP monitoring where it cannot run is
/// NV105's).
fn modes_using(key: &str) -> Option<&'static [BondMode]> {
    let option = crate::bonding::option(key)?;
    (!option.modes.is_empty() && !matches!(key, "arp_interval" | "arp_missed_max"))
        .then_some(option.modes)
}

/// NV113. Only options written in interfaces: a module parameter applies to every bond and
/// is not this bond's mistake. Options ifenslave never writes are NV114's.
fn ignored_options(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let mode = bond.kernel.mode();
    for (key, opt) in &bond.options {
        let Origin::Interfaces(loc) = opt.origin else {
            continue;
        };
        if crate::bonding::option(key).is_none_or(|o| o.ifenslave.is_none()) {
            continue;
        }
        let Some(modes) = modes_using(key) else {
            continue;
        };
        if modes.contains(&mode) {
            continue;
        }
        let refused = bond.kernel.events_for(key).any(|e| {
            matches!(
                e,
                Event::Refused {
                    why: Refusal::Mode(_),
                    ..
                }
            )
        });
        let note = if refused {
            format!(
                "the kernel refuses the write (\"option {key}: mode dependency failed, not supported in mode {}\"); ifenslave prints the error and sets up the rest of the bond",
                mode.name()
            )
        } else {
            format!(
                "the kernel accepts it and keeps the value, but {} mode does not use it",
                mode.name()
            )
        };
        let names: Vec<&str> = modes.iter().map(|m| m.name()).collect();
        out.push(
            Diagnostic::new(
                rule::NV113,
                format!(
                    "{key} has no effect on {} in {} mode",
                    iface.name,
                    mode.name()
                ),
            )
            .at(loc)
            .iface(&iface.name)
            .help(format!(
                "{key} applies to {} only: remove it, or fix the mode",
                names.join(", ")
            ))
            .note(note)
            .fix_opt(fix(
                format!("remove {key}, which {} mode does not use", mode.name()),
                Applicability::Safe,
                Some(super::edit::remove_line(out.sources(), loc)),
            )),
        );
    }
}

/// NV114: `bond-*` options that ifenslave hands nobody.
fn not_applied(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    for event in &bond.kernel.events {
        let Event::NotApplied { key, at } = event else {
            continue;
        };
        let running = bond
            .kernel
            .get(key)
            .map(|v| v.value.to_string())
            .or_else(|| crate::model::bond::kernel_default(key).map(str::to_string));
        let runs = running
            .as_ref()
            .map_or_else(|| format!("no {key}"), |v| format!("{key} {v}"));
        let configured = bond.get(key).map(|o| o.value.trim().to_string());
        // min_links 0 and 1 behave alike: the carrier needs one active port either way.
        let same_effect = configured == running
            || *key == "min_links"
                && [&configured, &running]
                    .iter()
                    .all(|v| v.as_deref().is_some_and(|v| v == "0" || v == "1"));
        // The bond runs as configured after all: nothing to say on a healthy host.
        if same_effect {
            continue;
        }
        out.push(
            Diagnostic::new(
                rule::NV114,
                format!("ifenslave never applies {key}: {} runs with {runs}", iface.name),
            )
            .at(*at)
            .iface(&iface.name)
            .help(format!("set it for every bond with `options bonding {key}=VALUE` in /etc/modprobe.d/bonding.conf, or write it from the stanza: `up echo VALUE > /sys/class/net/$IFACE/bonding/{key}`"))
            .note("Debian's ifenslave writes a fixed list of bonding options to sysfs (mode, miimon, arp_*, delays, lacp_rate, xmit_hash_policy, primary ...); any other bond-* option is passed to it and ignored")
            .fix_opt(hook_write(out, key, configured.as_deref(), *at)),
        );
    }
}

/// NV114's fix: the option ifenslave never writes becomes the `up` command that writes it, for
/// an option the kernel takes on a running bond with slaves (the others need the bond down: a
/// module parameter is the way, and that is the operator's to choose).
fn hook_write(out: &Findings<'_>, key: &str, value: Option<&str>, at: Location) -> Option<Fix> {
    let option = crate::bonding::option(key)
        .filter(|o| o.replayed && o.applies == crate::bonding::Applies::Running)?;
    let value = value.filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))?;
    let line = format!(
        "up echo {value} > /sys/class/net/$IFACE/bonding/{}",
        option.key
    );
    fix(
        format!("write {key} {value} from an `up` command: `{line}`"),
        Applicability::Unsafe,
        Some(super::edit::replace_line(out.sources(), at, &line)),
    )
}

/// NV114: the bond's own `bond-primary`, when ifenslave's only write of it comes before any
/// name it lists is a slave (slaves joining through their own `bond-master` join later), and no
/// slave's stanza writes one of those names either.
fn primary_not_applied(iface: &Interface<'_>, bond: &Bond, out: &mut Findings<'_>) {
    let Some((own, at)) = bond.get("primary").and_then(|o| match o.origin {
        Origin::Interfaces(at) => Some((o.value.as_str(), at)),
        _ => None,
    }) else {
        return;
    };
    let mode = bond.kernel.mode();
    // In a mode without a primary, NV113 says it.
    if modes_using("primary").is_some_and(|m| !m.contains(&mode)) {
        return;
    }
    let listed: Vec<&str> = own.split_whitespace().collect();
    let runs = bond.kernel.get("primary");
    if runs.is_some_and(|v| listed.contains(&v.value.as_str())) {
        return;
    }
    // Only names that do end up slaves: a list of absent names is another mistake.
    let slaves: Vec<&str> = listed
        .iter()
        .copied()
        .filter(|n| bond.slaves.iter().any(|s| s == n))
        .collect();
    let Some(first) = slaves.first() else {
        return;
    };
    let runs = runs.map_or_else(
        || "no primary".to_string(),
        |v| format!("primary {}", v.value),
    );
    out.push(
        Diagnostic::new(
            rule::NV114,
            format!("ifenslave never applies {}'s bond-primary: {first} is not yet a slave when it writes primary, and {} runs with {runs}", iface.name, iface.name),
        )
        .at(at)
        .iface(&iface.name)
        .help(format!("repeat `bond-primary {}` in the stanza of each slave: ifenslave writes a slave's bond-primary once that slave has joined", slaves.join(" ")))
        .note(format!("ifenslave writes a bond's primary once, right after enslaving the bond's `bond-slaves`; a slave that joins through its own `bond-master` (or whose `ifup` brings {} up) joins after that write", iface.name)),
    );
}

/// The `bond-*` options written in interfaces in the stanzas of `bond`'s slaves that join it
/// through their own `bond-master`, with where each is written. ifenslave's slave path writes
/// only `bond-primary` and `bond-primary-reselect` from such a stanza (NV113 judges them
/// against the bond's mode) and ignores the others (NV114, unless the bond runs with that
/// value anyway).
fn slave_stanza_options(
    ctx: &Context<'_, '_>,
    iface: &Interface<'_>,
    bond: &Bond,
    mut each: impl FnMut(&Interface<'_>, &'static str, &crate::model::BondOption, Location),
) {
    for name in &bond.slaves {
        let Some(slave) = ctx.model.get(name) else {
            continue;
        };
        let names_this_bond = slave
            .option(&["bond-master"])
            .is_some_and(|m| m.value().trim() == iface.name);
        if !names_this_bond || slave.kind == Kind::Bond {
            continue;
        }
        for (key, opt) in crate::model::bond::collect_options(slave, &[]) {
            if let Origin::Interfaces(at) = opt.origin {
                each(slave, key, &opt, at);
            }
        }
    }
}

/// NV113 on a slave's stanza: its `bond-primary` or `bond-primary-reselect` in a mode
/// without a primary.
fn slave_primary_out_of_mode(
    ctx: &Context<'_, '_>,
    iface: &Interface<'_>,
    bond: &Bond,
    out: &mut Findings<'_>,
) {
    let mode = bond.kernel.mode();
    slave_stanza_options(ctx, iface, bond, |slave, key, _, at| {
        if !matches!(key, "primary" | "primary_reselect") {
            return;
        }
        if let Some(modes) = modes_using(key).filter(|m| !m.contains(&mode)) {
            let names: Vec<&str> = modes.iter().map(|m| m.name()).collect();
            out.push(
                Diagnostic::new(
                    rule::NV113,
                    format!("{key} in {}'s stanza has no effect on {} in {} mode", slave.name, iface.name, mode.name()),
                )
                .at(at)
                .iface(&slave.name)
                .help(format!("{key} applies to {} only: remove it from the slaves' stanzas, or fix {}'s mode", names.join(", "), iface.name))
                .note(if key == "primary" {
                    format!("ifenslave writes a slave's bond-primary to {} when the slave joins; the kernel refuses it (\"option primary: mode dependency failed\")", iface.name)
                } else {
                    format!("the kernel keeps it, but {} mode does not use it", mode.name())
                }),
            );
        }
    });
}

/// NV114 on a slave's stanza: a `bond-*` option ifenslave's slave path ignores, when the bond
/// runs with another value.
fn slave_option_ignored(
    ctx: &Context<'_, '_>,
    iface: &Interface<'_>,
    bond: &Bond,
    out: &mut Findings<'_>,
) {
    slave_stanza_options(ctx, iface, bond, |slave, key, opt, at| {
        if matches!(key, "primary" | "primary_reselect") {
            return;
        }
        let running = bond.kernel.get(key).map(|v| v.value.as_str());
        if running.is_some_and(|r| same_value(key, r, &opt.value)) {
            return;
        }
        let runs = running.map_or_else(|| format!("no {key}"), |v| format!("{key} {v}"));
        out.push(
            Diagnostic::new(
                rule::NV114,
                format!("ifenslave ignores {key} in {}'s stanza: {} runs with {runs}", slave.name, iface.name),
            )
            .at(at)
            .iface(&slave.name)
            .help(format!("set {key} in {}'s own stanza, and remove it here", iface.name))
            .note("a stanza with `bond-master` makes ifenslave enslave it; from that stanza ifenslave writes only bond-primary and bond-primary-reselect to the bond"),
        );
    });
}

/// NV130: a module parameter and a bond's own option disagree.
fn module_conflicts(
    ctx: &Context<'_, '_>,
    iface: &Interface<'_>,
    bond: &Bond,
    out: &mut Findings<'_>,
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
                rule::NV130,
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

/// NV131: only where the boot loads the module before ifenslave runs (modules-load.d,
/// `/etc/modules`, the initramfs). Otherwise ifenslave loads it itself and writes every
/// option right away, and the module's own defaults never run a bond.
fn module_without_options(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    let Some(early) = crate::load::modprobe::loaded_early(&ctx.host.early_modules, "bonding")
    else {
        return;
    };
    // What a bond created with the module's defaults alone runs with (the driver forces
    // miimon 100 at load in a mode without ARP support).
    let defaults =
        crate::model::bringup::bond(&Bond::default(), &ctx.model.bonding_module, &[], &[], &[]);
    if defaults.number("miimon") > 0 || defaults.number("arp_interval") > 0 {
        return;
    }
    let bonds: Vec<&Interface<'_>> = ctx
        .model
        .interfaces
        .iter()
        // Bonds that booting brings up: a template stanza only others inherit from is not one.
        .filter(|i| {
            i.kind == Kind::Bond
                && i.has_stanza()
                && ctx.model.links.brought_up.contains(i.name.as_str())
        })
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
    let bond0 = if ctx
        .model
        .module_param("max_bonds")
        .is_some_and(|p| p.value.trim() == "0")
    {
        ""
    } else {
        " and creates bond0 in balance-rr"
    };
    out.push(
        Diagnostic::new(
            rule::NV131,
            format!(
                "the bonding module loads at boot before ifenslave runs, without miimon{bond0}; \
                 bond options are set only in interfaces ({})",
                names.join(", ")
            ),
        )
        .at(early)
        .iface(&first.name)
        .label(first.first_header(), "options only here")
        .help("add `options bonding max_bonds=0 miimon=100` to /etc/modprobe.d/bonding.conf, so that a bond created before ifenslave runs has link monitoring")
        .fix(Fix {
            title: "add /etc/modprobe.d/bonding.conf with `options bonding max_bonds=0 miimon=100`".to_string(),
            applicability: Applicability::Unsafe,
            edits: Vec::new(),
            creates: vec![crate::diagnostic::NewFile {
                path: "/etc/modprobe.d/bonding.conf".to_string(),
                text: "# Added by netvet fix (NV131): the boot loads the bonding module before ifenslave\n\
                       # configures the bonds. With these options a bond has link monitoring from the\n\
                       # start, and the module creates no bond0 of its own.\n\
                       options bonding max_bonds=0 miimon=100\n"
                    .to_string(),
            }],
        })
        .note("until ifenslave writes the bond-* options, a bond the module or another tool creates runs without link monitoring"),
    );
}

/// NV120-NV124: what the configuration says about an interface that some bond claims as a
/// slave, one function per rule.
fn slave_checks(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Findings<'_>) {
    if iface.memberships.is_empty() {
        return;
    }
    in_two_bonds(ctx, iface, out);
    master_mismatch(ctx, iface, out);
    never_enslaved(ctx, iface, out);
    slave_addresses(iface, out);
    not_physical(iface, out);
}

/// The bonds that claim `iface`, each once, in claiming order.
fn claiming_bonds<'i>(iface: &'i Interface<'_>) -> Vec<&'i str> {
    let mut b: Vec<&str> = iface.memberships.iter().map(|m| m.bond.as_str()).collect();
    b.dedup();
    b
}

/// What booting does with a slave two bonds claim.
fn contested_outcome(ctx: &Context<'_, '_>, iface: &Interface<'_>) -> String {
    match ctx.model.links.enslaved.get(iface.name.as_str()) {
        Some(bond) => format!(
            "booting this configuration, {bond} enslaves it first; the other bond's attempt fails (\"Device is in use and cannot be enslaved\") and ifup still exits 0"
        ),
        None => "whichever bond comes up second fails to enslave it (\"Device is in use and cannot be enslaved\")".to_string(),
    }
}

/// The bond listing a slave in `bond-slaves` and the one its own `bond-master` names, when
/// exactly those two bonds claim it (NV123 says that case, not NV120).
fn list_and_own<'i>(iface: &'i Interface<'_>) -> Option<(&'i Membership, &'i Membership)> {
    let list = iface
        .memberships
        .iter()
        .find(|x| x.via == MembershipVia::BondSlaves)?;
    let own = iface
        .memberships
        .iter()
        .find(|x| x.via == MembershipVia::BondMaster)?;
    (claiming_bonds(iface).len() == 2).then_some((list, own))
}

/// NV120: an interface claimed by two bonds (other than a bond list against the slave's own
/// `bond-master`, which is NV123).
fn in_two_bonds(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Findings<'_>) {
    if claiming_bonds(iface).len() < 2 || list_and_own(iface).is_some() {
        return;
    }
    let m = &iface.memberships;
    out.push(
        Diagnostic::new(
            rule::NV120,
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
        .note(contested_outcome(ctx, iface)),
    );
}

/// NV123: a slave's `bond-master` that disagrees with the bond listing it, or names a bond
/// with no stanza.
fn master_mismatch(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Findings<'_>) {
    if let Some((list, own)) = list_and_own(iface) {
        out.push(
            Diagnostic::new(
                rule::NV123,
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
            ))
            .note(contested_outcome(ctx, iface)),
        );
    }
    for m in &iface.memberships {
        let bond = ctx.model.get(&m.bond);
        if m.via == MembershipVia::BondMaster && !bond.is_some_and(Interface::has_stanza) {
            out.push(
                Diagnostic::new(
                    rule::NV123,
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
}

/// NV124: a slave only its own stanza enslaves, and nothing brings that stanza up.
fn never_enslaved(ctx: &Context<'_, '_>, iface: &Interface<'_>, out: &mut Findings<'_>) {
    let master = &iface.memberships[0];
    let own_only = iface
        .memberships
        .iter()
        .all(|m| m.via == MembershipVia::BondMaster);
    let bond_exists = ctx
        .model
        .get(&master.bond)
        .is_some_and(Interface::has_stanza);
    let hotplug = ctx.model.allows_of(&iface.name).any(|a| a.class != "auto");
    let up = ctx.model.links.brought_up.contains(iface.name.as_str());
    if own_only && bond_exists && iface.has_stanza() && !up && !hotplug {
        out.push(
            Diagnostic::new(
                rule::NV124,
                format!("{} has `bond-master {}`, but nothing brings {} up: it is never enslaved", iface.name, master.bond, iface.name),
            )
            .at(master.location)
            .iface(&iface.name)
            .help(format!("add `auto {}` (or `allow-hotplug {}`), or list it in {}'s `bond-slaves`", iface.name, iface.name, master.bond))
            .note(format!("ifenslave enslaves an interface with `bond-master` when that interface's own stanza comes up; `ifup -a` brings up only `auto` interfaces, so {} comes up without it", master.bond)),
        );
    }
}

/// NV121: a slave with addresses of its own.
fn slave_addresses(iface: &Interface<'_>, out: &mut Findings<'_>) {
    let master = &iface.memberships[0];
    for s in &iface.stanzas {
        let method = s.stanza.method_str().unwrap_or("");
        let has_address = s.stanza.options.iter().any(|o| o.name.text == "address");
        if matches!(method, "static" | "dhcp" | "auto" | "bootp" | "ipv4ll")
            && (method != "static" || has_address)
        {
            out.push(
                Diagnostic::new(
                    rule::NV121,
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
}

/// NV122: a slave that is a virtual interface or belongs elsewhere.
fn not_physical(iface: &Interface<'_>, out: &mut Findings<'_>) {
    let master = &iface.memberships[0];
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
                rule::NV122,
                format!("{} enslaves {}, which is {role}", master.bond, iface.name),
            )
            .at(master.location)
            .iface(&iface.name)
            .label(iface.first_header(), "defined here")
            .help("bond slaves must be physical NICs (or veth/dummy devices): enslave the underlying NIC instead"),
        );
    }
}
