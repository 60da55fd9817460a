//! `sigkill-not-oom`: exit code 137 (SIGKILL) that the runtime does not call an OOM kill.

use super::{Evidence, Finding, POSSIBLE, RuleContext};
use crate::model::Event;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container that ends with exit code 137 (128 + SIGKILL) while `lastState.terminated.reason`
    /// is `Error` or `ContainerStatusUnknown`, not `OOMKilled`: something other than the kernel's
    /// memory-cgroup OOM killer sent SIGKILL. The finding names the sender when the bundle shows it.
    ///
    /// ## Why it crash-loops
    /// Whatever stops the container keeps stopping it: the kubelet's SIGKILL after the grace period
    /// when PID 1 ignores SIGTERM, a `preStop` hook that outlasts the grace period, a container runtime
    /// or node that restarts, a supervisor inside the container.
    ///
    /// ## Evidence
    /// - reason `ContainerStatusUnknown` ("The container could not be located when the pod was terminated") (strong)
    /// - `FailedPreStopHook` events, `Killing` events of the kubelet ("Stopping container", "definition
    ///   changed"), `SandboxChanged` events, node `Rebooted`/`NodeNotReady` events around the termination (strong)
    /// - exit code 137 with reason `Error` alone (possible)
    /// - no termination in the bundle: a `FailedPreStopHook` whose command "exited with 137"
    ///   (likely), `SandboxChanged` events (moderate)
    /// - a `Killing` event for a failed liveness or startup probe: then the probe is the cause and this
    ///   rule only adds that PID 1 did not stop within the grace period (weak)
    ///
    /// ## Remedy
    /// Make PID 1 handle SIGTERM (`exec` the server in shell entrypoints, or use `tini`/`dumb-init`),
    /// keep `preStop` hooks shorter than `terminationGracePeriodSeconds`, and investigate the node or
    /// runtime when sandboxes are re-created.
    ///
    /// ## Not covered
    /// OOM kills (`oom-killed`, `node-oom`), probe kills (`liveness-probe-kill`, `startup-probe-kill`).
    pub(crate) static SIGKILL_NOT_OOM = {
        cause: SigkillNotOom, kind: CrashLoop, check: check, signatures: &[],
    };
}

/// How far from the termination a node event may be, in seconds.
const WINDOW_SECS: f64 = 900.0;

/// Who sent the SIGKILL, as far as the bundle shows.
enum Sender<'a> {
    Probe(&'a Event),
    PostStartHook(&'a Event),
    PreStopHook(&'a Event),
    StatusUnknown,
    Sandbox(&'a Event),
    Node(&'a Event),
    Kubelet(&'a Event),
    Unknown,
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(last) = s.last_termination() else {
            // No termination in the bundle: the kubelet's own events say it killed the container.
            let sender = sender_of(s, None);
            let confidence = match &sender {
                Sender::PreStopHook(e) if e.text().contains("exited with 137") => 0.7,
                Sender::Sandbox(_) => 0.6,
                _ => continue,
            };
            out.push(finding(s, confidence, &sender));
            continue;
        };
        let reason = last.reason.as_deref();
        let killed = last.exit_code == Some(137) || last.signal == Some(9);
        if !killed || reason == Some("OOMKilled") {
            continue;
        }
        let sender = sender_of(s, reason);
        let confidence = match (&sender, reason) {
            (Sender::Probe(_) | Sender::PostStartHook(_), _) => 0.45,
            (Sender::StatusUnknown, _) => 0.9,
            (Sender::PreStopHook(_), _) => 0.85,
            (Sender::Sandbox(_) | Sender::Node(_) | Sender::Kubelet(_), _) => 0.8,
            (Sender::Unknown, Some("Error")) => POSSIBLE + 0.05,
            (Sender::Unknown, _) => POSSIBLE - 0.05,
        };
        out.push(finding(s, confidence, &sender));
    }
}

/// The most specific sender the bundle shows.
fn sender_of<'a>(s: &Subject<'a>, reason: Option<&str>) -> Sender<'a> {
    if let Some(e) = s
        .iter_events("Killing")
        .find(|e| e.killed_for_probe().is_some())
    {
        return Sender::Probe(e);
    }
    if let Some(e) = s.iter_events("FailedPostStartHook").next().or_else(|| {
        s.iter_events("Killing")
            .find(|e| e.text().contains("PostStartHook"))
    }) {
        return Sender::PostStartHook(e);
    }
    if let Some(e) = s.iter_events("FailedPreStopHook").last() {
        return Sender::PreStopHook(e);
    }
    if reason == Some("ContainerStatusUnknown") {
        return Sender::StatusUnknown;
    }
    if let Some(e) = s.iter_events("SandboxChanged").last() {
        return Sender::Sandbox(e);
    }
    if let Some(e) = node_restart(s) {
        return Sender::Node(e);
    }
    if let Some(e) = s.iter_events("Killing").last() {
        return Sender::Kubelet(e);
    }
    Sender::Unknown
}

/// A `Rebooted` or `NodeNotReady` event of the pod's node near the termination.
fn node_restart<'a>(s: &Subject<'a>) -> Option<&'a Event> {
    let node = s.pod.spec.node_name.as_deref()?;
    let finished = s.finished_at();
    s.cluster.events.iter().rev().find(|e| {
        let o = e.object();
        o.kind == "Node"
            && o.name == node
            && matches!(e.reason.as_str(), "Rebooted" | "NodeNotReady")
            && match (finished, e.time()) {
                (Some(f), Some(t)) => f.seconds_since(t).abs() <= WINDOW_SECS,
                _ => true,
            }
    })
}

