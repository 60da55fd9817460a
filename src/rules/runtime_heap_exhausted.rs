//! `runtime-heap-exhausted`: a language runtime runs out of its own heap and exits, below the
//! container's memory limit.

use super::helpers::memory_bytes;
use super::{Evidence, Finding, RuleContext, Signature, best_hit, hits_for};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A program that runs out of the heap its runtime allows and exits by itself: Java
    /// `java.lang.OutOfMemoryError`, Node.js `JavaScript heap out of memory`, Go `fatal error:
    /// runtime: out of memory`, Python `MemoryError`, .NET `OutOfMemoryException`, PHP
    /// `Allowed memory size … exhausted`.
    ///
    /// ## Why it crash-loops
    /// The heap limit (`-Xmx`, `--max-old-space-size`, the JVM's default of 25% of the container
    /// limit) and the workload are the same at every start, so the heap fills up again.
    ///
    /// ## Evidence
    /// - the runtime's out-of-memory line in the previous log or the termination message (strong)
    /// - exit code 3 (`-XX:+ExitOnOutOfMemoryError`), 134 (Node.js abort), 2 (Go) or 1, with reason
    ///   `Error`, not `OOMKilled`: the kernel did not kill it
    /// - the heap flag in `command`, `args` or `JAVA_TOOL_OPTIONS`/`JAVA_OPTS`/`NODE_OPTIONS`, compared with the memory limit
    ///
    /// ## Remedy
    /// Size the heap to about 75% of the container's memory limit (`-XX:MaxRAMPercentage=75`,
    /// `--max-old-space-size`), raise the limit if the heap really needs more, or fix the leak
    /// (take a heap dump with `-XX:+HeapDumpOnOutOfMemoryError` to a volume).
    ///
    /// ## Not covered
    /// The kernel's OOM kill at the container limit (`oom-killed`), `OutOfMemoryError: unable to create
    /// native thread`, which is thread or PID exhaustion (`resource-exhausted`).
    pub(crate) static RUNTIME_HEAP_EXHAUSTED = {
        cause: RuntimeHeapExhausted, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "jvm-exit-on-oom",
        pattern: r"Terminating due to java\.lang\.OutOfMemoryError: (?P<target>.+)",
        example: "Terminating due to java.lang.OutOfMemoryError: Java heap space",
        confidence: 0.9,
    },
    Signature {
        id: "jvm-oom",
        pattern: r"java\.lang\.OutOfMemoryError: (?P<target>Java heap space|GC overhead limit exceeded|Metaspace|Compressed class space|Direct buffer memory|Requested array size exceeds VM limit)",
        example: r#"Exception in thread "main" java.lang.OutOfMemoryError: Java heap space"#,
        confidence: 0.85,
    },
    Signature {
        id: "node-heap",
        pattern: r"(?:FATAL ERROR: (?:Reached heap limit|Ineffective mark-compacts near heap limit|CALL_AND_RETRY_LAST|MarkCompactCollector: young object promotion failed)|Reached heap limit|JavaScript heap out of memory)(?: Allocation failed - (?P<target>JavaScript heap out of memory|process out of memory))?",
        example: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        confidence: 0.9,
    },
    Signature {
        id: "go-out-of-memory",
        pattern: r"^(?:fatal error: (?P<target>(?:runtime: )?out of memory)|runtime: out of memory: cannot allocate \d+-byte block)",
        example: "fatal error: runtime: out of memory",
        confidence: 0.9,
    },
    Signature {
        id: "python-memory-error",
        pattern: r"^(?:[\w.]*\.)?_?(?:Array)?MemoryError\b(?::\s*(?P<target>.+))?$",
        example: "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 7.45 GiB for an array with shape (1000000000,) and data type float64",
        confidence: 0.8,
    },
    Signature {
        id: "dotnet-oom",
        pattern: r"(?P<target>System\.OutOfMemoryException)",
        example: "Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
        confidence: 0.85,
    },
    Signature {
        id: "php-memory-limit",
        pattern: r"Allowed memory size of (?P<target>\d+) bytes exhausted",
        example: "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
        confidence: 0.85,
    },
    Signature {
        id: "native-alloc-failed",
        pattern: r"^memory allocation of (?P<target>\d+) bytes failed|failed to allocate memory \(NoMemoryError\)",
        example: r"memory allocation of 1073741824 bytes failed",
        confidence: 0.85,
    },
];

