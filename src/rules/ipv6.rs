//! NV401-NV406: dual-stack listeners and port conflicts. `net.ipv6.bindv6only` decides whether an IPv6 wildcard
//! listener that does not set IPV6_V6ONLY itself also accepts IPv4: where it is set, what the
//! kernel runs with, and whether every configured and live listener is reachable over IPv4 and
//! IPv6 and can bind.

use super::{Context, Findings};
use crate::diagnostic::registry as rule;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Severity};
use crate::live::LiveState;
use crate::model::listeners::{ConfiguredListener, V6Only, binds_conflict, collect};

use crate::model::BINDV6ONLY;

/// bindv6only as the sockets will see it (decided by the model), with where it comes from.
fn bindv6only(ctx: &Context<'_, '_>, live: Option<&LiveState>) -> (bool, String) {
    let running = live
        .and_then(|l| l.sysctls.get(BINDV6ONLY))
        .map(String::as_str);
    let b = ctx.model.bindv6only(running);
    (b.on, b.describe(&ctx.host.sources))
}

/// Whether an IPv6 listener refuses IPv4, and why.
fn v6only(l: &ConfiguredListener, sysctl: &(bool, String)) -> (bool, String) {
    match l.v6only {
        V6Only::Explicit(v) => (
            v,
            format!("{} sets IPV6_V6ONLY={} itself", l.program, u8::from(v)),
        ),
        V6Only::FromSysctl => (
            sysctl.0,
            format!("{} leaves IPV6_V6ONLY to {}", l.program, sysctl.1),
        ),
    }
}

/// Point a finding at the line that declares the listener, or, for a program's default, at its
/// file with a note saying so.
fn at_listener(d: Diagnostic, l: &ConfiguredListener) -> Diagnostic {
    match (l.place(), l.default) {
        (Some(location), _) => d.at(location),
        (None, Some(default)) => d.in_file(l.location.file).note(default),
        (None, None) => d.in_file(l.location.file),
    }
}

/// NV401's fix: an IPv4 listener beside the IPv6 one (nginx's directive with its parameters,
/// without `ipv6only=`), or a socket unit's IPv6 socket made dual-stack. `None` for a program's
/// default, which no line declares.
fn ipv4_listener(out: &Findings<'_>, l: &ConfiguredListener) -> Option<Vec<Edit>> {
    let at = l.place()?;
    let sources = out.sources();
    let edit = match (l.program.as_str(), l.v6only) {
        ("nginx", _) => {
            let directive = sources.get(at.file).slice(at.span);
            if !directive.starts_with("listen") || !directive.contains("[::]:") {
                return None;
            }
            let v4: Vec<&str> = directive
                .trim_end_matches(';')
                .split_whitespace()
                .filter(|w| !w.starts_with("ipv6only="))
                .collect();
            let v4 = v4.join(" ").replacen("[::]:", "", 1);
            super::edit::insert_line(sources, at, true, &format!("{v4};"))
        }
        ("sshd", _) => super::edit::insert_line(
            sources,
            at,
            false,
            &format!("ListenAddress 0.0.0.0:{}", l.port),
        ),
        ("apache2", _) => {
            super::edit::insert_line(sources, at, false, &format!("Listen 0.0.0.0:{}", l.port))
        }
        (_, V6Only::FromSysctl) => {
            super::edit::insert_line(sources, at, false, "BindIPv6Only=both")
        }
        _ => super::edit::insert_line(
            sources,
            at,
            false,
            &format!("ListenStream=0.0.0.0:{}", l.port),
        ),
    };
    Some(vec![edit])
}

fn fix_for(l: &ConfiguredListener) -> String {
    match (l.program.as_str(), l.v6only) {
        ("nginx", _) => format!("add `listen {};` for IPv4, or make this one dual-stack: `listen [::]:{} ipv6only=off;`", l.port, l.port),
        ("sshd", _) => format!("add `ListenAddress 0.0.0.0:{}`", l.port),
        ("apache2", _) => format!("add `Listen 0.0.0.0:{}`", l.port),
        (_, V6Only::FromSysctl) => "set `BindIPv6Only=both` in the socket unit, or `net.ipv6.bindv6only = 0` in /etc/sysctl.d".to_string(),
        _ => format!("add `ListenStream=0.0.0.0:{}` to the socket unit", l.port),
    }
}

