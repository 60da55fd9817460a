//! What a bundle's members mean: which ones are kept, which dump format they form, and reading
//! each format into a `Cluster`.
//!
//! The bundle reader hands members to a `RawBundle` (the `bundle::Sink`), which parses resource
//! files as they arrive; `load` then finds the format by content and marker paths after finding
//! the real root, never by file name. Each format module maps its layout onto the shared
//! `add_resource` / `add_log` helpers.

mod cluster_info;
mod ktriage;
mod must_gather;
mod raw;
mod troubleshoot;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

pub(crate) use raw::FileData;
pub use raw::RawBundle;

use crate::bundle::{BundleError, BundleSource, Limits};
use crate::logscan::Scanner;
use crate::model::parse::{parse_objects, parse_objects_with};
use crate::model::{Cluster, ContainerLogs, LogFile, Time};

/// One dump format: how sure it is that a read bundle is one of its own, and how to read it
/// into a `Cluster`. Adding a format is one module implementing this and one entry in `FORMATS`.
pub trait BundleFormat: Sync {
    /// The name reports show (`bundles[].format`), unique among `FORMATS`.
    fn name(&self) -> &'static str;

    /// How sure this format is that `raw` is one of its bundles, and where its tree starts;
    /// `None` when it is not. Looks only at paths and at the bytes of files kept whole.
    fn detect(&self, raw: &RawBundle) -> Option<Detection>;

    /// What `detect` looks for, as the message refusing a bundle no format claims names it:
    /// in a tree of files, or (`single_file`) in one text file; `None` when this format never
    /// comes as that kind of input.
    fn looked_for(&self, single_file: bool) -> Option<&'static str>;

    /// Reads a bundle `detect` claimed (`found`) into a cluster, with the warnings met (the
    /// reader's own `raw.warnings` first). `load` normalizes the cluster afterwards.
    fn read(
        &self,
        source: &BundleSource,
        raw: RawBundle<'_>,
        found: &Detection,
    ) -> (Cluster, Vec<String>);
}

impl std::fmt::Debug for dyn BundleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every format read. Which one reads a bundle does not depend on this order (`load` takes the
/// most confident detection); the refusal of a bundle none claims names them in this order.
pub(crate) static FORMATS: &[&dyn BundleFormat] = &[
    &ktriage::Ktriage,
    &troubleshoot::Troubleshoot,
    &must_gather::MustGather,
    &cluster_info::ClusterInfoDump,
];

/// What `BundleFormat::detect` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub confidence: Confidence,
    /// Where the format's trees start in the bundle, as prefixes ending in `/` (empty for the
    /// top): one for most formats, several for a must-gather of several images, none for a
    /// single-file input.
    pub roots: Vec<String>,
}

impl Detection {
    /// A detection of one tree rooted at `root`.
    #[must_use]
    pub fn at(confidence: Confidence, root: String) -> Self {
        Self {
            confidence,
            roots: vec![root],
        }
    }

    /// The first root (the top of the bundle when there is none).
    #[must_use]
    pub fn root(&self) -> &str {
        self.roots.first().map_or("", String::as_str)
    }
}

/// How sure a format is that a bundle is one of its own, least sure first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// Files arranged as this format arranges them, which other trees could also show (a
    /// must-gather's `namespaces/<ns>/<group>/<plural>.yaml`, a cluster-info dump's `nodes.json`
    /// beside `<ns>/pods.json`, a text file holding a `PodList`).
    Layout,
    /// A path only this format writes (troubleshoot's `cluster-resources/pods/`).
    Marker,
    /// The bundle names its format (a ktriage `manifest.json` saying `ktriage-bundle`).
    Declared,
}

/// A bundle read into the model.
#[derive(Debug)]
pub struct Loaded {
    pub format: &'static dyn BundleFormat,
    pub cluster: Cluster,
    pub warnings: Vec<String>,
}

/// Why a bundle could not be read into a `Cluster`.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The input as a whole could not be read.
    #[error(transparent)]
    Read(#[from] BundleError),
    /// No format claims the members read.
    #[error("`{path}` is not a recognized bundle: {detail}")]
    Unrecognized { path: PathBuf, detail: String },
}

/// Reads the bundle at `source` (resource files parsed and logs scanned with `scanner` as they
/// are read) and loads it.
///
/// # Errors
/// As `bundle::read_bundle` and `load`.
pub fn read(
    source: &BundleSource,
    limits: &Limits,
    scanner: &Scanner,
) -> Result<Loaded, LoadError> {
    let mut raw = RawBundle::new(scanner);
    crate::bundle::read_bundle(source, limits, &mut raw)?;
    load(source, raw)
}

/// Reads the bundle at `source` to serve it as it is (`ktriage serve`): the same readers as
/// `read`, with every resource file's objects kept whole in `Cluster::documents` and logs kept
/// as read (up to `Limits::log_window_bytes`) rather than cut to the tail analysis reads.
///
/// # Errors
/// As `read`.
pub(crate) fn read_documents(
    source: &BundleSource,
    limits: &Limits,
    scanner: &Scanner,
) -> Result<Loaded, LoadError> {
    let mut raw = RawBundle::for_documents(scanner);
    crate::bundle::read_bundle(source, limits, &mut raw)?;
    load(source, raw)
}

/// Detects the format of `raw` and reads it into a `Cluster`.
///
/// Every format in `FORMATS` is asked; the most confident detection wins (`Confidence`), and
/// between equally confident ones the format whose name sorts first, so the result never
/// depends on the order of `FORMATS`.
///
/// # Errors
/// `LoadError::Unrecognized` when no known layout is found, naming what was looked for.
pub fn load(source: &BundleSource, raw: RawBundle<'_>) -> Result<Loaded, LoadError> {
    let Some((format, found)) = detect(&raw) else {
        return Err(unrecognized(source, &raw));
    };
    let (mut cluster, warnings) = format.read(source, raw, &found);
    cluster.normalize();
    cluster.drop_unread_events();
    Ok(Loaded {
        format,
        cluster,
        warnings,
    })
}

