//! The agentless side of an audit: one constant POSIX shell script, run on a stock Debian host,
//! that prints what netvet checks; and the reader that turns its answer into a [`Snapshot`].
//!
//! The script runs only read-only commands every Debian 11 and 12 host has (`cat`, `grep`,
//! `ip`, `ss` from iproute2, GNU `tar`), builds no command from what it reads, and writes
//! nothing on the host. Its answer is one stream:
//!
//! ```text
//! netvet-collect 1
//! hostname 3         <- a section: its name, its length in bytes, the bytes, a newline
//! db1
//! ip-link 1234
//! [{"ifindex":1, ...}]
//! ...
//! tar                <- the rest is a tar archive of the configuration roots
//! ```
//!
//! The archive holds whole directories from a fixed list ([`ROOTS`]): the places the loaders
//! look, and the ones Debian's packages include from (nginx's `modules-available`). A file a
//! host includes from elsewhere is not collected and reads as absent; `--remote-netvet`, which
//! records exactly what a check reads, has no such gap.
//!
//! The answer is hostile input: every length is checked against what is left, the archive goes
//! through [`Bundle::from_tar`]'s bounds, and the live state through the iproute2 readers'.

use crate::live::{self, LIVE_SCHEMA_VERSION, LiveState};
use crate::load::bundle::BundleError;
use crate::load::{Bundle, HostFs};
use crate::snapshot::{Manifest, Snapshot};

/// The first line of every answer: the format and its version.
const MAGIC: &str = "netvet-collect 1";

