//! NV001-NV005: files that do not parse, includes that go nowhere, stanzas defined twice,
//! values the kernel or ifupdown will reject, `auto` lines for interfaces that do not exist.

use crate::diagnostic::registry as rule;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Context, Findings};
use crate::bonding::Values;
use crate::diagnostic::{Diagnostic, Severity};
use crate::load::interfaces::IncludeProblemKind;
use crate::model::{self, Interface, StanzaRef};
use crate::source::Location;
use crate::syntax::SyntaxError;
use crate::syntax::interfaces::Item;

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    syntax_errors(ctx, out);
    include_problems(ctx, out);
    for iface in &ctx.model.interfaces {
        duplicate_stanzas(iface, out);
        inherited_twice(iface, out);
        invalid_values(
            iface,
            ctx.host.dialect != crate::load::Dialect::Ifupdown,
            out,
        );
    }
    invalid_module_params(ctx, out);
    auto_without_iface(ctx, out);
}

fn syntax_error(file: crate::source::FileId, err: &SyntaxError) -> Diagnostic {
    let mut d = Diagnostic::new(rule::NV001, err.message.clone()).at(Location {
        file,
        span: err.span,
    });
    if let Some(help) = &err.help {
        d = d.help(help.clone());
    }
    d
}

/// NV001.
fn syntax_errors(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    let host = ctx.host;
    let ifupdown2 = host.dialect != crate::load::Dialect::Ifupdown;
    for (file, parsed) in &host.interfaces {
        out.extend(
            parsed
                .errors
                .iter()
                .filter(|e| !(ifupdown2 && e.valid_in_ifupdown2))
                .map(|e| syntax_error(*file, e)),
        );
    }
    for (file, parsed) in &host.modprobe {
        out.extend(parsed.errors.iter().map(|e| syntax_error(*file, e)));
    }
    for (file, parsed) in &host.sysctl {
        out.extend(parsed.errors.iter().map(|e| syntax_error(*file, e)));
    }
    for (file, parsed) in &host.nginx {
        out.extend(parsed.errors.iter().map(|e| syntax_error(*file, e)));
    }
    for (file, parsed) in host.sshd.iter().chain(&host.apache) {
        out.extend(parsed.errors.iter().map(|e| syntax_error(*file, e)));
    }
    for unit in &host.sockets {
        out.extend(unit.unit.errors.iter().map(|e| syntax_error(unit.file, e)));
    }
    for err in &host.read_errors {
        out.push(
            Diagnostic::new(
                rule::NV001,
                format!("cannot read {}: {}", err.path, err.error),
            )
            .at_opt(err.requested_by)
            .help("check the file's permissions; netvet needs to read every file ifupdown reads"),
        );
    }
}

