//! Subjects: for every container worth a look, one `Subject` holding everything the rules
//! read about it: spec, status, owner workload, its events, its node, its logs and log hits.
//!
//! Built once per bundle, before any rule runs. Knows nothing about causes.

use std::collections::BTreeMap;

use crate::logscan::{LogHit, Scanner};
use crate::model::event::ProbeKind;
use crate::model::pod::{Condition, Waiting};
use crate::model::time::parse_go_duration;
use crate::model::{
    Cluster, Container, ContainerKind, ContainerStatus, Event, LogFile, Node, Pod, Terminated, Time,
};

/// Restarts at or above this, with the last one recent, make a loop even while `Running`.
const RESTARTS_FOR_LOOP: i64 = 3;
/// "Recent" for `RESTARTS_FOR_LOOP`: the last termination within this many seconds of
/// collection (robusta uses 15 min; the kubelet's back-off reset is 10 min of clean running).
const RECENT_SECS: f64 = 3600.0;
/// A container restarted this often, now running for longer than the back-off reset, flaps.
const RESTARTS_FOR_FLAPPER: i64 = 5;
/// ...and only when its last restart is within this many seconds of collection: older restarts
/// are history, not a problem to triage (kubenav warns only for restarts within 24 h).
const FLAPPER_WINDOW_SECS: f64 = 86_400.0;

/// Why a container is a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// `waiting.reason: CrashLoopBackOff`, or a recent restart with a waiting start error.
    CrashLoop,
    /// Restarted repeatedly and recently, caught while running.
    Restarting,
    /// Restarts now and then; the back-off has reset.
    Flapping,
    /// Ended with an error and not restarted (yet): its first failure, or the container of a pod
    /// that is never restarted.
    Exited,
    /// No status for the container in the bundle, but its logs or events show it failing: a pod
    /// the kubelet has not reported on, or a dump made from pasted logs and events.
    Unreported,
    /// Waiting for a reason that is not a loop (`ImagePullBackOff`, `CreateContainerConfigError`, …).
    Waiting,
    /// Running and never restarted, but not ready (readiness probe failing).
    NotReady,
    /// The pod failed as a whole (evicted, a Job's pod that used up its retries).
    PodFailed,
}

impl State {
    /// Whether the container is in a restart loop, or failing the way one fails (the states
    /// the crash-loop causes explain).
    #[must_use]
    pub fn is_loop(self) -> bool {
        matches!(
            self,
            Self::CrashLoop | Self::Restarting | Self::Flapping | Self::Exited | Self::Unreported
        )
    }
}

/// The workload a pod belongs to, resolved through ReplicaSet -> Deployment and Job -> CronJob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadRef {
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `CronJob`, `ReplicaSet`, or `Pod` for a bare pod.
    pub kind: String,
    pub name: String,
    /// The ReplicaSet (for Deployments) or revision hash the pod was made from, if known.
    pub revision: Option<String>,
}

/// One container worth a look, with all its evidence sources correlated.
#[derive(Debug)]
pub struct Subject<'a> {
    /// Position in the bundle's subject list (findings refer to subjects by it).
    pub index: usize,
    pub cluster: &'a Cluster,
    pub pod: &'a Pod,
    pub kind: ContainerKind,
    /// The container's spec (a default one when the pod spec lacks it).
    pub spec: &'a Container,
    pub status: &'a ContainerStatus,
    pub state: State,
    pub workload: WorkloadRef,
    /// Events about this pod: those whose `fieldPath` names this container, and pod-level ones.
    pub events: Vec<&'a Event>,
    pub node: Option<&'a Node>,
    /// The log of the last terminated instance: `previous`, else `current` (same instance while
    /// waiting in back-off). `None` when the bundle has no usable log.
    pub log: Option<&'a LogFile>,
    /// The current instance's log when it is a different, running instance.
    pub current_log: Option<&'a LogFile>,
    /// Log signatures found in `log` and in the termination message, in line order.
    pub log_hits: Vec<LogHit>,
    /// `back-off 1m20s …` of the waiting message, in seconds.
    pub backoff_secs: Option<f64>,
}

static EMPTY_CONTAINER: std::sync::LazyLock<Container> =
    std::sync::LazyLock::new(Container::default);

/// Stands in for the container statuses of a pod that failed before any container was created
/// (rejected at admission: `OutOfcpu`, `UnexpectedAdmissionError`, …); its name is empty.
static NO_STATUS: std::sync::LazyLock<ContainerStatus> =
    std::sync::LazyLock::new(ContainerStatus::default);

