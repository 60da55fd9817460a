//! Pods: the spec parts and status fields the causes read, nothing more.
//!
//! Every struct is lenient (`#[serde(default)]`, lenient scalars, `null` as default) so one odd
//! field never loses a pod. Unknown fields, including `managedFields`, are ignored.

use super::map::Map;

use serde::Deserialize;

use super::de;
use super::meta::ObjectMeta;
use super::time::Time;

/// A pod as `kubectl get pod -o yaml` prints it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Pod {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    pub spec: PodSpec,
    #[serde(deserialize_with = "de::nullable")]
    pub status: PodStatus,
    /// Where in the bundle this pod was read from (set by the format reader).
    #[serde(skip)]
    pub source: String,
}

/// `spec` of a pod or of a pod template.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(deserialize_with = "de::list")]
    pub containers: Vec<Container>,
    #[serde(deserialize_with = "de::list")]
    pub init_containers: Vec<Container>,
    #[serde(deserialize_with = "de::list")]
    pub ephemeral_containers: Vec<Container>,
    #[serde(deserialize_with = "de::list")]
    pub volumes: Vec<Volume>,
    #[serde(deserialize_with = "de::opt_string")]
    pub restart_policy: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub node_name: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub host_network: Option<bool>,
    #[serde(deserialize_with = "de::opt_string")]
    pub service_account_name: Option<String>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(deserialize_with = "de::nullable")]
    pub security_context: SecurityContext,
    pub node_selector: Map,
    /// `imagePullSecrets[]`: the Secrets the kubelet pulls images with.
    #[serde(deserialize_with = "de::nullable")]
    pub image_pull_secrets: Vec<NameRef>,
}

