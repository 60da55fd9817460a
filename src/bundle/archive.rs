//! One streaming pass over an archive (gzip, plain tar) or a walk of a directory.
//!
//! Each member is read as the sink asks (`Sink::keep`: skipped, whole, or as a bounded tail)
//! and handed to it. Decompressed bytes, entry sizes and entry counts are capped (`Limits`).

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

use super::{BundleError, BundleSource, Keep, Limits, Sink, Tail, normalize_member, printable};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];

/// Reads one bundle, handing each member `sink` keeps to it as it is read.
///
/// # Errors
/// A `BundleError` when the input as a whole cannot be read (missing, empty, corrupt archive,
/// over a limit). Problems with single members go to `Sink::warning` instead.
pub(crate) fn read_bundle(
    source: &BundleSource,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    let path = source.path.as_path();
    let io_err = |e: io::Error| BundleError::Io {
        path: path.to_owned(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return read_dir_bundle(path, limits, sink);
    }
    if meta.len() == 0 {
        return Err(BundleError::Empty {
            path: path.to_owned(),
        });
    }
    let file = File::open(path).map_err(io_err)?;
    read_archive(path, file, limits, sink)
}

/// Reads a bundle archive (gzip or plain tar, or a single text dump) from any reader, in one
/// streaming pass; `path` only names the bundle in messages. `read_bundle` calls this for
/// files; tests and fuzzers call it on bytes.
///
/// # Errors
/// As `read_bundle`.
pub fn read_archive(
    path: &Path,
    reader: impl Read,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut reader, &mut magic).map_err(|e| BundleError::Io {
        path: path.to_owned(),
        source: e,
    })?;
    let head = &magic[..n];
    if n == 0 {
        return Err(BundleError::Empty {
            path: path.to_owned(),
        });
    }
    let budget = Budget::new(limits.max_total_bytes);
    // Chain of two BufReads is a BufRead: the sniffed bytes are put back without copying more.
    let stream = io::Cursor::new(magic[..n].to_vec()).chain(reader);
    if head.starts_with(GZIP_MAGIC) {
        let decoder = MultiGzDecoder::new(stream);
        read_stream(
            path,
            Counted::new(decoder, budget.clone()),
            &budget,
            limits,
            sink,
        )
    } else if head.starts_with(ZSTD_MAGIC) {
        read_zstd(path, stream, &budget, limits, sink)
    } else if head.starts_with(XZ_MAGIC) {
        read_xz(path, stream, &budget, limits, sink)
    } else {
        read_stream(
            path,
            Counted::new(stream, budget.clone()),
            &budget,
            limits,
            sink,
        )
    }
}

#[cfg(feature = "zstd")]
fn read_zstd(
    path: &Path,
    stream: impl io::BufRead,
    budget: &Budget,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    let decoder = ZstdFrames::new(stream);
    read_stream(
        path,
        Counted::new(decoder, budget.clone()),
        budget,
        limits,
        sink,
    )
}

#[cfg(not(feature = "zstd"))]
fn read_zstd(
    path: &Path,
    _stream: impl io::BufRead,
    _budget: &Budget,
    _limits: &Limits,
    _sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    Err(BundleError::Unsupported {
        path: path.to_owned(),
        kind: "zstd",
        feature: "zstd",
    })
}

#[cfg(feature = "xz")]
fn read_xz(
    path: &Path,
    stream: impl io::BufRead,
    budget: &Budget,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    // The multi decoder also reads concatenated streams (`xz -T0` output, `cat a.xz b.xz`).
    let decoder = liblzma::bufread::XzDecoder::new_multi_decoder(stream);
    read_stream(
        path,
        Counted::new(decoder, budget.clone()),
        budget,
        limits,
        sink,
    )
}

#[cfg(not(feature = "xz"))]
fn read_xz(
    path: &Path,
    _stream: impl io::BufRead,
    _budget: &Budget,
    _limits: &Limits,
    _sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    Err(BundleError::Unsupported {
        path: path.to_owned(),
        kind: "xz",
        feature: "xz",
    })
}

