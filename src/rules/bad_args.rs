//! `bad-args`: the container's command, arguments or flags are wrong.

use std::sync::LazyLock;

use regex::Regex;

use super::helpers::start_messages;
use super::{Evidence, Finding, RuleContext, Signature, WEAK, check_log_signatures};

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
    /// - the runtime's start error naming a flag as the program it could not find (`exec:
    ///   "-port=80": executable file not found in $PATH`): a flag in `command`, or `args` with no
    ///   `command` for an image with no ENTRYPOINT (strong, with or without the spec)
    ///
    /// ## Remedy
    /// Fix `command`/`args` in the pod template: remove or rename the rejected flag, or use the
    /// image version that supports it.
    ///
    /// ## Not covered
    /// Missing executables (`command-not-found`), missing configuration values (`invalid-app-config`).
    pub(crate) static BAD_ARGS = {
        cause: BadArgs, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "go-flag-undefined",
        pattern: r"flag provided but not defined: (?P<target>-{1,2}[\w.-]+)",
        example: "flag provided but not defined: -enable-tracing",
        confidence: 0.85,
    },
    Signature {
        id: "cobra-unknown",
        pattern: r#"(?i)\bunknown (?:command line flag|command|flag|shorthand flag|subcommand)[: ]+(?P<target>"[^"]+"|'[^']+'|-{1,2}[\w.-]+|\S+)"#,
        example: r#"An error occurred: unknown command "server-junk" for "velero""#,
        confidence: 0.85,
    },
    Signature {
        id: "argparse-unrecognized",
        pattern: r"[Ee]rror: (?:unrecognized arguments|unrecognised arguments|the following arguments are required|argument [\w/-]+: invalid|[Nn]o such option|No such command):? ?(?P<target>.*)",
        example: "manage.py: error: unrecognized arguments: --workers=4",
        confidence: 0.85,
    },
    Signature {
        id: "invalid-flag-value",
        pattern: r#"invalid (?:argument|value) "?(?P<target>[^"\s]*)"? for "?-{1,2}[\w.-]+"? flag"#,
        example: r#"invalid argument "fast" for "--log-level" flag: unknown level"#,
        confidence: 0.8,
    },
    Signature {
        id: "jvm-unrecognized-option",
        pattern: r"(?:Unrecognized (?:VM )?option|Error: Could not find or load main class|Unknown option):? ?(?P<target>\S+)",
        example: "Unrecognized option: --enable-preview-x",
        confidence: 0.8,
    },
    Signature {
        id: "unknown-option-generic",
        pattern: r#"(?i)(?:(?:unknown|unrecognized|invalid) (?:option|argument|command or argument)s?|\bbad option)[: ]+['"]?(?P<target>-{1,2}[\w.=-]+)"#,
        example: "nginx: invalid option: \"-x\"... unknown option: --foo",
        confidence: 0.75,
    },
    Signature {
        id: "clap-unexpected-argument",
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
    // A flag where the executable belongs: the runtime runs `-x` as a program. The spec shows
    // it (`command` starting with a flag, or `args` with no `command`, whose first word replaces
    // the image's CMD), or the runtime's start error names it: `exec: "-port=80": executable file
    // not found in $PATH`.
    for s in cx.crashlooping_containers() {
        if out
            .iter()
            .any(|f| f.subject == s.index && f.cause == BAD_ARGS.cause)
        {
            continue;
        }
        let in_command = s.spec.command.first().filter(|c| c.starts_with('-'));
        let runtime_says = start_messages(s).into_iter().find_map(|(e, text)| {
            let target = FLAG_EXECUTED.captures(text)?.get(1)?.as_str();
            Some((e, target))
        });
        // `args` starting with a flag and no `command` is the norm for images whose ENTRYPOINT
        // is the program; it matters only when the runtime says it ran the flag.
        let in_args = s.spec.args.first().filter(|a| {
            s.spec.command.is_empty() && runtime_says.as_ref().is_some_and(|(_, t)| t == a)
        });
        let (first, field) = match (in_command, in_args, &runtime_says) {
            (Some(c), _, _) => (c.as_str(), Some("command[0]")),
            (None, Some(a), _) => (a.as_str(), Some("args[0]")),
            (None, None, Some((_, target))) => (*target, None),
            (None, None, None) => continue,
        };
        let name = s.name();
        let title = if field == Some("args[0]") {
            format!(
                "container `{name}` has `args` but no `command`, and the image no ENTRYPOINT: the runtime runs the flag `{first}` as its program"
            )
        } else {
            format!("container `{name}` has a flag `{first}` as its command")
        };
        let mut f = Finding::new(&BAD_ARGS, s, WEAK + 0.25)
            .title(title)
            .remedy("the first word of `command` (or of `args`, when `command` is unset and the image has no ENTRYPOINT) is the program that runs: put the executable first and the flags in `args`");
        if let Some((e, target)) = runtime_says.filter(|(_, t)| *t == first) {
            // The runtime's own words settle it.
            f.confidence = super::STRONG;
            f = f.evidence(e);
            if field.is_none() {
                f = f.note(format!(
                    "the bundle shows no `command` or `args` of `{name}`: the flag `{target}` comes from the runtime's message"
                ));
            }
        }
        if let Some(field) = field {
            f = f.evidence(Evidence::spec(s, field, first));
        }
        f = f.termination(s);
        out.push(f);
    }
}

/// The runtime's start error when the program it was told to run is a flag.
static FLAG_EXECUTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"exec: \\?"(-[^"\\]*)\\?": (?:executable file not found|stat |no such file)"#)
        .expect("valid pattern")
});

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
        let hits = crate::rules::registry::SCANNER
            .scan_message("ERROR: Unknown command line flag 'log-level'");
        assert!(
            hits.iter()
                .any(|h| h.target.as_deref() == Some("log-level"))
        );
    }
}
