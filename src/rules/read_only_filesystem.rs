//! `read-only-filesystem`: the app writes to a read-only root filesystem or mount (EROFS).

use super::helpers::{describe_volume, mount_for_path, parent_dir};
use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because a write fails on a read-only filesystem (EROFS).
    /// `Read-only file system` (errno 30) for a cache, PID or temp file on a root filesystem made
    /// read-only by `readOnlyRootFilesystem: true`, or a write into a read-only mount.
    ///
    /// ## Why it crash-loops
    /// The filesystem is read-only by spec, so the same write fails at every start.
    ///
    /// ## Evidence
    /// - a log line with the failed path (`mkdir() "/var/cache/nginx/client_temp" failed (30:
    ///   Read-only file system)`, `OSError: [Errno 30] Read-only file system: '/app/tmp'`,
    ///   `open /tmp/x: read-only file system`, `EROFS: read-only file system, open '/x'`) (likely)
    /// - `securityContext.readOnlyRootFilesystem: true` with the path on no volume, or the path on
    ///   a `readOnly` mount or a ConfigMap/Secret volume (always read-only) (strong)
    ///
    /// ## Remedy
    /// Mount an `emptyDir` at the directory the app writes to (`/tmp`, `/var/cache/nginx`,
    /// `/var/run`), keeping the root filesystem read-only; for config files the app rewrites,
    /// copy them into an `emptyDir` with an init container.
    ///
    /// ## Not covered
    /// Permission errors on writable filesystems (`file-permission-denied`, EACCES), full disks
    /// (`resource-exhausted`).
    pub(crate) static READ_ONLY_FILESYSTEM = {
        cause: ReadOnlyFilesystem, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "nginx-erofs",
        pattern: r#"(?:mkdir|open|rename|chown)\(\) \\?"(?P<target>[^"\\]+)\\?" failed \(30: Read-only file system\)"#,
        example: r#"nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)"#,
        confidence: 0.8,
    },
    Signature {
        id: "errno30-path",
        pattern: r"\[Errno 30\] Read-only file system: '(?P<target>[^']+)'",
        example: "OSError: [Errno 30] Read-only file system: '/app/.cache/matplotlib'",
        confidence: 0.8,
    },
    Signature {
        id: "node-erofs",
        pattern: r"EROFS: read-only file system, \w+ '(?P<target>[^']+)'",
        example: "Error: EROFS: read-only file system, open '/usr/src/app/.next/cache/config.json'",
        confidence: 0.8,
    },
    Signature {
        id: "path-read-only",
        pattern: r"(?i)(?:\b(?:open|openat|mkdir|mkdirat|create|remove|rename|chmod|unlinkat|symlink) |cannot (?:create directory|create regular file|create temporary file|touch|open) |can't create (?:directory )?|AccessDeniedException: |FileSystemException: )'?(?P<target>/[^\s:']+)'?: Read-only file system",
        example: "mkdir: cannot create directory '/var/lib/app/tmp': Read-only file system",
        confidence: 0.8,
    },
    Signature {
        id: "erofs-generic",
        // Not `(read-only file system?)`: the nginx entrypoint's harmless probe message.
        pattern: r"(?i)read-only file system(?:$|[^?])|\bEROFS\b",
        example: "ERROR: failed to write pid file: Read-only file system",
        confidence: 0.75,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &READ_ONLY_FILESYSTEM, |s, hit| {
        let name = s.name();
        let title = match hit.target.as_deref() {
            Some(p) => format!("container `{name}` cannot write `{p}`: read-only file system"),
            None => format!("container `{name}` writes to a read-only file system"),
        };
        (title, remedies(s, hit.target.as_deref()))
    });
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let target = best_hit(s, READ_ONLY_FILESYSTEM.cause).and_then(|h| h.target.clone());
        let mount = target.as_deref().and_then(|p| mount_for_path(s, p));
        match (mount, target.as_deref()) {
            (Some((m, v)), Some(path)) => {
                let read_only_source =
                    v.is_some_and(|v| v.config_map.is_some() || v.secret.is_some());
                if m.read_only || read_only_source {
                    f.confidence = (f.confidence + 0.1).min(0.95);
                    f.evidence.push(Evidence::spec(
                        s,
                        &format!("volumeMounts[{}]", m.name),
                        format!(
                            "`{path}` is on {} mounted read-only at `{}`",
                            describe_volume(v),
                            m.mount_path
                        ),
                    ));
                }
            }
            (None, _) if s.read_only_root() => {
                f.confidence = (f.confidence + 0.1).min(0.95);
                let what = target.as_deref().map_or_else(
                    || "the root filesystem is read-only".to_owned(),
                    |p| format!("true; `{p}` is on the root filesystem (no volume mounted there)"),
                );
                f.evidence.push(Evidence::spec(
                    s,
                    "securityContext.readOnlyRootFilesystem",
                    what,
                ));
            }
            _ => {}
        }
    }
}

