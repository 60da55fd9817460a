//! The one place that knows which YAML crate parses bundles, so it can be swapped.
//!
//! `serde_yaml_ng` was measured fastest on kubectl-shaped YAML (see README, design notes); it
//! caps nesting depth (128) and alias expansion, so hostile input is an error, not a stack
//! overflow or a memory blow-up. Its libyaml scanner, though, spends time proportional to the
//! flow nesting depth on every token, so `[[[[…` 100,000 deep would take minutes before the
//! depth cap is reached: `check_flow_depth` refuses such text up front, in one linear pass.

use serde::de::DeserializeOwned;

/// A generic YAML value, used only when a file is not in kubectl's list shape.
pub(crate) type Value = serde_yaml_ng::Value;

/// A YAML parse error with its location, as one line of text.
pub(crate) fn describe(err: &serde_yaml_ng::Error) -> String {
    let text = err.to_string();
    text.lines().next().unwrap_or("invalid YAML").to_owned()
}

/// Deepest flow nesting (`[` / `{`) accepted; deeper text is refused before parsing.
/// Matches the parser's own recursion limit, so nothing it would accept is refused.
pub(crate) const MAX_FLOW_DEPTH: usize = 128;

/// Parses one YAML document into `T`.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    check_flow_depth(text)?;
    serde_yaml_ng::from_str(text).map_err(|e| describe(&e))
}

/// Converts a generic value into `T`.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_yaml_ng::from_value(value).map_err(|e| describe(&e))
}

/// Every document of a (possibly multi-document) YAML stream, as generic values. A document
/// that fails to parse ends the stream with its error: libyaml cannot resynchronize after it.
pub(crate) fn documents(text: &str) -> Vec<Result<Value, String>> {
    if let Err(e) = check_flow_depth(text) {
        return vec![Err(e)];
    }
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        match <Value as serde::Deserialize>::deserialize(doc) {
            Ok(v) => out.push(Ok(v)),
            Err(e) => {
                out.push(Err(describe(&e)));
                break;
            }
        }
    }
    out
}

/// Refuses text whose flow collections nest deeper than `MAX_FLOW_DEPTH`, in one linear pass.
///
/// A flow collection starts where a value starts with `[` or `{` (after `key: `, `- `, or at
/// the start of a line); inside one, brackets count and quoted strings are skipped. Brackets
/// inside plain or block scalars elsewhere do not count, so log text quoted in a pod's status
/// does not trip it. Approximate by design: it only has to be cheap and never refuse what the
/// parser would accept.
fn check_flow_depth(text: &str) -> Result<(), String> {
    let mut depth: usize = 0;
    // Inside a quoted string within a flow collection: the closing quote.
    let mut quote: Option<u8> = None;
    // Inside a block scalar (`|`, `>`): lines indented deeper than this are text.
    let mut block_indent: Option<usize> = None;
    for (number, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|b| **b == b' ').count();
        if let Some(k) = block_indent {
            if indent > k || indent == bytes.len() {
                continue;
            }
            block_indent = None;
        }
        if depth == 0 && quote.is_none() && starts_block_scalar(line) {
            block_indent = Some(indent);
            continue;
        }
        let mut i = if depth == 0 && quote.is_none() {
            match flow_start(bytes) {
                Some(start) => start,
                None => continue,
            }
        } else {
            0
        };
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            match b {
                b'"' | b'\'' => quote = Some(b),
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(format!(
                            "nesting deeper than {MAX_FLOW_DEPTH} levels at line {}; refusing to parse",
                            number + 1
                        ));
                    }
                }
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        // Back in block context: the rest of the line is plain text.
                        break;
                    }
                }
                b'#' if i > 0 && bytes[i - 1] == b' ' => break,
                _ => {}
            }
            i += 1;
        }
    }
    Ok(())
}

/// Whether a block-context line ends by opening a block scalar (`key: |`, `- >-`, `|2`).
fn starts_block_scalar(line: &str) -> bool {
    let line = line.trim_end();
    let Some(pos) = line.rfind([' ', '|', '>']) else {
        return false;
    };
    let (head, indicator) = if line.as_bytes()[pos] == b' ' {
        (&line[..pos], &line[pos + 1..])
    } else {
        // The indicator may be the whole value after `- ` or `: ` (the space precedes it).
        match line[..pos].rfind(' ') {
            Some(space) => (&line[..space], &line[space + 1..]),
            None => ("", line),
        }
    };
    let mut chars = indicator.chars();
    matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| matches!(c, '-' | '+' | '1'..='9'))
        && (head.ends_with(':') || head.trim_start().is_empty() || head.trim_end().ends_with('-'))
}

/// Where a flow collection starts on a block-context line: the first `[` or `{` that begins a
/// value (after indentation, `- ` markers and a `key: `).
fn flow_start(line: &[u8]) -> Option<usize> {
    let mut i = line.iter().position(|b| *b != b' ')?;
    loop {
        match line.get(i..)? {
            [b'[' | b'{', ..] => return Some(i),
            [b'-', b' ', ..] => i += 2,
            _ => break,
        }
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    // `key: value`: the value may start a flow collection. Keys never hold `: `.
    let colon = line[i..].windows(2).position(|w| w == b": ")? + i + 2;
    let start = colon + line[colon..].iter().position(|b| *b != b' ')?;
    matches!(line[start], b'[' | b'{').then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_quickly() {
        let deep = format!("items: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let err = check_flow_depth(&deep).unwrap_err();
        assert!(
            err.starts_with("nesting deeper than 128 levels at line 1"),
            "{err}"
        );
        let deep = format!("- {}\n", "{a: ".repeat(200));
        assert!(check_flow_depth(&deep).is_err());
        assert!(documents(&deep)[0].is_err());
    }

    #[test]
    fn ordinary_yaml_passes() {
        let ok = "metadata:\n  labels: {app: api, tier: \"[web\"}\n  list: [[1, 2], [3, '{']]\nstatus:\n  message: |\n    [[[[[[ unbalanced log text\n    at [Ljava.lang.String;\n  reason: \"[[[[\"\n";
        assert_eq!(check_flow_depth(ok), Ok(()));
        let block = format!(
            "message: |-\n{}reason: Error\n",
            "  [ERROR [Ljava.lang.Object;\n".repeat(500)
        );
        assert_eq!(check_flow_depth(&block), Ok(()));
        assert!(starts_block_scalar("    message: |"));
        assert!(starts_block_scalar("- >-"));
        assert!(starts_block_scalar("  script: |2+"));
        assert!(!starts_block_scalar("  cmd: a|b"));
        let many = "message: [ERROR] x\n".repeat(10_000);
        assert_eq!(check_flow_depth(&many), Ok(()));
        let nested = format!("a: {}{}\n", "[".repeat(128), "]".repeat(128));
        assert_eq!(check_flow_depth(&nested), Ok(()));
    }
}
