//! The findings of a report, in rank order. A run over one bundle, a merge of shard reports and
//! the tests hold them whole. A run over many bundles spills them instead: each finding is
//! written, deflated, to a temporary file as its bundle finishes, and memory keeps only what
//! ranks, filters and groups it into the fleet view (`Key`: numbers and interned names, under
//! 100 bytes a finding). So the memory of a run does not grow with the number of bundles; the
//! findings are read back one at a time, in rank order, as the report is written.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, PoisonError};

use flate2::read::DeflateDecoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use serde::{Deserialize, Serialize};

use crate::cause::Cause;
use crate::finding::{Key, ReportFinding, Severity};

/// The ranked findings of a report.
#[derive(Default)]
pub(crate) struct Findings {
    held: Vec<Held>,
    names: Names,
    spill: Option<Spill>,
}

/// One finding: whole, or its key with where the spill file holds the rest.
enum Held {
    Whole(Box<ReportFinding>),
    Spilled(SpilledKey),
}

/// A spilled finding's `Key`, names interned, and its place in the spill file.
struct SpilledKey {
    score: f64,
    confidence: f64,
    restart_count: i64,
    /// cluster, bundle, namespace, kind, name, container.
    names: [u32; 6],
    cause: Cause,
    severity: Severity,
    pods: u32,
    len: u32,
    at: u64,
}

impl Findings {
    /// An empty set that spills what it is given to a temporary file in `std::env::temp_dir()`
    /// (removed when the set is dropped; on Unix at once, so that not even a crash leaves it).
    ///
    /// # Errors
    /// When no temporary file can be created there.
    pub(crate) fn spilling() -> io::Result<Self> {
        Ok(Self {
            spill: Some(Spill::create()?),
            ..Self::default()
        })
    }

    /// Adds a finding, spilled when this set spills. A finding the spill file cannot take (a
    /// full disk) is kept whole: nothing is lost.
    pub(crate) fn push(&mut self, finding: ReportFinding) {
        let place = match &mut self.spill {
            Some(spill) => spill.write(&finding).ok(),
            None => None,
        };
        let Some((at, len)) = place else {
            self.held.push(Held::Whole(Box::new(finding)));
            return;
        };
        let k = finding.key();
        let names = [
            k.cluster,
            k.bundle,
            k.namespace,
            k.kind,
            k.name,
            k.container,
        ]
        .map(|n| self.names.id(n));
        self.held.push(Held::Spilled(SpilledKey {
            cause: k.cause,
            severity: k.severity,
            score: k.score,
            confidence: k.confidence,
            restart_count: k.restart_count,
            names,
            pods: u32::try_from(k.pods).unwrap_or(u32::MAX),
            len,
            at,
        }));
    }

    #[must_use]
    pub(crate) fn len(&self) -> usize {
        self.held.len()
    }

    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Whether some findings are held in a spill file.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn spills(&self) -> bool {
        self.held.iter().any(|h| matches!(h, Held::Spilled(_)))
    }

    /// The rank (from 1) and key of each finding, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (usize, Key<'_>)> {
        self.held
            .iter()
            .enumerate()
            .map(|(i, h)| (i + 1, h.key(&self.names)))
    }

    /// The findings whole, in order, read back one at a time when spilled.
    pub(crate) fn iter(&self) -> impl Iterator<Item = io::Result<Cow<'_, ReportFinding>>> {
        self.held.iter().enumerate().map(|(i, h)| match h {
            Held::Whole(f) => Ok(Cow::Borrowed(&**f)),
            Held::Spilled(s) => read_back(self.spill.as_ref(), s, i + 1).map(Cow::Owned),
        })
    }

    /// The findings whole, in order (those held whole are moved, not copied).
    ///
    /// # Errors
    /// When a spilled finding does not read back.
    pub(crate) fn into_whole(self) -> io::Result<Vec<ReportFinding>> {
        let Self { held, spill, .. } = self;
        held.into_iter()
            .enumerate()
            .map(|(i, h)| match h {
                Held::Whole(f) => Ok(*f),
                Held::Spilled(s) => read_back(spill.as_ref(), &s, i + 1),
            })
            .collect()
    }

    /// Sorts by `rank::compare` and numbers the findings from 1.
    pub(crate) fn rank(&mut self) {
        let Self { held, names, spill } = self;
        held.sort_by(|a, b| {
            crate::rank::compare_keys(&a.key(names), &b.key(names))
                .then_with(|| compare_pods(a, b, spill.as_ref()))
        });
        self.renumber();
    }

    /// Keeps the findings `keep` accepts, in order, and numbers them from 1.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(Key<'_>) -> bool) {
        let Self { held, names, .. } = self;
        held.retain(|h| keep(h.key(names)));
        self.renumber();
    }

    fn renumber(&mut self) {
        for (i, h) in self.held.iter_mut().enumerate() {
            if let Held::Whole(f) = h {
                f.rank = i + 1;
            }
        }
    }
}

/// A spilled finding read back, numbered `rank`.
fn read_back(spill: Option<&Spill>, key: &SpilledKey, rank: usize) -> io::Result<ReportFinding> {
    let spill =
        spill.ok_or_else(|| io::Error::other("a spilled finding outlived its spill file"))?;
    let mut f = spill.read(key)?;
    f.rank = rank;
    Ok(f)
}

