//! Command-line definitions: the single source for `--help`, the man page and completions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "netvet",
    version,
    about = "Validate Linux network configuration: ifupdown, bonding, MTU and VLANs",
    long_about = "netvet reads Debian ifupdown's /etc/network/interfaces (with source and \
                  source-directory), /etc/modprobe.d and sysctl.d, and reports configurations \
                  that look right and are not: bonds without link monitoring, slave MTUs the \
                  bond does not run with, VLANs larger than their parent, contradictory 802.3ad settings.",
    after_help = "Exit status: 0 no findings at or above --fail-on, 1 findings, 2 usage or I/O error.",
    // `netvet COMMAND --help` is the one way: clap's `help` subcommand would be listed in the
    // man page as a netvet-help(1) that does not exist.
    disable_help_subcommand = true
)]
pub struct Cli {
    /// When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `netvet check --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style text with the source line and a caret.
    Human,
    /// One JSON document (schema: docs/json-schema.md).
    Json,
    /// One JSON object per finding per line, the objects of the JSON document's `findings`.
    JsonLines,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: an annotation per finding.
    Github,
    /// JUnit XML: a testsuite per target, a testcase per rule and file, failing at --fail-on.
    Junit,
}

/// `netvet live --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LiveFormat {
    /// Tables: one line per link (kind, state, MTU, master, speed), the listening sockets, then
    /// each bond's settings and slaves.
    Human,
    /// One JSON document (schema: docs/live-schema.md), the snapshot `check --live-snapshot` reads.
    Json,
}

/// `netvet listeners --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListenersFormat {
    /// A table: port, address, which clients it reaches, IPV6_V6ONLY, where it comes from.
    Human,
    /// A JSON array, one object per listener: port, address, v4, v6, v6only, source, program.
    Json,
}