/// A zstd stream of one or more frames (`pzstd` and `cat a.zst b.zst` write several; skippable
/// frames are skipped), decoded as one byte stream. `ruzstd`'s own reader stops after a frame.
#[cfg(feature = "zstd")]
struct ZstdFrames<R> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

#[cfg(feature = "zstd")]
impl<R: io::BufRead> ZstdFrames<R> {
    fn new(source: R) -> Self {
        Self {
            source,
            decoder: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }
    }

    /// Starts the next frame; `false` at the clean end of the input.
    fn next_frame(&mut self) -> io::Result<bool> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }
}

#[cfg(feature = "zstd")]
impl<R: io::BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::BlockDecodingStrategy;
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if !self.next_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            self.in_frame = false;
        }
    }
}

/// Reads a decompressed stream: a tar archive, else a single text file (e.g. the stdout of
/// `kubectl cluster-info dump`), else an error.
fn read_stream<R: Read>(
    path: &Path,
    mut reader: R,
    budget: &Budget,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    let mut head = vec![0u8; 512];
    let n = read_up_to(&mut reader, &mut head).map_err(|e| stream_error(path, budget, &e))?;
    head.truncate(n);
    if n == 0 {
        return Err(BundleError::Empty {
            path: path.to_owned(),
        });
    }
    let is_tar = n >= 262 && &head[257..262] == b"ustar" || looks_like_v7_tar(&head);
    let chained = io::Cursor::new(head).chain(reader);
    if is_tar {
        return read_tar(path, chained, budget, limits, sink);
    }
    if is_text(&chained.get_ref().0.get_ref()[..n]) {
        let name = path
            .file_name()
            .map_or_else(|| "input".to_owned(), |n| n.to_string_lossy().into_owned());
        let mut data = Vec::new();
        chained
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut data)
            .map_err(|e| stream_error(path, budget, &e))?;
        if data.len() as u64 > limits.max_entry_bytes {
            return Err(BundleError::FileTooLarge {
                path: path.to_owned(),
                limit: limits.max_entry_bytes,
            });
        }
        sink.single_file(name, data);
        return Ok(());
    }
    Err(BundleError::Corrupt {
        path: path.to_owned(),
        detail: "not a tar archive, gzip file, bundle directory or text dump".to_owned(),
    })
}

fn read_tar<R: Read>(
    path: &Path,
    reader: R,
    budget: &Budget,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<(), BundleError> {
    let mut archive = tar::Archive::new(reader);
    // Concatenated archives (`cat a.tgz b.tgz`) must not stop at the first end-of-archive.
    archive.set_ignore_zeros(true);
    // Raw entries: the tar crate would read GNU long-name and PAX records into memory whole,
    // however large; `Meta` reads them here, capped.
    let entries = archive
        .entries()
        .map_err(|e| stream_error(path, budget, &e))?
        .raw(true);
    let mut count: u64 = 0;
    let mut meta = Meta::default();
    let mut scratch = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| stream_error(path, budget, &e))?;
        count += 1;
        if count > limits.max_entries {
            return Err(BundleError::TooManyEntries {
                path: path.to_owned(),
                limit: limits.max_entries,
            });
        }
        let kind = entry.header().entry_type();
        if meta
            .take(&mut entry)
            .map_err(|e| stream_error(path, budget, &e))?
        {
            continue;
        }
        let names = std::mem::take(&mut meta)
            .apply(&entry)
            .map_err(|e| stream_error(path, budget, &e))?;
        let raw_path = printable(&String::from_utf8_lossy(&names.path)).into_owned();
        if kind.is_symlink() || kind.is_hard_link() {
            // Never followed: a link could point anywhere on this machine or into the archive.
            // A link to another member (troubleshoot's `all-logs/` duplicates) loses nothing: the
            // file is read where it really is. Only links leaving the archive are worth a word.
            let inside = link_stays_inside(
                &raw_path,
                &String::from_utf8_lossy(&names.link),
                kind.is_symlink(),
            );
            if !inside
                && normalize_member(&raw_path)
                    .is_ok_and(|m| m.is_some_and(|m| sink.keep(&m) != Keep::Skip))
            {
                let target = printable(&String::from_utf8_lossy(&names.link)).into_owned();
                let what = if kind.is_symlink() {
                    "symbolic"
                } else {
                    "hard"
                };
                sink.warning(format!(
                    "{raw_path}: skipped, a {what} link (to `{target}`); links are never followed"
                ));
            }
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::GNUSparse) {
            continue; // directories, devices, FIFOs
        }
        let member = match normalize_member(&raw_path) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(why) => {
                sink.warning(format!("{raw_path}: skipped, {why}"));
                continue;
            }
        };
        let keep = sink.keep(&member);
        if keep == Keep::Skip {
            continue;
        }
        let size = entry.size();
        let left = budget.limit.saturating_sub(budget.used());
        let name = member.clone();
        let inner = keep_member(
            sink,
            member,
            keep,
            size,
            &mut entry,
            limits,
            left,
            &mut scratch,
        )
        .map_err(|e| stream_error(path, budget, &while_reading(e, &name)))?;
        budget.add(inner);
        if budget.exceeded() {
            return Err(BundleError::TooLarge {
                path: path.to_owned(),
                limit: budget.limit,
            });
        }
    }
    Ok(())
}