fn finding(s: &Subject<'_>, confidence: f64, sender: &Sender<'_>) -> Finding {
    let name = s.name();
    let grace = s.pod.spec.termination_grace_period_seconds.unwrap_or(30);
    let node = s.pod.spec.node_name.as_deref().unwrap_or("its node");
    // The bundle may show only the kubelet's events, not how the container ended.
    let exit = if s.last_termination().is_some() {
        " (exit 137)"
    } else {
        ""
    };
    let title = match sender {
        Sender::Probe(_) => format!(
            "container `{name}` is SIGKILLed{exit} after a probe kill: it did not stop within the {grace}s grace period"
        ),
        Sender::PostStartHook(_) => {
            format!("container `{name}` is SIGKILLed{exit} after its postStart hook failed")
        }
        Sender::PreStopHook(_) => format!(
            "container `{name}` is SIGKILLed{exit}: its preStop hook outlasts the {grace}s grace period"
        ),
        Sender::StatusUnknown => format!(
            "container `{name}` is killed (exit 137, ContainerStatusUnknown): the runtime lost track of it on node `{node}`"
        ),
        Sender::Sandbox(_) => format!(
            "container `{name}` is SIGKILLed{exit} when its pod sandbox is re-created on node `{node}`"
        ),
        Sender::Node(e) => format!(
            "container `{name}` is SIGKILLed{exit} around a node `{}` event on `{node}`",
            e.reason
        ),
        Sender::Kubelet(_) => format!(
            "container `{name}` is SIGKILLed{exit} by the kubelet after the {grace}s grace period"
        ),
        Sender::Unknown => format!(
            "container `{name}` is SIGKILLed{exit} but not OOM-killed; the bundle does not show who sent it"
        ),
    };
    let mut f = Finding::new(&SIGKILL_NOT_OOM, s, confidence).title(title);
    if s.last_termination().is_none() {
        f = f.note("the bundle does not show how the container ended: the kubelet's events are the evidence");
    }
    f = f.termination(s);
    match sender {
        Sender::Probe(e)
        | Sender::PostStartHook(e)
        | Sender::PreStopHook(e)
        | Sender::Sandbox(e)
        | Sender::Node(e)
        | Sender::Kubelet(e) => f = f.evidence(Evidence::event(e)),
        Sender::StatusUnknown | Sender::Unknown => {}
    }
    if let (Sender::StatusUnknown, Some(e)) = (sender, s.iter_events("SandboxChanged").last()) {
        f = f.evidence(Evidence::event(e));
    }
    if let Some(m) = s
        .last_termination()
        .and_then(|t| t.message.as_deref())
        .filter(|_| matches!(sender, Sender::StatusUnknown))
    {
        let field = format!("{}.message", s.last_termination_field());
        f = f.evidence(Evidence::status(s, &field, m));
    }
    f = f.waiting(s);
    let sandbox_count: i64 = s
        .iter_events("SandboxChanged")
        .map(Event::occurrences)
        .sum();
    f = match sender {
        Sender::Probe(_) | Sender::PostStartHook(_) | Sender::Kubelet(_) => f.remedy(format!(
            "`{name}` ignores SIGTERM, so the kubelet kills it {grace}s later: make PID 1 handle SIGTERM (`exec` the server in a shell entrypoint, or run it under `tini`/`dumb-init`)"
        )),
        Sender::PreStopHook(_) => f.remedy(format!(
            "make the `preStop` hook of `{name}` finish well within `terminationGracePeriodSeconds` ({grace}s), or raise the grace period to cover it"
        )),
        Sender::StatusUnknown | Sender::Sandbox(_) | Sender::Node(_) => f
            .remedy(format!(
                "the container runtime or node `{node}` restarts under the pod{}: check `journalctl -u containerd -u kubelet` on the node and its conditions",
                if sandbox_count > 0 { format!(" (`SandboxChanged` x{sandbox_count})") } else { String::new() }
            ))
            .remedy(format!("if only pods on `{node}` are affected, cordon and drain it")),
        Sender::Unknown => f
            .remedy(format!(
                "look for what sends SIGKILL to `{name}`: a supervisor or `kill -9` inside the container, a sidecar, or the kubelet after a stop whose events have expired"
            ))
            .remedy("if PID 1 is a shell, `exec` the server so it receives SIGTERM and can stop before the grace period ends"),
    };
    if matches!(sender, Sender::Unknown)
        && (s.spec.liveness_probe.is_some() || s.spec.startup_probe.is_some())
    {
        f = f.note(format!(
            "`{name}` has a liveness or startup probe: a probe kill whose `Killing` event has expired (events last about an hour) would look like this"
        ));
    }
    if matches!(sender, Sender::Probe(_) | Sender::PostStartHook(_)) {
        f = f.note("the probe or hook failure is the cause of the restarts; the 137 only says the process did not stop on SIGTERM");
    }
    let ns = &s.pod.metadata.namespace;
    let pod = &s.pod.metadata.name;
    f = f.command(format!(
        "kubectl -n {ns} get events --field-selector involvedObject.name={pod},reason=Killing"
    ));
    if let Some(node) = s.pod.spec.node_name.as_deref() {
        f = f.command(format!("kubectl describe node {node}"));
    }
    f
}