/// The runtime a signature belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Runtime {
    Java,
    Node,
    Go,
    Python,
    DotNet,
    Php,
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.crashlooping_containers() {
        let Some(best) = best_hit(s, RUNTIME_HEAP_EXHAUSTED.cause) else {
            continue;
        };
        let mut confidence = best.signature.confidence * best.position_weight();
        let reason = s.termination_reason();
        let oom_killed = reason == Some("OOMKilled");
        if !oom_killed && matches!(s.exit_code(), Some(1 | 2 | 3 | 134)) {
            confidence += 0.05;
        }
        if oom_killed {
            // The kernel killed it at the cgroup limit first; the heap message is a symptom.
            confidence = confidence.min(0.6);
        }
        let runtime = runtime_of(best.signature.id);
        let name = s.name();
        let what = match runtime {
            Runtime::Java => format!(
                "the Java heap is exhausted (`OutOfMemoryError: {}`)",
                best.target.as_deref().unwrap_or("Java heap space")
            ),
            Runtime::Node => {
                "the Node.js heap is exhausted (`JavaScript heap out of memory`)".to_owned()
            }
            Runtime::Go => "the Go runtime runs out of memory".to_owned(),
            Runtime::Python => "Python raises `MemoryError`".to_owned(),
            Runtime::DotNet => "the .NET runtime throws `OutOfMemoryException`".to_owned(),
            Runtime::Php => format!(
                "PHP's `memory_limit` ({} bytes) is exhausted",
                best.target.as_deref().unwrap_or("?")
            ),
        };
        let mut f = Finding::new(&RUNTIME_HEAP_EXHAUSTED, s, confidence)
            .title(format!("container `{name}` exits because {what}"))
            .evidence(Evidence::log_hit(s, best));
        for hit in hits_for(s, RUNTIME_HEAP_EXHAUSTED.cause)
            .filter(|h| !std::ptr::eq(*h, best))
            .take(1)
        {
            f = f.evidence(Evidence::log_hit(s, hit));
        }
        f = f.termination(s);
        let limit = s.memory_limit();
        if let Some(l) = limit {
            f = f.evidence(Evidence::spec(s, "resources.limits.memory", l));
        }
        let flag = heap_flag(s, runtime);
        if let Some((flag, field)) = &flag {
            f = f.evidence(Evidence::spec(s, field, flag));
        }
        if oom_killed {
            f = f.note("the last termination is `OOMKilled`: the container limit was hit before or while the runtime reported its heap as full");
        }
        f = remedy(s, f, runtime, limit, flag.as_ref().map(|(f, _)| f.as_str()));
        let ns = &s.pod.metadata.namespace;
        let pod = &s.pod.metadata.name;
        out.push(f.command(format!(
            "kubectl -n {ns} logs {pod} -c {name} --previous | grep -iE 'OutOfMemoryError|heap out of memory|runtime: out of memory|MemoryError'"
        )));
    }
}

