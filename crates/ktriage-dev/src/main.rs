//! `cargo dev`: ktriage's development commands (see the library's documentation).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use ktriage_dev::generate::{GenOptions, write_bundles};
use ktriage_dev::scaffold::{Unit, scaffold};

#[derive(Debug, Parser)]
#[command(name = "cargo dev", about = "ktriage's development commands")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write large, realistic, deterministic synthetic bundles (`DIR/<cluster>.tar.gz`) and
    /// print their paths: the benchmark's data. Same options, same bytes.
    Generate(GenerateArgs),
    /// Rewrite the sample bundles (`samples/`) and their `expected.tsv`: deterministic, so a
    /// rerun rewrites the same bytes.
    Samples(SamplesArgs),
    /// Write a new rule: `src/rules/<id>.rs` with its documentation sections, the cause id,
    /// its registry entry and a fixture pair to edit (see CONTRIBUTING.md).
    NewRule(NewArgs),
    /// Write a new correlation: `src/correlations/<id>.rs`, the cause id, its entry in
    /// `CORRELATIONS` and a fixture pair to edit (see CONTRIBUTING.md).
    NewCorrelation(NewArgs),
}

#[derive(Debug, Args)]
struct NewArgs {
    /// The cause id, kebab-case (`quota-exceeded`).
    id: String,
    /// What it detects, one sentence: the first line of its documentation.
    #[arg(long)]
    summary: String,
}

#[derive(Debug, Args)]
struct SamplesArgs {
    /// Directory the samples are written to (its sample directories are replaced).
    #[arg(long, value_name = "DIR", default_value_os_t = default_samples_dir())]
    out: PathBuf,
}

/// The repository's `samples/`, wherever `cargo dev` is run from.
fn default_samples_dir() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .join("samples")
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Pods per cluster.
    #[arg(long, default_value_t = 5000)]
    pods: usize,
    /// Share of pods that crash-loop, in percent.
    #[arg(long, default_value_t = 5.0)]
    crashloop_percent: f64,
    /// Number of clusters; one bundle each.
    #[arg(long, default_value_t = 1)]
    clusters: usize,
    /// Seed of every random choice (same seed, same bytes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Lines of each crash-looping container's previous log.
    #[arg(long, default_value_t = 1000)]
    log_lines: usize,
    /// Directory the bundles are written to.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo dev: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate(args) => {
            let opts = GenOptions {
                pods: args.pods,
                crashloop_percent: args.crashloop_percent,
                clusters: args.clusters,
                seed: args.seed,
                log_lines: args.log_lines,
            };
            let paths = write_bundles(&opts, &args.out)
                .with_context(|| format!("cannot write bundles to `{}`", args.out.display()))?;
            let mut stdout = io::stdout().lock();
            for path in paths {
                writeln!(stdout, "{}", path.display())?;
            }
            Ok(())
        }
        Command::NewRule(args) => new(Unit::Rule, &args),
        Command::NewCorrelation(args) => new(Unit::Correlation, &args),
        Command::Samples(args) => {
            let written = ktriage_dev::samples::write_samples(&args.out)
                .with_context(|| format!("cannot write the samples to `{}`", args.out.display()))?;
            writeln!(
                io::stdout().lock(),
                "{written} files written to {}",
                args.out.display()
            )?;
            Ok(())
        }
    }
}

/// Scaffolds a rule or correlation in this repository, formats it, and says what is next.
fn new(unit: Unit, args: &NewArgs) -> Result<()> {
    let root = default_samples_dir()
        .parent()
        .map(Path::to_path_buf)
        .context("the repository's root")?;
    let written = scaffold(&root, unit, &args.id, &args.summary)?;
    let mut stdout = io::stdout().lock();
    for path in &written {
        writeln!(
            stdout,
            "{}",
            path.strip_prefix(&root).unwrap_or(path).display()
        )?;
    }
    // rustfmt lays out the registry's import list again; a failure only leaves it unformatted.
    let formatted = std::process::Command::new("cargo")
        .args(["fmt", "--all"])
        .current_dir(&root)
        .status()
        .is_ok_and(|s| s.success());
    if !formatted {
        writeln!(
            stdout,
            "(run `cargo fmt --all`: the edited lists are not formatted)"
        )?;
    }
    writeln!(
        stdout,
        "next: edit the two fixtures into real cases, write the signatures and the check, then \
         `cargo test --workspace` (CONTRIBUTING.md)"
    )?;
    Ok(())
}
