//! `/etc/network/interfaces` exactly as Debian's ifupdown 0.8 reads it (interfaces(5), and
//! `config.c` where the man page is silent or wrong).
//!
//! What ifupdown does, and so what this parser does:
//! - A physical line has its leading white space removed; if it then starts with `#` it is a
//!   comment. `#` anywhere else is literal text (end-of-line comments end up in the value).
//! - A line ending in `\` (tested before trailing white space is trimmed, so `\ ` and `\` + CR do
//!   not continue) is joined with the next physical line, which is taken as is: its leading white
//!   space is kept and a `#` there is not a comment.
//! - Trailing white space is trimmed, then the line is split into words at white space.
//! - `iface`, `mapping`, `auto`, `allow-CLASS`, `source`, `source-dir*` (a prefix match, so
//!   `source-directory` and `source-dir` both work), `no-auto-down`, `no-scripts` and `rename` are
//!   keywords. `auto`, `allow-*`, `no-auto-down` and `no-scripts` with no argument inside an
//!   `iface` stanza apply to that stanza and keep it open; inside a `mapping` they end it; with
//!   arguments, and every other keyword, they end any stanza.
//! - Any other first word is an option of the open `iface` stanza, or `script`/`map` of an open
//!   `mapping`; elsewhere ifupdown stops with "misplaced option".
//! - Words are read into 80-byte buffers: ifupdown keeps the first 79 bytes of a longer keyword,
//!   option name, interface name or `auto` name, and does not terminate the copy, so stale bytes
//!   may follow. Option values and `source` paths are the rest of the line and are not cut.
//!   netvet keeps the whole word and warns.
//!
//! ifupdown stops reading a file at its first fatal error. In the main interfaces file that
//! rejects the whole configuration ("couldn't read interfaces file"); in a file read through
//! `source` or `source-directory` it only ends that file: the lines after the error are ignored
//! and ifupdown goes on with the including file. This parser records where ifupdown stops
//! ([`InterfacesFile::stop`]) and goes on, so that one run shows every problem; the loader
//! decides what the stop means ([`InterfacesFile::cut_at_stop`] for included files). Errors that
//! are not at the stop are either later fatal errors or warnings ifupdown only prints.
//! `inherits` naming a stanza not read before is fatal too ("unknown iface to inherit from"),
//! but depends on the files read earlier, so the loader checks it.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{take_till1, take_while};
use nom::sequence::preceded;

use super::{SyntaxError, Word, methods};
use crate::source::Span;

#[derive(Debug, Default)]
pub struct InterfacesFile {
    pub items: Vec<Item>,
    pub errors: Vec<SyntaxError>,
    /// `# netvet: ignore ...` comments, with the range of text each one covers.
    pub suppressions: Vec<SuppressionComment>,
    /// The first error that makes ifupdown stop reading the file, if any.
    pub stop: Option<Stop>,
    /// Items after the stop of a file read through `source`: ifupdown never reads them, so the
    /// model does not see them. Empty until [`InterfacesFile::cut_at_stop`].
    pub unread: Vec<Item>,
}

/// Where and why ifupdown stops reading a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    /// Index of the error in [`InterfacesFile::errors`].
    pub error: usize,
    /// Byte offset of the logical line ifupdown stops at: nothing from here on is read.
    pub at: usize,
    /// ifupdown's own message.
    pub reason: &'static str,
}

impl InterfacesFile {
    /// Record an error ifupdown only warns about.
    pub fn warn(&mut self, err: SyntaxError) {
        self.insert_error(err);
    }

    /// Record an error that stops ifupdown at the logical line starting at `at`. The earliest
    /// such error is the stop.
    pub fn fatal(&mut self, at: usize, reason: &'static str, err: SyntaxError) {
        let index = self.insert_error(err);
        match &mut self.stop {
            Some(stop) if stop.at <= at => {}
            stop => {
                *stop = Some(Stop {
                    error: index,
                    at,
                    reason,
                })
            }
        }
    }

    /// Keep `errors` in file order (the loader adds some after parsing); returns the index.
    fn insert_error(&mut self, err: SyntaxError) -> usize {
        let index = self
            .errors
            .partition_point(|e| e.span.start <= err.span.start);
        self.errors.insert(index, err);
        if let Some(stop) = &mut self.stop {
            if stop.error >= index {
                stop.error += 1;
            }
        }
        index
    }

