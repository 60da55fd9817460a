//! Redaction of text quoted from logs and specs before it is shown in any report.
//!
//! Private-key blocks, bearer and basic tokens, credentials in `name=value` and `name: value`
//! pairs, passwords in connection strings, cloud access keys, GitHub and Slack tokens and JWTs
//! become `<redacted…>`; diagnostic words around them stay. The collector's log redaction
//! (`collector/ktriage-collect`) follows the same rules; `tests/data/redaction-corpus.txt` holds
//! the cases both are tested on.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What a private-key block becomes: the whole block, however many of its lines are quoted.
const KEY_PLACEHOLDER: &str = "<redacted private key>";

static KEY_BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----").expect("the pattern is valid")
});
static KEY_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----END [A-Z0-9 ]*PRIVATE KEY-----").expect("the pattern is valid")
});

/// Credentials of a fixed shape, wherever they stand.
static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", "<redacted jwt>"),
        (r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", "<redacted access key>"),
        (r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{22,}|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35})", "<redacted token>"),
        // scheme://user:password@host
        (r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@", "$1<redacted>@"),
        // user:password@host:port without a scheme (as some clients log their target)
        (r"(\s[A-Za-z0-9_.-]+:)[^\s@/:]+@([A-Za-z0-9.-]+:\d+)", "$1<redacted>@$2"),
        // Go MySQL DSNs: user:password@tcp(host:port)/db
        (r"([A-Za-z0-9_.-]+:)[^\s@/:]+@(tcp|unix)\(", "$1<redacted>@$2("),
    ]
    .into_iter()
    .map(|(p, r)| (Regex::new(p).expect("redaction patterns are valid"), r))
    .collect()
});

/// A bearer or basic token: 8 characters or more that are not a word (`Basic authentication`).
static SCHEME_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic)([ \t]+)([A-Za-z0-9._~+/-]{8,}=*)")
        .expect("the pattern is valid")
});

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]?[a-z]+$").expect("the pattern is valid"));

/// An authorization header's scheme, before its token (`Bearer `, `[Basic `).
static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^["'\[]?[A-Za-z]+[ \t]+"#).expect("the pattern is valid"));

/// A `name: value` or `name=value` pair's name and separator (the value follows the match).
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["']?([A-Za-z0-9_.-]+)["']?[ \t]*[:=][ \t]*"#).expect("the pattern is valid")
});

/// Words error messages put after `password:` or `secret:`, and answers: never credentials.
/// MySQL's `(using password: YES)` tells a wrong password from a missing one.
const PLAIN_WORDS: &[&str] = &[
    "yes",
    "no",
    "y",
    "n",
    "true",
    "false",
    "on",
    "off",
    "null",
    "nil",
    "none",
    "empty",
    "set",
    "unset",
    "ok",
    "required",
    "missing",
    "invalid",
    "incorrect",
    "wrong",
    "expired",
    "changed",
    "mismatch",
    "failed",
    "denied",
    "not",
    "is",
    "was",
    "must",
    "should",
    "cannot",
    "could",
    "can",
    "does",
    "did",
    "has",
    "have",
    "for",
    "of",
    "the",
    "to",
    "from",
    "with",
    "in",
    "and",
    "or",
];

static PLACEHOLDER_OR_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?i:[*]+|x+|<[a-z _-]*>|\[[a-z _-]*\]|[$][{]?[a-z_][a-z0-9_]*[}]?|v?[0-9]+([.][0-9]+)+([-+][0-9a-z.-]+)?)$",
    )
    .expect("the pattern is valid")
});

/// Returns `text` with credentials replaced by `<redacted…>`. A private-key block that starts in
/// `text` is replaced whole, up to its END line or the first line that is not key body.
#[must_use]
pub fn redact(text: &str) -> Cow<'_, str> {
    if KEY_BEGIN.is_match(text) {
        let lines: Vec<&str> = text.split('\n').collect();
        return Cow::Owned(redact_lines(&lines, false).join("\n"));
    }
    redact_line(text)
}

