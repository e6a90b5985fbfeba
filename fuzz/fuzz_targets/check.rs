//! The whole `check` on an in-memory tree (a `Bundle`, what `audit` collects from a remote
//! host): the input is split at NUL bytes into the files of a host, which are loaded through
//! the file-system seam with every include, glob and precedence rule, checked by every rule,
//! and rendered both ways.
//!
//! Parts, in order: /etc/network/interfaces, /etc/network/interfaces.d/a,
//! /etc/modprobe.d/bonding.conf, /etc/sysctl.d/99-net.conf, /etc/nginx/nginx.conf,
//! /etc/ssh/sshd_config, /etc/modules. An odd-length input also installs Debian's ifupdown
//! helpers (/usr/lib/ifupdown), so both dialect decisions are taken.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::load::{self, Target};
use netvet_fuzz::{assert_findings_inside, host_tree, render};

fuzz_target!(|data: &[u8]| {
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let mut bundle = host_tree(&parts);
    if data.len() % 2 == 1 {
        bundle.add_dir("usr/lib/ifupdown").expect("a fixed path");
    }
    let host = load::load(&Target::bundle(bundle));
    let findings = netvet::rules::check(&host, None, &Default::default());
    assert_findings_inside(&host.sources, &findings);
    render(&host.sources, &findings, data.len() % 3 == 1);
});
