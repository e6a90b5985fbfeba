//! Listening TCP sockets from the kernel through sock_diag (inet_diag), for AF_INET and AF_INET6,
//! with each IPv6 socket's IPV6_V6ONLY flag as the kernel reports it (INET_DIAG_SKV6ONLY). Like
//! `netlink.rs`, the netlink types stay in this file.

use std::collections::HashMap;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
use netlink_packet_sock_diag::inet::nlas::Nla;
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;
use netlink_sys::{Socket, SocketAddr};

use super::{Listener, LiveError};

/// A sock_diag netlink socket, bound and connected to the kernel.
fn connect() -> Result<Socket, LiveError> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG).map_err(LiveError::Socket)?;
    socket.bind_auto().map_err(LiveError::Socket)?;
    socket
        .connect(&SocketAddr::new(0, 0))
        .map_err(LiveError::Socket)?;
    Ok(socket)
}

/// Every listening TCP socket of the current network namespace.
pub fn read_listeners() -> Result<Vec<Listener>, LiveError> {
    let mut socket = connect()?;
    let mut out = Vec::new();
    for family in [AF_INET, AF_INET6] {
        out.extend(dump(&mut socket, family, StateFlags::LISTEN)?);
    }
    let owners = socket_owners();
    for l in &mut out {
        l.process = owners.get(&l.inode).cloned();
    }
    super::sort_listeners(&mut out);
    Ok(out)
}

/// The local addresses of every established TCP connection of the current network namespace
/// (an SSH session among them): what `netvet repair` must not cut.
pub fn established_local_addresses() -> Result<Vec<std::net::IpAddr>, LiveError> {
    let mut socket = connect()?;
    let mut out = Vec::new();
    for family in [AF_INET, AF_INET6] {
        for connection in dump(&mut socket, family, StateFlags::ESTABLISHED)? {
            if let Ok(address) = connection.address.parse() {
                out.push(address);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn dump(socket: &mut Socket, family: u8, states: StateFlags) -> Result<Vec<Listener>, LiveError> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut request = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states,
            socket_id: if family == AF_INET {
                SocketId::new_v4()
            } else {
                SocketId::new_v6()
            },
        })
        .into(),
    );
    request.finalize();
    let mut buf = vec![0; request.buffer_len()];
    request.serialize(&mut buf);
    socket.send(&buf, 0).map_err(LiveError::Socket)?;

    let mut out = Vec::new();
    let mut receive = vec![0; 65536];
    loop {
        let size = socket
            .recv(&mut &mut receive[..], 0)
            .map_err(LiveError::Socket)?;
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&receive[offset..size])
                .map_err(|e| LiveError::Netlink(e.to_string()))?;
            let length = message.header.length as usize;
            match message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    let id = &response.header.socket_id;
                    let v6only = response.nlas.iter().find_map(|nla| match nla {
                        Nla::SkV6Only(v) => Some(*v),
                        _ => None,
                    });
                    out.push(Listener {
                        protocol: "tcp".to_string(),
                        family: if response.header.family == AF_INET6 {
                            "ipv6"
                        } else {
                            "ipv4"
                        }
                        .to_string(),
                        address: id.source_address.to_string(),
                        port: id.source_port,
                        v6only,
                        uid: response.header.uid,
                        inode: response.header.inode,
                        process: None,
                    });
                }
                NetlinkPayload::Done(_) => return Ok(out),
                NetlinkPayload::Error(e) => return Err(LiveError::Netlink(e.to_string())),
                _ => {}
            }
            if length == 0 {
                break;
            }
            offset += length;
        }
    }
}

/// Socket inode to owning process, from `/proc/PID/fd` links (`socket:[INODE]`). Only the
/// processes this user may inspect are seen; the others' sockets stay without a process.
fn socket_owners() -> HashMap<u32, super::Process> {
    let mut owners = HashMap::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return owners;
    };
    for entry in procs.filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let name = std::fs::read_to_string(entry.path().join("comm"))
            .map(|c| c.trim().to_string())
            .unwrap_or_default();
        for fd in fds.filter_map(Result::ok) {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u32>().ok())
            {
                owners.entry(inode).or_insert_with(|| super::Process {
                    pid,
                    name: name.clone(),
                });
            }
        }
    }
    owners
}
