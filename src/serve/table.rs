//! The `Table` form kubectl asks for when it prints without `-o`: the columns and cells of the
//! API server's printers (k8s.io/kubernetes `pkg/printers/internalversion`), priority 1 for
//! the `-o wide` ones; NAME and AGE for kinds without a printer of their own.
//!
//! Ages are measured from the bundle's collection time, not from the clock: a bundle shows the
//! cluster as it was when collected.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::model::Time;

/// One column: name, type, priority (0 always shown, 1 with `-o wide`).
type Column = (&'static str, &'static str, u8);

/// What cells are computed against.
pub(crate) struct Clock(pub Option<Time>);

/// The columns of a kind's table.
pub(crate) fn columns(kind: &str) -> &'static [Column] {
    match kind {
        "Pod" => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1),
        ],
        "Deployment" => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "string", 0),
            ("Available", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "ReplicaSet" => &[
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "StatefulSet" => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
        ],
        "DaemonSet" => &[
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Node Selector", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "Job" => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Completions", "string", 0),
            ("Duration", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "CronJob" => &[
            ("Name", "string", 0),
            ("Schedule", "string", 0),
            ("Timezone", "string", 0),
            ("Suspend", "boolean", 0),
            ("Active", "integer", 0),
            ("Last Schedule", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "Service" => &[
            ("Name", "string", 0),
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        "Endpoints" => &[
            ("Name", "string", 0),
            ("Endpoints", "string", 0),
            ("Age", "string", 0),
        ],
        "Event" => &[
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Subobject", "string", 1),
            ("Source", "string", 1),
            ("Message", "string", 0),
            ("First Seen", "string", 1),
            ("Count", "string", 1),
            ("Name", "string", 1),
        ],
        "Node" => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
            ("Internal-IP", "string", 1),
            ("External-IP", "string", 1),
            ("OS-Image", "string", 1),
            ("Kernel-Version", "string", 1),
            ("Container-Runtime", "string", 1),
        ],
        "Namespace" => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Age", "string", 0),
        ],
        "ConfigMap" => &[
            ("Name", "string", 0),
            ("Data", "string", 0),
            ("Age", "string", 0),
        ],
        "Secret" => &[
            ("Name", "string", 0),
            ("Type", "string", 0),
            ("Data", "string", 0),
            ("Age", "string", 0),
        ],
        "PersistentVolumeClaim" => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Volume", "string", 0),
            ("Capacity", "string", 0),
            ("Access Modes", "string", 0),
            ("StorageClass", "string", 0),
            ("Age", "string", 0),
            ("VolumeMode", "string", 1),
        ],
        _ => &[("Name", "string", 0), ("Age", "string", 0)],
    }
}

/// The `columnDefinitions` of a kind's table.
pub(crate) fn column_definitions(kind: &str) -> Vec<Value> {
    columns(kind)
        .iter()
        .map(|(name, kind, priority)| {
            json!({
                "name": name,
                "type": kind,
                "format": if *name == "Name" { "name" } else { "" },
                "description": "",
                "priority": priority,
            })
        })
        .collect()
}

