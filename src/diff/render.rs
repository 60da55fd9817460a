//! The renderings of a `Diff`: table, JSON (docs/design.md §5.1), Markdown and HTML (a page in
//! the style of the report's, every quoted text escaped). They only format.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::report::{
    Format, HTML_HEAD, html_prose, html_text, markdown_code, markdown_prose, markdown_text,
};

use super::{Diff, Item, NodeChange, Persisting, Side, TemplateChange};

/// Writes `diff` in `format`.
///
/// # Errors
/// Any error of the writer.
pub(crate) fn render(diff: &Diff, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => table(diff, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, diff)?;
            writeln!(out)
        }
        Format::Markdown => markdown(diff, out),
        Format::Html => html(diff, out),
    }
}

/// One self-contained page, as `analyze --format html` writes: the inputs, the summary, and a
/// table per section.
fn html(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let esc = html_text;
    let mut page = HTML_HEAD.replace(
        "<title>ktriage report</title>",
        "<title>ktriage diff</title>",
    );
    let _ = write!(
        page,
        "<header><h1>{}</h1>\n<dl>\n",
        html_prose(&title(diff))
    );
    for (label, side) in [("old", &diff.old), ("new", &diff.new)] {
        let _ = writeln!(
            page,
            "<dt>{label}</dt><dd>{}</dd>",
            html_prose(&side_line(side, |s| format!("`{s}`")))
        );
    }
    let _ = write!(
        page,
        "<dt>cluster</dt><dd>{}</dd>\n</dl>\n<p class=\"summary\">{}</p></header>\n<main>\n",
        html_prose(&cluster_line(diff)),
        esc(&summary_line(diff))
    );
    let f = &diff.findings;
    for (id, heading, items, restarts) in [
        ("new", "New", &f.new, "restarts"),
        ("resolved", "Resolved", &f.resolved, "had restarts"),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = write!(
            page,
            "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{heading}</h2>\n<table>\n<thead><tr><th>severity</th><th>where</th><th>cause</th><th>{restarts}</th><th>finding</th></tr></thead>\n<tbody>\n"
        );
        for i in items {
            let sev = i.severity.name();
            let _ = writeln!(
                page,
                "<tr><td class=\"{sev}\">{}</td><td><code>{}</code></td><td><code>{}</code> {:.2}</td><td class=\"count\">{}</td><td>{}</td></tr>",
                esc(&sev.to_uppercase()),
                esc(&place(i)),
                i.cause,
                i.confidence,
                i.restart_count,
                html_prose(&i.title)
            );
        }
        page.push_str("</tbody>\n</table>\n</section>\n");
    }
    if !f.persisting.is_empty() {
        page.push_str("<section aria-labelledby=\"persisting\">\n<h2 id=\"persisting\">Persisting</h2>\n<table>\n<thead><tr><th>severity</th><th>where</th><th>cause</th><th>restarts</th><th>finding</th></tr></thead>\n<tbody>\n");
        for p in &f.persisting {
            let (o, n) = (&p.old, &p.new);
            let cause = if p.cause_changed {
                format!(
                    "<code>{}</code> {:.2} → <code>{}</code> {:.2}",
                    o.cause, o.confidence, n.cause, n.confidence
                )
            } else {
                format!("<code>{}</code> {:.2}", n.cause, n.confidence)
            };
            let _ = writeln!(
                page,
                "<tr><td class=\"{}\">{}</td><td><code>{}</code></td><td>{cause}</td><td>{}</td><td>{}</td></tr>",
                n.severity.name(),
                esc(&n.severity.name().to_uppercase()),
                esc(&place(n)),
                esc(&restart_change(p)),
                html_prose(&n.title)
            );
        }
        page.push_str("</tbody>\n</table>\n</section>\n");
    }
    page.push_str(
        "<section aria-labelledby=\"templates\">\n<h2 id=\"templates\">Pod templates</h2>\n",
    );
    match &diff.templates {
        None => page.push_str("<p>Not compared (a JSON report holds findings only).</p>\n"),
        Some(changes) if changes.is_empty() => page.push_str("<p>No change.</p>\n"),
        Some(changes) => {
            page.push_str("<table>\n<thead><tr><th>workload</th><th>field</th><th>change</th></tr></thead>\n<tbody>\n");
            for c in changes {
                let _ = writeln!(
                    page,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&template_place(c)),
                    esc(&c.field),
                    esc(&c.change)
                );
            }
            page.push_str("</tbody>\n</table>\n");
        }
    }
    page.push_str("</section>\n<section aria-labelledby=\"nodes\">\n<h2 id=\"nodes\">Nodes</h2>\n");
    match &diff.nodes {
        None => page.push_str("<p>Not compared (a JSON report holds findings only).</p>\n"),
        Some(changes) if changes.is_empty() => page.push_str("<p>No change.</p>\n"),
        Some(changes) => {
            page.push_str(
                "<table>\n<thead><tr><th>node</th><th>change</th></tr></thead>\n<tbody>\n",
            );
            for c in changes {
                let _ = writeln!(
                    page,
                    "<tr><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&c.node),
                    esc(&node_change(c))
                );
            }
            page.push_str("</tbody>\n</table>\n");
        }
    }
    page.push_str("</section>\n");
    if !diff.notes.is_empty() {
        page.push_str("<section aria-labelledby=\"notes\">\n<h2 id=\"notes\">Notes</h2>\n<ul>\n");
        for n in &diff.notes {
            let _ = writeln!(page, "<li>{}</li>", html_prose(n));
        }
        page.push_str("</ul>\n</section>\n");
    }
    page.push_str("</main>\n</body>\n</html>\n");
    out.write_all(page.as_bytes())
}

