//! `dns-failure`: the app cannot resolve the name of a dependency.

use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because a hostname it needs does not resolve.
    /// `no such host`, `Temporary failure in name resolution`, `getaddrinfo ENOTFOUND host`,
    /// `EAI_AGAIN`, `java.net.UnknownHostException: host`, `Name or service not known`, Postgres
    /// `could not translate host name "host" to address`.
    ///
    /// ## Why it crash-loops
    /// The name comes from the pod's configuration; a wrong name, a missing Service or a broken
    /// DNS path (CoreDNS down, egress to port 53 blocked) fails the same way at every start.
    ///
    /// ## Evidence
    /// - a log line naming the host (likely to strong); `no such host`/`ENOTFOUND`/`Name or
    ///   service not known` mean the name does not exist (NXDOMAIN), `EAI_AGAIN`/`Temporary
    ///   failure`/a timeout on port 53 mean DNS itself did not answer
    /// - a Service with that short name in another namespace of the bundle (the name lacks its
    ///   namespace), or none at all (strong)
    /// - CoreDNS's `plugin/loop: Loop (… -> :53) detected`: the DNS server forwards to itself
    ///   through a node `resolv.conf` that names a local stub resolver (strong)
    ///
    /// ## Remedy
    /// Use the namespace-qualified Service name (`<service>.<namespace>.svc.cluster.local`), create
    /// the missing Service, or repair DNS: CoreDNS pods, NetworkPolicies allowing UDP and TCP 53
    /// to kube-dns, `dnsPolicy: ClusterFirstWithHostNet` for hostNetwork pods; for a forwarding
    /// loop, the kubelet's `resolvConf` pointing at the real upstream resolvers.
    ///
    /// ## Not covered
    /// Names that resolve but refuse connections (`dependency-unreachable`), the Kubernetes API
    /// itself (`kubernetes-api-access`).
    pub(crate) static DNS_FAILURE = {
        cause: DnsFailure, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "kafka-bootstrap-dns",
        pattern: r"DNS resolution failed for (?:url )?(?P<target>[\w.:-]+)|No resolvable bootstrap urls given in bootstrap\.servers",
        example: "WARN  ache.kafka.clients.ClientUtils  - Removing server kafka-headless:29092 from bootstrap.servers as DNS resolution failed for kafka-headless",
        confidence: 0.85,
    },
    Signature {
        id: "go-lookup",
        pattern: r"lookup (?P<target>[\w.-]+)(?: on [\w.:\[\]]+)?: (?:(?:read|write|dial) (?:udp|tcp)[46]? \S+: )?(?:no such host|server misbehaving|i/o timeout|Temporary failure in name resolution|no answer from DNS server|(?:read: )?connection refused)",
        example: "dial tcp: lookup postgres.shop.svc.cluster.local on 10.96.0.10:53: no such host",
        confidence: 0.85,
    },
    Signature {
        id: "node-getaddrinfo",
        pattern: r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (?P<target>[\w.-]+)",
        example: "Error: getaddrinfo ENOTFOUND redis-master.cache.svc.cluster.local",
        confidence: 0.85,
    },
    Signature {
        id: "java-unknown-host",
        pattern: r"UnknownHostException: (?P<target>[\w.-]+)",
        example: "java.net.UnknownHostException: kafka-0.kafka-headless: Name or service not known",
        confidence: 0.85,
    },
    Signature {
        id: "postgres-translate-host",
        pattern: r#"could not translate host name \\?"(?P<target>[^"\\]+)\\?" to address"#,
        example: r#"psycopg2.OperationalError: could not translate host name "orders-db" to address: Name or service not known"#,
        confidence: 0.85,
    },
    Signature {
        id: "failed-to-resolve",
        pattern: r"Failed to resolve '(?P<target>[^']+)'",
        example: "urllib3.exceptions.NameResolutionError: <urllib3.connection.HTTPSConnection object at 0x7f3c2a1b4d10>: Failed to resolve 'payments.internal.example.com' ([Errno -2] Name or service not known)",
        confidence: 0.85,
    },
    Signature {
        id: "nslookup-cannot-resolve",
        pattern: r"(?:nslookup: can't resolve '|\*\* server can't find )(?P<target>[\w.-]+)",
        example: "nslookup: can't resolve 'db-migrations.shop.svc.cluster.local'",
        confidence: 0.85,
    },
    Signature {
        id: "redis-py-resolve",
        pattern: r"Error -?\d+ connecting to (?P<target>[\w.-]+):\d+\. (?:Name or service not known|Temporary failure in name resolution|No address associated with hostname)",
        example: "redis.exceptions.ConnectionError: Error -2 connecting to redis-master.cache:6379. Name or service not known.",
        confidence: 0.85,
    },
    // Client libraries that say it in their own words: the MySQL client (ERROR 2005), .NET on
    // Windows-style resolvers, the MongoDB driver's SRV lookup.
    Signature {
        id: "client-unknown-host",
        pattern: r"Unknown (?:MySQL )?server host '(?P<target>[^']+)'|\bNo such host is known\b|querySrv (?:ENOTFOUND|ESERVFAIL|ECONNREFUSED|ETIMEOUT) \S+",
        example: "ERROR 2005 (HY000): Unknown server host 'mysql' (-2)",
        confidence: 0.85,
    },
    Signature {
        id: "resolver-generic",
        pattern: r"Name or service not known|Name does not resolve|Could not resolve host|Temporary failure in name resolution|nodename nor servname provided|No address associated with hostname|\[Errno -3\] Try again|\bEAI_AGAIN\b",
        example: "socket.gaierror: [Errno -3] Temporary failure in name resolution",
        confidence: 0.75,
    },
    Signature {
        id: "dotnet-try-again",
        pattern: r"HttpRequestException: Resource temporarily unavailable \((?P<target>[A-Za-z0-9_.-]+):\d+\)|ExtendedSocketException \(0+1, 11\): Resource temporarily unavailable",
        example: "[v1.3.2.3006] System.Net.Http.HttpRequestException: Resource temporarily unavailable (api.dognzb.cr:443)",
        confidence: 0.8,
    },
    // Reverse proxies resolve their upstreams when they load the configuration and refuse to
    // start when one does not resolve: nginx (`upstream`, `proxy_pass`, its `resolver`), HAProxy.
    Signature {
        id: "proxy-upstream-not-found",
        pattern: r#"(?:host not found in (?:upstream|resolver) "|could not resolve address ')(?P<target>[\w.-]+)"#,
        example: r#"nginx: [emerg] host not found in upstream "backend:8080" in /etc/nginx/conf.d/default.conf:12"#,
        confidence: 0.85,
    },
    Signature {
        id: "dns-forward-loop",
        pattern: r"plugin/loop: Loop \((?P<target>[\d.:\[\]a-f]+ -> [\d.:\[\]a-f]*:\d+)\) detected for zone",
        example: r#"[FATAL] plugin/loop: Loop (127.0.0.1:34536 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531.""#,
        confidence: 0.9,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &DNS_FAILURE, |s, hit| {
        let name = s.name();
        if hit.signature.id == "dns-forward-loop" {
            return (
                format!("container `{name}` forwards DNS queries to itself (a forwarding loop) and stops"),
                vec![
                    "the node's `/etc/resolv.conf` names a local stub resolver (`127.0.0.53` of systemd-resolved, `127.0.0.1` of dnsmasq), and CoreDNS's `forward . /etc/resolv.conf` sends queries back to itself: point the kubelet's `resolvConf` at the real upstream file (`/run/systemd/resolve/resolv.conf`), or forward to upstream IPs in the Corefile".to_owned(),
                    "then restart the CoreDNS pods: `kubectl -n kube-system rollout restart deployment coredns`".to_owned(),
                    "see https://coredns.io/plugins/loop#troubleshooting".to_owned(),
                ],
            );
        }
        let title = match hit.target.as_deref() {
            Some(h) => format!("container `{name}` cannot resolve host `{h}`"),
            None => format!("container `{name}` fails on DNS name resolution"),
        };
        (title, remedies(s, hit.target.as_deref(), &hit.text))
    });
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let Some(host) = best_hit(s, DNS_FAILURE.cause)
            .filter(|h| h.signature.id != "dns-forward-loop")
            .and_then(|h| h.target.clone())
        else {
            continue;
        };
        match service_lookup(s, &host) {
            Lookup::OtherNamespaces(places) => {
                f.confidence = (f.confidence + 0.05).min(0.95);
                f.evidence.push(Evidence::new(
                    super::EvidenceKind::Spec,
                    &format!("namespaces/{}/services.yaml", places[0]),
                    format!("service {}/{}", places[0], short_name(&host)),
                    format!(
                        "a Service `{}` exists in namespace {}, not in `{}`",
                        short_name(&host),
                        places
                            .iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        s.pod.metadata.namespace
                    ),
                ));
            }
            Lookup::Missing(ns) => {
                f.confidence = (f.confidence + 0.05).min(0.95);
                f.evidence.push(Evidence::new(
                    super::EvidenceKind::Spec,
                    &format!("namespaces/{ns}/services.yaml"),
                    format!("services in {ns}"),
                    format!(
                        "no Service named `{}` in namespace `{ns}`",
                        short_name(&host)
                    ),
                ));
            }
            Lookup::Found | Lookup::Unknown => {}
        }
    }
}

