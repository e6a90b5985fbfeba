//! `netvet repair`'s planner on the live-state fixtures, with no kernel: what it plans for each
//! NV5xx case (snapshot tested), the order of MTU changes, what waits for --allow-link-down, and
//! the management-path guard. The actions themselves are proven in the VM (tests/vm/repair.sh).

use std::path::Path;

use netvet::live::LiveState;
use netvet::load::{Root, Target, load};
use netvet::model::Model;
use netvet::repair::{Options, Plan, plan};

use crate::support::{netvet, repo};

fn live_of(case: &Path) -> LiveState {
    LiveState::from_json(&std::fs::read_to_string(case.join("live.json")).unwrap()).unwrap()
}

fn planned(case: &Path, options: &Options) -> Plan {
    let host = load(&Target::Root(Root::new(case)));
    let model = Model::build(&host);
    plan(&model, &live_of(case), options)
}

/// Every live fixture's plan, as `netvet repair --live-snapshot` prints it.
#[test]
fn plans_for_every_live_fixture() {
    let mut cases = Vec::new();
    for rule in std::fs::read_dir(repo().join("fixtures/rules")).unwrap() {
        let rule = rule.unwrap().path();
        for case in std::fs::read_dir(&rule).unwrap() {
            let case = case.unwrap().path();
            if case.join("live.json").is_file() {
                cases.push(case);
            }
        }
    }
    cases.sort();
    assert!(cases.len() >= 10, "only {} live fixtures", cases.len());
    for case in cases {
        let relative = case.strip_prefix(repo()).unwrap().display().to_string();
        let out = netvet(&[
            "repair",
            "--root",
            &relative,
            "--live-snapshot",
            &format!("{relative}/live.json"),
        ]);
        let code = out.status.code().unwrap();
        assert!(code == 0 || code == 1, "{relative}: {out:?}");
        let text = format!("exit {code}\n{}", String::from_utf8_lossy(&out.stdout));
        let name = relative
            .trim_start_matches("fixtures/rules/")
            .replace('/', "__");
        insta::assert_snapshot!(format!("repair__{name}"), text);
        // A healthy case plans nothing and says so.
        if relative.contains("/ok-") {
            assert!(
                !text.contains("\n1. ") && !text.contains("waiting"),
                "{relative}: {text}"
            );
        }
    }
}

#[test]
fn mtus_are_raised_parent_first_and_lowered_child_first() {
    let case = repo().join("fixtures/rules/NV504/fires-mtu-drift");
    let raise = planned(&case, &Options::default());
    let links: Vec<&str> = raise.actions.iter().map(|a| a.change.link()).collect();
    assert_eq!(links.first(), Some(&"bond0"), "{links:?}");
    // The same links the other way: lowering starts with the slaves.
    let mut live = live_of(&case);
    for link in &mut live.links {
        if link.mtu == Some(1500) {
            link.mtu = Some(9216);
        }
    }
    let host = load(&Target::Root(Root::new(&case)));
    let model = Model::build(&host);
    let lower = plan(&model, &live, &Options::default());
    let links: Vec<&str> = lower.actions.iter().map(|a| a.change.link()).collect();
    assert_eq!(links.last(), Some(&"bond0"), "{links:?}");
    assert_eq!(links.len(), raise.actions.len());
}

#[test]
fn link_down_steps_wait_and_name_the_management_path() {
    let case = repo().join("fixtures/rules/NV502/fires-lacp-rate-drift");
    let waits = planned(&case, &Options::default());
    assert!(waits.actions.is_empty(), "{waits:?}");
    assert_eq!(waits.waiting.len(), 1);
    let steps: Vec<String> = waits.waiting[0]
        .steps
        .iter()
        .map(|a| a.change.to_string())
        .collect();
    assert_eq!(
        steps,
        ["set bond0 down", "set bond0 lacp_rate fast", "set bond0 up"]
    );
    let guarded = planned(
        &case,
        &Options {
            allow_link_down: false,
            management: vec![(
                "bond0".to_string(),
                "it carries the IPv4 default route".to_string(),
            )],
        },
    );
    assert!(
        guarded.waiting[0].reason.contains("default route"),
        "{:?}",
        guarded.waiting
    );
    let allowed = planned(
        &case,
        &Options {
            allow_link_down: true,
            management: Vec::new(),
        },
    );
    assert!(allowed.waiting.is_empty());
    assert_eq!(allowed.actions.len(), 3);
    // Each step carries what undoes it.
    assert_eq!(
        allowed.actions[1].undo.to_string(),
        "set bond0 lacp_rate slow"
    );
}