/// Remediation steps for a failed write to `path`.
fn remedies(s: &Subject<'_>, path: Option<&str>) -> Vec<String> {
    let name = s.name();
    let Some(path) = path else {
        let mut steps = vec![format!(
            "find the path `{name}` writes to in its previous log and mount an `emptyDir` there"
        )];
        if s.read_only_root() {
            steps.push("keep `readOnlyRootFilesystem: true`; give the app writable `emptyDir` mounts for `/tmp` and its cache and run directories".to_owned());
        }
        return steps;
    };
    match mount_for_path(s, path) {
        Some((m, v)) if v.is_some_and(|v| v.config_map.is_some() || v.secret.is_some()) => {
            vec![format!(
                "`{path}` is on {} at `{}`, which Kubernetes always mounts read-only: have the app write elsewhere, or copy the files into an `emptyDir` with an init container and mount that instead",
                describe_volume(v),
                m.mount_path
            )]
        }
        Some((m, v)) => vec![format!(
            "`{path}` is on volume `{}` ({}) mounted with `readOnly: true` at `{}`: drop `readOnly` if the app must write there, or point the write to an `emptyDir`",
            m.name,
            describe_volume(v),
            m.mount_path
        )],
        None => {
            let dir = parent_dir(path);
            vec![
                format!(
                    "mount an `emptyDir` at `{dir}` in `{name}` (a `volumes` entry `{{name: {vol}, emptyDir: {{}}}}` and a `volumeMounts` entry `{{name: {vol}, mountPath: {dir}}}`), keeping `readOnlyRootFilesystem: true`",
                    vol = volume_name(dir)
                ),
                "check the previous log again after the fix: apps often write to several paths (`/tmp`, cache, PID and socket directories)".to_owned(),
            ]
        }
    }
}

/// A volume name derived from a directory: `/var/cache/nginx` -> `nginx-scratch`.
fn volume_name(dir: &str) -> String {
    let last = dir.rsplit('/').find(|c| !c.is_empty()).unwrap_or("scratch");
    let clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{}-scratch", clean.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "open /tmp/app.sock: read-only file system",
            "OSError: [Errno 30] Read-only file system: '/app/.cache/matplotlib'",
        ] {
            assert!(causes(line).contains(&"read-only-filesystem"), "{line}");
        }
        for line in [
            "10-listen-on-ipv6-by-default.sh: info: can not modify /etc/nginx/conf.d/default.conf (read-only file system?)",
            "Error: EACCES: permission denied, mkdir '/usr/src/app/.next/cache'",
        ] {
            assert!(!causes(line).contains(&"read-only-filesystem"), "{line}");
        }
    }

    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn real_world_lines() {
        let causes = super::super::causes_of_line;
        for line in [
            "/usr/share/gems/gems/fluentd-1.14.4/lib/fluent/supervisor.rb:656:in `rescue in run_supervisor': failed to create root directory:/tmp/fluentd, #<Errno::EROFS: Read-only file system @ dir_s_mkdir - /tmp/fluentd> (Fluent::InvalidRootDirectory)",
            "log: exiting because of error: log: cannot create log: open /tmp/kube-rbac-proxy.kube-state-metrics-6f84ccbb7d-k25x6.unknownuser.log.INFO.20180925-110852.1: read-only file system",
            "chmod: /opt/nifi/run.sh: Read-only file system",
            "addgroup: /etc/group: Read-only file system",
            "OSError: [Errno 30] Read-only file system: '/usr/local/airflow/logs/scheduler'",
            "mkdir: cannot create directory '/tmp/foo': Read-only file system",
            "OSError: [Errno 30] Read-only file system: '/app/.cache'",
            "Error: EROFS: read-only file system, open '/app/config.json'",
            r#"nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)"#,
            "touch: cannot touch '/etc/nginx/conf.d/default.conf': Read-only file system",
            "sed: couldn't open temporary file /etc/nginx/conf.d/sedXYZ: Read-only file system",
            "/docker-entrypoint.sh: line 12: /etc/nginx/nginx.conf: Read-only file system",
            "Unhandled exception. System.IO.IOException: Read-only file system : '/app/wwwroot'",
        ] {
            assert!(causes(line).contains(&"read-only-filesystem"), "{line}");
        }
        for line in [
            "mkdir: cannot create directory '/var/lib/grafana/plugins': Permission denied",
            "write /var/lib/data/x: no space left on device",
        ] {
            assert!(!causes(line).contains(&"read-only-filesystem"), "{line}");
        }
    }
}
