//! Names the commit netvet is built from, for `netvet --version`, as `NETVET_COMMIT`.
//!
//! In a git checkout of netvet it is `git rev-parse --short HEAD`, and the script reruns when
//! HEAD moves (a checkout, a commit on the current branch). Outside one (a crate tarball, a
//! distribution's source package) it is the `NETVET_COMMIT` environment variable the packager
//! sets, or `unknown`. Only a repository whose top level is this crate's directory counts, so
//! a tarball unpacked inside some other repository does not take that repository's commit.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=NETVET_COMMIT");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = git_commit(&manifest_dir)
        .or_else(|| {
            std::env::var("NETVET_COMMIT")
                .ok()
                .filter(|c| !c.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=NETVET_COMMIT={commit}");
}

fn git_commit(manifest_dir: &Path) -> Option<String> {
    let top = git(manifest_dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
        return None;
    }
    // HEAD names the branch; the branch's loose ref (or packed-refs) names the commit. In a
    // worktree HEAD lives in the worktree's git directory and the refs in the common one, so
    // git itself says where each file is.
    let mut watched = Vec::new();
    for name in ["HEAD", "packed-refs"] {
        watched.extend(git_path(manifest_dir, name).filter(|p| p.exists()));
    }
    if let Some(branch) = git(manifest_dir, &["symbolic-ref", "-q", "HEAD"]) {
        // A branch whose ref is only in packed-refs gets a loose ref on its next commit:
        // watch the directory it will appear in (never the whole git directory, which
        // changes on every git command).
        let path = git_path(manifest_dir, &branch);
        watched.extend(path.and_then(|p| {
            if p.exists() {
                Some(p)
            } else {
                p.parent().filter(|d| d.exists()).map(Path::to_path_buf)
            }
        }));
    }
    for path in watched {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    git(manifest_dir, &["rev-parse", "--short", "HEAD"])
}

/// Where git keeps `name` (HEAD, packed-refs, refs/heads/...) for this checkout.
fn git_path(dir: &Path, name: &str) -> Option<PathBuf> {
    git(dir, &["rev-parse", "--git-path", name]).map(|p| dir.join(p))
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}
