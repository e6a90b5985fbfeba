//! The command line as a user runs it: exit codes, formats, selection, errors.

use std::process::{Command, Output};

use crate::support::{netvet, repo};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// An interfaces file in a fresh temporary directory (kept alive by the returned guard).
fn temp_interfaces(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("interfaces");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("valid JSON on stdout")
}

const DEMO: &str = "fixtures/demo";
const HEALTHY: &str = "fixtures/healthy/active-backup";

#[test]
fn clean_config_exits_zero_and_findings_exit_one() {
    let o = netvet(&["check", HEALTHY]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = netvet(&["check", DEMO]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("error[NV101]"));
}

#[test]
fn fail_on_controls_the_exit_code() {
    let o = netvet(&["check", "--fail-on", "never", DEMO]);
    assert_eq!(o.status.code(), Some(0));
    // Only info findings selected: exit 0 at the default threshold, 1 with --fail-on info.
    let o = netvet(&["check", "--select", "NV110", DEMO]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = netvet(&["check", "--select", "NV110", "--fail-on", "info", DEMO]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn json_has_the_documented_fields() {
    let o = netvet(&["check", "--format", "json", DEMO]);
    let v = json(&o);
    assert_eq!(v["version"], 1);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "code",
            "severity",
            "message",
            "file",
            "line",
            "column",
            "interface",
        ] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
        assert!(["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()));
    }
    let nv101 = findings
        .iter()
        .find(|f| f["code"] == "NV101")
        .expect("NV101 in demo");
    assert!(nv101["file"].as_str().unwrap().starts_with("/etc/"));
    assert!(nv101["line"].as_u64().unwrap() > 0);
    assert!(nv101["interface"].is_string());
}

#[test]
fn select_and_ignore() {
    let v = json(&netvet(&[
        "check", "--format", "json", "--select", "NV2", DEMO,
    ]));
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c.starts_with("NV2")),
        "{codes:?}"
    );
    let v = json(&netvet(&[
        "check",
        "--format",
        "json",
        "--ignore",
        "NV101,NV2",
        DEMO,
    ]));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "NV101" && !f["code"].as_str().unwrap().starts_with("NV2"))
    );
    // By name, in any case, as --select and as --ignore.
    for name in ["bond-no-link-monitoring", "Bond-No-Link-Monitoring"] {
        let v = json(&netvet(&[
            "check", "--format", "json", "--select", name, DEMO,
        ]));
        let codes: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(
            !codes.is_empty() && codes.iter().all(|c| *c == "NV101"),
            "--select {name}: {codes:?}"
        );
        let v = json(&netvet(&[
            "check", "--format", "json", "--ignore", name, DEMO,
        ]));
        let findings = v["findings"].as_array().unwrap();
        assert!(!findings.is_empty());
        assert!(
            findings.iter().all(|f| f["code"] != "NV101"),
            "--ignore {name}"
        );
    }
}

