//! NV006-NV007: stanzas ifup refuses because their method misses a variable it requires, and
//! options nothing reads (a typo, or an option the stanza's method ignores).
//!
//! An unknown method or family is NV001: ifupdown rejects the whole file for it.

use crate::diagnostic::registry as rule;
use std::collections::HashSet;

use super::{Context, Findings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Dialect;
use crate::model::{Interface, Kind};
use crate::source::Location;
use crate::syntax::methods::{self, env_name};

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    // Files written for ifupdown2 (Proxmox and Cumulus ship them) use options Debian's ifupdown
    // does not know and do not require its variables: NV001 already says the file is in
    // another dialect, and judging each option by ifupdown 0.8 would only add noise.
    if ctx.host.dialect != Dialect::Ifupdown {
        return;
    }
    let names = methods::known_option_names();
    let read_by_heirs = read_through_inherits(ctx);
    for iface in &ctx.model.interfaces {
        let mut claimed = HashSet::new();
        refused(iface, names, &mut claimed, out);
        unread(iface, names, &claimed, &read_by_heirs, out);
    }
}

/// What to write for a missing variable.
fn example(family: &str, var: &str) -> String {
    let value = match (family, var) {
        ("inet6", "address") => "2001:db8::10/64",
        ("inet6", "endpoint" | "local") | (_, "local") => "198.51.100.1",
        (_, "address") => "192.0.2.10/24",
        (_, "netmask") => "24",
        ("inet6", "mode") => "ip6gre",
        (_, "mode") => "gre",
        (_, "endpoint") => "198.51.100.1",
        (_, "bitrate") => "500000",
        (_, "frame") => "802.2",
        _ => "VALUE",
    };
    format!("{var} {value}")
}

/// NV006.
fn refused(
    iface: &Interface<'_>,
    names: &[String],
    claimed: &mut HashSet<Location>,
    out: &mut Findings<'_>,
) {
    let Some(i) = iface.refused_at() else { return };
    let stanza = iface.stanzas[i];
    let missing = iface.missing_required(i);
    let family = stanza.stanza.family_str().unwrap_or_default();
    let method = stanza.stanza.method_str().unwrap_or_default();
    let name = &iface.name;
    let quoted: Vec<String> = missing
        .iter()
        .map(|v| format!("\"missing required variable: {v}\""))
        .collect();
    let mut d = Diagnostic::new(
        rule::NV006,
        format!(
            "ifup refuses `iface {name} {family} {method}`: {}",
            quoted.join(", ")
        ),
    )
    .at(stanza.header())
    .iface(name);
    // The options nothing reads, each with the name it is nearest to: one search per option,
    // not one per option and missing variable.
    let guesses: Vec<(&_, &str)> = stanza
        .stanza
        .options
        .iter()
        .filter(|o| methods::reader(family, method, &o.name.text).is_none())
        .filter_map(|o| {
            methods::did_you_mean(&o.name.text, names.iter().map(String::as_str)).map(|g| (o, g))
        })
        .collect();
    let mut fixes = Vec::new();
    for var in &missing {
        // An option of the stanza that is this variable misspelt: name it, and NV007 keeps quiet.
        let typo = guesses.iter().find(|(_, g)| g == var).map(|(o, _)| *o);
        match typo {
            Some(o) => {
                let at = stanza.loc(o);
                claimed.insert(at);
                d = d.label(
                    Some(at),
                    format!(
                        "`{}` is not `{var}`: ifupdown does not read it",
                        o.name.text
                    ),
                );
                fixes.push(format!("rename `{}` to `{var}`", o.name.text));
            }
            None => fixes.push(format!("add `{}`", example(family, var))),
        }
    }
    let alternative = if method == "static" && matches!(family, "inet" | "inet6") {
        format!(", or use `{family} manual` if {name} needs no address")
    } else {
        String::new()
    };
    d = d
        .help(format!("{}{alternative}", fixes.join(" and ")))
        .note(format!(
            "ifup prints {} and \"missing required configuration variables for interface {name}/{family}\" before the pre-up phase: none of the stanza's hooks or commands run",
            quoted.join(", ")
        ));
    let consequence = if i > 0 {
        format!(
            "ifup configures {name}'s stanzas before this one and does not try the ones after it; `ifup -a` exits 1"
        )
    } else if iface.kind == Kind::Bond && iface.ifenslave_creates_bond() {
        format!(
            "{name} is never created (ifenslave runs in the pre-up phase), so its slaves stay unenslaved and VLANs or bridges on it have no parent; `ifup -a` goes on with the other interfaces and exits 1"
        )
    } else if iface.kind == Kind::Vlan && name.contains('.') {
        format!(
            "ifupdown creates the VLAN {name} before the check, then leaves it down and unconfigured; `ifup -a` goes on with the other interfaces and exits 1"
        )
    } else if iface.kind == Kind::Bridge {
        format!(
            "{name} is never created (bridge-utils runs in the pre-up phase); `ifup -a` goes on with the other interfaces and exits 1"
        )
    } else {
        format!("{name} is not configured; `ifup -a` goes on with the other interfaces and exits 1")
    };
    out.push(d.note(consequence));
}

