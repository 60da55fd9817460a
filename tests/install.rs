//! `ktriage completions SHELL` and `ktriage man`: generated from the clap definition, so each
//! visible subcommand and every flag of `analyze` appears in them, and the generator of synthetic
//! bundles (`cargo dev generate`, not part of the binary) does not.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers too: a panic with its location is the failure report"
)]

use std::path::Path;
use std::process::Command;

use clap::CommandFactory;
use ktriage::Cli;

const BIN: &str = env!("CARGO_BIN_EXE_ktriage");

/// `ktriage ARGS`: stdout, which must be all there is (exit 0, nothing on stderr).
fn ktriage(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ktriage {args:?}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The visible subcommands, as `ktriage --help` lists them.
fn subcommands() -> Vec<String> {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_owned())
        .collect();
    for expected in ["analyze", "merge", "rules", "explain", "completions", "man"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    names
}

/// Every long flag of `ktriage analyze`.
fn analyze_flags() -> Vec<String> {
    let cmd = Cli::command();
    let analyze = cmd.find_subcommand("analyze").unwrap();
    let flags: Vec<String> = analyze
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect();
    assert!(flags.len() > 10, "{flags:?}");
    flags
}

#[test]
fn bash_completes_every_subcommand_and_analyze_flag() {
    let script = ktriage(&["completions", "bash"]);
    assert!(script.contains("complete -F _ktriage"), "{script}");
    for sub in subcommands() {
        assert!(
            script.contains(&format!("ktriage__subcmd__{sub})")),
            "{sub}"
        );
    }
    assert!(
        !script.contains("generate"),
        "development command completed"
    );
    let analyze = script
        .split("ktriage__subcmd__analyze)")
        .nth(1)
        .expect("a case for `ktriage analyze`");
    let analyze = &analyze[..analyze.find(";;").unwrap()];
    for flag in analyze_flags() {
        assert!(analyze.contains(&flag), "analyze completion lacks {flag}");
    }
    // Values of an enum flag are completed too.
    assert!(script.contains("table json markdown"), "{script}");
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in [
        ("bash", "complete -F _ktriage"),
        ("zsh", "#compdef ktriage"),
        ("fish", "complete -c ktriage"),
        ("elvish", "edit:completion:arg-completer[ktriage]"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'ktriage'",
        ),
    ] {
        let script = ktriage(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("analyze") && script.contains("min-severity"),
            "{shell}"
        );
        assert!(
            !script.contains("generate"),
            "{shell}: development command completed"
        );
    }
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'tcsh'"));
}

/// Checks `page` is a man page of `title` and that groff (where installed) reads it without a
/// warning.
fn assert_man_page(page: &str, title: &str) {
    let th = page.lines().find(|l| l.starts_with(".TH ")).unwrap();
    assert_eq!(
        th,
        format!(
            ".TH {title} 1 \\& \"ktriage {}\" \"ktriage manual\"",
            env!("CARGO_PKG_VERSION")
        )
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
        assert!(page.contains(section), "{title} lacks {section}");
    }
    // Every request is one of the man macros or roff requests clap_mangen writes.
    for line in page.lines().filter(|l| l.starts_with('.')) {
        let request = line[1..].split_whitespace().next().unwrap_or("");
        assert!(
            [
                "TH", "SH", "SS", "TP", "PP", "IP", "RS", "RE", "br", "B", "I", "ie", "el", "nh",
                "ad", "\\\""
            ]
            .contains(&request),
            "{title}: unexpected roff request {line:?}"
        );
    }
    let Ok(mut groff) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        return;
    };
    std::io::Write::write_all(&mut groff.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "groff on {title}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_man_page_lists_the_subcommands() {
    let page = ktriage(&["man"]);
    assert_man_page(&page, "KTRIAGE");
    let listed = &page[page.find(".SH SUBCOMMANDS").expect("a SUBCOMMANDS section")..];
    for sub in subcommands() {
        assert!(listed.contains(&format!("ktriage\\-{sub}(1)")), "{sub}");
    }
    assert!(
        !page.contains("generate"),
        "development command in the man page"
    );
    // The exit status, from the long about.
    assert!(page.contains("Exit status: 0 no findings"), "{page}");
}

#[test]
fn man_dir_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("man1");
    let printed = ktriage(&["man", "--dir", into.to_str().unwrap()]);
    let mut expected = vec![into.join("ktriage.1")];
    expected.extend(
        subcommands()
            .iter()
            .map(|s| into.join(format!("ktriage-{s}.1"))),
    );
    let printed: Vec<&Path> = printed.lines().map(Path::new).collect();
    assert_eq!(printed, expected);
    let mut files: Vec<_> = std::fs::read_dir(&into)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    expected.sort();
    assert_eq!(files, expected);

    let top = std::fs::read_to_string(into.join("ktriage.1")).unwrap();
    assert_eq!(top, ktriage(&["man"]));
    let analyze = std::fs::read_to_string(into.join("ktriage-analyze.1")).unwrap();
    assert_man_page(&analyze, "KTRIAGE-ANALYZE");
    for flag in analyze_flags() {
        // roff escapes the dashes of an option: \-\-format.
        assert!(
            analyze.contains(&flag.replace('-', "\\-")),
            "ktriage-analyze.1 lacks {flag}"
        );
    }
}
