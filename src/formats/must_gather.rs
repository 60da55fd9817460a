//! OpenShift must-gather (`oc adm must-gather`) and `oc adm inspect` output.
//!
//! Layout under each root: `namespaces/<ns>/<group>/<plural>.yaml` lists (`core/pods.yaml`,
//! `core/events.yaml`, `apps/deployments.yaml`, `batch/jobs.yaml`, ...), per-object copies
//! `namespaces/<ns>/<group>/<plural>/<name>.yaml` and `namespaces/<ns>/pods/<pod>/<pod>.yaml`,
//! nodes under `cluster-scoped-resources/core/nodes/`, and logs at
//! `namespaces/<ns>/pods/<pod>/<c>/<c>/logs/{current,previous}.log`.
//!
//! Quirks handled: the root sits one to three directories down
//! (`must-gather.local.<n>/<image-dir>/`, sometimes `<node>/<image-dir>/`), and several image
//! directories are merged; YAML files start with `---`; `core/pods.yaml` may be missing or empty
//! (the per-pod copies are used then); `previous.log` exists but is empty when there was no
//! previous instance; `*.insecure.log` is used when the normal file is empty; `timestamp` files
//! hold Go `time.Time.String()` lines.
//!
//! Rotated logs (`logs/rotated/<n>.log.<YYYYMMDD-HHMMSS>`, CRI format, gzip already undone by
//! the reader) are older chunks of container instance `<n>`, not its end. The newest one of
//! the previous instance (`n == restartCount - 1`) stands in as the previous log only when
//! `previous.log` and `previous.insecure.log` are both missing or empty; a rotation of the
//! running instance is never taken for the previous one.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{
    BundleFormat, Confidence, Detection, RawBundle, add_documents, add_file, add_log, add_resource,
    infer_collected_at, reserve_parsed,
};
use crate::bundle::BundleSource;
use crate::model::parse::parse_objects;
use crate::model::{Cluster, LogFile, Time};

/// Deepest position of the `namespaces` / `cluster-scoped-resources` directory searched for.
const MAX_ROOT_DEPTH: usize = 4;

/// Resources read from `namespaces/<ns>/<group>/<plural>.yaml`, by group.
const RESOURCES: [(&str, &[&str]); 3] = [
    (
        "core",
        &[
            "pods",
            "events",
            "services",
            "endpoints",
            "configmaps",
            "secrets",
            "persistentvolumeclaims",
        ],
    ),
    (
        "apps",
        &["deployments", "replicasets", "statefulsets", "daemonsets"],
    ),
    ("batch", &["jobs", "cronjobs"]),
];

/// OpenShift must-gather and `oc adm inspect` output.
pub(super) struct MustGather;

impl BundleFormat for MustGather {
    fn name(&self) -> &'static str {
        "must-gather"
    }

    /// A layout: `namespaces/<ns>/<group>/<plural>.yaml`, `namespaces/<ns>/pods/<pod>/...` or
    /// `cluster-scoped-resources/<group>/...`, every root at the shallowest depth found.
    fn detect(&self, raw: &RawBundle) -> Option<Detection> {
        find_roots(raw).map(|roots| Detection {
            confidence: Confidence::Layout,
            roots,
        })
    }

    fn looked_for(&self, single_file: bool) -> Option<&'static str> {
        (!single_file)
            .then_some("a must-gather `namespaces/<ns>/core/pods.yaml` or `namespaces/<ns>/pods/`")
    }

    fn read(
        &self,
        source: &BundleSource,
        raw: RawBundle<'_>,
        found: &Detection,
    ) -> (Cluster, Vec<String>) {
        read(source, raw, &found.roots)
    }
}

