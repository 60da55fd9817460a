//! The `Cluster` snapshot: everything one bundle says about one cluster, format-independent.
//!
//! Format readers (`formats/`) fill it; correlation and rules read it. Holds only the fields
//! analysis needs, deserialized leniently.

pub(crate) mod de;
pub mod event;
#[cfg(test)]
mod kubeyaml_contract;
pub mod log;
pub mod logread;
pub mod map;
pub mod meta;
pub mod objects;
pub mod parse;
pub mod pod;
pub mod time;

use std::cmp::Ordering;
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
    /// The name the bundle itself records (a ktriage manifest's `cluster`, else its `context`);
    /// `None` when `name` is only the bundle's file name.
    pub recorded_name: Option<String>,
    /// The uid of the `kube-system` namespace, when the bundle lists namespaces: made once when
    /// a cluster is created and never changed, it tells one cluster from another.
    pub kube_system_uid: Option<String>,
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
    /// The latest time of the events read, those dropped as unread included
    /// (`drop_unread_events`; also while a bundle is read, `formats::digest`).
    pub latest_event: Option<Time>,
    /// Every resource file of the bundle with its objects as written, every field kept: only
    /// when read for `ktriage serve` (`formats::read_documents`), `None` for analysis.
    pub documents: Option<Vec<ResourceFile>>,
}

/// One resource file of a bundle, its objects kept whole (`Cluster::documents`).
#[derive(Debug, Clone)]
pub struct ResourceFile {
    /// The kind of resource the bundle's layout files it as: a plural kubectl name (`pods`,
    /// `ingresses`), or a name a layout uses for one (`replication-controllers`, `pvs`).
    pub resource: String,
    /// Where it is in the bundle.
    pub path: String,
    /// Its objects in file order (the items of a list), as parsed from JSON or YAML.
    pub objects: Vec<serde_json::Value>,
}

impl Cluster {
    /// The logs of one container, if the bundle has any.
    #[must_use]
    pub fn find_logs(&self, namespace: &str, pod: &str, container: &str) -> Option<&ContainerLogs> {
        self.logs
            .get(&(namespace.to_owned(), pod.to_owned(), container.to_owned()))
    }

    /// The pods of one namespace. A binary search: the cluster must be `normalize`d.
    #[must_use]
    pub fn pods_in(&self, namespace: &str) -> &[Pod] {
        equal_range(&self.pods, |p| p.metadata.namespace.as_str().cmp(namespace))
    }

    /// The workloads of one kind in one namespace. A binary search: the cluster must be
    /// `normalize`d.
    #[must_use]
    pub fn workloads_in(&self, kind: &str, namespace: &str) -> &[Workload] {
        equal_range(&self.workloads, |w| {
            (w.kind.as_str(), w.metadata.namespace.as_str()).cmp(&(kind, namespace))
        })
    }

    /// A workload by kind, namespace and name. A binary search: the cluster must be
    /// `normalize`d (as `formats::load` does); a linear scan per pod was quadratic.
    #[must_use]
    pub fn find_workload(&self, kind: &str, namespace: &str, name: &str) -> Option<&Workload> {
        equal_range(&self.workloads, |w| {
            let key = (&*w.kind, &*w.metadata.namespace, &*w.metadata.name);
            key.cmp(&(kind, namespace, name))
        })
        .first()
    }

    /// A node by name. A binary search: the cluster must be `normalize`d.
    #[must_use]
    pub fn find_node(&self, name: &str) -> Option<&Node> {
        equal_range(&self.nodes, |n| n.metadata.name.as_str().cmp(name)).first()
    }

    /// Drops the events no analysis reads: those about a pod the bundle does not hold, or
    /// holds settled (`Pod::is_settled`). Only the events of a subject's pod are read about
    /// pods (`subjects::build`), and a settled pod has no subject. Events about other
    /// objects (nodes, jobs) are kept. The cluster must be `normalize`d.
    pub fn drop_unread_events(&mut self) {
        let latest = self.events.iter().filter_map(Event::time).max();
        self.latest_event = self.latest_event.max(latest);
        let before = self.events.len();
        let pods = &self.pods;
        self.events.retain(|e| {
            let o = e.object();
            if o.kind != "Pod" && !o.kind.is_empty() {
                return true;
            }
            equal_range(pods, |p| {
                (&*p.metadata.namespace, &*p.metadata.name).cmp(&(&*o.namespace, &*o.name))
            })
            .iter()
            .any(|p| !p.is_settled())
        });
        if self.events.len() < before {
            self.events.shrink_to_fit();
        }
    }

