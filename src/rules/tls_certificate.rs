//! `tls-certificate`: a TLS handshake fails on certificate trust, expiry or host name.

use super::{Finding, RuleContext, Signature, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because it rejects a server's TLS certificate.
    /// `x509: certificate signed by unknown authority`, `x509: certificate has expired or is not
    /// yet valid`, `x509: certificate is valid for X, not Y`, `tls: failed to verify
    /// certificate`, Java `PKIX path building failed`, Python `CERTIFICATE_VERIFY_FAILED`, Node
    /// `UNABLE_TO_VERIFY_LEAF_SIGNATURE` / `CERT_HAS_EXPIRED`.
    ///
    /// ## Why it crash-loops
    /// The trust store is in the image or a mounted bundle and the server's certificate does not
    /// change between restarts, so every start fails the same handshake.
    ///
    /// ## Evidence
    /// - a log line with the x509/TLS verification error, and the server's host when the line
    ///   has its URL (strong)
    ///
    /// ## Remedy
    /// Unknown authority: mount the issuing CA (trust-manager Bundle or a ConfigMap) and point the
    /// runtime at it (`SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, `REQUESTS_CA_BUNDLE`, a Java
    /// truststore). Expired: renew the certificate (cert-manager `Certificate`) and check the
    /// clocks. Wrong name: connect with a name listed in the certificate's SANs, or reissue it.
    ///
    /// ## Not covered
    /// Credentials rejected after the handshake (`auth-failure`), servers that refuse the TCP
    /// connection (`dependency-unreachable`).
    pub(crate) static TLS_CERTIFICATE = {
        cause: TlsCertificate, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

/// A URL before the error on the same line names the server: `Get "https://vault:8200/…": …`.
macro_rules! with_host {
    ($error:literal) => {
        concat!(
            r#"(?:(?:https|wss|grpcs|amqps|rediss|ldaps)://(?P<target>[^/\s"']+)[^\s"']*["']?:? .*?)?"#,
            $error
        )
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "x509-unknown-authority",
        pattern: with_host!(r"x509: certificate signed by unknown authority"),
        example: r#"Get "https://vault.security.svc:8200/v1/sys/health": tls: failed to verify certificate: x509: certificate signed by unknown authority"#,
        confidence: 0.85,
    },
    Signature {
        id: "x509-expired",
        pattern: with_host!(r"x509: certificate has expired or is not yet valid"),
        example: r#"Post "https://webhook.billing.svc:443/validate": x509: certificate has expired or is not yet valid: current time 2026-11-28T04:57:12Z is after 2026-11-20T00:00:00Z"#,
        confidence: 0.85,
    },
    Signature {
        id: "x509-wrong-name",
        pattern: r"x509: (?:certificate is valid for [^,]+(?:, [^,]+)*?, not |cannot validate certificate for )(?P<target>[\w.*:-]+)|x509: certificate (?:is not valid for any names|relies on legacy Common Name field)",
        example: "tls: failed to verify certificate: x509: certificate is valid for ingress.local, not api.payments.example.com",
        confidence: 0.85,
    },
    Signature {
        id: "tls-verify-failed",
        pattern: with_host!(r"tls: failed to verify certificate"),
        example: r#"Get "https://registry.internal:5000/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority"#,
        confidence: 0.8,
    },
    Signature {
        id: "java-pkix",
        pattern: r"PKIX path building failed|unable to find valid certification path to requested target|SSLHandshakeException: (?:PKIX|No subject alternative|NotAfter)|CertificateExpiredException",
        example: "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target",
        confidence: 0.85,
    },
    Signature {
        id: "openssl-verify-failed",
        pattern: r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|unable to get local issuer certificate|self[- ]signed certificate in certificate chain|\bcertificate has expired\b|The remote certificate is invalid|invalid peer certificate: (?:UnknownIssuer|Expired|NotValidForName)",
        example: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
        confidence: 0.85,
    },
    Signature {
        id: "node-cert-codes",
        pattern: r"\b(?:UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|ERR_TLS_CERT_ALTNAME_INVALID)\b|Hostname/IP does not match certificate's altnames",
        example: "Error: unable to verify the first certificate { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }",
        confidence: 0.85,
    },
];

/// What the verification error says is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    Trust,
    Expired,
    Name,
    Unknown,
    /// The API server cannot verify an admission webhook's certificate; the app only gets the
    /// API's error back.
    Webhook,
}

impl Problem {
    fn of(signature: &str, line: &str) -> Self {
        if line.contains("failed calling webhook") {
            Self::Webhook
        } else if signature == "x509-wrong-name"
            || line.contains("ALTNAME_INVALID")
            || line.contains("No subject alternative")
            || line.contains("altnames")
            || line.contains("NameMismatch")
            || line.contains("NotValidForName")
        {
            Self::Name
        } else if signature == "x509-expired"
            || line.contains("CERT_HAS_EXPIRED")
            || line.contains("has expired")
            || line.contains("NotAfter")
            || line.contains("CertificateExpired")
            || line.contains("certificate: Expired")
        {
            Self::Expired
        } else if signature == "tls-verify-failed" && !line.contains("unknown authority") {
            Self::Unknown
        } else {
            Self::Trust
        }
    }
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    check_log_signatures(cx, out, &TLS_CERTIFICATE, |s, hit| {
        let name = s.name();
        let problem = Problem::of(hit.signature.id, &hit.text);
        let target = hit.target.as_deref();
        let at = target.map(|t| format!(" of `{t}`")).unwrap_or_default();
        let title = match problem {
            Problem::Trust => format!(
                "container `{name}` does not trust the TLS certificate{at} (unknown authority)"
            ),
            Problem::Expired => {
                format!("container `{name}` rejects the expired TLS certificate{at}")
            }
            Problem::Name => format!(
                "container `{name}` rejects a TLS certificate not valid for `{}`",
                target.unwrap_or("the host it dials")
            ),
            Problem::Unknown => {
                format!("container `{name}` fails TLS certificate verification{at}")
            }
            Problem::Webhook => format!(
                "container `{name}` is refused by the API server, which cannot verify the certificate of webhook `{}`",
                target.unwrap_or("?")
            ),
        };
        (title, remedies(s, problem, target))
    });
}

fn remedies(s: &Subject<'_>, problem: Problem, target: Option<&str>) -> Vec<String> {
    let name = s.name();
    let server = target.map_or_else(|| "the server".to_owned(), |t| format!("`{t}`"));
    let mut steps = match problem {
        Problem::Trust | Problem::Unknown => vec![
            format!("make `{name}` trust the CA that issued {server}'s certificate: mount the CA bundle (trust-manager `Bundle` or a ConfigMap) and point the runtime at it (`SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, `REQUESTS_CA_BUNDLE`, or a Java truststore)"),
            "if the server should use a publicly trusted certificate, check that it serves its full chain (intermediate included)".to_owned(),
        ],
        Problem::Expired => vec![
            format!("renew {server}'s certificate (cert-manager: `kubectl get certificate -A` and `kubectl describe certificate <name>`) and restart what serves it"),
            "if the certificate's dates look right, check the node clocks (\"not yet valid\" means a clock behind)".to_owned(),
        ],
        Problem::Name => vec![
            format!("connect to a name listed in the certificate's SANs, or reissue the certificate with {server} in its `dnsNames`"),
        ],
        Problem::Webhook => vec![
            format!("the failing TLS client is the API server calling the webhook at {server}, not `{name}`: fix the webhook configuration's `caBundle` (cert-manager's CA injector annotation `cert-manager.io/inject-ca-from`) or renew the webhook's serving certificate"),
            "list the webhooks and their services: `kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations`".to_owned(),
        ],
    };
    let address = match target {
        Some(t) if t.contains(':') => t.to_owned(),
        Some(t) => format!("{t}:443"),
        None => "<host>:<port>".to_owned(),
    };
    steps.push(format!(
        "inspect what the server presents: `kubectl -n {} run tlscheck -it --rm --restart=Never --image=alpine/openssl -- s_client -connect {address} -showcerts`",
        s.pod.metadata.namespace
    ));
    steps
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r"Error: certificate has expired",
            r"Error: unable to get local issuer certificate",
            r"requests.exceptions.SSLError: HTTPSConnectionPool(host='vault', port=8200): Max retries exceeded with url: /v1/sys/health (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed certificate in certificate chain (_ssl.c:1129)')))",
            r"System.Security.Authentication.AuthenticationException: The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch, RemoteCertificateChainErrors",
            r"System.Security.Authentication.AuthenticationException: The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot",
            r"javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target",
            r"javax.net.ssl.SSLHandshakeException: NotAfter: Sun Jan 01 00:00:00 UTC 2023",
            r"x509: certificate relies on legacy Common Name field, use SANs instead",
            r"x509: certificate is not valid for any names, but wanted to match vault.security.svc",
            r"Error: Hostname/IP does not match certificate's altnames: Host: api.example.com. is not in the cert's altnames: DNS:*.other.com",
            r"OpenSSL::SSL::SSLError: SSL_connect returned=1 errno=0 state=error: certificate verify failed (unable to get local issuer certificate)",
            r"invalid peer certificate: UnknownIssuer",
            r#"E0411 02:53:07.259431       1 reflector.go:178] github.com/weaveworks/weave/prog/weave-npc/main.go:337: Failed to list *v1.Pod: Get "https://10.0.0.1:443/api/v1/pods?limit=500&resourceVersion=0": x509: certificate is valid for 10.96.0.1, 10.0.0.50, 10.0.0.11, 10.0.0.12, 127.0.0.1, not 10.0.0.1"#,
            r#"Error: error creating manager: Get "https://10.96.0.1:443/api?timeout=32s": x509: certificate signed by unknown authority"#,
            "x509: certificate has expired or is not yet valid: current time 2026-11-28T04:57:12Z is after 2026-11-20T00:00:00Z",
            "Error: self-signed certificate in certificate chain",
            r#"Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post "https://cert-manager-webhook.cert-manager.svc:443/validate?timeout=30s": tls: failed to verify certificate: x509: certificate signed by unknown authority"#,
        ] {
            assert!(causes(line).contains(&"tls-certificate"), "{line}");
        }
        for line in [
            r"Microsoft.Data.SqlClient.SqlException (0x80131904): Login failed for user 'sa'.",
            r"MongoServerError: Authentication failed.",
            "request to https://api.payments.example.com/v2/merchants/self failed: 401 Unauthorized",
            "dial tcp 10.96.40.12:443: connect: connection refused",
        ] {
            assert!(!causes(line).contains(&"tls-certificate"), "{line}");
        }
    }
}
