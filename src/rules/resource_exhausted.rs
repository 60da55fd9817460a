//! `resource-exhausted`: the app runs out of disk space, threads/PIDs or file descriptors.

use super::helpers::{describe_volume, mount_for_path};
use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because disk space, threads/processes or file descriptors ran out.
    /// Disk: `no space left on device`, `ENOSPC`, `Disk quota exceeded`. Threads and PIDs:
    /// `unable to create native thread`, `fork: Resource temporarily unavailable`, `failed to
    /// create new OS thread`. File descriptors: `too many open files`, `EMFILE`.
    ///
    /// ## Why it crash-loops
    /// A full volume stays full across restarts; PID and descriptor limits come from the node
    /// and the runtime and are hit again as soon as the app reaches the same load.
    ///
    /// ## Evidence
    /// - one of the log lines above (strong for the disk and thread messages, likely otherwise)
    /// - for a full disk, the volume holding the path (a persistentVolumeClaim, or an
    ///   `emptyDir` with a `sizeLimit` or `medium: Memory`) and the container's
    ///   `ephemeral-storage` limit
    ///
    /// ## Remedy
    /// Disk: free or expand the volume, rotate logs, raise `emptyDir.sizeLimit` or the
    /// `ephemeral-storage` limit. Threads/PIDs: find the thread leak or raise the kubelet's
    /// `podPidsLimit`. Descriptors: fix the descriptor leak or raise the runtime's `nofile` limit.
    ///
    /// ## Not covered
    /// Memory (`oom-killed`, `runtime-heap-exhausted`), pods evicted for node disk pressure or
    /// ephemeral storage (`evicted`).
    pub(crate) static RESOURCE_EXHAUSTED = {
        cause: ResourceExhausted, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "no-space",
        pattern: r"(?i)(?:(?P<target>/[^\s:'\x22]+)['\x22]?: )?(?:no space left on device|\bENOSPC\b|disk quota exceeded)",
        example: "panic: write /var/lib/ingester/wal/00000412: no space left on device",
        confidence: 0.85,
    },
    Signature {
        id: "native-thread",
        pattern: r"unable to create (?:new )?native thread|runtime: failed to create new OS thread|pthread_create failed|can't start new thread",
        example: "java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached",
        confidence: 0.85,
    },
    Signature {
        id: "fork-eagain",
        pattern: r"fork: (?:retry: )?Resource temporarily unavailable|Cannot fork|fork failed: Resource temporarily unavailable",
        example: "/usr/local/bin/start.sh: fork: retry: Resource temporarily unavailable",
        confidence: 0.85,
    },
    Signature {
        id: "too-many-open-files",
        pattern: r"(?i)too many open files|\bEMFILE\b",
        example: "accept tcp [::]:8080: accept4: too many open files; retrying in 1s",
        confidence: 0.8,
    },
    // The node's per-user inotify limits (`fs.inotify.max_user_instances`, `max_user_watches`),
    // shared by every container of that UID on the node.
    Signature {
        id: "inotify-limit",
        pattern: r"(?i)(?:user limit \(\d+\) )?on the number of inotify (?P<target>instances|watches)|inotify[_ ](?:init|add_watch)[^\n]{0,40}(?:too many open files|no space left on device)|too many inotify|fs\.inotify\.max_user_(?:instances|watches)",
        example: "Unhandled exception. System.IO.IOException: The configured user limit (128) on the number of inotify instances has been reached, or the per-process limit on the number of open file descriptors has been reached.",
        confidence: 0.85,
    },
];

/// The resource a signature says ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Disk,
    Threads,
    Files,
    Inotify,
}

impl Kind {
    fn of(signature: &str) -> Self {
        match signature {
            "no-space" => Self::Disk,
            "too-many-open-files" => Self::Files,
            "inotify-limit" => Self::Inotify,
            _ => Self::Threads,
        }
    }
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &RESOURCE_EXHAUSTED, |s, hit| {
        let name = s.name();
        let target = hit.target.as_deref();
        let title = match (Kind::of(hit.signature.id), target) {
            (Kind::Disk, Some(p)) => {
                format!("container `{name}` runs out of disk space writing `{p}`")
            }
            (Kind::Disk, None) => format!("container `{name}` runs out of disk space"),
            (Kind::Threads, _) => {
                format!("container `{name}` cannot create more threads or processes")
            }
            (Kind::Files, _) => format!("container `{name}` runs out of file descriptors"),
            (Kind::Inotify, Some(what)) => {
                format!("container `{name}` hits the node's inotify {what} limit")
            }
            (Kind::Inotify, None) => format!("container `{name}` hits the node's inotify limits"),
        };
        (title, remedies(s, Kind::of(hit.signature.id), target))
    });
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let Some(hit) = best_hit(s, RESOURCE_EXHAUSTED.cause) else {
            continue;
        };
        if Kind::of(hit.signature.id) != Kind::Disk {
            continue;
        }
        if let Some((m, v)) = hit.target.as_deref().and_then(|p| mount_for_path(s, p)) {
            f.evidence.push(Evidence::spec(
                s,
                &format!("volumeMounts[{}]", m.name),
                format!("mounted at `{}` from {}", m.mount_path, describe_volume(v)),
            ));
        }
        if let Some(limit) = s.spec.resources.limits.get("ephemeral-storage") {
            f.evidence.push(Evidence::spec(
                s,
                "resources.limits.ephemeral-storage",
                limit,
            ));
        }
    }
}