#[test]
fn usage_errors_exit_two() {
    let o = netvet(&["check", "no/such/path"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/path"));
    let o = netvet(&["check", "--select", "NV999", DEMO]);
    assert_eq!(o.status.code(), Some(2));
    let o = netvet(&["check", "--format", "yaml", DEMO]);
    assert_eq!(o.status.code(), Some(2));
    let o = netvet(&["explain", "NV999"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn missing_files_are_noted_with_verbose_and_counted_otherwise() {
    // A root with an interfaces file and nothing else: the rest is not an error.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/network")).unwrap();
    std::fs::write(
        dir.path().join("etc/network/interfaces"),
        "auto lo\niface lo inet loopback\n",
    )
    .unwrap();
    let root = dir.path().to_str().unwrap();
    let o = netvet(&["check", "--root", root]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(!out.contains("not found, not checked"), "{out}");
    assert!(
        out.contains("5 paths not found, --verbose lists them"),
        "{out}"
    );
    let out = stdout(&netvet(&["check", "--verbose", "--root", root]));
    assert!(
        out.contains("note: /etc/modprobe.d not found, not checked"),
        "{out}"
    );
    assert!(out.contains("read: "), "{out}");
    // --quiet: the findings only, here nothing at all.
    let out = stdout(&netvet(&["check", "--quiet", "--root", root]));
    assert_eq!(out, "");
    let v = json(&netvet(&["check", "--format", "json", "--root", root]));
    let not_found = v["not_found"].as_array().unwrap();
    assert!(not_found.iter().any(|p| p == "/etc/modprobe.d"), "{v}");
}

#[test]
fn quiet_prints_findings_only() {
    let out = stdout(&netvet(&["check", "--quiet", DEMO]));
    assert!(out.contains("error[NV101]"), "{out}");
    assert!(!out.contains("netvet: "), "no summary line: {out}");
    assert!(!out.contains("\nnote: "), "{out}");
}

#[test]
fn a_root_holding_nothing_netvet_reads_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["check", "--root", dir.path().to_str().unwrap()],
        vec!["check", dir.path().to_str().unwrap()],
    ] {
        let o = netvet(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("holds none of the files netvet reads"),
            "{err}"
        );
        assert!(
            err.contains("/etc/network/interfaces"),
            "says what it looked for: {err}"
        );
    }
}

#[test]
fn stdin_is_read_as_an_interfaces_file() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_netvet"))
        .args(["check", "--format", "json", "-"])
        .current_dir(repo())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"auto bond0\niface bond0 inet manual\n  bond-slaves eno1 eno2\n  bond-mode active-backup\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "NV101" && f["file"] == "<stdin>" && f["target"] == "-"),
        "{v}"
    );
}

#[test]
fn a_file_in_a_host_tree_checks_its_whole_host_once() {
    // The demo's bonds are in interfaces.d, their module options in modprobe.d: naming any of
    // its files, or several, or the directory too, checks the demo once as a whole.
    let named = [
        "fixtures/demo/etc/modprobe.d/bonding.conf",
        "fixtures/demo/etc/network/interfaces.d/bond0",
        "fixtures/demo",
        "./fixtures/demo/etc/network/interfaces",
    ];
    let whole = json(&netvet(&["check", "--format", "json", DEMO]));
    for args in [&named[..1], &named[1..2], &named[..]] {
        let o = netvet(&[&["check", "--format", "json"][..], args].concat());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let v = json(&o);
        assert_eq!(v["findings"], whole["findings"], "{args:?}");
        assert_eq!(v["files"], whole["files"], "{args:?}");
        let targets: std::collections::BTreeSet<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["target"].as_str().unwrap())
            .collect();
        assert_eq!(targets.into_iter().collect::<Vec<_>>(), [DEMO], "{args:?}");
    }
    // One header, not one per file named: the host was checked once.
    let out = stdout(&netvet(&["check", named[0], named[1]]));
    assert!(!out.contains("== "), "{out}");
    assert_eq!(out, stdout(&netvet(&["check", DEMO])));
}

#[test]
fn hosts_and_bare_files_named_together_are_each_checked() {
    let dir = tempfile::tempdir().unwrap();
    let healthy = dir.path().join("web2/etc/network/interfaces");
    std::fs::create_dir_all(healthy.parent().unwrap()).unwrap();
    std::fs::write(&healthy, "auto lo\niface lo inet loopback\n").unwrap();
    let bare = dir.path().join("db1.interfaces");
    std::fs::write(
        &bare,
        "auto bond0\niface bond0 inet manual\n  bond-slaves eno1 eno2\n  bond-mode active-backup\n",
    )
    .unwrap();
    let module = repo().join("fixtures/demo/etc/modprobe.d/bonding.conf");
    let demo = repo().join(DEMO);
    let web2 = dir.path().join("web2");
    let o = netvet(&[
        "check",
        module.to_str().unwrap(),
        healthy.to_str().unwrap(),
        demo.to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("== ")).collect();
    let expected: Vec<String> = [demo.as_path(), web2.as_path(), bare.as_path()]
        .iter()
        .map(|p| format!("== {}", p.display()))
        .collect();
    assert_eq!(headers, expected, "{out}");
    let bare_part = &out[out.find(&expected[2]).unwrap()..];
    assert!(bare_part.contains("NV101"), "{out}");
}

#[test]
fn a_lone_file_says_when_it_reads_this_hosts_files() {
    // `/` exists on every host: the source line resolves outside the checked directory.
    let (_dir, file) = temp_interfaces("source-directory /\nauto lo\niface lo inet loopback\n");
    let v = json(&netvet(&[
        "check",
        "--format",
        "json",
        file.to_str().unwrap(),
    ]));
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("reads / from this host")),
        "{v}"
    );
}

