//! Replicated troubleshoot support bundles (`kubectl support-bundle`, troubleshoot v0.40 to v0.123
//! seen): `cluster-resources/<kind>/<ns>.json` lists, `cluster-resources/pods/logs/` logs.
//!
//! Quirks handled: one top directory of any name (the archive's base name); lists as `*List`
//! objects, `"items": null`, or bare arrays (older bundles); replicasets filed under
//! `cluster-resources/statefulsets-errors.json/<ns>.json` (an upstream bug around v0.118);
//! `<c>-previous.log` next to `<c>.log` (often byte-identical in back-off, correlation
//! de-duplicates); logs only under a `logs` collector's own directory (before troubleshoot#821,
//! late 2022); collection errors in `*-errors.json`, `*-errors/`, `collector-errors/` and
//! `<c>-logs-errors.log`, reported as warnings. Symlinked duplicates never reach here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{
    BundleFormat, Confidence, Detection, RawBundle, add_documents, add_file, add_log,
    infer_collected_at, reserve_parsed,
};
use crate::bundle::BundleSource;
use crate::model::{Cluster, Time};

/// A Replicated troubleshoot support bundle.
pub(super) struct Troubleshoot;

impl BundleFormat for Troubleshoot {
    fn name(&self) -> &'static str {
        "troubleshoot"
    }

    /// A marker: `cluster-resources/pods/`, which only troubleshoot writes.
    fn detect(&self, raw: &RawBundle) -> Option<Detection> {
        find_root(raw).map(|root| Detection::at(Confidence::Marker, root))
    }

    fn looked_for(&self, single_file: bool) -> Option<&'static str> {
        (!single_file).then_some("a troubleshoot `cluster-resources/pods/`")
    }

    fn read(
        &self,
        source: &BundleSource,
        raw: RawBundle<'_>,
        found: &Detection,
    ) -> (Cluster, Vec<String>) {
        read(source, raw, found.root())
    }
}

/// Most entries quoted from one errors file in its warning.
const MAX_ERRORS_QUOTED: usize = 3;

/// The directory holding `cluster-resources/pods/` (shallowest first), as a prefix ending in
/// `/` (or empty for the archive root).
fn find_root(raw: &RawBundle) -> Option<String> {
    raw.iter_paths()
        .filter_map(|p| {
            let at = p.find("cluster-resources/pods/")?;
            let root = &p[..at];
            (root.is_empty() || root.ends_with('/')).then_some(root)
        })
        .min_by_key(|root| (root.matches('/').count(), *root))
        .map(str::to_owned)
}

/// Reads a troubleshoot bundle rooted at `root`.
fn read(source: &BundleSource, mut raw: RawBundle<'_>, root: &str) -> (Cluster, Vec<String>) {
    let mut warnings = raw.warnings;
    let mut cluster = Cluster {
        name: source.stem(),
        documents: raw.documents.then(Vec::new),
        ..Cluster::default()
    };
    let mut collector_times: Vec<Time> = Vec::new();
    reserve_parsed(&mut cluster, &raw.files);
    for (path, data) in &mut raw.files {
        let Some(rel) = path.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<&str> = rel.split('/').collect();
        match parts.as_slice() {
            ["cluster-resources", "nodes.json"] => {
                add_file(&mut cluster, "nodes", rel, data, &mut warnings);
            }
            ["cluster-resources", dir, file] if file.ends_with(".json") => {
                if let Some(resource) = resource_of(dir) {
                    add_file(&mut cluster, resource, rel, data, &mut warnings);
                } else if is_errors_file(&parts, file) {
                    warnings.push(errors_warning(rel, data.bytes()));
                } else {
                    add_documents(&mut cluster, dir, rel, data.bytes(), &mut warnings);
                }
            }
            ["cluster-info", "cluster_version.json"] => {
                cluster.server_version = server_version(data.bytes());
            }
            ["collector-errors", _] => {
                if let Ok(v) = serde_json::from_slice::<Value>(data.bytes())
                    && let Some(t) = v.get("timestamp").and_then(Value::as_str)
                    && let Some(t) = Time::parse(t)
                {
                    collector_times.push(t);
                }
                warnings.push(errors_warning(rel, data.bytes()));
            }
            ["skipped-collectors.json"] => {
                skipped_collectors(rel, data.bytes(), &mut collector_times, &mut warnings);
            }
            [.., name] if is_errors_file(&parts, name) => {
                warnings.push(errors_warning(rel, data.bytes()));
            }
            // Custom resources, per definition and namespace.
            ["cluster-resources", "custom-resources", definition, file]
                if file.ends_with(".json") || file.ends_with(".yaml") =>
            {
                add_documents(&mut cluster, definition, rel, data.bytes(), &mut warnings);
            }
            // Cluster-scoped lists: `namespaces.json`, `storage-classes.json`, `pvs.json`.
            ["cluster-resources", file] if file.ends_with(".json") => {
                let resource = file.trim_end_matches(".json");
                add_documents(&mut cluster, resource, rel, data.bytes(), &mut warnings);
            }
            _ => {}
        }
    }
    read_logs(&mut cluster, raw.logs, root, &mut warnings);
    cluster.collected_at = collector_times.into_iter().max();
    infer_collected_at(
        &mut cluster,
        "no collector error or skipped-collector timestamps, the only ones troubleshoot writes",
        &mut warnings,
    );
    (cluster, warnings)
}

