//! `evicted`: pods failed by their node (eviction under resource pressure, admission rejection,
//! node loss or shutdown). Not a crash loop: the controller replaces the pod with a new one.

use super::{CERTAIN, Evidence, Finding, RuleContext};
use crate::subjects::{State, Subject};

declare_rule! {
    /// ## What it detects
    /// Pods that failed because of their node, not their containers: `status.reason: Evicted`
    /// ("The node was low on resource: memory …"), `NodeLost`, `UnexpectedAdmissionError`,
    /// `OutOfcpu` / `OutOfmemory` (rejected at admission), `NodeAffinity`, node shutdown.
    ///
    /// ## Why it is not a crash loop
    /// The kubelet stops the whole pod and leaves it `Failed`; its controller creates a new pod
    /// elsewhere, so no `restartCount` grows. Evicted pods pile up as `Failed` objects beside
    /// healthy replicas.
    ///
    /// ## Evidence
    /// - pod `status.phase: Failed` with a node-caused `status.reason` and its message (certain)
    /// - for evictions: the starved resource, the container using more than its request
    /// - the node's `MemoryPressure` / `DiskPressure` / `PIDPressure` / `Ready` conditions and
    ///   its `EvictionThresholdMet` events
    ///
    /// ## Remedy
    /// Set requests close to real use (pods above their requests are evicted first), give the
    /// node more headroom, or find what fills its memory or disk; delete the `Failed` pods.
    ///
    /// ## Not covered
    /// Containers OOM-killed at their own limit (`oom-killed`), node OOM kills that restart the
    /// container (`node-oom`).
    pub(crate) static EVICTED = {
        cause: Evicted, kind: NotALoop, check: check, signatures: &[],
    };
}

/// Pod failure reasons that mean the node, not the container, ended the pod.
fn is_node_reason(reason: &str, message: &str) -> bool {
    matches!(
        reason,
        "Evicted" | "NodeLost" | "UnexpectedAdmissionError" | "NodeAffinity" | "NodeShutdown"
            | "Shutdown"
    ) || reason.starts_with("OutOf")
        // Graceful node shutdown (kubelet nodeshutdown manager).
        || (reason == "Terminated" && message.contains("node shutdown"))
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.iter_in_state(State::PodFailed) {
        let message = s.pod.status.message.as_deref().unwrap_or("");
        let reason = s.pod.failure_reason().unwrap_or("");
        if !is_node_reason(reason, message) {
            continue;
        }
        // Evictions replace pods, so replicas of one workload fail as separate pods.
        let pods = cx
            .iter_in_state(State::PodFailed)
            .filter(|o| {
                o.workload == s.workload
                    && o.pod.metadata.namespace == s.pod.metadata.namespace
                    && o.pod.failure_reason() == Some(reason)
            })
            .count();
        out.push(finding(s, reason, message, pods));
    }
}

fn finding(s: &Subject<'_>, reason: &str, message: &str, count: usize) -> Finding {
    let node = s.pod.spec.node_name.as_deref();
    let on = node.map(|n| format!(" on node `{n}`")).unwrap_or_default();
    let pods = pods_of(s, count);
    let resource = low_resource(message);
    let what = match (reason, resource) {
        ("Evicted", Some(r)) => format!(
            "evicted from node `{}`, which was low on {r}",
            node.unwrap_or("?")
        ),
        ("Evicted", None) => format!("evicted{on}"),
        ("NodeLost", _) => format!(
            "lost with its node{}",
            node.map(|n| format!(" `{n}`")).unwrap_or_default()
        ),
        (r, _) if r.starts_with("OutOf") => {
            format!("rejected{on} at admission ({r})")
        }
        ("UnexpectedAdmissionError", _) => format!("rejected{on} at admission"),
        ("NodeAffinity", _) => {
            format!("rejected{on}: it no longer matches the pod's node affinity")
        }
        _ => format!(
            "terminated by a shutdown of its node{}",
            node.map(|n| format!(" `{n}`")).unwrap_or_default()
        ),
    };
    let title = format!("{pods} {what}: not a crash loop");
    let mut f = Finding::new(&EVICTED, s, CERTAIN).title(title);
    if let Some(shown) = s.pod.status.reason.as_deref() {
        let phase = s.pod.status.phase.as_deref().unwrap_or("(not shown)");
        f = f.evidence(Evidence::pod_status(
            s,
            "reason",
            format!("phase {phase}, reason {shown}"),
        ));
    }
    if !message.is_empty() {
        f = f.evidence(Evidence::pod_status(s, "message", message));
    }
    if let Some(e) = s.iter_events(reason_event(reason)).last() {
        f = f.evidence(Evidence::event(e));
    }
    f = node_evidence(s, f);
    f = f.termination(s);
    let ns = &s.pod.metadata.namespace;
    let node_name = node.unwrap_or("the node");
    match (reason, resource) {
        ("Evicted", Some(r)) => {
            if let Some((container, using, request)) = eviction_usage(message) {
                f = f.remedy(format!(
                    "container `{container}` used {using} of {r} against a request of {request}: set its {r} request near its real use; pods above their requests are evicted first"
                ));
            }
            let advice = match r {
                "memory" => {
                    "find what consumes memory on the node (`kubectl top pods -A --sort-by=memory` for pods on it) and give it headroom"
                }
                "ephemeral-storage" | "nodefs" | "imagefs" => {
                    "find what fills the node's disk (container logs, emptyDir, images) and set `ephemeral-storage` requests and limits"
                }
                "pids" => "find the pod that forks too many processes and set a PID limit",
                _ => "give the node headroom for this resource",
            };
            f = f.remedy(format!(
                "node `{node_name}` was under {r} pressure: {advice}"
            ));
        }
        ("Evicted", None) => {
            f = f.remedy(format!("read why node `{node_name}` evicted the pod (`kubectl describe node {node_name}`) and set requests near real use"));
        }
        ("NodeLost", _) => {
            f = f.remedy(format!("node `{node_name}` stopped reporting: check its kubelet, network and the machine itself"));
        }
        (r, _) if r.starts_with("OutOf") || r == "UnexpectedAdmissionError" => {
            f = f.remedy(format!("the kubelet on `{node_name}` rejected the pod after scheduling (usually a race with static pods or device plugins); check the node's allocatable resources and its kubelet log"));
        }
        _ => {
            f = f.remedy("the controller recreates the pod elsewhere; nothing to fix unless the node keeps going away".to_owned());
        }
    }
    f = f.remedy(format!(
        "remove the failed pods once understood: `kubectl -n {ns} delete pod --field-selector=status.phase==Failed`"
    ));
    if let Some(n) = node {
        f = f.command(format!("kubectl describe node {n}"));
    }
    f.note("the pod failed as a whole and was replaced by a new pod; no container restarted, so this is not a crash loop")
}

