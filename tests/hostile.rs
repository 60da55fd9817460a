//! Hostile and broken bundles, run through the binary next to a good bundle.
//!
//! Every case builds its bad input in the test (nothing large is committed), puts it in a
//! temporary directory with one good ktriage bundle, runs `ktriage analyze --format json` on
//! the directory and checks: the bad bundle fails (exit 2) or is partial with a warning naming
//! the file, stderr names it, no panic message appears, and the good bundle is analyzed in full.
//! The limits and behaviours checked here are documented in docs/limits.md.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use flate2::Compression;
use flate2::write::GzEncoder;
use ktriage::Scanner;
use proptest::prelude::*;
use serde_json::Value;

/// Every rule's log signatures, compiled once for all tests (as `app` does once per run).
static SCANNER: LazyLock<Scanner> = LazyLock::new(ktriage::scanner);

const GOOD_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/rules/oom-killed/fires-limit-exceeded"
);

// ---------------------------------------------------------------------------------------------
// Building bundles

/// The files of the good fixture bundle, as (relative path, bytes).
fn good_files() -> Vec<(String, Vec<u8>)> {
    ["manifest.json", "namespaces/shop/pods.yaml"]
        .iter()
        .map(|rel| {
            let bytes = fs::read(Path::new(GOOD_FIXTURE).join(rel)).expect("fixture exists");
            ((*rel).to_owned(), bytes)
        })
        .collect()
}

/// A manifest naming `cluster`, as the collector writes it.
fn manifest(cluster: &str) -> Vec<u8> {
    format!(
        r#"{{"format": "ktriage-bundle", "format_version": 1, "cluster": "{cluster}", "context": "{cluster}",
 "collected_at": "2026-11-28T05:00:00Z", "collector": {{"name": "ktriage-collect", "version": "0.1.0"}},
 "server_version": "v1.31.2", "namespaces": ["shop"],
 "options": {{"tail_lines": 1000, "since": null, "redact": true, "configmap_values": false}}, "errors": []}}
"#
    )
    .into_bytes()
}

