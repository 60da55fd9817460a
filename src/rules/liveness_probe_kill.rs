//! `liveness-probe-kill`: the kubelet kills the container because its liveness probe fails.

use super::probe::{ProbeKill, Why, stopped_from_outside};
use super::{Evidence, Finding, LIKELY, RuleContext, best_hit};
use crate::cause::Cause;
use crate::model::event::ProbeKind;
use crate::model::time::human_duration;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container restarted by the kubelet because its liveness probe failed `failureThreshold`
    /// times in a row.
    ///
    /// ## Why it crash-loops
    /// The probe kills the container before it becomes healthy (a slow start, a wrong port or
    /// path, a dependency the health check waits for), so every restart is killed the same way.
    ///
    /// ## Evidence
    /// - a `Killing` event "Container X failed liveness probe, will be restarted" (certain)
    /// - `Unhealthy` events "Liveness probe failed: …" with the probe's output, when the container
    ///   ended the way a kill ends it or the bundle does not say (likely; strong with a run time
    ///   close to `initialDelaySeconds + periodSeconds × failureThreshold`, or with the reason
    ///   the probe fails in the bundle); after an exit code of its own (`npm start` exits 1 on
    ///   SIGTERM) when the log ends in a shutdown on request (likely), or when the run ends
    ///   where the probe kills with no error at the log's end (possible)
    /// - the probe's own output, read for its remedy: a timeout, a 404 path, a path that wants
    ///   credentials, an unhealthy answer (5xx, `NOT_SERVING`), HTTPS spoken to an HTTP server,
    ///   a probe command the image lacks
    /// - why the probe fails, read from the log: a probe port the program does not say it listens
    ///   on, a server bound to `127.0.0.1`, a start-up the program reports as longer than the
    ///   budget, or log timestamps that run to the budget with no line saying it is ready
    /// - with no probe events left in the bundle: exit code 143, or a last log that ends in a
    ///   requested shutdown with no error (after another non-zero exit code, one that names the
    ///   signal received), with a liveness probe (moderate); a probe that cannot
    ///   succeed (wrong port, loopback) with a kill-shaped end (likely)
    ///
    /// ## Remedy
    /// For a slow starter, add a `startupProbe` whose budget covers the observed start time; else
    /// fix the probe (port, path, timeout) or what the health endpoint waits for.
    ///
    /// ## Not covered
    /// Startup probe kills (`startup-probe-kill`); readiness failures, which never restart (`readiness-only`).
    pub(crate) static LIVENESS_PROBE_KILL = {
        cause: LivenessProbeKill, kind: CrashLoop, check: check, signatures: &[],
    };
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let probe = s.spec.liveness_probe.as_deref();
        let kill = ProbeKill::read(s, ProbeKind::Liveness, probe);
        if let Some(confidence) = kill.confidence(s) {
            out.push(finding(s, confidence, &kill));
            continue;
        }
        // No probe events (they expire after an hour): the kubelet's way of ending a container,
        // or a probe that cannot succeed, and a liveness probe that can do it.
        let Some(p) = probe.filter(|_| s.spec.startup_probe.is_none()) else {
            continue;
        };
        let stopped = stopped_from_outside(s);
        let killed_shape = stopped.is_some() || matches!(s.exit_code(), None | Some(137));
        let (confidence, how) = match (&kill.why, stopped) {
            // The log shows the probe's own request failing: the probe cannot pass.
            (Some(why @ Why::EndpointFails { .. }), _) if killed_shape => (0.8, why.clause()),
            (Some(why), _) if why.is_mismatch() && killed_shape => (LIKELY, why.clause()),
            (Some(why), Some(how)) => (LIKELY, format!("{how}; {}", why.clause())),
            (None, Some(how)) if kill.runtime_matches => (
                LIKELY,
                format!("{how}, after the run time the probe allows"),
            ),
            (None, Some(how)) => (0.62, how.to_owned()),
            (Some(why @ Why::StillStarting { .. }), None) if killed_shape => (0.55, why.clause()),
            _ => continue,
        };
        let mut f = finding(s, confidence, &kill);
        if let Some(hit) = stopped
            .filter(|_| s.exit_code() != Some(143))
            .and_then(|_| best_hit(s, Cause::Sigterm))
        {
            f = f.evidence(Evidence::log_hit(s, hit));
        }
        let f = f.note(format!(
            "no `Unhealthy` or `Killing` events in the bundle (they expire after an hour): {how}, and only the liveness probe ({}) restarts a container that way",
            p.describe()
        ));
        out.push(f);
    }
}

fn finding(s: &Subject<'_>, confidence: f64, kill: &ProbeKill<'_>) -> Finding {
    let name = s.name();
    let probe = kill.probe;
    let what = probe
        .map(|p| format!(" ({})", p.describe()))
        .unwrap_or_default();
    let after = s
        .runtime_secs()
        .map(|r| format!(" after {}", human_duration(r)))
        .unwrap_or_default();
    let why = kill
        .why
        .as_ref()
        .map(|w| format!(": {}", w.clause()))
        .unwrap_or_default();
    let mut f = Finding::new(&LIVENESS_PROBE_KILL, s, confidence).title(format!(
        "container `{name}` is killed by its liveness probe{what}{after}{why}"
    ));
    f = kill.evidence(f, s, "livenessProbe");
    let refused = kill
        .unhealthy
        .iter()
        .any(|e| e.text().contains("connection refused"));
    let slow = matches!(
        kill.why,
        Some(Why::StillStarting { .. } | Why::ReportedStart { .. })
    );
    let still_starting = s.log.is_some() && refused && s.spec.startup_probe.is_none();
    let mismatch = kill.why.as_ref().is_some_and(Why::is_mismatch);
    if let (Some(p), true) = (
        probe,
        !mismatch && (kill.runtime_matches || still_starting || slow),
    ) {
        let observed = match &kill.why {
            Some(Why::ReportedStart { secs, .. }) => Some(*secs),
            _ => kill.ran.map(|r| r.secs),
        };
        let needed = observed.map_or(p.budget_secs() * 3, |r| {
            #[allow(clippy::cast_possible_truncation)]
            let r = r.ceil() as i64;
            (r * 2).max(p.budget_secs() * 2)
        });
        let period = p.period_seconds.unwrap_or(10).max(1);
        f = f.remedy(format!(
            "the probe gives `{name}` only {}s to come up: add a `startupProbe` with the same handler and `failureThreshold: {}`, `periodSeconds: {period}` (~{needed}s), so liveness starts after start-up",
            p.budget_secs(),
            (needed + period - 1) / period
        ));
    }
    if let Some(r) = kill.remedy(name) {
        f = f.remedy(r);
    } else if let Some(o) = kill.output() {
        f = f.remedy(o.remedy(name, "livenessProbe", probe));
    } else if refused {
        f = f.remedy(format!("the health endpoint refuses connections: check that `{name}` listens on the probed port and address (0.0.0.0, not 127.0.0.1)"));
    } else {
        f = f.remedy(format!("check why `{name}`'s health endpoint fails or times out (the `Unhealthy` message), and raise `timeoutSeconds` if the check is slow"));
    }
    if !kill.unhealthy.is_empty() && kill.kills.is_empty() {
        let why = if kill.runtime_matches {
            "the run time and `Unhealthy` events point at the probe"
        } else {
            "the `Unhealthy` events point at the probe"
        };
        f = f.note(format!(
            "no `Killing` event in the bundle (events may have expired); {why}"
        ));
    }
    f
}
