//! `port-in-use`: the app cannot bind its listen port because something else holds it.

use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because another process already holds its listen port.
    /// `address already in use`, `EADDRINUSE`, `java.net.BindException: Address already in use`,
    /// `[Errno 98]`, Postgres `Is another postmaster already running on port 5432?`.
    ///
    /// ## Why it crash-loops
    /// Containers of a pod share one network namespace, and `hostNetwork` pods share the node's:
    /// whoever holds the port keeps it, so every restart of the loser fails to bind again.
    ///
    /// ## Evidence
    /// - a log line with the address (`listen tcp :8080: bind: address already in use`,
    ///   `bind() to 0.0.0.0:8080 failed (98: Address already in use)`, `listen EADDRINUSE:
    ///   address already in use :::3000`, `Port 8080 was already in use`) (likely)
    /// - another container of the same pod declaring that `containerPort`, or `hostNetwork: true`
    ///   / a `hostPort` on that port, and another hostNetwork pod of the bundle on the same node
    ///   declaring it (strong)
    ///
    /// ## Remedy
    /// Give one of the listeners another port (app, sidecar or metrics endpoint); with
    /// `hostNetwork`, pick a port no node daemon or other hostNetwork pod uses; check that the
    /// image does not start a second server on the same port.
    ///
    /// ## Not covered
    /// Ports below 1024 refused to a non-root user (`security-context-blocked`), `hostPort`
    /// conflicts the scheduler reports as `FailedScheduling` (the pod never starts).
    pub(crate) static PORT_IN_USE = {
        cause: PortInUse, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "go-addr-in-use",
        pattern: r"listen (?:tcp|udp)[46]? (?P<target>\S*:\d+): bind: address already in use",
        example: "listen tcp :9090: bind: address already in use",
        confidence: 0.8,
    },
    Signature {
        id: "nginx-addr-in-use",
        pattern: r"bind\(\) to (?P<target>\S+:\d+) failed \(98: Address already in use\)",
        example: "nginx: [emerg] bind() to 0.0.0.0:8080 failed (98: Address already in use)",
        confidence: 0.8,
    },
    Signature {
        id: "node-eaddrinuse",
        pattern: r"EADDRINUSE: address already in use (?P<target>\S+:\d+)",
        example: "Error: listen EADDRINUSE: address already in use :::3000",
        confidence: 0.8,
    },
    Signature {
        id: "spring-port-in-use",
        pattern: r"(?i)\bport (?P<target>\d+) (?:was|is) already (?:in use|bound|allocated|taken)",
        example: "Web server failed to start. Port 8080 was already in use.",
        confidence: 0.8,
    },
    Signature {
        id: "python-errno98",
        pattern: r"(?i)\[Errno 98\] (?:error while attempting to bind on address \((?P<target>[^)]+)\): )?address already in use",
        example: "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use",
        confidence: 0.8,
    },
    Signature {
        id: "postgres-port-in-use",
        pattern: r"Is another postmaster already running on port (?P<target>\d+)\?",
        example: "HINT:  Is another postmaster already running on port 5432? If not, wait a few seconds and retry.",
        confidence: 0.8,
    },
    Signature {
        id: "java-bind-in-use",
        pattern: r"java\.net\.BindException: Address already in use",
        example: "Caused by: java.net.BindException: Address already in use",
        confidence: 0.75,
    },
    Signature {
        id: "addr-in-use-generic",
        pattern: r"(?i)address already in use|\bEADDRINUSE\b",
        example: "FATAL: could not create any TCP/IP sockets: Address already in use",
        confidence: 0.7,
    },
    Signature {
        id: "gunicorn-in-use",
        pattern: r"\[ERROR\] Connection in use: (?P<target>\([^)]+\))",
        example: r"[2024-01-01 00:00:00 +0000] [1] [ERROR] Connection in use: ('0.0.0.0', 8000)",
        confidence: 0.8,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &PORT_IN_USE, |s, hit| {
        let name = s.name();
        let port = hit.target.as_deref().and_then(port_of);
        let title = match port {
            Some(p) => format!("container `{name}` cannot bind port {p}: address already in use"),
            None => format!("container `{name}` cannot bind its port: address already in use"),
        };
        (title, remedies(s, port))
    });
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let Some(port) = best_hit(s, PORT_IN_USE.cause)
            .and_then(|h| h.target.as_deref())
            .and_then(port_of)
        else {
            continue;
        };
        if let Some((other, field)) = sibling_with_port(s, port) {
            f.confidence = (f.confidence + 0.1).min(0.95);
            f.evidence.push(Evidence::spec(
                s,
                &format!("spec.{field}[{other}].ports"),
                format!("container `{other}` of the same pod also declares containerPort {port}"),
            ));
        }
        if s.pod.spec.host_network == Some(true) {
            f.confidence = (f.confidence + 0.05).min(0.95);
            f.evidence.push(Evidence::spec(
                s,
                "spec.hostNetwork",
                format!(
                    "true: port {port} is shared with every process and hostNetwork pod on the node"
                ),
            ));
            if let Some(other) = host_network_neighbour(s, port) {
                f.confidence = (f.confidence + 0.05).min(0.95);
                f.evidence.push(Evidence::new(
                    super::EvidenceKind::Spec,
                    &other.source,
                    format!("{}: spec.hostNetwork", other.metadata.name),
                    format!(
                        "pod `{}/{}` on the same node also uses hostNetwork and port {port}",
                        other.metadata.namespace, other.metadata.name
                    ),
                ));
            }
        }
        if let Some(hp) = s
            .spec
            .ports
            .iter()
            .filter_map(|p| p.host_port)
            .find(|hp| *hp == i64::from(port))
        {
            f.evidence
                .push(Evidence::spec(s, "ports", format!("hostPort {hp}")));
        }
    }
}