#[test]
fn each_finding_names_its_target_and_an_openable_path() {
    let two = [DEMO, "fixtures/rules/NV101/fires-active-backup-no-miimon"];
    assert!(
        repo().join(two[1]).is_dir(),
        "fixture moved: update the test"
    );
    let v = json(&netvet(&["check", "--format", "json", two[0], two[1]]));
    let findings = v["findings"].as_array().unwrap();
    for target in two {
        let mine: Vec<_> = findings.iter().filter(|f| f["target"] == target).collect();
        assert!(!mine.is_empty(), "no finding names {target}");
        for f in mine.iter().filter(|f| f["file"].is_string()) {
            let path = f["path"].as_str().unwrap();
            assert!(path.starts_with(target), "{path} is not under {target}");
            assert!(repo().join(path).is_file(), "{path} cannot be opened");
            assert!(f["file"].as_str().unwrap().starts_with("/etc/"));
        }
    }
    let out = stdout(&netvet(&["check", two[0], two[1]]));
    assert!(out.contains(&format!("== {}", two[0])), "{out}");
    assert!(out.contains(&format!("--> {}/etc/", two[1])), "{out}");
}

#[test]
fn explain_and_rules() {
    let o = netvet(&["explain", "NV201"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("NV201 slave-mtu-differs"));
    let o = netvet(&["explain", "slave-mtu-differs"]);
    assert!(stdout(&o).starts_with("NV201 "));
    let o = netvet(&["rules"]);
    assert_eq!(
        stdout(&o).lines().count(),
        netvet::rules::registry::RULES.len()
    );
    let v = json(&netvet(&["rules", "--format", "json"]));
    assert_eq!(
        v.as_array().unwrap().len(),
        netvet::rules::registry::RULES.len()
    );
}

#[test]
fn colour_only_when_asked() {
    let plain = stdout(&netvet(&["check", DEMO]));
    assert!(!plain.contains('\x1b'), "no colour when not a terminal");
    let forced = stdout(&netvet(&["--color", "always", "check", DEMO]));
    assert!(forced.contains('\x1b'));
    let o = Command::new(env!("CARGO_BIN_EXE_netvet"))
        .args(["--color", "auto", "check", DEMO])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn suppression_is_reported_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc/network");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("interfaces"),
        "auto bond0\n# netvet: ignore NV110 -- the switch only speaks slow LACP\niface bond0 inet manual\n  bond-slaves eno1 eno2\n  bond-mode 802.3ad\n  bond-miimon 100\n",
    )
    .unwrap();
    let root = dir.path().to_str().unwrap();
    let v = json(&netvet(&["check", "--format", "json", "--root", root]));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "NV110")
    );
    let s = &v["suppressed"][0];
    assert_eq!(s["code"], "NV110");
    assert_eq!(
        s["suppressed"]["reason"],
        "the switch only speaks slow LACP"
    );
    assert_eq!(s["suppressed"]["line"], 2);
    let out = stdout(&netvet(&["check", "--root", root]));
    assert!(
        out.contains("suppressed[NV110]") && out.contains("the switch only speaks slow LACP"),
        "{out}"
    );
}

/// fixtures/demo/README.md lists what `netvet check fixtures/demo` reports: every row's code,
/// severity and count (`NV201 warning ×2`), and nothing the demo does not produce.
#[test]
fn demo_readme_lists_what_the_demo_reports() {
    let readme = std::fs::read_to_string(repo().join("fixtures/demo/README.md")).unwrap();
    let mut promised: Vec<String> = readme
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix("| NV")?.split('|').next()?.trim();
            let mut words = cell.split_whitespace();
            let (code, severity) = (words.next()?, words.next()?);
            let count = words
                .next()
                .and_then(|n| n.strip_prefix('×')?.parse().ok())
                .unwrap_or(1);
            Some(vec![format!("NV{code} {severity}"); count])
        })
        .flatten()
        .collect();
    let mut reported: Vec<String> = json(&netvet(&["check", "--format", "json", DEMO]))["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    promised.sort();
    reported.sort();
    assert!(
        !promised.is_empty(),
        "no finding rows in fixtures/demo/README.md"
    );
    assert_eq!(
        promised, reported,
        "fixtures/demo/README.md against the demo's findings"
    );
}

