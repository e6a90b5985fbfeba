//! The pre-commit hooks of `.pre-commit-hooks.yaml` under the real pre-commit (pinned, from
//! PyPI into a venv under the target directory on first use), in a git repository of host
//! configurations, committing as a user does: `netvet-system` with the built netvet on PATH,
//! and, with `NETVET_PRECOMMIT_RUST=1`, the `language: rust` hook, which
//! pre-commit builds with cargo: a release build, in a target directory kept under this one,
//! measured at 3.5 minutes the first time and 1.5 after (netvet alone) on the 2-core machine,
//! more than the rest of the suite together.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::repo;

/// The pre-commit release the hooks are tested with.
const PRE_COMMIT: &str = "4.7.0";

/// A host whose bond gets its link monitoring from the bonding module's parameters.
const BONDED_INTERFACES: &str = "auto lo\niface lo inet loopback\n\nauto bond0\n\
    iface bond0 inet manual\n    bond-slaves eno1 eno2\n    bond-mode active-backup\n";
const MIIMON_100: &str = "options bonding max_bonds=0 miimon=100\n";
const MIIMON_0: &str = "options bonding max_bonds=0 miimon=0\n";
/// An active-backup bond without link monitoring: NV101, an error.
const UNMONITORED_BOND: &str = "auto bond0\niface bond0 inet manual\n    bond-slaves eno1 eno2\n    \
    bond-mode active-backup\n";

/// pre-commit in a venv under the target directory, installed on first use: the venv's
/// python, to run as `python -m pre_commit`. `None` (with a notice) when python3's venv or
/// PyPI is unavailable; under CI that is a failure instead.
fn pre_commit() -> Option<PathBuf> {
    let target = Path::new(env!("CARGO_BIN_EXE_netvet")).parent()?.parent()?;
    let venv = target.join(format!("pre-commit-{PRE_COMMIT}"));
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    // Installed beside its place and renamed into it, so a test running at the same time never
    // sees half a venv. A venv's python finds its packages from its own path, so the moved venv
    // works when run as `venv/bin/python -m pre_commit` (its scripts' shebangs are not used).
    let staging = target.join(format!("pre-commit-{PRE_COMMIT}.{}", std::process::id()));
    let run = |program: &Path, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .map_err(|e| e.to_string())
            .and_then(|o| {
                o.status
                    .success()
                    .then_some(())
                    .ok_or_else(|| String::from_utf8_lossy(&o.stderr).into_owned())
            })
    };
    let installed = run(
        Path::new("python3"),
        &["-m", "venv", staging.to_str().unwrap()],
    )
    .and_then(|()| {
        run(
            &staging.join("bin/python"),
            &[
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("pre-commit=={PRE_COMMIT}"),
            ],
        )
    });
    if let Err(e) = installed {
        let _ = std::fs::remove_dir_all(&staging);
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the pre-commit tests: installing pre-commit {PRE_COMMIT} with python3 -m \
             venv and pip failed: {e}"
        );
        eprintln!(
            "no python3 venv or no PyPI ({e}): skipping; apt-get install python3-venv, or give \
             pip its proxy"
        );
        return None;
    }
    // Another test may have put its venv there first: keep that one.
    if std::fs::rename(&staging, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    Some(python)
}

/// A git repository of host configurations with pre-commit installed in it, isolated from the
/// machine's git configuration and pre-commit cache.
struct Configs {
    _dir: tempfile::TempDir,
    work: PathBuf,
    home: PathBuf,
    python: PathBuf,
    /// The PATH git, pre-commit and the hooks run with.
    path: std::ffi::OsString,
}

impl Configs {
    fn new(python: PathBuf, path: std::ffi::OsString) -> Configs {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("configs");
        let home = dir.path().join("pre-commit-home");
        std::fs::create_dir_all(&work).unwrap();
        let configs = Configs {
            _dir: dir,
            work,
            home,
            python,
            path,
        };
        configs.ok(configs.git(&["init", "--quiet", "--initial-branch=main"]));
        configs
    }

