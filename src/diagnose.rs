//! From rule proposals to findings: the best cause per container, the others as alternatives,
//! replicas grouped into one finding per workload + container + cause, scored.
//!
//! Runs the rules over one bundle's subjects; sequential and pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::correlate::{State, Subject};
use crate::model::Cluster;
use crate::model::time::human_duration;
use crate::rank;
use crate::rules::registry::{RULES, RuleSet};
use crate::rules::{
    Evidence, Finding, RuleContext, calibrated, termination_evidence, waiting_evidence,
};

/// Most evidence items shown per finding.
const MAX_EVIDENCE: usize = 8;
/// The cause of the fallback rule, proposed for any non-zero exit.
const FALLBACK_CAUSE: &str = "app-error-exit";
/// Log lines quoted as the tail of the last instance's log.
const LOG_TAIL_LINES: usize = 8;

/// A finding as reported: one workload + container + cause, with its pods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFinding {
    pub rank: usize,
    pub score: f64,
    pub severity: String,
    pub cause: String,
    pub confidence: f64,
    pub title: String,
    pub cluster: String,
    pub namespace: String,
    pub workload: WorkloadName,
    pub pods: Vec<String>,
    pub container: String,
    pub container_kind: String,
    pub restart_count: i64,
    pub last_termination: Option<LastTermination>,
    pub evidence: Vec<Evidence>,
    pub alternatives: Vec<Alternative>,
    pub remediation: Vec<String>,
    /// Read-only commands that confirm the finding (they change nothing in the cluster).
    pub commands: Vec<String>,
    /// Commands of the remedy that change the cluster (a rollback, a debug copy of a pod):
    /// never needed to confirm the finding.
    #[serde(default)]
    pub change_commands: Vec<String>,
    /// The findings a correlation explains (empty for other findings): same cluster and bundle.
    #[serde(default)]
    pub explains: Vec<Member>,
    /// What could not be seen or judged (no previous log, events expired, …).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The last lines of the last terminated instance's log, redacted.
    #[serde(default)]
    pub log_tail: Vec<String>,
    /// Path of the bundle the finding comes from (as given on the command line).
    #[serde(default)]
    pub bundle: String,
    /// The container image.
    #[serde(default)]
    pub image: String,
    /// The node(s) the failing pods ran on.
    #[serde(default)]
    pub nodes: Vec<String>,
}

/// `workload` of a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkloadName {
    pub kind: String,
    pub name: String,
}

/// A finding a correlation explains: its cause, workload and container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Member {
    pub cause: String,
    pub namespace: String,
    pub workload: WorkloadName,
    pub container: String,
}

impl Member {
    /// The member `f` is.
    #[must_use]
    pub fn of(f: &ReportFinding) -> Self {
        Self {
            cause: f.cause.clone(),
            namespace: f.namespace.clone(),
            workload: f.workload.clone(),
            container: f.container.clone(),
        }
    }
}

/// Splits commands into those that only read the cluster and those that change it, each in
/// its order. A command is read-only when every `kubectl`/`oc` in it (a pipeline or list too)
/// runs a reading verb; other programs (`docker manifest inspect`, `grep`) never touch it.
#[must_use]
pub fn split_commands(commands: Vec<String>) -> (Vec<String>, Vec<String>) {
    commands.into_iter().partition(|c| is_read_only(c))
}

/// Whether a shell command only reads the cluster (see `split_commands`).
#[must_use]
pub fn is_read_only(command: &str) -> bool {
    command
        .split(['|', ';', '&'])
        .all(|part| is_read_only_call(part.split_whitespace()))
}

/// One program call of a command line, as words.
fn is_read_only_call<'a>(mut words: impl Iterator<Item = &'a str>) -> bool {
    /// Global flags whose value is the next word.
    const WITH_VALUE: &[&str] = &["-n", "--namespace", "--context", "--kubeconfig", "-s"];
    let Some(program) = words.next() else {
        return true;
    };
    if program != "kubectl" && program != "oc" {
        return true;
    }
    let mut verb = Vec::new();
    while let Some(w) = words.next() {
        if WITH_VALUE.contains(&w) {
            words.next();
        } else if !w.starts_with('-') {
            verb.push(w);
            if verb.len() == 2 {
                break;
            }
        }
    }
    matches!(
        verb.as_slice(),
        [
            "get"
                | "describe"
                | "logs"
                | "top"
                | "explain"
                | "api-resources"
                | "api-versions"
                | "version"
                | "cluster-info"
                | "events"
                | "diff",
            ..
        ] | ["auth", "can-i" | "whoami"]
            | ["rollout", "history" | "status"]
            | ["config", "view" | "get-contexts" | "current-context"]
    )
}