/// Each command's `--format` help describes that command's output and names its own schema.
#[test]
fn each_command_documents_its_own_format() {
    let help = |command: &str| stdout(&netvet(&[command, "--help"]));
    let check = help("check");
    assert!(check.contains("docs/json-schema.md"), "{check}");
    assert!(check.contains("rustc-style"), "{check}");
    let live = help("live");
    assert!(live.contains("docs/live-schema.md"), "{live}");
    for (command, text) in [
        ("live", &live),
        ("listeners", &help("listeners")),
        ("rules", &help("rules")),
    ] {
        assert!(
            !text.contains("docs/json-schema.md") && !text.contains("rustc-style"),
            "`netvet {command} --help` describes check's output:\n{text}"
        );
        assert!(text.contains("--format"), "{text}");
    }
}

/// `netvet explain` renders the rule's page for a terminal; piped, it is plain text wrapped at
/// 80 columns (reviewed by hand when it changes).
#[test]
fn explain_renders_the_page_as_plain_text_when_piped() {
    let o = netvet(&["explain", "NV104"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    insta::assert_snapshot!("explain_NV104_piped", text);
}

#[test]
fn explain_piped_has_no_escape_codes_and_fits_80_columns() {
    for rule in netvet::rules::registry::RULES {
        let o = netvet(&["explain", rule.code]);
        assert_eq!(o.status.code(), Some(0));
        let text = stdout(&o);
        assert!(
            !text.contains('\x1b'),
            "{}: escape codes when piped",
            rule.code
        );
        assert!(
            !text.contains("```") && !text.contains("## "),
            "{}: raw Markdown:\n{text}",
            rule.code
        );
        for line in text.lines() {
            // Code blocks are not wrapped: a long line there is the page's own.
            assert!(
                line.chars().count() <= 80 || line.starts_with("    "),
                "{}: line longer than 80 columns: {line}",
                rule.code
            );
        }
    }
    // Forced colour (a terminal, as far as anstream knows) does style the page.
    let o = Command::new(env!("CARGO_BIN_EXE_netvet"))
        .args(["--color", "always", "explain", "NV101"])
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("\x1b["),
        "no styles with --color always"
    );
}

/// sshd's default listeners (no `Port`, no `ListenAddress`) are declared by no line: a finding
/// names the file, with `line` null in JSON, and says it is sshd's default.
#[test]
fn sshd_default_listener_names_the_file_without_a_line() {
    let case = "fixtures/rules/NV405/fires-sshd-default";
    let live = "fixtures/rules/NV405/fires-sshd-default/live.json";
    let check = ["check", "--live-snapshot", live, "--fail-on", "never", case];
    let o = netvet(&[&check[..], &["--format", "json"]].concat());
    let v = json(&o);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "NV405" && f["program"] == "sshd")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(f["file"], "/etc/ssh/sshd_config");
    assert!(f["line"].is_null() && f["column"].is_null(), "{f}");
    assert!(
        f["notes"][0].as_str().unwrap().contains("sshd's default"),
        "{f}"
    );
    let o = netvet(&check);
    assert!(
        stdout(&o).contains(&format!("--> {case}/etc/ssh/sshd_config\n")),
        "{}",
        stdout(&o)
    );
    let o = netvet(&["listeners", "--root", case, "--format", "json"]);
    let sources: Vec<String> = json(&o)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["program"] == "sshd")
        .map(|r| r["source"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources.len(), 2);
    assert!(
        sources
            .iter()
            .all(|s| *s == format!("{case}/etc/ssh/sshd_config (default)")),
        "{sources:?}"
    );
}

/// `netvet listeners`: columns line up whatever the length of a source, which comes last.
#[test]
fn listeners_table_columns_line_up() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    std::fs::create_dir_all(etc.join("ssh")).unwrap();
    std::fs::create_dir_all(etc.join("nginx/sites-enabled")).unwrap();
    std::fs::write(etc.join("ssh/sshd_config"), "UsePAM yes\n").unwrap();
    std::fs::write(
        etc.join("nginx/nginx.conf"),
        "events { }\nhttp {\n    include sites-enabled/*;\n}\n",
    )
    .unwrap();
    std::fs::write(
        etc.join("nginx/sites-enabled/a-rather-long-site-name.example.org.conf"),
        "server {\n    listen 80;\n    listen [fd00:1234:5678:9abc:def0:1234:5678:9abc]:8443;\n}\n",
    )
    .unwrap();
    let o = netvet(&["listeners", "--root", dir.path().to_str().unwrap()]);
    let text = stdout(&o);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.trim_end().ends_with("SOURCE"), "{text}");
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 4, "{text}");
    for name in ["ADDRESS", "V4", "V6", "V6ONLY", "PROGRAM", "SOURCE"] {
        let at = header.find(&format!(" {name}")).unwrap() + 1;
        for row in &rows {
            let b = row.as_bytes();
            assert!(
                b.len() > at && b[at - 1] == b' ' && b[at] != b' ',
                "{name} at {at}:\n{text}"
            );
        }
    }
}

