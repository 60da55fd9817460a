//! The analyzer's redaction (`ktriage::redact`) over the redaction corpus, both directions:
//! credentials are masked, diagnostic text is kept. `tests/collector.rs` runs the same corpus
//! through the collector.

#[path = "support/redaction_corpus.rs"]
mod redaction_corpus;

use ktriage::redact::{redact, redact_lines, starts_in_key_block};

#[test]
fn corpus_as_one_text() {
    let failures: Vec<String> = redaction_corpus::cases()
        .iter()
        .filter_map(|case| {
            let text = case.lines.join("\n");
            let out: Vec<String> = redact(&text).split('\n').map(str::to_owned).collect();
            case.check(&out).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Quoted as a log tail, from every line of the case on: a window that begins inside a private
/// key block quotes none of it either.
#[test]
fn corpus_as_log_windows() {
    let mut failures = Vec::new();
    for case in redaction_corpus::cases() {
        for start in 0..case.lines.len() {
            let above = case.lines[..start]
                .iter()
                .rev()
                .map(|l| std::borrow::Cow::Borrowed(l.as_str()));
            let inside = starts_in_key_block(&case.lines[start], above, false);
            let out = redact_lines(&case.lines[start..], inside);
            let result = match &case.expect {
                redaction_corpus::Expect::Mask { secret, .. } => {
                    if out.iter().any(|l| l.contains(secret.as_str())) {
                        Err(format!("line {}: window from {start}: {out:?}", case.line))
                    } else {
                        Ok(())
                    }
                }
                redaction_corpus::Expect::Keep => {
                    if out == case.lines[start..] {
                        Ok(())
                    } else {
                        Err(format!("line {}: window from {start}: {out:?}", case.line))
                    }
                }
            };
            failures.extend(result.err());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
