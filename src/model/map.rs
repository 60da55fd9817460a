//! `Map`: the string maps of Kubernetes objects (labels, annotations, selectors, resource
//! quantities), kept as one sorted list.
//!
//! These maps hold a handful of entries, where a `BTreeMap` allocates a ~0.5 KiB node for even
//! one; a 5,000-pod cluster has tens of thousands of them. Lookups are binary searches.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::de::Scalar;

/// A string-to-string map sorted by key, keys unique.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Map(Vec<(String, String)>);

impl Map {
    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, replacing any value it had.
    pub fn insert(&mut self, key: String, value: String) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// Entries in key order.
    #[must_use]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    #[must_use]
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    #[must_use]
    pub fn values(&self) -> impl ExactSizeIterator<Item = &String> {
        self.0.iter().map(|(_, v)| v)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Map {
    /// Later entries win over earlier ones with the same key, as in a YAML or JSON map.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut entries: Vec<(String, String)> = iter.into_iter().collect();
        // Stable: equal keys keep their order, so the last one is the one kept.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Self(out)
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'de> Deserialize<'de> for Map {
    /// Values may be any scalar (numbers and booleans become their text); `null` is empty and
    /// entries whose value is not a scalar are dropped.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::deserialize_keeping(d, |_| true)
    }
}

impl Map {
    /// Reads a map as `Map::deserialize` does, keeping only the keys `keep` accepts: the values
    /// of the others are stepped over, never built (an annotation such as
    /// `kubectl.kubernetes.io/last-applied-configuration` can hold a whole manifest).
    ///
    /// # Errors
    /// When the value is not a map (or `null`).
    pub fn deserialize_keeping<'de, D: Deserializer<'de>>(
        d: D,
        keep: fn(&str) -> bool,
    ) -> Result<Map, D::Error> {
        struct MapVisitor(fn(&str) -> bool);
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = Map;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Map, E> {
                Ok(Map::default())
            }

            fn visit_none<E: de::Error>(self) -> Result<Map, E> {
                Ok(Map::default())
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Map, D::Error> {
                d.deserialize_map(self)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Map, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
                while let Some(k) = access.next_key::<String>()? {
                    if !(self.0)(&k) {
                        access.next_value::<de::IgnoredAny>()?;
                    } else if let Some(v) = access.next_value::<Scalar>()?.0 {
                        entries.push((k, v));
                    }
                }
                Ok(entries.into_iter().collect())
            }
        }
        d.deserialize_option(MapVisitor(keep))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn reads_like_the_lenient_btree_map_it_replaces() {
        let texts = [
            "a: x\nb: 2\nc: true\nd: null\ne: [1]\n",
            "b: 1\na: 2\nb: 3\n",
            "{}",
            "null",
        ];
        for text in texts {
            let map: Map = serde_yaml_ng::from_str(text).expect(text);
            // The lenient BTreeMap this type replaced: scalar values as text, others dropped.
            let old: BTreeMap<String, String> =
                serde_yaml_ng::from_str::<Option<BTreeMap<String, Scalar>>>(text)
                    .expect(text)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| v.0.map(|v| (k, v)))
                    .collect();
            assert_eq!(
                map.iter().collect::<Vec<_>>(),
                old.iter().collect::<Vec<_>>(),
                "{text}"
            );
        }
        let json: Map = serde_json::from_str(r#"{"z":"1","a":2}"#).expect("json");
        assert_eq!(json.get("a").map(String::as_str), Some("2"));
        assert_eq!(json.get("z").map(String::as_str), Some("1"));
        assert_eq!(json.get("m"), None);
    }

    /// Only accepted keys are kept, whatever the other values are; the fast reader and the
    /// general parser agree.
    #[test]
    fn keeping_some_keys_steps_over_the_others() {
        #[derive(Debug, serde::Deserialize)]
        struct Meta {
            #[serde(deserialize_with = "kept")]
            annotations: Map,
        }
        fn kept<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
            Map::deserialize_keeping(d, |k| k.starts_with("keep"))
        }
        let text = "annotations:\n  applied: |\n    {\"kind\": \"Deployment\",\n     \"spec\": {}}\n  keep-b: 2\n  nested:\n    a: b\n  keep-a: x\n  keep-c:\n    a: b\n";
        let general: Meta = serde_yaml_ng::from_str(text).expect("general");
        let fast: Meta = kubeyaml::from_str(text).expect("fast");
        for meta in [general, fast] {
            assert_eq!(
                meta.annotations.iter().collect::<Vec<_>>(),
                [
                    (&"keep-a".to_owned(), &"x".to_owned()),
                    (&"keep-b".to_owned(), &"2".to_owned())
                ],
                "{meta:?}"
            );
        }
    }

    #[test]
    fn insert_and_lookup_keep_the_order() {
        let mut map: Map = [("b", "1"), ("a", "2")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        map.insert("c".to_owned(), "3".to_owned());
        map.insert("a".to_owned(), "4".to_owned());
        assert_eq!(
            map.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(map.get("a").map(String::as_str), Some("4"));
        assert!(map.contains_key("b") && !map.contains_key("d"));
        assert_eq!(format!("{map:?}"), r#"{"a": "4", "b": "1", "c": "3"}"#);
    }
}
