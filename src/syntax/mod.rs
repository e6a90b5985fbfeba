//! Parsers for every configuration dialect netvet reads.
//!
//! Architecture invariant: parsing never fails and never panics. Each parser takes the whole text
//! of one file and returns a tree of the parts it understood (every part with its [`Span`]) plus
//! a list of [`SyntaxError`]s. The text itself stays in the [`crate::source::SourceMap`], so
//! nothing here needs to keep comments or whitespace: the spans point at them.

pub mod hooks;
pub mod interfaces;
pub mod keywords;
pub mod methods;
pub mod modprobe;
pub mod nginx;
pub mod suppression;
pub mod sysctl;
pub mod systemd;

use compact_str::CompactString;

use crate::source::Span;

/// A piece of text with the span it came from. For text joined across continuation lines the
/// span covers the whole run, and `text` is the joined value.
///
/// The text is a `CompactString`: option names and most values fit in its 24 bytes, so a
/// generated host of 28,000 stanzas keeps half a million fewer heap allocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: CompactString,
    pub span: Span,
}

impl Word {
    pub fn new(text: impl Into<CompactString>, span: Span) -> Self {
        Word {
            text: text.into(),
            span,
        }
    }
}

/// Something the parser could not make sense of. Becomes an NV001 finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub help: Option<String>,
    /// ifupdown2 reads this without complaint (a typeless `iface NAME`): not an error in a file
    /// written for it.
    pub valid_in_ifupdown2: bool,
}

impl SyntaxError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        SyntaxError {
            span,
            message: message.into(),
            help: None,
            valid_in_ifupdown2: false,
        }
    }

    pub fn valid_in_ifupdown2(mut self) -> Self {
        self.valid_in_ifupdown2 = true;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
