//! `cargo dev new-rule ID` and `cargo dev new-correlation ID`: everything a new cause needs
//! besides its logic, written into the repository the way the existing ones are.
//!
//! A rule: `src/rules/<id>.rs` (its documentation sections, a signature list, a `check`), the
//! cause id in `src/cause.rs`, its `mod` line in `src/rules/mod.rs`, its entry in
//! `src/rules/registry.rs`, and a fixture pair under `fixtures/rules/<id>/` (a crash loop the
//! rule must claim, one it must leave alone) copied from a plain crash loop for the contributor
//! to edit. A correlation: `src/correlations/<id>.rs`, the cause id, its `mod` line and its
//! entry in `CORRELATIONS`, and the same fixture pair. Lists stay sorted where they are sorted.
//!
//! Until the contributor writes the rule, the firing fixture fails `rule_fixtures` (nothing
//! claims it): the scaffold is a failing test to make pass, not a rule.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

/// What is scaffolded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Rule,
    Correlation,
}

/// The crash loop the fixture pair starts from: a service that exits 1 after a log line no
/// rule recognizes.
const SKELETON: &str = "fixtures/rules/app-error-exit/fires-app-error-exit-plain";

/// Writes a new rule or correlation `id` (kebab-case) into the repository at `root`, with
/// `summary` as the first sentence of its documentation. Returns the files written or changed.
///
/// # Errors
/// When `id` is not kebab-case or already a cause, or a file cannot be read or written.
pub fn scaffold(root: &Path, unit: Unit, id: &str, summary: &str) -> Result<Vec<PathBuf>> {
    ensure!(
        !id.is_empty()
            && id
                .split('-')
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
        "`{id}`: a cause id is kebab-case words of a-z (`oom-killed`)"
    );
    let summary = summary.trim().trim_end_matches('.');
    ensure!(!summary.is_empty(), "the summary is empty");
    let names = Names::of(id);
    let cause_rs = root.join("src/cause.rs");
    let causes = read(&cause_rs)?;
    if causes.contains(&format!("= \"{id}\",")) {
        bail!("`{id}` is already a cause (src/cause.rs)");
    }
    let (dir, list) = match unit {
        Unit::Rule => ("src/rules", "src/rules/registry.rs"),
        Unit::Correlation => ("src/correlations", "src/correlations/mod.rs"),
    };
    let file = root.join(dir).join(format!("{}.rs", names.module));
    ensure!(!file.exists(), "{} exists already", file.display());
    let fixtures = root.join("fixtures/rules").join(id);
    ensure!(!fixtures.exists(), "{} exists already", fixtures.display());

    let origin = match unit {
        Unit::Rule => "Rule",
        Unit::Correlation => "Correlation",
    };
    let mut written = Vec::new();
    let line = format!("    {origin} {} = \"{id}\",", names.variant);
    write(
        &cause_rs,
        &insert_sorted_line(&causes, "causes! {", "}", &line, |l| {
            l.split('"').nth(1).map(str::to_owned)
        })?,
    )?;
    written.push(cause_rs);

    let mod_rs = root.join(dir).join("mod.rs");
    let modules = read(&mod_rs)?;
    let mod_line = format!("mod {};", names.module);
    write(&mod_rs, &add_mod_line(&modules, &mod_line)?)?;
    written.push(mod_rs.clone());

    match unit {
        Unit::Rule => {
            fs::write(&file, rule_file(id, summary, &names))?;
            let registry = root.join(list);
            let text = read(&registry)?;
            write(&registry, &add_rule_entry(&text, &names)?)?;
            written.push(registry);
        }
        Unit::Correlation => {
            fs::write(&file, correlation_file(id, summary, &names))?;
            // mod.rs holds CORRELATIONS: it was read before its `mod` line went in.
            let text = read(&mod_rs)?;
            write(&mod_rs, &add_correlation_entry(&text, &names)?)?;
        }
    }
    written.push(file);
    written.extend(fixture_pair(root, id, summary)?);
    written.sort();
    written.dedup();
    Ok(written)
}

