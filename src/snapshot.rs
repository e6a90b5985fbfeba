//! A host snapshot: everything netvet checks on a host, in one versioned file
//! (`docs/snapshot-format.md`), so the host can be checked later, elsewhere, offline, with the
//! same rules and the same findings.
//!
//! A snapshot is a tar archive of the files the loaders read (recorded by
//! [`Recorder`](crate::load::Recorder): exactly the answers a check got, absent paths and
//! links included) plus one manifest at [`MANIFEST`], a path no loader reads, holding the
//! format's name and version, who took it and when, the live state, and the files it names
//! without holding.
//!
//! Reading one treats the whole file as hostile: the archive through [`Bundle::from_tar`]'s
//! bounds, the manifest refused unless it is a regular file of at most [`MAX_MANIFEST_BYTES`]
//! naming this format and a version this netvet reads.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::live::{LIVE_SCHEMA_VERSION, LiveState};
use crate::load::bundle::BundleError;
use crate::load::{self, Bundle, HostFs, NotHeld, Recorder, Root, Target};

/// The `format` every manifest names.
pub const FORMAT: &str = "netvet-snapshot";
/// The version of the snapshot format this netvet writes and reads. Fields are only added
/// within a version; a reader refuses any other.
pub const VERSION: u32 = 1;
/// Where the manifest is in the archive (relative, as tar holds it).
pub const MANIFEST: &str = ".netvet/snapshot.json";
/// The largest manifest read: the live state of a host with thousands of links and sockets is
/// a few megabytes.
pub const MAX_MANIFEST_BYTES: u64 = load::MAX_FILE_BYTES;

/// The manifest, `.netvet/snapshot.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The netvet that took it (`0.1.0`).
    pub netvet: String,
    /// The host's name (the kernel's), when the running system was recorded.
    pub hostname: Option<String>,
    /// When it was taken, UTC, RFC 3339 (`2026-12-04T22:50:00Z`).
    pub taken_at: Option<String>,
    /// The tree recorded: `/`, or the `--root` directory as given.
    pub root: String,
    /// The running kernel's state (`docs/live-schema.md`), or null when not recorded.
    pub live: Option<LiveState>,
    /// Paths the archive names without holding their contents, and why.
    #[serde(default)]
    pub not_held: Vec<NotHeldEntry>,
}

impl Manifest {
    /// The manifest of a snapshot this netvet takes now: this format and version, this
    /// netvet's version, the current time.
    pub fn now(
        hostname: Option<String>,
        root: String,
        live: Option<LiveState>,
        not_held: Vec<NotHeldEntry>,
    ) -> Self {
        Manifest {
            format: FORMAT.to_string(),
            version: VERSION,
            netvet: env!("CARGO_PKG_VERSION").to_string(),
            hostname,
            taken_at: Some(rfc3339_now()),
            root,
            live,
            not_held,
        }
    }
}

/// One path the archive holds as an empty entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotHeldEntry {
    /// The host path (`/etc/ssh/ssh_host_ed25519_key`).
    pub path: String,
    #[serde(flatten)]
    pub why: NotHeld,
}

/// Why a snapshot could not be taken or read.
#[derive(Debug)]
pub enum SnapshotError {
    /// The archive is not a tar this netvet reads, or breaks its bounds.
    Archive(BundleError),
    /// The archive has no manifest: a tar of a tree, not a snapshot.
    NoManifest,
    /// The manifest is there but is not a regular file (a link, a FIFO, a directory), or is too
    /// large.
    BadManifest(String),
    /// The manifest names another format, or a version this netvet does not read.
    Unsupported(String),
    /// Writing failed.
    Io(io::Error),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::Archive(e) => write!(f, "not a readable snapshot archive: {e}"),
            SnapshotError::NoManifest => write!(
                f,
                "no {MANIFEST}: not a netvet snapshot (a tar archive of a host tree is checked \
                 with `netvet check FILE.tar`)"
            ),
            SnapshotError::BadManifest(why) => write!(f, "{MANIFEST}: {why}"),
            SnapshotError::Unsupported(why) => write!(f, "{MANIFEST}: {why}"),
            SnapshotError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// A host taken: the recorded tree and its manifest.
#[derive(Debug)]
pub struct Snapshot {
    pub tree: Bundle,
    pub manifest: Manifest,
}

impl Snapshot {
    /// Record the tree under `root` as a check of it reads it, with `live` (the running
    /// kernel's state, read by the caller) and the host's name.
    pub fn take(
        root: Root,
        live: Option<LiveState>,
        hostname: Option<String>,
    ) -> Result<(Snapshot, load::Host), SnapshotError> {
        let shown = root.label();
        let recorder = Arc::new(Recorder::new(root, "snapshot"));
        let host = load::load(&Target::Tree(recorder.clone()));
        let recorder = Arc::into_inner(recorder).expect("the load keeps no reference");
        let tree = recorder.into_bundle().map_err(SnapshotError::Archive)?;
        let not_held = not_held_entries(&tree);
        let manifest = Manifest::now(hostname, shown, live, not_held);
        Ok((Snapshot { tree, manifest }, host))
    }

