//! A live-state snapshot (`netvet live` JSON, as `--live-snapshot` reads it), then every rule
//! with that state over the demo host (bonds, VLANs, nginx, sshd, sysctls), then both
//! renderers over the findings.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use netvet::live::LiveState;
use netvet::load::{self, Host, Root, Target};
use netvet_fuzz::{assert_findings_inside, render};

/// Read once: the rules never do I/O, so each run only builds the model and checks it.
static HOST: LazyLock<Host> = LazyLock::new(|| {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/demo");
    let host = load::load(&Target::Root(Root::new(demo)));
    assert!(
        !host.interfaces.is_empty(),
        "the demo tree is not at {demo}"
    );
    host
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(live) = LiveState::from_json(text) else {
        return;
    };
    let host = &*HOST;
    let findings = netvet::rules::check(host, Some(&live), &Default::default());
    assert_findings_inside(&host.sources, &findings);
    render(&host.sources, &findings, data.len() % 2 == 1);
    // What `netvet live` would print for it reads back the same.
    let back = LiveState::from_json(&live.to_json())
        .unwrap_or_else(|e| panic!("the state's own JSON does not read back: {e}"));
    assert_eq!(back, live);
});
