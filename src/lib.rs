//! ktriage: offline CrashLoopBackOff triage for Kubernetes support bundles.
//!
//! ```text
//! paths --discover--> BundleSource --bundle::read_bundle--> members, one by one, to a bundle::Sink
//!       (formats::RawBundle: keeps what a format could want, parses resource files as read)
//!       --formats::load--> Cluster (model) --subjects--> Subjects (one per container worth a look)
//!       --rules--> proposals --diagnose--> ReportFinding (best cause, alternatives, grouped, scored)
//!       --correlations--> + rollout-regression / shared-dependency-down / node-correlated /
//!                        control-plane-disruption findings
//!       --report--> ranked Report + fleet view --render--> table | json | markdown
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

pub mod app;
pub mod bundle;
pub mod cause;
pub mod cli;
pub mod correlations;
pub mod diagnose;
pub mod discover;
pub mod explain;
pub mod finding;
pub mod formats;
pub mod install;
pub mod logscan;
pub mod model;
pub mod rank;
pub mod redact;
pub mod report;
pub mod rules;
#[cfg(feature = "serve")]
pub mod serve;
pub mod subjects;
mod text;
mod yaml;
