//! A host's live state from the text of iproute2's `ip` and `ss` and of `grep -H` over sysfs and
//! /proc/sys: what the fleet audit collects over SSH from Debian hosts without netvet. Pure
//! functions, no I/O; each gives the values netvet's own readers (`netlink.rs`, `sock_diag.rs`,
//! [`super::read`]) give on the host itself, so the rules give the same findings.
//!
//! The output formats followed are iproute2 5.10 (Debian 11) and 6.1 (Debian 12), from their
//! sources (`ip/ipaddress.c` print_linkinfo, `lib/utils.c` print_name_and_link,
//! `ip/iplink_bond.c`, `ip/iplink_bond_slave.c`, `ip/iplink_vlan.c`, `lib/ll_addr.c`,
//! `lib/json_writer.c`, `misc/ss.c`). Where they differ, or where `ip` cannot say what netlink
//! says, the function's doc says so. Unknown kinds, keys and tokens (newer iproute2) are passed
//! over; a value of the wrong type in a key netvet reads is an error that says where.
//!
//! Everything read is untrusted: any input gives a value or an error, never a panic. The lists
//! are bounded ([`crate::limits::MAX_LIVE_LINKS`], [`crate::limits::MAX_LIVE_LISTENERS`]), and
//! what is kept of a link is a fixed set of fields, so memory follows the fields netvet keeps,
//! not the size of what the host printed (the caller bounds how much it reads).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{AdInfo, Bond, BondSlave, Link, Listener, Process, Vlan};
use crate::limits::{MAX_LIVE_LINKS, MAX_LIVE_LISTENERS, thousands};

/// The command whose output [`links_from_ip_json`] reads.
pub const IP_LINK_COMMAND: &str = "ip -details -json link show";

/// The command whose output [`listeners_from_ss`] reads: TCP listeners, numeric, with the
/// socket details (`uid:`, `ino:`, `v6only:`) and the processes holding them.
pub const SS_LISTENERS_COMMAND: &str = "ss -H -l -t -n -e -p";

/// The files whose `grep -H '' FILE...` output [`sysctls_from_grep`] reads, `*` being one path
/// component (the shell's glob on the host). Exactly the sysctls [`super::read`] reports:
/// `GLOBAL_SYSCTLS`, and `IPV6_CONF_KEYS` for `all`, `default` and each
/// interface (a test checks that the three agree).
pub const SYSCTL_PATHS: &[&str] = &[
    "/proc/sys/net/ipv6/bindv6only",
    "/proc/sys/net/ipv4/ip_forward",
    "/proc/sys/net/ipv6/conf/*/disable_ipv6",
    "/proc/sys/net/ipv6/conf/*/accept_ra",
    "/proc/sys/net/ipv6/conf/*/autoconf",
    "/proc/sys/net/ipv6/conf/*/forwarding",
];

/// The files whose `grep -H '' FILE...` output [`speed_duplex_from_grep`] reads.
pub const SPEED_DUPLEX_PATHS: &[&str] = &["/sys/class/net/*/speed", "/sys/class/net/*/duplex"];

/// `ip -details -json link show` output netvet cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpJsonError {
    /// What is wrong, and where (serde_json's line and column, or the link).
    pub message: String,
}

impl fmt::Display for IpJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the output of `{IP_LINK_COMMAND}` is not what netvet reads: {} (netvet reads the JSON \
             of iproute2 5.10 and later: run the command on the host to see what it prints)",
            self.message
        )
    }
}

impl std::error::Error for IpJsonError {}

/// `ss -H -l -t -n -e -p` output netvet cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsError {
    /// The 1-based line of the output, 0 for the output as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the output of `{SS_LISTENERS_COMMAND}`")?;
        if self.line > 0 {
            write!(f, ", line {}", self.line)?;
        }
        write!(
            f,
            ", is not what netvet reads: {} (run the command on the host to see what it prints)",
            self.message
        )
    }
}

