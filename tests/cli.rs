//! End-to-end tests through the `ktriage` binary on the committed samples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn ktriage(args: &[&str]) -> Output {
    ktriage_env(args, &[])
}

/// Runs ktriage with `env` set and `COLUMNS`/`NO_COLOR` otherwise unset (the table's layout
/// reads them).
fn ktriage_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ktriage"));
    cmd.args(args).env_remove("COLUMNS").env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("ktriage runs")
}

/// The table of `args` at `columns` columns.
fn table(args: &[&str], columns: &str) -> String {
    let mut all = vec!["analyze"];
    all.extend_from_slice(args);
    String::from_utf8(ktriage_env(&all, &[("COLUMNS", columns)]).stdout).expect("utf-8")
}

/// Words of a text as the word check compares them: runs of letters, digits, `.`, `_`, `-`.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .filter(|t| !t.is_empty())
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn json_report(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let out = ktriage(&all);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().expect("exit code"), report)
}

/// Each sample bundle's top finding is the cause `samples/expected.tsv` names.
#[test]
fn every_sample_gets_its_expected_cause_first() {
    let expected = std::fs::read_to_string(samples().join("expected.tsv")).expect("expected.tsv");
    for line in expected.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [
            bundle,
            namespace,
            kind,
            workload,
            container,
            container_kind,
            cause,
        ] = cols[..]
        else {
            panic!("bad expected.tsv line: {line}");
        };
        let path = samples().join(bundle);
        let (code, report) = json_report(&[path.to_str().expect("utf-8 path")]);
        let findings = report["findings"].as_array().expect("findings");
        assert_ne!(
            report["bundles"][0]["status"], "failed",
            "{bundle}: {:?}",
            report["bundles"][0]
        );
        if cause == "none" {
            assert_eq!(code, 0, "{bundle}: expected no findings, got {findings:#?}");
            assert!(findings.is_empty());
            continue;
        }
        assert_eq!(code, 1, "{bundle}");
        let top = &findings[0];
        assert_eq!(
            top["cause"], cause,
            "{bundle}: top finding is {}",
            top["title"]
        );
        assert_eq!(top["namespace"], namespace, "{bundle}");
        assert_eq!(top["workload"]["kind"], kind, "{bundle}");
        assert_eq!(top["workload"]["name"], workload, "{bundle}");
        assert_eq!(top["container"], container, "{bundle}");
        assert_eq!(top["container_kind"], container_kind, "{bundle}");
        assert!(
            !top["evidence"].as_array().expect("evidence").is_empty(),
            "{bundle}: no evidence"
        );
        assert!(
            !top["remediation"]
                .as_array()
                .expect("remediation")
                .is_empty(),
            "{bundle}: no remediation"
        );
    }
}

/// The JSON report has every key of docs/design.md §5 with the documented types.
#[test]
fn json_report_follows_the_schema() {
    let (_, report) = json_report(&[samples().to_str().expect("utf-8")]);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"]["name"], "ktriage");
    for b in report["bundles"].as_array().expect("bundles") {
        for key in [
            "path",
            "format",
            "cluster",
            "collected_at",
            "status",
            "warnings",
            "error",
        ] {
            assert!(b.get(key).is_some(), "bundle lacks `{key}`: {b}");
        }
    }
    let findings = report["findings"].as_array().expect("findings");
    assert!(findings.len() >= 12);
    for (i, f) in findings.iter().enumerate() {
        assert_eq!(f["rank"], i + 1);
        for key in [
            "rank",
            "score",
            "severity",
            "cause",
            "confidence",
            "title",
            "cluster",
            "namespace",
            "workload",
            "pods",
            "container",
            "container_kind",
            "restart_count",
            "last_termination",
            "evidence",
            "alternatives",
            "remediation",
            "commands",
            "change_commands",
            "explains",
        ] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
        assert!(
            ["critical", "high", "medium", "low"]
                .contains(&f["severity"].as_str().expect("severity"))
        );
        for e in f["evidence"].as_array().expect("evidence") {
            for key in ["kind", "source", "locator", "text"] {
                assert!(e[key].is_string(), "evidence lacks `{key}`: {e}");
            }
        }
        assert!(f["commands"].as_array().expect("commands").iter().all(|c| {
            c.as_str()
                .is_some_and(|c| c.starts_with("kubectl ") || c.starts_with("docker "))
        }));
    }
    // The three velero clusters form one fleet entry.
    let fleet = report["fleet"].as_array().expect("fleet");
    let velero = fleet
        .iter()
        .find(|e| e["signature"] == "Deployment velero / velero")
        .expect("velero fleet entry");
    assert_eq!(velero["cause"], "bad-args");
    assert_eq!(velero["clusters"].as_array().expect("clusters").len(), 3);
}