/// A kind of tar member, for headers written byte by byte (the tar crate refuses `..`).
enum Member<'a> {
    File(&'a [u8]),
    Symlink(&'a str),
    HardLink(&'a str),
}

/// A plain tar of `entries` under a top directory `top` (none when empty). Names are written
/// raw, so `..` and absolute paths reach the archive as a hostile tool would write them.
fn tar_of(top: &str, entries: &[(&str, Member<'_>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, member) in entries {
        let full = if top.is_empty() || name.starts_with('/') || name.starts_with("..") {
            (*name).to_owned()
        } else {
            format!("{top}/{name}")
        };
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_mtime(1_764_306_000);
        {
            let gnu = header.as_gnu_mut().expect("a GNU header");
            gnu.name[..full.len()].copy_from_slice(full.as_bytes());
        }
        let data: &[u8] = match member {
            Member::File(data) => {
                header.set_entry_type(tar::EntryType::Regular);
                data
            }
            Member::Symlink(target) | Member::HardLink(target) => {
                let kind = if matches!(member, Member::Symlink(_)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                header.set_entry_type(kind);
                let gnu = header.as_gnu_mut().expect("a GNU header");
                gnu.linkname[..target.len()].copy_from_slice(target.as_bytes());
                &[]
            }
        };
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).expect("in-memory tar");
    }
    builder.into_inner().expect("in-memory tar")
}

/// `tar_of` for plain files.
fn tar_files(top: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<(&str, Member<'_>)> =
        files.iter().map(|(n, d)| (*n, Member::File(d))).collect();
    tar_of(top, &entries)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).expect("in-memory gzip");
    gz.finish().expect("in-memory gzip")
}

/// The good fixture as a `.tar.gz`, plus `extra` files.
fn good_tgz_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let files = good_files();
    let mut all: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    all.extend_from_slice(extra);
    gzip(&tar_files("bundle", &all))
}

/// A crash-looping pod `name` (exit 1, CrashLoopBackOff), as kubectl prints a list of it.
fn crashing_pods_yaml(name: &str, restart_count: &str) -> String {
    format!(
        r#"apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    creationTimestamp: "2026-11-28T03:00:00Z"
    name: {name}
    namespace: shop
  spec:
    containers:
    - image: registry.example.com/shop/{name}:1.0.0
      name: app
    nodeName: worker-1
    restartPolicy: Always
  status:
    containerStatuses:
    - image: registry.example.com/shop/{name}:1.0.0
      lastState:
        terminated:
          exitCode: 1
          finishedAt: "2026-11-28T04:58:00Z"
          reason: Error
          startedAt: "2026-11-28T04:57:58Z"
      name: app
      ready: false
      restartCount: {restart_count}
      started: false
      state:
        waiting:
          message: back-off 5m0s restarting failed container=app pod={name}_shop(1a2b)
          reason: CrashLoopBackOff
    phase: Running
kind: List
metadata:
  resourceVersion: ""
"#
    )
}

// ---------------------------------------------------------------------------------------------
// Running the binary

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    dir: tempfile::TempDir,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The `bundles[]` row whose path ends with `name`.
    fn bundle(&self, name: &str) -> Value {
        let json = self.json();
        json["bundles"]
            .as_array()
            .expect("bundles is an array")
            .iter()
            .find(|b| b["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .cloned()
            .unwrap_or_else(|| panic!("no bundle `{name}` in {json:#}"))
    }

    /// No panic message, no Rust backtrace hint on stderr.
    fn assert_no_panic(&self) {
        for needle in [
            "panicked",
            "RUST_BACKTRACE",
            "stack overflow",
            "internal error",
        ] {
            assert!(
                !self.stderr.contains(needle),
                "stderr shows `{needle}`:\n{}",
                self.stderr
            );
        }
    }

    /// The good bundle was analyzed in full: status ok and its oom-killed finding present.
    fn assert_good_analyzed(&self) {
        let good = self.bundle("good.tar.gz");
        assert_eq!(good["status"], "ok", "{good:#}");
        let json = self.json();
        let found = json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| {
                f["cause"] == "oom-killed"
                    && f["bundle"]
                        .as_str()
                        .is_some_and(|b| b.ends_with("good.tar.gz"))
                    && f["pods"][0] == "pricing-6f8d9c7b5-q7wzl"
            });
        assert!(found, "the good bundle's finding is missing:\n{json:#}");
    }

    /// `name` failed: exit 2, an error naming it that contains `what`, stderr names it too.
    fn assert_failed(&self, name: &str, what: &str) {
        self.assert_no_panic();
        assert_eq!(self.code, 2, "stderr:\n{}", self.stderr);
        let b = self.bundle(name);
        assert_eq!(b["status"], "failed", "{b:#}");
        let error = b["error"].as_str().expect("a failed bundle has an error");
        assert!(
            error.contains(name),
            "the error does not name `{name}`: {error}"
        );
        assert!(
            error.contains(what),
            "the error does not say `{what}`: {error}"
        );
        assert!(
            self.stderr
                .lines()
                .any(|l| l.starts_with("ktriage: error: ") && l.contains(name) && l.contains(what)),
            "stderr does not report `{name}`:\n{}",
            self.stderr
        );
        self.assert_good_analyzed();
    }

    /// `name` is partial with a warning naming `file` and saying `what`, echoed on stderr.
    fn assert_partial(&self, name: &str, file: &str, what: &str) {
        self.assert_no_panic();
        let b = self.bundle(name);
        assert_eq!(b["status"], "partial", "{b:#}");
        let warnings: Vec<&str> = b["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(file) && w.contains(what)),
            "no warning names `{file}` with `{what}`: {warnings:#?}"
        );
        assert!(
            self.stderr
                .lines()
                .any(|l| l.starts_with("ktriage: warning: ")
                    && l.contains(name)
                    && l.contains(file)),
            "stderr does not report `{name}`:\n{}",
            self.stderr
        );
        // Not failed: the good bundle's findings decide the exit status.
        assert_eq!(self.code, 1, "stderr:\n{}", self.stderr);
        self.assert_good_analyzed();
    }
}

/// Runs `ktriage analyze --format json` on a directory holding `good.tar.gz` and `bad`.
fn scan(bad_name: &str, bad: &[u8], args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundles = dir.path().join("bundles");
    fs::create_dir(&bundles).expect("bundles dir");
    fs::write(bundles.join("good.tar.gz"), good_tgz_with(&[])).expect("write good");
    fs::write(bundles.join(bad_name), bad).expect("write bad");
    run_on(dir, &bundles, args)
}

fn run_on(dir: tempfile::TempDir, path: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .arg("analyze")
        .args(defaults(args, "--format", "json"))
        .args(defaults(args, "--threads", "2"))
        .args(args)
        .arg(path)
        .output()
        .expect("run ktriage");
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dir,
    }
}

/// `[flag, value]` unless `args` sets `flag` itself.
fn defaults<'a>(args: &[&str], flag: &'a str, value: &'a str) -> Vec<&'a str> {
    if args.contains(&flag) {
        Vec::new()
    } else {
        vec![flag, value]
    }
}

// ---------------------------------------------------------------------------------------------
// Archives that cannot be read

#[test]
fn empty_file() {
    scan("empty.tar.gz", b"", &[]).assert_failed("empty.tar.gz", "is empty");
}

#[test]
fn not_an_archive() {
    let mut noise = vec![0u8; 4096];
    let mut x: u32 = 0x9e37_79b9;
    for b in &mut noise {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x.to_le_bytes()[0];
    }
    noise[0] = 0x7f; // not gzip, not zstd, not xz
    scan("noise.tar.gz", &noise, &[]).assert_failed("noise.tar.gz", "not a tar archive");
    // Text that is no known bundle layout.
    scan("notes.txt", b"meeting notes: restart the api pods\n", &[])
        .assert_failed("notes.txt", "not a recognized bundle");
}

#[test]
fn truncated_gzip() {
    let tgz = good_tgz_with(&[(
        "logs/shop/pricing-6f8d9c7b5-q7wzl/pricing.previous.log",
        "2026-11-28T04:57:11Z allocating price cache\n"
            .repeat(2000)
            .as_bytes(),
    )]);
    let cut = &tgz[..tgz.len() / 2];
    scan("cut.tar.gz", cut, &[]).assert_failed("cut.tar.gz", "truncated");
}

#[test]
fn corrupt_gzip_in_the_middle() {
    let log = (0..20_000)
        .map(|i| format!("2026-11-28T04:57:11Z request {i} served in {}ms\n", i % 97))
        .collect::<String>();
    let mut tgz = good_tgz_with(&[("logs/shop/p/app.log", log.as_bytes())]);
    let mid = tgz.len() / 2;
    for b in &mut tgz[mid..mid + 64] {
        *b ^= 0x5a;
    }
    scan("flipped.tar.gz", &tgz, &[]).assert_failed("flipped.tar.gz", "corrupt archive");
}

#[test]
fn truncated_tar() {
    let pods = crashing_pods_yaml("api", "4");
    let tar = tar_files(
        "b",
        &[
            ("manifest.json", &manifest("cut")),
            ("namespaces/shop/pods.yaml", pods.as_bytes()),
        ],
    );
    // Cut inside the second member's data.
    let cut = &tar[..512 + 1024 + 512 + 300];
    scan("cut.tar", cut, &[]).assert_failed("cut.tar", "truncated");
}

#[test]
fn paths_and_links_pointing_outside_are_never_followed_or_written() {
    let dir_marker = "escaped-by-ktriage";
    let pods = crashing_pods_yaml("api", "4");
    let outside = format!("../../{dir_marker}/pods.yaml");
    let absolute = format!("/tmp/{dir_marker}/pods.yaml");
    let tar = tar_of(
        "b",
        &[
            ("manifest.json", Member::File(&manifest("links"))),
            (&outside, Member::File(pods.as_bytes())),
            (&absolute, Member::File(pods.as_bytes())),
            ("namespaces/shop/pods.yaml", Member::Symlink("/etc/passwd")),
            (
                "namespaces/shop/events.yaml",
                Member::HardLink("../../etc/shadow"),
            ),
            (
                "logs/shop/api/app.log",
                Member::Symlink("/proc/self/environ"),
            ),
        ],
    );
    let run = scan("links.tar.gz", &gzip(&tar), &[]);
    run.assert_partial("links.tar.gz", &outside, "`..` in path");
    run.assert_partial("links.tar.gz", &absolute, "absolute path");
    run.assert_partial(
        "links.tar.gz",
        "b/namespaces/shop/pods.yaml",
        "symbolic link",
    );
    run.assert_partial("links.tar.gz", "b/namespaces/shop/events.yaml", "hard link");
    run.assert_partial("links.tar.gz", "b/logs/shop/api/app.log", "never followed");
    let b = run.bundle("links.tar.gz");
    assert_eq!(b["pods"], 0, "nothing was read through a link: {b:#}");
    // Nothing was written: not next to the bundles, not in /tmp.
    assert!(!Path::new("/tmp").join(dir_marker).exists());
    let mut seen: Vec<PathBuf> = Vec::new();
    walk(run.dir.path(), &mut seen);
    seen.sort();
    assert_eq!(
        seen,
        [
            run.dir.path().join("bundles/good.tar.gz"),
            run.dir.path().join("bundles/links.tar.gz")
        ]
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[cfg(unix)]
#[test]
fn directory_bundle_symlinks_are_not_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundles = dir.path().join("bundles");
    let bad = bundles.join("linked");
    fs::create_dir_all(bad.join("namespaces/shop")).expect("dirs");
    fs::write(bundles.join("good.tar.gz"), good_tgz_with(&[])).expect("good");
    fs::write(bad.join("manifest.json"), manifest("linked")).expect("manifest");
    // A pods.yaml outside the bundle, reachable only through the link.
    let outside = dir.path().join("outside-pods.yaml");
    fs::write(&outside, crashing_pods_yaml("secret-pod", "4")).expect("outside");
    std::os::unix::fs::symlink(&outside, bad.join("namespaces/shop/pods.yaml")).expect("link");
    let run = run_on(dir, &bundles, &[]);
    run.assert_no_panic();
    let b = run.bundle("linked");
    assert_eq!(b["pods"], 0, "{b:#}");
    assert!(!run.stdout.contains("secret-pod"));
    run.assert_good_analyzed();
}

// ---------------------------------------------------------------------------------------------
// Size and count limits

/// A reader of `len` bytes of `byte`, with a newline at the very end; nothing is buffered.
struct Filler {
    left: u64,
    byte: u8,
}

impl Read for Filler {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = usize::try_from(self.left.min(buf.len() as u64)).expect("fits");
        buf[..n].fill(self.byte);
        if n > 0 && self.left == n as u64 {
            buf[n - 1] = b'\n';
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A `.tar.gz` written as a stream: the good fixture files, then one member of `len` bytes
/// produced on the fly (never held in memory).
fn streamed_tgz(path: &Path, member: &str, len: u64, byte: u8) {
    let file = fs::File::create(path).expect("create");
    let mut builder = tar::Builder::new(GzEncoder::new(
        io::BufWriter::new(file),
        Compression::fast(),
    ));
    for (name, data) in good_files() {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, format!("big/{name}"), data.as_slice())
            .expect("append");
    }
    let mut header = tar::Header::new_gnu();
    header.set_size(len);
    header.set_mode(0o644);
    builder
        .append_data(
            &mut header,
            format!("big/{member}"),
            Filler { left: len, byte },
        )
        .expect("append");
    let gz = builder.into_inner().expect("finish tar");
    gz.finish().expect("finish gzip").flush().expect("flush");
}

#[test]
fn gzip_bomb_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundles = dir.path().join("bundles");
    fs::create_dir(&bundles).expect("dir");
    fs::write(bundles.join("good.tar.gz"), good_tgz_with(&[])).expect("good");
    // 64 MiB of zeros compress to ~64 KiB; the limit is 16 MiB.
    streamed_tgz(
        &bundles.join("bomb.tar.gz"),
        "namespaces/shop/configmaps.yaml",
        64 << 20,
        b'0',
    );
    let run = run_on(dir, &bundles, &["--max-bundle-size", "16"]);
    run.assert_failed("bomb.tar.gz", "--max-bundle-size");
}

#[test]
fn nested_gzip_bomb_counts_against_the_bundle_limit() {
    // A rotated log compressed inside the archive: 64 MiB that the outer gzip barely sees.
    let mut inner = GzEncoder::new(Vec::new(), Compression::fast());
    io::copy(
        &mut Filler {
            left: 64 << 20,
            byte: b'a',
        },
        &mut inner,
    )
    .expect("compress");
    let inner = inner.finish().expect("gzip");
    let tgz = good_tgz_with(&[("logs/shop/p/app.log.1.gz", &inner)]);
    scan("nested.tar.gz", &tgz, &["--max-bundle-size", "16"])
        .assert_failed("nested.tar.gz", "--max-bundle-size");
}

#[test]
fn entry_over_the_entry_limit_is_skipped_with_a_warning() {
    let mut pods = crashing_pods_yaml("api", "4");
    pods.push_str(&"# padding written by a broken collector\n".repeat(60_000));
    let tgz = gzip(&tar_files(
        "b",
        &[
            ("manifest.json", &manifest("big-entry")),
            ("namespaces/shop/pods.yaml", pods.as_bytes()),
        ],
    ));
    let run = scan("big-entry.tar.gz", &tgz, &["--max-entry-size", "1"]);
    run.assert_partial(
        "big-entry.tar.gz",
        "b/namespaces/shop/pods.yaml",
        "--max-entry-size",
    );
}

#[test]
fn long_names_are_read_and_huge_name_records_refused() {
    // Real bundles have paths over 100 bytes: GNU long-name and PAX path records must work.
    let pod = "checkout-worker-with-a-very-long-deployment-name-7d9c5b6f4d-k2x8q";
    let pods = crashing_pods_yaml(pod, "4");
    let top = "support-bundle-prod-eu-1-2026-11-28T05-00-00Z/collected-by-ktriage-collect-0.1.0";
    let log_path = format!("{top}/logs/shop/{pod}/app.previous.log");
    let mut builder = tar::Builder::new(Vec::new());
    let add = |builder: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, data)
            .expect("append");
    };
    add(
        &mut builder,
        &format!("{top}/manifest.json"),
        &manifest("long"),
    );
    add(
        &mut builder,
        &format!("{top}/namespaces/shop/pods.yaml"),
        pods.as_bytes(),
    );
    // The pods file goes under a GNU long name (more than 100 bytes), the log under a PAX
    // path record over a short header name.
    assert!(top.len() + "/namespaces/shop/pods.yaml".len() > 100);
    builder
        .append_pax_extensions([("path", log_path.as_bytes())])
        .expect("pax");
    let log = b"2026-11-28T04:57:59Z Error: connect ECONNREFUSED 10.96.0.20:6379\n";
    let mut header = tar::Header::new_ustar();
    header.set_path("short.log").expect("short path");
    header.set_size(log.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append(&header, &log[..]).expect("append");
    let tgz = gzip(&builder.into_inner().expect("tar"));
    let run = scan("long.tar.gz", &tgz, &[]);
    run.assert_no_panic();
    let b = run.bundle("long.tar.gz");
    assert_eq!(b["status"], "ok", "{b:#}");
    assert_eq!(
        b["pods"], 1,
        "the pods file under a long name was not read: {b:#}"
    );
    let json = run.json();
    assert!(
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| { f["cluster"] == "long" && f["cause"] == "dependency-unreachable" }),
        "the log under a PAX path was not read: {json:#}"
    );

    // A GNU long-name record of 64 MiB (compressed to ~64 KiB): refused, never held in memory.
    let mut bomb = Vec::new();
    let mut header = tar::Header::new_gnu();
    {
        let gnu = header.as_gnu_mut().expect("a GNU header");
        gnu.name[..13].copy_from_slice(b"././@LongLink");
    }
    header.set_entry_type(tar::EntryType::GNULongName);
    header.set_size(64 << 20);
    header.set_cksum();
    bomb.extend_from_slice(header.as_bytes());
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&bomb).expect("gzip");
    io::copy(
        &mut Filler {
            left: 64 << 20,
            byte: b'a',
        },
        &mut gz,
    )
    .expect("gzip");
    gz.write_all(&tar_files("x", &[("manifest.json", &manifest("x"))]))
        .expect("gzip");
    let tgz = gz.finish().expect("gzip");
    scan("longname.tar.gz", &tgz, &[]).assert_failed("longname.tar.gz", "name or attribute record");
}