impl std::error::Error for SsError {}

/// The links of `ip -details -json link show`, as [`super::read_links`] gives them: in index
/// order, masters, VLAN parents and bond primaries by name (only when they name a link of the
/// list, as netlink's indices must), a bridge's ports in the order `ip` listed them.
///
/// Two fields cannot come from `ip`:
/// - `carrier` of a link that is administratively down. `ip` shows the carrier only as the
///   `LOWER_UP` flag, which the kernel sets only on a running link (`dev_get_flags`); netlink
///   sends IFLA_CARRIER for every link, and sysfs refuses to read it of a link that is down.
///   Such a link's carrier is `None` here.
/// - `speed_mbps` and `duplex`, which no netlink reader has either: [`speed_duplex_from_grep`]
///   fills them from sysfs as [`super::read`] does.
///
/// A bond option whose value the host's `ip` has no name for (iproute2 5.10 prints `UNKNOWN`
/// for `arp_validate filter`, which kernel 5.10 has, and for a newer kernel's
/// `xmit_hash_policy vlan+srcmac`) is `None`: `ip` does not say which value it is. Hardware
/// addresses of the AX.25, NET/ROM and ROSE link types, which iproute2 6.1 prints as call signs,
/// are kept as printed.
///
/// # Errors
/// Output that is not a JSON array of link objects, a key netvet reads holding a value of
/// another type, or more than [`MAX_LIVE_LINKS`] links.
pub fn links_from_ip_json(json: &[u8]) -> Result<Vec<Link>, IpJsonError> {
    let text = String::from_utf8_lossy(json);
    let text = repair_json(&text);
    let error = |message: String| IpJsonError {
        message: clean(&message, 300),
    };
    let IpLinks(raw) = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
    let names: HashSet<&str> = raw.iter().map(|l| l.ifname.as_str()).collect();
    let known = |name: Option<String>| name.filter(|n| names.contains(n.as_str()));
    let mut links = Vec::with_capacity(raw.len());
    for l in &raw {
        let info = l.linkinfo.as_ref();
        let kind = info.and_then(|i| i.info_kind.clone());
        let data = |what: &'static str| {
            move |e: serde_json::Error| error(format!("link {}: {what}: {e}", l.ifname))
        };
        let mut link = Link {
            name: l.ifname.clone(),
            index: l.ifindex,
            kind: kind.clone().unwrap_or_else(|| {
                if l.link_type.as_deref() == Some("loopback") {
                    "loopback".to_string()
                } else {
                    "device".to_string()
                }
            }),
            admin_up: l.flags.up,
            oper_state: match (&l.operstate, l.operstate_index) {
                (Some(state), _) => state.clone(),
                (None, Some(index)) => index.to_string(),
                (None, None) => "UNKNOWN".to_string(),
            },
            carrier: l.flags.up.then_some(l.flags.lower_up),
            mtu: l.mtu,
            min_mtu: l.min_mtu,
            max_mtu: l.max_mtu,
            master: known(l.master.clone()),
            mac: l
                .address
                .as_deref()
                .map(|a| hardware_address(a, l.link_type.as_deref())),
            speed_mbps: None,
            duplex: None,
            bond: None,
            bond_slave: None,
            vlan: None,
            bridge_ports: Vec::new(),
        };
        match (kind.as_deref(), info.and_then(|i| i.info_data)) {
            (Some("bond"), Some(raw_data)) => {
                let data: IpBond =
                    serde_json::from_str(raw_data.get()).map_err(data("bond options"))?;
                let primary = known(data.primary.clone());
                link.bond = Some(Bond {
                    primary,
                    ..data.into_bond()
                });
            }
            (Some("vlan"), Some(raw_data)) => {
                let data: IpVlan =
                    serde_json::from_str(raw_data.get()).map_err(data("VLAN options"))?;
                link.vlan = Some(Vlan {
                    id: data.id.unwrap_or(0),
                    protocol: vlan_protocol(data.protocol.as_deref()),
                    parent: known(l.link.clone()),
                });
            }
            _ => {}
        }
        if let Some(i) = info
            && i.info_slave_kind.as_deref() == Some("bond")
            && let Some(raw_data) = i.info_slave_data
        {
            let data: IpBondSlave =
                serde_json::from_str(raw_data.get()).map_err(data("bond slave state"))?;
            link.bond_slave = Some(data.into_slave());
        }
        links.push(link);
    }
    super::order_links(&mut links);
    Ok(links)
}