/// The format `raw` is read as, and what it found (see `load`).
fn detect(raw: &RawBundle) -> Option<(&'static dyn BundleFormat, Detection)> {
    detect_among(FORMATS, raw)
}

/// The most confident of `formats` about `raw`, ties going to the name that sorts first.
fn detect_among(
    formats: &[&'static dyn BundleFormat],
    raw: &RawBundle,
) -> Option<(&'static dyn BundleFormat, Detection)> {
    formats
        .iter()
        .filter_map(|format| Some((*format, format.detect(raw)?)))
        .max_by(|(a, a_found), (b, b_found)| {
            a_found
                .confidence
                .cmp(&b_found.confidence)
                .then_with(|| b.name().cmp(a.name()))
        })
}

/// The error for a bundle no reader claims: what was looked for, and what the bundle seems to be.
fn unrecognized(source: &BundleSource, raw: &RawBundle) -> LoadError {
    let seen = raw.files.len() + raw.logs.len();
    let markers: Vec<&str> = FORMATS
        .iter()
        .filter_map(|f| f.looked_for(raw.single_file))
        .collect();
    let markers = match markers.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [first @ .., last] => format!("{}, and {last}", first.join(", ")),
    };
    let looked_for = if raw.single_file {
        format!("looked for {markers}")
    } else {
        format!(
            "looked for {markers} among {seen} readable files{}",
            if raw.warnings.is_empty() {
                String::new()
            } else {
                format!(" ({} unreadable)", raw.warnings.len())
            }
        )
    };
    let hint = bundle_hint(raw)
        .map(|h| format!("; this looks like {h}"))
        .unwrap_or_default();
    LoadError::Unrecognized {
        path: source.path.clone(),
        detail: format!("no pods found; {looked_for}{hint}"),
    }
}

/// What a bundle no reader claims appears to be, when its paths say so.
fn bundle_hint(raw: &RawBundle) -> Option<&'static str> {
    let has = |marker: &str| raw.iter_paths().any(|p| p.contains(marker));
    let ends = |name: &str| {
        raw.iter_paths()
            .any(|p| p == name || p.ends_with(&format!("/{name}")))
    };
    if has("resources/ns/") || ends("meta/info.json") || ends("serverversion/serverversion.json") {
        Some("Sonobuoy results, which ktriage does not read")
    } else if ends("analysis.json") || ends("version.yaml") {
        Some(
            "a troubleshoot support bundle without `cluster-resources/` (nothing about pods was collected)",
        )
    } else if has("kubecapture/") {
        Some("a crash-diagnostics (crashd) capture, which ktriage does not read")
    } else {
        None
    }
}

/// The latest time anything in the cluster was observed: events, container starts and
/// terminations, pod condition changes. A lower bound for when the bundle was collected.
pub(crate) fn latest_observed(cluster: &Cluster) -> Option<Time> {
    let events = cluster
        .events
        .iter()
        .filter_map(crate::model::Event::time)
        .chain(cluster.latest_event);
    let statuses = cluster.pods.iter().flat_map(|p| {
        let containers = p
            .status
            .container_statuses
            .iter()
            .chain(&p.status.init_container_statuses)
            .flat_map(|c| {
                [
                    c.state.running.as_ref().and_then(|r| r.started_at),
                    c.state.terminated.as_ref().and_then(|t| t.finished_at),
                    c.last_state.terminated.as_ref().and_then(|t| t.finished_at),
                ]
            });
        p.status
            .conditions
            .iter()
            .map(|c| c.last_transition_time)
            .chain(containers)
            .flatten()
    });
    events.chain(statuses).max()
}

/// Sets `collected_at` from `latest_observed` when the bundle did not record it, saying so.
pub(crate) fn infer_collected_at(cluster: &mut Cluster, why: &str, warnings: &mut Vec<String>) {
    if cluster.collected_at.is_some() {
        return;
    }
    match latest_observed(cluster) {
        Some(t) => {
            cluster.collected_at = Some(t);
            warnings.push(format!(
                "collection time not recorded ({why}); inferred {t} from the latest event or container status, so ages may be understated"
            ));
        }
        None => warnings.push(format!(
            "collection time not recorded ({why}) and no timestamps to infer it from; recency cannot be judged"
        )),
    }
}

/// The objects of one resource file, by the model type they parse into.
#[derive(Debug)]
enum Objects {
    Pods(Vec<crate::model::Pod>),
    Events(Vec<crate::model::Event>),
    Workloads(Vec<crate::model::Workload>),
    Nodes(Vec<crate::model::Node>),
    Services(Vec<crate::model::Service>),
    Endpoints(Vec<crate::model::Endpoints>),
    Claims(Vec<crate::model::Claim>),
    /// ConfigMaps or Secrets.
    Keyed(Vec<crate::model::KeyedObject>),
}

/// The resource kinds the model keeps, by plural kubectl name: the one list of them. The
/// collector collects every one (a test reads `collector/ktriage-collect` to check).
const KEPT_RESOURCES: [&str; 14] = [
    "pods",
    "events",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "nodes",
    "services",
    "endpoints",
    "persistentvolumeclaims",
    "configmaps",
    "secrets",
];

/// The model type of a resource (its plural kubectl name), or `None` for kinds not kept.
fn model_resource(resource: &str) -> Option<&'static str> {
    KEPT_RESOURCES.into_iter().find(|k| *k == resource)
}

