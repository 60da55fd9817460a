//! The pipeline, in order: discover -> read -> load -> diagnose -> report. The only file that
//! starts threads (the worker pool, the progress line, the thread that frees finished models);
//! each bundle is analyzed sequentially and purely by `scan_one`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError, sync_channel};
use std::sync::{Once, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::bundle::{BundleSource, printable};
use crate::cli::{Cli, Command, Config, DiffArgs, MergeArgs};
use crate::finding::{BundleStatus, ReportFinding};
use crate::logscan::Scanner;
use crate::model::Cluster;
use crate::redact::redact;
use crate::report::{BundleReport, ColorChoice, Findings, Report, Shard, View};
use crate::rules::registry::RuleSet;

/// What `main` should exit with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing found at or above the threshold.
    Clean,
    /// Findings reported.
    Findings,
    /// An input or the run failed (the others were still reported).
    Failed,
}

/// The result of analyzing one bundle.
#[derive(Debug)]
pub(crate) struct BundleOutcome {
    pub report: BundleReport,
    pub findings: Vec<ReportFinding>,
    /// The namespaces the bundle holds, gathered only when `--namespace` filters (to say so
    /// when a value matches none).
    pub namespaces: Vec<String>,
}

/// What `scan_all` gathered from all bundles.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// Each bundle's report, in input order.
    pub bundles: Vec<BundleReport>,
    /// The findings `--namespace` and `--cluster` keep, not yet ranked.
    pub findings: Findings,
    /// The namespaces the bundles hold (only when `--namespace` filters).
    pub namespaces: BTreeSet<String>,
}

/// Runs a parsed command line, writing to `stdout` unless `--output` is given.
///
/// # Errors
/// Run-level failures: bad flags, no inputs, an unwritable output file.
pub fn run(cli: Cli, stdout: &mut dyn Write) -> Result<Outcome> {
    match cli.command {
        Command::Analyze(args) => {
            let cfg = Config::resolve(args).map_err(anyhow::Error::msg)?;
            let report = analyze(&cfg)?;
            let view = (cfg.color, cfg.limit, cfg.verbose);
            write_report(&report, cfg.format, view, cfg.output.as_deref(), stdout)?;
            Ok(outcome(&report))
        }
        Command::Merge(args) => merge(&args, stdout),
        Command::Diff(args) => diff(&args, stdout),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve(&args, stdout),
        #[cfg(feature = "serve")]
        Command::Shell(args) => shell(&args),
        Command::Rules { format } => {
            crate::explain::list_rules(&format, stdout)?;
            Ok(Outcome::Clean)
        }
        Command::Explain { cause } => {
            crate::explain::explain(&cause, stdout)?;
            Ok(Outcome::Clean)
        }
        // Installation files (src/install.rs).
        Command::Completions(args) => {
            crate::install::write_completions(args.shell, stdout)?;
            Ok(Outcome::Clean)
        }
        Command::Man(args) => {
            match &args.dir {
                Some(dir) => {
                    let written = crate::install::write_man_pages(dir).with_context(|| {
                        format!("cannot write man pages to `{}`", dir.display())
                    })?;
                    for path in written {
                        writeln!(stdout, "{}", path.display())?;
                    }
                }
                None => crate::install::write_man_page(stdout)?,
            }
            Ok(Outcome::Clean)
        }
    }
}

/// `ktriage serve`: reads the bundles, writes the kubeconfig, prints where it is, serves until
/// stopped.
#[cfg(feature = "serve")]
fn serve(args: &crate::cli::ServeArgs, stdout: &mut dyn Write) -> Result<Outcome> {
    let server =
        crate::serve::Server::start(&args.bundles, args.address, args.port, &args.simulate)?;
    let path = args.kubeconfig_out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "ktriage-serve-{}.kubeconfig",
            server.url().rsplit(':').next().unwrap_or("0")
        ))
    });
    server.write_kubeconfig(&path)?;
    eprintln!(
        "ktriage: serving {} at {} (contexts: {}); read-only, stop with Ctrl-C",
        if args.bundles.len() == 1 {
            "1 bundle".to_owned()
        } else {
            format!("{} bundles", args.bundles.len())
        },
        server.url(),
        server.contexts().join(", ")
    );
    writeln!(stdout, "export KUBECONFIG={}", path.display())?;
    stdout.flush()?;
    server.run()?;
    Ok(Outcome::Clean)
}