/// Text from the host for an error message, at most `max` characters, control characters
/// escaped: a hostile line can be long and hold terminal escapes (serde_json's messages quote
/// the value they did not expect, too).
fn clean(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars().take(max) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if text.chars().nth(max).is_some() {
        out.push_str("...");
    }
    out
}

/// Make iproute2's JSON valid JSON. Its writer (`lib/json_writer.c`, jsonw_puts) escapes only
/// `\t \n \r \f \b \\ "`, leaving other control characters raw (an interface name may hold
/// one), and iproute2 5.10 also writes `'` as `\'`, which JSON has no escape for (an alias
/// with an apostrophe). Inside strings, raw control characters become `\u00XX` and `\'`
/// becomes `'`; outside strings `ip` writes only JSON's own characters.
fn repair_json(text: &str) -> Cow<'_, str> {
    if !text
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')) || b == b'\'')
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if !in_string {
            in_string = c == '"';
            out.push(c);
        } else if escaped {
            escaped = false;
            if c != '\'' {
                out.push('\\');
            }
            out.push(c);
        } else if c == '\\' {
            escaped = true;
        } else if u32::from(c) < 0x20 {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            in_string = c != '"';
            out.push(c);
        }
    }
    if escaped {
        out.push('\\');
    }
    Cow::Owned(out)
}

/// A link-layer address as netlink's reader writes it (hex bytes joined by `:`). `ip` prints
/// the addresses of IPv4 tunnels (`ipip`, `sit`, `gre`) and IPv6 tunnels (`tunnel6`, `gre6`)
/// as IP addresses (`lib/ll_addr.c`, ll_addr_n2a): those are turned back into their bytes.
fn hardware_address(address: &str, link_type: Option<&str>) -> String {
    let hex = super::hex_bytes;
    match link_type {
        Some("ipip" | "sit" | "gre") => address
            .parse::<Ipv4Addr>()
            .map_or_else(|_| address.to_string(), |a| hex(&a.octets())),
        Some("tunnel6" | "gre6") => address
            .parse::<Ipv6Addr>()
            .map_or_else(|_| address.to_string(), |a| hex(&a.octets())),
        _ => address.to_string(),
    }
}

/// `ip` names the VLAN protocol with its own table (`802.1Q`, `802.1ad`) and writes `802.1q`
/// when the kernel sent none; netlink's reader takes 802.1Q then.
fn vlan_protocol(protocol: Option<&str>) -> String {
    match protocol {
        None => "802.1Q".to_string(),
        Some(p) if p.eq_ignore_ascii_case("802.1q") => "802.1Q".to_string(),
        Some(p) if p.eq_ignore_ascii_case("802.1ad") => "802.1ad".to_string(),
        Some(p) => p.to_string(),
    }
}

/// A bond option's name as `ip` prints it; `UNKNOWN` is iproute2's word for a value missing
/// from its table (`get_name` in `ip/iplink_bond.c`), which says nothing of the value.
fn named(value: Option<String>) -> Option<String> {
    value.filter(|v| v != "UNKNOWN")
}

/// The top-level array, refused past [`MAX_LIVE_LINKS`] while it is read.
struct IpLinks<'a>(Vec<IpLink<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for IpLinks<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Links<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Links<'a> {
            type Value = IpLinks<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of links")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut links = Vec::new();
                while let Some(link) = seq.next_element()? {
                    if links.len() == MAX_LIVE_LINKS {
                        return Err(de::Error::custom(format!(
                            "more than {} links, netvet's bound for one host",
                            thousands(MAX_LIVE_LINKS as u64)
                        )));
                    }
                    links.push(link);
                }
                Ok(IpLinks(links))
            }
        }
        deserializer.deserialize_seq(Links(std::marker::PhantomData))
    }
}

