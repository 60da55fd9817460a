//! `oom-killed`: the container exceeds its memory limit and the kernel kills it.

use super::helpers::memory_bytes;
use super::{CERTAIN, Evidence, Finding, POSSIBLE, RuleContext, STRONG};
use crate::model::time::human_duration;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container the kernel kills for using more memory than its `resources.limits.memory`.
    ///
    /// ## Why it crash-loops
    /// Each restart loads the same data and allocates the same memory again, so it is killed
    /// again; the back-off grows to 5 minutes between attempts.
    ///
    /// ## Evidence
    /// - `lastState.terminated.reason` is `OOMKilled`, usually with exit code 137 (certain)
    /// - exit code 137 with no reason while a memory limit is set (possible; also see `sigkill-not-oom`)
    /// - heap flags (`-Xmx`, `--max-old-space-size`) at or above the limit corroborate it
    /// - how long the instance ran: seconds means the limit is too small for start-up, hours a leak
    ///
    /// ## Remedy
    /// Raise `resources.limits.memory` above the working set, or size the runtime's heap below the
    /// limit (`-XX:MaxRAMPercentage=75`, `--max-old-space-size`), or fix the leak the run time points at.
    ///
    /// ## Not covered
    /// OOM kills without a limit or by the node (`node-oom`), OOM at container init (`oom-at-start`),
    /// a language heap limit hit inside the limit (`runtime-heap-exhausted`), node-pressure eviction (`evicted`).
    pub(crate) static OOM_KILLED = {
        cause: OomKilled, kind: CrashLoop, check: check, signatures: &[],
    };
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(last) = s.last_termination() else {
            continue;
        };
        let limit = s.memory_limit();
        let confidence = match (last.reason.as_deref(), last.exit_code, limit) {
            (Some("OOMKilled"), _, Some(_)) => CERTAIN,
            // The bundle does not show `resources`: whether a limit is set is unknown.
            (Some("OOMKilled"), _, None) if !s.resources_shown() => STRONG,
            // OOMKilled without a limit is the node's doing; `node-oom` claims it first.
            (Some("OOMKilled"), _, None) => 0.6,
            // 137 = 128 + SIGKILL. Some runtimes omit the reason.
            (None | Some("Error"), Some(137), Some(_)) => POSSIBLE,
            _ => continue,
        };
        out.push(finding(s, confidence, limit));
    }
}

fn finding(s: &Subject<'_>, mut confidence: f64, limit: Option<&str>) -> Finding {
    let name = s.name();
    let title = match limit {
        Some(l) => format!("container `{name}` is OOM-killed at its {l} memory limit"),
        None if !s.resources_shown() => format!("container `{name}` is OOM-killed"),
        None => format!("container `{name}` is OOM-killed (no memory limit set)"),
    };
    let mut f = Finding::new(&OOM_KILLED, s, confidence).title(title);
    f = f.termination(s);
    if let Some(l) = limit {
        f = f.evidence(Evidence::spec(s, "resources.limits.memory", l));
    } else if !s.resources_shown() {
        f = f.note(
            "the bundle does not show the container's `resources`: its memory limit is unknown",
        );
    }
    f = f.waiting(s);
    let heap = heap_flag(s);
    if let Some((flag, field)) = &heap {
        confidence += 0.02;
        f = f.evidence(Evidence::spec(s, field, flag));
    }
    f.confidence = confidence.min(0.99);
    // The decisive fact goes first: a heap allowed to grow past the limit is the cause, and
    // raising the limit only moves the kill.
    let heap_above = heap
        .as_ref()
        .zip(limit)
        .and_then(|((flag, _), l)| Some(heap_bytes(flag)? >= memory_bytes(l)?))
        .unwrap_or(false);
    if let (Some((flag, _)), Some(l), true) = (&heap, limit, heap_above) {
        f = f.remedy(format!("`{flag}` is above the {l} memory limit of `{name}`: the heap alone outgrows the container; size the heap to ~75% of the limit (e.g. `-XX:MaxRAMPercentage=75` instead of a fixed -Xmx), then raise the limit if that is too little"));
    }
    let runtime = s.runtime_secs();
    match (limit, runtime) {
        (Some(l), Some(secs)) if secs < 60.0 => {
            f = f.remedy(format!(
                "the container is killed {} after start: {l} is too small for start-up; raise `resources.limits.memory` (and the request) for `{name}`",
                human_duration(secs)
            ));
        }
        (Some(l), Some(secs)) if secs > 3600.0 => {
            f = f.remedy(format!(
                "memory grows for {} before the kill: look for a leak (heap dump, allocation profile) before raising the {l} limit",
                human_duration(secs)
            ));
        }
        (Some(l), _) => {
            f = f.remedy(format!("raise `resources.limits.memory` of `{name}` above its working set (now {l}), or lower its memory use"));
        }
        (None, _) => {
            f = f.remedy(format!("set a memory request and limit on `{name}` and check the node's memory (see `node-oom`)"));
        }
    }
    if let (Some((flag, _)), false) = (&heap, heap_above) {
        f = f.remedy(format!("with `{flag}` the heap and the runtime's other memory can reach the limit: size the heap to ~75% of the limit (e.g. `-XX:MaxRAMPercentage=75` instead of a fixed -Xmx)"));
    }
    let ns = &s.pod.metadata.namespace;
    f.command(format!(
        "kubectl -n {ns} top pod {} --containers",
        s.pod.metadata.name
    ))
}

