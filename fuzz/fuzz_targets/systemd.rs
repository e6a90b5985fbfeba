//! systemd unit files (socket units).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::systemd;
use netvet_fuzz::{check_spans, render_errors, source};

const PATH: &str = "/etc/systemd/system/demo.socket";

fuzz_target!(|data: &[u8]| {
    let file = source(data, PATH);
    let parsed = systemd::parse(&file.text);
    check_spans(&file.text, &parsed);
    render_errors(data, PATH, &parsed.errors);
});