/// Where the bundle's Services put a cluster-local host name.
enum Lookup {
    /// The Service exists where the name points.
    Found,
    /// The name is unqualified and the Service only exists in these other namespaces.
    OtherNamespaces(Vec<String>),
    /// The bundle has Services of that namespace but none of that name.
    Missing(String),
    /// Not a cluster-local name, or the bundle has no Services for that namespace.
    Unknown,
}

fn service_lookup(s: &Subject<'_>, host: &str) -> Lookup {
    let labels: Vec<&str> = host.split('.').collect();
    let own_ns = s.pod.metadata.namespace.as_str();
    let cluster_local = labels.len() == 1
        || labels.get(2) == Some(&"svc")
        || (labels.len() == 2
            && s.cluster
                .services
                .iter()
                .any(|svc| svc.metadata.namespace == labels[1]));
    if !cluster_local {
        return Lookup::Unknown;
    }
    let name = labels[0];
    let ns = labels.get(1).copied().unwrap_or(own_ns);
    let services = &s.cluster.services;
    if services
        .iter()
        .any(|svc| svc.metadata.namespace == ns && svc.metadata.name == name)
    {
        return Lookup::Found;
    }
    if labels.len() == 1 {
        let mut places: Vec<String> = services
            .iter()
            .filter(|svc| svc.metadata.name == name)
            .map(|svc| svc.metadata.namespace.clone())
            .collect();
        places.sort();
        places.dedup();
        if !places.is_empty() {
            return Lookup::OtherNamespaces(places);
        }
    }
    if services.iter().any(|svc| svc.metadata.namespace == ns) {
        Lookup::Missing(ns.to_owned())
    } else {
        Lookup::Unknown
    }
}

