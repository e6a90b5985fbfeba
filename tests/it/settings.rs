//! `netvet.toml` as a user meets it: found upward from the checked path, `--config`,
//! `--isolated`, the command line over the file, severities in every format, per-path
//! ignores, the site policy, `--show-settings`, and every kind of bad file (exit status 2,
//! with the file, line and column).

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{netvet, repo};

/// An 802.3ad bond without `bond-lacp-rate` (NV110, info; NV603 under a fast policy) and a
/// VLAN on it, both at the default MTU.
const BOND: &str = "auto lo\niface lo inet loopback\n\nauto bond0\niface bond0 inet manual\n    \
                    bond-slaves eno1 eno2\n    bond-mode 802.3ad\n    bond-miimon 100\n\n\
                    auto bond0.20\niface bond0.20 inet static\n    address 198.18.20.5/24\n";

/// A directory of files, given by their paths in it.
fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// netvet run in `dir`, so that the paths it prints are relative to it.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netvet"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("netvet runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The codes of the findings in human output, in order.
fn codes(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter_map(|l| {
            let start = l.find("[NV")? + 1;
            let end = start + l[start..].find(']')?;
            Some(l[start..end].to_string())
        })
        .collect()
}

/// A site: `site/netvet.toml` and one host tree below it, `site/hosts/web1`.
fn site(settings: &str) -> tempfile::TempDir {
    tree(&[
        ("site/netvet.toml", settings.as_bytes()),
        ("site/hosts/web1/etc/network/interfaces", BOND.as_bytes()),
    ])
}

const WEB1: &str = "site/hosts/web1";

