//! The list of rules and the selection of rules by cause id.

use crate::cause::Cause;

use super::{
    RuleDef, app_error_exit, auth_failure, bad_args, command_not_found, dependency_unreachable,
    dns_failure, evicted, exec_format, file_permission_denied, image_pull, invalid_app_config,
    job_backoff_limit, kubernetes_api_access, lifecycle_hook_failure, liveness_probe_kill,
    missing_config_ref, native_crash, no_foreground_process, node_oom, not_executable,
    oom_at_start, oom_killed, port_in_use, read_only_filesystem, readiness_only,
    resource_exhausted, runtime_heap_exhausted, runtime_start_failure, security_context_blocked,
    sidecar_ordering, sigkill_not_oom, sigterm, stale_lock_or_corrupt_state, startup_probe_kill,
    tls_certificate, unhandled_exception, volume_mount,
};

/// Every rule, sorted by cause id. Adding a rule is one line here.
pub static RULES: &[&RuleDef] = &[
    &app_error_exit::APP_ERROR_EXIT,
    &auth_failure::AUTH_FAILURE,
    &bad_args::BAD_ARGS,
    &command_not_found::COMMAND_NOT_FOUND,
    &dependency_unreachable::DEPENDENCY_UNREACHABLE,
    &dns_failure::DNS_FAILURE,
    &evicted::EVICTED,
    &exec_format::EXEC_FORMAT,
    &file_permission_denied::FILE_PERMISSION_DENIED,
    &image_pull::IMAGE_PULL,
    &invalid_app_config::INVALID_APP_CONFIG,
    &job_backoff_limit::JOB_BACKOFF_LIMIT,
    &kubernetes_api_access::KUBERNETES_API_ACCESS,
    &lifecycle_hook_failure::LIFECYCLE_HOOK_FAILURE,
    &liveness_probe_kill::LIVENESS_PROBE_KILL,
    &missing_config_ref::MISSING_CONFIG_REF,
    &native_crash::NATIVE_CRASH,
    &no_foreground_process::NO_FOREGROUND_PROCESS,
    &node_oom::NODE_OOM,
    &not_executable::NOT_EXECUTABLE,
    &oom_at_start::OOM_AT_START,
    &oom_killed::OOM_KILLED,
    &port_in_use::PORT_IN_USE,
    &read_only_filesystem::READ_ONLY_FILESYSTEM,
    &readiness_only::READINESS_ONLY,
    &resource_exhausted::RESOURCE_EXHAUSTED,
    &runtime_heap_exhausted::RUNTIME_HEAP_EXHAUSTED,
    &runtime_start_failure::RUNTIME_START_FAILURE,
    &security_context_blocked::SECURITY_CONTEXT_BLOCKED,
    &sidecar_ordering::SIDECAR_ORDERING,
    &sigkill_not_oom::SIGKILL_NOT_OOM,
    &sigterm::SIGTERM,
    &stale_lock_or_corrupt_state::STALE_LOCK_OR_CORRUPT_STATE,
    &startup_probe_kill::STARTUP_PROBE_KILL,
    &tls_certificate::TLS_CERTIFICATE,
    &unhandled_exception::UNHANDLED_EXCEPTION,
    &volume_mount::VOLUME_MOUNT,
];

/// Correlations that group or explain other findings (not rules of their own file).
pub static CORRELATIONS: &[(Cause, &str)] = &[
    (
        Cause::ControlPlaneDisruption,
        "workloads losing the Kubernetes API in the same minute: one control-plane outage",
    ),
    (
        Cause::Fleet,
        "the same workload or image fails the same way in several clusters",
    ),
    (
        Cause::NodeCorrelated,
        "restarts of unrelated workloads concentrated on one node",
    ),
    (
        Cause::RolloutRegression,
        "only the newest revision of a workload fails; names the template fields that changed",
    ),
    (
        Cause::SharedDependencyDown,
        "several workloads fail on the same dependency; points at it",
    ),
];

/// A rule by cause id or alias ([`crate::cause::ALIASES`]).
#[must_use]
pub fn find_rule(name: &str) -> Option<&'static RuleDef> {
    Cause::resolve(name).and_then(rule_of)
}

/// The rule of a cause (none for a correlation).
#[must_use]
pub fn rule_of(cause: Cause) -> Option<&'static RuleDef> {
    RULES.iter().copied().find(|r| r.cause == cause)
}

/// Causes behind a container that the runtime fails to create or start.
const START_FAILURES: &[Cause] = &[
    Cause::CommandNotFound,
    Cause::ExecFormat,
    Cause::NotExecutable,
    Cause::OomAtStart,
    Cause::RuntimeStartFailure,
];

/// Kubernetes reason names users type (the `STATUS` of `kubectl get pods`, `reason` fields and
/// event reasons) and the causes they point at. `CrashLoopBackOff` is not listed: it is the
/// symptom of every crash-loop cause (`explain` lists them); `OOMKilled` folds to `oom-killed`.
pub static REASONS: &[(&str, &[Cause])] = &[
    ("BackoffLimitExceeded", &[Cause::JobBackoffLimit]),
    ("ContainerCannotRun", START_FAILURES),
    ("CreateContainerConfigError", &[Cause::MissingConfigRef]),
    ("CreateContainerError", START_FAILURES),
    ("ErrImageNeverPull", &[Cause::ImagePull]),
    ("ErrImagePull", &[Cause::ImagePull]),
    ("Evicted", &[Cause::Evicted]),
    ("ImagePullBackOff", &[Cause::ImagePull]),
    ("InvalidImageName", &[Cause::ImagePull]),
    ("PostStartHookError", &[Cause::LifecycleHookFailure]),
    ("RunContainerError", START_FAILURES),
    ("StartError", START_FAILURES),
];

