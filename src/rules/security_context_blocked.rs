//! `security-context-blocked`: the securityContext forbids what the container does (run as
//! root, bind a privileged port, use a dropped capability or a filtered syscall).

use std::sync::LazyLock;

use regex::Regex;

use super::helpers::CWD_DENIED;
use super::helpers::{is_start_candidate, start_messages};
use super::{
    CERTAIN, Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures,
    waiting_evidence,
};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container that its securityContext keeps from starting or from doing its job.
    /// `runAsNonRoot` with an image that runs as root (the kubelet refuses to start it), a
    /// non-root process binding a port below 1024, or an operation that fails with `Operation
    /// not permitted` because capabilities are dropped, seccomp filters the syscall or
    /// privilege escalation is off.
    ///
    /// ## Why it crash-loops
    /// The securityContext is part of the pod spec and the image's user and ports are part of
    /// the image; nothing changes between attempts. The `runAsNonRoot` case never starts a
    /// process: the container waits in `CreateContainerConfigError` with 0 restarts.
    ///
    /// ## Evidence
    /// - `state.waiting.message` or a `Failed` event: `container has runAsNonRoot and image will
    ///   run as root` / `… has non-numeric user (app), cannot verify user is non-root` (certain)
    /// - a log line `bind() to 0.0.0.0:80 failed (13: Permission denied)`, `listen tcp :80: bind:
    ///   permission denied`, `listen EACCES: permission denied 0.0.0.0:80`, with a non-root user
    ///   and no `NET_BIND_SERVICE` (strong)
    /// - `Operation not permitted` / `EPERM` / iptables `you must be root`; EPERM only among the
    ///   last lines before the exit and only when the securityContext drops capabilities, sets a
    ///   seccomp profile, forbids privilege escalation or runs as non-root (likely); a refused
    ///   `chown`/`chmod` among the last lines without such a restriction in the bundle (possible:
    ///   an admission policy may drop CHOWN, or an NFS volume may squash root)
    /// - the runtime's `chdir to cwd ("/home/nonroot") … permission denied`: the user the
    ///   securityContext sets may not enter the image's working directory (certain)
    ///
    /// ## Remedy
    /// Set a numeric `runAsUser` (or `USER 1000` in the image); listen on a port ≥ 1024 and point
    /// the Service's `targetPort` at it, or add `NET_BIND_SERVICE`; add back only the capability
    /// the operation needs; run as the image's own user when its working directory is private.
    ///
    /// ## Not covered
    /// File ownership and mode (`file-permission-denied`), read-only filesystems
    /// (`read-only-filesystem`), pods rejected by Pod Security admission before they exist (no pod
    /// to analyze; see the ReplicaSet's `FailedCreate` events).
    pub(crate) static SECURITY_CONTEXT_BLOCKED = {
        cause: SecurityContextBlocked, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "run-as-non-root",
        pattern: r"container has runAsNonRoot and image (?:will run as root|has non-numeric user \((?P<target>[^)]*)\), cannot verify user is non-root)",
        example: r#"Error: container has runAsNonRoot and image will run as root (pod: "nginx-5d8f7c9b6-2xk4p_web(8c1e0f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a)", container: nginx)"#,
        confidence: 0.95,
    },
    Signature {
        id: "nginx-privileged-port",
        pattern: r"bind\(\) to (?P<target>\S+:\d+) failed \(13: Permission denied\)",
        example: "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)",
        confidence: 0.8,
    },
    Signature {
        id: "go-privileged-port",
        pattern: r"listen tcp (?P<target>\S*:\d+): bind: permission denied",
        example: "http server failed: listen tcp :443: bind: permission denied",
        confidence: 0.8,
    },
    Signature {
        id: "node-privileged-port",
        pattern: r"listen EACCES: permission denied (?P<target>\S+:\d+)",
        example: "Error: listen EACCES: permission denied 0.0.0.0:80",
        confidence: 0.8,
    },
    Signature {
        id: "python-privileged-port",
        pattern: r"\[Errno 13\] error while attempting to bind on address \((?P<target>[^)]+)\): permission denied",
        example: "ERROR:    [Errno 13] error while attempting to bind on address ('0.0.0.0', 80): permission denied",
        confidence: 0.8,
    },
    Signature {
        id: "java-bind-denied",
        pattern: r"java\.net\.(?:BindException|SocketException): Permission denied",
        example: "Caused by: java.net.BindException: Permission denied",
        confidence: 0.75,
    },
    Signature {
        id: "iptables-not-root",
        pattern: r"(?:ip6?tables(?:-restore|-save)?|iptables-legacy|iptables-nft)\S*(?: v[0-9.]+(?: \([a-z]+\))?)?: .*(?:Permission denied \(you must be root\)|can't initialize ip6?tables table)",
        example: "iptables-restore: line 2 failed: Permission denied (you must be root)",
        confidence: 0.85,
    },
    Signature {
        id: "eperm",
        pattern: r"(?i)\boperation not permitted\b|\bEPERM\b",
        example: "setgroups: Operation not permitted",
        confidence: 0.6,
    },
];

