//! `no-foreground-process`: PID 1 finishes and exits 0 while the pod wants it running forever.

use super::{
    CERTAIN, Evidence, Finding, RuleContext, STRONG, termination_evidence, waiting_evidence,
};
use crate::model::time::human_duration;

declare_rule! {
    /// ## What it detects
    /// A container whose main process exits successfully (exit code 0, `Completed`) under
    /// `restartPolicy: Always`: the image runs a one-shot command, or a server that daemonizes.
    ///
    /// ## Why it crash-loops
    /// With `restartPolicy: Always` (every Deployment, StatefulSet and DaemonSet) the kubelet
    /// restarts any exited container, even a successful one, and backs off between restarts.
    ///
    /// ## Evidence
    /// - `lastState.terminated` is `Completed` with exit code 0 and the pod's `restartPolicy` is `Always` (certain)
    /// - no `Killing` event for a failed liveness or startup probe (those also end in exit 0)
    /// - a short run time and a `command` such as `sh -c "…"` that ends, or a daemonizing server
    ///
    /// ## Remedy
    /// Run a long-lived process in the foreground as PID 1 (`exec` the server, `nginx -g 'daemon off;'`),
    /// or run one-shot work as a Job or an init container.
    ///
    /// ## Not covered
    /// A graceful exit 0 after a probe kill (`liveness-probe-kill`, `startup-probe-kill`), Job pods
    /// (`restartPolicy: OnFailure`), which complete normally.
    pub(crate) static NO_FOREGROUND_PROCESS = {
        cause: "no-foreground-process", kind: CrashLoop, check: check, signatures: &[],
    };
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(last) = s.last_termination() else {
            continue;
        };
        if last.exit_code != Some(0) {
            continue;
        }
        let always = s.pod.restart_policy() == "Always"
            || s.spec.restart_policy.as_deref() == Some("Always");
        if !always {
            continue;
        }
        // A probe kill can end in a clean exit 0; leave those to the probe rules.
        let probe_kill = s.iter_events("Killing").any(|e| e.text().contains("probe"));
        let confidence = if probe_kill {
            0.3
        } else if last.reason.as_deref() == Some("Completed") {
            CERTAIN
        } else {
            STRONG
        };
        let name = s.name();
        let ran = last
            .runtime_secs()
            .map(|r| format!(" after {}", human_duration(r)))
            .unwrap_or_default();
        let mut f = Finding::new(&NO_FOREGROUND_PROCESS, s, confidence)
            .title(format!("container `{name}` exits 0{ran} but `restartPolicy: Always` restarts it: no long-running foreground process"));
        if let Some(e) = termination_evidence(s) {
            f = f.evidence(e);
        }
        if let Some(e) = waiting_evidence(s) {
            f = f.evidence(e);
        }
        if let Some(cmd) = s.command_line() {
            f = f.evidence(Evidence::spec(s, "command", cmd));
        }
        f = f.evidence(Evidence::spec(
            s,
            "spec.restartPolicy",
            s.pod.restart_policy(),
        ));
        if s.spec.liveness_probe.is_some() || s.spec.readiness_probe.is_some() {
            f = f.note("the probes fail because the process is gone, not the other way round");
        }
        if probe_kill {
            f = f.note("a probe `Killing` event exists: the clean exit may be a graceful shutdown after a probe kill");
        }
        out.push(
            f.remedy(format!("make `{name}` run a long-lived process in the foreground as PID 1 (for a shell wrapper, end it with `exec <server>`)"))
                .remedy("if the work is one-shot, run it as a Job, or as an init container before the app"),
        );
    }
}
