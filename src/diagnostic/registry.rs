//! The rule code table: one line per rule, with the severities findings take. Codes are part of
//! the interface and never reused. It sits below the diagnostics that name its codes, and the
//! rules reach it as `rules::registry`.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!(
                "unknown severity `{s}` (expected error, warning or info)"
            )),
        }
    }
}

/// Whether `netvet fix` can fix a rule's findings, and how safely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixKind {
    /// No automatic fix: the right change needs what only the operator knows (the rule's doc
    /// says why).
    None,
    /// The fixed file says what the host already runs with: nothing changes at the next boot.
    Safe,
    /// The fix changes what the host does at its next boot (`netvet fix --unsafe`).
    Unsafe,
    /// Some of its findings have a safe fix, others an unsafe one.
    Mixed,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::None => "-",
            FixKind::Safe => "safe",
            FixKind::Unsafe => "unsafe",
            FixKind::Mixed => "mixed",
        }
    }

    /// How the rule's doc says it, at the start of a line of its "How to fix" section.
    pub fn doc_phrase(self) -> &'static str {
        match self {
            FixKind::None => "No automatic fix:",
            FixKind::Safe => "`netvet fix` fixes it (safe):",
            FixKind::Unsafe => "`netvet fix --unsafe` fixes it (unsafe):",
            FixKind::Mixed => "`netvet fix` fixes it (safe or unsafe, by case):",
        }
    }
}

/// A rule's identity and documentation. The doc is `rules/CODE.md`, embedded in the binary.
#[derive(Clone, Copy, Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// The severities its findings take besides the default, where the case decides (NV101's
    /// miimon the kernel forces is a warning; a module parameter's NV110 too), and the only
    /// ones `netvet.toml`'s `[severity]` may set it to.
    pub other_severities: &'static [Severity],
    pub fix: FixKind,
    pub summary: &'static str,
    pub doc: &'static str,
}

impl RuleMeta {
    /// Every severity its findings can take, the default first.
    pub fn severities(&self) -> impl Iterator<Item = Severity> + '_ {
        std::iter::once(self.severity).chain(self.other_severities.iter().copied())
    }
}

/// Each rule is a constant named after its code (`registry::NV101`): a diagnostic is made from
/// one, so a code that is not in this table does not compile.
macro_rules! rules {
    ($($code:ident, $name:literal, $severity:ident, [$($other:ident),*], $fix:ident, $summary:literal;)*) => {
        $(
            pub const $code: &RuleMeta = &RuleMeta {
                code: stringify!($code),
                name: $name,
                severity: Severity::$severity,
                other_severities: &[$(Severity::$other),*],
                fix: FixKind::$fix,
                summary: $summary,
                doc: include_str!(concat!("../../rules/", stringify!($code), ".md")),
            };
        )*
        /// Every rule, in code order.
        pub const RULES: &[RuleMeta] = &[$(*$code),*];
    };
}

