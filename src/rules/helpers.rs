//! What several rules share: reading a subject's log hits and state as evidence, the messages a
//! failed container start leaves, volume mounts, memory quantities. Rules import these from
//! here, never from each other.

use std::sync::LazyLock;

use regex::Regex;

use super::{Evidence, EvidenceKind, Finding, RuleContext, RuleDef, Signature};
use crate::cause::Cause;
use crate::logscan::{HitSource, LogHit};
use crate::model::pod::{Volume, VolumeMount};
use crate::model::{Event, LogFile};
use crate::subjects::{State, Subject};

// ---------------------------------------------------------------------------------------------
// Log hits and the container's state as evidence.

/// The log hits of `cause` for a subject, in line order.
pub(crate) fn hits_for<'s>(s: &'s Subject<'_>, cause: Cause) -> impl Iterator<Item = &'s LogHit> {
    s.log_hits.iter().filter(move |h| h.cause == cause)
}

/// The strongest hit of `cause` (confidence x position), the latest on ties.
#[must_use]
pub(crate) fn best_hit<'s>(s: &'s Subject<'_>, cause: Cause) -> Option<&'s LogHit> {
    hits_for(s, cause).max_by(|a, b| {
        let score = |h: &LogHit| h.signature.confidence * h.position_weight();
        score(a)
            .total_cmp(&score(b))
            .then_with(|| b.from_end.cmp(&a.from_end))
    })
}

/// Evidence for the last termination: reason and exit code in one item.
#[must_use]
fn termination_evidence(s: &Subject<'_>) -> Option<Evidence> {
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
pub(crate) fn repository_of(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => no_digest,
    }
}

/// Evidence that the container is waiting in back-off (the loop itself).
#[must_use]
pub(crate) fn waiting_evidence(s: &Subject<'_>) -> Option<Evidence> {
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
pub(crate) fn check_log_signatures(
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
        f = f.termination(s);
        f.remediation = remediation;
        out.push(f);
    }
}

impl Finding {
    /// Adds the last termination (reason, exit code, signal, run time) as evidence, if any.
    #[must_use]
    pub(crate) fn termination(self, s: &Subject<'_>) -> Self {
        self.evidence_all(termination_evidence(s))
    }

    /// Adds the waiting state (the back-off itself) as evidence, if the container waits.
    #[must_use]
    pub(crate) fn waiting(self, s: &Subject<'_>) -> Self {
        self.evidence_all(waiting_evidence(s))
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

// ---------------------------------------------------------------------------------------------
// A failed start: the runtime's messages.

/// Waiting reasons of a failed container start (taxonomy §2.2).
pub(crate) const START_REASONS: &[&str] = &[
    "RunContainerError",
    "CreateContainerError",
    "StartError",
    "ContainerCannotRun",
    "PreStartHookError",
];

/// Whether a subject may show a failed start: a loop, or waiting with a start-failure reason.
pub(crate) fn is_start_candidate(s: &Subject<'_>) -> bool {
    s.state.is_loop()
        || (s.state == State::Waiting
            && s.waiting_reason()
                .is_some_and(|r| START_REASONS.contains(&r)))
}

/// The messages a failed start leaves, with their evidence: the last termination's message when
/// it was a start error (`StartError`, `ContainerCannotRun` or exit code 128), the waiting message
/// of a start-failure reason, and `Failed` events ("Error: …", image pulls excluded).
pub(crate) fn start_messages<'a>(s: &Subject<'a>) -> Vec<(Evidence, &'a str)> {
    let mut out = Vec::new();
    if let Some(t) = s.last_termination()
        && (matches!(
            t.reason.as_deref(),
            Some("StartError" | "ContainerCannotRun")
        ) || t.exit_code == Some(128))
        && let Some(m) = t.message.as_deref().filter(|m| !m.trim().is_empty())
    {
        let field = format!("{}.message", s.last_termination_field());
        out.push((Evidence::status(s, &field, m), m));
    }
    if let Some(w) = s.waiting()
        && w.reason
            .as_deref()
            .is_some_and(|r| START_REASONS.contains(&r))
        && let Some(m) = w.message.as_deref()
    {
        out.push((Evidence::status(s, "state.waiting.message", m), m));
    }
    for e in s.iter_events("Failed") {
        let text = e.text();
        let is_pull = [
            "ErrImagePull",
            "ImagePullBackOff",
            "pull image",
            "InvalidImageName",
        ]
        .iter()
        .any(|p| text.contains(p));
        // Old kubelets passed the runtime's error on without the `Error: ` prefix.
        let runtime = [
            "starting container process caused",
            "OCI runtime",
            "oci runtime",
        ]
        .iter()
        .any(|p| text.contains(p));
        let message = text
            .strip_prefix("Error: ")
            .or_else(|| runtime.then_some(text));
        if let Some(m) = message.filter(|_| !is_pull) {
            out.push((Evidence::event(e), m));
        }
    }
    out
}

/// Compiles a rule's signatures, for matching texts the log scan does not see (waiting
/// messages, events).
pub(crate) fn compile(signatures: &[Signature]) -> Vec<Regex> {
    signatures
        .iter()
        .map(|s| Regex::new(s.pattern).expect("signatures compile (checked by a test)"))
        .collect()
}

/// The first of `signatures` that matches `text`, with its `target` capture.
pub(crate) fn match_signature(
    signatures: &'static [Signature],
    regexes: &[Regex],
    text: &str,
) -> Option<(&'static Signature, Option<String>)> {
    signatures.iter().zip(regexes).find_map(|(sig, re)| {
        let c = re.captures(text)?;
        let target = c
            .name("target")
            .map(|m| m.as_str().trim_matches(['"', '\'', '`']).to_owned());
        Some((sig, target))
    })
}

/// The runtime refusing to enter the working directory as the container's user.
pub(crate) static CWD_DENIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"chdir to cwd \(\\?"(?P<target>[^"\\]+)\\?"\) set in config\.json failed: permission denied"#)
        .expect("valid regex")
});