/// The node's bad conditions and its latest pressure event.
fn node_evidence(s: &Subject<'_>, mut f: Finding) -> Finding {
    let node = s.pod.spec.node_name.as_deref();
    if let Some(n) = s.node {
        for kind in ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] {
            let Some(c) = n.condition(kind) else { continue };
            let bad = if kind == "Ready" {
                c.status != "True"
            } else {
                c.status == "True"
            };
            if bad {
                let detail = c.message.as_deref().or(c.reason.as_deref()).unwrap_or("");
                f = f.evidence(Evidence::node(
                    s,
                    &format!("status.conditions[{kind}]"),
                    format!("{kind}={} {detail}", c.status),
                ));
            }
        }
    }
    if let Some(n) = node
        && let Some(e) = s.cluster.events.iter().rfind(|e| {
            let o = e.object();
            o.kind == "Node"
                && o.name == n
                && matches!(
                    e.reason.as_str(),
                    "EvictionThresholdMet"
                        | "NodeNotReady"
                        | "NodeHasInsufficientMemory"
                        | "NodeHasDiskPressure"
                )
        })
    {
        f = f.evidence(Evidence::event(e));
    }
    f
}

/// "a pod of Deployment `api` was", "pods of Deployment `api` (3) were", "pod `x` was".
fn pods_of(s: &Subject<'_>, count: usize) -> String {
    match (s.workload.kind.as_str(), count) {
        ("Pod", _) => format!("pod `{}` was", s.pod.metadata.name),
        (kind, 0 | 1) => format!("a pod of {kind} `{}` was", s.workload.name),
        (kind, n) => format!("pods of {kind} `{}` ({n}) were", s.workload.name),
    }
}

/// The event reason that accompanies a pod failure reason (the kubelet uses the same word,
/// `Evicted`, `OutOfcpu`, …; the node lifecycle controller its own).
fn reason_event(reason: &str) -> &str {
    match reason {
        "NodeLost" => "NodeControllerEviction",
        r => r,
    }
}

/// The resource of "The node was low on resource: memory. …".
fn low_resource(message: &str) -> Option<&str> {
    let rest = message.split("low on resource: ").nth(1)?;
    let r = rest.split(['.', ',', ' ']).next()?;
    (!r.is_empty()).then_some(r)
}

/// "Container api was using 1843200Ki, request is 256Mi" → (container, using, request).
fn eviction_usage(message: &str) -> Option<(&str, &str, &str)> {
    let rest = message.split("Container ").nth(1)?;
    let (container, rest) = rest.split_once(" was using ")?;
    let (using, rest) = rest.split_once(", request is ")?;
    let request = rest.split([',', ' ']).next()?;
    Some((container, using, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_message_is_read() {
        let m = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 85940Ki. Container api was using 1843200Ki, request is 256Mi, has larger consumption of memory. ";
        assert_eq!(low_resource(m), Some("memory"));
        assert_eq!(eviction_usage(m), Some(("api", "1843200Ki", "256Mi")));
        let m = "The node was low on resource: ephemeral-storage. Threshold quantity: 4281702428, available: 3870316Ki. ";
        assert_eq!(low_resource(m), Some("ephemeral-storage"));
        assert_eq!(eviction_usage(m), None);
    }
}