/// `last_termination` of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTermination {
    pub reason: Option<String>,
    pub exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl LastTermination {
    /// `reason OOMKilled, exit code 137, signal 9, finished 2026-…`: the facts it holds, the
    /// reason shown through `show` (quoted in Markdown, as it is in the table).
    #[must_use]
    pub fn facts(&self, show: impl Fn(&str) -> String) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(r) = &self.reason {
            parts.push(format!("reason {}", show(r)));
        }
        if let Some(c) = self.exit_code {
            parts.push(format!("exit code {c}"));
        }
        if let Some(s) = self.signal {
            parts.push(format!("signal {s}"));
        }
        if let Some(at) = &self.finished_at {
            parts.push(format!("finished {at}"));
        }
        parts
    }
}

/// Another cause that also matched, with its confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub cause: String,
    pub confidence: f64,
}

/// Runs every rule over the cluster and returns its findings, scored but not yet ranked
/// across bundles (`rank` is 0).
#[must_use]
pub fn diagnose(cluster: &Cluster, bundle_path: &str, rules: &RuleSet) -> Vec<ReportFinding> {
    let subjects = crate::correlate::correlate(cluster);
    let cx = RuleContext {
        subjects: &subjects,
    };
    let mut proposals: Vec<Finding> = Vec::new();
    for rule in RULES {
        (rule.check)(&cx, &mut proposals);
    }
    // Per subject: proposals, best first.
    let mut by_subject: BTreeMap<usize, Vec<Finding>> = BTreeMap::new();
    for p in proposals {
        by_subject.entry(p.subject).or_default().push(p);
    }
    for s in subjects.iter().filter(|s| s.state.is_loop()) {
        by_subject
            .entry(s.index)
            .or_insert_with(|| vec![fallback(s)]);
    }
    let mut groups: BTreeMap<GroupKey, Vec<(Finding, Vec<Alternative>)>> = BTreeMap::new();
    for (index, mut list) in by_subject {
        list.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then_with(|| a.cause.cmp(b.cause))
        });
        let best = list.remove(0);
        let mut alternatives: Vec<Alternative> = Vec::new();
        for p in list {
            // The fallback says nothing a specific cause does not; it is never an alternative.
            if p.cause == FALLBACK_CAUSE {
                continue;
            }
            if p.cause != best.cause && !alternatives.iter().any(|a| a.cause == p.cause) {
                alternatives.push(Alternative {
                    cause: p.cause.to_owned(),
                    confidence: round2(calibrated(p.confidence)),
                });
            }
        }
        let s = &subjects[index];
        let key = GroupKey {
            namespace: s.pod.metadata.namespace.clone(),
            workload: WorkloadName {
                kind: s.workload.kind.clone(),
                name: s.workload.name.clone(),
            },
            container: s.name().to_owned(),
            kind: s.kind.as_str(),
            cause: best.cause,
        };
        groups.entry(key).or_default().push((best, alternatives));
    }
    let pod_counts = crate::correlate::workload_pod_counts(cluster);
    let mut out = Vec::new();
    for (key, members) in groups {
        out.push(build(
            cluster,
            bundle_path,
            &subjects,
            &pod_counts,
            &key,
            members,
        ));
    }
    out.extend(crate::rules::jobs_without_pods(cluster, bundle_path, &out));
    // Correlations read every finding, so that `--select rollout-regression` still sees the
    // loops it explains; the selection applies afterwards.
    crate::correlators::correlate_findings(cluster, &subjects, &mut out, rules);
    out.retain(|f| rules.is_enabled(&f.cause));
    out
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    namespace: String,
    workload: WorkloadName,
    container: String,
    kind: &'static str,
    cause: &'static str,
}