/// Builds the subjects of a cluster, in pod order then container order; `scanner` finds the
/// log signatures in termination messages (and in logs not scanned as they were read).
#[must_use]
pub(crate) fn build<'a>(cluster: &'a Cluster, scanner: &Scanner) -> Vec<Subject<'a>> {
    let owners = OwnerIndex::new(cluster);
    let mut events_by_pod: BTreeMap<(&str, &str), Vec<&Event>> = BTreeMap::new();
    for e in &cluster.events {
        let o = e.object();
        if o.kind == "Pod" || o.kind.is_empty() {
            events_by_pod
                .entry((o.namespace.as_str(), o.name.as_str()))
                .or_default()
                .push(e);
        }
    }
    let mut out = Vec::new();
    for pod in &cluster.pods {
        let pod_events =
            events_by_pod.get(&(pod.metadata.namespace.as_str(), pod.metadata.name.as_str()));
        // Resolved for pods with a subject only (most pods have none).
        let mut workload: Option<WorkloadRef> = None;
        let pod_events = pod_events.map_or(&[][..], Vec::as_slice);
        let failed = pod.status.phase.as_deref() == Some("Failed")
            || pod.failure_reason() == Some("Evicted");
        let no_statuses = failed && pod.iter_statuses().next().is_none();
        let statuses = pod
            .iter_statuses()
            .map(|(kind, status)| (kind, status, None))
            .chain(no_statuses.then(|| (ContainerKind::App, &*NO_STATUS, None)))
            .chain(
                unreported_containers(pod)
                    .filter(|_| !failed)
                    .map(|(kind, spec)| (kind, &*NO_STATUS, Some(spec))),
            );
        for (kind, status, unreported) in statuses {
            let state = match unreported {
                Some(spec) => unreported_state(cluster, scanner, pod, kind, spec, pod_events),
                None => classify(cluster, pod, kind, status, pod_events),
            };
            let Some(state) = state else {
                continue;
            };
            let spec = match unreported {
                Some(spec) => Some(spec),
                None if status.name.is_empty() => pod.spec.containers.first(),
                None => pod.find_container(kind, &status.name),
            }
            .unwrap_or(&EMPTY_CONTAINER);
            let name = if status.name.is_empty() {
                spec.name.as_str()
            } else {
                status.name.as_str()
            };
            let events: Vec<&Event> = pod_events
                .iter()
                .copied()
                .filter(|e| e.container().is_none_or(|c| c == name) && is_current_pod(e, pod))
                .collect();
            let logs = cluster.find_logs(&pod.metadata.namespace, &pod.metadata.name, name);
            let previous = logs
                .and_then(|l| l.previous.as_ref())
                .filter(|l| !l.is_empty_or_error());
            let current = logs
                .and_then(|l| l.current.as_ref())
                .filter(|l| !l.is_empty_or_error());
            let running = status.state.running.is_some();
            let (log, current_log) = match (previous, current) {
                (Some(p), c) => (Some(p), c.filter(|_| running)),
                // While waiting, the current log is the last terminated instance's.
                (None, Some(c)) if !running => (Some(c), None),
                (None, c) => (None, c),
            };
            let mut log_hits = log.map(|l| l.hits(scanner)).unwrap_or_default();
            if let Some(message) = last_termination_of(status).and_then(|t| t.message.as_deref()) {
                log_hits.extend(scanner.scan_message(message));
            }
            let backoff_secs = status.state.waiting.as_ref().and_then(backoff_of);
            out.push(Subject {
                index: out.len(),
                cluster,
                pod,
                kind,
                spec,
                status,
                state,
                workload: workload.get_or_insert_with(|| owners.resolve(pod)).clone(),
                events,
                node: pod
                    .spec
                    .node_name
                    .as_deref()
                    .and_then(|n| cluster.find_node(n)),
                log,
                current_log,
                log_hits,
                backoff_secs,
            });
        }
    }
    out
}

/// Number of pods per workload: (namespace, kind, name) -> pods in the bundle.
#[must_use]
pub(crate) fn workload_pod_counts(cluster: &Cluster) -> BTreeMap<(&str, &str, &str), usize> {
    let owners = OwnerIndex::new(cluster);
    let mut counts = BTreeMap::new();
    for pod in &cluster.pods {
        let (kind, name) = owners.names(pod);
        *counts
            .entry((pod.metadata.namespace.as_str(), kind, name))
            .or_insert(0) += 1;
    }
    counts
}

/// The pods of each workload: (namespace, kind, name) -> its pods, in the bundle's order.
/// Workloads are resolved as for findings (ReplicaSet -> Deployment, Job -> CronJob).
#[must_use]
pub(crate) fn pods_by_workload(cluster: &Cluster) -> BTreeMap<(&str, &str, &str), Vec<&Pod>> {
    let owners = OwnerIndex::new(cluster);
    let mut pods: BTreeMap<(&str, &str, &str), Vec<&Pod>> = BTreeMap::new();
    for pod in &cluster.pods {
        let (kind, name) = owners.names(pod);
        pods.entry((pod.metadata.namespace.as_str(), kind, name))
            .or_default()
            .push(pod);
    }
    pods
}

/// Whether an event belongs to this incarnation of the pod (same uid, or no uid recorded).
fn is_current_pod(e: &Event, pod: &Pod) -> bool {
    let uid = &e.object().uid;
    uid.is_empty() || pod.metadata.uid.is_empty() || *uid == pod.metadata.uid
}

