//! `runtime-start-failure`: the container runtime cannot create or start the container, for a
//! reason other than the executable (mounts, cgroups, security profiles, devices, a stuck runtime).
//!
//! Also home of the helpers that collect the messages a failed start leaves behind, shared by the
//! start-failure rules (`command-not-found`, `not-executable`, `oom-at-start`).

use std::sync::LazyLock;

use regex::Regex;

use super::helpers::is_working_dir_denied;
use super::helpers::{is_start_candidate, start_messages};
use super::{Evidence, Finding, RuleContext};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container the runtime (containerd, CRI-O, runc) fails to create or start for a reason
    /// other than its executable: a file mounted onto a directory (or the reverse), a cgroup
    /// error, a seccomp/AppArmor/SELinux profile, a device, a container name still reserved.
    ///
    /// ## Why it crash-loops
    /// The kubelet retries the start with back-off; the same spec on the same node fails the same
    /// way (`RunContainerError`, `lastState.terminated.reason: StartError`, exit code 128), and
    /// every failed start counts as a restart.
    ///
    /// ## Evidence
    /// - the OCI error in `lastState.terminated.message`, `state.waiting.message`
    ///   (`RunContainerError`, `CreateContainerError`) or a `Failed` event "Error: failed to create
    ///   containerd task: …" naming a subsystem: `error mounting … not a directory`, `cgroup`,
    ///   `seccomp`, `apparmor`, `nvidia-container-cli`, `is reserved for` (strong)
    /// - a generic `OCI runtime create failed` with no recognized subsystem (likely)
    ///
    /// ## Remedy
    /// Fix what the message names: mount a file onto a file (check `subPath` and the ConfigMap key
    /// it names), fix the security profile or the device request; for cgroup, name-reservation and
    /// time-out errors look at the node's container runtime (`journalctl -u containerd -u kubelet`),
    /// and drain the node if other pods on it fail the same way.
    ///
    /// ## Not covered
    /// A missing executable (`command-not-found`), one without execute permission (`not-executable`),
    /// the wrong CPU architecture (`exec-format`), runc's "container init was OOM-killed" (`oom-at-start`),
    /// missing ConfigMaps or Secrets (`missing-config-ref`).
    pub(crate) static RUNTIME_START_FAILURE = {
        cause: RuntimeStartFailure, kind: CrashLoop, check: check, signatures: &[],
    };
}

/// A subsystem an OCI error names: id, pattern, what to tell the user.
struct Subsystem {
    id: &'static str,
    pattern: &'static str,
    what: &'static str,
}

const SUBSYSTEMS: &[Subsystem] = &[
    Subsystem {
        id: "mount",
        pattern: r#"error mounting "[^"]*" to rootfs at "(?P<target>[^"]+)"|not a directory|mount a directory onto a file"#,
        what: "a mount: a directory is mounted onto a file, or a file onto a directory",
    },
    Subsystem {
        id: "cgroup",
        pattern: r"(?i)cgroup",
        what: "its cgroup configuration (cgroup driver or the node's cgroup hierarchy)",
    },
    Subsystem {
        id: "seccomp",
        pattern: r"(?i)seccomp",
        what: "its seccomp profile",
    },
    Subsystem {
        id: "apparmor",
        pattern: r"(?i)apparmor",
        what: "its AppArmor profile",
    },
    Subsystem {
        id: "selinux",
        pattern: r"(?i)selinux|/proc/self/attr/",
        what: "SELinux labelling",
    },
    Subsystem {
        id: "capabilities",
        pattern: r"(?i)apply caps|capabilit",
        what: "its capabilities",
    },
    Subsystem {
        id: "device",
        pattern: r"(?i)nvidia-container-cli|CDI device|device plugin|error gathering device information|no such device",
        what: "a device (GPU or device plugin)",
    },
    Subsystem {
        id: "name-reserved",
        pattern: r"failed to reserve container name|is reserved for",
        what: "the runtime: the container name is still reserved by an earlier attempt (containerd slow or stuck)",
    },
    Subsystem {
        id: "deadline",
        pattern: r"context deadline exceeded",
        what: "the runtime timing out (containerd or the node overloaded)",
    },
    Subsystem {
        id: "oci",
        pattern: r"OCI runtime (?:create|start|exec) failed|runc (?:create|run) failed|failed to (?:create|start) (?:containerd task|shim task)|failed to generate container|Error response from daemon",
        what: "the OCI runtime",
    },
];