#[test]
fn single_text_file_over_the_entry_limit() {
    // Not an archive: a text dump, read whole, so the entry limit applies to it.
    let text = "{\"kind\": \"List\", \"items\": []}\n".repeat(60_000);
    scan("dump.json", text.as_bytes(), &["--max-entry-size", "1"])
        .assert_failed("dump.json", "--max-entry-size");
}

/// A tar of `n` tiny members (a broken collector's million empty files) plus a valid bundle.
fn many_entries(n: usize) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    let mut add = |name: &str, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, data)
            .expect("append");
    };
    add("m/manifest.json", &manifest("many"));
    add(
        "m/namespaces/shop/pods.yaml",
        crashing_pods_yaml("api", "4").as_bytes(),
    );
    for i in 0..n {
        add(&format!("m/host/proc/{i}/status"), b"");
    }
    builder.into_inner().expect("tar").finish().expect("gzip")
}

#[test]
fn too_many_entries() {
    let tgz = many_entries(200_000);
    scan("many.tar.gz", &tgz, &["--max-entries", "100000"])
        .assert_failed("many.tar.gz", "more than 100000 entries");
    // Under the default limit the same bundle is read in full (and quickly: one pass, the
    // unwanted members are skipped without being kept).
    let run = scan("many.tar.gz", &tgz, &[]);
    run.assert_no_panic();
    let b = run.bundle("many.tar.gz");
    assert_eq!(b["status"], "ok", "{b:#}");
    assert_eq!(b["pods"], 1, "{b:#}");
}