fn table(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", title(diff))?;
    for (label, side) in [("old", &diff.old), ("new", &diff.new)] {
        writeln!(out, "  {label}: {}", side_line(side, |s| format!("`{s}`")))?;
    }
    writeln!(out, "  {}", cluster_line(diff))?;
    writeln!(out, "{}", summary_line(diff))?;
    let f = &diff.findings;
    if !f.new.is_empty() {
        writeln!(out, "\nNEW")?;
        for i in &f.new {
            item_lines(i, &format!("restarts {}", i.restart_count), out)?;
        }
    }
    if !f.resolved.is_empty() {
        writeln!(out, "\nRESOLVED")?;
        for i in &f.resolved {
            item_lines(i, &format!("had restarts {}", i.restart_count), out)?;
        }
    }
    if !f.persisting.is_empty() {
        writeln!(out, "\nPERSISTING")?;
        for p in &f.persisting {
            persisting_lines(p, out)?;
        }
    }
    if let Some(changes) = &diff.templates
        && !changes.is_empty()
    {
        writeln!(out, "\nTEMPLATE CHANGES")?;
        for c in changes {
            writeln!(out, "  {}  {}: {}", template_place(c), c.field, c.change)?;
        }
    }
    if let Some(changes) = &diff.nodes
        && !changes.is_empty()
    {
        writeln!(out, "\nNODE CHANGES")?;
        for c in changes {
            writeln!(out, "  {}  {}", c.node, node_change(c))?;
        }
    }
    if !diff.notes.is_empty() {
        writeln!(out)?;
        for n in &diff.notes {
            writeln!(out, "note: {n}")?;
        }
    }
    Ok(())
}

fn item_lines(i: &Item, restarts: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "  {} {}  {} {:.2}  {restarts}",
        i.severity.name().to_uppercase(),
        place(i),
        i.cause,
        i.confidence
    )?;
    writeln!(out, "     {}", i.title)
}

fn persisting_lines(p: &Persisting, out: &mut dyn Write) -> io::Result<()> {
    let (o, n) = (&p.old, &p.new);
    let cause = if p.cause_changed {
        format!(
            "cause {} {:.2} → {} {:.2}",
            o.cause, o.confidence, n.cause, n.confidence
        )
    } else {
        format!("{} {:.2}", n.cause, n.confidence)
    };
    let severity = if o.severity == n.severity {
        n.severity.name().to_uppercase()
    } else {
        format!(
            "{}→{}",
            o.severity.name().to_uppercase(),
            n.severity.name().to_uppercase()
        )
    };
    writeln!(
        out,
        "  {severity} {}  {cause}  {}",
        place(n),
        restart_change(p)
    )?;
    writeln!(out, "     {}", n.title)
}

/// `restarts 9 → 14 (+5)`.
fn restart_change(p: &Persisting) -> String {
    format!(
        "restarts {} → {} ({:+})",
        p.old.restart_count, p.new.restart_count, p.restart_growth
    )
}

/// `shop/Deployment payments/payments`: namespace, workload and container.
fn place(i: &Item) -> String {
    format!(
        "{}/{} {}/{}",
        i.namespace, i.workload.kind, i.workload.name, i.container
    )
}

fn template_place(c: &TemplateChange) -> String {
    let images = if c.compared == "images" {
        " (images only)"
    } else {
        ""
    };
    format!(
        "{}/{} {}{images}",
        c.namespace, c.workload.kind, c.workload.name
    )
}

/// `Ready: True → Unknown (NodeStatusUnknown)`, `removed`, `added`.
fn node_change(c: &NodeChange) -> String {
    let Some(condition) = &c.condition else {
        return c.change.to_owned();
    };
    let status = |s: &Option<String>| s.clone().unwrap_or_else(|| "not reported".to_owned());
    let reason = c
        .reason
        .as_ref()
        .map_or_else(String::new, |r| format!(" ({r})"));
    format!(
        "{condition}: {} → {}{reason}",
        status(&c.old),
        status(&c.new)
    )
}