/// One link of `ip -details -json link show`: the keys netvet reads (`print_linkinfo`).
#[derive(Deserialize)]
struct IpLink<'a> {
    ifindex: u32,
    ifname: String,
    #[serde(default)]
    flags: Flags,
    mtu: Option<u32>,
    min_mtu: Option<u32>,
    max_mtu: Option<u32>,
    master: Option<String>,
    operstate: Option<String>,
    /// An operational state past iproute2's table, by number (`print_operstate`).
    operstate_index: Option<u32>,
    link_type: Option<String>,
    address: Option<String>,
    /// IFLA_LINK by name; `ip` writes `link_index` instead when the link is in another
    /// namespace, and `null` for index 0 (`print_name_and_link`).
    link: Option<String>,
    #[serde(borrow)]
    linkinfo: Option<IpLinkInfo<'a>>,
}

/// `linkinfo`: the kind's and the slave kind's data stay text until the kind is known.
#[derive(Deserialize)]
struct IpLinkInfo<'a> {
    info_kind: Option<String>,
    #[serde(borrow)]
    info_data: Option<&'a RawValue>,
    info_slave_kind: Option<String>,
    #[serde(borrow)]
    info_slave_data: Option<&'a RawValue>,
}

/// The two of a link's flags netvet reads: IFF_UP (administratively up) and IFF_LOWER_UP (the
/// carrier of a running link). The rest of the array is read and dropped.
#[derive(Default)]
struct Flags {
    up: bool,
    lower_up: bool,
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlagsVisitor;
        impl<'de> Visitor<'de> for FlagsVisitor {
            type Value = Flags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of flag names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Flags, A::Error> {
                let mut flags = Flags::default();
                while let Some(flag) = seq.next_element::<Cow<'de, str>>()? {
                    match flag.as_ref() {
                        "UP" => flags.up = true,
                        "LOWER_UP" => flags.lower_up = true,
                        _ => {}
                    }
                }
                Ok(flags)
            }
        }
        deserializer.deserialize_seq(FlagsVisitor)
    }
}

/// A bond's `info_data` (`bond_print_opt`, the same keys in 5.10 and 6.1 for what netvet reads).
#[derive(Deserialize)]
struct IpBond {
    mode: Option<String>,
    miimon: Option<u32>,
    updelay: Option<u32>,
    downdelay: Option<u32>,
    use_carrier: Option<u8>,
    arp_interval: Option<u32>,
    #[serde(default, deserialize_with = "arp_targets")]
    arp_ip_target: Vec<String>,
    /// `null` is `none` (both versions write `print_null` for 0 in JSON); absent is absent.
    #[serde(default, deserialize_with = "present")]
    arp_validate: Option<Option<String>>,
    primary: Option<String>,
    xmit_hash_policy: Option<String>,
    ad_lacp_rate: Option<String>,
    ad_select: Option<String>,
    min_links: Option<u32>,
    all_slaves_active: Option<u8>,
    ad_info: Option<IpAdInfo>,
}

impl IpBond {
    /// The bond, its primary still to be resolved by the caller.
    fn into_bond(self) -> Bond {
        Bond {
            mode: self.mode.unwrap_or_default(),
            miimon: self.miimon,
            updelay: self.updelay,
            downdelay: self.downdelay,
            use_carrier: self.use_carrier.map(|v| v != 0),
            arp_interval: self.arp_interval,
            arp_ip_target: self.arp_ip_target,
            arp_validate: self
                .arp_validate
                .and_then(|v| named(Some(v.unwrap_or_else(|| "none".to_string())))),
            primary: None,
            xmit_hash_policy: named(self.xmit_hash_policy),
            lacp_rate: named(self.ad_lacp_rate),
            ad_select: named(self.ad_select),
            min_links: self.min_links,
            all_slaves_active: self.all_slaves_active.map(|v| v != 0),
            ad_info: self.ad_info.map(|a| AdInfo {
                aggregator_id: a.aggregator,
                num_ports: a.num_ports,
                actor_key: a.actor_key,
                partner_key: a.partner_key,
                partner_mac: a.partner_mac,
            }),
        }
    }
}

