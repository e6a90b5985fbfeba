//! `# netvet: ignore` comments, as every line-oriented file type reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::suppression;
use netvet_fuzz::{check_spans, source};

fuzz_target!(|data: &[u8]| {
    let file = source(data, "/etc/sysctl.d/60-ipv6.conf");
    check_spans(&file.text, &suppression::scan(&file.text));
    for line in file.text.lines() {
        let _ = suppression::parse_directive(line);
    }
});
