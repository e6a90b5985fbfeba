//! The binary's edge: the only place that turns errors into text and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use netvet::cli::{
    AuditArgs, AuditFormat, CheckArgs, Cli, ColorChoice, Command, FixArgs, Format, ListenersFormat,
    LiveFormat, RepairArgs, RulesFormat,
};
use netvet::diagnostic::Severity;
use netvet::rules::registry;
use netvet::settings::Settings;
use netvet::{CheckRun, load, report};

/// What `--version` prints: the crate version and the commit built from (build.rs). Only the
/// binary says it; the man pages, generated from `Cli::command()`, keep the plain crate version
/// so they do not go stale with every commit.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("NETVET_COMMIT"),
    ")"
);

fn main() -> ExitCode {
    let matches = Cli::command().version(VERSION).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.color {
        ColorChoice::Auto => {}
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
    }
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Fix(args) => fix(&args),
        Command::Repair(args) => repair(&args),
        Command::Audit(args) => audit(&args),
        Command::Live {
            format,
            save_netlink,
        } => live(format, save_netlink.as_deref()),
        Command::Listeners { format, root } => listeners(format, root.as_deref()),
        Command::Snapshot {
            output,
            root,
            live,
            no_live,
        } => snapshot(&output, root.as_deref(), live, no_live),
        Command::Rules { format } => {
            print(&report::rules_table(format == RulesFormat::Json)).map(|()| 0)
        }
        Command::Explain { rule } => match registry::lookup(&rule) {
            Some(meta) => print(&netvet::explain::render(meta.doc, explain_width())).map(|()| 0),
            None => Err(Failure::UnknownRule(rule)),
        },
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            // Messages quote paths and rule names from the command line: escaped, as all
            // output is.
            let mut stderr = anstream::stderr();
            for line in failure.to_string().lines() {
                let _ = writeln!(
                    stderr,
                    "netvet: error: {}",
                    netvet::diagnostic::escape(line)
                );
            }
            ExitCode::from(2)
        }
    }
}

/// The terminal's width, or 80 columns when stdout is not a terminal (a pipe, a file).
fn explain_width() -> usize {
    use std::io::IsTerminal;
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return 80;
    }
    terminal_size::terminal_size_of(&stdout).map_or(80, |(w, _)| usize::from(w.0))
}

/// Write to stdout; a closed pipe (`netvet ... | head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    let mut out = anstream::stdout();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Output(e)),
        _ => Ok(()),
    }
}