/// `ktriage shell`: serves the bundles on a thread, runs `$SHELL` with `KUBECONFIG` set, and
/// returns when it exits (the process, and so the server, ends then).
#[cfg(feature = "serve")]
fn shell(args: &crate::cli::ServeArgs) -> Result<Outcome> {
    let server =
        crate::serve::Server::start(&args.bundles, args.address, args.port, &args.simulate)?;
    let (path, temporary) = match &args.kubeconfig_out {
        Some(p) => (p.clone(), false),
        None => (
            std::env::temp_dir().join(format!("ktriage-shell-{}.kubeconfig", std::process::id())),
            true,
        ),
    };
    server.write_kubeconfig(&path)?;
    eprintln!(
        "ktriage: serving at {} (contexts: {}); KUBECONFIG={}; exit the shell to stop",
        server.url(),
        server.contexts().join(", "),
        path.display()
    );
    server.spawn();
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".to_owned());
    let code = crate::serve::run_shell(&shell, &path);
    if temporary {
        let _ = std::fs::remove_file(&path);
    }
    Ok(if code? == 0 {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

/// Analyzes every input of `cfg` and builds the report.
///
/// # Errors
/// When no input is given or found, or the thread pool cannot be built.
pub(crate) fn analyze(cfg: &Config) -> Result<Report> {
    let discovered = crate::discover::discover(&cfg.paths);
    if !cfg.quiet {
        for w in &discovered.warnings {
            eprintln!("ktriage: warning: {}", printable(w));
        }
    }
    let mut sources = discovered.sources;
    if sources.is_empty() {
        bail!(
            "no bundles found in {}",
            cfg.paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let total_inputs = sources.len();
    if let Some((k, n)) = cfg.shard {
        sources = crate::discover::shard(sources, k, n);
    }
    // Every rule's log signatures, compiled once for the whole run.
    let scanner = crate::rules::registry::scanner();
    let Scanned {
        bundles,
        findings,
        namespaces,
    } = scan_all(&sources, cfg, &scanner)?;
    for b in &bundles {
        if let Some(err) = &b.error {
            eprintln!("ktriage: error: {err}");
        }
        if !cfg.quiet {
            print_warnings(b);
        }
    }
    if !cfg.quiet {
        let clusters: BTreeSet<String> = bundles.iter().filter_map(|b| b.cluster.clone()).collect();
        for (flag, values, held) in [
            ("--namespace", &cfg.namespaces, &namespaces),
            ("--cluster", &cfg.clusters, &clusters),
        ] {
            for value in values.iter().filter(|v| !held.contains(*v)) {
                eprintln!("ktriage: warning: {}", unmatched_filter(flag, value, held));
            }
        }
    }
    let mut report = Report::new(bundles, findings);
    report.retain_min_severity(cfg.min_severity);
    report.shard = cfg.shard.map(|(index, count)| Shard {
        index,
        count,
        total_inputs,
    });
    Ok(report)
}

/// Most values listed by a warning about a filter that matches nothing.
const MAX_LISTED: usize = 20;

/// The warning for a `--namespace` or `--cluster` value that no bundle holds, listing what the
/// bundles do hold.
fn unmatched_filter(flag: &str, value: &str, held: &BTreeSet<String>) -> String {
    let what = flag.trim_start_matches('-');
    let value = printable(value);
    if held.is_empty() {
        return format!("{flag} `{value}` matches nothing: the bundles analyzed hold no {what}");
    }
    let mut listed: Vec<String> = held
        .iter()
        .take(MAX_LISTED)
        .map(|h| format!("`{}`", printable(h)))
        .collect();
    if held.len() > MAX_LISTED {
        listed.push(format!("and {} more", held.len() - MAX_LISTED));
    }
    format!(
        "{flag} `{value}` matches no {what} of the bundles analyzed, which hold: {}",
        listed.join(", ")
    )
}

/// Most warnings per bundle echoed on stderr; the report lists them all.
const MAX_STDERR_WARNINGS: usize = 10;

/// Echoes a bundle's warnings on stderr, each naming the bundle.
fn print_warnings(b: &BundleReport) {
    for w in b.warnings.iter().take(MAX_STDERR_WARNINGS) {
        eprintln!("ktriage: warning: `{}`: {w}", b.path);
    }
    if b.warnings.len() > MAX_STDERR_WARNINGS {
        eprintln!(
            "ktriage: warning: `{}`: {} more warning{} in the report",
            b.path,
            b.warnings.len() - MAX_STDERR_WARNINGS,
            if b.warnings.len() == MAX_STDERR_WARNINGS + 1 {
                ""
            } else {
                "s"
            }
        );
    }
}

/// Analyzes bundles in parallel on `--threads` workers, all finding log signatures with
/// `scanner`.
///
/// # Errors
/// When the thread pool cannot be built.
pub(crate) fn scan_all(
    sources: &[BundleSource],
    cfg: &Config,
    scanner: &Scanner,
) -> Result<Scanned> {
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(16 << 20);
    if let Some(n) = cfg.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("cannot start worker threads")?;
    // Models are freed in the background only when a core is left for it; otherwise the
    // workers free their own (measured at 2 threads over 16 bundles: faster, and no third
    // model held while both workers are at their peak).
    let cores = thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let free = if sources.len().min(pool.current_num_threads()) < cores {
        releaser();
        Free::Background
    } else {
        Free::Here
    };
    let show = !cfg.quiet && sources.len() > 1 && io::stderr().is_terminal();
    let progress = Progress::default();
    Ok(thread::scope(|scope| {
        let ticker = show.then(|| scope.spawn(|| progress.show(sources.len())));
        // Finished outcomes go to a keeper thread, which holds them to the end of the run: the
        // reports in its own memory (kept among the workers' short-lived models, they
        // fragmented it), the findings of a many-bundle run spilled (`Findings::spilling`).
        let (tx, rx) = mpsc::channel::<(usize, BundleOutcome)>();
        let keeper = scope.spawn(move || keep(rx, sources.len()));
        // Workers only bump counters; the keeper and the ticker write to stderr.
        pool.install(|| {
            sources.par_iter().enumerate().for_each(|(index, s)| {
                let mut o = scan_one(s, cfg, scanner, free);
                progress.record(s, &o);
                o.findings.retain(|f| {
                    (cfg.namespaces.is_empty() || cfg.namespaces.contains(&f.namespace))
                        && (cfg.clusters.is_empty() || cfg.clusters.contains(&f.cluster))
                });
                // The keeper cannot fail; were it gone, its join below reports every bundle.
                let _ = tx.send((index, o));
            });
        });
        drop(tx);
        progress.finished.store(true, Ordering::Release);
        if let Some(t) = ticker {
            let _ = t.join();
        }
        let (kept, findings, namespaces) = keeper.join().unwrap_or_else(|_| {
            (
                (0..sources.len()).map(|_| None).collect(),
                Findings::default(),
                BTreeSet::new(),
            )
        });
        let bundles = kept
            .into_iter()
            .zip(sources)
            .map(|(report, source)| {
                report.unwrap_or_else(|| {
                    let path = printable(&source.path.display().to_string()).into_owned();
                    failed(
                        &path,
                        &format!("`{path}`: internal error: the result of this bundle was lost (a bug; please report it)"),
                    )
                    .report
                })
            })
            .collect();
        Scanned {
            bundles,
            findings,
            namespaces,
        }
    }))
}

/// Holds the outcomes the workers finish: each bundle's report by input position, all
/// findings (spilled when there is more than one bundle), and the namespaces they hold.
fn keep(
    rx: mpsc::Receiver<(usize, BundleOutcome)>,
    count: usize,
) -> (Vec<Option<BundleReport>>, Findings, BTreeSet<String>) {
    let mut kept: Vec<Option<BundleReport>> = (0..count).map(|_| None).collect();
    let mut findings = findings_for(count);
    let mut all_namespaces = BTreeSet::new();
    for (index, outcome) in rx {
        let BundleOutcome {
            report,
            findings: found,
            namespaces,
        } = outcome;
        findings.extend(found);
        all_namespaces.extend(namespaces);
        // Copied: what stays is allocated by this thread.
        kept[index] = Some(report.clone());
    }
    (kept, findings, all_namespaces)
}

/// Where the findings of `count` bundles (or shard reports) are gathered: spilled to a
/// temporary file when there is more than one, so that memory does not grow with their number.
fn findings_for(count: usize) -> Findings {
    if count < 2 {
        return Findings::default();
    }
    Findings::spilling().unwrap_or_else(|e| {
        eprintln!(
            "ktriage: warning: cannot create a temporary file in `{}` ({e}); findings are held in memory",
            std::env::temp_dir().display()
        );
        Findings::default()
    })
}

/// Counters the workers bump and the progress ticker reads.
#[derive(Debug, Default)]
struct Progress {
    done: AtomicUsize,
    failed: AtomicUsize,
    bytes: AtomicU64,
    finished: AtomicBool,
}

impl Progress {
    fn record(&self, source: &BundleSource, outcome: &BundleOutcome) {
        let size =
            std::fs::metadata(&source.path).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
        self.bytes.fetch_add(size, Ordering::Relaxed);
        if outcome.report.error.is_some() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.done.fetch_add(1, Ordering::Release);
    }

    /// Redraws one status line on stderr until the run is over, then erases it.
    fn show(&self, total: usize) {
        let start = Instant::now();
        let mut stderr = io::stderr();
        while !self.finished.load(Ordering::Acquire) {
            let done = self.done.load(Ordering::Acquire);
            let failed = self.failed.load(Ordering::Relaxed);
            let mb = self.bytes.load(Ordering::Relaxed) as f64 / 1e6;
            let secs = start.elapsed().as_secs_f64().max(0.001);
            let failures = if failed == 0 {
                String::new()
            } else {
                format!(", {failed} failed")
            };
            let _ = write!(
                stderr,
                "\r\x1b[2Kanalyzing: {done}/{total} bundles, {:.0} MB/s compressed input{failures}",
                mb / secs
            );
            let _ = stderr.flush();
            thread::sleep(Duration::from_millis(200));
        }
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

/// Reads, loads and diagnoses one bundle. Never panics: a panic inside becomes the bundle's failure.
#[must_use]
pub(crate) fn scan_one(
    source: &BundleSource,
    cfg: &Config,
    scanner: &Scanner,
    free: Free,
) -> BundleOutcome {
    let path = printable(&source.path.display().to_string()).into_owned();
    guarded(|| scan_inner(source, cfg, scanner, &path, free)).unwrap_or_else(|panic| {
        // The message may quote bundle data.
        let panic = redact(&panic);
        failed(
            &path,
            &format!(
                "`{path}`: internal error while analyzing this bundle (a bug; please report it): {panic}"
            ),
        )
    })
}

thread_local! {
    /// Set while `guarded` runs on this thread: the panic hook then records instead of printing.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    /// The message and location of the last panic recorded by the hook on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err(message at file:line)`. The panic hook stays silent for
/// it (the bundle's failure row and stderr line report it instead); panics elsewhere keep the
/// default hook's message.
///
/// # Errors
/// The panic's message and location when `f` panics.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    /// Resets the flag however `f` ends.
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            GUARDED.with(|g| g.set(self.0));
        }
    }
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) {
                let location = info
                    .location()
                    .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
                let message = format!("{}{location}", panic_text(info.payload()));
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
            } else {
                previous(info);
            }
        }));
    });
    let _reset = Reset(GUARDED.with(|g| g.replace(true)));
    LAST_PANIC.with(|p| p.borrow_mut().take());
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| panic_text(payload.as_ref()))
    })
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn scan_inner(
    source: &BundleSource,
    cfg: &Config,
    scanner: &Scanner,
    path: &str,
    free: Free,
) -> BundleOutcome {
    if let Some(root) = &source.within {
        let what = if source.path.is_dir() {
            "a directory"
        } else {
            "a file"
        };
        let root = printable(&root.display().to_string()).into_owned();
        return failed(
            path,
            &format!(
                "`{path}` is {what} inside the bundle `{root}`, not a bundle: analyze `{root}`"
            ),
        );
    }
    let loaded = match crate::formats::read(source, &cfg.limits, scanner) {
        Ok(l) => l,
        Err(e) => return failed(path, &e.to_string()),
    };
    let mut findings = diagnose_cluster(&loaded.cluster, path, &cfg.rules, scanner);
    let timeline = crate::timeline::annotate(&loaded.cluster, &mut findings);
    findings.iter_mut().for_each(clean);
    // Only warnings about unreadable or uncollected files make a bundle partial; an empty
    // cluster is a valid snapshot, worth a warning but analyzed in full.
    let status = if loaded.warnings.is_empty() {
        BundleStatus::Ok
    } else {
        BundleStatus::Partial
    };
    let mut warnings: Vec<String> = loaded
        .warnings
        .iter()
        .map(|w| printable(w).into_owned())
        .collect();
    if loaded.cluster.pods.is_empty() {
        warnings.push(NO_PODS.to_owned());
    }
    let outcome = BundleOutcome {
        report: BundleReport {
            path: path.to_owned(),
            format: Some(loaded.format.name().to_owned()),
            cluster: Some(printable(&loaded.cluster.name).into_owned()),
            collected_at: loaded.cluster.collected_at.map(|t| t.to_string()),
            status,
            warnings,
            error: None,
            pods: loaded.cluster.pods.len(),
            findings: findings.len(),
            timeline,
        },
        findings,
        namespaces: if cfg.namespaces.is_empty() {
            Vec::new()
        } else {
            held_namespaces(&loaded.cluster)
        },
    };
    match free {
        Free::Background => release(loaded.cluster),
        Free::Here => drop(loaded.cluster),
    }
    outcome
}

