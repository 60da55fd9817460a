//! `NodeCorrelated`: see the declaration's documentation (printed by `ktriage explain node-correlated`).

use std::collections::{BTreeMap, BTreeSet};

use super::{Correlation, ends_evidence, explained_base, is_healthy, is_loop, simultaneous_end};
use crate::cause::Cause;
use crate::finding::{ReportFinding, WorkloadName};
use crate::model::{Cluster, Node, Pod};
use crate::rules::{CERTAIN, Evidence, EvidenceKind, STRONG, calibrated};
use crate::subjects::Subject;

declare_correlation! {
    /// ## What it detects
    /// Restart loops of three or more unrelated workloads on one node, while pods on other nodes are
    /// running and ready, or while the containers on that node all ended within the same minute.
    ///
    /// ## Why it crash-loops
    /// The node, not the apps: a failing disk, memory or PID pressure, a broken network plugin, a kubelet
    /// or container runtime that restarted and took every container with it.
    ///
    /// ## Evidence
    /// - the node's conditions (`Ready`, `MemoryPressure`, `DiskPressure`, `PIDPressure`, and any other
    ///   condition that is bad, such as node-problem-detector's) from `cluster/nodes.yaml`
    /// - the node's latest `Warning` events
    /// - the best evidence of each workload's finding, and their `lastState.terminated.finishedAt` when
    ///   they ended in the same minute (certain with a bad condition or a common end, strong otherwise)
    ///
    /// ## Remedy
    /// Move the workloads off the node (`kubectl cordon`, then `kubectl drain --ignore-daemonsets
    /// --delete-emptydir-data`), read the kubelet and container runtime logs on the node, and fix or
    /// replace it. The findings it explains get the note "part of node-correlated: node `<node>`".
    ///
    /// ## Not covered
    /// Fewer than three workloads on the node; pods of one workload only (a DaemonSet failing everywhere
    /// is that workload's finding); node problems that leave no condition, event or common end time.
    pub(crate) static NODE_CORRELATED = {
        cause: NodeCorrelated,
        summary: "restarts of unrelated workloads concentrated on one node",
        run: Some(node_correlations),
    };
}

/// Unrelated workloads failing on one node before the node is suspected.
const NODE_MIN_WORKLOADS: usize = 3;

/// Node conditions shown as evidence, in this order.
const NODE_CONDITIONS: &[&str] = &["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

// ---------------------------------------------------------------------------------------------
// node-correlated

fn node_correlations(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut [ReportFinding],
    added: &mut Vec<ReportFinding>,
) {
    let mut by_node: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let [node] = f.nodes.as_slice()
            && is_loop(f, subjects)
        {
            by_node.entry(node.as_str()).or_default().push(i);
        }
    }
    let mut made = Vec::new();
    for (node, explained) in by_node {
        let workloads: BTreeSet<(&str, &WorkloadName)> = explained
            .iter()
            .map(|&i| (findings[i].namespace.as_str(), &findings[i].workload))
            .collect();
        if workloads.len() < NODE_MIN_WORKLOADS {
            continue;
        }
        let healthy_elsewhere: Vec<&Pod> = cluster
            .pods
            .iter()
            .filter(|p| p.spec.node_name.as_deref().is_some_and(|n| n != node) && is_healthy(p))
            .collect();
        // Unrelated containers all ending in the same minute: the node or its runtime restarted
        // (a strong signal even on a single-node cluster, where nothing is healthy elsewhere).
        let moment = simultaneous_end(findings, &explained, NODE_MIN_WORKLOADS)
            .map(|(at, _)| at.to_string());
        if healthy_elsewhere.is_empty() && moment.is_none() {
            continue;
        }
        made.push(node_correlation(
            cluster,
            findings,
            node,
            &explained,
            workloads.len(),
            healthy_elsewhere.len(),
            moment.as_deref(),
        ));
    }
    for (c, node) in made {
        for &i in &c.explained {
            findings[i]
                .notes
                .push(format!("part of node-correlated: node `{node}`"));
        }
        added.push(c.build(cluster, findings));
    }
}