/// Parses the bytes of a file of kind `resource` (read from `path`); warnings name `path`.
fn parse_resource(resource: &str, path: &str, bytes: &[u8]) -> Option<(Objects, Vec<String>)> {
    fn parsed<T: serde::de::DeserializeOwned + Send>(
        path: &str,
        bytes: &[u8],
        wrap: fn(Vec<T>) -> Objects,
    ) -> (Objects, Vec<String>) {
        let parsed = parse_objects::<T>(path, bytes);
        (wrap(parsed.items), parsed.warnings)
    }
    Some(match resource {
        // Settled pods are cut down as soon as they are parsed, file by file.
        "pods" => {
            let parsed = parse_objects_with(path, bytes, crate::model::parse::read_pod_item);
            let mut pods = parsed.items;
            // Items read whole (JSON, the general parser) are cut down here.
            pods.iter_mut().for_each(crate::model::Pod::slim_if_settled);
            (Objects::Pods(pods), parsed.warnings)
        }
        "events" => parsed(path, bytes, Objects::Events),
        "replicasets" => parsed(path, bytes, |mut sets| {
            crate::model::objects::drop_unused_templates(&mut sets);
            Objects::Workloads(sets)
        }),
        "deployments" | "statefulsets" | "daemonsets" | "jobs" | "cronjobs" => parsed(
            path,
            bytes,
            |items: Vec<crate::model::objects::UntemplatedWorkload>| {
                let mut out = Vec::with_capacity(items.len());
                out.extend(items.into_iter().map(crate::model::Workload::from));
                Objects::Workloads(out)
            },
        ),
        "nodes" => parsed(path, bytes, Objects::Nodes),
        "services" => parsed(path, bytes, Objects::Services),
        "endpoints" => parsed(path, bytes, Objects::Endpoints),
        "persistentvolumeclaims" => parsed(path, bytes, Objects::Claims),
        "configmaps" | "secrets" => parsed(path, bytes, Objects::Keyed),
        _ => return None,
    })
}

/// A resource file parsed while the bundle was read, so that a bundle's bytes are never all
/// in memory at once (`FileData::Parsed`). Only files whose path names their kind
/// unambiguously are parsed early (see `resource_hint`); the format readers then ask for them
/// by the same kind.
#[derive(Debug)]
pub struct ParsedFile {
    resource: &'static str,
    /// The member path the file was parsed under; its warnings start with it.
    path: String,
    objects: Objects,
    warnings: Vec<String>,
    /// The latest time of the file's events, those dropped as unread included.
    latest_event: Option<Time>,
}

/// Parses a bundle member as it is read when its path names a kind the model keeps, else
/// keeps its bytes for the format readers. `earlier` are the members read before it.
fn digest(path: &str, bytes: &[u8], earlier: &BTreeMap<String, FileData>) -> FileData {
    let Some(resource) = resource_hint(path) else {
        return FileData::Bytes(bytes.to_vec());
    };
    let Some((mut objects, warnings)) = parse_resource(resource, path, bytes) else {
        return FileData::Bytes(bytes.to_vec());
    };
    let mut latest_event = None;
    if let Objects::Events(events) = &mut objects {
        latest_event = events.iter().filter_map(crate::model::Event::time).max();
        drop_events_of_settled_pods(path, events, earlier);
    }
    FileData::Parsed(Box::new(ParsedFile {
        resource,
        path: path.to_owned(),
        objects,
        warnings,
        latest_event,
    }))
}

/// Whether two list files of a layout hold the same namespace's objects: side by side
/// (`namespaces/<ns>/pods.yaml` and `events.yaml` in ktriage bundles and must-gathers,
/// `<ns>/pods.json` in cluster-info dumps), or by one name under sibling kind folders
/// (troubleshoot's `cluster-resources/pods/<ns>.json`). An events file compared with the pods of
/// its own namespace only keeps the work linear in the number of namespaces.
fn same_namespace_files(a: &str, b: &str) -> bool {
    fn split(p: &str) -> (&str, &str, &str) {
        let (dir, file) = p.rsplit_once('/').unwrap_or(("", p));
        let up = dir.rsplit_once('/').map_or("", |(up, _)| up);
        (dir, up, file)
    }
    let ((dir_a, up_a, file_a), (dir_b, up_b, file_b)) = (split(a), split(b));
    dir_a == dir_b || (up_a == up_b && file_a == file_b)
}

/// Drops the events about pods that files read earlier show settled (`Pod::is_settled`): a
/// settled pod has no subject, and only a subject's pod's events are read
/// (`subjects::build`). Most of a bundle's events are such (a healthy pod's `Scheduled`,
/// `Pulled`, `Created`, `Started`), and events take more memory than their YAML. A pod in
/// several files must be settled in each; only the pods files of the events file's namespace
/// are looked at (`same_namespace_files`). `Cluster::drop_unread_events` does the same once
/// every file is in, for layouts that list events before pods or all namespaces in one file.
fn drop_events_of_settled_pods(
    path: &str,
    events: &mut Vec<crate::model::Event>,
    earlier: &BTreeMap<String, FileData>,
) {
    let mut settled: HashMap<(&str, &str), bool> = HashMap::new();
    for (pods_path, data) in earlier {
        if let FileData::Parsed(parsed) = data
            && let Objects::Pods(pods) = &parsed.objects
            && same_namespace_files(path, pods_path)
        {
            for p in pods {
                *settled
                    .entry((&p.metadata.namespace, &p.metadata.name))
                    .or_insert(true) &= p.is_settled();
            }
        }
    }
    if !settled.values().any(|&s| s) {
        return;
    }
    events.retain(|e| {
        let o = e.object();
        let about_pod = o.kind == "Pod" || o.kind.is_empty();
        !(about_pod && settled.get(&(o.namespace.as_str(), o.name.as_str())) == Some(&true))
    });
    events.shrink_to_fit();
}