/// Every must-gather root (the directories holding `namespaces/` or
/// `cluster-scoped-resources/`) at the shallowest depth found, as prefixes ending in `/`.
fn find_roots(raw: &RawBundle) -> Option<Vec<String>> {
    let mut roots: BTreeSet<(usize, String)> = BTreeSet::new();
    for path in raw.iter_paths() {
        let parts: Vec<&str> = path.split('/').collect();
        for i in 0..parts.len().min(MAX_ROOT_DEPTH + 1) {
            let rest = &parts[i + 1..];
            let matches = match parts[i] {
                "namespaces" => is_namespace_member(rest),
                "cluster-scoped-resources" => rest.len() >= 2,
                _ => false,
            };
            if matches {
                let root = parts[..i].iter().map(|p| format!("{p}/")).collect();
                roots.insert((i, root));
                break;
            }
        }
    }
    let depth = roots.first()?.0;
    Some(
        roots
            .into_iter()
            .filter(|(d, _)| *d == depth)
            .map(|(_, r)| r)
            .collect(),
    )
}

/// `<ns>/<group>/<plural>.yaml` or `<ns>/pods/<pod>/...` (not the ktriage `<ns>/<res>.yaml`).
fn is_namespace_member(rest: &[&str]) -> bool {
    match rest {
        [_, "pods", _, _, ..] => true,
        [_, _, file] => file.ends_with(".yaml") || file.ends_with(".json"),
        _ => false,
    }
}

/// Reads the must-gather trees at `roots` into one cluster.
fn read(source: &BundleSource, mut raw: RawBundle<'_>, roots: &[String]) -> (Cluster, Vec<String>) {
    let mut warnings = raw.warnings;
    let mut cluster = Cluster {
        name: source.stem(),
        documents: raw.documents.then(Vec::new),
        ..Cluster::default()
    };
    let mut lists_read: BTreeSet<(String, String)> = BTreeSet::new();
    let mut per_object: Vec<(&str, &str, &str, &[u8])> = Vec::new(); // ns, plural, rel, bytes
    let mut per_pod: Vec<(&str, &str, &str, &[u8])> = Vec::new(); // ns, pod, rel, bytes
    let mut collected_at: Option<Time> = None;
    reserve_parsed(&mut cluster, &raw.files);
    for (path, data) in &mut raw.files {
        if path == "timestamp" || path.ends_with("/timestamp") {
            collected_at = collected_at.max(latest_timestamp(data.bytes()));
            continue;
        }
        let Some(rel) = roots.iter().find_map(|r| path.strip_prefix(r.as_str())) else {
            continue;
        };
        let parts: Vec<&str> = rel.split('/').collect();
        match parts.as_slice() {
            ["namespaces", ns, group, file] => {
                let plural = strip_ext(file);
                if is_read(group, plural) {
                    add_file(&mut cluster, plural, rel, data, &mut warnings);
                    lists_read.insert(((*ns).to_owned(), plural.to_owned()));
                } else {
                    add_documents(&mut cluster, plural, rel, data.bytes(), &mut warnings);
                }
            }
            // The namespace object itself: `namespaces/<ns>/<ns>.yaml`.
            ["namespaces", ns, file] if strip_ext(file) == *ns => {
                add_documents(&mut cluster, "namespaces", rel, data.bytes(), &mut warnings);
            }
            ["namespaces", ns, "pods", pod, file] if strip_ext(file) == *pod => {
                per_pod.push((ns, pod, rel, data.bytes()));
            }
            ["namespaces", ns, group, plural, _] if is_read(group, plural) => {
                per_object.push((ns, plural, rel, data.bytes()));
            }
            // Per-object copies of kinds the model does not keep (`oc adm inspect` writes them).
            ["namespaces", _ns, _group, plural, _] => {
                add_documents(&mut cluster, plural, rel, data.bytes(), &mut warnings);
            }
            [
                "cluster-scoped-resources",
                "core",
                "nodes.yaml" | "nodes.json",
            ]
            | ["cluster-scoped-resources", "core", "nodes", _] => {
                add_file(&mut cluster, "nodes", rel, data, &mut warnings);
            }
            ["cluster-scoped-resources", "config.openshift.io", file, ..] => {
                openshift_config(&mut cluster, file, rel, data.bytes());
                add_documents(
                    &mut cluster,
                    strip_ext(file),
                    rel,
                    data.bytes(),
                    &mut warnings,
                );
            }
            // Other cluster-scoped lists and per-object copies (`core/namespaces/<ns>.yaml`).
            ["cluster-scoped-resources", _group, file]
            | ["cluster-scoped-resources", _group, file, _] => {
                add_documents(
                    &mut cluster,
                    strip_ext(file),
                    rel,
                    data.bytes(),
                    &mut warnings,
                );
            }
            _ => {}
        }
    }
    for (ns, plural, rel, bytes) in per_object {
        if !lists_read.contains(&(ns.to_owned(), plural.to_owned())) {
            add_resource(&mut cluster, plural, rel, bytes, &mut warnings);
        }
    }
    // Per-pod copies fill in pods missing from `core/pods.yaml` (absent or empty there).
    let listed: BTreeSet<(String, String)> = cluster
        .pods
        .iter()
        .map(|p| (p.metadata.namespace.clone(), p.metadata.name.clone()))
        .collect();
    for (ns, pod, rel, bytes) in per_pod {
        if !listed.contains(&(ns.to_owned(), pod.to_owned())) {
            add_resource(&mut cluster, "pods", rel, bytes, &mut warnings);
        }
    }
    read_logs(&mut cluster, raw.logs, roots);
    if cluster.pods.is_empty() {
        warnings.push(
            "no pod objects in this must-gather (no `core/pods.yaml` or `pods/<pod>/<pod>.yaml`); only logs and events can be shown"
                .to_owned(),
        );
    }
    cluster.collected_at = collected_at;
    infer_collected_at(&mut cluster, "no `timestamp` file", &mut warnings);
    (cluster, warnings)
}

