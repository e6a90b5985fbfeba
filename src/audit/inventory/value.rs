//! The typed value Ansible gives a variable, as far as netvet needs it.
//!
//! Ansible's INI plugin passes each value through Python's `ast.literal_eval` (`22` is a
//! number, `'root'` loses its quotes, `1.2.3.4` stays text), and the YAML plugin through
//! PyYAML's YAML 1.1 resolution (`yes` is a boolean, `0022` an octal number). netvet reads the
//! common forms exactly; for any other form that Python or PyYAML would turn into something
//! that is not plain text (a tuple, a float, an octal number, a date) it says so instead of
//! using the text: the host gets an error, never a wrong address.

/// A variable's value, as the three connection variables need it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Value {
    Str(String),
    Int(i128),
    /// `None`, `null`, `~`: Ansible treats the variable as unset.
    Null,
    /// Anything else, named for the message: "a boolean", "a list".
    Other(&'static str),
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// What follows a literal: nothing, a comment, or something else.
fn ends(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('#')
}

/// Python's integer literal: `0`, `[1-9](_?[0-9])*`, `0x`/`0o`/`0b`.
fn python_int(token: &str) -> Option<i128> {
    let digits_ok = |s: &str, radix: u32| {
        !s.is_empty()
            && !s.ends_with('_')
            && !s.contains("__")
            && s.chars().all(|c| c == '_' || c.is_digit(radix))
    };
    let lower = token.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(body) = lower.strip_prefix(prefix) {
            let body = body.strip_prefix('_').unwrap_or(body);
            if !digits_ok(body, radix) {
                return None;
            }
            let plain: String = body.chars().filter(|&c| c != '_').collect();
            return i128::from_str_radix(&plain, radix).ok();
        }
    }
    if !digits_ok(token, 10) || token.starts_with('_') {
        return None;
    }
    let plain: String = token.chars().filter(|&c| c != '_').collect();
    if plain.len() > 1 && plain.starts_with('0') && plain.bytes().any(|b| b != b'0') {
        return None;
    }
    plain.parse().ok()
}

/// Python's float or imaginary literal (`1.5`, `.5`, `1e3`, `2j`).
fn python_float(token: &str) -> bool {
    let t = token.strip_suffix(['j', 'J']).unwrap_or(token);
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' | '_' => seen_digit |= c != '_',
            '.' if !seen_dot => seen_dot = true,
            'e' | 'E' if seen_digit => {
                if matches!(chars.peek(), Some('+' | '-')) {
                    chars.next();
                }
                let exp: String = chars.collect();
                return !exp.is_empty() && exp.chars().all(|c| c.is_ascii_digit() || c == '_');
            }
            _ => return false,
        }
    }
    seen_digit && (seen_dot || t.len() != token.len())
}

/// A Python string literal at the start of `s` (with an optional `r`, `u`, `b` prefix): its
/// text and the bytes it takes. `Err` when Python would read it but netvet does not (escape
/// sequences, f-strings), `Ok(None)` when it is no string literal.
fn string_literal(s: &str) -> Result<Option<(String, usize)>, &'static str> {
    let prefix_len = s
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .take(3)
        .count();
    let prefix = s[..prefix_len].to_ascii_lowercase();
    let after = &s[prefix_len..];
    let Some(quote) = after.chars().next().filter(|c| *c == '\'' || *c == '"') else {
        return Ok(None);
    };
    if !matches!(prefix.as_str(), "" | "r" | "u" | "b" | "br" | "rb") {
        return if prefix.contains('f') {
            Err("a Python f-string")
        } else {
            Ok(None)
        };
    }
    let raw = prefix.contains('r');
    let triple: String = std::iter::repeat_n(quote, 3).collect();
    let (delim, body) = match after.strip_prefix(&triple) {
        Some(b) => (triple.as_str(), b),
        None => (&after[..1], &after[1..]),
    };
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        if rest.starts_with(delim) {
            let text = &body[..i];
            if !raw && text.contains('\\') {
                return Err("a Python string with escape sequences");
            }
            return Ok(Some((text.to_string(), prefix_len + delim.len() * 2 + i)));
        }
        let c = rest.chars().next().unwrap_or('\0');
        if c == '\\' {
            // An escaped character never ends the literal, raw or not.
            i += 1 + rest[1..].chars().next().map_or(0, char::len_utf8);
            continue;
        }
        if c == '\n' && delim.len() == 1 {
            return Ok(None);
        }
        i += c.len_utf8();
    }
    // Unterminated: a syntax error, so Ansible keeps the text.
    Ok(None)
}