/// A file written for ifupdown2 (typeless stanzas, slave globs, yes/no booleans), or any file
/// on a host where ifupdown2 is installed, is read in that dialect: said once, and no NV001
/// per stanza. Bond defaults are judged only where ifupdown2's policy files are under the root
/// to read: with none setting bond-miimon an active-backup bond runs without monitoring
/// (NV101); with a site policy it does not; without ifupdown2 under the root nothing is said.
#[test]
fn ifupdown2_dialect_is_said_once_and_not_reported_per_stanza() {
    for (case, why, codes) in [
        (
            "fixtures/dialect/ifupdown2-cumulus",
            "`iface swp51` without family or method",
            &[][..],
        ),
        (
            "fixtures/dialect/ifupdown2-installed",
            "ifupdown2 is installed",
            &["NV101"][..],
        ),
        (
            "fixtures/dialect/ifupdown2-policy-miimon",
            "ifupdown2 is installed",
            &[][..],
        ),
    ] {
        let v = json(&netvet(&["check", "--format", "json", case]));
        let notes: Vec<&str> = v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(
            notes.iter().filter(|n| n.contains("ifupdown2")).count(),
            1,
            "{case}: {notes:?}"
        );
        assert!(notes[0].contains(why), "{case}: {notes:?}");
        let found: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert_eq!(found, codes, "{case}: {v:#}");
    }
    // The same typeless stanza in a tree where Debian's ifupdown is installed: it refuses the
    // file, and that is an error.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/network")).unwrap();
    std::fs::create_dir_all(dir.path().join("usr/lib/ifupdown")).unwrap();
    std::fs::write(
        dir.path().join("etc/network/interfaces"),
        "auto swp1\niface swp1\n",
    )
    .unwrap();
    let v = json(&netvet(&[
        "check",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]));
    assert!(v["notes"].as_array().unwrap().is_empty(), "{v}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "NV001"),
        "{v}"
    );
}

/// Syntax errors come first, and a main interfaces file ifupdown refuses as a whole is said
/// in the summary (and in JSON `refused`): nothing in it comes up.
#[test]
fn syntax_errors_first_and_a_refused_file_is_said() {
    let (_dir, file) = temp_interfaces(
        "auto bond0\niface bond0 inet manual\n  bond-slaves eno1 eno2\n  bond-mode active-backup\n\n\
         auto eth9\niface eth9 inet manual\n  mtu\n",
    );
    let path = file.to_str().unwrap();
    let v = json(&netvet(&["check", "--format", "json", path]));
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.len() > 1 && codes[0] == "NV001", "{codes:?}");
    assert!(codes.contains(&"NV101"), "{codes:?}");
    assert_eq!(v["refused"][0]["reason"], "option with empty value", "{v}");
    assert_eq!(v["refused"][0]["path"], path);
    let out = stdout(&netvet(&["check", path]));
    assert!(
        out.contains(&format!("netvet: ifup refuses {path} as a whole")),
        "{out}"
    );
    // A file ifupdown reads is not said to be refused.
    let v = json(&netvet(&["check", "--format", "json", HEALTHY]));
    assert!(v["refused"].as_array().unwrap().is_empty());
}

/// Arguments echoed in an error are escaped: a path or rule name cannot drive the terminal.
#[test]
fn errors_escape_what_they_echo() {
    for args in [
        vec!["explain", "NV1\u{1b}]0;PWNED\u{7}"],
        vec!["check", "--root", "/no/such\u{1b}[2J"],
    ] {
        let o = netvet(&args);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
        assert!(err.contains("\\u{1b}"), "{err:?}");
    }
}

