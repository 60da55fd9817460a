//! `app-error-exit`: a non-zero exit with no more specific signature (the fallback).

use super::{Evidence, Finding, POSSIBLE, RuleContext, Signature, WEAK, best_hit};

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
    /// - the last error line of the previous log, if any
    /// - when neither a termination nor a log is in the bundle, the finding says so
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

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let code = s.exit_code();
        if code == Some(0) {
            continue;
        }
        let name = s.name();
        let error_line = best_last_error(s);
        let (confidence, title) = match (code, &error_line) {
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
                    "container `{name}` is in a restart loop; the bundle does not show how it ended"
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
        out.push(
            f.remedy(format!(
                "read the previous log of `{name}` around the last error and fix what it reports"
            ))
            .remedy("reproduce by running the image with the same command, env and mounts"),
        );
    }
}

/// The last error-looking line of the log (closest to the termination).
fn best_last_error(s: &crate::subjects::Subject<'_>) -> Option<Evidence> {
    let hit = super::hits_for(s, APP_ERROR_EXIT.cause)
        .min_by_key(|h| h.from_end)
        .or_else(|| best_hit(s, APP_ERROR_EXIT.cause))?;
    Some(Evidence::log_hit(s, hit))
}
