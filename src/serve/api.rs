//! The read-only Kubernetes API over stores: one request in, one `Reply` out. Discovery,
//! `/version`, list and get (JSON or `Table`), label and field selectors, paging, watch, the pod
//! `log` subresource, `Status` errors; the `--simulate` conditions.
//!
//! Pure: no sockets, no clock (ages are measured from the bundle's collection time), so every
//! answer is a function of the bundle, the simulation and the request. `http` carries it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::select::{FieldSelector, LabelSelector};
use super::store::{ApiResource, Store};
use super::table::{self, Clock};
use crate::model::{LogFile, Time};

/// The user name the simulated RBAC denials name.
pub(crate) const USER: &str = "ktriage";

/// Cluster conditions `--simulate` makes the server show, for testing clients (the collector).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Simulate {
    /// Namespaces whose every request is forbidden (and, so, lists across all namespaces).
    pub forbid_namespaces: Vec<String>,
    /// Listing namespaces is forbidden.
    pub forbid_namespace_list: bool,
    /// Resources (plural, singular, kind or short name) whose every request is forbidden.
    pub forbid_resources: Vec<String>,
    /// Discovery lists `metrics.k8s.io/v1beta1`, whose group version answers 503.
    pub aggregated_api_down: bool,
    /// Lists asked with `limit` are cut into pages of at most this many items.
    pub page_size: Option<usize>,
}

impl Simulate {
    /// Adds one `--simulate` condition: `forbid-namespace=NS`, `forbid-namespace-list`,
    /// `forbid-resource=KIND`, `aggregated-api-down`, `page-size=N`.
    ///
    /// # Errors
    /// A message naming the condition when it is unknown or its value is missing or invalid.
    pub(crate) fn add(&mut self, condition: &str) -> Result<(), String> {
        let (name, value) = match condition.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (condition.trim(), None),
        };
        match (name, value) {
            ("forbid-namespace", Some(ns)) if !ns.is_empty() => {
                self.forbid_namespaces.push(ns.to_owned());
            }
            ("forbid-namespace-list", None) => self.forbid_namespace_list = true,
            ("forbid-resource", Some(kind)) if !kind.is_empty() => {
                self.forbid_resources.push(kind.to_lowercase());
            }
            ("aggregated-api-down", None) => self.aggregated_api_down = true,
            ("page-size", Some(n)) => match n.parse::<usize>() {
                Ok(n) if n > 0 => self.page_size = Some(n),
                _ => return Err(format!("--simulate page-size=`{n}`: not a positive number")),
            },
            _ => {
                return Err(format!(
                    "unknown --simulate condition `{condition}`; known: forbid-namespace=NS, \
                     forbid-namespace-list, forbid-resource=KIND, aggregated-api-down, page-size=N"
                ));
            }
        }
        Ok(())
    }

    fn forbids_resource(&self, r: &ApiResource) -> bool {
        self.forbid_resources.iter().any(|f| {
            *f == r.plural
                || *f == r.singular
                || *f == r.kind.to_lowercase()
                || r.short_names.contains(f)
                || *f == format!("{}.{}", r.plural, r.group)
        })
    }
}

/// A request as the handler needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub method: &'a str,
    /// The path, still percent-encoded, without the query.
    pub path: &'a str,
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// The `Accept` header ("" when absent).
    pub accept: &'a str,
}

/// An answer: status, content type, body, and for a watch how long to hold the stream open
/// after the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub hold: Option<Duration>,
}

impl Reply {
    fn json(status: u16, value: &Value) -> Self {
        Reply {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(value).unwrap_or_default(),
            hold: None,
        }
    }

    fn text(body: Vec<u8>) -> Self {
        Reply {
            status: 200,
            content_type: "text/plain",
            body,
            hold: None,
        }
    }
}

/// A `Status` failure as an API server sends it.
fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Reply {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    Reply::json(code, &s)
}