/// Why a command stopped without doing its work: exit status 2, and one message on standard
/// error that says what went wrong, where, and what to do. Only `main` turns one into text.
#[derive(Debug)]
enum Failure {
    /// A path on the command line is not what it must be. `option` is the option that gave it
    /// (empty for a PATH argument), `problem` what is wrong and what to give instead.
    Argument {
        option: &'static str,
        path: PathBuf,
        problem: &'static str,
    },
    /// A target holds none of the files netvet reads; `or_file`: an interfaces file would do.
    NothingToRead {
        target: String,
        looked_for: Vec<String>,
        or_file: bool,
    },
    /// `netvet repair` found no interfaces file under the root.
    NoInterfaces(PathBuf),
    /// Reading or writing a file failed.
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Writing netvet's output failed (a closed pipe is not a failure).
    Output(std::io::Error),
    /// Reading standard input failed.
    Stdin(std::io::Error),
    /// Standard input is larger than an interfaces file may be.
    StdinTooLarge(u64),
    /// The running kernel could not be read or changed; `doing` says what for.
    Live {
        doing: &'static str,
        error: netvet::live::LiveError,
    },
    /// A saved live state (`--live-snapshot`) could not be read.
    LiveSnapshot {
        path: PathBuf,
        error: netvet::live::StateError,
    },
    /// A snapshot file could not be read.
    SnapshotFile {
        path: PathBuf,
        error: netvet::snapshot::SnapshotError,
    },
    /// A snapshot given where a snapshot is not a regular file.
    SnapshotNotAFile(PathBuf),
    /// `netvet snapshot` could not take or write the snapshot.
    Snapshot {
        doing: &'static str,
        error: netvet::snapshot::SnapshotError,
    },
    /// `netvet snapshot` would write a tar archive to a terminal.
    SnapshotToTerminal,
    /// A tar archive given as a PATH could not be read.
    Tar {
        path: PathBuf,
        error: load::bundle::BundleError,
    },
    /// A tar archive given as a PATH is a snapshot, which has its own option.
    TarIsSnapshot(PathBuf),
    /// An inventory could not be read.
    Inventory(netvet::audit::inventory::InventoryError),
    /// An inventory is not UTF-8 text: the first bad byte.
    InventoryNotText { path: PathBuf, at: usize },
    /// A `--limit` pattern could not be read.
    Limit {
        pattern: String,
        error: netvet::audit::inventory::PatternError,
    },
    /// `netvet audit` has no host to audit.
    NoHosts {
        inventory: Option<PathBuf>,
        limit: Option<String>,
    },
    /// No file of netvet's own could be made in the temporary directory.
    TempFile {
        dir: PathBuf,
        error: Option<std::io::Error>,
    },
    /// `netvet fix` could not write some of its changes (the others are written).
    Writes(Vec<netvet::fix::write::WriteError>),
    /// `netvet repair --confirm-now` with no repair waiting.
    NothingToConfirm,
    /// `netvet explain` of a code no rule has.
    UnknownRule(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Argument {
                option: "",
                path,
                problem,
            } => write!(f, "{}: {problem}", path.display()),
            Failure::Argument {
                option,
                path,
                problem,
            } => write!(f, "{option} {}: {problem}", path.display()),
            Failure::NothingToRead {
                target,
                looked_for,
                or_file,
            } => write!(
                f,
                "{target} holds none of the files netvet reads (looked for {}); give the root of \
                 a host tree (the directory holding etc/){}",
                looked_for.join(", "),
                if *or_file {
                    ", or an interfaces file"
                } else {
                    ""
                }
            ),
            Failure::NoInterfaces(root) => write!(
                f,
                "{}: no interfaces file to repair from (looked for /etc/network/interfaces)",
                root.display()
            ),
            Failure::File { path, error } => write!(f, "{}: {error}", path.display()),
            Failure::Output(e) => write!(f, "writing output: {e}"),
            Failure::Stdin(e) => write!(f, "reading standard input: {e}"),
            Failure::StdinTooLarge(limit) => write!(
                f,
                "standard input is larger than {} MiB; an interfaces file is far smaller: check \
                 that the right file is piped in",
                limit >> 20
            ),
            Failure::Live { doing, error } => write!(f, "{doing}: {error}"),
            Failure::LiveSnapshot { path, error } => write!(f, "{}: {error}", path.display()),
            Failure::SnapshotFile { path, error } => write!(f, "{}: {error}", path.display()),
            Failure::SnapshotNotAFile(path) => write!(
                f,
                "{}: not a regular file; a snapshot is a file written by `netvet snapshot`",
                path.display()
            ),
            Failure::Snapshot { doing, error } => write!(f, "{doing}: {error}"),
            Failure::SnapshotToTerminal => write!(
                f,
                "not writing a tar archive to a terminal: give -o FILE, or redirect standard \
                 output"
            ),
            Failure::Tar { path, error } => write!(f, "{}: {error}", path.display()),
            Failure::TarIsSnapshot(path) => write!(
                f,
                "{0} is a netvet snapshot: check it with `netvet check --snapshot {0}`",
                path.display()
            ),
            Failure::Inventory(e) => write!(f, "{e}"),
            Failure::InventoryNotText { path, at } => write!(
                f,
                "{}: not UTF-8 text (byte {at}); an inventory is text",
                path.display()
            ),
            Failure::Limit { pattern, error } => {
                write!(f, "--limit {pattern}: {}", error.message)
            }
            Failure::NoHosts {
                limit: Some(limit), ..
            } => write!(f, "--limit {limit} selects no host"),
            Failure::NoHosts {
                inventory: Some(path),
                limit: None,
            } => write!(f, "{}: no hosts", path.display()),
            Failure::NoHosts {
                inventory: None,
                limit: None,
            } => write!(
                f,
                "no hosts to audit: name them (netvet audit web1 web2) or give an inventory (-i \
                 hosts.ini)"
            ),
            Failure::TempFile { dir, error } => match error {
                Some(e) => write!(f, "creating a file in {}: {e}", dir.display()),
                None => write!(
                    f,
                    "creating a file in {}: too many left over (remove the netvet-* files there)",
                    dir.display()
                ),
            },
            // One line each: `main` prefixes every line.
            Failure::Writes(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Failure::NothingToConfirm => write!(
                f,
                "no netvet repair --confirm is waiting on this host (nothing to confirm)"
            ),
            Failure::UnknownRule(rule) => {
                write!(f, "no rule `{rule}`; `netvet rules` lists them all")
            }
        }
    }
}

/// A file error, with its path.
fn file_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Failure {
    let path = path.into();
    move |error| Failure::File { path, error }
}

/// `--root DIR` (or another option's directory) that is not one.
fn not_a_directory(option: &'static str, path: &Path) -> Failure {
    Failure::Argument {
        option,
        path: path.to_path_buf(),
        problem: "not a directory",
    }
}