/// The kubelet's runAsNonRoot refusal, matched against waiting messages and events.
static RUN_AS_NON_ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(SIGNATURES[0].pattern).expect("checked by a test"));

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.subjects {
        if let Some(f) = run_as_non_root(s) {
            out.push(f);
        } else if let Some(f) = working_dir_denied(s) {
            out.push(f);
        }
    }
    let mut proposals = Vec::new();
    check_log_signatures(cx, &mut proposals, &SECURITY_CONTEXT_BLOCKED, |s, hit| {
        describe(s, hit.signature.id, hit.target.as_deref())
    });
    for mut f in proposals {
        let s = &cx.subjects[f.subject];
        if out
            .iter()
            .any(|o| o.subject == f.subject && o.cause == f.cause)
        {
            continue;
        }
        let Some(hit) = best_hit(s, SECURITY_CONTEXT_BLOCKED.cause) else {
            continue;
        };
        let restrictions = restrictions(s);
        let port = hit.target.as_deref().and_then(port_of);
        match (hit.signature.id, port) {
            // EPERM alone is too common to claim without a restriction that explains it, or
            // when it is not among the last lines before the exit (entrypoints often log and
            // ignore a failed chmod or setcap).
            // An ownership or mode change refused to the container's user: a dropped CHOWN or
            // FOWNER capability, or a filesystem that refuses it (NFS `root_squash`).
            ("eperm", _)
                if restrictions.is_empty()
                    && hit.from_end <= 10
                    && is_ownership_change(&hit.text) =>
            {
                f = f.note("no capability restriction in the bundle's spec: a PodSecurityPolicy or admission policy may drop CHOWN/FOWNER, or the volume's filesystem (NFS with `root_squash`) refuses ownership changes");
            }
            ("eperm", _) if restrictions.is_empty() || hit.from_end > 10 => continue,
            ("eperm", _) => f.confidence += 0.15,
            (_, Some(p))
                if p < 1024 && is_non_root(s) && !adds_capability(s, "NET_BIND_SERVICE") =>
            {
                f.confidence += 0.1;
            }
            _ => {}
        }
        f.confidence = f.confidence.min(0.95);
        for (field, text) in restrictions {
            f.evidence.push(Evidence::spec(s, &field, text));
        }
        out.push(f);
    }
}

/// Whether a log line is `chown`, `chmod` or `chgrp` refused (`chown: /data: Operation not
/// permitted`, `chown: changing ownership of '/data': Operation not permitted`).
fn is_ownership_change(line: &str) -> bool {
    [
        "chown",
        "chmod",
        "chgrp",
        "changing ownership",
        "changing permissions",
    ]
    .iter()
    .any(|w| line.contains(w))
}

