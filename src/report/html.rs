//! `--format html`: one self-contained page (inline CSS and SVG, no network) to attach to a
//! ticket or a post-mortem: the summary and bundles, the fleet as a clusters × causes matrix,
//! a timeline chart per cluster, and each finding as a card. Every quoted text is escaped
//! (bundles come from strangers). Readable with scripts off; the one inline script only records
//! errors on the page's root element.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use super::Report;
use super::timeline::{ClusterTimeline, Entry};
use crate::finding::{Moment, MomentKind, ReportFinding, Severity};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::with_capacity(64 * 1024);
    page.push_str(HEAD);
    let summary = super::table::summary_line(report);
    let _ = write!(
        page,
        "<header><h1>ktriage report</h1><p class=\"summary\">{}</p></header>\n<main>\n",
        esc(&summary)
    );
    bundles(report, &mut page);
    let severities: BTreeMap<usize, (Severity, String)> = report
        .findings
        .iter()
        .map(|f| f.map(|f| (f.rank, (f.severity, f.cause.to_string()))))
        .collect::<io::Result<_>>()?;
    matrix(report, &severities, &mut page);
    let timelines = super::timeline::clusters(report)?;
    if !timelines.is_empty() {
        page.push_str(
            "<section aria-labelledby=\"timeline\">\n<h2 id=\"timeline\">Timeline</h2>\n\
             <p>Rollouts, node changes and each finding from its first failure to the collection, \
             on one axis per cluster (UTC).</p>\n",
        );
        for t in &timelines {
            chart(t, &severities, &mut page);
        }
        page.push_str("</section>\n");
    }
    if !report.findings.is_empty() {
        page.push_str(
            "<section aria-labelledby=\"findings\">\n<h2 id=\"findings\">Findings</h2>\n",
        );
    }
    for f in report.findings.iter() {
        let f = f?;
        card(&f, &mut page);
    }
    if !report.findings.is_empty() {
        page.push_str("</section>\n");
    }
    problems(report, &mut page);
    page.push_str("</main>\n</body>\n</html>\n");
    out.write_all(page.as_bytes())
}

/// The document head: no external resource, and a policy that forbids any.
pub(crate) const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>ktriage report</title>
<script>
window.onerror = function (message) {
  var root = document.documentElement;
  root.setAttribute("data-errors", (root.getAttribute("data-errors") || "") + message + "\n");
};
</script>
<style>
:root { --fg: #1b1f24; --muted: #4a5360; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --critical: #a4161a; --high: #c2410c; --medium: #8a6100; --low: #4a5360;
  --critical-bg: #fbe3e4; --high-bg: #ffe8d6; --medium-bg: #fff4c2; --low-bg: #eceff2; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.3rem; margin-top: 2rem;
  border-bottom: 1px solid var(--line); padding-bottom: .25rem; } h3 { font-size: 1.1rem; }
h4 { font-size: .95rem; margin: .9rem 0 .3rem; }
.summary { font-weight: 600; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: var(--panel); }
td.count { text-align: center; font-weight: 600; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .5rem .7rem;
  overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--low); border-radius: 6px;
  padding: .4rem 1rem .8rem; margin: 1rem 0; }
.finding h3 { margin: .5rem 0; }
.sev { display: inline-block; font-size: .8rem; font-weight: 700; text-transform: uppercase;
  padding: 0 .45rem; border-radius: 3px; margin-right: .4rem; }