/// The cells of one object's row, one per column of `columns(kind)`.
pub(crate) fn cells(kind: &str, o: &Value, clock: &Clock) -> Vec<Value> {
    let name = s(o, "/metadata/name");
    let age = clock.since(o.pointer("/metadata/creationTimestamp"));
    match kind {
        "Pod" => pod_cells(o, clock),
        "Deployment" => {
            let mut c = vec![
                json!(name),
                json!(format!(
                    "{}/{}",
                    n(o, "/status/readyReplicas"),
                    n(o, "/spec/replicas")
                )),
                json!(n(o, "/status/updatedReplicas")),
                json!(n(o, "/status/availableReplicas")),
                json!(age),
            ];
            c.extend(template_cells(o, true));
            c
        }
        "ReplicaSet" => {
            let mut c = vec![
                json!(name),
                json!(n(o, "/spec/replicas")),
                json!(n(o, "/status/replicas")),
                json!(n(o, "/status/readyReplicas")),
                json!(age),
            ];
            c.extend(template_cells(o, true));
            c
        }
        "StatefulSet" => {
            let mut c = vec![
                json!(name),
                json!(format!(
                    "{}/{}",
                    n(o, "/status/readyReplicas"),
                    n(o, "/spec/replicas")
                )),
                json!(age),
            ];
            c.extend(template_cells(o, false));
            c
        }
        "DaemonSet" => {
            let mut c = vec![
                json!(name),
                json!(n(o, "/status/desiredNumberScheduled")),
                json!(n(o, "/status/currentNumberScheduled")),
                json!(n(o, "/status/numberReady")),
                json!(n(o, "/status/updatedNumberScheduled")),
                json!(n(o, "/status/numberAvailable")),
                json!(or_none(labels_string(
                    o.pointer("/spec/template/spec/nodeSelector")
                ))),
                json!(age),
            ];
            c.extend(template_cells(o, true));
            c
        }
        "Job" => job_cells(o, clock),
        "CronJob" => {
            let mut c = vec![
                json!(name),
                json!(s(o, "/spec/schedule")),
                json!(or_none(s(o, "/spec/timeZone"))),
                json!(
                    o.pointer("/spec/suspend")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                ),
                json!(
                    o.pointer("/status/active")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                ),
                json!(match o.pointer("/status/lastScheduleTime") {
                    Some(t @ Value::String(_)) => clock.since(Some(t)),
                    _ => "<none>".to_owned(),
                }),
                json!(age),
            ];
            let spec = o.pointer("/spec/jobTemplate/spec/template/spec");
            c.push(json!(container_field(spec, "name")));
            c.push(json!(container_field(spec, "image")));
            c.push(json!(or_none(selector_string(
                o.pointer("/spec/jobTemplate/spec/selector")
            ))));
            c
        }
        "Service" => service_cells(o, &age),
        "Endpoints" => vec![json!(name), json!(endpoints_string(o)), json!(age)],
        "Event" => event_cells(o, clock),
        "Node" => node_cells(o, &age),
        "Namespace" => vec![json!(name), json!(s(o, "/status/phase")), json!(age)],
        "ConfigMap" => vec![
            json!(name),
            json!(count_keys(o, "data") + count_keys(o, "binaryData")),
            json!(age),
        ],
        "Secret" => vec![
            json!(name),
            json!(s(o, "/type")),
            json!(count_keys(o, "data") + count_keys(o, "stringData")),
            json!(age),
        ],
        "PersistentVolumeClaim" => {
            let modes = o
                .pointer("/status/accessModes")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter_map(Value::as_str)
                        .map(short_access_mode)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let storage_class = o
                .pointer("/spec/storageClassName")
                .and_then(Value::as_str)
                .map_or_else(
                    || {
                        s(
                            o,
                            "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
                        )
                    },
                    str::to_owned,
                );
            vec![
                json!(name),
                json!(s(o, "/status/phase")),
                json!(s(o, "/spec/volumeName")),
                json!(s(o, "/status/capacity/storage")),
                json!(modes),
                json!(or_none(storage_class)),
                json!(age),
                json!(or_none(s(o, "/spec/volumeMode"))),
            ]
        }
        _ => vec![json!(name), json!(age)],
    }
}

impl Clock {
    /// `translateTimestampSince`: the age of a timestamp at collection time, `<unknown>` when
    /// there is none.
    pub(crate) fn since(&self, t: Option<&Value>) -> String {
        let Some(t) = t.and_then(Value::as_str).and_then(Time::parse) else {
            return "<unknown>".to_owned();
        };
        match self.0 {
            Some(now) => human_duration(now.unix() - t.unix()),
            None => "<unknown>".to_owned(),
        }
    }
}

