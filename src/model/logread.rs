//! What a log says about the process's own clock and start-up, read from the lines' text: the
//! timestamps applications print, the ports a server says it listens on, and whether (and how
//! fast) it reports having started. Probe reasoning compares these with the probe's settings.
//!
//! Timestamps read: ISO 8601 (`2026-12-07T10:13:41.123Z`, `2026-12-07 10:13:41,123`), Go's
//! `2026/12/07 10:13:41`, klog's `I1207 10:13:41.123456`, a bare `10:13:41` near the start of
//! the line, and the `ts`/`time`/`timestamp` field of a JSON or logfmt line (text or Unix
//! seconds). The kubectl or CRI prefix of `LogLine::time` is preferred when a line has one.

use std::sync::LazyLock;

use regex::Regex;

use super::log::LogLine;
use crate::text::truncate;

/// Seconds on the line's own clock: since the epoch when the line shows a date, else since
/// midnight (klog's month-day is counted in days of a 31-day month, enough for differences).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    pub secs: f64,
    /// Whether the date was shown: an undated clock wraps at midnight.
    pub dated: bool,
}

/// The time a log's kept lines cover, from its first to its last timestamped line (blank lines
/// aside).
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Line numbers of the first and last timestamped lines.
    pub first: u64,
    pub last: u64,
    /// The last line's first 160 characters, to quote.
    pub last_text: String,
    pub secs: f64,
}

/// A server's own word that it listens on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    pub port: u16,
    /// Bound to the loopback address only (`127.0.0.1`, `localhost`, `[::1]`): unreachable
    /// from the kubelet, which probes the pod's IP.
    pub loopback: bool,
    pub line: u64,
    pub text: String,
}

static LEADING_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?: (?P<y>\d{4})[-/](?P<mo>\d{2})[-/](?P<d>\d{2})[T\ ]
          | \b[IWEF](?P<kmo>\d{2})(?P<kd>\d{2})\ +
          | \b(?P<dd>\d{2})-(?P<mon>[A-Z][a-z]{2})-(?P<yy>\d{4})\ 
          | (?:^|[^\w:.]) )
        (?P<h>[0-2]\d):(?P<mi>[0-5]\d):(?P<s>[0-5]\d)(?:[.,](?P<f>\d{1,9}))?",
    )
    .expect("valid regex")
});

static FIELD_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s{,])"?(?:ts|time|timestamp|@timestamp|t)"?\s*[:=]\s*"?(?P<v>[0-9][0-9T:.,/ +-]{7,34}|\d{10}(?:\.\d+)?)"#)
        .expect("valid regex")
});

/// The line's own timestamp, when it shows one near its start (or in a `ts`/`time` field).
#[must_use]
pub fn own_clock(text: &str) -> Option<Clock> {
    let head = text.get(..text.len().min(64)).unwrap_or(text);
    if let Some(c) = LEADING_TIME.captures(head) {
        // A time deep into the line (after a word) is more likely part of the message.
        let before = &head[..c.get(0).map_or(0, |m| m.start())];
        if before.chars().filter(char::is_ascii_alphabetic).count() <= 12 {
            return clock_of(&c);
        }
    }
    let c = FIELD_TIME.captures(text.get(..text.len().min(400)).unwrap_or(text))?;
    let v = c.name("v")?.as_str().trim_end_matches([',', ' ', '.']);
    if let Ok(epoch) = v.parse::<f64>() {
        return Some(Clock {
            secs: epoch,
            dated: true,
        });
    }
    LEADING_TIME.captures(v).and_then(|c| clock_of(&c))
}

fn clock_of(c: &regex::Captures<'_>) -> Option<Clock> {
    let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<i64>().ok());
    let frac = c
        .name("f")
        .map_or(0.0, |f| format!("0.{}", f.as_str()).parse().unwrap_or(0.0));
    #[allow(clippy::cast_precision_loss)]
    let of_day = (num("h")? * 3600 + num("mi")? * 60 + num("s")?) as f64 + frac;
    let days = if let (Some(y), Some(mo), Some(d)) = (num("y"), num("mo"), num("d")) {
        Some(y * 372 + mo * 31 + d)
    } else if let (Some(mo), Some(d)) = (num("kmo"), num("kd")) {
        Some(mo * 31 + d)
    } else if let (Some(d), Some(y), Some(mon)) = (num("dd"), num("yy"), c.name("mon")) {
        let mo = i64::try_from(MONTHS.iter().position(|m| *m == mon.as_str())?).ok()? + 1;
        Some(y * 372 + mo * 31 + d)
    } else {
        None
    };
    #[allow(clippy::cast_precision_loss)]
    Some(Clock {
        secs: days.map_or(0.0, |d| d as f64 * 86_400.0) + of_day,
        dated: days.is_some(),
    })
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn line_secs(line: &LogLine<'_>) -> Option<Clock> {
    match line.time {
        #[allow(clippy::cast_precision_loss)]
        Some(t) => Some(Clock {
            secs: t.unix() as f64,
            dated: true,
        }),
        None => own_clock(&line.text),
    }
}