/// The init and app containers of the spec that the pod's status does not list.
fn unreported_containers(pod: &Pod) -> impl Iterator<Item = (ContainerKind, &Container)> {
    fn listed(list: &[ContainerStatus], name: &str) -> bool {
        list.iter().any(|s| s.name == name)
    }
    let init = pod
        .spec
        .init_containers
        .iter()
        .filter(|c| !listed(&pod.status.init_container_statuses, &c.name))
        .map(|c| {
            let kind = if c.restart_policy.as_deref() == Some("Always") {
                ContainerKind::Sidecar
            } else {
                ContainerKind::Init
            };
            (kind, c)
        });
    let app = pod
        .spec
        .containers
        .iter()
        .filter(|c| !listed(&pod.status.container_statuses, &c.name))
        .map(|c| (ContainerKind::App, c));
    init.chain(app)
}

/// The state of a container the pod lists no status for: `Unreported` when it shows a failure of
/// its own (the log of an earlier instance, a failure signature in its log, or a kubelet event
/// about it failing), `NotReady` when its only sign is a failing readiness probe, else none. An
/// event that names no container counts for the one its message names, else for the pod's
/// first app container (so that one event is not read as a failure of every container).
fn unreported_state(
    cluster: &Cluster,
    scanner: &Scanner,
    pod: &Pod,
    kind: ContainerKind,
    spec: &Container,
    events: &[&Event],
) -> Option<State> {
    let phase = pod.status.phase.as_deref().unwrap_or("");
    if phase == "Succeeded" || spec.name.is_empty() {
        return None;
    }
    let logs = cluster.find_logs(&pod.metadata.namespace, &pod.metadata.name, &spec.name);
    let previous = logs.and_then(|l| l.previous.as_ref());
    let current = logs.and_then(|l| l.current.as_ref());
    if previous.is_some_and(|l| !l.is_empty_or_error())
        || current.is_some_and(|l| !l.is_empty_or_error() && !l.hits(scanner).is_empty())
    {
        return Some(State::Unreported);
    }
    let first = kind == ContainerKind::App
        && pod
            .spec
            .containers
            .first()
            .is_some_and(|c| c.name == spec.name);
    let quoted = format!("\"{}\"", spec.name);
    let mut about = events.iter().filter(|e| {
        let named = match e.container() {
            Some(c) => c == spec.name,
            None => first || e.text().contains(&quoted),
        };
        named && is_current_pod(e, pod)
    });
    if about.clone().any(|e| is_failure_event(e)) {
        return Some(State::Unreported);
    }
    // Failing only its readiness probe, with nothing saying it ever restarted: it runs.
    (kind == ContainerKind::App && about.any(|e| is_readiness_failure(e)))
        .then_some(State::NotReady)
}

/// Whether an event is a failed readiness probe (which never restarts a container).
fn is_readiness_failure(e: &Event) -> bool {
    e.failed_probe() == Some(ProbeKind::Readiness)
}

/// Whether an event is the kubelet's word that a container fails to start, run or stay up.
fn is_failure_event(e: &Event) -> bool {
    match e.reason.as_str() {
        "BackOff"
        | "Failed"
        | "FailedMount"
        | "FailedAttachVolume"
        | "FailedPostStartHook"
        | "FailedPreStopHook"
        | "ExceededGracePeriod"
        | "SandboxChanged" => true,
        "Unhealthy" => !is_readiness_failure(e),
        "Killing" => e.killed_for_probe().is_some() || e.text().contains("probe"),
        _ => false,
    }
}

