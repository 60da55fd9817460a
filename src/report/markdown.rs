//! `--format markdown`: a report a support engineer pastes into a ticket.

use std::io::{self, Write};

use super::Report;

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# ktriage report\n")?;
    writeln!(out, "{}\n", super::table::summary_line(report))?;
    writeln!(out, "| bundle | format | cluster | collected at | status |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for b in &report.bundles {
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            cell(&code(&b.path)),
            b.format.as_deref().unwrap_or("-"),
            cell(b.cluster.as_deref().unwrap_or("-")),
            b.collected_at.as_deref().unwrap_or("-"),
            b.status
        )?;
    }
    if report.cluster_count() > 1 && !report.fleet.is_empty() {
        writeln!(out, "\n## Fleet: the same failure in several clusters\n")?;
        writeln!(
            out,
            "| cause | workload / container | clusters | pods | findings |"
        )?;
        writeln!(out, "| --- | --- | --- | --- | --- |")?;
        for e in &report.fleet {
            let ranks: Vec<String> = e.finding_ranks.iter().map(|r| format!("#{r}")).collect();
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                e.cause,
                cell(&e.signature),
                cell(&e.clusters.join(", ")),
                e.pods,
                ranks.join(" ")
            )?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out, "\n## Findings")?;
    }
    for f in report.findings.iter() {
        let f = f?;
        writeln!(out, "\n### {}. {}\n", f.rank, f.title)?;
        writeln!(
            out,
            "- **cause:** `{}` (confidence {:.2}), severity **{}**, score {:.3}",
            f.cause, f.confidence, f.severity, f.score
        )?;
        let mut place = vec![format!("cluster `{}`", code(&f.cluster))];
        if !f.namespace.is_empty() {
            place.push(format!("namespace `{}`", code(&f.namespace)));
        }
        place.push(format!("{} `{}`", f.workload.kind, code(&f.workload.name)));
        if !f.container.is_empty() {
            place.push(format!(
                "container `{}` ({})",
                code(&f.container),
                f.container_kind
            ));
        }
        writeln!(out, "- **where:** {}", place.join(", "))?;
        writeln!(
            out,
            "- **pods:** {} — restarts: {}",
            f.pods
                .iter()
                .map(|p| format!("`{}`", code(p)))
                .collect::<Vec<_>>()
                .join(", "),
            f.restart_count
        )?;
        if let Some(t) = &f.last_termination {
            let mut parts = Vec::new();
            if let Some(r) = &t.reason {
                parts.push(format!("reason `{r}`"));
            }
            if let Some(c) = t.exit_code {
                parts.push(format!("exit code {c}"));
            }
            if let Some(s) = t.signal {
                parts.push(format!("signal {s}"));
            }
            if let Some(at) = &t.finished_at {
                parts.push(format!("finished {at}"));
            }
            writeln!(out, "- **last termination:** {}", parts.join(", "))?;
        }
        if !f.alternatives.is_empty() {
            let alts: Vec<String> = f
                .alternatives
                .iter()
                .map(|a| format!("`{}` ({:.2})", a.cause, a.confidence))
                .collect();
            writeln!(out, "- **also possible:** {}", alts.join(", "))?;
        }
        if !f.explains.is_empty() {
            let members: Vec<String> = f
                .explains
                .iter()
                .map(|m| {
                    format!(
                        "`{}` of {} `{}` / `{}`",
                        m.cause,
                        m.workload.kind,
                        code(&m.workload.name),
                        code(&m.container)
                    )
                })
                .collect();
            writeln!(out, "- **explains:** {}", members.join(", "))?;
        }
        writeln!(out, "\n**Evidence**\n")?;
        for e in &f.evidence {
            writeln!(
                out,
                "- {} `{}` ({}): `{}`",
                e.kind_name(),
                code(&e.source),
                e.locator.replace('\n', " "),
                code(&e.text)
            )?;
        }
        if !f.log_tail.is_empty() {
            writeln!(
                out,
                "\n<details><summary>last log lines</summary>\n\n```text"
            )?;
            for l in &f.log_tail {
                writeln!(out, "{}", l.replace("```", "'''"))?;
            }
            writeln!(out, "```\n</details>")?;
        }
        if !f.notes.is_empty() {
            writeln!(
                out,
                "\n**Notes (what the bundle does not show, what this finding explains)**\n"
            )?;
            for n in &f.notes {
                writeln!(out, "- {n}")?;
            }
        }
        writeln!(out, "\n**What to do**\n")?;
        for (i, r) in f.remediation.iter().enumerate() {
            writeln!(out, "{}. {r}", i + 1)?;
        }
        if !f.change_commands.is_empty() {
            writeln!(out, "\nThese commands change the cluster:\n\n```sh")?;
            for c in &f.change_commands {
                writeln!(out, "{c}")?;
            }
            writeln!(out, "```")?;
        }
        writeln!(out, "\n**Confirm with** (read-only)\n\n```sh")?;
        for c in &f.commands {
            writeln!(out, "{c}")?;
        }
        writeln!(out, "```")?;
    }
    let failed: Vec<_> = report
        .bundles
        .iter()
        .filter(|b| b.status == "failed")
        .collect();
    if !failed.is_empty() {
        writeln!(out, "\n## Could not analyze\n")?;
        for b in failed {
            writeln!(
                out,
                "- `{}`: {}",
                code(&b.path),
                b.error
                    .as_deref()
                    .unwrap_or("unknown error")
                    .replace('\n', " ")
            )?;
        }
    }
    let warned: Vec<_> = report
        .bundles
        .iter()
        .filter(|b| !b.warnings.is_empty())
        .collect();
    if !warned.is_empty() {
        writeln!(out, "\n## Warnings\n")?;
        for b in warned {
            for w in &b.warnings {
                writeln!(out, "- `{}`: {}", code(&b.path), w.replace('\n', " "))?;
            }
        }
    }
    Ok(())
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Text safe inside inline code: a backtick would end the span, a newline the line.
fn code(s: &str) -> String {
    s.replace('`', "'").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{BundleReport, Format};

    /// Names come from the bundle (a bundle's file name, a cluster name in its manifest):
    /// backticks, pipes and newlines in them must not break the inline code or the tables.
    #[test]
    fn bundle_names_cannot_break_the_markup() {
        let bundle = BundleReport {
            path: "tickets/a`b|c.tar.gz".to_owned(),
            format: Some("ktriage".to_owned()),
            cluster: Some("prod|eu\nx".to_owned()),
            collected_at: None,
            status: "failed".to_owned(),
            warnings: vec!["two\nlines".to_owned()],
            error: Some("cannot read\nit".to_owned()),
            pods: 0,
            findings: 0,
        };
        let mut out = Vec::new();
        Report::new(vec![bundle], Vec::new())
            .render(Format::Markdown, &mut out)
            .expect("render");
        let text = String::from_utf8(out).expect("utf-8");
        let row = text
            .lines()
            .find(|l| l.contains("tickets/"))
            .expect("bundle row");
        assert_eq!(
            row,
            "| `tickets/a'b\\|c.tar.gz` | ktriage | prod\\|eu x | - | failed |"
        );
        assert!(
            text.contains("- `tickets/a'b|c.tar.gz`: cannot read it"),
            "{text}"
        );
        assert!(
            text.contains("- `tickets/a'b|c.tar.gz`: two lines"),
            "{text}"
        );
    }
}
