//! `netvet fix`: every fixable rule's fixtures fixed (the diff snapshot tested, the finding gone
//! afterwards, a second run changing nothing), what the edits keep byte for byte, what is
//! refused, and what is left beside the files.

use std::path::{Path, PathBuf};
use std::process::Command;

use netvet::diagnostic::registry::{FixKind, RULES};
use netvet::fix::{Options, plan};
use netvet::load::Root;
use netvet::rules::{Config, Selection};

use crate::support::{netvet, repo};

/// A copy of a fixture tree to fix, links and modes kept.
fn copy_tree(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(dir.path())
        .status()
        .expect("cp runs");
    assert!(status.success());
    dir
}

/// A tree written from `(path, text)` pairs.
fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn run_fix(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["fix"];
    all.extend_from_slice(args);
    let dir = dir.to_str().unwrap();
    all.push(dir);
    netvet(&all)
}

/// Unsuppressed findings of `code` that `netvet check` reports on the tree.
fn count(dir: &Path, code: &str) -> usize {
    count_with(dir, code, &["--no-live"])
}

/// The same, with more arguments for `check` (a live snapshot).
fn count_with(dir: &Path, code: &str, args: &[&str]) -> usize {
    let mut all = vec!["check", "--format", "json", "--select", code];
    all.extend_from_slice(args);
    all.push(dir.to_str().unwrap());
    let out = netvet(&all);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    json["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .filter(|f| f["code"] == code && f["suppressed"].is_null())
        .count()
}

/// Every file under `dir` (relative paths), sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn cases(code: &str) -> Vec<(String, PathBuf)> {
    let dir = repo().join("fixtures/rules").join(code);
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .filter(|(n, _)| n.starts_with("fires-"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_fixable_rule_fixes_its_fixtures() {
    let fixable: Vec<_> = RULES.iter().filter(|r| r.fix != FixKind::None).collect();
    assert!(
        fixable.len() >= 10,
        "only {} rules have a fix",
        fixable.len()
    );
    let mut failures = Vec::new();
    for rule in fixable {
        let mut fixed_cases = 0;
        for (name, case) in cases(rule.code) {
            // A case with a live state is fixed and checked against it.
            let dir = copy_tree(&case);
            let live_json = dir.path().join("live.json");
            let live_args: Vec<String> = if live_json.exists() {
                vec!["--live-snapshot".into(), live_json.display().to_string()]
            } else {
                Vec::new()
            };
            let live_args: Vec<&str> = live_args.iter().map(String::as_str).collect();
            let before = count_with(dir.path(), rule.code, &live_args);
            let options = Options {
                config: Config {
                    selection: Selection {
                        select: vec![rule.code.to_string()],
                        ignore: Vec::new(),
                    },
                    ..Config::default()
                },
                unsafe_fixes: true,
                live: live_json.exists().then(|| {
                    netvet::live::LiveState::from_json(
                        &std::fs::read_to_string(&live_json).unwrap(),
                    )
                    .unwrap()
                }),
            };
            let planned = plan(&Root::new(dir.path()), &options);
            let text = format!(
                "{}{}",
                netvet::report::fix_diff(&planned),
                netvet::report::fix_summary(&planned, &[], &[], true, false)
            )
            .replace(&dir.path().display().to_string(), "CASE");
            insta::assert_snapshot!(format!("fix__{}__{}", rule.code, name), text);

            let mut args = vec!["--unsafe", "--select", rule.code];
            args.extend(&live_args);
            let out = run_fix(dir.path(), &args);
            assert_ne!(out.status.code(), Some(2), "{}/{name}: {out:?}", rule.code);
            let after = count_with(dir.path(), rule.code, &live_args);
            if planned.changes.is_empty() {
                if after != before {
                    failures.push(format!("{}/{name}: no change planned, yet the findings went from {before} to {after}", rule.code));
                }
                continue;
            }
            if after >= before {
                failures.push(format!(
                    "{}/{name}: {before} finding(s) before the fix, {after} after",
                    rule.code
                ));
            }
            if after == 0 {
                fixed_cases += 1;
            }
            args.push("--diff");
            let again = run_fix(dir.path(), &args);
            if !again.stdout.is_empty() && String::from_utf8_lossy(&again.stdout).contains("\n+++ ")
            {
                failures.push(format!(
                    "{}/{name}: a second run still changes something:\n{}",
                    rule.code,
                    String::from_utf8_lossy(&again.stdout)
                ));
            }
            let left: Vec<_> = files(dir.path())
                .into_iter()
                .filter(|f| !f.starts_with("var/backups/netvet/"))
                .collect();
            // The fixture's files and the drop-ins the fixes add.
            let mut fixture: Vec<_> = files(&case);
            fixture.extend(
                planned
                    .changes
                    .iter()
                    .filter(|c| c.created)
                    .map(|c| c.host_path.strip_prefix("/").unwrap().display().to_string()),
            );
            fixture.sort();
            if left != fixture {
                failures.push(format!(
                    "{}/{name}: files beside the fixed ones: {left:?} (was {fixture:?})",
                    rule.code
                ));
            }
        }
        if fixed_cases == 0 {
            failures.push(format!(
                "{} has a fix, but no fires- case of it is fixed to silence",
                rule.code
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn docs_say_whether_a_rule_has_a_fix() {
    for rule in RULES {
        let phrase = rule.fix.doc_phrase();
        let section = rule
            .doc
            .split("\n## How to fix")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_else(|| panic!("{}: no How to fix section", rule.code));
        assert!(
            section.lines().any(|l| l.starts_with(phrase)),
            "{}: its How to fix section must say `{phrase}`",
            rule.code
        );
    }
}

#[test]
fn edits_keep_comments_spacing_and_spelling() {
    let text = "# Bonds for the storage network.\n\
                auto bond0\n\
                iface bond0 inet manual\n\
                \t# the NICs\n\
                \tbond_slaves eth0 eth1\n\
                \tbond_mode 802.3ad\n\
                \n\
                \tbond_updelay  250\n\
                \tbond_miimon 100\n\
                \n\
                # the end\n";
    let dir = tree(&[("etc/network/interfaces", text.as_bytes())]);
    let out = run_fix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let fixed = std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap();
    assert_eq!(
        fixed,
        "# Bonds for the storage network.\n\
         auto bond0\n\
         iface bond0 inet manual\n\
         \t# the NICs\n\
         \tbond_slaves eth0 eth1\n\
         \tbond_mode 802.3ad\n\
         \n\
         \tbond_updelay  200\n\
         \tbond_miimon 100\n\
         \tbond_lacp_rate slow\n\
         \n\
         # the end\n"
    );
    let again = run_fix(dir.path(), &["--diff"]);
    assert!(again.stdout.starts_with(b"netvet: 0 fixes"), "{again:?}");
}

#[test]
fn a_sourced_file_is_edited_where_the_value_is() {
    let dir = tree(&[
        (
            "etc/network/interfaces",
            b"source /etc/network/interfaces.d/*\n",
        ),
        (
            "etc/network/interfaces.d/bond0",
            b"auto bond0\niface bond0 inet manual\n    bond-slaves eth0 eth1\n    bond-mode active-backup\n    bond-miimon 100\n    bond-downdelay 150\n",
        ),
    ]);
    let out = run_fix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let fixed = std::fs::read_to_string(dir.path().join("etc/network/interfaces.d/bond0")).unwrap();
    assert!(fixed.contains("    bond-downdelay 100\n"), "{fixed}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap(),
        "source /etc/network/interfaces.d/*\n"
    );
    // Nothing new in the directory the glob reads: the backup is elsewhere.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("etc/network/interfaces.d"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["bond0"]);
    let backups = files(&dir.path().join("var/backups/netvet"));
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(
        backups[0].starts_with("etc/network/interfaces.d/bond0."),
        "{backups:?}"
    );
}

#[test]
fn a_template_is_edited_only_when_every_stanza_inheriting_it_needs_it() {
    let shared = "iface bondtmpl inet manual\n    bond-miimon 100\n    bond-updelay 250\n\n\
                  auto bond0\niface bond0 inet manual inherits bondtmpl\n    bond-slaves eth0\n    bond-mode active-backup\n\n\
                  auto bond1\niface bond1 inet manual inherits bondtmpl\n    bond-slaves eth1\n    bond-mode active-backup\n";
    let dir = tree(&[("etc/network/interfaces", shared.as_bytes())]);
    let out = run_fix(dir.path(), &["--select", "NV104"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let fixed = std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap();
    assert_eq!(
        fixed,
        shared.replace("bond-updelay 250", "bond-updelay 200")
    );

    // lacp_rate means nothing to an active-backup bond (NV113), and everything to an 802.3ad
    // one: the template line stays.
    let mixed = "iface bondtmpl inet manual\n    bond-miimon 100\n    bond-lacp-rate fast\n\n\
                 auto bond0\niface bond0 inet manual inherits bondtmpl\n    bond-slaves eth0\n    bond-mode active-backup\n\n\
                 auto bond1\niface bond1 inet manual inherits bondtmpl\n    bond-slaves eth1\n    bond-mode 802.3ad\n";
    let dir = tree(&[("etc/network/interfaces", mixed.as_bytes())]);
    // bond0's, and the template's own (a stanza of its own, in balance-rr).
    assert_eq!(count(dir.path(), "NV113"), 2);
    let out = run_fix(dir.path(), &["--select", "NV113"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("not fixed:") && stdout.contains("which bond1 inherit too"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap(),
        mixed
    );
}

#[test]
fn refuses_files_that_are_not_utf8_and_continued_values() {
    let latin1: &[u8] = b"# Caf\xe9\nauto bond0\niface bond0 inet manual\n    bond-slaves eth0\n    bond-mode active-backup\n    bond-miimon 100\n    bond-updelay 250\n";
    let dir = tree(&[("etc/network/interfaces", latin1)]);
    let out = run_fix(dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("not valid UTF-8"), "{stdout}");
    assert_eq!(
        std::fs::read(dir.path().join("etc/network/interfaces")).unwrap(),
        latin1
    );

    // Removing the continued `bond-lacp-rate` line would cross its continuation: refused.
    // Editing a value that sits whole on a continuation line is exact, and is made.
    let continued = "auto bond0\niface bond0 inet manual\n    bond-slaves eth0\n    bond-mode active-backup\n    bond-miimon 100\n    bond-lacp-rate \\\n        fast\n    bond-updelay \\\n        250\n    bond-downdelay 150\n";
    let dir = tree(&[("etc/network/interfaces", continued.as_bytes())]);
    let out = run_fix(dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("not fixed:") && stdout.contains("continued over several lines"),
        "{stdout}"
    );
    let fixed = std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap();
    assert_eq!(
        fixed,
        continued
            .replace("        250", "        200")
            .replace("bond-downdelay 150", "bond-downdelay 100")
    );
}

#[test]
fn unsafe_fixes_wait_for_unsafe_and_diff_writes_nothing() {
    let text = "auto bond0\niface bond0 inet manual\n    bond-slaves eth0 eth1\n    bond-mode active-backup\n";
    let dir = tree(&[("etc/network/interfaces", text.as_bytes())]);
    let out = run_fix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "NV101 remains: {out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 more fix with --unsafe"));
    let out = run_fix(dir.path(), &["--unsafe", "--diff"]);
    assert_eq!(out.status.code(), Some(1), "there is something to fix");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("+    bond-miimon 100\n"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap(),
        text
    );
    let out = run_fix(dir.path(), &["--unsafe"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(count(dir.path(), "NV101"), 0);
}

#[test]
fn owner_mode_and_symlinked_files_are_kept() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
    let dir = tree(&[(
        "etc/network/real-interfaces",
        b"auto bond0\niface bond0 inet manual\n    bond-slaves eth0\n    bond-mode active-backup\n    bond-miimon 100\n    bond-updelay 250\n",
    )]);
    let real = dir.path().join("etc/network/real-interfaces");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    // An absolute link, resolved inside the root as a chroot would.
    symlink(
        "/etc/network/real-interfaces",
        dir.path().join("etc/network/interfaces"),
    )
    .unwrap();
    let out = run_fix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        std::fs::symlink_metadata(dir.path().join("etc/network/interfaces"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let meta = std::fs::metadata(&real).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640);
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .contains("bond-updelay 200")
    );
}

/// SIGKILL at random moments of a run with hundreds of fixes: the file is always the old one
/// or the whole fixed one, and nothing but dot-files (an interrupted temporary file) is ever
/// left beside it.
#[test]
fn a_killed_fix_leaves_the_old_file_or_the_whole_new_one() {
    use std::time::Instant;
    let old: String = (0..300)
        .map(|i| {
            format!(
                "auto bond{i}\niface bond{i} inet manual\n    bond-slaves eth{i}\n    \
                 bond-mode active-backup\n    bond-miimon 100\n    bond-updelay 250\n\n"
            )
        })
        .collect();
    let new = old.replace("bond-updelay 250", "bond-updelay 200");
    let dir = tree(&[("etc/network/interfaces", old.as_bytes())]);
    let file = dir.path().join("etc/network/interfaces");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_netvet"))
            .args(["fix", "-q"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("netvet runs")
    };
    // How long a whole run takes here, to spread the kills over it.
    let started = Instant::now();
    assert!(spawn().wait().unwrap().success());
    let whole = started.elapsed();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), new);

    let (mut old_seen, mut new_seen) = (0, 0);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for trial in 0..200 {
        std::fs::write(&file, &old).unwrap();
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = whole.mul_f64((seed >> 11) as f64 / (1u64 << 53) as f64 * 1.2);
        let mut child = spawn();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&file).unwrap();
        if text == old {
            old_seen += 1;
        } else if text == new {
            new_seen += 1;
        } else {
            panic!(
                "trial {trial} (killed after {delay:?}): a torn file of {} bytes",
                text.len()
            );
        }
        for entry in std::fs::read_dir(file.parent().unwrap()).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                name == "interfaces" || name.starts_with('.'),
                "trial {trial}: {name} left beside the interfaces file"
            );
        }
    }
    // The kills landed before the write and after it: both outcomes were seen.
    assert!(
        old_seen > 0 && new_seen > 0,
        "old {old_seen}, new {new_seen}"
    );
}

/// `ifquery --list` of the interfaces file in `dir`, and whether ifquery accepts the file.
fn ifquery_list(dir: &Path) -> (bool, String) {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new("ifquery")
        .arg(format!("--state-dir={}", state.path().display()))
        .args(["-i", "etc/network/interfaces", "--no-mappings", "--list"])
        .current_dir(dir)
        .output()
        .expect("ifquery runs (tests/run-all.sh installs ifupdown)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Every corpus interfaces file that `fix --unsafe` changes is still accepted by Debian's
/// ifquery, which lists the same interfaces as before.
#[test]
fn fixed_corpus_files_are_still_read_alike_by_ifquery() {
    let Some(corpus) = crate::support::corpus() else {
        return;
    };
    let mut paths: Vec<_> = std::fs::read_dir(corpus.join("interfaces"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut changed = 0;
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tree(&[("etc/network/interfaces", &std::fs::read(path).unwrap())]);
        let options = Options {
            unsafe_fixes: true,
            ..Options::default()
        };
        let planned = plan(&Root::new(dir.path()), &options);
        let Some(change) = planned.changes.first() else {
            continue;
        };
        assert_eq!(
            planned.changes.len(),
            1,
            "{name}: only the interfaces file is read"
        );
        changed += 1;
        let before = ifquery_list(dir.path());
        std::fs::write(dir.path().join("etc/network/interfaces"), &change.after).unwrap();
        let after = ifquery_list(dir.path());
        if before != after {
            failures.push(format!(
                "{name}: ifquery before the fix {before:?}, after {after:?}\n{}",
                netvet::report::fix_diff(&planned)
            ));
        }
    }
    eprintln!(
        "fix --unsafe changed {changed} of {} corpus files",
        paths.len()
    );
    // The corpus's fixable findings are few (NV104 ten times, NV101 and NV110 once, in seven
    // files when this was written): the list must not be empty.
    assert!(
        changed >= 5,
        "only {changed} corpus files have something to fix"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A link that points out of the tree resolves inside it, as in a chroot: the file it names
/// outside is never read, let alone written.
#[test]
fn never_writes_outside_the_root() {
    use std::os::unix::fs::symlink;
    let text = "auto bond0\niface bond0 inet manual\n    bond-slaves eth0\n    bond-mode active-backup\n    bond-miimon 100\n    bond-updelay 250\n";
    let outside = tree(&[("interfaces", text.as_bytes())]);
    let target = outside.path().join("interfaces");
    let dir = tree(&[("etc/network/.keep", b"")]);
    let up = "../".repeat(dir.path().components().count() + 2);
    symlink(
        format!("{up}{}", target.display()),
        dir.path().join("etc/network/interfaces"),
    )
    .unwrap();
    let out = run_fix(dir.path(), &["--unsafe"]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), text, "{out:?}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("fixed:"),
        "{out:?}"
    );
    // The same file inside the tree, through an absolute link, is fixed there.
    std::fs::remove_file(dir.path().join("etc/network/interfaces")).unwrap();
    std::fs::create_dir_all(
        dir.path()
            .join(target.parent().unwrap().strip_prefix("/").unwrap()),
    )
    .unwrap();
    let inside = dir.path().join(target.strip_prefix("/").unwrap());
    std::fs::write(&inside, text).unwrap();
    symlink(&target, dir.path().join("etc/network/interfaces")).unwrap();
    let out = run_fix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), text);
    assert!(
        std::fs::read_to_string(&inside)
            .unwrap()
            .contains("bond-updelay 200")
    );
}

/// Extended attributes (an SELinux label is one) stay on the replaced file.
#[test]
fn extended_attributes_are_kept() {
    let dir = tree(&[(
        "etc/network/interfaces",
        b"auto bond0\niface bond0 inet manual\n    bond-slaves eth0\n    bond-mode active-backup\n    bond-miimon 100\n    bond-updelay 250\n",
    )]);
    let file = dir.path().join("etc/network/interfaces");
    xattr::set(&file, "user.netvet-test", b"label").expect("the test directory takes user xattrs");
    let out = run_fix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("bond-updelay 200")
    );
    assert_eq!(
        xattr::get(&file, "user.netvet-test").unwrap().as_deref(),
        Some(&b"label"[..])
    );
}
