//! `file-permission-denied`: the app may not read or write a file or directory it needs (EACCES,
//! wrong ownership).

use super::helpers::{describe_volume, mount_for_path, parent_dir};
use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because it may not read or write a file or directory it needs.
    /// `EACCES`, `Permission denied` on a path, Postgres `data directory … has wrong ownership`:
    /// file ownership and mode against the user the container runs as.
    ///
    /// ## Why it crash-loops
    /// File ownership on the image or the volume and the user the container runs as do not
    /// change between restarts, so the same open or mkdir fails at every start.
    ///
    /// ## Evidence
    /// - a log line naming the denied path (`EACCES: permission denied, open '/app/logs/a.log'`,
    ///   `PermissionError: [Errno 13] Permission denied: '/data/x'`, `mkdir: cannot create
    ///   directory '/data/cache': Permission denied`, `java.nio.file.AccessDeniedException: /x`,
    ///   `open /data/db: permission denied`, `could not open file "…": Permission denied`) (likely)
    /// - the path lies on a persistentVolumeClaim or hostPath volume while the pod sets no
    ///   `fsGroup`, or the container runs as a non-root `runAsUser` on a path of the image (strong)
    ///
    /// ## Remedy
    /// Set `securityContext.fsGroup` (with `fsGroupChangePolicy: OnRootMismatch`) so the volume is
    /// group-writable, run as the user that owns the files, fix ownership with an init container,
    /// or write to an `emptyDir` mounted at the path.
    ///
    /// ## Not covered
    /// Privileged ports and dropped capabilities (`security-context-blocked`, e.g. `bind() to
    /// 0.0.0.0:80 failed (13: Permission denied)`), an entrypoint without the execute bit
    /// (`not-executable`), writes to a read-only filesystem (`read-only-filesystem`, EROFS).
    pub(crate) static FILE_PERMISSION_DENIED = {
        cause: FilePermissionDenied, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    // SQLite's SQLITE_READONLY, and start-up checks that a directory is writable.
    Signature {
        id: "not-writable",
        pattern: r"attempt to write a readonly database|(?P<target>/[\w./-]+)'? is not writable",
        example: "GF_PATHS_DATA='/var/lib/grafana' is not writable.",
        confidence: 0.7,
    },
    // MongoDB's words when it cannot open its lock file for writing (the data directory is not
    // writable by its user; a read-only mount reads the same).
    Signature {
        id: "mongod-lock-file",
        pattern: r"Attempted to create a lock file on a read-only directory: (?P<target>\S+)",
        example: "Attempted to create a lock file on a read-only directory: /data/db",
        confidence: 0.7,
    },
    Signature {
        id: "node-eacces-path",
        pattern: r"EACCES: permission denied, (?:open|mkdir|scandir|access|unlink|rename|rmdir|lstat|stat|chmod|copyfile|symlink|watch) '(?P<target>[^']+)'",
        example: "Error: EACCES: permission denied, open '/app/logs/access.log'",
        confidence: 0.8,
    },
    Signature {
        id: "errno13-path",
        pattern: r"\[Errno 13\] Permission denied: '(?P<target>[^']+)'",
        example: "PermissionError: [Errno 13] Permission denied: '/data/uploads/.init'",
        confidence: 0.8,
    },
    Signature {
        id: "coreutils-denied",
        pattern: r"\b(?:mkdir|touch|cp|mv|ln|install|chmod|tee|rm): (?:cannot|can't) (?:create directory|create regular file|create symbolic link|touch|open|remove|change permissions of) ['‘](?P<target>[^'’]+)['’]: Permission denied",
        example: "mkdir: cannot create directory '/data/cache': Permission denied",
        confidence: 0.8,
    },
    Signature {
        id: "chown-not-permitted",
        pattern: r"chown: (?:changing ownership of|cannot access) '(?P<target>[^']+)': (?:Operation not permitted|Permission denied)",
        example: "chown: changing ownership of '/var/lib/mysql': Operation not permitted",
        confidence: 0.8,
    },
    Signature {
        id: "java-access-denied",
        pattern: r"java\.nio\.file\.AccessDeniedException: (?P<target>\S+)",
        example: "Caused by: java.nio.file.AccessDeniedException: /opt/kafka/data/meta.properties",
        confidence: 0.8,
    },
    Signature {
        id: "java-file-not-found-denied",
        pattern: r"java\.io\.FileNotFoundException: (?P<target>\S+) \(Permission denied\)",
        example: "java.io.FileNotFoundException: /opt/app/logs/app.log (Permission denied)",
        confidence: 0.8,
    },
    Signature {
        id: "go-path-denied",
        pattern: r"\b(?:open|openat|mkdir|mkdirat|stat|lstat|remove|rename|chmod|unlinkat|create) (?P<target>/[^\s:]+): permission denied",
        example: "failed to open database: open /data/badger/MANIFEST: permission denied",
        confidence: 0.8,
    },
    Signature {
        id: "nginx-open-denied",
        pattern: r#"(?:open|mkdir)\(\) \\?"(?P<target>[^"\\]+)\\?" failed \(13: Permission denied\)"#,
        example: r#"nginx: [emerg] open() "/var/run/nginx.pid" failed (13: Permission denied)"#,
        confidence: 0.8,
    },
    Signature {
        id: "postgres-data-dir-ownership",
        pattern: r#"data directory \\?"(?P<target>[^"\\]+)\\?" has (?:wrong ownership|invalid permissions)"#,
        example: r#"FATAL:  data directory "/var/lib/postgresql/data/pgdata" has wrong ownership"#,
        confidence: 0.85,
    },
    Signature {
        id: "could-not-path-denied",
        pattern: r#"(?i)could not (?:create directory|open file|open directory|access directory|change permissions of directory|write to file|create file|open log file) \\?["'](?P<target>[^"'\\]+)\\?["'](?: for [\w ]+)?: (?:Permission denied|Operation not permitted)"#,
        example: r#"initdb: error: could not change permissions of directory "/var/lib/postgresql/data": Operation not permitted"#,
        confidence: 0.85,
    },
    Signature {
        id: "ruby-eacces",
        pattern: r"Permission denied @ [a-z_]+ - (?P<target>[^\s)]+)",
        example: r"Errno::EACCES: Permission denied @ rb_sysopen - /app/tmp/pids/server.pid",
        confidence: 0.8,
    },
    Signature {
        id: "php-stream-denied",
        pattern: r#"The stream or file "(?P<target>[^"]+)" could not be opened in append mode: [Ff]ailed to open stream: Permission denied"#,
        example: r#"The stream or file "/var/www/html/storage/logs/laravel.log" could not be opened in append mode: Failed to open stream: Permission denied"#,
        confidence: 0.85,
    },
    Signature {
        id: "dotnet-unauthorized-access",
        pattern: r"UnauthorizedAccessException: Access to the path '(?P<target>[^']+)' is denied",
        example: r"Unhandled exception. System.UnauthorizedAccessException: Access to the path '/app/logs' is denied.",
        confidence: 0.8,
    },
    Signature {
        id: "shell-redirect-denied",
        pattern: r": (?:\d+: )?(?:line \d+: )?(?:cannot|can't) create (?P<target>/[^\s:]+): Permission denied",
        example: "/bin/sh: can't create /var/log/tns-app.log: Permission denied",
        confidence: 0.8,
    },
    Signature {
        id: "errcode13-or-not-writable",
        pattern: r"Can't create/write to file '(?P<target>[^']+)' \(Errcode: 13|[A-Z_]+='(?P<dir>/[^']+)' is not writable|kind: PermissionDenied|Permission denied \(os error 13\)",
        example: r"mysqld: Can't create/write to file '/var/lib/mysql/is_writable' (Errcode: 13 - Permission denied)",
        confidence: 0.8,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &FILE_PERMISSION_DENIED, |s, hit| {
        let name = s.name();
        let path = hit.target.as_deref().unwrap_or("a file it needs");
        let title = match hit.signature.id {
            "chown-not-permitted" => {
                format!("container `{name}` may not change the owner of `{path}`")
            }
            "postgres-data-dir-ownership" => {
                format!(
                    "container `{name}` runs Postgres on a data directory `{path}` with the wrong owner or mode"
                )
            }
            _ => format!("container `{name}` may not access `{path}` (permission denied)"),
        };
        (title, remedies(s, hit.target.as_deref(), hit.signature.id))
    });
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let Some(path) = best_hit(s, FILE_PERMISSION_DENIED.cause).and_then(|h| h.target.clone())
        else {
            continue;
        };
        let user = effective_user(s);
        let fs_group = s.pod.spec.security_context.fs_group;
        match mount_for_path(s, &path) {
            Some((m, v)) => {
                f.evidence.push(Evidence::spec(
                    s,
                    &format!("volumeMounts[{}]", m.name),
                    format!(
                        "`{path}` is on volume `{}` ({}) mounted at `{}`",
                        m.name,
                        describe_volume(v),
                        m.mount_path
                    ),
                ));
                let shared_storage =
                    v.is_some_and(|v| v.persistent_volume_claim.is_some() || v.host_path.is_some());
                if shared_storage && fs_group.is_none() {
                    f.confidence = (f.confidence + 0.1).min(0.95);
                    f.evidence.push(Evidence::spec(
                        s,
                        "spec.securityContext.fsGroup",
                        format!("not set{}", user_text(user)),
                    ));
                } else if shared_storage {
                    f.confidence = (f.confidence + 0.05).min(0.95);
                }
                // Secret and ConfigMap files belong to root (group fsGroup): a mode without
                // "other" read locks out a non-root user without fsGroup.
                let mode = v.and_then(|v| {
                    v.secret
                        .as_ref()
                        .and_then(|x| x.default_mode)
                        .or_else(|| v.config_map.as_ref().and_then(|x| x.default_mode))
                });
                if let Some(mode) = mode.filter(|m| m & 0o004 == 0)
                    && user.is_some_and(|u| u != 0)
                    && fs_group.is_none()
                {
                    f.confidence = (f.confidence + 0.05).min(0.95);
                    f.evidence.push(Evidence::spec(
                        s,
                        &format!(
                            "spec.volumes[{}].{}.defaultMode",
                            m.name,
                            if v.is_some_and(|v| v.secret.is_some()) {
                                "secret"
                            } else {
                                "configMap"
                            }
                        ),
                        format!(
                            "{mode:04o} (owner root, no read for others){}",
                            user_text(user)
                        ),
                    ));
                }
            }
            None => {
                if let Some(uid) = user.filter(|u| *u != 0) {
                    f.confidence = (f.confidence + 0.05).min(0.95);
                    f.evidence.push(Evidence::spec(
                        s,
                        "securityContext.runAsUser",
                        format!("runs as UID {uid}; `{path}` is part of the image, not a volume"),
                    ));
                }
            }
        }
    }
}

