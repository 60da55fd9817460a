//! Workloads, nodes, services, endpoints, claims, ConfigMap and Secret names with keys.

use super::map::Map;

use serde::Deserialize;

use super::de;
use super::meta::ObjectMeta;
use super::pod::{Condition, PodSpec};

/// A Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob: one shape for all six,
/// since analysis reads the same few fields of each.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Workload {
    #[serde(deserialize_with = "de::string")]
    pub kind: String,
    /// Where in the bundle this object was read from (set by the format reader).
    #[serde(skip)]
    pub source: String,
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    pub spec: WorkloadSpec,
    #[serde(deserialize_with = "de::nullable")]
    pub status: WorkloadStatus,
}

/// `spec` of a workload.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadSpec {
    #[serde(deserialize_with = "de::opt_i64")]
    pub replicas: Option<i64>,
    /// Read for ReplicaSets only (see `UntemplatedWorkload`); empty for the other kinds.
    #[serde(deserialize_with = "de::nullable")]
    pub template: PodTemplate,
    #[serde(deserialize_with = "de::opt_i64")]
    pub backoff_limit: Option<i64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub schedule: Option<String>,
}

/// A workload read without its pod template. Analysis compares the templates of ReplicaSets
/// only (rollout regressions: `correlators`), so Deployments, StatefulSets, DaemonSets, Jobs
/// and CronJobs are read this way and their template, often the largest part, is stepped over.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UntemplatedWorkload {
    #[serde(deserialize_with = "de::string")]
    kind: String,
    #[serde(deserialize_with = "de::nullable")]
    metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    spec: UntemplatedSpec,
    #[serde(deserialize_with = "de::nullable")]
    status: WorkloadStatus,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct UntemplatedSpec {
    #[serde(deserialize_with = "de::opt_i64")]
    replicas: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    backoff_limit: Option<i64>,
    #[serde(deserialize_with = "de::opt_string")]
    schedule: Option<String>,
}

impl From<UntemplatedWorkload> for Workload {
    fn from(w: UntemplatedWorkload) -> Self {
        Self {
            kind: w.kind,
            source: String::new(),
            metadata: w.metadata,
            spec: WorkloadSpec {
                replicas: w.spec.replicas,
                template: PodTemplate::default(),
                backoff_limit: w.spec.backoff_limit,
                schedule: w.spec.schedule,
            },
            status: w.status,
        }
    }
}

/// `spec.template` of a workload.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodTemplate {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    pub spec: PodSpec,
}

/// `status` of a workload (the union of the six kinds' fields).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadStatus {
    #[serde(deserialize_with = "de::opt_i64")]
    pub replicas: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub ready_replicas: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub available_replicas: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub updated_replicas: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub desired_number_scheduled: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub number_ready: Option<i64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub current_revision: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub update_revision: Option<String>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub active: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub failed: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub succeeded: Option<i64>,
    #[serde(deserialize_with = "de::list")]
    pub conditions: Vec<Condition>,
}

/// A node: conditions, labels (architecture), capacity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Node {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    pub status: NodeStatus,
}

/// `status` of a node.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeStatus {
    #[serde(deserialize_with = "de::list")]
    pub conditions: Vec<Condition>,
    pub allocatable: Map,
    pub capacity: Map,
    #[serde(deserialize_with = "de::nullable")]
    pub node_info: NodeInfo,
}

/// `status.nodeInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeInfo {
    #[serde(deserialize_with = "de::opt_string")]
    pub architecture: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub operating_system: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub kubelet_version: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub container_runtime_version: Option<String>,
}

impl Node {
    /// `kubernetes.io/arch` (else the older beta label, else `nodeInfo.architecture`).
    #[must_use]
    pub fn architecture(&self) -> Option<&str> {
        let labels = &self.metadata.labels;
        labels
            .get("kubernetes.io/arch")
            .or_else(|| labels.get("beta.kubernetes.io/arch"))
            .map(String::as_str)
            .or(self.status.node_info.architecture.as_deref())
    }

    /// A condition by type (`Ready`, `MemoryPressure`, …).
    #[must_use]
    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.status.conditions.iter().find(|c| c.kind == kind)
    }
}

/// A Service: its selector and ports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Service {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    pub spec: ServiceSpec,
}

/// `spec` of a Service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceSpec {
    pub selector: Map,
    #[serde(rename = "clusterIP", deserialize_with = "de::opt_string")]
    pub cluster_ip: Option<String>,
    #[serde(deserialize_with = "de::list")]
    pub ports: Vec<ServicePort>,
}

/// `spec.ports[]` of a Service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(deserialize_with = "de::opt_i64")]
    pub port: Option<i64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub target_port: Option<String>,
}

/// An Endpoints object: how many ready and not-ready addresses back a Service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    /// Where in the bundle this object was read from (set by the format reader).
    #[serde(skip)]
    pub source: String,
    #[serde(deserialize_with = "de::list")]
    pub subsets: Vec<EndpointSubset>,
}

/// `subsets[]` of an Endpoints object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EndpointSubset {
    #[serde(deserialize_with = "de::list")]
    pub addresses: Vec<serde::de::IgnoredAny>,
    #[serde(deserialize_with = "de::list")]
    pub not_ready_addresses: Vec<serde::de::IgnoredAny>,
}

impl Endpoints {
    /// Number of ready addresses over all subsets.
    #[must_use]
    pub fn ready_addresses(&self) -> usize {
        self.subsets.iter().map(|s| s.addresses.len()).sum()
    }
}

/// A PersistentVolumeClaim: name and phase.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Claim {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    pub status: ClaimStatus,
}

/// `status` of a claim.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaimStatus {
    #[serde(deserialize_with = "de::opt_string")]
    pub phase: Option<String>,
}

/// A ConfigMap or Secret: its name and keys, never its values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KeyedObject {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "de::keys")]
    pub data: Vec<String>,
    #[serde(deserialize_with = "de::keys")]
    pub binary_data: Vec<String>,
    #[serde(deserialize_with = "de::keys")]
    pub string_data: Vec<String>,
}

impl KeyedObject {
    /// Whether `key` is one of its keys (`data`, `binaryData` or `stringData`).
    #[must_use]
    pub fn has_key(&self, key: &str) -> bool {
        [&self.data, &self.binary_data, &self.string_data]
            .iter()
            .any(|keys| keys.iter().any(|k| k == key))
    }
}
