//! Executing a repair plan: each action through netlink, read back from the kernel, and on the
//! first failure every action already made undone in reverse order, each undo read back too.

use super::{Action, Change, Plan};
use crate::live::{LiveError, LiveState};

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Every action was made and read back: those that changed something, in order (what
    /// [`roll_back`] undoes when the operator does not confirm).
    Done { made: Vec<Action> },
    /// Action `failed` (1-based) failed; every action before it was undone and read back.
    RolledBack { failed: usize, error: StepError },
    /// Action `failed` failed, and undoing did not complete: `left` says what stays changed.
    Stuck {
        failed: usize,
        error: StepError,
        left: Vec<String>,
    },
}

/// Why an action (or its undo) did not hold.
#[derive(Debug)]
pub enum StepError {
    /// The kernel could not be asked, or refused the change.
    Kernel(LiveError),
    /// The kernel showed no links at all: reading it went wrong, and nothing is changed on a
    /// state netvet cannot see.
    NoLinks,
    /// `NETVET_FAILPOINT=repair-step:N` made this step fail.
    Failpoint(usize),
    /// The kernel accepted the change, but reading it back does not show it.
    NotShown,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepError::Kernel(e) => write!(f, "{e}"),
            StepError::NoLinks => write!(f, "the kernel shows no links"),
            StepError::Failpoint(step) => write!(f, "NETVET_FAILPOINT=repair-step:{step}"),
            StepError::NotShown => write!(f, "the kernel accepted the change but does not show it"),
        }
    }
}

impl std::error::Error for StepError {}

impl From<LiveError> for StepError {
    fn from(e: LiveError) -> Self {
        StepError::Kernel(e)
    }
}

/// How loudly a line is logged (syslog priorities, which the journal reads from a `<N>`
/// prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error = 3,
    Warning = 4,
    Info = 6,
}

/// What the executor needs from the kernel, so that the order, the read-back and the rollback
/// are tested without one.
pub trait Kernel {
    fn read(&mut self) -> Result<LiveState, LiveError>;
    fn make(&mut self, change: &Change) -> Result<(), LiveError>;
}

/// The running kernel, through netlink.
pub struct Netlink;

impl Kernel for Netlink {
    fn read(&mut self) -> Result<LiveState, LiveError> {
        crate::live::read()
    }

    fn make(&mut self, change: &Change) -> Result<(), LiveError> {
        crate::live::change_link(change.link(), &change.request())
    }
}

/// `NETVET_FAILPOINT=repair-step:N`: the N-th action fails as if the kernel refused it (a test
/// aid; without the variable nothing changes).
pub fn failpoint() -> Option<usize> {
    std::env::var("NETVET_FAILPOINT")
        .ok()?
        .strip_prefix("repair-step:")?
        .parse()
        .ok()
}

/// Make the plan's actions in order; `log` gets one line per action and per undo.
pub fn run(
    plan: &Plan,
    kernel: &mut dyn Kernel,
    fail_at: Option<usize>,
    log: &mut dyn FnMut(Level, String),
) -> Outcome {
    let mut made: Vec<&Action> = Vec::new();
    for (i, action) in plan.actions.iter().enumerate() {
        let step = i + 1;
        let result = (|| {
            let live = kernel.read()?;
            if live.links.is_empty() {
                return Err(StepError::NoLinks);
            }
            if fail_at == Some(step) {
                return Err(StepError::Failpoint(step));
            }
            // An earlier action may have made this one already (a bond's MTU reaches its
            // slaves): nothing to make, nothing to undo.
            if action.change.holds(&live) {
                return Ok(false);
            }
            kernel.make(&action.change)?;
            let live = kernel.read()?;
            if action.change.holds(&live) {
                Ok(true)
            } else {
                Err(StepError::NotShown)
            }
        })();
        match result {
            Ok(false) => log(
                Level::Info,
                format!("repair: {step}: {} already holds", action.change),
            ),
            Ok(true) => {
                log(
                    Level::Info,
                    format!("repair: {step}: {} ({})", action.change, action.why),
                );
                made.push(action);
            }
            Err(error) => {
                log(
                    Level::Error,
                    format!("repair: {step}: {} failed: {error}", action.change),
                );
                let left = undo(&made, kernel, log);
                return if left.is_empty() {
                    Outcome::RolledBack {
                        failed: step,
                        error,
                    }
                } else {
                    Outcome::Stuck {
                        failed: step,
                        error,
                        left,
                    }
                };
            }
        }
    }
    Outcome::Done {
        made: made.into_iter().cloned().collect(),
    }
}

/// Undo actions made by [`run`], in reverse order (`--confirm` ran out); what could not be
/// undone, described.
pub fn roll_back(
    made: &[Action],
    kernel: &mut dyn Kernel,
    log: &mut dyn FnMut(Level, String),
) -> Vec<String> {
    let made: Vec<&Action> = made.iter().collect();
    undo(&made, kernel, log)
}

