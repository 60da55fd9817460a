//! `auth-failure`: a database, broker, API or cloud provider rejects the app's credentials.

use super::{Evidence, Finding, RuleContext, Signature, best_hit, check_log_signatures};
use crate::subjects::Subject;

declare_rule! {
    /// ## What it detects
    /// An app that exits because a service it depends on rejects its credentials.
    /// Postgres `password authentication failed for user "x"`, MySQL `Access denied for user
    /// 'x'@'h'`, Redis `NOAUTH`/`WRONGPASS`, MongoDB `Authentication failed`, Kafka SASL,
    /// RabbitMQ `ACCESS_REFUSED`, HTTP `401 Unauthorized` from a dependency, cloud IAM errors
    /// (`AccessDenied`, `InvalidClientTokenId`, `ExpiredToken`, `NoCredentialProviders`,
    /// `invalid_grant`, `AADSTS…`).
    ///
    /// ## Why it crash-loops
    /// The credentials come from the pod spec (usually a Secret read into env at start), so each
    /// restart presents the same rejected credentials until the Secret or the server side changes.
    ///
    /// ## Evidence
    /// - a log line naming the user or service (strong for database and broker messages, likely
    ///   for HTTP 401)
    /// - the `secretKeyRef`/`secretRef` the container's credentials come from (named in the
    ///   finding so the right Secret gets checked)
    ///
    /// ## Remedy
    /// Compare the Secret with what the server expects (was one side rotated?), fix the user,
    /// grants or `pg_hba.conf`, or the IAM role / workload-identity binding of the ServiceAccount;
    /// restart the pods after changing a Secret used in env (env is read only at start).
    ///
    /// ## Not covered
    /// The Kubernetes API refusing the ServiceAccount (`kubernetes-api-access`), TLS handshake
    /// failures before authentication (`tls-certificate`).
    pub(crate) static AUTH_FAILURE = {
        cause: AuthFailure, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "postgres-password",
        pattern: r#"password authentication failed for user \\?"(?P<target>[^"\\]+)\\?""#,
        example: r#"psycopg2.OperationalError: connection to server at "orders-db" (10.96.40.12), port 5432 failed: FATAL:  password authentication failed for user "orders""#,
        confidence: 0.85,
    },
    Signature {
        id: "postgres-hba",
        pattern: r#"no pg_hba\.conf entry for host \\?"[^"\\]+\\?", user \\?"(?P<target>[^"\\]+)\\?""#,
        example: r#"FATAL:  no pg_hba.conf entry for host "10.244.2.31", user "orders", database "orders", no encryption"#,
        confidence: 0.8,
    },
    Signature {
        id: "mysql-access-denied",
        pattern: r"Access denied for user '(?P<target>[^']*)'@'[^']*'",
        example: "java.sql.SQLException: Access denied for user 'catalog'@'10.244.1.17' (using password: YES)",
        confidence: 0.85,
    },
    Signature {
        id: "redis-auth",
        pattern: r"NOAUTH Authentication required|WRONGPASS invalid username-password pair|ERR invalid password|ERR AUTH <password> called without any password configured|AuthenticationError: (?:Authentication required|invalid username-password pair)",
        example: "ReplyError: WRONGPASS invalid username-password pair or user is disabled.",
        confidence: 0.85,
    },
    Signature {
        id: "kafka-sasl",
        pattern: r"SaslAuthenticationException|SASL authentication failed|Authentication failed during authentication due to invalid credentials with SASL mechanism",
        example: "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
        confidence: 0.85,
    },
    Signature {
        id: "amqp-refused",
        pattern: r"ACCESS_REFUSED - Login was refused",
        example: "amqp.ConnectionError: ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.",
        confidence: 0.85,
    },
    Signature {
        id: "aws-sdk-denied",
        pattern: r"operation error (?P<target>[\w ]+?): \w+, https response error StatusCode: 40[03]\b.*api error (?:AccessDenied|AccessDeniedException|InvalidClientTokenId|ExpiredToken|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId)",
        example: "operation error STS: AssumeRoleWithWebIdentity, https response error StatusCode: 403, RequestID: 1f0e3c6a-7b2d-4e59-9a41-52c8d0f7b3e1, api error AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
        confidence: 0.85,
    },
    Signature {
        id: "botocore-denied",
        pattern: r"An error occurred \((?:AccessDenied|AccessDeniedException|InvalidClientTokenId|ExpiredToken|ExpiredTokenException|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId)\) when calling the (?P<target>\w+) operation",
        example: "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
        confidence: 0.85,
    },
    Signature {
        id: "cloud-no-credentials",
        pattern: r"NoCredentialProviders|WebIdentityErr|Unable to locate credentials|failed to refresh cached credentials|invalid_grant|AADSTS\d{4,}",
        example: "oauth2: cannot fetch token: 400 Bad Request Response: {\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}",
        confidence: 0.8,
    },
    Signature {
        id: "authentication-failed",
        pattern: r"(?i)\bauthentication failed\b|\bbad auth\b|unable to authenticate user|command [a-z]+ requires authentication",
        example: "MongoServerError: bad auth : authentication failed",
        confidence: 0.75,
    },
    Signature {
        id: "http-401",
        pattern: r"(?:(?:https?)://(?P<target>[^/\s:\x22']+)[^\s\x22']*\x22?:? .*?)?(?:\b401 Unauthorized\b|\bStatusCode: 401\b|\bstatus code 401\b)|\b(?:api_request|API request|request) to (?P<peer>[\w.-]+) failed: HTTP 40[13]\b",
        example: "Error: request to https://api.payments.example.com/v2/merchants/self failed: 401 Unauthorized",
        confidence: 0.7,
    },
    // Oracle's client and JDBC driver.
    Signature {
        id: "oracle-logon-denied",
        pattern: r"ORA-01017: invalid username/password; logon denied|ORA-28000: the account is locked|ORA-01005: null password given; logon denied",
        example: "java.sql.SQLException: ORA-01017: invalid username/password; logon denied",
        confidence: 0.85,
    },
    Signature {
        id: "mssql-login-failed",
        pattern: r"Login failed for user '(?P<target>[^']*)'",
        example: r"Microsoft.Data.SqlClient.SqlException (0x80131904): Login failed for user 'sa'.",
        confidence: 0.85,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &AUTH_FAILURE, |s, hit| {
        let name = s.name();
        let target = hit.target.as_deref().filter(|t| !t.is_empty());
        let title = match (is_user(hit.signature.id), target) {
            (true, Some(u)) => format!("container `{name}` is refused login as user `{u}`"),
            (false, Some(t)) => {
                format!("container `{name}` is refused by `{t}`: credentials rejected")
            }
            (_, None) => format!("container `{name}` exits because its credentials are rejected"),
        };
        (title, remedies(s, hit.signature.id, target))
    });
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let refs = secret_refs(s);
        if !refs.is_empty() {
            f.confidence = (f.confidence + 0.03).min(0.95);
        }
        for (field, text) in refs.into_iter().take(3) {
            f.evidence.push(Evidence::spec(s, &field, text));
        }
        if best_hit(s, AUTH_FAILURE.cause).is_some_and(|h| is_cloud(h.signature.id)) {
            let sa = s
                .pod
                .spec
                .service_account_name
                .as_deref()
                .unwrap_or("default");
            f.evidence.push(Evidence::spec(
                s,
                "spec.serviceAccountName",
                format!("{sa} (cloud credentials usually come from its workload-identity binding)"),
            ));
        }
    }
}

