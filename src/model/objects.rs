//! Workloads, nodes, services, endpoints, claims, ConfigMap and Secret names with keys.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::de;
use super::map::Map;
use super::meta::ObjectMeta;
use super::pod::{Condition, PodSpec};
use super::time::Time;

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
#[derive(Debug, Clone, Default)]
pub struct WorkloadSpec {
    pub replicas: Option<i64>,
    /// Read for ReplicaSets only (see `UntemplatedWorkload`), and only when `replicas` (which
    /// kubectl prints before it) is not 0: a set scaled to zero neither fails nor serves, so
    /// rollout regressions never compare its template. None otherwise, or when dropped
    /// (`drop_unused_templates`).
    pub template: Option<Box<PodTemplate>>,
    pub backoff_limit: Option<i64>,
    pub schedule: Option<String>,
}

impl<'a> Deserialize<'a> for WorkloadSpec {
    fn deserialize<D: serde::Deserializer<'a>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(transparent)]
        struct Count(#[serde(deserialize_with = "de::opt_i64")] Option<i64>);
        #[derive(Deserialize)]
        #[serde(transparent)]
        struct Text(#[serde(deserialize_with = "de::opt_string")] Option<String>);
        #[derive(Deserialize)]
        #[serde(transparent)]
        struct Template(#[serde(deserialize_with = "de::nullable")] PodTemplate);

        struct SpecVisitor;
        impl<'a> serde::de::Visitor<'a> for SpecVisitor {
            type Value = WorkloadSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a workload spec")
            }

            fn visit_map<A: serde::de::MapAccess<'a>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::{Error, IgnoredAny};
                let mut spec = WorkloadSpec::default();
                // Each key once, as a derived reader requires.
                let mut seen = [false; 4];
                while let Some(key) = map.next_key::<String>()? {
                    let field = FIELDS.iter().position(|f| *f == key);
                    if let Some(i) = field {
                        if seen[i] {
                            return Err(A::Error::duplicate_field(FIELDS[i]));
                        }
                        seen[i] = true;
                    }
                    match field {
                        Some(0) => spec.replicas = map.next_value::<Count>()?.0,
                        Some(1) if spec.replicas == Some(0) => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        Some(1) => spec.template = Some(Box::new(map.next_value::<Template>()?.0)),
                        Some(2) => spec.backoff_limit = map.next_value::<Count>()?.0,
                        Some(3) => spec.schedule = map.next_value::<Text>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(spec)
            }
        }

        const FIELDS: &[&str] = &["replicas", "template", "backoffLimit", "schedule"];
        d.deserialize_struct("WorkloadSpec", FIELDS, SpecVisitor)
    }
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

impl WorkloadSpec {
    /// The pod template's spec; empty when the template was not read.
    #[must_use]
    pub fn pod_spec(&self) -> &PodSpec {
        static NONE: std::sync::LazyLock<PodSpec> = std::sync::LazyLock::new(PodSpec::default);
        self.template.as_ref().map_or(&NONE, |t| &t.spec)
    }
}

impl Workload {
    /// `deployment.kubernetes.io/revision` of a ReplicaSet.
    #[must_use]
    pub fn revision(&self) -> Option<i64> {
        self.metadata
            .annotations
            .get("deployment.kubernetes.io/revision")?
            .parse()
            .ok()
    }

    /// The Deployment controlling a ReplicaSet, by name.
    #[must_use]
    pub fn deployment(&self) -> Option<&str> {
        self.metadata
            .controller()
            .filter(|o| o.kind == "Deployment")
            .map(|o| o.name.as_str())
    }
}

/// Drops the pod templates of ReplicaSets no rollout regression can compare. A regression
/// compares two revisions of one Deployment that both have replicas
/// (`correlations::rollout_regression`), so a set that is its Deployment's only one not scaled
/// to zero, or that has no Deployment or revision, needs none: in a settled cluster that is
/// every set, and their templates were most of the memory ReplicaSets took. Applied to each
/// file as it is parsed: every layout lists a namespace's ReplicaSets in one file.
pub fn drop_unused_templates(sets: &mut [Workload]) {
    let compared = |w: &Workload| w.spec.replicas != Some(0) && w.revision().is_some();
    let mut serving: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for w in sets.iter().filter(|w| compared(w)) {
        if let Some(d) = w.deployment() {
            *serving.entry((&w.metadata.namespace, d)).or_default() += 1;
        }
    }
    let keep: Vec<bool> = sets
        .iter()
        .map(|w| {
            compared(w)
                && w.deployment()
                    .and_then(|d| serving.get(&(w.metadata.namespace.as_str(), d)))
                    .is_some_and(|&n| n >= 2)
        })
        .collect();
    for (w, keep) in sets.iter_mut().zip(keep) {
        if !keep {
            w.spec.template = None;
        }
    }
}

impl From<UntemplatedWorkload> for Workload {
    fn from(w: UntemplatedWorkload) -> Self {
        Self {
            kind: w.kind,
            source: String::new(),
            metadata: w.metadata,
            spec: WorkloadSpec {
                replicas: w.spec.replicas,
                template: None,
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
    /// A Job's `startTime`.
    #[serde(deserialize_with = "de::time")]
    pub start_time: Option<Time>,
    /// A Job's `completionTime` (set only when it succeeded).
    #[serde(deserialize_with = "de::time")]
    pub completion_time: Option<Time>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse::parse_objects;

    /// A ReplicaSet's template is read unless the set is scaled to zero, in YAML (fast path
    /// and general parser alike) and JSON; a key given twice loses the item, as for any
    /// derived reader.
    #[test]
    fn templates_of_sets_scaled_to_zero_are_not_read() {
        let item = |name: &str, spec: &str| {
            format!(
                "- apiVersion: apps/v1\n  kind: ReplicaSet\n  metadata:\n    name: {name}\n    namespace: shop\n  spec:\n{spec}"
            )
        };
        let template = "    template:\n      spec:\n        containers:\n        - image: api:1\n          name: api\n";
        let yaml = format!(
            "apiVersion: v1\nitems:\n{}{}{}{}{}kind: List\nmetadata:\n  resourceVersion: \"\"\n",
            item("zero", &format!("    replicas: 0\n{template}")),
            item(
                "two",
                &format!(
                    "    replicas: 2\n{template}    selector:\n      matchLabels:\n        app: api\n"
                )
            ),
            item("unset", template),
            item("zero-after", &format!("{template}    replicas: 0\n")),
            item(
                "twice",
                &format!("    replicas: 1\n    replicas: 2\n{template}")
            ),
        );
        let images = |items: &[Workload]| {
            items
                .iter()
                .map(|w| {
                    let image = w.spec.pod_spec().containers.first();
                    (
                        w.metadata.name.clone(),
                        w.spec.replicas,
                        image.map(|c| c.image.clone()),
                    )
                })
                .collect::<Vec<_>>()
        };
        let expected = vec![
            ("zero".to_owned(), Some(0), None),
            ("two".to_owned(), Some(2), Some("api:1".to_owned())),
            ("unset".to_owned(), None, Some("api:1".to_owned())),
            // kubectl prints `replicas` first; in any other order the template is read.
            ("zero-after".to_owned(), Some(0), Some("api:1".to_owned())),
        ];
        let fast = parse_objects::<Workload>("replicasets.yaml", yaml.as_bytes());
        assert_eq!(images(&fast.items), expected);
        assert_eq!(fast.warnings.len(), 1, "{:?}", fast.warnings);
        // The general parser refuses the whole list over the repeated key: read it without.
        let twice = yaml
            .find("- apiVersion: apps/v1\n  kind: ReplicaSet\n  metadata:\n    name: twice")
            .expect("the last item");
        let end = yaml.find("kind: List").expect("the list's end");
        let without = format!("{}{}", &yaml[..twice], &yaml[end..]);
        let general: Vec<Workload> = crate::yaml::from_str::<serde_yaml_ng::Value>(&without)
            .expect("a YAML list")["items"]
            .as_sequence()
            .expect("items")
            .iter()
            .map(|v| serde_yaml_ng::from_value(v.clone()).expect("a workload"))
            .collect();
        assert_eq!(images(&general), expected);
        let json = r#"{"kind":"List","items":[
            {"kind":"ReplicaSet","metadata":{"name":"zero"},"spec":{"replicas":0,"template":{"spec":{"containers":[{"name":"api","image":"api:1"}]}}}},
            {"kind":"ReplicaSet","metadata":{"name":"two"},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"api","image":"api:1"}]}}}}
        ]}"#;
        let from_json = parse_objects::<Workload>("replicasets.json", json.as_bytes());
        assert_eq!(images(&from_json.items), expected[..2]);
    }
}
