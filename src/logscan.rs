//! Log signatures: one pass over a container's log with every rule's patterns at once.
//!
//! A `Scanner` is built once per run from the signatures the rules declare (each with its
//! rule's cause: `rules::registry::scanner`) and passed to whatever reads logs. It knows
//! nothing of rules or of the data model: a log offers it its bytes and where its lines lie
//! (`LogText`). For each signature the first and the last matching line are kept ("the first
//! fatal line and the last error line"), with their distance from the end of the log.
//!
//! Most log lines match no signature, so lines are not handed to the regexes one by one. From
//! each pattern's syntax tree comes a set of literals one of which every match contains
//! (`: connect: connection refused` for `dial tcp (?P<target>\S+): connect: connection
//! refused`; `(?i)` and small classes spell out into several). An Aho-Corasick DFA of all of
//! them reads the log's bytes as one buffer; only the lines where it finds one are decoded, and
//! each such line goes only to the regexes whose literals it holds. Those are all the lines and
//! signatures that can match, so the hits are those of matching every line with every pattern
//! (a test checks it against that).

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, Anchored, MatchKind, StartKind};
use regex::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::cause::Cause;
use crate::text::truncate;

/// Longest line prefix that patterns are matched against (a 1 GB line is not scanned whole).
const MAX_MATCH_LEN: usize = 4096;
/// Longest line text kept in a hit (evidence is for humans).
const MAX_TEXT_LEN: usize = 400;

/// A log pattern and what it means.
#[derive(Debug)]
pub struct Signature {
    /// Stable id, for tests and debugging. The cause a signature supports is its rule's.
    pub id: &'static str,
    /// A `regex` pattern; a named group `target` captures what the finding names (host, key, flag).
    pub pattern: &'static str,
    /// A real line the pattern must match (checked by a test).
    pub example: &'static str,
    /// Confidence when this line is the only evidence (0-1).
    pub confidence: f64,
}

/// What a log offers the scanner: its bytes, where its lines lie in them, and a line's text.
pub trait LogText {
    /// The log's name in hits (`HitSource::Log`).
    fn path(&self) -> &str;
    /// The log's bytes, lines separated by `\n`.
    fn bytes(&self) -> &[u8];
    /// Its lines in order, without decoding them.
    fn line_spans(&self) -> Vec<LineSpan>;
    /// The text of one line of `line_spans()` (prefixes such as timestamps removed).
    fn line_text(&self, span: LineSpan) -> Cow<'_, str>;
}

/// Where one line of a log lies in its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    /// 1-based line number in the whole file (of the first raw line, for a joined line).
    pub number: u64,
    /// Byte range of the raw line (prefix and `\r` included, `\n` excluded); for a joined
    /// line, of all its raw lines.
    pub start: usize,
    pub end: usize,
    /// Whether the line's text joins several raw lines (CRI partial lines): a literal may be
    /// split between them, so the line is always decoded and matched.
    pub joined: bool,
}

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
    /// The cause of the rule that declares the signature.
    pub cause: Cause,
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

/// Signatures ready for scanning: built once (`Scanner::new`), then shared by every scan.
pub struct Scanner {
    signatures: Vec<Declared>,
    /// Each signature's regex, compiled when a line first holds one of its literals.
    regexes: Vec<OnceLock<Regex>>,
    /// Every signature's literals, ASCII case-insensitive (what `(?i)` folds beyond ASCII, like
    /// `k` to the Kelvin sign, is spelled out among the literals).
    literals: AhoCorasick,
    /// Per literal (pattern id in `literals`): the signatures that require it.
    owners: Vec<Vec<usize>>,
    /// The literals that hold no other literal: a line holding none of them is not looked at.
    /// A DFA without prefilter, stepped by `literal_lines`: it reads every byte of every log.
    any_literal: DFA,
    /// Signatures without a literal every match contains: tried on every line.
    unfiltered: Vec<usize>,
}

/// A signature and the cause of the rule that declares it.
pub(crate) type Declared = (Cause, &'static Signature);

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("signatures", &self.signatures.len())
            .finish_non_exhaustive()
    }
}