// ---------------------------------------------------------------------------------------------
// Hostile YAML and JSON

/// The bad bundle: the manifest plus `files`.
fn bundle_tgz(cluster: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let manifest = manifest(cluster);
    let mut all: Vec<(&str, &[u8])> = vec![("manifest.json", &manifest)];
    all.extend_from_slice(files);
    gzip(&tar_files("b", &all))
}

const ALIAS_BOMB: &str =
    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
items: [*i]
";

#[test]
fn yaml_alias_bomb() {
    // Also inside a kubectl-shaped list item (the per-item path), aimed at a field the model
    // reads: typed parsing never expands an alias into a value it ignores, so the pod is read.
    let in_item = format!(
        "apiVersion: v1\nitems:\n- {}  metadata:\n    name: bomb\n  spec:\n    containers:\n    - name: app\n      args: *i\nkind: List\n",
        ALIAS_BOMB
            .replace("items: [*i]\n", "")
            .lines()
            .enumerate()
            .map(|(i, l)| if i == 0 {
                format!("{l}\n")
            } else {
                format!("  {l}\n")
            })
            .collect::<String>()
    );
    let tgz = bundle_tgz(
        "aliases",
        &[
            ("namespaces/shop/pods.yaml", ALIAS_BOMB.as_bytes()),
            ("namespaces/web/pods.yaml", in_item.as_bytes()),
        ],
    );
    let run = scan("aliases.tar.gz", &tgz, &[]);
    run.assert_partial(
        "aliases.tar.gz",
        "namespaces/shop/pods.yaml",
        "repetition limit",
    );
    let b = run.bundle("aliases.tar.gz");
    assert_eq!(b["pods"], 1, "{b:#}");
    assert_eq!(b["warnings"].as_array().map(Vec::len), Some(1), "{b:#}");
}

