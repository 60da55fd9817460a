//! The timeline: the dated facts a bundle holds about each finding (its pods' creation and
//! deletion, container starts and terminations, events, its rollout or Job, its nodes' condition
//! changes, the first and last timestamped lines of its logs) and about the cluster (those
//! rollouts and node changes, and the events about nodes). Runs after diagnosis over the
//! findings only, so its cost follows the number of findings, not the size of the bundle.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::bundle::printable;
use crate::finding::{Moment, MomentKind, ReportFinding};
use crate::model::{Cluster, ContainerStatus, Event, LogFile, Node, Pod, Time};

/// Most moments one finding's timeline keeps: the earliest half and the latest half.
pub(crate) const MAX_MOMENTS: usize = 40;
/// Most pods of one finding whose facts are read (its first pods by name).
const MAX_PODS: usize = 3;
/// Most revisions of one Deployment shown (the latest).
const MAX_REVISIONS: usize = 3;
/// Most events about nodes the cluster's timeline keeps (the latest).
const MAX_NODE_EVENTS: usize = 20;
/// Longest text of a moment, in bytes.
const MAX_TEXT: usize = 240;

/// Fills each finding's `timeline` and returns the cluster's own moments: the rollouts and node
/// condition changes behind the findings, every node not `Ready`, and the latest events about
/// nodes. Times are measured from the bundle's collection (else its latest event).
pub(crate) fn annotate(cluster: &Cluster, findings: &mut [ReportFinding]) -> Vec<Moment> {
    let clock = Clock {
        collected: cluster.collected_at.or(cluster.latest_event),
    };
    let wanted: BTreeSet<(&str, &str)> = findings
        .iter()
        .flat_map(|f| {
            f.pods
                .iter()
                .take(MAX_PODS)
                .map(|p| (f.namespace.as_str(), p.as_str()))
        })
        .collect();
    // One pass over the events: those of the findings' pods, and those about nodes.
    let mut pod_events: BTreeMap<(&str, &str), Vec<&Event>> = BTreeMap::new();
    let mut node_events: Vec<&Event> = Vec::new();
    for e in &cluster.events {
        let o = e.object();
        match o.kind.as_str() {
            "Node" => node_events.push(e),
            "Pod" | "" => {
                if let Some(key) = wanted.get(&(o.namespace.as_str(), o.name.as_str())) {
                    pod_events.entry(*key).or_default().push(e);
                }
            }
            _ => {}
        }
    }
    let mut shared: BTreeSet<Moment> = BTreeSet::new();
    let mut timelines = Vec::with_capacity(findings.len());
    for f in findings.iter() {
        let mut moments: Vec<Moment> = Vec::new();
        let mut status: Option<&ContainerStatus> = None;
        for name in f.pods.iter().take(MAX_PODS) {
            let Some(pod) = find_pod(cluster, &f.namespace, name) else {
                continue;
            };
            let events = pod_events
                .get(&(f.namespace.as_str(), name.as_str()))
                .map_or(&[][..], Vec::as_slice);
            let found = pod_moments(&clock, cluster, pod, &f.container, events, &mut moments);
            status = status.or(found);
        }
        let mut around = Vec::new();
        workload_moments(&clock, cluster, f, &mut around);
        for node in &f.nodes {
            if let Some(n) = cluster.find_node(node) {
                node_moments(&clock, n, false, &mut around);
            }
        }
        shared.extend(around.iter().cloned());
        moments.extend(around);
        if let Some(at) = clock.collected {
            moments.push(clock.moment(
                at,
                MomentKind::Collected,
                format!("container {}", f.container),
                collected_text(f, status),
            ));
        }
        moments.sort();
        moments.dedup();
        if moments.len() > MAX_MOMENTS {
            moments.drain(MAX_MOMENTS / 2..moments.len() - MAX_MOMENTS / 2);
        }
        timelines.push(moments);
    }
    for (f, moments) in findings.iter_mut().zip(timelines) {
        f.timeline = moments;
    }
    let mut nodes = Vec::new();
    for n in &cluster.nodes {
        node_moments(&clock, n, true, &mut nodes);
    }
    shared.extend(nodes);
    let mut about_nodes: Vec<Moment> = node_events
        .into_iter()
        .flat_map(|e| event_moments(&clock, e, format!("node {}", e.object().name)))
        .collect();
    about_nodes.sort();
    let skip = about_nodes.len().saturating_sub(MAX_NODE_EVENTS);
    shared.extend(about_nodes.into_iter().skip(skip));
    shared.into_iter().collect()
}

/// Times relative to the collection.
struct Clock {
    collected: Option<Time>,
}