fn check(args: &CheckArgs) -> Result<u8, Failure> {
    let settings = match Settings::for_check(args) {
        Ok(settings) => settings,
        Err(e) => return settings_error(&e),
    };
    if args.show_settings {
        return print(&settings.show()).map(|()| 0);
    }
    let mut from_snapshot = None;
    let targets = if let Some(path) = &args.snapshot {
        let snap = read_snapshot(path)?;
        let target = load::Target::bundle(snap.tree);
        from_snapshot = Some(snap.manifest);
        vec![target]
    } else if let Some(root) = &args.root {
        if !root.is_dir() {
            return Err(not_a_directory("--root", root));
        }
        vec![load::Target::Root(load::Root::new(root))]
    } else if args.paths.is_empty() {
        vec![load::Target::Root(load::Root::system())]
    } else {
        path_targets(&args.paths)?
    };
    let system = args.root.is_none() && args.paths.is_empty();
    let live = if let Some(manifest) = from_snapshot {
        // The kernel's state as it was when the snapshot was taken, as `--live` read it then.
        if args.no_live { None } else { manifest.live }
    } else if let Some(path) = &args.live_snapshot {
        Some(read_live_snapshot(path)?)
    } else if args.live {
        Some(netvet::live::read().map_err(reading_live)?)
    } else if system && !args.no_live {
        // Live checks are only the default here: without netlink access, check the files.
        match netvet::live::read() {
            Ok(state) => Some(state),
            Err(e) => {
                let _ = writeln!(
                    anstream::stderr(),
                    "netvet: warning: not comparing with the running kernel ({e}); checking the configuration only"
                );
                None
            }
        }
    } else {
        None
    };
    let runs: Vec<CheckRun> = targets
        .iter()
        .map(|t| CheckRun::new(t, live.as_ref(), &settings.config))
        .collect();
    for (target, run) in targets.iter().zip(&runs) {
        if matches!(target, load::Target::Root(_) | load::Target::Tree(_))
            && run.host.sources.iter().next().is_none()
            && run.host.read_errors.is_empty()
        {
            return Err(Failure::NothingToRead {
                target: target.label(),
                looked_for: run.host.not_found.clone(),
                or_file: true,
            });
        }
    }
    let verbosity = if args.quiet {
        report::Verbosity::Quiet
    } else if args.verbose {
        report::Verbosity::Verbose
    } else {
        report::Verbosity::Normal
    };
    let text = match args.format {
        Format::Human => report::human(&runs, true, verbosity),
        Format::Json => report::json(&runs),
        Format::Sarif => report::sarif(&runs),
        Format::Github => report::github(&runs),
        Format::Junit => report::junit(&runs, settings.fail_on.threshold()),
        Format::JsonLines => report::json_lines(&runs),
    };
    // Those formats' standard output is for a machine: what else there is to say goes to
    // standard error. JSON and SARIF carry it inside the document.
    if matches!(
        args.format,
        Format::Github | Format::Junit | Format::JsonLines
    ) && verbosity != report::Verbosity::Quiet
    {
        let _ = write!(anstream::stderr(), "{}", report::stderr_notes(&runs));
    }
    print(&text)?;
    let failed = settings
        .fail_on
        .threshold()
        .is_some_and(|threshold: Severity| {
            runs.iter()
                .flat_map(|r| &r.diagnostics)
                .any(|d| d.suppressed.is_none() && d.severity >= threshold)
        });
    // The process ends next: freeing the trees, models and findings one allocation at a time
    // would only cost time (a twentieth of a large host's check), and they hold no file,
    // socket or temporary file to close.
    std::mem::forget(runs);
    std::mem::forget(targets);
    Ok(u8::from(failed))
}

