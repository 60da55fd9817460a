//! Bytes of one resource file -> objects, leniently and item by item.
//!
//! A file may be one `List`, a typed list (`PodList`), a bare array, one object, or several
//! `---`-separated documents; JSON or YAML. Each item is parsed on its own, so a bad item
//! becomes a warning and the rest of the file survives. In kubectl's own YAML list shape the
//! items are found by a line scan and read in place (`managedFields` skipped, never parsed),
//! which is both the leniency and most of the speed.
//!
//! A large kubectl list is cut into runs of items parsed in parallel on the current rayon pool
//! (the one exception to "rayon only in `app.rs`": the pool is `app`'s, with `--threads`
//! workers, and the results keep the item order, so output does not depend on scheduling).

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::model::Pod;
use crate::model::pod::SettledPod;
use crate::yaml;
use kubeyaml::{ListLine, Stop};

/// The objects of one file plus the problems met on the way (each names the file and item).
#[derive(Debug)]
pub struct Parsed<T> {
    pub items: Vec<T>,
    pub warnings: Vec<String>,
}

/// Reads one kubectl list item in place: the item whose `- ` line is at a byte offset, and the
/// line after it; `None` to hand the item to the general parser.
pub(crate) type ItemReader<T> = fn(&str, usize) -> Option<(T, Stop)>;

/// Parses `bytes` (read from `path` in the bundle) into objects of type `T`.
#[must_use]
pub fn parse_objects<T: DeserializeOwned + Send>(path: &str, bytes: &[u8]) -> Parsed<T> {
    parse_objects_with(path, bytes, kubeyaml::from_item::<T>)
}

