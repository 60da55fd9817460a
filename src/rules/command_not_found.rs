//! `command-not-found`: the executable, its interpreter or a shared library it needs is missing.

use std::sync::LazyLock;

use regex::Regex;

use super::helpers::{compile, is_start_candidate, match_signature, start_messages};
use super::{CERTAIN, Evidence, Finding, POSSIBLE, RuleContext, Signature, best_hit};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// A container whose command cannot be found: the executable is not in the image or not on
    /// its `$PATH`, a script's interpreter is missing (`#!/bin/bash` on Alpine) or has Windows line
    /// endings (`/bin/sh^M`), or the binary needs a shared library the image lacks.
    ///
    /// ## Why it crash-loops
    /// The image and the command do not change between restarts, so the start fails every time:
    /// the runtime reports `StartError` (exit code 128), or a shell wrapper exits with 127.
    ///
    /// ## Evidence
    /// - `exec: "x": executable file not found in $PATH` or `exec: "x": stat x: no such file or directory`
    ///   in the `StartError`/`RunContainerError` message or a `Failed` event (certain)
    /// - log lines `sh: 1: x: not found`, `exec /entrypoint.sh: no such file or directory`,
    ///   `/usr/bin/env: 'bash\r': No such file or directory`, `bad interpreter`,
    ///   `error while loading shared libraries: libx.so` (strong with exit code 127)
    /// - exit code 127 alone (possible)
    ///
    /// ## Remedy
    /// Fix `command` (it replaces the image's ENTRYPOINT; `args` replaces CMD) to an executable that
    /// exists, use an absolute path, install the binary, interpreter or library in the image, or
    /// convert the script to Unix line endings.
    ///
    /// ## Not covered
    /// A flag where the executable belongs (`exec: "-x"`, `bad-args`), an executable without the execute
    /// bit (`not-executable`), the wrong CPU architecture (`exec-format`).
    pub(crate) static COMMAND_NOT_FOUND = {
        cause: CommandNotFound, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "oci-executable-not-found",
        // A leading `-` is a flag in the executable's place: that is `bad-args`.
        pattern: r#"exec: \\?"(?P<target>[^"\\-][^"\\]*)\\?": (?:executable file not found in \$PATH|stat [^:]+: no such file or directory)"#,
        example: r#"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "gunicorn": executable file not found in $PATH: unknown"#,
        confidence: 0.9,
    },
    Signature {
        id: "crlf-interpreter",
        pattern: r"(?:: (?P<target>/\S+?)(?:\^M|\r): bad interpreter|env: [‘']?(?P<interp>[^‘'’:]+?)(?:\\r|\r)[’']?: No such file or directory)",
        example: "/bin/bash: /docker-entrypoint.sh: /bin/sh^M: bad interpreter: No such file or directory",
        confidence: 0.9,
    },
    Signature {
        id: "missing-interpreter",
        pattern: r"(?:: (?P<target>/\S+): bad interpreter: No such file or directory|env: [‘']?(?P<interp>[^‘'’:\\]+)[’']?: No such file or directory|env: can't execute '(?P<interp2>[^']+)')",
        example: "/usr/bin/env: 'bash': No such file or directory",
        confidence: 0.85,
    },
    Signature {
        id: "exec-no-such-file",
        pattern: r"^(?:exec (?P<target>/\S+): no such file or directory|standard_init_linux\.go:\d+: exec user process caused:? no such file or directory)",
        example: "exec /docker-entrypoint.sh: no such file or directory",
        confidence: 0.85,
    },
    Signature {
        id: "shell-not-found",
        pattern: r"(?:^|\s)(?:(?:/bin/|/usr/bin/)?(?:sh|bash|ash|dash|zsh)(?:: line \d+)?: (?:\d+: )?(?:exec: )?|/\S+: line \d+: exec: )(?P<target>[^:\s]+): (?:not found|command not found)$",
        example: "/bin/sh: 1: gunicorn: not found",
        confidence: 0.85,
    },
    Signature {
        id: "shared-library",
        pattern: r"error while loading shared libraries: (?P<target>\S+?): cannot open shared object file|version `(?P<glibc>GLIBC_[\d.]+)' not found|Error relocating .*: symbol not found",
        example: "/app/server: error while loading shared libraries: libssl.so.1.1: cannot open shared object file: No such file or directory",
        confidence: 0.9,
    },
    Signature {
        id: "entry-script-missing",
        pattern: r"(?:^python[0-9.]*: can't open file|^Error: Cannot find module) '(?P<target>/[^']+)'",
        example: r"python: can't open file '/app/main.py': [Errno 2] No such file or directory",
        confidence: 0.85,
    },
    Signature {
        id: "jarfile-missing",
        pattern: r"^Error: Unable to access jarfile (?P<target>\S+)",
        example: "Error: Unable to access jarfile /app/app.jar",
        confidence: 0.85,
    },
];

