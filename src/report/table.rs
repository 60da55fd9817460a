//! `--format table`: the report for a person at a terminal. Each finding takes 2-4 lines (where,
//! cause and title, the decisive evidence with its source, the first remedy) fitted to the width
//! without breaking a word; `--verbose` gives every detail instead. Only formats.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};

use super::{Report, View};
use crate::cause::Cause;
use crate::finding::{Key, Member, ReportFinding, Severity};

/// Columns when neither `COLUMNS` nor a terminal says.
pub(crate) const DEFAULT_WIDTH: usize = 100;
/// Narrowest table laid out; a narrower terminal wraps it.
pub(crate) const MIN_WIDTH: usize = 40;
/// Widest table laid out: longer lines are hard to read.
pub(crate) const MAX_WIDTH: usize = 120;
/// Findings shown as headlines unless `--limit` or `--all` says otherwise.
pub(crate) const DEFAULT_LIMIT: usize = 25;
/// Fleet groups shown before "+N more" (all with `--all` or `--verbose`).
const FLEET_ROWS: usize = 3;
/// Cluster names shown per fleet group before "+N more".
const FLEET_NAMES: usize = 3;
/// Finding ranks shown per fleet group before "+N".
const FLEET_RANKS: usize = 4;
/// Indent of a finding's lines under its headline.
const INDENT: &str = "   ";
/// Indent of the items of a `--verbose` section.
const ITEM: &str = "     ";

