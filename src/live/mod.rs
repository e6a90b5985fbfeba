//! The running kernel's network state, in netvet's own terms.
//!
//! [`LiveState`] is what `netvet live` prints and what the fleet audit will collect from each
//! host: plain data that serialises to a documented, versioned JSON (`docs/live-schema.md`)
//! and reads back with [`LiveState::from_json`].
//!
//! Architecture invariant: netlink types never leave [`netlink`]; everything else sees only the
//! types here. Reading is synchronous for callers (one current-thread tokio runtime inside).

mod iproute;
mod netlink;
mod sock_diag;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use iproute::{
    IP_LINK_COMMAND, IpJsonError, SPEED_DUPLEX_PATHS, SS_LISTENERS_COMMAND, SYSCTL_PATHS, SsError,
    links_from_ip_json, listeners_from_ss, speed_duplex_from_grep, sysctls_from_grep,
};
pub use netlink::{
    LinkChange, LiveError, addresses, change_link, decode_dump, read_links, read_links_raw,
};
pub use sock_diag::{established_local_addresses, read_listeners};

/// Version of the live-state JSON. Fields are only added within a version.
pub const LIVE_SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveState {
    pub version: u32,
    pub links: Vec<Link>,
    /// `net.ipv6.bindv6only`, `net.ipv6.conf.IF.disable_ipv6` ...: the sysctls rules use, as
    /// read from /proc/sys in the current network namespace. Missing keys were not readable.
    pub sysctls: BTreeMap<String, String>,
    /// Listening TCP sockets (sock_diag), with their IPV6_V6ONLY flag and owner where visible.
    #[serde(default)]
    pub listeners: Vec<Listener>,
    /// Parts of the state that could not be read, and why (a kernel without inet_diag has no
    /// listener list): the rest is still valid.
    #[serde(default)]
    pub unavailable: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Listener {
    /// `tcp`.
    pub protocol: String,
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// The bound address: `0.0.0.0` and `::` are wildcards.
    pub address: String,
    pub port: u16,
    /// IPv6 sockets only: whether the socket refuses IPv4 (IPV6_V6ONLY, from the kernel).
    pub v6only: Option<bool>,
    pub uid: u32,
    pub inode: u32,
    /// The process holding the socket, when /proc lets netvet see it.
    pub process: Option<Process>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    /// `/proc/PID/comm`.
    pub name: String,
}

impl Listener {
    /// Which clients can reach it: `ipv4`, `ipv6` or `ipv4+ipv6` (an IPv6 wildcard socket without
    /// IPV6_V6ONLY also accepts IPv4, as `::ffff:a.b.c.d`).
    pub fn reaches(&self) -> &'static str {
        match (self.family.as_str(), self.address.as_str(), self.v6only) {
            ("ipv4", _, _) => "ipv4",
            ("ipv6", "::", Some(false)) => "ipv4+ipv6",
            _ => "ipv6",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub name: String,
    pub index: u32,
    /// `bond`, `vlan`, `bridge`, `veth`, `dummy` ... as the kernel names the link type;
    /// `device` for a link with no kind (a physical NIC), `loopback` for lo.
    pub kind: String,
    pub admin_up: bool,
    /// The kernel's operational state: `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN` ...
    pub oper_state: String,
    pub carrier: Option<bool>,
    pub mtu: Option<u32>,
    pub min_mtu: Option<u32>,
    pub max_mtu: Option<u32>,
    /// The bond or bridge this link is enslaved to.
    pub master: Option<String>,
    pub mac: Option<String>,
    /// Mb/s, where the driver reports it (not for virtual devices).
    pub speed_mbps: Option<u32>,
    /// `full` or `half`, where the driver reports it.
    pub duplex: Option<String>,
    pub bond: Option<Bond>,
    pub bond_slave: Option<BondSlave>,
    pub vlan: Option<Vlan>,
    /// For a bridge: its ports (names), in index order.
    pub bridge_ports: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bond {
    pub mode: String,
    pub miimon: Option<u32>,
    pub updelay: Option<u32>,
    pub downdelay: Option<u32>,
    pub use_carrier: Option<bool>,
    pub arp_interval: Option<u32>,
    pub arp_ip_target: Vec<String>,
    pub arp_validate: Option<String>,
    pub primary: Option<String>,
    pub xmit_hash_policy: Option<String>,
    pub lacp_rate: Option<String>,
    pub ad_select: Option<String>,
    pub min_links: Option<u32>,
    pub all_slaves_active: Option<bool>,
    /// 802.3ad aggregator state, in 802.3ad mode.
    pub ad_info: Option<AdInfo>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdInfo {
    pub aggregator_id: Option<u16>,
    pub num_ports: Option<u16>,
    pub actor_key: Option<u16>,
    pub partner_key: Option<u16>,
    pub partner_mac: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BondSlave {
    /// `active` or `backup`.
    pub state: Option<String>,
    /// `up`, `going_down`, `down`, `going_back`.
    pub mii_status: Option<String>,
    pub link_failure_count: Option<u32>,
    pub perm_hwaddr: Option<String>,
    pub queue_id: Option<u16>,
    pub ad_aggregator_id: Option<u16>,
    /// LACP actor and partner port state bits (IEEE 802.1AX), in 802.3ad mode.
    pub ad_actor_oper_port_state: Option<u8>,
    pub ad_partner_oper_port_state: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vlan {
    pub id: u16,
    /// `802.1Q` or `802.1ad`.
    pub protocol: String,
    pub parent: Option<String>,
}

/// A link-layer address as the live state writes it: hex bytes joined by `:`.
fn hex_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Links in index order, each bridge with its ports (the links whose master it is) in that
/// order: how every reader of the live state hands its links over.
fn order_links(links: &mut [Link]) {
    links.sort_by_key(|l| l.index);
    let mut ports: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for link in links.iter() {
        if let Some(master) = &link.master {
            ports
                .entry(master.clone())
                .or_default()
                .push(link.name.clone());
        }
    }
    for link in links.iter_mut().filter(|l| l.kind == "bridge") {
        link.bridge_ports = ports.remove(&link.name).unwrap_or_default();
    }
}

impl LiveState {
    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    pub fn to_json(&self) -> String {
        crate::diagnostic::to_json(self)
    }

    /// Read a snapshot written by [`LiveState::to_json`] (here or on another host).
    pub fn from_json(text: &str) -> Result<Self, StateError> {
        let state: LiveState = serde_json::from_str(text).map_err(StateError::Json)?;
        if state.version != LIVE_SCHEMA_VERSION {
            return Err(StateError::Version(state.version));
        }
        Ok(state)
    }
}

/// Why a saved live state (`netvet live --format json`) could not be read.
#[derive(Debug)]
pub enum StateError {
    /// Not the JSON of a live state.
    Json(serde_json::Error),
    /// A live state of a schema version this netvet does not read.
    Version(u32),
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateError::Json(e) => write!(
                f,
                "not a netvet live snapshot ({e}); write one with `netvet live --format json`"
            ),
            StateError::Version(v) => write!(
                f,
                "live snapshot version {v} is not supported (this netvet reads version \
                 {LIVE_SCHEMA_VERSION}); write it again with this netvet"
            ),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Json(e) => Some(e),
            StateError::Version(_) => None,
        }
    }
}

/// The links this host's management traffic goes through, each with why: those holding a
/// default route (IPv4 and IPv6, from /proc/net), the one holding the local address of the SSH
/// session netvet runs in (`SSH_CONNECTION`), and those holding the local address of any
/// established TCP connection. `netvet repair` never takes them down on its own.
pub fn management_links() -> Result<Vec<(String, String)>, LiveError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |link: &str, why: String| {
        if link != "lo" && !out.iter().any(|(l, _)| l == link) {
            out.push((link.to_string(), why));
        }
    };
    if let Ok(text) = std::fs::read_to_string("/proc/net/route") {
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 7 && f[1] == "00000000" && f[7] == "00000000" {
                add(f[0], "it carries the IPv4 default route".to_string());
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string("/proc/net/ipv6_route") {
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() == 10 && f[0].bytes().all(|b| b == b'0') && f[1] == "00" {
                add(f[9], "it carries the IPv6 default route".to_string());
            }
        }
    }
    let addresses = addresses()?;
    let holder = |ip: std::net::IpAddr| {
        addresses
            .iter()
            .find(|(_, a)| *a == ip)
            .map(|(l, _)| l.clone())
    };
    if let Some(ip) = std::env::var("SSH_CONNECTION")
        .ok()
        .and_then(|c| c.split_whitespace().nth(2).and_then(|a| a.parse().ok()))
        && let Some(link) = holder(ip)
    {
        add(
            &link,
            format!("it holds {ip}, the address of this SSH session"),
        );
    }
    for ip in established_local_addresses()? {
        if let Some(link) = holder(ip) {
            add(
                &link,
                format!("it holds {ip}, the local address of an established TCP connection"),
            );
        }
    }
    Ok(out)
}

/// Read everything: links and their IPv6 settings through netlink, speed and duplex from sysfs
/// (NICs and bond slaves only: virtual devices report none that means anything), the global
/// sysctls from /proc/sys; all in the current network namespace.
pub fn read() -> Result<LiveState, LiveError> {
    let (mut links, ipv6) = read_links()?;
    fill_speed_duplex(&mut links, |name, file| {
        std::fs::read_to_string(Path::new("/sys/class/net").join(name).join(file)).ok()
    });
    let mut sysctls = read_sysctls(Path::new("/proc/sys"));
    sysctls.extend(ipv6);
    let mut unavailable = Vec::new();
    let listeners = read_listeners().unwrap_or_else(|e| {
        unavailable.push(format!("listening sockets (sock_diag): {e}"));
        Vec::new()
    });
    Ok(LiveState {
        version: LIVE_SCHEMA_VERSION,
        links,
        sysctls,
        listeners,
        unavailable,
    })
}

/// Speed and duplex for the links whose driver reports them: NICs (`device`) and bond slaves;
/// virtual devices report none that means anything. `read(link, file)` is the text of
/// `/sys/class/net/LINK/FILE` (`speed`, `duplex`), `None` where it could not be read. Links that
/// are down report errors or `-1`/`unknown` there: those become `None`. One function for the
/// local reader and for the text an audit collects, so both decide alike.
pub(crate) fn fill_speed_duplex(
    links: &mut [Link],
    mut read: impl FnMut(&str, &str) -> Option<String>,
) {
    let bonds: Vec<String> = links
        .iter()
        .filter(|l| l.bond.is_some())
        .map(|l| l.name.clone())
        .collect();
    for link in links.iter_mut() {
        let slave = link.master.as_ref().is_some_and(|m| bonds.contains(m));
        if link.kind == "device" || slave {
            link.speed_mbps = read(&link.name, "speed")
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|s| *s > 0)
                .and_then(|s| u32::try_from(s).ok());
            link.duplex = read(&link.name, "duplex")
                .map(|s| s.trim().to_string())
                .filter(|d| d == "full" || d == "half");
        }
    }
}

/// Listeners in the order `netvet live` prints them: by port, family, address, and inode where
/// those are equal (sockets sharing a port through SO_REUSEPORT), so that two readers of the
/// same sockets give the same list whatever order the kernel dumped them in.
pub(crate) fn sort_listeners(listeners: &mut [Listener]) {
    listeners.sort_by(|a, b| {
        (a.port, &a.family, &a.address, a.inode).cmp(&(b.port, &b.family, &b.address, b.inode))
    });
}

/// One sysctl of the running kernel (current network namespace), as `/proc/sys` shows it.
pub fn read_sysctl(name: &str) -> Option<String> {
    let path = Path::new("/proc/sys").join(name.replace('.', "/"));
    std::fs::read_to_string(path)
        .ok()
        .map(|v| v.trim().to_string())
}

/// The sysctls netvet's rules read that are not per interface.
pub(crate) const GLOBAL_SYSCTLS: [&str; 2] = ["net.ipv6.bindv6only", "net.ipv4.ip_forward"];

/// The IPv6 settings netvet's rules read per interface (`net.ipv6.conf.IF.KEY`), and for `all`
/// and `default`.
pub(crate) const IPV6_CONF_KEYS: [&str; 4] =
    ["disable_ipv6", "accept_ra", "autoconf", "forwarding"];

/// The global sysctls netvet's rules read; per-interface IPv6 settings come from netlink.
fn read_sysctls(proc_sys: &Path) -> BTreeMap<String, String> {
    let mut names: Vec<String> = GLOBAL_SYSCTLS.iter().map(ToString::to_string).collect();
    for scope in ["all", "default"] {
        for key in IPV6_CONF_KEYS {
            names.push(format!("net.ipv6.conf.{scope}.{key}"));
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let value = std::fs::read_to_string(proc_sys.join(name.replace('.', "/"))).ok()?;
            Some((name, value.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_and_checks_its_version() {
        let state = LiveState {
            version: LIVE_SCHEMA_VERSION,
            links: vec![Link {
                name: "bond0".into(),
                index: 3,
                kind: "bond".into(),
                admin_up: true,
                oper_state: "UP".into(),
                carrier: Some(true),
                mtu: Some(9000),
                min_mtu: Some(68),
                max_mtu: Some(65535),
                master: None,
                mac: Some("02:00:00:00:00:01".into()),
                speed_mbps: None,
                duplex: None,
                bond: Some(Bond {
                    mode: "802.3ad".into(),
                    miimon: Some(100),
                    ..Bond::default()
                }),
                bond_slave: None,
                vlan: None,
                bridge_ports: Vec::new(),
            }],
            sysctls: BTreeMap::from([("net.ipv6.bindv6only".into(), "0".into())]),
            listeners: vec![Listener {
                protocol: "tcp".into(),
                family: "ipv6".into(),
                address: "::".into(),
                port: 80,
                v6only: Some(false),
                uid: 0,
                inode: 1234,
                process: Some(Process {
                    pid: 1,
                    name: "nginx".into(),
                }),
            }],
            unavailable: Vec::new(),
        };
        let back = LiveState::from_json(&state.to_json()).unwrap();
        assert_eq!(back, state);
        assert_eq!(state.listeners[0].reaches(), "ipv4+ipv6");
        // A snapshot from before listeners were recorded still reads.
        let old = state
            .to_json()
            .split("  \"listeners\"")
            .next()
            .unwrap()
            .trim_end()
            .trim_end_matches(',')
            .to_string()
            + "\n}";
        assert!(LiveState::from_json(&old).unwrap().listeners.is_empty());
        let future = state.to_json().replace("\"version\": 1", "\"version\": 99");
        assert!(matches!(
            LiveState::from_json(&future),
            Err(StateError::Version(99))
        ));
        assert!(LiveState::from_json("{}").is_err());
    }
}