/// Ansible's INI value: `ast.literal_eval(v)`, or `v` itself when Python cannot read it.
pub(crate) fn ini_value(v: &str) -> Value {
    let s = v.trim_start_matches([' ', '\t']);
    let raw = || Value::Str(v.to_string());
    let Some(first) = s.chars().next() else {
        return raw();
    };
    match first {
        // A Jinja template is no Python literal (names inside braces): Ansible keeps the text.
        '{' if s.contains("{{") || s.contains("{%") || s.contains("{#") => return raw(),
        '(' | '[' | '{' => return Value::Other("a Python expression netvet does not evaluate"),
        '+' | '-' => {
            let rest = s[1..].trim_start_matches([' ', '\t']);
            let token: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            let after = &rest[token.len()..];
            return match python_int(&token) {
                Some(n) if ends(after) => Value::Int(if first == '-' { -n } else { n }),
                _ => Value::Other("a signed Python expression netvet does not evaluate"),
            };
        }
        _ => {}
    }
    if first.is_ascii_digit() || (first == '.' && s[1..].starts_with(|c: char| c.is_ascii_digit()))
    {
        let token: String = s
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        let after = &s[token.len()..];
        let next = after.trim_start_matches([' ', '\t']);
        if ends(after) {
            if let Some(n) = python_int(&token) {
                return Value::Int(n);
            }
            if python_float(&token) {
                return Value::Other("a Python float");
            }
            return raw();
        }
        if (python_int(&token).is_some() || python_float(&token))
            && next.starts_with(['+', '-', ','])
        {
            return Value::Other("a Python expression netvet does not evaluate");
        }
        return raw();
    }
    if s.starts_with("...") {
        return Value::Other("Python's Ellipsis");
    }
    if is_ident_start(first) {
        let ident: String = s.chars().take_while(|c| is_ident(*c)).collect();
        let after = &s[ident.len()..];
        let constant = match ident.as_str() {
            "True" | "False" => Some(Value::Other("a boolean")),
            "None" => Some(Value::Null),
            _ => None,
        };
        if let Some(c) = constant {
            return if ends(after) {
                c
            } else {
                Value::Other("a Python expression netvet does not evaluate")
            };
        }
        if after.trim_start_matches([' ', '\t']).starts_with('(') {
            return Value::Other("a Python expression netvet does not evaluate");
        }
        if !matches!(after.chars().next(), Some('\'' | '"')) {
            return raw();
        }
    }
    // String literals, implicitly concatenated.
    let mut text = String::new();
    let mut at = 0;
    let mut any = false;
    loop {
        let rest = s[at..].trim_start_matches([' ', '\t']);
        let skipped = s.len() - at - rest.len();
        match string_literal(rest) {
            Err(what) => return Value::Other(what),
            Ok(Some((t, n))) => {
                text.push_str(&t);
                at += skipped + n;
                any = true;
            }
            Ok(None) => {
                if !any {
                    return raw();
                }
                if ends(rest) {
                    return Value::Str(text);
                }
                if rest.starts_with(',') {
                    return Value::Other("a Python tuple");
                }
                return raw();
            }
        }
    }
}

/// What a YAML tag tells, PyYAML's way.
pub(crate) enum Tagged {
    /// No tag: the plain scalar's text is resolved.
    None,
    /// `!!str`, a quoted scalar: text as it is.
    Str,
    /// `!unsafe`: text Ansible never templates.
    Unsafe,
    /// Anything else.
    Other,
}

