//! `ktriage diff OLD NEW`: what changed between two bundles (or JSON reports) of one cluster.
//!
//! Reads each side into its findings (and, for a bundle, its cluster), then compares: findings
//! new, resolved and persisting, matched by workload and container as the fleet view matches
//! them; pod templates; node conditions. The `Diff` is plain data, rendered by `render`.
//! Runs no rule itself: the caller (`app`) passes the diagnosis in.

mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bundle::{BundleSource, Limits, printable};
use crate::cause::Cause;
use crate::finding::{ReportFinding, Severity, WorkloadName};
use crate::formats::LoadError;
use crate::logscan::Scanner;
use crate::model::pod::{Condition, PodSpec};
use crate::model::{Cluster, Container, Pod};
use crate::report::{Findings, Report, Tool};

/// JSON diff schema version (docs/design.md §5.1).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The node conditions compared: readiness and the pressure conditions.
const NODE_CONDITIONS: [&str; 5] = [
    "Ready",
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "NetworkUnavailable",
];

/// Why a diff could not be made. Every variant names the input.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DiffError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not a ktriage JSON report: {detail}")]
    NotAReport { path: PathBuf, detail: String },
    #[error("`{path}`: {detail}")]
    Unusable { path: PathBuf, detail: String },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "`{old}` and `{new}` are not bundles of the same cluster ({detail}); --force compares them anyway"
    )]
    OtherCluster {
        old: PathBuf,
        new: PathBuf,
        detail: String,
    },
}

/// One side of a diff, as read.
#[derive(Debug)]
pub(crate) struct Input {
    pub side: Side,
    /// Ranked as one `analyze` of it would rank them.
    pub findings: Vec<ReportFinding>,
    /// The cluster a bundle holds; `None` for a JSON report (findings only).
    pub cluster: Option<Cluster>,
}

/// What one input is, as the diff names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Side {
    /// The path as given on the command line.
    pub path: String,
    /// `bundle` or `report`.
    pub input: &'static str,
    /// The bundle's format (`ktriage`, `troubleshoot`, …), also that of a report's bundle.
    pub format: Option<String>,
    pub cluster: Option<String>,
    pub collected_at: Option<String>,
    /// Problems with single files of the bundle (as `analyze` reports them).
    pub warnings: Vec<String>,
}

/// Reads `path`: a ktriage JSON report (`analyze --format json`, one cluster), else one bundle
/// in any format `analyze` reads, whose cluster `diagnose` turns into findings.
///
/// # Errors
/// The input cannot be read, is no bundle or report, or holds more or less than one bundle.
pub(crate) fn read_input(
    path: &Path,
    limits: &Limits,
    scanner: &Scanner,
    diagnose: impl Fn(&Cluster, &str) -> Vec<ReportFinding>,
) -> Result<Input, DiffError> {
    if path.is_file() && looks_like_report(path)? {
        return read_report(path);
    }
    let unusable = |detail: String| DiffError::Unusable {
        path: path.to_owned(),
        detail,
    };
    if !path.exists() {
        return Err(DiffError::Io {
            path: path.to_owned(),
            source: io::Error::new(io::ErrorKind::NotFound, "no such file or directory"),
        });
    }
    let sources = crate::discover::discover(&[path.to_owned()]).sources;
    let source = match sources.as_slice() {
        [one] => one,
        [] => return Err(unusable("no bundle found".to_owned())),
        many => {
            return Err(unusable(format!(
                "holds {} bundles; diff compares one bundle with another",
                many.len()
            )));
        }
    };
    if let Some(root) = &source.within {
        return Err(unusable(format!(
            "is inside the bundle `{}`, not a bundle",
            root.display()
        )));
    }
    read_bundle(source, limits, scanner, diagnose)
}

/// Whether the file at `path` starts as a JSON report does (an object naming its
/// `schema_version`), as opposed to a bundle or a `cluster-info dump` file.
fn looks_like_report(path: &Path) -> Result<bool, DiffError> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .map_err(|source| DiffError::Io {
            path: path.to_owned(),
            source,
        })?;
    let text = String::from_utf8_lossy(&head);
    Ok(text.trim_start().starts_with('{') && text.contains("\"schema_version\""))
}

