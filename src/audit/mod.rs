//! `netvet audit`: check many hosts over SSH from one controller, agentless.
//!
//! Each host gets one SSH connection running one constant command, and its answer is turned
//! into a [`Snapshot`] (the files a check reads and the live state) that is checked exactly as
//! `netvet check --snapshot` checks one: the audit adds no rule and no finding of its own, only
//! a status per host. A host that cannot be audited (down, slow, refusing netvet's key,
//! answering garbage or too much) is that host's status and reason; it never stops the run.
//!
//! `native.rs` runs the command with the SSH client inside netvet (`sshconfig.rs` resolves the
//! user's OpenSSH configuration for it, `knownhosts.rs` checks host keys), `ssh.rs` with the
//! system's OpenSSH client (`--ssh-command`); `collect.rs` is what runs on the
//! host and how its answer is read, `inventory.rs` reads the hosts to audit.

pub mod collect;
pub mod inventory;
pub mod knownhosts;
pub mod native;
pub mod progress;
pub mod report;
pub mod ssh;
pub mod sshconfig;

use std::path::PathBuf;

use futures_util::StreamExt;
use serde::Serialize;

use crate::CheckRun;
use crate::load::Target;
use crate::rules::Config;
use crate::snapshot::Snapshot;

/// Where and how to reach one host: the inventory's name and the connection variables it sets
/// (Ansible's `ansible_host`, `ansible_port`, `ansible_user`); what is unset comes from the
/// OpenSSH configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub name: String,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// Why the inventory does not say how to reach it (a template, a value that is not text):
    /// the host is reported, not contacted.
    pub error: Option<String>,
}

impl Endpoint {
    /// What the SSH client connects to.
    pub fn destination(&self) -> &str {
        self.address.as_deref().unwrap_or(&self.name)
    }
}

/// How an audit of one host ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Audited: its findings are the check's.
    Ok,
    /// No connection: refused, no route, a name that does not resolve.
    Unreachable,
    /// No answer within `--connect-timeout` (connect, banner, key exchange) or `--timeout`.
    Timeout,
    /// The host refused every key offered, or the user.
    AuthFailed,
    /// The host's key is not the one known_hosts holds for it, or none is known.
    HostKeyMismatch,
    /// What came back is not what was asked for.
    BadResponse,
    /// The host sent more than the per-host limit and was cut off.
    TooLarge,
    /// Not contacted: the inventory does not say how to reach it (a template, a name OpenSSH
    /// would read as an option).
    InventoryError,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unreachable => "unreachable",
            Status::Timeout => "timeout",
            Status::AuthFailed => "auth-failed",
            Status::HostKeyMismatch => "host-key-mismatch",
            Status::BadResponse => "bad-response",
            Status::TooLarge => "too-large",
            Status::InventoryError => "inventory-error",
        }
    }
}

/// What runs on each host.
#[derive(Clone, Debug)]
pub enum Remote {
    /// Only read-only commands every Debian host has (`collect::SCRIPT`).
    Agentless,
    /// `PATH snapshot` with the netvet installed there: the netlink-exact live state.
    Netvet(String),
}

impl Remote {
    /// The command line the SSH server hands to the user's shell: a constant, or the operator's
    /// `--remote-netvet` path quoted for a POSIX shell.
    pub fn command(&self) -> String {
        match self {
            Remote::Agentless => collect::command(),
            Remote::Netvet(path) => format!("exec {} snapshot", shell_quote(path)),
        }
    }
}

/// `'...'`, with each `'` as `'\''`: one word for any POSIX shell.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// One host's result.
#[derive(Debug)]
pub struct HostResult {
    /// Its place in the inventory, so reports keep the inventory's order.
    pub index: usize,
    pub endpoint: Endpoint,
    pub status: Status,
    pub reason: Option<String>,
    /// The check of its snapshot, when it was audited.
    pub run: Option<CheckRun>,
}

/// How hosts are reached.
#[derive(Clone, Debug)]
pub enum Transport {
    /// The client inside netvet (the default): a few milliseconds of CPU a host.
    Native(native::Native),
    /// The system's OpenSSH client, a process a host (`--ssh-command`): for what only OpenSSH
    /// does (GSSAPI, smartcards, `Match exec`, `ProxyCommand`).
    OpenSsh(ssh::OpenSsh),
}

impl Transport {
    /// Run `command` on the host, within the transport's bounds.
    pub async fn run(&self, endpoint: &Endpoint, command: &str) -> ssh::Response {
        match self {
            Transport::Native(native) => native.run(endpoint, command).await,
            Transport::OpenSsh(openssh) => openssh.run(endpoint, command).await,
        }
    }
}

