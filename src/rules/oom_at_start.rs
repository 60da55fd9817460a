//! `oom-at-start`: the container is OOM-killed as it starts, before the app can run: runc's
//! "container init was OOM-killed", a tiny or mistyped memory limit, or a tmpfs that fills it.

use std::sync::LazyLock;

use regex::Regex;

use super::helpers::memory_bytes;
use super::helpers::{is_start_candidate, start_messages};
use super::{CERTAIN, Evidence, Finding, RuleContext, Signature};
use crate::model::pod::Volume;
use crate::model::time::human_duration;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container killed for memory as it starts: runc reports "container init was OOM-killed
    /// (memory limit too low?)", or the limit is tiny (`4Mi`) or mistyped (`512m` is 0.512 bytes,
    /// `256` is 256 bytes), or a memory-backed `emptyDir` without `sizeLimit` already fills the limit.
    ///
    /// ## Why it crash-loops
    /// The limit is part of the spec and a memory-backed `emptyDir` survives container restarts,
    /// so every start is killed the same way, before the app logs anything.
    ///
    /// ## Evidence
    /// - `StartError` (exit code 128) or `RunContainerError` whose message, or a `Failed` event,
    ///   says "container init was OOM-killed (memory limit too low?)" (certain)
    /// - `OOMKilled` with `resources.limits.memory` under 16Mi, or with an `m` suffix or no unit (certain)
    /// - `OOMKilled` within seconds of the start while an `emptyDir` with `medium: Memory` and no
    ///   `sizeLimit` is mounted (strong; tmpfs pages count toward the container's memory)
    /// - runc failing to write the memory limit (`failed to write 10485760 to memory.limit_in_bytes:
    ///   … device or resource busy`): the limit is below what the starting process already uses (certain)
    /// - the runtime refusing the limit before anything runs: CRI-O's "set memory limit 10485760
    ///   too low; should be at least 12582912", Docker's "Minimum memory limit allowed is 6MB" (certain)
    ///
    /// ## Remedy
    /// Write the quantity with a binary suffix (`512Mi`, not `512m`), raise the limit to what the
    /// process needs to start, put a `sizeLimit` on the memory-backed `emptyDir` or move it to disk.
    ///
    /// ## Not covered
    /// OOM kills after the app has run (`oom-killed`), node-level OOM (`node-oom`).
    pub(crate) static OOM_AT_START = {
        cause: OomAtStart, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "runc-init-oom",
        pattern: r"container init was OOM-killed \(memory limit too low\?\)",
        example: "runc create failed: unable to start container process: container init was OOM-killed (memory limit too low?)",
        confidence: CERTAIN,
    },
    // Older runc sets the limit after the init process has started; a limit below what init
    // already uses cannot be written (EBUSY). The target is the limit it tried to write.
    Signature {
        id: "runc-limit-below-usage",
        pattern: r"failed to write (?P<target>\d+) to memory\.(?:limit_in_bytes|max)\b.{0,300}?device or resource busy",
        example: r#"setting cgroup config for procHooks process caused \\\"failed to write 10485760 to memory.limit_in_bytes: write /sys/fs/cgroup/memory/kubepods/burstable/pod70/ad06/memory.limit_in_bytes: device or resource busy\\\""#,
        confidence: CERTAIN,
    },
    // The runtime refuses the limit outright, before any process runs: CRI-O's "set memory limit
    // 10485760 too low; should be at least 12582912", Docker's "Minimum memory limit allowed is
    // 6MB".
    Signature {
        id: "runtime-rejects-limit",
        pattern: r"set memory limit (?P<target>\d+) too low|[Mm]inimum memory limit allowed is \d+ ?[KMG]?i?B",
        example: "Error: set memory limit 10485760 too low; should be at least 12582912",
        confidence: CERTAIN,
    },
];

/// Limits below this are too small for any process to start (bytes).
const TINY_LIMIT: f64 = 16.0 * 1024.0 * 1024.0;
/// An `OOMKilled` this soon after the start is an OOM at start.
const FAST_OOM_SECS: f64 = 5.0;

static INIT_OOM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "{}|{}",
        SIGNATURES[0].pattern, SIGNATURES[1].pattern
    ))
    .expect("valid pattern")
});

