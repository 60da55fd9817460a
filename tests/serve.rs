//! `ktriage serve` against the real kubectl: a bundle of each format read by kubectl
//! (`get pods -A`, `describe pod`, `logs --previous`, `get events`, `get deploy,rs -o wide`),
//! and the collector round trip (collect from `ktriage serve` of a bundle, analyze what was
//! collected: the same pods, logs and findings as the original).
//!
//! kubectl is `KTRIAGE_KUBECTL`, else `kubectl` on `PATH`. Without one the tests say so and
//! pass, unless `KTRIAGE_REQUIRE_KUBECTL` is set (`.ci/run` sets it: there, no kubectl fails).
#![cfg(feature = "serve")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn repo(rel: &str) -> PathBuf {
    Path::new(ROOT).join(rel)
}

/// The kubectl to test with, or `None` (after saying why) when there is none.
fn kubectl(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("KTRIAGE_KUBECTL")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join("kubectl"))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("KTRIAGE_REQUIRE_KUBECTL").is_none(),
            "{test}: no kubectl found (KTRIAGE_KUBECTL or PATH) and KTRIAGE_REQUIRE_KUBECTL is set"
        );
        eprintln!("skipping {test}: no kubectl found (set KTRIAGE_KUBECTL or put kubectl on PATH)");
    }
    found
}

/// A running `ktriage serve`, stopped when dropped.
struct Served {
    child: Child,
    dir: tempfile::TempDir,
    kubectl: PathBuf,
}

impl Served {
    fn start(kubectl: PathBuf, bundles: &[PathBuf], extra: &[&str]) -> Served {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut child = Command::new(env!("CARGO_BIN_EXE_ktriage"))
            .arg("serve")
            .args(bundles)
            .arg("--kubeconfig-out")
            .arg(&kubeconfig)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ktriage runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("readable");
        if !line.starts_with("export KUBECONFIG=") {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().expect("piped").read_to_string(&mut err);
            panic!("ktriage serve did not start: {line}{err}");
        }
        Served {
            child,
            dir,
            kubectl,
        }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Runs kubectl against the server (its own discovery cache in the temporary directory).
    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.kubectl)
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .env("KUBECACHEDIR", self.dir.path().join("cache"))
            .env("HOME", self.dir.path())
            .output()
            .expect("kubectl runs")
    }

    /// kubectl's stdout, asserting it succeeded.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What each format's bundle must show through kubectl.
struct Case {
    bundle: &'static str,
    namespace: &'static str,
    pod: &'static str,
    container: &'static str,
    deployment: &'static str,
    /// The last line of the previous log as kubectl prints it (without the kubelet's
    /// timestamp), or the error when the bundle holds no previous log.
    previous: Result<&'static str, &'static str>,
}

const CASES: [Case; 5] = [
    Case {
        bundle: "samples/oom-killed",
        namespace: "shop",
        pod: "payments-97mmfhhvpl-ll72m",
        container: "payments",
        deployment: "payments",
        previous: Ok(
            "2026-11-28T04:54:57.512Z  INFO 1 --- [payments] [   scheduling-1] c.e.payments.settlement.BatchSettler     : Settled batch 88369: 1500 payments in 2.56 s (ledger cache: 180365 entries)",
        ),
    },
    Case {
        bundle: "fixtures/bundles/troubleshoot-oomkilled",
        namespace: "shop",
        pod: "recommender-7d9c8b6f5-6xk2m",
        container: "recommender",
        deployment: "recommender",
        previous: Ok(
            "2026-11-28 04:56:19,004 INFO recommender.model: building user index (18302114 users)",
        ),
    },
    Case {
        bundle: "fixtures/bundles/must-gather-crashloop",
        namespace: "shop",
        pod: "billing-api-6b7f9c8d4-k2x7p",
        container: "billing-api",
        deployment: "billing-api",
        previous: Ok("\t... 24 common frames omitted"),
    },
    Case {
        bundle: "fixtures/bundles/cluster-info-dump-dir",
        namespace: "shop",
        pod: "orders-7c9f8d6b5-x2kqp",
        container: "orders",
        deployment: "orders",
        previous: Err(
            "Error from server (BadRequest): previous terminated container \"orders\" in pod \"orders-7c9f8d6b5-x2kqp\" not found",
        ),
    },
    Case {
        bundle: "fixtures/bundles/cluster-info-dump-stdout.txt",
        namespace: "payments",
        pod: "checkout-5d8f7b9c4-h2k8m",
        container: "checkout",
        deployment: "checkout",
        previous: Err(
            "Error from server (BadRequest): previous terminated container \"checkout\" in pod \"checkout-5d8f7b9c4-h2k8m\" not found",
        ),
    },
];

