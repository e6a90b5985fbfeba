//! modprobe.d files (kmod), and the module lists read at boot (/etc/modules, modules-load.d).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::modprobe;
use netvet_fuzz::{check_spans, render_errors, source};

const PATH: &str = "/etc/modprobe.d/bonding.conf";

fuzz_target!(|data: &[u8]| {
    let file = source(data, PATH);
    let parsed = modprobe::parse(&file.text);
    check_spans(&file.text, &parsed);
    render_errors(data, PATH, &parsed.errors);
    check_spans(&file.text, &modprobe::parse_module_list(&file.text));
});
