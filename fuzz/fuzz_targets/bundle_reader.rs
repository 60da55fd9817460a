//! Bytes as a bundle archive (gzip, tar or text dump) -> read, load, diagnose: must never
//! panic, hang or allocate without bound. Small limits keep each run fast.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use ktriage::{BundleSource, Limits, read_archive};
use ktriage::RawBundle;
use ktriage::Scanner;
use ktriage::RuleSet;
use libfuzzer_sys::fuzz_target;

/// Every rule's log signatures, compiled once for all runs.
static SCANNER: LazyLock<Scanner> = LazyLock::new(ktriage::scanner);

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.tar.gz");
    let limits = Limits {
        max_entry_bytes: 4 << 20,
        max_total_bytes: 16 << 20,
        max_entries: 10_000,
        log_window_bytes: 64 << 10,
    };
    let mut raw = RawBundle::new(&SCANNER);
    if read_archive(path, data, &limits, &mut raw).is_err() {
        return;
    }
    let Ok(loaded) = ktriage::load(&BundleSource::new(path), raw) else {
        return;
    };
    let rules = RuleSet::new(&[], &[]).expect("the default selection is valid");
    let _ = ktriage::diagnose_cluster(&loaded.cluster, "fuzz.tar.gz", &rules, &SCANNER);
});
