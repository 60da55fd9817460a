//! `image-pull`: the kubelet cannot pull a container's image. Not a crash loop: the container
//! never starts, so it never restarts.

use super::{CERTAIN, Evidence, Finding, RuleContext, repository_of};
use crate::model::Event;
use crate::subjects::{State, Subject};

declare_rule! {
    /// ## What it detects
    /// A container whose image cannot be pulled: waiting in `ErrImagePull`, `ImagePullBackOff`,
    /// `InvalidImageName` or `ErrImageNeverPull`, with `Failed` events "Failed to pull image …".
    ///
    /// ## Why it is not a crash loop
    /// The container never starts, so `restartCount` stays 0 and there are no logs; the kubelet
    /// backs off between pull attempts (`Back-off pulling image`), not between restarts. The
    /// `BackOff` event reason is the same as a crash loop's, only the message differs.
    ///
    /// ## Evidence
    /// - `state.waiting.reason` is one of the pull reasons (certain)
    /// - the `Failed` event's message says why: `manifest unknown` / `not found` (the tag or
    ///   repository does not exist), `pull access denied` / `401` / `403` / `insufficient_scope`
    ///   (credentials or `imagePullSecrets`), `no matching manifest for linux/arm64` (no image for
    ///   the node's platform), `i/o timeout` / `TLS handshake timeout` / `no such host` (the node
    ///   cannot reach the registry)
    /// - with no status in the bundle, the kubelet's events alone: `Failed` "Failed to pull image
    ///   …", `Back-off pulling image …`, `InspectFailed` "… invalid reference format" (a tag
    ///   written as a number that YAML printed as a float, `2.417603e+06`, is named)
    /// - the pod's `imagePullSecrets` and the node's architecture
    ///
    /// ## Remedy
    /// Fix the image reference (tag, repository), the pull secret, the platforms the image is
    /// built for, or the node's route to the registry, depending on what the event says.
    ///
    /// ## Not covered
    /// An image that pulls but whose binary is for another CPU (`exec-format`), missing
    /// ConfigMaps or Secrets (`missing-config-ref`).
    pub(crate) static IMAGE_PULL = {
        cause: ImagePull, kind: NotALoop, check: check, signatures: &[],
    };
}

/// Waiting reasons of a failed pull (kubelet `pkg/kubelet/images`).
const PULL_REASONS: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
    "SignatureValidationFailed",
];

/// Why a pull fails, from the kubelet's and the runtime's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// The tag or the repository does not exist.
    NotFound,
    /// The registry refuses the credentials (or there are none).
    Auth,
    /// No image for the node's platform (`linux/arm64`).
    Platform(String),
    /// The node cannot reach the registry.
    Network,
    /// The reference is not a valid image name.
    InvalidName,
    /// `imagePullPolicy: Never` and the image is not on the node.
    NeverPull,
    /// The messages do not say.
    Unknown,
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let candidates = cx
        .iter_in_state(State::Waiting)
        .chain(cx.iter_in_state(State::Unreported));
    for s in candidates {
        let reason = s.waiting_reason().filter(|r| PULL_REASONS.contains(r));
        // No status in the bundle: the kubelet's events say it cannot pull.
        let Some(reason) = reason.or_else(|| reason_from_events(s)) else {
            continue;
        };
        let failed: Vec<&Event> = s
            .events
            .iter()
            .copied()
            .filter(|e| {
                matches!(
                    e.reason.as_str(),
                    "Failed" | "InspectFailed" | "ErrImageNeverPull"
                )
            })
            // "Failed to pull image …", "Failed to apply default image tag …"; not "Error: ErrImagePull".
            .filter(|e| e.text().contains(" image "))
            .collect();
        let message = s.waiting().and_then(|w| w.message.as_deref()).unwrap_or("");
        // The latest event says most; the waiting message of ErrImagePull carries the same error.
        let problem = match reason {
            "InvalidImageName" => Problem::InvalidName,
            "ErrImageNeverPull" => Problem::NeverPull,
            _ => failed
                .iter()
                .rev()
                .map(|e| classify(e.text()))
                .chain(std::iter::once(classify(message)))
                .find(|p| *p != Problem::Unknown)
                .unwrap_or(Problem::Unknown),
        };
        out.push(finding(s, reason, &problem, &failed));
    }
}