/// NV002.
fn include_problems(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    for problem in &ctx.host.include_problems {
        let d = match &problem.kind {
            IncludeProblemKind::NothingMatched { pattern } => Diagnostic::new(
                rule::NV002,
                format!("`{pattern}` matches no file or directory"),
            )
            .help("ifupdown skips it without a word: fix the path, or delete the line"),
            IncludeProblemKind::TooDeep => Diagnostic::new(
                rule::NV002,
                format!(
                    "`source` files nest more than {} deep: netvet reads no deeper",
                    crate::load::interfaces::MAX_INCLUDE_DEPTH
                ),
            )
            .help("flatten the chain: have the main file source the directory that holds them"),
            IncludeProblemKind::Cycle { chain } => Diagnostic::new(
                rule::NV002,
                format!("include cycle: {}", chain.join(" -> ")),
            )
            .severity(Severity::Error)
            .help("remove the `source` line that includes a file already being read")
            .note("ifupdown reads each file once and skips the repeat, so the cycle hides which definitions win"),
            IncludeProblemKind::IgnoredNames { dir, names } => Diagnostic::new(
                rule::NV002,
                format!(
                    "`source-directory {dir}` ignores {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .help("ifupdown reads only names made of letters, digits, `_` and `-`: rename the file (drop the extension), or use `source DIR/*` instead"),
        };
        out.push(d.at(problem.location));
    }
}

/// NV003: several stanzas for one interface and family whose methods or options disagree.
/// Repeating `iface eth0 inet static` to add addresses is ifupdown's documented way and is fine.
fn duplicate_stanzas(iface: &Interface<'_>, out: &mut Findings<'_>) {
    for (i, first) in iface.stanzas.iter().enumerate() {
        let family = first.stanza.family_str();
        let Some(second) = iface.stanzas[i + 1..]
            .iter()
            .find(|s| s.stanza.family_str() == family && family.is_some())
        else {
            continue;
        };
        // Report each pair once: only when `first` is the earliest stanza of its family.
        if iface.stanzas[..i]
            .iter()
            .any(|s| s.stanza.family_str() == family)
        {
            continue;
        }
        let family = family.unwrap_or_default();
        let m1 = first.stanza.method_str().unwrap_or("?");
        let m2 = second.stanza.method_str().unwrap_or("?");
        let conflict = if m1 != m2 {
            Some(format!(
                "methods `{m1}` and `{m2}` both run: ifupdown processes every stanza in order"
            ))
        } else {
            conflicting_option(first, second)
        };
        if let Some(why) = conflict {
            out.push(
                Diagnostic::new(
                    rule::NV003,
                    format!(
                        "`iface {} {family}` is defined more than once: {why}",
                        iface.name
                    ),
                )
                .at(second.header())
                .iface(&iface.name)
                .label(Some(first.header()), "first defined here")
                .help("merge the two stanzas into one"),
            );
        }
    }
}

/// Options that may be given several times (each line is one more address or command).
const MULTI: &[&str] = &[
    "address",
    "up",
    "down",
    "pre-up",
    "post-up",
    "pre-down",
    "post-down",
    "dns-nameservers",
    "dns-search",
];

/// NV003: a stanza that sets a single-valued option it also inherits. ifupdown copies the
/// parent's options in first and then appends the stanza's own: the two become one value of
/// two lines (`ifquery` shows `mtu: 9000` and then `1500`), and the commands that use it break.
fn inherited_twice(iface: &Interface<'_>, out: &mut Findings<'_>) {
    for (i, stanza) in iface.stanzas.iter().enumerate() {
        let Some(inherited) = iface.inherited.get(i) else {
            continue;
        };
        for own in &stanza.stanza.options {
            let name = own.name.text.as_str();
            if MULTI.contains(&model::normalize_option(name).as_str()) {
                continue;
            }
            let Some(parent) = inherited.iter().find(|o| o.opt.name.text == name) else {
                continue;
            };
            let from = parent.stanza.stanza.name.text.as_str();
            out.push(
                Diagnostic::new(
                    rule::NV003,
                    format!(
                        "{} sets `{name} {}` but also inherits `{name} {}` from {from}: ifupdown joins them into one two-line value",
                        iface.name,
                        own.value.text.trim(),
                        parent.value().trim()
                    ),
                )
                .severity(Severity::Error)
                .at(stanza.loc(own))
                .iface(&iface.name)
                .label(Some(parent.location()), format!("inherited from {from}"))
                .help(format!("remove `{name}` from {from}, or from this stanza: one value per option"))
                .note(format!("`%{name}%` in ifupdown's commands then expands to both lines: the first runs with {from}'s value, the second line fails as a command, and ifup of {} fails", iface.name)),
            );
        }
    }
}

/// A single-valued option that two stanzas set to different values.
fn conflicting_option(a: &StanzaRef<'_>, b: &StanzaRef<'_>) -> Option<String> {
    for oa in &a.stanza.options {
        let name = model::normalize_option(&oa.name.text);
        if MULTI.contains(&name.as_str()) {
            continue;
        }
        if let Some(ob) = b
            .stanza
            .options
            .iter()
            .find(|o| model::normalize_option(&o.name.text) == name)
        {
            if oa.value.text.trim() != ob.value.text.trim() {
                return Some(format!(
                    "`{name}` is `{}` in one and `{}` in the other",
                    oa.value.text.trim(),
                    ob.value.text.trim()
                ));
            }
        }
    }
    None
}

/// Why a value is invalid, or `None` when it is fine. Shared by interfaces options and
/// modprobe.d module parameters (keys are the driver's names for bond options).
pub(super) fn check_bond_value(key: &str, value: &str) -> Option<String> {
    let value = value.trim();
    let one_of = |allowed: &[&str]| {
        let numeric = value.parse::<usize>().is_ok_and(|n| n < allowed.len());
        if allowed.contains(&value) || numeric {
            None
        } else {
            Some(format!("expected one of {}", allowed.join(", ")))
        }
    };
    let option = crate::bonding::option(key)?;
    match option.values {
        Values::Names(names) => one_of(names).map(|expected| {
            // The numbers are the names' places in the driver's list.
            format!("{expected} (or 0-{})", names.len() - 1)
        }),
        Values::Number => value
            .parse::<u32>()
            .is_err()
            .then(|| "expected a non-negative whole number".to_string()),
        Values::Flag => one_of(&["0", "1"]),
        Values::Addresses if key == "arp_ip_target" => value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .find(|t| t.parse::<Ipv4Addr>().is_err())
            .map(|t| format!("`{t}` is not an IPv4 address")),
        Values::Addresses | Values::Interface | Values::Mac => None,
    }
}

fn check_prefix(text: &str, max: u8) -> Result<(), String> {
    match text.parse::<u8>() {
        Ok(p) if p <= max => Ok(()),
        _ => Err(format!("prefix length `{text}` is not 0..{max}")),
    }
}

fn check_address(family: Option<&str>, value: &str) -> Option<String> {
    let (addr, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (value, None),
    };
    let result = match family {
        // `inet static` hands the address to `ip addr add` without `-4`, so an IPv6 address
        // works there too; iproute2 also takes a dotted netmask after the slash.
        Some("inet") if addr.parse::<Ipv6Addr>().is_ok() => {
            prefix.map_or(Ok(()), |p| check_prefix(p, 128))
        }
        Some("inet") => addr
            .parse::<Ipv4Addr>()
            .map_err(|_| format!("`{addr}` is not an IPv4 address"))
            .and_then(|_| match prefix {
                Some(p) if p.contains('.') => check_netmask(Some("inet"), p).map_or(Ok(()), Err),
                Some(p) => check_prefix(p, 32),
                None => Ok(()),
            }),
        Some("inet6") => addr
            .parse::<Ipv6Addr>()
            .map_err(|_| format!("`{addr}` is not an IPv6 address"))
            .and_then(|_| prefix.map_or(Ok(()), |p| check_prefix(p, 128))),
        _ => Ok(()),
    };
    result.err()
}

fn check_netmask(family: Option<&str>, value: &str) -> Option<String> {
    match family {
        Some("inet") => {
            if value.parse::<u8>().is_ok() {
                return check_prefix(value, 32).err();
            }
            match value.parse::<Ipv4Addr>() {
                Ok(mask) => {
                    let bits = u32::from(mask);
                    (bits.leading_ones() + bits.trailing_zeros() != 32)
                        .then(|| format!("`{value}` is not a contiguous netmask"))
                }
                Err(_) => Some(format!("`{value}` is not a netmask")),
            }
        }
        Some("inet6") => check_prefix(value, 128).err(),
        _ => None,
    }
}

fn check_mac(value: &str) -> Option<String> {
    let mac = value.strip_prefix("ether").map_or(value, str::trim);
    if mac == "random" || mac == "preserve" {
        return None;
    }
    let parts: Vec<&str> = mac.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    (!ok).then(|| format!("`{mac}` is not a MAC address (xx:xx:xx:xx:xx:xx)"))
}

/// NV004 for interfaces options.
fn invalid_values(iface: &Interface<'_>, ifupdown2: bool, out: &mut Findings<'_>) {
    if iface.name.len() > 15 && iface.has_stanza() {
        out.push(
            Diagnostic::new(
                rule::NV004,
                format!(
                    "interface name `{}` is {} characters; the kernel allows 15",
                    iface.name,
                    iface.name.len()
                ),
            )
            .at_opt(iface.first_header())
            .iface(&iface.name)
            .help("use a name of at most 15 characters (IFNAMSIZ - 1)"),
        );
    }
    for opt in iface.options() {
        let family = opt.stanza.stanza.family_str();
        let name = model::normalize_option(&opt.opt.name.text);
        let value = opt.value().trim();
        let problem = match name.as_str() {
            "address" => check_address(family, value),
            "gateway" => check_address(family, value).filter(|_| !value.contains('/')),
            "netmask" => check_netmask(family, value),
            "mtu" => match value.parse::<u32>() {
                Ok(mtu) if (68..=65535).contains(&mtu) => None,
                Ok(_) => Some("the kernel accepts MTUs from 68 to 65535".to_string()),
                Err(_) => Some("expected a whole number".to_string()),
            },
            "hwaddress" => check_mac(value),
            "vlan-id" => value
                .parse::<u32>()
                .is_err()
                .then(|| "expected a VLAN id (a number)".to_string()),
            // ifupdown2 translates yes/no and on/off for the kernel's 0/1 options.
            _ if ifupdown2 && matches!(value, "yes" | "no" | "on" | "off") => None,
            other => {
                crate::model::bond::option_key(other).and_then(|key| check_bond_value(key, value))
            }
        };
        if let Some(problem) = problem {
            let mut d = Diagnostic::new(
                rule::NV004,
                format!("invalid `{}` value `{value}`: {problem}", opt.opt.name.text),
            )
            .at(opt.value_location())
            .iface(&iface.name);
            d = match value.find(" #").or_else(|| value.find("\t#")) {
                Some(at) => d
                    .help(format!("move the comment to a line of its own; the value is then `{}`", value[..at].trim()))
                    .note("ifupdown has no end-of-line comments: `#` after a value is part of the value"),
                None => d.help("correct the value; ifup fails (or the kernel refuses it) as written"),
            };
            out.push(d);
        }
    }
}

/// NV004 for `options bonding` in modprobe.d.
fn invalid_module_params(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    for param in &ctx.model.bonding_module {
        if let Some(problem) = check_bond_value(&param.name, &param.value) {
            out.push(
                Diagnostic::new(
                    rule::NV004,
                    format!(
                        "invalid bonding module parameter `{}={}`: {problem}",
                        param.name, param.value
                    ),
                )
                .at(param.location)
                .help("the module refuses to load with an invalid parameter: correct it"),
            );
        }
    }
}

/// NV005.
fn auto_without_iface(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    let mapping_patterns: Vec<&str> = ctx
        .host
        .interfaces
        .iter()
        .flat_map(|(_, f)| f.items.iter())
        .filter_map(|item| match item {
            Item::Mapping(m) => Some(m.patterns.iter().map(|p| p.text.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    // ifupdown puts `lo` on the auto list before reading anything, and defines `iface lo`
    // itself unless some stanza already uses the loopback method. A loopback stanza under
    // another name (`iface lo0 inet loopback`, a BSD habit) therefore leaves `lo` undefined.
    let loopback = ctx.model.interfaces.iter().find_map(|i| {
        i.stanzas
            .iter()
            .find(|s| s.stanza.method_str() == Some("loopback"))
            .map(|s| (i, s))
    });
    let implicit_lo = loopback.is_none();
    if let Some((iface, stanza)) = loopback {
        if iface.name != "lo" && !ctx.model.get("lo").is_some_and(Interface::has_stanza) {
            out.push(
                Diagnostic::new(
                    rule::NV005,
                    format!("`{}` uses the loopback method, so ifupdown does not define `lo`, which it always brings up", iface.name),
                )
                .at(stanza.header())
                .iface("lo")
                .help(format!("rename the stanza to `iface lo inet loopback`; `{}` is a BSD name", iface.name))
                .note("`ifup -a` and `ifquery --list` fail with \"unknown interface lo\""),
            );
        }
    }
    for entry in &ctx.model.allows {
        let written = entry.name;
        // `/eth*/=foo` and `mac/...` are pattern forms, matched against the machine's devices.
        if written.contains('/') {
            continue;
        }
        // `PHYS=LOGICAL` brings PHYS up with the `iface LOGICAL` stanza, and skips mappings.
        let (name, logical) = match written.split_once('=') {
            Some((_, logical)) => (logical, true),
            None => (written, false),
        };
        if name == "lo" && implicit_lo {
            continue;
        }
        if ctx.model.get(name).is_some_and(Interface::has_stanza) {
            continue;
        }
        if !logical
            && mapping_patterns
                .iter()
                .any(|p| glob::Pattern::new(p).is_ok_and(|p| p.matches(name)))
        {
            continue;
        }
        let (keyword, severity, consequence) = if entry.class == "auto" {
            (
                "auto".to_string(),
                Severity::Error,
                "`ifup -a` fails on it (\"unknown interface\") at boot",
            )
        } else {
            (
                format!("allow-{}", entry.class),
                Severity::Warning,
                "ifup fails on it when the device appears",
            )
        };
        out.push(
            Diagnostic::new(
                rule::NV005,
                format!("`{keyword} {written}` has no `iface {name}` stanza"),
            )
            .severity(severity)
            .at(entry.location)
            .iface(name)
            .help(format!(
                "add `iface {name} inet manual` (or the method you need), or remove `{written}` from the `{keyword}` line; {consequence}"
            )),
        );
    }
}
