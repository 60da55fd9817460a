//! The objects of the sample bundles as plain trees (what `kubectl get -o json` would hold),
//! built the way the API server returns them and then printed by `yaml` or `to_json`.

use std::fmt::Write;

/// A JSON-like value. Maps keep their insertion order (the YAML printer sorts keys itself; the
/// JSON printer keeps the order, as `manifest.json` and managedFields' `k:` keys need).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum V {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<V>),
    Map(M),
}

/// A map in insertion order; setting an existing key replaces its value in place.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct M(pub(crate) Vec<(String, V)>);

impl M {
    pub(crate) fn new() -> M {
        M(Vec::new())
    }

    pub(crate) fn set(&mut self, key: &str, value: impl Into<V>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<V> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The map at `key` (inserted empty when missing).
    pub(crate) fn map_mut(&mut self, key: &str) -> &mut M {
        if !self.contains(key) {
            self.set(key, M::new());
        }
        match self.get_mut(key) {
            Some(V::Map(m)) => m,
            _ => panic!("`{key}` is not a map"),
        }
    }

    /// The list at `key` (inserted empty when missing), as Python's `setdefault(key, [])`.
    pub(crate) fn list_mut(&mut self, key: &str) -> &mut Vec<V> {
        if !self.contains(key) {
            self.set(key, Vec::<V>::new());
        }
        match self.get_mut(key) {
            Some(V::List(l)) => l,
            _ => panic!("`{key}` is not a list"),
        }
    }

    /// The entries of `keys` that are present, in the order of `keys`.
    pub(crate) fn pick(&self, keys: &[&str]) -> M {
        M(keys
            .iter()
            .filter_map(|k| self.get(k).map(|v| ((*k).to_owned(), v.clone())))
            .collect())
    }

    /// All entries but those of `keys`.
    pub(crate) fn without(&self, keys: &[&str]) -> M {
        M(self
            .0
            .iter()
            .filter(|(k, _)| !keys.contains(&k.as_str()))
            .cloned()
            .collect())
    }

    /// A copy with the entries of `other` set over it (Python's `dict(self, **other)`).
    pub(crate) fn with(&self, other: &M) -> M {
        let mut out = self.clone();
        for (k, v) in &other.0 {
            out.set(k, v.clone());
        }
        out
    }

    /// The string at `key`.
    pub(crate) fn str(&self, key: &str) -> &str {
        self.get(key).map_or("", V::str)
    }

    /// The map at `key`.
    pub(crate) fn map(&self, key: &str) -> &M {
        match self.get(key) {
            Some(V::Map(m)) => m,
            _ => panic!("`{key}` is not a map"),
        }
    }

    /// The list at `key` (empty when missing).
    pub(crate) fn list(&self, key: &str) -> &[V] {
        match self.get(key) {
            Some(V::List(l)) => l,
            _ => &[],
        }
    }
}

impl V {
    pub(crate) fn str(&self) -> &str {
        match self {
            V::Str(s) => s,
            _ => panic!("not a string: {self:?}"),
        }
    }

    pub(crate) fn map(&self) -> &M {
        match self {
            V::Map(m) => m,
            _ => panic!("not a map: {self:?}"),
        }
    }

    pub(crate) fn map_mut(&mut self) -> &mut M {
        match self {
            V::Map(m) => m,
            _ => panic!("not a map"),
        }
    }

    /// Python truthiness: false for null, false, 0, "" and empty collections.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            V::Null => false,
            V::Bool(b) => *b,
            V::Int(i) => *i != 0,
            V::Str(s) => !s.is_empty(),
            V::List(l) => !l.is_empty(),
            V::Map(m) => !m.is_empty(),
        }
    }
}

impl From<&str> for V {
    fn from(s: &str) -> V {
        V::Str(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::Str(s)
    }
}
impl From<&String> for V {
    fn from(s: &String) -> V {
        V::Str(s.clone())
    }
}
impl From<i64> for V {
    fn from(i: i64) -> V {
        V::Int(i)
    }
}
impl From<i32> for V {
    fn from(i: i32) -> V {
        V::Int(i64::from(i))
    }
}
impl From<usize> for V {
    fn from(i: usize) -> V {
        V::Int(i64::try_from(i).expect("small"))
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::Bool(b)
    }
}
impl From<M> for V {
    fn from(m: M) -> V {
        V::Map(m)
    }
}
impl From<&M> for V {
    fn from(m: &M) -> V {
        V::Map(m.clone())
    }
}
impl From<Vec<V>> for V {
    fn from(l: Vec<V>) -> V {
        V::List(l)
    }
}
impl From<&V> for V {
    fn from(v: &V) -> V {
        v.clone()
    }
}
impl From<Vec<M>> for V {
    fn from(l: Vec<M>) -> V {
        V::List(l.into_iter().map(V::Map).collect())
    }
}
impl From<Vec<&str>> for V {
    fn from(l: Vec<&str>) -> V {
        V::List(l.into_iter().map(V::from).collect())
    }
}
impl From<Vec<String>> for V {
    fn from(l: Vec<String>) -> V {
        V::List(l.into_iter().map(V::Str).collect())
    }
}

/// `m! { "key" => value, … }`: a map in this order.
macro_rules! m {
    () => { $crate::samples::value::M::new() };
    ($($k:expr => $v:expr),+ $(,)?) => {{
        let mut map = $crate::samples::value::M::new();
        $(map.set($k, $v);)+
        map
    }};
}

/// `l![a, b, …]`: a list.
macro_rules! l {
    ($($v:expr),* $(,)?) => {
        $crate::samples::value::V::List(vec![$($crate::samples::value::V::from($v)),*])
    };
}

pub(crate) use {l, m};

/// Python's `json.dumps(v, indent=2)`.
pub(crate) fn to_json_pretty(v: &V) -> String {
    let mut out = String::new();
    json_value(v, Some(0), &mut out);
    out
}

/// Python's `json.dumps(v, separators=(",", ":"))`.
pub(crate) fn to_json_compact(v: &V) -> String {
    let mut out = String::new();
    json_value(v, None, &mut out);
    out
}

fn json_value(v: &V, indent: Option<usize>, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(level));
    };
    match v {
        V::Null => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Int(i) => {
            let _ = write!(out, "{i}");
        }
        V::Str(s) => json_string(s, out),
        V::List(items) if items.is_empty() => out.push_str("[]"),
        V::Map(m) if m.is_empty() => out.push_str("{}"),
        V::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                json_value(item, indent.map(|l| l + 1), out);
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push(']');
        }
        V::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                json_string(k, out);
                out.push_str(if indent.is_some() { ": " } else { ":" });
                json_value(item, indent.map(|l| l + 1), out);
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Python writes it (`ensure_ascii`).
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(ch),
            _ => {
                let mut buf = [0u16; 2];
                for unit in ch.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}
