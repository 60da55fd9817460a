//! Container logs: a bounded tail window of each file, with its lines' numbers and timestamps.
//! A log read from a bundle is scanned for signatures as it is read (`LogFile::scanned`) and
//! only its last lines are kept, so that a bundle's logs hold little memory however many and
//! however large they are.
//!
//! Knows the two prefixes a log line may carry: the RFC 3339 timestamp of `kubectl logs
//! --timestamps` and the CRI on-disk prefix `<ts> stdout|stderr F|P <text>` (P = partial line).

use std::borrow::Cow;

use super::time::Time;
use crate::logscan::{HitSource, LineSpan, LogHit, LogText, Scanner};

/// Most bytes of a scanned log kept in memory: its last lines, which log tails and last-line
/// evidence quote. (The signatures were found in the whole window before.)
pub const KEPT_TAIL_BYTES: usize = 16 << 10;

/// One log file as read from a bundle: the last `window` bytes of it, cut at a line start.
#[derive(Debug, Clone, Default)]
pub struct LogFile {
    /// Path inside the bundle.
    pub source: String,
    /// The kept tail of the file: the whole window, or its last lines once scanned.
    pub text: Vec<u8>,
    /// Size of the whole file.
    pub total_bytes: u64,
    /// Lines of the file before `text`.
    pub skipped_lines: u64,
    /// What scanning the window found, when it was scanned before `text` was cut to its tail.
    pub scanned: Option<Scanned>,
}

/// A log window scanned as it was read.
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    /// Bytes of the window.
    pub bytes: u64,
    /// Whether the window missed the head of the file.
    pub truncated: bool,
    /// The signatures' hits in the window (`Scanner::scan_log`).
    pub hits: Vec<LogHit>,
}

/// One line of a log, prefixes removed.
#[derive(Debug, Clone)]
pub struct LogLine<'a> {
    /// 1-based line number in the whole file.
    pub number: u64,
    /// The timestamp prefix, when there was one.
    pub time: Option<Time>,
    /// The line without its prefixes, lossily decoded.
    pub text: Cow<'a, str>,
}

/// The logs of one container: the current and the previous instance.
#[derive(Debug, Clone, Default)]
pub struct ContainerLogs {
    pub current: Option<LogFile>,
    pub previous: Option<LogFile>,
}

impl LogFile {
    /// Whether the file holds no application output: empty, or only kubectl's own error
    /// (`previous terminated container "x" in pod "y" not found`).
    #[must_use]
    pub fn is_empty_or_error(&self) -> bool {
        let text = String::from_utf8_lossy(&self.text[..self.text.len().min(512)]);
        let trimmed = text.trim();
        trimmed.is_empty()
            || (self.total_bytes < 1024
                && (trimmed.starts_with("Error from server")
                    || trimmed.starts_with("error: ")
                    || trimmed.starts_with("unable to retrieve container logs")
                    || trimmed.starts_with("failed to try resolving symlinks")
                    || trimmed.contains("previous terminated container")))
    }

    /// A log window read from a bundle, scanned now with `scanner`: all but its last
    /// `KEPT_TAIL_BYTES` (cut at a line start) are dropped.
    #[must_use]
    pub fn new(
        source: String,
        text: Vec<u8>,
        total_bytes: u64,
        skipped_lines: u64,
        scanner: &Scanner,
    ) -> Self {
        LogFile {
            source,
            text,
            total_bytes,
            skipped_lines,
            scanned: None,
        }
        .scan(scanner, KEPT_TAIL_BYTES)
    }

    /// Scans the window for signatures, then keeps only its last `keep` bytes.
    #[must_use]
    pub fn scan(mut self, scanner: &Scanner, keep: usize) -> Self {
        if self.scanned.is_some() {
            return self;
        }
        let scanned = Scanned {
            bytes: self.text.len() as u64,
            truncated: self.is_truncated(),
            hits: scanner.scan_log(&self),
        };
        self.keep_tail(keep);
        self.scanned = Some(scanned);
        self
    }

