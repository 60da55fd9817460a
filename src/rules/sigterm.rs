//! `sigterm`: the container ends with exit code 143, terminated by SIGTERM.

use super::{Evidence, Finding, POSSIBLE, RuleContext, Signature, best_hit};
use crate::model::Event;
use crate::model::time::{human_duration, parse_go_duration};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container that ends with exit code 143 (128 + SIGTERM): something asked it to stop. The
    /// finding names the sender when the bundle shows it: the kubelet (`Killing` events: a changed
    /// container definition, a stop), a `timeout` wrapper in the command, a supervisor in the image.
    ///
    /// ## Why it crash-loops
    /// The sender acts again on every instance: a wrapper with a fixed time limit, a supervisor that
    /// stops the process when a child fails, a controller that keeps changing the pod.
    ///
    /// ## Evidence
    /// - a `Killing` event "Container X definition changed, will be restarted" (strong)
    /// - `timeout` as the command, with a run time that matches its duration (strong)
    /// - a log line saying the process received SIGTERM (likely)
    /// - exit code 143 alone (possible: low to moderate confidence)
    /// - a `Killing` event for a failed liveness or startup probe or postStart hook: that is the cause (weak here)
    ///
    /// ## Remedy
    /// Fix what sends SIGTERM: the probe, the wrapper's time limit, the supervisor's configuration or
    /// the controller that rewrites the pod.
    ///
    /// ## Not covered
    /// Probe kills (`liveness-probe-kill`, `startup-probe-kill`), SIGKILL after the grace period (`sigkill-not-oom`).
    pub(crate) static SIGTERM = {
        cause: Sigterm, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

/// A process saying it was asked to stop: the signal named, a shutdown request, or a graceful
/// shutdown under way. They decide nothing alone; they tell a kill from outside (exit 143, a
/// probe) from a crash when they end a log. The kubelet sends the image's stop signal, so
/// nginx's SIGQUIT and Postgres's SIGINT count as well as SIGTERM.
///
/// Phrasings, by family: the signal received (Go, Node, Python, Java and Rust services,
/// gunicorn's `Handling signal: term`, Loki's `=== received SIGINT/SIGTERM ===`, Envoy's `caught
/// ENVOY_SIGTERM`, nginx, Redis, MongoDB's `got signal 15 (Terminated)`); the signal as a field
/// of a structured line (etcd and MongoDB JSON, logfmt `signal=terminated`, Grafana's `reason=
/// "System signal: terminated"`); a child killed by it as its supervisor reports (npm, yarn);
/// a server's own words for a requested stop (Postgres, MySQL, RabbitMQ, .NET, uvicorn, Vault,
/// Open Liberty); a graceful shutdown under way (Spring, Celery, Puma, Traefik).
const SIGNATURES: &[Signature] = &[
    Signature {
        id: "received-sigterm",
        pattern: r"(?i)(?:received|receiving|got|caught|handling|catching|trapped) (?:a |the )?(?:signal:? )?(?:SIGINT/|SIGINT or |ENVOY_)?(?P<target>SIGTERM|terminated|signal 15|term\b)|\(terminated by SIGTERM",
        example: "[2026-11-28 04:55:01 +0000] [1] [INFO] Handling signal: term",
        confidence: 0.6,
    },
    Signature {
        id: "sigterm-received",
        pattern: r"(?i)\b(?P<target>SIGTERM|signal 15)\b[^\n]{0,40}?\breceived\b|\bRECEIVED SIGNAL 15\b|\bsignal 3 \(SIGQUIT\) received\b[^\n]{0,20}?\bshutting down|\bSIGTERM\b:? (?:shutting down|exiting|stopping|terminating)\b",
        example: "2026/12/07 10:14:20 [notice] 1#1: signal 15 (SIGTERM) received from 1, exiting",
        confidence: 0.6,
    },
    Signature {
        id: "signal-field",
        pattern: r#"(?i)\bsig(?:nal)?"?\s*[=:]\s*"?(?P<target>terminated|SIGTERM|15)\b"#,
        example: r#"{"level":"info","ts":"2026-12-07T10:14:20.512Z","caller":"osutil/interrupt_unix.go:64","msg":"received signal; shutting down","signal":"terminated"}"#,
        confidence: 0.6,
    },
    Signature {
        id: "child-killed-by-sigterm",
        pattern: r#"(?i)\bnpm (?:ERR!|error) signal (?P<target>SIGTERM)\b|\bCommand failed with signal "?SIGTERM|\b(?:exited|killed|terminated|stopped) (?:with|by|due to|on) signal:? "?(?:SIGTERM|15)\b"#,
        example: "npm ERR! signal SIGTERM",
        confidence: 0.55,
    },
    Signature {
        id: "shutdown-request",
        pattern: r"(?i)received (?P<target>fast|smart|immediate) shutdown request|Received SHUTDOWN from user|(?:exiting|terminating|shutting down|stopping)\b[^\n]{0,20}?\b(?:on|due to|after|because of) (?:signal\b|SIGTERM|SIGINT)|(?:received|got) (?:a |the )?(?:shutdown|termination|stop) signal|(?:shutdown|termination) signal received",
        example: "2026-12-07 10:14:20.512 UTC [1] LOG:  received fast shutdown request",
        confidence: 0.6,
    },
    // A server's own words for a stop it was asked for: .NET's host, uvicorn's lifespan,
    // MySQL 5, RabbitMQ, Vault, Open Liberty (the JVM exits on the signal).
    Signature {
        id: "server-stop-requested",
        pattern: r"(?i)\bApplication is shutting down\.\.\.|\bWaiting for application shutdown\b|\bApplication shutdown complete\b|\bmysqld(?:\.exe)?: Normal shutdown\b|\bis asked to stop\.\.\.|==> Vault shutdown triggered|\bis stopping because the JVM is exiting\b",
        example: r#"{"EventId":0,"LogLevel":"Information","Category":"Microsoft.Hosting.Lifetime","Message":"Application is shutting down...","State":{"Message":"Application is shutting down...","{OriginalFormat}":"Application is shutting down..."}}"#,
        confidence: 0.55,
    },
    Signature {
        id: "graceful-shutdown",
        pattern: r"(?i)commencing graceful shutdown|gracefully (?:shutting down|stopping)|(?:shutting down|stopping|exiting|terminating)\b[^\n]{0,30}?\bgracefully\b|\bWarm shutdown \(MainProcess\)",
        example: "2026-12-07T10:14:20.101Z  INFO 1 --- [ionShutdownHook] o.s.b.w.e.tomcat.GracefulShutdown        : Commencing graceful shutdown. Waiting for active requests to complete",
        confidence: 0.5,
    },
];

/// Who sent the SIGTERM, as far as the bundle shows.
enum Sender<'a> {
    Probe(&'a Event),
    Kubelet(&'a Event),
    Timeout { word: String, secs: Option<f64> },
    Logged,
    Unknown,
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(last) = s.last_termination() else {
            continue;
        };
        if last.exit_code != Some(143) && last.signal != Some(15) {
            continue;
        }
        let sender = sender_of(s);
        let confidence = match &sender {
            Sender::Probe(_) => 0.4,
            Sender::Kubelet(_) => 0.85,
            Sender::Timeout { secs, .. } => {
                let matches = secs
                    .zip(s.runtime_secs())
                    .is_some_and(|(t, r)| (r - t).abs() <= 5.0 + t * 0.05);
                if matches { 0.88 } else { 0.75 }
            }
            Sender::Logged => 0.65,
            // Exit 143 by itself says SIGTERM; slightly above the generic non-zero fallback.
            Sender::Unknown => POSSIBLE + 0.08,
        };
        out.push(finding(s, confidence, &sender));
    }
}

fn sender_of<'a>(s: &Subject<'a>) -> Sender<'a> {
    let kills: Vec<&Event> = s.iter_events("Killing").collect();
    if let Some(e) = kills
        .iter()
        .find(|e| e.killed_for_probe().is_some() || e.text().contains("PostStartHook"))
    {
        return Sender::Probe(e);
    }
    if let Some(e) = kills.last() {
        return Sender::Kubelet(e);
    }
    let words: Vec<&str> = s
        .spec
        .command
        .iter()
        .chain(&s.spec.args)
        .flat_map(|a| a.split_whitespace())
        .collect();
    if let Some(i) = words
        .iter()
        .position(|w| *w == "timeout" || w.ends_with("/timeout"))
    {
        let duration = words[i + 1..]
            .iter()
            .find(|w| !w.starts_with('-') && w.chars().next().is_some_and(|c| c.is_ascii_digit()));
        let secs = duration.and_then(|d| duration_secs(d));
        let word = duration.map_or_else(|| "timeout".to_owned(), |d| format!("timeout {d}"));
        return Sender::Timeout { word, secs };
    }
    if best_hit(s, SIGTERM.cause).is_some() {
        return Sender::Logged;
    }
    Sender::Unknown
}

