//! `kubernetes-api-access`: a controller or operator cannot use the Kubernetes API (RBAC,
//! credentials, missing CRDs, API server unreachable).

use std::sync::LazyLock;

use regex::Regex;

use super::{
    Evidence, EvidenceKind, Finding, RuleContext, Signature, best_hit, check_log_signatures,
};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container that exits because the Kubernetes API refuses it or cannot be reached.
    /// Controllers, operators and other in-cluster clients: `… is forbidden: User
    /// "system:serviceaccount:ns:sa" cannot list resource "x" in API group "y"`, `Unauthorized`,
    /// `no matches for kind "X" in version "g/v"` (CRD missing), `dial tcp 10.96.0.1:443: i/o
    /// timeout` (API unreachable), `leader election lost`.
    ///
    /// ## Why it crash-loops
    /// RBAC, installed CRDs and the network path to the API server do not change when the pod
    /// restarts; client libraries treat a failed initial list or a lost lease as fatal.
    ///
    /// ## Evidence
    /// - the RBAC denial with its user, verb, resource and scope (strong); the ServiceAccount
    ///   of the pod spec matching the denied user
    /// - a connection failure to the `kubernetes` Service IP on port 443 or to
    ///   `kubernetes.default.svc` (strong; preferred over `dependency-unreachable`), matched
    ///   against the `default/kubernetes` Service when the bundle has it
    /// - a missing kind or API resource (strong), `Unauthorized` from list/watch (strong),
    ///   lost leader election (likely)
    ///
    /// ## Remedy
    /// Bind a Role or ClusterRole granting the denied verb on the resource to the ServiceAccount
    /// (check with `kubectl auth can-i … --as=system:serviceaccount:ns:sa`); install or upgrade
    /// the CRDs; re-enable the token automount; allow egress to the API server.
    ///
    /// ## Not covered
    /// Credentials rejected by other services (`auth-failure`), TLS errors talking to other
    /// services (`tls-certificate`).
    pub(crate) static KUBERNETES_API_ACCESS = {
        cause: KubernetesApiAccess, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    // An informer that cannot list what it watches: the CRD is not installed, RBAC forbids it,
    // or the API does not answer in time.
    Signature {
        id: "cache-sync-timeout",
        pattern: r"timed out waiting for cache to be synced(?: for Kind (?P<target>[\w.*]+))?|failed to wait for [\w./, =-]*caches to sync",
        example: "failed to wait for managed/container.digitalocean.crossplane.io/v1alpha1, kind=registries caches to sync: timed out waiting for cache to be synced for Kind *v1alpha1.Registries",
        confidence: 0.6,
    },
    Signature {
        id: "rbac-forbidden",
        pattern: r#"is forbidden: User \\?"(?P<target>[^"\\]+)\\?" cannot [\w-]+ (?:resource \\?"[^"\\]+\\?"|[a-z.]+ in the namespace)|kubernetes\.client\.(?:exceptions|rest)\.ApiException: \(403\)|the server does not allow access to the requested resource"#,
        example: r#"failed to list *v1.Secret: secrets is forbidden: User "system:serviceaccount:ops:backup-operator" cannot list resource "secrets" in API group "" at the cluster scope"#,
        confidence: 0.9,
    },
    Signature {
        id: "api-unauthorized",
        pattern: r"failed to list \*?[\w./]+: Unauthorized|You must be logged in to the server \(Unauthorized\)|the server has asked for the client to provide credentials|error retrieving resource lock [A-Za-z0-9_./-]+: Unauthorized|kubernetes\.client\.(?:exceptions|rest)\.ApiException: \(401\)|Unauthorized! Token may have expired",
        example: "W1128 04:57:12.412312       1 reflector.go:561] k8s.io/client-go/informers/factory.go:160: failed to list *v1.ConfigMap: Unauthorized",
        confidence: 0.85,
    },
    Signature {
        id: "crd-missing",
        pattern: r#"no matches for kind \\?"(?P<target>[^"\\]+)\\?" in version \\?"[^"\\]+\\?"|the server could not find the requested resource(?: \((?:get|list|watch|post|put|patch|delete) (?P<resource>[\w.]+)\))?"#,
        example: r#"unable to retrieve the complete list of server APIs: no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1""#,
        confidence: 0.85,
    },
    Signature {
        id: "api-unreachable-ip",
        pattern: r"dial tcp (?P<target>(?:\d{1,3}\.){3}1:443): (?:i/o timeout|connect: connection refused|connect: no route to host)",
        example: r#"Get "https://10.96.0.1:443/api?timeout=32s": dial tcp 10.96.0.1:443: i/o timeout"#,
        confidence: 0.88,
    },
    Signature {
        id: "api-unreachable-name",
        pattern: r"https://(?P<target>kubernetes\.default(?:\.svc(?:\.cluster\.local)?)?)(?::443)?[/\x22].*(?:i/o timeout|connection refused|no route to host|TLS handshake timeout|context deadline exceeded)",
        example: r#"Get "https://kubernetes.default.svc/apis/coordination.k8s.io/v1/namespaces/ops/leases/backup-operator": context deadline exceeded"#,
        confidence: 0.88,
    },
    Signature {
        id: "api-request-timeout",
        pattern: r#"(?:Get|Post|Put|Patch|Delete) \\?"https://(?P<target>[^/"\\\s]+)/apis?(?:/[^"\\\s]*)?\\?": (?:context deadline exceeded|net/http: TLS handshake timeout|net/http: request canceled)"#,
        example: r#"E1207 10:13:41.123456       1 reflector.go:138] Failed to watch *v1.Pod: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?limit=500": context deadline exceeded"#,
        confidence: 0.85,
    },
    Signature {
        id: "leader-election-lost",
        pattern: r"(?i)leader ?election lost|failed to renew lease (?P<target>[\w./-]+)",
        example: "E1128 04:57:41.003210       1 leaderelection.go:340] failed to renew lease ops/backup-operator: timed out waiting for the condition",
        confidence: 0.7,
    },
    Signature {
        id: "in-cluster-config",
        pattern: r"unable to load in-cluster configuration|open /var/run/secrets/kubernetes\.io/serviceaccount/token: no such file or directory|ConfigException: Service host/port is not set",
        example: r"error: unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined",
        confidence: 0.85,
    },
];

