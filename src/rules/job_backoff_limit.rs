//! `job-backoff-limit`: a Job gave up (backoff limit or deadline) after its pods failed. Not a
//! crash loop: the Job stops retrying; reported against the Job with its pods' failure.

use std::collections::BTreeMap;

use super::{CERTAIN, Evidence, EvidenceKind, Finding, RuleContext, calibrated};
use crate::finding::{ReportFinding, Severity, WorkloadName, round2, round3};
use crate::model::pod::Condition;
use crate::model::{Cluster, Event, Workload};
use crate::subjects::{State, Subject};

declare_rule! {
    /// ## What it detects
    /// A Job (or a CronJob's Job) with condition `Failed` and reason `BackoffLimitExceeded`
    /// ("Job has reached the specified backoff limit") or `DeadlineExceeded`, and its failed pods.
    ///
    /// ## Why it is not a crash loop
    /// Job pods run with `restartPolicy: Never` or `OnFailure`; the Job controller retries failed
    /// pods up to `backoffLimit` times (or until `activeDeadlineSeconds`) and then stops for good.
    /// The failure is final, not an endless loop; a CronJob tries again at its next schedule.
    ///
    /// ## Evidence
    /// - the Job's `Failed` condition with its reason and message (certain)
    /// - `status.failed` against `spec.backoffLimit`
    /// - the failed pods' termination (exit code, reason) and the last lines of their logs
    /// - when the bundle holds no pod of the Job (with `restartPolicy: OnFailure` the controller
    ///   deletes the pod it gives up on), the Job's condition or the controller's
    ///   `BackoffLimitExceeded` / `DeadlineExceeded` event alone, with the note that what the pods
    ///   died of is unknown
    ///
    /// ## Remedy
    /// Fix what makes the pods fail (their log and exit code say what), then re-run the Job;
    /// raise `backoffLimit` or `activeDeadlineSeconds` only if the failures are transient or the
    /// work is slow by design.
    ///
    /// ## Not covered
    /// Jobs that completed (even after some failed attempts), `Succeeded` pods, Job pods still
    /// retrying (the crash-loop causes explain those), evicted Job pods (`evicted`).
    pub(crate) static JOB_BACKOFF_LIMIT = {
        cause: JobBackoffLimit, kind: NotALoop, check: check, signatures: &[],
    };
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.iter_in_state(State::PodFailed) {
        if !matches!(s.pod.restart_policy(), "Never" | "OnFailure") {
            continue;
        }
        let Some(owner) = s.pod.metadata.controller().filter(|o| o.kind == "Job") else {
            continue;
        };
        let ns = &s.pod.metadata.namespace;
        let Some(job) = s.cluster.find_workload("Job", ns, &owner.name) else {
            continue;
        };
        let Some(failed) = job
            .status
            .conditions
            .iter()
            .find(|c| c.kind == "Failed" && c.status == "True")
        else {
            continue;
        };
        out.push(finding(s, job, failed));
    }
}

fn finding(s: &Subject<'_>, job: &Workload, failed: &Condition) -> Finding {
    let name = s.name();
    let ns = &s.pod.metadata.namespace;
    let job_name = &job.metadata.name;
    let reason = failed.reason.as_deref().unwrap_or("Failed");
    let how = match s.last_termination() {
        Some(t) if t.reason.as_deref() == Some("OOMKilled") => {
            format!("container `{name}` is OOM-killed")
        }
        Some(t) => match t.exit_code {
            Some(code) => format!("container `{name}` exits with code {code}"),
            None => format!("container `{name}` fails"),
        },
        None => format!("container `{name}` fails"),
    };
    let gave_up = match reason {
        "BackoffLimitExceeded" => "reached its backoff limit",
        "DeadlineExceeded" => "exceeded its active deadline",
        _ => "failed",
    };
    let title = format!("job `{job_name}` {gave_up} ({how}): not a crash loop");
    let mut f = Finding::new(&JOB_BACKOFF_LIMIT, s, CERTAIN).title(title);
    for e in status_evidence(job, failed) {
        f = f.evidence(e);
    }
    let failures = job.status.failed.unwrap_or(0);
    let limit = job.spec.backoff_limit.unwrap_or(6);
    if let Some(e) = s.cluster.events.iter().rfind(|e| {
        let o = e.object();
        o.kind == "Job" && o.name == *job_name && o.namespace == *ns && e.reason == reason
    }) {
        f = f.evidence(Evidence::event(e));
    }
    f = f.termination(s);
    let (f, best) = log_evidence(s, f);
    let mut f = f;
    let pod = &s.pod.metadata.name;
    if reason == "DeadlineExceeded" {
        f = f.remedy(format!(
            "Job `{job_name}` ran longer than its `activeDeadlineSeconds`: find what makes `{name}` slow or stuck (its log), or raise the deadline if the work needs it"
        ));
    } else {
        {
            let hint = best.map_or_else(String::new, |h| {
                format!(" (its log points at `{}`)", h.cause)
            });
            f = f.remedy(format!(
                "all {failures} attempts failed the same way{hint}: fix why `{name}` fails (`kubectl -n {ns} logs {pod} -c {name}`); retrying does not help"
            ));
            f = f.remedy(format!(
                "raise `spec.backoffLimit` (now {limit}) only if the failures are transient"
            ));
        }
    }
    if s.workload.kind == "CronJob" {
        let cron = &s.workload.name;
        f = f.remedy(format!(
            "CronJob `{cron}` creates a new Job at its next schedule; after the fix, run it now with `kubectl -n {ns} create job {cron}-manual --from=cronjob/{cron}`"
        ));
    } else {
        f = f.remedy(format!(
            "a failed Job is not retried: after the fix, delete and re-create `{job_name}`"
        ));
    }
    f.command(format!("kubectl -n {ns} describe job {job_name}"))
        .command(format!("kubectl -n {ns} logs {pod} -c {name}"))
        .note("the Job stopped retrying: its pods failed and were not restarted, so this is not a crash loop")
}

