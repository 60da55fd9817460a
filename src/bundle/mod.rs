//! Reading a bundle: a path (archive or directory) -> its members, handed one by one to a
//! `Sink` the caller owns.
//!
//! Knows tar, gzip, zstd, xz, directories and the limits that keep hostile input in check;
//! nothing about Kubernetes or dump formats (the sink decides which members it wants and what
//! they mean: `formats`). Never writes to disk, never follows links.

mod archive;
mod sink;

use std::path::PathBuf;

pub use archive::read_archive;
pub(crate) use archive::read_bundle;
pub(crate) use sink::{Keep, Sink, Tail};

/// One input to analyze: an archive file or a bundle directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BundleSource {
    /// The path as given or as found under a given directory.
    pub path: PathBuf,
    /// The bundle directory `path` lies inside, when it is a file or directory of a bundle
    /// rather than a bundle: analyzing it fails with a message naming that bundle.
    pub within: Option<PathBuf>,
}

impl BundleSource {
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            within: None,
        }
    }

    /// The file or directory name without archive extensions (`prod-eu-1.tar.gz` -> `prod-eu-1`).
    #[must_use]
    pub fn stem(&self) -> String {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for ext in [
            ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar", ".gz", ".zst", ".xz", ".json",
            ".yaml", ".txt",
        ] {
            if let Some(stem) = name.strip_suffix(ext) {
                return stem.to_owned();
            }
        }
        name
    }
}

/// Size and count limits that keep a hostile bundle from exhausting memory or time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest resource file kept in memory; a larger one is skipped with a warning.
    pub max_entry_bytes: u64,
    /// Total decompressed bytes read from one bundle (a gzip bomb is a bundle failure).
    pub max_total_bytes: u64,
    /// Most archive entries or directory files walked in one bundle.
    pub max_entries: u64,
    /// How much of each log file's tail is kept for analysis.
    pub log_window_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entry_bytes: 512 << 20,
            max_total_bytes: 16 << 30,
            max_entries: 1_000_000,
            log_window_bytes: 4 << 20,
        }
    }
}

/// Why a whole bundle could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is empty")]
    Empty { path: PathBuf },
    #[error("`{path}` is not a readable archive: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "`{path}` decompresses to more than {limit} bytes (limit --max-bundle-size); refusing a possible decompression bomb"
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("`{path}` is a single file of more than {limit} bytes (limit --max-entry-size)")]
    FileTooLarge { path: PathBuf, limit: u64 },
    #[error("`{path}` has more than {limit} entries (limit --max-entries)")]
    TooManyEntries { path: PathBuf, limit: u64 },
    #[error(
        "`{path}` is a {kind} archive, which this build cannot read (enable the `{feature}` feature)"
    )]
    Unsupported {
        path: PathBuf,
        kind: &'static str,
        feature: &'static str,
    },
}

/// Normalizes an archive member path: drops `./` and empty components, rejects `..` and
/// absolute paths, and skips macOS `._*` / `__MACOSX/` members. `Err` carries the reason.
pub(crate) fn normalize_member(raw: &str) -> Result<Option<String>, &'static str> {
    if raw.starts_with('/') || raw.starts_with('\\') || raw.as_bytes().get(1) == Some(&b':') {
        return Err("absolute path");
    }
    let mut parts = Vec::new();
    for part in raw.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err("`..` in path"),
            p => parts.push(p),
        }
    }
    if parts
        .iter()
        .any(|p| p.starts_with("._") || *p == "__MACOSX")
        || parts.is_empty()
    {
        return Ok(None);
    }
    Ok(Some(parts.join("/")))
}

/// Tab stops of tabs expanded by `printable`, every 8 columns as on a terminal.
const TAB_STOP: usize = 8;

/// `text` safe to print and still readable: tabs expanded to spaces (stops every 8 columns),
/// other control characters shown as visible escapes (`\n`, `\r`, `\x1b`; C1 controls as
/// `\u0085`), so a hostile member name or log line cannot drive the terminal a report is
/// printed on.
#[must_use]
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut column = 0;
    for c in text.chars() {
        let before = out.len();
        match c {
            '\t' => {
                let n = TAB_STOP - column % TAB_STOP;
                out.extend(std::iter::repeat_n(' ', n));
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
        // Escapes are ASCII; a printable character counts as one column.
        column += if c.is_control() {
            out.len() - before
        } else {
            1
        };
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_readable() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("a\tb"), "a       b");
        assert_eq!(printable("key:\tvalue\tx"), "key:    value   x");
        assert_eq!(printable("\tat com.shop.Main"), "        at com.shop.Main");
        assert_eq!(
            printable("\x1b[31mred\x1b[0m\r\n\x7f"),
            "\\x1b[31mred\\x1b[0m\\r\\n\\x7f"
        );
        assert_eq!(printable("\u{85}next"), "\\u0085next");
        // An escape moves the tab stops as its printed width does.
        assert_eq!(printable("\x07\tx"), "\\x07    x");
    }

    #[test]
    fn member_paths() {
        assert_eq!(
            normalize_member("./b/manifest.json"),
            Ok(Some("b/manifest.json".into()))
        );
        assert_eq!(normalize_member("b//x.yaml"), Ok(Some("b/x.yaml".into())));
        assert_eq!(normalize_member("b/../../etc/passwd"), Err("`..` in path"));
        assert_eq!(normalize_member("/etc/passwd"), Err("absolute path"));
        assert_eq!(normalize_member("b/._pods.yaml"), Ok(None));
        assert_eq!(normalize_member("__MACOSX/b/pods.yaml"), Ok(None));
    }
}