    /// The snapshot as a tar archive: the manifest first, then the tree, parents first.
    pub fn to_tar(&self) -> Result<Vec<u8>, SnapshotError> {
        let mut tree = self.tree.clone();
        // Entries whose names could not go in the manifest are left out (see `take`).
        for (path, _) in tree.not_held() {
            if path.to_str().is_none() {
                tree.remove(&path);
            }
        }
        // The manifest's account of what is not held is the tree's own, whatever it was given.
        let manifest = Manifest {
            not_held: not_held_entries(&tree),
            ..self.manifest.clone()
        };
        let mut builder = tar::Builder::new(Vec::new());
        let json = serde_json::to_string_pretty(&manifest).expect("plain data") + "\n";
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_mode(0o755);
        dir.set_size(0);
        dir.set_mtime(0);
        builder
            .append_data(&mut dir, ".netvet", io::empty())
            .map_err(SnapshotError::Io)?;
        let mut file = tar::Header::new_gnu();
        file.set_entry_type(tar::EntryType::Regular);
        file.set_mode(0o644);
        file.set_size(json.len() as u64);
        file.set_mtime(0);
        builder
            .append_data(&mut file, MANIFEST, json.as_bytes())
            .map_err(SnapshotError::Io)?;
        tree.append_to_tar(&mut builder)
            .map_err(SnapshotError::Io)?;
        builder.into_inner().map_err(SnapshotError::Io)
    }

    /// Read a snapshot archive, its files shown under `given` (the path the user named).
    pub fn read(reader: impl io::Read, given: impl Into<PathBuf>) -> Result<Self, SnapshotError> {
        let mut tree = Bundle::from_tar(reader, given).map_err(SnapshotError::Archive)?;
        let manifest_path = Path::new("/").join(MANIFEST);
        for link in [Path::new("/.netvet"), manifest_path.as_path()] {
            if tree.is_symlink(link) {
                return Err(SnapshotError::BadManifest(format!(
                    "{} is a symbolic link; a snapshot's manifest is a regular file",
                    link.display()
                )));
            }
        }
        let bytes = match tree.read(&manifest_path, MAX_MANIFEST_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(SnapshotError::NoManifest);
            }
            Err(e) if e.raw_os_error() == Some(20) => return Err(SnapshotError::NoManifest),
            Err(e) => return Err(SnapshotError::BadManifest(e.to_string())),
        };
        let manifest = parse_manifest(&bytes)?;
        tree.remove("/.netvet");
        for entry in &manifest.not_held {
            tree.set_not_held(Path::new(&entry.path), &entry.why)
                .map_err(|_| {
                    SnapshotError::BadManifest(format!(
                        "not_held names {}, which the archive does not hold as an empty entry",
                        entry.path
                    ))
                })?;
        }
        Ok(Snapshot { tree, manifest })
    }
}

/// What a tree names without holding, for its manifest. A name that is not UTF-8 cannot be
/// written in JSON: such a file stays out of the snapshot (`to_tar` leaves it out) rather than
/// go in as an entry that would read as empty.
fn not_held_entries(tree: &Bundle) -> Vec<NotHeldEntry> {
    tree.not_held()
        .into_iter()
        .filter_map(|(path, why)| {
            Some(NotHeldEntry {
                path: path.to_str()?.to_string(),
                why,
            })
        })
        .collect()
}