/// kubectl's `duration.HumanDuration` (k8s.io/apimachinery/pkg/util/duration).
pub(crate) fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// The string at a JSON pointer, empty when absent.
fn s(o: &Value, pointer: &str) -> String {
    o.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The integer at a JSON pointer, 0 when absent.
fn n(o: &Value, pointer: &str) -> i64 {
    o.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn or_none(text: String) -> String {
    if text.is_empty() {
        "<none>".to_owned()
    } else {
        text
    }
}

fn count_keys(o: &Value, field: &str) -> usize {
    o.get(field)
        .and_then(Value::as_object)
        .map_or(0, serde_json::Map::len)
}

fn short_access_mode(mode: &str) -> &str {
    match mode {
        "ReadWriteOnce" => "RWO",
        "ReadOnlyMany" => "ROX",
        "ReadWriteMany" => "RWX",
        "ReadWriteOncePod" => "RWOP",
        other => other,
    }
}

/// `k=v,k2=v2` of a label map, keys sorted.
fn labels_string(map: Option<&Value>) -> String {
    let Some(map) = map.and_then(Value::as_object) else {
        return String::new();
    };
    let mut pairs: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// A `LabelSelector` as kubectl prints it: `app=web,tier in (a,b)`.
fn selector_string(selector: Option<&Value>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut parts: Vec<String> = Vec::new();
    let labels = labels_string(selector.get("matchLabels"));
    if !labels.is_empty() {
        parts.push(labels);
    }
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e.get("operator").and_then(Value::as_str) {
            Some("In") => format!("{key} in ({})", values.join(",")),
            Some("NotIn") => format!("{key} notin ({})", values.join(",")),
            Some("Exists") => key.to_owned(),
            Some("DoesNotExist") => format!("!{key}"),
            _ => continue,
        });
    }
    parts.join(",")
}

/// One field of every container of a pod spec, comma-joined.
fn container_field(spec: Option<&Value>, field: &str) -> String {
    spec.and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get(field).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(",")
}

/// Containers, images and (with `selector`) the selector of a workload's pod template.
fn template_cells(o: &Value, selector: bool) -> Vec<Value> {
    let spec = o.pointer("/spec/template/spec");
    let mut cells = vec![
        json!(container_field(spec, "name")),
        json!(container_field(spec, "image")),
    ];
    if selector {
        cells.push(json!(or_none(selector_string(o.pointer("/spec/selector")))));
    }
    cells
}

fn pod_cells(o: &Value, clock: &Clock) -> Vec<Value> {
    let status = o.get("status").cloned().unwrap_or(Value::Null);
    let spec = o.get("spec").cloned().unwrap_or(Value::Null);
    let list = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let init_specs = list(&spec, "initContainers");
    let sidecar = |name: &str| {
        init_specs.iter().any(|c| {
            c.get("name").and_then(Value::as_str) == Some(name)
                && c.get("restartPolicy").and_then(Value::as_str) == Some("Always")
        })
    };
    let mut total = list(&spec, "containers").len();
    total += init_specs
        .iter()
        .filter(|c| c.get("restartPolicy").and_then(Value::as_str) == Some("Always"))
        .count();
    let mut reason = status
        .get("reason")
        .and_then(Value::as_str)
        .or_else(|| status.get("phase").and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    let (mut restarts, mut ready) = (0i64, 0usize);
    let mut last_restart: Option<Time> = None;
    let mut note_restart = |c: &Value, restarts: &mut i64| {
        *restarts += c.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
        if let Some(t) = c
            .pointer("/lastState/terminated/finishedAt")
            .and_then(Value::as_str)
            .and_then(Time::parse)
        {
            last_restart = Some(last_restart.map_or(t, |l: Time| l.max(t)));
        }
    };
    let init_statuses = list(&status, "initContainerStatuses");
    let mut initializing = false;
    for (i, c) in init_statuses.iter().enumerate() {
        note_restart(c, &mut restarts);
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let terminated = c.pointer("/state/terminated");
        let waiting_reason = c
            .pointer("/state/waiting/reason")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if terminated.is_some_and(|t| t.get("exitCode").and_then(Value::as_i64) == Some(0)) {
            continue;
        }
        if sidecar(name) && c.get("started").and_then(Value::as_bool) == Some(true) {
            if c.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            let r = t.get("reason").and_then(Value::as_str).unwrap_or_default();
            reason = if r.is_empty() {
                match t.get("signal").and_then(Value::as_i64).unwrap_or(0) {
                    0 => format!(
                        "Init:ExitCode:{}",
                        t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                    ),
                    sig => format!("Init:Signal:{sig}"),
                }
            } else {
                format!("Init:{r}")
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }
    let initialized = list(&status, "conditions").iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some("Initialized")
            && c.get("status").and_then(Value::as_str) == Some("True")
    });
    if !initializing || initialized {
        restarts = 0;
        for c in &init_statuses {
            let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
            if sidecar(name) {
                restarts += c.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
            }
        }
        let mut has_running = false;
        for c in list(&status, "containerStatuses").iter().rev() {
            note_restart(c, &mut restarts);
            let waiting = c.pointer("/state/waiting/reason").and_then(Value::as_str);
            let terminated = c.pointer("/state/terminated");
            if let Some(w) = waiting.filter(|w| !w.is_empty()) {
                w.clone_into(&mut reason);
            } else if let Some(t) = terminated {
                let r = t.get("reason").and_then(Value::as_str).unwrap_or_default();
                reason = if r.is_empty() {
                    match t.get("signal").and_then(Value::as_i64).unwrap_or(0) {
                        0 => format!(
                            "ExitCode:{}",
                            t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                        ),
                        sig => format!("Signal:{sig}"),
                    }
                } else {
                    r.to_owned()
                };
            } else if c.get("ready").and_then(Value::as_bool) == Some(true)
                && c.pointer("/state/running").is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = list(&status, "conditions").iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            });
            if pod_ready { "Running" } else { "NotReady" }.clone_into(&mut reason);
        }
    }
    if o.pointer("/metadata/deletionTimestamp").is_some() {
        if status.get("reason").and_then(Value::as_str) == Some("NodeLost") {
            "Unknown"
        } else {
            "Terminating"
        }
        .clone_into(&mut reason);
    }
    let mut restarts_text = restarts.to_string();
    if let (Some(t), Some(_)) = (last_restart, clock.0) {
        let ago = clock.since(Some(&Value::String(t.to_string())));
        let _ = write!(restarts_text, " ({ago} ago)");
    }
    let gates = list(&spec, "readinessGates");
    let gates_text = if gates.is_empty() {
        "<none>".to_owned()
    } else {
        let conditions = list(&status, "conditions");
        let true_gates = gates
            .iter()
            .filter(|g| {
                let t = g.get("conditionType");
                conditions.iter().any(|c| {
                    c.get("type") == t && c.get("status").and_then(Value::as_str) == Some("True")
                })
            })
            .count();
        format!("{true_gates}/{}", gates.len())
    };
    vec![
        json!(s(o, "/metadata/name")),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_text),
        json!(clock.since(o.pointer("/metadata/creationTimestamp"))),
        json!(or_none(s(o, "/status/podIP"))),
        json!(or_none(s(o, "/spec/nodeName"))),
        json!(or_none(s(o, "/status/nominatedNodeName"))),
        json!(gates_text),
    ]
}

