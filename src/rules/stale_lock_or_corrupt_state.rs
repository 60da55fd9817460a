//! `stale-lock-or-corrupt-state`: persistent state left behind by an earlier instance (a lock
//! file, a half-applied migration, corrupt data) stops the app from starting.

use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::model::ContainerKind;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A stateful app that refuses to start because of state an earlier run left behind.
    /// A stale lock (`lock file "postmaster.pid" already exists`, `failed to obtain node locks`,
    /// `LOCK: Resource temporarily unavailable`), corrupt data (`database disk image is
    /// malformed`, `wal: crc mismatch`, `could not locate a valid checkpoint record`) or a broken
    /// schema migration (`Dirty database version N. Fix and force version.`, Flyway `Validate
    /// failed`).
    ///
    /// ## Why it crash-loops
    /// The state lives on a persistent volume (or in the database), so it survives the restart;
    /// often a second instance still holds the lock, or an earlier kill (OOM, node failure)
    /// left the files half-written.
    ///
    /// ## Evidence
    /// - one of the log lines above (likely to strong; migration and lock messages are explicit)
    /// - the pod belongs to a StatefulSet or mounts a persistentVolumeClaim (corroborates)
    ///
    /// ## Remedy
    /// Make sure only one instance writes the volume (RWO volumes, StatefulSet, `strategy:
    /// Recreate`); remove a stale lock only once no other instance runs; repair or restore corrupt
    /// data; fix a failed migration and mark its version clean (`migrate force`, `flyway repair`).
    ///
    /// ## Not covered
    /// Permission errors on the data directory (`file-permission-denied`), full volumes
    /// (`resource-exhausted`), ports held by another process (`port-in-use`).
    pub(crate) static STALE_LOCK_OR_CORRUPT_STATE = {
        cause: StaleLockOrCorruptState, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    // A schema migration that failed half-way on a database an earlier version left behind.
    Signature {
        id: "migration-rolled-back",
        pattern: r"(?i)failed to migrate existing (?:db|database)|the migration transaction rolls back|database (?:is )?(?:left )?in a dirty state",
        example: "        Failed to migrate existing db; the migration transaction rolls back..",
        confidence: 0.75,
    },
    Signature {
        id: "postgres-lock-file",
        pattern: r#"lock file \\?"(?P<target>[^"\\]+)\\?" already exists|pre-existing shared memory block \(key \d+, ID \d+\) is still in use"#,
        example: r#"FATAL:  lock file "postmaster.pid" already exists"#,
        confidence: 0.85,
    },
    Signature {
        id: "elasticsearch-node-locks",
        pattern: r"failed to obtain node locks, tried \[(?P<target>[^\]]+)\]|failed to obtain node locks",
        example: "java.lang.IllegalStateException: failed to obtain node locks, tried [/usr/share/elasticsearch/data]; maybe these locations are not writable or multiple nodes were started on the same data path?",
        confidence: 0.85,
    },
    Signature {
        id: "leveldb-lock",
        pattern: r"(?:While lock file: |lock )(?P<target>/\S*LOCK): Resource temporarily unavailable|Another process is using this Badger database",
        example: "IO error: While lock file: /data/rocksdb/LOCK: Resource temporarily unavailable",
        confidence: 0.85,
    },
    Signature {
        id: "lock-db-directory",
        pattern: r"(?i)lock DB directory: resource temporarily unavailable|Failed to acquire lock on file \.lock in (?P<target>\S+)",
        example: r#"err="opening storage failed: lock DB directory: resource temporarily unavailable""#,
        confidence: 0.85,
    },
    Signature {
        id: "sqlite-malformed",
        pattern: r"database disk image is malformed",
        example: "sqlite3.DatabaseError: database disk image is malformed",
        confidence: 0.85,
    },
    Signature {
        id: "wal-corruption",
        pattern: r"(?i)wal: crc mismatch|could not locate a valid checkpoint record|InnoDB: Database page corruption|invalid magic number|unexpected EOF in WAL|corrupt(?:ed)? (?:WAL|write-ahead log|index|segment|block)",
        example: r#"{"level":"fatal","ts":"2026-11-28T04:57:31.204Z","caller":"etcdserver/storage.go:97","msg":"failed to open WAL","error":"wal: crc mismatch"}"#,
        confidence: 0.8,
    },
    Signature {
        id: "golang-migrate-dirty",
        pattern: r"Dirty database version (?P<target>\d+)\. Fix and force version",
        example: "error: Dirty database version 20241102. Fix and force version.",
        confidence: 0.9,
    },
    Signature {
        id: "flyway-validate",
        pattern: r"(?:Validate failed: |Migration checksum mismatch for migration (?:version )?(?P<target>[\w.]+))",
        example: "org.flywaydb.core.api.exception.FlywayValidateException: Validate failed: Migrations have failed validation",
        confidence: 0.85,
    },
    Signature {
        id: "another-instance",
        pattern: r"(?i)another (?:instance|process|server) (?:of [\w .-]{1,40}? )?(?:is )?(?:already )?running",
        example: "FATAL: another instance of the scheduler is already running (pid file /var/run/scheduler.pid)",
        confidence: 0.7,
    },
    Signature {
        id: "innodb-lock",
        pattern: r"Unable to lock (?P<target>\S+?),? error: 11",
        example: r"2024-01-02T03:04:05.000Z [ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11",
        confidence: 0.85,
    },
    Signature {
        id: "lucene-lock",
        pattern: r"Lock held by another program: (?P<target>\S+)|Lock obtain timed out: \S+|LockObtainFailedException",
        example: r"org.apache.lucene.store.LockObtainFailedException: Lock held by another program: /usr/share/elasticsearch/data/nodes/0/node.lock",
        confidence: 0.85,
    },
    Signature {
        id: "mongod-lock",
        pattern: r"Unable to lock the lock file: (?P<target>\S+)|WiredTiger\.lock: handle-lock",
        example: r"DBPathInUse: Unable to lock the lock file: /data/db/mongod.lock (Resource temporarily unavailable). Another mongod instance is already running on the /data/db directory",
        confidence: 0.85,
    },
    Signature {
        id: "stored-state-mismatch",
        pattern: r"InconsistentClusterIdException|No snapshot found, but there are log entries|Bad file format reading the append only file|Detected unclean shutdown - \S+ is not empty",
        example: "kafka.common.InconsistentClusterIdException: The Cluster ID kVSgfurUQFGGpHMTBqBPiw doesn't match stored clusterId Some(0Qftv9yBTAmf2iDPSlIk7g) in meta.properties. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.",
        confidence: 0.8,
    },
    Signature {
        id: "already-running",
        pattern: r"(?i)\b(?:daemon|server|process|instance|service|program) (?:is )?already running\b|already running (?:with|as) pid|\bpid ?file (?P<target>\S+) (?:already )?exists|(?:stale|existing|old|leftover) pid ?file|found (?:a )?(?:stale |existing )?(?:pid|lock) ?file",
        example: "daemon is already running",
        confidence: 0.75,
    },
    Signature {
        id: "state-unreadable",
        pattern: r"(?i)unable to (?:load|read|restore) (?:the )?(?:database|db|snapshot|state|journal|txn ?log|transaction log|index)(?: (?:on|from) disk)?\b|failed to (?:load|restore|recover|replay) (?:the )?(?:database|db|snapshot|data ?dir(?:ectory)?|state|journal|WAL|write-ahead log|raft (?:log|state)|segment|checkpoint)s?\b|Unreasonable length = \d+|manifest corrupted|\b(?:file|data|database|db|snapshot|journal|log|state|index|chunk|block|page|segment|record|manifest)s? (?:is |are |was |were )?corrupt(?:ed)?\b|corruption (?:detected|found)|checksum (?:mismatch|error|failed|verification failed)|\bcrc (?:mismatch|error)|bad (?:magic number|checksum)|database is locked|is not in the form of topic-partition",
        example: "2024-03-11 09:12:41,205 [myid:1] - ERROR [main:QuorumPeer@400] - Unable to load database on disk",
        confidence: 0.75,
    },
    Signature {
        id: "data-version-mismatch",
        pattern: r"database files are incompatible with server|data directory was initialized by PostgreSQL version (?P<target>[\d.]+)|UPGRADE PROBLEM: (?:Found an invalid featureCompatibilityVersion|The data files need to be fully upgraded)|cannot upgrade a node from version \[[^\]]+\] directly to version|Invalid MySQL server downgrade: Cannot downgrade from \d+ to \d+|Cannot upgrade server earlier than [\d.]+ to [\d.]+",
        example: "2024-11-04 12:51:27.538 GMT [1] FATAL:  database files are incompatible with server",
        confidence: 0.85,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &STALE_LOCK_OR_CORRUPT_STATE, |s, hit| {
        let name = s.name();
        let kind = Kind::of(hit.signature.id);
        let target = hit.target.as_deref();
        let title = match (kind, target) {
            (Kind::Lock, Some(t)) => {
                format!("container `{name}` finds the lock `{t}` held or left behind")
            }
            (Kind::Lock, None) => format!(
                "container `{name}` finds its data locked by another or an earlier instance"
            ),
            (Kind::Migration, Some(t)) => {
                format!("container `{name}` stops on a failed schema migration (version {t})")
            }
            (Kind::Migration, None) => {
                format!("container `{name}` stops on a failed schema migration")
            }
            (Kind::Corrupt, _) => format!("container `{name}` finds its persistent data corrupt"),
            (Kind::Version, Some(v)) => format!(
                "container `{name}` finds data written by another version ({v}) on its volume"
            ),
            (Kind::Version, None) => format!(
                "container `{name}` finds data written by an incompatible version on its volume"
            ),
        };
        (title, remedies(s, kind, target))
    });
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        if best_hit(s, STALE_LOCK_OR_CORRUPT_STATE.cause)
            .is_some_and(|h| Kind::of(h.signature.id) == Kind::Migration)
        {
            // Migration state lives in the database, not on the pod's volumes.
            continue;
        }
        let claims: Vec<&str> = s
            .pod
            .spec
            .volumes
            .iter()
            .filter_map(|v| v.persistent_volume_claim.as_ref())
            .map(|c| c.claim_name.as_str())
            .collect();
        if s.workload.kind == "StatefulSet" || !claims.is_empty() {
            f.confidence = (f.confidence + 0.05).min(0.95);
            let text = if claims.is_empty() {
                format!("owned by StatefulSet `{}`", s.workload.name)
            } else {
                format!(
                    "state on persistentVolumeClaim {}",
                    claims
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            f.evidence.push(Evidence::spec(s, "spec.volumes", text));
        }
    }
}

/// What kind of leftover state a signature reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Lock,
    Corrupt,
    Migration,
    /// Data written by another major version of the program.
    Version,
}