fn fix(args: &FixArgs) -> Result<u8, Failure> {
    let settings = match Settings::for_fix(args) {
        Ok(settings) => settings,
        Err(e) => return settings_error(&e),
    };
    let roots: Vec<load::Root> = match (&args.root, args.paths.as_slice()) {
        (Some(dir), _) => vec![load::Root::new(dir)],
        (None, []) => vec![load::Root::system()],
        (None, paths) => paths.iter().map(load::Root::new).collect(),
    };
    for root in &roots {
        if !root.given().is_dir() {
            return Err(Failure::Argument {
                option: "",
                path: root.given().to_path_buf(),
                problem: "not a directory; netvet fix edits host trees: give the directory \
                          holding etc/ (netvet check reads single files)",
            });
        }
    }
    let live = if let Some(path) = &args.live_snapshot {
        Some(read_live_snapshot(path)?)
    } else if args.live {
        Some(netvet::live::read().map_err(reading_live)?)
    } else {
        None
    };
    let fail_on = settings.fail_on;
    let options = netvet::fix::Options {
        config: settings.config,
        unsafe_fixes: args.unsafe_fixes,
        live,
    };
    let stamp = netvet::fix::write::timestamp();
    let mut failed = false;
    let mut pending = false;
    let mut write_errors = Vec::new();
    for root in &roots {
        let plan = netvet::fix::plan(root, &options);
        if plan.after.host.sources.iter().next().is_none() && plan.after.host.read_errors.is_empty()
        {
            return Err(Failure::NothingToRead {
                target: root.given().display().to_string(),
                looked_for: plan.after.host.not_found.clone(),
                or_file: false,
            });
        }
        let mut written = Vec::new();
        let mut created = Vec::new();
        if args.diff {
            print(&report::fix_diff(&plan))?;
            pending |= !plan.changes.is_empty();
        } else {
            let backup_dir = match &args.backup_dir {
                Some(dir) => dir.clone(),
                None => root
                    .real(Path::new(netvet::fix::write::BACKUP_DIR))
                    .map_err(file_error(netvet::fix::write::BACKUP_DIR))?,
            };
            for change in &plan.changes {
                if change.created {
                    match netvet::fix::write::create(
                        root,
                        &change.host_path,
                        &change.shown,
                        &change.after,
                    ) {
                        Ok(()) => created.push(change.shown.clone()),
                        Err(e) => write_errors.push(e),
                    }
                    continue;
                }
                match netvet::fix::write::replace(
                    root,
                    &change.host_path,
                    &change.shown,
                    &change.before,
                    &change.after,
                    &backup_dir,
                    &stamp,
                ) {
                    Ok(w) => written.push(w),
                    Err(e) => write_errors.push(e),
                }
            }
        }
        print(&report::fix_summary(
            &plan,
            &written,
            &created,
            args.diff,
            !args.quiet,
        ))?;
        failed |= fail_on.threshold().is_some_and(|threshold: Severity| {
            plan.after
                .diagnostics
                .iter()
                .any(|d| d.suppressed.is_none() && d.severity >= threshold)
        });
    }
    if !write_errors.is_empty() {
        return Err(Failure::Writes(write_errors));
    }
    Ok(u8::from(failed || pending))
}

/// A live state saved by `netvet live --format json` (`--live-snapshot FILE`).
fn read_live_snapshot(path: &Path) -> Result<netvet::live::LiveState, Failure> {
    let text = std::fs::read_to_string(path).map_err(file_error(path))?;
    netvet::live::LiveState::from_json(&text).map_err(|error| Failure::LiveSnapshot {
        path: path.to_path_buf(),
        error,
    })
}

/// The running kernel could not be read for the live checks.
fn reading_live(error: netvet::live::LiveError) -> Failure {
    Failure::Live {
        doing: "reading the live state",
        error,
    }
}

/// A settings error (a bad `netvet.toml`, a `--select` naming no rule), rendered as findings
/// are, with its file, line and column: exit status 2.
fn settings_error(e: &netvet::settings::Error) -> Result<u8, Failure> {
    let _ = write!(anstream::stderr(), "{}", e.render(true));
    Ok(2)
}

