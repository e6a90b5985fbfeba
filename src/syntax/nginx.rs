//! nginx configuration, as far as listeners go: the directive tree (`name args;` and
//! `name args { ... }`), `include` directives, and the `listen` directives of `server` blocks.
//!
//! Tokens follow ngx_conf_parse: white space separates words, `;` ends a directive, `{` and `}`
//! open and close blocks, `#` at the start of a word comments to the end of the line, and single
//! or double quotes group (with `\` escapes).

use super::{SyntaxError, Word};
use crate::source::Span;

#[derive(Debug, Default)]
pub struct NginxFile {
    pub directives: Vec<Directive>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug)]
pub struct Directive {
    pub name: Word,
    pub args: Vec<Word>,
    /// The directive from its name to its `;` (or to the end of its block).
    pub span: Span,
    /// `Some` for a block directive (`server { ... }`).
    pub block: Option<Vec<Directive>>,
}

enum Token {
    Word(Word),
    Semicolon(usize),
    Open(usize),
    Close(usize),
}

fn tokens(text: &str, errors: &mut Vec<SyntaxError>) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b';' => {
                out.push(Token::Semicolon(i));
                i += 1;
            }
            b'{' => {
                out.push(Token::Open(i));
                i += 1;
            }
            b'}' => {
                out.push(Token::Close(i));
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let start = i;
                let mut value = String::new();
                i += 1;
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' if i + 1 < bytes.len() => {
                            // The escaped character whole: it may be several bytes long.
                            let ch = text[i + 1..].chars().next().expect("in bounds");
                            value.push(ch);
                            i += 1 + ch.len_utf8();
                        }
                        q if q == c => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        _ => {
                            let ch = text[i..].chars().next().expect("in bounds");
                            value.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                if !closed {
                    errors.push(SyntaxError::new(
                        Span::new(start, i),
                        "unterminated quoted string",
                    ));
                }
                out.push(Token::Word(Word::new(value, Span::new(start, i))));
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}')
                {
                    i += 1;
                }
                out.push(Token::Word(Word::new(&text[start..i], Span::new(start, i))));
            }
        }
    }
    out
}

use crate::limits::MAX_NGINX_DEPTH as MAX_DEPTH;

fn block(
    toks: &[Token],
    pos: &mut usize,
    depth: usize,
    errors: &mut Vec<SyntaxError>,
) -> Vec<Directive> {
    let nested = depth > 0;
    let mut out = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    while *pos < toks.len() {
        let tok = &toks[*pos];
        *pos += 1;
        match tok {
            Token::Word(w) => words.push(w.clone()),
            Token::Semicolon(at) => {
                if words.is_empty() {
                    continue;
                }
                let name = words.remove(0);
                let span = Span::new(name.span.start as usize, at + 1);
                out.push(Directive {
                    name,
                    args: std::mem::take(&mut words),
                    span,
                    block: None,
                });
            }
            Token::Open(at) if depth + 1 >= MAX_DEPTH => {
                errors.push(SyntaxError::new(
                    Span::new(*at, at + 1),
                    format!("blocks nested more than {MAX_DEPTH} deep: netvet reads no further into this one"),
                ));
                // Step over the block without descending into it.
                let mut open = 1usize;
                while *pos < toks.len() && open > 0 {
                    match toks[*pos] {
                        Token::Open(_) => open += 1,
                        Token::Close(_) => open -= 1,
                        _ => {}
                    }
                    *pos += 1;
                }
                words.clear();
            }
            Token::Open(at) => {
                let inner = block(toks, pos, depth + 1, errors);
                if words.is_empty() {
                    errors.push(SyntaxError::new(
                        Span::new(*at, at + 1),
                        "`{` without a directive",
                    ));
                    continue;
                }
                let name = words.remove(0);
                let end = match toks.get(pos.saturating_sub(1)) {
                    Some(Token::Close(c)) => c + 1,
                    _ => at + 1,
                };
                let span = Span::new(name.span.start as usize, end);
                out.push(Directive {
                    name,
                    args: std::mem::take(&mut words),
                    span,
                    block: Some(inner),
                });
            }
            Token::Close(at) => {
                if !nested {
                    errors.push(SyntaxError::new(Span::new(*at, at + 1), "unexpected `}`"));
                    continue;
                }
                if let Some(w) = words.first() {
                    errors.push(SyntaxError::new(
                        w.span,
                        format!("`{}` is missing its `;`", w.text),
                    ));
                }
                return out;
            }
        }
    }
    if let Some(w) = words.first() {
        errors.push(SyntaxError::new(
            w.span,
            format!("`{}` is missing its `;`", w.text),
        ));
    }
    if nested {
        errors.push(SyntaxError::new(
            Span::new(toks.len(), toks.len()),
            "unexpected end of file: a block is not closed",
        ));
    }
    out
}