fn strip_ext(file: &str) -> &str {
    file.strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".json"))
        .unwrap_or(file)
}

/// Whether `<group>/<plural>` is a resource the model keeps.
fn is_read(group: &str, plural: &str) -> bool {
    RESOURCES
        .iter()
        .any(|(g, plurals)| *g == group && plurals.contains(&plural))
}

/// Cluster name (`infrastructures` `status.infrastructureName`) and version (`clusterversions`
/// `status.desired.version`) from `cluster-scoped-resources/config.openshift.io/`.
fn openshift_config(cluster: &mut Cluster, file: &str, rel: &str, bytes: &[u8]) {
    let field: &[&str] = match strip_ext(file) {
        "infrastructures" => &["status", "infrastructureName"],
        "clusterversions" => &["status", "desired", "version"],
        _ => return,
    };
    let parsed = parse_objects::<Value>(rel, bytes);
    let Some(value) = parsed.items.iter().find_map(|v| {
        field
            .iter()
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }) else {
        return;
    };
    if field.len() == 2 {
        value.clone_into(&mut cluster.name);
    } else {
        cluster.server_version = Some(format!("OpenShift {value}"));
    }
}

/// The latest time in a must-gather `timestamp` file: Go `time.Time.String()` lines such as
/// `2021-09-14 16:43:44.051395446 +0200 CEST m=+1.404430641` (start and end of each gather).
fn latest_timestamp(bytes: &[u8]) -> Option<Time> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(parse_go_time)
        .max()
}

/// Parses `2021-09-14 16:43:44.05 +0200 CEST m=+1.40` (zone name and monotonic part ignored).
fn parse_go_time(line: &str) -> Option<Time> {
    let mut fields = line.split_whitespace();
    let (date, time, offset) = (fields.next()?, fields.next()?, fields.next()?);
    let (sign, digits) = offset.split_at_checked(1)?;
    if !matches!(sign, "+" | "-")
        || digits.len() != 4
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Time::parse(&format!(
        "{date}T{time}{sign}{}:{}",
        &digits[..2],
        &digits[2..]
    ))
}