    /// What ifupdown keeps of a file read through `source` that has a stop: items from the stop
    /// on move to [`InterfacesFile::unread`], and a stanza open at the stop keeps only the lines
    /// before it. Errors are all kept.
    pub fn cut_at_stop(&mut self) {
        let Some(at) = self.stop.as_ref().map(|s| s.at) else {
            return;
        };
        let at = at as u32;
        let first_unread = self.items.partition_point(|i| i.start() < at);
        self.unread = self.items.split_off(first_unread);
        match self.items.last_mut() {
            Some(Item::Iface(stanza)) => {
                stanza.options.retain(|o| o.span.start < at);
                stanza.flags.retain(|f| f.span.start < at);
                let mut span = stanza.header;
                for o in &stanza.options {
                    span = span.cover(o.span);
                }
                for f in &stanza.flags {
                    span = span.cover(f.span);
                }
                stanza.span = span;
            }
            Some(Item::Mapping(mapping)) => {
                mapping.maps.retain(|m| m.span.start < at);
                if mapping.script.as_ref().is_some_and(|s| s.span.start >= at) {
                    mapping.script = None;
                }
                let mut span = mapping.keyword.span;
                for w in mapping
                    .patterns
                    .iter()
                    .chain(&mapping.maps)
                    .chain(&mapping.script)
                {
                    span = span.cover(w.span);
                }
                mapping.span = span;
            }
            _ => {}
        }
    }
}

#[derive(Debug)]
pub enum Item {
    Iface(Box<Stanza>),
    Mapping(Box<Mapping>),
    /// `auto NAME...` (class `auto`) or `allow-CLASS NAME...`.
    Allow {
        keyword: Word,
        class: String,
        names: Vec<Word>,
    },
    Source {
        keyword: Word,
        kind: SourceKind,
        /// The rest of the line: a path or glob, expanded like wordexp(3) without commands.
        pattern: Word,
    },
    /// `no-auto-down`, `no-scripts` or `rename` with their words.
    Other {
        keyword: Word,
        args: Vec<Word>,
    },
}

impl Item {
    /// Where the item starts in its file.
    pub fn start(&self) -> u32 {
        match self {
            Item::Iface(s) => s.header.start,
            Item::Mapping(m) => m.span.start,
            Item::Allow { keyword, .. }
            | Item::Source { keyword, .. }
            | Item::Other { keyword, .. } => keyword.span.start,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    File,
    Directory,
}

/// `iface NAME FAMILY METHOD [inherits OTHER]` and its options.
#[derive(Debug)]
pub struct Stanza {
    pub keyword: Word,
    pub name: Word,
    pub family: Option<Word>,
    pub method: Option<Word>,
    pub inherits: Option<Word>,
    pub options: Vec<Opt>,
    /// Bare `auto`, `allow-CLASS`, `no-auto-down` or `no-scripts` lines inside the stanza.
    pub flags: Vec<Word>,
    /// The header line.
    pub header: Span,
    /// From the header to the end of the last line that belongs to the stanza.
    pub span: Span,
}

impl Stanza {
    /// Options with this name, in file order. `bond-foo` and `bond_foo` are different options
    /// to ifupdown; callers that accept both spellings ask for each.
    pub fn options_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Opt> + 'a {
        self.options.iter().filter(move |o| o.name.text == name)
    }

    pub fn family_str(&self) -> Option<&str> {
        self.family.as_ref().map(|w| w.text.as_str())
    }

    pub fn method_str(&self) -> Option<&str> {
        self.method.as_ref().map(|w| w.text.as_str())
    }
}

#[derive(Debug)]
pub struct Opt {
    pub name: Word,
    /// Everything after the name, white space inside kept, trimmed at both ends.
    pub value: Word,
    /// The whole logical line.
    pub span: Span,
}

impl Opt {
    /// The name as ifupdown stores it: `post-up` is an `up` hook, `pre-down` a `down` hook.
    pub fn canonical_name(&self) -> &str {
        match self.name.text.as_str() {
            "post-up" => "up",
            "pre-down" => "down",
            other => other,
        }
    }