/// The time from the first to the last timestamped line of a log's kept lines (blank lines
/// aside). Undated clocks
/// that go back more than 12 hours are taken to have passed midnight.
#[must_use]
pub fn span(lines: &[LogLine<'_>]) -> Option<Span> {
    let mut first: Option<(u64, f64)> = None;
    let mut last: Option<(u64, String, f64)> = None;
    let mut prev: Option<Clock> = None;
    let mut offset = 0.0;
    for line in lines {
        if line.text.trim().is_empty() {
            continue;
        }
        let Some(clock) = line_secs(line) else {
            continue;
        };
        if let Some(p) = prev {
            if p.dated != clock.dated {
                // Mixed clocks cannot be compared.
                continue;
            }
            if !clock.dated && clock.secs + offset < p.secs - 43_200.0 {
                offset += 86_400.0;
            }
        }
        let secs = clock.secs + if clock.dated { 0.0 } else { offset };
        prev = Some(Clock {
            secs,
            dated: clock.dated,
        });
        if first.is_none() {
            first = Some((line.number, secs));
        } else {
            last = Some((line.number, quote(&line.text), secs));
        }
    }
    let (first, last) = (first?, last?);
    (last.2 >= first.1).then_some(Span {
        first: first.0,
        last: last.0,
        last_text: last.1,
        secs: last.2 - first.1,
    })
}

fn quote(text: &str) -> String {
    truncate(text.trim(), 160).to_owned()
}

static LISTEN_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:listen(?:s|ing)?|serving|running|bound|binding to|server (?:is )?(?:started|starting|up)|start(?:ed|ing) (?:\w+ ){0,3}on|ready for connections|(?:waiting|awaiting) (?:for )?(?:socket )?connections|Started ServerConnector)\b")
        .expect("valid regex")
});

static LISTEN_PORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?ix)
        (?: \bports?(?:\(s\))?\b?[\s():=\["]{0,5}(?P<p1>\d{2,5})\b
          | \blisten(?:s|ing)?\ (?:on|at)\ (?P<p3>\d{2,5})\b
          | (?:https?://|tcp://|[\s'=({]|^)
            (?P<host>\[[0-9a-f:]*\]|\d{1,3}(?:\.\d{1,3}){3}|localhost|\*|[a-z][\w-]*(?:\.[\w-]+)+)?
            :(?P<p2>\d{2,5})\b(?:[^:]|$)
          # In quotes, the address is the whole string: `":8080"`, not a JSON key's `"id":23016`.
          | "(?P<qhost>\[[0-9a-f:]*\]|\d{1,3}(?:\.\d{1,3}){3}|localhost|\*|[a-z][\w-]*(?:\.[\w-]+)+)?
            :(?P<p4>\d{2,5})" )"#,
    )
    .expect("valid regex")
});

/// The ports a log's lines say the process listens on, in line order.
#[must_use]
pub fn listening(lines: &[LogLine<'_>]) -> Vec<Listening> {
    let mut out: Vec<Listening> = Vec::new();
    for line in lines {
        if !LISTEN_LINE.is_match(&line.text) {
            continue;
        }
        for c in LISTEN_PORT.captures_iter(&line.text) {
            let Some(port) = c
                .name("p1")
                .or_else(|| c.name("p2"))
                .or_else(|| c.name("p3"))
                .or_else(|| c.name("p4"))
                .and_then(|p| p.as_str().parse::<u16>().ok())
            else {
                continue;
            };
            let loopback = c.name("host").or_else(|| c.name("qhost")).is_some_and(|h| {
                matches!(
                    h.as_str().to_ascii_lowercase().as_str(),
                    "127.0.0.1" | "localhost" | "[::1]"
                )
            });
            if !out.iter().any(|l| l.port == port) {
                out.push(Listening {
                    port,
                    loopback,
                    line: line.number,
                    text: quote(&line.text),
                });
            }
        }
    }
    out
}

static STARTED_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \b(?:started|start-?up|startup\ complete[d]?|ready)\b[^\n]{0,100}?
        \bin\ \[?(?P<n>\d+(?:\.\d+)?)\]?\ ?(?P<u>ms|milliseconds|s|secs?|seconds)\b
        | \bStarted\ @(?P<jetty>\d+)ms",
    )
    .expect("valid regex")
});