#[test]
fn kubectl_reads_a_bundle_of_every_format() {
    let Some(kubectl) = kubectl("kubectl_reads_a_bundle_of_every_format") else {
        return;
    };
    for case in &CASES {
        let served = Served::start(kubectl.clone(), &[repo(case.bundle)], &[]);
        let ns = case.namespace;
        let context = case.bundle;

        let pods = served.ok(&["get", "pods", "-A"]);
        let header = pods.lines().next().unwrap_or_default();
        assert!(
            header.split_whitespace().collect::<Vec<_>>()
                == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            "{context}: {pods}"
        );
        let row = pods
            .lines()
            .find(|l| l.contains(case.pod))
            .unwrap_or_else(|| panic!("{context}: no {} in\n{pods}", case.pod));
        assert!(row.starts_with(ns), "{context}: {row}");

        let describe = served.ok(&["describe", "pod", "-n", ns, case.pod]);
        assert!(
            describe.contains(&format!("Name:             {}", case.pod)),
            "{context}: {describe}"
        );
        let events = describe
            .split("\nEvents:")
            .nth(1)
            .unwrap_or_else(|| panic!("{context}: no events section\n{describe}"));
        assert!(
            events.contains(&format!("container {}", case.container)),
            "{context}: describe shows the pod's events (field selectors): {events}"
        );

        let logs = served.run(&[
            "logs",
            "-n",
            ns,
            case.pod,
            "-c",
            case.container,
            "--previous",
        ]);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr),
        );
        match case.previous {
            Ok(line) => {
                assert!(logs.status.success(), "{context}: {stderr}");
                assert_eq!(stdout.lines().last(), Some(line), "{context}");
            }
            Err(message) => {
                assert!(!logs.status.success(), "{context}: {stdout}");
                assert_eq!(stderr.trim(), message, "{context}");
            }
        }

        let events = served.ok(&["get", "events", "-n", ns, "--sort-by=.lastTimestamp"]);
        assert_eq!(
            events
                .lines()
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
            "{context}: {events}"
        );
        assert!(
            events.contains(&format!("pod/{}", case.pod)),
            "{context}: {events}"
        );

        let wide = served.ok(&["get", "deploy,rs", "-o", "wide", "-n", ns]);
        let deployment = wide
            .lines()
            .find(|l| l.starts_with(&format!("deployment.apps/{} ", case.deployment)))
            .unwrap_or_else(|| panic!("{context}: no deployment in\n{wide}"));
        assert!(
            deployment.contains(case.container)
                && deployment.contains(&format!("app={}", case.deployment)),
            "{context}: containers and selector columns: {deployment}"
        );
        assert!(
            wide.lines()
                .any(|l| l.starts_with(&format!("replicaset.apps/{}-", case.deployment))),
            "{context}: {wide}"
        );
        assert!(
            wide.contains("CONTAINERS") && wide.contains("SELECTOR"),
            "{context}: {wide}"
        );

        let nodes = served.ok(&["get", "nodes"]);
        assert!(
            nodes.is_empty() || nodes.starts_with("NAME "),
            "{context}: {nodes}"
        );
        let namespaces = served.ok(&["get", "ns", "-o", "name"]);
        assert!(
            namespaces.lines().any(|l| l == format!("namespace/{ns}")),
            "{context}: {namespaces}"
        );
    }
}

