//! Probe reasoning shared by `liveness-probe-kill` and `startup-probe-kill`: how sure the bundle
//! makes a probe kill, and why the probe fails when the bundle shows it (a port the log says
//! nothing listens on, a server bound to the loopback address, a start-up longer than the
//! probe's budget as the log's own timestamps or the program's start-up report show).

use std::sync::LazyLock;

use regex::Regex;

use super::{CERTAIN, Evidence, Finding, LIKELY, POSSIBLE};
use crate::cause::Cause;
use crate::model::event::ProbeKind;
use crate::model::logread::{self, Listening, Span};
use crate::model::pod::Probe;
use crate::model::time::human_duration;
use crate::model::{Event, LogFile, LogLine};
use crate::subjects::Subject;

/// How a probe's kill of the last instance shows in the bundle.
pub(super) struct ProbeKill<'a> {
    /// `Killing` events naming this probe.
    pub(super) kills: Vec<&'a Event>,
    /// `Unhealthy` events of this probe.
    pub(super) unhealthy: Vec<&'a Event>,
    /// The probe's settings, when the bundle holds the spec.
    pub(super) probe: Option<&'a Probe>,
    /// How long the last instance ran: its status's start and finish, else at least the span of
    /// its log's timestamps.
    pub(super) ran: Option<Ran>,
    /// The span of the log's own timestamps.
    pub(super) span: Option<Span>,
    /// Whether that run time is what the probe's budget allows before it kills.
    pub(super) runtime_matches: bool,
    /// Whether the instance ended (by its status) in less than half the probe's budget: too
    /// soon for this probe to have killed it.
    pub(super) too_short: bool,
    /// Why the probe fails, when the bundle shows it.
    pub(super) why: Option<Why>,
}

/// A run time and where it was read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ran {
    pub(super) secs: f64,
    /// From the log's timestamps (a lower bound), not the status.
    pub(super) from_log: bool,
}

/// Why a probe fails.
#[derive(Debug, Clone)]
pub(super) enum Why {
    /// The probe checks a port the log says the program does not listen on.
    WrongPort {
        probed: u16,
        listening: Vec<Listening>,
    },
    /// The program listens on the probed port on the loopback address only.
    Loopback(Listening),
    /// The program reports a start-up longer than the probe allows.
    ReportedStart {
        line: u64,
        text: String,
        secs: f64,
        budget: i64,
    },
    /// The log's timestamps run to about the probe's budget with no line saying it is ready.
    StillStarting { span: Span, budget: i64 },
    /// The program logs a request to the probe's own path failing (`401`, `not found`,
    /// `Authentication failed for /version`): the probe gets the same answer.
    EndpointFails {
        path: String,
        line: u64,
        text: String,
    },
}

impl Why {
    /// Whether the probe cannot succeed whatever the timing (a configuration mismatch).
    pub(super) fn is_mismatch(&self) -> bool {
        matches!(
            self,
            Why::WrongPort { .. } | Why::Loopback(_) | Why::EndpointFails { .. }
        )
    }

    /// A short clause for the finding's title.
    pub(super) fn clause(&self) -> String {
        match self {
            Why::WrongPort { probed, listening } => format!(
                "it probes port {probed}, but the log says it listens on {}",
                ports(listening)
            ),
            Why::Loopback(l) => format!(
                "it listens on port {} of the loopback address only, which the kubelet cannot reach",
                l.port
            ),
            Why::ReportedStart { secs, budget, .. } => format!(
                "start-up takes {}, the probe allows ~{budget}s",
                human_duration(*secs)
            ),
            Why::StillStarting { span, budget } => format!(
                "its log runs {} with no line saying it is ready, the probe allows ~{budget}s",
                human_duration(span.secs)
            ),
            Why::EndpointFails { path, .. } => {
                format!("its log shows requests to the probed path `{path}` failing")
            }
        }
    }
}

fn ports(listening: &[Listening]) -> String {
    let list: Vec<String> = listening.iter().map(|l| l.port.to_string()).collect();
    list.join(", ")
}

