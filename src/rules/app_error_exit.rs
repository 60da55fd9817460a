//! `app-error-exit`: a non-zero exit with no more specific signature (the fallback).

use std::sync::LazyLock;

use regex::Regex;

use super::{Evidence, Finding, POSSIBLE, RuleContext, Signature, WEAK, best_hit};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container in a restart loop that exits with a non-zero code when no more specific cause
    /// is recognized: the fallback, so no loop goes unreported.
    ///
    /// ## Why it crash-loops
    /// The program fails the same way at every start; the log and exit code say how.
    ///
    /// ## Evidence
    /// - `lastState.terminated.exitCode` (1, 2, 255, …) with reason `Error` (possible)
    /// - the most telling line of the previous log's end, quoted in the title: a fatal line
    ///   (`level=fatal`, `"level":"fatal"`, `FATAL`, a klog `F0102` line, a panic message),
    ///   else the final line of an exception (Java's last `Caused by:`, Python's `XError: …`),
    ///   else the last error line; of a JSON line, its `msg` and `error` fields
    /// - when neither a termination nor a log is in the bundle, the finding says so, and it
    ///   says what a more specific cause would have needed
    ///
    /// ## Remedy
    /// Read the previous log of the container around the last error line; run the image locally
    /// with the same command, env and mounts to reproduce.
    ///
    /// ## Not covered
    /// Everything a more specific rule names; this rule only fills the gap.
    pub(crate) static APP_ERROR_EXIT = {
        cause: AppErrorExit, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[Signature {
    id: "error-line",
    pattern: r"(?i)\b(?:error|fatal|exception|failed|failure|critical|panic)\b",
    example: "ERROR main: startup failed",
    confidence: 0.4,
}];

/// Lines from the end of the log searched for the most telling one.
const TAIL_LINES: usize = 60;

/// Longest quote of a line in the title.
const TITLE_QUOTE: usize = 120;

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let code = s.exit_code();
        if code == Some(0) {
            continue;
        }
        let name = s.name();
        let telling = telling_line(s);
        let error_line = telling
            .as_ref()
            .map(|t| t.evidence.clone())
            .or_else(|| best_last_error(s));
        let quote = telling
            .as_ref()
            .map(|t| format!(": \"{}\"", shorten(&t.quote)))
            .unwrap_or_default();
        let (confidence, title) = match (code, &error_line) {
            (Some(c), Some(_)) if !quote.is_empty() => (
                POSSIBLE + 0.05,
                format!("container `{name}` exits with code {c}{quote}"),
            ),
            (Some(c), Some(_)) => (
                POSSIBLE + 0.05,
                format!("container `{name}` exits with code {c} after logging an error"),
            ),
            (Some(c), None) => (
                POSSIBLE - 0.05,
                format!("container `{name}` exits with code {c}"),
            ),
            (None, _) => (
                WEAK,
                format!(
                    "container `{name}` is in a restart loop; the bundle does not show how it ended{quote}"
                ),
            ),
        };
        // Not looping now: it failed, restarted, and runs again.
        let title = if s.state == crate::subjects::State::Flapping {
            let times = s.status.restart_count;
            let plural = if times == 1 { "" } else { "s" };
            format!(
                "{} (restarted {times} time{plural}, running again)",
                title.replacen(" exits ", " exited ", 1)
            )
        } else {
            title
        };
        let mut f = Finding::new(&APP_ERROR_EXIT, s, confidence).title(title);
        f = f.termination(s).waiting(s);
        if let Some(e) = error_line {
            f = f.evidence(e);
        }
        if s.log.is_none() {
            f = f.note("no previous or current log of this container in the bundle");
        }
        if code.is_none() {
            f = f.note("no last termination state recorded (`lastState` is empty)");
        }
        if let Some(m) = missing(s, telling.as_ref()) {
            f = f.note(m);
        }
        out.push(
            f.remedy(format!(
                "read the previous log of `{name}` around the last error and fix what it reports"
            ))
            .remedy("reproduce by running the image with the same command, env and mounts"),
        );
    }
}