fn read_report(path: &Path) -> Result<Input, DiffError> {
    let not_a_report = |detail: String| DiffError::NotAReport {
        path: path.to_owned(),
        detail,
    };
    let bytes = std::fs::read(path).map_err(|source| DiffError::Io {
        path: path.to_owned(),
        source,
    })?;
    let report: Report = serde_json::from_slice(&bytes).map_err(|e| not_a_report(e.to_string()))?;
    if report.schema_version != crate::report::SCHEMA_VERSION {
        return Err(not_a_report(format!(
            "schema_version {}, expected {}",
            report.schema_version,
            crate::report::SCHEMA_VERSION
        )));
    }
    let unusable = |detail: String| DiffError::Unusable {
        path: path.to_owned(),
        detail,
    };
    let [bundle] = report.bundles.as_slice() else {
        return Err(unusable(format!(
            "is a report of {} bundles; diff compares the report of one bundle with another",
            report.bundles.len()
        )));
    };
    if let Some(error) = &bundle.error {
        return Err(unusable(format!(
            "its bundle could not be analyzed: {error}"
        )));
    }
    let side = Side {
        path: printable(&path.display().to_string()).into_owned(),
        input: "report",
        format: bundle.format.clone(),
        cluster: bundle.cluster.clone(),
        collected_at: bundle.collected_at.clone(),
        warnings: bundle.warnings.clone(),
    };
    let findings = report
        .findings
        .into_whole()
        .map_err(|e| unusable(format!("cannot read its findings: {e}")))?;
    Ok(Input {
        side,
        findings,
        cluster: None,
    })
}

fn read_bundle(
    source: &BundleSource,
    limits: &Limits,
    scanner: &Scanner,
    diagnose: impl Fn(&Cluster, &str) -> Vec<ReportFinding>,
) -> Result<Input, DiffError> {
    let loaded = crate::formats::read(source, limits, scanner)?;
    let path = printable(&source.path.display().to_string()).into_owned();
    let mut findings: Findings = diagnose(&loaded.cluster, &path).into();
    findings.rank();
    let findings = findings.into_whole().map_err(|source| DiffError::Io {
        path: PathBuf::from(&path),
        source,
    })?;
    let cluster = loaded.cluster;
    Ok(Input {
        side: Side {
            path,
            input: "bundle",
            format: Some(loaded.format.name().to_owned()),
            cluster: Some(printable(&cluster.name).into_owned()),
            collected_at: cluster.collected_at.map(|t| t.to_string()),
            warnings: loaded
                .warnings
                .iter()
                .map(|w| printable(w).into_owned())
                .collect(),
        },
        findings,
        cluster: Some(cluster),
    })
}

/// What changed from `old` to `new`.
#[derive(Debug, Serialize)]
pub(crate) struct Diff {
    pub schema_version: u32,
    pub tool: Tool,
    pub old: Side,
    pub new: Side,
    /// How the two inputs were judged to be of one cluster.
    pub cluster: SameCluster,
    pub summary: Summary,
    pub findings: FindingChanges,
    /// Workloads whose pod template changed; `None` when an input is a JSON report.
    pub templates: Option<Vec<TemplateChange>>,
    /// Nodes added, removed, or whose conditions changed; `None` when an input is a report.
    pub nodes: Option<Vec<NodeChange>>,
    /// What could not be compared, and why.
    pub notes: Vec<String>,
}

/// The verdict on whether two inputs are of one cluster, and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SameCluster {
    pub same: bool,
    /// `kube-system uid`, `cluster name`, `node names`, or `none` (nothing to compare).
    pub basis: &'static str,
    pub detail: String,
    /// Compared although judged different (`--force`).
    pub forced: bool,
}

/// Counts, for a headline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub new: usize,
    pub resolved: usize,
    pub persisting: usize,
    /// Persisting findings whose restart count grew.
    pub restarts_grown: usize,
    /// Persisting findings whose cause changed.
    pub causes_changed: usize,
    /// `None` when templates were not compared.
    pub templates_changed: Option<usize>,
    /// `None` when nodes were not compared.
    pub nodes_changed: Option<usize>,
}

