//! `netvet explain`: a rule's Markdown page rendered for a terminal.
//!
//! Headings, emphasis and inline code are styled with ANSI codes; the caller writes through
//! anstream, which drops them when stdout is not a terminal, NO_COLOR is set or `--color never`
//! is given. Paragraphs and list items are wrapped to `width`; code blocks are indented and kept
//! as written, since their lines are configuration to copy.

use anstyle::{AnsiColor, Style};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

const H1: Style = Style::new().bold().underline();
const H2: Style = AnsiColor::Yellow.on_default().bold();
const CODE: Style = AnsiColor::Cyan.on_default();

/// One styled piece of text inside a word.
type Piece = (String, Style);

/// Renders `markdown` wrapped to `width` columns, with ANSI styles.
pub fn render(markdown: &str, width: usize) -> String {
    let mut r = Renderer {
        out: String::new(),
        width: width.max(20),
        words: Vec::new(),
        styles: vec![Style::new()],
        lists: Vec::new(),
        item_prefix: None,
        code_block: None,
        space_before: false,
    };
    for event in Parser::new(markdown) {
        r.event(event);
    }
    let trimmed = r.out.trim_end().len();
    r.out.truncate(trimmed);
    r.out.push('\n');
    r.out
}

struct Renderer {
    out: String,
    width: usize,
    /// The block being collected: words of styled pieces, wrapped when the block ends.
    words: Vec<Vec<Piece>>,
    /// The style of text at this point (emphasis nests).
    styles: Vec<Style>,
    /// Open lists: the next number of an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// The marker of a list item whose first line is not written yet.
    item_prefix: Option<String>,
    /// The text of the code block being read.
    code_block: Option<String>,
    /// Whether the next text starts a new word.
    space_before: bool,
}