/// The Job's `Failed` condition and its failure count against `backoffLimit`.
fn status_evidence(job: &Workload, failed: &Condition) -> [Evidence; 2] {
    let name = &job.metadata.name;
    let reason = failed.reason.as_deref().unwrap_or("Failed");
    let message = failed.message.as_deref().unwrap_or("");
    let failures = job.status.failed.unwrap_or(0);
    let limit = job.spec.backoff_limit.unwrap_or(6);
    [
        Evidence::new(
            EvidenceKind::Status,
            &job.source,
            format!("{name}: status.conditions[Failed]"),
            format!("{reason}: {message}"),
        ),
        Evidence::new(
            EvidenceKind::Status,
            &job.source,
            format!("{name}: status.failed"),
            format!("{failures} failed pods, spec.backoffLimit {limit}"),
        ),
    ]
}

/// Failed Jobs that no finding of their pods speaks for: the Job controller deleted the pods
/// (with `restartPolicy: OnFailure` it deletes the pod it gave up on), or the bundle holds none.
/// The Job's `Failed` condition, or the controller's `BackoffLimitExceeded` /
/// `DeadlineExceeded` event when the bundle holds no Job either, is all that is left; the finding
/// says so.
pub(crate) fn jobs_without_pods(
    cluster: &Cluster,
    bundle_path: &str,
    findings: &[ReportFinding],
) -> Vec<ReportFinding> {
    // (namespace, name) -> the Job object and the controller's latest word, as far as known.
    type Failed<'c> = BTreeMap<(&'c str, &'c str), (Option<&'c Workload>, Option<&'c Event>)>;
    let mut failed: Failed<'_> = BTreeMap::new();
    for job in cluster.workloads.iter().filter(|w| w.kind == "Job") {
        if job
            .status
            .conditions
            .iter()
            .any(|c| c.kind == "Failed" && c.status == "True")
        {
            failed.insert(
                (job.metadata.namespace.as_str(), job.metadata.name.as_str()),
                (Some(job), None),
            );
        }
    }
    for e in &cluster.events {
        let o = e.object();
        if o.kind == "Job"
            && matches!(
                e.reason.as_str(),
                "BackoffLimitExceeded" | "DeadlineExceeded"
            )
        {
            let entry = failed
                .entry((o.namespace.as_str(), o.name.as_str()))
                .or_default();
            // The latest one.
            if entry.1.is_none_or(|prev| prev.time() <= e.time()) {
                entry.1 = Some(e);
            }
        }
    }
    let mut out = Vec::new();
    for ((ns, name), (job, event)) in failed {
        let covered = findings
            .iter()
            .any(|f| f.namespace == ns && f.workload.kind == "Job" && f.workload.name == name)
            || cluster.pods.iter().any(|p| {
                p.metadata.namespace == ns
                    && p.metadata
                        .controller()
                        .is_some_and(|o| o.kind == "Job" && o.name == name)
            });
        if covered {
            continue;
        }
        out.push(orphan_finding(cluster, bundle_path, ns, name, job, event));
    }
    out
}