/// The parts of a pod that `Pod::slim_if_settled` keeps, read directly: a settled pod read
/// this way skips its containers' env, mounts, probes and resources and its volumes instead of
/// building them only to drop them. Read as a candidate, then checked (`into_settled`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettledPod {
    #[serde(deserialize_with = "de::nullable")]
    metadata: ObjectMeta,
    #[serde(deserialize_with = "de::nullable")]
    spec: SettledSpec,
    #[serde(deserialize_with = "de::nullable")]
    status: PodStatus,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SettledSpec {
    #[serde(deserialize_with = "de::list")]
    containers: Vec<NamedContainer>,
    #[serde(deserialize_with = "de::list")]
    init_containers: Vec<NamedContainer>,
    #[serde(deserialize_with = "de::list")]
    ephemeral_containers: Vec<NamedContainer>,
    #[serde(deserialize_with = "de::opt_string")]
    restart_policy: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    node_name: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    host_network: Option<bool>,
    #[serde(deserialize_with = "de::opt_string")]
    service_account_name: Option<String>,
    node_selector: Map,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct NamedContainer {
    #[serde(deserialize_with = "de::string")]
    name: String,
    #[serde(deserialize_with = "de::string")]
    image: String,
    #[serde(deserialize_with = "de::opt_string")]
    restart_policy: Option<String>,
}

impl SettledPod {
    /// The pod, already cut down, if it is one `Pod::slim_if_settled` cuts down; `None` means
    /// it must be read whole.
    #[must_use]
    pub fn into_settled(self) -> Option<Pod> {
        let mut pod = Pod {
            metadata: self.metadata,
            spec: self.spec.into_spec(),
            status: self.status,
            source: String::new(),
        };
        if !pod.is_slimmed_when_settled() || !pod.is_settled() {
            return None;
        }
        pod.drop_unread_when_settled();
        Some(pod)
    }
}

impl SettledSpec {
    /// The spec a settled pod keeps.
    fn into_spec(self) -> PodSpec {
        PodSpec {
            containers: kept(self.containers),
            init_containers: kept(self.init_containers),
            ephemeral_containers: kept(self.ephemeral_containers),
            restart_policy: self.restart_policy,
            node_name: self.node_name,
            host_network: self.host_network,
            service_account_name: self.service_account_name,
            node_selector: self.node_selector,
            ..PodSpec::default()
        }
    }
}

impl From<PodSpec> for SettledSpec {
    fn from(spec: PodSpec) -> Self {
        let named = |list: Vec<Container>| list.into_iter().map(NamedContainer::from).collect();
        SettledSpec {
            containers: named(spec.containers),
            init_containers: named(spec.init_containers),
            ephemeral_containers: named(spec.ephemeral_containers),
            restart_policy: spec.restart_policy,
            node_name: spec.node_name,
            host_network: spec.host_network,
            service_account_name: spec.service_account_name,
            node_selector: spec.node_selector,
        }
    }
}

impl From<Container> for NamedContainer {
    fn from(c: Container) -> Self {
        NamedContainer {
            name: c.name,
            image: c.image,
            restart_policy: c.restart_policy,
        }
    }
}

/// The containers of a settled pod as it keeps them, in a new, exactly sized list.
fn kept(list: Vec<NamedContainer>) -> Vec<Container> {
    let mut out = Vec::with_capacity(list.len());
    out.extend(list.into_iter().map(|c| Container {
        name: c.name,
        image: c.image,
        restart_policy: c.restart_policy,
        ..Container::default()
    }));
    out
}

/// One container of a pod spec (app, init or ephemeral).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::string")]
    pub image: String,
    #[serde(deserialize_with = "de::string_list")]
    pub command: Vec<String>,
    #[serde(deserialize_with = "de::string_list")]
    pub args: Vec<String>,
    #[serde(deserialize_with = "de::list")]
    pub env: Vec<EnvVar>,
    #[serde(deserialize_with = "de::list")]
    pub env_from: Vec<EnvFromSource>,
    #[serde(deserialize_with = "de::list")]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(deserialize_with = "shown_resources")]
    pub resources: Resources,
    #[serde(deserialize_with = "de::nullable")]
    pub liveness_probe: Option<Box<Probe>>,
    #[serde(deserialize_with = "de::nullable")]
    pub readiness_probe: Option<Box<Probe>>,
    #[serde(deserialize_with = "de::nullable")]
    pub startup_probe: Option<Box<Probe>>,
    #[serde(deserialize_with = "de::nullable")]
    pub lifecycle: Lifecycle,
    #[serde(deserialize_with = "de::nullable")]
    pub security_context: SecurityContext,
    /// Per-container restart policy; `Always` on an init container makes it a native sidecar.
    #[serde(deserialize_with = "de::opt_string")]
    pub restart_policy: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub termination_message_policy: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub image_pull_policy: Option<String>,
    #[serde(deserialize_with = "de::list")]
    pub ports: Vec<ContainerPort>,
    #[serde(deserialize_with = "de::opt_string")]
    pub working_dir: Option<String>,
}

/// One `env` entry: a literal `value` or a `valueFrom` reference.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVar {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub value: Option<String>,
    #[serde(deserialize_with = "de::nullable")]
    pub value_from: Option<Box<EnvVarSource>>,
}

/// `env[].valueFrom`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVarSource {
    #[serde(deserialize_with = "de::nullable")]
    pub config_map_key_ref: Option<KeyRef>,
    #[serde(deserialize_with = "de::nullable")]
    pub secret_key_ref: Option<KeyRef>,
    #[serde(deserialize_with = "de::nullable")]
    pub field_ref: Option<FieldRef>,
}

/// A `configMapKeyRef` / `secretKeyRef`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct KeyRef {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::string")]
    pub key: String,
    #[serde(deserialize_with = "de::opt_bool")]
    pub optional: Option<bool>,
}

/// A `fieldRef` (downward API).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct FieldRef {
    #[serde(deserialize_with = "de::string")]
    pub field_path: String,
}