#[test]
fn kubectl_sees_yaml_errors_and_refused_writes_as_from_a_cluster() {
    let Some(kubectl) = kubectl("kubectl_sees_yaml_errors_and_refused_writes_as_from_a_cluster")
    else {
        return;
    };
    let served = Served::start(kubectl, &[repo("samples/oom-killed")], &[]);
    let yaml = served.ok(&[
        "get",
        "pod",
        "-n",
        "shop",
        "payments-97mmfhhvpl-ll72m",
        "-o",
        "yaml",
    ]);
    // Fields the analyzer drops are served as the bundle holds them.
    assert!(yaml.contains("JAVA_TOOL_OPTIONS"), "{yaml}");
    assert!(yaml.contains("kube-api-access-"), "{yaml}");
    let policies = served.ok(&["get", "networkpolicies", "-n", "shop", "-o", "json"]);
    let policies: Value = serde_json::from_str(&policies).expect("JSON");
    assert_eq!(policies["kind"], "List");

    let missing = served.run(&["get", "pod", "-n", "shop", "nope"]);
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr).trim(),
        "Error from server (NotFound): pods \"nope\" not found"
    );
    let delete = served.run(&["delete", "pod", "-n", "shop", "payments-97mmfhhvpl-ll72m"]);
    assert!(!delete.status.success());
    assert!(
        String::from_utf8_lossy(&delete.stderr).contains("MethodNotAllowed"),
        "{}",
        String::from_utf8_lossy(&delete.stderr)
    );
    let unknown = served.run(&["get", "widgets"]);
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("the server doesn't have a resource type \"widgets\""),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
    // `get -w` lists, then holds the watch open; the client's own timeout ends it.
    let watch = served.run(&["get", "pods", "-n", "shop", "-w", "--request-timeout=2s"]);
    let watched = String::from_utf8_lossy(&watch.stdout);
    assert!(watched.contains("payments-97mmfhhvpl-ll72m"), "{watched}");
}

#[test]
fn simulated_conditions_read_as_a_real_api_server_words_them() {
    let Some(kubectl) = kubectl("simulated_conditions_read_as_a_real_api_server_words_them") else {
        return;
    };
    let served = Served::start(
        kubectl,
        &[repo("samples/oom-killed")],
        &[
            "--simulate",
            "forbid-namespace=shop",
            "--simulate",
            "forbid-namespace-list",
            "--simulate",
            "aggregated-api-down",
        ],
    );
    // kubectl's last stderr line is the request's error; lines before it are discovery's
    // complaints about the aggregated API.
    let err = |args: &[&str]| {
        let out = served.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        stderr.lines().last().unwrap_or_default().to_owned()
    };
    assert_eq!(
        err(&["get", "pods", "-n", "shop"]),
        "Error from server (Forbidden): pods is forbidden: User \"ktriage\" cannot list resource \"pods\" in API group \"\" in the namespace \"shop\""
    );
    assert!(
        err(&["get", "ns"]).contains(
            "namespaces is forbidden: User \"ktriage\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"
        )
    );
    let nodes = served.run(&["get", "nodes"]);
    assert!(nodes.status.success());
    assert!(
        String::from_utf8_lossy(&nodes.stderr)
            .contains("couldn't get resource list for metrics.k8s.io/v1beta1"),
        "{}",
        String::from_utf8_lossy(&nodes.stderr)
    );
}

// --- The collector round trip. ---

/// Runs the collector against `served` into `out`, then reads what it wrote.
fn collect(served: &Served, cluster: &str, out: &Path) {
    let run = collect_with(served, &["--cluster", cluster, "-A"], out);
    assert!(
        run.status.success(),
        "collector failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Runs the collector with `args` against `served`, writing to `out`.
fn collect_with(served: &Served, args: &[&str], out: &Path) -> Output {
    Command::new(repo("collector/ktriage-collect"))
        .args(args)
        .arg("-o")
        .arg(out)
        .env("KUBECONFIG", served.kubeconfig())
        .env("KUBECACHEDIR", served.dir.path().join("cache"))
        .env("HOME", served.dir.path())
        .env(
            "PATH",
            std::env::join_paths(
                std::iter::once(served.kubectl.parent().expect("a directory").to_owned()).chain(
                    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
                ),
            )
            .expect("a PATH"),
        )
        .output()
        .expect("the collector runs")
}

/// `ktriage analyze`'s JSON report of `bundle`.
fn analyze(bundle: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .args(["analyze", "--format", "json", "--quiet"])
        .arg(bundle)
        .output()
        .expect("ktriage runs");
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// The findings of `ktriage analyze` that do not depend on when the bundle was collected.
fn findings(bundle: &Path) -> Vec<Value> {
    let report = analyze(bundle);
    // Read in full; a sample may be partial for an error its own collection recorded (a log
    // of a container waiting to start, which the collector no longer counts as a failure).
    assert_ne!(
        report["bundles"][0]["status"].as_str(),
        Some("failed"),
        "{report}"
    );
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            serde_json::json!({
                "cause": f["cause"], "confidence": f["confidence"], "title": f["title"],
                "namespace": f["namespace"], "workload": f["workload"],
                "container": f["container"], "pods": f["pods"],
                "restart_count": f["restart_count"], "evidence": f["evidence"],
            })
        })
        .collect()
}

/// Every file under `logs/` of an unpacked bundle directory `root`, by path.
fn logs_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&path).expect("readable"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    let logs = root.join("logs");
    if logs.is_dir() {
        walk(&logs, root, &mut out);
    }
    out
}

