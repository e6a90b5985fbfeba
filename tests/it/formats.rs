//! The output formats for CI (`--format sarif|github|junit|json-lines`): a snapshot of each on
//! the demo, SARIF checked against the official 2.1.0 schema, JUnit parsed by an XML parser, and
//! hostile file content and names through each.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::netvet;

const DEMO: &str = "fixtures/demo";

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 on stdout")
}

/// Runs `python3 -c script` with `input` on standard input; panics with its stderr on failure.
fn python(script: &str, args: &[&str], input: &str) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}\n{input}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A root whose interfaces file holds control characters, markup and an encoded newline, under
/// a directory whose name holds `,`, `:`, `%`, `&` and a space; and a suppressed finding.
fn hostile_root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("host a,b:c%0A&<x>");
    let etc = root.join("etc/network");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("interfaces"),
        "auto bond0\n\
         # netvet: ignore NV110 -- the switch only speaks slow LACP\n\
         iface bond0 inet manual\n  bond-slaves eno1 eno2\n  bond-mode 802.3ad\n  bond-miimon 100\n\
         iface eno1 inet manual\n  bond-master bond0\n  mtu 9000\n\
         iface eth9 inet manual\n  bogus\u{1}\u{1b}[2J<&>\"%0A:,\u{7}\u{0}\u{9b}\u{202e}opt x\n",
    )
    .unwrap();
    (dir, root)
}

/// The schema file a package registry ships: `NETVET_SARIF_SCHEMA`, which tests/run-all.sh
/// sets after unpacking it. Required under CI.
fn sarif_schema() -> Option<PathBuf> {
    let path = std::env::var_os("NETVET_SARIF_SCHEMA").map(PathBuf::from);
    match path {
        Some(p) if p.is_file() => Some(p),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the SARIF schema is required under CI: set NETVET_SARIF_SCHEMA (tests/run-all.sh does)"
            );
            eprintln!("NETVET_SARIF_SCHEMA not set: skipping the schema check");
            None
        }
    }
}

fn validate_sarif(schema: &Path, sarif: &str) {
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  cls = jsonschema.validators.validator_for(schema)\n\
                  v = cls(schema, format_checker=cls.FORMAT_CHECKER)\n\
                  errors = sorted(v.iter_errors(json.load(sys.stdin)), key=str)\n\
                  for e in errors[:5]: print(list(e.absolute_path), e.message, file=sys.stderr)\n\
                  sys.exit(1 if errors else 0)\n";
    python(script, &[schema.to_str().unwrap()], sarif);
}