impl<'a> ProbeKill<'a> {
    /// Reads the kill of `s` by its probe of kind `kind` (liveness or startup).
    pub(super) fn read(s: &Subject<'a>, kind: ProbeKind, probe: Option<&'a Probe>) -> Self {
        let kills: Vec<&Event> = s
            .iter_events("Killing")
            .filter(|e| e.killed_for_probe() == Some(kind))
            .collect();
        let unhealthy: Vec<&Event> = s
            .iter_events("Unhealthy")
            .filter(|e| e.failed_probe() == Some(kind))
            .collect();
        // The log's lines are decoded once for everything read from them.
        let lines = s.log.map(LogFile::lines).unwrap_or_default();
        let span = logread::span(&lines);
        let ran = s
            .runtime_secs()
            .map(|secs| Ran {
                secs,
                from_log: false,
            })
            .or_else(|| {
                span.as_ref().map(|span| Ran {
                    secs: span.secs,
                    from_log: true,
                })
            });
        let budget = probe.map(Probe::budget_secs);
        #[allow(clippy::cast_precision_loss)]
        let too_short = budget
            .zip(ran)
            .is_some_and(|(b, ran)| !ran.from_log && ran.secs < b as f64 * 0.5);
        // A log's span misses the time before its first line.
        let runtime_matches = budget.zip(ran).is_some_and(|(b, ran)| {
            fits_budget(s, ran.secs, b, if ran.from_log { 0.6 } else { 0.8 })
        });
        let why = why_it_fails(s, probe, &unhealthy, &lines, span.as_ref());
        ProbeKill {
            kills,
            unhealthy,
            probe,
            ran,
            span,
            runtime_matches,
            too_short,
            why,
        }
    }

    /// How sure the bundle makes the kill: certain with the kubelet's `Killing` event; with
    /// `Unhealthy` events, likely when the container ended the way a kill ends it (SIGTERM,
    /// SIGKILL, a clean exit, or no termination in the bundle), more so when its run time
    /// matches the probe's budget or the bundle shows why the probe fails. After an exit code of
    /// its own, only when the log ends in a requested shutdown or the probe cannot succeed
    /// (else the failing probe is a symptom). `None` without probe events, or when the instance
    /// ended too soon for the probe to have killed it.
    pub(super) fn confidence(&self, s: &Subject<'_>) -> Option<f64> {
        if !self.kills.is_empty() {
            return Some(CERTAIN);
        }
        if self.unhealthy.is_empty() || self.too_short {
            return None;
        }
        let explained = self.runtime_matches || self.why.is_some();
        match s.exit_code() {
            Some(137 | 143 | 0) | None if explained => Some(0.8),
            Some(137 | 143 | 0) | None => Some(LIKELY),
            Some(_) if stopped_on_request(s).is_some() => Some(LIKELY),
            Some(_) if self.why.as_ref().is_some_and(Why::is_mismatch) => Some(POSSIBLE),
            // Many programs exit with a code of their own when stopped (a wrapper such as `npm
            // start`, a shutdown hook that calls `exit(1)`): a run that ends where the probe
            // kills, with no error at its end, is the probe's kill.
            Some(_) if self.runtime_matches && !erred_at_end(s) => Some(POSSIBLE + 0.1),
            Some(_) => None,
        }
    }

    /// Adds the evidence: the last `Killing` and `Unhealthy` events, the termination, the
    /// probe's settings (`field` is `livenessProbe` or `startupProbe`), and the lines showing
    /// why the probe fails.
    pub(super) fn evidence(&self, mut f: Finding, s: &Subject<'_>, field: &str) -> Finding {
        for e in self.kills.last().into_iter().chain(self.unhealthy.last()) {
            f = f.evidence(Evidence::event(e));
        }
        f = f.termination(s);
        if let Some(p) = self.probe {
            f = f.evidence(Evidence::spec(s, field, p.settings()));
        }
        let Some(log) = s.log else { return f };
        match &self.why {
            Some(Why::WrongPort { listening, .. }) => {
                for l in listening.iter().take(2) {
                    f = f.evidence(Evidence::log_line(log, l.line, &l.text));
                }
            }
            Some(Why::Loopback(l)) => f = f.evidence(Evidence::log_line(log, l.line, &l.text)),
            Some(Why::ReportedStart { line, text, .. } | Why::EndpointFails { line, text, .. }) => {
                f = f.evidence(Evidence::log_line(log, *line, text));
            }
            Some(Why::StillStarting { span, .. }) => {
                f = f
                    .evidence(Evidence::log_line(log, span.last, &span.last_text))
                    .note(format!(
                        "the log's timestamps run {} from line {} to line {}, and no line says the program is ready (listening, started in …)",
                        human_duration(span.secs),
                        span.first,
                        span.last
                    ));
            }
            None => {
                if let Some(ran) = self.ran.filter(|r| r.from_log && self.runtime_matches)
                    && let Some(span) = &self.span
                {
                    f = f
                        .note(format!(
                            "the status does not show how long the instance ran; its log's timestamps span {}",
                            human_duration(ran.secs)
                        ))
                        .evidence(Evidence::log_line(log, span.last, &span.last_text));
                }
            }
        }
        f
    }