/// The log files found for one container.
#[derive(Default)]
struct Slots {
    current: Option<LogFile>,
    current_insecure: Option<LogFile>,
    previous: Option<LogFile>,
    previous_insecure: Option<LogFile>,
    /// `(instance number, rotation stamp, file)`.
    rotated: Vec<(i64, String, LogFile)>,
}

/// Picks each container's current and previous log (see the module docs for the rules).
fn read_logs(cluster: &mut Cluster, logs: BTreeMap<String, LogFile>, roots: &[String]) {
    let mut slots: BTreeMap<(String, String, String), Slots> = BTreeMap::new();
    for (path, mut log) in logs {
        let Some(rel) = roots.iter().find_map(|r| path.strip_prefix(r.as_str())) else {
            continue;
        };
        let parts: Vec<&str> = rel.split('/').collect();
        let (ns, pod, container, tail) = match parts.as_slice() {
            ["namespaces", ns, "pods", pod, c, c2, "logs", tail @ ..] if c == c2 => {
                (*ns, *pod, *c, tail)
            }
            _ => continue,
        };
        log.rename(rel);
        let entry = slots
            .entry((ns.to_owned(), pod.to_owned(), container.to_owned()))
            .or_default();
        match tail {
            ["current.log"] => entry.current = Some(log),
            ["current.insecure.log"] => entry.current_insecure = Some(log),
            ["previous.log"] => entry.previous = Some(log),
            ["previous.insecure.log"] => entry.previous_insecure = Some(log),
            ["rotated", name] => {
                if let Some((n, stamp)) = name.split_once(".log.")
                    && let Ok(n) = n.parse::<i64>()
                {
                    entry.rotated.push((n, stamp.to_owned(), log));
                }
            }
            _ => {}
        }
    }
    let restarts: BTreeMap<(String, String, String), i64> = cluster
        .pods
        .iter()
        .flat_map(|p| {
            p.status
                .container_statuses
                .iter()
                .chain(&p.status.init_container_statuses)
                .map(|c| {
                    (
                        (
                            p.metadata.namespace.clone(),
                            p.metadata.name.clone(),
                            c.name.clone(),
                        ),
                        c.restart_count,
                    )
                })
        })
        .collect();
    for (key, s) in slots {
        let current = usable(s.current, s.current_insecure);
        let mut previous = usable(s.previous, s.previous_insecure);
        if previous.as_ref().is_none_or(LogFile::is_empty_or_error)
            && let Some(&restarts) = restarts.get(&key)
            && let Some((_, _, rotated)) = s
                .rotated
                .into_iter()
                .filter(|(n, _, _)| *n + 1 == restarts)
                .max_by(|a, b| a.1.cmp(&b.1))
        {
            previous = Some(rotated);
        }
        let (ns, pod, container) = key;
        if let Some(log) = current {
            add_log(cluster, &ns, &pod, &container, false, log);
        }
        if let Some(log) = previous {
            add_log(cluster, &ns, &pod, &container, true, log);
        }
    }
}