/// The start-up time the program reports (`Started App in 95.3 seconds`, `started in 45.612s`,
/// `Server startup in [12345] milliseconds`, Jetty's `Started @12345ms`), with its line.
#[must_use]
pub fn reported_startup(lines: &[LogLine<'_>]) -> Option<(u64, String, f64)> {
    lines.iter().find_map(|line| {
        let c = STARTED_IN.captures(&line.text)?;
        let secs = if let Some(ms) = c.name("jetty") {
            ms.as_str().parse::<f64>().ok()? / 1000.0
        } else {
            let n: f64 = c.name("n")?.as_str().parse().ok()?;
            match c.name("u")?.as_str().to_ascii_lowercase().as_str() {
                "ms" | "milliseconds" => n / 1000.0,
                _ => n,
            }
        };
        Some((line.number, quote(&line.text), secs))
    })
}

static READY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \blisten(?:s|ing)\ (?:on|at)\b | \bnow\ listening\b | \bready\ (?:to|for)\ (?:accept|connections|serve|handle)
        | \bserving\ (?:on|at|http|grpc)\b | \brunning\ on\ https?:// | \bserver\ (?:is\ )?(?:started|up|ready|running)\b
        | \bstart(?:ed|up)\b[^\n]{0,100}?\bin\ \[?\d | \bstartup\ complete | \bis\ ready\b | \bstarted\ @\d
        | \bapplication\ (?:started|ready)\b | \bready\ to\ serve\b",
    )
    .expect("valid regex")
});