    pub fn is_hook(&self) -> bool {
        matches!(
            self.canonical_name(),
            "pre-up" | "up" | "down" | "post-down"
        )
    }
}

#[derive(Debug)]
pub struct Mapping {
    pub keyword: Word,
    pub patterns: Vec<Word>,
    pub script: Option<Word>,
    pub maps: Vec<Word>,
    pub span: Span,
}

pub use super::suppression::SuppressionComment;

/// One logical line: the text ifupdown sees, and where each piece of it is in the file.
struct LogicalLine<'t> {
    /// The file's own text when the line has one physical piece (almost every line): no copy.
    text: std::borrow::Cow<'t, str>,
    /// Where the text starts in the file.
    first: usize,
    /// `(offset in text, offset in file)` at the start of each physical piece after the first
    /// (empty, and unallocated, for a line without continuations).
    more: Vec<(usize, usize)>,
    /// The whole logical line in the file, from the first to the last byte (no line ending).
    span: Span,
}

impl LogicalLine<'_> {
    fn file_offset(&self, text_offset: usize) -> usize {
        // The last piece starting at or before the offset.
        match self.more.partition_point(|&(t, _)| t <= text_offset) {
            0 => self.first + text_offset,
            i => {
                let (t, f) = self.more[i - 1];
                f + (text_offset - t)
            }
        }
    }

    fn span_of(&self, start: usize, end: usize) -> Span {
        if start == end {
            let at = self.file_offset(start);
            return Span::new(at, at);
        }
        Span::new(self.file_offset(start), self.file_offset(end - 1) + 1)
    }

    fn word(&self, start: usize, end: usize) -> Word {
        Word::new(&self.text[start..end], self.span_of(start, end))
    }
}

/// C's `isspace` in the C locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// What [`LogicalLines`] yields: a comment line, or a logical line.
enum Line<'t> {
    Comment(&'t str, Span),
    Logical(LogicalLine<'t>),
}

/// The logical lines of a file the way `get_line` reads them, one at a time: a check of a
/// large file never holds more than one line's text besides the parse tree, so the heap does
/// not fill with short-lived strings between the tree's allocations.
struct LogicalLines<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> LogicalLines<'t> {
    fn new(text: &'t str) -> Self {
        LogicalLines { text, pos: 0 }
    }

    /// The next physical line `(start, end)`, without its line ending.
    fn physical(&mut self) -> Option<(usize, usize)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        self.pos = end + 1;
        Some((start, end))
    }
}

impl<'t> Iterator for LogicalLines<'t> {
    type Item = Line<'t>;

    fn next(&mut self) -> Option<Line<'t>> {
        let text = self.text;
        let (s, e) = self.physical()?;
        let raw = &text[s..e];
        let trimmed = raw.trim_start_matches(is_c_space);
        let lead = raw.len() - trimmed.len();
        if trimmed.starts_with('#') {
            return Some(Line::Comment(trimmed, Span::new(s + lead, e)));
        }
        let mut more = Vec::new();
        let mut last_end = e;
        let text = if trimmed.ends_with('\\') {
            let mut joined = trimmed.to_string();
            while joined.ends_with('\\') {
                let Some((s2, e2)) = self.physical() else {
                    break;
                };
                joined.pop();
                more.push((joined.len(), s2));
                joined.push_str(&text[s2..e2]);
                last_end = e2;
            }
            if joined.ends_with('\\') {
                // A continuation at the end of the file joins nothing.
                joined.pop();
            }
            let kept = joined.trim_end_matches(is_c_space).len();
            joined.truncate(kept);
            std::borrow::Cow::Owned(joined)
        } else {
            std::borrow::Cow::Borrowed(trimmed.trim_end_matches(is_c_space))
        };
        Some(Line::Logical(LogicalLine {
            text,
            first: s + lead,
            more,
            span: Span::new(s + lead, last_end),
        }))
    }
}

/// One word: a run of non-space characters.
fn word(input: &str) -> IResult<&str, &str> {
    take_till1(is_c_space).parse(input)
}

fn spaces(input: &str) -> IResult<&str, &str> {
    take_while(is_c_space).parse(input)
}

/// The words of a logical line, with their byte ranges inside `line.text`.
fn split_words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Ok((after_word, w)) = preceded(spaces, word).parse(rest) {
        let end = text.len() - after_word.len();
        out.push((end - w.len(), end));
        rest = after_word;
    }
    out
}

fn is_known_family(name: &str) -> bool {
    methods::is_known_family(name)
}

fn is_known_method(family: &str, method: &str) -> bool {
    methods::method(family, method).is_some()
}

const FAMILY_NAMES: &[&str] = &["inet", "inet6", "ipx", "can", "meta"];

enum Open {
    None,
    Iface(usize),
    Mapping(usize),
}