/// A finding for a container whose user may not enter its working directory: the runtime's
/// `chdir to cwd ("/home/nonroot") set in config.json failed: permission denied`.
fn working_dir_denied(s: &Subject<'_>) -> Option<Finding> {
    if !is_start_candidate(s) {
        return None;
    }
    let (evidence, dir) = start_messages(s).into_iter().find_map(|(e, text)| {
        let dir = CWD_DENIED
            .captures(text)?
            .name("target")?
            .as_str()
            .to_owned();
        Some((e, dir))
    })?;
    let name = s.name();
    let (own, pod) = (&s.spec.security_context, &s.pod.spec.security_context);
    let user = own.run_as_user.or(pod.run_as_user);
    let group = own.run_as_group.or(pod.run_as_group);
    let who = match (user, group) {
        (Some(u), Some(g)) => format!("user {u} (group {g})"),
        (Some(u), None) => format!("user {u}"),
        (None, Some(g)) => format!("group {g}"),
        (None, None) => "its user".to_owned(),
    };
    let mut f = Finding::new(&SECURITY_CONTEXT_BLOCKED, s, CERTAIN)
        .title(format!(
            "container `{name}` cannot start: {who} may not enter its working directory `{dir}`"
        ))
        .evidence(evidence);
    // Each value where it was set: the container's own securityContext, else the pod's.
    let fields = [
        ("runAsUser", own.run_as_user, pod.run_as_user),
        ("runAsGroup", own.run_as_group, pod.run_as_group),
    ];
    for (field, in_container, in_pod) in fields {
        let (path, value) = match (in_container, in_pod) {
            (Some(v), _) => (format!("securityContext.{field}"), v),
            (None, Some(v)) => (format!("spec.securityContext.{field}"), v),
            (None, None) => continue,
        };
        f = f.evidence(Evidence::spec(s, &path, value.to_string()));
    }
    Some(
        f.remedy(format!(
            "run `{name}` as the image's own user (the owner of `{dir}`, e.g. 65532 for distroless `nonroot` images) in `securityContext.runAsUser`/`runAsGroup`, or set `workingDir` to a directory that user may read"
        ))
        .remedy("a pod-level `securityContext` applies to every container: give sidecars that need another user their own container-level `runAsUser`"),
    )
}

/// A finding for a container the kubelet refuses to start because of `runAsNonRoot`.
fn run_as_non_root(s: &Subject<'_>) -> Option<Finding> {
    let message = s
        .waiting()
        .and_then(|w| w.message.as_deref())
        .filter(|m| RUN_AS_NON_ROOT.is_match(m));
    let event = s
        .iter_events("Failed")
        .filter(|e| RUN_AS_NON_ROOT.is_match(e.text()))
        .last();
    let text = message
        .map(str::to_owned)
        .or_else(|| event.map(|e| e.text().to_string()))?;
    let user = RUN_AS_NON_ROOT
        .captures(&text)
        .and_then(|c| c.name("target"))
        .map(|m| m.as_str().to_owned());
    let name = s.name();
    // Above CERTAIN: the kubelet's message names this cause, so it beats a generic
    // CreateContainerConfigError reading.
    let mut f = Finding::new(&SECURITY_CONTEXT_BLOCKED, s, 0.97);
    f = match &user {
        Some(u) => f.title(format!(
            "container `{name}` cannot start: `runAsNonRoot` is set and the image's user `{u}` is not numeric"
        )),
        None => f.title(format!(
            "container `{name}` cannot start: `runAsNonRoot` is set but the image runs as root"
        )),
    };
    if let Some(e) = waiting_evidence(s).filter(|_| message.is_some()) {
        f = f.evidence(e);
    }
    if let Some(e) = event {
        f = f.evidence(Evidence::event(e));
    }
    for (field, text) in non_root_fields(s) {
        f = f.evidence(Evidence::spec(s, &field, text));
    }
    f = match &user {
        Some(u) => f.remedy(format!(
            "set `securityContext.runAsUser` of `{name}` to the numeric UID of `{u}` (the kubelet cannot check a user name), or use `USER <uid>` in the image"
        )),
        None => f.remedy(format!(
            "set `securityContext.runAsUser` of `{name}` to a non-zero UID the image works with (e.g. 101 for nginx, 1000 for most app images), or build the image with `USER <uid>`"
        )),
    };
    f = f.remedy("if the image really needs root, use an image built for non-root (e.g. `nginxinc/nginx-unprivileged`) rather than dropping `runAsNonRoot`");
    if s.status.restart_count == 0 {
        f = f.note("the container never started (0 restarts): this is a start-up refusal, not a crash loop");
    }
    Some(f)
}

