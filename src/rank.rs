//! Scoring and ordering of findings: `score = impact × confidence × recency` (taxonomy §6.2).
//!
//! Recency is measured from the bundle's `collected_at`, never from this machine's clock.
//! The final order is total: ties break on restart count, then names, so output is stable.

use std::cmp::Ordering;

use crate::finding::Key;
use crate::model::Cluster;
use crate::subjects::{State, Subject};

/// Namespaces whose workloads the whole cluster depends on.
const SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "ingress-nginx",
    "cert-manager",
    "istio-system",
    "linkerd",
    "calico-system",
    "tigera-operator",
    "cilium",
    "gatekeeper-system",
    "kyverno",
    "monitoring",
    "velero",
    "argocd",
    "flux-system",
    "external-dns",
    "metallb-system",
];
/// Decay time of recency, in seconds.
const RECENCY_TAU_SECS: f64 = 3600.0;

/// How much a finding matters, 0-1: availability of the workload and criticality of its namespace.
#[must_use]
pub(crate) fn impact(
    cluster: &Cluster,
    s: &Subject<'_>,
    failing: usize,
    workload_pods: usize,
) -> f64 {
    let desired = desired_replicas(cluster, s).unwrap_or(workload_pods.max(1));
    let base: f64 = match s.state {
        State::Flapping => 0.3,
        State::NotReady => 0.35,
        State::Waiting => 0.55,
        State::PodFailed => 0.4,
        // One failure seen, or failures a bundle shows only in logs and events.
        State::Exited | State::Unreported => 0.5,
        State::CrashLoop | State::Restarting => {
            if matches!(s.workload.kind.as_str(), "Job" | "CronJob") {
                0.5
            } else if failing >= desired {
                1.0
            } else if failing > 1 || desired <= 2 {
                0.6
            } else {
                0.4
            }
        }
    };
    weighed_by_namespace(base, &s.pod.metadata.namespace)
}

/// An impact `base` weighed by where the workload runs: cluster infrastructure weighs more.
#[must_use]
pub(crate) fn weighed_by_namespace(base: f64, ns: &str) -> f64 {
    let critical = is_system_namespace(ns);
    (base * if critical { 1.2 } else { 1.0 }).min(1.0)
}

/// Whether a namespace holds cluster infrastructure (system namespaces and OpenShift's own).
#[must_use]
pub(crate) fn is_system_namespace(ns: &str) -> bool {
    SYSTEM_NAMESPACES.contains(&ns) || ns.starts_with("openshift-") || ns.starts_with("kube-")
}

/// `spec.replicas` of the workload (DaemonSets: desired scheduled), if the bundle has it.
fn desired_replicas(cluster: &Cluster, s: &Subject<'_>) -> Option<usize> {
    let w = cluster.find_workload(
        &s.workload.kind,
        &s.pod.metadata.namespace,
        &s.workload.name,
    )?;
    let n = w.spec.replicas.or(w.status.desired_number_scheduled)?;
    usize::try_from(n).ok().filter(|n| *n > 0)
}

/// 0.3-1: how recent the last failure is relative to collection (unknown: 0.8).
#[must_use]
pub(crate) fn recency(s: &Subject<'_>) -> f64 {
    if s.state == State::CrashLoop {
        // Still in back-off at collection: the failure is ongoing.
        return 1.0;
    }
    recency_of_age(s.age_secs())
}

/// 0.3-1 for a failure `age` seconds before collection (unknown: 0.8).
#[must_use]
pub(crate) fn recency_of_age(age: Option<f64>) -> f64 {
    match age {
        Some(age) => 0.3 + 0.7 * (-(age.max(0.0)) / RECENCY_TAU_SECS).exp(),
        None => 0.8,
    }
}

/// The total order of findings: score, then restarts, then identity.
#[cfg(test)]
#[must_use]
pub(crate) fn compare(
    a: &crate::finding::ReportFinding,
    b: &crate::finding::ReportFinding,
) -> Ordering {
    compare_keys(&a.key(), &b.key()).then_with(|| a.pods.cmp(&b.pods))
}

/// `compare` but for its last tie-break, the pod lists.
#[must_use]
pub(crate) fn compare_keys(a: &Key<'_>, b: &Key<'_>) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| b.confidence.total_cmp(&a.confidence))
        .then_with(|| b.restart_count.cmp(&a.restart_count))
        .then_with(|| a.cluster.cmp(b.cluster))
        .then_with(|| a.bundle.cmp(b.bundle))
        .then_with(|| a.namespace.cmp(b.namespace))
        .then_with(|| (a.kind, a.name).cmp(&(b.kind, b.name)))
        .then_with(|| a.container.cmp(b.container))
        .then_with(|| a.cause.cmp(&b.cause))
}

/// Sorts findings and numbers them from 1 (the report does this in `report::Findings`).
#[cfg(test)]
pub(crate) fn rank_all(findings: &mut [crate::finding::ReportFinding]) {
    findings.sort_by(compare);
    for (i, f) in findings.iter_mut().enumerate() {
        f.rank = i + 1;
    }
}