    /// What the probe's own output says about why it fails (its last `Unhealthy` event).
    pub(super) fn output(&self) -> Option<Output> {
        self.unhealthy.last().and_then(|e| Output::read(e.text()))
    }

    /// The remedy for why the probe fails, when the bundle shows it.
    pub(super) fn remedy(&self, name: &str) -> Option<String> {
        Some(match self.why.as_ref()? {
            Why::WrongPort { probed, listening } => format!(
                "point the probe of `{name}` at the port it serves (the log says {}; the probe checks {probed}), or make it serve the health endpoint on {probed}",
                ports(listening)
            ),
            Why::Loopback(l) => format!(
                "make `{name}` listen on 0.0.0.0:{} (or the pod IP), not the loopback address: the kubelet probes the pod's IP",
                l.port
            ),
            Why::EndpointFails { path, .. } => format!(
                "point the probe of `{name}` at a path that answers 200 without a session or credentials (a health endpoint), or serve `{path}` to the kubelet unauthenticated"
            ),
            Why::ReportedStart { .. } | Why::StillStarting { .. } => return None,
        })
    }
}

/// What a probe's own output (the message of its last `Unhealthy` event) says about why it
/// fails, in the words the kubelet and the usual check commands use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Output {
    /// No answer within `timeoutSeconds`: "context deadline exceeded (Client.Timeout exceeded
    /// while awaiting headers)", "request canceled", "i/o timeout", "command … timed out",
    /// grpc_health_probe's "failed to connect service … within 1s".
    Timeout,
    /// The probed path does not exist: "HTTP probe failed with statuscode: 404".
    NoSuchPath,
    /// The health path wants credentials: statuscode 401 or 403.
    Unauthorized(u16),
    /// The endpoint answers that it is unhealthy: a 5xx status, gRPC `NOT_SERVING`.
    ReportsUnhealthy(String),
    /// An HTTPS probe of a plain HTTP server: "server gave HTTP response to HTTPS client".
    HttpsToHttp,
    /// The probe's command is not in the image: "executable file not found in $PATH",
    /// "sh: 1: curl: not found", "bash: wget: command not found".
    CommandMissing(String),
}

impl Output {
    /// Reads the message of a probe's `Unhealthy` event.
    pub(super) fn read(message: &str) -> Option<Self> {
        let lower = message.to_ascii_lowercase();
        if let Some(c) = STATUS_CODE.captures(&lower) {
            let code: u16 = c[1].parse().ok()?;
            return match code {
                404 => Some(Output::NoSuchPath),
                401 | 403 => Some(Output::Unauthorized(code)),
                500..=599 => Some(Output::ReportsUnhealthy(format!("status {code}"))),
                _ => None,
            };
        }
        if lower.contains("not_serving") {
            return Some(Output::ReportsUnhealthy("NOT_SERVING".to_owned()));
        }
        if lower.contains("server gave http response to https client")
            || lower.contains("first record does not look like a tls handshake")
        {
            return Some(Output::HttpsToHttp);
        }
        if let Some(line) = message.lines().map(str::trim).find(|l| {
            l.contains("executable file not found")
                || l.ends_with(": not found")
                || l.ends_with("command not found")
        }) {
            return Some(Output::CommandMissing(line.to_owned()));
        }
        let timed_out = [
            "deadline exceeded",
            "client.timeout exceeded",
            "request canceled",
            "i/o timeout",
            "timed out",
            "failed to connect service",
        ]
        .iter()
        .any(|w| lower.contains(w));
        timed_out.then_some(Output::Timeout)
    }

