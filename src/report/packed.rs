//! Findings held compressed while a run over many bundles goes on. A report keeps every finding
//! until the end, to rank them across bundles and group them into the fleet view; their
//! evidence, log tails and advice are most of their size and are read only to print them. So a
//! finding's ranking and grouping fields stay as they are and the rest is kept as deflated JSON
//! (`ReportFinding::pack`), restored one finding at a time as the report is written.

use std::borrow::Cow;
use std::mem::take;

use flate2::read::DeflateDecoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use serde::{Deserialize, Serialize};

use crate::diagnose::{Alternative, LastTermination, ReportFinding};
use crate::rules::Evidence;

/// The printed-only parts of a finding, as deflated JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed(pub(super) Box<[u8]>);

/// The fields of a finding that neither ranking, filtering nor the fleet view read.
#[derive(Serialize, Deserialize)]
struct Details {
    title: String,
    last_termination: Option<LastTermination>,
    evidence: Vec<Evidence>,
    alternatives: Vec<Alternative>,
    remediation: Vec<String>,
    commands: Vec<String>,
    notes: Vec<String>,
    log_tail: Vec<String>,
    image: String,
    nodes: Vec<String>,
}

/// What packing needs, kept from finding to finding: a deflate state is a few hundred KiB, and
/// one allocated per finding fragmented the memory the packed findings stay in.
pub struct Packer {
    compress: Compress,
    json: Vec<u8>,
    deflated: Vec<u8>,
}

impl Default for Packer {
    fn default() -> Self {
        Packer {
            compress: Compress::new(Compression::fast(), false),
            json: Vec::new(),
            deflated: Vec::new(),
        }
    }
}

impl ReportFinding {
    /// Keeps the parts only printing reads compressed (about a quarter of their printed size
    /// for a finding with a log tail); [`ReportFinding::unpacked`] gives them back.
    pub fn pack(&mut self, packer: &mut Packer) {
        if self.packed.is_some() {
            return;
        }
        let details = Details {
            title: take(&mut self.title),
            last_termination: self.last_termination.take(),
            evidence: take(&mut self.evidence),
            alternatives: take(&mut self.alternatives),
            remediation: take(&mut self.remediation),
            commands: take(&mut self.commands),
            notes: take(&mut self.notes),
            log_tail: take(&mut self.log_tail),
            image: take(&mut self.image),
            nodes: take(&mut self.nodes),
        };
        match packer.deflate(&details) {
            Some(bytes) => self.packed = Some(Packed(bytes)),
            // Writing to memory does not fail; were it to, the finding stays whole.
            None => self.restore(details),
        }
    }

    /// The finding whole: itself, or a copy with its packed parts restored.
    ///
    /// # Panics
    /// Never for a finding packed by [`ReportFinding::pack`]: it reads back what it wrote.
    #[must_use]
    pub fn unpacked(&self) -> Cow<'_, ReportFinding> {
        let Some(Packed(bytes)) = &self.packed else {
            return Cow::Borrowed(self);
        };
        let details: Details = serde_json::from_reader(DeflateDecoder::new(&bytes[..]))
            .expect("a packed finding reads back: `pack` wrote it");
        let mut whole = ReportFinding {
            packed: None,
            ..self.clone()
        };
        whole.restore(details);
        Cow::Owned(whole)
    }

    fn restore(&mut self, d: Details) {
        self.title = d.title;
        self.last_termination = d.last_termination;
        self.evidence = d.evidence;
        self.alternatives = d.alternatives;
        self.remediation = d.remediation;
        self.commands = d.commands;
        self.notes = d.notes;
        self.log_tail = d.log_tail;
        self.image = d.image;
        self.nodes = d.nodes;
    }
}

impl Packer {
    /// `details` as deflated JSON, sized exactly.
    fn deflate(&mut self, details: &Details) -> Option<Box<[u8]>> {
        self.json.clear();
        serde_json::to_writer(&mut self.json, details).ok()?;
        self.compress.reset();
        self.deflated.clear();
        self.deflated.reserve(self.json.len() / 2 + 64);
        loop {
            let read = usize::try_from(self.compress.total_in()).ok()?;
            let status = self
                .compress
                .compress_vec(
                    &self.json[read..],
                    &mut self.deflated,
                    FlushCompress::Finish,
                )
                .ok()?;
            match status {
                Status::StreamEnd => break,
                // Out of room: grow and go on.
                Status::Ok | Status::BufError => self.deflated.reserve(self.deflated.len().max(64)),
            }
        }
        Some(self.deflated.as_slice().into())
    }
}
