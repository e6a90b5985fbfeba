//! Differential tests: netvet's interfaces parser against Debian's own, `ifquery` from ifupdown
//! 0.8.41, on every interfaces file of the shared corpus, and against the parse errors that
//! ifupdown's own test suite expects.
//!
//! What is compared, and the normalisations (docs/ifquery-differences.md says why):
//! - a file ifquery rejects gets a fatal syntax error (NV001) from netvet, or NV005 when the
//!   failure is `--list` meeting an `auto` name with no stanza ("unknown interface");
//!   and a file netvet finds a fatal syntax error in is rejected by ifquery;
//! - `--list` equals netvet's `auto` names (with bare `auto` lines inside stanzas, and the
//!   implicit `lo` ifupdown adds when no stanza uses the loopback method), in order;
//! - `ifquery NAME` prints each stanza's options; netvet's options equal them as a multiset of
//!   `key: value` pairs after: `post-up` → `up`, `pre-down` → `down`; repeated non-hook options
//!   in a stanza joined with a newline; `address A/N` → `address A`; `hwaddress ether M` →
//!   `hwaddress M`. Keys that ifquery computes from the method definitions (`netmask`,
//!   `broadcast`, and inet6's `autoconf`, `preferred-lifetime`, `dad-attempts`, `dad-interval`,
//!   `accept_ra`, `request_prefix`, `ll-attempts`, `ll-interval`) are compared by presence only:
//!   netvet's must be there, ifquery may add them. `address A/N` is split only for the `static`
//!   method, the only one whose conversion splits it; an address that is not an IP address is
//!   truncated by that conversion, so there ifquery's value need only be a prefix of netvet's;
//! - `auto` patterns (`auto /eth*/=foo`) are matched by ifquery against the machine's devices:
//!   files using them are not compared on `--list`; `auto PHYS=LOGICAL` is listed as PHYS; with
//!   `source`d files `--list` is compared as a set (ifquery lists in reading order);
//! - a stanza that `inherits` gets its parent's options from ifquery; netvet's options need only
//!   be among them;
//! - ifupdown keeps 79 bytes of an option name; longer names are compared on those bytes;
//! - stanzas ifupdown never reads (after a fatal error in a `source`d file) are unknown to
//!   `ifquery NAME`.
//!
//! Every ifquery run gets a private `--state-dir`, so the host's /run/network never leaks in.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use netvet::load::Host;
use netvet::load::{Target, load};
use netvet::syntax::interfaces::{self, Item, MAX_WORD};

use crate::support::corpus;

const COMPUTED: &[&str] = &[
    "netmask",
    "broadcast",
    "autoconf",
    "preferred-lifetime",
    "dad-attempts",
    "dad-interval",
    "accept_ra",
    "request_prefix",
    "ll-attempts",
    "ll-interval",
];

/// The error that makes ifupdown reject the configuration: a stop in the main file.
fn rejection(host: &Host) -> Option<&str> {
    let (_, main) = host.interfaces.first()?;
    let stop = main.stop.as_ref()?;
    Some(main.errors[stop.error].message.as_str())
}

fn ifquery(dir: &Path, args: &[&str]) -> (bool, String) {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new("ifquery")
        .arg(format!("--state-dir={}", state.path().display()))
        .args(["-i", "interfaces", "--no-mappings"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ifquery runs (tests/run-all.sh installs ifupdown)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `key: value` pairs of `ifquery NAME`; a line that does not start a pair continues the value
/// before it (repeated options are joined with newlines).
fn pairs(text: &str, keys: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let starts = line
            .split_once(": ")
            .or_else(|| line.strip_suffix(':').map(|k| (k, "")));
        match starts {
            Some((k, v))
                if !k.contains(char::is_whitespace)
                    && (keys.iter().any(|x| x == k) || COMPUTED.contains(&k) || out.is_empty()) =>
            {
                out.push((k.to_string(), v.to_string()));
            }
            _ => match out.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line);
                }
                None => out.push((line.to_string(), String::new())),
            },
        }
    }
    out
}

/// An option name as ifupdown keeps it: its first 79 bytes (it may print stale bytes after them).
fn cut_key(key: &str) -> String {
    let bytes = key.as_bytes();
    String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_WORD)]).into_owned()
}