/// What a more specific cause would have needed and the log does not show (with no log, the
/// note that says so is enough).
fn missing(s: &Subject<'_>, telling: Option<&Telling>) -> Option<String> {
    s.log?;
    let what = match telling {
        None => "the log has no error, fatal or exception line near its end",
        Some(_) => {
            "its last error names nothing a specific cause recognizes (a refused or unresolved host, a missing file or setting, a denied permission, a limit, a signal)"
        }
    };
    Some(format!("no specific cause matched: {what}"))
}

/// The most telling line near the end of the log, as evidence and as a short quote.
struct Telling {
    evidence: Evidence,
    quote: String,
}

/// How telling a line is: higher is more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// A launcher's report that its child failed (`npm ERR!`, yarn's `error Command failed`,
    /// make's `***`): the child's own line says more.
    Launcher,
    /// A line with an error word.
    Error,
    /// A structured line at level error, or with an `error` field.
    StructuredError,
    /// The final line of an exception: Java's `Caused by:`, Python's `XError: …`.
    ExceptionEnd,
    /// A fatal line or a panic message: what the program said as it gave up.
    Fatal,
}

/// The most telling line of the last [`TAIL_LINES`] lines: the highest [`Rank`], the last of
/// its rank.
fn telling_line(s: &Subject<'_>) -> Option<Telling> {
    let log = s.log?;
    let lines = log.lines();
    let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
    let (_, line, quote) = tail
        .iter()
        .filter_map(|l| {
            let (rank, quote) = rank_line(&l.text)?;
            Some((rank, l, quote))
        })
        .max_by_key(|(rank, l, _)| (*rank, l.number))?;
    Some(Telling {
        evidence: Evidence::log_line(log, line.number, &line.text),
        quote,
    })
}

/// The rank of one line and its quote, when it says something went wrong.
fn rank_line(text: &str) -> Option<(Rank, String)> {
    let text = text.trim();
    if let Some((level, quote)) = structured(text) {
        let rank = match level.as_str() {
            "fatal" | "panic" | "critical" | "crit" | "emerg" | "alert" | "dpanic" => Rank::Fatal,
            "error" | "err" => Rank::StructuredError,
            _ if quote.contains("error: ") => Rank::StructuredError,
            _ => return None,
        };
        return Some((rank, quote));
    }
    if LAUNCHER.is_match(text) {
        return Some((Rank::Launcher, text.to_owned()));
    }
    if FATAL.is_match(text) {
        return Some((Rank::Fatal, text.to_owned()));
    }
    if let Some(c) = EXCEPTION_END.captures(text) {
        return Some((Rank::ExceptionEnd, c["end"].to_owned()));
    }
    ERROR_WORD
        .is_match(text)
        .then(|| (Rank::Error, text.to_owned()))
}

/// A JSON log line's level (lowercase) and its quote: the `msg` (or `message`) and `error` (or
/// `err`, `exception`) fields.
fn structured(text: &str) -> Option<(String, String)> {
    if !text.starts_with('{') {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let field = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(serde_json::Value::as_str))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    };
    let level = field(&["level", "severity", "lvl", "log.level", "levelname"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let msg = field(&["msg", "message", "@m"]);
    let error = field(&["error", "err", "exception", "error.message"]);
    let quote = match (msg, error) {
        (Some(m), Some(e)) => format!("{m}: error: {e}"),
        (Some(m), None) => m.to_owned(),
        (None, Some(e)) => format!("error: {e}"),
        (None, None) => return None,
    };
    Some((level, quote))
}

/// A launcher reporting its child's failure: npm, yarn, make, an npm lifecycle script.
static LAUNCHER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:npm (?:ERR!|error) |error Command failed with |make(?:\[\d+\])?: \*\*\* |ELIFECYCLE\b)")
        .expect("valid regex")
});

/// A line a program writes as it gives up: a fatal level (logfmt, bracketed, klog `F0102`), a
/// Go or Rust panic message, Go's `fatal error:`.
static FATAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|\s)level=(?:"?fatal|"?panic|"?crit(?:ical)?)\b|\b(?:FATAL|CRITICAL|PANIC)\b|^F\d{4} \d{2}:\d{2}:\d{2}|(?:^|\s)panic: |\bpanicked at\b|^fatal error: |^\[?(?:fatal|critical)\]?:? "#,
    )
    .expect("valid regex")
});

