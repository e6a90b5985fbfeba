//! The shell commands in `pre-up`/`up`/`post-up`/`down` options that change what netvet checks:
//! `sysctl -w key=value` (and `echo V > /proc/sys/...`), `ip link set DEV mtu N` (and
//! `ifconfig DEV mtu N`), and enslaving to a bond (`ip link set DEV master BOND`,
//! `echo +DEV > /sys/class/net/BOND/bonding/slaves`, `ifenslave BOND DEV...`). Everything else a
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
    /// A command that adds `slaves` to the bond `master` (`$IFACE` kept as written).
    Enslave {
        master: String,
        slaves: Vec<String>,
        command: EnslaveCommand,
        span: Span,
    },
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
                let is_set = words.get(1).is_some_and(|w| w.text == "set");
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
            })
            .collect()
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
}