/// Options of a template stanza that the method of a stanza inheriting them reads.
fn read_through_inherits(ctx: &Context<'_, '_>) -> HashSet<Location> {
    let mut read = HashSet::new();
    for iface in &ctx.model.interfaces {
        for (i, inherited) in iface.inherited.iter().enumerate() {
            let Some(child) = iface.stanzas.get(i) else {
                continue;
            };
            let (Some(family), Some(method)) =
                (child.stanza.family_str(), child.stanza.method_str())
            else {
                continue;
            };
            for o in inherited {
                if methods::reader(family, method, &o.opt.name.text).is_some() {
                    read.insert(o.location());
                }
            }
        }
    }
    read
}

/// The options of an interface that its commands read from their environment: `up ip addr
/// add $IF_ADDRESS dev $IFACE` reads `address`. `IF_ADDRESS` is read where a word of a command
/// ends in it (`$IF_ADDRESS`, `${IF_ADDRESS}`), not inside a longer one (`$IF_ADDRESSES`).
///
/// Found in one pass over the commands, whatever the number of options (asking for each option
/// in turn went through every option for the commands: a stanza of 20,000 unknown options took
/// 2 s, bench/hostile.sh). The options' `IF_` names, each spelt backwards, are sorted; each
/// word of the commands is read from its end one character at a time, narrowing the range of
/// names that end in what has been read so far: a trie without its nodes, as small as the
/// names.
struct CommandEnv {
    /// `IF_` names, reversed, sorted, distinct.
    names: Vec<Vec<u8>>,
    read: Vec<bool>,
}

impl CommandEnv {
    fn new(iface: &Interface<'_>) -> Self {
        let mut names: Vec<Vec<u8>> = iface
            .options()
            .map(|o| reversed_var(&o.opt.name.text))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut read = vec![false; names.len()];
        let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
        for command in iface.options().filter(|o| o.opt.is_hook()) {
            let text = command.value().as_bytes();
            for end in 1..=text.len() {
                if !word(&text[end - 1]) || text.get(end).is_some_and(word) {
                    continue;
                }
                // names[lo..hi] end in the k characters before `end`.
                let (mut lo, mut hi) = (0, names.len());
                for (k, &b) in text[..end].iter().rev().take_while(|b| word(b)).enumerate() {
                    lo += names[lo..hi].partition_point(|n| n.get(k).is_none_or(|c| *c < b));
                    hi = lo + names[lo..hi].partition_point(|n| n[k] <= b);
                    if lo == hi {
                        break;
                    }
                    // The shortest sorts first: a name that is all of the word read so far.
                    if names[lo].len() == k + 1 {
                        read[lo] = true;
                    }
                }
            }
        }
        CommandEnv { names, read }
    }

    fn reads(&self, option: &str) -> bool {
        self.names
            .binary_search(&reversed_var(option))
            .is_ok_and(|i| self.read[i])
    }
}

