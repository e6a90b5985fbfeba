//! Every bound netvet applies to what it reads and reports, in one place.
//!
//! netvet treats every file as hostile: a tree under `--root` may hold a 200 MB file, a FIFO, a
//! `source` chain thousands deep or a file of a million findings. Each bound here is far above
//! what a real host reaches, and each one, when hit, produces a finding that says what was cut
//! off: nothing is dropped silently (the two bounds on the modprobe.d files kmod skips are the
//! exception still to close, see them). The README's "Limits" section lists [`LIMITS`] (a test
//! checks that the two agree).
//!
//! ifupdown's own 80-byte word buffer is not one of netvet's bounds: it is ifupdown's behaviour,
//! reported by the parser (`syntax::interfaces::MAX_WORD`).

/// The most netvet reads of one file (and of standard input). Real configuration files are
/// kilobytes (a generated host of 28,000 interfaces is 2.8 MB); anything larger is refused
/// rather than read into memory: an NV001 error names the file.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The most files netvet reads from one host. A real one reads dozens; a `source-directory`
/// over a directory of millions of files must not take the host's memory. Past it, one NV001
/// error says that further files were not read.
pub const MAX_FILES: usize = 4_096;

/// How deep `source` lines may nest. Real hosts nest two or three; a chain of thousands is read
/// this far and reported (NV002), not followed until the stack runs out.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// How deep nginx blocks may nest. nginx's own configurations nest four or five levels; a file
/// of thousands of `{` is read as an NV001 error at the first block too deep, not followed down
/// until the stack runs out.
pub const MAX_NGINX_DEPTH: usize = 64;

/// Symbolic links followed resolving one path under a root: Linux's own limit for one lookup
/// (`MAXSYMLINKS`). A longer chain, or a loop, is not followed: a file is unreadable (NV001).
/// A configuration directory behind one (`/etc/modprobe.d`) is still only "not found" in the
/// summary and in `--verbose`, not a finding: that belongs with `load`'s directory reads.
pub const MAX_SYMLINKS: usize = 40;

/// The most netvet looks at of a modprobe.d file that kmod skips (a hidden file, another
/// ending, a subdirectory's file), to tell whether it was meant to configure bonding (NV132).
/// A `bonding.conf` is a few hundred bytes; whatever is larger is not a misnamed modprobe.d file.
/// kmod never reads these files, so nothing is cut from what the host runs with; a larger one
/// is passed over with a note.
pub const MODPROBE_UNREAD_MAX_BYTES: u64 = 64 << 10;

/// The most entries looked at in one modprobe.d directory, and in each of its subdirectories,
/// for the files kmod skips (NV132). The files kmod reads are bounded by [`MAX_FILES`] only.
/// The entries past it (in name order) are passed over with a note.
pub const MODPROBE_UNREAD_MAX_ENTRIES: usize = 512;

/// The most findings reported for one file, and the most suppressed ones. A real file has a
/// handful: of the shared corpus's 301 real interfaces files the one with the most has 58,
/// and the next 14. A hostile file reaches millions (one `auto` line of a million names is a
/// million NV005), which took gigabytes and minutes to report, and nobody could read them. Past the bound the
/// rest of the file's findings are dropped and one NV009 finding says how many, of which rules,
/// and how to see them.
pub const MAX_FINDINGS_PER_FILE: usize = 1_000;

/// The most entries (files, directories, links) one in-memory tree holds: a `.tar` given to
/// `netvet check`, a snapshot, what `audit` collects. A host's network configuration is a few
/// hundred.
pub const MAX_BUNDLE_ENTRIES: usize = 65_536;

/// The most file content one in-memory tree holds: a host's whole network, module and listener
/// configuration is a few megabytes.
pub const MAX_BUNDLE_BYTES: u64 = 128 << 20;

/// The most bytes read from one archive stream, headers and skipped contents included.
pub const MAX_ARCHIVE_BYTES: u64 = 1 << 30;

/// The most rounds of `netvet fix`: each round checks, applies every fix that does not touch
/// what another took, and checks again. Fixes that build on each other (a value, then the
/// option it makes redundant) take two or three; a file with more than
/// [`MAX_FINDINGS_PER_FILE`] findings takes one round per thousand. What is left is reported.
pub const MAX_FIX_ROUNDS: usize = 10;

