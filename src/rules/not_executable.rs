//! `not-executable`: the entrypoint exists but cannot be executed (no execute permission).

use std::sync::LazyLock;

use regex::Regex;

use super::helpers::{compile, is_start_candidate, match_signature, start_messages};
use super::{CERTAIN, Evidence, Finding, POSSIBLE, RuleContext, Signature, WEAK, best_hit};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container whose entrypoint is present but not executable: a script without the execute
    /// bit, one mounted from a ConfigMap or Secret volume with the default mode 0644, a `noexec`
    /// mount, or a file the container's user may not read.
    ///
    /// ## Why it crash-loops
    /// The file's mode comes from the image or the volume spec, so every start fails the same way:
    /// `StartError` (exit code 128) from the runtime, or exit code 126 from a shell wrapper.
    ///
    /// ## Evidence
    /// - `exec: "/path": permission denied` in the `StartError`/`RunContainerError` message or a
    ///   `Failed` event (certain)
    /// - log lines `/bin/sh: 1: ./start.sh: Permission denied`, `exec /app/run.sh: permission denied`
    ///   (strong with exit code 126); exit code 126 alone (possible)
    /// - the command runs a file from a ConfigMap or Secret volume whose `defaultMode` has no
    ///   execute bit (corroborates; weak on its own)
    ///
    /// ## Remedy
    /// `chmod +x` the file when building the image (`COPY --chmod=0755`), set `defaultMode: 0755`
    /// on the ConfigMap/Secret volume, or run the script through its interpreter (`sh /path/script.sh`).
    ///
    /// ## Not covered
    /// Permission errors on data files once the program runs (`file-permission-denied`), a missing
    /// executable (`command-not-found`), the wrong architecture (`exec-format`).
    pub(crate) static NOT_EXECUTABLE = {
        cause: NotExecutable, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "oci-permission-denied",
        pattern: r#"exec: \\?"(?P<target>[^"\\]+)\\?": permission denied"#,
        example: r#"OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "/app/run.sh": permission denied: unknown"#,
        confidence: 0.9,
    },
    Signature {
        id: "exec-permission-denied",
        pattern: r"^(?:exec (?P<target>/\S+): permission denied|standard_init_linux\.go:\d+: exec user process caused:? permission denied)",
        example: "exec /docker-entrypoint.sh: permission denied",
        confidence: 0.85,
    },
    Signature {
        id: "shell-permission-denied",
        pattern: r"(?:^|\s)(?:(?:/bin/|/usr/bin/)?(?:sh|bash|ash|dash)(?:: line \d+)?: (?:\d+: )?(?:exec: )?|/\S+: line \d+: exec: )(?P<target>[^\s:]+): Permission denied$",
        example: "/bin/sh: 1: ./start.sh: Permission denied",
        confidence: 0.8,
    },
];

static REGEXES: LazyLock<Vec<Regex>> = LazyLock::new(|| compile(SIGNATURES));

/// Unix execute bits of a file mode.
const EXEC_BITS: i64 = 0o111;
/// The mode of ConfigMap and Secret volume files when `defaultMode` is unset (0644).
const DEFAULT_MODE: i64 = 0o644;

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.subjects.iter().filter(|s| is_start_candidate(s)) {
        let code = s.exit_code();
        let from_start = start_messages(s).into_iter().find_map(|(e, text)| {
            let (_, target) = match_signature(SIGNATURES, &REGEXES, text)?;
            Some((e, target))
        });
        let hit = best_hit(s, NOT_EXECUTABLE.cause);
        let (mut confidence, evidence, target) = match (from_start, hit) {
            (Some((e, t)), _) => (CERTAIN, Some(e), t),
            (None, Some(h)) => {
                let c = if code == Some(126) || code == Some(128) {
                    0.93
                } else {
                    // A permission line while the container exits otherwise may be a side issue.
                    (h.signature.confidence * h.position_weight()).min(0.7)
                };
                (c, Some(Evidence::log_hit(s, h)), h.target.clone())
            }
            (None, None) if code == Some(126) => (POSSIBLE + 0.1, None, None),
            (None, None) => (0.0, None, None),
        };
        let mode = script_volume(s, target.as_deref());
        if confidence == 0.0 {
            // The spec alone: only with an exit code that says the start failed.
            if mode.is_none() || !matches!(code, Some(126 | 128)) {
                continue;
            }
            confidence = WEAK;
        } else if mode.is_some() {
            confidence += 0.02;
        }
        out.push(finding(
            s,
            confidence,
            evidence,
            target.as_deref(),
            mode.as_ref(),
        ));
    }
}

/// A ConfigMap or Secret volume file without execute bits that the command runs.
struct ScriptVolume {
    volume: String,
    source: String,
    mount_path: String,
    script: String,
    mode: i64,
    /// Whether `defaultMode` is written in the spec (else the 0644 default applies).
    explicit: bool,
}

