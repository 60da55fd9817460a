//! `ControlPlaneDisruption`: see the declaration's documentation (printed by `ktriage explain control-plane-disruption`).

use std::collections::BTreeSet;

use super::{
    Correlation, SHARED_IMPACT, above_members, ends_evidence, explained_base, is_loop, members,
    simultaneous_end,
};
use crate::cause::Cause;
use crate::finding::{ReportFinding, WorkloadName};
use crate::model::Cluster;
use crate::rules::{CERTAIN, Evidence, STRONG, calibrated};
use crate::subjects::Subject;

declare_correlation! {
    /// ## What it detects
    /// Containers of two or more workloads that exit within the same minute, each after its log says the
    /// Kubernetes API did not answer in time: leader election lost, a lease not renewed, the API
    /// server's address timing out or refusing. One disruption of the control plane, not several
    /// independent failures.
    ///
    /// ## Why it crash-loops
    /// Controllers built on client-go exit when they cannot renew their leader-election lease; each
    /// restart fails the same way while the API server or etcd is unavailable or too slow.
    ///
    /// ## Evidence
    /// - the log line of each workload saying the API did not answer (`kubernetes-api-access` signatures
    ///   `leader-election-lost`, `api-unreachable-ip`, `api-unreachable-name`, `api-request-timeout`)
    /// - their last terminations ending within one minute of each other (certain with three workloads or
    ///   more, strong with two)
    ///
    /// ## Remedy
    /// Look at the control plane at that time (API server and etcd restarts or latency, control-plane node
    /// load, the network between nodes and control plane) rather than at each workload. If the API is slow
    /// but up, give the controllers more slack (lease duration, renew deadline).
    ///
    /// ## Not covered
    /// A single workload losing its lease (its `kubernetes-api-access` finding); API errors that are each
    /// workload's own (RBAC `forbidden`, missing CRDs); loops that a node restart already explains
    /// (`node-correlated`: on a single-node cluster the API server restarts with the node).
    pub(crate) static CONTROL_PLANE_DISRUPTION = {
        cause: ControlPlaneDisruption,
        summary: "workloads losing the Kubernetes API in the same minute: one control-plane outage",
        run: Some(control_plane_disruption),
    };
}

// ---------------------------------------------------------------------------------------------
// control-plane-disruption

/// Signatures of `kubernetes-api-access` that say the API server did not answer in time (not
/// that it refused: RBAC and missing CRDs are each workload's own problem).
const API_DOWN_SIGNATURES: &[&str] = &[
    "leader-election-lost",
    "api-unreachable-ip",
    "api-unreachable-name",
    "api-request-timeout",
];

/// Fewest workloads losing the API in the same minute that make one disruption.
const DISRUPTION_MIN_WORKLOADS: usize = 2;

/// The first log hit of a finding's containers that says the API server did not answer.
fn api_down_hit<'s>(
    f: &ReportFinding,
    subjects: &'s [Subject<'_>],
) -> Option<&'s crate::logscan::LogHit> {
    members(f, subjects).into_iter().find_map(|s| {
        s.log_hits
            .iter()
            .find(|h| API_DOWN_SIGNATURES.contains(&h.signature.id))
    })
}

fn control_plane_disruption(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut [ReportFinding],
    added: &mut Vec<ReportFinding>,
) {
    // A node that restarted explains the API loss of the workloads on it (on a single-node
    // cluster the API server restarted with it): those stay under `node-correlated`.
    let candidates: Vec<usize> = (0..findings.len())
        .filter(|&i| {
            let f = &findings[i];
            is_loop(f, subjects)
                && api_down_hit(f, subjects).is_some()
                && !f
                    .notes
                    .iter()
                    .any(|n| n.starts_with("part of node-correlated"))
        })
        .collect();
    let Some((at, explained)) = simultaneous_end(findings, &candidates, DISRUPTION_MIN_WORKLOADS)
    else {
        return;
    };
    let workloads: BTreeSet<(&str, &WorkloadName)> = explained
        .iter()
        .map(|&i| (findings[i].namespace.as_str(), &findings[i].workload))
        .collect();
    let count = workloads.len();
    let namespaces: BTreeSet<&str> = workloads.iter().map(|(ns, _)| *ns).collect();
    let one_namespace = namespaces.len() == 1;
    let names: Vec<String> = workloads
        .iter()
        .map(|(ns, w)| {
            if one_namespace {
                format!("`{}`", w.name)
            } else {
                format!("`{ns}/{}`", w.name)
            }
        })
        .collect();
    let mut evidence = Vec::new();
    for &i in &explained {
        let f = &findings[i];
        if let Some(hit) = api_down_hit(f, subjects) {
            let s = members(f, subjects)[0];
            evidence.push(Evidence::log_hit(s, hit));
        }
    }
    evidence.insert(
        0,
        ends_evidence(
            findings,
            &explained,
            format!("lastState.terminated.finishedAt around {at}"),
        ),
    );
    let (namespace, workload, where_) = match namespaces.iter().collect::<Vec<_>>().as_slice() {
        [ns] => (
            (**ns).to_owned(),
            WorkloadName {
                kind: "Namespace".to_owned(),
                name: (**ns).to_owned(),
            },
            format!("in namespace `{ns}`"),
        ),
        _ => (
            String::new(),
            WorkloadName {
                kind: "Cluster".to_owned(),
                name: cluster.name.clone(),
            },
            "in the cluster".to_owned(),
        ),
    };
    let c = Correlation {
        cause: Cause::ControlPlaneDisruption,
        // The shared moment adds to what each finding says: at least as certain as they are.
        confidence: above_members(
            calibrated(if count > DISRUPTION_MIN_WORKLOADS {
                CERTAIN
            } else {
                STRONG
            }),
            findings,
            &explained,
        ),
        base: explained_base(findings, &explained) * SHARED_IMPACT,
        title: format!(
            "the Kubernetes API stopped answering around {at}: {count} workloads {where_} ({}) lost it and exited in the same minute, one control-plane disruption rather than {count} failures",
            names.join(", ")
        ),
        namespace,
        workload,
        container: String::new(),
        explained: explained.clone(),
        evidence,
        remediation: vec![
            format!(
                "find why the API server did not answer around {at}: API server and etcd restarts or latency, control-plane node load, a network break between the nodes and the control plane"
            ),
            "the controllers exit by design when they cannot renew their leader-election lease and recover once the API answers: fix the control plane rather than each workload".to_owned(),
            "if the API is slow but up, give the controllers more slack (`--leader-elect-lease-duration`, `--leader-elect-renew-deadline`) or fewer API calls".to_owned(),
        ],
        commands: vec![
            "kubectl get --raw='/readyz?verbose'".to_owned(),
            "kubectl -n kube-system get pods -o wide".to_owned(),
            "kubectl get events -A --field-selector reason=LeaderElection".to_owned(),
        ],
        notes: Vec::new(),
    };
    for &i in &explained {
        findings[i]
            .notes
            .push(format!("part of control-plane-disruption at {at}"));
    }
    added.push(c.build(cluster, findings));
}
