//! Correlations across one bundle's grouped findings (docs/design.md §4): a rollout that broke only
//! the newest revision, one dependency many workloads fail on, one node the loops gather on, one
//! control-plane outage. One file per correlation, declared like a rule: its documentation (what
//! `ktriage explain` prints), its cause id and its function; its fixtures are under
//! `fixtures/rules/<id>/`.
//!
//! Runs after `diagnose` grouped and scored the findings; adds correlation findings and notes
//! on the findings they explain. Never removes or re-scores a finding.

use std::collections::BTreeSet;

use crate::cause::Cause;
use crate::finding::{
    Member, ReportFinding, Severity, WorkloadName, round2, round3, split_commands,
};
use crate::model::{Cluster, Pod, Time};
use crate::rules::registry::RuleSet;
use crate::rules::{Evidence, EvidenceKind};
use crate::subjects::Subject;

/// Defines a correlation: its documentation (the `///` lines, printed by `ktriage explain`),
/// its cause id, the one-line summary `ktriage rules` shows, and the function that adds its
/// findings (`None` for the fleet view, which the report builds across bundles).
macro_rules! declare_correlation {
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident = {
        cause: $cause:ident, summary: $summary:literal, run: $run:expr $(,)?
    };) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::correlations::CorrelationDef = $crate::correlations::CorrelationDef {
            cause: $crate::cause::Cause::$cause,
            summary: $summary,
            run: $run,
            explanation: concat!($($doc, "\n"),*),
        };
    };
}

mod control_plane_disruption;
mod fleet;
mod node_correlated;
mod rollout_regression;

pub(crate) use rollout_regression::diff_templates;
mod shared_dependency_down;

/// What a correlation adds to one bundle's findings: new findings in `added`, notes on the
/// `findings` they explain.
pub(crate) type Run = fn(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut [ReportFinding],
    added: &mut Vec<ReportFinding>,
);

/// A correlation: cause id, documentation and function.
pub(crate) struct CorrelationDef {
    pub cause: Cause,
    /// One line for `ktriage rules`.
    pub summary: &'static str,
    /// Its documentation (its doc comment), Markdown.
    pub explanation: &'static str,
    pub run: Option<Run>,
}

/// Every correlation, in the order they run: a later one reads the notes an earlier one left
/// (`control-plane-disruption` leaves alone the loops `node-correlated` explains). Adding a
/// correlation is one file and one line here.
pub(crate) static CORRELATIONS: &[&CorrelationDef] = &[
    &rollout_regression::ROLLOUT_REGRESSION,
    &shared_dependency_down::SHARED_DEPENDENCY_DOWN,
    &node_correlated::NODE_CORRELATED,
    &control_plane_disruption::CONTROL_PLANE_DISRUPTION,
    &fleet::FLEET,
];

/// The subjects a finding groups: its pods' containers of its name.
fn members<'s, 'a>(f: &ReportFinding, subjects: &'s [Subject<'a>]) -> Vec<&'s Subject<'a>> {
    subjects
        .iter()
        .filter(|s| {
            s.pod.metadata.namespace == f.namespace
                && s.name() == f.container
                && f.pods.contains(&s.pod.metadata.name)
        })
        .collect()
}