/// The configuration roots the archive holds, when they exist. `/etc/ssh` is not one: only
/// sshd's configuration is read, never its private keys.
pub const ROOTS: &[&str] = &[
    "/etc/network",
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
    "/etc/modules",
    "/etc/modules-load.d",
    "/run/modules-load.d",
    "/usr/local/lib/modules-load.d",
    "/usr/lib/modules-load.d",
    "/lib/modules-load.d",
    "/etc/initramfs-tools/modules",
    "/etc/sysctl.conf",
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
    "/usr/lib/ifupdown",
    "/lib/ifupdown",
    "/usr/share/ifupdown2",
    "/var/lib/ifupdown2/policy.d",
    "/etc/nginx",
    "/usr/share/nginx/modules-available",
    "/etc/apache2",
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d",
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/lib/systemd/system/*.socket",
    "/lib/systemd/system/*.socket",
];

/// The script. It holds no `'` and no `\`, so it travels as one single-quoted word through any
/// login shell (POSIX shells, and fish, whose single quotes only treat `\'` and `\\`).
pub fn script() -> String {
    let roots = ROOTS.join(" ");
    let sysctls = live::SYSCTL_PATHS.join(" ");
    let speeds = live::SPEED_DUPLEX_PATHS.join(" ");
    let ip = live::IP_LINK_COMMAND;
    let ss = live::SS_LISTENERS_COMMAND;
    format!(
        r#"LC_ALL=C
export LC_ALL
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
s() {{
  n=$1
  shift
  o=$("$@" 2>/dev/null)
  printf "%s %s
%s
" "$n" "${{#o}}" "$o"
}}
echo "{MAGIC}"
s hostname cat /proc/sys/kernel/hostname
s ip-link {ip}
s ss {ss}
s sysctl grep -H . {sysctls}
s sysfs grep -H . {speeds}
set --
if [ -L /lib ]; then set -- /lib; fi
for p in {roots}; do
  case $p in /lib/*) if [ -L /lib ]; then continue; fi;; esac
  if [ -e "$p" ] || [ -L "$p" ]; then set -- "$@" "$p"; fi
done
echo tar
exec tar -c -f - --numeric-owner -T /dev/null "$@" 2>/dev/null
"#
    )
}

/// The command the SSH server hands to the login shell.
pub fn command() -> String {
    let script = script();
    debug_assert!(!script.contains('\'') && !script.contains('\\'));
    format!("exec /bin/sh -c '{script}'")
}

/// The sections, in the order the script prints them.
const SECTIONS: &[&str] = &["hostname", "ip-link", "ss", "sysctl", "sysfs"];

/// Why a host's answer is not one the collector's script prints.
#[derive(Debug)]
pub enum AnswerError {
    /// Nothing came back.
    Empty,
    /// The first line is not the script's; the line as it came, at most 80 bytes.
    NotTheScript(String),
    /// The answer ends before this section's header.
    EndsBefore(&'static str),
    /// This section's header is not `NAME LENGTH`; the header as it came, at most 80 bytes.
    BadHeader(&'static str, String),
    /// The answer ends inside this section.
    CutShort(&'static str),
    /// No `tar` line after the sections.
    NoArchive,
    /// The archive is not one netvet reads.
    Archive(BundleError),
    /// `ip -details -json link show` printed what netvet does not read.
    Links(live::IpJsonError),
    /// `ss` printed what netvet does not read.
    Listeners(live::SsError),
}

impl std::fmt::Display for AnswerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let escape = crate::diagnostic::escape;
        match self {
            AnswerError::Empty => write!(f, "an empty answer"),
            AnswerError::NotTheScript(line) => {
                write!(f, "it begins `{}`, not `{MAGIC}`", escape(line))
            }
            AnswerError::EndsBefore(name) => write!(f, "it ends before `{name}`"),
            AnswerError::BadHeader(name, header) => write!(
                f,
                "`{}` where the `{name}` section was expected",
                escape(header)
            ),
            AnswerError::CutShort(name) => write!(f, "the `{name}` section is cut short"),
            AnswerError::NoArchive => write!(f, "no archive after the sections"),
            AnswerError::Archive(e) => write!(f, "the archive: {e}"),
            AnswerError::Links(e) => write!(f, "`ip -details -json link show`: {e}"),
            AnswerError::Listeners(e) => write!(f, "`ss`: {e}"),
        }
    }
}

impl std::error::Error for AnswerError {}

/// At most 80 bytes of a line, for a message.
fn head(line: &[u8]) -> String {
    let mut end = line.len().min(80);
    // A cut inside a character would show as a replacement character: cut before it.
    while end < line.len() && end > 0 && (line[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    String::from_utf8_lossy(&line[..end]).into_owned()
}

/// Read an answer: the sections, then the archive. `given` names the host in the files'
/// paths (`web1:` gives `web1:/etc/network/interfaces`).
pub fn read(answer: &[u8], given: &str) -> Result<Snapshot, AnswerError> {
    let mut rest = answer;
    let magic = take_line(&mut rest).ok_or(AnswerError::Empty)?;
    if magic != MAGIC.as_bytes() {
        return Err(AnswerError::NotTheScript(head(magic)));
    }
    let mut sections: Vec<&[u8]> = Vec::with_capacity(SECTIONS.len());
    for &name in SECTIONS {
        let header = take_line(&mut rest).ok_or(AnswerError::EndsBefore(name))?;
        let len = std::str::from_utf8(header)
            .ok()
            .and_then(|h| h.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .and_then(|l| l.parse::<usize>().ok())
            .ok_or_else(|| AnswerError::BadHeader(name, head(header)))?;
        if len >= rest.len() || rest[len] != b'\n' {
            return Err(AnswerError::CutShort(name));
        }
        sections.push(&rest[..len]);
        rest = &rest[len + 1..];
    }
    if take_line(&mut rest) != Some(b"tar") {
        return Err(AnswerError::NoArchive);
    }
    let mut tree = Bundle::from_tar(rest, given).map_err(AnswerError::Archive)?;
    // A masked sysctl.d file is a link to /dev/null, which the archive does not hold: the
    // host has one, as every host does.
    if !tree.exists(std::path::Path::new("/dev/null")) {
        tree.add_special("/dev/null")
            .map_err(AnswerError::Archive)?;
    }
    let text = |i: usize| String::from_utf8_lossy(sections[i]);
    let hostname = Some(text(0).trim().to_string()).filter(|h| !h.is_empty());
    let mut unavailable = Vec::new();
    let mut links = if sections[1].is_empty() {
        unavailable.push("links: `ip -details -json link show` printed nothing".to_string());
        Vec::new()
    } else {
        live::links_from_ip_json(sections[1]).map_err(AnswerError::Links)?
    };
    live::speed_duplex_from_grep(&mut links, &text(4));
    let listeners = if sections[2].is_empty() {
        unavailable.push("listening sockets: `ss` printed nothing".to_string());
        Vec::new()
    } else {
        live::listeners_from_ss(&text(2)).map_err(AnswerError::Listeners)?
    };
    let state = LiveState {
        version: LIVE_SCHEMA_VERSION,
        links,
        sysctls: live::sysctls_from_grep(&text(3)),
        listeners,
        unavailable,
    };
    let manifest = Manifest::now(hostname, "/".to_string(), Some(state), Vec::new());
    Ok(Snapshot { tree, manifest })
}

/// The next line, without its newline; `None` at the end of the input.
fn take_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    if rest.is_empty() {
        return None;
    }
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = &rest[..end];
    *rest = &rest[(end + 1).min(rest.len())..];
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as the script prints it, around `tar`.
    fn answer(sections: &[(&str, &str)], tar: &[u8]) -> Vec<u8> {
        let mut out = format!("{MAGIC}\n").into_bytes();
        for (name, body) in sections {
            out.extend_from_slice(format!("{name} {}\n{body}\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"tar\n");
        out.extend_from_slice(tar);
        out
    }

    fn empty_tar() -> Vec<u8> {
        tar::Builder::new(Vec::new()).into_inner().unwrap()
    }

    #[test]
    fn the_script_is_one_single_quoted_word_for_any_login_shell() {
        let script = script();
        assert!(!script.contains('\'') && !script.contains('\\'), "{script}");
        assert!(command().starts_with("exec /bin/sh -c '") && command().ends_with('\''));
        for root in ROOTS {
            assert!(script.contains(root), "{root}");
        }
    }

    #[test]
    fn a_long_header_cut_for_its_message_is_cut_between_characters() {
        // The header's 80th byte falls inside `é`: the message was cut there with a string
        // slice, which panicked, and a panic in one host's answer ended the whole audit.
        let header = format!("{}é{}", "x".repeat(79), "y".repeat(40));
        let bytes = format!("{MAGIC}\n{header}\n").into_bytes();
        let err = read(&bytes, "h:").expect_err("a bad header");
        assert!(
            matches!(&err, AnswerError::BadHeader("hostname", shown) if *shown == "x".repeat(79)),
            "{err:?}"
        );
        let magic = format!("{}é\n", "m".repeat(79)).into_bytes();
        let err = read(&magic, "h:").expect_err("not the script");
        assert!(
            matches!(&err, AnswerError::NotTheScript(shown) if *shown == "m".repeat(79)),
            "{err:?}"
        );
    }

    #[test]
    fn an_answer_reads_into_a_snapshot() {
        let sections = [
            ("hostname", "web1"),
            ("ip-link", "[]"),
            ("ss", ""),
            ("sysctl", "/proc/sys/net/ipv6/bindv6only:1"),
            ("sysfs", ""),
        ];
        let snap = read(&answer(&sections, &empty_tar()), "web1:").unwrap();
        assert_eq!(snap.manifest.hostname.as_deref(), Some("web1"));
        let live = snap.manifest.live.unwrap();
        assert!(
            live.unavailable.iter().any(|u| u.contains("ss")),
            "{:?}",
            live.unavailable
        );
        assert!(snap.tree.exists(std::path::Path::new("/dev/null")));
    }

    #[test]
    fn a_broken_answer_is_an_error_that_says_where() {
        let good = [
            ("hostname", "web1"),
            ("ip-link", "[]"),
            ("ss", ""),
            ("sysctl", ""),
            ("sysfs", ""),
        ];
        let full = answer(&good, &empty_tar());
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (Vec::new(), "empty"),
            (b"garbage\n".to_vec(), "begins `garbage`"),
            (
                b"netvet-collect 1\nhostname 99999\nweb1\n".to_vec(),
                "`hostname` section is cut short",
            ),
            (
                b"netvet-collect 1\nhostname -1\n".to_vec(),
                "where the `hostname` section",
            ),
            (
                b"netvet-collect 1\nip-link 2\n[]\n".to_vec(),
                "where the `hostname` section",
            ),
            (
                full[..full.len() - empty_tar().len() - 4].to_vec(),
                "no archive",
            ),
            (
                answer(
                    &good,
                    b"not a tar archive at all, but long enough to be read as one",
                ),
                "the archive",
            ),
        ];
        for (bytes, want) in cases {
            let err = read(&bytes, "h:")
                .err()
                .unwrap_or_else(|| panic!("{want}: accepted"))
                .to_string();
            assert!(err.contains(want), "{want}: {err}");
        }
    }
}
