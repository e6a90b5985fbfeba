//! Ansible inventories (INI, YAML, plain lists) and host patterns.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use netvet::audit::inventory;
use netvet_fuzz::source;

const PATH: &str = "/etc/ansible/hosts";

/// Patterns run over whatever the input defines: every form `limit` reads.
const PATTERNS: &[&str] = &[
    "all",
    "*",
    "web*",
    "web:&prod",
    "all:!db",
    "a,b",
    "g[0]",
    "g[-1]",
    "g[1:]",
    "w?b[0-9]",
    "!x",
];

fuzz_target!(|data: &[u8]| {
    // The input's last line, after a NUL byte, is a host pattern too.
    let (text, pattern) = match data.iter().position(|&b| b == 0) {
        Some(at) => (
            &data[..at],
            Some(String::from_utf8_lossy(&data[at + 1..]).into_owned()),
        ),
        None => (data, None),
    };
    let file = source(text, PATH);
    let Ok(inv) = inventory::parse(&file.text, Path::new(PATH)) else {
        return;
    };
    let hosts = inv.hosts();
    let mut names = std::collections::HashSet::new();
    for h in hosts {
        assert!(names.insert(h.name.as_str()), "{} twice", h.name);
        assert!(h.port != Some(0), "{}: port 0", h.name);
        assert!(!h.groups.iter().any(|g| g == "all"));
    }
    // `all` is every host, in the same order, unless a host is named `all` (a pattern that
    // names a host selects that host, in Ansible too).
    if !names.contains("all") {
        let all = inv.limit("all").expect("all is a pattern");
        assert!(
            all.iter()
                .map(|h| &h.name)
                .eq(hosts.iter().map(|h| &h.name))
        );
    }
    for p in PATTERNS.iter().copied().map(str::to_string).chain(pattern) {
        if let Ok(selected) = inv.limit(&p) {
            let mut seen = std::collections::HashSet::new();
            assert!(
                selected.iter().all(|h| seen.insert(&h.name)),
                "{p}: a host twice"
            );
        }
    }
});