/// The normal file when it holds output, else the `insecure` fallback when that does, else
/// whichever exists.
fn usable(normal: Option<LogFile>, insecure: Option<LogFile>) -> Option<LogFile> {
    match (normal, insecure) {
        (Some(n), Some(i)) if n.is_empty_or_error() && !i.is_empty_or_error() => Some(i),
        (Some(n), _) => Some(n),
        (None, i) => i,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::SCANNER;

    #[test]
    fn go_time_strings() {
        let t = parse_go_time("2021-09-14 16:44:22.408322048 +0200 CEST m=+39.761357218").unwrap();
        assert_eq!(t.to_string(), "2021-09-14T14:44:22Z");
        let utc = parse_go_time("2021-09-14 14:43:46.909613294 +0000 UTC m=+0.079937509").unwrap();
        assert_eq!(utc.to_string(), "2021-09-14T14:43:46Z");
        assert_eq!(parse_go_time("not a time"), None);
        assert_eq!(parse_go_time("2021-09-14 16:44:22 CEST"), None);
        let both =
            b"2021-09-14 16:43:44.05 +0200 CEST m=+1.4\n2021-09-14 16:44:22.4 +0200 CEST m=+39.7\n";
        assert_eq!(
            latest_timestamp(both).unwrap().to_string(),
            "2021-09-14T14:44:22Z"
        );
    }

    fn log(source: &str, text: &str) -> LogFile {
        LogFile::new(
            source.to_owned(),
            text.into(),
            text.len() as u64,
            0,
            &SCANNER,
        )
    }

    #[test]
    fn newest_rotation_of_the_previous_instance_stands_in_for_an_empty_previous_log() {
        let pods = "---\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: api-1\n    namespace: shop\n  status:\n    containerStatuses:\n    - name: api\n      restartCount: 3\n    - name: side\n      restartCount: 1\nkind: PodList\nmetadata:\n  resourceVersion: \"1\"\n";
        let mut raw = RawBundle::new(&SCANNER);
        raw.files.insert(
            "mg/namespaces/shop/core/pods.yaml".to_owned(),
            pods.as_bytes().to_vec().into(),
        );
        let dir = "mg/namespaces/shop/pods/api-1/api/api/logs";
        for (name, text) in [
            ("previous.log", ""),
            ("previous.insecure.log", ""),
            ("current.log", ""),
            ("current.insecure.log", "2026-11-28T04:59:00Z starting\n"),
            (
                "rotated/2.log.20261128-044001",
                "2026-11-28T04:40:01+00:00 stderr F older chunk\n",
            ),
            (
                "rotated/2.log.20261128-045001",
                "2026-11-28T04:50:01+00:00 stderr P panic: \n2026-11-28T04:50:01+00:00 stderr F boom\n",
            ),
            (
                "rotated/3.log.20261128-045901",
                "2026-11-28T04:59:01+00:00 stdout F running\n",
            ),
        ] {
            let path = format!("{dir}/{name}");
            raw.logs.insert(path.clone(), log(&path, text));
        }
        let side = "mg/namespaces/shop/pods/api-1/side/side/logs";
        raw.logs.insert(
            format!("{side}/rotated/1.log.20261128-045901"),
            log("x", "2026-11-28T04:59:01+00:00 stdout F running instance\n"),
        );
        let (cluster, _) = read(&BundleSource::new("mg.tar.gz"), raw, &["mg/".to_owned()]);
        let api = cluster.find_logs("shop", "api-1", "api").unwrap();
        let previous = api.previous.as_ref().unwrap();
        assert!(previous.source.ends_with("rotated/2.log.20261128-045001"));
        assert_eq!(previous.lines()[0].text, "panic: boom");
        assert!(
            api.current
                .as_ref()
                .unwrap()
                .source
                .ends_with("current.insecure.log")
        );
        // `side` restarted once: its rotation 1 is the running instance, not the previous one.
        let side = cluster.find_logs("shop", "api-1", "side");
        assert!(side.is_none_or(|l| l.previous.is_none()));
    }

    #[test]
    fn roots_two_levels_down_and_not_ktriage() {
        let mut raw = RawBundle::new(&SCANNER);
        for p in [
            "mg.local.1/quay-io-x-sha256-1/namespaces/shop/core/pods.yaml",
            "mg.local.1/quay-io-y-sha256-2/namespaces/shop/pods/p/c/c/logs/current.log",
            "mg.local.1/timestamp",
        ] {
            raw.files.insert(p.to_owned(), Vec::new().into());
        }
        assert_eq!(
            find_roots(&raw).unwrap(),
            [
                "mg.local.1/quay-io-x-sha256-1/",
                "mg.local.1/quay-io-y-sha256-2/"
            ]
        );
        let mut ktriage = RawBundle::new(&SCANNER);
        ktriage
            .files
            .insert("b/namespaces/shop/pods.yaml".to_owned(), Vec::new().into());
        assert_eq!(find_roots(&ktriage), None);
    }
}