/// What the audit does, besides which hosts.
pub struct Options {
    pub transport: Transport,
    pub remote: Remote,
    /// `-j`: hosts at once.
    pub jobs: usize,
    /// Rules, severities, per-path ignores and policy (netvet.toml and the command line).
    pub config: Config,
    /// `--no-live`: check the files only.
    pub no_live: bool,
    /// `--save-snapshots DIR`: each audited host's snapshot, as `DIR/NAME.snap.tar`.
    pub save_snapshots: Option<PathBuf>,
}

/// Audit every host, `jobs` at once; `done` sees each result as its host finishes.
pub fn run(
    endpoints: &[Endpoint],
    options: &Options,
    mut done: impl FnMut(&HostResult),
) -> Vec<HostResult> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime needs no resources that can be missing");
    let command = options.remote.command();
    runtime.block_on(async {
        let mut results = Vec::with_capacity(endpoints.len());
        let mut stream = futures_util::stream::iter(endpoints.iter().enumerate())
            .map(|(index, endpoint)| audit_one(index, endpoint, options, &command))
            .buffer_unordered(options.jobs.max(1));
        while let Some(result) = stream.next().await {
            done(&result);
            results.push(result);
        }
        results.sort_by_key(|r| r.index);
        results
    })
}

async fn audit_one(
    index: usize,
    endpoint: &Endpoint,
    options: &Options,
    command: &str,
) -> HostResult {
    let fail = |status: Status, reason: String| HostResult {
        index,
        endpoint: endpoint.clone(),
        status,
        reason: Some(reason),
        run: None,
    };
    let refused = endpoint
        .error
        .clone()
        .or_else(|| ssh::refuse_name("host name", &endpoint.name))
        .or_else(|| {
            endpoint
                .address
                .as_deref()
                .and_then(|a| ssh::refuse_name("address", a))
        })
        .or_else(|| {
            endpoint
                .user
                .as_deref()
                .and_then(|u| ssh::refuse_name("user", u))
        });
    if let Some(why) = refused {
        return fail(Status::InventoryError, format!("not contacted: {why}"));
    }
    let (stdout, stderr, exit) = match options.transport.run(endpoint, command).await {
        ssh::Response::Failed { status, reason } => return fail(status, reason),
        ssh::Response::Done {
            stdout,
            stderr,
            exit,
        } => (stdout, stderr, exit),
    };
    let given = format!("{}:", endpoint.name);
    let snapshot = match &options.remote {
        Remote::Agentless => collect::read(&stdout, &given).map_err(|e| e.to_string()),
        Remote::Netvet(_) => Snapshot::read(&stdout[..], &given).map_err(|e| e.to_string()),
    };
    let snapshot = match snapshot {
        Ok(s) => s,
        Err(e) => {
            let exit = match exit {
                Some(0) => String::new(),
                Some(code) => format!(" (the command exited {code})"),
                None => " (the command was killed)".to_string(),
            };
            let said = ssh::classify(&String::from_utf8_lossy(&stderr)).1;
            return fail(
                Status::BadResponse,
                format!("not a host snapshot{exit}: {e}; the host said: {said}"),
            );
        }
    };
    // The host was audited either way: a snapshot that could not be saved is said, not a
    // status.
    let saved = match &options.save_snapshots {
        Some(dir) => save(dir, &endpoint.name, &snapshot).err(),
        None => None,
    };
    let live = if options.no_live {
        None
    } else {
        snapshot.manifest.live
    };
    let target = Target::bundle(snapshot.tree);
    let run = CheckRun::new(&target, live.as_ref(), &options.config);
    HostResult {
        index,
        endpoint: endpoint.clone(),
        status: Status::Ok,
        reason: saved,
        run: Some(run),
    }
}

/// Write `DIR/NAME.snap.tar` whole or not at all.
fn save(dir: &std::path::Path, name: &str, snapshot: &Snapshot) -> Result<(), String> {
    let bytes = snapshot
        .to_tar()
        .map_err(|e| format!("saving the snapshot: {e}"))?;
    // refuse_name keeps control characters and shell characters out; a name is a file name
    // only without `/`.
    if name.contains('/') || name == "." || name == ".." {
        return Err(format!(
            "saving the snapshot: the host name `{}` cannot be a file name",
            crate::diagnostic::escape(name)
        ));
    }
    let path = dir.join(format!("{name}.snap.tar"));
    let tmp = dir.join(format!(".{name}.snap.tar.tmp"));
    std::fs::write(&tmp, &bytes)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("saving the snapshot to {}: {e}", path.display())
        })
}
