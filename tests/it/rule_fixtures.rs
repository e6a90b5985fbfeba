//! Every rule against its fixtures: `fixtures/rules/NVxxx/fires-*` must produce the rule,
//! `fixtures/rules/NVxxx/ok-*` must not. What a rule says on its `fires-` cases is snapshot
//! tested (reviewed by hand when it changes).

use std::path::Path;

use netvet::CheckRun;
use netvet::diagnostic::render_human;
use netvet::load::{Root, Target};
use netvet::rules::Config;
use netvet::rules::registry::RULES;

use crate::support::repo;

/// A case may hold `live.json`, a snapshot from `netvet live --format json`: the live rules
/// then compare it with the case's configuration.
fn live_snapshot(case: &Path) -> Option<netvet::live::LiveState> {
    let text = std::fs::read_to_string(case.join("live.json")).ok()?;
    Some(netvet::live::LiveState::from_json(&text).expect("fixture live.json is a valid snapshot"))
}

/// A case may hold `netvet.toml`, the settings it is checked with (the NV6xx rules judge its
/// `[policy]`), as `netvet check` finds it in the case's directory.
fn settings(case: &Path) -> Config {
    let file = case.join(netvet::settings::FILE_NAME);
    if !file.exists() {
        return Config::default();
    }
    netvet::settings::Settings::from_file(&file)
        .unwrap_or_else(|e| panic!("{}", e.render(false)))
        .config
}

/// Checked as a user in the repository would (`netvet check fixtures/rules/...`), so that
/// the snapshots show the paths a user opens.
fn run(case: &Path) -> CheckRun {
    let relative = case.strip_prefix(repo()).unwrap_or(case);
    CheckRun::new(
        &Target::Root(Root::new(relative)),
        live_snapshot(case).as_ref(),
        &settings(case),
    )
}

fn cases(code: &str) -> Vec<(String, std::path::PathBuf)> {
    let dir = repo().join("fixtures/rules").join(code);
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_rule_has_a_firing_case_and_a_near_miss() {
    for rule in RULES {
        let cases = cases(rule.code);
        assert!(
            cases.iter().any(|(n, _)| n.starts_with("fires")),
            "{} has no fixtures/rules/{}/fires-* case",
            rule.code,
            rule.code
        );
        assert!(
            cases.iter().any(|(n, _)| n.starts_with("ok")),
            "{} has no fixtures/rules/{}/ok-* near-miss",
            rule.code,
            rule.code
        );
        for (name, _) in &cases {
            assert!(
                name.starts_with("fires-") || name.starts_with("ok-"),
                "fixtures/rules/{}/{name}: case names start with fires- or ok-",
                rule.code
            );
        }
    }
}

#[test]
fn fixtures_fire_and_near_misses_stay_quiet() {
    let mut failures = Vec::new();
    for rule in RULES {
        for (name, path) in cases(rule.code) {
            let run = run(&path);
            // Every finding takes a severity its rule says it can take.
            for d in &run.diagnostics {
                let meta = netvet::rules::registry::lookup(d.code).expect("a known code");
                if !meta.severities().any(|s| s == d.severity) {
                    failures.push(format!(
                        "{}/{name}: {} is {:?}, which the registry does not list for it",
                        rule.code, d.code, d.severity
                    ));
                }
            }
            let mine: Vec<_> = run
                .diagnostics
                .iter()
                .filter(|d| d.code == rule.code && d.suppressed.is_none())
                .cloned()
                .collect();
            if name.starts_with("ok-") {
                if !mine.is_empty() {
                    failures.push(format!(
                        "{}/{name}: must not fire, got:\n{}",
                        rule.code,
                        render_human(&run.host.sources, &mine, false)
                    ));
                }
                continue;
            }
            if mine.is_empty() {
                let all: Vec<_> = run.diagnostics.iter().map(|d| d.code).collect();
                failures.push(format!("{}/{name}: did not fire (got {all:?})", rule.code));
                continue;
            }
            let text = render_human(&run.host.sources, &mine, false);
            insta::assert_snapshot!(format!("{}__{}", rule.code, name), text);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn healthy_configs_have_no_warnings_or_errors() {
    let dir = repo().join("fixtures/healthy");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let run = run(&path);
        let loud: Vec<_> = run
            .diagnostics
            .iter()
            .filter(|d| d.severity > netvet::diagnostic::Severity::Info)
            .cloned()
            .collect();
        assert!(
            loud.is_empty(),
            "{} must be clean:\n{}",
            path.display(),
            render_human(&run.host.sources, &loud, false)
        );
        checked += 1;
    }
    assert!(
        checked >= 4,
        "expected at least 4 healthy configs, found {checked}"
    );
}

#[test]
fn demo_tree_snapshot() {
    let run = run(&repo().join("fixtures/demo"));
    let text = netvet::report::human(
        std::slice::from_ref(&run),
        false,
        netvet::report::Verbosity::Normal,
    );
    insta::assert_snapshot!("demo", text);
}

/// A finding with a fix shows it as `help: fix: ...`; a help line that proposes the same edit
/// again says the help twice (NV104 did: "write `200` ..." above "fix: set updelay to 200").
#[test]
fn a_fix_is_not_repeated_by_a_help_line() {
    let mut repeated = Vec::new();
    let mut fixes = 0;
    for rule in RULES {
        for (name, path) in cases(rule.code) {
            for d in &run(&path).diagnostics {
                let Some(fix) = &d.fix else { continue };
                fixes += 1;
                for edit in &fix.edits {
                    let proposed = format!("`{}`", edit.replacement);
                    if let Some(help) = d.help.iter().find(|h| h.contains(&proposed)) {
                        repeated.push(format!(
                            "{}/{name}: {}: help `{help}` repeats the fix `{}`",
                            rule.code, d.code, fix.title
                        ));
                    }
                }
            }
        }
    }
    assert!(fixes > 0, "no fixture produced a fix");
    assert!(repeated.is_empty(), "{}", repeated.join("\n"));
}