fn short_name(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

/// Remediation steps: name fixes for NXDOMAIN, DNS-path checks for timeouts.
fn remedies(s: &Subject<'_>, host: Option<&str>, line: &str) -> Vec<String> {
    let name = s.name();
    let ns = &s.pod.metadata.namespace;
    let transient = [
        "EAI_AGAIN",
        "Temporary failure",
        "i/o timeout",
        "server misbehaving",
        "no answer",
    ]
    .iter()
    .any(|m| line.contains(m));
    let mut steps = Vec::new();
    match (host, service_lookup_hint(s, host)) {
        (Some(h), Some(hint)) => steps.push(format!(
            "`{h}` is not a Service in `{ns}`: use the namespace-qualified name `{hint}` in the configuration of `{name}`"
        )),
        (Some(h), None) if !transient => steps.push(format!(
            "check the host name `{h}` in the configuration of `{name}`: a cluster Service is `<service>.<namespace>.svc.cluster.local`; create the Service if it is missing (`kubectl get svc -A | grep {}`)",
            short_name(h)
        )),
        _ => {}
    }
    if transient {
        steps.push("the DNS server did not answer: check CoreDNS (`kubectl -n kube-system get pods -l k8s-app=kube-dns`) and that NetworkPolicies allow egress to kube-dns on UDP and TCP 53".to_owned());
    } else {
        steps.push("if the name is right, check CoreDNS (`kubectl -n kube-system get pods -l k8s-app=kube-dns`) and NetworkPolicies on egress to port 53".to_owned());
    }
    steps.push(format!(
        "test resolution from the namespace: `kubectl -n {ns} run dnscheck -it --rm --restart=Never --image=busybox:1.36 -- nslookup {}`",
        host.unwrap_or("<host>")
    ));
    steps
}

/// The qualified name of an unqualified host whose Service lives in another namespace.
fn service_lookup_hint(s: &Subject<'_>, host: Option<&str>) -> Option<String> {
    match service_lookup(s, host?) {
        Lookup::OtherNamespaces(places) => Some(format!(
            "{}.{}.svc.cluster.local",
            short_name(host?),
            places[0]
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r"Error: getaddrinfo EAI_AGAIN mongo",
            r#"[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531.""#,
            r"MongoServerSelectionError: getaddrinfo ENOTFOUND mongodb",
            r"SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo failed: Name or service not known",
            r"SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo for mysql failed: Name does not resolve",
            r"java.net.UnknownHostException: kafka: Temporary failure in name resolution",
            r"System.Net.Sockets.SocketException (0xFFFDFFFF): Name or service not known",
            r#"could not translate host name "postgres" to address: Temporary failure in name resolution"#,
            r"socket.gaierror: [Errno -5] No address associated with hostname",
            r"curl: (6) Could not resolve host: config-service.shop.svc.cluster.local",
            r"Error: error sending request for url (http://config-service/): error trying to connect: dns error: failed to lookup address information: Temporary failure in name resolution",
            r"SocketError: getaddrinfo: Name or service not known",
            "socket.gaierror: [Errno -3] Try again",
            "Unhandled exception. System.Net.Internals.SocketExceptionFactory+ExtendedSocketException (00000001, 11): Resource temporarily unavailable",
            "Error: getaddrinfo EAI_AGAIN redis-master.cache.svc.cluster.local",
            "socket.gaierror: [Errno -2] Name or service not known",
            "dial tcp: lookup redis on 10.96.0.10:53: read udp 10.244.1.5:52314->10.96.0.10:53: i/o timeout",
            r#"2024/03/11 09:12:44 [emerg] 1#1: host not found in upstream "api-svc:8000" in /etc/nginx/conf.d/default.conf:21"#,
            r#"nginx: [emerg] host not found in resolver "kube-dns.kube-system.svc.cluster.local" in /etc/nginx/nginx.conf:30"#,
            "[ALERT] (1) : config : parsing [/usr/local/etc/haproxy/haproxy.cfg:42] : 'server be_app/app1' : could not resolve address 'app1.shop.svc.cluster.local'.",
            "ERROR 2005 (HY000): Unknown server host 'mysql' (-2)",
            "ERROR 2005 (HY000): Unknown MySQL server host 'mysql.shop.svc' (-3)",
            "System.Net.Http.HttpRequestException: No such host is known. (catalog-api:80)",
            "MongoServerSelectionError: querySrv ENOTFOUND _mongodb._tcp.cluster0.mongodb.svc.cluster.local",
        ] {
            assert!(causes(line).contains(&"dns-failure"), "{line}");
        }
        for line in [
            r"pymongo.errors.ServerSelectionTimeoutError: mongodb.db.svc.cluster.local:27017: timed out, Timeout: 30s, Topology Description: <TopologyDescription id: 63b49bba7960577dc012fbc0, topology_type: Unknown>",
            r"SQLSTATE[HY000] [2002] Connection refused",
            "dial tcp 10.96.14.3:5432: connect: connection refused",
            r#"Get "https://10.96.0.1:443/version": dial tcp 10.96.0.1:443: i/o timeout"#,
            // A host that resolved and answered; the grant is what is missing.
            "ERROR 1130 (HY000): Host '10.244.1.7' is not allowed to connect to this MySQL server",
            "MySQL is unavailable - sleeping",
        ] {
            assert!(!causes(line).contains(&"dns-failure"), "{line}");
        }
    }
}
