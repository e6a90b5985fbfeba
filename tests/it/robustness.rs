//! Parsers never panic: every parser and the whole check on generated garbage built from the
//! characters that matter to them (keywords, `\`, quotes, `#`, `=`, CR, NUL, non-ASCII).

use netvet::syntax::{hooks, interfaces, modprobe, sysctl};

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const PIECES: &[&str] = &[
    "iface",
    "auto",
    "allow-hotplug",
    "mapping",
    "source",
    "source-directory",
    "inet",
    "inet6",
    "static",
    "manual",
    "loopback",
    "bond-slaves",
    "bond-master",
    "bond-mode",
    "mtu",
    "script",
    "map",
    "options",
    "alias",
    "install",
    "softdep",
    "pre:",
    "post:",
    "bonding",
    "=",
    "-",
    "/",
    ".",
    "*",
    "\\",
    "\\\n",
    "\n",
    "\r\n",
    " ",
    "\t",
    "#",
    ";",
    "\"",
    "'",
    "&&",
    "|",
    ">",
    "ip",
    "link",
    "set",
    "dev",
    "sysctl",
    "-w",
    "9000",
    "eth0",
    "bond0.10",
    "é",
    "\u{0}",
    "",
    "netvet: ignore NV101 --",
];

fn garbage(rng: &mut Rng) -> String {
    let n = rng.next() % 60;
    (0..n)
        .map(|_| rng.pick(PIECES))
        .collect::<Vec<_>>()
        .join(if rng.next() % 3 == 0 { "" } else { " " })
}

#[test]
fn parsers_and_rules_survive_garbage() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let text = garbage(&mut rng);
        let _ = interfaces::parse(&text);
        let _ = modprobe::parse(&text);
        let _ = sysctl::parse(&text);
        let _ = hooks::parse(&text, 0);
    }
    // The whole pipeline, rules included, on garbage host trees.
    for _ in 0..200 {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        for (path, text) in [
            ("network/interfaces", garbage(&mut rng)),
            ("modprobe.d/x.conf", garbage(&mut rng)),
            ("sysctl.d/x.conf", garbage(&mut rng)),
        ] {
            let p = etc.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let target = netvet::load::Target::Root(netvet::load::Root::new(dir.path()));
        let run = netvet::CheckRun::new(&target, None, &Default::default());
        let _ = netvet::report::human(
            std::slice::from_ref(&run),
            false,
            netvet::report::Verbosity::Normal,
        );
        let _ = netvet::report::json(std::slice::from_ref(&run));
    }
}

/// Found by the `suppression` fuzz target: a code whose second byte is inside a multi-byte character
/// (`# netvet: ignore xé`) was sliced at its second byte to compare it with `NV`, and the
/// panic took down the whole check of any file holding the comment.
#[test]
fn robust_suppression_code_with_multibyte_char() {
    use netvet::syntax::suppression;
    let directive = suppression::parse_directive("# netvet: ignore xé NV101").unwrap();
    assert_eq!(directive.codes, ["xé", "NV101"]);
    let comments = suppression::scan("# netvet: ignore xé\noptions bonding mode=4\n");
    assert_eq!(comments[0].codes, ["xé"]);
}

/// Found by the `systemd` fuzz target: a unit-file key joined across a `\` continuation got a
/// span as long as the joined key from the line's start, which ended inside `é` (so slicing the
/// file at it panicked) and never covered what was written. It now covers the logical line.
#[test]
fn robust_systemd_key_joined_across_continuation() {
    use netvet::syntax::systemd;
    let text = "Kxx\\\néé=1\n";
    let unit = systemd::parse(text);
    let key = &unit.entries[0].key;
    assert_eq!(key.text, "Kxx éé");
    assert_eq!(text.get(key.span.range()), Some("Kxx\\\néé=1"));
    // A key on one line keeps its own bytes.
    let unit = systemd::parse("[Socket]\nListenStream=[::]:80\n");
    assert_eq!(unit.entries[0].key.span.range(), 9..21);
}