#[derive(Deserialize)]
struct IpAdInfo {
    aggregator: Option<u16>,
    num_ports: Option<u16>,
    actor_key: Option<u16>,
    partner_key: Option<u16>,
    partner_mac: Option<String>,
}

/// A present key whose value may be `null`: `Some(None)`; an absent key is `None`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// The kernel keeps at most 16 ARP targets (BOND_MAX_ARP_TARGETS), and `ip` prints at most
/// those; each is an IPv4 address, written back the way netlink's reader writes it.
fn arp_targets<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    const MAX: usize = 16;
    struct Targets;
    impl<'de> Visitor<'de> for Targets {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of at most 16 IPv4 addresses")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(target) = seq.next_element::<Cow<'de, str>>()? {
                if out.len() == MAX {
                    return Err(de::Error::invalid_length(MAX + 1, &self));
                }
                let address = target.parse::<Ipv4Addr>().map_err(|_| {
                    de::Error::invalid_value(de::Unexpected::Str(&target), &"an IPv4 address")
                })?;
                out.push(address.to_string());
            }
            Ok(out)
        }
    }
    deserializer.deserialize_seq(Targets)
}

/// A VLAN's `info_data` (`vlan_print_opt`).
#[derive(Deserialize)]
struct IpVlan {
    protocol: Option<String>,
    id: Option<u16>,
}

/// A bond slave's `info_slave_data` (`bond_slave_print_opt`).
#[derive(Deserialize)]
struct IpBondSlave {
    state: Option<String>,
    /// A state past iproute2's table, by number (`print_slave_state`).
    state_index: Option<u32>,
    mii_status: Option<String>,
    mii_status_index: Option<u32>,
    link_failure_count: Option<u32>,
    perm_hwaddr: Option<String>,
    queue_id: Option<u16>,
    ad_aggregator_id: Option<u16>,
    ad_actor_oper_port_state: Option<u8>,
    ad_partner_oper_port_state: Option<u8>,
}

impl IpBondSlave {
    /// netlink's reader lowercases the names (`ACTIVE`, `GOING_BACK` print as `active`,
    /// `going_back`) and writes a state past the table as its number, as `ip` does.
    fn into_slave(self) -> BondSlave {
        let name = |name: Option<String>, index: Option<u32>| {
            name.map(|n| n.to_lowercase())
                .or_else(|| index.map(|i| i.to_string()))
        };
        BondSlave {
            state: name(self.state, self.state_index),
            mii_status: name(self.mii_status, self.mii_status_index),
            link_failure_count: self.link_failure_count,
            perm_hwaddr: self.perm_hwaddr,
            queue_id: self.queue_id,
            ad_aggregator_id: self.ad_aggregator_id,
            ad_actor_oper_port_state: self.ad_actor_oper_port_state,
            ad_partner_oper_port_state: self.ad_partner_oper_port_state,
        }
    }
}