/// Seconds of a `timeout` duration: `300`, `5m`, `1.5h`, `2d`.
fn duration_secs(d: &str) -> Option<f64> {
    let (n, unit) = match d.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&d[..i], &d[i..]),
        None => (d, "s"),
    };
    let n: f64 = n.parse().ok()?;
    match unit {
        "s" => Some(n),
        "m" => Some(n * 60.0),
        "h" => Some(n * 3600.0),
        "d" => Some(n * 86400.0),
        other => parse_go_duration(&format!("{n}{other}")),
    }
}

fn finding(s: &Subject<'_>, confidence: f64, sender: &Sender<'_>) -> Finding {
    let name = s.name();
    let ran = s
        .runtime_secs()
        .map(|r| format!(" after {}", human_duration(r)))
        .unwrap_or_default();
    let title = match sender {
        Sender::Probe(_) => format!(
            "container `{name}` is terminated by SIGTERM (exit 143){ran} after the kubelet's probe or hook kill"
        ),
        Sender::Kubelet(e) => format!(
            "container `{name}` is terminated by the kubelet (exit 143){ran}: {}",
            e.text()
        ),
        Sender::Timeout { word, .. } => format!(
            "container `{name}` is terminated by SIGTERM (exit 143){ran}: its command runs under `{word}`"
        ),
        Sender::Logged => format!(
            "container `{name}` is terminated by SIGTERM (exit 143){ran}; the log shows the signal arriving"
        ),
        Sender::Unknown => format!(
            "container `{name}` is terminated by SIGTERM (exit 143){ran}; the bundle does not show who sent it"
        ),
    };
    let mut f = Finding::new(&SIGTERM, s, confidence).title(title);
    f = f.termination(s);
    match sender {
        Sender::Probe(e) | Sender::Kubelet(e) => f = f.evidence(Evidence::event(e)),
        Sender::Timeout { word, .. } => {
            if let Some(cmd) = s.command_line() {
                f = f.evidence(Evidence::spec(s, "command", cmd));
            }
            f = f.remedy(format!(
                "`{word}` sends SIGTERM when its time is up, which under `restartPolicy: Always` restarts `{name}` each time: remove the wrapper for a long-running server, or run the bounded work as a Job"
            ));
        }
        Sender::Logged | Sender::Unknown => {}
    }
    if let Some(h) = best_hit(s, SIGTERM.cause) {
        f = f.evidence(Evidence::log_hit(s, h));
    }
    f = f.waiting(s);
    f = match sender {
        Sender::Probe(_) => f
            .remedy("fix the probe or hook that makes the kubelet stop the container (see that finding); SIGTERM is only how the kubelet stops it")
            .note("the probe or hook failure is the cause of the restarts"),
        Sender::Kubelet(_) => f.remedy(format!(
            "find what changes the pod spec of `{name}` in place (a controller or a script patching the pod) and stop it"
        )),
        Sender::Timeout { .. } => f,
        Sender::Logged | Sender::Unknown => f
            .remedy(format!(
                "find the sender: a supervisor or init process in the image (supervisord, s6, a wrapper script) that stops `{name}`, or the app stopping itself on a config change"
            ))
            .remedy("read the previous log's last lines for a shutdown reason"),
    };
    if matches!(sender, Sender::Logged | Sender::Unknown)
        && (s.spec.liveness_probe.is_some() || s.spec.startup_probe.is_some())
    {
        f = f.note(format!(
            "`{name}` has a liveness or startup probe: the kubelet may have sent the SIGTERM after a probe failure whose `Killing` event has expired (events last about an hour)"
        ));
    }
    let ns = &s.pod.metadata.namespace;
    let pod = &s.pod.metadata.name;
    f.command(format!(
        "kubectl -n {ns} describe pod {pod} | sed -n '/Events/,$p'"
    ))
}

