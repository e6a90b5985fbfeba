//! Differential test: netvet's modprobe.d loader and parser against kmod's own (`modprobe -C
//! DIR --showconfig`), on every file of the shared corpus and on the edge cases where kmod's
//! reading is surprising.
//!
//! Both sides read the same directory (`etc/modprobe.d` of a temporary root): netvet through its
//! loader, which chooses the files, and its parser; kmod through `-C`. Normalisations, each
//! because of how `--showconfig` prints:
//! - the lines showconfig prints for an empty directory are taken away (as a multiset): options
//!   from the running kernel's command line (`bonding.miimon=100`) and the running kernel's
//!   module indexes;
//! - the parameters of an `options` line are compared as a list of tokens: showconfig prints the
//!   raw rest of the line, whose runs of white space (a continuation joins lines with nothing
//!   between, keeping both sides' spaces) carry no meaning to the kernel;
//! - module names and alias patterns are compared with `-` as `_`, as kmod stores them
//!   (`alias net-pf-10 off` is shown as `alias net_pf_10 off`);
//! - output lines are split at `\n` only, so a `\r` kept by kmod stays in the name it ends.
//!
//! The lines kmod rejects ("ignoring bad line", on stderr, with the file and the number of the
//! line's last physical line) are compared with the errors netvet records for them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use netvet::load::Root;
use netvet::syntax::modprobe::{self, Command as Cmd, normalize_module};

use crate::support::corpus;

fn modprobe_bin() -> &'static str {
    ["/usr/sbin/modprobe", "/sbin/modprobe"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("kmod's modprobe is installed (tests/run-all.sh installs kmod)")
}

/// `modprobe -C DIR --showconfig`: (stdout, stderr).
fn showconfig(dir: &Path) -> (String, String) {
    let out = Command::new(modprobe_bin())
        .arg("-C")
        .arg(dir)
        .arg("--showconfig")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}: modprobe failed", dir.display());
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What showconfig prints for an empty directory, as a multiset of lines.
fn baseline() -> &'static BTreeMap<String, usize> {
    static BASELINE: OnceLock<BTreeMap<String, usize>> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut lines = BTreeMap::new();
        for line in showconfig(dir.path()).0.split('\n') {
            *lines.entry(line.to_string()).or_default() += 1;
        }
        lines
    })
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
    /// `(file name, line number)` of each line rejected as a bad line.
    bad_lines: BTreeSet<(String, usize)>,
}

/// The modprobe.d directory of a temporary root.
fn conf_dir(root: &Path) -> std::path::PathBuf {
    root.join("etc/modprobe.d")
}