impl Renderer {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let style = if level == HeadingLevel::H1 { H1 } else { H2 };
                self.styles.push(style);
            }
            Event::End(TagEnd::Heading(_)) => {
                self.styles.pop();
                self.flush_block();
            }
            Event::Start(Tag::Emphasis) => self.push_style(Style::new().italic()),
            Event::Start(Tag::Strong) => self.push_style(Style::new().bold()),
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => {
                self.styles.pop();
            }
            Event::End(TagEnd::Paragraph) => self.flush_block(),
            Event::Start(Tag::List(first)) => {
                // A list inside an item's text: the item's own words come first.
                self.flush_words();
                self.lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
                if self.lists.is_empty() {
                    self.out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "- ".to_string(),
                };
                let indent = "  ".repeat(self.lists.len().saturating_sub(1));
                self.item_prefix = Some(format!("{indent}{marker}"));
            }
            // Items of a tight list hold bare text: it ends with the item.
            Event::End(TagEnd::Item) => self.flush_words(),
            Event::Start(Tag::CodeBlock(_)) => {
                self.flush_words();
                self.code_block = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                let code = self.code_block.take().unwrap_or_default();
                let indent = "    ".to_string() + &"  ".repeat(self.lists.len());
                for line in code.lines() {
                    if line.is_empty() {
                        self.out.push('\n');
                    } else {
                        self.out
                            .push_str(&format!("{indent}{CODE}{line}{CODE:#}\n"));
                    }
                }
                self.out.push('\n');
            }
            Event::Text(text) => match &mut self.code_block {
                Some(code) => code.push_str(&text),
                None => {
                    let style = self.style();
                    self.text(&text, style);
                }
            },
            // A code span is never broken across lines: `Listen 80` stays whole.
            Event::Code(code) => {
                let style = self.style().fg_color(CODE.get_fg_color());
                self.glue(format!("`{code}`"), style);
            }
            Event::SoftBreak => self.space_before = true,
            Event::HardBreak => self.flush_words(),
            Event::Rule => {
                self.out.push_str(&"-".repeat(self.width.min(40)));
                self.out.push_str("\n\n");
            }
            // Pages hold no HTML, links or tables worth styling: their text passes as text.
            Event::Html(html) | Event::InlineHtml(html) => {
                let style = self.style();
                self.text(&html, style);
            }
            _ => {}
        }
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, add: Style) {
        let style = self.style();
        self.styles
            .push(style.effects(style.get_effects() | add.get_effects()));
    }

    /// Splits text into words; a piece glued to the previous one (no space between) joins
    /// that word, so `` `bond-miimon`, `` stays one word.
    fn text(&mut self, text: &str, style: Style) {
        for (i, part) in text.split(' ').enumerate() {
            if i > 0 {
                self.space_before = true;
            }
            if !part.is_empty() {
                self.glue(part.to_string(), style);
            }
        }
    }

    /// Adds a piece to the last word, or starts a word after a space.
    fn glue(&mut self, piece: String, style: Style) {
        match self.words.last_mut() {
            Some(word) if !self.space_before => word.push((piece, style)),
            _ => self.words.push(vec![(piece, style)]),
        }
        self.space_before = false;
    }

    /// Ends a block: its words, wrapped, then a blank line (tight list items get none).
    fn flush_block(&mut self) {
        let in_list = !self.lists.is_empty();
        self.flush_words();
        if !in_list {
            self.out.push('\n');
        }
    }

    /// Writes the collected words as lines of at most `width` columns.
    fn flush_words(&mut self) {
        self.space_before = false;
        if self.words.is_empty() {
            if let Some(prefix) = self.item_prefix.take() {
                self.out.push_str(prefix.trim_end());
                self.out.push('\n');
            }
            return;
        }
        let depth = self.lists.len();
        let (first, rest) = match self.item_prefix.take() {
            Some(prefix) => {
                let hang = " ".repeat(prefix.chars().count());
                (prefix, hang)
            }
            None => {
                let indent = "  ".repeat(depth);
                (indent.clone(), indent)
            }
        };
        // A style stays open across the spaces between words that share it (an underlined
        // heading is underlined from end to end) and is closed at the end of every line.
        let mut line = first;
        let mut column = line.chars().count();
        let mut open = Style::new();
        let mut empty = true;
        for word in std::mem::take(&mut self.words) {
            let len: usize = word.iter().map(|(t, _)| t.chars().count()).sum();
            if !empty && column + 1 + len > self.width {
                self.out.push_str(&format!("{line}{open:#}\n"));
                open = Style::new();
                line = rest.clone();
                column = line.chars().count();
                empty = true;
            }
            for (i, (text, style)) in word.into_iter().enumerate() {
                if style != open {
                    line.push_str(&format!("{open:#}{style}"));
                    open = style;
                }
                if i == 0 && !empty {
                    line.push(' ');
                    column += 1;
                }
                line.push_str(&text);
            }
            column += len;
            empty = false;
        }
        self.out.push_str(&format!("{line}{open:#}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    fn plain(markdown: &str, width: usize) -> String {
        let styled = render(markdown, width);
        let mut out = Vec::new();
        let mut stream = anstream::StripStream::new(&mut out);
        std::io::Write::write_all(&mut stream, styled.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn wraps_paragraphs_and_keeps_code_blocks() {
        let md = "# Title\n\nOne two three four five six seven eight nine ten eleven twelve.\n\n```interfaces\niface bond0 inet manual\n    bond-miimon 100\n```\n";
        assert_eq!(
            plain(md, 30),
            "Title\n\nOne two three four five six\nseven eight nine ten eleven\ntwelve.\n\n    iface bond0 inet manual\n        bond-miimon 100\n"
        );
    }

    #[test]
    fn list_items_hang_under_their_marker() {
        let md = "- first item with quite a few words in it\n- `code`, then text\n";
        assert_eq!(
            plain(md, 24),
            "- first item with quite\n  a few words in it\n- `code`, then text\n"
        );
    }

    #[test]
    fn styles_are_closed_on_the_line_they_open() {
        let styled = render("Some *emphasis* and `code`.\n", 80);
        assert!(styled.contains("\x1b["), "{styled:?}");
        for line in styled.lines() {
            assert!(line.ends_with(['.', 'm']), "{line:?}");
        }
    }
}