/// Steps for the runtime, naming the heap flag and the limit found.
fn remedy(
    s: &Subject<'_>,
    f: Finding,
    runtime: Runtime,
    limit: Option<&str>,
    flag: Option<&str>,
) -> Finding {
    let name = s.name();
    let three_quarters = limit
        .and_then(memory_bytes)
        .map(|b| (b * 0.75 / 1_048_576.0).floor());
    match (runtime, flag, limit) {
        (Runtime::Java, Some(flag), Some(l)) => f.remedy(format!(
            "`{flag}` caps the heap of `{name}` below what it needs; the container limit is {l}: raise the heap (or replace the fixed size with `-XX:MaxRAMPercentage=75`) and raise the limit if 75% of it is not enough"
        )),
        (Runtime::Java, None, Some(l)) => f.remedy(format!(
            "without a heap flag the JVM uses 25% of the {l} limit for its heap: add `-XX:MaxRAMPercentage=75` to `JAVA_TOOL_OPTIONS` of `{name}`"
        )),
        (Runtime::Java, _, None) => f.remedy(format!(
            "set a memory limit on `{name}` and size the heap to ~75% of it (`-XX:MaxRAMPercentage=75`)"
        )),
        (Runtime::Node, _, _) => {
            let size = three_quarters.map_or_else(
                || "~75% of the memory limit in MiB".to_owned(),
                |mib| format!("{mib}"),
            );
            let now = flag.map(|f| format!(" (now `{f}`)")).unwrap_or_default();
            f.remedy(format!(
                "set `NODE_OPTIONS=--max-old-space-size={size}` on `{name}`{now}, {}",
                limit.map_or_else(
                    || "and set a memory limit".to_owned(),
                    |l| format!("75% of its {l} limit")
                )
            ))
        }
        (Runtime::Go, _, _) => f.remedy(format!(
            "the Go runtime could not get memory from the system: raise the memory limit of `{name}`{} and set `GOMEMLIMIT` a little below it so the GC works harder before that",
            limit.map(|l| format!(" (now {l})")).unwrap_or_default()
        )),
        (Runtime::Php, _, _) => f.remedy(format!(
            "raise `memory_limit` in php.ini (or `php -d memory_limit=…`) for `{name}`, keeping it below the container limit{}",
            limit.map(|l| format!(" ({l})")).unwrap_or_default()
        )),
        (Runtime::Python | Runtime::DotNet, _, _) => f.remedy(format!(
            "the process cannot allocate more memory: raise the memory limit of `{name}`{} or process the data in smaller pieces",
            limit.map(|l| format!(" (now {l})")).unwrap_or_default()
        )),
    }
    .remedy(match runtime {
        Runtime::Java => "if memory grows over time, take a heap dump at the failure (`-XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=` on a volume) and look for the leak",
        Runtime::Node => "if memory grows over time, write a heap snapshot before the limit (`--heapsnapshot-near-heap-limit=1`, on a volume) and look for the leak",
        _ => "if memory grows over time, profile the process's allocations and look for the leak or the unbounded cache",
    })
}

fn runtime_of(signature: &str) -> Runtime {
    match signature {
        "node-heap" => Runtime::Node,
        "go-out-of-memory" => Runtime::Go,
        "python-memory-error" => Runtime::Python,
        "dotnet-oom" => Runtime::DotNet,
        "php-memory-limit" => Runtime::Php,
        _ => Runtime::Java,
    }
}

/// The heap flag of the runtime in the command, args or env (flag, field path).
fn heap_flag(s: &Subject<'_>, runtime: Runtime) -> Option<(String, String)> {
    let is_heap = |w: &str| match runtime {
        Runtime::Java => w.starts_with("-Xmx") || w.starts_with("-XX:MaxRAM"),
        Runtime::Node => w.starts_with("--max-old-space-size"),
        _ => false,
    };
    for (i, w) in s.spec.command.iter().chain(&s.spec.args).enumerate() {
        if let Some(flag) = w.split_whitespace().find(|w| is_heap(w)) {
            let field = if i < s.spec.command.len() {
                format!("command[{i}]")
            } else {
                format!("args[{}]", i - s.spec.command.len())
            };
            return Some((flag.to_owned(), field));
        }
    }
    s.spec.env.iter().find_map(|e| {
        let v = e.value.as_deref()?;
        if runtime == Runtime::Go && e.name == "GOMEMLIMIT" {
            return Some((format!("GOMEMLIMIT={v}"), format!("env[{}]", e.name)));
        }
        let flag = v.split_whitespace().find(|w| is_heap(w))?;
        Some((format!("{}={flag}", e.name), format!("env[{}]", e.name)))
    })
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "java.lang.OutOfMemoryError: Java heap space",
            r#"Exception in thread "main" java.lang.OutOfMemoryError: Java heap space"#,
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory",
            "fatal error: runtime: out of memory",
            "fatal error: out of memory",
            "MemoryError",
            "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/html/vendor/laravel/framework/src/Illuminate/Support/Collection.php on line 1234",
            "Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
            "memory allocation of 1073741824 bytes failed",
            "failed to allocate memory (NoMemoryError)",
            r#"Exception in thread "main" java.lang.OutOfMemoryError: GC overhead limit exceeded"#,
        ] {
            assert!(causes(line).contains(&"runtime-heap-exhausted"), "{line}");
        }
        for line in [
            r#"Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached"#,
            "Segmentation fault (core dumped)",
        ] {
            assert!(!causes(line).contains(&"runtime-heap-exhausted"), "{line}");
        }
    }
}
