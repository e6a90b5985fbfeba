//! The finding type every rule produces, and one renderer per output format.

mod github;
mod human;
mod json;
mod junit;
pub mod registry;
mod sarif;

pub use github::render_github;
pub use human::{ErrorPlace, render_error, render_human};
pub use json::{JSON_SCHEMA_VERSION, RunView, finding_values, render_json, render_json_lines};
pub use junit::render_junit;
pub use sarif::render_sarif;

use serde::Serialize;

pub use registry::Severity;

use crate::source::{FileId, Location, Span};

/// Characters a terminal acts on rather than shows: control characters other than tab and
/// line feed (an escape sequence in a file or interface name could rewrite the screen) and the
/// bidirectional overrides that make text read differently from what it is.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The bytes that may start an [`is_unsafe`] character, as a table: one load a byte. A second
/// statement of the same set, so a test holds it to `is_unsafe` over every character.
const MAY_START_UNSAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b != b'\t' as usize && b != b'\n' as usize;
        b += 1;
    }
    table[0x7f] = true;
    table[0xc2] = true;
    table[0xe2] = true;
    table
};

/// `text` with every unsafe character replaced by `replace(c)`.
///
/// Every renderer passes all it prints through here, so it looks at bytes, not characters:
/// each unsafe character's UTF-8 form starts with a C0 control byte, DEL, `0xC2` (the C1
/// controls, U+0080 to U+009F) or `0xE2` (the bidirectional overrides, U+202A to U+2069), and
/// only the characters starting with one of those are decoded. Nothing is allocated unless
/// something is replaced.
pub(crate) fn replace_unsafe(text: &str, replace: fn(char) -> String) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    // `text[..copied]` is in `out`; the scan goes on from `at`.
    let (mut copied, mut at) = (0, 0);
    while let Some(found) = bytes[at..]
        .iter()
        .position(|&b| MAY_START_UNSAFE[usize::from(b)])
    {
        // No byte of the table continues a character: `i` starts one.
        let i = at + found;
        let c = text[i..].chars().next().expect("a character starts here");
        at = i + c.len_utf8();
        if is_unsafe(c) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            out.push_str(&text[copied..i]);
            out.push_str(&replace(c));
            copied = at;
        }
    }
    match out {
        None => text.into(),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            out.into()
        }
    }
}

/// Text that did not come from netvet itself (paths, names, values, messages quoting them),
/// for a terminal: every unsafe character shown as its `\u{..}` escape. Every renderer and
/// table prints through this.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    replace_unsafe(text, |c| c.escape_unicode().to_string())
}

/// Pretty-printed JSON with every unsafe character escaped as `\uXXXX`. serde_json escapes
/// only C0 controls, and a C1 control (U+009B is a CSI on some terminals) or a bidirectional
/// override from a file name would otherwise reach a terminal that shows the JSON. Outside
/// strings JSON is ASCII, so the escape only ever lands inside a string, where it means the
/// same character.
pub fn to_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string_pretty(value).expect("plain data");
    replace_unsafe(&text, |c| format!("\\u{:04x}", c as u32)).into_owned() + "\n"
}

/// How safe it is to apply a fix without a human looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown to the user, never applied automatically.
    DisplayOnly,
    /// Changes behaviour in a way the user must accept (`netvet fix --unsafe`).
    Unsafe,
    /// Keeps the meaning the user intended; applied by `netvet fix`.
    Safe,
}

/// Replace the bytes at `location` with `replacement`. Insertions have an empty span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub location: Location,
    pub replacement: String,
}

impl Edit {
    pub fn replace(location: Location, replacement: impl Into<String>) -> Self {
        Edit {
            location,
            replacement: replacement.into(),
        }
    }

    pub fn insert_at(location: Location, offset: u32, text: impl Into<String>) -> Self {
        Edit {
            location: Location {
                file: location.file,
                span: Span {
                    start: offset,
                    end: offset,
                },
            },
            replacement: text.into(),
        }
    }
}

/// A file a fix adds where the change is host-wide (a modprobe.d or sysctl.d drop-in).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct NewFile {
    /// The host path (`/etc/modprobe.d/bonding.conf`); `netvet fix` refuses to create a file
    /// that exists.
    pub path: String,
    pub text: String,
}

/// A proposed change to the configuration: what it does, the edits that do it and the files it
/// adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    pub creates: Vec<NewFile>,
}

/// A secondary place that explains the finding ("slave MTU set here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// Why a finding was silenced by an inline `# netvet: ignore` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub location: Location,
    pub reason: Option<String>,
}