impl Scanner {
    /// Compiles `signatures` (each with the cause it supports) into one scanner.
    ///
    /// # Panics
    /// When a pattern is not a valid regex (the registry's are checked by a test).
    #[must_use]
    pub fn new(signatures: Vec<Declared>) -> Scanner {
        let mut owners: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
        let mut unfiltered = Vec::new();
        for (index, (_, signature)) in signatures.iter().enumerate() {
            match required_literals(signature.pattern) {
                Some(required) => {
                    for literal in required {
                        owners.entry(literal).or_default().push(index);
                    }
                }
                None => unfiltered.push(index),
            }
        }
        let (literals, owners): (Literals, Vec<Vec<usize>>) = owners.into_iter().unzip();
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .expect("a few hundred short literals fit an automaton");
        // A literal holding another one adds no line to look at.
        let needed = literals.iter().enumerate().filter(|&(i, literal)| {
            automaton
                .find_overlapping_iter(literal)
                .all(|m| m.pattern().as_usize() == i)
        });
        let any_literal = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(needed.map(|(_, literal)| literal))
            .expect("a few hundred short literals fit an automaton");
        Scanner {
            regexes: signatures.iter().map(|_| OnceLock::new()).collect(),
            signatures,
            literals: automaton,
            owners,
            any_literal,
            unfiltered,
        }
    }

    fn regex(&self, index: usize) -> &Regex {
        self.regexes[index].get_or_init(|| {
            Regex::new(self.signatures[index].1.pattern)
                .expect("rule signatures are valid regexes (checked by a test)")
        })
    }

    /// Scans the lines of a log.
    #[must_use]
    pub fn scan_log(&self, log: &impl LogText) -> Vec<LogHit> {
        let spans = log.line_spans();
        let total = spans.len();
        let every_line = !self.unfiltered.is_empty();
        let mut found = if every_line {
            Vec::new()
        } else {
            literal_lines(&self.any_literal, log.bytes())
        }
        .into_iter()
        .peekable();
        let mut scan = Scan::new(self);
        for (i, &span) in spans.iter().enumerate() {
            let mut candidate = every_line || span.joined;
            while let Some(at) = found.next_if(|&at| at < span.end) {
                candidate |= at >= span.start;
            }
            // A joined line may hold a literal split over two raw lines: it is always decoded.
            if candidate {
                let text = log.line_text(span);
                scan.line(&text, total - 1 - i, || HitSource::Log {
                    path: log.path().to_owned(),
                    line: span.number,
                });
            }
        }
        scan.finish()
    }

    /// Scans a termination message (its lines count as the end of the log).
    #[must_use]
    pub fn scan_message(&self, message: &str) -> Vec<LogHit> {
        let lines: Vec<&str> = message.lines().collect();
        let total = lines.len();
        let mut scan = Scan::new(self);
        for (i, line) in lines.into_iter().enumerate() {
            scan.line(line, total - 1 - i, || HitSource::TerminationMessage);
        }
        scan.finish()
    }
}

/// Parts of a log searched side by side by `literal_lines`. A DFA step waits for the previous
/// step's table lookup; interleaved independent searches hide that wait. On the 5,000-pod
/// bundle's 23 MB of logs: one search 47 ms, two 26, four 15, six 16.
const LANES: usize = 4;

/// Byte offsets in `text` where a literal of `dfa` ends, at most one per raw line (the search
/// goes on at the next line after one).
fn literal_lines(dfa: &DFA, text: &[u8]) -> Vec<usize> {
    let start = dfa
        .start_state(Anchored::No)
        .expect("built with an unanchored start");
    let cut = |i: usize| line_start(text, text.len() * i / LANES);
    let mut lanes: [Lane; LANES] = std::array::from_fn(|i| Lane {
        at: cut(i),
        end: cut(i + 1),
        state: start,
        found: Vec::new(),
    });
    loop {
        // All lanes step together while each has bytes left, until one reaches a match.
        let steps = lanes.iter().map(|l| l.end - l.at).min().unwrap_or(0);
        if steps == 0 {
            break;
        }
        let bytes: [&[u8]; LANES] = std::array::from_fn(|l| &text[lanes[l].at..][..steps]);
        let mut states: [StateID; LANES] = std::array::from_fn(|l| lanes[l].state);
        let taken = (0..steps)
            .position(|k| {
                let mut special = false;
                for (state, bytes) in states.iter_mut().zip(bytes) {
                    *state = dfa.next_state(Anchored::No, *state, bytes[k]);
                    special |= dfa.is_special(*state);
                }
                special
            })
            .map_or(steps, |k| k + 1);
        for (lane, state) in lanes.iter_mut().zip(states) {
            lane.state = state;
            lane.at += taken;
            lane.after_step(dfa, text, start);
        }
    }
    for lane in &mut lanes {
        while lane.at < lane.end {
            lane.state = dfa.next_state(Anchored::No, lane.state, text[lane.at]);
            lane.at += 1;
            lane.after_step(dfa, text, start);
        }
    }
    lanes.into_iter().flat_map(|l| l.found).collect()
}