/// The model resource a `cluster-resources/<dir>/` holds.
pub(super) fn resource_of(dir: &str) -> Option<&'static str> {
    Some(match dir {
        "pods" => "pods",
        "events" => "events",
        "deployments" => "deployments",
        // Troubleshoot ~v0.118 wrote replicasets into this directory by mistake.
        "replicasets" | "statefulsets-errors.json" => "replicasets",
        "statefulsets" => "statefulsets",
        "daemonsets" => "daemonsets",
        "jobs" => "jobs",
        "cronjobs" => "cronjobs",
        "services" => "services",
        "endpoints" => "endpoints",
        "configmaps" => "configmaps",
        "pvcs" => "persistentvolumeclaims",
        _ => return None,
    })
}

/// Whether a file reports collection errors: `X-errors.json`, `errors.json`, `X-error.json`,
/// or any file under a `X-errors/` directory (`configmaps-errors/<ns>/<name>.json`).
fn is_errors_file(parts: &[&str], name: &str) -> bool {
    name == "errors.json"
        || name.ends_with("-errors.json")
        || name.ends_with("-error.json")
        || parts[..parts.len() - 1]
            .iter()
            .any(|d| d.ends_with("-errors"))
}

/// `cluster_version.json`: `{"info": {"gitVersion": ..}, "string": "v1.23.5"}`.
fn server_version(bytes: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    v.get("string")
        .or_else(|| v.get("info").and_then(|i| i.get("gitVersion")))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `skipped-collectors.json`: `[{collector, reason, errors, timestamp}]`. Collectors left out
/// on purpose (`excluded`) are not worth a warning; RBAC-skipped ones are.
fn skipped_collectors(rel: &str, bytes: &[u8], times: &mut Vec<Time>, warnings: &mut Vec<String>) {
    let Ok(Value::Array(entries)) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    for e in &entries {
        if let Some(t) = e
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(Time::parse)
        {
            times.push(t);
        }
        let reason = e.get("reason").and_then(Value::as_str).unwrap_or("");
        if reason != "excluded" {
            let name = e.get("collector").and_then(Value::as_str).unwrap_or("?");
            warnings.push(format!("{rel}: collector `{name}` skipped: {reason}"));
        }
    }
}

/// One warning line for an errors file: its path and the first few errors it lists.
fn errors_warning(rel: &str, bytes: &[u8]) -> String {
    let entries: Vec<String> = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => items.iter().map(one_line).collect(),
        Ok(Value::Object(map)) if map.contains_key("error") => {
            let collector = map.get("collector").and_then(Value::as_str).unwrap_or("?");
            vec![format!(
                "collector `{collector}`: {}",
                map.get("error").map(one_line).unwrap_or_default()
            )]
        }
        Ok(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", one_line(v)))
            .collect(),
        Ok(other) => vec![one_line(&other)],
        Err(_) => vec![first_line(bytes)],
    };
    summarize(rel, &entries)
}

/// `rel: a; b; c (and N more)`.
fn summarize(rel: &str, entries: &[String]) -> String {
    let mut text = format!("collection error in {rel}: ");
    if entries.is_empty() {
        text.push_str("(empty)");
    }
    text.push_str(
        &entries
            .iter()
            .take(MAX_ERRORS_QUOTED)
            .cloned()
            .collect::<Vec<_>>()
            .join("; "),
    );
    if entries.len() > MAX_ERRORS_QUOTED {
        text.push_str(&format!(
            " (and {} more)",
            entries.len() - MAX_ERRORS_QUOTED
        ));
    }
    text
}

fn one_line(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    shorten(text.lines().next().unwrap_or("").trim())
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    shorten(
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("(empty)")
            .trim(),
    )
}

fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Files logs: `cluster-resources/pods/logs/<ns>/<pod>/<c>[-previous].log`, and logs a `logs`
/// collector stored only under its own name (`<collector>/<pod>/<c>[-previous].log`, older
/// bundles) when the pod name is unambiguous and nothing better exists.
fn read_logs(
    cluster: &mut Cluster,
    logs: BTreeMap<String, crate::model::LogFile>,
    root: &str,
    warnings: &mut Vec<String>,
) {
    // (namespace, pod) -> container names, to tell `x-previous.log` from a container `x-previous`.
    let mut containers: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut namespaces_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pod in &cluster.pods {
        let names = pod
            .spec
            .containers
            .iter()
            .chain(&pod.spec.init_containers)
            .chain(&pod.spec.ephemeral_containers)
            .map(|c| c.name.clone())
            .collect();
        containers.insert(
            (pod.metadata.namespace.clone(), pod.metadata.name.clone()),
            names,
        );
        namespaces_of
            .entry(pod.metadata.name.clone())
            .or_default()
            .push(pod.metadata.namespace.clone());
    }
    let mut collector_logs = Vec::new();
    for (path, mut log) in logs {
        let Some(rel) = path.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<&str> = rel.split('/').collect();
        let (ns, pod, file) = match parts.as_slice() {
            ["cluster-resources", "pods", "logs", ns, pod, file] => (*ns, *pod, *file),
            [collector, pod, file] if *collector != "cluster-resources" => {
                collector_logs.push((rel.to_owned(), (*pod).to_owned(), (*file).to_owned(), log));
                continue;
            }
            _ => continue,
        };
        if let Some(container) = file.strip_suffix("-logs-errors.log") {
            warnings.push(format!(
                "{rel}: logs of container `{container}` in pod {ns}/{pod} could not be fetched: {}",
                first_line(&log.text)
            ));
            continue;
        }
        let known = containers.get(&(ns.to_owned(), pod.to_owned()));
        let (container, previous) = split_log_name(file, known);
        log.rename(rel);
        add_log(cluster, ns, pod, &container, previous, log);
    }
    for (rel, pod, file, mut log) in collector_logs {
        let Some([ns]) = namespaces_of.get(&pod).map(Vec::as_slice) else {
            continue;
        };
        let known = containers.get(&(ns.clone(), pod.clone()));
        let (container, previous) = split_log_name(&file, known);
        if known.is_none_or(|k| !k.contains(&container)) {
            continue;
        }
        let slot = cluster.find_logs(ns, &pod, &container).and_then(|l| {
            if previous {
                l.previous.as_ref()
            } else {
                l.current.as_ref()
            }
        });
        if slot.is_none() {
            log.rename(&rel);
            let ns = ns.clone();
            add_log(cluster, &ns, &pod, &container, previous, log);
        }
    }
}

/// `api-previous.log` -> (`api`, previous); `api.log` -> (`api`, current). A container really
/// named `x-previous` (known from the pod spec) keeps its name.
fn split_log_name(file: &str, known: Option<&BTreeSet<String>>) -> (String, bool) {
    let stem = file.strip_suffix(".log").unwrap_or(file);
    match stem.strip_suffix("-previous") {
        Some(c) if known.is_none_or(|k| !k.contains(stem) || k.contains(c)) => (c.to_owned(), true),
        _ => (stem.to_owned(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names() {
        let known: BTreeSet<String> = ["api".to_owned(), "sync-previous".to_owned()].into();
        assert_eq!(
            split_log_name("api.log", Some(&known)),
            ("api".into(), false)
        );
        assert_eq!(
            split_log_name("api-previous.log", Some(&known)),
            ("api".into(), true)
        );
        assert_eq!(
            split_log_name("sync-previous.log", Some(&known)),
            ("sync-previous".into(), false)
        );
        assert_eq!(split_log_name("x-previous.log", None), ("x".into(), true));
    }

    #[test]
    fn error_files_become_one_line_each() {
        let by_ns =
            br#"{"default": "forbidden: cannot list pods", "shop": "timeout", "a": "b", "c": "d"}"#;
        assert_eq!(
            errors_warning("cluster-resources/pods-errors.json", by_ns),
            "collection error in cluster-resources/pods-errors.json: a: b; c: d; default: forbidden: cannot list pods (and 1 more)"
        );
        let collector =
            br#"{"collector":"etcd","error":"not supported","timestamp":"2025-12-10T17:27:09Z"}"#;
        assert_eq!(
            errors_warning("collector-errors/etcd-error.json", collector),
            "collection error in collector-errors/etcd-error.json: collector `etcd`: not supported"
        );
        assert!(is_errors_file(
            &["configmaps-errors", "default", "x.json"],
            "x.json"
        ));
        assert!(!is_errors_file(
            &[
                "cluster-resources",
                "statefulsets-errors.json",
                "default.json"
            ],
            "default.json"
        ));
    }
}
