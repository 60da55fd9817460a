//! Every dump format, end to end: each real bundle made by another tool under
//! `fixtures/real-world/` (provenance in its README) and the synthetic ones under `fixtures/bundles/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use ktriage::Scanner;
use ktriage::{BundleSource, Limits};
use ktriage::{Loaded, read};
use serde_json::Value;

const REAL_WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/real-world");
const BUNDLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bundles");

/// Runs `ktriage analyze --format json` on one path and returns the report.
fn analyze(path: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .args(["analyze", "--format", "json", "--quiet"])
        .arg(path)
        .output()
        .expect("run ktriage");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report ({e}); stderr: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Every rule's log signatures, compiled once for all tests (as `app` does once per run).
static SCANNER: LazyLock<Scanner> = LazyLock::new(ktriage::scanner);

/// Reads one bundle through the library.
fn loaded(path: &Path) -> Loaded {
    read(&BundleSource::new(path), &Limits::default(), &SCANNER).expect("readable and recognized")
}

fn bundle(report: &Value) -> &Value {
    let bundles = report["bundles"].as_array().expect("bundles");
    assert_eq!(bundles.len(), 1, "{report:#}");
    &bundles[0]
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// `(cause, container)` of every finding, in rank order.
fn causes(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                str_of(f, "cause").to_owned(),
                str_of(f, "container").to_owned(),
            )
        })
        .collect()
}

fn finding<'a>(report: &'a Value, container: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["container"] == container)
        .unwrap_or_else(|| panic!("no finding for `{container}`: {report:#}"))
}

