//! One bundle as an API server holds it: the resource types it answers for, the objects of each
//! (as the bundle wrote them, from `Cluster::documents`), and the container logs.
//!
//! Built once when `serve` starts; read-only afterwards. Knows nothing of HTTP.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::model::{Cluster, ContainerLogs, LogKey, ResourceFile, Time};

/// A resource type as discovery lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiResource {
    /// API group; empty for the core group.
    pub group: String,
    pub version: String,
    /// Plural name, as in URLs (`pods`).
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    /// Whether `kubectl get all` includes it.
    pub in_all: bool,
}

impl ApiResource {
    /// `v1` or `apps/v1`.
    pub(crate) fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// (group, version, plural, kind, namespaced, short names, in `all`).
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    bool,
);

/// The built-in resource types served: (group, version, plural, kind, namespaced, short names,
/// in `all`), as a v1.32 API server lists them. Names a bundle layout uses for them
/// (`pvcs`, `replication-controllers`, `storage-classes`) are matched through `resource_named`.
const BUILTIN: &[Builtin] = &[
    ("", "v1", "configmaps", "ConfigMap", true, &["cm"], false),
    ("", "v1", "endpoints", "Endpoints", true, &["ep"], false),
    ("", "v1", "events", "Event", true, &["ev"], false),
    (
        "",
        "v1",
        "limitranges",
        "LimitRange",
        true,
        &["limits"],
        false,
    ),
    ("", "v1", "namespaces", "Namespace", false, &["ns"], false),
    ("", "v1", "nodes", "Node", false, &["no"], false),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        false,
    ),
    (
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        false,
        &["pv"],
        false,
    ),
    ("", "v1", "pods", "Pod", true, &["po"], true),
    ("", "v1", "podtemplates", "PodTemplate", true, &[], false),
    (
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        true,
        &["rc"],
        true,
    ),
    (
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        true,
        &["quota"],
        false,
    ),
    ("", "v1", "secrets", "Secret", true, &[], false),
    (
        "",
        "v1",
        "serviceaccounts",
        "ServiceAccount",
        true,
        &["sa"],
        false,
    ),
    ("", "v1", "services", "Service", true, &["svc"], true),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        false,
    ),
    (
        "apps",
        "v1",
        "controllerrevisions",
        "ControllerRevision",
        true,
        &[],
        false,
    ),
    ("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"], true),
    (
        "apps",
        "v1",
        "deployments",
        "Deployment",
        true,
        &["deploy"],
        true,
    ),
    (
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        true,
        &["rs"],
        true,
    ),
    (
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        true,
        &["sts"],
        true,
    ),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        true,
    ),
    ("batch", "v1", "cronjobs", "CronJob", true, &["cj"], true),
    ("batch", "v1", "jobs", "Job", true, &[], true),
    (
        "coordination.k8s.io",
        "v1",
        "leases",
        "Lease",
        true,
        &[],
        false,
    ),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "EndpointSlice",
        true,
        &[],
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "IngressClass",
        false,
        &[],
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        true,
        &["ing"],
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
        false,
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "Role",
        true,
        &[],
        false,
    ),
    (
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "PriorityClass",
        false,
        &["pc"],
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "csidrivers",
        "CSIDriver",
        false,
        &[],
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "csinodes",
        "CSINode",
        false,
        &[],
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "volumeattachments",
        "VolumeAttachment",
        false,
        &[],
        false,
    ),
];

/// Layout names for a resource that are neither its plural, singular nor kind.
const LAYOUT_NAMES: [(&str, &str); 4] = [
    ("pvcs", "persistentvolumeclaims"),
    ("pvs", "persistentvolumes"),
    ("resource-quota", "resourcequotas"),
    ("crds", "customresourcedefinitions"),
];

fn builtin() -> Vec<ApiResource> {
    BUILTIN
        .iter()
        .map(
            |(group, version, plural, kind, namespaced, short, in_all)| ApiResource {
                group: (*group).to_owned(),
                version: (*version).to_owned(),
                plural: (*plural).to_owned(),
                singular: kind.to_lowercase(),
                kind: (*kind).to_owned(),
                namespaced: *namespaced,
                short_names: short.iter().map(|s| (*s).to_owned()).collect(),
                in_all: *in_all,
            },
        )
        .collect()
}