/// Unpacks a `.tar.gz` into `dir` and returns its one top directory.
fn unpack(archive: &Path, dir: &Path) -> PathBuf {
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(dir)
        .status()
        .expect("tar runs");
    assert!(status.success());
    let top = std::fs::read_dir(dir)
        .expect("readable")
        .flatten()
        .find(|e| e.path().is_dir())
        .expect("one top directory");
    top.path()
}

/// Collects `original` (a ktriage bundle directory) through `ktriage serve` and checks the
/// collected bundle analyzes as the original does.
fn round_trip(kubectl: PathBuf, original: &Path, cluster: &str, extra: &[&str]) {
    let served = Served::start(kubectl, &[original.to_owned()], extra);
    let work = tempfile::tempdir().expect("a temporary directory");
    let archive = work.path().join("collected.tar.gz");
    collect(&served, cluster, &archive);
    let unpacked = work.path().join("unpacked");
    std::fs::create_dir(&unpacked).expect("a directory");
    let collected = unpack(&archive, &unpacked);

    let pods = |root: &Path| -> Vec<String> {
        let mut names = Vec::new();
        for ns in std::fs::read_dir(root.join("namespaces"))
            .expect("namespaces")
            .flatten()
        {
            let text = std::fs::read_to_string(ns.path().join("pods.yaml")).unwrap_or_default();
            let list: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("YAML");
            for item in list["items"].as_sequence().into_iter().flatten() {
                let name = item["metadata"]["name"].as_str().expect("a name");
                names.push(format!("{}/{name}", ns.file_name().to_string_lossy()));
            }
        }
        names.sort();
        names
    };
    let original_pods = pods(original);
    assert!(!original_pods.is_empty());
    // kubectl lists in chunks of 500 (`--chunk-size`), following `continue` tokens.
    let listed = served.ok(&["get", "pods", "-A", "-o", "name"]);
    assert_eq!(listed.lines().count(), original_pods.len(), "{listed}");
    assert_eq!(pods(&collected), original_pods, "the same pods");

    let original_logs = logs_under(original);
    let collected_logs = logs_under(&collected);
    assert!(!original_logs.is_empty());
    for (path, bytes) in &original_logs {
        let got = collected_logs
            .get(path)
            .unwrap_or_else(|| panic!("{path} was not collected"));
        assert!(
            got == bytes,
            "{path} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(got)
        );
    }
    // A log the original lacks can only be the current log of a container waiting to restart,
    // which the kubelet answers with its last instance's: the previous log.
    for (path, bytes) in &collected_logs {
        if !original_logs.contains_key(path) {
            let previous = path.replace(".log", ".previous.log");
            assert_eq!(
                original_logs.get(&previous),
                Some(bytes),
                "{path} is collected but not in the original"
            );
        }
    }
    // The one thing that differs on purpose: the collector records when it ran. Recency is
    // measured from there, so the collected bundle is analyzed as of the original's time.
    let manifest_of = |root: &Path| -> Value {
        serde_json::from_slice(&std::fs::read(root.join("manifest.json")).expect("a manifest"))
            .expect("JSON")
    };
    let mut manifest = manifest_of(&collected);
    assert_eq!(
        manifest["errors"],
        serde_json::json!([]),
        "no kubectl call failed"
    );
    manifest["collected_at"] = manifest_of(original)["collected_at"].clone();
    std::fs::write(
        collected.join("manifest.json"),
        serde_json::to_vec(&manifest).expect("JSON"),
    )
    .expect("writable");
    let expected = findings(original);
    assert!(!expected.is_empty());
    assert_eq!(findings(&collected), expected, "the same findings");
}

