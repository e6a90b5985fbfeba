//! Checking a host's key against OpenSSH's known_hosts files, for the native client.
//!
//! Lines are `[marker] names key-type base64 [comment]`. Names are patterns (`*`, `?`, `!`),
//! `[host]:port` for a port other than 22, or a hashed name `|1|salt|hmac` (HMAC-SHA1 of the
//! name with the salt, what `HashKnownHosts yes` writes). `@revoked` marks a key that must be
//! refused wherever it is seen; `@cert-authority` lines trust a CA for host certificates, which
//! the native client does not verify: a host that is only known that way fails, and says so.
//! Nothing is ever written: an unknown key is the host's failure.

use std::path::Path;

use hmac::{KeyInit, Mac};

use super::sshconfig::pattern_list_matches;

/// A known_hosts file larger than this is refused.
const MAX_KNOWN_HOSTS_BYTES: u64 = 64 << 20;

/// What the files say about a host's key.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The key is listed for the host and not revoked.
    Known,
    /// The key is marked `@revoked`.
    Revoked { file: String, line: usize },
    /// Other keys are listed for the host, not this one.
    Changed { file: String, line: usize },
    /// Only a `@cert-authority` line names the host.
    CertAuthorityOnly,
    /// Nothing names the host.
    Unknown,
}

/// The name known_hosts lists a host under: `HostKeyAlias`, or the host name, as
/// `[name]:port` when the port is not 22.
pub fn lookup_name(hostname: &str, port: u16, alias: Option<&str>) -> String {
    match alias {
        Some(a) => a.to_string(),
        None if port == 22 => hostname.to_string(),
        None => format!("[{hostname}]:{port}"),
    }
}

/// Whether one entry's name field names `name`.
fn names_match(field: &str, name: &str) -> bool {
    if let Some(hashed) = field.strip_prefix("|1|") {
        let Some((salt, hash)) = hashed.split_once('|') else {
            return false;
        };
        let (Ok(salt), Ok(hash)) = (
            data_encoding::BASE64.decode(salt.as_bytes()),
            data_encoding::BASE64.decode(hash.as_bytes()),
        ) else {
            return false;
        };
        let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
            return false;
        };
        mac.update(name.as_bytes());
        return mac.verify_slice(&hash).is_ok();
    }
    pattern_list_matches([field], name, true)
}

/// Check `key` (`type base64`, as OpenSSH writes it) for `name` against `files`, in order;
/// a missing file is skipped, as OpenSSH skips it.
pub fn check(
    files: &[&Path],
    name: &str,
    key_type: &str,
    key_base64: &str,
) -> Result<Verdict, String> {
    let mut verdict = Verdict::Unknown;
    for file in files {
        let text = match read_bounded(file) {
            Ok(Some(text)) => text,
            Ok(None) => continue,
            Err(e) => return Err(e),
        };
        for (n, line) in text.lines().enumerate() {
            let mut fields = line.split_whitespace();
            let Some(mut first) = fields.next() else {
                continue;
            };
            if first.starts_with('#') {
                continue;
            }
            let marker = if first.starts_with('@') {
                let m = first;
                let Some(next) = fields.next() else { continue };
                first = next;
                Some(m)
            } else {
                None
            };
            let (Some(ktype), Some(kdata)) = (fields.next(), fields.next()) else {
                continue;
            };
            let same_key = ktype == key_type && kdata == key_base64;
            let place = || (file.display().to_string(), n + 1);
            match marker {
                // A revoked key is refused whatever names it is listed under.
                Some("@revoked") if same_key => {
                    let (file, line) = place();
                    return Ok(Verdict::Revoked { file, line });
                }
                Some("@revoked") => {}
                Some("@cert-authority") => {
                    if names_match(first, name) && verdict == Verdict::Unknown {
                        verdict = Verdict::CertAuthorityOnly;
                    }
                }
                Some(_) => {}
                None if !names_match(first, name) => {}
                None if same_key => {
                    if !matches!(verdict, Verdict::Known) {
                        verdict = Verdict::Known;
                    }
                }
                None => {
                    if matches!(verdict, Verdict::Unknown | Verdict::CertAuthorityOnly) {
                        let (file, line) = place();
                        verdict = Verdict::Changed { file, line };
                    }
                }
            }
        }
    }
    Ok(verdict)
}