/// Remediation steps for a bind conflict on `port`.
fn remedies(s: &Subject<'_>, port: Option<u16>) -> Vec<String> {
    let name = s.name();
    let mut steps = Vec::new();
    if let Some((other, _)) = port.and_then(|p| sibling_with_port(s, p)) {
        steps.push(format!(
            "`{name}` and `{other}` share the pod's network namespace and both use port {}: move one of them to another port (its listen flag or config, `containerPort`, probes and Service `targetPort`)",
            port.unwrap_or_default()
        ));
    } else if let Some(other) = port.and_then(|p| host_network_neighbour(s, p)) {
        steps.push(format!(
            "pod `{}/{}` also runs with `hostNetwork: true` on node `{}` and uses port {}: run only one of them per node (two charts installing the same agent?) or move one to another port",
            other.metadata.namespace,
            other.metadata.name,
            s.pod.spec.node_name.as_deref().unwrap_or("?"),
            port.unwrap_or_default()
        ));
    } else if s.pod.spec.host_network == Some(true) {
        steps.push(format!(
            "the pod uses `hostNetwork: true`: another process or hostNetwork pod on node `{}` holds the port; pick a free port or drop hostNetwork",
            s.pod.spec.node_name.as_deref().unwrap_or("?")
        ));
    } else {
        steps.push(format!(
            "something inside the pod already listens on that port: check the other containers' ports and whether the image of `{name}` starts a second server (metrics, admin, debug) on the same port"
        ));
    }
    steps.push(format!(
        "list the ports per container: `kubectl get pod {} -n {} -o jsonpath='{{range .spec.containers[*]}}{{.name}}{{\": \"}}{{.ports[*].containerPort}}{{\"\\n\"}}{{end}}'`",
        s.pod.metadata.name, s.pod.metadata.namespace
    ));
    steps
}

/// Another container of the pod (app or sidecar) that declares `port`, with its spec list.
fn sibling_with_port<'a>(s: &Subject<'a>, port: u16) -> Option<(&'a str, &'static str)> {
    let pod: &'a crate::model::Pod = s.pod;
    let apps = pod.spec.containers.iter().map(|c| (c, "containers"));
    let sidecars = pod
        .spec
        .init_containers
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .map(|c| (c, "initContainers"));
    apps.chain(sidecars)
        .filter(|(c, _)| c.name != s.name())
        .find(|(c, _)| {
            c.ports
                .iter()
                .any(|p| p.container_port == Some(i64::from(port)))
        })
        .map(|(c, field)| (c.name.as_str(), field))
}

/// Another hostNetwork pod on the same node whose containers declare `port`.
fn host_network_neighbour<'a>(s: &Subject<'a>, port: u16) -> Option<&'a crate::model::Pod> {
    if s.pod.spec.host_network != Some(true) {
        return None;
    }
    let node = s.pod.spec.node_name.as_deref()?;
    let cluster: &'a crate::model::Cluster = s.cluster;
    cluster.pods.iter().find(|p| {
        p.metadata.uid != s.pod.metadata.uid
            && p.metadata.name != s.pod.metadata.name
            && p.spec.host_network == Some(true)
            && p.spec.node_name.as_deref() == Some(node)
            && p.spec.containers.iter().any(|c| {
                c.ports.iter().any(|cp| {
                    cp.container_port == Some(i64::from(port))
                        || cp.host_port == Some(i64::from(port))
                })
            })
    })
}

/// The port of `:8080`, `0.0.0.0:8080`, `:::3000`, `('0.0.0.0', 8000)` or `8080`.
fn port_of(target: &str) -> Option<u16> {
    let t = target.trim_end_matches(')');
    let start = t.rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    t[start..].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::port_of;

    #[test]
    fn ports() {
        assert_eq!(port_of(":9090"), Some(9090));
        assert_eq!(port_of(":::3000"), Some(3000));
        assert_eq!(port_of("('0.0.0.0', 8000)"), Some(8000));
        assert_eq!(port_of("8080"), Some(8080));
        assert_eq!(port_of("host"), None);
    }

    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r"Error: listen EADDRINUSE: address already in use :::3000",
            r"Error: listen EADDRINUSE 0.0.0.0:8080",
            r"[2024-01-01 00:00:00 +0000] [1] [ERROR] Connection in use: ('0.0.0.0', 8000)",
            r"Unhandled exception. System.IO.IOException: Failed to bind to address http://[::]:80: address already in use.",
            r"Caused by: java.net.BindException: Address already in use (Bind failed)",
            r"Address already in use (os error 98)",
            r#"Errno::EADDRINUSE: Address already in use - bind(2) for "0.0.0.0" port 3000"#,
            r#"LOG:  could not bind IPv4 address "0.0.0.0": Address already in use"#,
            "OSError: [Errno 98] Address already in use",
            "Web server failed to start. Port 8080 was already in use.",
        ] {
            assert!(causes(line).contains(&"port-in-use"), "{line}");
        }
        for line in [
            r"DBPathInUse: Unable to lock the lock file: /data/db/mongod.lock (Resource temporarily unavailable). Another mongod instance is already running on the /data/db directory",
            r"Error: connect ECONNREFUSED 10.96.0.20:8080",
            "listen tcp :443: bind: permission denied",
            "Caused by: java.net.BindException: Permission denied",
        ] {
            assert!(!causes(line).contains(&"port-in-use"), "{line}");
        }
    }
}
