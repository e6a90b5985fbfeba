//! Running one fixed command on a host with an SSH client inside netvet (russh on the audit's
//! tokio runtime), under the same bounds and with the same statuses as the OpenSSH process
//! transport (`ssh.rs`), so that hundreds of hosts cost a few milliseconds of controller CPU
//! each instead of a process each.
//!
//! The user's OpenSSH configuration decides where and as whom to connect (`sshconfig.rs`), the
//! inventory's port and user winning as `-p` and `-l` win for `ssh`. Host keys are checked
//! against the configuration's known_hosts files (`knownhosts.rs`) whatever
//! `StrictHostKeyChecking` says: an unknown, changed or revoked key is the host's failure, and
//! nothing is written. Keys come from the agent (unless `IdentitiesOnly`) and from unencrypted
//! `IdentityFile`s; an encrypted one is skipped, never prompted for. `ProxyJump` hops are
//! reached through direct-tcpip channels of the hop before, each checked and authenticated as
//! a host of its own. Nothing from the inventory reaches a shell: the remote command is the
//! caller's constant.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::PublicKeyOrCertificate;
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use russh::{ChannelMsg, Disconnect};

use super::ssh::Response;
use super::sshconfig::{self, HostConfig, Jump, Local, Overrides, Source};
use super::{Endpoint, Status, knownhosts};

/// The connect timeout when neither `--connect-timeout` nor `ConnectTimeout` sets one.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of the command's standard error kept to explain a failure.
const MAX_STDERR_BYTES: usize = 64 << 10;
/// A private key file larger than this is not read (an RSA 16384 key is about 12 KiB).
const MAX_KEY_BYTES: u64 = 256 << 10;
/// `ProxyJump` chains longer than this (through the jump hosts' own `ProxyJump`) are refused.
const MAX_JUMPS: usize = 8;

/// How to reach hosts with the client inside netvet.
#[derive(Clone, Debug)]
pub struct Native {
    /// `-F FILE`, or the user's and the system's configuration.
    pub config: Source,
    pub local: Local,
    /// `--connect-timeout`, when given: then it wins over the configuration's.
    pub connect_timeout: Option<Duration>,
    /// The bound on one host, connection included (`--timeout`).
    pub timeout: Duration,
    /// The most a host may send on standard output before it is cut off.
    pub max_bytes: u64,
}

/// Why a host could not be audited.
type Failure = (Status, String);

/// Checks the server's key during the key exchange, and keeps why it refused one.
struct Checker {
    files: Vec<PathBuf>,
    name: String,
    refused: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let why = match key {
            PublicKeyOrCertificate::Certificate(_) => Some(format!(
                "{} presented a host certificate; netvet's SSH client does not verify \
                 @cert-authority lines (use --ssh-command ssh)",
                self.name
            )),
            PublicKeyOrCertificate::PublicKey { key, .. } => self.verdict(key),
        };
        let accepted = why.is_none();
        if let Some(why) = why
            && let Ok(mut slot) = self.refused.lock()
        {
            *slot = Some(why);
        }
        Ok(accepted)
    }
}

impl Checker {
    /// `None` when known_hosts lists `key` for the host; else why not.
    fn verdict(&self, key: &PublicKey) -> Option<String> {
        let text = match key.to_openssh() {
            Ok(text) => text,
            Err(e) => return Some(format!("the host's key cannot be encoded: {e}")),
        };
        let mut parts = text.split_whitespace();
        let (Some(ktype), Some(kdata)) = (parts.next(), parts.next()) else {
            return Some("the host's key cannot be encoded".to_string());
        };
        let files: Vec<&Path> = self.files.iter().map(PathBuf::as_path).collect();
        let listed = || {
            self.files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match knownhosts::check(&files, &self.name, ktype, kdata) {
            Err(e) => Some(e),
            Ok(knownhosts::Verdict::Known) => None,
            Ok(knownhosts::Verdict::Revoked { file, line }) => Some(format!(
                "the {ktype} key of {} is marked @revoked in {file}:{line}",
                self.name
            )),
            Ok(knownhosts::Verdict::Changed { file, line }) => Some(format!(
                "the {ktype} key of {} is not the one known_hosts holds ({file}:{line}): \
                 the host key has changed, or this is not the host",
                self.name
            )),
            Ok(knownhosts::Verdict::CertAuthorityOnly) => Some(format!(
                "{} is known only through @cert-authority, which netvet's SSH client does not \
                 verify (use --ssh-command ssh)",
                self.name
            )),
            Ok(knownhosts::Verdict::Unknown) => Some(format!(
                "no host key is known for {} in {} (netvet never adds one: ssh-keyscan it \
                 and check it)",
                self.name,
                listed()
            )),
        }
    }
}

/// A connected, authenticated host, with the hops it is reached through kept open.
struct Session {
    handle: Handle<Checker>,
    _hops: Vec<Handle<Checker>>,
}

/// What carries a connection: a TCP socket, or a channel of the hop before.
enum Carrier<'a> {
    Tcp,
    Through(&'a Handle<Checker>),
}

impl Native {
    /// Run `command` on the host, within the bounds.
    pub async fn run(&self, endpoint: &Endpoint, command: &str) -> Response {
        let work = async {
            let config = self.resolve(endpoint)?;
            let session = self.connect(&config, 0).await?;
            self.exec(&session.handle, &config, command).await
        };
        let result = match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Err((
                Status::Timeout,
                format!(
                    "no complete answer within {} s (--timeout)",
                    self.timeout.as_secs()
                ),
            )),
            Ok(result) => result,
        };
        match result {
            Ok(response) => response,
            Err((status, reason)) => Response::Failed {
                status,
                reason: crate::diagnostic::escape(&reason).into_owned(),
            },
        }
    }