/// The last tie-break of `rank::compare`: the pod lists. Keys are unique within a run (one
/// finding per bundle, workload, container and cause), so this reads spilled findings back
/// only for duplicates; an unreadable one compares equal and fails the report when written.
fn compare_pods(a: &Held, b: &Held, spill: Option<&Spill>) -> Ordering {
    let pods = |h: &Held| -> Option<Vec<String>> {
        match h {
            Held::Whole(f) => Some(f.pods.clone()),
            Held::Spilled(s) => spill?.read(s).ok().map(|f| f.pods),
        }
    };
    match (pods(a), pods(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => Ordering::Equal,
    }
}

impl Held {
    fn key<'a>(&'a self, names: &'a Names) -> Key<'a> {
        match self {
            Held::Whole(f) => f.key(),
            Held::Spilled(s) => {
                let name = |i: usize| names.get(s.names[i]);
                Key {
                    score: s.score,
                    confidence: s.confidence,
                    restart_count: s.restart_count,
                    cluster: name(0),
                    bundle: name(1),
                    namespace: name(2),
                    kind: name(3),
                    name: name(4),
                    container: name(5),
                    cause: s.cause,
                    severity: s.severity,
                    pods: s.pods as usize,
                }
            }
        }
    }
}

impl From<Vec<ReportFinding>> for Findings {
    fn from(findings: Vec<ReportFinding>) -> Self {
        Self {
            held: findings
                .into_iter()
                .map(|f| Held::Whole(Box::new(f)))
                .collect(),
            ..Self::default()
        }
    }
}

impl Extend<ReportFinding> for Findings {
    fn extend<I: IntoIterator<Item = ReportFinding>>(&mut self, findings: I) {
        for f in findings {
            self.push(f);
        }
    }
}

impl Serialize for Findings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for f in self.iter() {
            seq.serialize_element(&*f.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Findings {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<ReportFinding>::deserialize(deserializer).map(Self::from)
    }
}

/// Equal when every finding reads back equal (tests compare reports).
impl PartialEq for Findings {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| matches!((a, b), (Ok(a), Ok(b)) if a == b))
    }
}

impl fmt::Debug for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spilled = self.held.iter().filter(|h| matches!(h, Held::Spilled(_)));
        f.debug_struct("Findings")
            .field("len", &self.len())
            .field("spilled", &spilled.count())
            .finish_non_exhaustive()
    }
}

/// Interned names: a fleet repeats the same clusters, namespaces, kinds and causes many times.
#[derive(Default)]
struct Names {
    ids: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 4 billion names");
        let name: Arc<str> = name.into();
        self.names.push(Arc::clone(&name));
        self.ids.insert(name, id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// The temporary file spilled findings are written to, each as deflated JSON.
struct Spill {
    path: PathBuf,
    /// Behind a lock so that a reader (`&self`) can flush the buffer and seek.
    file: Mutex<BufWriter<File>>,
    /// Bytes written so far: where the next finding goes.
    end: u64,
    /// Set by a failed write, after which where the next finding would go is unknown: the
    /// findings that follow are kept in memory.
    broken: bool,
    compress: Compress,
    json: Vec<u8>,
    deflated: Vec<u8>,
}

impl Spill {
    fn create() -> io::Result<Self> {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir();
        let seq = SEQ.fetch_add(1, AtomicOrdering::Relaxed);
        let path = dir.join(format!("ktriage-{}-{seq}.findings", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        // Unix keeps an unlinked file readable through its open handle: nothing is left behind,
        // whatever happens. Elsewhere the file is removed on drop.
        if cfg!(unix) {
            let _ = fs::remove_file(&path);
        }
        Ok(Self {
            path,
            file: Mutex::new(BufWriter::with_capacity(1 << 16, file)),
            end: 0,
            broken: false,
            compress: Compress::new(Compression::fast(), false),
            json: Vec::new(),
            deflated: Vec::new(),
        })
    }

    /// Appends one finding; returns where it went.
    fn write(&mut self, finding: &ReportFinding) -> io::Result<(u64, u32)> {
        if self.broken {
            return Err(io::Error::other("an earlier write failed"));
        }
        self.json.clear();
        serde_json::to_writer(&mut self.json, finding)?;
        self.compress.reset();
        self.deflated.clear();
        self.deflated.reserve(self.json.len() / 2 + 64);
        loop {
            let read = usize::try_from(self.compress.total_in()).map_err(io::Error::other)?;
            let status = self
                .compress
                .compress_vec(
                    &self.json[read..],
                    &mut self.deflated,
                    FlushCompress::Finish,
                )
                .map_err(io::Error::other)?;
            match status {
                Status::StreamEnd => break,
                // Out of room: grow and go on.
                Status::Ok | Status::BufError => self.deflated.reserve(self.deflated.len().max(64)),
            }
        }
        let len = u32::try_from(self.deflated.len()).map_err(io::Error::other)?;
        let written = self
            .file
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .write_all(&self.deflated);
        if written.is_err() {
            self.broken = true;
        }
        written?;
        let at = self.end;
        self.end += u64::from(len);
        Ok((at, len))
    }

    /// Reads one finding back.
    fn read(&self, key: &SpilledKey) -> io::Result<ReportFinding> {
        let mut bytes = vec![0; key.len as usize];
        let mut writer = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        writer.flush()?;
        // Reading leaves the file where the next write goes.
        let file = writer.get_mut();
        let end = file.stream_position()?;
        file.seek(SeekFrom::Start(key.at))?;
        file.read_exact(&mut bytes)?;
        file.seek(SeekFrom::Start(end))?;
        drop(writer);
        serde_json::from_reader(DeflateDecoder::new(&bytes[..])).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a finding does not read back from `{}`: {e}",
                    self.path.display()
                ),
            )
        })
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if !cfg!(unix) {
            let _ = fs::remove_file(&self.path);
        }
    }
}
