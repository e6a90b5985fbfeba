//! sshd_config.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::keywords;
use netvet_fuzz::{check_spans, render_errors, source};

const PATH: &str = "/etc/ssh/sshd_config";

fuzz_target!(|data: &[u8]| {
    let file = source(data, PATH);
    let parsed = keywords::parse(&file.text);
    check_spans(&file.text, &parsed);
    render_errors(data, PATH, &parsed.errors);
});