pub fn parse(text: &str) -> NginxFile {
    let mut errors = Vec::new();
    let toks = tokens(text, &mut errors);
    let mut pos = 0;
    let directives = block(&toks, &mut pos, 0, &mut errors);
    // The end-of-file error of an unclosed block has no real position: point at the end.
    for e in &mut errors {
        if e.span.start as usize == toks.len() && e.message.starts_with("unexpected end") {
            e.span = Span::new(text.len(), text.len());
        }
    }
    NginxFile { directives, errors }
}

/// One `listen` directive, understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    /// `0.0.0.0`, `::`, a literal address or a host name.
    pub address: String,
    pub port: u16,
    /// `ipv6only=on|off` when given.
    pub ipv6only: Option<bool>,
    pub default_server: bool,
    pub ssl: bool,
}

/// Understand `listen` arguments as ngx_http_core_listen does. `None` for unix sockets and
/// values nginx would reject.
pub fn parse_listen(args: &[Word]) -> Option<Listen> {
    let first = args.first()?.text.as_str();
    if first.starts_with("unix:") {
        return None;
    }
    let (address, port) = if let Some(rest) = first.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 80,
            None => return None,
        };
        (addr.to_string(), port)
    } else if let Ok(port) = first.parse::<u16>() {
        ("0.0.0.0".to_string(), port)
    } else {
        let (host, port) = match first.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (first, 80),
        };
        let host = if host == "*" { "0.0.0.0" } else { host };
        (host.to_string(), port)
    };
    let mut listen = Listen {
        address,
        port,
        ipv6only: None,
        default_server: false,
        ssl: false,
    };
    for a in &args[1..] {
        match a.text.as_str() {
            "ipv6only=on" => listen.ipv6only = Some(true),
            "ipv6only=off" => listen.ipv6only = Some(false),
            "default_server" | "default" => listen.default_server = true,
            "ssl" => listen.ssl = true,
            _ => {}
        }
    }
    Some(listen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escaped_multibyte_character_is_taken_whole() {
        let f = parse("a \"\\é\";\n");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.directives[0].args[0].text, "é");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "{".repeat(25_000);
        let f = parse(&text);
        assert!(
            f.errors
                .iter()
                .any(|e| e.message.contains("nested more than"))
        );
        let closed = format!("{}{}", "a {".repeat(200), "}".repeat(200));
        let f = parse(&closed);
        assert_eq!(
            f.errors
                .iter()
                .filter(|e| e.message.contains("nested more than"))
                .count(),
            1
        );
    }

    fn listens(text: &str) -> Vec<Listen> {
        fn walk(ds: &[Directive], out: &mut Vec<Listen>) {
            for d in ds {
                if d.name.text == "listen" {
                    out.extend(parse_listen(&d.args));
                }
                if let Some(b) = &d.block {
                    walk(b, out);
                }
            }
        }
        let f = parse(text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let mut out = Vec::new();
        walk(&f.directives, &mut out);
        out
    }

    #[test]
    fn listen_forms() {
        let l = listens(
            "server { listen 80; listen [::]:443 ssl default_server ipv6only=off; listen [::]; listen *:8080; listen 198.18.0.1; listen unix:/run/x.sock; }",
        );
        let brief: Vec<(String, u16, Option<bool>)> = l
            .iter()
            .map(|l| (l.address.clone(), l.port, l.ipv6only))
            .collect();
        assert_eq!(
            brief,
            [
                ("0.0.0.0".into(), 80, None),
                ("::".into(), 443, Some(false)),
                ("::".into(), 80, None),
                ("0.0.0.0".into(), 8080, None),
                ("198.18.0.1".into(), 80, None),
            ]
        );
        assert!(l[1].ssl && l[1].default_server);
    }

    #[test]
    fn comments_quotes_and_spans() {
        let text = "# c\nhttp {\n  server { listen \"8081\"; # x\n  }\n  include /etc/nginx/sites-enabled/*;\n}\n";
        let f = parse(text);
        assert!(f.errors.is_empty());
        let http = &f.directives[0];
        let inner = http.block.as_ref().unwrap();
        assert_eq!(inner[1].name.text, "include");
        assert_eq!(
            &text[inner[1].span.range()],
            "include /etc/nginx/sites-enabled/*;"
        );
        assert_eq!(listens(text)[0].port, 8081);
    }

    #[test]
    fn errors_and_no_panic() {
        assert!(!parse("server { listen 80 }").errors.is_empty());
        assert!(!parse("server { listen 80;").errors.is_empty());
        assert!(!parse("}").errors.is_empty());
        for t in ["\"", "'\\", "{", "{{}}}", "listen [::", "#", ";;;"] {
            let _ = parse(t);
        }
        assert_eq!(parse_listen(&[Word::new("[::", Span::default())]), None);
    }
}
