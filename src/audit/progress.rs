//! The progress bar `netvet audit` draws on standard error when it is a terminal: hosts done of
//! all, and how many failed and how many were unreachable so far.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{HostResult, Status};

pub struct Progress {
    bar: Option<ProgressBar>,
    failing: usize,
    unreachable: usize,
}

impl Progress {
    /// A bar for `total` hosts, drawn only when standard error is a terminal.
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} hosts  {msg}  {elapsed}")
                    .expect("a valid template"),
            );
            bar
        });
        Progress {
            bar,
            failing: 0,
            unreachable: 0,
        }
    }

    /// One more host done.
    pub fn done(&mut self, result: &HostResult) {
        match result.status {
            Status::Ok => {}
            Status::Unreachable | Status::Timeout => self.unreachable += 1,
            _ => self.failing += 1,
        }
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} unreachable, {} failing",
                self.unreachable, self.failing
            ));
            bar.inc(1);
        }
    }

    /// Take the bar off the screen before the report is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