/// The SARIF of the demo, with each rule's page (its help and description, checked by the
/// rule book's own tests) cut to its first line, so the snapshot shows the shape.
#[test]
fn sarif_snapshot() {
    let o = netvet(&["check", "--format", "sarif", DEMO]);
    assert_eq!(o.status.code(), Some(1));
    let mut v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap().clone();
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap();
    assert_eq!(rules.len(), netvet::rules::registry::RULES.len());
    for (i, r) in rules.iter_mut().enumerate() {
        let page = netvet::rules::registry::RULES[i].doc;
        assert_eq!(r["help"]["markdown"], page);
        let name = r["name"].as_str().unwrap().to_string();
        assert!(r["help"]["text"].as_str().unwrap().contains(&name));
        for key in ["markdown", "text"] {
            let field = &mut r["help"][key];
            let first = field.as_str().unwrap().lines().next().unwrap().to_string();
            *field = serde_json::Value::String(first + " ...");
        }
    }
    // Only the rules the demo fires are kept in the snapshot; ruleIndex is checked against
    // the full table first.
    for r in &results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    rules.retain(|rule| results.iter().any(|r| r["ruleId"] == rule["id"]));
    insta::assert_snapshot!("sarif_demo", serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn github_snapshot() {
    let o = netvet(&["check", "--format", "github", DEMO]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("github_demo", stdout(&o));
}

#[test]
fn junit_snapshot() {
    let o = netvet(&["check", "--format", "junit", DEMO]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("junit_demo", stdout(&o));
}

#[test]
fn json_lines_snapshot() {
    let o = netvet(&["check", "--format", "json-lines", DEMO]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    // Each line is one of the JSON report's findings, in the same order.
    let json: serde_json::Value =
        serde_json::from_slice(&netvet(&["check", "--format", "json", DEMO]).stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(&lines, json["findings"].as_array().unwrap());
    insta::assert_snapshot!("json_lines_demo", text);
}

/// Every format keeps the exit codes: 1 with findings at --fail-on, 0 without.
#[test]
fn every_format_keeps_the_exit_codes() {
    for format in ["sarif", "github", "junit", "json-lines"] {
        let o = netvet(&["check", "--format", format, DEMO]);
        assert_eq!(o.status.code(), Some(1), "{format}");
        let o = netvet(&["check", "--format", format, "--fail-on", "never", DEMO]);
        assert_eq!(o.status.code(), Some(0), "{format}");
        let o = netvet(&[
            "check",
            "--format",
            format,
            "fixtures/healthy/active-backup",
        ]);
        assert_eq!(o.status.code(), Some(0), "{format}");
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(schema) = sarif_schema() else {
        return;
    };
    validate_sarif(
        &schema,
        &stdout(&netvet(&["check", "--format", "sarif", DEMO])),
    );
    let (_dir, root) = hostile_root();
    let o = netvet(&["check", "--format", "sarif", root.to_str().unwrap()]);
    let text = stdout(&o);
    validate_sarif(&schema, &text);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1, "{text}");
    assert_eq!(suppressed[0]["ruleId"], "NV110");
    let s = &suppressed[0]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(s["justification"], "the switch only speaks slow LACP");
    assert_eq!(s["location"]["physicalLocation"]["region"]["startLine"], 2);
    // An absolute path is a file URI, percent-encoded.
    let uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(
        uri.contains("/host%20a%2Cb%3Ac%250A%26%3Cx%3E/etc/network/interfaces"),
        "{uri}"
    );
}

#[test]
fn junit_is_well_formed_xml_even_with_control_characters() {
    let (_dir, root) = hostile_root();
    let check = "import sys, xml.dom.minidom\n\
                 d = xml.dom.minidom.parseString(sys.stdin.buffer.read())\n\
                 print(len(d.getElementsByTagName('testcase')), len(d.getElementsByTagName('failure')), len(d.getElementsByTagName('skipped')))\n";
    for args in [
        vec!["check", "--format", "junit", DEMO],
        vec![
            "check",
            "--format",
            "junit",
            "--fail-on",
            "info",
            root.to_str().unwrap(),
            DEMO,
        ],
    ] {
        let o = netvet(&args);
        let text = stdout(&o);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{0}'),
            "{text}"
        );
        let counts = python(check, &[], &text);
        let counts: Vec<usize> = counts
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert!(counts[0] > 0 && counts[1] > 0, "{counts:?}\n{text}");
        if args.len() > 4 {
            // NV110 in the hostile root is suppressed and alone in its case: skipped.
            assert_eq!(counts[2], 1, "{text}");
            assert!(text.contains("<testsuite name=\"fixtures/demo\""), "{text}");
        }
    }
}

#[test]
fn github_commands_escape_messages_and_properties() {
    let (_dir, root) = hostile_root();
    let o = netvet(&["check", "--format", "github", root.to_str().unwrap()]);
    let text = stdout(&o);
    let json: serde_json::Value = serde_json::from_slice(
        &netvet(&["check", "--format", "json", root.to_str().unwrap()]).stdout,
    )
    .unwrap();
    // One command per finding that is not suppressed, each on its own line.
    assert_eq!(
        text.lines().count(),
        json["findings"].as_array().unwrap().len(),
        "{text}"
    );
    for line in text.lines() {
        assert!(line.starts_with("::"), "{line}");
        let (command, message) = line[2..].split_once("::").expect("two `::`");
        let (_, props) = command.split_once(' ').unwrap();
        for prop in props.split(',') {
            let (key, value) = prop.split_once('=').expect("key=value");
            assert!(
                ["file", "line", "col", "endLine", "endColumn", "title"].contains(&key),
                "{prop}"
            );
            assert!(!value.contains(':'), "{value}");
        }
        assert!(
            props.contains("host a%2Cb%3Ac%250A&<x>/etc/network/interfaces"),
            "{line}"
        );
        assert!(
            !message.contains('\r') && !line.chars().any(|c| c.is_control()),
            "{line:?}"
        );
    }
    assert!(
        !text.contains("NV110"),
        "suppressed findings are not printed: {text}"
    );
    // The file's `%0A` arrives as text, its `%` encoded, and control characters as escapes.
    assert!(text.contains("%250A"), "{text}");
    assert!(text.contains("\\u{1b}"), "{text}");
}

/// Standard output of the line-oriented formats holds findings only: the notes on how files
/// were read go to standard error (none with --quiet); SARIF carries them as notifications.
#[test]
fn notes_go_to_stderr_or_into_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("interfaces");
    // `/` exists on every host: the source line resolves outside the checked directory.
    std::fs::write(
        &file,
        "source-directory /\nauto bond0\niface bond0 inet manual\n  bond-slaves eno1\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for format in ["json-lines", "github", "junit"] {
        let o = netvet(&["check", "--format", format, file]);
        assert_eq!(o.status.code(), Some(1), "{format}");
        let (out, err) = (stdout(&o), String::from_utf8_lossy(&o.stderr).into_owned());
        assert!(!out.contains("reads / from this host"), "{format}: {out}");
        assert!(
            err.contains("netvet: note: ") && err.contains("reads / from this host"),
            "{format}: {err}"
        );
        if format == "json-lines" {
            for line in out.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(v["code"].is_string(), "{line}");
            }
        }
        let o = netvet(&["check", "--quiet", "--format", format, file]);
        assert!(
            o.stderr.is_empty(),
            "{format} --quiet: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&netvet(&["check", "--format", "sarif", file]).stdout).unwrap();
    let notes = v["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains("reads / from this host"), "{notes}");
}
