//! `startup-probe-kill`: the kubelet kills the container because its startup probe never succeeds
//! within `failureThreshold × periodSeconds`.

use super::probe::{Output, ProbeKill};
use super::{Evidence, Finding, RuleContext};
use crate::model::event::ProbeKind;
use crate::model::time::human_duration;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container restarted by the kubelet because its startup probe failed `failureThreshold`
    /// times: the app does not become healthy within the start-up budget (a slow JVM or migration,
    /// a cold cache, CPU throttling by a small CPU limit, or a probe pointed at the wrong port).
    ///
    /// ## Why it crash-loops
    /// Every restart starts from scratch and gets the same budget, so a start that takes longer than
    /// `initialDelaySeconds + failureThreshold × periodSeconds` is cut off every time.
    ///
    /// ## Evidence
    /// - a `Killing` event "Container X failed startup probe, will be restarted" (certain)
    /// - `Unhealthy` events "Startup probe failed: …" with a run time close to the probe's budget and
    ///   exit code 143, 137 or 0 (likely)
    /// - a CPU limit of 500m or less (throttled start-up), a log that shows start-up still in progress
    ///
    /// ## Remedy
    /// Raise `startupProbe.failureThreshold` (or `periodSeconds`) so the budget covers the real start
    /// time with margin, raise or remove the CPU limit (keep the request), or speed up start-up
    /// (move migrations to a Job or init container).
    ///
    /// ## Not covered
    /// Liveness kills after a successful start (`liveness-probe-kill`), an app that crashes by itself
    /// while starting (no `Killing` event; see its own cause).
    pub(crate) static STARTUP_PROBE_KILL = {
        cause: StartupProbeKill, kind: CrashLoop, check: check, signatures: &[],
    };
}

/// CPU limits at or below this many cores throttle a typical start-up.
const LOW_CPU_CORES: f64 = 0.5;

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let kill = ProbeKill::read(s, ProbeKind::Startup, s.spec.startup_probe.as_deref());
        let Some(confidence) = kill.confidence(s) else {
            continue;
        };
        out.push(finding(s, confidence, &kill));
    }
}

fn finding(s: &Subject<'_>, confidence: f64, kill: &ProbeKill<'_>) -> Finding {
    let name = s.name();
    let probe = kill.probe;
    let ran = s.runtime_secs();
    let what = probe
        .map(|p| format!(" ({}, {}s budget)", p.describe(), p.budget_secs()))
        .unwrap_or_default();
    let after = ran
        .map(|r| format!(" after {}", human_duration(r)))
        .unwrap_or_default();
    let why = match &kill.why {
        Some(w) if w.is_mismatch() => w.clause(),
        _ => "start-up takes longer than the probe allows".to_owned(),
    };
    let mut f = Finding::new(&STARTUP_PROBE_KILL, s, confidence).title(format!(
        "container `{name}` is killed by its startup probe{what}{after}: {why}"
    ));
    f = kill.evidence(f, s, "startupProbe");
    if let Some(log) = s.log
        && kill.why.is_none()
        && let Some(last) = log.lines().last()
    {
        f = f.evidence(Evidence::log_line(log, last.number, &last.text));
    }
    let cpu = s.spec.resources.limits.get("cpu");
    let low_cpu = cpu.filter(|c| cpu_cores(c).is_some_and(|n| n <= LOW_CPU_CORES));
    if let Some(c) = low_cpu {
        f = f.evidence(Evidence::spec(s, "resources.limits.cpu", c));
    }
    if let Some(p) = probe {
        let period = p.period_seconds.unwrap_or(10).max(1);
        let delay = p.initial_delay_seconds.unwrap_or(0).max(0);
        let threshold = p.failure_threshold.unwrap_or(3);
        #[allow(clippy::cast_possible_truncation)]
        let observed = ran.map_or(p.budget_secs(), |r| r.ceil() as i64);
        // The start needed more than it got: give it three times what it was given.
        let needed = (observed.max(p.budget_secs()) * 3).max(delay + period);
        let new_threshold = ((needed - delay) + period - 1) / period;
        f = f.remedy(format!(
            "raise `startupProbe.failureThreshold` of `{name}` from {threshold} to {new_threshold} (periodSeconds {period}: ~{needed}s instead of {}s), or measure the real start time and size the budget above it",
            p.budget_secs()
        ));
    } else {
        f = f.remedy(format!(
            "give `{name}`'s startup probe a budget (`failureThreshold × periodSeconds`) above its real start time"
        ));
    }
    if let Some(c) = low_cpu {
        f = f.remedy(format!(
            "the CPU limit `{c}` throttles start-up: raise it or remove `limits.cpu` (keep the request) so `{name}` starts within the budget"
        ));
    }
    if let Some(r) = kill.remedy(name) {
        f = f.remedy(r);
    } else if let Some(o) = kill.output().filter(|o| *o != Output::Timeout) {
        f = f.remedy(o.remedy(name, "startupProbe", probe));
    } else if kill
        .unhealthy
        .iter()
        .any(|e| e.text().contains("connection refused"))
    {
        f = f.remedy(format!(
            "the probe is refused: if the log shows `{name}` listening, check the probe's port and path against the app"
        ));
    }
    f = f.remedy(
        "move one-off start-up work (migrations, cache warm-up) into an init container or a Job",
    );
    let ns = &s.pod.metadata.namespace;
    let pod = &s.pod.metadata.name;
    f.command(format!(
        "kubectl -n {ns} get pod {pod} -o jsonpath='{{.spec.{}[?(@.name==\"{name}\")].startupProbe}}'",
        s.kind.spec_list()
    ))
    .command(format!("kubectl -n {ns} top pod {pod} --containers"))
}

/// CPU cores of a quantity: `250m` is 0.25, `2` is 2.
fn cpu_cores(q: &str) -> Option<f64> {
    let q = q.trim();
    match q.strip_suffix('m') {
        Some(m) => m.parse::<f64>().ok().map(|m| m / 1000.0),
        None => q.parse().ok(),
    }
}
