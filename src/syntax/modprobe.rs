//! modprobe.d(5) files as kmod 30 (Debian 12, libkmod-config.c) reads them. Each rule below was
//! checked against the real `modprobe -C DIR --showconfig`.
//!
//! - Lines end at `\n` only. With CRLF endings the `\r` stays on the line: it ends up in the
//!   last word (`blacklist foo\r`, `alias a b\r`) and at the end of an `options` line, where the
//!   kernel then reads it as white space between parameters.
//! - A `\` escapes the next byte (kmod's `freadline_wrapped`): `\` + newline joins the next line
//!   with nothing between, `\` + any other byte keeps that byte and drops the `\` (`a\b` is `ab`,
//!   `\\` is `\`, and `\` + CRLF is a `\r` that does not join). A `\` at the very end of the file
//!   becomes a 0xFF byte (kept here as U+FFFD).
//! - Lines are joined first, then classified: an empty line, or one whose first byte is `#`, is
//!   skipped, so a comment ending in `\` also swallows the next line. Only a `#` in the first
//!   column starts a comment: an indented `#` is read as a command and rejected ("ignoring bad
//!   line starting with '#'"). modprobe.d(5) documents no end-of-line comments, and kmod has
//!   none: `# ...` after a value is part of it.
//! - Words are separated by spaces and tabs (only); a line of nothing but those is skipped.
//! - The first word is the command: `alias`, `options`, `install`, `remove`, `blacklist`,
//!   `softdep` (and `weakdep`, which only kmod 33 and later know; kmod 30 rejects it as a bad
//!   line). kmod logs any other line ("ignoring bad line") and goes on.
//! - `alias PATTERN MODULE` and `blacklist MODULE` take words; more words after them are ignored.
//!   `options`, `install`, `remove` and `softdep` take a module name and then the rest of the
//!   line after the one space or tab that ends the name: the line is bad when that rest is empty,
//!   so `options bonding` and `options bonding ` are rejected, but `options bonding  ` (two
//!   blanks) is accepted with no parameters.
//! - Module names treat `-` and `_` alike (kmod normalises them to `_`).
//! - `options MODULE PARAMS`: the parameters are passed to the module as they are, separated by
//!   white space, a value may be quoted (`name="a b"`); several `options` lines for one module
//!   are all applied, in file order, and the kernel takes the last value of a parameter given
//!   twice.

use nom::Parser;
use nom::bytes::complete::{take_till1, take_while};
use nom::sequence::preceded;

use super::{SyntaxError, Word};
use crate::source::Span;

#[derive(Debug, Default)]
pub struct ModprobeFile {
    pub commands: Vec<Command>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug)]
pub enum Command {
    Options {
        module: Word,
        params: Vec<Param>,
    },
    Alias {
        pattern: Word,
        module: Word,
    },
    Install {
        module: Word,
        command: Word,
    },
    Remove {
        module: Word,
        command: Word,
    },
    Blacklist {
        module: Word,
    },
    Softdep {
        module: Word,
        pre: Vec<Word>,
        post: Vec<Word>,
    },
    Weakdep {
        module: Word,
        modules: Vec<Word>,
    },
}

#[derive(Debug)]
pub struct Param {
    pub name: Word,
    /// `None` for a bare flag (`options foo debug`).
    pub value: Option<Word>,
    /// The whole `name=value` token, as the module receives it (after kmod joined and unescaped
    /// the line, so it may differ from the file's bytes at `span`).
    pub text: String,
    /// The whole `name=value` token.
    pub span: Span,
}

/// `-` and `_` are the same in module names; kmod stores `_`.
pub fn normalize_module(name: &str) -> String {
    name.replace('-', "_")
}

/// A list of modules to load at boot: `/etc/modules`, a modules-load.d file or the initramfs's
/// `/etc/initramfs-tools/modules`. One module per line, `#` and `;` start comments; words
/// after the name (parameters, which only the initramfs honours) are kept out of `modules`.
#[derive(Debug, Default)]
pub struct ModuleList {
    pub modules: Vec<Word>,
}

pub fn parse_module_list(text: &str) -> ModuleList {
    let mut modules = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        if trimmed.starts_with(['#', ';']) {
            continue;
        }
        let lead = line.len() - trimmed.len();
        let Some(name) = trimmed.split_whitespace().next() else {
            continue;
        };
        let at = start + lead;
        modules.push(Word::new(name, Span::new(at, at + name.len())));
    }
    ModuleList { modules }
}

/// One logical line: its text and where each byte of it is in the file.
struct Line {
    text: String,
    /// File offset of each byte of `text`.
    offsets: Vec<usize>,
    span: Span,
}

