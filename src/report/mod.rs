//! The report: what every bundle gave (status, warnings, failures), the ranked findings and the
//! fleet view; and its three renderings. Renderers only format.

mod findings;
mod html;
mod json;
mod markdown;
mod table;
mod timeline;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::cause::Cause;
use crate::finding::{BundleStatus, Moment, Severity};

pub(crate) use findings::Findings;
pub(crate) use html::{HEAD as HTML_HEAD, esc as html_text, prose as html_prose};
pub(crate) use markdown::{code as markdown_code, prose as markdown_prose, text as markdown_text};

/// JSON report schema version (docs/design.md §5).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The whole report of one run (or of merged shard runs).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// Which share of the inputs this report covers, in a `--shard K/N` run's report only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    pub bundles: Vec<BundleReport>,
    /// Ranked; held whole or spilled to a temporary file (`Findings`).
    pub findings: Findings,
    pub fleet: Vec<FleetEntry>,
}

/// `tool` of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tool {
    pub name: String,
    pub version: String,
}

/// The share of the inputs one `--shard K/N` run analyzed; its inputs are its `bundles[].path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Shard {
    /// K, from 0.
    pub index: usize,
    /// N.
    pub count: usize,
    /// Inputs found before sharding: all N shards together analyze this many bundles.
    pub total_inputs: usize,
}

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BundleReport {
    pub path: String,
    pub format: Option<String>,
    pub cluster: Option<String>,
    pub collected_at: Option<String>,
    pub status: BundleStatus,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    /// Pods read from the bundle.
    #[serde(default)]
    pub pods: usize,
    /// Findings from this bundle (before `--min-severity` filtering).
    #[serde(default)]
    pub findings: usize,
    /// The cluster's own moments: the rollouts and node changes behind its findings, nodes
    /// not `Ready`, events about nodes; oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Moment>,
}

/// The same failure in several clusters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FleetEntry {
    pub cause: Cause,
    /// `Deployment velero / velero`: workload and container, pod-name hashes normalized.
    pub signature: String,
    pub clusters: Vec<String>,
    pub pods: usize,
    pub finding_ranks: Vec<usize>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For reading at a terminal.
    Table,
    /// Schema version 1, for programs.
    Json,
    /// To paste into a ticket.
    Markdown,
    /// One self-contained page: findings as cards, the fleet as a matrix, timeline charts.
    Html,
}

pub(crate) use table::{DEFAULT_LIMIT, DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH};

/// How the table is laid out; the other formats ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct View {
    /// Columns a line may take (characters; see `View::width_from`).
    pub width: usize,
    /// ANSI colour for severity.
    pub color: bool,
    /// Most findings shown as headlines (the rest are counted); `None` shows them all.
    pub limit: Option<usize>,
    /// Every detail of each finding instead of its 2-4 line summary.
    pub verbose: bool,
}

impl Default for View {
    /// 100 columns, no colour, the first `DEFAULT_LIMIT` findings, summaries.
    fn default() -> Self {
        Self {
            width: DEFAULT_WIDTH,
            color: false,
            limit: Some(DEFAULT_LIMIT),
            verbose: false,
        }
    }
}

impl View {
    /// The table's width: `COLUMNS` when it is a number, else the terminal's width (when stdout
    /// is one), else `DEFAULT_WIDTH`; kept within `MIN_WIDTH..=MAX_WIDTH`.
    #[must_use]
    pub(crate) fn width_from(columns: Option<&str>, terminal: Option<usize>) -> usize {
        columns
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c > 0)
            .or(terminal.filter(|&c| c > 0))
            .unwrap_or(DEFAULT_WIDTH)
            .clamp(MIN_WIDTH, MAX_WIDTH)
    }
}

/// `--color`: when severities are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When the output is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Even into a file or a pipe, and whatever `NO_COLOR` says.
    Always,
    /// Plain text.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether the output is a terminal and the value of `NO_COLOR`
    /// (<https://no-color.org>: any non-empty value turns colour off unless asked for).
    #[must_use]
    pub fn resolve(self, is_terminal: bool, no_color: Option<&str>) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => is_terminal && no_color.is_none_or(str::is_empty),
        }
    }
}

