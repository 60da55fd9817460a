//! From rule proposals to findings: the best cause per container, the others as alternatives,
//! replicas grouped into one finding per workload + container + cause, scored.
//!
//! Runs the rules over one bundle's subjects; sequential and pure.

use std::collections::BTreeMap;

use crate::cause::Cause;
use crate::finding::{
    Alternative, Evidence, LastTermination, ReportFinding, Severity, WorkloadName, round2, round3,
    split_commands,
};
use crate::model::Cluster;
use crate::model::time::human_duration;
use crate::rank;
use crate::rules::registry::RULES;
use crate::rules::{Finding, RuleContext, calibrated};
use crate::subjects::{State, Subject};

/// Most evidence items shown per finding.
const MAX_EVIDENCE: usize = 8;
/// The cause of the fallback rule, proposed for any non-zero exit.
const FALLBACK_CAUSE: Cause = Cause::AppErrorExit;
/// Log lines quoted as the tail of the last instance's log.
const LOG_TAIL_LINES: usize = 8;

/// Runs every rule over the cluster's subjects and returns its findings, scored but not yet
/// ranked across bundles (`rank` is 0), of every cause: correlations read them all, and the
/// selection of causes applies after them (`app::diagnose_cluster`).
#[must_use]
pub(crate) fn diagnose(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    bundle_path: &str,
) -> Vec<ReportFinding> {
    let cx = RuleContext { subjects };
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
                .then_with(|| a.cause.cmp(&b.cause))
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
                    cause: p.cause,
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
    let pod_counts = crate::subjects::workload_pod_counts(cluster);
    let mut out = Vec::new();
    for (key, members) in groups {
        out.push(build(
            cluster,
            bundle_path,
            subjects,
            &pod_counts,
            &key,
            members,
        ));
    }
    out.extend(crate::rules::jobs_without_pods(cluster, bundle_path, &out));
    out
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    namespace: String,
    workload: WorkloadName,
    container: String,
    kind: &'static str,
    cause: Cause,
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
        severity: Severity::of_score(score),
        cause: key.cause,
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
            message: t
                .message
                .as_deref()
                .map(|m| crate::redact::redact(crate::text::truncate(m.trim(), 600)).into_owned()),
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
        timeline: Vec::new(),
    }
}

/// The last lines of the last instance's log, redacted.
fn log_tail(s: &Subject<'_>) -> Vec<String> {
    let Some(log) = s.log else { return Vec::new() };
    // Only the last lines are decoded, and the ones above them while they may be a key block.
    let spans = log.line_spans();
    let start = spans.len().saturating_sub(LOG_TAIL_LINES);
    let lines: Vec<_> = spans[start..].iter().map(|&span| log.line(span)).collect();
    let Some(first) = lines.first() else {
        return Vec::new();
    };
    // Redacted as lines together, not one by one: a private-key block spans lines, and the
    // tail may begin inside one whose BEGIN line is above it.
    let above = spans[..start].iter().rev().map(|&span| log.line(span).text);
    let cut = log.skipped_lines > 0 || log.is_truncated();
    let inside = crate::redact::starts_in_key_block(&first.text, above, cut);
    let tail: Vec<&str> = lines
        .iter()
        .map(|l| crate::text::truncate(&l.text, 300))
        .collect();
    crate::redact::redact_lines(&tail, inside)
}

/// A finding for a looping container no rule explained: the loop itself is the evidence.
fn fallback(s: &Subject<'_>) -> Finding {
    let rule =
        &crate::rules::registry::rule_of(FALLBACK_CAUSE).expect("app-error-exit is registered");
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
    f = f.termination(s).waiting(s);
    if f.evidence.is_empty() {
        f = f.evidence(Evidence::status(
            s,
            "restartCount",
            s.status.restart_count.to_string(),
        ));
    }
    f
}