/// The manifest, checked in the order that gives the clearest refusal: JSON, then the format's
/// name, then its version, then the rest.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, SnapshotError> {
    let bad = |why: String| SnapshotError::BadManifest(why);
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let format = value.get("format").and_then(|f| f.as_str());
    if format != Some(FORMAT) {
        return Err(SnapshotError::Unsupported(format!(
            "format {} is not `{FORMAT}`: not a netvet snapshot",
            value
                .get("format")
                .map_or("(missing)".to_string(), |f| short(&f.to_string()))
        )));
    }
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(VERSION)) {
        return Err(SnapshotError::Unsupported(format!(
            "snapshot format version {} is not supported (this netvet reads version {VERSION}; \
             a newer netvet may read it)",
            value
                .get("version")
                .map_or("(missing)".to_string(), |v| short(&v.to_string()))
        )));
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| bad(format!("not a snapshot manifest: {e}")))?;
    if let Some(live) = &manifest.live
        && live.version != LIVE_SCHEMA_VERSION
    {
        return Err(SnapshotError::Unsupported(format!(
            "its live state is version {} (this netvet reads version {LIVE_SCHEMA_VERSION})",
            live.version
        )));
    }
    Ok(manifest)
}

/// A value from a hostile manifest, cut short for an error message.
fn short(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// Now, UTC, as RFC 3339 to the second.
fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (Howard Hinnant's civil_from_days).
pub(crate) fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: VERSION,
            netvet: "0.1.0".into(),
            hostname: None,
            taken_at: None,
            root: "/".into(),
            live: None,
            not_held: Vec::new(),
        }
    }

    #[test]
    fn files_not_held_fail_offline_as_they_failed_on_the_host() {
        let mut tree = Bundle::new("host");
        tree.add_file("etc/network/interfaces", "auto lo\n")
            .unwrap();
        tree.add_unread("etc/sysctl.d/README").unwrap();
        tree.add_unread("etc/nginx/secret.conf").unwrap();
        tree.set_os_error("etc/nginx/secret.conf", 13).unwrap();
        tree.add_dir("etc/modprobe.d").unwrap();
        tree.set_os_error("etc/modprobe.d", 13).unwrap();
        tree.add_large_file("etc/sysctl.conf", 1 << 30).unwrap();
        let snap = Snapshot {
            tree,
            manifest: manifest(),
        };
        let bytes = snap.to_tar().unwrap();
        let back = Snapshot::read(bytes.as_slice(), "s.tar").unwrap();
        let whys: Vec<String> = back
            .manifest
            .not_held
            .iter()
            .map(|n| format!("{} {:?}", n.path, n.why))
            .collect();
        assert_eq!(
            whys,
            [
                "/etc/modprobe.d OsError { errno: 13 }",
                "/etc/nginx/secret.conf OsError { errno: 13 }",
                "/etc/sysctl.conf TooLarge",
                "/etc/sysctl.d/README Unread",
            ]
        );
        let t = &back.tree;
        let read = |p: &str| t.read(Path::new(p), MAX_MANIFEST_BYTES);
        assert_eq!(read("/etc/network/interfaces").unwrap(), b"auto lo\n");
        let err = read("/etc/sysctl.d/README").unwrap_err().to_string();
        assert!(err.starts_with("not in the snapshot"), "{err}");
        assert_eq!(
            read("/etc/nginx/secret.conf").unwrap_err().raw_os_error(),
            Some(13)
        );
        let err = read("/etc/sysctl.conf").unwrap_err();
        assert!(err.to_string().starts_with("larger than 16 MiB"), "{err}");
        let err = t.read_dir(Path::new("/etc/modprobe.d")).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(13));
        assert!(
            !t.exists(Path::new("/.netvet")),
            "the manifest is not part of the tree"
        );
        // The same tree always gives the same archive.
        assert_eq!(back_to_tar(back), bytes);
    }

    fn back_to_tar(snap: Snapshot) -> Vec<u8> {
        Snapshot {
            tree: snap.tree,
            manifest: manifest(),
        }
        .to_tar()
        .unwrap()
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_424_600), "2026-12-04T22:50:00Z");
    }

    #[test]
    fn a_manifest_of_another_format_or_version_is_refused() {
        let ok = r#"{"format":"netvet-snapshot","version":1,"netvet":"0.1.0","hostname":null,
            "taken_at":null,"root":"/","live":null}"#;
        assert!(parse_manifest(ok.as_bytes()).is_ok());
        let v2 = ok.replace("\"version\":1", "\"version\":2");
        let err = parse_manifest(v2.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("version 2 is not supported"), "{err}");
        let other = ok.replace("netvet-snapshot", "x");
        let err = parse_manifest(other.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("not a netvet snapshot"), "{err}");
        let deep = "[".repeat(100_000);
        assert!(parse_manifest(deep.as_bytes()).is_err());
        assert!(parse_manifest(b"\xff\xfe").is_err());
    }
}
