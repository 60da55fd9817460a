//! The members of one bundle as the reader hands them over (`bundle::Sink`), before any format
//! has read them: which members are kept and how, resource files parsed as they arrive
//! (`digest`), logs scanned as they arrive.

use std::collections::BTreeMap;

use crate::bundle::{Keep, Sink, Tail};
use crate::logscan::Scanner;
use crate::model::LogFile;

use super::{ParsedFile, digest};

/// The members of one bundle kept for analysis, by normalized relative path. Filled by the
/// bundle reader (it is the `bundle::Sink`), then read by one format (`super::load`).
#[derive(Debug)]
pub struct RawBundle<'s> {
    /// Resource files (YAML, JSON, text): bytes, or objects already parsed.
    pub files: BTreeMap<String, FileData>,
    /// Log files, as bounded tails.
    pub logs: BTreeMap<String, LogFile>,
    /// Problems with single files that did not stop the bundle.
    pub warnings: Vec<String>,
    /// True when the input was one file that is not an archive (a `cluster-info dump` stdout file).
    pub single_file: bool,
    /// Scans logs for signatures as they arrive, and the logs a format splits out of one file.
    pub scanner: &'s Scanner,
    /// Read for `ktriage serve` (`for_documents`): resource files are kept as bytes (never
    /// digested into the model as read) and the formats start their cluster with
    /// `Cluster::documents` (`documents.then(Vec::new)`), recording every resource file's
    /// objects whole there.
    pub documents: bool,
    /// How much of each log's tail is kept once scanned: `KEPT_TAIL_BYTES` for analysis, the
    /// whole window read for `serve`.
    pub log_keep: usize,
}

impl<'s> RawBundle<'s> {
    /// No members yet; logs will be scanned with `scanner`.
    #[must_use]
    pub fn new(scanner: &'s Scanner) -> Self {
        RawBundle {
            files: BTreeMap::new(),
            logs: BTreeMap::new(),
            warnings: Vec::new(),
            single_file: false,
            scanner,
            documents: false,
            log_keep: crate::model::log::KEPT_TAIL_BYTES,
        }
    }

    /// No members yet, read to serve the bundle as it is: every resource file kept whole and
    /// recorded in `Cluster::documents`, logs kept as read (up to `Limits::log_window_bytes`).
    #[must_use]
    pub fn for_documents(scanner: &'s Scanner) -> Self {
        RawBundle {
            documents: true,
            log_keep: usize::MAX,
            ..Self::new(scanner)
        }
    }

    /// Every kept path, files and logs, sorted.
    pub fn iter_paths(&self) -> impl Iterator<Item = &str> {
        self.files
            .keys()
            .chain(self.logs.keys())
            .map(String::as_str)
    }
}

impl Sink for RawBundle<'_> {
    /// Logs as tails, other files analysis could want whole, nothing else.
    fn keep(&self, path: &str) -> Keep {
        if !is_wanted(path) {
            Keep::Skip
        } else if is_log_path(path) || path.ends_with(".gz") {
            Keep::Tail
        } else {
            Keep::Whole
        }
    }

    /// Parses the file now when its path names a kind the model keeps (`digest`), else keeps
    /// its bytes for the format readers.
    fn file(&mut self, path: String, bytes: &[u8]) {
        let data = if self.documents {
            FileData::Bytes(bytes.to_vec())
        } else {
            digest(&path, bytes, &self.files)
        };
        self.files.insert(path, data);
    }

    fn tail(&mut self, tail: Tail) {
        let log = LogFile {
            source: tail.path,
            text: tail.text,
            total_bytes: tail.total_bytes,
            skipped_lines: tail.skipped_lines,
            scanned: None,
        };
        self.logs.insert(
            log.source.clone(),
            scanned(log, self.scanner, self.log_keep),
        );
    }

    fn single_file(&mut self, name: String, bytes: Vec<u8>) {
        self.single_file = true;
        self.files.insert(name, FileData::Bytes(bytes));
    }

    fn warning(&mut self, text: String) {
        self.warnings.push(text);
    }
}

/// One kept resource file.
#[derive(Debug)]
pub enum FileData {
    /// The file's bytes, whole.
    Bytes(Vec<u8>),
    /// Its objects, parsed as the file was read because its path names a kind the model keeps
    /// (`digest`); the bytes are gone, so a bundle is never all in memory at once.
    Parsed(Box<ParsedFile>),
}

impl FileData {
    /// The file's bytes; empty for a parsed file (only files named after a resource kind are
    /// parsed early, and the readers look into the bytes only of other files).
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Bytes(bytes) => bytes,
            Self::Parsed(_) => &[],
        }
    }
}

impl From<Vec<u8>> for FileData {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(bytes)
    }
}

/// A container's log scanned as it is read, keeping only its last `keep` bytes (`LogFile::scan`). A
/// cluster-info dump's `logs.txt` holds several containers' logs: it is kept whole, to be
/// split (each part is scanned then).
fn scanned(log: LogFile, scanner: &Scanner, keep: usize) -> LogFile {
    if log.source.ends_with("/logs.txt") || log.source == "logs.txt" {
        log
    } else {
        log.scan(scanner, keep)
    }
}

/// Whether a member path is a log (kept as a bounded tail) rather than a resource file.
fn is_log_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".log")
        || name == "logs.txt"
        || path.contains("/rotated/")
        || (path.contains("/logs/") && (name.ends_with(".txt") || name.contains(".log.")))
}

/// Whether analysis could want this member at all (resources and logs; not binaries,
/// host tooling output, metrics or audit logs).
fn is_wanted(path: &str) -> bool {
    // Must-gather folders of host and cluster-wide data no rule reads. Underscores cannot occur
    // in namespace names, so these never hide a namespace's resources or logs.
    const SKIP_DIRS: [&str; 5] = [
        "audit_logs/",
        "host_service_logs/",
        "etcd_info/",
        "network_logs/",
        "ingress_controllers/",
    ];
    if SKIP_DIRS.iter().any(|d| path.contains(d)) {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    is_log_path(path)
        || [".yaml", ".yml", ".json", ".txt"]
            .iter()
            .any(|e| name.ends_with(e))
        || name.ends_with(".log.gz")
        || name == "timestamp" // must-gather collection times
        || (path.contains("/rotated/") && name.ends_with(".gz"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::SCANNER;

    #[test]
    fn kept_members() {
        let raw = RawBundle::new(&SCANNER);
        let cases = [
            ("b/namespaces/shop/pods.yaml", Keep::Whole),
            ("b/manifest.json", Keep::Whole),
            ("mg/timestamp", Keep::Whole),
            ("b/logs/shop/api-1/api.previous.log", Keep::Tail),
            ("b/default/api-1/logs.txt", Keep::Tail),
            ("sb/app-logs/worker.log.gz", Keep::Tail),
            (
                "mg/namespaces/shop/pods/p/c/c/logs/rotated/0.log.20260301-101500.gz",
                Keep::Tail,
            ),
            ("b/bin/kubectl", Keep::Skip),
            ("mg/audit_logs/kube-apiserver/audit.log", Keep::Skip),
            ("b/metrics.tar.gz", Keep::Skip),
        ];
        for (path, want) in cases {
            assert_eq!(raw.keep(path), want, "{path}");
        }
    }
}