/// Largest GNU long-name or PAX record accepted (real ones hold a path or a few attributes).
const MAX_META_BYTES: u64 = 1 << 20;

/// The metadata records (GNU long name and link, PAX) that describe the next tar member.
#[derive(Default)]
struct Meta {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<Vec<u8>>,
}

/// A member's names after its metadata records are applied.
struct Names {
    path: Vec<u8>,
    link: Vec<u8>,
}

impl Meta {
    /// Reads `entry` when it is a metadata record (true), capped at `MAX_META_BYTES`.
    fn take<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> io::Result<bool> {
        let kind = entry.header().entry_type();
        let slot = if kind.is_gnu_longname() {
            &mut self.long_name
        } else if kind.is_gnu_longlink() {
            &mut self.long_link
        } else if kind.is_pax_local_extensions() {
            &mut self.pax
        } else {
            // A global PAX header describes no single member; its data is skipped unread.
            return Ok(kind.is_pax_global_extensions());
        };
        let size = entry.header().entry_size()?;
        if size > MAX_META_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a tar name or attribute record of {size} bytes (more than {MAX_META_BYTES} is refused)"
                ),
            ));
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry.read_to_end(&mut data)?;
        *slot = Some(data);
        Ok(true)
    }

    /// The path and link name of `entry`: a PAX record wins over a GNU long name, which wins
    /// over the header.
    fn apply<R: Read>(self, entry: &tar::Entry<'_, R>) -> io::Result<Names> {
        let trim = |mut v: Vec<u8>| {
            while v.last() == Some(&0) {
                v.pop();
            }
            v
        };
        let header = entry.header();
        let mut path = self
            .long_name
            .map_or_else(|| header.path_bytes().into_owned(), trim);
        let mut link = self.long_link.map_or_else(
            || {
                header
                    .link_name_bytes()
                    .map(std::borrow::Cow::into_owned)
                    .unwrap_or_default()
            },
            trim,
        );
        if let Some(pax) = &self.pax {
            for record in tar::PaxExtensions::new(pax) {
                let record = record?;
                match record.key() {
                    Ok("path") => path = record.value_bytes().to_vec(),
                    Ok("linkpath") => link = record.value_bytes().to_vec(),
                    // Only members of 8 GiB and more need a PAX size; raw entries are framed
                    // by the header's size, so a different one cannot be followed.
                    Ok("size")
                        if record.value().ok() != Some(&header.entry_size()?.to_string()) =>
                    {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "a member with a PAX size record (8 GiB or more) is not supported",
                        ));
                    }
                    _ => {}
                }
            }
        }
        Ok(Names { path, link })
    }
}