#[test]
fn the_nearest_file_upward_applies_and_isolated_ignores_it() {
    let dir = site("[policy]\nlacp-rate = \"fast\"\n");
    let o = run_in(dir.path(), &["check", WEB1]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(codes(&o).contains(&"NV603".to_string()), "{}", stdout(&o));
    // A file named inside the host tree checks the host, with the same settings.
    let o = run_in(
        dir.path(),
        &["check", "site/hosts/web1/etc/network/interfaces"],
    );
    assert!(codes(&o).contains(&"NV603".to_string()), "{}", stdout(&o));
    // From inside the tree, with no PATH given there is no tree, so --root names it.
    let o = run_in(&dir.path().join("site/hosts"), &["check", "--root", "web1"]);
    assert!(codes(&o).contains(&"NV603".to_string()), "{}", stdout(&o));
    // Standard input is searched from the current directory.
    let mut child = Command::new(env!("CARGO_BIN_EXE_netvet"))
        .args(["check", "-"])
        .current_dir(dir.path().join("site"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), BOND.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(codes(&o).contains(&"NV603".to_string()), "{}", stdout(&o));
    for flag in ["--isolated", "--no-config"] {
        let o = run_in(dir.path(), &["check", flag, WEB1]);
        assert_eq!(o.status.code(), Some(0), "{flag}: {}", stdout(&o));
        assert_eq!(codes(&o), ["NV110"], "{flag}: {}", stdout(&o));
    }
}

#[test]
fn config_names_the_file_and_no_other_is_read() {
    // The file upward is broken: were it read, the run would fail with exit status 2.
    let dir = site("select = [\"NV9\"]\n");
    std::fs::write(
        dir.path().join("policy.toml"),
        "[policy]\nbond-modes = [\"active-backup\"]\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["check", "--config", "policy.toml", WEB1]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(codes(&o).contains(&"NV602".to_string()), "{}", stdout(&o));
    let o = run_in(dir.path(), &["check", WEB1]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--> site/netvet.toml:1:11"),
        "{}",
        stderr(&o)
    );
    let o = run_in(dir.path(), &["check", "--config", "missing.toml", WEB1]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn the_command_line_replaces_select_and_fail_on_and_adds_to_ignore() {
    let dir = site("select = [\"NV6\"]\nfail-on = \"info\"\n[policy]\nlacp-rate = \"fast\"\n");
    let o = run_in(dir.path(), &["check", WEB1]);
    assert_eq!(codes(&o), ["NV603"], "{}", stdout(&o));
    // --select replaces the file's select; the file's fail-on still fails on info.
    let o = run_in(dir.path(), &["check", "--select", "NV110", WEB1]);
    assert_eq!(codes(&o), ["NV110"], "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(1));
    // --fail-on replaces the file's.
    let o = run_in(
        dir.path(),
        &["check", "--select", "NV110", "--fail-on", "error", WEB1],
    );
    assert_eq!(o.status.code(), Some(0));
    // The file's ignore and the command line's both apply.
    let dir = site("ignore = [\"NV603\"]\n[policy]\nlacp-rate = \"fast\"\n");
    let o = run_in(dir.path(), &["check", WEB1]);
    assert_eq!(codes(&o), ["NV110"], "{}", stdout(&o));
    let o = run_in(dir.path(), &["check", "--ignore", "NV110", WEB1]);
    assert!(codes(&o).is_empty(), "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_severity_override_reaches_json_sarif_and_the_exit_status() {
    let dir = site("[severity]\nNV110 = \"warning\"\nlacp-rate-implicit = \"warning\"\n");
    let o = run_in(dir.path(), &["check", WEB1]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "one rule set twice, by code and by name"
    );
    assert!(
        stderr(&o).contains("--> site/netvet.toml:3:1"),
        "{}",
        stderr(&o)
    );

    let dir = site("fail-on = \"warning\"\n[severity]\nNV110 = \"warning\"\n");
    let o = run_in(dir.path(), &["check", "--format", "json", WEB1]);
    assert_eq!(o.status.code(), Some(1), "a warning now fails the run");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["code"], "NV110");
        assert_eq!(f["severity"], "warning");
    }
    let o = run_in(dir.path(), &["check", "--format", "sarif", WEB1]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["ruleId"], "NV110");
        assert_eq!(r["level"], "warning");
    }
}

#[test]
fn per_path_ignores_leave_a_rule_out_of_matching_files_only() {
    // Two bonds without link monitoring (NV101), one in a legacy file.
    let interfaces = "auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n";
    let bond = |name: &str| {
        format!(
            "auto {name}\niface {name} inet manual\n    bond-slaves none\n    bond-mode active-backup\n"
        )
    };
    let (legacy, new) = (bond("bond1"), bond("bond2"));
    let dir = tree(&[
        (
            "netvet.toml",
            b"select = [\"NV101\"]\n[per-path-ignores]\n\"etc/network/interfaces.d/legacy-*\" = [\"NV101\"]\n",
        ),
        ("host/etc/network/interfaces", interfaces.as_bytes()),
        (
            "host/etc/network/interfaces.d/legacy-bond1",
            legacy.as_bytes(),
        ),
        ("host/etc/network/interfaces.d/new-bond2", new.as_bytes()),
    ]);
    let o = run_in(dir.path(), &["check", "host"]);
    let out = stdout(&o);
    assert_eq!(codes(&o), ["NV101"], "{out}");
    assert!(out.contains("interfaces.d/new-bond2"), "{out}");
    assert!(!out.contains("legacy-bond1:"), "{out}");
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--select", "NV101", "host"],
    );
    assert_eq!(codes(&o), ["NV101", "NV101"], "{}", stdout(&o));
}

/// Each policy rule's fixtures through the binary: the case's own netvet.toml is found from
/// the case's directory.
#[test]
fn each_policy_fires_and_passes_from_its_fixtures() {
    let mut checked = 0;
    for code in ["NV601", "NV602", "NV603"] {
        let dir = repo().join("fixtures/rules").join(code);
        let mut cases: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        cases.sort();
        assert!(cases.iter().any(|c| c.starts_with("fires-")), "{code}");
        assert!(cases.iter().any(|c| c.starts_with("ok-")), "{code}");
        for case in cases {
            let path = format!("fixtures/rules/{code}/{case}");
            assert!(
                repo().join(&path).join("netvet.toml").is_file(),
                "{path} has no netvet.toml"
            );
            let o = netvet(&["check", &path]);
            let fired = codes(&o).iter().any(|c| c == code);
            assert_eq!(fired, case.starts_with("fires-"), "{path}:\n{}", stdout(&o));
            // Without the policy the rule has nothing to judge.
            let o = netvet(&["check", "--isolated", &path]);
            assert!(
                !codes(&o).iter().any(|c| c == code),
                "{path}:\n{}",
                stdout(&o)
            );
            checked += 1;
        }
    }
    assert!(checked >= 6);
}

/// Every bad file is an error, exit status 2, naming the file, line and column of the key or
/// value at fault, rendered as a finding is.
#[test]
fn bad_settings_are_errors_at_their_line_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "selct = [\"NV1\"]\n",
            "netvet.toml:1:1",
            "unknown key `selct`",
        ),
        (
            "[policy]\nmtu = { bond0 = 9000 }\nlacp = \"fast\"\n",
            "netvet.toml:3:1",
            "unknown key `lacp`",
        ),
        (
            "ignore = [\"NV1O1\"]\n",
            "netvet.toml:1:11",
            "`NV1O1` in ignore matches no rule",
        ),
        (
            "[severity]\nNV999 = \"error\"\n",
            "netvet.toml:2:1",
            "`NV999` in [severity] is not a rule",
        ),
        (
            "[severity]\nNV105 = \"warning\"\n",
            "netvet.toml:2:9",
            "NV105 (arp-monitor-unsupported-mode) can only be error",
        ),
        (
            "[severity]\nNV110 = \"fatal\"\n",
            "netvet.toml:2:9",
            "unknown severity `fatal`",
        ),
        (
            "[severity]\nNV009 = \"info\"\n",
            "netvet.toml:2:1",
            "NV009's severity cannot be set",
        ),
        (
            "[per-path-ignores]\n\"etc/[ab\" = [\"NV101\"]\n",
            "netvet.toml:2:1",
            "is not a valid glob",
        ),
        (
            "[policy]\nmtu = { \"bond[0\" = 9000 }\n",
            "netvet.toml:2:9",
            "is not a valid glob",
        ),
        (
            "select = \"NV1\"\n",
            "netvet.toml:1:10",
            "invalid type: string",
        ),
        (
            "[policy]\nmtu = { bond0 = \"jumbo\" }\n",
            "netvet.toml:2:17",
            "invalid type: string",
        ),
        (
            "[policy]\nmtu = { bond0 = 100000 }\n",
            "netvet.toml:2:17",
            "an MTU is 68 to 65535",
        ),
        (
            "[policy]\nbond-modes = [\"lacp\"]\n",
            "netvet.toml:2:15",
            "not a bond mode",
        ),
        (
            "[policy]\nlacp-rate = \"quick\"\n",
            "netvet.toml:2:13",
            "not a LACP rate",
        ),
        (
            "fail-on = \"sometimes\"\n",
            "netvet.toml:1:11",
            "is not a severity",
        ),
        ("select = [\"NV1\"\n", "netvet.toml:1:", "expected"),
    ];
    for (text, at, message) in cases {
        let dir = tree(&[
            ("netvet.toml", text.as_bytes()),
            ("host/etc/network/interfaces", BOND.as_bytes()),
        ]);
        let o = run_in(dir.path(), &["check", "host"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{text}: {err}");
        assert!(o.stdout.is_empty(), "{text}: no findings on a bad file");
        assert!(err.starts_with("error: "), "{text}: {err}");
        assert!(
            err.contains(&format!("--> {at}")),
            "{text}: want {at} in\n{err}"
        );
        assert!(err.contains(message), "{text}: want `{message}` in\n{err}");
    }
}

#[test]
fn unknown_key_error_snapshot() {
    let dir = tree(&[
        (
            "netvet.toml",
            b"select = [\"NV1\"]\n\n[policy]\nbond-mode = [\"802.3ad\"]\n",
        ),
        ("host/etc/network/interfaces", BOND.as_bytes()),
    ]);
    let o = run_in(dir.path(), &["check", "host"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("settings_unknown_key", stderr(&o));
}

/// Hostile files: too large, not UTF-8, nested past the parser's limit. Each is an error
/// that says what is wrong, never a crash or a hang.
#[test]
fn hostile_settings_files_are_refused_with_a_reason() {
    let huge = vec![b'#'; (netvet::limits::MAX_SETTINGS_BYTES + 1) as usize];
    let nested_arrays = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let nested_tables = format!("x = {}{}\n", "{ a = ".repeat(50_000), "}".repeat(50_000));
    let cases: Vec<(&[u8], &str)> = vec![
        (&huge, "is larger than 1 MiB"),
        (
            b"select = [\"NV1\"]\nignore = [\"\xff\"]\n",
            "--> netvet.toml:2:12",
        ),
        (nested_arrays.as_bytes(), "recursion"),
        (nested_tables.as_bytes(), "recursion"),
    ];
    for (text, message) in cases {
        let dir = tree(&[
            ("netvet.toml", text),
            ("host/etc/network/interfaces", BOND.as_bytes()),
        ]);
        let o = run_in(dir.path(), &["check", "host"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(message), "want `{message}` in\n{err}");
        assert!(
            err.len() < 4_096,
            "the error stays short: {} bytes",
            err.len()
        );
    }
}

#[test]
fn paths_finding_different_files_are_refused() {
    let dir = tree(&[
        ("a/netvet.toml", b"ignore = [\"NV110\"]\n"),
        ("a/web1/etc/network/interfaces", BOND.as_bytes()),
        ("a/web2/etc/network/interfaces", BOND.as_bytes()),
        ("b/web3/etc/network/interfaces", BOND.as_bytes()),
    ]);
    // Two hosts under the same file: one run.
    let o = run_in(dir.path(), &["check", "a/web1", "a/web2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(codes(&o).is_empty(), "{}", stdout(&o));
    let o = run_in(dir.path(), &["check", "a/web1", "b/web3"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("a/web1 finds a/netvet.toml and b/web3 finds no netvet.toml"),
        "{err}"
    );
    // Named outright, one file applies to both.
    let o = run_in(
        dir.path(),
        &["check", "--config", "a/netvet.toml", "a/web1", "b/web3"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn show_settings_says_where_each_setting_came_from() {
    let dir = site(
        "select = [\"NV1\", \"NV6\"]\nignore = [\"NV111\"]\nfail-on = \"warning\"\n\n\
         [severity]\nNV110 = \"warning\"\n\n[per-path-ignores]\n\
         \"etc/network/interfaces.d/legacy-*\" = [\"NV101\"]\n\n[policy]\n\
         mtu = { bond0 = 9000, \"bond0.*\" = 9000 }\nbond-modes = [\"802.3ad\", \"active-backup\"]\n\
         lacp-rate = \"fast\"\n",
    );
    let o = run_in(
        dir.path(),
        &["check", "--show-settings", "--ignore", "NV2", WEB1],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("settings_show", stdout(&o));
    let o = run_in(
        dir.path(),
        &["check", "--show-settings", "--isolated", WEB1],
    );
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("settings_show_defaults", stdout(&o));
}

#[test]
fn fix_applies_the_settings() {
    // NV110's safe fix writes `bond-lacp-rate slow`; ignored in the file, nothing is fixed.
    let dir = tree(&[
        ("netvet.toml", b"ignore = [\"NV110\"]\n"),
        ("host/etc/network/interfaces", BOND.as_bytes()),
    ]);
    let o = run_in(dir.path(), &["fix", "--diff", "host"]);
    assert!(
        !stdout(&o).contains("+    bond-lacp-rate"),
        "{}",
        stdout(&o)
    );
    let o = run_in(dir.path(), &["fix", "--diff", "--isolated", "host"]);
    assert!(
        stdout(&o).contains("+    bond-lacp-rate slow"),
        "{}",
        stdout(&o)
    );
    assert_eq!(o.status.code(), Some(1));
}

/// The README's complete example is a valid settings file, and means what it says.
#[test]
fn the_readme_example_is_valid() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = &readme[readme.find("\n## Settings\n").expect("a Settings section")..];
    let start = section.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let dir = tree(&[
        ("netvet.toml", example.as_bytes()),
        ("host/etc/network/interfaces", BOND.as_bytes()),
    ]);
    let o = run_in(dir.path(), &["check", "--show-settings", "host"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shown = stdout(&o);
    for line in [
        "NV110 = \"warning\"",
        "NV601 = \"warning\"",
        "lacp-rate = \"fast\"",
        "\"bond0.*\" = 9000",
    ] {
        assert!(shown.contains(line), "`{line}` not in\n{shown}");
    }
    let o = run_in(dir.path(), &["check", "host"]);
    // bond0 runs 802.3ad (allowed) at slow LACP and MTU 1500, and so does its VLAN's MTU.
    assert_eq!(
        codes(&o),
        ["NV110", "NV601", "NV603", "NV601"],
        "{}",
        stdout(&o)
    );
    assert_eq!(o.status.code(), Some(1));
}
