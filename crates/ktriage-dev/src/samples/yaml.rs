//! YAML as kubectl prints it: sigs.k8s.io/yaml over the go-yaml v2 emitter (best width 80).
//!
//! Keys sorted in go-yaml's natural order, sequences not indented under their key, strings
//! quoted only when go-yaml would (double quotes for strings that would read back as another
//! type, single quotes for strings that cannot be plain), literal blocks for multi-line strings,
//! and long scalars folded at spaces past column 80.
//!
//! `cargo dev generate` writes its YAML from text templates with a simpler quoting rule of its
//! own (`generate::yaml_scalar`: digit-leading strings in single quotes, nothing folded).
//! Printing its values here instead would change every bundle it writes (`value: '8080'` would
//! become `value: "8080"`, `version: '4.2.5'` a plain `4.2.5`), and its bundles are the
//! benchmark's fixed data, so the two stay separate.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use super::value::{M, V, json_string};

const BEST_WIDTH: usize = 80;

/// The plain scalars go-yaml v2 `resolve()` reads as something other than a string.
const RESOLVE_NON_STR: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE", "n", "N", "no", "No",
    "NO", "off", "Off", "OFF", "false", "False", "FALSE", "", "~", "null", "Null", "NULL", "<<",
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
    ".NAN",
];

fn full(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("valid pattern")
}

static GO_INT: LazyLock<Regex> =
    LazyLock::new(|| full(r"[+-]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)"));
