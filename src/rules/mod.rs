//! The rules engine: the code table, one module per rule family, and the driver that runs them
//! and applies `--select`, `--ignore` and inline suppressions.
//!
//! Architecture invariant: rules never do I/O. They read the [`Model`] (and the parsed files it
//! borrows) and push [`Diagnostic`]s.

mod bond;
mod ipv6;
mod live;
mod modprobe;
mod mtu;
pub mod registry;
mod syntax;
mod vlan;

use crate::diagnostic::{Diagnostic, Suppression};
use crate::live::LiveState;
use crate::load::Host;
use crate::model::Model;
use crate::source::Location;

/// Which rules run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Codes or prefixes (`NV1`, `NV10`, `NV101`) to run; empty means all.
    pub select: Vec<String>,
    /// Codes or prefixes to skip.
    pub ignore: Vec<String>,
}

impl Selection {
    /// A pattern is a code prefix (`NV1`, `nv101`) or a rule name, in any case.
    fn matches(patterns: &[String], code: &str) -> bool {
        patterns.iter().any(|p| {
            code.starts_with(&p.to_ascii_uppercase())
                || registry::lookup(p).is_some_and(|r| r.code == code)
        })
    }

    pub fn enabled(&self, code: &str) -> bool {
        (self.select.is_empty() || Self::matches(&self.select, code))
            && !Self::matches(&self.ignore, code)
    }

    /// Patterns that name no rule: a typo in `--select NV1O1` must not silently select nothing.
    pub fn unknown_patterns(&self) -> Vec<&str> {
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|p| {
                let upper = p.to_ascii_uppercase();
                !registry::RULES
                    .iter()
                    .any(|r| r.code.starts_with(&upper) || r.name.eq_ignore_ascii_case(p))
            })
            .map(String::as_str)
            .collect()
    }
}

/// What the rules see.
pub struct Context<'a, 'h> {
    pub host: &'h Host,
    pub model: &'a Model<'h>,
}

/// Run every enabled rule over a loaded host, and the live rules when the running state is
/// given. Findings come back sorted by file and position, suppressed ones marked.
pub fn check(host: &Host, live: Option<&LiveState>, selection: &Selection) -> Vec<Diagnostic> {
    let model = Model::build(host);
    let ctx = Context {
        host,
        model: &model,
    };
    let mut out = Vec::new();
    syntax::check(&ctx, &mut out);
    bond::check(&ctx, &mut out);
    modprobe::check(&ctx, &mut out);
    mtu::check(&ctx, &mut out);
    vlan::check(&ctx, &mut out);
    ipv6::check(&ctx, &mut out);
    ipv6::check_listeners(&ctx, live, &mut out);
    if let Some(live) = live {
        live::check(&ctx, live, &mut out);
        ipv6::check_live(&ctx, live, &mut out);
    }

    out.retain(|d| selection.enabled(d.code));
    apply_suppressions(host, &mut out);
    out.sort_by(|a, b| (a.location, a.code, &a.message).cmp(&(b.location, b.code, &b.message)));
    out.dedup();
    out
}

fn apply_suppressions(host: &Host, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics.iter_mut() {
        let Some(loc) = d.location else { continue };
        let Some((_, parsed)) = host.interfaces.iter().find(|(id, _)| *id == loc.file) else {
            continue;
        };
        let hit = parsed.suppressions.iter().find(|s| {
            s.covers.start <= loc.span.start
                && loc.span.start <= s.covers.end
                && s.codes.iter().any(|c| c == d.code)
        });
        if let Some(s) = hit {
            d.suppressed = Some(Suppression {
                location: Location {
                    file: loc.file,
                    span: s.span,
                },
                reason: s.reason.clone(),
            });
        }
    }
}