/// 100,000 levels of nesting in each shape a parser may recurse on, with the warning each
/// gives (`None`: the deep part is in a field the model ignores; read without recursing).
fn deep_documents() -> Vec<(&'static str, String, Option<&'static str>)> {
    const DEPTH: usize = 100_000;
    let flow = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let flow_map = format!("{}0{}", "{a: ".repeat(DEPTH), "}".repeat(DEPTH));
    let compact = format!("- {}x\n", "- ".repeat(DEPTH));
    let in_item = format!(
        "apiVersion: v1\nitems:\n- metadata:\n    name: deep\n  spec: {flow}\nkind: List\n"
    );
    let json_item = format!(
        "{{\"kind\": \"PodList\", \"items\": [{{\"metadata\": {{\"name\": \"deep\", \"labels\": {}0{}}}}}]}}",
        "{\"a\":".repeat(DEPTH),
        "}".repeat(DEPTH)
    );
    vec![
        (
            "namespaces/a/pods.yaml",
            format!("items: {flow}\n"),
            Some("nesting deeper than 128 levels"),
        ),
        (
            "namespaces/b/pods.yaml",
            format!("kind: List\nitems:\n{compact}"),
            Some("item 1: invalid type"),
        ),
        (
            "namespaces/c/pods.yaml",
            in_item,
            Some("item 1: nesting deeper than 128 levels"),
        ),
        (
            "namespaces/d/pods.json",
            format!("{{\"items\": {flow}}}"),
            Some("item 1 is not an object"),
        ),
        ("namespaces/e/pods.json", json_item, None),
        (
            "namespaces/f/events.yaml",
            format!("{{{}}}", "a: {".repeat(DEPTH) + &"}".repeat(DEPTH)),
            Some("invalid JSON"),
        ),
        (
            "namespaces/g/pods.yaml",
            format!("---\n{compact}"),
            Some("recursion limit exceeded"),
        ),
        (
            "namespaces/h/pods.yaml",
            format!("---\nkind: PodList\nitems: {flow_map}\n"),
            Some("nesting deeper than 128 levels"),
        ),
    ]
}

#[test]
fn nesting_100_000_levels_deep() {
    let docs = deep_documents();
    let files: Vec<(&str, &[u8])> = docs.iter().map(|(n, d, _)| (*n, d.as_bytes())).collect();
    let tgz = bundle_tgz("deep", &files);
    // Twice: on two rayon workers and on one.
    for threads in ["2", "1"] {
        let run = scan("deep.tar.gz", &tgz, &["--threads", threads]);
        for (name, _, warning) in &docs {
            if let Some(warning) = warning {
                run.assert_partial("deep.tar.gz", name, warning);
            }
        }
        let b = run.bundle("deep.tar.gz");
        assert_eq!(b["pods"], 1, "only the pod with deep labels is read: {b:#}");
    }
}

#[test]
fn nesting_is_an_error_on_a_small_stack_too() {
    // The library on a 1 MiB thread (a debug build's frames are large): every parser path
    // stops at its depth limit long before the stack ends. A stack overflow would abort the
    // whole test process, not just fail this test.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for (name, text, warning) in deep_documents() {
                let pods = ktriage::model::parse::parse_objects::<ktriage::model::Pod>(
                    name,
                    text.as_bytes(),
                );
                let events = ktriage::model::parse::parse_objects::<ktriage::model::Event>(
                    name,
                    text.as_bytes(),
                );
                if warning.is_some() {
                    assert_eq!(pods.warnings.len(), 1, "{name}: {:?}", pods.warnings);
                    assert_eq!(events.warnings.len(), 1, "{name}: {:?}", events.warnings);
                }
            }
        })
        .expect("spawn");
    handle.join().expect("no panic");
}

