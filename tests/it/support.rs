//! Shared helpers for the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built netvet, run from the repository root without forced colours.
pub fn netvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netvet"))
        .args(args)
        .current_dir(repo())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("netvet runs")
}

/// The shared corpus of real-world configs, from `NETVET_CORPUS` or `../shared/corpus`.
/// `None` (with a notice) when it is absent; under CI its absence is a failure.
#[allow(dead_code)]
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("NETVET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the corpus is required under CI: set NETVET_CORPUS (looked at {})",
        dir.display()
    );
    eprintln!("corpus not found at {}: skipping", dir.display());
    None
}

/// A program by path, or by name on PATH.
fn available(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A network namespace for one test, with `lo` up; deleted when the test ends, however it ends.
/// `None` (with a notice) when not root, `ip netns` fails or a required program is missing;
/// under CI that is a failure instead.
pub struct Netns(pub String);

impl Netns {
    pub fn new(tag: &str, programs: &[&str]) -> Option<Netns> {
        let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
        let missing: Vec<&&str> = programs.iter().filter(|p| !available(p)).collect();
        let name = format!("netvet-test-{}-{tag}", std::process::id());
        let ok = root
            && missing.is_empty()
            && Command::new("ip")
                .args(["netns", "add", &name])
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the namespace tests (root, ip netns, {programs:?})"
            );
            eprintln!("not root, no `ip netns` or missing {missing:?}: skipping");
            return None;
        }
        let ns = Netns(name);
        ns.ip("link set lo up");
        Some(ns)
    }

    pub fn ip(&self, args: &str) {
        let status = Command::new("ip")
            .args(["-n", &self.0])
            .args(args.split_whitespace())
            .status()
            .unwrap();
        assert!(status.success(), "ip -n {} {args}", self.0);
    }

    pub fn exec(&self, program: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.0, program])
            .args(args)
            .output()
            .unwrap()
    }

    pub fn json(&self, program: &str, args: &[&str]) -> Value {
        let out = self.exec(program, args);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{program} {args:?}: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Whether a TCP connection to `addr:port` inside the namespace succeeds.
    pub fn connects(&self, addr: &str, port: u16) -> bool {
        let code =
            format!("import socket\nsocket.create_connection(('{addr}', {port}), timeout=2)\n");
        self.exec("python3", &["-c", &code]).status.success()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}
