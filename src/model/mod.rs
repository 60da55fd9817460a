//! The `Cluster` snapshot: everything one bundle says about one cluster, format-independent.
//!
//! Format readers (`formats/`) fill it; correlation and rules read it. Holds only the fields
//! analysis needs, deserialized leniently.

pub(crate) mod de;
pub mod event;
pub mod log;
pub mod map;
pub mod meta;
pub mod objects;
pub mod parse;
pub mod pod;
pub mod time;

use std::collections::{BTreeMap, BTreeSet};

pub use event::Event;
pub use log::{ContainerLogs, LogFile, LogLine};
pub use map::Map;
pub use meta::{ObjectMeta, OwnerRef};
pub use objects::{Claim, Endpoints, KeyedObject, Node, Service, Workload};
pub use pod::{Container, ContainerKind, ContainerStatus, Pod, Terminated};
pub use time::Time;

/// Identifies a container's logs: namespace, pod, container.
pub type LogKey = (String, String, String);

/// One cluster as one bundle shows it.
#[derive(Debug, Default)]
pub struct Cluster {
    /// Cluster name from the bundle (manifest, context), else the bundle's file name.
    pub name: String,
    /// When the bundle was collected; recency is measured from here, never from the clock.
    pub collected_at: Option<Time>,
    pub server_version: Option<String>,
    pub pods: Vec<Pod>,
    pub events: Vec<Event>,
    /// Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs (`kind` set).
    pub workloads: Vec<Workload>,
    pub nodes: Vec<Node>,
    pub services: Vec<Service>,
    pub endpoints: Vec<Endpoints>,
    pub claims: Vec<Claim>,
    pub config_maps: Vec<KeyedObject>,
    pub secrets: Vec<KeyedObject>,
    /// Namespaces whose ConfigMaps were collected (so a missing one is really missing).
    pub config_maps_collected: BTreeSet<String>,
    /// Namespaces whose Secrets were collected.
    pub secrets_collected: BTreeSet<String>,
    pub logs: BTreeMap<LogKey, ContainerLogs>,
}

impl Cluster {
    /// The logs of one container, if the bundle has any.
    #[must_use]
    pub fn find_logs(&self, namespace: &str, pod: &str, container: &str) -> Option<&ContainerLogs> {
        self.logs
            .get(&(namespace.to_owned(), pod.to_owned(), container.to_owned()))
    }

    /// A workload by kind, namespace and name. A binary search: the cluster must be
    /// `normalize`d (as `formats::load` does); a linear scan per pod was quadratic.
    #[must_use]
    pub fn find_workload(&self, kind: &str, namespace: &str, name: &str) -> Option<&Workload> {
        fn key(w: &Workload) -> (&str, &str, &str) {
            (
                w.kind.as_str(),
                w.metadata.namespace.as_str(),
                w.metadata.name.as_str(),
            )
        }
        let wanted = (kind, namespace, name);
        let at = self.workloads.partition_point(|w| key(w) < wanted);
        self.workloads.get(at).filter(|w| key(w) == wanted)
    }

    /// A node by name. A binary search: the cluster must be `normalize`d.
    #[must_use]
    pub fn find_node(&self, name: &str) -> Option<&Node> {
        let at = self
            .nodes
            .partition_point(|n| n.metadata.name.as_str() < name);
        self.nodes.get(at).filter(|n| n.metadata.name == name)
    }

    /// Sorts every list into a canonical order so that analysis never depends on the order
    /// files appeared in an archive.
    pub fn normalize(&mut self) {
        let key = |m: &ObjectMeta| (m.namespace.clone(), m.name.clone(), m.uid.clone());
        self.pods
            .sort_by_cached_key(|p| (key(&p.metadata), p.source.clone()));
        self.pods.dedup_by(|a, b| {
            a.metadata.uid == b.metadata.uid
                && a.metadata.name == b.metadata.name
                && a.metadata.namespace == b.metadata.namespace
        });
        self.events.sort_by_cached_key(|e| {
            (
                e.time(),
                key(&e.metadata),
                e.reason.clone(),
                e.message.clone(),
            )
        });
        self.workloads
            .sort_by_cached_key(|w| (w.kind.clone(), key(&w.metadata)));
        self.workloads.dedup_by(|a, b| {
            a.kind == b.kind
                && a.metadata.namespace == b.metadata.namespace
                && a.metadata.name == b.metadata.name
        });
        self.nodes.sort_by_cached_key(|n| n.metadata.name.clone());
        self.nodes
            .dedup_by(|a, b| a.metadata.name == b.metadata.name);
        self.services.sort_by_cached_key(|s| key(&s.metadata));
        self.endpoints.sort_by_cached_key(|s| key(&s.metadata));
        self.claims.sort_by_cached_key(|s| key(&s.metadata));
        self.config_maps.sort_by_cached_key(|s| key(&s.metadata));
        self.secrets.sort_by_cached_key(|s| key(&s.metadata));
    }
}