impl Clock {
    /// A moment at `at`; its text made safe to print and redacted.
    fn moment(&self, at: Time, kind: MomentKind, subject: String, text: String) -> Moment {
        // Redacted whole, then shortened: a cut could hide a secret from the patterns.
        let mut text = safe(text, crate::redact::redact);
        if text.len() > MAX_TEXT {
            text.truncate(crate::text::truncate(&text, MAX_TEXT).len());
        }
        Moment {
            at: at.to_string(),
            offset_secs: self.collected.map(|c| at.unix() - c.unix()),
            kind,
            subject: safe(subject, printable),
            text: safe(text, printable),
        }
    }
}

/// `s` changed by `f`, reusing it when `f` changes nothing.
fn safe(s: String, f: impl Fn(&str) -> Cow<'_, str>) -> String {
    match f(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(changed) => changed,
    }
}

/// A pod by namespace and name (the cluster is `normalize`d: sorted by namespace, then name).
fn find_pod<'a>(cluster: &'a Cluster, namespace: &str, name: &str) -> Option<&'a Pod> {
    let pods = cluster.pods_in(namespace);
    let at = pods.partition_point(|p| p.metadata.name.as_str() < name);
    pods.get(at).filter(|p| p.metadata.name == name)
}

/// The moments of one pod and its container `container`; returns that container's status.
fn pod_moments<'a>(
    clock: &Clock,
    cluster: &Cluster,
    pod: &'a Pod,
    container: &str,
    events: &[&Event],
    out: &mut Vec<Moment>,
) -> Option<&'a ContainerStatus> {
    let m = &pod.metadata;
    let subject = format!("pod {}/{}", m.namespace, m.name);
    if let Some(at) = m.creation_timestamp {
        out.push(clock.moment(
            at,
            MomentKind::Lifecycle,
            subject.clone(),
            "pod created".to_owned(),
        ));
    }
    if let Some(at) = m.deletion_timestamp {
        out.push(clock.moment(
            at,
            MomentKind::Lifecycle,
            subject.clone(),
            "pod marked for deletion".to_owned(),
        ));
    }
    let s = &pod.status;
    let status = s
        .container_statuses
        .iter()
        .chain(&s.init_container_statuses)
        .chain(&s.ephemeral_container_statuses)
        .find(|c| c.name == container);
    if let Some(c) = status {
        for (state, which) in [(&c.last_state, "previous"), (&c.state, "current")] {
            if let Some(t) = &state.terminated {
                if let Some(at) = t.started_at.filter(|t| t.unix() > 0) {
                    out.push(clock.moment(
                        at,
                        MomentKind::Start,
                        subject.clone(),
                        format!("container `{container}` started ({which} instance)"),
                    ));
                }
                if let Some(at) = t.finished_at {
                    let mut facts = vec![format!("container `{container}` terminated")];
                    facts.extend(t.reason.as_ref().map(|r| format!("reason {r}")));
                    facts.extend(t.exit_code.map(|c| format!("exit code {c}")));
                    out.push(clock.moment(
                        at,
                        MomentKind::Termination,
                        subject.clone(),
                        facts.join(", "),
                    ));
                }
            }
            if let Some(at) = state.running.as_ref().and_then(|r| r.started_at) {
                out.push(clock.moment(
                    at,
                    MomentKind::Start,
                    subject.clone(),
                    format!("container `{container}` started ({which} instance, running)"),
                ));
            }
        }
    }
    for e in events {
        if e.container().is_none_or(|c| c == container) {
            out.extend(event_moments(clock, e, subject.clone()));
        }
    }
    if let Some(logs) = cluster.find_logs(&m.namespace, &m.name, container) {
        for (file, which) in [(&logs.previous, "previous"), (&logs.current, "current")] {
            if let Some(file) = file {
                log_moments(clock, file, which, &subject, out);
            }
        }
    }
    status
}

/// An event as one moment, or two when it was first seen earlier than last (`count` > 1).
fn event_moments(clock: &Clock, e: &Event, subject: String) -> Vec<Moment> {
    let kind = if e.kind == "Warning" {
        MomentKind::Warning
    } else {
        MomentKind::Event
    };
    let Some(last) = e.time() else {
        return Vec::new();
    };
    let text = e.text().trim();
    let n = e.occurrences();
    let mut out = Vec::new();
    match e.first_timestamp.filter(|&first| first < last) {
        Some(first) => {
            out.push(clock.moment(
                first,
                kind,
                subject.clone(),
                format!("`{}` first seen: {text}", e.reason),
            ));
            out.push(clock.moment(
                last,
                kind,
                subject,
                format!("`{}` last seen (×{n}): {text}", e.reason),
            ));
        }
        None if n > 1 => out.push(clock.moment(
            last,
            kind,
            subject,
            format!("`{}` (×{n}): {text}", e.reason),
        )),
        None => out.push(clock.moment(last, kind, subject, format!("`{}`: {text}", e.reason))),
    }
    out
}