    /// Drops all but the lines in the last `keep` bytes (a last line longer than that is kept
    /// from its start, shortened).
    fn keep_tail(&mut self, keep: usize) {
        if self.text.len() <= keep {
            return;
        }
        let from = self.text.len() - keep;
        let spans = self.line_spans();
        let first = spans
            .iter()
            .find(|s| s.start >= from)
            .or_else(|| spans.last());
        let Some(&first) = first else {
            // Blank lines only.
            self.skipped_lines += memchr::memchr_iter(b'\n', &self.text).count() as u64;
            self.text = Vec::new();
            return;
        };
        self.skipped_lines = first.number - 1;
        let end = self.text.len().min(first.start + keep);
        self.text = self.text[first.start..end].to_vec();
    }

    /// The signatures' hits in the log: found when it was read, or now with `scanner`.
    #[must_use]
    pub fn hits(&self, scanner: &Scanner) -> Vec<LogHit> {
        match &self.scanned {
            Some(s) => s.hits.clone(),
            None => scanner.scan_log(self),
        }
    }

    /// Renames the file (its path in the bundle as a format reader names it), in its hits too.
    pub fn rename(&mut self, source: &str) {
        source.clone_into(&mut self.source);
        for hit in self.scanned.iter_mut().flat_map(|s| &mut s.hits) {
            if let HitSource::Log { path, .. } = &mut hit.source {
                source.clone_into(path);
            }
        }
    }

    /// Bytes of the file read (and scanned).
    #[must_use]
    pub fn window_bytes(&self) -> u64 {
        self.scanned
            .as_ref()
            .map_or(self.text.len() as u64, |s| s.bytes)
    }

    /// Whether only a tail of the file was read.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        match &self.scanned {
            Some(s) => s.truncated,
            None => self.skipped_lines > 0 || (self.text.len() as u64) < self.total_bytes,
        }
    }

    /// The lines of the kept window, prefixes removed, CRI partial lines (`P`) joined.
    #[must_use]
    pub fn lines(&self) -> Vec<LogLine<'_>> {
        self.line_spans()
            .into_iter()
            .map(|span| self.line(span))
            .collect()
    }

    /// Where the lines of `lines()` lie in the window, without decoding them (cheap: no
    /// timestamp is parsed unless the line is marked a CRI partial line). A joined line is one
    /// that starts with a CRI partial line (`P`): its text is the bodies of the raw lines in
    /// its range, joined.
    pub(crate) fn line_spans(&self) -> Vec<LineSpan> {
        let text = &self.text[..];
        let mut out = Vec::new();
        // A CRI partial line whose end has not been seen yet.
        let mut open: Option<LineSpan> = None;
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
        for (index, end) in (0u64..).zip(ends) {
            let raw = strip_cr(&text[start..end]);
            if let Some(span) = open.as_mut() {
                span.end = end;
                if !is_partial(raw) {
                    out.extend(open.take());
                }
            } else if !raw.is_empty() {
                let span = LineSpan {
                    number: self.skipped_lines + index + 1,
                    start,
                    end,
                    joined: is_partial(raw),
                };
                if span.joined {
                    open = Some(span);
                } else {
                    out.push(span);
                }
            }
            start = end + 1;
        }
        out.extend(open);
        out
    }

    /// Decodes one line of `line_spans()`.
    pub(crate) fn line(&self, span: LineSpan) -> LogLine<'_> {
        let raw = &self.text[span.start..span.end];
        if !span.joined {
            let (time, body, _) = split_prefix(strip_cr(raw));
            return LogLine {
                number: span.number,
                time,
                text: String::from_utf8_lossy(body),
            };
        }
        // The raw lines of a joined line are decoded one by one (a character split between
        // two of them is not rejoined).
        let mut time = None;
        let mut text = String::new();
        for (i, piece) in raw.split(|&b| b == b'\n').enumerate() {
            let (t, body, _) = split_prefix(strip_cr(piece));
            if i == 0 {
                time = t;
            }
            text.push_str(&String::from_utf8_lossy(body));
        }
        LogLine {
            number: span.number,
            time,
            text: Cow::Owned(text),
        }
    }
}

/// What the signature scanner reads of a log.
impl LogText for LogFile {
    fn path(&self) -> &str {
        &self.source
    }

    fn bytes(&self) -> &[u8] {
        &self.text
    }

    fn line_spans(&self) -> Vec<LineSpan> {
        LogFile::line_spans(self)
    }