#[test]
fn wrong_types_and_nulls_are_tolerated() {
    // restartCount as a string, a timestamp without zone, null where objects are expected.
    let pods = crashing_pods_yaml("api", "\"3\"")
        .replace(
            "finishedAt: \"2026-11-28T04:58:00Z\"",
            "finishedAt: \"2026-11-28T04:58:00\"",
        )
        .replace(
            "    nodeName: worker-1\n",
            "    nodeName: worker-1\n    securityContext: null\n    volumes: null\n",
        )
        .replace(
            "    phase: Running\n",
            "    phase: Running\n    conditions: null\n    initContainerStatuses: [null]\n",
        );
    let events = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Event\n  eventTime: null\n  involvedObject: null\n  metadata: null\n  reason: BackOff\n  count: \"many\"\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
    let tgz = bundle_tgz(
        "types",
        &[
            ("namespaces/shop/pods.yaml", pods.as_bytes()),
            ("namespaces/shop/events.yaml", events.as_bytes()),
        ],
    );
    let run = scan("types.tar.gz", &tgz, &[]);
    run.assert_no_panic();
    let b = run.bundle("types.tar.gz");
    assert_eq!(b["status"], "ok", "{b:#}");
    let json = run.json();
    let finding = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["cluster"] == "types")
        .unwrap_or_else(|| panic!("no finding for the lenient bundle: {json:#}"));
    assert_eq!(finding["restart_count"], 3);
    assert_eq!(
        finding["last_termination"]["finished_at"],
        "2026-11-28T04:58:00Z"
    );
    run.assert_good_analyzed();
}

#[test]
fn duplicate_keys() {
    // A hand-edited list: the first item repeats `restartCount`, the second repeats a label.
    let first = crashing_pods_yaml("dup", "4").replace(
        "      restartCount: 4\n",
        "      restartCount: 4\n      restartCount: 5\n",
    );
    let second = crashing_pods_yaml("other", "2").replace(
        "    namespace: shop\n",
        "    namespace: shop\n    labels:\n      app: a\n      app: b\n",
    );
    let both = format!(
        "{}{}",
        first.trim_end_matches("kind: List\nmetadata:\n  resourceVersion: \"\"\n"),
        second.trim_start_matches("apiVersion: v1\nitems:\n")
    );
    let tgz = bundle_tgz("dups", &[("namespaces/shop/pods.yaml", both.as_bytes())]);
    let run = scan("dups.tar.gz", &tgz, &[]);
    run.assert_partial(
        "dups.tar.gz",
        "namespaces/shop/pods.yaml: item 1",
        "duplicate",
    );
    let b = run.bundle("dups.tar.gz");
    assert_eq!(b["pods"], 1, "the other item survives: {b:#}");
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    let pods = crashing_pods_yaml("api", "4");
    let mut log = b"2026-11-28T04:57:58Z starting api\n".to_vec();
    log.extend_from_slice(b"2026-11-28T04:57:59Z bad bytes \xff\xfe\xc3( and a NUL \0 here\n");
    log.extend_from_slice(b"\0\0\0\0\xff\n");
    log.extend_from_slice(b"2026-11-28T04:57:59Z panic: runtime error: invalid memory address or nil pointer dereference\n");
    let mut bad_yaml = b"apiVersion: v1\nitems:\n- metadata:\n    name: \xff\xfe\n".to_vec();
    bad_yaml.extend_from_slice(b"kind: List\n");
    let nul_yaml = b"apiVersion: v1\nitems:\n- metadata:\n    name: a\0b\nkind: List\n";
    let tgz = bundle_tgz(
        "bytes",
        &[
            ("namespaces/shop/pods.yaml", pods.as_bytes()),
            ("logs/shop/api/app.previous.log", &log),
            ("namespaces/x/pods.yaml", &bad_yaml),
            ("namespaces/y/pods.yaml", nul_yaml),
        ],
    );
    let run = scan("bytes.tar.gz", &tgz, &[]);
    run.assert_partial("bytes.tar.gz", "namespaces/x/pods.yaml", "not UTF-8");
    run.assert_partial("bytes.tar.gz", "namespaces/y/pods.yaml", "item 1");
    // The log is decoded lossily and still analyzed.
    let json = run.json();
    let finding = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["cluster"] == "bytes")
        .unwrap_or_else(|| panic!("no finding: {json:#}"));
    assert_eq!(finding["cause"], "unhandled-exception", "{finding:#}");
    let tail = finding["log_tail"].to_string();
    assert!(tail.contains("bad bytes \u{fffd}"), "{tail}");
}

#[test]
fn huge_log_line_is_read_as_a_bounded_tail() {
    // One line far larger than the log window (4 MiB), generated as a stream. The reader keeps
    // a bounded tail whatever the size, so 128 MiB exercises the same path as 1 GB.
    let dir = tempfile::tempdir().expect("temp dir");
    let bundles = dir.path().join("bundles");
    fs::create_dir(&bundles).expect("dir");
    fs::write(bundles.join("good.tar.gz"), good_tgz_with(&[])).expect("good");
    streamed_tgz(
        &bundles.join("longline.tar.gz"),
        "logs/shop/pricing-6f8d9c7b5-q7wzl/pricing.previous.log",
        128 << 20,
        b'x',
    );
    let run = run_on(dir, &bundles, &[]);
    run.assert_no_panic();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let b = run.bundle("longline.tar.gz");
    assert_eq!(b["status"], "ok", "{b:#}");
    let json = run.json();
    let finding = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| {
            f["bundle"]
                .as_str()
                .is_some_and(|p| p.ends_with("longline.tar.gz"))
        })
        .unwrap_or_else(|| panic!("no finding: {json:#}"));
    let tail = finding["log_tail"].as_array().expect("log_tail");
    assert!(
        tail.iter()
            .all(|l| l.as_str().is_some_and(|l| l.len() <= 300))
    );
    assert!(
        finding["notes"]
            .to_string()
            .contains("was read as its last"),
        "{finding:#}"
    );
    run.assert_good_analyzed();
}