#[test]
fn collector_round_trip_of_a_sample() {
    let Some(kubectl) = kubectl("collector_round_trip_of_a_sample") else {
        return;
    };
    round_trip(kubectl, &repo("samples/oom-killed"), "prod-eu-1", &[]);
}

#[test]
fn collector_round_trip_of_a_large_bundle_pages_its_lists() {
    let Some(kubectl) = kubectl("collector_round_trip_of_a_large_bundle_pages_its_lists") else {
        return;
    };
    let work = tempfile::tempdir().expect("a temporary directory");
    let opts = ktriage_dev::generate::GenOptions {
        pods: 600,
        crashloop_percent: 4.0,
        clusters: 1,
        seed: 11,
        log_lines: 5,
    };
    let archives = ktriage_dev::generate::write_bundles(&opts, work.path()).expect("generated");
    let unpacked = work.path().join("original");
    std::fs::create_dir(&unpacked).expect("a directory");
    let original = unpack(&archives[0], &unpacked);
    // Pages of 100 whatever the client asks: every list of the collector is continued.
    round_trip(
        kubectl,
        &original,
        &ktriage_dev::generate::cluster_name(0),
        &["--simulate", "page-size=100"],
    );
}

#[test]
fn several_bundles_are_several_contexts() {
    let Some(kubectl) = kubectl("several_bundles_are_several_contexts") else {
        return;
    };
    let served = Served::start(
        kubectl,
        &[
            repo("samples/oom-killed"),
            repo("fixtures/bundles/troubleshoot-oomkilled"),
        ],
        &[],
    );
    let contexts = served.ok(&["config", "get-contexts", "-o", "name"]);
    assert_eq!(
        contexts.lines().collect::<Vec<_>>(),
        ["prod-eu-1", "troubleshoot-oomkilled"]
    );
    let first = served.ok(&["get", "pods", "-A", "-o", "name"]);
    assert!(first.contains("pod/payments-97mmfhhvpl-ll72m"), "{first}");
    let second = served.ok(&[
        "--context",
        "troubleshoot-oomkilled",
        "get",
        "pods",
        "-A",
        "-o",
        "name",
    ]);
    assert!(
        second.contains("pod/recommender-7d9c8b6f5-6xk2m"),
        "{second}"
    );
    assert!(!second.contains("payments"), "{second}");
}

