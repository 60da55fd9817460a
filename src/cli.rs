//! Command-line flags (clap) and their resolution into a validated `Config`.
//!
//! Parsing does no I/O; `Config::resolve` checks selections, shards and limits.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::bundle::Limits;
use crate::finding::Severity;
use crate::report::{ColorChoice, Format};
use crate::rules::registry::RuleSet;

/// Offline CrashLoopBackOff triage for Kubernetes support bundles.
///
/// Exit status: 0 no findings at or above --min-severity, 1 findings, 2 an input or the run
/// failed (the other bundles are still analyzed and reported). A broken pipe exits quietly.
#[derive(Debug, Parser)]
#[command(name = "ktriage", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze bundles, bundle directories, or folders holding many bundles.
    Analyze(AnalyzeArgs),
    /// Merge the JSON reports of shards into one (re-ranked, fleet recomputed).
    Merge(MergeArgs),
    /// Compare two bundles (or JSON reports) of one cluster: findings new, resolved and
    /// persisting, pod templates and nodes changed.
    Diff(DiffArgs),
    /// Serve bundles as a read-only Kubernetes API for kubectl, one context per bundle.
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
    /// Start $SHELL with KUBECONFIG set to bundles served as `serve` does; the server stops
    /// when the shell exits.
    #[cfg(feature = "serve")]
    Shell(ServeArgs),
    /// List the causes ktriage reports.
    Rules {
        /// Output format: `table` (one cause a line) or `json`.
        #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Print what a cause means, its signals and its remedy.
    Explain {
        /// A cause or correlation id as `ktriage rules` lists them, or a Kubernetes reason
        /// (`OOMKilled`, `CrashLoopBackOff`, `ImagePullBackOff`, `CreateContainerConfigError`).
        cause: String,
    },
    // Installation files, generated from this definition (src/install.rs).
    /// Print the shell completion script for SHELL.
    Completions(CompletionsArgs),
    /// Print the man page ktriage(1) in roff, or write a page per subcommand with --dir.
    Man(ManArgs),
}

/// `ktriage analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Bundles (.tar.gz, .tgz, .tar, directories, cluster-info dump files) or folders of bundles.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE instead of standard output (`-`: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Only findings in these namespaces (comma-separated, repeatable).
    #[arg(long = "namespace", value_delimiter = ',', value_name = "NS,...")]
    pub namespaces: Vec<String>,
    /// Only findings in these clusters (comma-separated, repeatable).
    #[arg(long = "cluster", value_delimiter = ',', value_name = "NAME,...")]
    pub clusters: Vec<String>,
    /// Only these causes (comma-separated cause ids).
    #[arg(long, value_delimiter = ',', value_name = "CAUSE,...")]
    pub select: Vec<String>,
    /// Never these causes (comma-separated cause ids).
    #[arg(long, value_delimiter = ',', value_name = "CAUSE,...")]
    pub ignore: Vec<String>,
    /// Only findings at or above this severity; also sets what makes the exit status 1.
    #[arg(long, value_name = "LEVEL", default_value = "low", value_parser = severity_parser())]
    pub min_severity: Severity,
    /// Analyze the K-th of N equal shares of the inputs (0-based), e.g. `--shard 0/4`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Largest single file read from a bundle, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub max_entry_size: u64,
    /// Most bytes one bundle may decompress to, in MiB (a larger one is refused as a bomb).
    #[arg(long, value_name = "MIB", default_value_t = 16384)]
    pub max_bundle_size: u64,
    /// Most entries (files) one bundle may hold.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_entries: u64,
    /// No progress display or warnings on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Table: colour severities when stdout is a terminal and NO_COLOR is unset or empty
    /// (auto), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
    /// Table: list at most N findings, the rest counted [default: 25].
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub limit: Option<usize>,
    /// Table: list every finding (and every fleet group).
    #[arg(long)]
    pub all: bool,
    /// Table: every detail of each finding (all evidence, remedies, commands, alternatives,
    /// notes) instead of its 2-4 line summary.
    #[arg(short, long)]
    pub verbose: bool,
}

/// `ktriage serve` and `ktriage shell`.
#[cfg(feature = "serve")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Bundles (archives, directories, cluster-info dump files) of any format `analyze` reads;
    /// each is one cluster, one kubeconfig context named after it.
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// Port to listen on (default: a free port).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// Address to listen on. Loopback by default: the bundles are served to anyone who can
    /// connect, without authentication.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub address: std::net::IpAddr,
    /// Write the kubeconfig to FILE (serve: default a file in the temporary directory, named
    /// on stdout as an `export KUBECONFIG=` line; shell: default a temporary file removed when
    /// the shell exits).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// For testing clients: make the server show a cluster condition (repeatable):
    /// `forbid-namespace=NS` (403 for NS, and for lists across namespaces),
    /// `forbid-namespace-list`, `forbid-resource=KIND`, `aggregated-api-down`
    /// (`metrics.k8s.io/v1beta1` answers 503), `page-size=N` (lists with `limit` come in pages
    /// of at most N).
    #[arg(long, value_name = "CONDITION")]
    pub simulate: Vec<String>,
}

