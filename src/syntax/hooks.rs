//! The shell commands in `pre-up`/`up`/`post-up`/`down` options that change what netvet checks:
//! `sysctl -w key=value` (and `echo V > /proc/sys/...`), `ip link set DEV mtu N` (and
//! `ifconfig DEV mtu N`), and enslaving to a bond (`ip link set DEV master BOND`,
//! `echo +DEV > /sys/class/net/BOND/bonding/slaves`, `ifenslave BOND DEV...`), and bonding
//! options written to sysfs (`echo 2 > /sys/class/net/$IFACE/bonding/min_links`). Everything else a
//! hook does is opaque to netvet and ignored.
//!
//! The command line is split like a shell would for these simple cases: `;`, `&&`, `||` and `|`
//! separate commands, single and double quotes group words. `$IFACE` is kept as written; the
//! caller knows which interface the hook belongs to.

use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookAction {
    Sysctl {
        /// Dotted key (`net.ipv6.conf.all.autoconf`).
        name: String,
        value: String,
        span: Span,
    },
    SetMtu {
        device: String,
        mtu: String,
        span: Span,
    },
    /// `ip link add NAME ... type macvlan|vxlan|gre|gretap|ipip ...` or `ip tunnel add NAME
    /// mode gre|ipip ...`, with its lower device (`link` or `dev`) and the `mtu` it asks for.
    AddLink {
        name: String,
        kind: UpperKind,
        lower: Option<String>,
        mtu: Option<String>,
        span: Span,
    },
    /// `echo VALUE > /sys/class/net/BOND/bonding/KEY`: a bonding option written from a hook
    /// (`$IFACE` kept as written), the way NV114 tells options ifenslave never writes to be set.
    BondOption {
        bond: String,
        key: String,
        value: String,
        span: Span,
    },
    /// A command that adds `slaves` to the bond `master` (`$IFACE` kept as written).
    Enslave {
        master: String,
        slaves: Vec<String>,
        command: EnslaveCommand,
        span: Span,
    },
}

/// A link over a lower device that a hook creates, and what the kernel reserves of the lower
/// device's MTU for it (Linux 6.1, observed in the VM).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpperKind {
    /// `type macvlan`: created at the lower device's MTU, never above it (EINVAL), and lowered
    /// with it.
    Macvlan,
    /// `type vxlan`: created at the lower device's MTU less 50 bytes (70 over IPv6), whatever
    /// `mtu` the command asks for; never set above that (EINVAL); never follows the lower device.
    Vxlan { ipv6: bool },
    /// `type gre`/`gretap` or `ip tunnel add ... mode gre`: created at the lower device's MTU
    /// less 24 bytes (4 more for each of key, checksum and sequence numbers, 14 more for
    /// gretap's Ethernet header). A larger MTU is accepted: packets are fragmented.
    Gre { options: u8, tap: bool },
    /// `type ipip` or `mode ipip`: 20 bytes, otherwise as GRE.
    Ipip,
}

impl UpperKind {
    /// The bytes of the lower device's MTU the encapsulation takes.
    pub fn headroom(self) -> u32 {
        match self {
            UpperKind::Macvlan => 0,
            UpperKind::Vxlan { ipv6: false } => 50,
            UpperKind::Vxlan { ipv6: true } => 70,
            UpperKind::Gre { options, tap } => {
                24 + 4 * u32::from(options) + if tap { 14 } else { 0 }
            }
            UpperKind::Ipip => 20,
        }
    }

    /// Whether the kernel refuses an MTU above what the lower device carries (rather than
    /// fragmenting).
    pub fn refuses_larger(self) -> bool {
        matches!(self, UpperKind::Macvlan | UpperKind::Vxlan { .. })
    }

    pub fn name(self) -> &'static str {
        match self {
            UpperKind::Macvlan => "macvlan",
            UpperKind::Vxlan { ipv6: false } => "VXLAN",
            UpperKind::Vxlan { ipv6: true } => "VXLAN over IPv6",
            UpperKind::Gre { tap: false, .. } => "GRE",
            UpperKind::Gre { tap: true, .. } => "GRETAP",
            UpperKind::Ipip => "IPIP",
        }
    }
}

