//! `ktriage diff` end to end: two bundles of one cluster, before and after a change, built
//! from the committed samples (kubectl-printed YAML, real-looking logs).
//!
//! Before: `prod-eu-1` runs `payments` (OOM-killed, 9 restarts), `orders` (killed by its
//! liveness probe) and `config-sync` (exits: no foreground process). After: `payments` has
//! restarted more and runs a new image with one more env variable, `orders` was rolled out
//! again and now fails on its configuration, `config-sync` is fixed (gone), `inventory`
//! appeared and rejects its arguments, and one node stopped reporting (`Ready: Unknown`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const NODE_A: &str = "ip-10-0-21-143.eu-central-1.compute.internal";
const NODE_B: &str = "ip-10-0-37-88.eu-central-1.compute.internal";

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn ktriage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .args(args)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .output()
        .expect("ktriage runs")
}

/// One sample's `shop` namespace and logs to add to a bundle, with its names rewritten
/// (`from`, `to`) in every file and path: its nodes become `prod-eu-1`'s, and a workload can
/// take another's name.
struct Part<'a> {
    sample: &'a str,
    renames: &'a [(&'a str, &'a str)],
}

/// Writes a ktriage bundle directory at `dir`: `prod-eu-1`'s manifest and `cluster/` (from
/// `samples/oom-killed`), with `parts`' namespace files joined as YAML streams (one kubectl
/// list per part) and their logs.
fn write_bundle(dir: &Path, parts: &[Part<'_>]) {
    let base = samples().join("oom-killed");
    fs::create_dir_all(dir.join("cluster")).expect("the test bundles are readable and writable");
    fs::copy(base.join("manifest.json"), dir.join("manifest.json"))
        .expect("the test bundles are readable and writable");
    for entry in
        fs::read_dir(base.join("cluster")).expect("the test bundles are readable and writable")
    {
        let entry = entry.expect("the test bundles are readable and writable");
        fs::copy(entry.path(), dir.join("cluster").join(entry.file_name()))
            .expect("the test bundles are readable and writable");
    }
    let ns = dir.join("namespaces/shop");
    fs::create_dir_all(&ns).expect("the test bundles are readable and writable");
    for part in parts {
        let rename = |text: &str| {
            part.renames
                .iter()
                .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
        };
        let from = samples().join(part.sample);
        for entry in fs::read_dir(from.join("namespaces/shop"))
            .expect("the test bundles are readable and writable")
        {
            let entry = entry.expect("the test bundles are readable and writable");
            let text = rename(
                &fs::read_to_string(entry.path())
                    .expect("the test bundles are readable and writable"),
            );
            let target = ns.join(entry.file_name());
            let mut joined = fs::read_to_string(&target).unwrap_or_default();
            if !joined.is_empty() {
                joined.push_str("---\n");
            }
            joined.push_str(&text);
            fs::write(&target, joined).expect("the test bundles are readable and writable");
        }
        for pod in fs::read_dir(from.join("logs/shop"))
            .expect("the test bundles are readable and writable")
        {
            let pod = pod.expect("the test bundles are readable and writable");
            let pod_dir = dir
                .join("logs/shop")
                .join(rename(&pod.file_name().to_string_lossy()));
            fs::create_dir_all(&pod_dir).expect("the test bundles are readable and writable");
            for log in fs::read_dir(pod.path()).expect("the test bundles are readable and writable")
            {
                let log = log.expect("the test bundles are readable and writable");
                let text = rename(
                    &fs::read_to_string(log.path())
                        .expect("the test bundles are readable and writable"),
                );
                fs::write(
                    pod_dir.join(rename(&log.file_name().to_string_lossy())),
                    text,
                )
                .expect("the test bundles are readable and writable");
            }
        }
    }
}

/// Standard output with the temporary directory shown as `[TMP]`.
fn shown(stdout: &[u8], tmp: &Path) -> String {
    String::from_utf8(stdout.to_vec())
        .expect("the test bundles are readable and writable")
        .replace(
            tmp.to_str()
                .expect("the test bundles are readable and writable"),
            "[TMP]",
        )
}

/// Replaces `from` by `to` in the bundle file `rel`, which must contain it.
fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let path = dir.join(rel);
    let text = fs::read_to_string(&path).expect("the test bundles are readable and writable");
    assert!(text.contains(from), "{rel} has no `{from}`");
    fs::write(path, text.replace(from, to)).expect("the test bundles are readable and writable");
}