fn node_correlation(
    cluster: &Cluster,
    findings: &[ReportFinding],
    node: &str,
    explained: &[usize],
    workloads: usize,
    healthy_elsewhere: usize,
    moment: Option<&str>,
) -> (Correlation, String) {
    let n: Option<&Node> = cluster.find_node(node);
    let mut evidence = Vec::new();
    let mut bad = Vec::new();
    if let Some(n) = n {
        // The standard conditions in a fixed order, then any other (node-problem-detector's).
        let mut conditions: Vec<_> = n.status.conditions.iter().collect();
        conditions.sort_by_key(|c| {
            NODE_CONDITIONS
                .iter()
                .position(|k| *k == c.kind)
                .unwrap_or(NODE_CONDITIONS.len())
        });
        for c in conditions {
            let listed = NODE_CONDITIONS.contains(&c.kind.as_str());
            let is_bad = if c.kind == "Ready" {
                c.status != "True"
            } else {
                c.status == "True"
            };
            if listed || is_bad {
                let detail = c.message.as_deref().or(c.reason.as_deref()).unwrap_or("");
                evidence.push(Evidence::new(
                    EvidenceKind::Node,
                    "cluster/nodes.yaml",
                    format!("{node}: status.conditions[{}]", c.kind),
                    format!("{}={} {detail}", c.kind, c.status),
                ));
            }
            if is_bad {
                bad.push(format!("{}={}", c.kind, c.status));
            }
        }
    }
    for e in cluster
        .events
        .iter()
        .filter(|e| e.object().kind == "Node" && e.object().name == node && e.kind == "Warning")
        .rev()
        .take(2)
    {
        evidence.push(Evidence::event(e));
    }
    for &i in explained {
        let f = &findings[i];
        if let Some(e) = f.evidence.first() {
            evidence.push(e.clone());
        }
    }
    let mut names: Vec<String> = explained
        .iter()
        .map(|&i| format!("`{}`", findings[i].workload.name))
        .collect();
    names.dedup();
    let confidence = if bad.is_empty() && moment.is_none() {
        STRONG
    } else {
        CERTAIN
    };
    if let Some(at) = moment {
        evidence.insert(
            0,
            ends_evidence(
                findings,
                explained,
                format!(
                    "lastState.terminated.finishedAt of the containers on `{node}` around {at}"
                ),
            ),
        );
    }
    let mut remediation = vec![
        format!(
            "move the workloads off the node: `kubectl cordon {node}` then `kubectl drain {node} --ignore-daemonsets --delete-emptydir-data`"
        ),
        format!(
            "read the node's kubelet and container runtime logs: `journalctl -u kubelet -u containerd --since \"2 hours ago\"` on `{node}`"
        ),
    ];
    if let Some(at) = moment {
        remediation.insert(
            0,
            format!(
                "find why `{node}` or its container runtime restarted around {at}: node events (`Rebooted`, `NodeNotReady`), `journalctl -u kubelet -u containerd` and the host's uptime"
            ),
        );
    }
    if !bad.is_empty() {
        remediation.insert(
            0,
            format!(
                "node `{node}` reports {}: fix or replace the node",
                bad.join(", ")
            ),
        );
    }
    let base = explained_base(findings, explained);
    let c = Correlation {
        cause: Cause::NodeCorrelated,
        confidence: calibrated(confidence),
        base,
        title: match moment {
            Some(at) => format!(
                "node `{node}` stopped the containers of {workloads} unrelated workloads ({}) in the same minute ({at}): a node or container-runtime restart",
                names.join(", ")
            ),
            None => format!(
                "node `{node}` hosts the restart loops of {workloads} unrelated workloads ({}) while pods on other nodes are healthy",
                names.join(", ")
            ),
        },
        namespace: String::new(),
        workload: WorkloadName {
            kind: "Node".to_owned(),
            name: node.to_owned(),
        },
        container: String::new(),
        explained: explained.to_vec(),
        evidence,
        remediation,
        commands: vec![
            format!("kubectl describe node {node}"),
            format!("kubectl get pods -A -o wide --field-selector spec.nodeName={node}"),
        ],
        notes: if healthy_elsewhere > 0 {
            vec![format!(
                "{healthy_elsewhere} pods on other nodes are running and ready"
            )]
        } else {
            vec!["no other node in the bundle to compare with".to_owned()]
        },
    };
    (c, node.to_owned())
}