/// Whether a runtime message says the container's user may not enter its working directory.
pub(crate) fn is_working_dir_denied(message: &str) -> bool {
    CWD_DENIED.is_match(message)
}

// ---------------------------------------------------------------------------------------------
// Volumes and quantities.

/// The volume mount of the container whose mount path is the longest prefix of `path`, with
/// its volume (when the pod spec lists it).
pub(crate) fn mount_for_path<'a>(
    s: &Subject<'a>,
    path: &str,
) -> Option<(&'a VolumeMount, Option<&'a Volume>)> {
    let spec: &'a crate::model::Container = s.spec;
    let mount = spec
        .volume_mounts
        .iter()
        .filter(|m| is_under(path, &m.mount_path))
        .max_by_key(|m| m.mount_path.len())?;
    let pod: &'a crate::model::Pod = s.pod;
    let volume = pod.spec.volumes.iter().find(|v| v.name == mount.name);
    Some((mount, volume))
}

/// Whether `path` is `dir` or lies below it.
pub(crate) fn is_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return path.starts_with('/');
    }
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A short description of a volume's source: `persistentVolumeClaim data-pg-0`, `emptyDir`, ….
pub(crate) fn describe_volume(v: Option<&Volume>) -> String {
    let Some(v) = v else {
        return "not in the pod spec".to_owned();
    };
    if let Some(p) = &v.persistent_volume_claim {
        format!("persistentVolumeClaim `{}`", p.claim_name)
    } else if let Some(h) = &v.host_path {
        format!("hostPath `{}`", h.path)
    } else if let Some(e) = &v.empty_dir {
        match (&e.medium, &e.size_limit) {
            (Some(m), Some(l)) if !m.is_empty() => format!("emptyDir, medium {m}, sizeLimit {l}"),
            (Some(m), None) if !m.is_empty() => format!("emptyDir, medium {m}"),
            (_, Some(l)) => format!("emptyDir, sizeLimit {l}"),
            _ => "emptyDir".to_owned(),
        }
    } else if let Some(c) = &v.config_map {
        format!("configMap `{}`", c.name)
    } else if let Some(c) = &v.secret {
        format!("secret `{}`", c.secret_name)
    } else {
        "projected or other volume".to_owned()
    }
}

/// The directory holding `path` (`/var/cache/nginx` for `/var/cache/nginx/client_temp`), or
/// `path` itself when it is a top-level directory.
pub(crate) fn parent_dir(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", _)) | None => trimmed,
        Some((dir, _)) => dir,
    }
}

/// A Kubernetes quantity in bytes: `512Mi`, `1G`, `512m` (milli), `1e9`, `256`.
pub(crate) fn memory_bytes(q: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let q = q.trim();
    for (suffix, factor) in SUFFIXES {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    q.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::{is_under, parent_dir};

    #[test]
    fn paths_and_parents() {
        assert!(is_under("/data/x/y", "/data"));
        assert!(is_under("/data", "/data/"));
        assert!(!is_under("/database/x", "/data"));
        assert_eq!(
            parent_dir("/var/cache/nginx/client_temp"),
            "/var/cache/nginx"
        );
        assert_eq!(parent_dir("/tmp"), "/tmp");
        assert_eq!(parent_dir("/tmp/app.pid"), "/tmp");
    }
}
