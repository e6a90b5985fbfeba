//! Hostile trees end to end: each tree of the "hostile input" issue, checked by the built binary
//! under a 1 GiB address-space limit (`prlimit --as`), as root and as an unprivileged user. Each
//! run must finish, exit 0, 1 or 2, print nothing from a canary file planted outside the root
//! that every escape points at, and print no raw control character. The bounds themselves are
//! unit-tested in `src/load/` and `src/syntax/`; this is the sweep of them all together.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The address-space limit every run gets, as `ulimit -v 1G`.
const ADDRESS_SPACE: &str = "--as=1073741824";

/// Longest a run may take before it counts as a hang.
const TIMEOUT_SECONDS: &str = "120";

struct Sweep {
    dir: tempfile::TempDir,
    /// A file outside every root, holding the marker in every syntax netvet reads.
    canary: PathBuf,
    /// A directory outside every root shaped like `/etc`, with the canary's text in each file.
    outside_etc: PathBuf,
    marker: String,
}

impl Sweep {
    fn new() -> Sweep {
        let dir = tempfile::tempdir().unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let marker = format!("canary{}x{nanos}", std::process::id());
        // Read as interfaces, modprobe.d, sysctl.d or nginx, this text is findings that quote it.
        let text = format!(
            "auto {marker}\niface {marker} inet bogus\noptions {marker} {marker}\n\
             {marker}.{marker} = {marker}\nlisten {marker} {{\n{marker}\n"
        );
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        let canary = outside.join("canary");
        std::fs::write(&canary, &text).unwrap();
        let outside_etc = dir.path().join("outside-etc");
        for f in [
            "network/interfaces",
            "modprobe.d/bonding.conf",
            "sysctl.d/99-x.conf",
            "nginx/nginx.conf",
        ] {
            let p = outside_etc.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &text).unwrap();
        }
        Sweep {
            dir,
            canary,
            outside_etc,
            marker,
        }
    }

    /// A fresh root for one case.
    fn root(&self, case: &str) -> PathBuf {
        let root = self.dir.path().join("roots").join(case);
        std::fs::create_dir_all(root.join("etc/network")).unwrap();
        root
    }

    /// Let the unprivileged user read everything, the canary included: only confinement
    /// must keep it out.
    fn open_up(&self) {
        fn walk(p: &Path) {
            let Ok(meta) = std::fs::symlink_metadata(p) else {
                return;
            };
            if meta.file_type().is_symlink() {
                return;
            }
            let mode = if meta.is_dir() { 0o755 } else { 0o644 };
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
            if meta.is_dir() {
                for e in std::fs::read_dir(p).unwrap() {
                    walk(&e.unwrap().path());
                }
            }
        }
        walk(self.dir.path());
    }
}

fn write(root: &Path, path: &str, text: impl AsRef<[u8]>) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn link(root: &Path, path: &str, target: impl AsRef<Path>) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, p).unwrap();
}

fn mkfifo(root: &Path, path: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let status = Command::new("mkfifo").arg(&p).status().unwrap();
    assert!(status.success(), "mkfifo {}", p.display());
}

const LO: &str = "auto lo\niface lo inet loopback\n";

