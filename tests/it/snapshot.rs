//! `netvet snapshot` and `netvet check --snapshot`: a host checked offline from its snapshot
//! finds what a check on the host finds (the same codes, messages, files read and not found),
//! only with its files named under the snapshot; and a snapshot is hostile input.

use std::path::Path;
use std::process::{Command, Output};

use netvet::CheckRun;
use netvet::load::{Root, Target};
use netvet::rules::Config;
use netvet::snapshot::Snapshot;

use crate::bundle_equivalence::{fixture_trees, write_tree_of_links};
use crate::support::{Netns, repo};

const NETVET: &str = env!("CARGO_BIN_EXE_netvet");

fn netvet(args: &[&str]) -> Output {
    Command::new(NETVET)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A JSON report with the name of what was checked (a tree, a snapshot) replaced by `<host>`,
/// wherever it appears: the target, every file's path, the notes.
fn normalised(report: &str, checked: &str) -> String {
    report.replace(checked, "<host>")
}

#[test]
fn every_fixture_checks_the_same_from_its_snapshot() {
    let trees = fixture_trees();
    assert!(
        !trees.is_empty() && trees.len() > 50,
        "{} trees",
        trees.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut differ = Vec::new();
    for tree in &trees {
        let tree = tree.to_str().unwrap();
        let snap = dir.path().join(format!("{}.tar", tree.replace('/', "_")));
        let snap = snap.to_str().unwrap();
        ok(&netvet(&[
            "snapshot",
            "--root",
            tree,
            "--no-live",
            "-o",
            snap,
        ]));
        // A snapshot records the host, not the settings it is checked with: a case's
        // netvet.toml (the NV6xx policies) is named for both checks, and no other is read.
        let settings = format!("{tree}/{}", netvet::settings::FILE_NAME);
        let settings = if repo().join(&settings).is_file() {
            vec!["--config", settings.as_str()]
        } else {
            vec!["--isolated"]
        };
        let json = [&["--format", "json", "--fail-on", "never"][..], &settings].concat();
        let on_tree = ok(&netvet(
            &[&["check", tree, "--no-live"][..], &json].concat(),
        ));
        let offline = ok(&netvet(
            &[&["check", "--snapshot", snap][..], &json].concat(),
        ));
        let (on_tree, offline) = (normalised(&on_tree, tree), normalised(&offline, snap));
        if on_tree != offline {
            differ.push(format!("{tree}:\n{on_tree}\n---\n{offline}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
    eprintln!("{} fixture trees checked from their snapshots", trees.len());
}

/// Links inside and out of the tree, loops, dangling links, `/dev/null` masks, globs through
/// links, `..` past the root: recorded as they are met, they resolve the same way offline.
#[test]
fn a_tree_of_links_and_loops_checks_the_same_from_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write_tree_of_links(&tree);
    let tree = tree.to_str().unwrap();
    let snap = dir.path().join("links.tar");
    let snap = snap.to_str().unwrap();
    ok(&netvet(&["snapshot", "--root", tree, "-o", snap]));
    let json = ["--format", "json", "--fail-on", "never"];
    let on_tree = ok(&netvet(
        &[&["check", tree, "--no-live"][..], &json].concat(),
    ));
    let offline = ok(&netvet(
        &[&["check", "--snapshot", snap][..], &json].concat(),
    ));
    for needle in ["NV002", "/etc/net/real", "/etc/modprobe.d/sub/x.conf"] {
        assert!(on_tree.contains(needle), "{needle} in {on_tree}");
    }
    assert_eq!(normalised(&on_tree, tree), normalised(&offline, snap));
    let listing = Command::new("tar").args(["tvf", snap]).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("etc/network/interfaces -> /etc/net/real"),
        "{listing}"
    );
    assert!(
        !listing.contains("outside"),
        "nothing outside the tree: {listing}"
    );
}

/// The fixtures that carry a live state: recorded with it, written, read back, checked.
#[test]
fn fixtures_with_a_live_state_check_the_same_from_their_snapshot() {
    let (mut compared, mut live_findings) = (0, 0);
    for tree in fixture_trees() {
        let Ok(text) = std::fs::read_to_string(tree.join("live.json")) else {
            continue;
        };
        let live = netvet::live::LiveState::from_json(&text).unwrap();
        let (snap, _) = Snapshot::take(Root::new(&tree), Some(live.clone()), None).unwrap();
        let bytes = snap.to_tar().unwrap();
        let back = Snapshot::read(bytes.as_slice(), "snap.tar").unwrap();
        assert_eq!(back.manifest, snap.manifest);
        let report = |target: &Target, live: Option<&netvet::live::LiveState>| {
            netvet::report::json(&[CheckRun::new(target, live, &Config::default())])
        };
        let on_tree = report(&Target::Root(Root::new(&tree)), Some(&live));
        let offline = report(&Target::bundle(back.tree), back.manifest.live.as_ref());
        live_findings += usize::from(on_tree.contains("\"NV5"));
        assert_eq!(
            normalised(&on_tree, tree.to_str().unwrap()),
            normalised(&offline, "snap.tar"),
            "{}",
            tree.display()
        );
        compared += 1;
    }
    assert!(compared > 10, "{compared} fixtures with a live state");
    assert!(live_findings > 5, "{live_findings} with live findings");
}

/// A file netvet lists or probes but never reads is named in the manifest, never copied.
#[test]
fn a_snapshot_records_only_what_the_check_reads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let put = |path: &str, text: &str| {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    put(
        "etc/network/interfaces",
        "auto lo\niface lo inet loopback\n",
    );
    put("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*\n");
    put("etc/ssh/ssh_host_ed25519_key", "PRIVATE KEY\n");
    put("etc/ssh/sshd_config.d/listen.conf", "Port 2222\n");
    put("etc/sysctl.d/README", "SECRET README\n");
    put("etc/shadow", "root:SECRET:\n");
    let out = dir.path().join("s.tar");
    ok(&netvet(&[
        "snapshot",
        "--root",
        root.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]));
    let bytes = std::fs::read(&out).unwrap();
    for secret in [&b"PRIVATE"[..], b"SECRET"] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret));
    }
    let snap = Snapshot::read(bytes.as_slice(), "s.tar").unwrap();
    assert!(snap.manifest.live.is_none(), "--root records no live state");
    assert!(snap.manifest.hostname.is_none());
    let names: Vec<String> = snap
        .manifest
        .not_held
        .iter()
        .map(|n| format!("{} {:?}", n.path, n.why))
        .collect();
    assert_eq!(names, ["/etc/sysctl.d/README Unread"], "{names:?}");
    let listing = Command::new("tar")
        .args(["tvf", out.to_str().unwrap()])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains(".netvet/snapshot.json"), "{listing}");
    assert!(listing.contains("etc/ssh/sshd_config.d/listen.conf"));
    assert!(!listing.contains("shadow") && !listing.contains("ssh_host"));
}

