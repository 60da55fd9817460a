//! What a report says about a container: the finding types every stage after the rules shares
//! (`diagnose` makes them, `correlators` adds to them, `rank` orders them, `report` renders
//! them), with their severity and evidence. A leaf: it depends on no other module of the crate
//! but the cause ids and the text helpers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cause::Cause;

/// How much a finding matters, from its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Worst first, as the fleet view and summaries list them.
    pub const WORST_FIRST: [Severity; 4] = [Self::Critical, Self::High, Self::Medium, Self::Low];

    /// The severity of a score (`score = impact × confidence × recency`).
    #[must_use]
    pub fn of_score(score: f64) -> Self {
        match score {
            s if s >= 0.7 => Self::Critical,
            s if s >= 0.45 => Self::High,
            s if s >= 0.25 => Self::Medium,
            _ => Self::Low,
        }
    }

    /// The word reports show (`critical`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Low, Self::Medium, Self::High, Self::Critical]
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("unknown severity `{s}` (low, medium, high, critical)"))
    }
}

/// What became of one input bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleStatus {
    /// Analyzed, nothing to warn about.
    Ok,
    /// Analyzed, with warnings (parts unreadable or missing).
    Partial,
    /// Not analyzed: the error says why.
    Failed,
}

impl BundleStatus {
    /// The word reports show (`partial`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Partial => "partial",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for BundleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A finding as reported: one workload + container + cause, with its pods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFinding {
    pub rank: usize,
    pub score: f64,
    pub severity: Severity,
    pub cause: Cause,
    pub confidence: f64,
    pub title: String,
    pub cluster: String,
    pub namespace: String,
    pub workload: WorkloadName,
    pub pods: Vec<String>,
    pub container: String,
    pub container_kind: String,
    pub restart_count: i64,
    pub last_termination: Option<LastTermination>,
    pub evidence: Vec<Evidence>,
    pub alternatives: Vec<Alternative>,
    pub remediation: Vec<String>,
    /// Read-only commands that confirm the finding (they change nothing in the cluster).
    pub commands: Vec<String>,
    /// Commands of the remedy that change the cluster (a rollback, a debug copy of a pod):
    /// never needed to confirm the finding.
    #[serde(default)]
    pub change_commands: Vec<String>,
    /// The findings a correlation explains (empty for other findings): same cluster and bundle.
    #[serde(default)]
    pub explains: Vec<Member>,
    /// What could not be seen or judged (no previous log, events expired, …).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The last lines of the last terminated instance's log, redacted.
    #[serde(default)]
    pub log_tail: Vec<String>,
    /// Path of the bundle the finding comes from (as given on the command line).
    #[serde(default)]
    pub bundle: String,
    /// The container image.
    #[serde(default)]
    pub image: String,
    /// The node(s) the failing pods ran on.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// What happened to the failing pods, their rollout and their nodes, oldest first, ending
    /// at the bundle's collection.
    #[serde(default)]
    pub timeline: Vec<Moment>,
}

/// One dated fact of a timeline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Moment {
    /// When, RFC 3339 in UTC, whole seconds.
    pub at: String,
    /// Seconds from the bundle's collection to `at`: negative before it. Absent when the
    /// bundle says neither when it was collected nor when its last event was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_secs: Option<i64>,
    pub kind: MomentKind,
    /// What it happened to: `pod shop/api-7d9c5b6f4d-k2x8q`, `node worker-1`.
    pub subject: String,
    /// What happened, redacted.
    pub text: String,
}

/// The kind of a `Moment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MomentKind {
    /// A new ReplicaSet revision of a Deployment was created.
    Rollout,
    /// A node condition changed (`lastTransitionTime`).
    Node,
    /// A pod was created or marked for deletion; a Job started or completed.
    Lifecycle,
    /// A container instance started.
    Start,
    /// A container instance terminated.
    Termination,
    /// A `Warning` event (first and last time seen).
    Warning,
    /// A `Normal` event.
    Event,
    /// The first or last timestamped line of a kept log.
    Log,
    /// The bundle was collected: restarts and state at that time.
    Collected,
}