/// Redacts consecutive lines of a log; `in_key_block` says the first one may continue a
/// private-key block that began above (see [`starts_in_key_block`]). Every run of key lines
/// becomes one `<redacted private key>` line.
#[must_use]
pub fn redact_lines<S: AsRef<str>>(lines: &[S], in_key_block: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut in_key = in_key_block;
    for line in lines {
        let line = line.as_ref();
        if in_key {
            if let Some(end) = KEY_END.find(line) {
                in_key = false;
                let rest = &line[end.end()..];
                if out
                    .last()
                    .is_none_or(|l: &String| !l.ends_with(KEY_PLACEHOLDER))
                {
                    out.push(KEY_PLACEHOLDER.to_owned());
                }
                if !rest.trim().is_empty() {
                    out.push(redact_line(rest).into_owned());
                }
                continue;
            }
            if is_key_body(line) {
                if out
                    .last()
                    .is_none_or(|l: &String| !l.ends_with(KEY_PLACEHOLDER))
                {
                    out.push(KEY_PLACEHOLDER.to_owned());
                }
                continue;
            }
            in_key = false;
        }
        if let Some(begin) = KEY_BEGIN.find(line) {
            let head = redact_line(&line[..begin.start()]);
            let rest = &line[begin.end()..];
            if rest.trim().is_empty() {
                in_key = true;
                out.push(format!("{head}{KEY_PLACEHOLDER}"));
            } else if let Some(end) = KEY_END.find(rest) {
                // A block on one line (a JSON string with `\n` escapes).
                let tail = redact_line(&rest[end.end()..]);
                out.push(format!("{head}{KEY_PLACEHOLDER}{tail}"));
            } else {
                out.push(format!("{head}{KEY_PLACEHOLDER}"));
            }
            continue;
        }
        out.push(redact_line(line).into_owned());
    }
    out
}

/// Whether a window of log lines starting with `first` lies inside a private-key block that
/// began above it. `above` are the lines above the window, nearest first; `cut` says the text
/// above them is missing (the log was read from a later point), so a run of key body that
/// reaches the top may be a block whose BEGIN line was not read: it counts as one.
pub fn starts_in_key_block<'a>(
    first: &str,
    above: impl IntoIterator<Item = Cow<'a, str>>,
    cut: bool,
) -> bool {
    if !is_key_body(first) && !KEY_END.is_match(first) {
        return false;
    }
    for line in above {
        if KEY_BEGIN
            .find(&line)
            .is_some_and(|m| line[m.end()..].trim().is_empty())
        {
            return true;
        }
        if !is_key_body(&line) {
            return false;
        }
    }
    cut
}

/// A line of a PEM body: base64 (also empty), or an encrypted key's header.
fn is_key_body(line: &str) -> bool {
    let line = line.trim_end_matches([' ', '\r']);
    line.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        || line.starts_with("Proc-Type: ")
        || line.starts_with("DEK-Info: ")
}

/// Redacts one line (or a text without private-key blocks).
fn redact_line(text: &str) -> Cow<'_, str> {
    let mut out = redact_pairs(text);
    if SCHEME_TOKEN.is_match(&out) {
        let replaced = SCHEME_TOKEN.replace_all(&out, |c: &regex::Captures<'_>| {
            if WORD.is_match(&c[3]) {
                c[0].to_owned()
            } else {
                format!("{}{}<redacted>", &c[1], &c[2])
            }
        });
        if let Cow::Owned(replaced) = replaced {
            out = Cow::Owned(replaced);
        }
    }
    for (re, replacement) in PATTERNS.iter() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, *replacement).into_owned());
        }
    }
    out
}

/// What a pair's name says its value is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameClass {
    /// Any value is a credential: `password`, `DB_PASSWORD`, `passphrase`, `MYSQL_PWD`.
    Password,
    /// Only a value that looks like one: `secret`, `token`, `api_key`, `credentials`.
    Credential,
    /// An authorization header: a scheme, then a token, any value a credential.
    Authorization,
}

fn name_class(name: &str) -> Option<NameClass> {
    let name = name.to_ascii_lowercase();
    if name.ends_with("authorization") {
        return Some(NameClass::Authorization);
    }
    let ends_with_word = |word: &str| {
        name.strip_suffix(word)
            .is_some_and(|head| head.is_empty() || head.ends_with(['_', '.', '-']))
    };
    if ["password", "passwd", "passphrase"]
        .iter()
        .any(|w| name.ends_with(w))
        || ends_with_word("pass")
        || ends_with_word("pwd")
    {
        return Some(NameClass::Password);
    }
    let key_word = name.strip_suffix("key").is_some_and(|head| {
        let head = head.trim_end_matches(['_', '-']);
        [
            "api",
            "access",
            "secret",
            "private",
            "client",
            "signing",
            "encryption",
        ]
        .iter()
        .any(|w| head.ends_with(w))
    });
    (key_word
        || ["secret", "token", "credential", "credentials"]
            .iter()
            .any(|w| name.ends_with(w)))
    .then_some(NameClass::Credential)
}