/// Whether a finding is about a restart loop (not an image pull, eviction, …).
fn is_loop(f: &ReportFinding, subjects: &[Subject<'_>]) -> bool {
    members(f, subjects).iter().any(|s| s.state.is_loop())
}

/// A correlation finding's frame: everything but cause-specific text.
struct Correlation {
    cause: Cause,
    /// As a report shows it: an evidence tier through `rules::calibrated`, like a finding's.
    confidence: f64,
    /// `impact × recency` of the findings it explains (their score over their confidence).
    base: f64,
    title: String,
    namespace: String,
    workload: WorkloadName,
    container: String,
    explained: Vec<usize>,
    evidence: Vec<Evidence>,
    remediation: Vec<String>,
    commands: Vec<String>,
    notes: Vec<String>,
}

impl Correlation {
    fn build(self, cluster: &Cluster, findings: &[ReportFinding]) -> ReportFinding {
        let explained: Vec<&ReportFinding> = self.explained.iter().map(|&i| &findings[i]).collect();
        let mut pods: Vec<String> = explained.iter().flat_map(|f| f.pods.clone()).collect();
        pods.sort();
        pods.dedup();
        let mut nodes: Vec<String> = explained.iter().flat_map(|f| f.nodes.clone()).collect();
        nodes.sort();
        nodes.dedup();
        let mut explains: Vec<Member> = explained.iter().map(|f| Member::of(f)).collect();
        explains.sort();
        explains.dedup();
        let (commands, change_commands) = split_commands(self.commands);
        let confidence = self.confidence.min(0.99);
        let score = round3(self.base.min(1.0) * confidence);
        ReportFinding {
            rank: 0,
            score,
            severity: Severity::of_score(score),
            cause: self.cause,
            confidence: round2(confidence),
            title: self.title,
            cluster: cluster.name.clone(),
            namespace: self.namespace,
            workload: self.workload,
            pods,
            container: self.container,
            container_kind: "app".to_owned(),
            restart_count: explained.iter().map(|f| f.restart_count).max().unwrap_or(0),
            last_termination: None,
            evidence: self.evidence,
            alternatives: Vec::new(),
            remediation: self.remediation,
            commands,
            change_commands,
            explains,
            notes: self.notes,
            log_tail: Vec::new(),
            bundle: explained
                .first()
                .map(|f| f.bundle.clone())
                .unwrap_or_default(),
            image: explained
                .first()
                .map(|f| f.image.clone())
                .unwrap_or_default(),
            nodes,
            timeline: Vec::new(),
        }
    }
}

/// `impact × recency` of a finding, recovered from its score.
fn base_of(f: &ReportFinding) -> f64 {
    if f.confidence > 0.0 {
        f.score / f.confidence
    } else {
        0.0
    }
}

/// The highest `impact × recency` of the explained findings.
fn explained_base(findings: &[ReportFinding], explained: &[usize]) -> f64 {
    explained
        .iter()
        .map(|&i| base_of(&findings[i]))
        .fold(0.0, f64::max)
}

/// A correlation's confidence when it adds a fact to the findings it explains: its own tier, and
/// at least a little above the most certain of them, so that it ranks above them.
fn above_members(tier: f64, findings: &[ReportFinding], explained: &[usize]) -> f64 {
    findings_confidence(findings, explained).map_or(tier, |c| (c + 0.01).max(tier))
}

/// The highest confidence of the explained findings.
fn findings_confidence(findings: &[ReportFinding], explained: &[usize]) -> Option<f64> {
    explained
        .iter()
        .map(|&i| findings[i].confidence)
        .max_by(f64::total_cmp)
}

/// Whether a pod is running with every container ready.
fn is_healthy(p: &Pod) -> bool {
    p.status.phase.as_deref() == Some("Running")
        && !p.status.container_statuses.is_empty()
        && p.status.container_statuses.iter().all(|c| c.ready)
}

/// The time at which the last instances of at least `min` different workloads among
/// `explained` ended within one minute of each other, if they did, and the findings that ended
/// in that minute.
fn simultaneous_end(
    findings: &[ReportFinding],
    explained: &[usize],
    min: usize,
) -> Option<(Time, Vec<usize>)> {
    let mut ends: Vec<(Time, &WorkloadName, usize)> = explained
        .iter()
        .filter_map(|&i| {
            let f = &findings[i];
            let at = f.last_termination.as_ref()?.finished_at.as_deref()?;
            Some((Time::parse(at)?, &f.workload, i))
        })
        .collect();
    ends.sort();
    for (i, (start, _, _)) in ends.iter().enumerate() {
        let within: Vec<&(Time, &WorkloadName, usize)> = ends[i..]
            .iter()
            .take_while(|(t, _, _)| t.seconds_since(*start) <= 60.0)
            .collect();
        let workloads: BTreeSet<&WorkloadName> = within.iter().map(|(_, w, _)| *w).collect();
        if workloads.len() >= min {
            let mut members: Vec<usize> = within.iter().map(|(_, _, i)| *i).collect();
            members.sort_unstable();
            return Some((*start, members));
        }
    }
    None
}

/// Evidence of when the last instances of the `explained` findings ended (`` `api` exit 1 at
/// 2026-11-28T04:52:10Z; … ``), located at `locator` in the file of their status evidence.
fn ends_evidence(findings: &[ReportFinding], explained: &[usize], locator: String) -> Evidence {
    let ends: Vec<String> = explained
        .iter()
        .filter_map(|&i| {
            let f = &findings[i];
            let t = f.last_termination.as_ref()?;
            let code = t
                .exit_code
                .map_or_else(|| "?".to_owned(), |c| c.to_string());
            Some(format!(
                "`{}` exit {code} at {}",
                f.container,
                t.finished_at.as_deref()?
            ))
        })
        .collect();
    let source = explained
        .iter()
        .flat_map(|&i| &findings[i].evidence)
        .find(|e| e.kind == EvidenceKind::Status)
        .map_or("", |e| e.source.as_str());
    Evidence::new(EvidenceKind::Status, source, locator, ends.join("; "))
}

/// Impact multiplier of a dependency several workloads share (docs/design.md §4).
const SHARED_IMPACT: f64 = 1.3;

/// Adds the findings of every enabled correlation, in `CORRELATIONS` order, and notes on the
/// findings they explain; folds app containers waiting behind a looping init container into
/// its finding.
pub(crate) fn correlate_findings(
    cluster: &Cluster,
    subjects: &[Subject<'_>],
    findings: &mut Vec<ReportFinding>,
    rules: &RuleSet,
) {
    fold_blocked_app_containers(cluster, findings);
    let mut added = Vec::new();
    for correlation in CORRELATIONS {
        if let Some(run) = correlation.run
            && rules.is_enabled(correlation.cause)
        {
            run(cluster, subjects, findings, &mut added);
        }
    }
    findings.extend(added);
}

// ---------------------------------------------------------------------------------------------
// Init containers: the app containers waiting behind them belong to their finding.

/// Notes on an init container's finding which app containers wait in `PodInitializing` behind it.
fn fold_blocked_app_containers(cluster: &Cluster, findings: &mut [ReportFinding]) {
    for f in findings.iter_mut().filter(|f| f.container_kind == "init") {
        let mut blocked = BTreeSet::new();
        for pod in cluster
            .pods_in(&f.namespace)
            .iter()
            .filter(|p| f.pods.contains(&p.metadata.name))
        {
            for s in &pod.status.container_statuses {
                let waiting = s.state.waiting.as_ref().and_then(|w| w.reason.as_deref());
                if waiting == Some("PodInitializing") {
                    blocked.insert(s.name.clone());
                }
            }
        }
        if !blocked.is_empty() {
            let names: Vec<String> = blocked.iter().map(|n| format!("`{n}`")).collect();
            f.notes.push(format!(
                "the app container{} {} wait{} in `PodInitializing` until `{}` succeeds; {} no finding of {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                if names.len() == 1 { "s" } else { "" },
                f.container,
                if names.len() == 1 { "it has" } else { "they have" },
                if names.len() == 1 { "its own" } else { "their own" },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::SCANNER;

    #[test]
    fn app_containers_behind_a_looping_init_container_fold_into_its_finding() {
        let yaml = r#"
items:
- metadata: {name: api-1, namespace: shop, uid: u1}
  spec:
    initContainers: [{name: migrate, image: "shop/migrate:1"}]
    containers: [{name: api, image: "shop/api:1"}, {name: metrics, image: "shop/metrics:1"}]
  status:
    phase: Pending
    initContainerStatuses:
    - name: migrate
      restartCount: 4
      lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-11-28T04:58:00Z"}}
      state: {waiting: {reason: CrashLoopBackOff, message: "back-off 1m20s restarting failed container=migrate"}}
    containerStatuses:
    - {name: api, restartCount: 0, state: {waiting: {reason: PodInitializing}}}
    - {name: metrics, restartCount: 0, state: {waiting: {reason: PodInitializing}}}
"#;
        let mut c = Cluster {
            collected_at: crate::model::Time::parse("2026-11-28T05:00:00Z"),
            ..Cluster::default()
        };
        let mut warnings = Vec::new();
        crate::formats::add_resource(
            &mut c,
            "pods",
            "namespaces/shop/pods.yaml",
            yaml.as_bytes(),
            &mut warnings,
        );
        let findings = crate::app::diagnose_cluster(&c, "test", &RuleSet::default(), &SCANNER);
        assert_eq!(findings.len(), 1, "one finding, for the init container");
        assert_eq!(findings[0].container, "migrate");
        assert_eq!(findings[0].container_kind, "init");
        assert!(
            findings[0].notes.iter().any(|n| n.starts_with(
                "the app containers `api`, `metrics` wait in `PodInitializing` until `migrate` succeeds"
            )),
            "{:?}",
            findings[0].notes
        );
    }

    #[test]
    fn correlations_respect_the_selection() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rules/rollout-regression/fires-rollout-regression-env-renamed");
        let source = crate::bundle::BundleSource::new(&dir);
        let loaded = crate::formats::read(&source, &crate::bundle::Limits::default(), &SCANNER)
            .expect("fixture is a readable ktriage bundle");
        let causes = |rules: &RuleSet| -> Vec<Cause> {
            crate::app::diagnose_cluster(&loaded.cluster, "fixture", rules, &SCANNER)
                .into_iter()
                .map(|f| f.cause)
                .collect()
        };
        assert!(causes(&RuleSet::default()).contains(&Cause::RolloutRegression));
        let ignore = RuleSet::new(&[], &["rollout-regression".to_owned()]).expect("known");
        assert_eq!(causes(&ignore), [Cause::InvalidAppConfig]);
        let select = RuleSet::new(&["rollout-regression".to_owned()], &[]).expect("known");
        assert_eq!(causes(&select), [Cause::RolloutRegression]);
    }

    #[test]
    fn every_correlation_cause_is_declared_once() {
        for cause in Cause::ALL.iter().filter(|c| c.is_correlation()) {
            let n = CORRELATIONS.iter().filter(|c| c.cause == *cause).count();
            assert_eq!(n, 1, "`{cause}` is declared {n} times");
        }
        assert!(CORRELATIONS.iter().all(|c| c.cause.is_correlation()));
    }
}
