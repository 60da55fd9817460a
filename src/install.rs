//! Installation files generated from the clap definition in `cli.rs`: shell completion scripts
//! (`ktriage completions SHELL`) and man pages (`ktriage man`). Nothing here is written by hand,
//! so every flag and subcommand shows up with its `--help` text. Reads no input.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::Man;

use crate::cli::Cli;

/// The binary's name, as completions register it and man pages title it.
const BIN: &str = "ktriage";

/// Writes the completion script for `shell` to `out`.
///
/// # Errors
/// Only those of `out`.
pub(crate) fn write_completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    // clap_complete panics on a failed write; render to memory, then write once.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut visible_command(), BIN, &mut script);
    out.write_all(&script)
}

/// The command without its hidden subcommands, which clap_complete would offer too: the
/// top-level arguments (global ones included) and the visible subcommands.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned());
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd.subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

/// Writes the man page ktriage(1) in roff to `out`.
///
/// # Errors
/// Only those of `out`.
pub(crate) fn write_man_page(out: &mut dyn Write) -> io::Result<()> {
    page(command()).render(out)
}

/// Writes `ktriage.1` and one `ktriage-SUBCOMMAND.1` per visible subcommand into `dir`
/// (created if missing), and returns the files written, in that order.
///
/// # Errors
/// When `dir` cannot be created or a page cannot be written.
pub(crate) fn write_man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let cmd = command();
    let mut written = vec![page(cmd.clone()).generate_to(dir)?];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written.push(page(sub.clone()).generate_to(dir)?);
    }
    Ok(written)
}

/// The command as the pages show it: built (subcommands get their `ktriage-NAME` display
/// names) and without clap's `help` subcommand, which needs no page.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// One page of section 1, its title in capitals as man pages have it (`.TH KTRIAGE-ANALYZE 1`).
/// No date, so a page is the same whatever day it is built: `\&` (nothing) holds the date's
/// place, or roff would take the source for the date.
fn page(cmd: clap::Command) -> Man {
    let title = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_uppercase();
    Man::new(cmd)
        .title(title)
        .date("\\&")
        .source(concat!("ktriage ", env!("CARGO_PKG_VERSION")))
        .manual("ktriage manual")
}