/// NV402's fix: nginx's `ipv6only=off` dropped (its default is on); a socket unit's IPv6
/// socket made v6-only.
fn v6_only_again(out: &Findings<'_>, l: &ConfiguredListener) -> Option<Vec<Edit>> {
    let at = l.place()?;
    let sources = out.sources();
    let directive = sources.get(at.file).slice(at.span);
    match l.program.as_str() {
        "nginx" => {
            let i = directive.find(" ipv6only=off")?;
            let start = at.span.start as usize + i;
            Some(vec![Edit::replace(
                crate::source::Location {
                    file: at.file,
                    span: crate::source::Span::new(start, start + " ipv6only=off".len()),
                },
                "",
            )])
        }
        "sshd" | "apache2" => None,
        _ => Some(vec![super::edit::insert_line(
            sources,
            at,
            false,
            "BindIPv6Only=ipv6-only",
        )]),
    }
}

/// NV401, NV402, NV406, and NV405 when the live state is known.
pub(super) fn check_listeners(
    ctx: &Context<'_, '_>,
    live: Option<&LiveState>,
    out: &mut Findings<'_>,
) {
    let configured = collect(ctx.host);
    let sysctl = bindv6only(ctx, live);
    ipv4_refused(&configured, &sysctl, live, out);
    bound_twice(&configured, &sysctl, out);
    port_conflicts(&configured, &sysctl, out);
    if let Some(live) = live {
        not_listening(&configured, live, out);
    }
}

/// NV401: a v6-only [::]:P with nothing taking IPv4 on P, configured or (live) running.
fn ipv4_refused(
    configured: &[ConfiguredListener],
    sysctl: &(bool, String),
    live: Option<&LiveState>,
    out: &mut Findings<'_>,
) {
    let mut reported_ports = Vec::new();
    for l in configured.iter().filter(|l| l.address == "::") {
        let (only, why) = v6only(l, sysctl);
        let v4_configured = configured.iter().any(|o| o.port == l.port && !o.is_ipv6());
        let v4_live = live.is_some_and(|s| {
            s.listeners
                .iter()
                .any(|o| o.port == l.port && (o.family == "ipv4" || !o.reaches().eq("ipv6")))
        });
        // NV401: nothing takes IPv4 on this port.
        if only && !v4_configured && !v4_live {
            reported_ports.push(l.port);
            let d = Diagnostic::new(
                rule::NV401,
                format!(
                    "{} listens on [::]:{} for IPv6 only: IPv4 clients are refused",
                    l.program, l.port
                ),
            )
            .listener(l.port, "::", &l.program)
            .help(fix_for(l))
            .note(why)
            .fix_opt(super::edit::fix(
                format!("let IPv4 clients reach port {} too", l.port),
                Applicability::Unsafe,
                ipv4_listener(out, l),
            ));
            out.push(at_listener(d, l));
        }
    }
    let Some(live) = live else { return };
    // NV401 for live sockets that no configured finding already covers.
    for l in &live.listeners {
        if l.family != "ipv6"
            || l.address != "::"
            || l.reaches() != "ipv6"
            || reported_ports.contains(&l.port)
        {
            continue;
        }
        if live
            .listeners
            .iter()
            .any(|o| o.port == l.port && o.family == "ipv4")
        {
            continue;
        }
        let program = l
            .process
            .as_ref()
            .map_or("an unknown program", |p| p.name.as_str());
        out.push(
            Diagnostic::new(
                rule::NV401,
                format!(
                    "{program} listens on [::]:{} for IPv6 only: IPv4 clients are refused",
                    l.port
                ),
            )
            .listener(l.port, "::", program)
            .help("listen on 0.0.0.0 too, or let the IPv6 socket accept IPv4 (IPV6_V6ONLY=0)")
            .note("the running socket has IPV6_V6ONLY=1 (sock_diag)"),
        );
    }
}

/// NV402: one program binding 0.0.0.0:P beside a dual-stack [::]:P.
fn bound_twice(configured: &[ConfiguredListener], sysctl: &(bool, String), out: &mut Findings<'_>) {
    for l in configured.iter().filter(|l| l.address == "::") {
        let (only, why) = v6only(l, sysctl);
        // NV402: the same program also binds 0.0.0.0:P and this socket would take IPv4 too.
        // Apache's httpd notices and drops the IPv4 listener itself.
        if !only && l.program != "apache2" {
            if let Some(v4) = configured
                .iter()
                .find(|o| o.port == l.port && o.address == "0.0.0.0" && o.program == l.program)
            {
                let d = Diagnostic::new(rule::NV402, format!("{} binds both 0.0.0.0:{} and a dual-stack [::]:{}: one bind fails with EADDRINUSE", l.program, l.port, l.port))
                        .listener(l.port, "::", &l.program)
                        .label(v4.place(), "0.0.0.0 here")
                        .help(match l.program.as_str() {
                            "nginx" => format!("drop `ipv6only=off` (nginx's default is on), or drop `listen {};` and keep the dual-stack socket", l.port),
                            _ => "make the IPv6 socket v6-only (`BindIPv6Only=ipv6-only`), or drop the IPv4 one".to_string(),
                        })
                        .note(why)
                        .fix_opt(super::edit::fix(
                            format!("make {}'s [::]:{} socket IPv6-only, so that both binds succeed", l.program, l.port),
                            Applicability::Unsafe,
                            v6_only_again(out, l),
                        ));
                out.push(at_listener(d, l));
            }
        }
    }
}