impl Report {
    /// Builds a report: ranks the findings across bundles and computes the fleet view.
    #[must_use]
    pub(crate) fn new(mut bundles: Vec<BundleReport>, findings: impl Into<Findings>) -> Self {
        bundles.sort_by(|a, b| a.path.cmp(&b.path));
        let mut findings = findings.into();
        findings.rank();
        let fleet = fleet(&findings);
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "ktriage".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            shard: None,
            bundles,
            findings,
            fleet,
        }
    }

    /// Keeps only findings at or above `level` and renumbers them.
    pub(crate) fn retain_min_severity(&mut self, level: Severity) {
        self.findings.retain(|k| k.severity >= level);
        self.fleet = fleet(&self.findings);
    }

    /// The bundles that could not be analyzed, as (path, error), in report order.
    pub(crate) fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.bundles
            .iter()
            .filter(|b| b.status == BundleStatus::Failed)
            .map(|b| {
                (
                    b.path.as_str(),
                    b.error.as_deref().unwrap_or("unknown error"),
                )
            })
    }

    /// Whether any bundle failed outright.
    #[must_use]
    pub(crate) fn has_failures(&self) -> bool {
        self.bundles
            .iter()
            .any(|b| b.status == BundleStatus::Failed)
    }

    /// Number of distinct clusters among analyzed bundles.
    #[must_use]
    pub(crate) fn cluster_count(&self) -> usize {
        self.bundles
            .iter()
            .filter_map(|b| b.cluster.as_deref())
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// Writes the report in `format`, a table in the default `View`.
    ///
    /// # Errors
    /// Any error of the writer.
    #[cfg(test)]
    pub(crate) fn render(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        self.render_view(format, &View::default(), out)
    }

    /// Writes the report in `format`, a table laid out as `view` says.
    ///
    /// # Errors
    /// Any error of the writer, or of reading back spilled findings.
    pub(crate) fn render_view(
        &self,
        format: Format,
        view: &View,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match format {
            Format::Table => table::render(self, view, out),
            Format::Json => json::render(self, out),
            Format::Markdown => markdown::render(self, out),
            Format::Html => html::render(self, out),
        }
    }
}

