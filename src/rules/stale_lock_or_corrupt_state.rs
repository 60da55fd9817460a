//! `stale-lock-or-corrupt-state`: persistent state left behind by an earlier instance (a lock
//! file, a half-applied migration, corrupt data) stops the app from starting.

use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::model::ContainerKind;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A stateful app that refuses to start because of state an earlier run left behind.
    /// A stale lock (`lock file "postmaster.pid" already exists`, `failed to obtain node locks`,
    /// `LOCK: Resource temporarily unavailable`, `... has been locked by another process`,
    /// `Unable to obtain lock on file: ...`, a pid file found or `already running`), corrupt
    /// data (`database disk image is malformed`, `wal: crc mismatch`, RocksDB `Corruption: ...`,
    /// `checksum does not match`, `could not locate a valid checkpoint record`), data written
    /// by another major version, or a broken schema migration (`Dirty database version N. Fix
    /// and force version.`, Flyway `Validate failed`, Prisma `migrate found failed migrations`,
    /// a Liquibase or knex migration lock left held).
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
    /// data; fix a failed migration and mark its version clean (`migrate force`, `flyway repair`,
    /// `prisma migrate resolve`); release a migration lock once no migration runs.
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
    // The lock family in programs' own words: Neo4j, Kafka, Typesense, RocksDB-based stores
    // (`... is already locked by another process`, `... being used by another ... server`).
    Signature {
        id: "locked-by-another",
        pattern: r"(?i)\blocked by another (?:process|instance|program|server|node|pod|application)\b|\bused by another (?:[\w-]+ )?(?:process|instance|server|node|program)\b|another process or thread is using this (?:directory|database)",
        example: r#"Starting Neo4j failed: Component 'org.neo4j.server.database.LifecycleManagingDatabaseService@29a1505c' was successfully initialized, but failed to start. Please see the attached cause exception "Lock file has been locked by another process: /var/lib/neo4j/data/databases/store_lock. Please ensure no other process is using this database, and that the directory is writable (required even for read-only access)"."#,
        confidence: 0.85,
    },
    // A lock on a file or directory that could not be taken (Neo4j, bbolt users such as loopd,
    // Kafka, Milvus). Only a path-like object: a row or table lock at run time is not this.
    Signature {
        id: "lock-not-acquired",
        pattern: r"(?i)\b(?:unable|failed|could not|couldn't|cannot|can't) (?:to )?(?:obtain|acquire|get|take|grab) (?:an? |the )?(?:exclusive |file |directory |database |store |write |process )?lock (?:on|in) (?:file:? )?(?P<target>[.~]?[\w.-]*/[^\s,;]*|\.\w[\w.-]*)|\bCould not get lock\.|\block wal path failed\b",
        example: "loopd exited with an error: timeout: couldn't obtain exclusive lock on /home/zeusman/.loop/mainnet/loop.db, timed out after 5s: make sure no other loop daemon process (standalone or embedded in lightning-terminal) is running",
        confidence: 0.85,
    },
    // A schema-migration lock row left by a run that was killed (Liquibase, knex).
    Signature {
        id: "migration-lock",
        pattern: r"(?i)could not acquire change ?log lock|Waiting for change ?log lock|Migration table is already locked|Can't take lock to run migrations",
        example: "Caused by: liquibase.exception.LockException: Could not acquire change log lock.  Currently locked by c8e86ae5c1dd (172.17.0.2) since 6/22/18 3:47 AM",
        confidence: 0.85,
    },
    // A migration tool that finds an earlier run's failure recorded in the database.
    Signature {
        id: "migration-failed-before",
        pattern: r"migrate found failed migrations in the target database|Detected failed migration to version (?P<target>[\w.]+)|contains a failed migration to version [\w.]+|A migration failed to apply\. New migrations cannot be applied before the error is recovered from",
        example: "migrate found failed migrations in the target database, new migrations will not be applied. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve",
        confidence: 0.85,
    },
    // Storage engines' own corruption reports: RocksDB/LevelDB's `Corruption:` status, bbolt
    // (etcd), Cassandra's commit log, ClickHouse and block stores' checksums, Prometheus' WAL.
    Signature {
        id: "store-corruption",
        pattern: r"\bCorruption: |(?i:checksum (?:does not|doesn't|did not) match|unexpected checksum [0-9a-f]+, expected|corruption in (?:segment|file|log|block|record|page|wal)\b|freepages: failed to get all reachable pages|pgid \(\d+\) above high water mark|(?:error|panic)\W{1,4}invalid database\b|could not read commit log descriptor|error while processing commit log during initialization|recovering backend from snapshot error|invalid primary checkpoint record)",
        example: "2021-08-03 11:14:54.194 UTC [27] LOG:  invalid primary checkpoint record",
        confidence: 0.8,
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
        pattern: r"(?i)\b(?:daemon|server|process|instance|service|program) (?:is )?already running\b|already running (?:with|as) pid|\bpid ?file (?P<target>\S+) (?:already )?exists|(?:stale|existing|old|leftover) pid ?file|found (?:a )?(?:stale |existing )?(?:pid|lock) ?file|\(pid \d+\) (?:is )?already running|seems to be running already|there's already one instance of [\w .-]{1,40}? running|another instance is locking|\bpid[- ]?file '[^']+' (?:found|and pid \d+ already exist)|can't lock \S+, otherpid may be \d+",
        example: "daemon is already running",
        confidence: 0.75,
    },
    Signature {
        id: "state-unreadable",
        pattern: r"(?i)unable to (?:load|read|restore) (?:the )?(?:database|db|snapshot|state|journal|txn ?log|transaction log|index)(?: (?:on|from) disk)?\b|failed to (?:load|restore|recover|replay) (?:the )?(?:database|db|snapshot|data ?dir(?:ectory)?|state|journal|WAL|write-ahead log|raft (?:log|state)|segment|checkpoint)s?\b|Unreasonable length = \d+|manifest corrupted|\b(?:file|data|database|db|snapshot|journal|log|state|index|chunk|block|page|segment|record|manifest)s? (?:is |are |was |were )?(?:most likely |probably |possibly |likely )?corrupt(?:ed)?\b|corruption (?:detected|found)|checksum (?:mismatch|error|failed|verification failed)|\bcrc (?:mismatch|error)|bad (?:magic number|checksum)|database is locked|is not in the form of topic-partition",
        example: "2024-03-11 09:12:41,205 [myid:1] - ERROR [main:QuorumPeer@400] - Unable to load database on disk",
        confidence: 0.75,
    },
    Signature {
        id: "data-version-mismatch",
        pattern: r"database files are incompatible with server|data directory was initialized by PostgreSQL version (?P<target>[\d.]+)|UPGRADE PROBLEM: (?:Found an invalid featureCompatibilityVersion|The data files need to be fully upgraded)|cannot upgrade a node from version \[[^\]]+\] directly to version|Invalid MySQL server downgrade: Cannot downgrade from \d+ to \d+|Cannot upgrade server earlier than [\d.]+ to [\d.]+|Upgrade after a crash is not supported\. The redo log was created with|IndexFormatToo(?:Old|New)Exception",
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
            (Kind::MigrationLock, _) => format!(
                "container `{name}` waits on a schema-migration lock an earlier run left held"
            ),
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
        if best_hit(s, STALE_LOCK_OR_CORRUPT_STATE.cause).is_some_and(|h| {
            matches!(
                Kind::of(h.signature.id),
                Kind::Migration | Kind::MigrationLock
            )
        }) {
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
    /// A migration tool's lock row, left held in the database by a run that was killed.
    MigrationLock,
    /// Data written by another major version of the program.
    Version,
}

impl Kind {
    fn of(signature: &str) -> Self {
        match signature {
            "golang-migrate-dirty" | "flyway-validate" | "migration-failed-before" => {
                Self::Migration
            }
            "migration-lock" => Self::MigrationLock,
            "data-version-mismatch" => Self::Version,
            "sqlite-malformed"
            | "wal-corruption"
            | "stored-state-mismatch"
            | "state-unreadable"
            | "store-corruption" => Self::Corrupt,
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
        Kind::MigrationLock => vec![
            format!(
                "check that no other pod of {workload} (or a migration Job) is running migrations right now: `kubectl get pods -n {} -o wide`",
                s.pod.metadata.namespace
            ),
            "then release the lock the killed run left: Liquibase `liquibase releaseLocks` (or `UPDATE DATABASECHANGELOGLOCK SET LOCKED=FALSE`), knex `knex migrate:unlock`".to_owned(),
            format!("run migrations once, as a Job or an init container, rather than in every replica of `{name}`"),
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
            // Lock family, in other programs' words.
            r#"2022-04-22 06:50:07.140+0000 ERROR Failed to start Neo4j: Starting Neo4j failed: Component 'org.neo4j.server.database.LifecycleManagingDatabaseService@29a1505c' was successfully initialized, but failed to start. Please see the attached cause exception "Lock file has been locked by another process: /var/lib/neo4j/data/databases/store_lock. Please ensure no other process is using this database, and that the directory is writable (required even for read-only access)"."#,
            "Unable to obtain lock on file: /data/databases/store_lock",
            r#"2019-10-02 16:43:41.936+0000 ERROR Failed to start Neo4j: Starting Neo4j failed: Component 'org.neo4j.server.database.LifecycleManagingDatabase@6239aba6' was successfully initialized, but failed to start. Please see the attached cause exception "Store and its lock file has been locked by another process: /data/databases/store_lock. Please ensure no other process is using this database, and that the directory is writable (required even for read-only access)"."#,
            "It seems like the data directory /data/meta is already being used by another Typesense server. ",
            "org.apache.kafka.common.KafkaException: Failed to acquire lock on file .lock in /opt/kafka/data/logs. A Kafka instance in another process or thread is using this directory.",
            "loopd exited with an error: timeout: couldn't obtain exclusive lock on /home/zeusman/.loop/mainnet/loop.db, timed out after 5s: make sure no other loop daemon process (standalone or embedded in lightning-terminal) is running",
            "Permission denied. Could not get lock.",
            "deploy_mode: single instance lock wal path failed.",
            r#"ERR Failed to run pocket-id app=pocket-id version=2.5.0 error="it appears that there's already one instance of Pocket ID running; running multiple replicas of Pocket ID is currently not supported""#,
            "time=Wednesday 25 Apr 08:06:39 2018.654Z | lvl=ERROR | corr=N/A | trans=N/A | from=N/A | srv=N/A | subsrv=N/A | comp=Orion | op=contextBroker.cpp[1312]:pidFile | msg=PID-file '/tmp/contextBroker.pid' found. A broker seems to be running already",
            "ERROR: Another instance is locking this process.",
            // Migration locks and recorded failures.
            "Caused by: liquibase.exception.LockException: Could not acquire change log lock.  Currently locked by c8e86ae5c1dd (172.17.0.2) since 6/22/18 3:47 AM",
            "2020-05-09 08:12:48 l.l.StandardLockService - Waiting for changelog lock....,",
            " [2018-03-21T09:31:56.652Z] Knex:warning - Can't take lock to run migrations: Migration table is already locked",
            "migrate found failed migrations in the target database, new migrations will not be applied. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve",
            // Corruption, in storage engines' words.
            "F171122 10:36:45.864086 115 storage/store.go:3662  [n1,s1] {while committing batch}: while committing batch: Corruption: block checksum mismatch",
            "* ERROR: cockroach server exited with error: failed to create engines: could not open rocksdb instance: Corruption: Can't access /1216595.sst: IO error: while stat a file for size: /home/tl1821/cockroach-data/1216595.sst: No such file or directory",
            "2020-09-01 14:24:06.143 [ERR] BCHD: Unable to start server on [0.0.0.0:18433]: block data for block 00000000b3a4531eb0eb1ca6a13f0bb64cb141701e3b0e7e485f7c2541d550fa checksum does not match - got 4daf2b69, want 0",
            r#"level=error ts=2021-08-24T15:06:40.799Z caller=db.go:771 component=tsdb msg="compaction failed" err="WAL truncation in Compact: create checkpoint: read segments: corruption in segment /search/odin/prometheus/data/wal/00087017 at 5537792: unexpected checksum fc00dfaf, expected f9476e1d""#,
            "Expected snapshot /usr/local/zeebe/data/raft-partition/partitions/3/snapshots/83963263-7-721140446-721041977 to have checksum 0, but the actual checksum is 124239095; the snapshot is most likely corrupted. The startup will fail if there is no other valid snapshot and the log has been compacted.",
            "panic: freepages: failed to get all reachable pages (page 2475294449906223648: out of bounds: 3758)",
            "panic: pgid (32300) above high water mark (32300)",
            r#"{"level":"panic","ts":"2023-05-05T10:00:00.000Z","caller":"backend/backend.go:189","msg":"failed to open database","path":"/var/etcd/data/member/snap/db","error":"invalid database"}"#,
            "2021-06-28 16:12:32.303933 C | etcdserver: recovering backend from snapshot error: database snapshot file path error: snap: snapshot file doesn't exist",
            " ERROR [main] 2022-03-28 06:45:42,388 JVMStabilityInspector.java:82 - Exiting due to error while processing commit log during initialization.",
            "org.apache.cassandra.db.commitlog.CommitLogReadHandler$CommitLogReadException: Could not read commit log descriptor in file /var/lib/cassandra/commitlog/CommitLog-6-1646630759828.log",
            "2021-08-03 11:14:54.194 UTC [27] LOG:  invalid primary checkpoint record",
            // Data of another version.
            "2022-09-01 10:30:31 0 [ERROR] InnoDB: Upgrade after a crash is not supported. The redo log was created with MariaDB 10.5.4.",
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
            // A full volume is `resource-exhausted`, not a held lock.
            r#"level=error ts=2023-03-14T08:00:00.000Z caller=main.go:1159 err="opening storage failed: lock DB directory: open /data/lock: no space left on device""#,
            // A port, not a data directory.
            "Error: Port 8080 is already in use by another process",
            // Locks an app takes at run time on rows, tables or jobs, and INFO lines about them.
            "2024-05-02 10:00:01 WARN  Failed to acquire lock for job cleanup-expired-sessions, another worker holds it; skipping",
            "2024-05-02 10:00:01 WARN  Failed to acquire lock on table users, retrying in 5s",
            "2024-05-02 10:00:01 INFO  Acquired lock on /data/LOCK",
            "2024-05-02 10:00:01 INFO  Released change log lock",
            r#"E1207 10:13:41.123456       1 leaderelection.go:330] error retrieving resource lock kube-system/cert-manager-controller: Get "https://10.96.0.1:443/api/v1/namespaces/kube-system/configmaps/cert-manager-controller": dial tcp 10.96.0.1:443: i/o timeout"#,
            // A config key named like the pattern's nouns, and a checksum that is fine.
            "2024-05-02 10:00:01 INFO  storage.checksum.verify=true, high water mark 80%",
            "2024-05-02 10:00:01 INFO  checksum verification succeeded for 12 segments",
        ] {
            assert!(
                !causes(line).contains(&"stale-lock-or-corrupt-state"),
                "{line}"
            );
        }
    }
}
