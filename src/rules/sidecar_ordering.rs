//! `sidecar-ordering`: the app starts before a sidecar of its pod listens, and exits on the
//! refused localhost connection.

use super::{Evidence, Finding, RuleContext, Signature, best_hit, hits_for};
use crate::model::Container;
use crate::model::time::human_duration;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because it starts before a sidecar of its pod is listening.
    /// A connection to `127.0.0.1`/`localhost` is refused on a port that a sidecar of the same
    /// pod serves (istio-proxy 15000/15001/15021, linkerd-proxy 4140/4191, cloud-sql-proxy
    /// 5432/3306, vault-agent, envoy, …).
    ///
    /// ## Why it crash-loops
    /// Classic sidecars start in parallel with the app; an app that needs the proxy at start-up
    /// and exits on the first refused connection loses the race, usually at pod start
    /// (restarts 1–3, then stable) or at every start when the sidecar is slow or itself failing.
    ///
    /// ## Evidence
    /// - a refused connection to a localhost port in the previous log (`dial tcp
    ///   127.0.0.1:5432: connect: connection refused`, `ECONNREFUSED 127.0.0.1:15000`,
    ///   `connection to server at "127.0.0.1", port 5432 failed`)
    /// - another container of the pod declaring that port, or a known sidecar whose default port
    ///   it is (strong; without such a sibling this rule says nothing and the refusal is
    ///   `dependency-unreachable`)
    /// - a short run before the exit (corroborates)
    /// - in a meshed pod (an `istio-proxy` or `linkerd-proxy` container), a refused connection to
    ///   any host that ends a run of under two minutes (or of unknown length): the mesh
    ///   redirects every outbound connection to the proxy, which refuses it until it listens
    ///   (strong; a longer run is left to `dependency-unreachable`)
    ///
    /// ## Remedy
    /// Make the app wait for the sidecar: Istio `holdApplicationUntilProxyStarts: true`, native
    /// sidecars (an init container with `restartPolicy: Always` and a startup probe, Kubernetes
    /// 1.29+), or retries with back-off in the app.
    ///
    /// ## Not covered
    /// Remote dependencies (`dependency-unreachable`), a sidecar that crash-loops on its own
    /// (it gets its own finding), the `istio-init` init container (`security-context-blocked`
    /// when iptables is denied).
    pub(crate) static SIDECAR_ORDERING = {
        cause: SidecarOrdering, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "go-localhost-refused",
        pattern: r"dial tcp (?P<target>(?:127\.0\.0\.1|\[::1\]|localhost):\d+): connect: connection refused",
        example: "failed to connect to `host=127.0.0.1 user=app database=app`: dial error (dial tcp 127.0.0.1:5432: connect: connection refused)",
        confidence: 0.6,
    },
    Signature {
        id: "node-localhost-refused",
        pattern: r"ECONNREFUSED (?P<target>(?:127\.0\.0\.1|::1|localhost):\d+)",
        example: "Error: connect ECONNREFUSED 127.0.0.1:15001",
        confidence: 0.6,
    },
    Signature {
        id: "libpq-localhost-refused",
        pattern: r#"connection to server at \\?"(?:127\.0\.0\.1|localhost|::1)\\?"(?: \([\d.:]+\))?, port (?P<target>\d+) failed: Connection refused"#,
        example: r#"psycopg2.OperationalError: connection to server at "127.0.0.1", port 5432 failed: Connection refused"#,
        confidence: 0.6,
    },
    Signature {
        id: "python-localhost-refused",
        pattern: r"HTTPConnectionPool\(host='(?:localhost|127\.0\.0\.1)', port=(?P<target>\d+)\).*(?:Connection refused|Errno 111)",
        example: "requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=15020): Max retries exceeded with url: /healthz/ready (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f2b1c3d4e50>: Failed to establish a new connection: [Errno 111] Connection refused'))",
        confidence: 0.6,
    },
    Signature {
        id: "java-localhost-refused",
        pattern: r"Connection refused: (?:localhost|127\.0\.0\.1)/(?:127\.0\.0\.1|0:0:0:0:0:0:0:1):(?P<target>\d+)",
        example: "io.netty.channel.AbstractChannel$AnnotatedConnectException: Connection refused: localhost/127.0.0.1:8200",
        confidence: 0.6,
    },
    Signature {
        id: "curl-localhost-refused",
        pattern: r"Failed to connect to (?:localhost|127\.0\.0\.1) port (?P<target>\d+)(?: after \d+ ms)?: (?:Connection refused|Couldn't connect to server)",
        example: "curl: (7) Failed to connect to localhost port 15000 after 0 ms: Couldn't connect to server",
        confidence: 0.6,
    },
    Signature {
        id: "client-localhost-refused",
        pattern: r"(?:Failed to connect to|Error 111 connecting to|ServerSelectionTimeoutError:) (?:127\.0\.0\.1|\[::1\]|localhost):(?P<target>\d+)",
        example: r"pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused, Timeout: 30s",
        confidence: 0.6,
    },
    // Database clients in their own words: PgJDBC ("Connection to localhost:5432 refused. Check
    // that the hostname and port are correct…"), MySQL ("Can't connect to MySQL server on
    // '127.0.0.1:3306' (111)"), redis-cli ("Could not connect to Redis at 127.0.0.1:6379:
    // Connection refused").
    Signature {
        id: "db-client-localhost-refused",
        pattern: r"(?:Connection to (?:localhost|127\.0\.0\.1|\[?::1\]?):|Can't connect to MySQL server on '(?:localhost|127\.0\.0\.1):|Could not connect to Redis at (?:localhost|127\.0\.0\.1):)(?P<target>\d+)(?: refused|' \((?:111|10061)|: Connection refused)",
        example: "java.sql.SQLException: Cannot create PoolableConnectionFactory (Connection to localhost:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.)",
        confidence: 0.6,
    },
    // .NET's socket exception puts the address after the message: `Connection refused
    // 127.0.0.1:5432` (Linux), `... actively refused it. 127.0.0.1:5672` (Windows wording).
    Signature {
        id: "dotnet-localhost-refused",
        pattern: r"(?:actively refused it\.?|SocketException \(111\): Connection refused|ExtendedSocketException \(111\): Connection refused) (?:127\.0\.0\.1|\[::1\]|localhost):(?P<target>\d+)",
        example: "System.Net.Internals.SocketExceptionFactory+ExtendedSocketException (111): Connection refused 127.0.0.1:5432",
        confidence: 0.6,
    },
];