/// The kind of resource a member path names in every layout read here, when it does so
/// unambiguously: `cluster-resources/<kind>/<namespace>.json` (troubleshoot), else a file named
/// `<kind>.yaml|.json|.txt` (ktriage, must-gather lists, cluster-info dumps) whose two parent
/// directories are not kinds themselves (so must-gather's per-object copies
/// `<group>/<kind>/<name>.yaml` and `pods/<pod>/<pod>.yaml` are never mistaken for lists).
fn resource_hint(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.split('/').collect();
    if let [.., "cluster-resources", dir, file] = parts[..] {
        return file
            .ends_with(".json")
            .then(|| troubleshoot::resource_of(dir))
            .flatten();
    }
    let (file, parents) = parts.split_last()?;
    let stem = [".yaml", ".json", ".txt"]
        .iter()
        .find_map(|e| file.strip_suffix(e))?;
    let resource = model_resource(stem)?;
    let kind_dir = |d: &&str| model_resource(d).is_some() || troubleshoot::resource_of(d).is_some();
    (!parents.iter().rev().take(2).any(kind_dir)).then_some(resource)
}

/// Adds one kept file of kind `resource` to the cluster: parsed already, or parsed now from
/// its bytes. `rel` names it in sources and warnings. Returns whether the kind is one the
/// model keeps.
pub(crate) fn add_file(
    cluster: &mut Cluster,
    resource: &str,
    rel: &str,
    data: &mut FileData,
    warnings: &mut Vec<String>,
) -> bool {
    // Read for documents, no file is parsed as it arrives (`RawBundle::file`), so every one
    // goes through `add_resource`, which keeps its objects whole.
    let FileData::Parsed(parsed) = data else {
        return add_resource(cluster, resource, rel, data.bytes(), warnings);
    };
    if parsed.resource != resource {
        warnings.push(format!(
            "{rel}: read as {} by its name, but this bundle's layout makes it {resource}; skipped",
            parsed.resource
        ));
        return false;
    }
    let parsed = std::mem::replace(data, FileData::Bytes(Vec::new()));
    let FileData::Parsed(parsed) = parsed else {
        return false;
    };
    let ParsedFile {
        path,
        objects,
        warnings: parse_warnings,
        latest_event,
        ..
    } = *parsed;
    cluster.latest_event = cluster.latest_event.max(latest_event);
    warnings.extend(
        parse_warnings
            .into_iter()
            .map(|w| match w.strip_prefix(&path) {
                Some(rest) if rel != path => format!("{rel}{rest}"),
                _ => w,
            }),
    );
    insert(cluster, resource, rel, objects);
    true
}

/// Parses one resource file of kind `resource` (the plural kubectl name: `pods`, `events`,
/// `deployments`, …) into the cluster. Unknown kinds are ignored. Returns whether the kind
/// is one the model keeps.
pub(crate) fn add_resource(
    cluster: &mut Cluster,
    resource: &str,
    path: &str,
    bytes: &[u8],
    warnings: &mut Vec<String>,
) -> bool {
    if cluster.documents.is_some() {
        add_documents(cluster, resource, path, bytes, &mut Vec::new());
    }
    let Some((objects, parse_warnings)) = parse_resource(resource, path, bytes) else {
        return false;
    };
    warnings.extend(parse_warnings);
    insert(cluster, resource, path, objects);
    true
}

/// Keeps the objects of one resource file of kind `resource` whole in `Cluster::documents`
/// when the bundle is read for them (`read_documents`); does nothing otherwise. Formats call it
/// for the files of kinds the model does not keep (`add_resource` does for the others).
/// Warnings name `path`.
pub(crate) fn add_documents(
    cluster: &mut Cluster,
    resource: &str,
    path: &str,
    bytes: &[u8],
    warnings: &mut Vec<String>,
) {
    let Some(documents) = cluster.documents.as_mut() else {
        return;
    };
    let parsed = parse_objects::<serde_json::Value>(path, bytes);
    warnings.extend(parsed.warnings);
    documents.push(crate::model::ResourceFile {
        resource: resource.to_owned(),
        path: path.to_owned(),
        objects: parsed.items,
    });
}

/// Makes room in the cluster's lists for every object parsed while the bundle was read, so
/// that adding file after file moves each object once (growing by doubling copied the lists
/// over and over: a few MB of pods and events each time).
pub(crate) fn reserve_parsed(cluster: &mut Cluster, files: &BTreeMap<String, FileData>) {
    let mut pods = 0;
    let mut events = 0;
    let mut workloads = 0;
    for data in files.values() {
        if let FileData::Parsed(parsed) = data {
            match &parsed.objects {
                Objects::Pods(items) => pods += items.len(),
                Objects::Events(items) => events += items.len(),
                Objects::Workloads(items) => workloads += items.len(),
                _ => {}
            }
        }
    }
    cluster.pods.reserve_exact(pods);
    cluster.events.reserve_exact(events);
    cluster.workloads.reserve_exact(workloads);
}

