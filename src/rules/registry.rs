//! The list of rules and the selection of rules by cause id.

use super::command_not_found;
use super::lifecycle_hook_failure;
use super::missing_config_ref;
use super::native_crash;
use super::node_oom;
use super::not_executable;
use super::oom_at_start;
use super::runtime_heap_exhausted;
use super::runtime_start_failure;
use super::sigkill_not_oom;
use super::sigterm;
use super::startup_probe_kill;
use super::volume_mount;
use super::{
    RuleDef, app_error_exit, bad_args, dependency_unreachable, exec_format, invalid_app_config,
    liveness_probe_kill, no_foreground_process, oom_killed, unhandled_exception,
};

/// Every rule, sorted by cause id. Adding a rule is one line here.
pub static RULES: &[&RuleDef] = &[
    &app_error_exit::APP_ERROR_EXIT,
    &bad_args::BAD_ARGS,
    &command_not_found::COMMAND_NOT_FOUND,
    &dependency_unreachable::DEPENDENCY_UNREACHABLE,
    &exec_format::EXEC_FORMAT,
    &invalid_app_config::INVALID_APP_CONFIG,
    &lifecycle_hook_failure::LIFECYCLE_HOOK_FAILURE,
    &liveness_probe_kill::LIVENESS_PROBE_KILL,
    &missing_config_ref::MISSING_CONFIG_REF,
    &native_crash::NATIVE_CRASH,
    &no_foreground_process::NO_FOREGROUND_PROCESS,
    &node_oom::NODE_OOM,
    &not_executable::NOT_EXECUTABLE,
    &oom_at_start::OOM_AT_START,
    &oom_killed::OOM_KILLED,
    &runtime_heap_exhausted::RUNTIME_HEAP_EXHAUSTED,
    &runtime_start_failure::RUNTIME_START_FAILURE,
    &sigkill_not_oom::SIGKILL_NOT_OOM,
    &sigterm::SIGTERM,
    &startup_probe_kill::STARTUP_PROBE_KILL,
    &unhandled_exception::UNHANDLED_EXCEPTION,
    &volume_mount::VOLUME_MOUNT,
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
