//! Container logs: a bounded tail window of each file, with its lines' numbers and timestamps.
//!
//! Knows the two prefixes a log line may carry: the RFC 3339 timestamp of `kubectl logs
//! --timestamps` and the CRI on-disk prefix `<ts> stdout|stderr F|P <text>` (P = partial line).

use std::borrow::Cow;

use super::time::Time;

/// One log file as read from a bundle: the last `window` bytes of it, cut at a line start.
#[derive(Debug, Clone, Default)]
pub struct LogFile {
    /// Path inside the bundle.
    pub source: String,
    /// The kept tail of the file.
    pub text: Vec<u8>,
    /// Size of the whole file.
    pub total_bytes: u64,
    /// Lines dropped before the kept window (0 when the whole file was kept).
    pub skipped_lines: u64,
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

    /// Whether only a tail of the file was kept.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.skipped_lines > 0 || (self.text.len() as u64) < self.total_bytes
    }

    /// The lines of the kept window, prefixes removed, CRI partial lines (`P`) joined.
    #[must_use]
    pub fn lines(&self) -> Vec<LogLine<'_>> {
        let mut out: Vec<LogLine<'_>> = Vec::new();
        let mut partial: Option<(u64, Option<Time>, String)> = None;
        for (i, raw) in self.text.split(|&b| b == b'\n').enumerate() {
            let number = self.skipped_lines + i as u64 + 1;
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
    use super::*;

    fn file(text: &str) -> LogFile {
        LogFile {
            source: "x.log".into(),
            text: text.as_bytes().to_vec(),
            total_bytes: text.len() as u64,
            skipped_lines: 0,
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
