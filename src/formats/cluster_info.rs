//! `kubectl cluster-info dump`, in both its forms.
//!
//! Directory (`--output-directory=DIR`): `nodes.json` and `<ns>/{events,services,daemonsets,
//! deployments,replicasets,pods}.json` lists whose items lack `kind`, and `<ns>/<pod>/logs.txt`
//! holding every container's log between `==== START logs for container C of pod NS/POD ====`
//! and `==== END logs for container C of pod NS/POD ====` lines. Extensions follow `-o`
//! (`.json`, `.yaml`, `.txt`).
//!
//! Stdout (no `--output-directory`): the same lists concatenated as JSON documents (nothing
//! between them but a newline) or as `---`-separated YAML documents, with each namespace's log
//! blocks after its lists.
//!
//! Quirks handled: the END marker is written without checking that the log ended in a newline,
//! so it can be glued to the last log line; a log fetch error is written inside the block
//! (`Request log error: ...`) and is not taken for output; only current logs exist (for a
//! container waiting in back-off they are its last terminated instance); a `logs.txt` kept
//! only as a tail may begin inside a block, which its END marker still names. The dump records
//! no collection time, so it is inferred from the latest event or container status.

use std::collections::BTreeSet;

use serde_json::value::RawValue;

use super::{
    BundleFormat, Confidence, Detection, RawBundle, add_documents, add_file, add_log, add_resource,
    infer_collected_at, reserve_parsed,
};
use crate::bundle::BundleSource;
use crate::logscan::Scanner;
use crate::model::{Cluster, LogFile};

const START: &str = "==== START logs for container ";
const END: &str = "==== END logs for container ";
const LIST_EXTENSIONS: [&str; 3] = [".json", ".yaml", ".txt"];

/// `kubectl cluster-info dump`, as a directory or as its stdout saved to one file.
pub(super) struct ClusterInfoDump;

impl BundleFormat for ClusterInfoDump {
    fn name(&self) -> &'static str {
        "cluster-info-dump"
    }

    /// A layout: `nodes.<ext>` beside `<ns>/pods.<ext>` (a directory, one root), or a single
    /// text file holding a `NodeList` or `PodList` document or log blocks (no root).
    fn detect(&self, raw: &RawBundle) -> Option<Detection> {
        if let Some(root) = find_dir_root(raw) {
            return Some(Detection::at(Confidence::Layout, root));
        }
        is_stdout_dump(raw).then(|| Detection {
            confidence: Confidence::Layout,
            roots: Vec::new(),
        })
    }

    fn looked_for(&self, single_file: bool) -> Option<&'static str> {
        Some(if single_file {
            "a `kubectl cluster-info dump` stdout file (a `NodeList` or `PodList` JSON/YAML \
             document, `==== START logs for container` blocks)"
        } else {
            "a `kubectl cluster-info dump` directory (`nodes.json` + `<ns>/pods.json`)"
        })
    }

    fn read(
        &self,
        source: &BundleSource,
        raw: RawBundle<'_>,
        found: &Detection,
    ) -> (Cluster, Vec<String>) {
        match found.roots.first() {
            Some(root) => read_dir(source, raw, root),
            None => read_stdout(source, raw),
        }
    }
}

/// The directory holding `nodes.<ext>` next to at least one `<ns>/pods.<ext>` (shallowest
/// first), as a prefix ending in `/` (or empty).
fn find_dir_root(raw: &RawBundle) -> Option<String> {
    let mut roots: Vec<&str> = raw
        .files
        .keys()
        .filter_map(|p| {
            LIST_EXTENSIONS
                .iter()
                .find_map(|ext| p.strip_suffix(&format!("nodes{ext}")))
        })
        .filter(|root| root.is_empty() || root.ends_with('/'))
        .filter(|root| {
            raw.files.keys().any(|p| {
                p.strip_prefix(*root).is_some_and(|rel| {
                    matches!(rel.split('/').collect::<Vec<_>>()[..],
                        [_, file] if LIST_EXTENSIONS.iter().any(|e| file == format!("pods{e}")))
                })
            })
        })
        .collect();
    roots.sort_by_key(|r| (r.matches('/').count(), *r));
    roots.first().map(|r| (*r).to_owned())
}

/// Whether a single-file input is `cluster-info dump` stdout: it holds a `NodeList` or
/// `PodList` document, or log blocks.
fn is_stdout_dump(raw: &RawBundle) -> bool {
    raw.single_file
        && raw.files.values().next().is_some_and(|data| {
            let text = String::from_utf8_lossy(data.bytes());
            text.lines().any(|l| {
                l.starts_with(START)
                    || l.trim_start().starts_with("\"kind\": \"NodeList\"")
                    || l.trim_start().starts_with("\"kind\": \"PodList\"")
                    || l == "kind: NodeList"
                    || l == "kind: PodList"
            })
        })
}