impl Line {
    fn word(&self, start: usize, end: usize) -> Word {
        let s = self
            .offsets
            .get(start)
            .copied()
            .unwrap_or(self.span.end as usize);
        let e = match end.checked_sub(1).and_then(|last| self.offsets.get(last)) {
            Some(&last) if end > start => last + 1,
            _ => s,
        };
        let text = self.text.get(start..end).unwrap_or_default();
        Word::new(text, Span::new(s, e.max(s)))
    }
}

/// The logical lines of a file, as kmod's `freadline_wrapped` reads them: a line ends at `\n`,
/// and `\` escapes the byte after it (a newline, which joins the lines, or any other byte, which
/// is kept without the `\`).
fn lines(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut offsets = Vec::new();
    let mut start = 0;
    let mut finish = |buf: &mut Vec<u8>, offsets: &mut Vec<usize>, start: usize, end: usize| {
        // Only ASCII `\` and `\n` are ever dropped, and they are never part of a multi-byte
        // character, so `buf` is still UTF-8; the fallback only guards the invariant.
        let text = String::from_utf8(std::mem::take(buf)).unwrap_or_default();
        let mut offsets = std::mem::take(offsets);
        offsets.truncate(text.len());
        // The span ends before the newline, and before a CRLF's `\r` (which stays in `text`).
        let end = if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        out.push(Line {
            text,
            offsets,
            span: Span::new(start, end),
        });
    };
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'\n', _) => {
                finish(&mut buf, &mut offsets, start, i);
                i += 1;
                start = i;
            }
            (b'\\', Some(b'\n')) => i += 2,
            (b'\\', Some(&next)) => {
                buf.push(next);
                offsets.push(i + 1);
                i += 2;
            }
            (b'\\', None) => {
                // kmod stores the EOF it read after the `\` as a 0xFF byte.
                buf.extend_from_slice("\u{FFFD}".as_bytes());
                offsets.extend([i; 3]);
                i += 1;
            }
            (byte, _) => {
                buf.push(byte);
                offsets.push(i);
                i += 1;
            }
        }
    }
    // At the end of the file kmod returns a last line only if it holds something.
    if !buf.is_empty() {
        finish(&mut buf, &mut offsets, start, bytes.len());
    }
    out
}

/// What separates words: `strtok_r(..., "\t ")`.
fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// C's `isspace`, which the kernel uses to split module parameters.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Words separated by spaces or tabs, with their byte ranges.
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut rest = text;
    let word = take_till1::<_, _, nom::error::Error<&str>>(is_space);
    let mut parser = preceded(take_while(is_space), word);
    while let Ok((after, w)) = parser.parse(rest) {
        let end = text.len() - after.len();
        out.push((end - w.len(), end));
        rest = after;
    }
    out
}

/// Module parameters as the kernel splits them (`next_arg` in kernel/params.c): white space
/// separates parameters, double quotes group, `=` separates name and value.
fn params(line: &Line, from: usize) -> Vec<Param> {
    let text = line.text.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    while i < text.len() {
        while i < text.len() && is_c_space(text[i]) {
            i += 1;
        }
        if i >= text.len() {
            break;
        }
        let start = i;
        let mut quoted = false;
        while i < text.len() && (quoted || !is_c_space(text[i])) {
            if text[i] == b'"' {
                quoted = !quoted;
            }
            i += 1;
        }
        let token = &line.text[start..i];
        let (name, value) = match token.find('=') {
            Some(eq) => {
                let name = line.word(start, start + eq);
                let mut vstart = start + eq + 1;
                let mut vend = i;
                if line.text[vstart..vend].starts_with('"') && vend > vstart {
                    vstart += 1;
                    if line.text[vstart..vend].ends_with('"') {
                        vend -= 1;
                    }
                }
                (name, Some(line.word(vstart, vend.max(vstart))))
            }
            None => (line.word(start, i), None),
        };
        let span = line.word(start, i).span;
        out.push(Param {
            name,
            value,
            text: token.to_string(),
            span,
        });
    }
    out
}

