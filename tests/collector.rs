//! End-to-end tests of `collector/ktriage-collect`: the real script runs against a fake kubectl
//! (`tests/data/collector/fake-kubectl`) that answers from recorded kubectl output, so no cluster
//! and no network are needed. Checks the bundle layout and manifest (docs/design.md §2), redaction,
//! the clear failures, and that `ktriage analyze` reads the result.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers too: a panic with its location is the failure report"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

#[path = "support/redaction_corpus.rs"]
mod redaction_corpus;

const CONTEXT: &str = "jane@prod-eu-1";
const CRASHING_POD: &str = "api-6d8f9c7b5-x2k9p";
const NAMESPACES: [&str; 6] = [
    "default",
    "kube-node-lease",
    "kube-public",
    "kube-system",
    "payments",
    "shop",
];

/// Secret values in the fake cluster's Secrets (base64 as stored, and decoded).
const SECRET_VALUES: [&str; 8] = [
    "U3VwM3ItUzNjcmV0LURCLXBhc3Mh",
    "Sup3r-S3cret-DB-pass!",
    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t",
    "DTlsKeyForTestsOnly",
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t",
    "FakeCertificateForKtriageTests",
    "eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxl",
    "Reg1stry-Pa55-9d2f",
];
/// Env values of variables with sensitive names, and a password inside a URL.
const ENV_CREDENTIALS: [&str; 4] = [
    "env-Hunter2-literal",
    "tok_live_4f9a8b7c6d5e3f2a",
    "UrlPa55w0rd",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYJOBKEYVALUE",
];
/// Credentials printed by the crash-looping container.
const LOG_CREDENTIALS: [&str; 9] = [
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Imsxc2hvcCJ9",
    "S3cr3tPass",
    "hunter2",
    "Sm7p-Pa55word-x1",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_K7qTz3NwX9bVc2LmR8sDf4HjP6yGa1UeWo5i",
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
];
const CONFIGMAP_VALUE: &str = "cm-visible-only-with-flag-7731";

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The kinds the script collects per namespace, read from its own `resources='...'` list (the
/// analyzer's unit tests check that list against the kinds the model keeps).
fn resources() -> Vec<String> {
    let script = fs::read_to_string(repo_path("collector/ktriage-collect")).unwrap();
    let list = script
        .lines()
        .find_map(|l| l.strip_prefix("resources='")?.strip_suffix('\''))
        .expect("the script's `resources='...'` list");
    list.split_whitespace().map(str::to_owned).collect()
}

/// `bash` from the test's own PATH: the collector runs under PATHs that may lack it.
fn bash() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("bash"))
        .find(|p| p.is_file())
        .expect("bash on PATH")
}

/// A scratch directory with `bin/kubectl` (the fake), a log of its invocations, and `TMPDIR`.
struct Sandbox {
    dir: tempfile::TempDir,
}