static LIMIT_REJECTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(SIGNATURES[2].pattern).expect("valid pattern"));

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.subjects.iter().filter(|s| is_start_candidate(s)) {
        let limit = s.memory_limit();
        let tiny = limit.and_then(|l| tiny_limit(l).map(|why| (l, why)));
        let messages = start_messages(s);
        let rejected = messages
            .iter()
            .find(|(_, text)| LIMIT_REJECTED.is_match(text))
            .map(|(e, text)| (e.clone(), *text));
        let init_oom = messages
            .into_iter()
            .find(|(_, text)| INIT_OOM.is_match(text))
            .or_else(|| rejected.clone());
        let oom_killed = s.termination_reason() == Some("OOMKilled");
        let fast = s.runtime_secs().is_some_and(|r| r < FAST_OOM_SECS);
        let tmpfs = memory_empty_dir(s);
        let confidence = if init_oom.is_some() {
            CERTAIN
        } else if oom_killed && tiny.is_some() {
            // Beats `oom-killed` (certain, +0.02 with a heap flag): same kill, more specific cause.
            0.98
        } else if oom_killed && fast && tmpfs.is_some() {
            0.98
        } else if oom_killed && tmpfs.is_some() {
            0.6
        } else {
            continue;
        };
        let name = s.name();
        // The limit as the spec writes it, else the one the runtime's message names (when the
        // bundle does not show the spec).
        let limit_words = |found: &Option<(Evidence, &str)>, re: &Regex| {
            limit
                .map(str::to_owned)
                .or_else(|| {
                    let (_, text) = found.as_ref()?;
                    let target = re.captures(text)?.name("target")?;
                    Some(format!("{}-byte", target.as_str()))
                })
                .unwrap_or_else(|| "(unset)".to_owned())
        };
        let title = match (&tiny, &tmpfs) {
            (Some((l, why)), _) => {
                format!("container `{name}` is OOM-killed as it starts: memory limit `{l}` {why}")
            }
            (None, Some((v, _))) if fast || init_oom.is_some() => format!(
                "container `{name}` is OOM-killed as it starts: the memory-backed emptyDir `{}` fills its {} memory limit",
                v.name,
                limit.unwrap_or("node's")
            ),
            (None, Some((v, _))) => format!(
                "container `{name}` is OOM-killed; the memory-backed emptyDir `{}` counts toward its {} limit",
                v.name,
                limit.unwrap_or("memory")
            ),
            (None, None) if rejected.is_some() => format!(
                "container `{name}` cannot start: the runtime rejects its {} memory limit as too low",
                limit_words(&rejected, &LIMIT_REJECTED)
            ),
            (None, None) => format!(
                "container `{name}` is OOM-killed at container init: its {} memory limit is too low to start",
                limit_words(&init_oom, &INIT_OOM)
            ),
        };
        let mut f = Finding::new(&OOM_AT_START, s, confidence).title(title);
        if let Some((e, _)) = init_oom {
            f = f.evidence(e);
        }
        f = f.termination(s).waiting(s);
        if let Some(l) = limit {
            f = f.evidence(Evidence::spec(s, "resources.limits.memory", l));
        }
        if let Some((v, mount)) = &tmpfs {
            f = f.evidence(Evidence::spec(
                s,
                &format!("spec.volumes[{}].emptyDir", v.name),
                format!("medium: Memory, no sizeLimit; mounted at {mount}"),
            ));
        }
        match (&tiny, limit) {
            (Some((l, _)), _) => {
                f = f.remedy(format!(
                    "set `resources.limits.memory` of `{name}` to a real size: {}",
                    suggestion(l)
                ));
            }
            (None, Some(l)) if tmpfs.is_none() => {
                f = f.remedy(format!(
                    "raise `resources.limits.memory` of `{name}` (now {l}): the runtime cannot even start the process within it"
                ));
            }
            _ => {}
        }
        if let Some((v, mount)) = &tmpfs {
            f = f.remedy(format!(
                "files in the tmpfs `emptyDir` `{}` (at {mount}) are charged to `{name}`'s memory and survive restarts: add `sizeLimit` well below the limit, clean it at start, or drop `medium: Memory`",
                v.name
            ));
        }
        if let Some(r) = s.runtime_secs().filter(|_| oom_killed) {
            f = f.note(format!(
                "the last instance ran {} before the kill",
                human_duration(r)
            ));
        }
        let ns = &s.pod.metadata.namespace;
        let pod = &s.pod.metadata.name;
        out.push(f.command(format!(
            "kubectl -n {ns} get pod {pod} -o jsonpath='{{.spec.{}[?(@.name==\"{name}\")].resources}}'",
            s.kind.spec_list()
        )));
    }
}

/// Why a memory limit is too small to start anything, if it is.
fn tiny_limit(limit: &str) -> Option<String> {
    let bytes = memory_bytes(limit)?;
    let limit = limit.trim();
    if limit.ends_with('m') {
        return Some(format!(
            "is {} bytes (`m` means milli)",
            format_bytes(bytes)
        ));
    }
    if limit.chars().all(|c| c.is_ascii_digit()) && bytes < TINY_LIMIT {
        return Some(format!("is {limit} bytes (no unit)"));
    }
    (bytes < TINY_LIMIT).then(|| "is too small for any process to start".to_owned())
}

/// What the user most likely meant.
fn suggestion(limit: &str) -> String {
    let limit = limit.trim();
    if let Some(n) = limit.strip_suffix('m') {
        format!("`{n}Mi`, not `{limit}` (did you mean mebibytes?)")
    } else if limit.chars().all(|c| c.is_ascii_digit()) {
        format!("`{limit}Mi`, not `{limit}` (a quantity without a unit is bytes)")
    } else {
        format!("at least what the process needs to start, e.g. `64Mi`, not `{limit}`")
    }
}

/// Bytes as written with few digits (`0.512`, `256`).
fn format_bytes(b: f64) -> String {
    let s = format!("{b:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A memory-backed `emptyDir` without `sizeLimit` mounted by the container, with its mount path.
fn memory_empty_dir<'a>(s: &Subject<'a>) -> Option<(&'a Volume, &'a str)> {
    s.spec.volume_mounts.iter().find_map(|m| {
        let v = s.pod.spec.volumes.iter().find(|v| v.name == m.name)?;
        let e = v.empty_dir.as_ref()?;
        (e.medium.as_deref() == Some("Memory") && e.size_limit.is_none())
            .then_some((v, m.mount_path.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(memory_bytes("512Mi"), Some(536_870_912.0));
        assert_eq!(memory_bytes("1G"), Some(1e9));
        assert_eq!(memory_bytes("1e3"), Some(1000.0));
        assert!((memory_bytes("512m").unwrap() - 0.512).abs() < 1e-9);
        assert_eq!(memory_bytes("lots"), None);
    }

    #[test]
    fn tiny_limits() {
        assert!(tiny_limit("512m").unwrap().contains("0.512 bytes"));
        assert!(tiny_limit("4Mi").is_some());
        assert!(tiny_limit("256").unwrap().contains("256 bytes"));
        assert!(tiny_limit("64Mi").is_none());
        assert_eq!(
            suggestion("512m"),
            "`512Mi`, not `512m` (did you mean mebibytes?)"
        );
    }
}