/// Parses `bytes` like `parse_objects`, reading the items of a kubectl list in place with
/// `read` (which may read a cheaper form of the type first).
pub(crate) fn parse_objects_with<T: DeserializeOwned + Send>(
    path: &str,
    bytes: &[u8],
    read: ItemReader<T>,
) -> Parsed<T> {
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
            Ok(text) => parse_yaml(path, text, &mut out, read),
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

fn parse_yaml<T: DeserializeOwned + Send>(
    path: &str,
    text: &str,
    out: &mut Parsed<T>,
    read: ItemReader<T>,
) {
    match parse_kubectl_list_with::<T>(text, MIN_RUN, &mut out.items, read) {
        Some(errors) => out.warnings.extend(
            errors
                .into_iter()
                .map(|(i, e)| format!("{path}: item {}: {e}", i + 1)),
        ),
        None => parse_yaml_documents(path, text, out),
    }
}

/// Parses YAML in any shape with the general parser: each document a list or an object.
fn parse_yaml_documents<T: DeserializeOwned>(path: &str, text: &str, out: &mut Parsed<T>) {
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

/// Parses each item of YAML in the shape `kubectl get -o yaml` prints a list (`items:` at
/// column 0, each item a `- ` at column 0), in order, onto `items`; returns the items that
/// failed (0-based index among all items, error). `None`, with `items` untouched, for any
/// other shape, which then goes to the general parser.
///
/// An item is read in place by the fast path (the `kubeyaml` crate); an item it declines is
/// copied out ([`kubeyaml::item_copy`]: dedented, `managedFields` removed) for the general
/// parser, which also words the errors, after cutting healthy pods down (that parser is ~4x
/// slower). A list of more than `min_run` bytes is cut into runs of items at `- ` lines,
/// read in parallel.
#[cfg(test)]
fn parse_kubectl_list<T: DeserializeOwned + Send>(
    text: &str,
    min_run: usize,
    items: &mut Vec<T>,
) -> Option<Vec<(usize, String)>> {
    parse_kubectl_list_with(text, min_run, items, kubeyaml::from_item::<T>)
}

/// `parse_kubectl_list`, reading items in place with `read`.
fn parse_kubectl_list_with<T: DeserializeOwned + Send>(
    text: &str,
    min_run: usize,
    items: &mut Vec<T>,
    read: ItemReader<T>,
) -> Option<Vec<(usize, String)>> {
    let FirstItem::At(first) = find_first_item(text)? else {
        return Some(Vec::new());
    };
    let before = items.len();
    let mut errors = Vec::new();
    let runs = split_runs(text, first, min_run);
    let stop = if runs.len() > 1 {
        let parts: Vec<Run<T>> = runs
            .par_iter()
            .map(|&(start, end)| {
                let mut run = Run {
                    items: Vec::new(),
                    errors: Vec::new(),
                    count: 0,
                    stop: Stop::Eof,
                };
                (run.count, run.stop) =
                    parse_run(text, start, end, &mut run.items, &mut run.errors, read);
                run
            })
            .collect();
        let mut count = 0;
        let mut stop = Stop::Eof;
        for (run, (_, end)) in parts.into_iter().zip(&runs) {
            items.extend(run.items);
            errors.extend(run.errors.into_iter().map(|(i, e)| (count + i, e)));
            count += run.count;
            stop = run.stop;
            match stop {
                // The run ended where the next one starts.
                Stop::Item(next) => debug_assert_eq!(next, *end),
                Stop::End(_) | Stop::Eof => break,
            }
        }
        stop
    } else {
        parse_run(text, first, text.len(), items, &mut errors, read).1
    };
    if let Stop::End(at) = stop
        && !list_end_is_final(text, at)
    {
        items.truncate(before);
        return None;
    }
    Some(errors)
}

/// The items of one run, parsed on a worker.
struct Run<T> {
    items: Vec<T>,
    /// (index within the run, error)
    errors: Vec<(usize, String)>,
    /// How many items the run has, parsed or not.
    count: usize,
    stop: Stop,
}

/// Parses the items from the one whose `- ` line is at byte `start` up to the first item
/// starting at or after `end` onto `items` and `errors` (index from 0 at `start`). Returns how
/// many items there were and what stopped the run.
fn parse_run<T: DeserializeOwned>(
    text: &str,
    start: usize,
    end: usize,
    items: &mut Vec<T>,
    errors: &mut Vec<(usize, String)>,
    read: ItemReader<T>,
) -> (usize, Stop) {
    let mut at = start;
    let mut count = 0;
    loop {
        let (result, stop) = parse_item(text, at, read);
        match result {
            Ok(v) => items.push(v),
            Err(e) => errors.push((count, e)),
        }
        count += 1;
        match stop {
            Stop::Item(next) if next < end => at = next,
            stop => return (count, stop),
        }
    }
}

/// The item whose `- ` line is at byte `start`, and the line after it.
fn parse_item<T: DeserializeOwned>(
    text: &str,
    start: usize,
    read: ItemReader<T>,
) -> (Result<T, String>, Stop) {
    if let Some((value, stop)) = read(text, start) {
        return (Ok(value), stop);
    }
    let (item, stop) = kubeyaml::item_copy(text, start);
    let slim = slim_healthy_pod(&item);
    (yaml::from_str(slim.as_deref().unwrap_or(&item)), stop)
}

/// Reads a pod item in place as settled first (`SettledPod`, which skips its containers'
/// env, mounts, probes and resources and its volumes), else whole. Most pods of a cluster are
/// settled, and a settled pod is cut down to the same fields either way.
pub(crate) fn read_pod_item(text: &str, start: usize) -> Option<(Pod, Stop)> {
    if let Some((candidate, stop)) = kubeyaml::from_item::<SettledPod>(text, start)
        && let Some(pod) = candidate.into_settled()
    {
        return Some((pod, stop));
    }
    kubeyaml::from_item::<Pod>(text, start)
}

/// The first item of a kubectl-shaped list.
enum FirstItem {
    /// Its `- ` line starts at this byte offset.
    At(usize),
    /// The list has no items.
    Missing,
}

/// Where the items of YAML in kubectl's list shape start; `None` for any other shape.
fn find_first_item(text: &str) -> Option<FirstItem> {
    // Header: top-level keys before `items:`, optionally after a leading `---`.
    let mut pos = 0;
    loop {
        let (line, next) = kubeyaml::line_at(text, pos)?;
        pos = next;
        match line {
            "items:" => break,
            "items: []" => {
                return (!has_more_documents(text[pos..].lines())).then_some(FirstItem::Missing);
            }
            "---" => {}
            _ if line.starts_with([' ', '-', '\t']) => return None,
            _ => {}
        }
    }
    loop {
        let Some((line, next)) = kubeyaml::line_at(text, pos) else {
            return Some(FirstItem::Missing);
        };
        match kubeyaml::list_line(line) {
            ListLine::Start(_) => return Some(FirstItem::At(pos)),
            ListLine::Comment => pos = next,
            // An item's line before any item starts.
            ListLine::Body(_) => return None,
            ListLine::End => return list_end_is_final(text, pos).then_some(FirstItem::Missing),
        }
    }
}

/// Whether the line at byte `at`, which ends the list (`kind: List`), leaves the rest of the
/// text to the list's document: no further documents follow.
fn list_end_is_final(text: &str, at: usize) -> bool {
    let Some((line, next)) = kubeyaml::line_at(text, at) else {
        return true;
    };
    !line.starts_with("---") && !has_more_documents(text[next..].lines())
}

/// Fewer bytes of items than this are not worth a task of their own.
const MIN_RUN: usize = 256 * 1024;

/// Cuts the items from byte `first` on into runs for the current rayon pool: (start, end)
/// byte ranges, each starting at a `- ` line (an item), in order, of about `min_run` bytes or
/// more. One run when the pool has one thread or the text is small.
fn split_runs(text: &str, first: usize, min_run: usize) -> Vec<(usize, usize)> {
    let len = text.len() - first;
    let threads = rayon::current_num_threads();
    let pieces = (threads * 4).min(len / min_run.max(1));
    let mut starts = vec![first];
    if threads > 1 && pieces > 1 {
        let step = len / pieces;
        for k in 1..pieces {
            let last = *starts.last().unwrap_or(&first);
            let mut from = (first + k * step).max(last);
            while !text.is_char_boundary(from) {
                from += 1;
            }
            // Every line starting with `- ` after `items:` starts an item.
            if let Some(i) = text[from..].find("\n- ") {
                starts.push(from + i + 1);
            }
        }
    }
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    starts.iter().copied().zip(ends).collect()
}

/// Splits YAML in the shape `kubectl get -o yaml` prints a list into one dedented document
/// per item, with `managedFields` removed ([`kubeyaml::item_copy`]), as the general parser
/// gets a declined item. Returns `None` for any other shape.
#[must_use]
pub fn split_kubectl_list(text: &str) -> Option<Vec<String>> {
    let items = kubectl_items(text)?;
    Some(items.into_iter().map(|(_, item, _)| item).collect())
}

/// Each item of YAML in kubectl's list shape: the offset of its `- ` line, its copy
/// ([`kubeyaml::item_copy`]) and the line after it. `None` for any other shape.
pub(crate) fn kubectl_items(text: &str) -> Option<Vec<(usize, String, Stop)>> {
    let mut items = Vec::new();
    let FirstItem::At(mut at) = find_first_item(text)? else {
        return Some(items);
    };
    loop {
        let (item, stop) = kubeyaml::item_copy(text, at);
        items.push((at, item, stop));
        match stop {
            Stop::Item(next) => at = next,
            Stop::End(end) => return list_end_is_final(text, end).then_some(items),
            Stop::Eof => return Some(items),
        }
    }
}

/// A healthy pod's item (kubectl list shape, dedented) cut down to what analysis reads of
/// it, or `None` to parse the item whole. Used only for items the fast path
/// (the `kubeyaml` crate) declines, to spare the general parser most of their status.
///
/// Healthy means: phase `Running`, every container running and ready with `restartCount: 0`,
/// nothing waiting or terminated. Such a pod is never a subject (`subjects::classify`); it
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

/// Every YAML file (path, text) under the project's `fixtures/` and `samples/` (the real bundles
/// of `fixtures/real-world/` are archives, read by the format tests). For tests.
#[cfg(test)]
pub(crate) fn fixture_yaml_files() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path.display().to_string(), text));
            }
        }
    }
    let mut out = Vec::new();
    for dir in ["fixtures", "samples"] {
        walk(std::path::Path::new(dir), &mut out);
    }
    out
}

