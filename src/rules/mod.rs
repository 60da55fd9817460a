//! Rules: one file per cause id. A rule reads the correlated subjects of one bundle and
//! *proposes* causes for containers, with confidence and evidence.
//!
//! Rules never read each other's results, never sort and never format output: `diagnose`
//! keeps the best proposal per container and lists the others as alternatives.

use serde::Serialize;

use crate::cause::Cause;
pub use crate::finding::{Evidence, EvidenceKind};
use crate::logscan::{HitSource, LogHit};
use crate::model::{Event, LogFile};
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

pub mod registry;

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
pub enum RuleKind {
    /// A root cause of a container restart loop.
    CrashLoop,
    /// A state that is not a crash loop but is reported so it is never mistaken for one.
    NotALoop,
}

/// A rule: cause id, documentation and check.
pub struct RuleDef {
    /// The cause it reports (docs/design.md §4).
    pub cause: Cause,
    pub kind: RuleKind,
    /// The rule's documentation (its doc comment), Markdown.
    pub explanation: &'static str,
    pub check: fn(&RuleContext<'_>, &mut Vec<Finding>),
    /// Log patterns this rule reads, scanned once per container by `logscan`.
    pub signatures: &'static [Signature],
}

impl RuleDef {
    /// The first sentence under "What it detects", shortened to about 100 characters.
    #[must_use]
    pub fn summary(&self) -> String {
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

/// A log pattern and what it means.
#[derive(Debug)]
pub struct Signature {
    /// Stable id, for tests and debugging. The cause a signature supports is its rule's.
    pub id: &'static str,
    /// A `regex` pattern; a named group `target` captures what the finding names (host, key, flag).
    pub pattern: &'static str,
    /// A real line the pattern must match (checked by a test).
    pub example: &'static str,
    /// Confidence when this line is the only evidence (0-1).
    pub confidence: f64,
}

/// Evidence tiers (taxonomy §6.2): authoritative status field or event.
pub const CERTAIN: f64 = 0.95;
/// Exit-code semantics plus a consistent log signature.
pub const STRONG: f64 = 0.85;
/// A log signature alone.
pub const LIKELY: f64 = 0.7;
/// Exit code alone.
pub const POSSIBLE: f64 = 0.5;
/// A spec heuristic alone.
pub const WEAK: f64 = 0.35;

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
pub fn calibrated(raw: f64) -> f64 {
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
pub struct RuleContext<'a> {
    pub subjects: &'a [Subject<'a>],
}

impl<'a> RuleContext<'a> {
    /// Containers in a restart loop (crash-looping, restarting, flapping).
    pub fn crashlooping_containers(&self) -> impl Iterator<Item = &'a Subject<'a>> {
        self.subjects.iter().filter(|s| s.state.is_loop())
    }

    /// Subjects in `state`.
    pub fn iter_in_state(&self, state: State) -> impl Iterator<Item = &'a Subject<'a>> {
        self.subjects.iter().filter(move |s| s.state == state)
    }
}

impl Evidence {
    /// A field of the container's status: `field` is relative to the container status entry.
    #[must_use]
    pub fn status(s: &Subject<'_>, field: &str, text: impl AsRef<str>) -> Self {
        Self::new(
            EvidenceKind::Status,
            &s.pod.source,
            format!("{}: {}.{field}", s.pod.metadata.name, s.status_path()),
            text,
        )
    }

    /// A field of the pod's status (`phase`, `reason`, `conditions[Ready]`).
    #[must_use]
    pub fn pod_status(s: &Subject<'_>, field: &str, text: impl AsRef<str>) -> Self {
        Self::new(
            EvidenceKind::Status,
            &s.pod.source,
            format!("{}: status.{field}", s.pod.metadata.name),
            text,
        )
    }

    /// A field of the container's spec: `field` is relative to the container entry, or
    /// absolute when it starts with `spec.`.
    #[must_use]
    pub fn spec(s: &Subject<'_>, field: &str, text: impl AsRef<str>) -> Self {
        let path = if field.starts_with("spec.") {
            field.to_owned()
        } else {
            format!("{}.{field}", s.spec_path())
        };
        Self::new(
            EvidenceKind::Spec,
            &s.pod.source,
            format!("{}: {path}", s.pod.metadata.name),
            text,
        )
    }

    /// An event, located by reason, object, time and count.
    #[must_use]
    pub fn event(e: &Event) -> Self {
        let o = e.object();
        let when = e
            .time()
            .map_or_else(|| "time unknown".to_owned(), |t| t.to_string());
        let count = e.occurrences();
        let times = if count > 1 {
            format!(", x{count}")
        } else {
            String::new()
        };
        let field = o
            .field_path
            .as_deref()
            .map_or_else(String::new, |f| format!(" {f}"));
        Self::new(
            EvidenceKind::Event,
            &e.source_path,
            format!(
                "{} {} {}/{}{field} at {when}{times}",
                e.kind, e.reason, o.kind, o.name
            ),
            e.text(),
        )
    }

    /// A matched log line (or a line of the termination message).
    #[must_use]
    pub fn log_hit(s: &Subject<'_>, hit: &LogHit) -> Self {
        match &hit.source {
            HitSource::Log { path, line } => {
                Self::new(EvidenceKind::Log, path, format!("line {line}"), &hit.text)
            }
            HitSource::TerminationMessage => Self::status(
                s,
                &format!("{}.message", s.last_termination_field()),
                &hit.text,
            ),
        }
    }