/// `envFrom[]`: a whole ConfigMap or Secret.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvFromSource {
    #[serde(deserialize_with = "de::nullable")]
    pub config_map_ref: Option<NameRef>,
    #[serde(deserialize_with = "de::nullable")]
    pub secret_ref: Option<NameRef>,
    #[serde(deserialize_with = "de::opt_string")]
    pub prefix: Option<String>,
}

/// A reference by name, with `optional`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct NameRef {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::opt_bool")]
    pub optional: Option<bool>,
}

/// `volumeMounts[]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct VolumeMount {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::string")]
    pub mount_path: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub sub_path: Option<String>,
    #[serde(deserialize_with = "de::boolean")]
    pub read_only: bool,
}

/// `volumes[]`: only the source kinds the causes look at.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Volume {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::nullable")]
    pub config_map: Option<Box<ConfigMapVolume>>,
    #[serde(deserialize_with = "de::nullable")]
    pub secret: Option<Box<SecretVolume>>,
    #[serde(deserialize_with = "de::nullable")]
    pub persistent_volume_claim: Option<PvcVolume>,
    #[serde(deserialize_with = "de::nullable")]
    pub empty_dir: Option<EmptyDirVolume>,
    #[serde(deserialize_with = "de::nullable")]
    pub host_path: Option<HostPathVolume>,
}

/// `volumes[].configMap`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ConfigMapVolume {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::opt_i64")]
    pub default_mode: Option<i64>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub optional: Option<bool>,
    #[serde(deserialize_with = "de::list")]
    pub items: Vec<KeyToPath>,
}

/// `volumes[].secret`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SecretVolume {
    #[serde(deserialize_with = "de::string")]
    pub secret_name: String,
    #[serde(deserialize_with = "de::opt_i64")]
    pub default_mode: Option<i64>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub optional: Option<bool>,
    #[serde(deserialize_with = "de::list")]
    pub items: Vec<KeyToPath>,
}

/// `items[]` of a ConfigMap or Secret volume.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct KeyToPath {
    #[serde(deserialize_with = "de::string")]
    pub key: String,
    #[serde(deserialize_with = "de::string")]
    pub path: String,
}

/// `volumes[].persistentVolumeClaim`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct PvcVolume {
    #[serde(deserialize_with = "de::string")]
    pub claim_name: String,
}

/// `volumes[].emptyDir`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct EmptyDirVolume {
    #[serde(deserialize_with = "de::opt_string")]
    pub medium: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub size_limit: Option<String>,
}

/// `volumes[].hostPath`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct HostPathVolume {
    #[serde(deserialize_with = "de::string")]
    pub path: String,
}

/// `resources`: quantities kept as the strings Kubernetes wrote.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Resources {
    pub limits: Map,
    pub requests: Map,
    /// Whether the document had the key. The API server always writes it (`resources: {}` when
    /// nothing is set); a pod rebuilt from `describe` or a partial paste may not, and then what
    /// is not there is unknown rather than unset.
    #[serde(skip)]
    pub shown: bool,
}

/// `resources`, marked as shown.
fn shown_resources<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Resources, D::Error> {
    let mut r: Resources = de::nullable(d)?;
    r.shown = true;
    Ok(r)
}

/// A liveness, readiness or startup probe.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Probe {
    #[serde(deserialize_with = "de::nullable")]
    pub http_get: Option<HttpGet>,
    #[serde(deserialize_with = "de::nullable")]
    pub tcp_socket: Option<TcpSocket>,
    #[serde(deserialize_with = "de::nullable")]
    pub exec: Option<ExecAction>,
    #[serde(deserialize_with = "de::nullable")]
    pub grpc: Option<TcpSocket>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub initial_delay_seconds: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub period_seconds: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub timeout_seconds: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub failure_threshold: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub success_threshold: Option<i64>,
}

