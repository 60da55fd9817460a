//! `no-foreground-process`: PID 1 finishes and exits 0 while the pod wants it running forever.

use super::probe::{ProbeKill, stopped_on_request};
use super::{CERTAIN, Evidence, Finding, POSSIBLE, RuleContext, STRONG, repository_of};
use crate::model::LogFile;
use crate::model::event::ProbeKind;
use crate::model::time::human_duration;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container whose main process exits successfully (exit code 0, `Completed`) under
    /// `restartPolicy: Always`: the image runs a one-shot command, or a server that daemonizes.
    ///
    /// ## Why it crash-loops
    /// With `restartPolicy: Always` (every Deployment, StatefulSet and DaemonSet) the kubelet
    /// restarts any exited container, even a successful one, and backs off between restarts.
    ///
    /// ## Evidence
    /// - `lastState.terminated` is `Completed` with exit code 0 and the pod's `restartPolicy` is `Always` (certain)
    /// - no `Killing` event for a failed liveness or startup probe (those also end in exit 0);
    ///   failing liveness or startup probes that had the time to kill, or a log ending in a
    ///   shutdown on request, leave it possible only
    /// - a short run time and a `command` such as `sh -c "…"` that ends, or a daemonizing server
    /// - no exit code in the bundle: a base OS or language image (`alpine`, `ubuntu`, `python`, …)
    ///   with no `command` and no error in its log (likely); a `command` that ends by itself
    ///   (`sleep 30s`, `echo …`, `sh -c` of only such steps; likely); a last log without any
    ///   error (possible)
    ///
    /// ## Remedy
    /// Run a long-lived process in the foreground as PID 1 (`exec` the server, `nginx -g 'daemon off;'`),
    /// or run one-shot work as a Job or an init container.
    ///
    /// ## Not covered
    /// A graceful exit 0 after a probe kill (`liveness-probe-kill`, `startup-probe-kill`), Job pods
    /// (`restartPolicy: OnFailure`), which complete normally.
    pub(crate) static NO_FOREGROUND_PROCESS = {
        cause: NoForegroundProcess, kind: CrashLoop, check: check, signatures: &[],
    };
}

/// Images whose default command is a shell, a REPL or a one-shot greeting: with no `command`
/// of the pod's own and no terminal attached they exit at once.
const ONE_SHOT_IMAGES: &[&str] = &[
    "alpine",
    "busybox",
    "ubuntu",
    "debian",
    "centos",
    "fedora",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "oraclelinux",
    "archlinux",
    "leap",
    "photon",
    "ubi",
    "ubi-minimal",
    "ubi-micro",
    "cuda",
    "python",
    "node",
    "ruby",
    "golang",
    "openjdk",
    "eclipse-temurin",
    "php",
    "perl",
    "r-base",
    "bash",
    "hello-world",
];

/// Words of a log line that say something went wrong, matched inside words too (`IOException`,
/// `panicked`, `ConnectionError`), which `app-error-exit`'s word-bounded `error-line` signature
/// does not see.
const TROUBLE: &[&str] = &[
    "error",
    "fail",
    "fatal",
    "exception",
    "panic",
    "denied",
    "refused",
    "cannot",
    "can't",
    "unable",
    "invalid",
    "not found",
    "no such",
    "warn",
    "traceback",
    "killed",
    "timeout",
    "timed out",
    "usage:",
    "already in use",
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(last) = s.last_termination() else {
            if let Some(f) = without_exit_code(s) {
                out.push(f);
            }
            continue;
        };
        if last.exit_code != Some(0) {
            continue;
        }
        let always = s.pod.restart_policy() == "Always"
            || s.spec.restart_policy.as_deref() == Some("Always");
        if !always {
            continue;
        }
        // A probe kill can end in a clean exit 0; leave those to the probe rules. So can any
        // stop on request: failing probes, or a log that ends in a requested shutdown.
        let probe_kill = s
            .iter_events("Killing")
            .any(|e| e.killed_for_probe().is_some() || e.text().contains("probe"));
        let asked_to_stop = stopped_on_request(s).is_some()
            || [
                (ProbeKind::Liveness, s.spec.liveness_probe.as_deref()),
                (ProbeKind::Startup, s.spec.startup_probe.as_deref()),
            ]
            .into_iter()
            .any(|(kind, probe)| {
                let kill = ProbeKill::read(s, kind, probe);
                !kill.unhealthy.is_empty() && !kill.too_short
            });
        let confidence = if probe_kill {
            0.3
        } else if asked_to_stop {
            POSSIBLE
        } else if last.reason.as_deref() == Some("Completed") {
            CERTAIN
        } else {
            STRONG
        };
        let name = s.name();
        let ran = last
            .runtime_secs()
            .map(|r| format!(" after {}", human_duration(r)))
            .unwrap_or_default();
        let mut f = Finding::new(&NO_FOREGROUND_PROCESS, s, confidence)
            .title(format!("container `{name}` exits 0{ran} but `restartPolicy: Always` restarts it: no long-running foreground process"));
        f = f.termination(s).waiting(s);
        if let Some(cmd) = s.command_line() {
            f = f.evidence(Evidence::spec(s, "command", cmd));
        }
        f = f.evidence(Evidence::spec(
            s,
            "spec.restartPolicy",
            s.pod.restart_policy(),
        ));
        if s.spec.liveness_probe.is_some() || s.spec.readiness_probe.is_some() {
            f = f.note("the probes fail because the process is gone, not the other way round");
        }
        if probe_kill {
            f = f.note("a probe `Killing` event exists: the clean exit may be a graceful shutdown after a probe kill");
        }
        out.push(
            f.remedy(format!("make `{name}` run a long-lived process in the foreground as PID 1 (for a shell wrapper, end it with `exec <server>`)"))
                .remedy("if the work is one-shot, run it as a Job, or as an init container before the app"),
        );
    }
}

