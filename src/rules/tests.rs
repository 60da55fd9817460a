//! Meta-tests of the rule registry and the rules' documentation.

use super::registry::RULES;

#[test]
fn registry_is_sorted_and_unique() {
    let causes: Vec<&str> = RULES.iter().map(|r| r.cause.id()).collect();
    let mut sorted = causes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        causes, sorted,
        "RULES must be sorted by cause id, without duplicates"
    );
}

#[test]
fn every_explanation_has_the_required_sections() {
    for rule in RULES {
        for heading in [
            "## What it detects",
            "## Why it crash-loops",
            "## Evidence",
            "## Remedy",
            "## Not covered",
        ] {
            let heading =
                if rule.kind == super::RuleKind::NotALoop && heading == "## Why it crash-loops" {
                    "## Why it is not a crash loop"
                } else {
                    heading
                };
            assert!(
                rule.explanation.contains(heading),
                "`{}` lacks {heading}",
                rule.cause
            );
        }
        assert!(
            !rule.summary().is_empty(),
            "`{}` has no summary line",
            rule.cause
        );
    }
}

#[test]
fn causes_are_those_of_the_design() {
    let design = include_str!("../../docs/design.md");
    for rule in RULES {
        assert!(
            design.contains(&format!("`{}`", rule.cause)),
            "`{}` is not a cause id of docs/design.md §4",
            rule.cause
        );
    }
}

/// The compact view of a finding stored in rule snapshots.
#[derive(serde::Serialize)]
struct Snap {
    rank: usize,
    cause: String,
    confidence: f64,
    severity: String,
    title: String,
    workload: String,
    container: String,
    container_kind: String,
    pods: Vec<String>,
    evidence: Vec<String>,
    alternatives: Vec<String>,
    remediation: Vec<String>,
    notes: Vec<String>,
}

/// Analyzes a fixture directory (a ktriage bundle) with all rules, ranked.
fn analyze_fixture(dir: &std::path::Path) -> Vec<crate::finding::ReportFinding> {
    let source = crate::bundle::BundleSource::new(dir);
    let loaded = crate::formats::read(
        &source,
        &crate::bundle::Limits::default(),
        &super::registry::SCANNER,
    )
    .expect("fixture is a readable ktriage bundle");
    assert!(
        loaded.warnings.is_empty(),
        "{}: {:?}",
        dir.display(),
        loaded.warnings
    );
    let mut findings = crate::app::diagnose_cluster(
        &loaded.cluster,
        "fixture",
        &super::registry::RuleSet::default(),
        &super::registry::SCANNER,
    );
    crate::rank::rank_all(&mut findings);
    findings
}

/// Every case under `fixtures/rules/<cause>/<case>/`: `fires*` cases must rank the rule's
/// cause first, `near-miss*` cases must not report it as any finding's cause. The ranked
/// findings of each case are snapshotted.
#[test]
fn rule_fixtures() {
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rules");
    insta::glob!(base, "*/*/case.md", |case_md| {
        let dir = case_md.parent().expect("case.md has a directory");
        let case = dir
            .file_name()
            .expect("named")
            .to_string_lossy()
            .into_owned();
        let cause = dir
            .parent()
            .and_then(|p| p.file_name())
            .expect("named")
            .to_string_lossy()
            .into_owned();
        let findings = analyze_fixture(dir);
        if case.starts_with("fires") {
            let first = findings
                .first()
                .unwrap_or_else(|| panic!("{cause}/{case}: no finding"));
            assert_eq!(
                first.cause.id(),
                cause,
                "{cause}/{case}: ranked first is {} ({})",
                first.cause,
                first.title
            );
        } else if case.starts_with("near-miss") {
            assert!(
                findings.iter().all(|f| f.cause.id() != cause),
                "{cause}/{case}: must not be claimed by `{cause}`"
            );
        } else {
            panic!("{cause}/{case}: case names start with `fires` or `near-miss`");
        }
        let snaps: Vec<Snap> = findings
            .into_iter()
            .map(|f| Snap {
                rank: f.rank,
                cause: f.cause.to_string(),
                confidence: f.confidence,
                severity: f.severity.to_string(),
                title: f.title,
                workload: format!("{} {}/{}", f.workload.kind, f.namespace, f.workload.name),
                container: f.container,
                container_kind: f.container_kind,
                pods: f.pods,
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| {
                        format!(
                            "[{}] {} ({}): {}",
                            e.kind_name(),
                            e.source,
                            e.locator,
                            e.text
                        )
                    })
                    .collect(),
                alternatives: f
                    .alternatives
                    .iter()
                    .map(|a| format!("{} {:.2}", a.cause, a.confidence))
                    .collect(),
                remediation: f.remediation,
                notes: f.notes,
            })
            .collect();
        insta::assert_yaml_snapshot!(snaps);
    });
}

/// Every rule has at least one firing fixture and one near-miss.
#[test]
fn every_rule_has_fixtures() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    // Snapshot names use only the case directory's name, so it must be unique.
    let mut seen = std::collections::BTreeSet::new();
    for cause_dir in std::fs::read_dir(&base)
        .expect("fixtures/rules exists")
        .filter_map(Result::ok)
    {
        for case in std::fs::read_dir(cause_dir.path())
            .expect("readable")
            .filter_map(Result::ok)
        {
            let name = case.file_name().to_string_lossy().into_owned();
            assert!(
                seen.insert(name.clone()),
                "fixture case name `{name}` is used twice; make it unique"
            );
        }
    }
    for rule in RULES {
        let dir = base.join(rule.cause.id());
        let cases: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            cases.iter().any(|c| c.starts_with("fires")),
            "`{}` has no firing fixture in {}",
            rule.cause,
            dir.display()
        );
        assert!(
            cases.iter().any(|c| c.starts_with("near-miss")),
            "`{}` has no near-miss fixture in {}",
            rule.cause,
            dir.display()
        );
    }
}

/// Finding titles start lowercase and have no trailing period.
#[test]
fn titles_follow_the_message_style() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    for cause_dir in std::fs::read_dir(&base)
        .expect("fixtures/rules exists")
        .filter_map(Result::ok)
    {
        for case in std::fs::read_dir(cause_dir.path())
            .expect("readable")
            .filter_map(Result::ok)
        {
            for f in analyze_fixture(&case.path()) {
                let first = f.title.chars().next().expect("title is not empty");
                assert!(
                    first.is_lowercase() || first == '`',
                    "title starts uppercase: {}",
                    f.title
                );
                assert!(
                    !f.title.ends_with('.'),
                    "title ends with a period: {}",
                    f.title
                );
                assert!(
                    !f.evidence.is_empty(),
                    "finding without evidence: {}",
                    f.title
                );
            }
        }
    }
}

#[test]
fn calibration_keeps_the_order_of_confidences() {
    use super::{CERTAIN, LIKELY, STRONG, WEAK, calibrated};
    let steps: Vec<f64> = (0..=100)
        .map(|i| calibrated(f64::from(i) / 100.0))
        .collect();
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]),
        "not strictly increasing: {steps:?}"
    );
    // The fallback says "nothing specific matched" and keeps its value; evidence tiers show
    // what they were measured at; nothing reaches certainty.
    assert!((calibrated(WEAK) - WEAK).abs() < 1e-9);
    assert!((calibrated(LIKELY) - 0.86).abs() < 1e-9);
    assert!((calibrated(0.75) - 0.88).abs() < 1e-9);
    assert!(calibrated(STRONG) < calibrated(CERTAIN));
    assert!(calibrated(1.5) <= 0.99 && calibrated(-1.0) == 0.0);
}
