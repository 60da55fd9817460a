//! `readiness-only`: a running container that never passes its readiness probe. Not a crash
//! loop: readiness failures take the pod out of its Services but never restart it.

use super::{CERTAIN, Evidence, EvidenceKind, Finding, RuleContext};
use crate::model::event::ProbeKind;
use crate::model::pod::Probe;
use crate::model::{Event, Service};
use crate::subjects::{State, Subject};

declare_rule! {
    /// ## What it detects
    /// A container that runs without restarting but stays not ready: `Unhealthy` events
    /// "Readiness probe failed: …", `ready: false`, `restartCount: 0`.
    ///
    /// ## Why it is not a crash loop
    /// The kubelet never restarts a container for a failing readiness probe; it only removes the
    /// pod from its Services' endpoints. The pod shows `0/1 Running`, no back-off, no restarts.
    ///
    /// ## Evidence
    /// - `Unhealthy` events "Readiness probe failed" and no `Killing` event (certain)
    /// - the container is running, not ready, with `restartCount` 0; the pod's `Ready` condition is `False`
    /// - the readiness probe's handler, and the Services selecting the pod with no ready endpoints
    ///
    /// ## Remedy
    /// Make the probed endpoint answer (the port and path the probe uses, the dependencies the
    /// app's readiness check waits for), or fix the probe (port, path, `timeoutSeconds`).
    ///
    /// ## Not covered
    /// Liveness or startup probes that kill the container (`liveness-probe-kill`,
    /// `startup-probe-kill`); containers that restart.
    pub(crate) static READINESS_ONLY = {
        cause: ReadinessOnly, kind: NotALoop, check: check, signatures: &[],
    };
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.iter_in_state(State::NotReady) {
        let unhealthy: Vec<&Event> = s
            .iter_events("Unhealthy")
            .filter(|e| e.failed_probe() == Some(ProbeKind::Readiness))
            .collect();
        let Some(last) = unhealthy.last() else {
            continue;
        };
        out.push(finding(s, last, &unhealthy));
    }
}

fn finding(s: &Subject<'_>, last: &Event, unhealthy: &[&Event]) -> Finding {
    let name = s.name();
    let probe = s.spec.readiness_probe.as_deref();
    let what = probe
        .map(|p| format!(" ({})", p.describe()))
        .unwrap_or_default();
    let mut f = Finding::new(&READINESS_ONLY, s, CERTAIN).title(format!(
        "container `{name}` runs but fails its readiness probe{what}: not a crash loop"
    ));
    f = f.evidence(Evidence::event(last));
    let failures: i64 = unhealthy.iter().map(|e| e.occurrences()).sum();
    let since = s
        .status
        .state
        .running
        .as_ref()
        .and_then(|r| r.started_at)
        .map(|t| format!(", running since {t}"))
        .unwrap_or_default();
    if s.status_shown() {
        f = f.evidence(Evidence::status(
            s,
            "ready",
            format!(
                "ready false, restartCount {}{since}",
                s.status.restart_count
            ),
        ));
    } else {
        f = f.note(
            "the bundle holds no status for this container: that it never restarted rests on its events naming only readiness failures",
        );
    }
    if let Some(c) = s.pod_condition("Ready") {
        let reason = c.reason.as_deref().unwrap_or("");
        f = f.evidence(Evidence::pod_status(
            s,
            "conditions[Ready]",
            format!("{} {reason}", c.status),
        ));
    }
    if let Some(p) = probe {
        f = f.evidence(Evidence::spec(
            s,
            "readinessProbe",
            format!(
                "{}, periodSeconds {}, timeoutSeconds {}, failureThreshold {}",
                p.describe(),
                p.period_seconds.unwrap_or(10),
                p.timeout_seconds.unwrap_or(1),
                p.failure_threshold.unwrap_or(3)
            ),
        ));
    }
    f = endpoints_evidence(s, f);
    let ns = &s.pod.metadata.namespace;
    let text = last.text().to_ascii_lowercase();
    let handler = probe.map_or_else(|| "the probed endpoint".to_owned(), Probe::describe);
    if text.contains("connection refused") {
        f = f.remedy(format!(
            "nothing listens where the probe connects ({handler}): check the port and that `{name}` listens on 0.0.0.0, not 127.0.0.1"
        ));
    } else if text.contains("statuscode: 5") || text.contains("status code: 5") {
        f = f.remedy(format!(
            "`{name}` answers its readiness check ({handler}) with a server error: it reports itself not ready, usually because a dependency it checks is down; read its log"
        ));
    } else if text.contains("statuscode: 404") {
        f = f.remedy(format!(
            "the probe's path does not exist ({handler} returns 404): fix `readinessProbe.httpGet.path`"
        ));
    } else if let Some(line) = last.text().lines().find(|l| is_missing_command(l)) {
        f = f.remedy(format!(
            "the readiness check's own command fails in the container (`{}`): the image's shell or tools differ from what the probe assumes (a `[[` test needs bash, not `sh`); fix the probe's command",
            line.trim()
        ));
    } else if text.contains("timeout") || text.contains("deadline exceeded") {
        f = f.remedy(format!(
            "the readiness check ({handler}) does not answer within `timeoutSeconds`: find what blocks it, or raise the timeout if the check is slow by design"
        ));
    } else {
        f = f.remedy(format!(
            "find out why the readiness check ({handler}) fails: the `Unhealthy` message and the container's log"
        ));
    }
    f.command(format!(
        "kubectl -n {ns} logs {} -c {name}",
        s.pod.metadata.name
    ))
    .note(format!(
        "the readiness probe failed {failures} times; readiness failures never restart a container, so this is not a crash loop"
    ))
}

/// The ready endpoints of each Service selecting the pod.
/// Whether a line of a probe's output says a command or shell construct does not exist: `sh:
/// 30: [[: not found`, `bash: curl: command not found`, `exec: "wget": executable file not found`.
fn is_missing_command(line: &str) -> bool {
    let line = line.trim_end();
    line.ends_with(": not found")
        || line.ends_with("command not found")
        || line.contains("executable file not found")
}

fn endpoints_evidence(s: &Subject<'_>, mut f: Finding) -> Finding {
    let name = s.name();
    let ns = &s.pod.metadata.namespace;
    for svc in services_of(s) {
        let svc_name = &svc.metadata.name;
        let Some(ep) = s
            .cluster
            .endpoints
            .iter()
            .find(|e| e.metadata.namespace == *ns && e.metadata.name == *svc_name)
        else {
            continue;
        };
        let ready = ep.ready_addresses();
        f = f.evidence(Evidence::new(
            EvidenceKind::Status,
            &format!("namespaces/{ns}/endpoints.yaml"),
            format!("endpoints {ns}/{svc_name}"),
            format!("{ready} ready addresses"),
        ));
        if ready == 0 {
            f = f.remedy(format!(
                "Service `{svc_name}` has no ready endpoints: requests to it fail until `{name}` passes its readiness probe"
            ));
        }
        f = f.command(format!("kubectl -n {ns} get endpoints {svc_name} -o wide"));
    }
    f
}

/// Services in the pod's namespace whose selector matches the pod's labels.
fn services_of<'a>(s: &Subject<'a>) -> impl Iterator<Item = &'a Service> {
    let pod = s.pod;
    s.cluster.services.iter().filter(move |svc| {
        svc.metadata.namespace == pod.metadata.namespace
            && !svc.spec.selector.is_empty()
            && svc
                .spec
                .selector
                .iter()
                .all(|(k, v)| pod.metadata.labels.get(k) == Some(v))
    })
}