/// The findings of both sides, matched.
#[derive(Debug, Default, Serialize)]
pub(crate) struct FindingChanges {
    /// Only in `new`, in its rank order.
    pub new: Vec<Item>,
    /// Only in `old`, in its rank order.
    pub resolved: Vec<Item>,
    /// In both, in `new`'s rank order.
    pub persisting: Vec<Persisting>,
}

/// One finding, as a diff shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Item {
    /// Its rank in its own side's report.
    pub rank: usize,
    pub severity: Severity,
    pub cause: Cause,
    pub confidence: f64,
    pub title: String,
    pub namespace: String,
    pub workload: WorkloadName,
    pub container: String,
    pub restart_count: i64,
    pub pods: Vec<String>,
}

impl Item {
    fn of(f: &ReportFinding) -> Self {
        Self {
            rank: f.rank,
            severity: f.severity,
            cause: f.cause,
            confidence: f.confidence,
            title: f.title.clone(),
            namespace: f.namespace.clone(),
            workload: f.workload.clone(),
            container: f.container.clone(),
            restart_count: f.restart_count,
            pods: f.pods.clone(),
        }
    }
}

/// A finding in both inputs: the same workload and container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Persisting {
    pub old: Item,
    pub new: Item,
    /// `new.restart_count - old.restart_count`; negative when the pods were replaced (a new
    /// pod counts from 0).
    pub restart_growth: i64,
    pub cause_changed: bool,
}

/// One field of a workload's pod template that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TemplateChange {
    pub namespace: String,
    pub workload: WorkloadName,
    /// `containers[api].image`, `containers[api].env[LOG_LEVEL]`, `volumes`, ….
    pub field: String,
    /// `old → new` (env values never shown: only names added or removed, or that one changed).
    pub change: String,
    /// `spec` (the whole template compared) or `images` (a side holds only healthy pods, whose
    /// specs the bundle reader keeps only names and images of).
    pub compared: &'static str,
}

/// A node that appeared, disappeared, or changed a condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NodeChange {
    pub node: String,
    /// `added`, `removed` or `condition`.
    pub change: &'static str,
    /// The condition type (`Ready`, `MemoryPressure`, …), for `condition`.
    pub condition: Option<String>,
    /// The condition's status (`True`, `False`, `Unknown`) in each input; `None`: not reported.
    pub old: Option<String>,
    pub new: Option<String>,
    /// The reason the newer status gives (`NodeStatusUnknown`, `KubeletHasDiskPressure`).
    pub reason: Option<String>,
}

impl Diff {
    /// Whether `new` still has findings: new or persisting ones (exit status 1).
    #[must_use]
    pub(crate) fn has_findings(&self) -> bool {
        !self.findings.new.is_empty() || !self.findings.persisting.is_empty()
    }
}

/// Compares two inputs of one cluster.
///
/// # Errors
/// `DiffError::OtherCluster` when they are judged to be of different clusters and not `force`.
pub(crate) fn compare(old: &Input, new: &Input, force: bool) -> Result<Diff, DiffError> {
    let mut cluster = same_cluster(old, new);
    if !cluster.same {
        if !force {
            return Err(DiffError::OtherCluster {
                old: PathBuf::from(&old.side.path),
                new: PathBuf::from(&new.side.path),
                detail: cluster.detail,
            });
        }
        cluster.forced = true;
    }
    let findings = match_findings(&old.findings, &new.findings);
    let mut notes = Vec::new();
    let (templates, nodes) = if let (Some(o), Some(n)) = (&old.cluster, &new.cluster) {
        (Some(template_changes(o, n)), Some(node_changes(o, n)))
    } else {
        let reports: Vec<String> = [old, new]
            .iter()
            .filter(|i| i.cluster.is_none())
            .map(|i| format!("`{}`", i.side.path))
            .collect();
        notes.push(format!(
            "template and node changes are not available: {} {}, which hold{} findings only; diff the bundles to compare them",
            reports.join(" and "),
            if reports.len() == 1 { "is a JSON report" } else { "are JSON reports" },
            if reports.len() == 1 { "s" } else { "" }
        ));
        (None, None)
    };
    let persisting = &findings.persisting;
    let summary = Summary {
        new: findings.new.len(),
        resolved: findings.resolved.len(),
        persisting: persisting.len(),
        restarts_grown: persisting.iter().filter(|p| p.restart_growth > 0).count(),
        causes_changed: persisting.iter().filter(|p| p.cause_changed).count(),
        templates_changed: templates.as_ref().map(|t| {
            t.iter()
                .map(|c| (&c.namespace, &c.workload))
                .collect::<BTreeSet<_>>()
                .len()
        }),
        nodes_changed: nodes.as_ref().map(|n| {
            n.iter()
                .map(|c| c.node.as_str())
                .collect::<BTreeSet<_>>()
                .len()
        }),
    };
    Ok(Diff {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "ktriage".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        old: old.side.clone(),
        new: new.side.clone(),
        cluster,
        summary,
        findings,
        templates,
        nodes,
        notes,
    })
}