/// How a hook enslaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnslaveCommand {
    /// `ip link set DEV master BOND`: netlink, the kernel enslaves a slave that is down.
    IpLink,
    /// `echo +DEV > /sys/class/net/BOND/bonding/slaves`.
    Sysfs,
    /// `ifenslave BOND DEV...`: Debian removed the binary in ifenslave 2.10 (Debian 12 ships
    /// 2.13, hook scripts only), so the shell finds no such command.
    Ifenslave,
}

/// The device a hook command names, with `$IFACE` (ifupdown's variable for the stanza's
/// interface) resolved to `iface`.
pub fn device<'a>(written: &'a str, iface: &'a str) -> &'a str {
    if matches!(written, "$IFACE" | "${IFACE}") {
        iface
    } else {
        written
    }
}

/// A word and its byte range inside the command text.
struct ShellWord {
    text: String,
    start: usize,
    end: usize,
}

/// Split into commands, each a list of words.
fn commands(text: &str) -> Vec<Vec<ShellWord>> {
    let mut out = vec![Vec::new()];
    let mut word: Option<ShellWord> = None;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = i + c.len_utf8();
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                if let Some(w) = word.as_mut() {
                    w.end = end;
                }
            }
            (Some(_), c) => {
                let w = word.get_or_insert(ShellWord {
                    text: String::new(),
                    start: i,
                    end,
                });
                w.text.push(c);
                w.end = end;
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert(ShellWord {
                    text: String::new(),
                    start: i,
                    end,
                })
                .end = end;
            }
            (None, ';' | '&' | '|' | '\n') => {
                out.last_mut().expect("never empty").extend(word.take());
                if matches!(chars.peek(), Some((_, '&' | '|'))) {
                    chars.next();
                }
                out.push(Vec::new());
            }
            (None, c) if c.is_whitespace() => {
                out.last_mut().expect("never empty").extend(word.take())
            }
            (None, c) => {
                let w = word.get_or_insert(ShellWord {
                    text: String::new(),
                    start: i,
                    end,
                });
                w.text.push(c);
                w.end = end;
            }
        }
    }
    out.last_mut().expect("never empty").extend(word.take());
    out.retain(|c| !c.is_empty());
    out
}

fn program(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The options of `ip link add` before `type` that take an argument.
const LINK_ADD_ARGS: &[&str] = &[
    "link",
    "name",
    "dev",
    "mtu",
    "txqueuelen",
    "txqlen",
    "address",
    "broadcast",
    "brd",
    "numtxqueues",
    "numrxqueues",
    "gso_max_size",
    "gso_max_segs",
    "gro_max_size",
    "index",
    "netns",
    "group",
    "alias",
    "parentdev",
    "qlen",
];

/// GRE options that each add 4 bytes to the header.
fn gre_options(args: &[&str]) -> u8 {
    let has = |names: &[&str]| args.iter().any(|a| names.contains(a));
    u8::from(has(&["key", "ikey", "okey"]))
        + u8::from(has(&["csum", "icsum", "ocsum"]))
        + u8::from(has(&["seq", "iseq", "oseq"]))
}

/// The value after `key` in `args`.
fn arg<'a>(args: &[&'a str], key: &str) -> Option<&'a str> {
    args.windows(2).find(|p| p[0] == key).map(|p| p[1])
}

type Added = (String, UpperKind, Option<String>, Option<String>);