/// `ktriage diff of cluster `prod-eu-1``, or of two clusters when forced.
fn title(diff: &Diff) -> String {
    match (&diff.old.cluster, &diff.new.cluster) {
        (Some(a), Some(b)) if a != b => format!("ktriage diff of clusters `{a}` and `{b}`"),
        (Some(a), _) | (None, Some(a)) => format!("ktriage diff of cluster `{a}`"),
        (None, None) => "ktriage diff".to_owned(),
    }
}

/// `` `before` (ktriage bundle, collected 2026-11-28T05:00:00Z) ``, the path shown by `path`.
fn side_line(side: &Side, path: impl Fn(&str) -> String) -> String {
    let mut what = vec![match &side.format {
        Some(f) => format!("{f} {}", side.input),
        None => side.input.to_owned(),
    }];
    if let Some(t) = &side.collected_at {
        what.push(format!("collected {t}"));
    }
    if !side.warnings.is_empty() {
        what.push(format!(
            "{} warning{}",
            side.warnings.len(),
            if side.warnings.len() == 1 { "" } else { "s" }
        ));
    }
    format!("{} ({})", path(&side.path), what.join(", "))
}

fn cluster_line(diff: &Diff) -> String {
    let c = &diff.cluster;
    if c.forced {
        format!("different clusters, compared with --force: {}", c.detail)
    } else if c.basis == "none" {
        format!("taken as one cluster: {}", c.detail)
    } else {
        format!("same cluster: {}", c.detail)
    }
}

/// `1 new, 1 resolved, 2 persisting (1 restarting more, 1 changed cause), 1 workload template
/// changed, 1 node changed`.
fn summary_line(diff: &Diff) -> String {
    let s = &diff.summary;
    let mut persisting = format!("{} persisting", s.persisting);
    let mut detail = Vec::new();
    if s.restarts_grown > 0 {
        detail.push(format!("{} restarting more", s.restarts_grown));
    }
    if s.causes_changed > 0 {
        detail.push(format!("{} changed cause", s.causes_changed));
    }
    if !detail.is_empty() {
        persisting.push_str(&format!(" ({})", detail.join(", ")));
    }
    let mut parts = vec![
        format!("{} new", s.new),
        format!("{} resolved", s.resolved),
        persisting,
    ];
    parts.push(match s.templates_changed {
        Some(n) => format!(
            "{n} workload template{} changed",
            if n == 1 { "" } else { "s" }
        ),
        None => "templates not compared".to_owned(),
    });
    parts.push(match s.nodes_changed {
        Some(n) => format!("{n} node{} changed", if n == 1 { "" } else { "s" }),
        None => "nodes not compared".to_owned(),
    });
    parts.join(", ")
}

fn markdown(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# {}\n", markdown_prose(&title(diff)))?;
    for (label, side) in [("Old", &diff.old), ("New", &diff.new)] {
        writeln!(out, "- **{label}:** {}", side_line(side, markdown_code))?;
    }
    writeln!(out, "- {}", markdown_prose(&cluster_line(diff)))?;
    writeln!(out, "\n{}", markdown_text(&summary_line(diff)))?;
    let f = &diff.findings;
    for (heading, items, restarts) in [
        ("New findings", &f.new, "restarts"),
        ("Resolved findings", &f.resolved, "had restarts"),
    ] {
        if items.is_empty() {
            continue;
        }
        writeln!(out, "\n## {heading}\n")?;
        for i in items {
            writeln!(
                out,
                "- **{}** {} — `{}` {:.2}, {restarts} {}: {}",
                i.severity.name(),
                markdown_code(&place(i)),
                i.cause,
                i.confidence,
                i.restart_count,
                markdown_prose(&i.title)
            )?;
        }
    }
    if !f.persisting.is_empty() {
        writeln!(out, "\n## Persisting findings\n")?;
        for p in &f.persisting {
            let n = &p.new;
            let cause = if p.cause_changed {
                format!("cause `{}` → `{}`", p.old.cause, n.cause)
            } else {
                format!("`{}`", n.cause)
            };
            writeln!(
                out,
                "- **{}** {} — {cause}, {}: {}",
                n.severity.name(),
                markdown_code(&place(n)),
                restart_change(p),
                markdown_prose(&n.title)
            )?;
        }
    }
    if let Some(changes) = &diff.templates
        && !changes.is_empty()
    {
        writeln!(out, "\n## Template changes\n")?;
        for c in changes {
            writeln!(
                out,
                "- {} {}: {}",
                markdown_code(&template_place(c)),
                markdown_code(&c.field),
                markdown_text(&c.change)
            )?;
        }
    }
    if let Some(changes) = &diff.nodes
        && !changes.is_empty()
    {
        writeln!(out, "\n## Node changes\n")?;
        for c in changes {
            writeln!(
                out,
                "- {}: {}",
                markdown_code(&c.node),
                markdown_text(&node_change(c))
            )?;
        }
    }
    if !diff.notes.is_empty() {
        writeln!(out)?;
        for n in &diff.notes {
            writeln!(out, "> {}", markdown_prose(n))?;
        }
    }
    Ok(())
}