#[test]
fn shell_runs_the_shell_with_kubeconfig_and_stops_with_it() {
    let Some(kubectl) = kubectl("shell_runs_the_shell_with_kubeconfig_and_stops_with_it") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("out");
    let shell = dir.path().join("shell.sh");
    std::fs::write(
        &shell,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$KUBECONFIG\" >\"$OUT\"\n'{}' get pods -A -o name >>\"$OUT\" 2>&1\nexit 3\n",
            kubectl.display()
        ),
    )
    .expect("writable");
    let mut perms = std::fs::metadata(&shell).expect("exists").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&shell, perms).expect("chmod");
    let run = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .arg("shell")
        .arg(repo("samples/oom-killed"))
        .env("SHELL", &shell)
        .env("OUT", &out)
        .env("HOME", dir.path())
        .env("KUBECACHEDIR", dir.path().join("cache"))
        .output()
        .expect("ktriage runs");
    let text = std::fs::read_to_string(&out).expect("the shell ran");
    let kubeconfig = text.lines().next().unwrap_or_default();
    assert!(kubeconfig.ends_with(".kubeconfig"), "{text}");
    assert!(text.contains("pod/payments-97mmfhhvpl-ll72m"), "{text}");
    assert!(
        !Path::new(kubeconfig).exists(),
        "the temporary kubeconfig is removed when the shell exits"
    );
    // The shell's failure is the command's.
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn a_bundle_that_cannot_be_read_stops_serve_naming_it() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
            .arg("serve")
            .args(args)
            .output()
            .expect("ktriage runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let missing = repo("no-such-bundle.tar.gz");
    let (code, stderr) = run(&[missing.to_str().expect("UTF-8"), "--port", "0"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr.trim(),
        format!(
            "ktriage: cannot serve `{0}`: cannot read `{0}`: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let not_a_bundle = repo("Cargo.toml");
    let (code, stderr) = run(&[not_a_bundle.to_str().expect("UTF-8")]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!("cannot serve `{}`", not_a_bundle.display()))
            && stderr.contains("is not a recognized bundle"),
        "{stderr}"
    );
    let (code, stderr) = run(&["samples/oom-killed", "--simulate", "forbid-all"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("unknown --simulate condition `forbid-all`"),
        "{stderr}"
    );
}

/// The collected bundle's manifest and `ktriage analyze`'s JSON report of it.
fn collected(archive: &Path) -> (Value, Value) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = unpack(archive, dir.path());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root.join("manifest.json")).expect("a manifest"))
            .expect("JSON");
    (manifest, analyze(archive))
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The collector against a cluster that refuses what shared clusters often refuse, as the API
/// server words it: each condition ends in the exit status and the recorded errors its help
/// promises, and the analyzer shows the decisive line of each.
#[test]
fn collector_scenarios_of_refusals_and_typos() {
    let Some(kubectl) = kubectl("collector_scenarios_of_refusals_and_typos") else {
        return;
    };
    let sample = repo("samples/oom-killed");
    let work = tempfile::tempdir().expect("a temporary directory");
    let at = |name: &str| work.path().join(name);

    // May not list namespaces: `-A` collects nothing and says to name them; `-n` works.
    let served = Served::start(
        kubectl.clone(),
        std::slice::from_ref(&sample),
        &["--simulate", "forbid-namespace-list"],
    );
    let out = collect_with(&served, &["--cluster", "prod-eu-1", "-A"], &at("a.tar.gz"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("cannot list resource \"namespaces\""),
        "{stderr}"
    );
    assert!(stderr.contains("with -n NS"), "{stderr}");
    assert_eq!(
        stderr.matches("Forbidden").count(),
        1,
        "one cause, one error: {stderr}"
    );
    assert!(!at("a.tar.gz").exists(), "no bundle of nothing");
    let out = collect_with(
        &served,
        &["--cluster", "prod-eu-1", "-n", "shop"],
        &at("b.tar.gz"),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (manifest, _) = collected(&at("b.tar.gz"));
    assert_eq!(manifest["errors"], serde_json::json!([]));
    drop(served);

    // A namespace typo: alone, nothing to collect (exit 1); beside a real one, recorded.
    let served = Served::start(kubectl.clone(), std::slice::from_ref(&sample), &[]);
    let out = collect_with(
        &served,
        &["--cluster", "prod-eu-1", "-n", "shopp"],
        &at("c.tar.gz"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("namespaces \"shopp\" not found"));
    let out = collect_with(
        &served,
        &["--cluster", "prod-eu-1", "-n", "shop,shopp"],
        &at("d.tar.gz"),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (manifest, report) = collected(&at("d.tar.gz"));
    let errors = manifest["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0]["stderr"],
        "Error from server (NotFound): namespaces \"shopp\" not found"
    );
    let bundle = &report["bundles"][0];
    assert_eq!(bundle["status"], "partial");
    assert!(
        bundle["warnings"]
            .to_string()
            .contains("namespaces \\\"shopp\\\" not found"),
        "{bundle}"
    );
    assert!(
        bundle["pods"].as_u64().expect("a count") > 0,
        "shop was collected"
    );
    drop(served);

    // A forbidden kind while an aggregated API is down: the record keeps the decisive line,
    // kubectl's discovery noise only counted, and the analyzer quotes that line.
    let served = Served::start(
        kubectl.clone(),
        std::slice::from_ref(&sample),
        &[
            "--simulate",
            "forbid-resource=deployments",
            "--simulate",
            "aggregated-api-down",
        ],
    );
    let out = collect_with(&served, &["--cluster", "prod-eu-1", "-A"], &at("e.tar.gz"));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (manifest, report) = collected(&at("e.tar.gz"));
    let errors = manifest["errors"].as_array().expect("errors");
    assert!(!errors.is_empty());
    for e in errors {
        let stderr = e["stderr"].as_str().expect("stderr");
        assert!(
            stderr.starts_with("Error from server (Forbidden): deployments.apps is forbidden"),
            "{stderr}"
        );
        assert!(!stderr.contains("metrics.k8s.io"), "{stderr}");
        assert!(
            e["stderr_noise_lines"].as_u64().expect("a count") > 0,
            "{e}"
        );
    }
    let warnings = report["bundles"][0]["warnings"].to_string();
    assert!(
        warnings.contains("deployments.apps is forbidden"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("couldn't get resource list"),
        "{warnings}"
    );
    drop(served);

    // A forbidden namespace: recorded per call, the others collected.
    let served = Served::start(
        kubectl,
        std::slice::from_ref(&sample),
        &["--simulate", "forbid-namespace=shop"],
    );
    let out = collect_with(&served, &["--cluster", "prod-eu-1", "-A"], &at("f.tar.gz"));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (manifest, report) = collected(&at("f.tar.gz"));
    let errors = manifest["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["stderr"]
            == "Error from server (Forbidden): pods is forbidden: User \"ktriage\" cannot list resource \"pods\" in API group \"\" in the namespace \"shop\""),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["command"].as_str().is_some_and(|c| c.contains("-n shop"))),
        "only shop is refused: {errors:?}"
    );
    assert_eq!(report["bundles"][0]["status"], "partial");
}

/// An init container in a loop, collected from `serve`: the same finding on the same
/// container as the original.
#[test]
fn collector_round_trip_of_an_init_container_loop() {
    let Some(kubectl) = kubectl("collector_round_trip_of_an_init_container_loop") else {
        return;
    };
    round_trip(
        kubectl,
        &repo("samples/init-container-loop"),
        "prod-eu-1",
        &[],
    );
}

/// The collector against `serve` of a bundle of each other format: what it collects, analyzed,
/// names the same cause for the same containers as the original.
#[test]
fn collector_collects_a_bundle_of_every_format() {
    let Some(kubectl) = kubectl("collector_collects_a_bundle_of_every_format") else {
        return;
    };
    let causes = |report: &Value| -> Vec<String> {
        let mut list: Vec<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{}/{} {} {}",
                    f["namespace"].as_str().unwrap_or_default(),
                    f["workload"]["name"].as_str().unwrap_or_default(),
                    f["container"].as_str().unwrap_or_default(),
                    f["cause"].as_str().unwrap_or_default()
                )
            })
            .collect();
        list.sort();
        list
    };
    for case in CASES.iter().skip(1) {
        let original = repo(case.bundle);
        let expected = analyze(&original);
        assert!(!causes(&expected).is_empty(), "{}", case.bundle);
        let served = Served::start(kubectl.clone(), std::slice::from_ref(&original), &[]);
        let work = tempfile::tempdir().expect("a temporary directory");
        let archive = work.path().join("collected.tar.gz");
        collect(&served, "collected", &archive);
        let unpacked = work.path().join("unpacked");
        std::fs::create_dir(&unpacked).expect("a directory");
        let collected = unpack(&archive, &unpacked);
        // Analyzed as of the original's collection time (the collector stamps its own).
        let manifest_path = collected.join("manifest.json");
        let mut manifest: Value =
            serde_json::from_slice(&std::fs::read(&manifest_path).expect("a manifest"))
                .expect("JSON");
        // Only logs the bundle does not hold fail, in the kubelet's words.
        for e in manifest["errors"].as_array().expect("errors") {
            let command = e["command"].as_str().expect("a command");
            let stderr = e["stderr"].as_str().expect("stderr");
            assert!(
                command.starts_with("kubectl logs ")
                    && stderr.starts_with("Error from server (BadRequest): ")
                    && (stderr.contains("is waiting to start") || stderr.contains("not found")),
                "{}: {e}",
                case.bundle
            );
        }
        manifest["collected_at"] = expected["bundles"][0]["collected_at"].clone();
        std::fs::write(&manifest_path, serde_json::to_vec(&manifest).expect("JSON"))
            .expect("writable");
        assert_eq!(
            causes(&analyze(&collected)),
            causes(&expected),
            "{}",
            case.bundle
        );
    }
}