/// `netvet audit`: every host, `-j` at once, one report.
fn audit(args: &AuditArgs) -> Result<u8, Failure> {
    use netvet::audit::{self, Endpoint, Remote, Status};
    let settings = match Settings::for_audit(args) {
        Ok(settings) => settings,
        Err(e) => return settings_error(&e),
    };
    let hosts = audit_hosts(args)?;
    let endpoints: Vec<Endpoint> = hosts
        .iter()
        .map(|h| Endpoint {
            name: h.name.clone(),
            address: h.address.clone(),
            port: h.port,
            user: h.user.clone(),
            error: h.error.clone(),
        })
        .collect();
    if endpoints.is_empty() {
        return Err(Failure::NoHosts {
            inventory: args.inventory.clone(),
            limit: args.limit.clone(),
        });
    }
    if let Some(file) = &args.ssh_config
        && !file.is_file()
    {
        return Err(Failure::Argument {
            option: "-F",
            path: file.clone(),
            problem: "no such file",
        });
    }
    if let Some(dir) = &args.save_snapshots
        && !dir.is_dir()
    {
        return Err(not_a_directory("--save-snapshots", dir));
    }
    // Kept until the run ends: the OpenSSH transport's generated configuration.
    let mut _config = None;
    let connect_timeout = args.connect_timeout.map(std::time::Duration::from_secs);
    let timeout = std::time::Duration::from_secs(args.timeout);
    let max_bytes = netvet::limits::MAX_AUDIT_HOST_BYTES;
    let transport = match &args.ssh_command {
        None => audit::Transport::Native(audit::native::Native {
            config: match &args.ssh_config {
                Some(file) => audit::sshconfig::Source::File(file.clone()),
                None => audit::sshconfig::Source::Default,
            },
            local: audit::sshconfig::Local::current(),
            connect_timeout,
            timeout,
            max_bytes,
        }),
        Some(program) => {
            // The generated OpenSSH configuration: the user's, then the default connect
            // timeout.
            let config = tempfile_in_tmp("netvet-audit-ssh-config")?;
            let home = std::env::var_os("HOME").map(PathBuf::from);
            // The generated file's `Include` of a relative path would be read from ~/.ssh.
            let user_config = match &args.ssh_config {
                Some(file) => Some(std::path::absolute(file).map_err(file_error(file))?),
                None => None,
            };
            let text = audit::ssh::config_text(
                user_config.as_deref(),
                home.as_deref(),
                std::time::Duration::from_secs(10),
            );
            std::fs::write(&config.0, text).map_err(file_error(&config.0))?;
            let path = config.0.clone();
            _config = Some(config);
            audit::Transport::OpenSsh(audit::ssh::OpenSsh {
                program: program.clone(),
                config: path,
                connect_timeout,
                timeout,
                max_bytes,
            })
        }
    };
    let options = audit::Options {
        transport,
        remote: match &args.remote_netvet {
            Some(path) => Remote::Netvet(path.clone()),
            None => Remote::Agentless,
        },
        jobs: usize::from(args.jobs),
        config: settings.config,
        no_live: args.no_live,
        save_snapshots: args.save_snapshots.clone(),
    };
    let mut stdout = anstream::stdout();
    let mut closed = false;
    let mut progress = audit::progress::Progress::new(endpoints.len());
    let results = audit::run(&endpoints, &options, |result| {
        progress.done(result);
        if args.format == AuditFormat::JsonLines && !closed {
            let line = audit::report::json_line(result);
            closed = stdout
                .write_all(line.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err();
        }
    });
    progress.finish();
    match args.format {
        AuditFormat::Human => print(&audit::report::human(&results, true))?,
        AuditFormat::Json => print(&audit::report::json(&results))?,
        AuditFormat::JsonLines => {}
    }
    if results.iter().any(|r| r.status != Status::Ok) {
        return Ok(3);
    }
    let failed = settings.fail_on.threshold().is_some_and(|threshold| {
        results
            .iter()
            .any(|r| audit::report::worst(r).is_some_and(|w| w >= threshold))
    });
    Ok(u8::from(failed))
}

/// The inventory `audit` reads (-i, or the hosts on the command line as a plain list) and the
/// hosts `--limit` selects from it.
fn audit_hosts(args: &AuditArgs) -> Result<Vec<netvet::audit::inventory::InventoryHost>, Failure> {
    use netvet::audit::inventory;
    let (text, path) = match &args.inventory {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(file_error(path))?;
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(file, netvet::limits::MAX_FILE_BYTES + 1),
                &mut bytes,
            )
            .map_err(file_error(path))?;
            let text = String::from_utf8(bytes).map_err(|e| Failure::InventoryNotText {
                path: path.clone(),
                at: e.utf8_error().valid_up_to(),
            })?;
            (text, path.clone())
        }
        None => (args.hosts.join("\n"), PathBuf::from("the command line")),
    };
    let inventory = inventory::parse(&text, &path).map_err(Failure::Inventory)?;
    let hosts = match &args.limit {
        Some(pattern) => inventory
            .limit(pattern)
            .map_err(|error| Failure::Limit {
                pattern: pattern.clone(),
                error,
            })?
            .into_iter()
            .cloned()
            .collect(),
        None => inventory.hosts().to_vec(),
    };
    Ok(hosts)
}

/// A file of our own in the temporary directory, removed when the guard goes.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn tempfile_in_tmp(stem: &str) -> Result<TempFile, Failure> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir();
    for attempt in 0..100u32 {
        let path = dir.join(format!("{stem}.{}.{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => return Ok(TempFile(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Failure::TempFile {
                    dir,
                    error: Some(e),
                });
            }
        }
    }
    Err(Failure::TempFile { dir, error: None })
}

/// Where a `netvet repair --confirm` waiting for confirmation says so (its process id), and
/// where `--confirm-now` answers. Under /run: gone at reboot, root's only.
const CONFIRM_PENDING: &str = "/run/netvet/repair-pending";
const CONFIRM_ANSWER: &str = "/run/netvet/repair-confirmed";