const PROD_EU_2: &[(&str, &str)] = &[
    ("prod-eu-2-worker-1", NODE_A),
    ("prod-eu-2-worker-2", NODE_B),
];
const DEV_EU_1: &[(&str, &str)] = &[("dev-eu-1-worker-1", NODE_A), ("dev-eu-1-worker-2", NODE_B)];
const STAGING_EU_1: &[(&str, &str)] = &[
    ("aks-nodepool1-31415926-vmss000000", NODE_A),
    ("aks-nodepool1-31415926-vmss000001", NODE_B),
];
/// `checkout` of `missing-env` as a new revision of `orders`.
const CHECKOUT_AS_ORDERS: &[(&str, &str)] = &[
    ("checkout", "orders"),
    ("gke-staging-ap-1-default-pool-0b3d9f1e-2mzt", NODE_A),
    ("gke-staging-ap-1-default-pool-0b3d9f1e-h7vq", NODE_B),
];

/// The before and after bundles of the module doc, in a temporary directory.
fn before_and_after() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("the test bundles are readable and writable");
    let before = tmp.path().join("prod-eu-1-before");
    let after = tmp.path().join("prod-eu-1-after");
    write_bundle(
        &before,
        &[
            Part {
                sample: "oom-killed",
                renames: &[],
            },
            Part {
                sample: "liveness-probe-kill",
                renames: PROD_EU_2,
            },
            Part {
                sample: "no-foreground-plain",
                renames: DEV_EU_1,
            },
        ],
    );
    write_bundle(
        &after,
        &[
            Part {
                sample: "oom-killed",
                renames: &[],
            },
            Part {
                sample: "missing-env",
                renames: CHECKOUT_AS_ORDERS,
            },
            Part {
                sample: "bad-args",
                renames: STAGING_EU_1,
            },
        ],
    );
    // `payments` restarted 5 more times in each pod, on a new image with one more variable.
    let pods = "namespaces/shop/pods.yaml";
    edit(&after, pods, "restartCount: 9\n", "restartCount: 14\n");
    edit(&after, pods, "restartCount: 7\n", "restartCount: 12\n");
    edit(
        &after,
        pods,
        "image: registry.example.com/shop/payments:2.14.3\n",
        "image: registry.example.com/shop/payments:2.15.0\n",
    );
    edit(
        &after,
        pods,
        "      - name: JAVA_TOOL_OPTIONS\n",
        "      - name: PAYMENTS_FRAUD_CHECK\n        value: strict\n      - name: JAVA_TOOL_OPTIONS\n",
    );
    // The second node's kubelet reports it not ready (its CNI is down).
    edit(
        &after,
        "cluster/nodes.yaml",
        "    - lastHeartbeatTime: \"2026-11-28T04:59:31Z\"\n      lastTransitionTime: \"2026-10-19T05:00:24Z\"\n      message: kubelet is posting ready status\n      reason: KubeletReady\n      status: \"True\"\n      type: Ready\n",
        "    - lastHeartbeatTime: \"2026-11-28T04:59:31Z\"\n      lastTransitionTime: \"2026-11-28T04:41:07Z\"\n      message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady\n        message:Network plugin returns error: cni plugin not initialized'\n      reason: KubeletNotReady\n      status: \"False\"\n      type: Ready\n",
    );
    (tmp, before, after)
}

