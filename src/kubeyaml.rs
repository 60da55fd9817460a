//! A fast reader for the YAML that `kubectl get -o yaml` prints, one list item at a time.
//!
//! kubectl (go-yaml) prints a narrow, regular subset of YAML: block style, keys as plain
//! scalars, values as plain scalars (folded onto more-indented lines past 80 columns), single-
//! or double-quoted scalars (folded likewise), `|`/`|-`/`|+` block
//! scalars, `[]`/`{}` for empty collections, and `- ` sequence items that may sit at their
//! key's indentation. This module parses exactly that subset into a small borrowed tree
//! ([`Node`]) and deserializes the model structs from it through a serde `Deserializer` that
//! mirrors `serde_yaml_ng`'s scalar rules (null/bool/int/float resolution of plain scalars,
//! quoted and block scalars always strings, an empty plain scalar as an empty map or list).
//!
//! Anything outside the subset makes [`from_str`] return `None` and the caller parses the item
//! with the general parser (`crate::yaml`): anchors, aliases, tags, comments, flow collections
//! other than `[]`/`{}`, blank lines inside multi-line scalars, `>` folded scalars, block scalar
//! indentation indicators, `? ` keys, quoted keys, tabs, carriage returns, blank lines outside
//! block scalars, characters libyaml rejects, odd indentation, and deep nesting. A
//! deserialization error also returns `None`, so error messages always come from the general
//! parser. The contract, checked by tests against `serde_yaml_ng` on fixtures, samples,
//! generated bundles and mutated YAML: when this module returns a value, it is the value the
//! general parser returns.

use std::borrow::Cow;
use std::fmt;
use std::num::ParseIntError;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};

/// Parses one YAML document (a dedented kubectl list item) into `T`, or `None` when the text
/// is outside the subset this module reads (or does not deserialize as `T`).
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let node = parse(text)?;
    T::deserialize(&node).ok()
}

/// Deepest nesting read here (libyaml allows 128; kubectl objects stay far below).
const MAX_DEPTH: usize = 64;

