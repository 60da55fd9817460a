//! `native-crash`: the process dies from a fatal signal of its own: SIGSEGV, SIGABRT, SIGBUS, SIGILL.

use super::{Evidence, Finding, POSSIBLE, RuleContext, Signature, best_hit, hits_for};
use crate::cause::Cause;
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A native crash: the main process is killed by a signal it raised itself: segmentation
    /// fault (exit code 139), abort (134: `double free`, `stack smashing`, an uncaught C++
    /// exception), bus error (135, usually a too small `/dev/shm`) or illegal instruction (132,
    /// a binary built for CPU features the node lacks). JVM `hs_err_pid` crashes count too.
    ///
    /// ## Why it crash-loops
    /// The same binary, libraries and node CPU meet the same input at every start.
    ///
    /// ## Evidence
    /// - exit code 139, 134, 135 or 132 (128 + the signal) together with `Segmentation fault`,
    ///   `Aborted (core dumped)`, `Bus error`, `Illegal instruction`, `double free or corruption` or
    ///   `# A fatal error has been detected by the Java Runtime Environment` (certain)
    /// - the exit code alone (strong for 139/135/132, possible for 134, which many runtimes use)
    ///
    /// ## Remedy
    /// 135: mount an `emptyDir` with `medium: Memory` at `/dev/shm`; 132: use an image built for the
    /// node's CPU or schedule onto newer nodes; 139/134: roll back the image, check native library
    /// versions (glibc vs musl), collect a core dump.
    ///
    /// ## Not covered
    /// A Go nil-pointer `panic` (`[signal SIGSEGV …]`, exit 2: `unhandled-exception`), Node.js's heap
    /// FATAL ERROR that aborts with 134 (`runtime-heap-exhausted`), SIGKILL (`oom-killed`, `sigkill-not-oom`).
    pub(crate) static NATIVE_CRASH = {
        cause: NativeCrash, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "segfault",
        pattern: r"Segmentation fault|SIGSEGV \(0xb\)|Fatal signal 11 \(SIGSEGV\)|Received signal 11 SEGV",
        example: "/entrypoint.sh: line 8:    14 Segmentation fault      (core dumped) /usr/local/bin/renderer",
        confidence: 0.85,
    },
    Signature {
        id: "shm-bus-error",
        pattern: r"insufficient shared memory \(shm\)|Bus error|SIGBUS \(0x7\)",
        example: "ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).",
        confidence: 0.85,
    },
    Signature {
        id: "illegal-instruction",
        pattern: r"Illegal instruction|SIGILL \(0x4\)|requires a CPU with AVX support",
        example: "Illegal instruction (core dumped)",
        confidence: 0.85,
    },
    Signature {
        id: "abort",
        pattern: r"\bAborted\s+\(core dumped\)|^Aborted$|double free or corruption|\*\*\* stack smashing detected \*\*\*|terminate called after throwing an instance of|free\(\): invalid pointer|malloc\(\): corrupted",
        example: "free(): double free or corruption (out)",
        confidence: 0.8,
    },
    Signature {
        id: "jemalloc-abort",
        pattern: r"<jemalloc>: (?P<target>Unsupported system page size|Error in [\w()]+|[A-Z][^\n]{5,80})",
        example: "<jemalloc>: Unsupported system page size",
        confidence: 0.9,
    },
    Signature {
        id: "jvm-fatal-error",
        pattern: r"A fatal error has been detected by the Java Runtime Environment|hs_err_pid\d+\.log",
        example: "# A fatal error has been detected by the Java Runtime Environment:",
        confidence: 0.85,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let signal = signal_of(s);
        let hit = best_hit(s, NATIVE_CRASH.cause);
        let mut confidence = match (signal, hit) {
            (Some(_), Some(_)) => 0.93,
            (Some(Signal::Abort), None) => POSSIBLE + 0.05,
            (Some(_), None) => 0.75,
            (None, Some(h)) => h.signature.confidence * h.position_weight(),
            (None, None) => continue,
        };
        // Node.js aborts (134) on a full heap: that is the heap's story, not a native bug. An
        // allocator that reports its own failure first (jemalloc) is the native story.
        let allocator = hit.is_some_and(|h| h.signature.id == "jemalloc-abort");
        let heap = !allocator && hits_for(s, Cause::RuntimeHeapExhausted).next().is_some();
        if heap {
            confidence = confidence.min(POSSIBLE);
        }
        let signal = signal.or_else(|| hit.and_then(|h| signal_of_signature(h.signature.id)));
        let name = s.name();
        let title = match (signal, s.exit_code()) {
            (Some(sig), Some(code)) if code > 128 => format!(
                "container `{name}` crashes with {} (exit code {code}, {})",
                sig.name(),
                sig.what()
            ),
            (Some(sig), _) => {
                format!(
                    "container `{name}` crashes with {} ({})",
                    sig.name(),
                    sig.what()
                )
            }
            (None, _) => format!("container `{name}` crashes natively (JVM fatal error)"),
        };
        let title = match hit.and_then(|h| h.target.as_deref()) {
            Some(what) if allocator => {
                format!("container `{name}`'s memory allocator (jemalloc) aborts: {what}")
            }
            _ => title,
        };
        let mut f = Finding::new(&NATIVE_CRASH, s, confidence).title(title);
        if let Some(h) = hit {
            f = f.evidence(Evidence::log_hit(s, h));
        }
        f = f.termination(s);
        if heap {
            f = f.note("the log also reports an exhausted runtime heap: the abort is the runtime giving up (see `runtime-heap-exhausted`)");
        }
        if allocator
            && hit.and_then(|h| h.target.as_deref()) == Some("Unsupported system page size")
        {
            f = f.remedy(format!("the jemalloc in `{name}`'s image was built for a smaller page size than the node's kernel uses (arm64 kernels with 16K or 64K pages): use an image built with `--with-lg-page=16` (or the system allocator), or run it on nodes with 4K pages"));
        }
        f = remedy(s, f, signal);
        let ns = &s.pod.metadata.namespace;
        let pod = &s.pod.metadata.name;
        f = f.command(format!(
            "kubectl -n {ns} logs {pod} -c {name} --previous --tail=50"
        ));
        if let Some(node) = s.pod.spec.node_name.as_deref() {
            f = f.command(format!(
                "kubectl get node {node} -o jsonpath='{{.status.nodeInfo}}'"
            ));
        }
        out.push(f);
    }
}