/// Decides whether a container is a subject, and why.
fn classify(
    cluster: &Cluster,
    pod: &Pod,
    kind: ContainerKind,
    status: &ContainerStatus,
    events: &[&Event],
) -> Option<State> {
    let phase = pod.status.phase.as_deref().unwrap_or("");
    if phase == "Succeeded" {
        return None;
    }
    if phase == "Failed" || pod.failure_reason() == Some("Evicted") {
        return (kind != ContainerKind::Ephemeral)
            .then_some(State::PodFailed)
            .filter(|_| status.name.is_empty() || is_first_container(pod, kind, status));
    }
    let waiting = status
        .state
        .waiting
        .as_ref()
        .and_then(|w| w.reason.as_deref());
    if waiting == Some("CrashLoopBackOff") {
        return Some(State::CrashLoop);
    }
    // A container between two restarts shows its last termination in `state` (real kubelets
    // after a node restart, and reports pasted from `describe`, often have no `lastState`).
    let last = last_termination_of(status);
    let age = last
        .and_then(|t| t.finished_at)
        .zip(cluster.collected_at)
        .map(|(f, c)| c.seconds_since(f));
    let recent = age.is_none_or(|a| a <= RECENT_SECS);
    let start_errors = [
        "RunContainerError",
        "PostStartHookError",
        "PreStartHookError",
        "StartError",
        "ContainerCannotRun",
    ];
    if let Some(reason) = waiting {
        if status.restart_count > 0 && start_errors.contains(&reason) {
            return Some(State::CrashLoop);
        }
        if reason != "ContainerCreating" && reason != "PodInitializing" {
            return Some(State::Waiting);
        }
        // Stuck creating because a volume cannot be mounted: worth a finding (`volume-mount`).
        let mount_failing = events
            .iter()
            .any(|e| matches!(e.reason.as_str(), "FailedMount" | "FailedAttachVolume"));
        return (reason == "ContainerCreating" && mount_failing).then_some(State::Waiting);
    }
    if kind == ContainerKind::Init
        && let Some(t) = &status.state.terminated
        && t.exit_code.unwrap_or(0) != 0
        && status.restart_count > 0
    {
        return Some(State::CrashLoop);
    }
    if status.restart_count >= RESTARTS_FOR_LOOP && recent && last.is_some() {
        return Some(State::Restarting);
    }
    // Restarted often, no past termination shown (a report that pastes `kubectl get pods` and
    // the events), and the kubelet's events say why it keeps failing.
    if status.restart_count >= RESTARTS_FOR_LOOP
        && last.is_none()
        && events.iter().any(|e| is_failure_event(e))
    {
        return Some(State::Restarting);
    }
    let failed_last =
        last.is_some_and(|t| t.exit_code != Some(0) || t.reason.as_deref() == Some("OOMKilled"));
    let state = &status.state;
    // A past termination with no current state shown (a report that quotes only `Last State`):
    // the container was restarted after it.
    if state.running.is_none()
        && state.terminated.is_none()
        && status.last_state.terminated.is_some()
        && failed_last
        && recent
    {
        return Some(State::Restarting);
    }
    // Failed, and not restarted yet (or never: `restartPolicy: Never`).
    if state.terminated.is_some() && status.restart_count == 0 && failed_last && recent {
        return Some(State::Exited);
    }
    let backoff_events = events
        .iter()
        .filter(|e| {
            e.reason == "BackOff"
                && e.text().contains("restarting failed")
                && e.container().is_none_or(|c| c == status.name)
        })
        .map(|e| e.occurrences())
        .sum::<i64>();
    if status.restart_count > 0 && backoff_events >= 2 && recent {
        return Some(State::Restarting);
    }
    // Restarts now and then, or one failure shortly before collection: not (yet) a loop, but
    // the failure is worth a low-severity finding.
    // A past termination means a restart, whatever `restartCount` says (a report may omit it).
    let restarts = status
        .restart_count
        .max(i64::from(status.last_state.terminated.is_some()));
    let recent_failure = restarts >= 1 && age.is_none_or(|a| a <= RECENT_SECS);
    if failed_last
        && ((status.restart_count >= RESTARTS_FOR_FLAPPER
            && age.is_none_or(|a| a <= FLAPPER_WINDOW_SECS))
            || recent_failure)
    {
        return Some(State::Flapping);
    }
    let running = status.state.running.is_some();
    let readiness_failing = events.iter().any(|e| is_readiness_failure(e));
    if running
        && !status.ready
        && kind == ContainerKind::App
        && readiness_failing
        && status.restart_count == 0
    {
        return Some(State::NotReady);
    }
    None
}

/// Only one subject per failed pod: its first container.
fn is_first_container(pod: &Pod, kind: ContainerKind, status: &ContainerStatus) -> bool {
    kind == ContainerKind::App
        && pod
            .status
            .container_statuses
            .first()
            .is_some_and(|s| s.name == status.name)
        || (pod.status.container_statuses.is_empty() && kind == ContainerKind::Init)
}

/// `lastState.terminated`, else `state.terminated`.
fn last_termination_of(status: &ContainerStatus) -> Option<&Terminated> {
    status
        .last_state
        .terminated
        .as_deref()
        .or(status.state.terminated.as_deref())
}

/// The back-off delay of a `CrashLoopBackOff` waiting message (`back-off 5m0s restarting …`).
fn backoff_of(w: &Waiting) -> Option<f64> {
    let msg = w.message.as_deref()?;
    let rest = msg
        .strip_prefix("back-off ")
        .or_else(|| msg.strip_prefix("Back-off "))?;
    parse_go_duration(rest.split_whitespace().next()?)
}

impl<'a> Subject<'a> {
    /// The container's name (the spec's when the pod failed before any container status).
    #[must_use]
    pub fn name(&self) -> &str {
        if self.status.name.is_empty() {
            &self.spec.name
        } else {
            &self.status.name
        }
    }

    /// `namespace/pod`.
    #[must_use]
    pub fn pod_key(&self) -> String {
        self.pod.key()
    }