/// The RBAC denial, with its parts.
static FORBIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:(?P<res_in>[\w.-]+) )?is forbidden: User \\?"(?P<user>[^"\\]+)\\?" cannot (?P<verb>[\w-]+) resource \\?"(?P<resource>[^"\\]+)\\?"(?: in API group \\?"(?P<group>[^"\\]*)\\?")?(?P<cluster> at the cluster scope)?(?: in the namespace \\?"(?P<ns>[^"\\]+)\\?")?"#)
        .expect("valid regex")
});

/// A denied API request.
struct Denial {
    user: String,
    verb: String,
    resource: String,
    group: String,
    namespace: Option<String>,
}

impl Denial {
    fn parse(line: &str) -> Option<Self> {
        let c = FORBIDDEN.captures(line)?;
        let get = |n: &str| c.name(n).map(|m| m.as_str().to_owned());
        Some(Self {
            user: get("user")?,
            verb: get("verb")?,
            resource: get("resource")?,
            group: get("group").unwrap_or_default(),
            namespace: get("ns"),
        })
    }

    /// `resource.group` as kubectl takes it.
    fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// `(namespace, name)` of a ServiceAccount user.
    fn service_account(&self) -> Option<(&str, &str)> {
        let rest = self.user.strip_prefix("system:serviceaccount:")?;
        rest.split_once(':')
    }
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &KUBERNETES_API_ACCESS, describe);
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let Some(hit) = best_hit(s, KUBERNETES_API_ACCESS.cause) else {
            continue;
        };
        match hit.signature.id {
            "rbac-forbidden" => {
                let Some(d) = Denial::parse(&hit.text) else {
                    continue;
                };
                if let Some((ns, sa)) = d.service_account() {
                    let spec_sa = sa_name(s);
                    if ns == s.pod.metadata.namespace && sa == spec_sa {
                        f.confidence = (f.confidence + 0.03).min(0.95);
                    }
                    f.evidence
                        .push(Evidence::spec(s, "spec.serviceAccountName", spec_sa));
                    let ns_flag = d
                        .namespace
                        .as_deref()
                        .map_or_else(|| "--all-namespaces".to_owned(), |n| format!("-n {n}"));
                    f.commands.push(format!(
                        "kubectl auth can-i {} {} --as=system:serviceaccount:{ns}:{sa} {ns_flag}",
                        d.verb,
                        d.qualified_resource()
                    ));
                }
            }
            // The name of the API does not resolve: the DNS failure is the more specific cause.
            "api-unreachable-name" if hit.text.contains(": lookup ") => {
                f.confidence = 0.6;
                f.notes
                    .push("the API server's name does not resolve: see `dns-failure`".to_owned());
            }
            "api-unreachable-ip" => {
                let ip = hit
                    .target
                    .as_deref()
                    .and_then(|t| t.strip_suffix(":443"))
                    .unwrap_or_default();
                let services = &s.cluster.services;
                if let Some(k) = services.iter().find(|svc| {
                    svc.metadata.namespace == "default" && svc.metadata.name == "kubernetes"
                }) {
                    if k.spec.cluster_ip.as_deref() == Some(ip) {
                        f.confidence = (f.confidence + 0.05).min(0.95);
                        f.evidence.push(Evidence::new(
                            EvidenceKind::Spec,
                            "namespaces/default/services.yaml",
                            "service default/kubernetes".to_owned(),
                            format!("clusterIP {ip}: the Kubernetes API"),
                        ));
                    }
                } else if let Some(other) = services
                    .iter()
                    .find(|svc| svc.spec.cluster_ip.as_deref() == Some(ip))
                {
                    // The IP belongs to an ordinary Service: not the API server.
                    f.confidence = 0.3;
                    f.notes.push(format!(
                        "{ip} is the clusterIP of Service `{}/{}`, not of `default/kubernetes`",
                        other.metadata.namespace, other.metadata.name
                    ));
                }
            }
            _ => {}
        }
    }
}