/// Remediation steps for a denied `path`, from the volume it lies on and the user.
fn remedies(s: &Subject<'_>, path: Option<&str>, signature: &str) -> Vec<String> {
    let name = s.name();
    let user = effective_user(s);
    let group = s
        .spec
        .security_context
        .run_as_group
        .or(s.pod.spec.security_context.run_as_group)
        .or(user)
        .filter(|g| *g != 0)
        .map_or_else(
            || "<the GID the image runs as>".to_owned(),
            |g| g.to_string(),
        );
    let mut steps = Vec::new();
    if signature == "postgres-data-dir-ownership" {
        steps.push(
            "Postgres requires its data directory to be owned by the UID it runs as, with mode 0700 (or 0750): run it as that UID (`runAsUser`), or point `PGDATA` at a subdirectory of the volume so initdb creates it with the right owner".to_owned(),
        );
    }
    let Some(path) = path else {
        steps.push(format!(
            "find the denied path in the previous log of `{name}` and make it writable for the user the container runs as"
        ));
        return steps;
    };
    match mount_for_path(s, path) {
        Some((m, Some(v))) if v.host_path.is_some() => {
            steps.push(format!(
                "`{path}` is on hostPath volume `{}`: `fsGroup` does not apply to hostPath; fix the owner of the directory on the node, or chown it in an init container that runs as root",
                m.name
            ));
        }
        Some((m, Some(v))) if v.persistent_volume_claim.is_some() => {
            if let Some(g) = s.pod.spec.security_context.fs_group {
                steps.push(format!(
                    "`fsGroup: {g}` is set but `{path}` on volume `{}` is still denied: the volume's driver may not apply fsGroup (NFS, some CSI drivers); chown the directory in an init container or on the storage side",
                    m.name
                ));
            } else {
                steps.push(format!(
                    "set `spec.securityContext.fsGroup: {group}` and `fsGroupChangePolicy: OnRootMismatch` so the kubelet makes volume `{}` (mounted at `{}`) writable for the container's group",
                    m.name, m.mount_path
                ));
            }
        }
        Some((m, Some(v))) if v.secret.is_some() || v.config_map.is_some() => {
            let mode = v
                .secret
                .as_ref()
                .and_then(|x| x.default_mode)
                .or_else(|| v.config_map.as_ref().and_then(|x| x.default_mode))
                .unwrap_or(0o644);
            steps.push(format!(
                "`{path}` comes from {} mounted at `{}`: its files belong to root with mode {mode:04o}; for a non-root user set `defaultMode: 0440` together with `fsGroup: {group}` (or `0444`) so the file is readable",
                describe_volume(Some(v)),
                m.mount_path
            ));
        }
        Some((m, _)) => {
            steps.push(format!(
                "`{path}` is on volume `{}` mounted at `{}`: make it writable for {} (e.g. `fsGroup: {group}`), or have the app write elsewhere",
                m.name,
                m.mount_path,
                user.map_or_else(|| "the container's user".to_owned(), |u| format!("UID {u}"))
            ));
        }
        None => {
            steps.push(format!(
                "`{path}` is part of the image: run `{name}` as the user that owns it (set `runAsUser` to the image's UID), or mount an `emptyDir` at `{}` so the directory is writable",
                parent_dir(path)
            ));
        }
    }
    steps.push(format!(
        "check the owner and mode: `kubectl debug` a copy of the pod and run `id; ls -ln {}`",
        parent_dir(path)
    ));
    steps
}