/// One parsed YAML node, borrowing from the text where it can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    /// A plain scalar: its type (null, bool, number, string) is resolved on use. Owned when
    /// folded from several lines.
    Plain(Cow<'a, str>),
    /// A quoted or block scalar: always a string.
    Text(Cow<'a, str>),
    Map(Vec<(&'a str, Node<'a>)>),
    Seq(Vec<Node<'a>>),
}

#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    /// The line after its indentation; empty for a blank line.
    text: &'a str,
}

/// Parses `text` into a tree, or `None` if it is not in the subset described above.
pub(crate) fn parse(text: &str) -> Option<Node<'_>> {
    if !acceptable_chars(text) || !text.ends_with('\n') {
        return None;
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<Line<'_>> = body
        .split('\n')
        .map(|l| {
            let text = l.trim_start_matches(' ');
            Line {
                indent: l.len() - text.len(),
                text,
            }
        })
        .collect();
    let mut p = Parser {
        lines,
        pos: 0,
        depth: 0,
    };
    let first = *p.lines.first()?;
    if first.indent != 0 || first.text.is_empty() {
        return None;
    }
    let node = p.node(0)?;
    (p.pos == p.lines.len()).then_some(node)
}

/// No tab, CR, control character, BOM, non-characters or Unicode line breaks (libyaml either
/// rejects them or treats them as line breaks).
fn acceptable_chars(text: &str) -> bool {
    if text.bytes().any(|b| (b < 0x20 && b != b'\n') || b == 0x7f) {
        return false;
    }
    text.is_ascii()
        || !text.chars().any(|c| {
            matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
        })
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    /// The block collection starting at the current line, which has indentation `indent`.
    fn node(&mut self, indent: usize) -> Option<Node<'a>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let line = self.lines.get(self.pos)?;
        let node = if is_seq_item(line.text) {
            self.seq(indent)
        } else {
            self.map(indent)
        };
        self.depth -= 1;
        node
    }

    fn map(&mut self, indent: usize) -> Option<Node<'a>> {
        let mut entries = Vec::new();
        while let Some(&line) = self.lines.get(self.pos) {
            if line.text.is_empty() || line.indent > indent {
                return None;
            }
            if line.indent < indent {
                break;
            }
            let (key, rest) = split_key(line.text)?;
            self.pos += 1;
            let value = if rest.is_empty() {
                self.nested(indent)?
            } else {
                self.inline(rest, indent)?
            };
            entries.push((key, value));
        }
        Some(Node::Map(entries))
    }

    /// The value of `key:` (nothing after the colon) in a mapping at `indent`.
    fn nested(&mut self, indent: usize) -> Option<Node<'a>> {
        match self.lines.get(self.pos) {
            Some(next) if !next.text.is_empty() && next.indent > indent => self.node(next.indent),
            Some(next) if next.indent == indent && is_seq_item(next.text) => self.node(indent),
            _ => Some(Node::Plain(Cow::Borrowed(""))),
        }
    }

    fn seq(&mut self, indent: usize) -> Option<Node<'a>> {
        let mut items = Vec::new();
        while let Some(&line) = self.lines.get(self.pos) {
            if line.text.is_empty() || line.indent > indent {
                return None;
            }
            if line.indent < indent || !is_seq_item(line.text) {
                break;
            }
            let rest = line.text.strip_prefix("- ")?;
            if rest.is_empty() || rest.starts_with(' ') || is_seq_item(rest) {
                return None;
            }
            let item = if !rest.starts_with(['"', '\'']) && split_key(rest).is_some() {
                // `- key: value`: a mapping whose first line starts after the dash.
                self.lines[self.pos] = Line {
                    indent: indent + 2,
                    text: rest,
                };
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                let map = self.map(indent + 2)?;
                self.depth -= 1;
                map
            } else {
                self.pos += 1;
                self.inline(rest, indent)?
            };
            items.push(item);
        }
        Some(Node::Seq(items))
    }

    /// A value written on the line of its key or dash; `owner` is that line's indentation.
    fn inline(&mut self, text: &'a str, owner: usize) -> Option<Node<'a>> {
        match text {
            "|" => return self.block(owner, Chomp::Clip),
            "|-" => return self.block(owner, Chomp::Strip),
            "|+" => return self.block(owner, Chomp::Keep),
            "[]" => return Some(Node::Seq(Vec::new())),
            "{}" => return Some(Node::Map(Vec::new())),
            _ => {}
        }
        match text.as_bytes()[0] {
            b'"' => self.quoted(&text[1..], owner, double_quoted, true),
            b'\'' => self.quoted(&text[1..], owner, single_quoted, false),
            _ => self.folded_plain(text, owner),
        }
    }

    /// A quoted scalar (`inner`: after the opening quote) and its continuation lines, indented
    /// deeper than `owner`: each line break folds to one space, or to nothing after an escaping
    /// backslash (double quotes only).
    fn quoted(
        &mut self,
        inner: &'a str,
        owner: usize,
        scan: fn(&str) -> Quoted<'_>,
        escapes: bool,
    ) -> Option<Node<'a>> {
        match scan(inner) {
            Quoted::Closed(v) => return Some(Node::Text(v)),
            Quoted::Bad => return None,
            Quoted::Open => {}
        }
        let mut joined = inner.to_owned();
        loop {
            let next = self.lines.get(self.pos)?;
            if next.text.is_empty() || next.indent <= owner || joined.ends_with(' ') {
                return None;
            }
            let backslashes = joined.len() - joined.trim_end_matches('\\').len();
            if escapes && backslashes % 2 == 1 {
                joined.pop();
            } else {
                joined.push(' ');
            }
            joined.push_str(next.text);
            self.pos += 1;
            match scan(&joined) {
                Quoted::Closed(v) => return Some(Node::Text(Cow::Owned(v.into_owned()))),
                Quoted::Bad => return None,
                Quoted::Open => {}
            }
        }
    }

    /// A plain scalar and its continuation lines (go-yaml folds long values at 80 columns):
    /// lines indented deeper than `owner`, each joined with one space.
    fn folded_plain(&mut self, text: &'a str, owner: usize) -> Option<Node<'a>> {
        let first = plain(text)?;
        let mut folded: Option<String> = None;
        while let Some(next) = self.lines.get(self.pos) {
            if next.text.is_empty() || next.indent <= owner {
                break;
            }
            let more = plain(next.text)?;
            let buf = folded.get_or_insert_with(|| first.to_owned());
            buf.push(' ');
            buf.push_str(more);
            self.pos += 1;
        }
        Some(Node::Plain(folded.map_or(Cow::Borrowed(first), Cow::Owned)))
    }

    /// A literal block scalar whose content is indented deeper than `owner`.
    fn block(&mut self, owner: usize, chomp: Chomp) -> Option<Node<'a>> {
        let first = self.lines.get(self.pos)?;
        if first.text.is_empty() || first.indent <= owner {
            return None;
        }
        let indent = first.indent;
        let mut out = String::new();
        let mut trailing_blank = 0;
        while let Some(line) = self.lines.get(self.pos) {
            if line.text.is_empty() {
                if line.indent > indent {
                    return None;
                }
                trailing_blank += 1;
            } else if line.indent < indent {
                if line.indent > owner {
                    return None;
                }
                break;
            } else {
                for _ in 0..trailing_blank {
                    out.push('\n');
                }
                trailing_blank = 0;
                for _ in indent..line.indent {
                    out.push(' ');
                }
                out.push_str(line.text);
                out.push('\n');
            }
            self.pos += 1;
        }
        match chomp {
            Chomp::Clip => {}
            Chomp::Strip => {
                out.pop();
            }
            Chomp::Keep => {
                for _ in 0..trailing_blank {
                    out.push('\n');
                }
            }
        }
        Some(Node::Text(Cow::Owned(out)))
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

fn is_seq_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Characters that cannot start a plain scalar (or a plain key) as read here.
fn bad_plain_start(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b'-' | b'?' | b':') => bytes.len() == 1 || bytes[1] == b' ',
        None
        | Some(
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' | b' ',
        ) => true,
        Some(_) => false,
    }
}

