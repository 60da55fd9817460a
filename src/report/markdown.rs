//! `--format markdown`: a report a support engineer pastes into a ticket.

use std::io::{self, Write};

use super::Report;
use crate::finding::Moment;

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# ktriage report\n")?;
    writeln!(out, "{}\n", super::table::summary_line(report))?;
    writeln!(out, "| bundle | format | cluster | collected at | status |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for b in &report.bundles {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&code(&b.path)),
            b.format.as_deref().unwrap_or("-"),
            text(b.cluster.as_deref().unwrap_or("-")),
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
                text(&e.signature),
                text(&e.clusters.join(", ")),
                e.pods,
                ranks.join(" ")
            )?;
        }
    }
    let timelines = super::timeline::clusters(report)?;
    if !timelines.is_empty() {
        writeln!(
            out,
            "\n## Timeline\n\nRollouts, node changes and the first failure of each finding, oldest first (UTC)."
        )?;
    }
    for t in &timelines {
        let collected = t
            .collected_at
            .as_deref()
            .map_or_else(String::new, |c| format!(", collected {c}"));
        writeln!(
            out,
            "\n### Cluster {} ({}{collected})\n",
            code(&t.cluster),
            code(&t.bundle)
        )?;
        for e in &t.entries {
            writeln!(out, "- {}", moment(&e.moment))?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out, "\n## Findings")?;
    }
    for f in report.findings.iter() {
        let f = f?;
        writeln!(out, "\n### {}. {}\n", f.rank, prose(&f.title))?;
        writeln!(
            out,
            "- **cause:** `{}` (confidence {:.2}), severity **{}**, score {:.3}",
            f.cause, f.confidence, f.severity, f.score
        )?;
        let mut place = vec![format!("cluster {}", code(&f.cluster))];
        if !f.namespace.is_empty() {
            place.push(format!("namespace {}", code(&f.namespace)));
        }
        place.push(format!(
            "{} {}",
            text(&f.workload.kind),
            code(&f.workload.name)
        ));
        if !f.container.is_empty() {
            place.push(format!(
                "container {} ({})",
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
                .map(|p| code(p))
                .collect::<Vec<_>>()
                .join(", "),
            f.restart_count
        )?;
        if let Some(t) = &f.last_termination {
            let parts = t.facts(code);
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
                "- {} {} ({}): {}",
                e.kind_name(),
                code(&e.source),
                prose(&e.locator),
                code(&e.text)
            )?;
        }
        if !f.timeline.is_empty() {
            writeln!(out, "\n**Timeline** (UTC, oldest first)\n")?;
            for m in &f.timeline {
                writeln!(out, "- {}", moment(m))?;
            }
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
                writeln!(out, "- {}", prose(n))?;
            }
        }
        writeln!(out, "\n**What to do**\n")?;
        for (i, r) in f.remediation.iter().enumerate() {
            writeln!(out, "{}. {}", i + 1, prose(r))?;
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
            writeln!(out, "{}", c.replace("```", "'''"))?;
        }
        writeln!(out, "```")?;
    }
    let mut failed = report.failures().peekable();
    if failed.peek().is_some() {
        writeln!(out, "\n## Could not analyze\n")?;
        for (path, error) in failed {
            writeln!(out, "- {}: {}", code(path), prose(error))?;
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
                writeln!(out, "- {}: {}", code(&b.path), prose(w))?;
            }
        }
    }
    Ok(())
}

/// One line of a timeline: `2026-11-28 04:58:09 UTC` (1m51s before collection), its kind,
/// subject and text.
fn moment(m: &Moment) -> String {
    let relative = m.relative().map_or_else(String::new, |r| format!(" ({r})"));
    format!(
        "{}{relative} {}, {}: {}",
        code(&m.when()),
        m.kind.name(),
        text(&m.subject),
        prose(&m.text)
    )
}

/// A code span safe inside a Markdown table cell: GFM needs `|` escaped even inside one (`text`
/// escapes it already).
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Characters that Markdown could read as markup in running text.
const MARKUP: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '#'];

/// Plain text (a cluster name, a message) with every Markdown character escaped, on one line.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push(' '),
            c if MARKUP.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A message that marks names as code spans (``container `api` was OOM-killed``): the spans
/// are kept, the text between them escaped; a backtick that closes nothing is escaped too.
pub(crate) fn prose(s: &str) -> String {
    let s = s.replace('\n', " ");
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(start) = rest.find('`') {
        out.push_str(&text(&rest[..start]));
        let run = backticks_at(&rest[start..]);
        let after = &rest[start + run..];
        if let Some(end) = closing_run(after, run) {
            out.push_str(&rest[start..start + run + end + run]);
            rest = &after[end + run..];
        } else {
            out.push_str(&text(&rest[start..start + run]));
            rest = after;
        }
    }
    out.push_str(&text(rest));
    out
}

/// How many backticks `s` starts with.
fn backticks_at(s: &str) -> usize {
    s.len() - s.trim_start_matches('`').len()
}

/// Where the next run of exactly `n` backticks starts in `s`.
fn closing_run(s: &str, n: usize) -> Option<usize> {
    let mut i = 0;
    while let Some(found) = s[i..].find('`') {
        let at = i + found;
        let len = backticks_at(&s[at..]);
        if len == n {
            return Some(at);
        }
        i = at + len;
    }
    None
}

/// `s` as an inline code span that shows it exactly (a bundle path as given, backticks
/// included): the fence is one backtick longer than the longest run inside, and a space pads
/// content that starts or ends with a backtick or a space. Newlines become spaces.
pub(crate) fn code(s: &str) -> String {
    let s = s.replace('\n', " ");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::BundleStatus;
    use crate::report::{BundleReport, Format};

    /// Names come from the bundle (a bundle's file name, a cluster name in its manifest):
    /// backticks, pipes, Markdown characters and newlines in them must not break the inline
    /// code or the tables, and a path shows exactly as given.
    #[test]
    fn bundle_names_cannot_break_the_markup() {
        let bundle = BundleReport {
            path: "tickets/a`b|c.tar.gz".to_owned(),
            format: Some("ktriage".to_owned()),
            cluster: Some("prod|eu_*1*\nx".to_owned()),
            collected_at: None,
            status: BundleStatus::Failed,
            warnings: vec![
                "`pods.yaml`: two\nlines with <b>tags</b> and a stray ` tick".to_owned(),
            ],
            error: Some("cannot read\nit: *bad* [link](x)".to_owned()),
            pods: 0,
            findings: 0,
            timeline: vec![],
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
            r"| ``tickets/a`b\|c.tar.gz`` | ktriage | prod\|eu\_\*1\* x | - | failed |"
        );
        assert!(
            text.contains(r"- ``tickets/a`b|c.tar.gz``: cannot read it: \*bad\* \[link\](x)"),
            "{text}"
        );
        assert!(
            text.contains(
                r"- ``tickets/a`b|c.tar.gz``: `pods.yaml`: two lines with \<b\>tags\</b\> and a stray \` tick"
            ),
            "{text}"
        );
    }

    #[test]
    fn code_spans_show_their_text_exactly() {
        assert_eq!(code("samples/oom-killed"), "`samples/oom-killed`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("two\nlines"), "`two lines`");
    }

    #[test]
    fn prose_keeps_its_code_spans() {
        assert_eq!(
            prose("container `my_app` of `shop/*` exits *now*"),
            r"container `my_app` of `shop/*` exits \*now\*"
        );
        assert_eq!(prose("``a`b`` and _x_"), r"``a`b`` and \_x\_");
        assert_eq!(prose("one ` alone"), r"one \` alone");
    }
}
