//! Development tools for ktriage, kept out of the shipped binary (as ruff keeps its own in
//! `ruff_dev`): the synthetic bundle generator behind the benchmarks and the readers' tests, the
//! random edits of its YAML those tests make, the generator of the sample bundles in
//! `samples/`, and the scaffolder of a new rule or correlation.
//!
//! Run as `cargo dev SUBCOMMAND` (an alias in `.cargo/config.toml`). ktriage's own tests use
//! this library directly, as a dev-dependency.

pub mod generate;
pub mod mutate;
pub mod samples;
pub mod scaffold;
pub mod sha256;