    /// The last terminated instance: `lastState.terminated`, else `state.terminated`.
    #[must_use]
    pub fn last_termination(&self) -> Option<&'a Terminated> {
        last_termination_of(self.status)
    }

    /// The status field path of the last termination, relative to the container status.
    #[must_use]
    pub fn last_termination_field(&self) -> &'static str {
        if self.status.last_state.terminated.is_some() {
            "lastState.terminated"
        } else {
            "state.terminated"
        }
    }

    /// Exit code of the last terminated instance.
    #[must_use]
    pub fn exit_code(&self) -> Option<i64> {
        self.last_termination().and_then(|t| t.exit_code)
    }

    /// Reason of the last terminated instance (`OOMKilled`, `Error`, `Completed`, …).
    #[must_use]
    pub fn termination_reason(&self) -> Option<&'a str> {
        self.last_termination().and_then(|t| t.reason.as_deref())
    }

    /// How long the last terminated instance ran, in seconds.
    #[must_use]
    pub fn runtime_secs(&self) -> Option<f64> {
        self.last_termination().and_then(Terminated::runtime_secs)
    }

    /// `state.waiting`, if waiting.
    #[must_use]
    pub fn waiting(&self) -> Option<&'a Waiting> {
        self.status.state.waiting.as_ref()
    }

    /// The waiting reason, if waiting.
    #[must_use]
    pub fn waiting_reason(&self) -> Option<&'a str> {
        self.waiting().and_then(|w| w.reason.as_deref())
    }

    /// Events of this container (or its pod) with `reason`, oldest first.
    pub fn iter_events(&self, reason: &'a str) -> impl Iterator<Item = &'a Event> + '_ {
        self.events
            .iter()
            .copied()
            .filter(move |e| e.reason == reason)
    }

    /// The status field path of this container, for evidence locators:
    /// `status.containerStatuses[api]`.
    #[must_use]
    pub fn status_path(&self) -> String {
        format!("status.{}[{}]", self.kind.status_list(), self.name())
    }

    /// The spec field path of this container: `spec.containers[api]`.
    #[must_use]
    pub fn spec_path(&self) -> String {
        format!("spec.{}[{}]", self.kind.spec_list(), self.name())
    }

    /// The pod condition of `kind`, if present.
    #[must_use]
    pub fn pod_condition(&self, kind: &str) -> Option<&'a Condition> {
        self.pod.status.conditions.iter().find(|c| c.kind == kind)
    }

    /// Seconds between the last termination and the bundle's collection.
    #[must_use]
    pub fn age_secs(&self) -> Option<f64> {
        let at = self
            .last_termination()
            .and_then(|t| t.finished_at)
            .or_else(|| self.events.iter().filter_map(|e| e.time()).max())?;
        Some(self.cluster.collected_at?.seconds_since(at))
    }

    /// Whether the bundle holds the container's spec, not just its name (every container a pod
    /// really runs has an image). When it does not, what the spec does not say is unknown, not
    /// unset.
    #[must_use]
    pub fn spec_shown(&self) -> bool {
        !self.spec.image.is_empty()
    }

    /// Whether the bundle holds the container's status (a report pasting only logs or events
    /// does not): when it does not, `status` is empty and says nothing.
    #[must_use]
    pub fn status_shown(&self) -> bool {
        !self.status.name.is_empty()
    }

    /// Whether the bundle shows the container's `resources` (the API server always writes the
    /// key): when it does not, whether a limit is set is unknown.
    #[must_use]
    pub fn resources_shown(&self) -> bool {
        self.spec.resources.shown
    }

    /// The memory limit as written (`512Mi`), if set.
    #[must_use]
    pub fn memory_limit(&self) -> Option<&'a str> {
        self.spec.resources.limits.get("memory").map(String::as_str)
    }

    /// The effective `securityContext` value: the container's, else the pod's.
    #[must_use]
    pub fn read_only_root(&self) -> bool {
        self.spec
            .security_context
            .read_only_root_filesystem
            .unwrap_or(false)
    }

    /// `command` and `args` joined with spaces, as the container runs them; `None` when the pod
    /// spec sets neither (the image's entrypoint runs).
    #[must_use]
    pub fn command_line(&self) -> Option<String> {
        let words: Vec<&str> = self
            .spec
            .command
            .iter()
            .chain(&self.spec.args)
            .map(String::as_str)
            .collect();
        (!words.is_empty()).then(|| words.join(" "))
    }

    /// The time of the last termination, for matching events.
    #[must_use]
    pub fn finished_at(&self) -> Option<Time> {
        self.last_termination().and_then(|t| t.finished_at)
    }
}

/// Pod -> workload resolution through the bundle's ReplicaSets and Jobs.
struct OwnerIndex<'a> {
    /// (namespace, ReplicaSet or Job name) -> its controller (kind, name).
    parents: BTreeMap<(&'a str, &'a str, &'a str), (&'a str, &'a str)>,
}