/// netvet's view of one stanza's options, normalised as ifquery prints them.
fn stanza_pairs(stanza: &interfaces::Stanza) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for opt in &stanza.options {
        let key = cut_key(opt.canonical_name());
        let mut value = opt.value.text.to_string();
        if key == "address" && stanza.method_str() == Some("static") {
            if let Some((addr, _)) = value.split_once('/') {
                value = addr.to_string();
            }
        }
        if key == "hwaddress" {
            if let Some(mac) = value.strip_prefix("ether") {
                value = mac.trim().to_string();
            }
        }
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) if !opt.is_hook() => {
                v.push('\n');
                v.push_str(&value);
            }
            _ => out.push((key, value)),
        }
    }
    out
}

/// What ifquery made of a configuration.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Rejected,
}

/// Compare netvet and ifquery on the configuration `dir/interfaces` (and what it sources);
/// disagreements go to `failures`, prefixed with `name`.
fn compare(name: &str, dir: &Path, failures: &mut Vec<String>) -> Verdict {
    let file = dir.join("interfaces");
    let host = load(&Target::interfaces_file(file));
    let fatal = rejection(&host);
    let (ok, listed) = ifquery(dir, &["--list"]);
    if !ok {
        let diagnostics = netvet::rules::check(&host, None, &Default::default());
        let explained = fatal.is_some()
            || diagnostics
                .iter()
                .any(|d| d.code == "NV005" && d.severity == netvet::diagnostic::Severity::Error);
        if !explained {
            failures.push(format!(
                "{name}: ifquery rejects it, netvet reports no NV001/NV005"
            ));
        }
        return Verdict::Rejected;
    }
    if let Some(fatal) = fatal {
        failures.push(format!("{name}: ifquery accepts it, netvet says {fatal:?}"));
        return Verdict::Accepted;
    }
    // ifupdown puts `lo` on the auto list before it reads the file.
    let mut expected: Vec<String> = vec!["lo".to_string()];
    for (_, f) in &host.interfaces {
        for item in &f.items {
            let names: Vec<String> = match item {
                Item::Allow { class, names, .. } if class == "auto" => {
                    names.iter().map(|w| w.text.to_string()).collect()
                }
                Item::Iface(s) if s.flags.iter().any(|f| f.text == "auto") => {
                    vec![s.name.text.to_string()]
                }
                _ => Vec::new(),
            };
            for n in names {
                // `auto PHYS=LOGICAL` is listed as PHYS.
                let n = match n.split_once('=') {
                    Some((phys, _)) if !n.contains('/') => phys.to_string(),
                    _ => n,
                };
                if !expected.contains(&n) {
                    expected.push(n);
                }
            }
        }
    }
    let got: Vec<String> = listed.lines().map(str::to_string).collect();
    let patterns = expected.iter().any(|n| n.contains('/'));
    // ifquery lists in reading order (a `source` line's files where the line is); netvet keeps
    // each file's names in order, the files one after the other.
    let in_order = |list: &[String]| {
        let mut list = list.to_vec();
        if host.interfaces.len() > 1 {
            list.sort();
        }
        list
    };
    if in_order(&got) != in_order(&expected) && !patterns {
        failures.push(format!(
            "{name}: --list\n  ifquery {got:?}\n  netvet  {expected:?}"
        ));
    }
    // Options, per interface name.
    let mut by_name: BTreeMap<String, (Vec<(String, String)>, bool)> = BTreeMap::new();
    for (_, f) in &host.interfaces {
        for item in &f.items {
            if let Item::Iface(s) = item {
                let entry = by_name.entry(s.name.text.to_string()).or_default();
                entry.0.extend(stanza_pairs(s));
                entry.1 |= s.inherits.is_some();
            }
        }
    }
    // What ifupdown never read, it does not know.
    for (_, f) in &host.interfaces {
        for item in &f.unread {
            if let Item::Iface(s) = item {
                if !by_name.contains_key(s.name.text.as_str()) && ifquery(dir, &[&s.name.text]).0 {
                    failures.push(format!(
                        "{name}: ifquery knows {}, which netvet says it never reads",
                        s.name.text
                    ));
                }
            }
        }
    }
    for (iface, (mut ours, inherits)) in by_name {
        let keys: Vec<String> = ours.iter().map(|(k, _)| k.clone()).collect();
        let (ok, text) = ifquery(dir, &[&iface]);
        if !ok {
            failures.push(format!("{name}: ifquery {iface} failed"));
            continue;
        }
        let mut theirs: Vec<(String, String)> = pairs(&text, &keys)
            .into_iter()
            .map(|(k, v)| (cut_key(&k), v))
            .collect();
        let our_computed: Vec<String> = ours
            .iter()
            .filter(|(k, _)| COMPUTED.contains(&k.as_str()))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &our_computed {
            if !theirs.iter().any(|(t, _)| t == k) {
                failures.push(format!("{name}: {iface}: ifquery lacks `{k}`"));
            }
        }
        ours.retain(|(k, _)| !COMPUTED.contains(&k.as_str()));
        theirs.retain(|(k, _)| !COMPUTED.contains(&k.as_str()));
        if inherits {
            // ifquery merges the parent's options in; netvet's own keys must be there.
            for (k, _) in &ours {
                if !theirs.iter().any(|(t, _)| t == k) {
                    failures.push(format!("{name}: {iface}: ifquery lacks inherited `{k}`"));
                }
            }
            continue;
        }
        ours.sort();
        theirs.sort();
        let truncated_only = ours.len() == theirs.len()
            && ours.iter().zip(&theirs).all(|((ka, va), (kb, vb))| {
                ka == kb
                    && (va == vb
                        || (ka == "address"
                            && va.parse::<std::net::IpAddr>().is_err()
                            && va.starts_with(vb.as_str())))
            });
        if !truncated_only {
            failures.push(format!(
                "{name}: {iface}\n  ifquery {theirs:?}\n  netvet  {ours:?}"
            ));
        }
    }
    Verdict::Accepted
}