/// Title and remediation for a log hit.
fn describe(s: &Subject<'_>, signature: &str, target: Option<&str>) -> (String, Vec<String>) {
    let name = s.name();
    let port = target.and_then(port_of);
    match (signature, port) {
        // The kubelet's message quoted in a termination message or log.
        ("run-as-non-root", _) => (
            format!("container `{name}` cannot start: `runAsNonRoot` is set but the image runs as root"),
            vec![format!("set `securityContext.runAsUser` of `{name}` to a non-zero UID the image works with, or build the image with `USER <uid>`")],
        ),
        ("eperm" | "iptables-not-root", _) => (
            format!("container `{name}` is denied an operation by its securityContext (`Operation not permitted`)"),
            vec![
                format!("find the operation in the previous log of `{name}` (setuid, chown, raw sockets, iptables, mount) and add back only the capability it needs in `securityContext.capabilities.add`, or stop doing it in the container"),
                "if a seccomp profile is set, check whether the syscall is filtered (try `seccompProfile: {type: RuntimeDefault}` instead of a custom profile)".to_owned(),
            ],
        ),
        (_, Some(p)) if p < 1024 => (
            format!("container `{name}` may not bind privileged port {p} as a non-root user"),
            vec![
                format!("make `{name}` listen on a port ≥ 1024 (e.g. 8080; for nginx, `nginxinc/nginx-unprivileged`) and point the Service's `targetPort` and the probes at it"),
                "or add `NET_BIND_SERVICE` to `securityContext.capabilities.add` (and keep running as non-root)".to_owned(),
            ],
        ),
        _ => (
            format!("container `{name}` is denied binding its listen address"),
            vec![format!("check the port `{name}` listens on and the securityContext: ports below 1024 need root or `NET_BIND_SERVICE`")],
        ),
    }
}

/// The port of `0.0.0.0:80`, `:443`, `[::]:80` or `('0.0.0.0', 80)`.
fn port_of(target: &str) -> Option<u16> {
    let t = target.trim_end_matches(')');
    let start = t.rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    t[start..].parse().ok()
}

/// Whether the container runs as a non-root user (`runAsUser` ≠ 0 or `runAsNonRoot`).
fn is_non_root(s: &Subject<'_>) -> bool {
    let (c, p) = (&s.spec.security_context, &s.pod.spec.security_context);
    c.run_as_user.or(p.run_as_user).is_some_and(|u| u != 0)
        || c.run_as_non_root.or(p.run_as_non_root) == Some(true)
}

fn adds_capability(s: &Subject<'_>, cap: &str) -> bool {
    s.spec
        .security_context
        .capabilities
        .add
        .iter()
        .any(|a| a.trim_start_matches("CAP_") == cap)
}

/// The `runAsNonRoot`/`runAsUser` fields that make the kubelet check the image's user.
fn non_root_fields(s: &Subject<'_>) -> Vec<(String, String)> {
    let (c, p) = (&s.spec.security_context, &s.pod.spec.security_context);
    let mut out = Vec::new();
    if c.run_as_non_root == Some(true) {
        out.push(("securityContext.runAsNonRoot".to_owned(), "true".to_owned()));
    } else if p.run_as_non_root == Some(true) {
        out.push((
            "spec.securityContext.runAsNonRoot".to_owned(),
            "true".to_owned(),
        ));
    }
    if c.run_as_user.or(p.run_as_user).is_none() {
        out.push((
            "securityContext.runAsUser".to_owned(),
            "not set: the image's user decides".to_owned(),
        ));
    }
    out
}