/// Reads a dump directory rooted at `root`.
fn read_dir(source: &BundleSource, mut raw: RawBundle<'_>, root: &str) -> (Cluster, Vec<String>) {
    let mut warnings = raw.warnings;
    let mut cluster = Cluster {
        name: source.stem(),
        documents: raw.documents.then(Vec::new),
        ..Cluster::default()
    };
    reserve_parsed(&mut cluster, &raw.files);
    for (path, data) in &mut raw.files {
        let Some(rel) = path.strip_prefix(root) else {
            continue;
        };
        match rel.split('/').collect::<Vec<_>>()[..] {
            [file] if strip_list_ext(file) == Some("nodes") => {
                add_file(&mut cluster, "nodes", rel, data, &mut warnings);
            }
            [_ns, file] => {
                if let Some(resource) = strip_list_ext(file) {
                    add_file(&mut cluster, resource, rel, data, &mut warnings);
                } else if let Some(other) =
                    LIST_EXTENSIONS.iter().find_map(|e| file.strip_suffix(e))
                {
                    // `replication-controllers.json`, kept only to be served.
                    add_documents(&mut cluster, other, rel, data.bytes(), &mut warnings);
                }
            }
            _ => {}
        }
    }
    for (path, log) in &raw.logs {
        let Some(rel) = path.strip_prefix(root) else {
            continue;
        };
        if let [_, _, "logs.txt"] = rel.split('/').collect::<Vec<_>>()[..] {
            split_log_blocks(
                &mut cluster,
                (raw.scanner, raw.log_keep),
                rel,
                &log.text,
                log.skipped_lines,
            );
        }
    }
    finish(cluster, warnings)
}

/// Reads a dump written to stdout and saved as one file.
fn read_stdout(source: &BundleSource, raw: RawBundle<'_>) -> (Cluster, Vec<String>) {
    let mut warnings = raw.warnings;
    let mut cluster = Cluster {
        name: source.stem(),
        documents: raw.documents.then(Vec::new),
        ..Cluster::default()
    };
    for (name, data) in &raw.files {
        let bytes = data.bytes();
        let mut docs: Vec<u8> = Vec::new();
        let mut block_start: Option<usize> = None;
        let mut offset = 0;
        let mut segment = 0;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(START.as_bytes()) && block_start.is_none() {
                segment += 1;
                read_documents(&mut cluster, name, segment, &docs, &mut warnings);
                docs.clear();
                block_start = Some(offset);
            }
            if block_start.is_none() {
                docs.extend_from_slice(line);
            } else if contains(line, END.as_bytes())
                && let Some(start) = block_start.take()
            {
                split_log_blocks(
                    &mut cluster,
                    (raw.scanner, raw.log_keep),
                    name,
                    &bytes[start..offset + line.len()],
                    0,
                );
            }
            offset += line.len();
        }
        if let Some(start) = block_start {
            split_log_blocks(
                &mut cluster,
                (raw.scanner, raw.log_keep),
                name,
                &bytes[start..],
                0,
            );
        }
        read_documents(&mut cluster, name, segment + 1, &docs, &mut warnings);
    }
    finish(cluster, warnings)
}

fn finish(mut cluster: Cluster, mut warnings: Vec<String>) -> (Cluster, Vec<String>) {
    infer_collected_at(
        &mut cluster,
        "`kubectl cluster-info dump` does not record it",
        &mut warnings,
    );
    (cluster, warnings)
}

/// `pods.json` -> `pods`; `replication-controllers.json` and other kinds -> `None`.
fn strip_list_ext(file: &str) -> Option<&str> {
    let stem = LIST_EXTENSIONS.iter().find_map(|e| file.strip_suffix(e))?;
    matches!(
        stem,
        "nodes" | "events" | "services" | "daemonsets" | "deployments" | "replicasets" | "pods"
    )
    .then_some(stem)
}

/// The model resource of a list `kind` as the dump writes it.
fn resource_of_kind(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "NodeList" => "nodes",
        "EventList" => "events",
        "ServiceList" => "services",
        "DaemonSetList" => "daemonsets",
        "DeploymentList" => "deployments",
        "ReplicaSetList" => "replicasets",
        "PodList" => "pods",
        _ => return None,
    })
}

