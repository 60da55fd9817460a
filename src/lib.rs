//! ktriage: offline CrashLoopBackOff triage for Kubernetes support bundles.
//!
//! ```text
//! paths --discover--> BundleSource --bundle::read_bundle--> members, one by one, to a bundle::Sink
//!       (formats::RawBundle: keeps what a format could want, parses resource files as read)
//!       --formats::load--> Cluster (model) --subjects--> Subjects (one per container worth a look)
//!       --rules--> proposals --diagnose--> ReportFinding (best cause, alternatives, grouped, scored)
//!       --correlations--> + rollout-regression / shared-dependency-down / node-correlated /
//!                        control-plane-disruption findings
//!       --timeline--> + each finding's and the cluster's dated moments
//!       --report--> ranked Report + fleet view --render--> table | json | markdown | html
//! ```
//!
//! `bundle` knows archives and limits, nothing about what a member means; `formats` decides which
//! members to keep and which `BundleFormat` they form (`formats::read` runs both).
//!
//! `app` builds one `logscan::Scanner` per run from the rules' log signatures
//! (`rules::registry::scanner`) and passes it down: to `formats::read`, which scans each log as it
//! is read, and to `subjects::build`, which scans termination messages. `logscan` depends on
//! `cause` only, and `model` on no rule.
//!
//! `app` owns the threads: bundles are analyzed in parallel on its pool, each one purely, so
//! output never depends on scheduling (the items of a large list are also parsed on that pool,
//! in order: `model::parse`).
//!
//! The library's surface is what the binary, the tests, `cargo dev` and the fuzz targets use:
//! [`run`] (the whole command line, given a parsed [`Cli`]); the reader's steps ([`read_archive`]
//! of one archive into a [`RawBundle`], [`load`] of that into a [`Loaded`] cluster, or [`read`]
//! for both); [`diagnose_cluster`] of one cluster with a [`RuleSet`] and the log [`Scanner`]
//! ([`scanner`] builds it); and the data types: [`model`] (the Kubernetes objects as read),
//! [`finding`] (what a report holds) and [`cause`]; and [`redact`], which masks credentials in
//! quoted text. Every other module is private to the crate.

mod app;
mod bundle;
pub mod cause;
mod cli;
mod correlations;
mod diagnose;
mod diff;
mod discover;
mod explain;
pub mod finding;
mod formats;
mod install;
mod logscan;
pub mod model;
mod rank;
pub mod redact;
mod report;
mod rules;
#[cfg(feature = "serve")]
mod serve;
mod subjects;
mod text;
mod timeline;
mod yaml;

pub use app::{Outcome, diagnose_cluster, run};
pub use bundle::{BundleSource, Limits, read_archive};
pub use cli::Cli;
pub use formats::{Loaded, RawBundle, load, read};
pub use logscan::Scanner;
pub use rules::registry::{RuleSet, scanner};
