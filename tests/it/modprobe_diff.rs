//! Differential test: netvet's modprobe.d parser against kmod's own (`modprobe -C DIR
//! --showconfig`) on every file of the shared corpus.
//!
//! Normalisations, each because of how `--showconfig` prints:
//! - only commands for modules (and alias patterns) named in the file are compared: showconfig
//!   also prints options of built-in modules from the running kernel's modules.builtin.modinfo;
//! - the parameters of an `options` line are compared as a list of tokens: showconfig prints the
//!   raw rest of the line, whose runs of white space (a continuation joins lines with nothing
//!   between, keeping both sides' spaces) carry no meaning to the kernel;
//! - module names and alias patterns are compared with `-` as `_`, as kmod stores them
//!   (`alias net-pf-10 off` is shown as `alias net_pf_10 off`).

use std::collections::BTreeSet;
use std::process::Command;

use netvet::syntax::modprobe::{self, Command as Cmd, normalize_module};

use crate::support::corpus;

fn modprobe_bin() -> &'static str {
    ["/usr/sbin/modprobe", "/sbin/modprobe"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("kmod's modprobe is installed (tests/run-all.sh installs kmod)")
}

/// Tokens as the kernel splits module parameters: white space outside double quotes.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[derive(Default, Debug, PartialEq)]
struct View {
    options: Vec<(String, Vec<String>)>,
    aliases: BTreeSet<(String, String)>,
    blacklist: BTreeSet<String>,
}

fn netvet_view(text: &str) -> View {
    let parsed = modprobe::parse(text);
    let mut v = View::default();
    for c in &parsed.commands {
        match c {
            Cmd::Options { module, params } => v.options.push((
                normalize_module(&module.text),
                params
                    .iter()
                    .map(|p| text[p.span.range()].to_string())
                    .collect(),
            )),
            Cmd::Alias { pattern, module } => {
                v.aliases.insert((
                    normalize_module(&pattern.text),
                    normalize_module(&module.text),
                ));
            }
            Cmd::Blacklist { module } => {
                v.blacklist.insert(normalize_module(&module.text));
            }
            _ => {}
        }
    }
    v
}

fn kmod_view(showconfig: &str, netvet: &View) -> View {
    let modules: BTreeSet<&str> = netvet.options.iter().map(|(m, _)| m.as_str()).collect();
    let patterns: BTreeSet<&str> = netvet.aliases.iter().map(|(p, _)| p.as_str()).collect();
    let mut v = View::default();
    for line in showconfig.lines() {
        let mut words = line.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("options"), Some(m), rest) if modules.contains(m) => {
                v.options.push((m.to_string(), tokens(rest.unwrap_or(""))));
            }
            (Some("alias"), Some(p), Some(m)) if patterns.contains(p) => {
                v.aliases.insert((p.to_string(), m.to_string()));
            }
            (Some("blacklist"), Some(m), None) if netvet.blacklist.contains(m) => {
                v.blacklist.insert(m.to_string());
            }
            _ => {}
        }
    }
    v
}

#[test]
fn modprobe_showconfig_agrees_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("modprobe"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in &files {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.conf"), &text).unwrap();
        let out = Command::new(modprobe_bin())
            .arg("-C")
            .arg(dir.path())
            .arg("--showconfig")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: modprobe failed", path.display());
        let ours = netvet_view(&text);
        let theirs = kmod_view(&String::from_utf8_lossy(&out.stdout), &ours);
        if ours != theirs {
            failures.push(format!(
                "{}:\n  netvet {ours:?}\n  kmod   {theirs:?}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn templates_and_modprobe_files_never_panic() {
    let Some(corpus) = corpus() else { return };
    for dir in ["modprobe", "templates"] {
        for entry in std::fs::read_dir(corpus.join(dir)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let _ = modprobe::parse(&String::from_utf8_lossy(&bytes));
        }
    }
}