/// `IF_BOND_MODE` for `bond-mode`, spelt backwards.
fn reversed_var(option: &str) -> Vec<u8> {
    let mut var = format!("IF_{}", env_name(option)).into_bytes();
    var.reverse();
    var
}

/// NV007.
fn unread(
    iface: &Interface<'_>,
    names: &[String],
    claimed: &HashSet<Location>,
    read_by_heirs: &HashSet<Location>,
    out: &mut Findings<'_>,
) {
    // Built for the first option no method reads: most interfaces have none.
    let mut command_env = None;
    for stanza in &iface.stanzas {
        let (Some(family), Some(method)) = (stanza.stanza.family_str(), stanza.stanza.method_str())
        else {
            continue;
        };
        if methods::method(family, method).is_none() {
            continue;
        }
        for o in &stanza.stanza.options {
            let written = o.name.text.as_str();
            let at = stanza.loc(o);
            if methods::reader(family, method, written).is_some()
                || claimed.contains(&at)
                || read_by_heirs.contains(&at)
                || command_env
                    .get_or_insert_with(|| CommandEnv::new(iface))
                    .reads(written)
            {
                continue;
            }
            // The vlan and bridge-utils hooks read `mtu` whatever the method.
            if written == "mtu"
                && (iface.kind == Kind::Bridge
                    || iface.kind == Kind::Vlan
                        && iface
                            .vlan
                            .as_ref()
                            .is_some_and(|v| v.parent_origin.is_some()))
            {
                continue;
            }
            let readers: Vec<&str> = methods::methods_of(family)
                .filter(|m| m.options.contains(&written))
                .map(|m| m.name)
                .collect();
            let d = if methods::OBSOLETE.contains(&written) {
                Diagnostic::new(
                    rule::NV007,
                    format!("ifupdown 0.8 does not read `{written}` (on {})", iface.name),
                )
                .severity(Severity::Info)
                .help("delete it: ifupdown 0.8 derives the network from the address's prefix")
            } else if readers.is_empty() {
                // A bonding option without its `bond-` prefix is the common slip.
                let prefixed = format!("bond-{}", written.replace('_', "-"));
                let near = names
                    .iter()
                    .find(|n| **n == prefixed)
                    .map(String::as_str)
                    .or_else(|| methods::did_you_mean(written, names.iter().map(String::as_str)));
                let d = Diagnostic::new(
                    rule::NV007,
                    format!(
                        "nothing reads `{written}` in `iface {} {family} {method}`",
                        iface.name
                    ),
                );
                match near {
                    Some(near) => d.help(format!("did you mean `{near}`?")),
                    None => d.help(format!(
                        "check the spelling, or delete the line; {family} {method} and the hooks Debian packages install do not know it"
                    )),
                }
            } else {
                let list: Vec<String> = readers.iter().map(|m| format!("{family} {m}")).collect();
                Diagnostic::new(
                    rule::NV007,
                    format!(
                        "`{family} {method}` ignores `{written}` on {}",
                        iface.name
                    ),
                )
                .help(if written == "mtu" {
                    format!(
                        "to keep {family} {method}, set the MTU in a command: `pre-up ip link set dev {} mtu {}`; `mtu` is read by {} only",
                        iface.name,
                        o.value.text.trim(),
                        list.join(", ")
                    )
                } else {
                    format!(
                        "`{written}` is read by {} only: delete it, or change the method",
                        list.join(", ")
                    )
                })
            };
            out.push(
                d.at(at)
                    .iface(&iface.name)
                    .note(format!(
                        "ifupdown accepts any option and hands it to hooks as IF_{}; nothing uses this one, so it has no effect",
                        env_name(written)
                    )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::load::{Root, Target, load, test_tree};

    fn codes(text: &str) -> Vec<&'static str> {
        let dir = test_tree(&[("etc/network/interfaces", text)]);
        let host = load(&Target::Root(Root::new(dir.path())));
        let mut codes: Vec<_> = crate::rules::check(&host, None, &Default::default())
            .iter()
            .map(|d| d.code)
            .collect();
        codes.dedup();
        codes
    }

    #[test]
    fn a_refused_bond_is_reported_once() {
        // Without NV006, bond0 would also get NV101/NV110/NV111/NV114 and eno1 NV201: none
        // of it happens to a bond that is never created.
        let text = "auto eno1\niface eno1 inet manual\n    bond-master bond0\n    mtu 9000\n\n\
                    auto bond0\niface bond0 inet static\n    bond-slaves eno1 eno2\n    \
                    bond-mode 802.3ad\n    bond-min-links 3\n    bond-xmit-hash-policy layer3+4\n";
        assert_eq!(codes(text), ["NV006"]);
    }

    #[test]
    fn ifupdown2_files_are_not_judged_by_ifupdown_methods() {
        let text = "auto vmbr0\niface vmbr0\n    address 192.0.2.1/24\n    bridge-vids 2-4094\n";
        assert!(codes(text).is_empty(), "{:?}", codes(text));
    }

    /// `CommandEnv` against its definition, an option at a time: a command reads the option
    /// where `IF_` and its environment name occur and no letter, digit or `_` follows.
    #[test]
    fn commands_read_the_options_their_environment_names() {
        use crate::model::Model;
        fn reference(iface: &crate::model::Interface<'_>, option: &str) -> bool {
            let var = format!("IF_{}", super::env_name(option));
            iface.options().any(|o| {
                o.opt.is_hook()
                    && o.value().match_indices(&var).any(|(at, _)| {
                        !o.value()[at + var.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    })
            })
        }
        let options = [
            "address",
            "addresses",
            "if-address",
            "bond-mode",
            "bond_mode",
            "Bond-Mode",
            "mtu",
            "mt",
            "a",
            "hwaddress",
            "x-y-z",
            "é",
            "up",
        ];
        let commands = [
            "ip addr add $IF_ADDRESS dev $IFACE",
            "echo ${IF_BOND_MODE}/$IF_MTU",
            "echo $IF_ADDRESSES IF_MT_ IF_Aé IF_HWADDRESS1",
            "echo MYIF_X_Y_Z;IF_IF_ADDRESS",
            "IF_IF_IF_",
            "IF_",
            "",
        ];
        let mut text = String::from("auto eth0\niface eth0 inet manual\n");
        for o in options {
            text.push_str(&format!("    {o} 1\n"));
        }
        let mut checked = 0;
        for command in commands {
            let dir = test_tree(&[(
                "etc/network/interfaces",
                &format!("{text}    up {command}\n    post-up {command}\n"),
            )]);
            let host = load(&Target::Root(Root::new(dir.path())));
            let model = Model::build(&host);
            let iface = model.get("eth0").expect("eth0");
            let env = super::CommandEnv::new(iface);
            for o in options {
                assert_eq!(env.reads(o), reference(iface, o), "{o} in {command:?}");
                checked += 1;
            }
            // Not an option of the interface: never read.
            assert!(!env.reads("gateway"));
        }
        assert_eq!(checked, options.len() * commands.len());
        // And the set is not trivial: both answers occur.
        let dir = test_tree(&[(
            "etc/network/interfaces",
            &format!("{text}    up {}\n", commands[..4].join("; ")),
        )]);
        let host = load(&Target::Root(Root::new(dir.path())));
        let model = Model::build(&host);
        let env = super::CommandEnv::new(model.get("eth0").expect("eth0"));
        let unread: Vec<&str> = options.into_iter().filter(|o| !env.reads(o)).collect();
        // `IF_Aé` reads `a` (é is not a letter of a name); `IF_MT_` and `IF_HWADDRESS1` are
        // longer names; `é` is `IF_`, which no word ends in.
        assert_eq!(unread, ["mt", "hwaddress", "é", "up"]);
    }

    #[test]
    fn a_typo_of_a_missing_variable_is_one_finding() {
        let text = "auto eth0\niface eth0 inet static\n    adress 192.0.2.1/24\n";
        assert_eq!(codes(text), ["NV006"]);
    }
}