fn confirm_now() -> Result<u8, Failure> {
    let pid = std::fs::read_to_string(CONFIRM_PENDING).map_err(|_| Failure::NothingToConfirm)?;
    std::fs::write(CONFIRM_ANSWER, pid.trim()).map_err(file_error(CONFIRM_ANSWER))?;
    print(&format!(
        "netvet: confirmed the changes of netvet repair (process {})\n",
        pid.trim()
    ))?;
    Ok(0)
}

/// Wait up to `seconds` for the operator: a line on a terminal's standard input, or
/// `netvet repair --confirm-now`. True when confirmed.
fn wait_for_confirmation(seconds: u64) -> Result<bool, Failure> {
    use std::io::IsTerminal;
    let me = std::process::id().to_string();
    std::fs::create_dir_all("/run/netvet").map_err(file_error("/run/netvet"))?;
    let _ = std::fs::remove_file(CONFIRM_ANSWER);
    std::fs::write(CONFIRM_PENDING, &me).map_err(file_error(CONFIRM_PENDING))?;
    let (tx, rx) = std::sync::mpsc::channel();
    if std::io::stdin().is_terminal() {
        std::thread::spawn(move || {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_ok() {
                let _ = tx.send(());
            }
        });
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let confirmed = loop {
        if rx.try_recv().is_ok()
            || std::fs::read_to_string(CONFIRM_ANSWER).is_ok_and(|pid| pid.trim() == me)
        {
            break true;
        }
        if std::time::Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let _ = std::fs::remove_file(CONFIRM_PENDING);
    let _ = std::fs::remove_file(CONFIRM_ANSWER);
    Ok(confirmed)
}

fn repair(args: &RepairArgs) -> Result<u8, Failure> {
    use netvet::repair::apply::{Level, Outcome};
    if args.confirm_now {
        return confirm_now();
    }
    let root = match &args.root {
        Some(dir) if !dir.is_dir() => return Err(not_a_directory("--root", dir)),
        Some(dir) => load::Root::new(dir),
        None => load::Root::system(),
    };
    let host = load::load(&load::Target::Root(root.clone()));
    if host.interfaces.is_empty() {
        return Err(Failure::NoInterfaces(root.given().to_path_buf()));
    }
    let model = netvet::model::Model::build(&host);
    let (live, management) = match &args.live_snapshot {
        Some(path) => (read_live_snapshot(path)?, Vec::new()),
        None => (
            netvet::live::read().map_err(reading_live)?,
            netvet::live::management_links().map_err(|error| Failure::Live {
                doing: "finding the management links",
                error,
            })?,
        ),
    };
    let options = netvet::repair::Options {
        allow_link_down: args.allow_link_down,
        management,
    };
    let plan = netvet::repair::plan(&model, &live, &options);
    // Under systemd, the journal reads each line's priority from its `<N>` prefix.
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let line = |level: Level, text: &str| {
        let text = netvet::diagnostic::escape(text);
        if journal {
            format!("<{}>{text}\n", level as u8)
        } else {
            format!("{text}\n")
        }
    };
    let mut out = String::new();
    for (i, action) in plan.actions.iter().enumerate() {
        out.push_str(&line(
            Level::Info,
            &format!("{}. {} ({})", i + 1, action.change, action.why),
        ));
    }
    for waiting in &plan.waiting {
        out.push_str(&line(
            Level::Warning,
            &format!("waiting: {}", waiting.reason),
        ));
        for step in &waiting.steps {
            out.push_str(&line(
                Level::Warning,
                &format!("   {} ({})", step.change, step.why),
            ));
        }
    }
    for manual in &plan.manual {
        out.push_str(&line(Level::Warning, &format!("not repaired: {manual}")));
    }
    if plan.is_empty() && plan.manual.is_empty() {
        out.push_str(&line(
            Level::Info,
            "repair: the running kernel matches the configuration",
        ));
    }
    print(&out)?;
    // Drifts netvet leaves to the operator keep the live state out of line too.
    let remains = !plan.waiting.is_empty() || !plan.manual.is_empty();
    if !args.apply {
        return Ok(u8::from(!plan.actions.is_empty() || remains));
    }
    let mut log = |level: Level, text: String| {
        let _ = print(&line(level, &text));
    };
    let outcome = netvet::repair::apply::run(
        &plan,
        &mut netvet::repair::apply::Netlink,
        netvet::repair::apply::failpoint(),
        &mut log,
    );
    match outcome {
        Outcome::Done { made } => {
            log(
                Level::Info,
                format!("repair: {} actions made and read back", made.len()),
            );
            if let Some(seconds) = args.confirm.filter(|_| !made.is_empty()) {
                log(
                    Level::Warning,
                    format!(
                        "repair: keep these changes? Press Enter, or run `netvet repair --confirm-now`, within {seconds} s; otherwise they are rolled back"
                    ),
                );
                if !wait_for_confirmation(seconds)? {
                    let left = netvet::repair::apply::roll_back(
                        &made,
                        &mut netvet::repair::apply::Netlink,
                        &mut log,
                    );
                    if left.is_empty() {
                        log(
                            Level::Error,
                            "repair: not confirmed in time; every change was rolled back"
                                .to_string(),
                        );
                        return Ok(3);
                    }
                    log(
                        Level::Error,
                        format!(
                            "repair: not confirmed in time, and the rollback did not complete; left changed: {}",
                            left.join("; ")
                        ),
                    );
                    return Ok(4);
                }
                log(Level::Info, "repair: confirmed".to_string());
            }
            Ok(u8::from(remains))
        }
        Outcome::RolledBack { failed, error } => {
            log(
                Level::Error,
                format!("repair: action {failed} failed ({error}); every change was rolled back"),
            );
            Ok(3)
        }
        Outcome::Stuck {
            failed,
            error,
            left,
        } => {
            log(
                Level::Error,
                format!(
                    "repair: action {failed} failed ({error}), and the rollback did not complete; left changed: {}",
                    left.join("; ")
                ),
            );
            Ok(4)
        }
    }
}

/// The targets the PATHs name, each host tree once: a directory is a root; a file inside a
/// host tree (`web1/etc/modprobe.d/bonding.conf`) stands for the whole tree, as its settings
/// only mean something with the rest of the host; a `.tar` is a tree in memory; any other file
/// is an interfaces file. A root named again, directly or through another of its files (a
/// pre-commit hook passes every changed file), is checked once, where it was first named.
fn path_targets(paths: &[PathBuf]) -> Result<Vec<load::Target>, Failure> {
    let mut seen = std::collections::HashSet::new();
    let mut targets = Vec::new();
    for p in paths {
        let target = if p == Path::new("-") {
            load::Target::Stdin(read_stdin()?)
        } else if p.is_dir() {
            load::Target::Root(load::Root::new(p))
        } else if p.is_file() && p.extension().is_some_and(|e| e == "tar") {
            read_tar(p)?
        } else if p.is_file() {
            load::Root::of_file(p)
                .map_or_else(|| load::Target::interfaces_file(p), load::Target::Root)
        } else {
            return Err(Failure::Argument {
                option: "",
                path: p.clone(),
                problem: "no such file or directory",
            });
        };
        let again = match &target {
            load::Target::Root(root) => !seen.insert(root.dir().to_path_buf()),
            load::Target::InterfacesFile { path } => {
                !seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone()))
            }
            load::Target::Tree(_) | load::Target::Stdin(_) => false,
        };
        if !again {
            targets.push(target);
        }
    }
    Ok(targets)
}