fn netvet_view(root: &Path) -> View {
    let mut v = View::default();
    let root = Root::new(root);
    for (host_path, real) in netvet::load::modprobe::files(&root) {
        let text = String::from_utf8_lossy(&std::fs::read(root.real(&real).unwrap()).unwrap())
            .into_owned();
        let name = host_path.rsplit('/').next().unwrap().to_string();
        let parsed = modprobe::parse(&text);
        for c in &parsed.commands {
            match c {
                Cmd::Options { module, params } => v.options.push((
                    normalize_module(&module.text),
                    params.iter().map(|p| p.text.to_string()).collect(),
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
        for e in &parsed.errors {
            if e.help
                .as_deref()
                .is_some_and(|h| h.contains("ignoring bad line"))
            {
                // kmod numbers a joined line by its last physical line.
                let end = (e.span.end as usize).min(text.len());
                let line = text[..end].matches('\n').count() + 1;
                v.bad_lines.insert((name.clone(), line));
            }
        }
    }
    v
}

fn kmod_view(showconfig: &str, stderr: &str) -> View {
    let mut baseline = baseline().clone();
    let mut v = View::default();
    for line in showconfig.split('\n') {
        if let Some(n) = baseline.get_mut(line).filter(|n| **n > 0) {
            *n -= 1;
            continue;
        }
        let mut words = line.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("options"), Some(m), rest) => {
                v.options.push((m.to_string(), tokens(rest.unwrap_or(""))));
            }
            (Some("alias"), Some(p), Some(m)) => {
                v.aliases.insert((p.to_string(), m.to_string()));
            }
            (Some("blacklist"), Some(m), None) => {
                v.blacklist.insert(m.to_string());
            }
            _ => {}
        }
    }
    // libkmod: ERROR ...: DIR/NAME line N: ignoring bad line starting with '...'
    for line in stderr.lines() {
        let Some(at) = line.find(": ignoring bad line") else {
            continue;
        };
        let head = &line[..at];
        let Some((path, number)) = head.rsplit_once(" line ") else {
            continue;
        };
        let name = path.rsplit('/').next().unwrap().to_string();
        v.bad_lines.insert((name, number.parse().unwrap()));
    }
    v
}

/// How netvet's reading of the modprobe.d directory of `root` differs from kmod's, if it does.
fn differences(root: &Path) -> Option<String> {
    let (stdout, stderr) = showconfig(&conf_dir(root));
    let ours = netvet_view(root);
    let theirs = kmod_view(&stdout, &stderr);
    (ours != theirs).then(|| format!("  netvet {ours:?}\n  kmod   {theirs:?}"))
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
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(conf_dir(root.path())).unwrap();
        std::fs::copy(path, conf_dir(root.path()).join("x.conf")).unwrap();
        if let Some(diff) = differences(root.path()) {
            failures.push(format!("{}:\n{diff}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each case where kmod 30 reads modprobe.d in a surprising way, beside ordinary lines, checked
/// against the real `modprobe`.
#[test]
fn modprobe_showconfig_agrees_on_edge_cases() {
    let root = tempfile::tempdir().unwrap();
    let dir = conf_dir(root.path());
    std::fs::create_dir_all(&dir).unwrap();
    let files: &[(&str, &str)] = &[
        // `.alias` files are read too, in name order with the `.conf` files.
        (
            "10-x.alias",
            "options bonding miimon=77\nalias bond0 bonding\n",
        ),
        // Hidden files and other endings are not read.
        (".hidden.conf", "options bonding miimon=1\n"),
        ("notes.txt", "options bonding miimon=2\n"),
        // Only a `#` in the first column is a comment; one ending in `\` swallows the next line.
        (
            "20-comments.conf",
            "# a comment\n   # an indented comment\n\t# a tab-indented comment\n\
             options bonding mode=4\n# a comment ending in a backslash \\\n\
             options bonding miimon=3\nblacklist pcspkr\n",
        ),
        // CRLF: the `\r` stays in names and values; `\` + CRLF does not join; `options bonding\r`
        // is a bad line (the name is `bonding\r`), `options bonding \r` is not (the rest is `\r`).
        (
            "30-crlf.conf",
            "options bonding miimon=100\r\nalias bond1 bonding\r\nblacklist floppy\r\n\
             options dummy numdummies=2\r\noptions bonding max_bonds=2 \\\r\nlacp_rate=1\r\n\
             options bonding\r\noptions bonding \r\n",
        ),
        // After the module name: a blank rest is accepted, an empty one is a bad line.
        (
            "40-blank.conf",
            "options bonding  \noptions dummy\t\t\noptions bonding \noptions dummy\n\
             options bonding arp_interval=100\n",
        ),
        // `\` escapes the next byte; at the very end of a file it becomes a 0xFF byte.
        (
            "50-escapes.conf",
            "options dummy name=a\\b c=\\\\d\noptions bonding a=1 \\\n  b=2\noptions dummy e=1\\",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    if let Some(diff) = differences(root.path()) {
        panic!("netvet and kmod disagree:\n{diff}");
    }
    // The comparison saw every case.
    let v = netvet_view(root.path());
    for (module, params) in [
        ("bonding", vec!["miimon=77"]),
        ("bonding", vec![]),
        ("dummy", vec!["e=1\u{FFFD}"]),
    ] {
        let params: Vec<String> = params.into_iter().map(String::from).collect();
        assert!(
            v.options.contains(&(module.to_string(), params.clone())),
            "{module} {params:?} in {:?}",
            v.options
        );
    }
    assert!(v.blacklist.contains("floppy\r"), "{:?}", v.blacklist);
    assert_eq!(v.bad_lines.len(), 6, "{:?}", v.bad_lines);
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

/// The modprobe.d lines and files NV132 reports, as kmod reads them: the first word after
/// `options` is the module's name whatever it looks like (`miimon=100`, `bond0`,
/// `bonding.miimon=400`, `bonding.ko`, `Bonding`), and hidden files, other endings and
/// subdirectories are not read. netvet reads them the same way and reports each one.
#[test]
fn misread_lines_and_skipped_files_as_kmod_reads_them() {
    let root = tempfile::tempdir().unwrap();
    let dir = conf_dir(root.path());
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let files: &[(&str, &str)] = &[
        (
            "10-misread.conf",
            "alias bond0 bonding\noptions miimon=100 mode=1\noptions bond0 miimon=200\n\
             options bondig miimon=300\noptions bonding.miimon=400 bonding.mode=4\n\
             options bonding.ko miimon=500\noptions Bonding miimon=700\n\
             options snd-hda-intel model=auto\n",
        ),
        ("bonding", "options bonding miimon=1\n"),
        ("bonding.cfg", "options bonding miimon=2\n"),
        ("bonding.conf.bak", "options bonding miimon=3\n"),
        (".bonding.conf", "options bonding miimon=4\n"),
        ("sub/bonding.conf", "options bonding miimon=5\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    if let Some(diff) = differences(root.path()) {
        panic!("netvet and kmod disagree:\n{diff}");
    }
    let (stdout, stderr) = showconfig(&dir);
    let kmod = kmod_view(&stdout, &stderr);
    for (module, params) in [
        ("miimon=100", "mode=1"),
        ("bond0", "miimon=200"),
        ("bondig", "miimon=300"),
        ("bonding.miimon=400", "bonding.mode=4"),
        ("bonding.ko", "miimon=500"),
        ("Bonding", "miimon=700"),
    ] {
        let line = (module.to_string(), vec![params.to_string()]);
        assert!(
            kmod.options.contains(&line),
            "{line:?} in {:?}",
            kmod.options
        );
    }
    assert!(
        !kmod.options.iter().any(|(m, _)| m == "bonding"),
        "no line configures bonding: {:?}",
        kmod.options
    );

    let run = netvet::CheckRun::new(
        &netvet::load::Target::Root(Root::new(root.path())),
        None,
        &netvet::rules::Config::default(),
    );
    let found: BTreeSet<(String, usize)> = run
        .diagnostics
        .iter()
        .filter(|d| d.code == "NV132")
        .map(|d| {
            let loc = d.location.expect("NV132 points at a line");
            let file = run.host.sources.get(loc.file);
            (file.display.clone(), file.line_col(loc.span.start).line)
        })
        .collect();
    let conf = "/etc/modprobe.d/10-misread.conf";
    let expected: BTreeSet<(String, usize)> = [
        (conf, 2),
        (conf, 3),
        (conf, 4),
        (conf, 5),
        (conf, 6),
        (conf, 7),
        ("/etc/modprobe.d/.bonding.conf", 1),
        ("/etc/modprobe.d/bonding", 1),
        ("/etc/modprobe.d/bonding.cfg", 1),
        ("/etc/modprobe.d/bonding.conf.bak", 1),
        ("/etc/modprobe.d/sub/bonding.conf", 1),
    ]
    .into_iter()
    .map(|(f, l)| (f.to_string(), l))
    .collect();
    assert_eq!(found, expected);
}

/// `modprobe -d BASE -S VERSION -C DIR --show-depends NAME`: the parameters kmod passes to the
/// module when `NAME` is loaded.
fn show_depends(base: &Path, conf: &Path, name: &str) -> Vec<String> {
    let out = Command::new(modprobe_bin())
        .arg("-d")
        .arg(base)
        .args(["-S", FAKE_KERNEL, "-C"])
        .arg(conf)
        .args(["--show-depends", name])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "modprobe --show-depends {name}: {stdout}"
    );
    let line = stdout.lines().find(|l| l.starts_with("insmod ")).unwrap();
    assert!(line.contains("/bonding.ko"), "{line}");
    tokens(line).into_iter().skip(2).collect()
}

const FAKE_KERNEL: &str = "6.1.0-netvet";

/// Which `options` lines reach the bonding module, by the name it is loaded under, proven with
/// kmod on a module tree holding an empty bonding.ko with the real one's name and
/// `rtnl-link-bond` alias (`data/fake-bonding.c`). Debian's ifenslave creates a bond with
/// `ip link add NAME type bond`, for which the kernel runs `modprobe rtnl-link-bond`: that gets
/// `options bonding` only, like `modprobe bonding`; `options bond0` (with `alias bond0
/// bonding`) reaches the module only through `modprobe bond0`. netvet's module parameters for
/// bonding are those of the first two.
#[test]
fn only_options_bonding_reach_the_module_ifenslave_loads() {
    let depmod = ["/usr/sbin/depmod", "/sbin/depmod"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("kmod's depmod is installed");
    let base = tempfile::tempdir().unwrap();
    let modules = base.path().join("lib/modules").join(FAKE_KERNEL);
    std::fs::create_dir_all(modules.join("kernel")).unwrap();
    std::fs::copy(
        crate::support::repo().join("tests/it/data/fake-bonding.ko"),
        modules.join("kernel/bonding.ko"),
    )
    .unwrap();
    let status = Command::new(depmod)
        .arg("-b")
        .arg(base.path())
        .arg(FAKE_KERNEL)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "depmod failed");

    let root = tempfile::tempdir().unwrap();
    let dir = conf_dir(root.path());
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for (name, text) in [
        (
            "10-misread.conf",
            "alias bond0 bonding\noptions bond0 miimon=200\noptions miimon=100 mode=1\n\
             options bonding.ko miimon=500\n",
        ),
        ("20-bonding.conf", "options bonding lacp_rate=1\n"),
        ("bonding.cfg", "options bonding miimon=2\n"),
        (".bonding.conf", "options bonding miimon=4\n"),
        ("sub/bonding.conf", "options bonding miimon=5\n"),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let by = |name: &str| show_depends(base.path(), &dir, name);
    assert_eq!(by("rtnl-link-bond"), ["lacp_rate=1"]);
    assert_eq!(by("bonding"), ["lacp_rate=1"]);
    assert_eq!(by("bond0"), ["miimon=200", "lacp_rate=1"]);

    let mut host = netvet::load::Host::default();
    netvet::load::modprobe::load(&Root::new(root.path()), &mut host);
    let ours: Vec<String> = netvet::load::modprobe::module_options(&host.modprobe, "bonding")
        .iter()
        .map(|p| format!("{}={}", p.name, p.value))
        .collect();
    assert_eq!(ours, ["lacp_rate=1"]);
}