#[test]
fn huge_single_line_in_memory_stays_bounded() {
    // `LogFile::lines()` and the scan on one 4 MiB line: one line, borrowed, no copies per byte.
    let text = vec![b'y'; 4 << 20];
    let log = ktriage::model::LogFile {
        source: "x.log".into(),
        total_bytes: 1 << 30,
        skipped_lines: 0,
        text,
        scanned: None,
    };
    let lines = log.lines();
    assert_eq!(lines.len(), 1);
    assert!(matches!(lines[0].text, std::borrow::Cow::Borrowed(_)));
    assert!(SCANNER.scan_log(&log).is_empty());
    // Once scanned, only the line's first `KEPT_TAIL_BYTES` stay.
    let scanned = log.scan(&SCANNER, ktriage::model::log::KEPT_TAIL_BYTES);
    assert_eq!(scanned.text.len(), ktriage::model::log::KEPT_TAIL_BYTES);
    assert!(scanned.is_truncated() && scanned.window_bytes() == 4 << 20);
}

// ---------------------------------------------------------------------------------------------
// Empty clusters

#[test]
fn pod_list_of_zero_items_is_an_empty_cluster() {
    let tgz = bundle_tgz(
        "quiet",
        &[(
            "namespaces/shop/pods.yaml",
            b"apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n",
        )],
    );
    assert_empty_cluster(&scan("quiet.tar.gz", &tgz, &[]), "quiet.tar.gz");
}

#[test]
fn bundle_without_pods_is_an_empty_cluster() {
    let tgz = bundle_tgz("nothing", &[]);
    assert_empty_cluster(&scan("nothing.tar.gz", &tgz, &[]), "nothing.tar.gz");
}