/// The socket a listener finding is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerRef {
    pub port: u16,
    pub address: String,
    pub program: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` for findings about the host as a whole, or about a file
    /// with no line to point at (`file`).
    pub location: Option<Location>,
    /// The file a finding is about when no line of it is the place: a program's default that
    /// nothing in the file writes. Only when `location` is `None`.
    pub file: Option<FileId>,
    /// The interface the finding is about, if any.
    pub interface: Option<String>,
    pub labels: Vec<Label>,
    /// What to do about it, one sentence each.
    pub help: Vec<String>,
    /// Background: defaults applied, kernel behaviour.
    pub notes: Vec<String>,
    pub fix: Option<Fix>,
    pub suppressed: Option<Suppression>,
    pub listener: Option<ListenerRef>,
}

impl Diagnostic {
    /// A finding with the rule's default severity.
    pub fn new(rule: &'static registry::RuleMeta, message: impl Into<String>) -> Self {
        Diagnostic {
            code: rule.code,
            severity: rule.severity,
            message: message.into(),
            location: None,
            file: None,
            interface: None,
            labels: Vec::new(),
            help: Vec::new(),
            notes: Vec::new(),
            fix: None,
            suppressed: None,
            listener: None,
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// About `file` as a whole: rendered as `--> FILE` without a line.
    pub fn in_file(mut self, file: FileId) -> Self {
        self.location = None;
        self.file = Some(file);
        self
    }

    pub fn at_opt(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn iface(mut self, name: impl AsRef<str>) -> Self {
        self.interface = Some(name.as_ref().to_string());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn label(mut self, location: Option<Location>, message: impl Into<String>) -> Self {
        if let Some(location) = location {
            self.labels.push(Label {
                location,
                message: message.into(),
            });
        }
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help.push(text.into());
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub fn listener(mut self, port: u16, address: &str, program: &str) -> Self {
        self.listener = Some(ListenerRef {
            port,
            address: address.to_string(),
            program: program.to_string(),
        });
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// [`Diagnostic::fix`] where there is one: a rule offers a fix only where it can edit the
    /// place exactly (not a template other stanzas read, not a module parameter).
    pub fn fix_opt(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix.or(self.fix);
        self
    }
}

#[cfg(test)]
mod tests {
    /// serde_json leaves C1 controls and bidirectional overrides raw; the JSON netvet prints
    /// escapes them and still reads back as the same text.
    #[test]
    fn json_escapes_c1_controls_and_overrides() {
        let name = "csi\u{9b}31m \u{202e}x \u{1b}[2J é";
        let text = super::to_json(&name);
        assert!(!text.chars().any(super::is_unsafe), "{text:?}");
        assert_eq!(text, "\"csi\\u009b31m \\u202ex \\u001b[2J é\"\n");
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, name);
    }

    /// The byte table is a second statement of `is_unsafe`: every unsafe character, over all
    /// of Unicode, starts with a byte the table marks, and no byte marked continues a character.
    #[test]
    fn the_byte_table_covers_every_unsafe_character() {
        let mut unsafe_count = 0;
        for c in (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|&c| super::is_unsafe(c))
        {
            unsafe_count += 1;
            let mut buf = [0; 4];
            let first = c.encode_utf8(&mut buf).as_bytes()[0];
            assert!(super::MAY_START_UNSAFE[usize::from(first)], "{c:?}");
        }
        assert!(unsafe_count > 0);
        for b in 0x80_usize..0xc0 {
            assert!(!super::MAY_START_UNSAFE[b], "continuation byte {b:#x}");
        }
    }

    /// The byte scan that skips decoding: text whose bytes only look like the start of an
    /// unsafe character (U+00A0 starts with 0xC2, U+2713 with 0xE2) is borrowed as it is, and
    /// what comes before the first unsafe character is kept.
    #[test]
    fn escapes_every_unsafe_character_and_only_those() {
        use std::borrow::Cow;
        for safe in [
            "",
            "plain\ttab\n",
            "nbsp\u{a0} check\u{2713} é",
            "\u{2065}\u{206a}\u{2029}",
        ] {
            assert!(
                matches!(super::escape(safe), Cow::Borrowed(s) if s == safe),
                "{safe:?}"
            );
        }
        let unsafe_chars = [
            '\0', '\r', '\u{1b}', '\u{7f}', '\u{80}', '\u{9f}', '\u{202a}', '\u{202e}', '\u{2066}',
            '\u{2069}',
        ];
        assert!(!unsafe_chars.is_empty());
        for c in unsafe_chars {
            let text = format!("é\u{a0}{c}x{c}");
            let escaped = super::escape(&text);
            let e = c.escape_unicode().to_string();
            assert_eq!(escaped, format!("é\u{a0}{e}x{e}"), "{c:?}");
        }
        // Against the definition, character by character, on mixtures.
        let by_char = |t: &str| -> String {
            t.chars()
                .map(|c| match super::is_unsafe(c) {
                    true => c.escape_unicode().to_string(),
                    false => c.to_string(),
                })
                .collect()
        };
        let mixed: String = unsafe_chars
            .iter()
            .flat_map(|&c| [c, 'é', '\u{2713}', '\u{a0}', 'a'])
            .collect();
        for t in [
            mixed.as_str(),
            &mixed[1..],
            "\u{2713}\u{202e}\u{2713}\r\n\u{85}",
        ] {
            assert_eq!(super::escape(t), by_char(t), "{t:?}");
        }
    }
}