pub fn parse(text: &str) -> ModprobeFile {
    let mut file = ModprobeFile::default();
    for line in lines(text) {
        // kmod skips an empty line and one whose first byte (not first non-blank) is `#`.
        if line.text.starts_with('#') {
            continue;
        }
        let ws = words(&line.text);
        let Some(&(cs, ce)) = ws.first() else {
            continue;
        };
        let command = &line.text[cs..ce];
        let arg = |i: usize| ws.get(i).map(|&(s, e)| line.word(s, e));
        // What kmod's `strtok_r(NULL, "\0", ...)` gives after word `i`: the rest of the line
        // after the one space or tab that ends the word, or nothing when that rest is empty.
        let rest = |i: usize| {
            ws.get(i)
                .map(|&(_, e)| e + 1)
                .filter(|&from| from < line.text.len())
        };
        // The rest of the line as one word, without its leading and trailing blanks.
        let rest_word = |from: usize| {
            let tail = &line.text[from..];
            let s = from + (tail.len() - tail.trim_start_matches(is_space).len());
            let e = from + tail.trim_end_matches(is_space).len();
            line.word(s, e.max(s))
        };
        let bad = |usage: &str, errors: &mut Vec<SyntaxError>| {
            errors.push(
                SyntaxError::new(line.span, format!("`{command}` needs {usage}"))
                    .with_help("kmod ignores this line (\"ignoring bad line\")"),
            );
        };
        let parsed = match command {
            // kmod rejects `options MODULE` with nothing after the blank that ends MODULE.
            "options" => match (arg(1), rest(1)) {
                (Some(module), Some(from)) => Some(Command::Options {
                    module,
                    params: params(&line, from),
                }),
                _ => {
                    bad("a module name and parameters", &mut file.errors);
                    None
                }
            },
            "alias" => match (arg(1), arg(2)) {
                (Some(pattern), Some(module)) => Some(Command::Alias { pattern, module }),
                _ => {
                    bad("a pattern and a module name", &mut file.errors);
                    None
                }
            },
            "install" | "remove" => match (arg(1), rest(1)) {
                (Some(module), Some(from)) => {
                    let run = rest_word(from);
                    Some(if command == "install" {
                        Command::Install {
                            module,
                            command: run,
                        }
                    } else {
                        Command::Remove {
                            module,
                            command: run,
                        }
                    })
                }
                _ => {
                    bad("a module name and a command", &mut file.errors);
                    None
                }
            },
            "blacklist" => match arg(1) {
                Some(module) => Some(Command::Blacklist { module }),
                None => {
                    bad("a module name", &mut file.errors);
                    None
                }
            },
            "softdep" => match (arg(1), rest(1)) {
                (Some(module), Some(_)) => {
                    let mut pre = Vec::new();
                    let mut post = Vec::new();
                    let mut into_post = None;
                    for i in 2..ws.len() {
                        let w = arg(i).expect("in range");
                        match w.text.as_str() {
                            "pre:" => into_post = Some(false),
                            "post:" => into_post = Some(true),
                            _ => match into_post {
                                Some(true) => post.push(w),
                                Some(false) => pre.push(w),
                                None => file.errors.push(
                                    SyntaxError::new(
                                        w.span,
                                        "`softdep` modules must follow `pre:` or `post:`",
                                    )
                                    .with_help("write `softdep MODULE pre: A B post: C`"),
                                ),
                            },
                        }
                    }
                    Some(Command::Softdep { module, pre, post })
                }
                _ => {
                    bad("a module name and its dependencies", &mut file.errors);
                    None
                }
            },
            "weakdep" => match arg(1) {
                Some(module) => Some(Command::Weakdep {
                    module,
                    modules: (2..ws.len()).filter_map(arg).collect(),
                }),
                None => {
                    bad("a module name", &mut file.errors);
                    None
                }
            },
            other if other.starts_with('#') => {
                file.errors.push(
                    SyntaxError::new(line.word(cs, ce).span, "a comment must start in the first column")
                        .with_help("kmod reads an indented `#` as a command and ignores the line (\"ignoring bad line starting with '#'\"); remove the white space before `#`"),
                );
                None
            }
            other => {
                file.errors.push(
                    SyntaxError::new(line.word(cs, ce).span, format!("unknown modprobe.d command `{other}`"))
                        .with_help("kmod ignores the line (\"ignoring bad line\"); commands are alias, options, install, remove, blacklist, softdep and weakdep, and comments start with `#`"),
                );
                None
            }
        };
        file.commands.extend(parsed);
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_with_quotes_and_continuation() {
        let text = "  options bonding mode=4 \\\n\t miimon=100 name=\"a b\" debug\n";
        let f = parse(text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let Command::Options { module, params } = &f.commands[0] else {
            panic!("{:?}", f.commands)
        };
        assert_eq!(module.text, "bonding");
        let got: Vec<(&str, Option<&str>)> = params
            .iter()
            .map(|p| {
                (
                    p.name.text.as_str(),
                    p.value.as_ref().map(|v| v.text.as_str()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("mode", Some("4")),
                ("miimon", Some("100")),
                ("name", Some("a b")),
                ("debug", None)
            ]
        );
        assert_eq!(&text[params[1].span.range()], "miimon=100");
        assert_eq!(&text[params[1].value.as_ref().unwrap().span.range()], "100");
    }

    #[test]
    fn every_command_and_junk() {
        let f = parse(
            "alias bond0 bonding\ninstall ipv6 /bin/true\nremove x /bin/false\nblacklist pcspkr\nsoftdep a pre: b post: c d\n------\n# comment\n\noptions\n",
        );
        assert_eq!(f.commands.len(), 5);
        assert_eq!(f.errors.len(), 2);
        assert!(
            f.errors[0]
                .message
                .contains("unknown modprobe.d command `------`")
        );
        assert!(
            f.errors[1]
                .message
                .contains("needs a module name and parameters")
        );
        let Command::Softdep { pre, post, .. } = &f.commands[4] else {
            panic!()
        };
        assert_eq!(pre.len(), 1);
        assert_eq!(post.len(), 2);
        let Command::Install { command, .. } = &f.commands[1] else {
            panic!()
        };
        assert_eq!(command.text, "/bin/true");
    }

    fn options(f: &ModprobeFile) -> Vec<(String, Vec<String>)> {
        f.commands
            .iter()
            .filter_map(|c| match c {
                Command::Options { module, params } => Some((
                    module.text.to_string(),
                    params.iter().map(|p| p.text.to_string()).collect(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn only_a_hash_in_the_first_column_is_a_comment() {
        let text = "# comment\n   # indented\n\t# tab\noptions bonding miimon=1\n";
        let f = parse(text);
        assert_eq!(f.errors.len(), 2, "{:?}", f.errors);
        assert!(f.errors[0].message.contains("first column"));
        assert_eq!(&text[f.errors[0].span.range()], "#");
        assert_eq!(options(&f), [("bonding".into(), vec!["miimon=1".into()])]);
    }

    #[test]
    fn a_comment_ending_in_a_backslash_swallows_the_next_line() {
        let f = parse("# comment \\\noptions bonding miimon=2\noptions dummy numdummies=3\n");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(options(&f), [("dummy".into(), vec!["numdummies=3".into()])]);
    }

    #[test]
    fn crlf_keeps_the_carriage_return() {
        let text = "options bonding miimon=100\r\nblacklist foo\r\nalias bond0 bonding\r\noptions dummy\r\n";
        let f = parse(text);
        // `options dummy\r`: the module name is `dummy\r` and nothing follows it.
        assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
        assert_eq!(&text[f.errors[0].span.range()], "options dummy");
        let Command::Options { params, .. } = &f.commands[0] else {
            panic!()
        };
        // The kernel splits parameters at `\r` as at any white space.
        assert_eq!(params[0].value.as_ref().unwrap().text, "100");
        assert_eq!(&text[params[0].span.range()], "miimon=100");
        let Command::Blacklist { module } = &f.commands[1] else {
            panic!()
        };
        assert_eq!(module.text, "foo\r");
        assert_eq!(&text[module.span.range()], "foo\r");
        let Command::Alias { module, .. } = &f.commands[2] else {
            panic!()
        };
        assert_eq!(module.text, "bonding\r");
    }

    #[test]
    fn backslash_escapes_the_next_byte() {
        let text = "options bonding a=1\\\r\nb=2\r\noptions dummy name=a\\b c=\\\\d e=\\";
        let f = parse(text);
        // `\` + CRLF does not join: `b=2` is a line of its own, and a bad one.
        assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
        assert!(
            f.errors[0]
                .message
                .contains("unknown modprobe.d command `b=2\r`")
        );
        assert_eq!(
            options(&f),
            [
                ("bonding".into(), vec!["a=1".into()]),
                (
                    "dummy".into(),
                    vec!["name=ab".into(), "c=\\d".into(), "e=\u{FFFD}".into()]
                )
            ]
        );
        let Command::Options { params, .. } = &f.commands[1] else {
            panic!()
        };
        assert_eq!(&text[params[0].span.range()], "name=a\\b");
        assert_eq!(&text[params[2].value.as_ref().unwrap().span.range()], "\\");
    }

    #[test]
    fn the_rest_after_a_module_name_may_be_blank_but_not_empty() {
        let f = parse(
            "options bonding  \noptions dummy\t\t\noptions a \noptions b\ninstall c  \nremove d \nsoftdep e\nsoftdep f  \n",
        );
        let bad: Vec<&str> = f.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            bad,
            [
                "`options` needs a module name and parameters",
                "`options` needs a module name and parameters",
                "`remove` needs a module name and a command",
                "`softdep` needs a module name and its dependencies",
            ]
        );
        assert_eq!(
            options(&f),
            [("bonding".into(), vec![]), ("dummy".into(), vec![])]
        );
        assert_eq!(f.commands.len(), 4);
    }

    #[test]
    fn never_panics() {
        for text in [
            "\\",
            "options \\",
            "options b \"",
            "softdep",
            "\u{0}",
            "options b =",
            "options b x=\"",
            "a\\",
            "options b \\",
            "\\\n\\\n",
            "options b é\\é x=\\",
            "\r\n\r",
            "  #",
        ] {
            let _ = parse(text);
        }
    }
}