/// Fields of the effective securityContext that restrict what the process may do.
fn restrictions(s: &Subject<'_>) -> Vec<(String, String)> {
    let (c, p) = (&s.spec.security_context, &s.pod.spec.security_context);
    let mut out = Vec::new();
    if !c.capabilities.drop.is_empty() {
        out.push((
            "securityContext.capabilities.drop".to_owned(),
            format!("[{}]", c.capabilities.drop.join(", ")),
        ));
    }
    if c.allow_privilege_escalation == Some(false) {
        out.push((
            "securityContext.allowPrivilegeEscalation".to_owned(),
            "false".to_owned(),
        ));
    }
    if let Some(sp) = c.seccomp_profile.as_ref() {
        out.push((
            "securityContext.seccompProfile.type".to_owned(),
            sp.kind.clone(),
        ));
    } else if let Some(sp) = p.seccomp_profile.as_ref() {
        out.push((
            "spec.securityContext.seccompProfile.type".to_owned(),
            sp.kind.clone(),
        ));
    }
    if let Some(u) = c.run_as_user.filter(|u| *u != 0) {
        out.push(("securityContext.runAsUser".to_owned(), u.to_string()));
    } else if let Some(u) = p.run_as_user.filter(|u| *u != 0) {
        out.push(("spec.securityContext.runAsUser".to_owned(), u.to_string()));
    } else if c.run_as_non_root.or(p.run_as_non_root) == Some(true) {
        out.push(("securityContext.runAsNonRoot".to_owned(), "true".to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::port_of;

    #[test]
    fn ports() {
        assert_eq!(port_of("0.0.0.0:80"), Some(80));
        assert_eq!(port_of(":443"), Some(443));
        assert_eq!(port_of("('0.0.0.0', 80)"), Some(80));
        assert_eq!(port_of("[::]:8080"), Some(8080));
    }

    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "listen tcp :80: bind: permission denied",
            "sudo: unable to change to root gid: Operation not permitted",
        ] {
            assert!(causes(line).contains(&"security-context-blocked"), "{line}");
        }
        for line in [
            "Error: EACCES: permission denied, open '/app/logs/access.log'",
            "listen tcp :8080: bind: address already in use",
        ] {
            assert!(
                !causes(line).contains(&"security-context-blocked"),
                "{line}"
            );
        }
    }

    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn real_world_lines() {
        let causes = super::super::causes_of_line;
        for line in [
            r#"Error: container has runAsNonRoot and image will run as root (pod: "web-5d8f7c9b6d-x2x7k_default(1b2c)", container: web)"#,
            r#"Error: container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root (pod: "web", container: web)"#,
            "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)",
            "listen tcp :80: bind: permission denied",
            "Error: listen EACCES: permission denied 0.0.0.0:80",
            "iptables v1.8.4 (legacy): can't initialize iptables table `nat': Permission denied (you must be root)",
            "2019/06/18 14:07:11 < iptables v1.6.0: can't initialize iptables table `nat': Permission denied (you must be root)",
            r#"error: failed switching to "redis": operation not permitted"#,
            "su-exec: setgroups: Operation not permitted",
        ] {
            assert!(causes(line).contains(&"security-context-blocked"), "{line}");
        }
        for line in [
            "Error: EACCES: permission denied, open '/app/logs/app.log'",
            "exec /docker-entrypoint.sh: permission denied",
        ] {
            assert!(
                !causes(line).contains(&"security-context-blocked"),
                "{line}"
            );
        }
    }
}