/// The TCP listeners of `ss -H -l -t -n -e -p`, as [`super::read_listeners`] gives them (sorted
/// alike). Per line (`misc/ss.c`, the same in 5.10 and 6.1): `LISTEN`, the two queues, the
/// local address and port, the peer, then `users:((...))` when a process holding the socket
/// is visible, `uid:` (written only when not 0), `ino:`, `sk:` and others, and `v6only:` for
/// an IPv6 socket.
///
/// - An IPv6 wildcard socket without IPV6_V6ONLY is written `*`, with it `[::]`; an address
///   with a scope or a bound device as `[fe80::1]%eth0` or `198.18.0.1%eth0`. The address is
///   kept without the device, as sock_diag gives it.
/// - Of the processes holding a socket, netvet names the one with the lowest pid, as its own
///   /proc scan does. ss reads the name from /proc/PID/stat up to the first `)`, so a name
///   holding `)` is cut there (netvet's own reader reads /proc/PID/comm whole).
///
/// # Errors
/// A line that is not a TCP listener in this format (a process name holding a newline breaks
/// its line in two: the output is refused rather than read wrong), or more than
/// [`MAX_LIVE_LISTENERS`] of them.
pub fn listeners_from_ss(text: &str) -> Result<Vec<Listener>, SsError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() == MAX_LIVE_LISTENERS {
            return Err(SsError {
                line: 0,
                message: format!(
                    "more than {} listening sockets, netvet's bound for one host",
                    thousands(MAX_LIVE_LISTENERS as u64)
                ),
            });
        }
        out.push(ss_line(line).map_err(|message| SsError {
            line: n + 1,
            message,
        })?);
    }
    super::sort_listeners(&mut out);
    Ok(out)
}

/// One line of `ss -H -l -t -n -e -p`.
fn ss_line(line: &str) -> Result<Listener, String> {
    let mut rest = line;
    let state = word(&mut rest);
    if state != "LISTEN" {
        return Err(format!(
            "{} where a listening socket's state (LISTEN) belongs",
            quote(state)
        ));
    }
    for queue in ["receive", "send"] {
        let q = word(&mut rest);
        if q.parse::<u64>().is_err() {
            return Err(format!(
                "{} where the {queue} queue's length belongs",
                quote(q)
            ));
        }
    }
    let (family, address, port) = local_address(word(&mut rest))?;
    let peer = word(&mut rest);
    if !peer.ends_with(":*") {
        return Err(format!(
            "{} where a listener's peer (ADDRESS:*) belongs",
            quote(peer)
        ));
    }
    let process = match rest.trim_start().strip_prefix("users:(") {
        Some(users) => {
            let (process, after) = users_list(users)?;
            rest = after.trim_start();
            process
        }
        None => None,
    };
    let mut details = rest.split_whitespace().peekable();
    let uid = match details.next_if(|t| t.starts_with("uid:")) {
        Some(t) => number(t, "uid:")?,
        None => 0,
    };
    let inode = match details.next() {
        Some(t) if t.starts_with("ino:") => number(t, "ino:")?,
        other => {
            return Err(format!(
                "{} where the socket's inode (ino:N, from ss -e) belongs",
                quote(other.unwrap_or(""))
            ));
        }
    };
    // `v6only:` follows `cgroup:PATH`, whose path may hold spaces and any word: the last one
    // is ss's own.
    let v6only = if family == "ipv6" {
        match details.rfind(|t| t.starts_with("v6only:")) {
            Some(t) => Some(number::<u8>(t, "v6only:")? != 0),
            None => None,
        }
    } else {
        None
    };
    Ok(Listener {
        protocol: "tcp".to_string(),
        family: family.to_string(),
        address,
        port,
        v6only,
        uid,
        inode,
        process,
    })
}

/// The next whitespace-separated word of `rest`, and `rest` after it.
fn word<'a>(rest: &mut &'a str) -> &'a str {
    let text = rest.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    *rest = &text[end..];
    &text[..end]
}

/// A word of the host's text, quoted, for an error message.
fn quote(text: &str) -> String {
    format!("\"{}\"", clean(text, 80))
}

fn number<T: std::str::FromStr>(token: &str, prefix: &str) -> Result<T, String> {
    token
        .strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{} is not {prefix}N", quote(token)))
}

