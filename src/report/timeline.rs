//! The cluster timelines every renderer shows: per bundle, its own moments (rollouts, node
//! changes) merged with each finding's first failure, oldest first. Only gathers; renderers
//! format.

use std::collections::BTreeMap;
use std::io;

use super::Report;
use crate::finding::{Moment, MomentKind, ReportFinding};

/// One cluster's timeline: the bundle it comes from and its entries, oldest first.
pub(super) struct ClusterTimeline {
    pub cluster: String,
    pub bundle: String,
    /// When the bundle was collected (RFC 3339), if known.
    pub collected_at: Option<String>,
    pub entries: Vec<Entry>,
}

/// A moment of a cluster's timeline, and the rank of the finding it is the first failure of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Entry {
    pub moment: Moment,
    pub finding: Option<usize>,
}

/// The first failure of a finding: its earliest termination or warning event, else its
/// earliest moment of its own pods.
#[must_use]
pub(super) fn first_failure(f: &ReportFinding) -> Option<&Moment> {
    let failing = |m: &&Moment| matches!(m.kind, MomentKind::Termination | MomentKind::Warning);
    f.timeline.iter().find(failing).or_else(|| {
        f.timeline
            .iter()
            .find(|m| m.subject.starts_with("pod ") || m.subject.starts_with("Job "))
    })
}

/// The moment that stands for a finding on its cluster's timeline: its first failure, named.
fn finding_moment(f: &ReportFinding) -> Option<Moment> {
    let first = first_failure(f)?;
    let container = if f.container.is_empty() {
        String::new()
    } else {
        format!(" / `{}`", f.container)
    };
    Some(Moment {
        text: format!(
            "#{} `{}` begins: {} `{}`{container}: {}",
            f.rank, f.cause, f.workload.kind, f.workload.name, first.text
        ),
        subject: format!("{} {}/{}", f.cause, f.namespace, f.workload.name),
        ..first.clone()
    })
}

/// The timelines of the analyzed bundles with anything to show, in report order.
///
/// # Errors
/// An error reading back spilled findings.
pub(super) fn clusters(report: &Report) -> io::Result<Vec<ClusterTimeline>> {
    let mut out: Vec<ClusterTimeline> = report
        .bundles
        .iter()
        .filter(|b| b.cluster.is_some())
        .map(|b| ClusterTimeline {
            cluster: b.cluster.clone().unwrap_or_default(),
            bundle: b.path.clone(),
            collected_at: b.collected_at.clone(),
            entries: b
                .timeline
                .iter()
                .map(|m| Entry {
                    moment: m.clone(),
                    finding: None,
                })
                .collect(),
        })
        .collect();
    let at: BTreeMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, t)| (t.bundle.clone(), i))
        .collect();
    for f in report.findings.iter() {
        let f = f?;
        let Some(t) = at.get(&f.bundle).map(|&i| &mut out[i]) else {
            continue;
        };
        if let Some(moment) = finding_moment(&f) {
            t.entries.push(Entry {
                moment,
                finding: Some(f.rank),
            });
        }
    }
    for t in &mut out {
        t.entries.sort();
        t.entries.dedup();
    }
    out.retain(|t| t.entries.iter().any(|e| e.finding.is_some()));
    Ok(out)
}
