//! nginx configuration: the directive tree, then every `listen` understood.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::nginx::{self, Directive};
use netvet_fuzz::{check_spans, render_errors, source};

const PATH: &str = "/etc/nginx/nginx.conf";

fn listens(directives: &[Directive]) {
    for d in directives {
        if d.name.text == "listen" {
            let _ = nginx::parse_listen(&d.args);
        }
        if let Some(block) = &d.block {
            listens(block);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let file = source(data, PATH);
    let parsed = nginx::parse(&file.text);
    check_spans(&file.text, &parsed);
    listens(&parsed.directives);
    render_errors(data, PATH, &parsed.errors);
});