/// `netvet rules --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// One line per rule: code, severity, fix (safe, unsafe, mixed or -), name, summary.
    Human,
    /// A JSON array, one object per rule: code, name, severity (the default), severities (all
    /// it can take), fix (none, safe, unsafe or mixed), summary.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    /// Always exit 0 unless netvet itself failed.
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check configuration files and report findings.
    ///
    /// With no PATH, checks the running system's /etc. A directory is read as the root of a
    /// host tree (etc/network/interfaces, etc/modprobe.d, etc/sysctl.d ...). A file inside such
    /// a tree, one whose path goes through a directory named `etc`, is checked with its whole
    /// host: hosts/web1/etc/modprobe.d/bonding.conf checks hosts/web1 (the directory holding
    /// the nearest `etc`), since a bonding option means something only with the interfaces
    /// that use it. Each host is checked once however many of its files are named, so a
    /// pre-commit hook can pass every changed file. Any other file is read as an interfaces
    /// file (with what it sources); a file ending in `.tar` is read as a host tree, from
    /// memory (`tar -C / -cf host.tar etc` on the host; links inside it are resolved inside
    /// the archive). A snapshot written by `netvet snapshot` is checked with --snapshot FILE.
    /// Settings (rules, severities, per-path ignores, fail-on, the site policy) come from the
    /// nearest netvet.toml upward from what is checked, one file per run; --show-settings
    /// prints them.
    Check(CheckArgs),
    /// Rewrite configuration files so that findings go away: the smallest edit, verified
    /// before it is written, written atomically.
    ///
    /// Applies the safe fixes (the file then says what the host already runs with: nothing
    /// changes at the next boot); --unsafe also applies those that change what the host does
    /// at its next boot (adding link monitoring, changing an MTU). Each round of fixes is
    /// checked again before anything is written: a fix whose result does not parse, defines
    /// other interfaces, still has its finding or brings a new warning or error is not applied,
    /// and the run says why. Comments, blank lines, indentation and everything not fixed stay
    /// byte for byte. A file is replaced through a hidden temporary file beside it (synced,
    /// owner, mode and extended attributes kept, renamed into place); the old one is kept
    /// under /var/backups/netvet in the root (or --backup-dir). `netvet rules` shows which
    /// rules have a fix and of which kind.
    Fix(FixArgs),
    /// Put the running kernel back in line with the configuration, through netlink.
    ///
    /// Compares the configuration's expected state with the live kernel (the NV5xx findings)
    /// and prints the plan, one line per action in order, with what it sets and why; without
    /// --apply nothing changes. With --apply each action is made through netlink and read back;
    /// when one fails, the ones already made are undone in reverse order and read back.
    /// Bond options a running bond takes (miimon, delays, ARP monitoring, min_links,
    /// xmit_hash_policy ...), slaves left out of their bond, MTUs (parents before children
    /// when raising, children first when lowering) and `auto` links that are down are repaired;
    /// options the kernel takes only with the bond down or without slaves (mode, lacp_rate,
    /// ad_select ...) are planned step by step but wait for --allow-link-down, and so does
    /// anything that would take down a link carrying a default route, this SSH session or an
    /// established TCP connection. Exit status: 0 the live state matches (or, without --apply,
    /// nothing to do), 1 drifts remain (the plan, or steps waiting for --allow-link-down), 2
    /// usage or I/O error, 3 an action failed and everything was rolled back, 4 an action
    /// failed and the rollback did not complete (what is left is printed). Under systemd each
    /// line carries its syslog priority. NETVET_FAILPOINT=repair-step:N makes the N-th action
    /// fail as if the kernel refused it (a test aid). At boot, netvet-repair.service (installed
    /// by the package, not enabled: `systemctl enable netvet-repair`) runs `netvet repair
    /// --apply` after networking.service and before network-online.target; a repair that
    /// cannot complete is logged and never fails the boot (`journalctl -u netvet-repair`).
    Repair(RepairArgs),
    /// Check many hosts over SSH, agentless: each host's files and live state, one report.
    ///
    /// Each host gets one SSH connection (the system's OpenSSH client, with the user's
    /// configuration: ~/.ssh/config or -F, the agent, known_hosts) running one constant,
    /// read-only command: a POSIX shell script that prints the live state (`ip -details -json
    /// link show`, `ss`, the IPv6 sysctls) and a tar archive of the configuration directories
    /// netvet reads; or, with --remote-netvet PATH, `PATH snapshot` with the netvet installed
    /// there. The answer is checked on this machine exactly as `netvet check --snapshot`
    /// checks a snapshot. Host keys are always checked (StrictHostKeyChecking=yes, whatever
    /// the configuration says) and nothing waits on a password (BatchMode=yes). Each host ends
    /// with a status: ok, unreachable, timeout, auth-failed, host-key-mismatch, bad-response,
    /// too-large or inventory-error (not contacted); none of them stops the run. Exit status: 0 every host audited and clean,
    /// 1 findings at or above --fail-on, 3 at least one host could not be audited, 2 usage
    /// error.
    Audit(AuditArgs),
    /// Show the running kernel's network state as netvet sees it (links, bonds, slaves,
    /// VLANs, bridges, the IPv6 sysctls), read through netlink in the current network namespace.
    Live {
        #[arg(long, value_enum, default_value_t = LiveFormat::Human)]
        format: LiveFormat,
        /// Also write the raw netlink link dump (hex, one message a line) to FILE, for bug
        /// reports and test fixtures.
        #[arg(long, value_name = "FILE")]
        save_netlink: Option<PathBuf>,
    },
    /// Show the listening TCP sockets (sock_diag): which ports IPv4 and IPv6 clients can reach,
    /// each IPv6 socket's IPV6_V6ONLY, and the owning program where /proc shows it.
    ///
    /// Configured listeners come from the nginx, sshd and systemd socket configuration under
    /// --root (default /); live ones from the kernel, unless --root is given.
    Listeners {
        #[arg(long, value_enum, default_value_t = ListenersFormat::Human)]
        format: ListenersFormat,
        /// Read the configuration of a mounted image or checkout instead of /.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Record everything netvet checks on this host into one file, to check it later and
    /// elsewhere with `netvet check --snapshot FILE`.
    ///
    /// A snapshot is a tar archive (docs/snapshot-format.md): the configuration files a check
    /// reads, at their host paths (interfaces and what it sources, modprobe.d and the module
    /// lists, sysctl.d and sysctl.conf, nginx, Apache, sshd and socket units), with the links
    /// and absent paths the check met, plus `.netvet/snapshot.json`: the format version, the
    /// host's name, the time, and the running kernel's state (links with bond, slave, LACP,
    /// VLAN and bridge detail, sysctls, listening sockets). Files netvet lists but does not
    /// read are named, never copied.
    Snapshot {
        /// Write the snapshot to FILE (written whole, then renamed into place; a link or a
        /// device is written through); `-`, the default, is standard output, which must not be
        /// a terminal.
        #[arg(short, long, value_name = "FILE", default_value = "-")]
        output: PathBuf,
        /// Record a mounted image or a checkout instead of /. Its live state is not recorded
        /// unless --live is given: the running kernel is not that tree's.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Also record the running kernel's state (netlink, current network namespace). The
        /// default without --root.
        #[arg(long, overrides_with = "no_live")]
        live: bool,
        /// Record the files only, not the running kernel's state.
        #[arg(long, overrides_with = "live")]
        no_live: bool,
    },
    /// List every rule: code, severity, whether `netvet fix` fixes it, name and summary.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
        format: RulesFormat,
    },
    /// Print the documentation of a rule (`netvet explain NV101`).
    Explain {
        /// A rule code (NV101) or name (bond-no-link-monitoring).
        #[arg(value_parser = RuleName, hide_possible_values = true)]
        rule: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Directories holding an /etc-like tree, files inside one (DIR/etc/...: DIR is checked,
    /// once), tar archives of one (`.tar`), other files as interfaces files, or `-` for an
    /// interfaces file on standard input.
    #[arg(value_name = "PATH", conflicts_with = "root")]
    pub paths: Vec<PathBuf>,

    /// Print the findings only: no suppressed findings, notes or summary line.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also list the files read and the paths looked for and not found.
    #[arg(short, long)]
    pub verbose: bool,

    /// Check a mounted image or a checkout as if it were `/`.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also compare the configuration with the running kernel (netlink, current network
    /// namespace). On by default when checking the running system's own /etc.
    #[arg(long, overrides_with = "no_live")]
    pub live: bool,

    /// Do not read the running kernel.
    #[arg(long, overrides_with = "live")]
    pub no_live: bool,

    /// Compare with a live state saved earlier by `netvet live --format json` (on this host
    /// or another) instead of the running kernel.
    #[arg(long, value_name = "FILE", conflicts_with = "no_live")]
    pub live_snapshot: Option<PathBuf>,

    /// Check a snapshot taken by `netvet snapshot` (here or on another host), offline: its
    /// files as the tree, its recorded kernel state as the live state (unless --no-live).
    /// Findings name files under FILE.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["paths", "root", "live", "live_snapshot"]
    )]
    pub snapshot: Option<PathBuf>,

    /// Exit with status 1 when a finding is at least this severe [default: the settings
    /// file's fail-on, or error].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Run only these rules: codes, code prefixes (NV1) or names; comma-separated or repeated.
    /// Replaces the settings file's `select`.
    #[arg(long, value_delimiter = ',', value_name = "CODES", value_parser = RuleName, hide_possible_values = true)]
    pub select: Vec<String>,

    /// Skip these rules: codes, code prefixes or names; comma-separated or repeated. Added to
    /// the settings file's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "CODES", value_parser = RuleName, hide_possible_values = true)]
    pub ignore: Vec<String>,

    #[command(flatten)]
    pub settings: SettingsArgs,

    /// Print the settings the check would use, each with where it came from (the settings
    /// file, the command line or the default), and exit.
    #[arg(long)]
    pub show_settings: bool,
}