#[test]
fn the_checked_in_snapshot_still_reads_as_its_tree() {
    let snap = "fixtures/snapshot/demo.tar";
    let json = ["--format", "json", "--fail-on", "never"];
    let offline = ok(&netvet(
        &[&["check", "--snapshot", snap][..], &json].concat(),
    ));
    assert!(
        offline.contains(&format!("\"path\": \"{snap}/etc/")),
        "{offline}"
    );
    let on_tree = ok(&netvet(
        &[&["check", "fixtures/demo", "--no-live"][..], &json].concat(),
    ));
    assert_eq!(
        normalised(&offline, snap),
        normalised(&on_tree, "fixtures/demo"),
        "fixtures/demo changed: regenerate with `netvet snapshot --root fixtures/demo --no-live \
         -o {snap}`"
    );
}

/// One namespace with links and sysctls: `netvet snapshot` taken inside it (of the running
/// system and of a tree with `--live`) and checked outside it, offline, finds what `netvet
/// check` finds inside.
#[test]
fn a_snapshot_taken_in_a_namespace_checks_offline_as_on_the_host() {
    let Some(ns) = Netns::new("snapshot", &[]) else {
        return;
    };
    ns.ip("link add sa0 mtu 9000 type veth peer name sb0");
    ns.ip("link add sa1 type veth peer name sb1");
    ns.ip("link add sbr0 type bridge");
    ns.ip("link set sa0 master sbr0");
    ns.ip("link set sa1 master sbr0");
    ns.ip("link set sbr0 up");
    ns.ip("link set sa0 up");
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("etc/network")).unwrap();
    std::fs::write(
        tree.join("etc/network/interfaces"),
        "auto lo\niface lo inet loopback\n\nauto sbr0\niface sbr0 inet manual\n    \
         bridge-ports sa0 sa1\n\nauto sa0\niface sa0 inet manual\n    mtu 1500\n\n\
         auto sa1\niface sa1 inet manual\n",
    )
    .unwrap();
    let tree = tree.to_str().unwrap();
    let json = ["--format", "json", "--fail-on", "never"];
    let inside = |args: &[&str]| ok(&ns.exec(NETVET, args));

    // A tree with the namespace's live state, forced with --live.
    let snap = dir.path().join("tree.tar");
    let snap = snap.to_str().unwrap();
    inside(&["snapshot", "--root", tree, "--live", "-o", snap]);
    let on_host = inside(&[&["check", "--live", "--root", tree][..], &json].concat());
    let offline = ok(&netvet(
        &[&["check", "--snapshot", snap][..], &json].concat(),
    ));
    for code in ["\"NV504\"", "\"NV507\""] {
        assert!(on_host.contains(code), "{code} in {on_host}");
    }
    assert_eq!(normalised(&on_host, tree), normalised(&offline, snap));
    // --no-live checks the recorded files only.
    let files_only = ok(&netvet(
        &[&["check", "--snapshot", snap, "--no-live"][..], &json].concat(),
    ));
    assert!(!files_only.contains("\"NV5"), "{files_only}");

    // The running system itself, as a user takes it: `netvet snapshot > FILE`.
    let system = dir.path().join("system.tar");
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0, NETVET, "snapshot"])
        .stdout(std::fs::File::create(&system).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let system = system.to_str().unwrap();
    let on_host = inside(&[&["check"][..], &json].concat());
    let offline = ok(&netvet(
        &[&["check", "--snapshot", system][..], &json].concat(),
    ));
    // On the host the target and its files are named from `/`.
    let offline = offline
        .replace(&format!("\"target\": \"{system}\""), "\"target\": \"/\"")
        .replace(&format!("\"{system}/"), "\"/");
    assert_eq!(on_host, offline);
    let snap = Snapshot::read(std::fs::read(system).unwrap().as_slice(), "s").unwrap();
    let live = snap.manifest.live.expect("the running system's live state");
    assert!(live.link("sbr0").is_some_and(|l| l.bridge_ports.len() == 2));
    assert!(snap.manifest.hostname.is_some() && snap.manifest.taken_at.is_some());
}

