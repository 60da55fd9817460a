//! `--format json`: the report as docs/design.md §5 describes it, pretty-printed.

use std::io::{self, Write};

use super::Report;

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