/// The names a cause id takes in code.
struct Names {
    /// `oom_killed`: the module.
    module: String,
    /// `OOM_KILLED`: the static.
    constant: String,
    /// `OomKilled`: the variant of `Cause`.
    variant: String,
}

impl Names {
    fn of(id: &str) -> Self {
        let variant = id
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        Self {
            module: id.replace('-', "_"),
            constant: id.replace('-', "_").to_ascii_uppercase(),
            variant,
        }
    }
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Inserts `line` into the block that starts at the line `open` and ends at the next line
/// `close`, before the first line whose key (`key_of`) sorts after the new line's.
fn insert_sorted_line(
    text: &str,
    open: &str,
    close: &str,
    line: &str,
    key_of: impl Fn(&str) -> Option<String>,
) -> Result<String> {
    let mut lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == open)
        .with_context(|| format!("no `{open}` block"))?;
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l.trim() == close)
            .with_context(|| format!("`{open}` is not closed"))?;
    let key = key_of(line).context("the new line has no key")?;
    let at = (start + 1..end)
        .find(|&i| key_of(lines[i]).is_some_and(|k| k > key))
        .unwrap_or(end);
    lines.insert(at, line);
    Ok(lines.join("\n") + "\n")
}

/// Adds `mod x;` to the longest run of `mod` lines of a module (the rules' or correlations'
/// own, not the helpers'), in order.
fn add_mod_line(text: &str, line: &str) -> Result<String> {
    let mut lines: Vec<&str> = text.lines().collect();
    let is_mod = |l: &str| l.starts_with("mod ") && l.ends_with(';');
    let mut mods: Vec<usize> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if is_mod(l) {
            run.push(i);
        } else if !run.is_empty() {
            if run.len() > mods.len() {
                mods = std::mem::take(&mut run);
            }
            run.clear();
        }
    }
    if run.len() > mods.len() {
        mods = run;
    }
    let last = *mods.last().context("no `mod` lines")?;
    let at = mods
        .iter()
        .copied()
        .find(|&i| lines[i] > line)
        .unwrap_or(last + 1);
    lines.insert(at, line);
    Ok(lines.join("\n") + "\n")
}

/// Adds a rule to `RULES` (sorted by cause id) and its module to the registry's imports.
fn add_rule_entry(text: &str, names: &Names) -> Result<String> {
    let entry = format!("    &{}::{},", names.module, names.constant);
    let text = insert_sorted_line(
        text,
        "pub(crate) static RULES: &[&RuleDef] = &[",
        "];",
        &entry,
        |l| {
            l.trim()
                .strip_prefix('&')
                .and_then(|p| p.split("::").next())
                .map(str::to_owned)
        },
    )?;
    // The module in the `use super::{…}` list, which rustfmt lays out again.
    let import = "use super::{";
    let start = text
        .find(import)
        .context("no `use super::{` in the registry")?;
    let end = start
        + text[start..]
            .find("};")
            .context("the registry's import is not closed")?;
    let mut items: Vec<String> = text[start + import.len()..end]
        .split(',')
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty())
        .collect();
    items.push(names.module.clone());
    // rustfmt's order: types (capitalized) first, then the modules, each alphabetical.
    items.sort_by_key(|i| (i.starts_with(|c: char| c.is_ascii_lowercase()), i.clone()));
    Ok(format!(
        "{}{import}\n    {},\n{}",
        &text[..start],
        items.join(",\n    "),
        &text[end..]
    ))
}

/// Adds a correlation to `CORRELATIONS`, before the fleet view (which runs last and adds no
/// finding): a new correlation runs after the others, so it may read their notes.
fn add_correlation_entry(text: &str, names: &Names) -> Result<String> {
    let fleet = "    &fleet::FLEET,";
    ensure!(text.contains(fleet), "no `&fleet::FLEET` in CORRELATIONS");
    Ok(text.replacen(
        fleet,
        &format!("    &{}::{},\n{fleet}", names.module, names.constant),
        1,
    ))
}

