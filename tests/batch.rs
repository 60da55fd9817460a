//! Batch runs are deterministic: the JSON report does not depend on thread count, input order,
//! or on sharding the inputs and merging the shard reports.

use std::path::{Path, PathBuf};
use std::process::Command;

use ktriage_dev::generate::{GenOptions, write_bundles};

const BIN: &str = env!("CARGO_BIN_EXE_ktriage");

/// Three small clusters sharing one workload catalog (seeded), written once per test. Small on
/// purpose (debug builds run these): 30 pods x 30% crash-looping still gives every test several
/// findings and fleet entries in all three clusters.
fn bundles(dir: &Path) -> Vec<PathBuf> {
    let opts = GenOptions {
        pods: 30,
        clusters: 3,
        crashloop_percent: 30.0,
        log_lines: 20,
        seed: 11,
    };
    let mut paths = write_bundles(&opts, dir).expect("bundles written");
    paths.sort();
    assert_eq!(paths.len(), 3);
    paths
}

/// `ktriage ARGS` -> the JSON report on stdout (exit status 1 = findings, expected here).
fn run(args: &[&str], paths: &[PathBuf]) -> Vec<u8> {
    let out = Command::new(BIN)
        .args(args)
        .args(paths)
        .output()
        .expect("run ktriage");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn analyze(extra: &[&str], paths: &[PathBuf]) -> Vec<u8> {
    let mut args = vec!["analyze", "--quiet", "--format", "json"];
    args.extend_from_slice(extra);
    run(&args, paths)
}

#[test]
fn thread_count_and_input_order_do_not_change_the_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = bundles(dir.path());
    let one = analyze(&["--threads", "1"], &paths);
    let four = analyze(&["--threads", "4"], &paths);
    assert_eq!(
        String::from_utf8_lossy(&one),
        String::from_utf8_lossy(&four)
    );
    let shuffled = [paths[2].clone(), paths[0].clone(), paths[1].clone()];
    assert_eq!(
        String::from_utf8_lossy(&one),
        String::from_utf8_lossy(&analyze(&["--threads", "2"], &shuffled))
    );
    // A folder of bundles gives the same report as the bundles named one by one.
    let report: serde_json::Value = serde_json::from_slice(&one).expect("JSON report");
    assert_eq!(report["bundles"].as_array().map(Vec::len), Some(3));
    assert!(
        report["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "the generated clusters crash-loop, so there are findings"
    );
}

#[test]
fn merged_shards_equal_a_single_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = bundles(dir.path());
    let single = analyze(&["--threads", "1"], &paths);
    let mut shard_files = Vec::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        let report = analyze(&["--shard", &shard], &paths);
        let file = dir.path().join(format!("shard-{k}.json"));
        std::fs::write(&file, report).expect("write shard report");
        shard_files.push(file);
    }
    // Merge in a scrambled order: the result must not depend on it either.
    shard_files.reverse();
    let merged = run(&["merge"], &shard_files);
    assert_eq!(
        String::from_utf8_lossy(&single),
        String::from_utf8_lossy(&merged)
    );
}

#[test]
fn a_workload_failing_alike_in_several_clusters_is_a_fleet_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = bundles(dir.path());
    let report: serde_json::Value =
        serde_json::from_slice(&analyze(&[], &paths)).expect("JSON report");
    let fleet = report["fleet"].as_array().expect("fleet array");
    assert!(
        !fleet.is_empty(),
        "seed 11 rolls out failing workloads to every cluster"
    );
    let findings = report["findings"].as_array().expect("findings");
    for entry in fleet {
        let clusters = entry["clusters"].as_array().expect("clusters");
        assert!(clusters.len() >= 2, "{entry}");
        // Every rank the entry names is a finding of that cause in one of those clusters.
        for rank in entry["finding_ranks"].as_array().expect("ranks") {
            let f = &findings[usize::try_from(rank.as_u64().expect("rank")).expect("rank") - 1];
            assert_eq!(f["cause"], entry["cause"]);
            assert!(clusters.contains(&f["cluster"]), "{f}");
        }
    }
}

/// A run over several bundles spills its findings to a temporary file and leaves nothing
/// behind; where no temporary file can be made, it holds them in memory, says so, and reports
/// the same.
#[test]
fn findings_spilled_or_held_in_memory_give_the_same_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = bundles(dir.path());
    let with_tmpdir = |tmp: &Path| {
        Command::new(BIN)
            .args(["analyze", "--quiet", "--format", "json", "--threads", "2"])
            .args(&paths)
            .env("TMPDIR", tmp)
            .output()
            .expect("run ktriage")
    };
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp dir");
    let spilled = with_tmpdir(&tmp);
    assert_eq!(spilled.status.code(), Some(1));
    assert!(
        spilled.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&spilled.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).expect("read tmp").collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let held = with_tmpdir(&dir.path().join("no-such-dir"));
    assert_eq!(held.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&held.stderr);
    assert!(
        stderr.contains("cannot create a temporary file") && stderr.contains("held in memory"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&spilled.stdout),
        String::from_utf8_lossy(&held.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&held.stdout).expect("JSON report");
    assert!(report["findings"].as_array().is_some_and(|f| f.len() > 3));
}