static REGEXES: LazyLock<Vec<Regex>> = LazyLock::new(|| compile(SIGNATURES));

/// What was found missing, and how.
struct Missing {
    signature: &'static Signature,
    target: Option<String>,
    evidence: Evidence,
    text: String,
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    for s in cx.subjects.iter().filter(|s| is_start_candidate(s)) {
        let code = s.exit_code();
        let from_start = start_messages(s).into_iter().find_map(|(e, text)| {
            let (signature, target) = match_signature(SIGNATURES, &REGEXES, text)?;
            Some(Missing {
                signature,
                target,
                evidence: e,
                text: text.to_owned(),
            })
        });
        let from_log = || {
            let hit = best_hit(s, COMMAND_NOT_FOUND.cause)?;
            Some(Missing {
                signature: hit.signature,
                target: hit.target.clone().or_else(|| interpreter_of(&hit.text)),
                evidence: Evidence::log_hit(s, hit),
                text: hit.text.clone(),
            })
        };
        let (confidence, missing) = match (from_start, code) {
            (Some(m), _) => (CERTAIN, Some(m)),
            (None, _) => match from_log() {
                Some(m) if code == Some(127) || code == Some(128) => (0.93, Some(m)),
                // A not-found line while the container exits otherwise may be a side issue.
                Some(m) => (m.signature.confidence.min(0.7), Some(m)),
                None if code == Some(127) => (POSSIBLE + 0.1, None),
                None => continue,
            },
        };
        if missing
            .as_ref()
            .and_then(|m| m.target.as_deref())
            .is_some_and(|t| t.starts_with('-'))
        {
            continue;
        }
        out.push(finding(s, confidence, missing.as_ref()));
    }
}

fn finding(s: &Subject<'_>, confidence: f64, missing: Option<&Missing>) -> Finding {
    let name = s.name();
    let image = &s.spec.image;
    let target = missing.and_then(|m| m.target.clone()).unwrap_or_default();
    let id = missing.as_ref().map_or("", |m| m.signature.id);
    let crlf = missing.as_ref().is_some_and(|m| {
        id == "crlf-interpreter" || m.text.contains("^M") || m.text.contains('\r')
    });
    let title = match (id, target.is_empty()) {
        ("oci-executable-not-found", false) => {
            format!("container `{name}` cannot start: `{target}` is not found in image `{image}`")
        }
        _ if crlf => format!(
            "container `{name}` cannot run its script: the interpreter line has Windows line endings (CRLF)"
        ),
        ("missing-interpreter" | "exec-no-such-file", false) => format!(
            "container `{name}` cannot run `{target}`: the file or its `#!` interpreter is missing from the image"
        ),
        ("shell-not-found", false) => {
            format!("container `{name}` exits 127: the shell cannot find `{target}`")
        }
        ("shared-library", false) => format!(
            "container `{name}` cannot start its binary: shared library `{target}` is missing from the image"
        ),
        ("shared-library", true) => format!(
            "container `{name}` cannot start its binary: the image's C library does not match (glibc vs musl)"
        ),
        _ => format!("container `{name}` exits with code 127 (command not found)"),
    };
    let mut f = Finding::new(&COMMAND_NOT_FOUND, s, confidence).title(title);
    if let Some(m) = missing {
        f = f.evidence(m.evidence.clone());
    }
    f = f.termination(s).waiting(s);
    if let Some(cmd) = s.command_line() {
        f = f.evidence(Evidence::spec(s, "command", cmd));
    }
    f = remedy(s, f, id, crlf, &target);
    if !target.is_empty()
        && let Some(m) = shadowing_mount(s, &target)
    {
        f = f
            .evidence(Evidence::spec(
                s,
                &format!("volumeMounts[{}]", m.0),
                format!("mountPath {}", m.1),
            ))
            .remedy(format!(
                "volume `{}` is mounted at `{}` and hides the image's files there: move the mount to another path",
                m.0, m.1
            ));
    }
    let ns = &s.pod.metadata.namespace;
    let pod = &s.pod.metadata.name;
    f.command(format!(
        "kubectl -n {ns} get pod {pod} -o jsonpath='{{.spec.{}[?(@.name==\"{name}\")].command}}'",
        s.kind.spec_list()
    ))
    .command(format!(
        "kubectl -n {ns} debug -it {pod} --copy-to={pod}-debug --container={name} -- sh"
    ))
}