/// Groups findings of the same cause and workload/container (or image repository) across
/// clusters; entries hitting two or more clusters, most clusters first.
#[must_use]
pub(crate) fn fleet(findings: &Findings) -> Vec<FleetEntry> {
    // (cause, signature) -> (clusters, pods, finding ranks)
    type Group<'a> = (BTreeSet<&'a str>, usize, Vec<usize>);
    let mut groups: BTreeMap<(Cause, String), Group<'_>> = BTreeMap::new();
    for (rank, f) in findings.keys() {
        let signature = signature(f.kind, f.name, f.container);
        let entry = groups.entry((f.cause, signature)).or_default();
        entry.0.insert(f.cluster);
        entry.1 += f.pods;
        entry.2.push(rank);
    }
    let mut out: Vec<FleetEntry> = groups
        .into_iter()
        .filter(|(_, (clusters, _, _))| clusters.len() >= 2)
        .map(|((cause, signature), (clusters, pods, mut ranks))| {
            ranks.sort_unstable();
            FleetEntry {
                cause,
                signature,
                clusters: clusters.into_iter().map(str::to_owned).collect(),
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

/// `Deployment velero / velero`: what names one workload's container across bundles of one or
/// several clusters, pod-name hashes normalized (`normalize_name`). The fleet view groups by
/// it, `ktriage diff` matches findings by it.
#[must_use]
pub(crate) fn signature(kind: &str, name: &str, container: &str) -> String {
    format!("{kind} {} / {container}", normalize_name(name, kind))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Alternative, LastTermination, MomentKind, ReportFinding, WorkloadName};
    use crate::rules::{Evidence, EvidenceKind};

    pub(super) fn finding(cluster: &str, cause: &str, score: f64) -> ReportFinding {
        ReportFinding {
            rank: 0,
            score,
            severity: Severity::of_score(score),
            cause: Cause::from_id(cause).expect("a cause id"),
            confidence: 0.95,
            title: "container `velero` rejects its command line: `\"server-junk\"`".to_owned(),
            cluster: cluster.to_owned(),
            namespace: "velero".to_owned(),
            workload: WorkloadName {
                kind: "Deployment".to_owned(),
                name: "velero".to_owned(),
            },
            pods: vec!["velero-7d9c5b6f4d-k2x8q".to_owned()],
            container: "velero".to_owned(),
            container_kind: "app".to_owned(),
            restart_count: 14,
            last_termination: Some(LastTermination {
                reason: Some("Error".to_owned()),
                exit_code: Some(1),
                signal: None,
                message: None,
                started_at: Some("2026-11-28T04:58:09Z".to_owned()),
                finished_at: Some("2026-11-28T04:58:10Z".to_owned()),
            }),
            evidence: vec![Evidence::new(
                EvidenceKind::Log,
                "logs/velero/velero-7d9c5b6f4d-k2x8q/velero.previous.log",
                "line 1".to_owned(),
                "An error occurred: unknown command \"server-junk\" for \"velero\"",
            )],
            alternatives: vec![Alternative {
                cause: Cause::UnhandledException,
                confidence: 0.4,
            }],
            remediation: vec!["fix the command line of `velero` in the pod template".to_owned()],
            commands: vec![
                "kubectl -n velero logs velero-7d9c5b6f4d-k2x8q -c velero --previous".to_owned(),
            ],
            change_commands: vec![],
            explains: vec![],
            notes: vec![],
            log_tail: vec![
                "An error occurred: unknown command \"server-junk\" for \"velero\"".to_owned(),
            ],
            bundle: format!("dumps/{cluster}.tar.gz"),
            image: "velero/velero:v1.8.0".to_owned(),
            nodes: vec!["worker-1".to_owned()],
            timeline: vec![
                moment(
                    "2026-11-28T04:01:00Z",
                    -3540,
                    MomentKind::Rollout,
                    "Deployment velero/velero",
                    "rollout of revision 8, ReplicaSet `velero-7d9c5b6f4d` created",
                ),
                moment(
                    "2026-11-28T04:02:10Z",
                    -3470,
                    MomentKind::Termination,
                    "pod velero/velero-7d9c5b6f4d-k2x8q",
                    "container `velero` terminated, reason Error, exit code 1",
                ),
                moment(
                    "2026-11-28T05:00:00Z",
                    0,
                    MomentKind::Collected,
                    "container velero",
                    "bundle collected: 14 restarts, waiting (CrashLoopBackOff), back-off 5m0s (the cap)",
                ),
            ],
        }
    }

    fn moment(at: &str, offset: i64, kind: MomentKind, subject: &str, text: &str) -> Moment {
        Moment {
            at: at.to_owned(),
            offset_secs: Some(offset),
            kind,
            subject: subject.to_owned(),
            text: text.to_owned(),
        }
    }

    fn bundle(cluster: &str) -> BundleReport {
        BundleReport {
            path: format!("dumps/{cluster}.tar.gz"),
            format: Some("ktriage".to_owned()),
            cluster: Some(cluster.to_owned()),
            collected_at: Some("2026-11-28T05:00:00Z".to_owned()),
            status: BundleStatus::Ok,
            warnings: vec![],
            error: None,
            pods: 12,
            findings: 1,
            timeline: vec![moment(
                "2026-11-28T03:58:00Z",
                -3720,
                MomentKind::Node,
                "node worker-1",
                "`Ready` became False: KubeletNotReady (container runtime is down)",
            )],
        }
    }

    fn report() -> Report {
        let mut broken = bundle("broken");
        broken.status = BundleStatus::Failed;
        broken.cluster = None;
        broken.format = None;
        broken.timeline = vec![];
        broken.error =
            Some("`dumps/broken.tar.gz` is not a readable archive: truncated archive".to_owned());
        Report::new(
            vec![bundle("prod-us"), bundle("prod-eu"), broken],
            vec![
                finding("prod-eu", "bad-args", 0.9),
                finding("prod-us", "bad-args", 0.91),
            ],
        )
    }

    #[test]
    fn ranks_and_fleet() {
        let r = report();
        let ranked: Vec<(usize, &str)> = r.findings.keys().map(|(n, k)| (n, k.cluster)).collect();
        assert_eq!(ranked, [(1, "prod-us"), (2, "prod-eu")]);
        let whole: Vec<usize> = r.findings.iter().map(|f| f.unwrap().rank).collect();
        assert_eq!(whole, [1, 2]);
        assert_eq!(r.fleet.len(), 1);
        assert_eq!(r.fleet[0].clusters, ["prod-eu", "prod-us"]);
        assert_eq!(r.fleet[0].finding_ranks, [1, 2]);
        assert!(r.has_failures());
    }

    #[test]
    fn renders_table() {
        let mut out = Vec::new();
        report().render(Format::Table, &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn renders_markdown() {
        let mut out = Vec::new();
        report().render(Format::Markdown, &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn renders_html() {
        let mut out = Vec::new();
        report().render(Format::Html, &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn renders_json_that_reads_back() {
        let mut out = Vec::new();
        report().render(Format::Json, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report());
        insta::assert_snapshot!(text);
    }

    /// A report whose findings are spilled ranks, filters, groups and renders exactly as one
    /// holding them whole, in every format.
    #[test]
    fn spilled_findings_render_as_whole_ones() {
        let whole = report();
        let mut findings = Vec::new();
        for (i, cluster) in ["prod-eu", "prod-us", "staging"].iter().enumerate() {
            for (j, cause) in ["bad-args", "oom-killed", "dns-failure"].iter().enumerate() {
                let mut f = finding(cluster, cause, 0.3 * (j as f64) + 0.01 * (i as f64));
                f.pods.push(format!("velero-7d9c5b6f4d-x{i}{j}q"));
                findings.push(f);
            }
        }
        // Two findings equal but for their pods: the last tie-break reads them back.
        let mut twin = findings[0].clone();
        twin.pods = vec!["velero-7d9c5b6f4d-a1b2c".to_owned()];
        findings.push(twin);
        let mut spilled = Findings::spilling().unwrap();
        for f in findings.iter().rev() {
            spilled.push(f.clone());
        }
        assert!(spilled.spills());
        let mut a = Report::new(whole.bundles.clone(), findings);
        let mut b = Report::new(whole.bundles.clone(), spilled);
        assert_eq!(a, b);
        assert_eq!(a.fleet, b.fleet);
        assert_eq!(a.fleet.len(), 3);
        a.retain_min_severity(Severity::High);
        b.retain_min_severity(Severity::High);
        assert!(b.findings.len() < 10 && !b.findings.is_empty());
        for format in [Format::Table, Format::Markdown, Format::Json, Format::Html] {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            a.render(format, &mut x).unwrap();
            b.render(format, &mut y).unwrap();
            assert_eq!(String::from_utf8(x), String::from_utf8(y), "{format:?}");
        }
        assert_eq!(
            a.findings.into_whole().unwrap(),
            b.findings.into_whole().unwrap()
        );
    }

    #[test]
    fn width_follows_columns_then_the_terminal() {
        assert_eq!(View::width_from(Some("80"), Some(200)), 80);
        assert_eq!(View::width_from(None, Some(90)), 90);
        assert_eq!(View::width_from(Some("wide"), Some(90)), 90);
        assert_eq!(View::width_from(Some("0"), None), DEFAULT_WIDTH);
        assert_eq!(View::width_from(None, None), DEFAULT_WIDTH);
        assert_eq!(View::width_from(Some("400"), None), MAX_WIDTH);
        assert_eq!(View::width_from(Some("20"), None), MIN_WIDTH);
    }

    #[test]
    fn colour_follows_the_terminal_and_no_color() {
        assert!(ColorChoice::Auto.resolve(true, None));
        assert!(ColorChoice::Auto.resolve(true, Some("")));
        assert!(!ColorChoice::Auto.resolve(true, Some("1")));
        assert!(!ColorChoice::Auto.resolve(false, None));
        assert!(ColorChoice::Always.resolve(false, Some("1")));
        assert!(!ColorChoice::Never.resolve(true, None));
    }

    /// Forty clusters failing the same ways: each fleet group names a few clusters and counts
    /// the rest, only the first groups are listed, and the first finding is on the first screen.
    #[test]
    fn fleet_of_many_clusters_leaves_room_for_the_findings() {
        let clusters: Vec<String> = (0..40).map(|i| format!("prod-region-{i:02}")).collect();
        let mut findings = Vec::new();
        for (i, c) in clusters.iter().enumerate() {
            for cause in [
                "bad-args",
                "oom-killed",
                "dns-failure",
                "exec-format",
                "sigterm",
            ] {
                findings.push(finding(c, cause, 0.5 + 0.01 * (i as f64)));
            }
        }
        let report = Report::new(clusters.iter().map(|c| bundle(c)).collect(), findings);
        let view = View {
            width: 80,
            ..View::default()
        };
        let mut out = Vec::new();
        report.render_view(Format::Table, &view, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(
            text.contains(
                "    40 clusters: prod-region-00, prod-region-01, prod-region-02 +37 more\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "  +2 more groups of the same failure in several clusters (--all lists them)"
            ),
            "{text}"
        );
        let first = text.lines().position(|l| l.starts_with("#1 ")).unwrap();
        assert!(first < 15, "{text}");
        assert!(
            text.contains("+175 more findings (--limit N or --all lists them)"),
            "{text}"
        );
    }

    #[test]
    fn normalizes_generated_pod_names() {
        assert_eq!(normalize_name("api-7d9c5b6f4d-k2x8q", "Pod"), "api");
        assert_eq!(normalize_name("api-server", "Pod"), "api-server");
        assert_eq!(
            normalize_name("api-7d9c5b6f4d-k2x8q", "Deployment"),
            "api-7d9c5b6f4d-k2x8q"
        );
    }
}