    /// The host's configuration: the inventory's address (else its name) as OpenSSH's
    /// destination, its port and user as `-p` and `-l`.
    fn resolve(&self, endpoint: &Endpoint) -> Result<HostConfig, Failure> {
        let destination = endpoint.destination();
        let (user, host) = match destination.rsplit_once('@') {
            Some((user, host)) => (Some(user.to_string()), host),
            None => (None, destination),
        };
        let overrides = Overrides {
            port: endpoint.port,
            user: endpoint.user.clone().or(user),
            proxy_jump: None,
        };
        sshconfig::resolve(&self.config, &self.local, host, &overrides)
            .map_err(|e| (Status::Unreachable, format!("not contacted: {e}")))
    }

    fn connect_timeout(&self, config: &HostConfig) -> Duration {
        self.connect_timeout
            .or(config.connect_timeout)
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    /// Connect and authenticate to `config`'s host, through its jump hosts.
    fn connect<'a>(
        &'a self,
        config: &'a HostConfig,
        depth: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Session, Failure>> + Send + 'a>> {
        Box::pin(async move {
            let Some((first, rest)) = config.proxy_jump.split_first() else {
                let handle = self.open(config, Carrier::Tcp).await?;
                return Ok(Session {
                    handle,
                    _hops: Vec::new(),
                });
            };
            if depth >= MAX_JUMPS {
                return Err((
                    Status::Unreachable,
                    format!(
                        "more than {MAX_JUMPS} ProxyJump hops to {}",
                        config.hostname
                    ),
                ));
            }
            // The first hop as `ssh` reaches it (its own ProxyJump included), the next ones
            // through it, as `ssh -J a,b` does.
            let first = self.resolve_jump(first, None)?;
            let mut session = Box::pin(self.connect(&first, depth + 1)).await?;
            for hop in rest {
                let hop = self.resolve_jump(hop, Some(Vec::new()))?;
                let next = self.open(&hop, Carrier::Through(&session.handle)).await?;
                let previous = std::mem::replace(&mut session.handle, next);
                session._hops.push(previous);
            }
            let target = self.open(config, Carrier::Through(&session.handle)).await?;
            let previous = std::mem::replace(&mut session.handle, target);
            session._hops.push(previous);
            Ok(session)
        })
    }

    fn resolve_jump(
        &self,
        jump: &Jump,
        proxy_jump: Option<Vec<Jump>>,
    ) -> Result<HostConfig, Failure> {
        let overrides = Overrides {
            port: jump.port,
            user: jump.user.clone(),
            proxy_jump,
        };
        sshconfig::resolve(&self.config, &self.local, &jump.host, &overrides).map_err(|e| {
            (
                Status::Unreachable,
                format!("not contacted: jump host {}: {e}", jump.host),
            )
        })
    }