/// What a name typed for `ktriage explain` stands for.
#[derive(Clone, Copy)]
pub enum Explained {
    Rule(&'static RuleDef),
    /// A correlation of `CORRELATIONS`.
    Correlation(Cause),
    /// A Kubernetes reason (as spelled in `REASONS`) and the causes it points at.
    Reason(&'static str, &'static [Cause]),
    /// `CrashLoopBackOff`: the symptom, not a cause.
    CrashLoop,
}

/// Looks a cause id, correlation id or Kubernetes reason up, ignoring case, `-`, `_` and spaces
/// (`OOMKilled`, `oom_killed`, `crashloopbackoff`).
#[must_use]
pub fn find_explained(name: &str) -> Option<Explained> {
    if let Some(rule) = find_rule(name.trim()) {
        return Some(Explained::Rule(rule));
    }
    let key = fold(name);
    if let Some(rule) = RULES.iter().find(|r| fold(r.cause.id()) == key) {
        return Some(Explained::Rule(rule));
    }
    if let Some((c, _)) = CORRELATIONS.iter().find(|(c, _)| fold(c.id()) == key) {
        return Some(Explained::Correlation(*c));
    }
    if key == "crashloopbackoff" || key == "crashloop" {
        return Some(Explained::CrashLoop);
    }
    REASONS
        .iter()
        .find(|(r, _)| fold(r) == key)
        .map(|(r, causes)| Explained::Reason(r, causes))
}

/// The known names nearest to `name` (cause ids, correlation ids, Kubernetes reasons), closest
/// first: at most three, each within a third of the longer name's length in edits.
#[must_use]
pub fn nearest(name: &str) -> Vec<&'static str> {
    let key = fold(name);
    let names = Cause::ALL
        .iter()
        .map(|c| c.id())
        .chain(REASONS.iter().map(|(r, _)| *r))
        .chain(["CrashLoopBackOff"]);
    let mut scored: Vec<(usize, &'static str)> = names
        .filter_map(|n| {
            let folded = fold(n);
            let distance = edit_distance(&key, &folded);
            let within = key.chars().count().max(folded.chars().count()) / 3;
            (distance <= within.max(1)).then_some((distance, n))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// Lowercase, without `-`, `_` and spaces: the form names are compared in.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Which causes a run reports (`--select` / `--ignore`), resolved once.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    select: Option<Vec<Cause>>,
    ignore: Vec<Cause>,
}

impl RuleSet {
    /// Builds a selection; every name must be a cause id or a correlation.
    ///
    /// # Errors
    /// The first unknown name, with the flag it came from.
    pub fn new(select: &[String], ignore: &[String]) -> Result<Self, String> {
        let resolve = |flag: &str, names: &[String]| {
            names
                .iter()
                .map(|n| {
                    Cause::resolve(n)
                        .ok_or_else(|| format!("{flag}: unknown cause `{n}` (see `ktriage rules`)"))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let chosen = resolve("--select", select)?;
        let ignore = resolve("--ignore", ignore)?;
        Ok(Self {
            select: (!chosen.is_empty()).then_some(chosen),
            ignore,
        })
    }

    /// Whether findings of `cause` are reported.
    #[must_use]
    pub fn is_enabled(&self, cause: Cause) -> bool {
        self.select.as_ref().is_none_or(|s| s.contains(&cause)) && !self.ignore.contains(&cause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_reasons_are_explained() {
        let cause = |name: &str| match find_explained(name) {
            Some(Explained::Rule(r)) => r.cause.to_string(),
            Some(Explained::Reason(r, causes)) => {
                let ids: Vec<&str> = causes.iter().map(|c| c.id()).collect();
                format!("{r}: {}", ids.join(","))
            }
            Some(Explained::Correlation(c)) => format!("correlation {c}"),
            Some(Explained::CrashLoop) => "CrashLoopBackOff".to_owned(),
            None => "unknown".to_owned(),
        };
        assert_eq!(cause("OOM-Killed"), "oom-killed");
        assert_eq!(cause("OOMKilled"), "oom-killed");
        assert_eq!(cause("ImagePullBackOff"), "ImagePullBackOff: image-pull");
        assert_eq!(cause("errimagepull"), "ErrImagePull: image-pull");
        assert_eq!(
            cause("CreateContainerConfigError"),
            "CreateContainerConfigError: missing-config-ref"
        );
        assert_eq!(cause("create-container-config-error"), "missing-config-ref");
        assert_eq!(cause("crashloopbackoff"), "CrashLoopBackOff");
        assert_eq!(
            cause("Rollout_Regression"),
            "correlation rollout-regression"
        );
        assert_eq!(cause("no-such-thing"), "unknown");
    }

    #[test]
    fn every_reason_names_known_causes() {
        for (reason, causes) in REASONS {
            for c in *causes {
                assert!(
                    rule_of(*c).is_some(),
                    "{reason} names `{c}`, which no rule reports"
                );
            }
        }
    }

    #[test]
    fn nearest_names() {
        assert_eq!(nearest("oom-kiled"), ["oom-killed"]);
        assert_eq!(nearest("ImagePullBackof"), ["ImagePullBackOff"]);
        assert_eq!(nearest("CrashLoopBackOf"), ["CrashLoopBackOff"]);
        assert!(nearest("kubernetes").is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
