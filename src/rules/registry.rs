//! The list of rules and the selection of rules by cause id.

#[cfg(test)]
use std::sync::LazyLock;

use crate::cause::Cause;
use crate::logscan::Scanner;

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
pub(crate) static RULES: &[&RuleDef] = &[
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

/// The scanner of every rule's log signatures, each with its rule's cause. Built once per run
/// and passed to whatever reads logs (compiling it takes a few milliseconds).
#[must_use]
pub fn scanner() -> Scanner {
    Scanner::new(
        RULES
            .iter()
            .flat_map(|r| r.signatures.iter().map(|s| (r.cause, s)))
            .collect(),
    )
}

/// One `scanner()` shared by the unit tests.
#[cfg(test)]
pub(crate) static SCANNER: LazyLock<Scanner> = LazyLock::new(scanner);

/// A rule by cause id or alias ([`crate::cause::ALIASES`]).
#[must_use]
pub(crate) fn find_rule(name: &str) -> Option<&'static RuleDef> {
    Cause::resolve(name).and_then(rule_of)
}

/// The rule of a cause (none for a correlation).
#[must_use]
pub(crate) fn rule_of(cause: Cause) -> Option<&'static RuleDef> {
    RULES.iter().copied().find(|r| r.cause == cause)
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
