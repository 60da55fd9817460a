//! The kubectl YAML fast path (the `kubeyaml` crate) held to its contract on the model: read in
//! place or from a copy, a value it returns is the value `serde_yaml_ng` returns, on the
//! fixtures, samples, generated bundles and mutated YAML. (The scalar and shape tests, with no
//! model, are the crate's own.)

use std::fmt::Debug;

use kubeyaml::{MAX_DEPTH, Stop, from_item, from_str};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::model::parse::{kubectl_items, slim_healthy_pod, split_kubectl_list};
use crate::model::{Claim, Endpoints, Event, KeyedObject, Pod, Service, Workload};

/// The fast path agrees with serde_yaml_ng on the generic tree: when it reads `text`, the
/// general parser reads the same values, and stepping over the text accepts it too. Returns
/// whether the fast path read it.
fn same_tree(text: &str, origin: &str) -> bool {
    let read = same_object::<serde_yaml_ng::Value>(text, origin);
    assert!(
        !read || from_str::<IgnoredAny>(text).is_some(),
        "{origin}: read but not stepped over:\n{text}"
    );
    read
}

/// Same for a model type: a value from the fast path equals the general parser's.
fn same_object<T: DeserializeOwned + Debug>(text: &str, origin: &str) -> bool {
    let Some(fast) = from_str::<T>(text) else {
        return false;
    };
    let general = match crate::yaml::from_str::<T>(text) {
        Ok(general) => general,
        Err(e) => {
            // Values no field reads are stepped over by their indentation alone, so the
            // model may be read from text that is invalid there; read whole, it is refused.
            assert!(
                from_str::<serde_yaml_ng::Value>(text).is_none(),
                "{origin}: general parser fails ({e}) on text read whole:\n{text}"
            );
            return true;
        }
    };
    assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{origin}");
    true
}

/// The item of `list` at `start` read in place gives what its copy gives (the value or
/// `None`, and where the item ends), and that is the general parser's value for the copy.
/// Returns whether the fast path read it.
fn same_item<T: DeserializeOwned + Debug>(
    list: &str,
    start: usize,
    copy: &str,
    stop: Stop,
    origin: &str,
) -> bool {
    let in_place = from_item::<T>(list, start).map(|(v, s)| (format!("{v:?}"), s));
    let copied = from_str::<T>(copy).map(|v| (format!("{v:?}"), stop));
    assert_eq!(in_place, copied, "{origin}: in place vs copy:\n{copy}");
    let read = same_object::<T>(copy, origin);
    assert_eq!(read, in_place.is_some(), "{origin}");
    read
}

/// `same_item` with the model type of the file `path` names.
fn same_model(path: &str, list: &str, start: usize, copy: &str, stop: Stop, origin: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let args = (list, start, copy, stop, origin);
    match name {
        "pods.yaml" => {
            if let Some(slim) = slim_healthy_pod(copy) {
                assert!(same_tree(&slim, origin));
                same_object::<Pod>(&slim, origin);
            }
            same_item::<Pod>(args.0, args.1, args.2, args.3, args.4)
        }
        "events.yaml" => same_item::<Event>(args.0, args.1, args.2, args.3, args.4),
        "deployments.yaml" | "replicasets.yaml" | "statefulsets.yaml" | "daemonsets.yaml"
        | "jobs.yaml" | "cronjobs.yaml" => {
            same_item::<Workload>(args.0, args.1, args.2, args.3, args.4)
        }
        "nodes.yaml" => same_item::<crate::model::Node>(args.0, args.1, args.2, args.3, args.4),
        "services.yaml" => same_item::<Service>(args.0, args.1, args.2, args.3, args.4),
        "endpoints.yaml" => same_item::<Endpoints>(args.0, args.1, args.2, args.3, args.4),
        "configmaps.yaml" | "secrets.yaml" => {
            same_item::<KeyedObject>(args.0, args.1, args.2, args.3, args.4)
        }
        "persistentvolumeclaims.yaml" => same_item::<Claim>(args.0, args.1, args.2, args.3, args.4),
        _ => same_item::<serde_yaml_ng::Value>(args.0, args.1, args.2, args.3, args.4),
    }
}

/// (items read by the fast path, items in kubectl list files)
fn check_files(files: &[(String, String)]) -> (usize, usize) {
    let (mut fast, mut total) = (0, 0);
    for (path, text) in files {
        same_tree(text, path);
        let Some(items) = kubectl_items(text) else {
            continue;
        };
        for (i, (start, copy, stop)) in items.iter().enumerate() {
            let origin = format!("{path} item {}", i + 1);
            total += 1;
            let tree = same_tree(copy, &origin);
            let model = same_model(path, text, *start, copy, *stop, &origin);
            assert!(!model || tree, "{origin}");
            fast += usize::from(model);
        }
    }
    (fast, total)
}

#[test]
fn agrees_with_serde_yaml_ng_on_fixtures_and_samples() {
    let files = crate::model::parse::fixture_yaml_files();
    assert!(files.len() > 100, "{} YAML files", files.len());
    let (fast, total) = check_files(&files);
    assert!(
        fast * 10 >= total * 9,
        "fast path read {fast} of {total} items"
    );
}

