//! `netvet --version` names the commit it was built from (build.rs), and the build script
//! falls back to `NETVET_COMMIT` or `unknown` outside a git checkout of netvet.

use std::path::Path;
use std::process::Command;

use crate::support::{netvet, repo};

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[test]
fn version_names_the_commit_built_from() {
    let commit = git(&repo(), &["rev-parse", "--short", "HEAD"])
        .or_else(|| std::env::var("NETVET_COMMIT").ok())
        .unwrap_or_else(|| "unknown".to_string());
    let expected = format!("netvet {} (commit {commit})\n", env!("CARGO_PKG_VERSION"));
    for flag in ["--version", "-V"] {
        let o = netvet(&[flag]);
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            expected,
            "netvet {flag}"
        );
    }
}

/// The build script compiled on its own and run as cargo runs it, in a directory of the
/// caller's choosing, with `NETVET_COMMIT` set or not; returns what it printed.
struct BuildScript {
    _dir: tempfile::TempDir,
    exe: std::path::PathBuf,
}

impl BuildScript {
    fn compile() -> BuildScript {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("build-script");
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
        let o = Command::new(rustc)
            .args(["--edition", "2024", "-o"])
            .arg(&exe)
            .arg(repo().join("build.rs"))
            .output()
            .expect("rustc runs (it is on PATH wherever cargo is)");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        BuildScript { _dir: dir, exe }
    }

    fn run(&self, manifest_dir: &Path, commit: Option<&str>) -> String {
        let mut cmd = Command::new(&self.exe);
        cmd.env("CARGO_MANIFEST_DIR", manifest_dir)
            .env_remove("NETVET_COMMIT")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        if let Some(commit) = commit {
            cmd.env("NETVET_COMMIT", commit);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    }
}

#[test]
fn build_script_names_the_commit_and_falls_back_outside_git() {
    let script = BuildScript::compile();

    // A crate tarball unpacked outside any repository.
    let plain = tempfile::tempdir().unwrap();
    let out = script.run(plain.path(), Some("1a2b3c4"));
    assert!(
        out.contains("cargo:rustc-env=NETVET_COMMIT=1a2b3c4\n"),
        "{out}"
    );
    let out = script.run(plain.path(), None);
    assert!(
        out.contains("cargo:rustc-env=NETVET_COMMIT=unknown\n"),
        "{out}"
    );
    assert!(!out.contains("rerun-if-changed=/"), "{out}");

    // A repository of its own: its commit, and it reruns when HEAD or the branch moves.
    let checkout = tempfile::tempdir().unwrap();
    let dir = checkout.path();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "first",
        ],
    ] {
        git(dir, args).expect("git works in a temporary directory");
    }
    let head = git(dir, &["rev-parse", "--short", "HEAD"]).unwrap();
    let out = script.run(dir, Some("1a2b3c4"));
    assert!(
        out.contains(&format!("cargo:rustc-env=NETVET_COMMIT={head}\n")),
        "{out}"
    );
    for watched in ["HEAD", "refs/heads/main"] {
        let path = dir.join(".git").join(watched);
        let line = format!("cargo:rerun-if-changed={}\n", path.display());
        assert!(out.contains(&line), "{watched}: {out}");
    }

    // The same tarball unpacked inside some other repository is still not a checkout of
    // netvet: it must not take that repository's commit.
    let inner = dir.join("netvet-0.1.0");
    std::fs::create_dir(&inner).unwrap();
    let out = script.run(&inner, Some("1a2b3c4"));
    assert!(
        out.contains("cargo:rustc-env=NETVET_COMMIT=1a2b3c4\n"),
        "{out}"
    );
}
