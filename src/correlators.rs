//! Correlations across one bundle's grouped findings (docs/design.md §4): a rollout that broke only
//! the newest revision, one dependency many workloads fail on, one node the loops gather on.
//!
//! Runs after `diagnose` grouped and scored the findings; adds correlation findings and notes
//! on the findings they explain. Never removes or re-scores a finding.

use std::collections::{BTreeMap, BTreeSet};

use crate::correlate::Subject;
use crate::diagnose::{Member, ReportFinding, WorkloadName, round2, round3, split_commands};
use crate::model::pod::{Container, PodSpec, SecurityContext};
use crate::model::{Cluster, Node, Pod, Time, Workload};
use crate::rank;
use crate::rules::registry::RuleSet;
use crate::rules::{CERTAIN, Evidence, EvidenceKind, STRONG, best_hit, calibrated};

/// Log causes whose `target` names a dependency.
const DEPENDENCY_CAUSES: &[&str] = &["dependency-unreachable", "dns-failure"];
/// Unrelated workloads failing on one node before the node is suspected.
const NODE_MIN_WORKLOADS: usize = 3;
/// Impact multiplier of a dependency several workloads share (docs/design.md §4).
const SHARED_IMPACT: f64 = 1.3;
/// Node conditions shown as evidence, in this order.
const NODE_CONDITIONS: &[&str] = &["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];
/// Env names whose values are never shown, even changed.
const SENSITIVE: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "AUTH",
];

/// What `ktriage explain` prints for a correlation id (Markdown, the headings of a rule's doc).
#[must_use]
pub fn explanation(cause: &str) -> Option<&'static str> {
    EXPLANATIONS
        .iter()
        .find(|(c, _)| *c == cause)
        .map(|(_, text)| *text)
}

/// The documentation of each correlation, by id (`rules::registry::CORRELATIONS`).
static EXPLANATIONS: &[(&str, &str)] = &[
    (
        "control-plane-disruption",
        "## What it detects
Containers of two or more workloads that exit within the same minute, each after its log says the
Kubernetes API did not answer in time: leader election lost, a lease not renewed, the API
server's address timing out or refusing. One disruption of the control plane, not several
independent failures.

## Why it crash-loops
Controllers built on client-go exit when they cannot renew their leader-election lease; each
restart fails the same way while the API server or etcd is unavailable or too slow.

## Evidence
- the log line of each workload saying the API did not answer (`kubernetes-api-access` signatures
  `leader-election-lost`, `api-unreachable-ip`, `api-unreachable-name`, `api-request-timeout`)
- their last terminations ending within one minute of each other (certain with three workloads or
  more, strong with two)

## Remedy
Look at the control plane at that time (API server and etcd restarts or latency, control-plane node
load, the network between nodes and control plane) rather than at each workload. If the API is slow
but up, give the controllers more slack (lease duration, renew deadline).

## Not covered
A single workload losing its lease (its `kubernetes-api-access` finding); API errors that are each
workload's own (RBAC `forbidden`, missing CRDs); loops that a node restart already explains
(`node-correlated`: on a single-node cluster the API server restarts with the node).
",
    ),
    (
        "fleet",
        "## What it detects
The same failure in several clusters: findings of the same cause for the same workload and
container (pod-name hashes removed, so `api-7d9c5b6f4d-k2x8q` and `api-5f6b8c9d7-x2x9z` are one
workload) in two or more of the clusters analyzed together.

## Why it crash-loops
It does not add a cause: each cluster's findings say why the containers exit. A failure shared by
clusters usually comes from what they share: an image, a chart version, a configuration pushed
everywhere, an external service.

## Evidence
- the findings it groups, by rank (`fleet[].finding_ranks` in JSON)
- the clusters they come from and the number of pods

## Remedy
Fix the shared origin once (the image, the chart values, the dependency) rather than cluster by
cluster; the first finding of the group shows the evidence.

## Not covered
It is part of the report, not a finding: `--select`/`--ignore` do not change it, and it appears
only when the bundles of more than one cluster are analyzed (or merged) together.
",
    ),
    (
        "node-correlated",
        "## What it detects
Restart loops of three or more unrelated workloads on one node, while pods on other nodes are
running and ready, or while the containers on that node all ended within the same minute.

## Why it crash-loops
The node, not the apps: a failing disk, memory or PID pressure, a broken network plugin, a kubelet
or container runtime that restarted and took every container with it.

## Evidence
- the node's conditions (`Ready`, `MemoryPressure`, `DiskPressure`, `PIDPressure`, and any other
  condition that is bad, such as node-problem-detector's) from `cluster/nodes.yaml`
- the node's latest `Warning` events
- the best evidence of each workload's finding, and their `lastState.terminated.finishedAt` when
  they ended in the same minute (certain with a bad condition or a common end, strong otherwise)

## Remedy
Move the workloads off the node (`kubectl cordon`, then `kubectl drain --ignore-daemonsets
--delete-emptydir-data`), read the kubelet and container runtime logs on the node, and fix or
replace it. The findings it explains get the note \"part of node-correlated: node `<node>`\".

## Not covered
Fewer than three workloads on the node; pods of one workload only (a DaemonSet failing everywhere
is that workload's finding); node problems that leave no condition, event or common end time.
",
    ),
    (
        "rollout-regression",
        "## What it detects
A rollout that broke a workload: a Deployment whose newest ReplicaSet's pods crash-loop while pods
of an older ReplicaSet run and are ready, or a StatefulSet whose pods of the update revision fail
while pods of the current revision are healthy.

## Why it crash-loops
The new pod template (an image, a command, an env variable, a resource limit, a securityContext)
or what it references does not work; the old revision still does.

## Evidence
- the revisions (`deployment.kubernetes.io/revision`, `controller-revision-hash`) of the failing
  and the healthy pods
- the template fields that changed between the two revisions, values of sensitive env names hidden
- the Deployment's `Progressing` condition when the rollout timed out (`ProgressDeadlineExceeded`)
- at least as certain as the loops it explains, so it ranks above them

## Remedy
Roll back (`kubectl rollout undo deployment/<name> --to-revision=<old>`), then fix what changed in
the new revision before rolling forward. When the templates are equal, compare the ConfigMaps and
Secrets they reference and the image digests (`imageID`) of old and new pods (a mutable tag).

## Not covered
DaemonSets and other kinds; a ReplicaSet scaled to zero (its template is not kept); a first rollout
with no older healthy revision; a rollout in which every revision fails.
",
    ),
    (
        "shared-dependency-down",
        "## What it detects
One dependency that several workloads fail on: `dependency-unreachable` or `dns-failure` findings
of two or more workloads whose logs name the same target, a Service (by name, FQDN or cluster IP)
or a host outside the cluster.

## Why it crash-loops
The dependency is down or unreachable, and each client exits instead of retrying: the loops end
when it is back.

## Evidence
- the log line of each failing workload naming the dependency
- for a Service: its endpoints (none ready?) and the findings of its own pods
- its score weighs the highest impact of the findings it explains by 1.3

## Remedy
Bring the dependency back (its pods, its endpoints, its selector; for a host outside the cluster
DNS, egress firewall, NetworkPolicy). Make the clients retry with back-off instead of exiting.

## Not covered
A single workload failing on a dependency (that is its `dependency-unreachable` finding); failures
that do not name their target in the log.
",
    ),
];

/// Adds correlation findings (enabled causes only) and notes on the findings they explain;
/// folds app containers waiting behind a looping init container into its finding.
pub fn correlate_findings(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut Vec<ReportFinding>,
    rules: &RuleSet,
) {
    fold_blocked_app_containers(cluster, findings);
    let mut added = Vec::new();
    if rules.is_enabled("rollout-regression") {
        rollout_regressions(cluster, subjects, findings, &mut added);
    }
    if rules.is_enabled("shared-dependency-down") {
        shared_dependencies(cluster, subjects, findings, &mut added);
    }
    if rules.is_enabled("node-correlated") {
        node_correlations(cluster, subjects, findings, &mut added);
    }
    if rules.is_enabled("control-plane-disruption") {
        control_plane_disruption(cluster, subjects, findings, &mut added);
    }
    findings.extend(added);
}

/// The subjects a finding groups: its pods' containers of its name.
fn members<'s, 'a>(f: &ReportFinding, subjects: &'s [Subject<'a>]) -> Vec<&'s Subject<'a>> {
    subjects
        .iter()
        .filter(|s| {
            s.pod.metadata.namespace == f.namespace
                && s.name() == f.container
                && f.pods.contains(&s.pod.metadata.name)
        })
        .collect()
}