/// `0.0.0.0:22`, `198.18.0.1%eth0:80`, `*:22`, `[::]:22`, `[fe80::1]%eth0:22`: the family,
/// the address as sock_diag's reader writes it, and the port.
fn local_address(local: &str) -> Result<(&'static str, String, u16), String> {
    let bad = || format!("{} is not a local ADDRESS:PORT", quote(local));
    let (host, port) = local.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if host == "*" {
        return Ok(("ipv6", Ipv6Addr::UNSPECIFIED.to_string(), port));
    }
    if let Some(bracketed) = host.strip_prefix('[') {
        let (address, device) = bracketed.split_once(']').ok_or_else(bad)?;
        if !(device.is_empty() || device.starts_with('%')) {
            return Err(bad());
        }
        let address = address.parse::<Ipv6Addr>().map_err(|_| bad())?;
        return Ok(("ipv6", address.to_string(), port));
    }
    let address = host.split_once('%').map_or(host, |(a, _)| a);
    let address = address.parse::<Ipv4Addr>().map_err(|_| bad())?;
    Ok(("ipv4", address.to_string(), port))
}

/// `("nginx",pid=12,fd=6),("nginx",pid=13,fd=6))` after `users:(`: the process with the lowest
/// pid, and the text after the list. A name cannot hold `)` (ss cuts it there), so each entry
/// ends at the first `)`; its name ends at the last `",pid=` inside.
fn users_list(mut users: &str) -> Result<(Option<Process>, &str), String> {
    let bad = |what: &str| {
        format!(
            "{} is not a users:((\"NAME\",pid=N,fd=N),...) list",
            quote(what)
        )
    };
    let mut lowest: Option<Process> = None;
    loop {
        let entry = users.strip_prefix("(\"").ok_or_else(|| bad(users))?;
        let (body, after) = entry.split_once(')').ok_or_else(|| bad(users))?;
        let (name, ids) = body.rsplit_once("\",pid=").ok_or_else(|| bad(body))?;
        let (pid, fd) = ids.split_once(",fd=").ok_or_else(|| bad(body))?;
        let pid = pid.parse::<u32>().map_err(|_| bad(body))?;
        fd.parse::<u32>().map_err(|_| bad(body))?;
        if lowest.as_ref().is_none_or(|p| pid < p.pid) {
            // netvet's own reader trims /proc/PID/comm.
            lowest = Some(Process {
                pid,
                name: name.trim().to_string(),
            });
        }
        if let Some(next) = after.strip_prefix(',') {
            users = next;
        } else if let Some(end) = after.strip_prefix(')') {
            return Ok((lowest, end));
        } else {
            return Err(bad(after));
        }
    }
}

/// The sysctls of `grep -H '' FILE...` over [`SYSCTL_PATHS`] (`/proc/sys/net/ipv6/conf/eth0/
/// disable_ipv6:0` lines), under the names [`super::read`] gives them: the path under
/// /proc/sys with `.` for `/`, so that `/proc/sys/net/ipv6/conf/eth0.10/accept_ra` is
/// `net.ipv6.conf.eth0.10.accept_ra`, as netlink's reader names an interface's settings.
/// Lines of other files, and lines that are not `PATH:VALUE`, are passed over; the map holds no
/// more than the text does.
pub fn sysctls_from_grep(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        // Neither a path here nor an interface name can hold `:`.
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        if SYSCTL_PATHS.iter().any(|p| path_matches(p, path))
            && let Some(name) = path.strip_prefix("/proc/sys/")
        {
            out.insert(name.replace('/', "."), value.trim().to_string());
        }
    }
    out
}

/// Whether `path` is `pattern` with each `*` one non-empty path component.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut parts = path.split('/');
    pattern.split('/').all(|p| {
        parts
            .next()
            .is_some_and(|c| if p == "*" { !c.is_empty() } else { c == p })
    }) && parts.next().is_none()
}