/// Whether a line says the process has finished starting (listening, ready, started in …).
#[must_use]
pub fn says_ready(text: &str) -> bool {
    READY.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LogFile;

    fn log(text: &str) -> LogFile {
        LogFile {
            source: "namespaces/shop/logs/api/app-previous.log".to_owned(),
            text: text.as_bytes().to_vec(),
            total_bytes: text.len() as u64,
            ..LogFile::default()
        }
    }

    #[test]
    fn reads_the_clocks_applications_print() {
        let cases = [
            ("2026-12-07T10:13:41.500Z INFO starting", 41.5, true),
            (
                "2026-12-07 10:13:41,250 INFO  [main] o.a.c.Server - starting",
                41.25,
                true,
            ),
            (
                "2026/12/07 10:13:41 [notice] 1#1: start worker processes",
                41.0,
                true,
            ),
            (
                "I1207 10:13:41.123456       1 main.go:42] Starting controller",
                41.123_456,
                true,
            ),
            (
                "10:13:41 [INFO] sentry.taskworker.client: start",
                41.0,
                false,
            ),
            ("[10:13:41] INFO: booting", 41.0, false),
            (
                "07-Dec-2026 10:13:41.000 INFO [main] org.apache.catalina.startup.Catalina.start",
                41.0,
                true,
            ),
            (
                r#"{"level":"info","ts":"2026-12-07T10:13:41.5Z","msg":"starting"}"#,
                41.5,
                true,
            ),
            (
                r#"time="2026-12-07T10:13:41Z" level=info msg="starting""#,
                41.0,
                true,
            ),
        ];
        for (line, seconds, dated) in cases {
            let c = own_clock(line).unwrap_or_else(|| panic!("no clock in {line:?}"));
            assert_eq!(c.dated, dated, "{line}");
            assert!(
                ((c.secs % 60.0) - seconds).abs() < 1e-6,
                "{line}: {}",
                c.secs
            );
        }
        let epoch = own_clock(r#"{"level":"info","ts":1765102421.25,"msg":"starting"}"#).unwrap();
        assert!((epoch.secs - 1_765_102_421.25).abs() < 1e-6);
        for line in [
            "Error: timed out after 00:00:30 waiting for the lock held by another process",
            "panic: runtime error: index out of range",
            "",
        ] {
            assert_eq!(own_clock(line), None, "{line}");
        }
    }

    #[test]
    fn span_runs_from_the_first_to_the_last_timestamped_line() {
        let l = log("10:13:41 [INFO] start\n  at some.Frame\n10:14:20 [INFO] shutdown.start\n");
        let s = span(&l.lines()).expect("span");
        assert_eq!((s.first, s.last), (1, 3));
        assert!((s.secs - 39.0).abs() < 1e-9);
        let midnight = log("23:59:50 booting\n00:00:40 still booting\n");
        assert!((span(&midnight.lines()).expect("span").secs - 50.0).abs() < 1e-9);
        assert_eq!(
            span(&log("no clock here\n10:00:00 one line\n").lines()),
            None
        );
    }

    #[test]
    fn finds_the_ports_a_server_says_it_listens_on() {
        let l = log(concat!(
            "2026-12-07 10:13:41.100  INFO 1 --- [main] o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port(s): 8080 (http) with context path ''\n",
            "info: Microsoft.Hosting.Lifetime[14] Now listening on: http://[::]:80\n",
            "[2026-12-07 10:13:42 +0000] [1] [INFO] Listening at: http://127.0.0.1:8000 (1)\n",
            "level=info ts=2026-12-07T10:13:43Z msg=\"Listening on\" address=:9090\n",
            "10:13:44 connecting to db at postgres.shop.svc:5432\n",
        ));
        let ports: Vec<(u16, bool)> = listening(&l.lines())
            .iter()
            .map(|l| (l.port, l.loopback))
            .collect();
        assert_eq!(
            ports,
            [(8080, false), (80, false), (8000, true), (9090, false)]
        );
    }

    /// Servers of other kinds, in their own words: databases and brokers that are "ready for"
    /// or "waiting for" connections, a Jetty connector, a bare port after "listening on",
    /// Flask's and Kestrel's defaults on the loopback address.
    #[test]
    fn finds_the_ports_servers_of_every_kind_name() {
        let l = log(concat!(
            "2026-12-07T10:13:41.100Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.35'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.\n",
            "{\"t\":{\"$date\":\"2026-12-07T10:13:42.100+00:00\"},\"s\":\"I\",  \"c\":\"NETWORK\",  \"id\":23016,   \"ctx\":\"listener\",\"msg\":\"Waiting for connections\",\"attr\":{\"port\":27017,\"ssl\":\"off\"}}\n",
            "[2026-12-07 10:13:43,100] INFO Awaiting socket connections on 0.0.0.0:9092. (kafka.network.DataPlaneAcceptor)\n",
            "2026-12-07 10:13:44.100:INFO:oejs.AbstractConnector:main: Started ServerConnector@5a2e4553{HTTP/1.1, (http/1.1)}{0.0.0.0:8983}\n",
            "Dec 07, 2026 10:13:45 AM io.grpc.examples.App start INFO: Server started, listening on 50051\n",
            " * Running on http://127.0.0.1:5000\n",
            "info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5000\n",
            "10:13:46 connecting to db at postgres.shop.svc:5432 (retrying, waiting for the database)\n",
        ));
        let ports: Vec<(u16, bool)> = listening(&l.lines())
            .iter()
            .map(|l| (l.port, l.loopback))
            .collect();
        assert_eq!(
            ports,
            [
                (3306, false),
                (27017, false),
                (9092, false),
                (8983, false),
                (50051, false),
                (5000, true),
            ]
        );
    }

    #[test]
    fn reads_the_start_up_time_a_framework_reports() {
        for (line, secs) in [
            (
                "2026-12-07 10:15:16.100  INFO 1 --- [main] com.shop.Api : Started Api in 95.342 seconds (process running for 97.1)",
                95.342,
            ),
            (
                "2026-12-07 10:15:16,100 INFO  [io.quarkus] (main) keycloak 24.0.1 on JVM (powered by Quarkus 3.8.1) started in 45.612s.",
                45.612,
            ),
            (
                "07-Dec-2026 10:15:16.100 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [12345] milliseconds",
                12.345,
            ),
            (
                "2026-12-07 10:15:16.100:INFO:oejs.Server:main: Started @8712ms",
                8.712,
            ),
        ] {
            let (_, _, got) =
                reported_startup(&log(line).lines()).unwrap_or_else(|| panic!("{line}"));
            assert!((got - secs).abs() < 1e-9, "{line}: {got}");
            assert!(says_ready(line), "{line}");
        }
        assert!(
            reported_startup(&log("10:13:41 starting migrations in 3 steps\n").lines()).is_none()
        );
        assert!(!says_ready(
            "10:13:41 [INFO] taskworker.spawn_child (pid=19)"
        ));
        assert!(says_ready(
            "2026-12-07 10:13:41 Ready to accept connections tcp"
        ));
    }
}
