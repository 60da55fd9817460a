//! Which dump format a bundle's files form, and reading each into a `Cluster`.
//!
//! Detection is by content and marker paths after finding the real root, never by file name.
//! Each format module maps its layout onto the shared `add_resource` / `add_log` helpers.

mod cluster_info;
mod ktriage;
mod must_gather;
mod troubleshoot;

use serde::Serialize;

use crate::bundle::{BundleError, BundleSource, RawBundle};
use crate::model::parse::parse_objects;
use crate::model::{Cluster, ContainerLogs, LogFile, Time};

/// A dump format the analyzer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `ktriage-collect` bundle, format v1.
    Ktriage,
    /// Replicated troubleshoot support bundle (`kubectl support-bundle`).
    Troubleshoot,
    /// `kubectl cluster-info dump`, as a directory or as its stdout in one file.
    ClusterInfoDump,
    /// OpenShift `oc adm must-gather` / `oc adm inspect`.
    MustGather,
}

impl Format {
    /// The name used in reports (`bundles[].format`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ktriage => "ktriage",
            Self::Troubleshoot => "troubleshoot",
            Self::ClusterInfoDump => "cluster-info-dump",
            Self::MustGather => "must-gather",
        }
    }
}

/// A bundle read into the model.
#[derive(Debug)]
pub struct Loaded {
    pub format: Format,
    pub cluster: Cluster,
    pub warnings: Vec<String>,
}

/// Detects the format of `raw` and reads it into a `Cluster`.
///
/// # Errors
/// `BundleError::Unrecognized` when no known layout is found, naming what was looked for.
pub fn load(source: &BundleSource, raw: RawBundle) -> Result<Loaded, BundleError> {
    // ktriage first: its manifest is the one unambiguous marker.
    let mut loaded = if let Some(root) = ktriage::find_root(&raw) {
        ktriage::read(source, raw, &root)
    } else if let Some(root) = troubleshoot::find_root(&raw) {
        troubleshoot::read(source, raw, &root)
    } else if let Some(roots) = must_gather::find_roots(&raw) {
        must_gather::read(source, raw, &roots)
    } else if let Some(root) = cluster_info::find_dir_root(&raw) {
        cluster_info::read_dir(source, raw, &root)
    } else if cluster_info::is_stdout_dump(&raw) {
        cluster_info::read_stdout(source, raw)
    } else {
        return Err(unrecognized(source, &raw));
    };
    loaded.cluster.normalize();
    Ok(loaded)
}

/// The error for a bundle no reader claims: what was looked for, and what the bundle seems to be.
fn unrecognized(source: &BundleSource, raw: &RawBundle) -> BundleError {
    let seen = raw.files.len() + raw.logs.len();
    let looked_for = if raw.single_file {
        "looked for a `kubectl cluster-info dump` stdout file (a `NodeList` or `PodList` JSON/YAML \
         document, `==== START logs for container` blocks)"
            .to_owned()
    } else {
        format!(
            "looked for a ktriage `manifest.json`, a troubleshoot `cluster-resources/pods/`, a \
             must-gather `namespaces/<ns>/core/pods.yaml` or `namespaces/<ns>/pods/`, and a \
             `kubectl cluster-info dump` directory (`nodes.json` + `<ns>/pods.json`) among {seen} \
             readable files{}",
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
    BundleError::Unrecognized {
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
    let events = cluster.events.iter().filter_map(crate::model::Event::time);
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
    macro_rules! parse_into {
        ($list:expr) => {{
            let parsed = parse_objects(path, bytes);
            warnings.extend(parsed.warnings);
            $list.extend(parsed.items);
        }};
    }
    match resource {
        "pods" => {
            let parsed = parse_objects::<crate::model::Pod>(path, bytes);
            warnings.extend(parsed.warnings);
            cluster.pods.extend(parsed.items.into_iter().map(|mut p| {
                path.clone_into(&mut p.source);
                p
            }));
        }
        "events" => {
            let parsed = parse_objects::<crate::model::Event>(path, bytes);
            warnings.extend(parsed.warnings);
            cluster.events.extend(parsed.items.into_iter().map(|mut e| {
                path.clone_into(&mut e.source_path);
                e
            }));
        }
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" | "jobs" | "cronjobs" => {
            let kind = workload_kind(resource);
            let parsed = parse_objects::<crate::model::Workload>(path, bytes);
            warnings.extend(parsed.warnings);
            cluster
                .workloads
                .extend(parsed.items.into_iter().map(|mut w| {
                    kind.clone_into(&mut w.kind);
                    path.clone_into(&mut w.source);
                    w
                }));
        }
        "nodes" => parse_into!(cluster.nodes),
        "services" => parse_into!(cluster.services),
        "endpoints" => {
            let parsed = parse_objects::<crate::model::Endpoints>(path, bytes);
            warnings.extend(parsed.warnings);
            cluster
                .endpoints
                .extend(parsed.items.into_iter().map(|mut e| {
                    path.clone_into(&mut e.source);
                    e
                }));
        }
        "persistentvolumeclaims" => parse_into!(cluster.claims),
        "configmaps" => {
            let parsed = parse_objects::<crate::model::KeyedObject>(path, bytes);
            warnings.extend(parsed.warnings);
            cluster
                .config_maps_collected
                .extend(parsed.items.iter().map(|c| c.metadata.namespace.clone()));
            cluster.config_maps.extend(parsed.items);
        }
        "secrets" => {
            let parsed = parse_objects::<crate::model::KeyedObject>(path, bytes);
            warnings.extend(parsed.warnings);
            cluster
                .secrets_collected
                .extend(parsed.items.iter().map(|c| c.metadata.namespace.clone()));
            cluster.secrets.extend(parsed.items);
        }
        _ => return false,
    }
    true
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