#[test]
fn agrees_with_serde_yaml_ng_on_generated_bundles() {
    let opts = ktriage_dev::generate::GenOptions::reader_tests();
    let files = ktriage_dev::generate::yaml_files(&opts);
    let (fast, total) = check_files(&files);
    assert!(total > 500, "{total} items");
    assert_eq!(fast, total, "generated YAML is kubectl-shaped throughout");
}

/// Block nesting is read down to `MAX_DEPTH` and declined below it, in fields read and
/// fields stepped over alike, well within a small stack (a debug build's frames are
/// large; an overflow would abort the test process).
#[test]
fn deep_block_nesting_stops_at_the_limit_on_a_small_stack() {
    fn nested(levels: usize) -> String {
        let mut text = String::from("items:\n- metadata:\n    name: deep\n  spec:\n");
        for i in 0..levels {
            text.push_str(&" ".repeat(4 + 2 * i));
            text.push_str(if i % 2 == 0 { "a:\n" } else { "- b:\n" });
        }
        text.push_str(&" ".repeat(4 + 2 * levels));
        text.push_str("c: d\n");
        text
    }
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for (levels, read) in [(40, true), (MAX_DEPTH + 5, false), (2000, false)] {
                let text = nested(levels);
                let (start, copy, stop) = kubectl_items(&text)
                    .and_then(|items| items.into_iter().next())
                    .expect("one item");
                let value = same_item::<serde_yaml_ng::Value>(&text, start, &copy, stop, "v");
                assert_eq!(value, read, "{levels} levels");
                // A pod's `spec` has none of these keys: they are stepped over by their
                // indentation, however deep, without recursion.
                let pod = same_item::<Pod>(&text, start, &copy, stop, "pod");
                assert!(pod, "{levels} levels");
            }
        })
        .expect("spawn");
    handle.join().expect("no stack overflow, no panic");
}

/// A nested value no field reads is stepped over by its lines' indentation: blank lines
/// inside a block scalar there need no fallback, and what the general parser refuses there
/// does not lose the object.
#[test]
fn nested_values_no_field_reads_are_stepped_over_by_indentation() {
    let pod = |extra: &str| {
        format!(
            "metadata:\n  name: api-1\n  namespace: shop\nspec:\n{extra}  containers:\n  - image: api:1\n    name: api\n  nodeName: node-1\n"
        )
    };
    let block = pod("  extension:\n    script: |\n      one\n\n      two\n    - odd: but deeper\n");
    let read = from_str::<Pod>(&block).expect("read without the general parser");
    assert_eq!(read.spec.containers[0].image, "api:1");
    assert_eq!(read.spec.node_name.as_deref(), Some("node-1"));
    assert!(same_object::<Pod>(
        &pod("  extension:\n    script: |\n      one\n\n      two\n"),
        "blank"
    ));
    let invalid = pod("  tolerations:\n  - key: a: b\n");
    assert!(crate::yaml::from_str::<Pod>(&invalid).is_err());
    let read = from_str::<Pod>(&invalid).expect("tolerations are not read");
    assert_eq!(read.metadata.name, "api-1");
    assert!(same_object::<Pod>(
        &invalid,
        "invalid where nothing is read"
    ));
    // Reading it whole, or stepping over a value the model reads, still checks every line.
    assert!(from_str::<serde_yaml_ng::Value>(&invalid).is_none());
    assert!(from_str::<Pod>(&pod("  nodeSelector:\n    a: b: c\n")).is_none());
    assert!(from_str::<Pod>(&pod("  hostNetwork: a: b\n")).is_none());
}

/// Odd but valid shapes of list items: each is read in place exactly as its copy is.
#[test]
fn list_items_read_in_place_as_copied() {
    let list = concat!(
        "apiVersion: v1\n",
        "items:\n",
        "- managedFields:\n",
        "  - manager: kubectl\n",
        "    fieldsV1: {}\n",
        "  metadata:\n",
        "    name: first-line-managed\n",
        "- metadata:\n",
        "    name: managed-deep\n",
        "    labels:\n",
        "      managedFields: not-a-list\n",
        "      app: x\n",
        "  spec:\n",
        "    containers:\n",
        "    - name: c\n",
        "      args:\n",
        "      - long plain value that go-yaml folded onto the next line because it\n",
        "        was long\n",
        "      - \"a double-quoted value\n",
        "        folded too\"\n",
        "      command:\n",
        "      - sh\n",
        "  status:\n",
        "    message: |+\n",
        "      kept\n",
        "\n",
        "    reason: x\n",
        "  managedFields:\n",
        "  - manager: last\n",
        "    fieldsV1:\n",
        "      f:spec:\n",
        "        \t: tabs are not read here, and this line is dropped\n",
        "- metadata:\n",
        "# a column-0 comment inside an item\n",
        "    name: commented\r\n",
        "  kind: Pod\r\n",
        "- metadata:\n",
        "    name: declined\n",
        "    annotations:\n",
        "      a: &anchor 1\n",
        "- metadata:\n",
        "    managedFields:\n",
        "    - a: 1\n",
        "\n",
        "    - b: 2\n",
        "    name: blank-ends-the-skip\n",
        "-   metadata:\n",
        "      name: odd-dash\n",
        "- metadata:\n",
        "    name: tab\there\n",
        "kind: List\n",
        "metadata:\n",
        "- not an item\n",
    );
    let items = kubectl_items(list).expect("a kubectl list");
    assert_eq!(items.len(), 7);
    let mut read = Vec::new();
    for (i, (start, copy, stop)) in items.iter().enumerate() {
        let origin = format!("item {}", i + 1);
        same_tree(copy, &origin);
        read.push(same_item::<serde_yaml_ng::Value>(
            list, *start, copy, *stop, &origin,
        ));
        same_item::<Pod>(list, *start, copy, *stop, &origin);
    }
    assert_eq!(
        read,
        [true, true, true, false, false, false, false],
        "{items:#?}"
    );
    assert!(matches!(items[6].2, Stop::End(_)));
}

