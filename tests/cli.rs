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
    assert!(text.contains("   rollout-regression 0.98: "), "{text}");
    assert!(
        text.contains("\n   - #2 invalid-app-config 0.97  shop/checkout/checkout  restarts 6\n"),
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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `explain` takes the Kubernetes reason names users type, whatever their case.
#[test]
fn explain_accepts_kubernetes_reasons() {
    let out = ktriage(&["explain", "OOMKilled"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("# `oom-killed`\n"),
        "{}",
        stdout(&out)
    );
    let out = ktriage(&["explain", "crashloopbackoff"]);
    let text = stdout(&out);
    assert!(
        text.contains("`CrashLoopBackOff` is not a cause: it is the state of a container"),
        "{text}"
    );
    assert!(
        text.contains("- `oom-killed`: ") && text.contains("- `bad-args`: "),
        "{text}"
    );
    assert!(
        !text.contains("- `evicted`"),
        "evicted is not a crash loop: {text}"
    );
    for reason in ["ImagePullBackOff", "ErrImagePull"] {
        let text = stdout(&ktriage(&["explain", reason]));
        assert!(
            text.starts_with(&format!(
                "`{reason}` is a Kubernetes reason; ktriage reports its cause as `image-pull`."
            )),
            "{text}"
        );
        assert!(text.contains("# `image-pull`"), "{text}");
    }
    let text = stdout(&ktriage(&["explain", "CreateContainerConfigError"]));
    assert!(text.contains("# `missing-config-ref`"), "{text}");
    let text = stdout(&ktriage(&["explain", "RunContainerError"]));
    assert!(
        text.contains("is a Kubernetes reason with several causes")
            && text.contains("- `command-not-found`: "),
        "{text}"
    );
}

/// An unknown name exits 2 and suggests the nearest ids; a far-off one only points at `rules`.
#[test]
fn explain_suggests_the_nearest_cause() {
    let out = ktriage(&["explain", "oom-kiled"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "ktriage: unknown cause `oom-kiled`; did you mean `oom-killed`? (see `ktriage rules`)\n"
    );
    let out = ktriage(&["explain", "ImagePullBackof"]);
    assert!(
        stderr(&out).contains("did you mean `ImagePullBackOff`?"),
        "{}",
        stderr(&out)
    );
    let out = ktriage(&["explain", "kubernetes"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "ktriage: unknown cause `kubernetes` (see `ktriage rules`)\n"
    );
}

/// Every correlation id `rules` lists has its own documentation.
#[test]
fn explain_documents_the_correlations() {
    for cause in [
        "rollout-regression",
        "shared-dependency-down",
        "node-correlated",
        "control-plane-disruption",
        "fleet",
    ] {
        let out = ktriage(&["explain", cause]);
        assert_eq!(out.status.code(), Some(0), "{cause}");
        let text = stdout(&out);
        assert!(
            text.starts_with(&format!("# `{cause}` (a correlation)")),
            "{text}"
        );
        for heading in [
            "## What it detects",
            "## Evidence",
            "## Remedy",
            "## Not covered",
        ] {
            assert!(text.contains(heading), "{cause} lacks {heading}");
        }
    }
}

/// `rules --format json` lists rules, correlations and the reason names `explain` accepts.
#[test]
fn rules_as_json() {
    let out = ktriage(&["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules = list["rules"].as_array().expect("rules");
    assert!(rules.len() >= 30);
    let oom = rules
        .iter()
        .find(|r| r["cause"] == "oom-killed")
        .expect("oom-killed");
    assert!(oom["summary"].as_str().expect("summary").contains("memory"));
    let correlations: Vec<&str> = list["correlations"]
        .as_array()
        .expect("correlations")
        .iter()
        .map(|c| c["cause"].as_str().expect("cause"))
        .collect();
    assert_eq!(
        correlations,
        [
            "control-plane-disruption",
            "fleet",
            "node-correlated",
            "rollout-regression",
            "shared-dependency-down"
        ]
    );
    let pull = list["aliases"]
        .as_array()
        .expect("aliases")
        .iter()
        .find(|a| a["name"] == "ImagePullBackOff")
        .expect("ImagePullBackOff");
    assert_eq!(pull["causes"], serde_json::json!(["image-pull"]));
}

/// Copies a sample bundle directory to `to`, to change it in a test.
fn copy_sample(name: &str, to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read_dir") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }
    copy(&samples().join(name), to);
}

/// Tabs and control characters in quoted log lines stay readable in every format: tabs become
/// spaces, an escape character is shown as `\x1b`, never Rust's `\u{9}` form nor the raw byte.
#[test]
fn control_characters_in_logs_are_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bad-args");
    copy_sample("bad-args", &bundle);
    for pod in ["inventory-fk8l94n2m2-tsfnc", "inventory-fk8l94n2m2-v4mgd"] {
        let log = bundle.join(format!("logs/shop/{pod}/inventory.previous.log"));
        let mut text = std::fs::read_to_string(&log).expect("log");
        text.push_str("2026-11-28T04:57:50.008302999Z \x1b[31mexit\x1b[0m:\tstatus 2\n");
        std::fs::write(&log, text).expect("write log");
    }
    let path = bundle.to_str().expect("utf-8");
    for format in ["table", "json", "markdown"] {
        let out = ktriage(&["analyze", "--format", format, path]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(!text.contains("u{"), "{format}: {text}");
        assert!(
            !text.contains('\x1b') && !text.contains('\t'),
            "{format}: {text}"
        );
        if format != "table" {
            // The Go flag usage indents with a tab after four spaces: one tab stop, 8 columns.
            assert!(
                text.contains("        HTTP listen address (default"),
                "{format}: {text}"
            );
            let escaped = if format == "json" {
                r"\\x1b[31mexit\\x1b[0m:    status 2"
            } else {
                r"\x1b[31mexit\x1b[0m:    status 2"
            };
            assert!(text.contains(escaped), "{format}: {text}");
        }
    }
}

/// `-o -` writes to standard output (no file named `-`), for `analyze` and `merge`.
#[test]
fn output_dash_is_stdout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = samples().join("oom-killed");
    let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .current_dir(dir.path())
        .args(["analyze", "--format", "json", "-o", "-"])
        .arg(&sample)
        .output()
        .expect("ktriage runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(report["findings"][0]["cause"], "oom-killed");
    let shard = dir.path().join("shard.json");
    std::fs::write(&shard, &out.stdout).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .current_dir(dir.path())
        .args([
            "merge",
            "--format",
            "markdown",
            "--output",
            "-",
            "shard.json",
        ])
        .output()
        .expect("ktriage runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("# ktriage report"));
    assert!(!dir.path().join("-").exists());
}

/// Counts in summary lines agree with their number: "1 warning", "2 warnings".
#[test]
fn one_warning_is_singular() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("oom-killed");
    copy_sample("oom-killed", &bundle);
    std::fs::write(
        bundle.join("namespaces/shop/cronjobs.yaml"),
        "apiVersion: v1\nitems: [\nkind: List\n",
    )
    .expect("write");
    let out = ktriage(&["analyze", bundle.to_str().expect("utf-8")]);
    let text = stdout(&out);
    assert!(
        text.starts_with("ktriage: 1 bundle, 1 cluster, 1 finding (1 high)"),
        "{text}"
    );
    assert!(
        text.contains("\n1 warning (files not read or collected)"),
        "{text}"
    );
    std::fs::write(
        bundle.join("namespaces/shop/jobs.yaml"),
        "apiVersion: v1\nitems: [\nkind: List\n",
    )
    .expect("write");
    let text = stdout(&ktriage(&["analyze", bundle.to_str().expect("utf-8")]));
    assert!(text.contains("\n2 warnings (files"), "{text}");
}

/// A file or directory inside a bundle is not a bundle of 0 pods: the failure names the bundle.
#[test]
fn a_path_inside_a_bundle_names_the_bundle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (inside, what) in [
        ("samples/oom-killed/manifest.json", "a file"),
        ("samples/oom-killed/namespaces", "a directory"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
            .current_dir(root)
            .args(["analyze", "--format", "json", inside])
            .output()
            .expect("ktriage runs");
        assert_eq!(out.status.code(), Some(2), "{inside}");
        let message = format!(
            "`{inside}` is {what} inside the bundle `samples/oom-killed`, not a bundle: analyze `samples/oom-killed`"
        );
        assert_eq!(stderr(&out), format!("ktriage: error: {message}\n"));
        let report: Value = serde_json::from_slice(&out.stdout).expect("json");
        let bundles = report["bundles"].as_array().expect("bundles");
        assert_eq!(
            bundles.len(),
            1,
            "one failure, not one per file: {bundles:?}"
        );
        assert_eq!(bundles[0]["status"], "failed");
        assert_eq!(bundles[0]["error"], message.as_str());
    }
}

/// The same bundle named twice (two spellings of a path, a link, a search that finds a path
/// also given) is analyzed once, with a warning naming both paths.
#[cfg(unix)]
#[test]
fn the_same_bundle_twice_is_analyzed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = samples().join("oom-killed");
    let link = dir.path().join("alias");
    std::os::unix::fs::symlink(&sample, &link).expect("symlink");
    let dump = dir.path().join("dump.txt");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bundles/cluster-info-dump-stdout.txt"),
        &dump,
    )
    .expect("copy");
    let hard = dir.path().join("same-dump.txt");
    std::fs::hard_link(&dump, &hard).expect("hard link");
    let (s, l, d, h) = (
        sample.to_str().expect("utf-8"),
        link.to_str().expect("utf-8"),
        dump.to_str().expect("utf-8"),
        hard.to_str().expect("utf-8"),
    );
    let out = ktriage(&["analyze", "--format", "json", s, l, d, h, s]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let paths: Vec<&str> = report["bundles"]
        .as_array()
        .expect("bundles")
        .iter()
        .map(|b| b["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    let err = stderr(&out);
    // Sorted paths: the temporary directory's come first, so they are the ones kept.
    let first = |a: &str, b: &str| {
        if a < b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        }
    };
    let (kept, other) = first(l, s);
    assert!(
        err.contains(&format!(
            "ktriage: warning: `{other}` is the same directory as `{kept}`: analyzed once, as `{kept}`\n"
        )),
        "{err}"
    );
    let (kept, other) = first(d, h);
    assert!(
        err.contains(&format!(
            "ktriage: warning: `{other}` is the same file as `{kept}`: analyzed once, as `{kept}`\n"
        )),
        "{err}"
    );
    // The same path twice: one warning, however often it is given.
    let out = ktriage(&["analyze", "--format", "json", s, s, s]);
    assert_eq!(
        stderr(&out)
            .matches(&format!(
                "ktriage: warning: `{s}` is named more than once: analyzed once\n"
            ))
            .count(),
        1,
        "{}",
        stderr(&out)
    );
    // Copies are different files: both are analyzed.
    let copy = dir.path().join("copy.txt");
    std::fs::copy(&dump, &copy).expect("copy");
    let out = ktriage(&[
        "analyze",
        "--format",
        "json",
        d,
        copy.to_str().expect("utf-8"),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["bundles"].as_array().expect("bundles").len(), 2);
    assert!(!stderr(&out).contains("analyzed once"), "{}", stderr(&out));
}

/// A `--namespace` or `--cluster` value that no bundle holds is a warning naming the value and
/// what the bundles hold, not a quiet "0 findings"; list flags take comma-separated values with
/// spaces around them.
#[test]
fn filters_that_match_nothing_say_so() {
    let (oom, bad) = (samples().join("oom-killed"), samples().join("bad-args"));
    let (oom, bad) = (oom.to_str().expect("utf-8"), bad.to_str().expect("utf-8"));
    let out = ktriage(&[
        "analyze",
        "--format",
        "json",
        "--namespace",
        "shpo",
        oom,
        bad,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "ktriage: warning: --namespace `shpo` matches no namespace of the bundles analyzed, which hold: `shop`\n"
    );
    let out = ktriage(&[
        "analyze",
        "--format",
        "json",
        "--cluster",
        "prod-eu1",
        oom,
        bad,
    ]);
    assert_eq!(
        stderr(&out),
        "ktriage: warning: --cluster `prod-eu1` matches no cluster of the bundles analyzed, which hold: `prod-eu-1`, `staging-eu-1`\n"
    );
    // Lists: `shop` matches, `shpo` does not; spaces and empty items are ignored.
    let out = ktriage(&[
        "analyze",
        "--format",
        "json",
        "--namespace",
        " shpo, shop,",
        "--cluster",
        "prod-eu-1 , staging-eu-1",
        "--select",
        "oom-killed, bad-args",
        "--ignore",
        " dns-failure",
        oom,
        bad,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "ktriage: warning: --namespace `shpo` matches no namespace of the bundles analyzed, which hold: `shop`\n"
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let causes: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["cause"].as_str().expect("cause"))
        .collect();
    assert_eq!(causes, ["bad-args", "oom-killed"]);
    // `--quiet` silences warnings.
    let out = ktriage(&["analyze", "--quiet", "--cluster", "nope", oom]);
    assert_eq!(stderr(&out), "");
}

/// Runs `ktriage` in the crate's directory (so that `samples` stays a relative path).
fn ktriage_here(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("ktriage runs")
}

/// Shard reports say which share they are; `merge` refuses the same shard twice, shards of
/// different runs and overlapping inputs (exit 2), and warns when a shard is missing.
#[test]
fn merge_checks_its_shards() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shard = |k: &str| {
        let path = dir
            .path()
            .join(format!("shard-{}.json", k.replace('/', "-of-")));
        let p = path.to_str().expect("utf-8").to_owned();
        ktriage_here(&[
            "analyze", "--quiet", "--format", "json", "--shard", k, "-o", &p, "samples",
        ]);
        p
    };
    let (s0, s1, s2) = (shard("0/3"), shard("1/3"), shard("2/3"));
    let report: Value =
        serde_json::from_slice(&std::fs::read(&s1).expect("shard report")).expect("json");
    assert_eq!(
        report["shard"],
        serde_json::json!({ "index": 1, "count": 3, "total_inputs": 13 })
    );
    assert!(
        report["bundles"]
            .as_array()
            .expect("bundles")
            .iter()
            .all(|b| b["path"].as_str().expect("path").starts_with("samples/"))
    );
    // All shards: no warning, and no `shard` key in the merged report.
    let out = ktriage(&["merge", &s0, &s1, &s2]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "");
    let merged: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(merged.get("shard").is_none());
    assert_eq!(merged["bundles"].as_array().expect("bundles").len(), 13);
    // A missing shard is a warning naming it.
    let out = ktriage(&["merge", &s0, &s2]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "ktriage: warning: shard 1/3 missing (got 0/3, 2/3): the merged report lacks its bundles\n"
    );
    // The same shard twice.
    let out = ktriage(&["merge", &s0, &s1, &s1]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("ktriage: `{s1}` and `{s1}` are both shard 1/3: give each shard's report once\n")
    );
    assert!(out.stdout.is_empty());
    // Shards of another split of the inputs.
    let other = shard("1/4");
    let out = ktriage(&["merge", &s0, &other]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "ktriage: `{s0}` (shard 0/3 of 13 inputs) and `{other}` (shard 1/4 of 13 inputs) come from different runs\n"
        )
    );
    // A bundle in two reports: its findings would count twice.
    let whole = dir.path().join("oom.json");
    let w = whole.to_str().expect("utf-8");
    ktriage_here(&["analyze", "--format", "json", "-o", w, "samples/oom-killed"]);
    let holder = [&s0, &s1, &s2]
        .into_iter()
        .find(|s| {
            std::fs::read_to_string(s)
                .expect("read")
                .contains("\"samples/oom-killed\"")
        })
        .expect("a shard holds samples/oom-killed");
    let out = ktriage(&["merge", holder, w]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "ktriage: `{holder}` and `{w}` both analyzed `samples/oom-killed`: overlapping inputs (merge the reports of one sharded run, each shard once)\n"
        )
    );
}

/// Markdown escapes the Markdown in names (a cluster name is free text) and shows bundle paths
/// as given: relative stays relative, and Markdown characters in a path are not mangled.
#[test]
fn markdown_escapes_names_and_keeps_paths_as_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("case_*7*");
    copy_sample("oom-killed", &bundle);
    let manifest = bundle.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(
        &manifest,
        text.replace(
            "\"cluster\": \"prod-eu-1\"",
            "\"cluster\": \"prod|eu_1 <b>\"",
        ),
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .current_dir(dir.path())
        .args(["analyze", "--format", "markdown", "case_*7*"])
        .output()
        .expect("ktriage runs");
    let md = stdout(&out);
    assert!(
        md.contains(
            "| `case_*7*` | ktriage | prod\\|eu\\_1 \\<b\\> | 2026-11-28T05:00:00Z | ok |\n"
        ),
        "{md}"
    );
    assert!(
        md.contains("- **where:** cluster `prod|eu_1 <b>`, namespace `shop`"),
        "{md}"
    );
}
