//! What ifupdown's methods read and require, and which other option names something reads.
//!
//! The facts come from ifupdown 0.8.41's method definitions (`inet.defn`, `inet6.defn`,
//! `can.defn`, `ipx.defn`, `meta.defn`, `link.defn`, Linux architecture), and from the hooks
//! other Debian packages install in `/etc/network/if-*.d`.
//!
//! How ifupdown checks a method (`execute.c`): before the `pre-up` phase, `ifup` expands every
//! command of the method's `up` section whose condition holds, without running it. A `%var%`
//! outside `[[ ]]` that the stanza does not set (or sets to nothing) fails the expansion:
//! ifup prints "missing required variable: VAR" and "missing required configuration variables
//! for interface IF/FAMILY", runs no hook and no command for that stanza, and stops configuring
//! the interface (later stanzas of the same interface are not tried either). The `*required*`
//! marks in the documentation are not what counts: `inet tunnel` also needs `netmask`, and
//! `inet6 v4tunnel` does not need the `address` it documents as required. [`Method::required`]
//! lists what the expansion needs.
//!
//! A method reads its variables by exact name (`%hwaddress%`); hooks read the environment,
//! where ifupdown upper-cases the name and turns `-` into `_` (`bond-mode` and `bond_mode`
//! both become `IF_BOND_MODE`).

/// One method of one address family.
#[derive(Debug)]
pub struct Method {
    pub family: &'static str,
    pub name: &'static str,
    /// Variables the method's `up` commands cannot do without: ifup refuses the stanza when one
    /// is missing.
    pub required: &'static [&'static str],
    /// Options the method's commands, conversions and helper scripts read (exact names).
    pub options: &'static [&'static str],
}

macro_rules! method {
    ($family:literal, $name:literal, [$($req:literal),*], [$($opt:literal),*]) => {
        Method { family: $family, name: $name, required: &[$($req),*], options: &[$($opt),*] }
    };
}

/// Every method ifupdown 0.8.41 knows on Linux, in the `.defn` files' order.
#[rustfmt::skip]
pub static METHODS: &[Method] = &[
    method!("inet", "loopback", [], []),
    method!("inet", "static", ["address"], ["address", "netmask", "broadcast", "metric", "gateway", "pointopoint", "hwaddress", "mtu", "scope"]),
    method!("inet", "manual", [], ["hwaddress", "mtu"]),
    method!("inet", "dhcp", [], ["hostname", "metric", "leasetime", "vendor", "client", "hwaddress"]),
    method!("inet", "bootp", [], ["bootfile", "server", "hwaddr"]),
    // `ip addr add %address%/%netmask%` with no conversion: netmask is required too.
    method!("inet", "tunnel", ["address", "netmask", "mode", "endpoint"], ["address", "netmask", "mode", "endpoint", "dstaddr", "local", "metric", "gateway", "ttl", "mtu"]),
    method!("inet", "ppp", [], ["provider", "unit", "options"]),
    method!("inet", "wvdial", [], ["provider"]),
    method!("inet", "ipv4ll", [], []),
    method!("inet6", "auto", [], ["privext", "accept_ra", "dhcp", "request_prefix", "ll-attempts", "ll-interval"]),
    method!("inet6", "loopback", [], []),
    method!("inet6", "static", ["address"], ["address", "netmask", "metric", "gateway", "media", "hwaddress", "mtu", "accept_ra", "autoconf", "privext", "scope", "preferred-lifetime", "dad-attempts", "dad-interval"]),
    method!("inet6", "manual", [], ["hwaddress", "mtu"]),
    method!("inet6", "dhcp", [], ["hwaddress", "accept_ra", "autoconf", "request_prefix", "ll-attempts", "ll-interval"]),
    method!("inet6", "tunnel", ["mode", "endpoint"], ["address", "netmask", "mode", "endpoint", "dstaddr", "local", "metric", "gateway", "ttl", "mtu", "encaplimit"]),
    // The address is inside `[[ ]]`: documented as required, but ifup goes on without it.
    method!("inet6", "v4tunnel", ["endpoint"], ["address", "netmask", "endpoint", "local", "metric", "gateway", "ttl", "mtu", "preferred-lifetime"]),
    method!("inet6", "6to4", ["local"], ["local", "metric", "ttl", "mtu", "preferred-lifetime"]),
    method!("ipx", "static", ["frame", "netnum"], ["frame", "netnum"]),
    method!("ipx", "dynamic", ["frame"], ["frame"]),
    method!("can", "static", ["bitrate"], ["bitrate", "samplepoint", "loopback", "listenonly", "triple", "oneshot", "berr", "restart-ms"]),
    method!("meta", "none", [], []),
];