/// `runAsUser` of the container, else of the pod.
fn effective_user(s: &Subject<'_>) -> Option<i64> {
    s.spec
        .security_context
        .run_as_user
        .or(s.pod.spec.security_context.run_as_user)
}

fn user_text(user: Option<i64>) -> String {
    user.map_or_else(String::new, |u| format!("; runs as UID {u}"))
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "PermissionError: [Errno 13] Permission denied: '/data/uploads/.init'",
            "failed to open database: open /data/badger/MANIFEST: permission denied",
            "Caused by: java.nio.file.AccessDeniedException: /opt/kafka/data/meta.properties",
        ] {
            assert!(causes(line).contains(&"file-permission-denied"), "{line}");
        }
        for line in [
            "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)",
            r#"exec: "/app/entrypoint.sh": permission denied: unknown"#,
            "fork/exec /usr/local/bin/helper: permission denied",
            "Error: listen EACCES: permission denied 0.0.0.0:80",
            "mkdir: cannot create directory '/var/lib/app/tmp': Read-only file system",
        ] {
            assert!(!causes(line).contains(&"file-permission-denied"), "{line}");
        }
    }

    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn real_world_lines() {
        let causes = super::super::causes_of_line;
        for line in [
            "Unhandled Exception: System.UnauthorizedAccessException: Access to the path '/proc/1/map_files' is denied. ---> System.IO.IOException: Operation not permitted,",
            "/bin/sh: can't create /var/log/tns-app.log: Permission denied",
            "/sbin/runit-wrapper: line 5: can't create /env: Permission denied",
            "mkdir: cannot create directory '/var/lib/grafana/plugins': Permission denied",
            "Error: EACCES: permission denied, open '/app/logs/app.log'",
            "PermissionError: [Errno 13] Permission denied: '/data/db.sqlite3'",
            "chown: changing ownership of '/var/lib/postgresql/data': Operation not permitted",
            r#"initdb: error: could not change permissions of directory "/var/lib/postgresql/data": Operation not permitted"#,
            "open /var/lib/app/data.db: permission denied",
            "java.nio.file.AccessDeniedException: /opt/app/logs/app.log",
            "touch: cannot touch '/var/log/nginx/access.log': Permission denied",
            r#"nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (13: Permission denied)"#,
            "mysqld: Can't create/write to file '/var/lib/mysql/is_writable' (Errcode: 13 - Permission denied)",
            r#"The stream or file "/var/www/html/storage/logs/laravel.log" could not be opened in append mode: Failed to open stream: Permission denied"#,
            "/usr/local/lib/ruby/3.1.0/fileutils.rb:253:in `mkdir': Permission denied @ dir_s_mkdir - /app/tmp/cache (Errno::EACCES)",
            "Errno::EACCES: Permission denied @ rb_sysopen - /app/tmp/pids/server.pid",
            "Unhandled exception. System.UnauthorizedAccessException: Access to the path '/app/logs' is denied.",
            r#"Error: Os { code: 13, kind: PermissionDenied, message: "Permission denied" }"#,
            "GF_PATHS_DATA='/var/lib/grafana' is not writable.",
            "java.io.FileNotFoundException: /var/log/app/app.log (Permission denied)",
        ] {
            assert!(causes(line).contains(&"file-permission-denied"), "{line}");
        }
        for line in [
            "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)",
            "/bin/sh: 1: ./start.sh: Permission denied",
            "OSError: [Errno 30] Read-only file system: '/app/.cache'",
        ] {
            assert!(!causes(line).contains(&"file-permission-denied"), "{line}");
        }
    }
}
