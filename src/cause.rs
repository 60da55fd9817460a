//! Cause ids: one typed id per cause a rule reports and per correlation, and the one table of
//! the other names a cause is known by.
//!
//! The id (`oom-killed`) is what reports, `--select`, `explain` and the JSON schema show; code
//! names a cause by its variant (`Cause::OomKilled`), so a typo is a compile error and the list
//! of causes is in one place. Causes order by id, whatever the order of the variants.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What produces findings of a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A rule (`src/rules/<id>.rs`).
    Rule,
    /// A correlation over other findings (`src/correlations/<id>.rs`), or the fleet view.
    Correlation,
}

macro_rules! causes {
    ($($origin:ident $variant:ident = $id:literal,)*) => {
        /// A cause id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Cause {
            $($variant,)*
        }

        impl Cause {
            /// Every cause and correlation, sorted by id (a test checks the order).
            pub const ALL: &[Cause] = &[$(Cause::$variant,)*];

            /// The stable id, as reports show it.
            #[must_use]
            pub const fn id(self) -> &'static str {
                match self {
                    $(Cause::$variant => $id,)*
                }
            }

            /// Whether a rule or a correlation makes findings of this cause.
            #[must_use]
            pub const fn origin(self) -> Origin {
                match self {
                    $(Cause::$variant => Origin::$origin,)*
                }
            }
        }
    };
}

causes! {
    Rule AppErrorExit = "app-error-exit",
    Rule AuthFailure = "auth-failure",
    Rule BadArgs = "bad-args",
    Rule CommandNotFound = "command-not-found",
    Correlation ControlPlaneDisruption = "control-plane-disruption",
    Rule DependencyUnreachable = "dependency-unreachable",
    Rule DnsFailure = "dns-failure",
    Rule Evicted = "evicted",
    Rule ExecFormat = "exec-format",
    Rule FilePermissionDenied = "file-permission-denied",
    Correlation Fleet = "fleet",
    Rule ImagePull = "image-pull",
    Rule InvalidAppConfig = "invalid-app-config",
    Rule JobBackoffLimit = "job-backoff-limit",
    Rule KubernetesApiAccess = "kubernetes-api-access",
    Rule LifecycleHookFailure = "lifecycle-hook-failure",
    Rule LivenessProbeKill = "liveness-probe-kill",
    Rule MissingConfigRef = "missing-config-ref",
    Rule NativeCrash = "native-crash",
    Rule NoForegroundProcess = "no-foreground-process",
    Correlation NodeCorrelated = "node-correlated",
    Rule NodeOom = "node-oom",
    Rule NotExecutable = "not-executable",
    Rule OomAtStart = "oom-at-start",
    Rule OomKilled = "oom-killed",
    Rule PortInUse = "port-in-use",
    Rule ReadOnlyFilesystem = "read-only-filesystem",
    Rule ReadinessOnly = "readiness-only",
    Rule ResourceExhausted = "resource-exhausted",
    Correlation RolloutRegression = "rollout-regression",
    Rule RuntimeHeapExhausted = "runtime-heap-exhausted",
    Rule RuntimeStartFailure = "runtime-start-failure",
    Rule SecurityContextBlocked = "security-context-blocked",
    Correlation SharedDependencyDown = "shared-dependency-down",
    Rule SidecarOrdering = "sidecar-ordering",
    Rule SigkillNotOom = "sigkill-not-oom",
    Rule Sigterm = "sigterm",
    Rule StaleLockOrCorruptState = "stale-lock-or-corrupt-state",
    Rule StartupProbeKill = "startup-probe-kill",
    Rule TlsCertificate = "tls-certificate",
    Rule UnhandledException = "unhandled-exception",
    Rule VolumeMount = "volume-mount",
}

/// Another name of a cause, accepted wherever a cause id is (`--select`, `--ignore`,
/// `explain`) and listed by `ktriage rules`.
pub struct Alias {
    pub name: &'static str,
    pub cause: Cause,
    /// When the name applies, after the cause id in `ktriage rules`.
    pub note: &'static str,
}

/// Every alias. Kubernetes reasons (`ImagePullBackOff`) are not aliases but pointers to the
/// causes behind them (`rules::registry::REASONS`).
pub static ALIASES: &[Alias] = &[Alias {
    name: "create-container-config-error",
    cause: Cause::MissingConfigRef,
    note: "when nothing restarts (waiting `CreateContainerConfigError`)",
}];

impl Cause {
    /// The cause with this id, exactly as spelled (no alias).
    #[must_use]
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL
            .binary_search_by(|c| c.id().cmp(id))
            .ok()
            .map(|i| Self::ALL[i])
    }

    /// The cause a name stands for: its id or an alias ([`ALIASES`]).
    #[must_use]
    pub fn resolve(name: &str) -> Option<Self> {
        Self::from_id(name).or_else(|| ALIASES.iter().find(|a| a.name == name).map(|a| a.cause))
    }

    /// Whether this is a correlation (or the fleet view) rather than a rule's cause.
    #[must_use]
    pub fn is_correlation(self) -> bool {
        self.origin() == Origin::Correlation
    }
}

impl Ord for Cause {
    fn cmp(&self, other: &Self) -> Ordering {
        self.id().cmp(other.id())
    }
}

impl PartialOrd for Cause {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Cause {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Cause {
    /// From its id; an unknown id (a report of another version) is an error naming it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::resolve(&id).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown cause `{id}` (see `ktriage rules`)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_unique_and_kebab_case() {
        for pair in Cause::ALL.windows(2) {
            assert!(
                pair[0].id() < pair[1].id(),
                "{} before {}",
                pair[0],
                pair[1]
            );
        }
        for c in Cause::ALL {
            assert!(
                c.id()
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{c}"
            );
            assert_eq!(Cause::from_id(c.id()), Some(*c));
        }
    }

    #[test]
    fn aliases_resolve_and_never_shadow_an_id() {
        assert_eq!(
            Cause::resolve("create-container-config-error"),
            Some(Cause::MissingConfigRef)
        );
        assert_eq!(Cause::resolve("oom-killed"), Some(Cause::OomKilled));
        assert_eq!(Cause::resolve("no-such-cause"), None);
        for alias in ALIASES {
            assert_eq!(Cause::from_id(alias.name), None, "{}", alias.name);
        }
    }

    #[test]
    fn reads_back_what_it_writes() {
        let json = serde_json::to_string(&[Cause::DnsFailure, Cause::RolloutRegression])
            .expect("serializes");
        assert_eq!(json, r#"["dns-failure","rollout-regression"]"#);
        let back: Vec<Cause> = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, [Cause::DnsFailure, Cause::RolloutRegression]);
        let err = serde_json::from_str::<Cause>(r#""made-up""#).expect_err("unknown id");
        assert!(err.to_string().contains("unknown cause `made-up`"), "{err}");
    }
}