fn read_bounded(file: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    let f = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading {}: {e}", file.display())),
    };
    let mut bytes = Vec::new();
    f.take(MAX_KNOWN_HOSTS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading {}: {e}", file.display()))?;
    if bytes.len() as u64 > MAX_KNOWN_HOSTS_BYTES {
        return Err(format!(
            "{}: larger than {} MiB, not a known_hosts file",
            file.display(),
            MAX_KNOWN_HOSTS_BYTES >> 20
        ));
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const OTHER: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIHbW7j0Xz4Zx4Y2zF3ZbZpVqvV6bR7Tn2pV1sZ0qY2Xk";

    fn check_text(text: &str, name: &str) -> Verdict {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        std::fs::write(&file, text).unwrap();
        check(
            &[&file, &dir.path().join("missing")],
            name,
            "ssh-ed25519",
            KEY,
        )
        .unwrap()
    }

    #[test]
    fn plain_pattern_and_port_entries() {
        assert_eq!(
            check_text(
                &format!("web1,198.18.0.11 ssh-ed25519 {KEY}\n"),
                "198.18.0.11"
            ),
            Verdict::Known
        );
        assert_eq!(
            check_text(
                &format!("*.example.com ssh-ed25519 {KEY}\n"),
                "a.example.com"
            ),
            Verdict::Known
        );
        assert_eq!(
            check_text(&format!("[web1]:2222 ssh-ed25519 {KEY}\n"), "[web1]:2222"),
            Verdict::Known
        );
        assert_eq!(
            check_text(&format!("web1 ssh-ed25519 {KEY}\n"), "[web1]:2222"),
            Verdict::Unknown
        );
        assert_eq!(lookup_name("web1", 2222, None), "[web1]:2222");
        assert_eq!(lookup_name("web1", 22, None), "web1");
        assert_eq!(lookup_name("web1", 2222, Some("alias")), "alias");
        assert_eq!(check_text("", "web1"), Verdict::Unknown);
        assert_eq!(
            check_text("# comment\n\ngarbage\n@revoked\n", "web1"),
            Verdict::Unknown
        );
    }

    #[test]
    fn a_changed_key_names_its_line_and_a_listed_key_wins_over_it() {
        let v = check_text(&format!("web1 ssh-ed25519 {OTHER}\n"), "web1");
        assert!(matches!(v, Verdict::Changed { line: 1, .. }), "{v:?}");
        let v = check_text(
            &format!("web1 ssh-ed25519 {OTHER}\nweb1 ssh-ed25519 {KEY}\n"),
            "web1",
        );
        assert_eq!(v, Verdict::Known);
    }

    #[test]
    fn revoked_keys_fail_wherever_they_are_listed() {
        let v = check_text(
            &format!("web1 ssh-ed25519 {KEY}\n@revoked * ssh-ed25519 {KEY}\n"),
            "web1",
        );
        assert!(matches!(v, Verdict::Revoked { line: 2, .. }), "{v:?}");
    }

    #[test]
    fn cert_authority_only_is_said() {
        let v = check_text(
            &format!("@cert-authority *.example.com ssh-ed25519 {OTHER}\n"),
            "a.example.com",
        );
        assert_eq!(v, Verdict::CertAuthorityOnly);
    }

    #[test]
    fn hashed_names_match_as_ssh_keygen_writes_them() {
        // `ssh-keygen -H` of "web1": salt and HMAC-SHA1 of the name under it.
        let salt = [7u8; 20];
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"web1");
        let hash = mac.finalize().into_bytes();
        let line = format!(
            "|1|{}|{} ssh-ed25519 {KEY}\n",
            data_encoding::BASE64.encode(&salt),
            data_encoding::BASE64.encode(&hash)
        );
        assert_eq!(check_text(&line, "web1"), Verdict::Known);
        assert_eq!(check_text(&line, "web2"), Verdict::Unknown);
        assert_eq!(
            check_text("|1|!!|!! ssh-ed25519 x\n", "web1"),
            Verdict::Unknown
        );
    }
}
