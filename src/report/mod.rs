//! The report: what every bundle gave (status, warnings, failures), the ranked findings and the
//! fleet view; and its three renderings. Renderers only format.

mod json;
mod markdown;
mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::diagnose::ReportFinding;

/// JSON report schema version (DESIGN.md §5).
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report of one run (or of merged shard runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub bundles: Vec<BundleReport>,
    pub findings: Vec<ReportFinding>,
    pub fleet: Vec<FleetEntry>,
}

/// `tool` of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleReport {
    pub path: String,
    pub format: Option<String>,
    pub cluster: Option<String>,
    pub collected_at: Option<String>,
    /// `ok`, `partial` (analyzed with warnings) or `failed`.
    pub status: String,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    /// Pods read from the bundle.
    #[serde(default)]
    pub pods: usize,
    /// Findings from this bundle (before `--min-severity` filtering).
    #[serde(default)]
    pub findings: usize,
}

/// The same failure in several clusters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetEntry {
    pub cause: String,
    /// `Deployment velero / velero`: workload and container, pod-name hashes normalized.
    pub signature: String,
    pub clusters: Vec<String>,
    pub pods: usize,
    pub finding_ranks: Vec<usize>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

impl Report {
    /// Builds a report: ranks the findings across bundles and computes the fleet view.
    #[must_use]
    pub fn new(mut bundles: Vec<BundleReport>, mut findings: Vec<ReportFinding>) -> Self {
        bundles.sort_by(|a, b| a.path.cmp(&b.path));
        crate::rank::rank_all(&mut findings);
        let fleet = fleet(&findings);
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "ktriage".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            bundles,
            findings,
            fleet,
        }
    }

    /// Keeps only findings at or above `level` (0 low … 3 critical) and renumbers them.
    pub fn retain_min_severity(&mut self, level: u8) {
        self.findings
            .retain(|f| crate::rank::severity_level(&f.severity) >= level);
        for (i, f) in self.findings.iter_mut().enumerate() {
            f.rank = i + 1;
        }
        self.fleet = fleet(&self.findings);
    }

    /// Whether any bundle failed outright.
    #[must_use]
    pub fn has_failures(&self) -> bool {
        self.bundles.iter().any(|b| b.status == "failed")
    }

    /// Number of distinct clusters among analyzed bundles.
    #[must_use]
    pub fn cluster_count(&self) -> usize {
        self.bundles
            .iter()
            .filter_map(|b| b.cluster.as_deref())
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// Writes the report in `format`.
    ///
    /// # Errors
    /// Any error of the writer.
    pub fn render(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Table => table::render(self, out),
            Format::Json => json::render(self, out),
            Format::Markdown => markdown::render(self, out),
        }
    }
}

/// Groups findings of the same cause and workload/container (or image repository) across
/// clusters; entries hitting two or more clusters, most clusters first.
#[must_use]
pub fn fleet(findings: &[ReportFinding]) -> Vec<FleetEntry> {
    // (cause, signature) -> (clusters, pods, finding ranks)
    type Group = (BTreeSet<String>, usize, Vec<usize>);
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for f in findings {
        let signature = format!(
            "{} {} / {}",
            f.workload.kind,
            normalize_name(&f.workload.name, &f.workload.kind),
            f.container
        );
        let entry = groups.entry((f.cause.clone(), signature)).or_default();
        entry.0.insert(f.cluster.clone());
        entry.1 += f.pods.len();
        entry.2.push(f.rank);
    }
    let mut out: Vec<FleetEntry> = groups
        .into_iter()
        .filter(|(_, (clusters, _, _))| clusters.len() >= 2)
        .map(|((cause, signature), (clusters, pods, mut ranks))| {
            ranks.sort_unstable();
            FleetEntry {
                cause,
                signature,
                clusters: clusters.into_iter().collect(),
                pods,
                finding_ranks: ranks,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.clusters
            .len()
            .cmp(&a.clusters.len())
            .then_with(|| b.pods.cmp(&a.pods))
            .then_with(|| a.finding_ranks.cmp(&b.finding_ranks))
    });
    out
}

/// A bare pod's name without its generated suffixes (`api-7d9c5b6f4d-k2x8q` -> `api`).
fn normalize_name(name: &str, kind: &str) -> String {
    if kind != "Pod" && kind != "ReplicaSet" {
        return name.to_owned();
    }
    let parts: Vec<&str> = name.split('-').collect();
    let is_hash = |p: &str| {
        p.len() >= 5
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && p.chars().any(|c| c.is_ascii_digit())
    };
    let keep = parts
        .iter()
        .rposition(|p| !is_hash(p))
        .map_or(parts.len(), |i| i + 1);
    parts[..keep].join("-")
}