fn job_cells(o: &Value, clock: &Clock) -> Vec<Value> {
    let conditions = o
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = |t: &str| {
        conditions.iter().any(|c| {
            c.get("type").and_then(Value::as_str) == Some(t)
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
    };
    let status = if has("Failed") {
        "Failed"
    } else if has("Complete") {
        "Complete"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    };
    let completions = match o.pointer("/spec/completions").and_then(Value::as_i64) {
        Some(c) => format!("{}/{c}", n(o, "/status/succeeded")),
        None => format!(
            "{}/1 of {}",
            n(o, "/status/succeeded"),
            n(o, "/spec/parallelism").max(1)
        ),
    };
    let start = o
        .pointer("/status/startTime")
        .and_then(Value::as_str)
        .and_then(Time::parse);
    let end = o
        .pointer("/status/completionTime")
        .and_then(Value::as_str)
        .and_then(Time::parse)
        .or(clock.0);
    let duration = match (start, end) {
        (Some(s), Some(e)) => human_duration(e.unix() - s.unix()),
        _ => String::new(),
    };
    let mut c = vec![
        json!(s(o, "/metadata/name")),
        json!(status),
        json!(completions),
        json!(duration),
        json!(clock.since(o.pointer("/metadata/creationTimestamp"))),
    ];
    c.extend(template_cells(o, true));
    c
}

fn service_cells(o: &Value, age: &str) -> Vec<Value> {
    let kind = o
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    let cluster_ip = or_none(s(o, "/spec/clusterIP"));
    let mut external: Vec<String> = o
        .pointer("/spec/externalIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let external = match kind {
        "ExternalName" => s(o, "/spec/externalName"),
        "LoadBalancer" => {
            for i in o
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for k in ["ip", "hostname"] {
                    if let Some(v) = i.get(k).and_then(Value::as_str) {
                        external.push(v.to_owned());
                    }
                }
            }
            if external.is_empty() {
                "<pending>".to_owned()
            } else {
                external.join(",")
            }
        }
        _ => external.join(","),
    };
    let ports: Vec<String> = o
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            match p.get("nodePort").and_then(Value::as_i64) {
                Some(node) if node != 0 => format!("{port}:{node}/{proto}"),
                _ => format!("{port}/{proto}"),
            }
        })
        .collect();
    vec![
        json!(s(o, "/metadata/name")),
        json!(kind),
        json!(cluster_ip),
        json!(or_none(external)),
        json!(or_none(ports.join(","))),
        json!(age),
        json!(or_none(labels_string(o.pointer("/spec/selector")))),
    ]
}

