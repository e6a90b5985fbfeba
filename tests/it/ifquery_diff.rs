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
//!   files using them are not compared on `--list`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use netvet::load::{Target, load};
use netvet::syntax::interfaces::{self, Item};

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

/// Errors ifupdown only warns about; everything else netvet reports stops ifupdown.
fn is_fatal(message: &str) -> bool {
    !message.contains("is ignored")
}

fn ifquery(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("ifquery")
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

/// netvet's view of one stanza's options, normalised as ifquery prints them.
fn stanza_pairs(stanza: &interfaces::Stanza) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for opt in &stanza.options {
        let key = opt.canonical_name().to_string();
        let mut value = opt.value.text.clone();
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
        let file = dir.path().join("interfaces");
        std::fs::copy(path, &file).unwrap();
        let host = load(&Target::InterfacesFile(file.clone()));
        let fatal: Vec<&str> = host
            .interfaces
            .iter()
            .flat_map(|(_, f)| &f.errors)
            .map(|e| e.message.as_str())
            .filter(|m| is_fatal(m))
            .collect();
        let (ok, listed) = ifquery(dir.path(), &["--list"]);
        if !ok {
            rejected += 1;
            let diagnostics = netvet::rules::check(&host, None, &Default::default());
            let explained = !fatal.is_empty()
                || diagnostics.iter().any(|d| {
                    d.code == "NV005" && d.severity == netvet::diagnostic::Severity::Error
                });
            if !explained {
                failures.push(format!(
                    "{name}: ifquery rejects it, netvet reports no NV001/NV005"
                ));
            }
            continue;
        }
        accepted += 1;
        if !fatal.is_empty() {
            failures.push(format!("{name}: ifquery accepts it, netvet says {fatal:?}"));
            continue;
        }
        // ifupdown puts `lo` on the auto list before it reads the file.
        let mut expected: Vec<String> = vec!["lo".to_string()];
        for (_, f) in &host.interfaces {
            for item in &f.items {
                let names: Vec<String> = match item {
                    Item::Allow { class, names, .. } if class == "auto" => {
                        names.iter().map(|w| w.text.clone()).collect()
                    }
                    Item::Iface(s) if s.flags.iter().any(|f| f.text == "auto") => {
                        vec![s.name.text.clone()]
                    }
                    _ => Vec::new(),
                };
                for n in names {
                    if !expected.contains(&n) {
                        expected.push(n);
                    }
                }
            }
        }
        let got: Vec<String> = listed.lines().map(str::to_string).collect();
        let patterns = expected.iter().any(|n| n.contains(['/', '=']));
        if got != expected && !patterns {
            failures.push(format!(
                "{name}: --list\n  ifquery {got:?}\n  netvet  {expected:?}"
            ));
        }
        // Options, per interface name.
        let mut by_name: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (_, f) in &host.interfaces {
            for item in &f.items {
                if let Item::Iface(s) = item {
                    by_name
                        .entry(s.name.text.clone())
                        .or_default()
                        .extend(stanza_pairs(s));
                }
            }
        }
        for (iface, mut ours) in by_name {
            let keys: Vec<String> = ours.iter().map(|(k, _)| k.clone()).collect();
            let (ok, text) = ifquery(dir.path(), &[&iface]);
            if !ok {
                failures.push(format!("{name}: ifquery {iface} failed"));
                continue;
            }
            let mut theirs = pairs(&text, &keys);
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
            let fatal: Vec<_> = parsed
                .errors
                .iter()
                .filter(|e| is_fatal(&e.message))
                .collect();
            assert!(
                fatal.is_empty(),
                "{name}: ifupdown accepts it, netvet says {fatal:?}"
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