/// Whether two inputs are of one cluster, from the strongest evidence both hold: the uid of
/// `kube-system` (made once per cluster), else the cluster name the bundles record, else
/// their node names (one shared name is enough: nodes come and go). With none of them, they
/// are taken as one cluster and the verdict says so.
fn same_cluster(old: &Input, new: &Input) -> SameCluster {
    let verdict = |same: bool, basis: &'static str, detail: String| SameCluster {
        same,
        basis,
        detail,
        forced: false,
    };
    let uid = |i: &Input| i.cluster.as_ref().and_then(|c| c.kube_system_uid.clone());
    if let (Some(a), Some(b)) = (uid(old), uid(new)) {
        return if a == b {
            verdict(
                true,
                "kube-system uid",
                format!("kube-system uid `{a}` in both"),
            )
        } else {
            verdict(
                false,
                "kube-system uid",
                format!("kube-system uid `{a}` and `{b}`"),
            )
        };
    }
    // A report names its cluster as the bundle it analyzed did; only a name the bundle records
    // counts, not one made of a file name.
    let name = |i: &Input| match &i.cluster {
        Some(c) => c
            .recorded_name
            .as_deref()
            .map(|n| printable(n).into_owned()),
        None => i.side.cluster.clone(),
    };
    if let (Some(a), Some(b)) = (name(old), name(new)) {
        return if a == b {
            verdict(true, "cluster name", format!("cluster `{a}` in both"))
        } else {
            verdict(false, "cluster name", format!("clusters `{a}` and `{b}`"))
        };
    }
    let nodes = |i: &Input| -> BTreeSet<String> {
        i.cluster
            .iter()
            .flat_map(|c| &c.nodes)
            .map(|n| n.metadata.name.clone())
            .collect()
    };
    let (a, b) = (nodes(old), nodes(new));
    if !a.is_empty() && !b.is_empty() {
        let shared = a.intersection(&b).count();
        let detail = format!("{shared} of {} node names shared", a.union(&b).count());
        return verdict(shared > 0, "node names", detail);
    }
    verdict(
        true,
        "none",
        "the inputs record no kube-system uid, cluster name or nodes to compare".to_owned(),
    )
}

/// What matches a finding across inputs: namespace and the fleet view's signature of workload
/// and container (pod-name hashes normalized).
fn match_key(f: &ReportFinding) -> (String, String) {
    (
        f.namespace.clone(),
        crate::report::signature(&f.workload.kind, &f.workload.name, &f.container),
    )
}

/// Pairs the findings of one workload and container: first those of the same cause, then the
/// rest in rank order (a cause change); what is left is new or resolved.
fn match_findings(old: &[ReportFinding], new: &[ReportFinding]) -> FindingChanges {
    type Sides<'a> = (Vec<&'a ReportFinding>, Vec<&'a ReportFinding>);
    let mut by_key: BTreeMap<(String, String), Sides<'_>> = BTreeMap::new();
    for f in old {
        by_key.entry(match_key(f)).or_default().0.push(f);
    }
    for f in new {
        by_key.entry(match_key(f)).or_default().1.push(f);
    }
    let mut out = FindingChanges::default();
    for (_, (mut olds, mut news)) in by_key {
        let mut pairs = Vec::new();
        news.retain(|n| match olds.iter().position(|o| o.cause == n.cause) {
            Some(i) => {
                pairs.push((olds.remove(i), *n));
                false
            }
            None => true,
        });
        let changed = olds.len().min(news.len());
        pairs.extend(olds.drain(..changed).zip(news.drain(..changed)));
        for (o, n) in pairs {
            out.persisting.push(Persisting {
                old: Item::of(o),
                new: Item::of(n),
                restart_growth: n.restart_count - o.restart_count,
                cause_changed: o.cause != n.cause,
            });
        }
        out.new.extend(news.into_iter().map(Item::of));
        out.resolved.extend(olds.into_iter().map(Item::of));
    }
    out.new.sort_by_key(|i| i.rank);
    out.resolved.sort_by_key(|i| i.rank);
    out.persisting.sort_by_key(|p| p.new.rank);
    out
}