/// Well-known sidecars by name or image fragment, with the ports they serve by default.
const KNOWN_SIDECARS: &[(&str, &[u16])] = &[
    (
        "istio-proxy",
        &[15000, 15001, 15004, 15006, 15008, 15020, 15021, 15090],
    ),
    ("linkerd-proxy", &[4140, 4143, 4191]),
    ("cloud-sql-proxy", &[5432, 3306, 1433]),
    ("cloudsql-proxy", &[5432, 3306, 1433]),
    ("vault-agent", &[8200, 8100, 8007]),
    ("envoy", &[9901, 10000, 15000, 15001]),
    ("oauth2-proxy", &[4180]),
    ("datadog-agent", &[8125, 8126]),
    ("otel-collector", &[4317, 4318]),
    ("opentelemetry-collector", &[4317, 4318]),
    ("daprd", &[3500, 50001]),
];

/// The sibling container serving a localhost port, and how we know.
struct Sibling<'a> {
    container: &'a Container,
    /// `containers` or `initContainers`.
    list: &'static str,
    /// Native sidecar: an init container with `restartPolicy: Always`.
    native: bool,
    /// "declares containerPort 5432" or "is a cloud-sql-proxy, which serves 5432 by default".
    how: String,
}

/// Mesh proxies that take every outbound connection of their pod (by iptables redirection), by
/// container name or image fragment.
const MESH_PROXIES: &[&str] = &[
    "istio-proxy",
    "istio/proxyv2",
    "linkerd-proxy",
    "linkerd2-proxy",
];

