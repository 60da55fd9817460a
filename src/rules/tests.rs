//! Meta-tests of the rule registry and the rules' documentation.

use super::registry::RULES;

#[test]
fn registry_is_sorted_and_unique() {
    let causes: Vec<&str> = RULES.iter().map(|r| r.cause).collect();
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
    let design = include_str!("../../../shared/DESIGN.md");
    for rule in RULES {
        assert!(
            design.contains(&format!("`{}`", rule.cause)),
            "`{}` is not a cause id of DESIGN.md §4",
            rule.cause
        );
    }
}