/// Every tree of the issue: `(name, root)`.
fn trees(s: &Sweep) -> Vec<(&'static str, PathBuf)> {
    let canary = s.canary.to_str().unwrap().to_string();
    let mut out = Vec::new();
    let mut case = |name: &'static str, build: &dyn Fn(&Path)| {
        let root = s.root(name);
        build(&root);
        out.push((name, root));
    };
    case("interfaces-absolute-symlink", &|r| {
        link(r, "etc/network/interfaces", &canary)
    });
    case("source-dot-dot", &|r| {
        write(
            r,
            "etc/network/interfaces",
            format!(
                "{LO}source /../../../../{canary}\nsource ../../../../../../../../../../{canary}\n"
            ),
        )
    });
    case("nginx-include-dot-dot", &|r| {
        write(r, "etc/network/interfaces", LO);
        write(
            r,
            "etc/nginx/nginx.conf",
            format!("http {{\n  include ../../../../../../../../../..{canary};\n}}\n"),
        );
    });
    case("relative-symlinks-in-conf-dirs", &|r| {
        write(r, "etc/network/interfaces", LO);
        // From ROOT/etc/sysctl.d, three levels up is outside the root.
        for f in [
            "etc/sysctl.d/99-x.conf",
            "etc/modprobe.d/x.conf",
            "etc/modprobe.d/bonding",
        ] {
            link(r, f, "../../../../outside/canary");
        }
    });
    case("etc-is-an-absolute-link-outside", &|r| {
        std::fs::remove_dir_all(r.join("etc")).unwrap();
        symlink(&s.outside_etc, r.join("etc")).unwrap();
    });
    case("etc-is-a-relative-link-outside", &|r| {
        std::fs::remove_dir_all(r.join("etc")).unwrap();
        symlink("../../outside-etc", r.join("etc")).unwrap();
    });
    case("fifos", &|r| {
        mkfifo(r, "etc/network/interfaces");
        mkfifo(r, "etc/network/interfaces.d/eth0");
        mkfifo(r, "etc/modprobe.d/bonding.conf");
        mkfifo(r, "etc/sysctl.d/99-x.conf");
    });
    case("fifos-behind-source-directory", &|r| {
        write(
            r,
            "etc/network/interfaces",
            format!("{LO}source-directory /etc/network/interfaces.d\n"),
        );
        mkfifo(r, "etc/network/interfaces.d/eth0");
    });
    case("interfaces-to-dev-zero", &|r| {
        link(r, "etc/network/interfaces", "/dev/zero")
    });
    case("sparse-200-mb", &|r| {
        let f = std::fs::File::create(r.join("etc/network/interfaces")).unwrap();
        f.set_len(200 << 20).unwrap();
    });
    case("one-50-mb-line", &|r| {
        write(r, "etc/network/interfaces", vec![b'a'; 50 << 20]);
    });
    case("nginx-25-kb-of-braces", &|r| {
        write(r, "etc/network/interfaces", LO);
        write(r, "etc/nginx/nginx.conf", "{".repeat(25 << 10));
    });
    case("source-chain-10000-deep", &|r| {
        write(r, "etc/network/interfaces", "source /etc/network/c/0\n");
        for i in 0..10_000 {
            write(
                r,
                &format!("etc/network/c/{i}"),
                format!("source /etc/network/c/{}\n", i + 1),
            );
        }
    });
    case("source-directory-of-20000-files", &|r| {
        write(
            r,
            "etc/network/interfaces",
            format!("{LO}source-directory /etc/network/interfaces.d\n"),
        );
        for i in 0..20_000 {
            write(
                r,
                &format!("etc/network/interfaces.d/f{i:05}"),
                format!("iface e{i} inet manual\n"),
            );
        }
    });
    case("control-characters-in-modprobe-names", &|r| {
        write(r, "etc/network/interfaces", LO);
        for name in [
            "esc\u{1b}[2J.conf",
            "bel\u{7}.conf",
            "csi\u{9b}31m.conf",
            "\u{1b}]0;title\u{7}bonding",
        ] {
            write(
                r,
                &format!("etc/modprobe.d/{name}"),
                "options bonding miimon=abc\noptions bond0 miimon=100\n",
            );
        }
    });
    case("non-utf8-names", &|r| {
        write(
            r,
            "etc/network/interfaces",
            format!("{LO}source /etc/network/interfaces.d/*\n"),
        );
        for (dir, name, text) in [
            (
                "etc/network/interfaces.d",
                &b"x\xff\xfe"[..],
                "iface eth0 inet bogus\n",
            ),
            (
                "etc/modprobe.d",
                b"x\xff.conf",
                "options bonding miimon=abc\n",
            ),
            ("etc/sysctl.d", b"x\xff.conf", "net.ipv6.bindv6only = abc\n"),
        ] {
            let p = r.join(dir).join(std::ffi::OsStr::from_bytes(name));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    });
    out
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// A raw control character a terminal would act on: C0 other than tab and newline, DEL, or
/// a C1 character (UTF-8 `\xc2\x80`..`\xc2\x9f`).
fn raw_control(bytes: &[u8]) -> Option<usize> {
    bytes.iter().enumerate().position(|(i, &b)| {
        (b < 0x20 && b != b'\n' && b != b'\t')
            || b == 0x7f
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
    })
}

struct Ran {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Peak resident memory in KiB, when /usr/bin/time is there to say it.
    peak_kib: Option<u64>,
}

fn run(root: &Path, as_nobody: bool, format: &str, rss_file: &Path) -> Ran {
    let mut cmd = Command::new("timeout");
    cmd.arg(TIMEOUT_SECONDS);
    let _ = std::fs::remove_file(rss_file);
    if Path::new("/usr/bin/time").exists() {
        cmd.args(["/usr/bin/time", "-f", "%M", "-o"]).arg(rss_file);
    }
    if as_nobody {
        cmd.args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]);
    }
    cmd.args(["prlimit", ADDRESS_SPACE, "--"])
        .arg(env!("CARGO_BIN_EXE_netvet"))
        .args(["check", "--verbose", "--format", format])
        .arg(root)
        .env_remove("CLICOLOR_FORCE");
    let out = cmd.output().expect("netvet runs");
    let peak_kib = std::fs::read_to_string(rss_file)
        .ok()
        .and_then(|t| t.lines().last()?.trim().parse().ok());
    Ran {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
        peak_kib,
    }
}