/// Options ifupdown itself reads in every stanza: the command options (`post-up` is stored as
/// `up`, `pre-down` as `down`) and `link.defn`'s `description`.
pub const CORE_OPTIONS: &[&str] = &[
    "pre-up",
    "up",
    "post-up",
    "down",
    "pre-down",
    "post-down",
    "description",
];

/// Hooks other packages install, by the environment names they read (`IF_` left off). A name
/// ending in `_` is a prefix: the package reads a family of options, and netvet does not list
/// every one, so it never calls such an option unknown.
pub const HOOK_OPTIONS: &[(&str, &str)] = &[
    ("BOND_", "ifenslave"),
    ("SLAVES", "ifenslave (the old name of bond-slaves)"),
    ("BRIDGE_", "bridge-utils"),
    ("VLAN_", "vlan"),
    ("DNS_", "resolvconf"),
    ("WPA_", "wpasupplicant"),
    ("WIRELESS_", "wireless-tools"),
    ("ETHERNET_", "ethtool"),
    ("LINK_", "ethtool"),
    ("OFFLOAD_", "ethtool"),
    ("HARDWARE_", "ethtool"),
    ("OVS_", "openvswitch-switch"),
    ("METRIC", "ifmetric"),
    ("HOSTAPD", "hostapd"),
    ("VDE2_", "vde2"),
];

/// The `IF_BOND_*` variables ifenslave 2.13's hooks read that are not bonding driver options.
const IFENSLAVE_VARIABLES: &[&str] = &[
    "MASTER",
    "SLAVES",
    "GIVE_A_CHANCE",
    "QUEUE_ID",
    "ACTIVE_SLAVE",
];

/// Names offered as "did you mean": the common spelling of each option hooks read.
const HOOK_SPELLINGS: &[&str] = &[
    "bond-slaves",
    "bond-master",
    "bond-give-a-chance",
    "bond-queue-id",
    "bond-active-slave",
    "bridge_ports",
    "bridge_stp",
    "bridge_fd",
    "bridge_hello",
    "bridge_maxage",
    "bridge_ageing",
    "bridge_bridgeprio",
    "bridge_portprio",
    "bridge_pathcost",
    "bridge_maxwait",
    "bridge_waitport",
    "bridge_hw",
    "vlan-raw-device",
    "dns-nameservers",
    "dns-search",
    "dns-domain",
    "dns-sortlist",
    "dns-options",
    "wpa-ssid",
    "wpa-psk",
    "wpa-conf",
    "wpa-roam",
    "wpa-driver",
    "wireless-essid",
    "wireless-mode",
    "wireless-key",
    "link-speed",
    "link-duplex",
    "ethernet-autoneg",
    "ovs_type",
    "ovs_bridge",
    "ovs_ports",
    "ovs_options",
];

/// The method `name` of `family`.
pub fn method(family: &str, name: &str) -> Option<&'static Method> {
    METHODS
        .iter()
        .find(|m| m.family == family && m.name == name)
}

/// The methods of `family`, in ifupdown's order.
pub fn methods_of(family: &str) -> impl Iterator<Item = &'static Method> + '_ {
    METHODS.iter().filter(move |m| m.family == family)
}

pub fn is_known_family(family: &str) -> bool {
    METHODS.iter().any(|m| m.family == family)
}