/// Messages that other rules own: the executable (`command-not-found`, `not-executable`,
/// `exec-format`) and runc's OOM at init (`oom-at-start`). (A working directory the user may not
/// enter is `security-context-blocked`'s: `is_working_dir_denied`.)
const CARVED_OUT: &str = r#"exec: \\?"[^"\\]*\\?": (?:executable file not found|stat |permission denied|no such file)|exec format error|container init was OOM-killed|exec user process caused|unable to start container process: exec:"#;

static SUBSYSTEM_RES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    SUBSYSTEMS
        .iter()
        .map(|s| Regex::new(s.pattern).expect("valid pattern (checked by a test)"))
        .collect()
});

static CARVED_OUT_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(CARVED_OUT).expect("valid pattern (checked by a test)"));

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.subjects.iter().filter(|s| is_start_candidate(s)) {
        let messages = start_messages(s);
        let Some((index, evidence, text)) = messages
            .iter()
            .filter(|(_, text)| !CARVED_OUT_RE.is_match(text) && !is_working_dir_denied(text))
            .find_map(|(e, text)| {
                SUBSYSTEM_RES
                    .iter()
                    .position(|re| re.is_match(text))
                    .map(|i| (i, e, *text))
            })
        else {
            continue;
        };
        let sub = &SUBSYSTEMS[index];
        let target = SUBSYSTEM_RES[index]
            .captures(text)
            .and_then(|c| c.name("target"))
            .map(|m| m.as_str().to_owned());
        let confidence = if sub.id == "oci" { 0.75 } else { 0.9 };
        out.push(finding(s, confidence, sub, target.as_deref(), evidence));
    }
}

fn finding(
    s: &Subject<'_>,
    confidence: f64,
    sub: &Subsystem,
    target: Option<&str>,
    evidence: &Evidence,
) -> Finding {
    let name = s.name();
    let title = match (sub.id, target) {
        ("mount", Some(dst)) => format!(
            "container `{name}` cannot start: the runtime fails to mount `{dst}` (a directory onto a file, or the reverse)"
        ),
        _ => format!(
            "container `{name}` cannot start: the runtime fails on {}",
            sub.what
        ),
    };
    let mut f = Finding::new(&RUNTIME_START_FAILURE, s, confidence)
        .title(title)
        .evidence(evidence.clone());
    f = f.termination(s).waiting(s);
    f = match (sub.id, target) {
        ("mount", Some(dst)) => mount_remedy(s, f, dst),
        ("mount", None) => f.remedy(format!(
            "a volume of `{name}` is mounted onto a path of the other type (file vs directory): check `volumeMounts` and their `subPath`"
        )),
        ("cgroup" | "name-reserved" | "deadline", _) => f
            .remedy("the node's container runtime is at fault, not the spec: check `journalctl -u containerd -u kubelet` on the node, restart containerd or the kubelet, or drain and replace the node")
            .remedy("if pods of other workloads on the same node fail the same way, cordon the node"),
        ("seccomp" | "apparmor" | "selinux" | "capabilities", _) => f.remedy(format!(
            "fix the `securityContext` of `{name}`: the {} it requests cannot be applied on this node (a profile that is not installed, a capability the runtime refuses)",
            sub.what.trim_start_matches("its ")
        )),
        ("device", _) => f.remedy(format!(
            "the device `{name}` requests is not available on the node: check the device plugin pods and the node's drivers, or schedule onto nodes that have the device"
        )),
        _ => f.remedy(format!(
            "read the runtime's error above: it names what the runtime could not set up for `{name}`; compare with pods of the same spec that start on other nodes"
        )),
    };
    let ns = &s.pod.metadata.namespace;
    let pod = &s.pod.metadata.name;
    f = f.command(format!(
        "kubectl -n {ns} get events --field-selector involvedObject.name={pod},reason=Failed"
    ));
    if let Some(node) = s.pod.spec.node_name.as_deref() {
        f = f.command(format!("kubectl describe node {node}"));
    }
    f
}

