//! `bad-args`: the container's command, arguments or flags are wrong.

use super::{
    Evidence, Finding, RuleContext, Signature, WEAK, check_log_signatures, termination_evidence,
};

declare_rule! {
    /// ## What it detects
    /// A program that rejects its command line: an unknown flag or subcommand, a bad flag value,
    /// a usage message, a JVM option or main class it cannot find.
    ///
    /// ## Why it crash-loops
    /// The arguments are part of the pod spec, so every restart passes the same wrong arguments
    /// and the program exits within a second, usually with exit code 1 or 2.
    ///
    /// ## Evidence
    /// - a log line such as `flag provided but not defined: -x`, `unknown command "x"`,
    ///   `error: unrecognized arguments`, `Unrecognized option`, `Could not find or load main class` (strong)
    /// - exit code 2 (Go `flag`, Python `argparse`) and a run time under a few seconds
    /// - `command[0]` starting with `-` (a flag where the executable belongs; weak on its own)
    ///
    /// ## Remedy
    /// Fix `command`/`args` in the pod template: remove or rename the rejected flag, or use the
    /// image version that supports it.
    ///
    /// ## Not covered
    /// Missing executables (`command-not-found`), missing configuration values (`invalid-app-config`).
    pub(crate) static BAD_ARGS = {
        cause: "bad-args", kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "go-flag-undefined",
        cause: "bad-args",
        pattern: r"flag provided but not defined: (?P<target>-{1,2}[\w.-]+)",
        example: "flag provided but not defined: -enable-tracing",
        confidence: 0.85,
    },
    Signature {
        id: "cobra-unknown",
        cause: "bad-args",
        pattern: r#"(?i)\bunknown (?:command line flag|command|flag|shorthand flag|subcommand)[: ]+(?P<target>"[^"]+"|'[^']+'|-{1,2}[\w.-]+|\S+)"#,
        example: r#"An error occurred: unknown command "server-junk" for "velero""#,
        confidence: 0.85,
    },
    Signature {
        id: "argparse-unrecognized",
        cause: "bad-args",
        pattern: r"[Ee]rror: (?:unrecognized arguments|unrecognised arguments|the following arguments are required|argument [\w/-]+: invalid|[Nn]o such option|No such command):? ?(?P<target>.*)",
        example: "manage.py: error: unrecognized arguments: --workers=4",
        confidence: 0.85,
    },
    Signature {
        id: "invalid-flag-value",
        cause: "bad-args",
        pattern: r#"invalid (?:argument|value) "?(?P<target>[^"\s]*)"? for "?-{1,2}[\w.-]+"? flag"#,
        example: r#"invalid argument "fast" for "--log-level" flag: unknown level"#,
        confidence: 0.8,
    },
    Signature {
        id: "jvm-unrecognized-option",
        cause: "bad-args",
        pattern: r"(?:Unrecognized (?:VM )?option|Error: Could not find or load main class|Unknown option):? ?(?P<target>\S+)",
        example: "Unrecognized option: --enable-preview-x",
        confidence: 0.8,
    },
    Signature {
        id: "unknown-option-generic",
        cause: "bad-args",
        pattern: r#"(?i)(?:(?:unknown|unrecognized|invalid) (?:option|argument|command or argument)s?|\bbad option)[: ]+['"]?(?P<target>-{1,2}[\w.=-]+)"#,
        example: "nginx: invalid option: \"-x\"... unknown option: --foo",
        confidence: 0.75,
    },
    Signature {
        id: "clap-unexpected-argument",
        cause: "bad-args",
        pattern: r"(?:Found argument|unexpected argument) '(?P<target>[^']+)'(?: which wasn't expected| found)",
        example: "error: unexpected argument '--foo' found",
        confidence: 0.85,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    check_log_signatures(cx, out, &BAD_ARGS, |s, hit| {
        let name = s.name();
        let what = hit
            .target
            .as_deref()
            .map_or_else(|| "an argument".to_owned(), |t| format!("`{t}`"));
        let mut steps = vec![format!(
            "fix the command line of `{name}` in the pod template: the program rejects {what}"
        )];
        if let Some(cmd) = s.command_line() {
            steps.push(format!("current command/args: `{cmd}`"));
        }
        steps.push(
            "check the flags the image version supports (`--help` of the same tag)".to_owned(),
        );
        (
            format!("container `{name}` rejects its command line: {what}"),
            steps,
        )
    });
    // A flag where the executable belongs: kubelet runs `-x` as a program.
    for s in cx.crashlooping_containers() {
        let Some(first) = s.spec.command.first().filter(|c| c.starts_with('-')) else {
            continue;
        };
        if out
            .iter()
            .any(|f| f.subject == s.index && f.cause == BAD_ARGS.cause)
        {
            continue;
        }
        let mut f = Finding::new(&BAD_ARGS, s, WEAK + 0.25)
            .title(format!("container `{}` has a flag `{first}` as its command", s.name()))
            .evidence(Evidence::spec(s, "command[0]", first))
            .remedy("`command` replaces the image's entrypoint: move the flags to `args`, or put the executable first");
        if let Some(e) = termination_evidence(s) {
            f = f.evidence(e);
        }
        // The runtime's own words: `exec: "--flag": executable file not found in $PATH`.
        let field = format!("{}.message", s.last_termination_field());
        let runtime_says = s
            .last_termination()
            .and_then(|t| t.message.as_deref())
            .filter(|m| m.contains(&format!("exec: \"{first}\"")));
        if let Some(message) = runtime_says {
            f.confidence = super::STRONG;
            f = f.evidence(Evidence::status(s, &field, message));
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r#"time="2023-07-18T01:30:12Z" level=error msg="unknown flag: --diff-cache-use-old-rv""#,
            "ERROR: Unknown command line flag 'log-level'",
            "flag provided but not defined: -zap-level",
            "Error: unknown flag: --foo",
            "flag provided but not defined: -config",
            "Unrecognized option: --foo",
            "Error: Could not find or load main class com.example.App",
            "app.py: error: unrecognized arguments: --port 8080",
            "Error: No such option: --foo",
            "Error: No such command 'serve'.",
            "Unknown command: 'runserverr'",
            "Unrecognized command or argument '--foo'.",
            "node: bad option: --foo",
            "error: Found argument '--foo' which wasn't expected, or isn't valid in this context",
            "error: unexpected argument '--foo' found",
            r#"Error: unknown command "serve" for "app""#,
        ] {
            assert!(causes(line).contains(&"bad-args"), "{line}");
        }
        for line in [
            "/bin/sh: 1: gunicorn: not found",
            "KeyError: 'DATABASE_URL'",
        ] {
            assert!(!causes(line).contains(&"bad-args"), "{line}");
        }
        let hits = crate::logscan::scan_message("ERROR: Unknown command line flag 'log-level'");
        assert!(
            hits.iter()
                .any(|h| h.target.as_deref() == Some("log-level"))
        );
    }
}
