//! Rules: one file per cause id. A rule reads the correlated subjects of one bundle and
//! *proposes* causes for containers, with confidence and evidence.
//!
//! Rules never read each other's results, never sort and never format output: `diagnose`
//! keeps the best proposal per container and lists the others as alternatives.

use serde::Serialize;

use crate::cause::Cause;
pub(crate) use crate::finding::{Evidence, EvidenceKind};
pub(crate) use crate::logscan::Signature;
use crate::subjects::{State, Subject};

/// Defines a rule: its documentation (the `///` lines, printed by `ktriage explain`), its
/// cause id, what kind of finding it makes, its log signatures, and its `check` function.
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident = {
        cause: $cause:ident, kind: $kind:ident, check: $check:path, signatures: $sigs:expr $(,)?
    };) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::rules::RuleDef = $crate::rules::RuleDef {
            cause: $crate::cause::Cause::$cause,
            kind: $crate::rules::RuleKind::$kind,
            check: $check,
            signatures: $sigs,
            explanation: concat!($($doc, "\n"),*),
        };
    };
}

mod helpers;
pub(crate) mod registry;

pub(crate) use helpers::{
    best_hit, check_log_signatures, hits_for, repository_of, waiting_evidence,
};

mod app_error_exit;
mod auth_failure;
mod bad_args;
mod command_not_found;
mod dependency_unreachable;
mod dns_failure;
mod evicted;
mod exec_format;
mod file_permission_denied;
mod image_pull;
mod invalid_app_config;
mod job_backoff_limit;
mod kubernetes_api_access;
mod lifecycle_hook_failure;
mod liveness_probe_kill;
mod missing_config_ref;
mod native_crash;
mod no_foreground_process;
mod node_oom;
mod not_executable;
mod oom_at_start;
mod oom_killed;
mod port_in_use;
mod probe;
mod read_only_filesystem;
mod readiness_only;
mod resource_exhausted;
mod runtime_heap_exhausted;
mod runtime_start_failure;
mod security_context_blocked;
mod sidecar_ordering;
mod sigkill_not_oom;
mod sigterm;
mod stale_lock_or_corrupt_state;
mod startup_probe_kill;
mod tls_certificate;
mod unhandled_exception;
mod volume_mount;

pub(crate) use job_backoff_limit::jobs_without_pods;

/// What kind of finding a rule makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RuleKind {
    /// A root cause of a container restart loop.
    CrashLoop,
    /// A state that is not a crash loop but is reported so it is never mistaken for one.
    NotALoop,
}

/// A rule: cause id, documentation and check.
pub(crate) struct RuleDef {
    /// The cause it reports (docs/design.md §4).
    pub cause: Cause,
    pub kind: RuleKind,
    /// The rule's documentation (its doc comment), Markdown.
    pub explanation: &'static str,
    pub check: fn(&RuleContext<'_>, &mut Vec<Finding>),
    /// Log patterns this rule reads, scanned once per log by the run's `logscan::Scanner`
    /// (`registry::scanner`).
    pub signatures: &'static [Signature],
}

impl RuleDef {
    /// The first sentence under "What it detects", shortened to about 100 characters.
    #[must_use]
    pub(crate) fn summary(&self) -> String {
        let paragraph: Vec<&str> = self
            .explanation
            .lines()
            .map(str::trim)
            .skip_while(|l| !l.starts_with("## What it detects"))
            .skip(1)
            .skip_while(|l| l.is_empty())
            .take_while(|l| !l.is_empty())
            .collect();
        let text = paragraph.join(" ");
        // The first sentence, cut at a word when it is long.
        let end = text.find(". ").map_or(text.len(), |i| i + 1);
        let sentence = &text[..end];
        if sentence.chars().count() <= 100 {
            return sentence.to_owned();
        }
        let cut = sentence
            .char_indices()
            .take_while(|(i, _)| *i <= 96)
            .filter(|(_, c)| *c == ' ')
            .map(|(i, _)| i)
            .last()
            .unwrap_or(96);
        format!("{}…", &sentence[..cut])
    }
}

/// Evidence tiers (taxonomy §6.2): authoritative status field or event.
pub(crate) const CERTAIN: f64 = 0.95;
/// Exit-code semantics plus a consistent log signature.
pub(crate) const STRONG: f64 = 0.85;
/// A log signature alone.
pub(crate) const LIKELY: f64 = 0.7;
/// Exit code alone.
pub(crate) const POSSIBLE: f64 = 0.5;
/// A spec heuristic alone.
pub(crate) const WEAK: f64 = 0.35;

/// How often a finding is right, by the confidence its rule gave it: the points of a monotone,
/// piecewise-linear map from a rule's confidence (its evidence tier, above) to the confidence a
/// report shows.
///
/// Rules rank evidence by tier; whether a tier's findings are right 70% or 90% of the time is a
/// measurement, made on the tuning share of the corpus of real reports (`corpus/`): a log
/// signature alone (0.7-0.8) named the settled cause in 37 of 39 cases there, a status field or
/// exit code with a log line (0.85 and above) in all 60. The points sit below those rates, as
/// 110 cases allow no finer claim; `tests/corpus.rs` checks the result on both shares. The map
/// keeps the order of confidences, so it never changes which cause a finding names. The
/// fallback (`WEAK`, "nothing specific matched") keeps its own value.
const CALIBRATION: [(f64, f64); 8] = [
    (0.0, 0.0),
    (WEAK, WEAK),
    (POSSIBLE, 0.7),
    (LIKELY, 0.86),
    (0.8, 0.9),
    (STRONG, 0.93),
    (CERTAIN, 0.97),
    (1.0, 0.99),
];

/// The confidence a report shows for a rule's `raw` confidence ([`CALIBRATION`]).
#[must_use]
pub(crate) fn calibrated(raw: f64) -> f64 {
    let raw = raw.clamp(0.0, 1.0);
    CALIBRATION
        .windows(2)
        .find(|w| raw <= w[1].0)
        .map_or(raw, |w| {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            y0 + (raw - x0) * (y1 - y0) / (x1 - x0)
        })
}

/// What rules see: the subjects of one bundle.
pub(crate) struct RuleContext<'a> {
    pub subjects: &'a [Subject<'a>],
}

