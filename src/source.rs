//! Source text, byte spans and line/column lookup.
//!
//! Every parsed file is kept whole in a [`SourceMap`], byte for byte (comments, blank lines,
//! indentation, CRLF), so that diagnostics can quote it and fixes can be expressed as edits over
//! [`Span`]s instead of reprinting the file.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A half-open byte range `start..end` inside one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Index of a file inside a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A place in a source file: which file and which bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

/// One file's text with a line index.
#[derive(Debug)]
pub struct SourceFile {
    /// The path on the checked host (`/etc/network/interfaces` under any `--root`): what
    /// ifupdown and kmod see, and what messages and the JSON `file` name.
    pub display: String,
    /// Where the file was actually read from.
    pub path: PathBuf,
    /// The path a user can open from where netvet ran: the root as given joined with the host
    /// path (`fixtures/demo/etc/network/interfaces`). Human output names files by it.
    pub shown: String,
    pub text: String,
    /// False when the file was not valid UTF-8 and `text` holds a lossy conversion.
    pub utf8: bool,
    line_starts: Vec<u32>,
    /// For a file that is not all ASCII, the characters before every [`CHAR_STEP`]th byte, so
    /// that a column is counted from the nearest checkpoint instead of from the line's start:
    /// thousands of findings on one long line each count at most [`CHAR_STEP`] bytes. Empty
    /// for an ASCII file, where a column is a byte offset.
    char_checkpoints: Vec<u32>,
}

/// Bytes between two character-count checkpoints of a [`SourceFile`].
const CHAR_STEP: usize = 256;

/// Whether a byte starts a UTF-8 character (is not a continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xc0 != 0x80
}

impl SourceFile {
    pub fn new(display: String, path: PathBuf, bytes: Vec<u8>) -> Self {
        let (text, utf8) = match String::from_utf8(bytes) {
            Ok(text) => (text, true),
            Err(err) => (String::from_utf8_lossy(err.as_bytes()).into_owned(), false),
        };
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        let char_checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            let mut chars = 0u32;
            let mut out = Vec::with_capacity(text.len() / CHAR_STEP + 1);
            for chunk in text.as_bytes().chunks(CHAR_STEP) {
                out.push(chars);
                chars += chunk.iter().filter(|&&b| starts_char(b)).count() as u32;
            }
            out.push(chars);
            out
        };
        SourceFile {
            shown: path.display().to_string(),
            display,
            path,
            text,
            utf8,
            line_starts,
            char_checkpoints,
        }
    }

    /// 1-based line and column (in characters) of a byte offset. It counts at most
    /// [`CHAR_STEP`] bytes twice, whatever the length of the line: see [`Self::counted`].
    pub fn line_col(&self, offset: u32) -> LineCol {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let offset = (offset as usize).min(self.text.len());
        let column = if self.text.is_char_boundary(offset) {
            self.chars_before(offset) - self.chars_before(start)
        } else {
            offset - start
        };
        LineCol {
            line: line + 1,
            column: column + 1,
        }
    }

    /// The characters before a byte offset: the nearest checkpoint's count, plus the bytes
    /// [`Self::counted`] names.
    fn chars_before(&self, offset: usize) -> usize {
        let Some(&checkpoint) = self.char_checkpoints.get(offset / CHAR_STEP) else {
            return offset;
        };
        let tail = self.text.as_bytes()[self.counted(offset)]
            .iter()
            .filter(|&&b| starts_char(b))
            .count();
        checkpoint as usize + tail
    }

    /// The bytes counted one by one to find the characters before `offset`: from the last
    /// checkpoint, never more than [`CHAR_STEP`], and none in an ASCII file.
    pub fn counted(&self, offset: usize) -> std::ops::Range<usize> {
        if self.char_checkpoints.is_empty() {
            return offset..offset;
        }
        offset / CHAR_STEP * CHAR_STEP..offset
    }

    /// Byte range of the 1-based line `line`, without its line terminator.
    pub fn line_span(&self, line: usize) -> Span {
        let start = self.line_starts[line - 1] as usize;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next as usize - 1);
        let end = if self.text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Span::new(start, end)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// All files read for one check.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Real path to file, so that "was this file read already" stays constant-time on a
    /// `source-directory` of thousands of files.
    by_path: HashMap<PathBuf, FileId>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion files"));
        self.by_path.entry(file.path.clone()).or_insert(id);
        self.files.push(file);
        id
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (FileId, &mut SourceFile)> {
        self.files
            .iter_mut()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// `file:line:col` of a location, for messages.
    pub fn describe(&self, loc: Location) -> String {
        let file = self.get(loc.file);
        format!("{}:{}", file.shown, file.line_col(loc.span.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_and_handles_crlf() {
        let f = SourceFile::new(
            "x".into(),
            "x".into(),
            b"auto lo\r\n# \xc3\xa9t\xc3\xa9\niface".to_vec(),
        );
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(9), LineCol { line: 2, column: 1 });
        // After "# été" (5 chars, 7 bytes) comes the newline.
        assert_eq!(f.line_col(16), LineCol { line: 2, column: 6 });
        assert_eq!(f.line_col(17), LineCol { line: 3, column: 1 });
        assert_eq!(f.slice(f.line_span(1)), "auto lo");
        assert_eq!(f.slice(f.line_span(3)), "iface");
    }

    /// The quadratic case: thousands of findings on one long line each counted the
    /// characters from the line's start. A column now counts from a checkpoint, so the bytes
    /// counted per lookup are bounded whatever the line's length, and the columns are the
    /// characters from the line's start all the same.
    #[test]
    fn a_column_on_a_long_line_counts_a_bounded_number_of_bytes() {
        let line: String = (0..50_000).map(|i| format!("é{i} ")).collect();
        let text = format!("auto lo\n{line}\nauto x\n");
        let f = SourceFile::new("x".into(), "x".into(), text.clone().into_bytes());
        let line_start = 8;
        for (offset, _) in text.char_indices().step_by(997) {
            let naive = text[..offset]
                .rfind('\n')
                .map_or(text[..offset].chars().count(), |nl| {
                    text[nl + 1..offset].chars().count()
                });
            assert_eq!(f.line_col(offset as u32).column, naive + 1, "at {offset}");
            assert!(f.counted(offset).len() < CHAR_STEP, "at {offset}");
        }
        let end = line_start + line.len();
        assert!(f.counted(end).len() < CHAR_STEP);
        assert_eq!(f.line_col(end as u32).column, line.chars().count() + 1);
        let ascii = SourceFile::new("x".into(), "x".into(), b"auto lo\n".repeat(1000));
        assert!(ascii.counted(7_000).is_empty());
        assert_eq!(ascii.line_col(7_005).column, 6);
    }

    #[test]
    fn invalid_utf8_is_kept_lossily() {
        let f = SourceFile::new("x".into(), "x".into(), b"a\xffb".to_vec());
        assert!(!f.utf8);
        assert_eq!(f.text, "a\u{fffd}b");
    }
}