/// `10.0.1.5:8080,10.0.1.6:8080 + 3 more...` as kubectl prints endpoints.
fn endpoints_string(o: &Value) -> String {
    let mut all = Vec::new();
    for subset in o
        .get("subsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ports: Vec<i64> = subset
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("port").and_then(Value::as_i64))
            .collect();
        for a in subset
            .get("addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ip = a.get("ip").and_then(Value::as_str).unwrap_or_default();
            if ports.is_empty() {
                all.push(ip.to_owned());
            }
            for p in &ports {
                all.push(format!("{ip}:{p}"));
            }
        }
    }
    match all.len() {
        0 => "<none>".to_owned(),
        1..=3 => all.join(","),
        more => format!("{} + {} more...", all[..3].join(","), more - 3),
    }
}

fn event_cells(o: &Value, clock: &Clock) -> Vec<Value> {
    let first = match o.get("firstTimestamp") {
        Some(t @ Value::String(_)) => clock.since(Some(t)),
        _ => clock.since(o.get("eventTime")),
    };
    let mut last = match o.get("lastTimestamp") {
        Some(t @ Value::String(_)) => clock.since(Some(t)),
        _ => first.clone(),
    };
    let mut count = o.get("count").and_then(Value::as_i64).unwrap_or(0);
    if let Some(series) = o.get("series").filter(|s| s.is_object()) {
        last = clock.since(series.get("lastObservedTime"));
        count = series.get("count").and_then(Value::as_i64).unwrap_or(count);
    } else if count == 0 {
        count = 1;
    }
    let kind = s(o, "/involvedObject/kind").to_lowercase();
    let target = match s(o, "/involvedObject/name") {
        name if name.is_empty() => kind,
        name => format!("{kind}/{name}"),
    };
    let component = match s(o, "/source/component") {
        c if c.is_empty() => s(o, "/reportingComponent"),
        c => c,
    };
    let host = match s(o, "/source/host") {
        h if h.is_empty() => s(o, "/reportingInstance"),
        h => h,
    };
    let source = if host.is_empty() {
        component
    } else {
        format!("{component}, {host}")
    };
    vec![
        json!(last),
        json!(s(o, "/type")),
        json!(s(o, "/reason")),
        json!(target),
        json!(s(o, "/involvedObject/fieldPath")),
        json!(source),
        json!(s(o, "/message").trim()),
        json!(first),
        json!(count.to_string()),
        json!(s(o, "/metadata/name")),
    ]
}