/// The remedy for what is missing (`id` is the signature that found it).
fn remedy(s: &Subject<'_>, f: Finding, id: &str, crlf: bool, target: &str) -> Finding {
    let name = s.name();
    let image = &s.spec.image;
    match id {
        _ if crlf => f
            .remedy(format!(
                "convert the entrypoint script of `{image}` to Unix line endings (`dos2unix`, or `*.sh text eol=lf` in `.gitattributes`) and rebuild"
            )),
        "oci-executable-not-found" if s.spec.command.is_empty() => f.remedy(format!(
            "the image's own ENTRYPOINT/CMD names `{target}`, which is not in `{image}`: fix the image, or set `command` to an executable that exists"
        )),
        "oci-executable-not-found" => f
            .remedy(format!(
                "`command` of `{name}` runs `{target}`, which `{image}` does not have on its $PATH: use the right name or an absolute path, or install it in the image"
            ))
            .remedy("`command` replaces the image's ENTRYPOINT and `args` replaces its CMD: to pass arguments to the image's own entrypoint, use `args` only"),
        "missing-interpreter" | "exec-no-such-file" => f.remedy(format!(
            "the script `{target}` or the interpreter of its `#!` line is not in `{image}` (Alpine images have `sh`, not `bash`): install it or change the `#!` line; check also for CRLF line endings"
        )),
        "entry-script-missing" | "jarfile-missing" => f.remedy(format!(
            "the program file `{target}` that `{name}` starts is not in `{image}`: check the path in `command`/`args` against the image's WORKDIR and COPY steps, or a volume mounted over that directory"
        )),
        "shell-not-found" => f.remedy(format!(
            "`{target}` is not installed in `{image}` or not on the $PATH the shell uses: install it, or call it by its absolute path"
        )),
        "shared-library" => f.remedy(format!(
            "install the package that provides `{}` in `{image}`, or build the binary on the same base image it runs on (glibc vs musl)",
            if target.is_empty() { "the library" } else { target }
        )),
        _ => f.remedy(format!(
            "a command run by `{name}` is not found: read the previous log for the name, and check `command`/`args` against the image"
        )),
    }
}

/// The interpreter a log line names when the pattern captured it under another group.
fn interpreter_of(line: &str) -> Option<String> {
    let sig = SIGNATURES.iter().zip(REGEXES.iter());
    for (_, re) in sig {
        if let Some(c) = re.captures(line) {
            for g in ["interp", "interp2", "glibc"] {
                if let Some(m) = c.name(g) {
                    return Some(m.as_str().trim_end_matches("\\r").to_owned());
                }
            }
        }
    }
    None
}

/// A volume mounted over the directory of an absolute `path` (name, mountPath), excluding the
/// service-account token mount.
fn shadowing_mount<'a>(s: &Subject<'a>, path: &str) -> Option<(&'a str, &'a str)> {
    if !path.starts_with('/') {
        return None;
    }
    s.spec
        .volume_mounts
        .iter()
        .filter(|m| !m.mount_path.starts_with("/var/run/secrets/"))
        .find(|m| {
            let dir = m.mount_path.trim_end_matches('/');
            path.starts_with(&format!("{dir}/"))
        })
        .map(|m| (m.name.as_str(), m.mount_path.as_str()))
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r#"OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "uvicorn": executable file not found in $PATH: unknown"#,
            r#"Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "gunicorn": executable file not found in $PATH: unknown"#,
            "/bin/sh: 1: gunicorn: not found",
            "Error: Unable to access jarfile /opt/app/service.jar",
            "/docker-entrypoint.sh: line 5: exec: gunicorn: not found",
            "/bin/sh: 1: exec: /app/run.sh: not found",
            "exec /docker-entrypoint.sh: no such file or directory",
            r"/usr/bin/env: 'bash\r': No such file or directory",
            "env: can't execute 'bash': No such file or directory",
            "python: can't open file '/app/main.py': [Errno 2] No such file or directory",
            "python3: can't open file '/usr/src/app/manage.py': [Errno 2] No such file or directory",
            "Error: Cannot find module '/app/dist/main.js'",
        ] {
            assert!(causes(line).contains(&"command-not-found"), "{line}");
        }
        for line in [
            "exec /app/server: exec format error",
            "/bin/sh: 1: exec: /entrypoint.sh: Permission denied",
            "Error: Cannot find module 'express'",
        ] {
            assert!(!causes(line).contains(&"command-not-found"), "{line}");
        }
    }
}