#[rustfmt::skip]
rules! {
    NV001, "syntax-error", Error, [], None, "Syntax error or unreadable file";
    NV002, "source-unresolved", Warning, [Error], None, "`source`/`source-directory` target missing, or an include cycle";
    NV003, "duplicate-stanza", Warning, [Error], None, "The same interface and address family is defined twice";
    NV004, "invalid-value", Error, [], Unsafe, "An option has a value the kernel or ifupdown will reject";
    NV005, "auto-without-iface", Error, [Warning], None, "`auto`/`allow-*` names an interface with no `iface` stanza";
    NV006, "stanza-refused", Error, [], None, "ifup refuses a stanza: a variable its method requires is missing";
    NV007, "unknown-option", Warning, [Info], None, "An option nothing reads: a typo, or one the stanza's method ignores";
    NV008, "bad-suppression", Warning, [], None, "A `netvet: ignore` comment with an unknown code, no reason, or nothing to silence";
    NV009, "findings-truncated", Warning, [Error, Info], None, "A file has more findings than netvet reports for one file; the rest are counted, not shown";
    NV101, "bond-no-link-monitoring", Error, [Warning, Info], Mixed, "Bond without link monitoring (no miimon, no arp_interval)";
    NV102, "arp-interval-without-target", Error, [], None, "`arp_interval` set without any `arp_ip_target`";
    NV103, "miimon-and-arp-interval", Warning, [], Safe, "Both `miimon` and `arp_interval` are set";
    NV104, "delay-not-multiple-of-miimon", Warning, [], Safe, "`updelay`/`downdelay` is not a multiple of `miimon`";
    NV105, "arp-monitor-unsupported-mode", Error, [], Safe, "ARP monitoring in a mode that does not support it";
    NV110, "lacp-rate-implicit", Info, [Warning], Safe, "802.3ad bond without an explicit `lacp_rate`";
    NV111, "lacp-hash-not-compliant", Info, [], None, "802.3ad with a `layer3+4`/`encap3+4` transmit hash";
    NV112, "min-links-unreachable", Error, [], None, "`min_links` is greater than the number of slaves";
    NV113, "option-ignored-by-mode", Warning, [], Safe, "A bond option that the bond's mode ignores";
    NV114, "bond-option-not-applied", Warning, [], Unsafe, "A `bond-*` option that ifenslave never applies";
    NV115, "bond-never-created", Error, [], None, "A bond stanza with neither `bond-slaves` nor `bond-mode`";
    NV116, "bond-without-slaves", Error, [], None, "A bond that `ifup -a` creates but that nothing gives a slave";
    NV117, "ifenslave-command-missing", Error, [], None, "A hook runs `ifenslave`, which Debian 12 does not ship";
    NV120, "slave-in-two-bonds", Error, [], None, "An interface is enslaved to two bonds";
    NV121, "slave-has-address", Warning, [], None, "A bond slave has its own address configuration";
    NV122, "slave-not-physical", Error, [], None, "`bond-slaves` names a virtual interface or one that belongs elsewhere";
    NV123, "bond-master-mismatch", Error, [], None, "`bond-master` on a slave disagrees with the bond's `bond-slaves`";
    NV124, "slave-never-enslaved", Error, [], None, "A slave with `bond-master` that `ifup -a` never brings up";
    NV130, "modprobe-contradicts-interfaces", Warning, [], None, "modprobe.d `options bonding` contradicts a bond's options";
    NV131, "bond-options-only-in-interfaces", Info, [], Unsafe, "The boot loads the bonding module before ifenslave, without miimon, and bond options are only in interfaces";
    NV132, "modprobe-misread", Warning, [], None, "A modprobe.d line or file that kmod reads differently from what was meant";
    NV201, "slave-mtu-differs", Warning, [], Mixed, "A bond slave's MTU differs from the bond's MTU";
    NV202, "vlan-mtu-exceeds-parent", Error, [Warning], Mixed, "A VLAN's MTU is greater than its parent's MTU";
    NV203, "bridge-mtu-exceeds-port", Warning, [], None, "A bridge's MTU is greater than a port's MTU";
    NV204, "hook-mtu-conflict", Warning, [Info], Safe, "An `ip link set ... mtu` hook contradicts or repeats `mtu`";
    NV205, "ipv6-mtu-too-small", Error, [Warning], Mixed, "IPv6 configured on an interface with MTU below 1280";
    NV206, "lower-device-mtu", Error, [Warning], None, "A macvlan, VXLAN, GRE or IPIP link's MTU exceeds what its lower device carries";
    NV301, "vlan-id-out-of-range", Error, [], None, "VLAN id outside 1..4094";
    NV302, "vlan-parent-undefined", Error, [], None, "A VLAN's parent interface is not defined";
    NV303, "vlan-name-mismatch", Error, [], Mixed, "Dotted VLAN name and `vlan-raw-device` disagree";
    NV304, "duplicate-vlan-id", Error, [], None, "The same VLAN id twice on one parent";
    NV305, "vlan-on-bond-slave", Error, [], None, "A VLAN on a bond slave instead of on the bond";
    NV401, "ipv4-refused", Warning, [], Unsafe, "An IPv6 wildcard listener is v6-only and nothing takes IPv4 on its port";
    NV402, "dual-bind-conflict", Error, [], Unsafe, "0.0.0.0:P and a dual-stack [::]:P for the same program: one bind fails";
    NV403, "bindv6only-live-drift", Warning, [], Unsafe, "Configured net.ipv6.bindv6only differs from the live value";
    NV404, "bindv6only-conflict", Warning, [], Safe, "Several sources set net.ipv6.bindv6only to different values";
    NV405, "listener-not-live", Warning, [Info], None, "A configured listener is not listening, or a live one is not configured";
    NV406, "port-conflict", Error, [], None, "Two programs are configured on the same address and port: one fails to bind";
    NV501, "live-no-link-monitoring", Error, [], None, "A live bond runs with miimon 0 and arp_interval 0";
    NV502, "live-bond-option-drift", Warning, [], None, "A live bond option differs from the configuration";
    NV503, "live-slave-drift", Error, [Warning], None, "A configured slave is not enslaved, or a live slave is not configured";
    NV504, "live-mtu-drift", Warning, [], None, "A live MTU differs from the configured MTU";
    NV505, "live-lacp-unhealthy", Error, [], None, "802.3ad: split aggregators, no LACP partner, or fewer ports than min_links";
    NV506, "live-lacp-slave-mismatch", Warning, [], None, "802.3ad slaves differ in speed or duplex, or a slave's link is down";
    NV507, "live-auto-link-missing", Error, [], None, "An `auto` interface does not exist or is administratively down";
    NV508, "live-vlan-drift", Error, [], None, "A live VLAN's id or parent differs from the configuration";
    NV601, "policy-mtu", Error, [Warning, Info], None, "A link's MTU after `ifup -a` is not the one the site policy requires";
    NV602, "policy-bond-mode", Error, [Warning, Info], None, "A bond runs in a mode the site policy does not allow";
    NV603, "policy-lacp-rate", Error, [Warning, Info], None, "An 802.3ad bond runs with another `lacp_rate` than the site policy requires";
}

/// The rule with this code, or with this name.
pub fn lookup(code_or_name: &str) -> Option<&'static RuleMeta> {
    RULES.iter().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}