/// `Replication-Controllers`, `storage_classes` -> `replicationcontrollers`, `storageclasses`.
fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The index into `resources` of the one a layout names `name` (plural, singular, kind or a
/// layout name, any case, dashes ignored).
fn resource_named(resources: &[ApiResource], name: &str) -> Option<usize> {
    let name = squash(name);
    let name = LAYOUT_NAMES
        .iter()
        .find(|(layout, _)| squash(layout) == name)
        .map_or(name, |(_, plural)| (*plural).to_owned());
    resources
        .iter()
        .position(|r| r.plural == name || r.singular == name || r.kind.to_lowercase() == name)
}

/// An object's namespace and name.
type ObjectKey = (String, String);

/// One bundle served as one cluster (one kubeconfig context).
#[derive(Debug)]
pub(crate) struct Store {
    /// The cluster name (the context's name before de-duplication).
    pub name: String,
    /// The server's `gitVersion` as the bundle recorded it, if it did.
    pub server_version: Option<String>,
    /// What ages are measured from: when the bundle was collected.
    pub now: Option<Time>,
    /// Every resource type served, built-in ones first, then ones only this bundle holds.
    pub resources: Vec<ApiResource>,
    /// Objects per resource (same index as `resources`), sorted by namespace and name as an
    /// API server lists them.
    pub objects: Vec<BTreeMap<ObjectKey, Value>>,
    /// Container logs.
    pub logs: BTreeMap<LogKey, ContainerLogs>,
    /// The list `resourceVersion`: the highest numeric one of the bundle's objects.
    pub resource_version: String,
}

impl Store {
    /// Indexes a cluster read with `formats::read_documents`. Objects without a name, or
    /// without a namespace where their kind has one, are not served (an API server has none);
    /// the first copy of an object wins over later ones (a must-gather's per-object files
    /// repeat its lists).
    pub(crate) fn new(cluster: Cluster) -> Self {
        let mut resources = builtin();
        let mut objects: Vec<BTreeMap<ObjectKey, Value>> = vec![BTreeMap::new(); resources.len()];
        let mut highest: u64 = 0;
        let files = cluster.documents.unwrap_or_default();
        let defined = defined_kinds(&files);
        for file in files {
            for mut object in file.objects {
                let Some(index) = resource_of(&mut resources, &defined, &file.resource, &object)
                else {
                    continue;
                };
                if objects.len() < resources.len() {
                    objects.resize(resources.len(), BTreeMap::new());
                }
                let r = &resources[index];
                let Some(key) = key_of(&object, r.namespaced) else {
                    continue;
                };
                fill_type(&mut object, r);
                if let Some(rv) = object
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    highest = highest.max(rv);
                }
                objects[index].entry(key).or_insert(object);
            }
        }
        objects.resize(resources.len(), BTreeMap::new());
        let mut store = Store {
            name: cluster.name,
            server_version: cluster.server_version,
            now: cluster.collected_at,
            resources,
            objects,
            logs: cluster.logs,
            resource_version: highest.max(1).to_string(),
        };
        store.add_missing_namespaces();
        store
    }

    /// The index of the resource type of `plural` in `group`.
    pub(crate) fn resource(&self, group: &str, plural: &str) -> Option<usize> {
        self.resources
            .iter()
            .position(|r| r.group == group && r.plural == plural)
    }

    /// Namespaces its objects are in that the bundle holds no Namespace object of (most
    /// layouts write none): served as Active namespaces with no other field known.
    fn add_missing_namespaces(&mut self) {
        let Some(ns_index) = self.resource("", "namespaces") else {
            return;
        };
        let seen: BTreeSet<String> = self
            .objects
            .iter()
            .flat_map(BTreeMap::keys)
            .map(|(ns, _)| ns.clone())
            .filter(|ns| !ns.is_empty())
            .collect();
        let resource = self.resources[ns_index].clone();
        let namespaces = &mut self.objects[ns_index];
        for ns in seen {
            let key = (String::new(), ns.clone());
            namespaces.entry(key).or_insert_with(|| {
                let mut object = json!({
                    "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                });
                fill_type(&mut object, &resource);
                object
            });
        }
    }
}

/// What a bundle's CustomResourceDefinitions say of the kinds they define, by (group, kind).
type Defined = BTreeMap<(String, String), ApiResource>;

/// The kinds the bundle's CustomResourceDefinitions define, with their names and scope.
fn defined_kinds(files: &[ResourceFile]) -> Defined {
    let mut defined = Defined::new();
    for crd in files.iter().flat_map(|f| &f.objects) {
        if crd.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let text = |pointer: &str| {
            crd.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (group, kind, plural) = (
            text("/spec/group"),
            text("/spec/names/kind"),
            text("/spec/names/plural"),
        );
        if group.is_empty() || kind.is_empty() || plural.is_empty() {
            continue;
        }
        let singular = match text("/spec/names/singular") {
            s if s.is_empty() => kind.to_lowercase(),
            s => s,
        };
        let short_names = crd
            .pointer("/spec/names/shortNames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let resource = ApiResource {
            group: group.clone(),
            version: String::new(),
            plural,
            singular,
            kind: kind.clone(),
            namespaced: text("/spec/scope") != "Cluster",
            short_names,
            in_all: false,
        };
        defined.entry((group, kind)).or_insert(resource);
    }
    defined
}

/// The resource an object of a file filed as `name` is: the object's own `apiVersion` and
/// `kind` when it has them, else the file's. A named object of a kind the built-in table lacks
/// (an OpenShift `Route`, a custom resource) adds its type: as the bundle's
/// CustomResourceDefinition names it, else under the file's name when that is the kind's plural,
/// else under the kind's plural as Kubernetes forms it.
fn resource_of(
    resources: &mut Vec<ApiResource>,
    defined: &Defined,
    name: &str,
    object: &Value,
) -> Option<usize> {
    let kind = object.get("kind").and_then(Value::as_str);
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    let (Some(kind), Some(api_version)) = (kind, api_version) else {
        return resource_named(resources, name);
    };
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    if let Some(i) = resources
        .iter()
        .position(|r| r.kind == kind && r.group == group)
    {
        return Some(i);
    }
    // Lists, discovery documents and other objects without a name are not resources.
    let named = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let valid = |s: &str| {
        !s.is_empty()
            && !version.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    if !named || !valid(kind) || !valid(group) && !group.is_empty() {
        return None;
    }
    let resource = if let Some(d) = defined.get(&(group.to_owned(), kind.to_owned())) {
        ApiResource {
            version: version.to_owned(),
            ..d.clone()
        }
    } else {
        let file_name = squash(name);
        let file_name = file_name.split('.').next().unwrap_or_default();
        let lower = kind.to_lowercase();
        let plural = if file_name.starts_with(&lower) && file_name.len() <= lower.len() + 3 {
            file_name.to_owned()
        } else {
            plural_of(&lower)
        };
        ApiResource {
            group: group.to_owned(),
            version: version.to_owned(),
            plural,
            singular: lower,
            kind: kind.to_owned(),
            namespaced: object.pointer("/metadata/namespace").is_some(),
            short_names: Vec::new(),
            in_all: false,
        }
    };
    if resources
        .iter()
        .any(|r| r.plural == resource.plural && r.group == resource.group)
    {
        return None;
    }
    resources.push(resource);
    Some(resources.len() - 1)
}

/// `route` -> `routes`, `ingress` -> `ingresses`, `policy` -> `policies` (the rule of
/// k8s.io/apimachinery's `UnsafeGuessKindToResource`).
fn plural_of(lower: &str) -> String {
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
        && !stem.is_empty()
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with('z')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

/// The (namespace, name) an object is served under.
fn key_of(object: &Value, namespaced: bool) -> Option<ObjectKey> {
    let meta = object.get("metadata")?;
    let name = meta.get("name").and_then(Value::as_str)?;
    let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() || namespaced == namespace.is_empty() {
        return None;
    }
    let namespace = if namespaced { namespace } else { "" };
    Some((namespace.to_owned(), name.to_owned()))
}

/// Sets `apiVersion` and `kind` first in the object, as an API server sends them (list items
/// in most bundles lack them).
fn fill_type(object: &mut Value, resource: &ApiResource) {
    let Value::Object(fields) = object else {
        return;
    };
    let mut typed = Map::new();
    typed.insert("apiVersion".into(), resource.group_version().into());
    typed.insert("kind".into(), resource.kind.clone().into());
    for (k, v) in std::mem::take(fields) {
        if k != "apiVersion" && k != "kind" {
            typed.insert(k, v);
        }
    }
    *fields = typed;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(files: Vec<(&str, Value)>) -> Store {
        let cluster = Cluster {
            name: "c".into(),
            documents: Some(
                files
                    .into_iter()
                    .map(|(resource, objects)| ResourceFile {
                        resource: resource.into(),
                        path: format!("{resource}.json"),
                        objects: objects.as_array().cloned().unwrap_or_default(),
                    })
                    .collect(),
            ),
            ..Cluster::default()
        };
        Store::new(cluster)
    }

    /// Custom resources are served as their definition names them; discovery documents and
    /// lists in a bundle are not resources.
    #[test]
    fn custom_resources_take_their_definitions_names() {
        let s = store(vec![
            (
                "custom-resources",
                json!([{"apiVersion": "velero.io/v1", "kind": "Backup",
                        "metadata": {"name": "nightly", "namespace": "velero"}}]),
            ),
            (
                "custom-resource-definitions",
                json!([{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                        "metadata": {"name": "backups.velero.io"},
                        "spec": {"group": "velero.io", "scope": "Namespaced",
                                 "names": {"kind": "Backup", "plural": "backups", "singular": "backup",
                                           "shortNames": ["bk"]}}}]),
            ),
            (
                "resources",
                json!([{"apiVersion": "v1", "kind": "APIResourceList", "groupVersion": "v1"}]),
            ),
        ]);
        let backups = s.resource("velero.io", "backups").expect("defined");
        assert_eq!(s.resources[backups].short_names, ["bk"]);
        assert_eq!(s.resources[backups].version, "v1");
        assert_eq!(s.objects[backups].len(), 1);
        assert!(s.resource("", "resources").is_none());
        assert!(!s.resources.iter().any(|r| r.kind == "APIResourceList"));
    }

    #[test]
    fn layout_names_and_own_kinds_find_their_resource() {
        let resources = builtin();
        let name = |n: &str| resource_named(&resources, n).map(|i| resources[i].plural.clone());
        assert_eq!(name("pvcs").as_deref(), Some("persistentvolumeclaims"));
        assert_eq!(
            name("replication-controllers").as_deref(),
            Some("replicationcontrollers")
        );
        assert_eq!(name("storage-classes").as_deref(), Some("storageclasses"));
        assert_eq!(name("ingress").as_deref(), Some("ingresses"));
        assert_eq!(
            name("ReplicationController").as_deref(),
            Some("replicationcontrollers")
        );
        assert_eq!(name("auth-cani-list"), None);

        let s = store(vec![
            (
                "routes",
                json!([{"apiVersion": "route.openshift.io/v1", "kind": "Route",
                        "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "77"}}]),
            ),
            (
                "pods",
                json!([{"metadata": {"name": "web-1", "namespace": "shop", "resourceVersion": "12"}},
                       {"metadata": {"name": "no-namespace"}},
                       {"metadata": {"namespace": "shop"}}]),
            ),
        ]);
        let routes = s.resource("route.openshift.io", "routes").expect("added");
        assert!(s.resources[routes].namespaced);
        assert_eq!(plural_of("ingress"), "ingresses");
        assert_eq!(plural_of("networkpolicy"), "networkpolicies");
        assert_eq!(plural_of("gateway"), "gateways");
        let pods = &s.objects[s.resource("", "pods").expect("built in")];
        assert_eq!(pods.len(), 1);
        let pod = &pods[&("shop".to_owned(), "web-1".to_owned())];
        assert_eq!(pod["kind"], "Pod");
        assert_eq!(pod["apiVersion"], "v1");
        assert_eq!(s.resource_version, "77");
        let namespaces = &s.objects[s.resource("", "namespaces").expect("built in")];
        assert_eq!(
            namespaces.keys().map(|k| k.1.as_str()).collect::<Vec<_>>(),
            ["shop"]
        );
    }
}