/// Where the settings come from, for the commands that run the rules.
#[derive(Debug, clap::Args)]
pub struct SettingsArgs {
    /// Read the settings from FILE instead of the nearest netvet.toml upward from the checked
    /// path (or from the current directory for the running system and standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Read no settings file: only the command line and the defaults.
    #[arg(long, visible_alias = "no-config")]
    pub isolated: bool,
}

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    /// Host trees to fix: directories holding an /etc-like tree. Without one, the running
    /// system's /etc.
    #[arg(value_name = "DIR", conflicts_with = "root")]
    pub paths: Vec<PathBuf>,

    /// Fix a mounted image or a checkout as if it were `/`.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Also apply the fixes that change what the host does at its next boot.
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,

    /// Print a unified diff of what would be written, and write nothing. Exit status 1 when
    /// there is something to fix.
    #[arg(long)]
    pub diff: bool,

    /// Also compare with the running kernel (netlink, current network namespace), so that
    /// the fixes of findings about it are offered (NV403: the sysctl file set to the value the
    /// kernel runs with, unsafe).
    #[arg(long, conflicts_with = "live_snapshot")]
    pub live: bool,

    /// Compare with a live state saved by `netvet live --format json` instead of the kernel.
    #[arg(long, value_name = "FILE")]
    pub live_snapshot: Option<PathBuf>,

    /// Keep the old files here (a directory on this machine) instead of
    /// ROOT/var/backups/netvet.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,

    /// Print what was fixed and the summary only, not the findings that remain.
    #[arg(short, long)]
    pub quiet: bool,

    /// Exit with status 1 when a remaining finding is at least this severe [default: the
    /// settings file's fail-on, or error].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Fix only these rules' findings: codes, code prefixes (NV1) or names. Replaces the
    /// settings file's `select`.
    #[arg(long, value_delimiter = ',', value_name = "CODES", value_parser = RuleName, hide_possible_values = true)]
    pub select: Vec<String>,

    /// Leave these rules' findings alone: codes, code prefixes or names. Added to the settings
    /// file's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "CODES", value_parser = RuleName, hide_possible_values = true)]
    pub ignore: Vec<String>,

    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// `netvet audit --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Each host's status, the rules that fired and on how many hosts, then each host's
    /// findings as `check` prints them.
    Human,
    /// One JSON document: `hosts` (host, address, status, reason, findings in `check`'s JSON
    /// schema) and `summary`.
    Json,
    /// One JSON object per host per line, written as each host finishes.
    JsonLines,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Hosts to audit, as OpenSSH names them (a `Host` of the configuration, a name, an
    /// address), each `[USER@]HOST[:PORT]` (`[ADDRESS]:PORT` for IPv6); Ansible's ranges
    /// (`web[01:20]`) expand.
    #[arg(value_name = "HOST", conflicts_with = "inventory")]
    pub hosts: Vec<String>,

    /// Read the hosts from an inventory: Ansible's INI or YAML (groups, children, and the
    /// variables ansible_host, ansible_port and ansible_user) or a plain list, one
    /// `[USER@]HOST[:PORT]` per line.
    #[arg(short, long, value_name = "INVENTORY")]
    pub inventory: Option<PathBuf>,

    /// Audit only the hosts this Ansible host pattern selects: host or group names, globs,
    /// `a:b` or `a,b` (union), `&g` (also in g), `!g` (not in g).
    #[arg(long, value_name = "PATTERN")]
    pub limit: Option<String>,

    /// Read OpenSSH's configuration from FILE instead of ~/.ssh/config and
    /// /etc/ssh/ssh_config.
    #[arg(short = 'F', value_name = "SSH_CONFIG")]
    pub ssh_config: Option<PathBuf>,

    /// Audit N hosts at once.
    #[arg(short, long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: u16,

    /// Seconds for the TCP connection, the SSH banner and the key exchange. Default: the
    /// host's ConnectTimeout in the SSH configuration, else 10.
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: Option<u64>,

    /// Seconds for one host in all, connection included.
    #[arg(long, value_name = "S", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,

    #[arg(long, value_enum, default_value_t = AuditFormat::Human)]
    pub format: AuditFormat,

    /// Also write each audited host's snapshot to DIR/HOST.snap.tar, for `netvet check
    /// --snapshot`.
    #[arg(long, value_name = "DIR")]
    pub save_snapshots: Option<PathBuf>,

    /// Run `PATH snapshot` with the netvet installed on the hosts instead of the agentless
    /// script (the live state then comes from netlink, as `netvet check --live` reads it).
    #[arg(long, value_name = "PATH")]
    pub remote_netvet: Option<String>,

    /// Reach the hosts with this OpenSSH client program (ssh), a process per host, instead of
    /// netvet's own SSH client: for what only OpenSSH does (GSSAPI, smartcards, ProxyCommand,
    /// Match exec). Without it, netvet's client reads the same OpenSSH configuration.
    #[arg(long, value_name = "PROGRAM")]
    pub ssh_command: Option<PathBuf>,

    /// Check the hosts' files only, not their live state.
    #[arg(long)]
    pub no_live: bool,

    /// Exit with status 1 when a finding is at least this severe [default: the settings
    /// file's fail-on, or error].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Report only these rules: codes, code prefixes (NV1) or names.
    #[arg(long, value_delimiter = ',', value_name = "CODES", value_parser = RuleName, hide_possible_values = true)]
    pub select: Vec<String>,

    /// Do not report these rules: codes, code prefixes or names.
    #[arg(long, value_delimiter = ',', value_name = "CODES", value_parser = RuleName, hide_possible_values = true)]
    pub ignore: Vec<String>,

    /// The settings (netvet.toml: rules, severities, per-path ignores, site policy) apply to
    /// every host; without --config, the nearest netvet.toml upward from the current
    /// directory.
    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Debug, clap::Args)]