/// Random edits of generated kubectl YAML: whatever the fast path still reads, the general
/// parser reads the same way (or the fast path declines).
#[test]
fn mutated_kubectl_yaml_agrees_or_falls_back() {
    let opts = ktriage_dev::generate::GenOptions {
        pods: 40,
        crashloop_percent: 30.0,
        clusters: 1,
        seed: 9,
        log_lines: 1,
    };
    let mut items: Vec<String> = Vec::new();
    for (_, text) in ktriage_dev::generate::yaml_files(&opts) {
        items.extend(split_kubectl_list(&text).unwrap_or_default());
    }
    items.retain(|i| i.len() < 6000);
    assert!(items.len() > 50);
    let pieces = [
        " ", "  ", "\n", "\n\n", ":", ": ", "- ", "-", "#", " #", "&a ", "*a", "!", "'", "''",
        "\"", "\\", "\\n", "\\x4", "[", "]", "{", "}", ",", "|", "|-", ">", "?", "~", "0x", "0",
        ".inf", "null", "true", "\t", "%", "@", "`", "é", "\u{2028}", "a: b\n", "- a\n", "  - ",
        "k:\n", "|\n", "---\n",
    ];
    let mut rng = ktriage_dev::generate::Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut next = move |n: usize| rng.below(n);
    let (mut fast, mut total) = (0, 0);
    for round in 0..4000 {
        let mut text = items[next(items.len())].clone();
        for _ in 0..=next(3) {
            let mut at = next(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match next(3) {
                0 => text.insert_str(at, pieces[next(pieces.len())]),
                1 => {
                    let mut end = (at + 1 + next(4)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.replace_range(at..end.max(at), "");
                }
                _ => {
                    let mut end = (at + 1).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, pieces[next(pieces.len())]);
                }
            }
        }
        let origin = format!("round {round}");
        total += 1;
        if same_tree(&text, &origin) {
            fast += 1;
            same_object::<Pod>(&text, &origin);
            same_object::<Event>(&text, &origin);
            same_object::<Workload>(&text, &origin);
        }
    }
    // Many edits keep the text kubectl-shaped; the check is only meaningful if they do.
    assert!(
        fast * 5 > total,
        "fast path read {fast} of {total} mutations"
    );
}

/// Random edits of generated kubectl list files, anywhere (column 0 included): every item
/// reads in place as its copy reads, and when it reads, as the general parser reads it.
#[test]
fn mutated_kubectl_lists_read_in_place_as_copied() {
    let opts = ktriage_dev::generate::GenOptions {
        pods: 12,
        crashloop_percent: 30.0,
        clusters: 1,
        seed: 11,
        log_lines: 1,
    };
    let lists: Vec<String> = ktriage_dev::generate::yaml_files(&opts)
        .into_iter()
        .filter(|(path, _)| path.ends_with("pods.yaml"))
        .map(|(_, text)| text)
        .filter(|text| kubectl_items(text).is_some_and(|items| !items.is_empty()))
        .collect();
    assert!(!lists.is_empty());
    let mut rng = ktriage_dev::generate::Rng::new(0x2545_F491_4F6C_DD1D);
    let (mut fast, mut total) = (0, 0);
    for round in 0..300 {
        let mut text = lists[rng.below(lists.len())].clone();
        ktriage_dev::mutate::edit_list(&mut text, &mut rng);
        let Some(items) = kubectl_items(&text) else {
            continue;
        };
        for (i, (start, copy, stop)) in items.iter().enumerate() {
            let origin = format!("round {round} item {}", i + 1);
            total += 1;
            same_tree(copy, &origin);
            fast += usize::from(same_item::<Pod>(&text, *start, copy, *stop, &origin));
            same_item::<Event>(&text, *start, copy, *stop, &origin);
        }
    }
    assert!(fast * 2 > total, "read {fast} of {total} items in place");
}