/// Adds the objects of one file (read from `path`) to the cluster.
fn insert(cluster: &mut Cluster, resource: &str, path: &str, objects: Objects) {
    match objects {
        Objects::Pods(items) => cluster.pods.extend(items.into_iter().map(|mut p| {
            path.clone_into(&mut p.source);
            p
        })),
        Objects::Events(items) => {
            let path: std::sync::Arc<str> = path.into();
            cluster.events.extend(items.into_iter().map(|mut e| {
                e.source_path = std::sync::Arc::clone(&path);
                e
            }));
        }
        Objects::Workloads(items) => {
            let kind = workload_kind(resource);
            cluster.workloads.extend(items.into_iter().map(|mut w| {
                kind.clone_into(&mut w.kind);
                path.clone_into(&mut w.source);
                w
            }));
        }
        Objects::Nodes(items) => cluster.nodes.extend(items),
        Objects::Services(items) => cluster.services.extend(items),
        Objects::Endpoints(items) => cluster.endpoints.extend(items.into_iter().map(|mut e| {
            path.clone_into(&mut e.source);
            e
        })),
        Objects::Claims(items) => cluster.claims.extend(items),
        Objects::Keyed(items) => {
            let (list, collected) = if resource == "secrets" {
                (&mut cluster.secrets, &mut cluster.secrets_collected)
            } else {
                (&mut cluster.config_maps, &mut cluster.config_maps_collected)
            };
            collected.extend(items.iter().map(|c| c.metadata.namespace.clone()));
            list.extend(items);
        }
    }
}

/// The `kind` of a workload resource name.
fn workload_kind(resource: &str) -> &'static str {
    match resource {
        "deployments" => "Deployment",
        "replicasets" => "ReplicaSet",
        "statefulsets" => "StatefulSet",
        "daemonsets" => "DaemonSet",
        "jobs" => "Job",
        _ => "CronJob",
    }
}

