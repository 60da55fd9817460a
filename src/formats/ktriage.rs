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
        let stderr = e
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message")
            .trim();
        warnings.push(format!("collection failed: `{}`: {stderr}", e.command));
    }
    let mut cluster = Cluster {
        name: manifest
            .cluster
            .or(manifest.context)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| source.stem()),
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