    fn command(&self, program: &Path, dir: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "netvet test")
            .env("GIT_AUTHOR_EMAIL", "test@example.org")
            .env("GIT_COMMITTER_NAME", "netvet test")
            .env("GIT_COMMITTER_EMAIL", "test@example.org")
            .env("PRE_COMMIT_HOME", &self.home)
            .env("PATH", &self.path)
            .env_remove("CLICOLOR_FORCE");
        cmd
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        self.command(Path::new("git"), dir)
            .args(args)
            .output()
            .unwrap()
    }

    fn git(&self, args: &[&str]) -> Output {
        self.git_in(&self.work, args)
    }

    fn pre_commit(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(&self.python, &self.work);
        cmd.args(["-m", "pre_commit"]).args(args);
        cmd
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.work.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `git add -A` then `git commit`, the pre-commit hook running: the commit's output
    /// (git's and the hook's) and whether it was made.
    fn commit(&self, message: &str) -> (String, bool) {
        self.ok(self.git(&["add", "--all"]));
        let before = self.head();
        let o = self.git(&["commit", "--quiet", "-m", message]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let made = self.head() != before;
        assert_eq!(o.status.success(), made, "{text}");
        (text, made)
    }

    fn head(&self) -> String {
        let o = self.git(&["rev-parse", "--verify", "--quiet", "HEAD"]);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    #[track_caller]
    fn ok(&self, o: Output) -> Output {
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        o
    }
}

/// A repository holding only this tree's `.pre-commit-hooks.yaml`, committed, as pre-commit
/// clones a hook repository: `(path, commit)`. The system hook needs nothing else.
fn hooks_repo(configs: &Configs) -> (PathBuf, String) {
    let hooks = configs.work.parent().unwrap().join("netvet-hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        repo().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    for args in [
        &["init", "--quiet"][..],
        &["add", ".pre-commit-hooks.yaml"],
        &["commit", "--quiet", "-m", "hooks"],
    ] {
        configs.ok(configs.git_in(&hooks, args));
    }
    let rev = configs
        .ok(configs.git_in(&hooks, &["rev-parse", "HEAD"]))
        .stdout;
    (hooks, String::from_utf8(rev).unwrap().trim().to_string())
}

#[test]
fn a_commit_fails_on_the_hosts_it_breaks_and_only_those() {
    let Some(python) = pre_commit() else {
        return;
    };
    // The netvet under test, first on PATH as an installed one would be.
    let bin = Path::new(env!("CARGO_BIN_EXE_netvet")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let configs = Configs::new(python, path);
    let (hooks, rev) = hooks_repo(&configs);
    configs.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: netvet-system\n",
            hooks.display()
        ),
    );
    configs.ok(configs.pre_commit(&["install"]).output().unwrap());
    configs.write("hostA/etc/network/interfaces", BONDED_INTERFACES);
    configs.write("hostA/etc/modprobe.d/bonding.conf", MIIMON_100);
    configs.write(
        "hostB/etc/network/interfaces",
        "auto lo\niface lo inet loopback\n\nauto eno1\niface eno1 inet dhcp\n",
    );
    configs.write(
        "hostB/etc/sysctl.d/90-forward.conf",
        "net.ipv4.ip_forward = 1\n",
    );
    configs.write("README.md", "One directory per host.\n");
    let (out, made) = configs.commit("two healthy hosts");
    assert!(made, "{out}");
    assert!(
        out.contains("netvet (installed)") && out.contains("Passed"),
        "{out}"
    );

    // Only the module's parameters change: the finding is on the bond, in a file the commit
    // does not touch, because the file is checked with its host.
    configs.write("hostA/etc/modprobe.d/bonding.conf", MIIMON_0);
    let (out, made) = configs.commit("hostA: miimon=0");
    assert!(!made, "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("error[NV101]"), "{out}");
    assert!(out.contains("--> hostA/etc/network/interfaces:"), "{out}");
    assert!(
        out.contains("hostA/etc/modprobe.d/bonding.conf:1:"),
        "{out}"
    );
    configs.ok(configs.git(&["reset", "--quiet", "--hard"]));

    // A host already broken in history, committed past the hook, is not what a commit to
    // another host is judged by.
    configs.write("hostC/etc/network/interfaces", UNMONITORED_BOND);
    configs.ok(configs.git(&["add", "--all"]));
    configs.ok(configs.git(&["commit", "--quiet", "--no-verify", "-m", "hostC, unchecked"]));
    configs.write(
        "hostB/etc/sysctl.d/90-forward.conf",
        "net.ipv4.ip_forward = 0\n",
    );
    let (out, made) = configs.commit("hostB: no forwarding");
    assert!(made, "{out}");
    assert!(!out.contains("NV101"), "{out}");

    // A bare interfaces file is checked as one.
    configs.write("lab/interfaces", UNMONITORED_BOND);
    let (out, made) = configs.commit("lab");
    assert!(!made, "{out}");
    assert!(
        out.contains("error[NV101]") && out.contains("--> lab/interfaces:2:1"),
        "{out}"
    );

    // Files netvet does not read trigger nothing.
    configs.ok(configs.git(&["reset", "--quiet", "--hard"]));
    configs.write(
        "README.md",
        "One directory per host; hostC is known broken.\n",
    );
    let (out, made) = configs.commit("readme");
    assert!(made, "{out}");
    assert!(out.contains("no files to check"), "{out}");
}

#[test]
fn the_rust_hook_builds_netvet_from_this_repository() {
    if std::env::var_os("NETVET_PRECOMMIT_RUST").is_none_or(|v| v != "1") {
        eprintln!(
            "building the `language: rust` hook takes minutes: set NETVET_PRECOMMIT_RUST=1 to \
             run it"
        );
        return;
    }
    let Some(python) = pre_commit() else {
        return;
    };
    // The test run's PATH without any netvet on it: what runs must be what the hook built.
    let path = std::env::join_paths(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .filter(|dir| !dir.join("netvet").exists()),
    )
    .unwrap();
    let configs = Configs::new(python, path);
    configs.write("hostA/etc/network/interfaces", BONDED_INTERFACES);
    configs.write("hostA/etc/modprobe.d/bonding.conf", MIIMON_0);
    configs.ok(configs.git(&["add", "--all"]));
    // try-repo reads the hooks of this working tree, uncommitted changes included, as `repo:`
    // and `rev:` would, installs them in a store of its own and runs them on the staged files.
    // cargo builds into a target directory kept under this one, so that a later run compiles
    // netvet alone, not its dependencies again.
    let target = Path::new(env!("CARGO_BIN_EXE_netvet"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("pre-commit-rust-hook");
    let started = std::time::Instant::now();
    let o = configs
        .pre_commit(&["try-repo", repo().to_str().unwrap(), "netvet"])
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    eprintln!(
        "pre-commit built the rust hook and ran it in {:.0?}",
        started.elapsed()
    );
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("- hook id: netvet\n"), "{out}");
    assert!(out.contains("error[NV101]"), "{out}");
    assert!(out.contains("--> hostA/etc/network/interfaces:"), "{out}");
}