/// `ip link add [link LOWER] [name] NAME [mtu N] ... type KIND [ARGS]`.
fn link_add(words: &[&str]) -> Option<Added> {
    let split = words.iter().position(|w| *w == "type")?;
    let (head, tail) = (&words[..split], &words[split + 1..]);
    let mut name = None;
    let mut i = 0;
    while i < head.len() {
        if LINK_ADD_ARGS.contains(&head[i]) {
            if matches!(head[i], "name" | "dev") {
                name = head.get(i + 1).copied();
            }
            i += 2;
        } else {
            name = name.or(Some(head[i]));
            i += 1;
        }
    }
    let (kind_word, args) = tail.split_first()?;
    let addresses_v6 = ["local", "remote", "group"]
        .iter()
        .any(|k| arg(args, k).is_some_and(|a| a.contains(':')));
    let (kind, lower) = match *kind_word {
        "macvlan" => (UpperKind::Macvlan, arg(head, "link")),
        "vxlan" => (UpperKind::Vxlan { ipv6: addresses_v6 }, arg(args, "dev")),
        "gre" | "gretap" => (
            UpperKind::Gre {
                options: gre_options(args),
                tap: *kind_word == "gretap",
            },
            arg(args, "dev").or(arg(head, "link")),
        ),
        "ipip" => (UpperKind::Ipip, arg(args, "dev").or(arg(head, "link"))),
        _ => return None,
    };
    Some((
        name?.to_string(),
        kind,
        lower.map(str::to_string),
        arg(head, "mtu").map(str::to_string),
    ))
}

/// `ip tunnel add [name] NAME mode gre|ipip ... [dev LOWER]`.
fn tunnel_add(words: &[&str]) -> Option<Added> {
    const ARGS: &[&str] = &[
        "name",
        "mode",
        "remote",
        "local",
        "dev",
        "ttl",
        "hoplimit",
        "tos",
        "dsfield",
        "key",
        "ikey",
        "okey",
        "encaplimit",
        "flowlabel",
        "6rd-prefix",
        "6rd-relay_prefix",
    ];
    let mut name = arg(words, "name");
    let mut i = 0;
    while i < words.len() && name.is_none() {
        if ARGS.contains(&words[i]) {
            i += 2;
        } else if matches!(
            words[i],
            "csum" | "icsum" | "ocsum" | "seq" | "iseq" | "oseq" | "pmtudisc" | "nopmtudisc"
        ) {
            i += 1;
        } else {
            name = Some(words[i]);
        }
    }
    let kind = match arg(words, "mode")? {
        "gre" => UpperKind::Gre {
            options: gre_options(words),
            tap: false,
        },
        "ipip" => UpperKind::Ipip,
        _ => return None,
    };
    Some((
        name?.to_string(),
        kind,
        arg(words, "dev").map(str::to_string),
        None,
    ))
}