pub(super) fn render(report: &Report, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let width = view.width;
    for line in wrap("", &summary_line(report), "  ", width) {
        writeln!(out, "{line}")?;
    }
    if report.cluster_count() > 1 && !report.fleet.is_empty() {
        render_fleet(report, view, out)?;
    }
    if !report.findings.is_empty() {
        render_findings(report, view, out)?;
    }
    let mut failed = report.failures().peekable();
    if failed.peek().is_some() {
        writeln!(out, "\nCould not analyze:")?;
        for (path, error) in failed {
            let text = format!("{path}: {error}");
            for line in wrap("  ", &text, "    ", width) {
                writeln!(out, "{line}")?;
            }
        }
    }
    let warned: usize = report.bundles.iter().map(|b| b.warnings.len()).sum();
    if warned > 0 {
        let text = format!(
            "{warned} warning{} (files not read or collected): see --format json or markdown",
            plural(warned)
        );
        writeln!(out)?;
        for line in wrap("", &text, "  ", width) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// The fleet view: two lines per group (cause, workload/container, pods and findings; how many
/// clusters and the first few names), the first `FLEET_ROWS` groups unless all are asked for.
fn render_fleet(report: &Report, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let width = view.width;
    let all = view.verbose || view.limit.is_none();
    writeln!(out, "\nFleet: the same failure in several clusters")?;
    let shown = if all {
        report.fleet.len()
    } else {
        FLEET_ROWS.min(report.fleet.len())
    };
    for e in &report.fleet[..shown] {
        let ranks = if all {
            e.finding_ranks.len()
        } else {
            FLEET_RANKS.min(e.finding_ranks.len())
        };
        let mut head = format!(
            "{}  {}  {} pod{}, findings ",
            e.cause,
            e.signature,
            e.pods,
            plural(e.pods)
        );
        head.push_str(
            &e.finding_ranks[..ranks]
                .iter()
                .map(|r| format!("#{r}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        if ranks < e.finding_ranks.len() {
            head.push_str(&format!(" +{}", e.finding_ranks.len() - ranks));
        }
        let n = e.clusters.len();
        let clusters = |names: usize| {
            let mut text = format!("{n} clusters: {}", e.clusters[..names].join(", "));
            if names < n {
                text.push_str(&format!(" +{} more", n - names));
            }
            text
        };
        if all {
            for (indent, text) in [("  ", head), ("    ", clusters(n))] {
                if columns(indent) + columns(&text) <= width {
                    writeln!(out, "{indent}{text}")?;
                    continue;
                }
                for line in wrap(indent, &text, "      ", width) {
                    writeln!(out, "{line}")?;
                }
            }
            continue;
        }
        writeln!(out, "  {}", cut(&head, width.saturating_sub(2)))?;
        // As many names as fit, at most `FLEET_NAMES`, then "+N more".
        let room = width.saturating_sub(4);
        let text = (1..=FLEET_NAMES.min(n))
            .rev()
            .map(clusters)
            .find(|t| columns(t) <= room)
            .unwrap_or_else(|| cut(&clusters(1), room));
        writeln!(out, "    {text}")?;
    }
    if shown < report.fleet.len() {
        let more = report.fleet.len() - shown;
        let text = format!(
            "+{more} more group{} of the same failure in several clusters (--all lists them)",
            plural(more)
        );
        writeln!(out, "  {}", cut(&text, width.saturating_sub(2)))?;
    }
    Ok(())
}

/// The findings a correlation explains, found among the report's findings.
struct Folds {
    /// Correlation rank -> its members, with their rank when the report holds them.
    members: BTreeMap<usize, Vec<(Option<usize>, Member)>>,
    /// Ranks shown under a correlation instead of as headlines.
    folded: BTreeSet<usize>,
}

impl Folds {
    /// Reads the correlations' members; findings are read only when a correlation is there.
    fn of(report: &Report, keys: &[Key<'_>]) -> io::Result<Self> {
        let mut folds = Self {
            members: BTreeMap::new(),
            folded: BTreeSet::new(),
        };
        if !keys.iter().any(|k| k.cause.is_correlation()) {
            return Ok(folds);
        }
        let mut by_identity: HashMap<(&str, &str, &str, &str, &str, Cause), usize> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            by_identity
                .entry((k.bundle, k.namespace, k.kind, k.name, k.container, k.cause))
                .or_insert(i + 1);
        }
        for f in report.findings.iter() {
            let f = f?;
            if f.explains.is_empty() {
                continue;
            }
            let mut members = Vec::new();
            for m in &f.explains {
                let rank = by_identity
                    .get(&(
                        f.bundle.as_str(),
                        m.namespace.as_str(),
                        m.workload.kind.as_str(),
                        m.workload.name.as_str(),
                        m.container.as_str(),
                        m.cause,
                    ))
                    .copied()
                    .filter(|&r| r != f.rank);
                folds.folded.extend(rank);
                members.push((rank, m.clone()));
            }
            members.sort_by_key(|(rank, _)| rank.unwrap_or(usize::MAX));
            folds.members.insert(f.rank, members);
        }
        // A correlation is never folded under another one.
        for rank in folds.members.keys() {
            folds.folded.remove(rank);
        }
        Ok(folds)
    }
}

/// The findings: headlines in rank order (correlations with their members folded under them),
/// at most `view.limit` of them, then how many more there are and how to see them.
fn render_findings(report: &Report, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let keys: Vec<Key<'_>> = report.findings.keys().map(|(_, k)| k).collect();
    let folds = Folds::of(report, &keys)?;
    let limit = view.limit.unwrap_or(usize::MAX);
    let mut shown = BTreeSet::new();
    let mut headlines = 0;
    writeln!(out)?;
    for f in report.findings.iter() {
        if headlines == limit {
            break;
        }
        let f = f?;
        if folds.folded.contains(&f.rank) {
            continue;
        }
        headlines += 1;
        shown.insert(f.rank);
        if view.verbose && headlines > 1 {
            writeln!(out)?;
        }
        let lines = if view.verbose {
            verbose_lines(&f, view.width)
        } else {
            summary_lines(&f, view.width)
        };
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                writeln!(out, "{}", paint_severity(line, f.severity, view.color))?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
        if let Some(members) = folds.members.get(&f.rank) {
            if view.verbose {
                writeln!(out, "{INDENT}explains:")?;
            }
            let indent = if view.verbose { ITEM } else { INDENT };
            for (rank, m) in members {
                shown.extend(*rank);
                let line = member_line(*rank, m, &keys);
                writeln!(
                    out,
                    "{indent}{}",
                    cut(&line, view.width.saturating_sub(indent.len()))
                )?;
            }
        }
    }
    let hidden = keys.len() - shown.len();
    let mut tail = Vec::new();
    if hidden > 0 {
        tail.push(format!(
            "+{hidden} more finding{} (--limit N or --all lists them)",
            plural(hidden)
        ));
    }
    if !view.verbose {
        tail.push(
            "details: --verbose, --format markdown or json; a cause: ktriage explain CAUSE"
                .to_owned(),
        );
    }
    if !tail.is_empty() {
        writeln!(out)?;
    }
    for text in tail {
        for line in wrap("", &text, "  ", view.width) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// A finding in 2-4 lines, each fitted to `width`: where it is and how bad; cause, confidence
/// and title; the decisive evidence and its source; the first remedy.
fn summary_lines(f: &ReportFinding, width: usize) -> Vec<String> {
    let room = width.saturating_sub(INDENT.len());
    let mut lines = vec![headline(f, width)];
    let title = flat(&f.title);
    let mut line = format!("{} {:.2}: {title}", f.cause, f.confidence);
    // The headline names the container: a title that does not fit drops its subject so the
    // decisive part (the host, the value) stays on screen.
    if columns(&line) > room
        && let Some(rest) = title.strip_prefix(&format!("container `{}` ", f.container))
    {
        line = format!("{} {:.2}: {rest}", f.cause, f.confidence);
    }
    lines.push(format!("{INDENT}{}", cut(&line, room)));
    if let Some(e) = f.evidence.first() {
        let source = format!("[{}]", short_source(&e.source, &e.locator));
        let text = flat(&e.text);
        // "> " + text + "  " + source; the source stays whole when the text can keep a few words.
        let budget = room.saturating_sub(columns(&source) + 4);
        let line = if budget >= 16 {
            format!("> {}  {source}", cut(&text, budget))
        } else {
            cut(&format!("> {text}  {source}"), room)
        };
        lines.push(format!("{INDENT}{line}"));
    }
    if let Some(step) = f.remediation.first() {
        lines.push(format!(
            "{INDENT}{}",
            cut(&format!("fix: {}", flat(step)), room)
        ));
    }
    lines
}

/// `#3 CRITICAL prod-eu-1/shop/api/api  restarts 14`: rank, severity, where, then the pods and
/// restarts when they fit.
fn headline(f: &ReportFinding, width: usize) -> String {
    let head = format!("#{} {}", f.rank, f.severity.name().to_uppercase());
    let room = width.saturating_sub(columns(&head) + 1);
    let place = place(f);
    let mut facts = Vec::new();
    if !f.explains.is_empty() {
        facts.push(format!(
            "explains {} finding{}",
            f.explains.len(),
            plural(f.explains.len())
        ));
    }
    if f.pods.len() > 1 {
        facts.push(format!("{} pods", f.pods.len()));
    }
    if f.restart_count > 0 {
        facts.push(format!("restarts {}", f.restart_count));
    }
    let full = format!("{place}  {}", facts.join(", "));
    let rest = if facts.is_empty() || columns(&full) > room {
        cut(&place, room)
    } else {
        full
    };
    format!("{head} {rest}")
}

/// `cluster/namespace/workload/container`, `(init)` for an init container.
fn place(f: &ReportFinding) -> String {
    let mut parts = vec![f.cluster.as_str()];
    for p in [&f.namespace, &f.workload.name, &f.container] {
        if !p.is_empty() {
            parts.push(p);
        }
    }
    let mut text = parts.join("/");
    if !f.container.is_empty() && f.container_kind != "app" {
        text.push_str(&format!(" ({})", f.container_kind));
    }
    text
}

/// A folded member: `- #4 missing-config-ref 0.95  shop/api/api  restarts 12`.
fn member_line(rank: Option<usize>, m: &Member, keys: &[Key<'_>]) -> String {
    let place = [
        m.namespace.as_str(),
        m.workload.name.as_str(),
        m.container.as_str(),
    ]
    .iter()
    .filter(|p| !p.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join("/");
    match rank.and_then(|r| keys.get(r - 1).map(|k| (r, k))) {
        Some((r, k)) => {
            let mut line = format!("- #{r} {} {:.2}  {place}", m.cause, k.confidence);
            if k.restart_count > 0 {
                line.push_str(&format!("  restarts {}", k.restart_count));
            }
            line
        }
        None => format!("- {}  {place} (not in this report)", m.cause),
    }
}

/// Every detail of a finding, wrapped to `width` (commands are never wrapped, so they can be
/// copied).
fn verbose_lines(f: &ReportFinding, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut push = |first: &str, text: &str, rest: &str| {
        lines.extend(wrap(first, text, rest, width));
    };
    let head = format!("#{} {}", f.rank, f.severity.name().to_uppercase());
    let mut headline = format!("{} {}", head, place(f));
    if f.restart_count > 0 {
        headline.push_str(&format!("  restarts {}", f.restart_count));
    }
    push("", &headline, ITEM);
    push(
        INDENT,
        &format!("{} {:.2}: {}", f.cause, f.confidence, flat(&f.title)),
        ITEM,
    );
    let mut place = vec![format!("cluster {}", f.cluster)];
    if !f.namespace.is_empty() {
        place.push(format!("namespace {}", f.namespace));
    }
    place.push(format!("{} {}", f.workload.kind, f.workload.name));
    if !f.container.is_empty() {
        place.push(format!("container {} ({})", f.container, f.container_kind));
    }
    push(INDENT, &format!("where: {}", place.join(", ")), ITEM);
    push(
        INDENT,
        &format!("score {:.3}, severity {}", f.score, f.severity),
        ITEM,
    );
    if !f.pods.is_empty() {
        push(INDENT, &format!("pods: {}", f.pods.join(", ")), ITEM);
    }
    if !f.nodes.is_empty() {
        push(INDENT, &format!("nodes: {}", f.nodes.join(", ")), ITEM);
    }
    if !f.image.is_empty() {
        push(INDENT, &format!("image: {}", f.image), ITEM);
    }
    if let Some(t) = &f.last_termination {
        let parts = t.facts(str::to_owned);
        if !parts.is_empty() {
            push(
                INDENT,
                &format!("last termination: {}", parts.join(", ")),
                ITEM,
            );
        }
    }
    if !f.evidence.is_empty() {
        push(INDENT, "evidence:", ITEM);
    }
    for e in &f.evidence {
        push(ITEM, &format!("> {}", flat(&e.text)), "       ");
        push(
            "       ",
            &format!("[{} {}: {}]", e.kind_name(), e.source, flat(&e.locator)),
            "         ",
        );
    }
    if !f.alternatives.is_empty() {
        let alts: Vec<String> = f
            .alternatives
            .iter()
            .map(|a| format!("{} {:.2}", a.cause, a.confidence))
            .collect();
        push(INDENT, &format!("also possible: {}", alts.join(", ")), ITEM);
    }
    if !f.timeline.is_empty() {
        push(INDENT, "timeline (UTC, oldest first):", ITEM);
    }
    for m in &f.timeline {
        let relative = m.relative().map_or_else(String::new, |r| format!(" ({r})"));
        push(
            ITEM,
            &format!(
                "{}{relative} {} {}: {}",
                m.when(),
                m.kind.name(),
                m.subject,
                flat(&m.text)
            ),
            "       ",
        );
    }
    if !f.notes.is_empty() {
        push(INDENT, "notes:", ITEM);
    }
    for n in &f.notes {
        push(ITEM, &format!("- {}", flat(n)), "       ");
    }
    if !f.remediation.is_empty() || !f.change_commands.is_empty() {
        push(INDENT, "what to do:", ITEM);
    }
    for (i, r) in f.remediation.iter().enumerate() {
        push(ITEM, &format!("{}. {}", i + 1, flat(r)), "        ");
    }
    for c in &f.change_commands {
        lines.push(format!("{ITEM}$ {c}   # changes the cluster"));
    }
    if !f.commands.is_empty() {
        lines.push(format!("{INDENT}confirm with (read-only):"));
    }
    for c in &f.commands {
        lines.push(format!("{ITEM}$ {c}"));
    }
    lines
}

/// Colours the severity word of a headline (its second word) when `color` is on.
fn paint_severity(line: &str, severity: Severity, color: bool) -> String {
    if !color {
        return line.to_owned();
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
    };
    let word = severity.name().to_uppercase();
    match line.split_once(' ') {
        Some((rank, rest)) if rest.starts_with(&word) => {
            format!("{rank} \x1b[{code}m{word}\x1b[0m{}", &rest[word.len()..])
        }
        _ => line.to_owned(),
    }
}

/// Columns a text takes: its characters (`…` is one).
fn columns(s: &str) -> usize {
    s.chars().count()
}

/// Whitespace runs (newlines too) as one space.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` in at most `max` columns: cut after the last whole word that fits, ending with `…`. A
/// first word longer than `max` alone is cut inside, also ending with `…`.
fn cut(s: &str, max: usize) -> String {
    if columns(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut best = None;
    for (i, c) in s.char_indices() {
        if c != ' ' {
            continue;
        }
        let head = s[..i].trim_end();
        if head.is_empty() {
            continue;
        }
        if columns(head) < max {
            best = Some(head);
        } else {
            break;
        }
    }
    match best {
        Some(head) => format!("{head}…"),
        None => format!("{}…", s.chars().take(max - 1).collect::<String>()),
    }
}

/// Word-wraps `text` to `width`: the first line starts with `first`, the others with `rest`. A
/// word longer than a line stays whole on its own line.
fn wrap(first: &str, text: &str, rest: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && columns(&line) + 1 + columns(word) > width {
            lines.push(std::mem::replace(&mut line, rest.to_owned()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    lines.push(line);
    lines
}

/// Where an evidence item comes from, short: `api.previous.log:53`, `pods.yaml`, `events.yaml`.
fn short_source(source: &str, locator: &str) -> String {
    let file = source.rsplit('/').next().unwrap_or(source);
    match locator.strip_prefix("line ") {
        Some(line) => format!("{file}:{line}"),
        None => file.to_owned(),
    }
}

/// `ktriage: 3 bundles, 2 clusters, 4 findings (1 critical, 2 high), 1 bundle failed`.
pub(super) fn summary_line(report: &Report) -> String {
    let n = report.bundles.len();
    let mut by_sev = Vec::new();
    for sev in Severity::WORST_FIRST {
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
    let failed = report.failures().count();
    if failed > 0 {
        line.push_str(&format!(", {failed} bundle{} failed", plural(failed)));
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title too long for its line drops its subject (the headline names the container), so
    /// what the title says of it stays; one that fits keeps it.
    #[test]
    fn a_long_title_drops_the_container_it_names() {
        let f = crate::report::tests::finding("prod-eu-1", "bad-args", 0.9);
        let lines = summary_lines(&f, 60);
        assert_eq!(
            lines[1],
            "   bad-args 0.95: rejects its command line: `\"server-junk\"`"
        );
        let lines = summary_lines(&f, 100);
        assert_eq!(
            lines[1],
            "   bad-args 0.95: container `velero` rejects its command line: `\"server-junk\"`"
        );
    }

    #[test]
    fn cuts_after_whole_words() {
        assert_eq!(
            cut("connection refused by the server", 20),
            "connection refused…"
        );
        assert_eq!(cut("short", 20), "short");
        assert_eq!(
            cut("postgres.shop.svc.cluster.local is down", 10),
            "postgres.…"
        );
        assert_eq!(columns(&cut("ünïcödé wörds här and more", 12)), 12 - 4);
        assert_eq!(cut("ünïcödé wörds här and more", 12), "ünïcödé…");
    }

    #[test]
    fn wraps_at_words_with_indents() {
        assert_eq!(
            wrap("  ", "one two three four", "    ", 12),
            ["  one two", "    three", "    four"]
        );
        // A word longer than a line is not broken.
        assert_eq!(
            wrap("", "a kubectl-rollout-undo-deployment b", "", 10),
            ["a", "kubectl-rollout-undo-deployment", "b"]
        );
    }

    #[test]
    fn colours_only_the_severity() {
        let line = "#1 CRITICAL prod/shop/api/api  restarts 3";
        assert_eq!(paint_severity(line, Severity::Critical, false), line);
        assert_eq!(
            paint_severity(line, Severity::Critical, true),
            "#1 \x1b[1;31mCRITICAL\x1b[0m prod/shop/api/api  restarts 3"
        );
    }
}