impl<'a> RuleContext<'a> {
    /// Containers in a restart loop (crash-looping, restarting, flapping).
    pub(crate) fn crashlooping_containers(&self) -> impl Iterator<Item = &'a Subject<'a>> {
        self.subjects.iter().filter(|s| s.state.is_loop())
    }

    /// Subjects in `state`.
    pub(crate) fn iter_in_state(&self, state: State) -> impl Iterator<Item = &'a Subject<'a>> {
        self.subjects.iter().filter(move |s| s.state == state)
    }
}

/// A cause proposed for one subject by one rule.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub cause: Cause,
    /// Index of the subject in the bundle's subject list.
    pub subject: usize,
    pub confidence: f64,
    /// One line a human can act on (lowercase start, no trailing period, names in backticks).
    pub title: String,
    pub evidence: Vec<Evidence>,
    /// Steps specific to what was found.
    pub remediation: Vec<String>,
    /// kubectl commands that confirm the finding, in addition to the standard ones.
    pub commands: Vec<String>,
    /// What could not be seen or judged.
    pub notes: Vec<String>,
}

impl Finding {
    /// A proposal of `rule`'s cause for subject `s`.
    #[must_use]
    pub(crate) fn new(rule: &RuleDef, s: &Subject<'_>, confidence: f64) -> Self {
        Self {
            cause: rule.cause,
            subject: s.index,
            confidence: confidence.clamp(0.0, 0.99),
            title: String::new(),
            evidence: Vec::new(),
            remediation: Vec::new(),
            commands: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[must_use]
    pub(crate) fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    #[must_use]
    pub(crate) fn evidence(mut self, e: Evidence) -> Self {
        if !self.evidence.contains(&e) {
            self.evidence.push(e);
        }
        self
    }

    #[must_use]
    pub(crate) fn evidence_all(mut self, items: impl IntoIterator<Item = Evidence>) -> Self {
        for e in items {
            self = self.evidence(e);
        }
        self
    }

    #[must_use]
    pub(crate) fn remedy(mut self, step: impl Into<String>) -> Self {
        self.remediation.push(step.into());
        self
    }

    #[must_use]
    pub(crate) fn command(mut self, cmd: impl Into<String>) -> Self {
        self.commands.push(cmd.into());
        self
    }

    #[must_use]
    pub(crate) fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// The causes whose log signatures match `line` (for rules' signature-boundary tests).
#[cfg(test)]
pub(crate) fn causes_of_line(line: &str) -> Vec<&'static str> {
    registry::SCANNER
        .scan_message(line)
        .iter()
        .map(|h| h.cause.id())
        .collect()
}

#[cfg(test)]
mod tests;
