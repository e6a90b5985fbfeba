//! NV403-NV404: `net.ipv6.bindv6only`, which decides whether an IPv6 wildcard listener that does
//! not set IPV6_V6ONLY itself also accepts IPv4. Where it is set, and what the kernel runs with.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::live::LiveState;

const BINDV6ONLY: &str = "net.ipv6.bindv6only";

/// NV404: several configured sources disagree.
pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Vec<Diagnostic>) {
    let all = ctx.model.configured_sysctl(BINDV6ONLY);
    let Some(winner) = all.last() else { return };
    let others: Vec<_> = all[..all.len() - 1]
        .iter()
        .filter(|s| s.value != winner.value)
        .collect();
    if others.is_empty() {
        return;
    }
    let sources = ctx.host.sources.describe(winner.location);
    let mut d = Diagnostic::new(
        "NV404",
        format!(
            "{BINDV6ONLY} is set to different values; {} wins, from {sources}",
            winner.value
        ),
    )
    .at(winner.location)
    .help("set it in one place only: one file in /etc/sysctl.d, and no `sysctl -w` in hooks")
    .note("systemd-sysctl applies the files in the order of their names and the last assignment wins; `sysctl -w` in an interface hook runs later still, when the interface comes up");
    for other in others {
        d = d.label(Some(other.location), format!("sets {}", other.value));
    }
    out.push(d);
}

/// NV403: the kernel runs with another value than the configuration sets.
pub(super) fn check_live(ctx: &Context<'_, '_>, live: &LiveState, out: &mut Vec<Diagnostic>) {
    let Some(winner) = ctx.model.configured_sysctl(BINDV6ONLY).last().copied() else {
        return;
    };
    let Some(running) = live.sysctls.get(BINDV6ONLY) else {
        return;
    };
    if *running == winner.value {
        return;
    }
    out.push(
        Diagnostic::new(
            "NV403",
            format!(
                "{BINDV6ONLY} is {running} in the kernel, but the configuration sets {}",
                winner.value
            ),
        )
        .at(winner.location)
        .help(format!(
            "apply it (`sysctl -w {BINDV6ONLY}={}`, or `systemctl restart systemd-sysctl`), or change the configuration to what should run",
            winner.value
        ))
        .note("the configuration was not applied, or someone changed the value by hand; IPv6 wildcard listeners that do not set IPV6_V6ONLY themselves behave differently after the next reboot"),
    );
}