fn evidence_texts(finding: &Value) -> Vec<String> {
    finding["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| format!("{} | {}", str_of(e, "source"), str_of(e, "text")))
        .collect()
}

fn assert_read(report: &Value, format: &str, pods: u64) {
    let b = bundle(report);
    assert!(
        matches!(str_of(b, "status"), "ok" | "partial"),
        "{}: {b:#}",
        str_of(b, "path")
    );
    assert_eq!(str_of(b, "format"), format, "{b:#}");
    assert_eq!(b["pods"], pods, "{b:#}");
}

fn assert_refused(report: &Value, also: &str) {
    let b = bundle(report);
    assert_eq!(str_of(b, "status"), "failed", "{b:#}");
    let error = str_of(b, "error");
    for needle in [
        "is not a recognized bundle: no pods found; looked for",
        "manifest.json",
        "cluster-resources/pods/",
        "namespaces/<ns>/core/pods.yaml",
        "nodes.json",
        also,
    ] {
        assert!(error.contains(needle), "`{needle}` missing from: {error}");
    }
}

fn warnings(report: &Value) -> Vec<String> {
    bundle(report)["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().unwrap_or("").to_owned())
        .collect()
}

// ---------------------------------------------------------------- real bundles

fn real(rel: &str) -> PathBuf {
    Path::new(REAL_WORLD).join(rel)
}

fn check_real(rel: &str) {
    let path = real(rel);
    let report = analyze(&path);
    for b in report["bundles"].as_array().expect("bundles") {
        assert!(
            !str_of(b, "error").contains("internal error"),
            "{rel} panicked: {b:#}"
        );
        // Files parsed while reading (by the kind their name gives) are the kinds the layout
        // gives them (`formats::digest`).
        assert!(
            !b["warnings"]
                .to_string()
                .contains("this bundle's layout makes it"),
            "{rel}: {b:#}"
        );
    }
    match rel {
        "troubleshoot/velero-crashloop-2022.tar.gz" => real_velero_crashloop_2022(&report),
        "troubleshoot/support-bundle-2022.tar.gz" => real_support_bundle_2022(&report),
        "troubleshoot/baseline-2025.tar.gz" => real_baseline_2025(&report),
        "troubleshoot/support-bundle-2025-04-11.tar.gz" => {
            real_support_bundle_2025_04_11(&path, &report);
        }
        "must-gather/metal-subset.tar.gz" => real_metal_subset(&path, &report),
        "must-gather/omc-logs.tar.gz" => real_omc_logs(&path, &report),
        "must-gather/omc-tiny.tar.gz" => assert_refused(&report, "among 0 readable files"),
        "troubleshoot/missing-version.tar.gz" => assert_refused(
            &report,
            "troubleshoot support bundle without `cluster-resources/`",
        ),
        "sonobuoy/results-0.8.tar.gz" | "sonobuoy/results-quick-subset.tar.gz" => {
            assert_refused(&report, "Sonobuoy results");
        }
        other => panic!("new real-world file `{other}`: add what it must give to tests/formats.rs"),
    }
}

fn real_velero_crashloop_2022(report: &Value) {
    assert_read(report, "troubleshoot", 58);
    // The headline is the rollout that brought the bad argument (revision 8 changed `args`);
    // the loop itself is `bad-args`, right under it.
    let headline = &report["findings"][0];
    assert_eq!(
        str_of(headline, "cause"),
        "rollout-regression",
        "{report:#}"
    );
    assert!(
        evidence_texts(headline)
            .iter()
            .any(|e| e.contains("server-junk")),
        "{headline:#}"
    );
    let top = &report["findings"][1];
    assert_eq!(str_of(top, "cause"), "bad-args", "{report:#}");
    assert_eq!(str_of(top, "container"), "velero");
    assert!(
        evidence_texts(top).iter().any(|e| e
            .contains(r#"unknown command "server-junk" for "velero""#)
            && e.contains("pods/logs/velero/velero-6996dd565b-xl44t/velero")),
        "{top:#}"
    );
    assert!(
        warnings(report)
            .iter()
            .any(|w| w.contains("collection time not recorded"))
    );
}

fn real_support_bundle_2022(report: &Value) {
    // k3d nodes restarted many times: containers with 25-189 restarts, now running.
    assert_read(report, "troubleshoot", 8);
    let f = finding(report, "local-path-provisioner");
    // 10.43.0.1:443 is k3s's `kubernetes` Service: the API server is what it cannot reach.
    assert_eq!(str_of(f, "cause"), "kubernetes-api-access", "{f:#}");
    assert!(
        evidence_texts(f)
            .iter()
            .any(|e| e.contains("local-path-provisioner-previous.log")
                && e.contains("10.43.0.1:443")),
        "{f:#}"
    );
    assert!(causes(report).len() >= 5, "{report:#}");
    // Six unrelated containers on the one k3d node ended at 09:42:35 with exit 255: the node
    // (a k3d container) restarted. That is the headline.
    let top = &report["findings"][0];
    assert_eq!(str_of(top, "cause"), "node-correlated", "{top:#}");
    assert!(
        str_of(top, "title").contains("2022-12-21T09:42:35Z"),
        "{top:#}"
    );
}

fn real_baseline_2025(report: &Value) {
    assert_read(report, "troubleshoot", 7);
    assert_eq!(
        str_of(bundle(report), "collected_at"),
        "2025-12-10T17:27:09Z"
    );
    let w = warnings(report);
    for needle in [
        "collector-errors/etcd-error.json: collector `etcd`",
        "configmaps-errors/default/example-configmap.json",
        "helm/errors.json: release: not found",
    ] {
        assert!(w.iter().any(|w| w.contains(needle)), "{needle}: {w:#?}");
    }
    assert!(causes(report).is_empty(), "{report:#}");
}

fn real_support_bundle_2025_04_11(path: &Path, report: &Value) {
    assert_read(report, "troubleshoot", 10);
    let cluster = loaded(path).cluster;
    // Filed by troubleshoot v0.118 under `statefulsets-errors.json/<ns>.json`.
    assert!(
        cluster
            .workloads
            .iter()
            .any(|w| w.kind == "ReplicaSet" && w.metadata.namespace == "wg-easy")
    );
    assert!(
        cluster
            .workloads
            .iter()
            .all(|w| !w.metadata.name.is_empty())
    );
    assert!(
        warnings(report)
            .iter()
            .any(|w| w.contains("pod-disruption-budgets-errors.json"))
    );
}

fn real_metal_subset(path: &Path, report: &Value) {
    assert_read(report, "must-gather", 6);
    let b = bundle(report);
    assert_eq!(str_of(b, "collected_at"), "2021-09-14T14:44:22Z");
    assert_eq!(b["warnings"], serde_json::json!([]));
    let loaded = loaded(path);
    let cluster = &loaded.cluster;
    let snapshot = cluster
        .pods
        .iter()
        .find(|p| p.metadata.name == "csi-snapshot-controller-869b458964-qm2z7")
        .expect("exit-255 pod");
    let status = &snapshot.status.container_statuses[0];
    let last = status.last_state.terminated.as_ref().expect("last state");
    assert_eq!((last.exit_code, status.restart_count), (Some(255), 1));
    let ns = "openshift-cluster-storage-operator";
    let operator = cluster
        .find_logs(
            ns,
            "cluster-storage-operator-7b67db4745-xjcnh",
            "cluster-storage-operator",
        )
        .expect("operator logs");
    let previous = operator.previous.as_ref().expect("previous.log");
    assert!(!previous.is_empty_or_error());
    let lines = previous.lines();
    assert!(lines[0].time.is_some(), "--timestamps prefix parsed");
    assert!(
        lines
            .iter()
            .any(|l| l.text.ends_with("leader election lost"))
    );
    let webhook = cluster
        .find_logs(ns, "csi-snapshot-webhook-cb9dbc5ff-4ccfr", "webhook")
        .expect("webhook logs");
    assert!(
        webhook
            .previous
            .as_ref()
            .is_some_and(ktriage::model::LogFile::is_empty_or_error)
    );
    // One restart each, all at 14:21 (the operator lost its lease), running for 23 minutes when
    // gathered: not a loop. The one that failed (exit 255) is reported, low, as a past failure;
    // the clean exits are not.
    assert_eq!(
        causes(report),
        [(
            "app-error-exit".to_owned(),
            "snapshot-controller".to_owned()
        )],
        "{report:#}"
    );
    let f = finding(report, "snapshot-controller");
    assert_eq!(str_of(f, "severity"), "low", "{f:#}");
    assert!(
        str_of(f, "title").contains("code 255") && str_of(f, "title").contains("running again"),
        "{f:#}"
    );
}

fn real_omc_logs(path: &Path, report: &Value) {
    assert_read(report, "must-gather", 0);
    assert!(
        warnings(report)
            .iter()
            .any(|w| w.contains("no pod objects in this must-gather"))
    );
    let cluster = loaded(path).cluster;
    let logs = cluster
        .find_logs("test-namespace", "test-pod", "test-container")
        .expect("logs");
    assert!(logs.current.is_some());
    // Rotated files are never the previous log without the pod's restart count.
    assert!(logs.previous.is_none());
}

#[test]
fn every_real_world_bundle_is_read_or_refused_clearly() {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(REAL_WORLD).expect("the real-world fixtures") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("format folder") {
            let file = file.expect("entry").path();
            let rel = file
                .strip_prefix(REAL_WORLD)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            files.push(rel);
        }
    }
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for rel in &files {
        check_real(rel);
    }
}

#[test]
fn real_world_folder_in_one_run_keeps_going_after_failures() {
    let report = analyze(Path::new(REAL_WORLD));
    let bundles = report["bundles"].as_array().expect("bundles");
    assert_eq!(bundles.len(), 10, "{report:#}");
    let failed = bundles.iter().filter(|b| b["status"] == "failed").count();
    assert_eq!(failed, 4, "{report:#}");
    // velero's bad arguments arrived with a new revision: the rollout is the headline, the
    // loop itself is `bad-args` right under it.
    assert_eq!(
        report["findings"][0]["cause"], "rollout-regression",
        "{report:#}"
    );
    assert_eq!(report["findings"][1]["cause"], "bad-args", "{report:#}");
}

// ---------------------------------------------------------------- synthetic bundles

#[test]
fn cluster_info_dump_directory() {
    let path = Path::new(BUNDLES).join("cluster-info-dump-dir");
    let report = analyze(&path);
    assert_read(&report, "cluster-info-dump", 2);
    assert_eq!(
        causes(&report),
        [("dependency-unreachable".to_owned(), "orders".to_owned())]
    );
    let f = finding(&report, "orders");
    assert!(
        evidence_texts(f).iter().any(|e| e
            .starts_with("shop/orders-7c9f8d6b5-x2kqp/logs.txt (container orders)")
            && e.contains("dial tcp 10.96.14.3:5432: connect: connection refused")),
        "{f:#}"
    );
    // No collection time in a dump: the latest event time stands in, with a warning.
    assert_eq!(
        str_of(bundle(&report), "collected_at"),
        "2026-11-28T04:58:21Z"
    );
    let cluster = loaded(&path).cluster;
    let log = cluster
        .find_logs("shop", "orders-7c9f8d6b5-x2kqp", "orders")
        .and_then(|l| l.current.as_ref())
        .expect("orders log");
    // The END marker glued to the last line is cut off, the line kept.
    let last = log.lines().last().expect("lines").text.to_string();
    assert!(last.ends_with("connection refused)\"}"), "{last}");
    assert!(
        cluster
            .find_logs("kube-system", "coredns-6f6b679f8f-8zv4d", "coredns")
            .is_some()
    );
}

#[test]
fn cluster_info_dump_stdout_file() {
    let path = Path::new(BUNDLES).join("cluster-info-dump-stdout.txt");
    let report = analyze(&path);
    assert_read(&report, "cluster-info-dump", 2);
    assert_eq!(
        causes(&report),
        [("invalid-app-config".to_owned(), "checkout".to_owned())]
    );
    let f = finding(&report, "checkout");
    assert!(
        evidence_texts(f)
            .iter()
            .any(|e| e.contains("Missing required environment variable STRIPE_API_URL")),
        "{f:#}"
    );
    let loaded = loaded(&path);
    assert_eq!(loaded.format.name(), "cluster-info-dump");
    let cluster = &loaded.cluster;
    assert_eq!(cluster.nodes.len(), 1);
    assert_eq!(cluster.workloads.len(), 4);
    assert_eq!(cluster.services.len(), 2);
    let migrate = cluster
        .find_logs("payments", "checkout-5d8f7b9c4-h2k8m", "migrate")
        .and_then(|l| l.current.as_ref())
        .expect("init container log");
    assert!(
        migrate
            .lines()
            .iter()
            .any(|l| l.text.contains("applying 0 pending migrations"))
    );
    let checkout = cluster
        .find_logs("payments", "checkout-5d8f7b9c4-h2k8m", "checkout")
        .expect("checkout logs");
    assert!(checkout.previous.is_none(), "a dump has current logs only");
    assert_eq!(
        checkout
            .current
            .as_ref()
            .expect("current")
            .lines()
            .last()
            .expect("line")
            .text,
        "Node.js v22.14.0"
    );
}

#[test]
fn must_gather_with_crash_looping_pods() {
    let path = Path::new(BUNDLES).join("must-gather-crashloop");
    let report = analyze(&path);
    assert_read(&report, "must-gather", 2);
    let b = bundle(&report);
    assert_eq!(str_of(b, "cluster"), "must-gather-crashloop");
    // The later of the two `timestamp` files, converted from CET.
    assert_eq!(str_of(b, "collected_at"), "2026-11-28T05:00:02Z");
    assert_eq!(
        causes(&report),
        [
            ("invalid-app-config".to_owned(), "billing-api".to_owned()),
            ("unhandled-exception".to_owned(), "ledger".to_owned())
        ]
    );
    let ledger = finding(&report, "ledger");
    assert!(
        evidence_texts(ledger).iter().any(|e| e
            .contains("pods/ledger-5c6d7e8f9-q4w2r/ledger/ledger/logs/previous.log")
            && e.contains("panic: assignment to entry in nil map")),
        "{ledger:#}"
    );
    let cluster = loaded(&path).cluster;
    let logs = cluster
        .find_logs("shop", "ledger-5c6d7e8f9-q4w2r", "ledger")
        .expect("ledger logs");
    // The rotation belongs to the running instance (4): never taken for the previous one.
    assert!(
        logs.previous
            .as_ref()
            .is_some_and(|l| l.source.ends_with("/previous.log"))
    );
}

#[test]
fn troubleshoot_old_layout_oom_killed() {
    let path = Path::new(BUNDLES).join("troubleshoot-oomkilled");
    let report = analyze(&path);
    assert_read(&report, "troubleshoot", 2);
    assert_eq!(
        causes(&report),
        [("oom-killed".to_owned(), "recommender".to_owned())]
    );
    let f = finding(&report, "recommender");
    assert_eq!(f["pods"].as_array().map(Vec::len), Some(2), "{f:#}");
    assert!(
        warnings(&report)
            .iter()
            .any(|w| w.contains("events-errors.json: kube-system: events is forbidden"))
    );
    let loaded = loaded(&path);
    assert_eq!(loaded.cluster.server_version.as_deref(), Some("v1.30.6"));
    // Bare arrays of items without `kind`.
    assert_eq!(loaded.cluster.events.len(), 4);
    // Logs kept only under the `logs` collector's own directory (old troubleshoot).
    let logs = loaded
        .cluster
        .find_logs("shop", "recommender-7d9c8b6f5-6xk2m", "recommender")
        .expect("collector logs");
    assert!(logs.previous.is_some() && logs.current.is_some());
}

// ---------------------------------------------------------------- compressed archives

/// A tar of a fixture directory, member names relative to its parent (as `tar czf x.tgz dir`).
#[cfg(any(feature = "xz", feature = "zstd"))]
fn tar_of_dir(dir: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let name = dir.file_name().expect("name");
    builder.append_dir_all(name, dir).expect("tar");
    builder.into_inner().expect("tar")
}

#[cfg(feature = "xz")]
#[test]
fn must_gather_as_tar_xz() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("must-gather.tar.xz");
    let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
    enc.write_all(&tar_of_dir(
        &Path::new(BUNDLES).join("must-gather-crashloop"),
    ))
    .expect("xz");
    std::fs::write(&path, enc.finish().expect("xz")).expect("write");
    let report = analyze(&path);
    assert_read(&report, "must-gather", 2);
    assert_eq!(str_of(bundle(&report), "cluster"), "must-gather");
    assert_eq!(causes(&report).len(), 2, "{report:#}");
}

#[cfg(feature = "zstd")]
#[test]
fn troubleshoot_as_tar_zst() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("support-bundle.tar.zst");
    let tar = tar_of_dir(&Path::new(BUNDLES).join("troubleshoot-oomkilled"));
    let zst =
        ruzstd::encoding::compress_to_vec(&tar[..], ruzstd::encoding::CompressionLevel::Fastest);
    std::fs::write(&path, zst).expect("write");
    let report = analyze(&path);
    assert_read(&report, "troubleshoot", 2);
    assert_eq!(
        causes(&report),
        [("oom-killed".to_owned(), "recommender".to_owned())]
    );
}