/// How long a run may last and still be a race with the proxy's start, in seconds.
const RACE_SECS: f64 = 120.0;

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        // The refusal must be what ended the run, not an early retry in a long log.
        let Some(hit) = best_hit(s, SIDECAR_ORDERING.cause).filter(|h| h.from_end < 50) else {
            if let Some(f) = meshed(s) {
                out.push(f);
            }
            continue;
        };
        let Some(port) = hit.target.as_deref().and_then(port_of) else {
            continue;
        };
        let Some(sib) = find_sibling(s, port) else {
            continue;
        };
        let name = s.name();
        let side = sib.container.name.as_str();
        let runtime = s.runtime_secs();
        let early = runtime.is_some_and(|r| r < 60.0);
        // Above `dependency-unreachable` (0.8-0.85 for the same line): the sibling that
        // serves the port is what the refusal points at.
        let confidence = 0.88 + if early { 0.04 } else { 0.0 };
        let mut f = Finding::new(&SIDECAR_ORDERING, s, confidence)
            .title(format!(
                "container `{name}` connects to localhost:{port} before sidecar `{side}` is listening"
            ))
            .evidence(Evidence::log_hit(s, hit));
        for other in hits_for(s, SIDECAR_ORDERING.cause)
            .filter(|h| !std::ptr::eq(*h, hit))
            .take(1)
        {
            f = f.evidence(Evidence::log_hit(s, other));
        }
        f = f.evidence(Evidence::spec(
            s,
            &format!("spec.{}[{side}]", sib.list),
            format!("sidecar `{side}` ({}) {}", sib.container.image, sib.how),
        ));
        f = f.termination(s);
        if let Some(r) = runtime.filter(|_| early) {
            f = f.note(format!(
                "`{name}` exited {} after start: the sidecar may simply not have been ready yet",
                human_duration(r)
            ));
        }
        if let Some(st) = s
            .pod
            .status
            .container_statuses
            .iter()
            .chain(&s.pod.status.init_container_statuses)
            .find(|st| st.name == side)
            && (st.restart_count > 0 || !st.ready)
        {
            f = f.note(format!(
                "sidecar `{side}` is itself {} ({} restarts): look at its own log too",
                if st.ready { "restarting" } else { "not ready" },
                st.restart_count
            ));
        }
        if let Some(since) = s.status.state.running.as_ref().and_then(|r| r.started_at)
            && s.status.ready
        {
            f = f.note(format!(
                "`{name}` has been running and ready since {since} after {} restarts: the loop stopped once the sidecar was up",
                s.status.restart_count
            ));
        }
        if sib.native {
            f = f.note(format!(
                "`{side}` is a native sidecar, so it starts first, but without a startup probe the app may still run before it listens"
            ));
        }
        for step in remedies(s, &sib, port) {
            f = f.remedy(step);
        }
        out.push(f.command(format!(
            "kubectl -n {} logs {} -c {side}",
            s.pod.metadata.namespace, s.pod.metadata.name
        )));
    }
}

/// In a meshed pod, an app whose run ends, early, in a refused connection to any host: its
/// outbound connections go to the mesh proxy, which refuses them until it listens.
fn meshed(s: &Subject<'_>) -> Option<Finding> {
    if s.runtime_secs().is_some_and(|r| r >= RACE_SECS) {
        return None;
    }
    let refused = s
        .log_hits
        .iter()
        .filter(|h| h.from_end < 50 && says_refused(&h.text))
        .min_by_key(|h| h.from_end)?;
    let proxy = s.pod.spec.containers.iter().find(|c| {
        c.name != s.name()
            && MESH_PROXIES
                .iter()
                .any(|m| c.name.contains(m) || c.image.contains(m))
    })?;
    let name = s.name();
    let side = proxy.name.as_str();
    let early = s.runtime_secs().is_some();
    let confidence = if early { 0.9 } else { 0.86 };
    let mut f = Finding::new(&SIDECAR_ORDERING, s, confidence)
        .title(format!(
            "container `{name}` exits on a refused connection before mesh proxy `{side}` is ready"
        ))
        .evidence(Evidence::log_hit(s, refused))
        .evidence(Evidence::spec(
            s,
            &format!("spec.containers[{side}]"),
            format!(
                "mesh proxy `{side}` ({}) takes every outbound connection of the pod, and refuses them until it listens",
                proxy.image
            ),
        ));
    f = f.termination(s);
    if let Some(r) = s.runtime_secs() {
        f = f.note(format!(
            "`{name}` exited {} after start, while the proxy may still have been starting",
            human_duration(r)
        ));
    } else {
        f = f.note("the bundle does not show how long the run lasted: a refusal long after start would point at the dependency itself (`dependency-unreachable`)");
    }
    let sib = Sibling {
        container: proxy,
        list: "containers",
        native: false,
        how: String::new(),
    };
    for step in remedies(s, &sib, 15001).into_iter().take(1) {
        f = f.remedy(step);
    }
    f = f.remedy(format!(
        "make `{name}` retry its connections at start-up with back-off instead of exiting"
    ));
    Some(f.command(format!(
        "kubectl -n {} logs {} -c {side}",
        s.pod.metadata.namespace, s.pod.metadata.name
    )))
}

/// Whether a log line says a connection was refused (`connection refused`, `ECONNREFUSED`,
/// `[Errno 111]`).
fn says_refused(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("refused") || lower.contains("econnrefused") || lower.contains("errno 111")
}

