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

/// A rule's identity and documentation. The doc is `rules/CODE.md`, embedded in the binary.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: &'static str,
}

macro_rules! rule {
    ($code:literal, $name:literal, $severity:ident, $summary:literal) => {
        RuleMeta {
            code: $code,
            name: $name,
            severity: Severity::$severity,
            summary: $summary,
            doc: include_str!(concat!("../../rules/", $code, ".md")),
        }
    };
}

#[rustfmt::skip]
pub static RULES: &[RuleMeta] = &[
    rule!("NV001", "syntax-error", Error, "Syntax error or unreadable file"),
    rule!("NV002", "source-unresolved", Warning, "`source`/`source-directory` target missing, or an include cycle"),
    rule!("NV003", "duplicate-stanza", Warning, "The same interface and address family is defined twice"),
    rule!("NV004", "invalid-value", Error, "An option has a value the kernel or ifupdown will reject"),
    rule!("NV005", "auto-without-iface", Error, "`auto`/`allow-*` names an interface with no `iface` stanza"),
    rule!("NV006", "stanza-refused", Error, "ifup refuses a stanza: a variable its method requires is missing"),
    rule!("NV007", "unknown-option", Warning, "An option nothing reads: a typo, or one the stanza's method ignores"),
    rule!("NV008", "bad-suppression", Warning, "A `netvet: ignore` comment with an unknown code, no reason, or nothing to silence"),
    rule!("NV009", "findings-truncated", Warning, "A file has more findings than netvet reports for one file; the rest are counted, not shown"),
    rule!("NV101", "bond-no-link-monitoring", Error, "Bond without link monitoring (no miimon, no arp_interval)"),
    rule!("NV102", "arp-interval-without-target", Error, "`arp_interval` set without any `arp_ip_target`"),
    rule!("NV103", "miimon-and-arp-interval", Warning, "Both `miimon` and `arp_interval` are set"),
    rule!("NV104", "delay-not-multiple-of-miimon", Warning, "`updelay`/`downdelay` is not a multiple of `miimon`"),
    rule!("NV105", "arp-monitor-unsupported-mode", Error, "ARP monitoring in a mode that does not support it"),
    rule!("NV110", "lacp-rate-implicit", Info, "802.3ad bond without an explicit `lacp_rate`"),
    rule!("NV111", "lacp-hash-not-compliant", Info, "802.3ad with a `layer3+4`/`encap3+4` transmit hash"),
    rule!("NV112", "min-links-unreachable", Error, "`min_links` is greater than the number of slaves"),
    rule!("NV113", "option-ignored-by-mode", Warning, "A bond option that the bond's mode ignores"),
    rule!("NV114", "bond-option-not-applied", Warning, "A `bond-*` option that ifenslave never applies"),
    rule!("NV115", "bond-never-created", Error, "A bond stanza with neither `bond-slaves` nor `bond-mode`"),
    rule!("NV116", "bond-without-slaves", Error, "A bond that `ifup -a` creates but that nothing gives a slave"),
    rule!("NV117", "ifenslave-command-missing", Error, "A hook runs `ifenslave`, which Debian 12 does not ship"),
    rule!("NV120", "slave-in-two-bonds", Error, "An interface is enslaved to two bonds"),
    rule!("NV121", "slave-has-address", Warning, "A bond slave has its own address configuration"),
    rule!("NV122", "slave-not-physical", Error, "`bond-slaves` names a virtual interface or one that belongs elsewhere"),
    rule!("NV123", "bond-master-mismatch", Error, "`bond-master` on a slave disagrees with the bond's `bond-slaves`"),
    rule!("NV124", "slave-never-enslaved", Error, "A slave with `bond-master` that `ifup -a` never brings up"),
    rule!("NV130", "modprobe-contradicts-interfaces", Warning, "modprobe.d `options bonding` contradicts a bond's options"),
    rule!("NV131", "bond-options-only-in-interfaces", Info, "The boot loads the bonding module before ifenslave, without miimon, and bond options are only in interfaces"),
    rule!("NV132", "modprobe-misread", Warning, "A modprobe.d line or file that kmod reads differently from what was meant"),
    rule!("NV201", "slave-mtu-differs", Warning, "A bond slave's MTU differs from the bond's MTU"),
    rule!("NV202", "vlan-mtu-exceeds-parent", Error, "A VLAN's MTU is greater than its parent's MTU"),
    rule!("NV203", "bridge-mtu-exceeds-port", Warning, "A bridge's MTU is greater than a port's MTU"),
    rule!("NV204", "hook-mtu-conflict", Warning, "An `ip link set ... mtu` hook contradicts or repeats `mtu`"),
    rule!("NV205", "ipv6-mtu-too-small", Error, "IPv6 configured on an interface with MTU below 1280"),
    rule!("NV301", "vlan-id-out-of-range", Error, "VLAN id outside 1..4094"),
    rule!("NV302", "vlan-parent-undefined", Error, "A VLAN's parent interface is not defined"),
    rule!("NV303", "vlan-name-mismatch", Error, "Dotted VLAN name and `vlan-raw-device` disagree"),
    rule!("NV304", "duplicate-vlan-id", Error, "The same VLAN id twice on one parent"),
    rule!("NV305", "vlan-on-bond-slave", Error, "A VLAN on a bond slave instead of on the bond"),
    rule!("NV401", "ipv4-refused", Warning, "An IPv6 wildcard listener is v6-only and nothing takes IPv4 on its port"),
    rule!("NV402", "dual-bind-conflict", Error, "0.0.0.0:P and a dual-stack [::]:P for the same program: one bind fails"),
    rule!("NV403", "bindv6only-live-drift", Warning, "Configured net.ipv6.bindv6only differs from the live value"),
    rule!("NV404", "bindv6only-conflict", Warning, "Several sources set net.ipv6.bindv6only to different values"),
    rule!("NV405", "listener-not-live", Warning, "A configured listener is not listening, or a live one is not configured"),
    rule!("NV406", "port-conflict", Error, "Two programs are configured on the same address and port: one fails to bind"),
    rule!("NV501", "live-no-link-monitoring", Error, "A live bond runs with miimon 0 and arp_interval 0"),
    rule!("NV502", "live-bond-option-drift", Warning, "A live bond option differs from the configuration"),
    rule!("NV503", "live-slave-drift", Error, "A configured slave is not enslaved, or a live slave is not configured"),
    rule!("NV504", "live-mtu-drift", Warning, "A live MTU differs from the configured MTU"),
    rule!("NV505", "live-lacp-unhealthy", Error, "802.3ad: split aggregators, no LACP partner, or fewer ports than min_links"),
    rule!("NV506", "live-lacp-slave-mismatch", Warning, "802.3ad slaves differ in speed or duplex, or a slave's link is down"),
    rule!("NV507", "live-auto-link-missing", Error, "An `auto` interface does not exist or is administratively down"),
    rule!("NV508", "live-vlan-drift", Error, "A live VLAN's id or parent differs from the configuration"),
];

/// The rule with this code, or with this name.
pub fn lookup(code_or_name: &str) -> Option<&'static RuleMeta> {
    RULES.iter().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}
