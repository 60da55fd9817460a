//! The list of rules and the selection of rules by cause id.

use super::{
    RuleDef, app_error_exit, bad_args, dependency_unreachable, exec_format, invalid_app_config,
    liveness_probe_kill, no_foreground_process, oom_killed, unhandled_exception,
};

/// Every rule, sorted by cause id. Adding a rule is one line here.
pub static RULES: &[&RuleDef] = &[
    &app_error_exit::APP_ERROR_EXIT,
    &super::auth_failure::AUTH_FAILURE,
    &bad_args::BAD_ARGS,
    &dependency_unreachable::DEPENDENCY_UNREACHABLE,
    &super::dns_failure::DNS_FAILURE,
    &exec_format::EXEC_FORMAT,
    &super::file_permission_denied::FILE_PERMISSION_DENIED,
    &invalid_app_config::INVALID_APP_CONFIG,
    &super::kubernetes_api_access::KUBERNETES_API_ACCESS,
    &liveness_probe_kill::LIVENESS_PROBE_KILL,
    &no_foreground_process::NO_FOREGROUND_PROCESS,
    &oom_killed::OOM_KILLED,
    &super::port_in_use::PORT_IN_USE,
    &super::read_only_filesystem::READ_ONLY_FILESYSTEM,
    &super::resource_exhausted::RESOURCE_EXHAUSTED,
    &super::security_context_blocked::SECURITY_CONTEXT_BLOCKED,
    &super::sidecar_ordering::SIDECAR_ORDERING,
    &super::stale_lock_or_corrupt_state::STALE_LOCK_OR_CORRUPT_STATE,
    &super::tls_certificate::TLS_CERTIFICATE,
    &unhandled_exception::UNHANDLED_EXCEPTION,
];

/// Correlations that group or explain other findings (not rules of their own file).
pub static CORRELATIONS: &[(&str, &str)] = &[
    (
        "fleet",
        "the same workload or image fails the same way in several clusters",
    ),
    (
        "node-correlated",
        "restarts of unrelated workloads concentrated on one node",
    ),
    (
        "rollout-regression",
        "only the newest revision of a workload fails; names the template fields that changed",
    ),
    (
        "shared-dependency-down",
        "several workloads fail on the same dependency; points at it",
    ),
];

/// A rule by cause id (`create-container-config-error` is an alias of `missing-config-ref`).
#[must_use]
pub fn find_rule(cause: &str) -> Option<&'static RuleDef> {
    let cause = if cause == "create-container-config-error" {
        "missing-config-ref"
    } else {
        cause
    };
    RULES.iter().copied().find(|r| r.cause == cause)
}

/// Which causes a run reports (`--select` / `--ignore`), resolved once.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    select: Option<Vec<String>>,
    ignore: Vec<String>,
}

impl RuleSet {
    /// Builds a selection; every name must be a cause id or a correlation.
    ///
    /// # Errors
    /// The first unknown name, with the flag it came from.
    pub fn new(select: &[String], ignore: &[String]) -> Result<Self, String> {
        for (flag, names) in [("--select", select), ("--ignore", ignore)] {
            if let Some(bad) = names.iter().find(|n| !is_known(n)) {
                return Err(format!(
                    "{flag}: unknown cause `{bad}` (see `ktriage rules`)"
                ));
            }
        }
        Ok(Self {
            select: (!select.is_empty()).then(|| select.to_vec()),
            ignore: ignore.to_vec(),
        })
    }

    /// Whether findings of `cause` are reported.
    #[must_use]
    pub fn is_enabled(&self, cause: &str) -> bool {
        let hit = |names: &[String]| {
            names.iter().any(|n| {
                n == cause
                    || (n == "create-container-config-error" && cause == "missing-config-ref")
            })
        };
        self.select.as_deref().is_none_or(hit) && !hit(&self.ignore)
    }
}

fn is_known(name: &str) -> bool {
    find_rule(name).is_some() || CORRELATIONS.iter().any(|(c, _)| *c == name)
}