fn not_found_path() -> Reply {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

fn bad_request(message: &str) -> Reply {
    status(400, "BadRequest", message, None)
}

/// Every served cluster, each under its path prefix.
#[derive(Debug)]
pub(crate) struct Api {
    /// (context name, store); a store answers under `/clusters/<context>/`, the first one also
    /// at `/`.
    pub clusters: Vec<(String, Store)>,
    pub simulate: Simulate,
}

impl Api {
    /// Answers one request. Never panics on any path, query or header.
    pub(crate) fn handle(&self, req: &Request<'_>) -> Reply {
        let (store, path) = match req.path.strip_prefix("/clusters/") {
            Some(rest) => {
                let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
                let Some((_, store)) = self.clusters.iter().find(|(n, _)| n == name) else {
                    return not_found_path();
                };
                (store, path)
            }
            None => match self.clusters.first() {
                Some((_, store)) => (store, req.path.trim_start_matches('/')),
                None => return not_found_path(),
            },
        };
        let mut segments = Vec::new();
        for s in path.split('/').filter(|s| !s.is_empty()) {
            match percent_decode(s) {
                Some(s) => segments.push(s),
                None => return not_found_path(),
            }
        }
        let query = match parse_query(req.query) {
            Ok(q) => q,
            Err(e) => return bad_request(&e),
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if req.method != "GET" && req.method != "HEAD" {
            return status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
                Some(json!({})),
            );
        }
        if !accepts_json(req.accept) {
            // Protobuf only, or aggregated discovery only: clients fall back to JSON when they
            // offer it, as kubectl always does.
            return status(
                406,
                "NotAcceptable",
                &format!(
                    "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io; not {:?}",
                    req.accept
                ),
                None,
            );
        }
        Handler {
            store,
            simulate: &self.simulate,
            query: &query,
            table: wants_table(req.accept),
        }
        .route(&segments)
    }
}

/// One request against one store.
struct Handler<'a> {
    store: &'a Store,
    simulate: &'a Simulate,
    query: &'a BTreeMap<String, String>,
    table: bool,
}

/// Where a resource request is scoped.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    /// Every namespace, or a cluster-scoped resource.
    All,
    Namespace(&'a str),
}