impl MomentKind {
    /// The word reports show (`rollout`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rollout => "rollout",
            Self::Node => "node",
            Self::Lifecycle => "lifecycle",
            Self::Start => "start",
            Self::Termination => "termination",
            Self::Warning => "warning",
            Self::Event => "event",
            Self::Log => "log",
            Self::Collected => "collected",
        }
    }
}

impl Moment {
    /// `14:02:09 UTC`-style date and time: `2026-11-28 14:02:09 UTC`.
    #[must_use]
    pub fn when(&self) -> String {
        let t = self.at.trim_end_matches('Z').replacen('T', " ", 1);
        format!("{t} UTC")
    }

    /// The time relative to collection: `1h2m before collection`, `at collection`.
    #[must_use]
    pub fn relative(&self) -> Option<String> {
        let o = self.offset_secs?;
        #[allow(clippy::cast_precision_loss)]
        let d = crate::text::duration(o.unsigned_abs() as f64);
        Some(match o {
            0 => "at collection".to_owned(),
            ..0 => format!("{d} before collection"),
            _ => format!("{d} after collection"),
        })
    }
}

/// `workload` of a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkloadName {
    pub kind: String,
    pub name: String,
}

/// A finding a correlation explains: its cause, workload and container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Member {
    pub cause: Cause,
    pub namespace: String,
    pub workload: WorkloadName,
    pub container: String,
}

impl Member {
    /// The member `f` is.
    #[must_use]
    pub fn of(f: &ReportFinding) -> Self {
        Self {
            cause: f.cause,
            namespace: f.namespace.clone(),
            workload: f.workload.clone(),
            container: f.container.clone(),
        }
    }
}

/// `last_termination` of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTermination {
    pub reason: Option<String>,
    pub exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl LastTermination {
    /// `reason OOMKilled, exit code 137, signal 9, finished 2026-…`: the facts it holds, the
    /// reason shown through `show` (quoted in Markdown, as it is in the table).
    #[must_use]
    pub fn facts(&self, show: impl Fn(&str) -> String) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(r) = &self.reason {
            parts.push(format!("reason {}", show(r)));
        }
        if let Some(c) = self.exit_code {
            parts.push(format!("exit code {c}"));
        }
        if let Some(s) = self.signal {
            parts.push(format!("signal {s}"));
        }
        if let Some(at) = &self.finished_at {
            parts.push(format!("finished {at}"));
        }
        parts
    }
}

/// Another cause that also matched, with its confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub cause: Cause,
    pub confidence: f64,
}

/// The kind of an evidence item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    Status,
    Event,
    Log,
    Spec,
    Node,
    Bundle,
}

/// One fact supporting a finding, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// Path inside the bundle.
    pub source: String,
    /// Where in that file: a field path, an event, a line number.
    pub locator: String,
    /// The fact, redacted.
    pub text: String,
}

impl Evidence {
    /// Builds an evidence item; `text` is redacted and shortened.
    #[must_use]
    pub fn new(kind: EvidenceKind, source: &str, locator: String, text: impl AsRef<str>) -> Self {
        let text = crate::redact::redact(text.as_ref().trim());
        let text = crate::text::truncate(&text, 600).to_owned();
        Self {
            kind,
            source: source.to_owned(),
            locator,
            text,
        }
    }

    /// The kind as a word (`status`, `event`, `log`, …).
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            EvidenceKind::Status => "status",
            EvidenceKind::Event => "event",
            EvidenceKind::Log => "log",
            EvidenceKind::Spec => "spec",
            EvidenceKind::Node => "node",
            EvidenceKind::Bundle => "bundle",
        }
    }
}

/// What ranking, `--min-severity` and the fleet view read of a finding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Key<'a> {
    pub score: f64,
    pub confidence: f64,
    pub restart_count: i64,
    pub cluster: &'a str,
    pub bundle: &'a str,
    pub namespace: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub container: &'a str,
    pub cause: Cause,
    pub severity: Severity,
    /// Number of pods.
    pub pods: usize,
}

