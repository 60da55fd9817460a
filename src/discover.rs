//! Inputs -> the sorted list of bundles to analyze.
//!
//! A path is a bundle when it is a file, or a directory that looks like a bundle (has a
//! marker file or directory); any other directory is searched for bundles. A bundle directory
//! is never searched for further bundles inside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bundle::BundleSource;

/// Names that make a directory a bundle root (or its single top directory).
const MARKERS: &[&str] = &[
    "manifest.json",
    "cluster-resources",
    "namespaces",
    "cluster-scoped-resources",
    "nodes.json",
    "version.yaml",
];

/// Archive and dump file names taken when searching a directory.
const BUNDLE_EXTENSIONS: &[&str] = &[
    ".tar.gz", ".tgz", ".tar", ".tar.zst", ".tzst", ".tar.xz", ".txz", ".gz", ".json", ".yaml",
    ".txt",
];

/// The bundles to analyze, and what was wrong with the paths that named them.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    /// Sorted, each bundle once.
    pub sources: Vec<BundleSource>,
    /// One line for each bundle named more than once (by two paths, a link, or a directory
    /// search that found a path also given), naming both paths.
    pub warnings: Vec<String>,
}

/// Expands the command-line paths into bundle sources, sorted, each bundle once. A path that
/// does not exist is kept, so that its failure is reported like any other; so is a path inside
/// a bundle directory, marked (`BundleSource::within`) to fail with a message naming the bundle.
///
/// The same bundle is recognized by identity, not by name: the same file or directory (device
/// and inode on Unix, the canonical path elsewhere), however it was named. Two copies of a
/// bundle are two bundles.
#[must_use]
pub(crate) fn discover(paths: &[PathBuf]) -> Discovered {
    let mut out = Vec::new();
    for path in paths {
        let within = enclosing_bundle(path);
        if within.is_some() {
            out.push(BundleSource {
                path: path.clone(),
                within,
            });
        } else if path.is_dir() && !is_bundle_dir(path) {
            search(path, &mut out, 0);
        } else {
            out.push(BundleSource::new(path.clone()));
        }
    }
    out.sort();
    let mut warnings = Vec::new();
    let mut seen: BTreeMap<Identity, usize> = BTreeMap::new();
    let mut sources: Vec<BundleSource> = Vec::with_capacity(out.len());
    for source in out {
        let id = identity(&source.path);
        if let Some(&first) = seen.get(&id) {
            let kept: &BundleSource = &sources[first];
            let (a, b) = (kept.path.display(), source.path.display());
            let warning = if kept.path == source.path {
                format!("`{a}` is named more than once: analyzed once")
            } else {
                let what = if source.path.is_dir() {
                    "directory"
                } else {
                    "file"
                };
                format!("`{b}` is the same {what} as `{a}`: analyzed once, as `{a}`")
            };
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
            continue;
        }
        seen.insert(id, sources.len());
        sources.push(source);
    }
    Discovered { sources, warnings }
}

/// What makes two paths the same bundle.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Identity {
    /// Device and inode (links followed).
    Node(u64, u64),
    /// The canonical path, or the path as given when it cannot be resolved.
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata(path) {
            return Identity::Node(meta.dev(), meta.ino());
        }
    }
    Identity::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()))
}

/// The bundle directory that `path` lies inside, when `path` is not a bundle itself: a file
/// or directory of a bundle (`dump/manifest.json`, `dump/namespaces/`). The ancestors are those
/// of the path as given (`samples/x/manifest.json` -> `samples/x`), so the message shows it
/// as the user wrote it.
#[must_use]
pub(crate) fn enclosing_bundle(path: &Path) -> Option<PathBuf> {
    if !path.exists() || (path.is_dir() && is_bundle_dir(path)) {
        return None;
    }
    path.ancestors().skip(1).find_map(|a| {
        let dir = if a.as_os_str().is_empty() {
            Path::new(".")
        } else {
            a
        };
        is_bundle_dir(dir).then(|| dir.to_owned())
    })
}

fn search(dir: &Path, out: &mut Vec<BundleSource>, depth: usize) {
    if depth > 16 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push(BundleSource::new(dir));
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name.starts_with("._") {
            continue;
        }
        if meta.is_dir() {
            if is_bundle_dir(&path) {
                out.push(BundleSource::new(path));
            } else {
                search(&path, out, depth + 1);
            }
        } else if meta.is_file()
            && BUNDLE_EXTENSIONS.iter().any(|e| name.ends_with(e))
            && !is_sidecar_file(&name)
        {
            out.push(BundleSource::new(path));
        }
    }
}

/// Files `oc adm must-gather` writes beside its image directory (`must-gather.local.<n>/`).
const WRAPPER_FILES: &[&str] = &["timestamp", "event-filter.html", "must-gather.logs"];

/// Whether a directory is a bundle: a marker at its root or in its single subdirectory, down
/// to three levels (must-gather: `<dir>/must-gather.local.<n>/<image-dir>/namespaces`).
#[must_use]
pub(crate) fn is_bundle_dir(dir: &Path) -> bool {
    is_bundle_dir_at(dir, 0)
}

fn is_bundle_dir_at(dir: &Path, depth: usize) -> bool {
    let has_marker = |d: &Path| MARKERS.iter().any(|m| d.join(m).exists());
    if has_marker(dir) {
        return true;
    }
    if depth >= 2 {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let children: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    let (dirs, files): (Vec<&PathBuf>, Vec<&PathBuf>) = children.iter().partition(|p| p.is_dir());
    let only_wrapper_files = files.iter().all(|f| {
        f.file_name()
            .is_some_and(|n| WRAPPER_FILES.contains(&n.to_string_lossy().as_ref()))
    });
    matches!(dirs.as_slice(), [only] if only_wrapper_files && is_bundle_dir_at(only, depth + 1))
}

/// Files that sit beside bundles but are not bundles (notes, expectations, reports).
fn is_sidecar_file(name: &str) -> bool {
    name.ends_with(".md") || name == "expected.tsv" || name.ends_with(".report.json")
}

/// The K-th of N shares of `sources`: every N-th source starting at K, of the sorted list.
#[must_use]
pub(crate) fn shard(sources: Vec<BundleSource>, k: usize, n: usize) -> Vec<BundleSource> {
    sources
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % n == k)
        .map(|(_, s)| s)
        .collect()
}
