//! `node-oom`: the node runs out of memory and the kernel kills the container's process, whatever
//! the container's own limit.

use std::sync::LazyLock;

use regex::Regex;

use super::{Evidence, Finding, LIKELY, RuleContext};
use crate::model::Event;
use crate::model::pod::Condition;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container killed by a node-wide (system) out-of-memory condition rather than by its own
    /// memory limit: the node's kernel OOM killer picks a victim among all processes on the node.
    ///
    /// ## Why it crash-loops
    /// The kubelet restarts the container in place on the same node, which is still short of
    /// memory (other pods without limits, too little reserved for the system), so it is killed again.
    ///
    /// ## Evidence
    /// - a node event `SystemOOM` "System OOM encountered, victim process: …" or node-problem-detector's
    ///   `OOMKilling` "Out of memory: Killed process …" on the pod's node around the termination (certain
    ///   with `OOMKilled`; a victim named like the container's process confirms it)
    /// - `OOMKilled` on a container without a memory limit (likely; only when the bundle shows the
    ///   container's spec), the node's `MemoryPressure=True` (strong with it)
    /// - exit code 137 without `OOMKilled` while the node reports a system OOM (strong)
    ///
    /// ## Remedy
    /// Set memory requests and limits on every workload of the node (no BestEffort pods), reserve memory
    /// for the system (`kubeReserved`, `systemReserved`, eviction thresholds), move the memory-hungry
    /// pods elsewhere or add node capacity.
    ///
    /// ## Not covered
    /// A container exceeding its own limit (`oom-killed`; "Memory cgroup out of memory" is that case),
    /// node-pressure eviction of whole pods (`evicted`).
    pub(crate) static NODE_OOM = {
        cause: NodeOom, kind: CrashLoop, check: check, signatures: &[],
    };
}

/// How far from the termination a node OOM event may be, in seconds.
const WINDOW_SECS: f64 = 600.0;

static VICTIM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"victim process: (?P<proc>[^,\s]+)|Killed process \d+ \((?P<proc2>[^)]+)\)")
        .expect("valid pattern")
});

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(last) = s.last_termination() else {
            continue;
        };
        let oom_killed = last.reason.as_deref() == Some("OOMKilled");
        let sigkill =
            last.exit_code == Some(137) && matches!(last.reason.as_deref(), None | Some("Error"));
        if !oom_killed && !sigkill {
            continue;
        }
        let events = node_oom_events(s);
        let pressure = s
            .node
            .and_then(|n| n.condition("MemoryPressure"))
            .filter(|c| c.status == "True");
        let limit = s.memory_limit();
        let confidence = match (oom_killed, !events.is_empty(), pressure.is_some(), limit) {
            // Beats `oom-killed` (certain, +0.02 with a heap flag): the node event is more specific.
            (true, true, _, _) => 0.98,
            (false, true, _, _) => 0.8,
            (true, false, true, None) => 0.9,
            // No limit in `resources` the bundle shows (else whether one is set is unknown).
            (true, false, false, None) if s.resources_shown() => LIKELY,
            (false, false, true, _) => 0.6,
            _ => continue,
        };
        out.push(finding(s, confidence, &events, pressure, oom_killed));
    }
}

