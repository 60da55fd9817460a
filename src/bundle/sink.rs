//! What the reader hands a bundle's members to: a `Sink` the caller implements, driven by the
//! reader (the shape of ripgrep's `grep_searcher::Sink`).
//!
//! The reader knows archives, paths and limits; the sink decides which members to keep, how,
//! and what they mean. Members arrive one at a time, in archive order (a directory is walked
//! in sorted order), each as it is read, so a sink that keeps only what it needs keeps memory
//! flat.

/// How the reader reads a member, as the sink asks from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Not read at all.
    Skip,
    /// Read whole, up to `Limits::max_entry_bytes` (a larger member is skipped with a warning),
    /// and handed to `Sink::file`.
    Whole,
    /// Streamed to its end keeping the last `Limits::log_window_bytes`, and handed to
    /// `Sink::tail`. A member whose name ends in `.gz` is gzip-decompressed first and handed
    /// under its name without `.gz` (rotated logs are often compressed inside the archive).
    Tail,
}

/// The bounded tail of a member read with `Keep::Tail`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tail {
    /// The normalized member path (without `.gz` for a decompressed member).
    pub path: String,
    /// The last bytes of the member, cut at a line start when one is near.
    pub text: Vec<u8>,
    /// Size of the whole member (decompressed).
    pub total_bytes: u64,
    /// Lines of the member before `text`.
    pub skipped_lines: u64,
}

/// Receives the members of one bundle as the reader meets them.
///
/// Paths are normalized (`normalize_member`): relative, `/`-separated, never climbing out of
/// the bundle; macOS `._*` and `__MACOSX/` members never reach the sink. Links are never
/// followed. Errors that stop the whole bundle are the reader's (`BundleError`); the sink only
/// hears about single members that could not be read (`warning`).
pub trait Sink {
    /// How to read the member at `path`, asked before any of its bytes are read.
    fn keep(&self, path: &str) -> Keep;

    /// A member read whole. `bytes` are the reader's buffer, reused for the next member: keep
    /// what is needed of them before returning.
    fn file(&mut self, path: String, bytes: &[u8]);

    /// A member read as a tail.
    fn tail(&mut self, tail: Tail);

    /// The whole input when it is one text file rather than an archive or a directory (the
    /// stdout of `kubectl cluster-info dump` saved to a file); `name` is its file name. Nothing
    /// else is handed to the sink then, and `keep` is not asked.
    fn single_file(&mut self, name: String, bytes: Vec<u8>);

    /// A problem with one member that did not stop the bundle, naming the member.
    fn warning(&mut self, text: String);
}
