//! /etc/network/interfaces (ifupdown 0.8): the parser, then the cut ifupdown makes at a fatal
//! error in a sourced file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::interfaces;
use netvet_fuzz::{check_spans, render_errors, source};

fuzz_target!(|data: &[u8]| {
    let file = source(data, "/etc/network/interfaces");
    let mut parsed = interfaces::parse(&file.text);
    check_spans(&file.text, &parsed);
    if let Some(stop) = &parsed.stop {
        assert!(stop.error < parsed.errors.len(), "the stop names no error");
        assert!(stop.at <= file.text.len(), "the stop is past the end");
    }
    assert!(
        parsed.errors.is_sorted_by_key(|e| e.span.start),
        "errors out of file order"
    );
    render_errors(data, "/etc/network/interfaces", &parsed.errors);
    parsed.cut_at_stop();
    check_spans(&file.text, &parsed);
});