#[test]
fn hostile_trees_finish_bounded_and_never_read_outside_the_root() {
    if !Path::new("/usr/bin/prlimit").exists() && !Path::new("/bin/prlimit").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must have prlimit");
        eprintln!("no prlimit: skipping");
        return;
    }
    let sweep = Sweep::new();
    let trees = trees(&sweep);
    sweep.open_up();
    let users: &[bool] = if is_root() {
        &[false, true]
    } else {
        eprintln!("not root: the unprivileged runs are the only runs (no setpriv to nobody)");
        &[false]
    };
    let rss_file = sweep.dir.path().join("rss");
    let mut failures = Vec::new();
    let mut peak = (0, "");
    for (name, root) in &trees {
        for &as_nobody in users {
            for format in ["human", "json"] {
                let who = if as_nobody { "nobody" } else { "this user" };
                let ran = run(root, as_nobody, format, &rss_file);
                let what = format!("{name} ({format}, as {who})");
                if !matches!(ran.code, Some(0..=2)) {
                    failures.push(format!(
                        "{what}: exit {:?} (124 is a hang): {}",
                        ran.code,
                        String::from_utf8_lossy(&ran.stderr)
                    ));
                }
                for (stream, bytes) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
                    let text = String::from_utf8_lossy(bytes);
                    if text.contains(&sweep.marker) {
                        failures.push(format!("{what}: {stream} shows the canary:\n{text}"));
                    }
                    if let Some(at) = raw_control(bytes) {
                        failures.push(format!(
                            "{what}: raw control byte {:#04x} on {stream} at {at}",
                            bytes[at]
                        ));
                    }
                }
                if let Some(kib) = ran.peak_kib
                    && kib > peak.0
                {
                    peak = (kib, name);
                }
                if *name == "non-utf8-names" && format == "json" {
                    let v: serde_json::Value =
                        serde_json::from_slice(&ran.stdout).unwrap_or_default();
                    let read = v["files"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|f| f.as_str().is_some_and(|f| f.contains('\u{fffd}')))
                        .count();
                    if read != 3 {
                        failures.push(format!(
                            "{what}: {read} of the 3 files with non-UTF-8 names were read: {}",
                            v["files"]
                        ));
                    }
                }
            }
        }
    }
    eprintln!("peak RSS over the sweep: {} KiB ({})", peak.0, peak.1);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