/// Undo `made` in reverse order; what could not be undone, described.
fn undo(
    made: &[&Action],
    kernel: &mut dyn Kernel,
    log: &mut dyn FnMut(Level, String),
) -> Vec<String> {
    let mut left = Vec::new();
    for action in made.iter().rev() {
        let result = (|| {
            kernel.make(&action.undo)?;
            let live = kernel.read()?;
            if action.undo.holds(&live) {
                Ok(())
            } else {
                Err(StepError::NotShown)
            }
        })();
        match result {
            Ok(()) => log(
                Level::Warning,
                format!("repair: rolled back: {}", action.undo),
            ),
            Err(error) => {
                log(
                    Level::Error,
                    format!("repair: rolling back failed: {}: {error}", action.undo),
                );
                left.push(format!("{} (not undone: {error})", action.change));
            }
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::Link;

    /// A kernel of a few links whose changes are applied to a live state in memory; changes
    /// to a link named `refuses` fail.
    struct Fake {
        state: LiveState,
        made: Vec<String>,
    }

    fn link(name: &str, mtu: u32) -> Link {
        Link {
            name: name.to_string(),
            index: 0,
            kind: "dummy".to_string(),
            admin_up: true,
            oper_state: "UP".to_string(),
            carrier: Some(true),
            mtu: Some(mtu),
            min_mtu: None,
            max_mtu: None,
            master: None,
            mac: None,
            speed_mbps: None,
            duplex: None,
            bond: None,
            bond_slave: None,
            vlan: None,
            bridge_ports: Vec::new(),
        }
    }

    impl Kernel for Fake {
        fn read(&mut self) -> Result<LiveState, LiveError> {
            Ok(self.state.clone())
        }

        fn make(&mut self, change: &Change) -> Result<(), LiveError> {
            let refused = |why: &str| Err(LiveError::Netlink(why.to_string()));
            if change.link() == "refuses" {
                return refused("EPERM");
            }
            self.made.push(change.to_string());
            let link = self
                .state
                .links
                .iter_mut()
                .find(|l| l.name == change.link())
                .ok_or_else(|| LiveError::Netlink("no such link".to_string()))?;
            match change {
                Change::Mtu { mtu, .. } => link.mtu = Some(*mtu),
                Change::Admin { up, .. } => link.admin_up = *up,
                Change::Master { master, .. } => link.master = master.clone(),
                Change::BondOption { .. } => return refused("no bond here"),
            }
            Ok(())
        }
    }

    fn mtu(link: &str, from: u32, to: u32) -> Action {
        Action {
            change: Change::Mtu {
                link: link.to_string(),
                mtu: to,
            },
            undo: Change::Mtu {
                link: link.to_string(),
                mtu: from,
            },
            why: "test".to_string(),
        }
    }

    fn fake() -> Fake {
        Fake {
            state: LiveState {
                links: vec![
                    link("eth0", 1500),
                    link("eth1", 1500),
                    link("refuses", 1500),
                ],
                ..LiveState::default()
            },
            made: Vec::new(),
        }
    }

    #[test]
    fn every_action_is_made_and_read_back() {
        let mut kernel = fake();
        let plan = Plan {
            actions: vec![mtu("eth0", 1500, 9000), mtu("eth1", 1500, 9000)],
            ..Plan::default()
        };
        let mut lines = Vec::new();
        let outcome = run(&plan, &mut kernel, None, &mut |_, l| lines.push(l));
        assert!(
            matches!(&outcome, Outcome::Done { made } if made.len() == 2),
            "{outcome:?}"
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            kernel
                .state
                .links
                .iter()
                .take(2)
                .all(|l| l.mtu == Some(9000))
        );
    }

    #[test]
    fn a_failure_undoes_what_was_made_in_reverse_order() {
        for fail_at in [None, Some(2)] {
            let mut kernel = fake();
            let mut actions = vec![mtu("eth0", 1500, 9000), mtu("eth1", 1500, 9000)];
            if fail_at.is_none() {
                actions.push(mtu("refuses", 1500, 9000));
            }
            let plan = Plan {
                actions,
                ..Plan::default()
            };
            let before = kernel.state.clone();
            let mut lines = Vec::new();
            let outcome = run(&plan, &mut kernel, fail_at, &mut |level, l| {
                lines.push((level, l))
            });
            assert!(matches!(outcome, Outcome::RolledBack { .. }), "{outcome:?}");
            assert_eq!(kernel.state, before, "the state is as it was");
            let undone: Vec<_> = lines.iter().filter(|(l, _)| *l == Level::Warning).collect();
            assert!(!undone.is_empty());
            assert!(undone[0].1.contains("rolled back: set eth"), "{lines:?}");
        }
    }
}