/// Remediation steps per exhausted resource.
fn remedies(s: &Subject<'_>, kind: Kind, target: Option<&str>) -> Vec<String> {
    let name = s.name();
    match kind {
        Kind::Disk => {
            let mount = target.and_then(|p| mount_for_path(s, p));
            let first = match mount {
                Some((m, Some(v))) if v.persistent_volume_claim.is_some() => format!(
                    "volume `{}` ({}) mounted at `{}` is full: expand the claim (if its StorageClass allows volume expansion) or delete old data; check what grows (WAL, logs, retention)",
                    m.name,
                    describe_volume(Some(v)),
                    m.mount_path
                ),
                Some((m, Some(v))) if v.empty_dir.is_some() => format!(
                    "`{}` is an emptyDir ({}): raise its `sizeLimit` (for `medium: Memory` it counts against the memory limit) or write less there",
                    m.mount_path,
                    describe_volume(Some(v))
                ),
                Some((m, v)) => format!(
                    "volume `{}` ({}) mounted at `{}` is full: free space on it",
                    m.name,
                    describe_volume(v),
                    m.mount_path
                ),
                None => format!(
                    "the write goes to the container's writable layer: mount a volume for that data, or raise `resources.limits.ephemeral-storage` of `{name}` and check the node's free disk (`DiskPressure`)"
                ),
            };
            vec![first, "rotate or cap what fills the disk (logs, caches, temp files) so the next run does not fill it again".to_owned()]
        }
        Kind::Threads => vec![
            format!("look for a thread or process leak in `{name}` (thread dump, `ps -eLf` in a debug container); cap worker and thread pools"),
            format!("if the load really needs more, raise the node's `podPidsLimit` (kubelet) for the node pool running `{name}`; for the JVM, lower `-Xss` or the pool sizes"),
        ],
        Kind::Files => vec![
            format!("look for a descriptor leak in `{name}` (connections or files not closed; `ls /proc/1/fd | wc -l` in a debug container)"),
            "if the load really needs more, raise the `nofile` ulimit of the container runtime (containerd `LimitNOFILE`) on the nodes".to_owned(),
        ],
        Kind::Inotify => vec![
            "the limit is per user on the node and shared by every container running as that UID: raise `fs.inotify.max_user_instances` / `fs.inotify.max_user_watches` with sysctl on the node (a DaemonSet or the node image), e.g. 1024 / 524288".to_owned(),
            format!("find which containers on the node hold the instances (`find /proc/*/fd -lname anon_inode:inotify` on the node) before restarting `{name}`"),
        ],
    }
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "OSError: [Errno 28] No space left on device: '/data/exports/2026-11-28.csv'",
            "runtime: failed to create new OS thread (have 1024 already; errno=11)",
        ] {
            assert!(causes(line).contains(&"resource-exhausted"), "{line}");
        }
        for line in [
            "Terminating due to java.lang.OutOfMemoryError: Java heap space",
            "IO error: While lock file: /data/rocksdb/LOCK: Resource temporarily unavailable",
        ] {
            assert!(!causes(line).contains(&"resource-exhausted"), "{line}");
        }
    }

    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn real_world_lines() {
        let causes = super::super::causes_of_line;
        for line in [
            "2023/03/27 11:27:28 too many open files",
            "panic: failed to new ca-cert watcher: too many open files",
            "write /var/lib/data/x: no space left on device",
            "OSError: [Errno 28] No space left on device",
            "Error: ENOSPC: no space left on device, write",
            "java.io.IOException: No space left on device",
            "http: Accept error: accept tcp [::]:8080: accept4: too many open files; retrying in 5ms",
            "Error: EMFILE: too many open files, watch '/app/src'",
            "java.net.SocketException: Too many open files",
            "OSError: [Errno 24] Too many open files",
            "bash: fork: retry: Resource temporarily unavailable",
            "runtime: failed to create new OS thread (have 8 already; errno=11)",
            r#"Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached"#,
            "Error: ENOSPC: System limit for number of file watchers reached, watch '/app/src'",
        ] {
            assert!(causes(line).contains(&"resource-exhausted"), "{line}");
        }
        for line in [
            "java.lang.OutOfMemoryError: Java heap space",
            "OSError: [Errno 30] Read-only file system: '/app/.cache'",
        ] {
            assert!(!causes(line).contains(&"resource-exhausted"), "{line}");
        }
    }
}
