//! The only module that speaks netlink. It asks the kernel for every link (RTM_GETLINK dump),
//! converts each reply into [`super::Link`] in one place, and keeps the netlink crates' types
//! inside (their APIs change between releases).
//!
//! Replies can also be kept as raw bytes (`netvet live --save-netlink FILE`) and decoded later
//! with [`decode_dump`]: the tests parse dumps captured in a VM with bonds and VLANs, no root
//! needed.

use std::collections::HashMap;
use std::fmt;

use futures_util::TryStreamExt;
use netlink_packet_core::{Emitable, Parseable};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, BondAdInfo, InfoBond, InfoBondPort, InfoData, InfoKind,
    InfoPortData, InfoVlan, LinkAttribute, LinkFlags, LinkInfo, LinkLayerType, LinkMessage,
};

use super::{AdInfo, Bond, BondSlave, Link, Vlan};

#[derive(Debug)]
pub enum LiveError {
    /// The netlink socket could not be opened.
    Socket(std::io::Error),
    /// The kernel answered with an error or an unreadable message.
    Netlink(String),
    /// A saved dump could not be decoded.
    Decode(String),
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Socket(e) => write!(f, "cannot open a netlink socket: {e}"),
            LiveError::Netlink(e) => write!(f, "netlink: {e}"),
            LiveError::Decode(e) => write!(f, "cannot decode the netlink dump: {e}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// Dump every link of the current network namespace.
async fn dump() -> Result<Vec<LinkMessage>, LiveError> {
    let (connection, handle, _) = rtnetlink::new_connection().map_err(LiveError::Socket)?;
    let task = tokio::spawn(connection);
    let messages = handle
        .link()
        .get()
        .execute()
        .try_collect::<Vec<_>>()
        .await
        .map_err(|e| LiveError::Netlink(e.to_string()));
    task.abort();
    messages
}

fn runtime() -> Result<tokio::runtime::Runtime, LiveError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(LiveError::Socket)
}

/// IPv6 settings per interface, as `net.ipv6.conf.IFACE.KEY` sysctl names with their values.
pub type Ipv6Conf = std::collections::BTreeMap<String, String>;

/// Every link, converted, and each link's IPv6 settings. The kernel sends the latter in the
/// same dump (IFLA_INET6_CONF, the values /proc/sys/net/ipv6/conf/IFACE shows), which saves
/// reading four files per link. Speed and duplex are filled in by the caller (sysfs).
pub fn read_links() -> Result<(Vec<Link>, Ipv6Conf), LiveError> {
    let messages = runtime()?.block_on(dump())?;
    Ok((convert(&messages), ipv6_conf(&messages)))
}

fn ipv6_conf(messages: &[LinkMessage]) -> Ipv6Conf {
    let mut out = Ipv6Conf::new();
    for msg in messages {
        let Some(name) = msg.attributes.iter().find_map(|a| match a {
            LinkAttribute::IfName(n) => Some(n.as_str()),
            _ => None,
        }) else {
            continue;
        };
        let conf = msg.attributes.iter().find_map(|a| match a {
            LinkAttribute::AfSpecUnspec(specs) => specs.iter().find_map(|s| match s {
                AfSpecUnspec::Inet6(inet6) => inet6.iter().find_map(|i| match i {
                    AfSpecInet6::DevConf(conf) => Some(conf),
                    _ => None,
                }),
                _ => None,
            }),
            _ => None,
        });
        if let Some(conf) = conf {
            for (key, value) in [
                ("disable_ipv6", conf.disable_ipv6),
                ("accept_ra", conf.accept_ra),
                ("autoconf", conf.autoconf),
                ("forwarding", conf.forwarding),
            ] {
                out.insert(format!("net.ipv6.conf.{name}.{key}"), value.to_string());
            }
        }
    }
    out
}

/// The raw dump, one hex-encoded RTM_NEWLINK payload per line, for fixtures and bug reports.
pub fn read_links_raw() -> Result<String, LiveError> {
    let messages = runtime()?.block_on(dump())?;
    let mut out = String::new();
    for msg in &messages {
        let mut buf = vec![0; msg.buffer_len()];
        msg.emit(&mut buf);
        out.extend(buf.iter().map(|b| format!("{b:02x}")));
        out.push('\n');
    }
    Ok(out)
}

/// Decode a dump written by [`read_links_raw`].
pub fn decode_dump(text: &str) -> Result<Vec<Link>, LiveError> {
    let mut messages = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line = line.trim();
        let bytes = (0..line.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(line.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|e| LiveError::Decode(format!("line {}: {e}", n + 1)))?;
        let msg = LinkMessage::parse(bytes.as_slice())
            .map_err(|e| LiveError::Decode(format!("line {}: {e}", n + 1)))?;
        messages.push(msg);
    }
    Ok(convert(&messages))
}

/// What one message says, with links to other links still as indices.
struct Raw {
    link: Link,
    master: Option<u32>,
    parent: Option<u32>,
    primary: Option<u32>,
}

fn convert(messages: &[LinkMessage]) -> Vec<Link> {
    let raws: Vec<Raw> = messages.iter().map(convert_one).collect();
    let names: HashMap<u32, String> = raws
        .iter()
        .map(|r| (r.link.index, r.link.name.clone()))
        .collect();
    let mut links: Vec<Link> = raws
        .into_iter()
        .map(|raw| {
            let mut link = raw.link;
            link.master = raw.master.and_then(|i| names.get(&i).cloned());
            if let Some(vlan) = link.vlan.as_mut() {
                vlan.parent = raw.parent.and_then(|i| names.get(&i).cloned());
            }
            if let Some(bond) = link.bond.as_mut() {
                bond.primary = raw.primary.and_then(|i| names.get(&i).cloned());
            }
            link
        })
        .collect();
    super::order_links(&mut links);
    links
}

fn convert_one(msg: &LinkMessage) -> Raw {
    let mut link = Link {
        name: String::new(),
        index: msg.header.index,
        kind: if msg.header.link_layer_type == LinkLayerType::Loopback {
            "loopback".to_string()
        } else {
            "device".to_string()
        },
        admin_up: msg.header.flags.contains(LinkFlags::Up),
        oper_state: "UNKNOWN".to_string(),
        carrier: None,
        mtu: None,
        min_mtu: None,
        max_mtu: None,
        master: None,
        mac: None,
        speed_mbps: None,
        duplex: None,
        bond: None,
        bond_slave: None,
        vlan: None,
        bridge_ports: Vec::new(),
    };
    let mut raw_master = None;
    let mut raw_parent = None;
    let mut parent_elsewhere = false;
    let mut raw_primary = None;
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(name) => link.name.clone_from(name),
            LinkAttribute::Mtu(v) => link.mtu = Some(*v),
            LinkAttribute::MinMtu(v) => link.min_mtu = Some(*v),
            LinkAttribute::MaxMtu(v) => link.max_mtu = Some(*v),
            LinkAttribute::Carrier(v) => link.carrier = Some(*v != 0),
            LinkAttribute::OperState(state) => link.oper_state = state.to_string(),
            LinkAttribute::Address(bytes) if !bytes.is_empty() => {
                link.mac = Some(super::hex_bytes(bytes))
            }
            LinkAttribute::Controller(index) => raw_master = Some(*index),
            LinkAttribute::Link(index) => raw_parent = Some(*index),
            // IFLA_LINK_NETNSID: IFLA_LINK is an ifindex of another network namespace (a VLAN
            // handed to a container), so it names nothing here.
            LinkAttribute::LinkNetNsId(_) => parent_elsewhere = true,
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    match info {
                        LinkInfo::Kind(kind) => link.kind = kind_name(kind),
                        LinkInfo::Data(InfoData::Bond(options)) => {
                            let (bond, primary) = bond(options);
                            link.bond = Some(bond);
                            raw_primary = primary;
                        }
                        LinkInfo::Data(InfoData::Vlan(options)) => link.vlan = Some(vlan(options)),
                        LinkInfo::PortData(InfoPortData::BondPort(options)) => {
                            link.bond_slave = Some(bond_slave(options));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Raw {
        link,
        master: raw_master,
        parent: raw_parent.filter(|_| !parent_elsewhere),
        primary: raw_primary,
    }
}

fn kind_name(kind: &InfoKind) -> String {
    kind.to_string()
}

fn bond(options: &[InfoBond]) -> (Bond, Option<u32>) {
    let mut bond = Bond::default();
    let mut primary = None;
    for option in options {
        match option {
            InfoBond::Mode(mode) => bond.mode = mode.to_string(),
            InfoBond::MiiMon(v) => bond.miimon = Some(*v),
            InfoBond::UpDelay(v) => bond.updelay = Some(*v),
            InfoBond::DownDelay(v) => bond.downdelay = Some(*v),
            InfoBond::UseCarrier(v) => bond.use_carrier = Some(*v),
            InfoBond::ArpInterval(v) => bond.arp_interval = Some(*v),
            InfoBond::ArpIpTarget(targets) => {
                bond.arp_ip_target = targets.iter().map(ToString::to_string).collect();
            }
            InfoBond::ArpValidate(v) => bond.arp_validate = Some(v.to_string()),
            InfoBond::Primary(index) => primary = Some(*index),
            InfoBond::XmitHashPolicy(v) => bond.xmit_hash_policy = Some(v.to_string()),
            InfoBond::AdLacpRate(v) => bond.lacp_rate = Some(v.to_string()),
            InfoBond::AdSelect(v) => bond.ad_select = Some(v.to_string()),
            InfoBond::MinLinks(v) => bond.min_links = Some(*v),
            InfoBond::AllPortsActive(v) => {
                bond.all_slaves_active = Some(v.to_string() != "dropped");
            }
            InfoBond::AdInfo(info) => bond.ad_info = Some(ad_info(info)),
            _ => {}
        }
    }
    (bond, primary)
}

fn ad_info(info: &[BondAdInfo]) -> AdInfo {
    let mut out = AdInfo::default();
    for item in info {
        match item {
            BondAdInfo::Aggregator(v) => out.aggregator_id = Some(*v),
            BondAdInfo::NumPorts(v) => out.num_ports = Some(*v),
            BondAdInfo::ActorKey(v) => out.actor_key = Some(*v),
            BondAdInfo::PartnerKey(v) => out.partner_key = Some(*v),
            BondAdInfo::PartnerMac(m) => out.partner_mac = Some(super::hex_bytes(m)),
            _ => {}
        }
    }
    out
}

fn bond_slave(options: &[InfoBondPort]) -> BondSlave {
    let mut out = BondSlave::default();
    for option in options {
        match option {
            InfoBondPort::BondPortState(s) => out.state = Some(s.to_string().to_lowercase()),
            InfoBondPort::MiiStatus(s) => out.mii_status = Some(s.to_string().to_lowercase()),
            InfoBondPort::LinkFailureCount(v) => out.link_failure_count = Some(*v),
            InfoBondPort::PermHwaddr(m) => out.perm_hwaddr = Some(super::hex_bytes(m)),
            InfoBondPort::QueueId(v) => out.queue_id = Some(*v),
            InfoBondPort::AdAggregatorId(v) => out.ad_aggregator_id = Some(*v),
            InfoBondPort::AdActorOperPortState(s) => out.ad_actor_oper_port_state = Some(s.bits()),
            InfoBondPort::AdPartnerOperPortState(s) => {
                out.ad_partner_oper_port_state = Some(s.bits());
            }
            _ => {}
        }
    }
    out
}

fn vlan(options: &[InfoVlan]) -> Vlan {
    let mut out = Vlan {
        id: 0,
        protocol: "802.1Q".to_string(),
        parent: None,
    };
    for option in options {
        match option {
            InfoVlan::Id(id) => out.id = *id,
            InfoVlan::Protocol(p) => out.protocol = p.to_string(),
            _ => {}
        }
    }
    out
}

/// Every address configured on a link of the current network namespace, with the link's name.
pub fn addresses() -> Result<Vec<(String, std::net::IpAddr)>, LiveError> {
    use netlink_packet_route::address::AddressAttribute;
    runtime()?.block_on(async {
        let (connection, handle, _) = rtnetlink::new_connection().map_err(LiveError::Socket)?;
        let task = tokio::spawn(connection);
        let result = async {
            let links: Vec<LinkMessage> = handle
                .link()
                .get()
                .execute()
                .try_collect()
                .await
                .map_err(|e| LiveError::Netlink(e.to_string()))?;
            let names: HashMap<u32, String> = links
                .iter()
                .filter_map(|m| {
                    m.attributes.iter().find_map(|a| match a {
                        LinkAttribute::IfName(n) => Some((m.header.index, n.clone())),
                        _ => None,
                    })
                })
                .collect();
            let messages: Vec<_> = handle
                .address()
                .get()
                .execute()
                .try_collect()
                .await
                .map_err(|e| LiveError::Netlink(e.to_string()))?;
            Ok(messages
                .iter()
                .flat_map(|m| {
                    let name = names.get(&m.header.index).cloned().unwrap_or_default();
                    m.attributes.iter().filter_map(move |a| match a {
                        AddressAttribute::Address(ip) | AddressAttribute::Local(ip) => {
                            Some((name.clone(), *ip))
                        }
                        _ => None,
                    })
                })
                .collect())
        }
        .await;
        task.abort();
        result
    })
}

/// A change to one link, as `netvet repair` makes it (RTM_NEWLINK on an existing link, what
/// `ip link set` sends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkChange<'a> {
    /// A bonding option by its sysfs name, its value a number (a named value by its index:
    /// `lacp_rate` `1` is fast), a slave's name for `primary`, addresses for `arp_ip_target`.
    BondOption {
        key: &'a str,
        value: String,
    },
    Mtu(u32),
    /// Enslave to this bond, or release (`None`).
    Master(Option<&'a str>),
    /// Administratively up or down.
    Admin(bool),
}

/// Make `change` to the link named `link` in the current network namespace.
pub fn change_link(link: &str, change: &LinkChange<'_>) -> Result<(), LiveError> {
    runtime()?.block_on(async {
        let (connection, handle, _) = rtnetlink::new_connection().map_err(LiveError::Socket)?;
        let task = tokio::spawn(connection);
        let result = change_with(&handle, link, change).await;
        task.abort();
        result
    })
}

async fn index_of(handle: &rtnetlink::Handle, name: &str) -> Result<u32, LiveError> {
    let mut links = handle.link().get().match_name(name.to_string()).execute();
    match links.try_next().await {
        Ok(Some(msg)) => Ok(msg.header.index),
        Ok(None) => Err(LiveError::Netlink(format!("no link {name}"))),
        Err(e) => Err(LiveError::Netlink(format!("{name}: {e}"))),
    }
}

async fn change_with(
    handle: &rtnetlink::Handle,
    link: &str,
    change: &LinkChange<'_>,
) -> Result<(), LiveError> {
    use rtnetlink::{LinkBond, LinkMessageBuilder, LinkUnspec};
    let index = index_of(handle, link).await?;
    let message = match change {
        LinkChange::Mtu(mtu) => LinkUnspec::new_with_index(index).mtu(*mtu).build(),
        LinkChange::Admin(true) => LinkUnspec::new_with_index(index).up().build(),
        LinkChange::Admin(false) => LinkUnspec::new_with_index(index).down().build(),
        LinkChange::Master(Some(bond)) => {
            let bond = index_of(handle, bond).await?;
            LinkUnspec::new_with_index(index).controller(bond).build()
        }
        LinkChange::Master(None) => LinkUnspec::new_with_index(index).nocontroller().build(),
        LinkChange::BondOption { key, value } => {
            let info = bond_attribute(handle, key, value).await?;
            LinkMessageBuilder::<LinkBond>::new_with_info_kind(InfoKind::Bond)
                .index(index)
                .append_info_data(info)
                .build()
        }
    };
    handle
        .link()
        .change(message)
        .execute()
        .await
        .map_err(|e| LiveError::Netlink(format!("{link}: {e}")))
}

/// The IFLA_BOND_* attribute for a bonding option: a number (named values by their index), a
/// slave's name for `primary`, addresses for `arp_ip_target`.
async fn bond_attribute(
    handle: &rtnetlink::Handle,
    key: &str,
    value: &str,
) -> Result<InfoBond, LiveError> {
    use netlink_packet_route::link::{
        BondAdSelect, BondAllPortActive, BondArpAllTargets, BondArpValidate, BondFailOverMac,
        BondLacpRate, BondMode, BondPrimaryReselect, BondXmitHashPolicy,
    };
    let bad = || LiveError::Netlink(format!("{key}: `{value}` is not a value netvet can send"));
    let number = || value.trim().parse::<u32>().map_err(|_| bad());
    let named = || value.trim().parse::<u8>().map_err(|_| bad());
    let flag = || match value.trim() {
        "1" | "on" => Ok(true),
        "0" | "off" => Ok(false),
        _ => Err(bad()),
    };
    Ok(match key {
        "mode" => InfoBond::Mode(BondMode::from(named()?)),
        "miimon" => InfoBond::MiiMon(number()?),
        "updelay" => InfoBond::UpDelay(number()?),
        "downdelay" => InfoBond::DownDelay(number()?),
        "use_carrier" => InfoBond::UseCarrier(flag()?),
        "arp_interval" => InfoBond::ArpInterval(number()?),
        "arp_ip_target" => InfoBond::ArpIpTarget(
            value
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .map(|t| t.parse().map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
        ),
        "arp_validate" => InfoBond::ArpValidate(BondArpValidate::from(u32::from(named()?))),
        "arp_all_targets" => InfoBond::ArpAllTargets(BondArpAllTargets::from(u32::from(named()?))),
        "primary" => InfoBond::Primary(index_of(handle, value.trim()).await?),
        "primary_reselect" => InfoBond::PrimaryReselect(BondPrimaryReselect::from(named()?)),
        "fail_over_mac" => InfoBond::FailOverMac(BondFailOverMac::from(named()?)),
        "xmit_hash_policy" => InfoBond::XmitHashPolicy(BondXmitHashPolicy::from(named()?)),
        "resend_igmp" => InfoBond::ResendIgmp(number()?),
        "all_slaves_active" => InfoBond::AllPortsActive(BondAllPortActive::from(u8::from(flag()?))),
        "min_links" => InfoBond::MinLinks(number()?),
        "lp_interval" => InfoBond::LpInterval(number()?),
        "packets_per_slave" => InfoBond::PacketsPerPort(number()?),
        "lacp_rate" => InfoBond::AdLacpRate(BondLacpRate::from(named()?)),
        "ad_select" => InfoBond::AdSelect(BondAdSelect::from(named()?)),
        "tlb_dynamic_lb" => InfoBond::TlbDynamicLb(flag()?),
        "peer_notif_delay" => InfoBond::PeerNotifDelay(number()?),
        _ => {
            return Err(LiveError::Netlink(format!(
                "{key}: netvet does not change this option over netlink"
            )));
        }
    })
}