/// `key: rest` or `key:` -> (key, rest) for a plain key; `None` otherwise.
fn split_key(text: &str) -> Option<(&str, &str)> {
    if bad_plain_start(text) {
        return None;
    }
    let bytes = text.as_bytes();
    let colon = (0..bytes.len())
        .find(|&i| bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' '))?;
    let key = &text[..colon];
    if key.ends_with(' ') || key.contains(" #") || key == "<<" {
        return None;
    }
    let rest = text.get(colon + 2..).unwrap_or("");
    if rest.starts_with(' ') {
        return None;
    }
    Some((key, rest))
}

/// One line of a plain scalar, checked against what would make libyaml read it differently.
fn plain(text: &str) -> Option<&str> {
    if bad_plain_start(text)
        || text.ends_with([' ', ':'])
        || text.contains(": ")
        || text.contains(" #")
    {
        return None;
    }
    Some(text)
}

/// What a quoted scalar's scan found.
enum Quoted<'t> {
    /// Closed at the end of the text: the value.
    Closed(Cow<'t, str>),
    /// Not closed yet: the scalar continues on the next line.
    Open,
    /// Something this module does not read (text after the closing quote, a bad escape).
    Bad,
}

/// The inside of a single-quoted scalar (after the opening quote), `''` being a quote.
fn single_quoted(inner: &str) -> Quoted<'_> {
    let mut out: Option<String> = None;
    let mut rest = inner;
    loop {
        let Some(q) = rest.find('\'') else {
            return Quoted::Open;
        };
        if rest.as_bytes().get(q + 1) == Some(&b'\'') {
            let buf = out.get_or_insert_with(String::new);
            buf.push_str(&rest[..=q]);
            rest = &rest[q + 2..];
            continue;
        }
        if q + 1 != rest.len() {
            return Quoted::Bad;
        }
        return Quoted::Closed(match out {
            None => Cow::Borrowed(&rest[..q]),
            Some(mut buf) => {
                buf.push_str(&rest[..q]);
                Cow::Owned(buf)
            }
        });
    }
}