/// A heap-size flag in the command, args or `JAVA_TOOL_OPTIONS`/`NODE_OPTIONS`-style env.
fn heap_flag(s: &Subject<'_>) -> Option<(String, String)> {
    let is_heap = |w: &str| {
        w.starts_with("-Xmx")
            || w.starts_with("--max-old-space-size")
            || w.starts_with("-XX:MaxRAM")
    };
    for (i, w) in s.spec.command.iter().enumerate() {
        if is_heap(w) {
            return Some((w.clone(), format!("command[{i}]")));
        }
    }
    for (i, w) in s.spec.args.iter().enumerate() {
        if let Some(flag) = w.split_whitespace().find(|w| is_heap(w)) {
            return Some((flag.to_owned(), format!("args[{i}]")));
        }
    }
    for e in &s.spec.env {
        if let Some(flag) = e
            .value
            .as_deref()
            .and_then(|v| v.split_whitespace().find(|w| is_heap(w)))
        {
            return Some((format!("{}={flag}", e.name), format!("env[{}]", e.name)));
        }
    }
    None
}

/// The heap size a flag sets, in bytes: `-Xmx768m`, `-Xmx2g`, `--max-old-space-size=768` (MiB),
/// also behind an env name (`JAVA_TOOL_OPTIONS=-Xmx768m`). `None` for a relative flag
/// (`-XX:MaxRAMPercentage`).
fn heap_bytes(flag: &str) -> Option<f64> {
    if let Some(i) = flag.find("-Xmx") {
        let size = &flag[i + 4..];
        let (digits, factor) = match size.char_indices().last()? {
            (at, 'k' | 'K') => (&size[..at], 1024.0),
            (at, 'm' | 'M') => (&size[..at], 1_048_576.0),
            (at, 'g' | 'G') => (&size[..at], 1_073_741_824.0),
            (at, 't' | 'T') => (&size[..at], 1_099_511_627_776.0),
            _ => (size, 1.0),
        };
        return digits.parse::<f64>().ok().map(|n| n * factor);
    }
    let i = flag.find("--max-old-space-size=")?;
    let mib = &flag[i + "--max-old-space-size=".len()..];
    mib.parse::<f64>().ok().map(|m| m * 1_048_576.0)
}

#[cfg(test)]
mod tests {
    use super::heap_bytes;

    #[test]
    fn heap_flag_sizes() {
        assert_eq!(
            heap_bytes("JAVA_TOOL_OPTIONS=-Xmx768m"),
            Some(805_306_368.0)
        );
        assert_eq!(heap_bytes("-Xmx2g"), Some(2_147_483_648.0));
        assert_eq!(heap_bytes("-Xmx536870912"), Some(536_870_912.0));
        assert_eq!(heap_bytes("--max-old-space-size=768"), Some(805_306_368.0));
        assert_eq!(
            heap_bytes("NODE_OPTIONS=--max-old-space-size=512"),
            Some(536_870_912.0)
        );
        assert_eq!(heap_bytes("-XX:MaxRAMPercentage=75"), None);
    }
}
