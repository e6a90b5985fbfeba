//! The one integration test binary (matklad: one binary links once and runs in parallel).

mod audit;
mod audit_cli;
mod bind_conflicts;
mod bundle_equivalence;
mod catalog;
mod cli;
mod fix;
mod formats;
mod hostile_trees;
mod ifquery_diff;
mod inventory_diff;
mod listeners_corpus;
mod listeners_real;
mod live_fixtures;
mod live_iproute;
mod live_netns;
mod modprobe_diff;
mod precommit;
mod repair;
mod robustness;
mod rule_fixtures;
mod settings;
mod snapshot;
mod support;
mod sysctl_corpus;
mod version;