/// Run as an unprivileged user, a tree whose interfaces.d or modprobe.d cannot be read is not
/// clean: the directory is an NV001 error. A dangling interfaces symlink is one too.
#[test]
fn unreadable_or_dangling_configuration_is_an_error_not_clean() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc/network/interfaces.d")).unwrap();
    std::fs::create_dir_all(root.join("etc/modprobe.d")).unwrap();
    std::fs::write(
        root.join("etc/network/interfaces"),
        "source-directory /etc/network/interfaces.d\n",
    )
    .unwrap();
    for d in ["", "etc", "etc/network"] {
        std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(
        root.join("etc/network/interfaces"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    for d in ["etc/network/interfaces.d", "etc/modprobe.d"] {
        std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    // As root (CI), drop to nobody: root reads a mode-000 directory anyway.
    let is_root = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").unwrap().uid() == 0
    };
    let mut cmd = if is_root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_netvet"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_netvet"))
    };
    let o = cmd
        .args(["check", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "NV001")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("interfaces.d")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("modprobe.d")),
        "{messages:?}"
    );

    let dangling = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dangling.path().join("etc/network")).unwrap();
    std::os::unix::fs::symlink(
        "/etc/network/nothing-here",
        dangling.path().join("etc/network/interfaces"),
    )
    .unwrap();
    let o = netvet(&[
        "check",
        "--format",
        "json",
        dangling.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        json(&o)["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link to nothing")
    );
}

/// `netvet check host.tar` checks the archive as a root: the same findings as the directory
/// it was made from, files shown inside the archive; a hostile archive is an error (exit 2).
#[test]
fn a_tar_archive_is_checked_as_a_root() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("demo.tar");
    let status = Command::new("tar")
        .args(["-C", DEMO, "-cf"])
        .arg(&archive)
        .arg(".")
        .current_dir(repo())
        .status()
        .expect("tar runs");
    assert!(status.success());
    let findings = |o: &Output| -> Vec<(String, String, String)> {
        json(o)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].to_string(),
                    f["file"].to_string(),
                    f["message"].to_string(),
                )
            })
            .collect()
    };
    let from_dir = netvet(&["check", "--format", "json", DEMO]);
    let from_tar = netvet(&["check", "--format", "json", archive.to_str().unwrap()]);
    assert_eq!(from_tar.status.code(), Some(1), "{}", stdout(&from_tar));
    assert!(!findings(&from_dir).is_empty());
    assert_eq!(findings(&from_tar), findings(&from_dir));
    let shown = format!("{}/etc/network/interfaces", archive.display());
    assert!(stdout(&from_tar).contains(&shown), "{}", stdout(&from_tar));

    // An entry climbing out of the archive: GNU tar keeps `../f` as given with -P.
    let evil = dir.path().join("evil.tar");
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("f"), "auto lo\n").unwrap();
    let status = Command::new("tar")
        .args(["-P", "-cf"])
        .arg(&evil)
        .arg("../f")
        .current_dir(dir.path().join("a"))
        .status()
        .expect("tar runs");
    assert!(status.success());
    let o = netvet(&["check", evil.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("without `..`"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every failure at the binary's edge: exit status 2 and one `netvet: error:` line that names
/// what was given and says what is wrong, nothing on standard output.
#[test]
fn failures_are_one_line_naming_what_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let bad_live = dir.path().join("live.json");
    std::fs::write(&bad_live, r#"{"version": 99, "links": [], "sysctls": {}}"#).unwrap();
    let not_json = dir.path().join("not.json");
    std::fs::write(&not_json, "links: none").unwrap();
    let demo = repo().join("fixtures/demo");
    let demo = demo.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["check", "--root", "/nonexistent-netvet"],
            "--root /nonexistent-netvet: not a directory",
        ),
        (
            vec!["check", "/nonexistent-netvet"],
            "/nonexistent-netvet: no such file or directory",
        ),
        (
            vec!["explain", "NV999"],
            "no rule `NV999`; `netvet rules` lists them all",
        ),
        (
            vec![
                "check",
                "--root",
                demo,
                "--live-snapshot",
                bad_live.to_str().unwrap(),
            ],
            "live snapshot version 99 is not supported",
        ),
        (
            vec![
                "check",
                "--root",
                demo,
                "--live-snapshot",
                not_json.to_str().unwrap(),
            ],
            "not a netvet live snapshot",
        ),
        (
            vec!["listeners", "--root", "/nonexistent-netvet"],
            "--root /nonexistent-netvet: not a directory",
        ),
        (
            vec!["audit", "-F", "/nonexistent-netvet", "web1"],
            "-F /nonexistent-netvet: no such file",
        ),
        (vec!["audit"], "no hosts to audit"),
    ];
    assert!(!cases.is_empty());
    for (args, want) in &cases {
        let o = netvet(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: {:?}", o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {err}");
        assert!(lines[0].starts_with("netvet: error: "), "{args:?}: {err}");
        assert!(lines[0].contains(want), "{args:?}: want {want:?} in {err}");
    }
}