pub fn parse(text: &str) -> InterfacesFile {
    let mut file = InterfacesFile::default();
    let mut suppressions: Vec<PendingSuppression> = Vec::new();
    // Suppressions from `waiting` on have not seen the line they cover yet.
    let mut waiting = 0;

    let mut open = Open::None;
    for line in LogicalLines::new(text) {
        let line = match line {
            Line::Comment(comment, span) => {
                if let Some(directive) = parse_suppression(comment, span) {
                    suppressions.push(directive);
                }
                continue;
            }
            Line::Logical(line) => line,
        };
        let items_before = file.items.len();
        let covered = waiting..suppressions.len();
        waiting = suppressions.len();
        for s in &mut suppressions[covered.clone()] {
            s.next_line = Some(line.span);
        }
        parse_line(&mut file, &mut open, &line);
        // A comment above a line that opens a stanza covers the whole stanza.
        if file.items.len() > items_before
            && matches!(file.items[items_before], Item::Iface(_) | Item::Mapping(_))
        {
            for s in &mut suppressions[covered] {
                s.opens_item = Some(items_before);
            }
        }
    }

    file.suppressions = resolve_suppressions(suppressions, &file.items, text.len());
    // The tree lives as long as the check: give back what growing the vectors over-allocated
    // (a generated host of 28,000 stanzas keeps a few MiB less).
    file.items.shrink_to_fit();
    for item in &mut file.items {
        if let Item::Iface(stanza) = item {
            stanza.options.shrink_to_fit();
        }
    }
    file
}

/// One logical line of an interfaces file, into the tree.
fn parse_line(file: &mut InterfacesFile, open: &mut Open, line: &LogicalLine) {
    let words = split_words(&line.text);
    let Some(&(fs, fe)) = words.first() else {
        return;
    };
    let first = line.word(fs, fe);
    let args: Vec<Word> = words[1..].iter().map(|&(s, e)| line.word(s, e)).collect();
    // The rest of the line after the first word, as ifupdown's `rest`.
    let rest = words.get(1).map(|&(s, _)| (s, line.text.len()));

    let keyword = first.text.as_str();
    check_word_lengths(file, keyword, &first, &args);
    match keyword {
        "iface" => {
            let stanza = parse_iface_header(first, &args, line.span, file);
            file.items.push(Item::Iface(Box::new(stanza)));
            *open = Open::Iface(file.items.len() - 1);
        }
        "mapping" => {
            if args.is_empty() {
                file.warn(
                    SyntaxError::new(line.span, "`mapping` needs at least one interface pattern")
                        .with_help(
                            "ifupdown accepts it, but the mapping matches nothing: write \
                             `mapping eth0` followed by `script` and `map` lines",
                        ),
                );
            }
            file.items.push(Item::Mapping(Box::new(Mapping {
                keyword: first,
                patterns: args,
                script: None,
                maps: Vec::new(),
                span: line.span,
            })));
            *open = Open::Mapping(file.items.len() - 1);
        }
        "source" => {
            *open = Open::None;
            push_source(file, first, SourceKind::File, rest, line);
        }
        k if k.starts_with("source-dir") => {
            *open = Open::None;
            push_source(file, first, SourceKind::Directory, rest, line);
        }
        k if (k == "auto" || (k.starts_with("allow-") && k.len() > 6))
            || k == "no-auto-down"
            || k == "no-scripts" =>
        {
            if args.is_empty() {
                // Inside an iface stanza, a bare flag applies to the stanza and keeps it
                // open; it ends a mapping.
                match *open {
                    Open::Iface(i) => {
                        if let Item::Iface(stanza) = &mut file.items[i] {
                            stanza.span = stanza.span.cover(line.span);
                            stanza.flags.push(first);
                        }
                    }
                    Open::Mapping(_) => *open = Open::None,
                    Open::None => {}
                }
                return;
            }
            *open = Open::None;
            if k == "auto" || k.starts_with("allow-") {
                let class = k.strip_prefix("allow-").unwrap_or("auto").to_string();
                file.items.push(Item::Allow {
                    keyword: first,
                    class,
                    names: args,
                });
            } else {
                file.items.push(Item::Other {
                    keyword: first,
                    args,
                });
            }
        }
        "rename" => {
            *open = Open::None;
            file.items.push(Item::Other {
                keyword: first,
                args,
            });
        }
        _ => match *open {
            Open::Iface(i) => {
                let Item::Iface(stanza) = &mut file.items[i] else {
                    unreachable!("Open::Iface always points at an iface item")
                };
                stanza.span = stanza.span.cover(line.span);
                match rest {
                    Some((s, e)) => stanza.options.push(Opt {
                        name: first,
                        value: line.word(s, e),
                        span: line.span,
                    }),
                    None => file.fatal(
                        line.span.start as usize,
                        "option with empty value",
                        SyntaxError::new(
                            line.span,
                            format!("option `{keyword}` has an empty value"),
                        )
                        .with_help(
                            "ifupdown rejects the whole file (\"option with empty value\"): \
                                 give the option a value or delete the line",
                        ),
                    ),
                }
            }
            Open::Mapping(i) => {
                let Item::Mapping(mapping) = &mut file.items[i] else {
                    unreachable!("Open::Mapping always points at a mapping item")
                };
                mapping.span = mapping.span.cover(line.span);
                let value = rest.map(|(s, e)| line.word(s, e));
                match (keyword, value) {
                    ("script", Some(value)) if mapping.script.is_none() => {
                        mapping.script = Some(value);
                    }
                    ("script", Some(_)) => file.fatal(
                        line.span.start as usize,
                        "duplicate script in mapping",
                        SyntaxError::new(line.span, "duplicate `script` in mapping")
                            .with_help("a mapping runs exactly one script; delete one of them"),
                    ),
                    ("map", Some(value)) => mapping.maps.push(value),
                    _ => file.fatal(
                        line.span.start as usize,
                        "misplaced option",
                        SyntaxError::new(
                            first.span,
                            format!("`{keyword}` is not allowed in a mapping stanza"),
                        )
                        .with_help(
                            "only `script` and `map` lines may follow `mapping`; ifupdown \
                                 rejects the file (\"misplaced option\")",
                        ),
                    ),
                }
            }
            Open::None => {
                let err = misplaced(&first, &file.items);
                file.fatal(line.span.start as usize, "misplaced option", err);
            }
        },
    }
}

