//! Running one fixed command on a host through the system's OpenSSH client (`--ssh-command`),
//! under netvet's bounds, and telling why it failed.
//!
//! The client is asked never to prompt (`BatchMode`) and always to check the host key against
//! known_hosts (`StrictHostKeyChecking yes`, which no configuration file can relax: options on
//! the command line win over every file). Everything else is the user's OpenSSH configuration,
//! read by OpenSSH itself: netvet names the host as the inventory gives it and adds only the
//! port, user and address the inventory sets. The default connect timeout is a last `Host *`
//! block in a generated configuration that includes the user's first, so a `ConnectTimeout`
//! the user set for a host still wins (OpenSSH keeps the first value it reads).
//!
//! Nothing from the inventory reaches a shell: the remote command is a constant, the host, user
//! and port travel as separate arguments after `--`, and names that OpenSSH could read as an
//! option are refused before a process is started.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::{Endpoint, Status};

/// What a run of the remote command gave.
#[derive(Debug)]
pub enum Response {
    /// The command ran to its end: its standard output, the start of its standard error, and
    /// its exit status (`None`: killed by a signal).
    Done {
        stdout: Vec<u8>,
        stderr: Vec<u8>,
        exit: Option<i32>,
    },
    /// The host could not be audited.
    Failed { status: Status, reason: String },
}

/// How to reach hosts with the system's OpenSSH client.
#[derive(Clone, Debug)]
pub struct OpenSsh {
    /// The client program (`ssh`).
    pub program: PathBuf,
    /// The generated configuration (`-F`): the user's, then netvet's defaults.
    pub config: PathBuf,
    /// `--connect-timeout`, when given: then it wins over the configuration's.
    pub connect_timeout: Option<Duration>,
    /// The bound on one host, connection included (`--timeout`).
    pub timeout: Duration,
    /// The most a host may send on standard output before it is cut off.
    pub max_bytes: u64,
}

/// The most of a client's standard error kept to explain a failure.
const MAX_STDERR_BYTES: u64 = 64 << 10;

/// The generated configuration: the user's file (`-F FILE`, or `~/.ssh/config` and the system's
/// `/etc/ssh/ssh_config`, as OpenSSH reads them without `-F`), then netvet's defaults.
pub fn config_text(
    user_config: Option<&Path>,
    home: Option<&Path>,
    connect_timeout: Duration,
) -> String {
    let mut out = String::from("# written by netvet audit for this run\n");
    match user_config {
        Some(file) => out.push_str(&format!("Include \"{}\"\n", file.display())),
        None => {
            if let Some(home) = home {
                out.push_str(&format!(
                    "Include \"{}\"\n",
                    home.join(".ssh/config").display()
                ));
            }
            out.push_str("Include /etc/ssh/ssh_config\n");
        }
    }
    out.push_str(&format!(
        "Host *\n    ConnectTimeout {}\n",
        connect_timeout.as_secs().max(1)
    ));
    out
}

/// Why a name cannot be handed to OpenSSH: it would read as an option, or it holds characters
/// no host name, user or address has.
pub fn refuse_name(what: &str, name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(format!("the {what} is empty"));
    }
    if name.starts_with('-') {
        return Some(format!(
            "the {what} `{}` starts with `-`, which OpenSSH would read as an option",
            crate::diagnostic::escape(name)
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "'\"`$;&|<>\\".contains(c))
    {
        return Some(format!(
            "the {what} `{}` holds a character no host name or user name has",
            crate::diagnostic::escape(name)
        ));
    }
    None
}

impl OpenSsh {
    /// The client's arguments for one host, the remote command last.
    pub fn args(&self, endpoint: &Endpoint, command: &str) -> Vec<String> {
        let mut args = vec![
            "-F".to_string(),
            self.config.display().to_string(),
            "-T".to_string(),
            "-o".to_string(),
            "BatchMode=yes".to_string(),
            "-o".to_string(),
            "StrictHostKeyChecking=yes".to_string(),
            "-o".to_string(),
            // A key OpenSSH learns for a host during the audit is not written anywhere.
            "UpdateHostKeys=no".to_string(),
            "-o".to_string(),
            "LogLevel=ERROR".to_string(),
        ];
        if let Some(t) = self.connect_timeout {
            args.push("-o".to_string());
            args.push(format!("ConnectTimeout={}", t.as_secs().max(1)));
        }
        if let Some(port) = endpoint.port {
            args.push("-p".to_string());
            args.push(port.to_string());
        }
        if let Some(user) = &endpoint.user {
            args.push("-l".to_string());
            args.push(user.clone());
        }
        args.push("--".to_string());
        // As Ansible's ssh connection does: the address when the inventory sets one (so
        // known_hosts and `Host` patterns see the address), else the inventory name.
        args.push(endpoint.destination().to_string());
        args.push(command.to_string());
        args
    }

    /// Run `command` on the host, within the bounds.
    pub async fn run(&self, endpoint: &Endpoint, command: &str) -> Response {
        let mut child = match tokio::process::Command::new(&self.program)
            .args(self.args(endpoint, command))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                return Response::Failed {
                    status: Status::Unreachable,
                    reason: format!("could not start {}: {e}", self.program.display()),
                };
            }
        };
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let work = async {
            let (out, err) = tokio::join!(
                async {
                    let out = read_bounded(stdout, self.max_bytes, false).await;
                    if matches!(out, Ok((_, true))) {
                        // cut off: the client goes, and its standard error ends with it
                        let _ = child.start_kill();
                    }
                    out
                },
                read_bounded(stderr, MAX_STDERR_BYTES, true)
            );
            let status = child.wait().await;
            (out, err, status)
        };
        match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Response::Failed {
                status: Status::Timeout,
                reason: format!(
                    "no complete answer within {} s (--timeout)",
                    self.timeout.as_secs()
                ),
            },
            Ok((Err(e), _, _)) => Response::Failed {
                status: Status::BadResponse,
                reason: format!("reading the answer: {e}"),
            },
            Ok((Ok((_, true)), _, _)) => Response::Failed {
                status: Status::TooLarge,
                reason: format!(
                    "sent more than {} MiB; cut off (the per-host limit)",
                    self.max_bytes >> 20
                ),
            },
            Ok((Ok((stdout, false)), stderr, status)) => {
                let stderr = stderr.map(|(b, _)| b).unwrap_or_default();
                let exit = status.ok().and_then(|s| s.code());
                // 255 is the client's own failure; a command cannot be told from it only
                // when it prints nothing and exits 255 itself, which the collector never does.
                if stdout.is_empty() && matches!(exit, Some(255) | None) {
                    let (status, reason) = classify(&String::from_utf8_lossy(&stderr));
                    return Response::Failed { status, reason };
                }
                Response::Done {
                    stdout,
                    stderr,
                    exit,
                }
            }
        }
    }
}