impl<'a> OwnerIndex<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        let mut parents = BTreeMap::new();
        for w in &cluster.workloads {
            if let Some(o) = w.metadata.controller() {
                parents.insert(
                    (
                        w.kind.as_str(),
                        w.metadata.namespace.as_str(),
                        w.metadata.name.as_str(),
                    ),
                    (o.kind.as_str(), o.name.as_str()),
                );
            }
        }
        Self { parents }
    }

    fn resolve(&self, pod: &Pod) -> WorkloadRef {
        let (kind, name) = self.names(pod);
        let revision = match pod.metadata.controller() {
            None => None,
            Some(owner) if owner.kind == "ReplicaSet" => Some(owner.name.clone()),
            // A Job's revision is itself when a CronJob (a parent in the bundle) made it.
            Some(owner) if owner.kind == "Job" => self
                .parents
                .contains_key(&("Job", pod.metadata.namespace.as_str(), owner.name.as_str()))
                .then(|| owner.name.clone()),
            Some(_) => pod
                .metadata
                .labels
                .get("controller-revision-hash")
                .or_else(|| pod.metadata.labels.get("pod-template-generation"))
                .cloned(),
        };
        WorkloadRef {
            kind: kind.to_owned(),
            name: name.to_owned(),
            revision,
        }
    }

    /// The kind and name of the workload that owns `pod` (`Pod` and its own name when none).
    fn names<'p>(&self, pod: &'p Pod) -> (&'p str, &'p str)
    where
        'a: 'p,
    {
        let ns = pod.metadata.namespace.as_str();
        let Some(owner) = pod.metadata.controller() else {
            return ("Pod", &pod.metadata.name);
        };
        match owner.kind.as_str() {
            "ReplicaSet" => {
                if let Some(&(kind, name)) =
                    self.parents.get(&("ReplicaSet", ns, owner.name.as_str()))
                {
                    return (kind, name);
                }
                // No ReplicaSet in the bundle: strip the pod-template-hash suffix if the label says so.
                let Some(hash) = pod.metadata.labels.get("pod-template-hash") else {
                    return ("ReplicaSet", &owner.name);
                };
                let name = owner
                    .name
                    .strip_suffix(hash.as_str())
                    .and_then(|n| n.strip_suffix('-'))
                    .unwrap_or(&owner.name);
                ("Deployment", name)
            }
            "Job" => self
                .parents
                .get(&("Job", ns, owner.name.as_str()))
                .map_or(("Job", &owner.name), |&(kind, name)| (kind, name)),
            kind => (kind, &owner.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::SCANNER;

    fn cluster(pods_yaml: &str) -> Cluster {
        let mut c = Cluster {
            collected_at: Time::parse("2026-11-28T05:00:00Z"),
            ..Cluster::default()
        };
        add(&mut c, "pods", pods_yaml);
        c
    }

    /// Reads a list of `resource` into the cluster as a bundle file of namespace `shop`.
    fn add(c: &mut Cluster, resource: &str, yaml: &str) {
        let mut warnings = Vec::new();
        crate::formats::add_resource(
            c,
            resource,
            &format!("namespaces/shop/{resource}.yaml"),
            yaml.as_bytes(),
            &mut warnings,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    /// Each way a pod names its workload, and the revision it was made from; the counts per
    /// workload agree with it.
    #[test]
    fn pods_resolve_to_their_workloads() {
        let pod = |name: &str, owner: &str, labels: &str| {
            format!(
                "- metadata:\n    name: {name}\n    namespace: shop\n    labels: {{{labels}}}\n    ownerReferences: [{owner}]\n"
            )
        };
        let owner =
            |kind: &str, name: &str| format!("{{kind: {kind}, name: {name}, controller: true}}");
        let pods = [
            pod("bare", "", ""),
            pod(
                "api-5d8f-x1",
                &owner("ReplicaSet", "api-5d8f"),
                "pod-template-hash: 5d8f",
            ),
            pod(
                "api-5d8f-x2",
                &owner("ReplicaSet", "api-5d8f"),
                "pod-template-hash: 5d8f",
            ),
            pod(
                "web-7c9-x",
                &owner("ReplicaSet", "web-7c9"),
                "pod-template-hash: 7c9",
            ),
            pod("solo-x", &owner("ReplicaSet", "solo"), ""),
            pod("backup-123-x", &owner("Job", "backup-123"), ""),
            pod("once-x", &owner("Job", "once"), ""),
            pod(
                "db-0",
                &owner("StatefulSet", "db"),
                "controller-revision-hash: db-abc",
            ),
        ];
        let mut c = cluster(&format!(
            "apiVersion: v1\nkind: List\nitems:\n{}",
            pods.concat()
        ));
        let workloads = |kind: &str, name: &str, parent: &str| {
            format!(
                "apiVersion: v1\nkind: List\nitems:\n- kind: {kind}\n  metadata:\n    name: {name}\n    namespace: shop\n    ownerReferences: [{parent}]\n"
            )
        };
        let mut warnings = Vec::new();
        for (resource, text) in [
            (
                "replicasets",
                workloads("ReplicaSet", "api-5d8f", &owner("Deployment", "api")),
            ),
            (
                "jobs",
                workloads("Job", "backup-123", &owner("CronJob", "backup")),
            ),
        ] {
            crate::formats::add_resource(
                &mut c,
                resource,
                "x.yaml",
                text.as_bytes(),
                &mut warnings,
            );
        }
        c.normalize();
        assert!(warnings.is_empty(), "{warnings:?}");
        let owners = OwnerIndex::new(&c);
        let resolved: Vec<(&str, String, String, Option<String>)> = c
            .pods
            .iter()
            .map(|p| {
                let w = owners.resolve(p);
                (p.metadata.name.as_str(), w.kind, w.name, w.revision)
            })
            .collect();
        let want = |pod, kind: &str, name: &str, revision: Option<&str>| {
            (
                pod,
                kind.to_owned(),
                name.to_owned(),
                revision.map(str::to_owned),
            )
        };
        assert_eq!(
            resolved,
            vec![
                want("api-5d8f-x1", "Deployment", "api", Some("api-5d8f")),
                want("api-5d8f-x2", "Deployment", "api", Some("api-5d8f")),
                want("backup-123-x", "CronJob", "backup", Some("backup-123")),
                want("bare", "Pod", "bare", None),
                want("db-0", "StatefulSet", "db", Some("db-abc")),
                want("once-x", "Job", "once", None),
                want("solo-x", "ReplicaSet", "solo", Some("solo")),
                want("web-7c9-x", "Deployment", "web", Some("web-7c9")),
            ]
        );
        let counts = workload_pod_counts(&c);
        assert_eq!(counts.get(&("shop", "Deployment", "api")), Some(&2));
        assert_eq!(counts.values().sum::<usize>(), c.pods.len());
        assert_eq!(counts.len(), 7);
    }

    /// An init container looping in back-off, and the app container waiting behind it.
    const INIT_LOOP: &str = r#"
apiVersion: v1
kind: List
items:
- metadata: {name: api-1, namespace: shop, uid: u1}
  spec:
    initContainers:
    - {name: migrate, image: "shop/migrate:1"}
    - {name: proxy, image: "envoy:1.31", restartPolicy: Always}
    containers:
    - {name: api, image: "shop/api:1"}
  status:
    phase: Pending
    initContainerStatuses:
    - name: migrate
      restartCount: 4
      lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-11-28T04:58:00Z"}}
      state: {waiting: {reason: CrashLoopBackOff, message: "back-off 1m20s restarting failed container=migrate"}}
    - name: proxy
      restartCount: 0
      state: {waiting: {reason: PodInitializing}}
    containerStatuses:
    - name: api
      restartCount: 0
      state: {waiting: {reason: PodInitializing}}
"#;

    #[test]
    fn app_waiting_behind_a_looping_init_container_is_not_a_subject() {
        let c = cluster(INIT_LOOP);
        let subjects = build(&c, &SCANNER);
        let names: Vec<(&str, ContainerKind, State)> = subjects
            .iter()
            .map(|s| (s.name(), s.kind, s.state))
            .collect();
        assert_eq!(
            names,
            [("migrate", ContainerKind::Init, State::CrashLoop)],
            "only the looping init container is a subject"
        );
    }

    #[test]
    fn native_sidecars_are_sidecars_not_blocked_init_containers() {
        let yaml = r#"
items:
- metadata: {name: api-2, namespace: shop, uid: u2}
  spec:
    initContainers:
    - {name: proxy, image: "envoy:1.31", restartPolicy: Always}
    containers:
    - {name: api, image: "shop/api:1"}
  status:
    phase: Running
    initContainerStatuses:
    - name: proxy
      restartCount: 5
      started: true
      lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-11-28T04:58:00Z"}}
      state: {running: {startedAt: "2026-11-28T04:58:05Z"}}
    containerStatuses:
    - name: api
      ready: true
      restartCount: 0
      state: {running: {startedAt: "2026-11-28T04:00:00Z"}}
"#;
        let c = cluster(yaml);
        let subjects = build(&c, &SCANNER);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].kind, ContainerKind::Sidecar);
        assert_eq!(subjects[0].state, State::Restarting);
        assert_eq!(
            subjects[0].status_path(),
            "status.initContainerStatuses[proxy]"
        );
    }

    /// Between two restarts, with no `lastState` (a kubelet restarted, a report pasted from
    /// `describe`), the termination in `state` is the last one: a restart loop all the same.
    #[test]
    fn a_loop_without_last_state_is_read_from_state() {
        let yaml = r#"
items:
- metadata: {name: trino-0, namespace: starburst, uid: t1}
  spec:
    containers: [{name: trino, resources: {limits: {memory: 300Mi}}}]
  status:
    phase: Running
    containerStatuses:
    - name: trino
      ready: false
      restartCount: 5
      state: {terminated: {exitCode: 137, reason: OOMKilled, startedAt: "2026-11-28T04:58:32Z", finishedAt: "2026-11-28T04:58:42Z"}}
"#;
        let c = cluster(yaml);
        let subjects = build(&c, &SCANNER);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].state, State::Restarting);
    }

    #[test]
    fn failed_job_pods_are_pod_failed_and_succeeded_pods_are_ignored() {
        let yaml = r#"
items:
- metadata:
    name: export-1-a
    namespace: shop
    uid: j1
    ownerReferences: [{kind: Job, name: export-1, controller: true}]
  spec:
    restartPolicy: Never
    containers: [{name: export, image: "shop/export:1"}]
  status:
    phase: Failed
    containerStatuses:
    - name: export
      state: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-11-28T04:00:09Z"}}
- metadata:
    name: export-1-b
    namespace: shop
    uid: j2
    ownerReferences: [{kind: Job, name: export-1, controller: true}]
  spec:
    restartPolicy: Never
    containers: [{name: export, image: "shop/export:1"}]
  status:
    phase: Succeeded
    containerStatuses:
    - name: export
      state: {terminated: {exitCode: 0, reason: Completed, finishedAt: "2026-11-28T04:02:09Z"}}
"#;
        let c = cluster(yaml);
        let subjects = build(&c, &SCANNER);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].pod.metadata.name, "export-1-a");
        assert_eq!(subjects[0].state, State::PodFailed);
        assert_eq!(subjects[0].workload.kind, "Job");
    }

    #[test]
    fn a_pod_rejected_before_any_container_status_is_a_subject() {
        let yaml = r#"
items:
- metadata: {name: search-1, namespace: shop, uid: s1}
  spec:
    nodeName: worker-4
    containers: [{name: search, image: "shop/search:8"}]
  status:
    phase: Failed
    reason: OutOfcpu
    message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 2900, capacity: 3920"
"#;
        let c = cluster(yaml);
        let subjects = build(&c, &SCANNER);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].state, State::PodFailed);
        assert_eq!(subjects[0].name(), "search");
        assert_eq!(subjects[0].spec_path(), "spec.containers[search]");
    }

    /// A pod the bundle shows without container statuses (a kubelet that has not reported yet,
    /// a dump made from pasted events): the container the kubelet's warnings are about is a
    /// subject; routine events make none.
    #[test]
    fn a_container_without_status_is_a_subject_on_its_kubelet_warnings() {
        let yaml = r#"
items:
- metadata: {name: api-7d9c-x2x4p, namespace: shop, uid: a1}
  spec:
    containers: [{name: api, image: "shop/api:3.1"}, {name: proxy, image: "envoyproxy/envoy:v1.30"}]
  status: {phase: Pending}
- metadata: {name: web-5f6b-k8s2q, namespace: shop, uid: w1}
  spec:
    containers: [{name: web, image: "shop/web:2.0"}]
  status: {phase: Pending}
"#;
        let events = r#"
items:
- metadata: {name: api-7d9c-x2x4p.1, namespace: shop}
  involvedObject: {kind: Pod, name: api-7d9c-x2x4p, namespace: shop, uid: a1, fieldPath: "spec.containers{api}"}
  reason: Failed
  type: Warning
  message: 'Error: secret "shop-db" not found'
  count: 4
  lastTimestamp: "2026-11-28T04:58:00Z"
- metadata: {name: web-5f6b-k8s2q.1, namespace: shop}
  involvedObject: {kind: Pod, name: web-5f6b-k8s2q, namespace: shop, uid: w1}
  reason: Scheduled
  type: Normal
  message: Successfully assigned shop/web-5f6b-k8s2q to worker-2
  lastTimestamp: "2026-11-28T04:57:00Z"
"#;
        let mut c = cluster(yaml);
        add(&mut c, "events", events);
        c.normalize();
        let subjects = build(&c, &SCANNER);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].state, State::Unreported);
        assert_eq!(subjects[0].name(), "api");
        assert_eq!(subjects[0].events.len(), 1);
    }

    /// A first failure not yet restarted, and a report that quotes only `Last State`.
    #[test]
    fn a_first_failure_and_a_last_state_without_current_state() {
        let yaml = r#"
items:
- metadata: {name: batch-0, namespace: shop, uid: b1}
  spec:
    containers: [{name: batch, image: "alpine:3.19", command: [/bin/bash, -c, run]}]
  status:
    phase: Running
    containerStatuses:
    - name: batch
      restartCount: 0
      state: {terminated: {exitCode: 127, reason: ContainerCannotRun, finishedAt: "2026-11-28T04:59:00Z"}}
- metadata: {name: zk-0, namespace: shop, uid: z1}
  spec:
    containers: [{name: zookeeper}]
  status:
    containerStatuses:
    - name: zookeeper
      lastState: {terminated: {reason: OOMKilled, exitCode: 137}}
"#;
        let c = cluster(yaml);
        let subjects = build(&c, &SCANNER);
        let states: Vec<(&str, State)> = subjects.iter().map(|s| (s.name(), s.state)).collect();
        assert_eq!(
            states,
            [("batch", State::Exited), ("zookeeper", State::Restarting)]
        );
        assert!(!subjects[1].spec_shown());
    }

    /// The kubelet's eviction message makes a failed pod even when the report leaves out
    /// `phase` and `reason`.
    #[test]
    fn an_eviction_message_alone_fails_the_pod() {
        let yaml = r#"
items:
- metadata: {name: kilo-x7v2q, namespace: kube-system, uid: k1}
  spec:
    containers: [{name: kilo, image: "squat/kilo:0.6.0"}]
  status:
    message: "The node was low on resource: memory. Container kilo was using 30332Ki, which exceeds its request of 0."
"#;
        let c = cluster(yaml);
        let subjects = build(&c, &SCANNER);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].state, State::PodFailed);
    }
}