/// What a hook command does that netvet understands. `base` is the file offset of `text`.
pub fn parse(text: &str, base: usize) -> Vec<HookAction> {
    let span = |a: &ShellWord, b: &ShellWord| Span::new(base + a.start, base + b.end);
    let mut actions = Vec::new();
    for cmd in commands(text) {
        // `sudo`, `env` and friends in front change nothing here.
        let skip = cmd
            .iter()
            .take_while(|w| matches!(program(&w.text), "sudo" | "env" | "command" | "exec"))
            .count();
        let cmd = &cmd[skip..];
        let Some(first) = cmd.first() else { continue };
        match program(&first.text) {
            "sysctl" => {
                for w in &cmd[1..] {
                    if w.text.starts_with('-') {
                        continue;
                    }
                    if let Some((k, v)) = w.text.split_once('=') {
                        actions.push(HookAction::Sysctl {
                            name: crate::syntax::sysctl::normalize_key(k.trim()),
                            value: v.trim().to_string(),
                            span: span(w, w),
                        });
                    }
                }
            }
            "ip" => {
                // ip [-4|-6|...] link|li|l set [dev] DEV ... mtu N ...
                let words: Vec<&ShellWord> = cmd[1..]
                    .iter()
                    .filter(|w| !w.text.starts_with('-'))
                    .collect();
                let is_link = words
                    .first()
                    .is_some_and(|w| "link".starts_with(w.text.as_str()));
                let verb = words.get(1).map(|w| w.text.as_str());
                let is_tunnel = words
                    .first()
                    .is_some_and(|w| w.text.len() >= 2 && "tunnel".starts_with(w.text.as_str()));
                if (is_link || is_tunnel) && matches!(verb, Some("add" | "a")) {
                    let words: Vec<&str> = words[2..].iter().map(|w| w.text.as_str()).collect();
                    let last = cmd.last().expect("non-empty");
                    let added = if is_link {
                        link_add(&words)
                    } else {
                        tunnel_add(&words)
                    };
                    if let Some((name, kind, lower, mtu)) = added {
                        actions.push(HookAction::AddLink {
                            name,
                            kind,
                            lower,
                            mtu,
                            span: span(first, last),
                        });
                    }
                    continue;
                }
                let is_set = verb == Some("set");
                if !(is_link && is_set) {
                    continue;
                }
                let rest = &words[2..];
                let device: Option<&ShellWord> = match rest.first() {
                    Some(w) if w.text == "dev" => rest.get(1).copied(),
                    other => other.copied(),
                };
                let mtu = rest.windows(2).find(|p| p[0].text == "mtu").map(|p| p[1]);
                if let (Some(device), Some(mtu)) = (device, mtu) {
                    actions.push(HookAction::SetMtu {
                        device: device.text.to_string(),
                        mtu: mtu.text.to_string(),
                        span: span(first, mtu),
                    });
                }
                let master = rest
                    .windows(2)
                    .find(|p| p[0].text == "master")
                    .map(|p| p[1]);
                if let (Some(device), Some(master)) = (device, master) {
                    if device.text != "master" {
                        actions.push(HookAction::Enslave {
                            master: master.text.to_string(),
                            slaves: vec![device.text.to_string()],
                            command: EnslaveCommand::IpLink,
                            span: span(first, cmd.last().expect("non-empty")),
                        });
                    }
                }
            }
            "ifenslave" | "ifenslave-2.6" => {
                // ifenslave [-options] MASTER SLAVE...: what the command meant to do.
                let mut words = cmd[1..].iter().filter(|w| !w.text.starts_with('-'));
                let detach = cmd[1..].iter().any(|w| {
                    matches!(
                        w.text.as_str(),
                        "-d" | "--detach" | "-c" | "--change-active"
                    )
                });
                if let (Some(master), false) = (words.next(), detach) {
                    actions.push(HookAction::Enslave {
                        master: master.text.to_string(),
                        slaves: words.map(|w| w.text.to_string()).collect(),
                        command: EnslaveCommand::Ifenslave,
                        span: span(first, cmd.last().expect("non-empty")),
                    });
                }
            }
            "ifconfig" => {
                let mtu = cmd.windows(2).find(|p| p[0].text == "mtu").map(|p| &p[1]);
                if let (Some(device), Some(mtu)) = (cmd.get(1), mtu) {
                    actions.push(HookAction::SetMtu {
                        device: device.text.to_string(),
                        mtu: mtu.text.to_string(),
                        span: span(first, mtu),
                    });
                }
            }
            "echo" | "printf" => {
                // echo V > /proc/sys/net/...: the redirection is a word of its own or glued.
                let target = cmd.iter().enumerate().find_map(|(i, w)| {
                    let path =
                        w.text
                            .strip_prefix('>')
                            .filter(|p| !p.is_empty())
                            .or_else(|| {
                                (w.text == ">")
                                    .then(|| cmd.get(i + 1).map(|n| n.text.as_str()))
                                    .flatten()
                            })?;
                    Some((i, path.to_string()))
                });
                if let Some((i, path)) = target {
                    let bond = path
                        .strip_prefix("/sys/class/net/")
                        .and_then(|p| p.strip_suffix("/bonding/slaves"));
                    let added = cmd
                        .get(1)
                        .filter(|_| i > 1)
                        .and_then(|v| v.text.strip_prefix('+'));
                    if let (Some(bond), Some(slave)) = (bond, added) {
                        actions.push(HookAction::Enslave {
                            master: bond.to_string(),
                            slaves: vec![slave.to_string()],
                            command: EnslaveCommand::Sysfs,
                            span: span(first, cmd.last().expect("non-empty")),
                        });
                    }
                    let option = path
                        .strip_prefix("/sys/class/net/")
                        .and_then(|p| p.split_once("/bonding/"))
                        .filter(|(_, key)| *key != "slaves" && !key.contains('/'));
                    if let (Some((bond, key)), Some(value)) = (option, cmd.get(1).filter(|_| i > 1))
                    {
                        actions.push(HookAction::BondOption {
                            bond: bond.to_string(),
                            key: key.to_string(),
                            value: value.text.to_string(),
                            span: span(first, cmd.last().expect("non-empty")),
                        });
                    }
                    if let (Some(key), Some(value)) = (
                        path.strip_prefix("/proc/sys/"),
                        cmd.get(1).filter(|_| i > 1),
                    ) {
                        actions.push(HookAction::Sysctl {
                            name: key.replace('/', "."),
                            value: value.text.to_string(),
                            span: span(first, cmd.last().expect("non-empty")),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief(text: &str) -> Vec<String> {
        parse(text, 0)
            .into_iter()
            .map(|a| match a {
                HookAction::Sysctl { name, value, span } => {
                    format!("sysctl {name}={value} @{}", &text[span.range()])
                }
                HookAction::SetMtu { device, mtu, span } => {
                    format!("mtu {device}={mtu} @{}", &text[span.range()])
                }
                HookAction::AddLink {
                    name,
                    kind,
                    lower,
                    mtu,
                    span,
                } => format!(
                    "add {name} {} over {} mtu {} @{}",
                    kind.name(),
                    lower.unwrap_or_default(),
                    mtu.unwrap_or_default(),
                    &text[span.range()]
                ),
                HookAction::Enslave {
                    master,
                    slaves,
                    command,
                    span,
                } => format!(
                    "{command:?} {master}<-{} @{}",
                    slaves.join(","),
                    &text[span.range()]
                ),
                HookAction::BondOption {
                    bond,
                    key,
                    value,
                    span,
                } => format!("bond {bond}.{key}={value} @{}", &text[span.range()]),
            })
            .collect()
    }

    #[test]
    fn bonding_options_written_to_sysfs() {
        assert_eq!(
            brief("echo 2 > /sys/class/net/$IFACE/bonding/min_links"),
            ["bond $IFACE.min_links=2 @echo 2 > /sys/class/net/$IFACE/bonding/min_links"]
        );
        assert_eq!(
            brief("sleep 1; echo 100 >/sys/class/net/bond0/bonding/miimon"),
            ["bond bond0.miimon=100 @echo 100 >/sys/class/net/bond0/bonding/miimon"]
        );
        // Enslaving is not an option write, and a path below an option is nothing.
        assert_eq!(
            brief("echo +eth1 > /sys/class/net/bond0/bonding/slaves"),
            ["Sysfs bond0<-eth1 @echo +eth1 > /sys/class/net/bond0/bonding/slaves"]
        );
        assert!(brief("echo 1 > /sys/class/net/bond0/bonding/x/y").is_empty());
    }

    #[test]
    fn sysctl_forms() {
        assert_eq!(
            brief("sysctl -w net.ipv6.conf.all.autoconf=0"),
            ["sysctl net.ipv6.conf.all.autoconf=0 @net.ipv6.conf.all.autoconf=0"]
        );
        assert_eq!(
            brief("/sbin/sysctl -q -w a.b=1 c/d=2"),
            ["sysctl a.b=1 @a.b=1", "sysctl c.d=2 @c/d=2"]
        );
        assert_eq!(
            brief("echo 1 > /proc/sys/net/ipv6/bindv6only"),
            ["sysctl net.ipv6.bindv6only=1 @echo 1 > /proc/sys/net/ipv6/bindv6only"]
        );
    }

    #[test]
    fn mtu_forms() {
        assert_eq!(
            brief("ip link set dev $IFACE mtu 9000"),
            ["mtu $IFACE=9000 @ip link set dev $IFACE mtu 9000"]
        );
        assert_eq!(
            brief("/sbin/ip li set eth0 up mtu 1400 && echo ok"),
            ["mtu eth0=1400 @/sbin/ip li set eth0 up mtu 1400"]
        );
        assert_eq!(
            brief("ifconfig eth1 mtu 1492 up"),
            ["mtu eth1=1492 @ifconfig eth1 mtu 1492"]
        );
        assert!(brief("ip link set eth0 up; ip addr add 198.18.0.1/24 dev eth0").is_empty());
        assert_eq!(
            brief("true; 'ip' link set eth0 mtu \"9000\""),
            ["mtu eth0=9000 @'ip' link set eth0 mtu \"9000\""]
        );
    }

    #[test]
    fn enslave_forms() {
        assert_eq!(
            brief("/sbin/ifenslave bond0 eth0 eth1"),
            ["Ifenslave bond0<-eth0,eth1 @/sbin/ifenslave bond0 eth0 eth1"]
        );
        assert_eq!(
            brief("ifenslave -f bond0 $IFACE || true"),
            ["Ifenslave bond0<-$IFACE @ifenslave -f bond0 $IFACE"]
        );
        // Detaching is not enslaving.
        assert!(brief("ifenslave -d bond0 eth0").is_empty());
        assert_eq!(
            brief("ip link set dev eth0 master bond0"),
            ["IpLink bond0<-eth0 @ip link set dev eth0 master bond0"]
        );
        assert_eq!(
            brief("ip link set eth0 down; ip link set eth0 master bond0 up"),
            ["IpLink bond0<-eth0 @ip link set eth0 master bond0 up"]
        );
        assert_eq!(
            brief("echo +eth1 > /sys/class/net/bond0/bonding/slaves"),
            ["Sysfs bond0<-eth1 @echo +eth1 > /sys/class/net/bond0/bonding/slaves"]
        );
        assert!(brief("echo -eth1 > /sys/class/net/bond0/bonding/slaves").is_empty());
    }

    #[test]
    fn never_panics() {
        for t in [
            "",
            "'",
            "\"",
            "ip",
            "ip link set",
            "echo >",
            "sysctl =",
            "&&||;;",
            "ip link set dev",
            "echo > /proc/sys/",
            "ifenslave",
            "ip link set master bond0",
            "echo > /sys/class/net/b/bonding/slaves",
        ] {
            let _ = parse(t, 7);
        }
    }

    #[test]
    fn links_over_a_lower_device() {
        let headroom = |text: &str| match parse(text, 0).into_iter().next() {
            Some(HookAction::AddLink { kind, .. }) => kind.headroom(),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            brief("ip link add link eth0 name $IFACE mtu 9000 type macvlan mode bridge"),
            [
                "add $IFACE macvlan over eth0 mtu 9000 @ip link add link eth0 name $IFACE mtu 9000 type macvlan mode bridge"
            ]
        );
        assert_eq!(
            brief("/sbin/ip link add vxlan42 type vxlan id 42 dev eno1 dstport 4789"),
            [
                "add vxlan42 VXLAN over eno1 mtu  @/sbin/ip link add vxlan42 type vxlan id 42 dev eno1 dstport 4789"
            ]
        );
        assert_eq!(
            brief("ip tunnel add gre1 mode gre remote 198.18.0.2 local 198.18.0.1 dev eth0 ttl 64"),
            [
                "add gre1 GRE over eth0 mtu  @ip tunnel add gre1 mode gre remote 198.18.0.2 local 198.18.0.1 dev eth0 ttl 64"
            ]
        );
        assert_eq!(
            headroom("ip link add v type vxlan id 1 dev e local 198.18.0.1"),
            50
        );
        assert_eq!(
            headroom("ip link add v type vxlan id 1 dev e remote fd00::2"),
            70
        );
        assert_eq!(
            headroom("ip link add g type gre remote 198.18.0.2 dev e key 5 csum"),
            32
        );
        assert_eq!(
            headroom("ip link add g type gretap remote 198.18.0.2 dev e"),
            38
        );
        assert_eq!(
            headroom("ip link add i type ipip remote 198.18.0.2 dev e"),
            20
        );
        // Not links over a lower device, or not understood: nothing.
        assert!(brief("ip link add br0 type bridge").is_empty());
        assert!(brief("ip link add type vxlan id 1").is_empty());
        assert!(brief("ip tunnel add t0 mode sit remote 198.18.0.2").is_empty());
    }
}