/// Signatures whose target is a user name (not a service).
fn is_user(signature: &str) -> bool {
    matches!(
        signature,
        "postgres-password" | "postgres-hba" | "mysql-access-denied" | "mssql-login-failed"
    )
}

fn is_cloud(signature: &str) -> bool {
    matches!(
        signature,
        "aws-sdk-denied" | "botocore-denied" | "cloud-no-credentials"
    )
}

/// Remediation steps: name the Secret the credentials come from, or the ServiceAccount.
fn remedies(s: &Subject<'_>, signature: &str, target: Option<&str>) -> Vec<String> {
    let name = s.name();
    let mut steps = Vec::new();
    if is_cloud(signature) {
        let sa = s
            .pod
            .spec
            .service_account_name
            .as_deref()
            .unwrap_or("default");
        steps.push(format!(
            "check the cloud identity of ServiceAccount `{sa}`: its workload-identity annotation (e.g. `eks.amazonaws.com/role-arn`, `iam.gke.io/gcp-service-account`, `azure.workload.identity/client-id`), the role's trust policy for `system:serviceaccount:{}:{sa}`, and the role's permissions{}",
            s.pod.metadata.namespace,
            target.map(|t| format!(" for `{t}`")).unwrap_or_default()
        ));
    }
    let secrets = secret_names(s);
    if secrets.is_empty() {
        if !is_cloud(signature) {
            steps.push(format!(
                "find where `{name}` reads its credentials (no Secret is referenced in its env): a config file, a mounted volume or the image"
            ));
        }
    } else {
        steps.push(format!(
            "check that {} holds the credentials the server expects{}: credentials rotated on one side only are the usual cause",
            secrets.join(", "),
            target
                .filter(|_| is_user(signature))
                .map(|u| format!(" for user `{u}`"))
                .unwrap_or_default()
        ));
        steps.push(format!(
            "after fixing the Secret, restart `{name}`'s pods: env from Secrets is read only at container start"
        ));
    }
    match signature {
        "postgres-hba" => steps.push("add a `pg_hba.conf` entry for the pod network (or this user and database) on the server".to_owned()),
        "mysql-access-denied" => steps.push("check the user's host pattern and grants on the server (`SELECT user, host FROM mysql.user`)".to_owned()),
        _ => {}
    }
    steps
}