/// The waiting reason the kubelet's pull events imply, for a container the bundle shows no
/// status of: `ErrImagePull` after a failed pull, `ImagePullBackOff` while it waits to retry.
fn reason_from_events(s: &Subject<'_>) -> Option<&'static str> {
    let mut reason = None;
    for e in &s.events {
        let text = e.text();
        match e.reason.as_str() {
            "Failed"
                if text.starts_with("Failed to pull image") || text == "Error: ErrImagePull" =>
            {
                reason = reason.or(Some("ErrImagePull"));
            }
            // The kubelet rejects the reference before any pull: `InspectFailed` "Failed to apply
            // default image tag …: invalid reference format", then "Error: InvalidImageName".
            "InspectFailed" => reason = Some("InvalidImageName"),
            "ErrImageNeverPull" => reason = Some("ErrImageNeverPull"),
            "Failed" => {
                // "Error: ImagePullBackOff", "Error: InvalidImageName", …: the waiting reason itself.
                if let Some(r) = text
                    .strip_prefix("Error: ")
                    .and_then(|r| PULL_REASONS.iter().find(|p| **p == r))
                {
                    reason = Some(r);
                }
            }
            "BackOff" if text.starts_with("Back-off pulling image") => {
                reason = Some("ImagePullBackOff");
            }
            _ => {}
        }
    }
    reason
}

/// The image a pull event names: `Failed to pull image "repo:tag": …`, `Failed to apply default
/// image tag "repo:tag": …`, `Container image "repo:tag" is not present with pull policy of Never`.
fn image_of_event(text: &str) -> Option<&str> {
    let rest = [
        "Failed to pull image \"",
        "Back-off pulling image \"",
        "Failed to apply default image tag \"",
        "Container image \"",
    ]
    .into_iter()
    .find_map(|prefix| text.strip_prefix(prefix))?;
    rest.split('"').next()
}

/// Whether an image tag is a number printed in exponent notation (`2.417603e+06`): an all-digit
/// tag left unquoted in YAML and printed back as a float.
fn is_float_notation(tag: &str) -> bool {
    let Some((mantissa, exponent)) = tag.split_once(['e', 'E']) else {
        return false;
    };
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    digits(int) && digits(frac) && digits(exponent.trim_start_matches(['+', '-']))
}

/// Classifies one pull error message.
fn classify(text: &str) -> Problem {
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = lower.split("no matching manifest for ").nth(1) {
        let platform = rest
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(['.', ',', ':']);
        return Problem::Platform(platform.to_owned());
    }
    // containerd's wording; it names no platform, the node's architecture does.
    if lower.contains("no match for platform in manifest") {
        return Problem::Platform(String::new());
    }
    if [
        "pull access denied",
        "insufficient_scope",
        "unauthorized",
        "401 unauthorized",
        "403 forbidden",
        "authentication required",
        "denied: ",
    ]
    .iter()
    .any(|p| lower.contains(p))
    {
        return Problem::Auth;
    }
    if ["manifest unknown", "not found", "name unknown"]
        .iter()
        .any(|p| lower.contains(p))
    {
        return Problem::NotFound;
    }
    if [
        "i/o timeout",
        "tls handshake timeout",
        "no such host",
        "connection refused",
        "context deadline exceeded",
        "network is unreachable",
        "no route to host",
    ]
    .iter()
    .any(|p| lower.contains(p))
    {
        return Problem::Network;
    }
    Problem::Unknown
}

fn finding(s: &Subject<'_>, reason: &str, problem: &Problem, failed: &[&Event]) -> Finding {
    let name = s.name();
    let image = [s.spec.image.as_str(), s.status.image.as_str()]
        .into_iter()
        .find(|i| !i.is_empty())
        .or_else(|| s.events.iter().find_map(|e| image_of_event(e.text())))
        .unwrap_or("");
    let registry = registry_of(image);
    let what = match problem {
        Problem::NotFound => " (the tag or repository does not exist)".to_owned(),
        Problem::Auth => " (access denied by the registry)".to_owned(),
        Problem::Platform(p) => format!(" (no {} variant)", platform_name(s, p)),
        Problem::Network => format!(" (registry `{registry}` unreachable)"),
        Problem::NeverPull => " (`imagePullPolicy: Never` and not on the node)".to_owned(),
        Problem::InvalidName | Problem::Unknown => String::new(),
    };
    let title = if *problem == Problem::InvalidName {
        format!("container `{name}` has an invalid image name `{image}`: not a crash loop")
    } else {
        format!("container `{name}` cannot pull its image `{image}`{what}: not a crash loop")
    };
    let mut f = Finding::new(&IMAGE_PULL, s, CERTAIN).title(title);
    f = f.waiting(s);
    if let Some(e) = failed.last() {
        f = f.evidence(Evidence::event(e));
    }
    if let Some(e) = s
        .iter_events("BackOff")
        .filter(|e| e.text().contains("pulling image"))
        .last()
    {
        f = f.evidence(Evidence::event(e));
    }
    if s.spec_shown() {
        f = f.evidence(Evidence::spec(s, "image", image));
    }
    f = remedies(s, f, problem, image, reason);
    f.note(
        "the container never started: `restartCount` stays 0 and there are no logs; the back-off is between pull attempts",
    )
}

/// The remediation and the commands for one kind of pull failure.
fn remedies(
    s: &Subject<'_>,
    mut f: Finding,
    problem: &Problem,
    image: &str,
    reason: &str,
) -> Finding {
    let name = s.name();
    let registry = registry_of(image);
    match problem {
        Problem::NotFound => {
            f = f.remedy(format!(
                "`{image}` does not exist in `{registry}`: check the repository and tag (a typo, or a tag that was never pushed) and fix the image in the workload's pod template"
            ));
            f = f.command(format!("crane ls {}", repository_of(image)));
        }
        Problem::Auth => {
            f = auth_remedies(s, f, image);
        }
        Problem::Platform(p) => {
            let p = platform_name(s, p);
            if let Some(arch) = s.node.and_then(|n| n.architecture()) {
                f = f.evidence(Evidence::node(
                    s,
                    "metadata.labels[kubernetes.io/arch]",
                    arch,
                ));
            }
            f = f.remedy(format!(
                "`{image}` has no {p} image: publish a multi-arch image (`docker buildx build --platform linux/amd64,linux/arm64`), or schedule `{name}` only on nodes of a platform the image has (`nodeSelector: kubernetes.io/arch`)"
            ));
            f = f.command(format!("docker manifest inspect {image}"));
        }
        Problem::Network => {
            let node = s.pod.spec.node_name.as_deref().unwrap_or("the node");
            f = f.remedy(format!(
                "node `{node}` cannot reach `{registry}`: check DNS, the egress firewall or proxy, and the registry's status from the node"
            ));
            f = f.remedy(format!(
                "use a registry mirror reachable from the cluster, or pre-pull `{image}`"
            ));
        }
        Problem::InvalidName => {
            let tag = image.rsplit_once(':').map_or("", |(_, t)| t);
            if is_float_notation(tag) {
                f = f.remedy(format!(
                    "the tag `{tag}` is a number that YAML (or a Helm template) turned into a float: quote the tag where it is set (`tag: \"...\"`)"
                ));
            }
            f = f.remedy(format!(
                "`{image}` is not a valid image reference: fix it (lowercase repository, one `:tag` or `@sha256:` digest)"
            ));
        }
        Problem::NeverPull => {
            f = f.remedy(format!(
                "`imagePullPolicy: Never` needs `{image}` preloaded on every node: load it on the node or set `imagePullPolicy: IfNotPresent`"
            ));
        }
        Problem::Unknown => {
            f = f.remedy(format!(
                "read the pod's `Failed` events for the pull error of `{image}` ({reason})"
            ));
        }
    }
    f
}

/// Remediation for a pull refused by the registry: the pod's pull secrets, or the lack of them.
fn auth_remedies(s: &Subject<'_>, mut f: Finding, image: &str) -> Finding {
    let registry = registry_of(image);
    let ns = &s.pod.metadata.namespace;
    let secrets: Vec<&str> = s
        .pod
        .spec
        .image_pull_secrets
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    f = f.evidence(Evidence::spec(
        s,
        "spec.imagePullSecrets",
        if secrets.is_empty() {
            "none".to_owned()
        } else {
            secrets.join(", ")
        },
    ));
    if secrets.is_empty() {
        let sa = s
            .pod
            .spec
            .service_account_name
            .as_deref()
            .unwrap_or("default");
        f = f.remedy(format!(
                "the pod has no `imagePullSecrets`: create a docker-registry Secret with credentials for `{registry}` and reference it in `spec.imagePullSecrets` (or on the ServiceAccount `{sa}`)"
            ));
        f = f.command(format!("kubectl -n {ns} get serviceaccount {sa} -o yaml"));
    } else {
        for secret in &secrets {
            let missing = s.cluster.secrets_collected.contains(ns.as_str())
                && !s
                    .cluster
                    .secrets
                    .iter()
                    .any(|k| k.metadata.namespace == *ns && k.metadata.name == *secret);
            if missing {
                f = f.remedy(format!(
                        "the pull secret `{secret}` does not exist in namespace `{ns}`: create it with credentials for `{registry}`"
                    ));
            } else {
                f = f.remedy(format!(
                        "check that the pull secret `{secret}` holds valid, unexpired credentials for `{registry}` with read access to `{}`",
                        repository_of(image)
                    ));
            }
            f = f.command(format!(
                    "kubectl -n {ns} get secret {secret} -o jsonpath='{{.data.\\.dockerconfigjson}}' | base64 -d"
                ));
        }
    }
    f = f.remedy(format!(
            "a private registry also refuses pulls of a repository that does not exist: check that `{}` is spelled right",
            repository_of(image)
        ));
    f
}

/// The platform a pull error names, else the node's (`linux/arm64`), else a phrase.
fn platform_name(s: &Subject<'_>, named: &str) -> String {
    if !named.is_empty() {
        return named.to_owned();
    }
    s.node
        .and_then(|n| n.architecture())
        .map_or_else(|| "matching platform".to_owned(), |a| format!("linux/{a}"))
}

/// The registry host of an image reference (`docker.io` when the first part is not a host).
fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_tags_turned_floats_are_recognized() {
        for tag in ["2.417603e+06", "1e+07", "3.5E-4"] {
            assert!(is_float_notation(tag), "{tag}");
        }
        for tag in ["latest", "1.2.3", "e5", "2.4e", "v1e+06", "", "sha256"] {
            assert!(!is_float_notation(tag), "{tag}");
        }
        assert_eq!(
            image_of_event(
                r#"Failed to apply default image tag "ghcr.io/apache/flink-kubernetes-operator:2.417603e+06": couldn't parse image reference "ghcr.io/apache/flink-kubernetes-operator:2.417603e+06": invalid reference format"#
            ),
            Some("ghcr.io/apache/flink-kubernetes-operator:2.417603e+06")
        );
    }

    #[test]
    fn pull_errors_are_classified() {
        assert_eq!(
            classify(
                r#"Failed to pull image "busybox:1.99": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/busybox:1.99": failed to resolve reference "docker.io/library/busybox:1.99": docker.io/library/busybox:1.99: not found"#
            ),
            Problem::NotFound
        );
        assert_eq!(
            classify(
                r#"Failed to pull image "registry.example.com/shop/api:2.3.1": failed to pull and unpack image "registry.example.com/shop/api:2.3.1": failed to resolve reference "registry.example.com/shop/api:2.3.1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"#
            ),
            Problem::Auth
        );
        assert_eq!(
            classify(
                r#"Failed to pull image "ghcr.io/acme/tool:1.0": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/tool:1.0": no match for platform in manifest: not found"#
            ),
            Problem::Platform(String::new())
        );
        assert_eq!(
            classify(
                "Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries"
            ),
            Problem::Platform("linux/arm64/v8".to_owned())
        );
        assert_eq!(
            classify(
                r#"Failed to pull image "quay.io/acme/api:1.2": rpc error: code = Unknown desc = failed to pull and unpack image "quay.io/acme/api:1.2": failed to resolve reference "quay.io/acme/api:1.2": failed to do request: Head "https://quay.io/v2/acme/api/manifests/1.2": dial tcp 54.144.203.57:443: i/o timeout"#
            ),
            Problem::Network
        );
    }

    #[test]
    fn registry_and_repository() {
        assert_eq!(registry_of("nginx:1.27"), "docker.io");
        assert_eq!(registry_of("bitnami/redis:7.2"), "docker.io");
        assert_eq!(
            registry_of("registry.example.com:5000/shop/api:1"),
            "registry.example.com:5000"
        );
        assert_eq!(
            repository_of("registry.example.com:5000/shop/api:1"),
            "registry.example.com:5000/shop/api"
        );
        assert_eq!(repository_of("nginx@sha256:abc"), "nginx");
    }
}
