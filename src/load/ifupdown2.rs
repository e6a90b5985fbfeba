//! ifupdown2's policy files: JSON defaults its addons apply to every interface that does not
//! set an attribute itself. For bonds this decides what a stanza without `bond-miimon` runs
//! with: ifupdown2 sends the kernel only what a stanza or a policy file sets.
//!
//! As ifupdown2's `policymanager` reads them: every `*.json` of `/var/lib/ifupdown2/policy.d`
//! (the system's, shipped by the platform) and of `/etc/network/ifupdown2/policy.d` (the
//! user's); within each set a later file's module section replaces an earlier one's key by key;
//! a value is looked up in the user's `iface_defaults.IFNAME`, then the user's `defaults`, then
//! the system's, in that order. (ifupdown2 takes the files in directory order; netvet in name
//! order. `driver_defaults` depend on the running hardware and are not read.)

use std::path::Path;

use serde_json::{Map, Value};

use super::fs::HostFs;
use super::{Host, ReadError, read_file};
use crate::source::FileId;

/// Where ifupdown2 reads policies: the system's, then the user's.
pub const POLICY_DIRS: [&str; 2] = [
    "/var/lib/ifupdown2/policy.d",
    "/etc/network/ifupdown2/policy.d",
];

/// The merged policies of one set (system or user): module name to its sections, each value
/// with the file it came from.
#[derive(Debug, Default)]
struct PolicySet {
    modules: Map<String, Value>,
    /// (module, section) to the file that last set that section.
    origin: Vec<((String, String), FileId)>,
}

/// The policies ifupdown2 would apply on this host.
#[derive(Debug, Default)]
pub struct Policy {
    system: PolicySet,
    user: PolicySet,
}

/// A default found in a policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyValue {
    pub value: String,
    pub file: FileId,
}

impl Policy {
    /// What ifupdown2's `get_iface_default(module, ifname, attr)` returns.
    pub fn iface_default(&self, module: &str, ifname: &str, attr: &str) -> Option<PolicyValue> {
        for set in [&self.user, &self.system] {
            let section = |name: &str| set.modules.get(module)?.get(name);
            let found = section("iface_defaults")
                .and_then(|s| s.get(ifname))
                .and_then(|s| s.get(attr))
                .map(|v| (v, "iface_defaults"))
                .or_else(|| {
                    section("defaults")
                        .and_then(|s| s.get(attr))
                        .map(|v| (v, "defaults"))
                });
            if let Some((value, section)) = found {
                let value = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let file = set
                    .origin
                    .iter()
                    .rev()
                    .find(|((m, s), _)| m == module && s == section)
                    .map(|(_, f)| *f)?;
                return Some(PolicyValue { value, file });
            }
        }
        None
    }
}

/// Read the policy files under the root (only where ifupdown2 is installed there: elsewhere its
/// policies are not netvet's to guess).
pub(super) fn load(host: &mut Host, fs: &dyn HostFs) -> Policy {
    let mut policy = Policy::default();
    for (i, dir) in POLICY_DIRS.iter().enumerate() {
        let real_dir = fs.resolve(Path::new(dir));
        let Ok(entries) = fs.read_dir(&real_dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .iter()
            .filter_map(|e| e.name.to_str())
            .filter(|n| n.ends_with(".json"))
            .map(str::to_string)
            .collect();
        names.sort();
        let set = if i == 0 {
            &mut policy.system
        } else {
            &mut policy.user
        };
        for name in names {
            let shown = format!("{dir}/{name}");
            let file = match read_file(
                &mut host.sources,
                fs,
                &real_dir.join(&name),
                fs.shown(Path::new(&shown)),
            ) {
                Ok(file) => file,
                Err(error) => {
                    host.read_error(ReadError {
                        path: shown,
                        error,
                        requested_by: None,
                    });
                    continue;
                }
            };
            match serde_json::from_str::<Map<String, Value>>(&host.sources.get(file).text) {
                Ok(modules) => merge(set, modules, file),
                Err(error) => host.notes.push(format!(
                    "{}: not a JSON object ({error}): ifupdown2 ignores this policy file",
                    host.sources.get(file).shown
                )),
            }
        }
    }
    policy
}

/// `policy_array[module].update(file[module])`: a later file's section replaces an earlier one.
fn merge(set: &mut PolicySet, modules: Map<String, Value>, file: FileId) {
    for (module, sections) in modules {
        let Value::Object(sections) = sections else {
            continue;
        };
        let entry = set
            .modules
            .entry(module.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(existing) = entry else {
            continue;
        };
        for (name, value) in sections {
            set.origin.push(((module.clone(), name.clone()), file));
            existing.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::load::{Root, Target, load, test_tree};

    #[test]
    fn users_iface_defaults_win_over_system_defaults() {
        let dir = test_tree(&[
            (
                "etc/network/interfaces",
                "auto bond0\niface bond0\n    bond-slaves eno1\n",
            ),
            (
                "var/lib/ifupdown2/policy.d/bond_defaults.json",
                r#"{"bond": {"defaults": {"bond-miimon": "100", "bond-mode": "802.3ad"}}}"#,
            ),
            (
                "etc/network/ifupdown2/policy.d/site.json",
                r#"{"bond": {"iface_defaults": {"bond0": {"bond-miimon": 50}}}}"#,
            ),
            ("etc/network/ifupdown2/policy.d/broken.json", "{ not json"),
        ]);
        let host = load(&Target::Root(Root::new(dir.path())));
        let policy = host
            .ifupdown2_policy
            .as_ref()
            .expect("ifupdown2 is installed");
        let get = |ifname, attr| policy.iface_default("bond", ifname, attr).map(|v| v.value);
        assert_eq!(get("bond0", "bond-miimon").as_deref(), Some("50"));
        assert_eq!(get("bond1", "bond-miimon").as_deref(), Some("100"));
        assert_eq!(get("bond1", "bond-mode").as_deref(), Some("802.3ad"));
        assert_eq!(get("bond1", "bond-lacp-rate"), None);
        assert!(
            host.notes
                .iter()
                .any(|n| n.contains("broken.json") && n.contains("ignores"))
        );
    }

    #[test]
    fn no_policy_without_ifupdown2_under_the_root() {
        let dir = test_tree(&[(
            "etc/network/interfaces",
            "auto bond0\niface bond0\n    bond-slaves eno1\n",
        )]);
        let host = load(&Target::Root(Root::new(dir.path())));
        assert!(matches!(
            host.dialect,
            crate::load::Dialect::Ifupdown2 { .. }
        ));
        assert!(host.ifupdown2_policy.is_none());
    }
}
