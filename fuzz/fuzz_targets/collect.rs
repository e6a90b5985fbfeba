//! What a host sends `netvet audit` back (the agentless script's sections and archive), read
//! into a snapshot, then checked with every rule and rendered: the whole path a hostile host's
//! bytes take on the controller.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::load::Target;
use netvet_fuzz::{assert_findings_inside, render};

fuzz_target!(|data: &[u8]| {
    let Ok(snapshot) = netvet::audit::collect::read(data, "fuzz:") else {
        return;
    };
    let live = snapshot.manifest.live;
    let run = netvet::CheckRun::new(
        &Target::bundle(snapshot.tree),
        live.as_ref(),
        &Default::default(),
    );
    assert_findings_inside(&run.host.sources, &run.diagnostics);
    render(&run.host.sources, &run.diagnostics, data.len() % 2 == 1);
});
