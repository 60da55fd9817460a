//! Redaction of text quoted from logs and specs before it is shown in any report.
//!
//! Bearer tokens, passwords in `key=value` and connection strings, private-key blocks, cloud
//! access keys, GitHub tokens and JWTs become `<redacted>`. Applied to every evidence text.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // A private key block, or its first line when the block is cut.
        (r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)(-----END [A-Z ]*PRIVATE KEY-----|$)", "<redacted private key>"),
        (r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}", "$1 <redacted>"),
        (r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", "<redacted jwt>"),
        (r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", "<redacted access key>"),
        (r"\b(gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})", "<redacted token>"),
        // scheme://user:password@host
        (r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@", "$1<redacted>@"),
        // user:password@host:port without a scheme (as some clients log their target)
        (r"(\s[A-Za-z0-9_.-]+:)[^\s@/:]+@([A-Za-z0-9.-]+:\d+)", "$1<redacted>@$2"),
        // password=..., "password": "...": any value is a secret.
        (r#"(?i)\b([A-Za-z0-9_.-]*(?:password|passwd|pwd)["']?\s*[:=]\s*["']?)[^\s"',;&]+"#, "$1<redacted>"),
        // secret: ..., token=..., api_key=...: only values that look like secrets (a digit, or
        // long), so prose such as "oauth token: unexpected status" stays readable.
        (
            r#"(?i)\b([A-Za-z0-9_.-]*(?:secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)["']?\s*[:=]\s*["']?)(?:[A-Za-z_./+=-]*[0-9][^\s"',;&]*|[A-Za-z0-9_./+=-]{20,})"#,
            "$1<redacted>",
        ),
    ]
    .into_iter()
    .map(|(p, r)| (Regex::new(p).expect("redaction patterns are valid"), r))
    .collect()
});

/// Returns `text` with credentials replaced by `<redacted>`.
#[must_use]
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for (re, replacement) in PATTERNS.iter() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, *replacement).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn removes_credentials() {
        let cases = [
            ("Authorization: Bearer abcdefghijklmnop123", "hijklmnop"),
            ("dsn=postgres://app:S3cr3tPass@db:5432/shop", "S3cr3tPass"),
            (
                "connect ECONNREFUSED app:S3cr3tPass@db.shop.svc:5432",
                "S3cr3tPass",
            ),
            ("login failed password=hunter2 user=bob", "hunter2"),
            ("{\"password\": \"hunter2\"}", "hunter2"),
            ("key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
                "MIIEpAIBAAKCAQEA",
            ),
            (
                "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sflKxwRJSMeKKF2QT4",
                "sflKxwRJSMeKKF2QT4",
            ),
            (
                "export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123",
                "ghp_abcdefghij",
            ),
        ];
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input:?} -> {out:?}");
            assert!(out.contains("<redacted"), "{input:?} -> {out:?}");
        }
    }

    #[test]
    fn keeps_ordinary_text() {
        let line = "dial tcp 10.96.14.3:5432: connect: connection refused";
        assert_eq!(redact(line), line);
        let line = "password authentication failed for user \"app\"";
        assert_eq!(redact(line), line);
        let line = "failed to fetch oauth token: unexpected status code 401";
        assert_eq!(redact(line), line);
        assert!(!redact("api_key=sk_live_51HxYz").contains("51HxYz"));
    }
}