/// Files a log under its container; `previous` selects the previous instance.
pub(crate) fn add_log(
    cluster: &mut Cluster,
    namespace: &str,
    pod: &str,
    container: &str,
    previous: bool,
    log: LogFile,
) {
    let entry: &mut ContainerLogs = cluster
        .logs
        .entry((namespace.to_owned(), pod.to_owned(), container.to_owned()))
        .or_default();
    let slot = if previous {
        &mut entry.previous
    } else {
        &mut entry.current
    };
    *slot = Some(log);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{Sink, Tail};
    use crate::rules::registry::SCANNER;

    /// A bundle of `files` (path, bytes) and `logs` (paths), handed over as the reader would.
    fn members(files: &[(&str, &str)], logs: &[&str]) -> RawBundle<'static> {
        let mut raw = RawBundle::new(&SCANNER);
        for (path, text) in files {
            raw.file((*path).to_owned(), text.as_bytes());
        }
        for path in logs {
            raw.tail(Tail {
                path: (*path).to_owned(),
                text: b"2026-11-28T04:59:01.000000000Z starting\n".to_vec(),
                total_bytes: 40,
                skipped_lines: 0,
            });
        }
        raw
    }

    const MANIFEST: &str = r#"{"format": "ktriage-bundle", "format_version": 1}"#;
    const EMPTY_LIST: &str =
        "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";

    /// The format each bundle is read as, whatever the order of `FORMATS`.
    fn detected(raw: &RawBundle) -> &'static str {
        let (format, _) = detect(raw).expect("a format claims it");
        let mut reversed = FORMATS.to_vec();
        reversed.reverse();
        let (again, _) = detect_among(&reversed, raw).expect("a format claims it");
        assert_eq!(format.name(), again.name());
        format.name()
    }

    /// Every kind the model keeps is collected by `ktriage-collect`: nodes once for the
    /// cluster, the others per namespace (its `resources=` list, which may hold more kinds,
    /// collected for people to read).
    #[test]
    fn the_collector_collects_every_kept_kind() {
        let script = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/collector/ktriage-collect"
        ))
        .expect("the collector script is in the repository and the package");
        let per_namespace: Vec<&str> = script
            .lines()
            .find_map(|l| l.strip_prefix("resources='")?.strip_suffix('\''))
            .expect("the collector lists the kinds it collects per namespace in `resources='...'`")
            .split_whitespace()
            .collect();
        assert!(script.contains("cluster/nodes.yaml - get nodes -o yaml"));
        for kind in KEPT_RESOURCES.into_iter().filter(|k| *k != "nodes") {
            assert!(
                per_namespace.contains(&kind),
                "`{kind}` is kept by the model but not collected: {per_namespace:?}"
            );
        }
    }

    /// The refusal names what every format looks for, in a tree of files or in one file.
    #[test]
    fn the_refusal_names_what_every_format_looks_for() {
        let refusal = |raw: RawBundle<'_>, name: &str| {
            load(&BundleSource::new(name), raw)
                .expect_err("no format claims it")
                .to_string()
        };
        let sonobuoy = members(
            &[
                ("results/meta/info.json", "{}"),
                ("results/plugins/e2e/sonobuoy_results.yaml", "name: e2e\n"),
            ],
            &[],
        );
        assert_eq!(
            refusal(sonobuoy, "results.tar.gz"),
            "`results.tar.gz` is not a recognized bundle: no pods found; looked for a ktriage \
             `manifest.json`, a troubleshoot `cluster-resources/pods/`, a must-gather \
             `namespaces/<ns>/core/pods.yaml` or `namespaces/<ns>/pods/`, and a `kubectl \
             cluster-info dump` directory (`nodes.json` + `<ns>/pods.json`) among 2 readable \
             files; this looks like Sonobuoy results, which ktriage does not read"
        );
        let mut notes = RawBundle::new(&SCANNER);
        notes.single_file("notes.txt".to_owned(), b"kubectl get pods\n".to_vec());
        assert_eq!(
            refusal(notes, "notes.txt"),
            "`notes.txt` is not a recognized bundle: no pods found; looked for a `kubectl \
             cluster-info dump` stdout file (a `NodeList` or `PodList` JSON/YAML document, \
             `==== START logs for container` blocks)"
        );
    }

    #[test]
    fn format_names_are_unique() {
        let mut names: Vec<&str> = FORMATS.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len(), "{names:?}");
    }

    /// Where two formats claim one bundle, the more confident wins; at equal confidence, the
    /// name that sorts first.
    #[test]
    fn the_most_confident_format_wins_in_any_order() {
        let ktriage_and_troubleshoot = members(
            &[
                ("b/manifest.json", MANIFEST),
                ("b/namespaces/shop/pods.yaml", EMPTY_LIST),
                ("b/cluster-resources/pods/shop.json", "[]"),
            ],
            &[],
        );
        assert_eq!(detected(&ktriage_and_troubleshoot), "ktriage");

        let troubleshoot_and_must_gather = members(
            &[
                ("sb/cluster-resources/pods/shop.json", "[]"),
                ("sb/namespaces/shop/core/pods.yaml", EMPTY_LIST),
            ],
            &[],
        );
        assert_eq!(detected(&troubleshoot_and_must_gather), "troubleshoot");

        let must_gather_and_dump = members(
            &[
                ("x/namespaces/shop/core/pods.yaml", EMPTY_LIST),
                ("x/nodes.json", "{}"),
                ("x/shop/pods.json", "{}"),
            ],
            &["x/shop/api-1/logs.txt"],
        );
        let (_, found) = detect(&must_gather_and_dump).expect("claimed");
        assert_eq!(found.confidence, Confidence::Layout);
        assert_eq!(detected(&must_gather_and_dump), "cluster-info-dump");

        let must_gather = members(
            &[("x/namespaces/shop/core/pods.yaml", EMPTY_LIST)],
            &["x/namespaces/shop/pods/api-1/api/api/logs/current.log"],
        );
        assert_eq!(detected(&must_gather), "must-gather");
        assert!(detect(&members(&[("b/manifest.json", "{}")], &[])).is_none());
    }

    #[test]
    fn resource_hints_follow_every_layout() {
        let cases = [
            // ktriage
            ("b/namespaces/shop/pods.yaml", Some("pods")),
            ("b/cluster/nodes.yaml", Some("nodes")),
            (
                "namespaces/shop/persistentvolumeclaims.yaml",
                Some("persistentvolumeclaims"),
            ),
            // troubleshoot: the directory names the kind, the file the namespace
            ("sb/cluster-resources/pods/default.json", Some("pods")),
            ("sb/cluster-resources/pods/events.json", Some("pods")),
            (
                "sb/cluster-resources/pvcs/default.json",
                Some("persistentvolumeclaims"),
            ),
            ("sb/cluster-resources/nodes.json", Some("nodes")),
            ("sb/cluster-resources/namespaces.json", None),
            (
                "sb/cluster-resources/custom-resource-definitions/pods.json",
                None,
            ),
            ("sb/cluster-resources/pods/logs/default/api-1/api.log", None),
            // must-gather lists, and per-object copies never taken for lists
            ("mg/img/namespaces/shop/core/pods.yaml", Some("pods")),
            (
                "mg/img/namespaces/shop/apps/replicasets.yaml",
                Some("replicasets"),
            ),
            ("mg/img/namespaces/shop/pods/events/events.yaml", None),
            ("mg/img/namespaces/shop/core/configmaps/pods.yaml", None),
            // a namespace named like a kind: left to the reader, which parses it then
            ("mg/img/namespaces/pods/core/pods.yaml", None),
            (
                "mg/img/cluster-scoped-resources/core/nodes.yaml",
                Some("nodes"),
            ),
            (
                "mg/img/cluster-scoped-resources/core/nodes/node-1.yaml",
                None,
            ),
            // cluster-info dump
            ("dump/shop/pods.json", Some("pods")),
            ("dump/nodes.txt", Some("nodes")),
            // not resources
            ("b/manifest.json", None),
            ("mg/timestamp", None),
            ("b/namespaces/shop/pods.log", None),
        ];
        for (path, want) in cases {
            assert_eq!(resource_hint(path), want, "{path}");
        }
    }

    /// Only ReplicaSets' pod templates are compared, so only theirs are read; everything else of
    /// a Deployment is read as before.
    #[test]
    fn pod_templates_are_read_for_replica_sets_only() {
        let deployment = format!(
            "apiVersion: v1\nitems:\n{}kind: List\nmetadata:\n  resourceVersion: \"\"\n",
            workload_item("Deployment", "api", None, Some(3), 2)
        );
        let sets = format!(
            "apiVersion: v1\nitems:\n{}{}kind: List\nmetadata:\n  resourceVersion: \"\"\n",
            workload_item("ReplicaSet", "api-5d8f7c9b4", Some("api"), Some(2), 1),
            workload_item("ReplicaSet", "api-7f6b8d9c5", Some("api"), Some(3), 2),
        );
        let cluster = read_lists(&[("deployments", &deployment), ("replicasets", &sets)]);
        let [deployment, old, new] = &cluster.workloads[..] else {
            panic!("{:?}", cluster.workloads);
        };
        for w in [deployment, new] {
            assert_eq!(w.spec.replicas, Some(2));
            assert_eq!(w.status.ready_replicas, Some(1));
            assert_eq!(w.revision(), Some(3));
        }
        assert_eq!(deployment.kind, "Deployment");
        assert!(deployment.spec.pod_spec().containers.is_empty());
        assert_eq!(
            old.spec.pod_spec().containers[0].image,
            "registry.example.com/shop/api-5d8f7c9b4:1.4.2"
        );
        assert_eq!(
            new.spec.pod_spec().containers[0].image,
            "registry.example.com/shop/api-7f6b8d9c5:1.4.2"
        );
    }

    /// Only the sets of a Deployment with two revisions serving keep their templates: the
    /// others are no side of a rollout regression.
    #[test]
    fn templates_no_rollout_regression_compares_are_dropped() {
        let sets = [
            // Mid-rollout: both revisions have replicas.
            workload_item(
                "ReplicaSet",
                "checkout-5d8f7c9b4",
                Some("checkout"),
                Some(4),
                2,
            ),
            workload_item(
                "ReplicaSet",
                "checkout-6c7d8e9f1",
                Some("checkout"),
                Some(5),
                1,
            ),
            // Settled: the old revision is scaled to zero.
            workload_item("ReplicaSet", "cart-84f9c6d7b5", Some("cart"), Some(1), 0),
            workload_item("ReplicaSet", "cart-9b7c5d6f48", Some("cart"), Some(2), 3),
            // No Deployment, or no revision.
            workload_item("ReplicaSet", "legacy-worker", None, Some(1), 2),
            workload_item("ReplicaSet", "search-6d5f8b7c9", Some("search"), None, 2),
            workload_item("ReplicaSet", "search-7e6a9c8d1", Some("search"), Some(2), 2),
        ]
        .concat();
        let list = format!(
            "apiVersion: v1\nitems:\n{sets}kind: List\nmetadata:\n  resourceVersion: \"\"\n"
        );
        let cluster = read_lists(&[("replicasets", &list)]);
        let templated: Vec<&str> = cluster
            .workloads
            .iter()
            .filter(|w| !w.spec.pod_spec().containers.is_empty())
            .map(|w| w.metadata.name.as_str())
            .collect();
        assert_eq!(templated, ["checkout-5d8f7c9b4", "checkout-6c7d8e9f1"]);
        assert_eq!(cluster.workloads.len(), 7);
    }

    /// One workload of a kubectl list, as `kubectl get -o yaml` prints it.
    fn workload_item(
        kind: &str,
        name: &str,
        deployment: Option<&str>,
        revision: Option<u32>,
        replicas: u32,
    ) -> String {
        let revision = revision.map_or_else(String::new, |r| {
            format!("    annotations:\n      deployment.kubernetes.io/desired-replicas: \"{replicas}\"\n      deployment.kubernetes.io/revision: \"{r}\"\n")
        });
        let owner = deployment.map_or_else(String::new, |d| {
            format!("    ownerReferences:\n    - apiVersion: apps/v1\n      blockOwnerDeletion: true\n      controller: true\n      kind: Deployment\n      name: {d}\n      uid: 0b6c3d1e-2f4a-4b5c-8d6e-7f8091a2b3c4\n")
        });
        format!(
            "- apiVersion: apps/v1\n  kind: {kind}\n  metadata:\n{revision}    creationTimestamp: \"2026-11-27T09:12:44Z\"\n    generation: 2\n    labels:\n      app: {name}\n    managedFields:\n    - apiVersion: apps/v1\n      fieldsType: FieldsV1\n      fieldsV1:\n        f:spec:\n          f:replicas: {{}}\n      manager: kube-controller-manager\n      operation: Update\n      time: \"2026-11-27T09:12:44Z\"\n    name: {name}\n    namespace: shop\n{owner}    resourceVersion: \"48213377\"\n    uid: 1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5\n  spec:\n    replicas: {replicas}\n    selector:\n      matchLabels:\n        app: {name}\n    template:\n      metadata:\n        creationTimestamp: null\n        labels:\n          app: {name}\n      spec:\n        containers:\n        - image: registry.example.com/shop/{name}:1.4.2\n          imagePullPolicy: IfNotPresent\n          name: app\n          resources: {{}}\n        restartPolicy: Always\n  status:\n    observedGeneration: 2\n    readyReplicas: 1\n    replicas: {replicas}\n"
        )
    }

    /// A cluster read from `(resource, list)` files of namespace `shop`, as parsed while read.
    fn read_lists(files: &[(&str, &str)]) -> Cluster {
        let mut cluster = Cluster::default();
        let mut warnings = Vec::new();
        for (resource, list) in files {
            let path = format!("namespaces/shop/{resource}.yaml");
            let mut data = digest(&path, list.as_bytes(), &BTreeMap::new());
            assert!(add_file(
                &mut cluster,
                resource,
                &path,
                &mut data,
                &mut warnings
            ));
        }
        assert!(warnings.is_empty(), "{warnings:?}");
        cluster
    }

    #[test]
    fn events_files_meet_the_pods_of_their_namespace_in_every_layout() {
        let same = [
            (
                "b/namespaces/shop/events.yaml",
                "b/namespaces/shop/pods.yaml",
            ),
            (
                "mg/quay-io-x/namespaces/shop/core/events.yaml",
                "mg/quay-io-x/namespaces/shop/core/pods.yaml",
            ),
            ("dump/shop/events.json", "dump/shop/pods.json"),
            (
                "sb/cluster-resources/events/shop.json",
                "sb/cluster-resources/pods/shop.json",
            ),
        ];
        for (events, pods) in same {
            assert!(same_namespace_files(events, pods), "{events} {pods}");
        }
        let other = [
            (
                "b/namespaces/shop/events.yaml",
                "b/namespaces/media/pods.yaml",
            ),
            ("dump/shop/events.json", "dump/media/pods.json"),
            (
                "sb/cluster-resources/events/shop.json",
                "sb/cluster-resources/pods/media.json",
            ),
        ];
        for (events, pods) in other {
            assert!(!same_namespace_files(events, pods), "{events} {pods}");
        }
    }

    /// Events no analysis reads are dropped as a bundle is read (those about pods an earlier
    /// file shows settled) and once it is loaded (about pods absent or settled): the findings
    /// are those of every event kept, and the inferred collection time counts the dropped ones.
    #[test]
    fn dropping_unread_events_changes_no_finding() {
        let files =
            ktriage_dev::generate::yaml_files(&ktriage_dev::generate::GenOptions::reader_tests());
        let mut warnings = Vec::new();
        let mut whole = Cluster::default();
        for (path, text) in &files {
            if let Some(resource) = resource_hint(path) {
                add_resource(&mut whole, resource, path, text.as_bytes(), &mut warnings);
            }
        }
        whole.normalize();
        let mut read: BTreeMap<String, FileData> = BTreeMap::new();
        for (path, text) in &files {
            let data = digest(path, text.as_bytes(), &read);
            read.insert(path.clone(), data);
        }
        let mut dropped = Cluster::default();
        for (path, data) in &mut read {
            if let Some(resource) = resource_hint(path) {
                add_file(&mut dropped, resource, path, data, &mut warnings);
            }
        }
        let dropped_while_read = whole.events.len() - dropped.events.len();
        dropped.normalize();
        dropped.drop_unread_events();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(dropped_while_read > 0);
        assert!(
            dropped.events.len() * 3 < whole.events.len(),
            "{} of {} events kept",
            dropped.events.len(),
            whole.events.len()
        );
        assert!(dropped.events.iter().any(|e| e.reason == "BackOff"));
        assert_eq!(latest_observed(&dropped), latest_observed(&whole));
        let rules = crate::rules::registry::RuleSet::new(&[], &[]).unwrap();
        let findings = |c: &Cluster| crate::app::diagnose_cluster(c, "b.tar.gz", &rules, &SCANNER);
        let expected = findings(&whole);
        assert!(expected.len() >= 5, "{} findings", expected.len());
        assert_eq!(findings(&dropped), expected);
    }

    #[test]
    fn parsed_files_keep_their_warnings_under_the_reader_path() {
        let bytes = b"apiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    name: a\n    namespace: shop\n- kind: Pod\n  metadata: [not, a, map]\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        let mut data = digest("root/namespaces/shop/pods.yaml", bytes, &BTreeMap::new());
        assert!(matches!(data, FileData::Parsed(_)));
        let (mut cluster, mut warnings) = (Cluster::default(), Vec::new());
        assert!(add_file(
            &mut cluster,
            "pods",
            "namespaces/shop/pods.yaml",
            &mut data,
            &mut warnings
        ));
        assert_eq!(cluster.pods.len(), 1);
        assert_eq!(cluster.pods[0].source, "namespaces/shop/pods.yaml");
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("namespaces/shop/pods.yaml: item 2:"),
            "{warnings:?}"
        );

        // The same bytes through the reader's own parse give the same result.
        let (mut direct, mut direct_warnings) = (Cluster::default(), Vec::new());
        add_resource(
            &mut direct,
            "pods",
            "namespaces/shop/pods.yaml",
            bytes,
            &mut direct_warnings,
        );
        assert_eq!(direct_warnings, warnings);
        assert_eq!(format!("{:?}", direct.pods), format!("{:?}", cluster.pods));

        // A layout that makes the file another kind is told, never read as the wrong kind.
        let mut data = digest("root/namespaces/shop/pods.yaml", bytes, &BTreeMap::new());
        let (mut other, mut warnings) = (Cluster::default(), Vec::new());
        assert!(!add_file(
            &mut other,
            "events",
            "namespaces/shop/pods.yaml",
            &mut data,
            &mut warnings
        ));
        assert!(other.pods.is_empty() && other.events.is_empty());
        assert!(
            warnings[0].contains("read as pods by its name"),
            "{warnings:?}"
        );
    }

    /// Read for documents, every format keeps each resource file whole, with the fields the
    /// model drops, and logs as read; read for analysis, none are kept.
    #[test]
    fn documents_keep_every_file_whole_only_when_asked() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let cases = [
            ("samples/oom-killed", "ktriage", "networkpolicies"),
            (
                "fixtures/bundles/troubleshoot-oomkilled",
                "troubleshoot",
                "pods",
            ),
            (
                "fixtures/bundles/must-gather-crashloop",
                "must-gather",
                "namespaces",
            ),
            (
                "fixtures/bundles/cluster-info-dump-dir",
                "cluster-info-dump",
                "replication-controllers",
            ),
        ];
        for (bundle, format, resource) in cases {
            let source = BundleSource::new(root.join(bundle));
            let loaded = read_documents(&source, &Limits::default(), &SCANNER).expect("a bundle");
            assert_eq!(loaded.format.name(), format);
            let documents = loaded.cluster.documents.expect("kept");
            assert!(
                documents.iter().any(|d| d.resource == resource),
                "{bundle}: {:?}",
                documents.iter().map(|d| &d.resource).collect::<Vec<_>>()
            );
            let pods: Vec<&serde_json::Value> = documents
                .iter()
                .filter(|d| d.resource == "pods")
                .flat_map(|d| &d.objects)
                .collect();
            assert!(!pods.is_empty(), "{bundle}");
            // `uid`, `managedFields`, probes: fields the model never reads are all there.
            assert!(
                pods.iter().all(|p| p.pointer("/metadata/uid").is_some()),
                "{bundle}"
            );
            let analyzed = read(&source, &Limits::default(), &SCANNER).expect("a bundle");
            assert!(analyzed.cluster.documents.is_none(), "{bundle}");
        }
        // Logs are kept as read, not cut to the tail analysis keeps.
        let mut raw = RawBundle::for_documents(&SCANNER);
        let text = b"2026-11-28T04:59:01.000000000Z line\n".repeat(2000);
        raw.tail(Tail {
            path: "b/logs/shop/api-1/api.log".into(),
            text: text.clone(),
            total_bytes: text.len() as u64,
            skipped_lines: 0,
        });
        assert_eq!(raw.logs["b/logs/shop/api-1/api.log"].text, text);
    }
}
