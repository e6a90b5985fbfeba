//! modprobe.d(5) files as kmod (libkmod-config.c) reads them.
//!
//! - A line ending in `\` continues on the next line.
//! - Leading white space is skipped; a line starting with `#` is a comment. modprobe.d(5)
//!   documents no end-of-line comments, and kmod has none: `# ...` after a value is part of it.
//! - The first word is the command: `alias`, `options`, `install`, `remove`, `blacklist`,
//!   `softdep`, `weakdep`. kmod logs any other line ("ignoring bad line") and goes on.
//! - Module names treat `-` and `_` alike (kmod normalises them to `_`).
//! - `options MODULE PARAMS`: the parameters are passed to the module as they are, separated by
//!   spaces, a value may be quoted (`name="a b"`); several `options` lines for one module are
//!   all applied, in file order, and the kernel takes the last value of a parameter given twice.

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
    /// The whole `name=value` token.
    pub span: Span,
}

/// `-` and `_` are the same in module names; kmod stores `_`.
pub fn normalize_module(name: &str) -> String {
    name.replace('-', "_")
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
        let e = if end > start {
            self.offsets[end - 1] + 1
        } else {
            s
        };
        Word::new(&self.text[start..end], Span::new(s, e))
    }
}

fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut current: Option<Line> = None;
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let line = current.get_or_insert_with(|| Line {
            text: String::new(),
            offsets: Vec::new(),
            span: Span::new(start, start),
        });
        let (piece, continued) = match body.strip_suffix('\\') {
            Some(p) => (p, true),
            None => (body, false),
        };
        line.text.push_str(piece);
        line.offsets.extend((0..piece.len()).map(|i| start + i));
        line.span = Span::new(line.span.start as usize, start + body.len());
        // kmod's getline_wrapped drops `\` + newline and joins the lines with nothing between.
        if !continued {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
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
        while i < text.len() && text[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= text.len() {
            break;
        }
        let start = i;
        let mut quoted = false;
        while i < text.len() && (quoted || !text[i].is_ascii_whitespace()) {
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
        out.push(Param { name, value, span });
    }
    out
}

pub fn parse(text: &str) -> ModprobeFile {
    let mut file = ModprobeFile::default();
    for line in lines(text) {
        let trimmed = line.text.trim_start_matches(is_space);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ws = words(&line.text);
        let (cs, ce) = ws[0];
        let command = &line.text[cs..ce];
        let arg = |i: usize| ws.get(i).map(|&(s, e)| line.word(s, e));
        let rest_from = |i: usize| {
            ws.get(i)
                .map(|&(s, _)| line.word(s, line.text.trim_end().len()))
        };
        let needs = |n: usize, usage: &str, errors: &mut Vec<SyntaxError>| {
            if ws.len() < n + 1 {
                errors.push(
                    SyntaxError::new(line.span, format!("`{command}` needs {usage}"))
                        .with_help("kmod ignores this line (\"ignoring bad line\")"),
                );
                false
            } else {
                true
            }
        };
        let parsed = match command {
            // kmod rejects `options MODULE` with nothing after it as a bad line.
            "options" if needs(2, "a module name and parameters", &mut file.errors) => {
                Some(Command::Options {
                    module: arg(1).expect("checked"),
                    params: params(&line, ws[1].1),
                })
            }
            "alias" if needs(2, "a pattern and a module name", &mut file.errors) => {
                Some(Command::Alias {
                    pattern: arg(1).expect("checked"),
                    module: arg(2).expect("checked"),
                })
            }
            "install" if needs(2, "a module name and a command", &mut file.errors) => {
                Some(Command::Install {
                    module: arg(1).expect("checked"),
                    command: rest_from(2).expect("checked"),
                })
            }
            "remove" if needs(2, "a module name and a command", &mut file.errors) => {
                Some(Command::Remove {
                    module: arg(1).expect("checked"),
                    command: rest_from(2).expect("checked"),
                })
            }
            "blacklist" if needs(1, "a module name", &mut file.errors) => {
                Some(Command::Blacklist {
                    module: arg(1).expect("checked"),
                })
            }
            "softdep" if needs(1, "a module name", &mut file.errors) => {
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
                Some(Command::Softdep {
                    module: arg(1).expect("checked"),
                    pre,
                    post,
                })
            }
            "weakdep" if needs(1, "a module name", &mut file.errors) => Some(Command::Weakdep {
                module: arg(1).expect("checked"),
                modules: (2..ws.len()).filter_map(arg).collect(),
            }),
            "options" | "alias" | "install" | "remove" | "blacklist" | "softdep" | "weakdep" => {
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
        ] {
            let _ = parse(text);
        }
    }
}