/// Read to the end, keeping at most `max` bytes; `true` when there was more. With `drain`, the
/// rest is read and dropped (so a chatty client never blocks on a full pipe); without, reading
/// stops at the bound.
async fn read_bounded(
    mut reader: impl AsyncRead + Unpin,
    max: u64,
    drain: bool,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok((out, false));
        }
        if out.len() as u64 + n as u64 > max {
            if drain {
                while reader.read(&mut chunk).await? > 0 {}
            }
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// The status a failed OpenSSH client's message means, and the message itself (its last
/// lines, escaped) as the reason.
pub fn classify(stderr: &str) -> (Status, String) {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("@@@"))
        .collect();
    let reason = {
        let tail = lines
            .iter()
            .rev()
            .take(2)
            .rev()
            .copied()
            .collect::<Vec<_>>();
        let text = if tail.is_empty() {
            "the SSH client failed without saying why".to_string()
        } else {
            tail.join(" ")
        };
        crate::diagnostic::escape(&text).into_owned()
    };
    let has = |needle: &str| stderr.contains(needle);
    let status = if has("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || has("Host key verification failed")
        || has("host key is known for")
        || has("No matching host key")
        || has("Host key for ")
    {
        Status::HostKeyMismatch
    } else if has("Permission denied") || has("Too many authentication failures") {
        Status::AuthFailed
    } else if has("timed out") || has("Connection timed out") {
        Status::Timeout
    } else {
        Status::Unreachable
    };
    (status, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssh_messages_map_to_statuses() {
        let cases = [
            (
                "@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n",
                Status::HostKeyMismatch,
            ),
            (
                "No ED25519 host key is known for web1 and you have requested strict checking.\nHost key verification failed.\n",
                Status::HostKeyMismatch,
            ),
            (
                "nobody@198.18.0.2: Permission denied (publickey).\n",
                Status::AuthFailed,
            ),
            (
                "Connection timed out during banner exchange\nConnection to 198.18.0.5 port 22 timed out\n",
                Status::Timeout,
            ),
            (
                "ssh: connect to host 198.18.0.3 port 22: Connection timed out\n",
                Status::Timeout,
            ),
            (
                "ssh: connect to host 198.18.0.3 port 22: Connection refused\n",
                Status::Unreachable,
            ),
            (
                "ssh: Could not resolve hostname nowhere: Name or service not known\n",
                Status::Unreachable,
            ),
        ];
        for (stderr, want) in cases {
            let (got, reason) = classify(stderr);
            assert_eq!(got, want, "{stderr}");
            assert!(!reason.is_empty() && !reason.contains("@@@"), "{reason}");
        }
    }

    #[test]
    fn names_that_read_as_options_or_shell_are_refused() {
        for bad in [
            "-oProxyCommand=sh",
            "",
            "a b",
            "a;b",
            "a\nb",
            "$(x)",
            "a`b`",
        ] {
            assert!(refuse_name("host name", bad).is_some(), "{bad:?}");
        }
        for good in [
            "web1",
            "web1.example.com",
            "198.18.0.2",
            "fd00::2",
            "deploy_user",
        ] {
            assert_eq!(refuse_name("host name", good), None, "{good:?}");
        }
    }

    #[test]
    fn the_users_configuration_comes_before_the_default_timeout() {
        let text = config_text(None, Some(Path::new("/home/op")), Duration::from_secs(10));
        let user = text.find("/home/op/.ssh/config").unwrap();
        let system = text.find("/etc/ssh/ssh_config").unwrap();
        let default = text.find("ConnectTimeout 10").unwrap();
        assert!(user < system && system < default, "{text}");
        let text = config_text(Some(Path::new("/tmp/f")), None, Duration::from_secs(3));
        assert!(text.contains("Include \"/tmp/f\"") && !text.contains("/etc/ssh/ssh_config"));
        assert!(text.contains("ConnectTimeout 3"));
    }
}