/// Reads one member from `reader` as `keep` says (whole, or as a tail) and hands it to `sink`.
/// Returns the bytes a compressed member decompressed to (they count against the bundle's
/// size limit too); more than `left` means the limit is exceeded and the member was dropped.
#[allow(
    clippy::too_many_arguments,
    reason = "one call per reader, each argument distinct"
)]
fn keep_member(
    sink: &mut dyn Sink,
    member: String,
    keep: Keep,
    size: u64,
    reader: &mut dyn Read,
    limits: &Limits,
    left: u64,
    scratch: &mut Vec<u8>,
) -> io::Result<u64> {
    if keep == Keep::Tail && member.ends_with(".gz") {
        // Rotated logs are often gzip-compressed inside the archive.
        let mut inner = MultiGzDecoder::new(BufReader::new(reader));
        let name = member.trim_end_matches(".gz").to_owned();
        return match read_tail(&mut inner, &name, limits.log_window_bytes, left) {
            Ok(tail) => {
                let total = tail.total_bytes;
                sink.tail(tail);
                Ok(total)
            }
            Err(e)
                if e.get_ref()
                    .is_some_and(<dyn std::error::Error + Send + Sync>::is::<CapExceeded>) =>
            {
                Ok(left + 1)
            }
            Err(e)
                if e.kind() == io::ErrorKind::InvalidData
                    || e.kind() == io::ErrorKind::InvalidInput
                    || e.kind() == io::ErrorKind::UnexpectedEof =>
            {
                sink.warning(format!("{member}: not a readable gzip file ({e}), skipped"));
                Ok(0)
            }
            Err(e) => Err(e),
        };
    }
    if keep == Keep::Tail {
        // Most logs fit the window: read whole into the buffer, kept at their exact size.
        let window = limits.log_window_bytes.max(MIN_LOG_WINDOW);
        let want = usize::try_from(size.min(window) + 1).unwrap_or(usize::MAX);
        let filled = fill(reader, scratch, want)?;
        let tail = if filled < want {
            Tail {
                path: member,
                text: scratch[..filled].to_vec(),
                total_bytes: filled as u64,
                skipped_lines: 0,
            }
        } else {
            let mut rest = io::Cursor::new(&scratch[..filled]).chain(reader);
            read_tail(&mut rest, &member, window, u64::MAX)?
        };
        check_complete(&tail.path, tail.total_bytes, size)?;
        sink.tail(tail);
        return Ok(0);
    }
    if size > limits.max_entry_bytes {
        sink.warning(format!(
            "{member}: skipped, {size} bytes is over the entry limit of {} bytes (--max-entry-size)",
            limits.max_entry_bytes
        ));
        return Ok(0);
    }
    // One byte more than announced tells whether the member is longer (a file on disk may
    // have grown since its size was taken; a tar member never is).
    let limit = limits.max_entry_bytes;
    let want = usize::try_from(size.min(limit) + 1).unwrap_or(usize::MAX);
    let filled = fill(reader, scratch, want)?;
    let mut longer = Vec::new();
    if filled == want {
        scratch[..filled].clone_into(&mut longer);
        reader
            .take((limit + 1).saturating_sub(filled as u64))
            .read_to_end(&mut longer)?;
    }
    let data = if longer.is_empty() {
        &scratch[..filled]
    } else {
        &longer[..]
    };
    if data.len() as u64 > limit {
        sink.warning(format!(
            "{member}: skipped, over the entry limit of {limit} bytes (--max-entry-size)"
        ));
        return Ok(0);
    }
    check_complete(&member, data.len() as u64, size)?;
    sink.file(member, data);
    Ok(0)
}

/// Reads up to `want` bytes into the front of `scratch`, the buffer every member of a bundle
/// is read through (a fresh buffer per member cost a page fault per 4 KiB read); returns
/// how many were read.
fn fill(reader: &mut dyn Read, scratch: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    if scratch.len() < want {
        // Exactly: growing by doubling made it up to twice the largest member.
        scratch.reserve_exact(want - scratch.len());
        scratch.resize(want, 0);
    }
    read_up_to(reader, &mut scratch[..want])
}

/// A member that ends before the size its header announced: the archive is cut short (the
/// tar reader itself hands out the short data without an error).
fn check_complete(member: &str, read: u64, size: u64) -> io::Result<()> {
    if read < size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("`{member}` ends after {read} of its {size} bytes"),
        ));
    }
    Ok(())
}

