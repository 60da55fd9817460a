//! The krew manifest of the kubectl plugin (`deploy/krew/ktriage-collect.yaml`) is the one
//! `scripts/krew-package.sh` writes for the archive it builds from the current collector: same
//! bytes, the archive's sha256, and a `bin` the archive holds.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers too: a panic with its location is the failure report"
)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs the packaging script into `dir`; returns the archive and the manifest it wrote.
fn package(dir: &Path) -> (PathBuf, String) {
    let manifest = dir.join("ktriage-collect.yaml");
    let output = Command::new("bash")
        .arg(repo_path("scripts/krew-package.sh"))
        .arg("--out")
        .arg(dir)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let archive = dir.join(format!(
        "ktriage-collect-v{}.tar.gz",
        env!("CARGO_PKG_VERSION")
    ));
    (archive, fs::read_to_string(manifest).unwrap())
}

#[test]
fn the_manifest_is_what_the_packaging_script_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (archive, written) = package(dir.path());
    let committed = fs::read_to_string(repo_path("deploy/krew/ktriage-collect.yaml")).unwrap();
    assert!(
        written == committed,
        "deploy/krew/ktriage-collect.yaml is out of date: run scripts/krew-package.sh\n{written}"
    );

    // Built twice, the archive is the same bytes (the sha256 in the manifest means something).
    let again = tempfile::tempdir().unwrap();
    let (archive_again, _) = package(again.path());
    assert_eq!(
        fs::read(&archive).unwrap(),
        fs::read(&archive_again).unwrap()
    );

    let sum = Command::new("sha256sum").arg(&archive).output().unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    let sum = sum.split_whitespace().next().unwrap();

    let plugin: Value = serde_yaml_ng::from_str(&committed).unwrap();
    assert_eq!(
        plugin["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(plugin["kind"], "Plugin");
    // krew installs `bin` as kubectl-<name, '-' as '_'>: `kubectl ktriage-collect`.
    assert_eq!(plugin["metadata"]["name"], "ktriage-collect");
    let spec = &plugin["spec"];
    assert_eq!(
        spec["version"].as_str(),
        Some(format!("v{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    let platforms = spec["platforms"].as_sequence().unwrap();
    assert_eq!(platforms.len(), 1);
    let platform = &platforms[0];
    assert_eq!(platform["sha256"].as_str(), Some(sum));
    let file_name = archive.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        platform["uri"].as_str(),
        Some(
            format!(
                "https://github.com/ktriage/ktriage/releases/download/v{}/{file_name}",
                env!("CARGO_PKG_VERSION")
            )
            .as_str()
        )
    );
    let os = &platform["selector"]["matchExpressions"][0];
    assert_eq!(os["key"], "os");
    assert_eq!(os["operator"], "In");

    // The archive holds the collector as it is in the repository, executable, and the licence;
    // `bin` and `files` name them.
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        fs::File::open(&archive).unwrap(),
    ));
    let mut members = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let mode = entry.header().mode().unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        members.push((path, mode, bytes));
    }
    assert_eq!(members.len(), 2, "LICENSE and ktriage-collect, sorted");
    let (path, mode, bytes) = &members[0];
    assert_eq!(path, "LICENSE");
    assert_eq!(mode & 0o777, 0o644);
    assert!(*bytes == fs::read(repo_path("LICENSE")).unwrap());
    let (path, mode, bytes) = &members[1];
    assert_eq!(path, "ktriage-collect");
    assert_eq!(mode & 0o777, 0o755);
    assert!(*bytes == fs::read(repo_path("collector/ktriage-collect")).unwrap());
    assert_eq!(platform["bin"], "ktriage-collect");
    assert_eq!(platform["files"][0]["from"], "ktriage-collect");
    assert_eq!(platform["files"][1]["from"], "LICENSE");
    for file in platform["files"].as_sequence().unwrap() {
        assert_eq!(file["to"], ".");
    }
}