#[test]
fn ifquery_agrees_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("interfaces"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut accepted, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(path, dir.path().join("interfaces")).unwrap();
        match compare(&name, dir.path(), &mut failures) {
            Verdict::Accepted => accepted += 1,
            Verdict::Rejected => rejected += 1,
        }
    }
    eprintln!(
        "ifquery differential: {accepted} files accepted, {rejected} rejected, {} disagreements",
        failures.len()
    );
    assert!(
        accepted > 150 && rejected > 50,
        "{accepted} accepted, {rejected} rejected"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Debian ifupdown's own test suite: every parse error its expected output reports
/// (`ifup: tests/linux/testcase.N:LINE: message`) is reported by netvet at the same line.
#[test]
fn debian_testcases_errors_at_the_same_lines() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("ifupdown-tests/debian-ifupdown-0.8.41/tests/linux");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(n) = name.strip_prefix("testcase.") else {
            continue;
        };
        let Ok(expected) = std::fs::read_to_string(dir.join(format!("up.{n}"))) else {
            continue;
        };
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let parsed = interfaces::parse(&text);
        let source =
            netvet::source::SourceFile::new(name.clone(), path.clone(), text.clone().into_bytes());
        let our_lines: Vec<usize> = parsed
            .errors
            .iter()
            .map(|e| source.line_col(e.span.start).line)
            .collect();
        let marker = format!("{name}:");
        for line in expected.lines().filter(|l| l.contains(&marker)) {
            let rest = &line[line.find(&marker).unwrap() + marker.len()..];
            let Some((num, message)) = rest.split_once(':') else {
                continue;
            };
            let Ok(num) = num.parse::<usize>() else {
                continue;
            };
            assert!(
                our_lines.contains(&num),
                "{name}:{num}: ifupdown says{message}, netvet reports errors at lines {our_lines:?}"
            );
            checked += 1;
        }
        // Every test case parses without a panic, and a case ifupdown accepts has no fatal error.
        if !expected.contains(&marker) {
            assert!(
                parsed.stop.is_none(),
                "{name}: ifupdown accepts it, netvet stops at {:?}",
                parsed.stop.as_ref().map(|s| &parsed.errors[s.error])
            );
        }
    }
    assert!(checked >= 3, "only {checked} expected errors found");
}

#[test]
fn no_interfaces_like_file_in_the_corpus_panics() {
    let Some(corpus) = corpus() else { return };
    let mut stack = vec![
        corpus.join("ifupdown-tests"),
        corpus.join("templates"),
        corpus.join("interfaces"),
    ];
    let mut parsed = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let _ = interfaces::parse(&String::from_utf8_lossy(&bytes));
            parsed += 1;
        }
    }
    assert!(parsed > 1000, "{parsed} files");
}