/// Whether a finding is about a restart loop (not an image pull, eviction, …).
fn is_loop(f: &ReportFinding, subjects: &[Subject<'_>]) -> bool {
    members(f, subjects).iter().any(|s| s.state.is_loop())
}

/// A correlation finding's frame: everything but cause-specific text.
struct Correlation {
    cause: &'static str,
    /// As a report shows it: an evidence tier through `rules::calibrated`, like a finding's.
    confidence: f64,
    /// `impact × recency` of the findings it explains (their score over their confidence).
    base: f64,
    title: String,
    namespace: String,
    workload: WorkloadName,
    container: String,
    explained: Vec<usize>,
    evidence: Vec<Evidence>,
    remediation: Vec<String>,
    commands: Vec<String>,
    notes: Vec<String>,
}

impl Correlation {
    fn build(self, cluster: &Cluster, findings: &[ReportFinding]) -> ReportFinding {
        let explained: Vec<&ReportFinding> = self.explained.iter().map(|&i| &findings[i]).collect();
        let mut pods: Vec<String> = explained.iter().flat_map(|f| f.pods.clone()).collect();
        pods.sort();
        pods.dedup();
        let mut nodes: Vec<String> = explained.iter().flat_map(|f| f.nodes.clone()).collect();
        nodes.sort();
        nodes.dedup();
        let mut explains: Vec<Member> = explained.iter().map(|f| Member::of(f)).collect();
        explains.sort();
        explains.dedup();
        let (commands, change_commands) = split_commands(self.commands);
        let confidence = self.confidence.min(0.99);
        let score = round3(self.base.min(1.0) * confidence);
        ReportFinding {
            rank: 0,
            score,
            severity: rank::severity(score).to_owned(),
            cause: self.cause.to_owned(),
            confidence: round2(confidence),
            title: self.title,
            cluster: cluster.name.clone(),
            namespace: self.namespace,
            workload: self.workload,
            pods,
            container: self.container,
            container_kind: "app".to_owned(),
            restart_count: explained.iter().map(|f| f.restart_count).max().unwrap_or(0),
            last_termination: None,
            evidence: self.evidence,
            alternatives: Vec::new(),
            remediation: self.remediation,
            commands,
            change_commands,
            explains,
            notes: self.notes,
            log_tail: Vec::new(),
            bundle: explained
                .first()
                .map(|f| f.bundle.clone())
                .unwrap_or_default(),
            image: explained
                .first()
                .map(|f| f.image.clone())
                .unwrap_or_default(),
            nodes,
        }
    }
}

/// `impact × recency` of a finding, recovered from its score.
fn base_of(f: &ReportFinding) -> f64 {
    if f.confidence > 0.0 {
        f.score / f.confidence
    } else {
        0.0
    }
}

// ---------------------------------------------------------------------------------------------
// Init containers: the app containers waiting behind them belong to their finding.

/// Notes on an init container's finding which app containers wait in `PodInitializing` behind it.
fn fold_blocked_app_containers(cluster: &Cluster, findings: &mut [ReportFinding]) {
    for f in findings.iter_mut().filter(|f| f.container_kind == "init") {
        let mut blocked = BTreeSet::new();
        for pod in cluster
            .pods_in(&f.namespace)
            .iter()
            .filter(|p| f.pods.contains(&p.metadata.name))
        {
            for s in &pod.status.container_statuses {
                let waiting = s.state.waiting.as_ref().and_then(|w| w.reason.as_deref());
                if waiting == Some("PodInitializing") {
                    blocked.insert(s.name.clone());
                }
            }
        }
        if !blocked.is_empty() {
            let names: Vec<String> = blocked.iter().map(|n| format!("`{n}`")).collect();
            f.notes.push(format!(
                "the app container{} {} wait{} in `PodInitializing` until `{}` succeeds; {} no finding of {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                if names.len() == 1 { "s" } else { "" },
                f.container,
                if names.len() == 1 { "it has" } else { "they have" },
                if names.len() == 1 { "its own" } else { "their own" },
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// rollout-regression

/// Deployments whose newest ReplicaSet fails while an older one is healthy, and StatefulSets
/// whose updated pods fail while current-revision pods are healthy.
fn rollout_regressions(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut [ReportFinding],
    added: &mut Vec<ReportFinding>,
) {
    let mut by_workload: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if is_loop(f, subjects) {
            by_workload
                .entry((
                    f.namespace.clone(),
                    f.workload.kind.clone(),
                    f.workload.name.clone(),
                ))
                .or_default()
                .push(i);
        }
    }
    for ((ns, kind, name), explained) in by_workload {
        let failing: Vec<&Subject<'_>> = explained
            .iter()
            .flat_map(|&i| members(&findings[i], subjects))
            .filter(|s| s.state.is_loop())
            .collect();
        let correlation = match kind.as_str() {
            "Deployment" => {
                deployment_regression(cluster, &ns, &name, &failing, findings, &explained)
            }
            "StatefulSet" => {
                statefulset_regression(cluster, &ns, &name, &failing, findings, &explained)
            }
            _ => None,
        };
        let Some(c) = correlation else { continue };
        let note = format!("part of rollout-regression of {kind} `{name}`");
        for &i in &c.explained {
            findings[i].notes.push(note.clone());
        }
        added.push(c.build(cluster, findings));
    }
}

/// A Deployment's ReplicaSets with their revisions, oldest first.
fn replica_sets<'c>(cluster: &'c Cluster, ns: &str, name: &str) -> Vec<(i64, &'c Workload)> {
    let mut sets: Vec<(i64, &Workload)> = cluster
        .workloads_in("ReplicaSet", ns)
        .iter()
        .filter(|w| w.deployment() == Some(name))
        .filter_map(|w| Some((w.revision()?, w)))
        .collect();
    sets.sort_by_key(|(r, _)| *r);
    sets
}

/// The running, ready pods a ReplicaSet owns.
fn healthy_pods_of<'c>(cluster: &'c Cluster, ns: &str, rs: &str) -> Vec<&'c Pod> {
    cluster
        .pods_in(ns)
        .iter()
        .filter(|p| p.metadata.controller().is_some_and(|o| o.name == rs) && is_healthy(p))
        .collect()
}

/// Whether a pod is running with every container ready.
fn is_healthy(p: &Pod) -> bool {
    p.status.phase.as_deref() == Some("Running")
        && !p.status.container_statuses.is_empty()
        && p.status.container_statuses.iter().all(|c| c.ready)
}

fn deployment_regression(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    failing: &[&Subject<'_>],
    findings: &[ReportFinding],
    explained: &[usize],
) -> Option<Correlation> {
    // A ReplicaSet scaled to zero neither fails nor serves (and its template is not read:
    // `WorkloadSpec`), so it is no side of a regression.
    let scaled = |w: &Workload| w.spec.replicas != Some(0);
    let sets = replica_sets(cluster, ns, name);
    let &(new_rev, new_rs) = sets.last().filter(|(_, w)| scaled(w))?;
    let new_name = new_rs.metadata.name.as_str();
    if failing.is_empty()
        || !failing
            .iter()
            .all(|s| s.workload.revision.as_deref() == Some(new_name))
    {
        return None;
    }
    // The newest older revision that still serves.
    let (old_rev, old_rs, healthy) = sets[..sets.len() - 1]
        .iter()
        .rev()
        .filter(|(_, w)| scaled(w))
        .map(|&(r, w)| (r, w, healthy_pods_of(cluster, ns, &w.metadata.name)))
        .find(|(_, _, pods)| !pods.is_empty())?;
    let old_name = old_rs.metadata.name.as_str();
    let container = findings[explained[0]].container.clone();
    let changes = diff_templates(old_rs.spec.pod_spec(), new_rs.spec.pod_spec());
    let source = new_rs.source.clone();
    let mut evidence = vec![
        Evidence::new(
            EvidenceKind::Status,
            &source,
            format!("{new_name}: metadata.annotations[deployment.kubernetes.io/revision]"),
            format!(
                "revision {new_rev} (`{new_name}`): {} failing pod{}",
                failing.len(),
                if failing.len() == 1 { "" } else { "s" }
            ),
        ),
        Evidence::new(
            EvidenceKind::Status,
            &healthy[0].source,
            format!("{old_name}: pods running and ready"),
            format!(
                "revision {old_rev} (`{old_name}`): {} healthy pod{} ({})",
                healthy.len(),
                if healthy.len() == 1 { "" } else { "s" },
                healthy
                    .iter()
                    .map(|p| p.metadata.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    ];
    for (field, text) in &changes {
        evidence.push(Evidence::new(
            EvidenceKind::Spec,
            &source,
            format!("{old_name} → {new_name}: spec.template.spec.{field}"),
            text,
        ));
    }
    if let Some(e) = findings[explained[0]].evidence.first() {
        evidence.push(e.clone());
    }
    evidence.extend(progress_deadline(cluster, ns, name));
    let changed: Vec<&str> = changes.iter().map(|(f, _)| f.as_str()).collect();
    let (mut title, remediation) = regression_text(ns, name, new_rev, old_rev, &changed);
    // Name the concrete failure the new revision shows, so the headline says what breaks.
    let mut causes: Vec<&str> = explained
        .iter()
        .map(|&i| findings[i].cause.as_str())
        .collect();
    causes.sort_unstable();
    causes.dedup();
    title = title.replacen(
        " fails while",
        &format!(
            " fails ({}) while",
            causes
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        1,
    );
    let mut notes = Vec::new();
    if new_rs.spec.pod_spec().containers.is_empty() {
        notes.push(
            "the bundle's ReplicaSets have no pod templates: the changed fields are unknown"
                .to_owned(),
        );
    }
    Some(Correlation {
        cause: "rollout-regression",
        confidence: regression_confidence(findings, explained),
        base: explained_base(findings, explained),
        title,
        namespace: ns.to_owned(),
        workload: WorkloadName {
            kind: "Deployment".to_owned(),
            name: name.to_owned(),
        },
        container,
        explained: explained.to_vec(),
        evidence,
        remediation,
        commands: vec![
            format!("kubectl -n {ns} rollout history deployment/{name} --revision={new_rev}"),
            format!("kubectl -n {ns} rollout history deployment/{name} --revision={old_rev}"),
            format!("kubectl -n {ns} rollout undo deployment/{name} --to-revision={old_rev}"),
        ],
        notes,
    })
}

/// The Deployment's `Progressing=False ProgressDeadlineExceeded` condition, when the rollout
/// gave up ("ReplicaSet "x" has timed out progressing.").
fn progress_deadline(cluster: &Cluster, ns: &str, name: &str) -> Option<Evidence> {
    let deployment = cluster.find_workload("Deployment", ns, name)?;
    let c = deployment
        .status
        .conditions
        .iter()
        .find(|c| c.kind == "Progressing")
        .filter(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"))?;
    Some(Evidence::new(
        EvidenceKind::Status,
        &deployment.source,
        format!("{name}: status.conditions[Progressing]"),
        format!(
            "{} ProgressDeadlineExceeded: {}",
            c.status,
            c.message.as_deref().unwrap_or("")
        ),
    ))
}

/// The highest `impact × recency` of the explained findings.
fn explained_base(findings: &[ReportFinding], explained: &[usize]) -> f64 {
    explained
        .iter()
        .map(|&i| base_of(&findings[i]))
        .fold(0.0, f64::max)
}

/// A regression is at least as certain as the loops it explains (it adds the revision fact),
/// so it ranks above them.
fn regression_confidence(findings: &[ReportFinding], explained: &[usize]) -> f64 {
    above_members(calibrated(CERTAIN), findings, explained)
}

/// A correlation's confidence when it adds a fact to the findings it explains: its own tier, and
/// at least a little above the most certain of them, so that it ranks above them.
fn above_members(tier: f64, findings: &[ReportFinding], explained: &[usize]) -> f64 {
    findings_confidence(findings, explained).map_or(tier, |c| (c + 0.01).max(tier))
}

/// Title and remediation of a Deployment's rollout regression.
fn regression_text(
    ns: &str,
    name: &str,
    new_rev: i64,
    old_rev: i64,
    changed: &[&str],
) -> (String, Vec<String>) {
    let title = if changed.is_empty() {
        format!(
            "revision {new_rev} of Deployment `{name}` fails while revision {old_rev} runs; the pod templates are equal (a mutable tag or changed config?)"
        )
    } else {
        format!(
            "revision {new_rev} of Deployment `{name}` fails while revision {old_rev} runs; changed: {}",
            summarize_fields(changed)
        )
    };
    let mut remediation = vec![format!(
        "roll back to revision {old_rev}: `kubectl -n {ns} rollout undo deployment/{name} --to-revision={old_rev}`"
    )];
    if changed.is_empty() {
        remediation.push(format!(
            "the templates do not differ: compare the ConfigMaps and Secrets they reference and the image digests (`imageID`) of old and new pods of `{name}`"
        ));
    } else {
        remediation.push(format!(
            "fix what changed in revision {new_rev} ({}) before rolling forward again",
            summarize_fields(changed)
        ));
    }
    (title, remediation)
}

fn statefulset_regression(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    failing: &[&Subject<'_>],
    findings: &[ReportFinding],
    explained: &[usize],
) -> Option<Correlation> {
    let sts = cluster.find_workload("StatefulSet", ns, name)?;
    let update = sts.status.update_revision.as_deref()?;
    let current = sts.status.current_revision.as_deref()?;
    if update == current
        || failing.is_empty()
        || !failing
            .iter()
            .all(|s| s.workload.revision.as_deref() == Some(update))
    {
        return None;
    }
    let healthy = healthy_pods_of_revision(cluster, ns, name, current);
    let first = healthy.first()?;
    let source = sts.source.clone();
    let mut evidence = vec![
        Evidence::new(
            EvidenceKind::Status,
            &source,
            format!("{name}: status.updateRevision"),
            format!("updateRevision {update}, currentRevision {current}"),
        ),
        Evidence::new(
            EvidenceKind::Status,
            &first.source,
            format!("{name}: pods of {current} running and ready"),
            healthy
                .iter()
                .map(|p| p.metadata.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    // No ControllerRevisions in a bundle: compare a failing pod's spec with a healthy one's,
    // without the per-pod claims (`data-redis-0` vs `data-redis-2`).
    let bad = failing[0].pod;
    let changes = pod_spec_changes(first, bad);
    for (field, text) in &changes {
        evidence.push(Evidence::new(
            EvidenceKind::Spec,
            &bad.source,
            format!(
                "{} → {}: spec.{field}",
                first.metadata.name, bad.metadata.name
            ),
            text,
        ));
    }
    if let Some(e) = findings[explained[0]].evidence.first() {
        evidence.push(e.clone());
    }
    let changed: Vec<&str> = changes.iter().map(|(f, _)| f.as_str()).collect();
    let what = if changed.is_empty() {
        String::new()
    } else {
        format!("; changed: {}", summarize_fields(&changed))
    };
    Some(Correlation {
        cause: "rollout-regression",
        confidence: regression_confidence(findings, explained),
        base: explained_base(findings, explained),
        title: format!(
            "the update of StatefulSet `{name}` to `{update}` fails while pods of `{current}` run{what}"
        ),
        namespace: ns.to_owned(),
        workload: WorkloadName {
            kind: "StatefulSet".to_owned(),
            name: name.to_owned(),
        },
        container: findings[explained[0]].container.clone(),
        explained: explained.to_vec(),
        evidence,
        remediation: vec![
            format!(
                "roll back: `kubectl -n {ns} rollout undo statefulset/{name}`; with `OrderedReady` the update stays stuck at the failing pod until then"
            ),
            format!(
                "compare the two revisions: `kubectl -n {ns} get controllerrevision {current} {update} -o yaml`"
            ),
        ],
        commands: vec![
            format!("kubectl -n {ns} rollout history statefulset/{name}"),
            format!("kubectl -n {ns} rollout undo statefulset/{name}"),
        ],
        notes: vec![format!(
            "the bundle has no ControllerRevisions: the changed fields come from the specs of `{}` and `{}`",
            first.metadata.name, bad.metadata.name
        )],
    })
}

/// The running, ready pods of a StatefulSet at `revision`.
fn healthy_pods_of_revision<'c>(
    cluster: &'c Cluster,
    ns: &str,
    name: &str,
    revision: &str,
) -> Vec<&'c Pod> {
    cluster
        .pods_in(ns)
        .iter()
        .filter(|p| {
            p.metadata
                .controller()
                .is_some_and(|o| o.kind == "StatefulSet" && o.name == name)
                && p.metadata
                    .labels
                    .get("controller-revision-hash")
                    .map(String::as_str)
                    == Some(revision)
                && is_healthy(p)
        })
        .collect()
}

/// The fields that differ between two pods' specs, ignoring per-pod claims.
fn pod_spec_changes(old: &Pod, new: &Pod) -> Vec<(String, String)> {
    let without_claims = |p: &Pod| {
        let mut spec = p.spec.clone();
        spec.volumes.retain(|v| v.persistent_volume_claim.is_none());
        spec
    };
    diff_templates(&without_claims(old), &without_claims(new))
}

/// The highest confidence of the explained findings.
fn findings_confidence(findings: &[ReportFinding], explained: &[usize]) -> Option<f64> {
    explained
        .iter()
        .map(|&i| findings[i].confidence)
        .max_by(f64::total_cmp)
}

/// "image, env (`A`, `B`), resources" from `containers[api].image`, `containers[api].env[A]`, ….
fn summarize_fields(fields: &[&str]) -> String {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for f in fields {
        let short = f.split_once("].").map_or(*f, |(_, rest)| rest);
        let (field, key) = match short.split_once('[') {
            Some((field, key)) => (field, Some(key.trim_end_matches(']'))),
            None => (short, None),
        };
        let i = out.iter().position(|(f, _)| f == field).unwrap_or_else(|| {
            out.push((field.to_owned(), Vec::new()));
            out.len() - 1
        });
        if let Some(k) = key {
            out[i].1.push(format!("`{k}`"));
        }
    }
    out.into_iter()
        .map(|(f, keys)| {
            if keys.is_empty() {
                f
            } else {
                format!("{f} ({})", keys.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields that differ between two pod templates, each with a description of the change.
fn diff_templates(old: &PodSpec, new: &PodSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (list, olds, news) in [
        ("initContainers", &old.init_containers, &new.init_containers),
        ("containers", &old.containers, &new.containers),
    ] {
        for n in news {
            let path = format!("{list}[{}]", n.name);
            match olds.iter().find(|o| o.name == n.name) {
                Some(o) => diff_container(&path, o, n, &mut out),
                None => out.push((path, "container added".to_owned())),
            }
        }
        for o in olds
            .iter()
            .filter(|o| !news.iter().any(|n| n.name == o.name))
        {
            out.push((
                format!("{list}[{}]", o.name),
                "container removed".to_owned(),
            ));
        }
    }
    if old.security_context != new.security_context {
        out.push((
            "securityContext".to_owned(),
            format!(
                "{} → {}",
                security_context_text(&old.security_context),
                security_context_text(&new.security_context)
            ),
        ));
    }
    let refs = |s: &PodSpec| -> BTreeSet<String> {
        s.volumes
            .iter()
            .filter_map(|v| {
                v.config_map
                    .as_ref()
                    .map(|c| format!("configMap {}", c.name))
                    .or_else(|| {
                        v.secret
                            .as_ref()
                            .map(|c| format!("secret {}", c.secret_name))
                    })
                    .or_else(|| {
                        v.persistent_volume_claim
                            .as_ref()
                            .map(|c| format!("claim {}", c.claim_name))
                    })
            })
            .collect()
    };
    let (ro, rn) = (refs(old), refs(new));
    if ro != rn {
        out.push(("volumes".to_owned(), change_of_sets(&ro, &rn)));
    }
    out
}

/// Adds the changed fields of one container.
fn diff_container(path: &str, o: &Container, n: &Container, out: &mut Vec<(String, String)>) {
    if o.image != n.image {
        out.push((
            format!("{path}.image"),
            format!("{} → {}", o.image, n.image),
        ));
    }
    if o.command != n.command {
        out.push((
            format!("{path}.command"),
            format!("{:?} → {:?}", o.command, n.command),
        ));
    }
    if o.args != n.args {
        out.push((
            format!("{path}.args"),
            format!("{:?} → {:?}", o.args, n.args),
        ));
    }
    diff_env(path, o, n, out);
    let from = |c: &Container| -> BTreeSet<String> {
        c.env_from
            .iter()
            .filter_map(|e| {
                e.config_map_ref
                    .as_ref()
                    .map(|r| format!("configMapRef {}", r.name))
                    .or_else(|| {
                        e.secret_ref
                            .as_ref()
                            .map(|r| format!("secretRef {}", r.name))
                    })
            })
            .collect()
    };
    let (fo, fnew) = (from(o), from(n));
    if fo != fnew {
        out.push((format!("{path}.envFrom"), change_of_sets(&fo, &fnew)));
    }
    if o.resources != n.resources {
        let show = |r: &crate::model::pod::Resources| {
            format!("requests {:?}, limits {:?}", r.requests, r.limits)
        };
        out.push((
            format!("{path}.resources"),
            format!("{} → {}", show(&o.resources), show(&n.resources)),
        ));
    }
    for (field, a, b) in [
        ("livenessProbe", &o.liveness_probe, &n.liveness_probe),
        ("readinessProbe", &o.readiness_probe, &n.readiness_probe),
        ("startupProbe", &o.startup_probe, &n.startup_probe),
    ] {
        if a != b {
            let show = |p: &Option<Box<crate::model::pod::Probe>>| {
                p.as_deref().map_or_else(
                    || "none".to_owned(),
                    |p| format!("{} (kills after ~{}s)", p.describe(), p.budget_secs()),
                )
            };
            out.push((
                format!("{path}.{field}"),
                format!("{} → {}", show(a), show(b)),
            ));
        }
    }
    if o.security_context != n.security_context {
        out.push((
            format!("{path}.securityContext"),
            format!(
                "{} → {}",
                security_context_text(&o.security_context),
                security_context_text(&n.security_context)
            ),
        ));
    }
    let mounts = |c: &Container| -> BTreeSet<String> {
        c.volume_mounts
            .iter()
            .map(|m| format!("{} at {}", m.name, m.mount_path))
            .collect()
    };
    let (mo, mn) = (mounts(o), mounts(n));
    if mo != mn {
        out.push((format!("{path}.volumeMounts"), change_of_sets(&mo, &mn)));
    }
}

/// Adds the env variables added, removed or changed (values of sensitive names hidden).
fn diff_env(path: &str, o: &Container, n: &Container, out: &mut Vec<(String, String)>) {
    let env = |c: &Container| -> BTreeMap<String, String> {
        c.env
            .iter()
            .map(|e| {
                let value = match (&e.value, &e.value_from) {
                    (Some(v), _) => v.clone(),
                    (None, Some(f)) => f
                        .config_map_key_ref
                        .as_ref()
                        .map(|r| format!("configMapKeyRef {}/{}", r.name, r.key))
                        .or_else(|| {
                            f.secret_key_ref
                                .as_ref()
                                .map(|r| format!("secretKeyRef {}/{}", r.name, r.key))
                        })
                        .or_else(|| {
                            f.field_ref
                                .as_ref()
                                .map(|r| format!("fieldRef {}", r.field_path))
                        })
                        .unwrap_or_default(),
                    (None, None) => String::new(),
                };
                (e.name.clone(), value)
            })
            .collect()
    };
    let (eo, en) = (env(o), env(n));
    for name in eo.keys().chain(en.keys()).collect::<BTreeSet<_>>() {
        let shown = |v: &str| {
            if SENSITIVE
                .iter()
                .any(|w| name.to_ascii_uppercase().contains(w))
                && !v.contains("KeyRef")
            {
                "<redacted>".to_owned()
            } else {
                format!("`{v}`")
            }
        };
        let text = match (eo.get(name), en.get(name)) {
            (Some(a), Some(b)) if a != b => format!("{name}: {} → {}", shown(a), shown(b)),
            (Some(_), None) => format!("{name} removed"),
            (None, Some(b)) => format!("{name} added: {}", shown(b)),
            _ => continue,
        };
        out.push((format!("{path}.env[{name}]"), text));
    }
}

/// A securityContext as the fields it sets, named as in the pod spec:
/// `{runAsNonRoot: true, capabilities.drop: [ALL]}` (not Rust's debug form).
fn security_context_text(s: &SecurityContext) -> String {
    let mut parts = Vec::new();
    let flags = [
        ("runAsNonRoot", s.run_as_non_root),
        ("readOnlyRootFilesystem", s.read_only_root_filesystem),
        ("privileged", s.privileged),
        ("allowPrivilegeEscalation", s.allow_privilege_escalation),
    ];
    let ids = [
        ("runAsUser", s.run_as_user),
        ("runAsGroup", s.run_as_group),
        ("fsGroup", s.fs_group),
    ];
    parts.extend(
        flags
            .iter()
            .filter_map(|(name, v)| v.map(|v| format!("{name}: {v}"))),
    );
    parts.extend(
        ids.iter()
            .filter_map(|(name, v)| v.map(|v| format!("{name}: {v}"))),
    );
    for (name, list) in [
        ("capabilities.add", &s.capabilities.add),
        ("capabilities.drop", &s.capabilities.drop),
    ] {
        if !list.is_empty() {
            parts.push(format!("{name}: [{}]", list.join(", ")));
        }
    }
    if let Some(p) = &s.seccomp_profile {
        parts.push(format!("seccompProfile.type: {}", p.kind));
    }
    format!("{{{}}}", parts.join(", "))
}

/// "added x; removed y".
fn change_of_sets(old: &BTreeSet<String>, new: &BTreeSet<String>) -> String {
    let added: Vec<&str> = new.difference(old).map(String::as_str).collect();
    let removed: Vec<&str> = old.difference(new).map(String::as_str).collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    parts.join("; ")
}

// ---------------------------------------------------------------------------------------------
// shared-dependency-down

/// A dependency as several workloads name it: a Service (namespace, name) or an external host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Service { namespace: String, name: String },
    Host(String),
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Self::Service { namespace, name } => format!("`{name}` in `{namespace}`"),
            Self::Host(h) => format!("`{h}`"),
        }
    }
}

/// Normalizes a log target (`postgres:5432`, `postgres.shop`, `postgres.shop.svc.cluster.local`,
/// a Service's cluster IP) to the dependency it names.
fn normalize_target(cluster: &Cluster, ns: &str, target: &str) -> Option<Target> {
    let target = target.trim().trim_matches(['\'', '"']);
    let host = match target.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => target,
    };
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    if host.is_empty() || host == "localhost" || host.starts_with("127.") || host == "::1" {
        return None;
    }
    if let Some(svc) = cluster
        .services
        .iter()
        .find(|s| s.spec.cluster_ip.as_deref() == Some(host.as_str()))
    {
        return Some(Target::Service {
            namespace: svc.metadata.namespace.clone(),
            name: svc.metadata.name.clone(),
        });
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Some(Target::Host(host));
    }
    let short = host
        .strip_suffix(".svc.cluster.local")
        .or_else(|| host.strip_suffix(".svc"))
        .unwrap_or(&host);
    let labels: Vec<&str> = short.split('.').collect();
    match labels.as_slice() {
        [name] => Some(Target::Service {
            namespace: ns.to_owned(),
            name: (*name).to_owned(),
        }),
        [name, namespace] => Some(Target::Service {
            namespace: (*namespace).to_owned(),
            name: (*name).to_owned(),
        }),
        _ => Some(Target::Host(host.clone())),
    }
}

fn shared_dependencies(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut [ReportFinding],
    added: &mut Vec<ReportFinding>,
) {
    // target -> (finding index, subject, the target as written)
    let mut by_target: BTreeMap<Target, Vec<(usize, usize, String)>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if !DEPENDENCY_CAUSES.contains(&f.cause.as_str()) {
            continue;
        }
        let Some((s, written)) = members(f, subjects).into_iter().find_map(|s| {
            let hit = best_hit(s, &f.cause)?;
            Some((s, hit.target.clone()?))
        }) else {
            continue;
        };
        if let Some(t) = normalize_target(cluster, &f.namespace, &written) {
            by_target.entry(t).or_default().push((i, s.index, written));
        }
    }
    for (target, victims) in by_target {
        let workloads: BTreeSet<(&str, &WorkloadName)> = victims
            .iter()
            .map(|(i, _, _)| (findings[*i].namespace.as_str(), &findings[*i].workload))
            .collect();
        if workloads.len() < 2 {
            continue;
        }
        let c = shared_dependency(cluster, subjects, findings, &target, &victims);
        let note = format!(
            "part of shared-dependency-down: {} is unreachable",
            target.describe()
        );
        for (i, _, _) in &victims {
            if !findings[*i].notes.contains(&note) {
                findings[*i].notes.push(note.clone());
            }
        }
        added.push(c.build(cluster, findings));
    }
}

fn shared_dependency(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &[ReportFinding],
    target: &Target,
    victims: &[(usize, usize, String)],
) -> Correlation {
    let mut explained: Vec<usize> = victims.iter().map(|(i, _, _)| *i).collect();
    explained.dedup();
    let mut names: Vec<String> = explained
        .iter()
        .map(|&i| format!("`{}`", findings[i].workload.name))
        .collect();
    names.dedup();
    let mut evidence = Vec::new();
    let mut remediation = Vec::new();
    let mut commands = Vec::new();
    let mut confidence: f64 = 0.9;
    let written: BTreeSet<&str> = victims.iter().map(|(_, _, w)| w.as_str()).collect();
    for (fi, si, _) in victims {
        let s = &subjects[*si];
        if let Some(hit) = best_hit(s, &findings[*fi].cause) {
            evidence.push(Evidence::log_hit(s, hit));
        }
    }
    let (namespace, workload) = match target {
        Target::Service { namespace, name } => service_facts(
            cluster,
            subjects,
            findings,
            namespace,
            name,
            &mut Facts {
                evidence: &mut evidence,
                remediation: &mut remediation,
                commands: &mut commands,
                confidence: &mut confidence,
            },
        ),
        Target::Host(h) => {
            remediation.push(format!(
                "`{h}` is outside the cluster's Services: check it is up and reachable from the cluster (DNS, egress firewall, NetworkPolicy)"
            ));
            (
                findings[explained[0]].namespace.clone(),
                WorkloadName {
                    kind: "Host".to_owned(),
                    name: h.clone(),
                },
            )
        }
    };
    remediation.push(format!(
        "the failing workloads ({}) recover once it is back; make them retry with back-off instead of exiting",
        names.join(", ")
    ));
    let written: Vec<String> = written.iter().map(|w| format!("`{w}`")).collect();
    let base = explained
        .iter()
        .map(|&i| base_of(&findings[i]))
        .fold(0.0, f64::max)
        * SHARED_IMPACT;
    Correlation {
        cause: "shared-dependency-down",
        confidence: calibrated(confidence),
        base,
        title: format!(
            "dependency {} is unreachable for {} workloads ({}); they name it {}",
            target.describe(),
            names.len(),
            names.join(", "),
            written.join(", ")
        ),
        namespace,
        workload,
        container: String::new(),
        explained,
        evidence,
        remediation,
        commands,
        notes: Vec::new(),
    }
}

/// Where the evidence of a correlation goes while it is gathered.
struct Facts<'f> {
    evidence: &'f mut Vec<Evidence>,
    remediation: &'f mut Vec<String>,
    commands: &'f mut Vec<String>,
    confidence: &'f mut f64,
}

/// What the bundle shows about a dependency that is a Service: its endpoints and its own
/// failing pods. Returns the finding's namespace and workload.
fn service_facts(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &[ReportFinding],
    namespace: &String,
    name: &String,
    facts: &mut Facts<'_>,
) -> (String, WorkloadName) {
    let svc = cluster
        .services
        .iter()
        .find(|s| s.metadata.namespace == *namespace && s.metadata.name == *name);
    if let Some(ep) = cluster
        .endpoints
        .iter()
        .find(|e| e.metadata.namespace == *namespace && e.metadata.name == *name)
    {
        let ready = ep.ready_addresses();
        facts.evidence.insert(
            0,
            Evidence::new(
                EvidenceKind::Status,
                &ep.source,
                format!("endpoints {namespace}/{name}"),
                format!("{ready} ready addresses"),
            ),
        );
        if ready == 0 {
            *facts.confidence += 0.05;
            facts.remediation.push(format!(
                "Service `{name}` in `{namespace}` has no ready endpoints: bring its pods back first"
            ));
        }
        facts.commands.push(format!(
            "kubectl -n {namespace} get endpoints {name} -o wide"
        ));
    }
    if let Some(svc) = svc.filter(|s| !s.spec.selector.is_empty()) {
        let selector: Vec<String> = svc
            .spec
            .selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        facts.commands.push(format!(
            "kubectl -n {namespace} get pods -l {} -o wide",
            selector.join(",")
        ));
        // The dependency's own failing pods, if the bundle shows them.
        let own: Vec<&ReportFinding> = findings
            .iter()
            .filter(|f| {
                f.namespace == *namespace
                    && members(f, subjects).iter().any(|s| {
                        svc.spec
                            .selector
                            .iter()
                            .all(|(k, v)| s.pod.metadata.labels.get(k) == Some(v))
                    })
            })
            .collect();
        for f in own {
            *facts.confidence += 0.03;
            let (source, locator) = f.evidence.first().map_or_else(
                || {
                    (
                        format!("namespaces/{namespace}/pods.yaml"),
                        format!("{} {}", f.workload.kind, f.workload.name),
                    )
                },
                |e| (e.source.clone(), e.locator.clone()),
            );
            facts.evidence.insert(
                0,
                Evidence::new(
                    EvidenceKind::Status,
                    &source,
                    locator,
                    format!("the dependency's own pods fail: {} ({})", f.title, f.cause),
                ),
            );
            facts.remediation.insert(
                0,
                format!(
                    "fix {} `{}` first: {}",
                    f.workload.kind, f.workload.name, f.title
                ),
            );
        }
    } else if svc.is_none() {
        facts.remediation.push(format!(
            "the bundle has no Service `{name}` in `{namespace}`: check that it exists and that the name the apps use is right"
        ));
    }
    (
        namespace.clone(),
        WorkloadName {
            kind: "Service".to_owned(),
            name: name.clone(),
        },
    )
}

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

/// The time at which the last instances of at least `min` different workloads among
/// `explained` ended within one minute of each other, if they did, and the findings that ended
/// in that minute.
fn simultaneous_end(
    findings: &[ReportFinding],
    explained: &[usize],
    min: usize,
) -> Option<(Time, Vec<usize>)> {
    let mut ends: Vec<(Time, &WorkloadName, usize)> = explained
        .iter()
        .filter_map(|&i| {
            let f = &findings[i];
            let at = f.last_termination.as_ref()?.finished_at.as_deref()?;
            Some((Time::parse(at)?, &f.workload, i))
        })
        .collect();
    ends.sort();
    for (i, (start, _, _)) in ends.iter().enumerate() {
        let within: Vec<&(Time, &WorkloadName, usize)> = ends[i..]
            .iter()
            .take_while(|(t, _, _)| t.seconds_since(*start) <= 60.0)
            .collect();
        let workloads: BTreeSet<&WorkloadName> = within.iter().map(|(_, w, _)| *w).collect();
        if workloads.len() >= min {
            let mut members: Vec<usize> = within.iter().map(|(_, _, i)| *i).collect();
            members.sort_unstable();
            return Some((*start, members));
        }
    }
    None
}

/// Evidence of when the last instances of the `explained` findings ended (`` `api` exit 1 at
/// 2026-11-28T04:52:10Z; … ``), located at `locator` in the file of their status evidence.
fn ends_evidence(findings: &[ReportFinding], explained: &[usize], locator: String) -> Evidence {
    let ends: Vec<String> = explained
        .iter()
        .filter_map(|&i| {
            let f = &findings[i];
            let t = f.last_termination.as_ref()?;
            let code = t
                .exit_code
                .map_or_else(|| "?".to_owned(), |c| c.to_string());
            Some(format!(
                "`{}` exit {code} at {}",
                f.container,
                t.finished_at.as_deref()?
            ))
        })
        .collect();
    let source = explained
        .iter()
        .flat_map(|&i| &findings[i].evidence)
        .find(|e| e.kind == EvidenceKind::Status)
        .map_or("", |e| e.source.as_str());
    Evidence::new(EvidenceKind::Status, source, locator, ends.join("; "))
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
        cause: "node-correlated",
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
        cause: "control-plane-disruption",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;

    fn cluster_with_postgres() -> Cluster {
        let svc: Service = serde_yaml_ng::from_str(
            "metadata: {name: postgres, namespace: shop}\nspec: {clusterIP: 10.96.14.3}\n",
        )
        .expect("valid");
        Cluster {
            services: vec![svc],
            ..Cluster::default()
        }
    }

    /// A changed securityContext is shown in the pod spec's names, not Rust's debug form.
    #[test]
    fn security_context_changes_read_like_the_spec() {
        let old: SecurityContext =
            serde_yaml_ng::from_str("runAsNonRoot: true\nrunAsUser: 1000\n").expect("valid");
        let new: SecurityContext = serde_yaml_ng::from_str(
            "readOnlyRootFilesystem: true\ncapabilities: {drop: [ALL]}\nseccompProfile: {type: RuntimeDefault}\n",
        )
        .expect("valid");
        assert_eq!(
            security_context_text(&old),
            "{runAsNonRoot: true, runAsUser: 1000}"
        );
        assert_eq!(
            security_context_text(&new),
            "{readOnlyRootFilesystem: true, capabilities.drop: [ALL], seccompProfile.type: RuntimeDefault}"
        );
        assert_eq!(security_context_text(&SecurityContext::default()), "{}");
    }

    #[test]
    fn targets_of_one_service_normalize_to_it() {
        let c = cluster_with_postgres();
        let postgres = Some(Target::Service {
            namespace: "shop".to_owned(),
            name: "postgres".to_owned(),
        });
        for written in [
            "postgres",
            "postgres:5432",
            "postgres.shop",
            "postgres.shop.svc:5432",
            "postgres.shop.svc.cluster.local",
            "10.96.14.3:5432",
            "'postgres.shop.svc'",
        ] {
            assert_eq!(normalize_target(&c, "shop", written), postgres, "{written}");
        }
        assert_eq!(
            normalize_target(&c, "billing", "postgres:5432"),
            Some(Target::Service {
                namespace: "billing".to_owned(),
                name: "postgres".to_owned(),
            }),
            "a short name resolves in the caller's namespace"
        );
        assert_eq!(
            normalize_target(&c, "shop", "db.example.com:5432"),
            Some(Target::Host("db.example.com".to_owned()))
        );
        assert_eq!(normalize_target(&c, "shop", "127.0.0.1:15000"), None);
        assert_eq!(normalize_target(&c, "shop", "localhost:8126"), None);
    }

    #[test]
    fn template_diff_names_changed_fields_and_hides_secrets() {
        let old: PodSpec = serde_yaml_ng::from_str(
            r#"
containers:
- name: api
  image: shop/api:1.8.2
  args: ["--port=8080"]
  env:
  - {name: LOG_LEVEL, value: info}
  - {name: DB_PASSWORD, value: hunter2}
  envFrom:
  - configMapRef: {name: api-config-v1}
  resources: {limits: {memory: 512Mi}}
"#,
        )
        .expect("valid");
        let new: PodSpec = serde_yaml_ng::from_str(
            r#"
containers:
- name: api
  image: shop/api:1.9.0
  args: ["--port=8080"]
  env:
  - {name: LOG_LEVEL, value: info}
  - {name: DB_PASSWORD, value: correct-horse}
  envFrom:
  - configMapRef: {name: api-config-v2}
  resources: {limits: {memory: 256Mi}}
  readinessProbe: {httpGet: {path: /ready, port: "8080"}}
"#,
        )
        .expect("valid");
        let changes = diff_templates(&old, &new);
        let fields: Vec<&str> = changes.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "containers[api].image",
                "containers[api].env[DB_PASSWORD]",
                "containers[api].envFrom",
                "containers[api].resources",
                "containers[api].readinessProbe",
            ]
        );
        let text = changes
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!text.contains("hunter2") && !text.contains("correct-horse"));
        assert!(
            text.contains("added configMapRef api-config-v2; removed configMapRef api-config-v1")
        );
        assert_eq!(
            summarize_fields(&fields),
            "image, env (`DB_PASSWORD`), envFrom, resources, readinessProbe"
        );
    }

    #[test]
    fn app_containers_behind_a_looping_init_container_fold_into_its_finding() {
        let yaml = r#"
items:
- metadata: {name: api-1, namespace: shop, uid: u1}
  spec:
    initContainers: [{name: migrate, image: "shop/migrate:1"}]
    containers: [{name: api, image: "shop/api:1"}, {name: metrics, image: "shop/metrics:1"}]
  status:
    phase: Pending
    initContainerStatuses:
    - name: migrate
      restartCount: 4
      lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-11-28T04:58:00Z"}}
      state: {waiting: {reason: CrashLoopBackOff, message: "back-off 1m20s restarting failed container=migrate"}}
    containerStatuses:
    - {name: api, restartCount: 0, state: {waiting: {reason: PodInitializing}}}
    - {name: metrics, restartCount: 0, state: {waiting: {reason: PodInitializing}}}
"#;
        let mut c = Cluster {
            collected_at: crate::model::Time::parse("2026-11-28T05:00:00Z"),
            ..Cluster::default()
        };
        let mut warnings = Vec::new();
        crate::formats::add_resource(
            &mut c,
            "pods",
            "namespaces/shop/pods.yaml",
            yaml.as_bytes(),
            &mut warnings,
        );
        let findings = crate::diagnose::diagnose(&c, "test", &RuleSet::default());
        assert_eq!(findings.len(), 1, "one finding, for the init container");
        assert_eq!(findings[0].container, "migrate");
        assert_eq!(findings[0].container_kind, "init");
        assert!(
            findings[0].notes.iter().any(|n| n.starts_with(
                "the app containers `api`, `metrics` wait in `PodInitializing` until `migrate` succeeds"
            )),
            "{:?}",
            findings[0].notes
        );
    }

    #[test]
    fn correlations_respect_the_selection() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rules/rollout-regression/fires-rollout-regression-env-renamed");
        let source = crate::bundle::BundleSource::new(&dir);
        let loaded = crate::formats::read(&source, &crate::bundle::Limits::default())
            .expect("fixture is a readable ktriage bundle");
        let causes = |rules: &RuleSet| -> Vec<String> {
            crate::diagnose::diagnose(&loaded.cluster, "fixture", rules)
                .into_iter()
                .map(|f| f.cause)
                .collect()
        };
        assert!(causes(&RuleSet::default()).contains(&"rollout-regression".to_owned()));
        let ignore = RuleSet::new(&[], &["rollout-regression".to_owned()]).expect("known");
        assert_eq!(causes(&ignore), ["invalid-app-config"]);
        let select = RuleSet::new(&["rollout-regression".to_owned()], &[]).expect("known");
        assert_eq!(causes(&select), ["rollout-regression"]);
    }
}