/// Whether `value`, after a name of `class`, is not a credential: an answer, a placeholder, a
/// version string, one of the words error messages put there, or (after a secret or token name)
/// a word without digits.
fn is_plain(value: &str, class: NameClass) -> bool {
    let lower = value.to_ascii_lowercase();
    PLAIN_WORDS.contains(&lower.as_str())
        || PLACEHOLDER_OR_VERSION.is_match(value)
        || (class == NameClass::Credential
            && !value.bytes().any(|b| b.is_ascii_digit())
            && value.chars().count() < 20)
}

/// Replaces the values of credential pairs (`password=…`, `"token": "…"`).
fn redact_pairs(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut pos = 0;
    while let Some(pair) = PAIR.captures_at(text, pos) {
        let (whole, name) = (pair.get(0).expect("group 0 is the match"), &pair[1]);
        pos = whole.end();
        let Some(mut class) = name_class(name) else {
            continue;
        };
        if class == NameClass::Authorization {
            if let Some(scheme) = SCHEME.find(&text[pos..]) {
                pos += scheme.end();
            }
            class = NameClass::Password;
        }
        let rest = &text[pos..];
        let (start, end, next) = if let Some(q @ ('"' | '\'')) = rest.chars().next() {
            let inner = &rest[1..];
            let Some(len) = inner.find([q, '\n']).filter(|&i| inner[i..].starts_with(q)) else {
                continue;
            };
            (pos + 1, pos + 1 + len, pos + 2 + len)
        } else {
            let len = rest
                .find(|c: char| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            ']' | ')' | '"' | '\'' | '&' | ',' | ';' | '<' | '>' | '}'
                        )
                })
                .unwrap_or(rest.len());
            (pos, pos + len, pos + len)
        };
        let value = &text[start..end];
        if value.is_empty() || is_plain(value, class) {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str("<redacted>");
        copied = end;
        pos = next;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{redact, redact_lines, starts_in_key_block};

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
            ("api_key=sk_live_51HxYz", "51HxYz"),
        ];
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input:?} -> {out:?}");
            assert!(out.contains("<redacted"), "{input:?} -> {out:?}");
        }
    }

    #[test]
    fn keeps_ordinary_text() {
        for line in [
            "dial tcp 10.96.14.3:5432: connect: connection refused",
            "password authentication failed for user \"app\"",
            "failed to fetch oauth token: unexpected status code 401",
        ] {
            assert!(matches!(redact(line), Cow::Borrowed(_)), "{line}");
        }
    }

    #[test]
    fn a_key_block_becomes_one_line_and_the_text_after_it_stays() {
        let text = "loaded key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\nAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\nlistening on :8443";
        assert_eq!(
            redact(text),
            "loaded key:\n<redacted private key>\nlistening on :8443"
        );
        // Cut after its BEGIN line: the block ends at the first line that is not key body.
        let text = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBYr8hQ2\nERROR tls: bad key";
        assert_eq!(redact(text), "<redacted private key>\nERROR tls: bad key");
    }

    #[test]
    fn a_window_inside_a_key_block_quotes_none_of_it() {
        let log = [
            "INFO loading",
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
            "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
            "9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvre",
            "-----END RSA PRIVATE KEY-----",
            "ERROR tls: private key does not match public key",
        ];
        for start in 0..log.len() {
            let above = log[..start].iter().rev().map(|l| Cow::Borrowed(*l));
            let inside = starts_in_key_block(log[start], above, false);
            let quoted = redact_lines(&log[start..], inside);
            for line in &quoted {
                assert!(
                    !log[2..5].contains(&line.as_str()),
                    "window from line {start} quotes {line:?}: {quoted:?}"
                );
            }
            assert_eq!(
                quoted.last().map(String::as_str),
                Some("ERROR tls: private key does not match public key")
            );
        }
        // The log was read from a later point: a run of key body at its top counts as a key.
        let cut = [
            "9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvre",
            "-----END RSA PRIVATE KEY-----",
        ];
        assert!(starts_in_key_block(cut[0], [], true));
        assert!(!starts_in_key_block(cut[0], [], false));
        assert!(!starts_in_key_block(
            "INFO ready",
            [Cow::Borrowed("-----BEGIN RSA PRIVATE KEY-----")],
            true
        ));
    }
}
