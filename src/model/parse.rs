//! Bytes of one resource file -> objects, leniently and item by item.
//!
//! A file may be one `List`, a typed list (`PodList`), a bare array, one object, or several
//! `---`-separated documents; JSON or YAML. Each item is parsed on its own, so a bad item
//! becomes a warning and the rest of the file survives. kubectl's own YAML list shape is split
//! into items by a line scan (and `managedFields` dropped before parsing), which is both the
//! leniency and most of the speed.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::yaml;

/// The objects of one file plus the problems met on the way (each names the file and item).
#[derive(Debug)]
pub struct Parsed<T> {
    pub items: Vec<T>,
    pub warnings: Vec<String>,
}

/// Parses `bytes` (read from `path` in the bundle) into objects of type `T`.
#[must_use]
pub fn parse_objects<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Parsed<T> {
    let mut out = Parsed {
        items: Vec::new(),
        warnings: Vec::new(),
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        None => {}
        Some(b'{' | b'[') => parse_json(path, bytes, &mut out),
        Some(_) => match std::str::from_utf8(bytes) {
            Ok(text) => parse_yaml(path, text, &mut out),
            Err(e) => out.warnings.push(format!(
                "{path}: not UTF-8 text (byte {}), skipped",
                e.valid_up_to()
            )),
        },
    }
    out
}

fn parse_json<T: DeserializeOwned>(path: &str, bytes: &[u8], out: &mut Parsed<T>) {
    #[derive(serde::Deserialize)]
    struct ListProbe<'a> {
        #[serde(borrow, default)]
        items: Option<Vec<&'a RawValue>>,
    }
    let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<&RawValue>();
    for (doc_index, doc) in stream.enumerate() {
        let doc = match doc {
            Ok(doc) => doc,
            Err(e) => {
                out.warnings.push(format!("{path}: invalid JSON: {e}"));
                return;
            }
        };
        let text = doc.get();
        let items: Vec<&RawValue> = if text.starts_with('[') {
            match serde_json::from_str::<Vec<&RawValue>>(text) {
                Ok(items) => items,
                Err(e) => {
                    out.warnings
                        .push(format!("{path}: invalid JSON array: {e}"));
                    continue;
                }
            }
        } else if text.starts_with('{') {
            match serde_json::from_str::<ListProbe<'_>>(text) {
                Ok(ListProbe { items: Some(items) }) => items,
                _ => vec![doc],
            }
        } else {
            out.warnings.push(format!(
                "{path}: document {} is not an object or a list",
                doc_index + 1
            ));
            continue;
        };
        for (i, item) in items.into_iter().enumerate() {
            // serde reads a struct from an array too; an item must be an object.
            if !item.get().starts_with('{') {
                out.warnings
                    .push(format!("{path}: item {} is not an object, skipped", i + 1));
                continue;
            }
            match serde_json::from_str::<T>(item.get()) {
                Ok(v) => out.items.push(v),
                Err(e) => out.warnings.push(format!("{path}: item {}: {e}", i + 1)),
            }
        }
    }
}