    /// The remedy for `name`'s probe (`field`: `livenessProbe` or `startupProbe`).
    pub(super) fn remedy(&self, name: &str, field: &str, probe: Option<&Probe>) -> String {
        let handler = probe
            .map(|p| format!(" ({})", p.describe()))
            .unwrap_or_default();
        match self {
            Output::Timeout => format!(
                "`{name}` does not answer its {field}{handler} within `timeoutSeconds`{}: make the check cheap (no dependency calls, no blocking work on the thread that serves it) or raise `{field}.timeoutSeconds`",
                probe
                    .map(|p| format!(" ({}s)", p.timeout_seconds.unwrap_or(1)))
                    .unwrap_or_default()
            ),
            Output::NoSuchPath => format!(
                "the path {field} checks{handler} does not exist in `{name}` (404): point `{field}.httpGet.path` at the health endpoint the program serves"
            ),
            Output::Unauthorized(code) => format!(
                "the path {field} checks{handler} wants credentials ({code}), which the kubelet never sends: probe an endpoint that needs none"
            ),
            Output::ReportsUnhealthy(what) => format!(
                "`{name}` answers its {field}{handler} with {what}: it reports itself unhealthy, often because a dependency its check calls is down; read its log, and keep dependency checks out of liveness"
            ),
            Output::HttpsToHttp => format!(
                "{field}{handler} speaks HTTPS to a plain HTTP server: set `{field}.httpGet.scheme: HTTP` (or serve TLS on that port)"
            ),
            Output::CommandMissing(line) => format!(
                "the {field} command cannot run in `{name}`'s image (`{line}`): use a program the image has, or an `httpGet`/`tcpSocket` probe"
            ),
        }
    }
}

/// `statuscode: 404` in the kubelet's HTTP probe message (lowercased).
static STATUS_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"statuscode: (\d{3})\b").expect("valid regex"));

/// How the last instance was stopped from outside, when the bundle shows it was: exit code 143
/// (SIGTERM), or a log that ends in a shutdown on request with no error after it (after an exit
/// code of the program's own, only a shutdown that names the signal it received).
pub(super) fn stopped_from_outside(s: &Subject<'_>) -> Option<&'static str> {
    if s.exit_code() == Some(143) {
        return Some("it ended with exit code 143 (SIGTERM)");
    }
    if !matches!(s.exit_code(), None | Some(0)) {
        let named = s.log_hits.iter().any(|h| {
            h.cause == Cause::Sigterm && h.from_end < 20 && NAMES_SIGNAL.contains(&h.signature.id)
        });
        return stopped_on_request(s)
            .filter(|_| named)
            .map(|_| "its log ends in the signal it received, with no error after it");
    }
    stopped_on_request(s)
}

/// The shutdown signatures (`sigterm`'s) that name the signal received, not only a shutdown.
const NAMES_SIGNAL: &[&str] = &[
    "received-sigterm",
    "sigterm-received",
    "signal-field",
    "child-killed-by-sigterm",
];

/// Whether any signature other than a shutdown's matched in the last 20 lines of the log.
fn erred_at_end(s: &Subject<'_>) -> bool {
    s.log_hits
        .iter()
        .any(|h| h.cause != Cause::Sigterm && h.from_end < 20)
}

/// A log whose last lines hold a shutdown on request (within its last 20 lines), with no
/// other signature's hit on or after that line.
pub(super) fn stopped_on_request(s: &Subject<'_>) -> Option<&'static str> {
    let is_shutdown = |h: &&crate::logscan::LogHit| h.cause == Cause::Sigterm;
    let shutdown = s
        .log_hits
        .iter()
        .filter(is_shutdown)
        .map(|h| h.from_end)
        .min()?;
    let error_after = s
        .log_hits
        .iter()
        .any(|h| !is_shutdown(&h) && h.from_end <= shutdown);
    (shutdown < 20 && !error_after)
        .then_some("its log ends in a shutdown on request, with no error after it")
}

/// The port the probe checks: its spec's port (a named port looked up in the container's ports),
/// else the one its `Unhealthy` message dialed.
fn probed_port(s: &Subject<'_>, probe: Option<&Probe>, unhealthy: &[&Event]) -> Option<u16> {
    let from_spec = probe.and_then(|p| {
        let port = p
            .http_get
            .as_ref()
            .and_then(|h| h.port.as_deref())
            .or_else(|| p.tcp_socket.as_ref().and_then(|t| t.port.as_deref()))
            .or_else(|| p.grpc.as_ref().and_then(|t| t.port.as_deref()))?;
        port.parse::<u16>().ok().or_else(|| {
            let named = s
                .spec
                .ports
                .iter()
                .find(|cp| cp.name.as_deref() == Some(port))?;
            u16::try_from(named.container_port?).ok()
        })
    });
    from_spec.or_else(|| {
        unhealthy.iter().rev().find_map(|e| {
            let c = DIALED.captures(e.text())?;
            c.get(1)?.as_str().parse().ok()
        })
    })
}

/// The address a probe dialed, in the kubelet's message: `dial tcp 10.1.2.3:8080:` or
/// `Get "http://10.1.2.3:8080/healthz"`.
static DIALED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:dial tcp |https?://)(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d{2,5})\b")
        .expect("valid regex")
});