/// One part of a text (cut at line starts) and a literal search's position and state in it.
struct Lane {
    at: usize,
    end: usize,
    state: StateID,
    /// Where literals end, one per line at most.
    found: Vec<usize>,
}

impl Lane {
    /// At a match state, notes where the literal ends and goes on at the next line (literals
    /// hold no `\n`, so none spans two lines).
    fn after_step(&mut self, dfa: &DFA, text: &[u8], start: StateID) {
        // Only leftmost and anchored searches have a dead state.
        debug_assert!(!dfa.is_dead(self.state));
        if dfa.is_match(self.state) {
            self.found.push(self.at - 1);
            self.at = line_start(text, self.at).min(self.end);
            self.state = start;
        }
    }
}

/// The first line start at or after `at` (`text.len()` when there is none).
fn line_start(text: &[u8], at: usize) -> usize {
    if at == 0 {
        return 0;
    }
    memchr::memchr(b'\n', &text[at - 1..]).map_or(text.len(), |i| at + i)
}

/// The hits of one log or message so far: per signature, the first and the last.
struct Scan<'c> {
    compiled: &'c Scanner,
    found: Vec<Option<(LogHit, Option<LogHit>)>>,
    /// Signatures whose literals the current line holds (reused between lines).
    candidates: Vec<usize>,
}

impl<'c> Scan<'c> {
    fn new(compiled: &'c Scanner) -> Self {
        Scan {
            compiled,
            found: vec![None; compiled.signatures.len()],
            candidates: Vec::new(),
        }
    }

    /// Matches one line against the signatures whose literals it holds.
    fn line(&mut self, line: &str, from_end: usize, source: impl Fn() -> HitSource) {
        let compiled = self.compiled;
        let probe = truncate(line, MAX_MATCH_LEN);
        self.candidates.clear();
        for m in compiled.literals.find_overlapping_iter(probe) {
            self.candidates.extend(&compiled.owners[m.pattern()]);
        }
        self.candidates.extend(&compiled.unfiltered);
        self.candidates.sort_unstable();
        self.candidates.dedup();
        for &index in &self.candidates {
            let Some(captures) = compiled.regex(index).captures(probe) else {
                continue;
            };
            let target = captures
                .name("target")
                .map(|m| m.as_str().trim_matches(['"', '\'', '`']).to_owned());
            let (cause, signature) = compiled.signatures[index];
            let hit = LogHit {
                cause,
                signature,
                source: source(),
                from_end,
                text: truncate(line.trim(), MAX_TEXT_LEN).to_owned(),
                target,
            };
            match &mut self.found[index] {
                slot @ None => *slot = Some((hit, None)),
                Some((_, last)) => *last = Some(hit),
            }
        }
    }

    fn finish(self) -> Vec<LogHit> {
        ordered(self.found)
    }
}