/// An empty cluster is a valid snapshot: status ok, a warning saying so, exit by the others.
fn assert_empty_cluster(run: &Run, name: &str) {
    run.assert_no_panic();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let b = run.bundle(name);
    assert_eq!(b["status"], "ok", "{b:#}");
    assert_eq!(b["pods"], 0);
    assert_eq!(b["error"], Value::Null);
    assert!(
        b["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with("no pods in bundle")),
        "{b:#}"
    );
    assert!(run.stderr.contains("no pods in bundle"), "{}", run.stderr);
    run.assert_good_analyzed();
}

// ---------------------------------------------------------------------------------------------
// Redaction end to end

/// Secrets seeded into one bundle; none may appear in any report.
const SECRETS: &[&str] = &[
    "Zq8vW2pL9xR4tY7u",         // Secret data value (stringData)
    "WnE4dlcycEw5eFI0dFk3dQ==", // the same, base64 in `data`
    "hunter2-Kx93mQ",           // env value of DB_PASSWORD
    "sk_live_51HxQ2eZvKYlo2C",  // env value of STRIPE_API_KEY
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcGkifQ.4pcPyMD09olPSyXnrXCjTwXyr4BsezdI1AVTmud2fU4",
    "dGhpcyBpcyBhIGJlYXJlcg", // bearer token in a log
    "S3cr3tPassw0rdQ",        // password in a connection string
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0", // key body
    "AKIAZ7QW3EXAMPLE4KEY",   // AWS access key id
    "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYzz", // AWS secret in a log
];

fn secrets_bundle() -> Vec<u8> {
    let pods = crashing_pods_yaml("payments", "6").replace(
        "      name: app\n    nodeName",
        "      name: app\n      env:\n      - name: DB_PASSWORD\n        value: hunter2-Kx93mQ\n      - name: STRIPE_API_KEY\n        value: sk_live_51HxQ2eZvKYlo2C\n      - name: JAVA_TOOL_OPTIONS\n        value: -Xmx256m -Djavax.net.ssl.keyStorePassword=hunter2-Kx93mQ\n    nodeName",
    ).replace(
        "          reason: Error\n",
        "          message: 'fatal: auth with Bearer dGhpcyBpcyBhIGJlYXJlcg failed; dsn=postgres://payments:S3cr3tPassw0rdQ@db.shop.svc:5432/pay'\n          reason: Error\n",
    );
    let secrets = "apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    password: WnE4dlcycEw5eFI0dFk3dQ==\n  kind: Secret\n  metadata:\n    name: payments-db\n    namespace: shop\n  stringData:\n    password: Zq8vW2pL9xR4tY7u\n  type: Opaque\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
    let log = "2026-11-28T04:57:58Z starting payments with token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcGkifQ.4pcPyMD09olPSyXnrXCjTwXyr4BsezdI1AVTmud2fU4\n\
2026-11-28T04:57:58Z aws: AWS_ACCESS_KEY_ID=AKIAZ7QW3EXAMPLE4KEY AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYzz\n\
2026-11-28T04:57:59Z loaded key -----BEGIN RSA PRIVATE KEY-----\n\
MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0\n\
-----END RSA PRIVATE KEY-----\n\
2026-11-28T04:57:59Z GET /charge Authorization: Bearer dGhpcyBpcyBhIGJlYXJlcg\n\
2026-11-28T04:57:59Z dial tcp: lookup postgres://payments:S3cr3tPassw0rdQ@db.shop.svc:5432/pay\n\
2026-11-28T04:58:00Z Error: connect ECONNREFUSED payments:S3cr3tPassw0rdQ@db.shop.svc:5432\n\
2026-11-28T04:58:00Z panic: cannot connect with password=S3cr3tPassw0rdQ to db\n";
    // An OOM-killed JVM whose heap flag is quoted by `oom-killed`, next to credentials in env.
    let oom = crashing_pods_yaml("ledger", "9")
        .replace("exitCode: 1\n", "exitCode: 137\n")
        .replace("reason: Error\n", "reason: OOMKilled\n")
        .replace(
            "      name: app\n    nodeName",
            "      name: app\n      resources:\n        limits:\n          memory: 256Mi\n      env:\n      - name: JAVA_TOOL_OPTIONS\n        value: -Djavax.net.ssl.trustStorePassword=hunter2-Kx93mQ -Xmx240m\n      - name: AWS_SECRET_ACCESS_KEY\n        value: wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYzz\n    nodeName",
        );
    bundle_tgz(
        "secrets",
        &[
            ("namespaces/shop/pods.yaml", pods.as_bytes()),
            ("namespaces/billing/pods.yaml", oom.as_bytes()),
            ("namespaces/shop/secrets.yaml", secrets.as_bytes()),
            ("logs/shop/payments/app.previous.log", log.as_bytes()),
        ],
    )
}

#[test]
fn secrets_never_reach_any_report_format() {
    for format in ["json", "table", "markdown"] {
        let run = scan("secrets.tar.gz", &secrets_bundle(), &["--format", format]);
        run.assert_no_panic();
        assert_eq!(run.code, 1, "{}", run.stderr);
        // The table shows the first evidence and remedy only; the others show the heap flag.
        let shown: &[&str] = if format == "table" {
            &["payments", "ledger"]
        } else {
            &["payments", "ledger", "JAVA_TOOL_OPTIONS=-Xmx240m"]
        };
        for pod in shown {
            assert!(
                run.stdout.contains(pod),
                "{format}: the bundle's finding for `{pod}` is missing:\n{}",
                run.stdout
            );
        }
        let flat: String = run
            .stdout
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        for secret in SECRETS {
            // Any 8-character piece, also across table line wraps.
            let letters: String = secret.chars().filter(char::is_ascii_alphanumeric).collect();
            for piece in letters.as_bytes().windows(8) {
                let piece = std::str::from_utf8(piece).expect("ascii");
                assert!(
                    !flat.contains(piece),
                    "{format}: `{piece}` of a secret is shown:\n{}",
                    run.stdout
                );
            }
            assert!(
                !run.stderr.contains(secret),
                "{format}: stderr shows a secret"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Properties: no input makes the library panic

fn analyze_bytes(bytes: &[u8]) {
    let path = Path::new("fuzz.tar.gz");
    let limits = ktriage::Limits {
        max_entry_bytes: 4 << 20,
        max_total_bytes: 16 << 20,
        max_entries: 10_000,
        log_window_bytes: 64 << 10,
    };
    let source = ktriage::BundleSource::new(path);
    let mut raw = ktriage::RawBundle::new(&SCANNER);
    if ktriage::read_archive(path, bytes, &limits, &mut raw).is_err() {
        return;
    }
    let Ok(loaded) = ktriage::load(&source, raw) else {
        return;
    };
    let rules = ktriage::RuleSet::new(&[], &[]).expect("all rules");
    let _ = ktriage::diagnose_cluster(&loaded.cluster, "fuzz.tar.gz", &rules, &SCANNER);
}

/// A valid bundle with a crash-looping pod, events and a log: the seed the mutations start from.
fn seed_tar() -> Vec<u8> {
    let pods = crashing_pods_yaml("api", "4");
    tar_files(
        "s",
        &[
            ("manifest.json", &manifest("seed")),
            ("namespaces/shop/pods.yaml", pods.as_bytes()),
            (
                "logs/shop/api/app.previous.log",
                b"2026-11-28T04:57:59Z Error: connect ECONNREFUSED 10.96.0.20:6379\n",
            ),
        ],
    )
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        match m {
            Mutation::Flip(at, mask) => {
                let i = at % bytes.len();
                bytes[i] ^= mask;
            }
            Mutation::Truncate(at) => bytes.truncate(at % bytes.len()),
            Mutation::Insert(at, data) => {
                let i = at % bytes.len();
                bytes.splice(i..i, data.iter().copied());
            }
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, d)| Mutation::Insert(at, d)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        analyze_bytes(&bytes);
        let mut gz = vec![0x1f, 0x8b];
        gz.extend_from_slice(&bytes);
        analyze_bytes(&gz);
    }

    #[test]
    fn mutated_tarballs_never_panic(
        mutations in prop::collection::vec(mutation(), 1..8),
        compressed in any::<bool>(),
    ) {
        let tar = seed_tar();
        if compressed {
            analyze_bytes(&mutate(gzip(&tar), &mutations));
        } else {
            analyze_bytes(&mutate(tar, &mutations));
        }
    }
}

#[test]
fn the_unmutated_seed_is_diagnosed() {
    // Guards the property tests: their seed must be a bundle that reaches the rules.
    let path = Path::new("seed.tar");
    let mut raw = ktriage::RawBundle::new(&SCANNER);
    ktriage::read_archive(
        path,
        seed_tar().as_slice(),
        &ktriage::Limits::default(),
        &mut raw,
    )
    .expect("readable");
    let loaded = ktriage::load(&ktriage::BundleSource::new(path), raw).expect("loads");
    let rules = ktriage::RuleSet::new(&[], &[]).expect("all rules");
    let findings = ktriage::diagnose_cluster(&loaded.cluster, "seed.tar", &rules, &SCANNER);
    assert_eq!(findings[0].cause.id(), "dependency-unreachable");
}