/// Remedy for a file/directory mount mismatch at `dst`, naming the volumeMount and its subPath.
fn mount_remedy(s: &Subject<'_>, mut f: Finding, dst: &str) -> Finding {
    let name = s.name();
    let Some(m) = s.spec.volume_mounts.iter().find(|m| m.mount_path == dst) else {
        return f.remedy(format!(
            "`{dst}` is not a mountPath of `{name}`: it may come from the image's VOLUME or another mount; check that file and directory types match"
        ));
    };
    f = f.evidence(Evidence::spec(
        s,
        &format!("volumeMounts[{}]", m.name),
        format!(
            "mountPath {dst}{}",
            m.sub_path
                .as_deref()
                .map(|p| format!(", subPath {p}"))
                .unwrap_or_default()
        ),
    ));
    let volume = s.pod.spec.volumes.iter().find(|v| v.name == m.name);
    let config_map = volume.and_then(|v| v.config_map.as_ref());
    match (m.sub_path.as_deref(), config_map) {
        (Some(sub), Some(cm)) => {
            let ns = &s.pod.metadata.namespace;
            let object = s
                .cluster
                .config_maps
                .iter()
                .find(|o| o.metadata.namespace == *ns && o.metadata.name == cm.name);
            let in_items = cm.items.is_empty() || cm.items.iter().any(|i| i.path == sub);
            match object {
                Some(o) if !o.has_key(sub) || !in_items => {
                    let keys = o.data.join(", ");
                    f = f.evidence(Evidence::new(
                        super::EvidenceKind::Spec,
                        &format!("namespaces/{ns}/configmaps.yaml"),
                        format!("ConfigMap {}", cm.name),
                        format!("keys: {keys}"),
                    ));
                    f.remedy(format!(
                        "subPath `{sub}` is not a file of ConfigMap `{}` (keys: {keys}), so the kubelet mounts an empty directory onto the file `{dst}`: add the key `{sub}` or fix the `subPath` of volumeMount `{}`",
                        cm.name, m.name
                    ))
                }
                _ => f.remedy(format!(
                    "volumeMount `{}` mounts subPath `{sub}` of ConfigMap `{}` at `{dst}`: make sure `{sub}` is a key (a file) and `{dst}` is a file path in the image, not a directory",
                    m.name, cm.name
                )),
            }
        }
        (Some(sub), None) => f.remedy(format!(
            "volumeMount `{}` mounts subPath `{sub}` at `{dst}`: a missing subPath is created as a directory; create it as a file in the volume, or mount at a directory path",
            m.name
        )),
        (None, _) => f.remedy(format!(
            "volumeMount `{}` mounts a whole volume (a directory) at `{dst}`, where the image has a file: mount one key with `subPath`, or mount at the parent directory",
            m.name
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsystem_patterns_compile() {
        assert_eq!(SUBSYSTEM_RES.len(), SUBSYSTEMS.len());
        assert!(
            CARVED_OUT_RE
                .is_match(r#"exec: "gunicorn": executable file not found in $PATH: unknown"#)
        );
    }

    #[test]
    fn mount_message_names_the_destination() {
        let text = r#"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/var/lib/kubelet/pods/1/volume-subpaths/conf/nginx/0" to rootfs at "/etc/nginx/nginx.conf": mount /var/lib/kubelet/pods/1/volume-subpaths/conf/nginx/0:/etc/nginx/nginx.conf (via /proc/self/fd/6), flags: 0x5001: not a directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type"#;
        assert!(!CARVED_OUT_RE.is_match(text));
        let c = SUBSYSTEM_RES[0].captures(text).unwrap();
        assert_eq!(&c["target"], "/etc/nginx/nginx.conf");
    }

    /// Runtime errors as issue reports quote them (older runc and dockershim wordings too).
    #[test]
    fn real_runtime_messages_name_their_subsystem() {
        let first = |text: &str| {
            assert!(!CARVED_OUT_RE.is_match(text), "{text}");
            SUBSYSTEM_RES
                .iter()
                .position(|re| re.is_match(text))
                .map(|i| SUBSYSTEMS[i].id)
        };
        for (text, id) in [
            (
                r#"OCI runtime create failed: container_linux.go:345: starting container process caused "process_linux.go:430: container init caused \"rootfs_linux.go:58: mounting \\\"/c/app/rasa-config.yml\\\" to rootfs \\\"/mnt/sda1/var/lib/docker/overlay2/9f4e/merged\\\" at \\\"/mnt/sda1/var/lib/docker/overlay2/9f4e/merged/app/config.yml\\\" caused \\\"not a directory\\\"\"": unknown: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type"#,
                "mount",
            ),
            (
                r"Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: container_linux.go:380: starting container process caused: process_linux.go:545: container init caused: rootfs_linux.go:75: mounting '/var/lib/kubelet/pods/0be7/volumes/kubernetes.io~projected/kube-api-access-b6vs7' to rootfs at '/var/run/secrets/kubernetes.io/serviceaccount' caused: mkdir /run/containerd/io.containerd.runtime.v2.task/k8s.io/splunk-fluentd-k8s-logs/rootfs/run/secrets: read-only file system: unknown",
                "oci",
            ),
            (
                "Failed to start container with docker id 5d51a9b0b79d with error: Error response from daemon: mkdir /mnt/ephemeral: read-only file system",
                "oci",
            ),
        ] {
            assert_eq!(first(text), Some(id), "{text}");
        }
    }
}