/// ifupdown's word buffer: `char firstword[80]` and friends, read with `next_word(.., 80)`.
pub const MAX_WORD: usize = 79;

/// Warn about the words of a line that ifupdown reads into its 80-byte buffers and cuts: the
/// first word always; every word of `iface`, `mapping`, `auto`, `allow-*`, `no-auto-down`,
/// `no-scripts` and `rename` lines. Option values and `source` paths are read whole.
fn check_word_lengths(file: &mut InterfacesFile, keyword: &str, first: &Word, args: &[Word]) {
    let all_words = matches!(
        keyword,
        "iface" | "mapping" | "auto" | "no-auto-down" | "no-scripts" | "rename"
    ) || (keyword.starts_with("allow-") && keyword.len() > 6);
    let words = std::iter::once(first).chain(args.iter().filter(|_| all_words));
    for word in words.filter(|w| w.text.len() > MAX_WORD) {
        let head = |n: usize| {
            let mut cut = n;
            while !word.text.is_char_boundary(cut) {
                cut -= 1;
            }
            &word.text[..cut]
        };
        let err = SyntaxError::new(
            word.span,
            format!(
                "`{}...` is {} bytes long; ifupdown keeps only the first {MAX_WORD}",
                head(20),
                word.text.len(),
            ),
        )
        .with_help(format!(
            "ifupdown reads words into an 80-byte buffer: it cuts this one to `{}` and may append \
             stale bytes from an earlier word, so the name it uses is unpredictable; use a word \
             of at most {MAX_WORD} bytes",
            head(MAX_WORD)
        ));
        file.warn(err);
    }
}

fn misplaced(first: &Word, items: &[Item]) -> SyntaxError {
    let err = SyntaxError::new(
        first.span,
        format!("`{}` is outside any `iface` stanza", first.text),
    );
    if items.is_empty() {
        err.with_help(
            "ifupdown rejects the file (\"misplaced option\"); comment out text that is not \
             configuration with `#`",
        )
    } else {
        err.with_help(
            "ifupdown rejects the file (\"misplaced option\"); options must follow an `iface` line, \
             and a keyword line (`auto`, `source`, ...) ends the stanza before it",
        )
    }
}

fn push_source(
    file: &mut InterfacesFile,
    keyword: Word,
    kind: SourceKind,
    rest: Option<(usize, usize)>,
    line: &LogicalLine,
) {
    match rest {
        Some((s, e)) => file.items.push(Item::Source {
            keyword,
            kind,
            pattern: line.word(s, e),
        }),
        None => file.warn(
            SyntaxError::new(line.span, format!("`{}` needs a path", keyword.text)).with_help(
                "ifupdown tries to read the including file's directory as a file, prints an \
                 error and goes on: give the path, or delete the line",
            ),
        ),
    }
}

