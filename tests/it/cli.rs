//! The command line as a user runs it: exit codes, formats, selection, errors.

use std::process::{Command, Output};

use crate::support::repo;

fn netvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netvet"))
        .args(args)
        .current_dir(repo())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("netvet runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
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
    let v = json(&netvet(&[
        "check",
        "--format",
        "json",
        "--select",
        "bond-no-link-monitoring",
        DEMO,
    ]));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] == "NV101")
    );
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
fn missing_files_are_reported_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = netvet(&["check", "--root", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("/etc/network/interfaces not found"), "{out}");
    let v = json(&netvet(&[
        "check",
        "--format",
        "json",
        "--root",
        dir.path().to_str().unwrap(),
    ]));
    assert!(
        v["not_found"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "/etc/network/interfaces")
    );
}

#[test]
fn explain_and_rules() {
    let o = netvet(&["explain", "NV201"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("# NV201 slave-mtu-differs"));
    let o = netvet(&["explain", "slave-mtu-differs"]);
    assert!(stdout(&o).starts_with("# NV201"));
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
        stdout(&o).contains("--> /etc/ssh/sshd_config\n"),
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
            .all(|s| s == "/etc/ssh/sshd_config (default)"),
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