fn parse_yaml<T: DeserializeOwned>(path: &str, text: &str, out: &mut Parsed<T>) {
    if let Some(items) = split_kubectl_list(text) {
        for (i, item) in items.iter().enumerate() {
            match yaml::from_str::<T>(item) {
                Ok(v) => out.items.push(v),
                Err(e) => out.warnings.push(format!("{path}: item {}: {e}", i + 1)),
            }
        }
        return;
    }
    for (doc_index, doc) in yaml::documents(text).into_iter().enumerate() {
        let value = match doc {
            Ok(v) => v,
            Err(e) => {
                out.warnings.push(format!(
                    "{path}: invalid YAML in document {}: {e}",
                    doc_index + 1
                ));
                return;
            }
        };
        let items = match value {
            yaml::Value::Null => continue,
            yaml::Value::Sequence(seq) => seq,
            yaml::Value::Mapping(mut map) => match map.remove("items") {
                Some(yaml::Value::Sequence(seq)) => seq,
                Some(yaml::Value::Null) => Vec::new(),
                Some(other) => {
                    map.insert("items".into(), other);
                    vec![yaml::Value::Mapping(map)]
                }
                None => vec![yaml::Value::Mapping(map)],
            },
            _ => {
                out.warnings.push(format!(
                    "{path}: document {} is not an object or a list",
                    doc_index + 1
                ));
                continue;
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            if !matches!(item, yaml::Value::Mapping(_)) {
                if !matches!(item, yaml::Value::Null) {
                    out.warnings
                        .push(format!("{path}: item {} is not an object, skipped", i + 1));
                }
                continue;
            }
            match yaml::from_value::<T>(item) {
                Ok(v) => out.items.push(v),
                Err(e) => out.warnings.push(format!("{path}: item {}: {e}", i + 1)),
            }
        }
    }
}

/// Splits YAML in the shape `kubectl get -o yaml` prints a list (`items:` at column 0, each
/// item a `- ` at column 0) into one dedented document per item, with `managedFields`
/// removed. Returns `None` for any other shape, which then goes to the general parser.
pub fn split_kubectl_list(text: &str) -> Option<Vec<String>> {
    let mut lines = text.lines();
    // Header: top-level keys before `items:`, optionally after a leading `---`.
    let mut found = false;
    for line in lines.by_ref() {
        match line {
            "items:" => {
                found = true;
                break;
            }
            "items: []" => return (!has_more_documents(lines.by_ref())).then(Vec::new),
            "---" => {}
            _ if line.starts_with([' ', '-', '\t']) => return None,
            _ => {}
        }
    }
    if !found {
        return None;
    }
    let mut items: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut skip_indent: Option<usize> = None;
    while let Some(line) = lines.next() {
        let (is_start, body) = if let Some(rest) = line.strip_prefix("- ") {
            (true, rest)
        } else if line == "-" {
            (true, "")
        } else if let Some(rest) = line.strip_prefix("  ") {
            (false, rest)
        } else if line.trim().is_empty() {
            (false, "")
        } else if line.starts_with('#') {
            continue;
        } else {
            // A column-0 key: the list is over (`kind: List`, `metadata:` follow).
            if has_more_documents(lines.by_ref()) || line.starts_with("---") {
                return None;
            }
            break;
        };
        if is_start {
            if let Some(item) = current.take() {
                items.push(item);
            }
            current = Some(String::with_capacity(4096));
            skip_indent = None;
        }
        let item = current.as_mut()?;
        let indent = body.len() - body.trim_start_matches(' ').len();
        if let Some(k) = skip_indent {
            let rest = &body[indent..];
            if !body.trim().is_empty() && (indent > k || (indent == k && rest.starts_with("- "))) {
                continue;
            }
            skip_indent = None;
        }
        if body[indent..].starts_with("managedFields:") {
            skip_indent = Some(indent);
            continue;
        }
        item.push_str(body);
        item.push('\n');
    }
    if let Some(item) = current.take() {
        items.push(item);
    }
    Some(items)
}

/// Whether the rest of a YAML text starts another document (`---`).
fn has_more_documents<'a>(mut rest: impl Iterator<Item = &'a str>) -> bool {
    rest.any(|l| l == "---" || l.starts_with("--- "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pod;

    const KUBECTL_LIST: &str = r#"apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    creationTimestamp: "2026-11-28T04:00:00Z"
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:metadata:
          f:labels: {}
      manager: kube-controller-manager
    name: api-1
    namespace: shop
  status:
    containerStatuses:
    - name: api
      restartCount: "3"
- apiVersion: v1
  kind: Pod
  metadata:
    name: api-2
    namespace: shop
  status:
    containerStatuses: [not, a, status]
- apiVersion: v1
  kind: Pod
  metadata:
    name: api-3
    namespace: shop
  status: null
kind: List
metadata:
  resourceVersion: ""
"#;

    #[test]
    fn kubectl_list_is_split_and_lenient() {
        let parsed = parse_objects::<Pod>("namespaces/shop/pods.yaml", KUBECTL_LIST.as_bytes());
        let names: Vec<_> = parsed
            .items
            .iter()
            .map(|p| p.metadata.name.as_str())
            .collect();
        assert_eq!(names, ["api-1", "api-3"]);
        assert_eq!(
            parsed.items[0].status.container_statuses[0].restart_count,
            3
        );
        assert_eq!(parsed.warnings.len(), 1);
        assert!(
            parsed.warnings[0].starts_with("namespaces/shop/pods.yaml: item 2:"),
            "{:?}",
            parsed.warnings
        );
    }

    #[test]
    fn managed_fields_are_dropped_before_parsing() {
        let items = split_kubectl_list(KUBECTL_LIST).unwrap();
        assert_eq!(items.len(), 3);
        assert!(!items[0].contains("managedFields"));
        assert!(!items[0].contains("fieldsV1"));
        assert!(items[0].contains("name: api-1"));
    }

    #[test]
    fn other_shapes() {
        let multi = "---\nkind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: b}\n";
        let parsed = parse_objects::<Pod>("p.yaml", multi.as_bytes());
        assert_eq!(parsed.items.len(), 2);
        let bare = "- metadata: {name: a}\n- metadata: {name: b}\n";
        assert_eq!(
            parse_objects::<Pod>("p.yaml", bare.as_bytes()).items.len(),
            2
        );
        let json =
            r#"{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}"#;
        assert_eq!(
            parse_objects::<Pod>("p.json", json.as_bytes()).items.len(),
            2
        );
        let array = r#"[{"metadata":{"name":"a"}}]{"metadata":{"name":"b"}}"#;
        assert_eq!(
            parse_objects::<Pod>("p.json", array.as_bytes()).items.len(),
            2
        );
        let empty = "apiVersion: v1\nitems: []\nkind: List\n";
        let parsed = parse_objects::<Pod>("p.yaml", empty.as_bytes());
        assert!(parsed.items.is_empty() && parsed.warnings.is_empty());
    }

    #[test]
    fn broken_yaml_is_a_warning() {
        let parsed = parse_objects::<Pod>("p.yaml", b"kind: Pod\nmetadata: [unclosed\n");
        assert!(parsed.items.is_empty());
        assert_eq!(parsed.warnings.len(), 1);
    }
}
