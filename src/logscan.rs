//! Log signatures: one pass over a container's log with every rule's patterns at once.
//!
//! Each rule declares its `Signature`s; they are compiled once into a `RegexSet`. For each
//! signature the first and the last matching line are kept ("the first fatal line and the
//! last error line"), with their distance from the end of the log.

use std::sync::LazyLock;

use regex::{Regex, RegexSet, RegexSetBuilder};

use crate::model::LogFile;
use crate::rules::{Signature, registry};

/// Longest line prefix that patterns are matched against (a 1 GB line is not scanned whole).
const MAX_MATCH_LEN: usize = 4096;
/// Capacity of the set's lazy-DFA transition cache (per thread, grown only as needed). With
/// ~150 signatures, many with Unicode `\w` and `(?i)`, the default 2 MiB thrashes and the set
/// falls back to the PikeVM: a 5,000-pod bundle took 55 s instead of 1.4 s (`scripts/bench.sh`).
/// 4 MiB was enough there; 32 MiB leaves room for more rules.
const LAZY_DFA_CACHE: usize = 32 << 20;
/// Longest line text kept in a hit (evidence is for humans).
const MAX_TEXT_LEN: usize = 400;

/// Where a hit was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitSource {
    /// A log file, by its path in the bundle, and the 1-based line number.
    Log { path: String, line: u64 },
    /// `lastState.terminated.message` (with `FallbackToLogsOnError`, the log's tail).
    TerminationMessage,
}

/// One line matched by one signature.
#[derive(Debug, Clone)]
pub struct LogHit {
    pub signature: &'static Signature,
    pub source: HitSource,
    /// Lines between this one and the end of the log (0 = the last line).
    pub from_end: usize,
    /// The line, trimmed and shortened (not yet redacted).
    pub text: String,
    /// The `target` capture group of the pattern, if it has one (a host, a key, a flag).
    pub target: Option<String>,
}

impl LogHit {
    /// Weight by position: the last 50 lines before termination count fully, earlier ones less.
    #[must_use]
    pub fn position_weight(&self) -> f64 {
        if self.from_end < 50 { 1.0 } else { 0.85 }
    }
}

struct Compiled {
    set: RegexSet,
    regexes: Vec<Regex>,
    signatures: Vec<&'static Signature>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let signatures: Vec<&'static Signature> = registry::RULES
        .iter()
        .flat_map(|r| r.signatures.iter())
        .collect();
    let patterns: Vec<&str> = signatures.iter().map(|s| s.pattern).collect();
    Compiled {
        set: RegexSetBuilder::new(&patterns)
            .dfa_size_limit(LAZY_DFA_CACHE)
            .build()
            .expect("rule signatures are valid regexes (checked by a test)"),
        regexes: patterns
            .iter()
            .map(|p| Regex::new(p).expect("checked by a test"))
            .collect(),
        signatures,
    }
});

/// Scans the lines of a log file.
#[must_use]
pub fn scan_log(log: &LogFile) -> Vec<LogHit> {
    let lines = log.lines();
    let total = lines.len();
    scan_lines(lines.iter().enumerate().map(|(i, l)| {
        (
            HitSource::Log {
                path: log.source.clone(),
                line: l.number,
            },
            total - 1 - i,
            l.text.as_ref(),
        )
    }))
}

/// Scans a termination message (its lines count as the end of the log).
#[must_use]
pub fn scan_message(message: &str) -> Vec<LogHit> {
    let lines: Vec<&str> = message.lines().collect();
    let total = lines.len();
    scan_lines(
        lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| (HitSource::TerminationMessage, total - 1 - i, l)),
    )
}

fn scan_lines<'t>(lines: impl Iterator<Item = (HitSource, usize, &'t str)>) -> Vec<LogHit> {
    let compiled = &*COMPILED;
    // Per signature: (first hit, last hit).
    let mut found: Vec<Option<(LogHit, Option<LogHit>)>> = vec![None; compiled.signatures.len()];
    for (source, from_end, line) in lines {
        let probe = truncate(line, MAX_MATCH_LEN);
        let matches = compiled.set.matches(probe);
        if !matches.matched_any() {
            continue;
        }
        for index in &matches {
            let target = compiled.regexes[index]
                .captures(probe)
                .and_then(|c| c.name("target"))
                .map(|m| m.as_str().trim_matches(['"', '\'', '`']).to_owned());
            let hit = LogHit {
                signature: compiled.signatures[index],
                source: source.clone(),
                from_end,
                text: truncate(line.trim(), MAX_TEXT_LEN).to_owned(),
                target,
            };
            match &mut found[index] {
                slot @ None => *slot = Some((hit, None)),
                Some((_, last)) => *last = Some(hit),
            }
        }
    }
    let mut hits: Vec<LogHit> = found
        .into_iter()
        .flatten()
        .flat_map(|(first, last)| std::iter::once(first).chain(last))
        .collect();
    hits.sort_by(|a, b| {
        b.from_end
            .cmp(&a.from_end)
            .then_with(|| a.signature.id.cmp(b.signature.id))
    });
    hits
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_compiles_and_matches_its_example() {
        for rule in registry::RULES {
            for sig in rule.signatures {
                let re = Regex::new(sig.pattern).unwrap_or_else(|e| panic!("{}: {e}", sig.id));
                assert!(
                    re.is_match(sig.example),
                    "{} / {} does not match its example {:?}",
                    rule.cause,
                    sig.id,
                    sig.example
                );
                assert_eq!(
                    sig.cause, rule.cause,
                    "{} is declared under the wrong rule",
                    sig.id
                );
            }
        }
    }

    #[test]
    fn keeps_first_and_last_hit_per_signature() {
        let text = "ok\nError: connect ECONNREFUSED 10.0.0.1:5432\nretrying\nError: connect ECONNREFUSED 10.0.0.1:5432\nbye\n";
        let log = LogFile {
            source: "l.log".into(),
            text: text.as_bytes().to_vec(),
            total_bytes: text.len() as u64,
            skipped_lines: 0,
        };
        let hits: Vec<_> = scan_log(&log)
            .into_iter()
            .filter(|h| h.signature.cause == "dependency-unreachable")
            .collect();
        assert_eq!(hits.len(), 2);
        assert_eq!(
            hits[0].source,
            HitSource::Log {
                path: "l.log".into(),
                line: 2
            }
        );
        assert_eq!(hits[1].from_end, 1);
    }
}
