//! Shared helpers for the integration tests.

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