/// The most one host may send `netvet audit` (its configuration archive and live state, a few
/// hundred kilobytes on a real host); a host that sends more is cut off as `too-large`, so a
/// hostile or broken host costs the controller at most this much memory.
pub const MAX_AUDIT_HOST_BYTES: u64 = 32 << 20;
/// The most netvet reads of a settings file (`netvet.toml`). A site's settings are a few
/// hundred bytes, and a policy naming every link of a large host a few kilobytes; a larger
/// file is refused (an error, exit status 2) rather than parsed, since the TOML parser holds
/// the whole document in memory.
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;
/// The most links read from one host's `ip -details -json link show` (the fleet audit's view of
/// a host without netvet). A large hypervisor has a few thousand (taps, VLANs on two trunks);
/// the namespace benchmark has 400. A longer list is refused whole (an error that says so),
/// not read into memory.
pub const MAX_LIVE_LINKS: usize = 16_384;

/// The most listening TCP sockets read from one host's `ss` listing. A busy host has dozens;
/// a prefork server sharing one socket among its workers is still one line. A longer listing
/// is refused whole (an error that says so).
pub const MAX_LIVE_LISTENERS: usize = 16_384;
/// The most hosts one inventory (`netvet audit -i`) defines. Fleets audited from one
/// inventory run to thousands of hosts; a range such as `web[0:99999999]` would otherwise make
/// a hundred million names. A larger inventory, or a range that would pass the bound, is
/// refused whole, with the line and the count: auditing part of a fleet without saying so
/// would look like a clean fleet.
///
/// The fuzzers (built with `cfg(fuzzing)`) lower this bound and the next to a hundredth: an
/// input that reaches 100,000 hosts takes milliseconds to expand and check, so the fuzzer would
/// spend its time there, and a lower bound makes the refusal itself easy to reach.
pub const MAX_INVENTORY_HOSTS: usize = if cfg!(fuzzing) { 1_000 } else { 100_000 };

/// The most entries netvet reads in one inventory: a host placed in a group, a group visited,
/// a YAML mapping pair read (a merge key's copies included). A real inventory has a few per
/// host; a YAML file of nested aliases ("billion laughs") names billions while being a few
/// hundred bytes. Past the bound the inventory is refused with the line it was reading.
pub const MAX_INVENTORY_ENTRIES: u64 = if cfg!(fuzzing) { 40_000 } else { 4_000_000 };

/// How deep inventory groups nest (`children` within `children`), and, twice that and a few
/// levels more, YAML itself. Real inventories nest three or four levels; a deeper one is
/// refused rather than followed, and a cycle of groups is refused as Ansible refuses it.
pub const MAX_GROUP_DEPTH: usize = 64;

/// One bound as the README lists it.
#[derive(Debug)]
pub struct Limit {
    /// The constant's name in this module.
    pub name: &'static str,
    /// How the README's "Limits" section says it, value included.
    pub readme: &'static str,
}