/// The template fields that differ for each workload both clusters run pods of. A workload's
/// template is read from one of its pods (the bundle reader keeps only ReplicaSets' templates,
/// and only while a rollout can be compared): one whose spec was kept whole, the newest.
fn template_changes(old: &Cluster, new: &Cluster) -> Vec<TemplateChange> {
    let olds = crate::subjects::pods_by_workload(old);
    let news = crate::subjects::pods_by_workload(new);
    let mut out = Vec::new();
    for (&(ns, kind, name), new_pods) in &news {
        let Some(old_pods) = olds.get(&(ns, kind, name)) else {
            continue;
        };
        let (Some(o), Some(n)) = (representative(old_pods), representative(new_pods)) else {
            continue;
        };
        let whole = !o.is_slimmed() && !n.is_slimmed();
        let (a, b) = (comparable(o, kind, whole), comparable(n, kind, whole));
        for (field, change) in crate::correlations::diff_templates(&a, &b, false) {
            out.push(TemplateChange {
                namespace: ns.to_owned(),
                workload: WorkloadName {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                },
                field: printable(&field).into_owned(),
                change: printable(&crate::redact::redact(&change)).into_owned(),
                compared: if whole { "spec" } else { "images" },
            });
        }
    }
    out
}

/// The pod that stands for its workload's template: one with its spec whole if any, the
/// newest, then by name (so the choice never depends on file order).
fn representative<'c>(pods: &[&'c Pod]) -> Option<&'c Pod> {
    pods.iter()
        .max_by(|a, b| {
            (
                !a.is_slimmed(),
                a.metadata.creation_timestamp,
                &b.metadata.name,
            )
                .cmp(&(
                    !b.is_slimmed(),
                    b.metadata.creation_timestamp,
                    &a.metadata.name,
                ))
        })
        .copied()
}

/// A pod's spec as its template: without what the API server adds per pod (the service
/// account token volume, `kube-api-access-<random>`), and without a StatefulSet pod's own
/// claims. Only names and images unless `whole`.
fn comparable(pod: &Pod, kind: &str, whole: bool) -> PodSpec {
    let per_pod = |name: &str| name.starts_with("kube-api-access-");
    let mut spec = pod.spec.clone();
    if !whole {
        let images = |list: &[Container]| {
            list.iter()
                .map(|c| Container {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    ..Container::default()
                })
                .collect()
        };
        return PodSpec {
            containers: images(&spec.containers),
            init_containers: images(&spec.init_containers),
            ..PodSpec::default()
        };
    }
    spec.volumes.retain(|v| {
        let own_claim = kind == "StatefulSet" && v.persistent_volume_claim.is_some();
        !per_pod(&v.name) && !own_claim
    });
    for c in spec.containers.iter_mut().chain(&mut spec.init_containers) {
        c.volume_mounts.retain(|m| !per_pod(&m.name));
    }
    spec
}