impl Probe {
    /// Seconds from container start until this probe can first kill it:
    /// `initialDelaySeconds + periodSeconds × failureThreshold` (Kubernetes defaults 0, 10, 3).
    #[must_use]
    pub fn budget_secs(&self) -> i64 {
        self.initial_delay_seconds.unwrap_or(0).max(0)
            + self.period_seconds.unwrap_or(10).max(1) * self.failure_threshold.unwrap_or(3).max(1)
    }

    /// The probe's settings with Kubernetes' defaults filled in, and when it kills:
    /// `GET :8080/healthz, initialDelaySeconds 30, periodSeconds 10, failureThreshold 3,
    /// timeoutSeconds 1: kills after ~60s`.
    #[must_use]
    pub fn settings(&self) -> String {
        format!(
            "{}, initialDelaySeconds {}, periodSeconds {}, failureThreshold {}, timeoutSeconds {}: kills after ~{}s",
            self.describe(),
            self.initial_delay_seconds.unwrap_or(0),
            self.period_seconds.unwrap_or(10),
            self.failure_threshold.unwrap_or(3),
            self.timeout_seconds.unwrap_or(1),
            self.budget_secs()
        )
    }

    /// A short description of what the probe checks: `GET :8080/healthz`, `tcp :5432`, `exec cat /tmp/ready`.
    #[must_use]
    pub fn describe(&self) -> String {
        if let Some(h) = &self.http_get {
            format!(
                "GET :{}{}",
                h.port.as_deref().unwrap_or("?"),
                h.path.as_deref().unwrap_or("/")
            )
        } else if let Some(t) = &self.tcp_socket {
            format!("tcp :{}", t.port.as_deref().unwrap_or("?"))
        } else if let Some(e) = &self.exec {
            // A script given inline (`sh -c` and a block) is shown by its first line.
            let full = e.command.join(" ");
            let mut short: String = full.lines().next().unwrap_or("").chars().take(60).collect();
            if short.len() < full.trim_end().len() {
                short.push('…');
            }
            format!("exec {short}")
        } else if let Some(g) = &self.grpc {
            format!("grpc :{}", g.port.as_deref().unwrap_or("?"))
        } else {
            "unknown handler".to_owned()
        }
    }
}

/// `httpGet` of a probe or hook.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpGet {
    #[serde(deserialize_with = "de::opt_string")]
    pub path: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub port: Option<String>,
}

/// `tcpSocket` / `grpc` of a probe.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct TcpSocket {
    #[serde(deserialize_with = "de::opt_string")]
    pub port: Option<String>,
}

/// `exec` of a probe or hook.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ExecAction {
    #[serde(deserialize_with = "de::string_list")]
    pub command: Vec<String>,
}

/// `lifecycle` hooks.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Lifecycle {
    #[serde(deserialize_with = "de::nullable")]
    pub post_start: Option<Box<Handler>>,
    #[serde(deserialize_with = "de::nullable")]
    pub pre_stop: Option<Box<Handler>>,
}

/// A lifecycle handler.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Handler {
    #[serde(deserialize_with = "de::nullable")]
    pub exec: Option<ExecAction>,
    #[serde(deserialize_with = "de::nullable")]
    pub http_get: Option<HttpGet>,
}

/// Pod- or container-level `securityContext`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SecurityContext {
    #[serde(deserialize_with = "de::opt_bool")]
    pub run_as_non_root: Option<bool>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub run_as_user: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub run_as_group: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub fs_group: Option<i64>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub read_only_root_filesystem: Option<bool>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub privileged: Option<bool>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub allow_privilege_escalation: Option<bool>,
    #[serde(deserialize_with = "de::nullable")]
    pub capabilities: Capabilities,
    #[serde(deserialize_with = "de::nullable")]
    pub seccomp_profile: Option<SeccompProfile>,
}

/// `securityContext.capabilities`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Capabilities {
    #[serde(deserialize_with = "de::string_list")]
    pub add: Vec<String>,
    #[serde(deserialize_with = "de::string_list")]
    pub drop: Vec<String>,
}

