//! sysctl.d files (systemd-sysctl).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::sysctl;
use netvet_fuzz::{check_spans, render_errors, source};

const PATH: &str = "/etc/sysctl.d/60-ipv6.conf";

fuzz_target!(|data: &[u8]| {
    let file = source(data, PATH);
    let parsed = sysctl::parse(&file.text);
    check_spans(&file.text, &parsed);
    for entry in &parsed.entries {
        let _ = sysctl::normalize_key(&entry.key.text);
    }
    render_errors(data, PATH, &parsed.errors);
});