/// Output is byte-identical whatever the thread count and the order of the inputs.
#[test]
fn output_is_deterministic() {
    let s = samples();
    let dirs: Vec<String> = [
        "oom-killed",
        "bad-args",
        "fleet-velero",
        "healthy",
        "missing-env",
    ]
    .iter()
    .map(|d| s.join(d).display().to_string())
    .collect();
    let run = |threads: &str, order: &[usize]| {
        let mut args = vec!["analyze", "--format", "json", "--threads", threads];
        args.extend(order.iter().map(|&i| dirs[i].as_str()));
        String::from_utf8(ktriage(&args).stdout).expect("utf-8")
    };
    let one = run("1", &[0, 1, 2, 3, 4]);
    assert!(one == run("4", &[0, 1, 2, 3, 4]), "1 vs 4 threads differ");
    assert!(one == run("2", &[4, 2, 0, 3, 1]), "shuffled inputs differ");
}

/// A corrupt tarball among good bundles: the good ones are reported, the bad one is a failure
/// row naming it, and the exit code is 2.
#[test]
fn corrupt_bundle_among_good_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.tar.gz");
    std::fs::write(
        &bad,
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage that is not deflate",
    )
    .expect("write");
    let good = samples().join("oom-killed");
    let out = ktriage(&[
        "analyze",
        "--format",
        "json",
        good.to_str().expect("utf-8"),
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.tar.gz"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let failed: Vec<&Value> = report["bundles"]
        .as_array()
        .expect("bundles")
        .iter()
        .filter(|b| b["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["error"]
            .as_str()
            .expect("error")
            .contains("broken.tar.gz")
    );
    assert_eq!(report["findings"][0]["cause"], "oom-killed");
    // The table and Markdown show the failure too.
    for format in ["table", "markdown"] {
        let out = ktriage(&[
            "analyze",
            "--format",
            format,
            good.to_str().expect("utf-8"),
            bad.to_str().expect("utf-8"),
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Could not analyze") && text.contains("broken.tar.gz"),
            "{format}: {text}"
        );
    }
}

/// Table and Markdown name the top finding; `--min-severity` and `--select` filter.
#[test]
fn formats_and_filters() {
    let path = samples().join("liveness-probe-kill");
    let p = path.to_str().expect("utf-8");
    let table = String::from_utf8(ktriage(&["analyze", p]).stdout).expect("utf-8");
    assert!(table.contains("liveness-probe-kill"), "{table}");
    // Not a terminal and no `COLUMNS`: 100 columns, no colour.
    assert!(
        table.lines().all(|l| l.chars().count() <= 100),
        "table wider than 100 columns:\n{table}"
    );
    let md =
        String::from_utf8(ktriage(&["analyze", "--format", "markdown", p]).stdout).expect("utf-8");
    assert!(md.starts_with("# ktriage report"));
    assert!(
        md.contains("**What to do**") && md.contains("```sh\nkubectl -n shop describe pod"),
        "{md}"
    );
    let (code, report) = json_report(&["--select", "oom-killed", p]);
    assert_eq!(code, 0);
    assert!(report["findings"].as_array().expect("findings").is_empty());
    let out = ktriage(&["analyze", "--select", "no-such-cause", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown cause `no-such-cause`"));
}

/// `rules` lists every cause; `explain` prints a rule's documentation.
#[test]
fn rules_and_explain() {
    let rules = String::from_utf8(ktriage(&["rules"]).stdout).expect("utf-8");
    for cause in [
        "oom-killed",
        "bad-args",
        "liveness-probe-kill",
        "rollout-regression",
    ] {
        assert!(rules.contains(cause), "{rules}");
    }
    let explain = String::from_utf8(ktriage(&["explain", "oom-killed"]).stdout).expect("utf-8");
    assert!(
        explain.contains("## What it detects") && explain.contains("## Remedy"),
        "{explain}"
    );
    assert_eq!(ktriage(&["explain", "nope"]).status.code(), Some(2));
}

/// The samples' table at 80 columns: no line wider than 80 characters, no word broken (every
/// word is one of the report's or is cut with `…`), each finding in 2-4 lines, the first one on
/// the first screen.
#[test]
fn samples_table_fits_80_columns() {
    let s = samples();
    let p = s.to_str().expect("utf-8");
    let text = table(&["--all", p], "80");
    insta::assert_snapshot!("samples_table_80_columns", text);
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
    }
    // Every word in full: the verbose table (wrapped, never cut) and the JSON report.
    let full = table(&["--all", "--verbose", p], "120");
    let json =
        String::from_utf8(ktriage(&["analyze", "--format", "json", p]).stdout).expect("utf-8");
    let known: std::collections::BTreeSet<&str> = tokens(&full)
        .chain(tokens(&json))
        // The labels only the summary table has.
        .chain([
            "fix",
            "details",
            "--verbose",
            "--format",
            "markdown",
            "json",
        ])
        .chain(["a", "cause", "ktriage", "explain", "CAUSE"])
        .collect();
    for word in text.split_whitespace().filter(|w| !w.ends_with('…')) {
        for t in tokens(word) {
            assert!(
                known.contains(t),
                "`{t}` of `{word}` is not a word of the report"
            );
        }
    }
    let mut findings = 0;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with('#') {
            continue;
        }
        findings += 1;
        let mut n = 1;
        while lines
            .peek()
            .is_some_and(|l| l.starts_with("   ") && !l.starts_with("   - #"))
        {
            lines.next();
            n += 1;
        }
        assert!((2..=4).contains(&n), "finding in {n} lines: {line}");
    }
    assert_eq!(findings, 12, "{text}");
    let first = text.lines().position(|l| l.starts_with("#1 ")).expect("#1");
    assert!(first < 20, "the first finding is on line {first}:\n{text}");
}

/// `--limit N` lists N findings and says how many more there are; `--all` lists every one;
/// the default lists 25.
#[test]
fn limit_and_all() {
    let s = samples();
    let p = s.to_str().expect("utf-8");
    let headlines = |text: &str| text.lines().filter(|l| l.starts_with('#')).count();
    let three = table(&["--limit", "3", p], "100");
    assert_eq!(headlines(&three), 3, "{three}");
    assert!(
        three.contains("+9 more findings (--limit N or --all lists them)"),
        "{three}"
    );
    let all = table(&["--all", p], "100");
    assert_eq!(headlines(&all), 12);
    assert!(!all.contains("more finding"), "{all}");
    assert_eq!(
        table(&[p], "100"),
        all,
        "12 findings are under the default 25"
    );
    let out = ktriage(&["analyze", "--limit", "3", "--all", p]);
    assert_eq!(out.status.code(), Some(2));
}

/// Colour only on a terminal (never here: stdout is a pipe) or with `--color always`;
/// `NO_COLOR` does not override `always`. The width follows `COLUMNS`.
#[test]
fn colour_and_width_flags() {
    let s = samples().join("oom-killed");
    let p = s.to_str().expect("utf-8");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["analyze"];
        all.extend_from_slice(args);
        all.push(p);
        String::from_utf8(ktriage_env(&all, env).stdout).expect("utf-8")
    };
    assert!(!run(&[], &[]).contains('\x1b'));
    assert!(!run(&["--color", "never"], &[]).contains('\x1b'));
    assert!(!run(&["--color", "auto"], &[]).contains('\x1b'));
    let always = run(&["--color", "always"], &[("NO_COLOR", "1")]);
    assert!(always.contains("#1 \x1b[31mHIGH\x1b[0m "), "{always:?}");
    // Only the severity is coloured: without the codes the text is the plain table.
    assert_eq!(
        always.replace("\x1b[31m", "").replace("\x1b[0m", ""),
        run(&["--color", "never"], &[])
    );
    let narrow = run(&[], &[("COLUMNS", "60")]);
    assert!(narrow.lines().all(|l| l.chars().count() <= 60), "{narrow}");
    assert!(narrow.lines().any(|l| l.chars().count() > 50), "{narrow}");
}

/// A correlation is one headline with the findings it explains folded under it; its command
/// that changes the cluster is under what to do, never under "confirm with".
#[test]
fn correlation_folds_its_members() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules/rollout-regression/fires-rollout-regression-env-renamed");
    let p = dir.to_str().expect("utf-8");
    let text = table(&[p], "80");
    let heads: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(heads.len(), 1, "{text}");
    assert!(heads[0].starts_with("#1 MEDIUM fixture/shop/checkout/checkout"));
    assert!(text.contains("   rollout-regression 0.96: "), "{text}");
    assert!(
        text.contains("\n   - #2 invalid-app-config 0.95  shop/checkout/checkout  restarts 6\n"),
        "{text}"
    );
    let verbose = table(&["--verbose", p], "100");
    let (todo, confirm) = verbose
        .split_once("confirm with (read-only):")
        .expect("confirm section");
    assert!(
        todo.contains(
            "$ kubectl -n shop rollout undo deployment/checkout --to-revision=3   # changes the cluster"
        ),
        "{verbose}"
    );
    assert!(!confirm.contains("rollout undo"), "{verbose}");
    let (_, report) = json_report(&[p]);
    let f = &report["findings"][0];
    assert_eq!(f["cause"], "rollout-regression");
    assert_eq!(
        f["change_commands"],
        serde_json::json!(["kubectl -n shop rollout undo deployment/checkout --to-revision=3"])
    );
    assert_eq!(
        f["explains"],
        serde_json::json!([{"cause": "invalid-app-config", "namespace": "shop",
            "workload": {"kind": "Deployment", "name": "checkout"}, "container": "checkout"}])
    );
    for f in report["findings"].as_array().expect("findings") {
        for c in f["commands"].as_array().expect("commands") {
            assert!(!c.as_str().expect("str").contains(" undo "), "{c}");
        }
    }
}