/// `securityContext.seccompProfile`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SeccompProfile {
    #[serde(rename = "type", deserialize_with = "de::string")]
    pub kind: String,
}

/// `ports[]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPort {
    #[serde(deserialize_with = "de::opt_i64")]
    pub container_port: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub host_port: Option<i64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
}

/// `status` of a pod.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(deserialize_with = "de::opt_string")]
    pub phase: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub host_ip: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub pod_ip: Option<String>,
    #[serde(deserialize_with = "de::time")]
    pub start_time: Option<Time>,
    #[serde(deserialize_with = "de::list")]
    pub conditions: Vec<Condition>,
    #[serde(deserialize_with = "de::list")]
    pub container_statuses: Vec<ContainerStatus>,
    #[serde(deserialize_with = "de::list")]
    pub init_container_statuses: Vec<ContainerStatus>,
    #[serde(deserialize_with = "de::list")]
    pub ephemeral_container_statuses: Vec<ContainerStatus>,
}

/// A status condition (pods, nodes, workloads).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type", deserialize_with = "de::string")]
    pub kind: String,
    #[serde(deserialize_with = "de::string")]
    pub status: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "de::time")]
    pub last_transition_time: Option<Time>,
}

/// One entry of `containerStatuses`, `initContainerStatuses` or `ephemeralContainerStatuses`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::nullable")]
    pub state: ContainerState,
    #[serde(deserialize_with = "de::nullable")]
    pub last_state: ContainerState,
    #[serde(deserialize_with = "de::int")]
    pub restart_count: i64,
    #[serde(deserialize_with = "de::boolean")]
    pub ready: bool,
    #[serde(deserialize_with = "de::opt_bool")]
    pub started: Option<bool>,
    #[serde(deserialize_with = "de::string")]
    pub image: String,
    #[serde(rename = "imageID", deserialize_with = "de::string")]
    pub image_id: String,
    #[serde(rename = "containerID", deserialize_with = "de::opt_string")]
    pub container_id: Option<String>,
}

/// `state` / `lastState`: at most one of the three is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerState {
    #[serde(deserialize_with = "de::nullable")]
    pub waiting: Option<Waiting>,
    #[serde(deserialize_with = "de::nullable")]
    pub running: Option<Running>,
    #[serde(deserialize_with = "de::nullable")]
    pub terminated: Option<Box<Terminated>>,
}

/// `state.waiting`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Waiting {
    #[serde(deserialize_with = "de::opt_string")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub message: Option<String>,
}

/// `state.running`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Running {
    #[serde(deserialize_with = "de::time")]
    pub started_at: Option<Time>,
}

/// `state.terminated` / `lastState.terminated`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Terminated {
    #[serde(deserialize_with = "de::opt_i64")]
    pub exit_code: Option<i64>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub signal: Option<i64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "de::time")]
    pub started_at: Option<Time>,
    #[serde(deserialize_with = "de::time")]
    pub finished_at: Option<Time>,
}

impl Terminated {
    /// How long the instance ran, when both timestamps are known and ordered. A `StartError`
    /// carries `startedAt: 1970-01-01T00:00:00Z` (the process never started): no run time.
    #[must_use]
    pub fn runtime_secs(&self) -> Option<f64> {
        let started = self.started_at.filter(|t| t.unix() > 0)?;
        let secs = self.finished_at?.seconds_since(started);
        (secs >= 0.0).then_some(secs)
    }
}

/// Which list of a pod spec a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    App,
    Init,
    /// An init container with `restartPolicy: Always` (a native sidecar).
    Sidecar,
    Ephemeral,
}