#[cfg(test)]
mod tests {
    use super::duration_secs;

    /// Shutdowns on request as programs of many kinds log them, and lines that look alike but
    /// are not one (a handler being installed, a configured timeout, another signal, a stop
    /// after a failure).
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "2020/10/16 19:50:54 received SIGTERM, waiting 15s before shutting down",
            "[2021-01-04 22:32:57 +0000] [31] [INFO] Handling signal: term",
            r#"level=info ts=2023-08-24T09:12:44.081Z caller=main.go:1098 msg="=== received SIGINT/SIGTERM ===\n*** exiting""#,
            "[2026-12-07 10:14:20.512][1][warning][main] [source/server/server.cc:842] caught ENVOY_SIGTERM",
            "2026/12/07 10:14:20 [notice] 1#1: signal 3 (SIGQUIT) received from 1, shutting down",
            "1:signal-handler (1701943460) Received SIGTERM scheduling shutdown...",
            "2026-12-07T10:14:20.512+0000 I CONTROL  [signalProcessingThread] got signal 15 (Terminated), will terminate after current cmd ends",
            r#"{"t":{"$date":"2026-12-07T10:14:20.512+00:00"},"s":"I",  "c":"CONTROL",  "id":23377,   "ctx":"SignalHandler","msg":"Received signal","attr":{"signal":15,"error":"Terminated"}}"#,
            r#"logger=server t=2026-12-07T10:14:20.51+00:00 level=info msg="Shutdown started" reason="System signal: terminated""#,
            "2026-12-07T10:14:20.512Z [INFO]  agent: Caught: signal=terminated",
            "[INFO] SIGTERM: Shutting down servers then terminating",
            "npm ERR! signal SIGTERM",
            "npm error signal SIGTERM",
            r#"error Command failed with signal "SIGTERM"."#,
            "INFO:     Waiting for application shutdown.",
            "INFO:     Application shutdown complete.",
            "2026-12-07T10:14:20.512345Z 0 [Note] mysqld: Normal shutdown",
            "2026-12-07 10:14:20.512 [info] <0.1.0> RabbitMQ is asked to stop...",
            "==> Vault shutdown triggered",
            "[12/7/26, 10:14:20:512 UTC] 0000001b com.ibm.ws.kernel.launch.internal.FrameworkManager           A CWWKE0085I: The server defaultServer is stopping because the JVM is exiting.",
            r#"time="2026-12-07T10:14:20Z" level=info msg="Stopping server gracefully""#,
            "[1] - Gracefully stopping, waiting for requests to finish",
            "[2026-12-07 10:14:20,512] INFO Terminating process due to signal SIGTERM (org.apache.kafka.common.utils.LoggingSignalHandler)",
            "[2026-12-07T10:14:20.512+0000] {scheduler_job_runner.py:253} INFO - Exiting gracefully upon receiving signal 15",
        ] {
            assert!(causes(line).contains(&"sigterm"), "{line}");
        }
        for line in [
            "INFO SignalUtils: Registered signal handler for TERM",
            "2026-12-07T10:14:20.512Z INFO  installing SIGTERM handler",
            r#"level=info msg="graceful shutdown timeout set" graceful_shutdown_timeout=30s"#,
            "server.shutdown=graceful",
            "2026-12-07T10:14:20Z Received SIGHUP, reloading configuration",
            "npm ERR! signal SIGKILL",
            "[2026-12-07T10:14:20,073][INFO ][o.e.n.Node               ] [es-0] stopping ...",
            "[2026-12-07 10:14:20 +0000] [1] [INFO] Shutting down: Master",
            "sigterm_timeout: 15s",
        ] {
            assert!(!causes(line).contains(&"sigterm"), "{line}");
        }
    }

    #[test]
    fn timeout_durations() {
        assert_eq!(duration_secs("300"), Some(300.0));
        assert_eq!(duration_secs("5m"), Some(300.0));
        assert_eq!(duration_secs("1.5h"), Some(5400.0));
    }
}
