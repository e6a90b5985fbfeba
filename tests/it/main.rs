//! The one integration test binary (matklad: one binary links once and runs in parallel).

mod audit;
mod bind_conflicts;
mod bundle_equivalence;
mod catalog;
mod cli;
mod fix;
mod formats;
mod hostile_trees;
mod ifquery_diff;
mod listeners_corpus;
mod listeners_real;
mod live_fixtures;
mod live_netns;
mod modprobe_diff;
mod precommit;
mod repair;
mod robustness;
mod rule_fixtures;
mod snapshot;
mod ssh_config_diff;
mod support;
mod sysctl_corpus;
mod version;