/// Whether a run of `secs` ends where a probe with `budget` kills: from `low` × the budget to
/// the budget plus the grace period and a margin.
fn fits_budget(s: &Subject<'_>, secs: f64, budget: i64, low: f64) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let b = budget as f64;
    #[allow(clippy::cast_precision_loss)]
    let grace = s.pod.spec.termination_grace_period_seconds.unwrap_or(30) as f64;
    secs >= b * low && secs <= b + grace + 15.0
}

/// Why the probe fails, when the bundle shows it (`lines` and `span`: the log's, read once).
fn why_it_fails(
    s: &Subject<'_>,
    probe: Option<&Probe>,
    unhealthy: &[&Event],
    lines: &[LogLine<'_>],
    span: Option<&Span>,
) -> Option<Why> {
    if let Some(probed) = probed_port(s, probe, unhealthy)
        && probe.is_none_or(|p| p.exec.is_none())
        && let listening = logread::listening(lines)
        && !listening.is_empty()
    {
        match listening.iter().find(|l| l.port == probed) {
            Some(l) if l.loopback => return Some(Why::Loopback(l.clone())),
            // A program may serve ports it does not log; a refused probe says this one is not
            // among them.
            None if unhealthy.is_empty() || unhealthy.iter().any(|e| refused(e)) => {
                return Some(Why::WrongPort { probed, listening });
            }
            _ => {}
        }
    }
    if let Some(why) = probe.and_then(|p| endpoint_fails(p, lines)) {
        return Some(why);
    }
    let budget = probe.map(Probe::budget_secs)?;
    #[allow(clippy::cast_precision_loss)]
    if let Some((line, text, secs)) = logread::reported_startup(lines)
        && secs >= budget as f64 * 0.8
    {
        return Some(Why::ReportedStart {
            line,
            text,
            secs,
            budget,
        });
    }
    let span = span?;
    let ready = lines.iter().any(|l| logread::says_ready(&l.text));
    // No error on the way: a program that failed is not "still starting".
    let erred = s
        .log_hits
        .iter()
        .any(|h| h.cause != Cause::Sigterm && h.from_end < 50);
    (!ready && !erred && fits_budget(s, span.secs, budget, 0.6)).then(|| Why::StillStarting {
        span: span.clone(),
        budget,
    })
}

/// A request that failed, in a server's access log or error line: an HTTP error status or the
/// words servers put beside a refused request.
static REQUEST_FAILED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:^|[\s"'=:(\[])(?:40[134]|50[0-4])(?:$|[\s"',;)\]}])|\bunauthori[sz]ed\b|\bforbidden\b|\bauthentication (?:failed|required)\b|\bnot authenticated\b|\bno session\b|\baccess denied\b|\bnot found\b|\binvalid (?:token|session|credentials)\b"#,
    )
    .expect("valid regex")
});

/// The last log line that shows a request to the HTTP probe's path failing. A path of `/`
/// alone names no endpoint, so it is never matched.
fn endpoint_fails(probe: &Probe, lines: &[LogLine<'_>]) -> Option<Why> {
    let path = probe.http_get.as_ref()?.path.as_deref()?;
    let path = path.split('?').next().unwrap_or(path);
    if path.len() < 2 || !path.starts_with('/') {
        return None;
    }
    lines.iter().rev().find_map(|l| {
        let text = l.text.as_ref();
        let names_path = text.match_indices(path).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + path.len()..].chars().next();
            before.is_none_or(|c| !c.is_alphanumeric() && c != '/' && c != '.')
                && after.is_none_or(|c| !c.is_alphanumeric() && c != '/' && c != '-' && c != '_')
        });
        (names_path && REQUEST_FAILED.is_match(text)).then(|| Why::EndpointFails {
            path: path.to_owned(),
            line: l.number,
            text: text.to_owned(),
        })
    })
}

fn refused(e: &Event) -> bool {
    let t = e.text();
    t.contains("connection refused") || t.contains("connect: connection reset")
}

#[cfg(test)]
mod tests {
    use super::Output;