static YAML_FLOAT: LazyLock<Regex> =
    LazyLock::new(|| full(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    full(concat!(
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",
        r"([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})",
        r"| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?)?"
    ))
});
static BASE60: LazyLock<Regex> =
    LazyLock::new(|| full(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"));
/// What Go's and Python's float parsers accept after a leading dot.
static DOT_FLOAT: LazyLock<Regex> =
    LazyLock::new(|| full(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?"));

/// go-yaml v2 `resolve()`: would this plain scalar read back as a string?
fn resolves_to_str(s: &str) -> bool {
    if RESOLVE_NON_STR.contains(&s) {
        return false;
    }
    let c = s.chars().next().unwrap_or(' ');
    if "+-0123456789".contains(c) {
        if TIMESTAMP.is_match(s) {
            return false;
        }
        let plain = s.replace('_', "");
        if GO_INT.is_match(&plain) || YAML_FLOAT.is_match(&plain) {
            return false;
        }
    } else if c == '.' && DOT_FLOAT.is_match(s.trim()) {
        return false;
    }
    !BASE60.is_match(s)
}

fn is_printable(ch: char) -> bool {
    let o = u32::from(ch);
    o == 0x0A
        || (0x20..=0x7E).contains(&o)
        || o == 0x85
        || (0xA0..=0xD7FF).contains(&o)
        || ((0xE000..=0xFFFD).contains(&o) && o != 0xFEFF)
        || (0x1_0000..=0x10_FFFF).contains(&o)
}

fn is_ws(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '\r' | '\n')
}

/// The styles a scalar allows, from libyaml's `yaml_emitter_analyze_scalar`.
struct Styles {
    plain: bool,
    single: bool,
    block: bool,
}

fn analyze(s: &str) -> Styles {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut block_ind = s.starts_with("---") || s.starts_with("...");
    let (mut special, mut line_breaks) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_ws = true;
    for (i, &ch) in chars.iter().enumerate() {
        let followed_ws = i + 1 >= n || is_ws(chars[i + 1]);
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                block_ind = true;
            }
            if "?:".contains(ch) && followed_ws {
                block_ind = true;
            }
            if ch == '-' && followed_ws {
                block_ind = true;
            }
        } else {
            if ch == ':' && followed_ws {
                block_ind = true;
            }
            if ch == '#' && preceded_ws {
                block_ind = true;
            }
        }
        if !is_printable(ch) {
            special = true;
        }
        if ch == '\r' || ch == '\n' {
            line_breaks = true;
        }
        if ch == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if ch == '\r' || ch == '\n' {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_ws = is_ws(ch);
    }
    let mut st = Styles {
        plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        st.plain = false;
    }
    if trailing_space {
        st.block = false;
    }
    if break_space {
        st.plain = false;
        st.single = false;
    }
    if space_break || special {
        st.plain = false;
        st.single = false;
        st.block = false;
    }
    if line_breaks || block_ind {
        st.plain = false;
    }
    st
}

/// go-yaml v2 `keyList.Less`: the order kubectl prints map keys in.
fn key_less(a: &[char], b: &[char]) -> bool {
    let digit = |c: char| i64::from(c.to_digit(10).unwrap_or(0));
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            continue;
        }
        let (al, bl) = (a[i].is_alphabetic(), b[i].is_alphabetic());
        if al && bl {
            return a[i] < b[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if a[i] == '0' || b[i] == '0' {
            let mut j = i;
            while j > 0 && a[j - 1].is_ascii_digit() {
                if a[j - 1] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
                j -= 1;
            }
        }
        let mut ai = i;
        while ai < a.len() && a[ai].is_ascii_digit() {
            an = an * 10 + digit(a[ai]);
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && b[bi].is_ascii_digit() {
            bn = bn * 10 + digit(b[bi]);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a[i] < b[i];
    }
    a.len() < b.len()
}

fn key_order(a: &str, b: &str) -> Ordering {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if key_less(&a, &b) {
        Ordering::Less
    } else if key_less(&b, &a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// The document printed so far: finished lines, and the current one with its width in chars.
struct Emitter {
    done: Vec<String>,
    cur: String,
    col: usize,
}

impl Emitter {
    fn newline(&mut self, indent: usize) {
        self.done.push(std::mem::take(&mut self.cur));
        self.cur = " ".repeat(indent);
        self.col = indent;
    }

    fn push(&mut self, s: &str) {
        self.cur.push_str(s);
        self.col += s.chars().count();
    }

    fn push_char(&mut self, ch: char) {
        self.cur.push(ch);
        self.col += 1;
    }

    fn space_if(&mut self, after_key: bool) {
        if after_key {
            self.push_char(' ');
        }
    }

    fn text(mut self) -> String {
        self.done.push(self.cur);
        let mut out = self.done.join("\n");
        out.push('\n');
        out
    }

    /// Writes a scalar; `indent` is where folded continuation lines start.
    fn scalar(&mut self, v: &V, indent: usize, after_key: bool) {
        match v {
            V::Null => {
                self.space_if(after_key);
                self.push("null");
            }
            V::Bool(b) => {
                self.space_if(after_key);
                self.push(if *b { "true" } else { "false" });
            }
            V::Int(i) => {
                self.space_if(after_key);
                self.push(&i.to_string());
            }
            V::Str(s) => self.string(s, indent, after_key),
            V::List(_) | V::Map(_) => unreachable!("collections are not scalars"),
        }
    }

    fn string(&mut self, s: &str, indent: usize, after_key: bool) {
        let st = analyze(s);
        if s.contains('\n') {
            if st.block {
                return self.literal(s, indent, after_key);
            }
            return self.double(s, indent, after_key);
        }
        if !s.is_empty() && resolves_to_str(s) && st.plain {
            return self.plain(s, indent, after_key);
        }
        if !s.is_empty() && resolves_to_str(s) && st.single {
            return self.single(s, indent, after_key);
        }
        self.double(s, indent, after_key);
    }

    fn plain(&mut self, s: &str, indent: usize, after_key: bool) {
        self.space_if(after_key);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &ch) in chars.iter().enumerate() {
            if ch == ' ' {
                let next = chars.get(i + 1).copied();
                if !spaces && self.col > BEST_WIDTH && next != Some(' ') {
                    self.newline(indent);
                } else {
                    self.push_char(ch);
                }
                spaces = true;
            } else {
                self.push_char(ch);
                spaces = false;
            }
        }
    }

    fn single(&mut self, s: &str, indent: usize, after_key: bool) {
        self.space_if(after_key);
        self.push_char('\'');
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        for (i, &ch) in chars.iter().enumerate() {
            if ch == ' ' {
                let next = chars.get(i + 1).copied();
                if !spaces && self.col > BEST_WIDTH && i != 0 && i != n - 1 && next != Some(' ') {
                    self.newline(indent);
                } else {
                    self.push_char(ch);
                }
                spaces = true;
            } else {
                if ch == '\'' {
                    self.push_char('\'');
                }
                self.push_char(ch);
                spaces = false;
            }
        }
        self.push_char('\'');
    }

    fn double(&mut self, s: &str, indent: usize, after_key: bool) {
        self.space_if(after_key);
        self.push_char('"');
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        for (i, &ch) in chars.iter().enumerate() {
            let escape = match ch {
                '\0' => Some('0'),
                '\u{7}' => Some('a'),
                '\u{8}' => Some('b'),
                '\t' => Some('t'),
                '\n' => Some('n'),
                '\u{b}' => Some('v'),
                '\u{c}' => Some('f'),
                '\r' => Some('r'),
                '\u{1b}' => Some('e'),
                '"' => Some('"'),
                '\\' => Some('\\'),
                _ => None,
            };
            if let Some(e) = escape {
                self.push_char('\\');
                self.push_char(e);
                spaces = false;
            } else if !is_printable(ch) {
                let o = u32::from(ch);
                let text = if o <= 0xFF {
                    format!("\\x{o:02X}")
                } else if o <= 0xFFFF {
                    format!("\\u{o:04X}")
                } else {
                    format!("\\U{o:08X}")
                };
                self.push(&text);
                spaces = false;
            } else if ch == ' ' {
                if !spaces && self.col > BEST_WIDTH && i != 0 && i != n - 1 {
                    self.newline(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.push_char('\\');
                    }
                } else {
                    self.push_char(ch);
                }
                spaces = true;
            } else {
                self.push_char(ch);
                spaces = false;
            }
        }
        self.push_char('"');
    }

    fn literal(&mut self, s: &str, indent: usize, after_key: bool) {
        let mut hint = String::new();
        if s.starts_with([' ', '\n']) {
            hint.push('2');
        }
        if !s.ends_with('\n') {
            hint.push('-');
        } else if s == "\n" || s.ends_with("\n\n") {
            hint.push('+');
        }
        self.space_if(after_key);
        self.push("|");
        self.push(&hint);
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            self.done.push(std::mem::take(&mut self.cur));
            if line.is_empty() {
                self.col = 0;
            } else {
                self.cur = format!("{}{line}", " ".repeat(indent));
                self.col = indent + line.chars().count();
            }
        }
    }

    /// Writes a non-empty mapping whose first key goes at the cursor (column `indent`).
    fn mapping(&mut self, map: &M, indent: usize) {
        let mut entries: Vec<&(String, V)> = map.0.iter().collect();
        entries.sort_by(|a, b| key_order(&a.0, &b.0));
        for (i, (k, v)) in entries.into_iter().enumerate() {
            if i > 0 {
                self.newline(indent);
            }
            let st = analyze(k);
            if !k.is_empty() && resolves_to_str(k) && st.plain {
                self.push(k);
            } else if !k.is_empty() && resolves_to_str(k) && st.single {
                self.push(&format!("'{}'", k.replace('\'', "''")));
            } else {
                let mut quoted = String::new();
                json_string(k, &mut quoted);
                self.push(&quoted);
            }
            self.push_char(':');
            self.value(v, indent);
        }
    }

    fn value(&mut self, v: &V, key_indent: usize) {
        match v {
            V::Map(m) if m.is_empty() => self.push(" {}"),
            V::Map(m) => {
                self.newline(key_indent + 2);
                self.mapping(m, key_indent + 2);
            }
            V::List(l) if l.is_empty() => self.push(" []"),
            V::List(l) => {
                self.newline(key_indent);
                self.sequence(l, key_indent);
            }
            _ => self.scalar(v, key_indent + 2, true),
        }
    }

    fn sequence(&mut self, items: &[V], indent: usize) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.newline(indent);
            }
            self.push("- ");
            match item {
                V::Map(m) if m.is_empty() => self.push("{}"),
                V::Map(m) => self.mapping(m, indent + 2),
                V::List(l) if l.is_empty() => self.push("[]"),
                V::List(l) => self.sequence(l, indent + 2),
                _ => self.scalar(item, indent + 2, false),
            }
        }
    }
}

/// A mapping printed as `kubectl get -o yaml` prints it.
pub(crate) fn to_yaml(doc: &M) -> String {
    let mut e = Emitter {
        done: Vec::new(),
        cur: String::new(),
        col: 0,
    };
    e.mapping(doc, 0);
    e.text()
}

/// Drops every `managedFields:` block, as kubectl ≥ 1.21 does without `--show-managed-fields`.
pub(crate) fn strip_managed_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line.ends_with('\n') && &line[indent..] == "managedFields:\n" {
            let pad = &line[..indent];
            let mut dropped = false;
            while let Some(next) = lines.peek() {
                let rest = next.strip_prefix(pad).unwrap_or("");
                if next.ends_with('\n') && (rest.starts_with("- ") || rest.starts_with("  ")) {
                    lines.next();
                    dropped = true;
                } else {
                    break;
                }
            }
            if dropped {
                continue;
            }
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::value::{l, m};

    #[test]
    fn quotes_as_go_yaml() {
        let doc = m! {
            "time" => "2026-11-28T05:00:00Z",
            "port" => "8080",
            "empty" => "",
            "yes" => "yes",
            "colon" => "a: b",
            "hash" => "#x",
            "plain" => "hello world",
            "lines" => "one\ntwo\n",
        };
        assert_eq!(
            to_yaml(&doc),
            "colon: 'a: b'\nempty: \"\"\nhash: '#x'\nlines: |\n  one\n  two\nplain: hello world\nport: \"8080\"\ntime: \"2026-11-28T05:00:00Z\"\n\"yes\": \"yes\"\n"
        );
    }

    #[test]
    fn sorts_keys_naturally_and_folds() {
        let doc = m! { "a10" => 1, "a9" => 2, "b" => l!["x", m! {}], "c" => m! { "d" => V::Null } };
        assert_eq!(
            to_yaml(&doc),
            "a9: 2\na10: 1\nb:\n- x\n- {}\nc:\n  d: null\n"
        );
        let long = "word ".repeat(30);
        let text = to_yaml(&m! { "message" => long.trim_end() });
        assert!(text.lines().all(|l| l.len() <= 90), "{text}");
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[test]
    fn strips_managed_fields() {
        let text = "metadata:\n  managedFields:\n  - manager: x\n    time: y\n  name: a\n";
        assert_eq!(strip_managed_fields(text), "metadata:\n  name: a\n");
    }
}
