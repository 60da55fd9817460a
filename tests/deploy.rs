//! The Jobs of `deploy/` played as Kubernetes runs them, with no cluster: each manifest is read,
//! its volumes become temporary directories (a claim is one directory shared by every pod, a
//! `subPath` a folder of it, an `emptyDir` a fresh directory per pod), and each pod's command
//! runs locally with the mount paths rewritten to those directories, the environment the Job
//! controller gives it (`JOB_COMPLETION_INDEX`), and the built `ktriage` on `PATH`. The merged
//! report must equal one `ktriage analyze` over all bundles, so the manifests' shell scripts,
//! paths and exit-status handling are tested, not assumed.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers too: a panic with its location is the failure report"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml_ng::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ktriage");

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A manifest of `deploy/`, parsed.
fn manifest(name: &str) -> Value {
    let text = fs::read_to_string(repo_path("deploy").join(name)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn text(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

fn list(v: &Value) -> &[Value] {
    v.as_sequence().map_or(&[], Vec::as_slice)
}

/// The claims and pods of one simulated cluster, under one temporary directory.
struct Cluster {
    dir: tempfile::TempDir,
    /// Holds `ktriage`, a link to the binary under test, as the image's `PATH` does.
    bin: PathBuf,
    pods: usize,
}

/// What a pod left: its container's exit status and output.
struct Pod {
    name: String,
    output: Output,
    /// The directory standing for the image's root file system, read-only in the manifests.
    root: PathBuf,
}

impl Pod {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

impl Cluster {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(BIN, bin.join("ktriage")).unwrap();
        Cluster { dir, bin, pods: 0 }
    }

    /// The directory of claim `name`, created on first use (the PVC of `deploy/pvc.yaml`).
    fn claim(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join("claims").join(name);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Runs every pod of `job` (one per completion index of an Indexed Job, else one) to its
    /// end, one after the other, and returns them in index order.
    fn run_job(&mut self, job: &Value) -> Vec<Pod> {
        assert_eq!(job["kind"], "Job");
        let spec = &job["spec"];
        let name = text(&job["metadata"]["name"]);
        if spec["completionMode"] == "Indexed" {
            let completions = spec["completions"].as_u64().unwrap();
            (0..completions)
                .map(|k| self.run_pod(&format!("{name}-{k}"), &spec["template"], Some(k)))
                .collect()
        } else {
            vec![self.run_pod(name, &spec["template"], None)]
        }
    }

    /// Runs the one container of a pod template as the kubelet would: mounts, environment
    /// (with the completion index the Job controller adds), `command` + `args` with `$(VAR)`
    /// references expanded.
    fn run_pod(&mut self, name: &str, template: &Value, index: Option<u64>) -> Pod {
        self.pods += 1;
        let pod_dir = self
            .dir
            .path()
            .join("pods")
            .join(format!("{}-{name}", self.pods));
        let root = pod_dir.join("root");
        fs::create_dir_all(&root).unwrap();
        let pod = &template["spec"];
        let containers = list(&pod["containers"]);
        assert_eq!(containers.len(), 1, "{name}: one container per pod");
        let container = &containers[0];
        assert_eq!(
            pod["restartPolicy"], "Never",
            "{name}: a Job's pods are not restarted"
        );

        let volumes: BTreeMap<&str, &Value> = list(&pod["volumes"])
            .iter()
            .map(|v| (text(&v["name"]), v))
            .collect();
        let mut mounts: Vec<(String, PathBuf)> = list(&container["volumeMounts"])
            .iter()
            .map(|m| {
                let volume = volumes[text(&m["name"])];
                let mut host =
                    if let Some(claim) = volume["persistentVolumeClaim"]["claimName"].as_str() {
                        self.claim(claim)
                    } else {
                        assert!(
                            volume["emptyDir"].is_mapping(),
                            "{name}: unexpected volume {volume:?}"
                        );
                        pod_dir.join("volumes").join(text(&volume["name"]))
                    };
                if let Some(sub) = m["subPath"].as_str() {
                    host = host.join(sub);
                }
                // The kubelet creates a missing subPath folder and the emptyDir.
                fs::create_dir_all(&host).unwrap();
                (text(&m["mountPath"]).to_owned(), host)
            })
            .collect();
        // Longest first, so `/data/reports` is rewritten before `/data`.
        mounts.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));

        let mut env: Vec<(String, String)> = Vec::new();
        for var in list(&container["env"]) {
            let value = expand(&rewrite(text(&var["value"]), &mounts), &env);
            env.push((text(&var["name"]).to_owned(), value));
        }
        if let Some(k) = index {
            env.push(("JOB_COMPLETION_INDEX".to_owned(), k.to_string()));
        }
        let argv: Vec<String> = list(&container["command"])
            .iter()
            .chain(list(&container["args"]))
            .map(|a| expand(&rewrite(text(a), &mounts), &env))
            .collect();
        assert!(!argv.is_empty(), "{name}: the manifests set the command");

        let output = Command::new(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(&root)
            .output()
            .unwrap();
        Pod {
            name: name.to_owned(),
            output,
            root,
        }
    }
}

/// `text` with every mount path that starts a path in it replaced by its host directory.
fn rewrite(text: &str, mounts: &[(String, PathBuf)]) -> String {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "_.-/".contains(c);
    let mut out = String::new();
    let mut rest = text;
    'scan: while !rest.is_empty() {
        let starts_path = !out.chars().next_back().is_some_and(is_path_char);
        if starts_path {
            for (path, host) in mounts {
                if let Some(after) = rest.strip_prefix(path.as_str())
                    && after
                        .chars()
                        .next()
                        .is_none_or(|c| c == '/' || !is_path_char(c))
                {
                    out.push_str(host.to_str().unwrap());
                    rest = after;
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Kubernetes' expansion of `command`, `args` and `env` values: `$(NAME)` of a variable defined
/// before becomes its value, `$$` becomes `$`, anything else stays as written
/// (k8s.io/kubernetes third_party/forked/golang/expansion).
fn expand(text: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('(').and_then(|a| a.split_once(')'))
            && let Some((_, value)) = env.iter().rev().find(|(k, _)| k == name)
        {
            out.push_str(value);
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Every sample bundle (a directory holding `manifest.json`), packed as the collector packs
/// them: `<name>.tar.gz` with one top directory. Returns the number written.
fn pack_samples(into: &Path) -> usize {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        if dir.join("manifest.json").is_file() {
            found.push(dir.to_owned());
            return;
        }
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            }
        }
    }
    let samples = repo_path("samples");
    let mut found = Vec::new();
    walk(&samples, &mut found);
    found.sort();
    for dir in &found {
        let name = dir
            .strip_prefix(&samples)
            .unwrap()
            .to_str()
            .unwrap()
            .replace('/', "-");
        let file = fs::File::create(into.join(format!("{name}.tar.gz"))).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        tar.append_dir_all(&name, dir).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    found.len()
}

/// `ktriage analyze --format FORMAT DIR` run directly: the report and its exit status.
fn analyze(format: &str, dir: &Path) -> (Vec<u8>, Option<i32>) {
    let out = Command::new(BIN)
        .args(["analyze", "--quiet", "--format", format])
        .arg(dir)
        .output()
        .unwrap();
    (out.stdout, out.status.code())
}

/// The exit codes a Job's `podFailurePolicy` maps to `action`.
fn exit_codes_with(job: &Value, action: &str) -> Vec<i64> {
    list(&job["spec"]["podFailurePolicy"]["rules"])
        .iter()
        .filter(|r| r["action"] == action && r["onExitCodes"]["operator"] == "In")
        .flat_map(|r| {
            list(&r["onExitCodes"]["values"])
                .iter()
                .map(|v| v.as_i64().unwrap())
        })
        .collect()
}

/// Recursive listing of `dir` (paths relative to it, sorted): what a pod left there.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if path.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn the_jobs_merge_to_the_report_of_one_analysis() {
    let analyze_job = manifest("analyze-job.yaml");
    let merge_job = manifest("merge-job.yaml");
    let claim = text(&manifest("pvc.yaml")["metadata"]["name"]).to_owned();
    let mut cluster = Cluster::new();
    let data = cluster.claim(&claim);

    // The load step: bundles under bundles/ (README.md: `kubectl cp` through load-pod.yaml).
    let bundles = data.join("bundles");
    fs::create_dir_all(&bundles).unwrap();
    let packed = pack_samples(&bundles);
    assert!(packed >= 10, "{packed} samples");
    // A bundle cut short in transfer: analyzed as a failure row, exit status 2 with a report.
    let whole = fs::read(bundles.join("oom-killed.tar.gz")).unwrap();
    fs::write(bundles.join("truncated.tar.gz"), &whole[..whole.len() / 2]).unwrap();
    // What an evicted first attempt of index 1 may have left: half a report. Its retry must
    // replace it, or the merge would read it.
    fs::create_dir_all(data.join("reports")).unwrap();
    fs::write(
        data.join("reports/shard-1.json"),
        "{\"schema_version\": 1, \"bund",
    )
    .unwrap();
    let loaded = listing(&bundles);

    let shards = cluster.run_job(&analyze_job);
    let completions = analyze_job["spec"]["completions"].as_u64().unwrap();
    assert_eq!(shards.len() as u64, completions);
    assert!(completions > 1, "the Job shards the bundles");
    let mut saying_failed = Vec::new();
    for pod in &shards {
        assert_eq!(
            pod.code(),
            Some(0),
            "pod {} failed: {}",
            pod.name,
            pod.stderr()
        );
        if pod
            .stderr()
            .contains("some bundles failed; see bundles[].error in")
        {
            saying_failed.push(pod.name.as_str());
        }
        assert!(
            listing(&pod.root).is_empty(),
            "{} wrote to its read-only root",
            pod.name
        );
    }
    // Only the shard holding truncated.tar.gz; the others exit 1 (findings) or 0, quietly.
    assert_eq!(saying_failed.len(), 1, "{saying_failed:?}");
    assert_eq!(
        listing(&bundles),
        loaded,
        "the bundles are mounted read-only"
    );
    let reports = data.join("reports");
    let shard_files: Vec<String> = (0..completions)
        .map(|k| format!("shard-{k}.json"))
        .collect();
    assert_eq!(listing(&reports), shard_files);

    let merge = cluster.run_job(&merge_job);
    assert_eq!(merge.len(), 1);
    assert_eq!(
        merge[0].code(),
        Some(0),
        "merge failed: {}",
        merge[0].stderr()
    );
    assert!(listing(&merge[0].root).is_empty());

    // One analysis over the same folder. The bundle paths in both reports are those of the
    // claim's folder, so nothing differs: the reports are compared byte for byte.
    let (single_json, code) = analyze("json", &bundles);
    assert_eq!(code, Some(2), "a truncated bundle makes the status 2");
    let merged_json = fs::read(reports.join("report.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&merged_json),
        String::from_utf8_lossy(&single_json)
    );
    let (single_md, _) = analyze("markdown", &bundles);
    assert_eq!(
        String::from_utf8_lossy(&fs::read(reports.join("report.md")).unwrap()),
        String::from_utf8_lossy(&single_md)
    );

    let report: serde_json::Value = serde_json::from_slice(&merged_json).unwrap();
    let rows = report["bundles"].as_array().unwrap();
    assert_eq!(rows.len(), packed + 1);
    let failed: Vec<&serde_json::Value> = rows.iter().filter(|b| b["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(report["findings"].as_array().is_some_and(|f| f.len() >= 10));
}

#[test]
fn a_shard_with_nothing_to_read_fails_its_index_and_the_merge_fails_the_job() {
    let analyze_job = manifest("analyze-job.yaml");
    let merge_job = manifest("merge-job.yaml");
    let mut cluster = Cluster::new();
    fs::create_dir_all(cluster.claim("ktriage-data").join("bundles")).unwrap();

    // No bundles: status 2 and no report, which the Job's policy fails for good (no retry).
    let fail_index = exit_codes_with(&analyze_job, "FailIndex");
    for pod in cluster.run_job(&analyze_job) {
        let code = i64::from(pod.code().unwrap());
        assert!(
            fail_index.contains(&code),
            "{}: {code} {}",
            pod.name,
            pod.stderr()
        );
        assert!(
            pod.stderr().contains("no bundles found"),
            "{}",
            pod.stderr()
        );
    }
    let merge = cluster.run_job(&merge_job);
    let code = i64::from(merge[0].code().unwrap());
    assert!(
        exit_codes_with(&merge_job, "FailJob").contains(&code),
        "{code}: {}",
        merge[0].stderr()
    );
}

#[test]
fn evictions_do_not_spend_the_retry_budget() {
    for (file, budget) in [
        ("analyze-job.yaml", "backoffLimitPerIndex"),
        ("merge-job.yaml", "backoffLimit"),
    ] {
        let job = manifest(file);
        let spec = &job["spec"];
        assert!(
            spec[budget].as_u64().is_some_and(|n| n > 0),
            "{file}: {budget}"
        );
        let ignored = list(&spec["podFailurePolicy"]["rules"]).iter().any(|r| {
            r["action"] == "Ignore"
                && list(&r["onPodConditions"])
                    .iter()
                    .any(|c| c["type"] == "DisruptionTarget" && c["status"] == "True")
        });
        assert!(
            ignored,
            "{file}: an evicted pod is retried without counting"
        );
        // Under a read-only root, TMPDIR is a writable emptyDir.
        let pod = &spec["template"]["spec"];
        let container = &list(&pod["containers"])[0];
        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
        let tmpdir = list(&container["env"])
            .iter()
            .find(|e| e["name"] == "TMPDIR")
            .map(|e| text(&e["value"]))
            .unwrap();
        let mount = list(&container["volumeMounts"])
            .iter()
            .find(|m| m["mountPath"] == tmpdir)
            .unwrap();
        let volume = list(&pod["volumes"])
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap();
        assert!(volume["emptyDir"].is_mapping(), "{file}: {volume:?}");
    }
}

#[test]
fn mount_paths_and_variables_are_rewritten_as_the_kubelet_would() {
    let mounts = vec![
        ("/reports".to_owned(), PathBuf::from("/t/r")),
        ("/tmp".to_owned(), PathBuf::from("/t/tmp")),
    ];
    assert_eq!(
        rewrite(
            "out=\"/reports/shard-1.json\" /reports /tmpx /x/reports TMPDIR=/tmp",
            &mounts
        ),
        "out=\"/t/r/shard-1.json\" /t/r /tmpx /x/reports TMPDIR=/t/tmp"
    );
    let env = vec![("JOB_COMPLETION_INDEX".to_owned(), "3".to_owned())];
    assert_eq!(
        expand(
            "$(JOB_COMPLETION_INDEX) ${JOB_COMPLETION_INDEX} $$(JOB_COMPLETION_INDEX) $(NOPE) $?",
            &env
        ),
        "3 ${JOB_COMPLETION_INDEX} $(JOB_COMPLETION_INDEX) $(NOPE) $?"
    );
}