/// PyYAML's YAML 1.1 resolution of a plain scalar.
pub(crate) fn yaml_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "yes" | "Yes" | "YES" | "no" | "No" | "NO" | "true" | "True" | "TRUE" | "false"
        | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => {
            return Value::Other("a YAML boolean");
        }
        "=" => return Value::Other("a YAML value key"),
        _ => {}
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let negative = s.starts_with('-');
    let digits_us = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    // Decimal: 0 | [1-9][0-9_]*
    if body == "0" || (body.starts_with(|c: char| ('1'..='9').contains(&c)) && digits_us(body)) {
        let plain: String = body.chars().filter(|&c| c != '_').collect();
        if let Ok(n) = plain.parse::<i128>() {
            return Value::Int(if negative { -n } else { n });
        }
        return Value::Other("a YAML number too large");
    }
    let lower = body.to_ascii_lowercase();
    let octal = body.len() > 1
        && body.starts_with('0')
        && body[1..]
            .bytes()
            .all(|b| (b'0'..=b'7').contains(&b) || b == b'_');
    let binary = body.starts_with("0b")
        && body.len() > 2
        && body[2..]
            .bytes()
            .all(|b| b == b'0' || b == b'1' || b == b'_');
    let hex = body.starts_with("0x")
        && body.len() > 2
        && body[2..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'_');
    let sexagesimal = body.starts_with(|c: char| ('1'..='9').contains(&c))
        && body.contains(':')
        && body.split(':').enumerate().all(|(i, p)| {
            if i == 0 {
                digits_us(p)
            } else {
                (1..=2).contains(&p.len())
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p.len() == 1 || p.as_bytes()[0] <= b'5')
            }
        });
    if octal || binary || hex || sexagesimal {
        return Value::Other(
            "a YAML 1.1 number that is not plain decimal (octal, hex, binary or base 60)",
        );
    }
    let float_body = body.split(':').next_back().unwrap_or(body);
    let float =
        (body.contains('.') && body.starts_with(|c: char| c.is_ascii_digit() || c == '.') && {
            let (mantissa, exp) = match float_body.find(['e', 'E']) {
                Some(i) => (&float_body[..i], Some(&float_body[i + 1..])),
                None => (float_body, None),
            };
            mantissa
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'_' || b == b'.')
                && mantissa.bytes().filter(|&b| b == b'.').count() == 1
                && exp.is_none_or(|e| {
                    e.len() > 1
                        && e.starts_with(['+', '-'])
                        && e[1..].bytes().all(|b| b.is_ascii_digit())
                })
        }) || matches!(lower.as_str(), ".inf" | ".nan");
    if float {
        return Value::Other("a YAML float");
    }
    let b = s.as_bytes();
    if b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5].is_ascii_digit()
    {
        return Value::Other("a YAML date");
    }
    if s == "<<" {
        return Value::Other("a YAML merge key");
    }
    Value::Str(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Value {
        Value::Str(t.into())
    }

    /// Each case checked against Python 3.11's `ast.literal_eval` (a syntax or value error
    /// keeps the text, as Ansible's INI plugin does).
    #[test]
    fn ini_values_as_literal_eval_reads_them() {
        assert_eq!(ini_value("22"), Value::Int(22));
        assert_eq!(ini_value("22 # port"), Value::Int(22));
        assert_eq!(ini_value("0x16"), Value::Int(22));
        assert_eq!(ini_value("022"), s("022"));
        assert_eq!(ini_value("-1"), Value::Int(-1));
        assert_eq!(ini_value("10.0.0.1"), s("10.0.0.1"));
        assert_eq!(ini_value("10.0.0.1 # c"), s("10.0.0.1 # c"));
        assert_eq!(ini_value("'root'"), s("root"));
        assert_eq!(ini_value("\"a\" 'b'"), s("ab"));
        assert_eq!(ini_value("'a' # c"), s("a"));
        assert_eq!(ini_value("'a"), s("'a"));
        assert_eq!(ini_value("db1.example.com"), s("db1.example.com"));
        assert_eq!(ini_value("root@x"), s("root@x"));
        assert_eq!(ini_value("None"), Value::Null);
        assert_eq!(ini_value("True"), Value::Other("a boolean"));
        assert_eq!(ini_value("1.5"), Value::Other("a Python float"));
        assert_eq!(ini_value("'a',"), Value::Other("a Python tuple"));
        assert_eq!(
            ini_value("[1]"),
            Value::Other("a Python expression netvet does not evaluate")
        );
        assert_eq!(
            ini_value("'a\\n'"),
            Value::Other("a Python string with escape sequences")
        );
        assert_eq!(ini_value(""), s(""));
        assert_eq!(ini_value("{{ user }}"), s("{{ user }}"));
    }

    #[test]
    fn yaml_plain_scalars_as_pyyaml_resolves_them() {
        assert_eq!(yaml_plain("22"), Value::Int(22));
        assert_eq!(yaml_plain("10.0.0.1"), s("10.0.0.1"));
        assert_eq!(yaml_plain("~"), Value::Null);
        assert!(matches!(yaml_plain("yes"), Value::Other(_)));
        assert!(matches!(yaml_plain("0022"), Value::Other(_)));
        assert!(matches!(yaml_plain("1:30"), Value::Other(_)));
        assert!(matches!(yaml_plain("1.5"), Value::Other(_)));
        assert!(matches!(yaml_plain("2024-01-02"), Value::Other(_)));
        assert_eq!(yaml_plain("1e5"), s("1e5"));
        assert_eq!(yaml_plain("fe80::1"), s("fe80::1"));
    }
}