/// Reads the JSON or YAML documents between log blocks of a stdout dump.
fn read_documents(
    cluster: &mut Cluster,
    name: &str,
    segment: usize,
    text: &[u8],
    warnings: &mut Vec<String>,
) {
    #[derive(serde::Deserialize)]
    struct KindProbe {
        #[serde(default)]
        kind: String,
    }
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {}
        Some(b'{') => {
            let stream = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
            for (i, doc) in stream.enumerate() {
                let doc = match doc {
                    Ok(doc) => doc,
                    Err(e) => {
                        warnings.push(format!(
                            "{name}: invalid JSON in part {segment} after {i} documents: {e}"
                        ));
                        return;
                    }
                };
                let kind = serde_json::from_str::<KindProbe>(doc.get())
                    .map(|k| k.kind)
                    .unwrap_or_default();
                let label = format!("{name} ({kind} {})", i + 1);
                if let Some(resource) = resource_of_kind(&kind) {
                    add_resource(cluster, resource, &label, doc.get().as_bytes(), warnings);
                } else if let Some(other) = kind.strip_suffix("List") {
                    add_documents(cluster, other, &label, doc.get().as_bytes(), warnings);
                }
            }
        }
        Some(_) => {
            let text = String::from_utf8_lossy(text);
            let mut doc = String::new();
            let mut index = 0;
            for line in text.split_inclusive('\n') {
                if line.trim_end() == "---" {
                    read_yaml_doc(cluster, name, &mut index, &doc, warnings);
                    doc.clear();
                } else {
                    doc.push_str(line);
                }
            }
            read_yaml_doc(cluster, name, &mut index, &doc, warnings);
        }
    }
}

fn read_yaml_doc(
    cluster: &mut Cluster,
    name: &str,
    index: &mut usize,
    doc: &str,
    warnings: &mut Vec<String>,
) {
    if doc.trim().is_empty() {
        return;
    }
    *index += 1;
    let kind = doc
        .lines()
        .find_map(|l| l.strip_prefix("kind:"))
        .map(|k| k.trim().trim_matches('"'))
        .unwrap_or_default();
    let label = format!("{name} ({kind} {index})");
    if let Some(resource) = resource_of_kind(kind) {
        add_resource(cluster, resource, &label, doc.as_bytes(), warnings);
    } else if let Some(other) = kind.strip_suffix("List") {
        add_documents(cluster, other, &label, doc.as_bytes(), warnings);
    }
}

/// Splits `==== START/END logs for container C of pod NS/POD ====` blocks into container logs.
/// `skipped_lines` is how many lines of the file were dropped before `text` (a kept tail). Each
/// container's log is scanned with `scanner` as it is split out, its last `keep` bytes kept.
fn split_log_blocks(
    cluster: &mut Cluster,
    (scanner, keep): (&Scanner, usize),
    source: &str,
    text: &[u8],
    skipped_lines: u64,
) {
    let mut body: Vec<u8> = Vec::new();
    let mut current: Option<(String, String, String)> = None;
    let mut head_cut = skipped_lines > 0;
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut finish =
        |cluster: &mut Cluster, who: (String, String, String), body: &mut Vec<u8>, cut: bool| {
            let text = std::mem::take(body);
            if seen.insert(who.clone()) && !is_fetch_error(&text) {
                let (ns, pod, container) = who;
                let total = text.len() as u64;
                let log = LogFile {
                    source: format!("{source} (container {container})"),
                    text,
                    total_bytes: total,
                    skipped_lines: u64::from(cut),
                    scanned: None,
                }
                .scan(scanner, keep);
                add_log(cluster, &ns, &pod, &container, false, log);
            }
        };
    for line in text.split_inclusive(|&b| b == b'\n') {
        let as_text = String::from_utf8_lossy(line);
        if let Some(rest) = as_text.strip_prefix(START) {
            if let Some(who) = current.take() {
                finish(cluster, who, &mut body, false);
            }
            body.clear();
            current = parse_marker(rest);
            head_cut = false;
            continue;
        }
        if let Some(at) = as_text.find("==== END logs for container ") {
            // The END marker may follow the last log line on the same line.
            let before = &as_text[..at];
            if !before.is_empty() {
                body.extend_from_slice(before.as_bytes());
                body.push(b'\n');
            }
            let who = current
                .take()
                .or_else(|| parse_marker(&as_text[at + END.len()..]));
            if let Some(who) = who {
                finish(cluster, who, &mut body, head_cut);
            }
            body.clear();
            head_cut = false;
            continue;
        }
        body.extend_from_slice(line);
    }
    if let Some(who) = current {
        finish(cluster, who, &mut body, false);
    }
}

