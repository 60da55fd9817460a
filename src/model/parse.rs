//! Bytes of one resource file -> objects, leniently and item by item.
//!
//! A file may be one `List`, a typed list (`PodList`), a bare array, one object, or several
//! `---`-separated documents; JSON or YAML. Each item is parsed on its own, so a bad item
//! becomes a warning and the rest of the file survives. kubectl's own YAML list shape is split
//! into items by a line scan (and `managedFields` dropped before parsing), which is both the
//! leniency and most of the speed.
//!
//! The items of a large kubectl list are parsed in parallel on the current rayon pool (the
//! one exception to "rayon only in `app.rs`": the pool is `app`'s, with `--threads` workers,
//! and the results keep the item order, so output does not depend on scheduling).

use rayon::prelude::*;
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
pub fn parse_objects<T: DeserializeOwned + Send>(path: &str, bytes: &[u8]) -> Parsed<T> {
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
        #[serde(default)]
        kind: Option<String>,
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
                Ok(ListProbe {
                    items: Some(items), ..
                }) => items,
                // `"items": null` (troubleshoot writes it for empty lists) is an empty list.
                Ok(ListProbe {
                    kind: Some(kind), ..
                }) if kind.ends_with("List") => Vec::new(),
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

fn parse_yaml<T: DeserializeOwned + Send>(path: &str, text: &str, out: &mut Parsed<T>) {
    if let Some(items) = split_kubectl_list(text) {
        let parse = |item: &String| {
            // kubectl's own YAML style is read whole by the fast path; anything else (or an
            // item that does not deserialize) by the general parser, which also words the
            // errors, after cutting healthy pods down (that parser is ~4x slower).
            crate::kubeyaml::from_str::<T>(item).map_or_else(
                || {
                    let slim = slim_healthy_pod(item);
                    yaml::from_str::<T>(slim.as_deref().unwrap_or(item))
                },
                Ok,
            )
        };
        // Small lists are not worth a task each; large ones in chunks of a few dozen items.
        let results: Vec<_> = if items.len() >= 64 {
            items.par_iter().with_min_len(32).map(parse).collect()
        } else {
            items.iter().map(parse).collect()
        };
        for (i, result) in results.into_iter().enumerate() {
            match result {
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

/// A healthy pod's item (kubectl list shape, dedented) cut down to what analysis reads of
/// it, or `None` to parse the item whole. Used only for items the fast path
/// (`crate::kubeyaml`) declines, to spare the general parser most of their status.
///
/// Healthy means: phase `Running`, every container running and ready with `restartCount: 0`,
/// nothing waiting or terminated. Such a pod is never a subject (`correlate::classify`); it
/// only counts towards its workload and node, and its spec is compared with failing revisions
/// (rollout regressions). So `metadata` and `spec` are kept whole, the scalar fields of
/// `status` (`phase`, IPs) too, its container statuses in a minimal form (name, ready, no
/// restarts), and the conditions and the rest of the statuses are dropped. The test is a byte
/// scan, deliberately strict: any doubt parses the whole item.
pub(crate) fn slim_healthy_pod(item: &str) -> Option<String> {
    if !item.lines().any(|l| l == "kind: Pod") || !item.contains("\n  phase: Running\n") {
        return None;
    }
    let mut statuses = 0;
    for line in item.lines() {
        let body = line.trim_start();
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let key = key.strip_prefix("- ").unwrap_or(key);
        match key {
            "waiting" | "terminated" | "deletionTimestamp" => return None,
            "restartCount" if value.trim() != "0" => return None,
            "ready" if value.trim() != "true" => return None,
            "restartCount" => statuses += 1,
            _ => {}
        }
    }
    if statuses == 0 {
        return None;
    }
    let mut out = String::with_capacity(item.len() / 4);
    let lines: Vec<&str> = item.lines().collect();
    let mut section = "";
    // The names of the (all ready, never restarted) container statuses, kept in a minimal form
    // so the pod still reads as running and ready.
    let mut names: Vec<&str> = Vec::new();
    let mut in_statuses = false;
    for (i, line) in lines.iter().enumerate() {
        if section == "status" {
            if line.starts_with("  ") && !line.starts_with("   ") && !line.starts_with("  -") {
                in_statuses = line == &"  containerStatuses:";
            } else if let Some(name) = line
                .strip_prefix("    name: ")
                .or_else(|| line.strip_prefix("  - name: "))
                .filter(|_| in_statuses)
            {
                names.push(name.trim());
            }
        }
        if !line.starts_with(' ') {
            section = line.split(':').next().unwrap_or("");
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if section != "status" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // In status keep only one-line scalars at the first level.
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        if rest.starts_with([' ', '-']) {
            continue;
        }
        let Some((_, value)) = rest.split_once(": ") else {
            continue;
        };
        let continued = lines
            .get(i + 1)
            .is_some_and(|next| next.starts_with("   ") || next.starts_with("  -"));
        if value.is_empty() || value.starts_with(['|', '>', '&', '*', '!']) || continued {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // `status` must be the last section (kubectl sorts keys) for the statuses to land in it.
    if section != "status" || names.len() != statuses {
        return None;
    }
    out.push_str("  containerStatuses:\n");
    for name in names {
        out.push_str("  - name: ");
        out.push_str(name);
        out.push_str("\n    ready: true\n    restartCount: 0\n");
    }
    Some(out)
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
        let null_items = r#"{"kind":"StatefulSetList","apiVersion":"apps/v1","items":null}"#;
        assert!(
            parse_objects::<Pod>("s.json", null_items.as_bytes())
                .items
                .is_empty()
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

    /// Every pod the slim path takes is healthy by a full parse, and keeps the fields analysis
    /// reads of a healthy pod; checked on the generator's pods and every fixture's.
    #[test]
    fn slim_pods_are_healthy_and_keep_what_is_read() {
        let mut texts: Vec<String> = Vec::new();
        let opts = crate::generate::GenOptions {
            pods: 200,
            crashloop_percent: 20.0,
            clusters: 1,
            seed: 3,
            log_lines: 5,
        };
        collect_pod_files(std::path::Path::new("fixtures"), &mut texts);
        texts.extend(crate::generate::pod_files(&opts));
        let (mut slim, mut whole) = (0, 0);
        for text in &texts {
            let Some(items) = split_kubectl_list(text) else {
                continue;
            };
            for item in &items {
                let Ok(full) = yaml::from_str::<Pod>(item) else {
                    continue;
                };
                let Some(cut) = slim_healthy_pod(item) else {
                    whole += 1;
                    continue;
                };
                slim += 1;
                let cut: Pod = yaml::from_str(&cut).expect("a slim pod parses");
                assert_eq!(full.status.phase.as_deref(), Some("Running"));
                for s in full
                    .status
                    .container_statuses
                    .iter()
                    .chain(&full.status.init_container_statuses)
                {
                    assert!(
                        s.ready && s.restart_count == 0 && s.state.running.is_some(),
                        "{item}"
                    );
                    assert!(s.state.waiting.is_none() && s.last_state.terminated.is_none());
                }
                assert_eq!(cut.metadata.name, full.metadata.name);
                assert_eq!(cut.metadata.namespace, full.metadata.namespace);
                assert_eq!(cut.metadata.uid, full.metadata.uid);
                assert_eq!(cut.metadata.labels, full.metadata.labels);
                assert_eq!(
                    format!("{:?}", cut.metadata.owner_references),
                    format!("{:?}", full.metadata.owner_references)
                );
                assert_eq!(cut.spec.node_name, full.spec.node_name);
                assert_eq!(cut.status.phase, full.status.phase);
                // The statuses survive in a minimal form: same names, ready, never restarted.
                let names = |p: &Pod| {
                    p.status
                        .container_statuses
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>()
                };
                assert_eq!(names(&cut), names(&full));
                assert!(
                    cut.status
                        .container_statuses
                        .iter()
                        .all(|c| c.ready && c.restart_count == 0)
                );
            }
        }
        assert!(slim >= 100 && whole >= 20, "slim {slim}, whole {whole}");
    }

    fn collect_pod_files(dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                collect_pod_files(&path, out);
            } else if path.file_name().is_some_and(|n| n == "pods.yaml") {
                out.push(std::fs::read_to_string(&path).expect("read fixture"));
            }
        }
    }

    #[test]
    fn broken_yaml_is_a_warning() {
        let parsed = parse_objects::<Pod>("p.yaml", b"kind: Pod\nmetadata: [unclosed\n");
        assert!(parsed.items.is_empty());
        assert_eq!(parsed.warnings.len(), 1);
    }
}