/// The first and last timestamped lines of a kept log (looked for among its first and last
/// lines only: a log without timestamps costs a few line decodings).
fn log_moments(clock: &Clock, file: &LogFile, which: &str, subject: &str, out: &mut Vec<Moment>) {
    const LOOK: usize = 20;
    let spans = file.line_spans();
    let first = spans
        .iter()
        .take(LOOK)
        .map(|s| file.line(*s))
        .find(|l| l.time.is_some());
    let last = spans
        .iter()
        .rev()
        .take(LOOK)
        .map(|s| file.line(*s))
        .find(|l| l.time.is_some());
    let lines = [(first, "first"), (last, "last")];
    let mut seen = None;
    for (line, end) in lines {
        let Some(line) = line else { continue };
        if seen == Some(line.number) {
            continue;
        }
        seen = Some(line.number);
        let Some(at) = line.time else { continue };
        let text = crate::text::truncate(line.text.trim(), 160);
        out.push(clock.moment(
            at,
            MomentKind::Log,
            subject.to_owned(),
            format!(
                "{end} line of the {which} log (`{}` line {}): {text}",
                file.source, line.number
            ),
        ));
    }
}

/// The rollouts of a Deployment (its latest ReplicaSets' creation, with their revision), or a
/// Job's start and completion.
fn workload_moments(clock: &Clock, cluster: &Cluster, f: &ReportFinding, out: &mut Vec<Moment>) {
    let (ns, name) = (f.namespace.as_str(), f.workload.name.as_str());
    match f.workload.kind.as_str() {
        "Deployment" => {
            let mut sets: Vec<(Time, &str, Option<i64>)> = cluster
                .workloads_in("ReplicaSet", ns)
                .iter()
                .filter(|rs| rs.deployment() == Some(name))
                .filter_map(|rs| {
                    let at = rs.metadata.creation_timestamp?;
                    Some((at, rs.metadata.name.as_str(), rs.revision()))
                })
                .collect();
            sets.sort_unstable();
            let skip = sets.len().saturating_sub(MAX_REVISIONS);
            for (at, rs, revision) in sets.into_iter().skip(skip) {
                let revision = revision.map_or_else(String::new, |r| format!("revision {r}, "));
                out.push(clock.moment(
                    at,
                    MomentKind::Rollout,
                    format!("Deployment {ns}/{name}"),
                    format!("rollout of {revision}ReplicaSet `{rs}` created"),
                ));
            }
        }
        "Job" => {
            let Some(job) = cluster.find_workload("Job", ns, name) else {
                return;
            };
            let subject = format!("Job {ns}/{name}");
            for (at, text) in [
                (job.status.start_time, "job started"),
                (job.status.completion_time, "job completed"),
            ] {
                if let Some(at) = at {
                    out.push(clock.moment(
                        at,
                        MomentKind::Lifecycle,
                        subject.clone(),
                        text.to_owned(),
                    ));
                }
            }
        }
        _ => {}
    }
}

/// A node's condition changes: `Ready` when not `True`, or when it became `True` within a day
/// of collection (the node came back; unless `only_trouble`), and the other conditions while
/// they are `True` (pressure, network unavailable).
fn node_moments(clock: &Clock, node: &Node, only_trouble: bool, out: &mut Vec<Moment>) {
    for c in &node.status.conditions {
        let trouble = if c.kind == "Ready" {
            c.status != "True"
        } else {
            c.status == "True"
        };
        let Some(at) = c.last_transition_time else {
            continue;
        };
        let recent = clock
            .collected
            .is_none_or(|t| t.unix() - at.unix() <= 86_400);
        if !(trouble || (!only_trouble && c.kind == "Ready" && recent)) {
            continue;
        }
        let mut text = format!("`{}` became {}", c.kind, c.status);
        if let Some(reason) = &c.reason {
            text.push_str(&format!(": {reason}"));
        }
        if let Some(message) = c.message.as_deref().filter(|m| !m.is_empty()) {
            text.push_str(&format!(" ({})", message.trim()));
        }
        out.push(clock.moment(
            at,
            MomentKind::Node,
            format!("node {}", node.metadata.name),
            text,
        ));
    }
}

/// The collection moment's text: restarts, state, back-off.
fn collected_text(f: &ReportFinding, status: Option<&ContainerStatus>) -> String {
    let mut text = format!("bundle collected: {} restarts", f.restart_count);
    let Some(s) = status else {
        return text;
    };
    if let Some(w) = &s.state.waiting {
        text.push_str(&format!(
            ", waiting ({})",
            w.reason.as_deref().unwrap_or("no reason")
        ));
        // The kubelet's message: `back-off 5m0s restarting failed container=…`; 5m is its cap.
        if let Some(delay) = w
            .message
            .as_deref()
            .and_then(|m| m.strip_prefix("back-off "))
            .and_then(|m| m.split_whitespace().next())
        {
            let cap = if delay == "5m0s" { " (the cap)" } else { "" };
            text.push_str(&format!(", back-off {delay}{cap}"));
        }
    } else if s.state.running.is_some() {
        text.push_str(", running");
    } else if s.state.terminated.is_some() {
        text.push_str(", terminated");
    }
    text
}
