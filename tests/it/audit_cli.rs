//! `netvet audit`'s command line without SSH servers: which hosts an inventory and `--limit`
//! select, what a host the inventory cannot say how to reach becomes, and usage errors. Every
//! host here is `127.0.0.1` on a closed port inside a namespace the test creates, so each one
//! is contacted and refused at once.

use serde_json::Value;

use crate::support::Netns;

const NETVET: &str = env!("CARGO_BIN_EXE_netvet");

fn audit(ns: &Netns, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["audit", "--ssh-command", "ssh", "--format", "json"];
    all.extend_from_slice(args);
    let out = ns.exec(NETVET, &all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json, stderr)
}

fn hosts(report: &Value) -> Vec<(String, String)> {
    report["hosts"]
        .as_array()
        .unwrap_or_else(|| panic!("no hosts: {report}"))
        .iter()
        .map(|h| {
            (
                h["host"].as_str().unwrap().to_string(),
                h["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_inventory_and_a_limit_choose_the_hosts() {
    let Some(ns) = Netns::new("audit-cli", &["/usr/bin/ssh"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("hosts.ini");
    std::fs::write(
        &inventory,
        "[web]\nweb1 ansible_host=127.0.0.1 ansible_port=1\nweb2 ansible_host=127.0.0.1 ansible_port=1\n\n\
         [db]\ndb1 ansible_host=127.0.0.1 ansible_port=1\ndb2 ansible_host=\"{{ lookup('env', 'DB2') }}\"\n",
    )
    .unwrap();
    let inv = inventory.to_str().unwrap();

    let (code, report, stderr) = audit(&ns, &["-i", inv]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(
        hosts(&report),
        [
            ("web1".to_string(), "unreachable".to_string()),
            ("web2".to_string(), "unreachable".to_string()),
            ("db1".to_string(), "unreachable".to_string()),
            ("db2".to_string(), "inventory-error".to_string()),
        ]
    );
    let db2 = &report["hosts"][3];
    assert!(
        db2["reason"].as_str().unwrap().contains("hosts.ini"),
        "the reason names the file: {db2}"
    );
    assert_eq!(report["summary"]["status"]["unreachable"], 3);

    let (_, report, stderr) = audit(&ns, &["-i", inv, "--limit", "web:db1:!web2"]);
    let names: Vec<String> = hosts(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["web1", "db1"], "{stderr}");

    // hosts on the command line: user@host:port and ranges, as a plain list
    let (_, report, stderr) = audit(&ns, &["nobody@127.0.0.1:1", "h[1:2]"]);
    let names: Vec<String> = hosts(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["127.0.0.1", "h1", "h2"], "{stderr}");

    for (args, want) in [
        (vec!["-i", inv, "web1"], "cannot be used with"),
        (
            vec!["-i", inv, "--limit", "nothing-here"],
            "selects no host",
        ),
        (vec![], "no hosts to audit"),
        (
            vec!["-i", "/nonexistent/inventory"],
            "/nonexistent/inventory",
        ),
    ] {
        let (code, _, stderr) = audit(&ns, &args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }

    // A name OpenSSH would read as an option is refused, never handed to ssh.
    let pwned = dir.path().join("pwned");
    let host = format!("-oProxyCommand=touch${{IFS}}{}", pwned.display());
    let (code, report, stderr) = audit(&ns, &["--", &host]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(
        hosts(&report),
        [(host.clone(), "inventory-error".to_string())]
    );
    assert!(!pwned.exists(), "ssh ran the ProxyCommand");
}