/// Every bound, as the README's "Limits" section lists them.
pub const LIMITS: &[Limit] = &[
    Limit {
        name: "MAX_FILE_BYTES",
        readme: "16 MiB per file, and on standard input",
    },
    Limit {
        name: "MAX_FILES",
        readme: "4,096 files per host",
    },
    Limit {
        name: "MAX_INCLUDE_DEPTH",
        readme: "`source` files nested 64 deep",
    },
    Limit {
        name: "MAX_NGINX_DEPTH",
        readme: "nginx blocks nested 64 deep",
    },
    Limit {
        name: "MAX_SYMLINKS",
        readme: "40 symbolic links per path",
    },
    Limit {
        name: "MODPROBE_UNREAD_MAX_BYTES",
        readme: "64 KiB of a modprobe.d file kmod skips",
    },
    Limit {
        name: "MODPROBE_UNREAD_MAX_ENTRIES",
        readme: "512 entries per modprobe.d directory",
    },
    Limit {
        name: "MAX_FINDINGS_PER_FILE",
        readme: "1,000 findings per file",
    },
    Limit {
        name: "MAX_INVENTORY_HOSTS",
        readme: "100,000 hosts in an inventory",
    },
    Limit {
        name: "MAX_INVENTORY_ENTRIES",
        readme: "4,000,000 entries in an inventory",
    },
    Limit {
        name: "MAX_GROUP_DEPTH",
        readme: "inventory groups nested 64 deep",
    },
    Limit {
        name: "MAX_FIX_ROUNDS",
        readme: "10 rounds of `netvet fix`",
    },
    Limit {
        name: "MAX_BUNDLE_ENTRIES",
        readme: "65,536 entries",
    },
    Limit {
        name: "MAX_BUNDLE_BYTES",
        readme: "128 MiB of files",
    },
    Limit {
        name: "MAX_ARCHIVE_BYTES",
        readme: "1 GiB of archive",
    },
    Limit {
        name: "MAX_AUDIT_HOST_BYTES",
        readme: "32 MiB from each host `netvet audit` reaches",
    },
    Limit {
        name: "MAX_SETTINGS_BYTES",
        readme: "1 MiB per settings file",
    },
    Limit {
        name: "MAX_LIVE_LINKS",
        readme: "16,384 links in one host's `ip` listing",
    },
    Limit {
        name: "MAX_LIVE_LISTENERS",
        readme: "16,384 listening sockets in one host's `ss` listing",
    },
];

/// A number as the README and messages write it: `4,096`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size as the README writes it: `16 MiB`, `64 KiB`.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// Each constant with its value as the README must spell it.
pub fn values() -> Vec<(&'static str, String)> {
    vec![
        ("MAX_FILE_BYTES", size(MAX_FILE_BYTES)),
        ("MAX_FILES", thousands(MAX_FILES as u64)),
        ("MAX_INCLUDE_DEPTH", thousands(MAX_INCLUDE_DEPTH as u64)),
        ("MAX_NGINX_DEPTH", thousands(MAX_NGINX_DEPTH as u64)),
        ("MAX_SYMLINKS", thousands(MAX_SYMLINKS as u64)),
        ("MODPROBE_UNREAD_MAX_BYTES", size(MODPROBE_UNREAD_MAX_BYTES)),
        (
            "MODPROBE_UNREAD_MAX_ENTRIES",
            thousands(MODPROBE_UNREAD_MAX_ENTRIES as u64),
        ),
        (
            "MAX_FINDINGS_PER_FILE",
            thousands(MAX_FINDINGS_PER_FILE as u64),
        ),
        ("MAX_INVENTORY_HOSTS", thousands(MAX_INVENTORY_HOSTS as u64)),
        ("MAX_INVENTORY_ENTRIES", thousands(MAX_INVENTORY_ENTRIES)),
        ("MAX_GROUP_DEPTH", thousands(MAX_GROUP_DEPTH as u64)),
        ("MAX_FIX_ROUNDS", thousands(MAX_FIX_ROUNDS as u64)),
        ("MAX_BUNDLE_ENTRIES", thousands(MAX_BUNDLE_ENTRIES as u64)),
        ("MAX_BUNDLE_BYTES", size(MAX_BUNDLE_BYTES)),
        ("MAX_ARCHIVE_BYTES", size(MAX_ARCHIVE_BYTES)),
        ("MAX_AUDIT_HOST_BYTES", size(MAX_AUDIT_HOST_BYTES)),
        ("MAX_SETTINGS_BYTES", size(MAX_SETTINGS_BYTES)),
        ("MAX_LIVE_LINKS", thousands(MAX_LIVE_LINKS as u64)),
        ("MAX_LIVE_LISTENERS", thousands(MAX_LIVE_LISTENERS as u64)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README phrases carry the constants' real values, and every constant has one.
    #[test]
    fn each_limit_is_listed_with_its_value() {
        let values = values();
        assert_eq!(values.len(), LIMITS.len());
        for (name, value) in values {
            let limit = LIMITS
                .iter()
                .find(|l| l.name == name)
                .unwrap_or_else(|| panic!("{name} is not in LIMITS"));
            assert!(
                limit.readme.starts_with(&value) || limit.readme.contains(&format!(" {value} ")),
                "{name}: `{}` does not say {value}",
                limit.readme
            );
        }
    }
}
