//! The redaction corpus, `tests/data/redaction-corpus.txt`: log lines that redaction must keep
//! and credentials it must mask. Read by the tests of both redactions, the collector's and the
//! analyzer's.

use std::path::Path;

/// One case of the corpus.
#[derive(Debug)]
pub(crate) struct Case {
    /// The corpus line number, for failure messages.
    pub(crate) line: usize,
    /// The log lines of the case.
    pub(crate) lines: Vec<String>,
    /// What redaction must do with them.
    pub(crate) expect: Expect,
}

#[derive(Debug)]
pub(crate) enum Expect {
    /// Not a credential: the lines come out unchanged.
    Keep,
    /// `secret` is gone and `<redacted` is there; `kept` (may be empty) is still there.
    Mask { secret: String, kept: String },
}

/// Every case, in file order.
pub(crate) fn cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/redaction-corpus.txt");
    let text = std::fs::read_to_string(&path).expect("tests/data/redaction-corpus.txt");
    let mut cases = Vec::new();
    for (i, row) in text.lines().enumerate() {
        if row.is_empty() || row.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = row.split('\t').collect();
        let expect = match fields[..] {
            ["keep", _] => Expect::Keep,
            ["mask", _, secret] => Expect::Mask {
                secret: secret.to_owned(),
                kept: String::new(),
            },
            ["mask", _, secret, kept] => Expect::Mask {
                secret: secret.to_owned(),
                kept: kept.to_owned(),
            },
            _ => panic!("redaction-corpus.txt:{}: not a case: {row:?}", i + 1),
        };
        cases.push(Case {
            line: i + 1,
            lines: unescape(fields[1]),
            expect,
        });
    }
    assert!(cases.len() > 40, "the corpus lost its cases");
    cases
}

/// Splits a corpus LINE at `\n` and turns `\\` into one backslash.
fn unescape(field: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                chars.next();
                lines.push(String::new());
            }
            ('\\', Some('\\')) => {
                chars.next();
                lines.last_mut().expect("one line at least").push('\\');
            }
            _ => lines.last_mut().expect("one line at least").push(c),
        }
    }
    lines
}

impl Case {
    /// Checks what a redaction made of the case's lines; returns a failure message.
    pub(crate) fn check(&self, redacted: &[String]) -> Result<(), String> {
        let joined = redacted.join("\n");
        let ok = match &self.expect {
            Expect::Keep => redacted == self.lines.as_slice(),
            Expect::Mask { secret, kept } => {
                !joined.contains(secret.as_str())
                    && joined.contains("<redacted")
                    && joined.contains(kept.as_str())
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "redaction-corpus.txt:{} ({:?}):\n  in:  {:?}\n  out: {:?}",
                self.line, self.expect, self.lines, redacted
            ))
        }
    }
}