/// `C of pod NS/POD ====` -> (NS, POD, C).
fn parse_marker(rest: &str) -> Option<(String, String, String)> {
    let rest = rest.trim_end().strip_suffix("====")?.trim_end();
    let (container, pod) = rest.split_once(" of pod ")?;
    let (ns, pod) = pod.split_once('/')?;
    Some((ns.to_owned(), pod.to_owned(), container.to_owned()))
}

/// A block holding only kubectl's error instead of the container's output.
fn is_fetch_error(text: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&text[..text.len().min(512)]);
    let head = head.trim_start();
    text.len() < 4096
        && (head.starts_with("Request log error:") || head.starts_with("Create log request error:"))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::SCANNER;

    #[test]
    fn glued_end_marker_and_fetch_errors() {
        let text = b"==== START logs for container api of pod shop/api-1 ====\nstarting\npanic: boom==== END logs for container api of pod shop/api-1 ====\n==== START logs for container init of pod shop/api-1 ====\nRequest log error: container \"init\" in pod \"api-1\" is waiting to start: PodInitializing\n==== END logs for container init of pod shop/api-1 ====\n";
        let mut cluster = Cluster::default();
        split_log_blocks(
            &mut cluster,
            (&SCANNER, crate::model::log::KEPT_TAIL_BYTES),
            "shop/api-1/logs.txt",
            text,
            0,
        );
        let logs = cluster.find_logs("shop", "api-1", "api").unwrap();
        let current = logs.current.as_ref().unwrap();
        assert!(logs.previous.is_none());
        let lines: Vec<String> = current.lines().iter().map(|l| l.text.to_string()).collect();
        assert_eq!(lines, ["starting", "panic: boom"]);
        assert!(cluster.find_logs("shop", "api-1", "init").is_none());
    }

    #[test]
    fn tail_starting_inside_a_block_is_named_by_its_end_marker() {
        let text = b"last words\n==== END logs for container api of pod shop/api-1 ====\n";
        let mut cluster = Cluster::default();
        split_log_blocks(
            &mut cluster,
            (&SCANNER, crate::model::log::KEPT_TAIL_BYTES),
            "shop/api-1/logs.txt",
            text,
            40,
        );
        let log = cluster.find_logs("shop", "api-1", "api").unwrap();
        assert!(log.current.as_ref().unwrap().is_truncated());
    }

    #[test]
    fn yaml_stdout_documents_and_blocks() {
        let text = "apiVersion: v1\nitems:\n- metadata:\n    name: node-1\n  status:\n    nodeInfo:\n      architecture: arm64\nkind: NodeList\nmetadata:\n  resourceVersion: \"10\"\n---\napiVersion: v1\nitems:\n- metadata:\n    name: api-1\n    namespace: shop\n  spec:\n    containers:\n    - image: api:1\n      name: api\nkind: PodList\nmetadata:\n  resourceVersion: \"10\"\n==== START logs for container api of pod shop/api-1 ====\nexec /app/api: exec format error\n==== END logs for container api of pod shop/api-1 ====\n---\napiVersion: v1\nitems: []\nkind: EventList\nmetadata:\n  resourceVersion: \"10\"\n";
        let mut raw = RawBundle {
            single_file: true,
            ..RawBundle::new(&SCANNER)
        };
        raw.files
            .insert("dump.yaml".to_owned(), text.as_bytes().to_vec().into());
        assert!(is_stdout_dump(&raw));
        let (cluster, _) = read_stdout(&BundleSource::new("dump.yaml"), raw);
        assert_eq!(cluster.nodes.len(), 1);
        assert_eq!(cluster.pods.len(), 1);
        assert_eq!(cluster.pods[0].source, "dump.yaml (PodList 2)");
        let log = cluster.find_logs("shop", "api-1", "api").unwrap();
        assert_eq!(
            log.current.as_ref().unwrap().lines()[0].text,
            "exec /app/api: exec format error"
        );
        let mut plain = RawBundle {
            single_file: true,
            ..RawBundle::new(&SCANNER)
        };
        plain.files.insert(
            "pods.yaml".to_owned(),
            b"apiVersion: v1\nitems: []\nkind: List\n".to_vec().into(),
        );
        assert!(!is_stdout_dump(&plain));
    }

    #[test]
    fn markers() {
        assert_eq!(
            parse_marker("api of pod shop/api-1 ====\n"),
            Some(("shop".into(), "api-1".into(), "api".into()))
        );
        assert_eq!(parse_marker("garbage"), None);
    }
}