.critical { border-left-color: var(--critical); } .sev.critical, td.critical { background: var(--critical-bg); color: var(--critical); }
.high { border-left-color: var(--high); } .sev.high, td.high { background: var(--high-bg); color: var(--high); }
.medium { border-left-color: var(--medium); } .sev.medium, td.medium { background: var(--medium-bg); color: var(--medium); }
.low { border-left-color: var(--low); } .sev.low, td.low { background: var(--low-bg); color: var(--low); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: .3rem 0; }
dt { font-weight: 600; color: var(--muted); } dd { margin: 0; }
.evidence li { margin-bottom: .35rem; } .source { color: var(--muted); font-size: .85rem; }
ol.moments { font-size: .88rem; padding-left: 1.4rem; } .moments .rel { color: var(--muted); }
details { margin: .5rem 0; } summary { cursor: pointer; font-weight: 600; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.timeline { width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: var(--fg); }
svg .axis { stroke: #8c959f; } svg .grid { stroke: #eaeef2; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .finding, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  pre { white-space: pre-wrap; }
}
</style>
</head>
<body>
"#;

/// The bundle table.
fn bundles(report: &Report, page: &mut String) {
    page.push_str(
        "<section aria-labelledby=\"bundles\">\n<h2 id=\"bundles\">Bundles</h2>\n<table>\n\
         <thead><tr><th scope=\"col\">bundle</th><th scope=\"col\">format</th>\
         <th scope=\"col\">cluster</th><th scope=\"col\">collected at (UTC)</th>\
         <th scope=\"col\">status</th><th scope=\"col\">pods</th><th scope=\"col\">findings</th>\
         </tr></thead>\n<tbody>\n",
    );
    for b in &report.bundles {
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            esc(&b.path),
            esc(b.format.as_deref().unwrap_or("-")),
            esc(b.cluster.as_deref().unwrap_or("-")),
            esc(b.collected_at.as_deref().unwrap_or("-")),
            b.status,
            b.pods,
            b.findings
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// The fleet as a matrix: one row per cluster, one column per cause, the number of findings in
/// each cell, coloured by the worst severity among them.
fn matrix(report: &Report, severities: &BTreeMap<usize, (Severity, String)>, page: &mut String) {
    if report.findings.is_empty() {
        return;
    }
    let mut cells: BTreeMap<(&str, String), (usize, Severity)> = BTreeMap::new();
    let mut causes: BTreeSet<String> = BTreeSet::new();
    let mut clusters: BTreeSet<&str> = BTreeSet::new();
    for (rank, k) in report.findings.keys() {
        let cause = severities
            .get(&rank)
            .map_or_else(|| k.cause.to_string(), |(_, c)| c.clone());
        causes.insert(cause.clone());
        clusters.insert(k.cluster);
        let cell = cells
            .entry((k.cluster, cause))
            .or_insert((0, Severity::Low));
        cell.0 += 1;
        cell.1 = cell.1.max(k.severity);
    }
    page.push_str(
        "<section aria-labelledby=\"fleet\">\n<h2 id=\"fleet\">Fleet</h2>\n\
         <p>Findings per cluster and cause, coloured by the worst severity.</p>\n<table>\n<thead><tr>\
         <th scope=\"col\">cluster</th>",
    );
    for c in &causes {
        let _ = write!(page, "<th scope=\"col\"><code>{}</code></th>", esc(c));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for cluster in &clusters {
        let _ = write!(page, "<tr><th scope=\"row\">{}</th>", esc(cluster));
        for c in &causes {
            match cells.get(&(*cluster, c.clone())) {
                Some((n, sev)) => {
                    let _ = write!(
                        page,
                        "<td class=\"count {sev}\" title=\"{sev}\">{n}</td>",
                        sev = sev.name()
                    );
                }
                None => page.push_str("<td class=\"count\"></td>"),
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// Width of the chart's drawing (SVG user units).
const WIDTH: i64 = 960;
/// Left margin, for the lane labels.
const LEFT: i64 = 190;
/// Right margin.
const RIGHT: i64 = 30;
/// Height of a lane.
const LANE: i64 = 26;
/// The chart spans at most this long before the collection; earlier moments sit at its left
/// edge, marked as earlier.
const SPAN: i64 = 86_400;

/// One cluster's timeline as an SVG chart (lanes: nodes, rollouts, one per finding) followed by
/// the same moments as a list.
fn chart(t: &ClusterTimeline, severities: &BTreeMap<usize, (Severity, String)>, page: &mut String) {
    let placed: Vec<&Entry> = t
        .entries
        .iter()
        .filter(|e| e.moment.offset_secs.is_some())
        .collect();
    let offsets = || placed.iter().filter_map(|e| e.moment.offset_secs);
    let earliest = offsets().min().unwrap_or(0);
    // The axis starts at the earliest moment within `SPAN`: a node condition set a week ago
    // would otherwise squeeze the last hour into a few pixels.
    let start = offsets()
        .filter(|&o| o >= -SPAN)
        .min()
        .unwrap_or(-SPAN)
        .min(-60);
    // Lanes: nodes, rollouts, then one per finding by rank.
    let mut lanes: Vec<(String, Option<usize>)> = Vec::new();
    let lane_of = |e: &Entry| -> (String, Option<usize>) {
        match (e.finding, e.moment.kind) {
            (Some(rank), _) => (format!("#{rank} {}", e.moment.subject), Some(rank)),
            (None, MomentKind::Rollout) => ("rollouts".to_owned(), None),
            (None, _) => ("nodes".to_owned(), None),
        }
    };
    for e in &placed {
        let lane = lane_of(e);
        if !lanes.contains(&lane) {
            lanes.push(lane);
        }
    }
    lanes.sort_by_key(|(name, rank)| (rank.is_some(), *rank, name.clone()));
    let lanes_n = i64::try_from(lanes.len()).unwrap_or(0);
    let height = 40 + lanes_n * LANE + 30;
    let x = |offset: i64| -> i64 {
        let offset = offset.max(start);
        LEFT + (offset - start) * (WIDTH - LEFT - RIGHT) / (-start).max(1)
    };
    let collected = t
        .collected_at
        .as_deref()
        .map_or_else(String::new, |c| format!(", collected {c}"));
    let title = format!(
        "Timeline of cluster {} ({}{collected})",
        t.cluster, t.bundle
    );
    let _ = write!(
        page,
        "<figure>\n<figcaption>{}</figcaption>\n\
         <svg class=\"timeline\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" aria-label=\"{}\">\n",
        esc(&title),
        esc(&title)
    );
    // Axis ticks: five, labelled relative to the collection.
    let axis_y = 30 + lanes_n * LANE + 8;
    for i in 0..=4 {
        let offset = start + (-start) * i / 4;
        let tx = x(offset);
        #[allow(clippy::cast_precision_loss)]
        let label = if offset == 0 {
            "collected".to_owned()
        } else {
            format!("-{}", crate::text::duration((-offset) as f64))
        };
        let _ = writeln!(
            page,
            "<line class=\"grid\" x1=\"{tx}\" y1=\"24\" x2=\"{tx}\" y2=\"{axis_y}\"/>\
             <text x=\"{tx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            axis_y + 16,
            esc(&label)
        );
    }
    let _ = writeln!(
        page,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\"/>",
        WIDTH - RIGHT
    );
    if earliest < start {
        let _ = writeln!(
            page,
            "<text x=\"{LEFT}\" y=\"16\">◀ earlier moments sit at the left edge</text>"
        );
    }
    for (i, (name, rank)) in lanes.iter().enumerate() {
        let y = 30 + i64::try_from(i).unwrap_or(0) * LANE + LANE / 2;
        let _ = writeln!(
            page,
            "<text x=\"8\" y=\"{}\">{}</text>",
            y + 4,
            esc(crate::text::truncate(name, 28))
        );
        let sev = rank
            .and_then(|r| severities.get(&r))
            .map_or(Severity::Low, |(s, _)| *s);
        for e in placed
            .iter()
            .filter(|e| lane_of(e) == (name.clone(), *rank))
        {
            let offset = e.moment.offset_secs.unwrap_or(0);
            let mx = x(offset);
            let tip = format!("{} — {}", e.moment.when(), e.moment.text);
            if rank.is_some() {
                // A finding: a bar from its first failure to the collection.
                let _ = writeln!(
                    page,
                    "<rect x=\"{mx}\" y=\"{}\" width=\"{}\" height=\"12\" rx=\"3\" fill=\"{}\"><title>{}</title></rect>",
                    y - 6,
                    (x(0) - mx).max(3),
                    colour(sev),
                    esc(&tip)
                );
            } else if e.moment.kind == MomentKind::Rollout {
                let _ = writeln!(
                    page,
                    "<path d=\"M{mx} {} l7 7 l-7 7 l-7 -7 z\" fill=\"#1f6feb\"><title>{}</title></path>",
                    y - 7,
                    esc(&tip)
                );
            } else {
                let bad =
                    !e.moment.text.contains("became True") || !e.moment.text.contains("`Ready`");
                let fill = if bad { "#a4161a" } else { "#2da44e" };
                let _ = writeln!(
                    page,
                    "<circle cx=\"{mx}\" cy=\"{y}\" r=\"6\" fill=\"{fill}\"><title>{}</title></circle>",
                    esc(&tip)
                );
            }
        }
    }
    page.push_str(
        "</svg>\n<details><summary>The same moments as a list</summary>\n<ol class=\"moments\">\n",
    );
    for e in &t.entries {
        moment(&e.moment, page);
    }
    page.push_str("</ol>\n</details>\n</figure>\n");
}

/// One moment as a list item: when (absolute and relative), kind, subject, text.
fn moment(m: &Moment, page: &mut String) {
    let relative = m.relative().map_or_else(String::new, |r| {
        format!(" <span class=\"rel\">({})</span>", esc(&r))
    });
    let _ = writeln!(
        page,
        "<li><time datetime=\"{}\">{}</time>{relative} {} <strong>{}</strong>: {}</li>",
        esc(&m.at),
        esc(&m.when()),
        m.kind.name(),
        esc(&m.subject),
        prose(&m.text)
    );
}

/// The fill of a finding's bar.
fn colour(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "#a4161a",
        Severity::High => "#c2410c",
        Severity::Medium => "#b08800",
        Severity::Low => "#6e7781",
    }
}

/// One finding as a card.
fn card(f: &ReportFinding, page: &mut String) {
    let sev = f.severity.name();
    let _ = writeln!(
        page,
        "<article class=\"finding {sev}\" id=\"finding-{rank}\" aria-labelledby=\"finding-{rank}-title\">\n\
         <h3 id=\"finding-{rank}-title\"><span class=\"sev {sev}\">{sev}</span>#{rank} {}</h3>\n<dl>",
        prose(&f.title),
        rank = f.rank
    );
    let mut row = |term: &str, value: String| {
        let _ = writeln!(page, "<dt>{term}</dt><dd>{value}</dd>");
    };
    row(
        "cause",
        format!(
            "<code>{}</code>, confidence {:.2}, score {:.3}",
            f.cause, f.confidence, f.score
        ),
    );
    let mut place = vec![format!("cluster <code>{}</code>", esc(&f.cluster))];
    if !f.namespace.is_empty() {
        place.push(format!("namespace <code>{}</code>", esc(&f.namespace)));
    }
    place.push(format!(
        "{} <code>{}</code>",
        esc(&f.workload.kind),
        esc(&f.workload.name)
    ));
    if !f.container.is_empty() {
        place.push(format!(
            "container <code>{}</code> ({})",
            esc(&f.container),
            esc(&f.container_kind)
        ));
    }
    row("where", place.join(", "));
    if !f.pods.is_empty() {
        let pods: Vec<String> = f
            .pods
            .iter()
            .map(|p| format!("<code>{}</code>", esc(p)))
            .collect();
        row(
            "pods",
            format!("{} — restarts: {}", pods.join(", "), f.restart_count),
        );
    }
    if !f.image.is_empty() {
        row("image", format!("<code>{}</code>", esc(&f.image)));
    }
    if let Some(t) = &f.last_termination {
        let parts = t.facts(|s| format!("<code>{}</code>", esc(s)));
        if !parts.is_empty() {
            row("last termination", parts.join(", "));
        }
    }
    if !f.alternatives.is_empty() {
        let alts: Vec<String> = f
            .alternatives
            .iter()
            .map(|a| format!("<code>{}</code> ({:.2})", a.cause, a.confidence))
            .collect();
        row("also possible", alts.join(", "));
    }
    page.push_str("</dl>\n");
    if !f.evidence.is_empty() {
        page.push_str("<h4>Evidence</h4>\n<ul class=\"evidence\">\n");
        for e in &f.evidence {
            let _ = writeln!(
                page,
                "<li><pre>{}</pre><span class=\"source\">{} · <code>{}</code> · {}</span></li>",
                esc(&e.text),
                e.kind_name(),
                esc(&e.source),
                esc(&e.locator)
            );
        }
        page.push_str("</ul>\n");
    }
    if !f.notes.is_empty() {
        page.push_str("<h4>Notes</h4>\n<ul>\n");
        for n in &f.notes {
            let _ = writeln!(page, "<li>{}</li>", prose(n));
        }
        page.push_str("</ul>\n");
    }
    if !f.remediation.is_empty() {
        page.push_str("<h4>What to do</h4>\n<ol>\n");
        for r in &f.remediation {
            let _ = writeln!(page, "<li>{}</li>", prose(r));
        }
        page.push_str("</ol>\n");
    }
    if !f.change_commands.is_empty() {
        let _ = writeln!(
            page,
            "<h4>These commands change the cluster</h4>\n<pre><code>{}</code></pre>",
            esc(&f.change_commands.join("\n"))
        );
    }
    if !f.commands.is_empty() {
        let _ = writeln!(
            page,
            "<h4>Confirm with (read-only)</h4>\n<pre><code>{}</code></pre>",
            esc(&f.commands.join("\n"))
        );
    }
    if !f.timeline.is_empty() {
        page.push_str(
            "<details><summary>Timeline (UTC, oldest first)</summary>\n<ol class=\"moments\">\n",
        );
        for m in &f.timeline {
            moment(m, page);
        }
        page.push_str("</ol>\n</details>\n");
    }
    if !f.log_tail.is_empty() {
        let _ = writeln!(
            page,
            "<details><summary>Last log lines</summary>\n<pre>{}</pre>\n</details>",
            esc(&f.log_tail.join("\n"))
        );
    }
    page.push_str("</article>\n");
}

/// The bundles that could not be analyzed, and warnings.
fn problems(report: &Report, page: &mut String) {
    let mut failed = report.failures().peekable();
    if failed.peek().is_some() {
        page.push_str("<section aria-labelledby=\"failures\">\n<h2 id=\"failures\">Could not analyze</h2>\n<ul>\n");
        for (path, error) in failed {
            let _ = writeln!(
                page,
                "<li><code>{}</code>: {}</li>",
                esc(path),
                prose(error)
            );
        }
        page.push_str("</ul>\n</section>\n");
    }
    let warned: Vec<_> = report
        .bundles
        .iter()
        .filter(|b| !b.warnings.is_empty())
        .collect();
    if !warned.is_empty() {
        page.push_str(
            "<section aria-labelledby=\"warnings\">\n<h2 id=\"warnings\">Warnings</h2>\n<ul>\n",
        );
        for b in warned {
            for w in &b.warnings {
                let _ = writeln!(page, "<li><code>{}</code>: {}</li>", esc(&b.path), prose(w));
            }
        }
        page.push_str("</ul>\n</section>\n");
    }
}

/// A message that marks names as code spans (``container `api` was OOM-killed``), escaped, its
/// spans as `<code>`; a message with an unpaired backtick is only escaped.
pub(crate) fn prose(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return esc(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i.is_multiple_of(2) {
            out.push_str(&esc(part));
        } else {
            let _ = write!(out, "<code>{}</code>", esc(part));
        }
    }
    out
}

/// `s` escaped for HTML text and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