impl Kind {
    fn of(signature: &str) -> Self {
        match signature {
            "golang-migrate-dirty" | "flyway-validate" => Self::Migration,
            "data-version-mismatch" => Self::Version,
            "sqlite-malformed"
            | "wal-corruption"
            | "stored-state-mismatch"
            | "state-unreadable" => Self::Corrupt,
            _ => Self::Lock,
        }
    }
}

/// Remediation steps per kind of leftover state.
fn remedies(s: &Subject<'_>, kind: Kind, target: Option<&str>) -> Vec<String> {
    let name = s.name();
    let workload = format!("{} `{}`", s.workload.kind, s.workload.name);
    match kind {
        Kind::Lock => vec![
            format!(
                "check that no other pod of {workload} (or an old pod still terminating) uses the same volume: `kubectl get pods -n {} -o wide`; RWX volumes and Deployments with `RollingUpdate` let two instances share one data directory",
                s.pod.metadata.namespace
            ),
            format!(
                "once sure no other instance runs, remove the stale lock{} from the volume (e.g. from a debug pod that mounts the claim) and let `{name}` restart",
                target.map(|t| format!(" `{t}`")).unwrap_or_default()
            ),
            "use a StatefulSet or `strategy: Recreate` with a ReadWriteOnce volume so only one instance writes the data".to_owned(),
        ],
        Kind::Migration => vec![
            format!(
                "the last migration{} failed half-way: fix or revert it, then mark the schema version clean (golang-migrate: `migrate force <last good version>`; Flyway: `flyway repair`)",
                target.map(|t| format!(" ({t})")).unwrap_or_default()
            ),
            if s.kind == ContainerKind::App {
                format!("run migrations as a Job or an init container before `{name}` starts, so a failed migration does not crash-loop the app")
            } else {
                format!("the pod's app containers wait behind `{name}` and start once the schema version is clean")
            },
        ],
        Kind::Version => vec![
            format!(
                "the image of `{name}` is another major version than the data on its volume{}: pin the image back to the data's version (a chart upgrade often moves it), then upgrade the data with the program's own procedure (`pg_upgrade` or dump and restore for PostgreSQL, one major version at a time for Elasticsearch and MongoDB)",
                target.map(|v| format!(" (written by {v})")).unwrap_or_default()
            ),
            "back up the volume before any upgrade step".to_owned(),
        ],
        Kind::Corrupt => vec![
            "stop the writers, back up the volume, then run the store's repair or recovery tool, or restore from backup".to_owned(),
            "look for what cut the last write short: an OOM kill, a node failure, or two instances writing the same volume".to_owned(),
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
            r"2024-01-02T03:04:05.000Z [ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11",
            r"InnoDB: Unable to lock ./ibdata1, error: 11",
            "java.io.IOException: No snapshot found, but there are log entries. Something is broken!",
            "Bad file format reading the append only file: make a backup of your AOF file, then use ./redis-check-aof --fix <filename>",
            "FATAL:  pre-existing shared memory block (key 5432001, ID 0) is still in use",
            r"java.io.IOException: Lock obtain timed out: NativeFSLock@/data/index/write.lock",
            r"org.apache.lucene.store.LockObtainFailedException: Lock held by another program: /usr/share/elasticsearch/data/nodes/0/node.lock",
            r"DBPathInUse: Unable to lock the lock file: /data/db/mongod.lock (Resource temporarily unavailable). Another mongod instance is already running on the /data/db directory",
            r#"{"t":{"$date":"2024-01-01T00:00:00.000+00:00"},"s":"E","c":"STORAGE","id":22435,"ctx":"initandlisten","msg":"WiredTiger error","attr":{"error":16,"message":"[1700000000:0][1:0x7f], wiredtiger_open: __posix_file_lock, 393: /data/db/WiredTiger.lock: handle-lock: fcntl: Device or resource busy"}}"#,
            r#"Cannot acquire directory lock on "/var/lib/dgraph/p".  Another process is using this Badger database.: resource temporarily unavailable"#,
            r"PANIC:  could not locate a valid checkpoint record",
            "2024-11-04 12:51:27.538 GMT [1] DETAIL:  The data directory was initialized by PostgreSQL version 16, which is not compatible with this version 17.0.",
            r#"{"t":{"$date":"2024-06-01T10:00:00.000+00:00"},"s":"F","c":"CONTROL","id":20573,"ctx":"initandlisten","msg":"Wrong mongod version","attr":{"error":"UPGRADE PROBLEM: Found an invalid featureCompatibilityVersion document (ERROR: Location4926900: Invalid featureCompatibilityVersion document in admin.system.version: { _id: \"featureCompatibilityVersion\", version: \"4.4\" }. See https://docs.mongodb.com/master/release-notes/6.0-compatibility/#feature-compatibility. :: caused by :: Invalid feature compatibility version value, expected '5.0' or '5.3' or '6.0'."}}"#,
            "java.lang.IllegalStateException: cannot upgrade a node from version [6.8.23] directly to version [8.5.1], upgrade to version [7.17.0] first.",
            "2024-03-01T10:00:00.000000Z 0 [ERROR] [MY-013171] [InnoDB] Cannot upgrade server earlier than 5.7 to 8.0",
            "error: Dirty database version 20241102. Fix and force version.",
            "IO error: While lock file: /data/rocksdb/LOCK: Resource temporarily unavailable",
            r#"{"level":"error","msg":"postgres exited","stderr":"FATAL:  lock file \"postmaster.pid\" already exists"}"#,
            "Caused by: java.io.IOException: Unreasonable length = 6559049",
            "panic: leveldb: manifest corrupted (field 'comparer'): missing [file=MANIFEST-000007]",
            "sqlite3.OperationalError: database is locked",
            "ERROR Found directory /var/lib/kafka/data/lost+found, 'lost+found' is not in the form of topic-partition or topic-partition.uniqueId-delete (if marked for deletion).",
            "2024-05-02 10:00:01 ERROR: Failed to recover WAL: checksum mismatch in segment 00000012",
            "Mar 11 09:12:41 keepalived[1]: daemon is already running",
            "nginx: [emerg] pid file /run/nginx.pid already exists",
        ] {
            assert!(
                causes(line).contains(&"stale-lock-or-corrupt-state"),
                "{line}"
            );
        }
        for line in [
            r"listen tcp 0.0.0.0:8080: bind: address already in use",
            r"[2024-01-01 00:00:00 +0000] [1] [ERROR] Connection in use: ('0.0.0.0', 8000)",
            "HINT:  Is another postmaster already running on port 5432? If not, wait a few seconds and retry.",
            "/usr/local/bin/start.sh: fork: retry: Resource temporarily unavailable",
            "failed to load config file /etc/app/config.yaml: yaml: line 3: mapping values are not allowed in this context",
            "Error: unable to read configuration: open /etc/app/app.toml: no such file or directory",
            "server is listening on 0.0.0.0:8080",
        ] {
            assert!(
                !causes(line).contains(&"stale-lock-or-corrupt-state"),
                "{line}"
            );
        }
    }
}