/// The text of every `pods.yaml` under `fixtures/` and `samples/` (for tests).
#[cfg(test)]
pub(crate) fn fixture_pod_lists() -> Vec<String> {
    fixture_yaml_files()
        .into_iter()
        .filter(|(path, _)| std::path::Path::new(path).ends_with("pods.yaml"))
        .map(|(_, text)| text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let opts = ktriage_dev::generate::GenOptions {
            pods: 200,
            crashloop_percent: 20.0,
            clusters: 1,
            seed: 3,
            log_lines: 5,
        };
        texts.extend(fixture_pod_lists());
        texts.extend(ktriage_dev::generate::pod_files(&opts));
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
                crate::model::pod::assert_same_identity(&cut, &full);
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

    /// Pods read settled-first in place are the pods read whole and then cut down, with the
    /// same warnings, on the fixtures' and a generated cluster's pod lists.
    #[test]
    fn pods_read_settled_first_equal_pods_read_whole_then_cut() {
        let mut texts: Vec<String> = Vec::new();
        texts.extend(fixture_pod_lists());
        let opts = ktriage_dev::generate::GenOptions {
            pods: 400,
            crashloop_percent: 10.0,
            clusters: 1,
            seed: 9,
            log_lines: 5,
        };
        texts.extend(ktriage_dev::generate::pod_files(&opts));
        let mut settled = 0;
        for text in &texts {
            let whole = parse_objects::<Pod>("pods.yaml", text.as_bytes());
            let first = parse_objects_with("pods.yaml", text.as_bytes(), read_pod_item);
            assert_eq!(first.warnings, whole.warnings);
            assert_eq!(first.items.len(), whole.items.len());
            for (mut a, mut b) in first.items.into_iter().zip(whole.items) {
                settled += usize::from(b.is_settled());
                a.slim_if_settled();
                b.slim_if_settled();
                assert_eq!(format!("{a:?}"), format!("{b:?}"));
            }
        }
        assert!(settled >= 300, "{settled}");
    }

    #[test]
    fn broken_yaml_is_a_warning() {
        let parsed = parse_objects::<Pod>("p.yaml", b"kind: Pod\nmetadata: [unclosed\n");
        assert!(parsed.items.is_empty());
        assert_eq!(parsed.warnings.len(), 1);
    }

    /// `split_kubectl_list` as it was before items were read in place, kept verbatim as the
    /// reference for the list's line rules.
    fn legacy_split(text: &str) -> Option<Vec<String>> {
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
                if !body.trim().is_empty()
                    && (indent > k || (indent == k && rest.starts_with("- ")))
                {
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

    /// `parse_objects` on YAML as it was: the legacy split, each item read by the fast path
    /// from its copy, else (cut down if a healthy pod) by the general parser.
    fn legacy_parse<T: DeserializeOwned + Send>(path: &str, text: &str) -> Parsed<T> {
        let mut out = Parsed {
            items: Vec::new(),
            warnings: Vec::new(),
        };
        let Some(items) = legacy_split(text) else {
            parse_yaml_documents(path, text, &mut out);
            return out;
        };
        for (i, item) in items.iter().enumerate() {
            let result = kubeyaml::from_str::<T>(item).map_or_else(
                || {
                    let slim = slim_healthy_pod(item);
                    yaml::from_str::<T>(slim.as_deref().unwrap_or(item))
                },
                Ok,
            );
            match result {
                Ok(v) => out.items.push(v),
                Err(e) => out.warnings.push(format!("{path}: item {}: {e}", i + 1)),
            }
        }
        out
    }

    /// `parse_objects` gives what it gave before on a YAML text: the same items, warnings and
    /// order. Returns the number of items.
    fn same_as_legacy<T: DeserializeOwned + Send + std::fmt::Debug>(
        path: &str,
        text: &str,
    ) -> usize {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim_start().starts_with(['{', '[']) {
            return 0;
        }
        let now = parse_objects::<T>(path, text.as_bytes());
        let before = legacy_parse::<T>(path, text);
        assert_eq!(now.warnings, before.warnings, "{path}");
        assert_eq!(
            format!("{:?}", now.items),
            format!("{:?}", before.items),
            "{path}"
        );
        now.items.len()
    }

    /// `same_as_legacy` with the model type of the file `path` names.
    fn same_model_as_legacy(path: &str, text: &str) -> usize {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name {
            "pods.yaml" => same_as_legacy::<Pod>(path, text),
            "events.yaml" => same_as_legacy::<crate::model::Event>(path, text),
            "nodes.yaml" => same_as_legacy::<crate::model::Node>(path, text),
            "services.yaml" => same_as_legacy::<crate::model::Service>(path, text),
            "endpoints.yaml" => same_as_legacy::<crate::model::Endpoints>(path, text),
            "configmaps.yaml" | "secrets.yaml" => {
                same_as_legacy::<crate::model::KeyedObject>(path, text)
            }
            _ => same_as_legacy::<crate::model::Workload>(path, text),
        }
    }

    #[test]
    fn same_results_as_before_on_fixtures_samples_and_generated_bundles() {
        let mut files = fixture_yaml_files();
        let opts = ktriage_dev::generate::GenOptions::reader_tests();
        files.extend(ktriage_dev::generate::yaml_files(&opts));
        let items: usize = files
            .iter()
            .map(|(path, text)| same_model_as_legacy(path, text))
            .sum();
        assert!(items > 1000, "{items} items");
    }

    /// Lists in odd shapes: items after comments and blank lines, `managedFields` first, last
    /// and nested, CRLF lines, items the fast path declines, a list that ends early or is
    /// followed by another document.
    #[test]
    fn same_results_as_before_on_odd_lists() {
        let lists = [
            KUBECTL_LIST.to_owned(),
            KUBECTL_LIST.replace('\n', "\r\n"),
            KUBECTL_LIST.replace("kind: List\n", "kind: List\n---\nkind: Pod\n"),
            KUBECTL_LIST.replace("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: api-2", "# c\n\n- apiVersion: v1\n\tkind: Pod\n  metadata:\n    name: api-2"),
            "items:\n# c\n- metadata:\n    name: a\n- managedFields:\n  - x: 1\n  metadata:\n    name: b\n".to_owned(),
            "items:\n\n- metadata:\n    name: a\n".to_owned(),
            "items:\n  - metadata:\n      name: a\n".to_owned(),
            "items:\nkind: List\n".to_owned(),
            "items:\nkind: List\n--- \nitems: []\n".to_owned(),
            "items: []\n---\nkind: Pod\nmetadata: {name: a}\n".to_owned(),
            "---\napiVersion: v1\nitems:\n- metadata:\n    name: a\n-\n- metadata:\n    name: b\n    labels: {a: b}\n".to_owned(),
            "items:\n- metadata:\n    name: a\n metadata:\n- metadata:\n    name: never-read\n".to_owned(),
            "items:\n- metadata:\n    name: a\n---\n- metadata:\n    name: b\n".to_owned(),
            // A blank line ends the dropped `managedFields`; the lines after it stay.
            "items:\n- metadata:\n    managedFields:\n    - a: 1\n\n    - b: 2\n    name: x\n".to_owned(),
            "items:\n- metadata:\n    managedFields:\n    - a: 1\n        \n      b: 2\n    name: x\n".to_owned(),
            "items:\n- managedFields:\n  - a: 1\n  metadata:\n    name: first\n".to_owned(),
            "items:\n- metadata:\n    name: last\n  managedFields:\n  - a: |\n      text\n- metadata:\n    name: next\n".to_owned(),
            "items:\n- metadata:\n    labels:\n      managedFields: x\n      app: y\n    name: a\n".to_owned(),
        ];
        for (i, list) in lists.iter().enumerate() {
            same_as_legacy::<Pod>(&format!("list {i}"), list);
        }
    }

    /// Random edits of generated list files, at line starts and anywhere: the same results as
    /// before, including for the items and lists the in-place reading declines.
    #[test]
    fn same_results_as_before_on_mutated_lists() {
        let opts = ktriage_dev::generate::GenOptions {
            pods: 12,
            crashloop_percent: 30.0,
            clusters: 1,
            seed: 13,
            log_lines: 1,
        };
        let lists: Vec<(String, String)> = ktriage_dev::generate::yaml_files(&opts)
            .into_iter()
            .filter(|(_, text)| kubectl_items(text).is_some_and(|items| !items.is_empty()))
            .collect();
        assert!(lists.len() > 5 && lists.iter().any(|(_, t)| t.contains("managedFields:")));
        let mut rng = ktriage_dev::generate::Rng::new(0x9E37_79B9_7F4A_7C15);
        for round in 0..400 {
            let (path, list) = &lists[rng.below(lists.len())];
            let mut text = list.clone();
            ktriage_dev::mutate::edit_list(&mut text, &mut rng);
            same_model_as_legacy(&format!("{path} round {round}"), &text);
        }
    }

    /// A list read in runs on a pool of several threads gives the sequential result.
    #[test]
    fn runs_in_parallel_keep_the_order() {
        let opts = ktriage_dev::generate::GenOptions {
            pods: 300,
            crashloop_percent: 20.0,
            clusters: 1,
            seed: 7,
            log_lines: 1,
        };
        let text = ktriage_dev::generate::pod_files(&opts)
            .into_iter()
            .max_by_key(String::len)
            .expect("pod files");
        // Every seventh item broken, so errors come from many runs.
        let text: String = text
            .split("\n- ")
            .enumerate()
            .map(|(i, part)| match i {
                0 => part.to_owned(),
                _ if i % 7 == 0 => format!("\n- status: [unclosed\n  {part}"),
                _ => format!("\n- {part}"),
            })
            .collect();
        let mut sequential = Vec::new();
        let errors = parse_kubectl_list::<Pod>(&text, usize::MAX, &mut sequential);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("a thread pool");
        let runs = pool.install(|| {
            let Some(FirstItem::At(first)) = find_first_item(&text) else {
                panic!("no items");
            };
            split_runs(&text, first, 4096)
        });
        assert!(runs.len() >= 8, "{} runs", runs.len());
        let mut parallel = Vec::new();
        let parallel_errors =
            pool.install(|| parse_kubectl_list::<Pod>(&text, 4096, &mut parallel));
        assert_eq!(parallel_errors, errors);
        assert!(errors.as_ref().is_some_and(|e| e.len() > 5), "{errors:?}");
        assert_eq!(format!("{parallel:?}"), format!("{sequential:?}"));
        assert!(sequential.len() > 50, "{} pods", sequential.len());
        // A document after the list: not kubectl's shape after all, nothing kept.
        let two_documents = format!("{text}---\nkind: Pod\n");
        let mut none = Vec::new();
        let result = pool.install(|| parse_kubectl_list::<Pod>(&two_documents, 4096, &mut none));
        assert!(result.is_none() && none.is_empty());
    }
}