/// Title and remediation for the best hit.
fn describe(s: &Subject<'_>, hit: &crate::logscan::LogHit) -> (String, Vec<String>) {
    let name = s.name();
    match hit.signature.id {
        "rbac-forbidden" => forbidden(s, &hit.text),
        "api-unauthorized" => (
            format!("container `{name}` is not authenticated by the Kubernetes API (`Unauthorized`)"),
            vec![
                format!("check the ServiceAccount token of `{name}`: `automountServiceAccountToken` not disabled, the ServiceAccount `{}` exists, and the client does not use a stale kubeconfig or token", sa_name(s)),
                "an expired projected token after a long API outage also gives `Unauthorized`: restarting the pod refreshes it".to_owned(),
            ],
        ),
        "in-cluster-config" => (
            format!("container `{name}` cannot load its in-cluster Kubernetes configuration"),
            vec![
                format!("the client finds no ServiceAccount token or API address: check that `automountServiceAccountToken` is not `false` on the pod or on ServiceAccount `{}`", sa_name(s)),
                format!("check that the spec of `{name}` does not override `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, and that the client is not meant to use a kubeconfig instead"),
            ],
        ),
        "crd-missing" => {
            let kind = hit.target.as_deref().unwrap_or("a resource");
            (
                format!("container `{name}` needs `{kind}`, which the cluster's API does not serve (CRD missing)"),
                vec![
                    format!("install or upgrade the CustomResourceDefinition that defines `{kind}` (usually the operator's CRD chart or manifest) before `{name}` starts"),
                    format!(
                        "compare the API version the app asks for with what is served: `kubectl api-resources | grep -i {}`",
                        hit.target.as_deref().unwrap_or("<kind>").to_ascii_lowercase()
                    ),
                ],
            )
        }
        "api-unreachable-ip" | "api-unreachable-name" => {
            let target = hit.target.as_deref().unwrap_or("the API server");
            (
                format!("container `{name}` cannot reach the Kubernetes API at `{target}`"),
                vec![
                    format!("check the network path from the pod's node to the API server: CNI pods on node `{}`, kube-proxy, and NetworkPolicies (egress to the API server's endpoint IPs on 443/6443 must be allowed)", s.pod.spec.node_name.as_deref().unwrap_or("?")),
                    "if several pods on the same node fail the same way, suspect the node's networking rather than the app".to_owned(),
                ],
            )
        }
        _ => (
            format!("container `{name}` loses its leader-election lease on the Kubernetes API"),
            vec![
                format!("the lease could not be renewed in time: look for API latency or connectivity problems from node `{}` and for CPU throttling of `{name}`", s.pod.spec.node_name.as_deref().unwrap_or("?")),
                "raise the lease duration/renew deadline if the API is slow but healthy".to_owned(),
            ],
        ),
    }
}

/// The pod's ServiceAccount name (`default` when unset).
fn sa_name<'a>(s: &Subject<'a>) -> &'a str {
    let pod: &'a crate::model::Pod = s.pod;
    pod.spec
        .service_account_name
        .as_deref()
        .unwrap_or("default")
}