/// A tar archive of a host tree, checked as a root from memory.
fn read_tar(path: &Path) -> Result<load::Target, Failure> {
    let file = std::fs::File::open(path).map_err(file_error(path))?;
    let bundle = load::Bundle::from_tar(std::io::BufReader::new(file), path).map_err(|error| {
        Failure::Tar {
            path: path.to_path_buf(),
            error,
        }
    })?;
    // A snapshot read as a plain tree would read the files it names without holding as empty
    // ones, and drop its live state.
    if load::HostFs::exists(&bundle, &Path::new("/").join(netvet::snapshot::MANIFEST)) {
        return Err(Failure::TarIsSnapshot(path.to_path_buf()));
    }
    Ok(load::Target::bundle(bundle))
}

/// A snapshot file, read whole from memory as hostile input.
fn read_snapshot(path: &Path) -> Result<netvet::snapshot::Snapshot, Failure> {
    let meta = std::fs::metadata(path).map_err(file_error(path))?;
    if !meta.is_file() {
        return Err(Failure::SnapshotNotAFile(path.to_path_buf()));
    }
    let file = std::fs::File::open(path).map_err(file_error(path))?;
    netvet::snapshot::Snapshot::read(std::io::BufReader::new(file), path).map_err(|error| {
        Failure::SnapshotFile {
            path: path.to_path_buf(),
            error,
        }
    })
}