impl Handler<'_> {
    fn route(&self, s: &[&str]) -> Reply {
        match s {
            ["version"] => Reply::json(200, &self.version()),
            ["healthz" | "livez" | "readyz"] => Reply::text(b"ok".to_vec()),
            ["api"] => Reply::json(
                200,
                &json!({"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
            ),
            ["apis"] => Reply::json(200, &self.group_list()),
            ["api", "v1"] => self.resource_list("", "v1"),
            ["apis", group] => self.group(group),
            ["apis", group, version] => self.resource_list(group, version),
            ["api", "v1", rest @ ..] => self.resource_request("", "v1", rest),
            ["apis", group, version, rest @ ..] => self.resource_request(group, version, rest),
            _ => not_found_path(),
        }
    }

    /// `/version`: the bundle's own server version when kubectl handles it (1.27-1.33, the
    /// versions the kubectl dispatcher of the Google Cloud SDK ships), else 1.32.
    fn version(&self) -> Value {
        let own = self.store.server_version.as_deref().and_then(|v| {
            let v = v.trim().trim_start_matches('v');
            let mut parts = v.split(|c: char| !c.is_ascii_digit());
            let (major, minor) = (parts.next()?, parts.next()?);
            let minor: u32 = minor.parse().ok()?;
            (major == "1" && (27..=33).contains(&minor)).then(|| (minor, format!("v{v}")))
        });
        let (minor, git) = own.unwrap_or((32, "v1.32.0".to_owned()));
        json!({
            "major": "1",
            "minor": minor.to_string(),
            "gitVersion": git,
            "gitCommit": "",
            "gitTreeState": "clean",
            "buildDate": "",
            "goVersion": "",
            "compiler": "ktriage",
            "platform": "linux/amd64",
        })
    }

    /// The API groups (not the core group), each with its one version.
    fn groups(&self) -> Vec<(String, String)> {
        let mut groups: Vec<(String, String)> = Vec::new();
        for r in &self.store.resources {
            if !r.group.is_empty() && !groups.iter().any(|(g, _)| *g == r.group) {
                groups.push((r.group.clone(), r.version.clone()));
            }
        }
        if self.simulate.aggregated_api_down {
            groups.push(("metrics.k8s.io".into(), "v1beta1".into()));
        }
        groups
    }

    fn group_json(group: &str, version: &str) -> Value {
        let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
        json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
    }

    fn group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .iter()
            .map(|(g, v)| Self::group_json(g, v))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    fn group(&self, group: &str) -> Reply {
        match self.groups().iter().find(|(g, _)| g == group) {
            Some((g, v)) => {
                let mut body = Self::group_json(g, v);
                body["kind"] = "APIGroup".into();
                body["apiVersion"] = "v1".into();
                Reply::json(200, &body)
            }
            None => not_found_path(),
        }
    }

    fn resource_list(&self, group: &str, version: &str) -> Reply {
        if self.simulate.aggregated_api_down && group == "metrics.k8s.io" && version == "v1beta1" {
            return status(
                503,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
                Some(
                    json!({"causes": [{"reason": "UnexpectedServerResponse", "message": "service unavailable"}]}),
                ),
            );
        }
        let served: Vec<&ApiResource> = self
            .store
            .resources
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .collect();
        if served.is_empty() {
            return not_found_path();
        }
        let mut list = Vec::new();
        for r in served {
            let mut entry = json!({
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "list", "watch"],
            });
            if !r.short_names.is_empty() {
                entry["shortNames"] = json!(r.short_names);
            }
            if r.in_all {
                entry["categories"] = json!(["all"]);
            }
            list.push(entry);
            if r.plural == "pods" && r.group.is_empty() {
                list.push(
                    json!({"name": "pods/log", "singularName": "", "namespaced": true,
                    "kind": "Pod", "verbs": ["get"]}),
                );
            }
        }
        Reply::json(
            200,
            &json!({"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") },
                "resources": list}),
        )
    }

    fn resource_request(&self, group: &str, version: &str, rest: &[&str]) -> Reply {
        let find = |plural: &str| {
            self.store
                .resources
                .iter()
                .position(|r| r.group == group && r.version == version && r.plural == plural)
        };
        let (index, scope, name, sub) = match rest {
            ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 => {
                let Some(i) = find(plural) else {
                    return not_found_path();
                };
                if !self.store.resources[i].namespaced {
                    return not_found_path();
                }
                (
                    i,
                    Scope::Namespace(ns),
                    tail.first().copied(),
                    tail.get(1).copied(),
                )
            }
            [plural] | [plural, _] => {
                let Some(i) = find(plural) else {
                    return not_found_path();
                };
                let name = rest.get(1).copied();
                if name.is_some() && self.store.resources[i].namespaced {
                    return not_found_path();
                }
                (i, Scope::All, name, None)
            }
            _ => return not_found_path(),
        };
        let r = &self.store.resources[index];
        let verb = match (name, sub, self.flag("watch")) {
            (None, _, true) => "watch",
            (None, _, false) => "list",
            _ => "get",
        };
        let resource_label = match sub {
            Some(sub) => format!("{}/{sub}", r.plural),
            None => r.plural.clone(),
        };
        if let Some(denied) = self.forbidden(r, scope, verb, name, &resource_label) {
            return denied;
        }
        match (name, sub) {
            (None, _) => self.list(index, scope),
            (Some(name), None) => self.get(index, scope, name),
            (Some(name), Some("log")) if r.plural == "pods" && r.group.is_empty() => {
                let Scope::Namespace(ns) = scope else {
                    return not_found_path();
                };
                self.log(index, ns, name)
            }
            _ => not_found_path(),
        }
    }

    /// The 403 of a simulated RBAC denial, worded as an API server words it.
    fn forbidden(
        &self,
        r: &ApiResource,
        scope: Scope<'_>,
        verb: &str,
        name: Option<&str>,
        resource_label: &str,
    ) -> Option<Reply> {
        let sim = self.simulate;
        let by_namespace = match scope {
            Scope::Namespace(ns) => sim.forbid_namespaces.iter().any(|f| f == ns),
            // A list across namespaces needs the right in every one of them.
            Scope::All => r.namespaced && !sim.forbid_namespaces.is_empty(),
        };
        let namespace_list = sim.forbid_namespace_list
            && r.plural == "namespaces"
            && r.group.is_empty()
            && name.is_none();
        if !(by_namespace || namespace_list || sim.forbids_resource(r)) {
            return None;
        }
        // `deployments.apps "web"`: the group-qualified resource, as the API server names it.
        let qualified = if r.group.is_empty() {
            r.plural.clone()
        } else {
            format!("{}.{}", r.plural, r.group)
        };
        let subject = match name {
            Some(n) => format!("{qualified} \"{n}\""),
            None => qualified,
        };
        let place = match scope {
            Scope::Namespace(ns) => format!("in the namespace \"{ns}\""),
            Scope::All => "at the cluster scope".to_owned(),
        };
        let message = format!(
            "{subject} is forbidden: User \"{USER}\" cannot {verb} resource \"{resource_label}\" in API group \"{}\" {place}",
            r.group
        );
        let mut details = json!({"kind": r.plural});
        if !r.group.is_empty() {
            details["group"] = r.group.clone().into();
        }
        if let Some(n) = name {
            details["name"] = n.into();
        }
        Some(status(403, "Forbidden", &message, Some(details)))
    }

    fn flag(&self, key: &str) -> bool {
        self.query.get(key).is_some_and(|v| v == "true" || v == "1")
    }

    fn clock(&self) -> Clock {
        Clock(self.store.now)
    }

    /// The objects of a resource in a scope, in API server order.
    fn objects_in<'s>(&'s self, index: usize, scope: Scope<'_>) -> Vec<&'s Value> {
        let objects = &self.store.objects[index];
        match scope {
            Scope::All => objects.values().collect(),
            Scope::Namespace(ns) => objects
                .range((ns.to_owned(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v)
                .collect(),
        }
    }

    fn list(&self, index: usize, scope: Scope<'_>) -> Reply {
        let r = &self.store.resources[index];
        let labels = match LabelSelector::parse(self.query_str("labelSelector")) {
            Ok(l) => l,
            Err(e) => return bad_request(&e),
        };
        let fields = match FieldSelector::parse(self.query_str("fieldSelector")) {
            Ok(f) => f,
            Err(e) => return bad_request(&e),
        };
        let matching: Vec<&Value> = self
            .objects_in(index, scope)
            .into_iter()
            .filter(|o| labels.matches(o) && fields.matches(o))
            .collect();
        if self.flag("watch") {
            return self.watch(r, &matching);
        }
        let start = match self.query_str("continue") {
            "" => 0,
            token => match token
                .strip_prefix("ktriage-")
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) if n <= matching.len() => n,
                _ => {
                    return status(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                        None,
                    );
                }
            },
        };
        let limit = match self.query_str("limit") {
            "" | "0" => None,
            l => match l.parse::<usize>() {
                Ok(l) => Some(l.min(self.simulate.page_size.unwrap_or(usize::MAX))),
                Err(_) => return bad_request(&format!("invalid limit: {l:?}")),
            },
        };
        let end = limit.map_or(matching.len(), |l| {
            start.saturating_add(l).min(matching.len())
        });
        let page = &matching[start..end];
        let mut metadata = json!({"resourceVersion": self.store.resource_version});
        if end < matching.len() {
            metadata["continue"] = format!("ktriage-{end}").into();
            metadata["remainingItemCount"] = (matching.len() - end).into();
        }
        if self.table {
            return self.table_reply(r, page, &metadata);
        }
        Reply::json(
            200,
            &json!({
                "kind": format!("{}List", r.kind),
                "apiVersion": r.group_version(),
                "metadata": metadata,
                "items": page,
            }),
        )
    }

    fn get(&self, index: usize, scope: Scope<'_>, name: &str) -> Reply {
        let r = &self.store.resources[index];
        let ns = match scope {
            Scope::Namespace(ns) => ns,
            Scope::All => "",
        };
        let Some(object) = self.store.objects[index].get(&(ns.to_owned(), name.to_owned())) else {
            let mut details = json!({"name": name, "kind": r.plural});
            if !r.group.is_empty() {
                details["group"] = r.group.clone().into();
            }
            let plural = if r.group.is_empty() {
                r.plural.clone()
            } else {
                format!("{}.{}", r.plural, r.group)
            };
            return status(
                404,
                "NotFound",
                &format!("{plural} \"{name}\" not found"),
                Some(details),
            );
        };
        if self.flag("watch") {
            return self.watch(r, &[object]);
        }
        if self.table {
            let metadata = json!({"resourceVersion": self.store.resource_version});
            return self.table_reply(r, &[object], &metadata);
        }
        Reply::json(200, object)
    }

    fn table_reply(&self, r: &ApiResource, objects: &[&Value], metadata: &Value) -> Reply {
        let clock = self.clock();
        let include = self.query_str("includeObject");
        let rows: Vec<Value> = objects
            .iter()
            .map(|o| {
                let mut row = json!({"cells": table::cells(&r.kind, o, &clock)});
                match include {
                    "None" => {}
                    "Object" => row["object"] = (*o).clone(),
                    _ => {
                        row["object"] = json!({
                            "kind": "PartialObjectMetadata",
                            "apiVersion": "meta.k8s.io/v1",
                            "metadata": o.get("metadata").cloned().unwrap_or(Value::Null),
                        });
                    }
                }
                row
            })
            .collect();
        Reply::json(
            200,
            &json!({
                "kind": "Table",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": metadata,
                "columnDefinitions": table::column_definitions(&r.kind),
                "rows": rows,
            }),
        )
    }

    /// A watch: the objects as `ADDED` events (none when resuming from the listed
    /// `resourceVersion`: nothing ever changes), then the stream held open until
    /// `timeoutSeconds` (30 minutes at most) or until the client goes.
    fn watch(&self, r: &ApiResource, objects: &[&Value]) -> Reply {
        let resume = !matches!(self.query_str("resourceVersion"), "" | "0");
        let mut body = Vec::new();
        if !resume {
            for o in objects {
                let object = if self.table {
                    let metadata = json!({"resourceVersion": self.store.resource_version});
                    let reply = self.table_reply(r, &[o], &metadata);
                    serde_json::from_slice(&reply.body).unwrap_or(Value::Null)
                } else {
                    (*o).clone()
                };
                let event = json!({"type": "ADDED", "object": object});
                body.extend(serde_json::to_vec(&event).unwrap_or_default());
                body.push(b'\n');
            }
        }
        let timeout = self
            .query_str("timeoutSeconds")
            .parse::<u64>()
            .unwrap_or(1800)
            .min(1800);
        Reply {
            status: 200,
            content_type: "application/json",
            body,
            hold: Some(Duration::from_secs(timeout)),
        }
    }

    fn query_str(&self, key: &str) -> &str {
        self.query.get(key).map_or("", String::as_str)
    }

    /// `GET .../pods/NAME/log`: `container`, `previous`, `timestamps`, `tailLines`,
    /// `sinceSeconds`, `sinceTime`, `limitBytes`, answered from the logs the bundle holds.
    fn log(&self, index: usize, ns: &str, pod_name: &str) -> Reply {
        let Some(pod) = self.store.objects[index].get(&(ns.to_owned(), pod_name.to_owned())) else {
            return status(
                404,
                "NotFound",
                &format!("pods \"{pod_name}\" not found"),
                Some(json!({"name": pod_name, "kind": "pods"})),
            );
        };
        let names: Vec<&str> = ["containers", "initContainers", "ephemeralContainers"]
            .iter()
            .flat_map(|k| {
                pod.pointer(&format!("/spec/{k}"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .collect();
        let container = match self.query_str("container") {
            "" => {
                let main: Vec<&str> = pod
                    .pointer("/spec/containers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect();
                match main[..] {
                    [one] => one,
                    _ => {
                        return bad_request(&format!(
                            "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                            main.join(" ")
                        ));
                    }
                }
            }
            c => c,
        };
        if !names.contains(&container) {
            return bad_request(&format!(
                "container {container} is not valid for pod {pod_name}"
            ));
        }
        let previous = self.flag("previous");
        let logs = self
            .store
            .logs
            .get(&(ns.to_owned(), pod_name.to_owned(), container.to_owned()));
        let file = logs.and_then(|l| {
            if previous {
                l.previous.as_ref()
            } else {
                l.current.as_ref()
            }
        });
        let state = pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                pod.pointer("/status/initContainerStatuses")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            )
            .find(|c| c.get("name").and_then(Value::as_str) == Some(container));
        let restarts = state
            .and_then(|c| c.get("restartCount").and_then(Value::as_i64))
            .unwrap_or(0);
        let running = state.is_some_and(|c| c.pointer("/state/running").is_some());
        let terminated = state.is_some_and(|c| c.pointer("/state/terminated").is_some());
        // An empty previous log of a container that never restarted is a layout's placeholder
        // (a must-gather writes one), not a previous instance.
        let mut file = file.filter(|f| !(previous && f.text.is_empty() && restarts == 0));
        // The kubelet answers the log of a container waiting to restart with its last
        // terminated instance's: the previous log (`validateContainerLogStatus` in
        // pkg/kubelet/kubelet_pods.go). Bundles often keep only that one.
        if file.is_none() && !previous && !running && !terminated {
            file = logs.and_then(|l| l.previous.as_ref());
        }
        let Some(file) = file else {
            let waiting = state
                .and_then(|c| c.pointer("/state/waiting/reason"))
                .and_then(Value::as_str);
            // The kubelet's words where the state explains the absence; else what is true.
            return bad_request(&match (previous, waiting) {
                (true, _) => format!(
                    "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
                ),
                (false, Some(reason)) if !running && !terminated => format!(
                    "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"
                ),
                (false, _) => format!(
                    "the bundle holds no log of container \"{container}\" in pod \"{pod_name}\""
                ),
            });
        };
        match self.log_text(file) {
            Ok(text) => Reply::text(text),
            Err(e) => bad_request(&e),
        }
    }

    fn log_text(&self, file: &LogFile) -> Result<Vec<u8>, String> {
        let number = |key: &str| -> Result<Option<i64>, String> {
            match self.query_str(key) {
                "" => Ok(None),
                v => v
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| format!("invalid {key}: {v:?}")),
            }
        };
        let tail = number("tailLines")?;
        let since_seconds = number("sinceSeconds")?;
        let limit_bytes = number("limitBytes")?;
        let since_time = match self.query_str("sinceTime") {
            "" => None,
            t => Some(Time::parse(t).ok_or_else(|| format!("invalid sinceTime: {t:?}"))?),
        };
        let since = match (since_seconds, since_time) {
            (Some(s), _) => self.store.now.map(|now| now.unix().saturating_sub(s)),
            (None, Some(t)) => Some(t.unix()),
            (None, None) => None,
        };
        let timestamps = self.flag("timestamps");
        let mut lines: Vec<&[u8]> = file.text.split_inclusive(|&b| b == b'\n').collect();
        if let Some(since) = since {
            lines.retain(|l| line_time(l).is_none_or(|t| t.unix() >= since));
        }
        if let Some(n) = tail {
            let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
            lines.drain(..lines.len().saturating_sub(n));
        }
        let mut out = Vec::with_capacity(file.text.len());
        for line in lines {
            if timestamps {
                out.extend_from_slice(line);
            } else {
                out.extend_from_slice(strip_timestamp(line));
            }
        }
        if let Some(limit) = limit_bytes {
            out.truncate(usize::try_from(limit.max(0)).unwrap_or(usize::MAX));
        }
        Ok(out)
    }
}

/// The RFC 3339 timestamp a log line starts with (`kubectl logs --timestamps` output), if any.
fn line_time(line: &[u8]) -> Option<Time> {
    let end = line.iter().position(|&b| b == b' ')?;
    let word = std::str::from_utf8(&line[..end]).ok()?;
    word.as_bytes()
        .get(4)
        .is_some_and(|&b| b == b'-')
        .then(|| Time::parse(word))
        .flatten()
}

/// A log line without its leading timestamp (the kubelet stores one; kubectl shows it only with
/// `--timestamps`). Lines without one are left as they are.
fn strip_timestamp(line: &[u8]) -> &[u8] {
    match line_time(line) {
        Some(_) => {
            let at = line.iter().position(|&b| b == b' ').unwrap_or(0);
            &line[at + 1..]
        }
        None => line,
    }
}

/// Whether the `Accept` header allows an answer in JSON (plain, or the `Table` form), text, or
/// anything. An absent header allows everything.
fn accepts_json(accept: &str) -> bool {
    accept.trim().is_empty()
        || accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let as_kind = parts.find_map(|p| p.strip_prefix("as=")).unwrap_or("Table");
            match media {
                "*/*" | "application/*" | "text/*" | "text/plain" => true,
                "application/json" => as_kind == "Table",
                _ => false,
            }
        })
}