    /// One hop: transport, banner and key exchange within the connect timeout, then
    /// authentication.
    async fn open(
        &self,
        config: &HostConfig,
        carrier: Carrier<'_>,
    ) -> Result<Handle<Checker>, Failure> {
        let at = format!("{} port {}", config.hostname, config.port);
        let name = knownhosts::lookup_name(
            &config.hostname,
            config.port,
            config.host_key_alias.as_deref(),
        );
        let refused = Arc::new(Mutex::new(None));
        let checker = Checker {
            files: config
                .user_known_hosts
                .iter()
                .chain(&config.global_known_hosts)
                .cloned()
                .collect(),
            name,
            refused: Arc::clone(&refused),
        };
        let client_config = Arc::new(client::Config {
            nodelay: true,
            ..client::Config::default()
        });
        let timeout = self.connect_timeout(config);
        let connecting = async {
            match carrier {
                Carrier::Tcp => {
                    let socket = tcp_connect(&config.hostname, config.port).await?;
                    client::connect_stream(client_config, socket, checker).await
                }
                Carrier::Through(hop) => {
                    let channel = hop
                        .channel_open_direct_tcpip(
                            config.hostname.clone(),
                            u32::from(config.port),
                            "127.0.0.1",
                            0,
                        )
                        .await?;
                    client::connect_stream(client_config, channel.into_stream(), checker).await
                }
            }
        };
        let mut handle = match tokio::time::timeout(timeout, connecting).await {
            Err(_) => {
                return Err((
                    Status::Timeout,
                    format!(
                        "connection to {at} timed out after {} s (TCP connect, SSH banner and \
                         key exchange: --connect-timeout or ConnectTimeout)",
                        timeout.as_secs()
                    ),
                ));
            }
            Ok(Err(russh::Error::UnknownKey)) => {
                let why = refused
                    .lock()
                    .ok()
                    .and_then(|mut slot| slot.take())
                    .unwrap_or_else(|| "the host key was refused".to_string());
                return Err((
                    Status::HostKeyMismatch,
                    format!("host key verification failed: {why}"),
                ));
            }
            Ok(Err(russh::Error::IO(e))) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Err((Status::Timeout, format!("connect to host {at}: {e}")));
            }
            Ok(Err(e)) => return Err((Status::Unreachable, format!("connect to host {at}: {e}"))),
            Ok(Ok(handle)) => handle,
        };
        self.authenticate(&mut handle, config).await?;
        Ok(handle)
    }

    /// Offer the agent's keys (unless `IdentitiesOnly`, then only those of the identity
    /// files) and the unencrypted identity files, as OpenSSH does, until one is accepted.
    async fn authenticate(
        &self,
        handle: &mut Handle<Checker>,
        config: &HostConfig,
    ) -> Result<(), Failure> {
        let who = format!("{}@{}", config.user, config.hostname);
        let denied = |notes: &[String]| {
            let mut reason = format!("{who}: permission denied (publickey)");
            for note in notes {
                reason.push_str("; ");
                reason.push_str(note);
            }
            (Status::AuthFailed, reason)
        };
        let lost = |e: russh::Error| (Status::Unreachable, format!("{who}: authentication: {e}"));
        let mut notes = Vec::new();
        let mut agent = match &config.identity_agent {
            Some(path) => match AgentClient::connect_uds(path).await {
                Ok(agent) => Some(agent),
                Err(e) => {
                    notes.push(format!(
                        "the agent at {} did not answer: {e}",
                        path.display()
                    ));
                    None
                }
            },
            None => None,
        };
        let mut agent_keys: Vec<PublicKey> = Vec::new();
        if let Some(client) = agent.as_mut() {
            match client.request_identities().await {
                Ok(ids) => agent_keys.extend(ids.into_iter().filter_map(|id| match id {
                    AgentIdentity::PublicKey { key, .. } => Some(key),
                    AgentIdentity::Certificate { .. } => None,
                })),
                Err(e) => notes.push(format!("the agent did not list its keys: {e}")),
            }
        }
        // The identity files' public halves (FILE.pub, else the private key), so that a key
        // the agent holds is used through the agent.
        let mut files: Vec<(PathBuf, Option<PrivateKey>, Option<PublicKey>)> = Vec::new();
        for path in &config.identity_files {
            let public =
                read_small(&public_half(path)).and_then(|text| PublicKey::from_openssh(&text).ok());
            match read_small(path) {
                None => {
                    if public.is_some() {
                        files.push((path.clone(), None, public));
                    }
                }
                Some(text) => match russh::keys::decode_secret_key(&text, None) {
                    Ok(key) => {
                        let public = Some(key.public_key().clone());
                        files.push((path.clone(), Some(key), public));
                    }
                    Err(russh::keys::Error::KeyIsEncrypted) => {
                        notes.push(format!(
                            "{} is encrypted and was skipped (netvet never asks for a \
                             passphrase: add it to ssh-agent)",
                            path.display()
                        ));
                        files.push((path.clone(), None, public));
                    }
                    Err(e) => notes.push(format!("{} is not a usable key: {e}", path.display())),
                },
            }
        }
        let rsa_hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(lost)?
            .flatten();
        let hash_for = |key: &PublicKey| {
            matches!(key.algorithm(), russh::keys::Algorithm::Rsa { .. })
                .then_some(rsa_hash)
                .flatten()
        };
        let mut tried: Vec<PublicKey> = Vec::new();
        // Through the agent: every agent key, or with IdentitiesOnly those of the files.
        if let Some(client) = agent.as_mut() {
            let wanted: Vec<&PublicKey> = agent_keys
                .iter()
                .filter(|k| {
                    !config.identities_only || files.iter().any(|(_, _, p)| p.as_ref() == Some(*k))
                })
                .collect();
            for key in wanted {
                tried.push(key.clone());
                match handle
                    .authenticate_publickey_with(&config.user, key.clone(), hash_for(key), client)
                    .await
                {
                    Ok(result) if result.success() => return Ok(()),
                    Ok(_) => {}
                    Err(e) => notes.push(format!("the agent could not sign: {e}")),
                }
            }
        }
        for (_, private, _) in files {
            let Some(private) = private else { continue };
            if tried.contains(private.public_key()) {
                continue;
            }
            let hash = hash_for(private.public_key());
            let key = PrivateKeyWithHashAlg::new(Arc::new(private), hash);
            match handle.authenticate_publickey(&config.user, key).await {
                Ok(result) if result.success() => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(lost(e)),
            }
        }
        if tried.is_empty() && !notes.iter().any(|n| n.contains("encrypted")) {
            notes.push("no key to offer (no agent key and no readable IdentityFile)".to_string());
        }
        Err(denied(&notes))
    }

    /// Run the command on an open session, keeping at most `max_bytes` of its output.
    async fn exec(
        &self,
        handle: &Handle<Checker>,
        config: &HostConfig,
        command: &str,
    ) -> Result<Response, Failure> {
        let lost = |e: russh::Error| {
            (
                Status::Unreachable,
                format!("{}: the session ended: {e}", config.hostname),
            )
        };
        let mut channel = handle.channel_open_session().await.map_err(lost)?;
        channel.exec(true, command).await.map_err(lost)?;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut exit = None;
        while let Some(message) = channel.wait().await {
            match message {
                ChannelMsg::Data { data } => {
                    if stdout.len() as u64 + data.len() as u64 > self.max_bytes {
                        return Err((
                            Status::TooLarge,
                            format!(
                                "sent more than {} MiB; cut off (the per-host limit)",
                                self.max_bytes >> 20
                            ),
                        ));
                    }
                    stdout.extend_from_slice(&data);
                }
                ChannelMsg::ExtendedData { data, ext: 1 } => {
                    let room = MAX_STDERR_BYTES.saturating_sub(stderr.len());
                    stderr.extend_from_slice(&data[..data.len().min(room)]);
                }
                ChannelMsg::ExitStatus { exit_status } => {
                    exit = Some(i32::try_from(exit_status).unwrap_or(i32::MAX));
                }
                ChannelMsg::Failure => {
                    return Err((
                        Status::BadResponse,
                        format!("{}: the host refused to run the command", config.hostname),
                    ));
                }
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        let _ = handle.disconnect(Disconnect::ByApplication, "", "en").await;
        Ok(Response::Done {
            stdout,
            stderr,
            exit,
        })
    }
}

/// A TCP connection to the first address of `host` that answers, as OpenSSH tries them.
async fn tcp_connect(host: &str, port: u16) -> Result<tokio::net::TcpStream, russh::Error> {
    let addresses: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| {
            russh::Error::IO(std::io::Error::new(
                e.kind(),
                format!("could not resolve hostname {host}: {e}"),
            ))
        })?
        .collect();
    let mut last = std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("could not resolve hostname {host}: no address"),
    );
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(socket) => {
                let _ = socket.set_nodelay(true);
                return Ok(socket);
            }
            Err(e) => last = e,
        }
    }
    Err(russh::Error::IO(last))
}

/// A key file's text, when it is there and small.
fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_KEY_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// `FILE.pub`, as OpenSSH names a key's public half (`id_ed25519` → `id_ed25519.pub`).
fn public_half(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}