/// The name as a hook sees it in its environment, without `IF_`: upper case, `-` as `_`, other
/// characters dropped (ifupdown's `setlocalenv`).
pub fn env_name(option: &str) -> String {
    option
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The package whose hook reads this option, if any.
pub fn hook_reading(option: &str) -> Option<&'static str> {
    let env = env_name(option);
    // ifenslave reads a known list, and every other bonding driver option is NV114's (known,
    // never applied): any other `bond-*` is read by nothing, most often a typo.
    if let Some(rest) = env.strip_prefix("BOND_") {
        let known = IFENSLAVE_VARIABLES.contains(&rest)
            || crate::bonding::OPTIONS
                .iter()
                .any(|o| o.key.eq_ignore_ascii_case(rest));
        return known.then_some("ifenslave");
    }
    HOOK_OPTIONS
        .iter()
        .find(|(name, _)| {
            if name.ends_with('_') {
                env.starts_with(name) && env.len() > name.len()
            } else {
                env == *name
            }
        })
        .map(|(_, package)| *package)
}

/// Who reads `option` in a stanza of `family`/`method`: `None` when nothing does.
pub fn reader(family: &str, method_name: &str, option: &str) -> Option<&'static str> {
    if CORE_OPTIONS.contains(&option) {
        return Some("ifupdown");
    }
    if method(family, method_name).is_some_and(|m| m.options.contains(&option)) {
        return Some("the method");
    }
    hook_reading(option)
}

/// Every name worth suggesting for a misspelt option: ifupdown's own, every method's, and the
/// common hook options (with the bonding driver's options as `bond-*`).
pub fn known_option_names() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = CORE_OPTIONS.iter().map(|s| (*s).to_string()).collect();
        for m in METHODS {
            names.extend(m.options.iter().map(|s| (*s).to_string()));
        }
        names.extend(HOOK_SPELLINGS.iter().map(|s| (*s).to_string()));
        names.extend(
            crate::bonding::OPTIONS
                .iter()
                .map(|o| format!("bond-{}", o.key.replace('_', "-"))),
        );
        names.sort();
        names.dedup();
        names
    })
}

/// ifupdown 0.7 read these; 0.8 computes them (or never used them) and reads them no more.
/// Writing one is harmless.
pub const OBSOLETE: &[&str] = &["network"];

/// Optimal string alignment distance (Levenshtein with transpositions of adjacent characters).
///
/// Three rows of the table at a time: the cost is the product of the lengths, the memory their
/// sum.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    Rows::default()
        .within(&a, &b, usize::MAX)
        .expect("every distance is within usize::MAX")
}

/// Rows i-2, i-1 and i of an edit-distance table, kept between comparisons: comparing a word
/// with a list of names allocates them once, not three times per name.
#[derive(Default)]
struct Rows {
    before: Vec<usize>,
    last: Vec<usize>,
    row: Vec<usize>,
}