/// Each signature's first and last hit (`found`, by signature), earliest in the log first, ties
/// by signature id.
fn ordered(found: Vec<Option<(LogHit, Option<LogHit>)>>) -> Vec<LogHit> {
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

/// A set of strings, ASCII lower-cased, sorted and distinct.
type Literals = Vec<Vec<u8>>;

/// Most strings a set of alternatives may hold (`(?i)` and alternations multiply them).
const MAX_LITERALS: usize = 64;
/// Most characters a class may hold to be spelled out as alternatives.
const MAX_CLASS_CHARS: u32 = 8;

/// The literals one of which every match of `pattern` contains; `None` when there are none
/// (a pattern like `\w+: \d+`).
fn required_literals(pattern: &str) -> Option<Literals> {
    // The defaults are those `Regex::new` parses with.
    let hir = regex_syntax::Parser::new()
        .parse(pattern)
        .expect("rule signatures are valid regexes (checked by a test)");
    Facts::of(&hir).best()
}

/// What a syntax tree says about the strings it matches.
struct Facts {
    /// Every string it can match, when they are few (assertions match `""`).
    exact: Option<Literals>,
    /// Strings one of which every match contains.
    required: Option<Literals>,
}

impl Facts {
    fn exact(set: Literals) -> Facts {
        // A decoded line holds no `\n`, and its U+FFFD may stand for other bytes in the log:
        // literals with either are not looked for.
        let unusable = |s: &Vec<u8>| s.contains(&b'\n') || contains(s, "\u{FFFD}".as_bytes());
        let exact = (!set.iter().any(unusable)).then(|| normalize(set));
        Facts {
            exact,
            required: None,
        }
    }

    fn of(hir: &Hir) -> Facts {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Facts::exact(vec![Vec::new()]),
            HirKind::Literal(literal) => Facts::exact(vec![literal.0.to_vec()]),
            HirKind::Class(class) => match class_members(class) {
                Some(members) => Facts::exact(members),
                None => Facts {
                    exact: None,
                    required: None,
                },
            },
            HirKind::Capture(capture) => Facts::of(&capture.sub),
            HirKind::Repetition(repetition) => {
                let sub = Facts::of(&repetition.sub);
                let required = if repetition.min > 0 { sub.best() } else { None };
                let exact = match (repetition.min, repetition.max) {
                    (1, Some(1)) => sub.exact,
                    (0, Some(1)) => sub.exact.map(|mut set| {
                        set.push(Vec::new());
                        normalize(set)
                    }),
                    _ => None,
                };
                Facts { exact, required }
            }
            HirKind::Concat(subs) => Facts::concat(subs),
            HirKind::Alternation(subs) => {
                let facts: Vec<Facts> = subs.iter().map(Facts::of).collect();
                let exact = facts
                    .iter()
                    .map(|f| f.exact.clone())
                    .collect::<Option<Vec<Literals>>>()
                    .map(|sets| normalize(sets.concat()))
                    .filter(|set| set.len() <= MAX_LITERALS);
                let required = facts
                    .iter()
                    .map(Facts::best)
                    .collect::<Option<Vec<Literals>>>()
                    .map(|sets| normalize(sets.concat()));
                Facts { exact, required }
            }
        }
    }

    /// A concatenation: runs of parts with exact sets multiply into longer literals; the best
    /// of those runs and of the parts' own requirements is the requirement.
    fn concat(subs: &[Hir]) -> Facts {
        let mut run: Literals = vec![Vec::new()];
        let mut whole = true;
        let mut options: Vec<Literals> = Vec::new();
        for sub in subs {
            let facts = Facts::of(sub);
            options.extend(facts.required);
            let Some(set) = facts.exact else {
                options.push(std::mem::replace(&mut run, vec![Vec::new()]));
                whole = false;
                continue;
            };
            if let Some(longer) = product(&run, &set) {
                run = longer;
            } else {
                options.push(std::mem::replace(&mut run, set));
                whole = false;
            }
        }
        let exact = whole.then(|| run.clone());
        options.push(run);
        Facts {
            exact,
            required: options
                .into_iter()
                .max_by_key(score)
                .filter(|set| score(set).0 > 0),
        }
    }

    /// The better of `exact` and `required`, if either can serve as a requirement.
    fn best(&self) -> Option<Literals> {
        [&self.exact, &self.required]
            .into_iter()
            .flatten()
            .max_by_key(|set| score(set))
            .filter(|set| score(set).0 > 0)
            .cloned()
    }
}

/// How well a set serves as a requirement: its shortest literal (up to 8 bytes; 0 = unusable,
/// it holds `""` or nothing), then fewer literals.
fn score(set: &Literals) -> (usize, Reverse<usize>) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest.min(8), Reverse(set.len()))
}

/// The members of a small class, as strings.
fn class_members(class: &Class) -> Option<Literals> {
    match class {
        Class::Unicode(class) => {
            let count: u32 = class
                .iter()
                .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                .sum();
            (count <= MAX_CLASS_CHARS).then(|| {
                class
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|c| c.to_string().into_bytes())
                    .collect()
            })
        }
        Class::Bytes(class) => {
            let count: usize = class
                .iter()
                .map(|r| usize::from(r.end() - r.start()) + 1)
                .sum();
            (count <= MAX_CLASS_CHARS as usize).then(|| {
                class
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|b| vec![b])
                    .collect()
            })
        }
    }
}

