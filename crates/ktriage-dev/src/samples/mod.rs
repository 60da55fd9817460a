//! The sample bundles under `samples/` (`cargo dev samples`): small, realistic bundles (format
//! v1, docs/design.md §2), one per major cause plus a healthy cluster and a three-cluster fleet.
//!
//! Each sample is a bundle directory holding what ktriage-collect would have written for one
//! cluster: `kubectl get -o yaml` lists, events, and `kubectl logs --timestamps` output.
//! Deterministic: every time, uid, hash, IP and digest is fixed or derived from names with
//! SHA-256, so a rerun rewrites the same bytes. The sample directories and `expected.tsv` are
//! rewritten on each run; `README.md` is left alone.
//!
//! The container timelines follow the kubelet: a crash-looping container is restarted at once
//! after its first failure, then waits 10s, 20s, 40s … up to 5m0s (`back-off` in
//! `waiting.message`), and a container that ran for more than 10 minutes is restarted at once
//! again. The YAML is printed as kubectl prints it (`yaml`).

mod objects;
mod scenarios;
mod value;
mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use ktriage::model::Time;

use crate::sha256;
use value::{M, V, l, m, to_json_pretty};
use yaml::{strip_managed_fields, to_yaml};

/// The resource lists every namespace of a bundle holds, in the collector's order.
pub(crate) const RESOURCES: &[&str] = &[
    "pods",
    "events",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "services",
    "endpoints",
    "persistentvolumeclaims",
    "networkpolicies",
    "configmaps",
    "secrets",
];

const COLLECTOR_VERSION: &str = "0.1.0";

/// Every file of the samples (paths relative to `samples/`, `expected.tsv` included), in path
/// order.
#[must_use]
pub fn files() -> Vec<(String, String)> {
    let mut files = BTreeMap::new();
    let mut rows = vec![
        "bundle\tnamespace\tworkload_kind\tworkload\tcontainer\tcontainer_kind\tcause".to_owned(),
    ];
    for (bundle, row) in scenarios::build_all() {
        rows.push(format!("{}\t{}", bundle.rel, row.join("\t")));
        for (rel, text) in bundle.files() {
            files.insert(format!("{}/{rel}", bundle.rel), text);
        }
    }
    files.insert("expected.tsv".to_owned(), rows.join("\n") + "\n");
    files.into_iter().collect()
}

/// Deletes the sample directories under `dir` and writes the samples and `expected.tsv` there.
/// Returns the number of files written.
///
/// # Errors
/// When a directory cannot be removed or a file cannot be written.
pub fn write_samples(dir: &Path) -> io::Result<usize> {
    let files = files();
    let mut tops: Vec<&str> = files
        .iter()
        .filter_map(|(rel, _)| rel.split_once('/').map(|(top, _)| top))
        .collect();
    tops.dedup();
    for top in tops {
        match fs::remove_dir_all(dir.join(top)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, text)?;
    }
    Ok(files.len())
}

// ------------------------------------------------------------------------------------------
// Determinism: everything derived from names

/// One part of a name hashed into an id, printed as Python's `str()` prints it (so `1.5`,
/// `1795842000.0`): the ids are those the samples have always had.
#[derive(Clone, Copy)]
pub(crate) enum P<'a> {
    S(&'a str),
    I(i64),
    F(f64),
}

impl fmt::Display for P<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            P::S(s) => f.write_str(s),
            P::I(i) => write!(f, "{i}"),
            // Shortest round-trip digits, `.0` on whole numbers: Python's repr in this range.
            P::F(x) => write!(f, "{x:?}"),
        }
    }
}

impl<'a> From<&'a str> for P<'a> {
    fn from(s: &'a str) -> Self {
        P::S(s)
    }
}
impl<'a> From<&'a String> for P<'a> {
    fn from(s: &'a String) -> Self {
        P::S(s)
    }
}
impl From<i64> for P<'_> {
    fn from(i: i64) -> Self {
        P::I(i)
    }
}
impl From<usize> for P<'_> {
    fn from(i: usize) -> Self {
        P::I(i64::try_from(i).expect("small"))
    }
}
impl From<f64> for P<'_> {
    fn from(x: f64) -> Self {
        P::F(x)
    }
}

/// `p![a, b, …]`: the parts of a derived name.
macro_rules! p {
    ($($part:expr),* $(,)?) => { &[$($crate::samples::P::from($part)),*][..] };
}
pub(crate) use p;