impl ContainerKind {
    /// The name used in reports: `app`, `init`, `sidecar`, `ephemeral`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Init => "init",
            Self::Sidecar => "sidecar",
            Self::Ephemeral => "ephemeral",
        }
    }

    /// The spec list this kind lives in, for field paths: `containers`, `initContainers`, ….
    #[must_use]
    pub fn spec_list(self) -> &'static str {
        match self {
            Self::App => "containers",
            Self::Init | Self::Sidecar => "initContainers",
            Self::Ephemeral => "ephemeralContainers",
        }
    }

    /// The status list this kind lives in: `containerStatuses`, `initContainerStatuses`, ….
    #[must_use]
    pub fn status_list(self) -> &'static str {
        match self {
            Self::App => "containerStatuses",
            Self::Init | Self::Sidecar => "initContainerStatuses",
            Self::Ephemeral => "ephemeralContainerStatuses",
        }
    }
}

impl Pod {
    /// Whether the pod is settled: running, not being deleted, and every container of it running
    /// and ready, never restarted, with no past termination. Such a pod is never a subject
    /// (`subjects::classify`); it only counts towards its workload and node.
    #[must_use]
    pub fn is_settled(&self) -> bool {
        let statuses = &self.status;
        let mut all = statuses
            .container_statuses
            .iter()
            .chain(&statuses.init_container_statuses)
            .chain(&statuses.ephemeral_container_statuses);
        self.status.phase.as_deref() == Some("Running")
            && self.metadata.deletion_timestamp.is_none()
            && !statuses.container_statuses.is_empty()
            && statuses.container_statuses.len() == self.spec.containers.len()
            && all.all(|s| {
                s.ready
                    && s.restart_count == 0
                    && s.state.running.is_some()
                    && s.state.waiting.is_none()
                    && s.state.terminated.is_none()
                    && s.last_state.waiting.is_none()
                    && s.last_state.running.is_none()
                    && s.last_state.terminated.is_none()
            })
    }

    /// Whether the pod is cut down when settled: not a StatefulSet's, not on the host network.
    fn is_slimmed_when_settled(&self) -> bool {
        let stateful = self
            .metadata
            .controller()
            .is_some_and(|o| o.kind == "StatefulSet");
        !stateful && self.spec.host_network != Some(true)
    }

    /// Cuts a settled pod (`is_settled`) down to what analysis reads of it, to keep a large
    /// cluster's model small: its metadata without annotations, node, host network and
    /// conditions, its containers' names, images and restart policies (sidecars stay
    /// sidecars), and its statuses without container and image ids. Pods of StatefulSets (their
    /// specs are compared across revisions) and host-network pods (their ports can collide with
    /// a crash-looping neighbour's) are kept whole. Does nothing to any other pod.
    pub fn slim_if_settled(&mut self) {
        if !self.is_slimmed_when_settled() || !self.is_settled() {
            return;
        }
        self.spec = SettledSpec::from(std::mem::take(&mut self.spec)).into_spec();
        self.drop_unread_when_settled();
    }

    /// Whether `slim_if_settled` cut this pod's spec down (to container names, images and
    /// restart policies): its other spec fields are then unknown, not unset.
    #[must_use]
    pub fn is_slimmed(&self) -> bool {
        self.is_slimmed_when_settled() && self.is_settled()
    }

    /// Drops what a settled pod keeps nothing of outside its spec: annotations, container and
    /// image ids, and its conditions but the latest (read of a settled pod only for the
    /// latest time the cluster was observed, `formats::latest_observed`).
    fn drop_unread_when_settled(&mut self) {
        self.metadata.annotations = Map::default();
        let status = &mut self.status;
        let latest = (status.conditions.len() > 1)
            .then(|| {
                let times = status.conditions.iter().map(|c| c.last_transition_time);
                times.enumerate().max_by_key(|&(_, t)| t).map(|(i, _)| i)
            })
            .flatten();
        if let Some(i) = latest {
            let kept = status.conditions.swap_remove(i);
            status.conditions = vec![kept];
        }
        for s in status
            .container_statuses
            .iter_mut()
            .chain(&mut status.init_container_statuses)
            .chain(&mut status.ephemeral_container_statuses)
        {
            s.image_id = String::new();
            s.container_id = None;
        }
    }

