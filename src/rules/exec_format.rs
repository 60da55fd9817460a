//! `exec-format`: the entrypoint cannot be executed on this CPU, or is a script without a shebang.

use super::{Evidence, Finding, RuleContext, Signature, best_hit};

declare_rule! {
    /// ## What it detects
    /// `exec format error`: the image was built for another CPU architecture than the node's
    /// (an amd64-only image on an arm64 node), or the entrypoint is a script without `#!`.
    ///
    /// ## Why it crash-loops
    /// The kernel refuses to execute the binary at every start; nothing of the program runs.
    ///
    /// ## Evidence
    /// - `exec format error` in the log or the `StartError` message (certain for the symptom)
    /// - the node's `kubernetes.io/arch` label (arm64 nodes make an architecture mismatch likely)
    ///
    /// ## Remedy
    /// Use a multi-architecture image (or one for the node's architecture), or pin the pod to
    /// matching nodes with `nodeSelector: kubernetes.io/arch: amd64`; for scripts add a shebang.
    ///
    /// ## Not covered
    /// A missing executable (`command-not-found`), one without the execute bit (`not-executable`).
    pub(crate) static EXEC_FORMAT = {
        cause: ExecFormat, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[Signature {
    id: "exec-format-error",
    pattern: r"(?i)(?:exec (?P<target>\S+): )?exec format error",
    example: "exec /usr/local/bin/worker: exec format error",
    confidence: 0.9,
}];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(hit) = best_hit(s, EXEC_FORMAT.cause) else {
            continue;
        };
        let name = s.name();
        let arch = s.node.and_then(|n| n.architecture());
        let node_label = match (arch, s.pod.spec.node_name.as_deref()) {
            (Some(a), Some(node)) => format!(" on node `{node}` ({a})"),
            _ => String::new(),
        };
        let mut f = Finding::new(&EXEC_FORMAT, s, 0.93)
            .title(format!("container `{name}` cannot execute its entrypoint{node_label}: exec format error (wrong CPU architecture?)"))
            .evidence(Evidence::log_hit(s, hit));
        f = f.termination(s);
        if let Some(a) = arch {
            f = f.evidence(Evidence::node(s, "metadata.labels[kubernetes.io/arch]", a));
        }
        let image = &s.spec.image;
        f = f.remedy(format!(
            "publish `{image}` for {} (a multi-arch manifest: `docker buildx build --platform linux/amd64,linux/arm64`)",
            arch.map_or_else(|| "the node's architecture".to_owned(), |a| format!("linux/{a}"))
        ));
        f = f.remedy("or pin the workload to nodes of the image's architecture with `nodeSelector: {kubernetes.io/arch: amd64}`");
        f = f.remedy("if the entrypoint is a script, make sure it starts with a `#!` line and has Unix line endings");
        if let Some(node) = s.pod.spec.node_name.as_deref() {
            f = f.command(format!("kubectl get node {node} -L kubernetes.io/arch"));
        }
        out.push(f.command(format!("docker manifest inspect {image}")));
    }
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "standard_init_linux.go:228: exec user process caused: exec format error",
            "exec /usr/local/bin/docker-entrypoint.sh: exec format error",
            "exec /app/server: exec format error",
            r#"Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/server": exec format error: unknown"#,
        ] {
            assert!(causes(line).contains(&"exec-format"), "{line}");
        }
        for line in [
            "exec /docker-entrypoint.sh: no such file or directory",
            "exec /docker-entrypoint.sh: permission denied",
        ] {
            assert!(!causes(line).contains(&"exec-format"), "{line}");
        }
    }
}