fn orphan_finding(
    cluster: &Cluster,
    bundle_path: &str,
    ns: &str,
    name: &str,
    job: Option<&Workload>,
    event: Option<&Event>,
) -> ReportFinding {
    let condition = job.and_then(|j| {
        j.status
            .conditions
            .iter()
            .find(|c| c.kind == "Failed" && c.status == "True")
    });
    let reason = condition
        .and_then(|c| c.reason.as_deref())
        .or(event.map(|e| e.reason.as_str()))
        .unwrap_or("Failed");
    let gave_up = match reason {
        "BackoffLimitExceeded" => "reached its backoff limit",
        "DeadlineExceeded" => "exceeded its active deadline",
        _ => "failed",
    };
    let mut evidence = Vec::new();
    if let (Some(job), Some(c)) = (job, condition) {
        evidence.extend(status_evidence(job, c));
    }
    if let Some(e) = event {
        evidence.push(Evidence::event(e));
    }
    let deleted: Vec<&str> = cluster
        .events
        .iter()
        .filter(|e| {
            let o = e.object();
            o.kind == "Job" && o.name == name && o.namespace == ns && e.reason == "SuccessfulDelete"
        })
        .filter_map(|e| e.text().strip_prefix("Deleted pod: "))
        .collect();
    let mut remediation = Vec::new();
    if reason == "DeadlineExceeded" {
        remediation.push(format!(
            "Job `{name}` ran longer than its `activeDeadlineSeconds`: find what makes it slow or stuck, or raise the deadline if the work needs it"
        ));
    } else {
        remediation.push(format!(
            "every attempt of Job `{name}` failed and the bundle keeps none of its pods: re-run it and read the failing pod's log (`kubectl -n {ns} logs job/{name}`) while it exists"
        ));
    }
    remediation.push(
        "with `restartPolicy: OnFailure` the Job controller deletes the pod it gives up on; `restartPolicy: Never` keeps every failed pod and its log to read"
            .to_owned(),
    );
    remediation.push(format!(
        "a failed Job is not retried: after the fix, delete and re-create `{name}`"
    ));
    let mut notes = vec![
        "the bundle holds no pod of this Job: what the pods died of is unknown; the Job's own status and events are the evidence".to_owned(),
    ];
    if !deleted.is_empty() {
        notes.push(format!(
            "the Job controller deleted its pod{} {}",
            if deleted.len() == 1 { "" } else { "s" },
            deleted
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if job.is_none() {
        notes.push(
            "the bundle holds no Job object: its failure rests on the Job controller's event"
                .to_owned(),
        );
    }
    let confidence = calibrated(CERTAIN);
    // A Job is one workload; it failed for good, so the failure is as recent as its last word.
    let age = event
        .and_then(Event::time)
        .or_else(|| condition.and_then(|c| c.last_transition_time))
        .and_then(|t| Some(cluster.collected_at?.seconds_since(t)));
    // The impact `rank::impact` gives a failing Job.
    let impact = crate::rank::weighed_by_namespace(0.5, ns);
    let score = impact * confidence * crate::rank::recency_of_age(age);
    ReportFinding {
        rank: 0,
        score: round3(score),
        severity: Severity::of_score(score),
        cause: JOB_BACKOFF_LIMIT.cause,
        confidence: round2(confidence),
        title: format!("job `{name}` {gave_up}; its pods are gone: not a crash loop"),
        cluster: cluster.name.clone(),
        namespace: ns.to_owned(),
        workload: WorkloadName {
            kind: "Job".to_owned(),
            name: name.to_owned(),
        },
        pods: deleted.iter().map(|p| (*p).to_owned()).collect(),
        // The pods, and so their containers, are not in the bundle.
        container: String::new(),
        container_kind: "app".to_owned(),
        restart_count: 0,
        last_termination: None,
        evidence,
        alternatives: Vec::new(),
        remediation,
        commands: vec![
            format!("kubectl -n {ns} describe job {name}"),
            format!("kubectl -n {ns} get events --field-selector involvedObject.name={name}"),
            format!("kubectl -n {ns} get pods -l job-name={name}"),
        ],
        change_commands: Vec::new(),
        explains: Vec::new(),
        notes,
        log_tail: Vec::new(),
        bundle: bundle_path.to_owned(),
        image: String::new(),
        nodes: Vec::new(),
        timeline: Vec::new(),
    }
}

/// The pods' strongest log signature (any cause) and last error line; returns the signature.
fn log_evidence<'s>(
    s: &'s Subject<'_>,
    mut f: Finding,
) -> (Finding, Option<&'s crate::logscan::LogHit>) {
    // The strongest log signature of any cause says what the pods died of.
    let best = s.log_hits.iter().max_by(|a, b| {
        (a.signature.confidence * a.position_weight())
            .total_cmp(&(b.signature.confidence * b.position_weight()))
            .then_with(|| b.from_end.cmp(&a.from_end))
    });
    if let Some(hit) = best {
        f = f.evidence(Evidence::log_hit(s, hit));
    }
    // The last error line says what failed (a Traceback's last line, not its first).
    if let Some(log) = s.log {
        let lines = log.lines();
        let is_error = |t: &str| {
            ["Error", "error", "Exception", "FATAL", "fatal"]
                .iter()
                .any(|w| t.contains(w))
        };
        if let Some(l) = lines
            .iter()
            .rev()
            .find(|l| is_error(&l.text))
            .or_else(|| lines.iter().rev().find(|l| !l.text.trim().is_empty()))
        {
            f = f.evidence(Evidence::log_line(log, l.number, &l.text));
        }
    }
    (f, best)
}