pub struct RepairArgs {
    /// Read the configuration from a mounted image or a checkout instead of /.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Make the changes (without it, only the plan is printed).
    #[arg(long)]
    pub apply: bool,

    /// Also make the steps that take a link down: bond options the kernel takes only with the
    /// bond down or without slaves, a slave moved from another bond, a link management traffic
    /// goes through.
    #[arg(long)]
    pub allow_link_down: bool,

    /// After applying, keep the changes only when confirmed within SECONDS: Enter on a
    /// terminal, or `netvet repair --confirm-now` from another shell (over SSH, a second
    /// session). Otherwise every change is rolled back (exit 3), as with `netplan try`.
    #[arg(long, value_name = "SECONDS", requires = "apply")]
    pub confirm: Option<u64>,

    /// Confirm the changes a `netvet repair --apply --confirm` on this host waits on.
    #[arg(long, conflicts_with_all = ["apply", "root", "live_snapshot", "allow_link_down"])]
    pub confirm_now: bool,

    /// Plan against a live state saved by `netvet live --format json` instead of the running
    /// kernel (planning only: it cannot be combined with --apply).
    #[arg(long, value_name = "FILE", conflicts_with = "apply")]
    pub live_snapshot: Option<PathBuf>,
}

/// A rule as the command line names it: any text is taken as it is (codes, prefixes, names in
/// any case are resolved later, with a message that suggests the nearest rule), and the rule
/// codes are offered to shell completion.
#[derive(Clone, Copy, Debug)]
pub struct RuleName;

impl clap::builder::TypedValueParser for RuleName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(crate::diagnostic::registry::RULES.iter().map(
            |r| clap::builder::PossibleValue::new(r.code).help(r.summary),
        )))
    }
}