/// The namespaces a cluster holds pods or workloads in, sorted.
fn held_namespaces(cluster: &crate::model::Cluster) -> Vec<String> {
    let names: BTreeSet<&str> = cluster
        .pods
        .iter()
        .map(|p| p.metadata.namespace.as_str())
        .chain(
            cluster
                .workloads
                .iter()
                .map(|w| w.metadata.namespace.as_str()),
        )
        .filter(|ns| !ns.is_empty())
        .collect();
    names.into_iter().map(str::to_owned).collect()
}

/// Where a finished bundle's model is freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Free {
    /// On the background thread of `release`.
    Background,
    /// On the worker.
    Here,
}

/// Frees a finished bundle's model off the worker's path, on one background thread: a
/// 5,000-pod cluster is hundreds of thousands of small allocations, ~7% of its analysis to
/// free. The hand-off never waits: when the thread is still busy with the previous model the
/// worker frees its own, so at most one model beyond the workers' own is ever held.
fn release(cluster: crate::model::Cluster) {
    match releaser().map(|tx| tx.try_send(Box::new(cluster))) {
        None | Some(Ok(())) => {}
        Some(Err(TrySendError::Full(c) | TrySendError::Disconnected(c))) => drop(c),
    }
}

/// The hand-off to the thread that frees models, started on first use. `scan_all` starts it
/// before any bundle is read, so that it already waits when the first model is done.
fn releaser() -> Option<&'static SyncSender<Box<crate::model::Cluster>>> {
    static RELEASER: OnceLock<Option<SyncSender<Box<crate::model::Cluster>>>> = OnceLock::new();
    RELEASER
        .get_or_init(|| {
            // A zero-capacity channel: a send succeeds only while the thread waits in `recv`.
            let (tx, rx) = sync_channel::<Box<crate::model::Cluster>>(0);
            thread::Builder::new()
                .name("ktriage-release".to_owned())
                .spawn(move || rx.into_iter().for_each(drop))
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Makes a finding safe to print: every text that may quote the bundle (titles and remedies
/// name log targets; evidence is already redacted) is redacted, and control characters are
/// escaped so a hostile bundle cannot drive the terminal.
fn clean(f: &mut ReportFinding) {
    fn fix(text: &mut String) {
        let redacted = redact(text);
        let safe = printable(&redacted);
        if safe != text.as_str() {
            *text = safe.into_owned();
        }
    }
    /// As `fix`, keeping line breaks (termination messages and key blocks span lines).
    fn fix_lines(text: &mut String) {
        let redacted = redact(text);
        if redacted.chars().any(|c| c.is_control() && c != '\n') {
            *text = redacted
                .split('\n')
                .map(printable)
                .collect::<Vec<_>>()
                .join("\n");
        } else if redacted != text.as_str() {
            *text = redacted.into_owned();
        }
    }
    fix(&mut f.title);
    fix(&mut f.cluster);
    fix(&mut f.namespace);
    fix(&mut f.workload.name);
    fix(&mut f.container);
    fix(&mut f.image);
    let lists = [
        &mut f.remediation,
        &mut f.notes,
        &mut f.commands,
        &mut f.log_tail,
        &mut f.pods,
        &mut f.nodes,
    ];
    lists.into_iter().flatten().for_each(fix);
    for e in &mut f.evidence {
        fix_lines(&mut e.text);
        fix(&mut e.source);
        fix(&mut e.locator);
    }
    if let Some(message) = f.last_termination.as_mut().and_then(|t| t.message.as_mut()) {
        fix_lines(message);
    }
}

/// The findings of one cluster, in the pipeline's order: the subjects (containers worth a
/// look, with the log signatures `scanner` finds in termination messages), the rules' findings
/// (`diagnose`), the correlations over them, then the causes selected. Scored, not yet ranked
/// across bundles (that is the report's).
#[must_use]
pub fn diagnose_cluster(
    cluster: &Cluster,
    bundle_path: &str,
    rules: &RuleSet,
    scanner: &Scanner,
) -> Vec<ReportFinding> {
    let subjects = crate::subjects::build(cluster, scanner);
    let mut findings = crate::diagnose::diagnose(cluster, &subjects, bundle_path);
    // Correlations read every finding, so that `--select rollout-regression` still sees the
    // loops it explains; the selection applies afterwards.
    crate::correlations::correlate_findings(cluster, &subjects, &mut findings, rules);
    findings.retain(|f| rules.is_enabled(f.cause));
    findings
}

/// The warning of a bundle that holds no pods (an empty cluster is still a valid bundle).
const NO_PODS: &str = "no pods in bundle: nothing to diagnose (an empty cluster, or no `pods` resource was collected)";

fn failed(path: &str, error: &str) -> BundleOutcome {
    BundleOutcome {
        report: BundleReport {
            path: path.to_owned(),
            format: None,
            cluster: None,
            collected_at: None,
            status: BundleStatus::Failed,
            warnings: Vec::new(),
            error: Some(printable(error).into_owned()),
            pods: 0,
            findings: 0,
            timeline: Vec::new(),
        },
        findings: Vec::new(),
        namespaces: Vec::new(),
    }
}

/// `ktriage merge`: shard reports -> one report, as a single run would give it.
///
/// # Errors
/// An unreadable report; the same shard twice, shards of different runs, or a bundle in two
/// reports (its findings would count twice). A missing shard is only a warning.
fn merge(args: &MergeArgs, stdout: &mut dyn Write) -> Result<Outcome> {
    let mut bundles = Vec::new();
    let mut findings = findings_for(args.reports.len());
    // shard index -> the report that is it; bundle path -> the report holding it.
    let mut shards: BTreeMap<usize, (&Path, Shard)> = BTreeMap::new();
    let mut holders: BTreeMap<String, &Path> = BTreeMap::new();
    for path in &args.reports {
        let text = std::fs::read(path)
            .with_context(|| format!("cannot read report `{}`", path.display()))?;
        let report: Report = serde_json::from_slice(&text)
            .with_context(|| format!("`{}` is not a ktriage JSON report", path.display()))?;
        if report.schema_version != crate::report::SCHEMA_VERSION {
            bail!(
                "`{}` has schema_version {}, expected {}",
                path.display(),
                report.schema_version,
                crate::report::SCHEMA_VERSION
            );
        }
        if let Some(shard) = report.shard {
            check_shard(&shards, path, shard)?;
            shards.insert(shard.index, (path, shard));
        }
        for b in &report.bundles {
            if let Some(other) = holders.insert(b.path.clone(), path) {
                bail!(
                    "`{}` and `{}` both analyzed `{}`: overlapping inputs (merge the reports of one sharded run, each shard once)",
                    other.display(),
                    path.display(),
                    b.path
                );
            }
        }
        bundles.extend(report.bundles);
        let found = report
            .findings
            .into_whole()
            .with_context(|| format!("cannot read the findings of `{}`", path.display()))?;
        findings.extend(found);
    }
    if let Some((_, first)) = shards.values().next() {
        let missing: Vec<String> = (0..first.count)
            .filter(|k| !shards.contains_key(k))
            .map(|k| format!("{k}/{}", first.count))
            .collect();
        if !missing.is_empty() {
            let got: Vec<String> = shards
                .keys()
                .map(|k| format!("{k}/{}", first.count))
                .collect();
            eprintln!(
                "ktriage: warning: shard{} {} missing (got {}): the merged report lacks {} bundles",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                got.join(", "),
                if missing.len() == 1 { "its" } else { "their" }
            );
        }
    }
    let mut report = Report::new(bundles, findings);
    report.retain_min_severity(args.min_severity);
    let view = (
        crate::report::ColorChoice::Auto,
        Some(crate::report::DEFAULT_LIMIT),
        false,
    );
    write_report(&report, args.format, view, args.output.as_deref(), stdout)?;
    Ok(outcome(&report))
}

/// `ktriage diff`: two bundles or JSON reports of one cluster -> what changed between them.
///
/// # Errors
/// An input that cannot be read, or inputs of different clusters without `--force`.
fn diff(args: &DiffArgs, stdout: &mut dyn Write) -> Result<Outcome> {
    let scanner = crate::rules::registry::scanner();
    let rules = RuleSet::new(&[], &[]).map_err(anyhow::Error::msg)?;
    let limits = crate::bundle::Limits::default();
    let read = |path: &Path| -> Result<crate::diff::Input> {
        let diagnose = |cluster: &Cluster, shown: &str| {
            let mut findings = diagnose_cluster(cluster, shown, &rules, &scanner);
            findings.iter_mut().for_each(clean);
            findings
        };
        let input = guarded(|| crate::diff::read_input(path, &limits, &scanner, diagnose))
            .map_err(|panic| {
                anyhow::anyhow!(
                    "`{}`: internal error while reading it (a bug; please report it): {}",
                    path.display(),
                    redact(&panic)
                )
            })??;
        for w in input.side.warnings.iter().take(MAX_STDERR_WARNINGS) {
            eprintln!("ktriage: warning: `{}`: {w}", input.side.path);
        }
        Ok(input)
    };
    let old = read(&args.old)?;
    let new = read(&args.new)?;
    let diff = crate::diff::compare(&old, &new, args.force)?;
    write_output(args.output.as_deref(), stdout, |w| {
        crate::diff::render(&diff, args.format, w)
    })?;
    Ok(if diff.has_findings() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Writes with `render` to `output` (a file; `None` or `-`: `stdout`). A closed pipe on stdout
/// is not an error.
///
/// # Errors
/// The file cannot be created or written.
fn write_output(
    output: Option<&Path>,
    stdout: &mut dyn Write,
    render: impl Fn(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    if let Some(path) = output.filter(|p| *p != Path::new("-")) {
        let file =
            File::create(path).with_context(|| format!("cannot write to `{}`", path.display()))?;
        let mut w = BufWriter::new(file);
        render(&mut w)
            .and_then(|()| w.flush())
            .with_context(|| format!("cannot write to `{}`", path.display()))?;
        return Ok(());
    }
    let mut w = BufWriter::new(stdout);
    match render(&mut w).and_then(|()| w.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Refuses a shard report that repeats a shard already read, or that comes from another run
/// (another N, or another number of inputs).
fn check_shard(seen: &BTreeMap<usize, (&Path, Shard)>, path: &Path, shard: Shard) -> Result<()> {
    let name = |s: &Shard| format!("{}/{}", s.index, s.count);
    if let Some((other, _)) = seen
        .get(&shard.index)
        .filter(|(_, s)| s.count == shard.count)
    {
        bail!(
            "`{}` and `{}` are both shard {}: give each shard's report once",
            other.display(),
            path.display(),
            name(&shard)
        );
    }
    if let Some((other, first)) = seen.values().next()
        && (first.count != shard.count || first.total_inputs != shard.total_inputs)
    {
        bail!(
            "`{}` (shard {} of {} inputs) and `{}` (shard {} of {} inputs) come from different runs",
            other.display(),
            name(first),
            first.total_inputs,
            path.display(),
            name(&shard),
            shard.total_inputs
        );
    }
    Ok(())
}

fn outcome(report: &Report) -> Outcome {
    if report.has_failures() {
        Outcome::Failed
    } else if report.findings.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
}

/// The table's layout: `--color`, `--limit`/`--all` and `--verbose` as given, the width and
/// whether to colour from the environment and whether the output is a terminal (`View`).
fn table_view(
    (color, limit, verbose): (ColorChoice, Option<usize>, bool),
    to_stdout: bool,
) -> View {
    let terminal = to_stdout && io::stdout().is_terminal();
    let columns = std::env::var("COLUMNS").ok();
    let no_color = std::env::var("NO_COLOR").ok();
    let terminal_width = terminal
        .then(|| terminal_size::terminal_size_of(io::stdout()))
        .flatten()
        .map(|(w, _)| usize::from(w.0));
    View {
        width: View::width_from(columns.as_deref(), terminal_width),
        color: color.resolve(terminal, no_color.as_deref()),
        limit,
        verbose,
    }
}

fn write_report(
    report: &Report,
    format: crate::report::Format,
    view: (ColorChoice, Option<usize>, bool),
    output: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<()> {
    // `-o -` is standard output, as for most tools.
    let output = output.filter(|p| *p != Path::new("-"));
    let view = table_view(view, output.is_none());
    if let Some(path) = output {
        let file = File::create(path)
            .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
        let mut w = BufWriter::new(file);
        report.render_view(format, &view, &mut w)?;
        w.flush()
            .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
    } else {
        let mut w = BufWriter::new(stdout);
        report.render_view(format, &view, &mut w)?;
        match w.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_panic_becomes_an_error_with_its_location() {
        let err = guarded(|| -> u32 { panic!("rule blew up on `api`") }).unwrap_err();
        // The location comes from the hook, which proves it ran (and recorded instead of
        // printing); the payload alone carries no location.
        assert!(
            err.starts_with("rule blew up on `api` at src/app.rs:"),
            "{err}"
        );
        let err = guarded(|| -> u32 { std::panic::panic_any(7_u8) }).unwrap_err();
        assert!(err.starts_with("unknown panic at src/app.rs:"), "{err}");
    }

    #[test]
    fn values_pass_through_and_the_guard_resets() {
        assert_eq!(guarded(|| 42), Ok(42));
        assert!(
            guarded(|| guarded(|| -> () { panic!("inner") }))
                .unwrap()
                .is_err()
        );
        assert_eq!(guarded(|| "after"), Ok("after"));
    }
}