/// The last part of an image's repository: `registry.access.redhat.com/ubi9/ubi-minimal:9.4`
/// -> `ubi-minimal`.
fn image_name(image: &str) -> &str {
    let repo = repository_of(image);
    repo.rsplit('/').next().unwrap_or(repo)
}

/// The loop when the bundle does not show how the last instance ended: a base OS or language
/// image run without a command of its own, or a last run whose log ends without any trouble.
fn without_exit_code(s: &Subject<'_>) -> Option<Finding> {
    if s.iter_events("Killing").next().is_some() || s.iter_events("Unhealthy").next().is_some() {
        return None;
    }
    let name = s.name();
    let lines = s.log.map(LogFile::lines).unwrap_or_default();
    let base = image_name(&s.spec.image);
    let quiet = s.log_hits.is_empty() && lines.iter().all(|l| !is_trouble(&l.text));
    if s.spec_shown()
        && s.command_line().is_none()
        && ONE_SHOT_IMAGES.contains(&base)
        && lines.len() <= 5
        && quiet
    {
        let title = format!(
            "container `{name}` runs the `{base}` image with no command: its default command ends at once, and `restartPolicy: Always` restarts it"
        );
        let f = from_spec(
            s,
            title,
            ("image", &s.spec.image),
            "the bundle does not show the last exit code; with no `command` or `args`, the image's own default (a shell or an interpreter) runs and exits without a terminal",
        );
        return Some(
            f.remedy(format!("give `{name}` a long-running `command` (the server to run), or use an image built to run one"))
                .remedy("for a debugging pod, `command: [sleep, infinity]` keeps it up"),
        );
    }
    if let Some(ends) = finite_command(&s.spec.command, &s.spec.args).filter(|_| quiet) {
        let cmd = s.command_line().unwrap_or_default();
        let title = format!(
            "container `{name}` runs `{cmd}`, which {ends}, and `restartPolicy: Always` restarts it"
        );
        let f = from_spec(
            s,
            title,
            ("command", &cmd),
            "the bundle does not show the last exit code; the command ends by itself, so each run exits (0) and the kubelet restarts it with a growing back-off",
        );
        return Some(
            f.remedy(format!("give `{name}` a long-running `command` (the server to run; for a debugging pod `sleep infinity`)"))
                .remedy("if the work is one-shot, run it as a Job, or as an init container before the app"),
        );
    }
    if lines.is_empty() || !quiet {
        return None;
    }
    let log = s.log?;
    let last_line = lines.last()?;
    let mut f = Finding::new(&NO_FOREGROUND_PROCESS, s, 0.5).title(format!(
        "container `{name}` ends its run without any error logged: it likely finishes and exits, and `restartPolicy: Always` restarts it"
    ));
    f = f.evidence(Evidence::log_line(log, last_line.number, &last_line.text));
    f = f.waiting(s);
    f = f.note("the bundle does not show the last exit code: an exit code 0 (`Completed`) would confirm this; a non-zero one would point at an error the program does not log");
    Some(
        f.remedy(format!("check the exit code (`kubectl describe pod`): if `{name}` exits 0, make it run a long-lived process in the foreground as PID 1"))
            .remedy("if the work is one-shot, run it as a Job, or as an init container before the app"),
    )
}