    /// A line of a log file, by number.
    #[must_use]
    pub fn log_line(log: &LogFile, line: u64, text: &str) -> Self {
        Self::new(EvidenceKind::Log, &log.source, format!("line {line}"), text)
    }

    /// A fact about the node the pod ran on.
    #[must_use]
    pub fn node(s: &Subject<'_>, field: &str, text: impl AsRef<str>) -> Self {
        let node = s.pod.spec.node_name.as_deref().unwrap_or("?");
        Self::new(
            EvidenceKind::Node,
            "cluster/nodes.yaml",
            format!("{node}: {field}"),
            text,
        )
    }
}

/// A cause proposed for one subject by one rule.
#[derive(Debug, Clone)]
pub struct Finding {
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
    pub fn new(rule: &RuleDef, s: &Subject<'_>, confidence: f64) -> Self {
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
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    #[must_use]
    pub fn evidence(mut self, e: Evidence) -> Self {
        if !self.evidence.contains(&e) {
            self.evidence.push(e);
        }
        self
    }

    #[must_use]
    pub fn evidence_all(mut self, items: impl IntoIterator<Item = Evidence>) -> Self {
        for e in items {
            self = self.evidence(e);
        }
        self
    }

    #[must_use]
    pub fn remedy(mut self, step: impl Into<String>) -> Self {
        self.remediation.push(step.into());
        self
    }

    #[must_use]
    pub fn command(mut self, cmd: impl Into<String>) -> Self {
        self.commands.push(cmd.into());
        self
    }

    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// The log hits of `cause` for a subject, in line order.
pub fn hits_for<'s>(s: &'s Subject<'_>, cause: Cause) -> impl Iterator<Item = &'s LogHit> {
    s.log_hits.iter().filter(move |h| h.cause == cause)
}

/// The strongest hit of `cause` (confidence x position), the latest on ties.
#[must_use]
pub fn best_hit<'s>(s: &'s Subject<'_>, cause: Cause) -> Option<&'s LogHit> {
    hits_for(s, cause).max_by(|a, b| {
        let score = |h: &LogHit| h.signature.confidence * h.position_weight();
        score(a)
            .total_cmp(&score(b))
            .then_with(|| b.from_end.cmp(&a.from_end))
    })
}

/// Evidence for the last termination: reason and exit code in one item.
#[must_use]
pub fn termination_evidence(s: &Subject<'_>) -> Option<Evidence> {
    let t = s.last_termination()?;
    let mut parts = Vec::new();
    if let Some(r) = &t.reason {
        parts.push(format!("reason {r}"));
    }
    if let Some(c) = t.exit_code {
        parts.push(format!("exit code {c}"));
    }
    if let Some(sig) = t.signal {
        parts.push(format!("signal {sig}"));
    }
    if let Some(secs) = t.runtime_secs() {
        parts.push(format!("ran {}", crate::model::time::human_duration(secs)));
    }
    (!parts.is_empty()).then(|| Evidence::status(s, s.last_termination_field(), parts.join(", ")))
}

/// The repository of an image reference, without tag or digest
/// (`registry.example.com:5000/shop/api:1` -> `registry.example.com:5000/shop/api`).
#[must_use]
pub fn repository_of(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => no_digest,
    }
}

/// Evidence that the container is waiting in back-off (the loop itself).
#[must_use]
pub fn waiting_evidence(s: &Subject<'_>) -> Option<Evidence> {
    let w = s.waiting()?;
    let text = match (&w.reason, &w.message) {
        (Some(r), Some(m)) => format!("{r}: {m}"),
        (Some(r), None) => r.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => return None,
    };
    Some(Evidence::status(s, "state.waiting", text))
}

/// A generic rule body for causes recognized by their log signatures: one proposal per
/// looping container that has a hit, with the hit lines and the termination as evidence.
/// `describe` returns the title and remediation given the best hit.
pub fn check_log_signatures(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    rule: &RuleDef,
    describe: impl Fn(&Subject<'_>, &LogHit) -> (String, Vec<String>),
) {
    for s in cx.crashlooping_containers() {
        let Some(best) = best_hit(s, rule.cause) else {
            continue;
        };
        let mut confidence = best.signature.confidence * best.position_weight();
        // A non-zero exit is consistent with a fatal error line.
        if s.exit_code().is_some_and(|c| c != 0) {
            confidence += 0.05;
        }
        let (title, remediation) = describe(s, best);
        let mut f = Finding::new(rule, s, confidence)
            .title(title)
            .evidence(Evidence::log_hit(s, best));
        for hit in hits_for(s, rule.cause)
            .filter(|h| !std::ptr::eq(*h, best))
            .take(2)
        {
            f = f.evidence(Evidence::log_hit(s, hit));
        }
        if let Some(e) = termination_evidence(s) {
            f = f.evidence(e);
        }
        f.remediation = remediation;
        out.push(f);
    }
}

/// The causes whose log signatures match `line` (for rules' signature-boundary tests).
#[cfg(test)]
pub(crate) fn causes_of_line(line: &str) -> Vec<&'static str> {
    crate::logscan::scan_message(line)
        .iter()
        .map(|h| h.cause.id())
        .collect()
}

#[cfg(test)]
mod tests;