/// NV405: configured but not listening, and listening but not configured.
fn not_listening(configured: &[ConfiguredListener], live: &LiveState, out: &mut Findings<'_>) {
    // NV405: configured but not listening, one finding per program; listening but not
    // configured.
    let missing: Vec<&ConfiguredListener> = configured
        .iter()
        .filter(|l| {
            !live.listeners.iter().any(|o| {
                o.port == l.port
                    && (o.address == l.address
                        || (l.address == "0.0.0.0" && o.reaches().contains("ipv4")))
            })
        })
        .collect();
    let mut programs: Vec<&str> = missing.iter().map(|l| l.program.as_str()).collect();
    programs.sort_unstable();
    programs.dedup();
    for program in programs {
        let mine: Vec<&&ConfiguredListener> =
            missing.iter().filter(|l| l.program == program).collect();
        let addresses = mine
            .iter()
            .map(|l| format!("{}:{}", bracket(&l.address), l.port))
            .collect::<Vec<_>>()
            .join(", ");
        // nginx, httpd and sshd exit when a bind fails, so a program none of whose sockets
        // listen, and that owns no other listening socket, is stopped rather than broken.
        let some_listen = configured
            .iter()
            .any(|l| l.program == program && !missing.iter().any(|m| std::ptr::eq(*m, l)));
        let owns_a_socket = live
            .listeners
            .iter()
            .any(|o| o.process.as_ref().is_some_and(|p| p.name == program));
        let first = mine[0];
        let mut d = if some_listen || owns_a_socket {
            Diagnostic::new(
                rule::NV405,
                format!("{program} runs but does not listen on {addresses} from its configuration"),
            )
            .help(format!(
                "read {program}'s log: a bind may have failed; or reload it if its configuration changed since it started"
            ))
        } else {
            let service = program.trim_end_matches(".socket");
            Diagnostic::new(
                rule::NV405,
                format!("{program} is not running (configured to listen on {addresses})"),
            )
            .severity(Severity::Info)
            .help(format!(
                "nothing to do if it is stopped on purpose; otherwise start it (`systemctl start {service}`) and read its log"
            ))
        };
        d = at_listener(d, first).listener(first.port, &first.address, program);
        for l in &mine[1..] {
            if l.location != first.location {
                d = d.label(
                    l.place(),
                    format!("{}:{} here", bracket(&l.address), l.port),
                );
            }
        }
        out.push(d);
    }
    for o in &live.listeners {
        let wildcard = o.address == "0.0.0.0" || o.address == "::";
        if wildcard && !configured.iter().any(|l| l.port == o.port) {
            let program = o
                .process
                .as_ref()
                .map_or("an unknown program", |p| p.name.as_str());
            out.push(
                Diagnostic::new(rule::NV405, format!("{program} listens on {}:{}, which no configuration netvet reads declares", bracket(&o.address), o.port))
                    .severity(Severity::Info)
                    .listener(o.port, &o.address, program)
                    .help("nothing to do if it is expected; netvet reads nginx, Apache, sshd and systemd socket units"),
            );
        }
    }
}

/// Whether two configured programs are one service: sshd and the socket unit that starts it.
fn one_service(a: &str, b: &str) -> bool {
    let socket_of_sshd = |s: &str| s == "ssh.socket" || s == "sshd.socket";
    a == b || (a == "sshd" && socket_of_sshd(b)) || (b == "sshd" && socket_of_sshd(a))
}