fn finding(
    s: &Subject<'_>,
    confidence: f64,
    evidence: Option<Evidence>,
    target: Option<&str>,
    mode: Option<&ScriptVolume>,
) -> Finding {
    let name = s.name();
    let file = target.or_else(|| mode.map(|m| m.script.as_str()));
    let title = match (file, mode) {
        (Some(t), Some(m)) => format!(
            "container `{name}` cannot execute `{t}`: it comes from {} with mode {:04o}, without execute permission",
            m.source, m.mode
        ),
        (Some(t), None) => {
            format!("container `{name}` cannot execute `{t}`: permission denied")
        }
        (None, _) => format!("container `{name}` exits with code 126 (command not executable)"),
    };
    let mut f = Finding::new(&NOT_EXECUTABLE, s, confidence).title(title);
    if let Some(e) = evidence {
        f = f.evidence(e);
    }
    f = f.termination(s).waiting(s);
    if let Some(m) = mode {
        f = f
            .evidence(Evidence::spec(
                s,
                &format!("spec.volumes[{}]", m.volume),
                if m.explicit {
                    format!("{}, defaultMode {:04o} ({})", m.source, m.mode, m.mode)
                } else {
                    format!("{}, no defaultMode (files get 0644)", m.source)
                },
            ))
            .evidence(Evidence::spec(
                s,
                &format!("volumeMounts[{}]", m.volume),
                format!("mountPath {}", m.mount_path),
            ))
            .remedy(format!(
                "set `defaultMode: 0755` (493) on volume `{}` ({}) so `{}` is executable, or run it as `command: [\"sh\", \"{}\"]`",
                m.volume, m.source, m.script, m.script
            ));
    } else {
        let file = file.unwrap_or("the entrypoint");
        f = f
            .remedy(format!(
                "make `{file}` executable in the image (`RUN chmod +x {file}` or `COPY --chmod=0755`), or run it through its interpreter (`sh {file}`)"
            ))
            .remedy("if the file is on a volume, check that the volume is not mounted `noexec` and that the container's user may read it");
    }
    if let Some(uid) = s.spec.security_context.run_as_user.or(s
        .pod
        .spec
        .security_context
        .run_as_user)
    {
        f = f.note(format!(
            "the container runs as user {uid}: the file must be readable and executable by that user, not only by root"
        ));
    }
    let ns = &s.pod.metadata.namespace;
    let pod = &s.pod.metadata.name;
    f.command(format!(
        "kubectl -n {ns} get pod {pod} -o yaml | grep -B2 -A6 defaultMode"
    ))
    .command(format!(
        "kubectl -n {ns} debug -it {pod} --copy-to={pod}-debug --container={name} -- ls -l {}",
        file.unwrap_or("/")
    ))
}

/// The ConfigMap/Secret volume that provides the file the container executes (`target`, else
/// the first absolute path in `command`/`args`), when its mode lacks execute bits.
fn script_volume(s: &Subject<'_>, target: Option<&str>) -> Option<ScriptVolume> {
    let candidates: Vec<&str> = target
        .into_iter()
        .chain(
            s.spec
                .command
                .iter()
                .chain(&s.spec.args)
                .flat_map(|a| a.split_whitespace()),
        )
        .filter(|w| w.starts_with('/'))
        .collect();
    for path in candidates {
        for m in &s.spec.volume_mounts {
            let dir = m.mount_path.trim_end_matches('/');
            let inside = path.starts_with(&format!("{dir}/"))
                || (m.sub_path.is_some() && path == m.mount_path);
            if !inside {
                continue;
            }
            let Some(v) = s.pod.spec.volumes.iter().find(|v| v.name == m.name) else {
                continue;
            };
            let (source, mode) = if let Some(c) = &v.config_map {
                (format!("ConfigMap `{}`", c.name), c.default_mode)
            } else if let Some(c) = &v.secret {
                (format!("Secret `{}`", c.secret_name), c.default_mode)
            } else {
                continue;
            };
            let explicit = mode.is_some();
            let mode = mode.unwrap_or(DEFAULT_MODE);
            if mode & EXEC_BITS == 0 {
                return Some(ScriptVolume {
                    volume: v.name.clone(),
                    source,
                    mount_path: m.mount_path.clone(),
                    script: path.to_owned(),
                    mode,
                    explicit,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r#"Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "/usr/sbin/membership-to-clusterprofile.sh": permission denied: unknown"#,
            "/bin/sh: ./run.sh: Permission denied",
            r#"Background task error for create nxfilter-base-1: 400 Client Error: Bad Request ("oci runtime error: container_linux.go:265: starting container process caused "exec: \"/entrypoint.sh\": permission denied" ")"#,
            "/bin/sh: 1: ./start.sh: Permission denied",
            r#"OCI runtime create failed: container_linux.go:349: starting container process caused "exec: \"/entrypoint.sh\": permission denied": unknown"#,
            "exec /docker-entrypoint.sh: permission denied",
            "/bin/sh: 1: exec: /entrypoint.sh: Permission denied",
            "standard_init_linux.go:219: exec user process caused: permission denied",
            "bash: /app/start.sh: Permission denied",
        ] {
            assert!(causes(line).contains(&"not-executable"), "{line}");
        }
        for line in [
            "/bin/sh: 1: gunicorn: not found",
            "standard_init_linux.go:228: exec user process caused: exec format error",
            "mkdir: cannot create directory '/var/lib/grafana/plugins': Permission denied",
        ] {
            assert!(!causes(line).contains(&"not-executable"), "{line}");
        }
    }
}
