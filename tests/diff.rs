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
