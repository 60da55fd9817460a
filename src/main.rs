//! The `ktriage` binary: parse arguments, run, map the outcome to an exit status.

use std::io::{self, ErrorKind};
use std::process::ExitCode;

use clap::Parser;
use ktriage::Cli;
use ktriage::{Outcome, run};

/// jemalloc (the `jemalloc` feature): memory stays flat over thousands of bundles (see Cargo.toml).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = io::stdout().lock();
    match run(cli, &mut stdout) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Ok(Outcome::Failed) => ExitCode::from(2),
        Err(e) => {
            // A closed pipe (`ktriage … | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("ktriage: {e:#}");
            ExitCode::from(2)
        }
    }
}