/// One finding from the proposals of the same cause for replicas of one workload container.
fn build(
    cluster: &Cluster,
    bundle_path: &str,
    subjects: &[Subject<'_>],
    pod_counts: &BTreeMap<(&str, &str, &str), usize>,
    key: &GroupKey,
    mut members: Vec<(Finding, Vec<Alternative>)>,
) -> ReportFinding {
    // The representative: most restarts, then the most recent termination, then pod name.
    members.sort_by(|(a, _), (b, _)| {
        let (sa, sb) = (&subjects[a.subject], &subjects[b.subject]);
        sb.status
            .restart_count
            .cmp(&sa.status.restart_count)
            .then_with(|| sb.finished_at().cmp(&sa.finished_at()))
            .then_with(|| b.confidence.total_cmp(&a.confidence))
            .then_with(|| sa.pod.metadata.name.cmp(&sb.pod.metadata.name))
    });
    let n = members.len();
    let max_conf = members
        .iter()
        .map(|(f, _)| f.confidence)
        .fold(0.0, f64::max);
    #[allow(clippy::cast_precision_loss)]
    let confidence = (calibrated(max_conf) + 0.02 * (n.saturating_sub(1)) as f64).min(0.99);
    let (best, alternatives) = members.remove(0);
    let s = &subjects[best.subject];
    let mut pods: Vec<String> = std::iter::once(&best)
        .chain(members.iter().map(|(f, _)| f))
        .map(|f| subjects[f.subject].pod.metadata.name.clone())
        .collect();
    pods.sort();
    pods.dedup();
    let mut nodes: Vec<String> = std::iter::once(&best)
        .chain(members.iter().map(|(f, _)| f))
        .filter_map(|f| subjects[f.subject].pod.spec.node_name.clone())
        .collect();
    nodes.sort();
    nodes.dedup();
    let restart_count = std::iter::once(&best)
        .chain(members.iter().map(|(f, _)| f))
        .map(|f| subjects[f.subject].status.restart_count)
        .max()
        .unwrap_or(0);
    let mut evidence = best.evidence.clone();
    evidence.truncate(MAX_EVIDENCE);
    let mut notes = best.notes.clone();
    if s.state == State::Unreported {
        notes.push(
            "the bundle holds no status for this container: the diagnosis rests on its logs and events"
                .to_owned(),
        );
    }
    if s.state.is_loop() && s.log.is_none() {
        let note = "no log of the last terminated instance in the bundle: the diagnosis rests on status and events only";
        if !notes
            .iter()
            .any(|n| n.starts_with("no previous or current log"))
        {
            notes.push(note.to_owned());
        }
    }
    if s.state.is_loop() && s.events.is_empty() {
        notes.push(
            "no events for this pod in the bundle (they expire after about an hour)".to_owned(),
        );
    }
    // The kubelet doubles the back-off from 10 s after each failed start and caps it at 5 min:
    // the delay in the waiting message says how long the loop has gone on.
    if let Some(backoff) = s.backoff_secs {
        if backoff >= 300.0 {
            notes.push(
                "back-off at its 5m cap: the container has failed at least 6 times in a row"
                    .to_owned(),
            );
        } else if backoff <= 20.0 {
            notes.push(format!(
                "back-off {}: the loop has only just started",
                human_duration(backoff)
            ));
        }
    }
    if s.state == State::Flapping
        && let Some(age) = s.age_secs()
    {
        notes.push(format!(
            "restarts now and then: last termination {} before collection; currently running",
            human_duration(age)
        ));
    }
    if let Some(log) = s.log.filter(|l| l.is_truncated()) {
        notes.push(format!(
            "`{}` was read as its last {} KiB only",
            log.source,
            log.window_bytes() / 1024
        ));
    }
    let ns = &key.namespace;
    let pod = &s.pod.metadata.name;
    let c = s.name();
    let mut commands = vec![format!("kubectl -n {ns} describe pod {pod}")];
    if s.state.is_loop() {
        commands.push(format!("kubectl -n {ns} logs {pod} -c {c} --previous"));
    }
    commands.push(format!("kubectl -n {ns} get events --field-selector involvedObject.name={pod} --sort-by=.lastTimestamp"));
    for cmd in &best.commands {
        if !commands.contains(cmd) {
            commands.push(cmd.clone());
        }
    }
    let (commands, change_commands) = split_commands(commands);
    let workload_pods = pod_counts
        .get(&(
            ns.as_str(),
            key.workload.kind.as_str(),
            key.workload.name.as_str(),
        ))
        .copied()
        .unwrap_or(n);
    let impact = rank::impact(cluster, s, n, workload_pods);
    let recency = rank::recency(s);
    let score = impact * confidence * recency;
    ReportFinding {
        rank: 0,
        score: round3(score),
        severity: rank::severity(score).to_owned(),
        cause: key.cause.to_owned(),
        confidence: round2(confidence),
        title: best.title.clone(),
        cluster: cluster.name.clone(),
        namespace: ns.clone(),
        workload: key.workload.clone(),
        pods,
        container: key.container.clone(),
        container_kind: key.kind.to_owned(),
        restart_count,
        last_termination: s.last_termination().map(|t| LastTermination {
            reason: t.reason.clone(),
            exit_code: t.exit_code,
            signal: t.signal,
            message: t.message.as_deref().map(|m| {
                crate::redact::redact(crate::logscan::truncate(m.trim(), 600)).into_owned()
            }),
            started_at: t.started_at.map(|t| t.to_string()),
            finished_at: t.finished_at.map(|t| t.to_string()),
        }),
        evidence,
        alternatives,
        remediation: best.remediation,
        commands,
        change_commands,
        explains: Vec::new(),
        notes,
        log_tail: log_tail(s),
        bundle: bundle_path.to_owned(),
        image: s.spec.image.clone(),
        nodes,
    }
}

/// The last lines of the last instance's log, redacted.
fn log_tail(s: &Subject<'_>) -> Vec<String> {
    let Some(log) = s.log else { return Vec::new() };
    // Only the last lines are decoded.
    let spans = log.line_spans();
    let start = spans.len().saturating_sub(LOG_TAIL_LINES);
    let lines: Vec<_> = spans[start..].iter().map(|&span| log.line(span)).collect();
    // Redacted as one text, not line by line: a private-key block spans lines.
    let tail: Vec<&str> = lines
        .iter()
        .map(|l| crate::logscan::truncate(&l.text, 300))
        .collect();
    crate::redact::redact(&tail.join("\n"))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A finding for a looping container no rule explained: the loop itself is the evidence.
fn fallback(s: &Subject<'_>) -> Finding {
    let rule =
        &crate::rules::registry::find_rule(FALLBACK_CAUSE).expect("app-error-exit is registered");
    let mut f = Finding::new(rule, s, crate::rules::WEAK)
        .title(format!(
            "container `{}` is in a restart loop; no cause could be identified",
            s.name()
        ))
        .note("no rule recognized the termination or the log; read the previous log")
        .remedy(format!(
            "read `kubectl logs --previous` of `{}` and the pod's events",
            s.name()
        ));
    if let Some(e) = termination_evidence(s) {
        f = f.evidence(e);
    }
    if let Some(e) = waiting_evidence(s) {
        f = f.evidence(e);
    }
    if f.evidence.is_empty() {
        f = f.evidence(Evidence::status(
            s,
            "restartCount",
            s.status.restart_count.to_string(),
        ));
    }
    f
}

/// A confidence as reports show it: two decimals.
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A score as reports show it: three decimals.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod command_tests {
    use super::{is_read_only, split_commands};

    #[test]
    fn commands_that_change_the_cluster_are_told_apart() {
        for read in [
            "kubectl -n shop describe pod api-7d9c5b6f4d-k2x8q",
            "kubectl -n shop logs api-7d9c5b6f4d-k2x8q -c api --previous | grep -iE 'OutOfMemoryError'",
            "kubectl -n shop rollout history deployment/api --revision=4",
            "kubectl top pods -A --sort-by=memory | head -20; kubectl top node worker-1",
            "kubectl --context prod auth can-i list pods",
            "docker manifest inspect registry.example.com/media/thumbnailer:0.9.4",
        ] {
            assert!(is_read_only(read), "{read}");
        }
        for change in [
            "kubectl -n shop rollout undo deployment/api --to-revision=4",
            "kubectl -n shop debug -it api-7d9c5b6f4d-k2x8q --copy-to=api-debug --container=api -- sh",
            "kubectl cordon worker-1 && kubectl drain worker-1 --ignore-daemonsets",
            "kubectl -n shop delete pod --field-selector=status.phase==Failed",
        ] {
            assert!(!is_read_only(change), "{change}");
        }
        let (read, change) = split_commands(vec![
            "kubectl -n shop rollout history statefulset/db".to_owned(),
            "kubectl -n shop rollout undo statefulset/db".to_owned(),
        ]);
        assert_eq!(read, ["kubectl -n shop rollout history statefulset/db"]);
        assert_eq!(change, ["kubectl -n shop rollout undo statefulset/db"]);
    }
}
