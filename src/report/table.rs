//! `--format table`: the top findings with their best evidence line, readable in 100 columns.

use std::io::{self, Write};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};

use super::Report;

/// Findings shown in the table; the rest are counted.
const MAX_ROWS: usize = 25;
const WIDTH: u16 = 100;

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", summary_line(report))?;
    if report.cluster_count() > 1 && !report.fleet.is_empty() {
        writeln!(out, "\nFleet: the same failure in several clusters")?;
        let mut t = new_table(&[
            "CAUSE",
            "WORKLOAD / CONTAINER",
            "CLUSTERS",
            "PODS",
            "FINDINGS",
        ]);
        for e in &report.fleet {
            t.add_row(vec![
                e.cause.clone(),
                e.signature.clone(),
                format!("{}: {}", e.clusters.len(), e.clusters.join(", ")),
                e.pods.to_string(),
                e.finding_ranks
                    .iter()
                    .map(|r| format!("#{r}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
        let mut t = new_table(&["#", "SEVERITY", "CAUSE", "WHERE", "FINDING / BEST EVIDENCE"]);
        for (i, width) in [(2, 24), (3, 24)] {
            if let Some(c) = t.column_mut(i) {
                c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(width)));
            }
        }
        for f in report.findings.iter().take(MAX_ROWS) {
            let f = f?;
            let pods = if f.pods.len() == 1 {
                f.pods[0].clone()
            } else {
                format!("{} pods", f.pods.len())
            };
            let kind = if f.container_kind == "app" {
                String::new()
            } else {
                format!(" ({})", f.container_kind)
            };
            let mut place = format!("{}\n", f.cluster);
            if !f.namespace.is_empty() {
                place.push_str(&format!("{}/", f.namespace));
            }
            place.push_str(&format!(
                "{} {}",
                short_kind(&f.workload.kind),
                f.workload.name
            ));
            if !f.container.is_empty() {
                place.push_str(&format!("\n{}{kind}: {pods}", f.container));
            } else if !f.pods.is_empty() {
                place.push_str(&format!("\n{pods}"));
            }
            if f.restart_count > 0 {
                place.push_str(&format!("\nrestarts {}", f.restart_count));
            }
            let mut text = f.title.clone();
            if let Some(e) = f.evidence.first() {
                text.push_str(&format!(
                    "\n> {}\n  [{}]",
                    crate::logscan::truncate(&e.text, 240),
                    short_source(&e.source, &e.locator)
                ));
            }
            if let Some(step) = f.remediation.first() {
                text.push_str(&format!("\nfix: {step}"));
            }
            t.add_row(vec![
                f.rank.to_string(),
                f.severity.clone(),
                format!("{}\n{:.2}", f.cause, f.confidence),
                place,
                text,
            ]);
        }
        writeln!(out, "{t}")?;
        if report.findings.len() > MAX_ROWS {
            writeln!(
                out,
                "... and {} more findings (see --format markdown or json)",
                report.findings.len() - MAX_ROWS
            )?;
        }
    }
    let failed: Vec<_> = report
        .bundles
        .iter()
        .filter(|b| b.status == "failed")
        .collect();
    if !failed.is_empty() {
        writeln!(out, "\nCould not analyze:")?;
        let mut t = new_table(&["BUNDLE", "ERROR"]);
        for b in failed {
            t.add_row(vec![b.path.clone(), b.error.clone().unwrap_or_default()]);
        }
        writeln!(out, "{t}")?;
    }
    let warned: usize = report.bundles.iter().map(|b| b.warnings.len()).sum();
    if warned > 0 {
        writeln!(
            out,
            "\n{warned} warning{} (files that could not be read or collected); see --format json or markdown",
            plural(warned)
        )?;
    }
    Ok(())
}

fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_FULL)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(header.to_vec());
    t
}

/// Where an evidence item comes from, short: `api.previous.log:53`, `pods.yaml`, `events.yaml`.
fn short_source(source: &str, locator: &str) -> String {
    let file = source.rsplit('/').next().unwrap_or(source);
    match locator.strip_prefix("line ") {
        Some(line) => format!("{file}:{line}"),
        None => file.to_owned(),
    }
}

/// `Deployment` -> `deploy`, as kubectl abbreviates.
fn short_kind(kind: &str) -> &str {
    match kind {
        "Deployment" => "deploy",
        "StatefulSet" => "sts",
        "DaemonSet" => "ds",
        "ReplicaSet" => "rs",
        "CronJob" => "cronjob",
        "Job" => "job",
        "Pod" => "pod",
        other => other,
    }
}

/// `ktriage: 3 bundles, 2 clusters, 4 findings (1 critical, 2 high), 1 bundle failed`.
pub(super) fn summary_line(report: &Report) -> String {
    let n = report.bundles.len();
    let mut by_sev = Vec::new();
    for sev in ["critical", "high", "medium", "low"] {
        let c = report
            .findings
            .keys()
            .filter(|(_, k)| k.severity == sev)
            .count();
        if c > 0 {
            by_sev.push(format!("{c} {sev}"));
        }
    }
    let mut line = format!(
        "ktriage: {n} bundle{}, {} cluster{}, {} finding{}",
        plural(n),
        report.cluster_count(),
        plural(report.cluster_count()),
        report.findings.len(),
        plural(report.findings.len())
    );
    if !by_sev.is_empty() {
        line.push_str(&format!(" ({})", by_sev.join(", ")));
    }
    let failed = report
        .bundles
        .iter()
        .filter(|b| b.status == "failed")
        .count();
    if failed > 0 {
        line.push_str(&format!(", {failed} bundle{} failed", plural(failed)));
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