    /// `namespace/name`.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}/{}", self.metadata.namespace, self.metadata.name)
    }

    /// The spec and kind of the container named `name` in `list_kind`'s list.
    #[must_use]
    pub fn find_container(&self, kind: ContainerKind, name: &str) -> Option<&Container> {
        let list = match kind {
            ContainerKind::App => &self.spec.containers,
            ContainerKind::Init | ContainerKind::Sidecar => &self.spec.init_containers,
            ContainerKind::Ephemeral => &self.spec.ephemeral_containers,
        };
        list.iter().find(|c| c.name == name)
    }

    /// Every container status with its kind, init containers first, in spec order.
    pub fn iter_statuses(&self) -> impl Iterator<Item = (ContainerKind, &ContainerStatus)> {
        let init = self.status.init_container_statuses.iter().map(|s| {
            let sidecar = self
                .spec
                .init_containers
                .iter()
                .any(|c| c.name == s.name && c.restart_policy.as_deref() == Some("Always"));
            (
                if sidecar {
                    ContainerKind::Sidecar
                } else {
                    ContainerKind::Init
                },
                s,
            )
        });
        let app = self
            .status
            .container_statuses
            .iter()
            .map(|s| (ContainerKind::App, s));
        let eph = self
            .status
            .ephemeral_container_statuses
            .iter()
            .map(|s| (ContainerKind::Ephemeral, s));
        init.chain(app).chain(eph)
    }

    /// `status.reason`, or `Evicted` when only the kubelet's eviction message (`The node was low
    /// on resource: memory. …`) is there (a report may quote the message without the reason).
    #[must_use]
    pub fn failure_reason(&self) -> Option<&str> {
        self.status.reason.as_deref().or_else(|| {
            self.status
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with("The node was low on resource"))
                .then_some("Evicted")
        })
    }

    /// The effective restart policy (`Always` when unset, as the API server defaults it).
    #[must_use]
    pub fn restart_policy(&self) -> &str {
        self.spec.restart_policy.as_deref().unwrap_or("Always")
    }
}