/// `netvet snapshot`: record the tree as a check reads it, and the live state.
fn snapshot(output: &Path, root: Option<&Path>, live: bool, no_live: bool) -> Result<u8, Failure> {
    use std::io::IsTerminal;
    let to_stdout = output == Path::new("-");
    if to_stdout && std::io::stdout().is_terminal() {
        return Err(Failure::SnapshotToTerminal);
    }
    let tree = match root {
        Some(dir) if !dir.is_dir() => return Err(not_a_directory("--root", dir)),
        Some(dir) => load::Root::new(dir),
        None => load::Root::system(),
    };
    let state = if no_live || (root.is_some() && !live) {
        None
    } else {
        match netvet::live::read() {
            Ok(state) => Some(state),
            Err(e) if !live => {
                let _ = writeln!(
                    anstream::stderr(),
                    "netvet: warning: not recording the running kernel ({e}); the snapshot holds the configuration only"
                );
                None
            }
            Err(e) => return Err(reading_live(e)),
        }
    };
    let hostname = root
        .is_none()
        .then(|| netvet::live::read_sysctl("kernel.hostname"))
        .flatten();
    let (snap, host) =
        netvet::snapshot::Snapshot::take(tree, state, hostname).map_err(|error| {
            Failure::Snapshot {
                doing: "taking the snapshot",
                error,
            }
        })?;
    if let Some(dir) = root
        && host.sources.iter().next().is_none()
        && host.read_errors.is_empty()
    {
        return Err(Failure::NothingToRead {
            target: dir.display().to_string(),
            looked_for: host.not_found.clone(),
            or_file: false,
        });
    }
    let bytes = snap.to_tar().map_err(|error| Failure::Snapshot {
        doing: "writing the snapshot",
        error,
    })?;
    if to_stdout {
        let mut out = std::io::stdout().lock();
        return match out.write_all(&bytes).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Output(e)),
            _ => Ok(0),
        };
    }
    // A link, a FIFO or a device (`-o /dev/stdout`) is written through, never replaced.
    let plain = std::fs::symlink_metadata(output).map_or(true, |m| m.file_type().is_file());
    if !plain {
        return std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(output)
            .and_then(|mut f| f.write_all(&bytes))
            .map(|()| 0)
            .map_err(file_error(output));
    }
    // Whole or not at all: a snapshot cut short by a full disk must not look like one.
    let name = output.file_name().ok_or_else(|| Failure::Argument {
        option: "-o",
        path: output.to_path_buf(),
        problem: "not a file name",
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = output.with_file_name(temp_name);
    let written = std::fs::File::create(&temp)
        .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, output));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(Failure::File {
            path: output.to_path_buf(),
            error: e,
        });
    }
    Ok(0)
}

/// Standard input for `netvet check -`, bounded: an interfaces file is kilobytes, and a stream
/// that never ends must not take the host's memory.
fn read_stdin() -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let limit = load::MAX_FILE_BYTES;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Failure::Stdin)?;
    if bytes.len() as u64 > limit {
        return Err(Failure::StdinTooLarge(limit));
    }
    Ok(bytes)
}

fn live(format: LiveFormat, save_netlink: Option<&std::path::Path>) -> Result<u8, Failure> {
    let state = netvet::live::read().map_err(reading_live)?;
    if let Some(path) = save_netlink {
        let raw = netvet::live::read_links_raw().map_err(reading_live)?;
        std::fs::write(path, raw).map_err(file_error(path))?;
    }
    let text = match format {
        LiveFormat::Human => report::live_table(&state),
        LiveFormat::Json => state.to_json(),
    };
    print(&text)?;
    Ok(0)
}

fn listeners(format: ListenersFormat, root: Option<&std::path::Path>) -> Result<u8, Failure> {
    let host = load::load(&load::Target::Root(match root {
        Some(dir) if !dir.is_dir() => return Err(not_a_directory("--root", dir)),
        Some(dir) => load::Root::new(dir),
        None => load::Root::system(),
    }));
    let model = netvet::model::Model::build(&host);
    let configured = netvet::model::listeners::collect(&host);
    let live = match root {
        Some(_) => Vec::new(),
        None => netvet::live::read_listeners().map_err(|error| Failure::Live {
            doing: "reading the listening sockets",
            error,
        })?,
    };
    let running = match root {
        Some(_) => None,
        None => netvet::live::read_sysctl(netvet::model::BINDV6ONLY),
    };
    let bindv6only = model.bindv6only(running.as_deref()).on;
    let text = match format {
        ListenersFormat::Human => {
            report::listeners_table(&host.sources, &configured, bindv6only, &live)
        }
        ListenersFormat::Json => {
            report::listeners_json(&host.sources, &configured, bindv6only, &live)
        }
    };
    print(&text)?;
    Ok(0)
}