fn parse_iface_header(
    keyword: Word,
    args: &[Word],
    header: Span,
    file: &mut InterfacesFile,
) -> Stanza {
    const NO_TYPE: &str = "unknown or no address type and no inherits keyword specified";
    const NO_METHOD: &str = "unknown or no method and no inherits keyword specified";
    let at = header.start as usize;
    let mut stanza = Stanza {
        keyword,
        name: Word::new("", header),
        family: None,
        method: None,
        inherits: None,
        options: Vec::new(),
        flags: Vec::new(),
        header,
        span: header,
    };
    let mut args = args.iter();
    let Some(name) = args.next() else {
        file.fatal(
            at,
            "too few parameters for iface line",
            SyntaxError::new(
                header,
                "`iface` needs an interface name, a family and a method",
            )
            .with_help("for example `iface eth0 inet dhcp`; ifupdown rejects the file"),
        );
        return stanza;
    };
    stanza.name = name.clone();

    let family = args.next();
    let mut inherits_keyword = false;
    match family {
        None => file.fatal(
            at,
            NO_TYPE,
            SyntaxError::new(
                name.span,
                format!("`iface {}` has no address family and method", name.text),
            )
            .with_help(
                "typeless `iface NAME` stanzas are the ifupdown2 / ifupdown-ng dialect; Debian's \
                 ifupdown rejects the file (\"unknown or no address type\"): write `iface NAME \
                 inet manual` (or inet static/dhcp)",
            )
            .valid_in_ifupdown2(),
        ),
        Some(f) if f.text == "inherits" => inherits_keyword = true,
        Some(f) if !is_known_family(&f.text) => file.fatal(
            at,
            NO_TYPE,
            SyntaxError::new(f.span, format!("unknown address family `{}`", f.text)).with_help(
                match methods::did_you_mean(&f.text, FAMILY_NAMES.iter().copied()) {
                    Some(near) => format!(
                        "did you mean `{near}`? ifupdown knows inet, inet6, can, ipx and meta, \
                         and rejects the file (\"unknown or no address type\")"
                    ),
                    None => "use inet, inet6, can, ipx or meta; ifupdown rejects the file \
                             (\"unknown or no address type\")"
                        .to_string(),
                },
            ),
        ),
        Some(f) => {
            stanza.family = Some(f.clone());
            match args.next() {
                None => file.fatal(
                    at,
                    NO_METHOD,
                    SyntaxError::new(
                        f.span,
                        format!("`iface {} {}` has no method", name.text, f.text),
                    )
                    .with_help(format!(
                        "add a method such as `manual`, `static` or `dhcp`: `iface {} {} manual`",
                        name.text, f.text
                    ))
                    .valid_in_ifupdown2(),
                ),
                Some(m) if m.text == "inherits" => inherits_keyword = true,
                Some(m) if !is_known_method(&f.text, &m.text) => {
                    let known: Vec<&str> = methods::methods_of(&f.text).map(|m| m.name).collect();
                    let list = known.join(", ");
                    let help = match methods::did_you_mean(&m.text, known.iter().copied()) {
                        Some(near) => format!(
                            "did you mean `{near}`? {} methods are: {list}; ifupdown rejects the \
                             file (\"unknown or no method\")",
                            f.text
                        ),
                        None => format!("{} methods are: {list}", f.text),
                    };
                    file.fatal(
                        at,
                        NO_METHOD,
                        SyntaxError::new(
                            m.span,
                            format!("unknown method `{}` for family {}", m.text, f.text),
                        )
                        .with_help(help),
                    );
                }
                Some(m) => stanza.method = Some(m.clone()),
            }
        }
    }
    if !inherits_keyword && stanza.method.is_some() {
        if let Some(extra) = args.next() {
            if extra.text == "inherits" {
                inherits_keyword = true;
            } else {
                file.warn(
                    SyntaxError::new(
                        extra.span,
                        format!("extra word `{}` on the iface line is ignored", extra.text),
                    )
                    .with_help("ifupdown warns and ignores it; delete it"),
                );
            }
        }
    }
    if inherits_keyword {
        match args.next() {
            Some(parent) => stanza.inherits = Some(parent.clone()),
            None => file.fatal(
                at,
                "'inherits' keyword is missing a parameter",
                SyntaxError::new(
                    header,
                    "`inherits` is missing the interface to inherit from",
                )
                .with_help("write `iface NAME inet manual inherits OTHER`"),
            ),
        }
    }
    stanza
}