/// Whether the client asks for the `Table` form (`as=Table` in any accepted type).
fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.split(';').any(|p| p.trim() == "as=Table"))
}

/// The query string's parameters, percent-decoded (`+` is a space); the last of a repeated key
/// wins.
fn parse_query(query: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode(&s.replace('+', " "))
                .ok_or_else(|| format!("invalid query parameter encoding: {pair:?}"))
        };
        out.insert(decode(k)?, decode(v)?);
    }
    Ok(out)
}

/// `%2F` -> `/`; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cluster, ContainerLogs, ResourceFile};

    /// One namespace, one crash-looping pod with a previous log, one event about it.
    fn api(simulate: Simulate) -> Api {
        let pod = json!({
            "metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1",
                         "labels": {"app": "web"}, "creationTimestamp": "2026-11-28T04:00:00Z"},
            "spec": {"containers": [{"name": "app"}, {"name": "proxy"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1}}},
                {"name": "proxy", "ready": true, "restartCount": 0, "state": {"running": {}}}]}
        });
        let event = json!({
            "metadata": {"name": "web-1.1", "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "u-1"},
            "reason": "BackOff", "type": "Warning", "message": "Back-off restarting failed container app"
        });
        let log = LogFile {
            source: "logs/shop/web-1/app.previous.log".into(),
            text: b"2026-11-28T04:59:00.000000000Z starting\n2026-11-28T04:59:01.000000000Z panic: boom\n"
                .to_vec(),
            ..LogFile::default()
        };
        let cluster = Cluster {
            name: "prod".into(),
            collected_at: Time::parse("2026-11-28T05:00:00Z"),
            documents: Some(vec![
                ResourceFile {
                    resource: "pods".into(),
                    path: "p".into(),
                    objects: vec![pod],
                },
                ResourceFile {
                    resource: "events".into(),
                    path: "e".into(),
                    objects: vec![event],
                },
            ]),
            logs: [(
                ("shop".to_owned(), "web-1".to_owned(), "app".to_owned()),
                ContainerLogs {
                    current: None,
                    previous: Some(log),
                },
            )]
            .into(),
            ..Cluster::default()
        };
        Api {
            clusters: vec![("prod".into(), Store::new(cluster))],
            simulate,
        }
    }

    fn get(api: &Api, path_and_query: &str) -> (u16, Value) {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let reply = api.handle(&Request {
            method: "GET",
            path,
            query,
            accept: "",
        });
        let body = serde_json::from_slice(&reply.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&reply.body).into_owned()));
        (reply.status, body)
    }

    #[test]
    fn hostile_paths_and_queries_get_status_errors() {
        let api = api(Simulate::default());
        let long = format!("/api/v1/namespaces/{}/pods", "a".repeat(100_000));
        let paths = [
            "/api/v1/namespaces/../../etc/passwd",
            "/api/v1/namespaces/shop/pods/%2e%2e",
            "/api/v1/namespaces/shop/pods/%ff%fe",
            "/api/v1/namespaces/shop/pods/%zz",
            "/api/v1/namespaces/shop/pods/web-1/exec",
            "/api/v1/namespaces/shop/pods/web-1/log/extra",
            "/api/v1/pods/web-1",
            "/api/v1/nodes/n1/proxy",
            "/apis/a/b/c/d/e/f/g/h",
            "/apis/apps/v9/deployments",
            "/clusters/",
            "/clusters/nope/api",
            "/clusters/prod/../../api",
            "//////",
            "/\u{0}",
            long.as_str(),
        ];
        for path in paths {
            let (code, body) = get(&api, path);
            assert!(code == 404 || code == 200, "{path}: {code}");
            if code == 404 {
                assert_eq!(body["kind"], "Status", "{path}");
            }
        }
        let queries = [
            ("/api/v1/pods?limit=abc", 400),
            ("/api/v1/pods?limit=-1", 400),
            ("/api/v1/pods?continue=ktriage-999999", 410),
            ("/api/v1/pods?continue=garbage", 410),
            ("/api/v1/pods?continue=%zz", 400),
            ("/api/v1/pods?labelSelector=(((", 400),
            ("/api/v1/pods?labelSelector=app%20in%20web", 400),
            ("/api/v1/pods?fieldSelector=nonsense", 400),
            (
                "/api/v1/namespaces/shop/pods/web-1/log?container=app&previous=true&tailLines=abc",
                400,
            ),
            (
                "/api/v1/namespaces/shop/pods/web-1/log?container=app&previous=true&sinceTime=yesterday",
                400,
            ),
            (
                "/api/v1/namespaces/shop/pods/web-1/log?container=../../etc",
                400,
            ),
            ("/api/v1/namespaces/shop/pods/web-1/log", 400),
            ("/api/v1/namespaces/shop/pods/nope/log?container=app", 404),
        ];
        for (q, want) in queries {
            let (code, body) = get(&api, q);
            assert_eq!(code, want, "{q}: {body}");
            assert_eq!(body["kind"], "Status", "{q}");
        }
        // Numbers past any limit are clamped, never a panic.
        for q in [
            "/api/v1/namespaces/shop/pods/web-1/log?container=app&previous=1&tailLines=99999999999999999999",
            "/api/v1/namespaces/shop/pods/web-1/log?container=app&previous=1&tailLines=-5&limitBytes=-1",
            "/api/v1/namespaces/shop/pods/web-1/log?container=app&previous=1&sinceSeconds=-9223372036854775808",
            "/api/v1/pods?limit=18446744073709551615",
            "/api/v1/pods?limit=18446744073709551615&continue=ktriage-1",
        ] {
            let (code, _) = get(&api, q);
            assert!(code == 200 || code == 400, "{q}: {code}");
        }
        let watch = api.handle(&Request {
            method: "GET",
            path: "/api/v1/pods",
            query: "watch=true&timeoutSeconds=99999999999",
            accept: "",
        });
        assert_eq!(watch.hold, Some(Duration::from_secs(1800)));
    }

    #[test]
    fn what_cannot_be_answered_in_json_is_not_acceptable() {
        let api = api(Simulate::default());
        let with = |accept: &str| {
            api.handle(&Request {
                method: "GET",
                path: "/apis",
                query: "",
                accept,
            })
            .status
        };
        assert_eq!(with(""), 200);
        assert_eq!(with("application/json, */*"), 200);
        assert_eq!(
            with(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
            ),
            200
        );
        assert_eq!(
            with("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
            406
        );
        assert_eq!(with("application/vnd.kubernetes.protobuf"), 406);
    }

    #[test]
    fn every_write_verb_is_refused() {
        let api = api(Simulate::default());
        for method in ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT"] {
            for path in [
                "/api/v1/namespaces/shop/pods",
                "/api/v1/namespaces/shop/pods/web-1",
                "/apis/apps/v1/namespaces/shop/deployments/x",
                "/nowhere",
            ] {
                let reply = api.handle(&Request {
                    method,
                    path,
                    query: "",
                    accept: "",
                });
                assert_eq!(reply.status, 405, "{method} {path}");
                let body: Value = serde_json::from_slice(&reply.body).expect("JSON");
                assert_eq!(body["reason"], "MethodNotAllowed");
            }
        }
    }

    #[test]
    fn logs_answer_as_the_kubelet_does() {
        let api = api(Simulate::default());
        let log = |q: &str| get(&api, &format!("/api/v1/namespaces/shop/pods/web-1/log?{q}"));
        assert_eq!(
            log("container=app&previous=true"),
            (200, Value::String("starting\npanic: boom\n".into()))
        );
        assert_eq!(
            log("container=app&previous=true&timestamps=true&tailLines=1"),
            (
                200,
                Value::String("2026-11-28T04:59:01.000000000Z panic: boom\n".into())
            )
        );
        assert_eq!(
            log("container=app&previous=true&sinceSeconds=59"),
            (200, Value::String("panic: boom\n".into()))
        );
        // Waiting to restart: the current log is the last instance's.
        assert_eq!(log("container=app").0, 200);
        let (code, body) = log("container=proxy&previous=true");
        assert_eq!(code, 400);
        assert_eq!(
            body["message"],
            "previous terminated container \"proxy\" in pod \"web-1\" not found"
        );
        assert_eq!(
            log("").1["message"],
            "a container name must be specified for pod web-1, choose one of: [app proxy]"
        );
    }

    #[test]
    fn lists_select_page_and_tabulate() {
        let api = api(Simulate {
            page_size: Some(1),
            ..Simulate::default()
        });
        let (_, events) = get(
            &api,
            "/api/v1/namespaces/shop/events?fieldSelector=involvedObject.name%3Dweb-1,involvedObject.uid%3Du-1",
        );
        assert_eq!(events["kind"], "EventList");
        assert_eq!(events["items"].as_array().map(Vec::len), Some(1));
        let (_, none) = get(
            &api,
            "/api/v1/events?fieldSelector=involvedObject.uid%3Dother",
        );
        assert_eq!(none["items"], json!([]));
        let (_, pods) = get(&api, "/api/v1/pods?labelSelector=app%3Dweb&limit=500");
        assert_eq!(pods["items"][0]["kind"], "Pod");
        let (_, page) = get(&api, "/api/v1/namespaces?limit=500");
        assert_eq!(
            page["metadata"]["continue"],
            json!(null),
            "one namespace fits a page"
        );

        let table = api.handle(&Request {
            method: "GET",
            path: "/api/v1/namespaces/shop/pods",
            query: "",
            accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
        });
        let table: Value = serde_json::from_slice(&table.body).expect("JSON");
        assert_eq!(table["kind"], "Table");
        assert_eq!(
            table["rows"][0]["cells"],
            json!([
                "web-1",
                "1/2",
                "CrashLoopBackOff",
                "3",
                "60m",
                "<none>",
                "<none>",
                "<none>",
                "<none>"
            ])
        );
        assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn simulated_denials_use_the_api_servers_words() {
        let mut sim = Simulate::default();
        for c in [
            "forbid-namespace=shop",
            "forbid-resource=deploy",
            "aggregated-api-down",
        ] {
            sim.add(c).expect("known");
        }
        assert!(sim.add("page-size=0").is_err());
        assert!(sim.add("forbid-everything").is_err());
        let api = api(sim);
        let (code, body) = get(&api, "/api/v1/namespaces/shop/pods/web-1/log?container=app");
        assert_eq!(code, 403);
        assert_eq!(
            body["message"],
            "pods \"web-1\" is forbidden: User \"ktriage\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"shop\""
        );
        assert_eq!(
            get(&api, "/api/v1/pods").1["message"],
            "pods is forbidden: User \"ktriage\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
        );
        assert_eq!(
            get(&api, "/apis/apps/v1/namespaces/other/deployments").1["message"],
            "deployments.apps is forbidden: User \"ktriage\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"other\""
        );
        assert_eq!(get(&api, "/apis/metrics.k8s.io/v1beta1").0, 503);
        let groups = get(&api, "/apis").1;
        assert!(
            groups["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .any(|g| g["name"] == "metrics.k8s.io")
        );
    }
}