impl Rows {
    /// The optimal string alignment distance between `a` and `b` when it is at most `limit`.
    ///
    /// Only the band of cells within `limit` of the diagonal is computed: cell (i, j) is at
    /// least |i - j|, so no alignment that costs `limit` or less leaves the band, and the cells
    /// next to it stand for "past the limit". A row costs `2 * limit + 1` cells, not the length
    /// of `b`.
    ///
    /// `None` as soon as no alignment can cost `limit` or less, which is once a row's minimum
    /// is past it: a cell is at least the smaller of the row above's minimum and (through a
    /// transposition) the row two above's plus one, and a row's minimum is at most the one
    /// above's plus one, so the row above was at the limit or past it and no later cell comes
    /// back. A word far from a name costs a few rows, not the table.
    fn within(&mut self, a: &[char], b: &[char], limit: usize) -> Option<usize> {
        let n = b.len();
        // No distance is more than the longer length, and `past` must not overflow.
        let limit = limit.min(a.len().max(n));
        if a.len().abs_diff(n) > limit {
            return None;
        }
        let past = limit + 1;
        self.before.clear();
        self.before.resize(n + 1, past);
        self.last.clear();
        self.last.extend((0..=n).map(|j| j.min(past)));
        self.row.clear();
        self.row.resize(n + 1, past);
        for i in 1..=a.len() {
            let (lo, hi) = (i.saturating_sub(limit).max(1), (i + limit).min(n));
            // The cell left of the band (column 0 while the band touches it). The band only moves
            // right, so the cells right of it were never written and are still `past`.
            self.row[lo - 1] = if lo == 1 { i.min(past) } else { past };
            let mut min = self.row[lo - 1];
            for j in lo..=hi {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (self.last[j] + 1)
                    .min(self.row[j - 1] + 1)
                    .min(self.last[j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(self.before[j - 2] + 1);
                }
                self.row[j] = best;
                min = min.min(best);
            }
            if min > limit {
                return None;
            }
            std::mem::swap(&mut self.before, &mut self.last);
            std::mem::swap(&mut self.last, &mut self.row);
        }
        Some(self.last[n]).filter(|d| *d <= limit)
    }
}

/// The candidate nearest to `word`, when it is near enough to be a typo: one edit for short
/// names, two up to ten characters, three beyond. Case is ignored; of equally near candidates,
/// the first.
///
/// A candidate whose length differs from the word's by more than that bound cannot be near
/// enough and is not compared, so a hostile word of megabytes costs one count of its
/// characters, not a table per candidate. Once a candidate is found, the bound tightens to
/// beat it, and comparisons stop as soon as a candidate is out of reach (`Rows::within`):
/// a garbage file's hundreds of unknown words are checked against every option name.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let len = word.chars().count();
    let mut limit = match len {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    let mut lowered: Option<Vec<char>> = None;
    let mut name = Vec::new();
    let mut rows = Rows::default();
    let mut nearest = None;
    for c in candidates {
        if c.chars().count().abs_diff(len) > limit {
            continue;
        }
        let word =
            lowered.get_or_insert_with(|| word.chars().map(|c| c.to_ascii_lowercase()).collect());
        name.clear();
        name.extend(c.chars().map(|c| c.to_ascii_lowercase()));
        match rows.within(word, &name, limit) {
            // The word itself, written in another case: not a typo of it.
            None | Some(0) => {}
            Some(1) => return Some(c),
            Some(d) => {
                nearest = Some(c);
                limit = d - 1;
            }
        }
    }
    nearest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_requires_only_what_it_reads() {
        for m in METHODS {
            for r in m.required {
                assert!(m.options.contains(r), "{}/{}: {r}", m.family, m.name);
            }
        }
    }

    #[test]
    fn typos_find_their_option() {
        let names = known_option_names().iter().map(String::as_str);
        assert_eq!(did_you_mean("adress", names.clone()), Some("address"));
        assert_eq!(
            did_you_mean("bound_updelay", names.clone()),
            Some("bond-updelay")
        );
        assert_eq!(did_you_mean("netmaks", names.clone()), Some("netmask"));
        assert_eq!(did_you_mean("post_up", names.clone()), Some("post-up"));
        assert_eq!(did_you_mean("frobnicate", names), None);
        // Of equally near candidates, the first.
        assert_eq!(did_you_mean("abcdef", ["abcdxy", "abcdzw"]), Some("abcdxy"));
        assert_eq!(
            did_you_mean("staticc", methods_of("inet").map(|m| m.name)),
            Some("static")
        );
    }

    #[test]
    fn edit_distance_is_optimal_string_alignment() {
        let cases = [
            ("", "", 0),
            ("", "abc", 3),
            ("abc", "", 3),
            ("kitten", "sitting", 3),
            ("abcd", "acbd", 1),
            // OSA, not Damerau: no edit of a transposed pair.
            ("ca", "abc", 3),
            ("bondig", "bonding", 1),
            ("bnoding", "bonding", 1),
            ("mïimon", "miimon", 1),
        ];
        for (a, b, d) in cases {
            assert_eq!(edit_distance(a, b), d, "{a:?} {b:?}");
            assert_eq!(edit_distance(b, a), d, "{b:?} {a:?}");
        }
    }

    /// Optimal string alignment by its definition: the whole table.
    fn table_distance(a: &[char], b: &[char]) -> usize {
        let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        d[0] = (0..=b.len()).collect();
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    /// The bounded comparison agrees with the whole table: the distance when it is within the
    /// bound, nothing when it is not, for every bound (and the unbounded one).
    #[test]
    fn a_bounded_distance_is_the_distance_or_nothing() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "ca",
            "kitten",
            "sitting",
            "bonding",
            "bnoding",
            "bond-miimon",
            "bond_miimon",
            "miimon",
            "mïimon",
            "address",
            "adress",
            "xyzzy",
            "bond-xmit-hash-policy",
            "xmit_hash_policy",
            "bond-xmit-hash-polciy",
            "aaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaab",
        ];
        let mut rows = Rows::default();
        let mut compared = 0;
        for a in words {
            for b in words {
                let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let d = table_distance(&x, &y);
                assert_eq!(edit_distance(a, b), d, "{a:?} {b:?}");
                for limit in (0..=12).chain([usize::MAX]) {
                    assert_eq!(
                        rows.within(&x, &y, limit),
                        (d <= limit).then_some(d),
                        "{a:?} {b:?} within {limit}"
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, words.len() * words.len() * 14);
    }

    /// `did_you_mean` against its definition (the nearest candidate at a non-zero distance
    /// within the bound, the first of equals, by the whole table) on typos of every option
    /// name: its first, middle or last letter dropped, doubled, changed or swapped with the next.
    #[test]
    fn did_you_mean_picks_what_the_whole_table_picks() {
        fn reference<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
            let limit = match word.chars().count() {
                0..=4 => 1,
                5..=10 => 2,
                _ => 3,
            };
            candidates
                .iter()
                .map(|c| {
                    let lower = |s: &str| s.to_ascii_lowercase().chars().collect::<Vec<_>>();
                    let d = table_distance(&lower(word), &lower(c));
                    (d, *c)
                })
                .filter(|(d, _)| *d > 0 && *d <= limit)
                .min_by_key(|(d, _)| *d)
                .map(|(_, c)| c)
        }
        let names: Vec<&str> = known_option_names().iter().map(String::as_str).collect();
        let mut typos = Vec::new();
        for name in &names {
            let chars: Vec<char> = name.chars().collect();
            for i in [0, chars.len() / 2, chars.len() - 1] {
                let mut dropped = chars.clone();
                dropped.remove(i);
                let mut doubled = chars.clone();
                doubled.insert(i, chars[i]);
                let mut changed = chars.clone();
                changed[i] = 'q';
                typos.extend([dropped, doubled, changed]);
                if i + 1 < chars.len() {
                    let mut swapped = chars.clone();
                    swapped.swap(i, i + 1);
                    typos.push(swapped);
                }
            }
            typos.push(name.to_uppercase().chars().collect());
        }
        assert!(typos.len() > 1000, "{} typos", typos.len());
        let mut suggested = 0;
        for typo in typos {
            let typo: String = typo.into_iter().collect();
            let got = did_you_mean(&typo, names.iter().copied());
            assert_eq!(got, reference(&typo, &names), "{typo:?}");
            suggested += usize::from(got.is_some());
        }
        assert!(suggested > 1000, "{suggested} suggestions");
    }

    #[test]
    fn a_word_far_longer_than_every_name_suggests_nothing() {
        let word = "a".repeat(1 << 20);
        assert_eq!(
            did_you_mean(&word, known_option_names().iter().map(String::as_str)),
            None
        );
    }

    #[test]
    fn hooks_read_by_environment_name() {
        assert_eq!(hook_reading("bond_miimon"), Some("ifenslave"));
        assert_eq!(hook_reading("bridge-ports"), Some("bridge-utils"));
        assert_eq!(hook_reading("bond"), None);
        assert_eq!(hook_reading("bond-give-a-chance"), Some("ifenslave"));
        assert_eq!(hook_reading("bond-min-links"), Some("ifenslave"));
        assert_eq!(hook_reading("bond-mimon"), None);
        assert_eq!(hook_reading("bond-lacp-rates"), None);
        assert_eq!(reader("inet", "dhcp", "address"), None);
        assert_eq!(reader("inet", "static", "address"), Some("the method"));
        assert_eq!(reader("inet", "dhcp", "post-down"), Some("ifupdown"));
    }
}