/// Title and remedy for an RBAC denial.
fn forbidden(s: &Subject<'_>, line: &str) -> (String, Vec<String>) {
    let name = s.name();
    let Some(d) = Denial::parse(line) else {
        return (
            format!("container `{name}` is forbidden by Kubernetes RBAC"),
            vec!["grant the denied permission to the pod's ServiceAccount with a Role/ClusterRole and a binding".to_owned()],
        );
    };
    let what = format!("{} {}", d.verb, d.qualified_resource());
    let scope = d.namespace.as_deref().map_or_else(
        || "at the cluster scope".to_owned(),
        |n| format!("in namespace `{n}`"),
    );
    let title = format!(
        "container `{name}` is forbidden to `{what}` {scope} as `{}`",
        d.user
    );
    let mut steps = Vec::new();
    match (d.service_account(), d.namespace.as_deref()) {
        (Some((ns, sa)), Some(target_ns)) => steps.push(format!(
            "create a Role in `{target_ns}` allowing `{}` on `{}` and a RoleBinding to ServiceAccount `{ns}/{sa}`: `kubectl -n {target_ns} create role {sa}-{r} --verb={} --resource={}` and `kubectl -n {target_ns} create rolebinding {sa}-{r} --role={sa}-{r} --serviceaccount={ns}:{sa}`",
            d.verb, d.qualified_resource(), d.verb, d.qualified_resource(), r = d.resource
        )),
        (Some((ns, sa)), None) => steps.push(format!(
            "create a ClusterRole allowing `{}` on `{}` and a ClusterRoleBinding to ServiceAccount `{ns}/{sa}`: `kubectl create clusterrole {sa}-{r} --verb={} --resource={}` and `kubectl create clusterrolebinding {sa}-{r} --clusterrole={sa}-{r} --serviceaccount={ns}:{sa}` (or reinstall the chart's RBAC)",
            d.verb, d.qualified_resource(), d.verb, d.qualified_resource(), r = d.resource
        )),
        (None, _) => steps.push(format!(
            "grant `{}` `{what}` {scope} with a Role/ClusterRole and a binding",
            d.user
        )),
    }
    if let Some((ns, sa)) = d.service_account() {
        if sa != sa_name(s) || ns != s.pod.metadata.namespace {
            steps.push(format!(
                "the pod runs as ServiceAccount `{}` but the denied user is `{}`: check which identity the client uses",
                sa_name(s),
                d.user
            ));
        } else if sa == "default" {
            steps.push("the pod runs as the `default` ServiceAccount: the chart's own ServiceAccount (which the RBAC is bound to) may not be set in the pod template".to_owned());
        }
        let ns_flag = d
            .namespace
            .as_deref()
            .map_or_else(|| "--all-namespaces".to_owned(), |n| format!("-n {n}"));
        steps.push(format!(
            "verify: `kubectl auth can-i {} {} --as=system:serviceaccount:{ns}:{sa} {ns_flag}`",
            d.verb,
            d.qualified_resource()
        ));
    }
    (title, steps)
}

#[cfg(test)]
mod tests {
    use super::Denial;

    #[test]
    fn parses_denials() {
        let d = Denial::parse(r#"leases.coordination.k8s.io "x" is forbidden: User "system:serviceaccount:ops:op" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "ops""#).expect("parses");
        assert_eq!(d.verb, "get");
        assert_eq!(d.qualified_resource(), "leases.coordination.k8s.io");
        assert_eq!(d.namespace.as_deref(), Some("ops"));
        assert_eq!(d.service_account(), Some(("ops", "op")));
    }

    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r#"Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "default""#,
            r"kubernetes.client.exceptions.ApiException: (403) Reason: Forbidden",
            r"error retrieving resource lock kube-system/my-controller: Unauthorized",
            r#"F0712 10:01:02.123456       1 main.go:52] error: Get "https://10.96.0.1:443/api/v1/namespaces/kube-system/configmaps": dial tcp 10.96.0.1:443: connect: connection refused"#,
            r"error: unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined",
            "kubernetes.config.config_exception.ConfigException: Service host/port is not set.",
            "kubernetes.client.exceptions.ApiException: (401) Reason: Unauthorized",
            "io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: GET at: https://10.96.0.1/api/v1/namespaces/default/pods. Message: Unauthorized! Token may have expired! Please log-in again. Unauthorized.",
            r#"level=fatal msg="create service failed: pods "etcd-operator-764f7ff957-4h5bw" is forbidden: User "system:serviceaccount:default:default" cannot get pods in the namespace "default""#,
            r#"failed to list *v1.Pod: pods is forbidden: User "system:serviceaccount:ops:op" cannot list resource "pods" in API group "" at the cluster scope"#,
            "dial tcp 10.43.0.1:443: i/o timeout",
            r#"Get "https://kubernetes.default.svc/api?timeout=32s": dial tcp 10.96.0.1:443: connect: connection refused"#,
            r#"{"level":"fatal","msg":"cannot create ServiceMonitor","error":"no matches for kind \"ServiceMonitor\" in version \"monitoring.coreos.com/v1\""}"#,
        ] {
            assert!(causes(line).contains(&"kubernetes-api-access"), "{line}");
        }
        for line in [
            r"redis.exceptions.AuthenticationError: Authentication required.",
            r"Error: request to https://api.payments.example.com/v2/merchants/self failed: 401 Unauthorized",
            "dial tcp 10.96.14.3:443: i/o timeout",
            r#"password authentication failed for user "orders""#,
        ] {
            assert!(!causes(line).contains(&"kubernetes-api-access"), "{line}");
        }
    }
}
