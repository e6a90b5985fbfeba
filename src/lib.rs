//! netvet: validate and repair Linux network configuration.
//!
//! See `ARCHITECTURE.md` for the bird's-eye view and the code map.

pub mod audit;
pub mod bonding;
pub mod cli;
pub mod diagnostic;
pub mod explain;
pub mod fix;
pub mod limits;
pub mod load;
pub mod model;
pub mod repair;
pub mod report;
pub mod rules;
pub mod snapshot;
pub mod source;
pub mod syntax;

use diagnostic::Diagnostic;

/// One checked target: what was read and what was found.
#[derive(Debug)]
pub struct CheckRun {
    /// What the user named: a directory, a file or `-`.
    pub target: String,
    pub host: load::Host,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckRun {
    pub fn new(
        target: &load::Target,
        live: Option<&live::LiveState>,
        selection: &rules::Selection,
    ) -> Self {
        let host = load::load(target);
        let diagnostics = rules::check(&host, live, selection);
        CheckRun {
            target: target.label(),
            host,
            diagnostics,
        }
    }
}
pub mod live;