/// The error `read_tail` stops with when a stream goes past its cap.
#[derive(Debug, thiserror::Error)]
#[error("decompresses to more than its limit")]
struct CapExceeded;

/// The smallest log window honoured, whatever `Limits::log_window_bytes` asks.
const MIN_LOG_WINDOW: u64 = 1024;

/// Streams `reader` to its end keeping only the last `window` bytes, cut at a line start.
/// Reads at most `cap` bytes (an error past that).
fn read_tail(reader: &mut dyn Read, path: &str, window: u64, cap: u64) -> io::Result<Tail> {
    let window = usize::try_from(window.max(MIN_LOG_WINDOW)).unwrap_or(usize::MAX);
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let mut total: u64 = 0;
    let mut skipped_lines: u64 = 0;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > cap {
            return Err(io::Error::other(CapExceeded));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > window * 2 {
            skipped_lines += drop_head(&mut buf, window);
        }
    }
    if buf.len() > window {
        skipped_lines += drop_head(&mut buf, window);
    }
    // Logs stay in memory until the bundle is analyzed; growing by doubling left up to half
    // of each buffer unused.
    buf.shrink_to_fit();
    Ok(Tail {
        path: path.to_owned(),
        text: buf,
        total_bytes: total,
        skipped_lines,
    })
}

/// Drops the head of `buf` so at most `keep` bytes remain, cutting after a newline when one
/// is near; returns how many whole lines were dropped.
fn drop_head(buf: &mut Vec<u8>, keep: usize) -> u64 {
    let mut cut = buf.len() - keep;
    if let Some(nl) = buf[cut..].iter().position(|&b| b == b'\n')
        && nl < keep / 2
    {
        cut += nl + 1;
    }
    let lines = buf[..cut].iter().filter(|&&b| b == b'\n').count() as u64;
    buf.drain(..cut);
    lines
}

fn read_dir_bundle(root: &Path, limits: &Limits, sink: &mut dyn Sink) -> Result<(), BundleError> {
    let mut stack = vec![root.to_owned()];
    let mut count: u64 = 0;
    let mut total: u64 = 0;
    let mut scratch = Vec::new();
    while let Some(dir) = stack.pop() {
        let io_err = |e: io::Error| BundleError::Io {
            path: dir.clone(),
            source: e,
        };
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(io_err)?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            count += 1;
            if count > limits.max_entries {
                return Err(BundleError::TooManyEntries {
                    path: root.to_owned(),
                    limit: limits.max_entries,
                });
            }
            let path = entry.path();
            // symlink_metadata: links are never followed.
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let Ok(Some(member)) = normalize_member(&rel) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            let keep = sink.keep(&member);
            if keep == Keep::Skip {
                continue;
            }
            total += meta.len();
            if total > limits.max_total_bytes {
                return Err(BundleError::TooLarge {
                    path: root.to_owned(),
                    limit: limits.max_total_bytes,
                });
            }
            let left = limits.max_total_bytes.saturating_sub(total);
            let result = File::open(&path).and_then(|mut f| {
                keep_member(
                    sink,
                    member.clone(),
                    keep,
                    meta.len(),
                    &mut f,
                    limits,
                    left,
                    &mut scratch,
                )
            });
            match result {
                Ok(inner) => total = total.saturating_add(inner),
                Err(e) => sink.warning(format!("{member}: cannot read: {e}")),
            }
            if total > limits.max_total_bytes {
                return Err(BundleError::TooLarge {
                    path: root.to_owned(),
                    limit: limits.max_total_bytes,
                });
            }
        }
    }
    Ok(())
}

/// Names the member an error was met in, unless the error already does.
fn while_reading(err: io::Error, member: &str) -> io::Error {
    let text = err.to_string();
    if text.contains(member) {
        return err;
    }
    io::Error::new(err.kind(), format!("{text} (while reading `{member}`)"))
}