/// The container of the same pod that serves `port`: one declaring it, else a known sidecar
/// whose default port it is.
fn find_sibling<'a>(s: &Subject<'a>, port: u16) -> Option<Sibling<'a>> {
    let pod: &'a crate::model::Pod = s.pod;
    let candidates = pod
        .spec
        .containers
        .iter()
        .map(|c| (c, "containers", false))
        .chain(
            pod.spec
                .init_containers
                .iter()
                .filter(|c| c.restart_policy.as_deref() == Some("Always"))
                .map(|c| (c, "initContainers", true)),
        )
        .filter(|(c, _, _)| c.name != s.name());
    let mut known = None;
    for (c, list, native) in candidates {
        if c.ports
            .iter()
            .any(|p| p.container_port == Some(i64::from(port)))
        {
            return Some(Sibling {
                container: c,
                list,
                native,
                how: format!("declares containerPort {port}"),
            });
        }
        if known.is_none()
            && let Some((kind, _)) = KNOWN_SIDECARS.iter().find(|(k, ports)| {
                (c.name.contains(k) || c.image.contains(k)) && ports.contains(&port)
            })
        {
            known = Some(Sibling {
                container: c,
                list,
                native,
                how: format!("is {kind}, which serves port {port} by default"),
            });
        }
    }
    known
}

/// Remediation steps for the kind of sidecar found.
fn remedies(s: &Subject<'_>, sib: &Sibling<'_>, port: u16) -> Vec<String> {
    let name = s.name();
    let side = sib.container.name.as_str();
    let what = format!("{side} {}", sib.container.image);
    let mut steps = Vec::new();
    if what.contains("istio") {
        steps.push("set `holdApplicationUntilProxyStarts: true` for the workload (pod template annotation `proxy.istio.io/config: '{\"holdApplicationUntilProxyStarts\": true}'`) so the app starts after the proxy is ready".to_owned());
    } else if what.contains("linkerd") {
        steps.push("enable `config.linkerd.io/proxy-await: \"enabled\"` on the pod template (or wrap the app with `linkerd-await`) so it starts after the proxy is ready".to_owned());
    } else if sib.native {
        steps.push(format!(
            "give native sidecar `{side}` a startup probe on port {port} (or its health endpoint): the kubelet then starts `{name}` only after the sidecar is ready"
        ));
    } else {
        steps.push(format!(
            "run `{side}` as a native sidecar (move it to `initContainers` with `restartPolicy: Always` and a startup probe; Kubernetes 1.29+) so it is ready before `{name}` starts"
        ));
    }
    steps.push(format!(
        "make `{name}` retry its connection to localhost:{port} with back-off at start-up instead of exiting"
    ));
    steps
}

/// The port of `127.0.0.1:5432`, `[::1]:15001` or `5432`.
fn port_of(target: &str) -> Option<u16> {
    let start = target
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    target[start..].parse().ok()
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r"pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused, Timeout: 30s",
            r"Npgsql.NpgsqlException (0x80004005): Failed to connect to 127.0.0.1:5432",
            r"redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
            r"java.net.ConnectException: Connection refused: localhost/127.0.0.1:3306",
            "Error: connect ECONNREFUSED 127.0.0.1:15001",
            "dial tcp [::1]:4140: connect: connection refused",
            "org.postgresql.util.PSQLException: Connection to localhost:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
            "ERROR 2003 (HY000): Can't connect to MySQL server on '127.0.0.1:3306' (111)",
            "Could not connect to Redis at 127.0.0.1:6379: Connection refused",
            "System.Net.Internals.SocketExceptionFactory+ExtendedSocketException (111): Connection refused 127.0.0.1:5432",
            "ExtendedSocketException: No connection could be made because the target machine actively refused it 127.0.0.1:5672",
        ] {
            assert!(causes(line).contains(&"sidecar-ordering"), "{line}");
        }
        for line in [
            r"Unhandled exception. Npgsql.NpgsqlException (0x80004005): Failed to connect to 10.96.14.3:5432",
            r"redis.exceptions.ConnectionError: Error 111 connecting to redis-master:6379. Connection refused.",
            r"pymongo.errors.ServerSelectionTimeoutError: mongo:27017: [Errno 111] Connection refused, Timeout: 30s",
            "dial tcp 10.96.14.3:5432: connect: connection refused",
            "Error: connect ECONNREFUSED 10.96.0.20:6379",
            "org.postgresql.util.PSQLException: Connection to postgres.db.svc.cluster.local:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
            "ERROR 2003 (HY000): Can't connect to MySQL server on 'mysql:3306' (111)",
            "System.Net.Internals.SocketExceptionFactory+ExtendedSocketException (111): Connection refused 172.18.0.4:5432",
        ] {
            assert!(!causes(line).contains(&"sidecar-ordering"), "{line}");
        }
    }
}