/// A `# netvet: ignore` comment while the file is read: what it says, and the line after it.
struct PendingSuppression {
    codes: Vec<String>,
    reason: Option<String>,
    span: Span,
    whole_file: bool,
    /// The next logical line after the comment.
    next_line: Option<Span>,
    /// The stanza that line opens, as an index into the file's items.
    opens_item: Option<usize>,
}

/// A `netvet:` directive in a comment, waiting for the line it covers.
fn parse_suppression(comment: &str, span: Span) -> Option<PendingSuppression> {
    let d = super::suppression::parse_directive(comment)?;
    Some(PendingSuppression {
        codes: d.codes,
        reason: d.reason,
        span,
        whole_file: d.whole_file,
        next_line: None,
        opens_item: None,
    })
}

/// What each suppression covers: the file, the stanza its next line opens (as it ended up,
/// options included), or that line alone.
fn resolve_suppressions(
    pending: Vec<PendingSuppression>,
    items: &[Item],
    text_len: usize,
) -> Vec<SuppressionComment> {
    pending
        .into_iter()
        .map(|p| {
            let covers = if p.whole_file {
                Span::new(0, text_len)
            } else {
                let stanza = p.opens_item.and_then(|i| match &items[i] {
                    Item::Iface(s) => Some(s.span),
                    Item::Mapping(m) => Some(m.span),
                    _ => None,
                });
                stanza
                    .or(p.next_line)
                    .unwrap_or(Span::new(p.span.end as usize, p.span.end as usize))
            };
            SuppressionComment {
                codes: p.codes,
                reason: p.reason,
                span: p.span,
                covers,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stanzas(f: &InterfacesFile) -> Vec<&Stanza> {
        f.items
            .iter()
            .filter_map(|i| match i {
                Item::Iface(s) => Some(&**s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn basic_stanza_with_options_and_spans() {
        let text = "auto bond0\niface bond0 inet static\n    address 198.18.0.1/24\n\tbond-slaves eno1 eno2\n";
        let f = parse(text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let s = stanzas(&f)[0];
        assert_eq!(s.name.text, "bond0");
        assert_eq!(s.family_str(), Some("inet"));
        assert_eq!(s.method_str(), Some("static"));
        assert_eq!(s.options.len(), 2);
        assert_eq!(s.options[1].value.text, "eno1 eno2");
        assert_eq!(&text[s.options[1].value.span.range()], "eno1 eno2");
        assert_eq!(&text[s.options[0].name.span.range()], "address");
        assert_eq!(&text[s.span.range()], &text[11..text.len() - 1]);
    }

    #[test]
    fn continuation_follows_ifupdown() {
        // `\` + space does not continue; the continued line keeps its indentation and a `#`
        // there is text, not a comment.
        let text = "iface eth0 inet manual\n  up echo a \\\n# b \\\n  c \\ \n  mtu 1500\n";
        let f = parse(text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let s = stanzas(&f)[0];
        assert_eq!(s.options[0].value.text, "echo a # b   c \\");
        assert_eq!(s.options[1].name.text, "mtu");
        let v = &s.options[0].value;
        assert_eq!(&text[v.span.range()], "echo a \\\n# b \\\n  c \\");
    }

    #[test]
    fn crlf_is_not_a_continuation_but_is_trimmed() {
        let f =
            parse("iface eth0 inet manual\r\n  mtu 9000 \\\r\n  hwaddress 02:00:00:00:00:01\r\n");
        let s = stanzas(&f)[0];
        assert_eq!(s.options.len(), 2);
        assert_eq!(s.options[0].value.text, "9000 \\");
    }

    #[test]
    fn comments_only_at_line_start() {
        let f = parse(
            "   # indented comment\niface eth0 inet static\n  address 192.0.2.1/24 # not a comment\n",
        );
        assert!(f.errors.is_empty());
        assert_eq!(
            stanzas(&f)[0].options[0].value.text,
            "192.0.2.1/24 # not a comment"
        );
    }

    #[test]
    fn misplaced_option_and_typeless_iface() {
        let f = parse("address 1.2.3.4\niface swp1\n  mtu 9000\n");
        assert_eq!(f.errors.len(), 2);
        assert!(f.errors[0].message.contains("outside any `iface` stanza"));
        assert!(f.errors[1].help.as_deref().unwrap().contains("ifupdown2"));
    }

    #[test]
    fn bare_auto_inside_stanza_keeps_it_open() {
        let f = parse("iface eth0 inet manual\n  auto\n  mtu 1500\nauto eth1\n  mtu 9000\n");
        let s = stanzas(&f)[0];
        assert_eq!(s.flags[0].text, "auto");
        assert_eq!(s.options.len(), 1);
        assert_eq!(f.errors.len(), 1, "mtu after `auto eth1` is misplaced");
    }

    #[test]
    fn source_directory_prefix_and_rest_of_line() {
        let f = parse("source-dir /etc/network/interfaces.d\nsource \"/etc/x y/*\"\n");
        match &f.items[0] {
            Item::Source { kind, pattern, .. } => {
                assert_eq!(*kind, SourceKind::Directory);
                assert_eq!(pattern.text, "/etc/network/interfaces.d");
            }
            other => panic!("{other:?}"),
        }
        match &f.items[1] {
            Item::Source { pattern, .. } => assert_eq!(pattern.text, "\"/etc/x y/*\""),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mapping_accepts_only_script_and_map() {
        let f = parse("mapping eth0\n  script /x\n  map a b\n  script /y\n  mtu 1\n");
        assert_eq!(f.errors.len(), 2);
        match &f.items[0] {
            Item::Mapping(m) => {
                assert_eq!(m.script.as_ref().unwrap().text, "/x");
                assert_eq!(m.maps[0].text, "a b");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn iface_header_errors() {
        for (text, needle) in [
            ("iface\n", "needs an interface name"),
            ("iface eth0 inet\n", "has no method"),
            ("iface eth0 inet foo\n", "unknown method"),
            ("iface eth0 link none\n", "unknown address family"),
            ("iface eth0 inet manual wrong\n", "extra word"),
            ("iface eth0 inet manual inherits\n", "missing the interface"),
        ] {
            let f = parse(text);
            assert_eq!(f.errors.len(), 1, "{text}");
            assert!(
                f.errors[0].message.contains(needle),
                "{text}: {:?}",
                f.errors
            );
        }
        let f = parse("iface eth0 inherits eth1\n");
        assert_eq!(stanzas(&f)[0].inherits.as_ref().unwrap().text, "eth1");
    }

    #[test]
    fn suppression_covers_next_stanza() {
        let text = "# netvet: ignore NV110, nv111 -- switch is slow-only\niface bond0 inet manual\n  bond-mode 802.3ad\n\niface eth0 inet manual\n";
        let f = parse(text);
        let s = &f.suppressions[0];
        assert_eq!(s.codes, ["NV110", "NV111"]);
        assert_eq!(s.reason.as_deref(), Some("switch is slow-only"));
        assert_eq!(
            &text[s.covers.range()],
            "iface bond0 inet manual\n  bond-mode 802.3ad"
        );
    }

    #[test]
    fn stop_is_the_first_fatal_error_and_cut_keeps_what_ifupdown_read() {
        let text = "iface a inet manual extra\n  mtu 1\n  mtu\n  hwaddress x\nauto b\niface b inet manual\n";
        let mut f = parse(text);
        let stop = f.stop.clone().unwrap();
        assert_eq!(stop.reason, "option with empty value");
        assert!(f.errors[stop.error].message.contains("empty value"));
        assert_eq!(&text[stop.at..stop.at + 3], "mtu");
        f.cut_at_stop();
        assert_eq!(f.items.len(), 1);
        assert_eq!(f.unread.len(), 2);
        assert_eq!(stanzas(&f)[0].options.len(), 1);
        assert_eq!(f.errors.len(), 2, "the warning and the stop are both kept");
    }

    #[test]
    fn bare_auto_ends_a_mapping_and_long_words_warn() {
        let f = parse("mapping eth0\n  script /x\nauto\n  map a b\n");
        assert_eq!(f.stop.as_ref().unwrap().reason, "misplaced option");
        let long = "y".repeat(100);
        let f = parse(&format!("iface a inet manual\n  {long} {long}\n"));
        assert!(f.stop.is_none());
        assert_eq!(f.errors.len(), 1, "only the option name is cut");
        assert!(f.errors[0].message.contains("100 bytes"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "\\",
            "\\\n",
            "iface \\",
            "\u{0}\u{ffff}",
            "#\\\niface",
            "mapping",
            "source",
            "  \t \r\n",
        ] {
            let _ = parse(text);
        }
    }
}