fn joined(parts: &[P<'_>]) -> String {
    parts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

fn digest(parts: &[P<'_>]) -> [u8; 32] {
    sha256::digest(joined(parts).as_bytes())
}

/// The first `n` hex digits of the parts' SHA-256.
pub(crate) fn hexid(parts: &[P<'_>], n: usize) -> String {
    let mut hex = sha256::hex_digest(joined(parts).as_bytes());
    hex.truncate(n);
    hex
}

/// A version-4-shaped UUID derived from the parts.
pub(crate) fn make_uid(parts: &[P<'_>]) -> String {
    let mut all = vec![P::S("uid")];
    all.extend_from_slice(parts);
    let mut b = digest(&all);
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// k8s.io/apimachinery/pkg/util/rand: the alphabet of pod-name and template-hash suffixes.
const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `n` characters of that alphabet derived from the parts.
pub(crate) fn safe(n: usize, parts: &[P<'_>]) -> String {
    let mut all = vec![P::S("safe")];
    all.extend_from_slice(parts);
    let d = digest(&all);
    d[..n]
        .iter()
        .map(|&x| char::from(SAFE[usize::from(x) % SAFE.len()]))
        .collect()
}

/// A fixed number in [0, 1) derived from the parts.
pub(crate) fn unit(parts: &[P<'_>]) -> f64 {
    let mut all = vec![P::S("unit")];
    all.extend_from_slice(parts);
    let d = digest(&all);
    f64::from(u32::from_be_bytes([d[0], d[1], d[2], d[3]])) / 4_294_967_296.0
}

/// A length as the signed count the objects hold.
pub(crate) fn count(n: usize) -> i64 {
    i64::try_from(n).expect("a small count")
}

/// `int(x)`: truncation toward zero.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn int(x: f64) -> i64 {
    x as i64
}

// ------------------------------------------------------------------------------------------
// Times

/// `2026-11-28T05:00:00Z` -> seconds since the epoch.
pub(crate) fn epoch(s: &str) -> f64 {
    Time::parse(s).expect("a fixed timestamp").unix() as f64
}

/// Seconds (truncated) -> `2026-11-28T05:00:00Z`.
pub(crate) fn iso(t: f64) -> String {
    Time::from_unix(int(t)).to_string()
}

/// Whole seconds -> `2026-11-28T05:00:00`, for a fraction to follow.
fn iso_stem(secs: i64) -> String {
    let mut s = Time::from_unix(secs).to_string();
    s.pop();
    s
}

fn ms(t: f64) -> i64 {
    int((t * 1000.0).round_ties_even())
}

/// A microsecond time (`eventTime`), the microseconds below the millisecond derived from salt.
pub(crate) fn iso_micro(t: f64, salt: &[P<'_>]) -> String {
    let ms = ms(t);
    let mut parts = vec![P::S("us"), P::I(ms)];
    parts.extend_from_slice(salt);
    let micro = (ms % 1000) * 1000 + int(unit(&parts) * 1000.0);
    format!("{}.{micro:06}Z", iso_stem(ms.div_euclid(1000)))
}

/// A millisecond time, as log frameworks print them.
pub(crate) fn iso_ms(t: f64) -> String {
    let ms = ms(t);
    format!("{}.{:03}Z", iso_stem(ms.div_euclid(1000)), ms % 1000)
}

/// `[(t, text)]` -> what `kubectl logs --timestamps` prints: an RFC 3339 prefix with always nine
/// fractional digits (the kubelet's format), strictly increasing within the file.
pub(crate) fn render_log(lines: &[(f64, String)], salt: &[P<'_>]) -> String {
    let mut out = String::new();
    let mut prev = 0i64;
    for (i, (t, text)) in lines.iter().enumerate() {
        let with = |tag: &'static str| {
            let mut parts = vec![P::S(tag), P::from(i)];
            parts.extend_from_slice(salt);
            unit(&parts)
        };
        let mut ns = int((t * 1_000_000.0).round_ties_even()) * 1000 + int(with("ns") * 900_000.0);
        if ns <= prev {
            ns = prev + 1 + int(with("ns+") * 40_000.0);
        }
        prev = ns;
        out.push_str(&format!(
            "{}.{:09}Z {text}\n",
            iso_stem(ns.div_euclid(1_000_000_000)),
            ns % 1_000_000_000
        ));
    }
    out
}

/// Seconds -> Go's `time.Duration` text for whole seconds (`5m0s`, `40s`).
pub(crate) fn go_duration(secs: i64) -> String {
    let (m, s) = (secs / 60, secs % 60);
    if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

// ------------------------------------------------------------------------------------------
// managedFields (fieldsV1 sets derived from the object itself)

const NO_DOT: &[&str] = &[
    "metadata",
    "spec",
    "status",
    "template",
    "strategy",
    "containers",
    "initContainers",
    "conditions",
    "updateStrategy",
    "jobTemplate",
];
const ATOMIC: &[&str] = &[
    "selector",
    "command",
    "args",
    "tolerations",
    "images",
    "subsets",
    "finalizers",
    "containerStatuses",
    "initContainerStatuses",
    "accessModes",
    "sources",
    "items",
    "podCIDRs",
    "clusterIPs",
    "ipFamilies",
    "nodeSelectorTerms",
    "matchFields",
];

fn list_keys(key: &str) -> Option<&'static [&'static str]> {
    Some(match key {
        "containers" | "initContainers" | "env" | "volumes" | "imagePullSecrets" => &["name"],
        "volumeMounts" => &["mountPath"],
        "conditions" | "addresses" => &["type"],
        "podIPs" | "hostIPs" => &["ip"],
        "ownerReferences" => &["uid"],
        _ => return None,
    })
}

fn fields_v1(v: &V, key: &str) -> M {
    match v {
        V::Map(map) => {
            if map.is_empty() || ATOMIC.contains(&key) {
                return M::new();
            }
            let mut out = if NO_DOT.contains(&key) {
                M::new()
            } else {
                m! { "." => M::new() }
            };
            for (k, x) in &map.0 {
                out.set(&format!("f:{k}"), fields_v1(x, k));
            }
            out
        }
        V::List(items) => {
            let first = match items.first() {
                Some(V::Map(first)) if !ATOMIC.contains(&key) => first,
                _ => return M::new(),
            };
            let names: &[&str] = if key == "ports" {
                if first.contains("containerPort") {
                    &["containerPort", "protocol"]
                } else {
                    &["port", "protocol"]
                }
            } else if let Some(names) = list_keys(key) {
                names
            } else {
                return M::new();
            };
            let mut out = if NO_DOT.contains(&key) {
                M::new()
            } else {
                m! { "." => M::new() }
            };
            for item in items {
                let k = value::to_json_compact(&V::Map(item.map().pick(names)));
                out.set(&format!("k:{k}"), fields_v1(item, "#item"));
            }
            out
        }
        _ => M::new(),
    }
}

/// A managedFields entry for the fields of `tree` (top-level keys carry no `.` entry).
pub(crate) fn mf(manager: &str, t: f64, tree: &M, api: &str, subresource: Option<&str>) -> M {
    let mut fields = M::new();
    for (k, x) in &tree.0 {
        fields.set(&format!("f:{k}"), fields_v1(x, k));
    }
    let mut e = m! {
        "apiVersion" => api,
        "fieldsType" => "FieldsV1",
        "fieldsV1" => fields,
        "manager" => manager,
        "operation" => "Update",
        "time" => iso(t),
    };
    if let Some(sub) = subresource {
        e.set("subresource", sub);
    }
    e
}

pub(crate) fn kube_list(items: Vec<M>) -> M {
    m! {
        "apiVersion" => "v1",
        "items" => items,
        "kind" => "List",
        "metadata" => m! { "resourceVersion" => "" },
    }
}

// ------------------------------------------------------------------------------------------
// Bundle: one cluster's collected state

/// The cloud a cluster runs in, which decides its nodes' labels, images and versions.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Eks,
    Gke,
    Aks,
    Kubeadm,
}

pub(crate) struct Node {
    pub(crate) obj: M,
    pub(crate) ip: String,
    pub(crate) pod_prefix: String,
}

pub(crate) struct Bundle {
    pub(crate) rel: String,
    pub(crate) cluster: String,
    pub(crate) context: String,
    pub(crate) flavor: Flavor,
    /// Collection time.
    pub(crate) t: f64,
    pub(crate) namespaces: Vec<String>,
    pub(crate) server_version: String,
    pub(crate) server_commit: String,
    pub(crate) server_build: String,
    pub(crate) go_version: String,
    pub(crate) region: String,
    pub(crate) items: HashMap<(String, String), Vec<M>>,
    pub(crate) logs: BTreeMap<String, String>,
    pub(crate) nodes: BTreeMap<String, Node>,
    pub(crate) node_images: HashMap<String, Vec<M>>,
    pub(crate) errors: Vec<M>,
    pub(crate) ip_next: HashMap<String, i64>,
    pub(crate) managed_fields: bool,
    pub(crate) birth: f64,
    pub(crate) pod_ns: HashMap<String, String>,
    pub(crate) pod_uid: HashMap<String, String>,
    pub(crate) scheduler_host: String,
    svc_base: &'static str,
    svc_used: Vec<(String, i64)>,
    pub(crate) svc_ips: HashMap<String, String>,
}

impl Bundle {
    pub(crate) fn uid(&self, parts: &[P<'_>]) -> String {
        let mut all = vec![P::S(&self.cluster)];
        all.extend_from_slice(parts);
        make_uid(&all)
    }

    /// A resourceVersion that grows with the time of the last write.
    pub(crate) fn rv(&self, t: f64, parts: &[P<'_>]) -> String {
        let mut all = vec![P::S(&self.cluster)];
        all.extend_from_slice(parts);
        (4_000_000 + int((t - self.t + 40.0 * 86400.0) * 2.0) + int(unit(&all) * 2.0)).to_string()
    }

    pub(crate) fn add(&mut self, ns: &str, resource: &str, obj: M) {
        self.items
            .entry((ns.to_owned(), resource.to_owned()))
            .or_default()
            .push(obj);
    }

    pub(crate) fn pod_ip(&mut self, node: &str) -> String {
        let default = 3 + int(unit(p![&self.cluster, node, "ip"]) * 20.0);
        let k = self.ip_next.get(node).copied().unwrap_or(default);
        let next = k + 1 + int(unit(p![&self.cluster, node, k]) * 3.0);
        self.ip_next.insert(node.to_owned(), next);
        format!("{}{k}", self.nodes[node].pod_prefix)
    }

    /// The ClusterIP of Service `name`, derived from its name and unique in the bundle.
    pub(crate) fn svc_ip(&mut self, name: &str) -> String {
        if !self.svc_used.iter().any(|(n, _)| n == name) {
            let mut k = 1 + int(unit(p![&self.cluster, "svc", name]) * 250.0);
            while self.svc_used.iter().any(|(_, used)| *used == k) {
                k += 1;
            }
            self.svc_used.push((name.to_owned(), k));
            let third = 1 + int(unit(p![&self.cluster, "svc3", name]) * 200.0);
            let ip = format!("{}{third}.{k}", self.svc_base);
            self.svc_ips.insert(name.to_owned(), ip);
        }
        self.svc_ips[name].clone()
    }

    /// The bundle's files, relative to its directory.
    fn files(&self) -> BTreeMap<String, String> {
        let manifest = m! {
            "format" => "ktriage-bundle",
            "format_version" => 1,
            "cluster" => &self.cluster,
            "context" => &self.context,
            "collected_at" => iso(self.t),
            "collector" => m! { "name" => "ktriage-collect", "version" => COLLECTOR_VERSION },
            "server_version" => &self.server_version,
            "namespaces" => self.namespaces.clone(),
            "options" => m! {
                "tail_lines" => 1000,
                "since" => V::Null,
                "redact" => true,
                "configmap_values" => false,
            },
            "errors" => self.errors.clone(),
        };
        let mut files = BTreeMap::new();
        files.insert(
            "manifest.json".to_owned(),
            to_json_pretty(&V::Map(manifest)) + "\n",
        );
        let version = m! {
            "clientVersion" => m! {
                "buildDate" => "2024-10-22T20:35:25Z",
                "compiler" => "gc",
                "gitCommit" => "5864a4677267e6adeae276ad85882a8714d69d9d",
                "gitTreeState" => "clean",
                "gitVersion" => "v1.31.2",
                "goVersion" => "go1.22.8",
                "major" => "1",
                "minor" => "31",
                "platform" => "linux/amd64",
            },
            "kustomizeVersion" => "v5.4.2",
            "serverVersion" => m! {
                "buildDate" => &self.server_build,
                "compiler" => "gc",
                "gitCommit" => &self.server_commit,
                "gitTreeState" => "clean",
                "gitVersion" => &self.server_version,
                "goVersion" => &self.go_version,
                "major" => "1",
                "minor" => if self.server_version.contains("-eks-") { "31+" } else { "31" },
                "platform" => "linux/amd64",
            },
        };
        files.insert("cluster/version.yaml".to_owned(), to_yaml(&version));
        let nodes: Vec<M> = self
            .nodes
            .iter()
            .map(|(name, node)| {
                let mut n = node.obj.clone();
                n.map_mut("status")
                    .set("images", self.node_images[name].clone());
                n
            })
            .collect();
        files.insert("cluster/nodes.yaml".to_owned(), to_yaml(&kube_list(nodes)));
        files.insert(
            "cluster/namespaces.yaml".to_owned(),
            to_yaml(&kube_list(self.namespace_objects())),
        );
        for ns in &self.namespaces {
            for res in RESOURCES {
                let mut items = self
                    .items
                    .get(&(ns.clone(), (*res).to_owned()))
                    .cloned()
                    .unwrap_or_default();
                items.sort_by(|a, b| {
                    a.map("metadata")
                        .str("name")
                        .cmp(b.map("metadata").str("name"))
                });
                files.insert(
                    format!("namespaces/{ns}/{res}.yaml"),
                    to_yaml(&kube_list(items)),
                );
            }
        }
        files.extend(self.logs.clone());
        if !self.managed_fields {
            // kubectl >= 1.21 drops metadata.managedFields unless --show-managed-fields is given
            for (rel, text) in &mut files {
                if rel.ends_with(".yaml") {
                    *text = strip_managed_fields(text);
                }
            }
        }
        files
    }

    fn namespace_objects(&self) -> Vec<M> {
        const BUILT_IN: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];
        let mut names: Vec<&str> = BUILT_IN.to_vec();
        names.extend(self.namespaces.iter().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                let built_in = BUILT_IN.contains(&name);
                let t = if built_in {
                    self.birth
                } else {
                    self.birth + 3600.0 + int(unit(p![name]) * 86400.0) as f64
                };
                let labels = m! { "kubernetes.io/metadata.name" => name };
                let manager = if built_in { "kube-apiserver" } else { "kubectl-create" };
                let meta = m! {
                    "creationTimestamp" => iso(t),
                    "labels" => &labels,
                    "name" => name,
                    "managedFields" => vec![mf(manager, t, &m! { "metadata" => m! { "labels" => &labels } }, "v1", None)],
                    "resourceVersion" => self.rv(t, p!["ns", name]),
                    "uid" => self.uid(p!["ns", name]),
                };
                m! {
                    "apiVersion" => "v1",
                    "kind" => "Namespace",
                    "metadata" => meta,
                    "spec" => m! { "finalizers" => l!["kubernetes"] },
                    "status" => m! { "phase" => "Active" },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names() {
        // The values the samples have always had for these parts (SHA-256 of the parts joined
        // by U+001F, floats printed as Python prints them).
        assert_eq!(
            make_uid(p!["prod-ca-1", "pod", "shop", "x"]),
            "3c0e44a4-552b-4d26-aa30-ea17c6a81095"
        );
        assert_eq!(
            hexid(p!["img", "docker.io/library/nginx:1.27.2"], 64),
            "e7f15c0a29f55ee2413f9ba4fdce0a1927e828bc3fe94a5d6a1d47f2f16080e1"
        );
        assert_eq!(
            safe(10, p!["dev-eu-1", "shop", "config-sync", "template", 1i64]),
            "n5449jrnmc"
        );
        assert!((unit(p!["batch", 1_795_842_000.25]) - 0.049_793_249_228_969_216).abs() < 1e-18);
        assert_eq!(P::F(1_795_842_000.0).to_string(), "1795842000.0");
        assert_eq!(P::F(0.1 + 0.2).to_string(), "0.30000000000000004");
    }

    #[test]
    fn times() {
        let t = epoch("2026-11-28T05:00:00Z");
        assert_eq!(
            iso_micro(t + 0.4567, p!["pod-a"]),
            "2026-11-28T05:00:00.457894Z"
        );
        assert_eq!(iso_ms(t + 0.5), "2026-11-28T05:00:00.500Z");
        // nine fractional digits, strictly increasing even for equal times
        assert_eq!(
            render_log(
                &[(t + 0.5, "a".to_owned()), (t + 0.5, "b".to_owned())],
                p!["c", "p"]
            ),
            "2026-11-28T05:00:00.500345737Z a\n2026-11-28T05:00:00.500346392Z b\n"
        );
        assert_eq!(go_duration(300), "5m0s");
        assert_eq!(go_duration(40), "40s");
    }
}
