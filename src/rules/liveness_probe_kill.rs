//! `liveness-probe-kill`: the kubelet kills the container because its liveness probe fails.

use super::{Finding, RuleContext};
use crate::correlate::Subject;
use crate::model::time::human_duration;

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
    ///   close to `initialDelaySeconds + periodSeconds × failureThreshold`)
    /// - exit code 143, or a last log that ends in a requested shutdown with no error, with a
    ///   liveness probe and no probe events left in the bundle (moderate)
    ///
    /// ## Remedy
    /// For a slow starter, add a `startupProbe` whose budget covers the observed start time; else
    /// fix the probe (port, path, timeout) or what the health endpoint waits for.
    ///
    /// ## Not covered
    /// Startup probe kills (`startup-probe-kill`); readiness failures, which never restart (`readiness-only`).
    pub(crate) static LIVENESS_PROBE_KILL = {
        cause: "liveness-probe-kill", kind: CrashLoop, check: check, signatures: &[],
    };
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let kills: Vec<_> = s
            .iter_events("Killing")
            .filter(|e| e.text().contains("failed liveness probe"))
            .collect();
        let unhealthy: Vec<_> = s
            .iter_events("Unhealthy")
            .filter(|e| e.text().starts_with("Liveness probe"))
            .collect();
        let probe = s.spec.liveness_probe.as_deref();
        let budget = probe.map(super::super::model::pod::Probe::budget_secs);
        let runtime = s.runtime_secs();
        let runtime_matches = budget.zip(runtime).is_some_and(|(b, r)| {
            #[allow(clippy::cast_precision_loss)]
            let b = b as f64;
            let grace = s.pod.spec.termination_grace_period_seconds.unwrap_or(30) as f64;
            r >= b * 0.8 && r <= b + grace + 15.0
        });
        if let Some(confidence) =
            super::probe_kill_confidence(s, &kills, &unhealthy, runtime_matches)
        {
            out.push(finding(s, confidence, &kills, &unhealthy, runtime_matches));
        } else if let Some(p) = probe
            && s.spec.startup_probe.is_none()
            && let Some(how) = stopped_in_order(s)
        {
            // No probe events (they expire after an hour), but the kubelet's way of ending a
            // container, and a liveness probe that can do it.
            let f = finding(s, 0.62, &[], &[], runtime_matches).note(format!(
                "no `Unhealthy` or `Killing` events in the bundle (they expire after an hour): {how}, and only the liveness probe ({}) restarts a container that way",
                p.describe()
            ));
            out.push(f);
        }
    }
}

fn finding(
    s: &Subject<'_>,
    confidence: f64,
    kills: &[&crate::model::Event],
    unhealthy: &[&crate::model::Event],
    runtime_matches: bool,
) -> Finding {
    let name = s.name();
    let probe = s.spec.liveness_probe.as_deref();
    let what = probe
        .map(|p| format!(" ({})", p.describe()))
        .unwrap_or_default();
    let after = s
        .runtime_secs()
        .map(|r| format!(" after {}", human_duration(r)))
        .unwrap_or_default();
    let mut f = Finding::new(&LIVENESS_PROBE_KILL, s, confidence).title(format!(
        "container `{name}` is killed by its liveness probe{what}{after}"
    ));
    f = super::probe_kill_evidence(f, s, kills, unhealthy, "livenessProbe", probe);
    let refused = unhealthy
        .iter()
        .any(|e| e.text().contains("connection refused"));
    let still_starting = s.log.is_some() && refused && s.spec.startup_probe.is_none();
    if let (Some(p), true) = (probe, runtime_matches || still_starting) {
        let needed = s.runtime_secs().map_or(p.budget_secs() * 3, |r| {
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
    if refused {
        f = f.remedy(format!("the health endpoint refuses connections: check that `{name}` listens on the probed port and address (0.0.0.0, not 127.0.0.1)"));
    } else {
        f = f.remedy(format!("check why `{name}`'s health endpoint fails or times out (the `Unhealthy` message), and raise `timeoutSeconds` if the check is slow"));
    }
    if !unhealthy.is_empty() && kills.is_empty() {
        let why = if runtime_matches {
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

/// How the last instance was stopped from outside, when it was: exit code 143 (SIGTERM), or a
/// log that ends in an orderly shutdown with no error.
fn stopped_in_order(s: &Subject<'_>) -> Option<&'static str> {
    if s.exit_code() == Some(143) {
        return Some("it ended with exit code 143 (SIGTERM)");
    }
    if !matches!(s.exit_code(), None | Some(0)) {
        return None;
    }
    let last_hit = s.log_hits.last()?;
    (last_hit.from_end < 20 && s.log_hits.iter().all(|h| h.signature.cause == "sigterm"))
        .then_some("its log ends in a shutdown on request, with no error")
}
