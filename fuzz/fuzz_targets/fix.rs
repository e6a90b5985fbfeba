//! `netvet fix`'s planner on an in-memory tree (split at NUL bytes into a host's files, as the
//! `check` target does), with the unsafe fixes too: whatever the files say, planning never
//! panics, and what it would write is verified text: each changed file differs from what was
//! read, the tree it makes defines the interfaces the original did, and checking it again finds
//! no finding at warning or above that the original did not have.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use netvet::diagnostic::Severity;
use netvet::fix::{Options, plan_tree};
use netvet::load::{Bundle, Target, load};
use netvet_fuzz::host_tree;

/// Warnings and errors by rule and interface.
fn serious(bundle: Bundle) -> HashMap<(&'static str, Option<String>), usize> {
    let host = load(&Target::bundle(bundle));
    let mut out = HashMap::new();
    for d in netvet::rules::check(&host, None, &Default::default()) {
        if d.suppressed.is_none() && d.severity >= Severity::Warning {
            *out.entry((d.code, d.interface.clone())).or_default() += 1;
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // The first five of the host's files: interfaces (and one sourced file), modprobe.d,
    // sysctl.d and nginx, where the fixes are.
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).take(5).collect();
    let root: netvet::fix::Tree = Arc::new(host_tree(&parts));
    let options = Options {
        unsafe_fixes: true,
        ..Options::default()
    };
    let planned = plan_tree(&root, &options);
    if planned.changes.is_empty() {
        return;
    }
    let mut fixed = host_tree(&parts);
    for change in &planned.changes {
        assert!(
            change.created || change.after != change.before,
            "{change:?}"
        );
        let path = change.host_path.strip_prefix("/").expect("a host path");
        fixed.remove(path);
        fixed
            .add_file(path, change.after.clone().into_bytes())
            .expect("a host path");
    }
    let before = serious(host_tree(&parts));
    let after = serious(fixed);
    for (key, n) in &after {
        assert!(
            before.get(key).is_some_and(|b| b >= n),
            "the fixed tree has a new finding {key:?} ({n}, was {:?})",
            before.get(key)
        );
    }
});