/// A cut-down pod keeps its identity, owners, node and phase (for tests of both ways of
/// cutting pods down).
#[cfg(test)]
pub(crate) fn assert_same_identity(cut: &Pod, full: &Pod) {
    assert_eq!(cut.metadata.name, full.metadata.name);
    assert_eq!(cut.metadata.namespace, full.metadata.namespace);
    assert_eq!(cut.metadata.uid, full.metadata.uid);
    assert_eq!(cut.metadata.labels, full.metadata.labels);
    assert_eq!(
        cut.metadata.owner_references,
        full.metadata.owner_references
    );
    assert_eq!(cut.spec.node_name, full.spec.node_name);
    assert_eq!(cut.status.phase, full.status.phase);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cluster;

    /// Pods of the generator (all causes, settled ones among them) and of every fixture.
    fn all_pods() -> Vec<Pod> {
        pod_item_texts()
            .iter()
            .filter_map(|text| crate::yaml::from_str::<Pod>(text).ok())
            .collect()
    }

    /// `resources: {}` (what the API server writes when nothing is set) is shown and sets no
    /// limit; a container without the key (a pod rebuilt from a paste) says nothing about it.
    #[test]
    fn resources_written_empty_differ_from_resources_not_shown() {
        let pod: Pod = crate::yaml::from_str(
            "metadata: {name: api-0, namespace: shop}
spec:
  containers:
  - name: api
    image: registry.example.com/shop/api:2.3.1
    resources: {}
  - name: proxy
    image: registry.example.com/mesh/proxy:1.20
",
        )
        .expect("parses");
        let [api, proxy] = &pod.spec.containers[..] else {
            panic!("two containers");
        };
        assert!(api.resources.shown && api.resources.limits.is_empty());
        assert!(!proxy.resources.shown && proxy.resources.limits.is_empty());
        // Every pod kubectl printed in the fixtures shows it.
        for pod in all_pods().iter().filter(|p| !p.spec.containers.is_empty()) {
            assert!(
                pod.spec.containers.iter().all(|c| c.resources.shown),
                "{}",
                pod.metadata.name
            );
        }
    }

    /// A settled pod is never a subject, and slimming keeps every field read of it.
    #[test]
    fn settled_pods_are_never_subjects_and_slim_keeps_what_is_read() {
        let (mut slimmed, mut kept) = (0, 0);
        // Whether a container is a subject does not depend on the log signatures.
        let scanner = crate::logscan::Scanner::new(Vec::new());
        for full in all_pods() {
            let mut slim = full.clone();
            slim.slim_if_settled();
            if !full.is_settled() {
                assert_eq!(
                    format!("{slim:?}"),
                    format!("{full:?}"),
                    "only settled pods change"
                );
                kept += 1;
                continue;
            }
            let cluster = Cluster {
                pods: vec![full.clone()],
                ..Cluster::default()
            };
            assert!(
                crate::subjects::build(&cluster, &scanner).is_empty(),
                "{full:?}"
            );
            if format!("{slim:?}") != format!("{full:?}") {
                slimmed += 1;
            }
            assert_same_identity(&slim, &full);
            assert_eq!(slim.spec.host_network, full.spec.host_network);
            let latest = |p: &Pod| {
                p.status
                    .conditions
                    .iter()
                    .filter_map(|c| c.last_transition_time)
                    .max()
            };
            assert_eq!(latest(&slim), latest(&full));
            let names = |p: &Pod| {
                p.iter_statuses()
                    .map(|(kind, s)| (kind, s.name.clone(), s.ready, s.restart_count))
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&slim), names(&full));
            let images = |p: &Pod| {
                p.spec
                    .containers
                    .iter()
                    .chain(&p.spec.init_containers)
                    .map(|c| (c.name.clone(), c.image.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(images(&slim), images(&full));
            assert_eq!(
                crate::formats::latest_observed(&Cluster {
                    pods: vec![slim],
                    ..Cluster::default()
                }),
                crate::formats::latest_observed(&cluster)
            );
        }
        assert!(
            slimmed >= 100 && kept >= 50,
            "slimmed {slimmed}, kept {kept}"
        );
    }

    /// Reading a pod as a settled candidate gives exactly the cut-down pod, or declines.
    #[test]
    fn settled_pods_read_directly_equal_cut_down_ones() {
        let (mut direct, mut declined) = (0, 0);
        for text in pod_item_texts() {
            let Ok(full) = crate::yaml::from_str::<Pod>(&text) else {
                continue;
            };
            let candidate: SettledPod = crate::yaml::from_str(&text).expect("a candidate parses");
            let mut slim = full.clone();
            slim.slim_if_settled();
            if let Some(pod) = candidate.into_settled() {
                assert_eq!(format!("{pod:?}"), format!("{slim:?}"), "{text}");
                direct += 1;
            } else {
                assert_eq!(format!("{slim:?}"), format!("{full:?}"), "declined: {text}");
                declined += 1;
            }
        }
        assert!(
            direct >= 100 && declined >= 50,
            "direct {direct}, declined {declined}"
        );
    }

    /// Every pod item (dedented) of the fixtures, samples and a generated cluster.
    fn pod_item_texts() -> Vec<String> {
        let mut texts: Vec<String> = crate::model::parse::fixture_pod_lists()
            .iter()
            .flat_map(|text| crate::model::parse::split_kubectl_list(text).unwrap_or_default())
            .collect();
        let opts = ktriage_dev::generate::GenOptions::reader_tests();
        for text in ktriage_dev::generate::pod_files(&opts) {
            texts.extend(crate::model::parse::split_kubectl_list(&text).unwrap_or_default());
        }
        texts
    }
}