/// `ktriage merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written by `ktriage analyze --format json`.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Write the merged report to FILE instead of standard output (`-`: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only findings at or above this severity.
    #[arg(long, value_name = "LEVEL", default_value = "low", value_parser = severity_parser())]
    pub min_severity: Severity,
}

/// `ktriage diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when NEW has no finding (all of OLD's are resolved), \
    1 when NEW has new or persisting findings, 2 when an input cannot be read or the two are \
    not of one cluster (without --force). \
    One cluster: the same kube-system namespace uid, else the same cluster name recorded by the \
    bundles, else at least one node name in common. \
    Template and node changes need two bundles; a JSON report holds findings only."
)]
pub struct DiffArgs {
    /// The earlier input: a bundle (any format `analyze` reads) or a JSON report of one bundle
    /// (`ktriage analyze --format json`).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later input, of the same cluster.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the diff to FILE instead of standard output (`-`: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compare the inputs even when they look like bundles of different clusters.
    #[arg(long)]
    pub force: bool,
}

/// `ktriage completions`.
#[derive(Debug, Args)]
#[command(after_help = "Install, e.g. for bash: \
    ktriage completions bash > ~/.local/share/bash-completion/completions/ktriage")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `ktriage man`.
#[derive(Debug, Args)]
#[command(after_help = "Install: ktriage man --dir ~/.local/share/man/man1")]
pub struct ManArgs {
    /// Write ktriage.1 and ktriage-SUBCOMMAND.1 into DIR (created if missing) instead of
    /// printing ktriage.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// A validated analysis configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub threads: Option<usize>,
    pub namespaces: Vec<String>,
    pub clusters: Vec<String>,
    pub rules: RuleSet,
    pub min_severity: Severity,
    /// (K, N): this run's share.
    pub shard: Option<(usize, usize)>,
    pub limits: Limits,
    pub quiet: bool,
    /// Table layout: colour, findings listed (`None`: all), details.
    pub color: ColorChoice,
    pub limit: Option<usize>,
    pub verbose: bool,
}

impl Config {
    /// Validates flags.
    ///
    /// # Errors
    /// A message naming the flag that is wrong.
    pub(crate) fn resolve(args: AnalyzeArgs) -> Result<Self, String> {
        let rules = RuleSet::new(&list(args.select), &list(args.ignore))?;
        let shard = args.shard.as_deref().map(parse_shard).transpose()?;
        if args.threads == Some(0) {
            return Err("--threads: must be at least 1".to_owned());
        }
        let mib = |v: u64| v.saturating_mul(1 << 20);
        Ok(Self {
            paths: args.paths,
            format: args.format,
            output: args.output,
            threads: args.threads,
            namespaces: list(args.namespaces),
            clusters: list(args.clusters),
            rules,
            min_severity: args.min_severity,
            shard,
            limits: Limits {
                max_entry_bytes: mib(args.max_entry_size),
                max_total_bytes: mib(args.max_bundle_size),
                max_entries: args.max_entries,
                ..Limits::default()
            },
            quiet: args.quiet,
            color: args.color,
            limit: if args.all {
                None
            } else {
                Some(args.limit.unwrap_or(crate::report::DEFAULT_LIMIT))
            },
            verbose: args.verbose,
        })
    }
}

/// A list flag's values, spaces around each trimmed and empty ones dropped
/// (`--namespace "shop, payments,"`).
fn list(values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Parses `K/N` with `0 <= K < N`.
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let err = || format!("--shard: expected K/N with 0 <= K < N, got `{text}`");
    let (k, n) = text.split_once('/').ok_or_else(err)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| err())?,
        n.trim().parse().map_err(|_| err())?,
    );
    if n == 0 || k >= n {
        return Err(err());
    }
    Ok((k, n))
}

/// `--min-severity`: one of the severity names, listed in `--help` lowest first.
fn severity_parser() -> impl clap::builder::TypedValueParser<Value = Severity> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(
        Severity::WORST_FIRST.map(Severity::name).into_iter().rev(),
    )
    .map(|name| name.parse::<Severity>().expect("a listed severity name"))
}

#[cfg(test)]
mod tests {
    use super::parse_shard;

    #[test]
    fn shards() {
        assert_eq!(parse_shard("0/4"), Ok((0, 4)));
        assert_eq!(parse_shard("3/4"), Ok((3, 4)));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("1").is_err());
        assert!(parse_shard("a/b").is_err());
    }
}
