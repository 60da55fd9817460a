//! The timeline of findings and clusters on real bundles: hand-checked orderings in the JSON
//! report (`findings[].timeline`, `bundles[].timeline`) and their text in Markdown.

use std::process::Command;

use serde_json::Value;

/// Runs `ktriage analyze PATH --format FORMAT` and returns its standard output.
fn analyze(path: &str, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["analyze", path, "--format", format])
        .output()
        .expect("ktriage runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The report of `path` as JSON.
fn report(path: &str) -> Value {
    serde_json::from_str(&analyze(path, "json")).expect("a JSON report")
}

/// The `(at, kind, text)` of each moment of a timeline.
fn moments(timeline: &Value) -> Vec<(String, String, String)> {
    timeline
        .as_array()
        .expect("a timeline array")
        .iter()
        .map(|m| {
            (
                m["at"].as_str().expect("as the test set it up").to_owned(),
                m["kind"]
                    .as_str()
                    .expect("as the test set it up")
                    .to_owned(),
                m["text"]
                    .as_str()
                    .expect("as the test set it up")
                    .to_owned(),
            )
        })
        .collect()
}

/// The position of the first moment whose text contains `needle`.
fn position(moments: &[(String, String, String)], needle: &str) -> usize {
    moments
        .iter()
        .position(|(_, _, text)| text.contains(needle))
        .unwrap_or_else(|| panic!("no moment with `{needle}` in {moments:#?}"))
}

/// Velero's Deployment was rolled out to revision 8 at 23:10:53; the new pod was created at
/// 00:58:08, went into back-off at 00:58:16 and had failed three times when the bundle was
/// taken at 00:59:01 (read from the bundle's pods, ReplicaSets and events by hand).
#[test]
fn velero_rollout_comes_before_its_crash_loop() {
    let report = report("fixtures/real-world/troubleshoot/velero-crashloop-2022.tar.gz");
    let finding = report["findings"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .find(|f| f["cause"] == "bad-args")
        .expect("a bad-args finding");
    let velero = moments(&finding["timeline"]);
    let order = [
        "rollout of revision 7, ReplicaSet `velero-6796549f` created",
        "rollout of revision 8, ReplicaSet `velero-6996dd565b` created",
        "pod created",
        "`BackOff` first seen",
        "container `velero` terminated, reason Error, exit code 1",
        "bundle collected: 3 restarts, waiting (CrashLoopBackOff), back-off 40s",
    ];
    let at: Vec<usize> = order.iter().map(|n| position(&velero, n)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} at {at:?}");
    assert_eq!(velero[at[1]].0, "2022-04-11T23:10:53Z");
    assert_eq!(velero[at[2]].0, "2022-04-12T00:58:08Z");
    assert_eq!(velero.last().expect("as the test set it up").1, "collected");
    assert_eq!(
        velero.last().expect("as the test set it up").0,
        "2022-04-12T00:59:01Z"
    );
    // Every moment is timed from the collection, and the timeline is in order.
    let offsets: Vec<i64> = finding["timeline"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .map(|m| m["offset_secs"].as_i64().expect("as the test set it up"))
        .collect();
    assert_eq!(offsets[at[1]], -6488);
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{offsets:?}");
    // The cluster's own timeline holds the rollouts, in order.
    let cluster = moments(&report["bundles"][0]["timeline"]);
    let (seven, eight) = (
        position(&cluster, "revision 7"),
        position(&cluster, "revision 8"),
    );
    assert!(seven < eight);
}

/// The OOM-killed sample: rollout, then both pods' creation, then the first OOM kill (04:48:49,
/// pod `qfr8m`) before the later one, then the collection at 05:00:00.
#[test]
fn oom_killed_sample_in_order() {
    let r = report("samples/oom-killed");
    let t = moments(&r["findings"][0]["timeline"]);
    let order = [
        "rollout of revision 1",
        "pod created",
        "terminated, reason OOMKilled, exit code 137",
        "bundle collected: 9 restarts",
    ];
    let at: Vec<usize> = order.iter().map(|n| position(&t, n)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} at {at:?}");
    assert_eq!(t[at[2]].0, "2026-11-28T04:48:49Z");
    assert_eq!(t[at[3]].0, "2026-11-28T05:00:00Z");
}

/// The node's containerd began restarting (04:12) before the three workloads on it failed
/// (04:52:10, 04:53:44, 04:54:02): the cluster timeline of Markdown shows the node first.
#[test]
fn node_trouble_comes_before_the_workloads_on_it() {
    let md = analyze(
        "fixtures/rules/node-correlated/fires-node-correlated-containerd-restarts",
        "markdown",
    );
    let section = &md[md.find("## Timeline").expect("as the test set it up")
        ..md.find("## Findings").expect("as the test set it up")];
    let node = section
        .find("node worker-5: `ContainerdStart` first seen")
        .expect("as the test set it up");
    let begins: Vec<usize> = ["shop/cart", "shop/recommender", "observability/grafana"]
        .iter()
        .map(|w| {
            section
                .find(&format!("app-error-exit {w}"))
                .expect("as the test set it up")
        })
        .collect();
    assert!(
        node < begins[0] && begins.windows(2).all(|w| w[0] < w[1]),
        "{section}"
    );
    assert!(
        section.contains("`2026-11-28 04:12:00 UTC` (48m0s before collection)"),
        "{section}"
    );
}

/// A finding keeps every field it had, beside its timeline.
#[test]
fn timeline_keeps_the_existing_fields() {
    let r = report("samples/bad-args");
    let f = &r["findings"][0];
    for key in ["rank", "cause", "evidence", "log_tail", "nodes", "timeline"] {
        assert!(f.get(key).is_some(), "{key}");
    }
    assert_eq!(r["schema_version"], 1);
}