/// One edge case: its files, what the real ifquery does with it (observed on 0.8.41 and pinned
/// here), and what netvet must report.
struct Edge {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    verdict: Verdict,
    /// `ifquery` arguments that must fail (`false`) or succeed (`true`).
    queries: &'static [(&'static [&'static str], bool)],
    /// NV codes netvet must report (severity aside).
    codes: &'static [&'static str],
}

const LONG_VALUE: &str = "iface a inet manual\n  up echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n  yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy 79\n";
const LONG_NAME: &str = "iface a inet manual\n  zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz 100\n";

const EDGES: &[Edge] = &[
    // 1. A fatal error in a sourced file ends that file only.
    Edge {
        name: "error-in-source",
        files: &[
            (
                "interfaces",
                "auto a\niface a inet manual\n  mtu 1500\nsource inc\nauto b\niface b inet manual\n  mtu 1400\n",
            ),
            (
                "inc",
                "auto c\niface c inet manual\n  mtu 1300\n  mtu\nauto e\niface e inet manual\n  mtu 9000\n",
            ),
        ],
        verdict: Verdict::Accepted,
        queries: &[(&["c"], true), (&["e"], false), (&["b"], true)],
        codes: &["NV001"],
    },
    Edge {
        name: "error-in-source-directory",
        files: &[
            (
                "interfaces",
                "source-directory d\nauto b\niface b inet manual\n",
            ),
            (
                "d/x",
                "iface x inet manual\nauto x\nmtu 9000\nauto y\niface y inet manual\n",
            ),
            ("d/z", "auto z\niface z inet manual\n"),
        ],
        verdict: Verdict::Accepted,
        queries: &[(&["x"], true), (&["y"], false), (&["z"], true)],
        codes: &["NV001"],
    },
    Edge {
        name: "error-in-nested-source",
        files: &[
            ("interfaces", "source inc\nauto b\niface b inet manual\n"),
            (
                "inc",
                "auto c\niface c inet manual\nsource inc2\nauto f\niface f inet manual\n",
            ),
            (
                "inc2",
                "auto g\niface g inet manual\n  mtu\nsource inc3\nauto h\niface h inet manual\n",
            ),
            ("inc3", "auto i\niface i inet manual\n"),
        ],
        verdict: Verdict::Accepted,
        queries: &[(&["h"], false), (&["i"], false), (&["f"], true)],
        codes: &["NV001"],
    },
    Edge {
        name: "error-in-main-file",
        files: &[(
            "interfaces",
            "auto a\niface a inet manual\nauto b\nmtu 1\niface b inet manual\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[(&["a"], false)],
        codes: &["NV001"],
    },
    // 2. `inherits` needs a stanza read before it, of the same family unless none is given.
    Edge {
        name: "inherits-unknown",
        files: &[(
            "interfaces",
            "auto a\niface a inet static inherits y\n  address 10.0.0.1/24\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[],
        codes: &["NV001"],
    },
    Edge {
        name: "inherits-later",
        files: &[(
            "interfaces",
            "auto a\niface a inet manual inherits y\niface y inet manual\n  mtu 1400\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[],
        codes: &["NV001"],
    },
    Edge {
        name: "inherits-other-family",
        files: &[(
            "interfaces",
            "iface y inet6 manual\n  mtu 1400\nauto a\niface a inet manual inherits y\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[],
        codes: &["NV001"],
    },
    Edge {
        name: "inherits-any-family",
        files: &[(
            "interfaces",
            "iface y inet6 manual\n  mtu 1400\nauto a\niface a inherits y\n  hwaddress 02:00:00:00:00:01\n",
        )],
        verdict: Verdict::Accepted,
        queries: &[(&["a"], true)],
        codes: &[],
    },
    Edge {
        name: "inherits-from-earlier-source",
        files: &[
            (
                "interfaces",
                "source inc\nauto a\niface a inet manual inherits y\n",
            ),
            ("inc", "iface y inet manual\n  mtu 1400\n"),
        ],
        verdict: Verdict::Accepted,
        queries: &[(&["a"], true)],
        codes: &[],
    },
    Edge {
        name: "inherits-unknown-in-source",
        files: &[
            ("interfaces", "source inc\nauto b\niface b inet manual\n"),
            (
                "inc",
                "iface a inet manual inherits y\niface c inet manual\n",
            ),
        ],
        verdict: Verdict::Accepted,
        queries: &[(&["a"], false), (&["c"], false)],
        codes: &["NV001"],
    },
    // 3. Words are cut at 79 bytes; values are not.
    Edge {
        name: "long-value",
        files: &[("interfaces", LONG_VALUE)],
        verdict: Verdict::Accepted,
        queries: &[(&["a"], true)],
        // `yyy...` is an option nothing reads.
        codes: &["NV007"],
    },
    Edge {
        name: "long-option-name",
        files: &[("interfaces", LONG_NAME)],
        verdict: Verdict::Accepted,
        queries: &[(&["a"], true)],
        codes: &["NV001", "NV007"],
    },
    // 4. A bare `auto` (or `allow-*`) ends a mapping, as `auto NAME` does; in an iface stanza it
    //    keeps the stanza open.
    Edge {
        name: "bare-auto-ends-mapping",
        files: &[(
            "interfaces",
            "mapping eth0\n  script /bin/true\nauto\n  map a b\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[],
        codes: &["NV001"],
    },
    Edge {
        name: "bare-allow-ends-mapping",
        files: &[(
            "interfaces",
            "mapping eth0\n  map a b\nallow-hotplug\n  script /bin/true\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[],
        codes: &["NV001"],
    },
    Edge {
        name: "auto-name-ends-mapping",
        files: &[(
            "interfaces",
            "mapping eth0\n  script /bin/true\nauto eth0\n  map a b\niface eth0 inet manual\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[],
        codes: &["NV001"],
    },
    Edge {
        name: "bare-auto-in-iface",
        files: &[("interfaces", "iface eth0 inet manual\n  auto\n  mtu 1500\n")],
        verdict: Verdict::Accepted,
        queries: &[(&["eth0"], true)],
        codes: &[],
    },
    // 5. `auto PHYS=LOGICAL` needs `iface LOGICAL`; an `iface PHYS` does not do.
    Edge {
        name: "auto-logical-undefined",
        files: &[(
            "interfaces",
            "auto eth0=home\niface eth0 inet manual\n  mtu 1500\n",
        )],
        verdict: Verdict::Rejected,
        queries: &[(&["eth0=home"], false), (&["eth0"], true)],
        codes: &["NV005"],
    },
    Edge {
        name: "auto-logical-defined",
        files: &[(
            "interfaces",
            "auto eth0=home\niface home inet manual\n  mtu 1500\n",
        )],
        verdict: Verdict::Accepted,
        queries: &[(&["eth0=home"], true)],
        codes: &[],
    },
    Edge {
        name: "allow-logical-undefined",
        files: &[(
            "interfaces",
            "allow-hotplug eth0=home\niface eth0 inet manual\n",
        )],
        verdict: Verdict::Accepted,
        queries: &[(&["--list", "--allow=hotplug"], false)],
        codes: &["NV005"],
    },
];

/// Each edge case against the real ifquery: the pinned verdict, the pinned queries, and the
/// same comparison as the corpus.
#[test]
fn ifquery_agrees_on_edge_cases() {
    let mut failures = Vec::new();
    for edge in EDGES {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in edge.files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let verdict = compare(edge.name, dir.path(), &mut failures);
        if verdict != edge.verdict {
            failures.push(format!(
                "{}: ifquery --list: {verdict:?}, expected {:?}",
                edge.name, edge.verdict
            ));
        }
        for (args, succeeds) in edge.queries {
            if ifquery(dir.path(), args).0 != *succeeds {
                failures.push(format!(
                    "{}: ifquery {args:?} should {}",
                    edge.name,
                    if *succeeds { "succeed" } else { "fail" }
                ));
            }
        }
        let host = load(&Target::interfaces_file(dir.path().join("interfaces")));
        let diagnostics = netvet::rules::check(&host, None, &Default::default());
        let codes: Vec<&str> = diagnostics
            .iter()
            .map(|d| d.code)
            .filter(|c| c.starts_with("NV00"))
            .collect();
        let mut want: Vec<&str> = edge.codes.to_vec();
        let mut got = codes.clone();
        got.sort();
        got.dedup();
        want.sort();
        if got != want {
            failures.push(format!(
                "{}: netvet reports {codes:?}, expected {want:?}",
                edge.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
