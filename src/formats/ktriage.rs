//! The ktriage bundle, format v1 (docs/design.md §2): `manifest.json`, `cluster/`, `namespaces/`, `logs/`.

use serde::Deserialize;

use super::{
    BundleFormat, Confidence, Detection, RawBundle, add_documents, add_file, add_log,
    reserve_parsed,
};
use crate::bundle::BundleSource;
use crate::model::{Cluster, Time};

/// The ktriage bundle: `ktriage-collect`'s output.
pub(super) struct Ktriage;

impl BundleFormat for Ktriage {
    fn name(&self) -> &'static str {
        "ktriage"
    }

    /// Declared: a `manifest.json` saying `"format": "ktriage-bundle"`.
    fn detect(&self, raw: &RawBundle) -> Option<Detection> {
        find_root(raw).map(|root| Detection::at(Confidence::Declared, root))
    }

    fn looked_for(&self, single_file: bool) -> Option<&'static str> {
        (!single_file).then_some("a ktriage `manifest.json`")
    }

    fn read(
        &self,
        source: &BundleSource,
        raw: RawBundle<'_>,
        found: &Detection,
    ) -> (Cluster, Vec<String>) {
        read(source, raw, found.root())
    }
}

/// `manifest.json`, the fields the analyzer reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Manifest {
    format: String,
    format_version: Option<i64>,
    cluster: Option<String>,
    context: Option<String>,
    collected_at: Option<String>,
    server_version: Option<String>,
    errors: Vec<CollectionError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CollectionError {
    command: String,
    stderr: String,
}

/// The line of a failed kubectl call's stderr that says why it failed. Collectors record only
/// those lines; older ones recorded stderr whole, where kubectl's own log lines (`E1208
/// 03:52:45.123456   12345 memcache.go:287] couldn't get resource list for metrics.k8s.io/v1beta1:
/// ...`, printed on every call while an aggregated API is down) and the API server's `Warning:`
/// lines come first. The first `Error from server ...` or `error: ...` line, else the first line
/// that is neither, else the last line.
fn decisive_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let is_error = |l: &&&str| {
        ["Error from server", "error:", "Error:"]
            .iter()
            .any(|p| l.starts_with(p))
    };
    let is_noise = |l: &&&str| is_klog_line(l) || l.starts_with("Warning: ");
    lines
        .iter()
        .find(is_error)
        .or_else(|| lines.iter().find(|l| !is_noise(l)))
        .or(lines.last())
        .copied()
        .unwrap_or("no message")
}

/// Whether `line` starts with a klog header, `E1208 03:52:45.123456   12345 file.go:287] `.
fn is_klog_line(line: &str) -> bool {
    let b = line.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F'))
        && digits(1..5)
        && b.get(5) == Some(&b' ')
        && digits(6..8)
        && b.get(8) == Some(&b':')
        && line
            .split_once("] ")
            .and_then(|(head, _)| head.rsplit_once(' '))
            .is_some_and(|(_, at)| at.contains(':'))
}

/// The directory holding a ktriage `manifest.json` (shallowest first), as a prefix ending in
/// `/` (or empty for the archive root).
fn find_root(raw: &RawBundle) -> Option<String> {
    let mut candidates: Vec<&String> = raw
        .files
        .keys()
        .filter(|p| *p == "manifest.json" || p.ends_with("/manifest.json"))
        .collect();
    candidates.sort_by_key(|p| (p.matches('/').count(), (*p).clone()));
    candidates.into_iter().find_map(|p| {
        let manifest: Manifest = serde_json::from_slice(raw.files[p].bytes()).ok()?;
        (manifest.format == "ktriage-bundle")
            .then(|| p.trim_end_matches("manifest.json").to_owned())
    })
}