/// The inside of a double-quoted scalar (after the opening quote), escapes decoded.
fn double_quoted(inner: &str) -> Quoted<'_> {
    let Some(end) = inner.find(['"', '\\']) else {
        return Quoted::Open;
    };
    if inner.as_bytes()[end] == b'"' {
        return if end + 1 == inner.len() {
            Quoted::Closed(Cow::Borrowed(&inner[..end]))
        } else {
            Quoted::Bad
        };
    }
    let mut out = String::with_capacity(inner.len());
    out.push_str(&inner[..end]);
    let mut chars = inner[end..].chars();
    loop {
        let Some(c) = chars.next() else {
            return Quoted::Open;
        };
        match c {
            '"' => {
                return if chars.as_str().is_empty() {
                    Quoted::Closed(Cow::Owned(out))
                } else {
                    Quoted::Bad
                };
            }
            '\\' => {
                let Some(e) = chars.next() else {
                    return Quoted::Open;
                };
                let c = match e {
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    't' => '\t',
                    'n' => '\n',
                    'v' => '\u{b}',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'e' => '\u{1b}',
                    ' ' => ' ',
                    '"' => '"',
                    '/' => '/',
                    '\\' => '\\',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' | 'u' | 'U' => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let Some(c) = hex_char(&mut chars, digits) else {
                            return Quoted::Bad;
                        };
                        c
                    }
                    _ => return Quoted::Bad,
                };
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

fn hex_char(chars: &mut std::str::Chars<'_>, digits: usize) -> Option<char> {
    let mut v = 0u32;
    for _ in 0..digits {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    char::from_u32(v)
}

// ---- Scalar resolution: the rules of serde_yaml_ng 0.10 (`de.rs`), for plain scalars. ----

fn parse_null(scalar: &str) -> bool {
    matches!(scalar, "null" | "Null" | "NULL" | "~")
}

fn parse_bool(scalar: &str) -> Option<bool> {
    match scalar {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn radix_prefixed<T>(
    rest: &str,
    from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = rest.strip_prefix(prefix) {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(digits, radix) {
                return Some(int);
            }
        }
    }
    None
}

/// Whether `rest` starts with a radix prefix whose digits start with a sign (rejected).
fn signed_after_prefix(rest: &str) -> bool {
    ["0x", "0o", "0b"].iter().any(|p| {
        rest.strip_prefix(p)
            .is_some_and(|d| d.starts_with(['+', '-']))
    })
}

fn negative_prefixed<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = scalar.strip_prefix(prefix)
            && let Ok(int) = from_str_radix(&format!("-{rest}"), radix)
        {
            return Some(int);
        }
    }
    None
}

fn parse_unsigned_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    if signed_after_prefix(unpositive) {
        return None;
    }
    if let Some(int) = radix_prefixed(unpositive, from_str_radix) {
        return Some(int);
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_signed_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    let unpositive = if let Some(unpositive) = scalar.strip_prefix('+') {
        if unpositive.starts_with(['+', '-']) {
            return None;
        }
        unpositive
    } else {
        scalar
    };
    // serde_yaml_ng tries 0x, -0x, 0o, -0o, 0b, -0b in turn; a signed digit string after an
    // unsigned prefix stops it.
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = unpositive.strip_prefix(prefix) {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(digits, radix) {
                return Some(int);
            }
        }
        if let Some(rest) = scalar.strip_prefix(&format!("-{prefix}"))
            && let Ok(int) = from_str_radix(&format!("-{rest}"), radix)
        {
            return Some(int);
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    if let Some(int) = negative_prefixed(scalar, from_str_radix) {
        return Some(int);
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

fn parse_f64(scalar: &str) -> Option<f64> {
    let unpositive = if let Some(unpositive) = scalar.strip_prefix('+') {
        if unpositive.starts_with(['+', '-']) {
            return None;
        }
        unpositive
    } else {
        scalar
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = scalar {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = scalar {
        return Some(f64::NAN.copysign(1.0));
    }
    unpositive.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn digits_but_not_number(scalar: &str) -> bool {
    let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    scalar.len() > 1 && scalar.starts_with('0') && scalar[1..].bytes().all(|b| b.is_ascii_digit())
}

fn visit_plain<'de, V: Visitor<'de>>(visitor: V, v: &str) -> Result<V::Value, Error> {
    if v.is_empty() || parse_null(v) {
        return visitor.visit_unit();
    }
    if let Some(b) = parse_bool(v) {
        return visitor.visit_bool(b);
    }
    // Shortcut, same result: past null and bool, a scalar starting with a letter is a string
    // (no integer form starts with one, and the float forms that do, `inf`/`nan`, are refused).
    if v.as_bytes()[0].is_ascii_alphabetic() {
        return visitor.visit_str(v);
    }
    if let Some(int) = parse_unsigned_int(v, u64::from_str_radix) {
        return visitor.visit_u64(int);
    }
    if let Some(int) = parse_negative_int(v, i64::from_str_radix) {
        return visitor.visit_i64(int);
    }
    if let Some(int) = parse_unsigned_int(v, u128::from_str_radix) {
        return visitor.visit_u128(int);
    }
    if let Some(int) = parse_negative_int(v, i128::from_str_radix) {
        return visitor.visit_i128(int);
    }
    if !digits_but_not_number(v)
        && let Some(f) = parse_f64(v)
    {
        return visitor.visit_f64(f);
    }
    visitor.visit_str(v)
}

// ---- The serde Deserializer over a Node. ----

/// Why the tree did not deserialize; never shown (the general parser then reports).
#[derive(Debug)]
pub(crate) struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not read by the kubectl YAML fast path")
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Error
    }
}

fn is_null(node: &Node<'_>) -> bool {
    matches!(node, Node::Plain(s) if s.is_empty() || parse_null(s))
}

struct SeqAccess<'n, 'a>(std::slice::Iter<'n, Node<'a>>);

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, '_> {
    type Error = Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct MapAccess<'n, 'a> {
    entries: std::slice::Iter<'n, (&'a str, Node<'a>)>,
    value: Option<&'n Node<'a>>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(&Node::Plain(Cow::Borrowed(key))).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(self.value.take().ok_or(Error)?)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

fn visit_seq<'de, V: Visitor<'de>>(items: &[Node<'_>], visitor: V) -> Result<V::Value, Error> {
    let mut access = SeqAccess(items.iter());
    let value = visitor.visit_seq(&mut access)?;
    // Like serde_yaml_ng: a visitor that stops early is a length error.
    if access.0.len() == 0 {
        Ok(value)
    } else {
        Err(Error)
    }
}

fn visit_map<'de, V: Visitor<'de>>(
    entries: &[(&str, Node<'_>)],
    visitor: V,
) -> Result<V::Value, Error> {
    let mut access = MapAccess {
        entries: entries.iter(),
        value: None,
    };
    let value = visitor.visit_map(&mut access)?;
    if access.entries.len() == 0 {
        Ok(value)
    } else {
        Err(Error)
    }
}

macro_rules! forward_int {
    ($($method:ident => $parse:ident($ty:ty), $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self {
                Node::Plain(s) => match $parse(s, <$ty>::from_str_radix) {
                    Some(v) => visitor.$visit(v),
                    None => Err(Error),
                },
                _ => Err(Error),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &Node<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Plain(s) => visit_plain(visitor, s),
            Node::Text(s) => visitor.visit_str(s),
            Node::Map(m) => visit_map(m, visitor),
            Node::Seq(s) => visit_seq(s, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Plain(s) => visitor.visit_bool(parse_bool(s).ok_or(Error)?),
            _ => Err(Error),
        }
    }

    forward_int! {
        deserialize_i8 => parse_signed_int(i64), visit_i64;
        deserialize_i16 => parse_signed_int(i64), visit_i64;
        deserialize_i32 => parse_signed_int(i64), visit_i64;
        deserialize_i64 => parse_signed_int(i64), visit_i64;
        deserialize_i128 => parse_signed_int(i128), visit_i128;
        deserialize_u8 => parse_unsigned_int(u64), visit_u64;
        deserialize_u16 => parse_unsigned_int(u64), visit_u64;
        deserialize_u32 => parse_unsigned_int(u64), visit_u64;
        deserialize_u64 => parse_unsigned_int(u64), visit_u64;
        deserialize_u128 => parse_unsigned_int(u128), visit_u128;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Plain(s) => visitor.visit_f64(parse_f64(s).ok_or(Error)?),
            _ => Err(Error),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Plain(s) | Node::Text(s) => visitor.visit_str(s),
            _ => Err(Error),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if is_null(self) {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if is_null(self) {
            visitor.visit_unit()
        } else {
            Err(Error)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Seq(s) => visit_seq(s, visitor),
            Node::Plain(s) if s.is_empty() => visit_seq(&[], visitor),
            _ => Err(Error),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Map(m) => visit_map(m, visitor),
            Node::Plain(s) if s.is_empty() => visit_map(&[], visitor),
            _ => Err(Error),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        // Enums are left to the general parser (its tag handling is not reproduced here).
        Err(Error)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::path::Path;

    use serde::Deserialize;

    use super::*;
    use crate::model::parse::{slim_healthy_pod, split_kubectl_list};
    use crate::model::{Claim, Endpoints, Event, KeyedObject, Pod, Service, Workload};

    /// The fast path agrees with serde_yaml_ng on the generic tree: when it reads `text`, the
    /// general parser reads the same values. Returns whether the fast path read it.
    fn same_tree(text: &str, origin: &str) -> bool {
        let Some(node) = parse(text) else {
            return false;
        };
        // A tree that does not convert falls back, like `from_str` (e.g. integers beyond
        // 64 bits, which the generic value type does not take).
        let Ok(fast) = serde_yaml_ng::Value::deserialize(&node) else {
            return false;
        };
        let general: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)
            .unwrap_or_else(|e| panic!("{origin}: fast path read invalid YAML ({e}):\n{text}"));
        assert_eq!(
            format!("{fast:?}"),
            format!("{general:?}"),
            "{origin}:\n{text}"
        );
        true
    }

    /// Same for a model type: a value from the fast path equals the general parser's.
    fn same_object<T: DeserializeOwned + Debug>(text: &str, origin: &str) -> bool {
        let Some(fast) = from_str::<T>(text) else {
            return false;
        };
        let general = crate::yaml::from_str::<T>(text)
            .unwrap_or_else(|e| panic!("{origin}: general parser fails ({e}):\n{text}"));
        assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{origin}");
        true
    }

    fn same_model(file: &str, item: &str, origin: &str) -> bool {
        let name = file.rsplit('/').next().unwrap_or(file);
        match name {
            "pods.yaml" => {
                if let Some(slim) = slim_healthy_pod(item) {
                    assert!(same_tree(&slim, origin));
                    same_object::<Pod>(&slim, origin);
                }
                same_object::<Pod>(item, origin)
            }
            "events.yaml" => same_object::<Event>(item, origin),
            "deployments.yaml" | "replicasets.yaml" | "statefulsets.yaml" | "daemonsets.yaml"
            | "jobs.yaml" | "cronjobs.yaml" => same_object::<Workload>(item, origin),
            "nodes.yaml" => same_object::<crate::model::Node>(item, origin),
            "services.yaml" => same_object::<Service>(item, origin),
            "endpoints.yaml" => same_object::<Endpoints>(item, origin),
            "configmaps.yaml" | "secrets.yaml" => same_object::<KeyedObject>(item, origin),
            "persistentvolumeclaims.yaml" => same_object::<Claim>(item, origin),
            _ => same_object::<serde_yaml_ng::Value>(item, origin),
        }
    }

    fn yaml_files(dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// (items read by the fast path, items in kubectl list files)
    fn check_files(files: &[(String, String)]) -> (usize, usize) {
        let (mut fast, mut total) = (0, 0);
        for (path, text) in files {
            same_tree(text, path);
            let Some(items) = split_kubectl_list(text) else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let origin = format!("{path} item {}", i + 1);
                total += 1;
                let tree = same_tree(item, &origin);
                let model = same_model(path, item, &origin);
                assert!(!model || tree, "{origin}");
                fast += usize::from(model);
            }
        }
        (fast, total)
    }

    #[test]
    fn agrees_with_serde_yaml_ng_on_fixtures_and_samples() {
        let mut files = Vec::new();
        yaml_files(Path::new("fixtures"), &mut files);
        yaml_files(Path::new("samples"), &mut files);
        // The real bundles are read in place when present (never copied into the repository).
        yaml_files(Path::new("/work/shared/fixtures/real-world"), &mut files);
        assert!(files.len() > 100, "{} YAML files", files.len());
        let (fast, total) = check_files(&files);
        assert!(
            fast * 10 >= total * 9,
            "fast path read {fast} of {total} items"
        );
    }

    #[test]
    fn agrees_with_serde_yaml_ng_on_generated_bundles() {
        let opts = crate::generate::GenOptions {
            pods: 300,
            crashloop_percent: 20.0,
            clusters: 1,
            seed: 5,
            log_lines: 5,
        };
        let files = crate::generate::yaml_files(&opts);
        let (fast, total) = check_files(&files);
        assert!(total > 500, "{total} items");
        assert_eq!(fast, total, "generated YAML is kubectl-shaped throughout");
    }

    #[test]
    fn scalars_resolve_like_serde_yaml_ng() {
        let values = [
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "yes",
            "no",
            "on",
            "0",
            "00",
            "007",
            "-0",
            "+1",
            "-1",
            "+-1",
            "1_000",
            "0x1F",
            "0x-1",
            "-0x1F",
            "+0x1F",
            "0o17",
            "-0o17",
            "0b101",
            "-0b101",
            "0b2",
            "1.5",
            "-1.5",
            "1e3",
            "1E3",
            "1.",
            ".5",
            "+.5",
            ".inf",
            "-.inf",
            "+.inf",
            ".Inf",
            ".NaN",
            ".nan",
            "inf",
            "nan",
            "infinity",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999999999999999999999",
            "10.244.1.5",
            "1.2.3",
            "v1",
            "2026-11-28",
            "2026-11-28T05:00:00Z",
            "500m",
            "1Gi",
            "-",
            "-a",
            "a-",
            ":a",
            "a:b",
            "http://x",
            "a b",
            "é",
            "0.0.0.0/0",
            "1:2",
        ];
        for v in values {
            let text = format!("k: {v}\n");
            // Each scalar is either read exactly as serde_yaml_ng reads it, or left to it.
            same_tree(&text, v);
            let quoted = format!("k: \"{v}\"\nq: '{v}'\n");
            assert!(same_tree(&quoted, v), "{quoted}");
        }
    }

    #[test]
    fn kubectl_shapes_are_read_and_others_are_left_alone() {
        let read = [
            "a: 1\nb:\n- x\n- y\nc:\n  d: e\n",
            "a:\n  - x\n  - k: v\n    l: w\n",
            "a: |\n  line 1\n\n    indented\n  line 3\nb: c\n",
            "a: |-\n  x\n\n\nb: c\n",
            "a: |+\n  x\n\n\nb: c\n",
            "a: |\n  x\n\n",
            "a:\n- |\n  block item\n- b\n",
            "a: []\nb: {}\nc: ''\nd: \"\"\n",
            "a: 'it''s'\nb: \"tab\\there \\\"q\\\" \\u00e9 \\x41 \\\\\"\n",
            "a: long plain value\n  continued here\n  and here\nb: c\n",
            "a:\n- long item\n  continued\n",
            "a: 'long single, with: colon\n  and ''quotes'' folded'\nb: c\n",
            "a: \"long double \\\"q\\\"\n  folded\\\n  \\ escaped break\"\nb: c\n",
            "a:\n- - not read\n",
        ];
        let (mut n, mut fast) = (0, 0);
        for text in read {
            n += 1;
            fast += usize::from(same_tree(text, text));
        }
        assert_eq!(fast, n - 1, "all but the nested dash are read");
        let left = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: 1 # comment\n",
            "# comment\na: 1\n",
            "a: [1, 2]\n",
            "a: {b: c}\n",
            "a: long plain\n\n  continued after a blank line\n",
            "a: long plain\n  continued: like a key\n",
            "a: \"long quoted\n\n  continued\"\n",
            "a: 'unclosed\nb: c\n",
            "a: >\n  folded\n",
            "a: |2\n   indented\n",
            "? a\n: b\n",
            "\"a\": b\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: b\n\nc: d\n",
            "a:\n   b: 1\n  c: 2\n",
            "a: b\n---\nc: d\n",
            "a: b: c\n",
            "<<: {a: b}\n",
            "a: b",
            "a: \u{85}\n",
        ];
        for text in left {
            assert!(parse(text).is_none(), "{text:?}");
        }
    }

    /// Random edits of generated kubectl YAML: whatever the fast path still reads, the general
    /// parser reads the same way (or the fast path declines).
    #[test]
    fn mutated_kubectl_yaml_agrees_or_falls_back() {
        let opts = crate::generate::GenOptions {
            pods: 40,
            crashloop_percent: 30.0,
            clusters: 1,
            seed: 9,
            log_lines: 1,
        };
        let mut items: Vec<String> = Vec::new();
        for (_, text) in crate::generate::yaml_files(&opts) {
            items.extend(split_kubectl_list(&text).unwrap_or_default());
        }
        items.retain(|i| i.len() < 6000);
        assert!(items.len() > 50);
        let pieces = [
            " ", "  ", "\n", "\n\n", ":", ": ", "- ", "-", "#", " #", "&a ", "*a", "!", "'", "''",
            "\"", "\\", "\\n", "\\x4", "[", "]", "{", "}", ",", "|", "|-", ">", "?", "~", "0x",
            "0", ".inf", "null", "true", "\t", "%", "@", "`", "é", "\u{2028}", "a: b\n", "- a\n",
            "  - ", "k:\n", "|\n", "---\n",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap_or(0)
        };
        let (mut fast, mut total) = (0, 0);
        for round in 0..4000 {
            let mut text = items[next(items.len())].clone();
            for _ in 0..=next(3) {
                let mut at = next(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match next(3) {
                    0 => text.insert_str(at, pieces[next(pieces.len())]),
                    1 => {
                        let mut end = (at + 1 + next(4)).min(text.len());
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        text.replace_range(at..end.max(at), "");
                    }
                    _ => {
                        let mut end = (at + 1).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        text.replace_range(at..end, pieces[next(pieces.len())]);
                    }
                }
            }
            let origin = format!("round {round}");
            total += 1;
            if same_tree(&text, &origin) {
                fast += 1;
                same_object::<Pod>(&text, &origin);
                same_object::<Event>(&text, &origin);
                same_object::<Workload>(&text, &origin);
            }
        }
        // Many edits keep the text kubectl-shaped; the check is only meaningful if they do.
        assert!(
            fast * 5 > total,
            "fast path read {fast} of {total} mutations"
        );
    }
}