/// One collector run and what it left behind.
struct Collected {
    output: Output,
    bundle: PathBuf,
    /// Where the bundle was unpacked (its one top directory).
    root: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        fs::create_dir(dir.path().join("tmp")).unwrap();
        // A copy made executable here, so the fake's file mode in git does not matter, and
        // started by this bash directly (no `env` hop: the collector runs it ~100 times).
        let fake = fs::read_to_string(repo_path("tests/data/collector/fake-kubectl")).unwrap();
        let body = fake.split_once('\n').unwrap().1;
        let kubectl = bin.join("kubectl");
        fs::write(&kubectl, format!("#!{}\n{body}", bash().display())).unwrap();
        fs::set_permissions(&kubectl, fs::Permissions::from_mode(0o755)).unwrap();
        Sandbox { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The collector with the fake kubectl first on PATH, run in the sandbox.
    fn collector(&self, args: &[&str]) -> Command {
        self.collector_with_path(args, &self.path().join("bin"))
    }

    fn collector_with_path(&self, args: &[&str], first: &Path) -> Command {
        self.script_with_path(&repo_path("collector/ktriage-collect"), args, first)
    }

    /// The collector run as `script` (the repository's file, or a link to it under another
    /// name), with `first` first on PATH.
    fn script_with_path(&self, script: &Path, args: &[&str], first: &Path) -> Command {
        let mut paths = vec![first.to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let mut cmd = Command::new(bash());
        cmd.arg(script)
            .args(args)
            .current_dir(self.path())
            .env("PATH", std::env::join_paths(paths).unwrap())
            .env("TMPDIR", self.path().join("tmp"))
            .env("FAKE_KUBECTL_LOG", self.path().join("kubectl-argv.log"))
            .env(
                "FAKE_KUBECTL_RESPONSES",
                repo_path("tests/data/collector/responses"),
            );
        for knob in [
            "FAKE_KUBECTL_NO_CONTEXT",
            "FAKE_KUBECTL_UNREACHABLE",
            "FAKE_KUBECTL_TEMPLATE_ERROR",
            "FAKE_KUBECTL_NAMESPACES_FORBIDDEN",
            "FAKE_KUBECTL_METRICS_DOWN",
            "KUBECONFIG",
        ] {
            cmd.env_remove(knob);
        }
        cmd
    }

    /// Runs the collector writing `bundle.tar.gz`, expects success, and unpacks the bundle.
    fn collect(&self, args: &[&str]) -> Collected {
        self.collect_with(args, &[])
    }

    /// As `collect`, with environment variables set (the fake's switches).
    fn collect_with(&self, args: &[&str], env: &[(&str, &str)]) -> Collected {
        let bundle = self.path().join("bundle.tar.gz");
        let mut all = vec!["-o", bundle.to_str().unwrap()];
        all.extend_from_slice(args);
        let mut cmd = self.collector(&all);
        cmd.envs(env.iter().copied());
        let output = cmd.output().unwrap();
        assert_success(&output);
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            bundle.to_str().unwrap()
        );
        let root = unpack(&bundle, &self.path().join("unpacked"));
        Collected {
            output,
            bundle,
            root,
        }
    }

    /// Every kubectl invocation so far, each as its argument list.
    fn kubectl_calls(&self) -> Vec<Vec<String>> {
        let log = fs::read_to_string(self.path().join("kubectl-argv.log")).unwrap_or_default();
        log.lines()
            .map(|line| {
                line.trim_end_matches('\t')
                    .split('\t')
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    /// Files other than the fake `bin/`, the argv log and `tmp/` (which must be empty).
    fn leftovers(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !["bin", "tmp", "kubectl-argv.log"].contains(&n.as_str()))
            .collect();
        names.sort();
        let tmp = fs::read_dir(self.path().join("tmp")).unwrap().count();
        assert_eq!(tmp, 0, "the collector left its temporary directory behind");
        names
    }
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "collector failed ({:?}):\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Unpacks a bundle with `tar` and returns its single top directory.
fn unpack(bundle: &Path, into: &Path) -> PathBuf {
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        listing.status.success(),
        "not a .tar.gz: {}",
        bundle.display()
    );
    let listing = String::from_utf8(listing.stdout).unwrap();
    let mut tops: Vec<&str> = listing
        .lines()
        .map(|l| l.trim_start_matches("./").split('/').next().unwrap())
        .collect();
    tops.dedup();
    assert_eq!(tops.len(), 1, "expected one top directory, got {tops:?}");
    fs::create_dir_all(into).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(bundle)
        .arg("-C")
        .arg(into)
        .status()
        .unwrap();
    assert!(status.success());
    into.join(tops[0])
}

/// Paths of all regular files under `root`, relative, sorted.
fn files_under(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn manifest(root: &Path) -> Value {
    serde_json::from_str(&read(root, "manifest.json")).expect("manifest.json is valid JSON")
}

/// Fails if any of `needles` occurs in any file of the unpacked bundle.
fn assert_absent_everywhere(root: &Path, needles: &[&str]) {
    for rel in files_under(root) {
        let text = String::from_utf8_lossy(&fs::read(root.join(&rel)).unwrap()).into_owned();
        for needle in needles {
            assert!(!text.contains(needle), "`{needle}` leaked into {rel}");
        }
    }
}

/// Fails if the collector ever asked kubectl for Secrets in a form that carries values.
fn assert_secrets_fetched_keys_only(sandbox: &Sandbox) {
    let calls = sandbox.kubectl_calls();
    let secret_gets: Vec<&Vec<String>> = calls
        .iter()
        .filter(|args| {
            args.iter().any(|a| a == "get")
                && args
                    .iter()
                    .any(|a| a == "secret" || a == "secrets" || a.starts_with("secret"))
        })
        .collect();
    assert!(!secret_gets.is_empty(), "Secrets were never listed");
    for args in secret_gets {
        let format = args
            .iter()
            .position(|a| a == "-o" || a == "--output")
            .and_then(|i| args.get(i + 1))
            .expect("`get secrets` without -o");
        assert!(
            format.starts_with("go-template="),
            "Secrets fetched as `{format}`: {args:?}"
        );
    }
}

fn expected_files(namespaces: &[&str], logs: &[&str]) -> Vec<String> {
    let mut files = vec![
        "manifest.json".to_owned(),
        "cluster/version.yaml".to_owned(),
        "cluster/nodes.yaml".to_owned(),
        "cluster/namespaces.yaml".to_owned(),
    ];
    let resources = resources();
    for ns in namespaces {
        files.extend(
            resources
                .iter()
                .map(|r| format!("namespaces/{ns}/{r}.yaml")),
        );
    }
    files.extend(logs.iter().map(|l| format!("logs/shop/{l}")));
    files.sort();
    files
}

/// Logs the default selection fetches: restarted, waiting or failed containers only.
const DEFAULT_LOGS: [&str; 4] = [
    "api-6d8f9c7b5-x2k9p/api.log",
    "api-6d8f9c7b5-x2k9p/api.previous.log",
    "api-6d8f9c7b5-x2k9p/migrate.log",
    "report-28871234-5xk2w/report.log",
];

#[test]
fn collects_the_documented_layout() {
    let sandbox = Sandbox::new();
    let run = sandbox.collect(&[]);
    let readable: Vec<&str> = NAMESPACES
        .into_iter()
        .filter(|n| *n != "payments")
        .collect();
    // `payments` answers Forbidden to everything: its directory stays empty.
    assert_eq!(
        files_under(&run.root),
        expected_files(&readable, &DEFAULT_LOGS)
    );
    let top = run.root.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        top.starts_with("ktriage-jane_prod-eu-1-"),
        "top directory {top}"
    );
    assert_eq!(sandbox.leftovers(), ["bundle.tar.gz", "unpacked"]);
    assert!(fs::metadata(&run.bundle).unwrap().len() > 0);

    // Files are kubectl's own output (Lists), apart from the documented redactions.
    let pods = read(&run.root, "namespaces/shop/pods.yaml");
    assert!(pods.starts_with("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n"));
    assert!(pods.contains("reason: CrashLoopBackOff"));
    assert!(read(&run.root, "cluster/version.yaml").contains("gitVersion: v1.31.2"));
    assert_eq!(
        read(&run.root, "namespaces/kube-system/pods.yaml"),
        "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"
    );
    // The crash-looping instance: current and previous logs, line for line.
    let log = read(&run.root, "logs/shop/api-6d8f9c7b5-x2k9p/api.previous.log");
    assert_eq!(log.lines().count(), 19);
    assert!(log.starts_with("2026-11-28T04:57:51.204518331Z INFO  starting shop-api"));
    assert!(!run.root.join("logs/shop/web-5c7f8d9b4-q7m2n").exists());

    let calls = sandbox.kubectl_calls();
    // Namespaces are listed once, and that list is the bundle's cluster/namespaces.yaml.
    let namespace_calls: Vec<String> = calls
        .iter()
        .filter(|a| a.get(3).is_some_and(|r| r.starts_with("namespace")))
        .map(|a| a[2..].join(" "))
        .collect();
    assert_eq!(namespace_calls, ["get namespaces -o yaml"]);
    assert_eq!(
        read(&run.root, "cluster/namespaces.yaml"),
        fs::read_to_string(repo_path(
            "tests/data/collector/responses/cluster/namespaces.yaml"
        ))
        .unwrap()
    );
    for args in &calls {
        if args[..2] != ["config", "current-context"] {
            assert_eq!(
                args[..2],
                ["--context", CONTEXT],
                "call without the context: {args:?}"
            );
        }
    }
    let logs: Vec<String> = calls
        .iter()
        .filter(|a| a.get(2).is_some_and(|v| v == "logs"))
        .map(|a| a[3..].join(" "))
        .collect();
    let mut logs_sorted = logs.clone();
    logs_sorted.sort();
    assert_eq!(
        logs_sorted,
        [
            "--timestamps --tail=1000 --previous -n shop api-6d8f9c7b5-x2k9p -c api",
            "--timestamps --tail=1000 --previous -n shop api-6d8f9c7b5-x2k9p -c migrate",
            "--timestamps --tail=1000 -n shop api-6d8f9c7b5-x2k9p -c api",
            "--timestamps --tail=1000 -n shop api-6d8f9c7b5-x2k9p -c migrate",
            "--timestamps --tail=1000 -n shop report-28871234-5xk2w -c report",
        ]
    );
}

#[test]
fn manifest_has_the_required_keys_and_records_failures() {
    let sandbox = Sandbox::new();
    let run = sandbox.collect(&["-n", "payments,shop", "-n", "shop"]);
    let m = manifest(&run.root);
    assert_eq!(m["format"], "ktriage-bundle");
    assert_eq!(m["format_version"], 1);
    assert_eq!(m["cluster"], CONTEXT);
    assert_eq!(m["context"], CONTEXT);
    assert_eq!(m["collector"]["name"], "ktriage-collect");
    assert_eq!(m["collector"]["version"], "0.1.0");
    assert_eq!(m["server_version"], "v1.31.2");
    assert_eq!(m["namespaces"], serde_json::json!(["payments", "shop"]));
    assert_eq!(
        m["options"],
        serde_json::json!({"tail_lines": 1000, "since": null, "redact": true,
            "configmap_values": false, "all_logs": false})
    );
    // collected_at: UTC, second precision, the same instant as the top directory's stamp.
    let at = m["collected_at"].as_str().unwrap();
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "collected_at {at}"
    );
    let compact: String = at.chars().filter(|c| *c != '-' && *c != ':').collect();
    assert!(
        run.root
            .ends_with(format!("ktriage-jane_prod-eu-1-{compact}"))
    );

    let errors = m["errors"].as_array().unwrap();
    let forbidden: Vec<&Value> = errors
        .iter()
        .filter(|e| e["command"].as_str().unwrap().contains("-n payments"))
        .collect();
    // Every resource list plus the container listing for log selection.
    assert_eq!(forbidden.len(), resources().len() + 1, "{errors:#?}");
    for e in errors {
        assert_eq!(e["stderr_noise_lines"], 0, "{e}");
    }
    for e in &forbidden {
        assert_eq!(e["exit_code"], 1);
        let stderr = e["stderr"].as_str().unwrap();
        assert!(
            stderr.starts_with("Error from server (Forbidden): ")
                && stderr.contains(r#"User "jane" cannot list resource"#)
                && stderr.ends_with(r#"in the namespace "payments""#),
            "{stderr}"
        );
    }
    assert_eq!(
        forbidden[0]["command"],
        "kubectl get pods -n payments -o yaml"
    );
    assert_eq!(forbidden[0]["file"], "namespaces/payments/pods.yaml");
    let previous: Vec<&Value> = errors
        .iter()
        .filter(|e| !e["command"].as_str().unwrap().contains("-n payments"))
        .collect();
    assert_eq!(previous.len(), 1, "{errors:#?}");
    assert_eq!(
        previous[0]["command"],
        "kubectl logs --timestamps --tail=1000 --previous -n shop api-6d8f9c7b5-x2k9p -c migrate"
    );
    assert_eq!(
        previous[0]["stderr"],
        r#"Error from server (BadRequest): previous terminated container "migrate" in pod "api-6d8f9c7b5-x2k9p" not found"#
    );
    assert_eq!(
        previous[0]["file"],
        "logs/shop/api-6d8f9c7b5-x2k9p/migrate.previous.log"
    );
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(stderr.contains("16 failed kubectl calls"), "{stderr}");
}

#[test]
fn redacts_secrets_env_values_and_log_credentials() {
    let sandbox = Sandbox::new();
    let run = sandbox.collect(&["-n", "shop"]);
    assert_secrets_fetched_keys_only(&sandbox);
    assert_absent_everywhere(&run.root, &SECRET_VALUES);
    assert_absent_everywhere(&run.root, &ENV_CREDENTIALS);
    assert_absent_everywhere(&run.root, &LOG_CREDENTIALS);
    assert_absent_everywhere(&run.root, &[CONFIGMAP_VALUE]);

    // Secrets and ConfigMaps keep names, labels, type and keys.
    let secrets = read(&run.root, "namespaces/shop/secrets.yaml");
    for kept in [
        "  kind: Secret\n",
        "    name: \"db-credentials\"\n",
        "    \"password\": <redacted>\n",
        "    \"username\": <redacted>\n",
        "    \"tls.key\": <redacted>\n",
        "    \".dockerconfigjson\": <redacted>\n",
        "      \"app.kubernetes.io/part-of\": \"shop\"\n",
        "  type: \"kubernetes.io/tls\"\n",
    ] {
        assert!(
            secrets.contains(kept),
            "secrets.yaml lacks {kept:?}:\n{secrets}"
        );
    }
    assert!(!secrets.contains("last-applied-configuration"));
    let configmaps = read(&run.root, "namespaces/shop/configmaps.yaml");
    assert!(configmaps.contains("    \"application.yaml\": <redacted>\n"));
    assert!(configmaps.contains("    name: \"kube-root-ca.crt\"\n"));

    // Sensitive env values go, the others stay; so does the rest of a URL.
    for file in ["pods", "deployments", "replicasets"] {
        let yaml = read(&run.root, &format!("namespaces/shop/{file}.yaml"));
        for kept in [
            "- name: DB_PASSWORD\n",
            "value: db.shop.svc.cluster.local\n",
            "value: info\n",
            "value: http://payments.payments.svc.cluster.local:8080\n",
            "value: postgres://app:<redacted>@db.shop.svc.cluster.local:5432/shop?sslmode=require\n",
        ] {
            assert!(yaml.contains(kept), "{file}.yaml lacks {kept:?}");
        }
        assert!(yaml.contains("- name: API_TOKEN\n") && yaml.contains("value: <redacted>\n"));
    }
    // Also inside the last-applied-configuration JSON.
    let deployments = read(&run.root, "namespaces/shop/deployments.yaml");
    assert!(deployments.contains(r#"{"name":"DB_PASSWORD","value":"<redacted>"}"#));
    assert!(deployments.contains(r#"{"name":"LOG_LEVEL","value":"info"}"#));

    // Credentials go, the lines around them (and the diagnosis) stay, line for line.
    let log = read(&run.root, "logs/shop/api-6d8f9c7b5-x2k9p/api.log");
    for kept in [
        " INFO  starting shop-api version=1.8.2 commit=9f3c2ab go=go1.23.4\n",
        "headers=map[Authorization: Bearer <redacted>]\n",
        "connecting to postgres://app:<redacted>@db:5432/shop?sslmode=disable\n",
        " user=app password=<redacted> dbname=shop\n",
        r#""smtp_password":"<redacted>"}"#,
        "access_key_id=<redacted> aws_secret_access_key=<redacted>\n",
        " using token <redacted>\n",
        "Z -----BEGIN RSA PRIVATE KEY-----\n2026-11-28T04:57:51.205633478Z <redacted>\n",
        "Z -----END RSA PRIVATE KEY-----\n",
        r#"FATAL:  password authentication failed for user "app" (SQLSTATE 28P01)"#,
    ] {
        assert!(log.contains(kept), "api.log lacks {kept:?}:\n{log}");
    }
    assert_eq!(log.lines().count(), 19);
    assert!(
        read(&run.root, "logs/shop/api-6d8f9c7b5-x2k9p/migrate.log")
            .contains("applied 44_drop_legacy_carts.sql")
    );
}

#[test]
fn no_redact_keeps_log_credentials_but_never_secret_values() {
    let sandbox = Sandbox::new();
    let run = sandbox.collect(&["--no-redact", "-n", "shop"]);
    assert_secrets_fetched_keys_only(&sandbox);
    assert_absent_everywhere(&run.root, &SECRET_VALUES);
    assert_absent_everywhere(&run.root, &[CONFIGMAP_VALUE]);
    let log = read(&run.root, "logs/shop/api-6d8f9c7b5-x2k9p/api.log");
    for kept in LOG_CREDENTIALS {
        assert!(log.contains(kept), "--no-redact dropped {kept}");
    }
    let original = fs::read_to_string(repo_path(
        "tests/data/collector/responses/logs/shop/api-6d8f9c7b5-x2k9p/api.log",
    ))
    .unwrap();
    assert_eq!(log, original);
    let pods = read(&run.root, "namespaces/shop/pods.yaml");
    for kept in ENV_CREDENTIALS {
        assert!(pods.contains(kept), "--no-redact dropped {kept}");
    }
    let m = manifest(&run.root);
    assert_eq!(m["options"]["redact"], false);
    assert_eq!(m["namespaces"], serde_json::json!(["shop"]));
}

#[test]
fn configmap_values_keeps_configmap_values_only() {
    let sandbox = Sandbox::new();
    let run = sandbox.collect(&["--configmap-values", "-n", "shop", "--all-logs"]);
    assert_secrets_fetched_keys_only(&sandbox);
    assert_absent_everywhere(&run.root, &SECRET_VALUES);
    assert_absent_everywhere(&run.root, &ENV_CREDENTIALS);
    assert_absent_everywhere(&run.root, &LOG_CREDENTIALS);
    let configmaps = read(&run.root, "namespaces/shop/configmaps.yaml");
    assert!(configmaps.contains(&format!("feature-flag: {CONFIGMAP_VALUE}")));
    assert!(configmaps.contains("-----BEGIN CERTIFICATE-----"));
    let m = manifest(&run.root);
    assert_eq!(m["options"]["configmap_values"], true);
    assert_eq!(m["options"]["all_logs"], true);
    // --all-logs: the healthy container too (no previous log: it never restarted).
    let mut logs = DEFAULT_LOGS.to_vec();
    logs.push("web-5c7f8d9b4-q7m2n/nginx.log");
    assert_eq!(files_under(&run.root), expected_files(&["shop"], &logs));
}

/// When a Go template fails, kubectl prints the raw objects (Secret values) on stdout.
#[test]
fn failed_template_never_writes_raw_secrets() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.path().join("bundle.tar.gz");
    let output = sandbox
        .collector(&["-n", "shop", "-o", bundle.to_str().unwrap()])
        .env("FAKE_KUBECTL_TEMPLATE_ERROR", "1")
        .output()
        .unwrap();
    assert_success(&output);
    let root = unpack(&bundle, &sandbox.path().join("unpacked"));
    assert_absent_everywhere(&root, &SECRET_VALUES);
    assert_absent_everywhere(&root, &[CONFIGMAP_VALUE, "raw data was"]);
    assert!(!root.join("namespaces/shop/secrets.yaml").exists());
    let files: Vec<String> = manifest(&root)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap_or("-").to_owned())
        .collect();
    assert_eq!(
        files,
        [
            "namespaces/shop/configmaps.yaml",
            "namespaces/shop/secrets.yaml",
            "-"
        ]
    );
}

#[test]
fn cluster_name_default_output_and_log_options() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .collector(&[
            "--cluster",
            "prod-eu-1",
            "-n",
            "shop",
            "--tail",
            "5",
            "--since",
            "2h",
            "-j",
            "2",
        ])
        .output()
        .unwrap();
    assert_success(&output);
    let names = sandbox.leftovers();
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    assert!(
        name.starts_with("ktriage-prod-eu-1-") && name.ends_with("Z.tar.gz"),
        "default output {name}"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        name.as_str()
    );
    let root = unpack(&sandbox.path().join(name), &sandbox.path().join("unpacked"));
    let m = manifest(&root);
    assert_eq!(m["cluster"], "prod-eu-1");
    assert_eq!(m["context"], CONTEXT);
    assert_eq!(m["options"]["tail_lines"], 5);
    assert_eq!(m["options"]["since"], "2h");
    let log = read(&root, "logs/shop/api-6d8f9c7b5-x2k9p/api.log");
    assert_eq!(log.lines().count(), 5);
    assert!(
        log.ends_with(
            "ERROR startup check failed: database: authentication failed; shutting down\n"
        )
    );
    for args in sandbox.kubectl_calls() {
        if args.get(2).is_some_and(|v| v == "logs") {
            assert!(
                args.contains(&"--since=2h".to_owned()) && args.contains(&"--tail=5".to_owned())
            );
        }
    }
}

fn assert_fails(output: &Output, code: i32, messages: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    for m in messages {
        assert!(stderr.contains(m), "stderr lacks {m:?}: {stderr}");
    }
    assert!(output.stdout.is_empty());
}

#[test]
fn fails_clearly_without_kubectl() {
    let sandbox = Sandbox::new();
    let empty = sandbox.path().join("empty-bin");
    fs::create_dir(&empty).unwrap();
    let output = sandbox.collector(&[]).env("PATH", &empty).output().unwrap();
    assert_fails(
        &output,
        1,
        &["ktriage-collect: error: kubectl not found in PATH"],
    );
    assert_eq!(sandbox.leftovers(), ["empty-bin"]);
}

#[test]
fn fails_clearly_without_a_current_context() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .collector(&[])
        .env("FAKE_KUBECTL_NO_CONTEXT", "1")
        .output()
        .unwrap();
    assert_fails(
        &output,
        1,
        &[
            "no current kubeconfig context",
            "current-context is not set",
            "--context NAME",
        ],
    );
    assert!(sandbox.leftovers().is_empty());
    assert_eq!(sandbox.kubectl_calls(), [["config", "current-context"]]);
}

#[test]
fn fails_clearly_when_the_cluster_is_unreachable() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .collector(&[])
        .env("FAKE_KUBECTL_UNREACHABLE", "1")
        .output()
        .unwrap();
    assert_fails(
        &output,
        1,
        &[
            "cannot reach the cluster of context `jane@prod-eu-1`",
            "The connection to the server 10.20.0.1:6443 was refused",
        ],
    );
    assert!(sandbox.leftovers().is_empty(), "no bundle, no partial file");

    let output = sandbox.collector(&["--context", "nope"]).output().unwrap();
    assert_fails(
        &output,
        1,
        &[
            "cluster of context `nope`",
            r#"error: context "nope" does not exist"#,
        ],
    );
}

#[test]
fn fails_clearly_when_the_output_is_not_writable() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path().join("no-such-dir/bundle.tar.gz");
    let output = sandbox
        .collector(&["-o", missing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_fails(&output, 1, &["cannot write", "no-such-dir` does not exist"]);

    let output = sandbox
        .collector(&["-o", sandbox.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_fails(&output, 1, &["cannot write", "is a directory"]);

    let locked = sandbox.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // root may write anyway; then there is nothing to check.
    if fs::write(locked.join("probe"), "").is_err() {
        let target = locked.join("bundle.tar.gz");
        let output = sandbox
            .collector(&["-o", target.to_str().unwrap()])
            .output()
            .unwrap();
        assert_fails(&output, 1, &["cannot write", "is not writable"]);
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    // Checked before collecting anything.
    assert!(
        sandbox
            .kubectl_calls()
            .iter()
            .all(|a| a[..2] == ["config", "current-context"]),
        "{:?}",
        sandbox.kubectl_calls()
    );
}

#[test]
fn usage_and_help() {
    let sandbox = Sandbox::new();
    let output = sandbox.collector(&["--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--kubeconfig FILE",
        "--context C",
        "--cluster NAME",
        "-n, --namespace NS",
        "-A, --all-namespaces",
        "--tail N",
        "--since D",
        "--all-logs",
        "--no-redact",
        "--configmap-values",
        "-j, --jobs JOBS",
        "-o, --output FILE",
    ] {
        assert!(help.contains(option), "--help lacks {option}");
    }
    // What goes over the wire for Secrets, what is written, and the permissions, said exactly.
    let help_text = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for statement in [
        "The API server sends each Secret whole, values included, to kubectl",
        "prints only name, labels, type and key names, so values are never written to the bundle or to disk",
        "-A: `list` on namespaces; -n NS: `get` on namespaces/NS (without it NS is collected anyway)",
        "`list` on nodes (cluster scope)",
        "networkpolicies, configmaps and secrets; `get` on pods and pods/log",
        "or no namespace to collect (namespaces may not be listed: name them with -n;",
    ] {
        assert!(
            help_text.contains(statement),
            "--help lacks {statement:?}:\n{help}"
        );
    }
    for args in [
        &["-n", "shop", "-A"][..],
        &["--tail", "many"],
        &["--since", "yesterday"],
        &["-j", "0"],
        &["-n", "../etc"],
        &["--what"],
        &["-o"],
    ] {
        let output = sandbox.collector(args).output().unwrap();
        assert_fails(&output, 2, &["Try `ktriage-collect --help`."]);
    }
    assert!(sandbox.kubectl_calls().is_empty());
}

/// The collector installed as a kubectl plugin: `kubectl-ktriage_collect` on PATH, which
/// kubectl runs for `kubectl ktriage-collect`.
fn install_plugin(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.path().join("plugins");
    fs::create_dir(&dir).unwrap();
    let plugin = dir.join("kubectl-ktriage_collect");
    std::os::unix::fs::symlink(repo_path("collector/ktriage-collect"), &plugin).unwrap();
    plugin
}

#[test]
fn under_its_plugin_name_it_names_the_kubectl_command() {
    let sandbox = Sandbox::new();
    let plugin = install_plugin(&sandbox);
    let bin = sandbox.path().join("bin");
    let output = sandbox
        .script_with_path(&plugin, &["--help"], &bin)
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.starts_with("kubectl ktriage-collect: dump a cluster's state"),
        "{help}"
    );
    assert!(help.contains(
        "Usage: kubectl ktriage-collect [--kubeconfig FILE] [--context C] [--cluster NAME] [-n NS ... | -A]"
    ));
    // The continuation lines stay aligned under the options of the first.
    assert!(help.contains(
        "\n                               [--tail N] [--since D] [--all-logs] [--no-redact]"
    ));
    assert!(help.contains("\n                               [-j JOBS] [-o FILE]\n"));
    let output = sandbox
        .script_with_path(&plugin, &["--what"], &bin)
        .output()
        .unwrap();
    assert_fails(
        &output,
        2,
        &[
            "ktriage-collect: unexpected argument `--what`",
            "Try `kubectl ktriage-collect --help`.",
        ],
    );
    // It collects the same under either name.
    let bundle = sandbox.path().join("bundle.tar.gz");
    let output = sandbox
        .script_with_path(&plugin, &["-o", bundle.to_str().unwrap()], &bin)
        .output()
        .unwrap();
    assert_success(&output);
    let root = unpack(&bundle, &sandbox.path().join("unpacked"));
    let manifest: Value = serde_json::from_str(&read(&root, "manifest.json")).unwrap();
    assert_eq!(manifest["collector"]["name"], "ktriage-collect");
}

/// kubectl itself finds the plugin and runs it. Needs a real kubectl on the test's PATH (the
/// development machines and CI have one); elsewhere there is nothing to run it with.
#[test]
fn kubectl_runs_the_plugin() {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let Some(kubectl) = std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|p| p.is_file())
    else {
        eprintln!("no kubectl on PATH: kubectl_runs_the_plugin checks nothing here");
        return;
    };
    let sandbox = Sandbox::new();
    let plugin = install_plugin(&sandbox);
    let mut paths = vec![plugin.parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    let kubectl = |args: &[&str]| {
        Command::new(&kubectl)
            .args(args)
            .env("PATH", std::env::join_paths(&paths).unwrap())
            .env("HOME", sandbox.path())
            .output()
            .unwrap()
    };
    let list = kubectl(&["plugin", "list"]);
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert!(
        stdout.lines().any(|l| Path::new(l) == plugin),
        "{stdout}{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let help = kubectl(&["ktriage-collect", "--help"]);
    assert!(
        help.status.success(),
        "{}",
        String::from_utf8_lossy(&help.stderr)
    );
    assert!(
        String::from_utf8_lossy(&help.stdout)
            .contains("Usage: kubectl ktriage-collect [--kubeconfig FILE] [--context C]")
    );
}

#[test]
fn collected_bundle_is_analyzed() {
    let sandbox = Sandbox::new();
    let run = sandbox.collect(&[]);
    let output = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .arg("analyze")
        .arg(&run.bundle)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "ktriage analyze exited {code:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report["bundles"][0]["format"], "ktriage");
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["namespace"] == "shop"
            && f["container"] == "api"
            && f["pods"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p == CRASHING_POD))),
        "no finding for the crash-looping container: {findings:#?}"
    );
}

/// Runs `ktriage analyze --format json` on a bundle; returns the report.
fn analyze(bundle: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .arg("analyze")
        .arg(bundle)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "ktriage analyze exited {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON report")
}

fn bundle_warnings(report: &Value) -> Vec<String> {
    report["bundles"][0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect()
}

/// The calls that read namespaces (`get namespaces`, `get namespace NS`), without the context.
fn namespace_calls(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .kubectl_calls()
        .iter()
        .filter_map(|a| {
            let get = a.iter().position(|v| v == "get")?;
            a.get(get + 1)
                .is_some_and(|r| r.starts_with("namespace"))
                .then(|| a[get..].join(" "))
        })
        .collect()
}

const SA_CANNOT_LIST_NAMESPACES: &str = r#"Error from server (Forbidden): namespaces is forbidden: User "system:serviceaccount:support:reader" cannot list resource "namespaces" in API group "" at the cluster scope"#;

/// A user who may not list namespaces (a service account on a shared cluster) gets no empty
/// bundle from the default `-A`, but exit 1 and the way out; with `-n` the collection works.
#[test]
fn without_the_right_to_list_namespaces_it_fails_and_says_to_use_n() {
    let sandbox = Sandbox::new();
    for args in [&[][..], &["-A"]] {
        let output = sandbox
            .collector(args)
            .env("FAKE_KUBECTL_NAMESPACES_FORBIDDEN", "1")
            .output()
            .unwrap();
        assert_fails(
            &output,
            1,
            &[&format!(
                "ktriage-collect: error: cannot list namespaces ({SA_CANNOT_LIST_NAMESPACES}); name the namespaces to collect with -n NS"
            )],
        );
        assert!(sandbox.leftovers().is_empty(), "no bundle, no partial file");
    }
    // One cause, one call: namespaces are listed once per run.
    assert_eq!(
        namespace_calls(&sandbox),
        ["get namespaces -o yaml", "get namespaces -o yaml"]
    );

    // The same user names the namespace: `get namespace` is forbidden too (403 is not "missing"),
    // so it is collected anyway.
    let sandbox = Sandbox::new();
    let run = sandbox.collect_with(
        &["-n", "shop"],
        &[("FAKE_KUBECTL_NAMESPACES_FORBIDDEN", "1")],
    );
    let m = manifest(&run.root);
    assert_eq!(m["namespaces"], serde_json::json!(["shop"]));
    let errors: Vec<(&str, &str)> = m["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["command"].as_str().unwrap(),
                e["stderr"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors[..2],
        [
            (
                "kubectl get namespace shop -o yaml",
                r#"Error from server (Forbidden): namespaces "shop" is forbidden: User "system:serviceaccount:support:reader" cannot get resource "namespaces" in API group "" in the namespace "shop""#
            ),
            (
                "kubectl get nodes -o yaml",
                r#"Error from server (Forbidden): nodes is forbidden: User "system:serviceaccount:support:reader" cannot list resource "nodes" in API group "" at the cluster scope"#
            ),
        ]
    );
    assert_eq!(namespace_calls(&sandbox), ["get namespace shop -o yaml"]);
    let files = files_under(&run.root);
    assert!(
        !files.contains(&"cluster/namespaces.yaml".to_owned()),
        "{files:?}"
    );
    assert!(files.contains(&"namespaces/shop/pods.yaml".to_owned()));
    let report = analyze(&run.bundle);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["namespace"] == "shop" && f["container"] == "api")
    );
}

/// A namespace named with `-n` that does not exist is an error naming it, not a namespace of
/// empty lists (the API answers lists in it with no items).
#[test]
fn a_namespace_that_does_not_exist_is_an_error() {
    let not_found = r#"Error from server (NotFound): namespaces "prodd" not found"#;
    let sandbox = Sandbox::new();
    let output = sandbox.collector(&["-n", "prodd"]).output().unwrap();
    assert_fails(
        &output,
        1,
        &[
            &format!(
                "warning: namespace `prodd` does not exist ({not_found}); it is not collected"
            ),
            "error: nothing to collect: no namespace named with -n exists (`prodd`); name existing namespaces with -n NS",
        ],
    );
    assert!(sandbox.leftovers().is_empty());
    assert_eq!(namespace_calls(&sandbox), ["get namespace prodd -o yaml"]);
    assert!(
        sandbox
            .kubectl_calls()
            .iter()
            .all(|a| !a.contains(&"prodd".to_owned()) || a.contains(&"namespace".to_owned())),
        "prodd was collected: {:?}",
        sandbox.kubectl_calls()
    );

    // Beside one that exists: that one is collected, the other is one error.
    let sandbox = Sandbox::new();
    let run = sandbox.collect(&["-n", "shop,prodd"]);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(
        stderr.contains("namespace `prodd` does not exist"),
        "{stderr}"
    );
    let m = manifest(&run.root);
    assert_eq!(m["namespaces"], serde_json::json!(["shop"]));
    let errors = m["errors"].as_array().unwrap();
    assert_eq!(
        errors[0],
        serde_json::json!({"command": "kubectl get namespace prodd -o yaml", "exit_code": 1,
            "stderr": not_found, "stderr_noise_lines": 0, "file": null})
    );
    assert!(!run.root.join("namespaces/prodd").exists());
    // cluster/namespaces.yaml: a List of the namespaces read, as `kubectl get namespaces` prints.
    let recorded = fs::read_to_string(repo_path(
        "tests/data/collector/responses/cluster/namespaces.yaml",
    ))
    .unwrap();
    let items = recorded.split_once("items:\n").unwrap().1;
    let items = items.split_once("kind: List\n").unwrap().0;
    let shop = items
        .split_inclusive('\n')
        .fold(Vec::<String>::new(), |mut items, line| {
            if line.starts_with("- ") {
                items.push(String::new());
            }
            items.last_mut().unwrap().push_str(line);
            items
        })
        .into_iter()
        .find(|item| item.contains("\n    name: shop\n"))
        .unwrap();
    assert_eq!(
        read(&run.root, "cluster/namespaces.yaml"),
        format!("apiVersion: v1\nitems:\n{shop}kind: List\nmetadata:\n  resourceVersion: \"\"\n")
    );
    let warnings = bundle_warnings(&analyze(&run.bundle));
    assert!(
        warnings.contains(&format!(
            "collection failed: `kubectl get namespace prodd -o yaml`: {not_found}"
        )),
        "{warnings:#?}"
    );
}

/// While an aggregated API is down, kubectl prints its discovery errors on every call; the
/// manifest records the line that says why a call failed and counts the others.
#[test]
fn kubectl_log_lines_are_counted_and_the_reason_recorded() {
    let sandbox = Sandbox::new();
    let run = sandbox.collect_with(
        &["-n", "payments,shop"],
        &[("FAKE_KUBECTL_METRICS_DOWN", "1")],
    );
    let m = manifest(&run.root);
    let errors = m["errors"].as_array().unwrap();
    assert_eq!(errors.len(), resources().len() + 2, "{errors:#?}");
    for e in errors {
        let stderr = e["stderr"].as_str().unwrap();
        assert!(
            stderr.starts_with("Error from server (") && !stderr.contains('\n'),
            "{stderr}"
        );
        assert_eq!(e["stderr_noise_lines"], 4, "{e}");
    }
    // Successful calls are unaffected.
    assert!(read(&run.root, "namespaces/shop/pods.yaml").contains("reason: CrashLoopBackOff"));
    let warnings = bundle_warnings(&analyze(&run.bundle));
    let failed: Vec<&String> = warnings
        .iter()
        .filter(|w| w.starts_with("collection failed: "))
        .collect();
    assert_eq!(failed.len(), errors.len());
    for w in failed {
        assert!(w.contains("`: Error from server ("), "{w}");
    }
}

#[test]
fn kubeconfig_names_the_file_kubectl_reads() {
    let sandbox = Sandbox::new();
    let kubeconfig = sandbox.path().join("support.kubeconfig");
    fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: support@prod-eu-1\ncontexts:\n- context:\n    cluster: prod-eu-1\n    user: support\n  name: support@prod-eu-1\n",
    )
    .unwrap();
    let path = kubeconfig.to_str().unwrap();
    let run = sandbox.collect(&["--kubeconfig", path, "-n", "shop"]);
    let m = manifest(&run.root);
    assert_eq!(m["context"], "support@prod-eu-1");
    for args in sandbox.kubectl_calls() {
        assert!(
            args.windows(2).any(|w| w == ["--kubeconfig", path]),
            "call without --kubeconfig: {args:?}"
        );
        if !args.contains(&"current-context".to_owned()) {
            assert_eq!(args[..2], ["--context", "support@prod-eu-1"]);
        }
    }
    // Shown commands name neither the file nor the context.
    assert!(
        m["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["command"].as_str().unwrap().contains("kubeconfig"))
    );

    let missing = sandbox.path().join("no-such.kubeconfig");
    let output = sandbox
        .collector(&["--kubeconfig", missing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_fails(
        &output,
        1,
        &[&format!(
            "cannot read kubeconfig `{}` (--kubeconfig)",
            missing.display()
        )],
    );
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The redaction corpus (tests/data/redaction-corpus.txt) as the crash-looping container's log,
/// through the collector's log redaction: credentials masked, diagnostic text kept, line for line.
#[test]
fn redaction_corpus_through_the_collector() {
    let sandbox = Sandbox::new();
    let responses = sandbox.path().join("responses");
    copy_dir(&repo_path("tests/data/collector/responses"), &responses);
    let cases = redaction_corpus::cases();
    let mut log = String::new();
    let mut n = 0;
    for case in &cases {
        for line in &case.lines {
            n += 1;
            log.push_str(&format!("2026-11-28T04:57:51.{n:09}Z {line}\n"));
        }
    }
    fs::write(
        responses.join("logs/shop/api-6d8f9c7b5-x2k9p/api.log"),
        &log,
    )
    .unwrap();
    let bundle = sandbox.path().join("bundle.tar.gz");
    let output = sandbox
        .collector(&["-n", "shop", "-o", bundle.to_str().unwrap()])
        .env("FAKE_KUBECTL_RESPONSES", &responses)
        .output()
        .unwrap();
    assert_success(&output);
    let root = unpack(&bundle, &sandbox.path().join("unpacked"));
    let redacted = read(&root, "logs/shop/api-6d8f9c7b5-x2k9p/api.log");
    let mut lines = redacted.lines().map(|l| {
        let (stamp, text) = l.split_once(' ').unwrap_or((l, ""));
        assert!(stamp.starts_with("2026-11-28T04:57:51."), "{l}");
        text.to_owned()
    });
    let mut failures = Vec::new();
    for case in &cases {
        let out: Vec<String> = lines.by_ref().take(case.lines.len()).collect();
        failures.extend(case.check(&out).err());
    }
    assert!(lines.next().is_none(), "more lines than went in");
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // --no-redact keeps every line as it was.
    fs::remove_file(&bundle).unwrap();
    let output = sandbox
        .collector(&["-n", "shop", "--no-redact", "-o", bundle.to_str().unwrap()])
        .env("FAKE_KUBECTL_RESPONSES", &responses)
        .output()
        .unwrap();
    assert_success(&output);
    let root = unpack(&bundle, &sandbox.path().join("unpacked-raw"));
    assert_eq!(read(&root, "logs/shop/api-6d8f9c7b5-x2k9p/api.log"), log);
}