/// The documentation sections every cause has (`rules::tests` checks them), with what to write.
fn doc_sections(summary: &str) -> String {
    format!(
        "    /// ## What it detects
    /// {summary}.
    ///
    /// ## Why it crash-loops
    /// Why the container exits again at every restart (what stays wrong between restarts).
    ///
    /// ## Evidence
    /// - each fact the finding shows, with its tier (`CERTAIN` status field or event, `STRONG`
    ///   exit code plus log line, `LIKELY` log line alone)
    ///
    /// ## Remedy
    /// What to change, and the commands that confirm it.
    ///
    /// ## Not covered
    /// The neighbouring causes this one leaves alone, by id.
"
    )
}

fn rule_file(id: &str, summary: &str, n: &Names) -> String {
    format!(
        "//! `{id}`: {summary}.

use super::{{Evidence, Finding, RuleContext, Signature, best_hit}};

declare_rule! {{
{docs}    pub(crate) static {constant} = {{
        cause: {variant}, kind: CrashLoop, check: check, signatures: SIGNATURES,
    }};
}}

/// The log lines that name the cause: each pattern with a real line it must match (a test
/// checks every example), and the confidence of that line alone.
const SIGNATURES: &[Signature] = &[];

/// Proposes `{id}` for each looping container whose log holds one of `SIGNATURES`.
fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {{
    for s in cx.crashlooping_containers() {{
        let Some(hit) = best_hit(s, {constant}.cause) else {{
            continue;
        }};
        let confidence = hit.signature.confidence * hit.position_weight();
        out.push(
            Finding::new(&{constant}, s, confidence)
                .title(format!(\"container `{{}}`: {summary}\", s.name()))
                .evidence(Evidence::log_hit(s, hit))
                .termination(s)
                .waiting(s),
        );
    }}
}}
",
        docs = doc_sections(summary),
        constant = n.constant,
        variant = n.variant,
    )
}

fn correlation_file(id: &str, summary: &str, n: &Names) -> String {
    format!(
        "//! `{id}`: {summary}.

use crate::finding::ReportFinding;
use crate::model::Cluster;
use crate::subjects::Subject;

declare_correlation! {{
{docs}    pub(crate) static {constant} = {{
        cause: {variant},
        summary: \"{summary}\",
        run: Some({module}),
    }};
}}

/// Adds a `{id}` finding to `added` for each group of `findings` it explains (a `Correlation`
/// frame builds it), and notes on the findings it explains.
fn {module}(
    _cluster: &Cluster,
    _subjects: &[Subject<'_>],
    _findings: &mut [ReportFinding],
    _added: &mut Vec<ReportFinding>,
) {{
}}
",
        docs = doc_sections(summary),
        constant = n.constant,
        variant = n.variant,
        module = n.module,
    )
}

/// `fires-<id>` and `near-miss-<id>`, copies of a plain crash loop with a `case.md` saying what
/// each must become.
fn fixture_pair(root: &Path, id: &str, summary: &str) -> Result<Vec<PathBuf>> {
    let skeleton = root.join(SKELETON);
    let mut written = Vec::new();
    for (case, what) in [
        (
            format!("fires-{id}"),
            format!(
                "Edit this crash loop (pod, events, previous log) into a real one where {summary}, \
                 as kubectl prints it; `{id}` must rank first."
            ),
        ),
        (
            format!("near-miss-{id}"),
            format!(
                "Edit this crash loop into the nearest real case that is NOT `{id}` (a \
                 neighbouring cause, or the same words meaning something else); `{id}` must not \
                 claim it."
            ),
        ),
    ] {
        let dir = root.join("fixtures/rules").join(id).join(case);
        copy_dir(&skeleton, &dir)?;
        fs::write(dir.join("case.md"), format!("{what}\n"))?;
        written.push(dir);
    }
    Ok(written)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy to {}", target.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the files the scaffolder edits, and the fixture it starts from.
    fn repo() -> tempfile::TempDir {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = tempfile::tempdir().expect("a temp dir");
        for f in [
            "src/cause.rs",
            "src/rules/mod.rs",
            "src/rules/registry.rs",
            "src/correlations/mod.rs",
        ] {
            let to = dir.path().join(f);
            fs::create_dir_all(to.parent().expect("a parent")).expect("created");
            fs::copy(here.join(f), to).expect("copied");
        }
        copy_dir(&here.join(SKELETON), &dir.path().join(SKELETON)).expect("copied");
        dir
    }

    #[test]
    fn a_new_rule_is_declared_where_every_rule_is() {
        let dir = repo();
        let root = dir.path();
        let written = scaffold(
            root,
            Unit::Rule,
            "quota-exceeded",
            "the namespace's quota is used up",
        )
        .expect("scaffolded");
        assert!(written.contains(&root.join("src/rules/quota_exceeded.rs")));
        let causes = read(&root.join("src/cause.rs")).expect("read");
        let ids: Vec<&str> = causes
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("Rule ")
                    .or(l.trim().strip_prefix("Correlation "))
            })
            .filter_map(|l| l.split('"').nth(1))
            .collect();
        assert!(ids.contains(&"quota-exceeded"), "{ids:?}");
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids stay sorted: {ids:?}"
        );
        let mods = read(&root.join("src/rules/mod.rs")).expect("read");
        let at = mods.find("mod quota_exceeded;").expect("mod line");
        assert!(mods.find("mod port_in_use;").expect("a neighbour") < at);
        assert!(at < mods.find("mod read_only_filesystem;").expect("a neighbour"));
        let registry = read(&root.join("src/rules/registry.rs")).expect("read");
        let entry = registry
            .find("&quota_exceeded::QUOTA_EXCEEDED,")
            .expect("entry");
        assert!(
            registry
                .find("&port_in_use::PORT_IN_USE,")
                .expect("neighbour")
                < entry
        );
        assert!(registry.contains("    quota_exceeded,\n"), "{registry}");
        let rule = read(&root.join("src/rules/quota_exceeded.rs")).expect("read");
        for section in [
            "## What it detects",
            "## Why it crash-loops",
            "## Evidence",
            "## Remedy",
            "## Not covered",
        ] {
            assert!(rule.contains(section), "{section}");
        }
        assert!(rule.contains("cause: QuotaExceeded, kind: CrashLoop"));
        for case in ["fires-quota-exceeded", "near-miss-quota-exceeded"] {
            let case = root.join("fixtures/rules/quota-exceeded").join(case);
            assert!(case.join("manifest.json").is_file());
            assert!(
                read(&case.join("case.md"))
                    .expect("read")
                    .contains("quota-exceeded")
            );
        }
        let again = scaffold(root, Unit::Rule, "quota-exceeded", "again").expect_err("exists");
        assert!(again.to_string().contains("already a cause"), "{again}");
    }

    #[test]
    fn a_new_correlation_runs_before_the_fleet_view() {
        let dir = repo();
        let root = dir.path();
        scaffold(
            root,
            Unit::Correlation,
            "zone-outage",
            "loops of one availability zone",
        )
        .expect("scaffolded");
        let list = read(&root.join("src/correlations/mod.rs")).expect("read");
        assert!(list.contains("mod zone_outage;"));
        let entry = list.find("&zone_outage::ZONE_OUTAGE,").expect("entry");
        assert!(entry < list.find("&fleet::FLEET,").expect("fleet"));
        let causes = read(&root.join("src/cause.rs")).expect("read");
        assert!(causes.contains("Correlation ZoneOutage = \"zone-outage\","));
        let file = read(&root.join("src/correlations/zone_outage.rs")).expect("read");
        assert!(file.contains("summary: \"loops of one availability zone\","));
    }

    #[test]
    fn ids_must_be_kebab_case() {
        let dir = repo();
        for bad in ["", "Quota", "quota_exceeded", "quota--exceeded", "-quota"] {
            assert!(
                scaffold(dir.path(), Unit::Rule, bad, "x").is_err(),
                "{bad:?}"
            );
        }
    }
}