/// The final line of an exception: Java's `Caused by: X: message`, a `pkg.XError: message`
/// line (Python, Java, .NET), in `end` without the `Caused by: ` prefix.
static EXCEPTION_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:Caused by: )?(?P<end>(?:[A-Za-z_][\w$]*\.)*[A-Z][\w$]*(?:Error|Exception|Fault)(?::\s.+|$))",
    )
    .expect("valid regex")
});

/// A line with an error word (what the `error-line` signature matches).
static ERROR_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(SIGNATURES[0].pattern).expect("valid regex"));

/// `text` cut at a word to about [`TITLE_QUOTE`] characters.
fn shorten(text: &str) -> String {
    let text = text.replace(['\n', '\t'], " ");
    if text.chars().count() <= TITLE_QUOTE {
        return text;
    }
    let cut: String = text.chars().take(TITLE_QUOTE).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// The last error-looking line of the log (closest to the termination).
fn best_last_error(s: &Subject<'_>) -> Option<Evidence> {
    let hit = super::hits_for(s, APP_ERROR_EXIT.cause)
        .min_by_key(|h| h.from_end)
        .or_else(|| best_hit(s, APP_ERROR_EXIT.cause))?;
    Some(Evidence::log_hit(s, hit))
}

#[cfg(test)]
mod tests {
    use super::{Rank, rank_line};

    /// The line each program writes as it gives up, ranked above a plain error line, and what
    /// is quoted of it.
    #[test]
    fn ranks_the_lines_programs_give_up_with() {
        for (line, rank, quote) in [
            (
                r#"{"level":"fatal","ts":"2021-08-26T14:06:09.866Z","logger":"tekton-pipelines-controller","caller":"sharedmain/main.go:273","msg":"Version check failed","commit":"e297768","error":"kubernetes version \"1.18.0\" is not compatible, need at least \"1.19.0-\""}"#,
                Rank::Fatal,
                r#"Version check failed: error: kubernetes version "1.18.0" is not compatible, need at least "1.19.0-""#,
            ),
            (
                r#"{"level":"error","ts":1596025413.503453,"logger":"cmd","msg":"","error":"no such file or directory"}"#,
                Rank::StructuredError,
                "error: no such file or directory",
            ),
            (
                r#"time="2026-12-07T10:14:20Z" level=fatal msg="failed to load config: open /etc/app/config.yaml: no such file or directory""#,
                Rank::Fatal,
                r#"time="2026-12-07T10:14:20Z" level=fatal msg="failed to load config: open /etc/app/config.yaml: no such file or directory""#,
            ),
            (
                "F1207 10:14:20.512345       1 main.go:52] unable to create controller: no kind is registered",
                Rank::Fatal,
                "F1207 10:14:20.512345       1 main.go:52] unable to create controller: no kind is registered",
            ),
            (
                "thread 'main' panicked at src/main.rs:41:10:",
                Rank::Fatal,
                "thread 'main' panicked at src/main.rs:41:10:",
            ),
            (
                "Caused by: java.lang.IllegalArgumentException: Could not resolve placeholder 'app.region' in value \"${app.region}\"",
                Rank::ExceptionEnd,
                "java.lang.IllegalArgumentException: Could not resolve placeholder 'app.region' in value \"${app.region}\"",
            ),
            (
                "KeyError: 'DATABASE_URL'",
                Rank::ExceptionEnd,
                "KeyError: 'DATABASE_URL'",
            ),
            (
                "2026/11/28 04:56:58 ERROR batch 88412: totals do not balance",
                Rank::Error,
                "2026/11/28 04:56:58 ERROR batch 88412: totals do not balance",
            ),
            (
                "npm ERR! command failed",
                Rank::Launcher,
                "npm ERR! command failed",
            ),
            (
                "error Command failed with exit code 1.",
                Rank::Launcher,
                "error Command failed with exit code 1.",
            ),
        ] {
            assert_eq!(rank_line(line), Some((rank, quote.to_owned())), "{line}");
        }
        for line in [
            r#"{"level":"info","ts":"2026-12-07T10:14:20.512Z","msg":"retrying","attempt":3}"#,
            r#"time="2026-12-07T10:14:20Z" level=info msg="starting controller""#,
            "2026-12-07 10:14:20 INFO processed 0 errors in 12 batches",
            "    at org.springframework.boot.SpringApplication.run(SpringApplication.java:315)",
        ] {
            assert_eq!(rank_line(line), None, "{line}");
        }
    }
}
