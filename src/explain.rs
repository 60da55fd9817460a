//! `ktriage rules` and `ktriage explain`: what the causes and correlations are, and the names
//! people type for them (cause ids, aliases, Kubernetes reasons such as `ImagePullBackOff`).

use std::io::Write;

use anyhow::{Context, Result, bail};

use crate::cause::{ALIASES, Cause};
use crate::correlations::{CORRELATIONS, CorrelationDef};
use crate::rules::registry::{RULES, find_rule, rule_of};
use crate::rules::{RuleDef, RuleKind};

/// Causes behind a container that the runtime fails to create or start.
const START_FAILURES: &[Cause] = &[
    Cause::CommandNotFound,
    Cause::ExecFormat,
    Cause::NotExecutable,
    Cause::OomAtStart,
    Cause::RuntimeStartFailure,
];

/// Kubernetes reason names users type (the `STATUS` of `kubectl get pods`, `reason` fields and
/// event reasons) and the causes they point at. `CrashLoopBackOff` is not listed: it is the
/// symptom of every crash-loop cause (`explain` lists them); `OOMKilled` folds to `oom-killed`.
pub(crate) static REASONS: &[(&str, &[Cause])] = &[
    ("BackoffLimitExceeded", &[Cause::JobBackoffLimit]),
    ("ContainerCannotRun", START_FAILURES),
    ("CreateContainerConfigError", &[Cause::MissingConfigRef]),
    ("CreateContainerError", START_FAILURES),
    ("ErrImageNeverPull", &[Cause::ImagePull]),
    ("ErrImagePull", &[Cause::ImagePull]),
    ("Evicted", &[Cause::Evicted]),
    ("ImagePullBackOff", &[Cause::ImagePull]),
    ("InvalidImageName", &[Cause::ImagePull]),
    ("PostStartHookError", &[Cause::LifecycleHookFailure]),
    ("RunContainerError", START_FAILURES),
    ("StartError", START_FAILURES),
];

