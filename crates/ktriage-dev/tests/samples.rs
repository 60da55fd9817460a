//! The sample bundles in `samples/` are exactly what `cargo dev samples` writes: a change to the
//! generator that is not followed by a rerun (or a hand edit of a sample) fails here.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The files the repository's `samples/` holds besides the generated ones.
const NOT_GENERATED: &[&str] = &["README.md"];

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

/// Every file under `dir`, by path relative to it (with `/`), with its bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("a path under the root");
                let rel: Vec<_> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(rel.join("/"), fs::read(&path).expect("a readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn regenerated_samples_match_the_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let written = ktriage_dev::samples::write_samples(tmp.path()).unwrap();
    let fresh = read_tree(tmp.path());
    assert_eq!(fresh.len(), written);

    let mut committed = read_tree(&samples_dir());
    for name in NOT_GENERATED {
        assert!(
            committed.remove(*name).is_some(),
            "samples/{name} is missing"
        );
    }
    let missing: Vec<&String> = fresh
        .keys()
        .filter(|k| !committed.contains_key(*k))
        .collect();
    let extra: Vec<&String> = committed
        .keys()
        .filter(|k| !fresh.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "generated but not in samples/: {missing:?}"
    );
    assert!(extra.is_empty(), "in samples/ but not generated: {extra:?}");
    let differ: Vec<&String> = fresh
        .iter()
        .filter(|(k, v)| committed[*k] != **v)
        .map(|(k, _)| k)
        .collect();
    assert!(
        differ.is_empty(),
        "samples/ differs from `cargo dev samples` in {} files, first {:?}; rerun `cargo dev samples`",
        differ.len(),
        differ.first()
    );
    // Realistic content, not just identical bytes: the expected findings cover every bundle.
    let expected = String::from_utf8(fresh["expected.tsv"].clone()).unwrap();
    assert_eq!(expected.lines().count(), 14);
    assert!(
        expected
            .contains("fleet-velero/ap-south-1\tvelero\tDeployment\tvelero\tvelero\tapp\tbad-args")
    );
}

#[test]
fn writing_replaces_stale_sample_files() {
    let tmp = tempfile::tempdir().unwrap();
    let stale = tmp.path().join("healthy/logs/stale.log");
    fs::create_dir_all(stale.parent().unwrap()).unwrap();
    fs::write(&stale, "left over\n").unwrap();
    fs::write(tmp.path().join("README.md"), "kept\n").unwrap();
    ktriage_dev::samples::write_samples(tmp.path()).unwrap();
    assert!(!stale.exists());
    assert_eq!(
        fs::read_to_string(tmp.path().join("README.md")).unwrap(),
        "kept\n"
    );
}