    /// Sorts every list into a canonical order so that analysis never depends on the order
    /// files appeared in an archive.
    pub fn normalize(&mut self) {
        fn key(m: &ObjectMeta) -> (&str, &str, &str) {
            (&m.namespace, &m.name, &m.uid)
        }
        fn event_key(e: &Event) -> (&str, &str, &str, &str, &str) {
            let m = &e.metadata;
            (&m.namespace, &m.name, &m.uid, &e.reason, &e.message)
        }
        fn by_meta<T>(items: &mut [T], meta: fn(&T) -> &ObjectMeta) {
            sort_stably(items, |_| (), |a, b| key(meta(a)).cmp(&key(meta(b))));
        }
        sort_stably(
            &mut self.pods,
            |_| (),
            |a, b| (key(&a.metadata), &a.source).cmp(&(key(&b.metadata), &b.source)),
        );
        self.pods
            .dedup_by(|a, b| key(&a.metadata) == key(&b.metadata));
        sort_stably(&mut self.events, Event::time, |a, b| {
            event_key(a).cmp(&event_key(b))
        });
        sort_stably(
            &mut self.workloads,
            |_| (),
            |a, b| (&a.kind, key(&a.metadata)).cmp(&(&b.kind, key(&b.metadata))),
        );
        self.workloads.dedup_by(|a, b| {
            a.kind == b.kind
                && a.metadata.namespace == b.metadata.namespace
                && a.metadata.name == b.metadata.name
        });
        sort_stably(
            &mut self.nodes,
            |_| (),
            |a, b| a.metadata.name.cmp(&b.metadata.name),
        );
        self.nodes
            .dedup_by(|a, b| a.metadata.name == b.metadata.name);
        by_meta(&mut self.services, |s| &s.metadata);
        by_meta(&mut self.endpoints, |s| &s.metadata);
        by_meta(&mut self.claims, |s| &s.metadata);
        by_meta(&mut self.config_maps, |s| &s.metadata);
        by_meta(&mut self.secrets, |s| &s.metadata);
    }
}

/// The run of sorted `items` that `order` (an item against the one wanted) finds equal: two
/// binary searches.
fn equal_range<T>(items: &[T], order: impl Fn(&T) -> Ordering) -> &[T] {
    let from = items.partition_point(|x| order(x) == Ordering::Less);
    let len = items[from..].partition_point(|x| order(x) != Ordering::Greater);
    &items[from..from + len]
}

/// Sorts `items` stably by `first` (computed once per item), then by `rest`. Positions are
/// sorted rather than the items, which are large (moving them in every merge pass cost more
/// than comparing), names are compared where they lie (a cached key would copy each), and the
/// order is applied in place, cycle by cycle.
fn sort_stably<T, K: Ord>(
    items: &mut [T],
    first: impl Fn(&T) -> K,
    rest: impl Fn(&T, &T) -> Ordering,
) {
    let mut order: Vec<(K, usize)> = items.iter().map(first).zip(0..).collect();
    order.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| rest(&items[*a], &items[*b])));
    // `from[i]`: the position whose item goes to `i`; `usize::MAX` once `i` is filled.
    let mut from: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
    for start in 0..from.len() {
        let mut at = start;
        while from[at] != usize::MAX {
            let next = from[at];
            from[at] = usize::MAX;
            if next == start {
                break;
            }
            items.swap(at, next);
            at = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The namespace and kind slices hold exactly what a scan would find.
    #[test]
    fn slices_by_namespace_and_kind_equal_a_scan() {
        let meta = |ns: &str, name: &str| ObjectMeta {
            namespace: ns.to_owned(),
            name: name.to_owned(),
            ..ObjectMeta::default()
        };
        let mut cluster = Cluster::default();
        for (ns, name) in [
            ("shop", "b"),
            ("", "x"),
            ("apps", "a"),
            ("shop", "a"),
            ("zz", "q"),
        ] {
            cluster.pods.push(Pod {
                metadata: meta(ns, name),
                ..Pod::default()
            });
            for kind in ["ReplicaSet", "Deployment"] {
                cluster.workloads.push(Workload {
                    kind: kind.to_owned(),
                    metadata: meta(ns, name),
                    ..Workload::default()
                });
            }
        }
        cluster.normalize();
        let same = |a: Vec<&Pod>, b: &[Pod]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| std::ptr::eq(*x, y))
        };
        for ns in ["", "apps", "shop", "zz", "missing", "sho"] {
            let scanned: Vec<&Pod> = cluster
                .pods
                .iter()
                .filter(|p| p.metadata.namespace == ns)
                .collect();
            assert!(same(scanned, cluster.pods_in(ns)), "{ns}");
            for kind in ["ReplicaSet", "Deployment", "Job"] {
                let scanned: Vec<&Workload> = cluster
                    .workloads
                    .iter()
                    .filter(|w| w.kind == kind && w.metadata.namespace == ns)
                    .collect();
                let sliced: Vec<&Workload> = cluster.workloads_in(kind, ns).iter().collect();
                assert_eq!(sliced.len(), scanned.len(), "{kind} {ns}");
                assert!(
                    sliced
                        .iter()
                        .zip(&scanned)
                        .all(|(a, b)| std::ptr::eq(*a, *b))
                );
            }
        }
    }

    /// Equals the standard library's stable sort on lists with many ties, runs and cycles.
    #[test]
    fn sort_stably_equals_a_stable_sort() {
        let mut rng = ktriage_dev::generate::Rng::new(0x9E37_79B9_7F4A_7C15);
        let mut next = move |n: u64| rng.below(usize::try_from(n).unwrap_or(usize::MAX)) as u64;
        for len in [0, 1, 2, 3, 10, 100, 1000] {
            for spread in [1, 3, 50, 10_000] {
                // (first key, second key, original position): ties keep their order.
                let items: Vec<(u64, u64, usize)> =
                    (0..len).map(|i| (next(spread), next(3), i)).collect();
                let mut expected = items.clone();
                expected.sort_by_key(|&(a, b, _)| (a, b));
                let mut sorted = items.clone();
                sort_stably(&mut sorted, |&(a, _, _)| a, |x, y| x.1.cmp(&y.1));
                assert_eq!(sorted, expected, "{len} items, keys below {spread}");
            }
        }
    }
}