/// What a name typed for `ktriage explain` stands for.
#[derive(Clone, Copy)]
pub(crate) enum Explained {
    Rule(&'static RuleDef),
    Correlation(&'static CorrelationDef),
    /// A Kubernetes reason (as spelled in `REASONS`) and the causes it points at.
    Reason(&'static str, &'static [Cause]),
    /// `CrashLoopBackOff`: the symptom, not a cause.
    CrashLoop,
}

/// Looks a cause id, correlation id or Kubernetes reason up, ignoring case, `-`, `_` and spaces
/// (`OOMKilled`, `oom_killed`, `crashloopbackoff`).
#[must_use]
pub(crate) fn find_explained(name: &str) -> Option<Explained> {
    if let Some(rule) = find_rule(name.trim()) {
        return Some(Explained::Rule(rule));
    }
    let key = fold(name);
    if let Some(rule) = RULES.iter().find(|r| fold(r.cause.id()) == key) {
        return Some(Explained::Rule(rule));
    }
    if let Some(c) = CORRELATIONS.iter().find(|c| fold(c.cause.id()) == key) {
        return Some(Explained::Correlation(c));
    }
    if key == "crashloopbackoff" || key == "crashloop" {
        return Some(Explained::CrashLoop);
    }
    REASONS
        .iter()
        .find(|(r, _)| fold(r) == key)
        .map(|(r, causes)| Explained::Reason(r, causes))
}

/// The known names nearest to `name` (cause ids, correlation ids, Kubernetes reasons), closest
/// first: at most three, each within a third of the longer name's length in edits.
#[must_use]
pub(crate) fn nearest(name: &str) -> Vec<&'static str> {
    let key = fold(name);
    let names = Cause::ALL
        .iter()
        .map(|c| c.id())
        .chain(REASONS.iter().map(|(r, _)| *r))
        .chain(["CrashLoopBackOff"]);
    let mut scored: Vec<(usize, &'static str)> = names
        .filter_map(|n| {
            let folded = fold(n);
            let distance = edit_distance(&key, &folded);
            let within = key.chars().count().max(folded.chars().count()) / 3;
            (distance <= within.max(1)).then_some((distance, n))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// Lowercase, without `-`, `_` and spaces: the form names are compared in.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `ktriage rules`: every cause id with its summary, the correlations and the names `explain`
/// also accepts, as a table or as JSON.
///
/// # Errors
/// When `out` cannot be written.
pub(crate) fn list_rules(format: &str, out: &mut dyn Write) -> Result<()> {
    if format == "json" {
        let entry =
            |cause: Cause, summary: &str| serde_json::json!({ "cause": cause, "summary": summary });
        let aliases: Vec<serde_json::Value> = REASONS
            .iter()
            .map(|(reason, causes)| serde_json::json!({ "name": reason, "causes": causes }))
            .chain([
                serde_json::json!({ "name": "CrashLoopBackOff", "causes": crash_loop_causes() }),
            ])
            .chain(
                ALIASES
                    .iter()
                    .map(|a| serde_json::json!({ "name": a.name, "causes": [a.cause] })),
            )
            .collect();
        let list = serde_json::json!({
            "rules": RULES.iter().map(|r| entry(r.cause, &r.summary())).collect::<Vec<_>>(),
            "correlations": correlations_by_id().map(|c| entry(c.cause, c.summary)).collect::<Vec<_>>(),
            "aliases": aliases,
        });
        // Written whole, so that a closed pipe is an `io::Error` (which exits quietly).
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(());
    }
    for rule in RULES {
        writeln!(out, "{:<28} {}", rule.cause.id(), rule.summary())?;
    }
    writeln!(out, "\ncorrelations:")?;
    for c in correlations_by_id() {
        writeln!(out, "{:<28} {}", c.cause.id(), c.summary)?;
    }
    writeln!(out, "\naliases:")?;
    for alias in ALIASES {
        writeln!(out, "{:<28} `{}` {}", alias.name, alias.cause, alias.note)?;
    }
    writeln!(
        out,
        "{:<28} the symptom; `ktriage explain CrashLoopBackOff` lists its causes",
        "CrashLoopBackOff"
    )?;
    for (reason, causes) in REASONS {
        let causes: Vec<String> = causes.iter().map(|c| format!("`{c}`")).collect();
        writeln!(out, "{reason:<28} {}", causes.join(", "))?;
    }
    Ok(())
}

/// Correlations sorted by id, as `rules` lists them (`CORRELATIONS` is in the order they run).
fn correlations_by_id() -> impl Iterator<Item = &'static CorrelationDef> {
    let mut sorted = CORRELATIONS.to_vec();
    sorted.sort_by_key(|c| c.cause);
    sorted.into_iter()
}

/// The causes of a restart loop (`CrashLoopBackOff`), as opposed to states that are not one.
fn crash_loop_causes() -> Vec<Cause> {
    RULES
        .iter()
        .filter(|r| r.kind == RuleKind::CrashLoop)
        .map(|r| r.cause)
        .collect()
}

/// `ktriage explain NAME`: a rule's or correlation's documentation, or what a Kubernetes reason
/// stands for.
///
/// # Errors
/// An unknown name, with the nearest known ones.
pub(crate) fn explain(name: &str, out: &mut dyn Write) -> Result<()> {
    let print_rule = |out: &mut dyn Write, rule: &RuleDef| -> Result<()> {
        writeln!(out, "# `{}`\n", rule.cause)?;
        print_doc(out, rule.explanation)
    };
    let list = |out: &mut dyn Write, causes: &[Cause]| -> Result<()> {
        for cause in causes {
            let summary = rule_of(*cause).map(RuleDef::summary).unwrap_or_default();
            writeln!(out, "- `{cause}`: {summary}")?;
        }
        Ok(())
    };
    match find_explained(name) {
        Some(Explained::Rule(rule)) => print_rule(out, rule)?,
        Some(Explained::Correlation(c)) => {
            writeln!(out, "# `{}` (a correlation)\n", c.cause)?;
            print_doc(out, c.explanation)?;
        }
        Some(Explained::Reason(reason, [cause])) => {
            writeln!(
                out,
                "`{reason}` is a Kubernetes reason; ktriage reports its cause as `{cause}`.\n"
            )?;
            let rule = rule_of(*cause).context("a reason naming an unknown cause")?;
            print_rule(out, rule)?;
        }
        Some(Explained::Reason(reason, causes)) => {
            writeln!(
                out,
                "# `{reason}`\n\n`{reason}` is a Kubernetes reason with several causes; ktriage tells \
                 these apart (`ktriage explain CAUSE` for each):\n"
            )?;
            list(out, causes)?;
        }
        Some(Explained::CrashLoop) => {
            writeln!(
                out,
                "# `CrashLoopBackOff`\n\n`CrashLoopBackOff` is not a cause: it is the state of a container \
                 that keeps exiting and that the kubelet restarts with a growing back-off (10s, 20s, \
                 40s, ... capped at 5 minutes). ktriage reports why the container exits: \
                 `ktriage analyze BUNDLE` names the cause, `ktriage explain CAUSE` explains it.\n\n\
                 The causes it tells apart:\n"
            )?;
            list(out, &crash_loop_causes())?;
        }
        None => {
            let near = nearest(name);
            if near.is_empty() {
                bail!("unknown cause `{name}` (see `ktriage rules`)");
            }
            let near: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
            bail!(
                "unknown cause `{name}`; did you mean {}? (see `ktriage rules`)",
                near.join(" or ")
            );
        }
    }
    Ok(())
}

/// A doc comment as Markdown: without the space that follows each `///`.
fn print_doc(out: &mut dyn Write, doc: &str) -> Result<()> {
    for line in doc.lines() {
        writeln!(out, "{}", line.strip_prefix(' ').unwrap_or(line))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_reasons_are_explained() {
        let cause = |name: &str| match find_explained(name) {
            Some(Explained::Rule(r)) => r.cause.to_string(),
            Some(Explained::Reason(r, causes)) => {
                let ids: Vec<&str> = causes.iter().map(|c| c.id()).collect();
                format!("{r}: {}", ids.join(","))
            }
            Some(Explained::Correlation(c)) => format!("correlation {}", c.cause),
            Some(Explained::CrashLoop) => "CrashLoopBackOff".to_owned(),
            None => "unknown".to_owned(),
        };
        assert_eq!(cause("OOM-Killed"), "oom-killed");
        assert_eq!(cause("OOMKilled"), "oom-killed");
        assert_eq!(cause("ImagePullBackOff"), "ImagePullBackOff: image-pull");
        assert_eq!(cause("errimagepull"), "ErrImagePull: image-pull");
        assert_eq!(
            cause("CreateContainerConfigError"),
            "CreateContainerConfigError: missing-config-ref"
        );
        assert_eq!(cause("create-container-config-error"), "missing-config-ref");
        assert_eq!(cause("crashloopbackoff"), "CrashLoopBackOff");
        assert_eq!(
            cause("Rollout_Regression"),
            "correlation rollout-regression"
        );
        assert_eq!(cause("no-such-thing"), "unknown");
    }

    #[test]
    fn every_reason_names_known_causes() {
        for (reason, causes) in REASONS {
            for c in *causes {
                assert!(
                    rule_of(*c).is_some(),
                    "{reason} names `{c}`, which no rule reports"
                );
            }
        }
    }

    #[test]
    fn nearest_names() {
        assert_eq!(nearest("oom-kiled"), ["oom-killed"]);
        assert_eq!(nearest("ImagePullBackof"), ["ImagePullBackOff"]);
        assert_eq!(nearest("CrashLoopBackOf"), ["CrashLoopBackOff"]);
        assert!(nearest("kubernetes").is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