/// The proposal for one subject.
fn finding(
    s: &Subject<'_>,
    confidence: f64,
    events: &[&Event],
    pressure: Option<&Condition>,
    oom_killed: bool,
) -> Finding {
    let limit = s.memory_limit();
    let victim = events.iter().find_map(|e| victim_of(e));
    let matches_victim = victim.as_deref().is_some_and(|v| is_own_process(s, v));
    let node = s.pod.spec.node_name.as_deref().unwrap_or("?");
    let name = s.name();
    let how = if oom_killed {
        "is OOM-killed".to_owned()
    } else {
        "is SIGKILLed (exit 137)".to_owned()
    };
    let title = match (&victim, events.is_empty(), limit) {
        (Some(v), false, _) => format!(
            "container `{name}` {how} by a system OOM on node `{node}` (victim process `{v}`)"
        ),
        (None, false, _) => {
            format!("container `{name}` {how} by a system OOM on node `{node}`")
        }
        (_, true, None) => format!(
            "container `{name}` {how} with no memory limit: node `{node}` ran out of memory"
        ),
        (_, true, Some(_)) => {
            format!("container `{name}` {how} while node `{node}` is under memory pressure")
        }
    };
    let mut f = Finding::new(&NODE_OOM, s, confidence).title(title);
    f = f.termination(s);
    for e in events.iter().rev().take(2) {
        f = f.evidence(Evidence::event(e));
    }
    if let Some(c) = pressure {
        let text = match (&c.reason, &c.message) {
            (Some(r), Some(m)) => format!("MemoryPressure=True ({r}: {m})"),
            _ => "MemoryPressure=True".to_owned(),
        };
        f = f.evidence(Evidence::node(s, "status.conditions[MemoryPressure]", text));
    }
    f = f.evidence(Evidence::spec(
        s,
        "resources.limits.memory",
        limit.map_or_else(|| "not set".to_owned(), ToOwned::to_owned),
    ));
    f = f.waiting(s);
    if matches_victim {
        f = f.note("the victim process named by the node event is this container's process");
    } else if let Some(v) = &victim {
        f = f.note(format!(
                "the node event names `{v}` as the victim; a system OOM kills whatever the kernel picks, and the container's processes died with it"
            ));
    }
    match limit {
        None => {
            f = f.remedy(format!(
                    "set `resources.requests.memory` and `resources.limits.memory` on `{name}`: without them the pod is the first the node sacrifices and the scheduler cannot plan for its memory"
                ));
        }
        Some(l) => {
            f = f.remedy(format!(
                    "`{name}`'s own {l} limit was not the trigger: find the pods on node `{node}` that use more memory than they request (BestEffort or Burstable pods without limits)"
                ));
        }
    }
    f = f
            .remedy("reserve memory for the system and the kubelet (`kubeReserved`, `systemReserved`, `evictionHard: memory.available`) so the kubelet evicts before the kernel kills")
            .remedy(format!("move memory-hungry workloads off `{node}` or add node capacity"));
    f.command(format!("kubectl describe node {node}"))
                .command(format!(
                    "kubectl get events -A --field-selector involvedObject.kind=Node,involvedObject.name={node}"
                ))
                .command(format!(
                    "kubectl get pods -A -o wide --field-selector spec.nodeName={node}"
                ))
                .command(format!("kubectl top pods -A --sort-by=memory | head -20; kubectl top node {node}"))
}

/// System OOM events of the subject's node near its last termination: `SystemOOM` (kubelet) and
/// `OOMKilling` (node-problem-detector) that are not a memory cgroup (container limit) OOM.
/// Node events live in any namespace's event list (usually `default`).
fn node_oom_events<'a>(s: &Subject<'a>) -> Vec<&'a Event> {
    let Some(node) = s.pod.spec.node_name.as_deref() else {
        return Vec::new();
    };
    let finished = s.finished_at();
    s.cluster
        .events
        .iter()
        .filter(|e| {
            let o = e.object();
            o.kind == "Node" && o.name == node
        })
        .filter(|e| match e.reason.as_str() {
            "SystemOOM" => true,
            "OOMKilling" => !e.text().contains("Memory cgroup out of memory"),
            _ => false,
        })
        .filter(|e| {
            let (Some(fin), Some(last)) = (finished, e.time()) else {
                return true;
            };
            let first = e.first_timestamp.unwrap_or(last);
            fin.seconds_since(last) <= WINDOW_SECS && first.seconds_since(fin) <= WINDOW_SECS
        })
        .collect()
}

/// The victim process an OOM event names.
fn victim_of(e: &Event) -> Option<String> {
    let c = VICTIM.captures(e.text())?;
    c.name("proc")
        .or_else(|| c.name("proc2"))
        .map(|m| m.as_str().to_owned())
}

/// Whether a process name looks like the container's: its command, its image or its name.
fn is_own_process(s: &Subject<'_>, process: &str) -> bool {
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
    let image = s
        .spec
        .image
        .rsplit('/')
        .next()
        .and_then(|i| i.split([':', '@']).next())
        .unwrap_or("");
    s.spec.command.first().map(|c| base(c)).as_deref() == Some(process)
        || image == process
        || s.name() == process
}