/// NV406: two programs configured on sockets that cannot both bind. One finding per pair of
/// programs and port; the same program binding 0.0.0.0 beside a dual-stack [::] is NV402's.
fn port_conflicts(
    configured: &[ConfiguredListener],
    sysctl: &(bool, String),
    out: &mut Findings<'_>,
) {
    let mut reported: Vec<(u16, &str, &str)> = Vec::new();
    for (i, first) in configured.iter().enumerate() {
        for second in &configured[i + 1..] {
            if one_service(&first.program, &second.program)
                || !binds_conflict(first, second, sysctl.0)
                || reported.contains(&(first.port, &first.program, &second.program))
            {
                continue;
            }
            reported.push((first.port, &first.program, &second.program));
            let socket = |l: &ConfiguredListener| format!("{}:{}", bracket(&l.address), l.port);
            let mut d = Diagnostic::new(
                rule::NV406,
                format!(
                    "{} and {} are both configured on port {}: whichever starts second fails to bind (EADDRINUSE)",
                    first.program, second.program, first.port
                ),
            )
            .listener(second.port, &second.address, &second.program)
            .label(
                first.place(),
                format!("{} binds {} here", first.program, socket(first)),
            )
            .help(format!(
                "move one of them to another port (or to addresses the other does not bind), or disable the one you do not need (`systemctl disable --now {}`)",
                second.program.trim_end_matches(".socket")
            ))
            .note(format!(
                "{} {} and {} {} overlap; SO_REUSEADDR, which nginx, Apache and sshd set, does not let two sockets listen on one port",
                first.program,
                socket(first),
                second.program,
                socket(second)
            ));
            for l in [first, second] {
                if l.address == "::" && !l.v6only_with(sysctl.0) {
                    d = d.note(format!(
                        "{}'s [::]:{} also takes IPv4: {}",
                        l.program,
                        l.port,
                        v6only(l, sysctl).1
                    ));
                }
            }
            out.push(at_listener(d, second));
        }
    }
}

fn bracket(address: &str) -> String {
    if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
    }
}

/// NV404: several configured sources disagree.
pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
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
        rule::NV404,
        format!(
            "{BINDV6ONLY} is set to different values; {} wins, from {sources}",
            winner.value
        ),
    )
    .at(winner.location)
    .help("set it in one place only: one file in /etc/sysctl.d, and no `sysctl -w` in hooks")
    .note("systemd-sysctl applies the files in the order of their names and the last assignment wins; `sysctl -w` in an interface hook runs later still, when the interface comes up");
    for other in &others {
        d = d.label(Some(other.location), format!("sets {}", other.value));
    }
    // The assignments the winner overrides can go when all of them, and the winner, are lines
    // of sysctl files: the boot then ends with the same value. A `sysctl -w` in a hook runs
    // later, when its interface comes up, and is not touched.
    let in_files = |s: &crate::load::sysctl::Setting| {
        !s.from_glob && ctx.host.sysctl.iter().any(|(id, _)| *id == s.location.file)
    };
    let edits = (in_files(winner) && others.iter().all(|s| in_files(s))).then(|| {
        others
            .iter()
            .map(|s| super::edit::remove_line(out.sources(), s.location))
            .collect()
    });
    d = d.fix_opt(super::edit::fix(
        format!(
            "remove the earlier assignments; keep `{BINDV6ONLY} = {}` where it wins",
            winner.value
        ),
        Applicability::Safe,
        edits,
    ));
    out.push(d);
}

/// The value of a sysctl file's assignment (`1` in `net.ipv6.bindv6only = 1`); `None` for a
/// hook's `sysctl -w` or a glob entry.
fn sysctl_value(
    ctx: &Context<'_, '_>,
    out: &Findings<'_>,
    s: &crate::load::sysctl::Setting,
) -> Option<crate::source::Location> {
    if s.from_glob || !ctx.host.sysctl.iter().any(|(id, _)| *id == s.location.file) {
        return None;
    }
    let line = out.sources().get(s.location.file).slice(s.location.span);
    let eq = line.rfind('=')?;
    let value = line[eq + 1..].trim();
    let start = s.location.span.start as usize
        + eq
        + 1
        + (line[eq + 1..].len() - line[eq + 1..].trim_start().len());
    Some(crate::source::Location {
        file: s.location.file,
        span: crate::source::Span::new(start, start + value.len()),
    })
}

/// NV403: the kernel runs with another value than the configuration sets.
pub(super) fn check_live(ctx: &Context<'_, '_>, live: &LiveState, out: &mut Findings<'_>) {
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
            rule::NV403,
            format!(
                "{BINDV6ONLY} is {running} in the kernel, but the configuration sets {}",
                winner.value
            ),
        )
        .at(winner.location)
        .fix_opt(super::edit::fix(
            format!("set {BINDV6ONLY} = {running} in the file, the value the kernel runs with"),
            Applicability::Unsafe,
            sysctl_value(ctx, out, winner).map(|at| vec![Edit::replace(at, running.as_str())]),
        ))
        .help(format!(
            "apply it (`sysctl -w {BINDV6ONLY}={}`, or `systemctl restart systemd-sysctl`), or change the configuration to what should run",
            winner.value
        ))
        .note("the configuration was not applied, or someone changed the value by hand; IPv6 wildcard listeners that do not set IPV6_V6ONLY themselves behave differently after the next reboot"),
    );
}
