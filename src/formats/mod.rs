//! Which dump format a bundle's files form, and reading each into a `Cluster`.
//!
//! Detection is by content and marker paths after finding the real root, never by file name.
//! Each format module maps its layout onto the shared `add_resource` / `add_log` helpers.

mod ktriage;

use serde::Serialize;

use crate::bundle::{BundleError, BundleSource, RawBundle};
use crate::model::parse::parse_objects;
use crate::model::{Cluster, ContainerLogs, LogFile};

/// A dump format the analyzer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `ktriage-collect` bundle, format v1.
    Ktriage,
}

impl Format {
    /// The name used in reports (`bundles[].format`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ktriage => "ktriage",
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
    if let Some(root) = ktriage::find_root(&raw) {
        let mut loaded = ktriage::read(source, raw, &root);
        loaded.cluster.normalize();
        return Ok(loaded);
    }
    let seen = raw.files.len() + raw.logs.len();
    Err(BundleError::Unrecognized {
        path: source.path.clone(),
        detail: format!(
            "no pods found; looked for a ktriage `manifest.json` among {seen} files{}",
            if raw.warnings.is_empty() {
                String::new()
            } else {
                format!(" ({} unreadable)", raw.warnings.len())
            }
        ),
    })
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
                    w
                }));
        }
        "nodes" => parse_into!(cluster.nodes),
        "services" => parse_into!(cluster.services),
        "endpoints" => parse_into!(cluster.endpoints),
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