/// A likely finding on what the spec shows (`field`: `value`), when the bundle does not show
/// the exit code that would settle it.
fn from_spec(s: &Subject<'_>, title: String, (field, value): (&str, &str), note: &str) -> Finding {
    let mut f = Finding::new(&NO_FOREGROUND_PROCESS, s, 0.75)
        .title(title)
        .evidence(Evidence::spec(s, field, value));
    f = f.waiting(s);
    f.note(note)
}

/// Programs that do their one thing and exit.
const ONE_SHOT_PROGRAMS: &[&str] = &[
    "echo", "true", "date", "env", "printenv", "hostname", "whoami", "id", "pwd", "ls", "uname",
    "printf",
];

/// How a container's `command` and `args` end by themselves, if they visibly do: `sleep 30s`
/// (a finite sleep), a one-shot program such as `echo`, or `sh -c` of a script made only of
/// those. `sleep infinity`, a server, or anything unknown is not claimed.
fn finite_command(command: &[String], args: &[String]) -> Option<String> {
    let words: Vec<&str> = command.iter().chain(args).map(String::as_str).collect();
    let (first, rest) = words.split_first()?;
    let program = first.rsplit('/').next().unwrap_or(first);
    if matches!(program, "sh" | "bash" | "ash" | "dash") {
        let script = match rest {
            ["-c" | "-ec" | "-ce", script] => *script,
            _ => return None,
        };
        let steps: Vec<Vec<&str>> = script
            .split([';', '\n'])
            .flat_map(|p| p.split("&&"))
            .map(|p| p.split_whitespace().collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect();
        let all_end = !steps.is_empty()
            && steps.iter().all(|step| {
                let (p, a) = step.split_first().expect("non-empty");
                ends_by_itself(p, a).is_some()
            });
        return all_end.then(|| "ends when its script does".to_owned());
    }
    ends_by_itself(program, rest)
}

/// Whether one program with its arguments ends by itself, and how.
fn ends_by_itself(program: &str, args: &[&str]) -> Option<String> {
    if program == "sleep" {
        let [duration] = args else {
            return None;
        };
        let digits = duration.trim_end_matches(['s', 'm', 'h', 'd']);
        let finite = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
        // A sleep of a day or more is meant as "forever".
        let long = duration.ends_with('d')
            || (duration.ends_with('h') && digits.parse::<f64>().is_ok_and(|h| h >= 24.0))
            || digits.parse::<f64>().is_ok_and(|n| n >= 86_400.0);
        return (finite && !long).then(|| format!("ends after {duration}"));
    }
    ONE_SHOT_PROGRAMS
        .contains(&program)
        .then(|| "ends as soon as it has printed".to_owned())
}

/// Whether a log line says something went wrong: a trouble word, or a klog error or fatal
/// prefix (`E0210 01:36:39.123645`, `F0210 …`).
fn is_trouble(line: &str) -> bool {
    let b = line.as_bytes();
    let klog = b.len() > 5 && matches!(b[0], b'E' | b'F') && b[1..5].iter().all(u8::is_ascii_digit);
    let lower = line.to_ascii_lowercase();
    klog || TROUBLE.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::finite_command;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn commands_that_end_by_themselves() {
        for (command, args) in [
            (&["/bin/sleep", "30s"][..], &[][..]),
            (&["sleep"], &["3600"]),
            (&["echo", "hello", "world"], &[]),
            (&["sh", "-c"], &["echo starting; sleep 10"]),
            (&["/bin/bash", "-c", "date && env"], &[]),
        ] {
            assert!(
                finite_command(&words(command), &words(args)).is_some(),
                "{command:?} {args:?}"
            );
        }
        for (command, args) in [
            (&["sleep", "infinity"][..], &[][..]),
            (&["sleep", "365d"], &[]),
            (&["sleep", "86400"], &[]),
            (
                &["sh", "-c", "echo starting; exec nginx -g 'daemon off;'"],
                &[],
            ),
            (&["sh", "-c", "while true; do sleep 5; done"], &[]),
            (&["/app/server"], &["--port=8080"]),
            (&[], &[]),
        ] {
            assert!(
                finite_command(&words(command), &words(args)).is_none(),
                "{command:?} {args:?}"
            );
        }
    }
}
