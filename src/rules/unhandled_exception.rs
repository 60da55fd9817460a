//! `unhandled-exception`: the app crashes with a language runtime's crash signature.

use super::{Finding, RuleContext, Signature, check_log_signatures};

declare_rule! {
    /// ## What it detects
    /// A crash the language runtime reports: a Go `panic:`, a Python `Traceback`, a Java
    /// `Exception in thread "main"`, a .NET `Unhandled exception.`, a Node.js uncaught error,
    /// a Rust `panicked at`.
    ///
    /// ## Why it crash-loops
    /// The same code path runs at every start (or under the same load) and throws again.
    ///
    /// ## Evidence
    /// - the crash signature in the previous log, weighted toward the last lines before
    ///   termination (likely); a non-zero exit code (2 for a Go panic, 1 otherwise)
    /// - when the exception itself names a more specific cause (connection refused, permission
    ///   denied, a missing setting), that cause wins and this one is listed as an alternative
    ///
    /// ## Remedy
    /// Read the exception and the stack above it in the previous log; fix the code or the input
    /// that triggers it, or roll back to the last version that worked.
    ///
    /// ## Not covered
    /// Native crashes by signal (`native-crash`), heap exhaustion (`runtime-heap-exhausted`).
    pub(crate) static UNHANDLED_EXCEPTION = {
        cause: UnhandledException, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    // A panic a library helper (client-go's `HandleCrash`) logs before re-raising it.
    Signature {
        id: "go-panic-observed",
        pattern: r#"Observed a panic: (?P<target>"[^"]+"|[^(]+)"#,
        example: r#"E0120 15:09:31.381317       1 runtime.go:78] Observed a panic: "invalid memory address or nil pointer dereference" (runtime error: invalid memory address or nil pointer dereference)"#,
        confidence: 0.8,
    },
    Signature {
        id: "go-panic",
        pattern: r"^(?:panic: |fatal error: )(?P<target>.+)",
        example: "panic: runtime error: invalid memory address or nil pointer dereference",
        confidence: 0.7,
    },
    Signature {
        id: "python-traceback",
        pattern: r"^Traceback \(most recent call last\):",
        example: "Traceback (most recent call last):",
        confidence: 0.6,
    },
    Signature {
        id: "python-exception-line",
        pattern: r"^(?P<target>(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception)): .+",
        example: "psycopg2.OperationalError: connection to server failed",
        confidence: 0.6,
    },
    Signature {
        id: "java-main-exception",
        pattern: r#"Exception in thread "[^"]+" (?P<target>[\w.$]+)"#,
        example: r#"Exception in thread "main" java.lang.IllegalStateException: boom"#,
        confidence: 0.7,
    },
    Signature {
        id: "dotnet-unhandled",
        pattern: r"^Unhandled [Ee]xception[.:]? (?P<target>[\w.]+)",
        example: "Unhandled exception. System.InvalidOperationException: Sequence contains no elements",
        confidence: 0.7,
    },
    Signature {
        id: "node-uncaught",
        pattern: r"(?:UnhandledPromiseRejection|Uncaught (?P<target>\w+)|triggerUncaughtException|node:internal/process/promises|^unhandledRejection: )",
        example: "node:internal/process/promises:288",
        confidence: 0.65,
    },
    Signature {
        id: "node-error-code",
        pattern: r"^(?:Uncaught )?(?P<target>(?:Type|Reference|Range|Syntax|System)?Error) \[(?:ERR|E)_[A-Z_]+\]: ",
        example: r#"TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string. Received undefined"#,
        confidence: 0.6,
    },
    Signature {
        id: "rust-panic",
        pattern: r"thread '[^']+' panicked at",
        example: "thread 'main' panicked at src/main.rs:10:5:",
        confidence: 0.7,
    },
    Signature {
        id: "spring-app-failed",
        pattern: r"(?:Application run failed|APPLICATION FAILED TO START)",
        example: "org.springframework.boot.SpringApplication: Application run failed",
        confidence: 0.6,
    },
    Signature {
        id: "ruby-uncaught",
        pattern: r"^\S+:\d+:in [`'][^']*': .* \((?P<target>[A-Z][A-Za-z0-9_]*(?:::[A-Z][A-Za-z0-9_]*)*)\)$",
        example: r"/app/app.rb:10:in `<main>': undefined method `foo' for nil:NilClass (NoMethodError)",
        confidence: 0.65,
    },
    Signature {
        id: "node-module-missing",
        pattern: r"^Error(?:: Cannot find module '(?P<target>[^'/][^']*)'| \[ERR_MODULE_NOT_FOUND\]: Cannot find (?:module|package) '(?P<esm>[^']+)')|^Cannot find (?:module|package) '(?P<bare>[^'/][^']*)' imported from ",
        example: r"Error: Cannot find module 'express'",
        confidence: 0.65,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    check_log_signatures(cx, out, &UNHANDLED_EXCEPTION, |s, hit| {
        let name = s.name();
        let what = hit
            .target
            .as_deref()
            .map_or_else(|| "an unhandled exception".to_owned(), |t| format!("`{t}`"));
        let steps = vec![
            format!(
                "read the exception and its stack in the previous log of `{name}` and fix the code path or input that raises it"
            ),
            "if it started with a new version, roll back to the previous one".to_owned(),
        ];
        (format!("container `{name}` crashes with {what}"), steps)
    });
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            "Unhandled Exception: System.InvalidOperationException: No service for type 'Api.IClock' has been registered.",
            "Error: Cannot find module 'btoa'",
            r#"TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string. Received undefined"#,
            "RangeError [ERR_SOCKET_BAD_PORT]: options.port should be >= 0 and < 65536. Received type number (NaN).",
            "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/fredy/mcp/mcpHttpRoute.js' imported from /fredy/lib/api/api.js",
            "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'express' imported from /app/index.js",
            "panic: runtime error: invalid memory address or nil pointer dereference",
            r#"Exception in thread "main" java.lang.NullPointerException"#,
            "Unhandled exception. System.InvalidOperationException: Unable to resolve service for type 'IFoo'",
            "thread 'main' panicked at 'called `Result::unwrap()` on an `Err` value: Os { code: 2, kind: NotFound }', src/main.rs:10:5",
            "TypeError: Cannot read properties of undefined (reading 'map')",
            "/app/app.rb:10:in `<main>': undefined method `foo' for nil:NilClass (NoMethodError)",
            "PHP Fatal error:  Uncaught Exception: boom in /var/www/html/index.php:3",
            "ModuleNotFoundError: No module named 'flask'",
            "Error: Cannot find module 'express'",
        ] {
            assert!(causes(line).contains(&"unhandled-exception"), "{line}");
        }
        for line in [
            "Error: Cannot find module '/app/dist/main.js'",
            "Segmentation fault (core dumped)",
        ] {
            assert!(!causes(line).contains(&"unhandled-exception"), "{line}");
        }
    }
}
