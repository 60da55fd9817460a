//! The analyzer's redaction (`ktriage::redact`) over the redaction corpus, both directions:
//! credentials are masked, diagnostic text is kept. `tests/collector.rs` runs the same corpus
//! through the collector.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers too: a panic with its location is the failure report"
)]

#[path = "support/redaction_corpus.rs"]
mod redaction_corpus;

use std::path::Path;
use std::process::Command;

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

/// End to end: a crash-looping container whose previous log ends with a private key, so that
/// the report's `log_tail` window begins inside the key block, in a bundle collected with
/// `--no-redact` (the analyzer's redaction is all there is).
#[test]
fn log_tail_never_quotes_a_key_block_it_begins_inside() {
    const BODY: [&str; 11] = [
        "uCRNAomB1pOve0Vq+O+kytY9KC4Z/xSULCRuUNk1HSJwSoAqccNYC2Nw3kzrKTwy",
        "SoQjNCVX1OXDhDjw42kQ7ntUtmg2wfvdE9JEHZ4UNNxiymd/to9f5mpGS6rezb0A",
        "V2+Na1rDvMgIRLfVCxzGYDREu+fPz4/Aqh7jxjbZ4zn6uEjJtleoU+43wJy/3RSd",
        "CzgHsZHd6bYjzNlSgd0YcFtIyJsVA5A4RbuldTlFNR/mtFSFJ2D3NSnPAcqPadzK",
        "5Fv1gX3flKovekBwcfDu3GvrmPdotM0z0RdtRNFWOkWl1yEikOt2cMZ4axNZGu2s",
        "hkeJk4leiyTmEgFKuqa6BLW4xyVQe1sTFY4CDZb+TPv213TgkWHitZm481rjHxbj",
        "lYJe3viqaa0wTvgP7ZuqBYDSR82E5Xoq4jmuyQ0tWGkJXz5EilX6LDxwScAdzxL7",
        "h8REd882eZMTLKdMkqJ6HqqjQcL9VyTqRJzsJyhUfoDtu35gKYkcX/0Vfig+u0Hl",
        "WBUIfflbfAT88+icPL7o/BC9FaSyafKRlwkWfTIDhLFcQba3XpeKsNRmi2x3qn8c",
        "riQ/abVPyXC8o3JggPSVNTZdEaHf5hC2DvqZYTbTeriv0nFbjGvChQ3F5gBbcCu5",
        "9ZsPMG7LLEPuRMQpln1FhDUk6y98Fqq5veFC7iaLUcb2Wmv49AsBuHdXzeU",
    ];
    let mut lines = vec![
        "INFO  starting shop-api version=1.8.2 commit=9f3c2ab go=go1.23.4".to_owned(),
        "DEBUG loaded signing key:".to_owned(),
        "-----BEGIN RSA PRIVATE KEY-----".to_owned(),
    ];
    lines.extend(BODY.iter().map(|l| (*l).to_owned()));
    lines.push("-----END RSA PRIVATE KEY-----".to_owned());
    lines.push(
        "ERROR startup check failed: database: authentication failed; shutting down".to_owned(),
    );
    let log: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("2026-11-28T04:57:51.{:09}Z {l}\n", 204_518_331 + i))
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ktriage-prod-eu-1-20261128T050000Z");
    let responses = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/collector/responses");
    std::fs::create_dir_all(root.join("namespaces/shop")).unwrap();
    std::fs::copy(
        responses.join("ns/shop/pods.yaml"),
        root.join("namespaces/shop/pods.yaml"),
    )
    .unwrap();
    let logs = root.join("logs/shop/api-6d8f9c7b5-x2k9p");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("api.log"), &log).unwrap();
    std::fs::write(logs.join("api.previous.log"), &log).unwrap();
    std::fs::write(
        root.join("manifest.json"),
        r#"{"format": "ktriage-bundle", "format_version": 1, "cluster": "prod-eu-1",
  "context": "jane@prod-eu-1", "collected_at": "2026-11-28T05:00:00Z",
  "collector": {"name": "ktriage-collect", "version": "0.1.0"}, "server_version": "v1.31.2",
  "namespaces": ["shop"], "options": {"tail_lines": 1000, "since": null, "redact": false,
  "configmap_values": false, "all_logs": false}, "errors": []}
"#,
    )
    .unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .arg("analyze")
        .arg(&root)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["container"] == "api")
        .expect("a finding for the crash-looping container");
    let tail: Vec<&str> = finding["log_tail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        tail,
        [
            "<redacted private key>",
            "ERROR startup check failed: database: authentication failed; shutting down"
        ]
    );
    let text = String::from_utf8_lossy(&output.stdout);
    for body in BODY {
        assert!(!text.contains(&body[..16]), "{body} is quoted:\n{text}");
    }
}
