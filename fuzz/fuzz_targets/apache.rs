//! Apache httpd's configuration, `<Section>` lines included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::keywords;
use netvet_fuzz::{check_spans, render_errors, source};

const PATH: &str = "/etc/apache2/apache2.conf";

fuzz_target!(|data: &[u8]| {
    let file = source(data, PATH);
    let parsed = keywords::parse_apache(&file.text);
    check_spans(&file.text, &parsed);
    for entry in &parsed.entries {
        let _ = keywords::section_test(entry);
    }
    render_errors(data, PATH, &parsed.errors);
});
