//! The module graph of `src/`: which top-level module uses which (`crate::x` paths in code that
//! is not a test), checked to have one arrow direction per pair and to be the graph
//! docs/architecture.md shows.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The graph as the code has it.
fn graph_of_code() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    let mut files = Vec::new();
    collect_rs(&src, &mut files);
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "main" || top == "lib" || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = fs::read_to_string(&file).expect("readable");
        // Test modules come last in a file; what follows them is not the module's code (a
        // test-only item elsewhere in the file still is).
        let code = text.split("#[cfg(test)]\nmod ").next().unwrap_or_default();
        let uses = graph.entry(top.clone()).or_default();
        for line in code.lines() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    uses.insert(name);
                }
            }
        }
    }
    graph
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The graph docs/architecture.md shows: the lines `module -> a b c` of its graph block.
fn graph_of_docs() -> Graph {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
            .expect("docs/architecture.md");
    let block = doc
        .split("<!-- module graph -->")
        .nth(1)
        .expect("a `<!-- module graph -->` block in docs/architecture.md");
    block
        .lines()
        .filter_map(|l| l.split_once(" -> "))
        .map(|(m, deps)| {
            let deps = deps.split_whitespace().filter(|d| *d != "(none)");
            (m.trim().to_owned(), deps.map(str::to_owned).collect())
        })
        .collect()
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = graph_of_code();
    let mut both = Vec::new();
    for (a, uses) in &graph {
        for b in uses {
            if a < b && graph.get(b).is_some_and(|u| u.contains(a)) {
                both.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(both.is_empty(), "modules that use each other: {both:?}");
}

#[test]
fn the_model_depends_on_no_rule_and_the_reader_on_no_format() {
    let graph = graph_of_code();
    // The model stores the scanner's hits (`logscan` types); the scanner knows no rule either.
    for (module, above) in [
        (
            "model",
            ["rules", "subjects", "diagnose", "correlations", "formats"],
        ),
        (
            "logscan",
            ["rules", "subjects", "diagnose", "correlations", "formats"],
        ),
    ] {
        for a in above {
            assert!(!graph[module].contains(a), "{module} uses {a}");
        }
    }
    let bundle = &graph["bundle"];
    assert!(bundle.is_empty(), "the reader uses {bundle:?}");
}

#[test]
fn docs_show_the_graph_the_code_has() {
    let code = graph_of_code();
    let docs = graph_of_docs();
    let show = |g: &Graph| -> String {
        g.iter()
            .map(|(m, deps)| {
                let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
                let deps = if deps.is_empty() {
                    "(none)".to_owned()
                } else {
                    deps.join(" ")
                };
                format!("{m} -> {deps}\n")
            })
            .collect()
    };
    assert_eq!(
        show(&docs),
        show(&code),
        "update the graph in docs/architecture.md"
    );
}