/// Whether a link member points at another member of the same archive: a hard link names an
/// archive path; a symbolic link is relative to its own directory and must not climb out.
fn link_stays_inside(member: &str, target: &str, symbolic: bool) -> bool {
    if target.starts_with('/') || target.is_empty() {
        return false;
    }
    if !symbolic {
        return normalize_member(target).is_ok_and(|m| m.is_some());
    }
    let mut parts: Vec<&str> = member
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    parts.pop(); // the link's own name
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return false;
                }
            }
            p => parts.push(p),
        }
    }
    !parts.is_empty()
}

/// Maps an I/O error met while streaming to the bundle error a user should see.
fn stream_error(path: &Path, budget: &Budget, err: &io::Error) -> BundleError {
    if budget.exceeded() {
        return BundleError::TooLarge {
            path: path.to_owned(),
            limit: budget.limit,
        };
    }
    // The tar crate reports a short archive as an `other` error with this text.
    let truncated =
        err.kind() == io::ErrorKind::UnexpectedEof || err.to_string().contains("unexpected EOF");
    let detail = if truncated {
        format!("truncated archive: {err}")
    } else {
        format!("corrupt archive: {err}")
    };
    BundleError::Corrupt {
        path: path.to_owned(),
        detail,
    }
}

fn read_up_to(reader: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// An old (v7) tar header: a NUL-padded name and an octal checksum that adds up.
fn looks_like_v7_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    let field = &head[148..156];
    let text: String = field
        .iter()
        .take_while(|b| **b != 0 && **b != b' ')
        .map(|&b| b as char)
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = head
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    stored == sum && head[0] != 0
}

/// Whether the first bytes of a file look like text (JSON/YAML dump), not binary.
fn is_text(head: &[u8]) -> bool {
    let probe = &head[..head.len().min(512)];
    !probe.is_empty()
        && !probe.contains(&0)
        && probe
            .iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| b.is_ascii_graphic())
}

/// A shared count of decompressed bytes against a cap.
#[derive(Clone)]
struct Budget {
    used: Rc<Cell<u64>>,
    limit: u64,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Self {
            used: Rc::new(Cell::new(0)),
            limit,
        }
    }
    fn used(&self) -> u64 {
        self.used.get()
    }
    fn add(&self, bytes: u64) {
        self.used.set(self.used.get().saturating_add(bytes));
    }
    fn exceeded(&self) -> bool {
        self.used.get() > self.limit
    }
}

/// A reader that counts bytes into a `Budget` and fails once it is exceeded.
struct Counted<R> {
    inner: R,
    budget: Budget,
}