#[test]
fn a_bundle_pair_shows_exactly_what_changed() {
    let (tmp, before, after) = before_and_after();
    let out = ktriage(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| format!("{} {}", i["workload"]["name"], i["cause"]).replace('"', ""))
            .collect()
    };
    assert_eq!(names(&diff["findings"]["new"]), ["inventory bad-args"]);
    assert_eq!(
        names(&diff["findings"]["resolved"]),
        ["config-sync no-foreground-process"]
    );
    let persisting = diff["findings"]["persisting"].as_array().unwrap();
    assert_eq!(persisting.len(), 2, "{persisting:#?}");
    let payments = persisting
        .iter()
        .find(|p| p["new"]["workload"]["name"] == "payments")
        .unwrap();
    assert_eq!(payments["cause_changed"], false);
    assert_eq!(payments["new"]["cause"], "oom-killed");
    assert_eq!(payments["restart_growth"], 5);
    let orders = persisting
        .iter()
        .find(|p| p["new"]["workload"]["name"] == "orders")
        .unwrap();
    assert_eq!(orders["cause_changed"], true);
    assert_eq!(orders["old"]["cause"], "liveness-probe-kill");
    assert_eq!(orders["new"]["cause"], "invalid-app-config");
    let templates: Vec<String> = diff["templates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["workload"]["name"] == "payments")
        .map(|c| format!("{}: {}", c["field"], c["change"]).replace('"', ""))
        .collect();
    assert_eq!(
        templates,
        [
            "containers[payments].image: registry.example.com/shop/payments:2.14.3 → registry.example.com/shop/payments:2.15.0",
            "containers[payments].env[PAYMENTS_FRAUD_CHECK]: PAYMENTS_FRAUD_CHECK added",
        ]
    );
    // `orders` was rolled out anew (another image, env, probes); nothing else changed.
    assert_eq!(diff["summary"]["templates_changed"], 2);
    let nodes = diff["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{nodes:#?}");
    assert_eq!(nodes[0]["node"], NODE_B);
    assert_eq!(nodes[0]["condition"], "Ready");
    assert_eq!(
        (&nodes[0]["old"], &nodes[0]["new"]),
        (&"True".into(), &"False".into())
    );
    // Env values are never shown, only names.
    let text = String::from_utf8_lossy(&out.stdout);
    for value in ["strict", "-Xmx768m", "jdbc:postgresql"] {
        assert!(!text.contains(value), "{value}");
    }
    assert_eq!(diff["cluster"]["basis"], "kube-system uid");
    insta::assert_snapshot!("bundle_pair_json", shown(&out.stdout, tmp.path()));
}

