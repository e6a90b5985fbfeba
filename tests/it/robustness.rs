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