impl ReportFinding {
    /// The fields ranking, filtering and grouping read.
    #[must_use]
    pub fn key(&self) -> Key<'_> {
        Key {
            score: self.score,
            confidence: self.confidence,
            restart_count: self.restart_count,
            cluster: &self.cluster,
            bundle: &self.bundle,
            namespace: &self.namespace,
            kind: &self.workload.kind,
            name: &self.workload.name,
            container: &self.container,
            cause: self.cause,
            severity: self.severity,
            pods: self.pods.len(),
        }
    }
}

/// Splits commands into those that only read the cluster and those that change it, each in
/// its order. A command is read-only when every `kubectl`/`oc` in it (a pipeline or list too)
/// runs a reading verb; other programs (`docker manifest inspect`, `grep`) never touch it.
#[must_use]
pub fn split_commands(commands: Vec<String>) -> (Vec<String>, Vec<String>) {
    commands.into_iter().partition(|c| is_read_only(c))
}

/// Whether a shell command only reads the cluster (see `split_commands`).
#[must_use]
pub fn is_read_only(command: &str) -> bool {
    command
        .split(['|', ';', '&'])
        .all(|part| is_read_only_call(part.split_whitespace()))
}

/// One program call of a command line, as words.
fn is_read_only_call<'a>(mut words: impl Iterator<Item = &'a str>) -> bool {
    /// Global flags whose value is the next word.
    const WITH_VALUE: &[&str] = &["-n", "--namespace", "--context", "--kubeconfig", "-s"];
    let Some(program) = words.next() else {
        return true;
    };
    if program != "kubectl" && program != "oc" {
        return true;
    }
    let mut verb = Vec::new();
    while let Some(w) = words.next() {
        if WITH_VALUE.contains(&w) {
            words.next();
        } else if !w.starts_with('-') {
            verb.push(w);
            if verb.len() == 2 {
                break;
            }
        }
    }
    matches!(
        verb.as_slice(),
        [
            "get"
                | "describe"
                | "logs"
                | "top"
                | "explain"
                | "api-resources"
                | "api-versions"
                | "version"
                | "cluster-info"
                | "events"
                | "diff",
            ..
        ] | ["auth", "can-i" | "whoami"]
            | ["rollout", "history" | "status"]
            | ["config", "view" | "get-contexts" | "current-context"]
    )
}

/// A confidence as reports show it: two decimals.
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A score as reports show it: three decimals.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_that_change_the_cluster_are_told_apart() {
        for read in [
            "kubectl -n shop describe pod api-7d9c5b6f4d-k2x8q",
            "kubectl -n shop logs api-7d9c5b6f4d-k2x8q -c api --previous | grep -iE 'OutOfMemoryError'",
            "kubectl -n shop rollout history deployment/api --revision=4",
            "kubectl top pods -A --sort-by=memory | head -20; kubectl top node worker-1",
            "kubectl --context prod auth can-i list pods",
            "docker manifest inspect registry.example.com/media/thumbnailer:0.9.4",
        ] {
            assert!(is_read_only(read), "{read}");
        }
        for change in [
            "kubectl -n shop rollout undo deployment/api --to-revision=4",
            "kubectl -n shop debug -it api-7d9c5b6f4d-k2x8q --copy-to=api-debug --container=api -- sh",
            "kubectl cordon worker-1 && kubectl drain worker-1 --ignore-daemonsets",
            "kubectl -n shop delete pod --field-selector=status.phase==Failed",
        ] {
            assert!(!is_read_only(change), "{change}");
        }
        let (read, change) = split_commands(vec![
            "kubectl -n shop rollout history statefulset/db".to_owned(),
            "kubectl -n shop rollout undo statefulset/db".to_owned(),
        ]);
        assert_eq!(read, ["kubectl -n shop rollout history statefulset/db"]);
        assert_eq!(change, ["kubectl -n shop rollout undo statefulset/db"]);
    }

    #[test]
    fn severities_order_by_how_bad_and_read_back() {
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Low);
        assert_eq!(Severity::of_score(0.7), Severity::Critical);
        assert_eq!(Severity::of_score(0.449), Severity::Medium);
        assert_eq!(Severity::of_score(0.0), Severity::Low);
        for s in Severity::WORST_FIRST {
            assert_eq!(s.name().parse::<Severity>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).expect("serializes"),
                format!("\"{s}\"")
            );
        }
        assert!("severe".parse::<Severity>().is_err());
    }
}