/// Nodes added or removed, and the readiness and pressure conditions that changed.
fn node_changes(old: &Cluster, new: &Cluster) -> Vec<NodeChange> {
    let names: BTreeSet<&str> = old
        .nodes
        .iter()
        .chain(&new.nodes)
        .map(|n| n.metadata.name.as_str())
        .collect();
    let mut out = Vec::new();
    for name in names {
        let change = |change: &'static str| NodeChange {
            node: printable(name).into_owned(),
            change,
            condition: None,
            old: None,
            new: None,
            reason: None,
        };
        let (o, n) = match (old.find_node(name), new.find_node(name)) {
            (Some(o), Some(n)) => (o, n),
            (Some(_), None) => {
                out.push(change("removed"));
                continue;
            }
            (None, _) => {
                out.push(change("added"));
                continue;
            }
        };
        for kind in NODE_CONDITIONS {
            let (a, b) = (o.condition(kind), n.condition(kind));
            let status = |c: Option<&Condition>| c.map(|c| printable(&c.status).into_owned());
            if status(a) == status(b) {
                continue;
            }
            out.push(NodeChange {
                condition: Some(kind.to_owned()),
                old: status(a),
                new: status(b),
                reason: b
                    .and_then(|c| c.reason.as_deref())
                    .map(|r| printable(r).into_owned()),
                ..change("condition")
            });
        }
    }
    out
}

pub(crate) use render::render;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::LastTermination;

    /// A finding of `cause` for `container` of `kind`/`name` in `shop`.
    fn finding(kind: &str, name: &str, cause: &str, restarts: i64, rank: usize) -> ReportFinding {
        ReportFinding {
            rank,
            score: 0.6,
            severity: Severity::High,
            cause: Cause::from_id(cause).expect("a cause id"),
            confidence: 0.9,
            title: format!("container `{name}` fails"),
            cluster: "prod-eu-1".to_owned(),
            namespace: "shop".to_owned(),
            workload: WorkloadName {
                kind: kind.to_owned(),
                name: name.to_owned(),
            },
            pods: vec![name.to_owned()],
            container: "app".to_owned(),
            container_kind: "app".to_owned(),
            restart_count: restarts,
            last_termination: Some(LastTermination {
                reason: Some("Error".to_owned()),
                exit_code: Some(1),
                signal: None,
                message: None,
                started_at: None,
                finished_at: Some("2026-11-28T04:58:10Z".to_owned()),
            }),
            evidence: Vec::new(),
            alternatives: Vec::new(),
            remediation: Vec::new(),
            commands: Vec::new(),
            timeline: Vec::new(),
            change_commands: Vec::new(),
            explains: Vec::new(),
            notes: Vec::new(),
            log_tail: Vec::new(),
            bundle: "b".to_owned(),
            image: "registry.example.com/shop/app:1".to_owned(),
            nodes: Vec::new(),
        }
    }

    /// A bare pod recreated under a new generated name is the same workload; two findings of
    /// one container pair by cause before a cause change is assumed.
    #[test]
    fn findings_match_by_workload_with_hashes_normalized_and_cause_first() {
        let old = [
            finding("Pod", "debug-7d9c5b6f4d-k2x8q", "oom-killed", 3, 1),
            finding("Deployment", "api", "rollout-regression", 4, 2),
            finding("Deployment", "api", "bad-args", 4, 3),
            finding("Deployment", "worker", "dns-failure", 2, 4),
        ];
        let new = [
            finding("Deployment", "api", "bad-args", 9, 1),
            finding("Pod", "debug-5f6b8c9d7-x2x9z", "oom-killed", 1, 2),
            finding("Deployment", "worker", "dependency-unreachable", 6, 3),
            finding("StatefulSet", "db", "volume-mount", 2, 4),
        ];
        let m = match_findings(&old, &new);
        let shown = |i: &Item| format!("{} {}", i.workload.name, i.cause.id());
        assert_eq!(
            m.new.iter().map(shown).collect::<Vec<_>>(),
            ["db volume-mount"]
        );
        assert_eq!(
            m.resolved.iter().map(shown).collect::<Vec<_>>(),
            ["api rollout-regression"]
        );
        let persisting: Vec<(String, String, i64, bool)> = m
            .persisting
            .iter()
            .map(|p| {
                (
                    shown(&p.old),
                    shown(&p.new),
                    p.restart_growth,
                    p.cause_changed,
                )
            })
            .collect();
        assert_eq!(
            persisting,
            [
                ("api bad-args".into(), "api bad-args".into(), 5, false),
                (
                    "debug-7d9c5b6f4d-k2x8q oom-killed".into(),
                    "debug-5f6b8c9d7-x2x9z oom-killed".into(),
                    -2,
                    false
                ),
                (
                    "worker dns-failure".into(),
                    "worker dependency-unreachable".into(),
                    4,
                    true
                ),
            ]
        );
    }
}
