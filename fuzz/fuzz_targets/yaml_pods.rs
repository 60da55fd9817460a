//! Bytes as a `pods.yaml` / `pods.json` -> the lenient model: must never panic, overflow the
//! stack or hang, whatever the nesting, aliases or types.
#![no_main]

use ktriage::model::Pod;
use ktriage::model::parse::parse_objects;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = parse_objects::<Pod>("namespaces/fuzz/pods.yaml", data);
    for pod in &parsed.items {
        let _ = pod.metadata.name.len();
    }
});