/// Every concatenation of a string of `a` with one of `b`, unless there are too many.
fn product(a: &Literals, b: &Literals) -> Option<Literals> {
    if a.len() * b.len() > MAX_LITERALS {
        return None;
    }
    Some(normalize(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [&x[..], &y[..]].concat()))
            .collect(),
    ))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn normalize(mut set: Literals) -> Literals {
    for s in &mut set {
        s.make_ascii_lowercase();
    }
    set.sort_unstable();
    set.dedup();
    set
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::path::Path;

    use std::sync::LazyLock;

    use proptest::prelude::*;
    use regex::{RegexSet, RegexSetBuilder};

    use super::*;
    // The logs and signatures the scanner meets in a run.
    use crate::model::LogFile;
    use crate::rules::registry::{self, SCANNER};

    /// What a hit says, comparable.
    type Key = (&'static str, HitSource, usize, String, Option<String>);

    fn keys(hits: Vec<LogHit>) -> Vec<Key> {
        hits.into_iter()
            .map(|h| (h.signature.id, h.source, h.from_end, h.text, h.target))
            .collect()
    }

    /// The scan as it was before the literal search: every decoded line through one `RegexSet`
    /// of every signature.
    struct Reference {
        signatures: Vec<Declared>,
        set: RegexSet,
        regexes: Vec<Regex>,
    }

    impl Reference {
        fn new(signatures: Vec<Declared>) -> Reference {
            let patterns: Vec<&str> = signatures.iter().map(|(_, s)| s.pattern).collect();
            Reference {
                // As it was built: with a small lazy-DFA cache, the set falls back to the much
                // slower PikeVM.
                set: RegexSetBuilder::new(&patterns)
                    .dfa_size_limit(32 << 20)
                    .build()
                    .expect("valid"),
                regexes: patterns
                    .iter()
                    .map(|p| Regex::new(p).expect("valid"))
                    .collect(),
                signatures,
            }
        }

        fn scan(&self, lines: &[(HitSource, usize, &str)]) -> Vec<Key> {
            let mut found: Vec<Option<(LogHit, Option<LogHit>)>> =
                vec![None; self.signatures.len()];
            for (source, from_end, line) in lines {
                let probe = truncate(line, MAX_MATCH_LEN);
                for index in &self.set.matches(probe) {
                    let target = self.regexes[index]
                        .captures(probe)
                        .and_then(|c| c.name("target"))
                        .map(|m| m.as_str().trim_matches(['"', '\'', '`']).to_owned());
                    let (cause, signature) = self.signatures[index];
                    let hit = LogHit {
                        cause,
                        signature,
                        source: source.clone(),
                        from_end: *from_end,
                        text: truncate(line.trim(), MAX_TEXT_LEN).to_owned(),
                        target,
                    };
                    match &mut found[index] {
                        slot @ None => *slot = Some((hit, None)),
                        Some((_, last)) => *last = Some(hit),
                    }
                }
            }
            keys(ordered(found))
        }

        fn scan_log(&self, log: &LogFile) -> Vec<Key> {
            let lines = log.lines();
            let total = lines.len();
            let lines: Vec<(HitSource, usize, &str)> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let source = HitSource::Log {
                        path: log.source.clone(),
                        line: l.number,
                    };
                    (source, total - 1 - i, l.text.as_ref())
                })
                .collect();
            self.scan(&lines)
        }
    }

    static REFERENCE: LazyLock<Reference> = LazyLock::new(|| Reference::new(all_signatures()));

    fn all_signatures() -> Vec<Declared> {
        registry::RULES
            .iter()
            .flat_map(|r| r.signatures.iter().map(|s| (r.cause, s)))
            .collect()
    }

    fn log_file(source: &str, text: impl Into<Vec<u8>>) -> LogFile {
        let text = text.into();
        LogFile {
            source: source.to_owned(),
            total_bytes: text.len() as u64,
            text,
            skipped_lines: 0,
            scanned: None,
        }
    }

    /// Checks `scan_log` against the reference on each log; returns how many hits there were.
    fn assert_same_hits(logs: &[LogFile]) -> usize {
        let mut hits = 0;
        for log in logs {
            let fast = keys(SCANNER.scan_log(log));
            assert_eq!(
                fast,
                REFERENCE.scan_log(log),
                "{}: {:?}",
                log.source,
                String::from_utf8_lossy(&log.text)
            );
            hits += fast.len();
        }
        hits
    }

    /// The logs of a small generated bundle.
    fn generated_logs() -> Vec<LogFile> {
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = ktriage_dev::generate::GenOptions {
            pods: 400,
            crashloop_percent: 30.0,
            clusters: 1,
            seed: 11,
            log_lines: 40,
        };
        let mut logs = Vec::new();
        for path in ktriage_dev::generate::write_bundles(&opts, dir.path()).expect("written") {
            let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).expect("opens"));
            let mut archive = tar::Archive::new(gz);
            for entry in archive.entries().expect("a tar") {
                let mut entry = entry.expect("an entry");
                let name = entry.path().expect("a path").display().to_string();
                if name.ends_with(".log") {
                    let mut text = Vec::new();
                    entry.read_to_end(&mut text).expect("reads");
                    logs.push(log_file(&name, text));
                }
            }
        }
        logs
    }

    /// Every `*.log` and `logs.txt` under `dir`.
    fn fixture_logs(dir: &Path, out: &mut Vec<LogFile>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.display().to_string();
            if path.is_dir() {
                fixture_logs(&path, out);
            } else if name.ends_with(".log") || name.ends_with("logs.txt") {
                out.push(log_file(&name, std::fs::read(&path).expect("readable")));
            }
        }
    }

    #[test]
    fn same_hits_as_every_line_through_every_pattern_on_generated_logs() {
        let logs = generated_logs();
        assert!(logs.len() > 50, "{} logs", logs.len());
        assert!(assert_same_hits(&logs) > 100);
    }

    #[test]
    fn same_hits_as_every_line_through_every_pattern_on_fixtures_and_samples() {
        let mut logs = Vec::new();
        fixture_logs(Path::new("fixtures"), &mut logs);
        fixture_logs(Path::new("samples"), &mut logs);
        assert!(logs.len() > 100, "{} logs", logs.len());
        assert!(assert_same_hits(&logs) > 100);
    }

    /// Each example as it is and changed: other case (also the non-ASCII letters `(?i)` folds
    /// `k` and `s` to), inside other text.
    fn example_variants(example: &str) -> Vec<String> {
        let folded: String = example
            .chars()
            .map(|c| match c {
                'k' | 'K' => '\u{212A}',
                's' | 'S' => '\u{17F}',
                c => c,
            })
            .collect();
        vec![
            example.to_owned(),
            example.to_uppercase(),
            example.to_lowercase(),
            folded,
            format!("level=error msg=\"{example}\" attempt=3"),
        ]
    }

    /// Each example in long lines: before, across and after the end of the matched prefix.
    fn long_variants(example: &str) -> Vec<String> {
        let pad = |n: usize| "x".repeat(n);
        vec![
            format!("{example}{}", pad(MAX_MATCH_LEN)),
            format!("{}{example}", pad(MAX_MATCH_LEN - example.len() / 2)),
            format!("{}{example}", pad(MAX_MATCH_LEN + 1)),
        ]
    }

    /// `lines` as a log in three forms `LogFile::lines` reads: plain, with kubectl timestamps,
    /// and as CRI partial lines that split each line in three (a literal may straddle a cut).
    fn log_forms(lines: &[String]) -> Vec<Vec<u8>> {
        let join = |f: &dyn Fn(&str) -> String| lines.iter().map(|l| f(l)).collect::<String>();
        vec![
            join(&|l| format!("{l}\n")),
            join(&|l| format!("2026-11-28T04:58:09.123456789Z {l}\r\n")),
            join(&split_cri),
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect()
    }

    /// A line as three CRI partial lines.
    fn split_cri(line: &str) -> String {
        let cut = |n: usize| {
            (n..=line.len())
                .find(|&i| line.is_char_boundary(i))
                .unwrap_or(line.len())
        };
        let (a, b) = (cut(line.len() / 3), cut(line.len() * 2 / 3));
        format!(
            "2026-11-28T04:58:09.1Z stdout P {}\n2026-11-28T04:58:09.2Z stdout P {}\n2026-11-28T04:58:09.3Z stdout F {}\n",
            &line[..a],
            &line[a..b],
            &line[b..]
        )
    }

    #[test]
    fn same_hits_as_every_line_through_every_pattern_on_every_example() {
        let mut lines = vec!["starting".to_owned()];
        let mut long = Vec::new();
        for (_, signature) in all_signatures() {
            lines.extend(example_variants(signature.example));
            lines.push("request completed status=200".to_owned());
            long.extend(long_variants(signature.example));
        }
        let mut texts = log_forms(&lines);
        texts.push(
            long.iter()
                .map(|l| format!("{l}\n"))
                .collect::<String>()
                .into_bytes(),
        );
        texts.push(
            long.iter()
                .map(|l| split_cri(l))
                .collect::<String>()
                .into_bytes(),
        );
        let logs: Vec<LogFile> = texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| log_file(&format!("form-{i}.log"), text))
            .collect();
        let hits = assert_same_hits(&logs);
        assert!(hits > 5 * all_signatures().len(), "{hits} hits");
    }

    #[test]
    fn same_hits_on_edge_cases() {
        let long = format!("{}panic: late{}", "y".repeat(5000), "z".repeat(100_000));
        let texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n\n\r\n\n".to_vec(),
            b"panic: no newline at the end".to_vec(),
            long.into_bytes(),
            format!("{}panic: straddles the limit\n", "y".repeat(MAX_MATCH_LEN - 5)).into_bytes(),
            b"\xff\xfepanic: after bad bytes \xc3\npanic:\xffsplit\n".to_vec(),
            b"2026-11-28T04:58:09.1Z stdout P pan\n2026-11-28T04:58:09.2Z stdout F ic: joined\n"
                .to_vec(),
            b"2026-11-28T04:58:09.1Z stdout P ECONNREF\n\nUSED 10.0.0.1:5432\n".to_vec(),
            b"2026-11-28T04:58:09.1Z stdout P ECONNREFUSED 10.0.0.1:5432 never ends".to_vec(),
            b"2026-11-28T04:58:09.1Z stdout P \xe2\x84\n2026-11-28T04:58:09.2Z stdout F \xaanown flag: -x\n"
                .to_vec(),
            b"2026-13-28T04:58:09.1Z stdout P panic: not a time, so not partial\nmore\n".to_vec(),
            b"\rpanic: after a CR\r\n\r\n".to_vec(),
        ];
        let logs: Vec<LogFile> = texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| log_file(&format!("edge-{i}.log"), text))
            .collect();
        assert!(assert_same_hits(&logs) > 5);
    }

    #[test]
    fn termination_messages_give_the_same_hits() {
        let message: String = REFERENCE
            .signatures
            .iter()
            .map(|(_, s)| format!("{}\r\nexit\n", s.example))
            .collect();
        let lines: Vec<&str> = message.lines().collect();
        let total = lines.len();
        let lines: Vec<(HitSource, usize, &str)> = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| (HitSource::TerminationMessage, total - 1 - i, l))
            .collect();
        let expected = REFERENCE.scan(&lines);
        assert_eq!(keys(SCANNER.scan_message(&message)), expected);
        assert!(expected.len() > REFERENCE.signatures.len());
    }

    /// Signatures made up for the tests (leaked: they live as long as the registry's).
    fn made_up(patterns: &[&str]) -> Vec<Declared> {
        patterns
            .iter()
            .enumerate()
            .map(|(i, pattern)| {
                let signature = Signature {
                    id: Box::leak(format!("s{i:02}").into_boxed_str()),
                    pattern: Box::leak(pattern.to_string().into_boxed_str()),
                    example: "",
                    confidence: 0.5,
                };
                (Cause::AppErrorExit, &*Box::leak(Box::new(signature)))
            })
            .collect()
    }

    /// Patterns that exercise the literal analysis: anchors, classes, case folding beyond
    /// ASCII, optional and repeated parts, alternations with and without literals.
    static TRICKY: LazyLock<(Scanner, Reference)> = LazyLock::new(|| {
        let signatures = made_up(TRICKY_PATTERNS);
        (Scanner::new(signatures.clone()), Reference::new(signatures))
    });

    const TRICKY_PATTERNS: &[&str] = &[
        r"^panic: (?P<target>.+)$",
        r"(?i)unknown flag",
        r"(?i)straße|größe",
        r"(?i)σίγμα",
        r"40[03] (?:Forbidden|Unauthorized)\b",
        r"(?:ab|cd)?ef(?:gh)*ij",
        r"x{2,}yz",
        r"(?:error|warn)[: ]+\w+",
        r"\bEOF\b",
        r"é+t[éè]",
        r"(?m)^done$",
    ];

    #[test]
    fn signatures_without_literals_are_tried_on_every_line() {
        let signatures = made_up(&[r"\d{3}\s\d{4}", r"(?i)timeout"]);
        let compiled = Scanner::new(signatures.clone());
        assert_eq!(compiled.unfiltered, vec![0]);
        let log = log_file("l.log", "call 555 1234\nTIMEOUT\n\nnothing\n");
        let hits = keys(compiled.scan_log(&log));
        assert_eq!(hits, Reference::new(signatures).scan_log(&log));
        assert_eq!(hits.len(), 2);
    }

    #[test]
    fn literals_of_some_patterns() {
        let literals = |pattern| {
            required_literals(pattern).map(|set| {
                set.into_iter()
                    .map(|l| String::from_utf8(l).expect("UTF-8"))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(literals(r"\w+\s\d+"), None);
        assert_eq!(literals(r"\w+: \d+"), Some(vec![": ".into()]));
        assert_eq!(literals(r"foo|\w+"), None);
        assert_eq!(
            literals(r"(?:ab|cd)ef"),
            Some(vec!["abef".into(), "cdef".into()])
        );
        assert_eq!(
            literals(r"(?i)Kb"),
            Some(vec!["kb".into(), "\u{212A}b".into()])
        );
        assert_eq!(
            literals(r"dial tcp (?P<target>\S+): connect: connection refused"),
            Some(vec![": connect: connection refused".into()])
        );
        assert_eq!(literals(r"^x+\bpanic\b"), Some(vec!["panic".into()]));
    }

    /// Every signature has literals of 3 bytes or more: without, every line of every log
    /// would go through its regex (correct, but several times slower).
    #[test]
    fn every_signature_has_literals_to_look_for() {
        for (_, signature) in all_signatures() {
            let literals = required_literals(signature.pattern);
            let shortest = literals.iter().flatten().map(Vec::len).min();
            assert!(
                shortest.is_some_and(|n| n >= 3),
                "{}: no literal of 3 bytes or more that every match of {:?} contains \
                 (found {literals:?}); give the pattern one",
                signature.id,
                signature.pattern
            );
        }
    }

    fn fragment() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"2026-11-28T04:58:09.1Z stdout P ".to_vec()),
            Just(b"2026-11-28T04:58:09.1Z stderr F ".to_vec()),
            Just(b"2026-11-28T04:58:09Z ".to_vec()),
            Just(b"\xff".to_vec()),
            Just("\u{212A}".as_bytes().to_vec()),
            Just("\u{17F}".as_bytes().to_vec()),
            Just(b"x".repeat(MAX_MATCH_LEN - 3)),
            Just(b"panic: ".to_vec()),
            Just(b"UNKNOWN ".to_vec()),
            Just(b"flag".to_vec()),
            Just(b"40".to_vec()),
            Just(b"3 Forbidden".to_vec()),
            Just(b"abef".to_vec()),
            Just(b"ghij".to_vec()),
            Just(b"xxyz".to_vec()),
            Just(b"error: x".to_vec()),
            Just(b"EOF".to_vec()),
            Just("éétè".as_bytes().to_vec()),
            Just(b"done".to_vec()),
            Just("STRASSE straße GRÖSSE".as_bytes().to_vec()),
            Just("ΣΊΓΜΑ".as_bytes().to_vec()),
            "[ -~]{0,12}".prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn same_hits_on_random_logs(parts in prop::collection::vec(fragment(), 0..40)) {
            let (compiled, reference) = &*TRICKY;
            prop_assert!(compiled.unfiltered.is_empty());
            let log = log_file("random.log", parts.concat());
            prop_assert_eq!(keys(compiled.scan_log(&log)), reference.scan_log(&log));
        }
    }

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
            scanned: None,
        };
        let hits: Vec<_> = SCANNER
            .scan_log(&log)
            .into_iter()
            .filter(|h| h.cause == Cause::DependencyUnreachable)
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