/// A tar archive of `(path, entry)` written as given.
enum Put<'a> {
    File(&'a [u8]),
    /// A regular file whose name is written unchecked (`..`).
    Raw(&'a [u8]),
    Link(&'a str),
    Fifo,
    Dir,
}

fn archive(entries: &[(&str, Put)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, put) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(0);
        match put {
            Put::File(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, path, *data).unwrap();
            }
            Put::Raw(data) => {
                let name = &mut h.as_gnu_mut().unwrap().name;
                name[..path.len()].copy_from_slice(path.as_bytes());
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                h.set_cksum();
                b.append(&h, *data).unwrap();
            }
            Put::Link(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                b.append_link(&mut h, path, target).unwrap();
            }
            Put::Fifo => {
                h.set_entry_type(tar::EntryType::Fifo);
                b.append_data(&mut h, path, std::io::empty()).unwrap();
            }
            Put::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                b.append_data(&mut h, path, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

const GOOD: &str = r#"{"format": "netvet-snapshot", "version": 1, "netvet": "0.1.0",
  "hostname": "h", "taken_at": null, "root": "/", "live": null, "not_held": []}"#;
const INTERFACES: (&str, Put<'static>) = (
    "etc/network/interfaces",
    Put::File(b"auto lo\niface lo inet loopback\n"),
);

#[test]
fn hostile_snapshots_are_refused_with_a_reason_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let huge = format!("{{\"format\": \"{}\"}}", "x".repeat(17 << 20));
    let deep = "[".repeat(1 << 20);
    let v2 = GOOD.replace("\"version\": 1", "\"version\": 2");
    let other = GOOD.replace("netvet-snapshot", "netvet-snapshop");
    let string_version = GOOD.replace("\"version\": 1", "\"version\": \"1\"");
    let live_v9 = GOOD.replace(
        "\"live\": null",
        "\"live\": {\"version\": 9, \"links\": [], \"sysctls\": {}}",
    );
    let not_held_full = GOOD.replace(
        "\"not_held\": []",
        "\"not_held\": [{\"path\": \"/etc/network/interfaces\", \"why\": \"unread\"}]",
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "wrong version",
            archive(&[
                (".netvet/snapshot.json", Put::File(v2.as_bytes())),
                INTERFACES,
            ]),
            "version 2 is not supported",
        ),
        (
            "wrong format name",
            archive(&[(".netvet/snapshot.json", Put::File(other.as_bytes()))]),
            "not a netvet snapshot",
        ),
        (
            "a version that is a string",
            archive(&[(
                ".netvet/snapshot.json",
                Put::File(string_version.as_bytes()),
            )]),
            "version \"1\" is not supported",
        ),
        (
            "a live state of another version",
            archive(&[(".netvet/snapshot.json", Put::File(live_v9.as_bytes()))]),
            "live state is version 9",
        ),
        (
            "garbage",
            archive(&[(".netvet/snapshot.json", Put::File(b"\x00\xffnot json"))]),
            "not UTF-8",
        ),
        (
            "not JSON",
            archive(&[(".netvet/snapshot.json", Put::File(b"{\"format\": "))]),
            "not JSON",
        ),
        (
            "JSON nested a million deep",
            archive(&[(".netvet/snapshot.json", Put::File(deep.as_bytes()))]),
            "recursion limit",
        ),
        (
            "a manifest of 17 MiB",
            archive(&[(".netvet/snapshot.json", Put::File(huge.as_bytes()))]),
            "larger than 16 MiB",
        ),
        (
            "a manifest that is a symbolic link",
            archive(&[
                ("real.json", Put::File(GOOD.as_bytes())),
                (".netvet/snapshot.json", Put::Link("../real.json")),
            ]),
            "is a symbolic link",
        ),
        (
            "a manifest directory that is a symbolic link",
            archive(&[
                ("x/snapshot.json", Put::File(GOOD.as_bytes())),
                (".netvet", Put::Link("x")),
            ]),
            "is a symbolic link",
        ),
        (
            "a manifest that is a FIFO",
            archive(&[(".netvet/snapshot.json", Put::Fifo)]),
            "not a regular file",
        ),
        (
            "a manifest that is a directory",
            archive(&[(".netvet/snapshot.json", Put::Dir)]),
            "not a regular file",
        ),
        (
            "no manifest: a plain tar of a tree",
            archive(&[INTERFACES]),
            "not a netvet snapshot",
        ),
        (
            "a file named not held that the archive holds",
            archive(&[
                (".netvet/snapshot.json", Put::File(not_held_full.as_bytes())),
                INTERFACES,
            ]),
            "does not hold as an empty entry",
        ),
        (
            "an entry out of the tree",
            archive(&[("../etc/passwd", Put::Raw(b"x"))]),
            "relative path without `..`",
        ),
        (
            "not a tar archive",
            b"just some text, not an archive at all".repeat(20),
            "not a readable snapshot archive",
        ),
    ];
    for (what, bytes, says) in &cases {
        let path = dir.path().join("s.tar");
        std::fs::write(&path, bytes).unwrap();
        let out = netvet(&["check", "--snapshot", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(says), "{what}: `{says}` in {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}");
    }
    // A good manifest with a tree checks.
    let path = dir.path().join("good.tar");
    std::fs::write(
        &path,
        archive(&[
            (".netvet/snapshot.json", Put::File(GOOD.as_bytes())),
            INTERFACES,
        ]),
    )
    .unwrap();
    let out = netvet(&["check", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The snapshot file itself must be a regular file: a FIFO would block.
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for path in [fifo.as_path(), dir.path()] {
        let out = netvet(&["check", "--snapshot", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    }
}

/// Every prefix of a real snapshot, and every byte of its manifest flipped, is read or refused,
/// never a panic.
#[test]
fn cut_and_corrupted_snapshots_never_panic() {
    let bytes = std::fs::read(repo().join("fixtures/snapshot/demo.tar")).unwrap();
    assert!(Snapshot::read(bytes.as_slice(), "s").is_ok());
    for cut in (0..bytes.len()).step_by(61) {
        let _ = Snapshot::read(&bytes[..cut], "s");
    }
    // The manifest's contents start after the two 512-byte headers of `.netvet/` and the file.
    for at in 1024..1024 + 200 {
        let mut bad = bytes.clone();
        bad[at] ^= 0x5a;
        let _ = Snapshot::read(bad.as_slice(), "s");
    }
}

/// `netvet check FILE.tar` on a snapshot says to use --snapshot, rather than read the files the
/// snapshot names without holding as empty ones.
#[test]
fn a_snapshot_given_as_a_plain_tar_is_pointed_to_snapshot() {
    let out = netvet(&["check", "fixtures/snapshot/demo.tar"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("check it with `netvet check --snapshot fixtures/snapshot/demo.tar`")
    );
}

/// `-o` through a link or onto a device writes through it: `/dev/stdout` stays a link.
#[test]
fn snapshot_writes_through_a_link_or_device_never_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.tar");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.tar");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let args = ["snapshot", "--root", "fixtures/demo", "--no-live", "-o"];
    ok(&netvet(&[&args[..], &[link.to_str().unwrap()]].concat()));
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(Snapshot::read(std::fs::read(&real).unwrap().as_slice(), "s").is_ok());
    let out = netvet(&[&args[..], &["/dev/stdout"]].concat());
    assert!(out.status.success());
    assert!(Snapshot::read(out.stdout.as_slice(), "s").is_ok());
    assert!(
        Path::new("/dev/stdout")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn snapshot_refuses_a_tree_without_configuration_and_check_a_snapshot_with_more() {
    let empty = tempfile::tempdir().unwrap();
    let out = netvet(&[
        "snapshot",
        "--root",
        empty.path().to_str().unwrap(),
        "-o",
        empty.path().join("s.tar").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds none of the files"));
    assert!(!empty.path().join("s.tar").exists(), "nothing written");
    let out = netvet(&["check", "--snapshot", "x.tar", "--root", "/"]);
    assert_eq!(out.status.code(), Some(2), "--snapshot is checked alone");
}
