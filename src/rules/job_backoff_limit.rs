//! `job-backoff-limit`: a Job gave up (backoff limit or deadline) after its pods failed. Not a
//! crash loop: the Job stops retrying; reported against the Job with its pods' failure.

use super::{CERTAIN, Evidence, EvidenceKind, Finding, RuleContext, termination_evidence};
use crate::correlate::{State, Subject};
use crate::model::Workload;
use crate::model::pod::Condition;

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
        cause: "job-backoff-limit", kind: NotALoop, check: check, signatures: &[],
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
    let source = format!("namespaces/{ns}/jobs.yaml");
    let message = failed.message.as_deref().unwrap_or("");
    f = f.evidence(Evidence::new(
        EvidenceKind::Status,
        &source,
        format!("{job_name}: status.conditions[Failed]"),
        format!("{reason}: {message}"),
    ));
    let failures = job.status.failed.unwrap_or(0);
    let limit = job.spec.backoff_limit.unwrap_or(6);
    f = f.evidence(Evidence::new(
        EvidenceKind::Status,
        &source,
        format!("{job_name}: status.failed"),
        format!("{failures} failed pods, spec.backoffLimit {limit}"),
    ));
    if let Some(e) = s.cluster.events.iter().rfind(|e| {
        let o = e.object();
        o.kind == "Job" && o.name == *job_name && o.namespace == *ns && e.reason == reason
    }) {
        f = f.evidence(Evidence::event(e));
    }
    if let Some(e) = termination_evidence(s) {
        f = f.evidence(e);
    }
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
                format!(" (its log points at `{}`)", h.signature.cause)
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