    fn line_text(&self, span: LineSpan) -> Cow<'_, str> {
        self.line(span).text
    }
}

fn strip_cr(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

/// `split_prefix(line).2`, parsing the timestamp only when the CRI `P` marker is there.
fn is_partial(line: &[u8]) -> bool {
    if line.len() < 20 || !line[0].is_ascii_digit() || line[10] != b'T' {
        return false;
    }
    let Some(space) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    let rest = &line[space + 1..];
    let marked = [&b"stdout "[..], &b"stderr "[..]]
        .iter()
        .any(|stream| matches!(rest.strip_prefix(*stream), Some([b'P'] | [b'P', b' ', ..])));
    marked && split_prefix(line).2
}

/// Splits `2026-11-28T05:00:00.1Z text` or `<ts> stderr F text` into (time, text, partial).
fn split_prefix(line: &[u8]) -> (Option<Time>, &[u8], bool) {
    // A timestamp prefix starts with a digit and has a `T` at byte 10.
    if line.len() < 20 || !line[0].is_ascii_digit() || line[10] != b'T' {
        return (None, line, false);
    }
    let Some(space) = line.iter().position(|&b| b == b' ') else {
        return (None, line, false);
    };
    let Some(time) = std::str::from_utf8(&line[..space])
        .ok()
        .and_then(Time::parse)
    else {
        return (None, line, false);
    };
    let rest = &line[space + 1..];
    for stream in [&b"stdout "[..], &b"stderr "[..]] {
        if let Some(after) = rest.strip_prefix(stream) {
            match after {
                [b'F', b' ', body @ ..] => return (Some(time), body, false),
                [b'P', b' ', body @ ..] => return (Some(time), body, true),
                [b'F'] => return (Some(time), b"", false),
                [b'P'] => return (Some(time), b"", true),
                _ => {}
            }
        }
    }
    (Some(time), rest, false)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;

    /// `lines()` as it was before line spans: one pass decoding every line.
    fn reference_lines(log: &LogFile) -> Vec<LogLine<'_>> {
        let mut out: Vec<LogLine<'_>> = Vec::new();
        let mut partial: Option<(u64, Option<Time>, String)> = None;
        for (i, raw) in log.text.split(|&b| b == b'\n').enumerate() {
            let number = log.skipped_lines + i as u64 + 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.is_empty() && partial.is_none() {
                continue;
            }
            let (time, body, is_partial) = split_prefix(raw);
            let text = String::from_utf8_lossy(body);
            if let Some((n, t, mut acc)) = partial.take() {
                acc.push_str(&text);
                if is_partial {
                    partial = Some((n, t, acc));
                } else {
                    out.push(LogLine {
                        number: n,
                        time: t,
                        text: Cow::Owned(acc),
                    });
                }
                continue;
            }
            if is_partial {
                partial = Some((number, time, text.into_owned()));
            } else {
                out.push(LogLine { number, time, text });
            }
        }
        if let Some((number, time, text)) = partial {
            out.push(LogLine {
                number,
                time,
                text: Cow::Owned(text),
            });
        }
        out
    }

    fn assert_same_lines(log: &LogFile) {
        let key = |lines: Vec<LogLine<'_>>| -> Vec<(u64, Option<Time>, String)> {
            lines
                .into_iter()
                .map(|l| (l.number, l.time, l.text.into_owned()))
                .collect()
        };
        assert_eq!(
            key(log.lines()),
            key(reference_lines(log)),
            "{:?}",
            String::from_utf8_lossy(&log.text)
        );
    }

    fn bytes(text: &[u8], skipped_lines: u64) -> LogFile {
        LogFile {
            source: "x.log".into(),
            text: text.to_vec(),
            total_bytes: text.len() as u64,
            skipped_lines,
            scanned: None,
        }
    }

    fn fixture_logs(dir: &Path, out: &mut Vec<LogFile>) {
        for entry in std::fs::read_dir(dir).expect("readable") {
            let path = entry.expect("an entry").path();
            let name = path.display().to_string();
            if path.is_dir() {
                fixture_logs(&path, out);
            } else if name.ends_with(".log") || name.ends_with("logs.txt") {
                out.push(bytes(&std::fs::read(&path).expect("readable"), 0));
            }
        }
    }

    #[test]
    fn same_lines_as_before_on_fixtures_and_samples() {
        let mut logs = Vec::new();
        fixture_logs(Path::new("fixtures"), &mut logs);
        fixture_logs(Path::new("samples"), &mut logs);
        assert!(logs.len() > 100);
        for log in &logs {
            assert_same_lines(log);
        }
    }

    #[test]
    fn same_lines_as_before_on_edge_cases() {
        for text in [
            &b""[..],
            b"\n",
            b"\r\n\r\n",
            b"no newline",
            b"a\n\nb\r\n",
            b"2026-11-28T04:58:09.1Z stdout P \n",
            b"2026-11-28T04:58:09.1Z stdout P",
            b"2026-11-28T04:58:09.1Z stdout P a\n\nb\n",
            b"2026-11-28T04:58:09.1Z stdout P a\r\n2026-11-28T04:58:09.2Z stdout F b\r\n",
            b"2026-11-28T04:58:09.1Z stdout P \xe2\x84\n2026-11-28T04:58:09.2Z stderr F \xaa\n",
            b"2026-11-28T04:58:09.1Z stdout P a\nplain\n",
            b"2026-11-28T04:58:09.1Z stdout Pa\n2026-13-28T04:58:09.1Z stdout P b\n",
            b"2026-11-28T04:58:09.1Z  stdout P a\n2026-11-28T04:58:09Z x\n",
            b"\xff\xfe\n\r",
        ] {
            assert_same_lines(&bytes(text, 0));
            assert_same_lines(&bytes(text, 41));
        }
    }

    fn fragment() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"2026-11-28T04:58:09.1Z stdout P ".to_vec()),
            Just(b"2026-11-28T04:58:09.1Z stderr P".to_vec()),
            Just(b"2026-11-28T04:58:09.1Z stdout F ".to_vec()),
            Just(b"2026-11-28T04:58:09.123456789Z ".to_vec()),
            Just(b"2026-11-28T04:58:99Z stdout P ".to_vec()),
            Just(b"\xe2\x84".to_vec()),
            Just(b"\xaa".to_vec()),
            "[ -~]{0,8}".prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #[test]
        fn same_lines_as_before_on_random_logs(
            parts in prop::collection::vec(fragment(), 0..30),
            skipped in 0u64..3,
        ) {
            assert_same_lines(&bytes(&parts.concat(), skipped));
        }
    }

    fn file(text: &str) -> LogFile {
        LogFile {
            source: "x.log".into(),
            text: text.as_bytes().to_vec(),
            total_bytes: text.len() as u64,
            skipped_lines: 0,
            scanned: None,
        }
    }

    /// A scanner of two signatures like the rules' (a refused connection, a Go panic).
    fn scanner() -> Scanner {
        use crate::cause::Cause;
        use crate::logscan::Signature;
        static SIGNATURES: [Signature; 2] = [
            Signature {
                id: "econnrefused",
                pattern: r"ECONNREFUSED (?P<target>\S+)",
                example: "Error: connect ECONNREFUSED 10.96.14.3:5432",
                confidence: 0.8,
            },
            Signature {
                id: "go-panic",
                pattern: r"^panic: ",
                example: "panic: runtime error: invalid memory address or nil pointer dereference",
                confidence: 0.7,
            },
        ];
        Scanner::new(vec![
            (Cause::DependencyUnreachable, &SIGNATURES[0]),
            (Cause::AppErrorExit, &SIGNATURES[1]),
        ])
    }

    /// A scanned log keeps the hits of its whole window and, of its lines, exactly the last
    /// ones that fit (a CRI partial line is kept whole or not at all), numbered as before.
    #[test]
    fn scanning_keeps_the_window_hits_and_the_last_lines() {
        let mut text = String::from(
            "2026-11-28T04:58:01.000000001Z stderr F Error: connect ECONNREFUSED 10.96.14.3:5432\n",
        );
        for i in 0..200 {
            text.push_str(&format!(
                "2026-11-28T04:58:{:02}.{i:09}Z stdout F {{\"level\":\"info\",\"msg\":\"retrying\",\"attempt\":{i}}}\n",
                i % 60
            ));
            if i % 7 == 0 {
                text.push_str("2026-11-28T04:58:09.000000001Z stdout P a partial line, \n");
                text.push_str("2026-11-28T04:58:09.000000002Z stdout F and its end\n");
            }
        }
        text.push_str("\n\n2026-11-28T04:58:10.000000001Z stderr F panic: runtime error: invalid memory address or nil pointer dereference\n");
        let whole = file(&text).with_skipped(12);
        let all_lines = key(whole.lines());
        let scanner = scanner();
        let all_hits: Vec<_> = scanner
            .scan_log(&whole)
            .into_iter()
            .map(|h| (h.signature.id, h.source, h.from_end))
            .collect();
        assert!(all_hits.len() >= 2, "{all_hits:?}");
        for keep in [
            0,
            1,
            90,
            200,
            1000,
            4096,
            text.len() - 1,
            text.len(),
            1 << 20,
        ] {
            let scanned = whole.clone().scan(&scanner, keep);
            let hits: Vec<_> = scanned
                .hits(&scanner)
                .into_iter()
                .map(|h| (h.signature.id, h.source, h.from_end))
                .collect();
            assert_eq!(hits, all_hits, "keep {keep}");
            assert!(
                scanned.is_truncated(),
                "the window still misses the file's head"
            );
            assert_eq!(scanned.window_bytes(), text.len() as u64);
            let lines = key(scanned.lines());
            let last = all_lines.last().unwrap();
            if last.2.len() + 60 <= keep {
                assert!(scanned.text.len() <= keep, "keep {keep}");
                assert!(
                    !lines.is_empty() && all_lines.ends_with(&lines),
                    "keep {keep}: {lines:?}"
                );
            } else if keep < 60 {
                // Not even the last line's prefix fits.
                assert!(
                    scanned.text.len() <= keep && lines.len() <= 1,
                    "keep {keep}"
                );
            } else {
                // Only the last line, from its start.
                assert_eq!(lines.len(), 1, "keep {keep}");
                assert_eq!(lines[0].0, last.0);
                assert!(last.2.starts_with(&lines[0].2));
            }
        }
        // Renaming a scanned log renames its hits.
        let mut renamed = whole.clone().scan(&scanner, 100);
        renamed.rename("logs/shop/api-1/api.previous.log");
        assert!(renamed.hits(&scanner).iter().all(|h| matches!(&h.source,
            HitSource::Log { path, .. } if path == "logs/shop/api-1/api.previous.log")));
    }

    fn key(lines: Vec<LogLine<'_>>) -> Vec<(u64, Option<Time>, String)> {
        lines
            .into_iter()
            .map(|l| (l.number, l.time, l.text.into_owned()))
            .collect()
    }

    impl LogFile {
        fn with_skipped(mut self, skipped_lines: u64) -> Self {
            self.skipped_lines = skipped_lines;
            self.total_bytes += 1000;
            self
        }
    }

    #[test]
    fn strips_kubectl_timestamps() {
        let f = file("2026-11-28T04:58:09.123456789Z starting\n2026-11-28T04:58:10Z panic: boom\n");
        let lines = f.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].text, "panic: boom");
        assert_eq!(lines[1].number, 2);
        assert_eq!(lines[1].time.unwrap().to_string(), "2026-11-28T04:58:10Z");
    }

    #[test]
    fn joins_cri_partial_lines() {
        let f = file(
            "2026-11-28T04:58:09.1Z stdout P hello \n2026-11-28T04:58:09.2Z stdout F world\n2026-11-28T04:58:09.3Z stderr F done\n",
        );
        let lines = f.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "hello world");
        assert_eq!(lines[1].text, "done");
        assert_eq!(lines[1].number, 3);
    }

    #[test]
    fn plain_lines_and_kubectl_errors() {
        assert_eq!(file("no prefix here\n").lines()[0].text, "no prefix here");
        let err = file(
            "Error from server (BadRequest): previous terminated container \"api\" in pod \"x\" not found\n",
        );
        assert!(err.is_empty_or_error());
        assert!(file("\n\n").is_empty_or_error());
        assert!(!file("real output\n").is_empty_or_error());
    }
}