/// Fill `speed_mbps` and `duplex` from `grep -H '' FILE...` over [`SPEED_DUPLEX_PATHS`]
/// (`/sys/class/net/eth0/speed:1000` lines; the errors of links that are down or virtual are
/// dropped by the collector), for the links [`super::read`] fills them for: NICs and bond
/// slaves, a speed only when above 0, a duplex only when `full` or `half`.
pub fn speed_duplex_from_grep(links: &mut [Link], text: &str) {
    let mut files: HashMap<(&str, &str), &str> = HashMap::new();
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        if SPEED_DUPLEX_PATHS.iter().any(|p| path_matches(p, path))
            && let Some((name, file)) = path
                .strip_prefix("/sys/class/net/")
                .and_then(|p| p.split_once('/'))
        {
            files.insert((name, file), value);
        }
    }
    super::fill_speed_duplex(links, |name, file| {
        files.get(&(name, file)).map(|v| (*v).to_string())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_paths_are_the_sysctls_live_reads() {
        let mut want: Vec<String> = super::super::GLOBAL_SYSCTLS
            .iter()
            .map(|s| format!("/proc/sys/{}", s.replace('.', "/")))
            .collect();
        want.extend(
            super::super::IPV6_CONF_KEYS
                .iter()
                .map(|k| format!("/proc/sys/net/ipv6/conf/*/{k}")),
        );
        assert_eq!(SYSCTL_PATHS, want);
    }

    #[test]
    fn sysctl_names_keep_dots_in_interface_names() {
        let text = "/proc/sys/net/ipv6/bindv6only:1\n\
                    /proc/sys/net/ipv6/conf/bad.10/accept_ra:2\n\
                    /proc/sys/net/ipv6/conf/all/forwarding: 0 \n\
                    /proc/sys/net/ipv6/conf/eth0/mtu:1500\n\
                    /proc/sys/net/ipv6/conf//autoconf:1\n\
                    /proc/sys/net/ipv6/conf/a/b/autoconf:1\n\
                    grep: /proc/sys/net/ipv4/ip_forward: Permission denied\n\
                    no colon\n";
        let got = sysctls_from_grep(text);
        let want: BTreeMap<String, String> = [
            ("net.ipv6.bindv6only", "1"),
            ("net.ipv6.conf.bad.10.accept_ra", "2"),
            ("net.ipv6.conf.all.forwarding", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn repaired_json_keeps_what_ip_meant() {
        // iproute2 5.10's `\'`, a raw control character, an escaped backslash before a quote.
        let text = "[{\"a\":\"it\\'s\",\"b\":\"x\u{1}y\",\"c\":\"\\\\'\"}]";
        let repaired = repair_json(text);
        let value: serde_json::Value = serde_json::from_str(&repaired).unwrap();
        assert_eq!(value[0]["a"], "it's");
        assert_eq!(value[0]["b"], "x\u{1}y");
        assert_eq!(value[0]["c"], "\\'");
        assert!(matches!(repair_json("[{\"a\":1}]"), Cow::Borrowed(_)));
    }

    #[test]
    fn local_addresses_as_sock_diag_writes_them() {
        for (text, family, address, port) in [
            ("0.0.0.0:22", "ipv4", "0.0.0.0", 22),
            ("198.18.0.1%eth0:80", "ipv4", "198.18.0.1", 80),
            ("*:22", "ipv6", "::", 22),
            ("[::]:443", "ipv6", "::", 443),
            ("[fe80::1]%eth0.10:8004", "ipv6", "fe80::1", 8004),
            ("[::ffff:127.0.0.1]:8007", "ipv6", "::ffff:127.0.0.1", 8007),
            ("[0:0:0:0:0:0:0:1]:1", "ipv6", "::1", 1),
        ] {
            assert_eq!(
                local_address(text),
                Ok((family, address.to_string(), port)),
                "{text}"
            );
        }
        for bad in [
            "",
            "22",
            "*:",
            "[::]:65536",
            "[::1:22",
            "[::1]x:22",
            "1.2.3:4",
            "::1:22",
        ] {
            assert!(local_address(bad).is_err(), "{bad:?}");
        }
    }
}