    /// Probe messages as the kubelet reports them, and what each says about the probe.
    #[test]
    fn reads_why_a_probe_fails_from_its_output() {
        for (message, output) in [
            (
                "Liveness probe failed: HTTP probe failed with statuscode: 404",
                Some(Output::NoSuchPath),
            ),
            (
                "Liveness probe failed: HTTP probe failed with statuscode: 401",
                Some(Output::Unauthorized(401)),
            ),
            (
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
                Some(Output::ReportsUnhealthy("status 503".to_owned())),
            ),
            (
                r#"Liveness probe failed: Get "http://10.42.1.203:80/api/v2/app/version": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#,
                Some(Output::Timeout),
            ),
            (
                "Liveness probe failed: Get http://10.8.2.14:8080/healthz: net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
                Some(Output::Timeout),
            ),
            (
                r#"Liveness probe failed: command "node extra/healthcheck.js" timed out"#,
                Some(Output::Timeout),
            ),
            (
                r#"Liveness probe failed: timeout: failed to connect service ":50051" within 1s"#,
                Some(Output::Timeout),
            ),
            (
                r#"Liveness probe failed: service unhealthy (responded with "NOT_SERVING")"#,
                Some(Output::ReportsUnhealthy("NOT_SERVING".to_owned())),
            ),
            (
                r#"Liveness probe failed: Get "https://10.244.0.7:8080/health": http: server gave HTTP response to HTTPS client"#,
                Some(Output::HttpsToHttp),
            ),
            (
                r#"Liveness probe failed: OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in $PATH: unknown"#,
                Some(Output::CommandMissing(r#"Liveness probe failed: OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in $PATH: unknown"#.to_owned())),
            ),
            (
                "Liveness probe failed: sh: 1: wget: not found",
                Some(Output::CommandMissing(
                    "Liveness probe failed: sh: 1: wget: not found".to_owned(),
                )),
            ),
            // Neither a timeout nor a probe that cannot run: a refusal, an empty output, a
            // check of a file the program has not written yet.
            (
                r#"Liveness probe failed: Get "http://10.244.1.23:9000/healthz": dial tcp 10.244.1.23:9000: connect: connection refused"#,
                None,
            ),
            ("Liveness probe failed: ", None),
            (
                "Liveness probe failed: rm: cannot remove '/tmp/health.txt': No such file or directory",
                None,
            ),
            (
                "Liveness probe failed: HTTP probe failed with statuscode: 302",
                None,
            ),
        ] {
            assert_eq!(Output::read(message), output, "{message}");
        }
    }

    /// A server's own lines about requests to the probed path: failures say the probe fails
    /// too; successes, other paths, and a bare `/` say nothing.
    #[test]
    fn reads_the_probed_path_failing_in_the_log() {
        use std::borrow::Cow;

        use super::{Why, endpoint_fails};
        use crate::model::LogLine;
        use crate::model::pod::{HttpGet, Probe};

        let probe = |path: &str| Probe {
            http_get: Some(HttpGet {
                path: Some(path.to_owned()),
                port: Some("8080".to_owned()),
            }),
            ..Probe::default()
        };
        let lines = |text: &str| -> Vec<LogLine<'static>> {
            vec![LogLine {
                number: 7,
                time: None,
                text: Cow::Owned(text.to_owned()),
            }]
        };
        for (path, line) in [
            (
                "/version",
                "Authentication failed for /version: No session authentication",
            ),
            (
                "/healthz",
                r#"10.244.0.1 - - [08/Dec/2026:04:10:01 +0000] "GET /healthz HTTP/1.1" 404 19 "-" "kube-probe/1.29""#,
            ),
            (
                "/api/health?full=1",
                r#"{"level":"warn","msg":"request failed","path":"/api/health","status":401}"#,
            ),
            (
                "/ready",
                "WARN  GET /ready -> 503 Service Unavailable (db not connected)",
            ),
        ] {
            let why = endpoint_fails(&probe(path), &lines(line));
            assert!(
                matches!(why, Some(Why::EndpointFails { line: 7, .. })),
                "{path}: {line}"
            );
        }
        for (path, line) in [
            (
                "/healthz",
                r#"10.244.0.1 - - [08/Dec/2026:04:10:01 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29""#,
            ),
            // Another path that starts like the probed one.
            ("/health", "GET /health/details 404"),
            ("/health", "GET /api/v1/health 401"),
            // `/` names no endpoint.
            ("/", "GET / 404"),
            ("/version", "Starting server, version endpoint at /version"),
        ] {
            assert!(
                endpoint_fails(&probe(path), &lines(line)).is_none(),
                "{path}: {line}"
            );
        }
    }
}