/// The table and the Markdown say the same as the JSON, in the order of the sections.
#[test]
fn table_and_markdown_of_a_bundle_pair() {
    let (tmp, before, after) = before_and_after();
    for (format, name) in [
        ("table", "bundle_pair_table"),
        ("markdown", "bundle_pair_markdown"),
    ] {
        let out = ktriage(&[
            "diff",
            before.to_str().unwrap(),
            after.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        insta::assert_snapshot!(name, shown(&out.stdout, tmp.path()));
    }
}

/// The HTML page: one file that loads nothing, every section of the diff, names escaped.
#[test]
fn html_of_a_bundle_pair() {
    let (_tmp, before, after) = before_and_after();
    let out = ktriage(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--format",
        "html",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let page = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<title>ktriage diff</title>"));
    for heading in [
        ">New</h2>",
        ">Resolved</h2>",
        ">Persisting</h2>",
        ">Pod templates</h2>",
        ">Nodes</h2>",
    ] {
        assert!(page.contains(heading), "{heading}");
    }
    assert!(page.contains("<code>bad-args</code>"));
    assert!(page.contains("payments:2.15.0"));
    assert!(page.contains("Ready: True → False"));
    for external in ["http://", "https://", "@import", "url("] {
        assert!(!page.contains(external), "{external}");
    }
}

/// Everything of the first bundle fixed: all resolved, exit status 0.
#[test]
fn all_resolved_exits_0() {
    let (tmp, before, _) = before_and_after();
    let fixed = tmp.path().join("prod-eu-1-fixed");
    write_bundle(
        &fixed,
        &[Part {
            sample: "healthy",
            renames: &[
                ("aks-nodepool1-27182818-vmss000000", NODE_A),
                ("aks-nodepool1-27182818-vmss000001", NODE_B),
            ],
        }],
    );
    let out = ktriage(&[
        "diff",
        before.to_str().unwrap(),
        fixed.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["summary"]["resolved"], 3);
    assert_eq!(diff["summary"]["new"], 0);
    assert_eq!(diff["summary"]["persisting"], 0);
}

/// Another cluster's bundle is refused, naming both inputs and what differs; `--force`
/// compares them anyway and says so.
#[test]
fn a_bundle_of_another_cluster_is_refused_unless_forced() {
    let (_tmp, before, _) = before_and_after();
    let other = samples().join("bad-args");
    let args = ["diff", before.to_str().unwrap(), other.to_str().unwrap()];
    let out = ktriage(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("prod-eu-1-before` and `")
            && stderr.contains("samples/bad-args` are not bundles of the same cluster (kube-system uid `7d0ff01c-5672-48a0-8f08-6fb63fe5a45a` and `ab99f42e-868c-4ab8-a8f7-91a62430875f`); --force compares them anyway"),
        "{stderr}"
    );
    let out = ktriage(&[&args[..], &["--force", "--format", "json"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["cluster"]["same"], false);
    assert_eq!(diff["cluster"]["forced"], true);
    assert_eq!(diff["summary"]["new"], 1);
    assert_eq!(diff["summary"]["resolved"], 3);
}

/// Without a uid, the recorded cluster name decides; without a name, the node names.
#[test]
fn without_a_uid_the_name_then_the_nodes_decide() {
    let (_tmp, before, after) = before_and_after();
    for dir in [&before, &after] {
        fs::remove_file(dir.join("cluster/namespaces.yaml")).unwrap();
    }
    let json = |old: &Path, new: &Path| {
        let out = ktriage(&[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let diff: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code(), diff["cluster"].clone())
    };
    let (code, cluster) = json(&before, &after);
    assert_eq!(code, Some(1));
    assert_eq!(cluster["basis"], "cluster name");
    // Renamed in its manifest (another kubeconfig context), same nodes.
    edit(
        &after,
        "manifest.json",
        "\"cluster\": \"prod-eu-1\"",
        "\"cluster\": \"payments-prod\"",
    );
    assert_eq!(json(&before, &after).0, Some(2));
    for dir in [&before, &after] {
        let manifest = fs::read_to_string(dir.join("manifest.json")).unwrap();
        let manifest: String = manifest
            .lines()
            .filter(|l| !l.contains("\"cluster\":") && !l.contains("\"context\":"))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(dir.join("manifest.json"), manifest).unwrap();
    }
    let (code, cluster) = json(&before, &after);
    assert_eq!(code, Some(1));
    assert_eq!(cluster["basis"], "node names");
    assert_eq!(cluster["detail"], "2 of 2 node names shared");
}

/// A bad input is the usual error exit, naming it; nothing is written on stdout.
#[test]
fn a_bad_input_is_named() {
    let (tmp, before, _) = before_and_after();
    let broken = tmp.path().join("prod-eu-1-after.tar.gz");
    fs::write(&broken, b"\x1f\x8b\x08\x00truncated").unwrap();
    let missing = tmp.path().join("prod-eu-1-later.tar.gz");
    let not_a_report = tmp.path().join("report.json");
    fs::write(&not_a_report, "{\"schema_version\": 1, \"bundles\": []}\n").unwrap();
    for bad in [&broken, &missing, &not_a_report] {
        let out = ktriage(&["diff", before.to_str().unwrap(), bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", bad.display());
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("ktriage: `{}`", bad.display()))
                || stderr.starts_with(&format!("ktriage: cannot read `{}`", bad.display())),
            "{stderr}"
        );
    }
}

/// Two JSON reports give the same findings as the bundles, and say that templates and nodes
/// could not be compared.
#[test]
fn reports_give_the_findings_and_say_what_they_lack() {
    let (tmp, before, after) = before_and_after();
    let mut reports = Vec::new();
    for (dir, name) in [(&before, "before.json"), (&after, "after.json")] {
        let path = tmp.path().join(name);
        let out = ktriage(&[
            "analyze",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1));
        reports.push(path);
    }
    let diff = |old: &Path, new: &Path| -> (Option<i32>, Value) {
        let out = ktriage(&[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ]);
        (
            out.status.code(),
            serde_json::from_slice(&out.stdout).unwrap(),
        )
    };
    let (code, of_reports) = diff(&reports[0], &reports[1]);
    assert_eq!(code, Some(1));
    let (_, of_bundles) = diff(&before, &after);
    assert_eq!(of_reports["findings"], of_bundles["findings"]);
    assert_eq!(of_reports["templates"], Value::Null);
    assert_eq!(of_reports["nodes"], Value::Null);
    assert_eq!(of_reports["old"]["input"], "report");
    let note = of_reports["notes"][0].as_str().unwrap();
    assert!(
        note.starts_with("template and node changes are not available: `")
            && note.ends_with("after.json` are JSON reports, which hold findings only; diff the bundles to compare them"),
        "{note}"
    );
    // A report and a bundle mix.
    let (code, mixed) = diff(&reports[0], &after);
    assert_eq!(code, Some(1));
    assert_eq!(mixed["findings"], of_bundles["findings"]);
    let out = ktriage(&[
        "diff",
        reports[0].to_str().unwrap(),
        after.to_str().unwrap(),
    ]);
    let table = shown(&out.stdout, tmp.path());
    assert!(
        table.contains("templates not compared, nodes not compared\n")
            && table.contains("note: template and node changes are not available: `[TMP]/before.json` is a JSON report"),
        "{table}"
    );
}