fn node_cells(o: &Value, age: &str) -> Vec<Value> {
    let mut status: Vec<&str> = Vec::new();
    if let Some(ready) = o
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
    {
        status.push(
            if ready.get("status").and_then(Value::as_str) == Some("True") {
                "Ready"
            } else {
                "NotReady"
            },
        );
    }
    if status.is_empty() {
        status.push("Unknown");
    }
    if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<String> = o
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                Some(role.to_owned())
            } else if k == "kubernetes.io/role" {
                v.as_str().map(str::to_owned)
            } else {
                None
            }
        })
        .filter(|r| !r.is_empty())
        .collect();
    roles.sort();
    roles.dedup();
    let address = |kind: &str| {
        o.pointer("/status/addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|a| a.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|a| a.get("address").and_then(Value::as_str))
            .unwrap_or("<none>")
            .to_owned()
    };
    vec![
        json!(s(o, "/metadata/name")),
        json!(status.join(",")),
        json!(or_none(roles.join(","))),
        json!(age),
        json!(s(o, "/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(or_none(s(o, "/status/nodeInfo/osImage"))),
        json!(or_none(s(o, "/status/nodeInfo/kernelVersion"))),
        json!(or_none(s(o, "/status/nodeInfo/containerRuntimeVersion"))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubectl() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (59, "59s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 + 60, "3h1m"),
            (8 * 3600, "8h"),
            (50 * 3600, "2d2h"),
            (10 * 86400, "10d"),
            (800 * 86400, "2y70d"),
            (3000 * 86400, "8y"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(secs), want, "{secs}");
        }
    }

    #[test]
    fn every_kind_has_a_cell_per_column() {
        let clock = Clock(Time::parse("2026-11-28T05:00:00Z"));
        let object = serde_json::json!({"metadata": {"name": "x",
            "creationTimestamp": "2026-11-28T04:00:00Z"}});
        for kind in [
            "Pod",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "Service",
            "Endpoints",
            "Event",
            "Node",
            "Namespace",
            "ConfigMap",
            "Secret",
            "PersistentVolumeClaim",
            "Lease",
        ] {
            assert_eq!(
                cells(kind, &object, &clock).len(),
                columns(kind).len(),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_crash_looping_pod_reads_as_kubectl_shows_it() {
        let clock = Clock(Time::parse("2026-11-28T05:00:00Z"));
        let pod = serde_json::json!({
            "metadata": {"name": "web-1", "creationTimestamp": "2026-11-28T03:00:00Z"},
            "spec": {"containers": [{"name": "app"}, {"name": "proxy"}], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.0.0.7", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 7,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-11-28T04:58:00Z"}}},
                {"name": "proxy", "ready": true, "restartCount": 0,
                 "state": {"running": {"startedAt": "2026-11-28T03:00:05Z"}}}]}
        });
        let cells = cells("Pod", &pod, &clock);
        assert_eq!(
            cells,
            [
                "web-1",
                "1/2",
                "CrashLoopBackOff",
                "7 (2m ago)",
                "120m",
                "10.0.0.7",
                "n1",
                "<none>",
                "<none>"
            ]
        );
    }
}