impl<R> Counted<R> {
    fn new(inner: R, budget: Budget) -> Self {
        Self { inner, budget }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget.add(n as u64);
        if self.budget.exceeded() {
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_inside_and_outside() {
        assert!(link_stays_inside(
            "b/all-logs/p/c.log",
            "../../cluster-resources/pods/logs/ns/p/c.log",
            true
        ));
        assert!(!link_stays_inside(
            "b/all-logs/c.log",
            "../../../etc/passwd",
            true
        ));
        assert!(!link_stays_inside("b/x.log", "/etc/passwd", true));
        assert!(link_stays_inside("b/x.log", "b/y.log", false));
        assert!(!link_stays_inside("b/x.log", "../y.log", false));
    }
    use std::io::Write;

    fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let tar = tar_of(entries);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    /// A sink that keeps resource files whole and logs as tails, as a format reader would.
    #[derive(Debug, Default)]
    struct Collected {
        files: std::collections::BTreeMap<String, Vec<u8>>,
        logs: std::collections::BTreeMap<String, Tail>,
        warnings: Vec<String>,
    }

    impl Sink for Collected {
        fn keep(&self, path: &str) -> Keep {
            if path.ends_with(".log") || path.ends_with(".gz") {
                Keep::Tail
            } else if [".yaml", ".json", ".txt"].iter().any(|e| path.ends_with(e)) {
                Keep::Whole
            } else {
                Keep::Skip
            }
        }
        fn file(&mut self, path: String, bytes: &[u8]) {
            self.files.insert(path, bytes.to_vec());
        }
        fn tail(&mut self, tail: Tail) {
            self.logs.insert(tail.path.clone(), tail);
        }
        fn single_file(&mut self, name: String, bytes: Vec<u8>) {
            self.files.insert(name, bytes);
        }
        fn warning(&mut self, text: String) {
            self.warnings.push(text);
        }
    }

    fn read_bytes(bytes: &[u8], limits: &Limits) -> Result<Collected, BundleError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tar.gz");
        std::fs::write(&path, bytes).unwrap();
        let mut sink = Collected::default();
        read_bundle(&BundleSource::new(path), limits, &mut sink)?;
        Ok(sink)
    }

    #[test]
    fn reads_wanted_members_and_logs() {
        let gz = tar_gz(&[
            ("b/manifest.json", b"{}"),
            ("b/namespaces/shop/pods.yaml", b"items: []\n"),
            ("b/logs/shop/p/c.log", b"one\ntwo\n"),
            ("b/bin/tool", b"\x7fELF"),
        ]);
        let bundle = read_bytes(&gz, &Limits::default()).unwrap();
        assert_eq!(
            bundle.files.keys().collect::<Vec<_>>(),
            ["b/manifest.json", "b/namespaces/shop/pods.yaml"]
        );
        assert_eq!(bundle.logs["b/logs/shop/p/c.log"].text, b"one\ntwo\n");
    }

    #[test]
    fn concatenated_members_are_all_read() {
        let mut gz = tar_gz(&[("a/x.yaml", b"a: 1\n")]);
        gz.extend(tar_gz(&[("a/y.yaml", b"b: 2\n")]));
        let bundle = read_bytes(&gz, &Limits::default()).unwrap();
        assert_eq!(bundle.files.len(), 2);
    }

    #[test]
    fn log_tail_window_counts_skipped_lines() {
        let text: String = (1..=10_000).map(|i| format!("line {i}\n")).collect();
        let tail = read_tail(&mut text.as_bytes(), "x.log", 1024, u64::MAX).unwrap();
        assert!(tail.text.len() <= 1024);
        assert_eq!(tail.total_bytes, text.len() as u64);
        let kept = String::from_utf8(tail.text).unwrap();
        let lines: Vec<&str> = kept.lines().collect();
        assert_eq!(lines.last(), Some(&"line 10000"));
        assert_eq!(lines[0], format!("line {}", tail.skipped_lines + 1));
        assert_eq!(tail.skipped_lines + lines.len() as u64, 10_000);
    }

    /// Members the sink skips are never read; a compressed member kept as a tail arrives
    /// decompressed under its name without `.gz`; a rotten one is a warning naming it.
    #[test]
    fn the_sink_decides_what_is_read() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"rotated one\nrotated two\n").unwrap();
        let rotated = gz.finish().unwrap();
        let archive = tar_gz(&[
            ("b/logs/shop/p/c.log.1.gz", &rotated),
            ("b/logs/shop/p/c.log.2.gz", b"not gzip at all"),
            ("b/bin/tool", b"\x7fELF"),
            ("b/a.yaml", b"a: 1\n"),
        ]);
        let read = read_bytes(&archive, &Limits::default()).unwrap();
        assert_eq!(read.files.keys().collect::<Vec<_>>(), ["b/a.yaml"]);
        let tail = &read.logs["b/logs/shop/p/c.log.1"];
        assert_eq!(tail.text, b"rotated one\nrotated two\n");
        assert_eq!(tail.total_bytes, 24);
        assert_eq!(read.logs.len(), 1);
        assert_eq!(read.warnings.len(), 1);
        assert!(
            read.warnings[0].starts_with("b/logs/shop/p/c.log.2.gz: not a readable gzip file"),
            "{:?}",
            read.warnings
        );
    }

    /// A log read whole into the member buffer is kept exactly as streaming it through the
    /// window keeps it, on either side of the window's size; so is a resource file after a
    /// larger one (the buffer is reused, never read past a member's end).
    #[test]
    fn members_read_through_the_buffer_equal_streamed() {
        let limits = Limits {
            log_window_bytes: 1024,
            ..Limits::default()
        };
        for len in [0_usize, 1, 1023, 1024, 1025, 3000] {
            let text: Vec<u8> = b"abcdefghijklmnop\n"
                .iter()
                .copied()
                .cycle()
                .take(len)
                .collect();
            let gz = tar_gz(&[
                ("b/namespaces/shop/big.yaml", &[b'x'; 5000][..]),
                ("b/logs/shop/p/c.log", &text),
                ("b/namespaces/shop/small.yaml", b"a: 1\n"),
            ]);
            let bundle = read_bytes(&gz, &limits).unwrap();
            let read = &bundle.logs["b/logs/shop/p/c.log"];
            let streamed =
                read_tail(&mut &text[..], "b/logs/shop/p/c.log", 1024, u64::MAX).unwrap();
            assert_eq!(read.text, streamed.text, "{len} bytes");
            assert_eq!(read.total_bytes, streamed.total_bytes, "{len} bytes");
            assert_eq!(read.skipped_lines, streamed.skipped_lines, "{len} bytes");
            assert_eq!(bundle.files["b/namespaces/shop/small.yaml"], b"a: 1\n");
        }
    }

    #[test]
    fn decompression_bomb_is_refused() {
        let zeros = vec![b'a'; 4 << 20];
        let gz = tar_gz(&[("b/x.yaml", &zeros)]);
        let limits = Limits {
            max_total_bytes: 1 << 20,
            ..Limits::default()
        };
        assert!(matches!(
            read_bytes(&gz, &limits),
            Err(BundleError::TooLarge { .. })
        ));
    }

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_archive_with_several_frames_and_a_skippable_frame() {
        use ruzstd::encoding::{CompressionLevel, compress_to_vec};
        let tar = tar_of(&[
            ("mg/namespaces/shop/core/pods.yaml", b"items: []\n"),
            ("mg/must-gather.notes.txt", &vec![b'#'; 300_000]),
        ]);
        let (a, b) = tar.split_at(tar.len() / 2);
        let mut zst = compress_to_vec(a, CompressionLevel::Fastest);
        // A skippable frame (magic 0x184D2A50, 4-byte length) between the data frames.
        zst.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        zst.extend(compress_to_vec(b, CompressionLevel::Fastest));
        let bundle = read_bytes(&zst, &Limits::default()).unwrap();
        assert_eq!(bundle.files.len(), 2);
        assert_eq!(bundle.files["mg/must-gather.notes.txt"].len(), 300_000);
        let err = read_bytes(&zst[..zst.len() - 40], &Limits::default()).unwrap_err();
        assert!(matches!(err, BundleError::Corrupt { .. }), "{err}");
    }

    #[cfg(feature = "xz")]
    #[test]
    fn xz_archive_with_concatenated_streams() {
        let tar = tar_of(&[
            ("mg/namespaces/shop/core/pods.yaml", b"items: []\n"),
            ("mg/namespaces/shop/pods/p/c/c/logs/current.log", b"line\n"),
        ]);
        let (a, b) = tar.split_at(700);
        let mut xz = Vec::new();
        for part in [a, b] {
            let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 1);
            enc.write_all(part).unwrap();
            xz.extend(enc.finish().unwrap());
        }
        let bundle = read_bytes(&xz, &Limits::default()).unwrap();
        assert_eq!(bundle.files.len(), 1);
        assert_eq!(bundle.logs.len(), 1);
        let err = read_bytes(&xz[..xz.len() / 2], &Limits::default()).unwrap_err();
        assert!(matches!(err, BundleError::Corrupt { .. }), "{err}");
    }

    #[cfg(not(feature = "xz"))]
    #[test]
    fn xz_without_the_feature_names_it() {
        let err = read_bytes(b"\xfd7zXZ\x00rest", &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("`xz` feature"), "{err}");
    }

    #[test]
    fn truncated_gzip_is_corrupt() {
        let gz = tar_gz(&[("b/x.yaml", &vec![b'x'; 100_000])]);
        let err = read_bytes(&gz[..gz.len() / 2], &Limits::default()).unwrap_err();
        assert!(matches!(err, BundleError::Corrupt { .. }), "{err}");
    }
}