/// Reads a ktriage bundle rooted at `root`.
fn read(source: &BundleSource, mut raw: RawBundle<'_>, root: &str) -> (Cluster, Vec<String>) {
    let mut warnings = raw.warnings;
    let manifest: Manifest =
        serde_json::from_slice(raw.files[&format!("{root}manifest.json")].bytes())
            .unwrap_or_default();
    if let Some(v) = manifest.format_version.filter(|v| *v != 1) {
        warnings.push(format!("manifest.json: format_version {v} is newer than this analyzer knows (1); reading it as 1"));
    }
    let collected_at = manifest.collected_at.as_deref().and_then(Time::parse);
    if collected_at.is_none() {
        warnings
            .push("manifest.json: no valid `collected_at`; recency cannot be judged".to_owned());
    }
    for e in &manifest.errors {
        let reason = decisive_line(&e.stderr);
        warnings.push(format!("collection failed: `{}`: {reason}", e.command));
    }
    let recorded_name = manifest
        .cluster
        .or(manifest.context)
        .filter(|s| !s.is_empty());
    let mut cluster = Cluster {
        name: recorded_name.clone().unwrap_or_else(|| source.stem()),
        recorded_name,
        collected_at,
        server_version: manifest.server_version,
        documents: raw.documents.then(Vec::new),
        ..Cluster::default()
    };
    reserve_parsed(&mut cluster, &raw.files);
    for (path, data) in &mut raw.files {
        let Some(rel) = path.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<&str> = rel.split('/').collect();
        match parts.as_slice() {
            ["cluster", "nodes.yaml" | "nodes.json"] => {
                add_file(&mut cluster, "nodes", rel, data, &mut warnings);
            }
            ["cluster", file] if *file != "version.yaml" => {
                if matches!(*file, "namespaces.yaml" | "namespaces.json") {
                    cluster.kube_system_uid = kube_system_uid(rel, data.bytes());
                }
                let resource = file.trim_end_matches(".yaml").trim_end_matches(".json");
                add_documents(&mut cluster, resource, rel, data.bytes(), &mut warnings);
            }
            ["namespaces", _ns, file] => {
                let resource = file.trim_end_matches(".yaml").trim_end_matches(".json");
                add_file(&mut cluster, resource, rel, data, &mut warnings);
            }
            _ => {}
        }
    }
    for (path, mut log) in raw.logs {
        let Some(rel) = path.strip_prefix(root) else {
            continue;
        };
        let ["logs", ns, pod, file] = rel.split('/').collect::<Vec<_>>()[..] else {
            continue;
        };
        let (container, previous) = match file.strip_suffix(".previous.log") {
            Some(c) => (c, true),
            None => (file.trim_end_matches(".log"), false),
        };
        log.rename(rel);
        add_log(&mut cluster, ns, pod, container, previous, log);
    }
    (cluster, warnings)
}

/// A Namespace of `cluster/namespaces.yaml`: only its name and uid are read.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Namespace {
    metadata: crate::model::ObjectMeta,
}

/// The uid of `kube-system` in the namespaces file at `rel`, if it lists it with one.
fn kube_system_uid(rel: &str, bytes: &[u8]) -> Option<String> {
    crate::model::parse::parse_objects::<Namespace>(rel, bytes)
        .items
        .into_iter()
        .find(|n| n.metadata.name == "kube-system")
        .map(|n| n.metadata.uid)
        .filter(|uid| !uid.is_empty())
}

#[cfg(test)]
mod tests {
    use super::decisive_line;

    #[test]
    fn the_decisive_line_of_a_stderr_recorded_whole() {
        // As older collectors recorded it while metrics-server was down (kubectl 1.32).
        let stderr = "E1208 03:52:45.123456   12345 memcache.go:265] couldn't get current server API group list: the server is currently unable to handle the request
E1208 03:52:45.131020   12345 memcache.go:287] couldn't get resource list for metrics.k8s.io/v1beta1: the server is currently unable to handle the request
E1208 03:52:45.145512   12345 memcache.go:121] \"Unhandled Error\" err=\"couldn't get resource list for metrics.k8s.io/v1beta1: the server is currently unable to handle the request\"
Error from server (Forbidden): pods is forbidden: User \"jane\" cannot list resource \"pods\" in API group \"\" in the namespace \"payments\"
";
        assert_eq!(
            decisive_line(stderr),
            r#"Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "payments""#
        );
        let stderr = "Warning: policy/v1beta1 PodDisruptionBudget is deprecated\nThe connection to the server 10.20.0.1:6443 was refused - did you specify the right host or port?\n";
        assert!(decisive_line(stderr).starts_with("The connection to the server"));
        // Only kubectl's own log lines: the last one is all there is.
        let stderr = "I1208 03:52:45.1   12345 request.go:697] Waited for 1.0s due to client-side throttling\nE1208 03:52:46.2   12345 portforward.go:413] an error occurred forwarding 8080 -> 8080\n";
        assert!(decisive_line(stderr).ends_with("an error occurred forwarding 8080 -> 8080"));
        assert_eq!(
            decisive_line("error: container api is not valid for pod api-0"),
            "error: container api is not valid for pod api-0"
        );
        assert_eq!(decisive_line("\n \n"), "no message");
    }
}
