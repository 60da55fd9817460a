//! `lifecycle-hook-failure`: the container's postStart hook fails, so the kubelet kills it.

use std::sync::LazyLock;

use regex::Regex;

use super::{CERTAIN, Evidence, Finding, RuleContext, waiting_evidence};
use crate::model::pod::Handler;

declare_rule! {
    /// ## What it detects
    /// A container whose `lifecycle.postStart` hook fails (its command exits non-zero, is not found,
    /// or its HTTP call fails): the kubelet then kills the container and restarts it.
    ///
    /// ## Why it crash-loops
    /// The hook runs after every start and fails the same way, so every instance is killed right
    /// after it starts, whatever the main process does.
    ///
    /// ## Evidence
    /// - `state.waiting.reason: PostStartHookError` (certain)
    /// - a `FailedPostStartHook` event, or a `Killing` event with message `FailedPostStartHook` (certain)
    /// - the hook output, when the kubelet records it: "Exec lifecycle hook ([…]) for Container … failed -
    ///   error: command '…' exited with N: …, message: …" (newer kubelets leave it out)
    ///
    /// ## Remedy
    /// Make the hook succeed: its binary must exist in the image, it must be idempotent and fast, and
    /// whatever it calls must be reachable; or move the logic into the entrypoint or an init container.
    ///
    /// ## Not covered
    /// `preStop` failures, which only delay shutdown (see `sigkill-not-oom` when they outlast the grace
    /// period); internal `PreStartHookError` (`runtime-start-failure`).
    pub(crate) static LIFECYCLE_HOOK_FAILURE = {
        cause: LifecycleHookFailure, kind: CrashLoop, check: check, signatures: &[],
    };
}

static HOOK_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:Exec|HTTP) lifecycle hook \((?P<hook>.*?)\) for Container "[^"]+" in Pod "[^"]+" failed - error: (?P<error>.*?)(?:, message: "?(?P<message>.*?)"?)?$"#)
        .expect("valid pattern")
});

/// `exited with N` in a hook error.
static EXIT_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"exited with (?P<code>\d+)").expect("valid pattern"));

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx
        .subjects
        .iter()
        .filter(|s| s.state.is_loop() || s.waiting_reason() == Some("PostStartHookError"))
    {
        let waiting = s.waiting_reason() == Some("PostStartHookError");
        let events: Vec<_> = s
            .iter_events("FailedPostStartHook")
            .chain(
                s.iter_events("Killing")
                    .filter(|e| e.text().contains("PostStartHook")),
            )
            .collect();
        if !waiting && events.is_empty() {
            continue;
        }
        let name = s.name();
        // The hook's own words: the waiting message or an (older kubelet's) event message.
        let detail = s
            .waiting()
            .and_then(|w| w.message.as_deref())
            .filter(|_| waiting)
            .into_iter()
            .chain(events.iter().map(|e| e.text()))
            .find_map(|t| HOOK_MESSAGE.captures(t));
        let error = detail
            .as_ref()
            .and_then(|c| c.name("error"))
            .map(|m| m.as_str().trim_end_matches([' ', ':']).to_owned());
        let output = detail
            .as_ref()
            .and_then(|c| c.name("message"))
            .map(|m| m.as_str().replace("\\n", " ").trim().to_owned())
            .filter(|m| !m.is_empty());
        let hook = s.spec.lifecycle.post_start.as_deref();
        let hook_text = hook.map(describe);
        let code = error
            .as_deref()
            .and_then(|e| EXIT_CODE.captures(e))
            .and_then(|c| c["code"].parse::<i64>().ok());
        let why = match (code, &output, &error) {
            (Some(c), Some(o), _) => format!(": it exits {c} (`{o}`)"),
            (Some(c), None, _) => format!(": it exits {c}"),
            (None, _, Some(e)) => format!(": {}", crate::text::truncate(e, 160)),
            (None, _, None) => String::new(),
        };
        let why = why.trim_end_matches(['.', ' ']);
        let title = format!("container `{name}` is killed because its postStart hook fails{why}");
        let mut f = Finding::new(&LIFECYCLE_HOOK_FAILURE, s, CERTAIN).title(title);
        if let Some(e) = waiting_evidence(s).filter(|_| waiting) {
            f = f.evidence(e);
        }
        for e in events.iter().rev().take(2) {
            f = f.evidence(Evidence::event(e));
        }
        if let Some(h) = &hook_text {
            f = f.evidence(Evidence::spec(s, "lifecycle.postStart", h));
        }
        f = f.termination(s);
        let h = hook_text.as_deref().unwrap_or("the hook");
        f = match (code, &output) {
            (Some(127), _) => f.remedy(format!(
                "the hook's command is not found in the image (exit 127{}): install it in `{}` or change `{h}`",
                output.as_deref().map(|o| format!(": {o}")).unwrap_or_default(),
                s.spec.image
            )),
            (Some(126), _) => f.remedy(format!(
                "the hook's command is not executable (exit 126): `chmod +x` it or run it through `sh`, in `{h}`"
            )),
            (_, Some(o)) => f.remedy(format!(
                "the hook `{h}` fails with: {o}: fix what it reports, and make it succeed when it runs again after a restart"
            )),
            _ => f.remedy(format!(
                "run `{h}` by hand in the image (`kubectl debug`) to see why it fails; current kubelets do not record the hook's output"
            )),
        };
        f = f.remedy(format!(
            "keep postStart hooks short and idempotent, or move the work into the entrypoint of `{name}` or an init container"
        ));
        let ns = &s.pod.metadata.namespace;
        let pod = &s.pod.metadata.name;
        out.push(f.command(format!(
            "kubectl -n {ns} get pod {pod} -o jsonpath='{{.spec.{}[?(@.name==\"{name}\")].lifecycle}}'",
            s.kind.spec_list()
        )));
    }
}

/// A hook as one line: its exec command or its HTTP GET.
fn describe(h: &Handler) -> String {
    if let Some(e) = &h.exec {
        e.command.join(" ")
    } else if let Some(g) = &h.http_get {
        format!(
            "GET :{}{}",
            g.port.as_deref().unwrap_or("?"),
            g.path.as_deref().unwrap_or("/")
        )
    } else {
        "unknown handler".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::HOOK_MESSAGE;

    #[test]
    fn hook_message_parts() {
        let m = r#"Exec lifecycle hook ([/bin/sh -c /hooks/start.sh]) for Container "app" in Pod "app-1_ns(uid)" failed - error: command '/bin/sh -c /hooks/start.sh' exited with 126: , message: """#;
        let c = HOOK_MESSAGE.captures(m).unwrap();
        assert_eq!(
            c["error"].trim_end_matches([' ', ':']),
            "command '/bin/sh -c /hooks/start.sh' exited with 126"
        );
    }
}