/// `Secret `x` (key `k`, env `E`)` for the secret-sourced env vars (credential-like names
/// first, at most four) and each envFrom secret.
fn secret_names(s: &Subject<'_>) -> Vec<String> {
    let mut refs: Vec<(bool, String)> = Vec::new();
    for e in &s.spec.env {
        if let Some(r) = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
        {
            let upper = e.name.to_ascii_uppercase();
            let credential = [
                "PASS", "PWD", "USER", "TOKEN", "KEY", "SECRET", "CRED", "AUTH", "DSN", "URL",
            ]
            .iter()
            .any(|w| upper.contains(w));
            refs.push((
                !credential,
                format!("Secret `{}` (key `{}`, env `{}`)", r.name, r.key, e.name),
            ));
        }
    }
    refs.sort_by_key(|(other, _)| *other);
    let mut out: Vec<String> = refs.into_iter().take(4).map(|(_, r)| r).collect();
    for e in &s.spec.env_from {
        if let Some(r) = &e.secret_ref {
            out.push(format!("Secret `{}` (all keys, envFrom)", r.name));
        }
    }
    out
}

/// Spec evidence for the secret-sourced env of the container.
fn secret_refs(s: &Subject<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in &s.spec.env {
        if let Some(r) = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
        {
            out.push((
                format!("env[{}]", e.name),
                format!("from Secret `{}` key `{}`", r.name, r.key),
            ));
        }
    }
    for (i, e) in s.spec.env_from.iter().enumerate() {
        if let Some(r) = &e.secret_ref {
            out.push((
                format!("envFrom[{i}]"),
                format!("all keys of Secret `{}`", r.name),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// Lines this rule must claim, and neighbours' lines it must leave alone.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r#"org.postgresql.util.PSQLException: FATAL: password authentication failed for user "app""#,
            r#"Npgsql.PostgresException (0x80004005): 28P01: password authentication failed for user "app""#,
            r"SQLSTATE[HY000] [1045] Access denied for user 'root'@'10.244.0.12' (using password: YES)",
            r"redis.exceptions.AuthenticationError: Authentication required.",
            r"redis.exceptions.AuthenticationError: invalid username-password pair or user is disabled.",
            r"MongoServerError: Authentication failed.",
            "MongoServerError: command find requires authentication",
            r"org.elasticsearch.ElasticsearchSecurityException: unable to authenticate user [elastic] for REST request [/_cluster/health]",
            r"pymongo.errors.OperationFailure: Authentication failed., full error: {'ok': 0.0, 'errmsg': 'Authentication failed.', 'code': 18, 'codeName': 'AuthenticationFailed'}",
            r"Microsoft.Data.SqlClient.SqlException (0x80131904): Login failed for user 'sa'.",
            r"pika.exceptions.ProbableAuthenticationError: ConnectionClosedByBroker: (403) 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.'",
            r#"sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, "Access denied for user 'app'@'10.244.1.4' (using password: YES)")"#,
            "ReplyError: NOAUTH Authentication required.",
            "ERROR 1045 (28000): Access denied for user 'catalog'@'10.244.1.17' (using password: YES)",
            r#"{"level":"error","msg":"db connect failed","error":"FATAL:  password authentication failed for user \"orders\" (SQLSTATE 28P01)"}"#,
            "ORA-01017: invalid username/password; logon denied",
            r#"Error: ==> github.com/openimsdk/open-im-server/v3/pkg/common/db/unrelation.(*Mongo).createMongoIndex()@153: CreateIndex: connection() error occurred during connection handshake: auth error: sasl conversation error: unable to authenticate using mechanism "SCRAM-SHA-1": (AuthenticationFailed) Authentication failed."#,
        ] {
            assert!(causes(line).contains(&"auth-failure"), "{line}");
        }
        for line in [
            r"redis.exceptions.ConnectionError: Error 111 connecting to redis-master:6379. Connection refused.",
            r"error retrieving resource lock kube-system/my-controller: Unauthorized",
            r"Microsoft.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific error occurred while establishing a connection to SQL Server. The server was not found or was not accessible.",
            "W1128 04:55:03.140026       1 reflector.go:561] k8s.io/client-go/informers/factory.go:160: failed to list *v1.Secret: Unauthorized",
            "Caused by: java.nio.file.AccessDeniedException: /opt/kafka/data/meta.properties",
            "x509: certificate signed by unknown authority",
            // An access log line of a request the app itself answered with 401.
            "time=2026-11-28T04:57:01Z level=INFO msg=request method=GET path=/admin status=401 duration=2ms",
            // A session that expired and is renewed, not a rejected credential.
            "2024-05-02 10:00:01 INFO  ORA-28002: the password will expire within 7 days",
        ] {
            assert!(!causes(line).contains(&"auth-failure"), "{line}");
        }
    }
}