/// The fatal signals this rule knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signal {
    Segv,
    Abort,
    Bus,
    Ill,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Self::Segv => "SIGSEGV",
            Self::Abort => "SIGABRT",
            Self::Bus => "SIGBUS",
            Self::Ill => "SIGILL",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Segv => "segmentation fault",
            Self::Abort => "abort",
            Self::Bus => "bus error",
            Self::Ill => "illegal instruction",
        }
    }
}

/// The signal of the last termination, from the exit code (128 + N) or the `signal` field.
fn signal_of(s: &Subject<'_>) -> Option<Signal> {
    let t = s.last_termination()?;
    let n = t
        .signal
        .or_else(|| t.exit_code.filter(|c| *c > 128).map(|c| c - 128))?;
    match n {
        11 => Some(Signal::Segv),
        6 => Some(Signal::Abort),
        7 => Some(Signal::Bus),
        4 => Some(Signal::Ill),
        _ => None,
    }
}

fn signal_of_signature(id: &str) -> Option<Signal> {
    match id {
        "segfault" => Some(Signal::Segv),
        "shm-bus-error" => Some(Signal::Bus),
        "illegal-instruction" => Some(Signal::Ill),
        "abort" | "jemalloc-abort" => Some(Signal::Abort),
        _ => None,
    }
}

/// Steps per signal, with the `/dev/shm` mount and node found in the spec.
fn remedy(s: &Subject<'_>, f: Finding, signal: Option<Signal>) -> Finding {
    let name = s.name();
    let image = &s.spec.image;
    match signal {
        Some(Signal::Bus) => {
            let shm = s
                .spec
                .volume_mounts
                .iter()
                .find(|m| m.mount_path.trim_end_matches('/') == "/dev/shm");
            let limit = s.memory_limit().map_or_else(
                || "set a memory limit that covers it".to_owned(),
                |l| format!("it counts toward the {l} memory limit"),
            );
            match shm {
                None => f.remedy(format!(
                    "`{name}` has the runtime's default 64Mi `/dev/shm`: add a volume `emptyDir: {{medium: Memory, sizeLimit: 1Gi}}` mounted at `/dev/shm` ({limit})"
                )),
                Some(m) => {
                    let size = s
                        .pod
                        .spec
                        .volumes
                        .iter()
                        .find(|v| v.name == m.name)
                        .and_then(|v| v.empty_dir.as_ref())
                        .and_then(|e| e.size_limit.clone())
                        .unwrap_or_else(|| "no sizeLimit".to_owned());
                    f.remedy(format!(
                        "volume `{}` at `/dev/shm` ({size}) is still too small for `{name}`: raise its `sizeLimit` ({limit})",
                        m.name
                    ))
                }
            }
            .remedy("or reduce shared-memory use (PyTorch `DataLoader(num_workers=…)`, Chromium `--disable-dev-shm-usage`)")
        }
        Some(Signal::Ill) => {
            let node = s.pod.spec.node_name.as_deref().unwrap_or("the node");
            f.remedy(format!(
                "`{image}` uses CPU instructions `{node}`'s CPU lacks (AVX/AVX2, x86-64-v3): use a build for baseline x86-64, or schedule `{name}` onto nodes with newer CPUs (nodeAffinity on an instance-type or CPU-feature label)"
            ))
        }
        _ => f
            .remedy(format!(
                "if the crash started with a new image, roll `{name}` back to the last tag that worked and compare native library versions (a glibc binary on a musl base, an emulated architecture)"
            ))
            .remedy("collect a core dump or run under a debugger with the same input to find the faulting frame"),
    }
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "Segmentation fault (core dumped)",
            "/docker-entrypoint.sh: line 10:     7 Segmentation fault      (core dumped) node server.js",
            "Fatal Python error: Segmentation fault",
            "# SIGSEGV (0xb) at pc=0x00007f3c2c1d4e5a, pid=1, tid=0x00007f3c2d2e8700",
            "Illegal instruction (core dumped)",
            "Bus error (core dumped)",
            "terminate called after throwing an instance of 'std::runtime_error'",
            "Aborted (core dumped)",
        ] {
            assert!(causes(line).contains(&"native-crash"), "{line}");
        }
        for line in [
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "memory allocation of 1073741824 bytes failed",
        ] {
            assert!(!causes(line).contains(&"native-crash"), "{line}");
        }
    }
}
