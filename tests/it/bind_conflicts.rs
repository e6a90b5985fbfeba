//! The kernel facts behind NV402 and NV406, with real sockets in a namespace that has
//! 198.18.0.1, 198.18.0.2 and fd00::1: for each pair of listening TCP sockets (both with
//! SO_REUSEADDR, as nginx, Apache and sshd set it, and both without), whether the second bind
//! fails with EADDRINUSE, in both orders, and that netvet's `binds_conflict` says the same.

use netvet::model::listeners::{ConfiguredListener, V6Only, binds_conflict};
use netvet::source::{FileId, Location, Span};

use crate::support::Netns;

/// Binds and listens on the first socket, then binds the second: prints `ok` or `EADDRINUSE`.
const PAIR: &str = r#"
import socket, sys
def sock(addr, v6only, reuse):
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    return s
a, av6, b, bv6, reuse = sys.argv[1], sys.argv[2] == '1', sys.argv[3], sys.argv[4] == '1', sys.argv[5] == '1'
first = sock(a, av6, reuse)
first.bind((a, 8080))
first.listen()
second = sock(b, bv6, reuse)
try:
    second.bind((b, 8080))
    second.listen()
    print('ok')
except OSError as e:
    print('EADDRINUSE' if e.errno == 98 else e)
"#;

fn listener(address: &str, v6only: bool) -> ConfiguredListener {
    ConfiguredListener {
        program: "test".to_string(),
        address: address.to_string(),
        port: 8080,
        v6only: V6Only::Explicit(v6only),
        location: Location {
            file: FileId(0),
            span: Span::new(0, 0),
        },
        default: None,
    }
}

#[test]
fn bind_conflicts_are_what_the_kernel_does() {
    let Some(ns) = Netns::new("binds", &["python3"]) else {
        return;
    };
    ns.ip("addr add 198.18.0.1/15 dev lo");
    ns.ip("addr add 198.18.0.2/15 dev lo");
    ns.ip("addr add fd00::1/64 dev lo nodad");
    ns.ip("addr add fd00::2/64 dev lo nodad");
    // (first, its v6only, second, its v6only, conflict)
    let cases = [
        ("0.0.0.0", false, "0.0.0.0", false, true),
        ("0.0.0.0", false, "198.18.0.1", false, true),
        ("198.18.0.1", false, "198.18.0.1", false, true),
        ("198.18.0.1", false, "198.18.0.2", false, false),
        ("::", false, "0.0.0.0", false, true),
        ("::", false, "198.18.0.1", false, true),
        ("::", true, "0.0.0.0", false, false),
        ("::", true, "198.18.0.1", false, false),
        ("::", true, "::", true, true),
        ("::", true, "::", false, true),
        ("::", true, "fd00::1", true, true),
        ("::", false, "fd00::1", true, true),
        ("fd00::1", true, "fd00::2", true, false),
        ("fd00::1", true, "0.0.0.0", false, false),
        ("fd00::1", false, "198.18.0.1", false, false),
    ];
    let mut failures = Vec::new();
    for (a, av6, b, bv6, conflict) in cases {
        for ((x, xv6), (y, yv6)) in [((a, av6), (b, bv6)), ((b, bv6), (a, av6))] {
            for reuse in ["1", "0"] {
                let flag = |v: bool| if v { "1" } else { "0" };
                let out = ns.exec("python3", &["-c", PAIR, x, flag(xv6), y, flag(yv6), reuse]);
                let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
                let kernel = match said.as_str() {
                    "EADDRINUSE" => true,
                    "ok" => false,
                    _ => panic!(
                        "{x} then {y}: {said} {}",
                        String::from_utf8_lossy(&out.stderr)
                    ),
                };
                let netvet = binds_conflict(&listener(x, xv6), &listener(y, yv6), false);
                if kernel != conflict || netvet != kernel {
                    failures.push(format!(
                        "{x} (v6only={xv6}) then {y} (v6only={yv6}), SO_REUSEADDR={reuse}: kernel {said}, expected conflict {conflict}, netvet {netvet}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
